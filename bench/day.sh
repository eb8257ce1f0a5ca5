#!/usr/bin/env bash
# bench/day.sh - a day of a contact centre through the file path, in bounded memory: ctitap-gen
# writes a million calls of a 2 000-agent centre (SIP and CSTA on an XML and a BER link, no RTP)
# to a pipe, ctitap reads it with -r - and writes every record to a zstd JSON-lines file; the
# capture (7.6 GB) never touches the disk. ctitap's resident memory is sampled every 5 s: it must
# stay flat from the first minutes to the end.
#
# Usage: bench/day.sh [--calls N] [--out FILE]
#   --calls N   calls of the day (default 1000000; 2 000 at once, 3 min talk, 8 s ring)
#   --out FILE  the records (default: a temporary file, removed at the end)
# Environment: BENCH_BUILD (build-bench: ctitap and ctitap-gen, built Release if missing).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
build=${BENCH_BUILD:-$root/build-bench}
calls=1000000
out=
while [[ $# -gt 0 ]]; do
	case $1 in
	--calls) calls=$2; shift 2 ;;
	--out) out=$2; shift 2 ;;
	-h | --help) sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
	*) echo "day.sh: unknown argument $1" >&2; exit 2 ;;
	esac
done
[[ $calls =~ ^[1-9][0-9]*$ ]] || { echo "day.sh: --calls must be a number >= 1" >&2; exit 2; }
log() { echo "day.sh: $*" >&2; }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
if [[ ! -f $build/build.ninja ]]; then
	cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DBUILD_TESTING=ON >"$tmp/build.log" 2>&1 ||
		{ tail -n 20 "$tmp/build.log" >&2; log "cmake failed"; exit 1; }
fi
ninja -C "$build" ctitap ctitap-gen >"$tmp/build.log" 2>&1 || { tail -n 20 "$tmp/build.log" >&2; log "build failed"; exit 1; }
[[ -n $out ]] || out=$tmp/day.jsonl.zst

log "$calls calls, 2 000 at once, streamed into ctitap -r - (a million take ~4 min on 2 vCPUs)"
t0=$(date +%s.%N)
"$build/pcaps/gen/ctitap-gen" -q -o - --scenario mix --calls "$calls" --concurrency 2000 --talk 180 --ring 8000 \
	--csta both --no-rtp |
	/usr/bin/time -f "%e %U %S %M" -o "$tmp/time" "$build/ctitap" -q -r - -o "jsonl:$out" --stats 2>"$tmp/stats" &
timer=$! # /usr/bin/time, whose child is ctitap
sleep 1
pid=$(pgrep -P "$timer" | head -n 1 || true)
: >"$tmp/rss"
while [[ -n $pid ]] && kill -0 "$pid" 2>/dev/null; do
	awk '/^VmRSS/ { print $2 }' "/proc/$pid/status" >>"$tmp/rss" 2>/dev/null || true
	sleep 5
done
wait
t1=$(date +%s.%N)
read -r wall user sys peak <"$tmp/time"
counter() { awk -v k="$1" '$1 == k { print $2; exit }' "$tmp/stats"; }
packets=$(counter packets)
echo "day: $calls calls, $packets packets ($(counter sip_messages) SIP, $(counter csta_messages) CSTA messages)," \
	"$(counter records) records, $(du -h "$out" | cut -f1) of zstd JSON lines"
echo "day: ctitap $wall s wall, $user s user, $sys s sys ($(echo "$packets / $wall" | bc) packets/s);" \
	"load average $(cut -d' ' -f1 /proc/loadavg) at the end"
echo "day: peak RSS $peak KiB; sampled every 5 s after the first: $(tail -n +2 "$tmp/rss" | sort -n | head -n 1)-$(sort -n "$tmp/rss" | tail -n 1) KiB over $(wc -l <"$tmp/rss") samples"
printf "day: whole run %.1f s\n" "$(echo "$t1 - $t0" | bc)"
