"""Segment stage: split a document into sentences with exact character spans.

pysbd (a maintained rule-based segmenter, "Golden Rules" tested) does the splitting;
this module only keeps offsets exact and tidies its edges:

- each line (paragraph) is segmented on its own: news text puts one paragraph per line,
  and a sentence never spans a line break;
- a line longer than ``PIECE_CHARS`` is first cut into pieces of at most that length
  (``paragraph_pieces``), each segmented on its own: pysbd's passes are quadratic in the
  length of what it is given (a line without a sentence break: 1.1 s at 28,000
  characters, 5.2 s at 56,000), so pieces keep the time linear in the line's length. A
  cut goes at the last sentence end (``.!?…``, closing quotes, whitespace, then an
  uppercase letter; not after an initial or an abbreviation) in the window, else after
  the last whitespace, else at the bound; a sentence is therefore never longer than
  ``PIECE_CHARS``. Lines within the bound (every news paragraph) are untouched;
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

#: Longest text handed to pysbd at once (characters); longer lines are cut into pieces.
PIECE_CHARS = 3000

# A likely sentence end: final punctuation, closing quotes/brackets, whitespace (group 1),
# before a non-space character (group 2, which must be uppercase).
_SENTENCE_END = re.compile(r"[.!?\u2026][\"'\u201d\u2019\u00bb)\]]*(\s+)(?=(\S))")
_SPACE = re.compile(r"\s+")
_SPACES = re.compile(r"\s*")
# The word before a full stop (letters, inner dots: "U.S", "Gen"), for abbreviations.
_WORD_BEFORE = re.compile(r"(?:[^\W\d_]+\.)*([^\W\d_]+)\Z")


@lru_cache(maxsize=4)
def _abbreviations(language: str) -> frozenset[str]:
    """pysbd's abbreviations for ``language`` (lowercase, no dot)."""
    from pysbd.languages import Language

    try:
        words = Language.get_language_code(language).Abbreviation.ABBREVIATIONS
    except (AttributeError, KeyError, ValueError):
        words = []
    return frozenset(w.lower().rstrip(".") for w in words)


def _is_abbreviation(para: str, stop: int, language: str) -> bool:
    """Whether the full stop at ``para[stop]`` most likely ends an abbreviation or initial."""
    if para[stop] != ".":
        return False
    m = _WORD_BEFORE.search(para, max(0, stop - 24), stop)
    if m is None:
        return False
    word = m.group(1)
    return len(word) == 1 or word.lower() in _abbreviations(language)


@lru_cache(maxsize=4)
def _segmenter(language: str):
    import pysbd

    return pysbd.Segmenter(language=language, clean=False)


def _pysbd_segment(text: str, language: str) -> list[str]:
    r"""``pysbd.Segmenter(language, clean=False).segment(text)``, with the same result.

    pysbd locates each sentence it found in the original text with a regex built from the
    sentence (``re.escape(sentence) + r"\s*"``, the first match ending after the previous
    sentence's): a new compiled pattern per sentence, which also floods ``re``'s
    512-entry cache so that pysbd's own fixed patterns are compiled again and again.
    The same search is done here with ``str.find`` over the same non-overlapping matches
    (``str.isspace`` is what ``\s`` matches in a str pattern).
    """
    seg = _segmenter(language)
    if not text:
        return []
    found: list[str] = []
    prior, n = 0, len(text)
    for sent in seg.processor(text).process():
        if not sent:  # the pattern is a constant then (it matches empty strings)
            for m in _SPACES.finditer(text):
                if m.end() > prior:
                    found.append(m.group())
                    prior = m.end()
                    break
            continue
        pos = 0
        while True:
            at = text.find(sent, pos)
            if at < 0:
                break
            end = at + len(sent)
            while end < n and text[end].isspace():
                end += 1
            if end > prior:
                found.append(text[at:end])
                prior = end
                break
            pos = end
    return found


def paragraph_pieces(
    para: str, limit: int | None = None, language: str = "en"
) -> list[tuple[int, int]]:
    """Cut ``para`` into consecutive (start, end) pieces of at most ``limit`` characters
    (default ``PIECE_CHARS``).

    The pieces cover ``para`` exactly, in order. A text within the bound is one piece.
    Each cut goes at the last sentence end in the window (after the whitespace, before
    the uppercase letter; not after an initial or one of pysbd's abbreviations for
    ``language``: "U.S. Secretary", "Gen. Smith"), else after the last whitespace run,
    else at the bound.

    Linear time: each window is scanned once, and three consecutive pieces together
    advance by more than ``limit`` (no cut of a kind lies between a window's last one and
    the window's end), so there are fewer than ``3 * len(para) / limit + 3`` pieces; pysbd
    then costs at most ``limit * len(para)`` for its quadratic passes.
    """
    if limit is None:
        limit = PIECE_CHARS
    if limit < 1:
        raise ValueError("limit must be positive")
    pieces: list[tuple[int, int]] = []
    pos, n = 0, len(para)
    while n - pos > limit:
        stop = pos + limit
        cut = 0
        for m in _SENTENCE_END.finditer(para, pos, stop):
            if m.group(2).isupper() and not _is_abbreviation(para, m.start(), language):
                cut = m.end(1)
        if not cut:
            for m in _SPACE.finditer(para, pos, stop):
                cut = m.end()
        if cut <= pos:
            cut = stop
        pieces.append((pos, cut))
        pos = cut
    if pos < n or not pieces:
        pieces.append((pos, n))
    return pieces


def split_spans(text: str, language: str = "en") -> list[tuple[int, int]]:
    """(start, end) spans of the sentences of ``text``, whitespace-trimmed."""
    spans: list[tuple[int, int]] = []
    for line in re.finditer(r"[^\n]+", text):
        if not line.group().strip():
            continue
        base, para = line.start(), line.group()
        for p_start, p_end in paragraph_pieces(para, language=language):
            _piece_spans(para[p_start:p_end], base + p_start, base, language, spans)
    return spans


def _piece_spans(
    para: str, base: int, line_start: int, language: str, spans: list[tuple[int, int]]
) -> None:
    """Append the sentence spans of ``para`` (found at ``base`` in the text) to ``spans``.

    A fragment without a letter or digit is glued to the sentence before it when that
    sentence is on the same line (ends at or after ``line_start``).
    """
    if not para.strip():
        return
    cursor = 0
    for piece in _pysbd_segment(para, language):
        piece = piece.strip()
        if not piece:
            continue
        at = para.find(piece, cursor)
        if at < 0:  # pysbd altered the text; fall back to the rest of the piece
            at, piece = cursor, para[cursor:].strip()
            at = para.find(piece, cursor)
        start, end = base + at, base + at + len(piece)
        cursor = at + len(piece)
        if spans and not _HAS_WORD.search(piece) and spans[-1][1] >= line_start:
            spans[-1] = (spans[-1][0], end)  # stray quote or ellipsis: glue back
        else:
            spans.append((start, end))
        if cursor >= len(para):
            break


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
