"""Back-end faults: a cache file that is corrupt or truncated on disk (real files,
damaged the way a full disk or a killed process leaves them). Each gives a notice in the
report, the cache is rebuilt, and the findings are those of a run without the fault."""

from __future__ import annotations

import json
import sqlite3

import numpy as np
import pytest

from mtcheck.cache import take_notices

REF = "Zelensky met Erdogan in Ankara on 5 May.\nThe talks in Istanbul ended on Friday.\n"
CAND = "Zelensky met met Erdogan in Ankara on 7 May.\nThe talks in Istanbul ended on Friday.\n"


def _run(cache_dir):
    """One check with a fresh Encoder (no in-process memo) on ``cache_dir``."""
    from mtcheck.align.embed import Encoder
    from mtcheck.pipeline import check_documents
    from mtcheck.settings import Settings
    from mtcheck.types import Document

    settings = Settings(grammar=False, cache_dir=str(cache_dir))
    encoder = Encoder.from_settings(settings)
    report = check_documents(Document("ref.txt", REF), Document("cand.txt", CAND), settings, encoder)
    encoder.cache.close()  # as at the end of a process: the WAL is folded into the file
    return report, encoder


def _findings(report):
    return [(f.code, f.side, f.start, f.end, f.severity) for f in report.findings]


def _garbage(path):
    path.write_bytes(b"this is not an SQLite file\n" * 200)


def _truncate(path):
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])


@pytest.mark.parametrize("damage", [_garbage, _truncate], ids=["garbage", "truncated"])
def test_corrupt_embedding_cache_is_rebuilt_with_a_notice(tmp_path, damage):
    take_notices()
    first, _ = _run(tmp_path)
    assert first.findings and not any("cache" in n for n in first.notices)
    db = tmp_path / "embeddings.sqlite3"
    damage(db)

    second, enc = _run(tmp_path)
    notes = [n for n in second.notices if "embedding cache" in n]
    assert len(notes) == 1 and "corrupt" in notes[0] and "rebuilt" in notes[0]
    assert _findings(second) == _findings(first)  # every rule's findings intact
    assert enc.stats["encoded"] > 0 and (tmp_path / "embeddings.sqlite3.corrupt").exists()

    third, enc = _run(tmp_path)  # the rebuilt cache serves the next run
    assert enc.stats["encoded"] == 0 and enc.stats["cache_hits"] > 0
    assert not any("cache" in n for n in third.notices) and _findings(third) == _findings(first)


def test_a_notice_from_outside_a_check_stays_out_of_the_next_report(tmp_path):
    """A corrupt cache met by a direct use of the encoder (no check running) must not
    show in the report of the next check in the same process (it used to: the notice
    waited in a module-level list for whichever check came next)."""
    from mtcheck.align.embed import Encoder

    take_notices()
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "embeddings.sqlite3").write_bytes(b"this is not an SQLite file\n" * 200)
    Encoder(cache_dir=elsewhere).encode(["a sentence outside any check"])
    report, _ = _run(tmp_path / "check")
    assert not any("cache" in n for n in report.notices)
    (note,) = take_notices()  # it is still there for whoever asks outside a check
    assert "corrupt" in note and str(elsewhere) in note


def test_a_notice_before_a_chunks_checks_goes_to_its_first_check():
    from mtcheck.cache import collecting, notice

    with collecting() as chunk:
        notice("the prefetch found a corrupt cache")
        with collecting() as first:
            notice("the first check's own")
        with collecting() as second:
            pass
    assert first == ["the prefetch found a corrupt cache", "the first check's own"]
    assert second == [] and chunk == [] and take_notices() == []
    with collecting() as outer:
        with collecting():  # an empty scope inside an empty one: the inner one closes
            pass
        notice("still the outer block's")
    assert outer == ["still the outer block's"] and take_notices() == []


def test_damaged_rows_are_misses_not_vectors(tmp_path):
    from mtcheck.align.embed_cache import EmbeddingCache

    cache = EmbeddingCache(tmp_path, "model")
    cache.put_many({"good": np.ones(4, np.float32), "short": np.ones(4, np.float32), "nan": np.ones(4, np.float32)})
    cache.close()
    with sqlite3.connect(tmp_path / "embeddings.sqlite3") as db:
        db.execute("UPDATE emb SET vec = ? WHERE key = ?", (b"\x00" * 7, cache.key("short")))
        db.execute("UPDATE emb SET vec = ? WHERE key = ?", (np.full(4, np.nan, np.float32).tobytes(), cache.key("nan")))
    found = EmbeddingCache(tmp_path, "model").get_many(["good", "short", "nan"])
    assert list(found) == ["good"]


def test_corrupt_languagetool_cache_entry_is_asked_again(tmp_path):
    from mtcheck.detect.languagetool.cache import ResponseCache

    take_notices()
    cache = ResponseCache(tmp_path)
    answer = {"matches": [{"offset": 3, "length": 4, "message": "x", "rule": {"id": "R"}}]}
    for key, damage in (("a" * 64, lambda p: p.write_text(p.read_text()[:20])),  # truncated
                        ("b" * 64, lambda p: p.write_bytes(b"\xff\xfe garbage")),  # not UTF-8 JSON
                        ("c" * 64, lambda p: p.write_text(json.dumps({"matches": [{"offset": "3"}]})))):  # wrong shape
        cache.put(key, answer)
        assert cache.get(key) == answer
        damage(cache._path(key))
        assert cache.get(key) is None  # a miss: the client asks LanguageTool again
        assert not cache._path(key).exists()
        cache.put(key, answer)  # ... and stores the new answer
        assert cache.get(key) == answer
    notes = take_notices()
    assert len(notes) == 3 and all("LanguageTool cache entry" in n and "rebuilt" in n for n in notes)


def test_corrupt_pickled_cache_is_rebuilt_with_a_notice(tmp_path):
    from mtcheck.cache import pickled
    from mtcheck.settings import Settings

    take_notices()
    settings = Settings(cache_dir=str(tmp_path))
    assert pickled("words", "k1", lambda: {"a": 1}, settings) == {"a": 1}
    (path,) = tmp_path.glob("words-*.pickle")
    path.write_bytes(path.read_bytes()[:5])
    assert pickled("words", "k1", lambda: {"a": 2}, settings) == {"a": 2}  # rebuilt
    assert pickled("words", "k1", lambda: {"a": 3}, settings) == {"a": 2}  # and stored again
    (note,) = take_notices()
    assert str(path) in note and "rebuilt" in note
