"""recaudio.py - what the recording tests share (tests/app/test_recording.py,
tests/app/test_recording_tones.py, test_recording_codecs.py): readers written here
(RIFF/WAVE, pcap), tshark's RTP payloads of a capture, a recording's endpoints over time as its
records name them, the byte-for-byte check of a G.711 recording's channels against those
payloads, and the tone analysis of a recording of pcaps/gen/tones.py's calls (sox's decoding,
Goertzel, file position <-> packet time)."""
import array
import json
import math
import os
import struct
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "golden"))
from golden import check  # noqa: E402

HOLD_US = 120000     # jitter hold (100 ms) and a little: packets this close to an edge may go either way
SEARCH = 480         # a talkspurt is looked for within 60 ms (8 kHz) of its arrival


def run(args, expect=0):
    r = subprocess.run(args, capture_output=True, text=True, env=dict(os.environ, CTITAP_CONFIG=""))
    if r.returncode != expect:
        print(r.stdout[-2000:], r.stderr[-2000:])
        sys.exit("FAIL: %s exited %d" % (" ".join(args), r.returncode))
    return r


def usec(s):
    """RFC 3339 (records) or epoch seconds (tshark) to microseconds."""
    if "T" in s:
        import calendar
        day, clock = s.rstrip("Z").split("T")
        hms, frac = clock.split(".")
        t = calendar.timegm(tuple(int(x) for x in day.split("-")) + tuple(int(x) for x in hms.split(":")))
        return t * 1000000 + int(frac)
    sec, _, frac = s.partition(".")
    return int(sec) * 1000000 + int((frac + "000000")[:6])


def records(path):
    return [json.loads(line) for line in open(path, encoding="utf-8")]


# ---- readers written here ----

def wav(path):
    """(format code, channels, rate, data bytes) of a RIFF/WAVE file."""
    b = open(path, "rb").read()
    assert b[:4] == b"RIFF" and b[8:12] == b"WAVE", path
    off, fmt, data = 12, None, None
    while off + 8 <= len(b):
        cid, size = b[off:off + 4], struct.unpack("<I", b[off + 4:off + 8])[0]
        if cid == b"fmt ":
            fmt = struct.unpack("<HHI", b[off + 8:off + 16])
        elif cid == b"data":
            data = b[off + 8:off + 8 + size]
        off += 8 + size + (size & 1)
    return fmt[0], fmt[1], fmt[2], data


