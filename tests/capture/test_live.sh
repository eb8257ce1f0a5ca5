#!/usr/bin/env bash
# test_live.sh CTITAP - live capture on the loopback interface: ctitap -i lo with a BPF
# filter sees exactly the datagrams a sender puts on the wire, ends cleanly on SIGTERM with
# its stats record, and reports the kernel's drop counters. Needs root (CAP_NET_RAW);
# skips (77) without it.
set -u
ctitap=$1
[ "$(id -u)" -eq 0 ] || { echo "SKIP: live capture needs root"; exit 77; }
tmp=$(mktemp -d)
trap '[ -n "${KEEP:-}" ] || rm -rf "$tmp"' EXIT
pass=0 fail=0
check() { if eval "$2"; then echo "ok: $1"; pass=$((pass + 1)); else echo "FAIL: $1"; fail=$((fail + 1)); fi; }
stat() { tr ',{}' '\n\n\n' <"$tmp/out.jsonl" | sed -n "s/^\"$1\":\([0-9]*\)$/\1/p" | tail -1; }

port=$((40000 + RANDOM % 20000))
"$ctitap" -q -i lo -o "jsonl:$tmp/out.jsonl" "udp port $port" 2>"$tmp/err" &
pid=$!
# tcpdump writes the same traffic to a file: replaying it must give the same records
tcpdump -i lo --immediate-mode --time-stamp-precision=nano -U -w "$tmp/lo.pcap" "udp port $port" 2>/dev/null &
tpid=$!
# the capture is open once the kernel lists a packet socket for the process
# both captures are open once the kernel lists a packet socket for each process
for _ in $(seq 100); do
	ls -l /proc/$pid/fd 2>/dev/null | grep -q socket && ls -l /proc/$tpid/fd 2>/dev/null | grep -q socket && break
	sleep 0.1
done
sleep 0.5
python3 - "$port" <<'PY'
import socket, sys, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for i in range(20):
    s.sendto(b"OPTIONS sip:%d@127.0.0.1 SIP/2.0\r\n\r\n" % i, ("127.0.0.1", int(sys.argv[1])))
    time.sleep(0.01)
PY
sleep 0.5
kill -TERM $pid
wait $pid
rc=$?
kill -TERM $tpid
wait $tpid
check "ctitap -i lo ends with 0 on SIGTERM (rc=$rc, $(head -c 200 "$tmp/err"))" '[ $rc -eq 0 ]'
check "20 frames through the filter (packets=$(stat packets))" '[ "$(stat packets)" = 20 ]'
check "20 UDP datagrams in one flow" '[ "$(stat udp)" = 20 ] && [ "$(stat flows_udp)" = 1 ]'
check "kernel drop counters reported" '[ -n "$(stat pcap_drop)" ] && [ -n "$(stat pcap_ifdrop)" ]'
check "stats record is the last line" 'tail -1 "$tmp/out.jsonl" | grep -q "\"type\":\"stats\""'
"$ctitap" -q -r "$tmp/lo.pcap" -o "jsonl:$tmp/replay.jsonl"
check "replaying tcpdump's file of the same traffic gives the live run's records byte for byte" \
	'cmp -s "$tmp/out.jsonl" "$tmp/replay.jsonl"'
echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
