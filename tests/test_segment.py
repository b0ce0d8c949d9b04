"""Sentence segmentation keeps exact offsets and copes with news abbreviations."""

from pathlib import Path

import pytest

from mtcheck.segment import segment, split_spans
from mtcheck.types import Document

FIXTURES = Path(__file__).parent.parent / "fixtures"


def sentences(text):
    return [text[s:e] for s, e in split_spans(text)]


def test_news_abbreviations_times_and_ellipses():
    text = (
        "U.S. Secretary of State Marco Rubio met him at 12:30 local time. "
        "One of its F-16 fighters was lost. Officials said the team \"prepared to...get results\". "
        "Ukraine has managed to block a breakthrough in the 1,000-km front."
    )
    assert sentences(text) == [
        "U.S. Secretary of State Marco Rubio met him at 12:30 local time.",
        "One of its F-16 fighters was lost.",
        'Officials said the team "prepared to...get results".',
        "Ukraine has managed to block a breakthrough in the 1,000-km front.",
    ]


def test_closing_quote_stays_with_its_sentence():
    text = "He said, “I don't believe anything's going to happen until he and I get together.”\nNext one."
    assert sentences(text) == [
        "He said, “I don't believe anything's going to happen until he and I get together.”",
        "Next one.",
    ]


def test_sentence_never_crosses_a_line_break():
    assert sentences("First line without stop\nSecond line.") == ["First line without stop", "Second line."]


@pytest.mark.parametrize("name", sorted(p.name for p in FIXTURES.glob("*.txt")))
def test_offsets_exact_on_fixtures(name):
    text = (FIXTURES / name).read_text(encoding="utf-8")
    doc = segment(Document(path=name, text=text))
    assert len(doc.sentences) >= 10
    last = 0
    for i, s in enumerate(doc.sentences):
        assert s.index == i
        assert text[s.start : s.end] == s.text
        assert s.text == s.text.strip() and s.text
        assert s.start >= last
        last = s.end
    # Nothing but whitespace is left outside the sentences.
    covered = set()
    for s in doc.sentences:
        covered.update(range(s.start, s.end))
    assert all(ch.isspace() for i, ch in enumerate(text) if i not in covered)


def test_astral_characters_and_crlf_offsets():
    text = "Hello 🙂 world.\r\nSecond 🙂 sentence here. Third one!"
    doc = segment(Document(path="x", text=text))
    assert [s.text for s in doc.sentences] == ["Hello 🙂 world.", "Second 🙂 sentence here.", "Third one!"]
    for s in doc.sentences:
        assert text[s.start : s.end] == s.text


@pytest.mark.parametrize(
    "text",
    [
        (FIXTURES / "istanbul-talks.garbled-mt.txt").read_text(encoding="utf-8"),
        (FIXTURES / "kurdistan24-istanbul-talks.clean.txt").read_text(encoding="utf-8"),
        "Yes. Yes. Yes.  No!\u00a0 No? ... Yes.",  # repeated sentences, odd whitespace
        "Dr. Smith went to Washington, D.C. at 5 p.m. He said: \"No.\" (Really.) i.e. no.",
        "1. First item. 2. Second item.\ta) third\r\nb) fourth",
        "",
    ],
)
def test_sentence_search_matches_pysbd(text):
    """Our literal search for pysbd's sentences gives what Segmenter.segment gives."""
    import pysbd

    from mtcheck.segment import _pysbd_segment

    for para in text.split("\n"):
        assert _pysbd_segment(para, "en") == pysbd.Segmenter(language="en", clean=False).segment(para)
