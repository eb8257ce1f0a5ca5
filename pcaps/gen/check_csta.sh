#!/usr/bin/env bash
# Checks the CSTA links that `ctitap-gen --csta` writes, with tools that are
# not ctitap:
#  1. determinism: the documented command rebuilds pcaps/demo-csta.pcap and
#     pcaps/demo-csta.expect.jsonl byte for byte (and a second run equals
#     the first);
#  2. the SIP/RTP part is untouched: tshark's SIP and RTP statistics equal
#     those of pcaps/demo.pcap (same scenario without --csta);
#  3. each CSTA TCP stream, extracted with `tshark -z follow,tcp,raw`, splits
#     exactly by its framing (8-byte ECMA-323 header on 1040, 2-byte length
#     on 2555); every XML message passes `xmllint --noout`, every BER PDU
#     `unber -p`;
#  4. message counts per link and direction equal counts worked out here
#     from the scenario table and the SIP calls tshark sees (direction from
#     who sent the INVITE), and every message matches its line in the
#     expect file (kind, name, invoke id, xref, callID, device, state, cause);
#  5. the UCID in each SIP INVITE's User-to-User equals the correlatorData of
#     that call's Delivered/Failed on both links, and the Delivered precedes
#     the INVITE by less than 50 ms;
#  6. TCP: checksums good, and the only TCP analysis flags are the intended
#     ones: per link one "previous segment not captured" + one out-of-order
#     per SPAN-duplicate call (swapped segments) and one retransmission per
#     INVITE-retransmission call; no malformed packets, no expert errors.
#
# Usage: pcaps/gen/check_csta.sh   (CTITAP_GEN=/path/to/ctitap-gen to use a
#                                   given binary)
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
demo="$root/pcaps/demo-csta.pcap"
demo_x="$root/pcaps/demo-csta.expect.jsonl"

# Keep in step with pcaps/README.md.
DEMO_CALLS=6
DEMO_AGENTS=3
DEMO_ARGS=(--scenario mix --calls "$DEMO_CALLS" --concurrency "$DEMO_AGENTS"
           --talk 6 --ring 2000 --seed 1 --start 1767603600 --csta both)

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0
err() { echo "FAIL: $*" >&2; fail=1; }

for tool in tshark xmllint unber python3; do
    command -v "$tool" >/dev/null || {
        echo "check_csta.sh: $tool missing (apt-get install -y tshark" \
             "libxml2-utils asn1c python3)" >&2
        exit 2
    }
done

gen=${CTITAP_GEN:-}
if [[ -z $gen ]]; then
    gen="$tmp/ctitap-gen"
    "${CC:-cc}" -std=c11 -O2 -Wall -Wextra -Werror -o "$gen" "$here/ctitap-gen.c"
fi

# 1. Determinism.
"$gen" -q -o "$tmp/a.pcap" --expect "$tmp/a.jsonl" "${DEMO_ARGS[@]}"
"$gen" -q -o "$tmp/b.pcap" --expect "$tmp/b.jsonl" "${DEMO_ARGS[@]}"
cmp -s "$tmp/a.pcap" "$tmp/b.pcap" && cmp -s "$tmp/a.jsonl" "$tmp/b.jsonl" ||
    err "two runs with the same options differ"
if [[ -f $demo && -f $demo_x ]]; then
    if cmp -s "$tmp/a.pcap" "$demo" && cmp -s "$tmp/a.jsonl" "$demo_x"; then
        echo "ok: regenerated demo-csta.pcap and its expect file are byte-identical"
    else
        err "regenerated demo-csta.pcap / .expect.jsonl differ from the committed files"
    fi
else
    err "$demo or $demo_x missing"
fi

# 2. SIP and RTP as without --csta.
sipstat() { tshark -n -r "$1" -q -z sip,stat 2>/dev/null | grep -E '^ *(SIP|[A-Z]+ *:|Number)' ; }
rtpn() { tshark -n -r "$1" -q -z rtp,streams 2>/dev/null |
         awk '$3 ~ /^[0-9]+\.[0-9]+\.[0-9]+\.[0-9]+$/' | wc -l; }
