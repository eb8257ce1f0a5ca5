#!/usr/bin/env python3
"""The scenario families as real sites vary them (issue 11), and the records they must give.

    python3 pcaps/gen/variants.py [--out DIR]

writes DIR/<family>__<variant>.pcap and .expect.json (DIR defaults to pcaps/scenarios/variants/;
`scenarios.py` writes them too and its --check compares them byte for byte). The scripts are
scenarios.py's families run with a Profile (how the site shows its parties); the expected
records come from the script's own packet times by the conventions R0-R23 at the top of
scenarios.py, never from ctitap. Python 3 stdlib only, deterministic.

Every variant: CSTA links laid out in time order (several messages in flight), opaque Call-IDs,
RTP only the first 3 packets of each media segment, a CTI lag of its own (Delivered may come
before the PBX's INVITE to the phone: negative cti_lag_ms), and 45 s of the carrier's OPTIONS
keep-alives after the last call (so a record held back past calls.settle_ms shows, R17).

  privacy     the caller withholds its number: From "Anonymous" <sip:anonymous@anonymous.invalid>,
              Privacy: id, the number only in the trunk's P-Asserted-Identity; the PBX's leg to the
              phone is anonymous; CTI names the calling device <restricted/> (R19)
  anonymous   the same without any P-Asserted-Identity (calling null); CTI says <notKnown/>
  sipuser     phones register as 0004f2a1b2c3 (2001), agent.smith (2002), 0004f2a1b2c5 (2003):
              the extension is in CTI only (R21)
  numforms    no numbers.* settings; the carrier dials the agent's DDI as +49-30-3444-2001 (tel:
              URIs, display names with spaces), the PBX's leg shows the caller as
              017012345678;phone-context=+49, CTI names parties OpenScape-style
              (N<+4917012345678>;displayNumber=017012345678;noa=nk) and the DDI nationally
              (03034442001); routed calls dial 030555000;phone-context=+49 (R20)
  loss        the capture loses messages: BYEs (and their 200s), a CANCEL, a 200 OK, a CSTA event
              (a TCP gap: sequence numbers skip it) -- see LOSS (R23)
  pbxmedia    the PBX re-INVITEs the caller's leg itself (inactive while it transfers, music on
              hold, moving media to its conference bridge): not holds where CTI is present (R6)
  multisignal one transfer reported by several signals: Transferred on both agents' monitors;
              the consultation transfer done by 2001's phone with REFER + Replaces (R10)
  lateoffer   the PBX's INVITEs to phones carry no SDP: the recording start knows one direction
              at the answer, the second at the ACK (R16 update)
  *_ber       privacy and sipuser of the BER families, the CSTA link as ECMA-285 BER (unber-checked)
  b2bua       no CTI at all: a privacy caller dials 2001's DDI; the PBX's two legs (PAI on the trunk,
              anonymous toward the phone) are one call by what the B2BUA relays (R22): answered,
              abandoned, held by the phone
  ambiguous   two pairs of calls whose legs fit each other equally (R18) and one ordinary call
"""
import argparse
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, HERE)
import scenarios as S  # noqa: E402
from scenarios import MS  # noqa: E402

OUT = os.path.join(S.ROOT, "pcaps", "scenarios", "variants")
SIP_USERS = {"2001": "0004f2a1b2c3", "2002": "agent.smith", "2003": "0004f2a1b2c5"}
FAMILIES = ["inbound_answered", "abandoned", "hold_retrieve", "single_step_transfer", "consultation_transfer",
            "conference", "makecall", "routed_queued"]
# what each family's loss variant loses (names: scenarios.py's Leg/Link loss points)
LOSS = {"inbound_answered": {"bye"}, "abandoned": {"cancel"}, "hold_retrieve": {"ok200", "retrieved"},
        "single_step_transfer": {"transferred", "delivered2"}, "consultation_transfer": {"ok200_consult", "bye_trunk"},
        "conference": {"bye"}, "makecall": {"ok200_trunk"}, "routed_queued": {"queued"}}
LOSS_TEXT = {"bye": "the hang-up's BYEs and their 200s", "cancel": "the caller's CANCEL",
             "ok200": "the agent's 200 OK", "retrieved": "CSTA Retrieved", "transferred": "CSTA Transferred",
             "delivered2": "CSTA Delivered at 2002", "ok200_consult": "2002's 200 OK to the consultation",
             "bye_trunk": "the caller's BYE", "ok200_trunk": "the far end's 200 OK", "queued": "CSTA Queued (call 0)"}
