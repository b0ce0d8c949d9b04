"""The finding confidence: the shipped calibration, ordering in every format, the
--min-confidence option and config key, and the gate's cap on low-confidence majors.

The calibration file is fitted by ``bench/calibration.py`` on MQM data the tests may not
read; these tests check what the product does with it, through the real pipeline.
"""

import json
import math

import jsonschema
import pytest
from typer.testing import CliRunner

from mtcheck.cli import app
from mtcheck.detect import all_rules
from mtcheck.score.confidence import CALIBRATION_FILE, LOW_CONFIDENCE, Calibrator, order_key, ordered
from mtcheck.score.gate import cap_low_confidence, score
from mtcheck.settings import DEFAULT_MIN_CONFIDENCE, Settings
from mtcheck.types import Bead, Document, Finding, Sentence

from test_report import ROOT, SCHEMA

REF = ROOT / "fixtures" / "kurdistan24-istanbul-talks.clean.txt"
CAND = ROOT / "fixtures" / "istanbul-talks.garbled-mt.txt"


def _finding(code="MT205", severity="minor", confidence=None, start=0, end=4, text="abcd",
             category="Accuracy/Mistranslation", **kw):
    return Finding(code=code, rule="r", category=category, severity=severity, message="m",
                   side="candidate", start=start, end=end, text=text, sentence=0, confidence=confidence, **kw)


# -- the shipped calibration ---------------------------------------------------------


def test_calibration_file_loads_and_covers_every_rule():
    cal = Calibrator.load()
    data = json.loads(CALIBRATION_FILE.read_text(encoding="utf-8"))
    assert data["held_out_ece"] <= 0.05  # as measured by bench/calibration.py
    for rule in all_rules():
        key, _ = cal.model_for(_finding(code=rule.code))
        assert key == rule.code, rule.code
    assert cal.model_for(_finding(code="LT", category="Fluency/Grammar"))[0].startswith("LT")
    assert cal.model_for(_finding(code="MT999"))[0] == "default"  # a rule added after the fit
    for model in cal.models.values():
        assert len(model["features"]) == len(model["coef"]) == len(model["mean"]) == len(model["scale"])
        assert all(s > 0 for s in model["scale"])


@pytest.mark.parametrize("code", ["MT221"])
def test_confidence_rises_with_the_tagger_probability(code):
    """The same MT221 finding is more likely an annotated error where the tagger says so.

    Over the range its findings have (P >= its threshold 0.5). Not MT205 or MT121: in the
    held-out refit on the per-token encoder's tagger the probability gets a small negative
    weight for them (MT205's tagger floor already dropped the runs the tagger reads as
    fluent; README, "Confidence"), where the previous fit gave MT205 a positive one."""
    cal = Calibrator.load()
    f = _finding(code=code)
    base = {"log_words": math.log1p(2), "min_zipf": 4.0, "log_sentence_words": math.log1p(20),
            "chrf": 0.5, "cosine": 0.7, "major": 0.0}
    probs = [cal.probability(f, {**base, "tagger": t}) for t in (0.5, 0.6, 0.7, 0.8, 0.9)]
    assert probs == sorted(probs) and probs[-1] - probs[0] > 0.05
    assert all(0.0 < p < 1.0 for p in probs)


def test_weakly_supported_runs_are_more_likely_errors_the_longer_and_weaker_they_are():
    """MT205: a longer unsupported run, and a lower support, mean a likelier error."""
    cal = Calibrator.load()
    f = _finding()
    base = {"log_words": math.log1p(2), "min_zipf": 4.0, "log_sentence_words": math.log1p(20),
            "chrf": 0.5, "cosine": 0.7, "major": 0.0, "tagger": 0.5, "m_support": 0.3, "m_mean_support": 0.35}
    by_length = [cal.probability(f, {**base, "log_words": math.log1p(n)}) for n in (1, 2, 4, 8)]
    assert by_length == sorted(by_length) and by_length[0] < by_length[-1]
    by_support = [cal.probability(f, {**base, "m_support": x, "m_mean_support": x}) for x in (0.1, 0.2, 0.3, 0.4)]
    assert by_support == sorted(by_support, reverse=True) and by_support[0] > by_support[-1]


def test_missing_features_fall_back_to_the_mean():
    cal = Calibrator.load()
    _, model = cal.model_for(_finding())
    at_mean = dict(zip(model["features"], model["mean"]))
    assert cal.probability(_finding(), {}) == pytest.approx(cal.probability(_finding(), at_mean))
    p = model["intercept"]
    assert cal.probability(_finding(), {}) == pytest.approx(1 / (1 + math.exp(-p)))


def test_order_is_confidence_then_severity_then_position():
    fs = [
        _finding(confidence=0.4, start=9, end=10),
        _finding(confidence=0.9, start=20, end=22),
        _finding(confidence=0.4, severity="major", start=30, end=31),
        _finding(confidence=None, severity="critical", start=0, end=1),
        _finding(confidence=0.4, start=2, end=3),
    ]
    assert [(f.confidence, f.severity, f.start) for f in ordered(fs)] == [
        (0.9, "minor", 20), (0.4, "major", 30), (0.4, "minor", 2), (0.4, "minor", 9), (None, "critical", 0)]
    assert order_key(fs[1]) < order_key(fs[0])


# -- the gate ------------------------------------------------------------------------


def _one_sentence():
    text = "The talks start on Friday at 13:30.\n"
    doc = Document("cand.txt", text, [Sentence(0, 0, len(text) - 1, text[:-1])])
    return doc, [Bead((0,), (0,), similarity=0.9, chrf=80.0)]


