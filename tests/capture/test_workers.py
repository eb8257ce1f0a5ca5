#!/usr/bin/env python3
"""test_workers.py CTITAP CTITAP_GEN SRCDIR - capture.workers (capture/workers.h) changes no
record: every capture below gives byte for byte the same JSON lines with 1, 2 and 3 workers,
and the shards really took packets where there were RTP flows to take.

The captures put the serial walk's rules to work: RTP calls on both CSTA links with SPAN copies,
holds and retransmissions; the same with frames swapped (packets older than the clock), the
clock held for outliers, a step back of 30 s (a new time line) and a gap of two hours; flows
that expire every second (flow.udp_timeout_s=1) and a flow table that fills up (flow.max=1024,
and 256: active RTP flows evicted); crafted RTP calls whose flows expire at a frame followed by
a late packet of theirs, or by a step back of the clock (each rule of capture/workers.h that
keeps a packet from the shards is needed by one of these: take it out and they differ); the
reliability suite's clock captures (tests/golden/floodgen.py); the demo; and the public captures
when ../shared is there. Recording (record.dir) too: its files are those of one thread. The reference is workers=1, the single-threaded path the rest of the
test suite checks against tshark and the scenarios. Also run with a -fsanitize=thread build."""
import hashlib
import os
import re
import signal
import struct
import subprocess
import sys
import tempfile
import time

CTITAP, GEN, SRC = sys.argv[1], sys.argv[2], sys.argv[3]
sys.path.insert(0, os.path.join(SRC, "tests", "golden"))
import floodgen  # noqa: E402
from pcapgen import tcp_frame, udp_frame, write_pcap_at  # noqa: E402

failures = 0


def check(ok, what):
    global failures
    print(("ok    " if ok else "FAIL  ") + what)
    if not ok:
        failures += 1


def run(pcap, workers, settings):
    p = subprocess.run([CTITAP, "-v", "-X", "sensor.name=t", "-X", f"capture.workers={workers}", *settings, "-r", pcap,
                        "-o", "jsonl:-"], capture_output=True, timeout=600)
    m = re.search(rb"capture workers: (\d+) of (\d+) transport packets", p.stderr)
    return p.returncode, p.stdout, (int(m.group(1)), int(m.group(2))) if m else None


def same(name, pcap, settings=(), min_taken=0.0):
    rc1, ref, _ = run(pcap, 1, settings)
    for w in (2, 3):
        rc, out, taken = run(pcap, w, settings)
        lines = ref.count(b"\n")
        check(rc == rc1 and out == ref and lines > 0,
              f"{name}, workers={w}: {out.count(chr(10).encode())} records, byte-identical to workers=1 ({lines}), "
              f"exit {rc} ({rc1})")
        if min_taken:
            # no count on stderr means the workers did not run at all (they were once left
            # off whenever the recorder existed, which is always: this check then passed)
            check(taken is not None and taken[0] >= min_taken * taken[1],
                  f"{name}, workers={w}: {taken and taken[0]} of {taken and taken[1]} transport packets taken "
                  f"by the shards (>= {min_taken:.0%})")


def tree_sums(top):
    """{relative path: sha256} of every file under top."""
    out = {}
    for d, _, files in os.walk(top):
        for f in files:
            with open(os.path.join(d, f), "rb") as fh:
                out[os.path.relpath(os.path.join(d, f), top)] = hashlib.sha256(fh.read()).hexdigest()
    return out


def recording_with_workers(tmp, name, pcap, devices, min_taken):
    """Recording (record.dir, with evidence pcaps) while the workers run: the shards account the
    RTP, the serial walk gives each recorded packet and each evidence frame to the recorder at
    its place in the input, with the frame the decoding thread copied. The records and every
    file (WAVs, evidence and payload pcaps, the hash chain) are those of workers=1 byte for byte,
    and the shards took the RTP (recording once kept ctitap on one thread; a serial walk that
    did not hand the recorder what the shards took lost their audio; one without the frames
    lost the evidence)."""
    res = {}
    for w in (1, 2, 3):
        d = os.path.join(tmp, "rec-%s-%d" % (name, w))
        os.makedirs(d)
        rc, out, taken = run(pcap, w, ("-X", "record.devices=" + devices, "-X", "record.pcap=true", "-X",
                                       "record.min_free_mb=0", "-X", "record.dir=" + d))
        res[w] = (rc, out, tree_sums(d), taken)
    rc1, out1, files1, _ = res[1]
    wavs = [f for f in files1 if f.endswith(".wav")]
    pcaps = [f for f in files1 if f.endswith(".pcap")]
    nrec = out1.count(b'"type":"recording"')
    for w in (2, 3):
        rc, out, files, taken = res[w]
        check(rc1 == 0 and rc == 0 and out == out1 and nrec > 0,
              "recording %s, workers=%d: records byte-identical to workers=1 (%d recording records)" % (name, w, nrec))
        check(files == files1 and len(wavs) > 0 and len(pcaps) > 0,
              "recording %s, workers=%d: the same %d files (%d WAVs, %d pcaps), byte for byte"
              % (name, w, len(files1), len(wavs), len(pcaps)))
        check(taken is not None and taken[0] >= min_taken * taken[1],
              "recording %s, workers=%d: %s of %s transport packets taken by the shards (>= %d%%)"
              % (name, w, taken and taken[0], taken and taken[1], min_taken * 100))


