"""Click options shared by `mtcheck check` and `mtcheck batch`, defined once."""

from __future__ import annotations

from pathlib import Path

import click

#: One definition per option, as (declarations, keyword arguments) for ``click.option``.
SHARED_OPTIONS = {
    "model": (("--model",), dict(metavar="PATH", help="Local sentence-transformers model directory (default: bundled all-MiniLM-L6-v2). Never downloaded.")),
    "select": (("--select",), dict(metavar="CODES", multiple=True, help="Run only rules whose code starts with these prefixes (comma-separated, repeatable; ALL for every rule).")),
    "ignore": (("--ignore",), dict(metavar="CODES", multiple=True, help="Skip rules whose code starts with these prefixes.")),
    "config": (("--config",), dict(metavar="PATH", type=click.Path(path_type=Path), help="Config file (default: mtcheck.toml or [tool.mtcheck] in pyproject.toml, searched upwards).")),
    "fail_on": (("--fail-on",), dict(metavar="SEVERITY", help="Fail the gate on any finding of this severity or above: minor, major (default), critical, or none.")),
    "max_penalty": (("--max-penalty",), dict(metavar="N", type=float, help="Fail the gate when the MQM-style penalty per 1,000 words exceeds N.")),
    "min_quality": (("--min-quality",), dict(metavar="N", type=float, help="Fail the gate when the document quality (0-100) is below N.")),
    "min_confidence": (("--min-confidence",), dict(metavar="P", type=click.FloatRange(0.0, 1.0), help="Drop findings whose calibrated confidence (0-1, the probability an MQM annotator marks an error there) is below P (default 0.5; 0 shows all).")),
    "suppressions": (("--suppressions",), dict(metavar="JSON", help="Suppressions file (findings dismissed in review), honoured by the gate.")),
    "languagetool_url": (("--languagetool-url",), dict(metavar="URL", envvar="MTCHECK_LANGUAGETOOL_URL", help="LanguageTool server for grammar checks (e.g. http://localhost:8010).")),
    "no_grammar": (("--no-grammar",), dict(is_flag=True, help="Do not run LanguageTool.")),
    "require_grammar": (("--require-grammar",), dict(is_flag=True, help="Make an unavailable LanguageTool an error (exit 2).")),
    "ter": (("--ter",), dict(is_flag=True, help="Also compute corpus TER (sacrebleu; seconds per thousand words, so off by default).")),
    "no_cache": (("--no-cache",), dict(is_flag=True, help="Do not read or write the on-disk caches (embeddings, LanguageTool).")),
}


def shared_option(name: str):
    """The click option decorator for ``name``, as `check` and `batch` both declare it."""
    decls, kwargs = SHARED_OPTIONS[name]
    return click.option(*decls, name, **kwargs)


def shared_options(*names: str):
    """Every option of ``names``, in that order; the command takes them as ``**shared``
    and hands them to :func:`mtcheck.cli.app.build_settings` as they are."""

    def decorate(command):
        for name in reversed(names):
            command = shared_option(name)(command)
        return command

    return decorate
