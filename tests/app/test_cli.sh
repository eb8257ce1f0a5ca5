#!/bin/bash
# test_cli.sh - the ctitap command as a user meets it: the exit codes documented in usage()
# (sysexits.h values), each failure explained by one "ctitap: error:" line on stderr, the
# ways to give input and output, and the final stats record.
#
# usage: test_cli.sh PATH/TO/ctitap SOURCE_DIR
# Input captures are written here with python3 (classic pcap, Ethernet/IPv4), so every
# expected count follows from what this script put in them; pcaps/demo.pcap is used too
# when present.
set -u

BIN=${1:?usage: test_cli.sh CTITAP SOURCE_DIR}
SRC=${2:?usage: test_cli.sh CTITAP SOURCE_DIR}
T=$(mktemp -d /tmp/ctitap-cli.XXXXXX)
trap 'rm -rf "$T"' EXIT
chmod 755 "$T" # the unprivileged run below must reach the files here

pass=0
fail=0
ok() { echo "ok: $*"; pass=$((pass + 1)); }
bad() { echo "FAIL: $*"; fail=$((fail + 1)); }
skip() { echo "skip: $*"; }
# check DESCRIPTION COMMAND...: passes when COMMAND succeeds.
check() {
	local desc=$1
	shift
	if "$@"; then ok "$desc"; else bad "$desc"; fi
}

# run COMMAND...: stdout to $T/out, stderr to $T/err, exit status in $rc.
rc=0
run() {
	"$@" >"$T/out" 2>"$T/err"
	rc=$?
}

# A log line starts with the wall-clock time in UTC (util/log.h): "2026-01-05T09:00:00.123Z ".
ERR="^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3}Z ctitap: error: "

# One clear line: stderr is exactly one line, "<time> ctitap: error: ...", matching the ERE.
one_error_line() {
	local ere=$1
	[ "$(wc -l <"$T/err")" -eq 1 ] && grep -Eq "${ERR}.*${ere}" "$T/err"
}

# expect_fail DESC CODE ERE COMMAND...: exit status CODE and one_error_line ERE.
expect_fail() {
	local desc=$1 code=$2 ere=$3
	shift 3
	run "$@"
	if [ "$rc" -ne "$code" ]; then
		bad "$desc: exit $rc, expected $code (stderr: $(head -c 300 "$T/err"))"
	elif ! one_error_line "$ere"; then
		bad "$desc: exit $code but stderr is not one 'ctitap: error:' line matching /$ere/: $(head -c 300 "$T/err")"
	else
		ok "$desc: exit $code, '$(cat "$T/err")'"
	fi
}

# Validates every line of a JSON-lines file and every stats record in it; prints the
# `packets` of the last stats record. The record contract: type=stats, v=1, a sensor
# name, ts as RFC 3339 UTC with exactly six fractional digits and Z, an id, packets.
cat >"$T/stats.py" <<'PY'
import datetime, json, re, sys
recs = []
with open(sys.argv[1], "rb") as f:
    for n, line in enumerate(f, 1):
        if not line.endswith(b"\n"):
            sys.exit("line %d has no newline" % n)
        try:
            recs.append(json.loads(line.decode("utf-8")))
        except Exception as e:
            sys.exit("line %d is not JSON: %s" % (n, e))
stats = [r for r in recs if isinstance(r, dict) and r.get("type") == "stats"]
if not stats:
    sys.exit("no stats record")
ts_re = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$")
for r in stats:
    if r.get("v") != 1:
        sys.exit("stats v is %r" % r.get("v"))
    if not isinstance(r.get("sensor"), str) or not r["sensor"]:
        sys.exit("stats sensor is %r" % r.get("sensor"))
    ts = r.get("ts")
    if not isinstance(ts, str) or not ts_re.match(ts):
        sys.exit("stats ts is %r" % ts)
    datetime.datetime.strptime(ts, "%Y-%m-%dT%H:%M:%S.%fZ")  # a real date and time
    if not isinstance(r.get("id"), str) or not r["id"]:
        sys.exit("stats id is %r" % r.get("id"))
    p = r.get("packets")
    if not isinstance(p, int) or isinstance(p, bool) or p < 0:
        sys.exit("stats packets is %r" % p)
