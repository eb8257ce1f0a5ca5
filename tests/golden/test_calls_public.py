#!/usr/bin/env python3
"""Call records on the public real captures (../shared/pcaps/public), SIP-only.

The oracle is tshark: the Call-IDs whose dialog carries an INVITE. Every one of them must be in
exactly one call record, and no record may hold a Call-ID that is not a call (a NOTIFY or
SUBSCRIBE dialog). Call records join dialogs only where the capture shows one customer call:
  - b2bua-asterisk: Asterisk (a B2BUA) bridges telephone1's INVITE to 2302 and its own INVITE
    to telephone2: two Call-IDs, one call, answered, parties telephone2 and telephone1;
  - heplify erspan: 20008777 calls 20008909, who holds, consults 20008910 (the consultation
    passes a B2BUA: two Call-IDs) and REFERs with Replaces (refused with 488): three Call-IDs,
    one call, and no transfer in it since the REFER failed;
  - every other capture: one record per INVITE dialog (the sipp load test's 1334 calls come
    from one caller on loopback: none may be merged).
Skips (77) when ../shared is absent, as in a user's clone.
"""
import json
import os
import subprocess
import sys

from golden import PUB, check, finish



# capture -> the groups of Call-IDs that are one call (all others: one call each)
JOINED = {
    "b2bua-asterisk.pcapng": [{"M2Q0ZDc1ZGM1NzIyMTlhZTA3NDU3NTgzMzA5YmJmZWQ.",
                               "37686afc57ce24ac655742b3644a7bb8@172.16.98.101:5060"}],
    "heplify__erspan_sip_ipv4_udp.pcapng": [{"ddd141f1d982d8989fb73db754a8fbb7@192.168.1.191",
                                             "bf3880-0-16e4-5af571fa-38bc4ba4-5af571fa@101.231.48.19",
                                             "cdfef7c7647e97e4ff66fbf504c524e4@192.168.1.191"}],
}


# capture -> why its INVITE dialog is not one record: asserted instead as written there
APART = {
    # its .source.txt: "All frames share one timestamp", which ctitap reads as years between
    # messages (the pcap's per-packet times jump): every timer runs out between two messages,
    # so each message after the first finds its dialog ended and starts a record of its own
    "heplify__sip_ipv6_udp.pcap": "timestamps years apart",
}




def invite_callids(path):
    out = subprocess.run(["tshark", "-n", "-r", path, "-o", "tcp.desegment_tcp_streams:TRUE", "-Y",
                          "sip.Method == \"INVITE\"", "-T", "fields", "-e", "sip.Call-ID"],
                         capture_output=True, text=True, check=True).stdout
    return {c for line in out.splitlines() for c in line.split(",") if c}


def main():
    ctitap = sys.argv[1]
    if not os.path.isdir(PUB):
        print("skip: ../shared/pcaps/public is not here (a user's clone)")
        return 77
    import validate
    names = sorted(f for f in os.listdir(PUB) if not f.endswith(".txt") and not f.endswith(".md")
                   and os.path.isfile(os.path.join(PUB, f)) and not f.startswith("protos"))
    for name in names:
        path = os.path.join(PUB, name)
        want = invite_callids(path)
        if not want:
            continue
        p = subprocess.run([ctitap, "-q", "-r", path, "-o", "jsonl:-"], capture_output=True, text=True, timeout=300)
        lines = [l for l in p.stdout.splitlines() if l.strip()]
        errs = validate.validate_lines(lines)
        check(p.returncode in (0, 65) and not errs, f"{name}: ran, {len(lines)} valid records {errs[:1]}")
        calls = [json.loads(l) for l in lines if '"type":"call"' in l]
        where = {}
        for i, r in enumerate(calls):
            for cid in r["sip"]:
                where.setdefault(cid, []).append(i)
        if name in APART:
            recs = [r for r in calls if set(r["sip"]) & want]
            check(len(recs) >= 1 and all(r["end"] == r["start"] or r["end"] < recs[-1]["start"] for r in recs[:-1]),
                  f"{name}: {APART[name]}: {len(recs)} records, one after another in time, none spanning a gap")
            continue
        lost = sorted(c for c in want if len(where.get(c, [])) != 1)
        check(not lost, f"{name}: each of the {len(want)} INVITE dialogs in exactly one call record {lost[:3]}")
        groups = JOINED.get(name, [])
        for g in groups:
            recs = {i for c in g for i in where.get(c, [])}
            check(len(recs) == 1 and set(calls[min(recs)]["sip"]) == g if recs else False,
                  f"{name}: {len(g)} dialogs are one call ({[calls[i]['sip'] for i in recs]})")
        single = len(want) - sum(len(g) for g in groups) + len(groups)
        invite_recs = [r for r in calls if set(r["sip"]) & want]
        check(len(invite_recs) == single, f"{name}: {len(invite_recs)} call records for INVITE dialogs == {single}")
        if name == "b2bua-asterisk.pcapng" and invite_recs:
            r = invite_recs[0]
            check(r["disposition"] == "answered" and [x["device"] for x in r["parties"]] == ["telephone1", "telephone2"]
                  and r["correlation"]["method"] == "sip_only" and "B2BUA 172.16.98.101" in r["correlation"]["evidence"],
                  f"{name}: answered, parties telephone1 (the caller) then telephone2, joined as a B2BUA's legs "
                  f"({r['disposition']}, {[x['device'] for x in r['parties']]}, {r['correlation']})")
        if name.startswith("heplify__erspan") and invite_recs:
            r = invite_recs[0]
            # two holds: 20008909 holds 20008777 (20.99 s), then holds the consultation before the REFER (30.86 s)
            check(r["transfers"] == [] and "REFER in ddd141f1d982d8989fb73db754a8fbb7@192.168.1.191 replaces dialog "
                  "bf3880" in r["correlation"]["evidence"] and r["holds"] == 2,
                  f"{name}: the REFER/Replaces joined the consultation, the refused transfer is not listed, two holds "
                  f"({r['transfers']}, {r['holds']}, {r['correlation']['evidence'][:160]})")
    return finish()


if __name__ == "__main__":
    sys.exit(main())
