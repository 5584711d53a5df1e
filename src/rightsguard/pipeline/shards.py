"""Shards: the units of work of a pipeline run, planned deterministically from the inputs.

A shard is one input file, or (``records_per_shard=N``) the records ``[k·N, (k+1)·N)`` of one
input file in reader order. The plan depends only on the inputs, their order and N, so a
restarted run plans the same shards (it is written to ``OUT/plan.json`` and checked).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from rightsguard.model import Record

__all__ = ["Shard", "plan_shards"]


@dataclass(frozen=True, slots=True)
class Shard:
    """Shard ``index`` (0-based, its rank): records ``[start, stop)`` of ``input`` in reader
    order (``stop`` None = to the end)."""

    index: int
    input: str
    start: int = 0
    stop: int | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"index": self.index, "input": self.input, "start": self.start,
                "stop": self.stop}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Shard:
        return cls(int(data["index"]), str(data["input"]), int(data["start"]),
                   None if data["stop"] is None else int(data["stop"]))


def plan_shards(inputs: Sequence[str], *, records_per_shard: int | None = None,
                reader_factory: Callable[[str], Iterable[Record]] | None = None,
                ) -> list[Shard]:
    """One shard per input, or with ``records_per_shard`` (>= 1) one per N records of each
    input, counted by reading it once with ``reader_factory`` (required then). An input with no
    records still gets one (empty) shard. Raises ``ValueError`` for N < 1 or a missing
    factory."""
    if records_per_shard is None:
        return [Shard(i, str(path)) for i, path in enumerate(inputs)]
    if records_per_shard < 1:
        raise ValueError(f"records_per_shard must be >= 1, got {records_per_shard}")
    if reader_factory is None:
        raise ValueError("records_per_shard needs a reader_factory to count records")
    shards: list[Shard] = []
    for path in inputs:
        total = sum(1 for _ in reader_factory(str(path)))
        start = 0
        while True:
            stop = start + records_per_shard
            shards.append(Shard(len(shards), str(path), start, stop))
            start = stop
            if start >= total:
                break
    return shards
