#!/usr/bin/env python3
"""Golden tests of the capture layer on the public real captures in ../shared/pcaps/public.

The expected figures are not written down here: they come from an independent decoder,
tshark, run on the same file (frames, UDP/TCP conversations, TCP streams), and from a
few lines of Python reading the pcap records themselves (SPAN copies, cut records).
Skips cleanly (exit 77, ctest's SKIP_RETURN_CODE) where ../shared or tshark is absent.
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile

from golden import ROOT, check, failures, finish

PUBLIC = os.environ.get("CTITAP_PUBLIC_PCAPS", os.path.join(ROOT, "..", "shared", "pcaps", "public"))
CTITAP = os.environ.get("CTITAP_BIN") or (sys.argv[1] if len(sys.argv) > 1 else None)
SKIP = 77

# ctitap ends a flow after flow.udp_timeout_s / flow.tcp_timeout_s of silence (packet
# time) and starts a new one on its next packet; tshark never ends a conversation. The
# expected flow count is tshark's conversations split at silences of those lengths.
UDP_TIMEOUT = 120
TCP_TIMEOUT = 3600

from validate import validate_lines as VALIDATE  # noqa: E402 - every record checked against schemas/

# Captures whose timestamps the capture clock does not believe (docs/capture.md, "Packet time"):
# name -> (clock_jumps, clock_outliers, UDP flows fewer than tshark's raw-time split, why).
CLOCK_RULE = {
    "heplify__sip_ipv6_udp.pcap": (1, 1, 1, "its six frames are dated 2012, 2018, 2018, 2023, 2071 and 2092: "
                                   "frames 2-5 are four in a row on a new time line (a jump), frame 6, 21 years "
                                   "after them with nothing after it, is an outlier processed at the clock's "
                                   "time, in frame 5's flow"),
}





def run_ctitap(args, expect_rc=(0,)):
    p = subprocess.run([CTITAP, "-q", "-o", "jsonl:-"] + args, capture_output=True, text=True, timeout=300)
    if p.returncode not in expect_rc:
        failures.append(f"ctitap {' '.join(args)} exited {p.returncode}: {p.stderr.strip()}")
        print("FAIL:", failures[-1])
    lines = [l for l in p.stdout.splitlines() if l.strip()]
    recs = [json.loads(l) for l in lines]
    errs = VALIDATE(lines)
    if errs:
        failures.append(f"ctitap {' '.join(args)}: invalid records: {errs[:3]}")
        print("FAIL:", failures[-1])
    stats = [r for r in recs if r["type"] == "stats" and r.get("final")]
    if len(stats) != 1:
        failures.append(f"ctitap {' '.join(args)}: {len(stats)} final stats records")
        return p.returncode, {}, p.stderr
    return p.returncode, stats[0], p.stderr


def tshark_fields(path, fields, extra=()):
    cmd = ["tshark", "-n", "-r", path, "-T", "fields", "-E", "separator=\t"] + list(extra)
    for f in fields:
        cmd += ["-e", f]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True, timeout=300).stdout
    return [l.split("\t") for l in out.splitlines()]


def tshark_truth(path):
    """Frames, UDP and TCP conversations and TCP streams as tshark sees them."""
    rows = tshark_fields(path, ["frame.number", "ip.src", "ipv6.src", "ip.dst", "ipv6.dst", "ip.proto",
                                "ipv6.nxt", "udp.srcport", "udp.dstport", "tcp.srcport", "tcp.dstport",
                                "tcp.stream", "udp.payload", "ip.id", "frame.time_epoch"],
                         extra=["-o", "ip.defragment:TRUE", "-o", "ipv6.defragment:TRUE"])
    udp, tcp_streams = {}, {}
    for r in rows:
        r += [""] * (15 - len(r))
        # innermost addresses: tshark lists every IP layer, comma separated
        src = (r[1] or r[2]).split(",")[-1]
        dst = (r[3] or r[4]).split(",")[-1]
        if r[7]:
            sp, dp = r[7].split(",")[-1], r[8].split(",")[-1]
            a, b = (src, sp), (dst, dp)
            udp.setdefault((min(a, b), max(a, b)), []).append(float(r[14]))
        if r[11]:
            tcp_streams.setdefault(r[11].split(",")[-1], []).append(float(r[14]))

    def split(times, timeout):
        times.sort()
        return 1 + sum(1 for x, y in zip(times, times[1:]) if y - x >= timeout)

    return {"frames": len(rows),
            "udp_flows": sum(split(t, UDP_TIMEOUT) for t in udp.values()),
            "tcp_streams": sum(split(t, TCP_TIMEOUT) for t in tcp_streams.values())}


def span_copies(path, window=0.05):
    """Copies of the same IP packet (same addresses, IP ID, ports, payload) within the window."""
    rows = tshark_fields(path, ["frame.time_epoch", "ip.src", "ip.dst", "ip.id", "udp.srcport", "udp.dstport",
                                "udp.payload", "tcp.seq_raw", "tcp.payload"])
    seen, n = {}, 0
    for r in rows:
        t, key = float(r[0]), tuple(r[1:])
        if not key[0] or not (key[3] or key[6]):
            continue  # IPv4 UDP and TCP only: tshark shows no payload to compare for the rest
        if key in seen and t - seen[key] <= window:
            n += 1
        else:
            seen[key] = t
    return n


def pcap_records(path):
    """Offsets and lengths of the records of a classic pcap file, read by hand."""
    import struct
    data = open(path, "rb").read()
    magic = data[:4]
    endian = "<" if magic in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1") else ">"
    off, recs = 24, []
    while off + 16 <= len(data):
        _, _, incl, orig = struct.unpack(endian + "IIII", data[off:off + 16])
        recs.append((off, incl, orig))
        off += 16 + incl
    return data, recs


def main():
    if not CTITAP:
        print("usage: test_public_captures.py CTITAP_BINARY")
        return 2
    if not os.path.isdir(PUBLIC):
        print(f"SKIP: {PUBLIC} is absent (it is in CI, not in a user's clone)")
        return SKIP
    if not shutil.which("tshark") or not shutil.which("editcap"):
        print("SKIP: tshark/editcap not installed (the test command installs them)")
        return SKIP

    captures = sorted(f for f in os.listdir(PUBLIC) if f.endswith((".pcap", ".pcapng", ".cap")))
    tmp = tempfile.mkdtemp(prefix="ctitap-golden-")
    try:
        for name in captures:
            path = os.path.join(PUBLIC, name)
            print(f"== {name}")
            rc, st, err = run_ctitap(["-r", path], expect_rc=(0, 65))
            if rc == 65:
                # not a format libpcap reads (the PROTOS capture is NetMon 2.x): one clear line,
                # then the same bytes converted by editcap must go through
                check("cannot read" in err and st.get("file_errors") == 1,
                      f"{name}: unreadable format reported in one line and counted")
                conv = os.path.join(tmp, name + ".pcap")
                subprocess.run(["editcap", "-F", "pcap", path, conv], check=True)
                path = conv
                rc, st, err = run_ctitap(["-r", path])
            truth = tshark_truth(path)
            check(st.get("packets") == truth["frames"], f"{name}: packets {st.get('packets')} == tshark frames {truth['frames']}")
            jumps, outliers, fewer, why = CLOCK_RULE.get(name, (0, 0, 0, "timestamps in order"))
            check(st.get("clock_jumps") == jumps and st.get("clock_outliers") == outliers,
                  f"{name}: capture clock jumps {st.get('clock_jumps')} == {jumps}, outliers "
                  f"{st.get('clock_outliers')} == {outliers} ({why})")
            check(st.get("flows_udp") == truth["udp_flows"] - fewer,
                  f"{name}: UDP flows {st.get('flows_udp')} == tshark UDP conversations {truth['udp_flows']}"
                  + (f" - {fewer} (the capture clock rule)" if fewer else ""))
            check(st.get("flows_tcp") == truth["tcp_streams"],
                  f"{name}: TCP streams {st.get('flows_tcp')} == tshark tcp.stream count {truth['tcp_streams']}")
            dups = span_copies(path)
            check(st.get("span_dups") == dups, f"{name}: SPAN copies suppressed {st.get('span_dups')} == found by hand {dups}")
            check(st.get("truncated", 0) == 0 and st.get("malformed", 0) == 0,
                  f"{name}: nothing truncated or malformed in a complete capture")
            check(st.get("tcp_gaps", 0) == 0, f"{name}: no TCP gaps in a complete capture")

        # Truncated copies: cut by snap length, and cut in the middle of a record.
        for name in ["heplify__sip_ipv4_tcp_fragmented.pcap", "sngrep__ipv6frag.pcap",
                     "wiresharkwiki__SIP_CALL_RTP_G711.pcap", "heplify__erspan_sip_ipv4_udp.pcapng"]:
            path = os.path.join(PUBLIC, name)
            frames = tshark_fields(path, ["frame.len"])
            for snap in (60, 96, 200, 576):
                cut = os.path.join(tmp, f"{name}.s{snap}.pcap")
                subprocess.run(["editcap", "-F", "pcap", "-s", str(snap), path, cut], check=True)
                rc, st, err = run_ctitap(["-r", cut])
                longer = sum(1 for f in frames if int(f[0]) > snap)
                check(rc == 0 and st.get("packets") == len(frames) and st.get("snapped") == longer,
                      f"{name} cut at snaplen {snap}: all {len(frames)} frames read, {longer} counted as snapped")
                check(longer == 0 or st.get("truncated", 0) > 0,
                      f"{name} cut at snaplen {snap}: cut packets counted as truncated ({st.get('truncated')})")
            plain = os.path.join(tmp, name + ".plain.pcap")
            subprocess.run(["editcap", "-F", "pcap", path, plain], check=True)
            data, recs = pcap_records(plain)
            for k in (len(recs) // 3, len(recs) // 2, len(recs) - 1):
                off, incl, _ = recs[k]
                for cut_at in (off + 7, off + 16 + incl // 2):  # inside the record header, inside the data
                    cut = os.path.join(tmp, f"{name}.cut{cut_at}.pcap")
                    with open(cut, "wb") as f:
                        f.write(data[:cut_at])
                    rc, st, err = run_ctitap(["-r", cut], expect_rc=(65,))
                    check(rc == 65 and st.get("packets") == k and st.get("file_errors") == 1 and "truncated" in err,
                          f"{name} cut at byte {cut_at}: exit 65, the {k} whole frames read, one file error, "
                          f"one line ({err.strip()[:80]})")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)

    return finish()


if __name__ == "__main__":
    sys.exit(main())
