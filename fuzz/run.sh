#!/usr/bin/env bash
# run.sh BUILD_DIR SECONDS - runs every fuzz target of fuzz/CMakeLists.txt's foreach list for
# SECONDS each, CTITAP_FUZZ_JOBS of them at a time (default: one per CPU). fuzz_capture and
# fuzz_pipeline are seeded from the project's captures (and the public ones when ../shared is
# there); the others from fuzz/seeds/<target>/. fuzz/regress/<target>/ is added to every corpus.
# A crash (or undefined behaviour: the fuzz build stops on the first) fails the run and its input
# is kept as fuzz/regress/<target>/<name>, where git keeps it and the replay tests of every build
# run it from then on (commit it with the fix).
set -euo pipefail
build=$(cd "$1" && pwd)
secs=${2:-20}
jobs=${CTITAP_FUZZ_JOBS:-$(nproc)}
root=$(cd "$(dirname "$0")/.." && pwd)
targets=$(sed -n 's/^foreach(target \(.*\))$/\1/p' "$root/fuzz/CMakeLists.txt")
[ -n "$targets" ] || { echo "no targets found in fuzz/CMakeLists.txt"; exit 1; }
# One target: its corpus, its run, its verdict (one line; the log's tail on a crash).
run_target() {
	local t=$1 corpus="$build/corpus-$1"
	mkdir -p "$corpus"
	if [ "$t" = capture ] || [ "$t" = pipeline ]; then
		local seeds=("$root"/pcaps/*.pcap)
		[ -d "$root/../shared/pcaps/public/csta" ] && seeds+=("$root"/../shared/pcaps/public/csta/*.pcap)
		[ -d "$root/../shared/pcaps/public" ] && seeds+=("$root"/../shared/pcaps/public/*.pcap)
		python3 "$root/fuzz/mkcorpus.py" "$corpus" "${seeds[@]}" >/dev/null
	fi
	cp -n "$root"/fuzz/seeds/"$t"/* "$corpus"/ 2>/dev/null || true
	cp -n "$root"/fuzz/regress/"$t"/* "$corpus"/ 2>/dev/null || true
	cd "$build"
	if ! ./fuzz/fuzz_"$t" -max_total_time="$secs" -max_len=8192 -print_final_stats=1 \
		-artifact_prefix="$build/artifact-$t-" "$corpus" >fuzz_"$t".log 2>&1; then
		tail -40 fuzz_"$t".log
		mkdir -p "$root/fuzz/regress/$t"
		for a in "$build"/artifact-"$t"-*; do
			[ -e "$a" ] && cp "$a" "$root/fuzz/regress/$t/$(basename "$a")"
		done
		echo "fuzz_$t failed; its input is kept in fuzz/regress/$t/ (replayed by the tests from now on)"
		return 1
	fi
	echo "fuzz_$t: $(sed -n 's/^stat::number_of_executed_units: *//p' "$build/fuzz_$t.log") inputs in $secs s, no crash"
}

# The targets run $jobs at a time (one per CPU by default: each is single-threaded), so the
# run takes SECONDS x targets / jobs; any failure fails the run once all have finished.
failed=0
running=0
for t in $targets; do
	if [ "$running" -ge "$jobs" ]; then
		wait -n || failed=1
		running=$((running - 1))
	fi
	(run_target "$t") &
	running=$((running + 1))
done
while [ "$running" -gt 0 ]; do
	wait -n || failed=1
	running=$((running - 1))
done
exit "$failed"