"$gen" -q -o "$tmp/nocsta.pcap" "${DEMO_ARGS[@]:0:${#DEMO_ARGS[@]}-2}"
if [[ "$(sipstat "$tmp/a.pcap")" == "$(sipstat "$tmp/nocsta.pcap")" &&
      "$(rtpn "$tmp/a.pcap")" == "$(rtpn "$tmp/nocsta.pcap")" ]]; then
    echo "ok: SIP statistics and $(rtpn "$tmp/a.pcap") RTP streams equal those without --csta"
else
    err "SIP/RTP statistics differ from the same scenario without --csta"
fi

# 3.-6.
python3 - "$tmp/a.pcap" "$tmp/a.jsonl" "$tmp" "$DEMO_CALLS" "$DEMO_AGENTS" <<'EOF' || fail=1
import json, re, subprocess, sys, os

pcap, xfile, tmp, ncalls, nagents = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5])
bad = []
def fail(msg):
    bad.append(msg)
    print("FAIL: " + msg, file=sys.stderr)

def tshark(*args):
    return subprocess.run(["tshark", "-n", "-r", pcap, *args], capture_output=True,
                          text=True, check=True).stdout

# ---- the scenario, worked out from the SIP in the capture ----
# mix cycle (gen_mix_pattern in ctitap-gen.c, pcaps/README.md)
pattern = ["ans", "hold", "cancel", "retx", "busy", "dup", "ans", "ans", "ans", "ans"]
inv = tshark("-Y", "sip.Method == \"INVITE\" && !sip.to.tag", "-T", "fields",
             "-e", "frame.time_epoch", "-e", "ip.src", "-e", "sip.Call-ID", "-e", "sip.msg_hdr")
calls = []  # call number order = order of first INVITE
seen = {}
for line in inv.splitlines():
    t, src, cid, hdr = (line.split("\t") + ["", "", "", ""])[:4]
    if cid in seen:
        continue
    m = re.search(r"User-to-User: 00FA08([0-9A-F]{16});encoding=hex", hdr)
    seen[cid] = len(calls)
    calls.append({"cid": cid, "t": float(t), "inbound": src == "10.1.0.1",
                  "ucid": m.group(1).lower() if m else None})
if len(calls) != ncalls:
    fail(f"SIP: {len(calls)} calls, want {ncalls}")

def events_of(k, inbound):
    p = pattern[k % 10]
    out = {"ans": "answered", "retx": "answered", "dup": "answered"}.get(p, p)
    if inbound:
        return {"answered": ["delivered", "established", "connection_cleared"],
                "hold": ["delivered", "established", "held", "retrieved", "connection_cleared"],
                "cancel": ["delivered", "connection_cleared"],
                "busy": ["failed"]}[out]
    head = ["service_initiated", "originated", "network_reached"]
    return head + {"answered": ["delivered", "established", "connection_cleared"],
                   "hold": ["delivered", "established", "held", "retrieved", "connection_cleared"],
                   "cancel": ["delivered", "connection_cleared"],
                   "busy": ["failed"]}[out]

n_events = sum(len(events_of(k, c["inbound"])) for k, c in enumerate(calls))
want = {("xml", "pbx->client"): nagents + 1 + n_events,   # monitor results, SystemStatus, events
        ("xml", "client->pbx"): nagents + 1,              # monitor requests, SystemStatus result
        ("ber", "pbx->client"): 1 + nagents + 1 + n_events,  # + AARE
        ("ber", "client->pbx"): 1 + nagents + 1}             # + AARQ
n_dup = sum(1 for k in range(len(calls)) if pattern[k % 10] == "dup")
n_retx = sum(1 for k in range(len(calls)) if pattern[k % 10] == "retx")

