"""The rule interface: a rule reads a :class:`CheckContext` and yields findings.

A rule never formats output. Its class docstring has four headings, in this order,
which ``mtcheck rule CODE`` prints verbatim and SARIF/HTML reuse::

    What it does
    Why it matters
    Example
    Options
"""

from __future__ import annotations

import bisect
import inspect
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable, ClassVar, Iterable

from mtcheck.types import Bead, Document, Finding, Parallel

if TYPE_CHECKING:  # pragma: no cover
    from mtcheck.align.embed import Encoder


@dataclass
class CheckContext:
    """What a rule may look at. ``beads`` is the sentence alignment."""

    reference: Document
    candidate: Document
    beads: list[Bead]
    parallel: Parallel
    encoder: "Encoder | None" = None
    #: Per-rule options, keyed by rule code, then option name.
    options: dict[str, dict[str, Any]] = field(default_factory=dict)
    #: Terms (names) that must never be flagged, e.g. from the config's allowed terms.
    allowed_terms: frozenset[str] = frozenset()
    #: One-line notes rules leave for the report (e.g. an optional rule skipped).
    notices: list[str] = field(default_factory=list)
    #: Findings of the rules run so far (run_rules fills it; rules marked ``runs_last``
    #: read it to stay off spans another rule already reports).
    findings: list[Finding] = field(default_factory=list)
    #: Computed once per check, on first use (see :meth:`tagger`).
    _tags: list | None = field(default=None, repr=False)
    #: What several rules derive from the same text, computed once per check (see :meth:`memo`).
    _memo: dict = field(default_factory=dict, repr=False)

    def memo(self, key: tuple, compute: "Callable[[], Any]") -> Any:
        """``compute()``, once per check and ``key``; later calls return the same object.

        For what several rules derive from the documents alike (word tokens, name
        counts); callers must not modify what it returns.
        """
        if key not in self._memo:
            self._memo[key] = compute()
        return self._memo[key]

    def tokens(self, side: str, pattern: "re.Pattern | None" = None) -> list:
        """``doc_tokens`` of one side's document (``pattern`` defaults to its WORD_RE), once per check."""
        from mtcheck.detect.rules._text import WORD_RE, doc_tokens

        pattern = pattern or WORD_RE
        doc = self.candidate if side == "candidate" else self.reference
        return self.memo(("tokens", side, pattern), lambda: doc_tokens(doc, pattern))

    def tagger(self) -> list:
        """The error tagger's per-word probabilities of every candidate sentence.

        A list of :class:`mtcheck.detect.tagger.SentenceTags` (one per candidate
        sentence, in order), computed on first call; empty without an encoder.
        """
        if self._tags is None:
            from mtcheck.detect.tagger import tag_context

            self._tags = tag_context(self)
        return self._tags

    def aligned_pairs(self) -> Iterable[tuple[Bead, str, str, int, int]]:
        """Yield (bead, reference text, candidate text, ref start, cand start) of aligned beads.

        The texts are the document slices covering the bead's sentences, so an offset
        ``k`` in the candidate text is ``cand_start + k`` in the candidate document.
        """
        for bead in self.beads:
            if not bead.aligned:
                continue
            rs = [self.reference.sentences[i] for i in bead.reference]
            cs = [self.candidate.sentences[j] for j in bead.candidate]
            r0, r1 = rs[0].start, rs[-1].end
            c0, c1 = cs[0].start, cs[-1].end
            yield bead, self.reference.text[r0:r1], self.candidate.text[c0:c1], r0, c0

    def aligned_reference(self, cand_sentence: int) -> str | None:
        """Text of the reference sentences aligned with candidate sentence ``cand_sentence``.

        ``None`` when the sentence is in no aligned bead.
        """

        def by_sentence() -> dict[int, str]:
            # One pass over the beads (the first aligned bead that holds a sentence wins).
            out: dict[int, str] = {}
            for bead in self.beads:
                if not bead.aligned or not bead.reference:
                    continue
                rs = [self.reference.sentences[i] for i in bead.reference]
                text = self.reference.text[rs[0].start : rs[-1].end]
                for j in bead.candidate:
                    out.setdefault(j, text)
            return out

        return self.memo(("aligned_reference",), by_sentence).get(cand_sentence)

    def sentence_at(self, side: str, offset: int) -> int:
        """Index of the sentence of ``side`` that contains character ``offset``.

        Offsets between sentences belong to the following sentence; offsets past the
        last sentence to the last one. A binary search over the sentence starts.
        """
        doc = self.candidate if side == "candidate" else self.reference
        if not doc.sentences:
            return 0
        starts = self.memo(("sentence_starts", side), lambda: [s.start for s in doc.sentences])
        k = bisect.bisect_right(starts, offset) - 1  # last sentence starting at or before offset
        if k >= 0 and offset < doc.sentences[k].end:
            return doc.sentences[k].index
        if k + 1 < len(doc.sentences):  # between sentences (or before the first)
            return doc.sentences[k + 1].index
        return doc.sentences[-1].index


