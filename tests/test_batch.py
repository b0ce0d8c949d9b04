"""`mtcheck batch`: the three input kinds, error entries, resume, cache, --jobs."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
from typer.testing import CliRunner

from mtcheck.batch import task as batch_task
from mtcheck.align.embed_cache import FILENAME
from mtcheck.batch import open_input, run_batch, safe_name
from mtcheck.batch.output import RECORDS_DIR
from mtcheck.cli import app
from mtcheck.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
SCHEMAS = ROOT / "mtcheck" / "report" / "schema"

SAME = "The minister met his Turkish counterpart in Ankara on Monday. They discussed the grain deal.\n"
REF = "Talks between the two delegations resumed in Istanbul on Friday. The mediators were hopeful.\n"
MT = "The talks between both delegations resumed in Istanbul on Friday. Mediators were full of hope.\n"


@pytest.fixture(autouse=True)
def _cache(tmp_path, monkeypatch):
    monkeypatch.setenv("MTCHECK_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("CI", "1")  # plain progress lines


def _run(*args: str):
    result = CliRunner().invoke(app, ["batch", *args, "--no-grammar"])
    return result


def _summary(out: Path) -> dict:
    data = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    schema = json.loads((SCHEMAS / "batch.schema.json").read_text(encoding="utf-8"))
    jsonschema.validate(data, schema)
    return data


def _by_id(summary: dict) -> dict[str, dict]:
    return {e["id"]: e for e in summary["pairs"]}


def _write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def _pair_dir(root: Path) -> Path:
    """a: identical (passes any gate), b: bad (empty candidate), sub/c: a translation."""
    _write(root / "a.ref.txt", SAME)
    _write(root / "a.mt.txt", SAME)
    _write(root / "b.ref.txt", REF)
    _write(root / "b.mt.txt", "")
    _write(root / "sub" / "c.ref.txt", REF)
    _write(root / "sub" / "c.mt.txt", MT)
    _write(root / "orphan.ref.txt", REF)
    return root


def test_directory_input_with_a_bad_pair_in_the_middle(tmp_path):
    src, out = _pair_dir(tmp_path / "in"), tmp_path / "out"
    result = _run(str(src), "--out-dir", str(out), "--html", "--min-quality", "99.9")
    summary = _summary(out)
    assert [e["id"] for e in summary["pairs"]] == ["a", "b", "orphan", "sub/c"]
    pairs = _by_id(summary)
    assert pairs["a"]["status"] == "passed"
    assert pairs["b"]["status"] == "error" and "file is empty" in pairs["b"]["error"]
    assert pairs["orphan"]["status"] == "error" and "orphan.mt.txt" in pairs["orphan"]["error"]
    assert pairs["sub/c"]["status"] == "failed"  # checked after the bad pair: the batch went on
    assert summary["counts"] == {"pairs": 4, "checked": 4, "passed": 1, "failed": 1, "errors": 2, "resumed": 0}
    assert result.exit_code == 1 and summary["exit_code"] == 1

    report_schema = json.loads((SCHEMAS / "report.schema.json").read_text(encoding="utf-8"))
    for pid in ("a", "sub/c"):
        entry = pairs[pid]
        report = json.loads((out / entry["report"]).read_text(encoding="utf-8"))
        jsonschema.validate(report, report_schema)
        assert report["candidate"]["path"] == entry["candidate"]
        assert (out / entry["html"]).is_file() and entry["href"] == entry["html"]
    assert pairs["sub/c"]["report"].startswith("pairs/sub_c")
    index = (out / "index.html").read_text(encoding="utf-8")
    assert "sub/c" in index and pairs["a"]["html"] in index
    assert "/4] b: error (" in result.output  # plain progress lines (CI)


def test_all_passing_batch_exits_0(tmp_path):
    src = tmp_path / "in"
    _write(src / "a.ref.txt", SAME)
    _write(src / "a.mt.txt", SAME)
    result = _run(str(src), "-o", str(tmp_path / "out"), "--min-quality", "99.9")
    assert result.exit_code == 0, result.output
    assert _summary(tmp_path / "out")["passed"] is True


def test_csv_manifest_paths_and_inline_text(tmp_path):
    _write(tmp_path / "docs" / "ref.txt", REF)
    _write(tmp_path / "docs" / "mt.txt", MT)
    manifest = tmp_path / "batch.csv"
    rows = [
        "id,reference,candidate,reference_text,candidate_text",
        "files,docs/ref.txt,docs/mt.txt,,",
        f'inline,,,"{SAME.strip()}","{SAME.strip()}"',
        "both,docs/ref.txt,docs/mt.txt,also text,",
        "mixed,docs/ref.txt,,,\"" + MT.strip() + '"',
        "missing,docs/nope.txt,docs/mt.txt,,",
    ]
    _write(manifest, "\n".join(rows) + "\n")
    out = tmp_path / "out"
    result = _run(str(manifest), "-o", str(out))
    pairs = _by_id(_summary(out))
    assert pairs["files"]["status"] in ("passed", "failed")
    assert pairs["files"]["reference"] == str(tmp_path / "docs" / "ref.txt")  # relative to the manifest
    assert pairs["inline"]["status"] == "passed" and pairs["inline"]["reference"].endswith("batch.csv#inline/reference")
    assert pairs["both"]["status"] == "error" and "either 'reference'" in pairs["both"]["error"]
    assert pairs["mixed"]["status"] in ("passed", "failed")
    assert pairs["missing"]["status"] == "error" and "no such file" in pairs["missing"]["error"]
    assert result.exit_code == 1


def test_jsonl_manifest(tmp_path):
    _write(tmp_path / "r.txt", REF)
    manifest = tmp_path / "batch.jsonl"
    lines = [
        json.dumps({"id": "one", "reference": "r.txt", "candidate_text": MT}),
        "{not json",
        json.dumps({"id": "two", "reference_text": SAME, "candidate_text": SAME}),
    ]
    _write(manifest, "\n".join(lines) + "\n")
    out = tmp_path / "out"
    _run(str(manifest), "-o", str(out))
    summary = _summary(out)
    assert [e["status"] for e in summary["pairs"]] == [
        summary["pairs"][0]["status"], "error", "passed"
    ]
    assert summary["pairs"][0]["status"] in ("passed", "failed")
    assert "batch.jsonl:2: not JSON" in summary["pairs"][1]["error"]
    assert summary["input"]["kind"] == "manifest"


def test_line_aligned_files_with_document_ids(tmp_path):
    ref = _write(tmp_path / "ref.tsv", "d1\tThe talks resumed on Friday.\nd1\tThe mediators were hopeful.\nd2\tKyiv said no.\n")
    hyp = _write(tmp_path / "hyp.tsv", "d1\tTalks resumed Friday.\nd1\tMediators were full of hope.\nd2\tKiev said no.\n")
    out = tmp_path / "out"
    result = _run(str(ref), str(hyp), "-o", str(out))
    summary = _summary(out)
    assert summary["input"]["kind"] == "lines"
    pairs = _by_id(summary)
    assert list(pairs) == ["d1", "d2"], result.output
    assert pairs["d1"]["sentences"] == {"reference": 2, "candidate": 2}
    report = json.loads((out / pairs["d1"]["report"]).read_text(encoding="utf-8"))
    assert report["settings"]["aligned"] is True
    assert [b["reference"] for b in report["alignment"]] == [[0], [1]]
    assert report["candidate"]["sentences"][1]["text"] == "Mediators were full of hope."


def test_line_aligned_plain_files_with_doc_ids_file(tmp_path):
    ref = _write(tmp_path / "ref.txt", "The talks resumed on Friday.\nKyiv said no.\n")
    hyp = _write(tmp_path / "hyp.txt", "Talks resumed Friday.\nKiev said no.\n")
    ids = _write(tmp_path / "ids.txt", "a\nb\n")
    out = tmp_path / "out"
    _run(str(ref), str(hyp), "--doc-ids", str(ids), "-o", str(out))
    assert list(_by_id(_summary(out))) == ["a", "b"]


@pytest.mark.parametrize(
    "hyp_text, message",
    [
        ("d1\tTalks resumed.\n", "fewer lines"),
        ("d1\tTalks resumed.\nd9\tKiev said no.\n", "not line-aligned"),
        ("d1 Talks resumed.\nd2\tKiev said no.\n", "DOC_ID<TAB>segment"),
    ],
)
def test_broken_line_aligned_input_is_exit_2(tmp_path, hyp_text, message):
    ref = _write(tmp_path / "ref.tsv", "d1\tThe talks resumed.\nd2\tKyiv said no.\n")
    hyp = _write(tmp_path / "hyp.tsv", hyp_text)
    result = _run(str(ref), str(hyp), "-o", str(tmp_path / "out"))
    assert result.exit_code == 2
    assert message in result.output and "Traceback" not in result.output
    assert not (tmp_path / "out" / "summary.json").exists()


@pytest.mark.parametrize(
    "make, message",
    [
        (lambda p: p / "nothing-here", "no such file or directory"),
        (lambda p: _write(p / "list.txt", "x"), "expected a folder"),
        (lambda p: (p / "empty").mkdir() or p / "empty", "no pairs found"),
        (lambda p: _write(p / "m.csv", "reference,candidate\na,b\n"), "'id' column"),
    ],
)
def test_unusable_input_is_exit_2(tmp_path, make, message):
    result = _run(str(make(tmp_path)), "-o", str(tmp_path / "out"))
    assert result.exit_code == 2, result.output
    assert message in result.output


def test_bad_option_is_exit_2(tmp_path):
    src = _pair_dir(tmp_path / "in")
    result = _run(str(src), "-o", str(tmp_path / "out"), "--select", "XX9")
    assert result.exit_code == 2 and "XX9" in result.output
    assert not (tmp_path / "out" / "summary.json").exists()


def test_resume_skips_done_pairs_and_force_redoes_them(tmp_path):
    src, out = _pair_dir(tmp_path / "in"), tmp_path / "out"
    _run(str(src), "-o", str(out))
    first = _by_id(_summary(out))
    report_a = out / first["a"]["report"]
    mtime = report_a.stat().st_mtime_ns

    second = _run(str(src), "-o", str(out))
    s2 = _summary(out)
    assert s2["counts"]["resumed"] == 2  # a and sub/c; error entries are retried
    assert "a: passed (already reported)" in second.output
    assert report_a.stat().st_mtime_ns == mtime
    assert _by_id(s2)["a"]["quality"] == first["a"]["quality"]

    # A changed input is checked again; so is a pair whose report went missing.
    _write(src / "sub" / "c.mt.txt", SAME)
    report_a.unlink()
    _run(str(src), "-o", str(out))
    s3 = _by_id(_summary(out))
    assert not s3["a"]["resumed"] and not s3["sub/c"]["resumed"]
    assert report_a.is_file()

    _run(str(src), "-o", str(out), "--force")
    assert _summary(out)["counts"]["resumed"] == 0


def test_resume_ignores_a_damaged_record(tmp_path):
    """Records are written whole; one damaged by hand (or a disk) only costs a re-check."""
    src, out = _pair_dir(tmp_path / "in"), tmp_path / "out"
    _run(str(src), "-o", str(out))
    records = sorted((out / RECORDS_DIR).glob("*.json"))
    assert [r.name for r in records] == ["a.json", f"{safe_name('sub/c')}.json"]
    text = records[1].read_text(encoding="utf-8")
    records[1].write_text(text[: len(text) // 2], encoding="utf-8")
    _run(str(src), "-o", str(out))
    assert _summary(out)["counts"]["resumed"] == 1


def test_changed_settings_are_not_resumed(tmp_path):
    src, out = _pair_dir(tmp_path / "in"), tmp_path / "out"
    _run(str(src), "-o", str(out))
    _run(str(src), "-o", str(out), "--min-quality", "99.9")
    summary = _summary(out)
    assert summary["counts"]["resumed"] == 0
    assert _by_id(summary)["sub/c"]["status"] == "failed"


def test_embedding_cache_hit_on_rerun(tmp_path):
    src, out = _pair_dir(tmp_path / "in"), tmp_path / "out"
    settings = Settings(grammar=False, cache_dir=str(tmp_path / "emb"))
    run_batch(open_input(str(src)), settings, out)
    first = dict(batch_task._WORKER["encoder"].stats)
    assert first["encoded"] > 0 and first["cache_hits"] == 0
    assert (tmp_path / "emb" / FILENAME).is_file()

    run_batch(open_input(str(src)), settings, out, force=True)  # a new Encoder, same disk cache
    second = batch_task._WORKER["encoder"].stats
    assert second["encoded"] == 0
    assert second["cache_hits"] == first["encoded"]


def test_no_cache_writes_no_cache(tmp_path):
    src, out = _pair_dir(tmp_path / "in"), tmp_path / "out"
    result = _run(str(src), "-o", str(out), "--no-cache")
    assert result.exit_code == 1
    assert not (tmp_path / "cache" / FILENAME).exists()
    _run(str(src), "-o", str(out), "--force")
    assert (tmp_path / "cache" / FILENAME).exists()


def test_jobs_2_gives_the_same_results(tmp_path):
    src = _pair_dir(tmp_path / "in")
    _run(str(src), "-o", str(tmp_path / "one"))
    result = _run(str(src), "-o", str(tmp_path / "two"), "--jobs", "2")
    assert result.exit_code == 1, result.output
    one, two = _summary(tmp_path / "one"), _summary(tmp_path / "two")
    keys = ("id", "status", "findings", "quality", "error")
    assert [[e[k] for k in keys] for e in one["pairs"]] == [[e[k] for k in keys] for e in two["pairs"]]


def test_engine_options_and_config_key(tmp_path):
    src, out = _pair_dir(tmp_path / "in"), tmp_path / "out"
    result = _run(str(src), "-o", str(out), "--engine", "spark")
    assert result.exit_code == 2 and "--engine spark: choose local or ray" in result.output
    result = _run(str(src), "-o", str(out), "--engine", "local", "--ray-address", "127.0.0.1:6379")
    assert result.exit_code == 2 and "--ray-address joins a Ray cluster: drop --engine local" in result.output
    config = _write(tmp_path / "mtcheck.toml", 'engine = "dask"\n')
    result = _run(str(src), "-o", str(out), "--config", str(config))
    assert result.exit_code == 2 and "engine: expected local or ray" in result.output
    # An address alone (here from the config) means Ray; nothing listens there: one line.
    config = _write(tmp_path / "mtcheck.toml", f'ray-address = "127.0.0.1:{_free_port()}"\n')
    result = _run(str(src), "-o", str(out), "--config", str(config))
    assert result.exit_code == 2 and "cannot join the Ray cluster at 127.0.0.1:" in result.output, result.output
    assert not (out / "summary.json").exists()


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_file_url_output_and_engine_in_summary(tmp_path):
    src = _pair_dir(tmp_path / "in")
    result = _run(str(src), "-o", f"file://{tmp_path / 'url-out'}")
    assert result.exit_code == 1, result.output
    summary = _summary(tmp_path / "url-out")
    assert summary["engine"] == "local" and summary["counts"]["checked"] == 4
    assert f"file://{tmp_path / 'url-out'}/summary.json" in result.output


def test_settings_fingerprint_ignores_where_it_runs():
    from mtcheck.batch.task import settings_fingerprint

    base = settings_fingerprint(Settings())
    assert settings_fingerprint(Settings(engine="ray", ray_address="h:1", cache=False)) == base
    assert settings_fingerprint(Settings(min_quality=50)) != base
