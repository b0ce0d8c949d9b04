"""Fuzz the parsers of everything a user hands mtcheck: the article readers (and the
segmenter behind them), the batch manifests (CSV, JSON Lines, line-aligned files), the
config file and the baseline/suppressions files. Not in CI.

    python bench/fuzz.py                       # every target, 20,000 inputs each (atheris)
    python bench/fuzz.py --runs 100000 --target config --target baseline
    python bench/fuzz.py --engine hypothesis   # where atheris does not install

Engines: atheris (coverage-guided, libFuzzer; mtcheck's modules and the pure-Python
parsers they call are instrumented) started from seed files that are valid inputs, or
hypothesis (random bytes and byte-level mutations of the same seeds). Each target turns
one input into a file and calls the real parsing function. An input is a *finding* when
the parser raises anything other than its documented one-line error (InputError,
ConfigError, BaselineError, BatchInputError), when that error's message spans several
lines, or when what it returns breaks a stated property (a sentence span that does not
slice the text, loaded data that cannot be written back into a UTF-8 report). Findings
are grouped by exception type and the mtcheck line that raised; the first input of each
is printed. Exit code 1 when any target found something.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import subprocess
import sys
import tempfile
import traceback
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

TARGETS = ("read", "config", "baseline", "suppressions", "manifest_csv", "manifest_jsonl", "lines")


class Violation(AssertionError):
    """A property of the parser's result does not hold."""


def _one_line(exc: BaseException) -> None:
    msg = str(exc)
    if not msg or "\n" in msg or "\r" in msg:
        raise Violation(f"error message is not one line: {msg!r}")


def _writable(value) -> None:
    """Whatever a parser hands on must be writable into a UTF-8 report."""
    try:
        json.dumps(value, ensure_ascii=False, default=repr).encode("utf-8")
    except UnicodeEncodeError as exc:
        raise Violation(f"loaded data cannot be written as UTF-8 ({exc.reason})") from None


def _finite(settings) -> None:
    for name in ("max_penalty", "min_quality"):
        v = getattr(settings, name)
        if v is not None and not math.isfinite(v):
            raise Violation(f"{name} = {v!r} accepted")
    if not all(math.isfinite(w) for w in settings.weights.values()):
        raise Violation(f"weights {settings.weights!r} accepted")


# -- targets: each takes the input bytes and a scratch folder ---------------------------


def target_read(data: bytes, tmp: Path) -> None:
    from mtcheck.read import InputError, read_document
    from mtcheck.segment import split_spans

    path = tmp / "article.txt"
    path.write_bytes(data)
    try:
        doc = read_document(str(path))
    except InputError as exc:
        _one_line(exc)
        return
    last = 0
    for start, end in split_spans(doc.text):
        if not (last <= start < end <= len(doc.text)) or doc.text[start:end] != doc.text[start:end].strip():
            raise Violation(f"bad sentence span {(start, end)} after {last}")
        if "\n" in doc.text[start:end]:
            raise Violation(f"sentence span {(start, end)} crosses a line break")
        last = end


def _load(data: bytes, path: Path, load, error: type[Exception], check) -> None:
    """Write ``data`` to ``path``, call ``load(str(path))``; its documented error must be
    one line, and ``check`` must accept what it returns."""
    path.write_bytes(data)
    try:
        value = load(str(path))
    except error as exc:
        _one_line(exc)
        return
    check(value)


def _settings_ok(settings) -> None:
    from mtcheck.segment import split_spans

    _finite(settings)
    _writable(vars(settings))
    split_spans("A. B.", settings.language)  # a language the run can use


def target_config(data: bytes, tmp: Path) -> None:
    from mtcheck.config import ConfigError, load_settings

    _load(data, tmp / "mtcheck.toml", load_settings, ConfigError, _settings_ok)
    _load(b"[tool.mtcheck]\n" + data, tmp / "pyproject.toml", load_settings, ConfigError, _settings_ok)


