"""GitHub Actions workflow commands: one annotation per counted finding.

``::error file=PATH,line=L,col=C,endLine=L2,endColumn=C2,title=MT101 duplicated-phrase::message``
Severity -> command: critical -> ``error``, major -> ``warning``, minor -> ``notice``.
Suppressed and baselined findings are not annotated (they are counted in the summary).
The last lines give the verdict: an ``error`` annotation with the reasons when the gate
failed, a ``notice`` when it passed, then a plain summary line for the log.
"""

from __future__ import annotations

from mtcheck.report.locate import Locator
from mtcheck.types import Report

COMMANDS = {"critical": "error", "major": "warning", "minor": "notice"}


def escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def command(name: str, message: str, **props) -> str:
    body = ",".join(f"{k}={escape_property(str(v))}" for k, v in props.items() if v is not None)
    return f"::{name}{' ' + body if body else ''}::{escape_data(message)}"


def render(report: Report) -> str:
    loc = Locator(report)
    lines = []
    hidden = 0
    for f in report.findings:
        if not f.counted:
            hidden += 1
            continue
        l0, c0, l1, c1 = loc.span(f)
        msg = f"{f.message} (“{f.text}”)"
        if f.suggestions:
            msg += f"; suggestion: {', '.join(f.suggestions[:3])}"
        same_line = l0 == l1
        lines.append(
            command(
                COMMANDS.get(f.severity, "warning"),
                msg,
                file=loc.path(f.side),
                line=l0,
                col=c0,
                endLine=l1,
                endColumn=c1 if same_line else None,
                title=f"{f.code} {f.rule} ({f.severity}"
                + (f", confidence {f.confidence:.2f})" if f.confidence is not None else ")"),
            )
        )
    s = report.score
    quality = "n/a" if s.quality is None else f"{s.quality:.1f}"
    summary = (
        f"mtcheck: {len(report.findings) - hidden} finding(s)"
        + (f" (+{hidden} suppressed or in the baseline)" if hidden else "")
        + f"; penalty {s.per_1000_words:.1f} per 1,000 words; quality {quality}"
    )
    if s.passed:
        lines.append(command("notice", f"passed: {summary}", title="mtcheck gate passed"))
    else:
        lines.append(
            command("error", f"{'; '.join(s.reasons)} ({summary})", file=loc.path("candidate"), title="mtcheck gate failed")
        )
    lines.append(summary + (" — PASSED" if s.passed else " — FAILED: " + "; ".join(s.reasons)))
    return "\n".join(lines) + "\n"
