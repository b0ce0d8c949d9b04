"""Shared text helpers of the rules: word tokens with offsets, data files, lexicons.

Lexicons (wordfreq, the Hunspell en_US dictionary that spylls ships, run by libhunspell) load lazily and
once per process. Data files live in ``mtcheck/detect/data``; lines starting with ``#``
are comments.
"""

from __future__ import annotations

import csv
import re
import unicodedata
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

DATA_DIR = Path(__file__).resolve().parent.parent / "data"

#: A word: letters, optionally joined by an apostrophe or hyphen ("don't", "full-scale").
WORD_RE = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)*(?:-[^\W\d_]+(?:['’][^\W\d_]+)*)*")
#: A word or a number ("1,000", "12:30"), for rules that compare token sequences.
TOKEN_RE = re.compile(WORD_RE.pattern + r"|\d+(?:[.,:]\d+)*")
#: Quoted passages (straight or curly double quotes).
QUOTE_RE = re.compile(r"\"[^\"\n]*\"|“[^”\n]*”|«[^»\n]*»")


@dataclass(frozen=True)
class Token:
    text: str
    start: int
    end: int
    sentence: int  # index of the sentence in the document

    @property
    def lower(self) -> str:
        return self.text.lower()

    @property
    def capitalized(self) -> bool:
        return self.text[:1].isupper()


def doc_tokens(doc, pattern: re.Pattern = WORD_RE) -> list[Token]:
    """Word tokens of a Document, sentence by sentence, with document offsets."""
    out: list[Token] = []
    for s in doc.sentences:
        for m in pattern.finditer(s.text):
            out.append(Token(m.group(), s.start + m.start(), s.start + m.end(), s.index))
    return out


def text_tokens(
    text: str, base: int = 0, sentence: int = 0, pattern: re.Pattern = WORD_RE
) -> list[Token]:
    return [
        Token(m.group(), base + m.start(), base + m.end(), sentence)
        for m in pattern.finditer(text)
    ]


def count_sequence(tokens: list[str], seq: list[str]) -> int:
    """How often the token sequence ``seq`` occurs in ``tokens`` (lower-cased lists)."""
    n = len(seq)
    return sum(tokens[k : k + n] == seq for k in range(len(tokens) - n + 1))


class SequenceCounts:
    """``count_sequence(tokens, seq)`` for many ``seq`` over one long token list: one pass
    per sequence length counts every window of that length, so asking about each phrase
    of a document costs a dict look-up, not a scan of the document (quadratic)."""

    def __init__(self, tokens: list[str]):
        self.tokens = tokens
        self._by_length: dict[int, Counter] = {}

    def count(self, seq: list[str]) -> int:
        n = len(seq)
        if n == 0:
            return len(self.tokens) + 1  # as count_sequence: every (empty) window
        counts = self._by_length.get(n)
        if counts is None:
            counts = self._by_length[n] = Counter(zip(*(self.tokens[k:] for k in range(n))))
        return counts[tuple(seq)]


def quote_spans(text: str) -> list[tuple[int, int]]:
    return [(m.start(), m.end()) for m in QUOTE_RE.finditer(text)]


def in_spans(offset: int, spans: list[tuple[int, int]]) -> bool:
    return any(a <= offset < b for a, b in spans)


@lru_cache(maxsize=65536)
def fold(text: str) -> str:
    """Lower-case and strip diacritics: "Erdoğan" -> "erdogan"."""
    nfkd = unicodedata.normalize("NFKD", text)
    return "".join(c for c in nfkd if not unicodedata.combining(c)).lower().replace("’", "'")


def sentence_initial(tok: Token, doc) -> bool:
    """True when no word precedes ``tok`` in its sentence (quotes/brackets aside)."""
    s = doc.sentences[tok.sentence]
    return not WORD_RE.search(doc.text[s.start : tok.start]) and not any(
        c.isdigit() for c in doc.text[s.start : tok.start]
    )


# -- data files -------------------------------------------------------------------------
@lru_cache(maxsize=None)
def word_list(name: str) -> frozenset[str]:
    """A one-entry-per-line data file as a lower-cased set."""
    lines = (DATA_DIR / name).read_text(encoding="utf-8").splitlines()
    return frozenset(
        ln.strip().lower() for ln in lines if ln.strip() and not ln.lstrip().startswith("#")
    )


@lru_cache(maxsize=None)
def csv_rows(name: str) -> tuple[dict[str, str], ...]:
    """A CSV data file (header row, ``#`` comment lines allowed) as dicts."""
    lines = (DATA_DIR / name).read_text(encoding="utf-8").splitlines()
    body = [ln for ln in lines if ln.strip() and not ln.lstrip().startswith("#")]
    return tuple(
        {k.strip(): (v or "").strip() for k, v in row.items()} for row in csv.DictReader(body)
    )


def function_words() -> frozenset[str]:
    return word_list("function_words.txt")


def is_function_word(word: str) -> bool:
    return word.lower().replace("’", "'") in function_words()


# -- lexicons ---------------------------------------------------------------------------
class _NativeHunspell:
    """libhunspell (the ``chunspell`` binding) behind spylls' ``lookup``/``suggest`` API."""

    def __init__(self, folder: Path, name: str):
        from hunspell import Hunspell

        self._h = Hunspell(name, hunspell_data_dir=str(folder))

    def lookup(self, word: str) -> bool:
        return self._h.spell(word)

    def suggest(self, word: str):
        return iter(self._h.suggest(word))


def _spylls_en_us() -> Path:
    """spylls' en_US dictionary files, found without importing spylls (~40 ms)."""
    import importlib.util

    spec = importlib.util.find_spec("spylls")
    if spec is None or not spec.submodule_search_locations:
        raise ImportError("spylls is not installed")
    root = Path(next(iter(spec.submodule_search_locations))).resolve()
    return root / "hunspell" / "data" / "en" / "en_US"


@lru_cache(maxsize=1)
def hunspell():
    """The Hunspell en_US dictionary (SCOWL) shipped with spylls, run by libhunspell.

    The native library (the ``chunspell`` wheel ships libhunspell 1.7) loads the same
    dictionary files in about 0.1 s, looks words up 7x faster than spylls (same answers
    on the 4,076 distinct words of the TED MT set and the fixtures) and makes a spelling
    suggestion 3-4x faster. Without it, spylls (pure Python) parses the dictionary; that
    takes about 0.4 s, so the parsed dictionary is kept as a pickle in the default
    mtcheck cache directory (:func:`mtcheck.cache.pickled`), keyed by the spylls version
    and the dictionary files' path, size and mtime.
    """
    path = _spylls_en_us()
    try:
        return _NativeHunspell(path.parent, path.name)
    except ImportError:
        pass
    from importlib.metadata import version

    from spylls.hunspell import Dictionary

    from mtcheck.cache import pickled

    files = [path.with_suffix(ext) for ext in (".aff", ".dic")]
    key = " ".join(
        [f"spylls={version('spylls')}"]
        + [f"{f}:{f.stat().st_size}:{f.stat().st_mtime_ns}" for f in files]
    )
    return pickled("hunspell-en_US", key, lambda: Dictionary.from_files(str(path)))


@lru_cache(maxsize=65536)
def zipf(word: str) -> float:
    """wordfreq Zipf frequency of a word in English (0 when unseen).

    From the precomputed lexicon (:mod:`mtcheck.detect.lexicon`: same values, loads in a
    millisecond instead of wordfreq's 0.4-0.7 s), wordfreq itself for what it cannot answer.
    """
    from mtcheck.detect.lexicon import zipf as lexicon_zipf

    return lexicon_zipf(word)


def load_lexicons() -> None:
    """Load the Hunspell dictionary and the word-frequency lexicon now (Rule.preload)."""
    hunspell()
    zipf("the")


@lru_cache(maxsize=65536)
def hunspell_knows(word: str) -> bool:
    return hunspell().lookup(word)


def is_known_word(word: str, min_zipf: float = 1.0) -> bool:
    """A word of English per wordfreq (at ``min_zipf``) or Hunspell, or a compound of such."""
    w = word.replace("’", "'")
    if zipf(w.lower()) >= min_zipf or hunspell_knows(w) or hunspell_knows(w.lower()):
        return True
    if "-" in w:
        return all(is_known_word(p, min_zipf) for p in w.split("-") if p)
    return w.lower() in word_list("lexicon_extra.txt")
