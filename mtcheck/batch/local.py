"""The local engine: in this process (``--jobs 1``) or a pool of worker processes."""

from __future__ import annotations

import os
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from typing import Iterator

from mtcheck.batch.task import Task, WorkerConfig, check_chunk, error_outcome, init_worker, release_memory, run_chunk


def run(chunks: Iterator[list[Task]], config: WorkerConfig, jobs: int, deliver) -> None:
    """``deliver(outcome)`` for each pair as it finishes (``--jobs 1``: pair by pair)."""
    if jobs <= 1:
        init_worker(config)
        for chunk in chunks:
            for outcome in check_chunk(chunk):
                deliver(outcome)
            release_memory()
        return
    _run_pool(chunks, config, jobs, deliver)


def _run_pool(chunks: Iterator[list[Task]], config: WorkerConfig, jobs: int, deliver) -> None:
    """Worker processes, each with its own Encoder; at most 2 chunks queued per worker."""
    import dataclasses
    import multiprocessing

    config = dataclasses.replace(config, threads=max(1, (os.cpu_count() or 1) // jobs))
    ctx = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=jobs, mp_context=ctx, initializer=init_worker, initargs=(config,)) as pool:
        pending: dict = {}
        try:
            for chunk in chunks:
                pending[pool.submit(run_chunk, config, chunk)] = chunk
                while len(pending) >= 2 * jobs:
                    _collect(pending, deliver)
            while pending:
                _collect(pending, deliver)
        except BaseException:
            pool.shutdown(wait=False, cancel_futures=True)
            raise


def _collect(pending: dict, deliver) -> None:
    finished, _ = wait(list(pending), return_when=FIRST_COMPLETED)
    for fut in finished:
        chunk = pending.pop(fut)
        try:
            outcomes = fut.result()
        except Exception as exc:  # noqa: BLE001 - a worker died (killed, out of memory)
            outcomes = [error_outcome(t, f"worker failed: {type(exc).__name__}: {exc}") for t in chunk]
        for outcome in outcomes:
            deliver(outcome)
