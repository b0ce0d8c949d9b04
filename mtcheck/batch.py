"""Batch runs: check many article pairs, one report each, plus a summary and an index.

Orchestration only (like :mod:`mtcheck.pipeline`, which checks each pair); the typer
command is in :mod:`mtcheck.cli_batch`.

Inputs (:func:`open_input`):

- **a directory**: every ``NAME.ref.txt`` (reference) with its ``NAME.mt.txt``
  (candidate), searched recursively; the pair's id is ``NAME`` with its sub-folder
  (``2024/story-1``). A file without its partner is an error entry.
- **a manifest**, ``.csv`` (header row) or ``.jsonl`` (one object a line), with ``id``
  and, for each side, either ``reference`` / ``candidate``: a file path, relative to the
  manifest's folder, or ``reference_text`` / ``candidate_text``: the article itself.
  An optional ``aligned`` column (true/false) checks that pair line-aligned.
- **two line-aligned files**, ``INPUT CANDIDATE``: line i of one is the translation of
  line i of the other (as sacrebleu expects), each line ``DOC_ID<TAB>segment``. Lines
  with the same id, one after the other, form one document; each document pair is
  checked line-aligned (``--aligned``). With ``--doc-ids FILE`` both files are plain
  text, one segment a line, and line i of FILE holds the id of line i. A report's
  offsets are then into the document's segments joined with newlines.

Outputs in the output folder: ``pairs/ID.json`` (schema ``mtcheck.report/1``),
``pairs/ID.html`` with ``--html``, ``summary.json`` (schema ``mtcheck.batch/1``,
``mtcheck/report/schema/batch.schema.json``) and ``index.html``. Each pair's reports are
written atomically, then recorded in ``.mtcheck-batch.jsonl``; a re-run skips every pair
recorded there with the same inputs and settings (resume after an interruption), unless
``force``. Pairs that could not be checked are error entries; the batch goes on.
"""

from __future__ import annotations

import csv
import dataclasses
import hashlib
import json
import os
import re
import time
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable, Iterator

from mtcheck import __version__
from mtcheck.settings import Settings

SCHEMA_ID = "mtcheck.batch/1"
REF_SUFFIX, MT_SUFFIX = ".ref.txt", ".mt.txt"
LOG_NAME = ".mtcheck-batch.jsonl"
PAIRS_DIR = "pairs"
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


# ----------------------------------------------------------------------------- inputs
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
        yield pair


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
        pair = Pair(id=pid, reference=f"{path}#{pid}/reference", candidate=f"{path}#{pid}/candidate")
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
            reference=f"{path}#{current}",
            candidate=f"{candidate}#{current}",
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


# ----------------------------------------------------------------------------- naming
def safe_name(pid: str) -> str:
    """File name for a pair id: kept when already safe, else sanitised plus a short hash."""
    clean = re.sub(r"[^A-Za-z0-9._-]+", "_", pid).strip("._")[:100] or "pair"
    if clean != pid:
        clean += "-" + hashlib.sha1(pid.encode("utf-8", "surrogatepass")).hexdigest()[:8]
    return clean


def settings_fingerprint(settings: Settings) -> str:
    data = dataclasses.asdict(settings)
    for key in ("cache", "cache_dir"):
        data.pop(key, None)
    for key in ("glossary", "suppressions", "baseline"):
        f = data.get(key)
        if f:  # the file's content counts, not only its name
            try:
                data[key] = [f, hashlib.sha256(Path(f).read_bytes()).hexdigest()]
            except OSError:
                pass
    return json.dumps([__version__, data], sort_keys=True, default=str)


def fingerprint(settings_fp: str, pair: Pair, ref_text: str, cand_text: str) -> str:
    h = hashlib.sha256()
    for part in (settings_fp, pair.id, str(pair.aligned), pair.reference, pair.candidate, ref_text, cand_text):
        h.update(part.encode("utf-8", "surrogatepass") + b"\0")
    return h.hexdigest()


