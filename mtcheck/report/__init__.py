"""Report stage: emitters that render one Report, each in its own module.

An emitter is a function ``render(report) -> str``. ``EMITTERS`` maps a format name to
the module that holds it; modules are imported on first use. The gate never looks at a
rendered format, only at the Report.
"""

from __future__ import annotations

import os
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


def atomic_write(path: str | os.PathLike, text: str) -> None:
    """Write ``text`` to ``path`` through a temporary file and a rename.

    A reader never sees a half-written file, and a failure leaves any earlier file intact.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes 0600; a report is an ordinary file
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as fh:
            fh.write(text)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
