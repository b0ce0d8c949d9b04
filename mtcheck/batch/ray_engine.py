"""The Ray engine: chunks of pairs as Ray tasks, on this machine or on a running cluster.

Why Ray core tasks and not Ray Data's ``map_batches``: a batch here is a stream of
independent chunks whose results must come back to the driver one by one, to be written,
recorded for resume and shown on the progress bar as they finish. ``ray.wait`` on a
bounded window of task references gives exactly that, with bounded memory, and Ray's
task retries give "a worker killed mid-run costs a retry" (a task whose worker process
dies is re-run, up to ``max_retries`` times; the driver records each chunk once). Ray
Data would add pyarrow and pandas to the install, move rows through Arrow blocks the
reports do not need, and hand results back only through ``iter_batches`` or a datasink.
The "load the encoder once per worker" that a callable class gives ``map_batches`` is
had here too: a Ray worker process is reused across tasks, and the task sets itself up
once per process (:func:`mtcheck.batch.task.ensure_worker`).

With no address, a local Ray runtime is started on this machine (``num_cpus`` = ``--jobs``
if given, else all cores) and stopped at the end; if this process already runs one (a
test, a notebook) it is used as is. With ``--ray-address`` the driver joins a running
cluster (``ray start --head`` on the head node, or KubeRay) and only disconnects at the
end. The cluster's workers need mtcheck installed (the same version); they read and write
no files: the driver sends each pair's text and writes the reports it gets back.
"""

from __future__ import annotations

import logging
from typing import Callable, Iterator

from mtcheck.batch.task import Outcome, Task, WorkerConfig, error_outcome, run_chunk

#: Task re-runs after its worker process died (killed, out of memory, node lost).
MAX_RETRIES = 3


class RayUnavailable(RuntimeError):
    """Ray is not installed, or the cluster cannot be reached (exit 2)."""


def _chunk_task(config: WorkerConfig, tasks: list[Task]) -> list[Outcome]:
    return run_chunk(config, tasks)


def start(address: str | None, jobs: int | None) -> Callable[[], None]:
    """Connect (or start a local runtime); returns the function that ends it."""
    try:
        import ray
    except ImportError:  # pragma: no cover - ray is a dependency
        raise RayUnavailable("--engine ray needs the ray package (pip install ray)") from None
    if ray.is_initialized():
        return lambda: None  # the caller's runtime: leave it running
    kwargs = dict(logging_level=logging.WARNING, log_to_driver=False, configure_logging=True)
    if address:
        _reachable(address)  # ray.init would retry an unreachable address for minutes
    try:
        if address:
            ray.init(address=address, **kwargs)
        else:
            ray.init(address="local", num_cpus=jobs, include_dashboard=False, **kwargs)
    except (ConnectionError, RuntimeError, ValueError) as exc:
        where = f"the Ray cluster at {address}" if address else "a local Ray runtime"
        raise RayUnavailable(f"cannot start or join {where}: {str(exc).splitlines()[0]}") from None
    return ray.shutdown


def _reachable(address: str, timeout: float = 5.0) -> None:
    """Fail fast when a ``HOST:PORT`` address has nothing listening."""
    import socket

    host, sep, port = address.rpartition(":")
    if not sep or not port.isdigit() or "://" in address:
        return  # "auto", ray://..., or another form: leave it to Ray
    try:
        socket.create_connection((host.strip("[]"), int(port)), timeout=timeout).close()
    except OSError as exc:
        raise RayUnavailable(
            f"cannot join the Ray cluster at {address}: nothing answers there ({exc.strerror or exc}); "
            "start it with `ray start --head` or check the address"
        ) from None


def run(chunks: Iterator[list[Task]], config: WorkerConfig, jobs: int | None, deliver) -> None:
    """Run every chunk as a Ray task; ``deliver(outcome)`` for each pair, as chunks finish.

    At most two chunks per worker slot are in flight, so the driver holds a bounded window
    of inputs and results however long the input is.
    """
    import dataclasses

    import ray

    # One CPU per task, so one encoder thread per worker (the local pool splits cores too).
    config = dataclasses.replace(config, threads=config.threads or 1)
    remote = ray.remote(num_cpus=1, max_retries=MAX_RETRIES, retry_exceptions=False)(_chunk_task)
    slots = jobs or max(1, int(ray.cluster_resources().get("CPU", 1)))
    config_ref = ray.put(config)
    pending: dict = {}

    def collect() -> None:
        ready, _ = ray.wait(list(pending), num_returns=1)
        for ref in ready:
            chunk = pending.pop(ref)
            try:
                outcomes = ray.get(ref)
            except Exception as exc:  # noqa: BLE001 - retries exhausted: these pairs are errors
                reason = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
                outcomes = [error_outcome(t, f"worker failed: {type(exc).__name__}: {reason}") for t in chunk]
            for outcome in outcomes:
                deliver(outcome)

    try:
        for chunk in chunks:
            pending[remote.options(name="mtcheck-chunk").remote(config_ref, chunk)] = chunk
            while len(pending) >= 2 * slots:
                collect()
        while pending:
            collect()
    except BaseException:
        for ref in pending:
            ray.cancel(ref, force=True)
        raise
