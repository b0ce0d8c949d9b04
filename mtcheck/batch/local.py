"""The local engine: worker processes on this machine, each with its own Encoder."""

from __future__ import annotations

import os
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from pathlib import Path
from typing import Iterator

from mtcheck.batch.task import Task, _base_entry, init_worker, run_task


def run_parallel(tasks: Iterator[Task], settings, out: Path, html: bool, jobs: int, record) -> None:
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
