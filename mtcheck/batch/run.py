"""``run_batch``: stream the pairs, skip those already reported, hand the rest to an
engine in chunks, write and record each result as it arrives, then the summary and index.

Crash safety: each report is written whole (:mod:`mtcheck.batch.output`), and its resume
record only after it; a run killed at any point (SIGKILL included) leaves complete files
and a re-run redoes exactly the pairs without a record. The output folder's lock keeps a
second run on the same folder out (one line, exit 2) until the first ends or dies.
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterator

from mtcheck.batch.inputs import MT_SUFFIX, REF_SUFFIX, BatchInput, BatchInputError, Pair
from mtcheck.batch.output import RECORDS_DIR, load_records, open_output
from mtcheck.batch.summary import build_summary, write_outputs
from mtcheck.batch.task import (
    CHUNK_PAIRS,
    Outcome,
    Task,
    WorkerConfig,
    base_entry,
    fingerprint,
    safe_name,
    settings_fingerprint,
)
from mtcheck.settings import Settings

ENGINES = ("local", "ray")


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


def _chunks(tasks: Iterator[Task], size: int) -> Iterator[list[Task]]:
    chunk: list[Task] = []
    for task in tasks:
        chunk.append(task)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def run_batch(
    source: BatchInput,
    settings: Settings,
    out_dir: str | Path,
    *,
    html: bool = False,
    jobs: int | None = None,
    force: bool = False,
    progress=None,
    engine: str | None = None,
    ray_address: str | None = None,
    chunk_size: int = CHUNK_PAIRS,
) -> BatchResult:
    """Check every pair of ``source``; write reports, summary.json and index.html.

    ``out_dir`` is a folder or an fsspec URL. ``engine`` is ``local`` (default: this
    process, or ``jobs`` worker processes) or ``ray`` (a local Ray runtime, or the cluster
    at ``ray_address``, which implies ``ray``); both default to the settings' ``engine`` /
    ``ray_address``.
    ``progress`` is called as ``progress(done, total, entry)`` after each pair (and once
    with ``entry=None`` at the start). Exit code: 0 every pair passed, 1 any pair failed
    the gate or could not be checked (an error entry).
    """
    ray_address = ray_address or settings.ray_address
    engine = engine or ("ray" if ray_address else settings.engine) or "local"
    if engine not in ENGINES:
        raise BatchInputError(f"--engine {engine}: choose one of {', '.join(ENGINES)}")
    out = open_output(out_dir)
    out.prepare()
    with out.lock():
        out.remove_temporaries()
        return _run_locked(source, settings, out, html, jobs, force, progress, engine, ray_address, chunk_size)


def _run_locked(source, settings, out, html, jobs, force, progress, engine, ray_address, chunk_size) -> BatchResult:
    from mtcheck.read import InputError

    if force:
        for rel in out.files(RECORDS_DIR):
            out.remove(rel)
    done = load_records(out)
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

    def record(seq: int, entry: dict) -> None:
        nonlocal finished
        if entries[seq] is not None:
            return  # never twice (an engine that delivered a retried chunk again)
        entries[seq] = entry
        finished += 1
        if progress:
            progress(finished, total, entry)

    def deliver(outcome: Outcome) -> None:
        """A checked pair: its reports, then its resume record, then the summary entry."""
        entry = outcome.entry
        if entries[outcome.seq] is not None:
            return
        try:
            for rel, text in outcome.files.items():
                out.write(rel, text)
            if entry["error"] is None:
                name = safe_name(entry["id"])
                out.write(f"{RECORDS_DIR}/{name}.json", json.dumps(entry, ensure_ascii=False) + "\n")
        except OSError as exc:
            entry = dict(entry, status="error", error=f"cannot write the report ({exc.strerror or exc})")
            entry.update(report=None, html=None, href=None)
        record(outcome.seq, entry)

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
                entry = base_entry(pair)
                entry["error"] = pair.error
                record(seq, entry)
                continue
            fp = fingerprint(settings_fp, pair, ref_text, cand_text)
            if fp in done:
                record(seq, dict(done[fp], resumed=True))
                continue
            yield Task(seq, pair, ref_text, cand_text, fp)

    config = WorkerConfig(settings=settings, html=html)
    if progress:
        progress(0, total, None)
    from mtcheck.detect.languagetool.server import serving

    try:
        with serving(settings):  # one local LanguageTool for every pair and worker (set before Ray starts)
            chunks = _chunks(tasks(), max(1, chunk_size))
            if engine == "ray":
                from mtcheck.batch import ray_engine

                stop = ray_engine.start(ray_address, jobs)
                try:
                    ray_engine.run(chunks, config, jobs, deliver)
                finally:
                    stop()
            else:
                from mtcheck.batch import local

                local.run(chunks, config, jobs or 1, deliver)
    except KeyboardInterrupt:
        interrupted = True

    elapsed = time.perf_counter() - t0
    done_entries = [e for e in entries if e is not None]
    summary = build_summary(source, settings, done_entries, total, started, elapsed, interrupted, engine)
    write_outputs(out, summary)
    return BatchResult(summary, summary["exit_code"], interrupted)
