"""The audit pipeline: readers -> signal extractors -> policy -> writers (issue #3).

``audit(sources, out=..., jurisdictions=..., use=...)`` reads every source (a folder of text,
code and images; a JSONL or Parquet catalogue; a WARC or WARC.gz crawl), reads every rights
signal of every item (:class:`rightsguard.audit.steps.SignalStep`), decides each item under
each jurisdiction's profile (:mod:`rightsguard.policy`), and writes under ``out``:

* ``manifest.parquet`` (one row per item), ``excluded.parquet`` and ``review.parquet``;
* ``filtered/<J>/`` the items allowed in jurisdiction ``J`` in the input's format, and
  ``filtered/ALL/`` the items allowed in every requested jurisdiction;
* ``report.json`` / ``report.html``; ``eu-summary.md`` / ``.json`` (when EU is audited);
  ``jp-checklist.md`` (when JP is audited); ``run.json`` (the inputs, the use and the
  profiles, so ``rightsguard policy explain`` can replay a decision, and the run's
  ``started_at`` / ``finished_at``, ISO 8601 UTC).

``started_at`` is when the audit was first started in ``out`` (a restart keeps it);
``finished_at`` when every shard was done, just before the outputs are merged and the reports
(``report.json`` / ``report.html``, which show both times) are written; a restart of a
finished audit keeps it too.

Shards are one per input (or per ``records_per_shard`` records); each shard's part files and
its ``done/`` marker are written atomically, so a killed audit restarted with the same
arguments skips finished shards and produces outputs equal to an uninterrupted run's.
Unreadable items are recorded with the reason and decided ``review``; the audit goes on.

``progress``: a callback given an :class:`~rightsguard.audit.progress.AuditProgress` a few
times per second while the audit runs (:mod:`rightsguard.audit.progress`: it is driven by the
calling process from the shards' done markers and small per-shard progress files, so it works
with every executor).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import shutil
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

from rightsguard.audit.progress import AuditProgress, ProgressWatch, ShardProgress
from rightsguard.corpus.hosts import HostFiles, host_file_kind
from rightsguard.corpus.records import (
    ColumnMap,
    input_state,
    read_folder,
    read_jsonl,
    read_parquet,
)
from rightsguard.corpus.sinks import ShardSink
from rightsguard.corpus.sinks import merge_parts as merge_sink_parts
from rightsguard.corpus.warc import read_warc
from rightsguard.errors import InputError
from rightsguard.model import AuditVerdict, Purpose, Record, Use
from rightsguard.pipeline.base import DONE_DIR, Executor, Pipeline, ShardStats
from rightsguard.pipeline.shards import plan_shards
from rightsguard.report.manifest import AuditRun, ManifestWriter, read_manifest
from rightsguard.report.manifest import merge_parts as merge_manifest_parts

__all__ = ["AuditProgress", "AuditResult", "AuditWriter", "SourceReader", "audit",
           "source_kind"]

RUN_FILE = "run.json"
FINAL_MARKER = "finalized.json"
ALL = "ALL"
JURISDICTIONS = ("JP", "EU", "UK", "US", "SG")


def source_kind(path: str | Path) -> str:
    """``folder`` | ``jsonl`` | ``parquet`` | ``warc`` for an input path; raises
    :class:`InputError` for a missing path or an unknown file type."""
    p = Path(path)
    name = p.name.lower()
    if p.is_dir():
        return "folder"
    if not p.exists():
        raise InputError(f"{path}: no such file or folder")
    if name.endswith((".warc", ".warc.gz")):
        return "warc"
    if name.endswith((".jsonl", ".jsonl.gz", ".ndjson")):
        return "jsonl"
    if name.endswith(".parquet"):
        return "parquet"
    return "folder"  # one plain file: read as a folder of one


def _utc_now() -> str:
    """The current time as ISO 8601 UTC to the second (``2025-05-01T00:10:00Z``)."""
    return dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _count_tokens(text: str) -> int:
    from rightsguard.fingerprint.text import count_tokens

    return count_tokens(text)


@dataclasses.dataclass(frozen=True)
class SourceReader:
    """Reader factory of the pipeline: ``reader(path) -> Iterator[Record]`` by input type. In a
    WARC, responses for robots.txt, tdmrep.json and ai.txt are host files, not corpus items, so
    they are left out here (they were collected into :class:`HostFiles` before the run).

    ``count_tokens``: fill ``size_tokens`` of text and code items while reading. :func:`audit`
    turns it off and lets :class:`~rightsguard.audit.steps.SignalStep` count them instead, so
    each HTML page is parsed once for both its signals and its size (same counts).
    """

    columns: ColumnMap | None = None
    count_tokens: bool = True

    def __call__(self, path: str) -> Iterator[Record]:
        kind = source_kind(path)
        counter = _count_tokens if self.count_tokens else None
        if kind == "folder":
            return read_folder(path, count_tokens=counter)
        if kind == "jsonl":
            return read_jsonl(path, self.columns, count_tokens=counter)
        if kind == "parquet":
            return read_parquet(path, self.columns, count_tokens=counter)
        return (r for r in read_warc(path, count_tokens=counter)
                if r.error is not None or host_file_kind(r.source) is None)


class AuditWriter:
    """One shard's writer: the manifest parts, and the allowed items per jurisdiction (and
    ``ALL``) in the input's format under ``filtered/<J>/``. ``progress``: also report the
    shard's progress (:class:`~rightsguard.audit.progress.ShardProgress`)."""

    def __init__(self, out: Path, shard: int, jurisdictions: Sequence[str], *,
                 progress: bool = False) -> None:
        self.out = out
        self.shard = shard
        self.jurisdictions = tuple(jurisdictions)
        self.manifest = ManifestWriter.for_part(out, shard)
        self.sinks: dict[str, ShardSink] = {}
        self.progress = ShardProgress(out, shard) if progress else None

    def _sink(self, jurisdiction: str, fmt: str) -> ShardSink:
        sink = self.sinks.get(jurisdiction)
        if sink is None:
            sink = self.sinks[jurisdiction] = ShardSink.open(
                self.out / "filtered" / jurisdiction, self.shard, fmt)
        return sink

    def write(self, record: Record) -> None:
        self.manifest.write(record)
        if self.progress is not None:
            self.progress.add(record.size_bytes)
        fmt = record.origin.get("format")
        if record.error is not None or not fmt:
            return
        allowed = [d.jurisdiction for d in record.decisions if d.verdict == AuditVerdict.ALLOW]
        if allowed and len(allowed) == len(self.jurisdictions):
            allowed.append(ALL)
        for j in allowed:
            self._sink(j, str(fmt)).write(record)

    def close(self) -> None:
        self.manifest.close()
        for sink in self.sinks.values():
            sink.close()

    def abort(self) -> None:
        self.manifest.abort()
        for sink in self.sinks.values():
            sink.abort()


