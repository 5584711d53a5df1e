"""Audit throughput on a ≥ 1 GB WARC of real pages; datadiligence side by side (issue #3 part 7).

``uv run --frozen --group dev --group bench python -m bench audit [--limit-mb MB]`` (or
``python -m bench.audit``) measures, in one run, on the crawl of :mod:`bench.audit_corpus`
(built on first use, cached in ``bench/.cache/audit-corpus``):

1. **parse floor** — fastwarc alone: ``ArchiveIterator`` over the ``response`` records of every
   part, reading every HTTP body (``record.reader.read()``), one process;
2. **audit** — :func:`rightsguard.audit.run.audit` over the same parts with the default
   :class:`~rightsguard.pipeline.local.LocalExecutor` (``os.cpu_count()`` workers, one shard per
   part), all five jurisdictions, the default use (``train-general``, commercial, company),
   into a fresh ``bench/.cache/audit-out`` (its ``filtered/`` copies are deleted afterwards unless
   ``--keep-output``). Wall time includes the host-file pass, every shard and the reports.
   "MB/s per core" = audit MB/s ÷ workers; the ratio is that per-core figure ÷ the (one-core)
   parse floor, so both sides are per core (target ≥ 0.5×; guidance ≥ 20 MB/s per core,
   issue #3). CPU seconds (this process and its children, ``getrusage``) are reported too, as
   the machine may be shared. MB = 10^6 bytes of the WARC.gz files on disk;
3. **profile** — cProfile of the audit on the first part (≈ 50–60 MB, ``--profile-mb``), one
   worker in this process; the top functions by own time go to stderr and, in full, to
   ``bench/.cache/audit-profile.txt``;
4. **datadiligence** (Spawning, ``bench`` group) on the same items with its local evaluators
   only: ``XRobotsTagHeader(user_agent=AGENT)`` and ``TDMRepHeader`` given each response's
   headers (a ``requests`` ``CaseInsensitiveDict``, duplicates joined with ``", "`` as
   ``requests`` does), ``C2PAMetadataRule`` given each image body. Never given a URL (that makes
   it fetch), the Spawning API rule is not used, and ``socket`` connections raise while it runs.
   **Agreement**: per item, datadiligence "not allowed" ⇔ rightsguard has a ``reserved`` signal
   of a kind/carrier datadiligence reads (noai/noimageai in ``X-Robots-Tag`` for ``*`` or
   ``AGENT``; ``tdmrep`` from the ``tdm-reservation`` header, after TDMRep precedence; C2PA
   ``training-mining``). **Misses**: items rightsguard finds reserved for AI training (any
   carrier; scope ``*``, a training token of its crawler table, ``AGENT``, or the use keys
   ``train-ai``/``ai-train``) that datadiligence allows.

Prints one table (WARC MB, records, parse floor MB/s, audit MB/s, ratio, MB/s per core,
datadiligence agreement %, items datadiligence misses) and the details of the comparison.
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import io
import json
import pstats
import resource
import shutil
import socket
import sys
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # `python bench/audit.py`
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from rich.console import Console
from rich.table import Table

from bench import audit_corpus

CACHE = Path(__file__).resolve().parent / ".cache"
OUT = CACHE / "audit-out"
PROFILE_OUT = CACHE / "audit-profile-out"
PROFILE_TXT = CACHE / "audit-profile.txt"
#: The crawler identity both tools evaluate agent-scoped directives for.
AGENT = "GPTBot"
#: Signal kinds that express an AI-training reservation (model.RightsSignal's kinds).
RESERVATION_KINDS = frozenset({"robots", "content-signal", "aipref", "tdmrep", "noai",
                               "noimageai", "ai-txt", "iptc-data-mining",
                               "c2pa-training-mining"})
USE_SCOPES = frozenset({"*", "train-ai", "ai-train", AGENT.lower()})
TARGET_RATIO = 0.5
TARGET_MB_PER_CORE = 20.0


@dataclass
class Measure:
    """One timed pass: ``bytes`` of WARC on disk, ``records`` read (items for the audit),
    ``payload_bytes`` (HTTP bodies, parse floor only), wall ``seconds``, ``cpu_seconds`` (user +
    system of this process and its finished children), ``workers``."""

    bytes: int
    records: int
    seconds: float
    cpu_seconds: float
    workers: int = 1
    payload_bytes: int = 0
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def mb_per_s(self) -> float:
        return self.bytes / 1e6 / self.seconds if self.seconds else float("nan")

    @property
    def mb_per_core(self) -> float:
        return self.mb_per_s / self.workers

    @property
    def mb_per_cpu_s(self) -> float:
        return self.bytes / 1e6 / self.cpu_seconds if self.cpu_seconds else float("nan")


def _cpu() -> float:
    me = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


# -- 1. parse floor ------------------------------------------------------------------------------

def parse_floor(parts: Sequence[Path]) -> Measure:
    """fastwarc alone over ``parts``: every response record's body read, one process."""
    from fastwarc.warc import ArchiveIterator, WarcRecordType

    t0, c0 = time.perf_counter(), _cpu()
    records = payload = 0
    for part in parts:
        with open(part, "rb") as fh:
            for rec in ArchiveIterator(fh, record_types=WarcRecordType.response):
                payload += len(rec.reader.read())
                records += 1
    return Measure(sum(p.stat().st_size for p in parts), records, time.perf_counter() - t0,
                   _cpu() - c0, 1, payload)


