#!/usr/bin/env python3
"""Turns capture files into fuzz inputs (fuzz_capture.c's format): one input per run of
consecutive frames of a file, so that TCP streams and fragments arrive together."""
import os
import struct
import sys

LINKS = {1: 0, 113: 1, 276: 2, 101: 3, 0: 4, 108: 5, 228: 6, 229: 7}


def frames(path):
    data = open(path, "rb").read()
    if data[:4] in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1"):
        e = "<"
    elif data[:4] in (b"\xa1\xb2\xc3\xd4", b"\xa1\xb2\x3c\x4d"):
        e = ">"
    else:
        return None, []
    link = struct.unpack(e + "I", data[20:24])[0] & 0xFFFF
    off, out = 24, []
    while off + 16 <= len(data):
        _, _, incl, _ = struct.unpack(e + "IIII", data[off:off + 16])
        out.append(data[off + 16:off + 16 + incl])
        off += 16 + incl
    return link, out


def main(outdir, files, per_input=24, max_inputs=40):
    os.makedirs(outdir, exist_ok=True)
    n = 0
    for path in files:
        link, fr = frames(path)
        if link not in LINKS or not fr:
            continue
        step = max(per_input, len(fr) // max_inputs)
        for start in range(0, len(fr), step):
            chunk = fr[start:start + per_input]
            blob = bytes([LINKS[link]]) + b"".join(struct.pack(">HB", min(len(f), 65535), 1) + f[:65535] for f in chunk)
            with open(os.path.join(outdir, f"{os.path.basename(path)}-{start}"), "wb") as f:
                f.write(blob)
            n += 1
    print(f"{n} seed inputs in {outdir}")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2:])