# ---- the expect file ----
exp = [json.loads(l) for l in open(xfile)]
xmsgs = [e for e in exp if e["type"] == "csta"]
xcalls = [e for e in exp if e["type"] == "call"]
if [c["sip_call_id"] for c in xcalls] != [c["cid"] for c in calls]:
    fail("expect: call lines do not list the SIP calls in order")
for xc, c in zip(xcalls, calls):
    if xc["ucid"] != c["ucid"]:
        fail(f"expect: call {c['cid']}: ucid {xc['ucid']} but SIP has {c['ucid']}")
    if xc["direction"] != ("inbound" if c["inbound"] else "outbound"):
        fail(f"expect: call {c['cid']}: direction {xc['direction']}")

# ---- the streams ----
CAUSES = {3: "busy", 5: "call_cancelled", 22: "new_call", 48: "normal_clearing", 78: "normal"}
LCS = ["null", "initiated", "alerting", "connected", "hold", "queued", "fail"]
# ECMA-285 CallControlEvents tags
CCE = {0: "bridged", 1: "call_cleared", 2: "conferenced", 3: "connection_cleared", 4: "delivered",
       5: "digits_dialed", 6: "diverted", 7: "established", 8: "failed", 9: "held",
       10: "network_capabilities_changed", 11: "network_reached", 12: "offered", 13: "originated",
       14: "queued", 15: "retrieved", 16: "service_initiated", 17: "transferred"}
OPS = {21: "event", 71: "monitor_start", 211: "system_status"}
SUBJ = {"delivered": "alertingDevice", "established": "answeringDevice",
        "connection_cleared": "releasingDevice", "held": "holdingDevice",
        "retrieved": "retrievingDevice", "failed": "failingDevice",
        "service_initiated": "initiatingDevice", "originated": "callingDevice",
        "network_reached": "networkInterfaceUsed"}

def tlvs(b):
    """Top-level TLVs of b: [(tag, value bytes)] (single-byte tags, definite lengths)."""
    out, i = [], 0
    while i < len(b):
        tag, l = b[i], b[i + 1]
        i += 2
        if l & 0x80:
            n = l & 0x7f
            l = int.from_bytes(b[i:i + n], "big")
            i += n
        out.append((tag, b[i:i + l]))
        i += l
    return out

def first(b, tag):
    for t, v in tlvs(b):
        if t == tag:
            return v
    return None

def ber_info(pdu):
    (top, body), = tlvs(pdu)
    d = {}
    if top in (0x60, 0x61):
        d["kind"] = d["name"] = "aarq" if top == 0x60 else "aare"
        d["invoke_id"] = None
        return d
    parts = tlvs(body)
    d["invoke_id"] = int.from_bytes(parts[0][1], "big")
    if top == 0xa1:
        op = int.from_bytes(parts[1][1], "big")
        if op == 21:
            arg = parts[2][1]
            d["kind"] = "event"
            d["xref"] = first(arg, 0x55).hex()
            (etag, ev), = tlvs(first(arg, 0xa0))
            d["name"] = CCE[etag & 0x1f]
            conn = first(first(ev, 0x6b), 0x30)
            d["call_id"] = first(conn, 0x80).hex()
            d["device"] = first(first(first(ev, 0x63), 0x30), 0x80).decode()
            d["state"] = LCS[first(ev, 0x4e)[0]]
            d["cause"] = CAUSES.get(int.from_bytes(first(ev, 0x0a), "big"), "?")
            c = [v for t, v in tlvs(ev) if t in (0x80, 0x81, 0x82) and len(v) == 8]
            d["correlator"] = c[0].hex() if c else None
        else:
            d["kind"], d["name"] = "request", OPS[op]
    elif top == 0xa2:
        res = tlvs(parts[1][1])
        d["kind"], d["name"] = "result", OPS[int.from_bytes(res[0][1], "big")]
        if d["name"] == "monitor_start":
            d["xref"] = first(res[1][1], 0x55).hex()
    return d

