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
checks = 0


def check(cond, what):
    global checks
    checks += 1
    print(("ok: " if cond else "FAIL: ") + what)
    if not cond:
        failures.append(what)
    return cond


def finish():
    """The test's exit code: 1 if any check failed, or if none was made (a test that checked
    nothing proves nothing: an empty capture, a filter that matched no record)."""
    if not checks:
        print("FAIL: no check was made")
        return 1
    print(f"{checks} checks, {len(failures)} failed")
    return 1 if failures else 0
