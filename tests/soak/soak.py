#!/usr/bin/env python3
"""soak.py - ctitap through a loop of faults (issue 12, "Proof"), bounded to about 3 minutes.

    soak.py BUILD_DIR SOURCE_DIR

Eight runs of ctitap, each over its own busy capture (pcaps/gen/ctitap-gen --csta both, 400
calls, 100 at once, a day apart so record ids never repeat across runs), fed through standard
input over about 6 seconds, all writing to one Kafka output (a real broker, tests/kafka/broker.sh)
and one zstd JSON-lines file (appended to by every run, without rotation), while:

  - the file's filesystem fills and frees every 1.5 s (a 48 MiB tmpfs filled with a ballast file
    when root; else the LD_PRELOAD shim tests/sinks/enospc.c), and is freed before each run ends;
  - the broker is killed (SIGKILL) during runs 2 and 5 and started again during the next one;
  - ctitap is killed (SIGKILL) in the middle of runs 3 and 6; the next run goes on.

A last run over an empty capture delivers what the journal still holds. Then:

  - the file decodes whole (zstd -t) and every line is a record valid against schemas/;
  - every record id is in the file at most once; the runs not killed have every record a clean
    run of the same capture gives, exactly once; the killed runs only records of theirs;
  - every record id in the file, and every record of the runs not killed, is in Kafka at least
    once (duplicates after a kill are counted and shown: consumers de-duplicate on id).

Exits 0, 1 on a failed check, 77 when Java 17 / Maven for the broker cannot be had.
"""
import glob
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
SKIP = 77
RUNS = 8
BROKER_KILL = {2, 5}
CTITAP_KILL = {3, 6}
FEED_S = 6.0

failures = []


def check(cond, what):
    print(("ok: " if cond else "FAIL: ") + what, flush=True)
    if not cond:
        failures.append(what)
    return cond


def info(msg):
    print("  info: " + msg, flush=True)


class Disk:
    """The output's filesystem, made to fill and free on demand."""

    def __init__(self, root, build):
        self.dir = os.path.join(root, "out")
        os.makedirs(self.dir)
        self.mounted = False
        self.env = {}
        self.flag = os.path.join(root, "disk-full")
        if os.geteuid() == 0 and subprocess.run(["mount", "-t", "tmpfs", "-o", "size=48m", "tmpfs", self.dir],
                                                capture_output=True).returncode == 0:
            self.mounted = True
            self.how = "a 48 MiB tmpfs filled by a ballast file"
        else:
            shim = os.path.join(build, "libctitap_enospc.so")
            if not os.path.exists(shim):
                self.how = None
                return
            asan = os.environ.get("ASAN_OPTIONS")
            self.env = {"LD_PRELOAD": shim, "CTITAP_ENOSPC_DIR": self.dir, "CTITAP_ENOSPC_FLAG": self.flag,
                        "ASAN_OPTIONS": (asan + ":" if asan else "") + "verify_asan_link_order=0"}
            self.how = "the LD_PRELOAD shim tests/sinks/enospc.c"
        self.fills = 0

    def fill(self):
        self.fills += 1
        if self.mounted:
            with open(os.path.join(self.dir, "ballast"), "wb") as f:
                try:
                    while True:
                        f.write(b"\0" * (1 << 20))
                        f.flush()
                except OSError:
                    pass
        else:
            open(self.flag, "w").close()

    def free(self):
        if self.mounted:
            try:
                os.unlink(os.path.join(self.dir, "ballast"))
            except FileNotFoundError:
                pass
        elif os.path.exists(self.flag):
            os.unlink(self.flag)

    def close(self):
        self.free()
        if self.mounted:
            subprocess.run(["umount", "-l", self.dir])


def broker_pids(bdir):
    conf = os.path.join(bdir, "config", "server.properties")
    out = []
    for p in glob.glob("/proc/[0-9]*/cmdline"):
        try:
            cmd = open(p, "rb").read().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if " kafka.Kafka " + conf + " " in cmd:
            out.append(int(p.split("/")[2]))
    return out


