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
