#!/usr/bin/env python3
"""Checks the CSTA BER links of the BER scenario twins with tools and text that are not the
encoder of scenarios.py (run by `scenarios.py --check`, i.e. ctest test_scenarios_regen):

  1. every BER TCP stream of a *_ber.pcap is reassembled from the capture (by sequence number)
     and split by its 2-byte length framing; the PDUs equal, in order, the ones the script
     logged, and nothing is left over;
  2. every PDU goes through asn1c's `unber -p` (its own BER parser): exit 0, nothing on stderr,
     one top-level TLV spanning the whole PDU;
  3. the TLV tree unber prints is read against asn/CSTA-Phase3.asn1 (the module text, parsed
     here): the ROSE envelope, the operation code, the EventSpecificInfo / CallControlEvents /
     LogicalDeviceFeatureEvents alternative of the event the XML names, and every SEQUENCE's
     children in the module's field order with no mandatory field missing; the values
     (callIDs, device ids, monitorCrossRefID, LocalConnectionState and EventCause through the
     module's ENUMERATED names, correlatorData, the connection lists) equal those of the
     ECMA-323 message the PDU was written from;
  4. a ConsultationCall request and result, a HoldCall result (noData) and a QueuedEvent of a
     withheld caller (the busy hour's), which no twin uses, are encoded and checked the same way.
Prints ok:/FAIL: lines; returns the number of failures.
"""
import html
import os
import re
import struct
import subprocess
import tempfile
import xml.etree.ElementTree as ET

HERE = os.path.dirname(os.path.abspath(__file__))
MODULE = os.path.join(os.path.dirname(os.path.dirname(HERE)), "asn", "CSTA-Phase3.asn1")

# ROSE local operation codes (ECMA-285), independent of scenarios.py's table
OPS = {"ConferenceCall": 6, "ConsultationCall": 7, "HoldCall": 9, "MakeCall": 10, "TransferCall": 16,
       "SingleStepTransferCall": 50, "MonitorStart": 71}
# ECMA-323 element -> ECMA-285 event (CHOICE alternative identifier)
EV_ALT = {"DeliveredEvent": "delivered", "EstablishedEvent": "established", "ConnectionClearedEvent": "connectionCleared",
          "CallClearedEvent": "callCleared", "HeldEvent": "held", "RetrievedEvent": "retrieved",
          "ServiceInitiatedEvent": "serviceInitiated", "OriginatedEvent": "originated",
          "NetworkReachedEvent": "networkReached", "TransferedEvent": "transferred", "ConferencedEvent": "conferenced",
          "AgentReadyEvent": "agentReady", "AgentLoggedOnEvent": "agentLoggedOn", "QueuedEvent": "queued"}


# ---- the module text -----------------------------------------------------------------------

def _split_top(body):
    out, depth, cur = [], 0, ""
    for ch in body:
        if ch in "{(":
            depth += 1
        elif ch in "})":
            depth -= 1
        if ch == "," and depth == 0:
            out.append(cur.strip())
            cur = ""
        else:
            cur += ch
    if cur.strip():
        out.append(cur.strip())
    return out


