#!/usr/bin/env python3
"""gen_stats_schema.py - regenerate schemas/stats.schema.json from util/counters.h.

The stats record carries every counter of the CT_COUNTER_LIST X-macro, then the `agents` array
(its schema is written here, in agents_schema()); this script turns that list into the schema, so a counter added to util/counters.h cannot be forgotten in the schema
(tests/schemas/test_schemas.py fails when the committed file differs from what this prints).
It also brings the stats example of docs/records.md to the same counters (values kept, new
counters 0, removed ones dropped), since that example must stay valid against the schema.

    gen_stats_schema.py            rewrite schemas/stats.schema.json and the docs example
    gen_stats_schema.py --check    exit 1 (and say why) if either is out of date
    gen_stats_schema.py --stdout   print the schema
    options: --counters PATH (default util/counters.h), --out PATH (default schemas/stats.schema.json),
             --docs PATH (default docs/records.md; '' to leave the docs alone)
"""
import argparse
import json
import os
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)

_X = re.compile(r'X\(\s*([A-Za-z_][A-Za-z0-9_]*)\s*,\s*"((?:[^"\\]|\\.)*)"\s*\)')
COMMON = "common.schema.json#/$defs/"
RESERVED = ("type", "v", "id", "sensor", "ts", "call", "final")
# Fields after the counters that are not counters (app/main.c writes them); kept as they are in
# the docs example.
TRAILING = ("agents",)
AGENT_STATES = ("logged_off", "ready", "not_ready", "work_after_call", "busy")


def agents_schema():
    """The stats record's `agents` array (correlator/agents.h, ct_agents_json)."""
    return {
        "type": "array",
        "description": "per agent device (named by a CSTA agent event), in device order: its state now and "
        "the time spent in each state up to ts (packet time)",
        "items": {
            "allOf": [{"$ref": COMMON + "object"}],
            "type": "object",
            "required": ["device", "agent_id", "state", "reason", "ms"],
            "properties": {
                "device": {"$ref": COMMON + "text", "description": "the agent device (CSTA agentDevice)"},
                "agent_id": {"$ref": COMMON + "text_or_null", "description": "CSTA agentID; null when not seen"},
                "state": {"enum": list(AGENT_STATES), "description": "the state at ts"},
                "reason": {"$ref": COMMON + "text_or_null",
                           "description": "not-ready reason code while not_ready, when sent; else null"},
                "ms": {
                    "type": "object",
                    "description": "milliseconds spent in each state since the device was first seen",
                    "required": list(AGENT_STATES),
                    "properties": {s: {"$ref": COMMON + "count"} for s in AGENT_STATES},
                },
            },
        },
    }


def parse_counters(text, macro="CT_COUNTER_LIST"):
    """[(name, description)] of the X-macro list `macro` (CT_COUNTER_LIST of counters.h,
    CT_RECORDER_COUNTERS of sinks/recorder.h) in the text, in order."""
    m = re.search(r"#\s*define\s+%s\s*\(\s*X\s*\)" % macro, text)
    if not m:
        raise ValueError("no '#define %s(X)' in the header" % macro)
    # the macro body: continuation lines up to the first line not ending in a backslash
    body = []
    for line in text[m.end():].splitlines():
        body.append(line)
        if not line.rstrip().endswith("\\"):
            break
    body = "\n".join(body)
    out = []
    for name, desc in _X.findall(body):
        desc = re.sub(r"\\(.)", r"\1", desc)  # unescape \" and \\ (the only escapes expected)
        out.append((name, desc))
    if not out:
        raise ValueError("%s has no X(name, \"desc\") entries" % macro)
    names = [n for n, _ in out]
    dups = sorted({n for n in names if names.count(n) > 1})
    if dups:
        raise ValueError("counter names repeated: " + ", ".join(dups))
    bad = [n for n in names if n in RESERVED or n in TRAILING or n.endswith("_truncated")]
    if bad:
        raise ValueError("counter names clash with record fields: " + ", ".join(bad))
    # the X-macro entries must all have been understood: count the X( openings too
    opened = len(re.findall(r"\bX\(", body))
    if opened != len(out):
        raise ValueError("%d X( entries but %d understood; keep the form X(name, \"desc\")" % (opened, len(out)))
    return out


def recorder_schema(recorder_h):
    """The stats record's `recorder` object (record.dir only): the counters of sinks/recorder.h."""
    with open(recorder_h, encoding="utf-8") as f:
        counters = parse_counters(f.read(), "CT_RECORDER_COUNTERS")
    return {
        "allOf": [{"$ref": COMMON + "object"}],
        "description": "with record.dir: the counters of ctitap's recorder (sinks/recorder.h, docs/recording.md)",
        "required": [n for n, _ in counters],
        "properties": {n: {"$ref": COMMON + "count", "description": d} for n, d in counters},
    }


