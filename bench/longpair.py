"""The ~12,000-word long article pair: how long and how good is mtcheck's default output?

Usage::

    python bench/longpair.py PATH/ted_zhen.jsonl [--words 12000] [--seed 1] [--grammar]
                                                 [--min-confidence P] [--keep DIR]

Issue 11's "done when": the default output of a long article pair (several talks' MT
against refB, checked as documents, about 12,000 words) is short enough to read.

**The pair.** From the WMT21 TED zh-en MQM set (Freitag et al. 2021,
google/wmt-mqm-human-evaluation, Apache 2.0): a seeded shuffle (``--seed``) of the 65
(MT system, talk) documents, taken in that order while they fit (within 5% of
``--words`` candidate words; never the same talk twice in a row). The candidate article is
the chosen documents' MT segments, the reference article refB of the same segments;
segments are joined by a space (line breaks inside one become spaces) and every five
make a paragraph (blank line), so the check segments and aligns them itself (document mode, the real
aligner). Both files are written to ``--keep`` (default: a temporary directory).

**The check.** ``python -m mtcheck check REF CAND --json OUT`` with the defaults
(LanguageTool off unless ``--grammar``: it needs Java and is measured in its own
bench), run from this checkout.

**Printed.** The findings shown by default (above the default minimum confidence), per
rule and per 1,000 candidate words, and their precision against the MQM annotations: a
candidate finding is correct when it overlaps a target-side error span of a rater in
a segment it covers (document offsets are mapped back to segments); a reference-side
finding (an omission: MT206, MT207) is correct when a segment it covers has an
Accuracy/Omission annotation ("any error": any annotation at all). Random baselines: the
share of candidate words inside an annotated span, and the share of segments with an
Accuracy/Omission, and of a random span as long as the rule's findings on average.
Then the first lines of the default terminal output.
"""

from __future__ import annotations

import argparse
import bisect
import json
import os
import random
import re
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WORD = re.compile(r"[^\W_]+(?:['’\-][^\W_]+)*")
PER_PARAGRAPH = 5


def choose_documents(rows: list[dict], words: int, seed: int) -> list[dict]:
    """Seeded (system, talk) MT documents reaching about ``words`` candidate words.

    A seeded shuffle, taken in order; a document that would overshoot ``words`` by more
    than 5% is skipped, and a talk is not taken twice in a row.
    """
    mt = sorted((r for r in rows if not r["is_human_translation"]), key=lambda r: (r["system"], r["doc"]))
    random.Random(seed).shuffle(mt)
    chosen, n = [], 0
    for r in mt:
        size = sum(len(s["target"].split()) for s in r["segments"])
        if n + size > words * 1.05 or (chosen and chosen[-1]["doc"] == r["doc"]):
            continue
        chosen.append(r)
        n += size
        if n >= words * 0.95:
            break
    return chosen


def build(chosen: list[dict]) -> tuple[str, str, list[dict]]:
    """Reference and candidate texts and, per segment, its offsets in both and its MQM errors."""
    segs = []
    for r in chosen:
        for s in r["segments"]:
            # Line breaks inside a segment become spaces (same length: MQM offsets still hold).
            ref, cand = (re.sub(r"[\r\n\t]", " ", x) for x in (s["references"]["refB"], s["target"]))
            if ref.strip() and cand.strip():
                segs.append({"system": r["system"], "talk": r["doc"], "ref": ref, "cand": cand,
                             "errors": [e for ra in s["ratings"] for e in ra["errors"]]})

    def text(side: str) -> str:
        out, pos = [], 0
        for k, s in enumerate(segs):
            if k and k % PER_PARAGRAPH == 0:
                out.append("\n\n")
                pos += 2
            elif k:
                out.append(" ")
                pos += 1
            s[f"{side}_start"] = pos
            out.append(s[side])
            pos += len(s[side])
        return "".join(out) + "\n"

    return text("ref"), text("cand"), segs


