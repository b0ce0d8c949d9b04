"""Terminal summary (rich): verdict, alignment, metrics and the findings, ruff-style."""

from __future__ import annotations

import io
import textwrap

from mtcheck.report.locate import LineIndex
from mtcheck.types import Report

SEVERITY_STYLE = {"critical": "bold red", "major": "red", "minor": "yellow"}


def _fmt(value: float | None, spec: str = ".1f") -> str:
    return "n/a" if value is None else format(value, spec)


def render(report: Report, color: bool = False, width: int = 110) -> str:
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    buf = io.StringIO()
    con = Console(file=buf, force_terminal=color, no_color=not color, width=width, highlight=False)
    ref, cand = report.reference, report.candidate
    par, m, s = report.parallel, report.metrics, report.score

    con.print(f"[bold]mtcheck[/] {escape(cand.path)} against {escape(ref.path)}")
    con.print(
        f"  reference: {len(ref.sentences)} sentences, {ref.words} words; "
        f"candidate: {len(cand.sentences)} sentences, {cand.words} words"
    )
    verdict = "[green]parallel[/]" if par.is_parallel else "[yellow]NOT parallel[/]"
    con.print(
        f"  alignment: {verdict} — {m.pairs} aligned pair(s); coverage reference "
        f"{par.reference_coverage:.0%}, candidate {par.candidate_coverage:.0%}"
    )
    con.print(
        f"  metrics over aligned pairs: BLEU {_fmt(m.bleu)}  chrF {_fmt(m.chrf)}  "
        f"TER {_fmt(m.ter) if 'ter' in m.signatures or not m.signatures else 'off (--ter)'}  similarity {_fmt(m.similarity, '.3f')}"
    )
    for notice in report.notices:  # wrapped under its first word, not at column 0
        first, *rest = textwrap.wrap(notice, width=width - 8) or [""]
        con.print(f"  [cyan]note:[/] {escape(first)}")
        for line in rest:
            con.print(f"        {escape(line)}")

    if report.findings:
        table = Table(show_header=True, header_style="bold", box=None, pad_edge=False, expand=False)
        for col in ("where", "conf", "severity", "code", "text", "message"):
            table.add_column(col, overflow="fold")
        lines = {"candidate": LineIndex(cand.text), "reference": LineIndex(ref.text)}
        for f in report.findings:
            line, col = lines[f.side].line_col(f.start)
            where = f"{'' if f.side == 'candidate' else 'ref '}{line}:{col}"
            msg = f.message + (f" → {', '.join(f.suggestions[:3])}" if f.suggestions else "")
            if f.suppressed:
                msg += f" [suppressed: {f.justification}]" if f.justification else " [suppressed]"
            elif f.baseline:
                msg += " [baseline]"
            table.add_row(
                where,
                _fmt(f.confidence, ".2f"),
                f"[{SEVERITY_STYLE.get(f.severity, '')}]{f.severity}[/]",
                f"{f.code}",
                escape(f.text if len(f.text) <= 40 else f.text[:37] + "…"),
                escape(msg),
            )
        con.print()
        con.print(table)
    counts = {sev: sum(f.severity == sev for f in report.findings) for sev in ("critical", "major", "minor")}
    uncounted = sum(not f.counted for f in report.findings)
    con.print()
    con.print(
        f"{len(report.findings)} finding(s): {counts['critical']} critical, {counts['major']} major, "
        f"{counts['minor']} minor"
        + (f" ({uncounted} suppressed or in the baseline, not counted)" if uncounted else "")
        + f"; penalty {s.per_1000_words:.1f} per 1,000 words; "
        f"quality {_fmt(s.quality)}"
    )
    if s.passed:
        con.print("[bold green]PASSED[/]")
    else:
        con.print("[bold red]FAILED[/]: " + escape("; ".join(s.reasons)))
    return buf.getvalue()
