"""A CheckContext from two strings, without the alignment model.

For rule examples, tests and measurement scripts that already know which text pairs with
which: ``pairing="whole"`` makes one bead of all sentences of both texts (a segment and its
reference), ``"index"`` pairs sentence i with sentence i, ``None`` makes no beads.
"""

from __future__ import annotations

from typing import Any

from mtcheck.detect.base import CheckContext
from mtcheck.segment import segment
from mtcheck.types import Bead, Document, Parallel


def context_from_texts(
    reference: str,
    candidate: str,
    *,
    pairing: str | None = "whole",
    options: dict[str, dict[str, Any]] | None = None,
    allowed_terms: frozenset[str] = frozenset(),
    encoder=None,
) -> CheckContext:
    ref = segment(Document(path="<reference>", text=reference))
    cand = segment(Document(path="<candidate>", text=candidate))
    beads: list[Bead] = []
    if pairing == "whole" and ref.sentences and cand.sentences:
        beads = [Bead(tuple(range(len(ref.sentences))), tuple(range(len(cand.sentences))))]
    elif pairing == "index":
        n = max(len(ref.sentences), len(cand.sentences))
        beads = [
            Bead(
                (i,) if i < len(ref.sentences) else (),
                (i,) if i < len(cand.sentences) else (),
            )
            for i in range(n)
        ]
    elif pairing not in (None, "whole"):
        raise ValueError(f"unknown pairing {pairing!r}")
    return CheckContext(
        reference=ref,
        candidate=cand,
        beads=beads,
        parallel=Parallel(is_parallel=bool(beads), reference_coverage=1.0, candidate_coverage=1.0),
        options=options or {},
        allowed_terms=allowed_terms,
        encoder=encoder,
    )


def example_context(example, **kwargs) -> CheckContext:
    """The context of a rule example: a candidate string, or a (reference, candidate) pair."""
    reference, candidate = example if isinstance(example, tuple) else ("", example)
    return context_from_texts(reference, candidate, **kwargs)


def run_example(rule_cls, example, **kwargs) -> list:
    """Findings of one rule on one of its examples."""
    return list(rule_cls().check(example_context(example, **kwargs)))
