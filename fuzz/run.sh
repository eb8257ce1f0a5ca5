#!/usr/bin/env bash
# run.sh BUILD_DIR SECONDS - runs every fuzz target of fuzz/CMakeLists.txt's foreach list for
# SECONDS each. fuzz_capture is seeded from the project's captures (and the public ones when
# ../shared is there); the others from fuzz/seeds/<target>/. fuzz/regress/<target>/ is added
# to every corpus. A crash (or undefined behaviour: the fuzz build stops on the first) fails the
# run and its input is kept as fuzz/regress/<target>/<name>, where git keeps it and the replay
# tests of every build run it from then on (commit it with the fix).
set -euo pipefail
build=$(cd "$1" && pwd)
secs=${2:-20}
root=$(cd "$(dirname "$0")/.." && pwd)
targets=$(sed -n 's/^foreach(target \(.*\))$/\1/p' "$root/fuzz/CMakeLists.txt")
[ -n "$targets" ] || { echo "no targets found in fuzz/CMakeLists.txt"; exit 1; }
for t in $targets; do
	corpus="$build/corpus-$t"
	mkdir -p "$corpus"
	if [ "$t" = capture ] || [ "$t" = pipeline ]; then
		seeds=("$root"/pcaps/*.pcap)
		[ -d "$root/../shared/pcaps/public/csta" ] && seeds+=("$root"/../shared/pcaps/public/csta/*.pcap)
		[ -d "$root/../shared/pcaps/public" ] && seeds+=("$root"/../shared/pcaps/public/*.pcap)
		python3 "$root/fuzz/mkcorpus.py" "$corpus" "${seeds[@]}" >/dev/null
	fi
	cp -n "$root"/fuzz/seeds/"$t"/* "$corpus"/ 2>/dev/null || true
	cp -n "$root"/fuzz/regress/"$t"/* "$corpus"/ 2>/dev/null || true
	(
		cd "$build"
		if ! ./fuzz/fuzz_"$t" -max_total_time="$secs" -max_len=8192 -print_final_stats=1 \
			-artifact_prefix="$build/artifact-$t-" "$corpus" >fuzz_"$t".log 2>&1; then
			tail -40 fuzz_"$t".log
			mkdir -p "$root/fuzz/regress/$t"
			for a in "$build"/artifact-"$t"-*; do
				[ -e "$a" ] && cp "$a" "$root/fuzz/regress/$t/$(basename "$a")"
			done
			echo "fuzz_$t failed; its input is kept in fuzz/regress/$t/ (replayed by the tests from now on)"
			exit 1
		fi
	)
	echo "fuzz_$t: $(sed -n 's/^stat::number_of_executed_units: *//p' "$build/fuzz_$t.log") inputs in $secs s, no crash"
done
