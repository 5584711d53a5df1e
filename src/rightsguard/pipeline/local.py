"""Run shards in a local process pool (``multiprocessing`` spawn context).

Spawn, not fork: a forked child would inherit the parent's threads and open handles (Arrow, Ray,
SQLite) in whatever state they were, and macOS and Windows only spawn anyway. Each shard is one
task; results come back in completion order and are returned in shard order.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from rightsguard.errors import ConfigError
from rightsguard.pipeline.base import Executor, Pipeline, ShardStats, run_shard
from rightsguard.pipeline.shards import Shard

__all__ = ["LocalExecutor"]


class LocalExecutor(Executor):
    """Shards as tasks of a process pool of ``workers`` processes (default ``os.cpu_count()``).

    ``workers=1`` runs the shards one after another in the calling process (no pool to start,
    easier to debug); the outputs are the same. Raises
    :class:`~rightsguard.errors.ConfigError` for ``workers < 1``."""

    def __init__(self, workers: int | None = None) -> None:
        workers = (os.cpu_count() or 1) if workers is None else workers
        if workers < 1:
            raise ConfigError(f"LocalExecutor workers must be >= 1, got {workers}")
        self.workers = workers

    def _execute(self, pipeline: Pipeline, shards: Sequence[Shard], world_size: int,
                 out: Path) -> list[ShardStats]:
        if self.workers == 1 or len(shards) == 1:
            return [run_shard(pipeline, s, world_size, str(out)) for s in shards]
        context = multiprocessing.get_context("spawn")
        pool = ProcessPoolExecutor(max_workers=min(self.workers, len(shards)),
                                   mp_context=context)
        try:
            futures = [pool.submit(run_shard, pipeline, s, world_size, str(out))
                       for s in shards]
            results = [f.result() for f in futures]
        except BaseException:
            # Ctrl-C, SIGTERM (raised as SystemExit by the CLI) or a failing shard: stop now.
            # Queued shards are cancelled and running workers killed; shards without a marker
            # are redone by the next run, so nothing finished is lost.
            workers = list(getattr(pool, "_processes", {}).values())
            pool.shutdown(wait=False, cancel_futures=True)
            for proc in workers:
                proc.kill()
            for proc in workers:
                proc.join(5)
            raise
        pool.shutdown()
        return results
