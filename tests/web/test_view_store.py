#!/usr/bin/env python3
"""The live call view and ctitap --html give the same pages, byte for byte.

  test_view_store.py CTITAP VIEW_RENDER SOURCE_DIR CTITAP_GEN

The demo's records (pcaps/demo-csta.pcap and a consultation transfer, whose consultation call's
records carry the id of a call merged later) are written once into three files (zstd as ctitap
writes it, and the transfer's records cut in two, one zstd, one plain) and once into one plain file. `ctitap --html` draws the zstd files; view_render feeds a store
through the view's output (ct_view_sink_ops) with the plain records, as the pipeline will, and
renders every page the export wrote, as ct_view_render() answers the HTTP endpoint. Every page
must be byte-identical; the export must be the same bytes twice; a page of a merged id, an
unknown id and a path that is not a page answer as documented; ?disp= filters on the server.
A busy hour (ctitap-gen, 600 calls, 20 at once) drawn from a file under a 2 MiB cap (two passes:
each page written when its call is complete) is byte for byte what standard input (one pass) gives
with room for everything; standard input under the same cap writes calls early and counts the
records that came after their page.
"""
import glob
import json
import os
import re
import subprocess
import sys
import tempfile

ctitap, view_render, src, gen = sys.argv[1:5]
fails = []


def check(cond, what):
    if not cond:
        fails.append(what)
        print("FAIL:", what)


def run(*args):
    r = subprocess.run(list(args), capture_output=True, text=True)
    if r.returncode:
        sys.exit("FAIL: %s: exit %d\n%s%s" % (" ".join(args), r.returncode, r.stdout, r.stderr))
    return r.stdout


