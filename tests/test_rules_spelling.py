"""Garbled terms, non-words and misspellings (MT111, MT112)."""

import pytest

from mtcheck.detect.adhoc import context_from_texts, run_example
from mtcheck.detect.rules.spelling import Misspelling, NonWord, morphology

FLAG = [
    (NonWord, "Russia would not back off the demands of its biggestists.", "biggestists"),
    (NonWord, "The sides held unconstructivenessly long talks.", "unconstructivenessly"),
    (NonWord, "Biggestists demands were rejected.", "Biggestists"),
    (NonWord, "They spoke of the qwzrtly plan.", "qwzrtly"),
    (NonWord, "The lower-teamists met.", "teamists"),
    (Misspelling, "The goverment said so.", "goverment"),
    (Misspelling, "They will recieve the envoy.", "recieve"),
]

PASS = [
    (NonWord, "Defense Minister Rustem Umerov met Andriy Sybiha and Andriy Yermak in Kyiv."),
    (NonWord, "Russian forces advanced near Pokrovsk, Toretsk and Chasiv Yar."),
    (NonWord, "Medinsky led the Russian delegation; Zelenskyy met Erdoğan."),
    (NonWord, "Umerov, a Crimean Tatar, joined the full-scale talks."),
    (NonWord, "Ukraine's air force said one of its F-16 fighters was lost near the 1,000-km front."),
    (NonWord, "NATO and the EU said the Kremlin's demands were maximalist."),
    (NonWord, "Russians' hopes rose; the Ukrainians’ fell."),
    (Misspelling, "The ministry will livestream the talks after the cyberattack."),
    (Misspelling, "Officials met at the flashpoint city on the frontline."),
    (Misspelling, "Long mouthparts let the insects reach the nectar."),
]


@pytest.mark.parametrize(("rule", "text", "flagged"), FLAG)
def test_flags(rule, text, flagged):
    findings = run_example(rule, text)
    assert [f.text for f in findings] == [flagged]
    assert text[findings[0].start : findings[0].end] == flagged


@pytest.mark.parametrize(("rule", "text"), PASS)
def test_passes(rule, text):
    assert run_example(rule, text) == []


def test_garbled_term_has_morphology_hint_suggestions_and_is_major():
    (f,) = run_example(NonWord, "Russia would not back off the demands of its biggestists.")
    assert '"biggest"' in f.message and '"-ists"' in f.message
    assert f.severity == "major"
    assert "biggest" in f.suggestions
    assert f.category == "Fluency/Spelling"


def test_suggestions_come_from_the_lexicon_and_agree_with_hunspell_on_misspellings():
    """The fast engine (the lexicon's Hunspell words ranked by rapidfuzz) is the one in use;
    on common misspellings its first suggestion is Hunspell's own first one."""
    from mtcheck.detect.rules.spelling import _candidates, _hunspell_suggestions, _suggestions

    assert _candidates() is not None
    for word, first in {"goverment": "government", "recieve": "receive", "definately": "definitely",
                        "seperate": "separate", "occured": "occurred", "wierd": "weird"}.items():
        assert _suggestions(word, 3)[0] == first == _hunspell_suggestions(word, 3)[0], word
    assert _suggestions("biggestists", 3)[0] == "biggest"
    assert _suggestions("mouthparts", 3)[0] == "mouth-parts"  # two words, as Hunspell splits them
    assert _suggestions("Goverment", 2) == ("Government", "Governments")  # the word's capital kept
    assert len(_suggestions("qwzrtly", 3)) == 3


def test_plain_non_word_is_minor():
    (f,) = run_example(NonWord, "They spoke of the qwzrtly plan.")
    assert f.severity == "minor"
    assert "do not combine" not in f.message


def test_morphology():
    assert morphology("biggestists") == ("biggest", ["-ists"])
    assert morphology("qwzrtly") is None


def test_words_of_the_reference_are_never_flagged():
    ref = "The wexlerite deposits were found."
    cand = "Wexlerite is rare; the wexlerite deposits were found."
    assert run_example(NonWord, (ref, cand)) == []
    assert [f.text for f in run_example(NonWord, cand)] == ["wexlerite"]


def test_allowed_terms_are_never_flagged():
    text = "The wexlerite deposits were found."
    ctx = context_from_texts("", text, allowed_terms=frozenset({"Wexlerite"}))
    assert list(NonWord().check(ctx)) == []


def test_lexicon_threshold_is_an_option():
    text = "Her maximalists demands were rejected."  # wordfreq has seen "maximalists" (Zipf ~1.5)
    assert run_example(NonWord, text) == []
    ctx = context_from_texts("", text, options={"MT111": {"min_zipf": 2.0}})
    assert [f.text for f in NonWord().check(ctx)] == ["maximalists"]


def test_garbled_severity_option_is_checked():
    text = "Russia would not back off the demands of its biggestists."
    ctx = context_from_texts("", text, options={"MT111": {"garbled_severity": "critical"}})
    assert [f.severity for f in NonWord().check(ctx)] == ["critical"]
    from mtcheck.detect.base import RuleError

    bad = context_from_texts("", text, options={"MT111": {"garbled_severity": "huge"}})
    with pytest.raises(RuleError):
        list(NonWord().check(bad))


def test_native_hunspell_answers_as_spylls():
    """libhunspell (chunspell) on spylls' en_US files: same look-ups as spylls itself,
    on every word of the fixture articles and a few non-words; suggestions alike."""
    import re
    from pathlib import Path

    from spylls.hunspell import Dictionary

    from mtcheck.detect.rules._text import _NativeHunspell, _spylls_en_us, hunspell

    assert isinstance(hunspell(), _NativeHunspell)  # the fast engine is the one in use
    path = _spylls_en_us()
    native, reference = _NativeHunspell(path.parent, path.name), Dictionary.from_files(str(path))
    fixtures = Path(__file__).resolve().parent.parent / "fixtures"
    words = set()
    for f in fixtures.glob("*.txt"):
        words |= set(re.findall(r"[A-Za-z][A-Za-z'’-]*[A-Za-z]", f.read_text(encoding="utf-8")))
    words |= {"biggestists", "goverment", "recieve", "unconstructivenessly", "Kyiv", "Zelensky"}
    assert len(words) > 400
    assert {w for w in words if native.lookup(w) != reference.lookup(w)} == set()
    assert list(native.suggest("goverment"))[0] == "government" == next(iter(reference.suggest("goverment")))
    assert list(native.suggest("biggestists"))[:2] == ["biggest", "bigamists"]
