#!/usr/bin/env bash
# bench/run.sh - capture-path benchmark: reads one generated SIP/RTP capture
# with tcpdump, tshark, bench-pcaploop and ctitap and prints a table of
# best-of-N wall time, throughput and peak RSS.  See bench/README.md.
#
# Usage: bench/run.sh [--packets N] [--runs N] [--tshark-packets N]
# Environment (flags win): BENCH_PACKETS (3000000), BENCH_CONCURRENCY (200),
#   BENCH_TALK (30 s), BENCH_SEED (1), BENCH_RUNS (3),
#   BENCH_TSHARK_PACKETS (300000; 0 = give tshark the full file),
#   BENCH_BUILD (build-bench), BENCH_DATA (bench/data).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
build=${BENCH_BUILD:-$root/build-bench}
data=${BENCH_DATA:-$here/data}
packets=${BENCH_PACKETS:-3000000}
concurrency=${BENCH_CONCURRENCY:-200}
talk=${BENCH_TALK:-30}
seed=${BENCH_SEED:-1}
runs=${BENCH_RUNS:-3}
tshark_packets=${BENCH_TSHARK_PACKETS:-300000}

usage() { sed -n '2,11p' "$0" | sed 's/^# \{0,1\}//'; }
while [[ $# -gt 0 ]]; do
    case $1 in
        --packets) packets=$2; shift 2 ;;
        --runs) runs=$2; shift 2 ;;
        --tshark-packets) tshark_packets=$2; shift 2 ;;
        -h|--help) usage; exit 0 ;;
        *) echo "run.sh: unknown argument $1" >&2; usage >&2; exit 2 ;;
    esac
done
for v in packets concurrency runs tshark_packets seed; do
    [[ ${!v} =~ ^[0-9]+$ ]] || { echo "run.sh: $v must be a number" >&2; exit 2; }
done
[[ $talk =~ ^[0-9]+$ && $talk -gt 0 ]] || { echo "run.sh: BENCH_TALK must be whole seconds > 0" >&2; exit 2; }
[[ $runs -ge 1 && $packets -ge 1000 ]] || { echo "run.sh: need runs >= 1, packets >= 1000" >&2; exit 2; }

log() { echo "run.sh: $*" >&2; }

