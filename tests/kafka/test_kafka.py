#!/usr/bin/env python3
"""The Kafka sink against a REAL Apache Kafka broker (issue 3, "Proof").

Usage: test_kafka.py BUILD_DIR SOURCE_DIR

Starts its own single-node KRaft broker with tests/kafka/broker.sh in a temporary
directory (always stopped in a finally block), drives ctitap's outputs with the
record driver ctitap-emit (found under BUILD_DIR) and asserts on what the broker
really holds: every topic of the case is read back from the beginning with the
broker's console consumer and parsed.

Record driver contract (ctitap-emit): record n has type TYPES[n % 5], belongs to
call "call-<n % K>" (--calls K, default 10) except stats records, which carry no
call and are keyed by the sensor name; every record has "n" and a unique "id".

Cases (each with its own topic prefix t1..t7, so they never see each other's data):
  1 exactly once: topic, key, headers, value, per-key order, zstd batches
  2 broker stopped mid-run and restarted: nothing lost, nothing duplicated
  3 broker unreachable from the start: records spool, the next run delivers them first
  4 SIGKILL: nothing accepted more than a second before the kill is lost
  5 spool cap: oldest dropped, counted and logged; the newest arrive, exactly once
  6 SIGTERM: stops, delivers everything it accepted, exits 0
  7 SIGKILL with the broker unreachable: the spool journal alone keeps what was accepted
  8 ctitap end to end: the same records in the file and on the topics; the final stats record
    counts every record delivered before it
  9 backpressure: librdkafka's queue kept tiny
 10 records the broker refuses for good: counted, kept in the dead-letter file, exit 74

Prints "ok:"/"FAIL:" per assertion and "N passed, M failed"; exits 1 on failure,
77 (ctest SKIP_RETURN_CODE) only when Java 17 or Maven cannot be installed.
Environment: CTITAP_EMIT (driver binary), CTITAP_KAFKA_KEEP=1 keeps the temp dir.
"""
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

SKIP = 77
TYPES = ["event", "call", "recording", "audit", "stats"]
TOPIC_OF = {"event": "events", "call": "calls", "recording": "recording", "audit": "audit", "stats": "stats"}
CONSUME_SILENCE_MS = 6000

passed = 0
failed = 0
failures = []


def check(cond, what, detail=""):
    global passed, failed
    if cond:
        passed += 1
        print("ok:", what, flush=True)
    else:
        failed += 1
        failures.append(what)
        print("FAIL:", what + (" -- " + detail if detail else ""), flush=True)
    return cond


def info(msg):
    print("  info:", msg, flush=True)


def sample(xs, k=10):
    xs = sorted(xs)
    return str(xs[:k]) + (" ... (%d in all)" % len(xs) if len(xs) > k else "")


# ---------------------------------------------------------------- the broker