def target_baseline(data: bytes, tmp: Path) -> None:
    from mtcheck.score.baseline import BaselineError, load_baseline

    _load(data, tmp / "baseline.json", load_baseline, BaselineError, lambda keys: _writable(list(keys)))


def target_suppressions(data: bytes, tmp: Path) -> None:
    from mtcheck.score.baseline import BaselineError, load_suppressions

    _load(data, tmp / "suppressions.json", load_suppressions, BaselineError,
          lambda entries: _writable([vars(e) for e in entries]))


def _batch_pairs(path: str, candidate: str | None = None, doc_ids: str | None = None) -> None:
    from mtcheck.batch import BatchInputError, open_input

    try:
        inp = open_input(path, candidate, doc_ids)
        pairs = list(inp.pairs())
    except BatchInputError as exc:
        _one_line(exc)
        return
    for p in pairs:
        if p.error is not None:
            if not isinstance(p.error, str):
                raise Violation(f"pair error is not a message: {p.error!r}")
            _one_line(Exception(p.error))
        _writable(vars(p))


def target_manifest_csv(data: bytes, tmp: Path) -> None:
    path = tmp / "manifest.csv"
    path.write_bytes(data)
    _batch_pairs(str(path))


def target_manifest_jsonl(data: bytes, tmp: Path) -> None:
    path = tmp / "manifest.jsonl"
    path.write_bytes(data)
    _batch_pairs(str(path))


def target_lines(data: bytes, tmp: Path) -> None:
    """Two (or three, with --doc-ids) line-aligned files, cut from one input at NUL NUL."""
    parts = data.split(b"\x00\x00")
    files = []
    for i, part in enumerate(parts[:3]):
        f = tmp / f"side{i}.txt"
        f.write_bytes(part)
        files.append(str(f))
    if len(files) < 2:
        files.append(str(tmp / "side1.txt"))
        Path(files[1]).write_bytes(parts[0])
    _batch_pairs(files[0], files[1], files[2] if len(files) > 2 else None)


# -- seeds: valid inputs the mutations start from -----------------------------------------


def seeds(target: str) -> list[bytes]:
    fixture = (ROOT / "fixtures" / "istanbul-talks.garbled-mt.txt").read_bytes()[:3000]
    report = {
        "schema": "mtcheck.report/1",
        "reference": {"sentences": [{"index": 0, "start": 0, "end": 12, "text": "Talks ended."}]},
        "candidate": {"sentences": [{"index": 0, "start": 0, "end": 15, "text": "Talks ended ended."}]},
        "findings": [{"code": "MT101", "side": "candidate", "text": "ended ended", "sentence": 0,
                      "start": 6, "end": 17}],
    }
    suppressions = {"schema": "mtcheck.suppressions/1", "suppressions": [
        {"code": "MT101", "text": "in Istanbul", "context": "Talks in Istanbul in Istanbul.", "side": "candidate",
         "reason": "quoted", "reviewer": "j.doe", "date": "2026-11-22"}, {"code": "MT205", "text": "x"}]}
    return {
        "read": [fixture, "\ufeffZelensky met Erdoğan. 😀 Done.\r\nNext line.".encode(), b"caf\xe9", b"a\x00b"],
        "config": [
            b'fail-on = "major"\nmax-penalty = 40\nmin-quality = 60\nweights = { minor = 1, major = 5, critical = 25 }\n'
            b'select = ["MT1", "MT2"]\nignore = ["MT205"]\nallowed-terms = ["Kyiv"]\naligned = false\n'
            b'[severity-overrides]\nMT201 = "critical"\n[rules.MT205]\nthreshold = 0.35\n',
            b'language = "en"\ngrammar = true\ncache = false\n',
        ],
        "baseline": [json.dumps(report).encode()],
        "suppressions": [json.dumps(suppressions, ensure_ascii=False).encode()],
        "manifest_csv": [
            b"id,reference,candidate,aligned\nistanbul,ref.txt,cand.txt,false\n",
            b"id,reference_text,candidate_text\na,Talks ended.,Talks ended ended.\n",
        ],
        "manifest_jsonl": [
            b'{"id": "a", "reference_text": "Talks ended.", "candidate_text": "Talks ended ended."}\n'
            b'{"id": "b", "reference": "ref.txt", "candidate": "cand.txt", "aligned": true}\n',
        ],
        "lines": [
            b"doc1\tTalks ended.\ndoc1\tThey met.\ndoc2\tNext.\n\x00\x00doc1\tTalks ended ended.\ndoc1\tThey met.\ndoc2\tNext.\n",
            b"Talks ended.\nThey met.\n\x00\x00Talks ended ended.\nThey met.\n\x00\x00d1\nd1\n",
        ],
    }[target]