class RuleError(RuntimeError):
    """A rule cannot run as configured (e.g. a bad model path): one line, exit 2."""


class Rule:
    """Base class of all rules. Subclasses set the class attributes and ``check``."""

    code: ClassVar[str]
    name: ClassVar[str]
    category: ClassVar[str]
    severity: ClassVar[str] = "minor"
    #: Whether the rule runs without being selected explicitly.
    default_enabled: ClassVar[bool] = True
    #: Reads the error tagger (ctx.tagger()): the encoder keeps its layers from the start.
    reads_tagger: ClassVar[bool] = False
    #: Run after the other rules, with their findings in ``ctx.findings``.
    runs_last: ClassVar[bool] = False
    #: "stable", "preview" or "deprecated".
    status: ClassVar[str] = "stable"
    #: Default option values; overridable per run through CheckContext.options.
    defaults: ClassVar[dict[str, Any]] = {}
    #: Texts the rule must flag / must not flag (proselint-style; run by the tests).
    #: Each is a candidate string (checked with an empty reference) or a
    #: ``(reference, candidate)`` pair (aligned as one bead, see mtcheck.detect.adhoc).
    examples_flag: ClassVar[tuple] = ()
    examples_pass: ClassVar[tuple] = ()

    def check(self, ctx: CheckContext) -> Iterable[Finding]:  # pragma: no cover
        raise NotImplementedError

    @classmethod
    def preload(cls) -> None:
        """Load the data ``check`` needs (dictionaries, compiled tables: each cached per
        process). The pipeline calls it in a thread while the encoder runs, so that a cold
        check does not wait for it later (:func:`mtcheck.detect.preload`)."""

    # -- helpers for subclasses -------------------------------------------------
    def option(self, ctx: CheckContext, key: str) -> Any:
        return ctx.options.get(self.code, {}).get(key, self.defaults[key])

    def finding(
        self,
        ctx: CheckContext,
        start: int,
        end: int,
        message: str,
        *,
        side: str = "candidate",
        suggestions: Iterable[str] = (),
        severity: str | None = None,
        measures: dict[str, float] | None = None,
    ) -> Finding:
        """Build a finding for ``doc.text[start:end]`` on ``side``.

        ``measures``: the rule's own numbers behind the finding (e.g. ``support``), which
        the confidence calibrator (``mtcheck.score.confidence``) may use.
        """
        doc = ctx.candidate if side == "candidate" else ctx.reference
        return Finding(
            code=self.code,
            rule=self.name,
            category=self.category,
            severity=severity or self.severity,
            message=message,
            side=side,
            start=start,
            end=end,
            text=doc.text[start:end],
            sentence=ctx.sentence_at(side, start),
            suggestions=tuple(suggestions),
            measures=dict(measures or {}),
        )

    @classmethod
    def doc(cls) -> str:
        """The rule's explanation (its docstring, dedented)."""
        return inspect.cleandoc(cls.__doc__ or "")

    @classmethod
    def summary(cls) -> str:
        """First sentence of the 'What it does' section."""
        text = cls.doc()
        body = text.split("What it does", 1)[-1].strip().lstrip("-=#: \n")
        return body.split("\n\n", 1)[0].replace("\n", " ").strip()