last = stats[-1]
field = sys.argv[2] if len(sys.argv) > 2 else "packets"
print(last[field])
PY

# stats_field FILE [FIELD]: the field of the last stats record, or "invalid: why".
stats_field() {
	python3 "$T/stats.py" "$@" 2>&1 | tail -n 1
}

# expect_packets DESC FILE N: FILE holds valid stats records, the last with packets=N.
expect_packets() {
	local got
	got=$(stats_field "$2")
	if [ "$got" = "$3" ]; then ok "$1: packets=$3"; else bad "$1: packets '$got', expected $3"; fi
}

# ---- input captures ------------------------------------------------------------------
# small.pcap: 7 frames starting 2026-01-05T09:00:00Z (1767603600 s), 100 ms apart:
# 5 IPv4/UDP, 1 ARP request, 1 ICMP echo. small2.pcap: 3 IPv4/UDP frames an hour later.
# The cut files are small.pcap ending inside the 7th record's data or its 16-byte header.
python3 - "$T" <<'PY' || { echo "FAIL: cannot write test captures"; echo "0 passed, 1 failed"; exit 1; }
import struct, sys
out = sys.argv[1]

def csum(b):
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF

MAC_A = bytes.fromhex("020000000001")
MAC_B = bytes.fromhex("020000000002")
IP_A = bytes([10, 1, 0, 1])
IP_B = bytes([10, 1, 1, 10])

def eth(etype, payload):
    return MAC_B + MAC_A + struct.pack("!H", etype) + payload

def ipv4(proto, payload, ident):
    h = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(payload), ident, 0, 64, proto, 0, IP_A, IP_B)
    return h[:10] + struct.pack("!H", csum(h)) + h[12:] + payload

def udp(sport, dport, payload):
    # checksum 0: "no checksum" for UDP over IPv4 (RFC 768)
    return struct.pack("!HHHH", sport, dport, 8 + len(payload), 0) + payload

def icmp_echo():
    body = struct.pack("!BBHHH", 8, 0, 0, 1, 1) + b"ping"
    return body[:2] + struct.pack("!H", csum(body)) + body[4:]

def arp():
    return struct.pack("!HHBBH6s4s6s4s", 1, 0x0800, 6, 4, 1, MAC_A, IP_A, b"\0" * 6, IP_B)

