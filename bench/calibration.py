"""Fit and measure the finding confidence (``mtcheck.score.confidence``) on MQM TED zh-en.

Usage::

    python bench/calibration.py PATH/ted_zhen.jsonl                 # collect, fit, measure
    python bench/calibration.py PATH/ted_zhen.jsonl --write         # ... and write the shipped file
    python bench/calibration.py PATH/ted_zhen.jsonl --rows ROWS.jsonl   # reuse collected findings

Data: WMT21 TED zh-en MQM (Freitag et al. 2021; google/wmt-mqm-human-evaluation,
Apache 2.0): 13 MT systems x 5 talks, refB as the reference, one segment per line,
checked like ``mtcheck check --aligned --select ALL`` (every rule, also those off by
default; LanguageTool when a server can be started, else its findings are absent and
``LT:*`` keeps its prior). For each finding the calibrator's features
(``confidence.features``) and a label:

- candidate-side finding: 1 when its span overlaps an error span any rater annotated
  in the segment's MT output;
- reference-side finding (omissions): 1 when a rater annotated an Accuracy error
  (Accuracy/*: omission, mistranslation, addition...) in the segment.

Fit (``fit``): one L2 logistic regression (scikit-learn, C=0.03, standardised features)
per rule with at least ``MIN_ROWS`` findings and ``MIN_CLASS`` of each label; a rule
with fewer gets its observed rate shrunk towards its family's (code prefix MT1/MT2/MT3/
MT4, LT); families and a default model get their rates (used for rules never seen). Validation: leave-one-talk-out
(5 folds: each talk's findings are predicted by models fitted on the other four).
Printed: the held-out reliability table (10 equal-width bins: mean predicted, observed
share of label 1, count), expected calibration error (ECE, count-weighted |observed -
predicted| over the bins), per-rule held-out figures, and for thresholds on the
held-out confidence: Fluency/Grammar + Fluency/Spelling recall and precision of all
candidate findings above it, and false alarms per 1,000 words of refB checked against
refA (fitted on all talks). Deterministic: no sampling; scikit-learn's lbfgs solver.
"""

from __future__ import annotations

import argparse
import bisect
import json
import math
import re
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from mtcheck.score.confidence import CALIBRATION_FILE, Calibrator, features, fallback_keys  # noqa: E402
from mtcheck.types import Document  # noqa: E402

WORD = re.compile(r"[^\W_]+(?:['’\-][^\W_]+)*")
MIN_ROWS = 150
MIN_CLASS = 30
SHRINK = 4
C = 0.03
BASE_FEATURES = ("log_words", "min_zipf", "log_sentence_words", "chrf", "cosine", "major")
FLUENCY = ("Fluency/Grammar", "Fluency/Spelling")
#: The MT system whose 5 talks make the long article pair (about 10,000 words).
LONG_PAIR_SYSTEM = "Facebook-AI"
#: False alarms per 1,000 words (refB checked against refA) the default may give (issue 11).
FA_TARGET = 15.0
THRESHOLDS = (0.0, 0.1, 0.15, 0.2, 0.25, 0.3, 0.35, 0.4, 0.45, 0.5, 0.55, 0.6, 0.7)
#: Priors for LanguageTool (code LT, keyed by its MQM category) when its findings are not
#: in the collected data (no LanguageTool run): the precision ``bench/languagetool.py``
#: measured for LanguageTool's findings on this same data set (README, "Grammar and
#: spelling with LanguageTool": all findings 0.34, spelling 0.68, repeated word 0.86,
#: grammar 0.43). Priors, not calibrated on held-out talks.
LT_PRIOR = 0.34
LT_CATEGORY_PRIORS = {"Fluency/Spelling": 0.68, "Fluency/Duplication": 0.86, "Fluency/Grammar": 0.43}
#: Prior of a rule that gave no finding on this data (no measurement): calques (MT3xx),
#: consistency and glossary (MT4xx), omissions (MT206/MT207, document mode only). Set at
#: even odds so that they are shown at the default minimum and ranked after measured
#: findings that are more likely; a prior, not a measurement (README, "Confidence").
UNMEASURED_PRIOR = 0.5


