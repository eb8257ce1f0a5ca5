#!/bin/bash
# test_privs.sh CTITAP - privileges as the kernel reports them (/proc/PID/status of every
# thread), for a live capture on lo:
#  - started as root with -Z nobody (and a Kafka output, whose librdkafka threads must hold
#    nothing either): uids and gids nobody's, no capability in any set, no_new_privs; the
#    capture still sees the traffic; files rotated and reopened (SIGHUP) afterwards are nobody's;
#  - started as nobody from a copy with file capabilities (setcap cap_net_raw,cap_net_admin+ep):
#    captures, then holds no capability;
#  - refusals: an output directory nobody cannot write (77, at start), an unknown user (78),
#    an ordinary user asking to become another (77).
# Needs root (skips with 77 otherwise); the binary may be the build's or an installed one.
set -u
. "$(dirname "$0")/common.sh"
BIN=${1:?usage: test_privs.sh CTITAP}
need_root "capturing and changing user"
need setpriv "running as nobody (util-linux)"
need setcap "file capabilities (libcap2-bin)"
T=$(mktemp -d /tmp/ctitap-privs.XXXXXX)
chmod 755 "$T"
trap 'kill $(jobs -p) 2>/dev/null; rm -rf "$T"' EXIT
NOBODY_UID=$(id -u nobody)
NOBODY_GID=$(id -g nobody)

