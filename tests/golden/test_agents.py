#!/usr/bin/env python3
"""Agent states end to end: CSTA XML agent events (ECMA-323 AgentLoggedOnEvent ...
AgentLoggedOffEvent) on a TCP link, built here byte by byte (the simulator's captures carry no
agent events), read by ctitap with a stats record every 5 s of packet time.

ctitap must write one agent_state event per change (not for a repeated state), name the
device from agentDevice or, without it, from the monitor cross-reference, keep the agent id
and the not-ready reason code, and carry in every stats record (periodic and final) an
`agents` block with the time per state up to the record's ts, exact to the millisecond.
Every record must be valid against schemas/.

    test_agents.py CTITAP_BIN
"""
import json
import os
import subprocess
import sys
import tempfile

from golden import check, finish

from pcapgen import tcp_frame, write_pcap_at  # noqa: E402


NS = "http://www.ecma-international.org/standards/ecma-323/csta/ed5"
CLIENT, PBX = ("10.9.0.20", 40000), ("10.9.0.1", 3001)
T0 = 1767603600 * 1000000  # 2026-01-05T09:00:00Z




def frame(invoke, root, inner):
    """An ECMA-323 TCP frame: 00 00, 2-byte total length, 4-digit invoke id, the document."""
    doc = f'<?xml version="1.0" encoding="UTF-8"?><{root} xmlns="{NS}">{inner}</{root}>'.encode()
    return b"\x00\x00" + (8 + len(doc)).to_bytes(2, "big") + b"%04d" % invoke + doc


def dev(tag, d):
    return f"<{tag}><deviceIdentifier>{d}</deviceIdentifier></{tag}>"


def agent(ev, device=None, agent_id=None, reason=None):
    inner = "<monitorCrossRefID>7</monitorCrossRefID>"
    if device:
        inner += dev("agentDevice", device)
    if agent_id:
        inner += f"<agentID>{agent_id}</agentID>"
    if reason:
        inner += f"<reasonCode>{reason}</reasonCode>"
    return frame(9999, ev, inner)


