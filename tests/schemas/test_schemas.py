#!/usr/bin/env python3
"""test_schemas.py - the record schemas (schemas/, docs/records.md) and the validator.

    test_schemas.py CTITAP_BIN SOURCE_DIR

(a) schemas/stats.schema.json is what schemas/gen_stats_schema.py makes of util/counters.h;
(b) every ```json example in docs/records.md is valid, and there is one of each type;
(c) deliberately wrong records are rejected (so the validator can fail) and tolerated
    extensions (unknown fields, _truncated flags) are accepted;
(d) every record of `ctitap -q -r pcaps/demo.pcap -o jsonl:-` (and of a .zst output) is valid.

Exit 0 when all checks pass, 1 otherwise; the last line says `N passed, M failed`.
"""
import copy
import json
import os
import re
import subprocess
import sys
import tempfile

passed = failed = 0


def check(name, ok, detail=""):
    global passed, failed
    if ok:
        passed += 1
    else:
        failed += 1
        print("FAIL %s%s" % (name, (": " + detail) if detail else ""))


def main():
    if len(sys.argv) != 3:
        print("usage: test_schemas.py CTITAP_BIN SOURCE_DIR", file=sys.stderr)
        return 2
    ctitap, src = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
    sys.dont_write_bytecode = True  # no __pycache__ in the source tree
    sys.path.insert(0, os.path.join(src, "tests", "schemas"))
    sys.path.insert(0, os.path.join(src, "schemas"))
    import gen_stats_schema
    import validate

    schema_dir = os.path.join(src, "schemas")
    try:
        validate.load_validators(schema_dir)
    except validate.SetupError as e:
        check("schemas load", False, str(e))
        print("%d passed, %d failed" % (passed, failed))
        return 1

    def errs(rec):
        return validate.validate_record(rec, schema_dir)

    # (a) the stats schema is up to date with util/counters.h
    counters_h = os.path.join(src, "util", "counters.h")
    stats_path = os.path.join(schema_dir, "stats.schema.json")
    want = gen_stats_schema.generate(counters_h, os.path.join(src, "sinks", "recorder.h"))
    with open(stats_path, encoding="utf-8") as f:
        have = f.read()
    check("stats schema up to date", have == want,
          "schemas/stats.schema.json differs from what schemas/gen_stats_schema.py makes of util/counters.h and "
          "sinks/recorder.h; run it")
    with open(counters_h, encoding="utf-8") as f:
        counters = [n for n, _ in gen_stats_schema.parse_counters(f.read())]
    check("counters parsed", len(counters) >= 50 and "packets" in counters, "%d counters" % len(counters))

    # (b) the examples of docs/records.md
    with open(os.path.join(src, "docs", "records.md"), encoding="utf-8") as f:
        blocks = re.findall(r"^```json[ \t]*\n(.*?)^```[ \t]*$", f.read(), re.S | re.M)
    examples = {}
    for i, b in enumerate(blocks, 1):
        try:
            rec = json.loads(b)
        except ValueError as e:
            check("docs example %d is JSON" % i, False, str(e))
            continue
        e = errs(rec)
        check("docs example %d (%s) valid" % (i, rec.get("type") if isinstance(rec, dict) else "?"), not e,
              "; ".join(e))
        if isinstance(rec, dict):
            examples.setdefault(rec.get("type"), rec)
    for t in validate.TYPES:
        check("docs has a %s example" % t, t in examples)
    if any(t not in examples for t in validate.TYPES):
        print("%d passed, %d failed" % (passed, failed))
        return 1

    # (c) wrong records are rejected, tolerated extensions accepted
    def mutated(t, change):
        r = copy.deepcopy(examples[t])
        change(r)
        return r

    def drop(k):
        return lambda r: r.pop(k)

    def put(k, v):
        return lambda r: r.__setitem__(k, v)

    bad = [
        ("event without v", mutated("event", drop("v"))),
        ("stats without v", mutated("stats", drop("v"))),
        ("v = 2", mutated("event", put("v", 2))),
        ("v = \"1\"", mutated("audit", put("v", "1"))),
        ("ts without fraction", mutated("event", put("ts", "2026-01-05T09:00:03Z"))),
        ("ts with ms", mutated("event", put("ts", "2026-01-05T09:00:03.312Z"))),
        ("ts with offset", mutated("event", put("ts", "2026-01-05T09:00:03.312456+00:00"))),
        ("ts with space", mutated("stats", put("ts", "2026-01-05 09:00:03.312456Z"))),
        ("ts as number", mutated("stats", put("ts", 1767603603))),
        ("unknown type", mutated("event", put("type", "session"))),
        ("no type", mutated("event", drop("type"))),
        ("empty id", mutated("event", put("id", ""))),
        ("id too long", mutated("event", put("id", "event-" + "0" * 64))),
        ("empty sensor", mutated("event", put("sensor", ""))),
        ("call without disposition", mutated("call", drop("disposition"))),
        ("call with unknown disposition", mutated("call", put("disposition", "voicemail"))),
        ("call with unknown direction", mutated("call", put("direction", "sideways"))),
        ("call without call", mutated("call", drop("call"))),
        ("call with negative ring_ms", mutated("call", put("ring_ms", -1))),
        ("call with bad answer", mutated("call", put("answer", "yesterday"))),
        ("call with bad transfer kind",
         mutated("call", put("transfers", [{"from": "2001", "to": "2002", "kind": "warm",
                                            "ts": "2026-01-05T09:00:06.000000Z"}]))),
        ("call with party missing released",
         mutated("call", lambda r: r["parties"][0].pop("released"))),
        ("call with bad correlation method",
         mutated("call", lambda r: r["correlation"].__setitem__("method", "guess"))),
        ("call with conference as list", mutated("call", put("conference", ["2001", "2002"]))),
        ("event name Delivered", mutated("event", put("name", "Delivered"))),
        ("event name with dash", mutated("event", put("name", "connection-cleared"))),
        ("event src h323", mutated("event", put("src", "h323"))),
        ("event without name", mutated("event", drop("name"))),
        ("event status as string", mutated("event", put("status", "200"))),
        ("recording without call", mutated("recording", drop("call"))),
        ("recording action record", mutated("recording", put("action", "record"))),
        ("recording port 70000",
         mutated("recording", put("rtp", [{"ip": "10.1.2.10", "port": 70000, "dir": "in"}]))),
        ("audit without detail", mutated("audit", drop("detail"))),
        ("audit kind Upper", mutated("audit", put("kind", "SpanDuplicate"))),
        ("negative counter", mutated("stats", put("packets", -1))),
        ("fractional counter", mutated("stats", put("bytes", 1.5))),
        ("boolean counter", mutated("stats", put("udp", True))),
        ("string counter", mutated("stats", put("tcp", "0"))),
        ("stats missing a counter", mutated("stats", drop(counters[-1]))),
        ("stats without final", mutated("stats", drop("final"))),
        ("stats without agents", mutated("stats", drop("agents"))),
        ("stats agent with unknown state",
         mutated("stats", put("agents", [{"device": "4711", "agent_id": None, "state": "lunch", "reason": None,
                                          "ms": {"logged_off": 0, "ready": 0, "not_ready": 0,
                                                 "work_after_call": 0, "busy": 0}}]))),
        ("stats agent without ms", mutated("stats", put("agents", [{"device": "4711", "agent_id": None,
                                                                    "state": "ready", "reason": None}]))),
        ("agent_state with unknown state",
         mutated("event", lambda r: r.update(src="csta", name="agent_state", device="4711", state="lunch",
                                            trigger="agent_ready"))),
        ("agent_state without device",
         mutated("event", lambda r: (r.update(src="csta", name="agent_state", state="ready", trigger="agent_ready"),
                                     r.pop("device", None)))),
        ("agent_state previous without previous_ms",
         mutated("event", lambda r: r.update(src="csta", name="agent_state", device="4711", state="ready",
                                            previous="busy", trigger="call_released"))),
        ("_truncated not boolean", mutated("event", put("calling_truncated", "yes"))),
        ("nested _truncated not boolean",
         mutated("call", lambda r: r["parties"][0].__setitem__("device_truncated", 1))),
        ("not an object", [examples["event"]]),
    ]
    for name, rec in bad:
        check("rejects %s" % name, bool(errs(rec)), "accepted")

    good = [
        ("unknown top-level field", mutated("event", put("future_field", {"x": 1}))),
        ("unknown nested field", mutated("call", lambda r: r["parties"][0].__setitem__("role", "agent"))),
        ("_truncated flag", mutated("event", lambda r: r.update(calling="0" * 64, calling_truncated=True))),
        ("nested _truncated flag",
         mutated("call", lambda r: r["parties"][0].__setitem__("device_truncated", True))),
        ("unanswered call", mutated("call", lambda r: r.update(answer=None, disposition="abandoned", calling=None))),
        ("conference", mutated("call", put("conference", {"parties": ["2001", "2002", "0895233321"]}))),
        ("audit without call", mutated("audit", drop("call"))),
        ("event without optional fields",
         {k: v for k, v in examples["event"].items() if k in ("type", "v", "id", "sensor", "ts", "src", "name")}),
        ("U+FFFD in text", mutated("event", put("calling", "20\ufffd01"))),
        ("agent_state", mutated("event", lambda r: r.update(src="csta", name="agent_state", device="4711",
                                                             state="busy", previous="ready", previous_ms=0,
                                                             trigger="call_answered"))),
        ("stats with an agent",
         mutated("stats", put("agents", [{"device": "4711", "agent_id": "A17", "state": "not_ready", "reason": "12",
                                          "ms": {"logged_off": 0, "ready": 1500, "not_ready": 2500,
                                                 "work_after_call": 0, "busy": 0}}]))),
    ]
    for name, rec in good:
        e = errs(rec)
        check("accepts %s" % name, not e, "; ".join(e))

    # line level: what validate_lines and the command line catch
    ev = json.dumps(examples["event"], separators=(",", ":"))
    line_bad = [
        ("invalid UTF-8", ev.encode().replace(b'"2001"', b'"20\xff01"', 1)),
        ("NaN", ev.replace('"v":1', '"v":NaN')),
        ("repeated key", ev.replace('"v":1', '"v":1,"v":1')),
        ("two records on a line", ev + ev),
        ("empty line", ""),
        ("truncated line", ev[:-5]),
    ]
    for name, line in line_bad:
        check("lines: rejects %s" % name, len(validate.validate_lines([ev, line])) == 1)
    check("lines: accepts bytes and str", validate.validate_lines([ev.encode(), ev + "\n"]) == [])

    with tempfile.TemporaryDirectory() as d:
        def cli(*files):
            p = subprocess.run([sys.executable, os.path.join(src, "tests", "schemas", "validate.py"), "-q",
                                "--schemas", schema_dir] + list(files), stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, universal_newlines=True)
            return p.returncode, p.stdout, p.stderr

        empty = os.path.join(d, "empty.jsonl")
        open(empty, "w").close()
        rc, out, err = cli(empty)
        check("cli: empty file fails", rc == 1 and "no record" in out, "rc %d: %s%s" % (rc, out, err))
        badf = os.path.join(d, "bad.jsonl")
        with open(badf, "w") as f:
            f.write(ev + "\n" + json.dumps(dict(examples["event"], v=2)) + "\n")
        rc, out, err = cli(badf)
        check("cli: invalid record fails with one line", rc == 1 and out.count("\n") == 1 and ":2:" in out,
              "rc %d: %s%s" % (rc, out, err))

        # (d) what ctitap writes
        pcap = os.path.join(src, "pcaps", "demo.pcap")
        zst = os.path.join(d, "demo.jsonl.zst")
        p = subprocess.run([ctitap, "-q", "-r", pcap, "-o", "jsonl:-", "-o", "jsonl:" + zst],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        check("ctitap runs", p.returncode == 0, "rc %d: %s" % (p.returncode, p.stderr.decode(errors="replace")))
        lines = p.stdout.split(b"\n")
        if lines and lines[-1] == b"":
            lines.pop()
        check("ctitap wrote records", len(lines) >= 1)
        e = validate.validate_lines(lines, name="ctitap stdout", schema_dir=schema_dir)
        check("ctitap records valid (%d)" % len(lines), not e, "\n  ".join(e[:20]))
        if lines:
            last = json.loads(lines[-1])
            check("last record is the final stats", last.get("type") == "stats" and last.get("final") is True)
            # `recorder` is there with record.dir only
            schema_props = set(json.loads(have)["properties"]) - {"recorder"}
            check("stats record has exactly the schema's fields", set(last) == schema_props,
                  "extra %s, missing %s" % (sorted(set(last) - schema_props), sorted(schema_props - set(last))))
        rc, out, err = cli(zst)
        check("cli: ctitap .zst output valid", rc == 0, "rc %d: %s%s" % (rc, out, err))

    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
