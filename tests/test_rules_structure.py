"""Every registered rule is well-formed and behaves on its own examples.

Shape: a stable code in its family's range, a kebab-case name, an MQM category whose
top level matches the code family, a severity, a docstring with the four headings in
order, options documented, and should-flag / should-not-flag examples that hold.
"""

import re

import pytest

from mtcheck.detect import all_rules, select_rules
from mtcheck.detect.adhoc import run_example
from mtcheck.types import SEVERITIES

RULES = all_rules()
HEADINGS = ("What it does", "Why it matters", "Example", "Options")
FAMILY = {"1": "Fluency", "2": "Accuracy", "3": "Style", "4": "Terminology"}
#: MQM top-level dimensions (MQM core / WMT MQM).
MQM_TOP = {"Accuracy", "Fluency", "Terminology", "Style", "Locale convention", "Other"}

#: Rules whose examples are still being written by their owner. The test below fails
#: when a listed rule already has examples, so entries must be removed as they land.
PENDING_EXAMPLES = {"MT201", "MT202", "MT203", "MT204", "MT205", "MT206", "MT207", "MT450"}

#: Rules whose flag examples need something the tests build themselves (a model).
NO_FLAG_EXAMPLES = {"MT303"}  # exercised with a small model in test_rules_calques.py


def ids(rules):
    return [r.code for r in rules]


def test_registry_is_not_empty_and_codes_unique():
    codes = ids(RULES)
    assert len(codes) >= 10
    assert len(codes) == len(set(codes))
    names = [r.name for r in RULES]
    assert len(names) == len(set(names))


@pytest.mark.parametrize("rule", RULES, ids=ids(RULES))
def test_rule_shape(rule):
    assert re.fullmatch(r"MT[1-4]\d\d", rule.code), rule.code
    assert re.fullmatch(r"[a-z]+(-[a-z]+)*", rule.name), rule.name
    top = rule.category.split("/")[0]
    assert top in MQM_TOP, rule.category
    assert top == FAMILY[rule.code[2]], f"{rule.code} is {rule.category}"
    assert rule.severity in SEVERITIES
    assert rule.status in ("stable", "preview", "deprecated")
    assert isinstance(rule.default_enabled, bool)


@pytest.mark.parametrize("rule", RULES, ids=ids(RULES))
def test_rule_docstring_has_the_four_headings_in_order(rule):
    doc = rule.doc()
    positions = [doc.find(h) for h in HEADINGS]
    assert all(p >= 0 for p in positions), f"{rule.code} lacks {HEADINGS}"
    assert positions == sorted(positions), f"{rule.code}: headings out of order"
    assert rule.summary(), rule.code
    options = doc.split("Options", 1)[1]
    for key in rule.defaults:
        assert key in options, f"{rule.code}: option {key!r} undocumented"


@pytest.mark.parametrize("rule", RULES, ids=ids(RULES))
def test_rule_has_examples(rule):
    has = bool(rule.examples_pass) and (bool(rule.examples_flag) or rule.code in NO_FLAG_EXAMPLES)
    if rule.code in PENDING_EXAMPLES:
        assert not has, f"{rule.code} has examples now: remove it from PENDING_EXAMPLES"
    else:
        assert has, f"{rule.code} needs examples_flag and examples_pass"


def _examples(kind):
    return [
        pytest.param(rule, ex, id=f"{rule.code}-{i}")
        for rule in RULES
        for i, ex in enumerate(getattr(rule, kind))
    ]


@pytest.fixture
def example_kwargs(encoder):
    return {"encoder": encoder}


@pytest.mark.parametrize(("rule", "example"), _examples("examples_flag"))
def test_flag_examples_are_flagged(rule, example, example_kwargs):
    findings = run_example(rule, example, **example_kwargs)
    assert findings, f"{rule.code} missed: {example!r}"
    for f in findings:
        assert f.code == rule.code
        text = example[1] if isinstance(example, tuple) else example
        assert text[f.start : f.end] == f.text


@pytest.mark.parametrize(("rule", "example"), _examples("examples_pass"))
def test_pass_examples_are_not_flagged(rule, example, example_kwargs):
    findings = run_example(rule, example, **example_kwargs)
    assert not findings, f"{rule.code} flagged {[f.text for f in findings]} in {example!r}"


def test_default_selection_is_the_default_enabled_rules():
    chosen = set(ids(select_rules()))
    assert chosen == {r.code for r in RULES if r.default_enabled}
    assert "MT303" not in chosen
    assert "MT303" in ids(select_rules(["MT303"]))
    assert ids(select_rules(["MT1"], ["MT103"])) == [
        r.code for r in RULES if r.code.startswith("MT1") and r.code != "MT103" and r.default_enabled
    ]
