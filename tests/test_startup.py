"""Start-up: what a command imports (a new process each, as a user runs it).

No timings here (they live in bench/speed.py): only which modules a command loads, since
each heavy import a command does not need costs every run of it.
"""

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
REF = ROOT / "fixtures" / "kurdistan24-istanbul-talks.clean.txt"
CAND = ROOT / "fixtures" / "istanbul-talks.garbled-mt.txt"

#: Runs the CLI in-process, then prints the top-level packages it imported (JSON).
_PROBE = """
import json, sys
from mtcheck.cli import main
sys.argv[0] = "mtcheck"
try:
    main()
except SystemExit as exc:
    code = exc.code
print(json.dumps({"exit": code, "modules": sorted(sys.modules)}), file=sys.stderr)
"""

#: Never needed by `check --no-grammar`: LanguageTool's client, wordfreq (the lexicon
#: answers), torch and sentence-transformers (ONNX Runtime runs the model), pydantic
#: (typer is pinned below 0.29, which coerces options through it), spylls (libhunspell
#: reads its dictionary files).
NOT_FOR_CHECK = ("mtcheck.detect.languagetool", "wordfreq", "langcodes", "ftfy", "torch",
                 "sentence_transformers", "transformers", "pydantic", "spylls")
#: Not for `--help` either: nothing of the pipeline.
NOT_FOR_HELP = (*NOT_FOR_CHECK, "numpy", "onnxruntime", "sacrebleu", "rich", "mtcheck.pipeline")


def _imported(*args: str) -> tuple[int, set[str]]:
    proc = subprocess.run([sys.executable, "-c", _PROBE, *args], capture_output=True, text=True, timeout=600)
    probe = json.loads(proc.stderr.strip().splitlines()[-1])
    return probe["exit"], set(probe["modules"])


def _loaded(modules: set[str], names: tuple[str, ...]) -> list[str]:
    return [n for n in names if any(m == n or m.startswith(n + ".") for m in modules)]


def test_check_without_grammar_imports_only_what_it_uses():
    from mtcheck.detect.lexicon import lexicon

    assert lexicon() is not None  # installed by `make install` (else built now, as a first run would)
    code, modules = _imported("check", str(REF), str(CAND), "--no-grammar", "--no-cache", "-q")
    assert code == 1  # the garbled fixture fails the gate: the whole pipeline ran
    assert {"onnxruntime", "sacrebleu", "mtcheck.detect.lexicon"} <= modules
    assert _loaded(modules, NOT_FOR_CHECK) == []


def test_help_imports_nothing_of_the_pipeline():
    for args in (["--help"], ["check", "--help"], ["batch", "--help"]):
        code, modules = _imported(*args)
        assert code == 0
        assert _loaded(modules, NOT_FOR_HELP) == [], args


def test_pipeline_knows_languagetool_by_its_code():
    from mtcheck.detect.languagetool import CODE
    from mtcheck.pipeline import GRAMMAR_CODE

    assert GRAMMAR_CODE == CODE


def test_preload_fills_the_rules_caches_and_leaves_errors_to_check():
    """What the pipeline's preload thread runs while the encoder works (mtcheck.detect.preload)."""
    from mtcheck.detect import preload, select_rules
    from mtcheck.detect.base import Rule
    from mtcheck.detect.rules import _text, calques, numbers, spelling

    for loader in (_text.hunspell, calques._needles, numbers._patterns, spelling._affixes):
        loader.cache_clear()
    preload(select_rules())
    for loader in (_text.hunspell, calques._needles, numbers._patterns, spelling._affixes):
        assert loader.cache_info().currsize == 1, loader

    class Broken(Rule):
        code, name, category = "MT999", "broken", "Other"

        @classmethod
        def preload(cls):
            raise RuntimeError("no such dictionary")

    preload([Broken])  # no error here: check() meets it and reports it