COMMON = dict(deferred=True, rtp_burst=3, opaque_ids=True, tail_s=45)
# (variant, what it is, Profile settings, families)
VARIANTS = [
    ("privacy", "caller withholds the number (PAI on the trunk only, CTI restricted)",
     dict(privacy="pai", withheld="restricted", lag=85 * MS, lag_alert=-12 * MS), FAMILIES),
    ("anonymous", "caller withholds the number, no PAI anywhere, CTI notKnown",
     dict(privacy="nopai", withheld="notKnown", lag=40 * MS, lag_alert=20 * MS),
     ["inbound_answered", "abandoned", "hold_retrieve"]),
    ("sipuser", "phones' SIP users are not their extensions", dict(sip_users=SIP_USERS, lag=12 * MS, lag_alert=-4 * MS),
     FAMILIES),
    ("numforms", "numbers in other forms (DDI with separators, tel:, phone-context, OSV strings), no numbers.* settings",
     dict(numforms=True, lag=140 * MS, lag_alert=25 * MS), FAMILIES),
    ("loss", "the capture loses messages", dict(lag=30 * MS, lag_alert=55 * MS), FAMILIES),
    ("pbxmedia", "the PBX re-INVITEs the caller's leg while it transfers or conferences",
     dict(pbx_reinvites=True, lag=60 * MS, lag_alert=-2 * MS),
     ["single_step_transfer", "consultation_transfer", "conference"]),
    ("multisignal", "one transfer reported by several signals (two monitors; REFER with Replaces)",
     dict(multisignal=True, lag=22 * MS, lag_alert=8 * MS), ["single_step_transfer", "consultation_transfer"]),
    ("lateoffer", "the PBX's INVITEs to phones carry no SDP", dict(late_offer=True, lag=20 * MS, lag_alert=-6 * MS),
     ["inbound_answered", "hold_retrieve"]),
]
BER_VARIANTS = ["privacy", "sipuser"]


def family_fn(name):
    return getattr(S, "s_" + name)


def family_desc(name):
    return next(d for n, _, d in S.SCENARIOS if n == name)


def apply_loss(sc, loss):
    """R23: which audits the loss variants allow and expect."""
    sc.allow("missing_event", "orphan_dialog", "cti_blind")
    if loss & {"bye"}:
        for i, c in enumerate(sc.calls):
            c["audit"] = c.get("audit", []) + [["missing_event", "orphan_dialog"]]
            sc.audits.append({"kind": ["missing_event", "orphan_dialog"], "call": i})
    if loss & {"delivered2"}:  # Established at 2002 without its Delivered (R15)
        sc.calls[0]["audit"] = sc.calls[0].get("audit", []) + ["missing_event"]
        sc.audits.append({"kind": "missing_event", "call": 0})
    if loss & {"retrieved", "transferred", "delivered2", "queued"}:
        sc.stats["tcp_gaps"] = [1, 10]


def run_family(fam, variant, idx, enc="xml"):
    _, desc, kw, _ = next(v for v in VARIANTS if v[0] == variant)
    kw = dict(COMMON, **kw)
    if variant == "loss":
        kw["loss"] = frozenset(LOSS[fam])
        desc = "the capture loses %s" % ", ".join(LOSS_TEXT[x] for x in sorted(LOSS[fam]))
    name = "%s__%s%s" % (fam, variant, "_ber" if enc == "ber" else "")
    sc = S.Scen(name, idx, "%s; %s%s" % (family_desc(fam), desc, "; the CSTA link as ECMA-285 BER" if enc == "ber" else ""),
                enc, S.Profile(variant=variant, **kw))
    if variant == "numforms":
        sc.settings = {}
    family_fn(fam)(sc)
    if variant == "loss":
        apply_loss(sc, kw["loss"])
    for c in sc.calls:  # R13 in the variants
        m = c["correlation"]["method"]
        if m != "shared_id" and (variant == "sipuser" or (variant in ("privacy", "anonymous") and m == "number_time"
                                                          and fam != "makecall")):
            c["correlation"] = {"method": None}
    return sc


# ---- no CTI: the B2BUA's two legs (R22) ---------------------------------------------------