class Broker:
    def __init__(self, script, dir_):
        self.script = script
        self.dir = dir_
        self.bootstrap = None

    def run(self, *args, timeout=240, check_rc=True):
        p = subprocess.run(["bash", self.script] + list(args), capture_output=True, text=True, timeout=timeout)
        if check_rc and p.returncode != 0:
            raise RuntimeError("broker.sh %s failed (%d): %s" % (" ".join(args), p.returncode, p.stderr.strip()[-3000:]))
        return p

    def start(self):
        self.bootstrap = self.run("start", self.dir).stdout.strip().splitlines()[-1]
        return self.bootstrap

    def stop(self):
        self.run("stop", self.dir, check_rc=False)

    def restart(self):
        b = self.run("restart", self.dir).stdout.strip().splitlines()[-1]
        assert b == self.bootstrap, (b, self.bootstrap)

    def running(self):
        return self.run("status", self.dir, check_rc=False).returncode == 0

    def consume(self, topic, silence_ms=CONSUME_SILENCE_MS):
        """Records of a topic from the beginning: list of dicts, in partition/offset order."""
        p = self.run("consume", self.dir, topic, "0", str(silence_ms), timeout=300, check_rc=False)
        recs = []
        for line in p.stdout.splitlines():
            if not line.startswith("Partition:"):
                continue
            parts = line.split("\t", 4)
            if len(parts) != 5:
                recs.append({"bad": line})
                continue
            part, off, hdrs, key, value = parts
            headers = {}
            if hdrs != "NO_HEADERS":
                for kv in hdrs.split(","):
                    k, _, v = kv.partition(":")
                    headers.setdefault(k, []).append(v)
            try:
                obj = json.loads(value)
            except ValueError:
                obj = None
            recs.append({"topic": topic, "partition": int(part.split(":")[1]), "offset": int(off.split(":")[1]),
                         "headers": headers, "key": key, "raw": value, "value": obj})
        recs.sort(key=lambda r: (r.get("partition", -1), r.get("offset", -1)))
        return recs, p

    def consume_prefix(self, prefix):
        """All five topics of a prefix, read in parallel: {type: [records]}."""
        out, threads = {}, []

        def one(t):
            out[t] = self.consume(prefix + "." + TOPIC_OF[t])

        for t in TYPES:
            th = threading.Thread(target=one, args=(t,))
            th.start()
            threads.append(th)
        for th in threads:
            th.join()
        return out

    def codecs(self, topic):
        p = self.run("dump-codec", self.dir, topic, check_rc=False, timeout=120)
        return p.returncode, sorted(set(p.stdout.split())), p.stderr.strip()


# ---------------------------------------------------------------- the driver

COUNTER_RE = re.compile(r"^\s+([a-z][a-z0-9_]*)\s+(\d+)(?:\s|$)")


def parse_counters(stderr):
    c = {}
    for line in stderr.splitlines():
        m = COUNTER_RE.match(line)
        if m:
            c[m.group(1)] = int(m.group(2))
    return c


class Emit:
    """One ctitap-emit run into the Kafka output of a case."""

    def __init__(self, ctx, brokers, prefix, spool, count, first=None, rate=None, calls=None, settings=(),
                 sensor=None):
        self.cmd = [ctx.emit, "-o", "kafka:" + brokers, "--count", str(count), "--stats",
                    "-X", "kafka.topic.prefix=" + prefix, "-X", "kafka.spool.dir=" + spool,
                    "-X", "sensor.name=" + (sensor or "sensor-" + prefix)]
        if first is not None:
            self.cmd += ["--first", str(first)]
        if rate is not None:
            self.cmd += ["--rate", str(rate)]
        if calls is not None:
            self.cmd += ["--calls", str(calls)]
        for s in settings:
            self.cmd += ["-X", s]
        self.cwd = ctx.tmp
        self.proc = None
        ctx.procs.append(self)

    def start(self):
        self.errf = tempfile.TemporaryFile(mode="w+")
        self.outf = tempfile.TemporaryFile(mode="w+")
        self.t0 = time.monotonic()
        self.proc = subprocess.Popen(self.cmd, cwd=self.cwd, stdout=self.outf, stderr=self.errf)
        return self

    def wait(self, timeout):
        try:
            self.rc = self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            self.rc = "timeout after %ds" % timeout
        self.elapsed = time.monotonic() - self.t0
        self.errf.seek(0)
        self.stderr = self.errf.read()
        self.outf.seek(0)
        self.stdout = self.outf.read()
        self.counters = parse_counters(self.stderr)
        return self

    def run(self, timeout=120):
        return self.start().wait(timeout)

    def kill(self):
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()

    def tail(self, n=15):
        return " | ".join(self.stderr.strip().splitlines()[-n:])

    def describe(self):
        return "rc=%s in %.1fs, counters %s" % (self.rc, self.elapsed, {k: v for k, v in self.counters.items()
                                                                      if k.startswith(("kafka", "spool", "records"))})


def expect_rc0(case, e):
    return check(e.rc == 0, "%s: ctitap-emit exits 0 (%s)" % (case, e.describe()),
                 "stderr: " + e.tail())


def spool_bytes(path):
    total = 0
    for root, _, files in os.walk(path):
        for f in files:
            try:
                total += os.path.getsize(os.path.join(root, f))
            except OSError:
                pass
    return total


