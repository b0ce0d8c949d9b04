"""Where mtcheck keeps its on-disk caches (embeddings, LanguageTool results).

One directory for every cache, chosen in this order:

1. ``Settings.cache_dir`` (``cache_dir = "..."`` in the config file);
2. the ``MTCHECK_CACHE_DIR`` environment variable;
3. ``$XDG_CACHE_HOME/mtcheck``, else ``~/.cache/mtcheck``.

Each cache keeps its own file in it (``embeddings.sqlite3``, ...). ``--no-cache``
(``Settings.cache = False``) turns every cache off: then :func:`cache_dir` returns
``None`` and nothing is read or written.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ENV_VAR = "MTCHECK_CACHE_DIR"

#: Notices from the caches (a corrupt file found and rebuilt). Inside a check they go to
#: that check's own list (:func:`collecting`, opened by the pipeline for each check);
#: outside any check, here, for :func:`take_notices`. A check never reads this list, so
#: what happened before it (another check's failure, a direct use of a cache) cannot leak
#: into its report.
_NOTICES: list[str] = []
_SCOPES: list[list[str]] = []


def notice(message: str) -> None:
    """Tell the user something about a cache in the running check's report (once per message)."""
    target = _SCOPES[-1] if _SCOPES else _NOTICES
    if message not in target:
        target.append(message)


@contextmanager
def collecting() -> Iterator[list[str]]:
    """The cache notices raised inside the block, in a list of its own (one check's).

    A block opened inside another takes over the notices the outer one holds so far: a
    batch chunk's prefetch opens the cache, and its notice goes to the chunk's first check.
    """
    scope = list(_SCOPES[-1]) if _SCOPES else []
    if _SCOPES:
        _SCOPES[-1].clear()
    _SCOPES.append(scope)
    try:
        yield scope
    finally:  # by identity: two scopes may hold equal lists (both empty)
        del _SCOPES[next(k for k in range(len(_SCOPES) - 1, -1, -1) if _SCOPES[k] is scope)]


def take_notices() -> list[str]:
    """The cache notices raised outside any check since the last call.

    Every cache a check or a batch chunk opens is opened inside its scope, so the
    product's reports never need these; the tests read them after using a cache directly."""
    out = list(_NOTICES)
    _NOTICES.clear()
    return out


def default_cache_dir() -> Path:
    """The cache directory when neither the settings nor the environment name one."""
    env = os.environ.get(ENV_VAR)
    if env:
        return Path(env).expanduser()
    xdg = os.environ.get("XDG_CACHE_HOME")
    base = Path(xdg).expanduser() if xdg else Path.home() / ".cache"
    return base / "mtcheck"


def pickled(name: str, key: str, build, settings=None):
    """``build()``'s result, kept as a pickle in the cache directory under ``name``.

    For data that is slow to parse and never changes between runs of one install (e.g.
    the Hunspell dictionary: 0.43 s to parse, 0.15 s to unpickle). ``key`` names the
    inputs (library version, data file size/mtime): a different key rebuilds. Any
    problem reading or writing the pickle falls back to ``build()``. The cyclic garbage
    collector is paused meanwhile: building or unpickling creates ~10^6 objects, and its
    full passes over them would cost more than the work itself (0.7 s instead of 0.17 s
    to unpickle the dictionary).
    """
    import gc

    gc_was_on = gc.isenabled()
    gc.disable()
    try:
        return _pickled(name, key, build, settings)
    finally:
        if gc_was_on:
            gc.enable()


def _pickled(name: str, key: str, build, settings=None):
    import hashlib
    import pickle

    folder = cache_dir(settings)
    if folder is None:
        return build()
    digest = hashlib.sha256(key.encode()).hexdigest()[:16]
    path = folder / f"{name}-{digest}.pickle"
    try:
        with path.open("rb") as fh:
            return pickle.load(fh)
    except FileNotFoundError:
        pass
    except Exception as exc:  # noqa: BLE001 - stale or corrupt: rebuild
        notice(f"cache file {path} could not be read ({type(exc).__name__}); rebuilt")
    value = build()
    try:
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        with tmp.open("wb") as fh:
            pickle.dump(value, fh, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(tmp, path)
    except Exception:  # noqa: BLE001 - a cache that cannot be written is no cache
        pass
    return value


def cache_dir(settings=None, create: bool = True) -> Path | None:
    """The mtcheck cache directory for these settings (created if absent), or ``None``.

    ``None`` means caching is off (``settings.cache`` is false) or the directory cannot be
    created (read-only home, ...): callers then run without a cache rather than fail.
    """
    if settings is not None and not getattr(settings, "cache", True):
        return None
    configured = getattr(settings, "cache_dir", None) if settings is not None else None
    path = Path(configured).expanduser() if configured else default_cache_dir()
    if create:
        try:
            path.mkdir(parents=True, exist_ok=True)
        except OSError:
            return None
    return path