@dataclasses.dataclass(frozen=True)
class _WriterFactory:
    jurisdictions: tuple[str, ...]
    progress: bool = False

    def __call__(self, out: Path, shard: int) -> AuditWriter:
        return AuditWriter(out, shard, self.jurisdictions, progress=self.progress)


@dataclasses.dataclass(frozen=True)
class _Finalize:
    """Merges the shard parts and writes the reports, once; idempotent (a run killed while
    finalizing re-runs it from its parts, which are removed only after the final marker)."""

    shards: int
    jurisdictions: tuple[str, ...]
    run: dict[str, Any]
    provider: str | None
    sme: bool

    def __call__(self, out: Path) -> None:
        marker = out / DONE_DIR / FINAL_MARKER
        if not marker.is_file():
            run = {**self.run, "finished_at": _utc_now()}  # every shard is done
            _write_json(out / RUN_FILE, run)
            merge_manifest_parts(out, self.shards, keep_parts=True)
            # folder inputs (a plain file is read as the folder holding it), so every
            # jurisdiction's filtered/ lays them out alike
            roots = [i if Path(i).is_dir() else str(Path(i).parent)
                     for i in self.run["inputs"] if source_kind(i) == "folder"]
            for j in (*self.jurisdictions, ALL):
                folder = out / "filtered" / j
                if folder.is_dir():
                    merge_sink_parts(folder, roots=list(dict.fromkeys(roots)))
                else:
                    folder.mkdir(parents=True)
            write_reports(out, run, provider=self.provider, sme=self.sme)
            _write_json(marker, {"schema_version": 1})
        # parts are only scaffolding for resumption: gone once everything is in place
        shutil.rmtree(out / "_parts", ignore_errors=True)
        for j in (*self.jurisdictions, ALL):
            shutil.rmtree(out / "filtered" / j / "parts", ignore_errors=True)


