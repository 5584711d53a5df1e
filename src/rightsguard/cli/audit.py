"""``rightsguard audit`` and ``rightsguard policy explain``: shells over
:func:`rightsguard.audit.run.audit` and :func:`rightsguard.audit.run.explain`.

Exit codes: 0 the audit finished (whatever it decided; the decisions are in the outputs), 2 an
error (a missing source, a bad profile, list or provider file, an output folder holding another
run).

While it runs, ``audit`` shows a Rich progress display on stderr (phase, shards done, items,
MB of content read, items/s, elapsed time) when stderr is a terminal and ``--quiet`` is not
given; it redraws at most four times a second from the
:class:`~rightsguard.audit.progress.AuditProgress` reports of the library call. At the end it
prints one summary line on stderr in any case.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.table import Table

from rightsguard.errors import InputError
from rightsguard.model import Purpose, Use
from rightsguard.pipeline.base import Executor

if TYPE_CHECKING:
    from types import TracebackType

    from rich.progress import Progress, TaskID

    from rightsguard.audit.progress import AuditProgress
    from rightsguard.audit.run import AuditResult

policy_app = typer.Typer(no_args_is_help=True, help="Jurisdiction profiles and decisions.")

#: What each phase of :class:`~rightsguard.audit.progress.AuditProgress` is called on screen.
PHASES = {"hosts": "Reading host files", "planning": "Planning shards", "items": "Auditing",
          "reports": "Writing reports", "done": "Done"}


class AuditProgressView:
    """The live display of a running audit on ``console`` (a Rich progress bar; the caller
    only builds one for a terminal). Use as a context manager and pass :meth:`update` as the
    audit's ``progress`` callback; the display is removed when it ends."""

    def __init__(self, console: Console) -> None:
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            SpinnerColumn,
            TextColumn,
            TimeElapsedColumn,
        )

        self.progress: Progress = Progress(
            SpinnerColumn(), TextColumn("[bold]{task.description}"), BarColumn(),
            MofNCompleteColumn(), TextColumn("shards"),
            TextColumn("{task.fields[items]:,} items, {task.fields[mb]:,.1f} MB, "
                       "{task.fields[rate]:,.1f} items/s"),
            TimeElapsedColumn(), console=console, transient=True, refresh_per_second=4)
        self.task: TaskID = self.progress.add_task("Starting", total=None, items=0, mb=0.0,
                                                   rate=0.0)

    def __enter__(self) -> AuditProgressView:
        self.progress.start()
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.progress.stop()

    def update(self, p: AuditProgress) -> None:
        """Show ``p`` (safe to call from the audit's progress thread)."""
        self.progress.update(self.task, description=PHASES.get(p.phase, p.phase),
                             total=p.shards or None, completed=p.shards_done,
                             items=p.items + p.resumed_items,
                             mb=(p.bytes + p.resumed_bytes) / 1e6, rate=p.items_per_second)


def summary_line(result: AuditResult, seconds: float) -> str:
    """The one line printed at the end of an audit: items (unreadable, resumed), content MB
    read, wall time and the rate of the items this run audited itself."""
    ran = result.items - result.resumed
    rate = ran / seconds if seconds > 0 else 0.0
    line = (f"audited {result.items:,} items ({result.unreadable:,} unreadable) in "
            f"{seconds:,.1f} s: {result.bytes / 1e6:,.1f} MB read, {rate:,.1f} items/s")
    if result.resumed:
        line += f"; {result.resumed:,} items were done by an earlier run"
    return line


def _split(values: list[str]) -> list[str]:
    return [v.strip() for value in values for v in value.split(",") if v.strip()]


