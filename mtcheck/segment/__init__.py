"""Segment stage: split a document into sentences with exact character spans.

pysbd (a maintained rule-based segmenter, "Golden Rules" tested) does the splitting;
this module only keeps offsets exact and tidies its edges:

- each line (paragraph) is segmented on its own: news text puts one paragraph per line,
  and a sentence never spans a line break;
- every sentence is located in the text by a forward search, so offsets are exact Python
  string indices even where pysbd's own spans drift;
- leading/trailing whitespace is excluded from the span;
- a fragment with no letter or digit (a stray closing quote, "..." alone) is attached to
  the sentence before it.
"""

from __future__ import annotations

import re
from functools import lru_cache

from mtcheck.types import Document, Sentence

_HAS_WORD = re.compile(r"\w")


@lru_cache(maxsize=4)
def _segmenter(language: str):
    import pysbd

    return pysbd.Segmenter(language=language, clean=False)


def split_spans(text: str, language: str = "en") -> list[tuple[int, int]]:
    """(start, end) spans of the sentences of ``text``, whitespace-trimmed."""
    spans: list[tuple[int, int]] = []
    for line in re.finditer(r"[^\n]+", text):
        if not line.group().strip():
            continue
        base, para = line.start(), line.group()
        cursor = 0
        for piece in _segmenter(language).segment(para):
            piece = piece.strip()
            if not piece:
                continue
            at = para.find(piece, cursor)
            if at < 0:  # pysbd altered the text; fall back to the rest of the line
                at, piece = cursor, para[cursor:].strip()
                at = para.find(piece, cursor)
            start, end = base + at, base + at + len(piece)
            cursor = at + len(piece)
            if spans and not _HAS_WORD.search(piece) and spans[-1][1] >= base:
                spans[-1] = (spans[-1][0], end)  # stray quote or ellipsis: glue back
            else:
                spans.append((start, end))
            if cursor >= len(para):
                break
    return spans


def segment(doc: Document, language: str = "en") -> Document:
    """Fill ``doc.sentences`` and return the document."""
    doc.sentences = [
        Sentence(index=i, start=s, end=e, text=doc.text[s:e])
        for i, (s, e) in enumerate(split_spans(doc.text, language))
    ]
    return doc


# --------------------------------------------------------------------------- line mode

def line_spans(text: str) -> list[tuple[int, int] | None]:
    """One entry per line: the whitespace-trimmed (start, end), or None for a blank line.

    Lines are separated by ``\\n`` (a ``\\r`` before it is trimmed as whitespace); blank
    lines at the end of the text are not counted, so a final newline does not matter.
    """
    spans: list[tuple[int, int] | None] = []
    pos = 0
    for line in text.split("\n"):
        stripped = line.strip()
        if stripped:
            start = pos + line.index(stripped)
            spans.append((start, start + len(stripped)))
        else:
            spans.append(None)
        pos += len(line) + 1
    while spans and spans[-1] is None:
        spans.pop()
    return spans


def line_sentences(doc: Document) -> Document:
    """Make each non-empty line of ``doc`` one sentence (exact offsets, trimmed).

    For line-aligned input (``--aligned``), where line ``i`` of one file is the partner
    of line ``i`` of the other. Fills ``doc.sentences`` and returns the document.
    """
    spans = [s for s in line_spans(doc.text) if s is not None]
    doc.sentences = [
        Sentence(index=k, start=s, end=e, text=doc.text[s:e]) for k, (s, e) in enumerate(spans)
    ]
    return doc
