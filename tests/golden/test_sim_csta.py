#!/usr/bin/env python3
"""The simulator's CSTA scenario (pcaps/demo-csta.pcap) against its expected messages.

pcaps/demo-csta.expect.jsonl is written by ctitap-gen from its script, beside the capture (and
checked against xmllint and unber by pcaps/gen/check_csta.sh): every CSTA message it put on the
XML and the BER link. ctitap must report each of them, once, at its packet time, with the same
kind, name, invoke id, monitor cross-reference, callID, device, state and cause; answers must
be paired with their requests; and the SIP calls must carry the UCID the CSTA Delivered events
carry as correlatorData.
"""
import json
import os
import subprocess
import sys

from golden import ROOT, check, finish






def main():
    ctitap = sys.argv[1]
    import validate
    pcap = os.path.join(ROOT, "pcaps", "demo-csta.pcap")
    expect = [json.loads(l) for l in open(os.path.join(ROOT, "pcaps", "demo-csta.expect.jsonl"))]
    p = subprocess.run([ctitap, "-q", "-r", pcap, "-o", "jsonl:-"], capture_output=True, text=True, timeout=120)
    lines = [l for l in p.stdout.splitlines() if l.strip()]
    errs = validate.validate_lines(lines)
    check(p.returncode == 0 and not errs, f"ctitap ran, {len(lines)} valid records {errs[:2]}")
    recs = [json.loads(l) for l in lines]
    stats = recs[-1]
    got = [r for r in recs if r.get("src") == "csta"]
    want = [e for e in expect if e.get("type") == "csta"]
    check(len(got) == len(want), f"{len(got)} CSTA messages reported == {len(want)} written by the simulator")
    check(stats["csta_links"] == 2 and stats["csta_bad"] == 0 and stats["csta_unknown"] == 0,
          f"both links found by content, everything decoded ({stats['csta_links']}, {stats['csta_bad']}, {stats['csta_unknown']})")
    check(stats["tcp_gaps"] == 0, "reordered and retransmitted link segments reassembled without a gap")
    # match each expected message to a reported one with the same time, encoding and invoke id
    pool = list(got)
    for e in want:
        cands = [r for r in pool if r["ts"] == e["t"] and r["encoding"] == e["encoding"] and r.get("invoke_id") == e["invoke_id"]]
        if not cands:
            check(False, f"{e['t']} {e['encoding']} {e['name']} invoke {e['invoke_id']}: reported")
            continue
        r = cands[0]
        pool.remove(r)
        name = e["name"] if e["kind"] != "result" else e["name"] + "_result"
        if e["name"] == "monitor_start":  # the monitored device: in the request, and mapped for the result
            device = r.get("monitor_device") if e["kind"] == "request" else r.get("monitored")
        else:  # the device the event reports on: its subject (alerting, answering, network ...)
            device = r.get("subject") or r.get("device")
        fields = {"kind": (r.get("kind"), e["kind"]), "name": (r.get("name"), name),
                  "xref": (r.get("xref"), e.get("xref")), "call_id": (r.get("call_id"), e.get("call_id")),
                  "device": (device, e.get("device")), "state": (r.get("state"), e.get("state")),
                  "cause": (r.get("cause"), e.get("cause"))}
        bad = {k: v for k, v in fields.items() if v[1] is not None and v[0] != v[1]}
        check(not bad, f"{e['t']} {e['encoding']} {name} invoke {e['invoke_id']}: {bad or 'as written'}")
        if e.get("correlator"):
            check(r.get("correlator", "").lower() == e["correlator"].lower(),
                  f"{e['t']} {name}: correlatorData {r.get('correlator')} == {e['correlator']}")
    answers = [r for r in got if r.get("kind") == "result"]
    check(answers and all("latency_us" in r for r in answers), f"all {len(answers)} results paired with their request")
    # the UCID of each inbound SIP call equals the correlatorData of its Delivered events
    ucids = {r.get("ucid_hex") for r in recs if r.get("name") == "invite" and r.get("uui")}
    calls = [e for e in expect if e.get("type") == "call" and e.get("ucid")]
    for c in calls:
        invites = [r for r in recs if r.get("name") == "invite" and r.get("call_id") == c["sip_call_id"]]
        check(invites and invites[0].get("uui", "").lower().startswith("00fa08" + c["ucid"].lower()),
              f"SIP call {c['sip_call_id'][:20]}: User-to-User carries the UCID {c['ucid']}")
    # one call record per simulated call, joining its SIP dialog and its call on both CSTA links
    crecs = [r for r in recs if r["type"] == "call"]
    sims = [e for e in expect if e.get("type") == "call"]
    check(len(crecs) == len(sims), f"{len(crecs)} call records == {len(sims)} calls in the scenario")
    outcome = {"answered": ("answered", 0), "hold": ("answered", 1), "cancel": ("abandoned", 0), "busy": ("busy", 0)}
    for e in sims:
        mine = [r for r in crecs if e["sip_call_id"] in r["sip"]]
        if len(mine) != 1:
            check(False, f"call {e['sip_call_id'][:16]}: in exactly one call record ({len(mine)})")
            continue
        r = mine[0]
        disp, holds = outcome.get(e["outcome"], (e["outcome"], 0))
        method = "shared_id" if e.get("ucid") else "device_time"
        got = {"csta": sorted(c["call_id"] for c in r["csta"]), "sip": r["sip"], "direction": r["direction"],
               "disposition": r["disposition"], "holds": r["holds"], "method": r["correlation"]["method"]}
        want_ = {"csta": [e["csta_call_id"]] * 2, "sip": [e["sip_call_id"]], "direction": e["direction"],
                 "disposition": disp, "holds": holds, "method": method}
        bad = {k: (got[k], want_[k]) for k in want_ if got[k] != want_[k]}
        check(not bad, f"call {e['sip_call_id'][:16]} ({e['direction']} {e['outcome']}): {bad or 'joined as scripted'}")
        if disp == "answered":
            check(r["answer"] is not None and r["talk_ms"] > 0 and r["ring_ms"] > 0,
                  f"call {e['sip_call_id'][:16]}: answer time, ring and talk durations ({r['ring_ms']} ms, {r['talk_ms']} ms)")
    # joined mid-stream: the capture without its first 300 packets (link set-up and early calls).
    # Each link must be found by content and resync on its next whole message.
    import tempfile
    with tempfile.TemporaryDirectory() as d:
        cut = os.path.join(d, "late.pcap")
        subprocess.run(["editcap", "-r", pcap, cut, "301-100000"], check=True, capture_output=True)
        first = subprocess.run(["tshark", "-n", "-r", cut, "-c", "1", "-T", "fields", "-e", "frame.time_epoch"],
                               capture_output=True, text=True, check=True).stdout.strip()
        p2 = subprocess.run([ctitap, "-q", "-r", cut, "-o", "jsonl:-"], capture_output=True, text=True, timeout=120)
        r2 = [json.loads(l) for l in p2.stdout.splitlines() if l.strip()]
        late = [r for r in r2 if r.get("src") == "csta"]
        import datetime
        t0 = datetime.datetime.fromtimestamp(float(first), datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        after = [e for e in want if e["t"] > t0]
        check(r2[-1]["csta_links"] == 2 and len(late) >= len(after) - 2,
              f"joined mid-stream: both links found, {len(late)} of the {len(after)} later messages reported "
              f"(at most one cut message per link lost)")
        keys = {(r["ts"], r["encoding"], r.get("invoke_id")) for r in late}
        missed = [e for e in after if (e["t"], e["encoding"], e["invoke_id"]) not in keys]
        check(len(missed) <= 2, f"joined mid-stream: messages missed {[(m['t'], m['name']) for m in missed]}")
    return finish()


if __name__ == "__main__":
    sys.exit(main())
