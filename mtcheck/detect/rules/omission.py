"""MT206 omitted-sentence and MT207 added-sentence: sentences with no partner.

Both run only when the alignment stage judged the documents parallel
(``ctx.parallel.is_parallel``). Otherwise they stay silent and the report carries one
notice (``omission_notice``) instead of a flood of findings.
"""

from __future__ import annotations

import re
from typing import Iterable

from mtcheck.detect.base import CheckContext, Rule
from mtcheck.types import Finding

_WORD = re.compile(r"[^\W_]+")


def omission_notice(ctx: CheckContext) -> str | None:
    """The one report notice for non-parallel documents, or None when they are parallel."""
    if ctx.parallel.is_parallel:
        return None
    unaligned = sum(1 for b in ctx.beads if not b.aligned)
    return (
        "The two documents do not look like translations of each other "
        f"({unaligned} sentence(s) without a partner): omission and addition checks "
        "(MT202, MT204, MT206, MT207) and the reference-support check (MT205) were skipped; "
        "numbers and names are compared on the aligned pairs only, as minor findings."
    )


class _Unpaired(Rule):
    side: str = "reference"
    defaults = {"min_words": 3}

    def check(self, ctx: CheckContext) -> Iterable[Finding]:
        if not ctx.parallel.is_parallel:
            return
        min_words = int(self.option(ctx, "min_words"))
        doc = ctx.reference if self.side == "reference" else ctx.candidate
        for bead in ctx.beads:
            if bead.aligned:
                continue
            idx = bead.reference if self.side == "reference" else bead.candidate
            for i in idx:
                s = doc.sentences[i]
                words = len(_WORD.findall(s.text))
                if words < min_words:
                    continue
                yield self.finding(
                    ctx,
                    s.start,
                    s.end,
                    self.message(words),
                    side=self.side,
                    severity=self.severity if words >= 6 else "minor",
                )

    def message(self, words: int) -> str:  # pragma: no cover - overridden
        raise NotImplementedError


class OmittedSentence(_Unpaired):
    """A reference sentence with no partner in the candidate.

    What it does
    ------------
    When the documents are parallel (most sentences align), reports each reference
    sentence that the alignment left without a candidate partner. The finding is located
    on the reference side (there is no candidate text to point at).

    Why it matters
    --------------
    A sentence dropped in translation is content the reader never gets: a major accuracy
    error in MQM.

    Example
    -------
    Reference: "... Senior Turkish officials will join the talks. The US envoy is not
    expected to meet the Russian delegation." Candidate keeps the first sentence only ->
    the second reference sentence is reported.

    Options
    -------
    ``min_words`` (default 3): shorter sentences ("Thank you.") are not reported.
    Severity minor: measured on the ~12,000-word TED article pair (``bench/longpair.py``),
    only 15% of its findings sat on an annotated omission (most are a merge or a
    paraphrase the aligner could not pair), too few to fail a gate; a severity override
    (``[tool.mtcheck.severity-overrides] MT206 = "major"``) makes them major again. Silent when the documents are not parallel; the report then
    carries one notice instead.
    """

    code = "MT206"
    name = "omitted-sentence"
    category = "Accuracy/Omission"
    severity = "minor"
    side = "reference"

    def message(self, words: int) -> str:
        return f"reference sentence ({words} words) has no partner in the candidate"


class AddedSentence(_Unpaired):
    """A candidate sentence with no partner in the reference.

    What it does
    ------------
    When the documents are parallel, reports each candidate sentence that the alignment
    left without a reference partner.

    Why it matters
    --------------
    Text the source never said (a hallucinated sentence, boilerplate picked up by the
    machine translation, a duplicated paragraph) is an addition: an accuracy error.

    Example
    -------
    Candidate: "... All for less than $9 a month." where the reference has no such
    sentence -> the candidate sentence is reported.

    Options
    -------
    ``min_words`` (default 3): shorter sentences are not reported. Severity major for
    sentences of six words or more, minor below. Silent when the documents are not
    parallel.
    """

    code = "MT207"
    name = "added-sentence"
    category = "Accuracy/Addition"
    severity = "major"
    side = "candidate"

    def message(self, words: int) -> str:
        return f"candidate sentence ({words} words) has no partner in the reference"


RULES = [OmittedSentence, AddedSentence]
