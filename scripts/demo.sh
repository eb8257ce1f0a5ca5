#!/usr/bin/env bash
# demo.sh - the README's first command: install what is missing, build, and run ctitap on
# the bundled capture pcaps/demo-csta.pcap, writing its records to zstd-compressed JSON lines.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
cd "$CTITAP_ROOT"

ctitap_install $CTITAP_BUILD_PKGS
ctitap_build build-release -DCMAKE_BUILD_TYPE=Release -DBUILD_TESTING=OFF

mkdir -p out
out="$CTITAP_ROOT/out/demo.jsonl.zst"
# the agents' extensions are recorded (compliance recording); CTI's national numbers are German
./build-release/ctitap -q -r pcaps/demo-csta.pcap -o "jsonl:$out" --stats \
	-X record.devices=2000-2099 -X numbers.country_code=49
echo
echo "records written to $out; the call records (one per customer call, for QA dashboards):"
zstdcat "$out" | grep '"type":"call"' | cut -c1-400
echo
echo "read them all with:  zstdcat $out | less"
# the same calls as web pages: an index and a ladder diagram per call (docs/view.md)
./build-release/ctitap -q --html out/calls "$out"
echo "or look at them:     open out/calls/index.html in a browser"