# ----------------------------------------------------------------------------- collect
def check_lines(ref_lines: list[str], cand_lines: list[str], settings, encoder):
    """Run the pipeline's detect stage on two line-aligned documents; return (findings, ctx)."""
    from mtcheck.align.aligner import align_lines
    from mtcheck.detect import run_rules, select_rules
    from mtcheck.detect.base import CheckContext
    from mtcheck.pipeline import _rule_options, _with_grammar
    from mtcheck.score.metrics import compute_metrics
    from mtcheck.segment import line_sentences

    ref = Document("reference", "\n".join(re.sub(r"[\r\n]", " ", x) for x in ref_lines) + "\n")
    cand = Document("candidate", "\n".join(re.sub(r"[\r\n]", " ", x) for x in cand_lines) + "\n")
    line_sentences(ref)
    line_sentences(cand)
    beads, parallel = align_lines(ref, cand, encoder)
    compute_metrics(beads, ref, cand)
    ctx = CheckContext(ref, cand, beads, parallel, encoder=encoder, options=_rule_options(settings))
    findings = run_rules(ctx, _rules(settings))
    findings = _with_grammar(ctx, settings, findings, {}, [])
    return findings, ctx


_RULES = {}


def _rules(settings):
    from mtcheck.detect import select_rules

    key = tuple(settings.select)
    if key not in _RULES:
        _RULES[key] = select_rules(settings.select, settings.ignore)
    return _RULES[key]


def line_starts(lines: list[str]) -> list[int]:
    starts, pos = [], 0
    for x in lines:
        starts.append(pos)
        pos += len(x) + 1
    return starts


def fold_taggers(folder: str | None, talks) -> dict:
    """Per talk, the error tagger trained without it (``train/tagger.py --folds-out``), or {}.

    With them the TED findings are tagged by a tagger that never saw their talk, so the
    tagger's probability, MT121/MT221 and MT205's tagger floor are held out too (the
    shipped tagger was trained on all five talks: in-sample here).
    """
    if not folder:
        return {}
    from mtcheck.detect.tagger import load

    missing = [t for t in talks if not (Path(folder) / f"{t}.npz").exists()]
    if missing:
        sys.exit(f"--folds {folder}: no held-out tagger for {', '.join(missing)} (run train/tagger.py first)")
    return {t: load(Path(folder) / f"{t}.npz", Path(folder) / f"{t}.sha256") for t in talks}


def use_tagger(m) -> None:
    """Make ``m`` the error tagger every check of this process uses (None: the shipped one)."""
    import mtcheck.detect.tagger as tagger

    if not _SHIPPED_MODEL:
        _SHIPPED_MODEL.append(tagger.model)
    # tag() reads the module's model() at each call
    tagger.model = _SHIPPED_MODEL[0] if m is None else (lambda: m)


_SHIPPED_MODEL: list = []


