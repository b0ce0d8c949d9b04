"""The embedding encoder: ONNX backend = sentence-transformers / transformers, disk cache, --no-cache."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import numpy as np
import pytest

from mtcheck.align.embed import Encoder, ModelError
from mtcheck.align.embed_cache import FILENAME, EmbeddingCache
from mtcheck.cache import cache_dir
from mtcheck.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
FIXTURE = ROOT / "fixtures" / "istanbul-talks.garbled-mt.txt"

TEXTS = [
    "Zelensky met Erdogan in Ankara on Wednesday.",
    "The U.S. Secretary of State said the F-16 deal was signed at 12:30.",
    "  leading and trailing spaces  ",
    "x",
    "Ünïcödé café — “curly quotes” and naïve façades…",
    "Kyiv (Kiev) said 1,200 troops had withdrawn; 3.5% of the 40,000-strong force.",
    "the Ukrainian special Ukrainian biggestists reverse channel " * 3,
    "word " * 400,  # longer than the model's 256-token limit: truncated the same way
]


@pytest.fixture(scope="module")
def reference_encoder():
    return Encoder(backend="sentence-transformers")


@pytest.fixture(scope="module")
def fast_encoder():
    """ONNX Runtime fp32 on the install-time export of the bundled model."""
    enc = Encoder(backend="onnx")
    assert enc.backend == "onnx"
    return enc


def _texts() -> list[str]:
    lines = [ln for ln in FIXTURE.read_text(encoding="utf-8").splitlines() if ln.strip()]
    return TEXTS + lines[:12]


def test_onnx_backend_matches_sentence_transformers(reference_encoder, fast_encoder):
    texts = _texts()
    ours = fast_encoder.encode(texts)
    theirs = reference_encoder.encode(texts)
    assert ours.shape == theirs.shape == (len(texts), 384)
    cosine = np.sum(ours * theirs, axis=1)
    assert cosine.min() > 1 - 1e-4, cosine
    np.testing.assert_allclose(np.linalg.norm(ours, axis=1), 1.0, atol=1e-5)


def test_onnx_token_embeddings_match_sentence_transformers(reference_encoder, fast_encoder):
    texts = TEXTS[:6]
    ours = fast_encoder.token_embeddings(texts)
    theirs = reference_encoder.token_embeddings(texts)
    for text, a, b in zip(texts, ours, theirs):
        assert a.tokens == b.tokens
        assert a.offsets == b.offsets
        assert a.vectors.shape == b.vectors.shape
        assert np.sum(a.vectors * b.vectors, axis=1).min() > 1 - 1e-4
        if text.isascii():  # (the tokenizer strips accents: "é" is token "e")
            for (start, end), token in zip(a.offsets, a.tokens):
                assert text[start:end].lower() == token.removeprefix("##")


def test_encode_keeps_order_and_duplicates(fast_encoder):
    vecs = fast_encoder.encode(["b", "a", "b"])
    np.testing.assert_array_equal(vecs[0], vecs[2])
    assert not np.allclose(vecs[0], vecs[1])


def test_cache_hit_on_rerun(tmp_path):
    texts = _texts()
    first = Encoder(cache_dir=tmp_path)
    a = first.encode(texts)
    assert first.stats["encoded"] == len(set(texts))
    assert first.stats["cache_hits"] == 0
    assert (tmp_path / FILENAME).is_file()

    second = Encoder(cache_dir=tmp_path)  # a new process would see the same
    b = second.encode(texts)
    assert second.stats["encoded"] == 0
    assert second.stats["cache_hits"] == len(set(texts))
    np.testing.assert_array_equal(a, b)

    third = Encoder(cache_dir=tmp_path)
    third.encode(texts[:3] + ["a sentence never seen before"])
    assert third.stats["encoded"] == 1 and third.stats["cache_hits"] == 3


def test_in_process_memo(tmp_path):
    enc = Encoder()
    enc.encode(["one", "two"])
    enc.encode(["two", "three"])
    assert enc.stats["encoded"] == 3 and enc.stats["memo_hits"] == 1


def test_no_cache_setting_writes_nothing(tmp_path):
    settings = Settings(cache=False, cache_dir=str(tmp_path / "c"))
    assert cache_dir(settings) is None
    enc = Encoder.from_settings(settings)
    enc.encode(["nothing is cached"])
    assert enc.cache is None
    assert not (tmp_path / "c").exists()


def test_cache_dir_from_settings_and_env(tmp_path, monkeypatch):
    configured = tmp_path / "configured"
    assert cache_dir(Settings(cache_dir=str(configured))) == configured
    assert configured.is_dir()
    monkeypatch.setenv("MTCHECK_CACHE_DIR", str(tmp_path / "env"))
    assert cache_dir(Settings()) == tmp_path / "env"
    assert Encoder.from_settings(Settings()).cache_dir == tmp_path / "env"


def test_cache_size_bound_evicts_least_recently_used(tmp_path):
    cache = EmbeddingCache(tmp_path, "model-a", max_bytes=200_000)
    rng = np.random.default_rng(0)
    cache.put_many({"keep me": rng.random(384, dtype=np.float32)})
    for batch in range(20):
        cache.get_many(["keep me"])  # used again and again: stays
        cache.put_many({f"s{batch}-{i}": rng.random(384, dtype=np.float32) for i in range(20)})
    assert cache.size_bytes() <= 200_000
    assert 0 < cache.entries() < 401
    assert "keep me" in cache.get_many(["keep me"])
    assert "s0-0" not in cache.get_many(["s0-0"])


def test_cache_keys_depend_on_model(tmp_path):
    vec = np.ones(4, dtype=np.float32)
    EmbeddingCache(tmp_path, "model-a").put_many({"text": vec})
    assert EmbeddingCache(tmp_path, "model-b").get_many(["text"]) == {}
    np.testing.assert_array_equal(EmbeddingCache(tmp_path, "model-a").get_many(["text"])["text"], vec)


def test_broken_cache_file_does_not_break_encoding(tmp_path):
    (tmp_path / FILENAME).write_bytes(b"this is not a sqlite database" * 100)
    enc = Encoder(cache_dir=tmp_path)
    vecs = enc.encode(["still works"])
    assert vecs.shape == (1, 384)
    assert enc.stats["encoded"] == 1


def test_pickled_builds_once_per_key(tmp_path, monkeypatch):
    from mtcheck.cache import pickled

    monkeypatch.setenv("MTCHECK_CACHE_DIR", str(tmp_path))
    calls = []

    def build():
        calls.append(1)
        return {"parsed": [1, 2, 3]}

    assert pickled("thing", "v1", build) == {"parsed": [1, 2, 3]}
    assert pickled("thing", "v1", build) == {"parsed": [1, 2, 3]}
    assert len(calls) == 1
    pickled("thing", "v2", build)  # new inputs: rebuilt
    assert len(calls) == 2
    assert pickled("thing", "v1", build, settings=Settings(cache=False)) and len(calls) == 3


def test_unsupported_architecture_falls_back_to_sentence_transformers(tmp_path):
    import json

    from mtcheck.align.embed import default_model_path
    from mtcheck.align.onnx_encoder import supports

    src = Path(default_model_path())
    model = tmp_path / "model"
    (model / "1_Pooling").mkdir(parents=True)
    for f in src.iterdir():
        if f.is_file():
            (model / f.name).symlink_to(f)
    pooling = json.loads((src / "1_Pooling" / "config.json").read_text())
    assert supports(src) is not None

    (model / "1_Pooling" / "config.json").write_text(json.dumps(dict(pooling, pooling_mode_mean_tokens=False, pooling_mode_mean_sqrt_len_tokens=True)))
    assert supports(model) is None
    fallback = Encoder(str(model))
    assert fallback.backend == "sentence-transformers" and "BERT + pooling" in fallback.backend_note
    with pytest.raises(ModelError):
        Encoder(str(model), backend="onnx").backend  # noqa: B018

    (model / "1_Pooling" / "config.json").write_text(json.dumps(dict(pooling, pooling_mode_mean_tokens=False, pooling_mode_cls_token=True)))
    spec = supports(model)
    assert spec is not None and spec.pooling == "cls"
    # Not exported at install: exported on first use, into the cache directory.
    cls_encoder = Encoder(str(model), backend="onnx", cache_dir=tmp_path / "cache")
    ours = cls_encoder.encode(TEXTS[:4])
    assert (tmp_path / "cache" / "onnx").is_dir() and cls_encoder.backend == "onnx"
    theirs = Encoder(str(model), backend="sentence-transformers").encode(TEXTS[:4])
    assert np.sum(ours * theirs, axis=1).min() > 1 - 1e-4  # CLS pooling, same as theirs


def _transformers_states(texts):
    """Every hidden state of each text, as transformers computes it (one text at a time)."""
    import torch
    from transformers import AutoModel, AutoTokenizer

    from mtcheck.align.embed import default_model_path

    path = default_model_path()
    tokenizer = AutoTokenizer.from_pretrained(path, local_files_only=True)
    model = AutoModel.from_pretrained(path, local_files_only=True).eval()
    out = []
    for text in texts:
        enc = tokenizer(text, truncation=True, max_length=256, return_tensors="pt")
        with torch.inference_mode():
            hidden = model(**enc, output_hidden_states=True).hidden_states
        out.append(np.stack([h[0, 1:-1].numpy() for h in hidden]))  # [CLS] ... [SEP] removed
    return out


def test_token_states_match_transformers(reference_encoder):
    """Encoder.token_states (the tagger's input) = transformers' output_hidden_states."""
    texts = TEXTS[:7]
    layers = (0, 1, 3, 6)
    expected = _transformers_states(texts)
    onnx_encoder = Encoder(backend="onnx")
    onnx_encoder.want_layers((0, 6))
    onnx_encoder.encode(texts)  # the alignment pass keeps layers 0 and 6 ...
    assert onnx_encoder.token_states(texts, (6, 0))[0].layers.shape[0] == 2
    n = onnx_encoder.stats["encoded"]
    for encoder in (onnx_encoder, reference_encoder):
        states = encoder.token_states(texts, layers)
        for text, got, want in zip(texts, states, expected):
            assert got.layers.dtype == np.float32
            assert got.layers.shape == (len(layers), want.shape[1], 384)
            np.testing.assert_allclose(got.layers, want[list(layers)], atol=1e-4)
            assert got.tokens == encoder.token_embeddings([text])[0].tokens
    assert onnx_encoder.stats["encoded"] == n  # ... so token_states needed no new pass


def test_int8_encoder_is_close_and_cached_apart(tmp_path, fast_encoder):
    texts = _texts()
    int8 = Encoder(backend="onnx-int8", cache_dir=tmp_path)
    ours = int8.encode(texts)
    cosine = np.sum(ours * fast_encoder.encode(texts), axis=1)
    assert 0.97 < cosine.min() < 1 - 1e-6, cosine  # quantised: close, not equal
    assert cosine.mean() > 0.99, cosine
    fp32 = Encoder(backend="onnx", cache_dir=tmp_path)
    fp32.encode(texts[:2])
    assert fp32.stats["cache_hits"] == 0  # the int8 vectors are another model's
    assert int8.name == "all-MiniLM-L6-v2+int8" and fp32.name == "all-MiniLM-L6-v2"


def test_int8_output_does_not_depend_on_the_batch():
    """Per-token activation scales: a sentence's vector and states are the same whether it
    is encoded alone or batched (padded) with longer and shorter sentences."""
    texts = _texts()
    batched = Encoder(backend="onnx-int8")
    batched.want_layers((3, 6))
    together = batched.encode(texts)
    states = batched.token_states(texts, (3, 6))
    for i, text in enumerate(texts):
        alone = Encoder(backend="onnx-int8")
        np.testing.assert_allclose(alone.encode([text])[0], together[i], atol=2e-6)
        np.testing.assert_allclose(alone.token_states([text], (3, 6))[0].layers, states[i].layers, atol=2e-5)
    assert len({len(batched.token_embeddings([t])[0].tokens) for t in texts}) > 3  # lengths differ: padding


def test_prefetch_keeps_what_the_rules_read_even_when_the_vectors_are_cached(tmp_path):
    """The disk cache holds vectors only: a batch's prefetch still runs the pass that gives
    the token embeddings (MT205) and the tagger's layer states, once, for all texts."""
    texts = _texts()[:6]
    Encoder(backend="onnx-int8", cache_dir=tmp_path).encode(texts)  # vectors now on disk
    enc = Encoder(backend="onnx-int8", cache_dir=tmp_path)
    enc.want_layers((0, 3, 6))
    assert enc.prefetch(texts) == len(texts)  # cached vectors, no states yet: one pass
    assert enc.stats["cache_hits"] == len(texts)
    assert enc.prefetch(texts) == 0  # everything the rules read is now in the memos
    fresh = Encoder(backend="onnx-int8")
    for got, want in zip(enc.token_states(texts, (3, 6)), fresh.token_states(texts, (3, 6))):
        np.testing.assert_allclose(got.layers, want.layers, atol=2e-5)


def test_sessions_load_the_saved_optimised_graph_with_the_same_outputs(tmp_path):
    from mtcheck.align import onnx_encoder
    from mtcheck.align.embed import default_model_path

    folder = onnx_encoder.find_export(default_model_path())
    for name in (onnx_encoder.FP32, onnx_encoder.WEIGHTS, onnx_encoder.INT8):
        shutil.copy(folder / name, tmp_path / name)
    model = tmp_path / onnx_encoder.INT8
    saved = onnx_encoder.optimised_file(model)
    ids = np.array([[101, 1996, 4248, 2829, 4419, 102], [101, 7592, 102, 0, 0, 0]], dtype=np.int64)
    feed = {"input_ids": ids, "attention_mask": (ids > 0).astype(np.int64), "token_type_ids": np.zeros_like(ids)}
    first = onnx_encoder.session(model).run(None, feed)  # optimises and saves the graph
    assert saved.is_file() and not [p for p in tmp_path.iterdir() if p.suffix == ".tmp"]
    again = onnx_encoder.session(model).run(None, feed)  # loads it, optimisation off
    for a, b in zip(first, again):
        np.testing.assert_array_equal(a, b)
    saved.write_bytes(b"not a model")  # a broken file is optimised afresh, not an error
    np.testing.assert_array_equal(onnx_encoder.session(model).run(None, feed)[-1], first[-1])
    # A model file rewritten in place gets its own optimised graph; the stale one goes.
    shutil.copy(folder / onnx_encoder.INT8, model)
    os.utime(model, ns=(1, 1))
    assert onnx_encoder.optimised_file(model) != saved
    np.testing.assert_array_equal(onnx_encoder.session(model).run(None, feed)[-1], first[-1])
    graphs = sorted(p.name for p in tmp_path.glob(f"{model.stem}.ort-*.onnx"))
    assert graphs == [onnx_encoder.optimised_file(model).name]


def test_the_per_tensor_int8_model_it_replaced_is_removed(tmp_path):
    from mtcheck.align import onnx_encoder
    from mtcheck.align.embed import default_model_path

    folder = onnx_encoder.find_export(default_model_path())
    for name in (onnx_encoder.FP32, onnx_encoder.WEIGHTS, onnx_encoder.INT8):
        shutil.copy(folder / name, tmp_path / name)
    legacy = tmp_path / onnx_encoder.LEGACY_INT8
    legacy.write_bytes(b"old")
    (tmp_path / "model-int8.ort-1.0.onnx").write_bytes(b"old graph")
    assert onnx_encoder.ensure_int8(tmp_path, quiet=True) == tmp_path / onnx_encoder.INT8
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        (onnx_encoder.FP32, onnx_encoder.WEIGHTS, onnx_encoder.INT8))


