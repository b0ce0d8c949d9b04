"""Duplicated words and phrases (MT101-MT103): should-flag / should-not-flag tables."""

import pytest

from mtcheck.detect.adhoc import context_from_texts, run_example
from mtcheck.detect.rules.repetition import DuplicatedWord, RepeatedPhrase, RepeatedWord

FLAG = [
    # (rule, candidate, flagged text)
    (DuplicatedWord, "Talks will resume in the the coming days.", "the the"),
    (DuplicatedWord, "The The army said so.", "The The"),
    (DuplicatedWord, "Russia launched drones drones overnight.", "drones drones"),
    (RepeatedPhrase, "Russia and Ukraine will hold talks on Friday, meeting in Istanbul, an "
     "unconditional ceasefire internationally, and a discussion in Istanbul.", "in Istanbul"),
    (RepeatedPhrase, "Kyiv exposed atrocities by Moscow forces in Bucha and other parts of "
     "Ukraine occupied in the weeks before the full-scale invasion and other parts of Ukraine.",
     "and other parts of Ukraine"),
    (RepeatedPhrase, "Talks were held in Istanbul on Friday. In Istanbul on Friday, the sides "
     "agreed a prisoner swap.", "In Istanbul on Friday"),
    (RepeatedWord, "Yermak met the Ukrainian special Ukrainian Keith Kellogg.", "Ukrainian"),
    (RepeatedWord, "Istanbul had previously held peace talks in Istanbul after Kyiv exposed "
     "atrocities.", "Istanbul"),
]

PASS = [
    (DuplicatedWord, "He had had enough of the talks."),
    (DuplicatedWord, "He said that that was the end of it."),
    (DuplicatedWord, "No, no, the talks are over."),
    (DuplicatedWord, "Talks ended. Ended, too, was the truce."),
    (RepeatedPhrase, "Officials from the United States and the United Kingdom met in Geneva."),
    (RepeatedPhrase, "The value of the dollar and the value of the euro both rose."),
    (RepeatedPhrase, "He said \"we want peace, we want peace now\" to reporters."),
    (RepeatedPhrase, "The peace talks began in May. Hopes for the talks are low."),
    (RepeatedPhrase, "Russian forces attacked Kharkiv. Later that day Russian forces attacked "
     "Sumy, and in the evening they shelled Odesa again, officials said."),
    (RepeatedWord, "Prices rose day by day and the sides met face to face."),
    (RepeatedWord, "North Korea and South Korea held talks."),
    (RepeatedWord, "Joe Biden and Jill Biden arrived in Kyiv."),
    (RepeatedWord, "Ukrainian officials said the attack hit a Russian base, and Russian "
     "officials denied it."),
    (RepeatedWord, "Russia launched drones overnight. Russia denied the strike."),
    (RepeatedWord, "\"Never, never, never give up,\" he said."),
    (RepeatedWord, "More and more people fled as the war went on."),
    (RepeatedWord, "The data cover infant mortality rate, suicide rate and obesity."),
    (RepeatedWord, "The Ukrainian delegation, Ukrainian diplomats said, was ready."),
    (RepeatedWord, "In Pokrovsk, Toretsk and Chasiv Yar the fighting went on."),
]


@pytest.mark.parametrize(("rule", "text", "flagged"), FLAG)
def test_flags(rule, text, flagged):
    findings = run_example(rule, text)
    assert [f.text for f in findings] == [flagged]
    f = findings[0]
    assert text[f.start : f.end] == f.text
    assert f.severity == "minor"


@pytest.mark.parametrize(("rule", "text"), PASS)
def test_passes(rule, text):
    assert run_example(rule, text) == []


def test_duplicated_word_suggests_one_word():
    (f,) = run_example(DuplicatedWord, "It was the the end.")
    assert f.suggestions == ("the",)


def test_a_repeat_the_aligned_reference_also_has_is_not_flagged():
    cand = "They met in Istanbul on Friday and talked again in Istanbul."
    ref = "The delegations met in Istanbul and then met again in Istanbul."
    assert run_example(RepeatedPhrase, (ref, cand)) == []
    assert [f.text for f in run_example(RepeatedPhrase, cand)] == ["in Istanbul"]


def test_topic_noun_phrases_are_not_flagged_unless_asked():
    text = "Light falls into the black hole, and some is bent by the black hole."
    assert run_example(RepeatedPhrase, text) == []
    ctx = context_from_texts("", text, options={"MT102": {"skip_topic_phrases": False}})
    assert [f.text for f in RepeatedPhrase().check(ctx)] == ["the black hole"]


def test_phrase_window_is_an_option():
    text = ("Talks in Istanbul went on for hours while delegates argued over the terms of a "
            "ceasefire and prisoner swaps before a final session in Istanbul.")
    assert [f.text for f in run_example(RepeatedPhrase, text)] == []
    ctx = context_from_texts("", text, options={"MT102": {"max_gap": 30}})
    assert [f.text for f in RepeatedPhrase().check(ctx)] == ["in Istanbul"]


def test_cross_sentence_can_be_switched_off():
    text = "Talks were held in Istanbul on Friday. In Istanbul on Friday, they met."
    ctx = context_from_texts("", text, options={"MT102": {"cross_sentence": False}})
    assert list(RepeatedPhrase().check(ctx)) == []


def test_repeated_word_does_not_duplicate_repeated_phrase():
    text = "Ukraine and Russia will meet in Istanbul, and a discussion in Istanbul."
    assert [f.code for f in run_example(RepeatedPhrase, text)] == ["MT102"]
    assert run_example(RepeatedWord, text) == []