with tempfile.TemporaryDirectory() as d:
    d = os.environ.get("KEEP_DIR", d)
    caps = [os.path.join(src, "pcaps/demo-csta.pcap"), os.path.join(src, "pcaps/scenarios/consultation_transfer.pcap")]
    plain = os.path.join(d, "records.jsonl")
    zdir = os.path.join(d, "z")
    os.makedirs(zdir)
    base = ["-q", "-X", "record.devices=2000-2099", "-X", "numbers.country_code=49"]
    # the demo as ctitap writes zstd; the scenario's records cut in two files, zstd and plain,
    # so that the records of its calls are spread over both (as rotation does)
    run(ctitap, *base, "-r", caps[0], "-o", "jsonl:" + os.path.join(zdir, "part0.jsonl.zst"))
    lines = [run(ctitap, *base, "-r", cap, "-o", "jsonl:-") for cap in caps]
    with open(plain, "w") as out:
        out.writelines(lines)
    scen = lines[1].splitlines(keepends=True)
    half = len(scen) // 2
    with open(os.path.join(zdir, "part1.jsonl"), "w") as out:
        out.writelines(scen[:half])
    subprocess.run(["zstd", "-q", "-o", os.path.join(zdir, "part1.jsonl.zst")], input="".join(scen[:half]).encode(), check=True)
    os.unlink(os.path.join(zdir, "part1.jsonl"))
    with open(os.path.join(zdir, "part2.jsonl"), "w") as out:
        out.writelines(scen[half:])
    zfiles = sorted(glob.glob(os.path.join(zdir, "part*")))
    check(len(zfiles) == 3, "inputs written: %s" % zfiles)

    export = os.path.join(d, "export")
    run(ctitap, "-q", "--html", export, *zfiles)
    again = os.path.join(d, "export2")
    run(ctitap, "-q", "--html", again, *zfiles)
    pages = ["index.html"] + ["calls/" + os.path.basename(p) for p in sorted(glob.glob(os.path.join(export, "calls", "*.html")))]
    check(len(pages) == 1 + 6 + 1, "the export wrote index.html and 7 call pages: %s" % pages)
    for p in pages:
        check(open(os.path.join(export, p), "rb").read() == open(os.path.join(again, p), "rb").read(),
              "%s: the same bytes on a second export" % p)

    recs = [json.loads(line) for line in open(plain)]
    # ids of calls merged into others that tag records written before their merge (a call joined
    # from its first message on, as a consultation is, tags none)
    merged = [m for r in recs if r["type"] == "call" for m in r["merged"] if any(x.get("call") == m for x in recs)]
    check(merged, "a merged id tags records written before the merge")
    survivor = next(r["call"] for r in recs if r["type"] == "call" and r["merged"])
    busy = sum(1 for r in recs if r["type"] == "call" and r["disposition"] == "busy")

    live = os.path.join(d, "live")
    extra = ["calls/%s.html" % merged[0], "calls/csta-0000000000000000.html", "calls/../index.html", "nothing.txt",
             "/index.html?disp=busy"]
    status = {}
    for line in run(view_render, live, plain, "--", *pages, *extra).splitlines():
        code, path, _ = line.split(" ", 2)
        status[path] = int(code)
    for p in pages:
        a = open(os.path.join(export, p), "rb").read()
        b = open(os.path.join(live, p), "rb").read()
        check(status.get(p) == 200, "%s: 200 from the store" % p)
        check(a == b, "%s: the store renders the export's bytes (%d and %d bytes)" % (p, len(a), len(b)))
    check(status["calls/%s.html" % merged[0]] == 200 and
          ("Call <code>%s</code>" % survivor).encode() in open(os.path.join(live, "calls", merged[0] + ".html"), "rb").read(),
          "a merged id's page is the surviving call's")
    check(status["calls/csta-0000000000000000.html"] == 404, "an unknown call: 404")
    check(status["calls/../index.html"] == 404 and status["nothing.txt"] == 404, "not a page: 404")
    filtered = open(os.path.join(live, "index.html_disp_busy.html"), encoding="utf-8").read()
    rows = re.findall(r'<tr data-start="[^"]*"[^>]*data-disp="([^"]*)"', filtered)
    check(len(rows) == busy and set(rows) == {"busy"}, "?disp=busy: the server sends the %d busy calls only: %s" % (busy, rows))

    # the command line: its exit codes, and what it does with bad input
    def code(*args, stdin=None):
        return subprocess.run([ctitap, "-q", *args], input=stdin, capture_output=True).returncode

    garbage = os.path.join(d, "garbage.bin")
    open(garbage, "wb").write(b"\x00\x01not json lines")
    # two zstd frames (a live ctitap closes one every output.flush_ms), the second cut short
    broken = os.path.join(d, "broken.jsonl.zst")
    demo_lines = lines[0].splitlines(keepends=True)
    calls_first = {json.loads(x)["call"] for x in demo_lines[:len(demo_lines) // 2] if '"call":' in x}
    frames = [subprocess.run(["zstd", "-q", "-c"], input="".join(part).encode(), capture_output=True, check=True).stdout
              for part in (demo_lines[:len(demo_lines) // 2], demo_lines[len(demo_lines) // 2:])]
    open(broken, "wb").write(frames[0] + frames[1][:-9])
    bad_lines = os.path.join(d, "bad.jsonl")
    open(bad_lines, "w").write('{"type":"event","call":"../../x"}\nnot json\n{"type":"call"}\n' +
                               '{"type":"event","call":"sip-0123456789abcdef","ts":"2026-01-05T09:00:00.000000Z"}\n')
    check(code("--html", os.path.join(d, "h1")) == 64, "--html without files: 64")
    check(code("--html", os.path.join(d, "h1"), "-r", caps[0]) == 64, "--html with -r: 64")
    check(code("--html", os.path.join(d, "h2"), os.path.join(d, "missing.jsonl"), plain) == 66,
          "--html with a missing file: 66")
    check(os.path.exists(os.path.join(d, "h2", "calls", survivor + ".html")), "... and the other files are drawn")
    check(code("--html", os.path.join(d, "h3"), garbage, plain) == 65, "--html with a file of another format: 65")
    check(code("--html", os.path.join(d, "h4"), broken) == 0, "--html of a file whose last frame is cut: 0")
    got = {os.path.basename(p)[:-5] for p in glob.glob(os.path.join(d, "h4", "calls", "*.html"))}
    check(got == calls_first, "... the calls of its complete frame drawn: %s, %s" % (sorted(got), sorted(calls_first)))
    open(os.path.join(d, "file"), "w").close()
    check(code("--html", os.path.join(d, "file"), plain) == 64, "--html into a file that is not a directory: 64")
    ro = os.path.join(d, "ro")
    os.makedirs(ro)
    os.chmod(ro, 0o500)
    if os.geteuid() != 0:  # root writes anyway
        check(code("--html", os.path.join(ro, "x"), plain) == 77, "--html into a directory it may not write: 77")
    r = subprocess.run([ctitap, "--html", os.path.join(d, "h5"), bad_lines], capture_output=True, text=True)
    check(r.returncode == 0 and "4 records read, 1 kept" in r.stderr and "2 not records" in r.stderr,
          "--html counts what it does not draw: %s" % r.stderr.strip())
    check(sorted(os.listdir(os.path.join(d, "h5", "calls"))) == ["sip-0123456789abcdef.html"],
          "only ids of ctitap's shape name a page")
    check(code("--html", os.path.join(d, "h6"), "-", stdin=open(plain, "rb").read()) == 0 and
          open(os.path.join(d, "h6", "index.html"), "rb").read() == open(os.path.join(export, "index.html"), "rb").read(),
          "--html - reads standard input")

    # a busy hour: the caps, two passes against one
    busy_pcap = os.path.join(d, "busy.pcap")
    run(gen, "-q", "-o", busy_pcap, "--scenario", "mix", "--calls", "600", "--concurrency", "20", "--talk", "8",
        "--ring", "2000", "--seed", "3", "--start", "1767603600", "--csta", "xml")
    busy = os.path.join(d, "busy.jsonl.zst")
    run(ctitap, "-q", "-r", busy_pcap, "-X", "record.devices=2000-2999", "-o", "jsonl:" + busy)
    os.unlink(busy_pcap)
    raw = subprocess.run(["zstdcat", busy], capture_output=True, check=True).stdout
    check(len(raw) > 4 << 20, "the busy hour's records are larger than 4 MiB (%d bytes)" % len(raw))
    r1 = subprocess.run([ctitap, "-X", "view.export_mb=2", "--html", os.path.join(d, "b1"), busy], capture_output=True, text=True)
    r2 = subprocess.run([ctitap, "-X", "view.export_mb=1000", "--html", os.path.join(d, "b2"), "-"], input=raw, capture_output=True)
    r3 = subprocess.run([ctitap, "-X", "view.export_mb=2", "--html", os.path.join(d, "b3"), "-"], input=raw, capture_output=True)
    check(r1.returncode == 0 and " 0 late, 0 calls written early" in r1.stderr, "two passes under 2 MiB: %s" % r1.stderr.strip())
    b1 = sorted(os.listdir(os.path.join(d, "b1", "calls")))
    b2 = sorted(os.listdir(os.path.join(d, "b2", "calls")))
    check(len(b1) == 600 and b1 == b2, "600 call pages both ways (%d, %d)" % (len(b1), len(b2)))
    diff = [p for p in ["index.html"] + ["calls/" + x for x in b1]
            if open(os.path.join(d, "b1", p), "rb").read() != open(os.path.join(d, "b2", p), "rb").read()]
    check(not diff, "two passes under a 2 MiB cap give what one pass with room for all gives: %s differ" % diff[:3])
    m = re.search(rb"(\d+) late, (\d+) calls written early", r3.stderr)
    check(m and int(m.group(2)) > 0, "one pass under 2 MiB writes calls early, and says so: %s" % r3.stderr.strip())

print("%d failed" % len(fails))
sys.exit(1 if fails else 0)