# ----------------------------------------------------------------------------- worker
_WORKER: dict = {}


def init_worker(settings: Settings, out_dir: str, html: bool, threads: int | None = None) -> None:
    """Set up one worker (also used in-process for --jobs 1): settings and one Encoder."""
    if threads:  # read by the numpy encoder (MTCHECK_THREADS) and torch (OMP_NUM_THREADS)
        for var in ("MTCHECK_THREADS", "OMP_NUM_THREADS"):
            os.environ[var] = str(threads)
    from mtcheck.align.embed import Encoder

    _WORKER.update(settings=settings, out_dir=Path(out_dir), html=html, encoder=Encoder.from_settings(settings))


@dataclass
class Task:
    seq: int
    pair: Pair
    reference_text: str
    candidate_text: str
    fingerprint: str


def _base_entry(pair: Pair) -> dict:
    return {
        "id": pair.id,
        "name": pair.id,
        "status": "error",
        "resumed": False,
        "reference": pair.reference,
        "candidate": pair.candidate,
        "report": None,
        "html": None,
        "href": None,
        "passed": None,
        "quality": None,
        "penalty": None,
        "per_1000_words": None,
        "words": None,
        "findings": 0,
        "counts": {"minor": 0, "major": 0, "critical": 0},
        "parallel": None,
        "metrics": None,
        "sentences": None,
        "seconds": 0.0,
        "error": None,
        "fingerprint": None,
    }


def run_task(task: Task) -> dict:
    """Check one pair, write its reports atomically, return its summary entry."""
    from mtcheck.cli import known_errors
    from mtcheck.pipeline import check_documents
    from mtcheck.report import atomic_write, emitter
    from mtcheck.types import SEVERITIES, Document

    t0 = time.perf_counter()
    pair = task.pair
    entry = _base_entry(pair)
    entry["fingerprint"] = task.fingerprint
    settings: Settings = _WORKER["settings"]
    if pair.aligned and not settings.aligned:
        settings = dataclasses.replace(settings, aligned=True)
    out_dir: Path = _WORKER["out_dir"]
    try:
        report = check_documents(
            Document(path=pair.reference, text=task.reference_text),
            Document(path=pair.candidate, text=task.candidate_text),
            settings,
            _WORKER["encoder"],
        )
        rendered = {"json": emitter("json")(report)}
        if _WORKER["html"]:
            rendered["html"] = emitter("html")(report)
    except known_errors() as exc:
        entry["error"] = str(exc)
        return entry
    except Exception as exc:  # noqa: BLE001 - one broken pair must not stop the batch
        entry["error"] = f"internal error: {type(exc).__name__}: {exc}"
        return entry
    name = safe_name(pair.id)
    try:
        for fmt, text in rendered.items():
            rel = f"{PAIRS_DIR}/{name}.{fmt}"
            atomic_write(out_dir / rel, text)
            entry["report" if fmt == "json" else fmt] = rel
    except OSError as exc:
        entry["error"] = f"cannot write the report ({exc.strerror or exc})"
        return entry
    score = report.score
    entry.update(
        status="passed" if score.passed else "failed",
        href=entry["html"] or entry["report"],
        passed=score.passed,
        quality=score.quality,
        penalty=score.penalty,
        per_1000_words=score.per_1000_words,
        words=score.words,
        findings=len(report.findings),
        counts={s: sum(f.severity == s for f in report.findings) for s in SEVERITIES},
        parallel=report.parallel.is_parallel,
        metrics={k: getattr(report.metrics, k) for k in ("bleu", "chrf", "ter", "similarity")},
        sentences={"reference": len(report.reference.sentences), "candidate": len(report.candidate.sentences)},
        seconds=round(time.perf_counter() - t0, 4),
    )
    return entry


# ----------------------------------------------------------------------------- the run
@dataclass
class BatchResult:
    summary: dict
    exit_code: int
    interrupted: bool = False


