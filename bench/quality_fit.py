"""Fit the weights of mtcheck's per-pair ``quality`` (``mtcheck/score/quality.json``).

Usage (paths are yours; nothing is read from a fixed place)::

    python bench/quality.py PATH/ted_zhen.jsonl --dump ROWS.jsonl   # per-segment signals
    python bench/quality_fit.py PATH/ted_zhen.jsonl ROWS.jsonl --tagger-cv CV.npy \\
        --tagger-states STATES.npz [--variants] [--write]

Inputs: the rows ``bench/quality.py --dump`` writes (one per MT segment: human MQM, the
pipeline's findings with their confidences, chrF, embedding cosine, token-match F1 and
unmatched reference words, lengths) and the error tagger's **held-out** word
probabilities (``train/tagger.py`` leaves one talk out and saves them to its
``--cv-out``; the word order is ``train/tagger.py``'s, rebuilt from its states cache
``--cache``, passed here as ``--tagger-states``). Held out because the shipped tagger was
trained on all five talks: its own probabilities on TED would flatter the tagger term.

Model (``mtcheck.score.gate``): ``points = findings x E + (tagger x T + similarity x L) x
(1 - s) + length x |cand words - ref words| + unmatched x U`` with ``E`` the findings'
MQM weights (times their confidence when ``confidence_weighted``), ``T`` the sum over
candidate words of ``max(0, p - tagger_floor)``, ``L`` the longer side's words, ``s =
chrf_share x chrF/100 + (1 - chrf_share) x cosine`` and ``U`` the reference words the
candidate's tokens do not cover (``mtcheck.score.token_match``). For each combination of
the ``GRID`` (confidence weighting, tagger floor, chrF share) the four non-negative
weights of ``TERMS`` are found by coordinate search (multiplicative steps from fixed
starting values, a term may drop to 0) with ``findings`` fixed at 1, maximising segment
Kendall tau-b pooled plus ``--within-weight`` (default 1) x the mean tau-b within a
source segment; the best combination wins, then one factor is fitted by least squares so
that ``points`` are in MQM points (so ``quality = 100 x exp(-points / 25)`` keeps its
meaning). Cross-validated by talk: for each of the 5 talks the weights are fitted on the
other 4 and the taus measured on it; printed per talk and over all held-out talks (pooled
tau over the concatenated held-out scores, within-segment tau averaged over all held-out
source segments), with ``--variants`` also for the models without the tagger, the
token-match or the length term. ``--write`` then fits on all five talks and writes
``mtcheck/score/quality.json``. Deterministic (no random draws).
"""

from __future__ import annotations

import argparse
import itertools
import json
import sys
import time
from collections import defaultdict
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "train"))

WEIGHTS = ROOT / "mtcheck" / "score" / "quality.json"
#: Chosen on a grid (each combination gets its own search of the TERMS).
GRID = {
    "confidence_weighted": [1, 0],
    "tagger_floor": [0.0, 0.3, 0.5],
    "chrf_share": [0.5, 0.75, 1.0],
}
#: Non-negative weights found by coordinate search (``findings`` fixed at 1 until the
#: final least-squares factor), from these starting values.
TERMS = {"tagger": 0.1, "similarity": 0.1, "length": 0.02, "unmatched": 0.1}
STEPS = (4.0, 2.0, 1.41, 1.19)


def heldout_probs(data: str, cv: str, states: str) -> dict[tuple[str, str, str], np.ndarray]:
    """Held-out tagger probabilities of each MT segment's words, keyed (system, talk, seg_id)."""
    import tagger as train  # train/tagger.py

    from mtcheck.detect.tagger.features import group_words

    items = train.load(data)
    meta = np.load(states, allow_pickle=True)["meta"].item()
    p = np.load(cv)
    out, k = {}, 0
    for it in items:
        toks, offs = meta[it["text"]][0], meta[it["text"]][1]
        spans = [(offs[w[0]][0], offs[w[-1]][1]) for w in group_words(toks, offs)]
        n = sum(any(c.isalnum() for c in it["text"][a:b]) for a, b in spans)
        out[(it["system"], it["talk"], it["seg"])] = p[k : k + n]
        k += n
    if k != len(p):
        raise SystemExit(f"{cv} holds {len(p)} words, the states cache {k}: rerun train/tagger.py")
    return out


