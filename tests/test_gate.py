"""The score and the gate: MQM-style penalty, quality, thresholds, and the exit code of
the real CLI in every output format (0 passed, 1 failed, 2 usage or input error)."""

import json
import math
import xml.etree.ElementTree as ET
from dataclasses import replace

import pytest
from typer.testing import CliRunner

from mtcheck.cli import app
from mtcheck.score.gate import SCALE, pair_points, pair_quality, quality_weights, score, similarity_of
from mtcheck.settings import Settings
from mtcheck.types import Bead, Document, Finding, Sentence

FORMATS = ("text", "json", "sarif", "junit", "github")

REF_LINES = [
    "Ukraine and Russia held their first direct talks in three years in Istanbul on Friday.",
    "The delegations agreed to exchange 1,000 prisoners of war each.",
    "Zelensky met Turkish President Recep Tayyip Erdogan in Ankara.",
]
# The same article with a changed number in line 2 (flagged by MT201); lines 1 and 3
# are unchanged.
CAND_LINES = [
    REF_LINES[0],
    "The delegations agreed to exchange 7,500 prisoners of war each.",
    REF_LINES[2],
]


# -- score(): no model needed -------------------------------------------------


def _doc(lines):
    text = "\n".join(lines) + "\n"
    sents, pos = [], 0
    for i, line in enumerate(lines):
        sents.append(Sentence(i, pos, pos + len(line), line))
        pos += len(line) + 1
    return Document(path="cand.txt", text=text, sentences=sents)


def _finding(doc, sentence, severity, **kw):
    s = doc.sentences[sentence]
    return Finding(code="MT999", rule="test-rule", category="Fluency/Test", severity=severity,
                   message="m", side="candidate", start=s.start, end=s.start + 3,
                   text=doc.text[s.start:s.start + 3], sentence=sentence, **kw)


def _beads():
    return [Bead((i,), (i,), similarity=0.9, chrf=80.0) for i in range(3)]


def test_penalty_is_mqm_weighted_and_normalised_per_1000_words():
    cand = _doc(CAND_LINES)
    findings = [_finding(cand, 0, "minor"), _finding(cand, 1, "major"), _finding(cand, 1, "critical")]
    beads = _beads()
    s = score(findings, beads, cand, Settings(fail_on=None))
    assert s.penalty == 31
    assert s.per_1000_words == pytest.approx(31 * 1000 / cand.words, abs=1e-3)
    assert [b.penalty for b in beads] == [1, 30, 0]
    assert s.passed


def test_custom_weights():
    cand = _doc(CAND_LINES)
    s = score([_finding(cand, 0, "major")], _beads(), cand, Settings(weights={"minor": 0, "major": 2, "critical": 9}))
    assert s.penalty == 2


def test_pair_quality_formula():
    w = quality_weights()
    bead = Bead((0,), (0,), similarity=0.8, chrf=60.0)
    s = w.chrf_share * 0.6 + (1 - w.chrf_share) * 0.8
    assert similarity_of(bead) == pytest.approx(s)
    points = w.findings * 5 + (w.tagger * 2 + w.similarity * 22) * (1 - s) + w.length * 2
    assert pair_points(5, 2, 20, 22, s) == pytest.approx(points)
    assert pair_points(5, 2, 20, 22, s, unmatched=3) == pytest.approx(points + w.unmatched * 3)
    assert pair_quality(bead, 5, 20, 22, tagged=2) == pytest.approx(100 * math.exp(-points / SCALE), abs=0.01)
    # an unaligned bead has no quality
    assert pair_quality(Bead((), (0,)), 0, 20, 0) is None


def test_clean_pair_scores_about_100():
    identical = Bead((0,), (0,), similarity=1.0, chrf=100.0)
    assert pair_quality(identical, 0, 20, 20) == 100
    # whatever the tagger reads in an identical pair
    assert pair_quality(identical, 0, 20, 20, tagged=5) == 100


def test_quality_is_monotone_in_findings_tagger_and_similarity():
    bead = Bead((0,), (0,), similarity=0.8, chrf=60.0)
    q = [pair_quality(bead, p, 20, 20) for p in (0, 1, 5, 25, 50)]
    assert q == sorted(q, reverse=True) and len(set(q)) == len(q)
    # 0, half and all of the 20 words tagged: the fitted tagger weight is small (0.002),
    # so fewer tagged words would not move the score's second decimal.
    t = [pair_quality(bead, 1, 20, 20, tagged=x) for x in (0, 10, 20)]
    assert t == sorted(t, reverse=True) and (t[0] > t[-1] or quality_weights().tagger == 0)
    worse = Bead((0,), (0,), similarity=0.5, chrf=30.0)
    assert pair_quality(worse, 0, 20, 20) < pair_quality(bead, 0, 20, 20)
    u = [pair_quality(Bead((0,), (0,), similarity=0.8, chrf=60.0, unmatched_words=x), 1, 20, 20) for x in (0, 1, 4)]
    assert u == sorted(u, reverse=True) and (u[0] > u[-1] or quality_weights().unmatched == 0)


def test_quality_does_not_reward_length():
    """A shorter candidate (an omission) or a longer one never scores above the same-length one."""
    bead = Bead((0,), (0,), similarity=0.8, chrf=60.0)
    same = pair_quality(bead, 0, 20, 20)
    assert pair_quality(bead, 0, 12, 20) <= same and pair_quality(bead, 0, 28, 20) <= same


def test_weights_file_is_documented_and_sane():
    w = quality_weights()
    assert min(w.findings, w.tagger, w.similarity, w.length, w.unmatched) >= 0 and w.findings > 0
    assert 0 <= w.chrf_share <= 1 and 0 <= w.tagger_floor < 1
    import json
    from mtcheck.score.gate import WEIGHTS

    data = json.loads(WEIGHTS.read_text(encoding="utf-8"))
    assert "bench/quality_fit.py" in data["command"] and data["held_out_talks"]["pooled_tau"] > 0


