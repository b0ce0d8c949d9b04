"""MT121 possible-disfluency / MT221 possible-mistranslation: what the error tagger finds.

The learned tagger (:mod:`mtcheck.detect.tagger`) gives every candidate word a
probability of lying inside an error an MQM annotator would mark. Consecutive words at or
above the threshold become one span; a span another rule already reports is left to that
rule. Where the reference supports the span's words (or there is no aligned reference) it
reads as a fluency problem (MT121); where the reference does not, as a possible
mistranslation (MT221).
"""

from __future__ import annotations

import bisect
from itertools import accumulate
from typing import ClassVar, Iterable

from mtcheck.detect.base import CheckContext, Rule
from mtcheck.types import Finding

#: Default probability threshold, chosen on held-out talks (README, "Learned error tagger").
DEFAULT_THRESHOLD = 0.5
#: Mean reference support (best cosine, last layer) at or above which a span is "supported".
SUPPORTED = 0.55


def tagged_runs(ctx: CheckContext, threshold: float) -> list[tuple[int, int, float, float | None]]:
    """(start, end, max probability, mean support or None) of each run of flagged words.

    Names (capitalised words past the first) and words without a letter never join a
    run: names and numbers are other rules' job (MT2xx, MT4xx), and the tagger reads
    rare names as suspicious.
    """
    runs = []
    text = ctx.candidate.text
    for st in ctx.tagger():
        groups: list[list[int]] = [[]]
        for k, (a, b) in enumerate(st.spans):
            word = text[a:b]
            eligible = any(c.isalpha() for c in word) and not (word[:1].isupper() and k > 0)
            if eligible and st.probs[k] >= threshold:
                groups[-1].append(k)
            elif groups[-1]:
                groups.append([])
        for g in groups:
            if g:
                sup = None if st.support is None else float(st.support[g].mean())
                runs.append((st.spans[g[0]][0], st.spans[g[-1]][1], float(st.probs[g].max()), sup))
    return runs


class _Tagged(Rule):
    severity = "minor"
    runs_last = True
    reads_tagger = True
    defaults: ClassVar[dict] = {"threshold": DEFAULT_THRESHOLD}
    supported: ClassVar[bool]
    label: ClassVar[str]

    def check(self, ctx: CheckContext) -> Iterable[Finding]:
        taken = _Taken((f.start, f.end) for f in ctx.findings if f.side == "candidate")
        for a, b, p, sup in tagged_runs(ctx, float(self.option(ctx, "threshold"))):
            is_supported = sup is None or sup >= SUPPORTED
            if is_supported != self.supported:
                continue
            if taken.overlaps(a, b):
                continue
            yield self.finding(ctx, a, b, f"{self.label} (error tagger: P = {p:.2f})")


class _Taken:
    """Spans other rules report: whether any overlaps ``[a, b)`` by a binary search over
    their starts (with the furthest end so far), not a scan of every finding per run."""

    def __init__(self, spans):
        self.spans = sorted(spans)
        self.starts = [x for x, _ in self.spans]
        self.reach = list(accumulate((y for _, y in self.spans), max))

    def overlaps(self, a: int, b: int) -> bool:
        k = bisect.bisect_left(self.starts, b)  # spans starting before b
        return k > 0 and self.reach[k - 1] > a


class PossibleDisfluency(_Tagged):
    """What it does
    ------------
    Flags words the learned error tagger reads as probably inside an error, where the
    aligned reference supports them (or the sentence has no aligned reference): wrong
    grammar, garbled word order, odd word choice.

    Why it matters
    --------------
    Machine translation errors are mostly not in any word list: the tagger reads the
    sentence as the embedding model does and has learned from professional MQM
    annotations where annotators mark errors. Its probability is in the message.

    Example
    -------
    'The less operational of weapons will "nothing happens".' (the garbled fixture, no
    reference) -> "less operational" (P = 0.72).

    Measured (``python train/tagger.py``, held-out TED talks): flagged words are inside an
    annotated error 24% of the time at the default threshold against 11% for a random
    word (2.2x; the tagger retrained on the per-token int8 encoder). As findings, tagged by
    a tagger that never saw their talk (``bench/calibration.py --folds``), 19% of MT121's
    and 26% of MT221's overlap an annotated error. On by default since that retraining:
    above the default confidence they keep every measured target (all default findings
    3.5x random, 11.9 false alarms per 1,000 words of refB vs refA, none on clean text vs
    an unrelated article) and raise Grammar+Spelling recall from 0.011 to 0.016 (README,
    "Confidence"); ``--ignore MT121,MT221`` turns them off. Names (capitalised words) and
    numbers are never flagged, they are other rules' job.

    Options
    -------
    ``threshold`` (default 0.5): probability at or above which a word is flagged.
    """

    code = "MT121"
    name = "possible-disfluency"
    category = "Fluency/Grammar"
    default_enabled = True
    supported = True
    label = "possible disfluency"
    examples_flag = (
        'The less operational of weapons will "nothing happens".',
    )
    examples_pass = (
        "Senior Turkish officials will join the Russian-Ukrainian talks.",
        ("Senior Turkish officials will join the talks.", "Senior Turkish officials will join the talks."),
    )


class PossibleMistranslation(_Tagged):
    """What it does
    ------------
    Flags words the learned error tagger reads as probably inside an error, where the
    aligned reference does not support them: a possible mistranslation.

    Why it matters
    --------------
    A word the tagger finds suspicious and the reference does not back is where an
    annotator most often marks Accuracy/Mistranslation. Its probability is in the message.

    Example
    -------
    Reference "Zelensky lamented the dummy delegation sent by the Kremlin."; candidate
    "Zelensky lamented the substitute prop delegation sent by the Kremlin." ->
    "substitute" (P = 0.54 with the previous tagger). On by default, as MT121 (see there for
    the measurements).

    Options
    -------
    ``threshold`` (default 0.5): probability at or above which a word is flagged.
    """

    code = "MT221"
    name = "possible-mistranslation"
    category = "Accuracy/Mistranslation"
    default_enabled = True
    supported = False
    label = "possible mistranslation"
    examples_flag = (
        ("Zelensky lamented the dummy delegation sent by the Kremlin.",
         "Zelensky lamented the substitute prop delegation sent by the Kremlin."),
    )
    examples_pass = (
        ("Senior Turkish officials will join the talks.", "Senior Turkish officials will join the talks."),
    )


RULES = [PossibleDisfluency, PossibleMistranslation]
