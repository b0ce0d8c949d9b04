"""The HTML review report: one self-contained page per checked pair, plus a batch index.

``render(report)`` returns a single HTML file (no network, no external fonts or scripts;
it opens from disk). The page is rendered server-side by Jinja2 with autoescaping, so
every piece of article text reaches the browser as escaped text; the CSS and JavaScript
in this folder are inlined at render time. The script only adds interaction (filters,
hover/focus details, keyboard navigation, reviewer decisions kept in ``localStorage``,
export of dismissals as the gate's suppressions file); it reads a JSON block embedded
with ``<`` / ``>`` / ``&`` escaped, and builds its popups with ``textContent``.

A Content-Security-Policy meta tag allows only this page's own script (by hash) and no
network access at all, as a second line of defence behind the escaping.

``render_index(entries)`` renders the batch index: a sortable table of pairs. Build the
entries with :func:`index_entry`.
"""

from __future__ import annotations

import base64
import bisect
import hashlib
import json
import os
import re
from collections import Counter
from functools import lru_cache
from pathlib import Path
from typing import Any

from mtcheck.types import SEVERITIES, Report

HERE = Path(__file__).resolve().parent

#: Format of the reviewer's export; the gate reads it (see ``--suppressions``).
SUPPRESSIONS_SCHEMA = "mtcheck.suppressions/1"

_RULE_HEADINGS = ("what it does", "why it matters", "example", "options")
_SEVERITY_RANK = {s: i for i, s in enumerate(SEVERITIES)}


# -- assets -----------------------------------------------------------------------------


@lru_cache(maxsize=None)
def _asset(name: str) -> str:
    text = (HERE / name).read_text(encoding="utf-8")
    closing = "</script" if name.endswith(".js") else "</style"
    if closing in text.lower():  # pragma: no cover - a programming error
        raise RuntimeError(f"{name} must not contain {closing!r}")
    return text


def _csp_hash(script: str) -> str:
    digest = hashlib.sha256(script.encode("utf-8")).digest()
    return "'sha256-" + base64.b64encode(digest).decode("ascii") + "'"


def _csp(script: str) -> str:
    """No network, no plugins, only our own inline script (by hash) and inline styles."""
    return (
        "default-src 'none'; "
        f"script-src {_csp_hash(script)}; "
        "style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'"
    )


def json_for_script(data: Any) -> str:
    """JSON safe inside a ``<script type="application/json">`` element.

    ``<``, ``>`` and ``&`` are written as ``\\u`` escapes, so neither ``</script>`` nor
    ``<!--`` can appear in the element; JSON.parse restores them.
    """
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    return (
        text.replace("<", "\\u003c")
        .replace(">", "\\u003e")
        .replace("&", "\\u0026")
        .replace("\u2028", "\\u2028")
        .replace("\u2029", "\\u2029")
    )


