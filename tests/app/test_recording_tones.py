#!/usr/bin/env python3
"""ctitap's recordings of calls whose audio is known (issue 14's proof at capture level).

  test_recording_tones.py CTITAP SOURCE_DIR

pcaps/gen/tones.py writes two calls into a temporary directory (G.711 A-law and u-law; a tone
per direction, a quiet stretch, silence suppression, a lost burst, an SSRC change, a hold) with
what a recording of them must hold, from its own packet schedule. ctitap records each with
record.pause_mode=silence and with cut; for every recording file:
  - a stereo A-law/u-law WAV at 8 kHz (soxi), its length the script's intervals' span
    (silence) or sum (cut) within one packet (20 ms); the call record's intervals are the
    script's within one packet;
  - decoded by sox (not by ctitap or this test; recaudio.sox_pcm), every 20 ms window that the
    script says is tone (one packet of margin around each change) carries at least 90 % of its
    energy at that direction's frequency and under 5 % at the other's; every window it says is
    quiet or silence -- the quiet stretch, the lost burst, silence suppression, the paused hold
    in silence mode -- is the codec's digital silence byte for byte; in cut mode the hold is
    absent;
  - each channel's dominant frequency (Goertzel scan, 100-3900 Hz, 10 Hz steps) over every
    tone stretch of 400 ms or more is its direction's tone, within 10 Hz;
  - after a resume, the tone a sender kept sending comes back within one packet (the recorder
    leaves out a packet that arrived while paused, though most of it plays after the resume);
  - the lost burst is a run of silence of its length within one packet, and the stop record's
    `lost` (and the far end's quality `lost`) counts its packets;
  - across the SSRC change the new source's first payload sits where it arrived and right after
    the old source's last (within one packet), found by its bytes as tshark extracts them;
  - the channels' bytes are the RTP payloads tshark extracts for the recorded intervals
    (recaudio.check_g711, the check test_recording.py makes), and ctitap verify passes.
Exit 77 when tshark or sox is missing.
"""
import os
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "golden"))
sys.path.insert(0, HERE)
import golden  # noqa: E402
from golden import check  # noqa: E402
from recaudio import (Timeline, check_dominant, check_g711, kind_at, media_of, record_tones, rtp_all, run,  # noqa: E402
                      share, silence_run, sox_pcm, usec, wav)

ctitap, src = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
for tool in ("tshark", "soxi", "sox"):
    if not shutil.which(tool):
        print("SKIP: %s is not installed" % tool)
        sys.exit(77)
PKT = 160            # samples in one 20 ms packet
SILENCE = {"PCMA": 0xd5, "PCMU": 0xff}
work = tempfile.mkdtemp(prefix="ctitap-tones-")
sys.dont_write_bytecode = True
run([sys.executable, os.path.join(src, "pcaps", "gen", "tones.py"), work])


def check_channel(what, chan, pcm, ch, other_freq, tl, silence):
    frames = len(chan)
    # a packet that arrives while paused is left out, though its tail plays after the resume:
    # up to one packet of silence right after a resume, no more
    resumes = [tl.pos(s) for s, _ in tl.ivs[1:]]
    for r in resumes:
        if kind_at(ch, tl.time(r) + 20000, tl) == "tone":
            run_ = silence_run(chan, r, silence)
            check(run_ is None or run_[1] - r <= PKT, "%s %s: the tone resumes within a packet of the resume at %.3f s "
                  "(%s)" % (what, ch["who"], r / 8000, run_ and "silence to %.3f s" % (run_[1] / 8000)))
    tone_ok = tone_n = sil_ok = sil_n = 0
    bad = []
    for w in range(0, frames - PKT + 1, PKT):
        kinds = {kind_at(ch, tl.time(p), tl) for p in range(max(0, w - PKT), min(frames, w + 2 * PKT), 8)}
        if len(kinds) != 1 or None in kinds or any(r - PKT < w + PKT and w < r + 2 * PKT for r in resumes):
            continue  # a change within a packet of the window, or a resume's splice (checked below)
        x = pcm[w:w + PKT]
        if kinds == {"tone"}:
            tone_n += 1
            good = share(x, ch["freq"]) >= 0.9 and share(x, other_freq) < 0.05
            tone_ok += good
        else:
            sil_n += 1
            good = all(b == silence for b in chan[w:w + PKT])
            sil_ok += good
        if not good and len(bad) < 5:
            bad.append("%s at %.3f s" % (kinds.pop(), w / 8000))
    check(tone_n >= 150 and tone_ok == tone_n and sil_n >= 10 and sil_ok == sil_n,
          "%s %s: %d/%d windows the script says are %d Hz tone are, %d/%d it says are silence are digital silence %s" % (
              what, ch["who"], tone_ok, tone_n, ch["freq"], sil_ok, sil_n, bad))
    check_dominant(what, pcm, ch, tl)


