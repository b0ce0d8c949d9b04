"""The sentence-transformers model run by ONNX Runtime: one export, then no torch.

Why: importing torch + transformers + sentence-transformers costs 3-6 s and ~400 MB
before the first sentence is embedded, for a 22M-parameter model whose forward pass is a
dozen matrix products. ONNX Runtime is a well-kept engine with fused CPU kernels (fused
attention, GELU, layer norm; int8 kernels for the quantised variant) that loads in a
fraction of a second. The model is exported once from the same weights with
``torch.onnx`` (:func:`export`; torch is needed then and only then), and run here with
the model's own tokenizer (``tokenizer.json`` via the ``tokenizers`` library) and the
pooling its ``modules.json`` names. ``tests/test_embed.py`` checks the outputs against
sentence-transformers and transformers (cosine / absolute difference within 1e-4).

**Outputs**: the graph returns every hidden state (``hidden_state_0`` is the embedding
output, ``hidden_state_i`` the output of transformer layer ``i``, exactly as
transformers' ``output_hidden_states=True``). One forward pass serves the sentence
embedding (pooling + normalisation of the last state, in numpy), the token embeddings
and the raw layers the error tagger reads.

**Where the export lives** (:func:`find_export`, first found wins):

1. ``$MTCHECK_ONNX_DIR`` if set;
2. ``<sys.prefix>/share/mtcheck/onnx``: written by ``make install`` (the Makefile calls
   ``python -m mtcheck.align.onnx_encoder export``), so the first check of a fresh
   install is already fast and never imports torch;
3. ``<cache dir>/onnx`` (:mod:`mtcheck.cache`): where a model without an install-time
   export (``--model PATH``, or a plain ``pip install``) is exported on first use (once,
   ~10 s, a note on stderr).

Each export sits in a folder named after the model's identity
(:func:`mtcheck.align.embed_cache.model_identity`), so a changed model is re-exported.
Only what the model files say is supported: a BERT model followed by a ``Pooling`` module
(mean, CLS or max) and optionally ``Normalize``; :func:`supports` says whether a model
directory qualifies, and the Encoder falls back to sentence-transformers for anything
else.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

OPSET = 17
INPUTS = ("input_ids", "attention_mask", "token_type_ids")
FP32 = "model.onnx"
WEIGHTS = "model.onnx.data"  # fp32 weights as ONNX external data: memory-mapped on load
FORMAT = "v2"  # bumped when the export's layout changes: older exports are not used
INT8 = "model-int8-rows.onnx"  # per-token int8 (:func:`quantize`)
LEGACY_INT8 = "model-int8.onnx"  # the per-tensor int8 model it replaced: removed when INT8 is written
META = "export.json"
ENV_DIR = "MTCHECK_ONNX_DIR"
_POOLING_MODES = ("pooling_mode_cls_token", "pooling_mode_mean_tokens", "pooling_mode_max_tokens")


class ExportError(RuntimeError):
    """The model cannot be exported to ONNX (the Encoder then uses sentence-transformers)."""


def _read_json(path: Path) -> dict | list | None:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


@dataclass(frozen=True)
class ModelSpec:
    """What the model directory says about the architecture, when this module can run it."""

    path: Path
    max_seq_length: int
    pooling: str  # "mean" | "cls" | "max"
    normalize: bool
    layers: int
    hidden: int


def supports(path: str | Path) -> ModelSpec | None:
    """The model's spec if the ONNX export computes exactly what sentence-transformers would."""
    path = Path(path)
    modules = _read_json(path / "modules.json")
    config = _read_json(path / "config.json")
    if not isinstance(modules, list) or not isinstance(config, dict):
        return None
    if not (path / "tokenizer.json").is_file():
        return None
    if not any((path / w).is_file() for w in ("model.safetensors", "pytorch_model.bin")):
        return None
    types = [m.get("type", "").rsplit(".", 1)[-1] for m in modules]
    if types not in (["Transformer", "Pooling"], ["Transformer", "Pooling", "Normalize"]):
        return None
    if modules[0].get("path", "") not in ("", "."):
        return None
    if config.get("model_type") != "bert":
        return None
    st_config = _read_json(path / "sentence_bert_config.json") or {}
    if st_config.get("do_lower_case"):
        return None  # sentence-transformers would lower-case before the tokenizer
    pooling_cfg = _read_json(path / modules[1]["path"] / "config.json")
    if not isinstance(pooling_cfg, dict):
        return None
    on = [k for k, v in pooling_cfg.items() if k.startswith("pooling_mode") and v]
    if len(on) != 1 or on[0] not in _POOLING_MODES or pooling_cfg.get("include_prompt") is False:
        return None
    max_len = min(
        int(st_config.get("max_seq_length") or config.get("max_position_embeddings", 512)),
        int(config.get("max_position_embeddings", 512)),
    )
    return ModelSpec(
        path=path,
        max_seq_length=max_len,
        pooling={"pooling_mode_cls_token": "cls", "pooling_mode_mean_tokens": "mean",
                 "pooling_mode_max_tokens": "max"}[on[0]],
        normalize=types[-1] == "Normalize",
        layers=int(config["num_hidden_layers"]),
        hidden=int(config["hidden_size"]),
    )


