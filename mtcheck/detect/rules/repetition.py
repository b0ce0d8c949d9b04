"""Duplicated words and phrases in the candidate (MT101-MT103)."""

from __future__ import annotations

import re
from typing import Iterable

from mtcheck.detect.base import CheckContext, Rule
from mtcheck.detect.rules._text import (
    TOKEN_RE,
    SequenceCounts,
    Token,
    count_sequence,
    hunspell_knows,
    in_spans,
    is_function_word,
    load_lexicons,
    quote_spans,
    word_list,
    text_tokens,
    zipf,
)
from mtcheck.types import Finding


_PAUSE = re.compile(r"[,;:()\[\]—–]| - ")
_COORDINATORS = frozenset({"and", "or", "but", "nor", "while", "whereas"})


def _ago(n: int) -> str:
    if n == 0:
        return "just before"
    return "1 word earlier" if n == 1 else f"{n} words earlier"


def _quotes(ctx: CheckContext) -> list[tuple[int, int]]:
    return quote_spans(ctx.candidate.text)


def _reference_repeats(ctx: CheckContext, sentences: set[int], seq: list[str]) -> bool:
    """The aligned reference also has ``seq`` twice: the source repeated it."""
    for k in sentences:
        ref = ctx.aligned_reference(k)
        if ref is not None:
            low = [t.lower for t in text_tokens(ref, pattern=TOKEN_RE)]
            if count_sequence(low, seq) >= 2:
                return True
    return False


def _only_space_between(text: str, a: Token, b: Token) -> bool:
    return text[a.end : b.start].strip() == "" and a.end < b.start


def _is_name(tok: Token) -> bool:
    """A capitalized word whose lower-case form is not a word of the dictionary."""
    return tok.capitalized and not hunspell_knows(tok.lower)


def _different_names(toks: list[Token], i: int, j: int, length: int) -> bool:
    """The two occurrences belong to different multi-word names.

    "the United States and the United Kingdom", "North Korea and South Korea", "Joe Biden
    and Jill Biden": the repeated words are capitalized and the capitalized words next to
    them differ.
    """
    last_i, last_j = i + length - 1, j + length - 1
    after = [k + 1 for k in (last_i, last_j)]
    if toks[last_i].capitalized and all(
        k < len(toks) and toks[k].capitalized and toks[k].sentence == toks[k - 1].sentence
        for k in after
    ):
        return True
    before = [i - 1, j - 1]
    return toks[i].capitalized and all(
        k >= 0
        and toks[k].capitalized
        and not is_function_word(toks[k].text)
        and toks[k].sentence == toks[k + 1].sentence
        for k in before
    )


def _adjectival(toks: list[Token], k: int) -> bool:
    """The word directly modifies a following lower-case content word ("Russian base")."""
    n = k + 1
    return (
        n < len(toks)
        and toks[n].sentence == toks[k].sentence
        and not toks[n].capitalized
        and not is_function_word(toks[n].text)
    )


_DETERMINERS = frozenset(
    "the a an this that these those its their his her our my your some any each every".split()
)


def _topic_phrase(phrase: list[Token]) -> bool:
    """An optional determiner and 1-2 lower-case content words: "the universe", "black holes"."""
    words = phrase[1:] if phrase[0].lower in _DETERMINERS else phrase
    return 1 <= len(words) <= 2 and all(
        not is_function_word(t.text) and not t.capitalized and t.text[:1].isalpha() for t in words
    )


def _noun_phrase(phrase: list[Token]) -> bool:
    """An optional determiner, then content words only: "South Korea", "chip manufacturing
    equipment", "the peace talks" (no preposition, verb-like function word or conjunction)."""
    words = phrase[1:] if phrase[0].lower in _DETERMINERS else phrase
    return bool(words) and all(not is_function_word(t.text) and t.text[:1].isalnum() for t in words)


