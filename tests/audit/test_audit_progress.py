"""Progress of a running audit (rightsguard.audit.progress): the shard writers' throttled
progress files, and the reports the calling process builds from them and from the done markers
while the shards run in a process pool."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path

from audit_corpus import PAGES, write_crawl
from rightsguard.audit.progress import PROGRESS_DIR, AuditProgress, ShardProgress
from rightsguard.audit.run import AuditWriter, audit
from rightsguard.model import Record
from rightsguard.pipeline.local import LocalExecutor

#: Content bytes of the fixture crawl's 15 pages (no content coding: the bodies as written).
CRAWL_BYTES = sum(len(r.body) for r in PAGES.values())


def _read(path: Path) -> dict[str, int]:
    data: dict[str, int] = json.loads(path.read_text("utf-8"))
    return data


def test_a_shard_reports_its_first_record_then_at_most_every_quarter_second(
        tmp_path: Path) -> None:
    times: Iterator[float] = iter([10.0, 10.1, 10.2, 10.3, 10.5, 10.6])
    shard = ShardProgress(tmp_path, 7, clock=lambda: next(times))
    path = tmp_path / PROGRESS_DIR / "00007.json"
    seen = []
    for size in (100, 20, 3, 4000, 50_000, 600_000):
        shard.add(size)
        seen.append(_read(path))
    # written at 10.0 (the first record), 10.3 (>= 10.0 + 0.25) and 10.6 (>= 10.3 + 0.25; 10.5
    # is not)
    assert seen == [{"records": 1, "bytes": 100}] * 3 + [{"records": 4, "bytes": 4123}] * 2 + [
        {"records": 6, "bytes": 654_123}]


def test_the_writer_reports_progress_only_when_asked(tmp_path: Path) -> None:
    record = Record(id="files:x#a.txt", source="a.txt", modality="text", size_bytes=42)
    quiet = AuditWriter(tmp_path / "quiet", 0, ("EU",))
    quiet.write(record)
    quiet.close()
    assert not (tmp_path / "quiet" / PROGRESS_DIR).exists()
    shown = AuditWriter(tmp_path / "shown", 3, ("EU",), progress=True)
    shown.write(record)
    shown.close()
    assert _read(tmp_path / "shown" / PROGRESS_DIR / "00003.json") == {"records": 1,
                                                                        "bytes": 42}


def test_progress_of_a_pooled_audit_then_of_its_restart(tmp_path: Path) -> None:
    crawl, _ids = write_crawl(tmp_path / "in")
    out = tmp_path / "out"
    reports: list[AuditProgress] = []
    began = time.perf_counter()
    result = audit([crawl], out=out, jurisdictions=["EU", "JP"], records_per_shard=5,
                   executor=LocalExecutor(workers=2), progress=reports.append)
    seconds = time.perf_counter() - began
    # 15 pages in shards of 5, run by two spawned workers; the parent reads their markers
    assert (result.items, result.bytes, result.resumed) == (15, CRAWL_BYTES, 0)
    phases = [r.phase for r in reports]
    assert phases[:2] == ["hosts", "planning"] and phases[-1] == "done"
    assert set(phases[2:-1]) <= {"items", "reports"}
    assert reports[-1] == AuditProgress("done", 15, CRAWL_BYTES, 0, 0, 3, 3,
                                        reports[-1].seconds)
    assert 0 < reports[-1].seconds <= seconds
    counts = [r.items for r in reports]
    assert counts == sorted(counts)  # never goes back
    # a few reports per second: 3 phase reports, then one per 0.25 s tick at most
    assert len(reports) <= 3 + seconds / 0.25 + 1
    assert not (out / PROGRESS_DIR).exists()  # scaffolding, gone with _parts

    again: list[AuditProgress] = []
    result = audit([crawl], out=out, jurisdictions=["EU", "JP"], records_per_shard=5,
                   executor=LocalExecutor(workers=2), progress=again.append)
    assert (result.items, result.resumed) == (15, 15)
    last = again[-1]
    assert (last.items, last.bytes, last.resumed_items, last.resumed_bytes,
            last.shards_done, last.shards) == (0, 0, 15, CRAWL_BYTES, 3, 3)
    assert last.items_per_second == 0.0