def test_default_encoder_is_int8_for_the_bundled_model_only(tmp_path):
    """auto: int8 for the bundled model (measured: README "The encoder"), fp32 for --model."""
    from mtcheck.align.embed import auto_onnx, default_model_path

    default = Encoder()
    assert default.backend == "onnx-int8"
    np.testing.assert_array_equal(default.encode(TEXTS[:2]), Encoder(backend="onnx-int8").encode(TEXTS[:2]))
    assert default.name.endswith("+int8")
    assert auto_onnx(default_model_path()) == "onnx"


def test_int8_token_states_stay_close_to_transformers():
    """int8's own bound on the tagger's input: every token's state within 0.95 cosine of
    transformers' fp32 state at each layer the tagger reads, 0.99 on average."""
    texts = TEXTS[:7]
    expected = _transformers_states(texts)
    states = Encoder(backend="onnx-int8").token_states(texts, (0, 3, 6))
    for got, want in zip(states, expected):
        want = want[[0, 3, 6]]
        cos = np.sum(got.layers * want, -1) / (np.linalg.norm(got.layers, axis=-1) * np.linalg.norm(want, axis=-1))
        assert cos.min() > 0.95 and cos.mean() > 0.99, cos.round(3)


def test_unknown_backend_is_an_input_error():
    with pytest.raises(ModelError, match="choose one of auto, onnx, onnx-int8, sentence-transformers"):
        Encoder(backend="numpy")


