"""BERTScore-style token matching of an aligned pair, from states the pipeline already has.

For an aligned bead, the wordpieces of its candidate sentences and of its reference are
compared by the cosine of their hidden states at the encoder's middle layer
(:data:`LAYER`; all-MiniLM-L6-v2 layer 3, one the error tagger reads, so the check keeps
it anyway). Greedy matching as in BERTScore (Zhang et al. 2020, no idf, no baseline
rescaling): each piece takes its best cosine on the other side;

- ``precision``: the mean over the candidate's pieces, ``recall``: over the reference's,
  ``f1``: their harmonic mean (the report's per-pair ``token_f1``);
- ``unmatched``: the reference words (those with a letter or digit) the candidate does
  not cover, ``sum(1 - support)`` with a word's support the smallest best cosine of its
  pieces: a count, like MQM points, that grows with what is left out or mistranslated
  (the quality's ``unmatched`` term, README "Quality gate in CI").

No extra forward pass: the states come from :meth:`Encoder.token_states` of the same
texts the tagger reads (the candidate sentences, the bead's reference span), which the
encoder memoises and holds for the whole check (``Encoder.holding``); the matching
itself costs about 0.2 ms CPU a
sentence (``bench/hotpath.py``). Nothing is computed when the tagger does not run (a ``--model`` the
tagger cannot read: the encoder then keeps no layers).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pragma: no cover
    import numpy as np

    from mtcheck.detect.base import CheckContext

#: Hidden layer compared (0 = embeddings; all-MiniLM-L6-v2 has 6). Measured on WMT21 TED
#: (bench/quality_fit.py): layer 3 ranks segments better than the last layer.
LAYER = 3


@dataclass(frozen=True)
class TokenMatch:
    """Greedy token matching of one pair (see the module docstring)."""

    precision: float
    recall: float
    f1: float
    unmatched: float


def match(cand: "np.ndarray", ref: "np.ndarray", ref_tokens: list[str], ref_words: list[bool]) -> TokenMatch | None:
    """Match candidate piece states ``[n, d]`` with reference piece states ``[m, d]``.

    ``ref_tokens``: the reference's wordpieces (``##`` continues a word); ``ref_words``:
    per reference word, whether it has a letter or digit (only those count as unmatched).
    ``None`` when a side has no piece.
    """
    import numpy as np

    from mtcheck.detect.tagger.features import _unit

    if len(cand) == 0 or len(ref) == 0:
        return None
    sim = _unit(cand.astype(np.float32)) @ _unit(ref.astype(np.float32)).T
    best_c, best_r = sim.max(1), sim.max(0)
    p, r = float(best_c.mean()), float(best_r.mean())
    f1 = 2 * p * r / (p + r) if p + r > 0 else 0.0
    starts = [k for k, t in enumerate(ref_tokens) if k == 0 or not t.startswith("##")]
    support = np.minimum.reduceat(best_r, starts)
    unmatched = float(np.clip(1.0 - support[np.asarray(ref_words, bool)], 0.0, None).sum())
    return TokenMatch(p, r, f1, unmatched)


def _word_flags(text: str, tokens: list[str], offsets: list[tuple[int, int]]) -> list[bool]:
    """Per word (first piece and its ``##`` pieces), whether it has a letter or digit."""
    from mtcheck.detect.tagger.features import group_words

    return [any(c.isalnum() for k in word for c in text[offsets[k][0] : offsets[k][1]])
            for word in group_words(tokens, offsets)]


def bead_matches(ctx: "CheckContext") -> list[TokenMatch | None]:
    """Per bead of the check, its :class:`TokenMatch` (``None``: unaligned, or no states)."""
    import numpy as np
    from threadpoolctl import threadpool_limits

    from mtcheck.detect.tagger import serves

    beads = ctx.beads
    if ctx.encoder is None or not serves(ctx.encoder) or not ctx.tagger():
        return [None] * len(beads)
    cand = ctx.candidate
    pairs = []
    for b in beads:
        if not b.aligned:
            pairs.append(None)
            continue
        pairs.append(([cand.text[cand.sentences[j].start : cand.sentences[j].end] for j in b.candidate],
                      ctx.aligned_reference(b.candidate[0])))  # the bead's reference slice
    texts = [t for p in pairs if p for t in (*p[0], p[1])]
    states = dict(zip(texts, ctx.encoder.token_states(texts, (LAYER,)))) if texts else {}
    out: list[TokenMatch | None] = []
    # Small matrices: BLAS threads only spin on a busy machine (2.1 ms CPU a pair at load
    # 10 against 0.47 ms on one thread), so one thread, as the tagger.
    with threadpool_limits(1, user_api="blas"):
        for p in pairs:
            if p is None:
                out.append(None)
                continue
            c = [states[t].layers[0] for t in p[0]]
            r = states[p[1]]
            out.append(match(np.concatenate(c, axis=0), r.layers[0], r.tokens,
                             _word_flags(p[1], r.tokens, r.offsets)))
    return out
