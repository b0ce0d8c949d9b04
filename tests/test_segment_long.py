"""Very long lines: cut into bounded pieces before pysbd, offsets still exact.

pysbd's passes are quadratic in the length of the text it is given, so a line longer than
``PIECE_CHARS`` is segmented piece by piece. These tests check the structure (no call to
pysbd with more than the bound, pieces covering the line) rather than timing anything.
"""

import itertools
import re
from pathlib import Path

import pytest

import mtcheck.segment as seg
from mtcheck.segment import PIECE_CHARS, paragraph_pieces, segment, split_spans
from mtcheck.types import Document

FIXTURES = Path(__file__).parent.parent / "fixtures"
FIXTURE_NAMES = sorted(p.name for p in FIXTURES.glob("*.txt"))


def check_exact(text, spans):
    """Spans are ordered, trimmed, non-empty and leave only whitespace uncovered."""
    last = 0
    for s, e in spans:
        assert last <= s < e
        assert text[s:e] == text[s:e].strip()
        last = e
    rest = list(text)
    for s, e in spans:
        rest[s:e] = [" "] * (e - s)
    assert "".join(rest).strip() == ""


@pytest.fixture
def pysbd_inputs(monkeypatch):
    """Lengths of every text handed to pysbd (the real segmenter is still called)."""
    real = seg._pysbd_segment
    seen: list[int] = []

    def recording(text, language):
        seen.append(len(text))
        return real(text, language)

    monkeypatch.setattr(seg, "_pysbd_segment", recording)
    return seen


# ------------------------------------------------------------------ news text unchanged


@pytest.mark.parametrize("name", FIXTURE_NAMES)
def test_fixture_spans_unchanged(name, monkeypatch):
    text = (FIXTURES / name).read_text(encoding="utf-8")
    for line in text.split("\n"):
        assert paragraph_pieces(line) == [(0, len(line))]  # every paragraph is one piece
    pieced = split_spans(text)
    monkeypatch.setattr(seg, "PIECE_CHARS", 10**9)  # no cutting: the old behaviour
    assert split_spans(text) == pieced


@pytest.mark.parametrize("name", FIXTURE_NAMES)
def test_fixture_as_one_long_line_cut_at_sentence_ends(name, monkeypatch, pysbd_inputs):
    """A whole article on one line (over the bound) is cut only where a sentence starts."""
    raw = (FIXTURES / name).read_text(encoding="utf-8")
    text = " ".join(raw.split())
    starts, at = set(), 0  # where the article's sentences (one paragraph a line) start
    for s, e in split_spans(raw):
        at = text.index(raw[s:e], at)
        starts.add(at)
    monkeypatch.setattr(seg, "PIECE_CHARS", 600)
    pysbd_inputs.clear()
    pieces = paragraph_pieces(text)
    assert len(pieces) > 2
    assert {s for s, _ in pieces[1:]} <= starts
    spans = split_spans(text)
    check_exact(text, spans)
    assert max(pysbd_inputs) <= 600
    assert {s for s, _ in pieces} <= {s for s, _ in spans}


# ------------------------------------------------------------------ pathological lines


