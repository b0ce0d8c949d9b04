"""The pipeline integration files: the composite GitHub Action and the pre-commit hook
use only options the CLI has, and every output the action reads is written."""

import re
from pathlib import Path

import yaml
from typer.testing import CliRunner

from mtcheck.cli import app

ROOT = Path(__file__).parent.parent


def cli_options() -> set[str]:
    help_text = CliRunner().invoke(app, ["check", "--help"], terminal_width=200).output
    return set(re.findall(r"--[a-z][a-z-]+", help_text))


def test_action_is_composite_and_uses_real_options():
    action = yaml.safe_load((ROOT / "action.yml").read_text(encoding="utf-8"))
    assert action["runs"]["using"] == "composite"
    assert {"reference", "candidate"} <= {k for k, v in action["inputs"].items() if v.get("required")}
    script = "\n".join(s.get("run", "") for s in action["runs"]["steps"])
    used = set(re.findall(r"(?<![\w-])--[a-z][a-z-]+", script)) - {"--disable-pip-version-check", "--no-deps"}
    assert used and used <= cli_options(), used - cli_options()
    for fmt in ("json", "sarif", "junit", "html"):
        assert f"--{fmt} " in script
    assert "--format github" in script


def test_pre_commit_hook():
    (hook,) = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))
    assert hook["id"] == "mtcheck" and hook["entry"] == "mtcheck check"
    assert hook["language"] == "python" and hook["pass_filenames"] is False


def test_action_installs_like_the_makefile():
    """The action runs every set-up step of `make install` (the ONNX export, the lexicon
    build), so a CI check does not do them on its first run."""
    make = (ROOT / "Makefile").read_text(encoding="utf-8")
    steps = set(re.findall(r"\$\(BIN\)/python (-m mtcheck[\w.]+ \w+)", make))
    action = yaml.safe_load((ROOT / "action.yml").read_text(encoding="utf-8"))
    script = "\n".join(s.get("run", "") for s in action["runs"]["steps"])
    assert {"-m mtcheck.align.onnx_encoder export", "-m mtcheck.detect.lexicon build"} <= steps
    assert all(f"python {step}" in script for step in steps), steps
