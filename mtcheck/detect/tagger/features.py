"""Word features of the error tagger, shared by training (``train/tagger.py``) and inference.

Input: the encoder's raw hidden states of a candidate sentence (and of its aligned
reference sentence, when there is one), as ``Encoder.token_states`` gives them. Words are
BERT's pre-tokenizer words: a wordpiece starting with ``##`` continues the previous word.

Per word, in this order (2 x 384 + 42 columns for all-MiniLM-L6-v2, :func:`dim`; 36
more with ``extended=True``, the shipped model's):

- the mean of its wordpieces' states at the middle layer and at the last layer (the
  neighbours' states too, a +-2 window, overfitted the TED talks: held-out precision of
  the top 1% of words 0.12 against 0.19 without; the contextual states already see them);
- reference match, for the word and its neighbours: min and mean over its pieces of the
  best cosine to any reference piece at the last layer and at the embedding layer, and
  whether the lower-cased word occurs in the reference (zeros without a reference);
- whether there is a reference, which neighbours exist, and surface cues: number,
  capitalised (not sentence-initial), sentence-initial, punctuation, pieces, position;
- extended: lexicon cues (wordfreq Zipf, unseen, unknown to Hunspell, all capitals,
  length), the neighbours' punctuation, more reference match (prefix match, best cosine
  at the middle layer, support against the sentence's mean), sentence-level match (mean
  support, verbatim share, reference coverage, length ratio, pooled cosine) and the
  neighbours' (+-2) lexicon and match cues. No language model.

Every per-word reduction is vectorised (``np.add.reduceat`` / ``np.minimum.reduceat``
over the words' first pieces): about 2 ms CPU a sentence with the MLP.
"""

from __future__ import annotations

import numpy as np

WINDOW = 2
N_REF = 5
N_SURFACE = 6
HIDDEN = 384
#: Column of the word's own reference support (min over pieces of the best last-layer cosine).
SUPPORT_COLUMN = 2 * HIDDEN + WINDOW * N_REF


def group_words(tokens: list[str], offsets: list[tuple[int, int]]) -> list[list[int]]:
    """Indices of the wordpieces of each word (``##`` pieces join the previous word)."""
    words: list[list[int]] = []
    for k, tok in enumerate(tokens):
        if tok.startswith("##") and words:
            words[-1].append(k)
        else:
            words.append([k])
    return words


def _unit(x: np.ndarray) -> np.ndarray:
    return x / np.clip(np.linalg.norm(x, axis=-1, keepdims=True), 1e-12, None)


def _window(m: np.ndarray, w: int = WINDOW) -> np.ndarray:
    """Rows of ``m`` side by side with their neighbours at -w..+w (zero padded)."""
    n, d = m.shape
    pad = np.zeros((n + 2 * w, d), dtype=m.dtype)
    pad[w : w + n] = m
    return np.concatenate([pad[w + o : w + o + n] for o in range(-w, w + 1)], axis=1)


