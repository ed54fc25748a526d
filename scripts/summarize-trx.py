#!/usr/bin/env python3
"""Prints one closing line, 'N passed, N failed, N skipped', over every TRX file in a folder,
plus the name and reason of each skipped and failed test, so CI logs say exactly what ran."""
import glob, sys, xml.etree.ElementTree as ET

ns = {"t": "http://microsoft.com/schemas/VisualStudio/TeamTest/2010"}
passed = failed = skipped = 0
for path in sorted(glob.glob(f"{sys.argv[1]}/**/*.trx", recursive=True)):
    root = ET.parse(path).getroot()
    for r in root.iterfind(".//t:UnitTestResult", ns):
        outcome = r.get("outcome")
        name = r.get("testName")
        if outcome == "Passed":
            passed += 1
        elif outcome == "NotExecuted":
            skipped += 1
            msg = r.find(".//t:Message", ns)
            print(f"skipped: {name}: {msg.text if msg is not None else ''}")
        else:
            failed += 1
            print(f"failed: {name}")
print(f"tests: {passed} passed, {failed} failed, {skipped} skipped")
sys.exit(1 if failed or passed == 0 else 0)
