"""Measure every registered rule (``select_rules(["ALL"])``): synthetic errors and real MT.

Usage::

    python bench/detectors.py synthetic [--ted PATH/ted_zhen.jsonl] [--sentences 300]
    python bench/detectors.py real PATH/ted_zhen.jsonl [--systems 13] [--seed 1]
    python bench/detectors.py all PATH/ted_zhen.jsonl          # both parts

**Synthetic.** Known errors are injected, one per sentence, into clean English text: the
clean fixture article (``fixtures/kurdistan24-istanbul-talks.clean.txt``), the human
reference refB of the MQM TED set when ``--ted`` is given, and the carrier sentences of
``bench/data/calques.csv`` (a calque list kept apart from the calque rule's own table).
Kinds: duplicated phrase, garbled affix, calque, changed number, changed name, spelling
variant of a name, deleted sentence. Each injected sentence is checked against its clean
original (line-aligned); a deleted sentence is checked in document mode (real aligner).
Printed: per rule, precision of its candidate findings (overlapping an injected span);
per kind, recall by the rules meant for it and by any rule; false alarms per 1,000 words
when the clean text is checked against itself.

**Real.** MQM TED zh-en (Freitag et al. 2021; google/wmt-mqm-human-evaluation, Apache
2.0): for each of the 13 MT systems and 5 talks, the reference document is refB and the
candidate the MT output, one segment per line, checked in ``--aligned`` mode. A candidate
finding counts as correct when it overlaps a human-annotated error span of its segment
(any rater). Printed: per rule, flags, precision, the random baseline (share of words in
an annotated span, and the same for a random span of the flag's length), recall of
annotated Fluency/Spelling and Fluency/Grammar spans; reference-side findings (omissions)
against the share of segments with an annotated error; false alarms of refB checked as a
candidate against refA; and the precision-recall curve of the reference-support rule
(MT205) over its threshold.

Runs on 2 CPU cores in a few minutes (``--systems 3`` for a quick look).
"""

from __future__ import annotations

import argparse
import bisect
import csv
import json
import random
import re
import sys
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from mtcheck.align.embed import Encoder  # noqa: E402
from mtcheck.detect import run_rules, select_rules  # noqa: E402
from mtcheck.detect.base import CheckContext  # noqa: E402
from mtcheck.types import Document, Finding  # noqa: E402

WORD = re.compile(r"[^\W_]+(?:['’\-][^\W_]+)*")
CLEAN_FIXTURE = ROOT / "fixtures" / "kurdistan24-istanbul-talks.clean.txt"
CALQUES = ROOT / "bench" / "data" / "calques.csv"


# ----------------------------------------------------------------------------- plumbing
class CachingEncoder(Encoder):
    """The project's encoder with token embeddings memoised per text (bench only)."""

    def __init__(self, *a, **kw):
        super().__init__(*a, **kw)
        self._tok: dict[str, object] = {}
        self._sent: dict[str, object] = {}

    def prefetch(self, texts) -> None:
        todo = list(dict.fromkeys(t for t in texts if t not in self._tok))
        for i in range(0, len(todo), 1000):  # chunks: the Encoder's own memo is bounded
            chunk = todo[i : i + 1000]
            for t, e in zip(chunk, super().token_embeddings(chunk)):
                self._tok[t] = e

    def token_embeddings(self, texts):
        self.prefetch(texts)
        return [self._tok[t] for t in texts]

    def encode(self, texts, states=True):
        import numpy as np

        todo = list(dict.fromkeys(t for t in texts if t not in self._sent))
        if todo:
            for t, v in zip(todo, super().encode(todo, states)):
                self._sent[t] = v
        return np.stack([self._sent[t] for t in texts]) if texts else super().encode([])


