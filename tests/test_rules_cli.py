"""`mtcheck rules` and `mtcheck rule CODE`."""

import json
import subprocess
import sys

from mtcheck.detect import all_rules


def mtcheck(*args):
    return subprocess.run(
        [sys.executable, "-m", "mtcheck", *args],
        capture_output=True,
        text=True,
        timeout=120,
        env={"COLUMNS": "160", "PATH": "/usr/bin:/bin"},
    )


def test_rules_table_lists_every_rule():
    proc = mtcheck("rules")
    assert proc.returncode == 0, proc.stderr
    for rule in all_rules():
        assert rule.code in proc.stdout and rule.name in proc.stdout


def test_rules_json():
    proc = mtcheck("rules", "--format", "json")
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    assert [r["code"] for r in data] == [r.code for r in all_rules()]
    mt303 = next(r for r in data if r["code"] == "MT303")
    assert mt303["default_enabled"] is False and "model" in mt303["options"]
    assert {"code", "name", "category", "severity", "default_enabled", "options", "doc"} <= set(mt303)


def test_rules_select_prefix():
    data = json.loads(mtcheck("rules", "--format", "json", "--select", "MT4").stdout)
    assert data and all(r["code"].startswith("MT4") for r in data)


def test_rule_prints_the_four_sections():
    proc = mtcheck("rule", "MT102")
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    assert out.startswith("MT102 repeated-phrase")
    for heading in ("What it does", "Why it matters", "Example", "Options"):
        assert heading in out
    assert "max_gap" in out


def test_rule_by_name_and_lower_case():
    assert mtcheck("rule", "non-word").stdout.startswith("MT111 non-word")
    assert mtcheck("rule", "mt301").stdout.startswith("MT301 calque")


def test_unknown_rule_is_a_one_line_error():
    proc = mtcheck("rule", "MT999")
    assert proc.returncode == 2
    assert proc.stderr.strip().count("\n") == 0 and "MT999" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_unknown_format_is_a_one_line_error():
    proc = mtcheck("rules", "--format", "xml")
    assert proc.returncode == 2 and "xml" in proc.stderr and "Traceback" not in proc.stderr
