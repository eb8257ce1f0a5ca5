#!/usr/bin/env python3
"""The call view in a real browser: Debian's Chromium, headless, driven through the DevTools
protocol (tests/web/cdp.py), loads pages `ctitap --html` wrote, from a loopback HTTP server, and
the same pages live from ctitap's own endpoint (/view/ of http.listen) while it reads a capture.

  test_view_browser.py CTITAP SOURCE_DIR ARTEFACT_DIR VIEW_RENDER

What is checked, against what this script counts in the JSON lines itself (never against the
renderer's own numbers):
  - the demo (pcaps/demo-csta.pcap, written as .zst) and scenario captures with a trunk, a
    consultation transfer, a conference and holds: the index lists every call, its script
    filters by the query as the records say; without JavaScript the index shows every call and
    the live view's server-side filter (the store, through view_render) the matching ones only;
    each call's page has one arrow (g.msg) and one
    table row per SIP and CSTA message of the call, records of merged ids included; each arrow's
    hover title names the message's SIP Call-ID or CSTA call id; the lanes are the call's hosts
    and are named by role (carrier/SBC, PBX, phone <device>, PBX CTI interface, CTI
    application); one hold span per hold, one recording span per recording interval, ringing
    and talk spans; transfer and conference marks; one RTP band per stream; the correlation
    evidence as the call record says it; no Content-Security-Policy violation, no script error;
  - XSS: a capture whose Call-ID and User-Agent carry markup, and records with markup appended
    to every text field (display names, devices, evidence, audit details, file names), load
    with the CSP enforced and with it bypassed (escaping alone): no dialog opened, no <img>, no
    <script> but the index's own, no on* attribute, no javascript: link, and the payloads are
    there as text.
  - live: `ctitap -r pcaps/demo-csta.pcap -X http.listen=127.0.0.1:PORT -X http.linger_s=...
    -X capture.replay_speed=...` serves /view/ while it reads (the index mid-replay lists the calls
    begun so far) and once every record is written; every check above runs on those pages too,
    against the records the same run wrote to its JSON-lines output, each live page is the
    bytes `ctitap --html` draws from that output, the answers carry the view's
    Content-Security-Policy, nosniff and no-store headers; the XSS capture through the live
    endpoint too. The README's screenshot (docs/view-demo-call.png) is the live demo's.
Screenshots of every page are kept in ARTEFACT_DIR (their paths are printed). Exit 77 (skip)
when Chromium or python3-websocket is missing.
"""
import atexit
import functools
import glob
import http.server
import json
import os
import shutil
import socket
import subprocess
import sys
import threading
import time
import urllib.parse
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "golden"))
import cdp  # noqa: E402
from pcapgen import udp_frame, write_pcap_at  # noqa: E402

ctitap, src, art, view_render = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4]
failures = []
checks = 0


def check(cond, what):
    global checks
    checks += 1
    if not cond:
        failures.append(what)
        print("FAIL:", what)


if cdp.websocket is None and sys.executable != "/usr/bin/python3" and os.path.exists("/usr/bin/python3"):
    # python3-websocket is Debian's: another python3 first on PATH (pyenv, a venv) lacks it
    os.execv("/usr/bin/python3", ["/usr/bin/python3"] + sys.argv)
if not cdp.find_chromium() or cdp.websocket is None:
    print("SKIP: chromium or python3-websocket not installed (apt-get install chromium python3-websocket)")
    sys.exit(77)

shutil.rmtree(art, ignore_errors=True)
os.makedirs(art)
work = os.path.join(art, "work")
os.makedirs(work)


def run(*args):
    r = subprocess.run(list(args), capture_output=True, text=True)
    if r.returncode != 0:
        print(r.stdout, r.stderr)
        sys.exit("FAIL: %s exited %d" % (" ".join(args), r.returncode))
    return r


# ---- records ----

