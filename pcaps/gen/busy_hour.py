#!/usr/bin/env python3
"""A busy hour mixing every scenario family and variant, with deliberately ambiguous pairs, and
the records ctitap must give (issue 11 item 5).

    python3 pcaps/gen/busy_hour.py OUT_DIR [--calls 600] [--pairs 10] [--seed 11]

writes OUT_DIR/busy_hour.pcap and OUT_DIR/busy_hour.expect.json (the expect format of
scenarios.py; the conventions R0-R23 at its top). Deterministic for a seed; Python 3 stdlib only.
It is not committed (about 20 MB): tests/golden/test_variants.py writes it into a temporary
directory.

The site: one PBX 10.1.0.1 (a B2BUA), carriers' SBCs 10.2.0.1 and 10.2.0.2, 300 agents 2001-2300
(phones 10.1.1.1 ... 10.1.2.50; every fourth registers with a SIP user that is not its extension:
0004f2xxxxxx or agent.xxx), the hotline +4930555000 (CSTA 5000) routed by the CTI server and
queued in 6000, the agents' DDIs +49 30 3444 2xxx. Two CSTA links report every call: ECMA-323 XML
on 10.1.0.5:1040 and ECMA-285 BER on 10.1.0.5:2555 (its copy of each event 1.5 ms later);
requests (MakeCall, transfers, conferences, routeing) go on the XML link. No numbers.* settings;
record.devices=2001-2099.

The calls: `--calls` of them, arriving about 5 a second, lasting 5 s to 2 min (over 200 at
once), each a family (inbound answered, held, abandoned, single-step transfer, consultation
transfer, conference, MakeCall, routed and queued) with a presentation (base, privacy with PAI,
anonymous, numbers in other forms on the SIP side, capture loss, PBX re-INVITEs, several transfer
signals, late SDP offers), its own CTI lag (8-150 ms; Delivered up to 20 ms before the INVITE),
each caller a number of its own, agents free for 3.5 s between calls (calls.window_ms). A phone
whose SIP user is not its extension never takes a withheld call without a UCID (nothing would
name it: R21). Then `--pairs` pairs of each kind of R18's twins (the same number through both
carriers to the hotline; two privacy callers to the hunt group DDI +49 30 3444 6100).

Before writing, the script checks its own capture for pairings it did not intend: every
carrier leg must fit exactly one PBX leg to a phone (the INVITE up to 60 s before it, numbers
compatible where both show one, 180 and 200 or CANCEL relayed within 50 ms), apart from the
twins, which must fit both.
"""
import argparse
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, HERE)
import scenarios as S  # noqa: E402
import variants as V  # noqa: E402
from scenarios import MS  # noqa: E402

AGENTS = ["%d" % n for n in range(2001, 2301)]
SBC2 = ("10.2.0.2", 5060)
FAMILIES = [("inbound", 26), ("hold", 12), ("abandoned", 12), ("single_step", 9), ("consultation", 9),
            ("conference", 6), ("makecall", 14), ("routed", 12)]
PRESENTATIONS = [("base", 34), ("privacy", 16), ("anonymous", 5), ("numforms", 16), ("loss", 8), ("pbxmedia", 8),
                 ("multisignal", 5), ("lateoffer", 8)]
LOSS = {"inbound": ["bye", "ok200"], "hold": ["retrieved", "bye"], "abandoned": ["cancel", "delivered"],
        "single_step": ["transferred", "delivered2"], "consultation": ["ok200_consult", "bye_trunk"],
        "conference": ["bye"], "makecall": ["ok200_trunk"], "routed": ["queued"]}
GAP = 3500 * MS  # an agent's calls this far apart at least (calls.window_ms + margin)


class Rand:
    """splitmix64: the same numbers on every Python."""

    def __init__(self, seed):
        self.s = seed & 0xffffffffffffffff

    def u64(self):
        self.s = (self.s + 0x9e3779b97f4a7c15) & 0xffffffffffffffff
        z = self.s
        z = ((z ^ (z >> 30)) * 0xbf58476d1ce4e5b9) & 0xffffffffffffffff
        z = ((z ^ (z >> 27)) * 0x94d049bb133111eb) & 0xffffffffffffffff
        return z ^ (z >> 31)

    def span(self, lo, hi):
        """An integer in [lo, hi]."""
        return lo + self.u64() % (hi - lo + 1)

    def pick(self, weighted):
        n = self.span(1, sum(w for _, w in weighted))
        for x, w in weighted:
            n -= w
            if n <= 0:
                return x