def spans_in_document(seg: dict) -> list[tuple[int, int]]:
    """The segment's target-side error spans as candidate-document offsets."""
    return [(seg["cand_start"] + e["start"], seg["cand_start"] + e["end"]) for e in seg["errors"] if e["side"] == "target"]


def covered(starts: list[int], a: int, b: int) -> range:
    """Indices of the segments (by start offset) that ``[a, b)`` overlaps."""
    first = max(0, bisect.bisect_right(starts, a) - 1)
    last = max(first, bisect.bisect_left(starts, b) - 1)
    return range(first, last + 1)


CALIBRATED = ("MT206", "MT207")


def unpaired_labels(segs: list[dict], findings: list, ref_starts: list[int], cand_starts: list[int]) -> list[tuple[str, str, int]]:
    """(code, talk, label) of each MT206/MT207 finding, labelled as the confidence means it.

    MT207 (candidate side): an annotated target span overlaps the sentence. MT206
    (reference side): the segment(s) it covers have an annotated Accuracy error
    (``mtcheck.score.confidence``: the annotator marks an Accuracy error there).
    """
    out = []
    for f in findings:
        if f.code not in CALIBRATED:
            continue
        if f.side == "candidate":
            idx = covered(cand_starts, f.start, f.end)
            y = any(a < f.end and f.start < b for k in idx for a, b in spans_in_document(segs[k]))
        else:
            idx = covered(ref_starts, f.start, f.end)
            y = any(e["category"].startswith("Accuracy") for k in idx for e in segs[k]["errors"])
        out.append((f.code, segs[idx[0]]["talk"], int(y)))
    return out


