#!/usr/bin/env python3
"""Privacy settings (docs/privacy.md) on real captures: what a clear run writes of telephone
numbers and parties never shows in a masked or pseudonymised run.

    test_privacy_captures.py CTITAP

For every capture (the demo captures, the scenario captures with their settings, and the public
SIP and CSTA captures in ../shared/pcaps/public when present), ctitap runs three times with the
same settings but privacy.numbers: clear, mask, pseudonymise (twice, and once with another key).
The records of the runs line up one to one (ids depend on the input only). Then:

- the numbers: every party field of the clear run (this file's own list, PARTY below, written
  from docs/records.md) and the user part of every URI field give the numbers the capture holds:
  each digit run of 4 or more digits, and the whole digits of a value. In the hidden runs, no
  string outside the id fields (IDS below: Call-IDs, tags, vendor ids, addresses, times) holds a
  digit run equal to one of them, other than a mask's visible tail (digits right after `*`: at
  most privacy.mask_keep, at most half of the number);
- every party field that has a value in the clear run shows another one in the hidden run
  (values that identify nobody, `anonymous`, excepted), in pseudonymise mode `p:` + 16 base32;
- pseudonyms are the keyed BLAKE2b of the canonical number (computed here with hashlib, an
  independent implementation), the same in two runs, other under another key, and join one
  party written two ways (017012345678 by CSTA and +4917012345678 by SIP with
  numbers.country_code=49);
- every record is valid against schemas/, and each record's `call` (the Kafka key) is a ctitap
  call id;
- DTMF: the INFO bodies of wiresharkwiki__DTMFsipinfo.pcap (read by tshark) are the `dtmf` of
  the clear run's INFO events, masked by default.

The public captures are skipped (exit 77 when nothing else could run) where ../shared is absent.
"""
import base64
import glob
import hashlib
import json
import os
import re
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "golden"))
from golden import PUB, ROOT, check, failures, finish  # noqa: E402
from validate import validate_lines, validate_record  # noqa: E402

CTITAP = sys.argv[1] if len(sys.argv) > 1 else os.environ.get("CTITAP_BIN")
KEEP = 4

# Fields naming one party, by record type ("event/sip", "event/csta", "call", ...); a path goes
# into arrays with [].
PARTY = {
    "event/sip": ["calling", "called"],
    "event/csta": ["device", "device2", "subject", "calling", "called", "other", "monitored", "monitor_device",
                   "agent_id"],
    "call": ["calling", "called", "parties[].device", "parties[].agent_id", "transfers[].from", "transfers[].to",
             "diversions[].from", "diversions[].to", "conference.parties[]", "released_by", "recording[].device"],
    "recording": ["device"],
    "stats": ["agents[].device", "agents[].agent_id"],
}
# URI fields: their user part names a party too.
URIS = {"event/sip": ["from", "to", "uri", "pai", "diversion", "referred_by", "refer_to"]}
# Ids and addresses, written as they came (docs/privacy.md says why); not scanned.
IDS = {"id", "call", "sensor", "call_id", "call_id2", "sip[]", "csta[].call_id", "csta[].link", "link", "merged[]",
       "from_tag", "to_tag", "replaces", "refer_replaces", "session", "uui", "ucid", "genesys_uuid", "cisco_guid",
       "session_id", "correlator", "user_data", "global_call_id", "xref", "from_addr", "to_addr", "src_ip",
       "dst_ip", "media[].ip", "rtp[].ip", "ssrc", "user_agent", "ns", "codec", "media[].codec", "media[].type"}
TIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$")
PSEUDONYM = re.compile(r"p:[a-z2-7]{16}")
NOBODY = {"anonymous", "unknown", "unavailable", "restricted", "private", "withheld"}
CALL_ID = re.compile(r"^[a-z]+-[0-9a-f]{16}$")


def kind(r):
    return r["type"] + ("/" + r.get("src", "") if r["type"] == "event" else "")


