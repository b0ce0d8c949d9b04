"""A batch worker's memory is bounded: its encoder memos stay within WORKER_MEMO, and what
they drop is recomputed to the same reports."""

from __future__ import annotations

import json

from batch_data import MT, MT2, REF, REF2
from mtcheck.batch import task as batch_task
from mtcheck.batch.inputs import Pair
from mtcheck.settings import Settings


def _tasks() -> list[batch_task.Task]:
    texts = [(REF, MT), (REF2, MT2), (REF + REF2, MT2 + MT)]
    return [
        batch_task.Task(i, Pair(id=f"p{i}", reference=f"p{i}.ref", candidate=f"p{i}.mt", reference_text=r, candidate_text=c), r, c, "")
        for i, (r, c) in enumerate(texts)
    ]


def _reports(outcomes) -> list[dict]:
    out = []
    for o in outcomes:
        report = json.loads(next(iter(o.files.values())))
        report.pop("timings", None)
        out.append(report)
    return out


def test_worker_memos_are_bounded_and_evictions_change_nothing(monkeypatch):
    config = batch_task.WorkerConfig(settings=Settings(grammar=False, cache=False))
    batch_task.init_worker(config)
    encoder = batch_task._WORKER["encoder"]
    assert encoder.memo_sentences == batch_task.WORKER_MEMO["sentences"]
    assert encoder._state_memo.max_bytes == batch_task.WORKER_MEMO["state_bytes"]
    roomy = _reports(batch_task.run_chunk(config, _tasks()))

    # Memos far too small for one chunk: everything evicted is embedded again.
    monkeypatch.setattr(batch_task, "WORKER_MEMO", {"sentences": 2, "token_bytes": 20_000, "state_bytes": 20_000})
    batch_task.init_worker(config)
    encoder = batch_task._WORKER["encoder"]
    tight = _reports(batch_task.run_chunk(config, _tasks()))
    assert len(encoder._memo) <= 2
    assert encoder._tok_memo.bytes <= 20_000 and encoder._state_memo.bytes <= 20_000
    assert tight == roomy


def test_a_corrupt_cache_found_by_a_chunks_prefetch_shows_in_its_first_report_only(tmp_path):
    """The prefetch opens the embedding cache before any check of the chunk runs; its
    notice goes to the chunk's first report, not to the next chunk's nor nowhere."""
    from mtcheck.cache import take_notices

    (tmp_path / "embeddings.sqlite3").write_bytes(b"this is not an SQLite file\n" * 200)
    take_notices()
    config = batch_task.WorkerConfig(settings=Settings(grammar=False, cache=True, cache_dir=str(tmp_path)))
    batch_task.init_worker(config)
    reports = _reports(batch_task.run_chunk(config, _tasks()[:2]))
    notes = [[n for n in r["notices"] if "embedding cache" in n] for r in reports]
    assert len(notes[0]) == 1 and "corrupt" in notes[0][0] and notes[1] == []
    assert take_notices() == []
