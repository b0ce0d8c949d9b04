"""Batch runs: check many article pairs, one report each, plus a summary and an index.

Orchestration only (like :mod:`mtcheck.pipeline`, which checks each pair); the click
command is in :mod:`mtcheck.cli.batch`.

Inputs (:func:`open_input`):

- **a directory**: every ``NAME.ref.txt`` (reference) with its ``NAME.mt.txt``
  (candidate), searched recursively; the pair's id is ``NAME`` with its sub-folder
  (``2024/story-1``). A file without its partner is an error entry.
- **a manifest**, ``.csv`` (header row) or ``.jsonl`` (one object a line), with ``id``
  and, for each side, either ``reference`` / ``candidate``: a file path, relative to the
  manifest's folder, or ``reference_text`` / ``candidate_text``: the article itself.
  An optional ``aligned`` column (true/false) checks that pair line-aligned.
- **two line-aligned files**, ``INPUT CANDIDATE``: line i of one is the translation of
  line i of the other (as sacrebleu expects), each line ``DOC_ID<TAB>segment``. Lines
  with the same id, one after the other, form one document; each document pair is
  checked line-aligned (``--aligned``). With ``--doc-ids FILE`` both files are plain
  text, one segment a line, and line i of FILE holds the id of line i. A report's
  offsets are then into the document's segments joined with newlines.

Outputs in the output folder (or fsspec URL): ``pairs/ID.json`` (schema
``mtcheck.report/1``), ``pairs/ID.html`` with ``--html``, ``summary.json`` (schema
``mtcheck.batch/1``, ``mtcheck/report/schema/batch.schema.json``) and ``index.html``.
Each pair's reports are written whole, then its record in ``.mtcheck-batch/``; a re-run
skips every pair recorded there with the same inputs and settings (resume after an
interruption), unless ``force``. Pairs that could not be checked are error entries; the
batch goes on.

Modules, in the order a run uses them: :mod:`~mtcheck.batch.inputs` (the three input
kinds), :mod:`~mtcheck.batch.run` (streaming, resume, writing), the engines
:mod:`~mtcheck.batch.local` and :mod:`~mtcheck.batch.ray_engine`, which run the
engine-agnostic :mod:`~mtcheck.batch.task` (check a chunk of pairs, render their
reports), :mod:`~mtcheck.batch.output` (folder or fsspec URL, lock, records) and
:mod:`~mtcheck.batch.summary` (summary.json, index).
"""
from __future__ import annotations

from mtcheck.batch.inputs import BatchInput, BatchInputError, Pair, open_input
from mtcheck.batch.run import BatchResult, run_batch
from mtcheck.batch.task import safe_name

__all__ = ["BatchInput", "BatchInputError", "BatchResult", "Pair", "open_input", "run_batch", "safe_name"]