def pcap_frames(path):
    """[(ts_us, frame bytes)] of a classic pcap file (µs or ns resolution)."""
    b = open(path, "rb").read()
    magic = struct.unpack("<I", b[:4])[0]
    endian, nano = {0xa1b2c3d4: ("<", False), 0xa1b23c4d: ("<", True), 0xd4c3b2a1: (">", False),
                    0x4d3cb2a1: (">", True)}[magic]
    off, out = 24, []
    while off + 16 <= len(b):
        sec, frac, caplen, _ = struct.unpack(endian + "IIII", b[off:off + 16])
        out.append((sec * 1000000 + (frac // 1000 if nano else frac), b[off + 16:off + 16 + caplen]))
        off += 16 + caplen
    return out


def tshark(pcap, filt, *fields, heuristic=True):
    args = ["tshark", "-n", "-r", pcap, "-Y", filt, "-T", "fields"]
    if heuristic:
        args += ["-o", "rtp.heuristic_rtp:TRUE"]
    for f in fields:
        args += ["-e", f]
    out = subprocess.run(args, check=True, capture_output=True, text=True).stdout
    return [line.split("\t") for line in out.splitlines()]


_RTP = {}


def rtp_all(pcap):
    """Every RTP packet tshark finds in the capture (cached), with its endpoints."""
    if pcap not in _RTP:
        rows = tshark(pcap, "rtp", "frame.time_epoch", "ip.src", "udp.srcport", "ip.dst", "udp.dstport", "rtp.seq",
                      "rtp.timestamp", "rtp.marker", "rtp.p_type", "rtp.payload", "rtp.ssrc")
        _RTP[pcap] = [{"at": usec(f[0]), "src": (f[1], int(f[2])), "dst": (f[3], int(f[4])), "seq": int(f[5]),
                       "ts": int(f[6]), "marker": f[7] in ("1", "True"), "pt": int(f[8]),
                       "payload": bytes.fromhex(f[9].replace(":", "")), "ssrc": f[10]} for f in rows if len(f) >= 11 and f[9]]
    return _RTP[pcap]


class Media:
    """A recording's endpoints over time, as its records name them: `out` is the agent's own
    SDP endpoint, `in` the far end's (unknown until a record names it: then the far end is
    whatever is sent to the agent's endpoint, as the recorder takes it)."""

    def __init__(self, recs):
        self.steps = []
        for r in sorted(recs, key=lambda r: usec(r["ts"])):
            eps = {e["dir"]: (e["ip"], e["port"]) for e in r.get("rtp", [])}
            if eps:
                prev = dict(self.steps[-1][1]) if self.steps else {}
                prev.update(eps)
                self.steps.append((usec(r["ts"]), prev))

    def at(self, t):
        cur = self.steps[0][1] if self.steps else {}
        for ts, eps in self.steps:
            if ts <= t:
                cur = eps
        return cur

    def channel(self, p, t):
        """0 (far end), 1 (agent) or None for packet p with the endpoints in force at t."""
        eps = self.at(t)
        if p["src"] == eps.get("out"):
            return 1
        if p["src"] == eps.get("in") or ("in" not in eps and p["dst"] == eps.get("out")):
            return 0
        return None

    def steady(self, p):
        """The packet's channel when the endpoints stay the same around its arrival, else None."""
        c = {self.channel(p, p["at"] + d) for d in (-HOLD_US, 0, HOLD_US)}
        return c.pop() if len(c) == 1 else None

    def near(self, p):
        return {self.channel(p, p["at"] + d) for d in (-HOLD_US, 0, HOLD_US)} - {None}


def media_of(recs, cid, dev, alias):
    return Media([r for r in recs if r["type"] == "recording" and alias.get(r["call"], r["call"]) == cid and
                  r.get("device") == dev])


# ---- one recording's audio against the capture ----

def spurts(pkts):
    """Talkspurts (RFC 3551 4.1): a marker bit, a new SSRC, or the sender resuming after
    silence suppression (next sequence number, timestamp more than two packets on); and
    where packets are left out (a pause, the edges of the intervals)."""
    out, prev = [], None
    for p in pkts:
        new = prev is None or p["marker"] or p["ssrc"] != prev["ssrc"] or p["seq"] != (prev["seq"] + 1) & 0xffff or (
            ((p["ts"] - prev["ts"]) & 0xffffffff) > 2 * len(prev["payload"]))
        if new:
            out.append([])
        out[-1].append(p)
        prev = p
    return out


def place(chan, sp, t_to_pos):
    """Where talkspurt sp sits in chan (by timestamp, within 60 ms of its arrival), or None."""
    expect = t_to_pos(sp[0]["at"])
    frames = len(chan)
    for cand in sorted(range(max(0, expect - SEARCH), min(frames, expect + SEARCH + 1)), key=lambda c: abs(c - expect)):
        ok = True
        for p in sp:
            pos = cand + ((p["ts"] - sp[0]["ts"]) & 0xffffffff)
            n = min(len(p["payload"]), max(0, frames - pos))
            if chan[pos:pos + n] != p["payload"][:n]:
                ok = False
                break
        if ok:
            return cand
    return None


def place_edge(chan, p, t_to_pos, silence):
    """A packet at an edge of an interval (a pause or the jitter hold may have cut it): the
    position within 60 ms of its arrival where the channel holds some of its bytes and only
    its bytes or silence; None when there is none."""
    expect, n = t_to_pos(p["at"]), len(p["payload"])
    for cand in sorted(range(max(0, expect - SEARCH), min(len(chan), expect + SEARCH + 1)), key=lambda c: abs(c - expect)):
        seg = chan[cand:cand + n]
        if any(b != silence and b == p["payload"][i] for i, b in enumerate(seg)) and all(
                b == silence or b == p["payload"][i] for i, b in enumerate(seg)):
            return cand
    return None


def check_g711(name, data, silence, t0, ivs, cut, media, capture, quiet=()):
    """Both channels of a G.711 recording against tshark's payloads of the two senders; a
    channel in `quiet` (a side the capture has no audio of) must be silence throughout."""
    frames = len(data) // 2

    def t_to_pos(t):
        pos = (t - t0) * 8 // 1000
        if cut:  # the paused stretches before t are left out
            for i in range(1, len(ivs)):
                if ivs[i][0] <= t:
                    pos -= (ivs[i][0] - ivs[i - 1][1]) * 8 // 1000
        return pos

    def running(t, margin):
        return any(s + margin <= t <= e - margin for s, e in ivs)

    for ch, who in enumerate(("far end", "agent")):
        chan = data[ch::2]
        if ch in quiet:
            check(chan and all(b == silence for b in chan), "%s %s: silence throughout (%d frames)" % (name, who, len(chan)))
            continue
        pkts = [p for p in rtp_all(capture) if p["pt"] in (0, 8) and ch in media.near(p)]
        core = [p for p in pkts if running(p["at"], HOLD_US) and media.steady(p) == ch]
        edge = [p for p in pkts if running(p["at"], -HOLD_US) and p not in core]
        check(core, "%s %s: tshark finds its RTP in the recorded intervals" % (name, who))
        covered = bytearray(frames)
        missing, placed = 0, 0
        for sp in spurts(core):
            at = place(chan, sp, t_to_pos)
            if at is None:
                missing += 1
                continue
            placed += len(sp)
            for p in sp:
                pos = at + ((p["ts"] - sp[0]["ts"]) & 0xffffffff)
                for i in range(pos, min(pos + len(p["payload"]), frames)):
                    covered[i] = 1
        for p in edge:
            at = place_edge(chan, p, t_to_pos, silence)
            if at is not None:
                placed += 1
                for i in range(at, min(at + len(p["payload"]), frames)):
                    covered[i] = 1
        stray = sum(1 for i in range(frames) if not covered[i] and chan[i] != silence)
        check(missing == 0, "%s %s: every talkspurt of the recorded intervals is in its channel byte for byte by "
              "timestamp, within 60 ms of its arrival (%d not)" % (name, who, missing))
        check(stray == 0, "%s %s: nothing but those payloads and silence in the channel (%d bytes no packet of the "
              "intervals wrote)" % (name, who, stray))
        print("  %s %s: %d packets in the intervals, %d placed, %d stray bytes" % (name, who, len(core), placed, stray))


# ---- tones (pcaps/gen/tones.py's calls) ----

def sox_pcm(path):
    """A stereo file's two channels as 16-bit samples, decoded by sox (not by ctitap or a test)."""
    raw = subprocess.run(["sox", path, "-t", "raw", "-e", "signed-integer", "-b", "16", "-L", "-"],
                         check=True, capture_output=True).stdout
    a = array.array("h")
    a.frombytes(raw)
    if sys.byteorder != "little":
        a.byteswap()
    return a[0::2], a[1::2]


def power(x, f, rate=8000):
    """Goertzel: |X(f)|^2 of the samples x at f Hz."""
    c = 2 * math.cos(2 * math.pi * f / rate)
    s1 = s2 = 0.0
    for v in x:
        s1, s2 = v + c * s1 - s2, s1
    return s1 * s1 + s2 * s2 - c * s1 * s2


def share(x, f, rate=8000):
    """The fraction of x's energy at f (1 for a pure sine of f)."""
    e = sum(v * v for v in x)
    return 2 * power(x, f, rate) / (len(x) * e) if e else 0.0


def dominant(x, rate=8000):
    """The strongest frequency of x, 100 Hz to just under rate / 2, in 10 Hz steps."""
    return max(range(100, rate // 2 - 99, 10), key=lambda f: power(x, f, rate))


class Timeline:
    """File position (samples at rate) <-> packet time for a recording of intervals ivs (cut:
    the pauses left out)."""

    def __init__(self, ivs, cut, rate=8000):
        self.ivs, self.cut, self.rate = ivs, cut, rate
        self.paused = [(ivs[i - 1][1], ivs[i][0]) for i in range(1, len(ivs))]

    def pos(self, t):
        p = (t - self.ivs[0][0]) * self.rate // 1000000
        if self.cut:
            p -= sum((b - a) * self.rate // 1000000 for a, b in self.paused if a <= t)
        return p

    def time(self, pos):
        t = self.ivs[0][0] + pos * 1000000 // self.rate
        if self.cut:
            for a, b in self.paused:
                if t >= a:
                    t += b - a
        return t


def kind_at(ch, t, tl):
    """What the script says channel ch holds at packet time t: tone, quiet (encoded silence),
    silence, or None (paused and cut)."""
    if any(a <= t < b for a, b in tl.paused):
        return None if tl.cut else "silence"
    for a, b, k in ch["stretches"]:
        if usec(a) <= t < usec(b):
            return k
    return "silence"


def record_tones(ctitap, work, name, mode):
    """ctitap run on tones.py's capture work/<name>.pcap with its settings and
    record.pause_mode=mode, the recording in work/<name>-<mode>/. Checks that it wrote one call
    record and one audio recording of the device, whose intervals are the script's within a
    packet. Returns (label, record dir, the script's call, its intervals in µs, the records,
    the call record, the stop record); the last two None when the first check failed."""
    exp = json.load(open(os.path.join(work, name + ".tones.json")))
    call = exp["calls"][0]
    ivs = [(usec(a), usec(b)) for a, b in call["intervals"]]
    what = "%s %s" % (name, mode)
    d, out = os.path.join(work, what.replace(" ", "-")), os.path.join(work, what.replace(" ", "-") + ".jsonl")
    args = [ctitap, "-q", "-r", os.path.join(work, name + ".pcap"), "-X", "record.dir=" + d,
            "-X", "record.pause_mode=" + mode, "-X", "record.min_free_mb=0", "-o", "jsonl:" + out]
    for k, v in sorted(exp["settings"].items()):
        args += ["-X", "%s=%s" % (k, v)]
    run(args)
    recs, dev = records(out), call["device"]
    calls = [r for r in recs if r["type"] == "call" and set(call["sip"]) <= set(r["sip"])]
    stops = [r for r in recs if r["type"] == "recording" and r["action"] == "stop" and r.get("kind") == "audio"]
    if not check(len(calls) == 1 and len(stops) == 1 and stops[0]["call"] == calls[0]["call"],
                 "%s: one call record and one recording of %s (%d, %d)" % (what, dev, len(calls), len(stops))):
        return what, d, call, ivs, recs, None, None
    cr = calls[0]
    got = [(usec(i["start"]), usec(i["end"])) for r in cr["recording"] if r["device"] == dev for i in r["intervals"]]
    check(len(got) == len(ivs) and all(abs(a - x) <= 20000 and abs(b - y) <= 20000 for (a, b), (x, y) in zip(got, ivs)),
          "%s: the call record's intervals are the script's within a packet (%s)" % (what, cr["recording"]))
    return what, d, call, ivs, recs, cr, stops[0]


def check_dominant(what, pcm, ch, tl):
    """The dominant frequency (1600 samples around the middle) of every stretch of tone of
    channel ch that the recording keeps 400 ms or more of is the channel's tone within 10 Hz."""
    for a, b, k in ch["stretches"]:
        a, b = usec(a), usec(b)
        for s, e in tl.ivs:  # the part of it the recording keeps
            lo, hi = max(a, s), min(b, e)
            if k != "tone" or hi - lo < 400000:
                continue
            mid = tl.pos((lo + hi) // 2)
            f = dominant(pcm[mid - 800:mid + 800], tl.rate)
            check(abs(f - ch["freq"]) <= 10, "%s %s: dominant frequency %d Hz over the tone at %.2f-%.2f s (script: %d Hz)" % (
                what, ch["who"], f, tl.pos(lo) / tl.rate, tl.pos(hi - 1) / tl.rate, ch["freq"]))


def silence_run(chan, at, silence):
    """[start, end) of the run of silence values in chan around position at."""
    if not 0 <= at < len(chan) or chan[at] != silence:
        return None
    a = b = at
    while a > 0 and chan[a - 1] == silence:
        a -= 1
    while b < len(chan) and chan[b] == silence:
        b += 1
    return a, b
