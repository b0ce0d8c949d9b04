"""Where a batch writes: a local folder, or an fsspec URL (``s3://bucket/run``, ``memory://``).

Only the driver (the ``mtcheck batch`` process) writes; workers return rendered reports,
so a Ray cluster's workers need no access to the output store. Every file goes in whole:

- **a local folder** (also ``file://``): through :func:`mtcheck.report.atomic_write`
  (a temporary file in the same folder, then a rename). A symlink planted where a report
  goes is removed first, and a report whose real path would leave the folder is refused,
  so a hostile pair id or a symlinked ``pairs/`` can never write elsewhere. A lock
  (``.mtcheck-batch.lock``, an ``flock`` through the filelock package, released by the
  kernel even when the process is killed) keeps a second run on the same folder out.
- **another fsspec URL**: one ``pipe_file`` per file. On an object store (S3, GCS, Azure)
  a PUT is atomic: the object appears whole or not at all. Object stores have no lock:
  give each concurrent run its own prefix.

Resume records: one small JSON file per checked pair under ``.mtcheck-batch/``, written
after the pair's reports; a pair is skipped on a re-run only if its record and every
report it names are there.
"""

from __future__ import annotations

import json
import os
import re
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

LOCK_NAME = ".mtcheck-batch.lock"
RECORDS_DIR = ".mtcheck-batch"
_TEMP = re.compile(r"^\..+\.tmp$")  # atomic_write's temporary files (".NAME.XXXX.tmp")


class OutputError(OSError):
    """The output store cannot be used (exit 2); ``str(err)`` is one line."""


class OutputBusy(OutputError):
    """Another batch run holds the output folder's lock."""


def open_output(target: str | os.PathLike) -> "LocalOutput | FsspecOutput":
    """A local folder for paths and ``file://`` URLs, an fsspec store for other URLs."""
    text = os.fspath(target)
    if "://" not in text:
        return LocalOutput(Path(text))
    import fsspec
    from fsspec.implementations.local import LocalFileSystem

    try:
        fs, root = fsspec.core.url_to_fs(text)
    except (ImportError, ValueError) as exc:  # unknown protocol, or its package missing
        raise OutputError(f"{text}: cannot open the output URL ({exc})") from None
    if isinstance(fs, LocalFileSystem):
        return LocalOutput(Path(root), label=text)
    return FsspecOutput(fs, root.rstrip("/"), label=text)


class LocalOutput:
    def __init__(self, root: Path, label: str | None = None):
        self.root = root
        self.label = label or str(root)
        self.local = root

    def display(self, rel: str) -> str:
        return str(self.root / rel)

    def prepare(self) -> None:
        self.root.mkdir(parents=True, exist_ok=True)

    @contextmanager
    def lock(self) -> Iterator[None]:
        from filelock import FileLock, Timeout

        lock = FileLock(str(self.root / LOCK_NAME), timeout=0)
        try:
            lock.acquire()
        except Timeout:
            raise OutputBusy(
                f"{self.label}: another mtcheck batch is writing to this folder "
                f"(it holds {LOCK_NAME}); wait for it to finish or use another --out-dir"
            ) from None
        try:
            yield
        finally:
            lock.release()

    def _target(self, rel: str) -> Path:
        path = self.root / rel
        if path.is_symlink():  # never write through a link planted in the output folder
            path.unlink()
        real_root = os.path.realpath(self.root)
        real = os.path.realpath(path)
        if os.path.commonpath([real_root, real]) != real_root:
            raise OutputError(f"{path}: the report path leaves the output folder {self.root}")
        return path

    def write(self, rel: str, text: str) -> None:
        from mtcheck.report import atomic_write

        path = self.root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write(self._target(rel), text)

    def read(self, rel: str) -> str | None:
        try:
            return (self.root / rel).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            return None

    def files(self, folder: str) -> set[str]:
        """Names of the regular files directly in ``folder`` (relative paths)."""
        try:
            with os.scandir(self.root / folder) as it:
                return {f"{folder}/{e.name}" for e in it if e.is_file(follow_symlinks=False)}
        except OSError:
            return set()

    def read_all(self, rels: list[str]) -> dict[str, str]:
        return {rel: text for rel in rels if (text := self.read(rel)) is not None}

    def remove(self, rel: str) -> None:
        try:
            (self.root / rel).unlink()
        except FileNotFoundError:
            pass

    def remove_temporaries(self) -> int:
        """Temporary files left by a run that was killed mid-write (call under the lock)."""
        removed = 0
        for folder in (self.root, self.root / "pairs", self.root / RECORDS_DIR):
            try:
                names = [e.name for e in os.scandir(folder) if e.is_file(follow_symlinks=False)]
            except OSError:
                continue
            for name in names:
                if _TEMP.match(name):
                    (folder / name).unlink(missing_ok=True)
                    removed += 1
        return removed


class FsspecOutput:
    local = None

    def __init__(self, fs, root: str, label: str):
        self.fs, self.root, self.label = fs, root, label

    def _path(self, rel: str) -> str:
        return f"{self.root}/{rel}"

    def display(self, rel: str) -> str:
        return f"{self.label.rstrip('/')}/{rel}"

    def prepare(self) -> None:
        try:
            self.fs.makedirs(self.root, exist_ok=True)
        except OSError as exc:
            raise OutputError(f"{self.label}: cannot create ({exc})") from None

    @contextmanager
    def lock(self) -> Iterator[None]:
        yield  # object stores have no lock: one run per prefix (README)

    def write(self, rel: str, text: str) -> None:
        self.fs.pipe_file(self._path(rel), text.encode("utf-8"))

    def read(self, rel: str) -> str | None:
        try:
            return self.fs.cat_file(self._path(rel)).decode("utf-8")
        except (OSError, UnicodeDecodeError):
            return None

    def files(self, folder: str) -> set[str]:
        try:
            found = self.fs.find(self._path(folder))
        except OSError:
            return set()
        prefix = self.fs._strip_protocol(self.root).rstrip("/") + "/"
        return {p[len(prefix):] if p.startswith(prefix) else p for p in found}

    def read_all(self, rels: list[str]) -> dict[str, str]:
        if not rels:
            return {}
        got = self.fs.cat([self._path(r) for r in rels], on_error="omit")  # batched on async stores
        by_path = {self.fs._strip_protocol(p): data for p, data in got.items()}
        out = {}
        for rel in rels:
            data = by_path.get(self.fs._strip_protocol(self._path(rel)))
            if data is not None:
                out[rel] = data.decode("utf-8", "replace")
        return out

    def remove(self, rel: str) -> None:
        try:
            self.fs.rm_file(self._path(rel))
        except FileNotFoundError:
            pass

    def remove_temporaries(self) -> int:
        return 0  # nothing is written through a temporary object


def load_records(out) -> dict[str, dict]:
    """Entries already reported (fingerprint -> entry) whose report files are all there."""
    rels = sorted(out.files(RECORDS_DIR))
    present = out.files("pairs")
    done: dict[str, dict] = {}
    for rel, text in out.read_all([r for r in rels if r.endswith(".json")]).items():
        try:
            entry = json.loads(text)
        except ValueError:
            continue
        if not isinstance(entry, dict) or not entry.get("fingerprint"):
            continue
        files = [entry.get("report"), entry.get("html")]
        if all(f in present for f in files if f):
            done[entry["fingerprint"]] = entry
    return done
