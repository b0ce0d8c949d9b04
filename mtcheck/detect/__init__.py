"""Detect stage: rules with stable codes that flag problems in the candidate.

Codes: MT1xx fluency, MT2xx accuracy, MT3xx style, MT4xx terminology/consistency.
A code is never reused. The registry below is the one table of rules.
"""

from __future__ import annotations

from importlib import import_module
from typing import Iterable

from mtcheck.detect.base import CheckContext, Rule
from mtcheck.types import Finding

#: Modules defining rules, imported on first use. Each exposes ``RULES``: a list of
#: Rule subclasses. Add a module here to add rules.
RULE_MODULES: tuple[str, ...] = (
    "mtcheck.detect.rules.repetition",
    "mtcheck.detect.rules.spelling",
    "mtcheck.detect.rules.calques",
    "mtcheck.detect.rules.consistency",
    "mtcheck.detect.rules.numbers",
    "mtcheck.detect.rules.entities",
    "mtcheck.detect.rules.support",
    "mtcheck.detect.rules.omission",
    "mtcheck.detect.rules.glossary",
    "mtcheck.detect.rules.tagged",
)


#: Codes of findings that come from a backend rather than a Rule class (LanguageTool's
#: matches all carry "LT"). --select/--ignore accept them like rule codes.
BACKEND_CODES: tuple[str, ...] = ("LT",)


class UnknownRuleError(ValueError):
    """A --select/--ignore entry that matches no rule code."""


def _normalise(entries: Iterable[str] | None) -> list[str]:
    return [e.strip().upper() for e in (entries or []) if e.strip()]


def check_prefixes(entries: Iterable[str]) -> None:
    """Raise UnknownRuleError for a select/ignore entry that matches no code."""
    codes = [r.code for r in all_rules()] + list(BACKEND_CODES)
    for entry in _normalise(entries):
        if entry != "ALL" and not any(c.startswith(entry) for c in codes):
            raise UnknownRuleError(f"no rule code starts with {entry!r} (see `mtcheck rules`)")


def code_selected(code: str, select: Iterable[str] | None, ignore: Iterable[str] | None) -> bool:
    """Whether a backend code (e.g. "LT") runs under select/ignore, by the rules' logic.

    On by default; with ``select`` it must be named by a prefix or "ALL"; ``ignore`` wins.
    """
    select, ignore = _normalise(select), _normalise(ignore)
    chosen = not select or "ALL" in select or any(code.startswith(p) for p in select)
    return chosen and not any(code.startswith(p) for p in ignore)


def all_rules() -> list[type[Rule]]:
    """Every registered rule class, sorted by code."""
    rules: list[type[Rule]] = []
    for name in RULE_MODULES:
        rules.extend(import_module(name).RULES)
    codes = [r.code for r in rules]
    dupes = {c for c in codes if codes.count(c) > 1}
    if dupes:  # pragma: no cover - a programming error caught by the tests
        raise RuntimeError(f"duplicate rule codes: {sorted(dupes)}")
    return sorted(rules, key=lambda r: r.code)


def get_rule(code: str) -> type[Rule] | None:
    code = code.upper()
    for rule in all_rules():
        if rule.code == code or rule.name == code.lower():
            return rule
    return None


def select_rules(
    select: Iterable[str] | None = None, ignore: Iterable[str] | None = None
) -> list[type[Rule]]:
    """Rules enabled by code prefix, ruff-style.

    With no ``select``, the rules enabled by default run. ``select`` entries are code
    prefixes ("MT1", "MT101") or "ALL"; an explicitly selected rule runs even when it is
    off by default only if its full code is named or "ALL" is given. ``ignore`` removes
    rules by prefix and wins over ``select``.
    """
    rules = all_rules()
    select, ignore = _normalise(select), _normalise(ignore)
    check_prefixes([*select, *ignore])
    if not select:
        chosen = [r for r in rules if r.default_enabled]
    else:
        chosen = [
            r
            for r in rules
            if "ALL" in select
            or r.code in select
            or (r.default_enabled and any(r.code.startswith(p) for p in select))
        ]
    return [r for r in chosen if not any(r.code.startswith(p) for p in ignore)]


def preload(rules: Iterable[type[Rule]]) -> None:
    """Each rule's ``preload`` (its dictionaries and tables, cached per process).

    A failure is left for ``check`` to raise where it reports it (nothing is cached)."""
    for rule_cls in rules:
        try:
            rule_cls.preload()
        except Exception:  # noqa: BLE001 - check() meets the same error and reports it
            pass


def run_rules(ctx: CheckContext, rules: Iterable[type[Rule]]) -> list[Finding]:
    """Run rules and return their findings in document order, without exact duplicates."""
    findings: list[Finding] = []
    ctx.findings = findings
    seen: set[tuple] = set()
    for rule_cls in sorted(rules, key=lambda r: r.runs_last):  # stable: code order otherwise
        for f in rule_cls().check(ctx):
            key = (f.code, f.side, f.start, f.end)
            if key not in seen:
                seen.add(key)
                findings.append(f)
    findings.sort(key=lambda f: (f.side != "candidate", f.start, f.end, f.code))
    return findings
