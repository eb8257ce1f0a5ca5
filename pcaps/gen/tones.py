#!/usr/bin/env python3
"""Calls whose RTP carries known audio, and what a recording of them must hold (issue 14).

    python3 pcaps/gen/tones.py OUT_DIR [--codec pcma|pcmu|g722|opus ...] [--encoder ENCODE_TONE]

writes, for each codec asked (default pcma and pcmu), OUT_DIR/<name>.pcap (classic pcap, Ethernet, µs timestamps,
strict time order; the SIP and CSTA of scenarios.py's inbound call) and OUT_DIR/<name>.tones.json:
the settings ctitap runs with, the recorded device's intervals, and per direction of its agent
leg the tone, the stretches of tone, of quiet (the sender sent encoded digital silence) and of
silence (nothing sent, lost, or left out) by packet time, the SSRC change and the packets the
capture lost -- all from THIS script's own packet schedule, never from ctitap's output. Not
committed (about 0.4 MB each): tests/app/test_recording_tones.py (G.711) and
test_recording_codecs.py (G.722, Opus) write them into a temporary directory. Python 3 stdlib
only, deterministic; G.722 and Opus payloads come from ENCODE_TONE (tests/sinks/encode_tone.c,
built with the tests: Python has no encoder of either), one encoder per direction running
through every 20 ms frame of the schedule, as a sender's does.

The call (scenarios.py's topology, R0-R16 at its top): the carrier's INVITE to the hotline, the
PBX rings agent 2001 (CTI Delivered), 2001 answers 2 s later (200 OK: the recording starts,
CTI Established). Only the agent leg (PBX 10.1.0.1 <-> phone 10.1.1.1) carries RTP in one
codec, the only one its SDP offers besides telephone-event: PCMA (tones_pcma), PCMU
(tones_pcmu), G722 (tones_g722: payload type 9, RTP clock 8000 for 16 kHz audio as RFC 3551
4.5.2 says, 160 bytes a packet at 64 kbit/s) or opus (tones_opus: `opus/48000/2` on dynamic type
111, RTP clock 48000, RFC 7587; 32 kbit/s mono). 20 ms packets, each a sine of the direction's
frequency (amplitude 10000 of 32767) continuing in phase across packets, encoded by the G.711
encoder below or by ENCODE_TONE. The G.722 and Opus calls' agent tones lie above 4 kHz: only
a wideband recording keeps them. From the answer's media start (conn):
  far end (PBX -> phone, left channel):
    0.8-1.4 s   the customer is quiet: packets of encoded digital silence (A-law 0xd5, u-law 0xff;
                G.722 and Opus: their encoding of zero samples)
    2.49 s      the PBX moves the customer's media (a mixer; a sendrecv re-INVITE to the phone from
                the same address): from the first packet 20 ms after the re-INVITE a new SSRC,
                sequence and timestamp base; the tone goes on in phase
    3.0-3.2 s   a lost burst: 10 packets the network carried (sequence numbers skipped) that the
                capture does not hold
    4.01 s      the phone holds (re-INVITE a=sendonly, CTI Held 30 ms later): the PBX stops
                sending; 2 s later the phone resumes (a=sendrecv, CTI Retrieved): marker bit,
                sequence on, timestamp over the hold
  agent (phone -> PBX, right channel), 7 ms after the far end's grid:
    1.7-2.3 s   silence suppression (no packets; the next one has the marker bit and the
                timestamp over the gap)
    the hold    the phone goes on sending its tone (sendonly): a recording paused on hold
                (record.pause_on_hold) must leave it out
  2 s after the resume the caller hangs up (BYE; the PBX's BYE to the phone 10 ms later ends
  the agent leg's media and the recording, R9/R16).
Recording intervals (R16): [answer, hold) and [resume, the agent leg's BYE].
"""
import argparse
import json
import math
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, HERE)
import scenarios as S  # noqa: E402
from scenarios import MS  # noqa: E402

PT = 20 * MS  # one packet
AMPLITUDE = 10000
# name, codec, (far end Hz, agent Hz), scenario seed
TONES = {"pcma": ("tones_pcma", "PCMA", (440, 1000), 40), "pcmu": ("tones_pcmu", "PCMU", (600, 1400), 41),
         "g722": ("tones_g722", "G722", (700, 5200), 42), "opus": ("tones_opus", "opus", (900, 6000), 43)}


# ---- G.711 encoders (ITU-T G.711, as the reference C of Sun's g711.c computes them) ----

def alaw(x):
    """One 16-bit linear sample to its A-law byte."""
    v = x >> 3
    mask = 0xD5
    if v < 0:
        mask, v = 0x55, -v - 1
    for seg, end in enumerate((0x1F, 0x3F, 0x7F, 0xFF, 0x1FF, 0x3FF, 0x7FF, 0xFFF)):
        if v <= end:
            return (((seg << 4) | ((v >> (1 if seg < 2 else seg)) & 0xF)) ^ mask) & 0xFF
    return 0x7F ^ mask


