#!/usr/bin/env bash
# test_jsonl.sh BUILD_DIR SOURCE_DIR - the file sink: zstd frames closed at least once a
# second while a run goes on, rotation by size and by time with names that sort, records
# valid against schemas/, and write errors counted. Then its faults (sinks/jsonl.c): a disk
# that fills and frees (whole records only, nothing lost, .zst decodable, no trail of empty
# files), runs appending instead of truncating (a torn tail of an earlier run repaired), two
# runs in one second, planted symbolic links, file modes.
set -u
build=$1
src=$2
emit="$build/ctitap-emit"
tmp=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null; rm -rf "$tmp"' EXIT
pass=0 fail=0
check() { if eval "$2"; then echo "ok: $1"; pass=$((pass + 1)); else echo "FAIL: $1"; fail=$((fail + 1)); fi; }
ns() { python3 -c 'import json,sys; print(" ".join(str(json.loads(l)["n"]) for l in sys.stdin if l.strip()))'; }

# 1. A slow run: records become readable from the .zst file within about a second.
"$emit" -q -o "jsonl:$tmp/live.jsonl.zst" --count 100 --rate 20 &
pid=$!
sleep 2.5
seen=$(zstd -dcq "$tmp/live.jsonl.zst" 2>/dev/null | wc -l)
check "records readable while the run goes on ($seen after 2.5 s at 20/s)" '[ "$seen" -ge 20 ] && [ "$seen" -lt 100 ]'
kill -TERM $pid
wait $pid
rc=$?
total=$(zstd -dcq "$tmp/live.jsonl.zst" | wc -l)
check "SIGTERM ends the run cleanly (rc=$rc) with every emitted record in the file ($total)" \
	'[ $rc -eq 0 ] && [ "$total" -ge "$seen" ] && [ "$(zstd -dcq "$tmp/live.jsonl.zst" | ns)" = "$(seq -s " " 0 $((total - 1)))" ]'

# 1b. A crash (SIGKILL) loses at most the last second: frames are closed every second.
"$emit" -q -o "jsonl:$tmp/killed.jsonl.zst" --count 1000 --rate 50 &
pid=$!
sleep 3.2
kill -KILL $pid
wait $pid 2>/dev/null
kept=$(zstd -dcq "$tmp/killed.jsonl.zst" 2>/dev/null | wc -l)
check "after SIGKILL at 3.2 s, the records of all but the last second are in the file ($kept >= 100)" \
	'[ "$kept" -ge 100 ] && [ "$(zstd -dcq "$tmp/killed.jsonl.zst" 2>/dev/null | ns)" = "$(seq -s " " 0 $((kept - 1)))" ]'

# 2. Size rotation: 1 MiB files, names that sort, nothing lost or reordered.
mkdir -p "$tmp/rot"
"$emit" -q -o "jsonl:$tmp/rot/ctitap.jsonl" -X output.rotate_mb=1 --count 30000 --stats 2>"$tmp/err"
files=$(ls "$tmp/rot" | wc -l)
check "size rotation made several files ($files)" '[ "$files" -ge 5 ]'
check "every file but the last is about 1 MiB" \
	'[ -z "$(ls "$tmp/rot" | head -n -1 | while read -r f; do s=$(stat -c %s "$tmp/rot/$f"); [ $s -ge 1048576 ] && [ $s -lt 1150000 ] || echo bad; done)" ]'
check "rotation counted" 'grep -qE "output_rotations +$((files - 1)) " "$tmp/err"'
check "files in name order hold records 0..29999 in order" \
	'[ "$(ls "$tmp/rot" | sort | while read -r f; do cat "$tmp/rot/$f"; done | ns)" = "$(seq -s " " 0 29999)" ]'
check "names carry UTC time and a counter" 'ls "$tmp/rot" | head -1 | grep -qE "^ctitap-[0-9]{8}T[0-9]{6}Z-000001\.jsonl$"'

# 3. Time rotation: a new file every second while records flow.
mkdir -p "$tmp/trot"
"$emit" -q -o "jsonl:$tmp/trot/t.jsonl.zst" -X output.rotate_s=1 --count 70 --rate 20
tfiles=$(ls "$tmp/trot" | wc -l)
check "time rotation over 3.5 s made 3 to 5 files ($tfiles)" '[ "$tfiles" -ge 3 ] && [ "$tfiles" -le 5 ]'
check "time-rotated files hold every record once, in order" \
	'[ "$(ls "$tmp/trot" | sort | while read -r f; do zstd -dcq "$tmp/trot/$f"; done | ns)" = "$(seq -s " " 0 69)" ]'

