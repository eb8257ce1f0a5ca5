#!/usr/bin/env python3
"""Pause for card payments (PCI DSS, issue 14): the payment IVR rule and pause on request, on real
bytes.

  test_recording_pause.py CTITAP SOURCE_DIR

The capture comes from the scenario generator (pcaps/gen/scenarios.py, s_payment_ivr with
Profile(codec="PCMU"): G.711 µ-law whose payloads are never µ-law silence): a caller reaches 2001,
which holds it, consults the payment IVR 7001 and conferences it in; the IVR leaves after 3 s,
2001 talks on, the caller hangs up. Expected moments come from the generator's own packet times
(its R0/R9 rules), never from ctitap.

1. File run, record.pause_devices=7000-7099: the recording records of 2001 are start (answered),
   pause (held), pause (payment) when the IVR rings, resume (payment) when it leaves, stop
   (cleared): no resume at its consultation answer or at the conference (which end the hold);
   the WAV, decoded here from its RIFF bytes (and soxi for its length), holds audio before the
   hold and after the IVR left and µ-law silence between (pause_mode silence), and is the
   recorded time only with pause_mode cut; ctitap verify passes. The same capture without the
   setting resumes at the consultation (the rule is what pauses).
2. Live, on loopback: the capture replayed at real speed (capture.replay_speed=1) with
   http.listen on 127.0.0.1 and http.user; POST /record/pause and /record/resume without
   credentials (401), with a wrong password (401), with them (200; 409 when nothing changes; 404
   for a device without recording; 400 without device; GET answered 405), and on an endpoint
   without http.user (403). The records: pause (request) at the packet time it was asked; a
   resume asked during the hold writes no record and leaves it paused for the hold (answer:
   paused_for [held]); a second pause during the consultation survives the conference's retrieve
   and the call stops while paused. /metrics counts the requests accepted and refused.
Exit 77 when sox (soxi) or curl is missing.
"""
import base64
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

ctitap, src = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
sys.path.insert(0, os.path.join(src, "tests", "golden"))
sys.path.insert(0, os.path.join(src, "pcaps", "gen"))
sys.dont_write_bytecode = True
import golden  # noqa: E402
from golden import check  # noqa: E402
import scenarios as S  # noqa: E402
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import recaudio  # noqa: E402

if not shutil.which("soxi"):
    print("SKIP: soxi (sox) is not installed")
    sys.exit(77)

work = tempfile.mkdtemp(prefix="ctitap-pause-")
sc = S.Scen("payment_ivr", 30, "card payment through an IVR conferenced in", v=S.Profile(codec="PCMU"))
K = S.s_payment_ivr(sc)
sc.write(work)
CAP = os.path.join(work, "payment_ivr.pcap")
BASE = ["-X", "record.devices=2001-2009", "-X", "numbers.country_code=49", "-X", "record.pause_on_hold=true"]
PACKET_US = 20000


def run(args):
    r = subprocess.run([ctitap] + args, capture_output=True, text=True, env=dict(os.environ, CTITAP_CONFIG=""))
    if r.returncode != 0:
        print(r.stderr)
    return r


def records(path, kind):
    with open(path) as f:
        return [r for r in map(json.loads, f) if r["type"] == kind]


def actions(recs):
    """2001's pauses, resumes, start and stop (updates name media: not the subject here)."""
    return [(r["action"], r["reason"]) for r in recs if r["device"] == "2001" and r["action"] != "update"]


def near(a, b, tol=1000):
    return abs(S.us_of(a) - b) <= tol


def channel(data, ch):
    return data[ch::2]


def loud(ch, a, b):
    """Share of the bytes in [a, b) (samples) that are not µ-law silence (0xff, 0x7f)."""
    seg = ch[max(a, 0):b]
    return sum(1 for x in seg if x not in (0xFF, 0x7F)) / max(len(seg), 1)


# ---- 1. the payment IVR rule, from a file ----------------------------------------------------
def file_run(name, *extra):
    out, d = os.path.join(work, name + ".jsonl"), os.path.join(work, name)
    r = run(["-r", CAP, "-o", "jsonl:" + out, "-X", "record.dir=" + d] + BASE + list(extra))
    check(r.returncode == 0, "%s: ctitap exits 0" % name)
    return records(out, "recording"), records(out, "call"), d


