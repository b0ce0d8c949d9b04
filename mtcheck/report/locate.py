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
