#!/usr/bin/env python3
"""Golden test: ctitap's RTP stream statistics against `tshark -z rtp,streams`.

usage: test_rtp_tshark.py SOURCE_DIR [RTP_DUMP]
For every public capture (SOURCE_DIR/../shared/pcaps/public) where tshark lists RTP streams
(RTP decoded heuristically: -o rtp.heuristic_rtp:TRUE, as the .source.txt files do), runs
rtp_dump on the same file for the same (src, sport, dst, dport, ssrc) streams and compares:
packets and lost exactly, max and mean jitter within JITTER_TOL_MS (tshark prints 3 decimals
and takes its clock from the SDP it saw; we time the same payload types, see decoders/rtp.c).
Exit 77 (skip) when the captures or tshark are absent.
"""
import glob
import os
import shutil
import subprocess
import sys

JITTER_TOL_MS = 0.005  # tshark rounds to 0.001 ms; anything beyond rounding is a real difference

# tshark follows the SDP: after the T.38 re-INVITE of the FAX capture it decodes the port as
# T.38, but the gateway goes on sending G.711 RTP there (tshark flags 2010 "malformed T.38"
# frames). With T.38 off tshark sees those RTP packets as ctitap does: 3848 packets, 0 lost.
TSHARK_OPTS = ["-o", "rtp.heuristic_rtp:TRUE", "--disable-protocol", "t38"]

# Streams whose jitter differs on purpose (packets and lost are still compared exactly).
KNOWN_JITTER_DIFF = {
    ("heplify__FAX-Call-t38-CA-TDM-SIP-FB-1.pcap", 0x17D90134):
        "the sender resets its RTP timestamp from 347200 to 0 mid-stream (seq 1145); tshark 4.0 "
        "(like RFC 3550 A.8 read literally) takes it as a 43 s transit jump, max jitter 2730 ms; "
        "ctitap re-bases on a timestamp that goes back while the sequence goes forward",
    ("wiresharkwiki__SIP_DTMF2.cap", 0x5711BF84):
        "carries RFC 4733 events (PT 96); ctitap does not time them (their timestamp is the "
        "event start, RFC 4733 2.2.1), as Wireshark's current ui/tap-rtp-analysis.c does "
        "(12.611 ms max by simulation of that code); tshark 4.0.17 prints 15.767 ms",
}


def tshark(args):
    r = subprocess.run(["tshark"] + args, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    return r.stdout


def streams(path):
    out = tshark(["-q", "-r", path] + TSHARK_OPTS + ["-z", "rtp,streams"])
    rows = []
    for line in out.splitlines():
        t = line.split()
        if len(t) < 17 or t[0] == "Start" or not t[6].startswith("0x"):
            continue
        if t[-1] == "X":
            t = t[:-1]
        rows.append({
            "src": t[2], "sport": int(t[3]), "dst": t[4], "dport": int(t[5]), "ssrc": int(t[6], 16),
            "pkts": int(t[-9]), "lost": int(t[-8]), "mean_jitter": float(t[-2]), "max_jitter": float(t[-1]),
        })
    return rows


def dtmf_pts(path):
    """(src, sport, dst, dport, ssrc) -> payload type of RFC 4733 events, as tshark learnt it from SDP."""
    out = tshark(["-r", path] + TSHARK_OPTS + ["-Y", "rtpevent", "-T", "fields",
                  "-e", "ip.src", "-e", "ipv6.src", "-e", "udp.srcport", "-e", "ip.dst", "-e", "ipv6.dst",
                  "-e", "udp.dstport", "-e", "rtp.ssrc", "-e", "rtp.p_type"])
    m = {}
    for line in out.splitlines():
        f = line.split("\t")
        if len(f) < 8 or not f[6]:
            continue
        key = (f[0] or f[1], int(f[2]), f[3] or f[4], int(f[5]), int(f[6], 16))
        m[key] = int(f[7])
    return m


def main():
    root = sys.argv[1] if len(sys.argv) > 1 else "."
    dump = sys.argv[2] if len(sys.argv) > 2 else os.path.join(root, "build", "tests", "rtp_dump")
    pub = os.path.join(root, "..", "shared", "pcaps", "public")
    if not os.path.isdir(pub) or not shutil.which("tshark"):
        print("skip: no public captures or no tshark")
        return 77
    files = sorted(p for p in glob.glob(os.path.join(pub, "*")) if p.endswith((".pcap", ".pcapng", ".cap")))
    failures, compared = 0, 0
    for path in files:
        rows = streams(path)
        if not rows:
            continue
        dt = dtmf_pts(path)
        args = []
        for r in rows:
            key = (r["src"], r["sport"], r["dst"], r["dport"], r["ssrc"])
            spec = f"{r['src']},{r['sport']},{r['dst']},{r['dport']},{r['ssrc']:x}"
            if key in dt:
                spec += f",{dt[key]}"
            args.append(spec)
        out = subprocess.run([dump, path] + args, stdout=subprocess.PIPE, text=True, check=True).stdout.splitlines()
        name = os.path.basename(path)
        for r, line in zip(rows, out):
            f = line.split()
            pk, lost, mx, mean = int(f[5]), int(f[6]), float(f[7]), float(f[8])
            jit_ok = abs(mx - r["max_jitter"]) <= JITTER_TOL_MS and abs(mean - r["mean_jitter"]) <= JITTER_TOL_MS
            known = KNOWN_JITTER_DIFF.get((name, r["ssrc"]))
            ok = pk == r["pkts"] and lost == r["lost"] and (jit_ok or known is not None)
            compared += 1
            failures += not ok
            tag = "ok  " if not ok or jit_ok or not known else "ok* "
            print(f"{tag if ok else 'FAIL'} {name} {' '.join(f[:5])}: packets {pk}/{r['pkts']} lost {lost}/{r['lost']}"
                  f" max jitter {mx:.3f}/{r['max_jitter']:.3f} mean jitter {mean:.3f}/{r['mean_jitter']:.3f} ms (ctitap/tshark)")
            if ok and known and not jit_ok:
                print(f"     * known jitter difference: {known}")
    print(f"{compared} streams compared, {failures} differ")
    return 1 if failures or not compared else 0


if __name__ == "__main__":
    sys.exit(main())
