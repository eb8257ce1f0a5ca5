#!/usr/bin/env bash
# bench/run.sh - ctitap side by side with tcpdump, tshark, sngrep and the libpcap floor, on the
# same generated captures, at 100, 1 000 and 10 000 concurrent calls. See bench/README.md.
#
# Usage: bench/run.sh [--runs N] [--captures LIST] [--tools LIST] [--workers N] [--quick]
#   --runs N        runs of every tool on every capture (default 3, env BENCH_RUNS); the table
#                   shows the median wall time and the largest peak RSS
#   --captures LIST comma-separated subset of: rtp-c100,rtp-c1000,rtp-c10000,sig-c100,
#                   sig-c1000,sig-c10000 (default: all)
#   --tools LIST    comma-separated subset of: read,loop,tcpdump,tshark,tshark-analysis,sngrep,
#                   ctitap,ctitap-workers (default: all)
#   --workers N     capture.workers of the ctitap-workers row (default 2, ctitap's own default on
#                   a machine of two CPUs or more; the ctitap row is one thread)
#   --quick         --runs 1 and no tshark-analysis or sngrep (the slow ones)
# Environment: BENCH_BUILD (build-bench), BENCH_DATA (bench/data), BENCH_MAX_LOAD (1.5: wait up
# to 5 min for the 1-minute load average to fall under it before starting; the machine is shared),
# BENCH_TIMEOUT (120: a run taking longer is stopped, the tool is not run again on that capture
# and its row says so; sngrep needs ~9 min for rtp-c10000).
#
# The captures (ctitap-gen, deterministic, regenerated when the generator changes):
#   rtp-cN  SIPp-style calls with G.711 RTP both ways (99 % of the packets are RTP),
#           N calls at once, ~3.2 M packets each (talk time shortened as N grows)
#   sig-cN  signalling only: SIP and CSTA on an XML and a BER link, --scenario mix
#           --csta both --no-rtp, 20 000 calls, N at once (~0.5 M packets)
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
build=${BENCH_BUILD:-$root/build-bench}
data=${BENCH_DATA:-$here/data}
runs=${BENCH_RUNS:-3}
limit=${BENCH_TIMEOUT:-120}
max_load=${BENCH_MAX_LOAD:-1.5}
captures=rtp-c100,rtp-c1000,rtp-c10000,sig-c100,sig-c1000,sig-c10000
tools=read,loop,tcpdump,tshark,tshark-analysis,sngrep,ctitap,ctitap-workers
workers=2

usage() { sed -n '2,23p' "$0" | sed 's/^# \{0,1\}//'; }
while [[ $# -gt 0 ]]; do
	case $1 in
	--runs) runs=$2; shift 2 ;;
	--captures) captures=$2; shift 2 ;;
	--tools) tools=$2; shift 2 ;;
	--workers) workers=$2; shift 2 ;;
	--quick) runs=1; tools=read,loop,tcpdump,tshark,ctitap,ctitap-workers; shift ;;
	-h | --help) usage; exit 0 ;;
	*) echo "run.sh: unknown argument $1" >&2; usage >&2; exit 2 ;;
	esac
done
[[ $runs =~ ^[1-9][0-9]*$ ]] || { echo "run.sh: --runs must be a number >= 1" >&2; exit 2; }
[[ $workers =~ ^[1-9][0-9]*$ ]] || { echo "run.sh: --workers must be a number >= 1" >&2; exit 2; }
log() { echo "run.sh: $*" >&2; }
want() { [[ ",$2," == *",$1,"* ]]; }

