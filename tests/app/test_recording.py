#!/usr/bin/env python3
"""ctitap recording real captures end to end (issue 14), checked with tools that share no code
with it: soxi (the WAV's format and length), tshark (the RTP payloads and the SIP frames of the
capture), a RIFF and a pcap reader written here, and ctitap verify on the hash chain.

  test_recording.py CTITAP SOURCE_DIR [public]

Without `public`, everything but the public capture; with it, the public capture only (exit 77
when ../shared is not there: a user's clone).

Runs `ctitap -r CAPTURE -X record.dir=D -X record.pcap=true ...` on
  - pcaps/demo-csta.pcap (G.711, a hold, CTI and SIP),
  - pcaps/scenarios/consultation_transfer.pcap (G.729: the customer held, the agent's
    recording resuming on its consultation leg, the consulted agent recorded, a transfer), and
  - the public Wireshark captures SIP_CALL_RTP_G711 and SIP_DTMF2 (two IP-DECT handsets whose
    audio a base station relays: the relay's copy is left out, counted) (../shared; skipped
    when absent),
and checks for every recorded device of every call record:
  - one WAV per recording (start to stop), named as docs/recording.md says, whose length is
    the span of the call record's intervals (record.pause_mode=silence keeps the pauses) or
    their sum (cut), within one packet; soxi agrees on channels, rate and encoding;
  - G.711: each channel's data bytes are the RTP payloads tshark extracts from that
    direction's sender (far end left, agent right): every talkspurt of the recorded intervals
    byte for byte at its timestamp within 60 ms of its arrival, nothing else but silence (the
    paused time silence); G.729: the WAV is silence and the payload pcap holds the payloads
    tshark extracts for the recorded intervals, told by a recording_payload audit; no payload
    pcap where no such packet came (an SDP that only offered G.729);
  - the stop record's file, bytes and sha256 are the file's; every record's seq and hash are
    its chain entry's; ctitap verify passes, a flipped byte and a deleted file make it fail;
  - the evidence pcap holds the call's SIP frames byte for byte from its first INVITE (every
    message of its Call-IDs) and only RTP frames of its recordings;
  - each agent of the consultation is recorded once, one file each, stopped in the customer's
    call (merges and renames are unit-tested in test_recwire.c);
  - privacy.numbers=pseudonymise and mask: no device number in the chain logs or file names,
    the file-name digest is that of the pseudonym or mask;
  - the stats record's `recorder` counters; a tiny record.pcap_hold_kb pushes frames out
    (counted) and the evidence stays readable;
  - the live call view (http.listen with http.user) links each call's files, and /view/files/
    serves each, the bytes its record hashes (401 without credentials, 404 for a path ctitap
    does not write);
  - a SIGKILL once a recording has written audio: nothing with a final name that the chain
    does not hold, the .part files in progress; the next run repairs each (an audit each), the
    WAV soxi reads holds the whole frames written, ctitap verify passes.
Exit 77 when tshark or sox is missing.
"""
import base64
import hashlib
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "golden"))
import golden  # noqa: E402
from golden import check  # noqa: E402
from recaudio import (HOLD_US, Media, check_g711, media_of, pcap_frames, records, rtp_all, run, tshark,  # noqa: E402
                      usec, wav)


ctitap, src = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
public_only = len(sys.argv) > 3 and sys.argv[3] == "public"
PUBLIC = os.path.join(src, "..", "shared", "pcaps", "public", "wiresharkwiki__SIP_CALL_RTP_G711.pcap")
for tool in ("tshark", "soxi", "sox"):
    if not shutil.which(tool):
        print("SKIP: %s is not installed" % tool)
        sys.exit(77)

work = tempfile.mkdtemp(prefix="ctitap-rec-")


def check_payload_pcap(name, path, ivs, media, capture):
    """G.729 and other codecs ctitap does not decode: the payload pcap against tshark. Packets
    are told by SSRC and sequence number: the pcap's IP/UDP header is rebuilt from the
    recording's endpoints."""
    got = {}
    for f in tshark(path, "rtp", "rtp.ssrc", "rtp.seq", "rtp.payload", heuristic=True):
        if len(f) >= 3 and f[2]:
            got[(f[0], int(f[1]))] = bytes.fromhex(f[2].replace(":", ""))
    pkts = [p for p in rtp_all(capture) if p["pt"] not in (101, 13)]
    for ch, who in enumerate(("far end", "agent")):
        core = [p for p in pkts if media.steady(p) == ch and any(s + HOLD_US <= p["at"] <= e - HOLD_US for s, e in ivs)]
        check(core and all(got.get((p["ssrc"], p["seq"])) == p["payload"] for p in core),
              "%s %s: the payload pcap holds the %d payloads of the recorded intervals byte for byte" % (name, who, len(core)))
    near = {(p["ssrc"], p["seq"]): p["payload"] for p in pkts if media.near(p) and
            any(s - HOLD_US <= p["at"] <= e + HOLD_US for s, e in ivs)}
    check(all(near.get(k) == b for k, b in got.items()),
          "%s: the payload pcap holds nothing from outside them (%d packets)" % (name, len(got)))


