"""Toy steps for the pipeline tests: module level, so spawned processes and Ray can import them."""

from __future__ import annotations

import functools
import json
import os
import signal
from collections.abc import Iterable, Iterator
from dataclasses import replace
from pathlib import Path

from rightsguard.corpus.records import read_jsonl
from rightsguard.corpus.sinks import ShardSink, merge_parts
from rightsguard.model import Record
from rightsguard.pipeline.base import Pipeline


class DropMultiplesOf:
    """Drops rows whose ``n`` is a multiple of ``k`` and records the rank it ran as."""

    def __init__(self, k: int) -> None:
        self.k = k

    def run(self, data: Iterable[Record], rank: int = 0, world_size: int = 1,
            ) -> Iterator[Record]:
        for record in data:
            if record.fields.get("n", 1) % self.k:
                yield replace(record, fields={**record.fields, "rank": f"{rank}/{world_size}"})


class KillAt:
    """SIGKILLs the whole process group when it sees record ``record_id`` (a crash mid-run)."""

    def __init__(self, record_id: str | None) -> None:
        self.record_id = record_id

    def run(self, data: Iterable[Record], rank: int = 0, world_size: int = 1,
            ) -> Iterator[Record]:
        for record in data:
            if record.id == self.record_id:
                os.killpg(os.getpgid(0), signal.SIGKILL)
            yield record


def write_inputs(folder: Path, files: int, rows: int) -> list[str]:
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for f in range(files):
        path = folder / f"in{f}.jsonl"
        path.write_text("".join(json.dumps({"text": f"file {f} row {n}", "n": n}) + "\n"
                                for n in range(rows)))
        paths.append(str(path))
    return paths


def toy_pipeline(kill_at: str | None = None) -> Pipeline:
    steps = [DropMultiplesOf(3)] + ([KillAt(kill_at)] if kill_at else [])
    return Pipeline(read_jsonl, steps, functools.partial(ShardSink.open, fmt="jsonl"),
                    merge_parts)