def snake(s):
    return re.sub(r"(?<!^)([A-Z])", r"_\1", s).lower()

def xml_info(hdr_inv, text):
    import xml.etree.ElementTree as ET
    root = ET.fromstring(text)
    loc = lambda e: e.tag.split("}")[-1]
    kids = {loc(e): e for e in root}
    name = loc(root)
    d = {"invoke_id": int(hdr_inv)}
    if name.endswith("Event"):
        d["kind"], d["name"] = "event", snake(name[:-5])
        d["xref"] = kids["monitorCrossRefID"].text
        d["call_id"] = next(e.text for e in root.iter() if loc(e) == "callID")
        d["device"] = next(e.text for e in kids[SUBJ[d["name"]]].iter() if loc(e) == "deviceIdentifier")
        d["state"] = kids["localConnectionInfo"].text
        d["cause"] = snake(kids["cause"].text)
        cd = kids.get("correlatorData")
        d["correlator"] = next(e.text for e in cd.iter() if loc(e) == "string").lower() if cd is not None else None
    elif name.endswith("Response"):
        d["kind"], d["name"] = "result", snake(name[:-8])
        if "monitorCrossRefID" in kids:
            d["xref"] = kids["monitorCrossRefID"].text
    else:
        d["kind"], d["name"] = "request", snake(name)
    return d

streams = tshark("-Y", "tcp.flags.syn == 1 && tcp.flags.ack == 0", "-T", "fields",
                 "-e", "tcp.stream", "-e", "tcp.dstport").split()
streams = dict(zip(streams[1::2], streams[0::2]))  # port -> stream
got_counts = {}
nfile = 0
for port, enc in (("1040", "xml"), ("2555", "ber")):
    if port not in streams:
        fail(f"no TCP connection to port {port}")
        continue
    fo = tshark("-q", "-z", f"follow,tcp,raw,{streams[port]}")
    node = {}
    data = {0: bytearray(), 1: bytearray()}
    for line in fo.splitlines():
        m = re.match(r"Node (\d): (\S+):(\d+)$", line)
        if m:
            node[int(m.group(1))] = m.group(3)
            continue
        if re.fullmatch(r"\t?[0-9a-f]+", line):
            data[1 if line.startswith("\t") else 0] += bytes.fromhex(line.strip())
    pbx_node = 0 if node.get(0) == port else 1
    for n in (0, 1):
        d = "pbx->client" if n == pbx_node else "client->pbx"
        buf, i, msgs = bytes(data[n]), 0, []
        while i < len(buf):
            if enc == "xml":
                if buf[i:i + 2] != b"\0\0" or len(buf) - i < 8:
                    fail(f"{enc} {d}: bad ECMA-323 header at offset {i}")
                    break
                ln = int.from_bytes(buf[i + 2:i + 4], "big")
                inv, body = buf[i + 4:i + 8].decode(), buf[i + 8:i + ln]
                if not inv.isdigit() or ln < 8 or i + ln > len(buf):
                    fail(f"{enc} {d}: bad header at offset {i}")
                    break
                i += ln
            else:
                ln = int.from_bytes(buf[i:i + 2], "big")
                inv, body = None, buf[i + 2:i + 2 + ln]
                if i + 2 + ln > len(buf):
                    fail(f"{enc} {d}: truncated PDU at offset {i}")
                    break
                i += 2 + ln
            nfile += 1
            path = os.path.join(tmp, f"m{nfile}.{enc}")
            open(path, "wb").write(body)
            tool = ["xmllint", "--noout", path] if enc == "xml" else ["unber", "-p", path]
            r = subprocess.run(tool, capture_output=True, text=True)
            if r.returncode != 0 or (enc == "xml" and r.stderr):
                fail(f"{enc} {d}: message {len(msgs) + 1} rejected by {tool[0]}: {r.stderr.strip()}")
            try:
                msgs.append(xml_info(inv, body) if enc == "xml" else ber_info(body))
            except Exception as e:  # noqa
                fail(f"{enc} {d}: message {len(msgs) + 1} not understood: {e!r}")
                msgs.append({})
        got_counts[(enc, d)] = len(msgs)
        if len(msgs) != want[(enc, d)]:
            fail(f"{enc} {d}: {len(msgs)} messages, scenario wants {want[(enc, d)]}")
        xs = [e for e in xmsgs if e["encoding"] == enc and e["dir"] == d]
        if len(xs) != len(msgs):
            fail(f"{enc} {d}: {len(msgs)} messages, expect file lists {len(xs)}")
        for j, (m, x) in enumerate(zip(msgs, xs)):
            for key, val in m.items():
                if x.get(key) != val:
                    fail(f"{enc} {d} message {j + 1}: {key} is {val!r}, expect file says {x.get(key)!r}")
        ts = [x["t"] for x in xs]
        if ts != sorted(ts):
            fail(f"{enc} {d}: expect times not in order")
        # Correlation: UCID of SIP == correlatorData of the call's first event.
        if d == "pbx->client":
            for k, c in enumerate(calls):
                xc = xcalls[k] if k < len(xcalls) else {}
                evs = [(m, x) for m, x in zip(msgs, xs)
                       if m.get("kind") == "event" and m.get("call_id") == xc.get("csta_call_id")]
                names = [m["name"] for m, _ in evs]
                if names != events_of(k, c["inbound"]):
                    fail(f"{enc}: call {k} events {names}, scenario wants {events_of(k, c['inbound'])}")
                corr = [m["correlator"] for m, _ in evs if m.get("correlator")]
                if c["ucid"] and corr != [c["ucid"]]:
                    fail(f"{enc}: call {k}: correlatorData {corr}, SIP UUI {c['ucid']}")
                if c["ucid"] and evs and evs[0][0]["name"] == "delivered":
                    from datetime import datetime, timezone
                    t = datetime.strptime(evs[0][1]["t"], "%Y-%m-%dT%H:%M:%S.%fZ").replace(
                        tzinfo=timezone.utc).timestamp()
                    if not (c["t"] - 0.05 < t < c["t"]):
                        fail(f"{enc}: call {k}: Delivered at {t:.6f}, INVITE at {c['t']:.6f}")