# ---------------------------------------------------------------------------- export
def _roots(cache_dir: str | os.PathLike | None) -> list[Path]:
    env = os.environ.get(ENV_DIR)
    if env:
        return [Path(env).expanduser()]
    roots = [Path(sys.prefix) / "share" / "mtcheck" / "onnx"]
    if cache_dir is not None:
        roots.append(Path(cache_dir) / "onnx")
    return roots


def _folder_name(path: str | Path) -> str:
    from mtcheck.align.embed_cache import model_identity

    return f"{model_identity(path)[:24]}-{FORMAT}"


def find_export(path: str | Path, cache_dir: str | os.PathLike | None = None) -> Path | None:
    """The folder holding this model's ONNX export, if one was made."""
    name = _folder_name(path)
    for root in _roots(cache_dir):
        folder = root / name
        if (folder / FP32).is_file() and (folder / META).is_file():
            return folder
    return None


def export_folder(path: str | Path, cache_dir: str | os.PathLike | None = None) -> Path:
    """This model's export folder: found, or exported now into the first writable root."""
    found = find_export(path, cache_dir)
    if found is not None:
        return found
    if cache_dir is None and not os.environ.get(ENV_DIR):
        raise ExportError("no ONNX export of this model and no cache directory to export it into")
    root = _roots(cache_dir)[-1]  # lazily into the cache; the install root is `make install`'s
    try:
        return export(path, root)
    except OSError as exc:
        raise ExportError(f"cannot write the ONNX export into {root}: {exc}") from exc


def export(path: str | Path, root: str | Path, int8: bool = True, quiet: bool = False) -> Path:
    """Export the model at ``path`` under ``root`` (fp32 and int8); return its folder.

    Imports torch and transformers (the only place in mtcheck's encoder that does). The
    files are written to a temporary folder and renamed into place, so concurrent
    exports (``mtcheck batch --jobs N``) never see a half-written model.
    """
    spec = supports(path)
    if spec is None:
        raise ExportError(f"{path}: not a BERT + pooling sentence-transformers model")
    root = Path(root)
    folder = root / _folder_name(path)
    if (folder / FP32).is_file() and (folder / META).is_file():
        if int8:
            ensure_int8(folder, quiet)
        return folder
    root.mkdir(parents=True, exist_ok=True)
    if not quiet:
        print(f"mtcheck: exporting the embedding model to ONNX once, into {folder}", file=sys.stderr)
    tmp = Path(tempfile.mkdtemp(prefix=".export-", dir=root))
    try:
        tmp.chmod(0o755)  # mkdtemp makes it private; the export is for every user
        _export_onnx(spec, tmp / FP32)
        if int8:
            quantize(tmp / FP32, tmp / INT8)
        import torch

        meta = {"model": str(Path(path).resolve()), "format": FORMAT, "opset": OPSET, "torch": torch.__version__,
                "outputs": [f"hidden_state_{i}" for i in range(spec.layers + 1)]}
        (tmp / META).write_text(json.dumps(meta, indent=1), encoding="utf-8")
        for f in tmp.iterdir():
            f.chmod(0o644)  # onnx writes the external data file private
        try:
            os.replace(tmp, folder)
        except OSError:
            if not (folder / META).is_file():  # another process won the race: use theirs
                raise
    finally:
        if tmp.exists():
            import shutil

            shutil.rmtree(tmp, ignore_errors=True)
    return folder


