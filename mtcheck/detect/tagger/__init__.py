"""The learned token-level error tagger: P(an MQM annotator marks this word as an error).

A one-hidden-layer MLP over the encoder's frozen hidden states (a middle and the last
layer, each word's own), cheap lexicon cues and, when the sentence is aligned, how well
each word and its neighbours are matched in the reference sentence (features:
:mod:`mtcheck.detect.tagger.features`; ``extended`` in the weights file says which set).
Trained by ``train/tagger.py`` on the WMT21 TED zh-en MQM annotations (Apache-2.0), on
the states of the default int8 encoder; see ``MODEL_CARD.md`` next to this file.

Inference is numpy only: the encoder's states (``Encoder.token_states``) and two small
matrix products per sentence. The weights file's SHA-256 must match ``tagger.sha256``:
a different file is refused with :class:`TaggerError`, never used.

Rules read the probabilities through :meth:`mtcheck.detect.base.CheckContext.tagger`
(computed once per run, on first use): :func:`tag_context`.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pragma: no cover
    import numpy as np

    from mtcheck.align.embed import Encoder
    from mtcheck.detect.base import CheckContext

HERE = Path(__file__).resolve().parent
WEIGHTS = HERE / "tagger.npz"
CHECKSUM = HERE / "tagger.sha256"


from mtcheck.detect.base import RuleError  # noqa: E402 - light (types only)


class TaggerError(RuleError):
    """The shipped tagger weights are missing or do not match their checksum (one line, exit 2)."""


@dataclass(frozen=True)
class TaggerModel:
    """Weights of the MLP (standardisation folded into the first layer)."""

    w1: "np.ndarray"
    b1: "np.ndarray"
    w2: "np.ndarray"
    b2: float
    layers: tuple[int, ...]  # encoder layers read: (embedding, middle, last)
    extended: int = 0  # feature set (features.word_features): 0 base, 1 extended, 2 + alignment block

    def predict(self, x: "np.ndarray") -> "np.ndarray":
        import numpy as np

        h = x @ self.w1
        h += self.b1
        np.maximum(h, 0, out=h)
        z = h @ self.w2 + self.b2
        return (1.0 / (1.0 + np.exp(-z))).astype(np.float32)


@dataclass(frozen=True)
class ConvTaggerModel:
    """A 1-D convolution over the sentence's words (``train/tagger.py --model conv``).

    Per word, the standardised states (the first ``2 * 384`` columns) are projected to a
    few dimensions (``p``, ``pb``) and joined to the standardised cheap cues; one
    convolution over a window of ``kernel`` words (``wc``, zero padded at the sentence's
    ends), ReLU, then ``w2``, ``b2`` and a sigmoid. Numpy only: three matrix products.
    ``predict`` reads the rows of one sentence, in order.
    """

    mu: "np.ndarray"
    sd: "np.ndarray"
    p: "np.ndarray"
    pb: "np.ndarray"
    wc: "np.ndarray"  # [kernel * (projection + cues), hidden]: the window's offsets side by side
    bc: "np.ndarray"
    w2: "np.ndarray"
    b2: float
    layers: tuple[int, ...]
    extended: int = 2

    @property
    def kernel(self) -> int:
        return self.wc.shape[0] // (self.p.shape[1] + self.mu.shape[0] - self.p.shape[0])

    def __post_init__(self) -> None:
        width = self.p.shape[1] + self.mu.shape[0] - self.p.shape[0]
        if self.wc.shape[0] % width or self.kernel % 2 == 0:
            raise TaggerError(f"conv tagger weights: window of {self.wc.shape[0] / width:g} words; it must be odd")

    def predict(self, x: "np.ndarray") -> "np.ndarray":
        import numpy as np

        from mtcheck.detect.tagger.features import _window

        xs = (x - self.mu) / self.sd
        k = self.p.shape[0]
        z = np.concatenate([xs[:, :k] @ self.p + self.pb, xs[:, k:]], axis=1).astype(np.float32)
        h = _window(z, self.kernel // 2) @ self.wc
        h += self.bc
        np.maximum(h, 0, out=h)
        out = h @ self.w2 + self.b2
        return (1.0 / (1.0 + np.exp(-out))).astype(np.float32)


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def load(weights: Path = WEIGHTS, checksum: Path = CHECKSUM) -> "TaggerModel | ConvTaggerModel":
    """Load and verify the weights; :class:`TaggerError` when they cannot be trusted."""
    import numpy as np

    try:
        expected = checksum.read_text(encoding="utf-8").split()[0]
        actual = sha256(weights)
    except (OSError, IndexError) as exc:
        raise TaggerError(f"error tagger weights unreadable ({exc}); reinstall mtcheck") from exc
    if actual != expected:
        raise TaggerError(
            f"error tagger weights {weights.name} do not match their checksum "
            f"(sha256 {actual[:12]}…, expected {expected[:12]}…); reinstall mtcheck"
        )
    z = np.load(weights)
    if "wc" in z.files:  # train/tagger.py --model conv
        return ConvTaggerModel(
            **{k: z[k].astype(np.float32) for k in ("mu", "sd", "p", "pb", "wc", "bc", "w2")},
            b2=float(z["b2"]), layers=tuple(int(k) for k in z["layers"]), extended=int(z["extended"]),
        )
    return TaggerModel(
        w1=z["w1"].astype(np.float32),
        b1=z["b1"].astype(np.float32),
        w2=z["w2"].astype(np.float32),
        b2=float(z["b2"]),
        layers=tuple(int(k) for k in z["layers"]),
        extended=int(z["extended"]) if "extended" in z.files else 0,
    )


@lru_cache(maxsize=1)
def model() -> "TaggerModel | ConvTaggerModel":
    """The shipped model, loaded once per process (the MLP today: the rules' thresholds
    and the calibration were fitted on its probabilities, so a conv model dropped in
    needs them refitted too; see the model card)."""
    return load()


@dataclass
class SentenceTags:
    """Per word of one candidate sentence: character span (document offsets) and P(error)."""

    sentence: int
    spans: list[tuple[int, int]]
    probs: "np.ndarray"
    aligned: bool
    #: Per word, its weakest piece's best cosine to the reference (last layer); None unaligned.
    support: "np.ndarray | None" = None


def tag(
    encoder: "Encoder", texts: list[str], refs: list[str | None], m: TaggerModel | None = None
) -> list[tuple[list[tuple[int, int]], "np.ndarray", "np.ndarray | None"]]:
    """Word spans (offsets in each text), probabilities and reference support, per text."""
    from threadpoolctl import threadpool_limits

    m = m or model()
    uniq = list(dict.fromkeys([*texts, *(r for r in refs if r)]))
    states = dict(zip(uniq, encoder.token_states(uniq, m.layers))) if uniq else {}
    # Small matrices: BLAS threads only spin (30 ms instead of 0.1 ms a sentence when the
    # machine is busy), so one thread.
    with threadpool_limits(1, user_api="blas"):
        return _tag_all(texts, refs, states, m)


def _tag_all(texts, refs, states, m):
    from mtcheck.detect.tagger.features import SUPPORT_COLUMN, word_features

    out = []
    for text, ref in zip(texts, refs):
        s = states[text]
        r = states.get(ref) if ref else None
        spans, x = word_features(
            text, s.tokens, s.offsets, s.layers,
            r.tokens if r else None, r.layers if r else None, mid=1, last=2, lexical=0,
            extended=m.extended,
        )
        probs = m.predict(x) if len(spans) else x[:, 0]
        out.append((spans, probs, x[:, SUPPORT_COLUMN] if r is not None else None))
    return out


def serves(encoder: "Encoder") -> bool:
    """Whether the tagger can read this encoder's states (the bundled model only)."""
    return getattr(encoder, "model_arg", None) is None


