"""The JSON report: schema, offsets, alignment verdict on the fixture pair."""

import json
from pathlib import Path

import jsonschema
import pytest

from mtcheck.pipeline import run_check
from mtcheck.report.json import SCHEMA_ID, render, report_to_dict
from mtcheck.settings import Settings

ROOT = Path(__file__).parent.parent
REF = ROOT / "fixtures" / "kurdistan24-istanbul-talks.clean.txt"
CAND = ROOT / "fixtures" / "istanbul-talks.garbled-mt.txt"
SCHEMA = json.loads((ROOT / "mtcheck" / "report" / "schema" / "report.schema.json").read_text())


@pytest.fixture(scope="module")
def fixture_report(encoder):
    return run_check(str(REF), str(CAND), Settings(), encoder)


@pytest.fixture(scope="module")
def data(fixture_report):
    return json.loads(render(fixture_report))


def test_schema_is_valid_and_report_validates(data):
    jsonschema.Draft202012Validator.check_schema(SCHEMA)
    jsonschema.validate(data, SCHEMA, cls=jsonschema.Draft202012Validator)
    assert data["schema"] == SCHEMA_ID


def test_schema_rejects_a_broken_report(data):
    broken = json.loads(json.dumps(data))
    del broken["parallel"]["is_parallel"]
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(broken, SCHEMA, cls=jsonschema.Draft202012Validator)


def test_every_offset_slices_the_document(fixture_report, data):
    texts = {"reference": fixture_report.reference.text, "candidate": fixture_report.candidate.text}
    for side in ("reference", "candidate"):
        for s in data[side]["sentences"]:
            assert texts[side][s["start"] : s["end"]] == s["text"]
    for f in data["findings"]:
        assert texts[f["side"]][f["start"] : f["end"]] == f["text"]


def test_alignment_covers_each_sentence_once_in_order(data):
    for side in ("reference", "candidate"):
        seen = [i for bead in data["alignment"] for i in bead[side]]
        assert seen == list(range(len(data[side]["sentences"])))


def test_fixture_pair_is_not_parallel_but_matching_sentences_align(data):
    assert data["parallel"]["is_parallel"] is False
    assert 0 < data["parallel"]["candidate_coverage"] < 0.5
    ref = data["reference"]["sentences"]
    cand = data["candidate"]["sentences"]
    pairs = [
        (" ".join(ref[i]["text"] for i in b["reference"]), " ".join(cand[j]["text"] for j in b["candidate"]))
        for b in data["alignment"]
        if b["reference"] and b["candidate"]
    ]
    assert any("Erdogan, in Ankara" in r and "Erdoğan in Ankara" in c for r, c in pairs)
    assert data["metrics"]["pairs"] == len(pairs)
    assert data["notices"] and "do not look like translations" in data["notices"][0]


def test_metrics_and_signature(data):
    m = data["metrics"]
    assert 0 <= m["bleu"] <= 100 and 0 <= m["chrf"] <= 100
    assert m["ter"] is None and set(m["signatures"]) == {"bleu", "chrf"}  # TER: when asked
    assert "nrefs:1" in m["signatures"]["bleu"]
    for part in ("mtcheck:", "model:all-MiniLM-L6-v2", "align:dp", "rules:", "chrf["):
        assert part in data["signature"]
    for bead in data["alignment"]:
        if bead["reference"] and bead["candidate"]:
            assert -1 <= bead["similarity"] <= 1 and 0 <= bead["chrf"] <= 100
        else:
            assert bead["similarity"] is None and bead["chrf"] is None


def test_identical_articles_are_parallel(encoder, tmp_path):
    copy = tmp_path / "copy.txt"
    copy.write_text(REF.read_text(encoding="utf-8"), encoding="utf-8")
    d = report_to_dict(run_check(str(REF), str(copy), Settings(), encoder))
    assert d["parallel"]["is_parallel"] is True
    assert d["parallel"]["reference_coverage"] == 1.0
    assert d["metrics"]["bleu"] == pytest.approx(100.0)


def test_ter_when_asked_for(encoder):
    """Corpus TER (sacrebleu, with its signature) only with ``ter = true`` / ``--ter``."""
    m = json.loads(render(run_check(str(REF), str(CAND), Settings(ter=True), encoder)))["metrics"]
    assert m["ter"] >= 0 and set(m["signatures"]) == {"bleu", "chrf", "ter"}
    assert "tok:tercom" in m["signatures"]["ter"]
