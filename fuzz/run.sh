#!/usr/bin/env bash
# run.sh BUILD_DIR SECONDS - seeds each fuzz target from the project's captures (and the
# public ones when ../shared is there), then runs it for SECONDS. New crashers are left
# in BUILD_DIR/crash-* and fail the run.
set -euo pipefail
build=$1
secs=${2:-20}
root=$(cd "$(dirname "$0")/.." && pwd)
seeds=("$root"/pcaps/*.pcap)
[ -d "$root/../shared/pcaps/public" ] && seeds+=("$root"/../shared/pcaps/public/*.pcap)
corpus="$build/corpus-capture"
python3 "$root/fuzz/mkcorpus.py" "$corpus" "${seeds[@]}" >/dev/null
cp -n "$root"/fuzz/regress/capture/* "$corpus"/ 2>/dev/null || true
(cd "$build" && ./fuzz/fuzz_capture -max_total_time="$secs" -max_len=8192 -print_final_stats=1 "$corpus" \
	2>&1 | grep -E '^(stat::number_of_executed_units|stat::peak_rss_mb|==.*ERROR|SUMMARY)' || true)
if ls "$build"/fuzz/crash-* "$build"/crash-* >/dev/null 2>&1; then
	echo "fuzz_capture found a crash:"; ls "$build"/crash-* "$build"/fuzz/crash-* 2>/dev/null
	exit 1
fi
