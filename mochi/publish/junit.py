"""`--format junit`: findings as a JUnit XML test report, which Jenkins (and GitLab) show natively.

One `<testsuite>` (the Ant JUnit format, valid against the common JUnit.xsd): one test case per
finding, failed (`<failure type="<severity>">`) unless it is praise, plus one passing test case
per reviewed file that has no finding, so the report's totals say how much was reviewed.
"""

from __future__ import annotations

import socket
import time
from collections.abc import Callable
from xml.etree import ElementTree as ET

from mochi.models import Finding, FindingType, Review
from mochi.publish.markdown import location
from mochi.publish.sarif import rule_id

SUITE_NAME = "sonar-mochi"


def _classname(path: str) -> str:
    # Jenkins groups test cases into packages and classes by the dots of the class name
    stem = path.rsplit(".", 1)[0] if "." in path.rsplit("/", 1)[-1] else path
    return "mochi." + stem.strip("/").replace("/", ".").replace(" ", "_")


def _details(f: Finding) -> str:
    lines = [
        f"{location(f)}: {f.severity.value} {f.type.value}" + (f" ({f.category})" if f.category else ""),
        "",
        f.message.strip(),
    ]
    if f.suggestion:
        lines += ["", "Suggestion:", f.suggestion.strip()]
    lines += ["", f"Source: {f.source}" + (f" · fingerprint {f.fingerprint}" if f.fingerprint else "")]
    return "\n".join(lines)


def _xml_text(text: str) -> str:
    # XML 1.0 cannot hold most control characters, even escaped
    return "".join(ch for ch in text if ch in "\t\n\r" or ord(ch) >= 0x20)


def render_junit(review: Review, *, hostname: Callable[[], str] = socket.gethostname) -> str:
    """The review as a JUnit XML document (text ending in a newline)."""
    suite = ET.Element("testsuite")
    ET.SubElement(suite, "properties")
    failures = 0
    tests = 0
    with_findings = {f.path for f in review.findings}
    for f in review.findings:
        tests += 1
        case = ET.SubElement(
            suite,
            "testcase",
            {
                "classname": _classname(f.path),
                "name": _xml_text(f"{location(f)} {rule_id(f)}"),
                "time": "0",
            },
        )
        if f.type is not FindingType.PRAISE:
            failures += 1
            failure = ET.SubElement(
                case,
                "failure",
                {
                    "message": _xml_text(" ".join(f.message.split())[:500]),
                    "type": f.severity.value,
                },
            )
            failure.text = _xml_text(_details(f))
    for path in review.reviewed:
        if path not in with_findings:
            tests += 1
            ET.SubElement(
                suite, "testcase", {"classname": _classname(path), "name": f"{path} reviewed", "time": "0"}
            )
    out = ET.SubElement(suite, "system-out")
    out.text = _xml_text("\n".join([review.summary.overall_assessment, *review.notices]).strip())
    ET.SubElement(suite, "system-err")
    suite.attrib.update(
        {
            "name": SUITE_NAME,
            "timestamp": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime()),
            "hostname": hostname() or "localhost",
            "tests": str(tests),
            "failures": str(failures),
            "errors": "0",
            "skipped": "0",
            "time": f"{review.stats.duration_s:.3f}",
        }
    )
    ET.indent(suite)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(suite, encoding="unicode") + "\n"
