"""Calques and unnatural collocations (MT301-MT303).

Three paths, each with its own code so each can be tuned or switched off:

- MT301 a table of known machine-translation calques (``data/calques.csv``);
- MT302 word substitutions against the aligned reference that break a known collocation
  (``data/collocations.txt`` plus the idiomatic side of the calque table);
- MT303 an optional masked-language-model scorer (a local model path; off by default).
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Iterable

from rapidfuzz.distance import DamerauLevenshtein

from mtcheck.detect.base import CheckContext, Rule, RuleError
from mtcheck.detect.rules._text import (
    WORD_RE,
    csv_rows,
    fold,
    in_spans,
    is_function_word,
    quote_spans,
    text_tokens,
    word_list,
)
from mtcheck.types import Finding


_SEP = r"[\s\-]+"
#: "*" in the table: an optional capitalized word ("High Ukrainian officials").
_OPTIONAL_NAME = r"\s+(?:(?P<name>(?-i:[A-Z])[\w’'\-]*)\s+)?"


@lru_cache(maxsize=1)
def calque_table() -> tuple[tuple[re.Pattern, str, str, str], ...]:
    """(pattern, calque, idiomatic, note) rows of ``data/calques.csv``."""
    rows = []
    for row in csv_rows("calques.csv"):
        calque = row["calque"]
        if calque.startswith("re:"):
            pattern = re.compile(calque[3:], re.IGNORECASE)
        else:
            parts = [re.escape(w) for w in calque.split() if w != "*"]
            parts[-1] += r"(?:e?s)?"
            gaps = []
            words = calque.split()
            for a, b in zip(words, words[1:]):
                if a == "*":
                    continue
                gaps.append(_OPTIONAL_NAME if b == "*" else _SEP)
            body = parts[0] + "".join(g + p for g, p in zip(gaps, parts[1:]))
            pattern = re.compile(rf"(?<![\w\-]){body}(?![\w\-])", re.IGNORECASE)
        rows.append((pattern, calque, row["idiomatic"], row.get("note", "")))
    return tuple(rows)


#: The non-ASCII characters that ``re.IGNORECASE`` matches to an ASCII letter ("İ" and
#: "ı" to "i", long "ſ" to "s", the Kelvin sign to "k"; ``tests/test_rules_calques.py``
#: checks this against every code point).
ASCII_CASE_TWINS = {"\u0130": "i", "\u0131": "i", "\u017f": "s", "\u212a": "k"}
_TWINS = str.maketrans(ASCII_CASE_TWINS)


@lru_cache(maxsize=1)
def _needles() -> tuple[str | None, ...]:
    """Per row of ``calque_table``: its first word, lower-cased, when it is ASCII (a text
    without it, case folded, cannot match the row's pattern), else None (always run)."""
    out: list[str | None] = []
    for _pattern, calque, _idiomatic, _note in calque_table():
        first = next((w for w in calque.split() if w != "*"), "")
        out.append(first.lower() if not calque.startswith("re:") and first.isascii() else None)
    return tuple(out)


def case_folded(text: str) -> str:
    """``text`` lower-cased after mapping ASCII_CASE_TWINS: where a case-insensitive pattern
    matches an ASCII word, this string holds the word in lower case."""
    return text.translate(_TWINS).lower()


class Calque(Rule):
    """A known machine-translation calque of news English (table look-up).

    What it does
    ------------
    Flags phrases listed in ``data/calques.csv`` ("reverse channel talks", "high
    officials", "peaceful population", "in the nearest future", "discuss about") and
    suggests the idiomatic form from the table ("back channel", "senior officials",
    "civilian population", ...). Matching ignores letter case, treats a space in the
    table as space or hyphen, allows a plural on the last word, and ``*`` in the table
    stands for an optional capitalized word ("High Ukrainian officials"). Phrases inside a
    long quotation are not flagged.

    Why it matters
    --------------
    A calque is a word-for-word rendering of a source expression: every word is English
    but the phrase is not, and it marks the text as machine-translated. Editors fix them
    on sight.

    The table is the user's to extend: add a row ``calque,idiomatic,note`` (``re:`` for
    a regular expression). Can catch only what is listed; see MT302 for substitutions
    against the reference and MT303 for a language-model check of unlisted phrases.
    Measured: no flag on real MT of TED talks (MQM TED zh-en: spoken science, no news
    calques) and no false alarm on clean text; on a separate list of injected news
    calques (bench/data/calques.csv, kept apart from this table) it catches only the
    few listed in both, which is what a table can do.

    Example
    -------
    "Umerov has been part of the reverse channel talks." -> "reverse channel",
    suggestion "back channel".

    Options
    -------
    None (edit ``data/calques.csv``).
    """

    code = "MT301"
    name = "calque"
    category = "Style/Awkward"
    severity = "minor"
    examples_flag = (
        "Umerov has been part of the reverse channel talks with Russia.",
        "High Ukrainian officials told the newspaper on Monday.",
        "Ukrainian leaders regarded the Russian delegation as a \"substitute prop\" on Friday.",
        "The strike killed members of the peaceful population.",
        "The ministers will discuss about the ceasefire in the nearest future.",
    )
    examples_pass = (
        "Umerov has been part of the back channel talks with Russia.",
        "Senior Ukrainian officials told the newspaper on Monday.",
        "The high officials' meeting ended.",
        "The press office said the civilian population was evacuated.",
    )

    @classmethod
    def preload(cls) -> None:
        _needles()

    def check(self, ctx: CheckContext) -> Iterable[Finding]:
        text = ctx.candidate.text
        quotes = [q for q in quote_spans(text) if q[1] - q[0] > 40]
        folded = case_folded(text)
        for (pattern, _calque, idiomatic, note), needle in zip(calque_table(), _needles()):
            if needle is not None and needle not in folded:
                continue  # the pattern needs this word: no scan of the text
            for m in pattern.finditer(text):
                if in_spans(m.start(), quotes):
                    continue
                if text[m.end() : m.end() + 1] in ("'", "’"):
                    continue  # a possessive: "the high officials' meeting"
                why = f": {note}" if note else ""
                idiomatic = _adapt(idiomatic, m)
                yield self.finding(
                    ctx,
                    m.start(),
                    m.end(),
                    f'"{m.group()}" is a calque; news English says "{idiomatic}"{why}.',
                    suggestions=[idiomatic],
                )


def _adapt(idiomatic: str, m: re.Match) -> str:
    """Carry the optional name and the initial capital over to the suggestion."""
    name = m.groupdict().get("name")
    if name and " " in idiomatic:
        head, last = idiomatic.rsplit(" ", 1)
        idiomatic = f"{head} {name} {last}"
    if m.group()[:1].isupper():
        idiomatic = idiomatic[:1].upper() + idiomatic[1:]
    return idiomatic


@lru_cache(maxsize=1)
def collocations() -> frozenset[tuple[str, ...]]:
    items = set(word_list("collocations.txt"))
    items |= {
        row[2].lower() for row in calque_table() if not row[1].startswith("re:")
    }
    return frozenset(
        tuple(t.lower for t in text_tokens(c)) for c in items if len(text_tokens(c)) >= 2
    )


def _related(a: str, b: str) -> bool:
    """Inflections or spelling variants of one word ("official"/"officials")."""
    n = min(len(a), len(b))
    return a[: max(4, n - 2)] == b[: max(4, n - 2)] or DamerauLevenshtein.distance(a, b) <= 1


class CollocationSubstitution(Rule):
    """A word of a known collocation in the aligned reference replaced by another word.

    What it does
    ------------
    On each aligned sentence pair, finds collocations of ``data/collocations.txt`` (and
    the idiomatic column of ``data/calques.csv``) in the reference sentence that the
    candidate sentence lacks, and flags a candidate phrase keeping all of the
    collocation's words but one, the other replaced by a different content word
    ("reverse channel" where the reference has "back channel", "high officials" for
    "senior officials"). Suggests the reference's collocation.

    Why it matters
    --------------
    Collocations are fixed: a near-synonym ("reverse" for "back", "high" for "senior")
    keeps the dictionary meaning but breaks the idiom, a typical machine-translation
    error that a word-level metric hardly penalizes.

    Can catch only listed collocations, and only where a reference sentence is aligned;
    an inflection ("official"/"officials") or another listed collocation ("fierce
    fighting" for "heavy fighting") is not a substitution. Can't catch unlisted
    collocations (MT303 may) or calques with no aligned reference (MT301 may).
    Measured: no flag (and no false alarm) on MQM TED zh-en, whose talks hold few of
    the listed news collocations; precise on synthetic substitutions.

    Example
    -------
    Reference "Umerov joined the back channel talks.", candidate "Umerov joined the
    reverse channel talks." -> "reverse channel", suggestion "back channel".

    Options
    -------
    None (edit ``data/collocations.txt``).
    """

    code = "MT302"
    name = "collocation-substitution"
    category = "Style/Awkward"
    severity = "minor"
    examples_flag = (
        ("Umerov joined the back channel talks.", "Umerov joined the reverse channel talks."),
        ("Senior officials met in Ankara.", "Top officials met in Ankara."),
    )
    examples_pass = (
        ("Umerov joined the back channel talks.", "Umerov joined the back-channel talks."),
        ("Heavy fighting went on near Pokrovsk.", "Fierce fighting went on near Pokrovsk."),
        ("A senior official said so.", "Senior officials said so."),
        ("Umerov joined the back channel talks.", "Umerov was part of the talks."),
    )

    def check(self, ctx: CheckContext) -> Iterable[Finding]:
        colls = collocations()
        by_len: dict[int, set[tuple[str, ...]]] = {}
        for c in colls:
            by_len.setdefault(len(c), set()).add(c)
        for _bead, ref, cand, _r0, c0 in ctx.aligned_pairs():
            rt = [t.lower for t in text_tokens(ref)]
            ct = text_tokens(cand, base=c0)
            cl = [t.lower for t in ct]
            for k, group in by_len.items():
                ref_grams = {tuple(rt[i : i + k]) for i in range(len(rt) - k + 1)}
                cand_grams = {tuple(cl[i : i + k]) for i in range(len(cl) - k + 1)}
                for coll in group & ref_grams - cand_grams:
                    for i in range(len(cl) - k + 1):
                        gram = tuple(cl[i : i + k])
                        diff = [p for p in range(k) if gram[p] != coll[p]]
                        if len(diff) != 1 or gram in colls:
                            continue
                        p = diff[0]
                        word = gram[p]
                        if is_function_word(word) or _related(word, coll[p]):
                            continue
                        if word in rt:
                            continue  # the reference uses the word too: no substitution
                        start, end = ct[i].start, ct[i + k - 1].end
                        idiom = " ".join(coll)
                        yield self.finding(
                            ctx,
                            start,
                            end,
                            f'"{ctx.candidate.text[start:end]}" breaks the collocation '
                            f'"{idiom}" of the reference.',
                            suggestions=[idiom],
                        )


class UnlikelyWord(Rule):
    """A word a masked language model finds very unlikely in its context (optional).

    What it does
    ------------
    With a local masked language model (``model``: a path to a transformers
    BERT/RoBERTa-style model with its tokenizer; nothing is downloaded, none is
    bundled), masks each content word of each candidate sentence in turn and flags words
    whose mean log-probability is below ``threshold`` and whose first sub-token ranks
    below ``min_rank``, with the model's top guess as the suggestion. Off by default;
    without a model path the rule is skipped with a notice, and an unloadable path is an
    input error.

    Why it matters
    --------------
    It needs no table and no reference, so it can catch calques and odd collocations no
    list has ("sirens were loudly clamoring", "substitute prop"), and garbled words.

    Can't catch: errors the model finds plausible (fluent mistranslations, wrong
    numbers or names). Rare names, technical terms and words split into many sub-tokens
    score low, so expect false alarms on them (capitalized words are skipped); it is
    slow on CPU (one forward pass per word). Not measured on real data: no masked
    language model is available offline here.

    Example
    -------
    In ``mtcheck.toml``: ``[rules.MT303]`` ``model = "/models/bert-base-uncased"``, and
    ``--select MT303`` (or ``select`` in the config). "Ukrainian leaders regarded the
    delegation as a substitute prop." -> "prop" (if the model finds it unlikely).

    Options
    -------
    model (str, none): local path of a masked language model.
    threshold (float, -9.0): flag words whose mean log-probability is below this.
    min_rank (int, 200): and whose first sub-token is not among the model's top this many.
    """

    code = "MT303"
    name = "unlikely-word"
    category = "Style/Awkward"
    severity = "minor"
    default_enabled = False
    status = "preview"
    defaults = {"model": None, "threshold": -9.0, "min_rank": 200}
    #: Exercised in tests with a small model built on the fly (none is available here).
    examples_flag = ()
    examples_pass = ("The talks began on Friday.",)

    def check(self, ctx: CheckContext) -> Iterable[Finding]:
        path = self.option(ctx, "model")
        if not path:
            ctx.notices.append(
                f"{self.code} ({self.name}) skipped: no masked language model; set "
                f'[rules.{self.code}] model = "PATH" (a local model directory) in the config'
            )
            return
        tokenizer, model = _load_mlm(str(path))
        threshold = float(self.option(ctx, "threshold"))
        min_rank = int(self.option(ctx, "min_rank"))
        for s in ctx.candidate.sentences:
            yield from self._sentence(ctx, tokenizer, model, s, threshold, min_rank)

    def _sentence(self, ctx, tokenizer, model, s, threshold, min_rank):
        import torch

        enc = tokenizer(
            s.text, return_offsets_mapping=True, truncation=True, return_tensors="pt"
        )
        offsets = enc.pop("offset_mapping")[0].tolist()
        ids = enc["input_ids"][0]
        words = []
        for m in WORD_RE.finditer(s.text):
            if m.group()[:1].isupper() or is_function_word(m.group()):
                continue
            pieces = [
                k for k, (a, b) in enumerate(offsets) if b > a and a >= m.start() and b <= m.end()
            ]
            if pieces:
                words.append((m, pieces))
        if not words:
            return
        batch = ids.repeat(len(words), 1)
        for row, (_m, pieces) in enumerate(words):
            batch[row, pieces] = tokenizer.mask_token_id
        extra = {k: v.repeat(len(words), 1) for k, v in enc.items() if k != "input_ids"}
        with torch.no_grad():
            logits = model(input_ids=batch, **extra).logits
        logp = torch.log_softmax(logits, dim=-1)
        for row, (m, pieces) in enumerate(words):
            scores = [float(logp[row, k, ids[k]]) for k in pieces]
            mean = sum(scores) / len(scores)
            first = pieces[0]
            rank = int((logp[row, first] > logp[row, first, ids[first]]).sum())
            if mean < threshold and rank >= min_rank:
                guess = tokenizer.decode([int(logp[row, first].argmax())]).strip()
                yield self.finding(
                    ctx,
                    s.start + m.start(),
                    s.start + m.end(),
                    f'"{m.group()}" is very unlikely here for the language model '
                    f"(log-probability {mean:.1f}, rank {rank}).",
                    suggestions=[guess] if guess and fold(guess) != fold(m.group()) else [],
                )


@lru_cache(maxsize=2)
def _load_mlm(path: str):
    import os

    if not os.path.isdir(path):
        raise RuleError(f"MT303: {path!r} is not a directory holding a masked language model")
    os.environ["HF_HUB_OFFLINE"] = "1"
    os.environ["TRANSFORMERS_OFFLINE"] = "1"
    try:
        from transformers import AutoModelForMaskedLM, AutoTokenizer
        from transformers.utils import logging as hf_logging

        hf_logging.set_verbosity_error()
        tokenizer = AutoTokenizer.from_pretrained(path, local_files_only=True)
        model = AutoModelForMaskedLM.from_pretrained(path, local_files_only=True)
    except Exception as exc:  # noqa: BLE001 - any load failure is one input error
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise RuleError(
            f"MT303: cannot load a masked language model from {path!r}: {first}"
        ) from None
    if not getattr(tokenizer, "is_fast", False) or tokenizer.mask_token_id is None:
        raise RuleError(f"MT303: {path!r} needs a fast tokenizer with a mask token")
    model.eval()
    return tokenizer, model


RULES = [Calque, CollocationSubstitution, UnlikelyWord]
