"""Spelling suggestions: the lexicon engine (rapidfuzz over Hunspell's words) against
Hunspell's own suggest, on the words the spelling rules suggest for.

Usage:
    python bench/suggest.py [--ted PATH/ted_zhen.jsonl] [--show] [--mt112 PATH/ted_zhen.jsonl]

Words: the fixture's garbled term ("biggestists"), the rules' test words, common English
misspellings, and with ``--ted`` every word MT111 would flag in the TED MT outputs. Prints,
for each engine, the CPU seconds per suggestion (``time.process_time``, one process, the
dictionary and the candidates loaded first), and how often the two agree: same first
suggestion, Hunspell's first among ours (3), and the overlap of the two top-3 lists.
With ``--mt112``: what MT112 (misspelling) would flag with either engine's suggestions, on
every word of the TED targets and references it considers (MT112 runs Hunspell's).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

WORDS = (
    "biggestists teamists unconstructivenessly qwzrtly holmon scatterpoints ajoemum "  # rules' tests, MT111's docstring
    "goverment recieve accomodate definately seperate occured untill wich beleive tommorow "
    "neccessary embarass enviroment existance independant occurence publically refered "
    "relevent succesful truely wierd negociations ministery commited parliment agressive begining"
).split()


def ted_words(path: Path) -> set[str]:
    """Lower-case parts of the TED MT outputs' words that MT111 does not know."""
    from mtcheck.detect.rules._text import WORD_RE
    from mtcheck.detect.rules.spelling import _known

    out = set()
    for line in path.read_text(encoding="utf-8").splitlines():
        for seg in json.loads(line)["segments"]:
            for m in WORD_RE.finditer(seg["target"]):
                out |= {p for p in m.group().split("-") if len(p) >= 3 and p.islower() and not _known(p, 1.0)}
    return out


def mt112_words(path: Path) -> set[str]:
    """Words of the TED targets and references that MT112 considers (Hunspell rejects them,
    wordfreq has seen them: Zipf 1-3, lower-case)."""
    from mtcheck.detect.rules._text import WORD_RE, hunspell_knows, zipf

    out = set()
    for line in path.read_text(encoding="utf-8").splitlines():
        for seg in json.loads(line)["segments"]:
            for text in [seg["target"], *seg["references"].values()]:
                for m in WORD_RE.finditer(text):
                    out |= {p for p in m.group().split("-") if len(p) >= 3 and not p[:1].isupper()
                            and not hunspell_knows(p) and 1.0 <= zipf(p.lower()) < 3.0}
    return out


def mt112(path: Path) -> None:
    from mtcheck.detect.adhoc import run_example
    from mtcheck.detect.rules import spelling

    words = sorted(mt112_words(path))
    flagged = {}
    for name, engine in (("Hunspell suggest", spelling._hunspell_suggestions), ("lexicon + rapidfuzz", spelling._suggestions)):
        real, spelling._hunspell_suggestions = spelling._hunspell_suggestions, engine
        try:  # MT112 itself, on each word in a sentence of its own
            flagged[name] = {w: [f.message for f in run_example(spelling.Misspelling, f"They saw the {w} there.")] for w in words}
        finally:
            spelling._hunspell_suggestions = real
    print(f"MT112 on {len(words)} TED words: " + "; ".join(f"{n} flags {sum(bool(v) for v in d.values())}" for n, d in flagged.items()))
    hun, ours = flagged.values()
    for w in words:
        if hun[w] != ours[w]:
            print(f"  {w}: Hunspell {hun[w] or '-'} | lexicon {ours[w] or '-'}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--ted", type=Path, help="ted_zhen.jsonl: add the words MT111 flags in its MT outputs")
    ap.add_argument("--show", action="store_true", help="print both engines' suggestions for each word")
    ap.add_argument("--mt112", type=Path, metavar="TED", help="ted_zhen.jsonl: MT112's flags with either engine")
    args = ap.parse_args()
    if args.mt112:
        mt112(args.mt112)
        return

    from mtcheck.detect.rules import spelling

    words = sorted(set(WORDS) | (ted_words(args.ted) if args.ted else set()))
    t0 = time.process_time()
    spelling._candidates()
    spelling.hunspell().lookup("word")
    print(f"{len(words)} words; loading the dictionary and the candidates: {time.process_time() - t0:.3f} s CPU")
    results = {}
    for name, engine in (("lexicon + rapidfuzz", spelling._suggestions.__wrapped__),
                         ("Hunspell suggest", spelling._hunspell_suggestions)):
        t0 = time.process_time()
        results[name] = {w: engine(w, 3) for w in words}
        cpu = (time.process_time() - t0) / len(words)
        print(f"{name}: {cpu * 1000:.1f} ms CPU per suggestion")
    ours, hun = results.values()
    judged = [w for w in words if hun[w]]
    n = len(judged)
    same = sum(ours[w][:1] == hun[w][:1] for w in judged)
    within = sum(hun[w][0] in ours[w] for w in judged)
    overlap = sum(len(set(ours[w]) & set(hun[w])) for w in judged)
    print(f"same first suggestion: {same}/{n}; Hunspell's first among ours: {within}/{n}; "
          f"top-3 overlap: {overlap}/{sum(len(hun[w]) for w in judged)}")
    if args.show:
        for w in words:
            mark = "=" if ours[w][:1] == hun[w][:1] else "~" if hun[w] and hun[w][0] in ours[w] else "x"
            print(f"{mark} {w}: {', '.join(ours[w])}  |  Hunspell: {', '.join(hun[w])}")


if __name__ == "__main__":
    main()