def dead_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return "127.0.0.1:%d" % port


# ---------------------------------------------------------------- verification

def verify(case, broker, prefix, expected, calls, sensor=None, dup_same_id_ok=False, exact=True):
    """Reads the five topics of prefix back and checks every record.

    expected: the set of n that must arrive (exactly once unless dup_same_id_ok).
    exact: False when more n than expected may arrive (SIGKILL case); those are
    checked for topic/key/headers but not required.
    Returns {n: [records]} of what arrived.
    """
    sensor = sensor or "sensor-" + prefix
    got = broker.consume_prefix(prefix)
    # The console consumer stops after CONSUME_SILENCE_MS without a message; on a loaded machine
    # (two cores, sanitizer builds beside it) a JVM pause can end it early, so a short read is
    # read again from the beginning before anything is judged (at most twice more).
    for _ in range(2):
        if sum(len(got[t][0]) for t in TYPES) >= len(expected):
            break
        info("%s: read %d records of %d expected, reading the topics again" %
             (case, sum(len(got[t][0]) for t in TYPES), len(expected)))
        again = broker.consume_prefix(prefix)
        got = {t: again[t] if len(again[t][0]) > len(got[t][0]) else got[t] for t in TYPES}
    by_n = {}
    bad_value, bad_topic, bad_key, bad_hdr, bad_body, extra = [], [], [], [], [], []
    final_stats = 0
    total = 0
    for t in TYPES:
        recs, p = got[t]
        total += len(recs)
        if p.returncode != 0:
            info("%s: consume %s.%s exited %d: %s" % (case, prefix, TOPIC_OF[t], p.returncode,
                                                        p.stderr.strip()[-500:]))
        for r in recs:
            if "bad" in r or not isinstance(r["value"], dict):
                bad_value.append(r.get("bad") or r["raw"][:200])
                continue
            v = r["value"]
            n = v.get("n")
            if not isinstance(n, int):
                # A record the driver did not number: only the run's own stats record may do that.
                if v.get("type") == "stats" and t == "stats":
                    final_stats += 1
                    if r["key"] != sensor:
                        bad_key.append(("stats without n", r["key"]))
                else:
                    extra.append(r["raw"][:200])
                continue
            by_n.setdefault(n, []).append(r)
            want_type = TYPES[n % 5]
            if t != want_type:
                bad_topic.append((n, prefix + "." + TOPIC_OF[t]))
            want_key = sensor if want_type == "stats" else "call-%d" % (n % calls)
            if r["key"] != want_key:
                bad_key.append((n, r["key"], want_key))
            want_h = {"type": [want_type], "v": ["1"], "sensor": [sensor]}
            if r["headers"] != want_h:
                bad_hdr.append((n, r["headers"]))
            if v.get("type") != want_type or v.get("v") != 1 or v.get("sensor") != sensor or \
                    not isinstance(v.get("id"), str) or not v.get("id"):
                bad_body.append((n, r["raw"][:200]))
            if want_type != "stats" and v.get("call") != want_key:
                bad_body.append((n, "call field %r, want %r" % (v.get("call"), want_key)))
    info("%s: %d records on the broker under %s.* (%d n-numbered, %d stats records without n)"
         % (case, total, prefix, sum(len(x) for x in by_n.values()), final_stats))
    check(not bad_value, "%s: every value is one JSON object" % case, sample(bad_value, 3))
    check(not extra, "%s: no foreign records (without n, other than stats)" % case, sample(extra, 3))
    check(not bad_topic, "%s: every record on the topic of its type" % case, sample(bad_topic, 5))
    check(not bad_key, "%s: key = call id (sensor name for stats)" % case, sample(bad_key, 5))
    check(not bad_hdr, "%s: headers exactly type/v=1/sensor" % case, sample(bad_hdr, 3))
    check(not bad_body, "%s: value carries type, v=1, sensor, id, call" % case, sample(bad_body, 3))

    seen = set(by_n)
    missing = expected - seen
    check(not missing, "%s: all %d expected records arrived" % (case, len(expected)),
          "%d missing: %s" % (len(missing), sample(missing)))
    if exact:
        unexpected = seen - expected
        check(not unexpected, "%s: nothing unexpected arrived" % case,
              "%d unexpected n: %s" % (len(unexpected), sample(unexpected)))
    dups = {n: rs for n, rs in by_n.items() if len(rs) > 1}
    if dup_same_id_ok:
        info("%s: %d records delivered more than once (%d extra copies)"
             % (case, len(dups), sum(len(rs) - 1 for rs in dups.values())))
        diff_id = [n for n, rs in dups.items() if len({r["value"]["id"] for r in rs}) != 1]
        check(not diff_id, "%s: duplicates (if any) carry the same id" % case, sample(diff_id))
    else:
        check(not dups, "%s: no record delivered twice" % case,
              "%d duplicated: %s" % (len(dups), sample(dups)))
    ids = {}
    for n, rs in by_n.items():
        for r in rs:
            ids.setdefault(r["value"].get("id"), set()).add(n)
    shared = [i for i, ns in ids.items() if len(ns) > 1]
    check(not shared, "%s: ids unique across records" % case, sample(shared, 3))

    # Order per key: a key lives on one partition of its topic, and there the n values
    # (first copies, where duplicates are allowed) must increase.
    part_of, seqs = {}, {}
    for t in TYPES:
        for r in got[t][0]:
            if "bad" in r or not isinstance(r["value"], dict) or not isinstance(r["value"].get("n"), int):
                continue
            k = (t, r["key"])
            part_of.setdefault(k, set()).add(r["partition"])
            seqs.setdefault(k, []).append(r["value"]["n"])
    split = {k: sorted(p) for k, p in part_of.items() if len(p) > 1}
    check(not split, "%s: each key on one partition" % case, str(split)[:300])
    disorder = []
    for k, ns in seqs.items():
        if dup_same_id_ok:
            firsts, s = [], set()
            for n in ns:
                if n not in s:
                    s.add(n)
                    firsts.append(n)
            ns = firsts
        for a, b in zip(ns, ns[1:]):
            if b <= a:
                disorder.append((k, a, b))
                break
    check(not disorder, "%s: per key, records in emission order (%d keys)" % (case, len(seqs)),
          sample(disorder, 5))
    return by_n


