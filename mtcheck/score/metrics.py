"""Reference-based metrics over the aligned pairs, computed with sacrebleu.

Corpus BLEU, chrF and TER treat each aligned bead as one segment (the bead's reference
sentences joined by a space against its candidate sentences joined by a space). Each
bead also gets its sentence chrF. sacrebleu's own signatures are kept for the report.
"""

from __future__ import annotations

from mtcheck.types import Bead, Document, Metrics


def bead_texts(bead: Bead, reference: Document, candidate: Document) -> tuple[str, str]:
    """The reference and candidate text of a bead, sentences joined by a space."""
    ref = " ".join(reference.sentences[i].text for i in bead.reference)
    hyp = " ".join(candidate.sentences[j].text for j in bead.candidate)
    return ref, hyp


def compute_metrics(beads: list[Bead], reference: Document, candidate: Document) -> Metrics:
    """Fill each aligned bead's ``chrf`` and return corpus metrics."""
    from sacrebleu.metrics import BLEU, CHRF, TER

    pairs = [(b, *bead_texts(b, reference, candidate)) for b in beads if b.aligned]
    if not pairs:
        return Metrics(bleu=None, chrf=None, ter=None, similarity=None, pairs=0)
    refs = [[r for _, r, _ in pairs]]
    hyps = [h for _, _, h in pairs]
    bleu, chrf, ter = BLEU(), CHRF(), TER()
    scores = {
        "bleu": bleu.corpus_score(hyps, refs).score,
        "chrf": chrf.corpus_score(hyps, refs).score,
        "ter": ter.corpus_score(hyps, refs).score,
    }
    for bead, ref, hyp in pairs:
        bead.chrf = round(chrf.sentence_score(hyp, [ref]).score, 4)
    sims = [b.similarity for b, _, _ in pairs if b.similarity is not None]
    return Metrics(
        bleu=round(scores["bleu"], 4),
        chrf=round(scores["chrf"], 4),
        ter=round(scores["ter"], 4),
        similarity=round(sum(sims) / len(sims), 4) if sims else None,
        pairs=len(pairs),
        signatures={name: str(m.get_signature()) for name, m in (("bleu", bleu), ("chrf", chrf), ("ter", ter))},
    )
