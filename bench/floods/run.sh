#!/usr/bin/env bash
# bench/floods/run.sh - ctitap's memory under each flood of issue 12 (docs/capture.md,
# "Memory under floods"): writes each hostile capture with tests/golden/floodgen.py at full
# size, runs ctitap over it under /usr/bin/time -v and prints frames, wall time and max RSS,
# next to a clean capture of the same kind as the baseline.
#
# Usage: bench/floods/run.sh [CTITAP]   (default build/ctitap; data in bench/floods/data)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
ctitap=${1:-$root/build/ctitap}
data=${BENCH_DATA:-$here/data}
mkdir -p "$data"
command -v /usr/bin/time >/dev/null || { echo "needs /usr/bin/time (Debian: time)"; exit 1; }

ROOT=$root python3 - "$data" <<'PY'
import os, sys
sys.path.insert(0, os.path.join(os.environ["ROOT"], "tests", "golden"))
import floodgen as g
d = sys.argv[1]
def once(name, fn, *a, **k):
    p = os.path.join(d, name)
    if not os.path.exists(p):
        fn(p, *a, **k)
once("sip-big-headers.pcap", g.sip_big_header, 2000, 0, 70 * 1024, every=2) # 1000 INVITEs with 70 KiB of headers
once("sip-big-bodies.pcap", g.sip_big_body, 300 * 1024, count=300)         # 300 messages of 300 KiB
once("csta-fake-links.pcap", g.csta_fake_links, 20000, 1000)                # 20000 idle fake CSTA links
once("tiny-flows.pcap", g.tiny_flows, 140000)                               # 140 000 tiny half-messages
once("future-ts.pcap", g.future_timestamp, 20000)                           # 20 000 calls, one frame in 2096
once("future-ts-clean.pcap", g.future_timestamp, 20000, bogus_at=-1)        # the same without it
once("y10000.pcapng", g.far_future_pcapng, 20000, 2)                        # 40 000 frames past 9999
PY

printf '%-26s %10s %8s %12s\n' capture frames wall_s max_rss_MiB
for f in sip-big-headers.pcap sip-big-bodies.pcap csta-fake-links.pcap tiny-flows.pcap future-ts.pcap future-ts-clean.pcap y10000.pcapng; do
	out=$( { /usr/bin/time -v "$ctitap" -q -r "$data/$f" -o jsonl:/dev/null --stats; } 2>&1 )
	rss=$(sed -n 's/.*Maximum resident set size (kbytes): //p' <<<"$out")
	wall=$(sed -n 's/.*Elapsed (wall clock) time (h:mm:ss or m:ss): //p' <<<"$out")
	pk=$(sed -n 's/^ *packets *\([0-9]*\).*/\1/p' <<<"$out")
	printf '%-26s %10s %8s %12.1f\n' "$f" "$pk" "$wall" "$(echo "$rss / 1024" | bc -l)"
done
