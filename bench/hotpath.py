"""CPU per sentence of each pipeline stage outside the encoder, in one warm process.

Usage:
    python bench/hotpath.py PATH/ted_zhen.jsonl [--docs 29] [--modes documents,aligned]
                            [--save FILE | --compare FILE] [--profile N]

Runs ``--docs`` TED documents (real MT against refB, the first documents of the MT
systems ``bench/detectors.py`` samples with ``--systems`` and ``--seed``) through
``mtcheck.pipeline.check_documents`` with one shared Encoder, ``--no-grammar``, no
cache: as documents (five segments a paragraph, as ``bench/scaling.py`` writes them)
and line-aligned (``--aligned``). The fixture pair runs too, as documents. One warm-up
check first (model, rule data and lexicons loaded: not counted).

Prints CPU milliseconds per sentence (``time.process_time``: other processes' load
inflates wall time, not this) per stage: segment, align, metrics, each rule, the error
tagger, confidence, score, the token match, and the encoder's own forward passes (``OnnxModel.forward``,
wherever it is called from) apart. Each figure is exclusive: the encoder's time inside
align or a rule is counted as encoder, the tagger's inside a rule as tagger. "Sentences"
are both sides' sentences.

``--save FILE`` writes every report (JSON report minus ``timings``) as JSON lines;
``--compare FILE`` checks that this run's reports are identical to a saved run's and
prints the first differences and, per differing field, how many values differ and the
largest change (exit 1 if any): the before/after check of a speed-up.
``--profile N`` also prints cProfile's top N functions by self time.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

REF = ROOT / "fixtures" / "kurdistan24-istanbul-talks.clean.txt"
CAND = ROOT / "fixtures" / "istanbul-talks.garbled-mt.txt"


class Meter:
    """Exclusive CPU time per label of nested wrapped calls."""

    def __init__(self):
        self.cpu: dict[str, float] = defaultdict(float)
        self.calls: dict[str, int] = defaultdict(int)
        self._stack: list[list] = []  # [label, start, child time]

    def wrap(self, owner, attr: str, label: str, consume: bool = False) -> None:
        orig = getattr(owner, attr)
        meter = self

        def wrapped(*args, **kwargs):
            meter._stack.append([label, time.process_time(), 0.0])
            try:
                out = orig(*args, **kwargs)
                return list(out) if consume else out
            finally:
                lab, t0, child = meter._stack.pop()
                spent = time.process_time() - t0
                meter.cpu[lab] += spent - child
                meter.calls[lab] += 1
                if meter._stack:
                    meter._stack[-1][2] += spent

        setattr(owner, attr, wrapped)


def instrument(meter: Meter) -> None:
    import mtcheck.align.aligner as aligner
    import mtcheck.detect.tagger as tagger
    import mtcheck.pipeline as pipeline
    import mtcheck.score.gate as gate
    import mtcheck.score.metrics as metrics
    import mtcheck.score.token_match as token_match
    from mtcheck.align.onnx_encoder import OnnxModel
    from mtcheck.detect import all_rules

    meter.wrap(OnnxModel, "forward", "encoder")
    meter.wrap(pipeline, "segment", "segment")
    meter.wrap(pipeline, "line_sentences", "segment")
    meter.wrap(aligner, "align_documents", "align")
    meter.wrap(aligner, "align_lines", "align")
    meter.wrap(metrics, "compute_metrics", "metrics")
    meter.wrap(tagger, "tag_context", "tagger")
    meter.wrap(pipeline, "_with_confidence", "confidence")
    meter.wrap(gate, "score", "score")
    meter.wrap(token_match, "bead_matches", "token match")
    for rule in all_rules():
        meter.wrap(rule, "check", f"rule {rule.code}", consume=True)


def ted_pairs(path: str, n_docs: int, systems: int, seed: int) -> list[tuple[str, list[str], list[str]]]:
    from detectors import load_ted, mt_documents

    _, docs = mt_documents(load_ted(path), systems, seed)
    out = []
    for d in docs[:n_docs]:
        refs = [s["references"]["refB"] for s in d["segments"]]
        cands = [s["target"] for s in d["segments"]]
        out.append((f"{d['system']}/{d['doc']}", refs, cands))
    return out


def as_documents(segments: list[str], per_paragraph: int = 5) -> str:
    paras = [" ".join(segments[i : i + per_paragraph]) for i in range(0, len(segments), per_paragraph)]
    return "\n\n".join(paras) + "\n"


def comparable(report) -> dict:
    from mtcheck.report.json import report_to_dict

    data = report_to_dict(report)
    data.pop("timings")
    for b in data["backends"].values():
        b.pop("seconds", None)
        b.pop("startup_seconds", None)
    return data


def differences(a, b, path: str = "", out: list | None = None) -> list[tuple[str, object, object]]:
    """(path, saved value, new value) of every leaf that differs."""
    out = [] if out is None else out
    if isinstance(a, dict) and isinstance(b, dict):
        for k in sorted(set(a) | set(b)):
            differences(a.get(k), b.get(k), f"{path}.{k}", out)
    elif isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        for i, (x, y) in enumerate(zip(a, b)):
            differences(x, y, f"{path}[{i}]", out)
    elif a != b:
        out.append((path, a, b))
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("ted", help="PATH/ted_zhen.jsonl (WMT21 TED zh-en MQM)")
    ap.add_argument("--docs", type=int, default=29)
    ap.add_argument("--systems", type=int, default=4)
    ap.add_argument("--seed", type=int, default=13)
    ap.add_argument("--modes", default="documents,aligned")
    ap.add_argument("--save")
    ap.add_argument("--compare")
    ap.add_argument("--profile", type=int, default=0)
    args = ap.parse_args()

    import os

    from mtcheck.align.embed import Encoder
    from mtcheck.pipeline import check_documents
    from mtcheck.settings import Settings
    from mtcheck.types import Document

    encoder = Encoder()
    modes = [m for m in args.modes.split(",") if m]
    jobs = [("fixture", "documents", REF.read_text(encoding="utf-8"), CAND.read_text(encoding="utf-8"))]
    for name, refs, cands in ted_pairs(args.ted, args.docs, args.systems, args.seed):
        for mode in modes:
            if mode == "documents":
                jobs.append((name, mode, as_documents(refs), as_documents(cands)))
            else:
                jobs.append((name, mode, "\n".join(refs) + "\n", "\n".join(cands) + "\n"))

    def check(ref_text: str, cand_text: str, mode: str):
        settings = Settings(grammar=False, cache=False, aligned=(mode == "aligned"))
        return check_documents(Document("reference.txt", ref_text), Document("candidate.txt", cand_text), settings, encoder)

    check(jobs[0][2], jobs[0][3], "documents")  # warm-up: model, rule data, lexicons
    for memo in (encoder._memo, encoder._tok_memo, encoder._state_memo):
        memo.clear()

    meter = Meter()
    instrument(meter)
    profiler = None
    if args.profile:
        import cProfile

        profiler = cProfile.Profile()
    load0 = os.getloadavg()[0]
    sentences: dict[str, int] = defaultdict(int)
    reports = []
    c0, w0 = time.process_time(), time.perf_counter()
    if profiler:
        profiler.enable()
    for name, mode, ref_text, cand_text in jobs:
        report = check(ref_text, cand_text, mode)
        sentences[mode] += len(report.reference.sentences) + len(report.candidate.sentences)
        reports.append({"name": name, "mode": mode, "report": comparable(report)})
    if profiler:
        profiler.disable()
    cpu, wall = time.process_time() - c0, time.perf_counter() - w0
    n = sum(sentences.values())

    print(f"## bench/hotpath.py: {len(jobs)} checks ({', '.join(f'{m} {k}' for m, k in sentences.items())} "
          f"sentences, both sides), --no-grammar, one warm process")
    print(f"load average {load0:.1f} at start, {os.getloadavg()[0]:.1f} at end; "
          f"{cpu:.2f} s CPU, {wall:.2f} s wall\n")
    print("| stage | CPU ms / sentence | CPU s | calls |")
    print("|---|---|---|---|")
    measured = sum(meter.cpu.values())
    rows = sorted(meter.cpu.items(), key=lambda kv: (kv[0] == "encoder", kv[0].startswith("rule"), kv[0]))
    for label, secs in rows:
        print(f"| {label} | {1000 * secs / n:.3f} | {secs:.2f} | {meter.calls[label]} |")
    other = cpu - measured
    print(f"| other (pipeline glue, findings, report) | {1000 * other / n:.3f} | {other:.2f} | |")
    outside = cpu - meter.cpu["encoder"]
    print(f"| **everything but the encoder** | **{1000 * outside / n:.3f}** | {outside:.2f} | |")
    print(f"| **total** | **{1000 * cpu / n:.3f}** | {cpu:.2f} | |")
    if meter.cpu["encoder"]:
        print(f"\nend to end = {meter.cpu['encoder'] / cpu:.0%} of the bare encoder's rate (CPU)")

    if profiler:
        import pstats

        print()
        pstats.Stats(profiler).sort_stats("tottime").print_stats(args.profile)

    if args.save:
        with open(args.save, "w", encoding="utf-8") as fh:
            for r in reports:
                fh.write(json.dumps(r, sort_keys=True) + "\n")
        print(f"\nsaved {len(reports)} reports to {args.save}")
    if args.compare:
        with open(args.compare, encoding="utf-8") as fh:
            saved = [json.loads(line) for line in fh if line.strip()]
        bad = 0
        fields: dict[str, list[float]] = defaultdict(list)  # differing field -> largest change
        if len(saved) != len(reports):
            print(f"\n{len(saved)} saved reports, {len(reports)} now: run with the same arguments")
            return 1
        for old, new in zip(saved, reports):
            new = json.loads(json.dumps(new, sort_keys=True))
            diffs = differences(old, new)
            if diffs:
                bad += 1
                print(f"\nDIFFERENT {new['name']} ({new['mode']}), {len(diffs)} value(s), first ones:")
                for path, a, b in diffs[:6]:
                    print(f"  {path}: {json.dumps(a)[:200]} != {json.dumps(b)[:200]}")
            for path, a, b in diffs:
                num = isinstance(a, (int, float)) and isinstance(b, (int, float))
                fields[re.sub(r"\[\d+\]", "[]", path)].append(abs(a - b) if num else float("inf"))
        print(f"\ncompared {len(reports)} reports with {args.compare}: "
              + ("all identical" if not bad else f"{bad} differ"))
        for field, changes in sorted(fields.items()):
            print(f"  {field}: {len(changes)} value(s), largest change {max(changes):.3g}")
        return 1 if bad else 0
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
