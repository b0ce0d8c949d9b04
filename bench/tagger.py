"""Measure the learned error tagger (MT121/MT221) and mtcheck's default output on the fixture.

Usage::

    python bench/tagger.py heldout PATH/ted_zhen.jsonl   # leave-one-talk-out P/R vs random
    python bench/tagger.py false-alarms PATH/ted_zhen.jsonl  # refB checked against refA
    python bench/tagger.py mt205 PATH/ted_zhen.jsonl [--systems 3]  # MT205 vs the tagger floor
    python bench/tagger.py cost                            # ms per sentence on top of the encoder
    python bench/tagger.py fixture                         # default output vs tests/data/fixture-gold.jsonl

**heldout** retrains the shipped recipe (``train/tagger.py``: same features, layer, seed)
five times, each time holding out one TED talk, and scores the held-out talk's MT words
(all 13 systems, reference refB): word precision against the random baseline (share of
words inside any annotated error span), recall of Fluency/Grammar + Fluency/Spelling
spans, per-category span recall at the default threshold, and the rule's own spans.
**false-alarms** checks the human translation refB (never trained on) against refA, line
by line, with the tagger rules and with every default rule. **cost** times
``Encoder.token_states`` and the tagger's own work on the fixture's sentences. **fixture**
runs ``mtcheck check`` (default settings, no LanguageTool) on the fixture pair and scores
the findings against the editor's gold annotation.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import Counter
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "train"))

FIXTURES = ROOT / "fixtures"
GOLD = ROOT / "tests" / "data" / "fixture-gold.jsonl"


def heldout(args) -> None:
    import tagger as train  # train/tagger.py

    from mtcheck.detect.rules.tagged import DEFAULT_THRESHOLD
    from mtcheck.detect.tagger import HERE, ConvTaggerModel, model

    mid = model().layers[1]
    items = train.load(args.path)
    cache = args.cache or f"/tmp/tagger-states-{args.backend}.npz"
    st = train.states([it["text"] for it in items] + [it["ref"] for it in items], cache, backend=args.backend)
    from mtcheck.detect.tagger.features import without_reference

    if isinstance(model(), ConvTaggerModel):  # the conv recipe, with the settings training.json records
        opts = json.loads((HERE / "training.json").read_text())["options"]
        x, y, where, mask = train.build(items, st, mid, model().extended, sentences=True)
        p, pn, _ep = train.cv_conv(items, sorted({it["talk"] for it in items}), x, y, where, mask, opts, mid,
                                   model().extended, blind=True)
        p, pn, where, y = p[mask], pn[mask], [where[k] for k in np.flatnonzero(mask)], y[mask]
        del x
    else:
        x, y, where = train.build(items, st, mid, model().extended)
        p = np.zeros(len(y))
        pn = np.zeros(len(y))
        for talk in sorted({it["talk"] for it in items}):
            tr = np.array([items[i]["talk"] != talk for i, _ in where])
            m = train.fit_rows(x, y, where, items, tr, args.share or train.SHARE, args.hidden)
            p[~tr] = train.predict(m, x[~tr])
            pn[~tr] = train.predict(m, without_reference(x[~tr]))
    ths = [0.3, 0.4, 0.5, 0.6, 0.7, 0.8]
    for label, probs in (("with the aligned reference", p), ("without a reference", pn)):
        print(f"\n### Held-out talks, MT words {label} (13 systems x 5 talks, leave-one-talk-out)\n")
        print("| threshold | flagged words | precision | random | lift | Grammar+Spelling span recall |")
        print("|---|---|---|---|---|---|")
        for th, n, prec, base, lift, rec in train.evaluate(items, where, y, probs, ths):
            mark = " ← default" if abs(th - DEFAULT_THRESHOLD) < 1e-9 else ""
            print(f"| {th:.2f}{mark} | {n:,} | {prec:.3f} | {base:.3f} | {lift:.2f}× | {rec:.1%} |")
    # Per-category span recall at the default threshold (aligned).
    hit, tot = Counter(), Counter()
    flagged = {k for k in range(len(y)) if p[k] >= DEFAULT_THRESHOLD}
    by_item: dict[int, list] = {}
    for k in flagged:
        by_item.setdefault(where[k][0], []).append(where[k][1])
    for i, it in enumerate(items):
        if it["human"]:
            continue
        for (a, b), cat in zip(it["spans"], it["cats"]):
            tot[cat] += 1
            hit[cat] += any(x0 < b and a < y0 for x0, y0 in by_item.get(i, []))
    print(f"\n### Span recall per category at the default threshold {DEFAULT_THRESHOLD}\n")
    print("| category | spans | recall |")
    print("|---|---|---|")
    for cat, n in tot.most_common(10):
        print(f"| {cat} | {n:,} | {hit[cat] / n:.1%} |")


def false_alarms(args) -> None:
    from detectors import CachingEncoder, check_lines, load_ted, words_in

    from mtcheck.detect import select_rules

    rows = load_ted(args.path)
    talks = {}
    for r in rows:
        talks.setdefault(r["doc"], r)
    enc = CachingEncoder()
    default = select_rules()
    counts, words = Counter(), 0
    for _talk, r in sorted(talks.items()):
        refa = [s["references"]["refA"] for s in r["segments"]]
        refb = [s["references"]["refB"] for s in r["segments"]]
        words += sum(words_in(x) for x in refb)
        findings, *_ = check_lines(refa, refb, enc, default)
        for f in findings:
            counts[f.code] += 1
    print(f"\n### False alarms: refB checked against refA ({len(talks)} talks, {words:,} words, default rules)\n")
    print("| rule | findings | per 1,000 words |")
    print("|---|---|---|")
    for code, n in sorted(counts.items()):
        print(f"| {code} | {n} | {1000 * n / words:.1f} |")
    total = sum(counts.values())
    print(f"| all default rules | {total} | {1000 * total / words:.1f} |")


def _mt205_scored(ref_lines, cand_lines, enc):
    """MT205's findings without the tagger floor, each with the tagger's span probability."""
    from mtcheck.align.aligner import align_lines
    from mtcheck.detect import run_rules
    from mtcheck.detect.base import CheckContext
    from mtcheck.detect.rules.support import UnsupportedWord
    from mtcheck.detect.tagger import span_probability
    from mtcheck.segment import line_sentences
    from mtcheck.types import Document

    def doc(lines, name):
        starts, pos = [], 0
        for x in lines:
            starts.append(pos)
            pos += len(x) + 1
        return Document(path=name, text="\n".join(lines)), starts

    ref, _ = doc([x.replace("\n", " ") for x in ref_lines], "reference")
    cand, cs = doc([x.replace("\n", " ") for x in cand_lines], "candidate")
    beads, parallel = align_lines(line_sentences(ref), line_sentences(cand), None)
    ctx = CheckContext(ref, cand, beads, parallel, encoder=enc,
                       options={"MT205": {"min_tagger_probability": 0.0}})
    out = []
    for f in run_rules(ctx, [UnsupportedWord]):
        out.append((f, span_probability(ctx, f.start, f.end) or 0.0))
    return out, cs


def mt205(args) -> None:
    import bisect

    from detectors import CachingEncoder, load_ted, mt_documents, words_in

    rows = load_ted(args.path)
    enc = CachingEncoder()
    from mtcheck.detect.tagger import model

    enc.want_layers(model().layers)
    floors = [0.0, 0.1, 0.15, 0.2, 0.25, 0.3, 0.35]
    systems, docs = mt_documents(rows, args.systems, args.seed)
    ted = []  # (probability, correct, G+S span ids)
    n_gs = 0
    for r in docs:
        segs = r["segments"]
        scored, cs = _mt205_scored([s["references"]["refB"] for s in segs], [s["target"] for s in segs], enc)
        base = len(ted)
        for i, s in enumerate(segs):
            n_gs += sum(e["category"] in ("Fluency/Grammar", "Fluency/Spelling") and e["side"] == "target"
                        for ra in s["ratings"] for e in ra["errors"])
        for f, p in scored:
            i = bisect.bisect_right(cs, f.start) - 1
            a, b = f.start - cs[i], f.end - cs[i]
            errs = [e for ra in segs[i]["ratings"] for e in ra["errors"] if e["side"] == "target"]
            hit = any(e["start"] < b and a < e["end"] for e in errs)
            gs = {(r["system"], r["doc"], i, k) for k, e in enumerate(errs)
                  if e["category"] in ("Fluency/Grammar", "Fluency/Spelling") and e["start"] < b and a < e["end"]}
            ted.append((p, hit, gs))
        del base
    talks = {}
    for r in rows:
        talks.setdefault(r["doc"], r)
    fa, words = [], 0
    for _t, r in sorted(talks.items()):
        segs = r["segments"]
        refb = [s["references"]["refB"] for s in segs]
        words += sum(words_in(x) for x in refb)
        scored, _ = _mt205_scored([s["references"]["refA"] for s in segs], refb, enc)
        fa += [p for _f, p in scored]
    print(f"\n### MT205 with the tagger floor (min_tagger_probability): TED MT, {len(systems)} systems "
          f"({', '.join(systems)}); refB against refA, {words:,} words\n")
    print("| floor | MT205 flags (TED MT) | precision | G+S span recall | refB-vs-refA flags | per 1,000 words |")
    print("|---|---|---|---|---|---|")
    for fl in floors:
        kept = [t for t in ted if t[0] >= fl]
        prec = sum(t[1] for t in kept) / max(1, len(kept))
        gs = set().union(*[t[2] for t in kept]) if kept else set()
        nfa = sum(p >= fl for p in fa)
        print(f"| {fl:.2f} | {len(kept):,} | {prec:.3f} | {len(gs) / max(1, n_gs):.1%} | {nfa} | {1000 * nfa / words:.1f} |")
    print("\n(the shipped tagger was trained on these TED talks' MT: the TED columns are in-sample for it; "
          "refB was never trained on)")


def cost(args) -> None:
    import os

    from mtcheck.align.embed import Encoder
    from mtcheck.detect.tagger import model, tag
    from mtcheck.segment import segment
    from mtcheck.types import Document

    texts = []
    for name in ("istanbul-talks.garbled-mt.txt", "kurdistan24-istanbul-talks.clean.txt"):
        doc = segment(Document(name, (FIXTURES / name).read_text(encoding="utf-8")))
        texts += [s.text for s in doc.sentences]
    m = model()
    enc = Encoder()
    enc.want_layers(m.layers)  # as the pipeline does when a rule reads the tagger
    enc.encode(texts[:2])  # load
    t0 = time.perf_counter()
    enc.encode(texts)
    t_enc = time.perf_counter() - t0
    t0 = time.perf_counter()
    enc.token_states(texts, m.layers)
    t_states = time.perf_counter() - t0
    refs = [texts[-1]] * len(texts)
    tag(enc, texts, refs, m)  # loads the lexicons (wordfreq, Hunspell: MT111 loads them anyway)
    t0, c0 = time.perf_counter(), time.process_time()
    for _ in range(args.repeat):
        tag(enc, texts, refs, m)  # states memoised: features + MLP only
    t_tag = (time.perf_counter() - t0) / args.repeat
    c_tag = (time.process_time() - c0) / args.repeat
    n = len(texts)
    print(f"{n} sentences (the fixture pair); load {os.getloadavg()[0]:.1f} (1-min average, shared machine)")
    print(f"sentence embeddings (encoder, keeping the layers): {1000 * t_enc / n:.1f} ms/sentence")
    print(f"token_states, layers {m.layers} (same pass, memo): {1000 * t_states / n:.1f} ms/sentence")
    print(f"tagger features + MLP:               {1000 * t_tag / n:.2f} ms/sentence "
          f"({1000 * c_tag / n:.2f} ms CPU)")


def fixture(args) -> None:
    from mtcheck.pipeline import run_check
    from mtcheck.settings import Settings

    gold = [json.loads(x) for x in GOLD.read_text(encoding="utf-8").splitlines() if x.strip()]
    errors = [g for g in gold if g["error"]]
    fine = [g for g in gold if not g["error"]]
    rep = run_check(str(FIXTURES / "kurdistan24-istanbul-talks.clean.txt"),
                    str(FIXTURES / "istanbul-talks.garbled-mt.txt"),
                    Settings(grammar=args.grammar, select=args.select or [],
                             **({} if args.min_confidence is None else {"min_confidence": args.min_confidence})))
    cand = [f for f in rep.findings if f.side == "candidate" and not f.suppressed]

    def over(f, g):
        return f.start < g["end"] and g["start"] < f.end

    correct = [f for f in cand if any(over(f, g) for g in errors)]
    on_fine = [f for f in cand if any(over(f, g) for g in fine) and f not in correct]
    found = [g for g in errors if any(over(f, g) for f in cand)]
    by_code = Counter(f.code for f in cand)
    ok_code = Counter(f.code for f in correct)
    sel = ",".join(args.select) if args.select else "default rules"
    if args.min_confidence is not None:
        sel += f", min confidence {args.min_confidence}"
    print(f"\n### Fixture pair vs the editor's gold ({len(errors)} errors, {len(fine)} marked non-errors; "
          f"{sel}, LanguageTool {'on' if args.grammar else 'off'})\n")
    print(f"candidate findings {len(cand)}: precision {len(correct) / max(1, len(cand)):.2f}, "
          f"recall {len(found)}/{len(errors)} = {len(found) / len(errors):.2f}; "
          f"findings on marked non-errors: {len(on_fine)}")
    print("\n| rule | findings | on a gold error |")
    print("|---|---|---|")
    for code, n in sorted(by_code.items()):
        print(f"| {code} | {n} | {ok_code[code]} |")
    if args.verbose:
        for f in cand:
            mark = "ok " if f in correct else ("NON" if f in on_fine else " - ")
            print(f"  {mark} {f.code} {f.text!r}")
        for g in errors:
            if g not in found:
                print(f"  missed: {g['span']!r} ({g['category']})")


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = ap.add_subparsers(dest="part", required=True)
    h = sub.add_parser("heldout")
    h.add_argument("path")
    h.add_argument("--cache", default=None, help="states cache (default /tmp/tagger-states-BACKEND.npz)")
    h.add_argument("--backend", default="onnx-int8", help="encoder of the states (the product's default)")
    h.add_argument("--hidden", type=int, default=32)
    h.add_argument("--share", type=float, default=None, help="default: train/tagger.py's")
    f = sub.add_parser("false-alarms")
    f.add_argument("path")
    m = sub.add_parser("mt205")
    m.add_argument("path")
    m.add_argument("--systems", type=int, default=3)
    m.add_argument("--seed", type=int, default=1)
    c = sub.add_parser("cost")
    c.add_argument("--repeat", type=int, default=5)
    x = sub.add_parser("fixture")
    x.add_argument("--grammar", action="store_true", help="with LanguageTool (needs Java)")
    x.add_argument("--select", nargs="*")
    x.add_argument("--min-confidence", type=float, help="default: the product's default")
    x.add_argument("-v", "--verbose", action="store_true")
    args = ap.parse_args(argv)
    {"heldout": heldout, "false-alarms": false_alarms, "mt205": mt205, "cost": cost, "fixture": fixture}[args.part](args)


if __name__ == "__main__":
    main()
