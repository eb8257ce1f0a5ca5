#!/usr/bin/env python3
"""SIP call and dialog tracking on crafted messages (RFC 3261), each case built here byte by
byte: an INVITE challenged with 407 and retried with credentials, forked 18x responses (two
early dialogs), a retransmitted 200 OK, hold and resume by re-INVITE (offer sendonly, answer
recvonly; then sendrecv), BYE; and a call abandoned while ringing (CANCEL, 487) written with
compact header forms and an Avaya UCID in User-to-User.
"""
import json
import os
import subprocess
import sys
import tempfile

from golden import check, finish

from pcapgen import udp_frame, write_pcap  # noqa: E402


A, B = ("10.8.0.10", 5060), ("10.8.0.1", 5060)




def sdp(port, direction):
    return (f"v=0\r\no=- 1 1 IN IP4 10.8.0.10\r\ns=-\r\nc=IN IP4 10.8.0.10\r\nt=0 0\r\n"
            f"m=audio {port} RTP/AVP 8\r\na=rtpmap:8 PCMA/8000\r\na={direction}\r\n").encode()


def msg(first, callid, cseq, method, totag=None, body=b"", branch=None, extra="", compact=False):
    h = {"via": "v" if compact else "Via", "from": "f" if compact else "From", "to": "t" if compact else "To",
         "cid": "i" if compact else "Call-ID", "cl": "l" if compact else "Content-Length",
         "ct": "c" if compact else "Content-Type"}
    s = (f"{first}\r\n{h['via']}: SIP/2.0/UDP 10.8.0.10:5060;branch={branch or 'z9hG4bK' + method + str(cseq)}\r\n"
         f"{h['from']}: \"Agent\" <sip:2001@10.8.0.10>;tag=ft1\r\n{h['to']}: <sip:0301234@10.8.0.1>"
         + (f";tag={totag}" if totag else "") + f"\r\n{h['cid']}: {callid}\r\nCSeq: {cseq} {method}\r\n"
         f"Contact: <sip:2001@10.8.0.10>\r\n{extra}")
    if body:
        s += f"{h['ct']}: application/sdp\r\n"
    return (s + f"{h['cl']}: {len(body)}\r\n\r\n").encode() + body