def signals(rows: list[dict], probs: dict, weights: dict[str, float]) -> dict[str, np.ndarray]:
    w = weights
    out = defaultdict(list)
    for r in rows:
        talk, seg = r["item"].split("#")
        p = probs.get((r["system"], talk, seg))
        out["E"].append(sum(w[sev] * (1.0 if c is None else c) for _, sev, c in r["findings"]))
        out["P"].append(sum(w[sev] for _, sev, _c in r["findings"]))
        out["p"].append(np.zeros(0) if p is None else p)  # missing: MT identical to refB
        cw, rw = len(r["hyp"].split()), r["ref_words"]
        out["L"].append(max(cw, rw))
        out["D"].append(abs(cw - rw))
        out["chrf"].append(r["chrf"] / 100.0)
        out["U"].append(r.get("unmatched") or 0.0)
        out["F1"].append(r.get("token_f1") or 0.0)
        out["cos"].append(max(0.0, min(1.0, r["cosine"])))
        out["mqm"].append(r["mqm"])
    return {k: (v if k == "p" else np.array(v, float)) for k, v in out.items()}


def excess(p_list, floor: float) -> np.ndarray:
    return np.array([float(np.clip(p - floor, 0, None).sum()) for p in p_list])


def points(sig, T, prm) -> np.ndarray:
    s = prm["chrf_share"] * sig["chrf"] + (1 - prm["chrf_share"]) * sig["cos"]
    e = sig["E"] if prm["confidence_weighted"] else sig["P"]
    return (prm["findings"] * e + prm["tagger"] * T * (1 - s) + prm["similarity"] * sig["L"] * (1 - s)
            + prm["length"] * sig["D"] + prm["unmatched"] * sig["U"])


class Taus:
    """Pooled tau-b and mean within-item tau-b for a fixed subset of rows."""

    def __init__(self, human: np.ndarray, items: list[str], idx: np.ndarray):
        self.idx, self.human = idx, human[idx]
        groups = defaultdict(list)
        for k, i in enumerate(idx):
            groups[items[i]].append(k)
        groups = [g for g in groups.values() if len(g) > 1 and np.ptp(self.human[g]) > 0]
        size = max(len(g) for g in groups)
        self.g = np.full((len(groups), size), -1)
        for n, g in enumerate(groups):
            self.g[n, : len(g)] = g
        valid = self.g >= 0
        self.pair = (valid[:, :, None] & valid[:, None, :]) & np.triu(np.ones((size, size), bool), 1)
        h = self.human[np.maximum(self.g, 0)]
        self.dy = np.sign(h[:, :, None] - h[:, None, :]) * self.pair

    def per_item(self, values: np.ndarray) -> np.ndarray:
        """Tau-b within each source segment (NaN where the metric is constant)."""
        x = values[self.idx][np.maximum(self.g, 0)]
        dx = np.sign(x[:, :, None] - x[:, None, :]) * self.pair
        n1 = (dx != 0).sum((1, 2))
        n2 = (self.dy != 0).sum((1, 2))
        with np.errstate(invalid="ignore", divide="ignore"):
            tau = (dx * self.dy).sum((1, 2)) / np.sqrt(n1 * n2)
        return np.where(n1 > 0, tau, np.nan)  # constant: skipped (as bench/quality.py)

    def __call__(self, values: np.ndarray) -> tuple[float, float]:
        from scipy.stats import kendalltau

        pooled = float(kendalltau(values[self.idx], self.human, variant="b").statistic)
        tau = self.per_item(values)
        tau = tau[~np.isnan(tau)]
        return pooled, float(tau.mean()) if len(tau) else float("nan")


def bootstrap_difference(taus: Taus, a: np.ndarray, b: np.ndarray, n: int, seed: int = 0) -> tuple:
    """Mean within-segment tau of ``a`` minus ``b`` over the segments where both are
    defined, with a 95% bootstrap interval (``n`` resamples of the segments)."""
    d = taus.per_item(a) - taus.per_item(b)
    d = d[~np.isnan(d)]
    rng = np.random.default_rng(seed)
    means = [d[rng.integers(0, len(d), len(d))].mean() for _ in range(n)]
    return len(d), float(d.mean()), *np.percentile(means, [2.5, 97.5])


def search(sig, T, taus, prm: dict, terms: list[str], within_weight: float) -> tuple[dict, float]:
    """Coordinate search of the ``terms``' weights (the others stay at 0) for the objective."""
    prm = {**prm, "findings": 1.0, **{t: (TERMS[t] if t in terms else 0.0) for t in TERMS}}

    def objective(p):
        pooled, within = taus(-points(sig, T, p))
        return pooled + within_weight * within

    best = objective(prm)
    for step in STEPS:
        improved = True
        while improved:
            improved = False
            for t in terms:
                w = prm[t]
                for value in ((w * step, w / step, 0.0) if w > 0 else (TERMS[t],)):
                    cand = {**prm, t: value}
                    obj = objective(cand)
                    if obj > best + 1e-6:
                        prm, best, improved = cand, obj, True
                        break
    return prm, best