def sip_users():
    out = {}
    for i, a in enumerate(AGENTS):
        if i % 4 == 3:
            out[a] = "0004f2%06x" % (0xa1b200 + i) if i % 8 == 3 else "agent.%s" % "".join(
                chr(97 + (i * 7 + k * 3) % 26) for k in range(5))
    return out


class Agents:
    """Who is free when: each agent's reserved intervals."""

    def __init__(self, r):
        self.r, self.busy = r, {a: [] for a in AGENTS}

    def free(self, a, t0, t1):
        return all(t1 + GAP <= s or e + GAP <= t0 for s, e in self.busy[a])

    def take(self, t0, t1, n, ok=lambda a: True):
        """n distinct agents free over [t0, t1] (None if there are not), reserved."""
        start = self.r.span(0, len(AGENTS) - 1)
        out = []
        for k in range(len(AGENTS)):
            a = AGENTS[(start + k) % len(AGENTS)]
            if a not in out and ok(a) and self.free(a, t0, t1):
                out.append(a)
                if len(out) == n:
                    for x in out:
                        self.busy[x].append((t0, t1))
                    return out
        return None


def caller_number(k):
    prefixes = ["0151", "0160", "0170", "0176", "030", "040", "089", "0221"]
    p = prefixes[k % len(prefixes)]
    nat = p + "%0*d" % (11 - len(p), (k * 7919 + 1234567) % 10 ** (11 - len(p)))
    return "+49" + nat[1:], nat


def plan(r):
    """One call's family, presentation and timings; returns (family, presentation, loss, params, duration)."""
    fam = r.pick(FAMILIES)
    pres = r.pick(PRESENTATIONS)
    if pres == "pbxmedia" and fam not in ("single_step", "consultation", "conference"):
        pres = "base"
    if pres == "multisignal" and fam not in ("single_step", "consultation"):
        pres = "base"
    if pres == "lateoffer" and fam not in ("inbound", "hold"):
        pres = "base"
    if pres == "anonymous" and fam not in ("inbound", "hold", "abandoned"):
        pres = "privacy"
    loss = frozenset([LOSS[fam][r.span(0, len(LOSS[fam]) - 1)]]) if pres == "loss" else frozenset()
    s = lambda lo, hi: r.span(lo, hi) * MS  # noqa: E731
    p = {"answer": s(2000, 8000), "talk": s(15000, 60000)}
    if fam == "inbound":
        dur = p["answer"] + p["talk"]
    elif fam == "hold":
        p.update(hold_at=s(2000, 10000), hold_len=s(2000, 8000))
        dur = p["answer"] + p["hold_at"] + p["hold_len"] + p["talk"]
    elif fam == "abandoned":
        p = {"ring": s(3000, 20000)}
        dur = p["ring"]
    elif fam == "single_step":
        p.update(talk1=s(8000, 30000), ring2=s(2000, 6000), talk2=s(10000, 40000))
        dur = p["answer"] + p["talk1"] + p["ring2"] + p["talk2"]
    elif fam in ("consultation", "conference"):
        p.update(hold_after=s(8000, 30000), ring2=s(2000, 6000), talk=s(3000, 10000), talk2=s(8000, 30000),
                 stay=s(3000, 10000))
        dur = p["answer"] + p["hold_after"] + 1600 * MS + p["ring2"] + p["talk"] + p["talk2"] + p["stay"]
    elif fam == "makecall":
        p = {"answer": s(3000, 10000), "talk": s(15000, 60000)}
        dur = p["answer"] + p["talk"]
    else:  # routed
        p = {"qwait": s(2000, 20000), "ring": s(2000, 6000), "talk": s(15000, 60000)}
        dur = 220 * MS + p["qwait"] + p["ring"] + p["talk"]
    return fam, pres, loss, p, dur + 1000 * MS


def profile(r, pres, loss, e164, nat, users):
    kw = dict(S.Profile().__dict__)
    kw.update(variant=pres, deferred=True, rtp_burst=2, opaque_ids=True, sip_users=users, cti_forms=False,
              callers={e164: nat}, lag=r.span(8, 150) * MS, lag_alert=r.span(-20, 60) * MS, loss=loss)
    if pres == "privacy":
        kw.update(privacy="pai", withheld=["restricted", "notKnown"][r.span(0, 1)])
    elif pres == "anonymous":
        kw.update(privacy="nopai", withheld="notKnown")
    elif pres in ("numforms", "pbxmedia", "multisignal", "lateoffer"):
        kw.update({"numforms": True} if pres == "numforms" else {
            {"pbxmedia": "pbx_reinvites", "multisignal": "multisignal", "lateoffer": "late_offer"}[pres]: True})
    kw.pop("variant")
    return S.Profile(variant=pres, **kw)


