"""Garbled terms, non-words and misspellings in the candidate (MT111, MT112).

Lexicons: wordfreq (word frequencies from many sources, Zipf scale) and the Hunspell
en_US dictionary (SCOWL) that spylls ships, run by libhunspell (the ``chunspell`` wheel;
spylls itself without it). Both load lazily, once per process. Suggestions are made only
for words that are reported, from the words of that dictionary that wordfreq has seen,
ranked with rapidfuzz (a few milliseconds a word, where Hunspell's own suggest takes
0.1-0.3 s; it stays the fallback).
"""

from __future__ import annotations

from functools import lru_cache
from typing import Iterable

from rapidfuzz.distance import DamerauLevenshtein

from mtcheck.detect.base import CheckContext, Rule, RuleError
from mtcheck.detect.rules._text import (
    Token,
    fold,
    hunspell,
    hunspell_knows,
    load_lexicons,
    sentence_initial,
    word_list,
    zipf,
)
from mtcheck.types import SEVERITIES, Finding

_POSSESSIVE = ("'s", "’s", "'", "’")


def _base(word: str) -> str:
    for end in _POSSESSIVE:
        if word.endswith(end) and len(word) > len(end) + 1:
            return word[: -len(end)]
    return word


def _known(word: str, min_zipf: float) -> bool:
    """Hunspell knows it, wordfreq has seen it often enough, or the user listed it."""
    if hunspell_knows(word) or hunspell_knows(word.lower()):
        return True
    if zipf(word.lower()) >= min_zipf:
        return True
    return word.lower() in word_list("lexicon_extra.txt")


@lru_cache(maxsize=1)
def _affixes() -> tuple[tuple[str, ...], tuple[str, ...]]:
    items = word_list("affixes.txt")
    suffixes = sorted((a[1:] for a in items if a.startswith("-")), key=len, reverse=True)
    prefixes = sorted((a[:-1] for a in items if a.endswith("-")), key=len, reverse=True)
    return tuple(suffixes), tuple(prefixes)


def _stem_word(stem: str) -> bool:
    return len(stem) >= 3 and (hunspell_knows(stem) or zipf(stem) >= 3.0)


def morphology(word: str) -> tuple[str, list[str]] | None:
    """A real stem plus affixes for a non-word: "biggestists" -> ("biggest", ["-ists"])."""
    suffixes, prefixes = _affixes()
    w = word.lower()
    best: tuple[str, list[str]] | None = None

    def search(stem: str, affixes: list[str], depth: int) -> None:
        nonlocal best
        if affixes and _stem_word(stem):
            if best is None or len(stem) > len(best[0]):
                best = (stem, affixes)
            return
        if depth == 3:
            return
        for s in suffixes:
            if stem.endswith(s) and len(stem) - len(s) >= 3:
                search(stem[: -len(s)], ["-" + s, *affixes], depth + 1)
        for p in prefixes:
            if stem.startswith(p) and len(stem) - len(p) >= 3:
                search(stem[len(p) :], [p + "-", *affixes], depth + 1)

    search(w, [], 0)
    return best


def _skip(ctx: CheckContext, tok: Token, reference_words: set[str]) -> bool:
    word = _base(tok.text)
    if len(word) < 3 or word.isupper() or any(c.isdigit() for c in word):
        return True
    if fold(word) in reference_words or fold(tok.text) in reference_words:
        return True
    allowed = {fold(t) for t in ctx.allowed_terms}
    return fold(word) in allowed or fold(tok.text) in allowed


def _reference_words(ctx: CheckContext) -> set[str]:
    from mtcheck.detect.rules._text import text_tokens

    return {fold(t.text) for t in text_tokens(ctx.reference.text)} | {
        fold(_base(t.text)) for t in text_tokens(ctx.reference.text)
    }


def _suggest(word: str, limit: int) -> list[str]:
    return list(_suggestions(word, limit))


#: How many of the most similar candidates (rapidfuzz's Indel ratio) are re-ranked.
_POOL = 50
#: Weight of a candidate's Zipf frequency against its similarity (0-100) in the ranking.
_ZIPF_WEIGHT = 2.0


