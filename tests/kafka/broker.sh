#!/usr/bin/env bash
# tests/kafka/broker.sh — fetch and run a REAL Apache Kafka broker for ctitap's tests.
#
# A single-node KRaft broker (process.roles=broker,controller, node.id=1) listening
# only on 127.0.0.1, with its config, data and logs all under a directory the caller
# gives.  Nothing is assumed to be running or installed beyond Debian 12 packages:
# the script installs openjdk-17-jre-headless and maven with apt-get if they are
# missing.
#
# Why Maven Central: the only network our machines (and CI) reach is the package
# registries, so the usual apache.org tarball is out of reach.  Kafka publishes the
# broker (org.apache.kafka:kafka_2.13) and its tools (org.apache.kafka:kafka-tools)
# to Maven Central, so a generated throw-away pom plus `mvn dependency:copy-dependencies`
# gives us the same jars as the tarball's libs/ directory.  They are cached under
# ${CTITAP_CACHE:-$HOME/.cache/ctitap}/kafka-<version>/libs, so only the first run
# downloads anything.
#
# Kafka version: 3.9.1 (the last 3.x line, KRaft, runs on Java 17).  Class names
# used (they move between releases, 4.x renames several):
#   broker            kafka.Kafka
#   storage format    kafka.tools.StorageTool
#   log dump          kafka.tools.DumpLogSegments
#   console producer  kafka.tools.ConsoleProducer
#   console consumer  org.apache.kafka.tools.consumer.ConsoleConsumer
#   topics            org.apache.kafka.tools.TopicCommand
#
# Usage:
#   broker.sh fetch                       ensure java, maven and the jars (quiet)
#   broker.sh start DIR                   start a broker in DIR, print host:port
#                                         (just prints it if already running)
#   broker.sh stop DIR                    stop it (TERM, then KILL after 20 s)
#   broker.sh restart DIR                 stop + start, same data, cluster id, ports
#   broker.sh status DIR                  exit 0 if the broker of DIR is running
#   broker.sh topics DIR                  list topics
#   broker.sh create-topic DIR TOPIC [K=V ..]
#                                         create a topic (3 partitions) with topic
#                                         configs, e.g. max.message.bytes=1000
#   broker.sh produce DIR TOPIC [ARGS..]  console producer reading stdin
#                                         (ARGS go to the producer, e.g.
#                                         --producer-property compression.type=zstd
#                                         --property parse.key=true); the
#                                         compression.type producer property is
#                                         passed as --compression-codec, since the
#                                         3.x tool would override it with "none"
#   broker.sh consume DIR TOPIC [MAX_MESSAGES] [TIMEOUT_MS] [ARGS..]
#                                         print a topic from the beginning, one record
#                                         a line, tab separated:
#                                           Partition:P<TAB>Offset:O<TAB>HEADERS<TAB>KEY<TAB>VALUE
#                                         HEADERS is k1:v1,k2:v2 or NO_HEADERS; a null
#                                         key prints as null.  Stops after MAX_MESSAGES
#                                         (default: no limit) or TIMEOUT_MS of silence
#                                         (default 10000).  ARGS go to the consumer,
#                                         e.g. --isolation-level read_committed.
#                                         Values with tabs or newlines are printed as is.
#   broker.sh dump-codec DIR TOPIC        distinct compression codecs of the record
#                                         batches on disk (e.g. "zstd"), one a line;
#                                         works with the broker running or stopped
#
# Files in DIR: bootstrap (host:port), pid, ports, cluster.id, config/, data/, logs/
# (logs/server.log is the broker log, logs/stdout.log its console).
#
# Environment: CTITAP_CACHE (jar cache root), CTITAP_KAFKA_VERSION (default 3.9.1),
# CTITAP_KAFKA_START_TIMEOUT (seconds, default 90), KAFKA_HEAP_OPTS (default
# -Xms128m -Xmx512m), JAVA_HOME (java to use, else the one on PATH).
set -euo pipefail

