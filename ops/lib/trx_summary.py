"""Summarises the .trx files that `dotnet test --logger trx` wrote under a directory (ops/test.sh).

    python3 ops/lib/trx_summary.py RESULTS_DIR

Prints the failed tests, then every skipped test with its reason, then one closing line, alone and last:
'N passed, N failed, N skipped'. Exits 2 when no test executed (or no .trx was found), so an empty run never
looks green; 0 otherwise (the test outcome itself is dotnet test's exit code).

Counts come from the UnitTestResult elements (one per test case; a theory's data rows are separate results):
Passed -> passed; Failed, Error, Timeout, Aborted -> failed; NotExecuted (xunit's skip), Inconclusive,
NotRunnable -> skipped. The Counters element is only a fallback: VSTest's counters do not count xunit skips
(notExecuted stays 0; they show only as total - executed).
A test that never finished because the test host crashed or was stopped by --blame-hang-timeout has no result in
the .trx: it is counted as failed, from the blame collector's Sequence_*.xml (Completed="False"), or, when that is
missing, as one failure for the aborted run.
"""
import glob
import os
import sys
import xml.etree.ElementTree as ET

NS = "{http://microsoft.com/schemas/VisualStudio/TeamTest/2010}"
PASSED = {"Passed", "PassedButRunAborted"}
FAILED = {"Failed", "Error", "Timeout", "Aborted"}


def first_line(text, limit=300):
    for line in (text or "").splitlines():
        line = line.strip()
        if line:
            return line if len(line) <= limit else line[: limit - 3] + "..."
    return ""


def reason_of(result):
    """Skip reason: ErrorInfo/Message (xunit puts it there), else the test's own StdOut."""
    for path in (f"{NS}Output/{NS}ErrorInfo/{NS}Message", f"{NS}Output/{NS}StdOut"):
        node = result.find(path)
        if node is not None and first_line(node.text):
            return first_line(node.text)
    return "no reason given"


def main():
    if len(sys.argv) != 2:
        print(__doc__.strip().splitlines()[2].strip(), file=sys.stderr)
        return 64
    files = sorted(glob.glob(os.path.join(sys.argv[1], "**", "*.trx"), recursive=True))
    passed = failed = skipped = 0
    failures, skips, problems, aborted, results_names = [], [], [], [], set()
    for path in files:
        try:
            root = ET.parse(path).getroot()
        except ET.ParseError as e:
            problems.append(f"unreadable {path}: {e}")
            continue
        results = root.findall(f".//{NS}Results/{NS}UnitTestResult")
        if results:
            for r in results:
                outcome = r.get("outcome", "")
                name = r.get("testName", "?")
                results_names.add(name)
                if outcome in PASSED:
                    passed += 1
                elif outcome in FAILED:
                    failed += 1
                    failures.append(f"{name}: {reason_of(r)}")
                else:
                    skipped += 1
                    skips.append(f"{name}: {reason_of(r)}")
        else:
            c = root.find(f".//{NS}ResultSummary/{NS}Counters")
            if c is not None:
                n = lambda k: int(c.get(k, "0") or 0)  # noqa: E731
                passed += n("passed")
                failed += n("failed") + n("error") + n("timeout") + n("aborted")
                skipped += max(n("total") - n("executed"), n("notExecuted"))
        for info in root.iterfind(f".//{NS}ResultSummary/{NS}RunInfos/{NS}RunInfo"):
            text = first_line(info.findtext(f"{NS}Text"))
            if info.get("outcome") == "Error" and "test run was aborted" in text.lower():
                aborted.append(text)
        summary = root.find(f"{NS}ResultSummary")
        if summary is not None and summary.get("outcome") in ("Aborted", "Error"):
            problems.append(f"test run {summary.get('outcome').lower()}: {os.path.basename(path)}")

    # Tests the test host was running when it crashed or was stopped for hanging (blame collector's sequence files).
    seen = set(results_names)
    incomplete = []
    for path in sorted(glob.glob(os.path.join(sys.argv[1], "**", "Sequence_*.xml"), recursive=True)):
        try:
            for t in ET.parse(path).getroot().iter("Test"):
                name = t.get("DisplayName") or t.get("Name") or "?"
                if t.get("Completed") == "False" and name not in seen:
                    seen.add(name)
                    incomplete.append(name)
        except ET.ParseError:
            pass
    for name in incomplete:
        failed += 1
        failures.append(f"{name}: did not finish (the test host crashed, or was stopped by the hang timeout)")
    if aborted and not incomplete:
        failed += 1
        failures.append(f"(test run): {aborted[0]}")

    if failures:
        print(f"Failed tests ({len(failures)}):")
        for line in failures:
            print(f"  {line}")
    if skips:
        print(f"Skipped tests ({len(skips)}):")
        for line in skips:
            print(f"  {line}")
    for line in problems:
        print(f"warning: {line}")
    if not files:
        print("warning: no .trx test results were written (the build or the test host failed before any test ran)")
    elif passed + failed == 0:
        print("warning: no test executed")
    print(f"{passed} passed, {failed} failed, {skipped} skipped")
    return 0 if passed + failed > 0 else 2


if __name__ == "__main__":
    sys.exit(main())
