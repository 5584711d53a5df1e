"""``rightsguard audit`` and ``rightsguard policy explain``: shells over
:func:`rightsguard.audit.run.audit` and :func:`rightsguard.audit.run.explain`.

Exit codes: 0 the audit finished (whatever it decided; the decisions are in the outputs), 2 an
error (a missing source, a bad profile, list or provider file, an output folder holding another
run).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from rightsguard.errors import InputError
from rightsguard.model import Purpose, Use
from rightsguard.pipeline.base import Executor

policy_app = typer.Typer(no_args_is_help=True, help="Jurisdiction profiles and decisions.")


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
    import signal
    import sys

    # SIGTERM stops the run like Ctrl-C: workers are killed, finished shards are kept
    signal.signal(signal.SIGTERM, lambda _sig, _frame: sys.exit(143))
    result = audit([str(s) for s in sources], out=out, jurisdictions=_split(jurisdiction),
                   use=use, profiles=profile or (), hosts=hosts or (), columns=columns,
                   piracy=piracy_list, paywall=paywall_list,
                   dataset_for_sale=dataset_for_sale_list, provider=provider, sme=sme,
                   executor=ex, records_per_shard=records_per_shard)
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
    if result.unreadable:
        from rightsguard.cli.entry import err_console

        err_console().print(
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
