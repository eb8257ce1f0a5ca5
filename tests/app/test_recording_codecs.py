#!/usr/bin/env python3
"""ctitap's recordings of G.722 and Opus calls whose audio is known, through the whole pipeline
(capture -> SIP/SDP -> correlator -> recorder): issue 14's proof for the decoded codecs.

  test_recording_codecs.py CTITAP SOURCE_DIR ENCODE_TONE

pcaps/gen/tones.py writes a G.722 call (payload type 9, RTP clock 8000 for 16 kHz audio) and an
Opus call (opus/48000/2, dynamic type 111, RTP clock 48000), their payloads encoded by
ENCODE_TONE (tests/sinks/encode_tone.c: libspandsp, libopus), with what a recording of them
must hold, from the script's own packet schedule: a tone per direction (the agent's above 4 kHz,
which only a wideband file keeps), a quiet stretch, silence suppression, a lost burst, an SSRC
change and a hold. ctitap records each with record.pause_mode=silence and with cut; for every
recording:
  - the stop record: kind audio, codec L16, format wav, `lost` (and the far end's quality `lost`)
    the packets the capture lost, `duration_ms` the file's; the call record's intervals the
    script's within one packet (20 ms);
  - the file is what docs/recording.md says a decoded codec gives: a stereo 16-bit PCM WAV at
    16 kHz (soxi, and the RIFF header read here), its length the intervals' span (silence) or sum
    (cut) within one packet;
  - decoded by sox, every 20 ms window the script says is tone (two packets of margin before it
    and one after each change of what the sender sent: Opus's lookahead and a tone's fade take
    up to 25 ms) carries at least 80 % of
    its energy at that direction's frequency and under 5 % at the other's -- a decoded codec is
    not bit-exact, so energy share, not bytes; every window the script says is silence (nothing
    sent: silence suppression, the lost burst, the paused hold in silence mode) is zero samples;
    every window it says is quiet (the sender encoded digital silence) is under 1 % of the tone's
    amplitude; the windows either side of the SSRC change are tone, so a gap or a misplaced new
    source fails them (the change's own window starts with the new encoder's lookahead: Opus
    5 ms of near silence);
  - each channel's dominant frequency (Goertzel scan, 100-7900 Hz, 10 Hz steps) over every tone
    stretch of 400 ms or more is its direction's tone within 10 Hz;
  - after a resume the tone comes back within one packet; the lost burst is a run of zero samples
    of its length within one packet; in cut mode the hold is absent; ctitap verify passes.
Exit 77 when sox or soxi is missing.
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
from recaudio import Timeline, check_dominant, kind_at, record_tones, run, share, silence_run, sox_pcm, usec, wav  # noqa: E402

ctitap, src, encoder = (os.path.abspath(a) for a in sys.argv[1:4])
for tool in ("soxi", "sox"):
    if not shutil.which(tool):
        print("SKIP: %s is not installed" % tool)
        sys.exit(77)
RATE = 16000             # docs/recording.md: G.722 and Opus are written as 16-bit PCM at 16 kHz
PKT = RATE // 50         # samples in one 20 ms packet
TONE_SHARE, OTHER_SHARE = 0.9, 0.05  # measured: the weakest window 0.984 (Opus 6 kHz)
QUIET_PEAK = 100         # 1 % of tones.py's amplitude (10000)
work = tempfile.mkdtemp(prefix="ctitap-codecs-")
sys.dont_write_bytecode = True
run([sys.executable, os.path.join(src, "pcaps", "gen", "tones.py"), work, "--codec", "g722", "--codec", "opus",
     "--encoder", encoder])


def check_channel(what, pcm, ch, other_freq, tl):
    frames = len(pcm)
    resumes = [tl.pos(s) for s, _ in tl.ivs[1:]]
    for r in resumes:
        if kind_at(ch, tl.time(r) + 20000, tl) == "tone":
            run_ = silence_run(pcm, r, 0)
            check(run_ is None or run_[1] - r <= PKT, "%s %s: the tone resumes within a packet of the resume at %.3f s "
                  "(%s)" % (what, ch["who"], r / RATE, run_ and "silence to %.3f s" % (run_[1] / RATE)))
    # a new source is a new encoder, whose first frame starts with its lookahead (Opus: 5 ms
    # near silence): the window of the SSRC change is left out, the ones either side are checked
    new = [tl.pos(usec(ch["ssrc_change"]["at"]))] if ch["ssrc_change"] else []
    n = {"tone": [0, 0], "quiet": [0, 0], "silence": [0, 0]}
    bad, worst = [], 1.0
    for w in range(0, frames - PKT + 1, PKT):
        # what the sender sent two packets before (the encoder's lookahead, Opus 6.5 ms, and
        # the ringing of a change: Opus's tone fades over 25 ms into the quiet stretch) and one after
        kinds = {kind_at(ch, tl.time(p), tl) for p in range(max(0, w - 2 * PKT), min(frames, w + 2 * PKT), 16)}
        if len(kinds) != 1 or None in kinds or any(r - PKT < w + PKT and w < r + 2 * PKT for r in resumes) or any(
                w <= c < w + PKT for c in new):
            continue
        k, x = kinds.pop(), pcm[w:w + PKT]
        if k == "tone":
            s = share(x, ch["freq"], RATE)
            worst = min(worst, s)
            good = s >= TONE_SHARE and share(x, other_freq, RATE) < OTHER_SHARE
        elif k == "quiet":
            good = max(abs(v) for v in x) < QUIET_PEAK
        else:
            good = not any(x)
        n[k][0] += good
        n[k][1] += 1
        if not good and len(bad) < 5:
            bad.append("%s at %.3f s" % (k, w / RATE))
    (t_ok, t_n), (q_ok, q_n), (s_ok, s_n) = n["tone"], n["quiet"], n["silence"]
    check(t_n >= 150 and t_ok == t_n and s_n >= 5 and s_ok == s_n and q_ok == q_n,
          "%s %s: %d/%d windows the script says are %d Hz tone are (>= %d %% of their energy; the weakest %.3f), "
          "%d/%d it says are silence are zero, %d/%d it says are quiet are under %d %s" % (
              what, ch["who"], t_ok, t_n, ch["freq"], TONE_SHARE * 100, worst, s_ok, s_n, q_ok, q_n, QUIET_PEAK, bad))
    check_dominant(what, pcm, ch, tl)
    for a, b in ch["lost_spans"]:
        a, b = usec(a), usec(b)
        r = silence_run(pcm, tl.pos((a + b) // 2), 0)
        check(r is not None and abs(r[0] - tl.pos(a)) <= PKT and abs(r[1] - tl.pos(b)) <= PKT,
              "%s %s: the lost burst %.2f-%.2f s is zero samples for its %d ms within a packet (%s)" % (
                  what, ch["who"], tl.pos(a) / RATE, tl.pos(b) / RATE, (b - a) // 1000,
                  r and "%.3f-%.3f s" % (r[0] / RATE, r[1] / RATE)))


for name in ("tones_g722", "tones_opus"):
    for mode in ("silence", "cut"):
        what, d, call, ivs, recs, cr, stop = record_tones(ctitap, work, name, mode)
        if not stop:
            continue
        sdp = {m["codec"] for r in recs if r.get("src") == "sip" and r.get("call_id") in call["sip"]
               for m in r.get("media", [])}
        check(call["codec"] in sdp, "%s: the SIP records name the SDP's codec %s (%s)" % (what, call["codec"], sdp))
        path = os.path.join(d, stop["file"])
        code, chans, rate, data = wav(path)
        soxi = {k: subprocess.run(["soxi", k, path], capture_output=True, text=True).stdout.strip()
                for k in ("-c", "-r", "-b", "-e")}
        check(code == 1 and chans == 2 and rate == RATE and soxi == {"-c": "2", "-r": str(RATE), "-b": "16",
                                                                     "-e": "Signed Integer PCM"},
              "%s: a stereo 16-bit PCM WAV at 16 kHz (RIFF format %d, %d channels, %d Hz; soxi %s)" % (
                  what, code, chans, rate, soxi))
        check(stop["codec"] == "L16" and stop["format"] == "wav",
              "%s: the stop record says L16 in a wav (%s, %s)" % (what, stop["codec"], stop["format"]))
        tl = Timeline(ivs, mode == "cut", RATE)
        span = sum(b - a for a, b in ivs) if tl.cut else ivs[-1][1] - ivs[0][0]
        dur = len(data) // 4 * 1000000 // RATE
        check(abs(dur - span) <= 20000 and abs(stop["duration_ms"] * 1000 - dur) <= 1000,
              "%s: %.3f s of audio (stop record %d ms), the script's intervals %.3f s (%s)" % (
                  what, dur / 1e6, stop["duration_ms"], span / 1e6, mode))
        check(stop["lost"] == call["lost"] and stop["quality"]["far"]["lost"] == call["channels"][0]["lost"] and
              stop["quality"]["agent"]["lost"] == call["channels"][1]["lost"],
              "%s: the stop record counts the %d packets the capture lost (lost %d, far end %d, agent %d)" % (
                  what, call["lost"], stop["lost"], stop["quality"]["far"]["lost"], stop["quality"]["agent"]["lost"]))
        check(stop["quality"]["far"]["ssrc_changes"] == (1 if call["channels"][0]["ssrc_change"] else 0),
              "%s: the far end's SSRC change is counted (%d)" % (what, stop["quality"]["far"]["ssrc_changes"]))
        pcms = sox_pcm(path)
        check(len(pcms[0]) == len(data) // 4, "%s: sox decodes every frame (%d)" % (what, len(pcms[0])))
        for i, ch in enumerate(call["channels"]):
            check_channel(what, pcms[i], ch, call["channels"][1 - i]["freq"], tl)
        r = run([ctitap, "verify", d])
        check("everything agrees" in r.stdout, "%s: ctitap verify passes" % what)

shutil.rmtree(work)
sys.exit(golden.finish())
