#!/usr/bin/env bash
# records-snapshot.sh CTITAP CTITAP_GEN OUTDIR - every record ctitap writes for every capture the
# project knows (the demo captures, the scenario captures and their variants with their settings,
# the Kamailio capture, busy_hour.py's busy hour, a ctitap-gen busy hour on both CSTA links, and
# the public captures in ../shared when present), one plain JSON-lines file per capture in
# OUTDIR. Two snapshots of two builds compared with `diff -r` prove that a change kept the
# records byte for byte (a refactoring), or show exactly which records it changed. Settings in
# $CTITAP_SNAPSHOT_ARGS (words: -X key=value ...) apply to every capture, e.g.
# CTITAP_SNAPSHOT_ARGS="-X capture.workers=2" against a snapshot without them.
set -euo pipefail
ctitap=$(realpath "$1")
gen=$(realpath "$2")
out=$3
root=$(cd "$(dirname "$0")/.." && pwd)
pub="$root/../shared/pcaps/public"
mkdir -p "$out"

# one capture: run ctitap with fixed settings (sensor name: ids must not depend on the host)
snap() {
	local name=$1 pcap=$2
	shift 2
	rm -f "$out/$name.jsonl" # the jsonl output appends: a snapshot taken into OUTDIR before goes
	# shellcheck disable=SC2086 # words on purpose
	"$ctitap" -q -X sensor.name=snapshot ${CTITAP_SNAPSHOT_ARGS:-} "$@" -r "$pcap" -o "jsonl:$out/$name.jsonl" 2>"$out/$name.stderr" ||
		echo "exit $?" >>"$out/$name.stderr"
}

snap demo "$root/pcaps/demo.pcap"
snap demo-csta "$root/pcaps/demo-csta.pcap" -X record.devices=2000-2999
# a scenario capture with the settings of its expect file (prefix: the name's)
scenario() {
	local prefix=$1 exp=$2 name
	name=$(basename "$exp" .expect.json)
	mapfile -t xs < <(python3 -c 'import json,sys
for k, v in json.load(open(sys.argv[1])).get("settings", {}).items():
    print("-X"); print("%s=%s" % (k, v))' "$exp")
	snap "$prefix$name" "$(dirname "$exp")/$name.pcap" "${xs[@]}"
}
for exp in "$root"/pcaps/scenarios/*.expect.json; do
	scenario scenario- "$exp"
done
for exp in "$root"/pcaps/scenarios/variants/*.expect.json; do
	scenario variant- "$exp"
done
snap kamailio-topoh "$root/pcaps/kamailio/kamailio-topoh.pcap"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
python3 "$root/pcaps/gen/busy_hour.py" "$tmp" >/dev/null
scenario "" "$tmp/busy_hour.expect.json"
"$gen" -q -o "$tmp/busy.pcap" --calls 600 --concurrency 250 --talk 20 --scenario mix --csta both --no-rtp
snap busy-hour "$tmp/busy.pcap" -X rtp.enabled=false
snap busy-hour-small "$tmp/busy.pcap" -X rtp.enabled=false -X calls.max=64
"$gen" -q -o "$tmp/rtp.pcap" --calls 40 --concurrency 10 --talk 3 --scenario mix --csta xml
snap gen-rtp "$tmp/rtp.pcap" -X record.devices=2000-2999
if [ -d "$pub" ]; then
	while IFS= read -r f; do
		name=public-$(basename "$f")
		snap "$name" "$f"
	done < <(find "$pub" -type f \( -name '*.pcap' -o -name '*.pcapng' -o -name '*.cap' \) | sort)
fi
echo "snapshot of $(ls "$out"/*.jsonl | wc -l) captures in $out"