def _write_json(path: Path, data: dict[str, Any]) -> None:
    from rightsguard.report.manifest import write_text_atomic

    write_text_atomic(path, json.dumps(data, indent=1, sort_keys=True) + "\n")


def _use_of(run: dict[str, Any]) -> Use:
    """The :class:`Use` a ``run.json`` records."""
    u = run["use"]
    return Use(Purpose(u["purpose"]), bool(u["commercial"]), str(u["actor"]),
               tuple(u["agents"]))


def _run_facts(run: dict[str, Any]) -> AuditRun:
    use = _use_of(run)
    return AuditRun(inputs=tuple(run["inputs"]), jurisdictions=tuple(run["jurisdictions"]),
                    use=use, started_at=run.get("started_at"),
                    finished_at=run.get("finished_at"), crawlers=tuple(run["use"]["agents"]))


def write_reports(out: Path, run: dict[str, Any], *, provider: str | None = None,
                  sme: bool = False) -> None:
    """``report.json``/``.html`` and, as the jurisdictions ask, the EU summary and the JP
    checklist, from ``out/manifest.parquet`` (streamed once). Both count the reservations that
    apply to the run's use by the policy's rule
    (:class:`~rightsguard.policy.facts.AppliesToTraining`, with the run's ``--agent`` tokens and
    the crawler table the decisions used)."""
    from rightsguard.policy.facts import AppliesToTraining
    from rightsguard.report.audit_html import write_report_html
    from rightsguard.report.audit_json import AuditAggregate, write_report_json
    from rightsguard.report.eu_summary import EuSummaryFacts, build_eu_summary, write_eu_summary
    from rightsguard.report.jp_checklist import (
        JpChecklistFacts,
        build_jp_checklist,
        write_jp_checklist,
    )
    from rightsguard.report.provider import load_provider
    from rightsguard.signals.crawlers import CrawlerTable

    facts = _run_facts(run)
    applies = AppliesToTraining.of(facts.use.agents, CrawlerTable.load().training_tokens(),
                                   str(facts.use.purpose))
    agg = AuditAggregate()
    eu = EuSummaryFacts(applies=applies) if "EU" in facts.jurisdictions else None
    jp = JpChecklistFacts(applies=applies) if "JP" in facts.jurisdictions else None
    for record in read_manifest(out / "manifest.parquet"):
        agg.add(record)
        if eu is not None:
            eu.add(record)
        if jp is not None:
            jp.add(record)
    write_report_json(out / "report.json", agg, facts)
    write_report_html(out / "report.html", agg, facts)
    if eu is not None:
        doc = build_eu_summary(eu, facts, load_provider(provider) if provider else None, sme=sme)
        write_eu_summary(out, doc)
    if jp is not None:
        write_jp_checklist(out, build_jp_checklist(jp, facts))


@dataclasses.dataclass(frozen=True)
class AuditResult:
    """What an audit did: the output folder, per-shard stats, and counts of items by
    jurisdiction and verdict (from ``report.json``)."""

    out: Path
    shards: list[ShardStats]
    report: dict[str, Any]

    @property
    def items(self) -> int:
        return sum(s.records for s in self.shards)

    @property
    def unreadable(self) -> int:
        return sum(s.errors for s in self.shards)

    @property
    def bytes(self) -> int:
        """Sum of the items' ``size_bytes`` (content bytes read)."""
        return sum(s.bytes for s in self.shards)

    @property
    def resumed(self) -> int:
        """Items of shards an earlier, interrupted run had finished (not run again)."""
        return sum(s.records for s in self.shards if s.resumed)


