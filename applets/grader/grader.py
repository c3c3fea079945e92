"""Grades a submission (the last argument, a path inside /submissions) that must define add(a, b).

The submission runs in a child cell that can read only its own file and import only json, with
two seconds of the grader's time: it cannot see the test cases, the other submissions, or
anything the grader can."""
import json
import sys

import padcell

path = sys.argv[-1]
cases = json.load(open("/tests/cases.json"))
source = open(path).read()

report = {"submission": path, "passed": 0, "failed": 0}
with padcell.Cell(files={path: "ro"}, modules=["json"], timeout=2) as student:
    try:
        student.exec(source)
        for args, expected in cases:
            got = student.call("add", *args)
            report["passed" if got == expected else "failed"] += 1
    except padcell.CellError as error:
        report["error"] = f"{error.kind}: {str(error).strip().splitlines()[-1]}"
print(json.dumps(report))
