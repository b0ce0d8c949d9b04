"""Chunking and offset conversion between Python strings and LanguageTool.

LanguageTool is written in Java: the ``offset`` and ``length`` of a match count UTF-16
code units of the text it was sent, so every character outside the Basic Multilingual
Plane (most emoji, some CJK) counts twice there and once in a Python ``str``.
:func:`utf16_to_index` converts; :func:`chunk_spans` cuts a long text into pieces that
each stay under the server's size limit (also measured in UTF-16 units), at sentence
starts so that no sentence is split between two requests.
"""

from __future__ import annotations

import re
from bisect import bisect_left

_ASTRAL = re.compile("[\U00010000-\U0010ffff]")
_SPACE = re.compile(r"\s")


def utf16_length(text: str) -> int:
    """Length of ``text`` in UTF-16 code units (what Java's ``String.length()`` says)."""
    return len(text) + len(_ASTRAL.findall(text))


def utf16_to_index(text: str) -> list[int]:
    """Table ``t`` with ``t[u]`` = the Python index of UTF-16 position ``u`` of ``text``.

    The table has ``utf16_length(text) + 1`` entries, so the end of a span maps too. A
    position inside a surrogate pair (which LanguageTool never reports for a word) maps
    to the start of that character.
    """
    table: list[int] = []
    for i, ch in enumerate(text):
        table.append(i)
        if ord(ch) > 0xFFFF:
            table.append(i)
    table.append(len(text))
    return table


def chunk_spans(text: str, sentence_starts: list[int], limit: int) -> list[tuple[int, int]]:
    """Contiguous (start, end) spans covering ``text``, each at most ``limit`` UTF-16 units.

    Chunks end where a sentence starts (``sentence_starts``: Python indices, e.g. the
    starts of the document's sentences), as late as the limit allows. A single sentence
    longer than ``limit`` is cut after the last whitespace that fits, or hard at the
    limit when there is none.
    """
    if limit < 2:
        raise ValueError("chunk limit must be at least 2 UTF-16 units")
    n = len(text)
    astral = [m.start() for m in _ASTRAL.finditer(text)]

    def units(a: int, b: int) -> int:  # UTF-16 length of text[a:b]
        return b - a + bisect_left(astral, b) - bisect_left(astral, a)

    cuts = sorted({c for c in sentence_starts if 0 < c < n})
    spans: list[tuple[int, int]] = []
    start, ci = 0, 0
    while start < n:
        if units(start, n) <= limit:
            spans.append((start, n))
            break
        while ci < len(cuts) and cuts[ci] <= start:
            ci += 1
        best = None
        while ci < len(cuts) and units(start, cuts[ci]) <= limit:
            best = cuts[ci]
            ci += 1
        if best is None:
            best = _cut_long_sentence(text, start, limit, units)
        spans.append((start, best))
        start = best
    return spans


def _cut_long_sentence(text: str, start: int, limit: int, units) -> int:
    """End of a chunk inside one over-long sentence: after the last fitting whitespace."""
    end = start + 1
    while end < len(text) and units(start, end + 1) <= limit:
        end += 1
    spaces = [m.end() for m in _SPACE.finditer(text, start, end)]
    return spaces[-1] if spaces and spaces[-1] > start else end