def ulaw(x):
    """One 16-bit linear sample to its u-law byte (bias 0x84, clip 8159 in 14 bits)."""
    v = x >> 2
    mask = 0xFF
    if v < 0:
        mask, v = 0x7F, -v
    v = min(v, 8159) + (0x84 >> 2)
    for seg, end in enumerate((0x3F, 0x7F, 0xFF, 0x1FF, 0x3FF, 0x7FF, 0xFFF, 0x1FFF)):
        if v <= end:
            return (((seg << 4) | ((v >> (seg + 1)) & 0xF)) ^ mask) & 0xFF
    return 0x7F ^ mask


ENCODE = {"PCMA": alaw, "PCMU": ulaw}
PT_OF = {c: S.CODECS[c][0] for c in ("PCMA", "PCMU", "G722", "opus")}
CLOCK = {"PCMA": 8000, "PCMU": 8000, "G722": 8000, "opus": 48000}  # RTP clock, Hz (RFC 3551, RFC 7587)


def encoded(encoder, codec, freq, start, end, quiet, first=0):
    """ENCODE_TONE's payloads of a sine of freq Hz (in phase from start) for every 20 ms frame
    from frame first to end (frame k at start + k * PT), by one encoder; the frames whose packet
    time is within a quiet span are silence. Returns the payloads of frames 0 to end, those
    before first None."""
    frames = (end - start + PT - 1) // PT
    args = [encoder, codec.lower(), str(freq), str(AMPLITUDE), str(first), str(frames - first)]
    k = first
    while k < frames:  # the quiet frames as [from, to) runs
        if within(start + k * PT, quiet):
            j = k
            while j < frames and within(start + j * PT, quiet):
                j += 1
            args.append("%d:%d" % (k, j))
            k = j
        k += 1
    out = subprocess.run(args, check=True, capture_output=True).stdout
    pls, off = [], 0
    while off < len(out):
        n = S.struct.unpack("!H", out[off:off + 2])[0]
        pls.append(out[off + 2:off + 2 + n])
        off += 2 + n
    if len(pls) != frames - first:
        sys.exit("%s wrote %d frames, not %d" % (encoder, len(pls), frames - first))
    return [None] * first + pls


def within(t, spans):
    return any(a <= t < b for a, b in spans)


