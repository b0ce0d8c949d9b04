"""The typer app and what every command shares: exit codes, one-line errors, Settings.

The CLI holds no logic: each command (``check``, ``rules``/``rule``, ``batch``, in their
own modules) maps options onto Settings, calls the pipeline or the batch runner, renders
with the emitters and sets the exit code.

Exit codes: 0 the gate passed, 1 the gate failed, 2 usage or input error.
"""
from __future__ import annotations

from pathlib import Path
from typing import List, Optional

import typer

from mtcheck import __version__

EXIT_PASSED, EXIT_FAILED, EXIT_ERROR = 0, 1, 2

app = typer.Typer(
    name="mtcheck",
    help="Check a machine-translated article against a clean reference: align, flag, score, report.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,  # click's plain help: typer's rich help alone imports for ~0.15 s
    context_settings={"help_option_names": ["-h", "--help"]},
)

def fail(message: str) -> "typer.Exit":
    """Print one error line on stderr and return the exit for usage/input errors."""
    typer.echo(f"mtcheck: error: {message}", err=True)
    return typer.Exit(EXIT_ERROR)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"mtcheck {__version__}")
        raise typer.Exit()


@app.callback()
def _main(
    version: bool = typer.Option(False, "--version", callback=_version, is_eager=True, help="Print the version and exit."),
) -> None:
    """mtcheck: translation-quality checks for machine-translated news."""


def _split_codes(values: Optional[List[str]]) -> list[str]:
    return [c.strip() for v in values or [] for c in v.split(",") if c.strip()]


def build_settings(
    config: Optional[Path], *, select=None, ignore=None, no_grammar=False, no_cache=False, **cli
) -> "Settings":  # noqa: F821 - imported lazily (mtcheck.settings)
    """Settings from the config file, then every option given on the command line.

    Options not given (None, False, empty) keep the config's or the default value.
    """
    from mtcheck.config import load_settings
    from mtcheck.types import SEVERITIES

    fail_on = cli.get("fail_on")
    if fail_on is not None and fail_on not in (*SEVERITIES, "none"):
        raise fail(f"--fail-on {fail_on!r}: choose one of {', '.join(SEVERITIES)}, none")
    settings = load_settings(str(config) if config else None)
    cli.update(select=_split_codes(select), ignore=_split_codes(ignore))
    for key, value in cli.items():
        if value is None or value == [] or value is False:
            continue
        setattr(settings, key, value)
    if no_grammar:
        settings.grammar = False
    if no_cache:
        settings.cache = False
    return settings


