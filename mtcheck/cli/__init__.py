"""Command-line interface (typer): ``mtcheck check``, ``rules``/``rule``, ``batch``, ``languagetool``.

One module per command, each with a ``register(app)``; the app itself, exit codes and
the option-to-Settings mapping they share are in :mod:`mtcheck.cli.app`, the options
both ``check`` and ``batch`` declare in :mod:`mtcheck.cli.options`.
"""

from __future__ import annotations

from mtcheck.cli import batch, check, languagetool, rules
from mtcheck.cli.app import EXIT_ERROR, EXIT_FAILED, EXIT_PASSED, app, build_settings, fail
from mtcheck.errors import known_errors

__all__ = ["EXIT_ERROR", "EXIT_FAILED", "EXIT_PASSED", "app", "build_settings", "fail", "known_errors", "main"]

for _command in (check, rules, batch, languagetool):
    _command.register(app)


def main() -> None:
    """Console-script entry point."""
    app()