@lru_cache(maxsize=1)
def _candidates() -> tuple[list[str], list[str], object] | None:
    """The suggestion candidates (words Hunspell accepts, as it writes them), lower-cased
    (the same string objects where they already are: ~5 MB less), and their Zipf values:
    from the lexicon built at install; None without it."""
    from mtcheck.detect.lexicon import LexiconError, lexicon

    lex = lexicon()
    if lex is None:
        return None
    try:
        words, zipfs = lex.suggestion_words
    except (OSError, ValueError, LexiconError):  # unreadable candidates: Hunspell suggests
        return None
    return words, [w.lower() if w[:1].isupper() else w for w in words], zipfs


def _two_words(word: str) -> str | None:
    """The word split into two common dictionary words joined by a hyphen ("mouthparts"
    -> "mouth-parts"), the split whose rarer part is most frequent; Hunspell suggests these
    too. Parts of at least 3 letters and Zipf 2.5."""
    best, best_z = None, 2.5
    for k in range(3, len(word) - 2):
        a, b = word[:k], word[k:]
        z = min(zipf(a), zipf(b))
        if z >= best_z and hunspell_knows(a) and hunspell_knows(b):
            best, best_z = f"{a}-{b}", z
    return best


@lru_cache(maxsize=4096)
def _suggestions(word: str, limit: int) -> tuple[str, ...]:
    """The first ``limit`` one-word suggestions for ``word``, once per process.

    Candidates are the words of the Hunspell en_US dictionary that wordfreq has seen (the
    lexicon, ``Lexicon.suggestion_words``); rapidfuzz picks the most similar (Indel
    ratio), then one edit away (Damerau-Levenshtein) comes first, then the two-word split,
    then similarity plus frequency. A few milliseconds CPU, where Hunspell's own suggest
    takes 0.1-0.3 s (its n-gram pass over the dictionary; it is the fallback without the
    lexicon). README "Speed and memory" measures how often both agree.
    """
    cands = _candidates()
    if cands is None:
        return _hunspell_suggestions(word, limit)
    from rapidfuzz import fuzz, process

    words, low, zipfs = cands
    w = word.lower()
    pool = process.extract(w, low, scorer=fuzz.ratio, limit=_POOL, score_cutoff=50)
    ranked = sorted(
        ((DamerauLevenshtein.distance(w, c) <= 1, score + _ZIPF_WEIGHT * float(zipfs[i]), i) for c, score, i in pool),
        reverse=True,
    )
    kept = [(near, i) for near, _, i in ranked if low[i] != w]  # not the word itself
    out = [words[i] for _, i in kept]
    split = _two_words(w)
    if split:  # after the one-edit candidates
        out.insert(sum(near for near, _ in kept), split)
    if word[:1].isupper():
        out = [s[:1].upper() + s[1:] for s in out]
    return tuple(out[:limit])


@lru_cache(maxsize=4096)
def _hunspell_suggestions(word: str, limit: int) -> tuple[str, ...]:
    """Hunspell's first ``limit`` one-word suggestions (0.1-0.3 s CPU each), once per
    process: MT112's (its measured precision is Hunspell's), and the fallback."""
    out: list[str] = []
    for s in hunspell().suggest(word):
        if " " in s or s.lower() == word.lower():
            continue
        out.append(s)
        if len(out) == limit:
            break
    return tuple(out)


def _parts(tok: Token) -> list[tuple[str, int]]:
    """(part, offset) of a hyphenated token's parts, the token itself otherwise."""
    word = _base(tok.text)
    if "-" not in word:
        return [(word, tok.start)]
    out, at = [], tok.start
    for p in word.split("-"):
        out.append((p, at))
        at += len(p) + 1
    return out


