"""MT201 number-mismatch and MT202 number-missing: numbers, dates, times and quantities
that differ between aligned sentences.

Quantities are normalised before they are compared, so "1,000-km", "1000 kilometres" and
"one thousand km" are the same quantity, "F-16" and "F16" the same designation, "12:30"
a clock time, "three years" the number 3 with the unit "year". Number words, scale words,
units and date words live in ``mtcheck/detect/data/number_words.json``.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Iterable

from mtcheck.detect.base import CheckContext, Rule
from mtcheck.types import Finding

DATA_DIR = Path(__file__).resolve().parent.parent / "data"


@lru_cache(maxsize=1)
def number_data() -> dict:
    return json.loads((DATA_DIR / "number_words.json").read_text(encoding="utf-8"))


@dataclass(frozen=True)
class Quantity:
    """One number, time, designation or date word found in a text."""

    start: int
    end: int
    text: str
    kind: str  # "number", "time", "id", "date"
    value: object  # float for numbers, str for the others
    unit: str = ""
    #: A weak quantity ("one") is matched but never reported on its own.
    weak: bool = False

    @property
    def key(self) -> tuple:
        return (self.kind, self.value)


@lru_cache(maxsize=1)
def _patterns() -> dict[str, re.Pattern]:
    d = number_data()
    words = sorted([*d["small"], *d["tens"], *d["scales"]], key=len, reverse=True)
    numword = r"(?:%s)" % "|".join(words)
    tens = "|".join(d["tens"])
    small = "|".join(k for k in d["small"] if d["small"][k] < 10)
    # "twenty-five" as one word
    compound = rf"(?:(?:{tens})-(?:{small}))"
    word = rf"(?:{compound}|{numword})"
    digits = r"\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?|\d+0s"
    scales = "|".join(d["scales"])
    standalone = "|".join(d["standalone"])
    phrase = (
        rf"(?:{standalone})|(?:(?:{digits})(?:st|nd|rd|th)?|{word})"
        rf"(?:(?:\s+|-)(?:and\s+)?(?:{word}))*"
        rf"(?:\s+and\s+a\s+half(?:\s+(?:{scales}))?)?"
    )
    units = sorted(d["units"], key=len, reverse=True)
    unit = r"(?:%s)" % "|".join(re.escape(u) for u in units)
    currency = "[" + re.escape("".join(d["currency_symbols"])) + "]"
    dates = sorted(d["date_words"], key=len, reverse=True)
    dim_num = rf"(?:\d|{small})"
    return {
        "dim": re.compile(rf"(?<![\w-])({dim_num})(?:-?D|\s*-?\s*dimensional|[- ]dimensions?)(?!\w)", re.I),
        "time": re.compile(r"(?<![\w:.])([01]?\d|2[0-3])[:.]([0-5]\d)(?:\s?([ap])\.?m\b\.?)?(?![\w:])"
                           r"|(?<![\w:])(1[0-2]|0?[1-9])\s?([ap])\.m\.(?!\w)", re.I),
        "id": re.compile(r"(?<![\w-])(?=[A-Za-z]*[A-Z])[A-Za-z]{1,5}-?\d+[A-Za-z]?(?![\w-])"),
        "number": re.compile(
            rf"(?<![\w.,])({currency})?\s?({phrase})(?:(?:\s*|-)({unit})(?![\w])|(?![\w]))",
            re.I,
        ),
        "date": re.compile(r"(?<!\w)(%s)(?!\w)" % "|".join(re.escape(x) for x in dates), re.I),
    }


def _parse_words(phrase: str) -> float | None:
    """Value of a number phrase: "two hundred and fifty thousand" -> 250000."""
    d = number_data()
    total, current = 0.0, 0.0
    seen = False
    half = 0.0
    if re.search(r"\band\s+a\s+half\b", phrase, re.I):
        phrase = re.sub(r"\s+and\s+a\s+half\b", "", phrase, flags=re.I)
        half = 0.5
    for tok in re.split(r"[\s-]+", phrase.lower()):
        if not tok or tok == "and":
            continue
        if half and tok in d["scales"]:
            current += half
            half = 0.0
        num = tok.replace(",", "")
        num = re.sub(r"(st|nd|rd|th|(?<=0)s)$", "", num)
        if re.fullmatch(r"\d+(?:\.\d+)?", num):
            current += float(num)
        elif tok in d["standalone"]:
            current += d["standalone"][tok]
        elif tok in d["small"]:
            current += d["small"][tok]
        elif tok in d["tens"]:
            current += d["tens"][tok]
        elif tok in d["scales"]:
            scale = d["scales"][tok]
            current = (current or 1.0) * scale
            if scale >= 1000:
                total += current
                current = 0.0
        else:
            return None
        seen = True
    return total + current + half if seen else None


def extract_quantities(text: str) -> list[Quantity]:
    """Numbers, times, designations (F-16) and date words of ``text``, in order."""
    return list(_quantities(text))


@lru_cache(maxsize=4096)
def _quantities(text: str) -> tuple[Quantity, ...]:
    """extract_quantities, once per text (MT201, MT202 and MT205 read the same sentences)."""
    d = number_data()
    pats = _patterns()
    found: list[Quantity] = []
    taken = [False] * len(text)

    def free(a: int, b: int) -> bool:
        return not any(taken[a:b])

    def take(q: Quantity) -> None:
        for k in range(q.start, q.end):
            taken[k] = True
        found.append(q)

    for m in pats["dim"].finditer(text):
        n = m.group(1).lower()
        value = int(n) if n.isdigit() else d["small"][n]
        take(Quantity(m.start(), m.end(), m.group(0), "dim", float(value)))
    for m in pats["time"].finditer(text):
        if not free(m.start(), m.end()):
            continue
        if m.group(1) is not None:
            h, mi, ap = int(m.group(1)), int(m.group(2)), (m.group(3) or "").lower()
            if m.group(0)[len(m.group(1))] == "." and not ap:
                continue  # "3.50" is a decimal number, not a time
        else:
            h, mi, ap = int(m.group(4)), 0, m.group(5).lower()
        if ap == "p" and h < 12:
            h += 12
        if ap == "a" and h == 12:
            h = 0
        take(Quantity(m.start(), m.end(), m.group(0), "time", f"{h:02d}:{mi:02d}"))
    for m in pats["id"].finditer(text):
        if free(m.start(), m.end()):
            value = m.group(0).replace("-", "").upper()
            take(Quantity(m.start(), m.end(), m.group(0), "id", value))
    for m in pats["number"].finditer(text):
        if not free(m.start(), m.end()):
            continue
        phrase = m.group(2)
        value = _parse_words(phrase)
        if value is None:
            continue
        before = text[max(0, m.start() - 8):m.start()].lower()
        if re.search(r"\bper\s*$", before):
            continue  # "per million" is a rate's denominator, not a quantity
        if phrase.lower() in d["scales"] and not re.search(r"\b(a|one)\s*$", before):
            continue  # "several million", "hundreds": too vague to compare
        unit = ""
        if m.group(1):
            unit = d["currency_symbols"][m.group(1)]
        if m.group(3):
            unit = d["units"][m.group(3).lower()]
        weak = phrase.strip().lower() in d["weak"]
        take(Quantity(m.start(), m.end(), m.group(0).strip(), "number", value, unit, weak))
    ambiguous = set(d["ambiguous_date_words"])
    for m in pats["date"].finditer(text):
        w = m.group(0)
        if not free(m.start(), m.end()) or not w[0].isupper():
            continue
        if w.lower() in ambiguous and (m.start() == 0 or not re.search(r"\d", text[m.end():m.end() + 4] + text[max(0, m.start() - 4):m.start()])):
            continue  # "May" / "March" only next to a day number
        take(Quantity(m.start(), m.end(), w, "date", d["date_words"][w.lower()]))
    found.sort(key=lambda q: q.start)
    return tuple(found)


def compare_quantities(
    ref: list[Quantity], cand: list[Quantity]
) -> tuple[list[Quantity], list[Quantity], list[tuple[Quantity, Quantity]]]:
    """Match quantities by normalised value.

    Returns (candidate quantities whose value is nowhere in the reference, reference
    quantities whose value is nowhere in the candidate, value-equal pairs whose units
    differ). A value repeated on one side only ("the top 20% and the bottom 20%") is not
    a mismatch.
    """
    ref_keys = {q.key: q for q in ref}
    cand_keys = {q.key for q in cand}
    extra = [q for q in cand if q.key not in ref_keys]
    missing = [q for q in ref if q.key not in cand_keys]
    unit_diff = []
    for q in cand:
        r = ref_keys.get(q.key)
        if r is not None and q.unit and r.unit and q.unit != r.unit:
            if not any(x.key == q.key and x.unit == q.unit for x in ref):
                unit_diff.append((q, r))
    return extra, missing, unit_diff


class NumberMismatch(Rule):
    """Numbers, dates and times in the candidate that differ from the aligned reference.

    What it does
    ------------
    For every aligned sentence pair, finds the numbers (digits and number words), clock
    times, designations such as "F-16", dimensions ("3D") and day and month names on
    both sides, normalises them ("1,000-km" = "1000 kilometres" = "one thousand km";
    "three years" = "3 years"; "F16" = "F-16"; "12:30 p.m." = "12:30pm"; "2.5 million" =
    "two and a half million"), and flags a candidate quantity whose value appears nowhere
    in the aligned reference, or whose unit differs ("1,000 miles" for "1,000 km").

    Why it matters
    --------------
    A wrong number, date or time is an accuracy error readers cannot detect and that a
    correction must retract. Machine translation changes numbers more often than it
    seems (scale words, units, a day off).

    Example
    -------
    Reference: "... along the 1,000-km front line." Candidate: "... along the 1,200 km
    front." -> "1,200 km" is flagged, suggestion "1,000-km".

    Options
    -------
    No options. Only aligned pairs are checked. Severity is major when the documents are
    parallel and minor otherwise (two outlets' versions of one story may legitimately
    differ). The words "one", "both" and "twice" are matched but never flagged on their
    own (usually not quantities); "per million" and vague "several million" are ignored.
    Number words, units and date words: ``mtcheck/detect/data/number_words.json``.
    """

    code = "MT201"
    name = "number-mismatch"
    category = "Accuracy/Mistranslation"
    severity = "major"

    @classmethod
    def preload(cls) -> None:
        _patterns()

    def check(self, ctx: CheckContext) -> Iterable[Finding]:
        severity = self.severity if ctx.parallel.is_parallel else "minor"
        for _bead, ref, cand, _r0, c0 in ctx.aligned_pairs():
            rq, cq = extract_quantities(ref), extract_quantities(cand)
            if not cq:
                continue
            extra, missing, unit_diff = compare_quantities(rq, cq)
            for q in extra:
                if q.weak:
                    continue
                alts = [r.text for r in missing if r.kind == q.kind and not r.weak]
                hint = f" (reference: {', '.join(alts)})" if alts else ""
                yield self.finding(
                    ctx,
                    c0 + q.start,
                    c0 + q.end,
                    f"'{q.text}' does not match any {_KIND[q.kind]} in the aligned "
                    f"reference sentence{hint}",
                    suggestions=alts,
                    severity=severity,
                )
            for q, r in unit_diff:
                yield self.finding(
                    ctx,
                    c0 + q.start,
                    c0 + q.end,
                    f"'{q.text}': the unit differs from the reference's '{r.text}'",
                    suggestions=[r.text],
                    severity=severity,
                )


class NumberMissing(Rule):
    """Numbers, dates and times of the reference that the aligned candidate lacks.

    What it does
    ------------
    For every aligned sentence pair, reports a reference quantity (number, time,
    designation, day or month; normalised as in MT201) whose value appears nowhere in the
    candidate sentence and which MT201 has not already reported as changed. The finding
    is located on the reference side: there is no candidate text to point at.

    Why it matters
    --------------
    A dropped date, amount or count is an omission that changes what the article says
    ("talks in three years" -> "talks").

    Example
    -------
    Reference: "... their first direct talks in three years on Friday." Candidate:
    "... their first direct talks on Friday." -> "three years" (reference) is reported.

    Options
    -------
    No options. Only aligned pairs of parallel documents are checked (two outlets'
    versions of one story legitimately leave out different details); severity minor. The
    words "one", "both" and "twice" are never reported.
    """

    code = "MT202"
    name = "number-missing"
    category = "Accuracy/Omission"
    severity = "minor"

    def check(self, ctx: CheckContext) -> Iterable[Finding]:
        if not ctx.parallel.is_parallel:
            return  # two outlets' stories legitimately omit different details
        for _bead, ref, cand, r0, _c0 in ctx.aligned_pairs():
            rq = extract_quantities(ref)
            if not rq:
                continue
            extra, missing, _ = compare_quantities(rq, extract_quantities(cand))
            changed_kinds = {q.kind for q in extra if not q.weak}
            for r in missing:
                if r.weak or r.kind in changed_kinds:
                    continue  # MT201 reports it as a changed quantity
                yield self.finding(
                    ctx,
                    r0 + r.start,
                    r0 + r.end,
                    f"'{r.text}' in the reference is missing from the aligned candidate "
                    "sentence",
                    side="reference",
                )


_KIND = {"dim": "dimension", "number": "number", "time": "time", "id": "designation",
         "date": "day or month"}

RULES = [NumberMismatch, NumberMissing]
