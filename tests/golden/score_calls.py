#!/usr/bin/env python3
"""score_calls.py - how right and how timely ctitap's call records are on captures whose calls are
known (issue 11's proof): joins, exact fields, the rules that fail, the record delay.

    score_calls.py CTITAP [-v] [--json FILE] [--variant-of] EXPECT ...

Each EXPECT is an expect file (<name>.expect.json, the format pcaps/gen/scenarios.py writes: the
settings, the expected calls, recording records and audits) or a directory of them; the capture is
<name>.pcap beside it, or the file's "pcap" entry. ctitap runs on it with the file's settings (as
-X key=value) and sip.events_all=true (every SIP message an event record: the clock below), and
every record is validated against schemas/.

Matching. A leg is a SIP Call-ID or a CSTA (link, callID). Each expected call lists its legs; calls
the generator left apart on purpose (R18's ambiguous twins) are listed as pieces sharing a
"truth" (the real call). For each expected call, the records holding any of its legs decide:
  joined    one record holds all its legs and no leg of another expected call;
  missed    its legs are spread over several records, or some are in none (a missed join);
  WRONG     a record holds legs of two different real calls (a wrong join: must be 0);
  guessed   a record holds two pieces of one ambiguous pair (right by luck, but a guess R18 forbids).
A joined call is exact when every compared field equals the expectation: the fields test_scenarios
compares (ts, start, answer, end, calling, called, direction, disposition, *_ms, holds, parties,
transfers, conference, released_by, cause), sip and csta as sets, correlation.method (when the
expectation gives one), the UCIDs the evidence must name, recording, and the audit kinds (the
expected present, none forbidden). Pieces of an ambiguous pair are scored as pairs: left apart with
an ambiguous_join audit naming both real calls (a leg of each in the audit's text) or not.
Expected recording records are found by (action, device, ts) in the call's record; a start must
name both RTP directions or be followed by an `update` naming both at the expectation's
rtp_complete (R16).

Delay (R17). The packet clock at a record = the latest ts of any record written before it in the
output. ctitap stamps every event record with its packet's time and writes it while reading that
packet, so the clock is a lower bound of the packet time when a later record was written: ctitap
can only have written it at or after the latest packet it had stamped. On a busy capture (a SIP or
CSTA message every few ms) the bound is within a few ms of the truth; on a small one it is as fine
as the traffic (the variants end with OPTIONS every 5 s for 45 s, so a record held back for
sip.linger_s still shows). A call record's delay = clock - the call's end (the expected end when
the record matched a call, else its own); a recording record's = clock - its ts. Records written
after the last packet (flushed at the end of input) are censored: their delay is at least what is
shown, and they are counted apart. A delay below zero (the record written while reading the very
packet whose time it carries, before that packet's own event record) counts as 0.

Printed: calls exact (count, share), missed joins, WRONG joins, ambiguous pairs, recordings, the
delays (median, maximum), mismatches per field with the convention (R-number) behind it, and per
variant (the name after "__" in the capture's name). --json writes the same as one object.
Exit 0 unless ctitap failed to run; the thresholds belong to the test that uses it
(tests/golden/test_variants.py).
"""
import argparse
import collections
import json
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.join(ROOT, "tests", "schemas"))

SCALARS = ["ts", "start", "answer", "end", "calling", "called", "direction", "disposition", "ring_ms", "talk_ms",
           "hold_ms", "holds", "parties", "transfers", "conference", "released_by", "cause", "queue_ms", "route_ms",
           "cti_lag_ms"]
RULE = {"ts": "R4", "end": "R4", "start": "R2", "answer": "R3", "ring_ms": "R5", "talk_ms": "R5", "hold_ms": "R5/R6",
        "holds": "R6", "calling": "R7/R19/R20", "called": "R7/R20", "direction": "R7", "disposition": "R4",
        "parties": "R9/R21", "transfers": "R10", "conference": "R11", "released_by": "R12/R19", "cause": "R12",
        "queue_ms": "R14", "route_ms": "R14", "cti_lag_ms": "R14", "sip": "R1", "csta": "R1",
        "correlation.method": "R13", "evidence": "R13", "recording": "R16", "audit": "R15"}