# 4. Every record of every type is valid against its schema.
"$emit" -q -o "jsonl:$tmp/all.jsonl" --count 50
check "records of all five types validate" 'python3 "$src/tests/schemas/validate.py" -q "$tmp/all.jsonl" "$tmp/live.jsonl.zst"'

# 5. Disk full: the error is reported and counted, the run ends with 74.
"$emit" -q -o "jsonl:/dev/full" --count 5000 --stats 2>"$tmp/full"
rc=$?
check "a full disk gives exit 74 and a counted, logged error (rc=$rc)" \
	'[ $rc -eq 74 ] && grep -q "error" "$tmp/full" && grep -qE "output_errors +[1-9]" "$tmp/full"'

# 6. Without rotation a run appends: two runs, both sets of records, in order.
"$emit" -q -o "jsonl:$tmp/app.jsonl" --count 100
"$emit" -q -o "jsonl:$tmp/app.jsonl" --count 50 --first 100
check "a second run appends to the output of the first (150 records, in order)" \
	'[ "$(ns <"$tmp/app.jsonl")" = "$(seq -s " " 0 149)" ]'
"$emit" -q -o "jsonl:$tmp/app.jsonl.zst" --count 100
"$emit" -q -o "jsonl:$tmp/app.jsonl.zst" --count 50 --first 100
check "... also zstd: one stream of frames, 150 records" '[ "$(zstd -dcq "$tmp/app.jsonl.zst" | ns)" = "$(seq -s " " 0 149)" ]'

# 7. A torn tail left by a killed run (a line without its newline, a cut zstd frame) is cut
#    off before appending, and said once; the records before it stay.
printf '{"type":"event","n":99' >>"$tmp/app.jsonl"
"$emit" -o "jsonl:$tmp/app.jsonl" --count 10 --first 150 2>"$tmp/torn.err"
check "a torn last line of an earlier run is removed, logged, and the run appends after the last whole record" \
	'[ "$(ns <"$tmp/app.jsonl")" = "$(seq -s " " 0 159)" ] && grep -q "torn write of an earlier run" "$tmp/torn.err"'
zsize=$(stat -c %s "$tmp/app.jsonl.zst")
"$emit" -q -o "jsonl:$tmp/app.jsonl.zst" --count 10 --first 150
truncate -s $(( $(stat -c %s "$tmp/app.jsonl.zst") - 7 )) "$tmp/app.jsonl.zst"
"$emit" -o "jsonl:$tmp/app.jsonl.zst" --count 10 --first 160 2>"$tmp/torn.err"
check "a cut zstd frame is removed: the file decodes whole, with the frames before it and the new one" \
	'zstd -tq "$tmp/app.jsonl.zst" && [ "$(zstd -dcq "$tmp/app.jsonl.zst" | ns)" = "$(seq -s " " 0 149) $(seq -s " " 160 169)" ] && grep -q "zstd frame" "$tmp/torn.err"'

# 8. Two runs in the same second with rotation: two files, neither overwritten.
mkdir -p "$tmp/same"
"$emit" -q -o "jsonl:$tmp/same/r.jsonl" -X output.rotate_s=3600 --count 20
"$emit" -q -o "jsonl:$tmp/same/r.jsonl" -X output.rotate_s=3600 --count 20 --first 20
check "two runs in one second write two files, the second under the next counter" \
	'[ "$(ls "$tmp/same" | wc -l)" -eq 2 ] && [ "$(cat "$tmp/same"/* | ns | tr " " "\n" | sort -n | tr "\n" " ")" = "$(seq -s " " 0 39) " ]'

# 8b. With rotation, the newest file of a run killed in the middle of a write is repaired by
#     the next run before it opens its own.
mkdir -p "$tmp/rotkill"
"$emit" -q -o "jsonl:$tmp/rotkill/r.jsonl.zst" -X output.rotate_s=3600 --count 300 --rate 200 # two frames or more
last=$(ls "$tmp/rotkill" | sort | tail -1)
truncate -s $(( $(stat -c %s "$tmp/rotkill/$last") - 5 )) "$tmp/rotkill/$last"
"$emit" -o "jsonl:$tmp/rotkill/r.jsonl.zst" -X output.rotate_s=3600 --count 10 --first 300 2>"$tmp/rotkill.err"
check "rotation: the cut frame of the newest earlier file is removed before the run goes on (file decodes whole)" \
	'zstd -tq "$tmp/rotkill/$last" && grep -q "zstd frame" "$tmp/rotkill.err" && [ "$(ls "$tmp/rotkill" | wc -l)" -eq 2 ] &&
	 [ "$(zstd -dcq "$tmp/rotkill/$last" | wc -l)" -ge 100 ]'