def _export_onnx(spec: ModelSpec, target: Path) -> None:
    import warnings

    os.environ["HF_HUB_OFFLINE"] = "1"
    import torch
    from transformers import AutoModel

    model = AutoModel.from_pretrained(str(spec.path), attn_implementation="eager", local_files_only=True)
    model.eval()

    class AllStates(torch.nn.Module):
        def __init__(self, inner):
            super().__init__()
            self.inner = inner

        def forward(self, input_ids, attention_mask, token_type_ids):
            out = self.inner(input_ids=input_ids, attention_mask=attention_mask,
                             token_type_ids=token_type_ids, output_hidden_states=True)
            return tuple(out.hidden_states)

    names = [f"hidden_state_{i}" for i in range(spec.layers + 1)]
    ids = torch.ones(2, 8, dtype=torch.long)
    axes = {n: {0: "batch", 1: "sequence"} for n in (*INPUTS, *names)}
    single = target.with_suffix(".single.onnx")
    with warnings.catch_warnings(), torch.inference_mode():
        warnings.simplefilter("ignore")
        torch.onnx.export(
            AllStates(model), (ids, ids, torch.zeros_like(ids)), str(single),
            input_names=list(INPUTS), output_names=names, dynamic_axes=axes,
            opset_version=OPSET, dynamo=False,
        )
    # Weights in a separate file (ONNX external data): onnxruntime memory-maps it, so a
    # session takes ~95 MB instead of ~185 MB (no copy of the weights through the
    # protobuf), and `--jobs N` workers share the pages.
    import onnx

    graph = onnx.load(str(single))
    onnx.save_model(graph, str(target), save_as_external_data=True, all_tensors_to_one_file=True,
                    location=WEIGHTS, size_threshold=1024)
    single.unlink()


def ensure_int8(folder: Path, quiet: bool = False) -> Path:
    """The folder's int8 model, quantised now from its fp32 export if missing (an export
    made before this quantisation existed). Written under a temporary name and renamed,
    so concurrent workers never read half a file."""
    target = folder / INT8
    if not target.is_file():
        if not quiet:
            print(f"mtcheck: quantising the embedding model once, into {target}", file=sys.stderr)
        tmp = target.with_suffix(f".{os.getpid()}.tmp")
        try:
            quantize(folder / FP32, tmp)
            os.replace(tmp, target)
        finally:
            tmp.unlink(missing_ok=True)
    if (folder / LEGACY_INT8).is_file():  # the per-tensor int8 model this one replaced: unused
        for legacy in (folder / LEGACY_INT8, *folder.glob(f"{Path(LEGACY_INT8).stem}.ort-*.onnx")):
            try:
                legacy.unlink(missing_ok=True)
            except OSError:  # a read-only export folder keeps it
                pass
    return target


