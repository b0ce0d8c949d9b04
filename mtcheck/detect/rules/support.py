"""MT205 unsupported-word: candidate words the aligned reference does not support.

BERTScore-style greedy matching (Zhang et al. 2020) with the run's sentence-transformers
model: every candidate token is scored by its best cosine similarity among the aligned
reference's contextual token embeddings (``Encoder.token_embeddings``). Word pieces are
folded into whole words (a word is as weak as its weakest piece); words found verbatim
(or with the same simple stem) in the reference are fully supported; function words and
numbers are never flagged (numbers are MT201's job).

``word_support`` gives per-word scores, ``support_scores`` gives per-pair BERTScore-like
precision / recall / F1 that the quality scorer can reuse.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Iterable, Sequence

from mtcheck.detect.base import CheckContext, Rule
from mtcheck.types import Finding

if TYPE_CHECKING:  # pragma: no cover
    from mtcheck.align.embed import Encoder, TokenEmbeddings

DATA_DIR = Path(__file__).resolve().parent.parent / "data"

#: Words: letters and digits, joined by an apostrophe or hyphen ("don't", "F-16").
WORD_RE = re.compile(r"[^\W_]+(?:['’\-][^\W_]+)*")

#: Default flagging threshold (support below it is flagged), chosen on the MQM TED zh-en
#: set so that flagged runs overlap a human-annotated error >= 30% of the time
#: (`python bench/detectors.py real`; see the README).
DEFAULT_THRESHOLD = 0.35
#: Runs whose every word the error tagger scores below this are not reported (README,
#: "Learned error tagger": chosen on held-out talks).
TAGGER_FLOOR = 0.3


@lru_cache(maxsize=1)
def function_words() -> frozenset[str]:
    lines = (DATA_DIR / "support_function_words.txt").read_text(encoding="utf-8").splitlines()
    return frozenset(ln.strip().lower() for ln in lines if ln.strip() and not ln.startswith("#"))


def is_function_word(word: str) -> bool:
    w = word.lower().replace("’", "'")
    return w in function_words() or w.split("'")[0] in function_words()


@lru_cache(maxsize=65536)
def _stem(word: str) -> str:
    w = word.lower().replace("’", "'")
    w = re.sub(r"'s$", "", w)
    for suffix in ("ingly", "edly", "ing", "ied", "ies", "ed", "es", "ly", "s"):
        if len(w) > len(suffix) + 3 and w.endswith(suffix):
            return w[: -len(suffix)]
    return w


@dataclass(frozen=True)
class WordSupport:
    """Support of one candidate word by the aligned reference.

    ``kind`` is "content" (scored), "exact" (found in the reference; score 1),
    "function" or "number" (scored but never flagged), or "truncated" (beyond the model's
    input length; score ``nan``).
    """

    start: int
    end: int
    text: str
    score: float
    kind: str

    @property
    def flaggable(self) -> bool:
        return self.kind == "content"


@dataclass(frozen=True)
class PairSupport:
    """BERTScore-like support of one aligned pair: token precision, recall and F1."""

    precision: float
    recall: float
    f1: float


def _word_scores(
    text: str, ref_text: str, cand: "TokenEmbeddings", ref: "TokenEmbeddings"
) -> list[WordSupport]:
    words = list(WORD_RE.finditer(text))
    if not words:
        return []
    if len(cand.tokens) and len(ref.tokens):
        token_support = (cand.vectors @ ref.vectors.T).max(axis=1)
    else:
        import numpy as np  # lazily: `mtcheck rules` does not need it

        token_support = np.zeros(len(cand.tokens), dtype=np.float32)
    from mtcheck.detect.rules.numbers import extract_quantities

    quantities = [(q.start, q.end) for q in extract_quantities(text)]
    ref_words = {m.group().lower().replace("’", "'") for m in WORD_RE.finditer(ref_text)}
    ref_stems = {_stem(w) for w in ref_words}
    best = token_support.tolist()  # Python floats: the same values, without numpy per word
    out: list[WordSupport] = []
    k = 0
    offsets = cand.offsets
    for m in words:
        a, b = m.start(), m.end()
        while k < len(offsets) and offsets[k][1] <= a:
            k += 1
        pieces = []
        j = k
        while j < len(offsets) and offsets[j][0] < b:
            if offsets[j][1] > offsets[j][0]:
                pieces.append(j)
            j += 1
        w = m.group()
        lw = w.lower().replace("’", "'")
        if not pieces:
            out.append(WordSupport(a, b, w, float("nan"), "truncated"))
            continue
        score = min(best[p] for p in pieces)
        if lw in ref_words or _stem(lw) in ref_stems:
            kind, score = "exact", 1.0
        elif is_function_word(w):
            kind = "function"
        elif any(c.isdigit() for c in w) or _is_number_word(lw) or any(
            x < b and a < y for x, y in quantities
        ):
            kind = "number"
        else:
            kind = "content"
        out.append(WordSupport(a, b, w, score, kind))
    return out


def _is_number_word(word: str) -> bool:
    from mtcheck.detect.rules.numbers import number_data

    d = number_data()
    parts = word.split("-")
    return all(p in d["small"] or p in d["tens"] or p in d["scales"] for p in parts)


def word_support(
    encoder: "Encoder", references: Sequence[str], candidates: Sequence[str]
) -> list[list[WordSupport]]:
    """Per-word support of each candidate text by its reference text (pairs by index)."""
    if not candidates:
        return []
    from threadpoolctl import threadpool_limits

    embs = encoder.token_embeddings([*references, *candidates])
    n = len(references)
    # Small matrix products (tokens x tokens): extra BLAS threads only spin, 0.8 ms CPU
    # instead of 0.06 ms a 40 x 45 product here, so one thread (as the error tagger).
    with threadpool_limits(1, user_api="blas"):
        return [
            _word_scores(c, r, embs[n + i], embs[i])
            for i, (r, c) in enumerate(zip(references, candidates))
        ]


def support_scores(
    encoder: "Encoder", references: Sequence[str], candidates: Sequence[str]
) -> list[PairSupport]:
    """BERTScore-like token precision/recall/F1 of each (reference, candidate) pair.

    Precision: mean over candidate tokens of the best cosine with a reference token (how
    well the reference supports the candidate); recall the other way round. Plain greedy
    matching without idf weighting or baseline rescaling, with the run's model.
    """
    if not candidates:
        return []
    embs = encoder.token_embeddings([*references, *candidates])
    n = len(references)
    out: list[PairSupport] = []
    for i in range(len(candidates)):
        r, c = embs[i], embs[n + i]
        if not len(r.tokens) or not len(c.tokens):
            out.append(PairSupport(0.0, 0.0, 0.0))
            continue
        sim = c.vectors @ r.vectors.T
        p, rc = float(sim.max(axis=1).mean()), float(sim.max(axis=0).mean())
        out.append(PairSupport(p, rc, 2 * p * rc / (p + rc) if p + rc > 0 else 0.0))
    return out


def weak_runs(
    words: list[WordSupport], threshold: float, bridge: int = 1
) -> list[list[WordSupport]]:
    """Runs of flaggable words scoring below ``threshold``.

    Two weak words separated by at most ``bridge`` function words form one run.
    """
    runs: list[list[WordSupport]] = []
    current: list[WordSupport] = []
    gap = 0
    for w in words:
        weak = w.flaggable and w.score < threshold
        if weak:
            current.append(w)
            gap = 0
        elif current and w.kind == "function" and gap < bridge:
            gap += 1
        else:
            if current:
                runs.append(current)
            current, gap = [], 0
    if current:
        runs.append(current)
    return runs


class UnsupportedWord(Rule):
    """Candidate words that nothing in the aligned reference sentence supports.

    What it does
    ------------
    For every aligned sentence pair, scores each candidate word by its best match among
    the reference sentence's tokens, using the embedding model's contextual token vectors
    (BERTScore-style greedy matching), and flags the words, and runs of adjacent words,
    whose best match is weak. Words found verbatim (or with the same stem) in the
    reference are supported; function words and numbers are never flagged (numbers are
    MT201's job); a word split into pieces by the model counts as its weakest piece.

    Why it matters
    --------------
    A candidate word with no counterpart in the reference is a possible mistranslation
    ("a substitute prop" for "a dummy delegation") or addition. On real machine
    translation into English (MQM TED zh-en, reference refB) a third of the word runs
    it flags at its default threshold lie inside a human-annotated error span, three
    times the rate of a random word (11%). It is a hint, not a verdict: a free but correct
    paraphrase is unsupported too, hence severity minor.

    Example
    -------
    Reference: "Zelensky lamented the 'dummy' delegation sent by the Kremlin."
    Candidate: "Zelensky regarded the delegation sent by the Kremlin as a 'substitute
    prop'." -> "substitute prop" is flagged (support 0.19).

    Options
    -------
    ``threshold`` (default 0.35): flag words whose support (cosine, 0-1) is below it;
    lower it for fewer, surer findings (see the precision-recall curve in the README).
    ``bridge`` (default 1): weak words separated by at most this many function words are
    reported as one run. ``min_tagger_probability`` (default 0.3): a run
    the learned error tagger (MT121/MT221) reads as fluent and supported, every word's
    error probability below this, is a paraphrase and not reported; 0 turns this off. Only aligned pairs of parallel documents are checked: the aligned
    sentences of two outlets' different stories are paraphrases, where unsupported words
    are expected. Needs the embedding model.
    """

    code = "MT205"
    name = "unsupported-word"
    category = "Accuracy/Mistranslation"
    severity = "minor"
    reads_tagger = True
    defaults = {"threshold": DEFAULT_THRESHOLD, "bridge": 1, "min_tagger_probability": TAGGER_FLOOR}

    def check(self, ctx: CheckContext) -> Iterable[Finding]:
        if ctx.encoder is None or not ctx.parallel.is_parallel:
            return
        pairs = list(ctx.aligned_pairs())
        if not pairs:
            return
        threshold = float(self.option(ctx, "threshold"))
        bridge = int(self.option(ctx, "bridge"))
        allowed = {t.lower() for t in ctx.allowed_terms}
        floor = float(self.option(ctx, "min_tagger_probability"))
        scored = word_support(ctx.encoder, [p[1] for p in pairs], [p[2] for p in pairs])
        for (_bead, _ref, _cand, _r0, c0), words in zip(pairs, scored):
            words = [w for w in words if w.text.lower() not in allowed]
            for run in weak_runs(words, threshold, bridge):
                start, end = c0 + run[0].start, c0 + run[-1].end
                low = min(w.score for w in run)
                if floor > 0:
                    from mtcheck.detect.tagger import span_probability

                    p = span_probability(ctx, start, end)
                    if p is not None and p < floor:
                        continue  # the tagger reads it as a fluent, supported paraphrase
                what = "word" if len(run) == 1 else "words"
                yield self.finding(
                    ctx,
                    start,
                    end,
                    f"{what} with no close match in the aligned reference sentence "
                    f"(support {low:.2f}): possible mistranslation or addition",
                    measures={"support": low, "mean_support": sum(w.score for w in run) / len(run)},
                )


RULES = [UnsupportedWord]