def pcap(frames, t0):
    b = struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1)
    offsets = []
    for i, f in enumerate(frames):
        us = t0 * 1000000 + i * 100000
        offsets.append(len(b))
        b += struct.pack("<IIII", us // 1000000, us % 1000000, len(f), len(f)) + f
    return b, offsets

t0 = 1767603600
sip = b"OPTIONS sip:2000@10.1.1.10 SIP/2.0\r\nContent-Length: 0\r\n\r\n"
frames = [eth(0x0800, ipv4(17, udp(5060, 5060, sip), 1)),
          eth(0x0806, arp()),
          eth(0x0800, ipv4(17, udp(40000, 40002, b"x" * 160), 2)),
          eth(0x0800, ipv4(1, icmp_echo(), 3)),
          eth(0x0800, ipv4(17, udp(40000, 40002, b"y" * 160), 4)),
          eth(0x0800, ipv4(17, udp(40000, 40002, b"z" * 160), 5)),
          eth(0x0800, ipv4(17, udp(5060, 5060, sip), 6))]
small, offs = pcap(frames, t0)
open(out + "/small.pcap", "wb").write(small)
open(out + "/cut-data.pcap", "wb").write(small[:len(small) - 10])
open(out + "/cut-hdr.pcap", "wb").write(small[:offs[-1] + 8])
small2, _ = pcap([eth(0x0800, ipv4(17, udp(40000, 40002, b"w" * 160), 10 + i)) for i in range(3)], t0 + 3600)
open(out + "/small2.pcap", "wb").write(small2)
PY
SMALL=$T/small.pcap
SMALL_N=7           # frames in small.pcap
SMALL_UDP=5         # of which UDP
SMALL_LAST_TS=2026-01-05T09:00:00.600000Z # 7th frame: t0 + 6 x 100 ms
SMALL2_N=3
printf 'this is a text file, not a capture\n' >"$T/text.txt"
DEMO=$SRC/pcaps/demo.pcap
[ -f "$DEMO" ] || DEMO=

# ---- documented exit codes -------------------------------------------------------------
run "$BIN" --help
check "--help exits 0 with the usage text on stdout" \
	test "$rc" -eq 0 -a -s "$T/out" -a ! -s "$T/err"
check "--help starts with Usage:" grep -q '^Usage: ctitap' "$T/out"
# every exit code tested below is one usage() documents
codes=$(tr '\n' ' ' <"$T/out" | sed -n 's/.*Exit codes:\(.*\)/\1/p')
for c in 0 1 64 65 66 73 74 77 78; do
	check "usage() documents exit code $c" grep -Eq "(^|[ ;])$c " <<<"$codes"
done

VERSION=$(sed -n 's/^project(ctitap VERSION \([0-9][0-9.]*\).*/\1/p' "$SRC/CMakeLists.txt")
run "$BIN" --version
check "--version prints 'ctitap $VERSION' and exits 0" \
	test "$rc" -eq 0 -a "$(cat "$T/out")" = "ctitap $VERSION" -a -n "$VERSION"

run "$BIN" --bogus -r "$SMALL"
if [ "$rc" -eq 64 ] && head -n 1 "$T/err" | grep -q -- "--bogus" && grep -q '^Usage: ctitap' "$T/err" &&
	[ ! -s "$T/out" ]; then
	ok "unknown option --bogus: exit 64, first stderr line names it, usage follows, nothing on stdout"
else
	bad "unknown option --bogus: exit $rc, stderr: $(head -n 2 "$T/err")"
fi
run "$BIN" -Y -r "$SMALL"
check "unknown option -Y: exit 64" test "$rc" -eq 64
run "$BIN"
if [ "$rc" -eq 64 ] && head -n 1 "$T/err" | grep -Eq "${ERR}.*-r FILE or -i IFACE"; then
	ok "no input at all: exit 64, first stderr line asks for -r or -i"
else
	bad "no input at all: exit $rc, stderr: $(head -n 1 "$T/err")"
fi

expect_fail "bad BPF filter 'port foo'" 64 "filter.*port foo" "$BIN" -r "$SMALL" port foo
expect_fail "nonexistent capture file" 66 "$T/nope.pcap" "$BIN" -r "$T/nope.pcap"
expect_fail "a text file is not a capture" 65 "$T/text.txt" "$BIN" -r "$T/text.txt"

for cut in cut-data cut-hdr; do
	expect_fail "capture cut mid-record ($cut)" 65 "$T/$cut.pcap.*truncated" \
		"$BIN" -r "$T/$cut.pcap" -o "jsonl:$T/$cut.jsonl"
	expect_packets "capture cut mid-record ($cut): the 6 whole records before the cut are read" \
		"$T/$cut.jsonl" $((SMALL_N - 1))
	got=$(stats_field "$T/$cut.jsonl" file_errors)
	check "capture cut mid-record ($cut): file_errors=1" test "$got" = 1
done

expect_fail "unknown setting -X no.such=1" 78 "no\.such" "$BIN" -X no.such=1 -r "$SMALL"
expect_fail "malformed -X capture.snaplen=abc" 78 "capture\.snaplen.*abc" "$BIN" -X capture.snaplen=abc -r "$SMALL"
expect_fail "-X without '='" 78 "capture\.snaplen" "$BIN" -X capture.snaplen -r "$SMALL"
printf '# ctitap settings\n\nflow.max = 2048\ndedup.window_ms = often\n' >"$T/bad.conf"
expect_fail "settings file with a bad line" 78 "$T/bad\.conf:4:.*dedup\.window_ms" "$BIN" -c "$T/bad.conf" -r "$SMALL"
expect_fail "bad numbers.rules" 78 "numbers\.rules: rule 1 '0\[12-11\]=>\+49'" "$BIN" -X 'numbers.rules=0[12-11]=>+49' -r "$SMALL"
printf 'record.devices = 2001-2099\nrecord.devices = 2099-2001\n' >"$T/badrec.conf"
expect_fail "settings file with a bad record.devices" 78 "$T/badrec\.conf:2:.*record\.devices: range '2099-2001'" \
	"$BIN" -c "$T/badrec.conf" -r "$SMALL"
expect_fail "unknown librdkafka property, without a Kafka output" 78 "kafka\.no\.such\.prop.*no such property" \
	"$BIN" -X kafka.no.such.prop=1 -r "$SMALL"
expect_fail "bad librdkafka value" 78 "kafka\.acks" "$BIN" -X kafka.acks=several -r "$SMALL"
printf '[kafka]\nsasl.passwd = "x"\n' >"$T/kafka.conf"
expect_fail "unknown librdkafka property in a [kafka] section" 78 "kafka\.sasl\.passwd.*no such property" \
	"$BIN" -c "$T/kafka.conf" -r "$SMALL"
run "$BIN" -s 0 --help-settings
check "-s 0 is tcpdump's default snap length, 262144" grep -Eq '^ +capture\.snaplen +262144 ' "$T/out"
expect_fail "-s 10 is refused" 78 "capture\.snaplen.*or 0" "$BIN" -s 10 -r "$SMALL"
printf 'sensor.name = from-env\n' >"$T/env.conf"
run env CTITAP_CONFIG="$T/env.conf" "$BIN" -r "$SMALL"
got=$(stats_field "$T/out" sensor)
check "CTITAP_CONFIG names the settings file read without -c" test "$got" = from-env
run env CTITAP_CONFIG="$T/env.conf" "$BIN" -c /dev/null -r "$SMALL"
got=$(stats_field "$T/out" sensor)
check "-c /dev/null reads no settings" test "$got" != from-env
expect_fail "missing settings file" 78 "$T/missing\.conf" "$BIN" -c "$T/missing.conf" -r "$SMALL"
expect_fail "output in a nonexistent directory" 73 "/nonexistent/x\.jsonl" \
	"$BIN" -r "$SMALL" -o jsonl:/nonexistent/x.jsonl
expect_fail "unknown output kind" 64 "mqtt:x" "$BIN" -r "$SMALL" -o mqtt:x
mkdir -p "$T/confdir"
expect_fail "-c naming a directory" 78 "$T/confdir: it is a directory" "$BIN" -c "$T/confdir" -r "$SMALL"
# Kafka settings and the spool directory are checked before any packet is read (an
# unreachable broker is fine: records would wait in the spool).
KAFKA=kafka:127.0.0.1:9
expect_fail "a kafka.* setting librdkafka refuses" 78 "setting kafka\.no\.such\.property: librdkafka has no such" \
	"$BIN" -r "$SMALL" -o $KAFKA -X kafka.no.such.property=1 -X kafka.spool.dir="$T/spool-bad"
expect_fail "a malformed kafka.* value" 78 "setting kafka\.acks: Invalid value" \
	"$BIN" -r "$SMALL" -o $KAFKA -X kafka.acks=maybe -X kafka.spool.dir="$T/spool-bad"
echo x >"$T/notadir"
expect_fail "a spool directory that cannot be created" 73 "spool directory $T/notadir/spool" \
	"$BIN" -r "$SMALL" -o $KAFKA -X kafka.spool.dir="$T/notadir/spool"
mkdir -p "$T/spool-busy"
( flock -x 9; sleep 5 ) 9>"$T/spool-busy/lock" &
sleep 0.3
expect_fail "a spool directory another ctitap uses" 73 "in use by another ctitap process" \
	"$BIN" -r "$SMALL" -o $KAFKA -X kafka.spool.dir="$T/spool-busy"
kill %1 2>/dev/null
wait 2>/dev/null
run "$BIN" -r "$SMALL" -o $KAFKA -o jsonl:/dev/null -X kafka.spool.dir="$T/spool-weak" -X kafka.exit_timeout_ms=0 \
	-X kafka.acks=1 -X kafka.enable.idempotence=false
check "settings that weaken delivery are warned about at start (acks=1, enable.idempotence=false), exit 0" \
	eval '[ $rc -eq 0 ] && grep -q "kafka.acks=1 weakens delivery" "$T/err" && grep -q "kafka.enable.idempotence=false weakens delivery" "$T/err"'

if [ "$(id -u)" -eq 0 ]; then
	expect_fail "nonexistent interface -i nosuchif0" 66 "nosuchif0" timeout 20 "$BIN" -i nosuchif0 -o jsonl:/dev/null
else
	# libpcap opens its socket before it looks the device up, so without privilege the
	# answer is "permission denied" whatever the name
	skip "nonexistent interface: needs root to get past the socket permission check"
fi

drop=()
if [ "$(id -u)" -eq 0 ]; then
	if command -v setpriv >/dev/null; then
		drop=(setpriv --reuid=nobody --regid=nogroup --clear-groups)
	elif command -v runuser >/dev/null; then
		drop=(runuser -u nobody --)
	fi
fi
if [ "$(id -u)" -ne 0 ] || [ ${#drop[@]} -gt 0 ]; then
	expect_fail "live capture on lo without privilege" 77 "permission.*lo|lo.*permission" \
		timeout 20 "${drop[@]}" "$BIN" -i lo -o jsonl:/dev/null
	cp "$SMALL" "$T/secret.pcap"
	chmod 000 "$T/secret.pcap"
	mkdir "$T/locked" && chmod 555 "$T/locked"
	expect_fail "unreadable capture file" 77 "$T/secret\.pcap.*[Pp]ermission" \
		"${drop[@]}" "$BIN" -r "$T/secret.pcap" -o jsonl:/dev/null
	expect_fail "output in a directory without write permission" 77 "$T/locked/x\.jsonl.*[Pp]ermission" \
		"${drop[@]}" "$BIN" -r "$SMALL" -o "jsonl:$T/locked/x.jsonl"
else
	skip "live capture without privilege: neither setpriv nor runuser found"
fi

if [ -w /dev/full ]; then
	# every write to /dev/full fails with ENOSPC
	expect_fail "output write fails (/dev/full)" 74 "/dev/full" "$BIN" -r "$SMALL" -o jsonl:/dev/full
else
	skip "output write failure: /dev/full not writable"
fi

# ---- inputs ------------------------------------------------------------------------------
run "$BIN" -r "$SMALL"
check "-r FILE without -o: exit 0, JSON lines on stdout, nothing on stderr" test "$rc" -eq 0 -a ! -s "$T/err"
cp "$T/out" "$T/plain-stdout.jsonl"
expect_packets "-r FILE" "$T/plain-stdout.jsonl" $SMALL_N
got=$(stats_field "$T/plain-stdout.jsonl" ts)
check "stats ts is the newest packet time ($SMALL_LAST_TS)" test "$got" = "$SMALL_LAST_TS"
got=$(stats_field "$T/plain-stdout.jsonl" type)
check "stats record type=stats" test "$got" = stats

run "$BIN" -r - <"$SMALL"
check "-r - reads standard input: exit 0" test "$rc" -eq 0
expect_packets "-r -" "$T/out" $SMALL_N

run "$BIN" -r "$SMALL" -r "$T/small2.pcap"
check "two -r files: exit 0" test "$rc" -eq 0
expect_packets "two -r files add up" "$T/out" $((SMALL_N + SMALL2_N))
# in order, and a bad file stops the run where it stands (as tcpdump does)
run "$BIN" -r "$SMALL" -r "$T/nope.pcap" -r "$T/small2.pcap"
check "-r good -r missing -r good: exit 66" test "$rc" -eq 66
expect_packets "-r good -r missing -r good: only the first file was read" "$T/out" $SMALL_N
run "$BIN" -r "$T/nope.pcap" -r "$SMALL"
check "-r missing -r good: exit 66" test "$rc" -eq 66
expect_packets "-r missing -r good: nothing read after the missing file" "$T/out" 0

run "$BIN" -X sensor.name=tap-test -r "$SMALL"
got=$(stats_field "$T/out" sensor)
check "-X sensor.name=tap-test names the sensor in the stats record" test "$got" = tap-test
printf '# comment\n  sensor.name = from-file  # why\n\n' >"$T/good.conf"
run "$BIN" -c "$T/good.conf" -r "$SMALL"
got=$(stats_field "$T/out" sensor)
check "-c FILE sets sensor.name" test "$got" = from-file
run "$BIN" -c "$T/good.conf" -X sensor.name=from-x -r "$SMALL"
got=$(stats_field "$T/out" sensor)
check "-X wins over -c" test "$got" = from-x

# ---- filter ----------------------------------------------------------------------------
# libpcap applies the filter before ctitap sees a frame, so `packets` counts what passed.
run "$BIN" -r "$SMALL" udp
check "-r FILE udp: exit 0" test "$rc" -eq 0
expect_packets "-r FILE udp counts the $SMALL_UDP UDP frames written" "$T/out" $SMALL_UDP
if command -v tshark >/dev/null; then
	n=$(tshark -n -r "$SMALL" -Y udp 2>/dev/null | wc -l)
	expect_packets "-r small.pcap udp matches tshark -Y udp ($n)" "$T/out" "$n"
	if [ -n "$DEMO" ]; then
		# A BPF `udp` looks for the IP header right after the Ethernet header, so it does not
		# match 802.1Q-tagged frames (pcap-filter(7), "vlan"); tshark's `udp` does. Compare
		# like with like: untagged UDP, and `udp or (vlan and udp)` against all UDP.
		run "$BIN" -r "$DEMO" udp
		n=$(tshark -n -r "$DEMO" -Y 'udp && !vlan' 2>/dev/null | wc -l)
		expect_packets "demo.pcap: -r FILE udp matches tshark -Y 'udp && !vlan' ($n)" "$T/out" "$n"
		run "$BIN" -r "$DEMO" 'udp or (vlan and udp)'
		n=$(tshark -n -r "$DEMO" -Y udp 2>/dev/null | wc -l)
		expect_packets "demo.pcap: 'udp or (vlan and udp)' matches tshark -Y udp ($n)" "$T/out" "$n"
	fi
else
	skip "tshark not installed: UDP frame count not compared with tshark -Y udp"
fi
run "$BIN" -r "$SMALL" arp
expect_packets "-r FILE arp" "$T/out" 1

# ---- outputs ------------------------------------------------------------------------------
run "$BIN" -r "$SMALL" -o "jsonl:$T/a.jsonl" -o "jsonl:$T/b.jsonl.zst" -o "jsonl:$T/c.jsonl"
check "three -o outputs: exit 0, nothing on stdout" test "$rc" -eq 0 -a ! -s "$T/out"
check "-o jsonl:F.zst starts with the zstd frame magic (28 b5 2f fd)" \
	test "$(head -c 4 "$T/b.jsonl.zst" | od -An -tx1 | tr -d ' \n')" = 28b52ffd
if command -v zstd >/dev/null; then
	zstd -q -dc "$T/b.jsonl.zst" >"$T/b.jsonl" 2>"$T/zerr"
	check "zstd -dc decodes the .zst output" test $? -eq 0 -a ! -s "$T/zerr"
	check "the .zst output decodes to the same JSON lines as the plain output" cmp -s "$T/a.jsonl" "$T/b.jsonl"
else
	skip "zstd not installed: .zst output not decoded"
fi
check "several -o outputs get identical records" cmp -s "$T/a.jsonl" "$T/c.jsonl"
check "-o output equals the stdout output of the same input" cmp -s "$T/a.jsonl" "$T/plain-stdout.jsonl"
expect_packets "-o jsonl:F" "$T/a.jsonl" $SMALL_N
run "$BIN" -r "$SMALL" -o jsonl:-
check "-o jsonl:- writes to stdout" cmp -s "$T/out" "$T/a.jsonl"

# ---- --stats ------------------------------------------------------------------------------
run "$BIN" -r "$SMALL" --stats -o "jsonl:$T/s.jsonl"
check "--stats: exit 0" test "$rc" -eq 0
check "--stats prints a table with 'packets $SMALL_N' on stderr" grep -Eq "^ +packets +$SMALL_N( |$)" "$T/err"
check "--stats keeps stdout clean" test ! -s "$T/out"
expect_packets "--stats run still writes the stats record" "$T/s.jsonl" $SMALL_N
run "$BIN" -q -r "$T/cut-data.pcap"
check "-q still prints the error of a cut capture" grep -Eq "$ERR" "$T/err"

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
