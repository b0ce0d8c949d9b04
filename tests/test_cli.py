"""The command line as a user meets it: exit codes, one-line errors, nothing half-written."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).parent.parent
REF = ROOT / "fixtures" / "kurdistan24-istanbul-talks.clean.txt"
CAND = ROOT / "fixtures" / "istanbul-talks.garbled-mt.txt"


def mtcheck(*args, stdin=None, cwd=None):
    return subprocess.run(
        [sys.executable, "-m", "mtcheck", *map(str, args)],
        input=stdin,
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=300,
    )


def assert_one_line_error(proc, *needles):
    assert proc.returncode == 2, proc.stderr
    err = proc.stderr.strip()
    assert "Traceback" not in proc.stderr
    assert len(err.splitlines()) == 1, err
    assert err.startswith("mtcheck: error: ")
    for needle in needles:
        assert needle in err


@pytest.fixture
def bad_files(tmp_path):
    files = {
        "missing": tmp_path / "missing.txt",
        "empty": tmp_path / "empty.txt",
        "blank": tmp_path / "blank.txt",
        "binary": tmp_path / "image.png",
        "latin1": tmp_path / "latin1.txt",
        "huge": tmp_path / "huge.txt",
    }
    files["empty"].write_bytes(b"")
    files["blank"].write_bytes(b"\n   \n\t\n")
    files["binary"].write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00" * 10)
    files["latin1"].write_bytes("Der Kanzler traf Pr\u00e4sident Selenskyj.".encode("latin-1"))
    with open(files["huge"], "wb") as fh:
        fh.write(b"The talks went on. " * 300_000)
    return files


@pytest.mark.parametrize(
    "case, needle",
    [
        ("missing", "no such file"),
        ("empty", "file is empty"),
        ("blank", "only whitespace"),
        ("binary", "binary"),
        ("latin1", "not valid UTF-8"),
        ("huge", "limit"),
    ],
)
@pytest.mark.parametrize("side", ["reference", "candidate"])
def test_bad_input_exits_2_with_one_line_and_writes_nothing(bad_files, tmp_path, case, needle, side):
    bad = bad_files[case]
    args = [bad, CAND] if side == "reference" else [REF, bad]
    out = tmp_path / "out.json"
    proc = mtcheck("check", *args, "--json", out)
    assert_one_line_error(proc, str(bad), needle)
    assert not out.exists()
    assert proc.stdout == ""


def test_same_path_twice(tmp_path):
    proc = mtcheck("check", REF, REF, "--json", tmp_path / "o.json")
    assert_one_line_error(proc, "same file")
    assert not (tmp_path / "o.json").exists()


@pytest.mark.parametrize(
    "args, needle",
    [
        (["--format", "yaml"], "--format"),
        (["--fail-on", "severe"], "--fail-on"),
        (["--select", "MT999"], "MT999"),
        (["--model", "/nonexistent/model"], "--model"),
    ],
)
def test_bad_options_exit_2(args, needle):
    proc = mtcheck("check", REF, CAND, *args)
    assert_one_line_error(proc, needle)


def test_usage_error_is_exit_2():
    proc = mtcheck("check", REF)
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr


def test_help_and_version():
    assert mtcheck("--help").returncode == 0
    proc = mtcheck("--version")
    assert proc.returncode == 0 and proc.stdout.startswith("mtcheck ")


def test_check_fixture_pair_writes_json_and_summary(tmp_path):
    out = tmp_path / "report.json"
    proc = mtcheck("check", REF, CAND, "--json", out)
    assert proc.returncode in (0, 1), proc.stderr
    data = json.loads(out.read_text(encoding="utf-8"))
    assert proc.returncode == (0 if data["score"]["passed"] else 1)
    assert "NOT parallel" in proc.stdout
    assert "BLEU" in proc.stdout and "chrF" in proc.stdout
    assert data["parallel"]["is_parallel"] is False


def test_stdin_on_one_side(tmp_path):
    out = tmp_path / "report.json"
    proc = mtcheck("check", REF, "-", "--json", out, "--quiet", stdin=CAND.read_text(encoding="utf-8"))
    assert proc.returncode in (0, 1), proc.stderr
    assert proc.stdout == ""
    data = json.loads(out.read_text(encoding="utf-8"))
    assert data["candidate"]["path"] == "-"
    assert data["candidate"]["characters"] == len(CAND.read_text(encoding="utf-8"))


def test_aligned_mode_keeps_line_pairs(tmp_path):
    ref = tmp_path / "ref.txt"
    hyp = tmp_path / "hyp.txt"
    ref.write_text("The talks begin on Friday.\nRussia sent a low-level team.\nThe war began in 2022.\n", encoding="utf-8")
    hyp.write_text("Talks start Friday.\nThe war started in 2022.\nRussia sent a junior delegation.\n", encoding="utf-8")
    out = tmp_path / "o.json"
    proc = mtcheck("check", "--aligned", ref, hyp, "--json", out, "--format", "json")
    assert proc.returncode in (0, 1), proc.stderr
    data = json.loads(out.read_text(encoding="utf-8"))
    assert json.loads(proc.stdout) == data
    pairs = [(b["reference"], b["candidate"]) for b in data["alignment"]]
    assert pairs == [([0], [0]), ([1], [1]), ([2], [2])]  # kept as given, even the swapped lines
    assert len(data["reference"]["sentences"]) == 3


def test_aligned_mode_line_count_mismatch(tmp_path):
    ref = tmp_path / "ref.txt"
    hyp = tmp_path / "hyp.txt"
    ref.write_text("One.\nTwo.\nThree.\n", encoding="utf-8")
    hyp.write_text("One.\nTwo.\n", encoding="utf-8")
    proc = mtcheck("check", "--aligned", ref, hyp)
    assert_one_line_error(proc, "3", "2")