print("CSTA messages per link and direction: " +
      ", ".join(f"{e} {d} {n}" for (e, d), n in sorted(got_counts.items())) +
      f"; all parsed ({nfile} files through xmllint/unber)")

# ---- TCP ----
def count(flt):
    return len(tshark("-o", "tcp.check_checksum:TRUE", "-Y", flt).splitlines())
for flt, n in (("tcp.analysis.lost_segment", 2 * n_dup),
               ("tcp.analysis.out_of_order", 2 * n_dup),
               ("tcp.analysis.retransmission", 2 * n_retx),
               ("tcp.analysis.flags && !tcp.analysis.lost_segment && !tcp.analysis.out_of_order"
                " && !tcp.analysis.retransmission", 0),
               ("tcp && tcp.checksum.status != 1", 0),
               ("_ws.malformed", 0)):
    got = count(flt)
    if got != n:
        fail(f"tshark: {got} packets match '{flt}', want {n}")
ex = tshark("-o", "ip.check_checksum:TRUE", "-o", "tcp.check_checksum:TRUE",
            "-o", "udp.check_checksum:TRUE", "-q", "-z", "expert")
if re.search(r"^Errors \(", ex, re.M):
    fail("tshark expert errors:\n" + ex)
print(f"TCP: {2 * n_dup} swapped-segment pairs, {2 * n_retx} retransmissions, as intended; "
      "checksums good; no malformed packets")
sys.exit(1 if bad else 0)
EOF

if [[ $fail -ne 0 ]]; then
    echo "check_csta.sh: FAILED" >&2
    exit 1
fi
echo "check_csta.sh: all checks passed"