def audit(sources: Sequence[str | Path], *, out: str | Path,
          jurisdictions: Sequence[str] = JURISDICTIONS, use: Use | None = None,
          profiles: Sequence[str | Path] = (), hosts: Sequence[str | Path] = (),
          columns: ColumnMap | None = None, piracy: str | Path | None = None,
          paywall: str | Path | None = None, dataset_for_sale: str | Path | None = None,
          provider: str | Path | None = None, sme: bool = False,
          executor: Executor | None = None, records_per_shard: int | None = None,
          progress: Callable[[AuditProgress], object] | None = None) -> AuditResult:
    """Audit ``sources`` into ``out`` (see the module docstring).

    ``jurisdictions``: built-in profile names (``JP``, ``EU``, ``UK``, ``US``, ``SG``);
    ``profiles``: extra profile TOML files (a copied and edited built-in) decided as well.
    ``hosts``: WARCs of robots.txt / tdmrep.json / ai.txt responses or folders
    ``HOST/robots.txt`` …; WARC sources are also searched for such responses. Lists: text
    files of domains. ``executor``: :class:`~rightsguard.pipeline.local.LocalExecutor` by
    default. ``progress``: called with an :class:`AuditProgress` at each phase and a few
    times per second while the shards run (module docstring). Raises :class:`InputError` for a
    missing source or an output folder holding
    another run, :class:`~rightsguard.errors.ConfigError` for a bad profile, provider file
    or list."""
    from rightsguard.audit.steps import SignalStep
    from rightsguard.pipeline.local import LocalExecutor
    from rightsguard.policy.engine import PolicyEngine, Profile
    from rightsguard.signals.crawlers import CrawlerTable
    from rightsguard.signals.licences import category_of

    use = use or Use()
    out_dir = Path(out)
    inputs = list(dict.fromkeys(str(Path(s).resolve()) for s in sources))  # each once
    if not inputs:
        raise InputError("audit: no source given")
    if not jurisdictions and not profiles:
        raise InputError("audit: no jurisdiction given (JP, EU, UK, US, SG or --profile)")
    if records_per_shard is not None and records_per_shard < 1:
        raise InputError(f"--records-per-shard must be 1 or more, not {records_per_shard}")
    kinds = [source_kind(s) for s in inputs]
    _check_out(out_dir, inputs)
    for h in hosts:
        if not Path(h).exists():
            raise InputError(f"--hosts {h}: no such file or folder")
    if piracy or paywall or dataset_for_sale:  # fail before writing anything
        from rightsguard.signals.lists import DomainLists

        DomainLists.load(piracy=piracy, paywall=paywall, dataset_for_sale=dataset_for_sale)
    loaded = [Profile.load(j.upper()) for j in jurisdictions]
    loaded += [Profile.load(Path(p)) for p in profiles]
    previous = load_run(out_dir)[0] if (out_dir / RUN_FILE).is_file() else None
    first = [str(n) for n in previous.get("jurisdictions", [])] if previous else []
    if sorted(first) == sorted(p.name for p in loaded):
        # resuming: jurisdictions keep the first run's order, so every row lists its decisions
        # in one order whatever order -j gives them in now
        loaded.sort(key=lambda p: first.index(p.name))
    names = tuple(p.name for p in loaded)
    engine = PolicyEngine(loaded, training_tokens=CrawlerTable.load().training_tokens(),
                          licence_category=category_of)
    if provider is not None:  # fail before reading anything
        from rightsguard.report.provider import load_provider

        load_provider(provider)
    watch = ProgressWatch(out_dir, progress) if progress is not None else None
    if watch is not None and (hosts or "warc" in kinds):
        watch.report("hosts")
    host_files = HostFiles()
    for h in hosts:
        more = HostFiles.from_folder(h) if Path(h).is_dir() else HostFiles.from_warc(h)
        host_files.merge(more)
    warcs = [s for s, k in zip(inputs, kinds, strict=True) if k == "warc"]
    if warcs:
        host_files.merge(HostFiles.from_warc(*warcs))
    step = SignalStep(hosts=host_files, agents=use.agents,
                      piracy=Path(piracy) if piracy else None,
                      paywall=Path(paywall) if paywall else None,
                      dataset_for_sale=Path(dataset_for_sale) if dataset_for_sale else None,
                      count_tokens=True)
    reader = SourceReader(columns, count_tokens=False)  # the SignalStep counts (one parse)
    if watch is not None and records_per_shard:
        watch.report("planning")
    shards = plan_shards(inputs, records_per_shard=records_per_shard,
                         reader_factory=reader if records_per_shard else None)
    out_dir.mkdir(parents=True, exist_ok=True)
    run_file = out_dir / RUN_FILE
    started = _utc_now()
    run: dict[str, Any] = {
        "schema_version": 1, "inputs": inputs, "jurisdictions": list(names),
        "profiles": [j.upper() for j in jurisdictions] + [str(Path(p).resolve())
                                                             for p in profiles],
        "use": {"purpose": str(use.purpose), "commercial": use.commercial, "actor": use.actor,
                "agents": list(use.agents)},
        "hosts": [str(Path(h).resolve()) for h in hosts],
        "lists": {"piracy": str(piracy) if piracy else None,
                  "paywall": str(paywall) if paywall else None,
                  "dataset_for_sale": str(dataset_for_sale) if dataset_for_sale else None},
        "input_state": {i: input_state(i) for i in inputs},
        # files the decisions also read: host files, lists, policy profiles
        "settings_state": {p: input_state(p) for p in dict.fromkeys(
            [*(str(Path(h).resolve()) for h in hosts),
             *(str(Path(f).resolve()) for f in (piracy, paywall, dataset_for_sale) if f),
             *(str(Path(f).resolve()) for f in profiles)])},
    }
    times = ("started_at", "finished_at")
    finished = None
    if previous is not None:
        _check_resume(out_dir, run_file,
                      {k: v for k, v in previous.items() if k not in times}, run)
        started = previous.get("started_at", started)
        finished = previous.get("finished_at")  # set again only when the audit finalizes again
    run["started_at"] = started
    _write_json(run_file, run if finished is None else {**run, "finished_at": finished})
    pipeline = Pipeline(reader_factory=reader, steps=(step, engine.step(use)),
                        writer_factory=_WriterFactory(names, progress=watch is not None),
                        finalize=_Finalize(len(shards), names, run,
                                           str(provider) if provider else None, sme))
    if watch is None:
        stats = (executor or LocalExecutor()).run(pipeline, shards, out_dir)
    else:
        watch.start(len(shards))
        try:
            stats = (executor or LocalExecutor()).run(pipeline, shards, out_dir)
        finally:
            watch.stop()
        watch.report("done")
    report = json.loads((out_dir / "report.json").read_text("utf-8"))
    return AuditResult(out_dir, stats, report)


