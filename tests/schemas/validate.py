#!/usr/bin/env python3
"""validate.py - check ctitap records against the JSON Schemas in schemas/ (docs/records.md).

    validate.py [--schemas DIR] [-q] FILE...

Each FILE holds JSON lines, plain or zstd-compressed (name ending in .zst); '-' is stdin. Every
line must be one JSON object in strict UTF-8 (no NaN, no repeated keys) that is valid against the
schema of its "type". Prints one line per invalid record with the reasons and exits 1 if any record
is invalid or any file holds no record; 2 on a usage or setup error (no jsonschema, unreadable
file or schema).

As a module, for other tests:

    sys.path.insert(0, "<source>/tests/schemas"); import validate
    errors = validate.validate_lines(lines)   # str or bytes lines; [] when all are valid
    errors = validate.validate_record(obj)    # one parsed record
    errors, n = validate.validate_files(paths)

Works with the jsonschema of Debian 12 (4.10, RefResolver) and with later ones (4.18 and up,
the referencing registry); the schemas are draft 2020-12 and $ref each other by relative URI.
"""
import glob
import json
import os
import shutil
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
SCHEMA_DIR = os.path.join(os.path.dirname(os.path.dirname(HERE)), "schemas")
TYPES = ("event", "call", "recording", "audit", "stats")
MAX_ERRORS_PER_RECORD = 5

_cache = {}


class SetupError(Exception):
    """jsonschema missing, a schema unreadable or itself invalid."""


def _jsonschema():
    try:
        import jsonschema  # noqa: F401
        from jsonschema import Draft202012Validator
    except ImportError as e:
        raise SetupError("the Python jsonschema package (>= 4.0, Debian: python3-jsonschema) is needed: %s" % e)
    return Draft202012Validator


def load_validators(schema_dir=None):
    """{type: validator} for every record type, built once per schema directory."""
    schema_dir = os.path.abspath(schema_dir or os.environ.get("CTITAP_SCHEMA_DIR") or SCHEMA_DIR)
    if schema_dir in _cache:
        return _cache[schema_dir]
    V = _jsonschema()
    schemas = {}
    for path in sorted(glob.glob(os.path.join(schema_dir, "*.schema.json"))):
        try:
            with open(path, encoding="utf-8") as f:
                s = json.load(f)
            V.check_schema(s)
        except Exception as e:  # OSError, ValueError, SchemaError
            raise SetupError("%s: %s" % (path, e))
        if "$id" not in s:
            raise SetupError("%s: no $id" % path)
        schemas[os.path.basename(path)] = s
    missing = [t for t in TYPES + ("common",) if t + ".schema.json" not in schemas]
    if missing:
        raise SetupError("%s: missing %s" % (schema_dir, ", ".join(m + ".schema.json" for m in missing)))

    try:  # jsonschema >= 4.18: the referencing library
        from referencing import Registry, Resource
        from referencing.jsonschema import DRAFT202012

        registry = Registry().with_resources(
            (s["$id"], Resource.from_contents(s, default_specification=DRAFT202012)) for s in schemas.values())

        def make(s):
            return V(s, registry=registry)
    except ImportError:  # jsonschema 4.10 (Debian 12): RefResolver with a store
        from jsonschema import RefResolver

        store = {s["$id"]: s for s in schemas.values()}

        def make(s):
            return V(s, resolver=RefResolver.from_schema(s, store=store))

    vals = {t: make(schemas[t + ".schema.json"]) for t in TYPES}
    _cache[schema_dir] = vals
    return vals


def _where(err):
    path = "".join("[%d]" % p if isinstance(p, int) else ".%s" % p for p in err.absolute_path)
    return path or "(record)"


def _leaf_errors(err):
    """The innermost reasons of an error (allOf/oneOf wrap the useful ones)."""
    if err.context:
        out = []
        for sub in err.context:
            out.extend(_leaf_errors(sub))
        return out
    return [err]


def validate_record(obj, schema_dir=None):
    """List of reasons why obj is not a valid ctitap record; [] when it is."""
    vals = load_validators(schema_dir)
    if not isinstance(obj, dict):
        return ["not a JSON object"]
    t = obj.get("type")
    if t not in vals:
        return ["unknown record type %s (expected one of %s)" % (json.dumps(t), ", ".join(TYPES))]
    errs = sorted(vals[t].iter_errors(obj), key=lambda e: (list(map(str, e.absolute_path)), e.message))
    out, missing = [], {}
    for e in errs:
        if e.validator == "required":
            # one reason per object for all its missing fields, not one each
            have = e.instance if isinstance(e.instance, dict) else {}
            names = missing.setdefault(_where(e), [])
            names.extend(n for n in e.validator_value if n not in have and n not in names)
        elif e.validator == "oneOf" and e.context:
            # e.g. "x is not a timestamp, and not null": name both alternatives
            msg = " or ".join(sorted({l.message for l in _leaf_errors(e)}))
            out.append("%s: %s" % (_where(e), msg))
        else:
            out.append("%s: %s" % (_where(e), e.message))
    for where, names in missing.items():
        shown = ", ".join(names[:8]) + (", ... (%d fields)" % len(names) if len(names) > 8 else "")
        out.append("%s: missing %s" % (where, shown))
    seen, uniq = set(), []
    for m in out:
        if m not in seen:
            seen.add(m)
            uniq.append(m)
    if len(uniq) > MAX_ERRORS_PER_RECORD:
        uniq = uniq[:MAX_ERRORS_PER_RECORD] + ["and %d more" % (len(uniq) - MAX_ERRORS_PER_RECORD)]
    return uniq


