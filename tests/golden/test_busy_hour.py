#!/usr/bin/env python3
"""A busy hour: hundreds of overlapping calls on few agents, every one joined as scripted.

ctitap-gen writes 600 calls, up to 250 at once, on both CSTA links (XML and BER) with the
simulator's mix (answered, hold/resume, CANCEL, INVITE retransmitted, 486 busy, SPAN copies),
and beside it the expected calls (its --expect file). Each must give exactly one call record
holding its SIP dialog and its CSTA call on both links, with the scripted direction,
disposition, holds and correlation method (UCID -> shared_id, else device_time). Agents take
call after call, busy calls end while others ring at the same device: the device-and-time join
must not merge them. Usage: test_busy_hour.py CTITAP CTITAP_GEN
"""
import collections
import json
import os
import subprocess
import sys
import tempfile

from golden import check, finish






def main():
    ctitap, gen = sys.argv[1], sys.argv[2]
    import validate
    with tempfile.TemporaryDirectory() as d:
        pcap, exp = os.path.join(d, "busy.pcap"), os.path.join(d, "busy.expect.jsonl")
        subprocess.run([gen, "-o", pcap, "--calls", "600", "--concurrency", "250", "--talk", "20", "--scenario", "mix",
                        "--csta", "both", "--no-rtp", "--expect", exp, "-q"], check=True)
        p = subprocess.run([ctitap, "-q", "-X", "rtp.enabled=false", "-r", pcap, "-o", "jsonl:-"], capture_output=True,
                           text=True, timeout=300)
        expect = [json.loads(l) for l in open(exp)]
        # the same hour with the call table far too small: calls are written early, each with
        # an evicted audit, and none is lost
        small = subprocess.run([ctitap, "-q", "-X", "rtp.enabled=false", "-X", "calls.max=64", "-r", pcap, "-o",
                                "jsonl:-"], capture_output=True, text=True, timeout=300)
    lines = [l for l in p.stdout.splitlines() if l.strip()]
    errs = validate.validate_lines(lines)
    check(p.returncode == 0 and not errs, f"ctitap ran, {len(lines)} valid records {errs[:2]}")
    recs = [json.loads(l) for l in lines]
    calls = [r for r in recs if r["type"] == "call"]
    sims = [e for e in expect if e.get("type") == "call"]
    check(len(sims) == 600 and len(calls) == len(sims), f"{len(calls)} call records == {len(sims)} scripted calls")
    outcome = {"answered": ("answered", 0), "hold": ("answered", 1), "cancel": ("abandoned", 0), "busy": ("busy", 0)}
    by_sip = collections.defaultdict(list)
    for r in calls:
        for cid in r["sip"]:
            by_sip[cid].append(r)
    wrong = []
    for e in sims:
        mine = by_sip.get(e["sip_call_id"], [])
        disp, holds = outcome.get(e["outcome"], (e["outcome"], 0))
        want = ([e["csta_call_id"]] * 2, [e["sip_call_id"]], e["direction"], disp, holds,
                "shared_id" if e.get("ucid") else "device_time")
        got = None
        if len(mine) == 1:
            r = mine[0]
            got = (sorted(c["call_id"] for c in r["csta"]), r["sip"], r["direction"], r["disposition"], r["holds"],
                   r["correlation"]["method"])
        if got != want:
            wrong.append((e["sip_call_id"], got, want))
    check(not wrong, f"{len(sims) - len(wrong)} of {len(sims)} calls joined as scripted {wrong[:2]}")
    kinds = collections.Counter(r["kind"] for r in recs if r["type"] == "audit")
    check(not set(kinds) - {"span_duplicate", "retransmission"},
          f"only the scripted SPAN copies and INVITE retransmissions are audited ({dict(kinds)})")
    stats = recs[-1]
    check(stats["calls_merged"] == 0 and stats["calls_evicted"] == 0,
          f"no call merged into another, none evicted ({stats['calls_merged']}, {stats['calls_evicted']})")
    srecs = [json.loads(l) for l in small.stdout.splitlines() if l.strip()]
    sstats = srecs[-1]
    evicted = [r for r in srecs if r["type"] == "audit" and r["kind"] == "evicted"]
    in_records = {cid for r in srecs if r["type"] == "call" for cid in r["sip"]}
    lost = [e["sip_call_id"] for e in sims if e["sip_call_id"] not in in_records]
    check(small.returncode == 0 and sstats["calls_evicted"] > 0 and len(evicted) == sstats["calls_evicted"]
          and all(r.get("call") for r in evicted) and not lost,
          f"calls.max=64: {sstats['calls_evicted']} calls written early, {len(evicted)} evicted audits naming "
          f"their call, no SIP call lost ({lost[:2]})")
    return finish()


if __name__ == "__main__":
    sys.exit(main())