def _check_resume(out_dir: Path, run_file: Path, old: dict[str, Any], new: dict[str, Any]
                  ) -> None:
    """A restarted audit resumes only with the arguments and inputs of the first run; otherwise
    :class:`InputError` naming what differs (each argument, or each input or settings file —
    ``--hosts``, the piracy/paywall/for-sale lists, ``--profile`` files — that changed since:
    file count, bytes or modification time, :func:`~rightsguard.corpus.records.input_state`),
    since finished shards' decisions read them."""
    def same_set(run: dict[str, Any]) -> dict[str, Any]:
        return {**run, "profiles": sorted(run.get("profiles", []))}

    old, new = same_set(old), same_set(new)
    states = ("input_state", "settings_state")
    # an audit begun before inputs (or settings files) were recorded cannot be checked for them
    for key in states:
        old.setdefault(key, new[key])
    if old == new:
        return
    changed = [(key, i) for key in states for i in new[key]
               if old[key].get(i) not in (None, new[key][i])]
    if changed and {k: v for k, v in old.items() if k not in states} == \
            {k: v for k, v in new.items() if k not in states}:
        what = "; ".join(f"{i} (was {_state(old[key][i])}, now {_state(new[key][i])})"
                         for key, i in changed)
        raise InputError(f"{out_dir}: the audit there read inputs that have changed since: "
                         f"{what}; use a new output folder or delete it to start over")
    differs = sorted(k for k in old.keys() | new.keys() if old.get(k) != new.get(k))
    raise InputError(f"{out_dir}: holds an audit with other arguments ({', '.join(differs)} "
                     f"differ from {run_file}); use a new output folder or delete it to start "
                     "over")