def script_call(sc, L, r, k, t0, fam, pres, loss, p, agents):
    """One call of the hour; returns its expectation (appended to sc.calls)."""
    e164, nat = caller_number(k)
    caller = (e164, nat)
    users = sc.busy_users
    sc.v = profile(r, pres, loss, e164, nat, users)
    sc.rewrites = sc.v.cti_rewrites()
    sc.dial, sc.cti_called = (S.HOTLINE_E164, None), S.HOTLINE
    ucid = S.ucid_of(k + 1, t0) if r.span(0, 1) or (sc.v.privacy and sc.v.sip_user(agents[0]) != agents[0]) else None
    key = "k%03d" % k
    cid, cid2 = "7c%06x" % (2 * k), "7c%06x" % (2 * k + 1)
    a1 = agents[0]
    a2 = agents[1] if len(agents) > 1 else None
    if fam in ("inbound", "hold", "abandoned", "single_step", "consultation", "conference") and pres == "numforms":
        sc.dial_agent(a1)
    if fam in ("inbound", "hold"):
        e, tr, ag, holds, rel = S.inbound_basic(sc, L, t0, agent=a1, key=key, ucid=ucid, cid=cid, caller=caller,
                                                answer_ms=p["answer"], talk=p["talk"],
                                                hold_at=p.get("hold_at"), hold_len=p.get("hold_len", 0),
                                                agent_hangs_up=bool(k % 3 == 0))
        if sc.records(a1):
            n = len(sc.recordings)
            S.recording_basic(sc, e, ag, holds, rel, a1)
            for x in sc.recordings[n:]:
                x["call"] = len(sc.calls)
        sc.calls.append(e)
    elif fam == "abandoned":
        e = S.call_abandoned(sc, L, t0, a1, cid, ucid, key=key, ring=p["ring"], caller=caller)
    elif fam == "single_step":
        e = S.call_single_step(sc, L, t0, cid, cid2, ucid, a1, a2, key=key, answer=p["answer"], talk1=p["talk1"],
                               ring2=p["ring2"], talk2=p["talk2"], caller=caller)
    elif fam == "consultation":
        e = S.call_consultation(sc, L, t0, cid, cid2, ucid, a1, a2, key=key, ckey=key + "c", talk=p["talk"],
                                talk2=p["talk2"], caller=caller, answer=p["answer"], hold_after=p["hold_after"],
                                ring2=p["ring2"])
    elif fam == "conference":
        e = S.call_conference(sc, L, t0, cid, cid2, ucid, a1, a2, key=key, ckey=key + "c", talk=p["talk"],
                              stay=p["stay"], talk2=p["talk2"], caller=caller, answer=p["answer"],
                              hold_after=p["hold_after"], ring2=p["ring2"])
    elif fam == "makecall":
        e = S.call_makecall(sc, L, t0, cid, a1, (nat, e164), key=key, answer=p["answer"], talk=p["talk"])
    else:
        e, _ = S.call_routed(sc, L, t0, 100 + k, a1, p["qwait"], caller, cid, key=key, ring=p["ring"], talk=p["talk"],
                             lose_queued="queued" in loss)
    e["tag"] = "%s/%s" % (fam, pres)  # for the scorer's table; not a record field
    # R13 in the variants (as variants.run_family), R23's audits
    m = e["correlation"]["method"]
    withheld = sc.v.privacy and fam != "makecall"
    if m != "shared_id" and (any(sc.v.sip_user(a) != a for a in agents) or (withheld and m == "number_time")):
        e["correlation"] = {"method": None}
    if "bye" in loss:
        e["audit"] = e.get("audit", []) + [["missing_event", "orphan_dialog"]]
        sc.audits.append({"kind": ["missing_event", "orphan_dialog"], "call": len(sc.calls) - 1})
    if loss & {"delivered2", "transferred"}:
        e["audit"] = e.get("audit", []) + ["missing_event"]
        sc.audits.append({"kind": "missing_event", "call": len(sc.calls) - 1})
    return e