#: libFuzzer dictionaries: tokens of each format, so mutations build plausible inputs.
_JSON_TOKENS = ['"schema"', '"mtcheck.report/1"', '"mtcheck.suppressions/1"', '"suppressions"', '"findings"',
                '"sentences"', '"reference"', '"candidate"', '"code"', '"text"', '"side"', '"sentence"', '"context"',
                '"reason"', '"reviewer"', '"id"', '"aligned"', '"reference_text"', '"candidate_text"', "null", "true",
                "false", "1e999", "-0", "NaN", "Infinity", '"\\ud800"', '"\\u0000"', "[[[[[[[[", "{", "}", ":", ","]
DICTS = {
    "config": ['"nan"', "nan", "inf", "-inf", "1e999", "99999999999999999999", "fail-on", "max-penalty", "min-quality",
               "weights", "select", "ignore", "allowed-terms", "glossary", "suppressions", "baseline", "language",
               "cache-dir", "[rules.MT205]", "threshold", "[severity-overrides]", '"ALL"', '"~"', '"\\u0000"', "[[[[", "{",
               "=", '"', "'''"],
    "baseline": _JSON_TOKENS,
    "suppressions": _JSON_TOKENS,
    "manifest_jsonl": _JSON_TOKENS,
    "manifest_csv": ["id", "reference", "candidate", "reference_text", "candidate_text", "aligned", '"', ",", "\r\n",
                     "~", "../", "/", "\x00"],
    "lines": ["\t", "\r\n", "\x00\x00", "\n"],
    "read": ["\ufeff", "\r\n", "\r", "\x00", "\u202e", "\U0001f600", "Dr.", "U.S.", "...", '"'],
}


def _dict_file(target: str, folder: Path) -> Path:
    """The target's tokens in libFuzzer's dictionary syntax (one quoted, escaped token a line)."""
    def quoted(token: str) -> str:
        raw = token.encode("utf-8")
        return '"' + "".join(chr(b) if 32 <= b < 127 and b not in (34, 92) else f"\\x{b:02x}" for b in raw) + '"'

    path = folder / f"{target}.dict"
    path.write_text("".join(quoted(t) + "\n" for t in DICTS[target]), encoding="ascii")
    return path


# -- engines --------------------------------------------------------------------------------


def _signature(exc: BaseException) -> str:
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if "/mtcheck/" in f.filename]
    where = f"{Path(frames[-1].filename).name}:{frames[-1].lineno}" if frames else "?"
    kind = type(exc).__name__
    if isinstance(exc, Violation):
        return f"{kind} at {where}: {str(exc).split(':')[0]}"
    return f"{kind} at {where}"


