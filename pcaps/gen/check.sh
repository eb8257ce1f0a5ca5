#!/usr/bin/env bash
# Checks pcaps/demo.pcap:
#  1. determinism: ctitap-gen with the documented options rebuilds it byte
#     for byte;
#  2. an independent dissector (tshark) agrees with what the scenario says
#     is in it: SIP message counts per method and status, RTP streams, no
#     malformed packets, no expert errors/warnings, capinfos is happy.
# Expected counts are derived from the "mix" scenario table (the same table
# as gen_mix_pattern[] in ctitap-gen.c), not from running the generator.
#
# Usage: pcaps/gen/check.sh            (CTITAP_GEN=/path/to/ctitap-gen to
#                                       use a given binary)
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
demo="$root/pcaps/demo.pcap"

# Keep in step with pcaps/README.md.
DEMO_CALLS=6
DEMO_ARGS=(--scenario mix --calls "$DEMO_CALLS" --concurrency 3 --talk 6
           --ring 2000 --seed 1 --start 1767603600)

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0
err() { echo "FAIL: $*" >&2; fail=1; }

for tool in tshark capinfos; do
    command -v "$tool" >/dev/null ||
        { echo "check.sh: $tool missing (apt-get install -y tshark)" >&2; exit 2; }
done

# A given binary, a built one, or compile the single file ourselves so the
# check does not depend on the state of a build tree.
gen=${CTITAP_GEN:-}
if [[ -z $gen ]]; then
    for c in "$root"/build/pcaps/gen/ctitap-gen "$root"/build/ctitap-gen \
             "$root"/build-bench/pcaps/gen/ctitap-gen; do
        if [[ -x $c && $c -nt $here/ctitap-gen.c ]]; then gen=$c; break; fi
    done
fi
if [[ -z $gen ]]; then
    gen="$tmp/ctitap-gen"
    "${CC:-cc}" -std=c11 -O2 -Wall -Wextra -Werror -o "$gen" "$here/ctitap-gen.c"
fi

# 1. Determinism.
"$gen" -q -o "$tmp/demo.pcap" "${DEMO_ARGS[@]}"
if cmp -s "$tmp/demo.pcap" "$demo"; then
    echo "ok: regenerated demo.pcap is byte-identical"
else
    err "regenerated demo.pcap differs from $demo"
fi

# 2. Expected SIP counts, per call, from the scenario's 10-call cycle:
#    outcome of call k is pattern[k % 10].
#    answered: INVITE ACK BYE / 100 180 200(INVITE) 200(BYE)
#    hold:     answered + 2 re-INVITEs, each with 200 + ACK
#    cancel:   INVITE CANCEL ACK / 100 180 200(CANCEL) 487
#    busy:     INVITE ACK / 100 486
#    retx:     answered + the INVITE once more; dup: every SIP frame twice.
pattern=(ans hold cancel retx busy dup ans ans ans ans)
declare -A want=()
for key in INVITE ACK BYE CANCEL 100 180 200 486 487 rtp; do want[$key]=0; done
add() { local k; for k in "$@"; do want[${k%=*}]=$(( want[${k%=*}] + ${k#*=} * mult )); done; }
for ((k = 0; k < DEMO_CALLS; k++)); do
    mult=1
    case ${pattern[k % 10]} in
        ans)    add INVITE=1 ACK=1 BYE=1 100=1 180=1 200=2 rtp=2 ;;
        hold)   add INVITE=3 ACK=3 BYE=1 100=1 180=1 200=4 rtp=2 ;;
        cancel) add INVITE=1 ACK=1 CANCEL=1 100=1 180=1 200=1 487=1 ;;
        busy)   add INVITE=1 ACK=1 100=1 486=1 ;;
        retx)   add INVITE=2 ACK=1 BYE=1 100=1 180=1 200=2 rtp=2 ;;
        dup)    add rtp=2; mult=2; add INVITE=1 ACK=1 BYE=1 100=1 180=1 200=2 ;;
    esac
done

check_file() {
    local f=$1 name=$2
    local stat
    stat=$(tshark -n -r "$f" -q -z sip,stat 2>/dev/null)
    local key got
    for key in INVITE ACK BYE CANCEL; do
        got=$(awk -v m="$key" '$1 == m && $2 == ":" { print $3 }' <<<"$stat")
        [[ ${got:-0} -eq ${want[$key]} ]] ||
            err "$name: SIP $key: got ${got:-0}, want ${want[$key]}"
    done
    for key in 100 180 200 486 487; do
        got=$(awk -v c="$key" '$1 == "SIP" && $2 == c { print $(NF-1) }' <<<"$stat")
        [[ ${got:-0} -eq ${want[$key]} ]] ||
            err "$name: SIP $key responses: got ${got:-0}, want ${want[$key]}"
    done
    # Nothing else: no unexpected methods or status codes.
    local total expect_total=0
    for key in INVITE ACK BYE CANCEL 100 180 200 486 487; do
        expect_total=$(( expect_total + want[$key] ))
    done
    total=$(awk '/Number of SIP messages:/ { print $NF }' <<<"$stat")
    [[ ${total:-0} -eq $expect_total ]] ||
        err "$name: SIP messages: got ${total:-0}, want $expect_total"

    local streams lossy
    streams=$(tshark -n -r "$f" -q -z rtp,streams 2>/dev/null |
              awk '$3 ~ /^[0-9]+\.[0-9]+\.[0-9]+\.[0-9]+$/')
    got=$(grep -c . <<<"$streams" || true)
    [[ $got -eq ${want[rtp]} ]] || err "$name: RTP streams: got $got, want ${want[rtp]}"
    # Columns: start end src port dst port SSRC payload pkts lost (pct) ...;
    # no stream may lose packets nor be flagged with a problem (a trailing
    # "X").
    lossy=$(awk '$10 != 0 || $NF == "X"' <<<"$streams")
    [[ -z $lossy ]] || err "$name: RTP streams with loss/problems: $lossy"

    local malformed expert
    malformed=$(tshark -n -r "$f" -Y '_ws.malformed' 2>/dev/null | wc -l)
    [[ $malformed -eq 0 ]] || err "$name: $malformed malformed packets"
    expert=$(tshark -n -r "$f" -o ip.check_checksum:TRUE -o udp.check_checksum:TRUE \
             -q -z expert 2>/dev/null)
    if grep -qE '^(Errors|Warnings) \(' <<<"$expert"; then
        err "$name: tshark expert errors/warnings:"; echo "$expert" >&2
    fi

    local ci
    if ! ci=$(capinfos -T -m -c -o -a -e -E "$f" 2>&1); then
        err "$name: capinfos failed: $ci"
    else
        grep -q ',True' <<<"$(capinfos -T -m -o "$f")" ||
            err "$name: capinfos: packets not in strict time order"
        grep -q ',ether$' <<<"$(capinfos -T -m -E "$f")" ||
            err "$name: capinfos: encapsulation is not Ethernet"
    fi
    echo "$name: SIP INVITE=${want[INVITE]} ACK=${want[ACK]} BYE=${want[BYE]}" \
         "CANCEL=${want[CANCEL]} 100=${want[100]} 180=${want[180]} 200=${want[200]}" \
         "486=${want[486]} 487=${want[487]}, RTP streams=${want[rtp]}: checked"
}

check_file "$demo" demo.pcap

if [[ $fail -ne 0 ]]; then
    echo "check.sh: FAILED" >&2
    exit 1
fi
echo "check.sh: all checks passed"