def _read_side(pair: Pair, side: str) -> str:
    from mtcheck.read import decode, read_document

    text = getattr(pair, f"{side}_text")
    if text is not None:
        return decode(text.encode("utf-8", "surrogatepass"), getattr(pair, side))
    return read_document(getattr(pair, f"{side}_path")).text


def _same_file(a: str | None, b: str | None) -> bool:
    try:
        return bool(a and b) and os.path.samefile(a, b)
    except OSError:
        return False


def _load_log(path: Path, out_dir: Path) -> dict[str, dict]:
    """Entries already done (fingerprint -> entry) whose reports are still on disk."""
    done: dict[str, dict] = {}
    try:
        with path.open(encoding="utf-8") as fh:
            for line in fh:
                try:
                    entry = json.loads(line)
                except ValueError:
                    continue  # a line cut by an interruption
                files = [entry.get("report"), entry.get("html")]
                if entry.get("fingerprint") and all((out_dir / f).is_file() for f in files if f):
                    done[entry["fingerprint"]] = entry
    except OSError:
        pass
    return done


def run_batch(
    source: BatchInput,
    settings: Settings,
    out_dir: str | Path,
    *,
    html: bool = False,
    jobs: int = 1,
    force: bool = False,
    progress=None,
) -> BatchResult:
    """Check every pair of ``source``; write reports, summary.json and index.html.

    ``progress`` is called as ``progress(done, total, entry)`` after each pair (and once
    with ``entry=None`` at the start). Exit code: 0 every pair passed, 1 any pair failed
    the gate or could not be checked (an error entry).
    """
    from mtcheck.read import InputError

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    log_path = out / LOG_NAME
    if force:
        log_path.unlink(missing_ok=True)
    done = _load_log(log_path, out)
    settings_fp = settings_fingerprint(settings) + f"|html={html}"  # --html added: redo
    total = sum(1 for _ in source.pairs())
    if total == 0:
        raise BatchInputError(
            f"{source.path}: no pairs found"
            + (f" (expected NAME{REF_SUFFIX} with NAME{MT_SUFFIX})" if source.kind == "directory" else "")
        )
    started = datetime.now(timezone.utc)
    t0 = time.perf_counter()
    entries: list[dict | None] = [None] * total
    finished = 0
    interrupted = False

    log = log_path.open("a", encoding="utf-8")

    def record(seq: int, entry: dict, fresh: bool) -> None:
        nonlocal finished
        entries[seq] = entry
        finished += 1
        if fresh and entry["error"] is None:
            log.write(json.dumps(entry, ensure_ascii=False) + "\n")
            log.flush()
        if progress:
            progress(finished, total, entry)

    def tasks() -> Iterator[Task]:
        """Pairs still to check; reading errors, duplicates and resumed pairs are recorded here."""
        ids: set[str] = set()
        names: dict[str, str] = {}
        for seq, pair in enumerate(source.pairs()):
            if pair.error is None and pair.id in ids:
                pair.error = f"duplicate id {pair.id!r}"
            elif pair.error is None and names.setdefault(safe_name(pair.id), pair.id) != pair.id:
                pair.error = f"id {pair.id!r} gives the same file name as id {names[safe_name(pair.id)]!r}"
            ids.add(pair.id)
            if pair.error is None and _same_file(pair.reference_path, pair.candidate_path):
                pair.error = f"{pair.candidate}: the same file was given as reference and candidate"
            if pair.error is None:
                try:
                    ref_text, cand_text = _read_side(pair, "reference"), _read_side(pair, "candidate")
                except InputError as exc:
                    pair.error = str(exc)
            if pair.error is not None:
                entry = _base_entry(pair)
                entry["error"] = pair.error
                record(seq, entry, fresh=False)
                continue
            fp = fingerprint(settings_fp, pair, ref_text, cand_text)
            if fp in done:
                entry = dict(done[fp], resumed=True)
                record(seq, entry, fresh=False)
                continue
            yield Task(seq, pair, ref_text, cand_text, fp)

    if progress:
        progress(0, total, None)
    try:
        if jobs <= 1:
            init_worker(settings, str(out), html)
            for task in tasks():
                record(task.seq, run_task(task), fresh=True)
        else:
            _run_parallel(tasks(), settings, out, html, jobs, record)
    except KeyboardInterrupt:
        interrupted = True
    finally:
        log.close()

    elapsed = time.perf_counter() - t0
    done_entries = [e for e in entries if e is not None]
    summary = _summary(source, settings, done_entries, total, started, elapsed, interrupted)
    _write_outputs(out, summary)
    return BatchResult(summary, summary["exit_code"], interrupted)


