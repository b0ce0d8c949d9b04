"""Report paths that are not plain files, and writes that fail.

Regular files are replaced atomically (temporary file next to the target, then a
rename); a symlink is followed (the link stays, its target gets the report); FIFOs,
character devices, descriptor paths (/dev/stdout, /proc/self/fd/N) and ``-`` are written
straight through. A failed write is one line, exit 2, and no report (new or partial) is
left. None of these tests touches the real /dev: they use a symlink, a FIFO, a pipe's
descriptor path, a file-size limit set in a child process (RLIMIT_FSIZE, SIGXFSZ
ignored), and small tmpfs mounts (full; read-only) made for the test when the machine
allows it (root here; the mount tests skip elsewhere).
"""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from mtcheck.report import OutputError, fd_of, write_outputs

ROOT = Path(__file__).parent.parent
REF = "Zelensky met Erdogan in Ankara on 5 May.\nThe talks in Istanbul ended.\n"
CAND = "Zelensky met met Erdogan in Ankara on 7 May.\nThe talks in Istanbul ended.\n"
BIG = "x" * 100_000  # more than the small filesystems and limits below hold


def _leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


class _FifoReader(threading.Thread):
    """Reads a FIFO to its end, as a downstream tool would."""

    def __init__(self, path: Path):
        super().__init__(daemon=True)
        self.path, self.data = path, None

    def run(self):
        with open(self.path, "rb") as fh:
            self.data = fh.read()

    def finish(self, timeout: float = 30) -> bytes | None:
        self.join(timeout)
        if self.is_alive():  # nobody wrote to the FIFO: unblock the reader, then fail
            with open(self.path, "wb"):
                pass
            self.join(5)
            return None
        return self.data


# -- write_outputs on real paths -----------------------------------------------------


def test_symlink_keeps_the_link_and_updates_its_target(tmp_path):
    target = tmp_path / "reports" / "real.json"
    target.parent.mkdir()
    target.write_text("old")
    link = tmp_path / "latest.json"
    link.symlink_to(target)
    write_outputs([("json", link, '{"new": true}\n')])
    assert link.is_symlink() and os.readlink(link) == str(target)
    assert target.read_text() == '{"new": true}\n'
    assert _leftovers(target.parent) == ["real.json"]  # the temporary file was next to the target


def test_dangling_symlink_creates_its_target(tmp_path):
    link = tmp_path / "r.json"
    link.symlink_to(tmp_path / "made.json")
    write_outputs([("json", link, "{}\n")])
    assert link.is_symlink() and (tmp_path / "made.json").read_text() == "{}\n"


def test_fifo_is_written_through_not_replaced(tmp_path):
    fifo = tmp_path / "report.fifo"
    os.mkfifo(fifo)
    reader = _FifoReader(fifo)
    reader.start()
    write_outputs([("json", fifo, '{"via": "fifo"}\n')])
    assert reader.finish() == b'{"via": "fifo"}\n'
    assert stat.S_ISFIFO(os.stat(fifo).st_mode)


def test_descriptor_paths_write_to_the_open_descriptor(tmp_path):
    # /dev/stdout and friends are named, never opened, here: fd_of maps them
    assert fd_of("-") == 1 and fd_of("/dev/stdout") == 1 and fd_of("/dev/stderr") == 2
    assert fd_of("/dev/fd/7") == 7 and fd_of("/proc/self/fd/9") == 9
    assert fd_of("/dev/full") is None and fd_of(str(tmp_path / "r.json")) is None
    r, w = os.pipe()
    try:
        write_outputs([("json", f"/proc/self/fd/{w}", "through the pipe\n")])
        os.close(w)
        assert os.read(r, 100) == b"through the pipe\n"
    finally:
        os.close(r)


def test_existing_permissions_are_kept(tmp_path):
    out = tmp_path / "r.json"
    out.write_text("old")
    out.chmod(0o640)
    write_outputs([("json", out, "new")])
    assert out.read_text() == "new" and stat.S_IMODE(out.stat().st_mode) == 0o640


def test_a_directory_is_refused_in_one_line(tmp_path):
    with pytest.raises(OutputError) as err:
        write_outputs([("json", tmp_path / "a.json", "{}"), ("html", tmp_path, "<p>")])
    assert str(err.value) == f"{tmp_path}: cannot write the html report (Is a directory)"
    assert _leftovers(tmp_path) == []  # the JSON staged first was not left behind


def test_text_that_cannot_be_encoded_writes_nothing(tmp_path):
    with pytest.raises(OutputError, match="not encodable"):
        write_outputs([("json", tmp_path / "a.json", "{}"), ("html", tmp_path / "b.html", "\ud800")])
    assert _leftovers(tmp_path) == []


_LIMITED = r"""
import resource, signal, sys
from mtcheck.report import OutputError, write_outputs
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
resource.setrlimit(resource.RLIMIT_FSIZE, (4096, 4096))
folder = sys.argv[1]
try:
    write_outputs([("json", folder + "/r.json", "{}\n"), ("html", folder + "/r.html", "x" * 100_000)])
except OutputError as exc:
    print(exc)
    sys.exit(2)
"""


