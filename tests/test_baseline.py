"""Baselines (--baseline old.json) and suppressions files (docs/suppressions.md)."""

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from mtcheck.cli import app
from mtcheck.score.baseline import BaselineError, Marks, load_baseline, load_suppressions
from mtcheck.types import Document, Finding, Sentence

ROOT = Path(__file__).parent.parent
REF = ROOT / "fixtures" / "kurdistan24-istanbul-talks.clean.txt"
CAND = ROOT / "fixtures" / "istanbul-talks.garbled-mt.txt"
PLAIN = "The U.S. envoy is not expected to meet with the Russian delegation."
DUPLICATED = "The U.S. envoy is not expected to meet with the Russian delegation in Istanbul in Istanbul."


def check(*args):
    result = CliRunner().invoke(
        # --min-confidence 0: every finding, so that the baseline logic is tested whatever
        # the calibration says of each rule (MT102's repeat is below the default)
        app, ["check", "--no-grammar", "--no-cache", "--format", "json", "--fail-on", "minor",
              "--min-confidence", "0", *map(str, args)]
    )
    return result.exit_code, (json.loads(result.stdout) if result.stdout else None), result


@pytest.fixture(scope="module")
def old(tmp_path_factory):
    """The fixture pair's report, written as a baseline."""
    path = tmp_path_factory.mktemp("baseline") / "old.json"
    code, report, result = check("--json", path, REF, CAND)
    assert code == 1, result.output  # the garbled article has findings
    assert any(f["side"] == "candidate" for f in report["findings"])
    return path, report


def test_unchanged_article_passes_against_its_own_report(old):
    path, before = old
    code, report, result = check("--baseline", path, REF, CAND)
    assert code == 0, result.output
    assert report["score"]["passed"] and report["score"]["penalty"] == 0
    assert len(report["findings"]) == len(before["findings"])
    assert all(f["baseline"] and not f["suppressed"] for f in report["findings"])


def test_one_new_duplicated_phrase_fails(old, tmp_path):
    path, _ = old
    text = CAND.read_text(encoding="utf-8")
    assert text.count(PLAIN) == 1
    edited = tmp_path / "edited.txt"
    edited.write_text(text.replace(PLAIN, DUPLICATED), encoding="utf-8")
    code, report, result = check("--baseline", path, REF, edited)
    assert code == 1, result.output
    new = [f for f in report["findings"] if not f["baseline"]]
    assert any(f["category"] == "Fluency/Duplication" and "Istanbul" in f["text"] for f in new), new
    # only the edited sentence has new findings: matching ignores offsets
    sentences = report["candidate"]["sentences"]
    assert {sentences[f["sentence"]]["text"] for f in new} == {DUPLICATED}
    assert any(f["baseline"] for f in report["findings"])


def test_suppressions_file_is_honoured(old, tmp_path):
    _, before = old
    sents = {side: before[side]["sentences"] for side in ("candidate", "reference")}
    entries = [
        {"code": f["code"], "text": f["text"], "side": f["side"],
         "context": sents[f["side"]][f["sentence"]]["text"], "reason": "accepted house style", "reviewer": "j.doe"}
        for f in before["findings"]
    ]
    sup = tmp_path / "sup.json"
    sup.write_text(json.dumps({"schema": "mtcheck.suppressions/1", "suppressions": entries}), encoding="utf-8")
    code, report, result = check("--suppressions", sup, REF, CAND)
    assert code == 0, result.output
    assert all(f["suppressed"] for f in report["findings"])
    assert report["findings"][0]["justification"] == "accepted house style (j.doe)"


# -- matching rules, without the model ------------------------------------------


def _doc(lines):
    text = " ".join(lines)
    sents, pos = [], 0
    for i, line in enumerate(lines):
        sents.append(Sentence(i, pos, pos + len(line), line))
        pos += len(line) + 1
    return Document(path="c.txt", text=text, sentences=sents)


def _f(doc, sentence, needle, code="MT101"):
    s = doc.sentences[sentence]
    start = doc.text.index(needle, s.start)
    return Finding(code, "duplicated-phrase", "Fluency", "minor", "m", "candidate",
                   start, start + len(needle), needle, sentence)


def _sup(tmp_path, entries):
    p = tmp_path / "s.json"
    p.write_text(json.dumps({"schema": "mtcheck.suppressions/1", "suppressions": entries}), encoding="utf-8")
    return load_suppressions(str(p))


def test_suppression_context_and_whitespace(tmp_path):
    doc = _doc(["Talks in Istanbul in Istanbul.", "Again in Istanbul in Istanbul today."])
    findings = [_f(doc, 0, "in Istanbul"), _f(doc, 1, "in Istanbul")]
    ref = _doc(["x"])
    only_first = _sup(tmp_path, [{"code": "mt101", "text": "in  Istanbul", "context": "Talks in Istanbul\nin Istanbul."}])
    marked = Marks(suppressions=only_first).apply(findings, ref, doc)
    assert [f.suppressed for f in marked] == [True, False]
    anywhere = _sup(tmp_path, [{"code": "MT101", "text": "in Istanbul"}])
    assert all(f.suppressed for f in Marks(suppressions=anywhere).apply(findings, ref, doc))
    other_code = _sup(tmp_path, [{"code": "MT102", "text": "in Istanbul"}])
    assert not any(f.suppressed for f in Marks(suppressions=other_code).apply(findings, ref, doc))


def test_baseline_counts_repeated_keys(tmp_path):
    doc = _doc(["Talks in Istanbul in Istanbul in Istanbul."])
    ref = _doc(["x"])
    report = {
        "schema": "mtcheck.report/1",
        "candidate": {"sentences": [{"text": doc.sentences[0].text}]},
        "reference": {"sentences": [{"text": "x"}]},
        "findings": [{"code": "MT101", "side": "candidate", "text": "in Istanbul", "sentence": 0}],
    }
    p = tmp_path / "old.json"
    p.write_text(json.dumps(report), encoding="utf-8")
    twice = [_f(doc, 0, "in Istanbul"), _f(doc, 0, "in Istanbul")]
    marked = Marks(baseline=load_baseline(str(p))).apply(twice, ref, doc)
    assert [f.baseline for f in marked] == [True, False]


@pytest.mark.parametrize(
    "content, needle",
    [
        ("{not json", "not valid JSON"),
        ('{"schema": "other/1", "suppressions": []}', "not a suppressions file"),
        ('{"schema": "mtcheck.suppressions/1", "suppressions": {}}', "must be a list"),
        ('{"schema": "mtcheck.suppressions/1", "suppressions": [{"text": "x"}]}', '"code" must be'),
        ('{"schema": "mtcheck.suppressions/1", "suppressions": [{"code": "MT1", "text": "x", "side": "both"}]}', '"side"'),
    ],
)
def test_bad_suppressions_files(tmp_path, content, needle):
    p = tmp_path / "s.json"
    p.write_text(content, encoding="utf-8")
    with pytest.raises(BaselineError, match=needle):
        load_suppressions(str(p))


def test_bad_baseline_files(tmp_path):
    p = tmp_path / "old.json"
    p.write_text('{"schema": "mtcheck.suppressions/1"}', encoding="utf-8")
    with pytest.raises(BaselineError, match="not an mtcheck JSON report"):
        load_baseline(str(p))
    p.write_text('{"schema": "mtcheck.report/1", "findings": []}', encoding="utf-8")
    with pytest.raises(BaselineError, match="malformed baseline"):
        load_baseline(str(p))
    with pytest.raises(BaselineError, match="not found"):
        load_baseline(str(tmp_path / "missing.json"))
