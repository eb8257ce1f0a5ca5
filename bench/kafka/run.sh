#!/usr/bin/env bash
# bench/kafka/run.sh - records per second and compression ratio of ctitap's outputs:
# the Kafka sink into a REAL single-node broker (tests/kafka/broker.sh) and the
# zstd JSON-lines file sink, driven by ctitap-emit as fast as it goes.
#
# Usage: bench/kafka/run.sh [--records N] [--runs N] [--build DIR] [--keep]
#   --records N   records per run (default 200000, env BENCH_RECORDS)
#   --runs N      timed runs into Kafka (default 5, env BENCH_RUNS), after one untimed warm-up
#                 run of the same size: a broker just started is still compiling itself (its
#                 JVM took 3-4 times the CPU per record on the first run than from the third
#                 on) and creating the topics (a few hundred ms), which a broker in service has
#                 long done. Every run writes the same topics (bench.*); the table shows the
#                 median run, and the broker's bytes and records divided by the runs
#   --build DIR   build dir holding ctitap-emit (default build-bench, env BENCH_BUILD);
#                 configured and built (Release, tests off) if ctitap-emit is missing
#   --keep        keep the temporary directory (broker data, files) for a look
# Extra ctitap settings for every run: BENCH_SETTINGS="kafka.linger.ms=20 ..."
#
# What it prints, per output:
#   records/s      N / wall time of the whole run, including the final flush
#                  (for Kafka: until every record is delivered, acks=all; the median run,
#                  the slowest and fastest on the line below)
#   JSON bytes     the records' JSON (size of the same records as a plain .jsonl,
#                  newlines not counted)
#   stored bytes   Kafka: sum of the topics' log segments (.log) on the broker, i.e.
#                  record batches as stored, headers and keys included, divided by the runs
#                  (the warm-up's included); du of the partition dirs (allocated blocks,
#                  index files included) is shown too
#                  file: size of the .jsonl.zst
#   ratio          JSON bytes / stored bytes
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
records=${BENCH_RECORDS:-200000}
runs=${BENCH_RUNS:-5}
build=${BENCH_BUILD:-$root/build-bench}
keep=0
broker_sh=$root/tests/kafka/broker.sh

usage() { sed -n '2,30p' "$0" | sed 's/^# \{0,1\}//'; }
while [[ $# -gt 0 ]]; do
    case $1 in
        --records) records=$2; shift 2 ;;
        --runs) runs=$2; shift 2 ;;
        --build) build=$2; shift 2 ;;
        --keep) keep=1; shift ;;
        -h|--help) usage; exit 0 ;;
        *) echo "run.sh: unknown argument $1" >&2; usage >&2; exit 2 ;;
    esac
done
[[ $records =~ ^[0-9]+$ && $records -ge 1000 ]] || { echo "run.sh: --records must be a number >= 1000" >&2; exit 2; }
[[ $runs =~ ^[1-9][0-9]*$ ]] || { echo "run.sh: --runs must be a number >= 1" >&2; exit 2; }
build=$(mkdir -p "$build" && cd "$build" && pwd)

log() { echo "run.sh: $*" >&2; }

