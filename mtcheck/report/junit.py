"""JUnit XML (GitLab test reports, Jenkins, Azure Pipelines, any JUnit viewer).

One ``<testsuite name="mtcheck">`` holding:

- one test case per aligned pair (``pair 3: ref 4 / cand 5``), failed when the pair's
  candidate sentences hold a counted finding at or above the gate's ``fail_on``
  severity; every finding of the pair (with line:column) is listed in ``system-out``,
  suppressed and baselined ones marked;
- a ``document: unaligned sentences`` case for findings outside aligned pairs (same rule);
- a ``document: quality gate`` case, failed exactly when the report's gate failed, with
  the reasons, the penalty and the quality.

The suite's ``properties`` hold the score. Test-case ``classname`` is ``mtcheck.`` plus
the candidate path.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from mtcheck.report.locate import Locator
from mtcheck.types import SEVERITIES, Finding, Report


def _fails(f: Finding, fail_on: str | None) -> bool:
    if not f.counted or f.side != "candidate" or not fail_on or fail_on == "none":
        return False
    return SEVERITIES.index(f.severity) >= SEVERITIES.index(fail_on)


def _line(f: Finding, loc: Locator) -> str:
    l0, c0, _, _ = loc.span(f)
    mark = " [suppressed]" if f.suppressed else " [baseline]" if f.baseline else ""
    where = f"{loc.path(f.side)}:{l0}:{c0}"
    conf = f" [confidence {f.confidence:.2f}]" if f.confidence is not None else ""
    return f"{where}: {f.severity} {f.code} {f.rule}: {f.message} ({f.text!r}){conf}{mark}"


def _case(suite: ET.Element, name: str, classname: str, findings: list[Finding], fail_on, loc, extra: str = "") -> ET.Element:
    case = ET.SubElement(suite, "testcase", name=name, classname=classname, time="0")
    failing = [f for f in findings if _fails(f, fail_on)]
    if failing:
        worst = max(failing, key=lambda f: SEVERITIES.index(f.severity))
        failure = ET.SubElement(
            case,
            "failure",
            message=f"{len(failing)} finding(s) at or above {fail_on}: {worst.code} {worst.message}",
            type=worst.severity,
        )
        failure.text = "\n".join(_line(f, loc) for f in failing)
    lines = [_line(f, loc) for f in findings]
    if extra:
        lines.insert(0, extra)
    if lines:
        ET.SubElement(case, "system-out").text = "\n".join(lines)
    return case


#: Characters XML 1.0 cannot hold, even escaped (C0 controls but tab/LF/CR, U+FFFE/U+FFFF).
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _xml_safe(root: ET.Element) -> None:
    """Replace what XML 1.0 cannot hold by U+FFFD in every text and attribute: article text
    may carry control characters, and one of them would make the whole file unreadable."""
    for el in root.iter():
        if el.text:
            el.text = _NOT_XML.sub("\ufffd", el.text)
        if el.tail:
            el.tail = _NOT_XML.sub("\ufffd", el.tail)
        for key, value in el.attrib.items():
            el.attrib[key] = _NOT_XML.sub("\ufffd", value)


def _prop(value) -> str:
    if value is None:
        return ""
    return str(value).lower() if isinstance(value, bool) else str(value)


def junit_tree(report: Report) -> ET.Element:
    loc = Locator(report)
    fail_on = report.settings.get("fail_on")
    classname = "mtcheck." + loc.path("candidate")
    cand, ref = report.candidate, report.reference
    root = ET.Element("testsuites", name="mtcheck")
    suite = ET.SubElement(root, "testsuite", name="mtcheck")
    props = ET.SubElement(suite, "properties")
    s = report.score
    for key, value in (
        ("reference", ref.path),
        ("candidate", cand.path),
        ("passed", s.passed),
        ("penalty", s.penalty),
        ("per_1000_words", s.per_1000_words),
        ("quality", s.quality),
        ("parallel", report.parallel.is_parallel),
        ("signature", report.signature),
    ):
        ET.SubElement(props, "property", name=key, value=_prop(value))

    in_pair: set[int] = set()
    pair_no = 0
    for bead in report.alignment:
        if not bead.aligned:
            continue
        pair_no += 1
        held = [f for f in report.findings if f.side == "candidate" and f.sentence in bead.candidate]
        in_pair.update(id(f) for f in held)
        text = " ".join(cand.sentences[j].text for j in bead.candidate)
        name = (
            f"pair {pair_no}: ref {'+'.join(map(str, bead.reference))} / "
            f"cand {'+'.join(map(str, bead.candidate))}: {text[:60]}{'…' if len(text) > 60 else ''}"
        )
        q = "n/a" if bead.quality is None else f"{bead.quality:.1f}"
        _case(suite, name, classname, held, fail_on, loc, f"quality {q}, penalty {bead.penalty:g}")

    rest = [f for f in report.findings if id(f) not in in_pair]
    _case(suite, "document: unaligned sentences", classname, rest, fail_on, loc)

    gate = ET.SubElement(suite, "testcase", name="document: quality gate", classname=classname, time="0")
    quality = "n/a" if s.quality is None else f"{s.quality:.1f}"
    summary = (
        f"penalty {s.penalty:g} ({s.per_1000_words:.1f} per 1,000 words), quality {quality}, "
        f"{sum(f.counted for f in report.findings)} counted finding(s) of {len(report.findings)}"
    )
    if not s.passed:
        ET.SubElement(gate, "failure", message="; ".join(s.reasons), type="gate").text = summary
    ET.SubElement(gate, "system-out").text = summary

    cases = suite.findall("testcase")
    failures = sum(c.find("failure") is not None for c in cases)
    for el in (suite, root):
        el.set("tests", str(len(cases)))
        el.set("failures", str(failures))
        el.set("errors", "0")
        el.set("skipped", "0")
        el.set("time", f"{sum(report.timings.values()):.3f}")
    _xml_safe(root)
    return root


def render(report: Report) -> str:
    root = junit_tree(report)
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
