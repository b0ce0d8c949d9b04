"""Grammar and style findings from LanguageTool, with an honest offline fallback.

The pipeline calls :func:`check_grammar` once per run, then :func:`merge_grammar` to
fold its findings into the built-in rules' findings.

Findings
    ``code`` is ``"LT"`` for every LanguageTool finding (select/ignore, severity
    overrides and gates treat LanguageTool as one source); ``rule`` is LanguageTool's
    own rule id (e.g. ``MORFOLOGIK_RULE_EN_US``, ``ENGLISH_WORD_REPEAT_RULE``), and
    ``message`` its message, verbatim; ``suggestions`` its first five replacements;
    ``source`` is ``"languagetool"``. ``category``/``severity`` come from
    ``categories.tsv`` (LanguageTool category, else ITS issue type -> MQM).
    Offsets are Python str indices like every other finding (LanguageTool's UTF-16
    offsets are converted), and each match is checked against the context LanguageTool
    sent back: one whose text does not agree is skipped and counted in the backend's
    ``reason``.

Dropped on purpose
    Spelling matches (category TYPOS / issue type misspelling) on a word that occurs in
    the reference, on an allowed term, on a capitalised name used at least twice in
    the candidate and always spelled the same way, or on a capitalised word inside a
    sentence that has no reference partner (a name such as Pokrovsk or Sybiha, which a
    dictionary cannot know and no reference sentence can confirm or contradict): the
    built-in rules judge names against the reference and for consistency. In an aligned
    sentence a name the reference lacks stays flagged: on TED, most such flags are
    mistransliterated names (precision 0.68 with them, 0.56 without). :func:`merge_grammar` drops a LanguageTool
    finding that flags the same span as a built-in finding (a non-word, a duplicated
    word): the built-in one stays. See :func:`merge_grammar` for "same span".

Options (``Settings.rule_options["LT"]``)
    ``timeout`` seconds per request (60); ``chunk_chars`` largest request in UTF-16 units
    (10,000: under the public API's 20,000 and any usual ``maxTextLength``);
    ``language`` sent to LanguageTool (default from ``Settings.language``; ``en`` is
    sent as ``en-US`` because LanguageTool spell-checks only a variant); ``disabled_rules``
    LanguageTool rule ids not to run; ``enable`` LanguageTool rule or category ids to
    report although ``categories.tsv`` turns them off by default; ``startup_timeout``
    seconds for a local server to answer (120).
"""

from __future__ import annotations

import re
import time
from collections import Counter
from dataclasses import dataclass, replace

from mtcheck.cache import cache_dir
from mtcheck.detect.base import CheckContext
from mtcheck.detect.languagetool.cache import ResponseCache, cache_key
from mtcheck.detect.languagetool.categories import default_on, is_spelling, mqm_for
from mtcheck.detect.languagetool.client import (
    LanguageToolError,
    Session,
    Target,
    find_target,
)
from mtcheck.detect.languagetool.offsets import chunk_spans, utf16_to_index
from mtcheck.settings import Settings
from mtcheck.types import Backend, Finding

__all__ = ["CODE", "DEFAULTS", "GrammarUnavailableError", "check_grammar", "merge_grammar", "preflight"]

CODE = "LT"
SOURCE = "languagetool"
DEFAULTS = {
    "timeout": 60.0,
    "chunk_chars": 10_000,
    "language": None,
    "disabled_rules": [],
    "enable": [],
    "startup_timeout": 120.0,
}
MAX_SUGGESTIONS = 5
_WS = re.compile(r"\s")
_WORD = re.compile(r"\w+")


class GrammarUnavailableError(RuntimeError):
    """``--require-grammar`` was given and LanguageTool could not be used (exit 2)."""


@dataclass(frozen=True)
class GrammarMatch:
    """A LanguageTool match located in the candidate, with LanguageTool's own labels."""

    finding: Finding
    category_id: str
    issue_type: str


