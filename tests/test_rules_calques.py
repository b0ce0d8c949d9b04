"""Calques and unnatural collocations (MT301-MT303)."""

from pathlib import Path

import pytest

from mtcheck.detect.adhoc import context_from_texts, run_example
from mtcheck.detect.base import RuleError
from mtcheck.detect.rules.calques import Calque, CollocationSubstitution, UnlikelyWord, calque_table

FIXTURES = Path(__file__).parent.parent / "fixtures"

FLAG = [
    (Calque, "Umerov has been part of the reverse channel talks with Russians.",
     "reverse channel", "back channel"),
    (Calque, "Umerov has been part of the reverse-channel talks.", "reverse-channel",
     "back channel"),
    (Calque, "High Ukrainian officials told the Financial Times.", "High Ukrainian officials",
     "Senior Ukrainian officials"),
    (Calque, "The minister met high officials in Ankara.", "high officials", "senior officials"),
    (Calque, "Ukrainian leaders called the delegation a \"substitute prop\".", "substitute prop",
     "sham"),
    (Calque, "The shelling killed members of the peaceful population.", "peaceful population",
     "civilian population"),
    (Calque, "The ministers will discuss about the truce.", "discuss about", "discuss"),
    (Calque, "He has lived in Kyiv since three years.", "since three years", "for … (duration)"),
    (CollocationSubstitution, ("Umerov joined the back channel talks.",
                               "Umerov joined the reverse channel talks."),
     "reverse channel", "back channel"),
    (CollocationSubstitution, ("Senior officials met in Ankara.", "Top officials met in Ankara."),
     "Top officials", "senior officials"),
    (CollocationSubstitution, ("Russia will not drop its maximalist demands.",
                               "Russia will not drop its biggest demands."),
     "biggest demands", "maximalist demands"),
]

PASS = [
    (Calque, "Umerov has been part of the back channel talks with Russians."),
    (Calque, "Senior Ukrainian officials told the Financial Times."),
    (Calque, "The high-ranking officials met; the high officials' meeting ended."),
    (Calque, "The press office said civilians were evacuated."),
    (Calque, "Since 2022, the sides have met three times."),
    (CollocationSubstitution, ("Umerov joined the back channel talks.",
                               "Umerov joined the back-channel talks.")),
    (CollocationSubstitution, ("Heavy fighting went on near Pokrovsk.",
                               "Fierce fighting went on near Pokrovsk.")),
    (CollocationSubstitution, ("A senior official said so.", "Senior officials said so.")),
    (CollocationSubstitution, "Umerov joined the reverse channel talks."),  # no reference
]


@pytest.mark.parametrize(("rule", "example", "flagged", "suggestion"), FLAG)
def test_flags(rule, example, flagged, suggestion):
    findings = run_example(rule, example)
    assert [f.text for f in findings] == [flagged]
    assert findings[0].suggestions == (suggestion,)
    assert findings[0].category == "Style/Awkward"


@pytest.mark.parametrize(("rule", "example"), PASS)
def test_passes(rule, example):
    assert run_example(rule, example) == []


def test_calque_table_rows_are_complete_and_compile():
    rows = calque_table()
    assert len(rows) >= 40
    for pattern, calque, idiomatic, note in rows:
        assert calque and idiomatic and note, calque
        assert pattern.pattern


def test_calque_message_gives_the_reason():
    (f,) = run_example(Calque, "The reverse channel talks resumed.")
    assert "back channel" in f.message and "calque" in f.message


def test_collocation_needs_an_aligned_pair():
    ref, cand = "Umerov joined the back channel talks.", "Umerov joined the reverse channel talks."
    ctx = context_from_texts(ref, cand, pairing=None)
    assert list(CollocationSubstitution().check(ctx)) == []


# -- MT303: masked language model ------------------------------------------------------
WORDS = ("the a of in to talks peace russia ukraine will hold on friday sides met "
         "delegation ##s ##ing said").split()


