#!/usr/bin/env python3
"""Audit records on real bytes: a CSTA XML link (ECMA-323 framing: 00 00, length, 4-digit
invoke id, document) over TCP, built here segment by segment, whose PBX repeats an event,
reports a monitor nobody started, leaves a request unanswered, loses a segment, ends a
monitor, resets the connection and comes back on a new port; one frame mirrored twice.

Each audit kind must come out with the right count and numbers. Then pcaps/demo-csta.pcap
and the public CSTA captures (../shared/pcaps/public/csta, skipped when absent) must give no
duplicate_event and only the missing_response audits their bytes really have (requests whose
answer is not in the capture; see EXPECTED_MISSING). Every record validates against schemas/.
"""
import json
import os
import subprocess
import sys
import tempfile

from golden import ROOT, check, finish

from pcapgen import tcp_frame, write_pcap_ts  # noqa: E402


NS = "http://www.ecma-international.org/standards/ecma-323/csta/ed4"
PBX, CLI, CLI2 = ("10.8.0.10", 1040), ("10.8.0.20", 50001), ("10.8.0.20", 50002)
T0 = 1767603600 * 1000000

# Requests of the public captures that no answer in the capture pairs with (read from their
# .source.txt tables): template or real requests published without their response.
EXPECTED_MISSING = {
    "csta-hipath-ber.pcap": {"make_call (invoke 4)", "system_status (invoke 1)"},
    "csta-osv-xml.pcap": {"system_status (invoke 1)", "monitor_start (invoke 3)"},
    "csta-osv-xml-template.pcap": {"start_application_session (invoke 1)", "deflect_call (invoke 4)",
                                   "system_register (invoke 5)"},
    "csta-oxe-phase2-client-template.pcap": {"monitor_start (invoke 1)", "snapshot_device (invoke 3)"},
    "csta-oxe-phase2-events.pcap": set(),
}




def frame(invoke, root, inner):
    doc = f'<?xml version="1.0" encoding="UTF-8"?><{root} xmlns="{NS}">{inner}</{root}>'.encode()
    return b"\x00\x00" + (8 + len(doc)).to_bytes(2, "big") + b"%04d" % invoke + doc


def event(root, xref, call, dev, state, cause="newCall"):
    return frame(9999, root, f"<monitorCrossRefID>{xref}</monitorCrossRefID><connection><callID>{call}</callID>"
                             f"<deviceID>{dev}</deviceID></connection><localConnectionInfo>{state}"
                             f"</localConnectionInfo><cause>{cause}</cause>")


class Conn:
    """One TCP connection; .send() appends a data segment (and the peer's ACK)."""

    def __init__(self, frames, cli, start):
        self.f, self.cli, self.t = frames, cli, start
        self.seq = {cli: 1000, PBX: 5000}
        self.ipid = 1
        self.pkt(cli, PBX, "S", b"")
        self.pkt(PBX, cli, "SA", b"")
        self.pkt(cli, PBX, "A", b"")

    def pkt(self, a, b, flags, data, skip=0, dup=False):
        fr = tcp_frame(a, b, self.seq[a] + skip, self.seq[b] if "A" in flags else 0, flags, data, self.ipid)
        self.ipid += 1
        self.f.append((self.t, fr))
        if dup:
            self.f.append((self.t + 20, fr))  # the SPAN copy, 20 us later
        self.t += 10000
        self.seq[a] += skip + len(data) + (1 if "S" in flags or "F" in flags else 0)

    def send(self, a, data, at=None, skip=0, dup=False):
        if at is not None:
            self.t = at
        b = PBX if a != PBX else self.cli
        self.pkt(a, b, "PA", data, skip=skip, dup=dup)
        self.pkt(b, a, "A", b"")