def s_b2bua(sc, shape):
    """A privacy caller dials 2001's DDI; the PBX rings 2001 anonymously; no CTI link."""
    sc.dial = (S.ddi("2001"), None)
    t0 = sc.t0 + 500 * MS
    tr = S.trunk_leg(sc, "c1", t0)
    tr.d.response(t0 + 5 * MS, tr.inv, 100, "Trying")
    ag = S.agent_leg(sc, "c1", t0 + 38 * MS, "2001")
    t_ring = ag.ringing(t0 + 61 * MS)
    tr.d.response(t_ring + 4 * MS, tr.inv, 180, "Ringing")
    holds = []
    if shape == "abandoned":
        tc = tr.cancel(t0 + 6200 * MS)
        ag.cancel(tc + 9 * MS)
        end = sc.first(*S.hangup(tr, ag))
        e = S.call_expect(t0, None, end, sc.v.calling(S.CALLER_E164), sc.dial[0], "inbound", "abandoned",
                          [S.party("2001", t_ring, None, sc.first(*S.hangup(ag)))],
                          released_by=sc.v.caller_device(S.CALLER_NAT, S.CALLER_E164), sip=[tr.d.cid, ag.d.cid],
                          correlation={"method": "sip_only"})
    else:
        t_ans = ag.answer(t0 + 4100 * MS)
        tr.d.response(t_ans + 9 * MS, tr.inv, 200, "OK", tr.sdp_b())
        tr.d.ack(t_ans + 21 * MS, tr.inv)
        tr.conn_at = t_ans + 30 * MS
        tb = t_ans + 5000 * MS
        if shape == "hold":  # without CTI the phone's re-INVITEs are the hold (R6)
            th = ag.hold(t_ans + 2000 * MS, by_b=True)
            tres = ag.hold(th + 2500 * MS, by_b=True, resume=True)
            holds = [(th, tres)]
            tb = tres + 2000 * MS
        tr.bye(tb, from_a=True)
        ag.bye(tb + 11 * MS, from_a=True)
        end = sc.first(*S.hangup(tr, ag))
        answered = sc.first(t_ans, ag.times["ack"])
        e = S.call_expect(t0, answered, end, sc.v.calling(S.CALLER_E164), sc.dial[0], "inbound", "answered",
                          [S.party("2001", t_ring, answered, sc.first(*S.hangup(ag)))], hold=holds,
                          released_by=sc.v.caller_device(S.CALLER_NAT, S.CALLER_E164), sip=[tr.d.cid, ag.d.cid],
                          correlation={"method": "sip_only"})
    tr.media()
    ag.media()
    sc.calls.append(e)


B2BUA = [("answered", "answered"), ("abandoned", "abandoned after 6 s of ringing"), ("hold", "answered, held by the phone")]


# ---- ambiguous pairs (R18) ----------------------------------------------------------------

SBC2 = ("10.2.0.2", 5060)


def twins(sc, L, t0, key, callers, sbcs, agents, cids, called):
    """Two calls whose every relayed message lies within 2 ms of its twin's, the PBX's side in the
    opposite order of the carrier's (a first-in-first-out pairing would cross them). Returns the
    expected pieces: per call its agent leg with its CSTA call, and its trunk leg alone."""
    sc.dial = (called[0], None)
    d = [0, 700]  # µs offsets of the carriers' messages
    x = [900, 300]  # the PBX's: crossed
    tr = [S.trunk_leg(sc, "%s%d" % (key, i), t0 + d[i], callers[i][0], sbc=sbcs[i]) for i in (0, 1)]
    for i in (0, 1):
        tr[i].d.response(t0 + 5 * MS + d[i], tr[i].inv, 100, "Trying")
    ag = [S.agent_leg(sc, "%s%d" % (key, i), t0 + 40 * MS + x[i], agents[i], callers[i][0]) for i in (0, 1)]
    ev = [L.event(t0 + 70 * MS + x[i], "DeliveredEvent", agents[i],
                  S.ev_delivered(cids[i], agents[i], callers[i][1], called[1] or S.HOTLINE)) for i in (0, 1)]
    for i in (0, 1):
        ag[i].ringing(t0 + 60 * MS + x[i])
        tr[i].d.response(t0 + 65 * MS + x[i], tr[i].inv, 180, "Ringing")
    for i in (0, 1):
        ag[i].answer(t0 + 3000 * MS + x[i])
        tr[i].d.response(t0 + 3010 * MS + x[i], tr[i].inv, 200, "OK", tr[i].sdp_b())
        tr[i].d.ack(t0 + 3025 * MS + d[i], tr[i].inv)
        tr[i].conn_at = t0 + 3040 * MS
        L.event(t0 + 3030 * MS + x[i], "EstablishedEvent", agents[i],
                S.ev_established(cids[i], agents[i], callers[i][1], called[1] or S.HOTLINE))
    for i in (0, 1):
        tr[i].bye(t0 + 9000 * MS + d[i], from_a=True)
        ag[i].bye(t0 + 9010 * MS + x[i], from_a=True)
        L.event(t0 + 9030 * MS + x[i], "ConnectionClearedEvent", agents[i], S.ev_cleared(cids[i], callers[i][1]))
        L.event(t0 + 9040 * MS + x[i], "CallClearedEvent", agents[i], S.ev_call_cleared(cids[i]))
        tr[i].media()
        ag[i].media()
    out = []
    for i in (0, 1):
        truth = "%s%d" % (key, i + 1)
        out.append({"ambiguous": key, "truth": truth, "sip": [ag[i].d.cid], "csta": L.csta(cids[i])})
        out.append({"ambiguous": key, "truth": truth, "sip": [tr[i].d.cid], "csta": []})
    return out


