"""Line/column positions for emitters that need them (text, SARIF, GitHub, JUnit)."""

from __future__ import annotations

from bisect import bisect_right


class LineIndex:
    """Maps a str offset of one text to a 1-based (line, column); column counts code points."""

    def __init__(self, text: str):
        self.starts = [0] + [i + 1 for i, ch in enumerate(text) if ch == "\n"]

    def line_col(self, offset: int) -> tuple[int, int]:
        line = bisect_right(self.starts, offset) - 1
        return line + 1, offset - self.starts[line] + 1


def display_path(path: str) -> str:
    """A document path as CI tools want it: relative to the working directory when the
    file is under it, with forward slashes; ``-`` (standard input) stays ``-``."""
    import os
    from pathlib import Path

    if path == "-":
        return path
    p = Path(path)
    if p.is_absolute():
        try:
            p = p.resolve().relative_to(Path.cwd().resolve())
        except ValueError:
            return p.as_posix()
    return os.path.normpath(p).replace(os.sep, "/")


class Locator:
    """Line/column spans of a report's findings, one LineIndex per side."""

    def __init__(self, report):
        self.docs = {"candidate": report.candidate, "reference": report.reference}
        self.index = {side: LineIndex(doc.text) for side, doc in self.docs.items()}

    def path(self, side: str) -> str:
        return display_path(self.docs[side].path)

    def span(self, finding) -> tuple[int, int, int, int]:
        """(start line, start column, end line, end column), 1-based, end exclusive."""
        idx = self.index[finding.side]
        (l0, c0), (l1, c1) = idx.line_col(finding.start), idx.line_col(finding.end)
        return l0, c0, l1, c1
