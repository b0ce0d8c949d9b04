"""On-disk cache of LanguageTool answers, so a re-run of the same article asks nothing.

One JSON file per checked chunk, named by the SHA-256 of everything the answer depends
on: the chunk's text, the language, the request parameters, and the server's identity
(its URL, or the local LanguageTool version). Files live under
``<mtcheck cache dir>/languagetool/`` (see :mod:`mtcheck.cache`). Answers with
``warnings.incompleteResults`` are never stored. A cache that cannot be read or written
is skipped silently: it only saves time.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

#: Bump when the stored shape or the request changes, to ignore older entries.
CACHE_VERSION = 1


def cache_key(text: str, language: str, server: str, params: dict[str, str]) -> str:
    """Hex SHA-256 naming the answer to ``text`` checked in ``language`` by ``server``."""
    blob = json.dumps(
        {"v": CACHE_VERSION, "server": server, "language": language, "params": params, "text": text},
        sort_keys=True,
        ensure_ascii=False,
    )
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


class ResponseCache:
    """LanguageTool JSON answers stored by :func:`cache_key`."""

    def __init__(self, root: str | Path):
        self.dir = Path(root) / "languagetool"

    def _path(self, key: str) -> Path:
        return self.dir / key[:2] / f"{key}.json"

    def get(self, key: str) -> dict | None:
        try:
            data = json.loads(self._path(key).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        return data if isinstance(data, dict) and isinstance(data.get("matches"), list) else None

    def put(self, key: str, answer: dict) -> None:
        path = self._path(key)
        tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp.write_text(json.dumps(answer, ensure_ascii=False), encoding="utf-8")
            os.replace(tmp, path)  # atomic: a reader never sees half a file
        except OSError:
            pass  # a read-only or full disk only costs a re-check next time
