#!/usr/bin/env python3
"""Hostile traffic must not blind or stall the tap (issue 12), on captures crafted here
(floodgen.py), through the real ctitap:

  - one SIP message over 64 KiB on a TCP connection does not hide the others;
  - two calls whose Call-IDs share their first 256 bytes never become one record (ids over the
    cap are refused, counted and audited; shorter ones that differ only at the end stay apart);
  - a message too large for the flow (skipped by its Content-Length, or dropped by TCP at
    tcp.flow_memcap_kb) does not turn the next INVITE into "BBB...BINVITE";
  - 256 idle fake CSTA links do not lock the real CTI link out of csta.max_links;
  - thousands of tiny half-messages do not crowd a real multi-segment INVITE out of tcp.memcap;
  - one frame dated 2096 does not freeze the timers: calls are written as they end;
  - the capture's clock stepping back a day is reported, and calls still end on time;
  - frames dated past the year 9999 give no record outside the schema.

Every record is validated against schemas/.
"""
import json
import os
import subprocess
import sys
import tempfile

from golden import check, finish

import floodgen  # noqa: E402
from validate import validate_lines  # noqa: E402

CTITAP = sys.argv[1] if len(sys.argv) > 1 else "ctitap"


def run(pcap, *args):
    p = subprocess.run([CTITAP, "-q", "-r", pcap, "-o", "jsonl:-"] + list(args), capture_output=True, text=True,
                       timeout=300)
    lines = [l for l in p.stdout.splitlines() if l.strip()]
    errs = validate_lines(lines)
    check(not errs, f"{os.path.basename(pcap)}: every record valid against schemas/ ({errs[:2]})")
    recs = [json.loads(l) for l in lines]
    stats = [r for r in recs if r["type"] == "stats" and r.get("final")]
    return p.returncode, recs, stats[0] if stats else {}


def invites(recs):
    return [r for r in recs if r["type"] == "event" and r.get("src") == "sip" and r.get("method", "").endswith("INVITE")]