def build(path):
    fr = []
    c = Conn(fr, CLI, T0)
    ms = lambda inv, dev: frame(inv, "MonitorStart",  # noqa: E731
                                f"<monitorObject><deviceObject>{dev}</deviceObject></monitorObject>")
    msr = lambda inv, x: frame(inv, "MonitorStartResponse", f"<monitorCrossRefID>{x}</monitorCrossRefID>")  # noqa
    c.send(CLI, ms(1, "100"))
    c.send(PBX, msr(1, "11"))
    c.send(CLI, ms(2, "200"))
    c.send(PBX, msr(2, "12"), dup=True)                               # span_duplicate: 1
    c.send(PBX, event("DeliveredEvent", "11", "C1", "100", "alerting"), at=T0 + 1000000)
    c.send(PBX, event("DeliveredEvent", "11", "C1", "100", "alerting"), at=T0 + 1040000)  # duplicate_event
    c.send(PBX, event("DeliveredEvent", "12", "C1", "100", "alerting"))  # other monitor: not one
    c.send(PBX, event("DeliveredEvent", "77", "C9", "700", "alerting"))  # unknown_monitor
    c.send(PBX, event("EstablishedEvent", "77", "C9", "700", "connected"))  # same xref: counted only
    c.send(CLI, frame(3, "ClearConnection", "<connectionToBeCleared><callID>C1</callID><deviceID>100</deviceID>"
                                           "</connectionToBeCleared>"), at=T0 + 2000000)  # missing_response
    c.send(CLI, frame(4, "SnapshotDevice", "<snapshotObject>100</snapshotObject>"))
    c.send(PBX, frame(4, "SnapshotDeviceResponse", ""))               # answered: not missing
    # a PBX segment the capture lost: last PBX bytes at 3.0 s, the next at 5.5 s
    c.send(PBX, event("HeldEvent", "11", "C1", "100", "hold"), at=T0 + 3000000)
    lost = event("RetrievedEvent", "11", "C1", "100", "connected")
    c.send(PBX, event("EstablishedEvent", "11", "C1", "100", "connected"), at=T0 + 5500000, skip=len(lost))
    # monitor 12 ends at 6 s; device 200 monitored again at 8 s (answer 8.01 s)
    c.send(PBX, frame(9999, "MonitorEndedEvent", "<monitorCrossRefID>12</monitorCrossRefID><cause>normal</cause>"),
           at=T0 + 6000000)
    c.send(CLI, ms(5, "200"), at=T0 + 8000000)
    c.send(PBX, msr(5, "13"))
    # keep-alive traffic to 13 s, so the request of 2 s times out (at the 12 s tick)
    c.send(PBX, event("DeliveredEvent", "11", "C2", "100", "alerting"), at=T0 + 13000000)
    # the PBX resets the link at 14 s; the client reconnects from a new port at 16.5 s
    c.t = T0 + 14000000
    c.pkt(PBX, CLI, "RA", b"")
    c2 = Conn(fr, CLI2, T0 + 16400000)
    c2.send(CLI2, ms(1, "100"), at=T0 + 16500000)
    c2.send(PBX, msr(1, "21"))
    c2.send(PBX, event("DeliveredEvent", "21", "C3", "100", "alerting"), at=T0 + 17000000)
    fr.sort(key=lambda x: x[0])
    write_pcap_ts(path, fr)


def run(ctitap, pcap, d, name):
    out = os.path.join(d, name + ".jsonl")
    r = subprocess.run([ctitap, "-r", pcap, "-o", "jsonl:" + out, "-q", "-X", "sensor.name=t"],
                       capture_output=True, text=True)
    check(r.returncode == 0, f"{name}: ctitap exit 0 ({r.stderr.strip()})")
    return out, [json.loads(x) for x in open(out)], None


