"""MQM-style penalty, per-pair quality and the quality gate.

Penalty: each candidate finding weighs by severity (``Settings.weights``: minor 1,
major 5, critical 25 by default) and the sum is normalised per 1,000 candidate words.
The gate fails when any configured threshold is crossed; with no thresholds it passes.
"""

from __future__ import annotations

from mtcheck.settings import Settings
from mtcheck.types import SEVERITIES, Bead, Document, Finding, Score


def bead_of_sentence(beads: list[Bead]) -> dict[int, int]:
    """Map candidate sentence index -> index of the bead holding it."""
    return {j: k for k, b in enumerate(beads) for j in b.candidate}


def pair_quality(bead: Bead, penalty: float, words: int) -> float | None:
    """0-100 quality of one aligned pair: reference similarity less the finding penalty."""
    if not bead.aligned or bead.similarity is None:
        return None
    sim = max(0.0, min(1.0, bead.similarity))
    chrf = (bead.chrf or 0.0) / 100.0
    base = 100.0 * (0.7 * sim + 0.3 * chrf)
    per_word = penalty / max(words, 1)
    return round(max(0.0, base * (1.0 - min(1.0, 5.0 * per_word))), 2)


def score(
    findings: list[Finding], beads: list[Bead], candidate: Document, settings: Settings
) -> Score:
    """Fill each bead's penalty/quality and return the document score with the verdict."""
    weights = settings.weights
    where = bead_of_sentence(beads)
    total = 0.0
    for f in findings:
        if f.side != "candidate":
            continue
        w = weights.get(f.severity, 0.0)
        total += w
        if f.sentence in where:
            beads[where[f.sentence]].penalty += w
    words = candidate.words
    qualities = []
    for b in beads:
        b.penalty = round(b.penalty, 4)
        bead_words = sum(len(candidate.sentences[j].text.split()) for j in b.candidate)
        b.quality = pair_quality(b, b.penalty, bead_words)
        if b.quality is not None:
            qualities.append(b.quality)
    per_1000 = round(total * 1000.0 / max(words, 1), 4)
    quality = round(sum(qualities) / len(qualities), 2) if qualities else None

    reasons: list[str] = []
    if settings.fail_on:
        floor = SEVERITIES.index(settings.fail_on)
        hits = [f for f in findings if SEVERITIES.index(f.severity) >= floor]
        if hits:
            reasons.append(f"{len(hits)} finding(s) of severity {settings.fail_on} or above")
    if settings.max_penalty is not None and per_1000 > settings.max_penalty:
        reasons.append(f"penalty {per_1000:.1f} per 1,000 words exceeds {settings.max_penalty:g}")
    if settings.min_quality is not None and (quality is None or quality < settings.min_quality):
        q = "n/a" if quality is None else f"{quality:.1f}"
        reasons.append(f"quality {q} is below {settings.min_quality:g}")
    return Score(
        penalty=round(total, 4),
        words=words,
        per_1000_words=per_1000,
        threshold=settings.max_penalty,
        passed=not reasons,
        quality=quality,
        reasons=reasons,
    )
