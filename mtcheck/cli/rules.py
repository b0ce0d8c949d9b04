"""`mtcheck rules` and `mtcheck rule CODE`: the rule catalogue, from the registry.

``register(app)`` adds both commands to the typer app. Nothing here knows a rule by
name: everything comes from the rule classes (code, name, category, severity, default,
options, docstring).
"""

from __future__ import annotations

import json
from typing import Any

import typer

FORMATS = ("table", "json")


def rule_record(rule: type) -> dict[str, Any]:
    """A rule as plain data (the JSON form of `mtcheck rules`)."""
    return {
        "code": rule.code,
        "name": rule.name,
        "category": rule.category,
        "severity": rule.severity,
        "default_enabled": rule.default_enabled,
        "status": rule.status,
        "options": dict(rule.defaults),
        "title": title(rule),
        "summary": rule.summary(),
        "doc": rule.doc(),
    }


def title(rule: type) -> str:
    """The first line of the rule's docstring: a one-line description."""
    return (rule.doc().splitlines() or [""])[0].strip()


def _error(message: str) -> typer.Exit:
    typer.echo(f"mtcheck: error: {message}", err=True)
    return typer.Exit(2)


def rules_command(
    fmt: str = typer.Option("table", "--format", "-f", metavar="FORMAT", help="table or json."),
    select: str = typer.Option(
        None, "--select", metavar="CODES", help="Only codes starting with these prefixes (comma-separated)."
    ),
) -> None:
    """List every rule: code, name, MQM category, default severity, on/off by default."""
    from mtcheck.detect import all_rules

    if fmt not in FORMATS:
        raise _error(f"unknown format {fmt!r} (choose from {', '.join(FORMATS)})")
    rules = all_rules()
    if select:
        prefixes = [p.strip().upper() for p in select.split(",") if p.strip()]
        rules = [r for r in rules if any(r.code.startswith(p) for p in prefixes)]
        if not rules:
            raise _error(f"no rule code starts with {select!r}")
    if fmt == "json":
        typer.echo(json.dumps([rule_record(r) for r in rules], indent=2, ensure_ascii=False))
        return
    from rich.console import Console
    from rich.table import Table

    table = Table(title="mtcheck rules", title_justify="left")
    table.add_column("Code", no_wrap=True, min_width=5)
    table.add_column("Name", no_wrap=True)
    table.add_column("Category", overflow="fold", max_width=22)
    table.add_column("Severity", no_wrap=True)
    table.add_column("Default", no_wrap=True)
    table.add_column("Description", ratio=1, min_width=12)
    for r in rules:
        table.add_row(
            r.code,
            r.name,
            r.category,
            r.severity,
            "on" if r.default_enabled else "off",
            title(r),
        )
    console = Console()
    if not console.is_terminal:  # piped: wide enough for one line per rule, not 80 columns
        console = Console(width=160)
    console.print(table)
    typer.echo("`mtcheck rule CODE` explains a rule; --select/--ignore choose rules by prefix.")


def rule_command(
    code: str = typer.Argument(..., metavar="CODE", help="Rule code (MT101) or name (duplicated-word)."),
    fmt: str = typer.Option("text", "--format", "-f", metavar="FORMAT", help="text or json."),
) -> None:
    """Explain one rule: what it does, why it matters, an example, its options."""
    from mtcheck.detect import get_rule

    rule = get_rule(code)
    if rule is None:
        raise _error(f"no rule {code!r} (see `mtcheck rules`)")
    if fmt == "json":
        typer.echo(json.dumps(rule_record(rule), indent=2, ensure_ascii=False))
        return
    if fmt != "text":
        raise _error(f"unknown format {fmt!r} (choose from text, json)")
    default = "on by default" if rule.default_enabled else "off by default"
    status = "" if rule.status == "stable" else f", {rule.status}"
    typer.echo(f"{rule.code} {rule.name}")
    typer.echo(f"Category: {rule.category}; severity: {rule.severity}; {default}{status}")
    typer.echo("")
    typer.echo(rule.doc())


def register(app: typer.Typer) -> None:
    """Add `rules` and `rule` to the CLI app."""
    app.command("rules")(rules_command)
    app.command("rule")(rule_command)
