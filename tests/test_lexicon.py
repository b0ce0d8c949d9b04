"""The precomputed word-frequency lexicon: wordfreq's answers, rebuilt when missing or corrupt."""

from pathlib import Path

import pytest
from wordfreq import zipf_frequency

from mtcheck.cache import take_notices
from mtcheck.detect import lexicon
from mtcheck.detect.rules._text import DATA_DIR, WORD_RE

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"


def _sample_words() -> list[str]:
    """Every word of the shipped fixture articles and the rules' word lists, in several casings, plus edge cases."""
    words: set[str] = set()
    for path in [*FIXTURES.glob("*.txt"), *DATA_DIR.glob("*.txt"), *DATA_DIR.glob("*.csv")]:
        words |= {m.group() for m in WORD_RE.finditer(path.read_text(encoding="utf-8"))}
    variants = {v for w in words for v in (w.lower(), w.upper(), w.capitalize(), w.replace("'", "\u2019"))}
    edge = {"l'heure", "L'heure", "l\u2019heure", "y'all", "qu'il", "don't", "Don\u2019t", "o'neill", "rock'n'roll",
            "Erdoğan", "İstanbul", "straße", "naïve", "CAFÉ", "full-scale", "x-ray", "-abc", "a--b", "qzxv", "1,000"}
    return sorted(words | variants | edge)


def test_same_zipf_as_wordfreq_on_the_shipped_words():
    words = _sample_words()
    assert len(words) > 2000
    answered = [w for w in words if lexicon.lexicon().zipf(w) is not None]
    assert len(answered) > 0.9 * len(words)  # the fast path covers nearly every word
    assert "l'heure" not in answered and "İstanbul" not in answered  # wordfreq's own tokenizer decides
    assert {w: lexicon.zipf(w) for w in words} == {w: zipf_frequency(w, "en") for w in words}


def _fresh(monkeypatch, root: Path):
    monkeypatch.setenv(lexicon.ENV_DIR, str(root))
    lexicon.lexicon.cache_clear()
    take_notices()


def test_built_when_missing_then_found(tmp_path, monkeypatch):
    _fresh(monkeypatch, tmp_path)
    try:
        assert lexicon.zipf("the") == zipf_frequency("the", "en")
        notices = take_notices()
        assert len(notices) == 1 and "lexicon built" in notices[0]
        assert (tmp_path / lexicon.folder_name() / lexicon.META).is_file()
        lexicon.lexicon.cache_clear()
        assert lexicon.zipf("istanbul") == zipf_frequency("istanbul", "en")
        assert take_notices() == []  # found: nothing rebuilt
    finally:
        lexicon.lexicon.cache_clear()


@pytest.mark.parametrize("damage", ["flip", "truncate", "meta", "suggest"])
def test_rebuilt_when_corrupt(tmp_path, monkeypatch, damage):
    folder = lexicon.build(tmp_path)
    words = folder / lexicon.WORDS
    if damage == "suggest":  # one suggestion candidate changes
        path = folder / lexicon.SUGGEST
        path.write_text(path.read_text(encoding="utf-8").replace("\ngovernment\n", "\ngovernmemt\n"), encoding="utf-8")
    elif damage == "flip":
        data = bytearray(words.read_bytes())
        data[len(data) // 2] ^= 0x20  # one letter of one word changes case
        words.write_bytes(bytes(data))
    elif damage == "truncate":
        words.write_bytes(words.read_bytes()[:1000])
    else:
        (folder / lexicon.META).write_text("{not json", encoding="utf-8")
    _fresh(monkeypatch, tmp_path)
    try:
        assert lexicon.zipf("government") == zipf_frequency("government", "en")
        notices = take_notices()
        assert len(notices) == 1 and "rebuilt" in notices[0], notices
        assert lexicon.Lexicon(folder).zipf("government") == zipf_frequency("government", "en")
    finally:
        lexicon.lexicon.cache_clear()


def test_suggestion_candidates_are_hunspell_words_with_their_frequency():
    from mtcheck.detect.rules._text import hunspell_knows

    words, zipfs = lexicon.lexicon().suggestion_words
    assert len(words) == len(zipfs) > 50_000
    assert all(hunspell_knows(w) and "'" not in w for w in words[::97])
    assert {"government", "receive", "Holman"} <= set(words)  # as Hunspell writes them
    at = words.index("government")
    assert abs(zipfs[at] - zipf_frequency("government", "en")) < 0.01