def generate(counters_h, recorder_h):
    """The stats schema, as the exact text to be committed, for the headers at those paths."""
    with open(counters_h, encoding="utf-8") as f:
        counters = parse_counters(f.read())
    props = {
        "type": {"const": "stats"},
        "v": {"$ref": COMMON + "version"},
        "id": {"$ref": COMMON + "id"},
        "sensor": {"$ref": COMMON + "sensor"},
        "ts": {"$ref": COMMON + "ts"},
        "final": {
            "type": "boolean",
            "description": "true on the last stats record of a run, false on the periodic ones",
        },
    }
    for name, desc in counters:
        props[name] = {"$ref": COMMON + "count", "description": desc}
    props["agents"] = agents_schema()
    props["recorder"] = recorder_schema(recorder_h)
    schema = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "https://ctitap.invalid/schemas/stats.schema.json",
        "title": "ctitap stats record",
        "description": "What ctitap saw and what it gave up: every counter of util/counters.h "
        "(docs/records.md#stats). Schema version 1. GENERATED by schemas/gen_stats_schema.py "
        "from util/counters.h and sinks/recorder.h: do not edit by hand.",
        "allOf": [{"$ref": COMMON + "record"}],
        "type": "object",
        "required": ["type", "v", "id", "sensor", "ts", "final"] + [n for n, _ in counters] + list(TRAILING),
        "properties": props,
        "patternProperties": {"_truncated$": {"$ref": COMMON + "truncated"}},
    }
    return json.dumps(schema, indent=2, ensure_ascii=False) + "\n"


def sync_docs(md, counters_h):
    """The text of docs/records.md with its stats example carrying exactly the counters of
    counters_h, in their order (existing values kept, new counters 0)."""
    with open(counters_h, encoding="utf-8") as f:
        names = [n for n, _ in parse_counters(f.read())]
    blocks = list(re.finditer(r"^```json[ \t]*\n(.*?)^```[ \t]*$", md, re.S | re.M))
    for b in blocks:
        try:
            rec = json.loads(b.group(1))
        except ValueError:
            continue
        if not isinstance(rec, dict) or rec.get("type") != "stats":
            continue
        out = {k: rec[k] for k in RESERVED if k in rec}
        for n in names:
            out[n] = rec.get(n, 0)
        for n in TRAILING:
            out[n] = rec.get(n, [])
        text = json.dumps(out, separators=(",", ":"), ensure_ascii=False) + "\n"
        return md[:b.start(1)] + text + md[b.end(1):]
    raise ValueError("no ```json stats example in the docs")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--counters", default=os.path.join(ROOT, "util", "counters.h"))
    ap.add_argument("--recorder", default=os.path.join(ROOT, "sinks", "recorder.h"))
    ap.add_argument("--out", default=os.path.join(HERE, "stats.schema.json"))
    ap.add_argument("--docs", default=os.path.join(ROOT, "docs", "records.md"))
    g = ap.add_mutually_exclusive_group()
    g.add_argument("--check", action="store_true", help="exit 1 if --out is not up to date")
    g.add_argument("--stdout", action="store_true", help="print instead of writing")
    a = ap.parse_args()
    try:
        text = generate(a.counters, a.recorder)
        if a.docs and not a.stdout:
            with open(a.docs, encoding="utf-8") as f:
                md = f.read()
            new_md = sync_docs(md, a.counters)
    except (OSError, ValueError) as e:
        print("gen_stats_schema: %s" % e, file=sys.stderr)
        return 1
    if a.stdout:
        sys.stdout.write(text)
        return 0
    if a.check:
        try:
            with open(a.out, encoding="utf-8") as f:
                have = f.read()
        except OSError as e:
            print("gen_stats_schema: %s" % e, file=sys.stderr)
            return 1
        stale = [p for p, ok in ((a.out, have == text), (a.docs, not a.docs or md == new_md)) if not ok]
        for p in stale:
            print("gen_stats_schema: %s is out of date with %s; run schemas/gen_stats_schema.py"
                  % (p, a.counters), file=sys.stderr)
        return 1 if stale else 0
    with open(a.out, "w", encoding="utf-8") as f:
        f.write(text)
    if a.docs and md != new_md:
        with open(a.docs, "w", encoding="utf-8") as f:
            f.write(new_md)
    return 0


if __name__ == "__main__":
    sys.exit(main())
