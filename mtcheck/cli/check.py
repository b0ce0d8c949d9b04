"""`mtcheck check`: one article pair, its reports and the gate's exit code."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Optional

import click

from mtcheck.cli.app import CONTEXT, EXIT_FAILED, EXIT_PASSED, build_settings, fail
from mtcheck.cli.options import shared_options
from mtcheck.errors import known_errors

STDOUT_FORMATS = ("text", "json", "sarif", "junit", "github")
_OUT = click.Path(path_type=Path)  # no checks here: write_outputs reports them in one line


def register(app: click.Group) -> None:
    app.add_command(check)


@click.command("check", context_settings=CONTEXT)
@click.argument("reference", metavar="REFERENCE")
@click.argument("candidate", metavar="CANDIDATE")
@click.option("--aligned", is_flag=True, help="Line-aligned input: line i of CANDIDATE translates line i of REFERENCE (as sacrebleu expects).")
@shared_options("model", "select", "ignore", "config", "fail_on", "max_penalty", "min_quality", "min_confidence")
@click.option("--baseline", metavar="JSON", help="Previous JSON report: only findings new since then count toward the gate.")
@shared_options("suppressions", "languagetool_url", "no_grammar", "require_grammar", "no_cache", "ter")
@click.option("--format", "-f", "fmt", default="text", metavar="FORMAT", help="What to print on stdout: text, json, sarif, junit, github.")
@click.option("--json", "json_out", type=_OUT, metavar="PATH", help="Write the JSON report (schema mtcheck.report/1).")
@click.option("--html", "html_out", type=_OUT, metavar="PATH", help="Write the self-contained HTML review report.")
@click.option("--sarif", "sarif_out", type=_OUT, metavar="PATH", help="Write a SARIF 2.1.0 log (GitHub code scanning).")
@click.option("--junit", "junit_out", type=_OUT, metavar="PATH", help="Write JUnit XML (one test case per aligned pair).")
@click.option("--quiet", "-q", is_flag=True, help="Print nothing on stdout (files are still written).")
def check(
    reference: str,
    candidate: str,
    aligned: bool,
    baseline: Optional[str],
    fmt: str,
    json_out: Optional[Path],
    html_out: Optional[Path],
    sarif_out: Optional[Path],
    junit_out: Optional[Path],
    quiet: bool,
    **shared,
) -> None:
    """Check CANDIDATE (machine translation) against REFERENCE (clean article).

    REFERENCE is the clean article (human reference or original copy), CANDIDATE the
    machine-translated article to check; '-' reads either from stdin.
    """
    if fmt not in STDOUT_FORMATS:
        raise fail(f"--format {fmt!r}: choose one of {', '.join(STDOUT_FORMATS)}")
    outputs = {"json": json_out, "html": html_out, "sarif": sarif_out, "junit": junit_out}
    targets = [p.resolve() for p in outputs.values() if p is not None]
    if len(set(targets)) != len(targets):
        raise fail("the same output path was given for two formats")
    if not quiet and any(str(p) == "-" for p in outputs.values() if p is not None):
        quiet = True  # a report written to '-' is what stdout shows; the summary would garble it

    try:
        settings = build_settings(aligned=aligned, baseline=baseline, **shared)
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
    raise click.exceptions.Exit(EXIT_PASSED if report.score.passed else EXIT_FAILED)


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
