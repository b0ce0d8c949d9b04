"""Inconsistent spellings of one name or term (MT401, MT402).

Two sources of variants: the table ``data/spelling_variants.csv`` (Kiev/Kyiv,
Odessa/Odesa, Erdoğan/Erdogan, ...; its ``preferred`` column is the house style) and fuzzy
matching of capitalized words with rapidfuzz (Zelensky/Zelenskyy, Medinsky/Medinskiy),
including forms that differ only by diacritics.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache
from typing import Iterable

from rapidfuzz.distance import DamerauLevenshtein

from mtcheck.detect.base import CheckContext, Rule
from mtcheck.detect.rules._text import (
    csv_rows,
    fold,
    hunspell_knows,
    is_function_word,
    sentence_initial,
)
from mtcheck.types import Finding

#: Endings that make a different word of a name: plural, demonym, feminine.
_NAME_ENDINGS = ("s", "es", "n", "an", "ian", "ans", "ians", "i", "is", "a", "ese", "ish")


@dataclass(frozen=True)
class VariantGroup:
    preferred: str
    forms: tuple[str, ...]  # preferred first
    kind: str
    note: str

    def pattern(self, form: str) -> re.Pattern:
        return _form_pattern(form, re.IGNORECASE if self.kind == "term" else 0)

    def occurrences(self, text: str) -> dict[str, list[tuple[int, int]]]:
        found: dict[str, list[tuple[int, int]]] = {}
        for form in self.forms:
            if self.kind != "term" and form.split()[0] not in text:
                continue  # a case-sensitive pattern needs its first word verbatim
            spans = [m.span() for m in self.pattern(form).finditer(text)]
            if spans:
                found[form] = spans
        return found


@lru_cache(maxsize=1)
def variant_groups() -> tuple[VariantGroup, ...]:
    groups = []
    for row in csv_rows("spelling_variants.csv"):
        variants = tuple(v.strip() for v in row["variants"].split("|") if v.strip())
        groups.append(
            VariantGroup(row["preferred"], (row["preferred"], *variants), row["kind"], row["note"])
        )
    return tuple(groups)


def _preferred_forms() -> set[str]:
    return {g.preferred for g in variant_groups()}


def _base(word: str) -> str:
    for end in ("'s", "’s", "'", "’"):
        if word.endswith(end) and len(word) > len(end) + 1:
            return word[: -len(end)]
    return word


def name_forms(
    ctx: CheckContext, side: str, last_only: bool = False
) -> tuple[Counter, dict[str, tuple[int, int]]]:
    """Capitalized words (likely names) of one side: counts and first span of each form.

    ``last_only`` keeps only the last word of a run of capitalized words (a surname,
    not the first names "Andriy Yermak" and "Andrii Sybiha" of two people).
    """
    return ctx.memo(("name_forms", side, last_only), lambda: _name_forms(ctx, side, last_only))


def _name_forms(ctx: CheckContext, side: str, last_only: bool) -> tuple[Counter, dict[str, tuple[int, int]]]:
    doc = ctx.candidate if side == "candidate" else ctx.reference
    counts: Counter = Counter()
    first: dict[str, tuple[int, int]] = {}
    toks = ctx.tokens(side)
    for k, tok in enumerate(toks):
        word = _base(tok.text)
        if not word[:1].isupper() or word.isupper() or is_function_word(word):
            continue
        nxt = toks[k + 1] if k + 1 < len(toks) else None
        if last_only and nxt is not None and nxt.capitalized and (
            doc.text[tok.end : nxt.start].strip() == ""
        ):
            continue
        if sentence_initial(tok, doc) and hunspell_knows(word.lower()):
            continue  # an ordinary word capitalized at the start of a sentence
        counts[word] += 1
        first.setdefault(word, (tok.start, tok.start + len(word)))
    return counts, first


def variant_kind(a: str, b: str, max_edits: int) -> str | None:
    """How two capitalized forms are spellings of one name, or None."""
    if a == b or a.lower() == b.lower():
        return None
    fa, fb = fold(a), fold(b)
    if fa == fb:
        return "diacritics"
    short, long_ = sorted((fa, fb), key=len)
    if len(short) < 5 or fa[0] != fb[0]:
        return None
    if long_.startswith(short) and long_[len(short) :] in _NAME_ENDINGS:
        return None  # "Russia"/"Russian", "Daniel"/"Daniela"
    if hunspell_knows(a) and hunspell_knows(b):
        return None  # two dictionary words ("Austrian"/"Australian")
    limit = max_edits if len(short) >= 9 else 1
    if DamerauLevenshtein.distance(fa, fb) <= limit:
        return "spelling"
    return None


def _allowed(ctx: CheckContext, form: str) -> bool:
    return fold(form) in {fold(t) for t in ctx.allowed_terms}


class InconsistentSpelling(Rule):
    """One name or term spelled two ways in the candidate.

    What it does
    ------------
    Finds forms of one name or term used side by side in the candidate: pairs from
    ``data/spelling_variants.csv`` ("Kiev" and "Kyiv", "Odessa" and "Odesa",
    "ceasefire" and "cease-fire"), and capitalized words that differ by diacritics or by
    one edit (two for long names) and are not a plural, demonym or feminine of each other
    ("Zelensky" and "Zelenskyy"; not "Russia" and "Russian"; a first name followed by a
    surname is not compared, since two people may spell one first name differently:
    "Andriy Yermak", "Andrii Sybiha"). The form to keep is the one
    the reference uses, else the more frequent one (ties go to the table's preferred
    form); each other form is flagged once, at its first occurrence (or at every
    occurrence with ``each_occurrence``), with the form to keep as the suggestion.

    Why it matters
    --------------
    Mixed spellings of one name look careless and can make a reader think two people or
    places are meant; machine translation mixes them when its training data did.

    A name spelled one way throughout is never flagged by this rule. Can't catch two
    spellings that differ more than the edit limit and are not in the table. Measured:
    no flag and no false alarm on MQM TED zh-en (few names); on injected name variants
    MT401/MT402 find about 3 in 4, with no false alarm on clean text.

    Example
    -------
    "Kiev and Moscow remain far apart ... Umerov also represented Kyiv in 2022." ->
    "Kyiv" or "Kiev" (whichever the reference does not use), suggestion the other.

    Options
    -------
    max_edits (int, 2): edits allowed between two spellings of a name of 9+ letters
        (shorter names: 1).
    each_occurrence (bool, false): flag every occurrence of the form to change.
    """

    code = "MT401"
    name = "inconsistent-spelling"
    category = "Terminology/Inconsistent use of terminology"
    severity = "minor"
    defaults = {"max_edits": 2, "each_occurrence": False}
    examples_flag = (
        "Kiev and Moscow remain far apart. Umerov represented Kyiv. Kiev said no.",
        "Zelensky met Erdogan. Later Zelenskyy said the talks failed.",
        "The ceasefire holds. A cease-fire was agreed in May.",
        ("Erdogan met Zelensky.", "Erdoğan met Zelensky. Erdogan later left Ankara."),
    )
    examples_pass = (
        "Kyiv and Moscow remain far apart. Umerov represented Kyiv.",
        "Russia said the Russian delegation was ready. Russians voted.",
        "Daniel and Daniela Ortega met Austrian and Australian diplomats.",
        "Pokrovsk, Toretsk and Chasiv Yar are near the front line.",
    )

    def check(self, ctx: CheckContext) -> Iterable[Finding]:
        each = self.option(ctx, "each_occurrence")
        text = ctx.candidate.text
        ref_text = ctx.reference.text
        done: set[str] = set()
        for group in variant_groups():
            occ = group.occurrences(text)
            if len(occ) < 2:
                continue
            ref_occ = group.occurrences(ref_text)
            keep = _choose(occ, ref_occ, group.preferred)
            for form, spans in occ.items():
                if form == keep or _allowed(ctx, form):
                    continue
                done.add(form)
                yield from self._flag(ctx, form, keep, spans, occ, each, group.note)
        counts, first = name_forms(ctx, "candidate", last_only=True)
        ref_counts, _ = name_forms(ctx, "reference")
        max_edits = self.option(ctx, "max_edits")
        forms = sorted(counts)
        for i, a in enumerate(forms):
            for b in forms[i + 1 :]:
                if a in done or b in done:
                    continue
                kind = variant_kind(a, b, max_edits)
                if kind is None or (a in ref_counts and b in ref_counts):
                    continue
                occ = {a: _all_spans(text, a), b: _all_spans(text, b)}
                ref_occ = {f: [(0, 0)] * ref_counts[f] for f in (a, b) if f in ref_counts}
                keep = _choose(occ, ref_occ, None)
                other = b if keep == a else a
                if _allowed(ctx, other):
                    continue
                done.add(other)
                note = "differs only by diacritics" if kind == "diacritics" else ""
                yield from self._flag(ctx, other, keep, occ[other], occ, each, note)

    def _flag(self, ctx, form, keep, spans, occ, each, note):
        counts = ", ".join(f"{f} ({len(s)}×)" for f, s in occ.items())
        why = f"; {note}" if note else ""
        for start, end in spans if each else spans[:1]:
            yield self.finding(
                ctx,
                start,
                end,
                f'One name spelled several ways in this article: {counts}. Use "{keep}"{why}.',
                suggestions=[keep],
            )


def _all_spans(text: str, form: str) -> list[tuple[int, int]]:
    return [m.span() for m in _exact_pattern(form).finditer(text)]


@lru_cache(maxsize=4096)
def _form_pattern(form: str, flags: int) -> re.Pattern:
    """A whole-word pattern for ``form``; any whitespace run matches a space. Compiled once."""
    body = r"\s+".join(re.escape(w) for w in form.split())
    return re.compile(rf"(?<![\w\-]){body}(?![\w\-])", flags)


@lru_cache(maxsize=4096)
def _exact_pattern(form: str) -> re.Pattern:
    """A whole-word, case-sensitive pattern for ``form`` as written. Compiled once."""
    return re.compile(rf"(?<![\w\-]){re.escape(form)}(?![\w\-])")


def _choose(occ: dict, ref_occ: dict, preferred: str | None) -> str:
    """The form to keep: the reference's, else the most frequent, ties to the preferred."""
    in_ref = [f for f in occ if f in ref_occ]
    if len(in_ref) == 1:
        return in_ref[0]
    if in_ref:
        return max(in_ref, key=lambda f: len(ref_occ[f]))
    return max(occ, key=lambda f: (len(occ[f]), f == preferred, -occ[f][0][0]))