class NonWord(Rule):
    """A token that is not a word of English: a garbled term.

    What it does
    ------------
    Flags a lower-case word that neither the Hunspell en_US dictionary (shipped with
    spylls) nor wordfreq knows (Zipf frequency below ``min_zipf``, i.e. practically never
    seen in English text), such as "biggestists". When the token is a real stem plus
    affixes that cannot combine, the message says so ("biggest" + "-ists") and the
    finding is ``garbled_severity``. Suggestions are Hunspell dictionary words, ranked by
    similarity and frequency (``_suggestions``).

    Why it matters
    --------------
    A garbled term is a word the machine translation system invented; the reader cannot
    recover the meaning ("demands of its biggestists" for "maximalist demands").

    Measured on real MT (MQM TED zh-en, 13 systems, refB): 11 flags, precision 0.82
    (random 0.11), e.g. "holmon", "scatterpoints", "ajoemum"; 6 false alarms in 8,801
    words of human translation (rare botanical terms such as "geitonogamy").

    Names are not garbled terms: a capitalized word inside a sentence is skipped (Umerov,
    Sybiha, Pokrovsk, Chasiv Yar), and so is any word that appears in the reference or in
    the allowed terms. A capitalized sentence-initial word is flagged only when it has
    the stem-plus-affixes shape. Can't catch: a garbled word that happens to be a real
    word ("reverse channel": see MT301), a misspelling that wordfreq has seen often
    (see MT112).

    Example
    -------
    "Russia would not back off the demands of its biggestists." -> "biggestists"
    ("biggest" + "-ists"), suggestions "biggest", "scientists", "rightists".

    Options
    -------
    min_zipf (float, 1.0): words seen at least this often in wordfreq are words.
    garbled_severity (str, "major"): severity when a stem plus affixes is found.
    max_suggestions (int, 3): spelling suggestions per finding.
    max_suggested_words (int, 25): words per document that get suggestions (a few
        milliseconds each; 0.1-0.3 s with Hunspell's own, the fallback); non-Latin words
        get none.
    """

    code = "MT111"
    name = "non-word"
    category = "Fluency/Spelling"
    severity = "minor"
    defaults = {
        "min_zipf": 1.0,
        "garbled_severity": "major",
        "max_suggestions": 3,
        "max_suggested_words": 25,
    }
    examples_flag = (
        "Russia would not back off the demands of its biggestists.",
        "The ministry said the talks were unconstructivenessly slow.",
        "Biggestists demands were rejected.",
    )
    examples_pass = (
        "Defense Minister Rustem Umerov met Andriy Sybiha and Andriy Yermak in Kyiv.",
        "Russian forces advanced near Pokrovsk, Toretsk and Chasiv Yar.",
        "Crimean Tatar negotiator Umerov joined the full-scale talks.",
        ("The delegation met in Erbil with Kurdish officials of the KRG.",
         "The delegation met in erbil with the KRG officials."),
        "Ukraine's air force said one of its F-16 fighters was lost.",
    )

    @classmethod
    def preload(cls) -> None:
        load_lexicons()
        _affixes()
        word_list("lexicon_extra.txt")

    def check(self, ctx: CheckContext) -> Iterable[Finding]:
        min_zipf = self.option(ctx, "min_zipf")
        n_sugg = self.option(ctx, "max_suggestions")
        budget = self.option(ctx, "max_suggested_words")
        garbled = self.option(ctx, "garbled_severity")
        if garbled not in SEVERITIES:
            raise RuleError(f"MT111: garbled_severity must be one of {', '.join(SEVERITIES)}")
        ref_words = _reference_words(ctx)
        for tok in ctx.tokens("candidate"):
            if _skip(ctx, tok, ref_words):
                continue
            for part, at in _parts(tok):
                if len(part) < 3 or _known(part, min_zipf):
                    continue
                initial = at == tok.start and sentence_initial(tok, ctx.candidate)
                if part[:1].isupper() and not initial:
                    continue  # a name
                morph = morphology(part)
                if part[:1].isupper() and morph is None:
                    continue  # sentence-initial, maybe a name
                end = at + len(part)
                if morph:
                    stem, affixes = morph
                    how = " + ".join([f'"{stem}"', *(f'"{a}"' for a in affixes)])
                    msg = f'"{part}" is not an English word: {how} do not combine.'
                    sev = garbled
                else:
                    msg = f'"{part}" is not an English word.'
                    sev = None
                suggest = budget > 0 and part.isascii()
                budget -= suggest
                yield self.finding(
                    ctx,
                    at,
                    end,
                    msg,
                    suggestions=_suggest(part, n_sugg) if suggest else [],
                    severity=sev,
                )