recs, calls, d = file_run("payment", "-X", "record.pause_devices=7000-7099")
want = [("start", "answered"), ("pause", "held"), ("pause", "payment"), ("resume", "payment"), ("stop", "cleared")]
check(actions(recs) == want, "payment IVR: 2001's records are %s (got %s)" % (want, actions(recs)))
mine = [r for r in recs if r["device"] == "2001" and r["action"] != "update"]
if len(mine) == 5:
    for r, t, what in ((mine[0], K["an1"], "its answer"), (mine[1], K["th"], "the hold"),
                       (mine[2], K["al2"], "the IVR ringing (R9)"), (mine[3], K["ivr_left"], "the IVR leaving"),
                       (mine[4], K["a1_left"], "its release")):
        check(near(r["ts"], t), "%s %s at %s (%s, want %s)" % (r["action"], r["reason"], what, r["ts"], S.ts(t)))
check(not any(r["device"] == "7001" for r in recs), "the IVR itself is not recorded (not in record.devices)")
ivs = calls[0]["recording"][0]["intervals"] if calls and calls[0]["recording"] else []
check([(near(i["start"], a), near(i["end"], b)) for i, a, b in
       zip(ivs, (K["an1"], K["ivr_left"]), (K["th"], K["a1_left"]))] == [(True, True)] * 2 and len(ivs) == 2,
      "the call record's intervals: answer..hold, IVR gone..release (%s)" % ivs)
stop = mine[-1] if mine else {}
wav = os.path.join(d, stop.get("file", "missing"))
check(os.path.isfile(wav), "the stop record names its WAV %s" % stop.get("file"))
if os.path.isfile(wav):
    tag, nch, rate, data = recaudio.wav(wav)
    check((tag, nch, rate) == (7, 2, 8000), "µ-law stereo 8 kHz as on the wire (format %d, %d ch, %d Hz)" % (tag, nch, rate))
    secs = float(subprocess.run(["soxi", "-D", wav], capture_output=True, text=True).stdout)
    span = (K["a1_left"] - K["an1"]) / 1e6
    check(abs(secs - span) <= 0.02, "pause_mode silence: soxi says %.3f s, the recording's span %.3f s" % (secs, span))
    agent = channel(data, 1)
    pos = lambda t: (t - K["an1"]) * 8000 // 1000000  # noqa: E731
    m = 3 * PACKET_US * 8 // 1000 + 960  # three packets and the jitter hold's edge
    check(loud(agent, pos(K["an1"]) + m, pos(K["th"]) - m) > 0.95,
          "audio before the hold (%.2f of the bytes)" % loud(agent, pos(K["an1"]) + m, pos(K["th"]) - m))
    check(loud(agent, pos(K["th"]) + m, pos(K["ivr_left"]) - m) == 0 and
          loud(channel(data, 0), pos(K["th"]) + m, pos(K["ivr_left"]) - m) == 0,
          "µ-law silence on both channels from the hold until the IVR left (%.1f s: its consultation and "
          "the conference with it included)" % ((K["ivr_left"] - K["th"]) / 1e6))
    check(loud(agent, pos(K["ivr_left"]) + m, pos(K["a1_left"]) - m) > 0.95,
          "audio again once the IVR left (%.2f)" % loud(agent, pos(K["ivr_left"]) + m, pos(K["a1_left"]) - m))
v = subprocess.run([ctitap, "verify", d], capture_output=True, text=True)
check(v.returncode == 0, "ctitap verify passes on the pauses' chain entries")
chain = []
for f in sorted(os.listdir(os.path.join(d, "chain"))):
    if f.endswith(".jsonl"):
        chain += [json.loads(x) for x in open(os.path.join(d, "chain", f))]
check([(e.get("action"), e.get("reason")) for e in chain if e.get("action") in ("pause", "resume")]
      == [("pause", "held"), ("pause", "payment"), ("resume", "payment")],
      "the chain holds every pause and resume (the payment pause during the hold too)")

