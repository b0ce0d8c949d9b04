"""Alignment quality and speed: strict F1 on the gold set, the fixture pair's alignment.

Usage:
    python bench/align.py [--gold tests/data/align/ted_gold.json] [--single-pass] [--joins bounded|hybrid|exact]

Prints strict precision/recall/F1 (aligned beads only, and all beads as Vecalign's
score.py counts them), recall per bead type, the time taken, and the aligned pairs and
verdict of the fixture pair. The gold set is built by bench/build_align_gold.py;
``--single-pass`` leaves out the second (PARALLEL) pass, to see what it adds;
``--joins`` picks how the joins of two sentences are found, to compare: ``exact`` runs
every needed join through the model, ``hybrid`` only those whose estimate comes close
to winning, ``bounded`` (the default) only those of hybrid's that a cheapest path can
take with an optimistic cosine (``_Piece._run_winning``).
It also prints how many sentences and joins went through the model.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from mtcheck.align.aligner import (  # noqa: E402
    JOIN_MODES,
    JOINS,
    PARALLEL,
    STRICT,
    align_documents,
)
from mtcheck.align.embed import Encoder  # noqa: E402
from mtcheck.align.evaluate import pooled, strict_f1  # noqa: E402
from mtcheck.segment import line_sentences, segment  # noqa: E402
from mtcheck.types import Document  # noqa: E402

FIXTURE_REF = ROOT / "fixtures/kurdistan24-istanbul-talks.clean.txt"
FIXTURE_CAND = ROOT / "fixtures/istanbul-talks.garbled-mt.txt"


def bead_type(ref, cand) -> str:
    return f"{len(ref)}-{len(cand)}"


class CountingEncoder:
    """The encoder, counting the sentences and the joins the aligner asks it for."""

    def __init__(self, encoder):
        self.encoder, self.counts = encoder, Counter()

    def encode(self, texts, states=True):
        self.counts["sentences" if states else "joins"] += len(texts)
        return self.encoder.encode(texts, states)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--gold", type=Path, default=ROOT / "tests/data/align/ted_gold.json")
    ap.add_argument("--single-pass", action="store_true", help="only the STRICT pass")
    ap.add_argument("--joins", choices=JOIN_MODES, default=JOINS, help="how joins are embedded")
    args = ap.parse_args()
    second = None if args.single_pass else PARALLEL
    print(f"STRICT   {STRICT}\nPARALLEL {second}\njoins    {args.joins}")

    base = Encoder()
    base.encode(["warm-up"])  # model load is not alignment time
    encoder = CountingEncoder(base)
    gold = json.loads(args.gold.read_text(encoding="utf-8"))
    strict, with_skips = [], []
    found, total = Counter(), Counter()
    sentences = 0
    t0 = time.perf_counter()
    for d in gold["documents"]:
        ref = line_sentences(Document("reference", "\n".join(d["reference"])))
        cand = line_sentences(Document("candidate", "\n".join(d["candidate"])))
        sentences += len(ref.sentences) + len(cand.sentences)
        beads, _ = align_documents(ref, cand, encoder, STRICT, second, joins=args.joins)
        pred = [(b.reference, b.candidate) for b in beads]
        strict.append(strict_f1(d["gold"], pred, aligned_only=True))
        with_skips.append(strict_f1(d["gold"], pred, aligned_only=False))
        pred_set = set(pred)
        for r, c in d["gold"]:
            total[bead_type(r, c)] += 1
            found[bead_type(r, c)] += (tuple(r), tuple(c)) in pred_set
    elapsed = time.perf_counter() - t0

    a, b = pooled(strict), pooled(with_skips)
    print(f"gold: {args.gold} ({len(gold['documents'])} documents, {sentences} units)")
    print(
        f"strict F1, aligned beads only: {a.f1:.4f}  (P {a.precision:.4f}, "
        f"R {a.recall:.4f}; {a.true_positives}/{a.predicted} predicted, {a.gold} gold)"
    )
    print(
        f"strict F1, all beads (Vecalign score.py): {b.f1:.4f}  "
        f"(P {b.precision:.4f}, R {b.recall:.4f})"
    )
    print("recall per gold bead type:", ", ".join(
        f"{t} {found[t]}/{total[t]}" for t in sorted(total)
    ))
    print(f"time (embeddings + DP): {elapsed:.1f}s for {sentences} units; asked of the encoder: "
          f"{encoder.counts['sentences']} sentences, {encoder.counts['joins']} joins of two")

    encoder.counts.clear()
    ref = segment(Document(str(FIXTURE_REF), FIXTURE_REF.read_text(encoding="utf-8")))
    cand = segment(Document(str(FIXTURE_CAND), FIXTURE_CAND.read_text(encoding="utf-8")))
    beads, verdict = align_documents(ref, cand, encoder, STRICT, second, joins=args.joins)
    print(f"\nfixture pair: {len(ref.sentences)} x {len(cand.sentences)} sentences; asked of the encoder: "
          f"{encoder.counts['sentences']} sentences, {encoder.counts['joins']} joins of two")
    for bead in beads:
        if bead.aligned:
            print(f"  {list(bead.reference)} ~ {list(bead.candidate)}  cos {bead.similarity:.3f}")
            print("    R:", " ".join(ref.sentences[i].text for i in bead.reference)[:110])
            print("    C:", " ".join(cand.sentences[j].text for j in bead.candidate)[:110])
    print(f"  {verdict}")


if __name__ == "__main__":
    main()