def collect(path: str, grammar: bool, folds: str | None = None, tagger_threshold: float | None = None) -> dict:
    """Run every rule over the data set; one row per finding, plus the refB-vs-refA findings."""
    from mtcheck.align.embed import Encoder
    from mtcheck.settings import Settings

    objs = [json.loads(line) for line in Path(path).read_text(encoding="utf-8").splitlines() if line.strip()]
    mt = [o for o in objs if not o["is_human_translation"]]
    options = {} if tagger_threshold is None else {c: {"threshold": tagger_threshold} for c in ("MT121", "MT221")}
    settings = Settings(aligned=True, grammar=grammar, select=["ALL"], fail_on=None, rule_options=options)
    encoder = Encoder.from_settings(settings)
    held_taggers = fold_taggers(folds, sorted({o["doc"] for o in mt}))
    rows, fluency_spans, words, in_span = [], 0, 0, 0
    t0 = time.perf_counter()
    for n, o in enumerate(sorted(mt, key=lambda o: (o["doc"], o["system"])), 1):
        if held_taggers:
            use_tagger(held_taggers[o["doc"]])
        segs = o["segments"]
        refs = [s["references"]["refB"] for s in segs]
        cands = [s["target"] for s in segs]
        starts = line_starts(cands)
        rstarts = line_starts(refs)
        findings, ctx = check_lines(refs, cands, settings, encoder)
        for s in segs:
            spans = [(e["start"], e["end"]) for r in s["ratings"] for e in r["errors"] if e["side"] == "target"]
            fluency_spans += sum(1 for r in s["ratings"] for e in r["errors"]
                                 if e["side"] == "target" and e["category"] in FLUENCY)
            for m in WORD.finditer(s["target"]):
                words += 1
                in_span += any(a < m.end() and m.start() < b for a, b in spans)
        for f in findings:
            st = starts if f.side == "candidate" else rstarts
            i = bisect.bisect_right(st, f.start) - 1
            seg = segs[i]
            errs = [e for r in seg["ratings"] for e in r["errors"]]
            hits = []
            if f.side == "candidate":
                a, b = f.start - st[i], f.end - st[i]
                label = any(e["side"] == "target" and e["start"] < b and a < e["end"] for e in errs)
                hits = sorted({f"{o['doc']}|{o['system']}|{seg['seg_id']}|{e['start']}|{e['end']}"
                               for e in errs if e["side"] == "target" and e["category"] in FLUENCY
                               and e["start"] < b and a < e["end"]})
            else:
                label = any(e["category"].startswith("Accuracy/") for e in errs)
            rows.append({"talk": o["doc"], "system": o["system"], "code": f.code, "category": f.category,
                         "side": f.side, "severity": f.severity, "rule": f.rule,
                         "keys": fallback_keys(f), "x": features(f, ctx), "y": int(label), "hits": hits})
        print(f"\r{n}/{len(mt)} documents ({time.perf_counter() - t0:.0f} s)", end="", file=sys.stderr)
    print(file=sys.stderr)
    use_tagger(None)
    # False alarms: refB checked as a candidate against refA, per talk (the shipped tagger).
    talks = {}
    for o in objs:
        talks.setdefault(o["doc"], o)
    fa_rows, fa_words = [], 0
    for talk, o in sorted(talks.items()):
        refa = [s["references"]["refA"] for s in o["segments"]]
        refb = [s["references"]["refB"] for s in o["segments"]]
        fa_words += sum(len(WORD.findall(x)) for x in refb)
        findings, ctx = check_lines(refa, refb, settings, encoder)
        fa_rows += [{"talk": talk, "code": f.code, "side": f.side, "keys": fallback_keys(f),
                     "x": features(f, ctx)} for f in findings]
    return {"rows": rows, "fluency_spans": fluency_spans, "words": words, "in_span": in_span,
            "fa_rows": fa_rows, "fa_words": fa_words, "grammar": grammar, "held_out_tagger": bool(held_taggers)}


# ----------------------------------------------------------------------------- fit
def _fit_one(rows: list[dict]) -> dict:
    from sklearn.linear_model import LogisticRegression

    names = [n for n in BASE_FEATURES] + sorted({k for r in rows for k in r["x"]
                                                 if k.startswith("m_") or k == "tagger"})
    names = [n for n in names if sum(n in r["x"] for r in rows) >= 0.5 * len(rows)]
    raw = np.array([[r["x"].get(n, np.nan) for n in names] for r in rows], dtype=float).reshape(len(rows), len(names))
    mean = np.nanmean(raw, axis=0) if names else np.zeros(0)
    raw = np.where(np.isnan(raw), mean, raw)
    scale = raw.std(axis=0) if names else np.zeros(0)
    keep = scale > 1e-9
    names = [n for n, k in zip(names, keep) if k]
    mean, scale, raw = mean[keep], scale[keep], raw[:, keep]
    y = np.array([r["y"] for r in rows])
    if len(set(y)) < 2 or not names:
        p = (y.sum() + 1) / (len(y) + 2)
        return {"n": len(rows), "positive": int(y.sum()), "features": [], "mean": [], "scale": [], "coef": [],
                "intercept": round(math.log(p / (1 - p)), 6)}
    lr = LogisticRegression(C=C, max_iter=1000).fit((raw - mean) / scale, y)
    return {"n": len(rows), "positive": int(y.sum()), "features": names,
            "mean": [round(float(v), 6) for v in mean], "scale": [round(float(v), 6) for v in scale],
            "coef": [round(float(v), 6) for v in lr.coef_[0]], "intercept": round(float(lr.intercept_[0]), 6)}