class _Topics:
    """Counts of phrases in the whole candidate and reference documents (once per check)."""

    def __init__(self, ctx: CheckContext, low: list[str]):
        self.ctx = ctx
        self.low = SequenceCounts(low)
        self._ref: SequenceCounts | None = None
        self._title: list[str] | None = None

    def names_topic(self, phrase: list[Token], min_count: int) -> bool:
        """The noun phrase names what the article is about, so re-mentions are normal:
        it occurs ``min_count`` times or more in the candidate, twice or more in the whole
        reference, or in the candidate's first sentence (the title or lead)."""
        # "of chip manufacturing equipment": a leading preposition or conjunction before a
        # noun phrase of two words or more ("in Istanbul" stays a possible duplicate).
        while len(phrase) > 2 and is_function_word(phrase[0].text) and phrase[0].lower not in _DETERMINERS:
            phrase = phrase[1:]
        if not _noun_phrase(phrase):
            return False
        words = phrase[1:] if phrase[0].lower in _DETERMINERS else phrase
        seq = [t.lower for t in words]
        if self.low.count(seq) >= min_count:
            return True
        if self._ref is None:
            self._ref = SequenceCounts([t.lower for t in self.ctx.tokens("reference", TOKEN_RE)])
            first = self.ctx.candidate.sentences[:1]
            self._title = [t.lower for t in text_tokens(first[0].text, pattern=TOKEN_RE)] if first else []
        if self._ref.count(seq) >= 2:
            return True
        return phrase[0].sentence != 0 and count_sequence(self._title or [], seq) >= 1


def _sentence_start(toks: list[Token], k: int) -> bool:
    return k == 0 or toks[k - 1].sentence != toks[k].sentence


def _joined_idiom(toks: list[Token], i: int, j: int) -> bool:
    """ "day by day", "face to face", "more and more", "hand in hand" """
    return j - i == 2 and toks[i + 1].lower in word_list("repeat_joiners.txt")


class DuplicatedWord(Rule):
    """Two identical words in a row.

    What it does
    ------------
    Flags a word repeated immediately, with only white space between ("the the",
    "talks talks"), case-insensitively. The finding covers both words and suggests one.

    Why it matters
    --------------
    A doubled word is the most visible slip a reader notices; machine translation and
    hurried editing both leave them behind.

    Legitimate doubles are not flagged: words listed in ``data/legit_doubles.txt``
    ("he had had enough", "that that", "what it is is"), repeats separated by
    punctuation ("no, no"), and a repeated content word inside a quotation.

    Measured on real MT (MQM TED zh-en, 13 systems, refB): 7 flags, precision 0.86
    (random 0.11); no false alarm on the human translation refB.

    Example
    -------
    "Talks will resume in the the coming days." -> "the the", suggestion "the".

    Options
    -------
    None.
    """

    code = "MT101"
    name = "duplicated-word"
    category = "Fluency/Duplication"
    severity = "minor"
    examples_flag = ("Talks will resume in the the coming days.", "The army said said it.")
    examples_pass = (
        "He had had enough of the talks.",
        "He said that that was the end.",
        "No, no, it is over.",
        "The crowd chanted \"peace peace\" outside.",
    )

    def check(self, ctx: CheckContext) -> Iterable[Finding]:
        text = ctx.candidate.text
        toks = ctx.tokens("candidate")
        quotes = _quotes(ctx)
        legit = word_list("legit_doubles.txt")
        for a, b in zip(toks, toks[1:]):
            if a.lower != b.lower or a.sentence != b.sentence:
                continue
            if not _only_space_between(text, a, b) or a.lower in legit:
                continue
            if in_spans(a.start, quotes) and not is_function_word(a.text):
                continue
            yield self.finding(
                ctx, a.start, b.end, f'Duplicated word "{a.text}".', suggestions=[a.text]
            )


