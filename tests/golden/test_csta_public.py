#!/usr/bin/env python3
"""Golden test of the CSTA layer on the public CSTA bytes in ../shared/pcaps/public/csta.

The expected messages are transcribed from each capture's .source.txt table (which decodes
every message by hand from its public source and checks it with unber / xmllint), not from
ctitap's output. ctitap must find the link by content (no port configured), decode exactly these
messages in order, pair answers with their requests, and write valid records.
Skips (77) where ../shared is absent.
"""
import json
import os
import subprocess
import sys

from golden import ROOT, check, finish


CSTA = os.environ.get("CTITAP_PUBLIC_CSTA", os.path.join(ROOT, "..", "shared", "pcaps", "public", "csta"))

# (name, kind, invoke_id, fields that must be present with these values)
EXPECT = {
    "csta-hipath-ber.pcap": [
        ("make_call", "request", 4, {"calling": "664", "called": "535"}),
        ("make_call", "request", 2, {"calling": "100", "called": "101"}),
        ("make_call_result", "result", 2, {"call_id": "0016", "device": "100"}),
        ("delivered", "event", 0x9D, {"call_id": "85f4", "device": "548", "subject": "548",
                                      "calling": "017662754949", "called": "548", "state": "alerting",
                                      "cause": "new_call", "xref": "0000"}),
        ("delivered", "event", 0xA8, {"call_id": "884e", "device": "548", "calling": "017662754949",
                                      "state": "alerting", "cause": "new_call"}),
        ("delivered", "event", 0xAB, {"call_id": "886b", "device": "548", "calling": "531", "called": "548",
                                      "state": "alerting", "cause": "new_call"}),
        ("system_status", "request", 1, {"system_status": "normal"}),
        ("hookswitch", "event", 0xBD, {"subject": "548"}),
        ("hookswitch", "event", 0xBF, {"subject": "548"}),
    ],
    "csta-osv-xml-template.pcap": [
        ("start_application_session", "request", 1, {}),
        ("system_status", "request", 9999, {"system_status": "normal"}),
        ("deflect_call", "request", 4, {"device": "SUB_C", "call_id": "FF000100000000006BB1234C31000000",
                                        "other": "SUB_D"}),
        ("system_register", "request", 5, {}),
        ("system_status_result", "result", 6, {}),
        ("snapshot_device_result", "result", 7, {}),
        ("clear_connection_result", "result", 8, {}),
    ],
    "csta-oxe-phase2-events.pcap": [
        ("conferenced", "event", 0x29E8, {"xref": "0135f303", "call_id": "2b7a", "subject": "24103", "state": "connected"}),
        ("connection_cleared", "event", 0x2A30, {"xref": "0135f303", "call_id": "2b82", "subject": "24103",
                                                  "state": "null", "cause": "normal_clearing"}),
        ("delivered", "event", 0x2A64, {"xref": "013a9c03", "call_id": "2b91", "subject": "24650", "calling": "24105",
                                         "called": "24640", "state": "connected", "cause": "new_call"}),
        ("established", "event", 0x2427, {"call_id": "2ace", "subject": "000238221815", "calling": "24103",
                                           "called": "00238221815", "state": "connected", "cause": "network_signal"}),
        ("diverted", "event", 0x0EE8, {"call_id": "46f6", "subject": "24002", "state": "null", "cause": "redirected"}),
        ("held", "event", 0x24C1, {"call_id": "2ad8", "subject": "24104", "state": "hold", "cause": "consultation"}),
        ("network_reached", "event", 0x28AC, {"call_id": "2b63", "called": "00659732122", "state": "connected",
                                               "cause": "new_call"}),
        ("originated", "event", 0x28E2, {"call_id": "2b69", "calling": "24105", "called": "00659732122",
                                          "state": "connected", "cause": "new_call"}),
        ("retrieved", "event", 0x3C5C, {"call_id": "2dc5", "subject": "75302", "state": "connected"}),
        ("service_initiated", "event", 0x3C6D, {"call_id": "2dcb", "state": "initiated"}),
        ("transferred", "event", 0x3C8E, {"call_id": "2dc5", "subject": "75302", "state": "connected"}),
        ("connection_cleared", "event", 0x71F7, {"call_id": "4347", "subject": "24151", "cause": "normal_clearing"}),
        ("diverted", "event", 0x0F76, {"call_id": "4707", "subject": "24005", "cause": "redirected"}),
    ],
    "csta-oxe-phase2-client-template.pcap": [
        ("aarq", "aarq", None, {}),
        ("monitor_start", "request", 1, {"monitor_device": "29707"}),
        ("snapshot_device", "request", 3, {}),
    ],
    "csta-osv-xml.pcap": [
        ("service_initiated", "event", 9999, {"xref": "1169730059", "call_id": "FF000100000000002D65C85C1C750000",
                                               "device": "302118840100", "state": "initiated", "cause": "make_call"}),
        ("originated", "event", 9999, {"call_id": "FF000100000000002D65C85C1C750000", "calling": "302118840100",
                                        "state": "connected", "cause": "new_call"}),
        ("make_call_result", "result", None, {"call_id": "FF000100000000007778C95C05030000", "device": "302118840100"}),
        ("monitor_stop", "request", None, {"xref": "1193240031"}),
        ("start_application_session_result", "result", None, {}),
        ("system_register_result", "result", None, {}),
        ("monitor_start_result", "result", None, {"xref": "1136370025"}),
        ("system_status", "request", None, {}),
        ("monitor_start", "request", None, {"monitor_device": "3021033"}),
        ("call_information", "event", 9999, {"xref": "1166743342", "call_id": "FF00010000000000E2E00E6416060000"}),
        ("delivered", "event", 9999, {"xref": "1173673890", "call_id": "FF00010000000000EC6114647E570000",
                                       "state": "alerting"}),
        ("transferred", "event", 9999, {"xref": "1184300014", "call_id": "FF00010000000000CFB6706408000000",
                                         "subject": "+17867104700"}),
    ],
}
# invoke None: the table gives the frame header's id, which ctitap reports but the table does not list





