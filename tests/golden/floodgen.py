"""floodgen.py - the hostile captures of issue 12, crafted byte by byte, at any size: the
reliability test (test_reliability.py) runs them small, bench/floods.sh large under
/usr/bin/time -v (the memory figures in docs/capture.md).

Each function writes one capture and returns what it put in it."""
import struct

from pcapgen import tcp_frame, udp_frame, write_pcap_at

T0 = 1767603600 * 1000000          # 2026-01-05T09:00:00Z, in microseconds
Y2096 = 3979420800 * 1000000       # 2096-02-08
NS = "http://www.ecma-international.org/standards/ecma-323/csta/ed4"


def invite(n, pad=0, proto="TCP"):
    h = (f"INVITE sip:2001@10.9.0.2 SIP/2.0\r\nVia: SIP/2.0/{proto} 10.9.0.1:5060;branch=z9hG4bK{n}\r\n"
         f"From: <sip:100{n}@10.9.0.1>;tag=f{n}\r\nTo: <sip:2001@10.9.0.2>\r\nCall-ID: flood-{n}@10.9.0.1\r\n"
         f"CSeq: 1 INVITE\r\nContact: <sip:100{n}@10.9.0.1>\r\n").encode()
    if pad:
        h += b"X-Pad: " + b"P" * pad + b"\r\n"
    return h + b"Content-Length: 0\r\n\r\n"


def message_with_body(body_len, fill=b"B"):
    """A SIP MESSAGE whose body is body_len bytes of fill, without a final line break."""
    h = ("MESSAGE sip:2001@10.9.0.2 SIP/2.0\r\nVia: SIP/2.0/TCP 10.9.0.1:5060;branch=z9hG4bKbig\r\n"
         "From: <sip:1000@10.9.0.1>;tag=big\r\nTo: <sip:2001@10.9.0.2>\r\nCall-ID: big@10.9.0.1\r\n"
         f"CSeq: 1 MESSAGE\r\nContent-Type: text/plain\r\nContent-Length: {body_len}\r\n\r\n").encode()
    return h + fill * body_len


class Tcp:
    """One TCP connection a -> b in frames of at most mss bytes, each answered by an ACK."""

    def __init__(self, frames, a, b, t, syn=True):
        self.f, self.a, self.b, self.t = frames, a, b, t
        self.seq, self.ack, self.ipid = 1000, 5000, 1
        if syn:
            self.pkt(a, b, "S", b"")
            self.pkt(b, a, "SA", b"")
            self.pkt(a, b, "A", b"")

    def pkt(self, src, dst, flags, data):
        mine = src == self.a
        seq, ack = (self.seq, self.ack) if mine else (self.ack, self.seq)
        self.f.append((self.t, tcp_frame(src, dst, seq, ack, flags, data, self.ipid)))
        self.ipid = (self.ipid + 1) & 0xFFFF
        self.t += 100
        inc = len(data) + (1 if "S" in flags or "F" in flags else 0)
        if mine:
            self.seq += inc
        else:
            self.ack += inc

    def send(self, data, mss=1400, acks=True):
        for off in range(0, len(data), mss):
            self.pkt(self.a, self.b, "PA", data[off:off + mss])
            if acks:
                self.pkt(self.b, self.a, "A", b"")


def sip_big_header(path, n=106, big_at=5, pad=70 * 1024, every=0):
    """n INVITEs on one TCP connection, the one at big_at (or, with every, each every-th one)
    with pad bytes of one header."""
    fr = []
    c = Tcp(fr, ("10.9.0.1", 5060), ("10.9.0.2", 5060), T0)
    for i in range(n):
        big = i % every == 0 if every else i == big_at
        c.send(invite(i, pad if big else 0))
    write_pcap_at(path, fr)
    return n


