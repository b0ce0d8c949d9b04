"""ONNX Runtime session creation per graph optimisation level, and a pre-optimised model.

Usage::

    python bench/onnx_session.py [--repeat 3]

For the default model's fp32 export: CPU seconds to create the session (median of
``--repeat``) at each ``GraphOptimizationLevel``, and for a model file pre-optimised once
(``SessionOptions.optimized_model_filepath`` at ENABLE_EXTENDED, loaded with optimisations
off), one forward pass's CPU seconds on 40 fixture sentences, and the largest absolute
difference of its outputs from the default session's. The export and its external
weights are copied to a scratch folder first (ONNX Runtime refuses external data outside
the model's folder).
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()

    import numpy as np
    import onnxruntime as ort

    from mtcheck.align import onnx_encoder
    from mtcheck.align.embed import Encoder

    enc = Encoder(backend="onnx")
    tok = enc.onnx.tokenizer
    tmp = Path(tempfile.mkdtemp(prefix="mtcheck-ort-"))
    for name in (onnx_encoder.FP32, onnx_encoder.WEIGHTS):
        shutil.copy(enc._onnx_folder / name, tmp / name)
    src, opt = tmp / onnx_encoder.FP32, tmp / "model-optimised.onnx"

    text = (ROOT / "fixtures" / "istanbul-talks.garbled-mt.txt").read_text(encoding="utf-8")
    texts = [t for t in text.replace("\n", " ").split(". ") if t.strip()][:40]
    encs = tok.encode_batch(texts)
    width = max(len(e.ids) for e in encs)
    ids = np.zeros((len(texts), width), np.int64)
    mask = np.zeros_like(ids)
    for i, e in enumerate(encs):
        ids[i, : len(e.ids)], mask[i, : len(e.ids)] = e.ids, 1
    feed = {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}

    def session(path: Path, level, save: Path | None = None):
        opts = ort.SessionOptions()
        opts.intra_op_num_threads, opts.inter_op_num_threads = 1, 1
        opts.graph_optimization_level, opts.log_severity_level = level, 3
        if save is not None:
            opts.optimized_model_filepath = str(save)
        c0 = time.process_time()
        s = ort.InferenceSession(str(path), opts, providers=["CPUExecutionProvider"])
        return s, time.process_time() - c0

    levels = ort.GraphOptimizationLevel
    session(src, levels.ORT_ENABLE_EXTENDED, save=opt)
    reference = session(src, levels.ORT_ENABLE_ALL)[0].run(None, feed)
    print(f"{len(texts)} fixture sentences, padded to {width} tokens; one intra-op thread; CPU seconds")
    for label, path, level in (
        ("ENABLE_ALL (default)", src, levels.ORT_ENABLE_ALL),
        ("ENABLE_EXTENDED", src, levels.ORT_ENABLE_EXTENDED),
        ("ENABLE_BASIC", src, levels.ORT_ENABLE_BASIC),
        ("DISABLE_ALL", src, levels.ORT_DISABLE_ALL),
        ("pre-optimised file, DISABLE_ALL", opt, levels.ORT_DISABLE_ALL),
    ):
        creates, runs = [], []
        for _ in range(args.repeat):
            s, created = session(path, level)
            c0 = time.process_time()
            out = s.run(None, feed)
            creates.append(created)
            runs.append(time.process_time() - c0)
        diff = max(float(np.abs(a - b).max()) for a, b in zip(out, reference))
        print(f"{label:34s} create {statistics.median(creates):.3f} s   forward {statistics.median(runs):.3f} s   "
              f"max |difference| {diff:.1e}", flush=True)
    shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
