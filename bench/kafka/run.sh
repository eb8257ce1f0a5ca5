#!/usr/bin/env bash
# bench/kafka/run.sh - records per second and compression ratio of ctitap's outputs:
# the Kafka sink into a REAL single-node broker (tests/kafka/broker.sh) and the
# zstd JSON-lines file sink, driven by ctitap-emit as fast as it goes.
#
# Usage: bench/kafka/run.sh [--records N] [--build DIR] [--keep]
#   --records N   records per run (default 200000, env BENCH_RECORDS)
#   --build DIR   build dir holding ctitap-emit (default build-bench, env BENCH_BUILD);
#                 configured and built (Release, tests off) if ctitap-emit is missing
#   --keep        keep the temporary directory (broker data, files) for a look
# Extra ctitap settings for every run: BENCH_SETTINGS="kafka.linger.ms=20 ..."
#
# What it prints, per output:
#   records/s      N / wall time of the whole run, including the final flush
#                  (for Kafka: until every record is delivered, acks=all)
#   JSON bytes     the records' JSON (size of the same records as a plain .jsonl,
#                  newlines not counted)
#   stored bytes   Kafka: sum of the topics' log segments (.log) on the broker, i.e.
#                  record batches as stored, headers and keys included; du of the
#                  partition dirs (allocated blocks, index files included) is shown too
#                  file: size of the .jsonl.zst
#   ratio          JSON bytes / stored bytes
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
records=${BENCH_RECORDS:-200000}
build=${BENCH_BUILD:-$root/build-bench}
keep=0
broker_sh=$root/tests/kafka/broker.sh

usage() { sed -n '2,24p' "$0" | sed 's/^# \{0,1\}//'; }
while [[ $# -gt 0 ]]; do
    case $1 in
        --records) records=$2; shift 2 ;;
        --build) build=$2; shift 2 ;;
        --keep) keep=1; shift ;;
        -h|--help) usage; exit 0 ;;
        *) echo "run.sh: unknown argument $1" >&2; usage >&2; exit 2 ;;
    esac
done
[[ $records =~ ^[0-9]+$ && $records -ge 1000 ]] || { echo "run.sh: --records must be a number >= 1000" >&2; exit 2; }
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

# Kafka.
run kafka -o "kafka:$bootstrap" -X kafka.topic.prefix=bench
delivered=$(counter kafka_delivered "$tmp/kafka.err")
failed=$(counter kafka_failed "$tmp/kafka.err")
qfull=$(counter kafka_queue_full "$tmp/kafka.err")
spooled_left=$(counter spool_written "$tmp/kafka.err")
log_bytes=0
for d in "$broker"/data/bench.*-[0-9]*; do
    [[ -d $d ]] || continue
    for f in "$d"/*.log; do [[ -f $f ]] && log_bytes=$((log_bytes + $(stat -c %s "$f"))); done
done
# Allocated blocks, not apparent size: the broker preallocates (sparse) 10 MiB index files.
du_bytes=$(du -sc -B1 "$broker"/data/bench.*-[0-9]* 2>/dev/null | tail -n 1 | cut -f1)
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
echo "kafka: delivered=${delivered:-?} failed=${failed:-?} queue_full=${qfull:-?} spool_written=${spooled_left:-?};" \
    "records on the broker (end offsets): $on_broker; batch codecs: ${codecs:-?}"
echo "kafka: du of the partition dirs (allocated, indexes included) $(human "${du_bytes:-0}"):" \
    "ratio $(ratio "$json_bytes" "${du_bytes:-1}")"
echo "note: ctitap-emit's records are synthetic and repetitive; real traffic compresses less"
if [[ $on_broker != "$records" ]]; then
    echo "kafka: WARNING: the broker holds $on_broker records, $records were emitted (a final stats record adds one)"
fi
