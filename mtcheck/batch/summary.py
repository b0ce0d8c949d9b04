"""The batch summary (``summary.json``, schema ``mtcheck.batch/1``) and the index page."""

from __future__ import annotations

import json
from pathlib import Path

from mtcheck import __version__

SCHEMA_ID = "mtcheck.batch/1"


def build_summary(source, settings, entries, total, started, elapsed, interrupted, engine: str = "local") -> dict:
    counts = {
        "pairs": total,
        "checked": len(entries),
        "passed": sum(e["status"] == "passed" for e in entries),
        "failed": sum(e["status"] == "failed" for e in entries),
        "errors": sum(e["status"] == "error" for e in entries),
        "resumed": sum(bool(e.get("resumed")) for e in entries),
    }
    sentences = sum(sum((e.get("sentences") or {}).values()) for e in entries if not e.get("resumed"))
    ok = counts["passed"] == total
    return {
        "schema": SCHEMA_ID,
        "tool": {"name": "mtcheck", "version": __version__},
        "input": {"kind": source.kind, "path": source.path, "candidate": source.candidate},
        "engine": engine,
        "settings": {
            "model": settings.model or "all-MiniLM-L6-v2",
            "aligned": settings.aligned,
            "select": settings.select,
            "ignore": settings.ignore,
            "grammar": settings.grammar,
            "weights": settings.weights,
            "fail_on": settings.fail_on,
            "max_penalty": settings.max_penalty,
            "min_quality": settings.min_quality,
            "suppressions": settings.suppressions,
        },
        "complete": not interrupted and len(entries) == total,
        "passed": ok,
        "exit_code": 0 if ok else 1,
        "counts": counts,
        "started": started.isoformat(timespec="seconds"),
        "seconds": round(elapsed, 3),
        "sentences_checked": sentences,
        "sentences_per_second": round(sentences / elapsed, 1) if elapsed > 0 else None,
        "pairs": entries,
    }


def write_outputs(out, summary: dict) -> None:
    """summary.json and index.html, each written whole (``out``: :mod:`mtcheck.batch.output`)."""
    from mtcheck.report.html import render_index

    out.write("summary.json", json.dumps(summary, ensure_ascii=False, indent=2) + "\n")
    title = f"mtcheck batch: {Path(summary['input']['path']).name}"
    out.write("index.html", render_index(summary["pairs"], title=title))
