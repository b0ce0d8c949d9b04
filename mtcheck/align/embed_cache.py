"""On-disk cache of sentence embeddings, keyed by model identity and sentence text.

A re-run over the same articles (a batch resumed, the same reference checked against a
new translation, an editor re-checking after a fix) does not re-embed sentences it has
seen. The cache is one SQLite file, ``embeddings.sqlite3``, in the mtcheck cache
directory (:func:`mtcheck.cache.cache_dir`), holding float32 vectors.

- **Key**: SHA-256 of the model identity (its resolved path, its config files and the
  size and modification time of its weights) and the exact sentence text. A changed
  model never reads another model's vectors.
- **Size bound**: ``MTCHECK_EMBED_CACHE_MB`` megabytes (default 256, about 160,000
  sentences of all-MiniLM-L6-v2). Past the bound the least recently used tenth is
  dropped (each hit refreshes an entry's last-used time).
- Safe for several processes at once (``mtcheck batch --jobs N``): WAL journal and a
  busy timeout. Any SQLite problem (locked too long, read-only disk) turns the cache off
  for the rest of the run with no effect on the results.
- A **corrupt or truncated** file (SQLite says "not a database" or "malformed") is moved
  aside as ``embeddings.sqlite3.corrupt`` and a new cache is built in its place, with a
  notice in the report; a stored vector of the wrong size or with non-finite values is
  treated as a miss and re-embedded.
"""

from __future__ import annotations

import hashlib
import os
import sqlite3
import time
from pathlib import Path

import numpy as np

FILENAME = "embeddings.sqlite3"
DEFAULT_MAX_MB = 256
_CHUNK = 500  # keys per SELECT ... IN (...)
_MODEL_FILES = (
    "modules.json",
    "config.json",
    "sentence_bert_config.json",
    "config_sentence_transformers.json",
    "1_Pooling/config.json",
    "tokenizer.json",
)
_WEIGHTS = ("model.safetensors", "pytorch_model.bin")


def model_identity(path: str | Path) -> str:
    """A digest naming one model exactly: path, config files, weights size and mtime."""
    path = Path(path).resolve()
    h = hashlib.sha256(str(path).encode())
    for name in _MODEL_FILES:
        try:
            h.update(name.encode() + b"\0" + (path / name).read_bytes())
        except OSError:
            h.update(name.encode() + b"\0-")
    for name in _WEIGHTS:
        try:
            st = (path / name).stat()
            h.update(f"{name}:{st.st_size}:{st.st_mtime_ns}".encode())
        except OSError:
            pass
    return h.hexdigest()


def max_bytes_from_env() -> int:
    try:
        mb = float(os.environ.get("MTCHECK_EMBED_CACHE_MB", DEFAULT_MAX_MB))
    except ValueError:
        mb = DEFAULT_MAX_MB
    return int(mb * 1024 * 1024)


def _corrupt(exc: sqlite3.Error) -> bool:
    """Whether SQLite says the file is damaged (not merely locked or read-only)."""
    code = getattr(exc, "sqlite_errorcode", None)
    if code is not None:
        return code & 0xFF in (sqlite3.SQLITE_CORRUPT, sqlite3.SQLITE_NOTADB)
    text = str(exc).lower()
    return "not a database" in text or "malformed" in text


def _vector(blob, dim) -> np.ndarray | None:
    """A stored vector, or None when the row is damaged (wrong size, not finite)."""
    if not isinstance(blob, bytes) or not isinstance(dim, int) or len(blob) != 4 * dim or dim <= 0:
        return None
    arr = np.frombuffer(blob, dtype=np.float32)
    return arr if np.isfinite(arr).all() else None


