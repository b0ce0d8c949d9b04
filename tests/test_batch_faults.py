"""Batch runs under faults and hostile input: SIGKILL and resume, two runs on one folder,
hostile ids and folder names, fsspec outputs."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from batch_data import MT, MT2, REF, REF2
from mtcheck.batch import open_input, run_batch
from mtcheck.batch.output import LOCK_NAME, RECORDS_DIR
from mtcheck.cli import app
from mtcheck.settings import Settings

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(autouse=True)
def _env(tmp_path, monkeypatch):
    monkeypatch.setenv("MTCHECK_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("CI", "1")


def _write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def _pairs(root: Path, n: int) -> Path:
    for i in range(n):
        _write(root / f"p{i:02d}.ref.txt", REF if i % 2 else REF2)
        _write(root / f"p{i:02d}.mt.txt", MT if i % 2 else MT2)
    return root


def _popen(*args: str, env_extra: dict | None = None) -> subprocess.Popen:
    env = dict(os.environ, PYTHONPATH=str(ROOT), CI="1", **(env_extra or {}))
    return subprocess.Popen(
        [sys.executable, "-m", "mtcheck", "batch", *args, "--no-grammar"],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, bufsize=1,
    )


def _assert_whole(out: Path) -> None:
    """Every report on disk parses (JSON) or is a whole page (HTML); no temporary files."""
    for f in (out / "pairs").glob("*.json"):
        json.loads(f.read_text(encoding="utf-8"))
    for f in (out / "pairs").glob("*.html"):
        assert f.read_text(encoding="utf-8").rstrip().endswith("</html>"), f
    for f in (out / RECORDS_DIR).glob("*.json"):
        json.loads(f.read_text(encoding="utf-8"))


def test_sigkill_at_random_points_then_resume_loses_and_repeats_nothing(tmp_path):
    n = 8
    src, out = _pairs(tmp_path / "in", n), tmp_path / "out"
    rng = random.Random(13)
    kills = []
    for _ in range(3):
        proc = _popen(str(src), "-o", str(out), "--html", "--chunk-size", "2")
        # Kill after a random number of finished pairs, plus a random delay (mid-write,
        # mid-encode or during the model load).
        target = rng.randint(1, 4)
        seen = 0
        for line in proc.stderr:
            if line.startswith("["):
                seen += 1
                if seen >= target:
                    break
        time.sleep(rng.uniform(0, 0.5))
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        kills.append(seen)
        _assert_whole(out)
    final = _popen(str(src), "-o", str(out), "--html")
    _, err = final.communicate(timeout=300)
    assert final.returncode == 1 or final.returncode == 0, err
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    ids = [e["id"] for e in summary["pairs"]]
    assert ids == [f"p{i:02d}" for i in range(n)]  # none lost, none twice, in input order
    assert summary["complete"] and summary["counts"]["errors"] == 0
    assert summary["counts"]["resumed"] >= 1  # the killed runs' pairs were not redone
    assert len(list((out / "pairs").glob("*.json"))) == n == len(list((out / "pairs").glob("*.html")))
    _assert_whole(out)
    assert not [p for p in out.rglob("*.tmp")]
    assert kills


def test_a_second_run_on_the_same_folder_is_refused_with_one_line(tmp_path):
    src, out = _pairs(tmp_path / "in", 10), tmp_path / "out"  # enough work to still hold the lock
    first = _popen(str(src), "-o", str(out))
    try:
        for line in first.stderr:  # the lock is taken before the first progress line
            if line.startswith("mtcheck batch:"):
                break
        second = CliRunner().invoke(app, ["batch", str(src), "-o", str(out), "--no-grammar"])
        assert second.exit_code == 2
        lines = [ln for ln in second.output.splitlines() if ln.strip()]
        assert len(lines) == 1 and "another mtcheck batch is writing" in lines[0], second.output
        assert "Traceback" not in second.output
    finally:
        _, err = first.communicate(timeout=300)
    assert first.returncode == 1 or first.returncode == 0, err
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert summary["complete"] and [e["id"] for e in summary["pairs"]] == [f"p{i:02d}" for i in range(10)]
    # The lock dies with its holder: a run after a SIGKILLed one is not refused.
    killed = _popen(str(src), "-o", str(out), "--force")
    for line in killed.stderr:
        if line.startswith("mtcheck batch:"):
            break
    killed.send_signal(signal.SIGKILL)
    killed.wait()
    again = CliRunner().invoke(app, ["batch", str(src), "-o", str(out), "--no-grammar"])
    assert again.exit_code in (0, 1), again.output
    assert (out / LOCK_NAME).exists()


HOSTILE = [
    "../escape",
    "../../../../tmp/evil",
    "/etc/passwd",
    "<script>alert(1)</script>",
    "a\x00b",
    "x" * 5000,
    "..",
    ".hidden",
    "dir/sub\\..\\win",
]


def test_hostile_ids_stay_inside_out_dir_and_show_as_text(tmp_path):
    rows = [{"id": pid, "reference_text": REF, "candidate_text": MT} for pid in HOSTILE]
    manifest = _write(tmp_path / "m.jsonl", "".join(json.dumps(r) + "\n" for r in rows))
    out = tmp_path / "work" / "out"
    # A link planted where a report will go must not be written through.
    outside = _write(tmp_path / "outside.json", "untouched")
    from mtcheck.batch import safe_name

    (out / "pairs").mkdir(parents=True)
    os.symlink(outside, out / "pairs" / f"{safe_name('../escape')}.json")
    def outside_out() -> set[Path]:
        return {p for p in tmp_path.rglob("*") if not p.is_relative_to(out) and not p.is_relative_to(tmp_path / "cache")}

    before = outside_out()
    result = run_batch(open_input(str(manifest)), Settings(grammar=False), out, html=True)
    summary = result.summary
    assert [e["id"] for e in summary["pairs"]] == HOSTILE
    assert all(e["status"] != "error" for e in summary["pairs"]), [e["error"] for e in summary["pairs"]]
    real_out = os.path.realpath(out)
    for e in summary["pairs"]:
        for rel in (e["report"], e["html"]):
            path = os.path.realpath(out / rel)
            assert os.path.commonpath([real_out, path]) == real_out and os.path.isfile(path)
            assert not os.path.islink(out / rel)
            assert len(Path(rel).name) < 130
    assert outside.read_text(encoding="utf-8") == "untouched"
    assert outside_out() == before  # nothing written outside --out-dir (the embedding cache aside)
    index = (out / "index.html").read_text(encoding="utf-8")
    assert "<script>alert(1)</script>" not in index and "&lt;script&gt;alert(1)&lt;/script&gt;" in index
    assert "\x00" not in index and "a\\x00b" in index
    assert not [f for f in (out / "pairs").glob("*.html") if "\x00" in f.read_text(encoding="utf-8")]


def test_hostile_folder_names_and_symlinks_out_of_the_input_folder(tmp_path):
    src = tmp_path / "in"
    _write(src / "<i>odd</i> & co" / "a.ref.txt", REF)
    _write(src / "<i>odd</i> & co" / "a.mt.txt", MT)
    secret = _write(tmp_path / "secret.txt", "The password is hunter2. Keep it safe.\n")
    _write(src / "leak.ref.txt", REF)
    os.symlink(secret, src / "leak.mt.txt")  # a file link that leaves the input folder
    os.symlink(tmp_path, src / "loop")  # a folder link out of (and around) the input folder
    out = tmp_path / "out"
    summary = run_batch(open_input(str(src)), Settings(grammar=False), out, html=True).summary
    by_id = {e["id"]: e for e in summary["pairs"]}
    assert set(by_id) == {"<i>odd</i> & co/a", "leak"}
    assert by_id["leak"]["status"] == "error" and "outside the input folder" in by_id["leak"]["error"]
    assert by_id["<i>odd</i> & co/a"]["status"] in ("passed", "failed")
    assert "hunter2" not in "".join(p.read_text(encoding="utf-8") for p in out.rglob("*") if p.is_file())
    index = (out / "index.html").read_text(encoding="utf-8")
    assert "<i>odd</i>" not in index and "&lt;i&gt;odd&lt;/i&gt;" in index


def test_fsspec_memory_output_and_resume():
    import fsspec

    fs = fsspec.filesystem("memory")
    url = f"memory://mtcheck-test-{os.getpid()}/run"
    rows = [{"id": "a", "reference_text": REF, "candidate_text": MT}, {"id": "b", "reference_text": REF2, "candidate_text": MT2}]
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        manifest = _write(Path(tmp) / "m.jsonl", "".join(json.dumps(r) + "\n" for r in rows))
        first = run_batch(open_input(str(manifest)), Settings(grammar=False), url, html=True)
        second = run_batch(open_input(str(manifest)), Settings(grammar=False), url, html=True)
    root = url[len("memory://"):]
    summary = json.loads(fs.cat_file(f"{root}/summary.json"))
    assert [e["id"] for e in summary["pairs"]] == ["a", "b"]
    assert summary["counts"]["resumed"] == 2 and second.exit_code == first.exit_code
    report = json.loads(fs.cat_file(f"{root}/pairs/a.json"))
    assert report["candidate"]["path"].endswith("m.jsonl#a/candidate")
    assert fs.cat_file(f"{root}/index.html").decode().rstrip().endswith("</html>")
    fs.rm(f"/mtcheck-test-{os.getpid()}", recursive=True)


def test_unknown_url_scheme_is_one_line_exit_2(tmp_path):
    src = _pairs(tmp_path / "in", 1)
    result = CliRunner().invoke(app, ["batch", str(src), "-o", "nosuchscheme://x/y", "--no-grammar"])
    assert result.exit_code == 2 and "nosuchscheme://x/y" in result.output
    assert "Traceback" not in result.output


def test_a_pairs_folder_linked_out_of_out_dir_is_never_written_through(tmp_path):
    rows = [{"id": "a", "reference_text": REF, "candidate_text": MT}]
    manifest = _write(tmp_path / "m.jsonl", "".join(json.dumps(r) + "\n" for r in rows))
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    out = tmp_path / "out"
    out.mkdir()
    os.symlink(elsewhere, out / "pairs")
    summary = run_batch(open_input(str(manifest)), Settings(grammar=False), out).summary
    entry = summary["pairs"][0]
    assert entry["status"] == "error" and "leaves the output folder" in entry["error"]
    assert list(elsewhere.iterdir()) == []
    assert summary["exit_code"] == 1
