#!/usr/bin/env python3
"""Scenario captures that prove ctitap's call correlator (issue 6), and the records it must give.

    python3 pcaps/gen/scenarios.py [--out DIR] [--check]

writes, for every scenario below, DIR/<name>.pcap (classic pcap, Ethernet, µs timestamps, strict
time order) and DIR/<name>.expect.json (the records ctitap must produce, computed from THIS
script's own packet times, never from ctitap's output). DIR defaults to pcaps/scenarios/.
--check writes into a temporary directory and compares the bytes with the committed files.
Python 3 stdlib only; no randomness: the same script gives the same bytes.

Topology
  carrier SBC 10.2.0.1:5060 (media 10.2.0.1:40000+)  <->  PBX 10.1.0.1:5060 (media 10.1.0.1:20000+)
  PBX (a B2BUA)  <->  agent phones 2001 10.1.1.1, 2002 10.1.1.2, 2003 10.1.1.3 (:5060, media :30000+)
  caller +4917012345678 (CSTA: 017012345678), hotline +4930555000 (CSTA: 5000), queue 6000
  CSTA XML (ECMA-323 ed4) link: PBX CTI 10.1.0.5:1040 <-> CTI server 10.1.0.50:4xxxx, each
  message behind the 8-byte header ctitap-gen uses (00 00, 2-byte total length, 4 ASCII digits
  of invoke id, 9999 for events); standby PBX CTI 10.1.0.6:1040 (failover); uaCSTA between the
  CTI server 10.1.0.50:5060 and the PBX 10.1.0.1:5060 (CSTA XML in SIP INFO).
  RTP: G.729 (PT 18, 20-byte payload) every 20 ms both ways on every leg while it is connected
  (the PBX->phone direction stops while the phone holds); small captures on purpose.
  CTI lag: a CSTA event comes 30 ms after the SIP message that causes it (the variants use
  their own lag, from 12 to 140 ms, and some put Delivered before the PBX's INVITE to the
  phone, as when the PBX reports what it is about to do: negative cti_lag_ms).
  BER twins (<name>_ber, see BER_TWINS): the same script and packet times, the CSTA link as
  ECMA-285 Phase III BER in ROSE on 10.1.0.5:2555 (2-byte length framing, ACSE first), each
  message transcoded from the ECMA-323 text by ber_from_xml(); expected records = the XML
  scenario's with the BER link's name (callIDs: see ber_call_id). --check runs every BER PDU
  through asn1c's unber against asn/CSTA-Phase3.asn1 (check_ber_unber.py).

Expected call record conventions (the rules the expect files are written by)
  R0  (issue 11 item 7) The time of a moment -- a call's start, answer and end, a party's alert,
      answer and release, a hold's start and end, a transfer -- is its earliest evidence on
      either side: the first message in the capture, SIP or CSTA, that the moment causes (the
      rules below list them). A message the capture lost is no evidence (Scen.first).
  R1  One call record per customer call; every SIP dialog (trunk leg, agent legs, the
      consultation dialogs) and every CSTA call (per link, consultation calls included) of it
      are listed in `sip` / `csta` (compared as sets).
  R2  start = the earliest SIP INVITE or CSTA event of the call (CTI requests and their answers
      say what was asked, not what happened, and do not count; inbound: the carrier's trunk
      INVITE). (issue 11 item 7) A click-to-dial call starts at the CTI's MakeCall request.
  R3  answer: inbound = the first answer by a contact-centre device = the earlier of that agent
      leg's SIP 200 OK (to the INVITE) and CSTA Established; outbound = the far end's answer =
      the earlier of the trunk leg's 200 OK and CSTA Established at the far end (a MakeCall call
      is answered when the far end answers, not when the agent's phone auto-answers the PBX's
      first leg). When the capture lost the 200 OK, the ACK that acknowledges it is the
      evidence (R0). null if none.
  R4  (issue 11 item 7) end = the moment the last party left (R0): the earliest message of the
      hang-up that ends the call -- the BYE or CANCEL of the side hanging up and its response,
      the B2BUA's relay of it on the other legs and their responses (200, 487, ACK), the CSTA
      ConnectionCleared and CallCleared it causes. An abandoned call ends at the caller's
      CANCEL, not at the 487 or the CTI clearing that follows; with the BYEs lost, the CTI
      clearing ends the call. ts of the call record = end.
  R5  ring_ms = answer - start (end - start if never answered); hold_ms = sum of hold periods;
      talk_ms = end - answer - hold_ms; every *_ms is floor(µs difference / 1000).
  R6  a hold starts at the earlier of the SIP hold (re-INVITE a=sendonly) and CSTA Held; it ends
      at the earliest of the SIP resume, CSTA Retrieved and the moment (R10, R11) of the
      transfer or conference that reconnects the held customer. holds counts hold periods.
      (issue 11 item 6) Where a CSTA link monitors the holding device, CTI says what is a hold:
      a Held (until its Retrieved); SIP direction changes with no Held -- a PBX parking the
      caller's media or moving it while it transfers or conferences (its own re-INVITEs
      a=sendonly or inactive, then sendrecv) -- are not holds, while the SIP hold and resume of
      a hold CTI reports still give its times (R0). Without CTI for the device, a hold is a
      re-INVITE from the contact-centre side offering sendonly or inactive, until sendrecv.
  R7  calling/called as the customer dialled them, from the trunk leg's INVITE as SIP shows them
      (E.164: P-Asserted-Identity/From user, request-URI user). Outbound too: calling = the DDI
      the PBX presents on the trunk (+49305552001 for 2001), called = +49301234567.
  R8  Device names everywhere else (parties, transfers, conference, released_by, recording) are
      CSTA's: agents 2001.., the caller as CSTA names it (017012345678).
  R9  parties = contact-centre devices (agent extensions) that were alerted or answered on this
      call, in order of first appearance; not the caller, the far end, the hotline/routeing
      device 5000 or the queue 6000. alerted = earlier of its SIP 180 and CSTA Delivered at it;
      answered = earlier of its leg's 200 OK and CSTA Established at it; released = earliest
      sign of it leaving (R0): BYE or CANCEL on its leg and their responses, CSTA
      ConnectionCleared naming it as releasing device, the CallCleared of its call (every
      connection gone: the evidence left when its BYE is lost). null when not seen. A party where CTI reported
      an agent (AgentLoggedOn/Ready/NotReady with agentID) carries that `agent_id`.
  R10 (issue 11 items 7, 8) transfers: one entry per transfer, however many messages report it
      (the CTI request, Transferred on each monitor that sees it, a REFER and its NOTIFYs, an
      INVITE with Replaces): {from: transferring device, to: transferred-to device, kind:
      single_step (SingleStepTransferCall / Transferred cause singleStepTransfer) or consultation
      (Transferred with primary and secondary old call; a phone's REFER with Replaces that CTI
      reports so), refer or replaces only where no CTI reports the transfer, ts: the transfer's
      earliest evidence (R0): the first Transferred event, the BYE (or its 200) that ends a leg
      of the transferring device in the call because of the transfer, the NOTIFY reporting 200
      to a REFER}.
  R11 conference = {parties: everyone in the call when Conferenced came, caller first, then the
      conferencing device, then the added party}; null otherwise. Its moment (for R6): the
      earliest of Conferenced and the SIP messages the conference causes (the PBX ending the
      consultation dialog, the conferencing phone taking the customer's leg off hold).
  R12 released_by = the device that hung up first (CSTA naming, R8); cause = the CSTA cause of
      that first release, snake_case (normal_clearing, call_cancelled).
  R13 correlation.method = the weakest join between the CSTA and the SIP world (shared_id >
      device_time > number_time); SIP-to-SIP joins (a B2BUA's two legs, REFER/Replaces) are
      named in the evidence but are not CSTA<->SIP joins: SIP legs tied to each other are one
      group, as tied to CTI as its best-tied leg. Agent legs with an Avaya UCID
      (User-to-User 00FA08<8 bytes>, CSTA correlatorData) join by shared_id and the evidence
      line names that UCID ("evidence_has"); without one, the agent leg joins by device_time;
      the routed calls' CSTA call first shows at the hotline, whose trunk leg joins by
      number_time (calling and called after numbers.rules, within 3 s) and is then one group with
      the agent leg (the PBX relays its ringing and answer): device_time; a MakeCall's two legs
      are no group (the PBX places both), its trunk joins by the dialled number: number_time.
  R14 queue_ms = CSTA Queued to the Delivered at the agent; route_ms = RouteRequest to the CTI
      server's RouteSelectRequest; cti_lag_ms = the first Delivered at an agent minus the PBX's
      INVITE to that agent. null when not applicable.
  R15 audit: the call record's `audit` kinds must include the expected ones and none of the
      scenario's forbidden ones; an `audit` record of each expected kind must exist (with the
      call's `call` id when the expect names a call). Kind names used: span_duplicate,
      duplicate_event, missing_event, orphan_dialog, missing_response (a CTI request never
      answered), cti_blind, acd_not_ready (a call delivered to an agent CTI reported
      not ready). "any_of" lists alternatives.
  Recording (settings record.devices=2001-2009, record.pause_on_hold=true; scenarios 1, 3, 4, 5):
  R16 recording records: start (reason answered) at the device's answered time (R9); pause
      (held) / resume (retrieved) at the hold start/end (R6); stop at the device's released
      time (R9), reason cleared, or transferred when it left by a transfer. A device starts
      only when it answers. (issue 11 item 8) A recorded agent's consultation call is part of
      the customer call and is recorded while the agent talks on it: when the consulted party
      answers, the consulting agent's recording resumes (reason consultation, rtp = its
      consultation leg) until it leaves the call or takes the customer back.
      rtp on start: the device's agent leg from SDP, as docs/records.md's example has it:
      dir out = the device's own SDP address:port (media sent by the device comes from there),
      dir in = the PBX's SDP address:port of that leg (media towards the device comes from
      there). (issue 11 item 9) A start names both; when one is not known yet at the answer (a
      late offer: the PBX's SDP comes in the ACK), an `update` record (same call and device,
      both directions) follows at the moment the second becomes known: the expected start
      then carries rtp_complete = that moment. Each recording record is written at the event
      that causes it (the scorer measures how late). The call record's recording = per device,
      intervals [{start, end}] (a pause ends an interval, a resume opens one).
  R17 (issue 11 item 9) On time: a call record is written within calls.settle_ms (3 s) of its
      end in packet time; a recording record at the event that causes it. Measured, not
      expected in the files: tests/golden/score_calls.py takes the packet clock at a record
      (the latest ts of any record written before it) minus the call's end or the record's ts.
  Number normalisation (docs/configuration.md): numbers.country_code=49 turns CTI's national
      form (017012345678, 0301234567) into E.164; numbers.rules=5000[4]=>+4930555000 maps the
      hotline's private number to its public one.

The variants' conventions (pcaps/gen/variants.py; issue 11 items 1-5)
  R18 (item 5) Ambiguity: two candidate calls fit a leg equally when every piece of evidence that
      could pair it (numbers, devices, UCIDs, the B2BUA's relays of INVITE, responses, CANCEL and
      BYE) fits both: the deliberate twins have every relayed message within 2 ms of its twin's,
      the PBX's side in the opposite order of the carrier's. Such legs stay apart (a record
      each, or with the legs they alone fit) and an `audit` record of kind ambiguous_join names
      both calls (a SIP Call-ID or CSTA callID of each). The expect file lists the pieces as
      calls of their own ("ambiguous": pair, "truth": the real call), compared by sip and csta
      only, and the audit as {"kind": "ambiguous_join", "pair": [truths]}.
  R19 (items 1, 4) Privacy: From "Anonymous" <sip:anonymous@anonymous.invalid>, Privacy: id, the
      number only in the trunk leg's P-Asserted-Identity (or nowhere), the PBX's leg to the phone
      anonymous with no PAI; CTI names the calling device <restricted/> or <notKnown/>
      (ECMA-323 ExtendedDeviceID; ECMA-285 [8] / [7] IMPLICIT NULL) and its connection as the
      trunk T001. calling = the PAI number (RFC 3325: the identity inside the trust domain),
      null without one; where a rule names the caller as a device (R8, R11, R12) and CTI
      withholds it, the caller is named by calling.
  R20 (item 3) Numbers are written normalised: the digits of a SIP user, tel: number or CSTA
      device string, visual separators (- . ( ) and spaces), display names and URI parameters
      dropped; an OpenScape-style string N<number>...;params stands for its number; a local
      number with ;phone-context=+CC becomes +CC and the number without its trunk prefix 0; no
      other rewriting without numbers.* settings (the numforms variants have none). Two numbers
      name the same party when one ends with the other (at least 4 digits): +4930344442001 is
      extension 2001 and 03034442001, +4917012345678 is 017012345678. An agent device is named
      by its extension (the monitored device, the connection's deviceID), whatever form CTI's
      device fields use (N<+4930344442001>;displayNumber=2001;noa=nk is 2001).
  R21 (item 2) Phones whose SIP user is not the extension (0004f2a1b2c3, agent.smith): the
      extension is in CTI only; records name the device by its extension (parties, conference,
      recording) and list its SIP dialogs. R13 in the variants: where no UCID joins and the
      phone's SIP user is not its extension, or where the base joined by number_time and CTI
      withholds the calling number, the method is not compared (expect method null): the
      correlator may reach the call through different evidence.
  R22 (item 4) Without CTI (b2bua_*): the PBX's incoming and outgoing legs are one call by what
      the B2BUA relays (its INVITE to the phone 38 ms after the carrier's, the target 2001 the
      tail of the dialled DDI, 180/200 relayed, CANCEL and BYE relayed in lockstep), whatever
      the caller's identity on each leg. correlation.method sip_only; parties named by the
      phone's SIP user; cause null (no Reason header); holds are SIP's (R6).
  R23 Capture loss (loss variants): the listed messages are not in the capture (the network
      carried them: IP ids and TCP sequence numbers skip them); R0 takes the next evidence.
      They allow missing_event, orphan_dialog and cti_blind audits; an answered leg whose BYE
      is lost expects missing_event or orphan_dialog, an Established without its Delivered
      missing_event (R15), a lost Transferred missing_event (the transferring device's CSTA
      call on that link never clears). A lost CSTA message is a TCP gap: every call open on that link then
      (from its start to 3 s after its end) may list cti_blind (expect: audit_allowed).
"""
import argparse
import calendar
import contextlib
import filecmp
import json
import os
import struct
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
BASE = 1767607200 * 1000000  # 2026-01-05T10:00:00Z in µs
MS = 1000
NS = "http://www.ecma-international.org/standards/ecma-323/csta/ed4"
SBC = ("10.2.0.1", 5060)
PBX = ("10.1.0.1", 5060)
PHONE = {"2001": "10.1.1.1", "2002": "10.1.1.2", "2003": "10.1.1.3"}


def phone_ip(ext):
    """The address of an agent's phone: 2001 10.1.1.1, 2002 10.1.1.2, ... 250 to a /24."""
    i = int(ext) - 2001
    return "10.1.%d.%d" % (1 + i // 250, 1 + i % 250)
CTI_PBX = ("10.1.0.5", 1040)
CTI_STANDBY = ("10.1.0.6", 1040)
CTI_SRV = "10.1.0.50"
CALLER_E164, CALLER_NAT = "+4917012345678", "017012345678"
CALLER2_E164, CALLER2_NAT = "+4917099988877", "017099988877"
HOTLINE_E164, HOTLINE = "+4930555000", "5000"
QUEUE = "6000"
NUMBER_RULES = "5000[4]=>+4930555000"
LAG = 30 * MS
ALL_KINDS = ["span_duplicate", "duplicate_event", "missing_event", "orphan_dialog", "missing_response",
             "cti_blind", "acd_not_ready", "no_rtp", "unknown_monitor", "evicted"]


ANON = '"Anonymous" <sip:anonymous@anonymous.invalid>'
NATIONAL = {CALLER_E164: CALLER_NAT, CALLER2_E164: CALLER2_NAT}
DISPLAY = {CALLER_E164: "+49 170 12345678", CALLER2_E164: "+49 170 99988877"}


class Profile:
    """How one scenario's site and parties show themselves. The defaults are the base
    scenarios'; pcaps/gen/variants.py sets the others (R17-R22 above say what they change)."""

    def __init__(self, **kw):
        self.variant = ""            # the variant's name ("" for a base scenario)
        self.deferred = False        # CSTA links laid out in time order (Link.finalize)
        self.lag = LAG               # a CTI event after the SIP message that causes it
        self.lag_alert = LAG         # Delivered after the PBX's INVITE to the agent (< 0: CTI first)
        self.privacy = None          # None, "pai" (anonymous From, number in PAI on the trunk) or "nopai"
        self.withheld = "restricted"  # how CTI names a withheld caller: restricted or notKnown
        self.sip_users = {}          # extension -> its phone's SIP user, when that is not the extension
        self.numforms = False        # numbers in other forms (DDI, tel:, phone-context, OSV strings)
        self.loss = frozenset()      # what the capture loses (names: see variants.py)
        self.rtp_burst = None        # RTP packets at the start of each media segment (None: throughout)
        self.opaque_ids = False      # Call-IDs made of hashes, not of the scenario's names
        self.pbx_reinvites = False   # the PBX re-INVITEs the caller's leg while it transfers or conferences
        self.multisignal = False     # a transfer reported twice by CTI (and by the phone's REFER)
        self.late_offer = False      # the PBX's INVITEs to phones carry no SDP (offer in the 200, answer in the ACK)
        self.tail_s = 0              # the carrier's OPTIONS keep-alives every 5 s for this long after the script
        self.cti_forms = True        # numforms: CTI names devices OSV-style too (else only the SIP side varies)
        self.callers = NATIONAL      # the callers' numbers, E.164 -> national (CTI's form)
        self.codec = "G729"          # the audio codec every SDP offers (CODECS)
        for k, v in kw.items():
            if not hasattr(self, k):
                raise AttributeError(k)
            setattr(self, k, v)

    def sip_user(self, ext):
        return self.sip_users.get(ext, ext)

    def cti_rewrites(self):
        """(text, replacement) pairs turning a base CSTA message into this site's."""
        out = []
        for e164, nat in self.callers.items():
            ident = "<deviceIdentifier>%s</deviceIdentifier>" % nat
            if self.privacy:
                out += [(ident, "<%s/>" % self.withheld), ("<deviceID>%s</deviceID>" % nat, "<deviceID>T001</deviceID>")]
            elif self.numforms and self.cti_forms:
                out.append((ident, "<deviceIdentifier>N&lt;%s&gt;;displayNumber=%s;noa=nk</deviceIdentifier>" % (e164, nat)))
        if self.numforms and self.cti_forms:
            for ext in PHONE:
                out.append(("<deviceIdentifier>%s</deviceIdentifier>" % ext,
                            "<deviceIdentifier>N&lt;%s&gt;;displayNumber=%s;noa=nk</deviceIdentifier>" % (ddi(ext), ext)))
        return out

    def caller_device(self, nat, e164):
        """How the records name the caller as a device (R8, R12): CSTA's name, normalised; when
        CSTA withholds it, the call's calling number."""
        if self.privacy:
            return self.calling(e164)
        return e164 if self.numforms and self.cti_forms else nat

    def calling(self, e164):
        """The call record's calling number (R7)."""
        return None if self.privacy == "nopai" else e164


def ddi(ext):
    """The public number of an agent's extension (its DDI): +49 30 3444 <ext>."""
    return "+49303444" + ext


def ts(us):
    s, f = divmod(us, 1000000)
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(s)) + ".%06dZ" % f