def fit(sig, T_by_floor, human, items, idx, within_weight: float = 1.0, terms=tuple(TERMS)) -> dict:
    """The grid x coordinate search on the rows ``idx``; weights scaled to MQM points."""
    taus = Taus(human, items, idx)
    best, best_obj = None, -9.0
    keys = list(GRID)
    for combo in itertools.product(*GRID.values()):
        prm = dict(zip(keys, combo))
        if "tagger" not in terms and prm["tagger_floor"] != 0:
            continue
        prm, obj = search(sig, T_by_floor[prm["tagger_floor"]], taus, prm, list(terms), within_weight)
        if prm["tagger"] == 0 and prm["tagger_floor"] != 0:
            continue  # the same model as floor 0
        if obj > best_obj:
            best, best_obj = prm, obj
    pts = points(sig, T_by_floor[best["tagger_floor"]], best)[idx]
    mqm = sig["mqm"][idx]
    k = float(pts @ mqm / max(pts @ pts, 1e-12))  # least squares through the origin: points in MQM units
    out = {name: round(best[name] * k, 4) for name in ("findings", *TERMS)}
    out.update(chrf_share=best["chrf_share"], tagger_floor=best["tagger_floor"],
               confidence_weighted=bool(best["confidence_weighted"]))
    return out


def cross_validate(sig, T_by_floor, human, items, talks, within_weight, terms, show=False) -> np.ndarray:
    """Each talk's scores (-points) from weights fitted on the other talks."""
    held = np.zeros(len(items))
    for talk in sorted(set(talks)):
        train_idx, test_idx = np.flatnonzero(talks != talk), np.flatnonzero(talks == talk)
        prm = fit(sig, T_by_floor, human, items, train_idx, within_weight, terms)
        pts = points(sig, T_by_floor[prm["tagger_floor"]], prm)
        held[test_idx] = -pts[test_idx]
        if show:
            t = Taus(human, items, test_idx)
            q, c = t(-pts), t(sig["chrf"])
            print(f"| {talk} | {json.dumps(prm)} | {q[0]:.3f} | {q[1]:.3f} | {c[0]:.3f} | {c[1]:.3f} |", flush=True)
    return held


def tagger_aggregates(p_list) -> dict[str, np.ndarray]:
    """Per segment, aggregates of the tagger's word probabilities (higher: worse)."""
    def agg(f):
        return np.array([f(p) if len(p) else 0.0 for p in p_list])

    return {
        "tagger expected error words alone (-sum p)": agg(np.sum),
        "tagger mean p alone (= error words per 10 words / 10)": agg(np.mean),
        "tagger max p alone": agg(np.max),
        "tagger top-3 mean p alone": agg(lambda p: np.sort(p)[-3:].mean()),
        "tagger share of words >= 0.5 alone": agg(lambda p: (p >= 0.5).mean()),
    }