def default_workers(pcap):
    """capture.workers left at 0: two shards where ctitap may run on two CPUs or more (its CPU
    affinity, as a cpuset or taskset gives it), one thread on one CPU or without RTP accounting
    (signalling alone only loses to the hand-over); the records are the same."""
    def go(cpus, *settings):
        p = subprocess.run([CTITAP, "-v", "-X", "sensor.name=t", *settings, "-r", pcap, "-o", "jsonl:-"], capture_output=True,
                           timeout=300, preexec_fn=(lambda: os.sched_setaffinity(0, cpus)) if cpus else None)
        m = re.search(rb"handled on (\d+) shards", p.stderr)
        return p.returncode, p.stdout, int(m.group(1)) if m else 1
    mine = os.sched_getaffinity(0)
    rc1, out1, n1 = go({min(mine)})
    check(rc1 == 0 and n1 == 1, "default capture.workers on one CPU: one thread (%d)" % n1)
    if len(mine) >= 2:
        rc2, out2, n2 = go(None)
        check(rc2 == 0 and n2 == 2 and out2 == out1,
              "default capture.workers on %d CPUs: 2 shards (%d), the same records" % (len(mine), n2))
        rc3, _, n3 = go(None, "-X", "rtp.enabled=false")
        check(rc3 == 0 and n3 == 1, "default capture.workers without RTP accounting: one thread (%d)" % n3)
    else:
        print("skip  default capture.workers on two CPUs: this process may run on one")


def to_linux_sll(src, dst):
    """A copy of an Ethernet pcap as Linux cooked frames (LINKTYPE_LINUX_SLL, what -i any gives)."""
    hdr, frames = read_pcap(src)
    magic, vmaj, vmin, zone, sig, snap, lt = struct.unpack("<IHHiIII", hdr)
    assert lt == 1, "an Ethernet pcap"
    sll = [[ts, wire + 2, struct.pack(">HHH8s", 0, 1, 6, d[6:12] + b"\0\0") + d[12:]] for ts, wire, d in frames]
    write_pcap(dst, struct.pack("<IHHiIII", magic, vmaj, vmin, zone, sig, snap + 2, 113), sll)


def evidence_frames(path):
    """(link type, frames) of a pcap the recorder wrote."""
    hdr, frames = read_pcap(path)
    return struct.unpack_from("<I", hdr, 20)[0], len(frames)