def find(chan, payload, near):
    """Where payload sits in chan within 3 packets of near (the nearest), or None."""
    for c in sorted(range(max(0, near - 3 * PKT), min(len(chan), near + 3 * PKT)), key=lambda c: abs(c - near)):
        if chan[c:c + len(payload)] == payload:
            return c
    return None


for name in ("tones_pcma", "tones_pcmu"):
    capture = os.path.join(work, name + ".pcap")
    for mode in ("silence", "cut"):
        what, d, call, ivs, recs, cr, stop = record_tones(ctitap, work, name, mode)
        if not stop:
            continue
        codec, dev, silence = call["codec"], call["device"], SILENCE[call["codec"]]
        path = os.path.join(d, stop["file"])
        code, chans, rate, data = wav(path)
        soxi = {k: subprocess.run(["soxi", k, path], capture_output=True, text=True).stdout.strip() for k in ("-c", "-e")}
        check(chans == 2 and rate == 8000 and code == (6 if codec == "PCMA" else 7) and soxi["-c"] == "2" and
              soxi["-e"] == ("A-law" if codec == "PCMA" else "u-law"),
              "%s: a stereo %s WAV at 8 kHz (soxi: %s)" % (what, codec, soxi))
        tl = Timeline(ivs, mode == "cut")
        span = sum(b - a for a, b in ivs) if tl.cut else ivs[-1][1] - ivs[0][0]
        dur = len(data) // 2 * 125
        check(abs(dur - span) <= 20000, "%s: %.3f s of audio, the script's intervals %.3f s (%s)" % (
            what, dur / 1e6, span / 1e6, mode))
        check(stop["lost"] == call["lost"] and stop["quality"]["far"]["lost"] == call["channels"][0]["lost"],
              "%s: the stop record counts the %d packets the capture lost (lost %d, far end %d)" % (
                  what, call["lost"], stop["lost"], stop["quality"]["far"]["lost"]))
        left, right = sox_pcm(path)
        check(len(left) == len(data) // 2, "%s: sox decodes every frame (%d)" % (what, len(left)))
        pcms = (left, right)
        for i, ch in enumerate(call["channels"]):
            chan = data[i::2]
            check_channel(what, chan, pcms[i], ch, call["channels"][1 - i]["freq"], tl, silence)
            for a, b in ch["lost_spans"]:
                a, b = usec(a), usec(b)
                r = silence_run(chan, tl.pos((a + b) // 2), silence)
                check(r is not None and abs(r[0] - tl.pos(a)) <= PKT and abs(r[1] - tl.pos(b)) <= PKT,
                      "%s %s: the lost burst %.2f-%.2f s is silence of its %d ms within a packet (%s)" % (
                          what, ch["who"], tl.pos(a) / 8000, tl.pos(b) / 8000, (b - a) // 1000,
                          r and "%.3f-%.3f s" % (r[0] / 8000, r[1] / 8000)))
            sc = ch["ssrc_change"]
            if sc:
                pk = sorted((p for p in rtp_all(capture) if p["ssrc"] in (sc["from"], sc["to"]) and p["pt"] in (0, 8)),
                            key=lambda p: p["at"])
                old = [p for p in pk if p["ssrc"] == sc["from"] and p["at"] < usec(sc["at"])][-1]
                new = [p for p in pk if p["ssrc"] == sc["to"]][0]
                po, pn = find(chan, old["payload"], tl.pos(old["at"])), find(chan, new["payload"], tl.pos(new["at"]))
                check(new["at"] == usec(sc["at"]) and po is not None and pn is not None and
                      abs(pn - tl.pos(new["at"])) <= PKT and abs((pn - po) - (new["at"] - old["at"]) * 8 // 1000) <= PKT,
                      "%s %s: the new SSRC %s's first payload is where it arrived (%s, expected %d) and follows the "
                      "old source's last (at %s)" % (what, ch["who"], sc["to"], pn, tl.pos(new["at"]), po))
        alias = {m: cr["call"] for m in cr["merged"]}
        check_g711(what, data, silence, ivs[0][0], ivs, tl.cut, media_of(recs, cr["call"], dev, alias), capture)
        r = run([ctitap, "verify", d])
        check("everything agrees" in r.stdout, "%s: ctitap verify passes" % what)

shutil.rmtree(work)
sys.exit(golden.finish())
