"""Typer options shared by `mtcheck check` and `mtcheck batch`, defined once."""

from __future__ import annotations

import typer

#: One definition per option; a fresh OptionInfo per use.
SHARED_OPTIONS = {
    "model": lambda: typer.Option(None, "--model", metavar="PATH", help="Local sentence-transformers model directory (default: bundled all-MiniLM-L6-v2). Never downloaded."),
    "select": lambda: typer.Option(None, "--select", metavar="CODES", help="Run only rules whose code starts with these prefixes (comma-separated, repeatable; ALL for every rule)."),
    "ignore": lambda: typer.Option(None, "--ignore", metavar="CODES", help="Skip rules whose code starts with these prefixes."),
    "config": lambda: typer.Option(None, "--config", metavar="PATH", help="Config file (default: mtcheck.toml or [tool.mtcheck] in pyproject.toml, searched upwards)."),
    "fail_on": lambda: typer.Option(None, "--fail-on", metavar="SEVERITY", help="Fail the gate on any finding of this severity or above: minor, major (default), critical, or none."),
    "max_penalty": lambda: typer.Option(None, "--max-penalty", metavar="N", help="Fail the gate when the MQM-style penalty per 1,000 words exceeds N."),
    "min_quality": lambda: typer.Option(None, "--min-quality", metavar="N", help="Fail the gate when the document quality (0-100) is below N."),
    "min_confidence": lambda: typer.Option(None, "--min-confidence", min=0.0, max=1.0, metavar="P", help="Drop findings whose calibrated confidence (0-1, the probability an MQM annotator marks an error there) is below P (default 0.35; 0 shows all)."),
    "suppressions": lambda: typer.Option(None, "--suppressions", metavar="JSON", help="Suppressions file (findings dismissed in review), honoured by the gate."),
    "languagetool_url": lambda: typer.Option(None, "--languagetool-url", metavar="URL", envvar="MTCHECK_LANGUAGETOOL_URL", help="LanguageTool server for grammar checks (e.g. http://localhost:8010)."),
    "no_grammar": lambda: typer.Option(False, "--no-grammar", help="Do not run LanguageTool."),
    "require_grammar": lambda: typer.Option(False, "--require-grammar", help="Make an unavailable LanguageTool an error (exit 2)."),
    "ter": lambda: typer.Option(False, "--ter", help="Also compute corpus TER (sacrebleu; seconds per thousand words, so off by default)."),
    "no_cache": lambda: typer.Option(False, "--no-cache", help="Do not read or write the on-disk caches (embeddings, LanguageTool)."),
}


def shared_option(name: str):
    """The typer option ``name`` as `check` and `batch` both declare it."""
    return SHARED_OPTIONS[name]()


def shared_values(scope: dict) -> dict:
    """The shared options a command declared, from its ``locals()``, as keyword arguments
    of :func:`mtcheck.cli.app.build_settings` (``config`` apart: its first argument)."""
    return {name: scope[name] for name in SHARED_OPTIONS if name != "config" and name in scope}