def s_ambiguous(sc):
    L, t = S.setup_link(sc, sc.t0, ["2001", "2002", "2003"], agents_ready=["2001", "2002", "2003"])
    t0 = t + 500 * MS
    # A: the same number through two carriers at the same moment to the hotline's hunt group
    same = ("+4917055500011", "017055500011")
    sc.calls += twins(sc, L, t0, "A", [same, same], [S.SBC, SBC2], ["2001", "2002"], ["5c0b0001", "5c0b0002"],
                      (S.HOTLINE_E164, None))
    # B: two callers with privacy to the same DDI (a hunt group), the numbers only in PAI
    sc.rewrites += [("<deviceIdentifier>%s</deviceIdentifier>" % n, "<restricted/>") for n in ("015112345601", "015112345602")]
    sc.rewrites += [("<deviceID>%s</deviceID>" % n, "<deviceID>T001</deviceID>") for n in ("015112345601", "015112345602")]
    sc.v.privacy = "pai"
    sc.calls += twins(sc, L, t0 + 20000 * MS, "B", [("+4915112345601", "015112345601"), ("+4915112345602", "015112345602")],
                      [S.SBC, S.SBC], ["2002", "2003"], ["5c0b0003", "5c0b0004"], ("+4930344446100", "6100"))
    sc.v.privacy = None
    sc.dial = (S.HOTLINE_E164, None)
    # and an ordinary call between them, which must join as usual
    e, tr, ag, holds, rel = S.inbound_basic(sc, L, t0 + 12000 * MS, agent="2003", key="c", cid="5c0b0005",
                                            talk=3000 * MS)
    sc.calls.append(e)
    for key, truths in (("A", ("A1", "A2")), ("B", ("B1", "B2"))):
        sc.audits.append({"kind": "ambiguous_join", "pair": list(truths)})
    sc.allow("orphan_dialog")  # a trunk leg left apart is one


SPECIALS = [("b2bua_" + shape, (lambda sh: lambda sc: s_b2bua(sc, sh))(shape),
             "no CTI: a privacy caller dials 2001's DDI, the PBX's legs are paired by what it relays; " + d)
            for shape, d in B2BUA] + [
    ("ambiguous", s_ambiguous, "two pairs of calls that fit each other's legs equally (same number via two "
                               "carriers; two privacy callers to one DDI), left apart; one ordinary call")]


def all_variants():
    """(name, builder) of every variant capture; builder() returns the Scen, scripted."""
    out, idx = [], 100
    for variant, _, _, fams in VARIANTS:
        for fam in fams:
            out.append(("%s__%s" % (fam, variant), (lambda f, v, i: lambda: run_family(f, v, i))(fam, variant, idx)))
            if variant in BER_VARIANTS and fam in S.BER_TWINS:
                out.append(("%s__%s_ber" % (fam, variant),
                            (lambda f, v, i: lambda: run_family(f, v, i, "ber"))(fam, variant, idx)))
            idx += 1
    for name, fn, desc in SPECIALS:
        def build(name=name, fn=fn, desc=desc, idx=idx):
            kw = dict(privacy="pai") if name.startswith("b2bua") else {}
            sc = S.Scen(name, idx, desc, "xml", S.Profile(variant=name, **dict(COMMON, **kw)))
            fn(sc)
            return sc
        out.append((name, build))
        idx += 1
    return out


def generate(out):
    os.makedirs(out, exist_ok=True)
    scens = []
    for name, build in all_variants():
        sc = build()
        assert sc.name == name, (sc.name, name)
        sc.write(out)
        scens.append(sc)
    return scens


def twins_of(scens):
    """(XML variant, BER variant) pairs, for scenarios.twin_check."""
    by = {sc.name: sc for sc in scens}
    return [(by[n[:-4]], by[n]) for n in by if n.endswith("_ber")]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", default=OUT)
    a = ap.parse_args()
    generate(a.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