def values(obj, path):
    """The values at path ("parties[].device", "conference.parties[]") in obj."""
    parts = path.split(".")
    cur = [obj]
    for p in parts:
        arr = p.endswith("[]")
        key = p[:-2] if arr else p
        nxt = []
        for c in cur:
            if not isinstance(c, dict) or c.get(key) is None:
                continue
            v = c[key]
            if arr:
                nxt.extend(v if isinstance(v, list) else [])
            else:
                nxt.append(v)
        cur = nxt
    return [v for v in cur if isinstance(v, str)]


def strings(obj, path=""):
    """(path, string) for every string in obj, paths as in IDS."""
    if isinstance(obj, dict):
        for k, v in obj.items():
            yield from strings(v, k if not path else path + "." + k)
    elif isinstance(obj, list):
        for v in obj:
            yield from strings(v, path + "[]")
    elif isinstance(obj, str):
        yield path, obj


def user_part(v):
    """The user part of a party value or URI (numbers.h step 1)."""
    m = re.search(r"<([^>]*)", v)
    if m:
        v = m.group(1)
    v = re.sub(r"^(?i:sips?:|tel:)", "", v)
    return re.split(r"[@;?>:]", v)[0]


def numbers_of(value):
    """The numbers a value shows: digit runs of 4+ digits, and its digits together."""
    out = set(re.findall(r"\d{4,}", value))
    digits = re.sub(r"\D", "", user_part(value))
    if len(digits) >= 4 and re.fullmatch(r"[+\d\s().-]+", user_part(value) or "x"):
        out.add(digits)
    return out


def canonical(value, cc):
    """numbers.h's canonical form for the plain cases the captures hold (no rules)."""
    u = re.sub(r"[\s().-]", "", user_part(value)).replace("%2B", "+")
    if not re.fullmatch(r"\+?[\d*#]+", u or "x"):
        return None
    if u.startswith("+"):
        return u
    if u.startswith("00"):
        return "+" + u[2:]
    if u.startswith("0") and cc:
        return "+" + cc + u[1:]
    return u


def pseudonym(key, text):
    h = hashlib.blake2b(text.encode(), digest_size=16, key=key).digest()[:10]
    return "p:" + base64.b32encode(h).decode().lower()


def run(args, name):
    p = subprocess.run([CTITAP, "-q", "-o", "jsonl:-"] + args, capture_output=True, text=True, timeout=300)
    check(p.returncode == 0, "%s: ctitap %s exit %d %s" % (name, " ".join(args[-6:]), p.returncode,
                                                           p.stderr.strip()[:200]))
    lines = [l for l in p.stdout.splitlines() if l.strip()]
    return lines, [json.loads(l) for l in lines]


