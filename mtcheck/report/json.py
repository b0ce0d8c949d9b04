"""The JSON report (schema ``mtcheck.report/1``): the contract other tools read.

The shape is described by ``schema/report.schema.json`` (JSON Schema 2020-12) and in
the README. Fields may be added in later versions, never renamed or removed.
"""

from __future__ import annotations

import json
from dataclasses import asdict

from mtcheck import __version__
from mtcheck.types import Document, Report

SCHEMA_ID = "mtcheck.report/1"


def _document(doc: Document) -> dict:
    return {
        "path": doc.path,
        "words": doc.words,
        "characters": len(doc.text),
        "sentences": [
            {"index": s.index, "start": s.start, "end": s.end, "text": s.text} for s in doc.sentences
        ],
    }


def report_to_dict(report: Report) -> dict:
    """The report as plain JSON-ready data."""
    return {
        "schema": SCHEMA_ID,
        "tool": {"name": "mtcheck", "version": __version__},
        "signature": report.signature,
        "settings": report.settings,
        "reference": _document(report.reference),
        "candidate": _document(report.candidate),
        "parallel": asdict(report.parallel),
        "alignment": [
            {
                "reference": list(b.reference),
                "candidate": list(b.candidate),
                "similarity": b.similarity,
                "chrf": b.chrf,
                "penalty": b.penalty,
                "quality": b.quality,
                "error_words": b.error_words,
                "token_f1": b.token_f1,
                "unmatched_words": b.unmatched_words,
            }
            for b in report.alignment
        ],
        "metrics": asdict(report.metrics),
        "findings": [
            {**asdict(f), "suggestions": list(f.suggestions)} for f in report.findings
        ],
        "score": asdict(report.score),
        "backends": {name: asdict(b) for name, b in report.backends.items()},
        "notices": list(report.notices),
        "timings": {k: round(v, 4) for k, v in report.timings.items()},
    }


def render(report: Report) -> str:
    return json.dumps(report_to_dict(report), ensure_ascii=False, indent=2) + "\n"