def check_grammar(ctx: CheckContext, settings: Settings) -> tuple[list[Finding], Backend]:
    """LanguageTool's findings on the candidate, and how (or why not) it was used.

    Only the rules and categories that ``categories.tsv`` turns on by default, plus those
    named in the ``enable`` option, are reported. Raises :class:`GrammarUnavailableError`
    when ``settings.require_grammar`` is set and LanguageTool is off or cannot be reached.
    """
    opts = {**DEFAULTS, **settings.rule_options.get(CODE, {})}
    enable = {str(x) for x in opts["enable"]}
    matches, backend = grammar_matches(ctx, settings)
    kept = [m.finding for m in matches if m.finding.rule in enable or m.category_id in enable
            or default_on(m.finding.rule, m.category_id, m.issue_type)]  # fmt: skip
    off = len(matches) - len(kept)
    if off:
        note = f"{off} LanguageTool match(es) of rules off by default (LT option 'enable' turns them on)"
        backend = replace(backend, reason="; ".join(x for x in (backend.reason, note) if x))
    return kept, backend


def grammar_matches(ctx: CheckContext, settings: Settings) -> tuple[list[GrammarMatch], Backend]:
    """Every LanguageTool match on the candidate (no default-on filter), with its category.

    What :func:`check_grammar` filters; benchmarks measure rules and categories with it.
    """
    if not settings.grammar:
        preflight(settings)
        return [], Backend("disabled", reason="turned off (--no-grammar)")

    t0 = time.perf_counter()
    opts = {**DEFAULTS, **settings.rule_options.get(CODE, {})}
    target = _target(settings)
    if isinstance(target, str):
        return _unavailable(settings, target)

    text = ctx.candidate.text
    language = _language(opts["language"] or settings.language)
    params = {"disabledRules": ",".join(opts["disabled_rules"])} if opts["disabled_rules"] else {}
    starts = [s.start for s in ctx.candidate.sentences]
    spans = chunk_spans(text, starts, int(opts["chunk_chars"]))
    root = cache_dir(settings)  # None with --no-cache
    cache = ResponseCache(root) if root is not None else None

    answers: dict[tuple[int, int], dict] = {}
    keys = {span: cache_key(text[span[0] : span[1]], language, target.identity, params) for span in spans}
    if cache is not None:
        for span, key in keys.items():
            hit = cache.get(key)
            if hit is not None:
                answers[span] = hit
    missing = [span for span in spans if span not in answers]
    incomplete = 0
    startup = None
    if missing:
        try:
            with Session(target, float(opts["timeout"]), float(opts["startup_timeout"])) as session:
                startup = session.startup_seconds
                for span in missing:
                    answer = session.check(text[span[0] : span[1]], language, params)
                    answers[span] = answer
                    if (answer.get("warnings") or {}).get("incompleteResults"):
                        incomplete += 1
                    elif cache is not None:
                        cache.put(keys[span], answer)
        except LanguageToolError as exc:
            return _unavailable(settings, str(exc), target, time.perf_counter() - t0)

    matches: list[GrammarMatch] = []
    skipped = 0
    for span in spans:
        found, bad = _locate(ctx, answers[span], span)
        matches.extend(found)
        skipped += bad
    words = _Words(ctx) if matches else None
    found = [m for m in matches if not (words and words.judged_elsewhere(m))]
    found.sort(key=lambda m: (m.finding.start, m.finding.end, m.finding.rule))

    how = target.how
    if spans and not missing:
        how += f"; all {len(spans)} chunk(s) answered from the cache"
    elif len(spans) > 1:
        how += f"; {len(spans)} chunks, {len(spans) - len(missing)} from the cache"
    notes = []
    if skipped:
        notes.append(f"{skipped} LanguageTool match(es) skipped: their offsets did not match the text")
    if incomplete:
        notes.append(f"LanguageTool reported incomplete results for {incomplete} chunk(s) (not cached)")
    versions = {str((a.get("software") or {}).get("version", "")) for a in answers.values()} - {""}
    version = ", ".join(sorted(versions)) or target.version
    seconds = round(time.perf_counter() - t0, 3)
    startup = None if startup is None else round(startup, 3)
    backend = Backend("used", how=how, reason="; ".join(notes), version=version, mode=target.mode,
                      seconds=seconds, startup_seconds=startup)  # fmt: skip
    return found, backend