class Module:
    def __init__(self, path):
        text = re.sub(r"--[^\n]*", "", open(path).read())
        self.defs = {}
        for m in re.finditer(r"^([A-Za-z][\w-]*)\s*::=\s*(.*?)(?=^[A-Za-z][\w-]*\s*::=|^END)", text, re.S | re.M):
            self.defs[m.group(1)] = " ".join(m.group(2).split())

    @staticmethod
    def strip_tag(s):
        """(tag or None, EXPLICIT?, rest) of a type text."""
        m = re.match(r"\[(APPLICATION |UNIVERSAL |PRIVATE )?(\d+)\]\s*(IMPLICIT|EXPLICIT)?\s*(.*)$", s)
        if not m:
            return None, False, s
        return "[%s%s]" % (m.group(1) or "", m.group(2)), m.group(3) == "EXPLICIT", m.group(4)

    def body(self, s, kw):
        m = re.match(kw + r"\s*\{(.*)\}\s*$", s)
        return _split_top(m.group(1)) if m else None

    def fields(self, tname):
        """[(ident, type text, optional)] of a SEQUENCE or CHOICE type (its own tag stripped)."""
        s = self.defs[tname] if tname in self.defs else tname
        _, _, s = self.strip_tag(s)
        for kw in ("SEQUENCE", "CHOICE"):
            b = self.body(s, kw)
            if b is not None:
                out = []
                for f in b:
                    if f == "...":
                        continue
                    ident, rest = f.split(None, 1)
                    opt = rest.endswith(" OPTIONAL")
                    out.append((ident, rest[:-9].strip() if opt else rest, opt))
                return out
        raise KeyError(tname)

    def tags(self, t):
        """The set of outer tags (as unber prints them) a type text can start with."""
        tag, _, rest = self.strip_tag(t)
        if tag:
            return {tag}
        if t in self.defs:
            return self.tags(self.defs[t])
        if t.startswith("SEQUENCE"):
            return {"[UNIVERSAL 16]"}
        if t.startswith("ENUMERATED"):
            return {"[UNIVERSAL 10]"}
        if t.startswith("CHOICE"):
            return set().union(*(self.tags(ft) for _, ft, _ in self.fields(t)))
        return {"OCTET STRING": {"[UNIVERSAL 4]"}, "INTEGER": {"[UNIVERSAL 2]"}, "IA5String": {"[UNIVERSAL 22]"},
                "NULL": {"[UNIVERSAL 5]"}, "BOOLEAN": {"[UNIVERSAL 1]"}}[t]

    def enum(self, t):
        """{value: name} of an ENUMERATED type."""
        s = self.defs.get(t, t)
        _, _, s = self.strip_tag(s)
        return {int(v): n for n, v in re.findall(r"(\w+)\s*\((\d+)\)", s)}


# ---- unber --------------------------------------------------------------------------------

class Node:
    def __init__(self, tag, cons):
        self.tag, self.cons, self.kids, self.val = tag, cons, [], b""


def unber(pdu, tmp):
    path = os.path.join(tmp, "pdu.ber")
    with open(path, "wb") as f:
        f.write(pdu)
    p = subprocess.run(["unber", "-p", path], capture_output=True)
    if p.returncode != 0 or p.stderr:
        raise ValueError("unber exit %d: %s" % (p.returncode, p.stderr.decode(errors="replace").strip()))
    root = Node(None, True)
    stack = [root]
    for line in p.stdout.decode("latin-1").splitlines():
        line = line.strip()
        if not line:
            continue
        m = re.match(r'<([CP]) O="(\d+)" T="([^"]+)" TL="(\d+)" V="(\d+)"[^>]*>(.*)$', line)
        if m:
            n = Node(m.group(3), m.group(1) == "C")
            stack[-1].kids.append(n)
            if n.cons:
                stack.append(n)
            else:
                mm = re.match(r"(.*)</P>$", m.group(6))
                raw = re.sub(r"&#x([0-9A-Fa-f]+);", lambda x: chr(int(x.group(1), 16)), mm.group(1))
                n.val = html.unescape(raw).encode("latin-1")
                if len(n.val) != int(m.group(5)):
                    raise ValueError("unber value length %d != V=%s" % (len(n.val), m.group(5)))
            continue
        if line.startswith("</C"):
            stack.pop()
            continue
        raise ValueError("unexpected unber line %r" % line)
    if len(stack) != 1 or len(root.kids) != 1:
        raise ValueError("unber: %d top-level TLVs" % len(root.kids))
    m = re.search(r'</C O="(\d+)"[^>]*L="(\d+)">\s*$', p.stdout.decode("latin-1"))
    if not m or int(m.group(2)) != len(pdu):
        raise ValueError("unber: the top-level TLV does not span the %d bytes" % len(pdu))
    return root.kids[0]