def _state(s: dict[str, int]) -> str:
    when = dt.datetime.fromtimestamp(s["mtime_ns"] / 1e9, dt.UTC).isoformat(
        timespec="seconds").replace("+00:00", "Z")
    return f"{s['files']} files, {s['bytes']} bytes, newest {when}"


def _check_out(out: Path, inputs: Sequence[str]) -> None:
    """Refuse an output folder that is a file, that holds something other than an audit, or
    that lies inside a source folder (the audit would read its own outputs) or holds one."""
    if out.exists() and not out.is_dir():
        raise InputError(f"--out {out}: is a file, not a folder")
    if out.is_dir() and any(out.iterdir()) and not (out / RUN_FILE).is_file():
        raise InputError(f"--out {out}: is not empty and holds no audit ({RUN_FILE}); "
                         "give a new or empty folder, so nothing of yours is overwritten")
    target = out.resolve()
    for source in inputs:
        src = Path(source)
        if src.is_dir() and (target == src or src in target.parents):
            raise InputError(f"--out {out}: lies inside the source folder {src}; the audit "
                             "would read its own outputs")
        if target in src.parents:
            raise InputError(f"--out {out}: holds the source {src}")


def load_run(out: str | Path) -> tuple[dict[str, Any], Use]:
    """The ``run.json`` of an audit folder and its :class:`Use`; :class:`InputError` when the
    folder holds no audit."""
    path = Path(out) / RUN_FILE
    try:
        run = json.loads(path.read_text("utf-8"))
    except (OSError, ValueError) as exc:
        raise InputError(f"{out}: not an audit output folder ({path}: {exc})") from None
    return run, _use_of(run)


def find_item(out: str | Path, item_id: str) -> Record:
    """The manifest row of ``item_id`` as a Record; :class:`InputError` when absent."""
    for record in read_manifest(Path(out) / "manifest.parquet"):
        if record.id == item_id:
            return record
    raise InputError(f"{out}: no item {item_id!r} in manifest.parquet")


def explain(out: str | Path, item_id: str, jurisdiction: str | None = None) -> list[str]:
    """Lines explaining the decisions of one item of an audit (every rule of each profile,
    fired or not, and why), as ``rightsguard policy explain`` prints them. The profiles are
    read now: when one changed since the audit (its file's state, or a decision that now comes
    out differently) a ``warning:`` line says so."""
    from rightsguard.policy.engine import PolicyEngine, Profile
    from rightsguard.signals.crawlers import CrawlerTable
    from rightsguard.signals.licences import category_of

    run, use = load_run(out)
    record = find_item(out, item_id)
    profiles = [Profile.load(Path(p)) if Path(p).is_absolute() else Profile.load(str(p))
                for p in run["profiles"]]
    engine = PolicyEngine(profiles, training_tokens=CrawlerTable.load().training_tokens(),
                          licence_category=category_of)
    wanted: Iterable[str] = [jurisdiction] if jurisdiction else run["jurisdictions"]
    decided = {d.jurisdiction: d.verdict for d in record.decisions}
    lines: list[str] = []
    for j in wanted:
        explanation = engine.explain(record, use, j)
        lines += explanation.lines()
        if decided.get(explanation.profile, explanation.decision.verdict) != \
                explanation.decision.verdict:
            # the rules are read now: a profile edited (or a rightsguard upgraded) since
            lines.append(f"warning: the audit decided {decided[explanation.profile]} for "
                         f"{explanation.profile}; these rules (read now: the profile changed "
                         f"since the audit) give {explanation.decision.verdict}")
        lines.append("")
    changed = [p for p, state in run.get("settings_state", {}).items()
               if p in run["profiles"] and Path(p).exists() and input_state(p) != state]
    lines += [f"warning: {p} changed since the audit: the rules above are its current ones"
              for p in changed]
    return lines[:-1] if lines and not lines[-1] else lines