SETTLE_MS = 3000
END_FIELDS = {"ts", "end", "ring_ms", "talk_ms"}  # what R4 (issue 11 item 7) moved on every call
# audit kinds a call record may list only where its expectation does (as test_scenarios.py)
ONLY_WHERE_EXPECTED = {"missing_event", "orphan_dialog", "missing_response", "duplicate_event", "acd_not_ready",
                       "cti_blind"}


def expect_files(paths):
    out = []
    for p in paths:
        if os.path.isdir(p):
            out += sorted(os.path.join(p, f) for f in os.listdir(p) if f.endswith(".expect.json"))
        else:
            out.append(p)
    return out


def run_ctitap(ctitap, pcap, settings):
    args = [ctitap, "-q", "-r", pcap, "-o", "jsonl:-", "-X", "sip.events_all=true"]
    for k, v in settings.items():
        args += ["-X", "%s=%s" % (k, v)]
    return subprocess.run(args, capture_output=True, text=True, timeout=900)


def us(t):
    """µs since the epoch of an RFC 3339 record time (2026-01-05T10:00:00.123456Z)."""
    import calendar
    base = calendar.timegm((int(t[0:4]), int(t[5:7]), int(t[8:10]), int(t[11:13]), int(t[14:16]), int(t[17:19])))
    return base * 1000000 + int(t[20:26])


def legs_of_expect(e):
    return {("sip", c) for c in e["sip"]} | {("csta", c["link"], c["call_id"]) for c in e["csta"]}


def legs_of_record(r):
    return {("sip", c) for c in r["sip"]} | {("csta", c["link"], c["call_id"]) for c in r["csta"]}


def kinds_ok(got, want):
    return any(a in got for a in (want if isinstance(want, list) else [want]))


def compare(e, r, forbidden):
    """{field: (got, want)} of the compared fields that differ."""
    bad = {}
    for f in SCALARS:
        if f in e and r.get(f, "<absent>") != e[f]:
            bad[f] = (r.get(f, "<absent>"), e[f])
    if sorted(r["sip"]) != sorted(e["sip"]):
        bad["sip"] = (sorted(r["sip"]), sorted(e["sip"]))
    got_csta = sorted((c["link"], c["call_id"]) for c in r["csta"])
    want_csta = sorted((c["link"], c["call_id"]) for c in e["csta"])
    if got_csta != want_csta:
        bad["csta"] = (got_csta, want_csta)
    m = (e.get("correlation") or {}).get("method")
    if m is not None and r["correlation"]["method"] != m:
        bad["correlation.method"] = (r["correlation"]["method"], m)
    miss = [s for s in e.get("evidence_has", []) if s.lower() not in r["correlation"]["evidence"].lower()]
    if miss:
        bad["evidence"] = (r["correlation"]["evidence"], miss)
    if "recording" in e and r["recording"] != e["recording"]:
        bad["recording"] = (r["recording"], e["recording"])
    kinds = [a["kind"] for a in r["audit"]]
    want = e.get("audit", [])
    allowed = {x for k in want for x in (k if isinstance(k, list) else [k])} | set(e.get("audit_allowed", []))
    if any(not kinds_ok(kinds, k) for k in want) or any(
            (k in forbidden or k in ONLY_WHERE_EXPECTED) and k not in allowed for k in kinds):
        bad["audit"] = (kinds, want)
    return bad


def sub_mismatch(f, got, want):
    """Finer names for a differing list of objects: parties[].released, transfers[].ts, ..."""
    if not isinstance(want, list) or not isinstance(got, list) or not all(isinstance(x, dict) for x in want + got):
        return [f]
    if len(got) != len(want):
        return ["%s (count)" % f]
    out = set()
    for g, w in zip(got, want):
        for k in set(g) | set(w):
            if g.get(k) != w.get(k):
                out.add("%s[].%s" % (f, k))
    return sorted(out) or [f]