# ---- reading the tree against the module ---------------------------------------------------

class Reader:
    def __init__(self, mod):
        self.mod = mod

    def seq(self, tname, node, where):
        """{ident: (type text, node)} of a SEQUENCE's children, matched in the module's order."""
        fields = self.mod.fields(tname)
        out, i = {}, 0
        for k in node.kids:
            while i < len(fields) and k.tag not in self.mod.tags(fields[i][1]):
                if not fields[i][2]:
                    raise ValueError("%s: mandatory %s missing before %s" % (where, fields[i][0], k.tag))
                i += 1
            if i == len(fields):
                raise ValueError("%s: child %s fits no field (in order) of %s" % (where, k.tag, tname))
            out[fields[i][0]] = (fields[i][1], k)
            i += 1
        for f in fields[i:]:
            if not f[2]:
                raise ValueError("%s: mandatory %s missing" % (where, f[0]))
        return out

    def choice(self, tname, node, where):
        for ident, t, _ in self.mod.fields(tname):
            if node.tag in self.mod.tags(t):
                return ident, t
        raise ValueError("%s: %s is no alternative of %s" % (where, node.tag, tname))

    def inner(self, t, node):
        """The node carrying the value of type text t once its own tag is accounted for:
        EXPLICIT tags and tagged CHOICEs wrap one child."""
        tag, explicit, rest = self.mod.strip_tag(t)
        if tag is None and t in self.mod.defs:
            return self.inner(self.mod.defs[t], node)
        if tag and (explicit or rest.startswith("CHOICE") or (rest in self.mod.defs and
                                                                 self.mod.defs[rest].startswith("CHOICE"))):
            assert node.cons and len(node.kids) == 1, "explicit %s must wrap one TLV" % tag
            return rest, node.kids[0]
        return rest if tag else t, node

    def devid(self, node, where):
        """DeviceID: the dialingNumber text."""
        f = self.seq("DeviceID", node, where)
        alt = f["deviceIdentifier"][1]
        if alt.tag != "[0]":
            raise ValueError("%s: deviceIdentifier %s is not dialingNumber [0]" % (where, alt.tag))
        return alt.val.decode("ascii")

    def extdev(self, t, node, where):
        rest, n = self.inner(t, node)
        ident, at = self.choice(rest, n, where)
        return self.devid(n, where) if ident in ("deviceIdentifier", "numberdialed") else ident

    def conn(self, t, node, where):
        """(callID hex, device or None) of a ConnectionID, tagged as t says."""
        tag, explicit, rest = self.mod.strip_tag(t)
        n = node
        if tag is None or rest == "ConnectionID" and not explicit:
            # [APPLICATION 11] CHOICE (or its implicit replacement [0]): one alternative inside
            assert n.cons and len(n.kids) == 1, where
            n = n.kids[0]
        else:  # EXPLICIT [n] ConnectionID: then [APPLICATION 11]
            assert n.cons and len(n.kids) == 1 and n.kids[0].tag == "[APPLICATION 11]", where
            n = n.kids[0].kids[0]
        ident, _ = self.choice("ConnectionID", n, where)
        if ident == "callID":
            return n.val.hex(), None
        if ident == "both":
            both = [x for x in self.mod.fields("ConnectionID") if x[0] == "both"][0][1]
            f = self.seq(both, n, where)
            dev = f["deviceID"][1]
            assert len(dev.kids) == 1 and dev.kids[0].tag == "[UNIVERSAL 16]", where  # staticID DeviceID
            return f["callID"][1].val.hex(), self.devid(dev.kids[0], where)
        raise ValueError("%s: ConnectionID %s" % (where, ident))

    def value(self, ident, t, node, where):
        """A comparable value of one field."""
        base = self.mod.strip_tag(t)[2] if self.mod.strip_tag(t)[0] else t
        if base == "ConnectionID":
            return self.conn(t, node, where)
        if base in ("SubjectDeviceID", "CallingDeviceID", "CalledDeviceID", "RedirectionDeviceID"):
            return self.extdev(base, node, where)
        if base == "DeviceID":
            return self.devid(node, where)
        if base == "CSTAObject":
            ident2, _ = self.choice("CSTAObject", node, where)
            return self.devid(node, where) if ident2 == "deviceObject" else self.conn("ConnectionID", node, where)
        if base in ("LocalConnectionState", "EventCause"):
            return self.mod.enum(base)[int.from_bytes(node.val, "big", signed=True)]
        if base == "INTEGER":
            return str(int.from_bytes(node.val, "big", signed=True))
        if base in ("MonitorCrossRefID", "OCTET STRING"):
            return node.val.hex() if ident != "agentID" else node.val.decode("ascii")
        if base == "ConnectionList":
            entry = self.mod.fields("ConnectionListEntry")
            items = []
            for it in node.kids:
                f = self.seq("ConnectionListEntry", it, where)
                d = {}
                for k, (ft, n) in f.items():
                    if k in ("newConnection", "oldConnection"):
                        d[k] = self.conn(ft, n, where)
                    elif k == "endpoint":
                        assert len(n.kids) == 1 and n.kids[0].tag == "[UNIVERSAL 16]", where
                        d[k] = self.devid(n.kids[0], where)
                items.append(d)
            assert entry
            return items
        raise ValueError("%s: no reader for %s (%s)" % (where, ident, t))


