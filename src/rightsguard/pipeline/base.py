"""Pipeline, steps, shard writers, and the resumable shard runner every executor shares.

A :class:`Pipeline` reads one shard's records with ``reader_factory(input)`` (sliced to the
shard's ``[start, stop)``), passes them through its steps in order — each a generator with
datatrove's signature ``run(data, rank, world_size)``; ``rank`` is the shard index and
``world_size`` the number of shards — and hands the records the last step yields to a
:class:`ShardWriter` made by ``writer_factory(out_dir, shard_index)``.

**Resumption.** For each shard, in this order: the writer publishes its part files atomically
(``close``), then ``OUT/done/<shard:05d>.json`` is written (temp + ``os.replace``) with the
shard and its :class:`ShardStats`. An executor skips shards that have a marker and runs the
others from scratch (their writers overwrite any unfinished part), so the outputs of a run that
was killed and restarted equal an uninterrupted run's, row for row. The shard plan is stored in
``OUT/plan.json``; restarting with another plan (other inputs or N) is an error rather than a
silent mix. ``finalize(out_dir)`` (e.g. ``corpus.sinks.merge_parts``) runs once every shard has
its marker.

Everything a pipeline holds must be picklable (module-level functions and classes), since shards
run in spawned processes or Ray workers; heavy state should load lazily inside a step.
"""

from __future__ import annotations

import abc
import itertools
import json
import os
import pickle
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from rightsguard.errors import ConfigError, InputError
from rightsguard.model import Record
from rightsguard.pipeline.shards import Shard

__all__ = [
    "DONE_DIR",
    "PLAN_FILE",
    "Executor",
    "Pipeline",
    "ShardStats",
    "ShardWriter",
    "Step",
    "run_shard",
]

DONE_DIR = "done"
"""Folder of ``OUT`` with one marker per finished shard."""

PLAN_FILE = "plan.json"
"""The shard plan of the run in ``OUT``."""


@runtime_checkable
class Step(Protocol):
    """One stage: reads records, yields records (dropping, changing or adding)."""

    def run(self, data: Iterable[Record], rank: int = 0, world_size: int = 1,
            ) -> Iterator[Record]:
        ...


@runtime_checkable
class ShardWriter(Protocol):
    """Receives a shard's output records; ``close`` publishes atomically, ``abort`` drops.
    (``corpus.sinks.ShardSink`` is one.)"""

    def write(self, record: Record) -> None:
        ...

    def close(self) -> object:
        ...

    def abort(self) -> None:
        ...


@dataclass(frozen=True, slots=True)
class ShardStats:
    """What one shard did: ``records`` written, of which ``errors`` had ``error`` set,
    ``bytes`` = sum of their ``size_bytes``, ``seconds`` of wall time; ``resumed`` when the
    stats come from a marker of an earlier run (the shard was not run again)."""

    shard: int
    input: str
    records: int
    errors: int
    bytes: int
    seconds: float
    resumed: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {"shard": self.shard, "input": self.input, "records": self.records,
                "errors": self.errors, "bytes": self.bytes, "seconds": round(self.seconds, 6)}

    @classmethod
    def from_dict(cls, data: dict[str, Any], resumed: bool = False) -> ShardStats:
        return cls(int(data["shard"]), str(data["input"]), int(data["records"]),
                   int(data["errors"]), int(data["bytes"]), float(data["seconds"]), resumed)


@dataclass(frozen=True)
class Pipeline:
    """``reader_factory(input) -> records``, ``steps`` applied in order, ``writer_factory(out_dir,
    shard_index) -> ShardWriter`` (None: records are only counted), ``finalize(out_dir)`` run
    once all shards are done."""

    reader_factory: Callable[[str], Iterable[Record]]
    steps: Sequence[Step] = ()
    writer_factory: Callable[[Path, int], ShardWriter] | None = None
    finalize: Callable[[Path], object] | None = None

    def records(self, shard: Shard, world_size: int = 1) -> Iterator[Record]:
        """The records of ``shard`` after every step."""
        data: Iterable[Record] = self.reader_factory(shard.input)
        if shard.start or shard.stop is not None:
            data = itertools.islice(data, shard.start, shard.stop)
        for step in self.steps:
            data = step.run(data, rank=shard.index, world_size=world_size)
        yield from data

    def check_picklable(self) -> None:
        """Raise :class:`~rightsguard.errors.ConfigError` naming the part that cannot be
        pickled (a lambda, a local class, an open file …)."""
        parts: list[tuple[str, object]] = [("reader_factory", self.reader_factory),
                                           ("writer_factory", self.writer_factory),
                                           ("finalize", self.finalize)]
        parts += [(f"step {i} ({type(s).__name__})", s) for i, s in enumerate(self.steps)]
        problems = []
        for name, part in parts:
            try:
                pickle.dumps(part)
            except Exception as exc:  # pickle raises PicklingError, TypeError, AttributeError
                problems.append(f"{name}: {exc}")
        if problems:
            raise ConfigError("pipeline parts must be picklable to run in worker processes"
                              " (define them at module level): " + "; ".join(problems))


