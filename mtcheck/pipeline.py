"""The check pipeline: read -> segment -> align -> detect -> score, into one Report.

``run_check`` is what the CLI and batch runs call; ``check_documents`` takes documents
already read (batch manifests with inline text, tests). Nothing here renders output.
"""

from __future__ import annotations

import time
from contextlib import contextmanager
from dataclasses import replace

from mtcheck import __version__
from mtcheck.align.embed import Encoder
from mtcheck.read import read_pair
from mtcheck.segment import line_sentences, segment
from mtcheck.settings import Settings
from mtcheck.types import Backend, Document, Finding, Report


#: LanguageTool's code (``mtcheck.detect.languagetool.CODE``), here so that a check with
#: ``--no-grammar`` never imports LanguageTool's client (~40 ms).
GRAMMAR_CODE = "LT"


@contextmanager
def _timed(timings: dict[str, float], stage: str):
    t0 = time.perf_counter()
    try:
        yield
    finally:
        timings[stage] = timings.get(stage, 0.0) + time.perf_counter() - t0


def run_check(
    reference: str, candidate: str, settings: Settings | None = None, encoder: Encoder | None = None
) -> Report:
    """Check the candidate file against the reference file (paths, or ``-`` for stdin)."""
    settings = settings or Settings()
    timings: dict[str, float] = {}
    with _timed(timings, "read"):
        ref_doc, cand_doc = read_pair(reference, candidate)
    return check_documents(ref_doc, cand_doc, settings, encoder, timings)


def check_documents(
    reference: Document,
    candidate: Document,
    settings: Settings | None = None,
    encoder: Encoder | None = None,
    timings: dict[str, float] | None = None,
) -> Report:
    """Run segment -> align -> detect -> score on two documents already read."""
    from mtcheck.cache import collecting

    with collecting() as cache_notices:  # the caches' notices of this check only
        return _check_documents(reference, candidate, settings, encoder, timings, cache_notices)


def _check_documents(reference, candidate, settings, encoder, timings, cache_notices) -> Report:
    from mtcheck.detect import select_rules
    from mtcheck.score.baseline import Marks

    settings = settings or Settings()
    timings = {} if timings is None else timings
    encoder = encoder or Encoder.from_settings(settings)
    rules = select_rules(settings.select, settings.ignore)  # fails early on a bad code
    # One forward pass serves alignment, the tagger's rules and the quality score.
    from mtcheck.detect.tagger import prepare

    prepare(encoder)
    if settings.require_grammar:  # fail early too, before the model loads
        from mtcheck.detect.languagetool import preflight

        preflight(settings)
    marks = Marks.load(settings)  # baseline / suppressions: fail early on a bad file

    with _timed(timings, "segment"):
        for doc in (reference, candidate):
            line_sentences(doc) if settings.aligned else segment(doc, settings.language)
    # Each text of the check runs through the encoder once, however long the documents.
    with encoder.holding():
        return _check_segmented(reference, candidate, settings, encoder, timings, rules, marks, cache_notices)


def _check_segmented(reference, candidate, settings, encoder, timings, rules, marks, cache_notices) -> Report:
    from mtcheck.align.aligner import align_documents, align_lines
    from mtcheck.detect import run_rules
    from mtcheck.detect.base import CheckContext
    from mtcheck.score.gate import score
    from mtcheck.score.metrics import compute_metrics

    preloading = _preload_while_aligning(rules)
    try:
        with _timed(timings, "align"):
            if settings.aligned:
                beads, parallel = align_lines(reference, candidate, encoder)
            else:
                beads, parallel = align_documents(reference, candidate, encoder)
    finally:  # also when the alignment fails: its notices belong to this check
        if preloading is not None:
            preloading.join()
    with _timed(timings, "metrics"):
        metrics = compute_metrics(beads, reference, candidate, ter=settings.ter)

    ctx = CheckContext(
        reference=reference,
        candidate=candidate,
        beads=beads,
        parallel=parallel,
        encoder=encoder,
        options=_rule_options(settings),
        allowed_terms=frozenset(settings.allowed_terms),
    )
    notices: list[str] = []
    backends: dict[str, Backend] = {}
    with _timed(timings, "detect"):
        findings = run_rules(ctx, rules)
    notices.extend(ctx.notices)
    with _timed(timings, "grammar"):
        findings = _with_grammar(ctx, settings, findings, backends, notices)
    findings = _override_severities(findings, settings.severity_overrides)
    findings = marks.apply(findings, reference, candidate)
    with _timed(timings, "confidence"):
        findings = _with_confidence(ctx, settings, findings, notices)
    if not parallel.is_parallel:
        notices.insert(
            0,
            "The two documents do not look like translations of each other "
            f"({parallel.reason}); reference-based checks apply only to the "
            f"{sum(b.aligned for b in beads)} aligned pair(s), and unaligned sentences "
            "are not reported as omissions or additions.",
        )
    with _timed(timings, "score"):
        from mtcheck.score.token_match import bead_matches

        verdict = score(findings, beads, candidate, settings, reference, tags=ctx.tagger(),
                        matches=bead_matches(ctx))

    return Report(
        reference=reference,
        candidate=candidate,
        alignment=beads,
        parallel=parallel,
        metrics=metrics,
        findings=findings,
        score=verdict,
        signature=signature(settings, encoder, [r.code for r in rules], metrics.signatures),
        settings=_settings_summary(settings, encoder),
        backends=backends,
        notices=notices + cache_notices,  # a corrupt cache found and rebuilt, at any stage
        timings=timings,
    )