SIP_STARTS = (b"INVITE ", b"ACK ", b"BYE ", b"CANCEL ", b"OPTIONS ", b"REGISTER ", b"INFO ", b"UPDATE ", b"PRACK ",
              b"REFER ", b"NOTIFY ", b"SUBSCRIBE ", b"MESSAGE ", b"SIP/2.0 ")


def sip_message(frame):
    """The SIP message a UDP frame carries (from its start line), or None for RTP."""
    at = [i for i in (frame.find(s) for s in SIP_STARTS) if i >= 0]
    return frame[min(at):] if at and frame.find(b"\r\nCall-ID:") > 0 or frame.find(b"\r\ni:") > 0 else None


def chain_entries(d):
    out = {}
    for f in sorted(os.listdir(os.path.join(d, "chain"))):
        if f.endswith(".jsonl"):
            for line in open(os.path.join(d, "chain", f), encoding="utf-8"):
                e = json.loads(line)
                out[e["seq"]] = e
    return out


def check_run(name, capture, out, d, cut=False):
    """Everything a run wrote: files, records, chain, evidence."""
    recs = records(out)
    chain = chain_entries(d)
    byseq = [r for r in recs if r["type"] == "recording" and "seq" in r]
    check(byseq and all(chain.get(r["seq"], {}).get("hash") == r["hash"] for r in byseq),
          "%s: every recording record's seq and hash are its chain entry's (%d)" % (name, len(byseq)))
    check(sorted(r["seq"] for r in byseq) == sorted(chain), "%s: one record per chain entry (%d)" % (name, len(chain)))
    calls = {r["call"]: r for r in recs if r["type"] == "call"}
    alias = {m: c for c, r in calls.items() for m in r["merged"]}
    stops = [r for r in recs if r["type"] == "recording" and r["action"] == "stop" and r.get("kind") == "audio"]
    starts = [r for r in recs if r["type"] == "recording" and r["action"] == "start"]
    nfiles = 0
    for cid, call in sorted(calls.items()):
        for rec in call["recording"]:
            dev = rec["device"]
            ivs = [(usec(i["start"]), usec(i["end"])) for i in rec["intervals"]]
            mine = [s for s in stops if s["call"] == cid and s["device"] == dev]
            st = [s for s in starts if alias.get(s["call"], s["call"]) == cid and s["device"] == dev]
            what = "%s %s %s" % (name, cid, dev)
            if not check(len(mine) == 1 and len(st) == 1, "%s: one start and one stop record with a file (%d, %d)" % (
                    what, len(st), len(mine))):
                continue
            stop, start = mine[0], st[0]
            t0, t1 = usec(start["ts"]), usec(stop["ts"])
            path = os.path.join(d, stop["file"])
            nfiles += 1
            if not check(os.path.exists(path), "%s: %s exists" % (what, stop["file"])):
                continue
            body = open(path, "rb").read()
            check(stop["bytes"] == len(body) and stop["sha256"] == hashlib.sha256(body).hexdigest(),
                  "%s: the stop record's bytes and sha256 are the file's" % what)
            check(os.stat(path).st_mode & 0o777 == 0o640, "%s: mode 0640" % what)
            code, chans, rate, data = wav(path)
            soxi = {k: subprocess.run(["soxi", k, path], capture_output=True, text=True).stdout.strip()
                    for k in ("-c", "-r", "-e", "-D")}
            check(soxi["-c"] == "2" and int(soxi["-r"]) == rate and chans == 2, "%s: soxi: stereo (%s)" % (what, soxi))
            # silence keeps the paused time, from the start to the stop (a stop while paused comes
            # after the last interval's end); cut keeps the intervals only
            span = sum(e - s for s, e in ivs) if cut else t1 - t0
            dur = float(soxi["-D"]) * 1e6
            check(abs(dur - span) <= 20000 + 125 and abs(stop["duration_ms"] * 1000 - dur) <= 1000,
                  "%s: soxi says %.3f s, the call record's intervals %.3f s (pause_mode %s), the stop record %d ms" % (
                      what, dur / 1e6, span / 1e6, "cut" if cut else "silence", stop["duration_ms"]))
            check(ivs[0][0] == t0 and ivs[-1][1] <= t1, "%s: the file spans the call record's intervals" % what)
            media = media_of(recs, cid, dev, alias)
            if stop["codec"] in ("PCMA", "PCMU"):
                check((code, rate) == ((6 if stop["codec"] == "PCMA" else 7), 8000) and
                      soxi["-e"] == ("A-law" if stop["codec"] == "PCMA" else "u-law"),
                      "%s: WAV %s at 8 kHz, as the wire (soxi: %s)" % (what, stop["codec"], soxi["-e"]))
                check_g711(what, data, 0xd5 if stop["codec"] == "PCMA" else 0xff, t0, ivs, cut, media, capture)
            else:
                check(code == 1 and rate == 16000 and not any(data), "%s: an L16 WAV of silence (%s)" % (what, stop["codec"]))
                payload = [r for r in recs if r["type"] == "recording" and r["action"] == "file" and
                           r.get("kind") == "payload" and r["call"] == cid and r.get("device") == dev]
                if check(len(payload) == 1, "%s: a payload pcap for its %s" % (what, stop["codec"])):
                    check_payload_pcap(what, os.path.join(d, payload[0]["file"]), ivs, media, capture)
    # a payload pcap only where packets went into it (an SDP that merely offered G.729 leaves
    # none), each told by an audit naming its codec and file
    payloads = [r for r in recs if r["type"] == "recording" and r.get("kind") == "payload"]
    told = {r["detail"] for r in recs if r["type"] == "audit" and r["kind"] == "recording_payload"}
    check(all(p["packets"] > 0 and any(p["file"] in t and (" of %s," % p["codec"]) in t for t in told) for p in payloads)
          and len(told) == len(payloads), "%s: %d payload pcaps, none empty, each told by a recording_payload audit "
          "naming its codec and file" % (name, len(payloads)))
    rtp_pcaps = [f for _, _, fs in os.walk(d) for f in fs if f.endswith(".rtp.pcap")]
    check(len(rtp_pcaps) == len(payloads), "%s: no payload pcap on disk but those (%d)" % (name, len(rtp_pcaps)))
    wavs = [os.path.join(r, f) for r, _, fs in os.walk(d) for f in fs if f.endswith(".wav")]
    check(len(wavs) == nfiles and nfiles, "%s: %d WAV files, one per recording of the call records" % (name, len(wavs)))
    check(all(len(os.path.basename(w).split("-")) in (3, 4) for w in wavs), "%s: files named <call id>-<digest>.wav" % name)
    # evidence: every SIP message of the call's Call-IDs from the first INVITE (a SPAN copy once),
    # split between the pcaps of calls merged into it; only frames of the capture
    orig = pcap_frames(capture)
    origset = {f for _, f in orig}
    evid = [r for r in recs if r["type"] == "recording" and r.get("kind") == "evidence"]
    check(evid, "%s: evidence pcaps were written" % name)
    for cid, call in sorted(calls.items()):
        mine = [r for r in evid if r["call"] == cid]
        if not call["recording"]:
            continue
        filt = " || ".join('sip.Call-ID == "%s"' % c for c in call["sip"])
        rows = tshark(capture, "(%s) && !(sip.Method == \"INFO\" && sip.Content-Type contains \"dtmf\")" % filt,
                      "frame.number", "ip.id", heuristic=False)
        want, seen = [], set()
        for f in rows:
            m = sip_message(orig[int(f[0]) - 1][1])
            if (f[1], m) not in seen:  # a SPAN copy (same IP ID) is suppressed before anything sees it;
                seen.add((f[1], m))    # a retransmission (another datagram) is evidence too
                want.append(m)
        got = []
        for ev in mine:
            frames = [f for _, f in pcap_frames(os.path.join(d, ev["file"]))]
            check(all(f in origset for f in frames), "%s %s: every frame of %s is a frame of the capture" % (
                name, cid, ev["file"]))
            msgs = [sip_message(f) for f in frames if sip_message(f)]
            check(all(m in want for m in msgs) and msgs == sorted(msgs, key=want.index),
                  "%s %s: %s holds SIP messages of the call, in capture order" % (name, cid, ev["file"]))
            got += msgs
        check(sorted(got) == sorted(want), "%s %s: its evidence pcaps (%d, merged calls' included) hold each of its %d "
              "SIP messages once, from the first INVITE (got %d)" % (name, cid, len(mine), len(want), len(got)))
        # RTP: the packets of its recordings while they ran (DTMF events left out), nothing else
        key = lambda p: p["src"] + (p["ssrc"], p["seq"])  # noqa: E731
        core, near = set(), set()
        for rec in call["recording"]:
            ivs = [(usec(i["start"]), usec(i["end"])) for i in rec["intervals"]]
            media = media_of(recs, cid, rec["device"], alias)
            for p in rtp_all(capture):
                if p["pt"] != 101 and media.steady(p) is not None and any(s + HOLD_US <= p["at"] <= e - HOLD_US for s, e in ivs):
                    core.add(key(p))
                if media.near(p) and any(s - HOLD_US <= p["at"] <= e + HOLD_US for s, e in ivs):
                    near.add(key(p))
        ev_rtp = set()
        for ev in mine:
            ev_rtp |= {(f[0], int(f[1]), f[2], int(f[3])) for f in tshark(os.path.join(d, ev["file"]), "rtp", "ip.src",
                                                                        "udp.srcport", "rtp.ssrc", "rtp.seq") if len(f) >= 4}
        check(core <= ev_rtp <= near, "%s %s: the evidence holds the %d RTP packets of its recordings while they ran, "
              "and no other (%d in it, %d of them outside)" % (name, cid, len(core), len(ev_rtp), len(ev_rtp - near)))
    r = run([ctitap, "verify", d])
    check("everything agrees" in r.stdout, "%s: ctitap verify passes: %s" % (name, r.stdout.strip()[-200:]))
    return recs