class ReferenceSpelling(Rule):
    """A name spelled differently from the reference (transliteration variant).

    What it does
    ------------
    Flags a name in the candidate that the reference spells another way, where the
    candidate never uses the reference's form: pairs of ``data/spelling_variants.csv``
    ("Kiev" vs the reference's "Kyiv", "Erdoğan" vs "Erdogan"), forms that differ only
    by diacritics, and capitalized words one edit apart (two for long names;
    "Zelenskyy" vs "Zelensky"; first names followed by a surname are not compared). A
    candidate that uses the table's preferred (house-style) form is not flagged even if
    the reference differs. Flagged once per form, at its first occurrence, with the
    reference's form as the suggestion.

    Why it matters
    --------------
    The reference usually follows the publication's style; a transliteration variant is
    a minor but visible inconsistency (and a sign the name was machine-transliterated).

    Can't catch: a variant too far from the reference form and not in the table, or a
    name the reference does not contain. When the candidate itself mixes two forms,
    MT401 reports it instead.

    Example
    -------
    Reference "Zelensky met Erdogan.", candidate "Zelenskyy met Erdoğan." -> "Zelenskyy"
    (suggestion "Zelensky") and "Erdoğan" (suggestion "Erdogan").

    Options
    -------
    max_edits (int, 2): edits allowed between two spellings of a name of 9+ letters
        (shorter names: 1).
    """

    code = "MT402"
    name = "reference-spelling"
    category = "Terminology/Inconsistent use of terminology"
    severity = "minor"
    defaults = {"max_edits": 2}
    examples_flag = (
        ("Zelensky met Erdogan in Ankara.", "Zelenskyy met Erdoğan in Ankara."),
        ("Talks in Kyiv ended.", "Talks in Kiev ended."),
        ("Medinsky led the team.", "Medinskiy led the team."),
    )
    examples_pass = (
        ("Zelensky met Erdogan in Ankara.", "Zelensky met Erdogan in Ankara."),
        ("Zelenskyy met Erdoğan in Ankara.", "Zelensky met Erdogan in Ankara."),
        ("Russia and Russians.", "The Russian delegation arrived."),
        ("Daniela spoke.", "Daniel spoke."),
    )

    def check(self, ctx: CheckContext) -> Iterable[Finding]:
        text, ref_text = ctx.candidate.text, ctx.reference.text
        preferred = _preferred_forms()
        flagged: set[str] = set()
        for group in variant_groups():
            occ = group.occurrences(text)
            ref_occ = group.occurrences(ref_text)
            if len(occ) != 1 or not ref_occ:
                continue
            (form, spans), = occ.items()
            if form in ref_occ or form == group.preferred or _allowed(ctx, form):
                continue
            target = max(ref_occ, key=lambda f: len(ref_occ[f]))
            flagged.add(form)
            yield self._flag(ctx, form, target, spans[0], "transliteration variant")
        counts, first = name_forms(ctx, "candidate", last_only=True)
        ref_counts, _ = name_forms(ctx, "reference")
        max_edits = self.option(ctx, "max_edits")
        for form in sorted(counts, key=lambda f: first[f]):
            if form in ref_counts or form in flagged or form in preferred:
                continue
            if _allowed(ctx, form):
                continue
            matches = [
                (r, kind)
                for r in ref_counts
                if r not in counts and (kind := variant_kind(form, r, max_edits))
            ]
            if not matches:
                continue
            target, kind = max(matches, key=lambda m: ref_counts[m[0]])
            how = "transliteration variant" if kind == "diacritics" else "spelling variant"
            yield self._flag(ctx, form, target, first[form], how)

    def _flag(self, ctx, form, target, span, how):
        return self.finding(
            ctx,
            span[0],
            span[1],
            f'"{form}" is spelled "{target}" in the reference ({how}).',
            suggestions=[target],
        )


RULES = [InconsistentSpelling, ReferenceSpelling]