def calibrate(rows: list[dict], write: bool) -> None:
    """Check each of the 65 MT documents alone (document mode) and measure MT206/MT207.

    Every finding is kept (``min_confidence=0``). Printed: per rule, findings and the
    share an annotator marks (as the confidence defines it), overall and on each talk
    left out (the rate of the other four talks, to show how stable it is). ``--write``
    stores the overall rates as those rules' models in ``mtcheck/score/calibration.json``
    (an intercept-only model, as ``bench/calibration.py`` fits for rules without
    features), replacing the unmeasured 0.5 prior.
    """
    import math

    sys.path.insert(0, str(ROOT))
    from mtcheck.align.embed import Encoder
    from mtcheck.pipeline import check_documents
    from mtcheck.settings import Settings
    from mtcheck.types import Document

    settings = Settings(grammar=False, fail_on=None, min_confidence=0.0)
    encoder = Encoder.from_settings(settings)
    labels = []
    docs = sorted((r for r in rows if not r["is_human_translation"]), key=lambda r: (r["system"], r["doc"]))
    t0 = time.process_time()
    for n, r in enumerate(docs, 1):
        ref_text, cand_text, segs = build([r])
        report = check_documents(Document("reference.txt", ref_text), Document("candidate.txt", cand_text),
                                 settings, encoder)
        labels += unpaired_labels(segs, report.findings, [s["ref_start"] for s in segs],
                                  [s["cand_start"] for s in segs])
        print(f"\r{n}/{len(docs)} documents ({time.process_time() - t0:.0f} CPU s)", end="", file=sys.stderr)
    print(file=sys.stderr)
    talks = sorted({r["doc"] for r in docs})
    print(f"## MT206/MT207 in document mode: {len(docs)} TED MT documents checked alone against refB "
          f"({time.process_time() - t0:.0f} CPU s)\n")
    print("| rule | findings | marked | rate | " + " | ".join(f"rate without {t}" for t in talks) + " |")
    print("|---|---|---|---|" + "---|" * len(talks))
    rates = {}
    for code in CALIBRATED:
        ys = [(talk, y) for c, talk, y in labels if c == code]
        pos, n = sum(y for _, y in ys), len(ys)
        rates[code] = (n, pos)
        loo = []
        for t in talks:
            rest = [y for talk, y in ys if talk != t]
            loo.append(f"{sum(rest) / len(rest):.2f}" if rest else "-")
        print(f"| {code} | {n} | {pos} | {pos / n if n else float('nan'):.2f} | " + " | ".join(loo) + " |")
    if write:
        path = ROOT / "mtcheck" / "score" / "calibration.json"
        data = json.loads(path.read_text(encoding="utf-8"))
        for code, (n, pos) in rates.items():
            if not n:
                continue
            p = min(max(pos / n, 0.01), 0.99)
            data["models"][code] = {"coef": [], "features": [], "intercept": round(math.log(p / (1 - p)), 6),
                                    "mean": [], "n": n, "positive": pos, "scale": [],
                                    "source": "bench/longpair.py --calibrate (document mode)"}
        path.write_text(json.dumps(data, indent=1) + "\n", encoding="utf-8")
        print(f"\nwrote the MT206/MT207 models to {path.relative_to(ROOT)}")


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("ted", type=Path, help="ted_zhen.jsonl of the MQM dev set")
    ap.add_argument("--words", type=int, default=12000, help="candidate words to reach")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--grammar", action="store_true", help="let the check run LanguageTool (default: --no-grammar)")
    ap.add_argument("--min-confidence", type=float, default=None, help="pass --min-confidence (default: the tool's)")
    ap.add_argument("--keep", type=Path, help="directory for the pair and the JSON report")
    ap.add_argument("--excerpt", type=int, default=25, help="lines of the terminal output to print")
    ap.add_argument("--calibrate", action="store_true",
                    help="instead: measure MT206/MT207 on each MT document alone (see calibrate())")
    ap.add_argument("--write", action="store_true", help="with --calibrate: store the rates in calibration.json")
    args = ap.parse_args(argv)

    rows = [json.loads(line) for line in args.ted.open(encoding="utf-8") if line.strip()]
    if args.calibrate:
        calibrate(rows, args.write)
        return
    chosen = choose_documents(rows, args.words, args.seed)
    ref_text, cand_text, segs = build(chosen)
    out = args.keep or Path(tempfile.mkdtemp(prefix="mtcheck-longpair-"))
    out.mkdir(parents=True, exist_ok=True)
    ref_path, cand_path, json_path = out / "reference.txt", out / "candidate.txt", out / "report.json"
    ref_path.write_text(ref_text, encoding="utf-8")
    cand_path.write_text(cand_text, encoding="utf-8")
    n_words = len(cand_text.split())
    print(f"command: python bench/longpair.py {' '.join(sys.argv[1:] if argv is None else argv)}")
    print(f"pair: {len(chosen)} MT documents (seed {args.seed}): "
          + ", ".join(f"{r['system']}/{r['doc']}" for r in chosen))
    print(f"      {len(segs)} segments, {n_words:,} candidate words, {len(ref_text.split()):,} reference words; "
          f"files in {out}")

    cmd = [sys.executable, "-m", "mtcheck", "check", str(ref_path), str(cand_path), "--json", str(json_path)]
    if not args.grammar:
        cmd.append("--no-grammar")
    if args.min_confidence is not None:
        cmd += ["--min-confidence", str(args.min_confidence)]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    t0, c0 = time.perf_counter(), os.times()
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env)
    c1 = os.times()
    if proc.returncode not in (0, 1):
        raise SystemExit(f"mtcheck exited {proc.returncode}: {proc.stderr.strip()[-500:]}")
    cpu = (c1.children_user - c0.children_user) + (c1.children_system - c0.children_system)
    print(f"check: {time.perf_counter() - t0:.1f} s wall, {cpu:.1f} CPU s (exit {proc.returncode}); "
          f"load average {os.getloadavg()[0]:.1f}\n")
    report = json.loads(json_path.read_text(encoding="utf-8"))

    cand_starts = [s["cand_start"] for s in segs]
    ref_starts = [s["ref_start"] for s in segs]
    spans = [spans_in_document(s) for s in segs]
    words_total = words_in = 0
    for s, sp in zip(segs, spans):
        base = s["cand_start"]
        for m in WORD.finditer(s["cand"]):
            words_total += 1
            words_in += any(a < base + m.end() and base + m.start() < b for a, b in sp)
    omission_share = sum(any(e["category"] == "Accuracy/Omission" for e in s["errors"]) for s in segs) / len(segs)
    any_share = sum(bool(s["errors"]) for s in segs) / len(segs)
    accuracy_share = sum(any(e["category"].startswith("Accuracy") for e in s["errors"]) for s in segs) / len(segs)

    # Random baseline for a span of k words: P(a random k-word window overlaps an annotated span).
    sys.path.insert(0, str(ROOT / "bench"))
    from detectors import window_baseline

    windows = window_baseline([(s["cand"], [(a - s["cand_start"], b - s["cand_start"]) for a, b in sp])
                               for s, sp in zip(segs, spans)], kmax=40)
    tally: dict[str, Counter] = defaultdict(Counter)
    for f in report["findings"]:
        t = tally[f["code"]]
        t["shown"] += 1
        t[f["severity"]] += 1
        t["confidence"] += f.get("confidence") or 0.0
        t["words"] += max(1, len(WORD.findall(f["text"])))
        if f["side"] == "candidate":
            idx = covered(cand_starts, f["start"], f["end"])
            t["hit"] += any(a < f["end"] and f["start"] < b for k in idx for a, b in spans[k])
        else:
            idx = covered(ref_starts, f["start"], f["end"])
            t["hit"] += any(e["category"] == "Accuracy/Omission" for k in idx for e in segs[k]["errors"])
            t["any"] += any(segs[k]["errors"] for k in idx)
            t["accuracy"] += any(e["category"].startswith("Accuracy") for k in idx for e in segs[k]["errors"])
    shown = sum(t["shown"] for t in tally.values())
    print(f"findings shown by default: {shown} ({1000 * shown / n_words:.1f} per 1,000 words); "
          f"document quality {report['score']['quality']}; gate {'passed' if report['score']['passed'] else 'failed'}")
    print(f"notices: {' | '.join(report['notices']) or '-'}\n")
    print("| rule | side | shown | per 1,000 words | minor/major/critical | mean confidence | precision | random (word / same-length span) |")
    print("|---|---|---|---|---|---|---|---|")
    sides = {f["code"]: f["side"] for f in report["findings"]}
    hits = 0
    for code in sorted(tally):
        t = tally[code]
        hits += t["hit"]
        side = sides[code]
        k = min(max(1, round(t["words"] / t["shown"])), max(windows))
        base = (f"{words_in / words_total:.2f} (word) / {windows[k]:.2f} ({k}-word span)" if side == "candidate"
                else f"{omission_share:.2f} (omission)")
        prec = f"{t['hit'] / t['shown']:.2f}"
        if side == "reference":
            prec += (f" (Accuracy error {t['accuracy'] / t['shown']:.2f}, random {accuracy_share:.2f}; "
                     f"any error {t['any'] / t['shown']:.2f}, random {any_share:.2f})")
        print(f"| {code} | {side} | {t['shown']} | {1000 * t['shown'] / n_words:.1f} | "
              f"{t['minor']}/{t['major']}/{t['critical']} | {t['confidence'] / t['shown']:.2f} | {prec} | {base} |")
    if shown:
        print(f"| all | | {shown} | {1000 * shown / n_words:.1f} | | | {hits / shown:.2f} | |")
    print(f"\nRandom: {words_in:,} of {words_total:,} candidate words ({words_in / words_total:.1%}) lie in an "
          f"annotated span; {omission_share:.1%} of segments have an Accuracy/Omission, {any_share:.1%} any error.")
    lines = proc.stdout.splitlines()
    print(f"\n### Default terminal output: first {min(args.excerpt, len(lines))} of {len(lines)} lines\n")
    print("\n".join(lines[: args.excerpt]))


if __name__ == "__main__":
    main()