# 9. Planted symbolic links are not followed; files are created 0640.
echo precious >"$tmp/target"
ln -s "$tmp/target" "$tmp/planted.jsonl"
"$emit" -q -o "jsonl:$tmp/planted.jsonl" --count 5 2>"$tmp/link.err"
rc=$?
check "an output path that is a symbolic link is refused (exit $rc, 73) and its target untouched" \
	'[ $rc -eq 73 ] && [ "$(cat "$tmp/target")" = precious ] && grep -q "symbolic link" "$tmp/link.err"'
(umask 022 && "$emit" -q -o "jsonl:$tmp/mode.jsonl" --count 1)
check "output files are created 0640 under umask 022" '[ "$(stat -c %a "$tmp/mode.jsonl")" = 640 ]'

# 10. The disk fills and frees while records flow: an LD_PRELOAD shim fills the output's
#     directory on demand (a short write, then ENOSPC), as a real small filesystem would.
shim="$build/libctitap_enospc.so"
if [ -f "$shim" ]; then
	for kind in jsonl jsonl.zst; do
		d="$tmp/full-$kind"
		mkdir -p "$d"
		rm -f "$tmp/flag"
		(sleep 1.2; touch "$tmp/flag"; sleep 2.5; rm -f "$tmp/flag") &
		CTITAP_ENOSPC_DIR="$d" CTITAP_ENOSPC_FLAG="$tmp/flag" LD_PRELOAD="$shim" ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0" \
			"$emit" -o "jsonl:$d/out.$kind" --count 2500 --rate 500 --stats 2>"$tmp/full.err"
		rc=$?
		wait
		if [ $kind = jsonl ]; then cat "$d/out.$kind" >"$tmp/full.txt"; else zstd -dcq "$d/out.$kind" >"$tmp/full.txt"; fi
		retries=$(sed -n 's/^ *output_retries *\([0-9]*\).*/\1/p' "$tmp/full.err")
		check "$kind: disk full for 2.5 s mid-run: exit $rc 0, $retries retries, every record once, in order, whole" \
			'[ $rc -eq 0 ] && [ "${retries:-0}" -ge 1 ] && [ "$(ns <"$tmp/full.txt")" = "$(seq -s " " 0 2499)" ]'
		check "$kind: the failures were logged a few times, not once per record ($(grep -c "failed" "$tmp/full.err") lines)" \
			'[ "$(grep -c "failed" "$tmp/full.err")" -ge 1 ] && [ "$(grep -c "failed" "$tmp/full.err")" -le 6 ]'
	done
	check "the .zst file written across the outage decodes whole (zstd -t)" 'zstd -tq "$tmp/full-jsonl.zst/out.jsonl.zst"'
	# rotation every second while the disk is full for 3 s: no trail of empty files
	d="$tmp/full-rot"
	mkdir -p "$d"
	(sleep 1.2; touch "$tmp/flag"; sleep 3; rm -f "$tmp/flag") &
	CTITAP_ENOSPC_DIR="$d" CTITAP_ENOSPC_FLAG="$tmp/flag" LD_PRELOAD="$shim" ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0" \
		"$emit" -q -o "jsonl:$d/r.jsonl.zst" -X output.rotate_s=1 --count 3000 --rate 500
	wait
	empty=$(find "$d" -type f -empty | wc -l)
	check "rotation during a full disk leaves no empty file ($empty) and every record once, in order" \
		'[ "$empty" -eq 0 ] && [ "$(ls "$d" | sort | while read -r f; do zstd -dcq "$d/$f"; done | ns)" = "$(seq -s " " 0 2999)" ]'
	# a disk that stays full: the run ends with 74, the loss counted and said in one line
	touch "$tmp/flag"
	d="$tmp/full-end"
	mkdir -p "$d"
	CTITAP_ENOSPC_DIR="$d" CTITAP_ENOSPC_FLAG="$tmp/flag" LD_PRELOAD="$shim" ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0" \
		"$emit" -q -o "jsonl:$d/x.jsonl" --count 40 --stats 2>"$tmp/end.err"
	rc=$?
	rm -f "$tmp/flag"
	check "a disk full to the end: exit $rc (74), output_errors 40, the file holds no torn bytes" \
		'[ $rc -eq 74 ] && grep -qE "output_errors +40 " "$tmp/end.err" && [ ! -s "$d/x.jsonl" ]'
else
	echo "skip: $shim not built"
fi

echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