def compare(name, clear, hidden, mode, key, cc):
    """Assertions on one capture's hidden run against its clear run."""
    check(len(clear) == len(hidden) and all(a["id"] == b["id"] for a, b in zip(clear, hidden)),
          "%s %s: %d records, the same ids as the clear run's %d" % (name, mode, len(hidden), len(clear)))
    nums = set()
    for r in clear:
        for path in PARTY.get(kind(r), []):
            for v in values(r, path):
                nums |= numbers_of(v)
        for path in URIS.get(kind(r), []):
            for v in values(r, path):
                nums |= numbers_of(user_part(v))
    leaks, bad_tails, same, hidden_fields, bad_pseudo = [], [], [], 0, []
    for a, b in zip(clear, hidden):
        for path in PARTY.get(kind(a), []):
            for va, vb in zip(values(a, path), values(b, path)):
                if va == "?" or user_part(va).lower() in NOBODY:
                    continue
                hidden_fields += 1
                if va == vb:
                    same.append("%s %s=%s" % (kind(a), path, va))
                if mode == "pseudonymise" and not PSEUDONYM.fullmatch(vb):
                    bad_pseudo.append("%s %s=%s" % (kind(a), path, vb))
        for path in URIS.get(kind(a), []):
            for va, vb in zip(values(a, path), values(b, path)):
                ua = user_part(va)
                if not ua or ua.lower() in NOBODY or not re.match(r"(?i)(sips?|tel):[^@]+@|tel:", va):
                    continue
                hidden_fields += 1
                if ua == user_part(vb):
                    same.append("%s %s=%s" % (kind(a), path, va))
        for path, s in strings(b):
            if path in IDS or TIME.match(s):
                continue
            s2 = PSEUDONYM.sub("", s)
            for m in re.finditer(r"\d+", s2):
                tail = m.start() > 0 and s2[m.start() - 1] == "*"
                if tail:
                    if len(m.group()) > KEEP:
                        bad_tails.append("%s: %s" % (path, s))
                    continue
                if m.group() in nums:
                    leaks.append("%s %s: %s" % (kind(b), path, s))
    print("%s: the clear run names %d numbers of 4 digits or more (e.g. %s)" % (name, len(nums), sorted(nums)[:3]))
    check(not leaks, "%s %s: no number of the clear run in any field (%d leaks: %s)" % (name, mode, len(leaks),
                                                                                         leaks[:3]))
    check(not bad_tails, "%s %s: masks show at most %d digits (%s)" % (name, mode, KEEP, bad_tails[:3]))
    check(not same, "%s %s: %d party fields and URI user parts, none as in the clear run (%s)" %
          (name, mode, hidden_fields, same[:3]))
    if mode == "pseudonymise":
        check(not bad_pseudo, "%s: every party field is a pseudonym (%s)" % (name, bad_pseudo[:3]))
        # the pseudonym is the keyed hash of the canonical number: hashlib's BLAKE2b agrees
        tried = wrong = 0
        for a, b in zip(clear, hidden):
            if a["type"] != "call" or not a.get("calling"):
                continue
            c = canonical(a["calling"], cc)
            if c is None:
                continue
            tried += 1
            wrong += b["calling"] != pseudonym(key, c)
        if tried:
            check(not wrong, "%s: %d calling pseudonyms are BLAKE2b(key, canonical number) (%d wrong)" %
                  (name, tried, wrong))
    return len(nums), hidden_fields


def captures():
    """(name, pcap, settings) for every capture."""
    out = [("demo", os.path.join(ROOT, "pcaps", "demo.pcap"), {}),
           ("demo-csta", os.path.join(ROOT, "pcaps", "demo-csta.pcap"), {"record.devices": "2000-2999"})]
    for exp in sorted(glob.glob(os.path.join(ROOT, "pcaps", "scenarios", "*.expect.json"))):
        name = os.path.basename(exp)[:-len(".expect.json")]
        settings = dict(json.load(open(exp)).get("settings", {}))
        settings.setdefault("record.devices", "*")
        out.append(("scenario-" + name, exp[:-len(".expect.json")] + ".pcap", settings))
    if os.path.isdir(PUB):
        for f in sorted(glob.glob(os.path.join(PUB, "*")) + glob.glob(os.path.join(PUB, "csta", "*"))):
            if f.endswith((".pcap", ".pcapng", ".cap")) and "protos__" not in f:  # protos: not a capture ctitap reads
                out.append(("public-" + os.path.basename(f), f, {"record.devices": "*"}))
    return out


def settings_args(settings):
    args = []
    for k, v in settings.items():
        args += ["-X", "%s=%s" % (k, v)]
    return args


