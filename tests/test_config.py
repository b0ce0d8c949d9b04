"""Config files: discovery, every key, errors naming the key, and CLI precedence."""

from pathlib import Path

import pytest
from typer.testing import CliRunner

from mtcheck.cli import app, build_settings
from mtcheck.config import ConfigError, find_config, load_settings
from mtcheck.settings import DEFAULT_WEIGHTS, Settings


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_no_config_gives_the_defaults(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert load_settings() == Settings()
    assert Settings().fail_on == "major"
    assert Settings().max_penalty is None and Settings().min_quality is None


def test_found_upwards_and_mtcheck_toml_wins(tmp_path, monkeypatch):
    write(tmp_path / "pyproject.toml", '[tool.mtcheck]\nfail-on = "minor"\n')
    sub = tmp_path / "a" / "b"
    sub.mkdir(parents=True)
    # a pyproject.toml without [tool.mtcheck] on the way up is passed over
    write(tmp_path / "a" / "pyproject.toml", '[project]\nname = "x"\n')
    monkeypatch.chdir(sub)
    assert find_config() == (tmp_path / "pyproject.toml").resolve()
    assert load_settings().fail_on == "minor"
    write(tmp_path / "a" / "mtcheck.toml", 'fail-on = "major"\n')
    assert load_settings().fail_on == "major"


def test_every_key(tmp_path):
    write(tmp_path / "gl.csv", "term,forbidden\nKyiv,Kiev\n")
    write(tmp_path / "sup.json", '{"schema": "mtcheck.suppressions/1", "suppressions": []}')
    cfg = write(
        tmp_path / "conf" / "mtcheck.toml",
        """
fail-on = "major"
max_penalty = 40
min-quality = 55.5
weights = { minor = 0.5 }
select = "MT1, MT2"
ignore = ["MT205"]
allowed-terms = ["Kyiv", "Erdogan"]
glossary = "../gl.csv"
suppressions = "../sup.json"
aligned = true
grammar = false
languagetool-url = "http://localhost:8010"
cache = false

[severity-overrides]
MT201 = "critical"

[rules.MT205]
threshold = 0.3
""",
    )
    s = load_settings(str(cfg))
    assert s.fail_on == "major" and s.max_penalty == 40 and s.min_quality == 55.5
    assert s.weights == {**DEFAULT_WEIGHTS, "minor": 0.5}
    assert s.select == ["MT1", "MT2"] and s.ignore == ["MT205"]
    assert s.allowed_terms == ["Kyiv", "Erdogan"]
    assert Path(s.glossary) == (tmp_path / "conf" / "../gl.csv")
    assert Path(s.suppressions).resolve() == (tmp_path / "sup.json").resolve()
    assert s.aligned and not s.grammar and not s.cache
    assert s.severity_overrides == {"MT201": "critical"}
    assert s.rule_options["MT205"] == {"threshold": 0.3}
    # the pipeline hands the glossary to its rule (MT450) as that rule's option
    from mtcheck.pipeline import _rule_options

    assert _rule_options(s)["MT450"]["glossary"] == s.glossary
    assert _rule_options(s)["MT205"] == {"threshold": 0.3}


def test_pyproject_table(tmp_path):
    cfg = write(tmp_path / "pyproject.toml", '[project]\nname="x"\n[tool.mtcheck]\nfail_on = "none"\n')
    assert load_settings(str(cfg)).fail_on is None


@pytest.mark.parametrize(
    "body, needle",
    [
        ('fail-of = "major"', "fail-of: unknown key"),
        ('fail-on = "fatal"', "fail-on: expected one of"),
        ("max-penalty = -1", "max-penalty: must be at least 0"),
        ('max-penalty = "ten"', "max-penalty: expected a number"),
        ("min-quality = 120", "min-quality: must be between 0 and 100"),
        ("weights = { huge = 3 }", "weights.huge: unknown severity"),
        ('weights = { major = "5" }', "weights.major: expected a number"),
        ("select = 3", "select: expected a list of strings"),
        ('ignore = ["MT9"]', "ignore: no rule code starts with 'MT9'"),
        ("aligned = 1", "aligned: expected true or false"),
        ('glossary = "no-such.csv"', "glossary: "),
        ('[severity-overrides]\nMT999 = "minor"', "severity-overrides.MT999: no such rule code"),
        ('[severity-overrides]\nMT201 = "fatal"', "severity-overrides.MT201: expected one of"),
        ("[rules.MT205]\nthreshhold = 0.3", "rules.MT205.threshhold: unknown option"),
        ('[rules.MT205]\nthreshold = "low"', "rules.MT205.threshold: expected float"),
        ('fail-on = "major"\nfail_on = "minor"', "given twice"),
        ("fail-on = ", "not valid TOML"),
    ],
)
def test_bad_keys_and_values_name_the_key(tmp_path, body, needle):
    cfg = write(tmp_path / "mtcheck.toml", body + "\n")
    with pytest.raises(ConfigError) as err:
        load_settings(str(cfg))
    assert needle in str(err.value)
    assert str(cfg) in str(err.value)


def test_bad_glossary_is_a_config_error(tmp_path):
    write(tmp_path / "gl.csv", "required;forbidden\nKyiv;Kiev\n")
    cfg = write(tmp_path / "mtcheck.toml", 'glossary = "gl.csv"\n')
    with pytest.raises(ConfigError, match='glossary: .*header "term,forbidden"'):
        load_settings(str(cfg))


def test_missing_config_file(tmp_path):
    with pytest.raises(ConfigError, match="config file not found"):
        load_settings(str(tmp_path / "nope.toml"))


def test_command_line_overrides_the_config(tmp_path):
    cfg = write(tmp_path / "mtcheck.toml", 'fail-on = "major"\nmax-penalty = 10\nselect = ["MT2"]\n')
    s = build_settings(cfg, fail_on="minor", max_penalty=None, select=[], min_quality=50.0)
    assert s.fail_on == "minor"  # given on the command line
    assert s.max_penalty == 10  # not given: the config's
    assert s.select == ["MT2"]
    assert s.min_quality == 50.0


def _pair(tmp_path):
    ref = write(tmp_path / "ref.txt", "The talks were held in Istanbul on Friday.\n")
    cand = write(tmp_path / "cand.txt", "The talks were held in Istanbul on Monday in 2025.\n")
    return ref, cand


def test_cli_precedence_end_to_end(tmp_path, monkeypatch):
    """The config found in the working directory sets the gate; the CLI overrides it."""
    ref, cand = _pair(tmp_path)
    write(tmp_path / "mtcheck.toml", 'fail-on = "minor"\naligned = true\ngrammar = false\ncache = false\n')
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()
    strict = runner.invoke(app, ["check", "--format", "json", str(ref), str(cand)])
    assert strict.exit_code == 1, strict.output
    relaxed = runner.invoke(app, ["check", "--format", "json", "--fail-on", "none", str(ref), str(cand)])
    assert relaxed.exit_code == 0, relaxed.output


def test_cli_bad_config_exit_2_one_line(tmp_path):
    ref, cand = _pair(tmp_path)
    cfg = write(tmp_path / "bad.toml", "max-penalty = -3\n")
    result = CliRunner().invoke(app, ["check", "--config", str(cfg), str(ref), str(cand)])
    assert result.exit_code == 2
    assert result.stderr.strip().count("\n") == 0
    assert "max-penalty: must be at least 0" in result.stderr