def main():
    tmp = tempfile.mkdtemp(prefix="ctitap-rel-")

    # 0. Merging: Call-IDs over the cap refused whole, never cut into one another
    p = os.path.join(tmp, "long-callids.pcap")
    ids = floodgen.long_callids(p)
    rc, recs, st = run(p)
    calls = [r for r in recs if r["type"] == "call"]
    for cid in ids:
        holders = [c for c in calls if cid in c["sip"]]
        if len(cid) > 256:
            check(not holders, f"a Call-ID of {len(cid)} bytes is in no call record ({len(holders)})")
        else:
            check(len(holders) == 1 and holders[0]["sip"] == [cid],
                  f"a {len(cid)}-byte Call-ID differing only in its last byte is a call of its own "
                  f"({[c['call'] for c in holders]})")
    refused = [r for r in recs if r["type"] == "audit" and r["kind"] == "refused"]
    check(st.get("sip_callid_refused", 0) >= 2 and refused,
          f"the long ones counted (sip_callid_refused {st.get('sip_callid_refused')}) and audited ({len(refused)})")

    # 1. one SIP message with 70 KiB of headers among 106 INVITEs
    p = os.path.join(tmp, "big-header.pcap")
    n = floodgen.sip_big_header(p)
    rc, recs, st = run(p)
    inv = invites(recs)
    check(rc == 0 and len(inv) == n - 1,
          f"106 INVITEs on one connection, one with 70 KiB of headers: {len(inv)} reported (105; 5 before the fix)")
    check(st.get("sip_oversized") == 1 and st.get("sip_skipped_bytes", 0) > 70 * 1024,
          f"the big one skipped whole, counted (sip_oversized {st.get('sip_oversized')}, "
          f"sip_skipped_bytes {st.get('sip_skipped_bytes')})")

    # 2. a body too large for the stream cap, then an INVITE glued to its last byte
    p = os.path.join(tmp, "big-body.pcap")
    floodgen.sip_big_body(p, 300 * 1024)
    rc, recs, st = run(p)
    methods = [r.get("method") for r in invites(recs)]
    check(methods == ["INVITE", "INVITE"] and st.get("sip_oversized") == 1,
          f"a 300 KiB body skipped by its Content-Length: the INVITE after it is an INVITE ({methods})")
    # ... and when TCP drops the message at tcp.flow_memcap_kb first: resync on the glued INVITE
    p = os.path.join(tmp, "big-body-flowcap.pcap")
    floodgen.sip_big_body(p, 100 * 1024, count=3)
    rc, recs, st = run(p, "-X", "tcp.flow_memcap_kb=64")
    methods = [r.get("method") for r in invites(recs)]
    check(methods == ["INVITE"] * 4 and st.get("tcp_flow_memcap", 0) >= 3,
          f"100 KiB bodies dropped at tcp.flow_memcap_kb=64: the INVITEs glued after them read as INVITE "
          f"({methods}, tcp_flow_memcap {st.get('tcp_flow_memcap')})")
    check(not any(m and m != "INVITE" for m in methods), "no method 'BBB...BINVITE'")

    # 3. 256 idle fake CSTA links, then the real CTI link
    p = os.path.join(tmp, "fake-links.pcap")
    pbx, cli = floodgen.csta_fake_links(p, fakes=256, real_calls=20)
    rc, recs, st = run(p)
    real = "%s:%d-%s:%d" % (pbx + cli)
    delivered = [r for r in recs if r["type"] == "event" and r.get("name") == "delivered" and r.get("link") == real]
    evicted = [r for r in recs if r["type"] == "audit" and r.get("kind") == "evicted" and r.get("link")]
    check(len(delivered) == 20, f"the real CTI link after 256 idle fake ones is tracked: {len(delivered)} of 20 events")
    check(st.get("csta_links_evicted") == len(evicted) >= 1 and st.get("csta_links_refused") == 0,
          f"the links that gave way are counted and named in evicted audits ({len(evicted)}, "
          f"{evicted[0]['detail'][:90] if evicted else ''})")

    # 4. tiny half-messages fill tcp.memcap; a real INVITE in three segments still gets through
    p = os.path.join(tmp, "tiny-flows.pcap")
    floodgen.tiny_flows(p, 12000)
    rc, recs, st = run(p, "-X", "tcp.memcap_mb=1")
    got = [r for r in invites(recs) if "flood-4242@" in r.get("call_id", "")]
    check(len(got) == 1, f"12000 tiny half-messages against tcp.memcap_mb=1: the real 3-segment INVITE is read ({len(got)})")
    check(st.get("tcp_evicted", 0) > 0 and st.get("tcp_memcap", 1) == 0,
          f"the half-messages gave way, counted (tcp_evicted {st.get('tcp_evicted')}, tcp_memcap {st.get('tcp_memcap')})")

    # 5. one frame dated 2096 among 300 calls a second apart
    p = os.path.join(tmp, "future.pcap")
    floodgen.future_timestamp(p, 300)
    rc, recs, st = run(p)
    order = {}
    for i, r in enumerate(recs):
        if r["type"] == "call" and "udp-10@" in json.dumps(r.get("sip", [])):
            order["call10"] = i
        if r["type"] == "event" and r.get("call_id", "").startswith("udp-200@") and r.get("name") == "invite":
            order["invite200"] = i
    check(order.get("call10", 1 << 30) < order.get("invite200", -1),
          f"one frame dated 2096: call 10's record is written before call 200 starts (timers run) {order}")
    check(st.get("clock_outliers") == 1 and st.get("clock_jumps") == 0 and not any(r["ts"].startswith("2096") for r in recs),
          f"the frame is an outlier, processed at the clock's time; no record dated 2096 "
          f"(clock_outliers {st.get('clock_outliers')})")

    # 6. the capture's clock steps back a day halfway and stays there
    p = os.path.join(tmp, "back.pcap")
    floodgen.clock_back(p, 200)
    rc, recs, st = run(p)
    jumps = [r for r in recs if r["type"] == "audit" and r.get("kind") == "clock_jump"]
    check(len(jumps) == 1 and st.get("clock_jumps") == 1 and "back by 86" in jumps[0]["detail"],
          f"a clock stepping back a day is reported once ({[j['detail'][:70] for j in jumps]})")
    order = {}
    for i, r in enumerate(recs):
        if r["type"] == "call" and "udp-110@" in json.dumps(r.get("sip", [])):
            order["call110"] = i
        if r["type"] == "event" and r.get("call_id", "").startswith("udp-190@") and r.get("name") == "invite":
            order["invite190"] = i
    check(order.get("call110", 1 << 30) < order.get("invite190", -1),
          f"after the step back, calls are written as they end (call 110 before call 190 starts) {order}")

    # 7. frames dated past the year 9999 (pcapng, 64-bit times)
    p = os.path.join(tmp, "y10000.pcapng")
    floodgen.far_future_pcapng(p, 20)
    rc, recs, st = run(p)
    check(rc == 0 and st.get("clock_invalid") == 40 and all(r["ts"] < "2100" for r in recs),
          f"40 frames past 9999-12-31: counted (clock_invalid {st.get('clock_invalid')}), every record dated on the "
          f"capture clock")
    return finish()


if __name__ == "__main__":
    sys.exit(main())