# ---------------------------------------------------------------- the cases

def case1(ctx):
    c = "case 1 (exactly once)"
    e = Emit(ctx, ctx.bootstrap, "t1", ctx.spool("t1"), 500, calls=7).run()
    expect_rc0(c, e)
    k = e.counters
    check(k.get("kafka_delivered", 0) >= 500 and k.get("kafka_failed", -1) == 0 and k.get("spool_dropped", -1) == 0,
          "%s: counters kafka_delivered>=500, kafka_failed=0, spool_dropped=0" % c, str(k))
    check(k.get("records", 0) >= 500, "%s: counter records >= 500" % c, str(k))
    verify(c, ctx.broker, "t1", set(range(500)), 7)
    for t in TYPES:
        topic = "t1." + TOPIC_OF[t]
        rc, codecs, err = ctx.broker.codecs(topic)
        check(rc == 0 and codecs == ["zstd"], "%s: batches of %s are zstd only" % (c, topic),
              "dump-codec rc=%d codecs=%s %s" % (rc, codecs, err[-300:]))


def case2(ctx):
    c = "case 2 (broker stopped mid-run)"
    e = Emit(ctx, ctx.bootstrap, "t2", ctx.spool("t2"), 3000, rate=500,
             settings=["kafka.exit_timeout_ms=60000"]).start()
    time.sleep(2)
    t = time.monotonic()
    ctx.broker.stop()
    info("%s: broker stopped at %.1fs (took %.1fs)" % (c, t - e.t0, time.monotonic() - t))
    check(e.proc.poll() is None, "%s: emitter still running while the broker is down" % c,
          "exited %s" % e.proc.poll())
    time.sleep(3)
    t = time.monotonic()
    ctx.broker.restart()
    info("%s: broker back at %.1fs (took %.1fs)" % (c, time.monotonic() - e.t0, time.monotonic() - t))
    e.wait(150)
    expect_rc0(c, e)
    check(e.counters.get("kafka_delivered", 0) >= 3000, "%s: counter kafka_delivered >= 3000" % c,
          str(e.counters))
    verify(c, ctx.broker, "t2", set(range(3000)), 10)