def preflight(settings: Settings) -> None:
    """Fail fast (before any model loads) when ``--require-grammar`` cannot be met.

    Raises :class:`GrammarUnavailableError` when ``require_grammar`` is set and grammar is
    turned off, or there is no way at all to reach LanguageTool. A named server is not
    contacted here; :func:`check_grammar` finds out whether it answers.
    """
    if not settings.require_grammar:
        return
    if not settings.grammar:
        raise GrammarUnavailableError("--require-grammar and --no-grammar contradict each other")
    target = _target(settings)
    if isinstance(target, str):
        _unavailable(settings, target)  # raises


def merge_grammar(builtin: list[Finding], grammar: list[Finding]) -> list[Finding]:
    """Built-in findings plus the LanguageTool findings that flag something new.

    A LanguageTool finding is dropped when a built-in finding on the same side flags the
    same span: they overlap by at least half of the longer span (the same words), or
    they have the same MQM category and overlap by at least half of the shorter span
    ("the the" from LanguageTool and the second "the" from the duplicated-word rule).
    A grammar slip inside a long accuracy span of another kind is kept. The result is in
    document order, like :func:`mtcheck.detect.run_rules`.
    """
    kept = [g for g in grammar if not any(_same_span(g, b) for b in builtin)]
    merged = [*builtin, *kept]
    merged.sort(key=lambda f: (f.side != "candidate", f.start, f.end, f.code))
    return merged


# -- helpers ---------------------------------------------------------------------------


def _target(settings: Settings) -> Target | str:
    try:
        return find_target(settings.languagetool_url)
    except LanguageToolError as exc:  # a malformed URL
        return str(exc)


def _unavailable(
    settings: Settings, reason: str, target: Target | None = None, seconds: float | None = None
) -> tuple[list[Finding], Backend]:
    reason = " ".join(reason.split())  # one line, whatever the server said
    if settings.require_grammar:
        raise GrammarUnavailableError(f"LanguageTool is required (--require-grammar) but unavailable: {reason}")
    if target is None:
        return [], Backend("unavailable", reason=reason)
    secs = None if seconds is None else round(seconds, 3)
    return [], Backend("unavailable", how=target.how, reason=reason, version=target.version, mode=target.mode, seconds=secs)


def _language(language: str) -> str:
    """LanguageTool's language code: a bare ``en`` becomes ``en-US`` (spell-checked)."""
    return "en-US" if language.lower() == "en" else language


def _locate(ctx: CheckContext, answer: dict, span: tuple[int, int]) -> tuple[list[GrammarMatch], int]:
    """The matches of one chunk's answer as findings in the candidate, and how many were skipped."""
    doc = ctx.candidate
    base = span[0]
    table: list[int] | None = None
    found: list[GrammarMatch] = []
    skipped = 0
    for m in answer.get("matches", []):
        try:
            offset, length = int(m["offset"]), int(m["length"])
            rule = m.get("rule") or {}
            rule_id = str(rule.get("id", ""))
            category_id = str((rule.get("category") or {}).get("id", ""))
            issue_type = str(rule.get("issueType", ""))
            message = str(m.get("message", ""))
        except (KeyError, TypeError, ValueError):
            skipped += 1
            continue
        if table is None:
            table = utf16_to_index(doc.text[base : span[1]])
        if offset < 0 or length <= 0 or offset + length >= len(table):
            skipped += 1
            continue
        start, end = base + table[offset], base + table[offset + length]
        if end <= start or not _agrees_with_context(m, doc.text[start:end]):
            skipped += 1
            continue
        mqm, severity = mqm_for(rule_id, category_id, issue_type)
        replacements = [r.get("value", "") for r in m.get("replacements") or [] if isinstance(r, dict)]
        finding = Finding(
            code=CODE,
            rule=rule_id,
            category=mqm,
            severity=severity,
            message=message,
            side="candidate",
            start=start,
            end=end,
            text=doc.text[start:end],
            sentence=ctx.sentence_at("candidate", start),
            suggestions=tuple(r for r in replacements[:MAX_SUGGESTIONS] if r),
            source=SOURCE,
        )
        found.append(GrammarMatch(finding, category_id, issue_type))
    return found, skipped


