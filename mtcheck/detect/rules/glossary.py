"""MT450 glossary-term: forbidden variants of a glossary's required terms.

The glossary is a CSV file given in the config (``glossary = "glossary.csv"``), which
puts its path into this rule's ``glossary`` option::

    term,forbidden
    Kyiv,Kiev
    back channel,reverse channel|backchannel

One row per required term; ``forbidden`` lists its forbidden variants separated by ``|``.
A header row ``term,forbidden`` is required; blank rows and rows whose first cell starts
with ``#`` are skipped.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Iterable

from mtcheck.detect.base import CheckContext, Rule
from mtcheck.types import Finding


class GlossaryError(ValueError):
    """An unreadable or malformed glossary file."""


@dataclass(frozen=True)
class Entry:
    term: str
    forbidden: tuple[str, ...]


@lru_cache(maxsize=4096)
def _pattern(phrase: str) -> re.Pattern:
    """Whole-word, case-insensitive match; any whitespace run matches a space."""
    body = r"\s+".join(re.escape(p) for p in phrase.split())
    return re.compile(rf"(?<!\w){body}(?!\w)", re.IGNORECASE)


@lru_cache(maxsize=8)
def load_glossary(path: str) -> tuple[Entry, ...]:
    """Parse the glossary CSV; raise GlossaryError naming the file and row."""
    try:
        text = Path(path).read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise GlossaryError(f"{path}: cannot read the glossary ({exc})") from None
    rows = [r for r in csv.reader(text.splitlines()) if any(c.strip() for c in r)]
    if not rows or [c.strip().lower() for c in rows[0][:2]] != ["term", "forbidden"]:
        raise GlossaryError(f'{path}: the first row must be the header "term,forbidden"')
    entries = []
    for n, row in enumerate(rows[1:], start=2):
        if row[0].strip().startswith("#"):
            continue
        if len(row) < 2 or not row[0].strip():
            raise GlossaryError(f"{path}: row {n}: expected a term and its forbidden variants")
        forbidden = tuple(v.strip() for v in row[1].split("|") if v.strip())
        if not forbidden:
            raise GlossaryError(f"{path}: row {n}: no forbidden variant for {row[0].strip()!r}")
        entries.append(Entry(row[0].strip(), forbidden))
    return tuple(entries)


class GlossaryTerm(Rule):
    """A forbidden variant of a term the project glossary prescribes.

    What it does
    ------------
    Reads the glossary CSV named in the configuration (required term -> forbidden
    variants) and flags every whole-word, case-insensitive occurrence of a forbidden
    variant in the candidate, suggesting the required term. Occurrences inside the
    required term itself and terms in the configuration's allowed terms are not flagged.
    Runs only when a glossary is configured.

    Why it matters
    --------------
    Newsrooms and localisation teams fix the spelling of names and terms ("Kyiv", not
    "Kiev"); machine translation does not know the house style and mixes variants.

    Example
    -------
    Glossary row ``Kyiv,Kiev``. Candidate: "Talks between Kiev and Moscow resumed." ->
    "Kiev" flagged, suggestion "Kyiv".

    Options
    -------
    ``glossary``: path of the CSV file (header ``term,forbidden``; variants separated by
    ``|``). Set by the config key ``glossary``; default none (the rule does nothing).
    """

    code = "MT450"
    name = "glossary-term"
    category = "Terminology/Wrong term"
    severity = "major"
    defaults = {"glossary": None}

    def check(self, ctx: CheckContext) -> Iterable[Finding]:
        path = self.option(ctx, "glossary")
        if not path:
            return
        allowed = {t.casefold() for t in ctx.allowed_terms}
        text = ctx.candidate.text
        for entry in load_glossary(str(path)):
            required = [m.span() for m in _pattern(entry.term).finditer(text)]
            for variant in entry.forbidden:
                if variant.casefold() == entry.term.casefold():
                    continue
                for m in _pattern(variant).finditer(text):
                    if m.group().casefold() in allowed:
                        continue
                    if any(a <= m.start() and m.end() <= b for a, b in required):
                        continue
                    yield self.finding(
                        ctx,
                        m.start(),
                        m.end(),
                        f"glossary: use “{entry.term}”, not “{m.group()}”",
                        suggestions=[entry.term],
                    )


RULES = [GlossaryTerm]
