"""Run audit steps over shards of a corpus, locally or on Ray, resumably (datatrove style).

* :class:`~rightsguard.pipeline.base.Step` — ``run(data, rank=0, world_size=1) -> Iterator``;
* :class:`~rightsguard.pipeline.base.Pipeline` — a reader factory, steps, a per-shard writer;
* :func:`~rightsguard.pipeline.shards.plan_shards` — one shard per input or per N records;
* :class:`~rightsguard.pipeline.local.LocalExecutor` (process pool, spawn) and
  :class:`~rightsguard.pipeline.ray.RayExecutor` (optional extra ``rightsguard[ray]``); both
  return :class:`~rightsguard.pipeline.base.ShardStats` per shard and skip shards whose
  ``done/<shard>.json`` marker exists.

Submodules are imported on first use (Ray is never imported unless asked for).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from rightsguard.pipeline.base import Executor, Pipeline, ShardStats, ShardWriter, Step
    from rightsguard.pipeline.local import LocalExecutor
    from rightsguard.pipeline.ray import RayExecutor
    from rightsguard.pipeline.shards import Shard, plan_shards

__all__ = [
    "Executor",
    "LocalExecutor",
    "Pipeline",
    "RayExecutor",
    "Shard",
    "ShardStats",
    "ShardWriter",
    "Step",
    "plan_shards",
]

_MODULES = {
    "Executor": "base", "Pipeline": "base", "ShardStats": "base", "ShardWriter": "base",
    "Step": "base", "LocalExecutor": "local", "RayExecutor": "ray", "Shard": "shards",
    "plan_shards": "shards",
}


def __getattr__(name: str) -> Any:
    module = _MODULES.get(name)
    if module is None:
        raise AttributeError(f"module 'rightsguard.pipeline' has no attribute {name!r}")
    return getattr(importlib.import_module(f"rightsguard.pipeline.{module}"), name)
