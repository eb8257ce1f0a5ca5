#!/bin/bash
# test_install.sh BUILD_DIR SOURCE_DIR - installation as an operator does it:
#  - `cmake --install` into a scratch DESTDIR: binary, man page, settings file, unit, sysusers.d,
#    schemas, docs;
#  - ctitap(8) renders with `man -l` and groff finds nothing to warn about;
#  - the installed ctitap.conf is what the installed binary's --help-settings=conf prints, lists
#    every setting --help-settings lists, and with every setting uncommented changes nothing;
#  - `systemd-analyze verify` accepts the unit without a remark (a unit with a typo gets one:
#    the check can fail); its sandbox scores OK in `systemd-analyze security`;
#  - the installed binary, started on lo with -Z nobody, keeps no privilege (test_privs.sh);
#  - the Debian package CPack builds (prefix /usr) holds the binary, unit, man page, settings as
#    a conffile, maintainer scripts and the library dependencies (dpkg-deb -c, -I).
set -u
. "$(dirname "$0")/common.sh"
BUILD=${1:?usage: test_install.sh BUILD_DIR SOURCE_DIR}
SRC=${2:?usage: test_install.sh BUILD_DIR SOURCE_DIR}
need systemd-analyze "verifying the unit (package systemd)"
need man "rendering the man page (package man-db)"
T=$(mktemp -d /tmp/ctitap-install.XXXXXX)
trap 'rm -rf "$T"' EXIT
D=$T/root

DESTDIR=$D cmake --install "$BUILD" >"$T/install.log" 2>&1
check "cmake --install into DESTDIR: exit 0" test $? -eq 0
prefix=$(sed -n 's/^CMAKE_INSTALL_PREFIX:PATH=//p' "$BUILD/CMakeCache.txt")
sysconf=$([ "$prefix" = /usr ] && echo /etc || echo "$prefix/etc")
BIN=$D$prefix/bin/ctitap
CONF=$D$sysconf/ctitap/ctitap.conf
UNIT=$D$prefix/lib/systemd/system/ctitap.service
for f in "$BIN" "$D$prefix/share/man/man8/ctitap.8.gz" "$CONF" "$UNIT" "$D$prefix/lib/sysusers.d/ctitap.conf" \
	"$D$prefix/share/ctitap/schemas/call.schema.json" "$D$prefix/share/doc/ctitap/README.md" \
	"$D$prefix/share/doc/ctitap/docs/configuration.md"; do
	check "installed: ${f#$D}" test -s "$f"
done
check "the settings file is not world-readable (it may hold a Kafka password)" \
	test "$(stat -c %a "$CONF")" = 640

# ---- man page ----------------------------------------------------------------------------------
MANWIDTH=80 man -l "$D$prefix/share/man/man8/ctitap.8.gz" >"$T/man.txt" 2>"$T/man.err"
check "man -l renders ctitap(8) ($(wc -l <"$T/man.txt") lines), no complaint" test $? -eq 0 -a ! -s "$T/man.err"
for s in NAME SYNOPSIS OPTIONS SIGNALS PRIVILEGES MONITORING FILES ENVIRONMENT "EXIT STATUS"; do
	check "ctitap(8) has $s" grep -q "^$s" "$T/man.txt"
done
zcat "$D$prefix/share/man/man8/ctitap.8.gz" | groff -ww -man -z 2>"$T/groff.err"
check "groff -ww finds nothing to warn about ($(head -c 200 "$T/groff.err"))" test ! -s "$T/groff.err"
# every option of usage() is in the page
"$BIN" --help | grep -oE '^ +-[a-zA-Z]' | tr -d ' ' | sort -u >"$T/opts"
missing=$(while read -r o; do grep -qE -- "(^|[ ,])$o([ ,]|\$)" "$T/man.txt" || echo "$o"; done <"$T/opts")
check "every short option of --help is in ctitap(8) ($missing)" test -z "$missing"

