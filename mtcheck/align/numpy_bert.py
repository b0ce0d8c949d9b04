"""A numpy-only forward pass for BERT sentence-transformers models (all-MiniLM-L6-v2).

Why: importing torch + transformers + sentence-transformers costs 3-6 s and ~400 MB
before the first sentence is embedded, for a 22M-parameter model whose forward pass is
a dozen matrix products. This module reads the same files sentence-transformers reads
(``modules.json``, ``sentence_bert_config.json``, ``1_Pooling/config.json``,
``config.json``, ``tokenizer.json``, ``model.safetensors``) and computes the same
embeddings (same tokenizer via the ``tokenizers`` library, same BERT encoder, same
pooling and normalisation) with numpy only. ``tests/test_embed.py`` checks it against
sentence-transformers' own output (cosine within 1e-4).

Only what the model files say is supported: a plain ``BertModel`` with absolute position
embeddings and GELU, followed by a ``Pooling`` module (mean, CLS or max) and optionally
``Normalize``. :func:`supports` says whether a model directory qualifies; the Encoder falls
back to sentence-transformers for anything else.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

ST = "sentence_transformers.models."
_POOLING_MODES = ("pooling_mode_cls_token", "pooling_mode_mean_tokens", "pooling_mode_max_tokens")
_DTYPES = {"F32": np.float32, "F16": np.float16, "I64": np.int64}


def _read_json(path: Path) -> dict | list | None:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


@dataclass(frozen=True)
class ModelSpec:
    """What the model directory says about the architecture, when this module can run it."""

    path: Path
    max_seq_length: int
    pooling: str  # "mean" | "cls" | "max"
    normalize: bool
    layers: int
    heads: int
    eps: float


def supports(path: str | Path) -> ModelSpec | None:
    """The model's spec if this module computes exactly what sentence-transformers would."""
    path = Path(path)
    modules = _read_json(path / "modules.json")
    config = _read_json(path / "config.json")
    if not isinstance(modules, list) or not isinstance(config, dict):
        return None
    if not (path / "tokenizer.json").is_file() or not (path / "model.safetensors").is_file():
        return None
    types = [m.get("type", "").rsplit(".", 1)[-1] for m in modules]
    if types not in (["Transformer", "Pooling"], ["Transformer", "Pooling", "Normalize"]):
        return None
    if modules[0].get("path", "") not in ("", "."):
        return None
    if config.get("model_type") != "bert" or config.get("hidden_act", "gelu") != "gelu":
        return None
    if config.get("position_embedding_type", "absolute") != "absolute":
        return None
    st_config = _read_json(path / "sentence_bert_config.json") or {}
    if st_config.get("do_lower_case"):
        return None  # sentence-transformers would lower-case before the tokenizer
    pooling_cfg = _read_json(path / modules[1]["path"] / "config.json")
    if not isinstance(pooling_cfg, dict):
        return None
    on = [k for k, v in pooling_cfg.items() if k.startswith("pooling_mode") and v]
    if len(on) != 1 or on[0] not in _POOLING_MODES or pooling_cfg.get("include_prompt") is False:
        return None
    max_len = min(
        int(st_config.get("max_seq_length") or config.get("max_position_embeddings", 512)),
        int(config.get("max_position_embeddings", 512)),
    )
    return ModelSpec(
        path=path,
        max_seq_length=max_len,
        pooling={"pooling_mode_cls_token": "cls", "pooling_mode_mean_tokens": "mean",
                 "pooling_mode_max_tokens": "max"}[on[0]],
        normalize=types[-1] == "Normalize",
        layers=int(config["num_hidden_layers"]),
        heads=int(config["num_attention_heads"]),
        eps=float(config.get("layer_norm_eps", 1e-12)),
    )


def load_safetensors(path: Path) -> dict[str, np.ndarray]:
    """Memory-map every tensor of a ``.safetensors`` file (no copy, read on first use).

    The format is an 8-byte little-endian header length, a JSON header mapping names to
    ``dtype``/``shape``/``data_offsets``, then the raw little-endian data.
    """
    with path.open("rb") as fh:
        n = int.from_bytes(fh.read(8), "little")
        header = json.loads(fh.read(n))
    raw = np.memmap(path, dtype=np.uint8, mode="r")
    base = 8 + n
    tensors = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        start, end = info["data_offsets"]
        dtype = _DTYPES[info["dtype"]]
        tensors[name] = raw[base + start : base + end].view(dtype).reshape(info["shape"])
    return tensors


def _layer_norm_(x: np.ndarray, weight: np.ndarray, bias: np.ndarray, eps: float) -> np.ndarray:
    """LayerNorm over the last axis, in place."""
    x -= x.mean(-1, keepdims=True)
    var = np.einsum("ij,ij->i", x, x)[:, None]
    var *= np.float32(1.0 / x.shape[-1])
    var += np.float32(eps)
    np.sqrt(var, out=var)
    np.reciprocal(var, out=var)
    x *= var
    x *= weight
    x += bias
    return x