# ---- the ECMA-323 side ---------------------------------------------------------------------

def _local(el):
    return el.tag.rsplit("}", 1)[-1]


def xml_conn(el):
    k = {_local(c): c.text for c in el}
    return (k["callID"].lower(), k.get("deviceID"))


def xml_value(el):
    kids = list(el)
    names = [_local(c) for c in kids]
    if "callID" in names:
        return xml_conn(el)
    if names == ["deviceIdentifier"] or names == ["deviceObject"]:
        return kids[0].text
    if names in (["notKnown"], ["restricted"]):  # ExtendedDeviceID without a number
        return names[0]
    if names == ["string"]:
        return kids[0].text.lower()
    if names and names[0] == "connectionListItem":
        out = []
        for it in kids:
            d = {}
            for c in it:
                n = _local(c)
                d[n] = list(c)[0].text if n == "endpoint" else xml_conn(c)
            out.append(d)
        return out
    return el.text


def expect_from_xml(xml):
    """(kind, name, {field: value}) of one ECMA-323 message of the script."""
    root = ET.fromstring(xml)
    name = _local(root)
    vals = {}
    for c in root:
        n = _local(c)
        vals[n] = xml_value(c)
    if "monitorCrossRefID" in vals:
        vals["monitorCrossRefID"] = "%04x" % int(vals["monitorCrossRefID"])
    return name, vals


# ---- one PDU --------------------------------------------------------------------------------