def ts(sec):
    """RFC 3339 of T0 + sec."""
    us = T0 + round(sec * 1000000)
    import datetime
    d = datetime.datetime.fromtimestamp(us // 1000000, datetime.timezone.utc)
    return d.strftime("%Y-%m-%dT%H:%M:%S") + ".%06dZ" % (us % 1000000)


def main():
    ctitap = sys.argv[1]
    import validate
    script = [  # (seconds after T0, sender, payload)
        (0.2, CLIENT, frame(1, "MonitorStart", "<monitorObject><deviceObject>4711</deviceObject></monitorObject>")),
        (0.3, PBX, frame(1, "MonitorStartResponse", "<monitorCrossRefID>7</monitorCrossRefID>")),
        (1.0, PBX, agent("AgentLoggedOnEvent", "4711", "A17")),
        (2.5, PBX, agent("AgentReadyEvent", "4711")),
        (2.6, PBX, agent("AgentReadyEvent", "4711")),               # the same state: no change
        (4.0, PBX, agent("AgentNotReadyEvent", "4711", reason="12")),
        (7.25, PBX, agent("AgentBusyEvent", "4711")),
        (9.0, PBX, agent("AgentWorkingAfterCallEvent")),              # no agentDevice: the monitor's
        (10.5, PBX, agent("AgentLoggedOnEvent", "4712", "A18")),
        (12.0, PBX, agent("AgentLoggedOffEvent", "4711")),
        (13.0, PBX, agent("AgentReadyEvent", "4712")),
    ]
    seq = {CLIENT: 1000, PBX: 5000}
    frames = [
        (T0, tcp_frame(CLIENT, PBX, seq[CLIENT], 0, "S", b"", 1)),
        (T0 + 100, tcp_frame(PBX, CLIENT, seq[PBX], seq[CLIENT] + 1, "SA", b"", 2)),
        (T0 + 200, tcp_frame(CLIENT, PBX, seq[CLIENT] + 1, seq[PBX] + 1, "A", b"", 3)),
    ]
    seq = {CLIENT: 1001, PBX: 5001}
    for i, (sec, src, payload) in enumerate(script):
        dst = PBX if src == CLIENT else CLIENT
        frames.append((T0 + round(sec * 1000000), tcp_frame(src, dst, seq[src], seq[dst], "PA", payload, 10 + i)))
        seq[src] += len(payload)
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "agents.pcap")
        write_pcap_at(path, frames)
        p = subprocess.run([ctitap, "-q", "-r", path, "-o", "jsonl:-", "-X", "stats.interval_s=5",
                            "-X", "sensor.name=agents-test"], capture_output=True, text=True, timeout=60)
    lines = [l for l in p.stdout.splitlines() if l.strip()]
    errs = validate.validate_lines(lines)
    check(p.returncode == 0 and lines and not errs, f"ctitap ran, {len(lines)} valid records {errs[:3]} {p.stderr[:300]}")
    recs = [json.loads(l) for l in lines]

    got = [{k: r.get(k) for k in ("ts", "device", "agent_id", "state", "previous", "previous_ms", "reason", "trigger")}
           for r in recs if r.get("name") == "agent_state"]
    want = [
        (1.0, "4711", "A17", "not_ready", None, None, None, "agent_logged_on"),
        (2.5, "4711", "A17", "ready", "not_ready", 1500, None, "agent_ready"),
        (4.0, "4711", "A17", "not_ready", "ready", 1500, "12", "agent_not_ready"),
        (7.25, "4711", "A17", "busy", "not_ready", 3250, None, "agent_busy"),
        (9.0, "4711", "A17", "work_after_call", "busy", 1750, None, "agent_working_after_call"),
        (10.5, "4712", "A18", "not_ready", None, None, None, "agent_logged_on"),
        (12.0, "4711", "A17", "logged_off", "work_after_call", 3000, None, "agent_logged_off"),
        (13.0, "4712", "A18", "ready", "not_ready", 2500, None, "agent_ready"),
    ]
    want = [dict(zip(("ts", "device", "agent_id", "state", "previous", "previous_ms", "reason", "trigger"),
                     (ts(w[0]),) + w[1:])) for w in want]
    check(got == want, "one agent_state event per change, in order" +
          ("" if got == want else ":\n  got  %s\n  want %s" % (got, want)))
    ev = [r for r in recs if r.get("name") == "agent_state"]
    check(all(r["src"] == "csta" and r["type"] == "event" and "call" not in r for r in ev),
          "agent_state events are csta events of no call")
    raw = [r for r in recs if r.get("src") == "csta" and r["name"].startswith("agent_") and r["name"] != "agent_state"]
    check(len(raw) == 9, "every agent event still has its own csta event record (%d)" % len(raw))

    stats = [r for r in recs if r["type"] == "stats"]
    check([(s["ts"], s["final"]) for s in stats] == [(ts(5), False), (ts(10), False), (ts(13), True)],
          "stats at 5 s, 10 s and the final one at the last packet: %s" % [(s["ts"], s["final"]) for s in stats])

    def ms(lo=0, r=0, nr=0, wac=0, b=0):
        return {"logged_off": lo, "ready": r, "not_ready": nr, "work_after_call": wac, "busy": b}

    want_agents = [
        [{"device": "4711", "agent_id": "A17", "state": "not_ready", "reason": "12", "ms": ms(r=1500, nr=2500)}],
        [{"device": "4711", "agent_id": "A17", "state": "work_after_call", "reason": None,
          "ms": ms(r=1500, nr=4750, b=1750, wac=1000)}],
        [{"device": "4711", "agent_id": "A17", "state": "logged_off", "reason": None,
          "ms": ms(lo=1000, r=1500, nr=4750, b=1750, wac=3000)},
         {"device": "4712", "agent_id": "A18", "state": "ready", "reason": None, "ms": ms(nr=2500)}],
    ]
    for s, w in zip(stats, want_agents):
        check(s.get("agents") == w, "stats at %s: the agents block" % s["ts"] +
              ("" if s.get("agents") == w else ": %s, want %s" % (s.get("agents"), w)))
    if stats:
        f = stats[-1]
        check(f["agents_tracked"] == 2 and f["agent_state_changes"] == 8 and f["agents_evicted"] == 0,
              "counters: 2 agents, 8 changes, none evicted")

    # the cap: with agents.max=1 each new device evicts the other (4712 at 10.5 s, 4711 again at
    # 12 s, 4712 again at 13 s), which then starts afresh: its agent id (sent at logon) is gone
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "agents.pcap")
        write_pcap_at(path, frames)
        p = subprocess.run([ctitap, "-q", "-r", path, "-o", "jsonl:-", "-X", "agents.max=1"],
                           capture_output=True, text=True, timeout=60)
    recs = [json.loads(l) for l in p.stdout.splitlines() if l.strip()]
    f = recs[-1] if recs else {}
    check(p.returncode == 0 and f.get("agents") == [{"device": "4712", "agent_id": None, "state": "ready", "reason": None,
                                                     "ms": ms()}] and
          f.get("agents_evicted") == 3 and f.get("agents_tracked") == 4,
          "agents.max=1: 4712 alone and afresh in the final stats, 3 evictions (%s, %s)" % (f.get("agents"),
                                                                                         f.get("agents_evicted")))
    return finish()


if __name__ == "__main__":
    sys.exit(main())
