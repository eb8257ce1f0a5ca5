#!/usr/bin/env python3
"""The first moment each wrong join happened, from ctitap's -vv log and an expect file.

    ctitap -vv -r X.pcap -o jsonl:/dev/null 2>debug.log
    python3 tests/golden/first_wrong_joins.py X.expect.json debug.log

Replays the log's "call C: leg K", "call B merged into A" and "call C: evidence" lines; prints,
for each call that comes to hold legs of two expected calls, the line that did it and the
evidence lines of the call just before."""
import json
import re
import sys

exp = json.load(open(sys.argv[1]))
truth = {}
for i, c in enumerate(exp["calls"]):
    t = c.get("truth", i)
    for s in c.get("sip", []):
        truth["sip:" + s] = t
    for x in c.get("csta", []):
        truth["csta:%s|%s" % (x["link"], x["call_id"])] = t
legs, evid, told = {}, {}, set()
line_re = re.compile(r"debug: call (\S+?):? (.*)$")
for line in open(sys.argv[2]):
    m = line_re.search(line.rstrip())
    if not m:
        continue
    cid, rest = m.group(1), m.group(2)
    where = rest[rest.rfind(" (frame"):] if " (frame" in rest else ""
    rest = rest[:rest.rfind(" (frame")] if " (frame" in rest else rest
    if rest.startswith("leg "):
        legs.setdefault(cid, set()).add(rest[4:])
    elif rest.startswith("merged into "):
        a, _, why = rest[len("merged into "):].partition(" ")
        legs.setdefault(a, set()).update(legs.pop(cid, set()))
        evid.setdefault(a, []).extend(evid.pop(cid, []))
        cid = a
        rest = "merge " + why
    else:
        evid.setdefault(cid, []).append(rest + where)
    ts = {truth[k] for k in legs.get(cid, ()) if k in truth}
    if len(ts) > 1 and cid not in told:
        told.add(cid)
        print("== %s now holds %s: %s%s" % (cid, sorted(map(str, ts)), rest, where))
        for e in evid.get(cid, [])[-4:]:
            print("   ", e[:300])