def reload_starts_recording(tmp, pcap):
    """A SIGHUP that sets record.dir while the workers run starts recording: the calls after it
    are recorded, with their evidence pcaps, the chain verifies, and the shards go on taking
    packets. On Linux cooked frames (-i any), and a second SIGHUP that changes a record.* setting
    reopens the recordings going on into new files: every evidence pcap says LINUX_SLL and holds
    frames (the frames decoded before the first SIGHUP once went to the serial walk without
    theirs, and a file reopened by the second, from the main loop outside any frame, was said to
    be Ethernet: its frames were then refused as of another link type)."""
    sll = os.path.join(tmp, "demo-sll.pcap")
    to_linux_sll(pcap, sll)
    conf = os.path.join(tmp, "reload.conf")
    d = os.path.join(tmp, "reload-rec")
    out = os.path.join(tmp, "reload.jsonl")
    with open(conf, "w") as f:
        f.write("[record]\ndevices = 2000-2999\npcap = true\nmin_free_mb = 0\n")
    proc = subprocess.Popen([CTITAP, "-v", "-c", conf, "-X", "sensor.name=t", "-X", "capture.workers=2", "-X",
                             "capture.replay_speed=2", "-r", sll, "-o", "jsonl:" + out],
                            stderr=subprocess.PIPE, env=dict(os.environ, CTITAP_CONFIG=""))
    # the SIGHUP once ctitap catches it (its handler is installed before the workers start; a
    # signal before then would end the process), well within the 12 s of the replay
    for _ in range(200):
        with open("/proc/%d/status" % proc.pid) as st:
            caught = [ln for ln in st if ln.startswith("SigCgt:")]
        if caught and int(caught[0].split()[1], 16) & (1 << (signal.SIGHUP - 1)):
            break
        time.sleep(0.05)
    time.sleep(0.5)
    with open(conf, "a") as f:
        f.write("dir = %s\n" % d)
    proc.send_signal(signal.SIGHUP)
    time.sleep(2.5)
    with open(conf, "a") as f:
        f.write("jitter_ms = 80\n")
    proc.send_signal(signal.SIGHUP)
    _, err = proc.communicate(timeout=300)
    check(proc.returncode == 0, "reload with workers=2: the run ends cleanly (exit %d)" % proc.returncode)
    m = re.search(rb"capture workers: (\d+) of (\d+) transport packets", err)
    check(m is not None and int(m.group(1)) > 0, "reload with workers=2: the shards went on taking packets (%s)"
          % (m.group(1).decode() if m else "no count"))
    files = tree_sums(d) if os.path.isdir(d) else {}
    wavs = [f for f in files if f.endswith(".wav")]
    pcaps = sorted(f for f in files if f.endswith(".pcap") and not f.endswith(".rtp.pcap"))
    check(len(wavs) > 0 and len(pcaps) > 0,
          "reload with workers=2: record.dir set by SIGHUP records (%d WAVs, %d evidence pcaps)" % (len(wavs), len(pcaps)))
    reopened = [f for f in pcaps if re.search(r"-\d+\.pcap$", f)]
    check(len(reopened) > 0, "reload with workers=2: the second SIGHUP reopened the recordings going on (%s)"
          % ", ".join(os.path.basename(f) for f in reopened))
    for f in pcaps:
        lt, n = evidence_frames(os.path.join(d, f))
        check(lt == 113 and n > 0, "reload with workers=2: %s says LINUX_SLL (%d) and holds %d frames"
              % (os.path.basename(f), lt, n))
    stats = [ln for ln in open(out, "rb").read().splitlines() if ln.startswith(b'{"type":"stats"')]
    other = re.search(rb'"pcap_linktype_other":(\d+)', stats[-1]) if stats else None
    check(other is not None and int(other.group(1)) == 0,
          "reload with workers=2: no frame refused by an evidence pcap of another link type (%s)"
          % (other.group(1).decode() if other else "no count"))
    v = subprocess.run([CTITAP, "verify", d], capture_output=True, timeout=120)
    check(v.returncode == 0, "reload with workers=2: ctitap verify passes on what it recorded (exit %d)" % v.returncode)