def check_pdu(rd, pdu, xml, tmp):
    """Raises on any disagreement; returns a short description of what was checked."""
    top = unber(pdu, tmp)
    if xml in ("(AARQ)", "(AARE)"):
        want = "[APPLICATION 0]" if xml == "(AARQ)" else "[APPLICATION 1]"
        if top.tag != want:
            raise ValueError("ACSE %s tag %s" % (xml, top.tag))
        return xml
    name, want = expect_from_xml(xml)
    if name in EV_ALT:
        if top.tag != "[1]":
            raise ValueError("event is not a ROSE invoke: %s" % top.tag)
        k = top.kids
        if [x.tag for x in k[:2]] != ["[UNIVERSAL 2]", "[UNIVERSAL 2]"] or k[1].val != b"\x15" or len(k) != 3:
            raise ValueError("%s: not invoke { invokeId, opcode 21, argument }" % name)
        arg = rd.seq("CSTAEventReportArgument", k[2], name)
        got = {"monitorCrossRefID": arg["crossRefIdentifier"][1].val.hex()}
        cat_node = arg["eventSpecificInfo"][1]
        cat, cat_t = rd.choice("EventSpecificInfo", cat_node, name)
        _, ev_node = rd.inner(cat_t, cat_node)
        ev_t = rd.mod.strip_tag(cat_t)[2]
        alt, alt_t = rd.choice(ev_t, ev_node, name)
        if alt != EV_ALT[name]:
            raise ValueError("%s encoded as %s.%s (tag %s)" % (name, cat, alt, ev_node.tag))
        seq_t = rd.mod.strip_tag(alt_t)[2]
        fields = rd.seq(seq_t, ev_node, name)
        for ident, (t, n) in fields.items():
            got[ident] = rd.value(ident, t, n, "%s.%s" % (name, ident))
        desc = "%s.%s" % (cat, alt)
    else:
        svc = name[:-8] if name.endswith("Response") else name
        op = OPS[svc]
        k = top.kids
        if name.endswith("Response"):
            if top.tag != "[2]" or len(k) != 2 or k[0].tag != "[UNIVERSAL 2]":
                raise ValueError("%s: not returnResult { invokeId, result }" % name)
            r = k[1].kids
            if r[0].tag != "[UNIVERSAL 2]" or int.from_bytes(r[0].val, "big") != op or len(r) != 2:
                raise ValueError("%s: result opcode %s" % (name, r[0].val.hex()))
            body, tname = r[1], svc + "Result"
        else:
            if top.tag != "[1]" or len(k) != 3 or int.from_bytes(k[1].val, "big") != op:
                raise ValueError("%s: not invoke { invokeId, opcode %d, argument }" % (name, op))
            body, tname = k[2], svc + "Argument"
        got = {}
        if tname not in rd.mod.defs:  # HoldCallResult: noData
            if body.tag != "[UNIVERSAL 5]" or body.val:
                raise ValueError("%s: noData expected, got %s" % (name, body.tag))
        else:
            for ident, (t, n) in rd.seq(tname, body, name).items():
                got[ident] = rd.value(ident, t, n, "%s.%s" % (name, ident))
        # ECMA-323 element names of results/arguments that differ from ECMA-285's
        if "monitorCrossRefID" in got or "crossRefIdentifier" in got:
            got["monitorCrossRefID"] = got.pop("crossRefIdentifier")
        desc = "%s op %d" % ("result" if name.endswith("Response") else "invoke", op)
    missing = {f: v for f, v in want.items() if got.get(f) != v}
    if missing:
        raise ValueError("%s: %s" % (name, "; ".join("%s: BER %r, XML %r" % (f, got.get(f), v)
                                                        for f, v in sorted(missing.items()))))
    extra = sorted(set(got) - set(want))
    return desc + (" (+%s)" % ",".join(extra) if extra else "")


# ---- the capture ---------------------------------------------------------------------------

def ber_streams(pcap, port):
    """{from_pbx: bytes} of the TCP payload to/from port, in sequence order, retransmissions once."""
    segs = {True: {}, False: {}}
    with open(pcap, "rb") as f:
        f.read(24)
        while True:
            h = f.read(16)
            if len(h) < 16:
                break
            _, _, incl, _ = struct.unpack("<IIII", h)
            fr = f.read(incl)
            ip = fr[14:]
            if fr[12:14] != b"\x08\x00" or ip[9] != 6:
                continue
            ihl = (ip[0] & 15) * 4
            tot = struct.unpack("!H", ip[2:4])[0]
            tcp = ip[ihl:tot]
            sp, dp, seq = struct.unpack("!HHI", tcp[:8])
            pl = tcp[(tcp[12] >> 4) * 4:]
            if pl and port in (sp, dp):
                segs[sp == port][seq] = pl
    out = {}
    for d, s in segs.items():
        b, nxt = b"", None
        for seq in sorted(s):
            if nxt is not None and seq != nxt:
                raise ValueError("gap in the stream at %d" % seq)
            b += s[seq]
            nxt = seq + len(s[seq])
        out[d] = b
    return out