def records(path):
    if path.endswith(".zst"):
        data = subprocess.run(["zstdcat", path], capture_output=True, check=True).stdout.decode()
    else:
        data = open(path, encoding="utf-8").read()
    return [json.loads(line) for line in data.splitlines() if line.strip()]


def calls_of(recs):
    """Surviving call id -> {"call": record or None, "recs": [...]}, merged ids folded in."""
    alias = {}
    for r in recs:
        if r["type"] == "call":
            for m in r["merged"]:
                alias[m] = r["call"]
    out = {}
    for r in recs:
        if "call" not in r or r["type"] == "stats":
            continue
        cid = r["call"]
        seen = set()
        while cid in alias and cid not in seen:
            seen.add(cid)
            cid = alias[cid]
        c = out.setdefault(cid, {"call": None, "recs": []})
        c["recs"].append(r)
        if r["type"] == "call":
            c["call"] = r
    return out


def is_message(r):
    return r["type"] == "event" and r.get("src") in ("sip", "csta") and r.get("name") not in ("dialog_end", "agent_state")


def host(addr):
    if addr.startswith("["):
        return addr[1:addr.index("]")]
    return addr.rsplit(":", 1)[0] if addr.count(":") == 1 else addr


# demo, as the README runs it, zstd-compressed
demo = os.path.join(work, "demo.jsonl.zst")
run(ctitap, "-q", "-r", os.path.join(src, "pcaps/demo-csta.pcap"), "-X", "record.devices=2000-2099",
    "-X", "numbers.country_code=49", "-o", "jsonl:" + demo)
# scenarios with a trunk, transfers, a conference, holds, under their own settings
scen = os.path.join(work, "scenarios.jsonl")
for name in ("consultation_transfer", "conference", "hold_retrieve", "single_step_transfer"):
    exp = json.load(open(os.path.join(src, "pcaps/scenarios", name + ".expect.json")))
    args = [ctitap, "-q", "-r", os.path.join(src, "pcaps/scenarios", name + ".pcap"), "-o", "jsonl:" + os.path.join(work, name + ".jsonl")]
    for k, v in exp.get("settings", {}).items():
        args += ["-X", "%s=%s" % (k, v)]
    run(*args)
with open(scen, "w") as out:
    for name in ("consultation_transfer", "conference", "hold_retrieve", "single_step_transfer"):
        out.write(open(os.path.join(work, name + ".jsonl")).read())

# ---- the XSS probe: a capture, then records with markup in every text ----
P = ['<script>alert(1)</script>', '"><img src=x onerror=alert(1)>', "'><svg onload=alert(3)>", "javascript:alert(4)"]
CID = P[0] + "@10.9.1.10"


def sip(first, cseq, method, to_tag=""):
    body = ""
    if method == "INVITE" and first.startswith("INVITE"):
        body = ("v=0\r\no=- 1 1 IN IP4 10.9.1.10\r\ns=-\r\nc=IN IP4 10.9.1.10\r\nt=0 0\r\n"
                "m=audio 40000 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n")
    h = [first, "Via: SIP/2.0/UDP 10.9.1.10:5060;branch=z9hG4bK-x%d%s" % (cseq, method),
         'From: "\\"><img src=x onerror=alert(1)>" <sip:2000@10.9.0.1>;tag=aa11',
         "To: <sip:0301234567@10.9.0.1>" + to_tag, "Call-ID: " + CID, "CSeq: %d %s" % (cseq, method),
         "Max-Forwards: 70", "User-Agent: " + P[0] + " " + P[1], "Content-Length: %d" % len(body)]
    return ("\r\n".join(h) + "\r\n\r\n" + body).encode()


