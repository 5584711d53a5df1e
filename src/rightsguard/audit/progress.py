"""Progress of a running audit, as the process that started it can see it.

Shards may run in other processes (:class:`~rightsguard.pipeline.local.LocalExecutor`'s spawn
pool, Ray workers), so the parent never sees their records. It reads what the run leaves on
disk instead:

* each finished shard's ``done/<shard:05d>.json`` marker and the
  :class:`~rightsguard.pipeline.base.ShardStats` in it — how the pipeline reports completion;
* for a shard still running, ``_parts/progress/<shard:05d>.json`` (``{"records", "bytes"}``),
  which the shard's :class:`~rightsguard.audit.run.AuditWriter` rewrites through a
  :class:`ShardProgress` at most every :data:`REPORT_EVERY` seconds — only when the audit was
  given a progress callback (otherwise no file is written and no clock is read).

:class:`ProgressWatch` polls both from a daemon thread every :data:`REPORT_EVERY` seconds and
hands an :class:`AuditProgress` to the callback, so a display redraws a few times per second
whatever the item rate, and the executors are left as they are.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from rightsguard.pipeline.base import DONE_DIR
from rightsguard.report.manifest import PARTS_DIR, write_text_atomic

__all__ = ["PROGRESS_DIR", "REPORT_EVERY", "AuditProgress", "ProgressWatch", "ShardProgress"]

#: Seconds between two progress files of one shard, and between two callbacks (4 per second).
REPORT_EVERY = 0.25
#: Folder of the running shards' progress files, under the audit's ``out``; removed with
#: ``_parts`` when the audit is finalized.
PROGRESS_DIR = f"{PARTS_DIR}/progress"
_SHARD_FILE = re.compile(r"^\d+\.json$")  # done/00003.json, _parts/progress/00003.json


@dataclass(frozen=True, slots=True)
class AuditProgress:
    """Where a running audit is.

    * ``phase``: ``hosts`` (reading the robots.txt / tdmrep.json / ai.txt captures in the
      WARC sources), ``planning`` (counting records for ``records_per_shard``), ``items`` (the
      shards run), ``reports`` (every shard done: merging the outputs, writing the reports),
      ``done``.
    * ``items`` / ``bytes``: items audited by this run so far (finished shards, plus what the
      running ones last reported) and the sum of their ``size_bytes`` (content bytes read).
    * ``resumed_items`` / ``resumed_bytes``: the same for shards an earlier run finished.
    * ``shards_done`` / ``shards``: shards with a done marker (resumed ones included) / all
      shards (0 before the plan is made).
    * ``seconds``: wall time since the audit call started.
    """

    phase: str
    items: int = 0
    bytes: int = 0
    resumed_items: int = 0
    resumed_bytes: int = 0
    shards_done: int = 0
    shards: int = 0
    seconds: float = 0.0

    @property
    def items_per_second(self) -> float:
        """Items audited by this run per second of wall time (0 before any time has passed)."""
        return self.items / self.seconds if self.seconds > 0 else 0.0


class ShardProgress:
    """A shard writer's reporter: counts records and their bytes and rewrites the shard's
    progress file at the first record, then at most every ``every`` seconds of ``clock``."""

    __slots__ = ("_clock", "_due", "bytes", "every", "path", "records")

    def __init__(self, out: Path, shard: int, *, every: float = REPORT_EVERY,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.path = out / PROGRESS_DIR / f"{shard:05d}.json"
        self.every = every
        self.records = 0
        self.bytes = 0
        self._clock = clock
        self._due = float("-inf")

    def add(self, size_bytes: int) -> None:
        """Count one record of ``size_bytes``; write the file when it is due."""
        self.records += 1
        self.bytes += size_bytes
        now = self._clock()
        if now >= self._due:
            self._due = now + self.every
            write_text_atomic(self.path, json.dumps({"records": self.records,
                                                     "bytes": self.bytes}))


def _read_counts(path: str, stats: bool) -> tuple[int, int] | None:
    """(records, bytes) of a done marker (``stats``) or a progress file; None while it is
    being replaced or already gone."""
    try:
        data = json.loads(Path(path).read_text("utf-8"))
        if stats:
            data = data["stats"]
        return int(data["records"]), int(data["bytes"])
    except (OSError, ValueError, KeyError, TypeError):
        return None


class ProgressWatch:
    """Reports an audit's progress to ``callback`` (see the module docstring).

    :meth:`report` once per phase before the shards run; :meth:`start` when they are planned
    (shards already done then count as resumed) and :meth:`stop` when the executor returns;
    in between a daemon thread calls ``callback`` every ``every`` seconds. An exception raised
    by ``callback`` in that thread ends the reporting, not the audit."""

    def __init__(self, out: Path, callback: Callable[[AuditProgress], object], *,
                 every: float = REPORT_EVERY) -> None:
        self.out = out
        self.callback = callback
        self.every = every
        self.shards = 0
        self._began = time.perf_counter()
        self._done: dict[str, tuple[int, int]] = {}
        self._resumed: frozenset[str] = frozenset()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def report(self, phase: str) -> None:
        """Call back with the current counts in ``phase``."""
        self.callback(self.snapshot(phase))

    def start(self, shards: int) -> None:
        """Count the done markers present as resumed and start polling."""
        self.shards = shards
        # progress files of shards a killed run left: their shards start again from nothing
        shutil.rmtree(self.out / PROGRESS_DIR, ignore_errors=True)
        self._scan_done()
        self._resumed = frozenset(self._done)
        self._thread = threading.Thread(target=self._loop, name="rightsguard-audit-progress",
                                        daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop polling (waits for the thread)."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join()

    def _loop(self) -> None:
        while not self._stop.wait(self.every):
            self.report("items")

    def _scan_done(self) -> None:
        try:
            entries = list(os.scandir(self.out / DONE_DIR))
        except OSError:
            return
        for entry in entries:
            if _SHARD_FILE.match(entry.name) and entry.name not in self._done:
                counts = _read_counts(entry.path, stats=True)
                if counts is not None:
                    self._done[entry.name] = counts

    def snapshot(self, phase: str) -> AuditProgress:
        """The counts now; ``items`` becomes ``reports`` once every shard is done."""
        self._scan_done()
        items = size = resumed_items = resumed_bytes = 0
        for name, (records, nbytes) in self._done.items():
            if name in self._resumed:
                resumed_items, resumed_bytes = resumed_items + records, resumed_bytes + nbytes
            else:
                items, size = items + records, size + nbytes
        try:
            running = list(os.scandir(self.out / PROGRESS_DIR))
        except OSError:
            running = []
        for entry in running:
            if _SHARD_FILE.match(entry.name) and entry.name not in self._done:
                counts = _read_counts(entry.path, stats=False)
                if counts is not None:
                    items, size = items + counts[0], size + counts[1]
        done = len(self._done)
        if phase == "items" and self.shards and done >= self.shards:
            phase = "reports"
        return AuditProgress(phase, items, size, resumed_items, resumed_bytes, done,
                             self.shards, time.perf_counter() - self._began)
