#!/usr/bin/env bash
# test_jsonl.sh BUILD_DIR SOURCE_DIR - the file sink: zstd frames closed at least once a
# second while a run goes on, rotation by size and by time with names that sort, records
# valid against schemas/, and write errors counted.
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

echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