def _run_parallel(tasks: Iterator[Task], settings, out: Path, html: bool, jobs: int, record) -> None:
    """Worker processes, each with its own Encoder; at most 2 pairs queued per worker."""
    import multiprocessing

    threads = max(1, (os.cpu_count() or 1) // jobs)
    ctx = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(
        max_workers=jobs, mp_context=ctx, initializer=init_worker, initargs=(settings, str(out), html, threads)
    ) as pool:
        pending: dict = {}
        try:
            for task in tasks:
                pending[pool.submit(run_task, task)] = task
                while len(pending) >= 2 * jobs:
                    _collect(pending, record, FIRST_COMPLETED)
            while pending:
                _collect(pending, record, FIRST_COMPLETED)
        except BaseException:
            pool.shutdown(wait=False, cancel_futures=True)
            raise


def _collect(pending: dict, record, when) -> None:
    finished, _ = wait(list(pending), return_when=when)
    for fut in finished:
        task = pending.pop(fut)
        try:
            entry = fut.result()
        except Exception as exc:  # noqa: BLE001 - a worker died (killed, out of memory)
            entry = _base_entry(task.pair)
            entry["error"] = f"worker failed: {type(exc).__name__}: {exc}"
        record(task.seq, entry, fresh=True)


def _summary(source, settings, entries, total, started, elapsed, interrupted) -> dict:
    counts = {
        "pairs": total,
        "checked": len(entries),
        "passed": sum(e["status"] == "passed" for e in entries),
        "failed": sum(e["status"] == "failed" for e in entries),
        "errors": sum(e["status"] == "error" for e in entries),
        "resumed": sum(bool(e.get("resumed")) for e in entries),
    }
    sentences = sum(sum((e.get("sentences") or {}).values()) for e in entries if not e.get("resumed"))
    ok = counts["passed"] == total
    return {
        "schema": SCHEMA_ID,
        "tool": {"name": "mtcheck", "version": __version__},
        "input": {"kind": source.kind, "path": source.path, "candidate": source.candidate},
        "settings": {
            "model": settings.model or "all-MiniLM-L6-v2",
            "aligned": settings.aligned,
            "select": settings.select,
            "ignore": settings.ignore,
            "grammar": settings.grammar,
            "weights": settings.weights,
            "fail_on": settings.fail_on,
            "max_penalty": settings.max_penalty,
            "min_quality": settings.min_quality,
            "suppressions": settings.suppressions,
        },
        "complete": not interrupted and len(entries) == total,
        "passed": ok,
        "exit_code": 0 if ok else 1,
        "counts": counts,
        "started": started.isoformat(timespec="seconds"),
        "seconds": round(elapsed, 3),
        "sentences_checked": sentences,
        "sentences_per_second": round(sentences / elapsed, 1) if elapsed > 0 else None,
        "pairs": entries,
    }


def _write_outputs(out: Path, summary: dict) -> None:
    from mtcheck.report import atomic_write

    atomic_write(out / "summary.json", json.dumps(summary, ensure_ascii=False, indent=2) + "\n")
    try:
        from mtcheck.report.html import render_index
    except ImportError:  # pragma: no cover - the HTML emitter is part of the package
        return
    title = f"mtcheck batch: {Path(summary['input']['path']).name}"
    atomic_write(out / "index.html", render_index(summary["pairs"], title=title))