def main():
    ctitap = sys.argv[1]
    import validate
    inv = "INVITE sip:0301234@10.8.0.1 SIP/2.0"
    c1 = "dlg-one@10.8.0.10"
    flow = [
        (A, msg(inv, c1, 1, "INVITE", body=sdp(4000, "sendrecv"))),
        (B, msg("SIP/2.0 407 Proxy Authentication Required", c1, 1, "INVITE", totag="px")),
        (A, msg("ACK sip:0301234@10.8.0.1 SIP/2.0", c1, 1, "ACK", totag="px", branch="z9hG4bKINVITE1")),
        (A, msg(inv, c1, 2, "INVITE", body=sdp(4000, "sendrecv"), extra="Proxy-Authorization: Digest x\r\n")),
        (B, msg("SIP/2.0 100 Trying", c1, 2, "INVITE")),
        (B, msg("SIP/2.0 180 Ringing", c1, 2, "INVITE", totag="fork1")),
        (B, msg("SIP/2.0 183 Session Progress", c1, 2, "INVITE", totag="fork2", body=sdp(5000, "sendrecv"))),
        (B, msg("SIP/2.0 200 OK", c1, 2, "INVITE", totag="fork2", body=sdp(5000, "sendrecv"))),
        (B, msg("SIP/2.0 200 OK", c1, 2, "INVITE", totag="fork2", body=sdp(5000, "sendrecv"))),  # resent
        (A, msg("ACK sip:0301234@10.8.0.1 SIP/2.0", c1, 2, "ACK", totag="fork2")),
        (A, msg(inv, c1, 3, "INVITE", totag="fork2", body=sdp(4000, "sendonly"))),
        (B, msg("SIP/2.0 200 OK", c1, 3, "INVITE", totag="fork2", body=sdp(5000, "recvonly"))),
        (A, msg("ACK sip:0301234@10.8.0.1 SIP/2.0", c1, 3, "ACK", totag="fork2")),
        (A, msg(inv, c1, 4, "INVITE", totag="fork2", body=sdp(4000, "sendrecv"))),
        (B, msg("SIP/2.0 200 OK", c1, 4, "INVITE", totag="fork2", body=sdp(5000, "sendrecv"))),
        (A, msg("ACK sip:0301234@10.8.0.1 SIP/2.0", c1, 4, "ACK", totag="fork2")),
        (A, msg("BYE sip:0301234@10.8.0.1 SIP/2.0", c1, 5, "BYE", totag="fork2")),
        (B, msg("SIP/2.0 200 OK", c1, 5, "BYE", totag="fork2")),
    ]
    c2 = "dlg-two@10.8.0.10"
    uui = "User-to-User: 00FA080019001038F725B3;encoding=hex\r\n"
    flow += [
        (A, msg(inv, c2, 1, "INVITE", body=sdp(4100, "sendrecv"), extra=uui, compact=True)),
        (B, msg("SIP/2.0 180 Ringing", c2, 1, "INVITE", totag="r1", compact=True)),
        (A, msg("CANCEL sip:0301234@10.8.0.1 SIP/2.0", c2, 1, "CANCEL", branch="z9hG4bKINVITE1", compact=True)),
        (B, msg("SIP/2.0 200 OK", c2, 1, "CANCEL", totag="r1", branch="z9hG4bKINVITE1", compact=True)),
        (B, msg("SIP/2.0 487 Request Terminated", c2, 1, "INVITE", totag="r1", compact=True)),
        (A, msg("ACK sip:0301234@10.8.0.1 SIP/2.0", c2, 1, "ACK", totag="r1", branch="z9hG4bKINVITE1", compact=True)),
    ]
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "dialogs.pcap")
        write_pcap(path, [udp_frame(src, B if src == A else A, m, 10 + i) for i, (src, m) in enumerate(flow)])
        p = subprocess.run([ctitap, "-q", "-r", path, "-o", "jsonl:-"], capture_output=True, text=True, timeout=60)
    lines = [l for l in p.stdout.splitlines() if l.strip()]
    errs = validate.validate_lines(lines)
    check(p.returncode == 0 and not errs, f"ctitap ran, {len(lines)} valid records {errs[:2]} {p.stderr[:200]}")
    recs = [json.loads(l) for l in lines]
    stats = recs[-1]
    one = [r["name"] for r in recs if r.get("call_id") == c1 and r.get("src") == "sip"]
    check(one == ["invite", "failure", "ack", "invite", "ringing", "ringing", "answer", "ack", "hold",
                  "reinvite_answer", "ack", "resume", "reinvite_answer", "ack", "bye", "dialog_end"],
          f"call one, event by event: {one}")
    end1 = [r for r in recs if r.get("call_id") == c1 and r["name"] == "dialog_end"][0]
    check(end1["disposition"] == "answered" and end1["early_dialogs"] == 2 and end1["to_tag"] == "fork2" and
          end1["retransmissions"] == 1 and end1["reason"] == "ended",
          f"call one ended answered on the second fork, one retransmission: {end1}")
    two = [r["name"] for r in recs if r.get("call_id") == c2 and r.get("src") == "sip"]
    check(two == ["invite", "ringing", "cancel", "failure", "ack", "dialog_end"], f"call two: {two}")
    end2 = [r for r in recs if r.get("call_id") == c2 and r["name"] == "dialog_end"][0]
    check(end2["disposition"] == "abandoned" and end2["status"] == 487, f"call two abandoned: {end2}")
    inv2 = [r for r in recs if r.get("call_id") == c2 and r["name"] == "invite"][0]
    check(inv2.get("ucid") == "00025000160955721139" and inv2.get("calling") == "2001" and inv2.get("called") == "0301234",
          f"compact forms read; UCID node 25, sequence 16, time 955721139 (AudioCodes' example): {inv2.get('ucid')}")
    check(stats["sip_calls"] == 2 and stats["sip_calls_answered"] == 1 and stats["sip_retrans"] == 1,
          f"two calls, one answered, one retransmission ({stats['sip_calls']}, {stats['sip_calls_answered']}, {stats['sip_retrans']})")
    hold = [r for r in recs if r.get("name") == "hold"][0]
    check(hold.get("media", [{}])[0].get("dir") == "sendonly", "the hold event shows the sendonly offer")
    return finish()


if __name__ == "__main__":
    sys.exit(main())
