"""The three batch inputs (a folder of pairs, a CSV/JSONL manifest, two line-aligned
files), read as a stream of :class:`Pair`; see :mod:`mtcheck.batch` for their formats."""

from __future__ import annotations

import csv
import json
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterator

REF_SUFFIX, MT_SUFFIX = ".ref.txt", ".mt.txt"
MANIFEST_SUFFIXES = (".csv", ".jsonl", ".ndjson")


class BatchInputError(ValueError):
    """The batch input as a whole cannot be read (exit 2); ``str(err)`` is one line."""


@dataclass
class Pair:
    """One pair to check: each side a path (read in the worker) or inline text."""

    id: str
    reference: str  # label: the path, or "manifest.csv#ID/reference"
    candidate: str
    reference_text: str | None = None
    candidate_text: str | None = None
    reference_path: str | None = None
    candidate_path: str | None = None
    aligned: bool = False
    error: str | None = None  # the pair is broken before it is read (missing partner...)


@dataclass
class BatchInput:
    kind: str  # "directory" | "manifest" | "lines"
    path: str
    candidate: str | None
    pairs: Callable[[], Iterator[Pair]]  # a fresh iterator on each call (streamed)


def open_input(path: str, candidate: str | None = None, doc_ids: str | None = None) -> BatchInput:
    """Recognise the input kind and check that it can be read (BatchInputError if not)."""
    p = Path(path)
    if not p.exists():
        raise BatchInputError(f"{path}: no such file or directory")
    if candidate is not None or doc_ids is not None:
        if candidate is None:
            raise BatchInputError("--doc-ids needs two line-aligned files: INPUT CANDIDATE")
        for f in (path, candidate, doc_ids):
            if f is not None and not Path(f).is_file():
                raise BatchInputError(f"{f}: no such file")
        _check_lines(path, candidate, doc_ids)  # one streaming pass: fail before any work
        return BatchInput("lines", path, candidate, lambda: _line_pairs(path, candidate, doc_ids))
    if p.is_dir():
        return BatchInput("directory", path, None, lambda: _dir_pairs(p))
    suffix = p.suffix.lower()
    if suffix in MANIFEST_SUFFIXES:
        reader = _csv_rows if suffix == ".csv" else _jsonl_rows
        next(iter(reader(p)), None)  # header / first line problems: exit 2 now
        return BatchInput("manifest", path, None, lambda: _manifest_pairs(p, reader))
    raise BatchInputError(
        f"{path}: expected a folder of NAME{REF_SUFFIX} + NAME{MT_SUFFIX} pairs, a manifest "
        f"(.csv or .jsonl), or two line-aligned files INPUT CANDIDATE"
    )


def _dir_pairs(root: Path) -> Iterator[Pair]:
    """Pairs of a folder; folder symlinks are not followed, and a file symlink whose target
    lies outside the folder makes its pair an error entry (a shared CI runner must not
    publish a file from elsewhere in a report)."""
    real_root = os.path.realpath(root)
    found: dict[str, dict[str, Path]] = {}
    for f in sorted(root.rglob("*.txt")):
        name = f.relative_to(root).as_posix()
        for side, suffix in (("reference", REF_SUFFIX), ("candidate", MT_SUFFIX)):
            if name.endswith(suffix) and f.is_file():
                found.setdefault(name[: -len(suffix)], {})[side] = f
    for pid, sides in sorted(found.items()):
        ref, cand = sides.get("reference"), sides.get("candidate")
        pair = Pair(
            id=pid,
            reference=str(ref or root / (pid + REF_SUFFIX)),
            candidate=str(cand or root / (pid + MT_SUFFIX)),
            reference_path=str(ref) if ref else None,
            candidate_path=str(cand) if cand else None,
        )
        if ref is None or cand is None:
            missing = pair.reference if ref is None else pair.candidate
            pair.error = f"{missing}: no such file (each {REF_SUFFIX} needs its {MT_SUFFIX} and back)"
        else:
            escaped = [f for f in (ref, cand) if not _inside(real_root, f)]
            if escaped:
                pair.error = f"{escaped[0]}: a symlink that points outside the input folder (not read)"
        yield pair


_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def printable(pid: str) -> str:
    """A pair id for people to read (report labels, the index): control characters such as
    NUL, which HTML cannot show, as ``\\xNN``. The summary keeps the id itself."""
    return _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", pid)


def _inside(real_root: str, path: Path) -> bool:
    real = os.path.realpath(path)
    return os.path.commonpath([real_root, real]) == real_root


def _csv_rows(path: Path) -> Iterator[dict]:
    try:
        with path.open(encoding="utf-8-sig", newline="") as fh:
            reader = csv.DictReader(fh)
            if not reader.fieldnames or "id" not in [f.strip() for f in reader.fieldnames]:
                raise BatchInputError(f"{path}: the CSV header must name an 'id' column")
            for row in reader:
                yield {(k or "").strip(): v for k, v in row.items()}
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise BatchInputError(f"{path}: cannot read the manifest ({exc})") from None


