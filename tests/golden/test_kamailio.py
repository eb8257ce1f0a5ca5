#!/usr/bin/env python3
"""A real SIP server rewriting what crosses it: ctitap must join each call's two legs.

    test_kamailio.py CTITAP [--on-time]

pcaps/kamailio/kamailio-topoh.pcap (written by pcaps/kamailio/make.sh) holds 32 calls that SIPp
placed through Debian's Kamailio acting as a topology-hiding proxy (topoh, mask_callid=1) on
loopback: answered, cancelled while ringing, busy (486), held and resumed by re-INVITEs. Kamailio
gives the callee's side of every call a Call-ID of its own (topoh's "!!:..." encoding) and masks
Via, Record-Route and Contact. The oracle is not ctitap: every carrier INVITE carries
X-Scenario-Call: <shape>-<n>, which Kamailio relays unchanged, and tshark reads it, so each call
is the set of Call-IDs whose INVITEs carry one tag. Expected per call: one record holding both
Call-IDs and no other, no CSTA, correlation sip_only, disposition answered / abandoned / busy by
its shape. Scored by score_calls.py (its figures printed). --on-time also asserts issue 11 item
9: every call record written within calls.settle_ms + 1 s of the call's end in packet time (the
capture goes on for 45 s of OPTIONS after the last call, so a record held back shows). Exit 77 when
the capture or tshark is absent.
"""
import collections
import json
import os
import shutil
import subprocess
import sys
import tempfile

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
from golden import ROOT, check, finish

PCAP = os.path.join(ROOT, "pcaps", "kamailio", "kamailio-topoh.pcap")
DISPOSITION = {"answered": "answered", "hold": "answered", "cancelled": "abandoned", "busy": "busy"}


def calls_from_tshark(pcap):
    """{tag: {Call-IDs}} of the INVITEs that carry X-Scenario-Call, read by tshark."""
    p = subprocess.run(["tshark", "-r", pcap, "-Y", "sip.Method == \"INVITE\"", "-T", "fields", "-E", "separator=\t",
                        "-e", "sip.Call-ID", "-e", "sip.msg_hdr"], capture_output=True, text=True, timeout=120)
    tags = collections.defaultdict(set)
    for line in p.stdout.splitlines():
        cid, _, hdr = line.partition("\t")
        for h in hdr.replace("\\r\\n", "\n").split("\n"):
            if h.lower().startswith("x-scenario-call:"):
                tags[h.split(":", 1)[1].strip()].add(cid)
    return tags


def main():
    ctitap = sys.argv[1]
    if not os.path.exists(PCAP) or not shutil.which("tshark"):
        print("skip: %s or tshark absent" % PCAP)
        return 77
    import score_calls
    tags = calls_from_tshark(PCAP)
    check(len(tags) == 32, "tshark finds 32 tagged calls (%d)" % len(tags))
    two = [t for t, c in tags.items() if len(c) == 2 and sum(1 for x in c if x.startswith("!!:")) == 1]
    check(len(two) == len(tags), "each has two Call-IDs, one of them topoh's mask (%d of %d)" % (len(two), len(tags)))
    calls = []
    for tag in sorted(tags):
        shape = tag.rsplit("-", 1)[0]
        calls.append({"sip": sorted(tags[tag]), "csta": [], "disposition": DISPOSITION[shape],
                      "correlation": {"method": "sip_only"}, "tag": "kamailio/" + shape})
    with tempfile.TemporaryDirectory() as d:
        exp = os.path.join(d, "kamailio.expect.json")
        with open(exp, "w") as f:
            json.dump({"scenario": "kamailio", "pcap": PCAP, "settings": {}, "calls": calls, "recordings": [],
                       "audits": [], "forbidden_audit_kinds": []}, f)
        results, t = score_calls.score(ctitap, [exp])
    check(t["failed_runs"] == 0 and t["schema_errors"] == 0, "ctitap ran, every record valid")
    check(t["wrong"] == 0, "no WRONG join (%d)" % t["wrong"])
    check(t["missed"] == 0, "every call's two legs in one record (%d missed)" % t["missed"])
    check(t["exact"] == t["expected"], "%d of %d calls exact" % (t["exact"], t["expected"]))
    if "--on-time" in sys.argv[2:]:
        limit = score_calls.SETTLE_MS + 1000
        check(t["delay_max_ms"] is not None and t["delay_max_ms"] <= limit and t["censored"] == 0,
              "every call record within %d ms of its call's end (max %s ms, %d only at the end of input)" %
              (limit, t["delay_max_ms"], t["censored"]))
    return finish()


if __name__ == "__main__":
    sys.exit(main())
