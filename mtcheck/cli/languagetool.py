"""``mtcheck languagetool start|stop|status``: keep a local LanguageTool between runs.

A JVM with LanguageTool takes seconds to start; ``check`` and ``batch`` otherwise start
one per run and stop it at the end. An editor checking article after article runs
``mtcheck languagetool start`` once: the server stays up (detached, on a loopback port,
recorded in ``<cache dir>/languagetool-server.json``) until ``mtcheck languagetool stop``.
Logic in :mod:`mtcheck.detect.languagetool.server`.
"""

from __future__ import annotations

import json
from typing import Optional

import typer

from mtcheck.cli.app import EXIT_ERROR, fail

languagetool_app = typer.Typer(
    help="Keep a local LanguageTool server running between checks (start | stop | status).",
    no_args_is_help=True,
)


@languagetool_app.command("start")
def start(
    port: Optional[int] = typer.Option(None, "--port", min=1, max=65535, help="Loopback port (default: a free one)."),
    startup_timeout: float = typer.Option(120.0, "--startup-timeout", min=1, metavar="SECONDS", help="Longest wait for the server to answer."),
) -> None:
    """Start a local LanguageTool that later checks use (until `mtcheck languagetool stop`)."""
    from mtcheck.detect.languagetool.server import ServerError, start_kept

    try:
        state, started = start_kept(port=port, startup_timeout=startup_timeout)
    except (ServerError, OSError) as exc:
        raise fail(f"cannot start LanguageTool: {exc}") from None
    verb = f"started in {state['startup_seconds']:.1f} s" if started else "already running"
    typer.echo(f"LanguageTool {state['version']} {verb}: {state['url']} (pid {state['pid']})")


@languagetool_app.command("stop")
def stop() -> None:
    """Stop the LanguageTool that `mtcheck languagetool start` started."""
    from mtcheck.detect.languagetool.server import stop_kept

    state = stop_kept()
    typer.echo(f"LanguageTool stopped (pid {state['pid']})" if state else "no LanguageTool was running")


@languagetool_app.command("status")
def status(as_json: bool = typer.Option(False, "--json", help="Print the state as JSON.")) -> None:
    """Say whether a kept LanguageTool runs, and which install a check would start otherwise."""
    from mtcheck.detect.languagetool.server import find_install, kept_server, search_places

    kept = kept_server()
    install = find_install()
    problem = install.problem() if install else None
    if as_json:
        typer.echo(json.dumps({
            "running": kept,
            "install": str(install.home) if install else None,
            "version": install.version if install else None,
            "problem": problem,
        }))  # fmt: skip
    elif kept:
        typer.echo(f"running: LanguageTool {kept['version']} at {kept['url']} (pid {kept['pid']}, since {kept['started']})")
    else:
        typer.echo("not running (checks start a LanguageTool for each run)")
    if not as_json:
        if install is None:
            typer.echo(f"install: none in {', '.join(map(str, search_places()))} (run make install-test)")
        else:
            typer.echo(f"install: LanguageTool {install.version} in {install.home}" + (f" -- {problem}" if problem else ""))
    if install is None or problem:
        raise typer.Exit(EXIT_ERROR if not kept else 0)


def register(app: typer.Typer) -> None:
    app.add_typer(languagetool_app, name="languagetool")
