"""MT450 glossary-term: forbidden variants from a glossary CSV named in the config."""

import json

import pytest
from typer.testing import CliRunner

from mtcheck.cli import app
from mtcheck.detect import get_rule
from mtcheck.detect.base import CheckContext
from mtcheck.detect.rules.glossary import GlossaryError, GlossaryTerm, load_glossary
from mtcheck.types import Document, Parallel

GLOSSARY = "term,forbidden\nKyiv,Kiev\nback channel,reverse channel|backchannel\n# comment,x\n"


def _ctx(text, glossary, allowed=()):
    doc = Document(path="c.txt", text=text)
    from mtcheck.segment import segment

    segment(doc, "en")
    ref = Document(path="r.txt", text="x")
    return CheckContext(
        reference=ref, candidate=doc, beads=[], parallel=Parallel(True, 1.0, 1.0),
        options={"MT450": {"glossary": str(glossary)}} if glossary else {},
        allowed_terms=frozenset(allowed),
    )


@pytest.fixture
def glossary(tmp_path):
    p = tmp_path / "glossary.csv"
    p.write_text(GLOSSARY, encoding="utf-8")
    return p


def test_registered_with_docs():
    rule = get_rule("MT450")
    assert rule is GlossaryTerm and rule.name == "glossary-term"
    for heading in ("What it does", "Why it matters", "Example", "Options"):
        assert heading in rule.doc()


def test_flags_forbidden_variants(glossary):
    text = "Talks in KIEV went on.\nThey used a reverse  channel and the back channel; Kievan Rus is history."
    found = list(GlossaryTerm().check(_ctx(text, glossary)))
    assert [(f.text, f.suggestions) for f in found] == [("KIEV", ("Kyiv",)), ("reverse  channel", ("back channel",))]
    for f in found:
        assert text[f.start : f.end] == f.text and f.code == "MT450" and f.severity == "major"


def test_allowed_terms_and_no_glossary(glossary):
    assert not list(GlossaryTerm().check(_ctx("Talks in Kiev.", glossary, allowed=["kiev"])))
    assert not list(GlossaryTerm().check(_ctx("Talks in Kiev.", None)))


def test_variant_inside_the_required_term_is_not_flagged(tmp_path):
    p = tmp_path / "g.csv"
    p.write_text("term,forbidden\nback channel,channel\n", encoding="utf-8")
    found = list(GlossaryTerm().check(_ctx("A back channel, not a channel.", p)))
    assert [f.start for f in found] == ["A back channel, not a channel.".rindex("channel")]


@pytest.mark.parametrize(
    "content, needle",
    [
        ("Kyiv,Kiev\n", "header"),
        ("term,forbidden\nKyiv\n", "row 2"),
        ("term,forbidden\nKyiv, | \n", "no forbidden variant"),
    ],
)
def test_bad_glossary(tmp_path, content, needle):
    p = tmp_path / "g.csv"
    p.write_text(content, encoding="utf-8")
    with pytest.raises(GlossaryError, match=needle):
        load_glossary(str(p))


def test_glossary_from_config_end_to_end(tmp_path, glossary, monkeypatch):
    ref = tmp_path / "ref.txt"
    cand = tmp_path / "cand.txt"
    ref.write_text("Talks in Kyiv resumed on Friday.\n", encoding="utf-8")
    cand.write_text("Talks in Kiev resumed on Friday.\n", encoding="utf-8")
    (tmp_path / "mtcheck.toml").write_text(
        f'glossary = "{glossary.name}"\nfail-on = "major"\naligned = true\ngrammar = false\ncache = false\n'
        'select = ["MT4"]\n',
        encoding="utf-8",
    )
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(app, ["check", "--format", "json", str(ref), str(cand)])
    assert result.exit_code == 1, result.output
    found = [f for f in json.loads(result.stdout)["findings"] if f["code"] == "MT450"]
    assert [(f["text"], f["suggestions"]) for f in found] == [("Kiev", ["Kyiv"])]


def test_settings_glossary_reaches_the_rule_without_a_config_file(glossary, tmp_path, encoder):
    """Settings(glossary=...) in code (batch, library use) enforces it like the config key."""
    from mtcheck.pipeline import check_documents
    from mtcheck.settings import Settings

    ref = Document(path="r.txt", text="Talks in Kyiv went on.\n")
    cand = Document(path="c.txt", text="Talks in Kiev went on.\n")
    report = check_documents(ref, cand, Settings(glossary=str(glossary), grammar=False, cache=False), encoder)
    assert [f.text for f in report.findings if f.code == "MT450"] == ["Kiev"]
