#!/bin/bash
# test_monitor.sh CTITAP SOURCE_DIR - the monitoring endpoint as Prometheus and an operator
# meet it, scraped with curl while ctitap replays a capture slowly (capture.replay_speed):
#  - /metrics passes `promtool check metrics` (Prometheus' own parser and linter: the oracle),
#    holds every counter of the stats record with its value moving during the run, the CTI
#    links, open calls, the capture; a Kafka output's spool and connection state;
#  - /healthz is 200 while the links are up, 503 naming the link while one is down (the
#    failover scenario: a TCP reset, a successor 2 s later);
#  - HTTPS (http.tls_cert/key) and basic authentication (http.user/password_file);
#  - wrong method, unknown path.
set -u
. "$(dirname "$0")/common.sh"
BIN=${1:?usage: test_monitor.sh CTITAP SOURCE_DIR}
SRC=${2:?usage: test_monitor.sh CTITAP SOURCE_DIR}
need curl "scraping the endpoint"
need promtool "checking the exposition format (Debian package prometheus)"
T=$(mktemp -d /tmp/ctitap-monitor.XXXXXX)
trap 'kill $(jobs -p) 2>/dev/null; rm -rf "$T"' EXIT
DEMO=$SRC/pcaps/demo-csta.pcap

# wait_up URL [CURL OPTIONS]: until the endpoint answers (5 s at most)
wait_up() {
	local url=$1
	shift
	for _ in $(seq 50); do
		curl -s -o /dev/null "$@" "$url" && return 0
		sleep 0.1
	done
	return 1
}
metric() { awk -v m="$2" '$1 == m { print $2 }' "$1"; }

# ---- /metrics during a replay ------------------------------------------------------------------
port=$(free_port)
URL=http://127.0.0.1:$port
"$BIN" -r "$DEMO" -X capture.replay_speed=3 -X "http.listen=127.0.0.1:$port" -o "jsonl:$T/demo.jsonl" 2>"$T/err" &
pid=$!
check "the endpoint answers during the replay" wait_up "$URL/metrics"
sleep 1.5
curl -s -D "$T/h1" -o "$T/m1" "$URL/metrics"
sleep 1.5
curl -s -o "$T/m2" "$URL/metrics"
code=$(curl -s -o "$T/health" -w '%{http_code}' "$URL/healthz")
check "/healthz: 200 'ok' while both CSTA links are up ($(tr '\n' '|' <"$T/health"))" \
	test "$code" = 200 -a "$(head -n 1 "$T/health")" = ok
check "/healthz names the capture" grep -q "capture: reading $DEMO" "$T/health"
check "unknown path: 404" test "$(curl -s -o /dev/null -w '%{http_code}' "$URL/nope")" = 404
check "POST: 405" test "$(curl -s -o /dev/null -w '%{http_code}' -X POST "$URL/metrics")" = 405
check "HEAD: 200, no body" test "$(curl -s -I -o /dev/null -w '%{http_code}' "$URL/metrics")" = 200
wait $pid
check "the replay ends with 0" test $? -eq 0

for m in m1 m2; do
	promtool check metrics <"$T/$m" >"$T/$m.promtool" 2>&1
	check "promtool check metrics accepts scrape $m, no lint remark ($(head -c 300 "$T/$m.promtool"))" \
		test $? -eq 0 -a ! -s "$T/$m.promtool"
done
check "Content-Type is the exposition format 0.0.4" grep -qi '^Content-Type: text/plain; version=0.0.4' "$T/h1"
# every counter of the final stats record is a counter family, with HELP
python3 - "$T/demo.jsonl" "$T/m2" >"$T/missing" <<'PY'
import json, sys
stats = json.loads(open(sys.argv[1]).read().splitlines()[-1])
text = open(sys.argv[2]).read()
for k, v in stats.items():
    if isinstance(v, int) and not isinstance(v, bool) and k != "v":
        if ("# TYPE ctitap_%s_total counter\n" % k) not in text or ("# HELP ctitap_%s_total " % k) not in text:
            print(k)
PY
check "every counter of the stats record is in /metrics as ctitap_<name>_total with HELP and TYPE counter ($(tr '\n' ' ' <"$T/missing"))" \
	test ! -s "$T/missing" -a -s "$T/demo.jsonl"