PHONE, PBX = ("10.9.1.10", 5060), ("10.9.0.1", 5060)
T = 1767603600 * 1000000
xss_pcap = os.path.join(work, "xss.pcap")
write_pcap_at(xss_pcap, [
    (T, udp_frame(PHONE, PBX, sip("INVITE sip:0301234567@10.9.0.1 SIP/2.0", 1, "INVITE"), 1)),
    (T + 100000, udp_frame(PBX, PHONE, sip("SIP/2.0 180 Ringing", 1, "INVITE", ";tag=bb22"), 2)),
    (T + 2000000, udp_frame(PBX, PHONE, sip("SIP/2.0 200 OK", 1, "INVITE", ";tag=bb22"), 3)),
    (T + 2100000, udp_frame(PHONE, PBX, sip("ACK sip:0301234567@10.9.0.1 SIP/2.0", 1, "ACK", ";tag=bb22"), 4)),
    (T + 5000000, udp_frame(PHONE, PBX, sip("BYE sip:0301234567@10.9.0.1 SIP/2.0", 2, "BYE", ";tag=bb22"), 5)),
    (T + 5100000, udp_frame(PBX, PHONE, sip("SIP/2.0 200 OK", 2, "BYE", ";tag=bb22"), 6))])
xss = os.path.join(work, "xss.jsonl")
run(ctitap, "-q", "-r", xss_pcap, "-X", "record.devices=2000", "-o", "jsonl:" + xss)
xss_recs = records(xss)
check(any(r.get("call_id") == CID for r in xss_recs), "the probe's Call-ID reached the records as sent")

KEEP = {"type", "call", "ts", "v", "id", "src", "name", "start", "answer", "end", "first", "last", "alerted", "answered",
        "released", "merged"}


def poison(v, key, n=[0]):
    """Every text of a record gets a payload appended (a different one each time)."""
    if isinstance(v, dict):
        return {k: (x if k in KEEP else poison(x, k)) for k, x in v.items()}
    if isinstance(v, list):
        return [poison(x, key) for x in v]
    if isinstance(v, str):
        n[0] += 1
        return v + P[n[0] % len(P)]
    return v


crafted = [poison(r, None) for r in xss_recs if "call" in r]
xcall = next(r["call"] for r in xss_recs if r["type"] == "call")
crafted += [
    {"type": "recording", "v": 1, "id": "recording-00000000000000f1", "sensor": "vm", "ts": "2026-01-05T09:00:04.000000Z",
     "call": xcall, "action": "stop", "device": "2000" + P[1], "reason": "cleared", "file": "rec/" + P[1] + ".wav",
     "sha256": P[0], "pcap": P[3]},
    {"type": "recording", "v": 1, "id": "recording-00000000000000f2", "sensor": "vm", "ts": "2026-01-05T09:00:04.500000Z",
     "call": xcall, "action": "stop", "device": "2000", "reason": "cleared", "file": "../../etc/passwd"},
    {"type": "audit", "v": 1, "id": "audit-00000000000000f3", "sensor": "vm", "ts": "2026-01-05T09:00:03.000000Z",
     "call": xcall, "kind": "x" + P[2], "detail": P[1] + P[0]},
]
xss_crafted = os.path.join(work, "xss-crafted.jsonl")
with open(xss_crafted, "w") as f:
    for r in crafted:
        f.write(json.dumps(r, ensure_ascii=False) + "\n")

# ---- export ----
sites = {"demo": [demo], "scenarios": [scen], "xss": [xss], "xss-crafted": [xss_crafted]}
for name, inputs in sites.items():
    run(ctitap, "-q", "--html", os.path.join(work, "site-" + name), *inputs)

# ---- live: ctitap's own endpoint while it reads the capture, then while it lingers ----

def free_port():
    with socket.socket() as so:
        so.bind(("127.0.0.1", 0))
        return so.getsockname()[1]


def fetch(url):
    with urllib.request.urlopen(url, timeout=10) as r:
        return r.status, dict(r.headers), r.read()


RUNNING = []


@atexit.register
def stop_running():
    """A failed check ends the script: the lingering ctitaps end with it."""
    for p in RUNNING:
        if p.poll() is None:
            p.kill()
            p.wait()