# --- tools (bench-only packages: scripts/lib.sh CTITAP_BENCH_PKGS) -------------------------
# shellcheck source=../scripts/lib.sh
source "$root/scripts/lib.sh"
missing=()
for c in tcpdump tshark capinfos sngrep; do command -v "$c" >/dev/null || missing+=("$c"); done
[[ -x /usr/bin/time ]] || missing+=(time)
if [[ ${#missing[@]} -gt 0 ]]; then
	if [[ $(id -u) -eq 0 ]] || command -v sudo >/dev/null; then
		ctitap_install $CTITAP_BENCH_PKGS || log "could not install $CTITAP_BENCH_PKGS; rows without their tool are skipped"
	else
		log "missing ${missing[*]}; rows without their tool are skipped"
	fi
fi
command -v capinfos >/dev/null || { log "capinfos (package tshark) is required"; exit 1; }
[[ -x /usr/bin/time ]] || { log "/usr/bin/time (package time) is required"; exit 1; }

# --- release build ---------------------------------------------------------------------------
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
if [[ ! -f $build/build.ninja ]]; then
	cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DBUILD_TESTING=ON >"$tmp/build.log" 2>&1 ||
		{ tail -n 20 "$tmp/build.log" >&2; log "cmake failed"; exit 1; }
fi
ninja -C "$build" ctitap ctitap-gen bench-pcaploop >"$tmp/build.log" 2>&1 ||
	{ tail -n 20 "$tmp/build.log" >&2; log "build failed"; exit 1; }
ctitap=$build/ctitap
gen=$build/pcaps/gen/ctitap-gen
loop=$build/bench/bench-pcaploop
workers_ok=0
# (the settings list read whole first: grep -q stopping early would fail the pipe under pipefail)
settings_help=$("$ctitap" --help-settings 2>/dev/null || true)
grep -q '^ *capture.workers ' <<<"$settings_help" && workers_ok=1

# --- captures ---------------------------------------------------------------------------------
mkdir -p "$data"
gen_rev=$(sha256sum "$root/pcaps/gen/ctitap-gen.c" | cut -c1-12)
for old in "$data"/bench-*.pcap; do
	[[ -e $old && $old != *-"$gen_rev".pcap ]] && rm -f "$old" "$old.cmd"
done
capture_args() { # name -> generator arguments
	case $1 in
	rtp-c100) echo --calls 110 --concurrency 100 --talk 300 ;;
	rtp-c1000) echo --calls 1100 --concurrency 1000 --talk 30 ;;
	rtp-c10000) echo --calls 11000 --concurrency 10000 --talk 3 ;;
	sig-c*) echo --scenario mix --csta both --no-rtp --calls 20000 --concurrency "${1#sig-c}" --talk 30 ;;
	*) log "unknown capture $1"; exit 2 ;;
	esac
}
declare -A file npk
IFS=, read -r -a caplist <<<"$captures"
for c in "${caplist[@]}"; do
	f="$data/bench-$c-$gen_rev.pcap"
	if [[ ! -s $f ]]; then
		log "generating $f"
		# shellcheck disable=SC2046
		"$gen" -q -o "$f.tmp" $(capture_args "$c")
		mv "$f.tmp" "$f"
		echo "ctitap-gen $(capture_args "$c")" >"$f.cmd"
	fi
	file[$c]=$f
	npk[$c]=$(capinfos -T -r -c "$f" | cut -f2)
done

# --- the shared machine: start when it is quiet ----------------------------------------------------
load1() { cut -d' ' -f1 /proc/loadavg; }
for ((w = 0; w < 60; w++)); do
	awk -v l="$(load1)" -v m="$max_load" 'BEGIN { exit !(l < m) }' && break
	((w == 0)) && log "load average $(load1) >= $max_load: waiting (at most 5 min)"
	sleep 5
done
load_start=$(load1)