@lru_cache(maxsize=1)
def _environment():
    from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

    env = Environment(
        loader=FileSystemLoader(str(HERE)),
        autoescape=select_autoescape(enabled_extensions=("html", "j2"), default=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["num"] = _num
    env.filters["pct"] = lambda v: "n/a" if v is None else f"{100 * v:.0f}%"
    return env


def _num(value: float | None, digits: int = 1) -> str:
    return "n/a" if value is None else f"{value:,.{digits}f}"


# -- rule explanations --------------------------------------------------------------------


def _sections(doc: str) -> dict[str, str]:
    """Split a rule docstring into its headed sections (lower-case heading -> text)."""
    sections: dict[str, list[str]] = {}
    current = "intro"
    for line in doc.splitlines():
        bare = line.strip().strip("#*:").strip().lower()
        if bare in _RULE_HEADINGS:
            current = bare
            continue
        if line.strip() and set(line.strip()) <= set("-=~^"):
            continue  # a reStructuredText underline
        sections.setdefault(current, []).append(line)
    return {k: _reflow("\n".join(v)) for k, v in sections.items() if "\n".join(v).strip()}


def _reflow(text: str) -> str:
    """Join a docstring's hard-wrapped lines into paragraphs; keep list items apart."""
    paragraphs = []
    for block in re.split(r"\n\s*\n", text.strip()):
        lines: list[str] = []
        for line in block.splitlines():
            line = line.strip()
            if lines and not re.match(r"([-*•]|\d+[.)])\s", line):
                lines[-1] += " " + line
            else:
                lines.append(line)
        paragraphs.append("\n".join(lines))
    return re.sub(r"``([^`]+)``", r"\1", "\n\n".join(paragraphs))  # reST literals


def rule_help(code: str) -> dict[str, str] | None:
    """Name and explanation of a rule for the popups, or None (e.g. LanguageTool rules)."""
    try:
        from mtcheck.detect import get_rule

        cls = get_rule(code)
    except Exception:  # a rule module that fails to import must not break the report
        return None
    if cls is None:
        return None
    doc = cls.doc()
    parts = _sections(doc)
    return {
        "name": getattr(cls, "name", ""),
        "what": parts.get("what it does") or parts.get("intro", ""),
        "why": parts.get("why it matters", ""),
        "example": parts.get("example", ""),
    }


# -- the page model ------------------------------------------------------------------------


def report_identity(report: Report) -> str:
    """Stable key of the checked pair (both texts), for the reviewer's local storage."""
    h = hashlib.sha256()
    for doc in (report.reference, report.candidate):
        h.update(doc.text.encode("utf-8"))
        h.update(b"\x00")
    return h.hexdigest()[:20]


def finding_key(f: dict) -> str:
    return f"{f['code']}|{f['side']}|{f['start']}|{f['end']}"


def _max_severity(severities: list[str]) -> str:
    return max(severities, key=lambda s: _SEVERITY_RANK.get(s, -1)) if severities else "minor"


def segments(text: str, base: int, spans: list[tuple[int, int, int]], severity: dict[int, str]) -> list[dict]:
    """Cut one sentence into runs of text, each covered by the same set of findings.

    ``text`` starts at document offset ``base``; ``spans`` are (start, end, finding id) in
    document offsets. Overlapping findings become several adjacent segments, so the
    markup never nests or crosses. A zero-length finding becomes an empty marker.
    Each segment: ``text``, ``ids`` (the findings covering it), ``severity`` (the
    strongest of theirs), ``point`` (an empty marker).
    """
    end_of_text = base + len(text)
    inside = [(max(s, base), min(e, end_of_text), i) for s, e, i in spans if s < end_of_text and e > base]
    points = [(s, i) for s, e, i in spans if s == e and base <= s <= end_of_text]
    cuts = sorted(
        {base, end_of_text, *(s for s, _, _ in inside), *(e for _, e, _ in inside), *(p for p, _ in points)}
    )
    out: list[dict] = []

    def add_points(at: int) -> None:
        for p, i in points:
            if p == at:
                out.append({"text": "", "ids": [i], "severity": severity[i], "point": True})

    for a, b in zip(cuts, cuts[1:]):
        add_points(a)
        ids = [i for s, e, i in inside if s <= a and b <= e]
        piece = text[a - base : b - base]
        if out and not ids and not out[-1]["ids"]:
            out[-1]["text"] += piece  # plain text runs stay one piece
            continue
        out.append({"text": piece, "ids": ids, "severity": _max_severity([severity[i] for i in ids]), "point": False})
    add_points(end_of_text)
    return out


def _bead_kind(n_ref: int, n_cand: int) -> str:
    if n_ref and n_cand:
        return f"{n_ref}-{n_cand}"
    return "reference only" if n_ref else "candidate only"


def _rows(data: dict) -> list[dict]:
    """One row per bead (plus any sentence no bead holds), in alignment order."""
    rows: list[dict] = []
    covered = {"reference": set(), "candidate": set()}
    for bead in data["alignment"]:
        covered["reference"].update(bead["reference"])
        covered["candidate"].update(bead["candidate"])
        rows.append(
            {
                "reference": list(bead["reference"]),
                "candidate": list(bead["candidate"]),
                "kind": _bead_kind(len(bead["reference"]), len(bead["candidate"])),
                "aligned": bool(bead["reference"]) and bool(bead["candidate"]),
                "similarity": bead["similarity"],
                "chrf": bead["chrf"],
                "quality": bead["quality"],
                "penalty": bead["penalty"],
            }
        )
    for side in ("reference", "candidate"):
        for s in data[side]["sentences"]:
            if s["index"] not in covered[side]:
                rows.append(
                    {
                        "reference": [s["index"]] if side == "reference" else [],
                        "candidate": [s["index"]] if side == "candidate" else [],
                        "kind": _bead_kind(side == "reference", side == "candidate"),
                        "aligned": False,
                        "similarity": None,
                        "chrf": None,
                        "quality": None,
                        "penalty": 0.0,
                    }
                )
    return rows


def _similarity_class(value: float | None) -> str:
    if value is None:
        return "none"
    return "high" if value >= 0.8 else "mid" if value >= 0.6 else "low"


class _Spans:
    """Binary searches over one document's sentences (in order, not overlapping): what a
    scan of every sentence per finding gave, without its findings x sentences cost."""

    def __init__(self, sentences: list[dict]):
        self.sentences = sentences
        self.starts = [s["start"] for s in sentences]
        self.ends = [s["end"] for s in sentences]

    def around(self, offset: int) -> list[dict]:
        """The sentences that may hold ``offset`` or end at it, in order."""
        lo = bisect.bisect_left(self.ends, offset)
        return self.sentences[lo : bisect.bisect_right(self.starts, offset)]

    def touched(self, start: int, end: int) -> list[dict]:
        """The sentences a span ``[start, end)`` overlaps, in order."""
        lo = bisect.bisect_right(self.ends, start)
        return [s for s in self.sentences[lo : bisect.bisect_left(self.starts, end)] if start < s["end"] and end > s["start"]]


def _sentence_of(doc: dict, f: dict, spans: _Spans) -> dict | None:
    """The sentence a finding belongs to: by its span (``spans``: the document's
    sentences, searched), else by its sentence index."""
    for s in spans.around(f["start"]):
        if s["start"] <= f["start"] < s["end"] or (f["start"] == f["end"] == s["end"]):
            return s
    sentences = doc["sentences"]
    if 0 <= f["sentence"] < len(sentences):
        return sentences[f["sentence"]]
    return None


def _context(doc: dict, index: int) -> str:
    """Text of sentence ``index`` ("" when out of range), as the gate's suppression key."""
    sentences = doc["sentences"]
    return sentences[index]["text"] if 0 <= index < len(sentences) else ""


def _thresholds(settings: dict) -> list[str]:
    """The gate's thresholds of this run, in words."""
    out = []
    if settings.get("fail_on"):
        out.append(f"fail on any {settings['fail_on']} finding or worse")
    if settings.get("max_penalty") is not None:
        out.append(f"penalty at most {settings['max_penalty']:g} per 1,000 words")
    if settings.get("min_quality") is not None:
        out.append(f"quality at least {settings['min_quality']:g}")
    return out


def _count(items, key) -> dict[str, int]:
    out: dict[str, int] = {}
    for item in items:
        out[item[key]] = out.get(item[key], 0) + 1
    return dict(sorted(out.items()))


def page_model(report: Report) -> dict:
    """Everything the template and the script need, from the JSON report's data."""
    from mtcheck.report.json import report_to_dict

    data = report_to_dict(report)
    docs = {"reference": data["reference"], "candidate": data["candidate"]}
    texts = {"reference": report.reference.text, "candidate": report.candidate.text}
    rows = _rows(data)
    row_of = {
        (side, i): k for k, row in enumerate(rows) for side in ("reference", "candidate") for i in row[side]
    }

    search = {side: _Spans(doc["sentences"]) for side, doc in docs.items()}
    findings: list[dict] = []
    for n, f in enumerate(data["findings"]):
        side = "reference" if f["side"] == "reference" else "candidate"
        sentence = _sentence_of(docs[side], f, search[side])
        row = row_of.get((side, sentence["index"])) if sentence else None
        findings.append(
            {
                "suppressed": False,
                "baseline": False,
                "justification": "",
                **f,
                "id": n,
                "side": side,
                "key": finding_key({**f, "side": side}),
                "row": row,
                # the gate's matching key uses the sentence the finding names
                "context": _context(docs[side], f["sentence"]),
                "sentence_index": sentence["index"] if sentence else None,
            }
        )
    # Reading order: row by row, reference (left) before candidate, then by offset.
    order = sorted(
        findings,
        key=lambda f: (
            f["row"] if f["row"] is not None else len(rows),
            f["side"] != "reference",
            f["start"],
            f["end"],
            f["code"],
        ),
    )
    for pos, f in enumerate(order):
        f["order"] = pos
    # List order: most confident first, then severity, then reading order (as every format).
    by_confidence = sorted(
        order,
        key=lambda f: (
            -(f.get("confidence") if f.get("confidence") is not None else -1.0),
            -SEVERITIES.index(f["severity"]) if f["severity"] in SEVERITIES else 1,
            f["order"],
        ),
    )
    for pos, f in enumerate(by_confidence):
        f["rank"] = pos

    severity = {f["id"]: f["severity"] for f in findings}
    spans: dict[tuple[str, int], list[tuple[int, int, int]]] = {}
    for f in findings:
        # a span crossing a sentence boundary is highlighted in each sentence it touches
        touched = [s["index"] for s in search[f["side"]].touched(f["start"], f["end"])] or (
            [f["sentence_index"]] if f["sentence_index"] is not None else []
        )
        for i in touched:
            spans.setdefault((f["side"], i), []).append((f["start"], f["end"], f["id"]))

    def sentence_view(side: str, i: int) -> dict:
        s = docs[side]["sentences"][i]
        text = texts[side][s["start"] : s["end"]]
        segs = segments(text, s["start"], spans.get((side, i), []), severity)
        return {"index": i, "segments": segs, "findings": len({j for g in segs for j in g["ids"]})}

    per_row = Counter(f["row"] for f in findings)
    for k, row in enumerate(rows):
        row["index"] = k
        row["ref_view"] = [sentence_view("reference", i) for i in row["reference"]]
        row["cand_view"] = [sentence_view("candidate", j) for j in row["candidate"]]
        row["sim_class"] = _similarity_class(row["similarity"])
        row["findings"] = per_row[k]
    # One tab stop per finding: its first segment in page order.
    seen: set[int] = set()
    for row in rows:
        for view in (*row["ref_view"], *row["cand_view"]):
            for g in view["segments"]:
                g["first"] = [i for i in g["ids"] if i not in seen]
                seen.update(g["ids"])

    codes = sorted({f["code"] for f in findings})
    rules = {code: rule_help(code) for code in codes}
    rule_names = {f["code"]: f["rule"] for f in findings}
    counts = {
        "severity": {s: sum(f["severity"] == s for f in findings) for s in reversed(SEVERITIES)},
        "category": _count(findings, "category"),
        "rule": _count(findings, "code"),
    }
    aligned_pairs = sum(1 for r in rows if r["aligned"])
    script_data = {
        "identity": report_identity(report),
        "schema": SUPPRESSIONS_SCHEMA,
        "candidate": data["candidate"]["path"],
        "reference": data["reference"]["path"],
        "rows": len(rows),
        "rules": rules,
        "findings": [
            {
                k: f.get(k)
                for k in (
                    "id", "order", "key", "code", "rule", "category", "severity", "message",
                    "suggestions", "side", "start", "end", "text", "row", "context", "source",
                    "suppressed", "baseline", "justification", "confidence", "rank",
                )
            }
            for f in findings
        ],
    }
    script = _asset("report.js")
    return {
        "data": data,
        "rows": rows,
        "findings": order,
        "by_confidence": by_confidence,
        "counts": counts,
        "rule_names": rule_names,
        "rules": rules,
        "aligned_pairs": aligned_pairs,
        "thresholds": _thresholds(data["settings"]),
        # the pipeline's notice usually quotes the reason already
        "show_reason": bool(data["parallel"]["reason"])
        and not any(data["parallel"]["reason"] in n for n in data["notices"]),
        "script_json": json_for_script(script_data),
        "css": _asset("report.css"),
        "script": script,
        "csp": _csp(script),
        "severities": list(reversed(SEVERITIES)),
        "title": f"mtcheck: {os.path.basename(data['candidate']['path']) or 'candidate'}",
    }


def render(report: Report) -> str:
    """The review page for one checked pair, as one self-contained HTML document."""
    return _environment().get_template("report.html.j2").render(**page_model(report))


# -- batch index ---------------------------------------------------------------------------


def index_entry(report: Report, href: str, name: str | None = None) -> dict:
    """One row of the batch index for a checked pair whose page is at ``href``."""
    counts = {s: sum(f.severity == s for f in report.findings) for s in SEVERITIES}
    return {
        "name": name or os.path.basename(report.candidate.path),
        "href": href,
        "reference": report.reference.path,
        "candidate": report.candidate.path,
        "passed": report.score.passed,
        "quality": report.score.quality,
        "per_1000_words": report.score.per_1000_words,
        "findings": len(report.findings),
        "counts": counts,
        "parallel": report.parallel.is_parallel,
        "error": None,
    }


def render_index(entries: list[dict], title: str = "mtcheck batch report") -> str:
    """A sortable table of checked pairs (see :func:`index_entry` for an entry's keys).

    An entry may carry ``error`` (a one-line message) instead of results when its pair
    could not be checked; missing numbers are shown as "n/a".
    """
    rows = []
    for e in entries:
        counts = {s: int((e.get("counts") or {}).get(s, 0)) for s in SEVERITIES}
        rows.append(
            {
                "name": str(e.get("name") or e.get("candidate") or ""),
                "href": _safe_href(e.get("href")),
                "reference": str(e.get("reference") or ""),
                "candidate": str(e.get("candidate") or ""),
                "passed": e.get("passed"),
                "quality": e.get("quality"),
                "per_1000_words": e.get("per_1000_words"),
                "findings": int(e.get("findings") or sum(counts.values())),
                "counts": counts,
                "parallel": e.get("parallel"),
                "error": e.get("error"),
            }
        )
    script = _asset("index.js")
    summary = {
        "pairs": len(rows),
        "passed": sum(1 for r in rows if r["passed"] is True),
        "failed": sum(1 for r in rows if r["passed"] is False),
        "errors": sum(1 for r in rows if r["error"]),
    }
    return _environment().get_template("index.html.j2").render(
        rows=rows,
        summary=summary,
        title=title,
        css=_asset("report.css"),
        script=script,
        csp=_csp(script),
        severities=list(reversed(SEVERITIES)),
    )


def _safe_href(href: Any) -> str | None:
    """A relative or file link only: never ``javascript:`` or another scheme."""
    if not href:
        return None
    href = str(href)
    scheme = href.split(":", 1)[0].lower() if ":" in href.split("/", 1)[0] else ""
    return href if scheme in ("", "file", "http", "https") else None
