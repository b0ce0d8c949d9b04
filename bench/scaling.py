"""How mtcheck's cost grows with article length: time and peak memory, ~1k to 64k words.

Usage:
    python bench/scaling.py /work/shared/data/mqm-ted-zhen/ted_zhen.jsonl \
        [--words 1000,4000,16000,64000] [--repeat 1] [--profile]

Builds article pairs from the WMT21 TED zh-en MQM dev set (its path as the argument: it
lives outside the project): the candidate is the MT output of several systems, talk
after talk, the reference refB's (and refA's, when a talk comes round again with another
system) text of the same segments. As documents, segments are joined into paragraphs of
five (blank line between paragraphs), so that the segmenter and aligner do the work a
real article needs; with ``--aligned``, one segment per line on both sides.

For each size and mode it runs ``mtcheck check --no-grammar --no-cache -q --json`` in a
new process and prints the wall time, the peak RSS (the process tree, sampled from
/proc), the sentences/beads of the report, the CPU seconds of the process (far less
inflated than wall time by other load), the growth factor of those CPU seconds against
the previous size (with linear cost it tracks the words ratio, x4 per row; n log n would
add a few percent a row) and the time per stage (the report's timings, wall seconds).
``--cpu-stages`` runs each size once more in a new process that times the same
pipeline in CPU seconds per stage (``stage_cpu``: on a shared machine the comparable
figure), with the encoder's own forward passes apart ("encoder", and "rest": everything
else of the check, the part that is not the model; "texts encoded" / "tokens encoded" (special tokens included): sentences and joins
run through the model, each once when nothing is computed twice); with ``--warm`` the
same check once more in that process ("warm check": every text memoised, the imports and
one-time loads done, so nearly all of it is the non-model work that grows with length). ``--profile`` prints cProfile's top functions of the largest documents run.

The ~12,000-word row (``--words 12000``) is the issue's "long article pair" target (<= 4 s
as documents).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from speed import LAST_CPU, run_sampled

MTCHECK = [sys.executable, "-m", "mtcheck"]


def build_pair(ted: Path, words: int) -> tuple[list[str], list[str]]:
    """Reference and candidate segments (line-aligned) of about ``words`` candidate words."""
    rows = [json.loads(line) for line in ted.open(encoding="utf-8")]
    systems = sorted({r["system"] for r in rows if not r["is_human_translation"]})
    talks = sorted({r["doc"] for r in rows})
    by = {(r["system"], r["doc"]): r for r in rows}
    ref, cand, n, rnd = [], [], 0, 0
    while n < words:
        system = systems[rnd % len(systems)]
        ref_name = "refB" if rnd % 2 == 0 else "refA"
        for talk in talks:
            for seg in by[(system, talk)]["segments"]:
                r, c = seg["references"][ref_name].strip(), seg["target"].strip()
                if not r or not c:
                    continue
                ref.append(r)
                cand.append(c)
                n += len(c.split())
                if n >= words:
                    return ref, cand
        rnd += 1
    return ref, cand


def write_documents(path: Path, segments: list[str], per_paragraph: int = 5) -> None:
    paras = [" ".join(segments[i : i + per_paragraph]) for i in range(0, len(segments), per_paragraph)]
    path.write_text("\n\n".join(paras) + "\n", encoding="utf-8")


def run(ref: Path, cand: Path, aligned: bool, out: Path, env: dict) -> dict:
    cmd = [*MTCHECK, "check", str(ref), str(cand), "--no-grammar", "--no-cache", "-q", "--json", str(out)]
    if aligned:
        cmd.append("--aligned")
    wall, (rss_kb, _pss), code = run_sampled(cmd, env)
    if code not in (0, 1):
        raise SystemExit(f"mtcheck exited {code} on {cand}")
    report = json.loads(out.read_text(encoding="utf-8"))
    return {"wall": wall, "cpu": LAST_CPU[0], "rss_mb": rss_kb / 1024, "report": report}


def stage_cpu(ref: Path, cand: Path, aligned: bool, warm: bool = False) -> dict[str, float]:
    """CPU seconds (all threads) of each stage of one check, run in this process with
    the CLI's ``--no-grammar --no-cache`` settings: the pipeline's own stage timer, with
    the process CPU clock in place of the wall clock."""
    import time
    from types import SimpleNamespace

    from mtcheck import pipeline
    from mtcheck.settings import Settings

    from mtcheck.align.embed import Encoder

    pipeline.time = SimpleNamespace(perf_counter=time.process_time)
    forward = _time_forward_passes()
    settings = Settings(aligned=aligned, grammar=False, cache=False)
    encoder = Encoder.from_settings(settings)
    with encoder.holding():  # keeps every text for the warm run below
        t0 = time.process_time()
        report = pipeline.run_check(str(ref), str(cand), settings, encoder)
        total = time.process_time() - t0
        tokens = sum(len(e.ids) for e in encoder.onnx.tokenizer.encode_batch(forward["seen"])) if forward["seen"] else 0
        out = {"total": total, "encoder": forward["cpu"], "rest": total - forward["cpu"],
               "texts encoded": forward["texts"], "tokens encoded": tokens, **report.timings}
        if warm:  # the same check again: every text memoised, imports and loads done
            t0 = time.process_time()
            pipeline.run_check(str(ref), str(cand), settings, encoder)
            out["warm check"] = time.process_time() - t0
    return out


def _time_forward_passes() -> dict:
    """Count the CPU seconds (all threads) and texts of the encoder's own forward passes
    (tokenizer, ONNX run, pooling: ``OnnxModel.forward``) from now on; everything else
    of a check is "rest"."""
    import time

    from mtcheck.align import onnx_encoder

    spent = {"cpu": 0.0, "texts": 0, "seen": []}  # seen: the texts, to count their tokens afterwards
    forward = onnx_encoder.OnnxModel.forward

    def timed(self, texts, *args, **kwargs):
        t0 = time.process_time()
        try:
            return forward(self, texts, *args, **kwargs)
        finally:
            spent["cpu"] += time.process_time() - t0
            spent["texts"] += len(texts)
            spent["seen"].extend(texts)

    onnx_encoder.OnnxModel.forward = timed
    return spent


def main() -> None:
    if sys.argv[1:2] == ["--stage-cpu"]:  # python bench/scaling.py --stage-cpu REF CAND [--aligned]
        print(json.dumps(stage_cpu(Path(sys.argv[2]), Path(sys.argv[3]), "--aligned" in sys.argv[4:], "--warm" in sys.argv[4:])))
        return
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("ted", type=Path, help="ted_zhen.jsonl of the MQM dev set")
    ap.add_argument("--words", default="1000,4000,16000,64000", help="article sizes in candidate words")
    ap.add_argument("--repeat", type=int, default=1, help="runs per size (median)")
    ap.add_argument("--modes", default="documents,aligned", help="documents, aligned or both")
    ap.add_argument("--profile", action="store_true", help="cProfile the largest documents run")
    ap.add_argument("--cpu-stages", action="store_true", help="also time each stage in CPU seconds (one more run)")
    ap.add_argument("--warm", action="store_true",
                    help="with --cpu-stages: time the same check again in that process, every text memoised "
                         "(what a check costs without the model and the one-time loads)")
    args = ap.parse_args()
    sizes = [int(w) for w in args.words.split(",")]
    modes = args.modes.split(",")
    tmp = Path(tempfile.mkdtemp(prefix="mtcheck-scaling-"))
    env = dict(os.environ, MTCHECK_CACHE_DIR=str(tmp / "cache"))
    print(f"machine: {os.cpu_count()} cores; load average {os.getloadavg()[0]:.2f} at start "
          "(wall time and the report's stage timings inflate with other load; CPU seconds far less)")
    print(f"{'words':>7} {'mode':>9} {'sent ref/cand':>14} {'beads':>6} {'time s':>7} {'CPU s':>7} "
          f"{'x CPU':>7} {'x words':>7} {'RSS MB':>7}  stages (wall s)")
    for mode in modes:
        prev = None
        for words in sizes:
            ref_segs, cand_segs = build_pair(args.ted, words)
            ref, cand = tmp / f"ref-{words}.txt", tmp / f"cand-{words}.txt"
            if mode == "aligned":
                ref.write_text("\n".join(ref_segs) + "\n", encoding="utf-8")
                cand.write_text("\n".join(cand_segs) + "\n", encoding="utf-8")
            else:
                write_documents(ref, ref_segs)
                write_documents(cand, cand_segs)
            n_words = sum(len(s.split()) for s in cand_segs)
            if args.profile and mode == "documents" and words == sizes[-1]:
                prof = tmp / "profile.out"
                subprocess.run([sys.executable, "-m", "cProfile", "-o", str(prof), "-m", "mtcheck", "check",
                                str(ref), str(cand), "--no-grammar", "--no-cache", "-q"], env=env, check=False)
                import pstats

                pstats.Stats(str(prof)).sort_stats("cumulative").print_stats(35)
            runs = [run(ref, cand, mode == "aligned", tmp / f"r-{mode}-{words}.json", env) for _ in range(args.repeat)]
            wall = statistics.median(r["wall"] for r in runs)
            rss = max(r["rss_mb"] for r in runs)
            cpu = statistics.median(r["cpu"] for r in runs)
            rep = runs[0]["report"]
            timings = rep.get("timings", {})
            beads = len(rep.get("alignment", []))
            sents = f"{_n(rep['reference']['sentences'])}/{_n(rep['candidate']['sentences'])}"
            xt = f"{cpu / prev[1]:.2f}" if prev else "-"
            xw = f"{n_words / prev[0]:.2f}" if prev else "-"
            stages = ", ".join(f"{k} {v:.2f}" for k, v in timings.items() if v >= 0.01)
            print(f"{n_words:7d} {mode:>9} {sents:>14} {beads:6d} {wall:7.2f} {cpu:7.2f} {xt:>7} {xw:>7} {rss:7.0f}  {stages}", flush=True)
            if args.cpu_stages:
                cmd = [sys.executable, __file__, "--stage-cpu", str(ref), str(cand)] + (["--aligned"] if mode == "aligned" else []) + (
                    ["--warm"] if args.warm else [])
                done = subprocess.run(cmd, env=env, capture_output=True, text=True, check=True)
                per = json.loads(done.stdout.strip().splitlines()[-1])
                print(f"{'':>7} {'':>9} CPU s in-process: " + ", ".join(
                    f"{k} {v:d}" if isinstance(v, int) else f"{k} {v:.2f}" for k, v in per.items() if v >= 0.01), flush=True)
            prev = (n_words, cpu)
    print(f"load average {os.getloadavg()[0]:.2f} at end; files in {tmp}")


def _n(sentences) -> int:
    return len(sentences) if isinstance(sentences, list) else int(sentences)


if __name__ == "__main__":
    main()