p1=$(metric "$T/m1" ctitap_packets_total)
p2=$(metric "$T/m2" ctitap_packets_total)
final=$(tail -n 1 "$T/demo.jsonl" | python3 -c 'import json, sys; print(json.load(sys.stdin)["packets"])')
check "scraped during the replay: packets $p1 < $p2 < $final (the final count)" \
	test -n "$p1" -a -n "$p2" && test "$p1" -lt "$p2" -a "$p2" -lt "$final"
check "capture running, not live" test "$(metric "$T/m2" ctitap_capture_running)" = 1 -a "$(metric "$T/m2" ctitap_capture_live)" = 0
check "two CSTA links, both up" test "$(grep -c '^ctitap_cti_link_up{.*} 1$' "$T/m2")" = 2
check "the links' monitors" grep -q '^ctitap_cti_link_monitors{link="10.1.0.5:1040-10.1.0.50:[0-9]*",transport="tcp"} [1-9]' "$T/m2"
check "seconds since each link's last message" \
	test "$(grep -c '^ctitap_cti_link_last_message_age_seconds{.*} [0-9]*\.[0-9]*$' "$T/m2")" = 2
check "open calls" grep -q '^ctitap_calls_open [0-9]' "$T/m2"

# ---- /healthz while a link is down ---------------------------------------------------------------
port=$(free_port)
URL=http://127.0.0.1:$port
"$BIN" -r "$SRC/pcaps/scenarios/failover.pcap" -X capture.replay_speed=2 -X flow.tcp_closed_timeout_s=1 \
	-X "http.listen=127.0.0.1:$port" -o jsonl:/dev/null 2>"$T/err" &
pid=$!
wait_up "$URL/healthz"
: >"$T/codes"
while kill -0 $pid 2>/dev/null; do
	c=$(curl -s -o "$T/body" -w '%{http_code}' "$URL/healthz")
	[ "$c" = 000 ] || echo "$c" >>"$T/codes" # 000: the run ended meanwhile
	[ "$c" = 503 ] && cp "$T/body" "$T/down"
	sleep 0.1
done
wait $pid
check "failover: 503 while the reset link had no successor, 200 before and after ($(sort "$T/codes" | uniq -c | tr '\n' ' '))" \
	test "$(grep -c 503 "$T/codes")" -ge 1 -a "$(grep -c 200 "$T/codes")" -ge 2 -a "$(tail -n 1 "$T/codes")" = 200
check "the 503 says which link is down, since when and why" \
	grep -q '^CTI link 10.1.0.5:1040-10.1.0.50:40100 is down since 2026-01-05T12:10:04.513240Z (tcp reset)$' "$T/down"

# ---- Kafka output: spool and connection --------------------------------------------------------------
port=$(free_port)
URL=http://127.0.0.1:$port
# no broker listens on port 9 of loopback: everything waits in the spool
"$BIN" -r "$DEMO" -X capture.replay_speed=4 -X "http.listen=127.0.0.1:$port" -o kafka:127.0.0.1:9 \
	-X "kafka.spool.dir=$T/spool" -X kafka.exit_timeout_ms=0 -X kafka.log_level=0 2>"$T/kerr" &
pid=$!
wait_up "$URL/metrics"
sleep 2
curl -s -o "$T/mk" "$URL/metrics"
wait $pid
promtool check metrics <"$T/mk" >"$T/mk.promtool" 2>&1
check "promtool accepts the scrape with a Kafka output ($(head -c 200 "$T/mk.promtool"))" test $? -eq 0 -a ! -s "$T/mk.promtool"
check "Kafka: not connected, records pending in a spool of some bytes" \
	grep -q '^ctitap_kafka_connected{output="kafka:127.0.0.1:9"} 0$' "$T/mk" &&
	grep -q '^ctitap_kafka_spool_pending_records{output="kafka:127.0.0.1:9"} [1-9]' "$T/mk" &&
	grep -q '^ctitap_kafka_spool_bytes{output="kafka:127.0.0.1:9"} [1-9]' "$T/mk"

