"""Adds up JUnit XML reports (lit, ctest) and prints `N passed, N failed`.

A report that is missing or unreadable counts as one failure, so that a
suite that did not run cannot pass. Exits 1 if anything failed.
"""

import sys
import xml.etree.ElementTree as ET


def count(path):
    """Returns (passed, failed, skipped) of the test cases in one report."""
    try:
        root = ET.parse(path).getroot()
    except (OSError, ET.ParseError) as error:
        print("%s: unreadable (%s)" % (path, error))
        return 0, 1, 0
    passed = failed = skipped = 0
    for case in root.iter("testcase"):
        if case.find("failure") is not None or case.find("error") is not None:
            failed += 1
        elif case.find("skipped") is not None:
            skipped += 1
        else:
            passed += 1
    if passed + failed + skipped == 0:
        print("%s: no tests ran" % path)
        failed += 1
    return passed, failed, skipped


def main():
    total = [0, 0, 0]
    for path in sys.argv[1:]:
        passed, failed, skipped = count(path)
        print("%s: %d passed, %d failed, %d skipped" % (path, passed, failed, skipped))
        total = [t + c for t, c in zip(total, (passed, failed, skipped))]
    line = "%d passed, %d failed" % (total[0], total[1])
    if total[2]:
        line += ", %d skipped" % total[2]
    print(line)
    sys.exit(1 if total[1] else 0)


if __name__ == "__main__":
    main()
