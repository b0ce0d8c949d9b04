"""The tagger's vectorised word features equal the per-word loop they replaced."""

from __future__ import annotations

import numpy as np

from mtcheck.detect.tagger.features import (
    N_ALIGN,
    N_REF,
    N_SURFACE,
    WINDOW,
    _unit,
    _window,
    dim,
    group_words,
    without_reference,
    word_features,
)


def loop_features(text, tokens, offsets, layers, ref_tokens=None, ref_layers=None, mid=1, last=2, lexical=0):
    """The feature rows as first written: one np.mean / min per word (the slow version)."""
    words = group_words(tokens, offsets)
    spans = [(offsets[p[0]][0], offsets[p[-1]][1]) for p in words]
    n = len(words)
    if n == 0:
        return spans, np.zeros((0, dim(layers.shape[-1])), dtype=np.float32)
    states = np.concatenate([layers[mid], layers[last]], axis=1).astype(np.float32)
    base = np.stack([states[p].mean(0) for p in words])
    ref = np.zeros((n, N_REF), dtype=np.float32)
    has_ref = ref_layers is not None and ref_tokens is not None and len(ref_tokens) > 0
    if has_ref:
        cos_last = (_unit(layers[last]) @ _unit(ref_layers[last]).T).max(1)
        cos_lex = (_unit(layers[lexical]) @ _unit(ref_layers[lexical]).T).max(1)
        ref_words = {"".join(ref_tokens[k].removeprefix("##") for k in p).lower()
                     for p in group_words(ref_tokens, [])}
        for i, p in enumerate(words):
            w = "".join(tokens[k].removeprefix("##") for k in p).lower()
            ref[i] = (cos_last[p].min(), cos_last[p].mean(), cos_lex[p].min(), cos_lex[p].mean(),
                      float(w in ref_words))
    surface = np.zeros((n, N_SURFACE), dtype=np.float32)
    for i, (a, b) in enumerate(spans):
        w = text[a:b]
        surface[i] = (any(c.isdigit() for c in w), w[:1].isupper() and i > 0, i == 0,
                      not any(c.isalnum() for c in w), len(words[i]) / 5.0, i / max(1, n - 1))
    exists = np.delete(_window(np.ones((n, 1), dtype=np.float32)), WINDOW, axis=1)
    flag = np.full((n, 1), float(has_ref), dtype=np.float32)
    return spans, np.concatenate([base, _window(ref), flag, exists, surface], axis=1).astype(np.float32)


TEXT = 'The less operational of weapons will "nothing happens" in Kyiv, 12:30 — biggestists.'
REF = "The US provides fewer weapons, and nothing will happen."


def test_vectorised_features_equal_the_loop(encoder):
    cand, ref = encoder.token_states([TEXT, REF], (0, 3, 6))
    assert any(t.startswith("##") for t in cand.tokens)  # words of several pieces are covered
    for r in (ref, None):
        args = (TEXT, cand.tokens, cand.offsets, cand.layers, r and r.tokens, r and r.layers)
        spans, x = word_features(*args)
        want_spans, want = loop_features(*args)
        assert spans == want_spans
        assert x.shape == want.shape == (len(spans), dim())
        np.testing.assert_allclose(x, want, rtol=0, atol=1e-6)


def test_features_of_an_empty_sentence(encoder):
    (empty,) = encoder.token_states([""], (0, 3, 6))
    spans, x = word_features("", empty.tokens, empty.offsets, empty.layers)
    assert spans == [] and x.shape == (0, dim())


def test_extended_features_keep_the_base_columns_and_drop_the_reference_cleanly(encoder):
    cand, ref = encoder.token_states([TEXT, REF], (0, 3, 6))
    spans, base = word_features(TEXT, cand.tokens, cand.offsets, cand.layers, ref.tokens, ref.layers)
    _, ext = word_features(TEXT, cand.tokens, cand.offsets, cand.layers, ref.tokens, ref.layers, extended=True)
    _, blind = word_features(TEXT, cand.tokens, cand.offsets, cand.layers, extended=True)
    assert ext.shape == (len(spans), dim(extended=True)) and dim(extended=True) > dim()
    np.testing.assert_array_equal(ext[:, : dim()], base)
    # What a reference adds is exactly the columns without_reference zeroes.
    np.testing.assert_array_equal(without_reference(ext), blind)
    assert np.isfinite(ext).all()
    words = [TEXT[a:b] for a, b in spans]
    lexicon = ext[:, dim() : dim() + 3]  # zipf / 8, unseen by wordfreq, unknown to Hunspell
    assert lexicon[words.index("biggestists")].tolist() == [0.0, 1.0, 1.0]
    assert lexicon[words.index("weapons"), 0] > 0.4 and lexicon[words.index("weapons"), 2] == 0.0


def test_alignment_block_reads_word_order_against_the_reference(encoder):
    cand, ref = encoder.token_states([TEXT, REF], (0, 3, 6))
    spans, ext = word_features(TEXT, cand.tokens, cand.offsets, cand.layers, ref.tokens, ref.layers, extended=1)
    _, aligned = word_features(TEXT, cand.tokens, cand.offsets, cand.layers, ref.tokens, ref.layers, extended=2)
    _, blind = word_features(TEXT, cand.tokens, cand.offsets, cand.layers, extended=2)
    assert aligned.shape == (len(spans), dim(extended=2)) and dim(extended=2) == dim(extended=1) + N_ALIGN
    np.testing.assert_array_equal(aligned[:, : dim(extended=1)], ext)
    np.testing.assert_array_equal(without_reference(aligned), blind)
    block = aligned[:, -N_ALIGN:]
    words = [TEXT[a:b] for a, b in spans]
    # "nothing" then "happens": the bigram is not in the reference ("nothing will happen")
    assert block[words.index("nothing"), 3] == 0.0
    # "The" is the reference's first word too: its own nearest neighbour both ways
    assert block[words.index("The"), 0] == 1.0 and block[words.index("The"), 1] < 0.1
    assert ((block >= 0) & (block <= 1)).all()
