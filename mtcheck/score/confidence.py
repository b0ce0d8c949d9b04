"""A calibrated confidence for every finding: the probability an annotator marks it.

What a confidence means
    For a candidate-side finding: the probability that a professional MQM annotator
    marks an error overlapping the finding's span in its segment. For a reference-side
    finding (an omission: the span is in the reference): the probability that the
    annotator marks an Accuracy error (Omission, Mistranslation, Addition...) in the
    aligned candidate segment. Measured on WMT21 TED zh-en MQM (Freitag et al. 2021),
    held-out talks; ``python bench/calibration.py DATA`` refits and prints the
    reliability table.

How it is computed
    One small logistic model per rule (per rule family when a rule has too few findings
    to fit, then a global model), over features every finding has: its span length, the
    rarest word's frequency, the sentence's reference similarity (chrF and embedding
    cosine of its bead), the sentence length, the rule's chosen severity, the rule's own
    ``Finding.measures`` (support, distance...) and, when the error tagger runs, its
    probability around the span. The parameters are data
    (``mtcheck/score/calibration.json``, written by the bench); this module only
    evaluates them: no fitting and no heavy import at run time. LanguageTool findings
    (code ``LT``) use a per-category model keyed ``LT:<MQM category>``.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import replace
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mtcheck.types import Finding

if TYPE_CHECKING:  # pragma: no cover
    from mtcheck.detect.base import CheckContext

CALIBRATION_FILE = Path(__file__).resolve().parent / "calibration.json"
WORD = re.compile(r"[^\W_]+(?:['’\-][^\W_]+)*")

#: Below this confidence a finding is "low confidence": it cannot be major in the gate
#: (``mtcheck.score.gate``). A choice, not a fit: well under even odds of being marked,
#: and the default minimum confidence (README, "Confidence"): what is shown by default
#: is at or above it.
LOW_CONFIDENCE = 0.35


def _zipf(word: str) -> float:
    from mtcheck.detect.rules._text import zipf  # the rules' cached look-up of the lexicon

    return zipf(word)


def model_key(finding: Finding) -> str:
    """The most specific calibration key of a finding: its code, ``LT:<category>`` for LT."""
    if finding.code == "LT":
        return f"LT:{finding.category}"
    return finding.code


def fallback_keys(finding: Finding) -> list[str]:
    """Keys tried in order: the rule, its family (``MT1``, ``LT``), then ``default``."""
    key = model_key(finding)
    family = "LT" if finding.code == "LT" else finding.code[:3]
    return list(dict.fromkeys([key, family, "default"]))


def _bead_of(ctx: "CheckContext", finding: Finding):
    """The first bead holding the finding's sentence (a map built once per check and
    side: a scan of every bead per finding grew with findings x beads)."""
    side = "candidate" if finding.side == "candidate" else "reference"

    def by_sentence() -> dict:
        out: dict = {}
        for bead in ctx.beads:
            for k in bead.candidate if side == "candidate" else bead.reference:
                out.setdefault(k, bead)
        return out

    return ctx.memo(("bead_of", side), by_sentence).get(finding.sentence)


def tagger_probability(ctx: "CheckContext", finding: Finding) -> float | None:
    """The error tagger's highest word probability over the finding's span.

    ``None`` for reference-side findings, when the tagger is not part of this build
    (``CheckContext.tagger`` absent) or has nothing there (no encoder, no word in the
    span). The tagger (``mtcheck.detect.tagger``) computes its per-word probabilities once
    per check; this is the only place the calibrator reads them.
    """
    if finding.side != "candidate" or not hasattr(ctx, "tagger"):
        return None
    from mtcheck.detect.tagger import WEIGHTS, span_probability

    if not WEIGHTS.exists():  # tagger code without its weights yet: calibrate without it
        return None
    return span_probability(ctx, finding.start, finding.end)


def features(finding: Finding, ctx: "CheckContext", with_tagger: bool = True) -> dict[str, float]:
    """The numbers the calibrator reads for one finding (missing ones are left out).

    ``with_tagger=False`` leaves the tagger's probability out (and does not run it).
    """
    span_words = WORD.findall(finding.text)
    out: dict[str, float] = {
        "log_words": math.log1p(len(span_words)),
        "major": 1.0 if finding.severity in ("major", "critical") else 0.0,
    }
    if span_words:
        out["min_zipf"] = min(_zipf(w) for w in span_words)
    doc = ctx.candidate if finding.side == "candidate" else ctx.reference
    if 0 <= finding.sentence < len(doc.sentences):
        out["log_sentence_words"] = math.log1p(len(doc.sentences[finding.sentence].text.split()))
    bead = _bead_of(ctx, finding)
    if bead is not None and bead.aligned:
        if bead.chrf is not None:
            out["chrf"] = bead.chrf / 100.0
        if bead.similarity is not None:
            out["cosine"] = float(bead.similarity)
    for name, value in finding.measures.items():
        if isinstance(value, (int, float)) and math.isfinite(value):
            out[f"m_{name}"] = float(value)
    p = tagger_probability(ctx, finding) if with_tagger else None
    if p is not None:
        out["tagger"] = p
    return out


class Calibrator:
    """Evaluates the fitted per-rule logistic models of a calibration file."""

    def __init__(self, params: dict[str, Any]):
        self.params = params
        self.models: dict[str, dict[str, Any]] = params["models"]
        #: Whether any model reads the tagger's probability (else it is not computed).
        self.uses_tagger = any("tagger" in m["features"] for m in self.models.values())

    @classmethod
    def load(cls, path: str | Path | None = None) -> "Calibrator":
        return _load(str(path or CALIBRATION_FILE))

    def model_for(self, finding: Finding) -> tuple[str, dict[str, Any]]:
        for key in fallback_keys(finding):
            if key in self.models:
                return key, self.models[key]
        raise KeyError("calibration file has no 'default' model")  # pragma: no cover

    def probability(self, finding: Finding, feats: dict[str, float]) -> float:
        """The calibrated probability for one finding's features (0..1)."""
        _, model = self.model_for(finding)
        z = model["intercept"]
        for name, mean, scale, coef in zip(model["features"], model["mean"], model["scale"], model["coef"]):
            x = feats.get(name, mean)  # a missing feature contributes nothing
            z += coef * (x - mean) / scale
        return 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, z))))

    def assign(self, findings: list[Finding], ctx: "CheckContext") -> list[Finding]:
        """The findings with ``confidence`` filled in (rounded to 3 decimals)."""
        return [
            replace(f, confidence=round(self.probability(f, features(f, ctx, self.uses_tagger)), 3))
            for f in findings
        ]


@lru_cache(maxsize=4)
def _load(path: str) -> Calibrator:
    return Calibrator(json.loads(Path(path).read_text(encoding="utf-8")))


def order_key(finding: Finding) -> tuple:
    """Sort key of findings in every report: most confident first, then severity, position."""
    from mtcheck.types import SEVERITIES

    conf = -1.0 if finding.confidence is None else finding.confidence
    sev = SEVERITIES.index(finding.severity) if finding.severity in SEVERITIES else -1
    return (-conf, -sev, finding.side != "candidate", finding.start, finding.end, finding.code)


def ordered(findings: list[Finding]) -> list[Finding]:
    """Findings in report order (see ``order_key``)."""
    return sorted(findings, key=order_key)