def _rate(pos: int, n: int, prior: float, strength: float) -> float:
    """Share of label 1, shrunk towards ``prior`` with the weight of ``strength`` findings."""
    return (pos + strength * prior) / (n + strength)


def _prior_model(n: int, pos: int, p: float, **extra) -> dict:
    return {"n": n, "positive": pos, "features": [], "mean": [], "scale": [], "coef": [],
            "intercept": round(math.log(p / (1 - p)), 6), **extra}


def fit(rows: list[dict]) -> dict:
    """Calibration parameters per key (see the module docstring).

    A rule with at least ``MIN_ROWS`` findings and ``MIN_CLASS`` of each label gets a
    logistic model over its features; a rule with fewer gets its own rate shrunk towards
    its family's (``SHRINK`` = 4 pseudo-findings); families and ``default`` get their rate.
    """
    by_key = defaultdict(list)
    for r in rows:
        for k in r["keys"]:
            by_key[k].append(r)
    models = {}
    default = by_key["default"]
    base = _rate(sum(r["y"] for r in default), len(default), 0.5, 2)
    models["default"] = _prior_model(len(default), sum(r["y"] for r in default), base)
    families = {k: rs for k, rs in by_key.items() if len(k) == 3 or k == "LT"}
    for key, rs in sorted(families.items()):
        pos = sum(r["y"] for r in rs)
        models[key] = _prior_model(len(rs), pos, _rate(pos, len(rs), base, SHRINK))
    for key, rs in sorted(by_key.items()):
        if key in models:
            continue
        pos = sum(r["y"] for r in rs)
        family = rs[0]["keys"][-2]
        prior = math.exp(models[family]["intercept"]) / (1 + math.exp(models[family]["intercept"]))
        if len(rs) >= MIN_ROWS and min(pos, len(rs) - pos) >= MIN_CLASS:
            models[key] = _fit_one(rs)
        else:
            models[key] = _prior_model(len(rs), pos, _rate(pos, len(rs), prior, SHRINK))
    if "LT" not in models:
        models["LT"] = _prior_model(0, 0, LT_PRIOR, prior=True)
        for category, p in LT_CATEGORY_PRIORS.items():
            models[f"LT:{category}"] = _prior_model(0, 0, p, prior=True)
    from mtcheck.detect import all_rules

    for rule in all_rules():  # rules that gave no finding on this data: a stated prior
        models.setdefault(rule.code, _prior_model(0, 0, UNMEASURED_PRIOR, prior=True))
    return {"models": models}


class _F:  # the few Finding attributes fallback_keys / the calibrator read
    def __init__(self, keys):
        self.keys = keys


def predict(params: dict, rows: list[dict]) -> np.ndarray:
    cal = Calibrator(params)
    out = []
    for r in rows:
        model = next(cal.models[k] for k in r["keys"] if k in cal.models)
        z = model["intercept"] + sum(c * (r["x"].get(n, m) - m) / s for n, m, s, c in
                                     zip(model["features"], model["mean"], model["scale"], model["coef"]))
        out.append(1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, z)))))
    return np.array(out)


