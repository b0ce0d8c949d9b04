"""Inconsistent spellings of one name or term (MT401, MT402)."""

import pytest

from mtcheck.detect.adhoc import context_from_texts, run_example
from mtcheck.detect.rules.consistency import (
    InconsistentSpelling,
    ReferenceSpelling,
    variant_groups,
    variant_kind,
)

FLAG = [
    # (rule, example, flagged text, suggestion)
    (InconsistentSpelling, "Kiev and Moscow remain far apart. Umerov represented Kyiv. Kiev said no.",
     "Kyiv", "Kiev"),
    (InconsistentSpelling, ("Talks in Kyiv.", "Kiev and Moscow remain far apart. Umerov "
                            "represented Kyiv. Kiev said no."), "Kiev", "Kyiv"),
    (InconsistentSpelling, "Odessa was hit. Later Odesa was hit again.", "Odessa", "Odesa"),
    (InconsistentSpelling, "Zelensky met Erdogan. Later Zelenskyy said the talks failed.",
     "Zelenskyy", "Zelensky"),
    (InconsistentSpelling, "The ceasefire holds. A cease-fire was agreed.", "cease-fire",
     "ceasefire"),
    (InconsistentSpelling, "Erdoğan met Zelensky. Erdogan left; Erdoğan stayed.", "Erdogan",
     "Erdoğan"),
    (ReferenceSpelling, ("Zelensky met Erdogan in Ankara.", "Zelenskyy met Erdoğan in Ankara."),
     ["Zelenskyy", "Erdoğan"], ["Zelensky", "Erdogan"]),
    (ReferenceSpelling, ("Talks in Kyiv ended.", "Talks in Kiev ended."), "Kiev", "Kyiv"),
    (ReferenceSpelling, ("Medinsky led the team.", "Medinskiy led the team."), "Medinskiy",
     "Medinsky"),
    (ReferenceSpelling, ("Sybiha spoke.", "Sybіha spoke."), "Sybіha", "Sybiha"),  # Cyrillic і
]

PASS = [
    (InconsistentSpelling, "Kyiv and Moscow remain far apart. Umerov represented Kyiv."),
    (InconsistentSpelling, "Russia said the Russian delegation was ready. Russians voted."),
    (InconsistentSpelling, "Daniel and Daniela Ortega met Austrian and Australian diplomats."),
    (InconsistentSpelling, "Pokrovsk, Toretsk and Chasiv Yar are near the front line."),
    (InconsistentSpelling, "Andriy Yermak and Andriy Sybiha met Rustem Umerov."),
    (InconsistentSpelling, "Andriy Yermak met Andrii Sybiha in Kyiv."),
    (ReferenceSpelling, ("Zelensky met Erdogan.", "Zelensky met Erdogan.")),
    # the candidate uses the house style (the table's preferred form): not flagged
    (ReferenceSpelling, ("Zelenskyy met Erdoğan.", "Zelensky met Erdogan.")),
    (ReferenceSpelling, ("Russia and Russians.", "The Russian delegation arrived.")),
    (ReferenceSpelling, ("Daniela spoke.", "Daniel spoke.")),
    (ReferenceSpelling, ("Andriy Yermak spoke.", "Andrii Sybiha spoke.")),
    # both forms in the candidate: MT401's case, not MT402's
    (ReferenceSpelling, ("Talks in Kyiv.", "Kiev and Kyiv.")),
]


def _as_list(x):
    return x if isinstance(x, list) else [x]


@pytest.mark.parametrize(("rule", "example", "flagged", "suggestion"), FLAG)
def test_flags(rule, example, flagged, suggestion):
    findings = run_example(rule, example)
    assert [f.text for f in findings] == _as_list(flagged)
    assert [f.suggestions[0] for f in findings] == _as_list(suggestion)
    assert all(f.severity == "minor" for f in findings)


@pytest.mark.parametrize(("rule", "example"), PASS)
def test_passes(rule, example):
    assert run_example(rule, example) == []


def test_each_occurrence_option():
    text = "Kyiv is far. Kiev said no. Kiev said yes. Kyiv again. Kyiv too."
    assert [f.text for f in run_example(InconsistentSpelling, text)] == ["Kiev"]
    ctx = context_from_texts("", text, options={"MT401": {"each_occurrence": True}})
    found = list(InconsistentSpelling().check(ctx))
    assert [(f.text, f.start) for f in found] == [("Kiev", 13), ("Kiev", 27)]


def test_allowed_terms_are_not_flagged():
    ctx = context_from_texts("Medinsky led.", "Medinskiy led.", allowed_terms=frozenset({"Medinskiy"}))
    assert list(ReferenceSpelling().check(ctx)) == []


def test_variant_table_is_well_formed():
    groups = variant_groups()
    assert len(groups) >= 30
    forms = [f for g in groups for f in g.forms]
    assert len(forms) == len(set(forms)), "a spelling belongs to two groups"
    assert all(g.kind in ("name", "term") for g in groups)


@pytest.mark.parametrize(("a", "b", "kind"), [
    ("Erdoğan", "Erdogan", "diacritics"),
    ("Zelensky", "Zelenskyy", "spelling"),
    ("Russia", "Russian", None),
    ("Austria", "Australia", None),
    ("Iran", "Iraq", None),
    ("Kyiv", "Kiev", None),  # too short and too far for fuzzy matching: the table has it
])
def test_variant_kind(a, b, kind):
    assert variant_kind(a, b, 2) == kind
