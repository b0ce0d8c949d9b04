"""The engine-agnostic task: check one pair and write its reports atomically.

Every engine (the local process pool of :mod:`mtcheck.batch.local`, or in-process for
``--jobs 1``) sets a worker up once with :func:`init_worker` and calls :func:`run_task`
per pair; the returned summary entry is plain data.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import re
import time
from dataclasses import dataclass
from pathlib import Path

from mtcheck import __version__
from mtcheck.batch.inputs import Pair
from mtcheck.settings import Settings

PAIRS_DIR = "pairs"


def safe_name(pid: str) -> str:
    """File name for a pair id: kept when already safe, else sanitised plus a short hash."""
    clean = re.sub(r"[^A-Za-z0-9._-]+", "_", pid).strip("._")[:100] or "pair"
    if clean != pid:
        clean += "-" + hashlib.sha1(pid.encode("utf-8", "surrogatepass")).hexdigest()[:8]
    return clean


def settings_fingerprint(settings: Settings) -> str:
    data = dataclasses.asdict(settings)
    for key in ("cache", "cache_dir"):
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


_WORKER: dict = {}


def init_worker(settings: Settings, out_dir: str, html: bool, threads: int | None = None) -> None:
    """Set up one worker (also used in-process for --jobs 1): settings and one Encoder."""
    if threads:  # read by the numpy encoder (MTCHECK_THREADS) and torch (OMP_NUM_THREADS)
        for var in ("MTCHECK_THREADS", "OMP_NUM_THREADS"):
            os.environ[var] = str(threads)
    from mtcheck.align.embed import Encoder

    _WORKER.update(settings=settings, out_dir=Path(out_dir), html=html, encoder=Encoder.from_settings(settings))


@dataclass
class Task:
    seq: int
    pair: Pair
    reference_text: str
    candidate_text: str
    fingerprint: str


def _base_entry(pair: Pair) -> dict:
    return {
        "id": pair.id,
        "name": pair.id,
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


def run_task(task: Task) -> dict:
    """Check one pair, write its reports atomically, return its summary entry."""
    from mtcheck.errors import known_errors
    from mtcheck.pipeline import check_documents
    from mtcheck.report import atomic_write, emitter
    from mtcheck.types import SEVERITIES, Document

    t0 = time.perf_counter()
    pair = task.pair
    entry = _base_entry(pair)
    entry["fingerprint"] = task.fingerprint
    settings: Settings = _WORKER["settings"]
    if pair.aligned and not settings.aligned:
        settings = dataclasses.replace(settings, aligned=True)
    out_dir: Path = _WORKER["out_dir"]
    try:
        report = check_documents(
            Document(path=pair.reference, text=task.reference_text),
            Document(path=pair.candidate, text=task.candidate_text),
            settings,
            _WORKER["encoder"],
        )
        rendered = {"json": emitter("json")(report)}
        if _WORKER["html"]:
            rendered["html"] = emitter("html")(report)
    except known_errors() as exc:
        entry["error"] = str(exc)
        return entry
    except Exception as exc:  # noqa: BLE001 - one broken pair must not stop the batch
        entry["error"] = f"internal error: {type(exc).__name__}: {exc}"
        return entry
    name = safe_name(pair.id)
    try:
        for fmt, text in rendered.items():
            rel = f"{PAIRS_DIR}/{name}.{fmt}"
            atomic_write(out_dir / rel, text)
            entry["report" if fmt == "json" else fmt] = rel
    except OSError as exc:
        entry["error"] = f"cannot write the report ({exc.strerror or exc})"
        return entry
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
    )
    return entry
