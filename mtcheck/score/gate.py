"""MQM-style penalty, per-pair and document quality, and the quality gate.

Penalty
    Each counted candidate finding weighs by severity (``Settings.weights``: minor 1,
    major 5, critical 25, as in MQM, Freitag et al. 2021). Suppressed and baselined
    findings are shown but weigh nothing. ``per_1000_words`` = penalty x 1000 / candidate
    words. Each bead gets the penalty of the findings in its candidate sentences.

Quality (0-100, per aligned pair)
    ``points = expected + ALPHA * words * (1 - s)``
    ``quality = 100 * exp(-points / SCALE)``

    ``expected`` is the MQM points the pair's counted candidate findings are expected to
    cost: each finding's severity weight times its calibrated confidence (the probability
    that an annotator marks it; ``mtcheck.score.confidence``), weight alone when it has no
    confidence. ``words`` is the longer side of the pair (reference or candidate words) and
    ``s`` the pair's reference similarity, the mean of ``chrF / 100`` and the embedding
    cosine (clipped to 0..1). The second term estimates the MQM points a human would give
    text the reference does not support: ``ALPHA = 0.5`` points per word of dissimilar
    text. Counting the longer side, not the candidate, stops rewarding a candidate for
    being short (an omission costs points like an addition) and stops punishing a longer
    candidate whose extra words the reference supports. ``SCALE = 25``: one critical
    finding alone gives 37, a major 82, a minor 96. Unaligned beads have no quality.

    Agreement with human MQM on WMT21 TED zh-en (13 MT systems, 6,877 segments, refB as
    reference; ``python bench/quality.py DATA``; README "Quality score"): segment-level
    Kendall tau-b 0.276 (sentence chrF 0.125); within a source segment 0.087 (chrF 0.074).
    With candidate words and unweighted penalties (the formula before the confidence) the
    same run gives 0.270 and 0.077.

Quality (document)
    The mean of the aligned pairs' qualities weighted by their candidate words; ``None``
    when nothing is aligned.

Low confidence
    A finding whose calibrated confidence (``mtcheck.score.confidence``) is below
    ``LOW_CONFIDENCE`` (0.35: fewer than about a third of such findings are annotated
    errors on held-out talks) cannot be major: a major or critical severity is capped at
    minor, for the penalty, the quality and the gate alike, and the reports show the
    capped severity (``cap_low_confidence``; the pipeline applies it, ``score`` too).

Gate (``passed``)
    Fails when any configured threshold is crossed, counting only counted findings:
    ``fail_on`` (any finding of that severity or above; default ``critical``, ``None`` or
    ``"none"`` turns it off), ``max_penalty`` (per 1,000 words; default off),
    ``min_quality`` (document quality; default off; fails when there is no aligned pair).
"""

from __future__ import annotations

import math
from dataclasses import replace

from mtcheck.score.confidence import LOW_CONFIDENCE
from mtcheck.settings import Settings
from mtcheck.types import SEVERITIES, Bead, Document, Finding, Score

#: MQM points per candidate word of text the reference does not support (s = 0).
ALPHA = 0.5
#: Points at which quality falls to 100/e (about 37).
SCALE = 25.0


def is_low_confidence(finding: Finding) -> bool:
    """Whether the finding's confidence is known and below ``LOW_CONFIDENCE``."""
    return finding.confidence is not None and finding.confidence < LOW_CONFIDENCE


def cap_low_confidence(findings: list[Finding]) -> list[Finding]:
    """The findings with a low-confidence major/critical severity capped at minor."""
    return [
        replace(f, severity="minor") if f.severity != "minor" and is_low_confidence(f) else f
        for f in findings
    ]


def bead_of_sentence(beads: list[Bead]) -> dict[int, int]:
    """Map candidate sentence index -> index of the bead holding it."""
    return {j: k for k, b in enumerate(beads) for j in b.candidate}


def similarity_of(bead: Bead) -> float | None:
    """The pair's reference similarity ``s`` in 0..1: mean of chrF/100 and cosine."""
    parts = []
    if bead.chrf is not None:
        parts.append(bead.chrf / 100.0)
    if bead.similarity is not None:
        parts.append(bead.similarity)
    if not parts:
        return None
    return max(0.0, min(1.0, sum(parts) / len(parts)))


def pair_points(penalty: float, words: int, s: float) -> float:
    """Expected finding points plus the estimated MQM points of text the reference does not support."""
    return penalty + ALPHA * words * (1.0 - s)


def pair_quality(bead: Bead, penalty: float, words: int) -> float | None:
    """0-100 quality of one aligned pair (``None`` when not aligned)."""
    if not bead.aligned:
        return None
    s = similarity_of(bead)
    if s is None:
        return None
    return round(100.0 * math.exp(-pair_points(penalty, words, s) / SCALE), 2)


def gate_reasons(counted: list[Finding], per_1000: float, quality: float | None, settings: Settings) -> list[str]:
    """Why the gate fails (empty: it passes)."""
    reasons: list[str] = []
    if settings.fail_on and settings.fail_on != "none":
        floor = SEVERITIES.index(settings.fail_on)
        hits = [f for f in counted if SEVERITIES.index(f.severity) >= floor]
        if hits:
            reasons.append(f"{len(hits)} finding(s) of severity {settings.fail_on} or above")
    if settings.max_penalty is not None and per_1000 > settings.max_penalty:
        reasons.append(f"penalty {per_1000:.1f} per 1,000 words exceeds {settings.max_penalty:g}")
    if settings.min_quality is not None and (quality is None or quality < settings.min_quality):
        q = "n/a (no aligned pair)" if quality is None else f"{quality:.1f}"
        reasons.append(f"quality {q} is below {settings.min_quality:g}")
    return reasons


def score(
    findings: list[Finding],
    beads: list[Bead],
    candidate: Document,
    settings: Settings,
    reference: Document | None = None,
) -> Score:
    """Fill each bead's penalty/quality and return the document score with the verdict.

    ``reference``: for the pair's word count (the longer side); without it the candidate's.
    """
    weights = settings.weights
    where = bead_of_sentence(beads)
    counted = cap_low_confidence([f for f in findings if f.side == "candidate" and f.counted])
    total = 0.0
    expected = [0.0] * len(beads)
    for b in beads:
        b.penalty = 0.0
    for f in counted:
        w = weights.get(f.severity, 0.0)
        total += w
        if f.sentence in where:
            beads[where[f.sentence]].penalty += w
            expected[where[f.sentence]] += w * (1.0 if f.confidence is None else f.confidence)
    weighted, weight = 0.0, 0
    for k, b in enumerate(beads):
        b.penalty = round(b.penalty, 4)
        words = sum(len(candidate.sentences[j].text.split()) for j in b.candidate)
        ref_words = sum(len(reference.sentences[i].text.split()) for i in b.reference) if reference else 0
        b.quality = pair_quality(b, expected[k], max(words, ref_words))
        if b.quality is not None:
            weighted += b.quality * max(words, 1)
            weight += max(words, 1)
    per_1000 = round(total * 1000.0 / max(candidate.words, 1), 4)
    quality = round(weighted / weight, 2) if weight else None
    reasons = gate_reasons(counted, per_1000, quality, settings)
    return Score(
        penalty=round(total, 4),
        words=candidate.words,
        per_1000_words=per_1000,
        threshold=settings.max_penalty,
        passed=not reasons,
        quality=quality,
        reasons=reasons,
    )
