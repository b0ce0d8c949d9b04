"""Reference-based metrics over the aligned pairs, computed with sacrebleu.

Corpus BLEU, chrF and (when asked for) TER treat each aligned bead as one segment (the
bead's reference sentences joined by a space against its candidate sentences joined by a
space). Each bead also gets its sentence chrF. sacrebleu's own signatures are kept for
the report.

The sentence chrF of every bead comes from the same per-segment statistics as the corpus
chrF (sacrebleu's ``_extract_corpus_statistics``, as its ``sentence_score`` and
``corpus_score`` do, each from the one segment's or the sum's statistics): the character
and word n-grams of each segment are counted once instead of twice; the values are
sacrebleu's ``sentence_score`` values exactly (``tests/test_metrics.py``).

Cost: BLEU and chrF are linear in the text (about 0.05 s per thousand words). TER is not
computed by default (``ter = true`` in the config file, ``--ter`` on the command line):
sacrebleu's TER searches word shifts per segment (up to 1,000 candidate shifts, each a
beam edit distance), which took 6-12 s for 2,700-9,000 words of TED MT on this machine,
one 44-word segment alone 1.7 s: more than the rest of a check together. The report
then says TER is off (``metrics.ter`` is ``null``, no TER signature).
"""

from __future__ import annotations

from mtcheck.types import Bead, Document, Metrics


def bead_texts(bead: Bead, reference: Document, candidate: Document) -> tuple[str, str]:
    """The reference and candidate text of a bead, sentences joined by a space."""
    ref = " ".join(reference.sentences[i].text for i in bead.reference)
    hyp = " ".join(candidate.sentences[j].text for j in bead.candidate)
    return ref, hyp


def preload() -> None:
    """Import sacrebleu's metrics now (~0.1 s CPU, most of it its package's other modules)."""
    import sacrebleu.metrics  # noqa: F401


def compute_metrics(beads: list[Bead], reference: Document, candidate: Document, ter: bool = False) -> Metrics:
    """Fill each aligned bead's ``chrf`` and return corpus metrics (TER with ``ter``)."""
    from sacrebleu.metrics import BLEU, CHRF

    pairs = [(b, *bead_texts(b, reference, candidate)) for b in beads if b.aligned]
    if not pairs:
        return Metrics(bleu=None, chrf=None, ter=None, similarity=None, pairs=0)
    refs = [[r for _, r, _ in pairs]]
    hyps = [h for _, _, h in pairs]
    metrics = {"bleu": BLEU(), "chrf": CHRF()}
    if ter:
        from sacrebleu.metrics import TER

        metrics["ter"] = TER()
    scores = {name: m.corpus_score(hyps, refs).score for name, m in metrics.items() if name != "chrf"}
    chrf = metrics["chrf"]
    chrf._check_corpus_score_args(hyps, refs)
    stats = chrf._extract_corpus_statistics(hyps, refs)  # one pass: per-segment statistics
    scores["chrf"] = chrf._aggregate_and_compute(stats).score  # what corpus_score computes
    for (bead, _, _), seg in zip(pairs, stats):
        bead.chrf = round(chrf._aggregate_and_compute([seg]).score, 4)  # = sentence_score
    sims = [b.similarity for b, _, _ in pairs if b.similarity is not None]
    return Metrics(
        bleu=round(scores["bleu"], 4),
        chrf=round(scores["chrf"], 4),
        ter=round(scores["ter"], 4) if ter else None,
        similarity=round(sum(sims) / len(sims), 4) if sims else None,
        pairs=len(pairs),
        signatures={name: str(m.get_signature()) for name, m in metrics.items()},
    )