def feed(proc, path, seconds):
    """Writes the capture to ctitap's standard input over `seconds`."""
    data = open(path, "rb").read()
    step = max(1, len(data) // 60)
    try:
        for off in range(0, len(data), step):
            proc.stdin.write(data[off:off + step])
            proc.stdin.flush()
            time.sleep(seconds / 60)
        proc.stdin.close()
    except (BrokenPipeError, ValueError, OSError):
        pass


def read_zst_lines(path):
    p = subprocess.run(["zstd", "-dcq", path], capture_output=True)
    return p.returncode, [l for l in p.stdout.decode("utf-8", "replace").split("\n") if l]


def main():
    if len(sys.argv) != 3:
        print("usage: soak.py BUILD_DIR SOURCE_DIR", file=sys.stderr)
        return 2
    build, src = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
    sys.path.insert(0, os.path.join(src, "tests", "schemas"))
    sys.path.insert(0, os.path.join(src, "tests", "kafka"))
    from validate import validate_lines  # noqa: E402
    import test_kafka  # noqa: E402

    ctitap = os.path.join(build, "ctitap")
    gen = os.path.join(build, "pcaps", "gen", "ctitap-gen")
    script = os.path.join(src, "tests", "kafka", "broker.sh")
    p = subprocess.run(["bash", script, "fetch"], capture_output=True, text=True, timeout=1800)
    if p.returncode != 0:
        print("SKIP: no Kafka broker here (Java 17 / Maven):", p.stderr.strip()[-300:])
        return SKIP
    root = tempfile.mkdtemp(prefix="ctitap-soak-")
    disk = Disk(root, build)
    if not disk.how:
        print("SKIP: no way to fill a disk here (not root, no enospc shim built)")
        return SKIP
    broker = test_kafka.Broker(script, os.path.join(root, "broker"))
    t_start = time.monotonic()
    try:
        boot = broker.start()
        info(f"broker at {boot}; disk faults by {disk.how}")
        out = os.path.join(disk.dir, "out.jsonl.zst")
        spool = os.path.join(root, "spool")
        ref, killed, rcs = {}, set(), {}
        # the captures, and what a clean run of each gives
        for i in range(RUNS):
            pc = os.path.join(root, f"busy-{i}.pcap")
            subprocess.run([gen, "-q", "-o", pc, "--calls", "400", "--concurrency", "100", "--csta", "both",
                            "--talk", "2", "--no-rtp", "--seed", str(i + 1), "--start", str(1767603600 + i * 86400)],
                           check=True)
            r = subprocess.run([ctitap, "-q", "-r", pc, "-o", "jsonl:-", "-X", "sensor.name=soak"],
                               capture_output=True, text=True, check=True)
            ref[i] = [json.loads(l)["id"] for l in r.stdout.splitlines() if l.strip()]
        info("reference: %d records in %d captures" % (sum(len(v) for v in ref.values()), RUNS))

        restarters = []
        for i in range(RUNS):
            cmd = [ctitap, "-r", "-", "-o", "kafka:" + boot, "-o", "jsonl:" + out, "-X", "sensor.name=soak",
                   "-X", "kafka.topic.prefix=soak", "-X", "kafka.spool.dir=" + spool,
                   "-X", "kafka.exit_timeout_ms=4000", "-X", "output.flush_ms=200"]
            log = open(os.path.join(root, f"run-{i}.log"), "w")
            proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=log,
                                    env=dict(os.environ, **disk.env))
            feeder = threading.Thread(target=feed, args=(proc, os.path.join(root, f"busy-{i}.pcap"), FEED_S))
            feeder.start()
            t0 = time.monotonic()
            full = broker_killed = False
            while feeder.is_alive():
                el = time.monotonic() - t0
                if int(el / 1.5) % 2 == 1 and el < FEED_S - 1:
                    if not full:
                        disk.fill()
                        full = True
                elif full:
                    disk.free()
                    full = False
                if i in BROKER_KILL and el > 2.0 and not broker_killed:
                    broker_killed = True
                    for pid in broker_pids(broker.dir):
                        os.kill(pid, signal.SIGKILL)
                    info(f"run {i}: broker killed at {el:.1f} s; started again 4 s later")
                    th = threading.Thread(target=lambda: (time.sleep(4), broker.start()))
                    th.start()
                    restarters.append(th)
                if i in CTITAP_KILL and el > FEED_S / 2 and proc.poll() is None:
                    proc.kill()
                    killed.add(i)
                    info(f"run {i}: ctitap killed at {el:.1f} s")
                time.sleep(0.05)
            disk.free()
            rcs[i] = proc.wait(timeout=120)
            log.close()
        for th in restarters:
            th.join()
        # what the journal still holds goes with a last run over an empty capture
        empty = os.path.join(root, "empty.pcap")
        with open(empty, "wb") as f:
            f.write(bytes.fromhex("d4c3b2a1020004000000000000000000ffff000001000000"))
        last = subprocess.run([ctitap, "-q", "-r", empty, "-o", "kafka:" + boot, "-X", "sensor.name=soak-drain",
                               "-X", "kafka.topic.prefix=soak", "-X", "kafka.spool.dir=" + spool,
                               "-X", "kafka.exit_timeout_ms=60000", "--stats"], capture_output=True, text=True,
                              timeout=120)
        info("runs: exit codes %s, killed %s, disk filled %d times" % (rcs, sorted(killed), disk.fills))
        check(all(rcs[i] == 0 for i in range(RUNS) if i not in killed),
              "every run not killed exits 0 (the disk and the broker came back: nothing lost)")
        check(last.returncode == 0, f"the drain run delivers what the journal held and exits 0 ({last.stderr[-200:]})")

        # the file
        zrc, lines = read_zst_lines(out)
        check(zrc == 0 and subprocess.run(["zstd", "-tq", out]).returncode == 0,
              f"the zstd file decodes whole across disk-full periods and kills ({os.path.getsize(out)} bytes)")
        errs = validate_lines(lines)
        check(not errs, f"all {len(lines)} lines are whole records valid against schemas/ {errs[:2]}")
        ids = [json.loads(l)["id"] for l in lines]
        dup = len(ids) - len(set(ids))
        check(dup == 0, f"every record id is in the file at most once ({dup} repeated)")
        fileids = set(ids)
        for i in range(RUNS):
            want = set(ref[i])
            if i in killed:
                got = fileids & want
                check(len(got) > 0 and len(got) < len(want),
                      f"run {i} (killed): {len(got)} of its {len(want)} records in the file, each once")
            else:
                check(want <= fileids, f"run {i}: all its {len(want)} records in the file exactly once "
                                       f"({len(want - fileids)} missing)")
        allref = set().union(*[set(v) for v in ref.values()])
        check(fileids <= allref | {i for i in fileids if i.startswith("stats-")},
              "the file holds nothing but records of the runs")

        # Kafka
        got = broker.consume_prefix("soak")
        kids = []
        for t in got:
            kids += [r["value"]["id"] for r in got[t][0] if r.get("value")]
        kset = set(kids)
        missing_file = fileids - kset
        check(not missing_file, f"every record in the file is in Kafka ({len(missing_file)} missing of {len(fileids)})")
        for i in range(RUNS):
            if i not in killed:
                miss = set(ref[i]) - kset
                check(not miss, f"run {i}: all its {len(ref[i])} records in Kafka ({len(miss)} missing)")
        retries = sum(json.loads(l).get("output_retries", 0) for l in lines if '"final":true' in l)
        info(f"the runs not killed retried {retries} failed writes of the file (disk full), losing nothing")
        info(f"Kafka holds {len(kids)} records, {len(kids) - len(kset)} of them again after a kill "
             f"(at least once: consumers de-duplicate on id)")
    finally:
        try:
            broker.stop()
        except Exception as ex:  # noqa: BLE001
            print("warning: stopping the broker:", ex)
        disk.close()
        if failures or os.environ.get("CTITAP_SOAK_KEEP"):
            print("  info: kept " + root)
        else:
            shutil.rmtree(root, ignore_errors=True)
    info("soak took %.0f s" % (time.monotonic() - t_start))
    print(f"{len(failures)} failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
