"""Property-based tests (hypothesis) over read -> segment -> align -> detect -> report.

Generated document pairs (see ``tests/properties.py`` for what they hold and which
properties each report must satisfy) go through the real pipeline with the real
embedding model, shared by all examples. Profiles:

- ``ci`` (default): few examples, derandomized (the same examples every run, so CI is
  not flaky), no example database;
- ``bench``: ``MTCHECK_PROPERTY_EXAMPLES`` examples (default 500), random, with the
  example database; ``python bench/properties.py`` runs it.

Select with ``MTCHECK_HYPOTHESIS_PROFILE=bench``.
"""

from __future__ import annotations

import os

import pytest
from hypothesis import HealthCheck, Phase, example, given, settings
from hypothesis import strategies as st

from properties import ODD, check_properties, document_pair

from mtcheck.pipeline import check_documents
from mtcheck.read import InputError, decode
from mtcheck.settings import Settings
from mtcheck.types import Document

_SLOW = [HealthCheck.too_slow, HealthCheck.function_scoped_fixture, HealthCheck.data_too_large]
settings.register_profile(
    "ci", max_examples=12, deadline=None, derandomize=True, database=None, suppress_health_check=_SLOW,
    phases=(Phase.explicit, Phase.generate, Phase.shrink),
)
settings.register_profile(
    "bench",
    max_examples=int(os.environ.get("MTCHECK_PROPERTY_EXAMPLES", "500")),
    deadline=None,
    suppress_health_check=_SLOW,
)
PROFILE = settings.get_profile(os.environ.get("MTCHECK_HYPOTHESIS_PROFILE", "ci"))


def _check(encoder, ref_text: str, cand_text: str, **options):
    """Read both sides from bytes as the CLI does, run the pipeline, check the report.

    The only exceptions allowed are the input errors the CLI turns into one line and
    exit code 2 (an empty or binary-looking side), and their message is one line.
    """
    try:
        ref = Document("ref.txt", decode(ref_text.encode("utf-8"), "ref.txt"))
        cand = Document("cand.txt", decode(cand_text.encode("utf-8"), "cand.txt"))
    except InputError as exc:
        assert "\n" not in str(exc) and str(exc)
        return None
    report = check_documents(ref, cand, Settings(grammar=False, select=["ALL"], **options), encoder)
    check_properties(report)
    return report


@settings(PROFILE)
@given(pair=document_pair())
@example(pair=("Zelensky met Erdogan in Ankara.\r\nThe talks ended.", "Zelensky met met Erdogan in Ankara.\rThe talks ended."))
@example(pair=("\u0130stanbul talks \U0001f600 ended on 5 May.", "\u0130stanbul talks \U0001f600 ended on 7 May."))
@example(pair=("<script>alert(1)</script> said Kyiv.", '"><img src=x onerror=alert(1)> said Kiev Kiev.'))
def test_generated_pairs_hold_every_property(encoder, pair):
    _check(encoder, *pair)


@settings(PROFILE)
@given(ref=st.text(min_size=1, max_size=300), cand=st.text(min_size=1, max_size=300))
def test_arbitrary_unicode_never_raises(encoder, ref, cand):
    _check(encoder, ref, cand)


@settings(PROFILE)
@given(pair=document_pair())
def test_line_aligned_mode(encoder, pair):
    """--aligned: line i pairs with line i; different line counts are an input error."""
    from mtcheck.align.aligner import AlignmentInputError

    try:
        _check(encoder, *pair, aligned=True)
    except AlignmentInputError as exc:
        assert "\n" not in str(exc) and "line" in str(exc)


def test_one_sentence_and_a_single_character(encoder):
    _check(encoder, "Zelensky met Erdogan.", "Zelensky met Erdogan.")
    _check(encoder, "a", "b")
    _check(encoder, "\U0001f600", "\u0301")


def test_very_long_lines_and_words(encoder):
    word = "x" * 50_000
    _check(encoder, f"The talks ended. {word}.", f"The talks ended. {word} {word}.")
    # One 8,100-character sentence: pysbd and TER are quadratic in a sentence's length, so
    # longer ones are for bench/properties.py (a 108,000-character line takes minutes).
    line = " ".join(["the talks in Istanbul ended"] * 300)
    _check(encoder, line, line.replace("Istanbul", "Istanbul Istanbul", 3))


def test_thousands_of_tiny_sentences(encoder):
    ref = " ".join(f"A{i}." for i in range(1000))
    cand = "\r\n".join(f"A{i}. B." for i in range(0, 1000, 2))
    report = _check(encoder, ref, cand)
    assert len(report.reference.sentences) == 1000 and len(report.candidate.sentences) == 1000


@pytest.mark.parametrize("odd", ODD)
def test_each_odd_piece_in_context(encoder, odd):
    """Every hostile piece alone in a real sentence pair, both sides."""
    _check(
        encoder,
        f"Zelensky met Erdogan {odd} in Ankara on 5 May.\nThe talks ended.",
        f"Zelensky met {odd} Erdogan in in Ankara on 7 May.\r\nThe talks {odd} ended.",
    )


def test_the_checks_catch_a_broken_report(encoder):
    """The properties are not vacuous: one finding off by one character fails them."""
    from dataclasses import replace

    report = _check(encoder, "Zelensky met Erdogan in Ankara.", "Zelensky met met Erdogan in Ankara.")
    assert report.findings
    report.findings[0] = replace(report.findings[0], start=report.findings[0].start + 1)
    with pytest.raises(AssertionError):
        check_properties(report)