class Live:
    """ctitap reading a capture at replay_speed with its endpoint on, lingering after the end."""

    def __init__(self, name, pcap, settings, speed):
        self.port = free_port()
        self.out = os.path.join(work, "live-%s.jsonl" % name)
        args = [ctitap, "-q", "-r", pcap, "-X", "http.listen=127.0.0.1:%d" % self.port, "-X", "http.linger_s=300",
                "-X", "capture.replay_speed=%d" % speed, "-o", "jsonl:" + self.out]
        for k, v in settings:
            args += ["-X", "%s=%s" % (k, v)]
        self.proc = subprocess.Popen(args)
        self.base = "http://127.0.0.1:%d/view/" % self.port
        RUNNING.append(self.proc)
        deadline = time.time() + 20
        while True:
            try:
                fetch("http://127.0.0.1:%d/metrics" % self.port)
                break
            except OSError:
                if time.time() > deadline or self.proc.poll() is not None:
                    sys.exit("FAIL: ctitap's endpoint on port %d did not come up" % self.port)
                time.sleep(0.05)

    def finished(self, timeout=120):
        """Waits until the run wrote its final stats record (every record written; it lingers)."""
        deadline = time.time() + timeout
        while time.time() < deadline:
            if os.path.exists(self.out):
                lines = open(self.out, encoding="utf-8").read().splitlines()
                if lines and '"final":true' in lines[-1]:
                    return
            if self.proc.poll() is not None:
                sys.exit("FAIL: ctitap ended (%s) instead of lingering" % self.proc.returncode)
            time.sleep(0.1)
        sys.exit("FAIL: the live run did not finish its input in %d s" % timeout)

    def stop(self):
        self.proc.terminate()
        check(self.proc.wait(timeout=30) == 0, "the lingering ctitap ends cleanly on TERM")


# recorded by ctitap itself: the call pages link the recordings its records name
DEMO_SETTINGS = [("record.devices", "2000-2099"), ("numbers.country_code", "49"),
                 ("record.dir", os.path.join(work, "live-rec")), ("record.pcap", "true"), ("record.min_free_mb", "0")]
live_demo = Live("demo", os.path.join(src, "pcaps/demo-csta.pcap"), DEMO_SETTINGS, 8)
# mid-replay (23.7 s of capture at 8x: about 3 s): the index already lists what began
time.sleep(1.0)
st, hdr, mid = fetch(live_demo.base)
check(st == 200 and b'id="calls"' in mid, "live: the index answers while the capture is being read")
mid_rows = mid.count(b'<a href="calls/')
live_demo.finished()
st, hdr, page = fetch(live_demo.base + "index.html")
check(hdr.get("Content-Security-Policy", "").startswith("default-src 'none'") and
      "frame-ancestors 'none'" in hdr.get("Content-Security-Policy", ""),
      "live: the Content-Security-Policy header, with frame-ancestors: %s" % hdr.get("Content-Security-Policy"))
check(hdr.get("X-Content-Type-Options") == "nosniff" and hdr.get("Cache-Control") == "no-store",
      "live: nosniff and no-store headers")
end_rows = page.count(b'<a href="calls/')
check(0 < mid_rows <= end_rows, "live: mid-replay the index listed %d calls, at the end %d" % (mid_rows, end_rows))
print("live: the index listed %d calls 1 s into the replay, %d at its end" % (mid_rows, end_rows))
# the live pages are the export's bytes for the same records
run(ctitap, "-q", "--html", os.path.join(work, "site-live-demo"), live_demo.out)
exported = sorted(glob.glob(os.path.join(work, "site-live-demo", "calls", "*.html")))
check(len(exported) == end_rows, "live: as many call pages as the export of the run's output (%d)" % len(exported))
for path in ["index.html"] + ["calls/" + os.path.basename(e) for e in exported]:
    st, _, body = fetch(live_demo.base + path)
    check(st == 200 and body == open(os.path.join(work, "site-live-demo", path), "rb").read(),
          "live: /view/%s is the bytes ctitap --html draws from the run's own output" % path)