def us_of(text):
    """µs since the epoch of a time ts() wrote."""
    return calendar.timegm(time.strptime(text[:19], "%Y-%m-%dT%H:%M:%S")) * 1000000 + int(text[20:26])


def ip4(a):
    return bytes(int(x) for x in a.split("."))


def csum(b):
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return (~s) & 0xffff


# ---- capture -----------------------------------------------------------------------------

class T(int):
    """A packet time (µs) that remembers the packets carrying it: a message's time as the
    script sent it. Arithmetic on it gives plain ints (derived times, not evidence)."""

    def __new__(cls, t, pk=()):
        o = int.__new__(cls, t)
        o.pk = tuple(pk)
        return o


class Cap:
    """Packets of one scenario; IP ids and frames are made in time order when written.
    Packets sent inside `with cap.losing():` are lost by the capture (the network carried them:
    they take their IP id and TCP sequence numbers, but are not written)."""

    def __init__(self):
        self.p = []
        self.n = 0
        self.lost = set()
        self._losing = 0

    def _add(self, t, src, dst, proto, l4):
        self.p.append((t, self.n, src, dst, proto, l4))
        if self._losing:
            self.lost.add(self.n)
        self.n += 1
        return self.n - 1

    @contextlib.contextmanager
    def losing(self, lose=True):
        self._losing += 1 if lose else 0
        try:
            yield
        finally:
            self._losing -= 1 if lose else 0

    def captured(self, t):
        """Whether a message time stands for packets that are all in the capture."""
        return not getattr(t, "gone", False) and not any(i in self.lost for i in getattr(t, "pk", ()))

    def udp(self, t, src, dst, payload):
        ln = 8 + len(payload)
        pseudo = ip4(src[0]) + ip4(dst[0]) + struct.pack("!BBH", 0, 17, ln)
        h = struct.pack("!HHHH", src[1], dst[1], ln, 0)
        c = csum(pseudo + h + payload) or 0xffff
        return T(t, [self._add(t, src[0], dst[0], 17, struct.pack("!HHHH", src[1], dst[1], ln, c) + payload)])

    def tcp(self, t, src, dst, seq, ack, flags, payload=b"", opts=b""):
        off = (20 + len(opts)) // 4
        h = struct.pack("!HHIIBBHHH", src[1], dst[1], seq & 0xffffffff, ack & 0xffffffff, off << 4, flags,
                        65535, 0, 0) + opts
        pseudo = ip4(src[0]) + ip4(dst[0]) + struct.pack("!BBH", 0, 6, len(h) + len(payload))
        c = csum(pseudo + h + payload)
        h = h[:16] + struct.pack("!H", c) + h[18:]
        return T(t, [self._add(t, src[0], dst[0], 6, h + payload)])

    def frames(self, span_us=None):
        ipid = {}
        out = []
        for t, n, s, d, proto, l4 in sorted(self.p):
            i = ipid.get(s, (sum(ip4(s)) * 97) & 0xffff)
            ipid[s] = (i + 1) & 0xffff
            sip_port = proto == 17 and b"\x13\xc4" in (l4[0:2], l4[2:4])
            tos = 0 if proto == 6 else 0x60 if sip_port else 0xb8
            iph = struct.pack("!BBHHHBBH4s4s", 0x45, tos, 20 + len(l4), i, 0x4000, 64, proto, 0, ip4(s), ip4(d))
            if n in self.lost:
                continue
            iph = iph[:10] + struct.pack("!H", csum(iph)) + iph[12:]
            fr = b"\x00\x00\x5e\x00\x01\x01" + b"\x02\x00" + ip4(s) + b"\x08\x00" + iph + l4
            if len(fr) < 60:
                fr += b"\0" * (60 - len(fr))
            out.append((t, n, fr))
            if span_us:
                out.append((t + span_us, n, fr))
        out.sort(key=lambda x: (x[0], x[1]))
        return out

    def write(self, path, span_us=None):
        fr = self.frames(span_us)
        with open(path, "wb") as f:
            f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
            for t, _, b in fr:
                f.write(struct.pack("<IIII", t // 1000000, t % 1000000, len(b), len(b)) + b)
        return len(fr)


# ---- SIP and SDP -------------------------------------------------------------------------

# the audio codecs an SDP may offer: payload type and its rtpmap/fmtp lines (G.729 in the
# scenarios; G.711, G.722 and Opus in pcaps/gen/tones.py). G.722's RTP clock is 8000 though its
# audio is 16 kHz (RFC 3551 4.5.2); Opus is always opus/48000/2 on a dynamic type (RFC 7587 7).
CODECS = {"G729": (18, "a=rtpmap:18 G729/8000\r\na=fmtp:18 annexb=no\r\n"),
          "PCMA": (8, "a=rtpmap:8 PCMA/8000\r\n"), "PCMU": (0, "a=rtpmap:0 PCMU/8000\r\n"),
          "G722": (9, "a=rtpmap:9 G722/8000\r\n"),
          "opus": (111, "a=rtpmap:111 opus/48000/2\r\na=fmtp:111 useinbandfec=0\r\n")}


def sdp(ip, port, sess, ver, direction="sendrecv", codec="G729"):
    pt, lines = CODECS[codec]
    return ("v=0\r\no=- %d %d IN IP4 %s\r\ns=-\r\nc=IN IP4 %s\r\nt=0 0\r\nm=audio %d RTP/AVP %d 101\r\n"
            "%sa=rtpmap:101 telephone-event/8000\r\n"
            "a=fmtp:101 0-15\r\na=ptime:20\r\na=%s\r\n" % (sess, ver, ip, ip, port, pt, lines, direction)).encode()


class Dialog:
    """One SIP dialog over UDP: a is the UAC (caller side), b the UAS."""

    def __init__(self, sc, cid, a, b, a_user, b_user, ruri, a_dom, b_dom, ua_a, ua_b):
        self.sc, self.cid, self.a, self.b = sc, cid, a, b
        self.a_user, self.b_user, self.ruri = a_user, b_user, ruri
        self.a_dom, self.b_dom, self.ua = a_dom, b_dom, (ua_a, ua_b)
        self.ftag = "%08x" % (abs(hash_str(cid + "a")) & 0xffffffff)
        self.ttag = "%08x" % (abs(hash_str(cid + "b")) & 0xffffffff)
        self.cseq = {True: 101, False: 501}
        self.nb = 0
        self.confirmed = False
        self.inv = None
        self.ver = {True: 1, False: 1}
        # name-addr of each side in From/To when not <sip:user@domain> (display names, tel: URIs,
        # anonymous callers), and the user of each side's Contact (and so of in-dialog requests)
        self.a_name = self.b_name = None
        self.a_contact, self.b_contact = a_user, b_user

    def branch(self):
        self.nb += 1
        return "z9hG4bK%06x%02d" % (hash_str(self.cid) & 0xffffff, self.nb)

    def _hdrs(self, from_a, method, cseq, branch, to_tag):
        src = self.a if from_a else self.b
        fa = (self.a_name or "<sip:%s@%s>" % (self.a_user, self.a_dom)) + ";tag=%s" % self.ftag
        tb = (self.b_name or "<sip:%s@%s>" % (self.b_user, self.b_dom)) + (";tag=%s" % self.ttag if to_tag else "")
        frm, to = (fa, tb) if from_a else (tb, fa)
        return ["Via: SIP/2.0/UDP %s:%d;branch=%s" % (src[0], src[1], branch), "From: " + frm, "To: " + to,
                "Call-ID: " + self.cid, "CSeq: %d %s" % (cseq, method)]

    def _send(self, t, from_a, first, hdrs, body=b"", ctype="application/sdp", extra=()):
        src, dst = (self.a, self.b) if from_a else (self.b, self.a)
        lines = [first] + hdrs + list(extra)
        if body:
            lines.append("Content-Type: " + ctype)
        lines.append("Content-Length: %d" % len(body))
        return self.sc.cap.udp(t, src, dst, ("\r\n".join(lines) + "\r\n\r\n").encode() + body)

    def contact(self, from_a):
        return "Contact: <sip:%s@%s:%d>" % ((self.a_contact,) + self.a if from_a else (self.b_contact,) + self.b)

    def request(self, t, method, from_a=True, body=b"", extra=(), ctype="application/sdp", branch=None, cseq=None):
        if cseq is None:
            cseq = self.cseq[from_a]
            self.cseq[from_a] += 1
        branch = branch or self.branch()
        if from_a:
            ruri = self.ruri if not self.confirmed else "sip:%s@%s:%d" % ((self.b_contact,) + self.b)
        else:
            ruri = "sip:%s@%s:%d" % ((self.a_contact,) + self.a)
        h = self._hdrs(from_a, method, cseq, branch, self.confirmed or method in ("BYE",))
        ex = ["Max-Forwards: 70"]
        if method in ("INVITE", "UPDATE"):
            ex.append(self.contact(from_a))
        ex.append("User-Agent: " + self.ua[0 if from_a else 1])
        t = self._send(t, from_a, "%s %s SIP/2.0" % (method, ruri), h, body, ctype, ex + list(extra))
        return {"from_a": from_a, "method": method, "cseq": cseq, "branch": branch, "raw_t": t,
                "body": body, "extra": list(extra), "ctype": ctype}

    def response(self, t, req, code, reason, body=b"", ctype="application/sdp"):
        h = self._hdrs(req["from_a"], req["method"], req["cseq"], req["branch"], code != 100)
        ex = []
        if code in (180, 183, 200) and req["method"] == "INVITE":
            ex.append(self.contact(not req["from_a"]))
        ex.append("Server: " + self.ua[1 if req["from_a"] else 0])
        first = "SIP/2.0 %d %s" % (code, reason)
        src, dst = (self.b, self.a) if req["from_a"] else (self.a, self.b)
        lines = [first] + h + ex
        if body:
            lines.append("Content-Type: " + ctype)
        lines.append("Content-Length: %d" % len(body))
        t = self.sc.cap.udp(t, src, dst, ("\r\n".join(lines) + "\r\n\r\n").encode() + body)
        if code == 200 and req["method"] == "INVITE":
            self.confirmed = True
        return t

    def retransmit(self, t, req):
        """The same request again (same branch and bytes)."""
        was = self.confirmed
        self.confirmed = False if req["method"] == "INVITE" and not was else was
        self.request(t, req["method"], req["from_a"], req["body"], req["extra"], req["ctype"], req["branch"],
                     req["cseq"])
        self.confirmed = was

    def ack(self, t, inv, two_xx=True, body=b""):
        if two_xx:
            return self.request(t, "ACK", inv["from_a"], body, cseq=inv["cseq"])["raw_t"]
        h = self._hdrs(inv["from_a"], "ACK", inv["cseq"], inv["branch"], True)
        return self._send(t, inv["from_a"], "ACK %s SIP/2.0" % self.ruri, h, extra=["Max-Forwards: 70"])


def hash_str(s):
    h = 1469598103934665603
    for c in s.encode():
        h = ((h ^ c) * 1099511628211) & 0xffffffffffffffff
    return h


def rtp_stream(cap, t0, t1, src, dst, ssrc, pcmu=False):
    """RTP every 20 ms from t0 to t1: G.729 (PT 18, 20 bytes), or with pcmu (Profile.codec PCMU) G.711
    µ-law (PT 0, 160 bytes between 0x10 and 0x6f: never µ-law silence, 0xff or 0x7f, so a decoder
    tells audio from a pause)."""
    seq, tsr, t, first = ssrc & 0x7fff, (ssrc * 7) & 0xffffffff, t0, True
    while t < t1:
        if pcmu:
            pl = bytes(0x10 + (seq * 31 + i * 17) % 0x60 for i in range(160))
        else:
            pl = bytes(((seq * 31 + i * 17) & 0xff) for i in range(20))
        cap.udp(t, src, dst, struct.pack("!BBHII", 0x80, (0 if pcmu else 18) | (0x80 if first else 0), seq & 0xffff,
                                         tsr & 0xffffffff, ssrc) + pl)
        first = False
        seq += 1
        tsr += 160
        t += 20 * MS


# ---- CSTA XML over TCP -------------------------------------------------------------------

def X(root, inner=""):
    return '<?xml version="1.0" encoding="UTF-8"?><%s xmlns="%s">%s</%s>' % (root, NS, inner, root)


def conn(tag, cid, dev=None):
    return "<%s><callID>%s</callID>%s</%s>" % (tag, cid, "<deviceID>%s</deviceID>" % dev if dev else "", tag)


def dev(tag, d):
    return "<%s><deviceIdentifier>%s</deviceIdentifier></%s>" % (tag, d, tag)


class Link:
    """A CSTA XML link over TCP (client opens it). send() returns the time of the packet that
    completes the message; the receiver ACKs each message before the next is sent.
    A deferred link (the variants and the busy hour) keeps every message at the time the script
    gives it, whatever the order the script writes them in: finalize() lays them out in time
    order, several in flight at once, each receiver ACKing 150 µs after a message what it got."""

    def __init__(self, sc, pbx, cport, isn, enc="xml", deferred=False):
        self.enc = enc
        self.deferred = deferred
        self.queue, self.used = [], set()
        if enc == "ber":
            pbx = (pbx[0], BER_PORT)
        self.pdus = []  # BER: (from_pbx, the XML the message was transcoded from, PDU bytes)
        self.sc, self.pbx, self.cli = sc, pbx, (CTI_SRV, cport)
        self.seq = {True: isn, False: isn + 0x1000000}  # True: PBX side
        self.last = 0
        self.inv = {True: 0, False: 0}
        self.xref = {}
        self.nxref = 0
        self.name = "%s:%d-%s:%d" % (pbx[0], pbx[1], CTI_SRV, cport)
        self.count = 0

    def open(self, t):
        if self.enc == "ber":
            return self.open_ber(t)
        c = self.sc.cap
        c.tcp(t, self.cli, self.pbx, self.seq[False], 0, 0x02, opts=b"\x02\x04\x05\xb4")
        c.tcp(t + 120, self.pbx, self.cli, self.seq[True], self.seq[False] + 1, 0x12, opts=b"\x02\x04\x05\xb4")
        c.tcp(t + 240, self.cli, self.pbx, self.seq[False] + 1, self.seq[True] + 1, 0x10)
        self.seq[True] += 1
        self.seq[False] += 1
        self.last = t + 240

    def call_id(self, cid):
        """callID as ctitap reports it: the XML text, or the BER octet string in lower-case hex."""
        return ber_call_id(cid).hex() if self.enc == "ber" else cid

    def csta(self, cid):
        """The expected `csta` entries of a CSTA call on this link."""
        return [{"link": self.name, "call_id": self.call_id(cid)}]

    def open_ber(self, t):
        """TCP and the ACSE association (AARQ, AARE) of a BER link, all before t + 240 µs, where
        the XML link's handshake ends: every later packet time equals the XML twin's."""
        c = self.sc.cap
        t -= 3000
        c.tcp(t, self.cli, self.pbx, self.seq[False], 0, 0x02, opts=b"\x02\x04\x05\xb4")
        c.tcp(t + 120, self.pbx, self.cli, self.seq[True], self.seq[False] + 1, 0x12, opts=b"\x02\x04\x05\xb4")
        c.tcp(t + 240, self.cli, self.pbx, self.seq[False] + 1, self.seq[True] + 1, 0x10)
        self.seq[True] += 1
        self.seq[False] += 1
        self.last = t + 240
        self.send_pdu(t + 1000, False, ACSE_AARQ, "(AARQ)")
        self.send_pdu(t + 2000, True, ACSE_AARE, "(AARE)")
        self.last = t + 3240

    def send(self, t, from_pbx, xml, invoke=9999, split=1, swap=False, retx_us=None):
        xml = self.sc.cti_text(xml)
        if self.deferred:
            assert split == 1 and not swap and not retx_us
            return self._defer(t, from_pbx, xml, invoke)
        if self.enc == "ber":
            pdu = ber_from_xml(xml, invoke)
            return self.send_pdu(t, from_pbx, pdu, xml, split=split, swap=swap, retx_us=retx_us)
        body = xml.encode()
        data = struct.pack("!HH", 0, 8 + len(body)) + b"%04d" % invoke + body
        return self.send_data(t, from_pbx, data, split, swap, retx_us)

    def send_pdu(self, t, from_pbx, pdu, src, **kw):
        """One BER PDU behind the 2-byte length ctitap-gen uses on port 2555."""
        if self.deferred:
            return self._defer(t, from_pbx, src, None, pdu)
        self.pdus.append((from_pbx, src, pdu))
        return self.send_data(t, from_pbx, struct.pack("!H", len(pdu)) + pdu, kw.get("split", 1), kw.get("swap", False),
                              kw.get("retx_us"))

    def send_data(self, t, from_pbx, data, split, swap, retx_us):
        t = max(t, self.last + 100)
        src, dst = (self.pbx, self.cli) if from_pbx else (self.cli, self.pbx)
        cuts = [0] + [len(data) * k // split for k in range(1, split)] + [len(data)]
        segs = [(self.seq[from_pbx] + cuts[k], data[cuts[k]:cuts[k + 1]]) for k in range(split)]
        times = [t + 90 * k for k in range(split)]
        order = list(range(split))
        if swap and split >= 2:
            order[0], order[1] = order[1], order[0]
        ack = self.seq[not from_pbx]
        pk = []
        for k, si in enumerate(order):
            pk += self.sc.cap.tcp(times[k], src, dst, segs[si][0], ack, 0x18, segs[si][1]).pk
        done = times[-1]  # the message is complete when its last segment to be sent arrives
        end = self.seq[from_pbx] + len(data)
        self.seq[from_pbx] = end
        last = times[-1]
        if retx_us:
            self.sc.cap.tcp(last + retx_us, src, dst, segs[-1][0], ack, 0x18, segs[-1][1])
            last += retx_us
        self.sc.cap.tcp(last + 150, dst, src, self.seq[not from_pbx], end, 0x10)
        self.last = last + 150
        self.count += 1
        return T(done, pk)

    def _defer(self, t, from_pbx, xml, invoke, pdu=None):
        """A message kept for finalize() at t (1 µs later while another of the link's messages
        has that time); returns its time, lost when sent inside cap.losing()."""
        while t in self.used:
            t += 1
        self.used.add(t)
        h = T(t)
        h.gone = self.sc.cap._losing > 0
        self.queue.append((t, len(self.queue), from_pbx, xml, invoke, pdu, h))
        self.last = max(self.last, t + 150)
        return h

    def finalize(self):
        if not self.deferred:
            return
        start = dict(self.seq)
        ends = {True: [], False: []}  # per sender: (time, sequence number after the message)
        for t, _, from_pbx, xml, invoke, pdu, h in sorted(self.queue):
            if self.enc == "ber":
                if pdu is None:
                    pdu = ber_from_xml(xml, self.invoke(True) if invoke is None else invoke)
                self.pdus.append((from_pbx, xml, pdu))
                data = struct.pack("!H", len(pdu)) + pdu
            else:
                body = xml.encode()
                data = struct.pack("!HH", 0, 8 + len(body)) + b"%04d" % invoke + body
            src, dst = (self.pbx, self.cli) if from_pbx else (self.cli, self.pbx)
            with self.sc.cap.losing(h.gone):
                self.sc.cap.tcp(t, src, dst, self.seq[from_pbx], self.seq[not from_pbx], 0x18, data)
            self.seq[from_pbx] += len(data)
            ends[from_pbx].append((t, self.seq[from_pbx]))
            self.count += 0 if h.gone else 1
        acked = {True: None, False: None}
        for sender in (True, False):
            for t, _ in ends[sender]:
                ta = t + 150
                val = max(e for x, e in ends[sender] if x <= ta)
                if val == acked[sender]:
                    continue
                acked[sender] = val
                mine = [e for x, e in ends[not sender] if x <= ta]
                seq = mine[-1] if mine else start[not sender]
                dst, src = (self.pbx, self.cli) if sender else (self.cli, self.pbx)
                self.sc.cap.tcp(ta, src, dst, seq, val, 0x10)
        self.queue = []

    def rst(self, t):
        self.sc.cap.tcp(t, self.pbx, self.cli, self.seq[True], self.seq[False], 0x14)
        self.last = t

    def invoke(self, from_pbx):
        self.inv[from_pbx] += 1
        return self.inv[from_pbx]

    def monitor(self, t, device):
        i = self.invoke(False)
        self.send(t, False, X("MonitorStart", "<monitorObject><deviceObject>%s</deviceObject></monitorObject>" % device), i)
        self.nxref += 1
        x = str(700 + self.nxref + (0 if self.pbx[0] == CTI_PBX[0] else 100))
        self.xref[device] = x
        return self.send(t + 2 * MS, True, X("MonitorStartResponse", "<monitorCrossRefID>%s</monitorCrossRefID>" % x), i)

    def event(self, t, name, mon, inner, lose=False, **kw):
        """An event at monitor mon's cross-reference; lose: the capture loses it (a TCP gap)."""
        # BER: cSTAEventReport is a ROSE invoke, with the PBX's next invoke id (a deferred link
        # numbers them in time order)
        inv = (self.invoke(True) if not self.deferred else None) if self.enc == "ber" else 9999
        with self.sc.cap.losing(lose):
            return self.send(t, True, X(name, "<monitorCrossRefID>%s</monitorCrossRefID>" % self.xref[mon] + inner), inv,
                             **kw)

    def request(self, t, name, inner, from_pbx=False):
        i = self.invoke(from_pbx)
        return self.send(t, from_pbx, X(name, inner), i), i

    def response(self, t, name, inner, invoke, from_pbx=True):
        return self.send(t, from_pbx, X(name, inner), invoke)


class Fan:
    """Several CSTA links reporting the same calls (a PBX's XML and BER CTI links): events go on
    every link, each copy `spread` µs after the one before; requests and their answers on the
    first link only. A loss applies to the first link's copy (the others still carry it)."""

    def __init__(self, links, spread=1500):
        self.links, self.spread = links, spread
        self.sc = links[0].sc

    def event(self, t, name, mon, inner, lose=False, **kw):
        hs = [L.event(t + i * self.spread, name, mon, inner, lose=lose and i == 0, **kw) for i, L in enumerate(self.links)]
        kept = [h for h in hs if self.sc.cap.captured(h)]
        return min(kept) if kept else hs[0]

    def request(self, t, name, inner, from_pbx=False):
        return self.links[0].request(t, name, inner, from_pbx)

    def response(self, t, name, inner, invoke, from_pbx=True):
        return self.links[0].response(t, name, inner, invoke, from_pbx)

    def csta(self, cid):
        return [c for L in self.links for c in L.csta(cid)]


# ---- CSTA BER (ECMA-285 Phase III) over TCP ----------------------------------------------
#
# A BER link is the XML link's twin: the same script, each message written by ber_from_xml()
# from the ECMA-323 text the XML link would send, as ECMA-285 Phase III inside ROSE (X.880),
# with the encoding choices of ctitap-gen's gen_ber_* helpers: definite lengths (short form,
# 0x81 nn or 0x82 nnnn), one-byte tags, INTEGER/ENUMERATED in the fewest octets; every message
# behind a 2-byte big-endian length on port 2555 (OXE style), the link opened with an ACSE
# association (ctitap-gen's AARQ/AARE bytes). Event reports are ROSE invokes of
# cSTAEventReport (21) with the PBX's invoke ids; requests are invokes with the client's,
# answered by returnResult { invokeId, SEQUENCE { opcode, result } }. Tags follow
# asn/CSTA-Phase3.asn1 (the module text; the --check of this script verifies each PDU
# against it with asn1c's unber). Identifiers: callID = the octets of the XML callID read as
# hex (4 bytes; ctitap reports it as lower-case hex, i.e. the same text); monitorCrossRefID =
# the XML number as 2 bytes big-endian; correlatorData (UCID) = its 8 bytes; device ids =
# DeviceID { dialingNumber [0] IMPLICIT IA5String }.

BER_PORT = 2555
def ber_len(n):
    if n < 128:
        return bytes([n])
    if n < 256:
        return bytes([0x81, n])
    return bytes([0x82, n >> 8, n & 0xff])


def tlv(tag, *content):
    c = b"".join(content)
    return bytes([tag]) + ber_len(len(c)) + c


def ber_uint(tag, v):
    o = v.to_bytes(max(1, (v.bit_length() + 7) // 8), "big")
    if o[0] & 0x80:
        o = b"\0" + o
    return tlv(tag, o)


# ctitap-gen's gen_link_acse(): AARQ { protocol-version version1, application-context-name
# 1.3.12.0.218, user-information EXTERNAL { single-ASN1-type { newDefinition { cSTAVersion
# 3, 5, 15 } } } }; AARE the same with result accepted, result-source-diagnostic
# acse-service-user null and the version accepted, 5.
_ACSE_CTX = tlv(0xa1, tlv(0x06, bytes([0x2b, 0x0c, 0x00, 0x81, 0x5a])))
ACSE_AARQ = tlv(0x60, tlv(0x80, b"\x07\x80"), _ACSE_CTX,
                tlv(0xbe, tlv(0x28, tlv(0xa0, tlv(0xa0, tlv(0x03, b"\x01\x28\x02"))))))
ACSE_AARE = tlv(0x61, tlv(0x80, b"\x07\x80"), _ACSE_CTX, tlv(0xa2, ber_uint(0x02, 0)),
                tlv(0xa3, tlv(0xa1, ber_uint(0x02, 0))),
                tlv(0xbe, tlv(0x28, tlv(0xa0, tlv(0xa0, tlv(0x03, b"\x03\x08"))))))


def ber_call_id(cid):
    return bytes.fromhex(cid)


def ber_xref(x):
    return int(x).to_bytes(2, "big")


def ber_devid(d):
    """DeviceID ::= SEQUENCE { deviceIdentifier CHOICE { dialingNumber [0] IMPLICIT IA5String ... } }"""
    return tlv(0x30, tlv(0x80, d.encode("ascii")))


def ber_conn(cid, d=None, tag=0x6b):
    """ConnectionID ::= [APPLICATION 11] CHOICE { callID [0] IMPLICIT OCTET STRING, deviceID [1]
    LocalDeviceID, both SEQUENCE { callID [0], deviceID [1] } }: both when the device is known."""
    if d is None:
        return tlv(tag, tlv(0x80, ber_call_id(cid)))
    return tlv(tag, tlv(0x30, tlv(0x80, ber_call_id(cid)), tlv(0xa1, ber_devid(d))))


# The ECMA-285 values of the names the script uses (checked against the module by --check).
BER_LCS = {"null": 0, "initiated": 1, "alerting": 2, "connected": 3, "hold": 4, "queued": 5, "fail": 6}
BER_CAUSE = {"callCancelled": 5, "newCall": 22, "transfer": 32, "consultation": 37, "enteringDistribution": 42,
             "makeCall": 44, "normalClearing": 48, "singleStepTransfer": 52, "conference": 63, "normal": 78}

# Event: (EventSpecificInfo alternative tag, its CHOICE alternative tag, fields in module order).
# Field kinds: conn (ConnectionID), conn0 ([0] IMPLICIT ConnectionID), subj/calling/called
# (Subject/Calling/CalledDeviceID, [APPLICATION 3/1/2]), redir (RedirectionDeviceID, mandatory:
# notRequired when the XML has none), lcs (LocalConnectionState), ('corr', n) (correlatorData
# [n] IMPLICIT OCTET STRING), cause (EventCause), ('list', tag) (ConnectionList, tag 0x30 or
# [1] IMPLICIT), ('oct', tag) (agentID).
BER_EVENTS = {
    "CallClearedEvent": (0, 1, [("clearedCall", "conn"), ("correlatorData", ("corr", 1)), ("cause", "cause")]),
    "ConferencedEvent": (0, 2, [("primaryOldCall", "conn"), ("secondaryOldCall", "conn"),
                                ("conferencingDevice", "subj"), ("addedParty", "subj"),
                                ("conferenceConnections", ("list", 0x30)), ("localConnectionInfo", "lcs"),
                                ("correlatorData", ("corr", 1)), ("cause", "cause")]),
    "ConnectionClearedEvent": (0, 3, [("droppedConnection", "conn"), ("releasingDevice", "subj"),
                                      ("localConnectionInfo", "lcs"), ("correlatorData", ("corr", 0)),
                                      ("cause", "cause")]),
    "DeliveredEvent": (0, 4, [("connection", "conn"), ("alertingDevice", "subj"), ("callingDevice", "calling"),
                              ("calledDevice", "called"), ("lastRedirectionDevice", "redir"),
                              ("localConnectionInfo", "lcs"), ("correlatorData", ("corr", 0)), ("cause", "cause")]),
    "EstablishedEvent": (0, 7, [("establishedConnection", "conn"), ("answeringDevice", "subj"),
                                ("callingDevice", "calling"), ("calledDevice", "called"),
                                ("lastRedirectionDevice", "redir"), ("localConnectionInfo", "lcs"),
                                ("correlatorData", ("corr", 1)), ("cause", "cause")]),
    "HeldEvent": (0, 9, [("heldConnection", "conn"), ("holdingDevice", "subj"), ("localConnectionInfo", "lcs"),
                         ("correlatorData", ("corr", 0)), ("cause", "cause")]),
    "NetworkReachedEvent": (0, 11, [("outboundConnection", "conn"), ("networkInterfaceUsed", "subj"),
                                    ("callingDevice", "calling"), ("calledDevice", "called"),
                                    ("lastRedirectionDevice", "redir"), ("localConnectionInfo", "lcs"),
                                    ("correlatorData", ("corr", 0)), ("cause", "cause")]),
    # OriginatedEvent's callingDevice is a SubjectDeviceID in the module
    "OriginatedEvent": (0, 13, [("originatedConnection", "conn"), ("callingDevice", "subj"),
                                ("calledDevice", "called"), ("localConnectionInfo", "lcs"),
                                ("correlatorData", ("corr", 2)), ("cause", "cause")]),
    "RetrievedEvent": (0, 15, [("retrievedConnection", "conn"), ("retrievingDevice", "subj"),
                               ("localConnectionInfo", "lcs"), ("correlatorData", ("corr", 0)), ("cause", "cause")]),
    "ServiceInitiatedEvent": (0, 16, [("initiatedConnection", "conn"), ("initiatingDevice", "subj"),
                                      ("calledDevice", "called"), ("localConnectionInfo", "lcs"),
                                      ("correlatorData", ("corr", 0)), ("cause", "cause")]),
    # ECMA-323 ed4 spells it TransferedEvent
    "TransferedEvent": (0, 17, [("primaryOldCall", "conn"), ("secondaryOldCall", "conn0"),
                                ("transferringDevice", "subj"), ("transferredToDevice", "subj"),
                                ("transferredConnections", ("list", 0xa1)), ("localConnectionInfo", "lcs"),
                                ("correlatorData", ("corr", 2)), ("cause", "cause")]),
    "QueuedEvent": (0, 14, [("queuedConnection", "conn"), ("queue", "subj"), ("callingDevice", "calling"),
                            ("calledDevice", "called"), ("lastRedirectionDevice", "redir"),
                            ("numberQueued", ("int", 0x80)), ("localConnectionInfo", "lcs"), ("cause", "cause")]),
    "AgentLoggedOnEvent": (4, 1, [("agentDevice", "subj"), ("agentID", ("oct", 0x82))]),
    "AgentReadyEvent": (4, 4, [("agentDevice", "subj"), ("agentID", ("oct", 0x04))]),
}
BER_MANDATORY = {"conn", "subj", "calling", "called", "redir", "cause", "dev", "mon", "xref"}
BER_OPTIONAL = {("ServiceInitiatedEvent", "calledDevice"), ("ConferencedEvent", "secondaryOldCall"),
                ("TransferedEvent", "secondaryOldCall"), ("TransferCallResponse", "transferredCall")}

# Services: XML name -> (operation code, argument fields, result fields). Kinds as above plus
# dev (DeviceID from the element's text), mon (CSTAObject deviceObject), xref, null (the
# result is noData).
BER_SERVICES = {
    "ConferenceCall": (6, [("heldCall", "conn"), ("activeCall", "conn")], [("conferenceCall", "conn")]),
    "ConsultationCall": (7, [("existingCall", "conn"), ("consultedDevice", "dev")], [("initiatedCall", "conn")]),
    "HoldCall": (9, [("callToBeHeld", "conn")], "null"),
    "MakeCall": (10, [("callingDevice", "dev"), ("calledDirectoryNumber", "dev")], [("callingDevice", "conn")]),
    "RetrieveCall": (14, [("callToBeRetrieved", "conn")], "null"),
    "TransferCall": (16, [("heldCall", "conn"), ("activeCall", "conn")], [("transferredCall", "conn")]),
    "SingleStepTransferCall": (50, [("activeCall", "conn"), ("transferredTo", "dev")], [("transferredCall", "conn")]),
    "MonitorStart": (71, [("monitorObject", "mon")], [("monitorCrossRefID", "xref")]),
}


def _local(el):
    return el.tag.rsplit("}", 1)[-1]


def _kids(el):
    return {_local(c): c for c in el}


def _conn_of(el, tag=0x6b):
    k = _kids(el)
    return ber_conn(k["callID"].text, k["deviceID"].text if "deviceID" in k else None, tag)


def _field(kind, el):
    k = _kids(el) if el is not None else {}
    if kind == "conn":
        return _conn_of(el)
    if kind == "conn0":  # [0] IMPLICIT ConnectionID: the [APPLICATION 11] tag replaced by [0]
        return _conn_of(el, 0xa0)
    if kind in ("subj", "calling", "called"):
        tag = {"subj": 0x63, "calling": 0x61, "called": 0x62}[kind]
        if "deviceIdentifier" not in k:  # ExtendedDeviceID's notKnown [7] / restricted [8] IMPLICIT NULL
            (alt,) = k
            return tlv(tag, tlv({"notKnown": 0x87, "restricted": 0x88}[alt], b""))
        return tlv(tag, ber_devid(k["deviceIdentifier"].text))
    if kind == "redir":
        return tlv(0x64, tlv(0x88, b""))  # RedirectionDeviceID notRequired, as ctitap-gen sends it
    if kind == "lcs":
        return tlv(0x4e, bytes([BER_LCS[el.text]]))
    if kind == "cause":
        return ber_uint(0x0a, BER_CAUSE[el.text])
    if kind == "dev":
        return ber_devid(el.text)
    if kind == "mon":
        return ber_devid(k["deviceObject"].text)
    if kind == "xref":
        return tlv(0x55, ber_xref(el.text))
    if kind[0] == "corr":
        return tlv(0x80 | kind[1], bytes.fromhex(k["string"].text))
    if kind[0] == "oct":
        return tlv(kind[1], el.text.encode("ascii"))
    if kind[0] == "int":  # [n] IMPLICIT INTEGER
        return ber_uint(kind[1], int(el.text))
    if kind[0] == "list":
        # ConnectionListEntry ::= SEQUENCE { newConnection [0] EXPLICIT ConnectionID, oldConnection
        # [1] EXPLICIT ConnectionID, endpoint [2] CHOICE { deviceID DeviceID, ... }, ... }
        items = []
        for it in el:
            assert _local(it) == "connectionListItem", _local(it)
            ik = _kids(it)
            parts = []
            for name, tag in (("newConnection", 0xa0), ("oldConnection", 0xa1)):
                if name in ik:
                    parts.append(tlv(tag, _conn_of(ik[name])))
            if "endpoint" in ik:
                parts.append(tlv(0xa2, ber_devid(_kids(ik["endpoint"])["deviceID"].text)))
            assert set(ik) <= {"newConnection", "oldConnection", "endpoint"}, ik
            items.append(tlv(0x30, *parts))
        return tlv(kind[1], *items)
    raise ValueError(kind)


def _fields(el, spec, what):
    """The BER of el's children in spec's (the module's) order; every child must be in spec."""
    k = _kids(el)
    out = []
    for name, kind in spec:
        if name in k:
            out.append(_field(kind, k.pop(name)))
        elif kind == "redir":
            out.append(_field(kind, None))
        elif (kind in BER_MANDATORY or kind[0] == "list") and (what, name) not in BER_OPTIONAL:
            raise ValueError("%s: mandatory %s missing" % (what, name))
    if k:
        raise ValueError("%s: no BER mapping for %s" % (what, sorted(k)))
    return b"".join(out)


def ber_from_xml(xml, invoke):
    """The ECMA-285 ROSE PDU of one ECMA-323 message of this script."""
    import xml.etree.ElementTree as ET
    root = ET.fromstring(xml)
    name = _local(root)
    if name in BER_EVENTS:
        cat, alt, spec = BER_EVENTS[name]
        k = _kids(root)
        xref = tlv(0x55, ber_xref(k["monitorCrossRefID"].text))
        root.remove(k["monitorCrossRefID"])
        ev = tlv(0xa0 | alt, _fields(root, spec, name))
        arg = tlv(0x30, xref, tlv(0xa0 | cat, ev))
        return tlv(0xa1, ber_uint(0x02, invoke), ber_uint(0x02, 21), arg)
    if name in BER_SERVICES:
        op, spec, _ = BER_SERVICES[name]
        return tlv(0xa1, ber_uint(0x02, invoke), ber_uint(0x02, op), tlv(0x30, _fields(root, spec, name)))
    if name.endswith("Response") and name[:-8] in BER_SERVICES:
        op, _, spec = BER_SERVICES[name[:-8]]
        res = tlv(0x05, b"") if spec == "null" else tlv(0x30, _fields(root, spec, name))
        return tlv(0xa2, ber_uint(0x02, invoke), tlv(0x30, ber_uint(0x02, op), res))
    raise ValueError("no BER mapping for %s" % name)


# ---- events ------------------------------------------------------------------------------

def ev_delivered(cid, alerting, calling, called, corr=None):
    return (conn("connection", cid, alerting) + dev("alertingDevice", alerting) + dev("callingDevice", calling) +
            dev("calledDevice", called) + "<localConnectionInfo>alerting</localConnectionInfo>" +
            ("<correlatorData><string>%s</string></correlatorData>" % corr if corr else "") + "<cause>newCall</cause>")


def ev_established(cid, answering, calling, called, corr=None):
    return (conn("establishedConnection", cid, answering) + dev("answeringDevice", answering) +
            dev("callingDevice", calling) + dev("calledDevice", called) +
            "<localConnectionInfo>connected</localConnectionInfo>" +
            ("<correlatorData><string>%s</string></correlatorData>" % corr if corr else "") + "<cause>normal</cause>")


def ev_cleared(cid, releasing, cause="normalClearing"):
    return (conn("droppedConnection", cid, releasing) + dev("releasingDevice", releasing) +
            "<localConnectionInfo>null</localConnectionInfo><cause>%s</cause>" % cause)


def ev_call_cleared(cid, cause="normalClearing"):
    return conn("clearedCall", cid) + "<cause>%s</cause>" % cause


def ev_held(cid, d):
    return conn("heldConnection", cid, d) + dev("holdingDevice", d) + "<localConnectionInfo>hold</localConnectionInfo><cause>normal</cause>"


def ev_retrieved(cid, d):
    return (conn("retrievedConnection", cid, d) + dev("retrievingDevice", d) +
            "<localConnectionInfo>connected</localConnectionInfo><cause>normal</cause>")


def ev_agent(d, extra=""):
    return dev("agentDevice", d) + "<agentID>A%s</agentID>" % d + extra


# ---- scenario state and expectations -----------------------------------------------------

class Scen:
    def __init__(self, name, idx, desc, enc="xml", v=None):
        self.name, self.desc, self.enc = name, desc, enc
        self.v = v or Profile()
        self.rewrites = self.v.cti_rewrites()
        self.dial = (HOTLINE_E164, None)  # inbound calls: (called for the record, as the carrier writes it)
        self.cti_called = HOTLINE  # and as CTI names it
        self.t0 = BASE + idx * 600 * 1000000
        self.cap = Cap()
        self.calls, self.recordings, self.audits = [], [], []
        self.forbidden = set(ALL_KINDS)
        self.stats = {}
        self.settings = {"numbers.country_code": "49", "numbers.rules": NUMBER_RULES}
        self.agent_ids = {}  # device -> the agentID its agent events carry
        self.span = None
        self.links = []
        self.nports = {"pbx": 20000, "phone": 30000, "sbc": 40000}
        self.sess = 1000

    def port(self, who):
        p = self.nports[who]
        self.nports[who] += 2
        return p

    def link(self, t, pbx=CTI_PBX, cport=40100):
        L = Link(self, pbx, cport, 0x10000000 + 0x01000000 * len(self.links), self.enc, self.v.deferred)
        L.open(t)
        self.links.append(L)
        return L

    def recorded(self):
        if "record.devices" not in self.settings:
            self.settings["record.devices"] = "2001-2009"
            self.settings["record.pause_on_hold"] = "true"

    def records(self, device):
        """Whether the settings record device (record.devices as one range or device)."""
        spec = self.settings.get("record.devices", "")
        lo, _, hi = spec.partition("-")
        return bool(spec) and len(device) == len(lo) and lo <= device <= (hi or lo)

    def allow(self, *kinds):
        for k in kinds:
            self.forbidden.discard(k)

    def cti_text(self, xml):
        """A CSTA message as this scenario's PBX writes it (see Profile)."""
        for a, b in self.rewrites:
            xml = xml.replace(a, b)
        return xml

    def dial_agent(self, agent):
        """numforms (R20): inbound calls dial the agent's DDI, written with separators by the carrier
        and in national form by CTI, instead of the hotline."""
        if self.v.numforms:
            self.dial = (ddi(agent), "+49-30-3444-" + agent)
            self.rewrites.insert(0, ("<calledDevice><deviceIdentifier>%s</deviceIdentifier>" % self.cti_called,
                                     "<calledDevice><deviceIdentifier>0303444%s</deviceIdentifier>" % agent))

    def callid(self, name, host):
        """A new dialog's Call-ID: made of the scenario's names, or opaque (Profile.opaque_ids)."""
        if self.v.opaque_ids:  # the same in a BER twin as in its XML scenario
            twin = self.name[:-4] if self.name.endswith("_ber") else self.name
            return "%016x@%s" % (hash_str(name.replace(self.name, twin, 1)), host)
        return "%s@%s" % (name, host)

    def first(self, *times):
        """The earliest of the message times the capture kept (None when it kept none): the time
        of a moment is its earliest evidence on either side (R0)."""
        kept = [t for t in times if t is not None and self.cap.captured(t)]
        return min(kept) if kept else None

    def keepalives(self):
        """The carrier's SBC pings the PBX (OPTIONS, 200) every 5 s for Profile.tail_s after the
        script's last packet: the packet clock goes on, so a record held back shows (R17)."""
        last = max(p[0] for p in self.cap.p)
        for k in range(1, self.v.tail_s // 5 + 1):
            d = Dialog(self, self.callid("%s-ping%d" % (self.name, k), SBC[0]), SBC, PBX, "sbc", "pbx",
                       "sip:10.1.0.1:5060", "10.2.0.1", "10.1.0.1", "CarrierSBC/7.1", "ExamplePBX/18.2")
            r = d.request(last + k * 5000 * MS, "OPTIONS", True)
            d.response(last + k * 5000 * MS + 2 * MS, r, 200, "OK")

    def write(self, out):
        if self.v.tail_s:
            self.keepalives()
        for L in self.links:
            L.finalize()
        n = self.cap.write(os.path.join(out, self.name + ".pcap"), self.span)
        csta_msgs = sum(L.count for L in self.links)
        if self.links and "csta_messages" not in self.stats:
            self.stats["csta_messages"] = [csta_msgs, csta_msgs]
        self.stats.setdefault("csta_bad", [0, 0])
        self.stats.setdefault("tcp_gaps", [0, 0])
        gaps = sorted(t for t, n, _, _, proto, _ in self.cap.p if proto == 6 and n in self.cap.lost)
        for c in self.calls:
            for pt in c.get("parties", []):
                if pt["device"] in self.agent_ids:
                    pt["agent_id"] = self.agent_ids[pt["device"]]
            if "start" in c and any(us_of(c["start"]) <= g <= us_of(c["end"]) + 3000 * MS for g in gaps):
                c["audit_allowed"] = ["cti_blind"]  # R23: open while its CTI link had a gap
        e = {"scenario": self.name, "description": self.desc, "settings": self.settings, "packets": n,
             "calls": self.calls, "recordings": self.recordings, "audits": self.audits,
             "forbidden_audit_kinds": sorted(self.forbidden), "stats": self.stats}
        with open(os.path.join(out, self.name + ".expect.json"), "w") as f:
            json.dump(e, f, indent=1, sort_keys=False)
            f.write("\n")


class Leg:
    """A SIP dialog with its media: PBX <-> phone (agent leg) or SBC <-> PBX (trunk leg)."""

    def __init__(self, sc, dlg, a_media, b_media):
        self.sc, self.d = sc, dlg
        self.am, self.bm = a_media, b_media  # (ip, port) of each side's SDP
        self.conn_at = None
        self.held = []  # (from, to) periods where b->a... see hold()
        self.b_to_a_off = []
        self.a_to_b_off = []
        self.end = None
        self.sess_a, self.sess_b = sc.sess, sc.sess + 1
        sc.sess += 2
        self.ver = {"a": 1, "b": 1}
        self.times = {}

    def sdp_a(self, d="sendrecv"):
        self.ver["a"] += 1
        return sdp(self.am[0], self.am[1], self.sess_a, self.ver["a"], d, self.sc.v.codec)

    def sdp_b(self, d="sendrecv"):
        self.ver["b"] += 1
        return sdp(self.bm[0], self.bm[1], self.sess_b, self.ver["b"], d, self.sc.v.codec)

    def invite(self, t, extra=(), offer=True):
        """INVITE with the caller's SDP offer, or none (a late offer: the callee offers in its 200
        and the ACK answers)."""
        self.late = not offer
        self.inv = self.d.request(t, "INVITE", True, self.sdp_a() if offer else b"", extra)
        self.times["invite"] = t = self.inv["raw_t"]
        return t

    def ringing(self, t):
        self.times["ringing"] = t = self.d.response(t, self.inv, 180, "Ringing")
        return t

    def answer(self, t, ack_after=4 * MS, lose_ok=False):
        """The 200 OK (lost by the capture with lose_ok) and its ACK; times "answer" and "ack"."""
        with self.sc.cap.losing(lose_ok):
            t = self.d.response(t, self.inv, 200, "OK", self.sdp_b())
        self.times["ack"] = self.d.ack(t + ack_after, self.inv, body=self.sdp_a() if self.late else b"")
        self.conn_at = t + 20 * MS
        self.times["answer"] = t
        self.answer_lost = bool(lose_ok)  # its SDP (side b's) is not in the capture
        return t

    def hold(self, t, by_b=True, resume=False, mode="sendonly"):
        """re-INVITE from side b (the phone, b of an agent leg; default) or a; the other side answers.
        mode: sendonly (answered recvonly: the holder's peer stops sending) or inactive (both stop).
        Returns the re-INVITE's time."""
        answer = {"sendonly": "recvonly", "inactive": "inactive"}[mode]
        if by_b:
            r = self.d.request(t, "INVITE", False, self.sdp_b("sendrecv" if resume else mode))
            self.d.response(t + 8 * MS, r, 200, "OK", self.sdp_a("sendrecv" if resume else answer))
            self.d.ack(t + 12 * MS, r)
        else:
            r = self.d.request(t, "INVITE", True, self.sdp_a("sendrecv" if resume else mode))
            self.d.response(t + 8 * MS, r, 200, "OK", self.sdp_b("sendrecv" if resume else answer))
            self.d.ack(t + 12 * MS, r)
        offs = [self.a_to_b_off if by_b else self.b_to_a_off]
        if mode == "inactive":
            offs.append(self.b_to_a_off if by_b else self.a_to_b_off)
        for off in offs:
            if resume:
                if off and off[-1][1] is None:  # (a sendrecv re-INVITE with nothing off moves media)
                    off[-1][1] = t
            else:
                off.append([t, None])
        return r["raw_t"]

    def bye(self, t, from_a, resp_after=6 * MS, lose=False, lose_ok=False):
        """BYE and its 200 (lost by the capture with lose / lose_ok)."""
        with self.sc.cap.losing(lose):
            r = self.d.request(t, "BYE", from_a)
        with self.sc.cap.losing(lose_ok):
            ok = self.d.response(t + resp_after, r, 200, "OK")
        self.end = t
        self.times["bye"], self.times["bye_ok"] = r["raw_t"], ok
        return r["raw_t"]

    def cancel(self, t, lose=False):
        """CANCEL (lost by the capture with lose), its 200, the INVITE's 487 and the ACK; times
        "cancel", "cancel_ok", "487" and "cancel_done" (the ACK)."""
        with self.sc.cap.losing(lose):
            c = self.d.request(t, "CANCEL", True, branch=self.inv["branch"], cseq=self.inv["cseq"])
        self.times["cancel_ok"] = self.d.response(t + 3 * MS, c, 200, "OK")
        self.times["487"] = self.d.response(t + 5 * MS, self.inv, 487, "Request Terminated")
        self.times["cancel_done"] = self.d.ack(t + 8 * MS, self.inv, two_xx=False)
        self.times["cancel"] = c["raw_t"]
        return c["raw_t"]

    def media(self, until=None):
        end = until or self.end
        if self.conn_at is None or end is None:
            return
        ssrc = hash_str(self.d.cid) & 0xffffffff
        for off, src, dst, s, shift in ((self.a_to_b_off, self.am, self.bm, ssrc, 0),
                                        (self.b_to_a_off, self.bm, self.am, ssrc ^ 0x5a5a5a5a, 7 * MS)):
            t = self.conn_at + shift
            burst = self.sc.v.rtp_burst
            for o in sorted(off) + [[end, end]]:
                rtp_stream(self.sc.cap, t, min(o[0], t + burst * 20 * MS) if burst is not None else o[0], src, dst, s,
                           self.sc.v.codec == "PCMU")
                t = o[1] if o[1] is not None else end


def trunk_leg(sc, key, t, caller=CALLER_E164, called=None, dialled=None, sbc=SBC):
    """The carrier's INVITE to the PBX. called: the number dialled (default: Scen.dial's); dialled:
    as the carrier writes it, when not that (numforms: '+49-30-3444-2001', '030555000;phone-context=+49')."""
    cid = sc.callid("%s-%s-trunk" % (sc.name, key), sbc[0])
    if called is None:
        called, dialled = sc.dial
    dialled = dialled or called
    d = Dialog(sc, cid, sbc, PBX, caller, called, "sip:%s@10.1.0.1:5060;user=phone" % dialled, sbc[0], "10.1.0.1",
               "CarrierSBC/7.1", "ExamplePBX/18.2")
    pai = ["P-Asserted-Identity: <sip:%s@%s;user=phone>" % (caller, sbc[0])]
    if sc.v.numforms:
        d.a_name = '"%s" <sip:%s@%s;user=phone>' % (DISPLAY.get(caller, caller[:3] + " " + caller[3:6] + " " + caller[6:]),
                                                    caller, sbc[0])
        d.b_name = ('"%s" <tel:%s>' % (dialled.replace("-", " "), dialled) if dialled.startswith("+")
                    else "<tel:%s>" % dialled)
        pai = ["P-Asserted-Identity: <tel:%s>" % caller]
    if sc.v.privacy:
        d.a_name, d.a_contact = ANON, "anonymous"
        pai = ["Privacy: id"] + (pai if sc.v.privacy == "pai" else [])
    leg = Leg(sc, d, (sbc[0], sc.port("sbc")), ("10.1.0.1", sc.port("pbx")))
    leg.invite(t, pai)
    return leg


def agent_leg(sc, key, t, agent, caller=CALLER_E164, ucid=None):
    """The PBX's INVITE to an agent's phone (its SIP user: Profile.sip_user)."""
    cid = sc.callid("%s-%s-%s" % (sc.name, key, agent), "10.1.0.1")
    user = sc.v.sip_user(agent)
    d = Dialog(sc, cid, PBX, (phone_ip(agent), 5060), caller, user, "sip:%s@%s:5060" % (user, phone_ip(agent)),
               "10.1.0.1", "10.1.0.1", "ExamplePBX/18.2", "DeskPhone/4.2")
    if sc.v.privacy:
        d.a_name, d.a_contact = ANON, "anonymous"
    elif sc.v.numforms and caller in sc.v.callers:
        d.a_name = "<sip:%s;phone-context=+49@10.1.0.1;user=phone>" % sc.v.callers[caller]
    leg = Leg(sc, d, ("10.1.0.1", sc.port("pbx")), (phone_ip(agent), sc.port("phone")))
    extra = ["User-to-User: 00FA08%s;encoding=hex" % ucid.upper()] if ucid else []
    leg.invite(t, extra, offer=not sc.v.late_offer)
    return leg


def lose(sc, what):
    """Link.event's keyword when the scenario's capture loses that event (Profile.loss)."""
    return {"lose": True} if what in sc.v.loss else {}


def hangup(*legs):
    """The hang-up messages of legs: BYE and its 200; CANCEL, its 200, the 487 and the ACK."""
    return [leg.times[k] for leg in legs for k in ("bye", "bye_ok", "cancel", "cancel_ok", "487", "cancel_done")
            if k in leg.times]


def ucid_of(seq, t):
    return "0005%04x%08x" % (seq, t // 1000000)


def party(d, alerted=None, answered=None, released=None):
    return {"device": d, "alerted": ts(alerted) if alerted else None, "answered": ts(answered) if answered else None,
            "released": ts(released) if released else None}


def ms(us):
    return us // 1000


def call_expect(start, answer, end, calling, called, direction, disposition, parties, hold=(), **kw):
    hold_us = sum(b - a for a, b in hold)
    e = {"ts": ts(end), "start": ts(start), "answer": ts(answer) if answer else None, "end": ts(end),
         "calling": calling, "called": called, "direction": direction, "disposition": disposition,
         "ring_ms": ms((answer or end) - start), "talk_ms": ms(end - answer - hold_us) if answer else 0,
         "hold_ms": ms(hold_us), "holds": len(hold), "parties": parties, "transfers": [], "conference": None,
         "released_by": None, "cause": None, "csta": [], "sip": [],
         "correlation": {"method": "shared_id" if kw.get("evidence_has") else "device_time"},
         "recording": [], "audit": [], "queue_ms": None, "route_ms": None, "cti_lag_ms": None}
    e.update(kw)
    return e


def rec(sc, call, action, device, reason, t, leg=None, phone_is_a=False, complete=None):
    """An expected recording record; leg: the device's leg whose SDP it names (the phone is side b
    of the PBX's legs, side a of a dialog the phone placed); complete: when both are known (R16)."""
    r = {"call": call, "action": action, "device": device, "reason": reason, "ts": ts(t)}
    if leg is not None:
        mine, pbx = (leg.am, leg.bm) if phone_is_a else (leg.bm, leg.am)
        r["rtp"] = [{"ip": mine[0], "port": mine[1], "dir": "out"}, {"ip": pbx[0], "port": pbx[1], "dir": "in"}]
        if getattr(leg, "answer_lost", False):
            # R16/R23: side b's SDP came in the 200 OK the capture lost: that direction is never
            # known from SDP
            lost = "in" if phone_is_a else "out"
            r["rtp"] = [x for x in r["rtp"] if x["dir"] != lost]
    if complete is not None and complete != t:
        r["rtp_complete"] = ts(complete)
    sc.recordings.append(r)


def setup_link(sc, t, devices, agents_ready=(), not_ready=(), logged_on=()):
    L = sc.link(t)
    t = L.last + 5 * MS
    for d in devices:
        t = L.monitor(t, d) + 3 * MS
    for d in list(logged_on) + list(agents_ready) + [x for x, _ in not_ready]:
        sc.agent_ids[d] = "A%s" % d  # R9: a party carries the agent logged on at it
    for d in logged_on:
        t = L.event(t, "AgentLoggedOnEvent", d, ev_agent(d)) + 3 * MS
    for d in agents_ready:
        t = L.event(t, "AgentReadyEvent", d, ev_agent(d)) + 3 * MS
    for d, code in not_ready:
        t = L.event(t, "AgentNotReadyEvent", d, ev_agent(d, "<reasonCode>%d</reasonCode>" % code)) + 3 * MS
    return L, t


# ---- the basic inbound call (scenarios 1, 3, 9, 12, 13 and parts of 10) ---------------------

def ring_agent(sc, send, key, t0, agent, cid, ucid=None, ring_after=60 * MS, caller=(CALLER_E164, CALLER_NAT)):
    """An inbound call rings at an agent: the carrier's INVITE at t0, the PBX's INVITE to the agent
    40 ms later, CTI's Delivered a CTI lag after that (send(t, name, monitor, inner) writes it on the
    link), the phone's 180 and the PBX's 180 to the carrier 5 ms later. Returns tr, ag, t_del, t_ring."""
    tr = trunk_leg(sc, key, t0, caller[0])
    tr.d.response(t0 + 5 * MS, tr.inv, 100, "Trying")
    ag = agent_leg(sc, key, t0 + 40 * MS, agent, caller[0], ucid=ucid)
    t_del = send(t0 + 40 * MS + sc.v.lag_alert, "DeliveredEvent", agent,
                 ev_delivered(cid, agent, caller[1], sc.cti_called, ucid), **lose(sc, "delivered"))
    t_ring = ag.ringing(t0 + ring_after)
    tr.d.response(t_ring + 5 * MS, tr.inv, 180, "Ringing")
    return tr, ag, t_del, t_ring


def answer_agent(send, tr, ag, t, agent, cid, ucid=None, calling=CALLER_NAT):
    """The agent answers at t: its 200 OK, the PBX's 200 OK to the carrier 10 ms later and its ACK,
    CTI's Established a CTI lag after the answer. Returns t_ans, t_est."""
    t_ans = ag.answer(t, lose_ok="ok200" in tr.sc.v.loss)
    tr.answer_t = tr.d.response(t_ans + 10 * MS, tr.inv, 200, "OK", tr.sdp_b())
    tr.d.ack(t_ans + 25 * MS, tr.inv)
    tr.conn_at = t_ans + 40 * MS
    t_est = send(t_ans + tr.sc.v.lag, "EstablishedEvent", agent, ev_established(cid, agent, calling, tr.sc.cti_called, ucid))
    ag.times["answered"] = tr.sc.first(t_ans, ag.times["ack"], t_est)  # R3, R9
    return t_ans, t_est


def caller_hangs_up(send, tr, ag, tb, agent, cid, calling=CALLER_NAT):
    """The caller hangs up at tb: the carrier's BYE, the PBX's BYE to the agent 10 ms later, CTI's
    ConnectionCleared (the caller releasing) and CallCleared a CTI lag after each.
    Returns t_cc, t_callc."""
    loss = tr.sc.v.loss
    tr.bye(tb, from_a=True, lose="bye" in loss or "bye_trunk" in loss, lose_ok="bye" in loss)
    ag.bye(tb + 10 * MS, from_a=True, lose="bye" in loss, lose_ok="bye" in loss)
    t_cc = send(tb + tr.sc.v.lag, "ConnectionClearedEvent", agent, ev_cleared(cid, calling))
    t_callc = send(tb + 10 * MS + tr.sc.v.lag, "CallClearedEvent", agent, ev_call_cleared(cid))
    return t_cc, t_callc


def inbound_basic(sc, L, t0, agent="2001", key="c1", ucid=None, cid="5c0a0001", hold_at=None, hold_len=3000 * MS,
                  talk=4000 * MS, agent_hangs_up=False, trunk_retx=False, split=1, swap_every=0, retx_est=None,
                  failover=None, caller=(CALLER_E164, CALLER_NAT), L_after=None, delivered=True,
                  after_answer=None, answer_ms=3000 * MS):
    """Returns (expect dict, legs). failover: (t_rst, standby_link) -- events after t_rst go on it."""
    n = [0]

    def ev(t, name, mon, inner):
        n[0] += 1
        kw = lose(sc, {"RetrievedEvent": "retrieved", "DeliveredEvent": "delivered"}.get(name))
        if split > 1:
            kw["split"] = 2 + (n[0] % 2) if split == 3 else split
            kw["swap"] = bool(swap_every) and n[0] % swap_every == 0
        if retx_est and name == "EstablishedEvent":
            kw["retx_us"] = retx_est
        link = L
        if L_after is not None and t >= L_after[0]:
            link = L_after[1]
        return link.event(t, name, mon, inner, **kw)

    tr = trunk_leg(sc, key, t0, caller[0])
    t = t0
    if trunk_retx:
        tr.d.retransmit(t0 + 500 * MS, tr.inv)
        tr.d.response(t0 + 502 * MS, tr.inv, 100, "Trying")
    else:
        tr.d.response(t0 + 5 * MS, tr.inv, 100, "Trying")
    ag = agent_leg(sc, key, t0 + 40 * MS, agent, caller[0], ucid)
    t_inv = t0 + 40 * MS
    t_deliv = ev(t_inv + sc.v.lag_alert, "DeliveredEvent", agent,
                 ev_delivered(cid, agent, caller[1], sc.cti_called, ucid)) if delivered else None
    t_deliv = sc.first(t_deliv)
    t_ring = ag.ringing(t0 + (700 if trunk_retx else 60) * MS)
    tr.d.response(t_ring + 5 * MS, tr.inv, 180, "Ringing")
    t_ans, t_est = answer_agent(ev, tr, ag, t0 + answer_ms, agent, cid, ucid, caller[1])
    if after_answer:
        after_answer(t_ans)
    holds = []
    t = t_ans
    if hold_at is not None:
        th = ag.hold(t_ans + hold_at, by_b=True)
        ev(th + sc.v.lag, "HeldEvent", agent, ev_held(cid, agent))
        tr_ = ag.hold(th + hold_len, by_b=True, resume=True)
        ev(tr_ + sc.v.lag, "RetrievedEvent", agent, ev_retrieved(cid, agent))
        holds.append((th, tr_))
        t = tr_
    tb = max(t, t_ans) + talk
    if agent_hangs_up:
        lost_bye = "bye" in sc.v.loss
        ag.bye(tb, from_a=False, lose=lost_bye, lose_ok=lost_bye)
        t_cc = ev(tb + sc.v.lag, "ConnectionClearedEvent", agent, ev_cleared(cid, agent))
        tr.bye(tb + 10 * MS, from_a=False, lose=lost_bye, lose_ok=lost_bye)
        t_callc = ev(tb + 10 * MS + sc.v.lag, "CallClearedEvent", agent, ev_call_cleared(cid))
        rel_agent, released_by = sc.first(*hangup(ag), t_cc, t_callc), agent
    else:
        t_cc, t_callc = caller_hangs_up(ev, tr, ag, tb, agent, cid, caller[1])
        rel_agent, released_by = sc.first(*hangup(ag), t_callc), sc.v.caller_device(caller[1], caller[0])
    tr.media()
    ag.media()
    end = sc.first(*hangup(tr, ag), t_cc, t_callc)
    links = [L] + ([L_after[1]] if L_after else [])
    t_answered = ag.times["answered"]
    e = call_expect(t0, t_answered, end, sc.v.calling(caller[0]), sc.dial[0], "inbound", "answered",
                    [party(agent, sc.first(t_ring, t_deliv), t_answered, rel_agent)],
                    hold=holds, released_by=released_by, cause="normal_clearing",
                    csta=[c for x in links for c in x.csta(cid)],
                    sip=[tr.d.cid, ag.d.cid], cti_lag_ms=ms(t_deliv - t_inv) if t_deliv else None)
    if ucid:
        e["evidence_has"] = [ucid]
        e["correlation"] = {"method": "shared_id"}
    return e, tr, ag, holds, rel_agent


def simple_recording(sc, e, agent, answered, released, leg):
    """R16 for a call the device answers and leaves (no hold): start at its answer, stop at its
    release, when the settings record it (the busy hour records 2001-2099)."""
    if not sc.records(agent):
        return
    n = len(sc.calls)
    rec(sc, n, "start", agent, "answered", answered, leg)
    rec(sc, n, "stop", agent, "cleared", released)
    e["recording"] = [{"device": agent, "intervals": [{"start": ts(answered), "end": ts(released)}]}]


def recording_basic(sc, e, ag, holds, rel, agent="2001"):
    t_ans = ag.times["answered"]
    rec(sc, 0, "start", agent, "answered", t_ans, ag, complete=ag.times["ack"] if ag.late else None)
    iv, s = [], t_ans
    for a, b in holds:
        rec(sc, 0, "pause", agent, "held", a)
        rec(sc, 0, "resume", agent, "retrieved", b)
        iv.append({"start": ts(s), "end": ts(a)})
        s = b
    rec(sc, 0, "stop", agent, "cleared", rel)
    iv.append({"start": ts(s), "end": ts(rel)})
    e["recording"] = [{"device": agent, "intervals": iv}]


# ---- scenarios ---------------------------------------------------------------------------

def s_inbound_answered(sc):
    L, t = setup_link(sc, sc.t0, ["2001"], agents_ready=["2001"], logged_on=["2001"])
    sc.dial_agent("2001")
    e, tr, ag, holds, rel = inbound_basic(sc, L, t + 500 * MS, ucid=ucid_of(1, t))
    sc.recorded()
    recording_basic(sc, e, ag, holds, rel)
    sc.calls.append(e)


def s_abandoned(sc):
    L, t = setup_link(sc, sc.t0, ["2001"], agents_ready=["2001"])
    sc.dial_agent("2001")
    call_abandoned(sc, L, t + 500 * MS, "2001", "5c0a0002", ucid_of(2, t))


def call_abandoned(sc, L, t0, agent, cid, ucid, key="c1", ring=5040 * MS, caller=(CALLER_E164, CALLER_NAT)):
    """Inbound, rings `agent` for `ring`, the caller CANCELs."""
    tr, ag, t_del, t_ring = ring_agent(sc, L.event, key, t0, agent, cid, ucid, caller=caller)
    tc = tr.cancel(t0 + ring, lose="cancel" in sc.v.loss)
    ag.cancel(tc + 10 * MS)
    t_cc = L.event(tc + sc.v.lag, "ConnectionClearedEvent", agent, ev_cleared(cid, caller[1], "callCancelled"))
    t_callc = L.event(tc + 10 * MS + sc.v.lag, "CallClearedEvent", agent, ev_call_cleared(cid, "callCancelled"))
    end = sc.first(*hangup(tr, ag), t_cc, t_callc)
    e = call_expect(t0, None, end, sc.v.calling(caller[0]), sc.dial[0], "inbound", "abandoned",
                    [party(agent, sc.first(t_ring, t_del), None, sc.first(*hangup(ag), t_callc))],
                    released_by=sc.v.caller_device(caller[1], caller[0]),
                    cause="call_cancelled", csta=L.csta(cid), sip=[tr.d.cid, ag.d.cid],
                    cti_lag_ms=cti_lag(sc, t_del, ag), **({"evidence_has": [ucid]} if ucid else {}))
    sc.calls.append(e)
    return e


def s_hold_retrieve(sc):
    L, t = setup_link(sc, sc.t0, ["2001"], agents_ready=["2001"])
    sc.dial_agent("2001")
    e, tr, ag, holds, rel = inbound_basic(sc, L, t + 500 * MS, cid="5c0a0003", hold_at=2000 * MS, talk=2000 * MS,
                                          agent_hangs_up=True)
    sc.recorded()
    recording_basic(sc, e, ag, holds, rel)
    sc.calls.append(e)


def cti_lag(sc, t_del, ag):
    """R14's cti_lag_ms: the Delivered at the agent minus the PBX's INVITE to it (None if lost)."""
    return ms(t_del - ag.times["invite"]) if sc.cap.captured(t_del) else None


def transfer_common(sc, L, t0, cid, ucid, agent="2001", key="c1", answer=2500 * MS, caller=(CALLER_E164, CALLER_NAT)):
    """Inbound to agent, answered. Returns the legs, its alerted and answered moments, the CTI lag
    (ms) and the time of its 200 OK (the script's clock)."""
    tr, a1, t_del, t_ring = ring_agent(sc, L.event, key, t0, agent, cid, ucid, caller=caller)
    t_ans, t_est = answer_agent(L.event, tr, a1, t0 + answer, agent, cid, ucid, caller[1])
    return tr, a1, sc.first(t_ring, t_del), a1.times["answered"], cti_lag(sc, t_del, a1), t_ans


def s_single_step_transfer(sc):
    L, t = setup_link(sc, sc.t0, ["2001", "2002"], agents_ready=["2001", "2002"])
    sc.dial_agent("2001")
    # this PBX gives the transferred call a new callID (newConnection)
    call_single_step(sc, L, t + 500 * MS, "5c0a0004", "5c0a0014", ucid_of(4, t))


def call_single_step(sc, L, t0, cid, ncid, u, a1="2001", a2="2002", key="c1", answer=2500 * MS, talk1=3000 * MS,
                     ring2=2000 * MS, talk2=3000 * MS, caller=(CALLER_E164, CALLER_NAT)):
    """Inbound to a1, answered; CTI SingleStepTransferCall to a2, which answers; the caller hangs up."""
    nat = caller[1]
    tr, l1, al1, an1, lag, t_ans = transfer_common(sc, L, t0, cid, u, a1, key, answer, caller)
    tx = t_ans + talk1
    _, inv = L.request(tx, "SingleStepTransferCall", conn("activeCall", cid, a1) + "<transferredTo>%s</transferredTo>" % a2)
    L.response(tx + 15 * MS, "SingleStepTransferCallResponse", conn("transferredCall", cid, a2), inv)
    if sc.v.pbx_reinvites:  # R6: the PBX parks the caller's media while a2 rings: not a hold
        tr.hold(tx + 18 * MS, by_b=True, mode="inactive")
    l1.bye(tx + 20 * MS, from_a=True)
    l2 = agent_leg(sc, key + "b", tx + 25 * MS, a2, caller[0], ucid=u)
    body = (conn("primaryOldCall", cid, a1) + dev("transferringDevice", a1) + dev("transferredToDevice", a2) +
            "<transferredConnections><connectionListItem>" + conn("newConnection", ncid, a2) +
            "<endpoint><deviceID>%s</deviceID></endpoint></connectionListItem></transferredConnections>" % a2 +
            "<localConnectionInfo>null</localConnectionInfo><cause>singleStepTransfer</cause>")
    t_tx = L.event(tx + 20 * MS + sc.v.lag, "TransferedEvent", a1, body, **lose(sc, "transferred"))
    t_tx2 = L.event(tx + 21 * MS + sc.v.lag, "TransferedEvent", a2, body) if sc.v.multisignal else None
    t_del2 = L.event(tx + 25 * MS + sc.v.lag_alert + 2 * MS, "DeliveredEvent", a2,
                     ev_delivered(ncid, a2, nat, sc.cti_called, u), **lose(sc, "delivered2"))
    t_ring2 = l2.ringing(tx + 45 * MS)
    t_ans2 = l2.answer(tx + 25 * MS + ring2)
    if sc.v.pbx_reinvites:
        tr.hold(t_ans2 + 15 * MS, by_b=True, resume=True, mode="inactive")
    t_est2 = L.event(t_ans2 + sc.v.lag, "EstablishedEvent", a2, ev_established(ncid, a2, nat, sc.cti_called, u))
    an2 = sc.first(t_ans2, l2.times["ack"], t_est2)
    t_tx = sc.first(t_tx, t_tx2, *hangup(l1))  # R10: the transfer's earliest evidence
    tb = t_ans2 + talk2
    t_cc, t_callc = caller_hangs_up(L.event, tr, l2, tb, a2, ncid, nat)
    for x in (tr, l1, l2):
        x.media()
    end = sc.first(*hangup(tr, l2), t_cc, t_callc)
    rel1, rel2 = sc.first(*hangup(l1)), sc.first(*hangup(l2), t_callc)
    e = call_expect(tr.times["invite"], an1, end, sc.v.calling(caller[0]), sc.dial[0], "inbound", "answered",
                    [party(a1, al1, an1, rel1), party(a2, sc.first(t_ring2, t_del2), an2, rel2)],
                    transfers=[{"from": a1, "to": a2, "kind": "single_step", "ts": ts(t_tx)}],
                    released_by=sc.v.caller_device(nat, caller[0]), cause="normal_clearing",
                    csta=L.csta(cid) + L.csta(ncid), sip=[tr.d.cid, l1.d.cid, l2.d.cid], cti_lag_ms=lag,
                    **({"evidence_has": [u]} if u else {}))
    sc.recorded()
    n = len(sc.calls)
    for d, an, leg, rel, why in ((a1, an1, l1, rel1, "transferred"), (a2, an2, l2, rel2, "cleared")):
        if sc.records(d):
            rec(sc, n, "start", d, "answered", an, leg)
            rec(sc, n, "stop", d, why, rel)
            e["recording"].append({"device": d, "intervals": [{"start": ts(an), "end": ts(rel)}]})
    sc.calls.append(e)
    return e


def consult_common(sc, L, t0, c1, c2, ucid, a1="2001", a2="2002", key="c1", ckey="c2", answer=2500 * MS,
                   hold_after=2000 * MS, ring2=2000 * MS, caller=(CALLER_E164, CALLER_NAT)):
    """Inbound to a1, answered; a1 holds it and consults a2 (the phone's own INVITE to the PBX, the
    PBX's to a2), which answers."""
    tr, l1, al1, an1, lag, t_ans = transfer_common(sc, L, t0, c1, ucid, a1, key, answer, caller)
    th = l1.hold(t_ans + hold_after, by_b=True)
    t_held = L.event(th + sc.v.lag, "HeldEvent", a1, ev_held(c1, a1))
    if sc.v.pbx_reinvites:  # the PBX plays its music to the held caller: part of the hold CTI reports (R6)
        tr.hold(th + 5 * MS, by_b=True)
    t_si = L.event(th + 500 * MS, "ServiceInitiatedEvent", a1,
                   conn("initiatedConnection", c2, a1) + dev("initiatingDevice", a1) +
                   "<localConnectionInfo>initiated</localConnectionInfo><cause>consultation</cause>")
    # the consultation: a1's phone -> PBX (D3), PBX -> a2 (D4)
    p1, p2 = phone_ip(a1), phone_ip(a2)
    cid3 = sc.callid("%s-%s-%s" % (sc.name, ckey, a1), p1)
    d3 = Dialog(sc, cid3, (p1, 5060), PBX, sc.v.sip_user(a1), a2, "sip:%s@10.1.0.1:5060" % a2, "10.1.0.1",
                "10.1.0.1", "DeskPhone/4.2", "ExamplePBX/18.2")
    l3 = Leg(sc, d3, (p1, sc.port("phone")), ("10.1.0.1", sc.port("pbx")))
    tc = l3.invite(th + 1500 * MS)
    d3.response(tc + 5 * MS, l3.inv, 100, "Trying")
    L.event(tc + sc.v.lag, "OriginatedEvent", a1, conn("originatedConnection", c2, a1) + dev("callingDevice", a1) +
            dev("calledDevice", a2) + "<localConnectionInfo>connected</localConnectionInfo><cause>consultation</cause>")
    d4cid = sc.callid("%s-%s-%s" % (sc.name, ckey, a2), "10.1.0.1")
    u2 = sc.v.sip_user(a2)
    d4 = Dialog(sc, d4cid, PBX, (p2, 5060), a1, u2, "sip:%s@%s:5060" % (u2, p2), "10.1.0.1", "10.1.0.1",
                "ExamplePBX/18.2", "DeskPhone/4.2")
    l4 = Leg(sc, d4, ("10.1.0.1", sc.port("pbx")), (p2, sc.port("phone")))
    l4.invite(tc + 40 * MS)
    t_del2 = L.event(tc + 40 * MS + sc.v.lag_alert, "DeliveredEvent", a2, ev_delivered(c2, a2, a1, a2))
    t_ring2 = l4.ringing(tc + 60 * MS)
    d3.response(tc + 65 * MS, l3.inv, 180, "Ringing")
    t_ans2 = l4.answer(tc + 60 * MS + ring2, lose_ok="ok200_consult" in sc.v.loss)
    l3.times["answer"] = d3.response(t_ans2 + 10 * MS, l3.inv, 200, "OK", l3.sdp_b())
    d3.ack(t_ans2 + 20 * MS, l3.inv)
    l3.conn_at = t_ans2 + 40 * MS
    t_est2 = L.event(t_ans2 + sc.v.lag, "EstablishedEvent", a2, ev_established(c2, a2, a1, a2))
    return dict(tr=tr, a1=l1, al1=al1, an1=an1, lag=lag, th=th, l3=l3, l4=l4, al2=sc.first(t_ring2, t_del2),
                an2=sc.first(t_ans2, l4.times["ack"], t_est2), t_ans2=t_ans2, d1=a1, d2=a2)


def refer_transfer(sc, k, tt):
    """The consulting phone completes the transfer itself: REFER on the customer's leg with
    Refer-To the consulted device and Replaces naming its consultation dialog (RFC 3515, RFC
    3891); the PBX accepts, NOTIFYs 100 then 200, ends the consultation dialog and the phone
    hangs up the other. Returns the NOTIFY reporting 200 (R10's evidence)."""
    a1, l3 = k["a1"], k["l3"]
    rep = "%s;to-tag=%s;from-tag=%s" % (l3.d.cid, l3.d.ttag, l3.d.ftag)
    rep = rep.replace("@", "%40").replace(";", "%3B").replace("=", "%3D")
    user = sc.v.sip_user(k["d1"])
    r = a1.d.request(tt, "REFER", False, extra=["Refer-To: <sip:%s@10.1.0.1?Replaces=%s>" % (k["d2"], rep),
                                                "Referred-By: <sip:%s@10.1.0.1>" % user,
                                                "Contact: <sip:%s@%s:5060>" % (user, phone_ip(k["d1"]))])
    a1.d.response(tt + 3 * MS, r, 202, "Accepted")
    frag = "message/sipfrag;version=2.0"
    n1 = a1.d.request(tt + 5 * MS, "NOTIFY", True, b"SIP/2.0 100 Trying\r\n", ctype=frag,
                      extra=["Event: refer", "Subscription-State: active;expires=60"])
    a1.d.response(tt + 7 * MS, n1, 200, "OK")
    n2 = a1.d.request(tt + 20 * MS, "NOTIFY", True, b"SIP/2.0 200 OK\r\n", ctype=frag,
                      extra=["Event: refer", "Subscription-State: terminated;reason=noresource"])
    a1.d.response(tt + 22 * MS, n2, 200, "OK")
    l3.bye(tt + 24 * MS, from_a=False)
    a1.bye(tt + 25 * MS, from_a=False)
    return n2["raw_t"]


def s_consultation_transfer(sc):
    L, t = setup_link(sc, sc.t0, ["2001", "2002"], agents_ready=["2001", "2002"])
    sc.dial_agent("2001")
    call_consultation(sc, L, t + 500 * MS, "5c0a0005", "5c0a0006")


def call_consultation(sc, L, t0, c1, c2, ucid=None, a1="2001", a2="2002", key="c1", ckey="c2", talk=2000 * MS,
                      talk2=3000 * MS, caller=(CALLER_E164, CALLER_NAT), **kw):
    """consult_common, then a1 transfers (CTI TransferCall, or its phone's REFER with multisignal)."""
    nat = caller[1]
    k = consult_common(sc, L, t0, c1, c2, ucid, a1, a2, key, ckey, caller=caller, **kw)
    tt = k["t_ans2"] + talk
    if sc.v.multisignal:
        t_notify = refer_transfer(sc, k, tt)
    else:
        t_notify = None
        _, inv = L.request(tt, "TransferCall", conn("heldCall", c1, a1) + conn("activeCall", c2, a1))
        L.response(tt + 15 * MS, "TransferCallResponse", conn("transferredCall", c1, a2), inv)
        k["a1"].bye(tt + 20 * MS, from_a=True)
        k["l3"].bye(tt + 22 * MS, from_a=False)
    if sc.v.pbx_reinvites:  # the PBX connects the caller's media to a2's: its own re-INVITE
        k["tr"].hold(tt + 26 * MS, by_b=True, resume=True)
    body = (conn("primaryOldCall", c1, a1) + conn("secondaryOldCall", c2, a1) +
            dev("transferringDevice", a1) + dev("transferredToDevice", a2) +
            "<transferredConnections><connectionListItem>" + conn("newConnection", c1, a2) +
            "<oldConnection><callID>%s</callID><deviceID>%s</deviceID></oldConnection>" % (c2, a2) +
            "</connectionListItem></transferredConnections>"
            "<localConnectionInfo>null</localConnectionInfo><cause>transfer</cause>")
    t_tx = L.event(tt + 20 * MS + sc.v.lag, "TransferedEvent", a1, body, **lose(sc, "transferred"))
    t_tx2 = L.event(tt + 21 * MS + sc.v.lag, "TransferedEvent", a2, body) if sc.v.multisignal else None
    tb = tt + talk2
    t_cc, t_callc = caller_hangs_up(L.event, k["tr"], k["l4"], tb, a2, c1, nat)
    for x in ("tr", "a1", "l3", "l4"):
        k[x].media()
    end = sc.first(*hangup(k["tr"], k["l4"]), t_cc, t_callc)
    t_tx = sc.first(t_tx, t_tx2, t_notify, *hangup(k["a1"], k["l3"]))  # R10: the transfer's earliest evidence
    holds = [(k["th"], t_tx)]
    rel1, rel2 = sc.first(*hangup(k["a1"], k["l3"])), sc.first(*hangup(k["l4"]), t_callc)
    e = call_expect(k["tr"].times["invite"], k["an1"], end, sc.v.calling(caller[0]), sc.dial[0], "inbound",
                    "answered", [party(a1, k["al1"], k["an1"], rel1), party(a2, k["al2"], k["an2"], rel2)],
                    hold=holds, transfers=[{"from": a1, "to": a2, "kind": "consultation", "ts": ts(t_tx)}],
                    released_by=sc.v.caller_device(nat, caller[0]), cause="normal_clearing",
                    csta=L.csta(c1) + L.csta(c2), sip=[k["tr"].d.cid, k["a1"].d.cid, k["l3"].d.cid, k["l4"].d.cid],
                    cti_lag_ms=k["lag"], **({"evidence_has": [ucid]} if ucid else {}))
    e["correlation"] = {"method": "device_time"}  # R13: the consultation's CSTA call has no UCID
    sc.recorded()
    consult_recordings(sc, e, k, a1, a2, rel1, rel2, "transferred")
    sc.calls.append(e)
    return e


def s_conference(sc):
    L, t = setup_link(sc, sc.t0, ["2001", "2002"], agents_ready=["2001", "2002"])
    sc.dial_agent("2001")
    call_conference(sc, L, t + 500 * MS, "5c0a0007", "5c0a0008", ucid_of(7, t))


def conference_in(sc, L, k, c1, c2, a1, a2, nat, tf):
    """a1, holding the caller (c1) and consulting a2 (c2, consult_common's k), conferences the three
    at tf (CTI ConferenceCall). Returns the Conferenced event's time and a1's resume (R6, R11)."""
    _, inv = L.request(tf, "ConferenceCall", conn("heldCall", c1, a1) + conn("activeCall", c2, a1))
    L.response(tf + 15 * MS, "ConferenceCallResponse", conn("conferenceCall", c1, a1), inv)
    k["l3"].bye(tf + 20 * MS, from_a=False)  # the PBX ends a1's consultation dialog ...
    tres = k["a1"].hold(tf + 25 * MS, by_b=True, resume=True)  # ... and a1 takes its first leg off hold
    if sc.v.pbx_reinvites:  # R6: the PBX moves the caller's and a2's media to its conference bridge
        k["tr"].hold(tf + 18 * MS, by_b=True, mode="inactive")
        k["tr"].bm = ("10.1.0.1", sc.port("pbx"))
        k["tr"].hold(tf + 30 * MS, by_b=True, resume=True, mode="inactive")
        k["l4"].am = ("10.1.0.1", sc.port("pbx"))
        k["l4"].hold(tf + 32 * MS, by_b=False, resume=True, mode="inactive")
    t_conf = L.event(tf + 20 * MS + sc.v.lag, "ConferencedEvent", a1,
                     conn("primaryOldCall", c1, a1) + conn("secondaryOldCall", c2, a1) +
                     dev("conferencingDevice", a1) + dev("addedParty", a2) +
                     "<conferenceConnections>"
                     "<connectionListItem>" + conn("newConnection", c1, nat) + "</connectionListItem>"
                     "<connectionListItem>" + conn("newConnection", c1, a1) + "</connectionListItem>"
                     "<connectionListItem>" + conn("newConnection", c1, a2) + conn("oldConnection", c2, a2) +
                     "</connectionListItem></conferenceConnections>"
                     "<localConnectionInfo>connected</localConnectionInfo><cause>conference</cause>")
    return t_conf, tres


def consult_recordings(sc, e, k, a1, a2, rel1, rel2, why1):
    """R16 of a consultation (consult_common's k) in the call e about to be appended: a1 recorded
    from its answer to its hold and again from a2's answer (it talks to a2 on its consultation
    leg) until it leaves (why1: transferred, cleared), a2 from its answer until it leaves."""
    n = len(sc.calls)
    if sc.records(a1):
        rec(sc, n, "start", a1, "answered", k["an1"], k["a1"])
        rec(sc, n, "pause", a1, "held", k["th"])
        # the PBX's side of a1's consultation leg is known with the PBX's 200 OK to a1's
        # INVITE, which comes after a2 answered: an update then
        l3a = k["l3"].times["answer"]
        rec(sc, n, "resume", a1, "consultation", k["an2"], k["l3"], phone_is_a=True,
            complete=l3a if sc.cap.captured(l3a) and l3a > k["an2"] else None)
        e["recording"].append({"device": a1, "intervals": [{"start": ts(k["an1"]), "end": ts(k["th"])},
                                                           {"start": ts(k["an2"]), "end": ts(rel1)}]})
    if sc.records(a2):
        rec(sc, n, "start", a2, "answered", k["an2"], k["l4"])
        e["recording"].append({"device": a2, "intervals": [{"start": ts(k["an2"]), "end": ts(rel2)}]})
    if sc.records(a1):
        rec(sc, n, "stop", a1, why1, rel1)
    if sc.records(a2):
        rec(sc, n, "stop", a2, "cleared", rel2)


def call_conference(sc, L, t0, c1, c2, u, a1="2001", a2="2002", key="c1", ckey="c2", talk=2000 * MS, stay=3000 * MS,
                    talk2=2000 * MS, caller=(CALLER_E164, CALLER_NAT), **kw):
    """consult_common, then a1 conferences the three; a1 drops first, the caller hangs up later."""
    nat = caller[1]
    k = consult_common(sc, L, t0, c1, c2, u, a1, a2, key, ckey, caller=caller, **kw)
    tf = k["t_ans2"] + talk
    t_conf, tres = conference_in(sc, L, k, c1, c2, a1, a2, nat, tf)
    td = t_conf + stay
    k["a1"].bye(td, from_a=False)
    t_cc1 = L.event(td + sc.v.lag, "ConnectionClearedEvent", a1, ev_cleared(c1, a1))
    tb = td + talk2
    t_cc, t_callc = caller_hangs_up(L.event, k["tr"], k["l4"], tb, a2, c1, nat)
    for x in ("tr", "a1", "l3", "l4"):
        k[x].media()
    end = sc.first(*hangup(k["tr"], k["l4"]), t_cc, t_callc)
    holds = [(k["th"], sc.first(t_conf, tres, *hangup(k["l3"])))]  # R6, R11: reconnected by the conference
    e = call_expect(k["tr"].times["invite"], k["an1"], end, sc.v.calling(caller[0]), sc.dial[0], "inbound",
                    "answered", [party(a1, k["al1"], k["an1"], sc.first(*hangup(k["a1"]), t_cc1)),
                                 party(a2, k["al2"], k["an2"], sc.first(*hangup(k["l4"]), t_callc))],
                    hold=holds, conference={"parties": [sc.v.caller_device(nat, caller[0]), a1, a2]},
                    released_by=a1, cause="normal_clearing",
                    csta=L.csta(c1) + L.csta(c2), sip=[k["tr"].d.cid, k["a1"].d.cid, k["l3"].d.cid, k["l4"].d.cid],
                    cti_lag_ms=k["lag"], **({"evidence_has": [u]} if u else {}))
    e["correlation"] = {"method": "device_time"}  # R13: the consultation's CSTA call has no UCID
    # R16 where the site records (the busy hour): as a consultation (call_consultation) until the
    # conference; a1 then talks to both on its customer leg, recorded on until it leaves (its
    # RTP changes there: an update, not in these records), a2 until it leaves
    rel1, rel2 = sc.first(*hangup(k["a1"]), t_cc1), sc.first(*hangup(k["l4"]), t_callc)
    consult_recordings(sc, e, k, a1, a2, rel1, rel2, "cleared")
    sc.calls.append(e)
    return e


def s_payment_ivr(sc):
    """Card payment (PCI DSS; not in SCENARIOS: tests/app/test_recording_pause.py writes it with
    Profile(codec="PCMU") and its own expectations): call_payment."""
    L, t = setup_link(sc, sc.t0, ["2001", "7001"], agents_ready=["2001"])
    sc.dial_agent("2001")
    return call_payment(sc, L, t + 500 * MS, "5c0a0017", "5c0a0018")


def call_payment(sc, L, t0, c1, c2, a1="2001", ivr="7001", talk=2000 * MS, stay=3000 * MS, talk2=3000 * MS):
    """consult_common to the payment IVR ivr, which a1 conferences in (the three in one call, as
    call_conference); the IVR takes the card (stay) and leaves; a1 talks on with the caller, who
    hangs up. Returns consult_common's moments and: t_conf (Conferenced), ivr_left (the IVR's BYE
    or ConnectionCleared, the earlier: R0), a1_left (a1's release, R9)."""
    k = consult_common(sc, L, t0, c1, c2, None, a1, ivr)
    tf = k["t_ans2"] + talk
    t_conf, tres = conference_in(sc, L, k, c1, c2, a1, ivr, CALLER_NAT, tf)
    td = t_conf + stay
    k["l4"].bye(td, from_a=False)  # the IVR hangs up: the card is taken
    t_cc2 = L.event(td + sc.v.lag, "ConnectionClearedEvent", ivr, ev_cleared(c1, ivr))
    tb = td + talk2
    t_cc, t_callc = caller_hangs_up(L.event, k["tr"], k["a1"], tb, a1, c1)
    for x in ("tr", "a1", "l3", "l4"):
        k[x].media()
    k.update(t_conf=t_conf, tres=tres, ivr_left=sc.first(*hangup(k["l4"]), t_cc2),
             a1_left=sc.first(*hangup(k["a1"]), t_cc, t_callc))
    return k

def s_makecall(sc):
    L, t = setup_link(sc, sc.t0, ["2001"], agents_ready=["2001"])
    call_makecall(sc, L, t + 500 * MS, "5c0a0009")


def call_makecall(sc, L, t0, cid, agent="2001", number=("0301234567", "+49301234567"), key="c1", answer=4000 * MS,
                  talk=4000 * MS):
    """CTI MakeCall agent -> number (as dialled, E.164): the PBX's INVITE to the agent's phone
    (auto-answer), then its INVITE to the carrier from the agent's DDI, which answers; the agent
    hangs up."""
    dialled, e164 = number
    own = "+4930555" + agent  # the DDI the PBX presents for the agent
    t_mk, inv = L.request(t0, "MakeCall", "<callingDevice>%s</callingDevice><calledDirectoryNumber>%s"
                                          "</calledDirectoryNumber>" % (agent, dialled))
    L.response(t0 + 15 * MS, "MakeCallResponse", conn("callingDevice", cid, agent), inv)
    cid_a = sc.callid("%s-%s-%s" % (sc.name, key, agent), "10.1.0.1")
    u1, p1 = sc.v.sip_user(agent), phone_ip(agent)
    da = Dialog(sc, cid_a, PBX, (p1, 5060), dialled, u1, "sip:%s@%s:5060" % (u1, p1), "10.1.0.1",
                "10.1.0.1", "ExamplePBX/18.2", "DeskPhone/4.2")
    ag = Leg(sc, da, ("10.1.0.1", sc.port("pbx")), (p1, sc.port("phone")))
    t_inv = ag.invite(t0 + 20 * MS, ["Call-Info: <sip:10.1.0.1>;answer-after=0"])
    t_si = L.event(t_inv + sc.v.lag, "ServiceInitiatedEvent", agent,
                   conn("initiatedConnection", cid, agent) + dev("initiatingDevice", agent) +
                   "<localConnectionInfo>initiated</localConnectionInfo><cause>makeCall</cause>")
    t_ans_a = ag.answer(t0 + 80 * MS)
    L.event(t_ans_a + sc.v.lag, "OriginatedEvent", agent, conn("originatedConnection", cid, agent) +
            dev("callingDevice", agent) + dev("calledDevice", dialled) +
            "<localConnectionInfo>connected</localConnectionInfo><cause>makeCall</cause>")
    cid_t = sc.callid("%s-%s-trunk" % (sc.name, key), "10.1.0.1")
    written = e164[:3] + "-" + e164[3:5] + "-" + e164[5:] if sc.v.numforms else e164
    dt = Dialog(sc, cid_t, PBX, SBC, own, e164, "sip:%s@10.2.0.1:5060;user=phone" % written,
                "10.1.0.1", "10.2.0.1", "ExamplePBX/18.2", "CarrierSBC/7.1")
    pai = ["P-Asserted-Identity: <sip:%s@10.1.0.1;user=phone>" % own]
    if sc.v.numforms:
        dt.b_name, pai = '"%s" <tel:%s>' % (written.replace("-", " "), written), ["P-Asserted-Identity: <tel:%s>" % own]
    if sc.v.privacy:  # the contact centre withholds its number from the called party (R19)
        dt.a_name, dt.a_contact, pai = ANON, "anonymous", ["Privacy: id"] + pai
    trk = Leg(sc, dt, ("10.1.0.1", sc.port("pbx")), ("10.2.0.1", sc.port("sbc")))
    t_tinv = trk.invite(t0 + 100 * MS, pai)
    dt.response(t_tinv + 5 * MS, trk.inv, 100, "Trying")
    L.event(t_tinv + sc.v.lag, "NetworkReachedEvent", agent, conn("outboundConnection", cid, "T001") +
            dev("networkInterfaceUsed", "T001") + dev("callingDevice", agent) + dev("calledDevice", dialled) +
            "<localConnectionInfo>connected</localConnectionInfo><cause>normal</cause>")
    dt.response(t_tinv + 300 * MS, trk.inv, 180, "Ringing")
    t_ans = trk.answer(t0 + answer, lose_ok="ok200_trunk" in sc.v.loss)
    t_est = L.event(t_ans + sc.v.lag, "EstablishedEvent", agent, ev_established(cid, dialled, agent, dialled))
    tb = t_ans + talk
    ag.bye(tb, from_a=False)
    t_cc = L.event(tb + sc.v.lag, "ConnectionClearedEvent", agent, ev_cleared(cid, agent))
    trk.bye(tb + 10 * MS, from_a=True)
    t_callc = L.event(tb + 10 * MS + sc.v.lag, "CallClearedEvent", agent, ev_call_cleared(cid))
    ag.media()
    trk.media()
    end = sc.first(*hangup(ag, trk), t_cc, t_callc)
    e = call_expect(t_mk, sc.first(t_ans, trk.times["ack"], t_est), end, own, e164, "outbound",
                    "answered", [party(agent, None, sc.first(t_ans_a, ag.times["ack"]), sc.first(*hangup(ag), t_cc))],
                    released_by=agent, cause="normal_clearing",
                    csta=L.csta(cid), sip=[cid_a, cid_t],
                    correlation={"method": "number_time"})  # the trunk leg joins by the dialled number
    simple_recording(sc, e, agent, sc.first(t_ans_a, ag.times["ack"]), sc.first(*hangup(ag), t_cc), ag)
    sc.calls.append(e)
    return e


def s_routed_queued(sc):
    L = sc.link(sc.t0)
    if sc.v.numforms:  # R20: the carrier writes the hotline in national form with its context
        sc.dial = (HOTLINE_E164, "030555000;phone-context=+49")
    t = L.last + 5 * MS
    for d in ("2002", "2003", QUEUE):
        t = L.monitor(t, d) + 3 * MS
    _, inv = L.request(t, "RouteRegister", "<routeingDevice>%s</routeingDevice>" % HOTLINE)
    t = L.response(t + 2 * MS, "RouteRegisterResponse", "<routeRegisterReqID>17</routeRegisterReqID>", inv) + 3 * MS
    t = L.event(t, "AgentReadyEvent", "2002", ev_agent("2002")) + 3 * MS
    t = L.event(t, "AgentNotReadyEvent", "2003", ev_agent("2003", "<reasonCode>3</reasonCode>")) + 3 * MS
    sc.agent_ids.update({"2002": "A2002", "2003": "A2003"})
    t_start = t + 500 * MS
    for i, (agent, qwait, caller, cid) in enumerate(((("2002", 8000 * MS, (CALLER_E164, CALLER_NAT), "5c0a000a")),
                                                     ("2003", 2000 * MS, (CALLER2_E164, CALLER2_NAT), "5c0a000b"))):
        e, last = call_routed(sc, L, t_start, i + 1, agent, qwait, caller, cid, lose_queued=i == 0)
        if agent == "2003":
            e["audit"] = ["acd_not_ready"]
            sc.audits.append({"kind": "acd_not_ready", "call": i})
        t_start = last + 3000 * MS  # after its last message
    sc.allow("acd_not_ready")
    sc.forbidden_per_call = True


def call_routed(sc, L, t0, xref, agent, qwait, caller, cid, key=None, ring=2000 * MS, talk=3000 * MS, lose_queued=False):
    """The carrier's INVITE to the hotline: CTI RouteRequest, the CTI server's RouteSelect, queued
    in 6000 (the PBX plays music: 183), delivered to agent after qwait, answered; the caller hangs
    up. Returns the expectation and the call's last packet time."""
    key = key or "c%d" % xref
    tr = trunk_leg(sc, key, t0, caller[0])
    tr.d.response(t0 + 5 * MS, tr.inv, 100, "Trying")
    t_rr, rinv = L.request(t0 + sc.v.lag, "RouteRequest",
                           "<routeRegisterReqID>17</routeRegisterReqID><routeingCrossRefID>%d</routeingCrossRefID>"
                           "<currentRoute>%s</currentRoute>" % (xref, HOTLINE) + dev("callingDevice", caller[1]) +
                           conn("routedCall", cid, HOTLINE) + "<routedSelAlgorithm>normal</routedSelAlgorithm>",
                           from_pbx=True)
    t_rs, _ = L.request(t_rr + 150 * MS, "RouteSelectRequest",
                        "<routeRegisterReqID>17</routeRegisterReqID><routeingCrossRefID>%d</routeingCrossRefID>"
                        "<routeSelected>%s</routeSelected><routeUsedReq>false</routeUsedReq>" % (xref, agent))
    tr.d.response(t0 + 200 * MS, tr.inv, 183, "Session Progress", tr.sdp_b("sendonly"))  # queue music
    t_q = L.event(t0 + 220 * MS, "QueuedEvent", QUEUE, conn("queuedConnection", cid, QUEUE) + dev("queue", QUEUE) +
                  dev("callingDevice", caller[1]) + dev("calledDevice", HOTLINE) +
                  "<numberQueued>1</numberQueued><localConnectionInfo>queued</localConnectionInfo>"
                  "<cause>enteringDistribution</cause>", **lose(sc, "queued" if lose_queued else None))
    t_inv = t_q + qwait - sc.v.lag_alert
    ag = agent_leg(sc, key, t_inv, agent, caller[0])
    t_del = L.event(t_inv + sc.v.lag_alert, "DeliveredEvent", agent, ev_delivered(cid, agent, caller[1], HOTLINE))
    t_ring = ag.ringing(t_inv + 20 * MS)
    tr.d.response(t_ring + 5 * MS, tr.inv, 180, "Ringing")
    t_ans = ag.answer(t_inv + ring)
    tr.d.response(t_ans + 10 * MS, tr.inv, 200, "OK", tr.sdp_b())
    tr.d.ack(t_ans + 25 * MS, tr.inv)
    tr.conn_at = t_ans + 40 * MS
    t_est = L.event(t_ans + sc.v.lag, "EstablishedEvent", agent, ev_established(cid, agent, caller[1], HOTLINE))
    tb = t_ans + talk
    t_cc, t_callc = caller_hangs_up(L.event, tr, ag, tb, agent, cid, caller[1])
    tr.media()
    ag.media()
    end = sc.first(*hangup(tr, ag), t_cc, t_callc)
    answered = sc.first(t_ans, ag.times["ack"], t_est)
    e = call_expect(t0, answered, end, sc.v.calling(caller[0]), sc.dial[0], "inbound", "answered",
                    [party(agent, sc.first(t_ring, t_del), answered, sc.first(*hangup(ag), t_callc))],
                    released_by=sc.v.caller_device(caller[1], caller[0]),
                    cause="normal_clearing", csta=L.csta(cid), sip=[tr.d.cid, ag.d.cid],
                    queue_ms=ms(t_del - t_q) if sc.cap.captured(t_q) else None, route_ms=ms(t_rs - t_rr),
                    cti_lag_ms=cti_lag(sc, t_del, ag), correlation={"method": "device_time"})
    # R13: the trunk leg first joins by number (CTI's call shows at the hotline), but the PBX
    # relays the agent's ringing and answer to it: one SIP group with the agent leg, which CTI's
    # Delivered names by device: the call is as tied as device_time
    simple_recording(sc, e, agent, answered, sc.first(*hangup(ag), t_callc), ag)
    sc.calls.append(e)
    return e, max(t_cc, t_callc, tr.times["bye_ok"], ag.times["bye_ok"])


def s_span_dups(sc):
    L, t = setup_link(sc, sc.t0, ["2001"], agents_ready=["2001"])
    e, tr, ag, holds, rel = inbound_basic(sc, L, t + 500 * MS, cid="5c0a000c", ucid=ucid_of(12, t), trunk_retx=True,
                                          retx_est=12 * MS)
    sc.calls.append(e)
    sc.span = 20
    sc.allow("span_duplicate")
    sc.audits.append({"kind": "span_duplicate", "call": None})
    sc.stats["span_dups"] = [len(sc.cap.p), len(sc.cap.p)]
    sc.stats["sip_retrans"] = [1, 1]
    sc.stats["tcp_retrans"] = [1, 10 ** 9]


def s_missing_events(sc):
    L, t = setup_link(sc, sc.t0, ["2001", "2002", "2003", HOTLINE], agents_ready=["2001", "2002", "2003"])
    # (a) Established without any Delivered
    e, tr, ag, holds, rel = inbound_basic(sc, L, t + 500 * MS, key="a", agent="2001", cid="5c0a0010", delivered=False,
                                          talk=2000 * MS)
    e["audit"] = ["missing_event"]
    sc.audits.append({"kind": "missing_event", "call": 0})
    sc.calls.append(e)
    t = tr.times["bye_ok"] + 5000 * MS
    # (b) the agent leg's BYE is never seen
    cid, t0 = "5c0a0011", t
    tr, ag, t_del, t_ring = ring_agent(sc, L.event, "b", t0, "2002", cid)
    t_ans, t_est = answer_agent(L.event, tr, ag, t0 + 2000 * MS, "2002", cid)
    tb = t_ans + 2000 * MS
    tr.bye(tb, from_a=True)
    t_cc = L.event(tb + sc.v.lag, "ConnectionClearedEvent", "2002", ev_cleared(cid, CALLER_NAT))
    t_callc = L.event(tb + 10 * MS + sc.v.lag, "CallClearedEvent", "2002", ev_call_cleared(cid))
    tr.media()
    ag.media(until=tb + 10 * MS)  # the PBX's BYE to 2002 is not in the capture; the media stops
    end = sc.first(*hangup(tr), t_cc, t_callc)
    e = call_expect(t0, min(t_ans, t_est), end, CALLER_E164, HOTLINE_E164, "inbound", "answered",
                    [party("2002", min(t_ring, t_del), min(t_ans, t_est), t_callc)], released_by=CALLER_NAT,
                    cause="normal_clearing", csta=[{"link": L.name, "call_id": L.call_id(cid)}], sip=[tr.d.cid, ag.d.cid],
                    cti_lag_ms=30, audit=[["missing_event", "orphan_dialog"]])
    sc.audits.append({"kind": ["missing_event", "orphan_dialog"], "call": 1})
    sc.calls.append(e)
    t = max(t_cc, t_callc, tr.times["bye_ok"]) + 5000 * MS  # after its last message
    # (c) a HoldCall request that never gets an answer
    cid = "5c0a0012"
    e, tr, ag, holds, rel = inbound_basic(sc, L, t, key="c", agent="2003", cid=cid, talk=4000 * MS,
                                          after_answer=lambda ta: L.request(ta + 1500 * MS, "HoldCall",
                                                                            conn("callToBeHeld", cid, "2003")))
    e["audit"] = ["missing_response"]
    sc.audits.append({"kind": "missing_response", "call": 2})
    sc.calls.append(e)
    t = tr.times["bye_ok"] + 5000 * MS
    # (d) Delivered twice on 2001's monitor (a duplicate), and once on the hotline's (not one)
    cid, t0 = "5c0a0013", t
    tr = trunk_leg(sc, "d", t0)
    tr.d.response(t0 + 5 * MS, tr.inv, 100, "Trying")
    ag = agent_leg(sc, "d", t0 + 40 * MS, "2001")
    body = ev_delivered(cid, "2001", CALLER_NAT, HOTLINE)
    t_del = L.event(t0 + 40 * MS + sc.v.lag_alert, "DeliveredEvent", "2001", body)
    L.event(t_del + 2 * MS, "DeliveredEvent", HOTLINE, body)
    L.event(t_del + 4 * MS, "DeliveredEvent", "2001", body)
    t_ring = ag.ringing(t0 + 60 * MS)
    tr.d.response(t0 + 65 * MS, tr.inv, 180, "Ringing")
    t_ans, t_est = answer_agent(L.event, tr, ag, t0 + 2000 * MS, "2001", cid)
    L.event(t_est + 2 * MS, "EstablishedEvent", HOTLINE, ev_established(cid, "2001", CALLER_NAT, HOTLINE))
    tb = t_ans + 2000 * MS
    tr.bye(tb, from_a=True)
    ag.bye(tb + 10 * MS, from_a=True)
    t_cc = L.event(tb + sc.v.lag, "ConnectionClearedEvent", "2001", ev_cleared(cid, CALLER_NAT))
    L.event(t_cc + 2 * MS, "ConnectionClearedEvent", HOTLINE, ev_cleared(cid, CALLER_NAT))
    t_callc = L.event(tb + 10 * MS + sc.v.lag, "CallClearedEvent", "2001", ev_call_cleared(cid))
    tr.media()
    ag.media()
    end = sc.first(*hangup(tr, ag), t_cc, t_callc)
    e = call_expect(t0, min(t_ans, t_est), end, CALLER_E164, HOTLINE_E164, "inbound", "answered",
                    [party("2001", min(t_ring, t_del), min(t_ans, t_est), tb + 10 * MS)], released_by=CALLER_NAT,
                    cause="normal_clearing", csta=[{"link": L.name, "call_id": L.call_id(cid)}], sip=[tr.d.cid, ag.d.cid],
                    cti_lag_ms=30, audit=["duplicate_event"], audit_counts={"duplicate_event": 1})
    sc.audits.append({"kind": "duplicate_event", "call": 3})
    sc.calls.append(e)
    sc.allow("missing_event", "orphan_dialog", "missing_response", "duplicate_event")
    sc.forbidden_per_call = True


def s_uacsta(sc):
    cli, pbx = (CTI_SRV, 5060), PBX
    sid = "%s-session@10.1.0.50" % sc.name
    d = Dialog(sc, sid, cli, pbx, "cti", "csta", "sip:csta@10.1.0.1:5060", "10.1.0.50", "10.1.0.1", "CTIServer/3.0",
               "ExamplePBX/18.2")
    ct = "application/csta+xml"
    t = sc.t0
    inv = d.request(t, "INVITE", True, X("RequestSystemStatus").encode(), ctype=ct)
    d.response(t + 5 * MS, inv, 200, "OK", X("RequestSystemStatusResponse", "<systemStatus>normal</systemStatus>").encode(), ct)
    d.ack(t + 8 * MS, inv)
    r = d.request(t + 20 * MS, "INFO", True, X("MonitorStart", "<monitorObject><deviceObject>2001</deviceObject>"
                                                              "</monitorObject>").encode(), ctype=ct)
    d.response(t + 25 * MS, r, 200, "OK", X("MonitorStartResponse", "<monitorCrossRefID>801</monitorCrossRefID>").encode(), ct)

    def ev(t, name, inner):
        r = d.request(t, "INFO", False, X(name, "<monitorCrossRefID>801</monitorCrossRefID>" + inner).encode(), ctype=ct)
        d.response(t + 2 * MS, r, 200, "OK")
        return t

    ev(t + 40 * MS, "AgentReadyEvent", ev_agent("2001"))
    sc.agent_ids["2001"] = "A2001"
    t0, cid, u = t + 500 * MS, "5c0a0020", ucid_of(32, t)
    send = lambda t_, name, mon, inner: ev(t_, name, inner)  # noqa: E731 (one monitor: 801)
    tr, ag, t_del, t_ring = ring_agent(sc, send, "c1", t0, "2001", cid, u)
    t_ans, t_est = answer_agent(send, tr, ag, t0 + 3000 * MS, "2001", cid, u)
    tb = t_ans + 4000 * MS
    t_cc, t_callc = caller_hangs_up(send, tr, ag, tb, "2001", cid)
    tr.media()
    ag.media()
    r = d.request(t_callc + 3000 * MS, "BYE", True)
    d.response(t_callc + 3005 * MS, r, 200, "OK")
    end = sc.first(*hangup(tr, ag), t_cc, t_callc)
    e = call_expect(t0, min(t_ans, t_est), end, CALLER_E164, HOTLINE_E164, "inbound", "answered",
                    [party("2001", min(t_ring, t_del), min(t_ans, t_est), tb + 10 * MS)], released_by=CALLER_NAT,
                    cause="normal_clearing", csta=[{"link": "%s:%d-%s:%d" % (pbx + cli), "call_id": cid}],
                    sip=[tr.d.cid, ag.d.cid], cti_lag_ms=30, evidence_has=[u])
    sc.calls.append(e)
    sc.stats["sip_csta_sessions"] = [1, 1]


def s_segmented_tcp(sc):
    L, t = setup_link(sc, sc.t0, ["2001"], agents_ready=["2001"], logged_on=["2001"])
    e, tr, ag, holds, rel = inbound_basic(sc, L, t + 500 * MS, cid="5c0a0030", ucid=ucid_of(48, t), split=3,
                                          swap_every=2)
    sc.calls.append(e)
    sc.stats["tcp_ooo"] = [1, 10 ** 9]


def s_failover(sc):
    L, t = setup_link(sc, sc.t0, ["2001"], agents_ready=["2001"])
    t0 = t + 500 * MS
    t_ans = t0 + 3000 * MS
    t_rst = t_ans + 1000 * MS
    L2 = Link(sc, CTI_STANDBY, 40200, 0x30000000)
    sc.links.append(L2)
    L2.open(t_rst + 2000 * MS)
    L2.monitor(L2.last + 5 * MS, "2001")
    # the call's events up to t_rst on the primary link, the rest on the standby link
    e, tr, ag, holds, rel = inbound_basic(sc, L, t0, cid="5c0a0040", hold_at=4000 * MS, hold_len=3000 * MS,
                                          talk=2000 * MS, agent_hangs_up=True, L_after=(t_rst, L2))
    L.rst(t_rst)
    sc.calls.append(e)
    e["audit"] = ["cti_blind"]
    sc.audits.append({"kind": "cti_blind", "call": 0})
    sc.allow("cti_blind")


SCENARIOS = [
    ("inbound_answered", s_inbound_answered, "inbound via trunk and B2BUA to 2001, UCID, answered, caller hangs up; recorded"),
    ("abandoned", s_abandoned, "rings 2001 for 5 s, caller CANCELs"),
    ("hold_retrieve", s_hold_retrieve, "answered by 2001, held 3 s, retrieved, agent hangs up; recorded"),
    ("single_step_transfer", s_single_step_transfer, "2001 answers, CTI SingleStepTransferCall to 2002; recorded"),
    ("consultation_transfer", s_consultation_transfer, "2001 holds, consults 2002 (C2), transfers; recorded"),
    ("conference", s_conference, "2001 consults 2002 and conferences; 2001 drops first"),
    ("makecall", s_makecall, "CTI MakeCall 2001 -> 0301234567, outbound via the trunk"),
    ("routed_queued", s_routed_queued, "hotline 5000 routed by CTI, queued in 6000; second call to not-ready 2003"),
    ("span_dups", s_span_dups, "scenario 1 with every frame twice (SPAN), an INVITE and a CSTA segment retransmitted"),
    ("missing_events", s_missing_events, "Established without Delivered; BYE never seen; request unanswered; duplicate event"),
    ("uacsta", s_uacsta, "scenario 1's CSTA events as uaCSTA in SIP INFO"),
    ("segmented_tcp", s_segmented_tcp, "scenario 1 with every CSTA message in 2-3 segments, some swapped"),
    ("failover", s_failover, "hold/retrieve call; primary CTI link RST 1 s after answer, standby link 2 s later"),
]


# BER twins: the same script (same times: the scenario's own start) with the CSTA link written
# as ECMA-285 BER on port 2555; their expected records differ from the XML scenario's only in
# the link name (and the callID representation, which is the same text here: see ber_call_id).
BER_TWINS = ["hold_retrieve", "single_step_transfer", "consultation_transfer", "conference", "makecall"]


def all_scenarios():
    """(name, fn, desc, idx, encoding) of every scenario, the XML ones first."""
    out = [(name, fn, desc, i + 1, "xml") for i, (name, fn, desc) in enumerate(SCENARIOS)]
    for base in BER_TWINS:
        name, fn, desc, idx, _ = next(x for x in out if x[0] == base)
        out.append((name + "_ber", fn, desc + "; the CSTA link as ECMA-285 BER (ROSE, port 2555)", idx, "ber"))
    return out


def generate(out):
    os.makedirs(out, exist_ok=True)
    scens = []
    for name, fn, desc, idx, enc in all_scenarios():
        sc = Scen(name, idx, desc, enc)
        fn(sc)
        sc.write(out)
        scens.append(sc)
    return scens


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", default=os.path.join(ROOT, "pcaps", "scenarios"))
    ap.add_argument("--check", action="store_true", help="regenerate into a temporary directory and compare")
    a = ap.parse_args()
    sys.dont_write_bytecode = True  # no __pycache__ in the source tree
    sys.path.insert(0, HERE)
    import variants  # the families' variants (issue 11), in <out>/variants/
    vout = os.path.join(a.out, "variants")
    if not a.check:
        generate(a.out)
        variants.generate(vout)
        return 0
    with tempfile.TemporaryDirectory() as d:
        scens = generate(d)
        vscens = variants.generate(os.path.join(d, "variants"))
        bad, extra = [], []
        for names, mine, fresh in (([x[0] for x in all_scenarios()], a.out, d),
                                   ([x[0] for x in variants.all_variants()], vout, os.path.join(d, "variants"))):
            for name in names:
                for suf in (".pcap", ".expect.json"):
                    p = os.path.join(mine, name + suf)
                    if not os.path.exists(p) or not filecmp.cmp(p, os.path.join(fresh, name + suf), shallow=False):
                        bad.append(os.path.relpath(p, a.out))
            have = set(os.listdir(mine)) if os.path.isdir(mine) else set()
            extra += [os.path.relpath(os.path.join(mine, x), a.out) for x in sorted(have - set(os.listdir(fresh)))]
        for b in bad:
            print("FAIL: %s differs from what scenarios.py generates" % b)
        for x in extra:
            print("FAIL: %s is not generated by scenarios.py" % x)
        if not bad and not extra:
            print("ok: %d scenario files identical to a fresh generation" %
                  (2 * (len(all_scenarios()) + len(variants.all_variants()))))
        # the BER twins: every PDU through asn1c's unber and against the module text
        import shutil
        import check_ber_unber
        if not shutil.which("unber"):
            print("FAIL: unber (asn1c) missing: apt-get install -y asn1c")
            nber = 1
        else:
            nber = check_ber_unber.run(d, scens, ber_from_xml, BER_PORT)
            nber += check_ber_unber.run(os.path.join(d, "variants"), vscens, variants.S.ber_from_xml, BER_PORT)
        by = {sc.name: sc for sc in scens}
        nber += twin_check([(by[n], by[n + "_ber"]) for n in BER_TWINS] + variants.twins_of(vscens))
        return 1 if bad or extra or nber else 0


def twin_check(pairs):
    """A BER twin's expected records equal its XML scenario's but for the link name."""
    n = 0
    for x, b in pairs:
        base = x.name
        sub = lambda o, a, c: json.loads(json.dumps(o).replace(a, c))  # noqa: E731
        ren = [(L.name, "LINK%d" % i) for i, L in enumerate(x.links)] + [(base + "-", "SCEN-")]
        renb = [(L.name, "LINK%d" % i) for i, L in enumerate(b.links)] + [(base + "_ber-", "SCEN-")]
        got = {"calls": b.calls, "recordings": b.recordings, "audits": b.audits, "settings": b.settings}
        want = {"calls": x.calls, "recordings": x.recordings, "audits": x.audits, "settings": x.settings}
        for a, c in ren:
            want = sub(want, a, c)
        for a, c in renb:
            got = sub(got, a, c)
        if got != want:
            n += 1
            print("FAIL: %s: expected records differ from %s's beyond the link name" % (b.name, base))
        else:
            print("ok: %s: expected records are %s's with the BER link's name" % (b.name, base))
    return n


if __name__ == "__main__":
    sys.exit(main())