#: Models fitted the same way with some terms left out (``--variants``): what each term adds.
VARIANTS = {
    "without the tagger term": ("similarity", "length", "unmatched"),
    "without the token-match term (unmatched)": ("tagger", "similarity", "length"),
    "without the length term": ("tagger", "similarity", "unmatched"),
    "without tagger and token match (the previous model's terms)": ("similarity", "length"),
}


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("data", help="ted_zhen.jsonl")
    ap.add_argument("rows", help="bench/quality.py --dump output")
    ap.add_argument("--tagger-cv", required=True, metavar="NPY",
                    help="held-out tagger probabilities (train/tagger.py --cv-out)")
    ap.add_argument("--tagger-states", required=True, metavar="NPZ",
                    help="train/tagger.py's states cache (--cache) the probabilities were computed on")
    ap.add_argument("--within-weight", type=float, default=1.0,
                    help="objective: pooled tau + this x within-segment tau (default 1)")
    ap.add_argument("--variants", action="store_true",
                    help="also cross-validate the models without the tagger / token-match / length term")
    ap.add_argument("--bootstrap", type=int, default=0, metavar="N",
                    help="also N bootstrap resamples of the source segments: the held-out quality's "
                         "within-segment tau minus chrF's (and, with --variants, minus each variant's)")
    ap.add_argument("--write", action="store_true", help=f"fit on all talks and write {WEIGHTS.relative_to(ROOT)}")
    args = ap.parse_args(argv)
    t0 = time.process_time()
    from mtcheck.settings import Settings

    rows = [json.loads(x) for x in Path(args.rows).read_text(encoding="utf-8").splitlines() if x.strip()]
    if any("unmatched" not in r for r in rows):
        raise SystemExit(f"{args.rows} has no token-match columns: rerun bench/quality.py --dump")
    probs = heldout_probs(args.data, args.tagger_cv, args.tagger_states)
    sig = signals(rows, probs, Settings().weights)
    T_by_floor = {f: excess(sig["p"], f) for f in GRID["tagger_floor"]}
    human = -sig["mqm"]
    items = [r["item"] for r in rows]
    talks = np.array([i.split("#")[0] for i in items])
    print(f"command: python bench/quality_fit.py {' '.join(sys.argv[1:] if argv is None else argv)}")
    print(f"{len(rows)} segments, {len(set(talks))} talks; tagger probabilities held out "
          f"({sum(len(p) > 0 for p in sig['p'])} segments tagged)\n")
    print("| held-out talk | weights fitted on the other four | pooled tau | within tau | chrF pooled | chrF within |")
    print("|---|---|---|---|---|---|")
    held = cross_validate(sig, T_by_floor, human, items, talks, args.within_weight, tuple(TERMS), show=True)
    everything = np.arange(len(rows))
    t = Taus(human, items, everything)
    print("\nAll held-out talks together (each scored by weights fitted without it):\n")
    print("| metric | pooled tau-b | within a source segment |")
    print("|---|---|---|")
    named = {"quality (held-out weights; all terms)": held}
    if args.variants:
        for name, terms in VARIANTS.items():
            named[f"  quality {name}"] = cross_validate(sig, T_by_floor, human, items, talks,
                                                        args.within_weight, terms)
    from sacrebleu.metrics import BLEU

    bleu = BLEU(effective_order=True)
    named.update({
        "sentence chrF": sig["chrf"],
        "sentence BLEU": np.array([bleu.sentence_score(r["hyp"], [r["ref"]]).score for r in rows]),
        "embedding cosine": sig["cos"],
        "token-match F1 alone (BERTScore-style, layer 3)": sig["F1"],
        "unmatched reference words alone (-U)": -sig["U"],
        "findings' expected points alone (-E)": -sig["E"],
        "findings' penalty alone (-penalty)": -sig["P"],
        **{name: -v for name, v in tagger_aggregates(sig["p"]).items()},
        "candidate length alone (-words)": -np.array([len(r["hyp"].split()) for r in rows], float),
    })
    for name, v in named.items():
        pooled, within = t(v)
        print(f"| {name} | {pooled:.3f} | {within:.3f} |")
    if args.bootstrap:
        print(f"\nWithin a source segment, held-out quality minus (mean difference of tau-b, "
              f"95% interval of {args.bootstrap} bootstrap resamples of the segments, seed 0):\n")
        others = {"sentence chrF": sig["chrf"],
                  **{name.strip(): v for name, v in named.items() if name.startswith("  quality")}}
        for name, v in others.items():
            n, mean, lo, hi = bootstrap_difference(t, held, v, args.bootstrap)
            print(f"- {name}: {mean:+.3f} ({lo:+.3f} to {hi:+.3f}; {n} segments)")
    held_pooled, held_within = t(held)
    if args.write:
        prm = fit(sig, T_by_floor, human, items, everything, args.within_weight)
        pooled, within = t(-points(sig, T_by_floor[prm["tagger_floor"]], prm))
        doc = {
            "about": "Weights of mtcheck's pair quality (mtcheck.score.gate): points = findings*E + "
                     "(tagger*sum(max(0, p - tagger_floor)) + similarity*L)*(1 - s) + length*|cand - ref words| "
                     "+ unmatched*U, s = chrf_share*chrF/100 + (1 - chrf_share)*cosine, U the reference words "
                     "the candidate's tokens do not cover (mtcheck.score.token_match); "
                     "quality = 100*exp(-points/25). "
                     "E: the findings' MQM weights, times their confidence when confidence_weighted. "
                     "Fitted on WMT21 TED zh-en MQM (5 talks, 13 MT systems, refB) by bench/quality_fit.py "
                     "with the tagger's held-out probabilities.",
            "command": "python bench/quality.py DATA --dump ROWS && python bench/quality_fit.py DATA ROWS "
                       "--tagger-cv CV.npy --tagger-states STATES.npz --write",
            **prm,
            "held_out_talks": {"pooled_tau": round(held_pooled, 4), "within_tau": round(held_within, 4)},
            "fit_on_all_talks": {"pooled_tau": round(pooled, 4), "within_tau": round(within, 4)},
        }
        WEIGHTS.write_text(json.dumps(doc, indent=1) + "\n", encoding="utf-8")
        print(f"\nwrote {WEIGHTS.relative_to(ROOT)}: {json.dumps(prm)} (in-sample pooled {pooled:.3f}, within {within:.3f})")
    print(f"\n{time.process_time() - t0:.0f} CPU s")


if __name__ == "__main__":
    main()
