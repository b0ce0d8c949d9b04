"""Alignment quality against a gold alignment: strict precision, recall and F1.

Strict means a predicted bead counts only when it is exactly a gold bead (same reference
and candidate indices), as in Vecalign's ``score.py`` (Thompson & Koehn 2019, after
Sennrich & Volk 2011). Two variants:

- ``aligned_only=True``: only aligned beads (both sides non-empty) are scored. This is
  the headline figure: it measures the pairs the report is built on.
- ``aligned_only=False``: 1-0 and 0-1 beads are scored too (each unaligned sentence is
  one bead), which is what Vecalign's ``score.py`` actually does.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

BeadLike = tuple[Iterable[int], Iterable[int]]


@dataclass(frozen=True)
class F1:
    precision: float
    recall: float
    f1: float
    true_positives: int
    predicted: int
    gold: int


def _beads(beads: Iterable[BeadLike], aligned_only: bool) -> set[tuple[tuple[int, ...], ...]]:
    out = set()
    for ref, cand in beads:
        ref, cand = tuple(ref), tuple(cand)
        if (aligned_only and not (ref and cand)) or not (ref or cand):
            continue
        out.add((ref, cand))
    return out


def strict_f1(
    gold: Iterable[BeadLike], predicted: Iterable[BeadLike], aligned_only: bool = True
) -> F1:
    """Strict F1 of ``predicted`` beads against ``gold`` beads (pairs of index lists)."""
    g, p = _beads(gold, aligned_only), _beads(predicted, aligned_only)
    tp = len(g & p)
    prec = tp / len(p) if p else 0.0
    rec = tp / len(g) if g else 0.0
    f1 = 2 * prec * rec / (prec + rec) if prec + rec else 0.0
    return F1(prec, rec, f1, tp, len(p), len(g))


def pooled(results: Iterable[F1]) -> F1:
    """Micro-average several documents' results (sums of counts)."""
    results = list(results)
    tp = sum(r.true_positives for r in results)
    npred = sum(r.predicted for r in results)
    ngold = sum(r.gold for r in results)
    prec = tp / npred if npred else 0.0
    rec = tp / ngold if ngold else 0.0
    f1 = 2 * prec * rec / (prec + rec) if prec + rec else 0.0
    return F1(prec, rec, f1, tp, npred, ngold)
