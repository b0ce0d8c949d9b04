"""Baselines and suppressions: findings that stay in the report but do not count.

Both match a finding by a key that survives edits elsewhere in the article:
``(code, side, text, context)``, where ``context`` is the text of the sentence that holds
the finding. Texts are compared with runs of whitespace collapsed; offsets are never
used. The file format is documented in ``docs/suppressions.md``.

- ``--baseline old.json``: a previous JSON report (``mtcheck.report/1``). Each finding
  whose key is in it is marked ``baseline=True``. Keys are counted, so a phrase flagged
  once before and twice now leaves one of the two new.
- ``--suppressions file.json`` (``mtcheck.suppressions/1``): findings a reviewer
  dismissed. A matching finding is marked ``suppressed=True`` with the reason. An entry
  without ``context`` matches the code and text in any sentence.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from dataclasses import dataclass, field, replace
from pathlib import Path

from mtcheck.read import InputError
from mtcheck.settings import Settings
from mtcheck.types import Document, Finding

SUPPRESSIONS_SCHEMA = "mtcheck.suppressions/1"
REPORT_SCHEMA = "mtcheck.report/1"
SIDES = ("candidate", "reference")

Key = tuple[str, str, str, str]


class BaselineError(InputError):
    """An unreadable or malformed baseline or suppressions file (exit 2)."""


def norm(text: str | None) -> str:
    """Whitespace-insensitive form of a text used in keys."""
    return re.sub(r"\s+", " ", text or "").strip()


def make_key(code: str, side: str, text: str, context: str) -> Key:
    return (code.upper(), side, norm(text), norm(context))


def finding_context(finding: Finding, reference: Document, candidate: Document) -> str:
    """Text of the sentence that holds ``finding`` (empty when out of range)."""
    doc = candidate if finding.side == "candidate" else reference
    if 0 <= finding.sentence < len(doc.sentences):
        return doc.sentences[finding.sentence].text
    return ""


def finding_key(finding: Finding, reference: Document, candidate: Document) -> Key:
    return make_key(
        finding.code, finding.side, finding.text, finding_context(finding, reference, candidate)
    )


def _read_json(path: str, what: str) -> object:
    try:
        raw = Path(path).read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise BaselineError(f"{path}: {what} file not found") from None
    except IsADirectoryError:
        raise BaselineError(f"{path}: {what} file is a directory") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise BaselineError(f"{path}: cannot read the {what} file ({exc})") from None
    try:
        data = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise BaselineError(f"{path}: {what} file is not valid JSON ({exc.msg}, line {exc.lineno})") from None
    except RecursionError:
        raise BaselineError(f"{path}: {what} file is nested too deeply") from None
    try:  # a \ud800 escape decodes to a lone surrogate, which no UTF-8 report can hold
        json.dumps(data, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        raise BaselineError(f"{path}: {what} file holds a lone surrogate escape (\\ud800-\\udfff)") from None
    return data


@dataclass(frozen=True)
class Suppression:
    code: str
    text: str
    context: str | None = None
    side: str = "candidate"
    reason: str = ""
    reviewer: str = ""

    def matches(self, key: Key) -> bool:
        code, side, text, context = key
        return (
            self.code == code
            and self.side == side
            and self.text == text
            and (self.context is None or self.context == context)
        )


def load_suppressions(path: str) -> list[Suppression]:
    """Parse a ``mtcheck.suppressions/1`` file; a malformed one raises BaselineError."""
    data = _read_json(path, "suppressions")
    if not isinstance(data, dict) or data.get("schema") != SUPPRESSIONS_SCHEMA:
        raise BaselineError(f'{path}: not a suppressions file (expected "schema": "{SUPPRESSIONS_SCHEMA}")')
    entries = data.get("suppressions")
    if not isinstance(entries, list):
        raise BaselineError(f'{path}: "suppressions" must be a list')
    out: list[Suppression] = []
    for i, e in enumerate(entries):
        where = f"{path}: suppressions[{i}]"
        if not isinstance(e, dict):
            raise BaselineError(f"{where} must be an object")
        for name in ("code", "text"):
            if not isinstance(e.get(name), str) or not e[name]:
                raise BaselineError(f'{where}: "{name}" must be a non-empty string')
        side = e.get("side", "candidate")
        if side not in SIDES:
            raise BaselineError(f'{where}: "side" must be "candidate" or "reference"')
        context = e.get("context")
        if context is not None and not isinstance(context, str):
            raise BaselineError(f'{where}: "context" must be a string or null')
        out.append(
            Suppression(
                code=e["code"].upper(),
                text=norm(e["text"]),
                context=None if context is None else norm(context),
                side=side,
                reason=str(e.get("reason") or ""),
                reviewer=str(e.get("reviewer") or ""),
            )
        )
    return out


def load_baseline(path: str) -> Counter[Key]:
    """Count the finding keys of a previous JSON report."""
    data = _read_json(path, "baseline")
    if not isinstance(data, dict) or data.get("schema") != REPORT_SCHEMA:
        raise BaselineError(f'{path}: not an mtcheck JSON report (expected "schema": "{REPORT_SCHEMA}")')
    try:
        sentences = {side: [s["text"] for s in data[side]["sentences"]] for side in SIDES}
        keys: Counter[Key] = Counter()
        for f in data["findings"]:
            sents = sentences[f["side"]]
            context = sents[f["sentence"]] if 0 <= f["sentence"] < len(sents) else ""
            keys[make_key(f["code"], f["side"], f["text"], context)] += 1
    except (KeyError, TypeError, IndexError, AttributeError) as exc:
        raise BaselineError(f"{path}: malformed baseline report (bad or missing field {exc})") from None
    return keys


@dataclass
class Marks:
    """What the baseline and the suppressions file say; ``apply`` marks findings."""

    baseline: Counter[Key] | None = None
    suppressions: list[Suppression] = field(default_factory=list)

    @classmethod
    def load(cls, settings: Settings) -> "Marks":
        """Read both files named in ``settings`` (early, before any model runs)."""
        return cls(
            baseline=load_baseline(settings.baseline) if settings.baseline else None,
            suppressions=load_suppressions(settings.suppressions) if settings.suppressions else [],
        )

    def apply(self, findings: list[Finding], reference: Document, candidate: Document) -> list[Finding]:
        """Findings with ``suppressed``/``baseline``/``justification`` set."""
        if self.baseline is None and not self.suppressions:
            return findings
        remaining = Counter(self.baseline or {})
        out: list[Finding] = []
        for f in findings:
            key = finding_key(f, reference, candidate)
            changes: dict = {}
            hit = next((s for s in self.suppressions if s.matches(key)), None)
            if hit is not None:
                reason = hit.reason or "dismissed in review"
                changes.update(suppressed=True, justification=reason + (f" ({hit.reviewer})" if hit.reviewer else ""))
            if remaining[key] > 0:
                remaining[key] -= 1
                changes["baseline"] = True
            out.append(replace(f, **changes) if changes else f)
        return out
