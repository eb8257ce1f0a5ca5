#!/bin/sh
# pcaps/kamailio/make.sh [OUT.pcap]: a real SIP server rewriting what crosses it, captured on
# loopback. Kamailio (Debian's, kamailio.cfg here: a record-routing proxy whose topoh module masks
# Via, Record-Route, Contact and the Call-ID, so the callee's side of every call has a Call-ID of
# its own) between SIPp as the carrier (127.0.0.10:5070) and SIPp as the phones (127.0.0.30:5080);
# the proxy listens on 127.0.0.20:5060. Calls of four shapes go through it one shape after the
# other (uac_*.xml / uas_*.xml): answered, cancelled while ringing, busy (486), held and resumed by
# re-INVITEs, then 45 s of the carrier's OPTIONS keep-alives. Every INVITE of the carrier carries X-Scenario-Call: <shape>-<n>, which Kamailio
# relays unchanged: tests/golden/test_kamailio.py pairs the two Call-IDs of each call by it
# (tshark), independently of ctitap. tcpdump records the loopback traffic of the three
# addresses only. Needs kamailio, sip-tester (sipp) and tcpdump (CTITAP_CAPTURE_PKGS in
# scripts/lib.sh); writes kamailio-topoh.pcap beside this script unless OUT is given.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
out=${1:-$here/kamailio-topoh.pcap}
for t in kamailio sipp tcpdump; do
	command -v "$t" >/dev/null || { echo "make.sh: $t missing (apt-get install kamailio sip-tester tcpdump)" >&2; exit 77; }
done
tmp=$(mktemp -d)
kam= dump= uas=
cleanup() {
	# only the processes this script started, by their ids
	[ -n "$uas" ] && kill "$uas" 2>/dev/null || true
	[ -n "$kam" ] && kill "$kam" 2>/dev/null || true
	[ -n "$dump" ] && kill -INT "$dump" 2>/dev/null || true
	wait 2>/dev/null || true
	if [ -n "${KEEP_LOGS:-}" ]; then echo "make.sh: logs in $tmp" >&2; else rm -rf "$tmp"; fi
}
trap cleanup EXIT INT TERM

tcpdump -i lo -s 0 -U -w "$tmp/cap.pcap" 'udp and (host 127.0.0.10 or host 127.0.0.20 or host 127.0.0.30)' \
	2>"$tmp/tcpdump.log" &
dump=$!
kamailio -f "$here/kamailio.cfg" -Y "$tmp" -P "$tmp/kamailio.pid" -DD -E 2>"$tmp/kamailio.log" &
kam=$!
sleep 2

n=8
for shape in answered cancelled busy hold; do
	sipp -sf "$here/uas_$shape.xml" -i 127.0.0.30 -p 5080 -m $n -nostdin -timeout 120 -trace_err \
		-error_file "$tmp/uas_$shape.err" >"$tmp/uas_$shape.log" 2>&1 &
	uas=$!
	sleep 0.5
	sipp -sf "$here/uac_$shape.xml" -i 127.0.0.10 -p 5070 -s "$shape" 127.0.0.20:5060 -m $n -r 2 -l 4 \
		-nostdin -timeout 120 -timeout_error -trace_err -error_file "$tmp/uac_$shape.err" \
		>"$tmp/uac_$shape.log" 2>&1 || {
		echo "make.sh: the $shape calls failed" >&2
		tail -n 30 "$tmp/uac_$shape.err" >&2 || true
		exit 1
	}
	wait "$uas" || { echo "make.sh: the phone side of $shape failed" >&2; tail -n 30 "$tmp/uas_$shape.err" >&2; exit 1; }
	uas=
	sleep 1
done
# 45 s of the carrier's OPTIONS every 5 s: calls ended before the capture does
sipp -sf "$here/uac_options.xml" -i 127.0.0.10 -p 5070 127.0.0.20:5060 -m 9 -r 1 -rp 5000 -nostdin -timeout 120 \
	-timeout_error >"$tmp/options.log" 2>&1 || { echo "make.sh: the keep-alives failed" >&2; exit 1; }
sleep 1
kill "$kam"
wait "$kam" 2>/dev/null || true
kam=
kill -INT "$dump"
wait "$dump" 2>/dev/null || true
dump=
cp "$tmp/cap.pcap" "$out"
echo "make.sh: $(tshark -r "$out" -q -z sip,stat 2>/dev/null | grep -c . || true) lines of SIP statistics; wrote $out"
