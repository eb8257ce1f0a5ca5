"""golden.py - what the golden tests share: where things are, and a check that prints one
"ok:"/"FAIL:" line per assertion and remembers the failures for the exit code.

Importing it also makes tests/schemas/validate.py importable (every record a test reads is
validated against schemas/)."""
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
# the public real captures: in CI beside the checkout; absent in a user's clone (tests skip, 77)
PUB = os.path.join(os.path.dirname(ROOT), "shared", "pcaps", "public")
sys.path.insert(0, os.path.join(ROOT, "tests", "schemas"))
sys.path.insert(0, HERE)

failures = []


def check(cond, what):
    print(("ok: " if cond else "FAIL: ") + what)
    if not cond:
        failures.append(what)
    return cond


def finish():
    """The test's exit code: 1 if any check failed."""
    print(f"{len(failures)} failed")
    return 1 if failures else 0