def case3(ctx):
    c = "case 3 (broker unreachable from the start)"
    spool = ctx.spool("t3")
    dead = dead_port()
    e = Emit(ctx, dead, "t3", spool, 200, settings=["kafka.exit_timeout_ms=2000"]).run(60)
    expect_rc0(c, e)
    check(e.elapsed < 30, "%s: gives up within the exit timeout (%.1fs)" % (c, e.elapsed))
    sb = spool_bytes(spool)
    check(sb > 0, "%s: spool dir non-empty after the run (%d bytes)" % (c, sb))
    k = e.counters
    check(k.get("spool_written") in (200, 201), "%s: spool_written = 200 (+1 own stats record)" % c, str(k))
    check(k.get("kafka_delivered") == 0, "%s: kafka_delivered = 0" % c, str(k))
    check(k.get("spool_dropped") == 0, "%s: spool_dropped = 0" % c, str(k))
    e2 = Emit(ctx, ctx.bootstrap, "t3", spool, 5, first=200).run()
    expect_rc0(c + " replay run", e2)
    check(e2.counters.get("spool_replayed", 0) >= 200, "%s: next run counts spool_replayed >= 200" % c,
          str(e2.counters))
    verify(c, ctx.broker, "t3", set(range(205)), 10)


def case4(ctx):
    c = "case 4 (SIGKILL)"
    spool = ctx.spool("t4")
    rate = 200
    e = Emit(ctx, ctx.bootstrap, "t4", spool, 100000, rate=rate).start()
    t_start = e.t0
    time.sleep(4)
    t_kill = time.monotonic()
    os.kill(e.proc.pid, signal.SIGKILL)
    e.wait(30)
    # Record n is emitted at about t_start + startup + n/rate; be conservative: 1 s
    # accepted-before-kill, plus 0.5 s for the driver's own start.
    must = max(0, int(rate * (t_kill - t_start - 1.5)))
    info("%s: killed after %.2fs; n < %d were accepted more than 1 s before" % (c, t_kill - t_start, must))
    check(must > 100, "%s: enough was emitted before the kill to judge (%d)" % (c, must))
    e2 = Emit(ctx, ctx.bootstrap, "t4", spool, 0).run()
    expect_rc0(c + " replay run", e2)
    info("%s: replay run %s" % (c, e2.describe()))
    by_n = verify(c, ctx.broker, "t4", set(range(must)), 10, dup_same_id_ok=True, exact=False)
    if by_n:
        top = max(by_n)
        gaps = set(range(top + 1)) - set(by_n)
        info("%s: highest n on the broker %d (%.1f s of emission); %d gaps below it%s"
             % (c, top, top / rate, len(gaps), (": " + sample(gaps)) if gaps else ""))
        check(not gaps, "%s: what arrived is a prefix 0..%d (no hole)" % (c, top), sample(gaps))


def case7(ctx):
    """SIGKILL while the broker is unreachable: only the spool journal can save the records."""
    c = "case 7 (SIGKILL, broker unreachable)"
    spool = ctx.spool("t7")
    rate = 200
    e = Emit(ctx, dead_port(), "t7", spool, 100000, rate=rate).start()
    t_start = e.t0
    time.sleep(3)
    t_kill = time.monotonic()
    os.kill(e.proc.pid, signal.SIGKILL)
    e.wait(30)
    must = max(0, int(rate * (t_kill - t_start - 1.5)))
    info("%s: killed after %.2fs; n < %d were accepted more than 1 s before; spool %d bytes"
         % (c, t_kill - t_start, must, spool_bytes(spool)))
    e2 = Emit(ctx, ctx.bootstrap, "t7", spool, 0).run()
    expect_rc0(c + " replay run", e2)
    check(e2.counters.get("spool_replayed", 0) >= must, "%s: replay run counts spool_replayed >= %d" % (c, must),
          str(e2.counters))
    by_n = verify(c, ctx.broker, "t7", set(range(must)), 10, exact=False)
    if by_n:
        top = max(by_n)
        gaps = set(range(top + 1)) - set(by_n)
        info("%s: highest n on the broker %d (%.1f s of emission)" % (c, top, top / rate))
        check(not gaps, "%s: what arrived is a prefix 0..%d (no hole)" % (c, top), sample(gaps))


