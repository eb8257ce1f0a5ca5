#!/usr/bin/env python3
"""report.py META TIMES - the table of bench/run.sh: per capture and tool the median wall time,
packets per second, the share of the floor (read+parse+flow lookup loop) and the peak RSS; then
ctitap's rate and memory per concurrent call from 100 to 10 000 calls at once."""
import statistics
import sys


def main():
    meta, times = sys.argv[1], sys.argv[2]
    caps, npk, labels, head = [], {}, {}, []
    for line in open(meta):
        line = line.rstrip("\n")
        if line.startswith("capture "):
            _, name, rest = line.split(" ", 2)
            cmd, n = rest.rsplit(" | ", 1)
            caps.append((name, cmd))
            npk[name] = int(n)
        elif line.startswith("label "):
            _, tool, rest = line.split(" ", 2)
            rtp, sig = rest.split(" | ")
            labels[tool] = (rtp, sig)
        else:
            head.append(line)
    runs = {}
    order = []
    stopped = {}  # (capture, tool) -> the time limit a run of it did not finish within
    for line in open(times):
        c, t, ns, rss = line.split()
        if (c, t) not in runs and (c, t) not in stopped:
            order.append((c, t))
        if ns == "timeout":
            stopped[(c, t)] = int(rss)
            continue
        runs.setdefault((c, t), []).append((int(ns) / 1e9, int(rss) / 1024))
    med = {k: statistics.median(s for s, _ in v) for k, v in runs.items()}
    rss = {k: max(r for _, r in v) for k, v in runs.items()}
    print("\n".join(head))
    for c, cmd in caps:
        print()
        print("%s: %s, %d packets" % (c, cmd, npk[c]))
        print("  %-36s %9s %9s %9s %8s %8s" % ("tool", "median-s", "min-s", "Mpkt/s", "%floor", "RSS-MiB"))
        floor = med.get((c, "loop"))
        for k in order:
            if k[0] != c:
                continue
            t = k[1]
            lab = labels.get(t, (t, t))[0 if c.startswith("rtp") else 1]
            if k in stopped:
                print("  %-36s  not done within %d s (BENCH_TIMEOUT)" % (lab, stopped[k]))
                continue
            pct = "%7.0f%%" % (100 * floor / med[k]) if floor else "       -"
            print("  %-36s %9.3f %9.3f %9.2f %s %8.1f" % (lab, med[k], min(s for s, _ in runs[k]),
                                                        npk[c] / med[k] / 1e6, pct, rss[k]))
    print()
    print("median-s: median wall time of the runs (whole process); Mpkt/s: packets / median-s;")
    print("%floor: the read+parse+flow-lookup loop's median time / this row's (100 % = as fast as the floor);")
    print("RSS-MiB: largest peak RSS of the runs (/usr/bin/time %M); a tool stopped at the time limit is not run")
    print("again on that capture.")
    for kind in ("sig", "rtp"):
        for t in ("ctitap", "ctitap-workers"):
            a, b = (kind + "-c100", t), (kind + "-c10000", t)
            if a not in med or b not in med:
                continue
            x, y = npk[a[0]] / med[a], npk[b[0]] / med[b]
            m = (kind + "-c1000", t)
            # from 1 000 calls on, every page of the hash tables' buckets (sized once from their
            # caps) is touched already: the slope from there is the calls' own
            marginal = (", %.1f from 1 000 to 10 000" % ((rss[b] - rss[m]) * 1024 / 9000)) if m in rss else ""
            print("%s %s: %.0f packets/s at 100 calls at once, %.0f at 10 000 (%.0f %%); peak RSS %.1f -> %.1f MiB: "
                  "%.1f KiB per extra concurrent call%s" % (t, kind, x, y, 100 * y / x, rss[a], rss[b],
                                                            (rss[b] - rss[a]) * 1024 / 9900, marginal))


if __name__ == "__main__":
    main()