st, _, body = fetch(live_demo.base + "index.html?disp=busy&number=%2B49")
check(st == 200 and body.count(b'<a href="calls/') < end_rows, "live: the server-side filter narrows the index")
# the recordings the pages link (../files/ from calls/) are served only with http.user set
# (tests/app/test_recording.py fetches them with credentials)
linked = [r["file"] for r in records(live_demo.out) if r["type"] == "recording" and r.get("file")]
try:
    fetch(live_demo.base + "files/" + linked[0])
    check(False, "live: a linked recording is not served without authentication")
except urllib.error.HTTPError as e:
    check(e.code == 403, "live: a linked recording is refused (403) without http.user (%d)" % e.code)
for bad in ("calls/../../etc/passwd", "calls/sip-0000000000000000.html", "calls/%3Cscript%3E.html", "nothing"):
    try:
        fetch(live_demo.base + bad)
        check(False, "live: /view/%s is not found" % bad)
    except urllib.error.HTTPError as e:
        check(e.code == 404, "live: /view/%s answers 404 (%d)" % (bad, e.code))
live_xss = Live("xss", xss_pcap, [("record.devices", "2000")], 50)
live_xss.finished()

# ---- serve and browse ----


class Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *a):
        pass


httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Quiet, directory=work))
threading.Thread(target=httpd.serve_forever, daemon=True).start()
base = "http://127.0.0.1:%d/" % httpd.server_address[1]

COUNT = "document.querySelectorAll(%s).length"
shots = []


def q(sel):
    return COUNT % json.dumps(sel)


def clean_load(page, what):
    bad = [e for e in page.logs if e.get("source") in ("security", "violation") or e.get("level") == "error"]
    check(not bad, "%s: no CSP violation or error in the console: %s" % (what, bad[:3]))
    check(not page.exceptions, "%s: no script exception: %s" % (what, page.exceptions[:3]))
    check(not page.dialogs, "%s: no dialog opened: %s" % (what, page.dialogs))


def shot(page, name):
    p = page.screenshot(os.path.join(art, name + ".png"))
    shots.append(p)


ROLE_NAMES = ("carrier/SBC", "PBX", "PBX (SIP + CTI)", "PBX CTI interface", "CTI application", "media", "host")


