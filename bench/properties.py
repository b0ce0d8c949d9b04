"""The property tests at bench size: many generated document pairs through the real
pipeline, every report checked against the properties of ``tests/properties.py``.

    python bench/properties.py                # 500 generated pairs + 300 arbitrary-Unicode pairs
    python bench/properties.py --examples 2000 --long 4000

Prints how many pairs ran, how many sentences and findings were checked, the failures
(hypothesis shrinks the first to a minimal example and prints it), and the time one very
long line takes (``--long N``: a line of N five-word sentences with no sentence break).
Not in CI (CI runs the same properties on a few examples: tests/test_properties.py).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--examples", type=int, default=500, help="generated news-like pairs (default 500)")
    ap.add_argument("--unicode", type=int, default=300, help="pairs of arbitrary Unicode text (default 300)")
    ap.add_argument("--long", type=int, default=1000, help="sentences in the one-line long-text timing (0: skip)")
    args = ap.parse_args()
    os.environ.setdefault("MTCHECK_CACHE_DIR", tempfile.mkdtemp(prefix="mtcheck-bench-cache-"))

    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st
    from properties import check_properties, document_pair

    from mtcheck.align.embed import Encoder
    from mtcheck.pipeline import check_documents
    from mtcheck.read import InputError, decode
    from mtcheck.settings import Settings
    from mtcheck.types import Document

    encoder = Encoder()
    counts = {"pairs": 0, "refused": 0, "sentences": 0, "findings": 0, "aligned": 0}

    def run(ref_text: str, cand_text: str) -> None:
        counts["pairs"] += 1
        try:
            ref = Document("ref.txt", decode(ref_text.encode("utf-8"), "ref.txt"))
            cand = Document("cand.txt", decode(cand_text.encode("utf-8"), "cand.txt"))
        except InputError:
            counts["refused"] += 1
            return
        report = check_documents(ref, cand, Settings(grammar=False, select=["ALL"]), encoder)
        check_properties(report)
        counts["sentences"] += len(ref.sentences) + len(cand.sentences)
        counts["findings"] += len(report.findings)
        counts["aligned"] += sum(b.aligned for b in report.alignment)

    common = dict(deadline=None, suppress_health_check=list(HealthCheck), database=None)
    failures = 0
    t0 = time.perf_counter()
    for name, n, strategy in (
        ("generated news-like pairs", args.examples, st.tuples(document_pair())),
        ("arbitrary Unicode pairs", args.unicode, st.tuples(st.tuples(st.text(min_size=1), st.text(min_size=1)))),
    ):
        if n <= 0:
            continue

        @settings(max_examples=n, **common)
        @given(strategy)
        def prop(pair):
            run(*pair[0])

        before = dict(counts)
        try:
            prop()
        except Exception as exc:  # noqa: BLE001 - report and go on with the next kind
            failures += 1
            print(f"FAILED ({name}): {type(exc).__name__}: {exc}"[:2000])
        done = {k: counts[k] - before[k] for k in counts}
        print(
            f"{name}: {done['pairs']} ran ({done['refused']} refused as input errors), "
            f"{done['sentences']} sentences, {done['findings']} findings, {done['aligned']} aligned pairs checked"
        )
    print(f"total: {counts['pairs']} pairs in {time.perf_counter() - t0:.0f} s, {failures} kind(s) failed")

    if args.long:
        line = " ".join(["the talks in Istanbul ended"] * args.long)
        t = time.perf_counter()
        run(line, line.replace("Istanbul", "Istanbul Istanbul", 3))
        print(f"one {len(line):,}-character line (no sentence break): {time.perf_counter() - t:.1f} s")
    print(f"load: {os.getloadavg()[0]:.1f} (1-minute average; the machine is shared)")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