def test_prefetch_serves_later_calls_from_memory():
    enc = Encoder()
    assert enc.prefetch(["p one", "p two", "p one"]) == 2
    enc.encode(["p two"])
    enc.token_embeddings(["p one"])
    assert enc.stats["encoded"] == 2 and enc.stats["memo_hits"] == 1


def test_hot_path_never_imports_torch(tmp_path):
    import subprocess
    import sys

    code = ("import sys; from mtcheck.align.embed import Encoder; e = Encoder(); "
            "e.encode(['a b']); e.token_states(['a b'], (0, 6)); "
            "print(e.backend, 'torch' in sys.modules, 'transformers' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["onnx-int8", "False", "False"]


def test_memo_bounds_smaller_than_one_call():
    """A long document's tokens outgrow the bounded memos within one call: every text
    still gets its token embeddings and states (a 64k-word check once got None)."""
    enc = Encoder()
    enc._tok_memo.max_bytes = enc._state_memo.max_bytes = 1  # keeps nothing
    texts = TEXTS[:5]
    embs = enc.token_embeddings(texts)
    states = enc.token_states(texts, (0, 6))
    assert all(e is not None and len(e.tokens) for e in embs)
    assert [s.tokens for s in states] == [e.tokens for e in embs]
    assert all(s.layers.shape == (2, len(s.tokens), 384) for s in states)


def test_layer_states_kept_only_for_texts_that_may_be_read():
    # The aligner's joins of two sentences are encoded with states=False: their layer
    # states would only fill the bounded memo (in a batch worker, 256 MB of them).
    enc = Encoder(layers=(3, 6))
    enc.encode(["The talks began in Istanbul."])
    enc.encode(["Putin did not come. Zelensky did."], states=False)
    assert enc._state_memo.get("The talks began in Istanbul.") is not None
    assert enc._state_memo.get("Putin did not come. Zelensky did.") is None
    # asked for later all the same, they are computed then, exactly
    (late,) = enc.token_states(["Putin did not come. Zelensky did."], layers=(3, 6))
    assert late.layers.shape[0] == 2 and late.layers.shape[1] == len(late.tokens)