_PRELOAD_STARTED = False


def _preload_while_aligning(rules):
    """The first check of a process loads the rules' dictionaries and tables (Hunspell,
    the lexicon, compiled patterns) and imports sacrebleu in a thread while the encoder
    runs: ~0.25 s CPU that a cold check otherwise waits for after the alignment (the
    encoder's forward passes release the GIL and leave a core partly idle). Joined before
    the metrics; later checks find it all cached. Returns the thread, or None."""
    global _PRELOAD_STARTED
    if _PRELOAD_STARTED:
        return None
    _PRELOAD_STARTED = True
    import threading

    from mtcheck.detect import preload
    from mtcheck.score.metrics import preload as preload_metrics

    def work() -> None:
        preload(rules)
        try:
            preload_metrics()
        except ImportError:  # compute_metrics raises it where the report says so
            pass

    thread = threading.Thread(target=work, name="mtcheck-preload", daemon=True)
    thread.start()
    return thread


def _with_grammar(ctx, settings, findings, backends, notices) -> list[Finding]:
    """Add LanguageTool findings (none when it is disabled or unavailable: see Backend)."""
    from mtcheck.detect import code_selected

    if not code_selected(GRAMMAR_CODE, settings.select, settings.ignore):
        backends["languagetool"] = Backend("disabled", reason=f"{GRAMMAR_CODE} not selected (--select/--ignore)")
        return findings
    if not settings.grammar and not settings.require_grammar:  # no import of LanguageTool's client
        backends["languagetool"] = Backend("disabled", reason="turned off (--no-grammar)")
        return findings
    from mtcheck.detect.languagetool import check_grammar, merge_grammar

    grammar, backend = check_grammar(ctx, settings)
    backends["languagetool"] = backend
    if backend.status == "unavailable":
        notices.append(f"LanguageTool unavailable: {backend.reason}")
    return merge_grammar(findings, grammar)


def _with_confidence(ctx, settings, findings, notices) -> list[Finding]:
    """Calibrated confidence on every finding, low-confidence majors capped, report order.

    Findings below ``settings.min_confidence`` are dropped (a notice says how many).
    """
    from mtcheck.score.confidence import Calibrator, ordered
    from mtcheck.score.gate import cap_low_confidence

    findings = cap_low_confidence(Calibrator.load().assign(findings, ctx))
    floor = settings.min_confidence
    if floor:
        kept = [f for f in findings if f.confidence is None or f.confidence >= floor]
        if len(kept) < len(findings):
            notices.append(
                f"{len(findings) - len(kept)} finding(s) below confidence {floor:g} not shown "
                "(--min-confidence 0 shows them)"
            )
        findings = kept
    return ordered(findings)


def _rule_options(settings: Settings) -> dict:
    """Per-rule options, with ``Settings.glossary`` as the glossary rule's (MT450) default."""
    options = {code: dict(values) for code, values in settings.rule_options.items()}
    if settings.glossary:
        options.setdefault("MT450", {}).setdefault("glossary", settings.glossary)
    return options


def _override_severities(findings: list[Finding], overrides: dict[str, str]) -> list[Finding]:
    if not overrides:
        return findings
    return [replace(f, severity=overrides.get(f.code, f.severity)) for f in findings]


def _settings_summary(settings: Settings, encoder: Encoder) -> dict:
    return {
        "model": encoder.name,
        "aligned": settings.aligned,
        "select": settings.select,
        "ignore": settings.ignore,
        "weights": settings.weights,
        "fail_on": settings.fail_on,
        "max_penalty": settings.max_penalty,
        "min_quality": settings.min_quality,
        "min_confidence": settings.min_confidence,
        "baseline": settings.baseline,
        "suppressions": settings.suppressions,
    }


def signature(settings: Settings, encoder: Encoder, codes: list[str], sacrebleu: dict[str, str]) -> str:
    """sacrebleu-style reproducibility signature of this run."""
    parts = [
        f"mtcheck:{__version__}",
        f"model:{encoder.name}",
        f"align:{'lines' if settings.aligned else 'dp'}",
        f"rules:{','.join(codes) or 'none'}",
        f"grammar:{'on' if settings.grammar else 'off'}",
        "weights:" + ",".join(f"{k}={v:g}" for k, v in settings.weights.items()),
        f"fail-on:{settings.fail_on or 'none'}",
        f"max-penalty:{'none' if settings.max_penalty is None else f'{settings.max_penalty:g}'}",
        f"min-quality:{'none' if settings.min_quality is None else f'{settings.min_quality:g}'}",
        f"min-confidence:{settings.min_confidence:g}",
    ]
    parts += [f"{name}[{sig}]" for name, sig in sorted(sacrebleu.items())]
    return "|".join(parts)