# -- 2. audit ------------------------------------------------------------------------------------

def run_audit(parts: Sequence[Path], out: Path, *, workers: int | None = None,
              keep_output: bool = False) -> Measure:
    """``audit(parts, out=out)`` (all five jurisdictions, default use) into a fresh ``out``."""
    from rightsguard.audit.run import audit
    from rightsguard.pipeline.local import LocalExecutor

    shutil.rmtree(out, ignore_errors=True)
    executor = LocalExecutor(workers)
    used = min(executor.workers, len(parts))
    t0, c0 = time.perf_counter(), _cpu()
    result = audit([str(p) for p in parts], out=out, executor=executor)
    seconds, cpu = time.perf_counter() - t0, _cpu() - c0
    shard_s = sum(s.seconds for s in result.shards)
    if not keep_output:
        shutil.rmtree(out / "filtered", ignore_errors=True)
    return Measure(sum(p.stat().st_size for p in parts), result.items, seconds, cpu, used,
                   extra={"unreadable": result.unreadable, "shard_seconds": shard_s,
                          "verdicts": _verdicts(result.report)})


def _verdicts(report: dict[str, Any]) -> dict[str, dict[str, int]]:
    """report.json's ``decisions``: jurisdiction → verdict → items."""
    return {j: dict(v) for j, v in report.get("decisions", {}).items()}


# -- 3. profile ----------------------------------------------------------------------------------

def profile_audit(parts: Sequence[Path], top: int = 25) -> list[dict[str, Any]]:
    """cProfile of the audit of ``parts`` with one worker in this process; returns the ``top``
    functions by own time (``function``, ``calls``, ``tottime`` s, ``cumtime`` s) and writes the
    full listing (by own and by cumulative time) to :data:`PROFILE_TXT`."""
    from rightsguard.audit.run import audit
    from rightsguard.pipeline.local import LocalExecutor

    shutil.rmtree(PROFILE_OUT, ignore_errors=True)
    prof = cProfile.Profile()
    prof.enable()
    audit([str(p) for p in parts], out=PROFILE_OUT, executor=LocalExecutor(1))
    prof.disable()
    shutil.rmtree(PROFILE_OUT, ignore_errors=True)
    text = io.StringIO()
    stats = pstats.Stats(prof, stream=text)
    stats.sort_stats("tottime").print_stats(60)
    stats.sort_stats("cumulative").print_stats(60)
    PROFILE_TXT.write_text(text.getvalue(), "utf-8")
    rows = []
    raw: dict[Any, Any] = stats.stats  # type: ignore[attr-defined]
    for (file, line, name), (_cc, calls, tottime, cumtime, _callers) in sorted(
            raw.items(), key=lambda kv: -kv[1][2])[:top]:
        where = file.split("site-packages/")[-1].split("/src/")[-1]
        rows.append({"function": f"{where}:{line}({name})", "calls": calls,
                     "tottime": round(tottime, 3), "cumtime": round(cumtime, 3)})
    return rows


# -- 4. datadiligence ----------------------------------------------------------------------------

@contextlib.contextmanager
def no_network() -> Iterator[None]:
    """Every new socket connection raises ``OSError`` inside the block."""

    def refuse(*_args: Any, **_kwargs: Any) -> Any:
        raise OSError("bench: network access is off while datadiligence runs")

    saved = (socket.socket.connect, socket.socket.connect_ex, socket.create_connection)
    socket.socket.connect = refuse  # type: ignore[method-assign]
    socket.socket.connect_ex = refuse  # type: ignore[method-assign]
    socket.create_connection = refuse
    try:
        yield
    finally:
        socket.socket.connect, socket.socket.connect_ex = saved[0], saved[1]  # type: ignore[method-assign]
        socket.create_connection = saved[2]