def test_file_size_limit_leaves_no_report(tmp_path):
    (tmp_path / "r.json").write_text("earlier report")
    proc = subprocess.run([sys.executable, "-c", _LIMITED, str(tmp_path)], capture_output=True, text=True)
    assert proc.returncode == 2, proc.stderr
    assert proc.stdout == f"{tmp_path}/r.html: cannot write the html report (File too large)\n"
    assert _leftovers(tmp_path) == ["r.json"] and (tmp_path / "r.json").read_text() == "earlier report"


@pytest.fixture
def mount_tmpfs(tmp_path):
    """Mount a small tmpfs under tmp_path (root on Linux); skip where not allowed."""
    mounted = []

    def mount(name: str, options: str) -> Path:
        where = tmp_path / name
        where.mkdir()
        proc = subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(where)], capture_output=True, text=True)
        if proc.returncode != 0:
            pytest.skip(f"cannot mount a tmpfs here ({proc.stderr.strip()}); the file-size-limit test covers full disks")
        mounted.append(where)
        return where

    yield mount
    for where in mounted:
        subprocess.run(["umount", str(where)], check=False)


def test_full_disk_leaves_no_report(mount_tmpfs):
    disk = mount_tmpfs("full", "size=64k")
    (disk / "r.json").write_text("earlier report")
    with pytest.raises(OutputError) as err:
        write_outputs([("json", disk / "r.json", "{}\n"), ("html", disk / "r.html", BIG)])
    assert str(err.value) == f"{disk}/r.html: cannot write the html report (No space left on device)"
    assert _leftovers(disk) == ["r.json"] and (disk / "r.json").read_text() == "earlier report"


def test_read_only_folder_is_one_line(mount_tmpfs):
    # root ignores permission bits, so a read-only mount stands for an unwritable folder
    ro = mount_tmpfs("ro", "size=64k,ro")
    with pytest.raises(OutputError) as err:
        write_outputs([("json", ro / "r.json", "{}\n")])
    assert str(err.value) == f"{ro}/r.json: cannot write the json report (Read-only file system)"


# -- the CLI ---------------------------------------------------------------------------


def _mtcheck(tmp_path: Path, *args: str, preexec=None) -> subprocess.CompletedProcess:
    ref, cand = tmp_path / "ref.txt", tmp_path / "cand.txt"
    ref.write_text(REF)
    cand.write_text(CAND)
    return subprocess.run(
        [sys.executable, "-m", "mtcheck", "check", str(ref), str(cand), "--no-grammar", *args],
        capture_output=True, text=True, cwd=tmp_path, preexec_fn=preexec, timeout=300,
    )


def test_cli_symlink_fifo_and_stdout(tmp_path):
    target = tmp_path / "real.sarif"
    target.write_text("old")
    link = tmp_path / "link.sarif"
    link.symlink_to(target)
    fifo = tmp_path / "junit.fifo"
    os.mkfifo(fifo)
    reader = _FifoReader(fifo)
    reader.start()
    proc = _mtcheck(tmp_path, "--sarif", str(link), "--junit", str(fifo), "--json", "-")
    got = reader.finish()
    assert proc.returncode == 1, proc.stderr  # the gate fails on the changed number
    assert json.loads(proc.stdout)["schema"] == "mtcheck.report/1"  # '-' alone on stdout
    assert link.is_symlink() and json.loads(target.read_text())["version"] == "2.1.0"
    assert stat.S_ISFIFO(os.stat(fifo).st_mode) and got and got.startswith(b"<?xml")


def _limit_file_size():
    import resource
    import signal

    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (8192, 8192))


def test_cli_write_error_is_one_line_exit_2_and_no_report(tmp_path):
    proc = _mtcheck(tmp_path, "--no-cache", "--json", "r.json", "--html", "r.html", preexec=_limit_file_size)
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr.count("\n") == 1 and "Traceback" not in proc.stderr
    assert proc.stderr.startswith("mtcheck: error: r.html: cannot write the html report (File too large)")
    assert _leftovers(tmp_path) == ["cand.txt", "ref.txt"]


def test_cli_stdout_that_cannot_be_written_is_one_line_exit_2(tmp_path):
    """Standard output closed by its reader (EPIPE: `mtcheck check ... | head -c0`)."""
    ref, cand = tmp_path / "ref.txt", tmp_path / "cand.txt"
    ref.write_text(REF)
    cand.write_text(CAND)
    proc = subprocess.Popen(
        [sys.executable, "-m", "mtcheck", "check", str(ref), str(cand), "--no-grammar", "--format", "json"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    proc.stdout.close()  # the reader is gone before mtcheck writes
    err = proc.stderr.read()
    assert proc.wait(timeout=300) == 2
    assert err == "mtcheck: error: standard output: cannot write the json report (Broken pipe)\n"


def test_atomic_write_replaces_whatever_was_planted(tmp_path):
    """Batch output folders: a FIFO or symlink planted where a report goes is replaced by
    the report, never written through (a FIFO with no reader would hang the run)."""
    from mtcheck.report import atomic_write

    fifo, link, outside = tmp_path / "a.json", tmp_path / "b.json", tmp_path / "outside.txt"
    os.mkfifo(fifo)
    outside.write_text("keep")
    link.symlink_to(outside)
    atomic_write(fifo, "{}\n")
    atomic_write(link, "{}\n")
    for p in (fifo, link):
        assert stat.S_ISREG(os.lstat(p).st_mode) and p.read_text() == "{}\n"
    assert outside.read_text() == "keep"
