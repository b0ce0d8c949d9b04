"""`mtcheck batch`: check many article pairs (the runner is :mod:`mtcheck.batch`)."""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path
from typing import List, Optional

import typer

from mtcheck.cli.app import EXIT_ERROR, build_settings, fail
from mtcheck.cli.options import shared_option, shared_values
from mtcheck.errors import known_errors

BATCH_HELP = """Check many article pairs: a report per pair, summary.json, index.html.

\b
INPUT is one of:
* a folder of NAME.ref.txt (reference) + NAME.mt.txt (candidate)
  pairs, searched recursively; the pair id is NAME with its sub-folder;
* a manifest, .csv (header row) or .jsonl: columns id and, per side,
  reference / candidate (a path, relative to the manifest's folder) or
  reference_text / candidate_text (the article itself); optional
  aligned (true/false);
* two line-aligned files INPUT CANDIDATE, each line DOC_ID<TAB>segment
  (or plain lines, with --doc-ids FILE giving each line's document id);
  consecutive lines with the same id form one document, checked
  line-aligned.

\b
Writes OUT/pairs/ID.json (and ID.html with --html), OUT/summary.json
(schema mtcheck.batch/1) and OUT/index.html. A re-run skips pairs
already reported with the same inputs and settings (resume after an
interruption); --force redoes them. A pair that cannot be checked is
an error entry and the batch goes on.

\b
Exit codes: 0 every pair passed; 1 any pair failed the gate or could
not be checked (error entry); 2 the batch could not run (bad INPUT,
options or config); 130 interrupted (run it again to resume).
"""


def register(app: typer.Typer) -> None:
    app.command("batch", help=BATCH_HELP)(batch)


def batch(
    input: str = typer.Argument(..., metavar="INPUT", help="Folder of pairs, manifest (.csv/.jsonl), or the reference side of two line-aligned files."),
    candidate: Optional[str] = typer.Argument(None, metavar="[CANDIDATE]", help="Candidate side of two line-aligned files (DOC_ID<TAB>segment lines)."),
    out_dir: str = typer.Option("reports", "--out-dir", "-o", metavar="DIR|URL", help="Where reports, summary.json and index.html go: a folder, or an fsspec URL (s3://bucket/run, file://...)."),
    doc_ids: Optional[str] = typer.Option(None, "--doc-ids", metavar="FILE", help="Line-aligned input as plain lines; line i of FILE is the document id of line i."),
    html: bool = typer.Option(False, "--html", help="Also write a self-contained HTML report per pair."),
    jobs: Optional[int] = typer.Option(None, "--jobs", "-j", min=1, metavar="N", help="Workers: local engine, worker processes (default 1, in-process; threads are split between them); Ray, tasks at once (default: the cluster's CPUs)."),
    engine: Optional[str] = typer.Option(None, "--engine", metavar="local|ray", help="What runs the checks: local (default) or ray (a local Ray runtime, or the cluster of --ray-address). Config key: engine."),
    ray_address: Optional[str] = typer.Option(None, "--ray-address", metavar="ADDRESS", help="Run on this running Ray cluster (HOST:PORT of `ray start --head`; implies --engine ray). Config key: ray-address."),
    chunk_size: int = typer.Option(8, "--chunk-size", min=1, metavar="N", help="Pairs per task; their sentences go through the encoder together."),
    force: bool = typer.Option(False, "--force", help="Re-check pairs already reported in DIR."),
    aligned: bool = typer.Option(False, "--aligned", help="Every pair is line-aligned (line i translates line i)."),
    model: Optional[str] = shared_option("model"),
    select: Optional[List[str]] = shared_option("select"),
    ignore: Optional[List[str]] = shared_option("ignore"),
    config: Optional[Path] = shared_option("config"),
    fail_on: Optional[str] = shared_option("fail_on"),
    max_penalty: Optional[float] = shared_option("max_penalty"),
    min_quality: Optional[float] = shared_option("min_quality"),
    min_confidence: Optional[float] = shared_option("min_confidence"),
    suppressions: Optional[str] = shared_option("suppressions"),
    languagetool_url: Optional[str] = shared_option("languagetool_url"),
    no_grammar: bool = shared_option("no_grammar"),
    require_grammar: bool = shared_option("require_grammar"),
    no_cache: bool = shared_option("no_cache"),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress and no summary line."),
) -> None:
    from mtcheck.batch import BatchInputError, open_input, run_batch
    from mtcheck.batch.output import OutputError
    from mtcheck.batch.ray_engine import RayUnavailable

    try:
        source = open_input(input, candidate, doc_ids)
        settings = build_settings(config, aligned=aligned, engine=engine, ray_address=ray_address, **shared_values(locals()))
        if settings.engine not in ("local", "ray"):
            raise fail(f"--engine {settings.engine}: choose local or ray")
        if settings.ray_address:  # an address means Ray: one option points a run at a cluster
            if engine == "local":
                raise fail("--ray-address joins a Ray cluster: drop --engine local")
            settings.engine = "ray"
        _preflight(settings)
        with _progress(quiet) as progress:
            result = run_batch(
                source, settings, out_dir, html=html, jobs=jobs, force=force, progress=progress, chunk_size=chunk_size
            )
    except (BatchInputError, OutputError, RayUnavailable, *known_errors()) as exc:
        raise fail(str(exc)) from None
    except OSError as exc:
        raise fail(f"{out_dir}: cannot write ({exc.strerror or exc})") from None

    s = result.summary
    if not quiet:
        c = s["counts"]
        rate = s["sentences_per_second"]
        typer.echo(
            f"{c['checked']}/{c['pairs']} pairs: {c['passed']} passed, {c['failed']} failed, "
            f"{c['errors']} error(s), {c['resumed']} already reported; {s['seconds']:.1f} s"
            + (f", {rate:.0f} sentences/s" if rate else "")
            + f"\nsummary: {_join(out_dir, 'summary.json')}  index: {_join(out_dir, 'index.html')}"
        )
    if result.interrupted:
        typer.echo("mtcheck: interrupted; run the same command again to resume", err=True)
        raise typer.Exit(130)
    raise typer.Exit(result.exit_code if result.exit_code in (0, 1) else EXIT_ERROR)


