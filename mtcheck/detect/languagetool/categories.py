"""Map a LanguageTool match to an MQM category and a severity.

The table is the data file ``categories.tsv`` beside this module (edit it, not the
code): rows for a rule id, a LanguageTool category id, an ITS issue type, and a default;
each gives the MQM category, the severity and whether the matches are reported by default
(``on``/``off``, decided from ``bench/languagetool.py``'s precision on the MQM TED set).
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

TABLE = Path(__file__).with_name("categories.tsv")

#: LanguageTool says "spelling" through its TYPOS category or the misspelling issue type.
SPELLING_CATEGORIES = frozenset({"TYPOS"})
SPELLING_ISSUES = frozenset({"misspelling"})
#: ... and "repeated word/phrase" through the duplication issue type (category MISC).
REPETITION_CATEGORIES = frozenset({"REPETITIONS"})
REPETITION_ISSUES = frozenset({"duplication"})


@lru_cache(maxsize=1)
def table() -> dict[tuple[str, str], tuple[str, str, bool]]:
    """{(kind, id): (mqm category, severity, on by default)} from ``categories.tsv``."""
    rows: dict[tuple[str, str], tuple[str, str, bool]] = {}
    for line in TABLE.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        kind, key, mqm, severity, default = line.split("\t")[:5]
        rows[(kind, key)] = (mqm, severity, default.strip() == "on")
    return rows


def _row(rule_id: str, category_id: str, issue_type: str) -> tuple[str, str, bool]:
    rows = table()
    for key in (("rule", rule_id), ("category", category_id), ("issueType", issue_type)):
        if key in rows:
            return rows[key]
    return rows[("default", "*")]


def mqm_for(rule_id: str, category_id: str, issue_type: str) -> tuple[str, str]:
    """(MQM category, severity) for a LanguageTool rule id, category id and issue type."""
    mqm, severity, _on = _row(rule_id, category_id, issue_type)
    return mqm, severity


def default_on(rule_id: str, category_id: str, issue_type: str) -> bool:
    """Whether matches of this rule are reported without the ``enable`` option."""
    return _row(rule_id, category_id, issue_type)[2]


def is_spelling(category_id: str, issue_type: str) -> bool:
    return category_id in SPELLING_CATEGORIES or issue_type in SPELLING_ISSUES


def is_repetition(category_id: str, issue_type: str) -> bool:
    return category_id in REPETITION_CATEGORIES or issue_type in REPETITION_ISSUES
