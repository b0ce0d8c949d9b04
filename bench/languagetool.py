"""What the real LanguageTool adds, measured on the MQM TED zh-en dev set.

Usage::

    python bench/languagetool.py PATH/ted_zhen.jsonl [--systems 13] [--seed 1] [--json OUT]
    python bench/languagetool.py fixture              # start-up, cold and warm check times

**Real MT.** For each MT document (system x talk) the candidate is the MT output, one
segment per line, and the reference refB (for the spelling filter: a word that occurs in
the reference is not a misspelling, as in every mtcheck run). LanguageTool's findings are
produced by mtcheck's own backend (:func:`mtcheck.detect.languagetool.check_grammar`, all
rules and categories on, i.e. before the default-on table), against one local server
started for the run. A finding is correct when it overlaps a human-annotated error span of
its segment (any rater), as in ``bench/detectors.py real``; the random baselines (share of
words inside an annotated span, and of random spans of the flag's length) come from there
too. Printed per LanguageTool category and per rule (rules with at least ``--min-flags``):
flags, precision, random baseline, lift, recall of Fluency/Spelling and Fluency/Grammar
spans, and false alarms per 1,000 words when refB is checked as the candidate against
refA. ``--json`` writes the same figures for the default-on decision.

**Fixture.** The fixture pair through ``mtcheck check``: cold (server started by the
run), twice warm (a server kept by ``mtcheck languagetool start``), all three with
``--no-cache``; then warm with the cache on, once filling it and once answered from it. Prints the seconds of each (wall clock, and the
report's LanguageTool time and JVM start-up).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from detectors import WORD, fmt, load_ted, mt_documents, overlaps, table, window_baseline, words_in

from mtcheck.detect.base import CheckContext
from mtcheck.detect.languagetool import grammar_matches
from mtcheck.detect.languagetool.server import LocalServer, find_install
from mtcheck.settings import Settings
from mtcheck.types import Document


def line_document(name: str, lines: list[str]) -> tuple[Document, list[int]]:
    """A Document of ``lines`` joined by newlines, one sentence per line; and the line starts."""
    try:
        from mtcheck.segment import line_sentences
    except ImportError:  # before the layout change
        from mtcheck.align.aligner import line_sentences
    doc = Document(name, "\n".join(lines))
    line_sentences(doc)
    starts, pos = [], 0
    for ln in lines:
        starts.append(pos)
        pos += len(ln) + 1
    return doc, starts


def lt_findings(ref_lines, cand_lines, settings) -> tuple[list, list[int], object]:
    ref, _ = line_document("ref", ref_lines)
    cand, starts = line_document("cand", cand_lines)
    from mtcheck.align.aligner import align_lines

    beads, parallel = align_lines(ref, cand, None)  # as `mtcheck check --aligned` pairs them
    ctx = CheckContext(reference=ref, candidate=cand, beads=beads, parallel=parallel)
    matches, backend = grammar_matches(ctx, settings)
    if backend.status != "used":
        raise SystemExit(f"LanguageTool not used: {backend.reason}")
    for m in matches:
        _CATS[m.finding.rule] = m.category_id or m.issue_type or "?"
    return [m.finding for m in matches], starts, backend


class Tally:
    def __init__(self):
        self.flags = self.hits = self.words = 0
        self.spans: set = set()
        self.fa = 0


def real(args) -> None:
    import bisect

    t0 = time.time()
    install = find_install()
    if install is None:
        raise SystemExit("no local LanguageTool: run make install-test (or set MTCHECK_LANGUAGETOOL_HOME)")
    server = LocalServer(install, startup_timeout=180).start()
    print(f"LanguageTool {install.version} from {install.home}: started in {server.startup_seconds:.1f} s")
    cache = tempfile.mkdtemp(prefix="lt-bench-") if args.no_cache else None
    # A long request timeout: the machine is shared, and a slow answer is still an answer here.
    settings = Settings(languagetool_url=server.url, cache_dir=cache or args.cache_dir,
                        rule_options={"LT": {"timeout": 600.0}})
    try:
        rows = load_ted(args.path)
        systems, docs = mt_documents(rows, args.systems, args.seed)
        n_seg = sum(len(d["segments"]) for d in docs)
        print(f"## LanguageTool on MQM TED zh-en: {len(systems)} systems x {len({d['doc'] for d in docs})} talks "
              f"= {len(docs)} documents, {n_seg} segments; spelling filter reference refB\n")

        by_cat: dict[str, Tally] = defaultdict(Tally)
        by_rule: dict[str, Tally] = defaultdict(Tally)
        rule_cat: dict[str, str] = {}
        rule_mqm: dict[str, str] = {}
        segs: list[tuple[str, list[tuple[int, int]]]] = []
        fluency: dict[str, list] = {"Fluency/Spelling": [], "Fluency/Grammar": []}
        total_words = in_span = 0
        lt_seconds = 0.0
        all_spans: set = set()
        for n, d in enumerate(docs, 1):
            refs = [s["references"]["refB"] for s in d["segments"]]
            cands = [s["target"] for s in d["segments"]]
            findings, starts, backend = lt_findings(refs, cands, settings)
            lt_seconds += backend.seconds or 0.0
            base = len(segs)
            for i, s in enumerate(d["segments"]):
                errs = [e for ra in s["ratings"] for e in ra["errors"] if e["side"] == "target"]
                spans = [(e["start"], e["end"]) for e in errs]
                segs.append((s["target"], spans))
                for m in WORD.finditer(s["target"]):
                    total_words += 1
                    in_span += overlaps(m.start(), m.end(), spans)
                for e in errs:
                    if e["category"] in fluency:
                        fluency[e["category"]].append((base + i, e["start"], e["end"]))
            for f in findings:
                i = bisect.bisect_right(starts, f.start) - 1
                a, b = f.start - starts[i], f.end - starts[i]
                _, spans = segs[base + i]
                cat = _category(f)
                rule_cat[f.rule] = cat
                rule_mqm[f.rule] = f.category
                hit = overlaps(a, b, spans)
                hit_spans = {(c, j) for c, lst in fluency.items() for j, (si, x, y) in enumerate(lst)
                             if si == base + i and x < b and a < y}  # fmt: skip
                all_spans |= hit_spans
                for t in (by_cat[cat], by_rule[f.rule]):
                    t.flags += 1
                    t.hits += hit
                    t.words += max(1, words_in(f.text))
                    t.spans |= hit_spans
            print(f"  {n}/{len(docs)} {d['system']} {d['doc']}: {len(findings)} findings "
                  f"({backend.seconds:.1f} s)", file=sys.stderr, flush=True)

        # False alarms: refB as the candidate, refA as the reference.
        talks = {}
        for r in rows:
            talks.setdefault(r["doc"], r)
        fa_words = 0
        for _talk, r in sorted(talks.items()):
            refa = [s["references"]["refA"] for s in r["segments"]]
            refb = [s["references"]["refB"] for s in r["segments"]]
            fa_words += sum(words_in(x) for x in refb)
            findings, _, _ = lt_findings(refa, refb, settings)
            for f in findings:
                cat = _category(f)
                rule_cat.setdefault(f.rule, cat)
                rule_mqm.setdefault(f.rule, f.category)
                by_cat[cat].fa += 1
                by_rule[f.rule].fa += 1
    finally:
        server.stop()

    word_rate = in_span / total_words
    wb = window_baseline(segs)
    n_sp, n_gr = len(fluency["Fluency/Spelling"]), len(fluency["Fluency/Grammar"])
    print(f"Random baseline: {in_span:,} of {total_words:,} words ({word_rate:.1%}) lie inside an annotated "
          f"error span (any rater). Fluency/Spelling spans: {n_sp}, Fluency/Grammar spans: {n_gr}.\n")

    def row(name, t: Tally, extra=()):
        prec = t.hits / t.flags if t.flags else None
        k = min(max(round(t.words / t.flags) if t.flags else 1, 1), max(wb))
        sp = sum(c == "Fluency/Spelling" for c, _ in t.spans) / max(1, n_sp)
        gr = sum(c == "Fluency/Grammar" for c, _ in t.spans) / max(1, n_gr)
        lift = prec / wb.get(k, word_rate) if prec is not None else None
        return {"name": name, **dict(extra), "flags": t.flags, "precision": prec, "random": wb.get(k, word_rate),
                "lift": lift, "spelling_recall": sp, "grammar_recall": gr,
                "false_alarms_per_1000": 1000 * t.fa / fa_words, "false_alarms": t.fa}  # fmt: skip

    def render(rows_, first):
        head = [first, *(["category", "mapped to"] if first == "rule" else []), "flags", "precision",
                "random (same length)", "lift", "Spelling recall", "Grammar recall", "false alarms /1,000 words (refB)"]  # fmt: skip
        body = []
        for r in rows_:
            body.append([r["name"], *([r["category"], r["mqm"]] if first == "rule" else []), r["flags"],
                         fmt(r["precision"]), fmt(r["random"]), fmt(r["lift"], 1) + "×",
                         f"{r['spelling_recall']:.1%}", f"{r['grammar_recall']:.1%}",
                         fmt(r["false_alarms_per_1000"], 2)])  # fmt: skip
        return table(head, body)

    cats = [row(c, t) for c, t in sorted(by_cat.items(), key=lambda kv: -kv[1].flags)]
    rules = [row(r, t, {"category": rule_cat[r], "mqm": rule_mqm[r]})
             for r, t in sorted(by_rule.items(), key=lambda kv: -kv[1].flags)]  # fmt: skip
    print("### Per LanguageTool category\n")
    print(render(cats, "category"))
    print(f"\n### Per rule (at least {args.min_flags} flags on MT or refB)\n")
    print(render([r for r in rules if r["flags"] + r["false_alarms"] >= args.min_flags], "rule"))
    total = Tally()
    for t in by_cat.values():
        total.flags += t.flags
        total.hits += t.hits
        total.words += t.words
        total.fa += t.fa
    total.spans = all_spans
    print("\n### All LanguageTool findings\n")
    print(render([row("all", total)], "category"))
    print(f"\nLanguageTool time: {lt_seconds:.0f} s for {n_seg} segments ({total_words:,} words); "
          f"bench {time.time() - t0:.0f} s; load: {os.getloadavg()[0]:.1f}")
    if args.json:
        Path(args.json).write_text(json.dumps({"categories": cats, "rules": rules, "word_rate": word_rate,
                                               "segments": n_seg, "words": total_words, "fa_words": fa_words},
                                              indent=1), encoding="utf-8")  # fmt: skip


_CATS: dict[str, str] = {}  # LanguageTool rule id -> its category id, as the server said


def _category(f) -> str:
    return _CATS.get(f.rule, "?")


def fixture(args) -> None:
    ref = ROOT / "fixtures" / "kurdistan24-istanbul-talks.clean.txt"
    cand = ROOT / "fixtures" / "istanbul-talks.garbled-mt.txt"
    cache = Path(tempfile.mkdtemp(prefix="lt-fixture-"))
    env = {**os.environ, "MTCHECK_CACHE_DIR": str(cache)}
    mtcheck = [sys.executable, "-m", "mtcheck"]

    def run(label, *extra):
        out = cache / "r.json"
        t = time.perf_counter()
        subprocess.run([*mtcheck, "check", str(ref), str(cand), "-q", "--json", str(out), *extra], env=env, check=False)
        wall = time.perf_counter() - t
        lt = json.loads(out.read_text())["backends"]["languagetool"]
        print(f"| {label} | {wall:.1f} | {lt.get('seconds')} | {lt.get('startup_seconds')} | {lt.get('mode')} |")

    print(f"load average {os.getloadavg()[0]:.1f} (2 cores shared with other work)\n")
    print("| run | wall s | LanguageTool s | JVM start-up s | mode |\n|---|---|---|---|---|")
    run("cold: server started by the run", "--no-cache")
    subprocess.run([*mtcheck, "languagetool", "start"], env=env, check=True, stdout=subprocess.DEVNULL)
    try:
        run("warm: first check on a kept server", "--no-cache")
        run("warm: second check on a kept server", "--no-cache")
        run("warm, cache on (this run fills it)")
        run("warm, answered from the cache")
    finally:
        subprocess.run([*mtcheck, "languagetool", "stop"], env=env, check=False, stdout=subprocess.DEVNULL)


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("path", help="ted_zhen.jsonl, or 'fixture'")
    p.add_argument("--systems", type=int, default=13)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--min-flags", type=int, default=5)
    p.add_argument("--json", help="write the per-category/per-rule figures here")
    p.add_argument("--no-cache", action="store_true", help="ask LanguageTool for every chunk")
    p.add_argument("--cache-dir", help="mtcheck cache dir for LanguageTool answers (default: mtcheck's)")
    args = p.parse_args(argv)
    if args.path == "fixture":
        fixture(args)
    else:
        real(args)


if __name__ == "__main__":
    main()