def test_30000_character_line_without_a_break(pysbd_inputs):
    words = "the talks would go on in istanbul next week with both sides "
    text = (words * (30_000 // len(words) + 1))[:30_000]
    spans = split_spans(text)
    check_exact(text, spans)
    assert len(spans) >= 30_000 // PIECE_CHARS
    assert max(e - s for s, e in spans) <= PIECE_CHARS  # a sentence never exceeds the bound
    assert max(pysbd_inputs) <= PIECE_CHARS
    assert sum(pysbd_inputs) == len(text)  # each character goes to pysbd once
    for s, e in spans:  # cut between words, never inside one
        assert (s == 0 or text[s - 1] == " ") and (e == len(text) or text[e] == " ")


def test_30000_characters_without_whitespace_are_cut_hard():
    text = "x" * 30_000
    doc = segment(Document(path="x", text="Before.\n" + text + "\nAfter."))
    middle = [s for s in doc.sentences if s.text.startswith("x")]
    assert [len(s.text) for s in middle] == [PIECE_CHARS] * (30_000 // PIECE_CHARS)
    assert "".join(s.text for s in middle) == text
    assert doc.sentences[0].text == "Before." and doc.sentences[-1].text == "After."
    for s in doc.sentences:
        assert doc.text[s.start : s.end] == s.text


def test_thousands_of_sentences_on_one_line(pysbd_inputs):
    expected = [f"Sentence number {i} says “hello” to the reader." for i in range(3000)]
    text = "  " + " ".join(expected) + "  "
    assert len(text) > 40 * PIECE_CHARS
    doc = segment(Document(path="x", text=text))
    assert [s.text for s in doc.sentences] == expected
    for s in doc.sentences:
        assert text[s.start : s.end] == s.text
    assert max(pysbd_inputs) <= PIECE_CHARS


def test_long_line_among_short_ones_and_crlf(pysbd_inputs):
    long = " ".join(f"Part {i} of the long 🙂 paragraph." for i in range(400))
    text = "Short one. Short two.\r\n" + long + "\r\n\r\nLast line."
    spans = split_spans(text)
    check_exact(text, spans)
    got = [text[s:e] for s, e in spans]
    assert got[:2] == ["Short one.", "Short two."] and got[-1] == "Last line."
    assert got[2:-1] == [f"Part {i} of the long 🙂 paragraph." for i in range(400)]
    assert max(pysbd_inputs) <= PIECE_CHARS


# ------------------------------------------------------------------ paragraph_pieces


def covers(para, pieces):
    assert pieces[0][0] == 0 and pieces[-1][1] == len(para)
    assert all(a[1] == b[0] for a, b in itertools.pairwise(pieces))
    assert all(s < e for s, e in pieces) or para == ""


def test_pieces_short_and_empty():
    assert paragraph_pieces("") == [(0, 0)]
    assert paragraph_pieces("abc") == [(0, 3)]
    assert paragraph_pieces("a" * PIECE_CHARS) == [(0, PIECE_CHARS)]
    with pytest.raises(ValueError):
        paragraph_pieces("abc", 0)


def test_pieces_prefer_sentence_end_then_whitespace_then_hard_cut():
    # A sentence end (before an uppercase letter) wins over later whitespace.
    para = "One two. Three four five six"
    assert paragraph_pieces(para, 20) == [(0, 9), (9, len(para))]
    # Closing quotes and brackets belong to the sentence before the cut.
    para = 'He said "yes." Then more words here'
    assert paragraph_pieces(para, 25)[0] == (0, 15)
    # Not after an initial or an abbreviation: the earlier real sentence end wins.
    para = "He left. Then U.S. Secretary Rubio and Gen. Smith came"
    assert paragraph_pieces(para, 50)[0] == (0, 9)
    assert paragraph_pieces("He met Gen. Smith and Dr. Who there", 30)[0] == (0, 30)
    # No uppercase after the stop: not a sentence end, so the last whitespace.
    para = "one two. three four five six"
    assert paragraph_pieces(para, 20) == [(0, 20), (20, len(para))]
    assert paragraph_pieces("aaaa bbbb cccc dddd", 7) == [(0, 5), (5, 10), (10, 15), (15, 19)]
    # No whitespace at all: cut at the bound.
    assert paragraph_pieces("x" * 10, 4) == [(0, 4), (4, 8), (8, 10)]


@pytest.mark.parametrize("limit", [1, 2, 7, 50])
def test_pieces_bounded_covering_and_few(limit):
    para = re.sub(r"\s+", " ", " ".join(["Ab. cd!", "EF ghi?", "”x", "y z.", "Q"] * 200))
    para += "\t  tail  "
    pieces = paragraph_pieces(para, limit)
    covers(para, pieces)
    assert max(e - s for s, e in pieces) <= limit
    # Three consecutive pieces advance by more than the bound: linear in the line's length.
    assert all(b[0] - a[0] > limit for a, b in zip(pieces, pieces[3:]))
    assert len(pieces) < 3 * len(para) / limit + 3
