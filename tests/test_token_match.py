"""BERTScore-style token matching of aligned pairs (mtcheck.score.token_match), real encoder."""

import pytest

from mtcheck.pipeline import check_documents
from mtcheck.score.token_match import match
from mtcheck.settings import Settings
from mtcheck.types import Document

REF = ("The council approved the new budget on Tuesday after a long debate.\n"
       "Prices of bread and milk rose sharply in the capital last month.\n")


def _check(candidate: str, encoder):
    ref = Document(path="ref.txt", text=REF)
    cand = Document(path="cand.txt", text=candidate)
    return check_documents(ref, cand, Settings(aligned=True, grammar=False, fail_on=None), encoder)


def test_identical_pair_matches_fully(encoder):
    report = _check(REF, encoder)
    for b in report.alignment:
        assert b.token_f1 == pytest.approx(1.0, abs=1e-3)
        assert b.unmatched_words == pytest.approx(0.0, abs=1e-3)
        assert b.quality == 100


def test_omission_and_mistranslation_leave_reference_words_unmatched(encoder):
    close = _check("The council passed the new budget on Tuesday after a lengthy debate.\n"
                   "Bread and milk prices rose steeply in the capital last month.\n", encoder)
    omitted = _check("The council approved the budget.\n"
                     "Prices rose in the capital.\n", encoder)
    wrong = _check("The committee rejected the old tax on Friday without any discussion.\n"
                   "Prices of cheese and beer fell slightly in the villages this year.\n", encoder)
    for k in range(2):
        c, o, w = close.alignment[k], omitted.alignment[k], wrong.alignment[k]
        assert c.unmatched_words < o.unmatched_words and c.unmatched_words < w.unmatched_words
        assert c.token_f1 > o.token_f1 and c.token_f1 > w.token_f1
        assert 0 < c.token_f1 < 1


def test_no_extra_forward_pass(encoder):
    """The states come from what the tagger already encoded (the encoder's memo)."""
    from mtcheck.score import token_match

    texts = []
    forward = encoder._onnx_forward

    def counting(batch, *args, **kwargs):
        texts.extend(batch)
        return forward(batch, *args, **kwargs)

    encoder._onnx_forward = counting
    real = token_match.bead_matches
    during = []

    def watched(ctx):
        before = len(texts)
        out = real(ctx)
        during.append(len(texts) - before)
        return out

    token_match.bead_matches = watched
    try:
        report = _check("A completely different sentence about football.\nThe council met again.\n", encoder)
    finally:
        token_match.bead_matches = real
        del encoder._onnx_forward
    assert texts and during == [0]
    assert all(b.unmatched_words is not None for b in report.alignment if b.aligned)


def test_match_counts_only_words_with_letters_or_digits():
    import numpy as np

    cand = np.array([[1.0, 0.0]])
    ref = np.array([[1.0, 0.0], [0.0, 1.0], [0.0, 1.0]])
    # reference "cat ##s ," : one word "cats" (its weakest piece unmatched) and a comma
    m = match(cand, ref, ["cat", "##s", ","], [True, False])
    assert m.unmatched == pytest.approx(1.0)
    assert m.precision == pytest.approx(1.0) and m.recall == pytest.approx(1 / 3)
    assert match(cand[:0], ref, ["a"], [True]) is None
