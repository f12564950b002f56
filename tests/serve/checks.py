"""Named checks for the Python tests of tests/serve: record a failure and go on, so one run
reports everything that is wrong; finish() prints the count and exits with the status."""
import sys

failures = []


def check(name, condition, detail=""):
    if not condition:
        failures.append(name)
        print(f"FAIL: {name} {detail!r}")


def finish():
    print(f"{len(failures)} failed")
    sys.exit(1 if failures else 0)