def _jsonl_rows(path: Path) -> Iterator[dict]:
    try:
        with path.open(encoding="utf-8-sig") as fh:
            for n, line in enumerate(fh, 1):
                if not line.strip():
                    continue
                try:
                    row = json.loads(line)
                except ValueError as exc:
                    row = {"__error__": f"{path}:{n}: not JSON ({exc.msg})"}
                except RecursionError:
                    row = {"__error__": f"{path}:{n}: not JSON (nested too deeply)"}
                if not isinstance(row, dict):
                    row = {"__error__": f"{path}:{n}: expected a JSON object"}
                row.setdefault("__line__", n)
                yield row
    except (OSError, UnicodeDecodeError) as exc:
        raise BatchInputError(f"{path}: cannot read the manifest ({exc})") from None


_TRUE = {"1", "true", "yes", "y", "on"}


def _manifest_pairs(path: Path, reader) -> Iterator[Pair]:
    base = path.parent
    for n, row in enumerate(reader(path), 1):
        line = row.pop("__line__", n)
        pid = str(row.get("id") or "").strip() or f"row-{line}"
        label = printable(pid)
        pair = Pair(id=pid, reference=f"{path}#{label}/reference", candidate=f"{path}#{label}/candidate")
        pair.aligned = str(row.get("aligned") or "").strip().lower() in _TRUE or row.get("aligned") is True
        if "__error__" in row:
            pair.error = row["__error__"]
            yield pair
            continue
        problems = []
        for side in ("reference", "candidate"):
            file_value, text_value = row.get(side), row.get(f"{side}_text")
            has_file = file_value not in (None, "")
            has_text = text_value not in (None, "")
            if has_file == has_text:
                problems.append(f"give either '{side}' (a path) or '{side}_text' (the text)")
            elif has_file:
                f = Path(str(file_value)).expanduser()
                f = f if f.is_absolute() else base / f
                setattr(pair, side, str(f))
                setattr(pair, f"{side}_path", str(f))
            else:
                setattr(pair, f"{side}_text", str(text_value))
        if not str(row.get("id") or "").strip():
            problems.insert(0, "no 'id'")
        if problems:
            pair.error = f"{path} row {line}: " + "; ".join(problems)
        yield pair


def _line_records(path: str, candidate: str, doc_ids: str | None) -> Iterator[tuple[int, str, str, str]]:
    """(line number, doc id, reference segment, candidate segment), streamed."""
    handles = [open(f, encoding="utf-8-sig", newline="") for f in (path, candidate, doc_ids) if f]
    try:
        n = 0
        while True:
            lines = [h.readline() for h in handles]
            n += 1
            ended = [not ln for ln in lines]
            if all(ended):
                return
            if any(ended):
                short = [f for f, e in zip((path, candidate, doc_ids), ended) if e][0]
                raise BatchInputError(f"{short}: has fewer lines than the other file(s) (line {n})")
            lines = [ln.rstrip("\r\n") for ln in lines]
            if doc_ids:
                yield n, lines[2].strip(), lines[0], lines[1]
                continue
            parts = [ln.split("\t", 1) for ln in lines]
            for f, pt in zip((path, candidate), parts):
                if len(pt) != 2:
                    raise BatchInputError(f"{f}:{n}: expected DOC_ID<TAB>segment (or give --doc-ids FILE)")
            if parts[0][0].strip() != parts[1][0].strip():
                raise BatchInputError(
                    f"{candidate}:{n}: document id {parts[1][0]!r} differs from {parts[0][0]!r} "
                    f"in {path}: the files are not line-aligned"
                )
            yield n, parts[0][0].strip(), parts[0][1], parts[1][1]
    except UnicodeDecodeError as exc:
        raise BatchInputError(f"line-aligned input is not valid UTF-8 ({exc.reason})") from None
    finally:
        for h in handles:
            h.close()


def _check_lines(path: str, candidate: str, doc_ids: str | None) -> None:
    count = 0
    for n, doc, _, _ in _line_records(path, candidate, doc_ids):
        if not doc:
            raise BatchInputError(f"{doc_ids or path}:{n}: empty document id")
        count += 1
    if count == 0:
        raise BatchInputError(f"{path}: no lines")


def _line_pairs(path: str, candidate: str, doc_ids: str | None) -> Iterator[Pair]:
    current, ref, cand = None, [], []
    seen: set[str] = set()

    def emit() -> Pair:
        pair = Pair(
            id=current,
            reference=f"{path}#{printable(current)}",
            candidate=f"{candidate}#{printable(current)}",
            reference_text="\n".join(ref),
            candidate_text="\n".join(cand),
            aligned=True,
        )
        if current in seen:
            pair.error = f"document id {current!r} appears again after other documents (its lines must be consecutive)"
        seen.add(current)
        return pair

    for _, doc, r, c in _line_records(path, candidate, doc_ids):
        if doc != current and current is not None:
            yield emit()
            ref, cand = [], []
        current = doc
        ref.append(r)
        cand.append(c)
    if current is not None:
        yield emit()