def dtmf():
    f = os.path.join(PUB, "wiresharkwiki__DTMFsipinfo.pcap")
    if not os.path.exists(f):
        print("skip: DTMF capture not here")
        return
    pdml = subprocess.run(["tshark", "-n", "-r", f, "-Y", 'sip.Method == "INFO"', "-T", "pdml"],
                          capture_output=True, text=True, timeout=120).stdout
    want = []
    for pkt in pdml.split("<packet>")[1:]:
        sig = re.search(r'show="Signal= ?([^\\"]+)\\r\\n"', pkt)
        dur = re.search(r'show="Duration= ?(\d+)\\r\\n"', pkt)
        if sig:
            want.append((sig.group(1), int(dur.group(1)) if dur else None))
    check(len(want) == 4, "tshark: 4 INFO bodies with a DTMF key (%s)" % want)
    _, clear = run(["-r", f, "-X", "privacy.dtmf=clear"], "dtmf")
    got = [(r["dtmf"].get("signal"), r["dtmf"].get("duration_ms")) for r in clear if "dtmf" in r]
    check(got == want, "dtmf=clear: the INFO events carry tshark's keys %s (got %s)" % (want, got))
    lines, masked = run(["-r", f], "dtmf")
    got = [r["dtmf"] for r in masked if "dtmf" in r]
    check(len(got) == len(want) and all(d.get("masked") is True and "signal" not in d for d in got),
          "default: the %d keys are masked, durations kept (%s)" % (len(want), got))
    check(all('"signal"' not in l and "Signal=" not in l for l in lines),
          "default: no key of %s written anywhere" % sorted({s for s, _ in want}))
    check(not validate_lines(lines), "dtmf records valid against schemas/")
    # and the schema can say no: a key that is none, both forms, neither
    info = next(r for r in masked if "dtmf" in r)
    for bad in ({"signal": "12"}, {"signal": "5", "masked": True}, {"duration_ms": 180}, {"masked": False}):
        r = dict(info, dtmf=bad)
        check(validate_record(r), "schema refuses dtmf %s" % bad)


def key_refusals(tmp, kf):
    """ctitap does not start pseudonymising without a usable key: exit 78 and the reason."""
    demo = os.path.join(ROOT, "pcaps", "demo.pcap")
    open_key = os.path.join(tmp, "open.key")
    with open(open_key, "wb") as f:
        f.write(os.urandom(32))
    os.chmod(open_key, 0o644)
    short = os.path.join(tmp, "short.key")
    with open(short, "wb") as f:
        f.write(b"0123456789")
    os.chmod(short, 0o600)
    for args, why in (([], "needs privacy.key_file"),
                      (["-X", "privacy.key_file=" + os.path.join(tmp, "absent")], "cannot read privacy.key_file"),
                      (["-X", "privacy.key_file=" + open_key], "is open to every user"),
                      (["-X", "privacy.key_file=" + short], "must hold 32 random bytes")):
        p = subprocess.run([CTITAP, "-q", "-r", demo, "-o", "jsonl:-", "-X", "privacy.numbers=pseudonymise"] + args,
                           capture_output=True, text=True, timeout=60)
        check(p.returncode == 78 and why in p.stderr and not p.stdout,
              "pseudonymise %s: exit 78, no record, '%s' (got %d: %s)" % (args[-1:] or "without a key", why,
                                                                       p.returncode, p.stderr.strip()[:160]))
    os.chmod(kf, 0o640)  # group-readable: the packaged root:ctitap 0640 works
    p = subprocess.run([CTITAP, "-q", "-r", demo, "-o", "jsonl:-", "-X", "privacy.numbers=pseudonymise",
                        "-X", "privacy.key_file=" + kf], capture_output=True, text=True, timeout=60)
    check(p.returncode == 0 and p.stdout, "a key file of mode 0640 is accepted (%d)" % p.returncode)
    os.chmod(kf, 0o600)


