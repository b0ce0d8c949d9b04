"""Inputs that bench/fuzz.py (or reading its targets) found to break a parser: each now
gets its parser's one-line error (exit 2 from the CLI) instead of a traceback or a value
the run cannot use."""

from __future__ import annotations

import json

import pytest

from mtcheck.config import ConfigError, load_settings
from mtcheck.score.baseline import BaselineError, load_baseline, load_suppressions

REPORT = {
    "schema": "mtcheck.report/1",
    "reference": {"sentences": [{"text": "Talks ended."}]},
    "candidate": {"sentences": [{"text": "Talks ended ended."}]},
    "findings": [{"code": "MT101", "side": "candidate", "text": "ended ended", "sentence": 0}],
}


def _one_line(exc) -> str:
    msg = str(exc.value)
    assert msg and "\n" not in msg
    return msg


@pytest.mark.parametrize(
    "toml, says",
    [
        ("max-penalty = nan", "expected a finite number"),
        ("min-quality = nan", "expected a finite number"),
        ("weights = { major = inf }", "expected a finite number"),
        ("max-penalty = 1e999", "expected a finite number"),
        ("x = " + "[" * 5000 + "]" * 5000, "nested too deeply"),
        ('language = "xx"', "unsupported language 'xx'"),
        ('cache-dir = "cache\\u0000dir"', "cannot hold a NUL"),
    ],
)
def test_config_values_the_run_cannot_use(tmp_path, toml, says):
    cfg = tmp_path / "mtcheck.toml"
    cfg.write_text(toml + "\n", encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        load_settings(str(cfg))
    assert says in _one_line(err)


def test_a_good_config_still_loads(tmp_path):
    cfg = tmp_path / "mtcheck.toml"
    cfg.write_text('language = "en"\nmax-penalty = 40\nweights = { major = 4.5 }\n', encoding="utf-8")
    s = load_settings(str(cfg))
    assert (s.language, s.max_penalty, s.weights["major"]) == ("en", 40.0, 4.5)


@pytest.mark.parametrize(
    "content, says",
    [
        ("[" * 100_000, "nested too deeply"),
        (json.dumps({**REPORT, "findings": [{**REPORT["findings"][0], "code": 1}]}), "malformed baseline"),
        (json.dumps({**REPORT, "findings": [{**REPORT["findings"][0], "code": None}]}), "malformed baseline"),
        (json.dumps(REPORT).replace("Talks ended ended.", "Talks \\ud800 ended."), "lone surrogate"),
    ],
)
def test_baseline_files_that_broke_the_loader(tmp_path, content, says):
    f = tmp_path / "old.json"
    f.write_text(content, encoding="utf-8")
    with pytest.raises(BaselineError) as err:
        load_baseline(str(f))
    assert says in _one_line(err)
    good = tmp_path / "good.json"
    good.write_text(json.dumps(REPORT), encoding="utf-8")
    assert sum(load_baseline(str(good)).values()) == 1


def test_a_suppression_reason_with_a_lone_surrogate_is_refused(tmp_path):
    # it would have reached the report and made writing it fail with a traceback
    f = tmp_path / "s.json"
    f.write_text('{"schema": "mtcheck.suppressions/1", "suppressions": '
                 '[{"code": "MT101", "text": "x", "reason": "ok \\udc80"}]}', encoding="utf-8")
    with pytest.raises(BaselineError) as err:
        load_suppressions(str(f))
    assert "lone surrogate" in _one_line(err)


def test_deeply_nested_manifest_line_is_that_pair_s_error(tmp_path):
    from mtcheck.batch import open_input

    m = tmp_path / "m.jsonl"
    m.write_text('{"id": "a", "reference_text": "A.", "candidate_text": "B."}\n' + "[" * 100_000 + "\n", encoding="utf-8")
    pairs = list(open_input(str(m)).pairs())
    assert pairs[0].error is None
    assert pairs[1].error.endswith(":2: not JSON (nested too deeply)")
