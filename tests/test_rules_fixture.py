"""Required behaviour of rules MT1xx/MT3xx/MT4xx on the fixture pair, through the pipeline.

Garbled article: findings for "biggestists", "reverse channel", the duplicated "in
Istanbul" (first and third sentences), "other parts of Ukraine" repeated, "Ukrainian
special Ukrainian", and Kiev/Kyiv. The clean article checked against itself, and as the
candidate against the garbled article: no major or critical finding, and no finding on a
proper noun spelled one way throughout.
"""

from pathlib import Path

import pytest

from mtcheck.pipeline import check_documents
from mtcheck.read import read_document
from mtcheck.settings import Settings

ROOT = Path(__file__).parent.parent
CLEAN = str(ROOT / "fixtures" / "kurdistan24-istanbul-talks.clean.txt")
GARBLED = str(ROOT / "fixtures" / "istanbul-talks.garbled-mt.txt")
MINE = ("MT1", "MT3", "MT4")


def check(reference, candidate, encoder):
    ref, cand = read_document(reference), read_document(candidate)
    # min_confidence=0: what the rules find, whatever the calibration shows by default
    # (MT102's repeats fall below the default; tests/test_confidence.py covers that)
    return check_documents(ref, cand, Settings(grammar=False, min_confidence=0.0), encoder=encoder)


@pytest.fixture(scope="module")
def garbled(encoder):
    return check(CLEAN, GARBLED, encoder)


def _line_of(report, finding):
    """1-based line (paragraph) of the candidate holding the finding."""
    return report.candidate.text.count("\n", 0, finding.start) + 1


def _find(report, code, text):
    return [f for f in report.findings if f.code == code and f.text == text]


def test_offsets_are_exact(garbled):
    for f in garbled.findings:
        assert garbled.candidate.text[f.start : f.end] == f.text


def test_garbled_term(garbled):
    (f,) = _find(garbled, "MT111", "biggestists")
    assert "biggest" in f.message and f.severity == "major"


def test_calque_reverse_channel(garbled):
    (f,) = _find(garbled, "MT301", "reverse channel")
    assert f.suggestions == ("back channel",)


def test_duplicated_in_istanbul_first_and_third_sentences(garbled):
    first = _find(garbled, "MT102", "in Istanbul")
    assert [_line_of(garbled, f) for f in first] == [1]
    third = [f for f in garbled.findings if f.code.startswith("MT10") and "Istanbul" in f.text
             and _line_of(garbled, f) == 3]
    assert third, "Istanbul had previously held peace talks in Istanbul"
    s = garbled.candidate.text
    assert s[third[0].start - len("peace talks in "): third[0].end] == "peace talks in Istanbul"


def test_other_parts_of_ukraine(garbled):
    (f,) = _find(garbled, "MT102", "and other parts of Ukraine")
    assert garbled.candidate.text[f.end : f.end + 1] == "."  # the second, sentence-final one


def test_ukrainian_special_ukrainian(garbled):
    s = garbled.candidate.text
    hits = [f for f in garbled.findings if f.code in ("MT101", "MT102", "MT103")
            and "Ukrainian special Ukrainian" in s[f.start - 30 : f.end + 1]]
    assert hits


def test_kiev_kyiv(garbled):
    (f,) = [f for f in garbled.findings if f.code == "MT401"]
    assert f.text == "Kiev" and f.suggestions == ("Kyiv",)  # the reference writes Kyiv


@pytest.mark.parametrize("reference", [CLEAN, GARBLED], ids=["self", "garbled-reference"])
def test_clean_article_has_no_major_finding_and_no_finding_of_these_rules(reference, encoder):
    report = check(reference, CLEAN, encoder)
    assert [f for f in report.findings if f.severity in ("major", "critical")] == []
    # MT121 (the error tagger, on by default since its retraining) reads a few words of the
    # clean article as possible disfluencies against the garbled reference, all of them
    # below the default confidence (0.18-0.29): not shown by default, so not counted.
    from mtcheck.settings import DEFAULT_MIN_CONFIDENCE

    mine = [f for f in report.findings if f.code.startswith(MINE)
            and not (f.code == "MT121" and f.confidence < DEFAULT_MIN_CONFIDENCE)]
    assert mine == [], [(f.code, f.text) for f in mine]
