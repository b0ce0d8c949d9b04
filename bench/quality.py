"""Does mtcheck's per-pair ``quality`` agree with human MQM judgements? Better than chrF?

Usage::

    python bench/quality.py PATH/ted_zhen.jsonl            # full run: 13 systems x 529 segments
    python bench/quality.py PATH/ted_zhen.jsonl --talks 2  # quick look: the first 2 talks
    python bench/quality.py PATH/ted_zhen.jsonl --dump ROWS.jsonl  # also the rows bench/quality_fit.py fits on

Data: WMT21 TED zh-en MQM (Freitag et al. 2021; google/wmt-mqm-human-evaluation,
Apache 2.0). For each of the 13 MT systems and each talk, the reference document is refB
and the candidate the system's output, one segment per line, checked by the real pipeline
(``check_documents`` with ``Settings(aligned=True)``: line-aligned beads, embedding
cosine, sacrebleu chrF, every default rule, the MQM-style penalty and
``mtcheck.score.gate`` quality). LanguageTool is off (``grammar=False``) so the figure does
not depend on a Java server.

Human score per segment: -MQM, with MQM = Major 5, Minor 1, Minor Fluency/Punctuation 0.1,
Non-translation 25, summed per segment and averaged over raters.

Printed, for mtcheck's quality and for baselines computed in the same run (sacrebleu
sentence chrF and BLEU against refB, the pair's embedding cosine, its candidate length
alone, the quality without the rules' findings, the rules' penalty alone):

- segment level: Kendall tau-b with -MQM over all segments pooled (scipy's
  ``kendalltau``, variant "b", which corrects for ties; an O(n^2) numpy
  fallback when scipy is absent), as in the README of the data set;
- item level: the mean Kendall tau-b within each source segment, over the systems'
  translations of it (segments where the systems' MQM scores differ). MQM points add up
  over a segment, so length alone ranks segments well when they are pooled; within one
  source segment length hardly varies, and this column shows what the similarity signals
  add;
- the tagger row uses the shipped tagger, trained on these five talks (in-sample: it
  flatters the tagger); ``bench/quality_fit.py`` fits the quality's weights with held-out
  tagger probabilities and prints the held-out taus;
- system level: pairwise ranking accuracy over the 78 system pairs (mean -MQM per
  system against the mean quality, and against corpus chrF / BLEU per system).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import defaultdict
from itertools import combinations
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from mtcheck.align.embed import Encoder  # noqa: E402
from mtcheck.pipeline import check_documents  # noqa: E402
from mtcheck.score.gate import SCALE, quality_weights, similarity_of  # noqa: E402
from mtcheck.settings import Settings  # noqa: E402
from mtcheck.types import Document  # noqa: E402


def segment_mqm(ratings: list[dict]) -> float:
    """MQM points of one segment, averaged over its raters (lower is better)."""
    per_rater = []
    for rating in ratings:
        points = 0.0
        for e in rating["errors"]:
            if e["category"].lower().startswith("non-translation"):
                points += 25
            elif e["severity"] == "Major":
                points += 5
            elif e["severity"] == "Minor":
                points += 0.1 if e["category"] == "Fluency/Punctuation" else 1
        per_rater.append(points)
    return float(np.mean(per_rater)) if per_rater else 0.0


def kendall_tau_b(x, y) -> float:
    """Kendall tau-b (ties corrected); scipy when available."""
    try:
        from scipy.stats import kendalltau
    except ImportError:
        x, y = np.asarray(x, float), np.asarray(y, float)
        conc = disc = tx = ty = 0
        for i in range(len(x) - 1):  # O(n^2) but vectorised per row: fine for ~7k
            dx, dy = np.sign(x[i + 1 :] - x[i]), np.sign(y[i + 1 :] - y[i])
            s = dx * dy
            conc += int((s > 0).sum())
            disc += int((s < 0).sum())
            tx += int(((dx == 0) & (dy != 0)).sum())
            ty += int(((dy == 0) & (dx != 0)).sum())
        denom = np.sqrt((conc + disc + tx) * (conc + disc + ty))
        return float((conc - disc) / denom) if denom else float("nan")
    return float(kendalltau(x, y, variant="b").statistic)


def pairwise_accuracy(human: dict[str, float], metric: dict[str, float]) -> float:
    pairs = list(combinations(sorted(human), 2))
    agree = sum(np.sign(human[a] - human[b]) == np.sign(metric[a] - metric[b]) for a, b in pairs)
    return agree / len(pairs)


def load(path: str, talks: int | None) -> list[dict]:
    objs = [json.loads(line) for line in Path(path).read_text(encoding="utf-8").splitlines() if line.strip()]
    objs = [o for o in objs if not o["is_human_translation"]]
    docs = sorted({o["doc"] for o in objs})
    keep = set(docs[:talks]) if talks else set(docs)
    return [o for o in objs if o["doc"] in keep]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("data", help="ted_zhen.jsonl of the MQM TED zh-en set")
    ap.add_argument("--talks", type=int, default=None, help="use only the first N talks (quick look)")
    ap.add_argument("--dump", metavar="JSONL", help="also write one JSON line per segment (for analysis)")
    args = ap.parse_args()

    from sacrebleu.metrics import BLEU, CHRF

    objs = load(args.data, args.talks)
    settings = Settings(aligned=True, grammar=False, fail_on=None)
    encoder = Encoder.from_settings(settings)
    rows = []  # one per segment
    t0 = time.perf_counter()
    for n, o in enumerate(objs, 1):
        segs = o["segments"]
        ref = Document(path=f"{o['doc']}.refB", text="\n".join(s["references"]["refB"] for s in segs) + "\n")
        cand = Document(path=f"{o['doc']}.{o['system']}", text="\n".join(s["target"] for s in segs) + "\n")
        report = check_documents(ref, cand, settings, encoder)
        assert len(report.alignment) == len(segs) and all(b.aligned for b in report.alignment)
        for seg, bead in zip(segs, report.alignment):
            rows.append(
                {
                    "system": o["system"],
                    "item": f"{o['doc']}#{seg['seg_id']}",
                    "mqm": segment_mqm(seg["ratings"]),
                    "hyp": seg["target"],
                    "ref": seg["references"]["refB"],
                    "quality": bead.quality,
                    "penalty": bead.penalty,
                    "cosine": bead.similarity,
                    "error_words": bead.error_words,
                    "token_f1": bead.token_f1,
                    "unmatched": bead.unmatched_words,
                    "s": similarity_of(bead),
                    "chrf": bead.chrf,
                    "codes": [f.code for f in report.findings
                              if f.side == "candidate" and f.sentence in bead.candidate],
                    "findings": [[f.code, f.severity, f.confidence] for f in report.findings
                                 if f.side == "candidate" and f.sentence in bead.candidate and f.counted],
                    "ref_words": len(seg["references"]["refB"].split()),
                }
            )
        print(f"\r{n}/{len(objs)} documents checked ({time.perf_counter() - t0:.0f} s)", end="", file=sys.stderr)
    print(file=sys.stderr)

    if args.dump:
        Path(args.dump).write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    chrf, bleu = CHRF(), BLEU(effective_order=True)
    w = settings.weights
    qw = quality_weights()
    human = -np.array([r["mqm"] for r in rows])
    words = np.array([len(r["hyp"].split()) for r in rows])
    ref_words = np.array([r["ref_words"] for r in rows])
    longer = np.maximum(words, ref_words)
    s = np.array([r["s"] for r in rows])
    chrf_cos = np.array([(r["chrf"] / 100 + max(0.0, min(1.0, r["cosine"]))) / 2 for r in rows])
    expected = np.array([sum(w[sev] * (1.0 if c is None else c) for _, sev, c in r["findings"]) for r in rows])
    unmatched = np.array([r["unmatched"] or 0.0 for r in rows])
    similarity_term = (qw.similarity * longer * (1 - s) + qw.length * np.abs(words - ref_words)
                       + qw.unmatched * unmatched)
    metrics = {
        "mtcheck quality": np.array([r["quality"] for r in rows]),
        "  without findings and tagger (similarity, length, unmatched terms only)": np.exp(-similarity_term / SCALE),
        "  expected finding points only (-expected)": -expected,
        "  findings penalty only (-penalty)": -np.array([r["penalty"] for r in rows]),
        "  tagger's expected error words only (in-sample!)": -np.array([r["error_words"] or 0.0 for r in rows]),
        "  previous formula (expected + 0.5 x longer x (1 - s))": np.exp(
            -(expected + 0.5 * longer * (1 - chrf_cos)) / SCALE),
        "sentence chrF (sacrebleu)": np.array([chrf.sentence_score(r["hyp"], [r["ref"]]).score for r in rows]),
        "sentence BLEU (sacrebleu)": np.array([bleu.sentence_score(r["hyp"], [r["ref"]]).score for r in rows]),
        "embedding cosine": np.array([r["cosine"] for r in rows]),
        "token-match F1 (BERTScore-style, layer 3)": np.array([r["token_f1"] or 0.0 for r in rows]),
        "candidate length alone (-words)": -words.astype(float),
    }
    systems = sorted({r["system"] for r in rows})
    by_system = defaultdict(list)
    for i, r in enumerate(rows):
        by_system[r["system"]].append(i)
    human_sys = {k: float(human[v].mean()) for k, v in by_system.items()}
    corpus = {
        "sentence chrF (sacrebleu)": lambda idx: CHRF().corpus_score([rows[i]["hyp"] for i in idx], [[rows[i]["ref"] for i in idx]]).score,
        "sentence BLEU (sacrebleu)": lambda idx: BLEU().corpus_score([rows[i]["hyp"] for i in idx], [[rows[i]["ref"] for i in idx]]).score,
    }

    print(f"WMT21 TED zh-en MQM, refB as reference: {len(systems)} MT systems, {len(rows)} segments")
    by_item = defaultdict(list)
    for i, r in enumerate(rows):
        by_item[r["item"]].append(i)
    items = [v for v in by_item.values() if len(v) > 1 and np.ptp(human[v]) > 0]
    print(f"{'metric':56s} {'seg tau-b':>9s} {'item tau':>8s} {'sys acc':>8s}")
    for name, values in metrics.items():
        tau = kendall_tau_b(values, human)
        per_item = [kendall_tau_b(values[v], human[v]) for v in items if np.ptp(values[v]) > 0]
        item_tau = float(np.mean(per_item)) if per_item else float("nan")
        if name in corpus:  # system level as usual for these metrics: the corpus score
            sys_scores = {k: corpus[name](v) for k, v in by_system.items()}
        else:
            sys_scores = {k: float(values[v].mean()) for k, v in by_system.items()}
        acc = pairwise_accuracy(human_sys, sys_scores)
        print(f"{name:56s} {tau:9.4f} {item_tau:8.4f} {acc:8.3f}")
    print("seg tau-b: Kendall tau-b with -MQM over all segments pooled (scipy.stats.kendalltau, variant b)")
    print("item tau: mean tau-b per source segment across the systems' translations of it (length hardly varies there)")
    print("sys acc: pairwise ranking accuracy over system pairs (chrF/BLEU: corpus score per system; others: mean)")
    print(f"time: {time.perf_counter() - t0:.0f} s")


if __name__ == "__main__":
    main()