def _join(out_dir: str, name: str) -> str:
    return f"{out_dir.rstrip('/')}/{name}" if "://" in out_dir else str(Path(out_dir) / name)


def _preflight(settings) -> None:
    """Problems that would fail every pair (bad rule code, model, suppressions file): exit 2 now."""
    from mtcheck.align.embed import Encoder
    from mtcheck.detect import select_rules

    select_rules(settings.select, settings.ignore)
    Encoder(settings.model).path  # noqa: B018 - raises ModelError for a bad --model
    try:
        from mtcheck.score.baseline import Marks
    except ImportError:  # pragma: no cover
        return
    Marks.load(settings)


class _progress:
    """Context manager yielding ``progress(done, total, entry)``: a rich bar with ETA on a
    terminal, plain lines on stderr otherwise (not a tty, or ``CI`` set)."""

    def __init__(self, quiet: bool):
        self.quiet = quiet
        self.bar = None
        self.t0 = time.perf_counter()

    def __enter__(self):
        if self.quiet:
            return None
        interactive = sys.stderr.isatty() and not os.environ.get("CI")
        if interactive:
            from rich.console import Console
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

            self.bar = Progress(
                TextColumn("[bold]mtcheck batch"),
                BarColumn(),
                MofNCompleteColumn(),
                TextColumn("{task.fields[status]}"),
                TimeElapsedColumn(),
                TextColumn("ETA"),
                TimeRemainingColumn(),
                console=Console(stderr=True),
                transient=False,
            )
            self.bar.__enter__()
            self.task = None
            return self._rich
        return self._plain

    def __exit__(self, *exc):
        if self.bar is not None:
            self.bar.__exit__(*exc)
        return False

    def _rich(self, done: int, total: int, entry) -> None:
        if self.task is None:
            self.task = self.bar.add_task("batch", total=total, status="")
        if entry is not None:
            self.bar.update(self.task, completed=done, status=f"{entry['id']}: {entry['status']}")

    def _plain(self, done: int, total: int, entry) -> None:
        if entry is None:
            typer.echo(f"mtcheck batch: {total} pair(s)", err=True)
            return
        elapsed = time.perf_counter() - self.t0
        eta = elapsed / done * (total - done) if done else 0.0
        detail = entry["error"] if entry["status"] == "error" else (
            "already reported" if entry.get("resumed") else f"{entry['findings']} finding(s), {entry['seconds']:.2f} s"
        )
        typer.echo(
            f"[{done}/{total}] {entry['id']}: {entry['status']} ({detail}); "
            f"elapsed {_clock(elapsed)}, ETA {_clock(eta)}",
            err=True,
        )


def _clock(seconds: float) -> str:
    m, s = divmod(int(round(seconds)), 60)
    h, m = divmod(m, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m}:{s:02d}"
