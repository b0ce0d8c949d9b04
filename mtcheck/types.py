"""Plain data types shared by every stage of the pipeline.

Data flows read -> segment -> align -> detect -> score -> report. Each stage takes
and returns these records; none of them knows how it is rendered. Every offset is a
Python ``str`` index into the document text exactly as read (after BOM removal), so
``document.text[start:end] == text`` holds for every sentence and finding.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

Side = Literal["reference", "candidate"]
Severity = Literal["minor", "major", "critical"]

#: Severities in increasing order; the gate compares indices in this tuple.
SEVERITIES: tuple[str, ...] = ("minor", "major", "critical")


@dataclass(frozen=True)
class Sentence:
    """One sentence of a document, with its character span in the document text."""

    index: int
    start: int
    end: int
    text: str


@dataclass
class Document:
    """A text as read from disk (or stdin), split into sentences."""

    path: str
    text: str
    sentences: list[Sentence] = field(default_factory=list)

    @property
    def words(self) -> int:
        """Number of whitespace-separated words in the text."""
        return len(self.text.split())


@dataclass
class Bead:
    """One unit of the alignment: 0-2 reference sentences with 0-2 candidate sentences.

    One side may be empty (an unaligned sentence). ``similarity`` is the cosine of the
    two sides' embeddings, ``chrf`` the sentence chrF of candidate against reference;
    both are ``None`` when a side is empty. ``penalty``, ``error_words`` and ``quality``
    are filled in by the scoring stage; ``error_words`` is the error tagger's expected
    number of candidate words inside an error (the sum of its word probabilities), ``None``
    when the tagger did not run. ``token_f1`` (BERTScore-style F1 of the pair's wordpiece
    states) and ``unmatched_words`` (reference words the candidate does not cover) come
    from :mod:`mtcheck.score.token_match`, ``None`` when it did not run.
    """

    reference: tuple[int, ...]
    candidate: tuple[int, ...]
    similarity: float | None = None
    chrf: float | None = None
    penalty: float = 0.0
    quality: float | None = None
    error_words: float | None = None
    token_f1: float | None = None
    unmatched_words: float | None = None

    @property
    def aligned(self) -> bool:
        return bool(self.reference) and bool(self.candidate)


@dataclass(frozen=True)
class Finding:
    """One problem found by a rule, located by a span of one document's text."""

    code: str
    rule: str
    category: str
    severity: str
    message: str
    side: str
    start: int
    end: int
    text: str
    sentence: int
    suggestions: tuple[str, ...] = ()
    source: str = "mtcheck"
    #: Dismissed by a reviewer (suppressions file): shown, but weighs nothing in the gate.
    suppressed: bool = False
    #: Already in the baseline report (``--baseline``): shown, but weighs nothing in the gate.
    baseline: bool = False
    #: Why it was suppressed (the suppression's reason), empty otherwise.
    justification: str = ""
    #: Probability that a professional MQM annotator marks an error at this span (for a
    #: reference-side finding: an accuracy error in its segment), from the calibrator in
    #: ``mtcheck.score.confidence``; ``None`` until the pipeline has calibrated it.
    confidence: float | None = None
    #: The rule's own numeric measures (support, distance, frequency...), by name; the
    #: calibrator reads them. Not part of equality or hashing.
    measures: dict[str, float] = field(default_factory=dict, compare=False, hash=False)

    @property
    def counted(self) -> bool:
        """Whether the finding counts toward the penalty, quality and gate."""
        return not (self.suppressed or self.baseline)


@dataclass
class Parallel:
    """Whether the two documents look like translations of each other."""

    is_parallel: bool
    reference_coverage: float
    candidate_coverage: float
    reason: str = ""


@dataclass
class Metrics:
    """Corpus-level scores over the aligned pairs (sacrebleu) and mean similarity."""

    bleu: float | None
    chrf: float | None
    ter: float | None
    similarity: float | None
    pairs: int = 0
    signatures: dict[str, str] = field(default_factory=dict)


@dataclass
class Score:
    """The MQM-style penalty and the gate's verdict."""

    penalty: float
    words: int
    per_1000_words: float
    threshold: float | None
    passed: bool
    quality: float | None = None
    reasons: list[str] = field(default_factory=list)


@dataclass
class Backend:
    """State of an optional component (e.g. LanguageTool) for this run."""

    status: Literal["used", "unavailable", "disabled"]
    how: str = ""
    reason: str = ""
    #: LanguageTool: its version, how it was reached ("url", "local": started for this
    #: run, "kept": by ``mtcheck languagetool start``, "shared": one server for a batch),
    #: seconds spent in it (start-up included) and the JVM start-up alone.
    version: str = ""
    mode: str = ""
    seconds: float | None = None
    startup_seconds: float | None = None


@dataclass
class Report:
    """Everything one check produced; emitters render it, the gate judges it."""

    reference: Document
    candidate: Document
    alignment: list[Bead]
    parallel: Parallel
    metrics: Metrics
    findings: list[Finding]
    score: Score
    signature: str
    settings: dict = field(default_factory=dict)
    backends: dict[str, Backend] = field(default_factory=dict)
    notices: list[str] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)