class RepeatedPhrase(Rule):
    """A phrase of 2-5 words repeated a few words later.

    What it does
    ------------
    Flags the second occurrence of a 2-5 word phrase that repeats within a short window
    inside one sentence ("meeting in Istanbul, an unconditional ceasefire, and a
    discussion in Istanbul"), or echoed across a sentence boundary: a phrase of at least
    ``cross_sentence_min_words`` words ending one sentence and starting the next ("...
    in Istanbul on Friday. In Istanbul on Friday, ..."), as when a system translates an
    overlapping piece twice. A topic phrase repeated further apart in the next sentence
    ("Russian forces attacked Kharkiv. Later Russian forces attacked Sumy") is normal
    prose and is not flagged. The phrase must contain a content word:
    "of the ... of the" is never flagged. The longest repeated phrase is reported once.

    Why it matters
    --------------
    Machine translation often renders one source phrase twice, or pads a sentence with a
    phrase it already produced ("in Bucha and other parts of Ukraine occupied ... and
    other parts of Ukraine"). The duplicate reads as garbled and usually hides an
    omission.

    Not flagged: a repeat when either occurrence is inside a quotation, different names
    sharing a word ("the United States and the United Kingdom"), a phrase made only of
    function words (``data/function_words.txt``), a parallel frame ending in a
    function word ("the value of the dollar and the value of the euro"), a topic noun
    phrase: an optional determiner and one or two lower-case content words ("the
    universe", "black holes", "the peace talks"), which good prose repeats, a noun phrase
    that names the article's topic ("South Korea", "chip manufacturing equipment": it
    occurs ``topic_min_count`` times or more in the candidate, at least twice in the whole
    reference, or in the candidate's first sentence, the title or lead), and a repeat
    that the aligned reference sentence also has (the source repeated itself).

    Measured: on synthetic duplications in clean news and TED text, precision 1.00 and
    no false alarm on the clean text. On real MT (MQM TED zh-en, refB) precision is only
    about 0.23 (random 0.11 per word, 0.18 per span of the same length): TED talks are
    speech, the Chinese source often repeats itself, and the raters did not mark such
    repeats; about 1.2 flags per 1,000 words on the human translation refB. Kept on at
    minor severity because duplicated phrases are among the most visible defects of
    machine-translated news (the fixture); ``--ignore MT102`` or a smaller ``max_gap``
    for speech-like text.

    Example
    -------
    "Russia and Ukraine will hold talks in Istanbul on Friday and a meeting in Istanbul."
    -> the second "in Istanbul".

    Options
    -------
    max_gap (int, 15): most words between the two occurrences in one sentence.
    cross_sentence (bool, true): also look into the next sentence.
    cross_sentence_max_gap (int, 1): most words between occurrences across sentences.
    cross_sentence_min_words (int, 3): shortest phrase flagged across sentences.
    min_content_words (int, 1): content words the phrase must hold.
    skip_topic_phrases (bool, true): never flag a topic noun phrase (see above).
    topic_min_count (int, 3): occurrences in the candidate that make a noun phrase a topic.
    """

    code = "MT102"
    name = "repeated-phrase"
    category = "Fluency/Duplication"
    severity = "minor"
    defaults = {
        "max_gap": 15,
        "cross_sentence": True,
        "cross_sentence_max_gap": 1,
        "cross_sentence_min_words": 3,
        "min_content_words": 1,
        "skip_topic_phrases": True,
        "topic_min_count": 3,
    }
    examples_flag = (
        "Ukraine and Russia will hold talks on Friday, meeting in Istanbul, a ceasefire, "
        "and a discussion in Istanbul.",
        "Kyiv exposed atrocities in Bucha and other parts of Ukraine occupied in the weeks "
        "before the invasion and other parts of Ukraine.",
        "Talks were held in Istanbul on Friday. In Istanbul on Friday, the sides agreed "
        "a prisoner swap.",
    )
    examples_pass = (
        "Officials from the United States and the United Kingdom met in Geneva.",
        "The value of the dollar and the value of the euro both rose.",
        "He said \"we want peace, we want peace now\" to reporters.",
        "Russia launched missiles at the capital. Russia also sent drones.",
        "The peace talks began in May. Hopes for the talks are low, officials said.",
        "Russian forces attacked Kharkiv. Later Russian forces attacked Sumy.",
        "South Korea exports chips. Sales of South Korea and of Japan grew, and South Korea "
        "leads.",
    )

    def check(self, ctx: CheckContext) -> Iterable[Finding]:
        toks = ctx.tokens("candidate", TOKEN_RE)
        quotes = _quotes(ctx)
        max_gap = self.option(ctx, "max_gap")
        cross = self.option(ctx, "cross_sentence")
        x_gap = self.option(ctx, "cross_sentence_max_gap")
        x_min = self.option(ctx, "cross_sentence_min_words")
        min_content = self.option(ctx, "min_content_words")
        topic = self.option(ctx, "skip_topic_phrases")
        topic_min = self.option(ctx, "topic_min_count")
        low = [t.lower for t in toks]
        topics = _Topics(ctx, low)
        flagged_until = -1
        for j in range(len(toks)):
            if j <= flagged_until:
                continue
            best = None
            for i in range(max(0, j - max_gap - 5 - 1), j):
                if low[i] != low[j] or (i > 0 and j > 0 and low[i - 1] == low[j - 1]
                                        and toks[i - 1].sentence == toks[i].sentence
                                        and toks[j - 1].sentence == toks[j].sentence):
                    continue  # not a match, or not the start of a maximal match
                n = 0
                while (
                    n < 5
                    and j + n < len(toks)
                    and i + n < j
                    and low[i + n] == low[j + n]
                    and toks[j + n].sentence == toks[j].sentence
                    and toks[i + n].sentence == toks[i].sentence
                ):
                    n += 1
                if n < 2:
                    continue
                gap = j - (i + n)
                same = toks[i].sentence == toks[j].sentence
                if same and gap > max_gap:
                    continue
                if not same and (
                    not cross
                    or toks[j].sentence - toks[i + n - 1].sentence != 1
                    or gap > x_gap
                    or n < x_min
                ):
                    continue
                phrase = toks[j : j + n]
                if is_function_word(phrase[-1].text):
                    continue  # a parallel frame: "the value of the dollar and the value of the euro"
                content = [t for t in phrase if not is_function_word(t.text)]
                if len(content) < max(1, min_content):
                    continue
                if topic and (_topic_phrase(phrase) or topics.names_topic(phrase, topic_min)):
                    continue
                if in_spans(toks[i].start, quotes) or in_spans(toks[j].start, quotes):
                    continue
                if _different_names(toks, i, j, n):
                    continue
                if _reference_repeats(ctx, {toks[i].sentence, toks[j].sentence}, low[j : j + n]):
                    continue
                if best is None or n > best[1]:
                    best = (i, n, gap)
            if best is None:
                continue
            i, n, gap = best
            start, end = toks[j].start, toks[j + n - 1].end
            where = "in this sentence" if toks[i].sentence == toks[j].sentence else (
                "in the previous sentence"
            )
            yield self.finding(
                ctx,
                start,
                end,
                f'"{ctx.candidate.text[start:end]}" repeats the phrase used {_ago(gap)} '
                f"{where}.",
                measures={"gap": gap, "adjacent": float(gap == 0), "words": n},
            )
            flagged_until = j + n - 1