def tone_stream(sc, src, dst, start, end, codec, freq, ssrc, quiet=(), vad=(), lost=(), off=(), new_ssrc_at=None,
                encoder=None):
    """One direction's RTP from start to end (packet times, µs) on a 20 ms grid; spans are
    [from, to) of packet times. Returns what a recording of it must hold from start to end:
    merged [from, to, "tone"|"quiet"|"silence"] stretches, the packets the capture lost (and the
    spans given) and the SSRC change ({"at": the first packet of the new source, "from", "to":
    SSRCs})."""
    clock = CLOCK[codec]
    if codec in ENCODE:
        enc = ENCODE[codec]
        silent = bytes([enc(0)]) * 160
    else:
        frames = encoded(encoder, codec, freq, start, end, quiet)
    seq, base, seg_start = ssrc & 0x7fff, (ssrc * 7) & 0xffffffff, start
    marker, nlost, change = True, 0, None
    stretches = []
    t = start
    while t < end:
        sent = not within(t, off) and not within(t, vad)
        if sent and new_ssrc_at is not None and change is None and t >= new_ssrc_at:
            new = (ssrc * 2654435761 + 12345) & 0xffffffff
            change = {"at": S.ts(t), "from": "0x%08x" % ssrc, "to": "0x%08x" % new}
            ssrc, seq, base, seg_start, marker = new, new & 0x7fff, (new * 7) & 0xffffffff, t, True
            if codec not in ENCODE:  # a new source is a new encoder (a mixer's), the tone in phase
                frames = encoded(encoder, codec, freq, start, end, quiet, (t - start) // PT)
        content = "silence"
        if sent:
            if codec not in ENCODE:
                pl = frames[(t - start) // PT]
            elif within(t, quiet):
                pl = silent
            else:
                n0 = (t - start) * 8 // 1000  # the tone runs on the sender's clock, in phase
                pl = bytes(enc(int(round(AMPLITUDE * math.sin(2 * math.pi * freq * (n0 + i) / 8000))))
                           for i in range(160))
            ts = (base + (t - seg_start) * clock // 1000000) & 0xffffffff
            gone = within(t, lost)
            with sc.cap.losing(gone):
                sc.cap.udp(t, src, dst, S.struct.pack("!BBHII", 0x80, PT_OF[codec] | (0x80 if marker else 0),
                                                      seq & 0xffff, ts, ssrc) + pl)
            nlost += gone
            content = "silence" if gone else "quiet" if within(t, quiet) else "tone"
            seq, marker = seq + 1, False
        else:
            marker = True  # the next packet starts a talkspurt (RFC 3551 4.1)
        if stretches and stretches[-1][2] == content and stretches[-1][1] == t:
            stretches[-1][1] = t + PT
        else:
            stretches.append([t, t + PT, content])
        t += PT
    return {"stretches": [[S.ts(a), S.ts(min(b, end)), c] for a, b, c in stretches], "lost": nlost,
            "lost_spans": [[S.ts(a), S.ts(b)] for a, b in lost], "ssrc_change": change}


def s_tones(sc, codec, freqs, encoder=None):
    """scenarios.py's inbound call to 2001 with a hold, its agent leg's media as the module's
    docstring says. Returns the expectations."""
    L, t = S.setup_link(sc, sc.t0, ["2001"], agents_ready=["2001"])
    t0, cid, agent = t + 500 * MS, "5c0a0e01", "2001"
    tr, ag, _, _ = S.ring_agent(sc, L.event, "c1", t0, agent, cid)
    S.answer_agent(L.event, tr, ag, t0 + 2000 * MS, agent, cid)
    conn = ag.conn_at
    t_move = ag.hold(conn + 2490 * MS, by_b=False, resume=True)  # sendrecv from the PBX: media moved
    th = ag.hold(conn + 4010 * MS, by_b=True)
    L.event(th + sc.v.lag, "HeldEvent", agent, S.ev_held(cid, agent))
    tres = ag.hold(th + 2000 * MS, by_b=True, resume=True)
    L.event(tres + sc.v.lag, "RetrievedEvent", agent, S.ev_retrieved(cid, agent))
    _, t_callc = S.caller_hangs_up(L.event, tr, ag, tres + 2000 * MS, agent, cid)
    end = ag.end
    ssrc = S.hash_str(ag.d.cid) & 0xffffffff
    far = tone_stream(sc, ag.am, ag.bm, conn, end, codec, freqs[0], ssrc,
                      quiet=[(conn + 800 * MS, conn + 1400 * MS)], lost=[(conn + 3000 * MS, conn + 3200 * MS)],
                      off=[tuple(o) for o in ag.a_to_b_off], new_ssrc_at=t_move + 20 * MS, encoder=encoder)
    mine = tone_stream(sc, ag.bm, ag.am, conn + 7 * MS, end, codec, freqs[1], ssrc ^ 0x5a5a5a5a,
                       vad=[(conn + 1707 * MS, conn + 2307 * MS)], encoder=encoder)
    answered, released = ag.times["answered"], sc.first(*S.hangup(ag), t_callc)
    sc.recorded()
    return {"device": agent, "sip": [tr.d.cid, ag.d.cid], "codec": codec, "pt": PT_OF[codec], "clock": CLOCK[codec],
            "intervals": [[S.ts(answered), S.ts(th)], [S.ts(tres), S.ts(released)]],
            "channels": [dict(who="far end", freq=freqs[0], **far), dict(who="agent", freq=freqs[1], **mine)],
            "lost": far["lost"] + mine["lost"]}


def generate(out, codecs=("pcma", "pcmu"), encoder=None):
    names = []
    for key in codecs:
        name, codec, freqs, seed = TONES[key]
        if codec not in ENCODE and not encoder:
            sys.exit("tones.py: %s needs --encoder (tests/sinks/encode_tone, built with the tests)" % codec)
        sc = S.Scen(name, seed, "%s%s tones per direction" % ("G.711 " if codec in ENCODE else "", codec), v=S.Profile(codec=codec))
        call = s_tones(sc, codec, freqs, encoder)
        for L in sc.links:
            L.finalize()
        n = sc.cap.write(os.path.join(out, name + ".pcap"))
        with open(os.path.join(out, name + ".tones.json"), "w") as f:
            json.dump({"scenario": name, "description": sc.desc, "settings": sc.settings, "packets": n,
                       "calls": [call]}, f, indent=1)
            f.write("\n")
        names.append(name)
    return names


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("out")
    ap.add_argument("--codec", action="append", choices=sorted(TONES),
                    help="a call in this codec (repeatable; default pcma and pcmu)")
    ap.add_argument("--encoder", help="tests/sinks/encode_tone (g722 and opus need it)")
    a = ap.parse_args()
    os.makedirs(a.out, exist_ok=True)
    for name in generate(a.out, a.codec or ("pcma", "pcmu"), a.encoder):
        print(os.path.join(a.out, name + ".pcap"))


if __name__ == "__main__":
    main()