def quantize(source: Path, target: Path) -> None:
    """int8 with per-token activation scales: the fp32 graph rewritten so that every
    product with a weight matrix runs as ``MatMulInteger``.

    Why not ``onnxruntime.quantization.quantize_dynamic`` (what this did before): its
    ``DynamicQuantizeLinear`` takes ONE scale and zero point for the whole input tensor,
    i.e. for every token of every sentence in the batch, so a sentence's vectors depended
    on what it was batched with (and the int8 encoder had to run one sentence a call).
    onnxruntime has no per-row option, hence this rewrite of the weights' ``MatMul`` nodes
    (plain ONNX operators, no custom kernel):

    - each token's activations are quantised on their own: asymmetric uint8 over the
      token's own min..max (``q = round((a - min) / s)``, ``s = (max - min) / 255``), once
      per input tensor (query, key and value share one);
    - weights: symmetric per output column, **7 bits** (-63..63): x86 AVX2's u8 x s8
      kernel (``vpmaddubsw``) adds two products in saturating int16, and 255 x 63 x 2 stays
      below 32767 where 255 x 127 x 2 does not (8-bit weights measured worse: mean cosine
      to fp32 0.9958 against 0.9969, 1000 TED sentences);
    - ``a @ w = s * (q @ wq) * ws + min * colsum(w)``, in float32 after the int32 product.

    A token's output is then a function of that token's own activations alone, so
    batching, padding and the batch's other sentences change nothing (tested). Measured
    on 1000 TED MT sentences against the fp32 export: sentence-vector cosine mean 0.9969,
    1st percentile 0.988, min 0.979 (``quantize_dynamic`` one sentence a call: 0.9911 /
    0.973 / 0.967).

    The attention products (no weights) and the embedding tables stay float32; unchanged
    initializers keep pointing at the fp32 export's external data file (``WEIGHTS``), so
    ``target`` must be written next to ``source`` and only the int8 weights are stored in it.
    """
    import onnx
    from onnx import TensorProto, helper, numpy_helper
    from onnx.external_data_helper import load_external_data_for_tensor, uses_external_data

    model = onnx.load(str(source), load_external_data=False)
    graph = model.graph
    inits = {t.name: t for t in graph.initializer}

    def weight(name: str) -> np.ndarray:
        tensor = onnx.TensorProto()
        tensor.CopyFrom(inits[name])
        if uses_external_data(tensor):
            load_external_data_for_tensor(tensor, str(Path(source).parent))
        return numpy_helper.to_array(tensor).astype(np.float32)

    added: list = []

    def const(name: str, value: np.ndarray) -> str:
        added.append(numpy_helper.from_array(np.asarray(value), name))
        return name

    zero_u8 = const("rowq/zero_u8", np.array(0, np.uint8))
    zero_s8 = const("rowq/zero_s8", np.array(0, np.int8))
    eps = const("rowq/eps", np.array(1e-8, np.float32))
    inv255 = const("rowq/inv255", np.array(1.0 / 255, np.float32))
    nodes, rows, replaced = [], {}, set()
    node = helper.make_node
    for n in graph.node:
        w = n.input[1] if n.op_type == "MatMul" else None
        if w not in inits or len(inits[w].dims) != 2:
            nodes.append(n)
            continue
        a = n.input[0]
        if a not in rows:  # one quantisation per input tensor
            p = f"rowq/{len(rows)}/"
            nodes += [
                node("ReduceMax", [a], [p + "max"], axes=[-1], keepdims=1),
                node("ReduceMin", [a], [p + "min"], axes=[-1], keepdims=1),
                node("Sub", [p + "max", p + "min"], [p + "range"]),
                node("Max", [p + "range", eps], [p + "range+"]),
                node("Mul", [p + "range+", inv255], [p + "scale"]),
                node("Sub", [a, p + "min"], [p + "shifted"]),
                node("Div", [p + "shifted", p + "scale"], [p + "div"]),
                node("Round", [p + "div"], [p + "round"]),
                node("Cast", [p + "round"], [p + "q"], to=TensorProto.UINT8),
            ]
            rows[a] = (p + "q", p + "scale", p + "min")
        q, scale, low = rows[a]
        fw = weight(w)
        ws = np.abs(fw).max(0) / 63.0
        ws[ws == 0] = 1.0
        wq = np.clip(np.round(fw / ws), -63, 63).astype(np.int8)
        colsum = (wq.astype(np.float32) * ws).sum(0, keepdims=True).astype(np.float32)
        o, p = n.output[0], f"rowq/{w}/"
        nodes += [
            node("MatMulInteger", [q, const(p + "q", wq), zero_u8, zero_s8], [p + "int"]),
            node("Cast", [p + "int"], [p + "float"], to=TensorProto.FLOAT),
            node("Mul", [p + "float", const(p + "scale", ws.astype(np.float32))], [p + "w"]),
            node("Mul", [p + "w", scale], [p + "aw"]),
            node("Mul", [low, const(p + "colsum", colsum)], [p + "low"]),
            node("Add", [p + "aw", p + "low"], [o]),
        ]
        replaced.add(w)
    del graph.node[:]
    graph.node.extend(nodes)
    kept = [t for t in graph.initializer if t.name not in replaced]
    del graph.initializer[:]
    graph.initializer.extend(kept + added)
    onnx.save_model(model, str(target))
    onnx.checker.check_model(str(target))  # by path: external data is found next to it


# ---------------------------------------------------------------------------- run
#: Most padded tokens (batch size x padded length) in one batch: bounds the memory of
#: the attention scores (heads x length^2 floats per text) and of the seven hidden states,
#: which onnxruntime's arena keeps for the run. Measured on the fixture pair's alignment:
#: peak RSS 300 MB at 8192 tokens, 251 at 2048, 211 at 1024; CPU time 2.38 s, 2.07,
#: 1.92 (smaller batches pad less); TED sentences 99-102 per CPU-second at 8192,
#: 107-110 at 1024.
MAX_BATCH_TOKENS = 1024

_THREADS: int | None = None