# ---- settings file -----------------------------------------------------------------------------
STATE_DIRECTORY=/var/lib/ctitap "$BIN" -X sensor.name=sensor-1 --help-settings=conf >"$T/conf"
check "the installed ctitap.conf is the installed binary's --help-settings=conf" cmp -s "$CONF" "$T/conf"
"$BIN" --help-settings | awk 'NR > 1 && $1 != "kafka.*" { print $1 }' >"$T/keys"
missing=$(while read -r k; do
	s=${k%%.*}
	awk -v s="[$s]" -v k="#${k#*.} =" '$0 == s { in_s = 1; next } /^\[/ { in_s = 0 } in_s && index($0, k) == 1 { f = 1 } END { exit !f }' "$CONF" || echo "$k"
done <"$T/keys")
check "ctitap.conf lists every one of the $(wc -l <"$T/keys") settings under its [section] ($missing)" \
	test -z "$missing" -a "$(wc -l <"$T/keys")" -gt 60
sed -E 's/^#([a-z_.]+ = )/\1/' "$CONF" | grep -v '^security.protocol' >"$T/all.conf"
check "every setting uncommented: it loads and changes nothing" \
	cmp -s <(STATE_DIRECTORY=/var/lib/ctitap "$BIN" -c "$T/all.conf" -X sensor.name=sensor-1 --help-settings) \
	<(STATE_DIRECTORY=/var/lib/ctitap "$BIN" -X sensor.name=sensor-1 --help-settings)
check "an installed ctitap keeps its Kafka spool in the state directory" \
	sh -c "STATE_DIRECTORY=/var/lib/ctitap '$BIN' --help-settings | grep -q '^  kafka.spool.dir  *\/var\/lib\/ctitap\/spool '"
check "CTITAP_CONFIG names the settings file read without -c" \
	sh -c "printf 'sensor.name = from-env\n' >'$T/env.conf'; CTITAP_CONFIG='$T/env.conf' '$BIN' --help-settings | grep -q '^  sensor.name  *from-env '"

# ---- systemd unit --------------------------------------------------------------------------------
# verify checks that ExecStart= exists: point it at the DESTDIR binary; Documentation=man: is
# looked up through MANPATH
sed "s|^ExecStart=$prefix/bin/ctitap|ExecStart=$BIN|" "$UNIT" >"$T/ctitap.service"
MANPATH=$D$prefix/share/man systemd-analyze verify "$T/ctitap.service" >"$T/verify" 2>&1
rc=$?
check "systemd-analyze verify accepts the unit, without a remark (rc=$rc: $(head -c 400 "$T/verify"))" \
	test $rc -eq 0 -a ! -s "$T/verify"
sed 's/^ProtectSystem=strict/ProtectSystem=strickt/' "$T/ctitap.service" >"$T/typo.service"
MANPATH=$D$prefix/share/man systemd-analyze verify "$T/typo.service" >"$T/verify2" 2>&1
check "a unit with a typo gets a remark (the check above can fail)" test -s "$T/verify2"
for k in "User=ctitap" "StateDirectory=ctitap" "AmbientCapabilities=CAP_NET_RAW CAP_NET_ADMIN" \
	"CapabilityBoundingSet=CAP_NET_RAW CAP_NET_ADMIN" "ProtectSystem=strict" "ProtectHome=yes" "PrivateTmp=yes" \
	"NoNewPrivileges=yes" "RestrictAddressFamilies=AF_PACKET AF_INET AF_INET6 AF_UNIX AF_NETLINK" \
	"SystemCallFilter=@system-service" "MemoryDenyWriteExecute=yes" "LockPersonality=yes" \
	"ExecReload=/bin/kill -HUP \$MAINPID"; do
	check "unit: $k" grep -qx "$k" "$UNIT"
done
systemd-analyze security --offline=yes "$T/ctitap.service" >"$T/security" 2>&1
score=$(sed -n 's/.*Overall exposure level for ctitap.service: \([0-9.]*\).*/\1/p' "$T/security")
check "systemd-analyze security: exposure $score, below 3 ('OK')" \
	test -n "$score" && awk -v s="$score" 'BEGIN { exit !(s < 3) }'