@dataclass
class RgItem:
    """What rightsguard's manifest says about one item, reduced to the comparison."""

    xrt: bool  # reserved noai/noimageai in X-Robots-Tag for * or AGENT
    tdm_header: bool  # reserved tdmrep from the tdm-reservation header (after precedence)
    c2pa: bool
    reserved: tuple[str, ...]  # kind@carrier of every AI-training reservation in force
    unknown: tuple[str, ...]  # kind@carrier of reservation carriers rightsguard could not read
    eu: str | None  # EU verdict


def rightsguard_items(out: Path, training_tokens: Sequence[str]) -> dict[str, RgItem]:
    """id → :class:`RgItem` from ``out/manifest.parquet``."""
    from rightsguard.report.manifest import read_manifest

    scopes = USE_SCOPES | {t.lower() for t in training_tokens}
    items: dict[str, RgItem] = {}
    for rec in read_manifest(out / "manifest.parquet"):
        xrt = tdm = c2pa = False
        reserved: set[str] = set()
        unknown: set[str] = set()
        for s in rec.signals:
            if s.kind not in RESERVATION_KINDS:
                continue
            key = f"{s.kind}@{s.carrier}"
            if s.state == "unknown":
                unknown.add(key)
            if s.state != "reserved" or s.scope.lower() not in scopes:
                continue
            reserved.add(key)
            if s.kind in ("noai", "noimageai") and s.carrier == "http-header" \
                    and s.scope.lower() in ("*", AGENT.lower()):
                xrt = True
            elif s.kind == "tdmrep" and s.carrier == "http-header":
                tdm = True
            elif s.kind == "c2pa-training-mining":
                c2pa = True
        eu = next((d.verdict for d in rec.decisions if d.jurisdiction == "EU"), None)
        items[rec.id] = RgItem(xrt, tdm, c2pa, tuple(sorted(reserved)), tuple(sorted(unknown)),
                               eu)
    return items


@dataclass
class Comparison:
    """datadiligence vs rightsguard on the same items (see the module docstring)."""

    items: int = 0
    agree: int = 0
    by_family: dict[str, dict[str, int]] = field(default_factory=dict)
    rg_reserved: int = 0
    dd_not_allowed: int = 0
    misses: int = 0
    missed_carriers: Counter[str] = field(default_factory=Counter)
    dd_allowed_rg_review: int = 0
    review_carriers: Counter[str] = field(default_factory=Counter)
    disagreements: Counter[str] = field(default_factory=Counter)
    dd_errors: int = 0
    seconds: float = 0.0

    @property
    def agreement(self) -> float:
        return 100.0 * self.agree / self.items if self.items else float("nan")


def _dd_headers(headers: Sequence[tuple[str, str]]) -> Any:
    from requests.structures import CaseInsensitiveDict

    out: CaseInsensitiveDict[str] = CaseInsensitiveDict()
    for name, value in headers:
        out[name] = f"{out[name]}, {value}" if name in out else value
    return out