KAFKA_VERSION=${CTITAP_KAFKA_VERSION:-3.9.1}
SLF4J_VERSION=1.7.36
DEPENDENCY_PLUGIN=org.apache.maven.plugins:maven-dependency-plugin:3.6.1
CACHE_DIR=${CTITAP_CACHE:-$HOME/.cache/ctitap}/kafka-$KAFKA_VERSION
LIBS=$CACHE_DIR/libs
START_TIMEOUT=${CTITAP_KAFKA_START_TIMEOUT:-90}
STOP_TIMEOUT=20
PROG=${0##*/}

die() { printf '%s: error: %s\n' "$PROG" "$*" >&2; exit 1; }
usage() { sed -n '/^# Usage:/,/^#$/p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }

# ---------------------------------------------------------------- prerequisites

java_bin() {
    if [[ -n ${JAVA_HOME:-} && -x $JAVA_HOME/bin/java ]]; then
        echo "$JAVA_HOME/bin/java"
    else
        command -v java || true
    fi
}

# Major version of a java binary: "17.0.15" -> 17, "1.8.0_362" -> 8.
java_major() {
    local v
    v=$("$1" -version 2>&1 | sed -n 's/.* version "\([^"]*\)".*/\1/p' | head -n 1)
    v=${v#1.}
    echo "${v%%[._-]*}"
}

apt_install() {
    local log
    log=$(mktemp)
    local sudo=()
    if [[ $(id -u) -ne 0 ]]; then
        command -v sudo >/dev/null || die "need root (or sudo) to apt-get install $*"
        sudo=(sudo)
    fi
    if ! { "${sudo[@]}" apt-get -qq update &&
           DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get -qq install -y \
               --no-install-recommends "$@"; } >"$log" 2>&1; then
        cat "$log" >&2
        rm -f "$log"
        die "apt-get install $* failed"
    fi
    rm -f "$log"
}

ensure_java() {
    local java
    java=$(java_bin)
    if [[ -n $java ]] && (( $(java_major "$java") >= 17 )); then
        return 0
    fi
    dpkg -s openjdk-17-jre-headless >/dev/null 2>&1 || apt_install openjdk-17-jre-headless
    java=$(java_bin)
    if [[ -z $java ]] || (( $(java_major "$java") < 17 )); then
        # openjdk-17 is installed but another java comes first on PATH.
        java=/usr/lib/jvm/java-17-openjdk-$(dpkg --print-architecture)/bin/java
        [[ -x $java ]] || die "no Java 17 found after installing openjdk-17-jre-headless"
        export JAVA_HOME=${java%/bin/java}
    fi
}

ensure_maven() {
    command -v mvn >/dev/null && return 0
    dpkg -s maven >/dev/null 2>&1 || apt_install maven
    command -v mvn >/dev/null || die "mvn not found after installing maven"
}

# The pom whose runtime dependencies are the broker, its tools and a log binding.
write_pom() {
    cat >"$1" <<EOF
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>ctitap.test</groupId>
  <artifactId>kafka-broker-libs</artifactId>
  <version>1</version>
  <packaging>pom</packaging>
  <dependencies>
    <dependency>
      <groupId>org.apache.kafka</groupId>
      <artifactId>kafka_2.13</artifactId>
      <version>$KAFKA_VERSION</version>
    </dependency>
    <dependency>
      <groupId>org.apache.kafka</groupId>
      <artifactId>kafka-tools</artifactId>
      <version>$KAFKA_VERSION</version>
      <exclusions>
        <!-- Kafka Connect (jetty, jersey, ...) is only for connect's own tools. -->
        <exclusion><groupId>org.apache.kafka</groupId><artifactId>connect-runtime</artifactId></exclusion>
      </exclusions>
    </dependency>
    <dependency>
      <groupId>org.slf4j</groupId>
      <artifactId>slf4j-reload4j</artifactId>
      <version>$SLF4J_VERSION</version>
    </dependency>
  </dependencies>
</project>
EOF
}

fetch_jars() {
    [[ -f $LIBS/.complete ]] && return 0
    mkdir -p "$CACHE_DIR"
    exec 8>"$CACHE_DIR/.lock"
    flock 8                                 # parallel test runs fetch only once
    if [[ ! -f $LIBS/.complete ]]; then
        ensure_maven
        local work
        work=$(mktemp -d "$CACHE_DIR/fetch.XXXXXX")
        write_pom "$work/pom.xml"
        if ! mvn -B -q -f "$work/pom.xml" "$DEPENDENCY_PLUGIN:copy-dependencies" \
                -DincludeScope=runtime -DoutputDirectory="$work/libs" \
                >"$work/mvn.log" 2>&1; then
            tail -n 40 "$work/mvn.log" >&2
            die "could not fetch Kafka $KAFKA_VERSION jars from Maven Central (log: $work/mvn.log)"
        fi
        ls "$work/libs"/kafka_2.13-*.jar >/dev/null 2>&1 || die "mvn fetched no kafka_2.13 jar"
        rm -rf "$LIBS"
        mv "$work/libs" "$LIBS"
        rm -rf "$work"
        write_tools_log4j "$CACHE_DIR/tools-log4j.properties"
        echo "$KAFKA_VERSION" >"$LIBS/.complete"
    fi
    exec 8>&-
}

# Command-line tools log warnings only, to stderr, so stdout stays machine-readable.
write_tools_log4j() {
    cat >"$1" <<'EOF'
log4j.rootLogger=WARN, stderr
log4j.appender.stderr=org.apache.log4j.ConsoleAppender
log4j.appender.stderr.Target=System.err
log4j.appender.stderr.layout=org.apache.log4j.PatternLayout
log4j.appender.stderr.layout.ConversionPattern=[%d] %p %m (%c)%n
EOF
}

cmd_fetch() {
    ensure_java
    fetch_jars
}

# ---------------------------------------------------------------- running tools

# Run a Kafka class as a short-lived tool (not the broker).
run_tool() {
    local class=$1; shift
    "$(java_bin)" -Xmx256m -XX:+UseSerialGC -XX:TieredStopAtLevel=1 \
        -Djava.awt.headless=true \
        -Dlog4j.configuration="file:$CACHE_DIR/tools-log4j.properties" \
        -cp "$LIBS/*" "$class" "$@"
}

# ---------------------------------------------------------------- broker state

# Absolute path of a broker dir (created if needed).
abs_dir() {
    [[ -n ${1:-} ]] || usage
    mkdir -p "$1"
    (cd "$1" && pwd -P)
}

bootstrap_of() {
    [[ -s $1/bootstrap ]] || die "no broker was started in $1 (no $1/bootstrap)"
    cat "$1/bootstrap"
}

# Pids of the broker JVMs that run DIR's config (whatever the pid file says).
broker_pids() {
    local conf="$1/config/server.properties" p cmd
    for p in /proc/[0-9]*; do
        cmd=$(tr '\0' ' ' 2>/dev/null <"$p/cmdline") || continue
        [[ $cmd == *" kafka.Kafka $conf "* ]] && echo "${p#/proc/}"
    done
    return 0
}

is_running() { [[ -n $(broker_pids "$1") ]]; }

# Local TCP ports in use (any state), from /proc so that no tool is needed.
used_ports() {
    local f local_addr
    for f in /proc/net/tcp /proc/net/tcp6; do
        [[ -r $f ]] || continue
        while read -r _ local_addr _; do
            [[ $local_addr == *:* ]] && echo $((16#${local_addr##*:}))
        done <"$f"
    done
    return 0
}

# A free port below Linux's ephemeral range, not in the arguments.
pick_port() {
    local used p tries
    used=" $(used_ports | tr '\n' ' ') $* "
    for tries in $(seq 200); do
        p=$((20000 + (RANDOM * 32768 + RANDOM) % 12000))
        [[ $used == *" $p "* ]] && continue
        (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null && continue
        echo "$p"
        return 0
    done
    die "found no free TCP port on 127.0.0.1 after $tries tries"
}

# A Kafka cluster id: 16 random bytes, URL-safe base64 without padding, not
# starting with '-' (as org.apache.kafka.common.Uuid.randomUuid does).
new_cluster_id() {
    local id
    while :; do
        id=$(head -c 16 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=\n')
        [[ $id != -* ]] && { echo "$id"; return; }
    done
}

write_server_properties() {
    local dir=$1 port=$2 cport=$3
    cat >"$dir/config/server.properties" <<EOF
# Generated by tests/kafka/broker.sh: single-node KRaft broker for tests.
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:$cport
listeners=PLAINTEXT://127.0.0.1:$port,CONTROLLER://127.0.0.1:$cport
advertised.listeners=PLAINTEXT://127.0.0.1:$port
inter.broker.listener.name=PLAINTEXT
controller.listener.names=CONTROLLER
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT
log.dirs=$dir/data
num.partitions=3
default.replication.factor=1
min.insync.replicas=1
auto.create.topics.enable=true
offsets.topic.replication.factor=1
offsets.topic.num.partitions=5
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
transaction.state.log.num.partitions=5
group.initial.rebalance.delay.ms=0
num.network.threads=2
num.io.threads=4
num.recovery.threads.per.data.dir=1
log.retention.hours=-1
# After a SIGKILL the restarted broker cannot register until the controller has
# expired the old incarnation's session: keep that short (default 9 s).
broker.heartbeat.interval.ms=500
broker.session.timeout.ms=4000
EOF
}

write_broker_log4j() {
    local dir=$1
    cat >"$dir/config/log4j.properties" <<EOF
log4j.rootLogger=INFO, file
log4j.appender.file=org.apache.log4j.FileAppender
log4j.appender.file.File=$dir/logs/server.log
log4j.appender.file.Append=true
log4j.appender.file.layout=org.apache.log4j.PatternLayout
log4j.appender.file.layout.ConversionPattern=[%d] %p %m (%c)%n
log4j.logger.kafka.request.logger=WARN
log4j.logger.state.change.logger=WARN
log4j.logger.kafka.log.LogCleaner=WARN
EOF
}

# Choose ports and a cluster id, write the config and format the storage.
# Only for a dir that has never been formatted.
init_dir() {
    local dir=$1 port cport
    port=$(pick_port)
    cport=$(pick_port "$port")
    printf 'PORT=%s\nCONTROLLER_PORT=%s\n' "$port" "$cport" >"$dir/ports"
    new_cluster_id >"$dir/cluster.id"
    rm -rf "$dir/data"
    mkdir -p "$dir/config" "$dir/data" "$dir/logs"
    write_server_properties "$dir" "$port" "$cport"
    write_broker_log4j "$dir"
    if ! run_tool kafka.tools.StorageTool format --ignore-formatted \
            -t "$(cat "$dir/cluster.id")" -c "$dir/config/server.properties" \
            >"$dir/logs/format.log" 2>&1; then
        cat "$dir/logs/format.log" >&2
        die "kafka.tools.StorageTool format failed in $dir"
    fi
}

# Start the JVM in its own session, detached from our stdio, and record its pid.
launch_broker() {
    local dir=$1 heap
    heap=${KAFKA_HEAP_OPTS:--Xms128m -Xmx512m}
    rm -f "$dir/pid"
    # shellcheck disable=SC2086 # $heap is a list of JVM options
    # shellcheck disable=SC2016 # $$ and $1 are for the inner bash
    setsid bash -c 'echo $$ >"$1/pid"; shift; exec "$@"' _ "$dir" \
        "$(java_bin)" $heap -XX:+UseG1GC -XX:MaxGCPauseMillis=20 \
        -Djava.awt.headless=true \
        -Dlog4j.configuration="file:$dir/config/log4j.properties" \
        -Dkafka.logs.dir="$dir/logs" \
        -cp "$LIBS/*" kafka.Kafka "$dir/config/server.properties" \
        </dev/null >>"$dir/logs/stdout.log" 2>&1 &
    for _ in $(seq 50); do [[ -s $dir/pid ]] && return 0; sleep 0.1; done
    die "broker process did not start (see $dir/logs/stdout.log)"
}

show_logs() {
    local dir=$1
    {
        echo "---- last lines of $dir/logs/server.log ----"
        tail -n 60 "$dir/logs/server.log" 2>/dev/null || true
        echo "---- last lines of $dir/logs/stdout.log ----"
        tail -n 20 "$dir/logs/stdout.log" 2>/dev/null || true
    } >&2
}

# Wait until the broker logged "Kafka Server started" after byte $2 of its log and
# its port accepts connections.  Returns 1 if it died, 2 on timeout.
wait_started() {
    local dir=$1 from=$2 port=$3 deadline pid
    pid=$(cat "$dir/pid")
    deadline=$((SECONDS + START_TIMEOUT))
    while ((SECONDS < deadline)); do
        kill -0 "$pid" 2>/dev/null || return 1
        if tail -c +"$((from + 1))" "$dir/logs/server.log" 2>/dev/null |
                grep -q 'Kafka Server started' &&
                (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
            return 0
        fi
        sleep 0.2
    done
    return 2
}

# ---------------------------------------------------------------- subcommands

cmd_start() {
    local dir fresh=0 rc from port
    dir=$(abs_dir "${1:-}")
    if is_running "$dir"; then
        bootstrap_of "$dir"
        return 0
    fi
    cmd_fetch
    [[ -f $dir/data/meta.properties && -f $dir/ports ]] || fresh=1
    for _ in 1 2 3; do
        ((fresh)) && init_dir "$dir"
        port=$(sed -n 's/^PORT=//p' "$dir/ports")
        echo "127.0.0.1:$port" >"$dir/bootstrap"
        from=$(stat -c %s "$dir/logs/server.log" 2>/dev/null || echo 0)
        launch_broker "$dir"
        rc=0
        wait_started "$dir" "$from" "$port" || rc=$?
        if ((rc == 0)); then
            cat "$dir/bootstrap"
            return 0
        fi
        # Someone took a port we picked between picking and binding: pick again.
        if ((rc == 1 && fresh)) &&
                tail -c +"$((from + 1))" "$dir/logs/server.log" "$dir/logs/stdout.log" 2>/dev/null |
                grep -q 'Address already in use'; then
            continue
        fi
        break
    done
    show_logs "$dir"
    stop_pids "$dir" >/dev/null 2>&1 || true
    if ((rc == 2)); then
        die "broker in $dir not ready after ${START_TIMEOUT}s"
    fi
    die "broker in $dir exited during startup"
}

# TERM the broker, wait up to STOP_TIMEOUT seconds, then KILL.
stop_pids() {
    local dir=$1 pids deadline
    pids=$(broker_pids "$dir")
    if [[ -n $pids ]]; then
        # shellcheck disable=SC2086 # one word per pid
        kill -TERM $pids 2>/dev/null || true
        deadline=$((SECONDS + STOP_TIMEOUT))
        while [[ -n $(broker_pids "$dir") ]] && ((SECONDS < deadline)); do
            sleep 0.2
        done
        pids=$(broker_pids "$dir")
        if [[ -n $pids ]]; then
            echo "$PROG: broker in $dir ignored SIGTERM for ${STOP_TIMEOUT}s, killing it" >&2
            # shellcheck disable=SC2086
            kill -KILL $pids 2>/dev/null || true
            while [[ -n $(broker_pids "$dir") ]]; do sleep 0.1; done
        fi
    fi
    rm -f "$dir/pid"
}

cmd_stop() {
    [[ -n ${1:-} ]] || usage
    [[ -d $1 ]] || return 0
    local dir
    dir=$(abs_dir "$1")
    stop_pids "$dir"
}

cmd_restart() {
    cmd_stop "${1:-}"
    cmd_start "$1"
}

cmd_status() {
    [[ -n ${1:-} && -d $1 ]] || return 1
    is_running "$(abs_dir "$1")"
}

cmd_topics() {
    local dir bootstrap
    dir=$(abs_dir "${1:-}")
    bootstrap=$(bootstrap_of "$dir")
    cmd_fetch
    run_tool org.apache.kafka.tools.TopicCommand --bootstrap-server "$bootstrap" --list
}

cmd_create_topic() {
    local dir topic=${2:-} bootstrap args=()
    dir=$(abs_dir "${1:-}")
    [[ -n $topic ]] || usage
    shift 2
    for kv in "$@"; do args+=(--config "$kv"); done
    bootstrap=$(bootstrap_of "$dir")
    cmd_fetch
    run_tool org.apache.kafka.tools.TopicCommand --bootstrap-server "$bootstrap" --create \
        --topic "$topic" --partitions 3 --replication-factor 1 "${args[@]}"
}

cmd_produce() {
    local dir topic=${2:-} bootstrap args=()
    dir=$(abs_dir "${1:-}")
    [[ -n $topic ]] || usage
    shift 2
    bootstrap=$(bootstrap_of "$dir")
    # kafka.tools.ConsoleProducer (3.x) overwrites --producer-property
    # compression.type=X with its own --compression-codec (default none), so
    # turn the former into the latter.
    while (($#)); do
        if [[ $1 == --producer-property && ${2:-} == compression.type=* ]]; then
            args+=(--compression-codec "${2#compression.type=}")
            shift 2
        else
            args+=("$1")
            shift
        fi
    done
    cmd_fetch
    run_tool kafka.tools.ConsoleProducer --bootstrap-server "$bootstrap" \
        --topic "$topic" "${args[@]}"
}

cmd_consume() {
    local dir topic=${2:-} max=${3:-} timeout=${4:-10000} limit=() bootstrap err rc=0
    dir=$(abs_dir "${1:-}")
    [[ -n $topic ]] || usage
    shift $(($# < 4 ? $# : 4))
    [[ -z $max || $max == 0 ]] || limit=(--max-messages "$max")
    bootstrap=$(bootstrap_of "$dir")
    is_running "$dir" || die "the broker of $dir is not running"
    cmd_fetch
    err=$(mktemp)
    run_tool org.apache.kafka.tools.consumer.ConsoleConsumer \
        --bootstrap-server "$bootstrap" --topic "$topic" \
        --from-beginning --timeout-ms "$timeout" "${limit[@]}" \
        --property print.partition=true --property print.offset=true \
        --property print.headers=true --property print.key=true \
        --property print.value=true --property print.timestamp=false \
        --property key.separator=$'\t' --property headers.separator=, \
        --property headers.key.separator=: "$@" 2>"$err" || rc=$?
    # TIMEOUT_MS of silence is the normal end here: drop the consumer's
    # "Error processing message ... TimeoutException" report of it.
    sed '/ERROR Error processing message, terminating consumer process/{N;/TimeoutException$/d;}' \
        "$err" >&2
    rm -f "$err"
    return "$rc"
}

cmd_dump_codec() {
    local dir topic=${2:-} d name files=()
    dir=$(abs_dir "${1:-}")
    [[ -n $topic ]] || usage
    for d in "$dir/data/$topic"-*; do
        name=${d##*/}
        [[ -d $d && ${name#"$topic"-} =~ ^[0-9]+$ ]] || continue
        for f in "$d"/*.log; do
            [[ -s $f ]] && files+=("$f")
        done
    done
    ((${#files[@]})) || die "no non-empty .log segment of topic $topic under $dir/data"
    cmd_fetch
    local IFS=,
    run_tool kafka.tools.DumpLogSegments --files "${files[*]}" |
        sed -n 's/.*compresscodec: \([A-Za-z0-9_]*\).*/\1/p' | sort -u
}

main() {
    local cmd=${1:-}
    [[ -n $cmd ]] || usage
    shift
    case $cmd in
        fetch)      cmd_fetch ;;
        start)      cmd_start "$@" ;;
        stop)       cmd_stop "$@" ;;
        restart)    cmd_restart "$@" ;;
        status)     cmd_status "$@" ;;
        topics)     cmd_topics "$@" ;;
        create-topic) cmd_create_topic "$@" ;;
        produce)    cmd_produce "$@" ;;
        consume)    cmd_consume "$@" ;;
        dump-codec) cmd_dump_codec "$@" ;;
        -h|--help|help) usage ;;
        *) echo "$PROG: unknown command: $cmd" >&2; usage ;;
    esac
}

main "$@"