def sip_big_body(path, body_len, count=1):
    """INVITE 1, `count` MESSAGEs with a body of body_len 'B's ending without a line break,
    each followed at once by an INVITE (2, 3, ...)."""
    fr = []
    c = Tcp(fr, ("10.9.0.1", 5060), ("10.9.0.2", 5060), T0)
    data = invite(1)
    for k in range(count):
        data += message_with_body(body_len) + invite(2 + k)
    c.send(data)
    write_pcap_at(path, fr)


def csta_frame(invoke, root, inner=""):
    doc = f'<?xml version="1.0" encoding="UTF-8"?><{root} xmlns="{NS}">{inner}</{root}>'.encode()
    return b"\x00\x00" + struct.pack(">H", 8 + len(doc)) + b"%04d" % invoke + doc


def csta_fake_links(path, fakes=256, real_calls=20):
    """fakes idle CSTA XML links (each one SystemStatus request from its own client port, then
    nothing), then the real CTI link: MonitorStart and its answer, and real_calls Delivered
    events."""
    fr = []
    pbx = ("10.9.1.5", 1040)
    t = T0
    for i in range(fakes):
        cli = ("10.9.%d.%d" % (2 + i // 250, 1 + i % 250), 30000 + i)
        c = Tcp(fr, cli, pbx, t)
        c.send(csta_frame(1, "SystemStatus", "<systemStatus>normal</systemStatus>"))
        t += 1000
    t += 10 * 1000000
    c = Tcp(fr, ("10.9.1.50", 45000), pbx, t)
    c.send(csta_frame(1, "MonitorStart", "<monitorObject><deviceObject>2001</deviceObject></monitorObject>"))
    c.a, c.b = c.b, c.a
    c.seq, c.ack = c.ack, c.seq
    c.send(csta_frame(1, "MonitorStartResponse", "<monitorCrossRefID>77</monitorCrossRefID>"))
    for k in range(real_calls):
        c.t += 1000000
        c.send(csta_frame(9999, "DeliveredEvent",
                          f"<monitorCrossRefID>77</monitorCrossRefID><connection><callID>C{k}</callID>"
                          f"<deviceID>2001</deviceID></connection><localConnectionInfo>alerting"
                          f"</localConnectionInfo><cause>newCall</cause>"))
    write_pcap_at(path, fr)
    return pbx, ("10.9.1.50", 45000)


def tiny_flows(path, flows, half_len=70):
    """flows connections joined mid-stream, each with the first half_len bytes of an INVITE and
    nothing more; then a real INVITE in three segments on a new connection."""
    fr = []
    t = T0
    half = invite(0)[:half_len]
    for i in range(flows):
        src = ("10.%d.%d.%d" % (20 + i // 65000, (i // 250) % 260 % 256, 1 + i % 250), 10000 + i % 50000)
        fr.append((t, tcp_frame(src, ("10.9.0.2", 5060), 7000, 9000, "PA", half, i & 0xFFFF)))
        t += 10
    c = Tcp(fr, ("10.9.0.99", 5070), ("10.9.0.2", 5060), t + 1000)
    real = invite(4242)
    c.send(real, mss=(len(real) + 2) // 3)
    write_pcap_at(path, fr)


def udp_call(fr, n, t, src=("10.9.3.1", 5060), dst=("10.9.3.2", 5060), cid=None):
    """One SIP call over UDP at t: INVITE, 200, ACK, and BYE, 200 two seconds later."""
    cid = cid or f"udp-{n}@10.9.3.1"

    def m(first, method, cseq, to_tag, a, b, at):
        s = (f"{first}\r\nVia: SIP/2.0/UDP 10.9.3.1:5060;branch=z9hG4bK{n}{method}{cseq}\r\n"
             f"From: <sip:1{n}@10.9.3.1>;tag=f{n}\r\nTo: <sip:2001@10.9.3.2>" + (f";tag=t{n}" if to_tag else "") +
             f"\r\nCall-ID: {cid}\r\nCSeq: {cseq} {method}\r\nContact: <sip:x@10.9.3.1>\r\nContent-Length: 0\r\n\r\n")
        fr.append((at, udp_frame(a, b, s.encode(), (n * 7 + cseq) & 0xFFFF)))
    m("INVITE sip:2001@10.9.3.2 SIP/2.0", "INVITE", 1, False, src, dst, t)
    m("SIP/2.0 200 OK", "INVITE", 1, True, dst, src, t + 100000)
    m("ACK sip:2001@10.9.3.2 SIP/2.0", "ACK", 1, True, src, dst, t + 200000)
    m("BYE sip:2001@10.9.3.2 SIP/2.0", "BYE", 2, True, src, dst, t + 2000000)
    m("SIP/2.0 200 OK", "BYE", 2, True, dst, src, t + 2100000)


def future_timestamp(path, calls, bogus_at=3):
    """calls SIP calls over UDP a second apart; the 200 OK of call bogus_at is dated 2096."""
    fr = []
    for n in range(calls):
        udp_call(fr, n, T0 + n * 1000000)
    fr.sort(key=lambda x: x[0])
    if bogus_at >= 0:
        i = [k for k, (t, f) in enumerate(fr) if b"udp-%d@" % bogus_at in f and b"200 OK" in f][0]
        fr[i] = (Y2096, fr[i][1])
    write_pcap_at(path, fr)


def clock_back(path, calls, step_s=86400):
    """calls SIP calls a second apart; halfway the capture's clock steps back by step_s and stays."""
    fr = []
    for n in range(calls):
        t = T0 + n * 1000000 - (step_s * 1000000 if n >= calls // 2 else 0)
        sub = []
        udp_call(sub, n, t)
        fr += sub
    write_pcap_at(path, fr)  # in capture order: the second half is dated a day earlier


def far_future_pcapng(path, calls, bad_every=2):
    """pcapng (64-bit timestamps): calls SIP calls, and, after each call, bad_every frames dated
    past the year 9999 (2^63 µs and 10000-01-01)."""
    fr = []
    for n in range(calls):
        sub = []
        udp_call(sub, n, T0 + n * 1000000)
        fr += sub
        for k in range(bad_every):
            bad = []
            udp_call(bad, 100000 + n * bad_every + k, 0)
            ts = (1 << 63) if k % 2 == 0 else 253402300800 * 1000000
            fr.append((ts, bad[0][1]))
    with open(path, "wb") as f:
        shb = struct.pack("<IIIHHq", 0x0A0D0D0A, 28, 0x1A2B3C4D, 1, 0, -1) + struct.pack("<I", 28)
        idb = struct.pack("<IIHHI", 1, 20, 1, 0, 65535) + struct.pack("<I", 20)
        f.write(shb + idb)
        for ts, data in fr:
            pad = (4 - len(data) % 4) % 4
            blen = 32 + len(data) + pad
            f.write(struct.pack("<IIIIIII", 6, blen, 0, ts >> 32, ts & 0xFFFFFFFF, len(data), len(data)) + data +
                    b"\x00" * pad + struct.pack("<I", blen))


def long_callids(path, prefix_len=256):
    """Merging (issue 12): two calls whose Call-IDs share their first prefix_len bytes and differ
    after, and two whose Call-IDs are 250 bytes and differ only in their last byte."""
    fr = []
    common = "x" * prefix_len
    udp_call(fr, 1, T0, cid=common + "-first@10.9.3.1")
    udp_call(fr, 2, T0 + 500000, cid=common + "-second@10.9.3.1")
    near = "y" * 240 + "@10.9.3.1"
    udp_call(fr, 3, T0 + 1000000, cid=near + "a")
    udp_call(fr, 4, T0 + 1500000, cid=near + "b")
    write_pcap_at(path, sorted(fr, key=lambda f: f[0]))
    return [common + "-first@10.9.3.1", common + "-second@10.9.3.1", near + "a", near + "b"]