def compare_datadiligence(parts: Sequence[Path], rg: dict[str, RgItem]) -> Comparison:
    """Run datadiligence's local rules on every item of ``parts`` and compare with ``rg``."""
    import logging

    with contextlib.redirect_stdout(io.StringIO()):  # it prints about the Spawning API key
        import datadiligence  # noqa: F401  (registers its defaults at import)
        from datadiligence.rules import C2PAMetadataRule, TDMRepHeader, XRobotsTagHeader
    from rightsguard.corpus.hosts import host_file_kind
    from rightsguard.corpus.warc import read_warc

    xrt_rule, tdm_rule, c2pa_rule = XRobotsTagHeader(user_agent=AGENT), TDMRepHeader(), \
        C2PAMetadataRule()
    cmp = Comparison()
    fam = {k: Counter[str]() for k in ("X-Robots-Tag", "tdm-reservation header", "C2PA")}
    t0 = time.perf_counter()
    logging.disable(logging.CRITICAL)  # its C2PA rule logs every image without a manifest
    try:
        with no_network():
            for part in parts:
                for rec in read_warc(part.resolve()):
                    if rec.error is None and host_file_kind(rec.source) is not None:
                        continue  # robots.txt / ai.txt / tdmrep.json: host files, not items
                    item = rg.get(rec.id)
                    if item is None:
                        raise RuntimeError(f"{rec.id}: not in the audit's manifest")
                    headers = _dd_headers(rec.headers) if rec.headers else None
                    dd_xrt = headers is None or xrt_rule.is_allowed(headers=headers)
                    dd_tdm = headers is None or tdm_rule.is_allowed(headers=headers)
                    dd_c2pa = True
                    if rec.modality == "image" and rec.content:
                        try:
                            dd_c2pa = c2pa_rule.is_allowed(body=rec.content)
                        except Exception:  # Pillow cannot open it: datadiligence raises
                            cmp.dd_errors += 1
                    _tally(fam["X-Robots-Tag"], not dd_xrt, item.xrt)
                    _tally(fam["tdm-reservation header"], not dd_tdm, item.tdm_header)
                    _tally(fam["C2PA"], not dd_c2pa, item.c2pa)
                    dd_no = not (dd_xrt and dd_tdm and dd_c2pa)
                    rg_yes = item.xrt or item.tdm_header or item.c2pa
                    cmp.items += 1
                    cmp.agree += dd_no == rg_yes
                    cmp.dd_not_allowed += dd_no
                    if dd_no != rg_yes:
                        cmp.disagreements[_why(rec.headers, dd_xrt, dd_tdm, item)] += 1
                    if item.reserved:
                        cmp.rg_reserved += 1
                        if not dd_no:
                            cmp.misses += 1
                            cmp.missed_carriers.update(item.reserved)
                    elif not dd_no and item.eu == "review" and item.unknown:
                        cmp.dd_allowed_rg_review += 1
                        cmp.review_carriers.update(item.unknown)
    finally:
        logging.disable(logging.NOTSET)
    cmp.seconds = time.perf_counter() - t0
    cmp.by_family = {k: dict(v) for k, v in fam.items()}
    if cmp.items != len(rg):
        raise RuntimeError(f"datadiligence saw {cmp.items} items, the manifest has {len(rg)}")
    return cmp


def _tally(c: Counter[str], dd_no: bool, rg_yes: bool) -> None:
    c["both reserved" if dd_no and rg_yes else "both allowed" if not (dd_no or rg_yes)
      else "datadiligence only" if dd_no else "rightsguard only"] += 1


def _why(headers: Sequence[tuple[str, str]], dd_xrt: bool, dd_tdm: bool, item: RgItem) -> str:
    """A label for one disagreement: the headers of the families that disagree."""
    from rightsguard.signals.html import header_values

    out = []
    if (not dd_xrt) != item.xrt:
        out.append("X-Robots-Tag: " + ", ".join(header_values(headers, "x-robots-tag")))
    if (not dd_tdm) != item.tdm_header:
        out.append("tdm-reservation: " + ", ".join(header_values(headers, "tdm-reservation"))
                   + (" (overridden by a later TDMRep carrier)" if not dd_tdm else ""))
    return "; ".join(out) or "C2PA"


# -- the run -------------------------------------------------------------------------------------

