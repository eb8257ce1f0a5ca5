#!/usr/bin/env python3
"""uaCSTA: CSTA XML carried in SIP bodies (ECMA-323 over SIP, the Microsoft RCC flavour that
tieto/sipe's sip-csta.c implements): a long-lived INVITE dialog whose body is
RequestSystemStatus, CSTA requests in INFO, answers in the 200 OK bodies, events in INFO
from the gateway. The capture is built here, byte by byte, from that message flow.

ctitap must report the CSTA content as csta events of one session named by the SIP Call-ID,
pair each answer with its request through the SIP transaction, map the monitor
cross-reference to its device, and not count the dialog as a phone call.
"""
import json
import os
import subprocess
import sys
import tempfile

from golden import check, finish

from pcapgen import udp_frame, write_pcap  # noqa: E402

NS = "http://www.ecma-international.org/standards/ecma-323/csta/ed3"
CLIENT, GW = ("10.7.0.20", 5060), ("10.7.0.1", 5060)
CALLID = "uacsta-7f3a@10.7.0.20"




def sip(first, cseq, method, body=b"", to_tag=True, src=CLIENT, dst=GW):
    hdr = (f"{first}\r\nVia: SIP/2.0/UDP {src[0]}:{src[1]};branch=z9hG4bK{cseq}{method.lower()}\r\n"
           f"From: <sip:agent@{CLIENT[0]}>;tag=cli1\r\nTo: <sip:csta@{GW[0]}>" + (";tag=gw1" if to_tag else "") +
           f"\r\nCall-ID: {CALLID}\r\nCSeq: {cseq} {method}\r\nContact: <sip:{src[0]}>\r\nMax-Forwards: 70\r\n")
    if body:
        hdr += "Content-Type: application/csta+xml\r\n"
    return (hdr + f"Content-Length: {len(body)}\r\n\r\n").encode() + body


def xml(root, inner=""):
    return f'<?xml version="1.0" encoding="UTF-8"?><{root} xmlns="{NS}">{inner}</{root}>'.encode()


def main():
    ctitap = sys.argv[1]
    import validate
    req = lambda m: f"{m} sip:csta@{GW[0]} SIP/2.0"  # noqa: E731
    ok = "SIP/2.0 200 OK"
    flow = [  # (sender, message)
        (CLIENT, sip(req("INVITE"), 1, "INVITE", xml("RequestSystemStatus"), to_tag=False)),
        (GW, sip(ok, 1, "INVITE", xml("RequestSystemStatusResponse", "<systemStatus>normal</systemStatus>"))),
        (CLIENT, sip(req("ACK"), 1, "ACK")),
        (CLIENT, sip(req("INFO"), 2, "INFO", xml("MonitorStart", "<monitorObject><deviceObject>tel:+4930123</deviceObject></monitorObject>"))),
        (GW, sip(ok, 2, "INFO", xml("MonitorStartResponse", "<monitorCrossRefID>99</monitorCrossRefID>"))),
        (GW, sip(f"INFO sip:agent@{CLIENT[0]} SIP/2.0", 1, "INFO",
                 xml("DeliveredEvent", "<monitorCrossRefID>99</monitorCrossRefID><connection><callID>C1</callID>"
                     "<deviceID>tel:+4930123</deviceID></connection><alertingDevice><deviceIdentifier>tel:+4930123"
                     "</deviceIdentifier></alertingDevice><callingDevice><deviceIdentifier>tel:+4930999"
                     "</deviceIdentifier></callingDevice><localConnectionInfo>alerting</localConnectionInfo>"
                     "<cause>newCall</cause>"), src=GW, dst=CLIENT)),
        (CLIENT, sip(ok, 1, "INFO", src=CLIENT, dst=GW)),
        (CLIENT, sip(req("BYE"), 3, "BYE")),
        (GW, sip(ok, 3, "BYE")),
    ]
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "uacsta.pcap")
        write_pcap(path, [udp_frame(src, GW if src == CLIENT else CLIENT, msg, 100 + i)
                          for i, (src, msg) in enumerate(flow)])
        p = subprocess.run([ctitap, "-q", "-r", path, "-o", "jsonl:-"], capture_output=True, text=True, timeout=60)
    lines = [l for l in p.stdout.splitlines() if l.strip()]
    errs = validate.validate_lines(lines)
    check(p.returncode == 0 and not errs, f"ctitap ran, {len(lines)} valid records {errs[:2]} {p.stderr[:200]}")
    recs = [json.loads(l) for l in lines]
    stats = recs[-1]
    csta = [r for r in recs if r.get("src") == "csta"]
    names = [(r["name"], r["kind"]) for r in csta]
    check(names == [("request_system_status", "request"), ("request_system_status_result", "result"),
                    ("monitor_start", "request"), ("monitor_start_result", "result"), ("delivered", "event")],
          f"the CSTA content as csta events, in order: {names}")
    check(all(r.get("session") == CALLID for r in csta), "all in one session named by the SIP Call-ID")
    check(all("latency_us" in r for r in csta if r["kind"] == "result"), "answers paired with requests (latency)")
    ev = csta[-1] if csta else {}
    check(ev.get("xref") == "99" and ev.get("monitored") == "tel:+4930123" and ev.get("call_id") == "C1" and
          ev.get("calling") == "tel:+4930999" and ev.get("state") == "alerting" and ev.get("cause") == "new_call",
          f"the Delivered event: its monitor mapped to the device, its fields ({ev})")
    check(stats["sip_calls"] == 0 and stats["sip_csta_sessions"] == 1, "the dialog is a CSTA session, not a call")
    check(not [r for r in recs if r.get("src") == "sip" and r["name"] not in ("dialog_end",)],
          "no SIP call events for the CSTA session")
    ends = [r for r in recs if r.get("name") == "dialog_end"]
    check(len(ends) == 1 and ends[0].get("csta_session") is True, "its dialog_end says csta_session")
    return finish()


if __name__ == "__main__":
    sys.exit(main())