tmp=$(mktemp -d "${TMPDIR:-/tmp}/ctitap-bench-kafka.XXXXXX")
broker=$tmp/broker
cleanup() {
    bash "$broker_sh" stop "$broker" >/dev/null 2>&1 || true
    if ((keep)); then log "kept $tmp"; else rm -rf "$tmp"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# --- ctitap-emit ---------------------------------------------------------------
find_emit() {
    find "$build" -path '*/standalone-*' -prune -o -type f -name ctitap-emit -perm -u+x -print 2>/dev/null | head -n 1
}
emit=${CTITAP_EMIT:-$(find_emit)}
if [[ -z $emit ]]; then
    log "building ctitap-emit (Release) in $build"
    gen=(-G Ninja); command -v ninja >/dev/null || gen=()
    if ! { cmake -S "$root" -B "$build" "${gen[@]}" -DCMAKE_BUILD_TYPE=Release -DBUILD_TESTING=OFF &&
           cmake --build "$build"; } >"$tmp/build.log" 2>&1; then
        tail -n 30 "$tmp/build.log" >&2
        log "build failed"
        exit 1
    fi
    emit=$(find_emit)
    [[ -n $emit ]] || { log "no ctitap-emit in $build after the build"; exit 1; }
fi
log "driver: $emit"

# --- broker --------------------------------------------------------------------
log "starting a Kafka broker (tests/kafka/broker.sh) in $broker"
bootstrap=$(bash "$broker_sh" start "$broker")
log "broker at $bootstrap"
kafka_libs=${CTITAP_CACHE:-$HOME/.cache/ctitap}/kafka-${CTITAP_KAFKA_VERSION:-3.9.1}/libs

# shellcheck disable=SC2206 # a list of key=value words
extra=(${BENCH_SETTINGS:-})
settings=(-X sensor.name=bench -X "kafka.spool.dir=$tmp/spool")
for s in "${extra[@]}"; do settings+=(-X "$s"); done

now() { date +%s.%N; }
# run NAME ARGS...: runs ctitap-emit with --count $records, sets $secs, $rate; stderr in $tmp/NAME.err
run() {
    local name=$1 t0 t1 rc=0
    shift
    t0=$(now)
    (cd "$tmp" && "$emit" "$@" "${settings[@]}" --count "$records" --stats) \
        >"$tmp/$name.out" 2>"$tmp/$name.err" || rc=$?
    t1=$(now)
    if ((rc != 0)); then
        tail -n 20 "$tmp/$name.err" >&2
        log "ctitap-emit ($name) exited $rc"
        exit 1
    fi
    secs=$(echo "$t1 - $t0" | bc -l)
    rate=$(echo "$records / $secs" | bc -l)
}
counter() { awk -v k="$1" '$1 == k && $2 ~ /^[0-9]+$/ { print $2; exit }' "$2"; }
human() { numfmt --to=iec-i --suffix=B --format='%.1f' "$1"; }
ratio() { printf '%.2f' "$(echo "$1 / $2" | bc -l)"; }

declare -a rows

# Plain JSON lines: the reference size of the records (and the plain sink's speed).
run plain -o "jsonl:$tmp/plain.jsonl"
plain_size=$(stat -c %s "$tmp/plain.jsonl")
lines=$(wc -l <"$tmp/plain.jsonl")
json_bytes=$((plain_size - lines))
rows+=("$(printf '%-22s %12.0f %9.2f %14s %14s %7s' "jsonl (plain)" "$rate" "$secs" \
    "$(human "$json_bytes")" "$(human "$plain_size")" "$(ratio "$json_bytes" "$plain_size")")")

# zstd JSON lines.
run zst -o "jsonl:$tmp/x.jsonl.zst"
zst_size=$(stat -c %s "$tmp/x.jsonl.zst")
rows+=("$(printf '%-22s %12.0f %9.2f %14s %14s %7s' "jsonl.zst" "$rate" "$secs" \
    "$(human "$json_bytes")" "$(human "$zst_size")" "$(ratio "$json_bytes" "$zst_size")")")

# Kafka: a warm-up run, then the timed ones, into the same topics, each with a spool of its own;
# the median run's figures are reported, the broker's bytes and records per run.
run_kafka() { # NAME
    rm -rf "$tmp/spool"
    run "$1" -o "kafka:$bootstrap" -X kafka.topic.prefix=bench
}
log "Kafka: a warm-up run, then $runs timed run(s) of $records records"
run_kafka kafka0
declare -a krates ksecs
for ((i = 1; i <= runs; i++)); do
    run_kafka "kafka$i"
    krates[i]=$rate
    ksecs[i]=$secs
    log "Kafka run $i: $(printf '%.0f' "$rate") records/s (load average $(cut -d' ' -f1 /proc/loadavg))"
done
# the median run (by rate), its index in $mid
mid=$(for ((i = 1; i <= runs; i++)); do echo "${krates[i]} $i"; done | sort -g | awk -v n="$runs" 'NR == int((n + 1) / 2) { print $2 }')
rate=${krates[mid]}
secs=${ksecs[mid]}
kmin=$(for ((i = 1; i <= runs; i++)); do echo "${krates[i]}"; done | sort -g | head -n 1)
kmax=$(for ((i = 1; i <= runs; i++)); do echo "${krates[i]}"; done | sort -g | tail -n 1)
delivered=$(counter kafka_delivered "$tmp/kafka$mid.err")
failed=$(counter kafka_failed "$tmp/kafka$mid.err")
qfull=$(counter kafka_queue_full "$tmp/kafka$mid.err")
spooled_left=$(counter spool_written "$tmp/kafka$mid.err")
nruns=$((runs + 1)) # the warm-up run's records are on the broker too
log_bytes=0
for d in "$broker"/data/bench.*-[0-9]*; do
    [[ -d $d ]] || continue
    for f in "$d"/*.log; do [[ -f $f ]] && log_bytes=$((log_bytes + $(stat -c %s "$f"))); done
done
log_bytes=$((log_bytes / nruns))
# Allocated blocks, not apparent size: the broker preallocates (sparse) 10 MiB index files.
du_bytes=$(du -sc -B1 "$broker"/data/bench.*-[0-9]* 2>/dev/null | tail -n 1 | cut -f1)
du_bytes=$((${du_bytes:-0} / nruns))
on_broker=$(java -Xmx128m -XX:TieredStopAtLevel=1 -cp "$kafka_libs/*" \
    -Dlog4j.configuration="file:${kafka_libs%/libs}/tools-log4j.properties" \
    org.apache.kafka.tools.GetOffsetShell --bootstrap-server "$bootstrap" \
    --topic-partitions 'bench\..*' 2>/dev/null | awk -F: '{ s += $NF } END { print s + 0 }')
codecs=$(for t in events calls recording audit stats; do
    bash "$broker_sh" dump-codec "$broker" "bench.$t" 2>/dev/null; done | sort -u | tr '\n' ' ')
if ((log_bytes > 0)); then
    rows+=("$(printf '%-22s %12.0f %9.2f %14s %14s %7s' "kafka (acks=all)" "$rate" "$secs" \
        "$(human "$json_bytes")" "$(human "$log_bytes")" "$(ratio "$json_bytes" "$log_bytes")")")
else
    rows+=("$(printf '%-22s %12.0f %9.2f  no log segments found under %s' "kafka (acks=all)" "$rate" "$secs" "$broker/data")")
fi

echo
echo "ctitap outputs, $records records ($(human "$json_bytes") of JSON, $((json_bytes / records)) B/record avg); $(nproc) CPUs"
printf '%-22s %12s %9s %14s %14s %7s\n' "output" "records/s" "wall s" "JSON bytes" "stored bytes" "ratio"
printf '%s\n' "${rows[@]}"
echo
echo "kafka: median of $runs timed runs after a warm-up run; slowest $(printf '%.0f' "$kmin"), fastest $(printf '%.0f' "$kmax") records/s"
echo "kafka (median run): delivered=${delivered:-?} failed=${failed:-?} queue_full=${qfull:-?} spool_written=${spooled_left:-?};" \
    "records on the broker (end offsets, $nruns runs): $on_broker; batch codecs: ${codecs:-?}"
echo "kafka: du of the partition dirs per run (allocated, indexes included) $(human "${du_bytes:-0}"):" \
    "ratio $(ratio "$json_bytes" "${du_bytes:-1}")"
echo "note: ctitap-emit's records are synthetic and repetitive; real traffic compresses less"
if [[ $on_broker != "$((records * nruns))" ]]; then
    echo "kafka: WARNING: the broker holds $on_broker records, $((records * nruns)) were emitted in $nruns runs"
fi
