"""MQM-style penalty, per-pair and document quality, and the quality gate.

Penalty
    Each counted candidate finding weighs by severity (``Settings.weights``: minor 1,
    major 5, critical 25, as in MQM, Freitag et al. 2021). Suppressed and baselined
    findings are shown but weigh nothing. ``per_1000_words`` = penalty x 1000 / candidate
    words. Each bead gets the penalty of the findings in its candidate sentences.

Quality (0-100, per aligned pair)
    ``points = F * E + (G * T + A * words) * (1 - s) + D * |cand words - ref words| + U * unmatched``
    ``quality = 100 * exp(-points / SCALE)``

    ``E`` is the MQM weight of the pair's counted candidate findings (times each one's
    calibrated confidence when the weights say ``confidence_weighted``); ``T`` the error
    tagger's expected error words in the candidate (sum over its words with a letter or
    digit of ``max(0, p - tagger_floor)``; 0 when the tagger does not run, e.g. with
    ``--model``), counted only as far as the reference does not support the pair (an
    identical pair scores 100 whatever the tagger reads); ``words`` the longer side of
    the pair and ``s`` its reference similarity, ``chrf_share x chrF/100 + (1 -
    chrf_share) x cosine`` (clipped to 0..1). Counting the
    longer side stops rewarding a short candidate (an omission costs like an addition);
    the length term costs a difference in length either way, never length itself.
    ``unmatched``: the reference words the candidate's tokens do not cover
    (:mod:`mtcheck.score.token_match`, BERTScore-style greedy matching of the encoder's
    middle-layer states; 0 when those states are not there, as for the tagger).
    ``SCALE = 25``: 25 points (one critical error) give 37.

    The weights F, G, A, D, U, ``chrf_share`` and ``tagger_floor`` are data:
    ``mtcheck/score/quality.json``, fitted by ``bench/quality_fit.py`` on WMT21 TED zh-en
    MQM (13 MT systems, 5 talks, refB), cross-validated by talk, with one factor fitted so
    that ``points`` are in MQM points. README "Quality gate in CI" has the held-out
    Kendall taus against chrF, BLEU and the embedding cosine. An identical pair with no
    finding scores 100; more findings, less similarity or more tagged error words
    never raise it.

Quality (document)
    The mean of the aligned pairs' qualities weighted by their candidate words; ``None``
    when nothing is aligned.

Low confidence
    A finding whose calibrated confidence (``mtcheck.score.confidence``) is below
    ``LOW_CONFIDENCE`` (0.35: well under even odds that an annotator marks it; the
    default minimum confidence, so this matters for what a lower ``--min-confidence``
    shows) cannot be major: a major or critical severity is capped at
    minor, for the penalty, the quality and the gate alike, and the reports show the
    capped severity (``cap_low_confidence``; the pipeline applies it, ``score`` too).

Gate (``passed``)
    Fails when any configured threshold is crossed, counting only counted findings:
    ``fail_on`` (any finding of that severity or above; default ``critical``, ``None`` or
    ``"none"`` turns it off), ``max_penalty`` (per 1,000 words; default off),
    ``min_quality`` (document quality; default off; fails when there is no aligned pair).
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, fields, replace
from functools import lru_cache
from pathlib import Path

from mtcheck.score.confidence import LOW_CONFIDENCE
from mtcheck.settings import Settings
from mtcheck.types import SEVERITIES, Bead, Document, Finding, Score

#: Points at which quality falls to 100/e (about 37).
SCALE = 25.0
WEIGHTS = Path(__file__).with_name("quality.json")


@dataclass(frozen=True)
class QualityWeights:
    """The fitted weights of the pair quality (``quality.json``; see the module docstring)."""

    findings: float
    tagger: float
    similarity: float
    length: float
    unmatched: float
    chrf_share: float
    tagger_floor: float
    confidence_weighted: bool


@lru_cache(maxsize=1)
def quality_weights() -> QualityWeights:
    """The shipped weights, read once per process."""
    data = json.loads(WEIGHTS.read_text(encoding="utf-8"))
    return QualityWeights(**{f.name: data[f.name] for f in fields(QualityWeights)})


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


def similarity_of(bead: Bead, chrf_share: float | None = None) -> float | None:
    """The pair's reference similarity ``s`` in 0..1 from its chrF/100 and cosine.

    ``chrf_share`` (default: the fitted weights') is chrF's part; when one of the two is
    missing the other alone.
    """
    share = quality_weights().chrf_share if chrf_share is None else chrf_share
    chrf = None if bead.chrf is None else bead.chrf / 100.0
    if chrf is None and bead.similarity is None:
        return None
    if chrf is None or bead.similarity is None:
        s = chrf if chrf is not None else bead.similarity
    else:
        s = share * chrf + (1.0 - share) * bead.similarity
    return max(0.0, min(1.0, s))


def pair_points(findings: float, tagged: float, cand_words: int, ref_words: int, s: float,
                w: QualityWeights | None = None, unmatched: float = 0.0) -> float:
    """Estimated MQM points of one aligned pair (see the module docstring)."""
    w = w or quality_weights()
    return (w.findings * findings
            + (w.tagger * tagged + w.similarity * max(cand_words, ref_words)) * (1.0 - s)
            + w.length * abs(cand_words - ref_words)
            + w.unmatched * unmatched)


def pair_quality(bead: Bead, findings: float, cand_words: int, ref_words: int, tagged: float = 0.0,
                 w: QualityWeights | None = None) -> float | None:
    """0-100 quality of one aligned pair (``None`` when not aligned).

    ``findings``: the MQM weight of its counted findings (confidence-weighted or not, as
    the weights say); ``tagged``: the tagger's excess error words (0 without the tagger);
    the bead's ``unmatched_words`` (0 when ``None``).
    """
    if not bead.aligned:
        return None
    s = similarity_of(bead, None if w is None else w.chrf_share)
    if s is None:
        return None
    points = pair_points(findings, tagged, cand_words, ref_words, s, w, bead.unmatched_words or 0.0)
    return round(100.0 * math.exp(-points / SCALE), 2)


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


def tagger_words(beads: list[Bead], tags: list | None, text: str, floor: float) -> list[tuple[float, float] | None]:
    """Per bead, the tagger's (expected error words, excess over ``floor``) in its candidate.

    Sums over the words with a letter or digit (the words the tagger was trained on) of
    ``p`` and of ``max(0, p - floor)``. ``tags``: :class:`mtcheck.detect.tagger.SentenceTags`
    per candidate sentence (the pipeline's ``CheckContext.tagger()``) over the candidate
    ``text``; ``None`` per bead when there are none.
    """
    if not tags:
        return [None] * len(beads)
    per_sentence = {}
    for t in tags:
        ps = [float(p) for (a, b), p in zip(t.spans, t.probs) if any(c.isalnum() for c in text[a:b])]
        per_sentence[t.sentence] = (sum(ps), sum(max(0.0, p - floor) for p in ps))
    out = []
    for b in beads:
        parts = [per_sentence.get(j, (0.0, 0.0)) for j in b.candidate]
        out.append((sum(p for p, _ in parts), sum(e for _, e in parts)) if b.candidate else None)
    return out


def score(
    findings: list[Finding],
    beads: list[Bead],
    candidate: Document,
    settings: Settings,
    reference: Document | None = None,
    tags: list | None = None,
    matches: list | None = None,
) -> Score:
    """Fill each bead's penalty/error words/token match/quality; return the document score with the verdict.

    ``reference``: for the pair's word count (the longer side); without it the candidate's.
    ``tags``: the error tagger's word probabilities per candidate sentence (optional).
    ``matches``: per bead, its :class:`mtcheck.score.token_match.TokenMatch` or ``None``
    (optional: :func:`mtcheck.score.token_match.bead_matches`).
    """
    weights = settings.weights
    w = quality_weights()
    where = bead_of_sentence(beads)
    counted = cap_low_confidence([f for f in findings if f.side == "candidate" and f.counted])
    total = 0.0
    points = [0.0] * len(beads)
    for b in beads:
        b.penalty = 0.0
    for f in counted:
        sev = weights.get(f.severity, 0.0)
        total += sev
        if f.sentence in where:
            beads[where[f.sentence]].penalty += sev
            conf = 1.0 if f.confidence is None or not w.confidence_weighted else f.confidence
            points[where[f.sentence]] += sev * conf
    weighted, weight = 0.0, 0
    tagged = tagger_words(beads, tags, candidate.text, w.tagger_floor)
    for k, b in enumerate(beads):
        b.penalty = round(b.penalty, 4)
        b.error_words = None if tagged[k] is None else round(tagged[k][0], 4)
        m = matches[k] if matches else None
        b.token_f1 = None if m is None else round(m.f1, 4)
        b.unmatched_words = None if m is None else round(m.unmatched, 4)
        words = sum(len(candidate.sentences[j].text.split()) for j in b.candidate)
        ref_words = sum(len(reference.sentences[i].text.split()) for i in b.reference) if reference else words
        b.quality = pair_quality(b, points[k], words, ref_words, 0.0 if tagged[k] is None else tagged[k][1], w)
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