def sip_legs(cap):
    """From the capture itself: per Call-ID, who sent the INVITE to whom, the times of its INVITE,
    180, 200 (to the INVITE) and CANCEL, and the caller's number it shows (None if anonymous)."""
    legs = {}
    for t, n, src, dst, proto, l4 in sorted(cap.p):
        if proto != 17 or 5060 not in (int.from_bytes(l4[0:2], "big"), int.from_bytes(l4[2:4], "big")):
            continue
        text = l4[8:].decode("latin-1")
        head = text.split("\r\n\r\n", 1)[0].split("\r\n")
        h = {}
        for line in head[1:]:
            k, _, v = line.partition(":")
            h.setdefault(k.strip().lower(), v.strip())
        cid, cseq = h.get("call-id"), h.get("cseq", "")
        if cid is None:
            continue
        leg = legs.setdefault(cid, {"times": {}, "lost": set()})
        first = head[0]
        if n in cap.lost:
            leg["lost"].add(first[8:11] if first.startswith("SIP/") else first.split(" ")[0].lower())
        if first.startswith("INVITE ") and "invite" not in leg["times"]:
            leg.update(src=src, dst=dst)
            leg["times"]["invite"] = t
            who = h.get("p-asserted-identity") or h.get("from", "")
            user = who.split(":", 1)[1].split("@")[0].split(";")[0].split(">")[0] if ":" in who else ""
            digits = "".join(c for c in user if c.isdigit())
            leg["number"] = digits[-8:] if len(digits) >= 8 and "anonymous" not in who else None
        elif first.startswith("SIP/2.0 180") or first.startswith("SIP/2.0 200") and cseq.endswith("INVITE"):
            leg["times"].setdefault(first[8:11], t)
        elif first.startswith("CANCEL "):
            leg["times"].setdefault("cancel", t)
    return legs


def fits(T, G, win=50 * MS):
    """Whether agent leg G could be the PBX's relay of carrier leg T (R18's generous test)."""
    tt, gt = T["times"], G["times"]
    if not 0 <= gt["invite"] - tt["invite"] <= 60000 * MS:
        return False
    if T.get("number") and G.get("number") and T["number"] != G["number"]:
        return False
    for x in ("180", "200", "cancel"):
        if x in T["lost"] or x in G["lost"]:
            continue  # the capture lost it: no evidence either way
        if (x in gt) != (x in tt) and x != "180":
            return False
        if x in gt and x in tt and not (0 <= tt[x] - gt[x] <= win if x != "cancel" else 0 <= gt[x] - tt[x] <= win):
            return False
    return True


def check_pairings(sc):
    """Every carrier leg fits exactly the first PBX leg of its own call, the twins each other's too."""
    legs = sip_legs(sc.cap)
    owner, first_agent, trunk = {}, {}, {}
    for i, e in enumerate(sc.calls):
        truth = e.get("truth", i)
        for cid in e["sip"]:
            owner[cid] = truth
            lg = legs.get(cid)
            if not lg or "src" not in lg:
                continue
            if lg["src"].startswith("10.2.0.") and lg["dst"] == "10.1.0.1":
                trunk[cid] = lg
            elif lg["src"] == "10.1.0.1" and lg["dst"].startswith("10.1.") and e.get("direction", "inbound") == "inbound":
                cur = first_agent.get(truth)
                if cur is None or lg["times"]["invite"] < legs[cur]["times"]["invite"]:
                    first_agent[truth] = cid
    bad = []
    gl = [(legs[c], owner[c]) for c in first_agent.values()]
    for cid, T in trunk.items():
        fit = {o for G, o in gl if fits(T, G)}
        twin = any(e.get("truth") == owner[cid] and "ambiguous" in e for e in sc.calls)
        if owner[cid] not in fit or (len(fit) != 1 and not twin) or (twin and len(fit) != 2):
            bad.append((cid, owner[cid], sorted(map(str, fit))))
    return bad, len(trunk)


