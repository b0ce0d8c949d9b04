"""Report stage: emitters that render one Report, each in its own module.

An emitter is a function ``render(report) -> str``. ``EMITTERS`` maps a format name to
the module that holds it; modules are imported on first use. The gate never looks at a
rendered format, only at the Report.
"""

from __future__ import annotations

import errno
import os
import re
import stat
import sys
import tempfile
from importlib import import_module
from pathlib import Path
from typing import Callable

from mtcheck.types import Report

#: format name -> module with a ``render(report) -> str`` function.
EMITTERS: dict[str, str] = {
    "json": "mtcheck.report.json",
    "text": "mtcheck.report.text",
    "sarif": "mtcheck.report.sarif",
    "junit": "mtcheck.report.junit",
    "github": "mtcheck.report.github",
    "html": "mtcheck.report.html",
}


def emitter(name: str) -> Callable[[Report], str]:
    return import_module(EMITTERS[name]).render


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


class OutputError(Exception):
    """A report that cannot be written; ``str(err)`` is the one-line message."""


STDOUT = "-"


#: Paths that name one of this process's open file descriptors.
_FD_PATH = re.compile(r"/dev/(?:(stdout)|(stderr)|fd/(\d+))|/proc/self/fd/(\d+)")


def fd_of(path: str) -> int | None:
    """The descriptor ``path`` names (``-`` and ``/dev/stdout`` are 1), else None.

    Such a path is written through the descriptor itself: ``--json /dev/stdout > r.json``
    then appends to what the shell opened instead of replacing the file behind it.
    """
    if path == STDOUT:
        return 1
    m = _FD_PATH.fullmatch(path)
    if m is None:
        return None
    return 1 if m[1] else 2 if m[2] else int(m[3] or m[4])


def _is_stream(path: str) -> bool:
    """Whether ``path`` is ``-``, a descriptor path, or an existing non-regular file (a
    FIFO, a character device such as ``/dev/full``, a socket): written straight through,
    never replaced by a rename."""
    if fd_of(path) is not None:
        return True
    try:
        st = os.stat(path)  # follows symlinks: /dev/stdout -> /proc/self/fd/1 -> a pipe
    except OSError:
        return False
    return not stat.S_ISREG(st.st_mode) and not stat.S_ISDIR(st.st_mode)


def _describe(exc: OSError) -> str:
    return exc.strerror or str(exc)


class _Staged:
    """One regular-file report written to a temporary file next to its target."""

    def __init__(self, target: Path, data: bytes):
        self.target, self.tmp = target, None
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
        self.tmp = tmp
        try:
            try:  # keep an existing report's permissions; a new one is an ordinary file
                mode = stat.S_IMODE(os.stat(target).st_mode)
            except OSError:
                mode = 0o666 & ~_umask()
            with os.fdopen(fd, "wb") as fh:
                os.fchmod(fh.fileno(), mode)
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
        except BaseException:
            self.discard()
            raise

    def commit(self) -> None:
        os.replace(self.tmp, self.target)
        self.tmp = None

    def discard(self) -> None:
        if self.tmp is not None:
            try:
                os.unlink(self.tmp)
            except OSError:
                pass
            self.tmp = None


def _target(path: str | os.PathLike) -> Path:
    """Where a regular-file report goes: a symlink is followed (its target is updated, the
    link stays), so the temporary file sits next to the file that is replaced."""
    path = Path(path)
    if path.is_symlink():
        return Path(os.path.realpath(path))
    return path


def _write_stream(path: str, data: bytes) -> None:
    fd = fd_of(path)
    if fd in (1, 2):
        stream = sys.stdout if fd == 1 else sys.stderr
        stream.flush()
        stream.buffer.write(data)
        stream.buffer.flush()
        return
    if fd is not None:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view) :]
        return
    with open(path, "wb") as fh:  # a FIFO or device: no O_CREAT race, nothing renamed over it
        fh.write(data)


def _named(exc: OSError, path: str) -> OSError:
    exc.filename = path  # the path as given, not the temporary file or the link's target
    return exc


def _write_all(outputs: list[tuple[str, str, bytes]]) -> None:
    """Stage every regular file, rename them all, then write the streams; no staged file
    survives a failure, and the OSError names the path as given."""
    staged: list[tuple[str, _Staged]] = []
    streams = []
    try:
        for _, path, data in outputs:
            if _is_stream(path):
                streams.append((path, data))
                continue
            target = _target(path)
            try:
                if target.is_dir():
                    raise IsADirectoryError(errno.EISDIR, os.strerror(errno.EISDIR))
                staged.append((path, _Staged(target, data)))
            except OSError as exc:
                raise _named(exc, path) from None
        for path, s in staged:
            try:
                s.commit()
            except OSError as exc:
                raise _named(exc, path) from None
    finally:
        for _, s in staged:
            s.discard()
    for path, data in streams:
        try:
            _write_stream(path, data)
        except OSError as exc:
            raise _named(exc, path) from None


def write_outputs(outputs: list[tuple[str, str | os.PathLike, str]]) -> None:
    """Write ``(what, path, text)`` reports: all the regular files or none of them.

    - a regular file (or a new path): written to a temporary file in the target's own
      folder and renamed over it (a symlink is resolved first, so the link stays and its
      target gets the report), keeping an existing file's permissions;
    - ``-``, a FIFO, a character device (``/dev/stdout``, ``/dev/full``...): written
      straight through, after every regular file is in place.

    Every regular file is staged before any is renamed, so a full disk, a file-size limit
    or an unwritable folder leaves no report, new or partial (earlier reports stay as they
    were). Any failure raises :class:`OutputError` with one line naming the path.
    """
    encoded = []
    for what, path, text in outputs:
        try:
            encoded.append((what, str(path), text.encode("utf-8")))
        except UnicodeEncodeError as exc:
            raise OutputError(f"{path}: cannot write the {what} report (text not encodable as UTF-8: {exc.reason})") from None
    whats = {path: what for what, path, _ in encoded}
    try:
        _write_all(encoded)
    except OSError as exc:
        path = str(exc.filename)
        label = "standard output" if path == STDOUT else path
        raise OutputError(f"{label}: cannot write the {whats.get(path, '')} report ({_describe(exc)})") from None


def atomic_write(path: str | os.PathLike, text: str) -> None:
    """Replace ``path`` with a regular file holding ``text``, through a temporary file in
    the same folder and a rename; raises OSError when it cannot.

    Whatever is at ``path`` is replaced, never written through: a symlink, a FIFO or a
    device planted there (batch output folders rely on that). A reader never sees a
    half-written file, and a failure leaves any earlier file intact. Paths a user names
    (``--json PATH``) go through :func:`write_outputs` instead.
    """
    staged = _Staged(Path(path), text.encode("utf-8"))
    try:
        staged.commit()
    finally:
        staged.discard()