def threads() -> int:
    """Threads for the forward pass: ``MTCHECK_THREADS``, default every core (at most 4).

    ``mtcheck batch --jobs N`` sets ``MTCHECK_THREADS`` so that its workers share the cores.
    """
    global _THREADS
    if _THREADS is None:
        try:
            n = int(os.environ.get("MTCHECK_THREADS") or 0)
        except ValueError:
            n = 0
        _THREADS = max(1, n or min(4, os.cpu_count() or 1))
    return _THREADS


def batches(lengths: list[int], batch_size: int, max_tokens: int | None = None) -> list[list[int]]:
    """Text indices grouped by token length: at most ``batch_size`` texts and
    ``max_tokens`` (default :data:`MAX_BATCH_TOKENS`) padded tokens a batch, so that
    little work goes into padding."""
    max_tokens = max_tokens or MAX_BATCH_TOKENS
    order = sorted(range(len(lengths)), key=lengths.__getitem__)
    out: list[list[int]] = []
    current: list[int] = []
    for i in order:  # lengths increase: the last text of a batch sets its padded length
        if current and (len(current) >= batch_size or (len(current) + 1) * lengths[i] > max_tokens):
            out.append(current)
            current = []
        current.append(i)
    if current:
        out.append(current)
    return out


def optimised_file(onnx_file: Path) -> Path:
    """Where the graph of ``onnx_file`` is kept as onnxruntime optimised it (fusions,
    constant folding), named after the onnxruntime version that wrote it and a stamp of
    the model files it was made from (size and modification time of ``onnx_file`` and of
    the weights file next to it), so a model rewritten in place is optimised afresh."""
    import hashlib

    import onnxruntime as ort

    stamp = hashlib.blake2b(digest_size=4)
    for part in (onnx_file, onnx_file.with_name(WEIGHTS)):
        if part.is_file():
            st = part.stat()
            stamp.update(f"{part.name}:{st.st_size}:{st.st_mtime_ns};".encode())
    return onnx_file.with_name(f"{onnx_file.stem}.ort-{ort.__version__}-{stamp.hexdigest()}.onnx")


def _remove_stale_graphs(onnx_file: Path, keep: Path) -> None:
    """Drop this onnxruntime version's other optimised graphs of ``onnx_file`` (made from
    the model file before it was rewritten). Another version's graph is left alone: an
    export folder can be shared by virtualenvs with different onnxruntime versions."""
    import onnxruntime as ort

    for old in onnx_file.parent.glob(f"{onnx_file.stem}.ort-{ort.__version__}*.onnx"):
        if old != keep:
            try:
                old.unlink(missing_ok=True)
            except OSError:  # another user's file in a shared folder: harmless, left
                pass


def session(onnx_file: Path):
    """An onnxruntime session of ``onnx_file``, from its pre-optimised graph when there is one.

    Optimising the graph (ENABLE_EXTENDED: BiasGelu, SkipLayerNorm-style fusions, constant
    folding) is most of what creating a session costs: 0.31 s CPU for the int8 model
    against 0.15 s to load the graph already optimised (best of 7, busy machine). So the
    first session saves its optimised graph next to the model (``optimised_file``;
    written under a temporary name and renamed; skipped where the folder is read-only),
    and later ones load that with optimisation off. Same outputs exactly (tested). Level 3
    (ENABLE_ALL) adds only layout changes for convolutions, none of which this graph has.
    """
    import onnxruntime as ort

    opts = ort.SessionOptions()
    opts.intra_op_num_threads = threads()
    opts.inter_op_num_threads = 1
    opts.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    # Spinning threads burn the other worker's core while they wait (batch --jobs N,
    # a busy machine); without spinning the cost on a quiet machine is small.
    opts.add_session_config_entry("session.intra_op.allow_spinning", os.environ.get("MTCHECK_ORT_SPIN", "0"))
    opts.log_severity_level = 3
    providers = ["CPUExecutionProvider"]
    done = optimised_file(onnx_file)
    if done.is_file():
        opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
        try:
            return ort.InferenceSession(str(done), opts, providers=providers)
        except Exception:  # unreadable or from another build: optimise afresh
            pass
    opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_EXTENDED
    if not os.access(onnx_file.parent, os.W_OK):
        return ort.InferenceSession(str(onnx_file), opts, providers=providers)
    tmp = done.with_name(f".{done.name}.{os.getpid()}.tmp")
    opts.optimized_model_filepath = str(tmp)
    try:
        made = ort.InferenceSession(str(onnx_file), opts, providers=providers)
        if tmp.is_file():
            os.replace(tmp, done)
            _remove_stale_graphs(onnx_file, done)
        return made
    finally:
        tmp.unlink(missing_ok=True)