def span_copies(path):
    """SPAN copies of every kind, across ticks of the capture clock: UDP from a sender that sets
    IP ID 0 (distinct packets of one length and id, and copies of them), TCP segments, UDP with
    a length its packet cannot hold (the copy is dropped before it is counted malformed), IPv6
    UDP with and without an extension header, a copy 60 ms late (not a copy: out of the window).
    The counters and records of workers=2 and 3 must be those of one thread (a version that left
    the UDP and TCP copies to the shards' tables passed only once it undid the counts the
    decoding thread had made of them; it was slower, and is not kept: docs/performance.md)."""
    eth = b"\x00\x11\x22\x33\x44\x55\x00\x66\x77\x88\x99\xaa"

    def ttl(fr, t):  # the copy from the other side of a router: another TTL, another checksum
        if fr[12:14] == b"\x08\x00":
            return fr[:22] + bytes([t]) + fr[23:24] + b"\x00\x00" + fr[26:]
        return fr[:21] + bytes([t]) + fr[22:]

    def ipv6_udp(sport, dport, payload, hop=False):
        udp = struct.pack(">HHHH", sport, dport, 8 + len(payload), 0) + payload
        ext = b"\x11\x00" + b"\x01\x04\x00\x00\x00\x00" if hop else b""  # hop-by-hop: PadN
        ip6 = struct.pack(">IHBB", 6 << 28, len(ext) + len(udp), 0 if hop else 17, 64)
        ip6 += bytes.fromhex("20010db8000000000000000000000001") + bytes.fromhex("20010db8000000000000000000000002")
        return eth + b"\x86\xdd" + ip6 + ext + udp

    frames, t = [], 1767603600000000
    for i in range(600):
        t += 10000
        rtp = struct.pack(">BBHII", 0x80, 0, i, i * 160, 0x1234) + bytes([i % 7]) * 160
        a = udp_frame(("10.9.0.1", 40000), ("10.9.0.2", 40002), rtp, 0)
        frames.append((t, a))
        other = udp_frame(("10.9.0.1", 40000), ("10.9.0.2", 40002), rtp[:2] + b"\xff\xff" + rtp[4:], 0)
        frames.append((t + 5, other))  # same length and id 0, not the same bytes: no copy
        if i % 3 == 0:
            frames.append((t + 30, ttl(a, 63)))
        if i % 50 == 7:
            frames.append((t + 60000, ttl(a, 62)))  # 60 ms on: out of the window
        seg = tcp_frame(("10.9.1.1", 5060), ("10.9.1.2", 34000), 1000 + i * 10, 1, "PA", b"x" * 10, i & 0xffff)
        frames.append((t + 100, seg))
        if i % 4 == 1:
            frames.append((t + 120, ttl(seg, 61)))
        bad = bytearray(udp_frame(("10.9.2.1", 7000), ("10.9.2.2", 7001), b"y" * 20, i & 0xffff))
        bad[38:40] = struct.pack(">H", 200)  # a UDP length past the packet
        frames.append((t + 200, bytes(bad)))
        if i % 5 == 2:
            frames.append((t + 230, ttl(bytes(bad), 60)))
        for hop in (False, True):
            v6 = ipv6_udp(41000, 41002 + hop, bytes([i & 0xff, hop]) * 40, hop)
            frames.append((t + 300 + hop, v6))
            if i % 6 == 3:
                frames.append((t + 330 + hop, ttl(v6, 63)))
    write_pcap_at(path, sorted(frames, key=lambda f: f[0]))


def read_pcap(path):
    with open(path, "rb") as f:
        data = f.read()
    hdr, off, frames = data[:24], 24, []
    while off + 16 <= len(data):
        sec, usec, caplen, wirelen = struct.unpack_from("<IIII", data, off)
        frames.append([sec * 1000000 + usec, wirelen, data[off + 16:off + 16 + caplen]])
        off += 16 + caplen
    return hdr, frames