recs_cut, _, dcut = file_run("payment_cut", "-X", "record.pause_devices=7000-7099", "-X", "record.pause_mode=cut")
stop = [r for r in recs_cut if r["action"] == "stop"]
if check(len(stop) == 1, "pause_mode cut: one file"):
    secs = float(subprocess.run(["soxi", "-D", os.path.join(dcut, stop[0]["file"])], capture_output=True,
                                text=True).stdout)
    want_s = (K["th"] - K["an1"] + K["a1_left"] - K["ivr_left"]) / 1e6
    check(abs(secs - want_s) <= 0.04, "pause_mode cut: %.3f s, the recorded time %.3f s" % (secs, want_s))

recs_no, _, _ = file_run("no_rule")
check(actions(recs_no) == [("start", "answered"), ("pause", "held"), ("resume", "consultation"), ("stop", "cleared")],
      "without record.pause_devices the consultation with 7001 is recorded (%s)" % actions(recs_no))


# ---- 2. pause on request, live on loopback ---------------------------------------------------
def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


def post_json(url, path, body=None, auth=None):
    st, txt = post(url, path, body, auth)
    try:
        return st, json.loads(txt)
    except ValueError:
        return st, {}


def post(url, path, body=None, auth=None, method="POST"):
    req = urllib.request.Request(url + path, data=body.encode() if body is not None else (b"" if method == "POST" else None),
                                 method=method)
    if body is not None:
        req.add_header("Content-Type", "application/x-www-form-urlencoded")
    if auth:
        req.add_header("Authorization", "Basic " + base64.b64encode(auth.encode()).decode())
    try:
        with urllib.request.urlopen(req, timeout=5) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()
    except (urllib.error.URLError, ConnectionError, socket.timeout):
        return 0, ""


def wait_status(url, path, auth, want, until, body=None):
    """POSTs every 50 ms until the answer's status is want and until(json) holds; (status, json)."""
    end = time.time() + 25
    st, js = 0, {}
    while time.time() < end:
        st, txt = post(url, path, body, auth)
        try:
            js = json.loads(txt)
        except ValueError:
            js = {}
        if st == want and until(js):
            return st, js
        time.sleep(0.05)
    return st, js


pw = os.path.join(work, "pw")
with open(pw, "w") as f:
    f.write("s3cret\n")
port = free_port()
url = "http://127.0.0.1:%d" % port
live_out = os.path.join(work, "live.jsonl")
t_start = time.time()
proc = subprocess.Popen([ctitap, "-r", CAP, "-X", "capture.replay_speed=1", "-X", "http.listen=127.0.0.1:%d" % port,
                         "-X", "http.user=desk", "-X", "http.password_file=" + pw, "-o", "jsonl:" + live_out] + BASE,
                        stderr=subprocess.PIPE, text=True, env=dict(os.environ, CTITAP_CONFIG=""))
AUTH = "desk:s3cret"
st, _ = wait_status(url, "/record/pause?device=2001", None, 401, lambda j: True)
check(st == 401, "no credentials: 401 (%d)" % st)
st, _ = post(url, "/record/pause?device=2001", auth="desk:wrong")
check(st == 401, "a wrong password: 401 (%d)" % st)
st, _ = post(url, "/record/pause?device=2001", auth=AUTH, method="GET")
check(st == 405, "GET /record/pause: 405 (%d)" % st)
st, js = post(url, "/record/pause", "", AUTH)
check(st == 400, "no device: 400 (%d %s)" % (st, js))
st, js = post(url, "/record/pause", "device=2002", AUTH)
check(st == 404 and "error" in json.loads(js or "{}"), "a device without recording: 404 with why (%d %s)" % (st, js))
# 404 until 2001 answers, then paused: the form body this time
st, js = wait_status(url, "/record/pause", AUTH, 200, lambda j: True, body="device=2001")
check(st == 200 and js.get("state") == "paused" and js.get("paused_for") == ["request"] and js.get("call"),
      "pause once 2001 records: 200, paused for request, its call id (%s)" % js)