def main():
    ctitap = sys.argv[1]
    with tempfile.TemporaryDirectory() as d:
        pcap = os.path.join(d, "audits.pcap")
        build(pcap)
        out, recs, _ = run(ctitap, pcap, d, "audits")
        v = subprocess.run([sys.executable, os.path.join(ROOT, "tests", "schemas", "validate.py"), out],
                           capture_output=True, text=True)
        check(v.returncode == 0, f"every record valid against schemas/ {v.stdout.strip()[-200:]} {v.stderr[-300:]}")
        aud = [r for r in recs if r["type"] == "audit"]
        by = lambda k: [a for a in aud if a["kind"] == k]  # noqa: E731
        for a in aud:
            print("   ", a["kind"], a.get("count", ""), a["detail"])
        stats = [r for r in recs if r["type"] == "stats"][-1]
        link1 = "10.8.0.10:1040-10.8.0.20:50001"
        dup = by("duplicate_event")
        check(len(dup) == 1 and dup[0]["link"] == link1 and "delivered for monitor 11 (device 100), call C1" in
              dup[0]["detail"] and "40 ms" in dup[0]["detail"] and dup[0].get("call"),
              "one duplicate_event: the Delivered of monitor 11 again 40 ms later, tagged with its call")
        check(stats["csta_dup_events"] == 1, "csta_dup_events 1")
        unk = by("unknown_monitor")
        check(len(unk) == 1 and "monitor 77" in unk[0]["detail"], "one unknown_monitor, for xref 77")
        check(stats["csta_unknown_xref"] == 2 and stats["csta_unknown_monitors"] == 1,
              "csta_unknown_xref counts both events of xref 77, csta_unknown_monitors 1")
        mis = by("missing_response")
        check(len(mis) == 1 and mis[0]["detail"].startswith("clear_connection (invoke 3) got no response within "
                                                            "10000 ms") and "call C1" in mis[0]["detail"]
              and mis[0]["ts"].startswith("2026-01-05T09:00:13."),
              "one missing_response: ClearConnection (invoke 3) of call C1, found at the first packet after 12 s (13 s)")
        check(stats["csta_missing_responses"] == 1, "csta_missing_responses 1")
        bl = by("cti_blind")
        want = [("blind for 2510 ms from 2026-01-05T09:00:03.000000Z", "tcp gap of 332 bytes sent by the pbx"),
                ("blind for 2020 ms from 2026-01-05T09:00:06.000000Z", "monitor ended for device 200, monitor 12"),
                ("blind for 2500 ms from 2026-01-05T09:00:14.", "tcp reset")]
        for i, (span, why) in enumerate(want):
            check(i < len(bl) and span in bl[i]["detail"] and why in bl[i]["detail"] and bl[i]["link"] == link1,
                  f"cti_blind {i + 1}: '{span}' ({why})")
        check(len(bl) == 3 and stats["cti_blind_periods"] == 3, "three cti_blind periods, counted")
        check(bl and bl[0].get("count") == 2, "the gap touched the two open calls C1 and C9 (count 2)")
        sp = by("span_duplicate")
        check(len(sp) == 1 and sp[0]["count"] == 1 and stats["span_dups"] == 1,
              "one span_duplicate summary with count 1")

        # captures whose CSTA is clean: no duplicate_event; only the missing responses they have
        caps = [(os.path.join(ROOT, "pcaps", "demo-csta.pcap"), set())]
        pub = os.path.join(ROOT, "..", "shared", "pcaps", "public", "csta")
        if os.path.isdir(pub):
            caps += [(os.path.join(pub, n), m) for n, m in sorted(EXPECTED_MISSING.items())]
        else:
            print("skip: ../shared/pcaps/public/csta is absent; only pcaps/demo-csta.pcap checked")
        for path, expect in caps:
            name = os.path.basename(path)
            out, recs, _ = run(ctitap, path, d, name)
            aud = [r for r in recs if r["type"] == "audit"]
            check(not [a for a in aud if a["kind"] == "duplicate_event"], f"{name}: no duplicate_event")
            got = {a["detail"].split(" got no response")[0] for a in aud if a["kind"] == "missing_response"}
            check(got == expect, f"{name}: missing_response exactly for {sorted(expect)} (got {sorted(got)})")
            check(not [a for a in aud if a["kind"] == "unknown_monitor"], f"{name}: no unknown_monitor")
            check(not [a for a in aud if a["kind"] == "cti_blind"],
                  f"{name}: no cti_blind (the link closes with the capture: nothing went unseen)")
            v = subprocess.run([sys.executable, os.path.join(ROOT, "tests", "schemas", "validate.py"), out],
                               capture_output=True, text=True)
            check(v.returncode == 0, f"{name}: records valid against schemas/")
    sys.exit(finish())


if __name__ == "__main__":
    main()