@pytest.mark.parametrize("confidence, passed, penalty", [
    (LOW_CONFIDENCE - 0.01, True, 1.0),   # low: counted as minor, the major gate passes
    (LOW_CONFIDENCE, False, 5.0),         # at the line: stays major
    (0.9, False, 5.0),
    (None, False, 5.0),                   # not calibrated (hand-built reports): as before
])
def test_low_confidence_finding_cannot_be_major(confidence, passed, penalty):
    doc, beads = _one_sentence()
    f = _finding(severity="major", confidence=confidence, start=29, end=34, text="13:30")
    verdict = score([f], beads, doc, Settings(fail_on="major"))
    assert verdict.passed is passed
    assert verdict.penalty == penalty
    capped = cap_low_confidence([f, _finding(severity="critical", confidence=0.1)])
    assert [g.severity for g in capped] == ["minor" if passed else "major", "minor"]


# -- the pipeline and every format ---------------------------------------------------


def run(*args):
    return CliRunner().invoke(app, ["check", "--no-grammar", *map(str, args)], catch_exceptions=False)


@pytest.fixture(scope="module")
def everything(tmp_path_factory):
    """The fixture pair with every finding (--min-confidence 0), as JSON and SARIF."""
    d = tmp_path_factory.mktemp("conf")
    js, sarif = d / "r.json", d / "r.sarif"
    result = run("--min-confidence", "0", "--fail-on", "none", "--json", js, "--sarif", sarif, "-q", REF, CAND)
    assert result.exit_code == 0, result.output
    return json.loads(js.read_text(encoding="utf-8")), json.loads(sarif.read_text(encoding="utf-8"))


def test_json_findings_carry_confidence_in_order_and_validate(everything):
    data, _ = everything
    jsonschema.validate(data, SCHEMA, cls=jsonschema.Draft202012Validator)
    confs = [f["confidence"] for f in data["findings"]]
    assert len(confs) >= 5 and all(isinstance(c, float) and 0 <= c <= 1 for c in confs)
    assert confs == sorted(confs, reverse=True)
    assert len(set(confs)) > 2  # the calibration tells findings apart
    assert data["settings"]["min_confidence"] == 0
    broken = json.loads(json.dumps(data))
    broken["findings"][0]["confidence"] = 1.5
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(broken, SCHEMA, cls=jsonschema.Draft202012Validator)


def test_sarif_rank_is_the_confidence_in_percent_in_the_same_order(everything):
    data, sarif = everything
    results = sarif["runs"][0]["results"]
    assert [r["rank"] for r in results] == [round(100 * f["confidence"], 1) for f in data["findings"]]
    assert all(0 <= r["rank"] <= 100 for r in results)
    assert [r["properties"]["confidence"] for r in results] == [f["confidence"] for f in data["findings"]]


def test_min_confidence_drops_findings_below_it(everything, tmp_path):
    data, _ = everything
    values = sorted({f["confidence"] for f in data["findings"]})
    floor = values[len(values) // 2]
    out = tmp_path / "r.json"
    result = run("--min-confidence", floor, "--fail-on", "none", "--json", out, "-q", REF, CAND)
    assert result.exit_code == 0, result.output
    kept = json.loads(out.read_text(encoding="utf-8"))
    expected = [f for f in data["findings"] if f["confidence"] >= floor]
    assert 0 < len(kept["findings"]) == len(expected) < len(data["findings"])
    assert any("below confidence" in n for n in kept["notices"])


def test_default_min_confidence_applies_and_the_config_key_overrides_it(everything, tmp_path):
    data, _ = everything
    out = tmp_path / "r.json"
    assert run("--fail-on", "none", "--json", out, "-q", REF, CAND).exit_code == 0
    default = json.loads(out.read_text(encoding="utf-8"))["findings"]
    assert [f["confidence"] for f in default] == [
        f["confidence"] for f in data["findings"] if f["confidence"] >= DEFAULT_MIN_CONFIDENCE]
    config = tmp_path / "mtcheck.toml"
    config.write_text("min-confidence = 0.0\n", encoding="utf-8")
    assert run("--config", config, "--fail-on", "none", "--json", out, "-q", REF, CAND).exit_code == 0
    assert len(json.loads(out.read_text(encoding="utf-8"))["findings"]) == len(data["findings"])
    # the command line wins over the config file
    assert run("--config", config, "--min-confidence", "0.99", "--fail-on", "none", "--json", out,
               "-q", REF, CAND).exit_code == 0
    assert json.loads(out.read_text(encoding="utf-8"))["findings"] == []


@pytest.mark.parametrize("value, needle", [("1.5", "min-confidence"), ('"high"', "min-confidence")])
def test_bad_min_confidence_is_a_usage_error(value, needle, tmp_path):
    config = tmp_path / "mtcheck.toml"
    config.write_text(f"min-confidence = {value}\n", encoding="utf-8")
    result = run("--config", config, REF, CAND)
    assert result.exit_code == 2
    assert needle in result.output and "Traceback" not in result.output
    assert run("--min-confidence", "-0.1", REF, CAND).exit_code == 2


def test_terminal_junit_and_github_show_the_confidence(everything):
    data, _ = everything
    top = data["findings"][0]
    text = run("--min-confidence", "0", "--fail-on", "none", REF, CAND).stdout
    assert f"{top['confidence']:.2f}" in text and "conf" in text
    junit = run("--min-confidence", "0", "--fail-on", "none", "--format", "junit", REF, CAND).stdout
    assert f"[confidence {top['confidence']:.2f}]" in junit
    github = run("--min-confidence", "0", "--fail-on", "none", "--format", "github", REF, CAND).stdout
    assert f"confidence {top['confidence']:.2f})" in github