def _fmt(x: float, digits: int = 1) -> str:
    return f"{x:.{digits}f}"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench audit", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--limit-mb", type=float, default=1074.0,
                    help="size of the crawl in MB of WARC.gz (default 1074 = 1 GiB; smaller: a"
                         " quick check on the first parts)")
    ap.add_argument("--workers", type=int, default=None,
                    help="audit workers (default: LocalExecutor's, os.cpu_count())")
    ap.add_argument("--profile-mb", type=float, default=50.0,
                    help="profile the audit on the first parts totalling this size (0: skip)")
    ap.add_argument("--no-datadiligence", action="store_true", help="skip the comparison")
    ap.add_argument("--keep-output", action="store_true",
                    help="keep the audit's filtered/ copies in bench/.cache/audit-out")
    ap.add_argument("--json", type=Path, help="also write the figures to this JSON file")
    args = ap.parse_args(argv)

    console = Console(stderr=True)
    t_start = time.perf_counter()
    crawl = audit_corpus.crawl(args.limit_mb, log=console.log)
    console.log(f"crawl: {len(crawl.parts)} parts, {crawl.bytes / 1e6:.1f} MB, "
                f"{crawl.records} response records, {crawl.hosts} hosts")
    console.log("parse floor (fastwarc) ...")
    floor = parse_floor(crawl.parts)
    console.log(f"parse floor: {floor.mb_per_s:.1f} MB/s ({floor.seconds:.1f} s, "
                f"{floor.payload_bytes / 1e6:.0f} MB of bodies)")
    console.log("audit ...")
    aud = run_audit(crawl.parts, OUT, workers=args.workers, keep_output=args.keep_output)
    console.log(f"audit: {aud.records} items in {aud.seconds:.1f} s "
                f"({aud.mb_per_s:.2f} MB/s, {aud.workers} workers, {aud.cpu_seconds:.0f} CPU s)")
    ratio = aud.mb_per_core / floor.mb_per_s
    cmp: Comparison | None = None
    if not args.no_datadiligence:
        from rightsguard.signals.crawlers import CrawlerTable

        console.log("datadiligence on the same items ...")
        rg = rightsguard_items(OUT, CrawlerTable.load().training_tokens())
        cmp = compare_datadiligence(crawl.parts, rg)
    prof: list[dict[str, Any]] = []
    if args.profile_mb > 0:
        sub = audit_corpus.crawl(args.profile_mb)
        console.log(f"profiling the audit on {sub.bytes / 1e6:.1f} MB ({len(sub.parts)} "
                    "part(s)), one worker ...")
        prof = profile_audit(sub.parts)
        for row in prof[:20]:
            console.log(f"  {row['tottime']:8.2f} s own  {row['cumtime']:8.2f} s cum  "
                        f"{row['calls']:>9}  {row['function']}")
        console.log(f"full profile: {PROFILE_TXT}")

    table = Table(title="rightsguard audit on a WARC of real pages (Python + Debian docs), "
                        "datadiligence side by side", show_lines=True)
    cols = ("WARC MB", "records", "parse floor MB/s", "audit MB/s", "ratio (per core)",
            "MB/s per core", "datadiligence agreement %", "items datadiligence misses")
    for col in cols:
        table.add_column(col, overflow="fold")
    table.add_row(
        _fmt(crawl.bytes / 1e6), f"{crawl.records} ({aud.records} items)",
        _fmt(floor.mb_per_s), f"{aud.mb_per_s:.2f} ({aud.workers} workers)",
        f"{ratio:.3f}x (target ≥ {TARGET_RATIO}x)",
        f"{aud.mb_per_core:.2f} (target ≥ {TARGET_MB_PER_CORE:g}; {aud.mb_per_cpu_s:.2f}"
        " per CPU s)",
        f"{cmp.agreement:.2f}" if cmp else "-",
        f"{cmp.misses} of {cmp.rg_reserved} reserved" if cmp else "-")
    wide = Console(width=max(160, Console().width))
    wide.print(table)
    if cmp:
        detail = Table(title=f"datadiligence {_dd_version()} vs rightsguard, {cmp.items} items "
                             f"(agent {AGENT}; network off)", show_lines=True)
        for col in ("what", "count"):
            detail.add_column(col, overflow="fold")
        for family, counts in cmp.by_family.items():
            detail.add_row(f"{family}: per item", ", ".join(
                f"{k} {v}" for k, v in sorted(counts.items())))
        for why, n in cmp.disagreements.most_common(12):
            detail.add_row(f"disagreement: {why}", str(n))
        for key, n in cmp.missed_carriers.most_common():
            detail.add_row(f"missed by datadiligence, reserved by {key}", str(n))
        detail.add_row("datadiligence 'allowed', rightsguard EU review (carrier unknown: "
                       + ", ".join(f"{k} {v}" for k, v in cmp.review_carriers.most_common())
                       + ")", str(cmp.dd_allowed_rg_review))
        detail.add_row("datadiligence errors (images Pillow cannot open)", str(cmp.dd_errors))
        for j, counts in aud.extra["verdicts"].items():
            detail.add_row(f"rightsguard {j} decisions", ", ".join(
                f"{k} {v}" for k, v in counts.items()))
        wide.print(detail)
    console.log(f"done in {time.perf_counter() - t_start:.0f} s")
    if args.json:
        data = {"crawl": {"parts": [str(p) for p in crawl.parts], "bytes": crawl.bytes,
                          "records": crawl.records, "hosts": crawl.hosts},
                "parse_floor": asdict(floor) | {"mb_per_s": floor.mb_per_s},
                "audit": asdict(aud) | {"mb_per_s": aud.mb_per_s, "mb_per_core": aud.mb_per_core,
                                        "mb_per_cpu_s": aud.mb_per_cpu_s},
                "ratio_per_core": ratio,
                "datadiligence": None if cmp is None else {  # asdict() mangles Counters
                    **{k: dict(v) if isinstance(v, Counter) else v for k, v in vars(cmp).items()},
                    "agreement_pct": cmp.agreement},
                "profile_top": prof}
        args.json.write_text(json.dumps(data, indent=1, default=str), "utf-8")
    return 0


def _dd_version() -> str:
    from importlib.metadata import version

    return version("datadiligence")


if __name__ == "__main__":
    raise SystemExit(main())