def case5(ctx):
    c = "case 5 (spool cap)"
    spool = ctx.spool("t5")
    n = 30000
    e = Emit(ctx, dead_port(), "t5", spool, n, settings=["kafka.spool.max_mb=1", "kafka.exit_timeout_ms=2000"]).run(120)
    check(e.rc == 74, "%s: records were lost: exit 74 (%s)" % (c, e.describe()))
    k = e.counters
    dropped = k.get("spool_dropped", 0)
    check(dropped > 0, "%s: spool_dropped > 0 (%d)" % (c, dropped), str(k))
    logl = [l for l in e.stderr.splitlines() if re.search(r"drop", l, re.I) and re.search(r"spool", l, re.I)
            and not COUNTER_RE.match(l)]
    check(bool(logl), "%s: a log line on stderr tells of the drop" % c, "stderr: " + e.tail(8))
    if logl:
        info("%s: log: %s" % (c, logl[0][:200]))
    sb = spool_bytes(spool)
    check(0 < sb <= 2 * 1024 * 1024, "%s: spool stays near its 1 MiB cap (%d bytes)" % (c, sb))
    e2 = Emit(ctx, ctx.bootstrap, "t5", spool, 0, settings=["kafka.exit_timeout_ms=30000"]).run(120)
    expect_rc0(c + " replay run", e2)
    got = verify(c, ctx.broker, "t5", set(), 10, exact=False)
    seen = sorted(got)
    if not check(bool(seen), "%s: some records arrive after the broker is back" % c):
        return
    lo = seen[0]
    check(seen == list(range(lo, n)), "%s: what arrives is the newest, contiguous to the end (%d..%d)" % (c, lo, n - 1),
          "arrived %d records from %d to %d, holes: %s" % (len(seen), lo, seen[-1],
                                                           sample(set(range(lo, n)) - set(seen))))
    check(lo > 0, "%s: the oldest were dropped (first arriving n = %d)" % (c, lo))
    check(dropped == n - len(seen), "%s: spool_dropped (%d) = records that never arrived (%d)" % (c, dropped, n - len(seen)))


def case6(ctx):
    c = "case 6 (SIGTERM)"
    e = Emit(ctx, ctx.bootstrap, "t6", ctx.spool("t6"), 100000, rate=500).start()
    time.sleep(2.5)
    e.proc.send_signal(signal.SIGTERM)
    e.wait(60)
    expect_rc0(c, e)
    recs = e.counters.get("records")
    by_n = verify(c, ctx.broker, "t6", set(range(500)), 10, exact=False)
    seen = sorted(by_n)
    if seen:
        top = seen[-1]
        check(seen == list(range(top + 1)), "%s: what arrived is a prefix 0..%d" % (c, top),
              "holes: " + sample(set(range(top + 1)) - set(seen)))
        check(recs is None or recs in (top + 1, top + 2),
              "%s: every record it counted was delivered (records=%s, arrived %d)" % (c, recs, top + 1))
        check(e.counters.get("kafka_delivered", 0) >= top + 1,
              "%s: kafka_delivered covers them" % c, str(e.counters))


# ---------------------------------------------------------------- main

class Ctx:
    pass


