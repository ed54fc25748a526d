#!/usr/bin/env python3
"""Prints one closing line, 'N passed, N failed, N skipped', over every TRX file in a folder,
plus the name and reason of each skipped test and, last (CI logs keep their tail), each failed test
with its message and the top of its stack trace, so a failure on a machine nobody can log into can
still be read."""
import glob, sys, xml.etree.ElementTree as ET

ns = {"t": "http://microsoft.com/schemas/VisualStudio/TeamTest/2010"}
FAILURE_LINES = 12
passed = skipped = 0
failures = []


def text_of(result, tag):
    node = result.find(f".//t:{tag}", ns)
    return node.text if node is not None and node.text else ""


for path in sorted(glob.glob(f"{sys.argv[1]}/**/*.trx", recursive=True)):
    root = ET.parse(path).getroot()
    for r in root.iterfind(".//t:UnitTestResult", ns):
        outcome = r.get("outcome")
        name = r.get("testName")
        if outcome == "Passed":
            passed += 1
        elif outcome == "NotExecuted":
            skipped += 1
            print(f"skipped: {name}: {text_of(r, 'Message')}")
        else:
            detail = (text_of(r, "Message") + "\n" + text_of(r, "StackTrace")).strip().splitlines()
            failures.append((name, detail[:FAILURE_LINES]))

for name, detail in failures:
    print(f"failed: {name}")
    for line in detail:
        print(f"    {line}")
print(f"tests: {passed} passed, {len(failures)} failed, {skipped} skipped")
sys.exit(1 if failures or passed == 0 else 0)