# ---- HTTPS and basic authentication ---------------------------------------------------------------
if command -v openssl >/dev/null; then
	openssl req -x509 -newkey rsa:2048 -nodes -keyout "$T/key.pem" -out "$T/cert.pem" -days 2 -subj /CN=localhost \
		-addext "subjectAltName=IP:127.0.0.1" 2>/dev/null
	printf 's3cret; #x\n' >"$T/pw"
	port=$(free_port)
	URL=https://127.0.0.1:$port
	"$BIN" -r "$DEMO" -X capture.replay_speed=2 -X "http.listen=127.0.0.1:$port" -X "http.tls_cert=$T/cert.pem" \
		-X "http.tls_key=$T/key.pem" -X http.user=prom -X "http.password_file=$T/pw" -o jsonl:/dev/null 2>"$T/tlserr" &
	pid=$!
	wait_up "$URL/healthz" --cacert "$T/cert.pem"
	check "HTTPS, right user and password: 200" \
		test "$(curl -s -o "$T/mt" -w '%{http_code}' --cacert "$T/cert.pem" -u 'prom:s3cret; #x' "$URL/metrics")" = 200
	check "the certificate is the one given (curl verified it)" grep -q '^ctitap_packets_total ' "$T/mt"
	check "wrong password: 401" \
		test "$(curl -s -o /dev/null -w '%{http_code}' --cacert "$T/cert.pem" -u prom:nope "$URL/metrics")" = 401
	curl -s -D "$T/h401" -o /dev/null --cacert "$T/cert.pem" "$URL/healthz"
	check "no credentials: 401 with a Basic challenge" grep -qi '^WWW-Authenticate: Basic realm="ctitap"' "$T/h401"
	check "plain HTTP to the HTTPS port gets no answer" test "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/metrics")" != 200
	kill -TERM $pid
	wait $pid
	check "basic authentication without TLS is warned about" \
		sh -c "'$BIN' -r '$DEMO' -X http.listen=127.0.0.1:$(free_port) -X http.user=prom -X 'http.password_file=$T/pw' -o jsonl:/dev/null 2>&1 | grep -q 'password in clear'"
else
	skip "openssl is not installed (HTTPS test)"
fi

# ---- settings errors ------------------------------------------------------------------------------------
"$BIN" -r "$DEMO" -X http.listen=nonsense -o jsonl:/dev/null 2>"$T/e1"
check "http.listen without a port: exit 78 naming it" test $? -eq 78 && grep -q "http.listen" "$T/e1"
"$BIN" -r "$DEMO" -X http.listen=127.0.0.1:9 -X http.tls_cert=/nonexistent.pem -X http.tls_key=/x -o jsonl:/dev/null 2>"$T/e2"
check "unreadable certificate: an error naming the file and the OS's reason" \
	grep -q "cannot read /nonexistent.pem: No such file or directory" "$T/e2"
nc_port=$(free_port)
python3 -c 'import socket, sys, time
s = socket.socket(); s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen(); time.sleep(5)' "$nc_port" &
sleep 0.3
"$BIN" -r "$DEMO" -X "http.listen=127.0.0.1:$nc_port" -o jsonl:/dev/null 2>"$T/e3"
check "an address in use, set explicitly: exit 73, 'Address already in use'" test $? -eq 73 && grep -q "Address already in use" "$T/e3"

# ---- a quiet input: the counters of the frames read ------------------------------------------------
# Five frames within 20 ms of packet time down a FIFO that then stays open and quiet, with the
# workers: /metrics counts all five. (The decoding thread's counters once reached the endpoint at
# a new 100 ms of packet time only, which a quiet link never brings: it showed one frame. On one
# thread the endpoint is served between reads, and a read of a quiet pipe blocks: README.md, Monitoring.)
python3 - "$DEMO" "$T/five.pcap" <<'P'
import struct, sys
d = open(sys.argv[1], "rb").read()
out, off = [d[:24]], 24
for _ in range(5):
    n = struct.unpack_from("<I", d, off + 8)[0]
    out.append(d[off:off + 16 + n]); off += 16 + n
open(sys.argv[2], "wb").write(b"".join(out))
P
for w in 2; do
	mkfifo "$T/fifo$w"
	port=$(free_port)
	"$BIN" -r "$T/fifo$w" -X capture.workers=$w -X "http.listen=127.0.0.1:$port" -o jsonl:/dev/null 2>"$T/fifo$w.err" &
	pid=$!
	exec 3>"$T/fifo$w"
	cat "$T/five.pcap" >&3
	wait_up "http://127.0.0.1:$port/metrics"
	got=
	for _ in $(seq 30); do
		curl -s -m 2 -o "$T/q$w" "http://127.0.0.1:$port/metrics"
		got=$(metric "$T/q$w" ctitap_packets_total)
		[ "$got" = 5 ] && break
		sleep 0.1
	done
	check "a quiet input, capture.workers=$w: /metrics counts the 5 frames read (${got:-none})" test "$got" = 5
	exec 3>&-
	wait $pid
done

finish