# ---- the runs ----

def record(name, capture, *settings, cut=False):
    d = os.path.join(work, name)
    out = os.path.join(work, name + ".jsonl")
    args = [ctitap, "-q", "-r", capture, "-X", "record.dir=" + d, "-X", "record.pcap=true", "-X", "record.min_free_mb=0",
            "-o", "jsonl:" + out]
    for s in settings:
        args += ["-X", s]
    run(args)
    return d, out


if not public_only:
    print("demo (G.711, a hold, pause_mode silence):")
    d, out = record("demo", os.path.join(src, "pcaps/demo-csta.pcap"), "record.devices=2000-2099",
                    "numbers.country_code=49")
    recs = check_run("demo", os.path.join(src, "pcaps/demo-csta.pcap"), out, d)
    stats = [r for r in recs if r["type"] == "stats"][-1]
    rs = stats.get("recorder", {})
    check(rs.get("opened") == 4 and rs.get("files") >= 8 and rs.get("chain_entries") == len(chain_entries(d)),
          "demo: the stats record's recorder counters (opened %s, files %s)" % (rs.get("opened"), rs.get("files")))
    # verify catches a flipped byte and a deleted file, and passes again when they are back
    wavs = sorted(os.path.join(r, f) for r, _, fs in os.walk(d) for f in fs if f.endswith(".wav"))
    b = bytearray(open(wavs[0], "rb").read())
    keep = bytes(b)
    b[len(b) // 2] ^= 1
    open(wavs[0], "wb").write(bytes(b))
    r = run([ctitap, "verify", d], expect=1)
    check("changed" in r.stdout, "demo: ctitap verify fails on a flipped byte: %s" % r.stdout.strip()[-300:])
    open(wavs[0], "wb").write(keep)
    pcaps = sorted(os.path.join(r, f) for r, _, fs in os.walk(d) for f in fs if f.endswith(".pcap"))
    os.rename(pcaps[0], pcaps[0] + ".gone")
    r = run([ctitap, "verify", d], expect=1)
    check("missing" in r.stdout, "demo: ctitap verify fails on a deleted file: %s" % r.stdout.strip()[-300:])
    os.rename(pcaps[0] + ".gone", pcaps[0])
    run([ctitap, "verify", d])

    print("demo, pause_mode cut:")
    d, out = record("demo-cut", os.path.join(src, "pcaps/demo-csta.pcap"), "record.devices=2000-2099",
                    "numbers.country_code=49", "record.pause_mode=cut")
    check_run("demo-cut", os.path.join(src, "pcaps/demo-csta.pcap"), out, d, cut=True)

    print("consultation transfer (G.729, hold, the agent's recording resumed on its consultation leg):")
    scen = os.path.join(src, "pcaps/scenarios/consultation_transfer.pcap")
    d, out = record("consult", scen, "record.devices=2001-2009", "record.pause_on_hold=true", "numbers.country_code=49",
                    "numbers.rules=5000[4]=>+4930555000")
    recs = check_run("consult", scen, out, d)
    call = [r for r in recs if r["type"] == "call"][0]
    for dev in ("2001", "2002"):
        starts = [r for r in recs if r["type"] == "recording" and r["action"] == "start" and r["device"] == dev]
        stops = [r for r in recs if r["type"] == "recording" and r["action"] == "stop" and r["device"] == dev]
        check(len(starts) == 1 and len(stops) == 1 and stops[0]["call"] == call["call"] and
              (starts[0]["call"] == call["call"] or starts[0]["call"] in call["merged"]),
              "consult: %s recorded once, one file, stopped in the customer's call %s (merged: %s)" % (
                  dev, call["call"], call["merged"]))

if public_only and not os.path.exists(PUBLIC):
    print("SKIP: ../shared/pcaps/public is not there (a user's clone)")
    shutil.rmtree(work)
    sys.exit(77)
if public_only:
    print("public SIP_CALL_RTP_G711 (a real call, its SIP user recorded):")
    d, out = record("public", PUBLIC, "record.devices=francisco")
    recs = records(out)
    stop = [r for r in recs if r["type"] == "recording" and r["action"] == "stop"]
    start = [r for r in recs if r["type"] == "recording" and r["action"] == "start"]
    if check(len(stop) == 1 and len(start) == 1 and stop[0]["codec"] in ("PCMA", "PCMU"), "public: one recording of francisco"):
        # the capture has no BYE: the call ends at its last SIP message, dated before the RTP that
        # follows it; the stop comes when the input ends and the file holds what was written by then
        t0 = usec(start[0]["ts"])
        path = os.path.join(d, stop[0]["file"])
        code, chans, rate, data = wav(path)
        dur = float(subprocess.run(["soxi", "-D", path], capture_output=True, text=True).stdout) * 1e6
        end = t0 + int(dur)
        check(abs(stop[0]["duration_ms"] * 1000 - dur) <= 1000, "public: the stop record's duration is soxi's")
        check_g711("public", data, 0xd5 if stop[0]["codec"] == "PCMA" else 0xff, t0, [(t0, end)], False,
                   Media(start + stop), PUBLIC)
    r = run([ctitap, "verify", d])
    check("everything agrees" in r.stdout, "public: ctitap verify passes")
    print("public SIP_DTMF2 (two IP-DECT handsets, 2502's audio relayed by a base station to 2504):")
    # the SDPs name the gateway (.110) for both handsets; 2502 sends from its endpoint to a base
    # station (.172), which sends on to 2504's endpoint (with RFC 2833 events): for both
    # recordings that copy is a relay's, 2502's audio is recorded once (2502's own channel,
    # 2504's far end), and the side the capture has no audio of is silence. No BYE: each file
    # holds what was written by the input's end (the call record ends at its last SIP message)
    dtmf = os.path.join(os.path.dirname(PUBLIC), "wiresharkwiki__SIP_DTMF2.cap")
    d, out = record("public-dtmf", dtmf, "record.devices=2502,2504")
    recs = records(out)
    for dev, quiet in (("2502", (0,)), ("2504", (1,))):
        mine = [r for r in recs if r["type"] == "recording" and r.get("device") == dev]
        stop = [r for r in mine if r["action"] == "stop"]
        start = [r for r in mine if r["action"] == "start"]
        if not check(len(stop) == 1 and len(start) == 1 and stop[0]["codec"] == "PCMA",
                     "public-dtmf: one PCMA recording of %s" % dev):
            continue
        t0 = usec(start[0]["ts"])
        path = os.path.join(d, stop[0]["file"])
        code, chans, rate, data = wav(path)
        dur = float(subprocess.run(["soxi", "-D", path], capture_output=True, text=True).stdout) * 1e6
        check(abs(stop[0]["duration_ms"] * 1000 - dur) <= 1000, "public-dtmf %s: the stop record's duration is soxi's" % dev)
        q = stop[0]["quality"]["agent" if dev == "2502" else "far"]
        check(q["ssrc_changes"] == 0, "public-dtmf %s: one stream in 2502's channel (%d SSRC changes)" % (dev, q["ssrc_changes"]))
        check_g711("public-dtmf " + dev, data, 0xd5, t0, [(t0, t0 + int(dur))], False, Media(mine), dtmf, quiet)
    relayed = tshark(dtmf, "rtp && ip.src == 192.168.105.172", "frame.number")  # its telephone events too
    st = [r for r in recs if r["type"] == "stats"][-1]["recorder"]
    check(relayed and st.get("rtp_relay_copy") == 2 * len(relayed),
          "public-dtmf: the base station's %d packets are counted as a relay's copy by both recordings (%s)" % (
              len(relayed), st.get("rtp_relay_copy")))
    check(not [r for r in recs if r["type"] == "recording" and r.get("kind") == "payload"] and
          not [f for _, _, fs in os.walk(d) for f in fs if f.endswith(".rtp.pcap")],
          "public-dtmf: no payload pcap (its SDP offered G.729, none was sent)")
    ev = [r for r in recs if r["type"] == "recording" and r.get("kind") == "evidence"]
    if check(len(ev) == 1, "public-dtmf: one evidence pcap"):
        epath = os.path.join(d, ev[0]["file"])
        srcs = {(f[0], f[1]) for f in tshark(epath, "rtp", "ip.src", "udp.srcport")}
        check(srcs == {("192.168.105.110", "4374")}, "public-dtmf: the evidence holds the RTP recorded, not the relay's "
              "copy: %s" % sorted(srcs))
        check(len(tshark(epath, "sip", "frame.number", heuristic=False)) == 10,
              "public-dtmf: the evidence holds the call's 10 SIP messages")
    r = run([ctitap, "verify", d])
    check("everything agrees" in r.stdout, "public-dtmf: ctitap verify passes")
if not public_only:
    print("privacy: the chain and the file names show devices as the records do:")
    keyf = os.path.join(work, "key")
    with open(keyf, "w") as f:
        f.write(os.urandom(32).hex() + "\n")
    os.chmod(keyf, 0o600)
    for mode in ("pseudonymise", "mask"):
        d, out = record("privacy-" + mode, os.path.join(src, "pcaps/demo-csta.pcap"), "record.devices=2000-2099",
                        "numbers.country_code=49", "privacy.numbers=" + mode, "privacy.key_file=" + keyf)
        recs = records(out)
        chain = chain_entries(d)
        shown = {r["device"] for r in recs if r["type"] == "recording" and "device" in r}
        check(shown and all(("2000" not in s and "2001" not in s) for s in shown), "%s: records show %s" % (mode, sorted(shown)))
        devs = {e["device"] for e in chain.values() if "device" in e}
        check(devs and devs <= shown, "%s: chain entries carry the devices as records show them: %s" % (mode, sorted(devs)))
        text = "".join(open(os.path.join(d, "chain", f), encoding="utf-8").read() for f in os.listdir(os.path.join(d, "chain"))
                       if f.endswith(".jsonl"))
        check('"2000"' not in text and '"2001"' not in text, "%s: no device number in the chain logs" % mode)
        for r in recs:
            if r["type"] == "recording" and r.get("kind") == "audio":
                digest = os.path.basename(r["file"]).split("-")[2].split(".")[0]
                check(digest == hashlib.sha256(r["device"].encode()).hexdigest()[:12],
                      "%s: %s's file name has the digest of %s" % (mode, r["file"], r["device"]))
        run([ctitap, "verify", d])

    print("signed and encrypted (ctitap keygen, verify --pubkey, decrypt):")
    keys = os.path.join(work, "keys")
    os.makedirs(keys)
    run([ctitap, "keygen", "sign", os.path.join(keys, "sign")])
    run([ctitap, "keygen", "box", os.path.join(keys, "box")])
    d, out = record("sealed", os.path.join(src, "pcaps/demo-csta.pcap"), "record.devices=2000-2099",
                    "record.sign_key=" + os.path.join(keys, "sign.key"), "record.encrypt_to=" + os.path.join(keys, "box.pub"))
    recs = records(out)
    chain = chain_entries(d)
    signed = [r for r in recs if r["type"] == "recording" and "seq" in r]
    check(signed and all(r.get("sig") == chain[r["seq"]].get("sig") and len(r.get("sig", "")) == 128 for r in signed),
          "sealed: every record carries its chain entry's Ed25519 signature (%d)" % len(signed))
    r = run([ctitap, "verify", d, "--pubkey", os.path.join(keys, "sign.pub")])
    check("everything agrees" in r.stdout, "sealed: ctitap verify --pubkey passes: %s" % r.stdout.strip()[-200:])
    stop = [r for r in recs if r["type"] == "recording" and r["action"] == "stop"][0]
    check(stop["format"] == "wav+enc" and stop["file"].endswith(".wav.enc"), "sealed: files are encrypted (%s)" % stop["file"])
    plain = os.path.join(work, "plain.wav")
    run([ctitap, "decrypt", os.path.join(keys, "box.key"), os.path.join(d, stop["file"]), plain])
    dur = float(subprocess.run(["soxi", "-D", plain], capture_output=True, text=True).stdout) * 1000
    check(abs(dur - stop["duration_ms"]) <= 1, "sealed: ctitap decrypt gives the WAV soxi reads, %.0f ms as the record says" % dur)

    print("a tiny evidence hold:")
    d, out = record("hold", os.path.join(src, "pcaps/demo-csta.pcap"), "record.devices=2000-2099", "record.pcap_hold_kb=2")
    recs = records(out)
    stats = [r for r in recs if r["type"] == "stats"][-1]
    check(stats["rec_pcap_hold_evicted"] > 0, "hold: frames pushed out of a 2 KiB hold are counted (%d)" % stats["rec_pcap_hold_evicted"])
    for ev in [r for r in recs if r["type"] == "recording" and r.get("kind") == "evidence"]:
        rows = tshark(os.path.join(d, ev["file"]), "sip", "frame.number", heuristic=False)
        check(rows, "hold: %s still holds the call's SIP from its recording on" % ev["file"])
    run([ctitap, "verify", d])

    print("SIGHUP changing record.*: the recordings open go on in new files; /metrics:")
    conf = os.path.join(work, "ctitap.conf")
    d = os.path.join(work, "reload")
    out = os.path.join(work, "reload.jsonl")
    with open(conf, "w") as f:
        f.write("[record]\ndir = %s\npcap = true\nmin_free_mb = 0\ndevices = 2000-2099\nsilence_s = 10\n"
                "[numbers]\ncountry_code = 49\n" % d)
    with socket.socket() as so:
        so.bind(("127.0.0.1", 0))
        port = so.getsockname()[1]
    proc = subprocess.Popen([ctitap, "-q", "-c", conf, "-r", os.path.join(src, "pcaps/demo-csta.pcap"), "-X",
                             "capture.replay_speed=4", "-X", "http.listen=127.0.0.1:%d" % port, "-o", "jsonl:" + out],
                            env=dict(os.environ, CTITAP_CONFIG=""))
    time.sleep(4.0)  # packet time about 09:00:16: two recordings open
    metrics = ""
    try:
        with urllib.request.urlopen("http://127.0.0.1:%d/metrics" % port, timeout=10) as r:
            metrics = r.read().decode()
    except OSError as e:
        check(False, "reload: /metrics answers: %s" % e)
    with open(conf, "a") as f:
        f.write("[record]\nsilence_s = 20\n")
    proc.send_signal(signal.SIGHUP)
    check(proc.wait(timeout=120) == 0, "reload: the run ends cleanly")
    check("ctitap_recorder_opened_total " in metrics and "ctitap_recorder_active " in metrics,
          "reload: /metrics has the recorder's counters and gauges")
    if shutil.which("promtool") and metrics:
        pt = subprocess.run(["promtool", "check", "metrics"], input=metrics, capture_output=True, text=True)
        check(pt.returncode == 0, "reload: promtool accepts /metrics: %s" % pt.stdout[-300:])
    recs = records(out)
    stops = [r for r in recs if r["type"] == "recording" and r["action"] == "stop" and r["reason"] == "reload"]
    starts = [r for r in recs if r["type"] == "recording" and r["action"] == "start" and r["reason"] == "reload"]
    check(stops and len(stops) == len(starts) and all(
        any(a["call"] == b["call"] and a["device"] == b["device"] and a["ts"] == b["ts"] for b in starts) for a in stops),
          "reload: each recording open at the SIGHUP stopped (reason reload, its file) and started again at the same "
          "moment (%d)" % len(stops))
    for a in stops:
        pieces = [r for r in recs if r["type"] == "recording" and r["action"] == "stop" and r.get("kind") == "audio" and
                  r["call"] == a["call"] and r["device"] == a["device"]]
        call = [r for r in recs if r["type"] == "call" and r["call"] == a["call"]][0]
        rec = [x for x in call["recording"] if x["device"] == a["device"]][0]
        span = usec(rec["intervals"][-1]["end"]) - usec(rec["intervals"][0]["start"])
        if usec(rec["intervals"][-1]["end"]) < usec(a["ts"]):
            # the correlator wrote this call's end only later (its device's clearing came with the
            # call record): the reload found it open, as anything keyed on the triggers would
            print("  reload: %s %s ended at %s, its stop came after the reload" % (a["call"], a["device"],
                                                                                  rec["intervals"][-1]["end"]))
            continue
        total = sum(float(subprocess.run(["soxi", "-D", os.path.join(d, p["file"])], capture_output=True,
                                         text=True).stdout) * 1e6 for p in pieces)
        check(len(pieces) == 2 and abs(total - span) <= 40000, "reload: %s %s: two files of %.3f s together, the call's "
              "recording %.3f s" % (a["call"], a["device"], total / 1e6, span / 1e6))
    rs = [r for r in recs if r["type"] == "stats"][-1]["recorder"]
    opened = len([r for r in recs if r["type"] == "recording" and r["action"] == "start" and "seq" in r])
    check(rs["opened"] == opened, "reload: the stats record counts the recordings of both engines (%d opened, %d "
          "start records)" % (rs["opened"], opened))
    r = run([ctitap, "verify", d])
    check("everything agrees" in r.stdout, "reload: ctitap verify passes across the reload: %s" % r.stdout.strip()[-200:])

if not public_only:
    print("the live call view serves the files its pages link, to an authenticated client:")
    d = os.path.join(work, "served")
    out = os.path.join(work, "served.jsonl")
    pw = os.path.join(work, "pw")
    with open(pw, "w") as f:
        f.write("s3cret\n")
    os.chmod(pw, 0o600)
    with socket.socket() as so:
        so.bind(("127.0.0.1", 0))
        port = so.getsockname()[1]
    proc = subprocess.Popen([ctitap, "-q", "-r", os.path.join(src, "pcaps/demo-csta.pcap"), "-X", "capture.replay_speed=50",
                             "-X", "http.listen=127.0.0.1:%d" % port, "-X", "http.user=qa", "-X", "http.password_file=" + pw,
                             "-X", "http.linger_s=120", "-X", "record.dir=" + d, "-X", "record.pcap=true",
                             "-X", "record.min_free_mb=0", "-X", "record.devices=2000-2099", "-X", "numbers.country_code=49",
                             "-o", "jsonl:" + out], env=dict(os.environ, CTITAP_CONFIG=""))
    auth = {"Authorization": "Basic " + base64.b64encode(b"qa:s3cret").decode()}

    def get(path, headers=auth):
        req = urllib.request.Request("http://127.0.0.1:%d%s" % (port, path), headers=headers)
        try:
            with urllib.request.urlopen(req, timeout=10) as r:
                return r.status, r.headers.get("Content-Type"), r.read()
        except urllib.error.HTTPError as e:
            return e.code, e.headers.get("Content-Type"), e.read()
    deadline = time.time() + 60
    while time.time() < deadline and not (os.path.exists(out) and '"final":true' in open(out).read()):
        time.sleep(0.1)
    try:
        recs = records(out)
        named = {}  # call id -> {file: sha256} its recording records name
        alias = {m: r["call"] for r in recs if r["type"] == "call" for m in r["merged"]}
        for r in recs:
            if r["type"] == "recording" and r.get("file"):
                named.setdefault(alias.get(r["call"], r["call"]), {})[r["file"]] = r["sha256"]
        check(named, "served: the run's records name files")
        for cid, files in sorted(named.items()):
            st, _, page = get("/view/calls/%s.html" % cid)
            links = set(re.findall(r'href="\.\./files/([^"]+)"', page.decode()))
            check(st == 200 and links == set(files), "served %s: the call page links its %d files (%s)" % (
                cid, len(files), sorted(links ^ set(files))))
            for f, sha in sorted(files.items()):
                st, ctype, body = get("/view/files/" + f)
                check(st == 200 and hashlib.sha256(body).hexdigest() == sha and
                      ctype == ("audio/wav" if f.endswith(".wav") else "application/vnd.tcpdump.pcap"),
                      "served %s: /view/files/%s is the file its record hashes (%s, %s)" % (cid, f, st, ctype))
        some = sorted(next(iter(named.values())))[0]
        check(get("/view/files/" + some, headers={})[0] == 401, "served: without credentials, 401")
        for bad in ("chain/state", "../chain/state", some + ".part", some[:11] + "..%2F..%2Fchain%2Fstate",
                    some[:11], "2026/01/05/nothing.wav"):
            st, _, _ = get("/view/files/" + bad)
            check(st == 404, "served: /view/files/%s answers 404 (%d)" % (bad, st))
    finally:
        proc.terminate()
        check(proc.wait(timeout=30) == 0, "served: the lingering ctitap ends cleanly on TERM")

if not public_only:
    print("SIGKILL mid-recording, then the next run on the same record.dir:")
    d = os.path.join(work, "killed")
    proc = subprocess.Popen([ctitap, "-q", "-r", os.path.join(src, "pcaps/demo-csta.pcap"), "-X", "capture.replay_speed=2",
                             "-X", "record.dir=" + d, "-X", "record.pcap=true", "-X", "record.min_free_mb=0",
                             "-X", "record.devices=2000-2099", "-X", "numbers.country_code=49",
                             "-o", "jsonl:" + os.path.join(work, "killed.jsonl")], env=dict(os.environ, CTITAP_CONFIG=""))
    # killed once a recording has written audio (a second of it is kept buffered): the CSTA
    # call's, 09:00:13 to 09:00:19 of packet time
    deadline = time.time() + 60

    def audio_part():
        return [os.path.join(r, f) for r, _, fs in os.walk(d) for f in fs
                if f.endswith(".wav.part") and os.path.getsize(os.path.join(r, f)) > 16000]
    while not audio_part() and time.time() < deadline and proc.poll() is None:
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    files = sorted(os.path.relpath(os.path.join(r, f), d) for r, _, fs in os.walk(d) for f in fs
                   if not os.path.relpath(r, d).startswith("chain"))
    parts = [f for f in files if f.endswith(".part")]
    part_size = {p: os.path.getsize(os.path.join(d, p)) for p in parts}
    check(any(f.endswith(".wav.part") for f in parts), "killed: a recording left as .part: %s" % parts)
    r = run([ctitap, "verify", d])
    check("everything agrees" in r.stdout and r.stdout.count("in progress") == len(parts),
          "killed: every file with a final name is in the chain, the .part files in progress: %s" % r.stdout.strip()[-300:])
    out = os.path.join(work, "after.jsonl")
    run([ctitap, "-q", "-r", os.path.join(src, "pcaps/demo.pcap"), "-X", "record.dir=" + d, "-X", "record.min_free_mb=0",
         "-X", "record.devices=9999", "-o", "jsonl:" + out])
    recs = records(out)
    repaired = [r["detail"] for r in recs if r["type"] == "audit" and r["kind"] == "recording_repaired"]
    check(len(repaired) == len(parts) and all(any(p[:-5] + "," in t for t in repaired) for p in parts),
          "killed: the next run repaired each .part, one recording_repaired audit each (%d)" % len(repaired))
    left = [f for _, _, fs in os.walk(d) for f in fs if f.endswith(".part") or f.endswith(".broken")]
    check(not left, "killed: nothing left unfinished: %s" % left)
    for p in parts:
        if p.endswith(".wav.part"):
            path = os.path.join(d, p[:-5])
            soxi = {k: subprocess.run(["soxi", k, path], capture_output=True, text=True).stdout.strip() for k in ("-c", "-e", "-D")}
            code, chans, rate, data = wav(path)
            check(soxi["-c"] == "2" and soxi["-e"] == {6: "A-law", 7: "u-law"}.get(code) and
                  float(soxi["-D"] or 0) >= 1.0 and len(data) + 100 >= part_size[p] and abs(float(soxi["-D"]) * 16000 - len(data)) < 2,
                  "killed: the repaired %s is a stereo G.711 WAV soxi reads, %s s: the whole frames the crash left "
                  "(%d data bytes of a %d-byte .part)" % (p[:-5], soxi["-D"], len(data), part_size[p]))
    r = run([ctitap, "verify", d])
    check("everything agrees" in r.stdout and "in progress" not in r.stdout,
          "killed: ctitap verify passes after the repair: %s" % r.stdout.strip()[-200:])

shutil.rmtree(work)
sys.exit(golden.finish())