_ERF_P = np.float32(0.3275911)
_ERF_A = [np.float32(a) for a in (1.061405429, -1.453152027, 1.421413741, -0.284496736, 0.254829592)]


def _gelu_(x: np.ndarray) -> np.ndarray:
    """Exact (erf) GELU, as BERT uses, in place: ``x * Phi(x)``.

    ``erfc(z) = poly(t) * exp(-z*z)``, ``t = 1 / (1 + p*z)``: Abramowitz & Stegun 7.1.26,
    absolute error below 1.5e-7. ``z`` is clipped at 6 (``erfc(6)`` is 0 in float32) so
    that ``exp`` never returns subnormal floats, which x86 handles ~100x slower.
    """
    z = np.abs(x)
    z *= np.float32(1 / np.sqrt(2))
    np.minimum(z, np.float32(6.0), out=z)
    t = z * _ERF_P
    t += np.float32(1.0)
    np.reciprocal(t, out=t)
    poly = t * _ERF_A[0]
    for a in _ERF_A[1:]:
        poly += a
        poly *= t
    np.square(z, out=z)
    np.negative(z, out=z)
    np.exp(z, out=z)
    z *= poly  # erfc(|x| / sqrt 2)
    z *= np.float32(0.5)  # Phi(-|x|)
    np.subtract(np.float32(0.5), z, out=z)
    np.copysign(z, x, out=z)
    z += np.float32(0.5)  # Phi(x)
    x *= z
    return x


#: Rows (tokens) per chunk of the feed-forward block: its 1,536-wide activations then stay
#: in the CPU cache through GELU's dozen element-wise passes.
FFN_CHUNK = 128