def case8(ctx):
    """ctitap itself, not the driver: the records of a real capture, to Kafka and to a file at
    once, must be the same records, on the topics of their types, keyed by call."""
    c = "case 8 (ctitap end to end)"
    ctitap = os.path.join(os.path.dirname(ctx.emit), "ctitap")
    pcap = os.path.join(ctx.src, "pcaps", "demo-csta.pcap")
    jl = os.path.join(ctx.tmp, "t8.jsonl")
    p = subprocess.run([ctitap, "-q", "-r", pcap, "-o", "kafka:" + ctx.bootstrap, "-o", "jsonl:" + jl,
                        "-X", "kafka.topic.prefix=t8", "-X", "kafka.spool.dir=" + ctx.spool("t8"),
                        "-X", "sensor.name=tap-e2e"], capture_output=True, text=True, timeout=120)
    check(p.returncode == 0, "%s: ctitap exits 0" % c, p.stderr[-500:])
    want = [json.loads(l) for l in open(jl) if l.strip()]
    final = [r for r in want if r["type"] == "stats" and r.get("final")]
    check(len(final) == 1 and final[0].get("kafka_delivered") == len(want) - 1,
          "%s: the final stats record counts the %d records delivered before it (kafka_delivered %s)"
          % (c, len(want) - 1, final[0].get("kafka_delivered") if final else None))
    got = ctx.broker.consume_prefix("t8")
    for t in TYPES:
        w = sorted(r["id"] for r in want if r["type"] == t)
        recs = got[t][0]
        g = sorted(r["value"]["id"] for r in recs if r.get("value"))
        check(g == w, "%s: topic of %s holds exactly the %d records the file got" % (c, t, len(w)),
              "got %d, missing %s, extra %s" % (len(g), sample(set(w) - set(g)), sample(set(g) - set(w))))
        for r in recs:
            v = r.get("value") or {}
            if r["key"] != v.get("call", "tap-e2e") or r["headers"].get("type") != [t]:
                check(False, "%s: key and headers of %s" % (c, v.get("id")), str(r)[:300])
                break


def case9(ctx):
    """librdkafka's local queue kept tiny: QUEUE_FULL is the normal case, and still every
    record arrives once, in order per key."""
    c = "case 9 (backpressure)"
    e = Emit(ctx, ctx.bootstrap, "t9", ctx.spool("t9"), 3000, calls=5,
             settings=("kafka.queue.buffering.max.messages=20", "kafka.linger.ms=1")).run()
    expect_rc0(c, e)
    k = e.counters
    check(k.get("kafka_queue_full", 0) > 0 and k.get("kafka_delivered", 0) == 3000,
          "%s: the queue was full %d times, all 3000 delivered" % (c, k.get("kafka_queue_full", 0)), str(k))
    verify(c, ctx.broker, "t9", set(range(3000)), 5)


def case10(ctx):
    """The broker refuses the stats records for good (their topic takes 500 bytes at most):
    each is counted, kept in the dead-letter file beside the spool with the broker's reason,
    and leaves the journal; the run ends with 74. The other topics get everything."""
    c = "case 10 (refused for good)"
    p = ctx.broker.run("create-topic", ctx.broker.dir, "t10.stats", "max.message.bytes=500", check_rc=False)
    if not check(p.returncode == 0, "%s: topic t10.stats created with max.message.bytes=500" % c, p.stderr[-500:]):
        return
    spool = ctx.spool("t10")
    e = Emit(ctx, ctx.bootstrap, "t10", spool, 500, settings=["kafka.exit_timeout_ms=30000"]).run(120)
    k = e.counters
    check(e.rc == 74, "%s: exit 74 (%s)" % (c, e.describe()))
    check(k.get("kafka_failed") == 100 and k.get("kafka_dead_letter") == 100,
          "%s: the 100 stats records counted as refused and dead-lettered" % c, str(k))
    check(k.get("kafka_delivered") == 400, "%s: the 400 others delivered" % c, str(k))
    dl = os.path.join(spool, "dead-letter.jsonl")
    lines = [json.loads(l) for l in open(dl)] if os.path.exists(dl) else []
    check(len(lines) == 100 and all(l["topic"] == "t10.stats" and l["record"]["type"] == "stats" and
                                    "too large" in l["error"].lower() for l in lines),
          "%s: dead-letter.jsonl holds the 100 refused records, whole, with the broker's reason" % c,
          str(lines[:1])[:300])
    check(sorted(l["record"]["n"] for l in lines) == list(range(4, 500, 5)),
          "%s: ... exactly the stats records 4, 9, ..., 499" % c)
    check(os.path.exists(dl) and (os.stat(dl).st_mode & 0o777) == 0o640, "%s: dead-letter file is 0640" % c)
    e2 = Emit(ctx, ctx.bootstrap, "t10", spool, 0, settings=["kafka.exit_timeout_ms=5000"]).run(60)
    check(e2.counters.get("spool_replayed", 0) == 0 and e2.counters.get("kafka_failed", 0) == 0,
          "%s: refused records left the journal: nothing replayed by the next run" % c, str(e2.counters))


