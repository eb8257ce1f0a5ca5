#!/usr/bin/env python3
"""mkregress.py DIR - writes the crafted regression inputs of fuzz_pipeline (fuzz/frames.h
format: byte 0 the link type, then frames of a 2-byte length, a 1-byte time step, the bytes)
for records that once broke their schema or paths that once blinded the tap:

  ber-negative-opcode   a CSTA BER invoke with operation code -128 (its event was named
                        "unknown_-128", not snake_case)
  xml-odd-element       CSTA XML documents whose root element names are not ASCII words
  sip-oversized         SIP over TCP: an INVITE with 70 KiB of headers between two others
"""
import os
import struct
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "golden"))
from pcapgen import tcp_frame  # noqa: E402


def conn(a, b, messages):
    """Frames of one TCP connection a -> b: handshake, then each message in 1400-byte segments."""
    fr, seq, ack = [], 1000, 5000
    fr.append(tcp_frame(a, b, seq, 0, "S", b"", 1))
    fr.append(tcp_frame(b, a, ack, seq + 1, "SA", b"", 2))
    seq += 1
    ack += 1
    ipid = 3
    for m in messages:
        for off in range(0, len(m), 1400):
            part = m[off:off + 1400]
            fr.append(tcp_frame(a, b, seq, ack, "PA", part, ipid))
            seq += len(part)
            ipid += 1
    return fr


def blob(frames):
    out = bytes([0])  # Ethernet
    for f in frames:
        assert len(f) < 65536
        out += struct.pack(">HB", len(f), 1) + f
    return out


def main(d):
    os.makedirs(d, exist_ok=True)
    pbx, cli = ("10.1.0.5", 2555), ("10.1.0.50", 40000)
    # ROSE invoke: invokeId 1, local opcode INTEGER 0x80 (-128), 2-byte length framing (OXE)
    inv = bytes.fromhex("a106020101020180")
    ber = struct.pack(">H", len(inv)) + inv
    open(os.path.join(d, "ber-negative-opcode"), "wb").write(blob(conn(cli, pbx, [ber, ber])))
    docs = []
    for root in ("_Odd", "\u00c9v\u00e9nement", "A-b.cEvent", "Event"):
        doc = ('<?xml version="1.0" encoding="UTF-8"?><%s xmlns="http://www.ecma-international.org/standards/'
               'ecma-323/csta/ed4"><monitorCrossRefID>1</monitorCrossRefID></%s>' % (root, root)).encode()
        docs.append(b"\x00\x00" + struct.pack(">H", 8 + len(doc)) + b"9999" + doc)
    open(os.path.join(d, "xml-odd-element"), "wb").write(blob(conn(("10.1.0.5", 1040), cli, docs)))

    def invite(n, pad=0):
        h = ("INVITE sip:2001@pbx SIP/2.0\r\nVia: SIP/2.0/TCP 10.0.0.1;branch=z9hG4bK%d\r\nFrom: <sip:1@a>;tag=%d\r\n"
             "To: <sip:2001@pbx>\r\nCall-ID: c%d@a\r\nCSeq: 1 INVITE\r\n" % (n, n, n)).encode()
        if pad:
            h += b"X-Pad: " + b"P" * pad + b"\r\n"
        return h + b"Content-Length: 0\r\n\r\n"
    sip = conn(("10.0.0.1", 5060), ("10.0.0.2", 5060), [invite(1), invite(2, 70 * 1024), invite(3)])
    open(os.path.join(d, "sip-oversized"), "wb").write(blob(sip))


if __name__ == "__main__":
    main(sys.argv[1])