def _no_dup_keys(pairs):
    d = {}
    for k, v in pairs:
        if k in d:
            raise ValueError("key %s repeated" % json.dumps(k))
        d[k] = v
    return d


def _no_constant(name):
    raise ValueError("%s is not JSON" % name)


def parse_line(line):
    """One JSON-lines line (str or bytes) to an object; ValueError saying why not."""
    if isinstance(line, (bytes, bytearray)):
        try:
            line = bytes(line).decode("utf-8", errors="strict")
        except UnicodeDecodeError as e:
            raise ValueError("not UTF-8: %s" % e)
    line = line.rstrip("\n")
    if line.endswith("\r"):
        raise ValueError("CR before the line end")
    if not line.strip():
        raise ValueError("empty line")
    try:
        return json.loads(line, object_pairs_hook=_no_dup_keys, parse_constant=_no_constant)
    except ValueError as e:
        raise ValueError("not JSON: %s" % e)


def _describe(obj):
    if isinstance(obj, dict):
        return "%s %s" % (obj.get("type", "?"), obj.get("id", "?"))
    return "?"


def validate_lines(lines, name=None, schema_dir=None):
    """One string per invalid record saying why ([] if all are valid ctitap records), starting
    with 'NAME:LINE:' (or 'line LINE:' without a name); several reasons are joined by '; '."""
    errors = []
    for n, line in enumerate(lines, 1):
        where = "%s:%d:" % (name, n) if name else "line %d:" % n
        try:
            obj = parse_line(line)
        except ValueError as e:
            errors.append("%s %s" % (where, e))
            continue
        reasons = validate_record(obj, schema_dir)
        if reasons:
            errors.append("%s %s: %s" % (where, _describe(obj), "; ".join(reasons)))
    return errors


def read_lines(path):
    """The lines (bytes, without line ends) of a JSON-lines file, decompressing .zst."""
    if path == "-":
        data = sys.stdin.buffer.read()
    else:
        with open(path, "rb") as f:
            data = f.read()
    if path.endswith(".zst"):
        data = _unzstd(data, path)
    lines = data.split(b"\n")
    if lines and lines[-1] == b"":
        lines.pop()
    return lines


def _unzstd(data, path):
    try:
        import zstandard
    except ImportError:
        zstandard = None
    if zstandard is not None:
        import io

        # stream reader: frames written without a content size (streaming, as ctitap does)
        try:
            with zstandard.ZstdDecompressor().stream_reader(io.BytesIO(data), read_across_frames=True) as r:
                return r.read()
        except zstandard.ZstdError as e:
            raise ValueError("not zstd, or damaged: %s" % e)
    if not shutil.which("zstd"):
        raise SetupError("%s: neither the Python zstandard module nor the zstd command is available" % path)
    p = subprocess.run(["zstd", "-dc"], input=data, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    if p.returncode != 0:
        raise ValueError("zstd -dc failed: %s" % p.stderr.decode(errors="replace").strip())
    return p.stdout


def validate_files(paths, schema_dir=None):
    """(errors, number of records) over all files; an empty file is an error."""
    errors, total = [], 0
    for path in paths:
        try:
            lines = read_lines(path)
        except (OSError, ValueError) as e:
            errors.append("%s: %s" % (path, e))
            continue
        if not lines:
            errors.append("%s: no record" % path)
            continue
        total += len(lines)
        errors.extend(validate_lines(lines, name=path, schema_dir=schema_dir))
    return errors, total


def main(argv):
    import argparse

    ap = argparse.ArgumentParser(description="Validate ctitap JSON-lines records against schemas/.")
    ap.add_argument("--schemas", help="schema directory (default: %s)" % SCHEMA_DIR)
    ap.add_argument("-q", "--quiet", action="store_true", help="no summary line when all is valid")
    ap.add_argument("files", nargs="+", metavar="FILE")
    a = ap.parse_args(argv)
    try:
        load_validators(a.schemas)
        errors, total = validate_files(a.files, a.schemas)
    except SetupError as e:
        print("validate.py: %s" % e, file=sys.stderr)
        return 2
    for e in errors:
        print(e)
    if errors:
        print("validate.py: %d problem(s) in %d record(s) of %d file(s)" % (len(errors), total, len(a.files)),
              file=sys.stderr)
        return 1
    if not a.quiet:
        print("validate.py: %d record(s) in %d file(s), all valid" % (total, len(a.files)), file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