class Misspelling(Rule):
    """A word Hunspell rejects that is a known misspelling of a much more common word.

    What it does
    ------------
    Flags a lower-case word that the Hunspell en_US dictionary rejects but that wordfreq
    has seen (Zipf frequency from MT111's ``min_zipf`` up to ``max_zipf``), when Hunspell's
    own suggestions (libhunspell; 0.1-0.3 s a word, but few words qualify and the rule is
    off by default) hold a single word at least ``min_gain`` Zipf points more frequent: "goverment"
    -> "government", "recieve" -> "receive", within ``max_edits`` edits. New words that Hunspell lacks but that have
    no much more frequent look-alike ("livestream", "cyberattack") are not flagged.

    Why it matters
    --------------
    Misspellings look careless and undermine trust in the whole article.

    Names (capitalized words), words in the reference and allowed terms are skipped.
    Can't catch: a misspelling that is itself a word ("there" for "their").

    Off by default: machine translation rarely misspells, and on real MT (MQM TED
    zh-en, refB) it made 4 flags, none inside an annotated error ("ylang", "speeded"),
    and 3 false alarms on the human translation refB checked against refA. Select it
    (``--select MT112``) for human-edited copy.

    Example
    -------
    "The goverment will recieve the delegation." -> "goverment" (government),
    "recieve" (receive).

    Options
    -------
    max_zipf (float, 3.0): words more frequent than this are never flagged.
    min_gain (float, 1.5): how much more frequent (Zipf) the suggestion must be.
    max_edits (int, 2): most edits (Damerau-Levenshtein) from the word to the suggestion.
    """

    code = "MT112"
    name = "misspelling"
    category = "Fluency/Spelling"
    severity = "minor"
    default_enabled = False
    status = "preview"
    defaults = {"max_zipf": 3.0, "min_gain": 1.5, "max_edits": 2}
    examples_flag = ("The goverment will recieve the delegation on Friday.",)
    examples_pass = (
        "The ministry will livestream the talks after the cyberattack.",
        "Officials met at the flashpoint city on the frontline.",
        "Zelensky met Erdogan in Ankara.",
    )

    def check(self, ctx: CheckContext) -> Iterable[Finding]:
        max_zipf = self.option(ctx, "max_zipf")
        gain = self.option(ctx, "min_gain")
        max_edits = self.option(ctx, "max_edits")
        floor = ctx.options.get("MT111", {}).get("min_zipf", NonWord.defaults["min_zipf"])
        ref_words = _reference_words(ctx)
        for tok in ctx.tokens("candidate"):
            if _skip(ctx, tok, ref_words):
                continue
            for part, at in _parts(tok):
                if len(part) < 3 or part[:1].isupper() or hunspell_knows(part):
                    continue
                z = zipf(part.lower())
                if not floor <= z < max_zipf:
                    continue
                suggestions = _hunspell_suggestions(part, 3)  # not MT111's: see the docstring
                if any(s.replace("-", "").lower() == part.lower() for s in suggestions):
                    continue  # a compound Hunspell writes with a hyphen ("mouthparts")
                best = [
                    s
                    for s in suggestions
                    if "-" not in s
                    and s[:1].islower()
                    and DamerauLevenshtein.distance(s.lower(), part.lower()) <= max_edits
                    and zipf(s.lower()) >= z + gain
                ]
                if best:
                    yield self.finding(
                        ctx,
                        at,
                        at + len(part),
                        f'"{part}" looks misspelled; did you mean "{best[0]}"?',
                        suggestions=best[:1],
                    )


RULES = [NonWord, Misspelling]
