"""Command-line interface (typer). It holds no logic: it maps options onto Settings,
calls the pipeline, renders the report with the chosen emitters and sets the exit code.

Exit codes: 0 the gate passed, 1 the gate failed, 2 usage or input error.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import List, Optional

import typer

from mtcheck import __version__
from mtcheck.cli_options import shared_option

EXIT_PASSED, EXIT_FAILED, EXIT_ERROR = 0, 1, 2

app = typer.Typer(
    name="mtcheck",
    help="Check a machine-translated article against a clean reference: align, flag, score, report.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)

STDOUT_FORMATS = ("text", "json", "sarif", "junit", "github")



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
) -> "Settings":
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


#: (module, class) of the exceptions that are the user's input or usage problems.
KNOWN_ERRORS = (
    ("mtcheck.read", "InputError"),
    ("mtcheck.align.embed", "ModelError"),
    ("mtcheck.config", "ConfigError"),
    ("mtcheck.detect", "UnknownRuleError"),
    ("mtcheck.detect.base", "RuleError"),
    ("mtcheck.align.aligner", "AlignmentInputError"),
    ("mtcheck.detect.languagetool", "GrammarUnavailableError"),
)


def known_errors() -> tuple[type[BaseException], ...]:
    """Exceptions that are the user's input or usage problems: one line, exit 2.

    Only modules already imported are looked at: an exception can only come from a module
    that ran. Call it in the ``except`` clause (evaluated only when something is raised),
    so that an input error does not import numpy, the aligner or LanguageTool's client.
    """
    found = []
    for module, name in KNOWN_ERRORS:
        cls = getattr(sys.modules.get(module), name, None)
        if cls is not None:
            found.append(cls)
    return tuple(found)


@app.command()
def check(
    reference: str = typer.Argument(..., metavar="REFERENCE", help="Clean article (human reference or original copy); '-' for stdin."),
    candidate: str = typer.Argument(..., metavar="CANDIDATE", help="Machine-translated article to check; '-' for stdin."),
    aligned: bool = typer.Option(False, "--aligned", help="Line-aligned input: line i of CANDIDATE translates line i of REFERENCE (as sacrebleu expects)."),
    model: Optional[str] = shared_option("model"),
    select: Optional[List[str]] = shared_option("select"),
    ignore: Optional[List[str]] = shared_option("ignore"),
    config: Optional[Path] = shared_option("config"),
    fail_on: Optional[str] = shared_option("fail_on"),
    max_penalty: Optional[float] = shared_option("max_penalty"),
    min_quality: Optional[float] = shared_option("min_quality"),
    baseline: Optional[str] = typer.Option(None, "--baseline", metavar="JSON", help="Previous JSON report: only findings new since then count toward the gate."),
    suppressions: Optional[str] = shared_option("suppressions"),
    languagetool_url: Optional[str] = shared_option("languagetool_url"),
    no_grammar: bool = shared_option("no_grammar"),
    require_grammar: bool = shared_option("require_grammar"),
    no_cache: bool = shared_option("no_cache"),
    fmt: str = typer.Option("text", "--format", "-f", metavar="FORMAT", help="What to print on stdout: text, json, sarif, junit, github."),
    json_out: Optional[Path] = typer.Option(None, "--json", metavar="PATH", help="Write the JSON report (schema mtcheck.report/1)."),
    html_out: Optional[Path] = typer.Option(None, "--html", metavar="PATH", help="Write the self-contained HTML review report."),
    sarif_out: Optional[Path] = typer.Option(None, "--sarif", metavar="PATH", help="Write a SARIF 2.1.0 log (GitHub code scanning)."),
    junit_out: Optional[Path] = typer.Option(None, "--junit", metavar="PATH", help="Write JUnit XML (one test case per aligned pair)."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="Print nothing on stdout (files are still written)."),
) -> None:
    """Check CANDIDATE (machine translation) against REFERENCE (clean article)."""
    if fmt not in STDOUT_FORMATS:
        raise fail(f"--format {fmt!r}: choose one of {', '.join(STDOUT_FORMATS)}")
    outputs = {"json": json_out, "html": html_out, "sarif": sarif_out, "junit": junit_out}
    targets = [p.resolve() for p in outputs.values() if p is not None]
    if len(set(targets)) != len(targets):
        raise fail("the same output path was given for two formats")

    try:
        settings = build_settings(
            config,
            aligned=aligned,
            model=model,
            select=select,
            ignore=ignore,
            fail_on=fail_on,
            max_penalty=max_penalty,
            min_quality=min_quality,
            baseline=baseline,
            suppressions=suppressions,
            languagetool_url=languagetool_url,
            require_grammar=require_grammar,
            no_grammar=no_grammar,
            no_cache=no_cache,
        )
        from mtcheck.pipeline import run_check

        report = run_check(reference, candidate, settings)
        rendered = _render_all(report, outputs, None if quiet else fmt)
    except known_errors() as exc:
        raise fail(str(exc)) from None

    # Everything rendered: now write. Each file is written atomically.
    from mtcheck.report import atomic_write

    for name, path in outputs.items():
        if path is not None:
            try:
                atomic_write(path, rendered[name])
            except OSError as exc:
                raise fail(f"{path}: cannot write the {name} report ({exc.strerror or exc})") from None
    if not quiet:
        sys.stdout.write(rendered["stdout"])
        sys.stdout.flush()
    raise typer.Exit(EXIT_PASSED if report.score.passed else EXIT_FAILED)


def _render_all(report, outputs: dict, stdout_fmt: Optional[str]) -> dict[str, str]:
    """Render every requested format before writing any, so a failure writes nothing."""
    from mtcheck.report import emitter

    rendered = {name: emitter(name)(report) for name, path in outputs.items() if path is not None}
    if stdout_fmt == "text":
        from mtcheck.report.text import render

        rendered["stdout"] = render(report, color=sys.stdout.isatty())
    elif stdout_fmt:
        rendered["stdout"] = rendered.get(stdout_fmt) or emitter(stdout_fmt)(report)
    return rendered


def _register_commands() -> None:
    """Commands that live in their own modules: `rules`/`rule` and `batch`."""
    from mtcheck import cli_batch, cli_rules

    cli_rules.register(app)
    cli_batch.register(app)


_register_commands()


def main() -> None:
    """Console-script entry point."""
    app()


if __name__ == "__main__":  # pragma: no cover
    main()
