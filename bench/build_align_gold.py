"""Build the alignment gold set in tests/data/align/ from the MQM TED zh-en data.

Usage:
    python bench/build_align_gold.py PATH/TO/ted_zhen.jsonl [--out tests/data/align]
    # a held-out set (other talks, systems, seed) to check the tuned parameters:
    python bench/build_align_gold.py PATH --out /tmp/heldout \
        --documents talk.6:DIDI-NLP,talk.9:SMU --pool talk.2:NiuTrans --seed 7

Source: google/wmt-mqm-human-evaluation (Freitag et al. 2021), Apache-2.0. For a few
talks, the human reference refB and one MT system's output are the same talk segment by
segment: a true 1-1 alignment of two different English wordings. From it we derive, with
a fixed random seed, the harder cases and update the gold accordingly:

- split a candidate unit at a sentence boundary      -> 1-2 bead
- split a reference unit at a sentence boundary      -> 2-1 bead
- merge two adjacent candidate units                 -> 2-1 bead
- merge two adjacent reference units                 -> 1-2 bead
- delete a candidate unit                            -> 1-0 bead
- delete a reference unit                            -> 0-1 bead (a related sentence)
- insert an MT segment of another talk in candidate  -> 0-1 bead (an unrelated sentence)

Each document is one unit per line (``line_sentences``), so the gold bead indices are
line numbers. Output: ``ted_gold.json`` (documents, gold beads, provenance).
"""

from __future__ import annotations

import argparse
import json
import random
import re
from collections import Counter
from pathlib import Path

from mtcheck.segment import split_spans

#: (talk, MT system): weaker systems on purpose (MQM average 2.6-3.0 per segment).
DOCUMENTS = [("talk.2", "Online-W"), ("talk.7", "metricsystem3"), ("talk.5", "Facebook-AI")]
#: Unrelated segments to insert come from this talk's MT output.
INSERT_POOL = ("talk.9", "NiuTrans")
SEED = 20210414
#: Probability of each operation at a segment (the rest stays 1-1).
RATES = {
    "split_cand": 0.06,
    "split_ref": 0.06,
    "merge_cand": 0.06,
    "merge_ref": 0.06,
    "delete_cand": 0.05,
    "delete_ref": 0.05,
    "insert_cand": 0.05,
}


def split_in_two(text: str) -> tuple[str, str] | None:
    """Split at the sentence boundary nearest the middle, else at the clause boundary
    (comma, semicolon, dash) nearest the middle with 5+ words on each side, as MT
    segmenters do; None when neither exists."""
    spans = split_spans(text)
    if len(spans) >= 2:
        cut = min(range(1, len(spans)), key=lambda k: abs(spans[k][0] - len(text) / 2))
        return text[: spans[cut - 1][1]].strip(), text[spans[cut][0] :].strip()
    cuts = [
        m.end()
        for m in re.finditer(r"[,;—] ", text)
        if len(text[: m.end()].split()) >= 5 and len(text[m.end() :].split()) >= 5
    ]
    if not cuts:
        return None
    at = min(cuts, key=lambda c: abs(c - len(text) / 2))
    return text[:at].strip(), text[at:].strip()


def derive(pairs: list[tuple[str, str]], pool: list[str], rng: random.Random) -> dict:
    """Apply the operations to a 1-1 list of (reference, candidate) segments."""
    ref: list[str] = []
    cand: list[str] = []
    gold: list[list[list[int]]] = []
    ops: Counter = Counter()

    def add(ref_units: list[str], cand_units: list[str]) -> None:
        r = list(range(len(ref), len(ref) + len(ref_units)))
        c = list(range(len(cand), len(cand) + len(cand_units)))
        ref.extend(ref_units)
        cand.extend(cand_units)
        gold.append([r, c])

    k = 0
    pending = ""  # a split drawn for a segment that could not be split waits for the next
    while k < len(pairs):
        r_text, c_text = pairs[k]
        roll, op = rng.random(), "one_one"
        acc = 0.0
        for name, rate in RATES.items():
            acc += rate
            if roll < acc:
                op = name
                break
        if op == "one_one" and pending:
            op, pending = pending, ""
        has_next = k + 1 < len(pairs)
        if op == "split_cand" and (parts := split_in_two(c_text)):
            add([r_text], list(parts))
        elif op == "split_ref" and (parts := split_in_two(r_text)):
            add(list(parts), [c_text])
        elif op == "merge_cand" and has_next:
            add([r_text, pairs[k + 1][0]], [f"{c_text} {pairs[k + 1][1]}"])
            k += 1
        elif op == "merge_ref" and has_next:
            add([f"{r_text} {pairs[k + 1][0]}"], [c_text, pairs[k + 1][1]])
            k += 1
        elif op == "delete_cand":
            add([r_text], [])
        elif op == "delete_ref":
            add([], [c_text])
        elif op == "insert_cand" and pool:
            add([], [pool.pop(0)])
            add([r_text], [c_text])
        else:
            if op.startswith("split"):
                pending = op
            op = "one_one"
            add([r_text], [c_text])
        ops[op] += 1
        k += 1
    return {"reference": ref, "candidate": cand, "gold": gold, "operations": dict(ops)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("data", type=Path, help="ted_zhen.jsonl (MQM TED zh-en)")
    ap.add_argument("--out", type=Path, default=Path("tests/data/align"))
    ap.add_argument("--documents", help="talk:system,... (default: the test set's)")
    ap.add_argument("--pool", help="talk:system of the inserted segments")
    ap.add_argument("--seed", type=int, default=SEED)
    args = ap.parse_args()
    documents_spec = DOCUMENTS
    if args.documents:
        documents_spec = [tuple(x.split(":", 1)) for x in args.documents.split(",")]
    pool_spec = tuple(args.pool.split(":", 1)) if args.pool else INSERT_POOL

    rows = {}
    for line in args.data.open(encoding="utf-8"):
        row = json.loads(line)
        rows[(row["doc"], row["system"])] = row
    pool = [s["target"] for s in rows[pool_spec]["segments"]]
    rng = random.Random(args.seed)
    documents = []
    for talk, system in documents_spec:
        segs = rows[(talk, system)]["segments"]
        pairs = [(s["references"]["refB"].strip(), s["target"].strip()) for s in segs]
        doc = derive(pairs, pool, rng)
        documents.append(
            {
                "talk": talk,
                "reference_source": "refB (human translation)",
                "candidate_source": f"{system} (MT output)",
                "segments": [segs[0]["seg_id"], segs[-1]["seg_id"]],
                **doc,
            }
        )
    out = {
        "description": "Alignment gold set: refB vs MT output of TED talks (zh-en, WMT 2021 "
        "MQM), with derived splits, merges, deletions and insertions. One unit per line.",
        "source": "google/wmt-mqm-human-evaluation ted/zhen/mqm_ted_zhen.tsv, Apache-2.0, "
        "Freitag et al. 2021 (arXiv:2104.14478)",
        "insert_pool": f"{pool_spec[0]} {pool_spec[1]} (MT output)",
        "seed": args.seed,
        "documents": documents,
    }
    args.out.mkdir(parents=True, exist_ok=True)
    path = args.out / "ted_gold.json"
    path.write_text(json.dumps(out, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    total = Counter()
    for d in documents:
        total.update(d["operations"])
    print(f"wrote {path}: {sum(len(d['gold']) for d in documents)} gold beads, {dict(total)}")


if __name__ == "__main__":
    main()
