#!/usr/bin/env python3
"""records-diff.py OLD NEW - compares two snapshots of scripts/records-snapshot.sh record by
record. A counter that only NEW has (a stats record field that OLD lacks) is not a difference:
adding a counter changes no record's meaning. Prints each capture whose records differ, with
the first differing record of each, and exits 1 if any does."""
import json
import os
import sys


def load(path):
    with open(path) as f:
        return [l for l in f.read().splitlines() if l.strip()]


def main():
    old_dir, new_dir = sys.argv[1], sys.argv[2]
    names = sorted(n for n in os.listdir(old_dir) if n.endswith(".jsonl"))
    missing = sorted(set(n for n in os.listdir(new_dir) if n.endswith(".jsonl")) ^ set(names))
    bad = 0
    for n in missing:
        print("only in one snapshot:", n)
        bad += 1
    for n in names:
        if n in missing:
            continue
        old, new = load(os.path.join(old_dir, n)), load(os.path.join(new_dir, n))
        diff = None
        if len(old) != len(new):
            diff = "%d records, now %d" % (len(old), len(new))
        for i, (a, b) in enumerate(zip(old, new)):
            if a == b:
                continue
            ra, rb = json.loads(a), json.loads(b)
            if ra.get("type") == "stats" and rb.get("type") == "stats":
                rb = {k: v for k, v in rb.items() if k in ra}
                if ra == rb and list(ra) == list(rb):
                    continue
            diff = diff or "record %d:\n  old %s\n  new %s" % (i + 1, a[:600], b[:600])
            break
        if diff:
            print("%s: %s" % (n, diff))
            bad += 1
    print("%d of %d captures differ" % (bad, len(names)))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
