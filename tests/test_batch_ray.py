"""`mtcheck batch --engine ray`: a real Ray runtime (no mocks), against the local engine.

Marked ``ray``: a local runtime with ``num_cpus=2`` is started once for the module (about
8 s on the shared machine); the ``--ray-address`` test starts its own ``ray start --head``
on 127.0.0.1 and stops it (only the processes it started: its own process group).
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from batch_data import MT, MT2, REF, REF2, SAME
from mtcheck.batch import open_input, run_batch
from mtcheck.settings import Settings

pytestmark = pytest.mark.ray
ray = pytest.importorskip("ray")

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(autouse=True)
def _env(tmp_path, monkeypatch):
    monkeypatch.setenv("MTCHECK_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("CI", "1")


@pytest.fixture(scope="module")
def ray_runtime():
    """A local Ray runtime started by the test, two CPUs; run_batch joins it."""
    if ray.is_initialized():
        ray.shutdown()
    ray.init(address="local", num_cpus=2, include_dashboard=False, log_to_driver=False)
    yield
    ray.shutdown()


def _manifest(path: Path, extra: list[dict] | None = None) -> Path:
    rows = [
        {"id": "same", "reference_text": SAME, "candidate_text": SAME},
        {"id": "talks", "reference_text": REF, "candidate_text": MT},
        {"id": "bad", "reference_text": REF, "candidate_text": "   \n"},  # empty: an error entry
        {"id": "rates", "reference_text": REF2, "candidate_text": MT2},
        {"id": "sub/../<b>odd</b>", "reference_text": REF2, "candidate_text": MT},
    ] + (extra or [])
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


_VOLATILE = {"seconds", "timings", "started", "sentences_per_second", "engine", "resumed"}


def _strip(value):
    """Drop what may differ between two runs of the same pairs (timings, dates)."""
    if isinstance(value, dict):
        return {k: _strip(v) for k, v in value.items() if k not in _VOLATILE}
    if isinstance(value, list):
        return [_strip(v) for v in value]
    return value


def _reports(out: Path) -> dict[str, dict]:
    return {p.name: _strip(json.loads(p.read_text(encoding="utf-8"))) for p in sorted((out / "pairs").glob("*.json"))}


def _summary(out: Path) -> dict:
    return json.loads((out / "summary.json").read_text(encoding="utf-8"))


def _local_reference(tmp_path: Path, manifest: Path, chunk_size: int = 8) -> Path:
    out = tmp_path / "local"
    run_batch(open_input(str(manifest)), Settings(grammar=False), out, engine="local", chunk_size=chunk_size)
    return out


def test_ray_gives_the_local_engines_summary_reports_and_exit_code(tmp_path, ray_runtime):
    manifest = _manifest(tmp_path / "m.jsonl")
    local = _local_reference(tmp_path, manifest, chunk_size=2)
    seen = []
    # file:// URL output, chunks of 2 pairs: results stream back chunk by chunk.
    result = run_batch(
        open_input(str(manifest)),
        Settings(grammar=False),
        f"file://{tmp_path / 'ray'}",
        engine="ray",
        chunk_size=2,
        progress=lambda done, total, entry: seen.append((done, total, entry and entry["id"])),
    )
    ray_out = tmp_path / "ray"
    assert _strip(_summary(ray_out)) == _strip(_summary(local))
    assert _summary(ray_out)["engine"] == "ray" and _summary(local)["engine"] == "local"
    assert result.exit_code == 1  # a bad pair and failed ones, as with the local engine
    by_id = {e["id"]: e for e in _summary(ray_out)["pairs"]}
    assert by_id["bad"]["status"] == "error" and by_id["rates"]["status"] in ("passed", "failed")
    assert _reports(ray_out) == _reports(local)  # per-pair JSON identical, timings aside
    assert len(_reports(ray_out)) == 4
    assert seen[0] == (0, 5, None) and [d for d, _, _ in seen] == list(range(6))
    assert (ray_out / "index.html").is_file()


def test_ray_resume_skips_reported_pairs(tmp_path, ray_runtime):
    manifest = _manifest(tmp_path / "m.jsonl")
    out = tmp_path / "out"
    run_batch(open_input(str(manifest)), Settings(grammar=False), out, engine="ray")
    first = {p.name: p.stat().st_mtime_ns for p in (out / "pairs").glob("*.json")}
    _manifest(tmp_path / "m.jsonl", extra=[{"id": "new", "reference_text": REF, "candidate_text": MT2}])
    run_batch(open_input(str(manifest)), Settings(grammar=False), out, engine="ray")
    summary = _summary(out)
    assert summary["counts"]["resumed"] == 4 and summary["counts"]["checked"] == 6
    assert {p.name: p.stat().st_mtime_ns for p in (out / "pairs").glob("*.json") if p.name in first} == first
    assert [e["id"] for e in summary["pairs"]].count("new") == 1


def test_ray_writes_to_an_fsspec_store_through_the_driver(tmp_path, ray_runtime):
    """memory:// lives in this process only: it works because the workers write nothing."""
    import fsspec

    manifest = _manifest(tmp_path / "m.jsonl")
    root = f"/mtcheck-ray-{os.getpid()}"
    run_batch(open_input(str(manifest)), Settings(grammar=False), f"memory://{root}", engine="ray", html=True)
    fs = fsspec.filesystem("memory")
    summary = json.loads(fs.cat_file(f"{root}/summary.json"))
    assert summary["engine"] == "ray" and summary["counts"]["checked"] == 5
    names = [p.rsplit("/", 1)[1] for p in fs.find(f"{root}/pairs")]
    assert len(names) == 8 and {"same.json", "same.html", "rates.json", "talks.html"} <= set(names)
    assert json.loads(fs.cat_file(f"{root}/pairs/same.json"))["schema"] == "mtcheck.report/1"
    fs.rm(root, recursive=True)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _cli(*args: str, env_extra: dict | None = None) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=str(ROOT), CI="1", **(env_extra or {}))
    return subprocess.run(
        [sys.executable, "-m", "mtcheck", "batch", *args, "--no-grammar"],
        env=env, capture_output=True, text=True, timeout=300,
    )