def _child(target: str, runs: int, out: str, engine: str) -> None:
    """Run one target in this process, appending each new finding to ``out`` (JSON lines)."""
    fn = globals()[f"target_{target}"]
    tmp = Path(tempfile.mkdtemp(prefix=f"mtcheck-fuzz-{target}-"))
    seen: set[str] = set()
    count = [0]

    def one(data: bytes) -> None:
        count[0] += 1
        try:
            fn(data, tmp)
        except Exception as exc:  # noqa: BLE001 - every unexpected exception is a finding
            sig = _signature(exc)
            if sig not in seen:
                seen.add(sig)
                with open(out, "a", encoding="utf-8") as fh:
                    fh.write(json.dumps({"target": target, "signature": sig, "error": str(exc)[:300],
                                         "input": data[:400].decode("latin-1")}) + "\n")
        if count[0] % 1000 == 0 or count[0] == runs:
            Path(out + ".count").write_text(str(count[0]))

    if engine == "atheris":
        import atheris

        with atheris.instrument_imports(include=["mtcheck", "tomllib", "csv", "json"]):
            import mtcheck.batch  # noqa: F401
            import mtcheck.config  # noqa: F401
            import mtcheck.read  # noqa: F401
            import mtcheck.score.baseline  # noqa: F401
            import mtcheck.segment  # noqa: F401
        corpus = tmp / "corpus"
        corpus.mkdir()
        for i, seed in enumerate(seeds(target)):
            (corpus / f"seed{i}").write_bytes(seed)
        atheris.Setup(
            [sys.argv[0], f"-runs={runs}", "-timeout=30", "-rss_limit_mb=4096", "-max_len=8192",
             f"-artifact_prefix={tmp}/", f"-dict={_dict_file(target, tmp)}", str(corpus)],
            one,
        )
        atheris.Fuzz()
    else:
        from hypothesis import HealthCheck, given, settings
        from hypothesis import strategies as st

        @st.composite
        def mutated(draw):
            data = bytearray(draw(st.sampled_from(seeds(target))))
            for _ in range(draw(st.integers(1, 8))):
                op, at = draw(st.integers(0, 2)), draw(st.integers(0, len(data)))
                if op == 0:
                    data[at:at] = draw(st.binary(min_size=1, max_size=16))
                elif op == 1:
                    del data[at : at + draw(st.integers(1, 16))]
                else:
                    data[at:at] = data[: draw(st.integers(0, 64))] * draw(st.integers(1, 200))
            return bytes(data)

        @settings(max_examples=runs, deadline=None, database=None, suppress_health_check=list(HealthCheck))
        @given(st.one_of(st.binary(max_size=2048), mutated()))
        def prop(data):
            one(data)

        prop()


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--target", action="append", choices=TARGETS, help="target (repeatable; default all)")
    ap.add_argument("--runs", type=int, default=20_000, help="inputs per target (default 20,000)")
    ap.add_argument("--engine", choices=("atheris", "hypothesis"), default=None)
    ap.add_argument("--child", help=argparse.SUPPRESS)
    ap.add_argument("--out", help=argparse.SUPPRESS)
    args = ap.parse_args()
    engine = args.engine
    if engine is None:
        try:
            import atheris  # noqa: F401

            engine = "atheris"
        except ImportError:
            engine = "hypothesis"
    if args.child:
        _child(args.child, args.runs, args.out, engine)
        return 0

    os.environ.setdefault("MTCHECK_CACHE_DIR", tempfile.mkdtemp(prefix="mtcheck-fuzz-cache-"))
    work = Path(tempfile.mkdtemp(prefix="mtcheck-fuzz-"))
    total_runs, total_findings = 0, 0
    print(f"engine: {engine}; {args.runs:,} inputs per target")
    for target in args.target or TARGETS:
        out = work / f"{target}.jsonl"
        out.touch()
        proc = subprocess.run(
            [sys.executable, __file__, "--child", target, "--runs", str(args.runs), "--out", str(out),
             "--engine", engine],
            capture_output=True, text=True, errors="replace",
        )
        count_file = Path(str(out) + ".count")
        ran = int(count_file.read_text()) if count_file.exists() else 0
        found = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines() if line]
        total_runs += ran
        total_findings += len(found)
        status = "" if proc.returncode == 0 else f" (fuzzer exited {proc.returncode}: {proc.stderr.strip()[-300:]})"
        print(f"{target}: {ran:,} inputs, {len(found)} distinct finding(s){status}")
        for f in found:
            print(f"    {f['signature']}: {f['error'][:160]}")
            print(f"        input: {f['input'][:160]!r}")
    print(f"total: {total_runs:,} inputs, {total_findings} distinct finding(s)")
    return 1 if total_findings else 0


if __name__ == "__main__":
    sys.exit(main())