def word_features(
    text: str,
    tokens: list[str],
    offsets: list[tuple[int, int]],
    layers: np.ndarray,
    ref_tokens: list[str] | None = None,
    ref_layers: np.ndarray | None = None,
    *,
    mid: int = 1,
    last: int = 2,
    lexical: int = 0,
    extended: int = 0,
) -> tuple[list[tuple[int, int]], np.ndarray]:
    """Word character spans and their feature rows (float32).

    ``layers`` is ``[n_layers, n_tokens, hidden]``; ``mid``, ``last`` and ``lexical``
    index its first axis (the states of the middle, last and embedding layer).
    ``extended``: 0 the base set, 1 the extended set, 2 the extended set and the
    alignment block (:data:`N_ALIGN`).
    """
    words = group_words(tokens, offsets)
    spans = [(offsets[p[0]][0], offsets[p[-1]][1]) for p in words]
    n = len(words)
    hidden = layers.shape[-1]
    if n == 0:
        return spans, np.zeros((0, dim(hidden, extended)), dtype=np.float32)
    # Words are runs of consecutive pieces: per-word means and minima are reduceat's.
    starts = np.fromiter((p[0] for p in words), dtype=np.intp, count=n)
    pieces = np.fromiter((len(p) for p in words), dtype=np.float32, count=n)
    states = np.concatenate([layers[mid], layers[last]], axis=1).astype(np.float32)
    base = np.add.reduceat(states, starts, axis=0) / pieces[:, None]
    ref = np.zeros((n, N_REF), dtype=np.float32)
    has_ref = ref_layers is not None and ref_tokens is not None and len(ref_tokens) > 0
    if has_ref:
        # Each product and word list once, shared with _reference_extra (same values).
        sim_last = _unit(layers[last]) @ _unit(ref_layers[last]).T
        cos_last = sim_last.max(1)
        cos_lex = (_unit(layers[lexical]) @ _unit(ref_layers[lexical]).T).max(1)
        cand_words = _word_strings(tokens, words)
        ref_list = _word_strings(ref_tokens, group_words(ref_tokens, []))
        ref_words = set(ref_list)
        ref[:, 0] = np.minimum.reduceat(cos_last, starts)
        ref[:, 1] = np.add.reduceat(cos_last, starts) / pieces
        ref[:, 2] = np.minimum.reduceat(cos_lex, starts)
        ref[:, 3] = np.add.reduceat(cos_lex, starts) / pieces
        ref[:, 4] = [w in ref_words for w in cand_words]
    surface = np.zeros((n, N_SURFACE), dtype=np.float32)
    strings = [text[a:b] for a, b in spans]
    surface[:, 0] = [any(c.isdigit() for c in w) for w in strings]
    surface[:, 1] = [w[:1].isupper() for w in strings]
    surface[0, 1] = 0.0
    surface[0, 2] = 1.0
    surface[:, 3] = [not any(c.isalnum() for c in w) for w in strings]
    surface[:, 4] = pieces / 5.0
    surface[:, 5] = np.arange(n, dtype=np.float32) / max(1, n - 1)
    exists = _window(np.ones((n, 1), dtype=np.float32))
    exists = np.delete(exists, WINDOW, axis=1)  # the word itself always exists
    flag = np.full((n, 1), float(has_ref), dtype=np.float32)
    blocks = [base, _window(ref), flag, exists, surface]
    if extended:
        lex = _lexical(strings)
        match = np.zeros((n, N_MATCH), dtype=np.float32)
        sent = np.zeros((n, N_SENTENCE), dtype=np.float32)
        sim_mid = None
        if has_ref:
            match, sent, sim_mid = _reference_extra(tokens, words, starts, pieces, layers, ref_tokens,
                                                    ref_layers, mid, last, ref[:, 0], ref[:, 4],
                                                    shared=(sim_last, cand_words, ref_list))
        prev_punct = np.r_[0.0, surface[:-1, 3]]
        next_punct = np.r_[surface[1:, 3], 0.0]
        own = np.column_stack([lex, prev_punct, next_punct, match]).astype(np.float32)
        near = _window(np.column_stack([lex[:, :3], match[:, :2]]))
        near = np.delete(near, range(WINDOW * 5, WINDOW * 5 + 5), axis=1)  # the word's own: in `own`
        blocks += [own, sent, near]
    if extended >= 2:
        align = np.zeros((n, N_ALIGN), dtype=np.float32)
        if has_ref:
            align = _alignment(starts, pieces, sim_mid, cand_words, ref_list)
        blocks.append(align)
    x = np.concatenate(blocks, axis=1)
    return spans, x.astype(np.float32)


#: Extended features (``extended=True``): per word, lexicon cues (N_LEXICAL), the
#: neighbouring words' punctuation (2), reference match beyond the base block (N_MATCH);
#: per sentence (N_SENTENCE, same on every word); and the neighbours' (+-2) first three
#: lexicon cues and first two match cues.
N_LEXICAL = 5
N_MATCH = 4
N_SENTENCE = 5
N_NEAR = 2 * WINDOW * 5


def _lexical(strings: list[str]) -> np.ndarray:
    """Zipf frequency / 8, unseen by wordfreq, unknown to Hunspell, all capitals, length / 10."""
    from mtcheck.detect.rules._text import hunspell_knows, zipf

    out = np.zeros((len(strings), N_LEXICAL), dtype=np.float32)
    for i, w in enumerate(strings):
        if not any(c.isalpha() for c in w):
            continue
        z = zipf(w.lower())
        out[i] = (z / 8.0, z == 0.0, not (hunspell_knows(w) or hunspell_knows(w.lower())),
                  len(w) > 1 and w.isupper(), min(len(w), 20) / 10.0)
    return out