class NumpyBert:
    """Tokenizer + BERT encoder + pooling of one model directory, in numpy."""

    def __init__(self, spec: ModelSpec, engine: str = "numpy"):
        from tokenizers import Tokenizer

        self.spec = spec
        self.engine = engine  # "numpy", or "torch": the same computation with torch ops
        self._torch_layers = None
        tok = Tokenizer.from_file(str(spec.path / "tokenizer.json"))
        tok.no_padding()  # tokenizer.json may carry its own fixed padding/truncation
        tok.enable_truncation(max_length=spec.max_seq_length)
        self.tokenizer = tok
        w = load_safetensors(spec.path / "model.safetensors")
        if any(k.startswith("bert.") for k in w):
            w = {k[5:]: v for k, v in w.items() if k.startswith("bert.")}
        self.word = w["embeddings.word_embeddings.weight"]
        self.position = w["embeddings.position_embeddings.weight"]
        self.token_type = np.asarray(w["embeddings.token_type_embeddings.weight"][0], dtype=np.float32)
        self.emb_ln = (w["embeddings.LayerNorm.weight"], w["embeddings.LayerNorm.bias"])
        self.layers = []
        for i in range(spec.layers):
            p = f"encoder.layer.{i}."
            a = p + "attention."
            qkv_w = np.concatenate(
                [w[a + f"self.{n}.weight"] for n in ("query", "key", "value")], axis=0
            ).T.copy()
            qkv_b = np.concatenate([w[a + f"self.{n}.bias"] for n in ("query", "key", "value")])
            self.layers.append(
                (
                    qkv_w,
                    qkv_b,
                    np.ascontiguousarray(w[a + "output.dense.weight"].T),
                    np.asarray(w[a + "output.dense.bias"]),
                    (np.asarray(w[a + "output.LayerNorm.weight"]), np.asarray(w[a + "output.LayerNorm.bias"])),
                    np.ascontiguousarray(w[p + "intermediate.dense.weight"].T),
                    np.asarray(w[p + "intermediate.dense.bias"]),
                    np.ascontiguousarray(w[p + "output.dense.weight"].T),
                    np.asarray(w[p + "output.dense.bias"]),
                    (np.asarray(w[p + "output.LayerNorm.weight"]), np.asarray(w[p + "output.LayerNorm.bias"])),
                )
            )
        self.hidden = self.word.shape[1]

    def tokenize(self, texts: list[str]):
        return self.tokenizer.encode_batch(list(texts))

    def embed(self, ids: np.ndarray) -> np.ndarray:
        """The embedding layer: word + position + token type, layer-normed, (b*n, hidden)."""
        b, n = ids.shape
        x = self.word[ids] + self.position[:n] + self.token_type
        return _layer_norm_(x.astype(np.float32).reshape(b * n, self.hidden), *self.emb_ln, self.spec.eps)

    def hidden_states(self, ids: np.ndarray, mask: np.ndarray, collect: list | None = None) -> np.ndarray:
        """Last hidden states, shape (batch, length, hidden), for padded ids and mask.

        With ``collect``, every layer's output (embedding layer first) is appended to it.
        """
        if self.engine == "torch" and collect is None:
            return self.hidden_states_torch(ids, mask)
        spec = self.spec
        b, n = ids.shape
        x = self.embed(ids).reshape(b, n, self.hidden)
        if collect is not None:
            collect.append(x.copy())
        h = spec.heads
        d = self.hidden // h
        scale = np.float32(1 / np.sqrt(d))
        # Padding gets no attention: a large negative logit, then an exact 0 weight.
        keep = mask[:, None, None, :].astype(np.float32)
        bias = (1.0 - keep) * np.float32(-1e4)
        for qkv_w, qkv_b, o_w, o_b, ln1, i_w, i_b, f_w, f_b, ln2 in self.layers:
            x2 = x.reshape(b * n, self.hidden)
            qkv = x2 @ qkv_w
            qkv += qkv_b
            qkv = qkv.reshape(b, n, 3, h, d).transpose(2, 0, 3, 1, 4)  # 3, b, h, n, d
            q, k, v = qkv[0], qkv[1], qkv[2]
            scores = (q * scale) @ k.transpose(0, 1, 3, 2)
            scores += bias
            scores -= scores.max(-1, keepdims=True)
            # Weights below exp(-30) count for nothing next to the largest (1); clipping
            # there keeps the products in `scores @ v` out of subnormal floats, which
            # x86 computes ~100x slower.
            np.maximum(scores, np.float32(-30.0), out=scores)
            np.exp(scores, out=scores)
            scores *= keep
            scores /= scores.sum(-1, keepdims=True)
            ctx = (scores @ v).transpose(0, 2, 1, 3).reshape(b * n, self.hidden)
            attn = ctx @ o_w
            attn += o_b
            attn += x2
            x2 = _layer_norm_(attn, *ln1, spec.eps)
            out = np.empty_like(x2)
            for r in range(0, b * n, FFN_CHUNK):
                rows = x2[r : r + FFN_CHUNK]
                inter = rows @ i_w
                inter += i_b
                chunk = np.matmul(_gelu_(inter), f_w, out=out[r : r + FFN_CHUNK])
                chunk += f_b
                chunk += rows
                _layer_norm_(chunk, *ln2, spec.eps)
            x = out.reshape(b, n, self.hidden)
            if collect is not None:
                collect.append(x.copy())
        return x

    def hidden_states_torch(self, ids: np.ndarray, mask: np.ndarray) -> np.ndarray:
        """:meth:`hidden_states` with torch's fused kernels (GELU, layer norm, attention).

        Imports torch (about 1 s) but not transformers or sentence-transformers (4-5 s);
        for long batch runs, where torch's kernels beat numpy's element-wise passes.
        """
        import torch
        import torch.nn.functional as F

        spec, hid = self.spec, self.hidden
        if self._torch_layers is None:
            def t(a):
                return torch.from_numpy(np.array(a, dtype=np.float32))  # writable copy

            self._torch_layers = [
                tuple((t(a[0]), t(a[1])) if isinstance(a, tuple) else t(a) for a in layer)
                for layer in self.layers
            ]
        b, n = ids.shape
        h = spec.heads
        with torch.inference_mode():
            x = torch.from_numpy(self.embed(ids))
            keep = torch.from_numpy(mask > 0)[:, None, None, :]
            for qkv_w, qkv_b, o_w, o_b, ln1, i_w, i_b, f_w, f_b, ln2 in self._torch_layers:
                qkv = torch.addmm(qkv_b, x, qkv_w).view(b, n, 3, h, hid // h).permute(2, 0, 3, 1, 4)
                ctx = F.scaled_dot_product_attention(qkv[0], qkv[1], qkv[2], attn_mask=keep)
                ctx = ctx.transpose(1, 2).reshape(b * n, hid)
                x2 = F.layer_norm(torch.addmm(o_b, ctx, o_w) + x, (hid,), ln1[0], ln1[1], spec.eps)
                inter = F.gelu(torch.addmm(i_b, x2, i_w))
                x = F.layer_norm(torch.addmm(f_b, inter, f_w) + x2, (hid,), ln2[0], ln2[1], spec.eps)
            return x.view(b, n, hid).numpy()

    @staticmethod
    def pad(encodings) -> tuple[np.ndarray, np.ndarray]:
        n = max(len(e.ids) for e in encodings)
        ids = np.zeros((len(encodings), n), dtype=np.int64)
        mask = np.zeros((len(encodings), n), dtype=np.float32)
        for i, e in enumerate(encodings):
            ids[i, : len(e.ids)] = e.ids
            mask[i, : len(e.ids)] = 1.0
        return ids, mask

    def pool(self, hidden: np.ndarray, mask: np.ndarray) -> np.ndarray:
        mode = self.spec.pooling
        if mode == "cls":
            out = hidden[:, 0]
        elif mode == "max":
            out = np.where(mask[:, :, None] > 0, hidden, np.finfo(np.float32).min).max(1)
        else:
            summed = (hidden * mask[:, :, None]).sum(1)
            out = summed / np.clip(mask.sum(1, keepdims=True), 1e-9, None)
        if self.spec.normalize:
            out = out / np.clip(np.linalg.norm(out, axis=1, keepdims=True), 1e-12, None)
        return out.astype(np.float32)

    def encode(self, texts: list[str], batch_size: int = 32) -> np.ndarray:
        """Sentence embeddings, one row per text, in input order."""
        return self.forward(texts, batch_size)[0]

    def forward(
        self, texts: list[str], batch_size: int = 32, tokens: bool = False
    ) -> tuple[np.ndarray, list | None]:
        """Sentence embeddings and, with ``tokens``, each text's token outputs.

        Token outputs are ``(encoding, vectors)``: the tokenizer's Encoding and the
        L2-normalised last hidden state of every non-padding token (special tokens
        included). Texts are batched by token length, as sentence-transformers does, so
        that little work is spent on padding; batches run on :func:`threads` threads
        (numpy releases the GIL in matrix products and element-wise loops).
        """
        encodings = self.tokenize(texts)
        out = np.zeros((len(texts), self.hidden), dtype=np.float32)
        per_text: list | None = [None] * len(texts) if tokens else None

        def run(idx: list[int]) -> None:
            ids, mask = self.pad([encodings[i] for i in idx])
            hidden = self.hidden_states(ids, mask)
            out[idx] = self.pool(hidden, mask)
            if per_text is not None:
                hidden /= np.clip(np.linalg.norm(hidden, axis=-1, keepdims=True), 1e-12, None)
                for b, i in enumerate(idx):
                    per_text[i] = (encodings[i], hidden[b, : len(encodings[i].ids)].copy())

        workers = threads()
        if self.engine == "torch":
            import torch

            torch.set_num_threads(workers)
            workers = 1  # torch runs each operation on all its threads
        batches = _batches([len(e.ids) for e in encodings], batch_size, workers)
        if workers > 1 and len(batches) > 1:
            from concurrent.futures import ThreadPoolExecutor

            with ThreadPoolExecutor(min(workers, len(batches))) as pool:
                list(pool.map(run, batches[::-1]))  # longest first: even finish
        else:
            for idx in batches:
                run(idx)
        return out, per_text


#: Most tokens (batch size x padded length) in one batch: bounds the attention scores'
#: memory (12 heads x length^2 floats per text).
MAX_BATCH_TOKENS = 8192


def _batches(lengths: list[int], batch_size: int, workers: int) -> list[list[int]]:
    """Text indices grouped by token length, at most ``batch_size`` texts and
    ``MAX_BATCH_TOKENS`` padded tokens a batch, and four batches per worker when there
    are enough texts: small batches pad less, and threads taking them longest first
    finish together (0.75 s instead of 1.0 s for the fixture pair's 72 texts, 2 threads)."""
    order = sorted(range(len(lengths)), key=lengths.__getitem__)
    size = max(1, min(batch_size, -(-len(order) // (4 * workers))))
    batches: list[list[int]] = []
    current: list[int] = []
    for i in order:  # lengths increase: the last text of a batch sets its padded length
        if current and (len(current) >= size or (len(current) + 1) * lengths[i] > MAX_BATCH_TOKENS):
            batches.append(current)
            current = []
        current.append(i)
    if current:
        batches.append(current)
    return batches


_THREADS: int | None = None


def threads() -> int:
    """Threads for the forward pass: ``MTCHECK_THREADS``, default every core (at most 4).

    Each thread runs whole batches with a single-threaded BLAS (set here once per
    process, with threadpoolctl). OpenBLAS's own threads spin while they wait for each
    other: on a busy 2-core machine two of them ran the forward pass 3-6x slower than
    one (measured with bench/speed.py); threads over batches degrade gracefully instead.
    ``mtcheck batch --jobs N`` gives each worker process its share of the cores.
    """
    global _THREADS
    if _THREADS is None:
        try:
            n = int(os.environ.get("MTCHECK_THREADS") or 0)
        except ValueError:
            n = 0
        _THREADS = max(1, n or min(4, os.cpu_count() or 1))
        from threadpoolctl import threadpool_limits

        threadpool_limits(1, user_api="blas")
    return _THREADS
