"""Read stage: load a UTF-8 text exactly as written, or refuse it with one clear line.

The text is kept as read (only a leading byte-order mark is removed), so every offset in
the report is a Python string index into it. Problems are raised as :class:`InputError`,
which the CLI prints as one line and turns into exit code 2.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from mtcheck.settings import MAX_INPUT_BYTES
from mtcheck.types import Document

STDIN = "-"


class InputError(Exception):
    """A problem with an input file; ``str(err)`` is the one-line message."""


def _describe(name: str) -> str:
    return "standard input" if name == STDIN else name


def decode(data: bytes, name: str) -> str:
    """Decode UTF-8 (BOM accepted) or raise InputError naming the file and the problem."""
    label = _describe(name)
    if not data.strip():
        raise InputError(f"{label}: file is empty" if not data else f"{label}: file holds only whitespace")
    if b"\x00" in data[:8192]:
        raise InputError(f"{label}: looks like a binary file (NUL bytes), expected UTF-8 text")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise InputError(
            f"{label}: not valid UTF-8 (byte 0x{data[exc.start]:02x} at offset {exc.start}, "
            f"line {line}); convert it, e.g. `iconv -f latin1 -t utf-8`"
        ) from None
    if not text.strip():
        raise InputError(f"{label}: file holds only whitespace")
    # Control characters other than tab/newline/CR/form feed mean binary content.
    bad = sum(1 for ch in text[:8192] if ord(ch) < 32 and ch not in "\t\n\r\f")
    if bad > 8:
        raise InputError(f"{label}: looks like a binary file (control characters), expected UTF-8 text")
    return text


def read_bytes(name: str, max_bytes: int = MAX_INPUT_BYTES) -> bytes:
    label = _describe(name)
    if name == STDIN:
        data = sys.stdin.buffer.read(max_bytes + 1)
    else:
        path = Path(name)
        if not path.exists():
            raise InputError(f"{label}: no such file")
        if path.is_dir():
            raise InputError(f"{label}: is a directory, expected a text file")
        try:
            size = path.stat().st_size
            if size > max_bytes:
                raise InputError(
                    f"{label}: file is {size:,} bytes, over the {max_bytes:,}-byte limit "
                    "(split the article or raise it with --max-bytes)"
                )
            with path.open("rb") as fh:
                data = fh.read(max_bytes + 1)
        except PermissionError:
            raise InputError(f"{label}: permission denied") from None
        except OSError as exc:
            raise InputError(f"{label}: cannot read ({exc.strerror or exc})") from None
    if len(data) > max_bytes:
        raise InputError(f"{label}: over the {max_bytes:,}-byte limit (raise it with --max-bytes)")
    return data


def read_document(name: str, max_bytes: int = MAX_INPUT_BYTES) -> Document:
    """Read ``name`` (a path, or ``-`` for stdin) into a Document without sentences."""
    return Document(path=name, text=decode(read_bytes(name, max_bytes), name))


def read_pair(reference: str, candidate: str, max_bytes: int = MAX_INPUT_BYTES) -> tuple[Document, Document]:
    """Read both sides, refusing the same file twice and stdin twice."""
    if reference == STDIN and candidate == STDIN:
        raise InputError("standard input can be given for one side only")
    if reference != STDIN and candidate != STDIN:
        try:
            same = os.path.samefile(reference, candidate)
        except OSError:
            same = False
        if same:
            raise InputError(f"{candidate}: the same file was given as reference and candidate")
    return read_document(reference, max_bytes), read_document(candidate, max_bytes)