def find_emit(build):
    env = os.environ.get("CTITAP_EMIT")
    if env:
        return env
    for cand in ("tests/sinks/ctitap-emit", "ctitap-emit"):
        p = os.path.join(build, cand)
        if os.access(p, os.X_OK):
            return p
    for root, _, files in os.walk(build):
        if "ctitap-emit" in files and os.access(os.path.join(root, "ctitap-emit"), os.X_OK):
            return os.path.join(root, "ctitap-emit")
    return None


def main():
    if len(sys.argv) != 3:
        print("usage: test_kafka.py BUILD_DIR SOURCE_DIR", file=sys.stderr)
        return 2
    build, src = sys.argv[1], sys.argv[2]
    script = os.path.join(src, "tests", "kafka", "broker.sh")
    emit = find_emit(build)
    if not emit:
        print("FAIL: no ctitap-emit under %s" % build)
        print("0 passed, 1 failed")
        return 1

    # Java 17, Maven (only when the jars are not cached) and the broker's jars.
    p = subprocess.run(["bash", script, "fetch"], capture_output=True, text=True, timeout=1800)
    if p.returncode != 0:
        err = p.stderr.strip()
        if re.search(r"apt-get install|need root|no Java 17|mvn not found", err):
            print("SKIP: Java 17 / Maven cannot be installed here:", err[-500:])
            return SKIP
        print("FAIL: broker.sh fetch:", err[-2000:])
        print("0 passed, 1 failed")
        return 1

    ctx = Ctx()
    ctx.emit = os.path.abspath(emit)
    ctx.src = os.path.abspath(src)
    ctx.tmp = tempfile.mkdtemp(prefix="ctitap-kafka-")
    ctx.procs = []
    ctx.spool = lambda name: os.path.join(ctx.tmp, "spool-" + name)
    ctx.broker = Broker(script, os.path.join(ctx.tmp, "broker"))
    t0 = time.monotonic()
    try:
        ctx.bootstrap = ctx.broker.start()
        info("broker at %s (dir %s), driver %s" % (ctx.bootstrap, ctx.broker.dir, emit))
        only = os.environ.get("CTITAP_KAFKA_CASES")  # e.g. "1,3" to run a subset
        for i, case in enumerate([case1, case2, case3, case4, case5, case6, case7, case8, case9, case10], 1):
            if only and str(i) not in only.split(","):
                continue
            tc = time.monotonic()
            print("---- case %d" % i, flush=True)
            try:
                if not ctx.broker.running():
                    ctx.broker.start()
                case(ctx)
            except Exception as ex:  # a case that blows up is a failure, the next ones still run
                check(False, "case %d ran to the end" % i, "%s: %s" % (type(ex).__name__, ex))
            finally:
                for e in ctx.procs:
                    e.kill()
                ctx.procs = []
            info("case %d took %.1fs" % (i, time.monotonic() - tc))
    finally:
        for e in ctx.procs:
            e.kill()
        try:
            ctx.broker.stop()
        except Exception as ex:
            print("warning: stopping the broker:", ex)
        if os.environ.get("CTITAP_KAFKA_KEEP") == "1" or failed:
            print("  info: kept %s" % ctx.tmp)
        else:
            shutil.rmtree(ctx.tmp, ignore_errors=True)
    info("total %.1fs" % (time.monotonic() - t0))
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
