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


def _answer(data) -> bool:
    """Whether ``data`` has the shape of LanguageTool's ``/v2/check`` answer where it is read."""
    if not isinstance(data, dict) or not isinstance(data.get("matches"), list):
        return False
    return all(
        isinstance(m, dict)
        and all(isinstance(m.get(k), int) and not isinstance(m.get(k), bool) and m[k] >= 0 for k in ("offset", "length"))
        for m in data["matches"]
    )


class ResponseCache:
    """LanguageTool JSON answers stored by :func:`cache_key`."""

    def __init__(self, root: str | Path):
        self.dir = Path(root) / "languagetool"

    def _path(self, key: str) -> Path:
        return self.dir / key[:2] / f"{key}.json"

    def get(self, key: str) -> dict | None:
        """The stored answer, or None. A corrupt or truncated entry is removed (with a
        notice in the report), so the answer is asked again and stored afresh."""
        path = self._path(key)
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except OSError:
            return None
        except (ValueError, RecursionError) as exc:
            return self._drop(path, f"not JSON: {exc.__class__.__name__}")
        if not _answer(data):
            return self._drop(path, "not a LanguageTool answer")
        return data

    def _drop(self, path: Path, why: str) -> None:
        from mtcheck.cache import notice

        try:
            path.unlink()
        except OSError:
            pass
        notice(f"LanguageTool cache entry {path} was corrupt ({why}): asked again and rebuilt")
        return None

    def put(self, key: str, answer: dict) -> None:
        path = self._path(key)
        tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp.write_text(json.dumps(answer, ensure_ascii=False), encoding="utf-8")
            os.replace(tmp, path)  # atomic: a reader never sees half a file
        except OSError:
            pass  # a read-only or full disk only costs a re-check next time