def check_lines(ref_lines, cand_lines, encoder, rules) -> tuple[list[Finding], list[int], list[int], Document, Document]:
    """Run ``rules`` on two line-aligned documents; return findings and line starts."""
    from mtcheck.align.aligner import align_lines
    from mtcheck.segment import line_sentences

    def doc(lines, name):
        lines = [re.sub(r"[\r\n]", " ", x) for x in lines]
        starts, pos = [], 0
        for x in lines:
            starts.append(pos)
            pos += len(x) + 1
        return Document(path=name, text="\n".join(lines)), starts

    ref, rs = doc(ref_lines, "reference")
    cand, cs = doc(cand_lines, "candidate")
    beads, parallel = align_lines(line_sentences(ref), line_sentences(cand), None)
    ctx = CheckContext(ref, cand, beads, parallel, encoder=encoder)
    return run_rules(ctx, rules), rs, cs, ref, cand


def check_documents_mode(ref_text, cand_text, encoder, rules) -> tuple[list[Finding], CheckContext]:
    from mtcheck.align.aligner import align_documents
    from mtcheck.segment import segment

    ref = segment(Document("reference", ref_text))
    cand = segment(Document("candidate", cand_text))
    beads, parallel = align_documents(ref, cand, encoder)
    ctx = CheckContext(ref, cand, beads, parallel, encoder=encoder)
    return run_rules(ctx, rules), ctx


def overlaps(a: int, b: int, spans) -> bool:
    return any(x < b and a < y for x, y in spans)


def line_of(starts: list[int], offset: int) -> int:
    return bisect.bisect_right(starts, offset) - 1


def words_in(text: str) -> int:
    return len(WORD.findall(text))


def fmt(x, digits=2) -> str:
    if x is None:
        return "–"
    return f"{x:.{digits}f}"


def table(headers: list[str], rows: list[list]) -> str:
    out = ["| " + " | ".join(headers) + " |", "|" + "|".join("---" for _ in headers) + "|"]
    out += ["| " + " | ".join(str(c) for c in r) + " |" for r in rows]
    return "\n".join(out)


# ----------------------------------------------------------------------------- real data
@dataclass
class RuleTally:
    flags: int = 0
    hits: int = 0
    words: int = 0
    ref_flags: int = 0
    ref_hits_any: int = 0
    ref_hits_omission: int = 0
    spans_hit: set = field(default_factory=set)


