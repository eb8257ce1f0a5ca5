#!/usr/bin/env python3
"""The recorder against tshark on real captures: the bytes of a G.711 recording are the bytes
of the call.

rec_pcap records both directions of one call's RTP from a capture (the capture layer, the RTP
decoder and the recorder's endpoint lookup, as the pipeline will). tshark, which shares no
code with ctitap, extracts every RTP packet of the two streams (arrival time, sequence number,
timestamp, marker, payload type, payload). In the WAV's data chunk (read by a RIFF parser
written here), for each channel:
  - every talkspurt (RFC 3551 4.1: starts at a marker bit, or where the sender resumes after
    silence suppression: next sequence number, timestamp more than two packets on) is there
    byte for byte, each payload at its timestamp's distance from the talkspurt's first;
  - each talkspurt starts within 60 ms of its arrival time (the two channels stay aligned);
  - nothing else is in the channel: every other byte is silence.

Captures: pcaps/demo-csta.pcap (generated) and, when ../shared is there, the Wireshark wiki's
SIP_CALL_RTP_G711 (a real call with silence suppression gaps of several seconds).
usage: test_recorder_tshark.py CTITAP_ROOT REC_PCAP
"""
import os
import shutil
import struct
import subprocess
import sys
import tempfile

SKIP = 77


def riff_data(path):
    b = open(path, "rb").read()
    assert b[:4] == b"RIFF" and b[8:12] == b"WAVE"
    off = 12
    while off + 8 <= len(b):
        cid, size = b[off:off + 4], struct.unpack("<I", b[off + 4:off + 8])[0]
        if cid == b"data":
            return b[off + 8:off + 8 + size]
        off += 8 + size + (size & 1)
    raise AssertionError("no data chunk")


def usec(epoch):
    s, _, frac = epoch.partition(".")
    return int(s) * 1000000 + int((frac + "000000")[:6])


def tshark_packets(pcap, ip, port):
    filt = "rtp && ip.src==%s && udp.srcport==%d" % (ip, port)
    out = subprocess.run(["tshark", "-n", "-r", pcap, "-o", "rtp.heuristic_rtp:TRUE", "-Y", filt, "-T", "fields",
                          "-e", "frame.time_epoch", "-e", "rtp.seq", "-e", "rtp.timestamp", "-e", "rtp.marker",
                          "-e", "rtp.p_type", "-e", "rtp.payload", "-e", "rtp.ssrc"],
                         check=True, capture_output=True, text=True).stdout
    pkts = []
    for line in out.splitlines():
        f = line.split("\t")
        if len(f) < 7 or not f[5]:
            continue
        pkts.append({"at": usec(f[0]), "seq": int(f[1]), "ts": int(f[2]), "marker": f[3] in ("1", "True"),
                     "pt": int(f[4]), "payload": bytes.fromhex(f[5].replace(":", "")), "ssrc": f[6]})
    return pkts


def talkspurts(pkts):
    spurts, prev = [], None
    for p in pkts:
        if p["pt"] not in (0, 8):
            continue  # telephone events and comfort noise are not audio
        new = prev is None or p["marker"] or p["ssrc"] != prev["ssrc"] or (
            p["seq"] == (prev["seq"] + 1) & 0xffff and ((p["ts"] - prev["ts"]) & 0xffffffff) > 2 * len(prev["payload"]))
        if new:
            spurts.append([])
        spurts[-1].append(p)
        prev = p
    return spurts


def check(drive, pcap, far, agent, fails):
    d = tempfile.mkdtemp(prefix="ctitap-tshark-")
    try:
        out = subprocess.run([drive, pcap, d, far[0], str(far[1]), agent[0], str(agent[1])], check=True,
                             capture_output=True, text=True).stdout
        first = out.splitlines()[0].split()
        rel, t0 = first[1], int(first[2])
        data = riff_data(os.path.join(d, rel))
        frames = len(data) // 2
        name = os.path.basename(pcap)
        for ch, (ip, port) in enumerate((far, agent)):
            pkts = tshark_packets(pcap, ip, port)
            if not pkts:
                fails.append("%s: tshark found no RTP from %s:%d" % (name, ip, port))
                continue
            silence = 0xd5 if pkts[0]["pt"] == 8 else 0xff
            chan = data[ch::2]
            covered = bytearray(frames)
            spurts = talkspurts(pkts)
            bad, worst = 0, 0
            for sp in spurts:
                expect = (sp[0]["at"] - t0) * 8000 // 1000000
                found = None
                for cand in range(max(0, expect - 480), min(frames, expect + 481)):
                    if all(chan[cand + ((p["ts"] - sp[0]["ts"]) & 0xffffffff):][:len(p["payload"])] ==
                           p["payload"][:max(0, frames - cand - ((p["ts"] - sp[0]["ts"]) & 0xffffffff))]
                           for p in sp):
                        found = cand
                        break
                if found is None:
                    bad += 1
                    continue
                worst = max(worst, abs(found - expect))
                for p in sp:
                    pos = found + ((p["ts"] - sp[0]["ts"]) & 0xffffffff)
                    for i in range(pos, min(pos + len(p["payload"]), frames)):
                        covered[i] = 1
            stray = sum(1 for i in range(frames) if not covered[i] and chan[i] != silence)
            media = sum(len(sp) for sp in spurts)
            print("%s %s:%d: %d media packets in %d talkspurts, %d talkspurts not found, furthest %.1f ms from "
                  "its arrival, %d stray bytes" % (name, ip, port, media, len(spurts), bad, worst / 8.0, stray))
            if bad or stray or not media:
                fails.append("%s %s:%d: %d of %d talkspurts not in the WAV by timestamp within 60 ms of their "
                             "arrival, %d bytes no packet wrote" % (name, ip, port, bad, len(spurts), stray))
        print(out.strip())
    finally:
        shutil.rmtree(d)


def main():
    root, drive = sys.argv[1], sys.argv[2]
    if not shutil.which("tshark"):
        print("tshark is not installed: skipped")
        return SKIP
    fails = []
    check(drive, os.path.join(root, "pcaps/demo-csta.pcap"), ("10.1.0.1", 10010), ("10.1.1.10", 22804), fails)
    public = os.path.join(root, "../shared/pcaps/public/wiresharkwiki__SIP_CALL_RTP_G711.pcap")
    if os.path.exists(public):
        check(drive, public, ("200.57.7.204", 8000), ("200.57.7.196", 40376), fails)
    else:
        print("../shared/pcaps/public is not there (a user's clone): the public capture is skipped")
    for f in fails:
        print("FAIL:", f)
    return 1 if fails else 0


if __name__ == "__main__":
    sys.exit(main())