def variant_of(name):
    """The variant a capture belongs to: after "__" in its name, b2bua, ambiguous, ... or base."""
    if "__" in name:
        return name.split("__", 1)[1]
    for v in ("b2bua", "ambiguous", "busy_hour", "kamailio"):
        if name.startswith(v):
            return v
    return "base"


def clocks(recs):
    """[(clock at the record, censored)] per record: the latest ts of the records before it, and
    whether it was written after the capture's last packet had been read."""
    t_eof = us(recs[-1]["ts"]) if recs and recs[-1]["type"] == "stats" else None
    stamped = [us(r["ts"]) for r in recs if r["type"] == "event" and (t_eof is None or us(r["ts"]) < t_eof)]
    last_pkt = max(stamped) if stamped else 0
    out, clock = [], 0
    for r in recs:
        out.append((clock, clock >= last_pkt))
        clock = max(clock, us(r["ts"]))
    return out


def score_file(ctitap, path, validate, verbose=False):
    exp = json.load(open(path))
    name = os.path.basename(path)[:-len(".expect.json")]
    pcap = os.path.join(os.path.dirname(path), exp.get("pcap") or name + ".pcap")
    p = run_ctitap(ctitap, pcap, exp.get("settings", {}))
    res = {"name": name, "variant": variant_of(name), "rc": p.returncode, "stderr": p.stderr.strip()[-300:]}
    lines = [l for l in p.stdout.splitlines() if l.strip()]
    res["schema_errors"] = len(validate.validate_lines(lines)) if validate else 0
    recs = [json.loads(l) for l in lines]
    clock = clocks(recs)
    calls = [(i, r) for i, r in enumerate(recs) if r["type"] == "call"]
    forbidden = set(exp.get("forbidden_audit_kinds", []))
    ecalls = exp["calls"]
    truth = [e.get("truth", "#%d" % i) for i, e in enumerate(ecalls)]
    leg_owner = {}
    for i, e in enumerate(ecalls):
        for leg in legs_of_expect(e):
            leg_owner[leg] = i
    owners = {}  # record index -> expected calls it holds legs of
    for ri, r in calls:
        owners[ri] = {leg_owner[x] for x in legs_of_record(r) if x in leg_owner}
    wrong = [ri for ri, o in owners.items() if len({truth[i] for i in o}) > 1]
    guessed = [ri for ri, o in owners.items() if len(o) > 1 and len({truth[i] for i in o}) == 1]
    res["tags"] = collections.defaultdict(lambda: collections.Counter())  # per expected call's tag
    for ri in wrong:
        for i in owners[ri]:
            if "tag" in ecalls[i]:
                res["tags"][ecalls[i]["tag"]]["wrong"] += 1
    res.update(expected=0, exact=0, joined=0, exact_but_end=0, missed=0, wrong=len(wrong), fields=collections.Counter(),
               subfields=collections.Counter(), details=[], delays=[], censored=0, rec_delays=[],
               recordings=0, recordings_ok=0, rec_fail=collections.Counter(), audits=0, audits_ok=0,
               forbidden_audits=0, pairs=0, pairs_apart_audited=0, pairs_apart=0, pairs_guessed=0)
    for ri in wrong:
        res["details"].append("WRONG join: record %s holds legs of %s" % (
            recs[ri]["call"], sorted({truth[i] for i in owners[ri]})))
    matched = {}  # expected index -> (record index) when joined
    for i, e in enumerate(ecalls):
        mine = legs_of_expect(e)
        holders = [ri for ri, r in calls if mine & legs_of_record(r)]
        ok = len(holders) == 1 and mine <= legs_of_record(recs[holders[0]]) and owners[holders[0]] == {i}
        if ok:
            matched[i] = holders[0]
        if "ambiguous" in e:
            continue
        res["expected"] += 1
        tag = res["tags"][e["tag"]] if "tag" in e else collections.Counter()
        tag["expected"] += 1
        if not ok:
            tag["missed"] += 1 if not any(ri in wrong for ri in holders) else 0
            if not any(ri in wrong for ri in holders):
                res["missed"] += 1
                res["details"].append("missed join: %s call %d over %d records (%s)" % (
                    name, i, len(holders), [sorted(legs_of_record(recs[ri]) & mine) for ri in holders]))
            continue
        r = recs[holders[0]]
        bad = compare(e, r, forbidden)
        res["joined"] += 1
        if not set(bad) - END_FIELDS:
            res["exact_but_end"] += 1
        if not bad:
            res["exact"] += 1
            tag["exact"] += 1
        for f, (g, w) in bad.items():
            res["fields"][f] += 1
            tag["field " + f] += 1
            for s in sub_mismatch(f, g, w):
                res["subfields"][s] += 1
            res["details"].append("%s call %d: %s %s, want %s" % (name, i, f, json.dumps(g)[:300], json.dumps(w)[:300]))
        end = us(e["end"]) if e.get("end") else us(r["end"])
        c, cens = clock[holders[0]]
        res["delays"].append(max(0, c - end) / 1000.0)
        res["censored"] += 1 if cens else 0
        if cens or c - end > 4000000:
            res["details"].append("%s call %d: record %s (%.0f ms after its end)" % (
                name, i, "only at the end of input" if cens else "late", max(0, c - end) / 1000.0))
    # ambiguous pairs (R18)
    audits = [r for r in recs if r["type"] == "audit"]
    pairs = collections.defaultdict(set)
    for i, e in enumerate(ecalls):
        if "ambiguous" in e:
            pairs[e["ambiguous"]].add(i)
    for key, members in sorted(pairs.items()):
        res["pairs"] += 1
        by_truth = collections.defaultdict(set)
        for i in members:
            by_truth[truth[i]] |= {x[-1] for x in legs_of_expect(ecalls[i])}
        apart = all(i in matched for i in members)
        if not apart:
            res["pairs_guessed"] += 1 if any(ri in guessed for ri in owners if owners[ri] & members) else 0
            res["details"].append("ambiguous pair %s: not left apart" % key)
            continue
        named = [a for a in audits if a["kind"] == "ambiguous_join" and
                 all(any(leg.lower() in json.dumps(a).lower() for leg in legs) for legs in by_truth.values())]
        if named:
            res["pairs_apart_audited"] += 1
        else:
            res["pairs_apart"] += 1
            res["details"].append("ambiguous pair %s: left apart, no ambiguous_join audit naming both" % key)
    # recording records (R16)
    got_rec = [(ri, r) for ri, r in enumerate(recs) if r["type"] == "recording"]
    for w in exp.get("recordings", []):
        res["recordings"] += 1
        ri_call = matched.get(w["call"])
        rc = recs[ri_call] if ri_call is not None else None
        ids = {rc["call"]} | set(rc.get("merged", [])) if rc else set()
        hit = [(ri, g) for ri, g in got_rec if g["action"] == w["action"] and g["device"] == w["device"]
               and g["ts"] == w["ts"] and g["call"] in ids]
        why = None
        if len(hit) != 1:
            near = [g["ts"] for _, g in got_rec if g["action"] == w["action"] and g["device"] == w["device"]]
            why = "%s %s not written once at its time" % (w["action"], w["reason"])
            res["details"].append("%s recording %s %s at %s: %d written (%s)" % (name, w["action"], w["device"], w["ts"],
                                                                                len(hit), near[:3]))
        else:
            ri, g = hit[0]
            res["rec_delays"].append(max(0, clock[ri][0] - us(w["ts"])) / 1000.0)
            want_rtp = sorted((x["dir"], x["ip"], x["port"]) for x in w.get("rtp", []))
            got_rtp = sorted((x["dir"], x["ip"], x["port"]) for x in g.get("rtp", []))
            if g["reason"] != w["reason"]:
                why = "%s reason" % w["action"]
            elif "rtp" in w and got_rtp != want_rtp:
                upd = [u for _, u in got_rec if u["action"] == "update" and u["device"] == w["device"] and
                       u["call"] in ids and u["ts"] == w.get("rtp_complete") and
                       sorted((x["dir"], x["ip"], x["port"]) for x in u.get("rtp", [])) == want_rtp]
                if not (w.get("rtp_complete") and set(got_rtp) < set(want_rtp) and upd):
                    why = "%s rtp" % w["action"]
            if why:
                res["details"].append("%s recording %s %s at %s: %s (got %s %s)" % (
                    name, w["action"], w["device"], w["ts"], why, g["reason"], got_rtp))
        if why:
            res["rec_fail"][why] += 1
        else:
            res["recordings_ok"] += 1
    # audit records (R15)
    for w in exp.get("audits", []):
        if "pair" in w:
            continue
        res["audits"] += 1
        c = recs[matched[w["call"]]] if w.get("call") is not None and w["call"] in matched else None
        hit = [a for a in audits if kinds_ok([a["kind"]], w["kind"]) and (
            w.get("call") is None or (c and a.get("call") == c["call"]) or
            (c and a["kind"] == "cti_blind" and "call" not in a and any(x["kind"] == "cti_blind" for x in c["audit"])))]
        if hit:
            res["audits_ok"] += 1
        else:
            res["details"].append("%s: no audit record of kind %s for call %s" % (name, w["kind"], w.get("call")))
    bad_audits = [a["kind"] for a in audits if a["kind"] in forbidden]
    res["forbidden_audits"] = len(bad_audits)
    if bad_audits:
        res["details"].append("%s: audits of forbidden kinds %s" % (name, bad_audits[:5]))
    if verbose:
        for d in res["details"]:
            print("  " + d)
    return res