def main():
    ctitap = sys.argv[1]
    if not os.path.isdir(CSTA):
        print(f"SKIP: {CSTA} is absent (it is in CI, not in a user's clone)")
        return 77
    import validate
    for name, want in EXPECT.items():
        path = os.path.join(CSTA, name)
        if not os.path.exists(path):
            check(False, f"{name} is missing from {CSTA}")
            continue
        p = subprocess.run([ctitap, "-q", "-r", path, "-o", "jsonl:-"], capture_output=True, text=True, timeout=120)
        lines = [l for l in p.stdout.splitlines() if l.strip()]
        errs = validate.validate_lines(lines)
        check(p.returncode == 0 and not errs, f"{name}: ran, {len(lines)} valid records {errs[:2]} {p.stderr[:200]}")
        recs = [json.loads(l) for l in lines]
        got = [r for r in recs if r.get("src") == "csta"]
        stats = recs[-1]
        check(len(got) == len(want), f"{name}: {len(got)} CSTA messages == {len(want)} in the .source.txt table")
        check(stats.get("csta_links") == 1 and stats.get("csta_bad") == 0 and stats.get("csta_unknown") == 0,
              f"{name}: one link found by content, nothing undecoded ({stats.get('csta_links')}, "
              f"{stats.get('csta_bad')}, {stats.get('csta_unknown')})")
        for i, (ename, kind, invoke, fields) in enumerate(want):
            if i >= len(got):
                break
            r = got[i]
            ok = r.get("name") == ename and r.get("kind") == kind and (invoke is None or r.get("invoke_id") == invoke)
            bad = {k: (r.get(k), v) for k, v in fields.items() if r.get(k) != v}
            check(ok and not bad, f"{name} message {i + 1}: {ename}/{kind}/invoke {invoke} "
                  f"(got {r.get('name')}/{r.get('kind')}/{r.get('invoke_id')}) fields {bad or 'as listed'}")
        results = [r for r in got if r.get("kind") == "result"]
        if name.startswith("csta-hipath"):
            check(all("latency_us" in r for r in results), f"{name}: the result is paired with its request (latency)")
    return finish()


if __name__ == "__main__":
    sys.exit(main())