def _reference_extra(tokens, words, starts, pieces, layers, ref_tokens, ref_layers, mid, last,
                     support, exact, shared):
    """Per word: prefix (stem) match, best cosine at the middle layer (min, mean), support
    minus the sentence's mean; per sentence: mean support, share of words found verbatim,
    reference tokens covered (mean of their best cosine), log length ratio, cosine of the
    mean-pooled last layer; and the pieces' middle-layer cosines to the reference's (the
    alignment block reads them). ``shared``: what word_features computed already, the last
    layer's token x token cosines and the candidate's and reference's words."""
    sim_last, cand_words, ref_words = shared
    stems = {w[:5] for w in ref_words if len(w) >= 4}
    stem = np.array([len(w) >= 4 and w[:5] in stems for w in cand_words], dtype=np.float32)
    sim_mid = _unit(layers[mid]) @ _unit(ref_layers[mid]).T
    cos_mid = sim_mid.max(1)
    match = np.column_stack([
        np.maximum(stem, exact),
        np.minimum.reduceat(cos_mid, starts),
        np.add.reduceat(cos_mid, starts) / pieces,
        support - support.mean(),
    ])
    pooled = _unit(layers[last].mean(0)) @ _unit(ref_layers[last].mean(0))
    sent = np.array([
        support.mean(),
        exact.mean(),
        sim_last.max(0).mean(),
        np.clip(np.log(len(tokens) / len(ref_tokens)), -2, 2),
        pooled,
    ], dtype=np.float32)
    return match.astype(np.float32), np.broadcast_to(sent, (len(words), N_SENTENCE)), sim_mid


#: Alignment block (``extended=2``), per word, zeros without a reference: mutual nearest
#: neighbour at the middle layer (share of its pieces), distortion (|relative position of the
#: best reference piece - own relative position|, mean), the bigram with the previous /
#: next word found verbatim in the reference, and whether the previous / next word's best
#: reference piece lies within two pieces of this word's (a monotone, local alignment).
N_ALIGN = 6


def _alignment(starts, pieces, sim, cand, ref):
    """The alignment block from ``sim``, the pieces' cosines to the reference's (middle
    layer), and the candidate's and reference's words (``_word_strings``)."""
    n, m = sim.shape
    best = sim.argmax(1)
    back = sim.argmax(0)
    mutual = (back[best] == np.arange(n)).astype(np.float32)
    dist = np.abs(best / max(1, m - 1) - np.arange(n) / max(1, n - 1)).astype(np.float32)
    out = np.zeros((len(cand), N_ALIGN), dtype=np.float32)
    out[:, 0] = np.add.reduceat(mutual, starts) / pieces
    out[:, 1] = np.add.reduceat(dist, starts) / pieces
    bigrams = set(zip(ref, ref[1:]))
    has = np.array([(a, b) in bigrams for a, b in zip(cand, cand[1:])], dtype=np.float32)
    out[1:, 2] = has
    out[:-1, 3] = has
    first = best[starts]  # the best reference piece of each word's first piece
    near = (np.abs(np.diff(first)) <= 2).astype(np.float32)
    out[1:, 4] = near
    out[:-1, 5] = near
    return out


def _word_strings(tokens: list[str], words: list[list[int]]) -> list[str]:
    """The lower-cased word each group of wordpieces spells."""
    return ["".join(tokens[k].removeprefix("##") for k in p).lower() for p in words]


def reference_columns(hidden: int = HIDDEN, extended: int = 0) -> np.ndarray:
    """Boolean mask of the columns that depend on the reference (and its flag)."""
    k = 2 * WINDOW + 1
    a = 2 * hidden
    mask = np.zeros(dim(hidden, extended), dtype=bool)
    mask[a : a + k * N_REF + 1] = True
    if extended:
        b = dim(hidden) + N_LEXICAL + 2
        mask[b : b + N_MATCH + N_SENTENCE] = True
        near = np.zeros((2 * WINDOW, 5), dtype=bool)
        near[:, 3:] = True  # the neighbours' match cues (their lexicon cues stay)
        mask[b + N_MATCH + N_SENTENCE : b + N_MATCH + N_SENTENCE + N_NEAR] = near.ravel()
    if extended >= 2:
        mask[-N_ALIGN:] = True
    return mask


def without_reference(x: np.ndarray, hidden: int = HIDDEN) -> np.ndarray:
    """The same rows as if computed without a reference (reference columns and flag zeroed)."""
    out = x.copy()
    level = next(k for k in (0, 1, 2) if dim(hidden, k) == x.shape[1])
    out[:, reference_columns(hidden, level)] = 0.0
    return out


def dim(hidden: int = 384, extended: int = 0) -> int:
    """Number of feature columns for an encoder of this hidden size."""
    k = 2 * WINDOW + 1
    base = 2 * hidden + k * N_REF + 1 + (k - 1) + N_SURFACE
    return (base + (N_LEXICAL + 2 + N_MATCH + N_SENTENCE + N_NEAR if extended else 0)
            + (N_ALIGN if extended >= 2 else 0))