def reliability(p: np.ndarray, y: np.ndarray, bins: int = 10) -> tuple[list[list], float]:
    edges = np.linspace(0, 1, bins + 1)
    idx = np.clip(np.digitize(p, edges[1:-1]), 0, bins - 1)
    table, ece = [], 0.0
    for b in range(bins):
        m = idx == b
        if not m.any():
            continue
        mp, ob = float(p[m].mean()), float(y[m].mean())
        ece += m.sum() / len(p) * abs(ob - mp)
        table.append([f"{edges[b]:.1f}–{edges[b + 1]:.1f}", f"{mp:.3f}", f"{ob:.3f}", int(m.sum())])
    return table, ece


def threshold_table(rows, held, data, fa_p, word_rate, codes=None) -> list[list]:
    """Per threshold: findings, precision, lift, G+S recall, false alarms (of ``codes`` only)."""
    keep = np.array([codes is None or r["code"] in codes for r in rows])
    cand = np.array([r["side"] == "candidate" for r in rows]) & keep
    fa_keep = np.array([codes is None or r["code"] in codes for r in data["fa_rows"]], dtype=bool)
    y = np.array([r["y"] for r in rows])
    out = []
    for th in THRESHOLDS:
        m = (held >= th) & cand
        hits = set().union(*[set(rows[i]["hits"]) for i in np.flatnonzero(m)]) if m.any() else set()
        fa = int(((fa_p >= th) & fa_keep).sum()) if len(fa_p) else 0
        out.append([f"{th:.2f}", int(m.sum()), f"{y[m].mean():.3f}" if m.any() else "–",
                    f"{(y[m].mean() / word_rate if m.any() else 0):.2f}×",
                    f"{len(hits) / max(1, data['fluency_spans']):.3f}",
                    fa, f"{1000 * fa / max(1, data['fa_words']):.1f}"])
    return out


def md(headers, rows) -> str:
    out = ["| " + " | ".join(headers) + " |", "|" + "|".join("---" for _ in headers) + "|"]
    return "\n".join(out + ["| " + " | ".join(str(c) for c in r) + " |" for r in rows])


def clean_vs_unrelated(path: str) -> None:
    """The clean fixture checked (as documents, default settings) against an unrelated article."""
    from mtcheck.pipeline import check_documents
    from mtcheck.settings import DEFAULT_MIN_CONFIDENCE, Settings

    fixture = (ROOT / "fixtures" / "kurdistan24-istanbul-talks.clean.txt").read_text(encoding="utf-8")
    first = json.loads(Path(path).read_text(encoding="utf-8").splitlines()[0])
    unrelated = "\n".join(s["references"]["refB"] for s in first["segments"][:60]) + "\n"
    from mtcheck.detect import all_rules

    n = len(fixture.split())
    print(f"### Clean fixture ({n:,} words) checked against an unrelated article "
          f"(the first 60 refB segments of talk {first['doc']})\n")
    default = [r.code for r in all_rules() if r.default_enabled and r.code not in ("MT121", "MT221")]
    for label, select in (("default rules, MT121/MT221 off", default),
                          ("default rules with MT121 and MT221", default + ["MT121", "MT221"])):
        settings = Settings(grammar=False, min_confidence=0.0, select=select)
        report = check_documents(Document("unrelated", unrelated), Document("clean", fixture), settings)
        rows = []
        for th in THRESHOLDS:
            kept = [f for f in report.findings if f.confidence >= th]
            rows.append([f"{th:.2f}" + (" ← default" if abs(th - DEFAULT_MIN_CONFIDENCE) < 1e-9 else ""),
                         len(kept), f"{1000 * len(kept) / n:.1f}", ", ".join(sorted({f.code for f in kept}))])
        print(f"**{label}**\n")
        print(md(["min confidence", "findings", "per 1,000 words", "rules"], rows))
        print()


