#!/usr/bin/env bash
# run.sh BUILD_DIR SECONDS - seeds each fuzz target from the project's captures (and the
# public ones when ../shared is there), then runs it for SECONDS. A crash fails the run and
# leaves its input in BUILD_DIR/crash-*; copy it to fuzz/regress/<target>/ once fixed.
set -euo pipefail
build=$(cd "$1" && pwd)
secs=${2:-20}
root=$(cd "$(dirname "$0")/.." && pwd)
seeds=("$root"/pcaps/*.pcap)
[ -d "$root/../shared/pcaps/public" ] && seeds+=("$root"/../shared/pcaps/public/*.pcap)
corpus="$build/corpus-capture"
python3 "$root/fuzz/mkcorpus.py" "$corpus" "${seeds[@]}" >/dev/null
cp -n "$root"/fuzz/regress/capture/* "$corpus"/ 2>/dev/null || true
cd "$build"
if ! ./fuzz/fuzz_capture -max_total_time="$secs" -max_len=8192 -print_final_stats=1 "$corpus" >fuzz_capture.log 2>&1; then
	tail -40 fuzz_capture.log
	echo "fuzz_capture found a crash: $(ls "$build"/crash-* 2>/dev/null)"
	exit 1
fi
echo "fuzz_capture: $(sed -n 's/^stat::number_of_executed_units: *//p' fuzz_capture.log) inputs in $secs s, no crash"