# --- timing --------------------------------------------------------------------------------------
# cmdline TOOL CAPTURE -> the command, or nothing when the tool does not apply
cmdline() {
	local t=$1 c=$2 f=${file[$2]}
	case $t in
	read) echo "$loop --read-only $f" ;;
	loop) echo "$loop $f" ;;
	tcpdump) command -v tcpdump >/dev/null && echo "tcpdump -r $f -w /dev/null" ;;
	tshark) command -v tshark >/dev/null && echo "tshark -n -r $f -q" ;;
	tshark-analysis)
		command -v tshark >/dev/null || return 0
		if [[ $c == rtp-* ]]; then echo "tshark -n -r $f -q -z sip,stat -z rtp,streams"
		else echo "tshark -n -r $f -q -z sip,stat"; fi ;;
	sngrep) command -v sngrep >/dev/null && echo "sngrep -N -q -l 10000000 -I $f" ;;
	ctitap) echo "$ctitap -q -r $f -o jsonl:/dev/null -X capture.workers=1" ;;
	ctitap-workers) ((workers_ok)) && echo "$ctitap -q -r $f -o jsonl:/dev/null -X capture.workers=$workers" ;;
	esac
	return 0
}
label() {
	case $1 in
	read) echo "floor: pcap_next_ex only" ;;
	loop) echo "floor: read+parse+flow lookup" ;;
	tcpdump) echo "tcpdump -r F -w /dev/null" ;;
	tshark) echo "tshark -n -r F -q" ;;
	tshark-analysis) [[ $2 == rtp-* ]] && echo "tshark -z sip,stat -z rtp,streams" || echo "tshark -z sip,stat" ;;
	sngrep) echo "sngrep -N -q -I F" ;;
	ctitap) echo "ctitap -r F -o jsonl:/dev/null, one thread (capture.workers=1)" ;;
	ctitap-workers) echo "ctitap ... capture.workers=$workers$( ((workers == 2)) && echo ' (the default where 2 CPUs)')" ;;
	esac
}

IFS=, read -r -a toollist <<<"$tools"
: >"$tmp/times"
declare -A gaveup
for c in "${caplist[@]}"; do
	cat "${file[$c]}" >/dev/null # warm page cache: the disk is not measured
	log "$c: ${npk[$c]} packets, $runs run(s) of each tool, interleaved"
	for ((r = 0; r < runs; r++)); do
		for t in "${toollist[@]}"; do
			cmd=$(cmdline "$t" "$c")
			[[ -n $cmd && -z ${gaveup[$c $t]:-} ]] || continue
			t0=$(date +%s%N)
			rc=0
			# shellcheck disable=SC2086
			timeout "$limit" /usr/bin/time -f %M -o "$tmp/rss" $cmd </dev/null >"$tmp/out" 2>"$tmp/err" || rc=$?
			if ((rc == 124)); then
				log "$c $t: stopped after $limit s (BENCH_TIMEOUT)"
				echo "$c $t timeout $limit" >>"$tmp/times"
				gaveup[$c $t]=1
				continue
			fi
			if ((rc != 0)); then
				log "$c $t failed:"; tail -n 3 "$tmp/err" | sed 's/^/    /' >&2
				continue
			fi
			t1=$(date +%s%N)
			echo "$c $t $(( t1 - t0 )) $(tail -n 1 "$tmp/rss")" >>"$tmp/times"
		done
	done
done
load_end=$(load1)

# --- report -----------------------------------------------------------------------------------------
cp "$tmp/times" "$data/last-times.txt"
{
	echo "host:     $(nproc) CPUs, $(lscpu 2>/dev/null | sed -n 's/^Model name: *//p' | head -n 1), $(uname -r);" \
		"load average $load_start at the start, $load_end at the end"
	echo "versions: $(tcpdump --version 2>&1 | head -n 1); $(tshark -v 2>/dev/null | head -n 1 | cut -d' ' -f1-3);" \
		"$(sngrep -V 2>/dev/null | head -n 1); libpcap $(pkg-config --modversion libpcap 2>/dev/null)"
	echo "command:  bench/run.sh --runs $runs --captures $captures --tools $tools --workers $workers"
	for c in "${caplist[@]}"; do
		echo "capture $c $(cat "${file[$c]}.cmd") | ${npk[$c]}"
	done
	for t in "${toollist[@]}"; do
		echo "label $t $(label "$t" rtp) | $(label "$t" sig)"
	done
} >"$tmp/meta"
python3 "$here/report.py" "$tmp/meta" "$tmp/times" | tee "$data/last-run.txt"