def check_site(b, name, inputs, site=None):
    """site: the pages' URL (default: the export's); a live one filters on the server."""
    calls = {}
    for path in inputs:
        calls.update(calls_of(records(path)))
    live_site = site is not None
    site = site or base + "site-%s/" % name
    idx = b.open(site + "index.html")
    clean_load(idx, name + " index")
    shot(idx, name + "-index")
    check(idx.eval(q("#calls tbody tr")) == len(calls), "%s: index lists %d calls" % (name, len(calls)))
    links = idx.eval("[...document.querySelectorAll('#calls tbody a[href^=\"calls/\"]')].map(a => a.getAttribute('href'))")
    check(sorted(links) == sorted("calls/%s.html" % c for c in calls), "%s: index links every call's page" % name)
    # the filter, from the query, as the records say
    for disp in sorted({c["call"]["disposition"] for c in calls.values() if c["call"]}):
        want = sum(1 for c in calls.values() if c["call"] and c["call"]["disposition"] == disp)
        f = b.open(site + "index.html?disp=" + disp)
        shown = f.eval("[...document.querySelectorAll('#calls tbody tr')].filter(r => !r.hidden).length")
        check(shown == want and f.eval("document.getElementById('shown').textContent") == str(want),
              "%s: ?disp=%s shows %d calls (got %s)" % (name, disp, want, shown))
    # the other filters, with the page's script (and on the live view the server's first), by
    # what the call records say: number (any part of caller or called), agent (a device or agent
    # id, whole), audit kind, start time from (inclusive) and to (exclusive)
    recd = {cid: c["call"] for cid, c in calls.items() if c["call"]}
    if len(recd) == len(calls):
        starts = sorted(c["start"] for c in recd.values())
        mid = starts[len(starts) // 2]
        devs = sorted({p["device"] for c in recd.values() for p in c["parties"]})
        kinds = sorted({a["kind"] for c in recd.values() for a in c.get("audit", [])})
        queries = [("number", "+49"), ("number", "089"), ("from", mid), ("to", mid)]
        queries += [("agent", d) for d in devs[:2]] + [("audit", k) for k in kinds[:2]]
        for key, val in queries:
            def hit(c):
                if key == "number":
                    return val in (c["calling"] or "") + " " + (c["called"] or "")
                if key == "agent":
                    return any(val in (p["device"], p.get("agent_id")) for p in c["parties"])
                if key == "audit":
                    return any(a["kind"] == val for a in c.get("audit", []))
                return c["start"] >= val if key == "from" else c["start"] < val
            want = sum(1 for c in recd.values() if hit(c))
            f = b.open(site + "index.html?" + urllib.parse.urlencode({key: val}))
            shown = f.eval("[...document.querySelectorAll('#calls tbody tr')].filter(r => !r.hidden).length")
            check(shown == want, "%s: ?%s=%s shows %d calls (got %s)" % (name, key, val, want, shown))
        print("%s: the index filtered by %s" % (name, ", ".join("%s=%s" % q for q in queries)))
    else:
        print("%s: %d calls without a call record: the filters by field are left to the calls with one" % (
            name, len(calls) - len(recd)))
    # without JavaScript: the static page lists every call; the live view filters on the server
    nojs = b.open(site + "index.html?disp=busy", no_js=True)
    shown = nojs.eval("[...document.querySelectorAll('#calls tbody tr')].filter(r => !r.hidden).length")
    if live_site:
        want = sum(1 for c in calls.values() if c["call"] and c["call"]["disposition"] == "busy")
        check(shown == want and nojs.eval("document.getElementById('f-disp').value") == "busy",
              "%s: without JavaScript the live index is filtered on the server: %d calls (got %s)" % (name, want, shown))
        shot(nojs, "%s-filtered" % name)
    else:
        check(shown == len(calls), "%s: without JavaScript the static index shows all %d calls" % (name, len(calls)))
    plain = []
    for p in (() if live_site else inputs):  # the store gets what the pipeline would hand it: plain records
        if p.endswith(".zst"):
            p2 = p[:-4] + ".plain"
            with open(p2, "wb") as f:
                f.write(subprocess.run(["zstdcat", p], capture_output=True, check=True).stdout)
            p = p2
        plain.append(p)
    if plain:
        live = os.path.join(work, "live-" + name)
        run(view_render, live, *plain, "--", "index.html?disp=busy&number=%2B49")
        want = sum(1 for c in calls.values() if c["call"] and c["call"]["disposition"] == "busy" and "+49" in (c["call"]["calling"] or "") + " " + (c["call"]["called"] or ""))
        check(want > 0 or name != "demo", "the demo has a busy call from +49 to filter")
        lv = b.open(base + "live-%s/index.html_disp_busy_number_%%252B49.html" % name, no_js=True)
        check(lv.eval(q("#calls tbody tr")) == want and lv.eval("document.getElementById('f-disp').value") == "busy"
              and lv.eval("document.getElementById('f-number').value") == "+49",
              "%s: the live view's server-side filter, without JavaScript: %d calls, the form filled in" % (name, want))
        shot(lv, "%s-live-filtered" % name)
    for cid, c in sorted(calls.items()):
        call = c["call"]
        msgs = [r for r in c["recs"] if is_message(r)]
        streams = [r for r in c["recs"] if r["type"] == "event" and r.get("name") == "rtp_stream"]
        page = b.open(site + "calls/%s.html" % cid)
        what = "%s %s" % (name, cid)
        clean_load(page, what)
        shot(page, "%s-%s" % (name, cid))
        shots.append(page.screenshot(os.path.join(art, "%s-%s-ladder.png" % (name, cid)), until=".ladder"))
        n = page.eval(q("svg g.msg"))
        check(n == len(msgs), "%s: %d arrows for its %d SIP and CSTA messages" % (what, n, len(msgs)))
        check(page.eval(q("#msgs tbody tr")) == len(msgs), "%s: one table row per message" % what)
        titles = page.eval("[...document.querySelectorAll('svg g.msg > title')].map(t => t.textContent)")
        for r in msgs:
            key = ("SIP Call-ID: " + r["call_id"]) if r["src"] == "sip" else ("CSTA call id: " + r.get("call_id", "(none)"))
            if not any(key in t for t in titles):
                check(False, "%s: an arrow's title names %s" % (what, key))
                break
        else:
            check(True, "")
        hosts = {host(a) for r in msgs for a in (r["from_addr"], r["to_addr"])}
        hosts |= {r[k] for r in streams for k in ("src_ip", "dst_ip")}
        lanes = page.eval("[...document.querySelectorAll('svg g.lane')].map(g => [g.querySelector('.ln').textContent, g.querySelector('.lip').textContent])")
        check(len(lanes) == min(len(hosts), 10), "%s: %d lanes for %d hosts" % (what, len(lanes), len(hosts)))
        check({ip for _, ip in lanes} == hosts, "%s: the lanes are the call's hosts %s" % (what, sorted(hosts)))
        names = [ln for ln, _ in lanes]
        check(all(n in ROLE_NAMES or n.startswith("phone ") for n in names), "%s: lanes named by role: %s" % (what, names))
        if any(r["src"] == "csta" for r in msgs):
            check("CTI application" in names and any(n in ("PBX CTI interface", "PBX (SIP + CTI)") for n in names),
                  "%s: the CTI link's two sides are named: %s" % (what, names))
        if call:
            for p in call["parties"]:
                legs = [r for r in msgs if r["src"] == "sip" and r.get("name") == "invite" and p["device"] in (r.get("called"), r.get("calling"))]
                if legs:
                    check("phone " + p["device"] in names, "%s: the phone of %s is named: %s" % (what, p["device"], names))
            invites = [r for r in msgs if r["src"] == "sip" and r.get("name") == "invite"]
            if any(r["call_id"].endswith("-trunk@10.2.0.1") for r in invites):
                check("carrier/SBC" in names, "%s: the trunk's sender is the carrier/SBC: %s" % (what, names))
            check(page.eval(q("svg rect.hold")) == call["holds"], "%s: %d hold spans" % (what, call["holds"]))
            held = page.eval("[...document.querySelectorAll('svg rect.hold > title')].map(t => "
                             "parseFloat(t.textContent.match(/\\(([0-9.]+) s\\)$/)[1])).reduce((a, b) => a + b, 0)")
            check(abs(held * 1000 - call["hold_ms"]) <= 100,
                  "%s: the hold spans last %.3f s, the call record's hold_ms %d" % (what, held, call["hold_ms"]))
            nrec = sum(len(d["intervals"]) for d in call["recording"])
            check(page.eval(q("svg rect.rec")) == nrec, "%s: %d recording spans" % (what, nrec))
            check(page.eval(q("svg rect.ring")) == 1, "%s: a ringing span" % what)
            check(page.eval(q("svg rect.talk")) == (1 if call["answer"] else 0), "%s: a talk span when answered" % what)
            check(page.eval(q("svg g.mk-transfer")) == len(call["transfers"]), "%s: transfers marked" % what)
            check(page.eval(q("svg g.mk-conference")) == (1 if call["conference"] else 0), "%s: conference marked" % what)
            ev = page.eval("document.getElementById('evidence').textContent")
            check(ev.startswith(call["correlation"]["evidence"]), "%s: the evidence is spelled out" % what)
        audits = [r for r in c["recs"] if r["type"] == "audit"]
        check(page.eval(q("svg g.mk-audit")) == len(audits), "%s: %d audits marked" % (what, len(audits)))
        check(page.eval(q("svg g.rtps")) == len(streams) and page.eval(q("svg rect.rtp")) == len(streams),
              "%s: %d RTP streams drawn as bands" % (what, len(streams)))
    return calls


def check_xss(b, name, site=None):
    site = site or base + "site-%s/" % name
    pages = ["index.html"] + ["calls/" + os.path.basename(p) for p in sorted(glob.glob(os.path.join(work, "site-" + name.replace("live-", ""), "calls", "*.html")))]
    for bypass in (False, True):
        for path in pages:
            what = "%s %s%s" % (name, path, " (CSP bypassed)" if bypass else "")
            page = b.open(site + path, bypass_csp=bypass)
            if not bypass:
                shot(page, "%s-%s" % (name, os.path.basename(path)[:-5]))
                clean_load(page, what)
            check(not page.dialogs, "%s: no dialog opened" % what)
            check(page.eval(q("img")) == 0, "%s: no <img> from the payload" % what)
            check(page.eval(q("[onload],[onerror]")) == 0 and not page.eval(
                "[...document.querySelectorAll('*')].some(e => [...e.attributes].some(a => a.name.startsWith('on')))"),
                "%s: no event handler attribute" % what)
            scripts = page.eval("[...document.scripts].map(s => s.textContent)")
            own = 1 if path == "index.html" else 0
            check(len(scripts) == own and all("alert" not in s for s in scripts), "%s: no script but its own" % what)
            check(page.eval(q("a[href^='javascript:' i], [href*='javascript:' i]")) == 0, "%s: no javascript: link" % what)
            text = page.eval("document.body.innerText")
            if path != "index.html":
                check(P[0] in text and P[1] in text, "%s: the <script> and <img> payloads are shown as text" % what)
            elif name == "xss-crafted":  # the index shows a few fields: numbers, agents, audits
                check(P[2] in text, "%s: the <svg> payload in the caller's number is shown as text" % what)
            if path != "index.html":
                titles = page.eval("[...document.querySelectorAll('svg title')].map(t => t.textContent).join('\\n')")
                check(P[0] in titles, "%s: the Call-ID's markup is hover text in the diagram" % what)
    if name == "xss-crafted":
        page = b.open(site + "calls/%s.html" % xcall)
        hrefs = page.eval("[...document.querySelectorAll('#rec-triggers a')].map(a => a.getAttribute('href'))")
        check(hrefs == ["../files/rec/%22%3E%3Cimg%20src%3Dx%20onerror%3Dalert%281%29%3E.wav"],
              "recording file linked under view.files_base, percent-encoded; paths that climb, are absolute "
              "or have a scheme are not linked: %s" % hrefs)


with cdp.Browser() as browser:
    for site_name in ("demo", "scenarios"):
        got = check_site(browser, site_name, sites[site_name])
        print("%s: %d calls checked" % (site_name, len(got)))
    got = check_site(browser, "live-demo", [live_demo.out], live_demo.base)
    print("live demo: %d calls checked" % len(got))
    for site_name in ("xss", "xss-crafted"):
        check_xss(browser, site_name)
    check_xss(browser, "live-xss", live_xss.base)
live_demo.stop()
live_xss.stop()
httpd.shutdown()

print("screenshots:")
for s in shots:
    print("  " + s)
print("%d checks, %d failed" % (checks, len(failures)))
sys.exit(1 if failures else 0)