class EmbeddingCache:
    """Get and put float32 vectors by (model, text) in one SQLite file."""

    def __init__(self, directory: str | Path, model_id: str, max_bytes: int | None = None):
        self.path = Path(directory) / FILENAME
        self.model_id = model_id.encode()
        self.max_bytes = max_bytes_from_env() if max_bytes is None else max_bytes
        self.hits = 0
        self.misses = 0
        self._db: sqlite3.Connection | None = None
        self._broken = False
        self._rebuilt = False

    # ------------------------------------------------------------------ plumbing
    def _conn(self) -> sqlite3.Connection | None:
        if self._broken:
            return None
        if self._db is None:
            try:
                return self._connect()
            except sqlite3.Error as exc:
                if not _corrupt(exc) or self._rebuilt:
                    self._broken = True
                    return None
                self._rebuild(exc)
                try:
                    return self._connect()
                except sqlite3.Error:
                    self._broken = True
                    return None
        return self._db

    def _rebuild(self, exc: sqlite3.Error) -> None:
        """Move a corrupt cache file aside (with its WAL files) and say so in the report."""
        from mtcheck.cache import notice

        self.close()
        self._rebuilt = True
        aside = self.path.with_name(self.path.name + ".corrupt")
        try:
            os.replace(self.path, aside)
        except OSError:
            aside = None
        for suffix in ("-wal", "-shm"):
            try:
                os.unlink(f"{self.path}{suffix}")
            except OSError:
                pass
        kept = f"; the old file is kept as {aside}" if aside else ""
        notice(f"embedding cache {self.path} was corrupt ({exc}): rebuilt, results unaffected{kept}")

    def _connect(self) -> sqlite3.Connection:
        db = sqlite3.connect(self.path, timeout=10.0, isolation_level=None)
        try:
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=NORMAL")
            db.execute(
                "CREATE TABLE IF NOT EXISTS emb ("
                " key BLOB PRIMARY KEY, dim INTEGER NOT NULL, vec BLOB NOT NULL,"
                " used REAL NOT NULL) WITHOUT ROWID"
            )
            db.execute("CREATE INDEX IF NOT EXISTS emb_used ON emb(used)")
            db.execute("SELECT count(*) FROM emb").fetchone()  # a truncated file fails here
        except sqlite3.Error:
            db.close()
            raise
        self._db = db
        return db

    def _fail(self) -> None:
        self._broken = True
        self.close()

    def close(self) -> None:
        if self._db is not None:
            try:
                self._db.close()
            except sqlite3.Error:
                pass
            self._db = None

    def key(self, text: str) -> bytes:
        return hashlib.sha256(self.model_id + b"\0" + text.encode("utf-8", "surrogatepass")).digest()

    # ------------------------------------------------------------------ API
    def get_many(self, texts: list[str]) -> dict[str, np.ndarray]:
        """Cached vectors for those of ``texts`` that are in the cache."""
        db = self._conn()
        if db is None or not texts:
            return {}
        keys = {self.key(t): t for t in dict.fromkeys(texts)}
        found: dict[str, np.ndarray] = {}
        klist = list(keys)
        try:
            for i in range(0, len(klist), _CHUNK):
                chunk = klist[i : i + _CHUNK]
                marks = ",".join("?" * len(chunk))
                for key, dim, vec in db.execute(
                    f"SELECT key, dim, vec FROM emb WHERE key IN ({marks})", chunk
                ):
                    arr = _vector(vec, dim)
                    if arr is not None:
                        found[keys[key]] = arr
            if found:
                now = time.time()
                db.executemany(
                    "UPDATE emb SET used = ? WHERE key = ?",
                    [(now, self.key(t)) for t in found],
                )
        except sqlite3.Error as exc:
            if _corrupt(exc) and not self._rebuilt:
                self._rebuild(exc)  # the next put_many fills the new file
            else:
                self._fail()
            return {}
        self.hits += len(found)
        self.misses += len(keys) - len(found)
        return found

    def put_many(self, items: dict[str, np.ndarray]) -> None:
        """Store vectors, then evict least recently used entries past the size bound."""
        db = self._conn()
        if db is None or not items:
            return
        now = time.time()
        rows = [
            (self.key(t), int(v.shape[0]), np.ascontiguousarray(v, dtype=np.float32).tobytes(), now)
            for t, v in items.items()
        ]
        try:
            db.execute("BEGIN IMMEDIATE")
            db.executemany("INSERT OR REPLACE INTO emb (key, dim, vec, used) VALUES (?, ?, ?, ?)", rows)
            self._evict(db)
            db.execute("COMMIT")
        except sqlite3.Error:
            try:
                db.execute("ROLLBACK")
            except sqlite3.Error:
                pass
            self._fail()

    def size_bytes(self) -> int:
        """Bytes of live data in the cache file (free pages not counted)."""
        db = self._conn()
        if db is None:
            return 0
        (pages,) = db.execute("PRAGMA page_count").fetchone()
        (free,) = db.execute("PRAGMA freelist_count").fetchone()
        (size,) = db.execute("PRAGMA page_size").fetchone()
        return (pages - free) * size

    def entries(self) -> int:
        db = self._conn()
        return 0 if db is None else db.execute("SELECT count(*) FROM emb").fetchone()[0]

    def _evict(self, db: sqlite3.Connection) -> None:
        if self.size_bytes() <= self.max_bytes:
            return
        (count,) = db.execute("SELECT count(*) FROM emb").fetchone()
        drop = max(1, count // 10)
        # Drop the least recently used tenth, more if one tenth is not enough.
        while count and self.size_bytes() > self.max_bytes * 0.9:
            db.execute(
                "DELETE FROM emb WHERE key IN (SELECT key FROM emb ORDER BY used LIMIT ?)", (drop,)
            )
            count -= drop