def median(xs):
    xs = sorted(xs)
    if not xs:
        return None
    n = len(xs)
    return xs[n // 2] if n % 2 else (xs[n // 2 - 1] + xs[n // 2]) / 2


def total(results):
    t = {"files": len(results), "failed_runs": sum(1 for r in results if r["rc"] != 0),
         "schema_errors": sum(r["schema_errors"] for r in results)}
    for k in ("expected", "exact", "joined", "exact_but_end", "missed", "wrong", "censored", "recordings", "recordings_ok", "audits", "audits_ok",
              "forbidden_audits", "pairs", "pairs_apart_audited", "pairs_apart", "pairs_guessed"):
        t[k] = sum(r[k] for r in results)
    for k in ("fields", "subfields", "rec_fail"):
        t[k] = sum((r[k] for r in results), collections.Counter())
    t["delays"] = [d for r in results for d in r["delays"]]
    t["rec_delays"] = [d for r in results for d in r["rec_delays"]]
    t["share_exact"] = t["exact"] / t["expected"] if t["expected"] else None
    t["delay_median_ms"] = median(t["delays"])
    t["delay_max_ms"] = max(t["delays"]) if t["delays"] else None
    t["rec_delay_median_ms"] = median(t["rec_delays"])
    t["rec_delay_max_ms"] = max(t["rec_delays"]) if t["rec_delays"] else None
    return t


def report(results, out=print):
    t = total(results)
    out("== %d captures, %d ctitap runs failed, %d records invalid against schemas/" % (
        t["files"], t["failed_runs"], t["schema_errors"]))
    share = "%.1f %%" % (100 * t["share_exact"]) if t["share_exact"] is not None else "-"
    out("calls exact:      %d of %d (%s)" % (t["exact"], t["expected"], share))
    out("joined:           %d of %d (every leg in one record, none of another call); exact but for the end "
        "(ts, end, ring_ms, talk_ms: R4): %d" % (t["joined"], t["expected"], t["exact_but_end"]))
    out("missed joins:     %d" % t["missed"])
    out("WRONG joins:      %d" % t["wrong"])
    out("ambiguous pairs:  %d: %d left apart with an ambiguous_join audit naming both, %d apart without it, "
        "%d joined (guessed)" % (t["pairs"], t["pairs_apart_audited"], t["pairs_apart"], t["pairs"] -
                                 t["pairs_apart_audited"] - t["pairs_apart"]))
    out("recordings:       %d of %d expected recording records right (%s)" % (
        t["recordings_ok"], t["recordings"], ", ".join("%s %d" % kv for kv in t["rec_fail"].most_common(6))))
    out("audits:           %d of %d expected audit records found; %d of forbidden kinds" % (
        t["audits_ok"], t["audits"], t["forbidden_audits"]))
    if t["delays"]:
        out("call record delay (packet time, lower bound): median %.0f ms, max %.0f ms over %d joined calls; "
            "%d written only at the end of input (censored)" % (t["delay_median_ms"], t["delay_max_ms"],
                                                                 len(t["delays"]), t["censored"]))
    if t["rec_delays"]:
        out("recording delay (packet time, lower bound): median %.0f ms, max %.0f ms over %d records" % (
            t["rec_delay_median_ms"], t["rec_delay_max_ms"], len(t["rec_delays"])))
    if t["fields"]:
        out("mismatches per field (joined calls; the convention behind it):")
        for f, n in t["fields"].most_common():
            subs = [(s, k) for s, k in t["subfields"].items() if s.startswith(f + "[") or s.startswith(f + " (")]
            extra = " (%s)" % ", ".join("%s %d" % sk for sk in sorted(subs, key=lambda x: -x[1])) if subs else ""
            out("  %-20s %4d  %s%s" % (f, n, RULE.get(f, ""), extra))
    tags = collections.defaultdict(collections.Counter)
    for r in results:
        for k, c in r["tags"].items():
            tags[k] += c
    if tags:
        out("per call kind (family/presentation): exact/expected, missed, in wrong joins, top fields")
        for k in sorted(tags):
            c = tags[k]
            top = sorted(((n, f[6:]) for f, n in c.items() if f.startswith("field ")), reverse=True)[:4]
            out("  %-26s %3d/%-3d  missed %-3d wrong %-3d %s" % (k, c["exact"], c["expected"], c["missed"], c["wrong"],
                                                              ", ".join("%s %d" % (f, n) for n, f in top)))
    byv = collections.defaultdict(list)
    for r in results:
        byv[r["variant"]].append(r)
    out("per variant: exact/expected, missed, wrong, pairs apart+audited/pairs, recordings ok, top fields")
    for v in sorted(byv):
        tv = total(byv[v])
        out("  %-14s %3d/%-3d  missed %-3d wrong %-3d pairs %d/%d  rec %d/%d  %s" % (
            v, tv["exact"], tv["expected"], tv["missed"], tv["wrong"], tv["pairs_apart_audited"], tv["pairs"],
            tv["recordings_ok"], tv["recordings"], ", ".join("%s %d" % kv for kv in tv["fields"].most_common(4))))
    return t


def score(ctitap, paths, verbose=False, out=print):
    """Scores every expect file of paths; returns (results, totals)."""
    try:
        import validate
        validate.load_validators()
    except Exception as e:  # noqa: BLE001 (a missing jsonschema is reported, not fatal)
        out("note: records not validated (%s)" % e)
        validate = None
    results = []
    for f in expect_files(paths):
        if verbose:
            out("== " + f)
        results.append(score_file(ctitap, f, validate, verbose))
    return results, report(results, out)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("ctitap")
    ap.add_argument("expect", nargs="+", help="expect files or directories of them")
    ap.add_argument("-v", action="store_true", help="print every mismatch")
    ap.add_argument("--json", help="write the results and totals to this file")
    a = ap.parse_args()
    results, t = score(a.ctitap, a.expect, a.v)
    if a.json:
        with open(a.json, "w") as f:
            json.dump({"totals": t, "results": results}, f, indent=1, default=list)
    return 1 if any(r["rc"] != 0 for r in results) else 0


if __name__ == "__main__":
    sys.exit(main())