def prepare(encoder: "Encoder") -> None:
    """Ask the encoder to keep the layer states the tagger reads, when it serves it, so
    that the forward pass made for the alignment (or a batch's prefetch) serves the tagger."""
    if serves(encoder):
        encoder.want_layers(model().layers)


def tag_context(ctx: "CheckContext") -> list[SentenceTags]:
    """Tags of every candidate sentence of a check (aligned ones read their reference).

    Empty without an encoder, or with a ``--model`` other than the bundled one: the
    tagger was trained on all-MiniLM-L6-v2's states and reads no other model's.
    """
    if ctx.encoder is None or not serves(ctx.encoder):
        return []
    sents = ctx.candidate.sentences
    texts = [ctx.candidate.text[s.start : s.end] for s in sents]
    refs = [ctx.aligned_reference(s.index) for s in sents]
    result = []
    for s, ref, (spans, probs, sup) in zip(sents, refs, tag(ctx.encoder, texts, refs)):
        result.append(SentenceTags(s.index, [(s.start + a, s.start + b) for a, b in spans], probs,
                                   ref is not None, sup))
    return result


def span_probability(ctx: "CheckContext", start: int, end: int) -> float | None:
    """Highest tagger probability of a candidate word overlapping ``[start, end)``.

    ``None`` when the tagger has nothing there (no encoder, or no word in the span).
    """
    tags = ctx.tagger()
    if not tags:
        return None
    best = None
    first = ctx.sentence_at("candidate", start)
    for st in tags[first:]:
        if st.spans and st.spans[0][0] >= end:
            break
        for (a, b), p in zip(st.spans, st.probs):
            if a < end and start < b:
                best = float(p) if best is None else max(best, float(p))
    return best
