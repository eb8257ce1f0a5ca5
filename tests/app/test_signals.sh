#!/bin/bash
# test_signals.sh CTITAP CTITAP_GEN - signals as an operator meets them, on a generated busy
# capture (100 calls with CSTA links, 33 s) replayed at a few times its speed:
#  - `ctitap ... -o jsonl:- | head -1` ends at once, quietly, with exit 0;
#  - SIGHUP while logrotate moves the files away, again and again: the records across all the
#    files (plain and zstd) are exactly those of a run without SIGHUP, none lost, none doubled;
#  - SIGHUP after the settings file changed: record.devices applies from then on, no call lost;
#    a settings file that does not parse changes nothing and the run goes on;
#  - SIGINT: the calls in progress are written, then the final stats record, exit 0;
#  - SIGHUP after the input ended, while http.linger_s keeps the pages up: the pipeline's tables
#    are gone by then (a SIGHUP there wrote into a freed call table; ASan/valgrind saw it).
set -u
. "$(dirname "$0")/common.sh"
BIN=${1:?usage: test_signals.sh CTITAP CTITAP_GEN}
GEN=${2:?usage: test_signals.sh CTITAP CTITAP_GEN}
need zstd "decoding the .zst outputs"
T=$(mktemp -d /tmp/ctitap-signals.XXXXXX)
trap 'kill $(jobs -p) 2>/dev/null; rm -rf "$T"' EXIT

