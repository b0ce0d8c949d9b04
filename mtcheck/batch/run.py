"""``run_batch``: stream the pairs, skip those already reported, hand the rest to an
engine, record each result as it arrives, then write the summary and index."""

from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterator

from mtcheck.batch.inputs import REF_SUFFIX, MT_SUFFIX, BatchInput, BatchInputError, Pair
from mtcheck.batch.local import run_parallel
from mtcheck.batch.summary import build_summary, write_outputs
from mtcheck.batch.task import Task, _base_entry, fingerprint, init_worker, run_task, safe_name, settings_fingerprint
from mtcheck.settings import Settings

LOG_NAME = ".mtcheck-batch.jsonl"


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
            run_parallel(tasks(), settings, out, html, jobs, record)
    except KeyboardInterrupt:
        interrupted = True
    finally:
        log.close()

    elapsed = time.perf_counter() - t0
    done_entries = [e for e in entries if e is not None]
    summary = build_summary(source, settings, done_entries, total, started, elapsed, interrupted)
    write_outputs(out, summary)
    return BatchResult(summary, summary["exit_code"], interrupted)