def build(n_calls=600, n_pairs=10, seed=11):
    r = Rand(seed)
    sc = S.Scen("busy_hour", 200, "busy hour: %d calls of every family and variant, %d ambiguous pairs of each kind"
                % (n_calls, n_pairs), "xml", S.Profile(deferred=True, rtp_burst=2, opaque_ids=True))
    sc.settings = {"record.devices": "2001-2099", "record.pause_on_hold": "true"}
    sc.busy_users = sip_users()
    xml = S.Link(sc, S.CTI_PBX, 40100, 0x10000000, "xml", deferred=True)
    ber = S.Link(sc, S.CTI_PBX, 40200, 0x20000000, "ber", deferred=True)
    t = sc.t0
    for Lk in (xml, ber):
        Lk.open(t)
        sc.links.append(Lk)
    L = S.Fan([xml, ber])
    t += 5 * MS
    for a in AGENTS + [S.QUEUE]:
        for Lk in (xml, ber):
            Lk.monitor(t, a)
        t += 5 * MS
    _, inv = xml.request(t, "RouteRegister", "<routeingDevice>%s</routeingDevice>" % S.HOTLINE)
    xml.response(t + 2 * MS, "RouteRegisterResponse", "<routeRegisterReqID>17</routeRegisterReqID>", inv)
    for a in AGENTS:
        t += 3 * MS
        L.event(t, "AgentLoggedOnEvent", a, S.ev_agent(a))
        L.event(t + MS, "AgentReadyEvent", a, S.ev_agent(a))
        sc.agent_ids[a] = "A" + a
    agents = Agents(r)
    t = t + 1000 * MS
    k = 0
    while k < n_calls:
        t += r.span(20, 360) * MS + r.span(0, 999)
        fam, pres, loss, p, dur = plan(r)
        n = 2 if fam in ("single_step", "consultation", "conference") else 1
        users = sc.busy_users
        ok = (lambda a: a not in users) if pres in ("privacy", "anonymous") else (lambda a: True)
        chosen = agents.take(t, t + dur, n, ok)
        if chosen is None:
            continue  # nobody free: the next arrival
        script_call(sc, L, r, k, t, fam, pres, loss, p, chosen)
        k += 1
    # R18's twins
    for j in range(n_pairs):
        for kind in ("A", "B"):
            t += r.span(200, 700) * MS + r.span(0, 999)
            chosen = agents.take(t, t + 10000 * MS, 2, lambda a: a not in sc.busy_users)
            while chosen is None:
                t += 500 * MS
                chosen = agents.take(t, t + 10000 * MS, 2, lambda a: a not in sc.busy_users)
            sc.v = S.Profile(deferred=True, rtp_burst=2, opaque_ids=True, callers={})
            sc.rewrites = []
            key = "%s%02d" % (kind, j)
            base = 0x7d0000 + 16 * j + (8 if kind == "B" else 0)
            cids = ["%06x" % base, "%06x" % (base + 1)]
            if kind == "A":
                e164, nat = caller_number(100000 + j)
                sc.calls += V.twins(sc, L, t, key, [(e164, nat), (e164, nat)], [S.SBC, SBC2], chosen, cids,
                                    (S.HOTLINE_E164, None))
            else:
                callers = [caller_number(200000 + 2 * j), caller_number(200001 + 2 * j)]
                sc.v = S.Profile(deferred=True, rtp_burst=2, opaque_ids=True, privacy="pai", callers=dict(callers))
                sc.rewrites = sc.v.cti_rewrites()
                sc.calls += V.twins(sc, L, t, key, callers, [S.SBC, S.SBC], chosen, cids, ("+4930344446100", "6100"))
            sc.audits.append({"kind": "ambiguous_join", "pair": [key + "1", key + "2"]})
    sc.v = S.Profile(deferred=True)
    sc.allow("missing_event", "orphan_dialog", "cti_blind")
    sc.stats = {"csta_bad": [0, 0], "tcp_gaps": [0, 10 ** 9], "csta_messages": [0, 10 ** 9]}
    return sc


def concurrency(sc):
    """The most calls in progress at once (from the expected start and end)."""
    ev = []
    for e in sc.calls:
        if "start" in e:
            ev += [(us_of(e["start"]), 1), (us_of(e["end"]), -1)]
    n = best = 0
    for _, d in sorted(ev):
        n += d
        best = max(best, n)
    return best


def us_of(text):
    import calendar
    return calendar.timegm(tuple(int(x) for x in (text[0:4], text[5:7], text[8:10], text[11:13], text[14:16],
                                                   text[17:19]))) * 1000000 + int(text[20:26])


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("out")
    ap.add_argument("--calls", type=int, default=600)
    ap.add_argument("--pairs", type=int, default=10)
    ap.add_argument("--seed", type=int, default=11)
    a = ap.parse_args()
    sc = build(a.calls, a.pairs, a.seed)
    bad, n = check_pairings(sc)
    if bad:
        for b in bad[:10]:
            print("FAIL: carrier leg %s (call %s) fits PBX legs of %s" % b)
        print("FAIL: %d of %d carrier legs fit other than intended: try another --seed" % (len(bad), n))
        return 1
    os.makedirs(a.out, exist_ok=True)
    sc.v.tail_s = 10  # R17: the carrier's keep-alives go on after the last call, so its record shows
    sc.write(a.out)
    print("ok: busy_hour: %d calls (%d at once at most), %d carrier legs each fitting only its own PBX leg "
          "(the %d twin pairs both), %d packets" % (len([e for e in sc.calls if "start" in e]), concurrency(sc), n,
                                                     2 * a.pairs, len(sc.cap.p) - len(sc.cap.lost)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