def main():
    if not CTITAP:
        print("usage: test_privacy_captures.py CTITAP")
        return 2
    tmp = tempfile.mkdtemp(prefix="ctitap-privacy-")
    key = os.urandom(32)
    other = os.urandom(32)
    kf, kf2 = os.path.join(tmp, "key"), os.path.join(tmp, "key2")
    for path, k in ((kf, key), (kf2, other)):
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        os.write(fd, k)
        os.close(fd)
    key_refusals(tmp, kf)
    total_nums = total_fields = 0
    for name, pcap, settings in captures():
        settings = dict(settings)
        cc = settings.setdefault("numbers.country_code", "49")
        base = ["-r", pcap] + settings_args(settings)
        clear_lines, clear = run(base, name)
        m_lines, masked = run(base + ["-X", "privacy.numbers=mask"], name)
        p_lines, pseudo = run(base + ["-X", "privacy.numbers=pseudonymise", "-X", "privacy.key_file=" + kf], name)
        p2_lines, _ = run(base + ["-X", "privacy.numbers=pseudonymise", "-X", "privacy.key_file=" + kf], name)
        o_lines, _ = run(base + ["-X", "privacy.numbers=pseudonymise", "-X", "privacy.key_file=" + kf2], name)
        for lines, mode in ((m_lines, "mask"), (p_lines, "pseudonymise")):
            errs = validate_lines(lines)
            check(not errs, "%s %s: records valid against schemas/ (%s)" % (name, mode, errs[:2]))
        n, fields = compare(name, clear, masked, "mask", key, cc)
        compare(name, clear, pseudo, "pseudonymise", key, cc)
        total_nums += n
        total_fields += fields
        check(p_lines == p2_lines, "%s: two pseudonymised runs are byte for byte the same" % name)
        mine = set(PSEUDONYM.findall("\n".join(p_lines)))
        theirs = set(PSEUDONYM.findall("\n".join(o_lines)))
        check(not mine or not (mine & theirs), "%s: another key gives other pseudonyms (%d, %d shared)" %
              (name, len(mine), len(mine & theirs)))
        keys = [r["call"] for r in pseudo if "call" in r]
        check(all(CALL_ID.match(k) for k in keys), "%s: the %d Kafka keys (call ids) hold no number" % (name, len(keys)))
        if name == "demo-csta":
            # privacy.devices_clear: the extensions stay, every other number is hidden
            _, kept = run(base + ["-X", "privacy.numbers=pseudonymise", "-X", "privacy.key_file=" + kf,
                                  "-X", "privacy.devices_clear=2000-2999"], name)
            stayed = hidden_n = wrong = 0
            for a, b in zip(clear, kept):
                for path in PARTY.get(kind(a), []):
                    for va, vb in zip(values(a, path), values(b, path)):
                        ext = re.fullmatch(r"2\d{3}", user_part(va)) is not None
                        stayed += ext and va == vb
                        hidden_n += not ext and PSEUDONYM.fullmatch(vb) is not None
                        wrong += (ext and va != vb) or (not ext and not PSEUDONYM.fullmatch(vb))
            check(stayed and hidden_n and not wrong, "devices_clear=2000-2999: %d extensions stay, %d other parties "
                  "pseudonymised, %d otherwise" % (stayed, hidden_n, wrong))
        if name == "scenario-consultation_transfer":
            # CSTA writes the caller 017012345678, SIP +4917012345678: one party, one pseudonym
            sip = {r["calling"] for r in pseudo if kind(r) == "event/sip" and r.get("name") == "invite"
                   and r.get("from", "").startswith("sip:p:") and "10.2.0.1" in r.get("from", "")}
            csta_clear = [i for i, r in enumerate(clear) if kind(r) == "event/csta" and r.get("calling") == "017012345678"]
            csta = {pseudo[i]["calling"] for i in csta_clear}
            want = pseudonym(key, "+4917012345678")
            check(csta_clear and csta == {want} and want in sip,
                  "017012345678 (CSTA) and +4917012345678 (SIP) are one pseudonym %s (CSTA %s, SIP %s)" %
                  (want, csta, sip))
    check(total_nums >= 20 and total_fields >= 1000, "the captures named %d numbers in %d party fields" %
          (total_nums, total_fields))
    dtmf()
    for f in os.listdir(tmp):
        os.unlink(os.path.join(tmp, f))
    os.rmdir(tmp)
    rc = finish()
    if rc == 0 and not os.path.isdir(PUB):
        print("skip: ../shared/pcaps/public absent: the public captures and DTMF were not checked")
        return 77
    return rc


if __name__ == "__main__":
    sys.exit(main())
