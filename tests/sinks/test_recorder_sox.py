#!/usr/bin/env python3
"""The recorder's files read by tools that share no code with ctitap or libsndfile.

rec_drive records a scripted 4 s call (far end 440 Hz, agent 1000 Hz; the far end loses
1.00-1.20 s; paused 2.00-3.00 s) as A-law, u-law and G.722. For each file:
  - sox (its own WAV reader and G.711/PCM decoders) gives the format, the duration and each
    channel's samples; a Goertzel detector written here finds each channel's tone, and
    silence where the loss and the pause are;
  - `sox stat` names each channel's rough frequency;
  - for G.711 the WAV's data chunk, read by a RIFF parser written here, equals byte for byte
    what the driver sent (the RTP payloads, silence where lost or paused).
usage: test_recorder_sox.py REC_DRIVE
"""
import math
import os
import shutil
import struct
import subprocess
import sys
import tempfile

SKIP = 77


def goertzel(x, f, rate):
    w = 2 * math.pi * f / rate
    c = 2 * math.cos(w)
    s1 = s2 = 0.0
    for v in x:
        s0 = v + c * s1 - s2
        s2, s1 = s1, s0
    p = s1 * s1 + s2 * s2 - c * s1 * s2
    return 2 * math.sqrt(max(p, 0)) / len(x)


def sox_channel(path, ch):
    raw = subprocess.run(["sox", path, "-t", "raw", "-e", "signed", "-b", "16", "-c", "1", "-", "remix", str(ch)],
                         check=True, capture_output=True).stdout
    return struct.unpack("<%dh" % (len(raw) // 2), raw)


def soxi(path, opt):
    return subprocess.run(["soxi", opt, path], check=True, capture_output=True, text=True).stdout.strip()


def rough_freq(path, ch, start, length):
    err = subprocess.run(["sox", path, "-n", "remix", str(ch), "trim", str(start), str(length), "stat"],
                         capture_output=True, text=True).stderr
    for line in err.splitlines():
        if line.startswith("Rough   frequency:"):
            return float(line.split(":")[1])
    raise AssertionError("sox stat printed no rough frequency:\n" + err)


def riff_data(path):
    b = open(path, "rb").read()
    assert b[:4] == b"RIFF" and b[8:12] == b"WAVE", "not a RIFF/WAVE file"
    assert struct.unpack("<I", b[4:8])[0] == len(b) - 8, "RIFF size does not match the file"
    off = 12
    while off + 8 <= len(b):
        cid, size = b[off:off + 4], struct.unpack("<I", b[off + 4:off + 8])[0]
        if cid == b"data":
            assert off + 8 + size == len(b), "data chunk does not end the file"
            return b[off + 8:off + 8 + size]
        off += 8 + size + (size & 1)
    raise AssertionError("no data chunk")


def check(drive, kind, fails):
    d = tempfile.mkdtemp(prefix="ctitap-sox-")
    try:
        out = subprocess.run([drive, d, kind], check=True, capture_output=True, text=True).stdout
        rel = out.split()[1]
        path = os.path.join(d, rel)
        rate = 16000 if kind == "g722" else 8000
        enc = {"alaw": "A-law", "ulaw": "u-law", "g722": "Signed Integer PCM"}[kind]
        got = (soxi(path, "-c"), soxi(path, "-r"), soxi(path, "-e"), float(soxi(path, "-D")))
        if got[:3] != ("2", str(rate), enc) or abs(got[3] - 4.0) > 0.02:
            fails.append("%s: sox sees %s, want 2 channels, %d Hz, %s, 4.00 s" % (kind, got, rate, enc))
        seg = lambda t0, t1: (int(t0 * rate), int(t1 * rate))
        far, agent = sox_channel(path, 1), sox_channel(path, 2)
        margin = 0.01 + (0.01 if kind == "g722" else 0)  # one packet; G.722's filter delay
        for name, x, f, other in (("far", far, 440, 1000), ("agent", agent, 1000, 440)):
            for t0, t1 in ((0.1, 1.0), (3.1, 4.0)) if name == "far" else ((0.1, 2.0), (3.1, 4.0)):
                a, b = seg(t0, t1)
                amp, cross = goertzel(x[a:b], f, rate), goertzel(x[a:b], other, rate)
                if amp < 4000 or cross > 400:
                    fails.append("%s %s %.2f-%.2f s: %d Hz at %.0f, %d Hz at %.0f" % (kind, name, t0, t1, f, amp,
                                                                                  other, cross))
            freq = rough_freq(path, 1 if name == "far" else 2, 0.2, 0.7)
            if abs(freq - f) > 0.05 * f:
                fails.append("%s %s: sox stat rough frequency %.0f Hz, want %d" % (kind, name, freq, f))
        quiet = [("far", far, 1.0 + margin, 1.2 - margin), ("far", far, 2.0 + margin, 3.0 - margin),
                 ("agent", agent, 2.0 + margin, 3.0 - margin)]
        for name, x, t0, t1 in quiet:
            a, b = seg(t0, t1)
            peak = max(abs(v) for v in x[a:b])
            if peak > 8:
                fails.append("%s %s %.2f-%.2f s should be silence, peak %d" % (kind, name, t0, t1, peak))
        if kind != "g722":
            data = riff_data(path)
            want = open(os.path.join(d, "expected.bin"), "rb").read()
            if data != want:
                diff = next(i for i in range(min(len(data), len(want))) if data[i] != want[i]) \
                    if len(data) == len(want) else None
                fails.append("%s: WAV data differs from the RTP payloads sent (%d vs %d bytes, first at %s)" %
                             (kind, len(data), len(want), diff))
        print("%s: %s checked with sox" % (kind, rel))
    finally:
        shutil.rmtree(d)


def main():
    if not shutil.which("sox") or not shutil.which("soxi"):
        print("sox is not installed (apt install sox): skipped")
        return SKIP
    fails = []
    for kind in ("alaw", "ulaw", "g722"):
        check(sys.argv[1], kind, fails)
    for f in fails:
        print("FAIL:", f)
    return 1 if fails else 0


if __name__ == "__main__":
    sys.exit(main())