def _write_json_atomic(path: Path, data: dict[str, Any]) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    with open(tmp, "w", encoding="utf-8") as fh:
        json.dump(data, fh, indent=1, sort_keys=True)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)


def marker_path(out_dir: Path, shard: Shard) -> Path:
    return out_dir / DONE_DIR / f"{shard.index:05d}.json"


def run_shard(pipeline: Pipeline, shard: Shard, world_size: int, out_dir: str) -> ShardStats:
    """Run one shard unless its marker exists (then return the marker's stats, ``resumed``).

    The writer is aborted if a step raises, and the exception propagates (no marker)."""
    out = Path(out_dir)
    marker = marker_path(out, shard)
    if marker.is_file():
        return ShardStats.from_dict(json.loads(marker.read_text("utf-8"))["stats"], True)
    began = time.perf_counter()
    writer = pipeline.writer_factory(out, shard.index) if pipeline.writer_factory else None
    records = errors = size = 0
    try:
        for record in pipeline.records(shard, world_size):
            if writer is not None:
                writer.write(record)
            records += 1
            errors += record.error is not None
            size += record.size_bytes
    except BaseException:
        if writer is not None:
            writer.abort()
        raise
    if writer is not None:
        writer.close()
    stats = ShardStats(shard.index, shard.input, records, errors, size,
                       time.perf_counter() - began)
    marker.parent.mkdir(parents=True, exist_ok=True)
    _write_json_atomic(marker, {"schema_version": 1, "shard": shard.to_dict(),
                                "stats": stats.to_dict()})
    return stats


class Executor(abc.ABC):
    """Runs a pipeline's shards; subclasses say where (:meth:`_execute`)."""

    def run(self, pipeline: Pipeline, shards: Sequence[Shard], out_dir: str | os.PathLike[str],
            ) -> list[ShardStats]:
        """Run every shard not yet done, then ``pipeline.finalize``; stats in shard order.

        Raises :class:`~rightsguard.errors.InputError` when ``out_dir`` holds a run with another
        shard plan, :class:`~rightsguard.errors.ConfigError` when the pipeline cannot be
        pickled; an exception raised by a step propagates (shards finished before keep their
        markers)."""
        out = Path(out_dir)
        out.mkdir(parents=True, exist_ok=True)
        (out / DONE_DIR).mkdir(exist_ok=True)
        plan = {"schema_version": 1, "shards": [s.to_dict() for s in shards]}
        plan_file = out / PLAN_FILE
        if plan_file.is_file():
            old = json.loads(plan_file.read_text("utf-8"))
            if old != plan:
                raise InputError(f"{out}: holds a run of another shard plan ({plan_file});"
                                 " use a new output folder or delete it to start over")
        else:
            _write_json_atomic(plan_file, plan)
        done = {s.index: s for s in shards if marker_path(out, s).is_file()}
        pending = [s for s in shards if s.index not in done]
        stats = [run_shard(pipeline, s, len(shards), str(out)) for s in done.values()]
        if pending:
            pipeline.check_picklable()
            stats += self._execute(pipeline, pending, len(shards), out)
        if pipeline.finalize is not None:
            pipeline.finalize(out)
        return sorted(stats, key=lambda s: s.shard)

    @abc.abstractmethod
    def _execute(self, pipeline: Pipeline, shards: Sequence[Shard], world_size: int,
                 out: Path) -> list[ShardStats]:
        """Run ``shards`` (none has a marker) with :func:`run_shard`; return their stats."""