def load_ted(path: str) -> list[dict]:
    with open(path, encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def window_baseline(segments: list[tuple[str, list[tuple[int, int]]]], kmax: int = 8) -> dict[int, float]:
    """P(a random k-word span of a random word position overlaps an annotated span)."""
    hit, tot = Counter(), Counter()
    for text, spans in segments:
        words = [m.span() for m in WORD.finditer(text)]
        for k in range(1, kmax + 1):
            for i in range(0, max(0, len(words) - k + 1)):
                a, b = words[i][0], words[i + k - 1][1]
                tot[k] += 1
                hit[k] += overlaps(a, b, spans)
    return {k: hit[k] / tot[k] for k in tot if tot[k]}


def mt_documents(rows: list[dict], n_systems: int, seed: int) -> tuple[list[str], list[dict]]:
    """The MT documents of ``n_systems`` systems (all of them, or a seeded sample) and their names."""
    mt = [r for r in rows if not r["is_human_translation"]]
    systems = sorted({r["system"] for r in mt})
    if n_systems < len(systems):
        systems = sorted(random.Random(seed).sample(systems, n_systems))
    return systems, [r for r in mt if r["system"] in systems]


def real(args) -> None:
    from mtcheck.detect.rules.support import DEFAULT_THRESHOLD, weak_runs, word_support

    t0 = time.time()
    rows = load_ted(args.path)
    systems, docs = mt_documents(rows, args.systems, args.seed)
    rules = select_rules(["ALL"])
    encoder = CachingEncoder()
    print(f"## Real MT: MQM TED zh-en, {len(systems)} systems x {len({d['doc'] for d in docs})} talks "
          f"= {len(docs)} documents, {sum(len(d['segments']) for d in docs)} segments; reference refB")
    print(f"systems: {', '.join(systems)}\n")

    # Token embeddings of every text in one batch pass (the support rule reuses them).
    encoder.prefetch([s["references"]["refB"] for d in docs for s in d["segments"]]
                     + [s["target"] for d in docs for s in d["segments"]])

    tallies: dict[str, RuleTally] = defaultdict(RuleTally)
    segs: list[tuple[str, list[tuple[int, int]]]] = []
    fluency: dict[str, list] = {"Fluency/Spelling": [], "Fluency/Grammar": []}
    total_words = in_span_words = 0
    seg_any = seg_omission = n_segs = 0
    support_pairs = []  # (candidate text, target spans) per segment, for the PR curve
    for d in docs:
        refs = [s["references"]["refB"] for s in d["segments"]]
        cands = [s["target"] for s in d["segments"]]
        findings, rs, cs, _ref, _cand = check_lines(refs, cands, encoder, rules)
        base = len(segs)
        for i, s in enumerate(d["segments"]):
            errs = [e for ra in s["ratings"] for e in ra["errors"]]
            spans = [(e["start"], e["end"]) for e in errs if e["side"] == "target"]
            segs.append((s["target"], spans))
            n_segs += 1
            seg_any += bool(errs)
            seg_omission += any(e["category"] == "Accuracy/Omission" for e in errs)
            for m in WORD.finditer(s["target"]):
                total_words += 1
                in_span_words += overlaps(m.start(), m.end(), spans)
            for e in errs:
                if e["category"] in fluency and e["side"] == "target":
                    fluency[e["category"]].append((base + i, e["start"], e["end"]))
        for f in findings:
            t = tallies[f.code]
            if f.side == "candidate":
                i = line_of(cs, f.start)
                a, b = f.start - cs[i], f.end - cs[i]
                text, spans = segs[base + i]
                t.flags += 1
                t.words += max(1, words_in(f.text))
                hit = overlaps(a, b, spans)
                t.hits += hit
                for cat, lst in fluency.items():
                    for j, (si, x, y) in enumerate(lst):
                        if si == base + i and x < b and a < y:
                            t.spans_hit.add((cat, j))
            else:
                i = line_of(rs, f.start)
                errs = [e for ra in d["segments"][i]["ratings"] for e in ra["errors"]]
                t.ref_flags += 1
                t.ref_hits_any += bool(errs)
                t.ref_hits_omission += any(e["category"] == "Accuracy/Omission" for e in errs)
        support_pairs.append((refs, cands, base))

    word_rate = in_span_words / total_words
    wb = window_baseline(segs)
    print(f"Random baseline: {in_span_words:,} of {total_words:,} words "
          f"({word_rate:.1%}) lie inside an annotated error span (any rater); "
          f"{seg_any / n_segs:.1%} of segments have an annotated error, "
          f"{seg_omission / n_segs:.1%} an Accuracy/Omission.\n")

    by_rule = {r.code: r for r in rules}
    header = ["rule", "name", "default", "sev", "flags", "precision", "random (word / same-length span)",
              "lift", "Spelling recall", "Grammar recall"]
    out_rows = []
    for code in sorted(by_rule):
        r = by_rule[code]
        t = tallies.get(code, RuleTally())
        prec = t.hits / t.flags if t.flags else None
        mean_len = round(t.words / t.flags) if t.flags else 1
        span_base = wb.get(min(max(mean_len, 1), max(wb)), word_rate)
        sp = len([1 for c, _ in t.spans_hit if c == "Fluency/Spelling"]) / max(1, len(fluency["Fluency/Spelling"]))
        gr = len([1 for c, _ in t.spans_hit if c == "Fluency/Grammar"]) / max(1, len(fluency["Fluency/Grammar"]))
        out_rows.append([code, r.name, "on" if r.default_enabled else "off", r.severity, t.flags,
                         fmt(prec), f"{word_rate:.2f} / {span_base:.2f}",
                         fmt(prec / word_rate if prec is not None else None, 1) + "×",
                         f"{sp:.1%}", f"{gr:.1%}"])
    print("### Candidate findings vs annotated error spans\n")
    print(table(header, out_rows))
    all_hit = set().union(*[t.spans_hit for t in tallies.values()]) if tallies else set()
    print(f"\nAll rules together: recall of Fluency/Spelling spans "
          f"{len([1 for c, _ in all_hit if c == 'Fluency/Spelling']) / max(1, len(fluency['Fluency/Spelling'])):.1%} "
          f"(of {len(fluency['Fluency/Spelling'])}), Fluency/Grammar "
          f"{len([1 for c, _ in all_hit if c == 'Fluency/Grammar']) / max(1, len(fluency['Fluency/Grammar'])):.1%} "
          f"(of {len(fluency['Fluency/Grammar'])}).")
    ref_rows = [[c, by_rule[c].name, t.ref_flags, fmt(t.ref_hits_any / t.ref_flags),
                 fmt(t.ref_hits_omission / t.ref_flags)]
                for c, t in sorted(tallies.items()) if t.ref_flags]
    if ref_rows:
        print("\n### Reference-side findings (omissions): share whose segment has an annotated error\n")
        print(table(["rule", "name", "flags", "any error", "Accuracy/Omission"], ref_rows))
        print(f"\nRandom: {seg_any / n_segs:.2f} (any error), {seg_omission / n_segs:.2f} (omission).")

    # False-alarm test: refB as a candidate against refA.
    talks = {}
    for r in rows:
        talks.setdefault(r["doc"], r)
    fa = Counter()
    fa_words = 0
    for talk, r in sorted(talks.items()):
        refa = [s["references"]["refA"] for s in r["segments"]]
        refb = [s["references"]["refB"] for s in r["segments"]]
        fa_words += sum(words_in(x) for x in refb)
        findings, *_ = check_lines(refa, refb, encoder, rules)
        for f in findings:
            fa[(f.code, f.side)] += 1
    print(f"\n### False alarms: refB checked as candidate against refA ({len(talks)} talks, {fa_words:,} words)\n")
    fa_rows = [[code, by_rule[code].name, fa[(code, "candidate")], fa[(code, "reference")],
                fmt(1000 * (fa[(code, 'candidate')] + fa[(code, 'reference')]) / fa_words, 1)]
               for code in sorted(by_rule)]
    print(table(["rule", "name", "candidate findings", "reference findings", "per 1,000 words"], fa_rows))

    # PR curve of the support rule, from the same word scores the rule uses.
    print("\n### Reference-support rule (MT205): threshold vs precision / recall\n")
    scored = []
    for refs, cands, base in support_pairs:
        for i, words in enumerate(word_support(encoder, refs, cands)):
            scored.append((base + i, words))
    n_spans = sum(len(segs[i][1]) for i, _ in scored)
    curve = []
    for th in args.thresholds:
        runs = hits = flagged_words = 0
        spans_hit = set()
        for i, words in scored:
            spans = segs[i][1]
            for run in weak_runs(words, th):
                a, b = run[0].start, run[-1].end
                runs += 1
                flagged_words += len(run)
                if overlaps(a, b, spans):
                    hits += 1
                for j, (x, y) in enumerate(spans):
                    if x < b and a < y:
                        spans_hit.add((i, j))
        curve.append([fmt(th), runs, fmt(1000 * flagged_words / total_words, 1),
                      fmt(hits / runs if runs else None), f"{len(spans_hit) / max(1, n_spans):.1%}",
                      "← default" if abs(th - DEFAULT_THRESHOLD) < 1e-9 else ""])
    print(table(["threshold", "flags", "flagged words per 1,000", "precision", "recall (spans)", ""], curve))
    print(f"\n(random word precision {word_rate:.2f}; {n_spans:,} annotated target spans)")
    print(f"\nreal: {time.time() - t0:.0f} s")


# ----------------------------------------------------------------------------- synthetic
@dataclass
class Injection:
    kind: str
    ref: str
    cand: str
    span: tuple[int, int]  # in cand (or, for "deleted", in ref)


AFFIXES = ["ists", "ness", "izations", "fulness", "ists", "ities", "ments"]
NAME_VARIANTS = [("Kyiv", "Kiev"), ("Zelensky", "Zelenskyy"), ("Erdogan", "Erdoğan"),
                 ("Medinsky", "Medinskiy"), ("Putin", "Poutine"), ("Rubio", "Rubyo")]
OTHER_NAMES = ["Stoltenberg", "Lavrov", "Macron", "Scholz", "Blinken", "Guterres", "Odesa", "Kharkiv"]


def _replace(s: str, a: int, b: int, new: str) -> tuple[str, tuple[int, int]]:
    return s[:a] + new + s[b:], (a, a + len(new))


def inject_duplicate(s: str, rng) -> Injection | None:
    from mtcheck.detect.rules.support import is_function_word

    words = list(WORD.finditer(s))
    if len(words) < 8:
        return None
    for _ in range(10):
        k = rng.choice([1, 2, 2, 3])
        i = rng.randrange(1, len(words) - k)
        phrase = words[i:i + k]
        if is_function_word(phrase[-1].group()) or any(not w.group().isalpha() for w in phrase):
            continue
        text = s[phrase[0].start():phrase[-1].end()]
        gap = rng.choice([0, 0, 2, 3])  # adjacent repeat or a near repeat a few words on
        j = min(i + k - 1 + gap, len(words) - 1)
        at = words[j].end()
        new, span = _replace(s, at, at, " " + text)
        return Injection("duplicate", s, new, (span[0] + 1, span[1]))
    return None


def inject_affix(s: str, rng) -> Injection | None:
    from mtcheck.detect.rules._text import zipf as _zipf
    from mtcheck.detect.rules.support import is_function_word

    words = [m for m in WORD.finditer(s) if m.group().isalpha() and m.group().islower()
             and len(m.group()) >= 5 and not is_function_word(m.group())]
    rng.shuffle(words)
    for m in words[:6]:
        for affix in rng.sample(AFFIXES, 3):
            new_word = m.group() + affix
            if _zipf(new_word) == 0:
                new, span = _replace(s, m.start(), m.end(), new_word)
                return Injection("garbled", s, new, span)
    return None


def inject_number(s: str, rng) -> Injection | None:
    from mtcheck.detect.rules.numbers import extract_quantities

    qs = [q for q in extract_quantities(s) if q.kind in ("number", "time", "id") and not q.weak]
    if not qs:
        return None
    q = rng.choice(qs)
    digits = re.search(r"\d+", q.text)
    if digits:
        n = int(digits.group())
        repl = str(n + rng.choice([1, 2, 10]) if n < 100 else n * 2)
        new_text = q.text[:digits.start()] + repl + q.text[digits.end():]
    else:
        words = {"two": "three", "three": "four", "four": "five", "five": "six", "six": "seven",
                 "ten": "twelve", "hundred": "thousand", "thousand": "million", "million": "billion"}
        low = q.text.lower()
        key = next((w for w in words if re.search(rf"\b{w}\b", low)), None)
        if key is None:
            return None
        new_text = re.sub(rf"\b{key}\b", words[key], q.text, count=1, flags=re.I)
    new, span = _replace(s, q.start, q.end, new_text)
    return Injection("number", s, new, span)


def _names(s: str):
    from mtcheck.detect.rules._text import zipf as _zipf
    from mtcheck.detect.rules.entities import _key, extract_names

    return [n for n in extract_names(s) if any(_zipf(w) < 3.5 for w in _key(n))]


def inject_name(s: str, rng) -> Injection | None:
    names = _names(s)
    if not names:
        return None
    n = rng.choice(names)
    # replace the name's last word with another name
    last = list(WORD.finditer(n.text))[-1]
    a, b = n.start + last.start(), n.start + last.end()
    other = rng.choice([x for x in OTHER_NAMES if x.lower() not in s.lower()])
    new, span = _replace(s, a, b, other)
    return Injection("name", s, new, span)


def inject_variant(s: str, rng) -> Injection | None:
    for a, b in NAME_VARIANTS:
        for x, y in ((a, b), (b, a)):
            m = re.search(rf"\b{re.escape(x)}\b", s)
            if m:
                new, span = _replace(s, m.start(), m.end(), y)
                return Injection("variant", s, new, span)
    names = _names(s)
    for n in names:
        w = list(WORD.finditer(n.text))[-1]
        word = w.group()
        if len(word) < 5 or not word.isalpha():
            continue
        if word.endswith("y"):
            var = word + "y"
        elif word.endswith("i"):
            var = word[:-1] + "y"
        elif "k" in word[1:]:
            var = word[0] + word[1:].replace("k", "kh", 1)
        else:
            var = word[:-1] + word[-1] + "e"
        a = n.start + w.start()
        new, span = _replace(s, a, a + len(word), var)
        return Injection("variant", s, new, span)
    return None


def load_calques() -> list[dict]:
    with open(CALQUES, encoding="utf-8") as fh:
        return [r for r in csv.DictReader(line for line in fh if not line.startswith("#"))]


def calque_injections() -> list[Injection]:
    out = []
    for r in load_calques():
        s, idiom, calque = r["sentence"], r["idiomatic"], r["calque"]
        at = s.find(idiom)
        if at < 0:
            raise SystemExit(f"{CALQUES}: {idiom!r} not in its sentence")
        new, span = _replace(s, at, at + len(idiom), calque)
        out.append(Injection("calque", s, new, span))
    return out


#: Which rules an injected kind is meant for: (code prefixes, name substrings).
KIND_RULES = {
    "duplicate": (("MT10",), ("duplicat", "repeat")),
    "garbled": (("MT11",), ()),
    "calque": (("MT3",), ()),
    "number": (("MT201",), ()),
    "name": (("MT203",), ()),
    "variant": (("MT40",), ()),
    "deleted": (("MT206",), ()),
}


def meant_for(kind: str, rule) -> bool:
    prefixes, names = KIND_RULES[kind]
    return any(rule.code.startswith(p) for p in prefixes) or any(n in rule.name for n in names)


def clean_sentences(args, rng) -> tuple[list[str], list[str]]:
    """(sentences, documents) of clean text: the fixture article, plus refB talks if given."""
    from mtcheck.segment import split_spans

    fixture = CLEAN_FIXTURE.read_text(encoding="utf-8")
    sents = [fixture[a:b] for a, b in split_spans(fixture)]
    documents = [fixture]
    if args.ted:
        rows = load_ted(args.ted)
        talks = {}
        for r in rows:
            talks.setdefault(r["doc"], r)
        pool = []
        for talk, r in sorted(talks.items()):
            refb = [s["references"]["refB"].strip() for s in r["segments"]]
            pool += [x for x in refb if 8 <= words_in(x) <= 45]
            documents.append(" ".join(refb[:40]))
        rng.shuffle(pool)
        sents += pool[: max(0, args.sentences - len(sents))]
    return sents, documents


def synthetic(args) -> None:
    t0 = time.time()
    rng = random.Random(args.seed)
    rules = select_rules(["ALL"])
    by_rule = {r.code: r for r in rules}
    encoder = CachingEncoder()
    sents, documents = clean_sentences(args, rng)
    injectors = [inject_duplicate, inject_affix, inject_number, inject_name, inject_variant]
    injections: list[Injection] = []
    for s in sents:
        for inj in injectors:
            x = inj(s, rng)
            if x is not None:
                injections.append(x)
    injections += calque_injections()
    rng.shuffle(injections)
    n_clean_words = sum(words_in(s) for s in sents)
    print(f"## Synthetic: {len(sents)} clean sentences ({n_clean_words:,} words: the clean fixture"
          f"{' + refB of MQM TED zh-en' if args.ted else ''}); {len(injections)} injected errors "
          f"+ deleted sentences, one error per sentence\n")
    encoder.prefetch([x.ref for x in injections] + [x.cand for x in injections])

    # One line-aligned document pair per injected sentence, so that rules that look
    # across sentences see only the one error.
    kinds = Counter(x.kind for x in injections)
    found_by_meant, found_by_any = Counter(), Counter()
    tally: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for x in injections:
        findings, *_ = check_lines([x.ref], [x.cand], encoder, rules)
        meant = any_hit = False
        for f in findings:
            if f.side != "candidate":
                continue
            hit = f.start < x.span[1] and x.span[0] < f.end
            tally[f.code][0] += 1
            tally[f.code][1] += hit
            any_hit |= hit
            meant |= hit and meant_for(x.kind, by_rule[f.code])
        found_by_meant[x.kind] += meant
        found_by_any[x.kind] += any_hit

    # Deleted sentences: document mode with the real aligner.
    deleted = 0
    for doc in documents:
        from mtcheck.segment import split_spans

        spans = split_spans(doc)
        if len(spans) < 5:
            continue
        for _ in range(args.deletions):
            k = rng.randrange(1, len(spans) - 1)
            a, b = spans[k]
            cand = doc[:a] + doc[spans[k + 1][0]:]
            findings, ctx = check_documents_mode(doc, cand, encoder, rules)
            kinds["deleted"] += 1
            deleted += 1
            hit_meant = any(f.side == "reference" and f.code.startswith("MT206") and f.start < b and a < f.end
                            for f in findings)
            found_by_meant["deleted"] += hit_meant
            found_by_any["deleted"] += any(f.side == "reference" and f.start < b and a < f.end for f in findings)
            for f in findings:
                if f.code == "MT206":
                    tally["MT206"][0] += 1
                    tally["MT206"][1] += f.start < b and a < f.end

    # False alarms: clean text against itself, line-aligned; alone (an empty reference,
    # so no reference-based rule runs and no name is known from the reference); and the
    # fixture against itself in document mode.
    findings, *_ = check_lines(sents, sents, encoder, rules)
    fa = Counter(f.code for f in findings)
    alone, _ = check_documents_mode("", "\n".join(sents), encoder, rules)
    fa_alone = Counter(f.code for f in alone)
    fx = CLEAN_FIXTURE.read_text(encoding="utf-8")
    fdoc, _ = check_documents_mode(fx, fx, encoder, rules)
    fa_doc = Counter(f.code for f in fdoc)

    print("### Recall per injected kind\n")
    rows = [[k, kinds[k], f"{found_by_meant[k] / kinds[k]:.0%}", f"{found_by_any[k] / kinds[k]:.0%}",
             ", ".join(r.code for r in rules if meant_for(k, r)) or "–"] for k in KIND_RULES if kinds[k]]
    print(table(["kind", "injected", "recall (rules meant for it)", "recall (any rule)", "rules meant"], rows))
    print("\n### Per rule: precision on injected text, false alarms on clean text\n")
    rows = []
    for code in sorted(by_rule):
        flags, hits = tally.get(code, [0, 0])
        rows.append([code, by_rule[code].name, "on" if by_rule[code].default_enabled else "off", flags,
                     fmt(hits / flags if flags else None), fa[code], fa_alone[code],
                     fmt(1000 * fa_alone[code] / n_clean_words, 1), fa_doc[code]])
    print(table(["rule", "name", "default", "flags", "precision", "clean vs itself",
                 "clean alone", "clean alone per 1,000 words", "fixture vs itself"], rows))
    print(f"\nsynthetic: {time.time() - t0:.0f} s")


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = p.add_subparsers(dest="part", required=True)
    s = sub.add_parser("synthetic")
    s.add_argument("--ted", help="ted_zhen.jsonl: add refB sentences as clean text")
    s.add_argument("--sentences", type=int, default=300)
    s.add_argument("--deletions", type=int, default=3, help="deleted sentences per document")
    s.add_argument("--seed", type=int, default=1)
    r = sub.add_parser("real")
    r.add_argument("path")
    r.add_argument("--systems", type=int, default=13, help="subsample: number of MT systems")
    r.add_argument("--seed", type=int, default=1)
    r.add_argument("--thresholds", type=float, nargs="+",
                   default=[0.25, 0.3, 0.35, 0.4, 0.45, 0.5, 0.55, 0.6, 0.7])
    a = sub.add_parser("all")
    a.add_argument("path")
    a.add_argument("--systems", type=int, default=13)
    a.add_argument("--sentences", type=int, default=300)
    a.add_argument("--deletions", type=int, default=3)
    a.add_argument("--seed", type=int, default=1)
    a.add_argument("--thresholds", type=float, nargs="+",
                   default=[0.25, 0.3, 0.35, 0.4, 0.45, 0.5, 0.55, 0.6, 0.7])
    args = p.parse_args(argv)
    print(f"command: python bench/detectors.py {' '.join(sys.argv[1:] if argv is None else argv)}\n")
    if args.part in ("synthetic", "all"):
        if args.part == "all":
            args.ted = args.path
        synthetic(args)
        print()
    if args.part in ("real", "all"):
        real(args)


if __name__ == "__main__":
    main()