@pytest.fixture(scope="module")
def tiny_mlm(tmp_path_factory):
    """A small randomly initialised BERT masked LM with its own vocabulary, on disk.

    No masked language model is available offline here, so this checks the loading and
    scoring path end to end (not the model's judgement).
    """
    from transformers import BertConfig, BertForMaskedLM, BertTokenizerFast

    path = tmp_path_factory.mktemp("tiny-mlm")
    vocab = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", *WORDS]
    (path / "vocab.txt").write_text("\n".join(vocab) + "\n")
    BertTokenizerFast(vocab_file=str(path / "vocab.txt"), do_lower_case=True).save_pretrained(path)
    config = BertConfig(vocab_size=len(vocab), hidden_size=32, num_hidden_layers=1,
                        num_attention_heads=2, intermediate_size=64, max_position_embeddings=64)
    BertForMaskedLM(config).save_pretrained(path)
    return str(path)


def test_unlikely_word_is_off_by_default_and_skips_with_a_notice_without_model():
    assert UnlikelyWord.default_enabled is False
    ctx = context_from_texts("", "The sides met on Friday.")
    assert list(UnlikelyWord().check(ctx)) == []
    assert len(ctx.notices) == 1 and "MT303" in ctx.notices[0] and "model" in ctx.notices[0]


def test_unlikely_word_with_a_bad_model_path_is_one_line_error(tmp_path):
    ctx = context_from_texts("", "The sides met.", options={"MT303": {"model": str(tmp_path / "nope")}})
    with pytest.raises(RuleError) as err:
        list(UnlikelyWord().check(ctx))
    assert "MT303" in str(err.value) and "nope" in str(err.value)
    assert "\n" not in str(err.value)


def test_unlikely_word_scores_words_with_a_local_model(tiny_mlm):
    text = "The sides met on Friday. Russia will hold peace talks."
    always = {"MT303": {"model": tiny_mlm, "threshold": 0.0, "min_rank": 0}}
    ctx = context_from_texts("", text, options=always)
    findings = list(UnlikelyWord().check(ctx))
    # every lower-case content word is scored and, at threshold 0, flagged
    assert [f.text for f in findings] == ["sides", "met", "hold", "peace", "talks"]
    for f in findings:
        assert text[f.start : f.end] == f.text
        assert "log-probability" in f.message
    never = {"MT303": {"model": tiny_mlm, "threshold": -1e9, "min_rank": 0}}
    assert list(UnlikelyWord().check(context_from_texts("", text, options=never))) == []


def test_unlikely_word_with_a_directory_that_is_not_a_model(tmp_path):
    ctx = context_from_texts("", "The sides met.", options={"MT303": {"model": str(tmp_path)}})
    with pytest.raises(RuleError) as err:
        list(UnlikelyWord().check(ctx))
    assert "cannot load" in str(err.value) and "\n" not in str(err.value)


def test_ascii_case_twins_are_every_char_ignorecase_matches_to_ascii():
    import re
    import sys

    from mtcheck.detect.rules.calques import ASCII_CASE_TWINS

    letter = re.compile("[a-z]", re.IGNORECASE)
    twins = {}
    for cp in range(0x80, sys.maxunicode + 1):
        ch = chr(cp)
        if letter.fullmatch(ch):
            twins[ch] = next(c for c in "abcdefghijklmnopqrstuvwxyz" if re.fullmatch(c, ch, re.IGNORECASE))
    assert twins == ASCII_CASE_TWINS


@pytest.mark.parametrize(
    "text",
    [
        (FIXTURES / "istanbul-talks.garbled-mt.txt").read_text(encoding="utf-8"),
        "HIGH OFFICIALS met. The \u017ftrike killed members of the peaceful population.",
        "H\u0130GH officials and h\u0131gh officials discuss about the truce \u212aremlin.",
    ],
)
def test_first_word_filter_finds_what_every_pattern_finds(text, monkeypatch):
    """Skipping the rows whose first word the text lacks changes no finding."""
    import mtcheck.detect.rules.calques as calques

    ctx = context_from_texts("", text)
    fast = [(f.start, f.end, f.message) for f in Calque().check(ctx)]
    monkeypatch.setattr(calques, "_needles", lambda: (None,) * len(calque_table()))
    slow = [(f.start, f.end, f.message) for f in Calque().check(ctx)]
    assert fast == slow
    assert fast  # each text holds calques, some only in case-folded form