def split_frames(b):
    out = []
    while b:
        n = struct.unpack("!H", b[:2])[0]
        if len(b) < 2 + n:
            raise ValueError("framing: %d bytes left, frame says %d" % (len(b) - 2, n))
        out.append(b[2:2 + n])
        b = b[2 + n:]
    return out


def run(out_dir, scens, ber_from_xml, ber_port, show=print):
    """scens: the Scen objects generate() made. Returns the number of failures."""
    bad = 0
    rd = Reader(Module(MODULE))
    with tempfile.TemporaryDirectory() as tmp:
        for sc in scens:
            if sc.enc != "ber":
                continue
            pcap = os.path.join(out_dir, sc.name + ".pcap")
            st = ber_streams(pcap, ber_port)
            n, kinds, fails = 0, {}, []
            for L in sc.links:
                for from_pbx in (True, False):
                    logged = [p for p in L.pdus if p[0] == from_pbx]
                    try:
                        framed = split_frames(st[from_pbx])
                    except ValueError as e:
                        fails.append(str(e))
                        continue
                    if [p[2] for p in logged] != framed:
                        fails.append("%s: the PDUs in the capture differ from the script's" %
                                     ("PBX->CTI" if from_pbx else "CTI->PBX"))
                    for _, xml, pdu in logged:
                        n += 1
                        try:
                            d = check_pdu(rd, pdu, xml, tmp)
                            kinds[d] = kinds.get(d, 0) + 1
                        except (ValueError, KeyError, AssertionError, IndexError) as e:
                            fails.append("PDU %s: %s: %s" % (pdu.hex(), type(e).__name__, e))
            for f in fails:
                show("FAIL: %s: %s" % (sc.name, f))
            bad += len(fails)
            if not fails:
                show("ok: %s: %d BER PDUs framed as written, parsed by unber with no error, tags/fields/values as "
                     "asn/CSTA-Phase3.asn1 and the XML script say: %s" %
                     (sc.name, n, ", ".join("%s x%d" % kv for kv in sorted(kinds.items()))))
        # services no twin uses
        samples = [
            ('<ConsultationCall xmlns="x"><existingCall><callID>5c0a0005</callID><deviceID>2001</deviceID>'
             '</existingCall><consultedDevice>2002</consultedDevice></ConsultationCall>', 7),
            ('<ConsultationCallResponse xmlns="x"><initiatedCall><callID>5c0a0006</callID><deviceID>2001</deviceID>'
             '</initiatedCall></ConsultationCallResponse>', 7),
            ('<HoldCall xmlns="x"><callToBeHeld><callID>5c0a0005</callID><deviceID>2001</deviceID>'
             '</callToBeHeld></HoldCall>', 8),
            ('<HoldCallResponse xmlns="x"/>', 8),
            ('<QueuedEvent xmlns="x"><monitorCrossRefID>703</monitorCrossRefID><queuedConnection><callID>5c0a000a'
             '</callID><deviceID>6000</deviceID></queuedConnection><queue><deviceIdentifier>6000</deviceIdentifier>'
             '</queue><callingDevice><restricted/></callingDevice><calledDevice><deviceIdentifier>5000'
             '</deviceIdentifier></calledDevice><numberQueued>1</numberQueued><localConnectionInfo>queued'
             '</localConnectionInfo><cause>enteringDistribution</cause></QueuedEvent>', 3),
        ]
        for xml, inv in samples:
            try:
                d = check_pdu(rd, ber_from_xml(xml, inv), xml, tmp)
                show("ok: sample %s: unber and the module agree (%s)" % (ET.fromstring(xml).tag.split("}")[1], d))
            except (ValueError, KeyError, AssertionError, IndexError) as e:
                bad += 1
                show("FAIL: sample %s: %s" % (xml[:40], e))
    return bad