class OnnxModel:
    """Tokenizer + ONNX Runtime session + pooling of one exported model."""

    def __init__(self, spec: ModelSpec, folder: Path, int8: bool = False):
        from tokenizers import Tokenizer

        self.spec = spec
        self.int8 = int8
        tok = Tokenizer.from_file(str(spec.path / "tokenizer.json"))
        tok.no_padding()  # tokenizer.json may carry its own fixed padding/truncation
        tok.enable_truncation(max_length=spec.max_seq_length)
        self.tokenizer = tok
        onnx_file = folder / (INT8 if int8 else FP32)
        if int8:
            ensure_int8(folder)
        self.session = session(onnx_file)
        self.outputs = [o.name for o in self.session.get_outputs()]

    def forward(self, texts: list[str], batch_size: int = 32, keep_layers: tuple[int, ...] = ()):
        """Sentence embeddings and per-text token outputs for ``texts``.

        Returns ``(vectors, per_text)``: ``vectors`` one pooled (and, as the model says,
        normalised) float32 row per text; ``per_text[i]`` is ``(encoding, last, layers)``
        with the tokenizer's Encoding, the raw last hidden state of every token (special
        tokens included) and the raw states of ``keep_layers`` stacked
        ``[len(keep_layers), n_tokens, hidden]`` (``None`` without ``keep_layers``).
        """
        encodings = self.tokenizer.encode_batch(list(texts))
        out = np.zeros((len(texts), self.spec.hidden), dtype=np.float32)
        per_text: list = [None] * len(texts)
        last_name = self.outputs[-1]
        for idx in batches([len(e.ids) for e in encodings], batch_size):
            n = max(len(encodings[i].ids) for i in idx)
            ids = np.zeros((len(idx), n), dtype=np.int64)
            mask = np.zeros((len(idx), n), dtype=np.int64)
            for b, i in enumerate(idx):
                e = encodings[i].ids
                ids[b, : len(e)] = e
                mask[b, : len(e)] = 1
            wanted = [last_name] + [self.outputs[k] for k in keep_layers]
            states = self.session.run(wanted, {"input_ids": ids, "attention_mask": mask,
                                               "token_type_ids": np.zeros_like(ids)})
            hidden = states[0]
            out[idx] = self.pool(hidden, mask)
            for b, i in enumerate(idx):  # one copy per text of what it keeps, no more
                length = len(encodings[i].ids)
                per_text[i] = (
                    encodings[i],
                    hidden[b, :length].copy(),
                    np.stack([s[b, :length] for s in states[1:]]) if keep_layers else None,
                )
        return out, per_text

    def pool(self, hidden: np.ndarray, mask: np.ndarray) -> np.ndarray:
        mode = self.spec.pooling
        if mode == "cls":
            vec = hidden[:, 0]
        elif mode == "max":
            vec = np.where(mask[:, :, None] > 0, hidden, np.finfo(np.float32).min).max(1)
        else:
            m = mask[:, :, None].astype(np.float32)
            vec = (hidden * m).sum(1) / np.clip(m.sum(1), 1e-9, None)
        if self.spec.normalize:
            vec = vec / np.clip(np.linalg.norm(vec, axis=1, keepdims=True), 1e-12, None)
        return vec.astype(np.float32)


def main(argv: list[str] | None = None) -> int:
    """``python -m mtcheck.align.onnx_encoder export [MODEL_DIR] [--into ROOT]``: the
    install-time export (the Makefile runs it for the bundled model)."""
    import argparse

    parser = argparse.ArgumentParser(prog="python -m mtcheck.align.onnx_encoder")
    sub = parser.add_subparsers(dest="command", required=True)
    ex = sub.add_parser("export", help="export a model (default: the bundled all-MiniLM-L6-v2)")
    ex.add_argument("model", nargs="?", help="sentence-transformers model directory")
    ex.add_argument("--into", help=f"root folder (default: ${ENV_DIR} or <sys.prefix>/share/mtcheck/onnx)")
    args = parser.parse_args(argv)
    from mtcheck.align.embed import default_model_path

    model = args.model or default_model_path()
    root = Path(args.into) if args.into else _roots(None)[0]
    folder = export(model, root, quiet=True)
    for name in (FP32, INT8):  # the optimised graphs too: the first check needs no optimising
        session(folder / name)
    print(f"ONNX export of {model}: {folder}")
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
