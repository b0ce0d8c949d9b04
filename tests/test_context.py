"""CheckContext computes what several rules share once per check."""

from mtcheck.detect.adhoc import context_from_texts
from mtcheck.detect.rules._text import TOKEN_RE, doc_tokens
from mtcheck.detect.rules.consistency import _name_forms, name_forms


def test_tokens_and_name_forms_once_per_check_with_the_same_values():
    ctx = context_from_texts("Kyiv said no. Zelensky left.", "Kiev said 12 no. Zelenskyy left Kiev.")
    for side in ("candidate", "reference"):
        doc = ctx.candidate if side == "candidate" else ctx.reference
        assert ctx.tokens(side) == doc_tokens(doc)
        assert ctx.tokens(side, TOKEN_RE) == doc_tokens(doc, TOKEN_RE)
        assert ctx.tokens(side) is ctx.tokens(side)  # computed once
    assert [t.text for t in ctx.tokens("candidate", TOKEN_RE)][:3] == ["Kiev", "said", "12"]
    assert name_forms(ctx, "candidate", last_only=True) == _name_forms(ctx, "candidate", True)
    assert name_forms(ctx, "candidate", last_only=True) is name_forms(ctx, "candidate", last_only=True)
    assert name_forms(ctx, "candidate")[0]["Kiev"] == 2


def _two_paragraphs():
    return context_from_texts(
        "Kyiv said no.  Zelensky left.\n\nThe talks ended. Nobody came.",
        "Kiev said 12 no. Zelenskyy left Kiev.   The talks ended early.",
    )


def test_sentence_lookups_match_a_linear_scan():
    """sentence_at (binary search) and aligned_reference (one map per check) give what a
    scan of every sentence / bead gives, for every offset of both documents."""
    ctx = _two_paragraphs()
    for side in ("candidate", "reference"):
        doc = ctx.candidate if side == "candidate" else ctx.reference
        for offset in range(-1, len(doc.text) + 3):
            inside = [s.index for s in doc.sentences if s.start <= offset < s.end]
            after = [s.index for s in doc.sentences if offset < s.start]
            expected = (inside or after or [doc.sentences[-1].index])[0]
            assert ctx.sentence_at(side, offset) == expected, (side, offset)
    for j in range(len(ctx.candidate.sentences) + 1):
        expected = None
        for bead in ctx.beads:
            if bead.aligned and j in bead.candidate:
                rs = [ctx.reference.sentences[i] for i in bead.reference]
                expected = ctx.reference.text[rs[0].start : rs[-1].end]
                break
        assert ctx.aligned_reference(j) == expected
    assert any(ctx.aligned_reference(j) for j in range(len(ctx.candidate.sentences)))


def test_bead_of_a_finding_matches_a_linear_scan():
    """The calibrator's bead of a finding (one map per check and side) is the first bead
    a scan finds holding the finding's sentence, on both sides, None outside any bead."""
    from mtcheck.score.confidence import _bead_of
    from mtcheck.types import Finding

    ctx = _two_paragraphs()
    for side in ("candidate", "reference"):
        doc = ctx.candidate if side == "candidate" else ctx.reference
        for k in range(-1, len(doc.sentences) + 1):
            finding = Finding("MT101", "x", "Fluency", "minor", "m", side, 0, 1, "x", sentence=k)
            expected = next((b for b in ctx.beads if k in (b.candidate if side == "candidate" else b.reference)), None)
            assert _bead_of(ctx, finding) is expected, (side, k)
    assert _bead_of(ctx, finding) is None


def test_tagged_rules_overlap_test_matches_a_scan():
    """MT121/MT221 leave a span another rule reports to that rule: the binary search
    (tagged._Taken) answers as a scan of every reported span."""
    from mtcheck.detect.rules.tagged import _Taken

    spans = [(3, 7), (0, 2), (10, 11), (5, 6), (20, 30), (12, 12)]
    taken = _Taken(spans)
    for a in range(-1, 33):
        for b in range(a, 34):
            assert taken.overlaps(a, b) == any(x < b and a < y for x, y in spans), (a, b)
    assert not _Taken([]).overlaps(0, 5)