def _agrees_with_context(match: dict, text: str) -> bool:
    """Whether the match's own context shows the same text as our converted span.

    LanguageTool sends ``context.text`` (the error with up to 40 characters around it,
    newlines as spaces) and ``context.offset`` in it, both in UTF-16 units. Answers
    without a context (compact mode) are trusted.
    """
    context = match.get("context")
    if not isinstance(context, dict) or "text" not in context:
        return True
    try:
        ctext = str(context["text"])
        coff = int(context["offset"])
        clen = int(context.get("length", match["length"]))
    except (KeyError, TypeError, ValueError):
        return True
    table = utf16_to_index(ctext)
    if coff < 0 or coff + clen >= len(table):
        return False
    shown = ctext[table[coff] : table[coff + clen]]
    return _WS.sub(" ", shown) == _WS.sub(" ", text)


class _Words:
    """Word counts of the reference and candidate, built once per run for the spelling filter."""

    def __init__(self, ctx: CheckContext):
        self.allowed = {t.casefold() for t in ctx.allowed_terms}
        self.reference = {w.casefold() for w in _WORD.findall(ctx.reference.text)}
        self.exact = Counter(_WORD.findall(ctx.candidate.text))
        self.folded = Counter(w.casefold() for w in self.exact.elements())
        self.aligned = {c for bead in ctx.beads if bead.aligned for c in bead.candidate}
        self.ctx = ctx

    def in_reference(self, word: str) -> bool:
        if _WORD.fullmatch(word):
            return word.casefold() in self.reference
        return _whole_word(word, re.IGNORECASE).search(self.ctx.reference.text) is not None

    def spelled_one_way(self, name: str) -> bool:
        """A name used at least twice in the candidate, every time with exactly this spelling."""
        if _WORD.fullmatch(name):
            return self.exact[name] >= 2 and self.exact[name] == self.folded[name.casefold()]
        uses = _whole_word(name, re.IGNORECASE).findall(self.ctx.candidate.text)
        return len(uses) >= 2 and all(u == name for u in uses)

    def judged_elsewhere(self, match: GrammarMatch) -> bool:
        """Spelling matches the built-in rules already judge (reference words, names, allowed terms)."""
        if not is_spelling(match.category_id, match.issue_type):
            return False
        word = match.finding.text.strip()
        if not word:
            return False
        if word.casefold() in self.allowed or self.in_reference(word):
            return True
        if not word[0].isupper():
            return False
        if self.spelled_one_way(word):
            return True
        return not self.sentence_initial(match.finding) and match.finding.sentence not in self.aligned

    def sentence_initial(self, finding: Finding) -> bool:
        """Whether the finding starts its sentence (where a capital says nothing about a name)."""
        sentences = self.ctx.candidate.sentences
        if 0 <= finding.sentence < len(sentences):
            return _WORD.search(sentences[finding.sentence].text[: finding.start - sentences[finding.sentence].start]) is None
        return True


def _whole_word(word: str, flags: int = 0) -> re.Pattern:
    return re.compile(r"(?<!\w)" + re.escape(word) + r"(?!\w)", flags)


def _same_span(a: Finding, b: Finding) -> bool:
    if a.side != b.side:
        return False
    overlap = min(a.end, b.end) - max(a.start, b.start)
    if overlap <= 0:
        return False
    lengths = (a.end - a.start, b.end - b.start)
    if overlap * 2 >= max(lengths):
        return True
    return a.category == b.category and overlap * 2 >= min(lengths)