def long_pair(path: str, system: str = LONG_PAIR_SYSTEM) -> None:
    """Several talks' MT (one system) against refB, checked as documents: what the editor sees."""
    from mtcheck.pipeline import check_documents
    from mtcheck.settings import DEFAULT_MIN_CONFIDENCE, Settings

    objs = [json.loads(line) for line in Path(path).read_text(encoding="utf-8").splitlines() if line.strip()]
    docs = sorted((o for o in objs if o["system"] == system), key=lambda o: o["doc"])
    segs = [s for o in docs for s in o["segments"]]
    ref = " ".join(s["references"]["refB"].strip() for s in segs)
    cand = " ".join(s["target"].strip() for s in segs)
    spans, pos = [], 0  # annotated error spans in document offsets
    for s in segs:
        text = s["target"].strip()
        shift = pos + len(s["target"]) - len(s["target"].lstrip())
        spans += [(shift + e["start"], shift + e["end"]) for r in s["ratings"] for e in r["errors"]
                  if e["side"] == "target"]
        pos += len(text) + 1
    report = check_documents(Document("refB", ref), Document(system, cand), Settings(grammar=False, min_confidence=0.0))
    n = len(cand.split())
    print(f"\n### A long article pair: {system}'s MT of {len(docs)} talks against refB, as documents "
          f"({n:,} words)\n")
    rows = []
    for th in sorted({0.0, 0.3, 0.35, DEFAULT_MIN_CONFIDENCE, 0.5}):
        kept = [f for f in report.findings if f.confidence >= th]
        top = Counter(f.code for f in kept).most_common(3)
        rows.append([f"{th:.2f}" + (" ← default" if abs(th - DEFAULT_MIN_CONFIDENCE) < 1e-9 else ""), len(kept),
                     f"{1000 * len(kept) / n:.1f}", ", ".join(f"{c} {k}" for c, k in top)])
    print(md(["min confidence", "findings", "per 1,000 words", "most frequent"], rows))
    per = defaultdict(lambda: [0, 0, 0.0])
    for f in report.findings:
        if f.side == "candidate":
            per[f.code][0] += 1
            per[f.code][1] += any(a < f.end and f.start < b for a, b in spans)
            per[f.code][2] += f.confidence
    print("\nCandidate findings of this pair (all shown) against the annotated spans:\n")
    print(md(["rule", "findings", "precision", "mean confidence"],
             [[c, n, f"{h / n:.2f}", f"{p / n:.2f}"] for c, (n, h, p) in sorted(per.items())]))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("data", help="ted_zhen.jsonl of the MQM TED zh-en set")
    ap.add_argument("--rows", help="JSONL cache of collected findings: read if it exists, else written")
    ap.add_argument("--no-grammar", action="store_true", help="leave LanguageTool out")
    ap.add_argument("--no-documents", action="store_true",
                    help="skip the document-mode checks (clean fixture vs unrelated, long article pair)")
    ap.add_argument("--folds", default=None,
                    help="folder of held-out taggers (train/tagger.py --folds-out): tag each TED talk with the "
                         "tagger trained without it")
    ap.add_argument("--tagger-threshold", type=float, default=None,
                    help="MT121/MT221 threshold option while collecting (default: the rules' own)")
    ap.add_argument("--write", action="store_true", help=f"write the fitted parameters to {CALIBRATION_FILE}")
    args = ap.parse_args()
    t0 = time.perf_counter()
    print(f"command: python bench/calibration.py {' '.join(sys.argv[1:])}\n")
    if args.rows and Path(args.rows).exists():
        data = json.loads(Path(args.rows).read_text(encoding="utf-8"))
    else:
        data = collect(args.data, grammar=not args.no_grammar, folds=args.folds,
                       tagger_threshold=args.tagger_threshold)
        if args.rows:
            Path(args.rows).write_text(json.dumps(data), encoding="utf-8")
    rows = data["rows"]
    talks = sorted({r["talk"] for r in rows})
    held = np.zeros(len(rows))
    for t in talks:
        train = [r for r in rows if r["talk"] != t]
        test = [i for i, r in enumerate(rows) if r["talk"] == t]
        held[test] = predict(fit(train), [rows[i] for i in test])
    y = np.array([r["y"] for r in rows])
    table, ece = reliability(held, y)
    lt = sum(r["code"] == "LT" for r in rows)
    print(f"## Held-out reliability (leave-one-talk-out over {len(talks)} talks; {len(rows):,} findings, "
          f"{y.mean():.1%} labelled 1; LanguageTool findings: {lt})\n")
    print(md(["bin", "mean predicted", "observed", "count"], table))
    print(f"\nECE (10 bins, held-out talks): {ece:.4f}   (target ≤ 0.05)")
    brier = float(np.mean((held - y) ** 2))
    print(f"Brier score {brier:.4f} (base rate alone {float(np.mean((y.mean() - y) ** 2)):.4f})\n")

    per = defaultdict(list)
    for i, r in enumerate(rows):
        per[r["code"]].append(i)
    print("### Per rule (held out)\n")
    prow = []
    for code, idx in sorted(per.items()):
        idx = np.array(idx)
        _, e = reliability(held[idx], y[idx])
        prow.append([code, len(idx), f"{y[idx].mean():.3f}", f"{held[idx].mean():.3f}",
                     f"{held[idx].min():.2f}–{held[idx].max():.2f}", f"{e:.3f}"])
    print(md(["rule", "findings", "observed", "mean predicted", "range", "ECE"], prow))

    final = fit(rows)
    fa_p = predict(final, data["fa_rows"]) if data["fa_rows"] else np.zeros(0)
    word_rate = data["in_span"] / data["words"]
    print(f"\n### Thresholds on the confidence (held out; random word precision {word_rate:.3f}, "
          f"{data['fluency_spans']:,} Grammar+Spelling spans; false alarms: refB vs refA, "
          f"{data['fa_words']:,} words, final model)\n")
    from mtcheck.detect import all_rules

    tagged = {"MT121", "MT221"}
    # LanguageTool (code LT) is on by default wherever it is installed: its findings, when
    # collected, count among the default output's.
    default_codes = ({r.code for r in all_rules() if r.default_enabled} - tagged) | {"LT"}
    for label, codes in (("every rule (--select ALL)", None),
                         ("the default rules with MT121 and MT221", default_codes | tagged),
                         ("the default rules (MT121/MT221 off)", default_codes)):
        trow = threshold_table(rows, held, data, fa_p, word_rate, codes)
        print(f"**{label}**\n")
        print(md(["min confidence", "candidate findings", "precision", "lift", "Grammar+Spelling recall",
                  "false alarms", "per 1,000 words"], trow))
        ok = [r[0] for r in trow if r[2] != "–" and float(r[2]) >= 2 * word_rate and float(r[6]) <= FA_TARGET]
        print(f"\nsmallest minimum confidence with precision ≥ 2× random and ≤ {FA_TARGET:g} false alarms "
              f"per 1,000 words: {ok[0]}\n" if ok else "\nno threshold meets both targets\n")
    fa_codes = Counter(r["code"] for r, p in zip(data["fa_rows"], fa_p) if p >= 0.4)
    print(f"\nfalse alarms at 0.40 by rule: {dict(fa_codes.most_common())}")
    if not args.no_documents:
        print()
        clean_vs_unrelated(args.data)
        long_pair(args.data)
    if args.write:
        final["fitted_on"] = ("WMT21 TED zh-en MQM (Freitag et al. 2021, Apache 2.0), 13 MT systems x 5 talks "
                              "vs refB, bench/calibration.py")
        final["held_out_ece"] = round(ece, 4)
        final["tagger"] = any("tagger" in r["x"] for r in rows)
        CALIBRATION_FILE.parent.mkdir(parents=True, exist_ok=True)
        CALIBRATION_FILE.write_text(json.dumps(final, indent=1, sort_keys=True) + "\n", encoding="utf-8")
        print(f"\nwrote {CALIBRATION_FILE.relative_to(ROOT)}")
    print(f"time: {time.perf_counter() - t0:.0f} s")


if __name__ == "__main__":
    main()