def test_document_quality_falls_with_findings():
    cand = _doc(CAND_LINES)
    clean = score([], _beads(), cand, Settings(fail_on=None)).quality
    one = score([_finding(cand, 1, "major")], _beads(), cand, Settings(fail_on=None)).quality
    two = score([_finding(cand, 1, "major"), _finding(cand, 0, "critical")], _beads(), cand,
                Settings(fail_on=None)).quality
    assert clean > one > two


@pytest.mark.parametrize(
    "settings, passed",
    [
        (Settings(), False),  # default fail_on = major
        (Settings(fail_on=None), True),
        (Settings(fail_on="none"), True),
        (Settings(fail_on="major", max_penalty=1000), False),
        (Settings(fail_on=None, max_penalty=1000), True),
        (Settings(fail_on=None, max_penalty=10), False),
        (Settings(fail_on=None, min_quality=99.9), False),
        (Settings(fail_on=None, min_quality=1), True),
    ],
)
def test_thresholds(settings, passed):
    cand = _doc(CAND_LINES)
    s = score([_finding(cand, 1, "critical")], _beads(), cand, settings)
    assert s.passed is passed
    assert bool(s.reasons) is not passed


def test_fail_on_counts_severity_at_or_above():
    cand = _doc(CAND_LINES)
    major = [_finding(cand, 1, "major")]
    assert not score(major, _beads(), cand, Settings(fail_on="minor")).passed
    assert not score(major, _beads(), cand, Settings(fail_on="major")).passed
    assert score(major, _beads(), cand, Settings(fail_on="critical")).passed


def test_min_quality_fails_without_aligned_pairs():
    cand = _doc(CAND_LINES)
    s = score([], [Bead((), (0,)), Bead((), (1,)), Bead((), (2,))], cand, Settings(fail_on=None, min_quality=10))
    assert s.quality is None and not s.passed
    assert "n/a" in s.reasons[0]


def test_suppressed_and_baseline_findings_do_not_count():
    cand = _doc(CAND_LINES)
    crit = _finding(cand, 1, "critical")
    for marked in (replace(crit, suppressed=True), replace(crit, baseline=True)):
        beads = _beads()
        s = score([marked], beads, cand, Settings(fail_on="minor", max_penalty=0))
        assert s.passed and s.penalty == 0 and beads[1].penalty == 0
    assert not score([crit], _beads(), cand, Settings()).passed


def test_reference_side_findings_do_not_count():
    cand = _doc(CAND_LINES)
    f = replace(_finding(cand, 1, "critical"), side="reference")
    assert score([f], _beads(), cand, Settings(fail_on="minor")).passed


# -- the real CLI: exit code per format -----------------------------------------


@pytest.fixture(scope="module")
def pair(tmp_path_factory):
    d = tmp_path_factory.mktemp("gate")
    ref, cand = d / "ref.txt", d / "cand.txt"
    ref.write_text("\n".join(REF_LINES) + "\n", encoding="utf-8")
    cand.write_text("\n".join(CAND_LINES) + "\n", encoding="utf-8")
    return ref, cand


def run(*args):
    result = CliRunner().invoke(app, ["check", *map(str, args)], catch_exceptions=False)
    return result


def _verdict(fmt: str, out: str) -> bool:
    """The gate verdict as each stdout format states it."""
    if fmt == "json":
        return json.loads(out)["score"]["passed"]
    if fmt == "sarif":
        return json.loads(out)["runs"][0]["properties"]["passed"]
    if fmt == "junit":
        root = ET.fromstring(out)
        gate = [c for c in root.iter("testcase") if c.get("name") == "document: quality gate"][0]
        return gate.find("failure") is None
    if fmt == "github":
        return "title=mtcheck gate passed" in out and "gate failed" not in out
    return "PASSED" in out and "FAILED" not in out


@pytest.mark.parametrize("fmt", FORMATS)
def test_exit_0_when_the_gate_passes(pair, fmt):
    ref, cand = pair
    result = run("--aligned", "--no-grammar", "--no-cache", "--format", fmt, "--fail-on", "critical", ref, cand)
    assert result.exit_code == 0, result.output
    assert _verdict(fmt, result.stdout) is True


@pytest.mark.parametrize("fmt", FORMATS)
def test_exit_1_when_the_gate_fails(pair, fmt, tmp_path):
    ref, cand = pair
    out = tmp_path / "report.json"
    result = run("--aligned", "--no-grammar", "--no-cache", "--format", fmt, "--max-penalty", "0", "--json", out, ref, cand)
    assert result.exit_code == 1, result.output
    assert _verdict(fmt, result.stdout) is False
    report = json.loads(out.read_text(encoding="utf-8"))
    assert report["score"]["passed"] is False
    assert any(f["code"] == "MT201" for f in report["findings"])  # the changed number


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize(
    "args, needle",
    [
        (["--fail-on", "fatal"], "--fail-on"),
        (["--suppressions", "{missing}"], "suppressions file not found"),
    ],
)
def test_exit_2_on_usage_or_input_error(pair, fmt, args, needle, tmp_path):
    ref, cand = pair
    args = [a.format(missing=tmp_path / "nope.json") for a in args]
    out = tmp_path / "r.sarif"
    result = run("--aligned", "--no-grammar", "--no-cache", "--format", fmt, "--sarif", out, *args, ref, cand)
    assert result.exit_code == 2
    assert result.stdout == ""
    assert needle in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert not out.exists()
