"""The engine-agnostic task: check a chunk of pairs and render their reports.

Every engine (in-process for ``--jobs 1``, the process pool of :mod:`mtcheck.batch.local`,
the Ray tasks of :mod:`mtcheck.batch.ray_engine`) sets a worker up once with
:func:`init_worker` and calls :func:`check_chunk` on a few pairs at a time. A chunk first
encodes the sentences of all its pairs together (:func:`prefetch`: one length-sorted
encoder pass instead of a few short calls per pair), then checks each
pair, which finds its embeddings in the encoder's memo. The task does no I/O: it returns
each pair's summary entry and rendered reports as plain data, and the driver writes them
(:mod:`mtcheck.batch.output`), so the same outcome comes back whichever engine ran it.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import re
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

from mtcheck import __version__
from mtcheck.batch.inputs import Pair, printable
from mtcheck.settings import Settings

PAIRS_DIR = "pairs"
#: Pairs per task: their sentences are encoded together (``--chunk-size``).
CHUNK_PAIRS = 8
MAX_NAME = 100
#: Most characters (both sides of every pair) a chunk may have for its texts to be
#: prefetched and held together (``check_chunk``): ~85 MB of token embeddings and layer
#: states; 8 TED pairs of 10 segments a side are ~18,000.
CHUNK_HOLD_CHARS = 60_000
#: A worker's in-memory embedding memos (sentence vectors, token embeddings, layer states)
#: between chunks, bounded so that its memory does not grow with the batch: a chunk of 8
#: TED pairs of 10 segments a side keeps ~200 sentences, 7 MB of token embeddings and
#: 16 MB of the tagger's layer states (measured). During a chunk of at most
#: ``CHUNK_HOLD_CHARS`` everything it encodes is held (``check_chunk``), so its pairs cost
#: memory, not a second pass. (The defaults for one process, 20,000 / 64 MB / 256 MB, let
#: a batch worker grow by ~300 MB; at 16 / 32 MB two TED workers peaked at 805 MB RSS.)
WORKER_MEMO = {"sentences": 2000, "token_bytes": 12 * 1024 * 1024, "state_bytes": 24 * 1024 * 1024}


def safe_name(pid: str) -> str:
    """File name for a pair id: kept when already safe, else sanitised plus a short hash.

    Only ``[A-Za-z0-9._-]``, no leading dot, at most 100 characters before the hash: a
    hostile id (``../x``, ``/etc/passwd``, markup, NUL, 10,000 characters) names a plain
    file inside ``pairs/``.
    """
    clean = re.sub(r"[^A-Za-z0-9._-]+", "_", pid).strip("._")[:MAX_NAME] or "pair"
    if clean != pid:
        clean += "-" + hashlib.sha1(pid.encode("utf-8", "surrogatepass")).hexdigest()[:8]
    return clean


#: Settings fields that choose where and how a batch runs, not what a report says.
_RUN_ONLY = ("cache", "cache_dir", "engine", "ray_address")


def settings_fingerprint(settings: Settings) -> str:
    data = dataclasses.asdict(settings)
    for key in _RUN_ONLY:
        data.pop(key, None)
    for key in ("glossary", "suppressions", "baseline"):
        f = data.get(key)
        if f:  # the file's content counts, not only its name
            try:
                data[key] = [f, hashlib.sha256(Path(f).read_bytes()).hexdigest()]
            except OSError:
                pass
    return json.dumps([__version__, data], sort_keys=True, default=str)


def fingerprint(settings_fp: str, pair: Pair, ref_text: str, cand_text: str) -> str:
    h = hashlib.sha256()
    for part in (settings_fp, pair.id, str(pair.aligned), pair.reference, pair.candidate, ref_text, cand_text):
        h.update(part.encode("utf-8", "surrogatepass") + b"\0")
    return h.hexdigest()


@dataclass
class WorkerConfig:
    """What a worker needs, sent once per worker (pickled; plain data)."""

    settings: Settings
    html: bool = False
    threads: int | None = None


_WORKER: dict = {}


def init_worker(config: WorkerConfig) -> None:
    """Set up one worker (also used in-process for --jobs 1): settings and one Encoder."""
    if config.threads:  # read by the encoder (MTCHECK_THREADS) and torch (OMP_NUM_THREADS)
        for var in ("MTCHECK_THREADS", "OMP_NUM_THREADS"):
            os.environ[var] = str(config.threads)
    from mtcheck.align.embed import Encoder
    from mtcheck.detect.tagger import prepare

    encoder = Encoder.from_settings(config.settings)
    encoder.limit_memos(**WORKER_MEMO)
    try:
        prepare(encoder)  # before the first prefetch: its pass keeps the tagger's layer states
    except Exception:  # noqa: BLE001 - each pair's check meets the same error and reports it
        pass
    _WORKER.update(config=config, encoder=encoder)


def ensure_worker(config: WorkerConfig) -> None:
    """``init_worker`` unless this process already serves this config (Ray reuses workers)."""
    if _WORKER.get("config") != config:
        init_worker(config)


@dataclass
class Task:
    seq: int
    pair: Pair
    reference_text: str
    candidate_text: str
    fingerprint: str


@dataclass
class Outcome:
    """A checked pair: its summary entry and its rendered reports (path -> text)."""

    seq: int
    entry: dict
    files: dict[str, str] = field(default_factory=dict)


def base_entry(pair: Pair) -> dict:
    return {
        "id": pair.id,
        "name": printable(pair.id),
        "status": "error",
        "resumed": False,
        "reference": pair.reference,
        "candidate": pair.candidate,
        "report": None,
        "html": None,
        "href": None,
        "passed": None,
        "quality": None,
        "penalty": None,
        "per_1000_words": None,
        "words": None,
        "findings": 0,
        "counts": {"minor": 0, "major": 0, "critical": 0},
        "parallel": None,
        "metrics": None,
        "sentences": None,
        "seconds": 0.0,
        "error": None,
        "fingerprint": None,
    }


def error_outcome(task: Task, message: str) -> Outcome:
    entry = base_entry(task.pair)
    entry.update(error=message, fingerprint=task.fingerprint)
    return Outcome(task.seq, entry)


def _settings_for(pair: Pair) -> Settings:
    settings: Settings = _WORKER["config"].settings
    if pair.aligned and not settings.aligned:
        settings = dataclasses.replace(settings, aligned=True)
    return settings


# ----------------------------------------------------------------------------- prefetch
def prefetch(tasks: list[Task]) -> int:
    """Encode the sentences of every pair of ``tasks`` together; returns how many ran
    through the model.

    One :meth:`Encoder.prefetch` call (it sorts by token length and cuts the batches to
    its padded-token bound) instead of a few short calls per pair: the embeddings land in the encoder's memo (and disk
    cache), where the pipeline's own calls for each pair find them. A pair that cannot be
    segmented is left to :func:`check_pair`, which reports it.
    """
    from mtcheck.segment import line_sentences, segment
    from mtcheck.types import Document

    texts: list[str] = []
    for task in tasks:
        aligned = _settings_for(task.pair).aligned
        for text in (task.reference_text, task.candidate_text):
            try:
                doc = Document(path="", text=text)
                line_sentences(doc) if aligned else segment(doc, _settings_for(task.pair).language)
            except Exception:  # noqa: BLE001 - check_pair reports it
                continue
            texts.extend(s.text for s in doc.sentences)
    return _WORKER["encoder"].prefetch(texts)


# ----------------------------------------------------------------------------- check
def check_pair(task: Task) -> Outcome:
    """Check one pair; its entry and rendered reports (nothing written)."""
    from mtcheck.errors import known_errors
    from mtcheck.pipeline import check_documents
    from mtcheck.report import emitter
    from mtcheck.types import SEVERITIES, Document

    t0 = time.perf_counter()
    pair = task.pair
    try:
        report = check_documents(
            Document(path=pair.reference, text=task.reference_text),
            Document(path=pair.candidate, text=task.candidate_text),
            _settings_for(pair),
            _WORKER["encoder"],
        )
        rendered = {"json": emitter("json")(report)}
        if _WORKER["config"].html:
            rendered["html"] = emitter("html")(report)
    except known_errors() as exc:
        return error_outcome(task, str(exc))
    except Exception as exc:  # noqa: BLE001 - one broken pair must not stop the batch
        return error_outcome(task, f"internal error: {type(exc).__name__}: {exc}")
    entry = base_entry(pair)
    name = safe_name(pair.id)
    files = {}
    for fmt, text in rendered.items():
        rel = f"{PAIRS_DIR}/{name}.{fmt}"
        files[rel] = text
        entry["report" if fmt == "json" else fmt] = rel
    score = report.score
    entry.update(
        status="passed" if score.passed else "failed",
        href=entry["html"] or entry["report"],
        passed=score.passed,
        quality=score.quality,
        penalty=score.penalty,
        per_1000_words=score.per_1000_words,
        words=score.words,
        findings=len(report.findings),
        counts={s: sum(f.severity == s for f in report.findings) for s in SEVERITIES},
        parallel=report.parallel.is_parallel,
        metrics={k: getattr(report.metrics, k) for k in ("bleu", "chrf", "ter", "similarity")},
        sentences={"reference": len(report.reference.sentences), "candidate": len(report.candidate.sentences)},
        seconds=round(time.perf_counter() - t0, 4),
        fingerprint=task.fingerprint,
    )
    return Outcome(task.seq, entry, files)


def check_chunk(tasks: list[Task]) -> Iterator[Outcome]:
    """Prefetch the chunk's embeddings, then check its pairs one by one (streamed).

    The encoder's memos hold everything of the chunk until its last pair is checked
    (``Encoder.holding``), so that the prefetch's vectors, token embeddings and layer
    states are all still there when each pair's rules ask; then they go back within
    ``WORKER_MEMO``. Only for a chunk of at most ``CHUNK_HOLD_CHARS`` characters: the
    held states take ~1.4 kB a character, so a chunk of long articles is not prefetched
    and each pair is encoded by its own check (which holds that one pair's states).
    """
    chars = sum(len(t.reference_text or "") + len(t.candidate_text or "") for t in tasks)
    if len(tasks) < 2 or chars > CHUNK_HOLD_CHARS:
        for task in tasks:
            yield check_pair(task)
        return
    from mtcheck.cache import collecting

    # A cache notice of the prefetch (a corrupt cache found when it opens) goes to the
    # chunk's first check.
    with _WORKER["encoder"].holding(), collecting():
        try:
            prefetch(tasks)
        except Exception:  # noqa: BLE001 - a failing encoder shows in each pair's check
            pass
        for task in tasks:
            yield check_pair(task)


def run_chunk(config: WorkerConfig, tasks: list[Task]) -> list[Outcome]:
    """One engine task: a chunk of pairs in a worker set up once (local pool, Ray)."""
    ensure_worker(config)
    outcomes = list(check_chunk(tasks))
    release_memory()
    return outcomes


def release_memory() -> None:
    """Hand the heap freed by a chunk back to the system (glibc keeps it otherwise).

    A chunk's arrays (encoder outputs, alignment matrices) are freed when it ends, but
    glibc's malloc keeps the pages for reuse; ``malloc_trim`` returns them, ~20 MB a
    worker measured on TED pairs. Nothing happens where glibc is not the C library.
    """
    import ctypes

    try:
        ctypes.CDLL(None).malloc_trim(0)  # the process's own symbols: glibc's, on Linux
    except (OSError, AttributeError):
        pass
