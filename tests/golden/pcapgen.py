"""Tiny pcap writer for tests that craft their own traffic: Ethernet/IPv4/UDP and TCP frames."""
import struct


def _ip(a):
    return bytes(int(x) for x in a.split("."))


def udp_frame(src, dst, payload, ipid):
    """src/dst are (ip, port); the UDP checksum is left 0 (allowed for IPv4)."""
    udp = struct.pack(">HHHH", src[1], dst[1], 8 + len(payload), 0) + payload
    iph = struct.pack(">BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), ipid, 0x4000, 64, 17, 0, _ip(src[0]), _ip(dst[0]))
    return b"\x00\x11\x22\x33\x44\x55\x00\x66\x77\x88\x99\xaa\x08\x00" + iph + udp


def write_pcap(path, frames, start=1767603600, step_us=100000):
    """frames: list of bytes, written step_us apart from `start` (Unix seconds)."""
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
        for i, fr in enumerate(frames):
            t = i * step_us
            f.write(struct.pack("<IIII", start + t // 1000000, t % 1000000, len(fr), len(fr)) + fr)


def _csum(b):
    if len(b) % 2:
        b += b"\x00"
    s = sum(struct.unpack(">%dH" % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def tcp_frame(src, dst, seq, ack, flags, payload, ipid):
    """src/dst are (ip, port); flags a string of F S R P A; checksums computed."""
    bits = sum({"F": 1, "S": 2, "R": 4, "P": 8, "A": 16}[c] for c in flags)
    tcp = struct.pack(">HHIIBBHHH", src[1], dst[1], seq & 0xFFFFFFFF, ack & 0xFFFFFFFF, 5 << 4, bits, 65535, 0, 0)
    pseudo = _ip(src[0]) + _ip(dst[0]) + struct.pack(">BBH", 0, 6, len(tcp) + len(payload))
    tcp = tcp[:16] + struct.pack(">H", _csum(pseudo + tcp + payload)) + tcp[18:]
    iph = struct.pack(">BBHHHBBH4s4s", 0x45, 0, 20 + len(tcp) + len(payload), ipid, 0x4000, 64, 6, 0,
                      _ip(src[0]), _ip(dst[0]))
    iph = iph[:10] + struct.pack(">H", _csum(iph)) + iph[12:]
    return b"\x00\x11\x22\x33\x44\x55\x00\x66\x77\x88\x99\xaa\x08\x00" + iph + tcp + payload


def write_pcap_at(path, frames):
    """frames: list of (time in µs since the epoch, bytes)."""
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
        for t, fr in frames:
            f.write(struct.pack("<IIII", t // 1000000, t % 1000000, len(fr), len(fr)) + fr)


write_pcap_ts = write_pcap_at