def write_pcap(path, hdr, frames):
    with open(path, "wb") as f:
        f.write(hdr)
        for ts, wirelen, d in frames:
            f.write(struct.pack("<IIII", ts // 1000000, ts % 1000000, len(d), wirelen) + d)


def disorder(src, dst):
    """Every 97th frame swapped with the next; 5 frames 40 s in the future (outliers held and
    processed at the clock's time); from 40 % in, the clock steps back 30 s for good (a new
    time line after four frames); at 70 %, a gap of two hours (a jump forward)."""
    hdr, fr = read_pcap(src)
    n = len(fr)
    for i in range(0, n - 1, 97):
        fr[i], fr[i + 1] = fr[i + 1], fr[i]
    for i in range(n // 5, n // 5 + 5):
        fr[i][0] += 40 * 1000000
    for i in range(n * 2 // 5, n):
        fr[i][0] -= 30 * 1000000
    for i in range(n * 7 // 10, n):
        fr[i][0] += 7200 * 1000000
    write_pcap(dst, hdr, fr)


def sip(first, n, cseq, method, a, b, to_tag, sdp_port=None):
    body = ""
    if sdp_port:
        body = (f"v=0\r\no=- {n} 1 IN IP4 {a[0]}\r\ns=-\r\nc=IN IP4 {a[0]}\r\nt=0 0\r\n"
                f"m=audio {sdp_port} RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n")
    return (f"{first}\r\nVia: SIP/2.0/UDP {a[0]}:5060;branch=z9hG4bK{n}{method}{cseq}\r\n"
            f"From: <sip:1{n}@10.9.4.1>;tag=f{n}\r\nTo: <sip:2{n}@10.9.5.1>" + (f";tag=t{n}" if to_tag else "") +
            f"\r\nCall-ID: late-{n}@10.9.4.1\r\nCSeq: {cseq} {method}\r\nContact: <sip:x@{a[0]}>\r\n" +
            (f"Content-Type: application/sdp\r\n" if body else "") +
            f"Content-Length: {len(body)}\r\n\r\n{body}").encode()


def rtp_calls(calls, stop_of):
    """Frames (time, bytes) of `calls` RTP calls (SIP with SDP, G.711 both ways every 20 ms)
    started 0.5 s apart, call n's media from 0.2 s to stop_of(n) us after its start; and, per
    call, (the time of its last RTP packet, the RTP packet that would come next, the time its
    media stopped)."""
    T0 = 1767603600 * 1000000
    fr, nxt = [], []
    for n in range(calls):
        a, b = ("10.9.4.1", 5060), ("10.9.5.%d" % (n + 1), 5060)
        ra, rb = ("10.9.4.1", 40000 + 2 * n), ("10.9.5.%d" % (n + 1), 50000)
        t = T0 + n * 500000
        fr.append((t, udp_frame(a, b, sip("INVITE sip:2@10.9.5.1 SIP/2.0", n, 1, "INVITE", a, b, False, ra[1]), n)))
        fr.append((t + 100000, udp_frame(b, a, sip("SIP/2.0 200 OK", n, 1, "INVITE", b, a, True, rb[1]), n)))
        fr.append((t + 150000, udp_frame(a, b, sip("ACK sip:2@10.9.5.1 SIP/2.0", n, 1, "ACK", a, b, True), n)))
        stop = t + stop_of(n)
        seq = 0
        k = t + 200000
        while k < stop:
            for s_, d_, ssrc in ((ra, rb, 0x1000 + n), (rb, ra, 0x2000 + n)):
                rtp = struct.pack(">BBHII", 0x80, 0, seq & 0xFFFF, (seq * 160) & 0xFFFFFFFF, ssrc) + b"\xd5" * 160
                fr.append((k, udp_frame(s_, d_, rtp, seq & 0xFFFF)))
            seq += 1
            k += 20000
        late = struct.pack(">BBHII", 0x80, 0, (seq + 45) & 0xFFFF, ((seq + 45) * 160) & 0xFFFFFFFF, 0x1000 + n)
        nxt.append((k - 20000, udp_frame(ra, rb, late + b"\xd5" * 160, 9999), stop))
        fr.append((t + 30000000, udp_frame(a, b, sip("BYE sip:2@10.9.5.1 SIP/2.0", n, 2, "BYE", a, b, True), n)))
    fr.sort(key=lambda x: x[0])
    return fr, nxt


def clock_back_after_expiry(path, calls=24, k=12):
    """RTP calls whose media stop one after another; at the first frame 1 s after call k's last
    packet (its flow expires there when flow.udp_timeout_s=1) the clock steps back 30 s for good,
    and six frames into the new time line comes one more packet of call k, dated on that line.
    Single-threaded, the flow had ended before the step; a shard that took the packet because it
    is not older than the new clock would have counted it into the stream that ended."""
    fr, nxt = rtp_calls(calls, lambda n: 4000000 + n * 250000)
    last, pkt, _ = nxt[k]
    i = next(x for x, (t, _) in enumerate(fr) if t >= last + 1000000)
    out = fr[:i + 1] + [(t - 30000000, f) for t, f in fr[i + 1:]]
    out.insert(i + 7, (out[i + 6][0], pkt))
    write_pcap_at(path, out)


def late_packets(path, calls=24):
    """calls RTP calls (SIP with SDP, G.711 both ways every 20 ms), started 0.5 s apart. Call n's
    media stops at 4 s + n/4 s; 1.6 s later, right after a packet of the next call (whose clock
    time expires call n's flow when flow.udp_timeout_s=1), comes one more packet of call n dated
    0.9 s after its last one: older than the clock, yet not idle past the timeout by its own time.
    Single-threaded, the flow ended at the other packet and the late one starts a new stream; a
    shard that took it would have counted it into the stream that ended."""
    fr, nxt = rtp_calls(calls, lambda n: 4000000 + n * 250000)
    for n, (_, pkt, stop) in enumerate(nxt):
        fr.append((stop + 1600000 + 1, ("late", n, pkt)))
    out = sorted(fr, key=lambda x: x[0])
    # move each late packet one place later and date it 0.7 s back: older than the clock
    for i in range(len(out) - 1):
        if isinstance(out[i][1], tuple):
            t, (_, n, f) = out[i]
            out[i], out[i + 1] = out[i + 1], (t - 700000, f)
    write_pcap_at(path, [(t, f) for t, f in out if not isinstance(f, tuple)])


def main():
    tmp = tempfile.mkdtemp(prefix="ctitap-workers-")
    rtp = os.path.join(tmp, "rtp.pcap")
    subprocess.run([GEN, "-q", "-o", rtp, "--scenario", "mix", "--calls", "800", "--concurrency", "700", "--talk", "5",
                    "--csta", "both"], check=True)
    same("RTP calls on two CSTA links, SPAN copies", rtp, ("-X", "record.devices=2000-2999"), min_taken=0.5)
    same("the same, flows expiring every second", rtp, ("-X", "flow.udp_timeout_s=1"))
    same("the same, a full flow table (flow.max=1024)", rtp, ("-X", "flow.max=1024"))
    same("the same, active RTP flows evicted (flow.max=256)", rtp, ("-X", "flow.max=256"))
    recording_with_workers(tmp, "demo", os.path.join(SRC, "pcaps", "demo-csta.pcap"), "2000-2999", 0.2)
    for sc in ("consultation_transfer", "conference", "hold_retrieve"):
        recording_with_workers(tmp, sc, os.path.join(SRC, "pcaps", "scenarios", sc + ".pcap"), "*", 0.1)
    mixrec = os.path.join(tmp, "rtp-rec.pcap")
    subprocess.run([GEN, "-q", "-o", mixrec, "--scenario", "mix", "--calls", "200", "--concurrency", "150", "--talk",
                    "4", "--csta", "both"], check=True)
    recording_with_workers(tmp, "200 calls", mixrec, "*", 0.5)
    reload_starts_recording(tmp, os.path.join(SRC, "pcaps", "demo-csta.pcap"))
    default_workers(os.path.join(SRC, "pcaps", "demo-csta.pcap"))
    late = os.path.join(tmp, "late.pcap")
    late_packets(late)
    same("RTP packets older than the clock, their flow expired by it", late, ("-X", "flow.udp_timeout_s=1"),
         min_taken=0.1)
    copies = os.path.join(tmp, "copies.pcap")
    span_copies(copies)
    rc, out, _ = run(copies, 1, ())
    st = [ln for ln in out.splitlines() if ln.startswith(b'{"type":"stats"')]
    dups = int(re.search(rb'"span_dups":(\d+)', st[-1]).group(1)) if st else 0
    want = 200 + 150 + 120 + 200  # UDP, TCP, UDP with a bad length, IPv6; the late ones are not
    check(dups == want, "SPAN copies of every kind: %d copies found by one thread (%d)" % (dups, want))
    same("SPAN copies of every kind", copies, ())
    bad = os.path.join(tmp, "disorder.pcap")
    disorder(rtp, bad)
    back = os.path.join(tmp, "back.pcap")
    clock_back_after_expiry(back)
    same("the clock back 30 s right after an RTP flow expired", back, ("-X", "flow.udp_timeout_s=1"), min_taken=0.1)
    same("frames out of order, outliers, the clock back 30 s, a 2 h gap", bad, min_taken=0.3)
    same("the same, flows expiring every second", bad, ("-X", "flow.udp_timeout_s=1"))
    for name, make in (("clock steps back a day", lambda p: floodgen.clock_back(p, 200)),
                       ("one frame dated 2096", lambda p: floodgen.future_timestamp(p, 300)),
                       ("frames past the year 9999", lambda p: floodgen.far_future_pcapng(p, 20))):
        p = os.path.join(tmp, re.sub(r"\W+", "-", name) + (".pcapng" if "9999" in name else ".pcap"))
        make(p)
        same(name, p)
    same("the demo with its CTI links", os.path.join(SRC, "pcaps", "demo-csta.pcap"), ("-X", "record.devices=2000-2999"))
    pub = os.path.join(SRC, "..", "shared", "pcaps", "public")
    if os.path.isdir(pub):
        for f in sorted(os.listdir(pub)):
            if f.endswith((".pcap", ".pcapng", ".cap")):
                rc, out, _ = run(os.path.join(pub, f), 1, ())
                if out:
                    same("public " + f, os.path.join(pub, f))
        g711 = os.path.join(pub, "wiresharkwiki__SIP_CALL_RTP_G711.pcap")
        if os.path.exists(g711):
            recording_with_workers(tmp, "public SIP_CALL_RTP_G711", g711, "*", 0.5)
    else:
        print("skip  the public captures: ../shared/pcaps/public is not there")
    print(f"{failures} failure(s)")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