# --- tools ------------------------------------------------------------------
missing=()
command -v tcpdump >/dev/null || missing+=(tcpdump)
command -v tshark >/dev/null || missing+=(tshark)
command -v capinfos >/dev/null || missing+=(tshark)
[[ -x /usr/bin/time ]] || missing+=(time)
command -v cmake >/dev/null || missing+=(cmake)
command -v ninja >/dev/null || missing+=(ninja-build)
pkg-config --exists libpcap 2>/dev/null || missing+=(libpcap-dev pkg-config)
if [[ ${#missing[@]} -gt 0 ]]; then
    if [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null; then
        log "installing ${missing[*]}"
        export DEBIAN_FRONTEND=noninteractive
        apt-get install -y -qq "${missing[@]}" >/dev/null 2>&1 ||
            { apt-get update -qq >/dev/null 2>&1 &&
              apt-get install -y -qq "${missing[@]}" >/dev/null 2>&1; } ||
            log "could not install ${missing[*]}; continuing without"
    else
        log "missing ${missing[*]} (not root: install them yourself)"
    fi
fi
command -v capinfos >/dev/null || { log "capinfos (tshark package) is required"; exit 1; }
[[ -x /usr/bin/time ]] || { log "/usr/bin/time (package time) is required"; exit 1; }

# --- release build ------------------------------------------------------------
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
gen_flags=(-G Ninja)
command -v ninja >/dev/null || gen_flags=()
cmake_build() { # src-dir build-dir [cmake-args...]
    local src=$1 dir=$2; shift 2
    cmake -S "$src" -B "$dir" "${gen_flags[@]}" -DCMAKE_BUILD_TYPE=Release "$@" \
        >"$tmp/build.log" 2>&1 &&
        cmake --build "$dir" >>"$tmp/build.log" 2>&1
}
# Prefer the top-level build's binaries; the stand-alone ones are a fallback
# for when the project does not build (yet).
find_exe() { # name [dir]
    find "${2:-$build}" -path '*/standalone-*' -prune -o -type f -name "$1" -perm -u+x -print \
        2>/dev/null | head -n 1
}

if [[ -f $root/CMakeLists.txt ]]; then
    # Tests are not needed to benchmark, and skipping them keeps a
    # half-written test from blocking the run.
    if ! cmake_build "$root" "$build" -DBUILD_TESTING=OFF; then
        log "top-level release build failed (last lines below); using stand-alone builds where needed"
        tail -n 5 "$tmp/build.log" | sed 's/^/    /' >&2
    fi
fi
gen=$(find_exe ctitap-gen)
if [[ -z $gen ]]; then
    cmake_build "$root/pcaps/gen" "$build/standalone-gen" ||
        { cat "$tmp/build.log" >&2; log "cannot build ctitap-gen"; exit 1; }
    gen=$build/standalone-gen/ctitap-gen
fi
loop=$(find_exe bench-pcaploop)
if [[ -z $loop ]]; then
    cmake_build "$here" "$build/standalone-bench" ||
        { cat "$tmp/build.log" >&2; log "cannot build bench-pcaploop"; exit 1; }
    loop=$build/standalone-bench/bench-pcaploop
fi
ctitap=""
[[ -x $build/ctitap ]] && ctitap=$build/ctitap

# --- captures (regenerated only when parameters or generator change) --------
mkdir -p "$data"
gen_rev=$(sha256sum "$root/pcaps/gen/ctitap-gen.c" | cut -c1-12)
# Captures made by an older generator are never reused; drop them rather
# than let hundreds of MiB pile up.
for old in "$data"/bench-p*.pcap; do
    [[ -e $old && $old != *-"$gen_rev".pcap ]] && rm -f "$old" "$old.cmd"
done
make_capture() { # packets -> prints path
    local want=$1
    # Mostly RTP: with the mix scenario ~80 % of calls are answered and an
    # answered call carries ~100 RTP packets per second of talk.
    local calls=$(( want / (talk * 80) ))
    (( calls < 1 )) && calls=1
    local args=(--scenario mix --calls "$calls" --concurrency "$concurrency"
                --talk "$talk" --seed "$seed")
    local f="$data/bench-p$want-c$concurrency-t$talk-s$seed-$gen_rev.pcap"
    if [[ ! -s $f ]]; then
        log "generating $f"
        "$gen" -q -o "$f.tmp" "${args[@]}"
        mv "$f.tmp" "$f"
        echo "ctitap-gen ${args[*]}" >"$f.cmd"
    fi
    echo "$f"
}
main_file=$(make_capture "$packets")
tshark_file=$main_file
if [[ $tshark_packets -gt 0 && $tshark_packets -lt $packets ]]; then
    tshark_file=$(make_capture "$tshark_packets")
fi

declare -A npk nbytes
file_info() { # path -> fills npk/nbytes
    local line
    line=$(capinfos -T -r -c -d -M "$1")
    npk[$1]=$(cut -f2 <<<"$line")
    nbytes[$1]=$(cut -f3 <<<"$line")
}
file_info "$main_file"
[[ $tshark_file != "$main_file" ]] && file_info "$tshark_file"

# --- timing -------------------------------------------------------------------
results=()

# bench LABEL FILE CMD... : best wall time of $runs runs, max peak RSS.
bench() {
    local label=$1 file=$2; shift 2
    cat "$file" >/dev/null # warm page cache: we measure CPU, not the disk
    local best="" rss_max=0 i t0 t1 ns rss reported="-"
    for ((i = 0; i < runs; i++)); do
        t0=$(date +%s%N)
        if ! /usr/bin/time -f %M -o "$tmp/rss" "$@" >"$tmp/out" 2>"$tmp/err"; then
            log "$label failed:"; sed 's/^/    /' "$tmp/err" >&2
            results+=("$(printf '%-34s %s' "$label" "FAILED")")
            return
        fi
        t1=$(date +%s%N)
        ns=$(( t1 - t0 ))
        [[ -z $best || $ns -lt $best ]] && best=$ns
        rss=$(tail -n 1 "$tmp/rss")
        (( rss > rss_max )) && rss_max=$rss
    done
    # The tool's own packet count where it prints one (pcaploop, ctitap).
    # Forms: "packets=N" (pcaploop), "packets   N  frames read" (ctitap
    # --stats table), "packets":N (JSON).
    reported=$(cat "$tmp/out" "$tmp/err" |
               grep -oE '(^ *packets +|packets=|"packets": *)[0-9]+' |
               head -n 1 | grep -oE '[0-9]+$' || true)
    results+=("$(awk -v l="$label" -v p="${npk[$file]}" -v b="${nbytes[$file]}" \
                     -v ns="$best" -v rss="$rss_max" -v rep="${reported:--}" 'BEGIN {
        s = ns / 1e9
        printf "%-34s %10d %9.3f %12.0f %9.1f %9.1f %10s", l, p, s, p / s, b * 8 / s / 1e6, rss / 1024, rep
    }')")
}

log "timing (best of $runs, warm cache)"
bench "tcpdump -r F -w /dev/null" "$main_file" tcpdump -r "$main_file" -w /dev/null
if command -v tshark >/dev/null; then
    # Without taps, filters or output tshark skips dissection altogether, so
    # this row is libwiretap's read speed; the -z row makes it dissect every
    # packet (SIP, SDP-learnt RTP/RTCP), which is what a tap must do.  That
    # is ~10x slower, hence the smaller file.
    bench "tshark -n -r F -q" "$main_file" tshark -n -r "$main_file" -q
    label="tshark -n -r F -q -z sip,stat"
    [[ $tshark_file != "$main_file" ]] && label="tshark ... -z sip,stat (small F)"
    bench "$label" "$tshark_file" tshark -n -r "$tshark_file" -q -z sip,stat
else
    results+=("$(printf '%-34s %s' "tshark" "not installed")")
fi
bench "bench-pcaploop F" "$main_file" "$loop" "$main_file"
if [[ -n $ctitap ]]; then
    # the capture path alone, then with SIP and RTP: the difference is what they cost
    bench "ctitap capture only (sip,rtp off)" "$main_file" \
        "$ctitap" -q -r "$main_file" -o jsonl:/dev/null --stats -X sip.enabled=false -X rtp.enabled=false
    bench "ctitap + SIP (rtp off)" "$main_file" \
        "$ctitap" -q -r "$main_file" -o jsonl:/dev/null --stats -X rtp.enabled=false
    bench "ctitap -q -r F -o jsonl:- --stats" "$main_file" \
        "$ctitap" -q -r "$main_file" -o jsonl:/dev/null --stats
else
    results+=("$(printf '%-34s %s' "ctitap" "not built ($build/ctitap missing)")")
fi

# --- report -----------------------------------------------------------------
{
    echo
    echo "capture:  $main_file"
    echo "          $(cat "$main_file.cmd"), ${npk[$main_file]} packets, $(( ${nbytes[$main_file]} / 1048576 )) MiB of frames"
    if [[ $tshark_file != "$main_file" ]]; then
        echo "small F:  $tshark_file (${npk[$tshark_file]} packets; tshark only)"
    fi
    echo "host:     $(nproc) CPUs, $(lscpu 2>/dev/null | sed -n 's/^Model name: *//p' | head -n 1), $(uname -r)"
    echo "versions: $(tcpdump --version 2>&1 | head -n 1); $(tshark -v 2>/dev/null | head -n 1 | cut -d' ' -f1-3)"
    echo
    printf '%-34s %10s %9s %12s %9s %9s %10s\n' tool packets seconds packets/s Mbit/s RSS-MiB reported
    printf '%s\n' "${results[@]}"
    echo
    echo "seconds: best of $runs wall-clock runs; RSS: max peak of those runs;"
    echo "Mbit/s: captured frame bytes * 8 / seconds; reported: the tool's own packet count."
} | tee "$data/last-run.txt"
