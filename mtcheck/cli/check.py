"""`mtcheck check`: one article pair, its reports and the gate's exit code."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import List, Optional

import typer

from mtcheck.cli.app import EXIT_FAILED, EXIT_PASSED, build_settings, fail
from mtcheck.cli.options import shared_option, shared_values
from mtcheck.errors import known_errors

STDOUT_FORMATS = ("text", "json", "sarif", "junit", "github")


def register(app: typer.Typer) -> None:
    app.command("check")(check)


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
    min_confidence: Optional[float] = shared_option("min_confidence"),
    baseline: Optional[str] = typer.Option(None, "--baseline", metavar="JSON", help="Previous JSON report: only findings new since then count toward the gate."),
    suppressions: Optional[str] = shared_option("suppressions"),
    languagetool_url: Optional[str] = shared_option("languagetool_url"),
    no_grammar: bool = shared_option("no_grammar"),
    require_grammar: bool = shared_option("require_grammar"),
    no_cache: bool = shared_option("no_cache"),
    ter: bool = shared_option("ter"),
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
    if not quiet and any(str(p) == "-" for p in outputs.values() if p is not None):
        quiet = True  # a report written to '-' is what stdout shows; the summary would garble it

    try:
        settings = build_settings(config, aligned=aligned, baseline=baseline, **shared_values(locals()))
        from mtcheck.pipeline import run_check

        report = run_check(reference, candidate, settings)
        rendered = _render_all(report, outputs, None if quiet else fmt)
    except known_errors() as exc:
        raise fail(str(exc)) from None

    # Everything rendered: now write, all the files or none (mtcheck.report.write_outputs:
    # regular files atomically, FIFOs, devices and '-' straight through), stdout last.
    from mtcheck.report import OutputError, write_outputs

    items = [(name, path, rendered[name]) for name, path in outputs.items() if path is not None]
    if not quiet:
        items.append((fmt, "-", rendered["stdout"]))
    try:
        write_outputs(items)
    except OutputError as exc:
        raise fail(str(exc)) from None
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