# status PID FIELD: FIELD of every thread of PID, one line each (e.g. "0000000000000000")
status() { cat /proc/"$1"/task/*/status 2>/dev/null | awk -v f="$2:" '$1 == f { $1 = ""; print substr($0, 2) }'; }
# all_are PID FIELD VALUE: every thread's FIELD is VALUE
all_are() { [ -n "$(status "$1" "$2")" ] && [ -z "$(status "$1" "$2" | grep -vx "$3")" ]; }
# wait_capture PID: the capture is open once the process has a packet socket
wait_capture() {
	for _ in $(seq 100); do
		ls -l /proc/"$1"/fd 2>/dev/null | grep -q socket && return 0
		sleep 0.1
	done
	return 1
}
send_udp() {
	python3 - "$1" <<'PY'
import socket, sys, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for i in range(20):
    s.sendto(b"OPTIONS sip:%d@127.0.0.1 SIP/2.0\r\n\r\n" % i, ("127.0.0.1", int(sys.argv[1])))
    time.sleep(0.01)
PY
}
packets() { tail -n 1 "$1" | python3 -c 'import json, sys; print(json.load(sys.stdin)["packets"])' 2>/dev/null; }
zero=0000000000000000

# ---- root -> -Z nobody -------------------------------------------------------------------------
mkdir "$T/out" && chown nobody "$T/out"
port=$((40000 + RANDOM % 20000))
"$BIN" -i lo -Z nobody -o "jsonl:$T/out/live.jsonl" -o kafka:127.0.0.1:9 -X "kafka.spool.dir=$T/out/spool" \
	-X kafka.exit_timeout_ms=0 -X kafka.log_level=0 -X output.rotate_s=1 -X sip.events_all=true -X http.listen= \
	"udp port $port" 2>"$T/err" &
pid=$!
wait_capture $pid
sleep 1
threads=$(ls /proc/$pid/task | wc -l)
check "-Z nobody: Uid and Gid are nobody's in all $threads threads (Kafka's included)" \
	all_are $pid Uid "$NOBODY_UID $NOBODY_UID $NOBODY_UID $NOBODY_UID" &&
	all_are $pid Gid "$NOBODY_GID $NOBODY_GID $NOBODY_GID $NOBODY_GID"
check "-Z nobody: the threads are more than one (librdkafka's: $threads)" test "$threads" -gt 1
for cap in CapInh CapPrm CapEff CapBnd CapAmb; do
	check "-Z nobody: $cap is empty in every thread ($(status $pid $cap | sort -u | tr '\n' ' '))" all_are $pid $cap $zero
done
check "-Z nobody: no_new_privs" all_are $pid NoNewPrivs 1
check "-Z nobody: no supplementary group but nobody's own ($(status $pid Groups | sort -u | tr '\n' ' '))" \
	test -z "$(status $pid Groups | tr ' \t' '\n\n' | grep -v "^$NOBODY_GID\$" | grep .)"
send_udp $port
sleep 1.2 # a rotation (output.rotate_s=1) after the drop, then a reopen
kill -HUP $pid
sleep 0.5
send_udp $port
sleep 0.3
kill -TERM $pid
wait $pid
rc=$?
check "-Z nobody: exit 0 on SIGTERM (rc=$rc; $(head -c 300 "$T/err"))" test $rc -eq 0
check "-Z nobody: the capture saw the 40 datagrams ($(cat "$T"/out/live-*.jsonl | tail -n 1 | grep -o '"packets":[0-9]*'))" \
	test "$(cat "$T"/out/live-*.jsonl | tail -n 1 | python3 -c 'import json, sys; print(json.load(sys.stdin)["packets"])')" = 40
check "files opened, rotated and reopened after the drop are all nobody's ($(ls "$T"/out/live-*.jsonl | wc -l) files, and the spool)" \
	test -z "$(find "$T/out" ! -user nobody)" -a "$(ls "$T"/out/live-*.jsonl | wc -l)" -ge 3

# ---- file capabilities, started as nobody ------------------------------------------------------------
mkdir "$T/bin" "$T/out2" && chown nobody "$T/out2"
cp "$BIN" "$T/bin/ctitap"
chmod 755 "$T/bin/ctitap"
setcap cap_net_raw,cap_net_admin+ep "$T/bin/ctitap"
check "setcap gave the copy its file capabilities ($(getcap "$T/bin/ctitap"))" \
	sh -c "getcap '$T/bin/ctitap' | grep -q 'cap_net_admin,cap_net_raw=ep'"
port=$((40000 + RANDOM % 20000))
setpriv --reuid=nobody --regid=nogroup --clear-groups "$T/bin/ctitap" -i lo -o "jsonl:$T/out2/caps.jsonl" \
	-X http.listen= "udp port $port" 2>"$T/err2" &
pid=$!
wait_capture $pid
sleep 0.3
check "file capabilities: runs as nobody" all_are $pid Uid "$NOBODY_UID $NOBODY_UID $NOBODY_UID $NOBODY_UID"
for cap in CapPrm CapEff CapAmb; do
	check "file capabilities: $cap empty once the capture is open ($(status $pid $cap | sort -u | tr '\n' ' '))" \
		all_are $pid $cap $zero
done
check "file capabilities: no_new_privs" all_are $pid NoNewPrivs 1
send_udp $port
sleep 0.3
kill -TERM $pid
wait $pid
rc=$?
check "file capabilities: exit 0 (rc=$rc; $(head -c 300 "$T/err2"))" test $rc -eq 0
check "file capabilities: the capture saw the 20 datagrams ($(packets "$T/out2/caps.jsonl"))" test "$(packets "$T/out2/caps.jsonl")" = 20
setpriv --reuid=nobody --regid=nogroup --clear-groups "$BIN" -i lo -o jsonl:/dev/null -X http.listen= 2>"$T/err3"
check "the same binary without file capabilities cannot capture: exit 77" test $? -eq 77

# ---- refusals -----------------------------------------------------------------------------------------
mkdir "$T/rootonly" && chmod 755 "$T/rootonly"
"$BIN" -i lo -Z nobody -o "jsonl:$T/rootonly/x.jsonl" -X http.listen= 2>"$T/err4"
rc=$?
check "-Z nobody with an output directory only root can write: exit 77 at start ($(head -c 200 "$T/err4"))" \
	test $rc -eq 77 && grep -q "cannot create $T/rootonly/x.jsonl: Permission denied" "$T/err4"
"$BIN" -i lo -Z no-such-user-ctitap -o jsonl:/dev/null -X http.listen= 2>"$T/err5"
check "-Z with an unknown user: exit 78" test $? -eq 78 && grep -q "no such user 'no-such-user-ctitap'" "$T/err5"
setpriv --reuid=nobody --regid=nogroup --clear-groups "$BIN" -r /dev/null -Z daemon 2>"$T/err6"
check "an ordinary user asking -Z for another user: exit 77" test $? -eq 77 && grep -q "only root can become" "$T/err6"

finish