call_id = js.get("call")
st, js2 = post(url, "/record/pause?device=2001&call=sip-0000000000000000", auth=AUTH)
check(st == 404, "another call's id: 404 (%d)" % st)
st, js2 = wait_status(url, "/record/pause?device=2001&call=%s" % call_id, AUTH, 409,
                      lambda j: "held" in j.get("paused_for", []))
check(st == 409 and js2.get("error") == "already paused on request" and js2.get("paused_for") == ["held", "request"],
      "paused again: 409 already paused, and the hold came (%s)" % js2)
st, js3 = post_json(url, "/record/resume", "device=2001", AUTH)
check(st == 200 and js3.get("state") == "paused" and js3.get("paused_for") == ["held"],
      "resume during the hold: 200, still paused for the hold (%s)" % js3)
st, js4 = post_json(url, "/record/resume", "device=2001", AUTH)
check(st == 409 and js4.get("error") == "not paused on request", "resume again: 409 not paused on request (%s)" % js4)
# the consultation answered: recording again; paused on request until the call ends
st, _ = wait_status(url, "/record/resume", AUTH, 409, lambda j: j.get("state") == "recording", body="device=2001")
check(st == 409, "the 409's state tells when the consultation's answer resumed it")
st, js5 = post_json(url, "/record/pause", "device=2001", AUTH)
check(st == 200 and js5.get("paused_for") == ["request"], "paused again during the consultation (%s)" % js5)
metrics = urllib.request.urlopen(urllib.request.Request(url + "/metrics", headers={
    "Authorization": "Basic " + base64.b64encode(AUTH.encode()).decode()}), timeout=5).read().decode()
acc = [l for l in metrics.splitlines() if l.startswith('ctitap_record_requests_total{outcome="accepted"}')]
check(acc == ['ctitap_record_requests_total{outcome="accepted"} 3'], "/metrics: 3 requests accepted (%s)" % acc)
rc = proc.wait(timeout=45)
elapsed = time.time() - t_start
check(rc == 0, "the live run exits 0 after %.1f s" % elapsed)
live = [r for r in records(live_out, "recording") if r["device"] == "2001" and r["action"] != "update"]
got = [(r["action"], r["reason"]) for r in live]
want = [("start", "answered"), ("pause", "request"), ("pause", "held"), ("resume", "consultation"),
        ("pause", "request"), ("stop", "cleared")]
check(got == want, "live: the records are %s (got %s): no resume record while the hold kept it paused, "
      "none at the conference's retrieve" % (want, got))
if got == want:
    ts = [S.us_of(r["ts"]) for r in live]
    check(ts[0] <= ts[1] < K["th"], "the first request pause is dated in packet time between the answer and the hold")
    check(K["an2"] <= ts[4] < K["a1_left"], "the second between the consultation's answer and the end")
    check(near(live[5]["ts"], K["a1_left"]), "the call ending while paused stops normally at 2001's release")
    call = [c for c in records(live_out, "call")][0]
    ivs = call["recording"][0]["intervals"]
    check(len(ivs) == 2 and near(ivs[1]["start"], K["an2"]) and ivs[1]["end"] == live[4]["ts"],
          "the call record's intervals end at each pause (%s)" % ivs)

# without http.user: refused, 403
port2 = free_port()
proc2 = subprocess.Popen([ctitap, "-r", CAP, "-X", "capture.replay_speed=4", "-X", "http.listen=127.0.0.1:%d" % port2,
                          "-o", "jsonl:" + os.path.join(work, "noauth.jsonl")] + BASE,
                         stderr=subprocess.DEVNULL, env=dict(os.environ, CTITAP_CONFIG=""))
st, js = wait_status("http://127.0.0.1:%d" % port2, "/record/pause?device=2001", None, 403, lambda j: True)
check(st == 403 and "http.user" in js.get("error", ""), "without http.user: 403 (%d %s)" % (st, js))
proc2.wait(timeout=30)
check(not [r for r in records(os.path.join(work, "noauth.jsonl"), "recording") if r["reason"] == "request"],
      "and nothing paused")

print(work) if golden.failures else shutil.rmtree(work, ignore_errors=True)
sys.exit(golden.finish())