def audit_cmd(
    sources: Annotated[list[Path], typer.Argument(
        help="Folders, JSONL/Parquet catalogues, WARC/WARC.gz crawls.")],
    out: Annotated[Path, typer.Option("--out", help="Output folder (resumable).")],
    jurisdiction: Annotated[list[str], typer.Option(
        "--jurisdiction", "-j", help="Comma-separated: JP,EU,UK,US,SG.")] = ["JP,EU,UK,US,SG"],  # noqa: B006
    purpose: Annotated[str, typer.Option(
        help="analysis | train-general | research | imitate-creator | rag-excerpts")
    ] = "train-general",
    commercial: Annotated[bool, typer.Option("--commercial/--non-commercial")] = True,
    actor: Annotated[str, typer.Option(help="company | research-organisation")] = "company",
    agent: Annotated[list[str] | None, typer.Option(
        "--agent", help="Your own crawler tokens (repeat or comma-separate).")] = None,
    hosts: Annotated[list[Path] | None, typer.Option(
        "--hosts", help="WARC of robots.txt/tdmrep.json/ai.txt responses, or a folder "
                        "HOST/robots.txt … (repeatable).")] = None,
    profile: Annotated[list[Path] | None, typer.Option(
        "--profile", help="Extra policy profile TOML (a copied and edited built-in).")] = None,
    piracy_list: Annotated[Path | None, typer.Option(help="Piracy domains, one a line.")] = None,
    paywall_list: Annotated[Path | None, typer.Option(help="Paywalled domains.")] = None,
    dataset_for_sale_list: Annotated[Path | None, typer.Option(
        help="Domains whose owner sells a training dataset (JP Art. 30-4 proviso).")] = None,
    provider: Annotated[Path | None, typer.Option(
        help="Provider and model facts (TOML) for the EU summary.")] = None,
    sme: Annotated[bool, typer.Option(
        help="EU summary as an SME: top 5% of domains or 1,000, whichever is lower.")] = False,
    column: Annotated[list[str] | None, typer.Option(
        "--column", help="Catalogue column for a role, ROLE=NAME (content, url, licence, "
                         "title, captured_at).")] = None,
    executor: Annotated[str, typer.Option(help="local | ray")] = "local",
    workers: Annotated[int | None, typer.Option(
        help="Local worker processes; with --executor ray, the CPUs of the Ray instance the "
             "audit starts (ray.init(num_cpus=N); an instance already running is used as "
             "it is).")] = None,
    records_per_shard: Annotated[int | None, typer.Option(
        help="Split inputs into shards of N records (default: one shard per input).")] = None,
    quiet: Annotated[bool, typer.Option(
        "--quiet", "-q", help="No progress display (the summary line is still printed).")
    ] = False,
) -> None:
    """Audit a training corpus: every rights signal per item, a decision per jurisdiction,
    the filtered data, a manifest and the reports (EU summary, JP checklist)."""
    from rightsguard.audit.run import audit
    from rightsguard.corpus.records import ColumnMap

    try:
        use = Use(Purpose(purpose), commercial, actor, tuple(_split(agent or [])))
    except ValueError:
        allowed = ", ".join(p.value for p in Purpose)
        raise InputError(f"--purpose {purpose!r} is not one of: {allowed}") from None
    if actor not in ("company", "research-organisation"):
        raise InputError(f"--actor {actor!r} is not one of: company, research-organisation")
    columns = None
    if column:
        mapping = {}
        for c in column:
            role, sep, name = c.partition("=")
            if not sep or not name:
                raise InputError(f"--column {c!r}: expected ROLE=NAME")
            mapping[role.strip()] = name.strip()
        try:
            columns = ColumnMap.from_mapping(mapping)
        except ValueError as exc:
            raise InputError(f"--column: {exc}") from None
    ex: Executor
    if executor == "ray":
        from rightsguard.pipeline.ray import RayExecutor

        if workers is not None and workers < 1:
            raise InputError(f"--workers must be >= 1, got {workers}")
        ex = RayExecutor(num_cpus=workers)
    elif executor == "local":
        from rightsguard.pipeline.local import LocalExecutor

        ex = LocalExecutor(workers)
    else:
        raise InputError(f"--executor {executor!r} is not one of: local, ray")
    import contextlib
    import signal
    import sys
    import time

    from rightsguard.cli.entry import err_console

    # SIGTERM stops the run like Ctrl-C: workers are killed, finished shards are kept
    signal.signal(signal.SIGTERM, lambda _sig, _frame: sys.exit(143))
    errors = err_console()
    view = AuditProgressView(errors) if errors.is_terminal and not quiet else None
    began = time.perf_counter()
    with view or contextlib.nullcontext():
        result = audit([str(s) for s in sources], out=out, jurisdictions=_split(jurisdiction),
                       use=use, profiles=profile or (), hosts=hosts or (), columns=columns,
                       piracy=piracy_list, paywall=paywall_list,
                       dataset_for_sale=dataset_for_sale_list, provider=provider, sme=sme,
                       executor=ex, records_per_shard=records_per_shard,
                       progress=view.update if view is not None else None)
    seconds = time.perf_counter() - began
    console = Console()
    table = Table(title=f"audit of {result.items} items ({result.unreadable} unreadable) "
                        f"→ {result.out}")
    table.add_column("jurisdiction")
    for v in ("allow", "review", "exclude"):
        table.add_column(v, justify="right")
    decisions = result.report.get("decisions", {})
    for j, counts in decisions.items():
        table.add_row(j, *(str(counts.get(v, 0)) for v in ("allow", "review", "exclude")))
    console.print(table)
    errors.print(summary_line(result, seconds), markup=False, highlight=False)
    if result.unreadable:
        errors.print(
            f"warning: {result.unreadable} item(s) could not be read; they are decided review "
            f"(the manifest's error column says why): {result.out / 'manifest.parquet'}",
            markup=False, highlight=False)


@policy_app.command("explain")
def policy_explain(
    item: Annotated[str, typer.Argument(help="Item id (the manifest's `id` column).")],
    manifest: Annotated[Path, typer.Option("--manifest", help="The audit's --out folder.")],
    jurisdiction: Annotated[str | None, typer.Option(
        "--jurisdiction", "-j", help="One profile (default: every audited one).")] = None,
) -> None:
    """Print the chain of rules behind one item's decisions: every rule, fired or not, why,
    with provision, source and evidence."""
    from rightsguard.audit.run import explain

    for line in explain(manifest, item, jurisdiction):
        typer.echo(line)
