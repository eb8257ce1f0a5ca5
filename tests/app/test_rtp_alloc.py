#!/usr/bin/env python3
"""The per-packet RTP path of a recorded call allocates nothing (house rule: hot paths free of
allocation): ctitap runs twice on a generated call, the same SIP and SDP with 500 and with
20000 RTP packets each way (10 s and 400 s of G.711), recorded with record.dir and record.pcap
on; an LD_PRELOAD shim (malloc_count.c) counts every heap allocation of each run. The two
counts differ by at most a few allocations that do not grow with the packets (a 40-fold
longer call: libsndfile, the chain, the outputs have the same work per file, not per packet).

  test_rtp_alloc.py CTITAP SHIM_SO

Prints both counts and the allocations per extra packet.
"""
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "golden"))
from pcapgen import udp_frame, write_pcap_at  # noqa: E402

ctitap, shim = sys.argv[1], sys.argv[2]
PHONE, PBX = ("10.7.1.10", 5060), ("10.7.0.1", 5060)
RTP_PHONE, RTP_PBX = ("10.7.1.10", 40000), ("10.7.0.1", 20000)
T0 = 1767603600 * 1000000


def sip(first, cseq, method, to_tag="", sdp_ip=None, sdp_port=0):
    body = ""
    if sdp_ip:
        body = ("v=0\r\no=- 1 1 IN IP4 %s\r\ns=-\r\nc=IN IP4 %s\r\nt=0 0\r\nm=audio %d RTP/AVP 8 101\r\n"
                "a=rtpmap:8 PCMA/8000\r\na=rtpmap:101 telephone-event/8000\r\n" % (sdp_ip, sdp_ip, sdp_port))
    h = [first, "Via: SIP/2.0/UDP 10.7.1.10:5060;branch=z9hG4bK-a%d%s" % (cseq, method),
         "From: <sip:2001@10.7.0.1>;tag=f1", "To: <sip:0301234567@10.7.0.1>" + to_tag,
         "Call-ID: alloc-test@10.7.1.10", "CSeq: %d %s" % (cseq, method), "Max-Forwards: 70",
         "Content-Type: application/sdp" if body else "Content-Length: 0"]
    if body:
        h.append("Content-Length: %d" % len(body))
    return ("\r\n".join(h) + "\r\n\r\n" + body).encode()


def rtp(seq, ts, ssrc, byte):
    return bytes([0x80, 8, seq >> 8 & 0xff, seq & 0xff]) + ts.to_bytes(4, "big") + ssrc.to_bytes(4, "big") + bytes([byte]) * 160


def capture(path, n):
    frames = [(T0, udp_frame(PHONE, PBX, sip("INVITE sip:0301234567@10.7.0.1 SIP/2.0", 1, "INVITE",
                                              sdp_ip=RTP_PHONE[0], sdp_port=RTP_PHONE[1]), 1)),
              (T0 + 100000, udp_frame(PBX, PHONE, sip("SIP/2.0 180 Ringing", 1, "INVITE", ";tag=t2"), 2)),
              (T0 + 1000000, udp_frame(PBX, PHONE, sip("SIP/2.0 200 OK", 1, "INVITE", ";tag=t2", RTP_PBX[0],
                                                       RTP_PBX[1]), 3)),
              (T0 + 1010000, udp_frame(PHONE, PBX, sip("ACK sip:0301234567@10.7.0.1 SIP/2.0", 1, "ACK", ";tag=t2"), 4))]
    t = T0 + 1020000
    for i in range(n):
        frames.append((t + i * 20000, udp_frame(RTP_PHONE, RTP_PBX, rtp(i & 0xffff, i * 160, 0x1111, 0x55 + i % 64), 10 + 2 * i)))
        frames.append((t + i * 20000 + 5000, udp_frame(RTP_PBX, RTP_PHONE, rtp(i & 0xffff, i * 160, 0x2222, 0x25 + i % 64),
                                                      11 + 2 * i)))
    end = t + n * 20000 + 20000
    frames.append((end, udp_frame(PHONE, PBX, sip("BYE sip:0301234567@10.7.0.1 SIP/2.0", 2, "BYE", ";tag=t2"), 3 * n + 20)))
    frames.append((end + 10000, udp_frame(PBX, PHONE, sip("SIP/2.0 200 OK", 2, "BYE", ";tag=t2"), 3 * n + 21)))
    write_pcap_at(path, frames)


def allocations(work, n):
    pcap = os.path.join(work, "call-%d.pcap" % n)
    capture(pcap, n)
    cnt = os.path.join(work, "count-%d" % n)
    out = os.path.join(work, "out-%d.jsonl" % n)
    env = dict(os.environ, LD_PRELOAD=shim, CTITAP_MALLOC_COUNT=cnt, CTITAP_CONFIG="")
    r = subprocess.run([ctitap, "-q", "-r", pcap, "-X", "record.devices=*", "-X", "record.dir=" + os.path.join(work, "rec-%d" % n),
                        "-X", "record.pcap=true", "-X", "record.min_free_mb=0", "-X", "stats.interval_s=0",
                        "-o", "jsonl:" + out], env=env, capture_output=True, text=True)
    if r.returncode != 0:
        sys.exit("FAIL: ctitap exited %d: %s" % (r.returncode, r.stderr[-1000:]))
    recs = [line for line in open(out) if '"action":"stop"' in line]
    if not recs or '"packets":%d' % (2 * n) not in recs[0]:
        sys.exit("FAIL: the recording did not take the %d packets of the call: %s" % (2 * n, recs[:1]))
    return int(open(cnt).read())


work = tempfile.mkdtemp(prefix="ctitap-alloc-")
small, big = allocations(work, 500), allocations(work, 20000)
extra = 2 * (20000 - 500)
print("heap allocations: %d with 1000 RTP packets recorded, %d with 40000: %+d for %d more packets (%.5f each)"
      % (small, big, big - small, extra, (big - small) / extra))
subprocess.run(["rm", "-rf", work])
if big - small > 16:
    print("FAIL: the RTP path of a recorded call allocates (%d more allocations for %d more packets)" % (big - small, extra))
    sys.exit(1)
print("ok: the packet loop of a recorded call allocates nothing per packet")
