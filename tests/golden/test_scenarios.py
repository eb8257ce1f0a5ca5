#!/usr/bin/env python3
"""The correlator's scenario captures (pcaps/scenarios/, written by pcaps/gen/scenarios.py) against
the records their expect files say ctitap must produce.

    test_scenarios.py CTITAP [SCENARIO ...]

For each scenario: ctitap runs on the pcap with the expect file's settings (-X key=value; a
setting ctitap does not know yet is reported as a FAIL and the run repeated without it, so the
other assertions still say something); every record must validate against schemas/; every
expected call record is found (by its SIP Call-IDs) and compared field by field; the recording
records (call, action, device, reason, ts, rtp) are compared in order; the audit records of the
expected kinds must exist and none of the forbidden kinds may appear; stats counters must lie in
the expected ranges. The conventions behind the expected values are at the top of scenarios.py.
Prints ok:/FAIL: lines; exits 1 on any FAIL.

(The variants and the busy hour are tests/golden/test_variants.py's.)
"""
import json
import os
import re
import subprocess
import sys

from golden import ROOT, check, failures, finish


SCEN = os.path.join(ROOT, "pcaps", "scenarios")
# scenario name pattern -> the checks issue 11's conventions changed there
def pcheck(name, what, cond, text):
    """check() of one of a scenario's expected values (name and what say which, in the text)."""
    return check(cond, text)
CALL_FIELDS = ["ts", "start", "answer", "end", "calling", "called", "direction", "disposition", "ring_ms", "talk_ms",
               "hold_ms", "holds", "parties", "transfers", "conference", "released_by", "cause", "queue_ms", "route_ms",
               "cti_lag_ms"]




def run(ctitap, pcap, settings, name):
    settings = dict(settings)
    while True:
        args = [ctitap, "-q", "-r", pcap, "-o", "jsonl:-"]
        for k, v in settings.items():
            args += ["-X", "%s=%s" % (k, v)]
        p = subprocess.run(args, capture_output=True, text=True, timeout=120)
        m = re.search(r"unknown setting '([^']+)'", p.stderr)
        if p.returncode == 78 and m and m.group(1) in settings:
            check(False, "%s: setting %s=%s accepted" % (name, m.group(1), settings[m.group(1)]))
            del settings[m.group(1)]
            continue
        return p


def kinds_ok(got_kinds, want):
    """want: a kind, or a list of alternatives."""
    alts = want if isinstance(want, list) else [want]
    return any(a in got_kinds for a in alts)