CAP=$T/busy.pcap
"$GEN" -q -o "$CAP" --calls 100 --concurrency 50 --talk 5 --scenario mix --csta both || {
	bad "ctitap-gen could not write the capture"
	finish
	exit
}
TOTAL=$(python3 -c 'import sys; d = open(sys.argv[1], "rb").read(); import struct
n = 0; o = 24
while o + 16 <= len(d):
    n += 1; o += 16 + struct.unpack_from("<I", d, o + 8)[0]
print(n)' "$CAP")
# field FILE NAME: NAME of the last record (the final stats record) of a JSON-lines file
field() { tail -n 1 "$1" | python3 -c 'import json, sys; print(json.loads(sys.stdin.read()).get(sys.argv[1]))' "$2"; }
count_type() { python3 -c 'import json, sys
print(sum(json.loads(l)["type"] == sys.argv[2] for l in open(sys.argv[1])))' "$1" "$2"; }

# ---- | head -1 ------------------------------------------------------------------------------
"$BIN" -r "$CAP" -X capture.replay_speed=4 -o jsonl:- -o "jsonl:$T/all.jsonl" 2>"$T/head.err" | head -n 1 >"$T/first"
rc=${PIPESTATUS[0]}
check "| head -1: exit 0 (rc=$rc)" test "$rc" -eq 0
check "| head -1: nothing on stderr ($(head -c 200 "$T/head.err"))" test ! -s "$T/head.err"
check "| head -1: head got the first record" cmp -s "$T/first" <(head -n 1 "$T/all.jsonl")
got=$(field "$T/all.jsonl" packets)
check "| head -1: the run ended when the reader left ($got of $TOTAL frames read; final stats written to the other output)" \
	test "$got" -lt "$TOTAL" -a "$(field "$T/all.jsonl" final)" = True
"$BIN" -r "$CAP" 2>"$T/head2.err" | head -n 1 >/dev/null
rc=${PIPESTATUS[0]}
check "| head -1 at full speed, stdout the only output: exit 0, stderr empty (rc=$rc)" test "$rc" -eq 0 -a ! -s "$T/head2.err"

# ---- SIGHUP with logrotate ----------------------------------------------------------------------
printf '[record]\ndevices = "2000-2999"\n' >"$T/same.conf"
"$BIN" -c "$T/same.conf" -r "$CAP" -o "jsonl:$T/ref.jsonl" 2>"$T/ref.err"
check "reference run: exit 0" test $? -eq 0
mkdir "$T/rot"
"$BIN" -v -c "$T/same.conf" -r "$CAP" -X capture.replay_speed=6 -o "jsonl:$T/rot/out.jsonl" \
	-o "jsonl:$T/rot/out.jsonl.zst" 2>"$T/hup.err" &
pid=$!
n=0
sleep 0.4
while kill -0 $pid 2>/dev/null && [ $n -lt 40 ]; do
	n=$((n + 1))
	mv "$T/rot/out.jsonl" "$T/rot/out.jsonl.$n" 2>/dev/null
	mv "$T/rot/out.jsonl.zst" "$T/rot/out.$n.jsonl.zst" 2>/dev/null
	kill -HUP $pid 2>/dev/null
	sleep 0.5
done
wait $pid
rc=$?
check "SIGHUP x $n during the replay: exit 0 (rc=$rc)" test "$rc" -eq 0
check "each SIGHUP was acted on ($(grep -c 'SIGHUP: reopening' "$T/hup.err") of $n logged)" \
	test "$(grep -c 'SIGHUP: reopening' "$T/hup.err")" -ge $((n - 1)) -a $n -ge 5
check "no error or warning on stderr" test -z "$(grep -E ' (error|warning): ' "$T/hup.err")"
ids "$T/ref.jsonl" >"$T/ref.ids"
plain=$(ls "$T/rot/out.jsonl" "$T"/rot/out.jsonl.[0-9]* 2>/dev/null) # not out.jsonl.zst
ids $plain >"$T/plain.ids"
ids "$T"/rot/*.zst >"$T/zst.ids"
check "the plain files together hold the reference run's records: $(wc -l <"$T/plain.ids") ids in $(echo $plain | wc -w) files, $(wc -l <"$T/ref.ids") in the reference, none lost or doubled" \
	cmp -s "$T/ref.ids" "$T/plain.ids"
check "so do the zstd files ($(ls "$T"/rot/*.zst | wc -l) files, every frame complete)" cmp -s "$T/ref.ids" "$T/zst.ids"
# byte for byte but the final stats record, whose output_rotations counts the reopens
check "the records are the reference's byte for byte (the stats record but its output_rotations)" \
	cmp -s <(sed 's/"output_rotations":[0-9]*,//' "$T/ref.jsonl" | sort) \
	<(cat $plain | sed 's/"output_rotations":[0-9]*,//' | sort)

# ---- SIGHUP rereads record.* --------------------------------------------------------------------
printf '[record]\ndevices = ""\n' >"$T/rec.conf"
"$BIN" -c "$T/rec.conf" -r "$CAP" -o "jsonl:$T/norec.jsonl" 2>/dev/null
"$BIN" -v -c "$T/rec.conf" -r "$CAP" -X capture.replay_speed=8 -o "jsonl:$T/rec.jsonl" 2>"$T/rec.err" &
pid=$!
sleep 1
printf '[record]\ndevices = "2000-2999\n' >"$T/rec.conf" # unterminated quote
kill -HUP $pid
sleep 0.5
printf '[record]\ndevices = "*"\n' >"$T/rec.conf"
kill -HUP $pid
wait $pid
rc=$?
check "reload run: exit 0 (rc=$rc)" test "$rc" -eq 0
check "a settings file that does not parse is refused with its line, the run goes on" \
	grep -Eq "error: settings not reread, those in force stay: $T/rec.conf:2: no closing" "$T/rec.err"
check "the good one is reread" grep -q "record.\* and numbers.\* reread from $T/rec.conf" "$T/rec.err"
norec=$(count_type "$T/norec.jsonl" recording)
rec=$(count_type "$T/rec.jsonl" recording)
check "record.devices=* applies after SIGHUP: $rec recording records (none without it: $norec)" \
	test "$rec" -gt 0 -a "$norec" -eq 0
# a record's id hashes its content, recordings included: a call is named by its call id
# (sip-..., from its first leg), its start and its SIP dialogs
calls() { python3 -c 'import json, sys
for l in open(sys.argv[1]):
    r = json.loads(l)
    if r["type"] == "call": print(r["call"], r["start"], " ".join(sorted(r["sip"])))' "$1" | sort; }
calls "$T/norec.jsonl" >"$T/norec.calls"
calls "$T/rec.jsonl" >"$T/rec.calls"
check "no call lost or doubled across the reload ($(wc -l <"$T/rec.calls") call records, same calls)" \
	cmp -s "$T/norec.calls" "$T/rec.calls"

# ---- SIGINT ----------------------------------------------------------------------------------------
"$BIN" -r "$CAP" -X capture.replay_speed=8 -o "jsonl:$T/int.jsonl" 2>"$T/int.err" &
pid=$!
sleep 1.5
kill -INT $pid
wait $pid
rc=$?
check "SIGINT: exit 0 (rc=$rc), nothing on stderr" test "$rc" -eq 0 -a ! -s "$T/int.err"
check "SIGINT: the last record is the final stats record" test "$(field "$T/int.jsonl" final)" = True
started=$(field "$T/int.jsonl" calls)
written=$(count_type "$T/int.jsonl" call)
read_frames=$(field "$T/int.jsonl" packets)
check "SIGINT mid-run ($read_frames of $TOTAL frames): every call started has its record ($written of $started)" \
	test "$read_frames" -lt "$TOTAL" -a "$started" -gt 0 -a "$written" -eq "$started"

# ---- SIGTERM on a quiet pipe -----------------------------------------------------------------------
# `tcpdump -w - | ctitap -r -` on a quiet link: SIGTERM must end the run at once, cleanly, also with
# the capture workers (whose threads once left the signal to one that waits, while the reading
# one stayed blocked on the pipe until a packet came; on one thread the read it interrupted was
# reported as a read error, exit 65). A SIGHUP there goes on reading (it restarts the read).
python3 -c 'import struct, sys; sys.stdout.buffer.write(struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1))' \
	>"$T/hdr.pcap"
head -c $((24 + 16 + $(python3 -c 'import struct, sys; print(struct.unpack_from("<I", open(sys.argv[1], "rb").read(), 32)[0])' "$CAP"))) "$CAP" \
	| tail -c +25 >"$T/frame1"
for w in 1 2; do
	mkfifo "$T/quiet$w"
	"$BIN" -r "$T/quiet$w" -X capture.workers=$w -o "jsonl:$T/quiet$w.jsonl" 2>"$T/quiet$w.err" &
	pid=$!
	exec 3>"$T/quiet$w"
	cat "$T/hdr.pcap" >&3
	sleep 1
	kill -HUP $pid
	sleep 0.5
	cat "$T/frame1" >&3 # read after the SIGHUP: the read went on
	sleep 0.5
	t0=$(date +%s%N)
	kill -TERM $pid
	for _ in $(seq 100); do kill -0 $pid 2>/dev/null || break; sleep 0.02; done
	ms=$((($(date +%s%N) - t0) / 1000000))
	alive=$(kill -0 $pid 2>/dev/null && echo yes || echo no)
	exec 3>&-
	wait $pid
	rc=$?
	check "SIGTERM on a quiet pipe, capture.workers=$w: ended within 2 s (${ms} ms, still running: $alive), exit 0 (rc=$rc)" \
		test "$alive" = no -a "$rc" -eq 0
	check "SIGTERM on a quiet pipe, capture.workers=$w: the final stats record, the frame read after a SIGHUP counted ($(field "$T/quiet$w.jsonl" packets)), nothing on stderr" \
		test "$(field "$T/quiet$w.jsonl" final)" = True -a "$(field "$T/quiet$w.jsonl" packets)" = 1 -a ! -s "$T/quiet$w.err"
done

# ---- SIGHUP while lingering ------------------------------------------------------------------------
"$BIN" -v -r "$CAP" -X http.listen=127.0.0.1:0 -X http.linger_s=5 -o "jsonl:$T/linger.jsonl" 2>"$T/linger.err" &
pid=$!
for _ in $(seq 200); do grep -q "input ended" "$T/linger.err" && break; sleep 0.1; done
kill -HUP $pid
sleep 0.5
kill -INT $pid
wait $pid
rc=$?
check "SIGHUP while lingering after the input: acted on, exit 0 (rc=$rc)" \
	test "$rc" -eq 0 -a "$(grep -c 'record.\* and numbers.\* reread' "$T/linger.err")" -eq 1

finish
