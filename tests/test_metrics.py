"""Metrics are sacrebleu's own values: corpus BLEU/chrF and each bead's sentence chrF."""

from pathlib import Path

from sacrebleu.metrics import CHRF

from mtcheck.score.metrics import bead_texts, compute_metrics
from mtcheck.types import Bead, Document, Sentence

FIXTURES = Path(__file__).parent.parent / "fixtures"


def _doc(path: Path, n: int) -> Document:
    lines = [ln for ln in path.read_text(encoding="utf-8").split("\n") if ln.strip()][:n]
    text = "\n".join(lines)
    sents, pos = [], 0
    for i, ln in enumerate(lines):
        sents.append(Sentence(index=i, start=pos, end=pos + len(ln), text=ln))
        pos += len(ln) + 1
    return Document(path=path.name, text=text, sentences=sents)


def test_bead_chrf_and_corpus_chrf_are_sacrebleus():
    ref = _doc(FIXTURES / "kurdistan24-istanbul-talks.clean.txt", 8)
    cand = _doc(FIXTURES / "istanbul-talks.garbled-mt.txt", 8)
    beads = [Bead((0, 1), (0,)), Bead((2,), (1, 2)), Bead((3,), ()), Bead((4,), (3,)), Bead((5,), (5,))]
    metrics = compute_metrics(beads, ref, cand)
    pairs = [bead_texts(b, ref, cand) for b in beads if b.aligned]
    chrf = CHRF()
    for bead in beads:
        if bead.aligned:
            r, h = bead_texts(bead, ref, cand)
            assert bead.chrf == round(chrf.sentence_score(h, [r]).score, 4)
        else:
            assert bead.chrf is None
    corpus = CHRF().corpus_score([h for _, h in pairs], [[r for r, _ in pairs]]).score
    assert metrics.chrf == round(corpus, 4) and metrics.pairs == 4
    assert metrics.signatures["chrf"] == str(chrf.get_signature())
