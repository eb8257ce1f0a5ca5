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
./build-release/ctitap -q -r pcaps/demo-csta.pcap -o "jsonl:$out" --stats
echo
echo "records written to $out"
echo "read them with:  zstdcat $out | head"
