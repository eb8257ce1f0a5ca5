#!/usr/bin/env bash
# bench/csta/run.sh [CALLS] - CSTA decoding speed: a capture of CALLS simulated calls with both a
# CSTA XML and a CSTA BER link (ctitap-gen --csta both --no-rtp, so CSTA and SIP are most of the
# packets), then CSTA messages per second of ctitap beside tshark's generic XML dissection of the
# same file (tshark has no CSTA dissector: XML on the link's port is the nearest thing it does).
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
calls=${1:-3000}
build="$root/build-bench"
[ -f "$build/build.ninja" ] || cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DBUILD_TESTING=OFF >/dev/null
ninja -C "$build" ctitap ctitap-gen >/dev/null
mkdir -p "$root/bench/data"
f="$root/bench/data/csta-$calls.pcap"
[ -f "$f" ] || "$build/pcaps/gen/ctitap-gen" -q -o "$f" --scenario mix --calls "$calls" --concurrency 100 \
	--talk 3 --ring 1000 --csta both --no-rtp
best() { # best wall time of 3 runs of the command
	local b=999999
	for _ in 1 2 3; do
		local s e
		s=$(date +%s.%N)
		"$@" >/dev/null 2>&1
		e=$(date +%s.%N)
		b=$(python3 -c "print(min($b, $e - $s))")
	done
	echo "$b"
}
msgs=$("$build/ctitap" -q -r "$f" -o jsonl:- | tail -1 | python3 -c 'import json,sys; print(json.load(sys.stdin)["csta_messages"])')
t_ct=$(best "$build/ctitap" -q -r "$f" -o jsonl:/dev/null)
printf '%-44s %10s %9s %14s\n' tool messages seconds messages/s
printf '%-44s %10s %9.3f %14.0f\n' "ctitap (CSTA BER + XML, SIP, records)" "$msgs" "$t_ct" "$(python3 -c "print($msgs/$t_ct)")"
if command -v tshark >/dev/null; then
	xmlmsgs=$(tshark -n -r "$f" -d tcp.port==1040,xml -Y xml -T fields -e frame.number 2>/dev/null | wc -l)
	t_ts=$(best tshark -n -r "$f" -d tcp.port==1040,xml -Y xml -T fields -e xml.tag)
	printf '%-44s %10s %9.3f %14.0f\n' "tshark XML dissection of the XML link only" "$xmlmsgs" "$t_ts" "$(python3 -c "print($xmlmsgs/$t_ts)")"
fi
echo "capture: $f ($(capinfos -c "$f" 2>/dev/null | sed -n 's/.*packets: *//p') packets)"
