"""Align stage: pair the sentences of the reference with those of the candidate.

The method is in the spirit of Vecalign (Thompson & Koehn 2019) and Bertalign (Liu & Zhu
2022), written here from the published descriptions (Bertalign's code is GPL; none of it
is used):

1. Embed every sentence on both sides (``Encoder.encode``, L2-normalised, so a dot
   product is the cosine similarity), and the concatenations of two adjacent sentences
   that can matter: those a first 1-1/skip search leaves near its path and that
   resemble the other side there (:func:`_joins_needed`, Bertalign's second step in
   spirit). Most joins are never embedded; they were 2/3 of the tokens. Of those, only
   the ones whose estimate from the two sentences' own embeddings
   (:func:`_estimated_joins`: their length-weighted mean, renormalised) comes within
   :data:`JOIN_SLACK` of being allowed as a merge are candidates (``joins="hybrid"``
   runs them all), and by default (``"bounded"``) only the candidates that the cheapest
   path takes when the others are given an optimistic cosine run through the model
   (:meth:`_Piece._run_winning`); the search only ever uses the model's own cosine of a
   join.
2. Fill three similarity matrices: 1-1 (sentence with sentence), 2-1 (two adjacent
   reference sentences with one candidate sentence) and 1-2.
3. Find the cheapest monotonic path of beads 1-1, 2-1, 1-2, 1-0 and 0-1 by dynamic
   programming (:func:`align_matrix`, a pure function over the matrices).

Costs (all tunable in :class:`AlignParams`):

- an aligned bead costs ``1 - cosine`` plus a small length-mismatch term; a 2-1 or 1-2
  bead costs ``merge_cost`` more (it covers one more sentence) and is allowed only when
  the joined side is more similar than either of its sentences alone;
- an unaligned sentence (1-0 or 0-1 bead) costs ``skip_cost``; the *first* unaligned
  sentence after an aligned bead also pays ``gap_open`` (an affine gap, as in
  Gotoh's sequence alignment).

The affine gap is what lets one aligner serve both real cases. Inside a run of aligned
beads (a translation) a pair is kept down to a low similarity, since breaking the run
costs a gap opening. Between two stories that only share a few sentences, every match is
surrounded by gaps and has to pay for an extra gap opening, so only clearly matching
pairs are aligned. The two thresholds for a 1-1 pair are:

- inside an aligned run (and at the start or end of the documents, which act as
  anchors): cosine > ``1 - 2*skip_cost - gap_open``;
- an isolated pair between unaligned stretches: cosine > ``1 - 2*skip_cost + gap_open``.

:func:`align_documents` runs the search twice at most. The first pass uses the strict
:data:`STRICT` costs (run threshold 0.48, isolated 0.72; a merge must also beat a gap
opening). If that alignment says the documents are translations of each other
(:func:`parallel_verdict`), a second pass with :data:`PARALLEL` costs replaces it: there
the neighbours vouch for a pair (run threshold 0.30, isolated 0.66) and any merge that
raises the similarity is taken. Between two different stories the first pass stands:
joining a sentence to a match often raises the cosine a little from topical overlap
alone, so merges there must be clearly better.

Both sets were chosen on the gold set in ``tests/data/align`` and the fixture pair, and
checked on a held-out set of other talks and MT systems (``bench/align.py``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from mtcheck.segment import line_spans
from mtcheck.types import Bead, Document, Parallel, Sentence

#: A bead as index tuples: (reference sentence indices, candidate sentence indices).
Pair = tuple[tuple[int, ...], tuple[int, ...]]


class AlignmentInputError(ValueError):
    """The inputs cannot be aligned as asked (e.g. ``--aligned`` with unequal lines)."""


@dataclass(frozen=True)
class AlignParams:
    """Costs of the alignment search. Similarities are cosines in [-1, 1]."""

    skip_cost: float = 0.20
    """Cost of leaving one sentence unaligned (a 1-0 or 0-1 bead). Two skips are
    compared with ``1 - cosine`` of the 1-1 bead they would replace."""

    gap_open: float = 0.12
    """Extra cost of the first unaligned sentence after an aligned bead. Raises the bar
    for an isolated match (``1 - 2*skip_cost + gap_open``) and lowers it for a pair that
    continues a run of aligned beads (``1 - 2*skip_cost - gap_open``)."""

    min_similarity: float = 0.3
    """Hard floor: a bead whose cosine is below this is never chosen, whatever else."""

    merge_cost: float = 0.32
    """Extra cost of a 2-1 or 1-2 bead over ``1 - cosine``. Equal to ``skip_cost``, a
    merge beats "1-1 bead + one unaligned sentence" whenever its cosine is higher; equal
    to ``skip_cost + gap_open``, it must also beat a gap opening when the extra sentence
    would sit next to other unaligned ones."""

    merge_margin: float = 0.0
    """A 2-1 or 1-2 bead is allowed only if its cosine exceeds the cosine of each of its
    two sentences alone (with the other side) by at least this much."""

    length_weight: float = 0.03
    """Weight of the length mismatch ``|log(chars_ref / chars_cand)|`` (capped at
    ``log 4``) added to an aligned bead's cost. Small: it breaks near-ties between a
    1-1 bead and a split/merge, it does not decide alignments on its own."""


#: First pass, and the final alignment of documents that are not translations of each
#: other: a 1-1 pair needs cosine > 0.48 inside a run, > 0.72 alone.
STRICT = AlignParams()

#: Second pass for documents found parallel by the first: a 1-1 pair needs cosine
#: > 0.30 inside a run, > 0.66 alone; any merge that raises the cosine is taken.
PARALLEL = AlignParams(skip_cost=0.26, gap_open=0.18, merge_cost=0.26)


@dataclass(frozen=True)
class VerdictParams:
    """Thresholds of the "are these translations of each other" verdict."""

    min_coverage: float = 0.5
    """Share of the characters of *each* side that must lie in aligned beads."""

    min_mean_similarity: float = 0.5
    """Mean cosine of the aligned beads (weighted by their characters) required."""


DEFAULT_VERDICT = VerdictParams()

# Move codes used in the back-pointer tables of the DP.
_M11, _M21, _M12 = 0, 1, 2  # aligned beads: (ref sentences, candidate sentences)
_S10, _S01 = 0, 1  # skips: one reference sentence / one candidate sentence
_ALIGNED_MOVES = {_M11: (1, 1), _M21: (2, 1), _M12: (1, 2)}


def _length_term(ref_len: np.ndarray, cand_len: np.ndarray, weight: float) -> np.ndarray:
    if weight == 0.0:
        return np.zeros((len(ref_len), len(cand_len)))
    ratio = np.log(ref_len + 1.0)[:, None] - np.log(cand_len + 1.0)[None, :]  # n + m logs, not n * m
    return weight * np.minimum(np.abs(ratio), math.log(4.0))


def align_matrix(
    sim_11: np.ndarray,
    sim_12: np.ndarray,
    sim_21: np.ndarray,
    params: AlignParams = STRICT,
    ref_lengths: np.ndarray | list[int] | None = None,
    cand_lengths: np.ndarray | list[int] | None = None,
) -> list[Pair]:
    """The cheapest monotonic alignment of ``n`` reference and ``m`` candidate sentences.

    ``sim_11[i, j]`` is the cosine of reference sentence ``i`` with candidate sentence
    ``j`` (shape ``n x m``); ``sim_12[i, j]`` of reference ``i`` with candidates ``j, j+1``
    (``n x m-1``); ``sim_21[i, j]`` of references ``i, i+1`` with candidate ``j``
    (``n-1 x m``). ``ref_lengths`` / ``cand_lengths`` (characters per sentence) enable
    the length term; without them it is left out.

    Returns the beads in order as ``(reference indices, candidate indices)``; every
    sentence of both sides is in exactly one bead; one side may be empty.
    """
    return _cheapest(_bead_costs(sim_11, sim_12, sim_21, params, ref_lengths, cand_lengths), params)


def _cheapest(costs: tuple[np.ndarray, np.ndarray, np.ndarray], p: AlignParams) -> list[Pair]:
    """:func:`align_matrix` over bead costs (:func:`_bead_costs`)."""
    aligned, gap, a_move, a_from_gap, g_move, g_from_gap = _dp(*costs, p)
    n, m = aligned.shape[0] - 1, aligned.shape[1] - 1

    # Trace back from the end.
    beads: list[Pair] = []
    i, j = n, m
    in_gap = bool(gap[n, m] < aligned[n, m])
    while i > 0 or j > 0:
        if in_gap:
            move, in_gap_prev = g_move[i, j], g_from_gap[i, j]
            if move == _S10:
                beads.append(((i - 1,), ()))
                i -= 1
            else:
                beads.append(((), (j - 1,)))
                j -= 1
        else:
            move, in_gap_prev = a_move[i, j], a_from_gap[i, j]
            di, dj = _ALIGNED_MOVES[int(move)]
            beads.append((tuple(range(i - di, i)), tuple(range(j - dj, j))))
            i, j = i - di, j - dj
        in_gap = bool(in_gap_prev)
    beads.reverse()
    return beads


def _bead_costs(sim_11, sim_12, sim_21, p: AlignParams, ref_lengths=None, cand_lengths=None):
    """The cost of every aligned bead (1-1, 1-2, 2-1; inf where not allowed), indexed by
    the bead's first reference / candidate index: :func:`align_matrix`'s."""
    sim_11 = np.asarray(sim_11, dtype=np.float64)
    n, m = sim_11.shape
    sim_12 = np.asarray(sim_12, dtype=np.float64).reshape(n, max(m - 1, 0))
    sim_21 = np.asarray(sim_21, dtype=np.float64).reshape(max(n - 1, 0), m)
    inf = np.inf

    # Cost of each aligned bead, indexed by the bead's first reference / candidate index.
    if ref_lengths is not None and cand_lengths is not None:
        rl = np.asarray(ref_lengths, dtype=np.float64)
        cl = np.asarray(cand_lengths, dtype=np.float64)
        len_11 = _length_term(rl, cl, p.length_weight)
        len_21 = _length_term(rl[:-1] + rl[1:], cl, p.length_weight)
        len_12 = _length_term(rl, cl[:-1] + cl[1:], p.length_weight)
    else:
        len_11 = len_21 = len_12 = 0.0
    cost_11 = 1.0 - sim_11 + len_11
    cost_21 = 1.0 - sim_21 + len_21 + p.merge_cost
    cost_12 = 1.0 - sim_12 + len_12 + p.merge_cost
    cost_11[sim_11 < p.min_similarity] = inf
    cost_21[sim_21 < p.min_similarity] = inf
    cost_12[sim_12 < p.min_similarity] = inf
    # A merge must be more similar than each of its sentences alone.
    if m > 1:
        cost_12[sim_12 < np.maximum(sim_11[:, :-1], sim_11[:, 1:]) + p.merge_margin] = inf
    if n > 1:
        cost_21[sim_21 < np.maximum(sim_11[:-1], sim_11[1:]) + p.merge_margin] = inf

    return cost_11, cost_12, cost_21


def _dp(cost_11: np.ndarray, cost_12: np.ndarray, cost_21: np.ndarray, p: AlignParams):
    """The dynamic programme of :func:`align_matrix` over its bead costs: the cheapest
    cost of each prefix pair ending in an aligned bead / a skip, and the back-pointers."""
    n, m = cost_11.shape
    inf = np.inf
    # Two states per cell (i, j) = prefixes ref[:i], cand[:j]:
    #   aligned[i, j]: cheapest path whose last bead is aligned (the start counts as one);
    #   gap[i, j]:     cheapest path whose last bead is a skip.
    aligned = np.full((n + 1, m + 1), inf)
    gap = np.full((n + 1, m + 1), inf)
    aligned[0, 0] = 0.0
    # Back-pointers: move code, and whether the previous cell was in the gap state.
    a_move = np.zeros((n + 1, m + 1), dtype=np.int8)
    a_from_gap = np.zeros((n + 1, m + 1), dtype=bool)
    g_move = np.zeros((n + 1, m + 1), dtype=np.int8)
    g_from_gap = np.zeros((n + 1, m + 1), dtype=bool)

    # best[i]: the cheapest cost in either state for row i, and whether it is the gap state
    # (computed once per row, read by the next two rows).
    best: list[tuple[np.ndarray, np.ndarray]] = []
    skip_run = np.arange(m + 1) * p.skip_cost
    for i in range(n + 1):
        # Aligned beads ending in row i come from rows i-1 and i-2 only; written straight
        # into row i of the tables (inf, move 1-1, not from a gap: their initial values).
        if i >= 1 and m >= 1:
            prev, prev_gap = best[i - 1]
            cand, move, src_gap = aligned[i], a_move[i], a_from_gap[i]
            cand[1:] = prev[:-1] + cost_11[i - 1]  # 1-1 from (i-1, j-1)
            src_gap[1:] = prev_gap[:-1]
            if m >= 2:
                c = prev[:-2] + cost_12[i - 1]  # 1-2 from (i-1, j-2)
                better = c < cand[2:]
                cand[2:] = np.where(better, c, cand[2:])
                move[2:][better] = _M12
                src_gap[2:][better] = prev_gap[:-2][better]
            if i >= 2:
                prev2, prev2_gap = best[i - 2]
                c = prev2[:-1] + cost_21[i - 2]  # 2-1 from (i-2, j-1)
                better = c < cand[1:]
                cand[1:] = np.where(better, c, cand[1:])
                move[1:][better] = _M21
                src_gap[1:][better] = prev2_gap[:-1][better]

        # Skips ending in row i: 1-0 from (i-1, j), then 0-1 from (i, j-1) along the row.
        # A skip costs skip_cost, plus gap_open when it leaves the aligned state.
        s_move, s_gap = g_move[i], g_from_gap[i]  # 1-0, not from a gap: their initial values
        if i >= 1:
            from_a = aligned[i - 1] + p.gap_open
            use_gap = gap[i - 1] <= from_a
            start = np.where(use_gap, gap[i - 1], from_a) + p.skip_cost
            s_gap[:] = use_gap
        else:
            start = np.full(m + 1, inf)
        # 0-1 from the aligned state of this row (already final) ...
        from_a = np.full(m + 1, inf)
        from_a[1:] = aligned[i, :-1] + p.gap_open + p.skip_cost
        take = from_a < start
        start = np.where(take, from_a, start)
        s_move[take] = _S01
        s_gap[take] = False
        # ... and from the gap state of this row: gap[j] = min(start[j], gap[j-1] + skip),
        # solved for the whole row at once with a running minimum.
        run = np.minimum.accumulate(start - skip_run) + skip_run
        chained = run < start - 1e-12
        gap[i] = np.where(chained, run, start)
        s_move[chained] = _S01
        s_gap[chained] = True
        from_gap = gap[i] < aligned[i]
        best.append((np.where(from_gap, gap[i], aligned[i]), from_gap))
    gap[0, 0] = inf  # the start is an aligned state; nothing is skipped yet

    return aligned, gap, a_move, a_from_gap, g_move, g_from_gap


# --------------------------------------------------------------------------- documents


#: Joins are embedded only near the first (1-1) path: this many sentences either side.
JOIN_WINDOW = 3

#: ... only where both sentences of the join have at least this cosine with one sentence
#: of the other side (a split sentence resembles each of its halves) ...
JOIN_FLOOR = 0.25

#: ... and one of them at least this much (every 2-1 / 1-2 bead the full search chose on
#: the gold set and held-out TED pairs had a part above 0.44) ...
JOIN_STRONG = 0.4

#: ... and neither much closer to its own partner on the 1-1 path. With these values the
#: beads equal those of embedding every join on the gold set, the fixture pair, 30
#: held-out TED pairs and 40 bench/speed.py pairs.
JOIN_RIVAL = 0.15


def _anchor_band(pairs: list[Pair], n: int, m: int, window: int) -> np.ndarray:
    """Cells (i, j) of an ``n x m`` matrix near a path: within ``window`` of the
    rectangle spanned by each stretch between two consecutive aligned beads (the start
    and the end count as aligned), so a whole unaligned stretch is inside the band."""
    band = np.zeros((n, m), dtype=bool)
    anchors, i, j = [(0, 0)], 0, 0
    for ref_idx, cand_idx in pairs:
        if ref_idx and cand_idx:
            anchors.append((i, j))
        i, j = i + len(ref_idx), j + len(cand_idx)
        if ref_idx and cand_idx:
            anchors.append((i, j))
    anchors.append((n, m))
    for (i0, j0), (i1, j1) in zip(anchors, anchors[1:]):
        band[max(i0 - window, 0) : i1 + window, max(j0 - window, 0) : j1 + window] = True
    return band


def _joins_needed(
    sim_11: np.ndarray,
    params: AlignParams,
    lengths: tuple[list[int], list[int]],
    window: int = JOIN_WINDOW,
    floor: float = JOIN_FLOOR,
    strong: float = JOIN_STRONG,
    rival: float = JOIN_RIVAL,
) -> tuple[np.ndarray, np.ndarray]:
    """Which adjacent-sentence joins can matter (Bertalign's second step, in spirit).

    Runs the 1-1/skip search with ``params``, takes the band around its path
    (:func:`_anchor_band`) and keeps the join of sentences ``k, k+1`` of one side only
    if, inside the band, some sentence of the other side has cosine >= ``floor`` with
    both, >= ``strong`` with one of them, and each of the two is within ``rival`` of
    its cosine with its own partner on that path (an unaligned sentence has none).
    Returns boolean masks over the cells of the 2-1 (``n-1 x m``) and 1-2 (``n x m-1``)
    tables where a join can win; a join is needed where its row / column has one.
    """
    n, m = sim_11.shape
    no_12, no_21 = np.full((n, max(m - 1, 0)), -np.inf), np.full((max(n - 1, 0), m), -np.inf)
    pairs = align_matrix(sim_11, no_12, no_21, params, *lengths)
    band = _anchor_band(pairs, n, m, window)
    # Each sentence's cosine with its partner on the 1-1 path (-inf if unaligned): a join
    # can only win if each of its sentences is nearly as close to the other side's
    # sentence as to its own partner.
    partner_r, partner_c = np.full(n, -np.inf), np.full(m, -np.inf)
    for ref_idx, cand_idx in pairs:
        if ref_idx and cand_idx:
            partner_r[ref_idx[0]] = partner_c[cand_idx[0]] = sim_11[ref_idx[0], cand_idx[0]]
    near = band & (sim_11 >= floor)
    strong_11 = near & (sim_11 >= strong)
    fits_c = near & (sim_11 >= partner_c[None, :] - rival)  # ref i vs cand j's partner
    fits_r = near & (sim_11 >= partner_r[:, None] - rival)
    both_12 = fits_c[:, :-1] & fits_c[:, 1:] & (strong_11[:, :-1] | strong_11[:, 1:])
    both_21 = fits_r[:-1] & fits_r[1:] & (strong_11[:-1] | strong_11[1:])
    return both_21, both_12


def _pair_texts(text: str, sentences: list[Sentence], starts) -> list[str]:
    """The joins of sentences ``k, k+1`` for ``k`` in ``starts``: the document's own slice
    from the first's start to the second's end, the text the rules and the error tagger
    read for a two-sentence side (``CheckContext.aligned_pairs``), so that they find its
    token embeddings and layer states kept. Whatever whitespace lies between the two
    (a space, a newline) the tokenizer reads alike: the same tokens and vectors as
    the two joined by a space."""
    return [text[sentences[k].start : sentences[k + 1].end] for k in starts]


#: How the embedding of two adjacent sentences joined is found (``align_documents``'s
#: ``joins``): ``hybrid`` estimates every needed join from its two sentences' own
#: embeddings (:func:`_estimated_joins`) and runs the model only on the joins whose
#: estimate comes within :data:`JOIN_SLACK` of winning; ``bounded`` (the default) runs
#: only those of hybrid's joins that the cheapest path takes with optimistic cosines for
#: the joins not run (:meth:`_Piece._run_winning`): hybrid's beads with fewer joins
#: wherever no join's cosine beats its estimate by more than :data:`JOIN_BOUND_SLACK`;
#: ``exact`` runs the model on every needed join (kept to measure the estimates against).
JOIN_MODES = ("bounded", "hybrid", "exact")
JOINS = "bounded"

#: ``bounded`` (the default) runs a join of ``hybrid``'s only if the cheapest path takes
#: it when the joins not run have their estimate plus this (:meth:`_Piece._run_winning`).
#: The model's cosine exceeds the estimate by more than 0.12 in 1% of (join, sentence)
#: cells of the gold set and the fixture. Measured (README "Alignment"): 0.1, 0.15 and
#: 0.2 all give hybrid's beads on the gold set, both held-out sets, the fixture, 40 TED
#: pairs, 40 mismatched pairs and the 12k-word pair; 0.3 runs every join on the fixture.
JOIN_BOUND_SLACK = 0.15
#: Rounds of ``bounded``'s search at most; then the remaining joins all run.
JOIN_ROUNDS = 8
#: ``bounded`` searches pieces of at most this many sentence pairs; larger ones run all
#: of hybrid's joins. Each round is a search over the whole piece, ~0.25 us CPU a cell
#: here, and takes ~4 rounds a pass: on the 12k-word pair (583,000 cells) the 8 rounds
#: cost ~1 CPU s, as much as the 83 joins of 193 they spared.
BOUNDED_CELLS = 200_000

#: The estimate mostly falls short of the model's cosine of a join (the model reads the
#: two sentences as one text): a join runs through the model when its estimate is within
#: this much of being allowed as a merge. Measured (bench/align.py, README "Alignment"):
#: 0.0 loses 4.4 points of strict F1 on the gold set, 0.05 one point, 0.1 none (0.4 on
#: held-out pairs), with 15-25% fewer joins run than the exact mode.
JOIN_SLACK = 0.1


def merge_floor(p: AlignParams) -> float:
    """The least cosine a 2-1 or 1-2 bead can have on a cheapest path with costs ``p``.

    Leaving its three sentences unaligned instead is always a path too, and costs at most
    ``3 * skip_cost + gap_open``; the bead costs at least ``1 - cosine + merge_cost``.
    STRICT: 0.60, PARALLEL: 0.30.
    """
    return 1.0 + p.merge_cost - 3 * p.skip_cost - p.gap_open


def _estimated_joins(vecs: np.ndarray, weights: np.ndarray, starts: np.ndarray) -> np.ndarray:
    """Embeddings of sentences ``k, k+1`` joined, for ``k`` in ``starts``, estimated
    without the model: the model's vector is the (normalised) mean of its tokens' states,
    so the join's is close to the mean of the two sentences' vectors weighted by their
    lengths (``weights``), renormalised."""
    a, b = starts, starts + 1
    v = weights[a, None] * vecs[a] + weights[b, None] * vecs[b]
    return v / np.clip(np.linalg.norm(v, axis=1, keepdims=True), 1e-12, None)


def align_documents(
    reference: Document,
    candidate: Document,
    encoder,
    params: AlignParams = STRICT,
    parallel_params: AlignParams | None = PARALLEL,
    verdict: VerdictParams = DEFAULT_VERDICT,
    joins: str | None = None,
) -> tuple[list[Bead], Parallel]:
    """Align the sentences of two segmented documents by embedding similarity.

    Searches with ``params``; if the result looks parallel and ``parallel_params`` is
    given, searches again with those (see the module docstring). Returns beads covering
    every sentence of both sides exactly once, in order. An aligned bead's
    ``similarity`` is the cosine of its two sides' embeddings (a two-sentence side is
    embedded as the document's slice covering both: :func:`_pair_texts`); unaligned beads have
    ``similarity`` None. The second value is :func:`parallel_verdict`.

    Every sentence is embedded; of the joins of two adjacent sentences, only those that
    can matter for the search at hand (:func:`_joins_needed`) and, with ``joins="hybrid"``,
    whose estimate comes close to winning (:meth:`_Piece._competing`); with
    ``joins="bounded"`` (the default, :data:`JOINS`) only those of hybrid's that the
    cheapest path takes, the others given an optimistic cosine
    (:meth:`_Piece._run_winning`: hybrid's beads unless a join's cosine beats its estimate
    by more than :data:`JOIN_BOUND_SLACK`, which no bench set shows); ``joins="exact"`` embeds every needed
    join. The 2-1 / 1-2 similarity of a join not embedded is ``-inf``, so no bead uses it.

    Long documents (more than :data:`FULL_CELLS` sentence pairs) are searched in pieces
    cut at sure 1-1 matches (:func:`_piece_boxes`), so that time and memory grow
    linearly with the length instead of with its square.
    """
    rs, cs = reference.sentences, candidate.sentences
    n, m = len(rs), len(cs)
    if n == 0 or m == 0:
        beads = [Bead((i,), ()) for i in range(n)] + [Bead((), (j,)) for j in range(m)]
        return beads, parallel_verdict(beads, reference, candidate, verdict)

    joins = joins or JOINS
    if joins not in JOIN_MODES:
        raise ValueError(f"joins={joins!r}: choose one of {', '.join(JOIN_MODES)}")
    singles = encoder.encode([s.text for s in rs] + [s.text for s in cs])
    r1, c1 = singles[:n], singles[n:]
    texts = (reference.text, candidate.text)
    pieces = [_Piece(texts, rs, cs, r1, c1, encoder, (0, n, 0, m), joins)] if n * m <= FULL_CELLS else [
        _Piece(texts, rs, cs, r1, c1, encoder, box, joins) for box in _piece_boxes(r1, c1)
    ]

    def search(p: AlignParams) -> tuple[list[Bead], Parallel]:
        beads = [b for piece in pieces for b in piece.search(p)]
        return beads, parallel_verdict(beads, reference, candidate, verdict)

    beads, parallel = search(params)
    if parallel.is_parallel and parallel_params is not None:
        beads, parallel = search(parallel_params)
    return beads, parallel


#: Documents with more sentence pairs (reference x candidate sentences) than this are
#: aligned piece by piece (:func:`_piece_boxes`): about 1,000 x 1,000 sentences, some
#: 20,000 words a side. Below it the search sees the whole matrix, as it always did.
FULL_CELLS = 1_000_000
#: Sentences of the reference per piece of a long document, and how far (in candidate
#: sentences) from the proportional position a cut may move to land on a sure match.
PIECE = 400
CUT_WINDOW = 60
CUT_REACH = 12


def _piece_boxes(r1: np.ndarray, c1: np.ndarray) -> list[tuple[int, int, int, int]]:
    """Cut two long documents into consecutive pieces ``(i0, i1, j0, j1)`` that are
    aligned separately: linear cost instead of the quadratic full matrix.

    Every ``PIECE`` reference sentences, the cut goes right after the most similar
    sentence pair that is each other's best match near the proportional position (the
    reference sentences within ``CUT_REACH`` of the nominal cut, the candidate sentences
    within ``CUT_WINDOW`` of where the same share of the candidate ends), so a cut
    falls between two sure 1-1 beads. Without such a pair (not a translation there), the
    cut is proportional. Each cut looks at a fixed-size window: the whole is linear in
    the number of sentences.
    """
    n, m = len(r1), len(c1)
    boxes, i0, j0 = [], 0, 0
    nominal = PIECE
    while n - i0 > PIECE + PIECE // 2 and m - j0 > 1:
        ci = min(nominal, n - 1)
        cj = min(max(j0 + 1, round(ci * m / n)), m - 1)
        ri = np.arange(max(i0 + 1, ci - CUT_REACH), min(n - 1, ci + CUT_REACH) + 1)
        cjs = np.arange(max(j0 + 1, cj - CUT_WINDOW), min(m - 1, cj + CUT_WINDOW) + 1)
        cut = (ci, cj)
        if len(ri) and len(cjs):
            sim = r1[ri] @ c1[cjs].T
            best_c, best_r = sim.argmax(axis=1), sim.argmax(axis=0)
            mutual = [(sim[a, best_c[a]], a, best_c[a]) for a in range(len(ri)) if best_r[best_c[a]] == a]
            if mutual:
                score, a, b = max(mutual)
                if score >= 0.6:
                    cut = (int(ri[a]) + 1, int(cjs[b]) + 1)
        boxes.append((i0, cut[0], j0, cut[1]))
        i0, j0 = cut
        nominal = i0 + PIECE
    boxes.append((i0, n, j0, m))
    return boxes


class _Piece:
    """One rectangle of the alignment search: its similarity tables and embedded joins."""

    def __init__(self, texts, rs, cs, r1, c1, encoder, box, joins=JOINS):
        i0, i1, j0, j1 = box
        self.ref_text, self.cand_text = texts
        self.i0, self.j0 = i0, j0
        self.rs, self.cs = rs[i0:i1], cs[j0:j1]
        self.r1, self.c1 = r1[i0:i1], c1[j0:j1]
        self.encoder, self.joins = encoder, joins
        n, m = i1 - i0, j1 - j0
        self.sim_11 = self.r1 @ self.c1.T
        # Exact cosines of the joins run through the model (-inf: not run) ...
        self.sim_12 = np.full((n, max(m - 1, 0)), -np.inf)
        self.sim_21 = np.full((max(n - 1, 0), m), -np.inf)
        self.have_21 = np.zeros(max(n - 1, 0), dtype=bool)
        self.have_12 = np.zeros(max(m - 1, 0), dtype=bool)
        # ... and the joins the filters let through so far, run or not ("bounded").
        self.want_21, self.want_12 = self.have_21.copy(), self.have_12.copy()
        self.lengths = ([len(s.text) for s in self.rs], [len(s.text) for s in self.cs])

    def search(self, p: AlignParams) -> list[Bead]:
        n, m = self.sim_11.shape
        if n == 0 or m == 0:
            return [Bead((self.i0 + i,), ()) for i in range(n)] + [Bead((), (self.j0 + j,)) for j in range(m)]
        cells_21, cells_12 = _joins_needed(self.sim_11, p, self.lengths)
        if self.joins != "exact":
            cells_21, cells_12 = self._competing(cells_21, cells_12, p)
        self.want_21 |= cells_21.any(axis=1)
        self.want_12 |= cells_12.any(axis=0)
        ref_joins = np.flatnonzero(self.want_21 & ~self.have_21)
        cand_joins = np.flatnonzero(self.want_12 & ~self.have_12)
        path = None
        if self.joins == "bounded" and (len(ref_joins) or len(cand_joins)) and n * m <= BOUNDED_CELLS:
            path = self._run_winning(ref_joins, cand_joins, p)
        elif len(ref_joins) or len(cand_joins):
            self._run(ref_joins, cand_joins)
        if path is None:
            path = align_matrix(self.sim_11, self.sim_12, self.sim_21, p, *self.lengths)
        tables = {(1, 1): self.sim_11, (1, 2): self.sim_12, (2, 1): self.sim_21}
        beads = []
        for ref_idx, cand_idx in path:
            sim = None
            if ref_idx and cand_idx:
                sim = float(tables[(len(ref_idx), len(cand_idx))][ref_idx[0], cand_idx[0]])
            beads.append(Bead(reference=tuple(self.i0 + i for i in ref_idx),
                              candidate=tuple(self.j0 + j for j in cand_idx), similarity=sim))
        return beads

    def _run(self, ref_joins: np.ndarray, cand_joins: np.ndarray) -> None:
        """Run these joins through the model: their exact cosines fill the join tables."""
        # The error tagger reads the layer states of a 2-1 bead's two reference
        # sentences joined (the bead's reference text): the reference joins keep
        # theirs from this pass; no rule reads a candidate join's states.
        if len(ref_joins):
            self.sim_21[ref_joins] = self.encoder.encode(_pair_texts(self.ref_text, self.rs, ref_joins)) @ self.c1.T
        if len(cand_joins):
            vecs = self.encoder.encode(_pair_texts(self.cand_text, self.cs, cand_joins), states=False)
            self.sim_12[:, cand_joins] = self.r1 @ vecs.T
        self.have_21[ref_joins], self.have_12[cand_joins] = True, True

    def _run_winning(self, ref_joins: np.ndarray, cand_joins: np.ndarray, p: AlignParams) -> list[Pair] | None:
        """Run only those of these joins (``hybrid``'s, not run yet) that a cheapest path
        can take, supposing no join's cosine exceeds its estimate by more than
        :data:`JOIN_BOUND_SLACK` (its *optimistic* cosine); return that path.

        Lazily, as in a branch and bound: search with every join not run at its
        optimistic cosine; run the joins that search's path takes; search again with
        their real cosines; until a path takes no join that has not run. That path is then
        the cheapest with the real cosines too (every other path costs at least its
        optimistic cost, which is no less), so it is the path of running them all. Between
        two different stories few joins are run: a merge standing between unaligned
        sentences pays a gap opening and needs a cosine of ~0.84 (STRICT), not just
        :func:`merge_floor`. After :data:`JOIN_ROUNDS` rounds without that, the rest are
        run (as ``hybrid``) and None is returned.
        """
        w21, w12 = np.asarray(self.lengths[0], np.float64), np.asarray(self.lengths[1], np.float64)
        sim_21, sim_12 = self.sim_21.copy(), self.sim_12.copy()
        if len(ref_joins):
            sim_21[ref_joins] = np.minimum(_estimated_joins(self.r1, w21, ref_joins) @ self.c1.T + JOIN_BOUND_SLACK, 1.0)
        if len(cand_joins):
            sim_12[:, cand_joins] = np.minimum(self.r1 @ _estimated_joins(self.c1, w12, cand_joins).T + JOIN_BOUND_SLACK, 1.0)
        costs = _bead_costs(self.sim_11, sim_12, sim_21, p, *self.lengths)
        for _ in range(JOIN_ROUNDS):
            pairs = _cheapest(costs, p)
            rows = np.array([r[0] for r, c in pairs if len(r) == 2 and not self.have_21[r[0]]], dtype=int)
            cols = np.array([c[0] for r, c in pairs if len(c) == 2 and not self.have_12[c[0]]], dtype=int)
            if not len(rows) and not len(cols):
                return pairs
            self._run(rows, cols)
            self._real_costs(costs, rows, cols, p)
        self._run(ref_joins[~self.have_21[ref_joins]], cand_joins[~self.have_12[cand_joins]])
        return None

    def _real_costs(self, costs, rows: np.ndarray, cols: np.ndarray, p: AlignParams) -> None:
        """Put the costs of the joins just run (2-1 ``rows``, 1-2 ``cols``) in ``costs``,
        computed as :func:`_bead_costs` computes them."""
        (rl, cl), (n, m) = self.lengths, self.sim_11.shape
        for r in rows:
            costs[2][r] = _bead_costs(self.sim_11[r : r + 2], np.zeros((2, max(m - 1, 0))), self.sim_21[r : r + 1],
                                      p, rl[r : r + 2], cl)[2][0]
        for c in cols:
            costs[1][:, c] = _bead_costs(self.sim_11[:, c : c + 2], self.sim_12[:, c : c + 1], np.zeros((max(n - 1, 0), 2)),
                                         p, rl, cl[c : c + 2])[1][:, 0]

    def _competing(self, cells_21: np.ndarray, cells_12: np.ndarray, p: AlignParams):
        """The needed cells where the estimated join comes within JOIN_SLACK of being
        allowed as a merge: more similar than each of its sentences alone (plus
        ``merge_margin``), and above both ``min_similarity`` and :func:`merge_floor`."""
        floor = max(p.min_similarity, merge_floor(p)) - JOIN_SLACK
        out_21 = np.zeros_like(cells_21)
        rows = np.flatnonzero(cells_21.any(axis=1))
        if len(rows):
            est = _estimated_joins(self.r1, np.asarray(self.lengths[0], np.float64), rows) @ self.c1.T
            parts = np.maximum(self.sim_11[rows], self.sim_11[rows + 1]) + p.merge_margin - JOIN_SLACK
            out_21[rows] = cells_21[rows] & (est >= parts) & (est >= floor)
        out_12 = np.zeros_like(cells_12)
        cols = np.flatnonzero(cells_12.any(axis=0))
        if len(cols):
            est = self.r1 @ _estimated_joins(self.c1, np.asarray(self.lengths[1], np.float64), cols).T
            parts = np.maximum(self.sim_11[:, cols], self.sim_11[:, cols + 1]) + p.merge_margin - JOIN_SLACK
            out_12[:, cols] = cells_12[:, cols] & (est >= parts) & (est >= floor)
        return out_21, out_12


# --------------------------------------------------------------------------- line mode

def align_lines(
    reference: Document,
    candidate: Document,
    encoder=None,
    verdict: VerdictParams = DEFAULT_VERDICT,
) -> tuple[list[Bead], Parallel]:
    """Pair line ``i`` of the reference with line ``i`` of the candidate (``--aligned``).

    Both documents come segmented by :func:`mtcheck.segment.line_sentences`. A line that
    is blank on one side only gives an unaligned bead; a line blank on both sides gives none. With an
    ``encoder``, aligned beads get their cosine similarity; without, None.
    Raises :class:`AlignmentInputError` when the line counts differ.
    """
    ref_lines, cand_lines = line_spans(reference.text), line_spans(candidate.text)
    for doc, lines in ((reference, ref_lines), (candidate, cand_lines)):
        if len(doc.sentences) != sum(span is not None for span in lines):
            raise ValueError(f"{doc.path}: segment it with mtcheck.segment.line_sentences before align_lines")
    if len(ref_lines) != len(cand_lines):
        raise AlignmentInputError(
            f"--aligned needs the same number of lines on both sides: reference "
            f"{reference.path} has {len(ref_lines)}, candidate {candidate.path} has "
            f"{len(cand_lines)}"
        )
    beads: list[Bead] = []
    r = c = 0
    for ref_span, cand_span in zip(ref_lines, cand_lines):
        ref_idx = (r,) if ref_span is not None else ()
        cand_idx = (c,) if cand_span is not None else ()
        r += len(ref_idx)
        c += len(cand_idx)
        if ref_idx or cand_idx:
            beads.append(Bead(reference=ref_idx, candidate=cand_idx))
    aligned = [b for b in beads if b.aligned]
    if encoder is not None and aligned:
        vecs = encoder.encode([reference.sentences[b.reference[0]].text for b in aligned]
                              + [candidate.sentences[b.candidate[0]].text for b in aligned])
        rv, cv = vecs[: len(aligned)], vecs[len(aligned) :]  # one length-sorted pass for both sides
        for b, sim in zip(aligned, np.sum(rv * cv, axis=1)):
            b.similarity = float(sim)
    return beads, parallel_verdict(beads, reference, candidate, verdict)


# --------------------------------------------------------------------------- verdict


def _coverage(doc: Document, aligned_idx: set[int]) -> float:
    total = sum(len(s.text) for s in doc.sentences)
    if total == 0:
        return 0.0
    return sum(len(s.text) for s in doc.sentences if s.index in aligned_idx) / total


def parallel_verdict(
    beads: list[Bead],
    reference: Document,
    candidate: Document,
    params: VerdictParams = DEFAULT_VERDICT,
) -> Parallel:
    """Decide whether the two documents look like translations of each other.

    Coverage is measured in **characters**: the share of a side's sentence characters
    that lie in aligned beads (a long unaligned sentence weighs more than a short one).
    The documents are parallel when both coverages reach ``params.min_coverage`` and the
    character-weighted mean cosine of the aligned beads reaches
    ``params.min_mean_similarity`` (skipped when no similarity is known, e.g. line mode
    without an encoder).
    """
    aligned = [b for b in beads if b.aligned]
    ref_cov = _coverage(reference, {i for b in aligned for i in b.reference})
    cand_cov = _coverage(candidate, {j for b in aligned for j in b.candidate})
    scored = [b for b in aligned if b.similarity is not None]
    mean_sim = None
    if scored:
        weights = [
            sum(len(reference.sentences[i].text) for i in b.reference)
            + sum(len(candidate.sentences[j].text) for j in b.candidate)
            for b in scored
        ]
        mean_sim = float(np.average([b.similarity for b in scored], weights=weights))

    covered = (
        f"{ref_cov:.0%} of the reference and {cand_cov:.0%} of the candidate "
        f"are in {len(aligned)} aligned pairs"
    )
    sim_text = "" if mean_sim is None else f", mean similarity {mean_sim:.2f}"
    low_cov = min(ref_cov, cand_cov) < params.min_coverage
    low_sim = mean_sim is not None and mean_sim < params.min_mean_similarity
    if not aligned:
        reason = "no sentence pair is similar enough to align: not translations of each other"
    elif low_cov or low_sim:
        need = []
        if low_cov:
            need.append(f"{params.min_coverage:.0%} coverage of each side")
        if low_sim:
            need.append(f"mean similarity {params.min_mean_similarity:.2f}")
        reason = f"not parallel: {covered}{sim_text} (needs {' and '.join(need)})"
    else:
        reason = f"parallel: {covered}{sim_text}"
    return Parallel(
        is_parallel=bool(aligned) and not (low_cov or low_sim),
        reference_coverage=ref_cov,
        candidate_coverage=cand_cov,
        reason=reason,
    )