class RepeatedWord(Rule):
    """A content word or name repeated a few words later in one sentence.

    What it does
    ------------
    Flags the second occurrence of a content word repeated within ``max_gap`` words in
    one sentence ("the Ukrainian special Ukrainian Keith Kellogg"), and of a name (a
    capitalized word that is not a dictionary word) repeated within ``name_max_gap``
    words ("Istanbul had previously held peace talks in Istanbul"). Repeats that are
    part of a longer repeated phrase are left to repeated-phrase (MT102).

    Why it matters
    --------------
    Good news prose replaces a repeated name by a pronoun; machine translation often
    emits the same word twice where the source had one word and a modifier, which reads
    as garbled.

    Not flagged: function words, very frequent words (Zipf frequency above
    ``max_zipf``: "people", "year"), idioms with a joining word ("day by day", "face to
    face", "more and more"; ``data/repeat_joiners.txt``), repeats inside a quotation,
    names sharing a word ("North Korea and South Korea", "Joe Biden and Jill Biden"),
    coordinated repeats ("a Russian base, and Russian officials"), repeats with a comma,
    colon, bracket or dash between (lists and appositions: "infant mortality rate,
    suicide rate"), and a name used as a
    modifier both times ("Russian") beyond ``max_gap``, and a word the aligned
    reference sentence also repeats. A topic word repeated across sentences is never
    flagged.

    Measured on real MT (MQM TED zh-en, refB): 2 flags, precision 0.50 (random 0.11;
    0.30 on 64 flags before lists and appositions were excluded); 2 flags in 8,801 words
    of the human translation refB; synthetic duplications: precision 1.00, no false
    alarm on clean text. Raise ``max_gap`` / ``name_max_gap`` with care.

    Example
    -------
    "He met the Ukrainian special Ukrainian envoy." -> the second "Ukrainian".

    Options
    -------
    max_gap (int, 2): most words between two occurrences of a content word.
    name_max_gap (int, 8): most words between two occurrences of a name.
    max_zipf (float, 5.5): words more frequent than this are not flagged.
    """

    code = "MT103"
    name = "repeated-word"
    category = "Fluency/Duplication"
    severity = "minor"
    defaults = {"max_gap": 2, "name_max_gap": 8, "max_zipf": 5.5}
    examples_flag = (
        "Yermak met the Ukrainian special Ukrainian Keith Kellogg.",
        "Istanbul had previously held peace talks in Istanbul after the war began.",
    )
    examples_pass = (
        "Prices rose day by day and the talks went on face to face.",
        "North Korea and South Korea held talks.",
        "Joe Biden and Jill Biden arrived in Kyiv.",
        "Russia launched drones overnight. Russia denied the strike.",
        "Ukrainian officials said the attack hit a Russian base, and Russian officials "
        "denied it.",
        "\"Never, never, never give up,\" he said.",
    )

    @classmethod
    def preload(cls) -> None:
        load_lexicons()

    def check(self, ctx: CheckContext) -> Iterable[Finding]:
        toks = ctx.tokens("candidate", TOKEN_RE)
        quotes = _quotes(ctx)
        max_gap = self.option(ctx, "max_gap")
        name_gap = self.option(ctx, "name_max_gap")
        max_zipf = self.option(ctx, "max_zipf")
        low = [t.lower for t in toks]
        for j, tj in enumerate(toks):
            if is_function_word(tj.text) or len(tj.text) < 2 or not tj.text[0].isalpha():
                continue
            name = _is_name(tj)
            window = name_gap if name else max_gap
            for i in range(j - 1, max(-1, j - window - 2), -1):
                ti = toks[i]
                if ti.sentence != tj.sentence:
                    break
                if low[i] != low[j]:
                    continue
                if name and j - i - 1 > max_gap and _adjectival(toks, i) and _adjectival(
                    toks, j
                ):
                    break  # "a Russian base, and Russian officials": a modifier, not a name
                if not name and zipf(tj.lower) > max_zipf:
                    break
                nxt = j + 1 < len(toks) and toks[j + 1].sentence == tj.sentence
                if nxt and i + 1 < j and low[i + 1] == low[j + 1]:
                    break  # part of a longer repeated phrase: MT102's case
                if i > 0 and j - 1 != i and toks[i - 1].sentence == ti.sentence and (
                    low[i - 1] == low[j - 1]
                ):
                    break
                if j - i == 1:
                    break  # adjacent: MT101's case
                if _joined_idiom(toks, i, j) or _different_names(toks, i, j, 1):
                    break
                if any(low[k] in _COORDINATORS for k in range(i + 1, j)):
                    break  # coordination: "a Russian base, and Russian officials"
                if _PAUSE.search(ctx.candidate.text[ti.end : tj.start]):
                    break  # a list or apposition: "infant mortality rate, suicide rate"
                if in_spans(ti.start, quotes) or in_spans(tj.start, quotes):
                    break
                if _reference_repeats(ctx, {tj.sentence}, [low[j]]):
                    break
                gap = j - i - 1
                yield self.finding(
                    ctx,
                    tj.start,
                    tj.end,
                    f'"{tj.text}" repeats the same word {_ago(gap)} in this sentence.',
                )
                break


RULES = [DuplicatedWord, RepeatedPhrase, RepeatedWord]
