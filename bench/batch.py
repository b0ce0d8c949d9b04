"""Batch throughput: the local engine against Ray with two workers, on the same pairs.

Usage::

    python bench/batch.py PATH/ted_zhen.jsonl                  # 240 pairs, every engine below
    python bench/batch.py PATH/ted_zhen.jsonl --pairs 60 --engines local-1,ray-2

Pairs: WMT21 TED zh-en MQM (Freitag et al. 2021; google/wmt-mqm-human-evaluation, Apache
2.0). Each (MT system, talk) is cut into runs of ``--sentences`` consecutive segments; the
reference of a pair is refB's segments, the candidate the system's, one paragraph each,
given inline in a JSONL manifest (so both engines read the same bytes).

Each engine runs ``mtcheck batch MANIFEST --no-grammar --force`` as its own process with
an empty embedding cache (every sentence goes through the encoder), into its own output
folder, and is timed from start to exit. Engines: ``local-1`` (in-process), ``local-2``
(two worker processes), ``ray-2`` (a local Ray runtime with ``num_cpus=2``, started and
stopped by the run, so its start-up is included); a suffix ``-cN`` sets ``--chunk-size N``
(``local-1-c1``: each pair encoded on its own, no cross-pair batching; default 8). Peak memory is the largest sum of RSS
over the process and all its descendants (Ray's raylet, GCS and workers included),
sampled every 0.1 s with psutil.

Ray's start-up overhead is measured on its own: ``ray.init(address="local", num_cpus=2)``,
one trivial task round trip, ``ray.shutdown()``.

Printed: pairs, sentences, wall seconds, pairs/s, sentences/s, peak RSS (MiB) per engine,
and the machine's load (``os.getloadavg``) before and after: on a shared machine the
figures move with the others' load.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def build_manifest(data: str, n_pairs: int, sentences: int, path: Path) -> int:
    objs = [json.loads(line) for line in Path(data).read_text(encoding="utf-8").splitlines() if line.strip()]
    objs = [o for o in objs if not o["is_human_translation"]]
    rows = []
    for o in sorted(objs, key=lambda o: (o["doc"], o["system"])):
        segs = o["segments"]
        for i in range(0, len(segs) - sentences + 1, sentences):
            part = segs[i : i + sentences]
            rows.append(
                {
                    "id": f"{o['system']}/{o['doc']}/{i}",
                    "reference_text": " ".join(s["references"]["refB"].strip() for s in part) + "\n",
                    "candidate_text": " ".join(s["target"].strip() for s in part) + "\n",
                }
            )
    # Spread the pairs over systems and talks rather than taking the first talk only.
    step = max(1, len(rows) // n_pairs)
    rows = rows[::step][:n_pairs]
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    return len(rows)


def _tree_rss(proc) -> int:
    import psutil

    total = 0
    try:
        for p in [proc, *proc.children(recursive=True)]:
            try:
                total += p.memory_info().rss
            except psutil.Error:
                pass
    except psutil.Error:
        pass
    return total


def run_engine(name: str, manifest: Path, work: Path) -> dict:
    import psutil

    engine, jobs, *rest = name.split("-")
    out = work / f"out-{name}"
    cmd = [sys.executable, "-m", "mtcheck", "batch", str(manifest), "-o", str(out), "--no-grammar", "--force",
           "--quiet", "--engine", engine, "--jobs", jobs]
    if rest:  # "c1": --chunk-size 1 (no cross-pair encoder batching)
        cmd += ["--chunk-size", rest[0].lstrip("c")]
    env = dict(os.environ, MTCHECK_CACHE_DIR=str(work / f"cache-{name}"), CI="1")
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    ps = psutil.Process(proc.pid)
    peak = 0
    while proc.poll() is None:
        peak = max(peak, _tree_rss(ps))
        time.sleep(0.1)
    wall = time.perf_counter() - t0
    err = proc.stderr.read().decode("utf-8", "replace")
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    return {
        "engine": name,
        "exit": proc.returncode,
        "pairs": summary["counts"]["pairs"],
        "errors": summary["counts"]["errors"],
        "sentences": summary["sentences_checked"],
        "wall": wall,
        "peak_mib": peak / 2**20,
        "stderr": err.strip().splitlines()[-1:] if proc.returncode not in (0, 1) else [],
    }


def ray_startup() -> float:
    import ray

    t0 = time.perf_counter()
    ray.init(address="local", num_cpus=2, include_dashboard=False, log_to_driver=False)

    @ray.remote
    def noop(x):
        return x

    ray.get(noop.remote(1))
    ray.shutdown()
    return time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("data", help="ted_zhen.jsonl")
    ap.add_argument("--pairs", type=int, default=240)
    ap.add_argument("--sentences", type=int, default=8, help="segments per pair")
    ap.add_argument("--engines", default="local-1,local-1-c1,local-2,ray-2")
    args = ap.parse_args()

    print(f"load before: {' '.join(f'{x:.2f}' for x in os.getloadavg())} on {os.cpu_count()} cores")
    with tempfile.TemporaryDirectory(prefix="mtcheck-bench-batch-") as tmp:
        work = Path(tmp)
        manifest = work / "pairs.jsonl"
        n = build_manifest(args.data, args.pairs, args.sentences, manifest)
        print(f"{n} pairs of {args.sentences} segments each (inline JSONL manifest)")
        t = ray_startup()
        print(f"ray start-up (init + one task + shutdown, num_cpus=2): {t:.1f} s")
        print(f"{'engine':<9} {'exit':>4} {'pairs':>5} {'sents':>6} {'wall s':>7} {'pairs/s':>8} {'sents/s':>8} {'peak MiB':>9}")
        for name in args.engines.split(","):
            r = run_engine(name, manifest, work)
            print(
                f"{r['engine']:<9} {r['exit']:>4} {r['pairs']:>5} {r['sentences']:>6} {r['wall']:>7.1f} "
                f"{r['pairs'] / r['wall']:>8.2f} {r['sentences'] / r['wall']:>8.1f} {r['peak_mib']:>9.0f}"
                + (f"  errors={r['errors']}" if r["errors"] else "")
                + (f"  {r['stderr']}" if r["stderr"] else "")
            )
            sys.stdout.flush()
    print(f"load after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