def scenario(ctitap, name, validate):
    exp = json.load(open(os.path.join(SCEN, name + ".expect.json")))
    print("== %s: %s" % (name, exp["description"]))
    p = run(ctitap, os.path.join(SCEN, name + ".pcap"), exp["settings"], name)
    lines = [l for l in p.stdout.splitlines() if l.strip()]
    errs = validate.validate_lines(lines)
    check(p.returncode == 0, "%s: ctitap exit %d %s" % (name, p.returncode, p.stderr.strip()[:200]))
    check(not errs, "%s: all %d records valid against schemas/ %s" % (name, len(lines), errs[:2]))
    recs = [json.loads(l) for l in lines]
    if not recs:
        return
    stats = recs[-1]
    calls = [r for r in recs if r["type"] == "call"]
    check(len(calls) == len(exp["calls"]), "%s: %d call records == %d calls in the scenario" %
          (name, len(calls), len(exp["calls"])))
    forbidden = set(exp["forbidden_audit_kinds"])
    matched = []
    for i, e in enumerate(exp["calls"]):
        tag = "%s call %d" % (name, i)
        want_sip = set(e["sip"])
        cands = [r for r in calls if want_sip & set(r["sip"])]
        check(len(cands) == 1, "%s: its SIP dialogs are in exactly one call record (%d: %s)" %
              (tag, len(cands), [sorted(set(r["sip"]) & want_sip) for r in cands]))
        if not cands:
            matched.append(None)
            continue
        r = max(cands, key=lambda c: len(want_sip & set(c["sip"])))
        matched.append(r)
        for f in CALL_FIELDS:
            if f not in e:
                continue
            pcheck(name, f, r.get(f, "<absent>") == e[f], "%s: %s %s" % (tag, f, "== %s" % json.dumps(e[f]) if r.get(f, "<absent>") == e[f]
                                                                else "%s, want %s" % (json.dumps(r.get(f, "<absent>")), json.dumps(e[f]))))
        check(set(r["sip"]) == want_sip and len(r["sip"]) == len(want_sip),
              "%s: sip %s, want %s" % (tag, r["sip"], sorted(want_sip)))
        got_csta = sorted((c["link"], c["call_id"]) for c in r["csta"])
        want_csta = sorted((c["link"], c["call_id"]) for c in e["csta"])
        check(got_csta == want_csta, "%s: csta %s, want %s" % (tag, got_csta, want_csta))
        check(r["correlation"]["method"] == e["correlation"]["method"], "%s: correlation.method %s, want %s (%s)" %
              (tag, r["correlation"]["method"], e["correlation"]["method"], r["correlation"]["evidence"]))
        for s in e.get("evidence_has", []):
            check(s.lower() in r["correlation"]["evidence"].lower(),
                  "%s: correlation evidence names the UCID %s (%r)" % (tag, s, r["correlation"]["evidence"]))
        pcheck(name, "recording", r["recording"] == e["recording"], "%s: recording %s, want %s" % (tag, json.dumps(r["recording"]),
                                                                                json.dumps(e["recording"])))
        got_kinds = [a["kind"] for a in r["audit"]]
        for k in e["audit"]:
            check(kinds_ok(got_kinds, k), "%s: audit lists %s (%s)" % (tag, k, got_kinds))
        allowed = set(x for k in e["audit"] for x in (k if isinstance(k, list) else [k]))
        bad = [k for k in got_kinds if k in forbidden or (k in ALLOWED_ONLY_WHERE_EXPECTED and k not in allowed)]
        check(not bad, "%s: no unexpected audit kinds in the call record (%s)" % (tag, got_kinds))
        for k, n in e.get("audit_counts", {}).items():
            check(got_kinds.count(k) == n, "%s: %d x %s in the call record, want %d" % (tag, got_kinds.count(k), k, n))
    # recording records
    all_rec = [r for r in recs if r["type"] == "recording"]
    got_rec = [r for r in all_rec if r["action"] != "update"]
    updates = [r for r in all_rec if r["action"] == "update"]
    want_rec = exp["recordings"]
    pcheck(name, "recording records", len(got_rec) == len(want_rec),
           "%s: %d recording records (but updates) == %d" % (name, len(got_rec), len(want_rec)))
    # R16: an update follows only a record whose second RTP direction was not known yet
    want_upd = [w for w in want_rec if w.get("rtp_complete")]
    check(len(updates) == len(want_upd), "%s: %d update records == %d (%s)" % (
        name, len(updates), len(want_upd), [(u["device"], u["ts"]) for u in updates]))
    key = lambda x: (x["ts"], x["device"], x["action"])  # noqa: E731
    for w in sorted(want_rec, key=key):
        c = matched[w["call"]] if w["call"] < len(matched) else None
        hit = [g for g in got_rec if g["action"] == w["action"] and g["device"] == w["device"]
               and g["ts"] == w["ts"]]
        tag = "%s recording %s %s at %s" % (name, w["action"], w["device"], w["ts"])
        if not pcheck(name, "recording records", len(hit) == 1, "%s: written once (%d; got %s)" % (
                tag, len(hit), [(g["action"], g["device"], g["ts"]) for g in got_rec if g["device"] == w["device"]])):
            continue
        g = hit[0]
        check(g["reason"] == w["reason"], "%s: reason %s, want %s" % (tag, g["reason"], w["reason"]))
        # written before a merge, it carries the id of the call merged in (the record lists it in "merged")
        check(c is not None and (g["call"] == c["call"] or g["call"] in c.get("merged", [])),
              "%s: belongs to the call record (%s)" % (tag, g["call"]))
        if "rtp" in w:
            gr = sorted((x["dir"], x["ip"], x["port"]) for x in g.get("rtp", []))
            wr = sorted((x["dir"], x["ip"], x["port"]) for x in w["rtp"])
            if w.get("rtp_complete"):
                # the direction known at the moment, then an update naming both when the second
                # came (R16)
                up = [u for u in updates if u["device"] == w["device"] and u["ts"] == w["rtp_complete"]]
                ur = sorted((x["dir"], x["ip"], x["port"]) for x in (up[0].get("rtp", []) if up else []))
                check(gr and set(gr) < set(wr) and ur == wr, "%s: rtp %s, then an update at %s with %s, want %s" % (
                    tag, gr, w["rtp_complete"], ur, wr))
            else:
                check(gr == wr, "%s: rtp %s, want %s" % (tag, gr, wr))
    # audit records
    audits = [r for r in recs if r["type"] == "audit"]
    for w in exp["audits"]:
        c = matched[w["call"]] if w["call"] is not None and w["call"] < len(matched) else None
        # a finding about one call carries its id; a CTI-blind period is one record per link and
        # period, counting the calls it touched (each call record lists it)
        hit = [a for a in audits if kinds_ok([a["kind"]], w["kind"]) and (
            w["call"] is None or (c and a.get("call") == c["call"]) or
            (c and a["kind"] == "cti_blind" and "call" not in a and a.get("count", 0) >= 1 and
             any(x["kind"] == "cti_blind" for x in c["audit"])))]
        check(hit, "%s: an audit record of kind %s%s (%s)" % (name, w["kind"], "" if w["call"] is None else " for call %d" % w["call"],
                                                           [(a["kind"], a["detail"]) for a in hit][:1] or
                                                           [(a["kind"], a.get("call")) for a in audits][:6]))
    bad = [(a["kind"], a["detail"]) for a in audits if a["kind"] in forbidden]
    check(not bad, "%s: no audit records of forbidden kinds (%s)" % (name, bad[:4]))
    for k, (lo, hi) in exp["stats"].items():
        v = stats.get(k)
        check(v is not None and lo <= v <= hi, "%s: stats %s = %s, want %s" % (name, k, v, lo if lo == hi else "%d..%d" % (lo, hi)))


ALLOWED_ONLY_WHERE_EXPECTED = {"missing_event", "orphan_dialog", "missing_response", "duplicate_event", "acd_not_ready",
                               "cti_blind"}


def main():
    ctitap = sys.argv[1]
    import validate
    names = [a for a in sys.argv[2:] if not a.startswith("--")] or sorted(f[:-len(".expect.json")] for f in os.listdir(SCEN) if f.endswith(".expect.json"))
    for n in names:
        scenario(ctitap, n, validate)
    return finish()


if __name__ == "__main__":
    sys.exit(main())
