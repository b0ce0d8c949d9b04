"""Speed and memory of mtcheck against its targets, all measured in one run.

Usage:
    python bench/speed.py [--repeat 5] [--pairs 240] [--jobs 1,2] [--ted PATH/ted_zhen.jsonl] [--cold-only]

Prints each figure as it is measured, then one table of all of them against the targets
of issue 12 (medians over ``--repeat`` runs, the load average at start and end: the
figures are wall times, inflated by any other load on the machine):

- cold ``mtcheck check`` of the fixture pair (a new process each time, wall time), with
  ``--no-cache`` (nothing cached: every sentence embedded) and with a warm embedding
  cache (the sentences embedded by an earlier run); and the CPU seconds of each stage of
  the cold check (CLI imports, read, segment, align with the encoder's load, metrics,
  detect, confidence, score, and the whole process);
- ``mtcheck --help`` and an input error (``mtcheck check`` of a missing file);
- with ``--ted``, the ~12,000-word article pair (TED MT against refB, built as in
  ``bench/scaling.py``) as documents and ``--aligned``, time and peak RSS;
- warm per-pair latency of the fixture pair inside one process (model loaded, nothing
  cached), with the time per pipeline stage;
- ``mtcheck batch`` throughput in sentences per second over ``--pairs`` pairs (wall time
  of the whole subprocess, start-up included) and its peak RSS (the whole process tree,
  sampled from /proc, with each process's share at the peak); pairs are generated from the shipped fixture articles (every
  sentence perturbed, so that few repeat), or, with ``--ted``, real MT output against
  refB from the WMT21 TED zh-en MQM set (the file's path as the argument: it is outside
  the project);
- the bare encoder's throughput (``Encoder.encode`` on the batch's sentences, nothing
  cached) with each backend: the default one (``Encoder().backend``, what ``mtcheck
  batch`` runs) first, as the reference point for the batch figure, then onnx, onnx-int8
  (quantised) and sentence-transformers itself; and how many tokens the aligner embeds per
  token of the sentences (it also embeds every join of two adjacent sentences).

LanguageTool is off (``--no-grammar``) in every figure: it runs in its own server
process, and this machine has none.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

REF = ROOT / "fixtures" / "kurdistan24-istanbul-talks.clean.txt"
CAND = ROOT / "fixtures" / "istanbul-talks.garbled-mt.txt"
MTCHECK = [sys.executable, "-m", "mtcheck"]
TARGETS = {"cold": 1.2, "cold_mb": 300, "long": 4.0, "help": 0.3, "batch": 250, "ratio": 0.80, "rss_mb": 800}


def median_time(cmd: list[str], repeat: int, env: dict | None = None) -> tuple[float, list[float]]:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env, check=False)
        times.append(time.perf_counter() - t0)
    return statistics.median(times), times


def tree_processes(pid: int) -> list[tuple[int, str, int, int]]:
    """(pid, name, RSS kB, PSS kB) of a process and all its descendants, from /proc.

    RSS counts pages shared between processes (the memory-mapped model weights and
    lexicon, shared libraries) once per process; PSS splits them, so its sum is the
    memory really used.
    """
    out = []
    todo = [pid]
    while todo:
        p = todo.pop()
        try:
            status = Path(f"/proc/{p}/status").read_text()
            rss = int(re.search(r"VmRSS:\s+(\d+)", status).group(1))
            name = re.search(r"Name:\s+(\S+)", status).group(1)
            rollup = Path(f"/proc/{p}/smaps_rollup").read_text()
            pss = int(re.search(r"Pss:\s+(\d+)", rollup).group(1))
            for task in Path(f"/proc/{p}/task").iterdir():
                todo += [int(c) for c in (task / "children").read_text().split()]
        except (OSError, AttributeError):
            continue
        out.append((p, name, rss, pss))
    return out


def tree_memory_kb(pid: int) -> tuple[int, int]:
    """(RSS, PSS) of a process and all its descendants (kB): see :func:`tree_processes`."""
    procs = tree_processes(pid)
    return sum(p[2] for p in procs), sum(p[3] for p in procs)


#: CPU seconds (user + system) of the last command run_sampled ran, its children included.
LAST_CPU = [0.0]
#: Each process's RSS when the last command's tree peaked ("main 180 MB + 2 workers 310, 305 MB").
PEAK_SPLIT = [""]


def _children_cpu() -> float:
    import resource

    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    return ru.ru_utime + ru.ru_stime


def run_sampled(cmd: list[str], env: dict) -> tuple[float, tuple[int, int], int]:
    """Wall time, peak tree (RSS, PSS) in kB, and exit code of a command (its CPU
    seconds in ``LAST_CPU[0]``: on a loaded machine they inflate far less than wall time)."""
    cpu0 = _children_cpu()
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    peak_rss = peak_pss = 0
    while proc.poll() is None:
        procs = tree_processes(proc.pid)
        rss, pss = sum(p[2] for p in procs), sum(p[3] for p in procs)
        if rss > peak_rss:
            PEAK_SPLIT[0] = "RSS at the peak: " + " + ".join(f"{p[2] // 1024} MB" for p in procs) + " (main first)"
        peak_rss, peak_pss = max(peak_rss, rss), max(peak_pss, pss)
        time.sleep(0.1)
    wall = time.perf_counter() - t0
    LAST_CPU[0] = _children_cpu() - cpu0
    return wall, (peak_rss, peak_pss), proc.returncode


# ----------------------------------------------------------------------------- pairs
def fixture_sentences() -> list[str]:
    from mtcheck.read import read_document
    from mtcheck.segment import segment

    out = []
    for path in (REF, CAND):
        doc = read_document(str(path))
        segment(doc, "en")
        out += [s.text for s in doc.sentences if len(s.text.split()) >= 4]
    return out


def perturb(sentence: str, rng: random.Random) -> str:
    """A machine-translation-like variant: a word dropped, doubled or swapped."""
    words = sentence.split()
    i = rng.randrange(len(words))
    op = rng.choice(("drop", "double", "swap"))
    if op == "drop" and len(words) > 4:
        del words[i]
    elif op == "double":
        words.insert(i, words[i])
    elif i + 1 < len(words):
        words[i], words[i + 1] = words[i + 1], words[i]
    return " ".join(words)


def generated_manifest(path: Path, pairs: int, seed: int = 7) -> int:
    """Pairs of 6-10 fixture sentences: the reference perturbed once, the candidate twice."""
    rng = random.Random(seed)
    pool = fixture_sentences()
    sentences = 0
    with path.open("w", encoding="utf-8") as fh:
        for i in range(pairs):
            k = rng.randint(6, 10)
            start = rng.randrange(len(pool) - k)
            ref = [perturb(s, rng) for s in pool[start : start + k]]
            cand = [perturb(s, rng) for s in ref]
            sentences += 2 * k
            fh.write(json.dumps({"id": f"gen-{i:04d}", "reference_text": " ".join(ref), "candidate_text": " ".join(cand)}) + "\n")
    return sentences


def ted_manifest(path: Path, ted: Path, pairs: int, chunk: int = 10) -> int:
    """Real MT output (chunks of ``chunk`` segments of each system's talk) against refB."""
    sentences = 0
    n = 0
    with ted.open(encoding="utf-8") as src, path.open("w", encoding="utf-8") as fh:
        for line in src:
            doc = json.loads(line)
            if doc["is_human_translation"]:
                continue
            segs = doc["segments"]
            for c in range(0, len(segs), chunk):
                part = segs[c : c + chunk]
                ref = [s["references"]["refB"] for s in part]
                cand = [s["target"] for s in part]
                fh.write(json.dumps({"id": f"{doc['system']}-{doc['doc']}-{c}", "reference_text": " ".join(ref), "candidate_text": " ".join(cand)}) + "\n")
                sentences += 2 * len(part)
                n += 1
                if n >= pairs:
                    return sentences
    return sentences


def manifest_texts(path: Path, limit: int = 400) -> list[str]:
    """Sentences of the manifest's first pairs, as the pipeline segments them."""
    from mtcheck.segment import segment
    from mtcheck.types import Document

    out = []
    for line in path.read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        for side in ("reference_text", "candidate_text"):
            doc = Document(path=side, text=row[side])
            segment(doc, "en")
            out += [s.text for s in doc.sentences]
        if len(out) >= limit:
            break
    return list(dict.fromkeys(out))


def _aligner_workload(path: Path, limit: int = 10) -> tuple[float, float]:
    """Tokens the aligner runs through the model (sentences + the joins of two adjacent
    sentences it embeds) over the sentences' tokens, on the first ``limit`` pairs; and
    the upper bound if every join were embedded."""
    from mtcheck.align.aligner import align_documents
    from mtcheck.align.embed import Encoder
    from mtcheck.segment import segment
    from mtcheck.types import Document

    encoder = Encoder()
    tok = encoder.onnx.tokenizer
    tokens = Counter()

    class Counting:
        def encode(self, texts, states=True):
            tokens["sentences" if states else "joins"] += sum(len(e.ids) for e in tok.encode_batch(list(texts)))
            return encoder.encode(texts, states)

    every_join = 0
    for line in path.read_text(encoding="utf-8").splitlines()[:limit]:
        row = json.loads(line)
        docs = [segment(Document(path=side, text=row[side]), "en") for side in ("reference_text", "candidate_text")]
        for doc in docs:
            sents = [s.text for s in doc.sentences]
            pairs = [f"{a} {b}" for a, b in zip(sents, sents[1:])]
            every_join += sum(len(e.ids) for e in tok.encode_batch(pairs)) if pairs else 0
        align_documents(*docs, Counting())
    alone = tokens["sentences"]
    return (alone + tokens["joins"]) / alone, (alone + every_join) / alone


# ----------------------------------------------------------------------------- in-process
def warm_latency(repeat: int) -> tuple[float, dict[str, float]]:
    from mtcheck.align.embed import Encoder
    from mtcheck.pipeline import run_check
    from mtcheck.settings import Settings

    settings = Settings(grammar=False, cache=False)
    encoder = Encoder()
    run_check(str(REF), str(CAND), settings, encoder)  # loads the model, the rules' data
    times, stages = [], []
    for _ in range(repeat):
        encoder._memo.clear()  # nothing cached: every sentence is embedded again
        encoder._tok_memo.clear()
        t0 = time.perf_counter()
        report = run_check(str(REF), str(CAND), settings, encoder)
        times.append(time.perf_counter() - t0)
        stages.append(report.timings)
    stage_median = {k: statistics.median(s.get(k, 0.0) for s in stages) for k in stages[0]}
    return statistics.median(times), stage_median


def encoder_throughput(texts: list[str], backend: str, repeat: int) -> tuple[float, float]:
    """Sentences per second (wall) and per CPU-second of the process, nothing cached.

    The CPU-time rate barely moves with other processes' load (they take wall time, not
    this process's CPU time): on a shared machine it is the figure to compare engines by.
    """
    from mtcheck.align.embed import Encoder

    enc = Encoder(backend=backend)
    enc.encode(texts[:8])  # load
    rates, cpu_rates = [], []
    for _ in range(repeat):
        enc._memo.clear()
        t0, c0 = time.perf_counter(), time.process_time()
        enc.encode(texts)
        rates.append(len(texts) / (time.perf_counter() - t0))
        cpu_rates.append(len(texts) / max(time.process_time() - c0, 1e-9))
    return statistics.median(rates), statistics.median(cpu_rates)


# ----------------------------------------------------------------------------- cold stages
_STAGES_CHILD = """
import json, resource, sys, time
c0 = time.process_time()
from mtcheck.cli import main
import mtcheck.pipeline as pipeline
from contextlib import contextmanager
from mtcheck.align import onnx_encoder
cpu = {"imports (CLI, pipeline, encoder module)": time.process_time() - c0}

@contextmanager
def timed(timings, stage):  # the pipeline's stage timer, in CPU seconds
    t0 = time.process_time()
    try:
        yield
    finally:
        cpu[stage] = cpu.get(stage, 0.0) + time.process_time() - t0
        timings[stage] = timings.get(stage, 0.0)

pipeline._timed = timed
init = onnx_encoder.OnnxModel.__init__
def timed_init(self, *a, **k):
    t0 = time.process_time()
    init(self, *a, **k)
    cpu["(in align) ONNX session + tokenizer"] = time.process_time() - t0
onnx_encoder.OnnxModel.__init__ = timed_init
try:
    sys.argv[0] = "mtcheck"
    main()
except SystemExit:
    pass
ru = resource.getrusage(resource.RUSAGE_SELF)
cpu["process total (user + sys, interpreter start included)"] = ru.ru_utime + ru.ru_stime
print(json.dumps(cpu), file=sys.stderr)
"""


def cold_stage_cpu(repeat: int, env: dict) -> dict[str, float]:
    """CPU seconds per stage of a cold ``check --no-grammar --no-cache`` (median of runs).

    A new process each run, as a user starts it; the stages are the pipeline's own
    (each includes the imports it does lazily), ``align`` includes loading the encoder.
    CPU seconds, not wall time: other processes' load barely moves them.
    """
    runs = []
    for _ in range(repeat):
        proc = subprocess.run(
            [sys.executable, "-c", _STAGES_CHILD, "check", str(REF), str(CAND), "--no-grammar", "--no-cache", "-q"],
            capture_output=True, text=True, env=env, check=False, cwd=ROOT,
        )
        runs.append(json.loads(proc.stderr.strip().splitlines()[-1]))
    keys = list(dict.fromkeys(k for r in runs for k in r))
    return {k: statistics.median(r.get(k, 0.0) for r in runs) for k in keys}


# ----------------------------------------------------------------------------- main
def long_pair(tmp: Path, ted: Path, words: int = 12000) -> tuple[Path, Path, int]:
    """The ~12,000-word article pair: TED MT against refB, as documents (bench/scaling.py)."""
    sys.path.insert(0, str(ROOT / "bench"))
    from scaling import build_pair, write_documents

    ref_segs, cand_segs = build_pair(ted, words)
    ref, cand = tmp / "long-ref.txt", tmp / "long-cand.txt"
    write_documents(ref, ref_segs)
    write_documents(cand, cand_segs)
    return ref, cand, sum(len(s.split()) for s in cand_segs)


class Table:
    """The figures of one run, printed at the end against the issue's targets."""

    def __init__(self):
        self.rows: list[tuple[str, str, str, str]] = []

    def add(self, figure: str, measured: str, target: str = "", met: bool | None = None) -> None:
        verdict = "" if met is None else ("met" if met else "NOT met")
        self.rows.append((figure, measured, target, verdict))
        print(f"{figure}: {measured}" + (f"   (target {target}: {verdict})" if target else ""), flush=True)

    def print(self) -> None:
        widths = [max(len(r[k]) for r in [("figure", "measured", "target", "verdict"), *self.rows]) for k in range(4)]
        line = "| " + " | ".join(f"{{:{w}}}" for w in widths) + " |"
        print()
        print(line.format("figure", "measured", "target", "verdict"))
        print("|" + "|".join("-" * (w + 2) for w in widths) + "|")
        for row in self.rows:
            print(line.format(*row))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=5, help="runs per figure (median)")
    ap.add_argument("--pairs", type=int, default=240, help="pairs in the batch (>= 200)")
    ap.add_argument("--jobs", type=lambda v: [int(j) for j in v.split(",")], default=[1, 2], help="mtcheck batch --jobs values, comma-separated (default 1,2)")
    ap.add_argument("--batch-repeat", type=int, default=1, help="batch runs (median)")
    ap.add_argument("--ted", type=Path, help="ted_zhen.jsonl: real pairs for the batch and the ~12,000-word pair")
    ap.add_argument("--no-torch", action="store_true", help="skip the sentence-transformers reference")
    ap.add_argument("--cold-only", action="store_true", help="only --help, the cold check and its CPU per stage")
    args = ap.parse_args()

    load0 = os.getloadavg()
    print(f"machine: {os.cpu_count()} cores; load average {load0[0]:.2f} / {load0[1]:.2f} / {load0[2]:.2f} at start "
          "(wall times: other processes' load inflates every figure)")
    table = Table()
    tmp = Path(tempfile.mkdtemp(prefix="mtcheck-speed-"))
    env = dict(os.environ, MTCHECK_CACHE_DIR=str(tmp / "cache"))
    # As installed: bytecode compiled once. With PYTHONDONTWRITEBYTECODE every run would
    # compile mtcheck's ~45 modules again (~0.1 s CPU more in "imports").
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    check = [*MTCHECK, "check", str(REF), str(CAND), "--no-grammar", "-q"]
    subprocess.run([*check, "--no-cache"], env=env, stdout=subprocess.DEVNULL, check=False)  # writes __pycache__

    helptime, _ = median_time([*MTCHECK, "--help"], args.repeat, env)
    table.add("`mtcheck --help`", f"{helptime:.2f} s", f"<= {TARGETS['help']} s", helptime <= TARGETS["help"])
    inerr, _ = median_time([*MTCHECK, "check", str(tmp / "missing.txt"), str(CAND)], args.repeat, env)
    table.add("input error (missing file)", f"{inerr:.2f} s")
    cold_runs, cold_cpu = [], []
    for _ in range(args.repeat):
        cold_runs.append(run_sampled([*check, "--no-cache"], env))
        cold_cpu.append(LAST_CPU[0])
    cold = statistics.median(r[0] for r in cold_runs)
    cold_mb = max(r[1][0] for r in cold_runs) / 1024
    table.add("cold `mtcheck check` of the fixture pair, `--no-cache`", f"{cold:.2f} s (runs {', '.join(f'{r[0]:.2f}' for r in cold_runs)}; CPU {statistics.median(cold_cpu):.2f} s)",
              f"<= {TARGETS['cold']} s", cold <= TARGETS["cold"])
    table.add("peak RSS, cold check of the fixture pair", f"{cold_mb:.0f} MB", f"<= {TARGETS['cold_mb']} MB", cold_mb <= TARGETS["cold_mb"])
    stages = cold_stage_cpu(args.repeat, env)
    table.add("cold check, CPU seconds per stage (median)", "; ".join(f"{k} {v:.2f}" for k, v in stages.items()))
    if args.cold_only:
        table.print()
        print(f"\nload average {'/'.join(f'{x:.2f}' for x in os.getloadavg())} at end")
        return
    subprocess.run(check, env=env, stdout=subprocess.DEVNULL, check=False)  # fill the cache
    cached, _ = median_time(check, args.repeat, env)
    table.add("cold check, embeddings cached", f"{cached:.2f} s")
    warm, stages = warm_latency(args.repeat)
    table.add("warm per-pair latency, fixture pair (model loaded)", f"{warm:.2f} s ("
              + ", ".join(f"{k} {v:.3f}" for k, v in stages.items() if v >= 0.0005) + ")")

    if args.ted:
        ref, cand, words = long_pair(tmp, args.ted)
        for mode, extra in (("documents", []), ("--aligned", ["--aligned"])):
            if extra:  # line-aligned copy: one segment per line
                from scaling import build_pair

                r_s, c_s = build_pair(args.ted, 12000)
                ref, cand = tmp / "long-ref.lines", tmp / "long-cand.lines"
                ref.write_text("\n".join(r_s) + "\n", encoding="utf-8")
                cand.write_text("\n".join(c_s) + "\n", encoding="utf-8")
            runs, cpus = [], []
            for _ in range(max(1, args.repeat // 2)):
                runs.append(run_sampled([*MTCHECK, "check", str(ref), str(cand), "--no-grammar", "--no-cache", "-q", *extra], env))
                cpus.append(LAST_CPU[0])
            wall = statistics.median(r[0] for r in runs)
            mb = max(r[1][0] for r in runs) / 1024
            target = (f"<= {TARGETS['long']} s", wall <= TARGETS["long"]) if not extra else ("", None)
            table.add(f"~12,000-word pair ({words} words, TED MT vs refB) as {mode}", f"{wall:.2f} s (CPU {statistics.median(cpus):.2f} s), {mb:.0f} MB", *target)
    else:
        table.add("~12,000-word pair as documents", "not measured (give --ted PATH/ted_zhen.jsonl)", f"<= {TARGETS['long']} s")

    manifest = tmp / "pairs.jsonl"
    if args.ted:
        ted_manifest(manifest, args.ted, args.pairs)
        source = "TED zh-en MT vs refB"
    else:
        generated_manifest(manifest, args.pairs)
        source = "generated from the fixture articles"
    n_pairs = sum(1 for _ in manifest.open(encoding="utf-8"))
    texts = manifest_texts(manifest)
    from mtcheck.align.embed import Encoder

    default = Encoder().backend  # what `mtcheck batch` runs: the reference point
    backends = list(dict.fromkeys((default, "onnx", "onnx-int8", *([] if args.no_torch else ["sentence-transformers"]))))
    bare = {b: encoder_throughput(texts, b, args.repeat) for b in backends}
    for b, (r, cpu) in bare.items():
        table.add(f"bare encoder `{b}`{' (the default)' if b == default else ''} ({len(texts)} sentences, nothing cached)",
                  f"{r:.0f} sentences/s ({cpu:.0f} per CPU-second)")
    pair_tokens, every_join = _aligner_workload(manifest)
    table.add("aligner workload (sentences + the joins it embeds, vs sentences alone)",
              f"{pair_tokens:.2f}x tokens ({every_join:.1f}x if every join were embedded)")

    reference_rate = bare[default][0]
    for jobs in args.jobs:
        batch_runs = []
        for r in range(args.batch_repeat):
            out = tmp / f"batch-j{jobs}-{r}"
            cmd = [*MTCHECK, "batch", str(manifest), "-o", str(out), "--no-grammar", "--no-cache", "-q", "--jobs", str(jobs)]
            wall, peak_kb, code = run_sampled(cmd, env)
            print(f"  batch --jobs {jobs}: CPU {LAST_CPU[0]:.1f} s of the process tree in {wall:.1f} s wall; "
                  f"peak RSS {peak_kb[0] / 1024:.0f} MB, PSS {peak_kb[1] / 1024:.0f} MB; {PEAK_SPLIT[0]}")
            summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
            batch_runs.append((wall, peak_kb, summary, code, out))
        wall = statistics.median(r[0] for r in batch_runs)
        peak_mb = max(r[1][0] for r in batch_runs) / 1024
        peak_pss_mb = max(r[1][1] for r in batch_runs) / 1024
        summary = batch_runs[0][2]
        checked = summary["sentences_checked"]
        rate = checked / wall
        print(f"batch --jobs {jobs}: {n_pairs} pairs, {checked} sentences ({source}), exit {batch_runs[0][3]}, "
              f"errors {summary['counts']['errors']}, wall {wall:.1f} s (in-run {summary['seconds']:.1f} s)")
        table.add(f"batch `--jobs {jobs}`, {n_pairs} pairs / {checked} sentences, end to end", f"{rate:.0f} sentences/s",
                  f">= {TARGETS['batch']}/s", rate >= TARGETS["batch"])
        table.add(f"batch `--jobs {jobs}` vs the bare `{default}` encoder in this run", f"{rate / reference_rate:.0%}",
                  f">= {TARGETS['ratio']:.0%}", rate / reference_rate >= TARGETS["ratio"])
        table.add(f"peak memory, batch `--jobs {jobs}` (process tree)", f"RSS {peak_mb:.0f} MB, PSS {peak_pss_mb:.0f} MB",
                  f"<= {TARGETS['rss_mb']} MB" if jobs == 2 else "", peak_mb <= TARGETS["rss_mb"] if jobs == 2 else None)
    load1 = os.getloadavg()
    table.print()
    print(f"\nload average {load1[0]:.2f} / {load1[1]:.2f} / {load1[2]:.2f} at end; scratch files in {tmp}")
    print("LanguageTool off (--no-grammar) throughout: it runs in its own server, measured in its own bench.")


if __name__ == "__main__":
    main()