def _auth_env() -> dict[str, str]:
    """Ray's token authentication as a user joining a secured cluster sets it up: the mode
    and the cluster's token in the environment of the head and of the driver (a driver
    given an explicit address sends a token only with RAY_AUTH_MODE=token). A token of the
    test's own: nothing else on the machine can lock the driver out."""
    import secrets

    return {"RAY_AUTH_MODE": "token", "RAY_AUTH_TOKEN": secrets.token_hex(32)}


def test_ray_address_joins_a_running_cluster(tmp_path):
    """`ray start --head` on 127.0.0.1, started here and stopped here (its process group)."""
    if ray.is_initialized():
        ray.shutdown()  # this process must not hold the module's runtime while the CLI joins
    manifest = _manifest(tmp_path / "m.jsonl")
    local = _local_reference(tmp_path, manifest)
    port = _free_port()
    ray_bin = Path(sys.executable).with_name("ray")
    auth = _auth_env()
    env = dict(os.environ, PYTHONPATH=str(ROOT), **auth)
    head = subprocess.Popen(
        [str(ray_bin), "start", "--head", "--block", "--node-ip-address", "127.0.0.1", "--port", str(port),
         "--num-cpus", "2", "--include-dashboard", "false", "--disable-usage-stats"],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True,
    )
    try:
        deadline = time.time() + 90
        while time.time() < deadline:  # the head is up when its GCS port answers
            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", port)) == 0:
                    break
            assert head.poll() is None, head.stderr.read().decode()
            time.sleep(0.5)
        out = tmp_path / "cluster"
        result = _cli(str(manifest), "-o", str(out), "--ray-address", f"127.0.0.1:{port}", env_extra=auth)  # one option
        assert result.returncode == 1, result.stderr
        assert "[5/5]" in result.stderr  # plain progress lines, as with the local engine
        assert _summary(out)["engine"] == "ray"
        assert _strip(_summary(out)) == _strip(_summary(local))
        assert _reports(out) == _reports(local)
    finally:
        os.killpg(head.pid, signal.SIGTERM)
        try:
            head.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(head.pid, signal.SIGKILL)
            head.wait()
        time.sleep(1)
        try:
            os.killpg(head.pid, signal.SIGKILL)  # whatever of the group is left
        except ProcessLookupError:
            pass


def test_unreachable_cluster_is_one_line_exit_2(tmp_path):
    manifest = _manifest(tmp_path / "m.jsonl")
    result = _cli(str(manifest), "-o", str(tmp_path / "o"), "--engine", "ray", "--ray-address", f"127.0.0.1:{_free_port()}",
                  env_extra={"RAY_gcs_rpc_server_connect_timeout_s": "3"})
    assert result.returncode == 2, result.stderr[-2000:]
    assert "Traceback" not in result.stderr
    assert "Ray cluster at 127.0.0.1" in result.stderr


def test_a_killed_worker_costs_a_retry_not_a_pair(tmp_path):
    """SIGKILL a Ray worker while it runs a chunk: the chunk is retried, every pair comes
    back exactly once. (The test picks the worker with psutil: Ray names a busy worker
    process ``ray::<task name>``.)"""
    import psutil

    if ray.is_initialized():
        ray.shutdown()
    rows = [{"id": f"p{i}", "reference_text": REF2 if i % 2 else REF, "candidate_text": MT2 if i % 2 else MT}
            for i in range(6)]
    manifest = tmp_path / "m.jsonl"
    manifest.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    out = tmp_path / "out"
    env = dict(os.environ, PYTHONPATH=str(ROOT), CI="1", MTCHECK_CACHE_DIR=str(tmp_path / "c"))
    proc = subprocess.Popen(
        [sys.executable, "-m", "mtcheck", "batch", str(manifest), "-o", str(out), "--no-grammar",
         "--engine", "ray", "--jobs", "2", "--chunk-size", "1"],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    killed = None
    deadline = time.time() + 240
    try:
        while killed is None and time.time() < deadline and proc.poll() is None:
            for child in psutil.Process(proc.pid).children(recursive=True):
                try:
                    title = " ".join(child.cmdline())
                except psutil.Error:
                    continue
                if title.startswith("ray::mtcheck-chunk"):
                    child.send_signal(signal.SIGKILL)
                    killed = child.pid
                    break
            time.sleep(0.2)
        _, stderr = proc.communicate(timeout=300)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert killed is not None, "no busy Ray worker was seen"
    summary = _summary(out)
    ids = [e["id"] for e in summary["pairs"]]
    assert sorted(ids) == [f"p{i}" for i in range(6)]  # none lost, none twice
    assert summary["counts"]["errors"] == 0, stderr[-3000:]
    assert summary["complete"] is True
    assert len(list((out / "pairs").glob("*.json"))) == 6
