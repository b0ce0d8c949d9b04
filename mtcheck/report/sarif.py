"""SARIF 2.1.0 log (GitHub code scanning, Azure DevOps, IDE viewers).

One run; the tool's rules come from the rule docstrings (summary, full text as help in
Markdown, default severity as level). Each finding is a result with a physical location
(file path relative to the working directory, 1-based line/column in code points; the
run declares ``columnKind: unicodeCodePoints``). Levels: critical -> error, major ->
warning, minor -> note. Suppressed findings carry a SARIF ``suppressions`` entry with the
reviewer's reason; with ``--baseline`` every result has a ``baselineState`` (``new`` or
``unchanged``). ``partialFingerprints["mtcheck/v1"]`` hashes the same key the baseline
matching uses (code, side, text, sentence text), so it survives edits elsewhere. The
score and the gate's verdict are in the run's ``properties``.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter

from mtcheck import __version__
from mtcheck.report.locate import Locator
from mtcheck.types import Finding, Report

SCHEMA_URI = "https://json.schemastore.org/sarif-2.1.0.json"
LEVELS = {"critical": "error", "major": "warning", "minor": "note"}
INFO_URI = "https://pypi.org/project/mtcheck/"


def _section(doc: str, heading: str) -> str:
    """Body of one docstring section ("What it does"), without its underline."""
    if heading not in doc:
        return ""
    body = doc.split(heading, 1)[1].lstrip("\n")
    lines = body.splitlines()
    if lines and set(lines[0].strip()) <= set("-=~"):
        lines = lines[1:]
    out = []
    for i, line in enumerate(lines):
        nxt = lines[i + 1] if i + 1 < len(lines) else ""
        if nxt.strip() and set(nxt.strip()) <= set("-=~") and line.strip():
            break  # the next section's heading
        out.append(line)
    return "\n".join(out).strip()


def rule_descriptor(rule_cls) -> dict:
    doc = rule_cls.doc()
    full = _section(doc, "What it does") or rule_cls.summary()
    return {
        "id": rule_cls.code,
        "name": rule_cls.name,
        "shortDescription": {"text": rule_cls.summary() or rule_cls.name},
        "fullDescription": {"text": full},
        "help": {"text": doc, "markdown": doc},
        "defaultConfiguration": {"level": LEVELS.get(rule_cls.severity, "warning")},
        "properties": {"tags": ["translation", rule_cls.category], "category": rule_cls.category},
    }


def _rule_id(f: Finding, known: set[str]) -> str:
    return f.code if f.code in known else f"{f.code}/{f.rule}"


def _fingerprints(report: Report) -> list[str]:
    from mtcheck.score.baseline import finding_key

    seen: Counter = Counter()
    out = []
    for f in report.findings:
        key = finding_key(f, report.reference, report.candidate)
        seen[key] += 1
        digest = hashlib.sha256("\x1f".join(key).encode("utf-8")).hexdigest()[:32]
        out.append(f"{digest}:{seen[key]}")
    return out


def sarif_log(report: Report) -> dict:
    from mtcheck.detect import all_rules

    rules = [rule_descriptor(r) for r in all_rules()]
    known = {r["id"] for r in rules}
    for f in report.findings:  # e.g. LanguageTool's rules, one descriptor per rule id
        rid = _rule_id(f, known)
        if rid not in known and all(r["id"] != rid for r in rules):
            rules.append(
                {
                    "id": rid,
                    "name": f.rule,
                    "shortDescription": {"text": f"{f.source}: {f.rule} ({f.category})"},
                    "properties": {"tags": ["translation", f.category], "category": f.category},
                }
            )
    index = {r["id"]: i for i, r in enumerate(rules)}
    loc = Locator(report)
    with_baseline = bool(report.settings.get("baseline"))
    results = []
    for f, fp in zip(report.findings, _fingerprints(report)):
        rid = _rule_id(f, known)
        l0, c0, l1, c1 = loc.span(f)
        region = {"startLine": l0, "startColumn": c0, "endLine": l1, "endColumn": c1,
                  "charOffset": f.start, "charLength": f.end - f.start, "snippet": {"text": f.text}}
        message = f.message + (f" (suggestion: {', '.join(f.suggestions[:3])})" if f.suggestions else "")
        result = {
            "ruleId": rid,
            **({"rank": round(100 * f.confidence, 1)} if f.confidence is not None else {}),
            "ruleIndex": index[rid],
            "level": LEVELS.get(f.severity, "warning"),
            "message": {"text": message},
            "locations": [
                {
                    "physicalLocation": {
                        "artifactLocation": {"uri": loc.path(f.side), "uriBaseId": "%SRCROOT%"},
                        "region": region,
                    }
                }
            ],
            "partialFingerprints": {"mtcheck/v1": fp},
            "properties": {"severity": f.severity, "category": f.category, "side": f.side,
                           "source": f.source, "suggestions": list(f.suggestions),
                           "confidence": f.confidence},
        }
        if f.suppressed:
            result["suppressions"] = [
                {"kind": "external", "status": "accepted", "justification": f.justification or "dismissed in review"}
            ]
        if with_baseline:
            result["baselineState"] = "unchanged" if f.baseline else "new"
        results.append(result)

    s = report.score
    return {
        "$schema": SCHEMA_URI,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "mtcheck",
                        "version": __version__,
                        "semanticVersion": __version__,
                        "informationUri": INFO_URI,
                        "rules": rules,
                    }
                },
                "columnKind": "unicodeCodePoints",
                "artifacts": [
                    {"location": {"uri": loc.path(side), "uriBaseId": "%SRCROOT%"}, "roles": [role],
                     "encoding": "utf-8"}
                    for side, role in (("candidate", "analysisTarget"), ("reference", "referencedOnCommandLine"))
                ],
                "invocations": [
                    {"executionSuccessful": True, "toolExecutionNotifications": [
                        {"message": {"text": n}, "level": "note"} for n in report.notices]}
                ],
                "results": results,
                "properties": {
                    "signature": report.signature,
                    "passed": s.passed,
                    "reasons": list(s.reasons),
                    "penalty": s.penalty,
                    "per_1000_words": s.per_1000_words,
                    "quality": s.quality,
                    "parallel": report.parallel.is_parallel,
                },
            }
        ],
    }


def render(report: Report) -> str:
    return json.dumps(sarif_log(report), ensure_ascii=False, indent=2) + "\n"