# ---- the installed binary drops its privileges -----------------------------------------------------
if [ "$(id -u)" -eq 0 ]; then
	bash "$(dirname "$0")/test_privs.sh" "$BIN" >"$T/privs.log" 2>&1
	rc=$?
	check "the installed binary on lo with -Z nobody keeps no privilege (test_privs.sh: $(tail -n 1 "$T/privs.log"))" \
		test $rc -eq 0
	[ $rc -eq 0 ] || cat "$T/privs.log"
else
	echo "skip: the installed binary's privilege drop needs root"
fi

# ---- Debian package -------------------------------------------------------------------------------
if command -v dpkg-deb >/dev/null && command -v dpkg-shlibdeps >/dev/null; then
	# a package installs under /usr: its own build tree, configured so (the binary carries its paths)
	cmake -S "$SRC" -B "$T/deb" -G Ninja -DCMAKE_INSTALL_PREFIX=/usr -DBUILD_TESTING=OFF >"$T/deb.log" 2>&1 &&
		ninja -C "$T/deb" ctitap ctitap_dist_files >>"$T/deb.log" 2>&1 &&
		(cd "$T/deb" && cpack -G DEB >>"$T/deb.log" 2>&1)
	check "cpack -G DEB builds the package" test $? -eq 0
	deb=$(ls "$T"/deb/ctitap_*.deb 2>/dev/null | head -n 1)
	if [ -n "$deb" ]; then
		dpkg-deb -c "$deb" | awk '{ print $6 }' | sed 's|^\./|/|' >"$T/contents"
		for f in /usr/bin/ctitap /usr/share/man/man8/ctitap.8.gz /etc/ctitap/ctitap.conf \
			/usr/lib/systemd/system/ctitap.service /usr/lib/sysusers.d/ctitap.conf \
			/usr/share/ctitap/schemas/call.schema.json /usr/share/doc/ctitap/README.md; do
			check "package holds $f" grep -qx "$f" "$T/contents"
		done
		check "package: the settings file is a conffile" \
			sh -c "dpkg-deb --ctrl-tarfile '$deb' | tar -xO ./conffiles | grep -qx /etc/ctitap/ctitap.conf"
		check "package: postinst creates the user, prerm stops the service" \
			sh -c "dpkg-deb --ctrl-tarfile '$deb' | tar -xO ./postinst | grep -q systemd-sysusers && dpkg-deb --ctrl-tarfile '$deb' | tar -xO ./prerm | grep -q 'systemctl stop'"
		dpkg-deb -f "$deb" Depends >"$T/depends"
		for lib in libpcap libmicrohttpd libcap-ng librdkafka libzstd libxml2 libsodium; do
			check "package depends on $lib ($(grep -o "$lib[^,]*" "$T/depends" | head -n 1))" grep -q "$lib" "$T/depends"
		done
		dpkg-deb -x "$deb" "$T/debroot"
		sed "s|^ExecStart=/usr/bin/ctitap|ExecStart=$T/debroot/usr/bin/ctitap|" \
			"$T/debroot/usr/lib/systemd/system/ctitap.service" >"$T/deb.service"
		MANPATH=$T/debroot/usr/share/man systemd-analyze verify "$T/deb.service" >"$T/verify3" 2>&1
		check "the package's unit passes systemd-analyze verify ($(head -c 300 "$T/verify3"))" test $? -eq 0 -a ! -s "$T/verify3"
		check "the package's unit starts /usr/bin/ctitap -c /etc/ctitap/ctitap.conf" \
			grep -qx "ExecStart=/usr/bin/ctitap -c /etc/ctitap/ctitap.conf" "$T/debroot/usr/lib/systemd/system/ctitap.service"
	else
		tail -n 30 "$T/deb.log"
	fi
else
	skip "dpkg-deb or dpkg-shlibdeps missing (package dpkg-dev): the Debian package is not built"
fi

finish
