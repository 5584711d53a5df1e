"""Run shards as Ray tasks (optional extra: ``pip install 'rightsguard[ray]'``).

The same :func:`~rightsguard.pipeline.base.run_shard` runs in each task, so markers, part
files and outputs are exactly those of :class:`~rightsguard.pipeline.local.LocalExecutor`.
Ray has no local mode any more: on one machine it starts a single-node cluster
(``ray.init(num_cpus=…)``). Workers must be able to import the pipeline's steps: install the
package, or pass ``runtime_env={"env_vars": {"PYTHONPATH": …}}`` for steps defined elsewhere.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from rightsguard.errors import ConfigError
from rightsguard.pipeline.base import Executor, Pipeline, ShardStats, run_shard
from rightsguard.pipeline.shards import Shard

__all__ = ["INSTALL_HINT", "RayExecutor"]

INSTALL_HINT = "pip install 'rightsguard[ray]'"


class RayExecutor(Executor):
    """Shards as Ray tasks of ``cpus_per_task`` CPUs each.

    Uses the Ray instance already initialised in the process if there is one; otherwise it
    calls ``ray.init(address=address, num_cpus=num_cpus, runtime_env=runtime_env)`` for the
    run and shuts Ray down after it. Raises :class:`~rightsguard.errors.ConfigError` at
    construction when Ray is not installed (with the install hint) or ``cpus_per_task`` < 1.
    """

    def __init__(self, *, address: str | None = None, num_cpus: int | None = None,
                 cpus_per_task: float = 1, runtime_env: dict[str, Any] | None = None) -> None:
        try:
            import ray  # noqa: F401
        except ImportError as exc:
            raise ConfigError(f"the Ray executor needs Ray, which is not installed:"
                              f" {INSTALL_HINT}") from exc
        if cpus_per_task < 1:
            raise ConfigError(f"cpus_per_task must be >= 1, got {cpus_per_task}")
        self.address = address
        self.num_cpus = num_cpus
        self.cpus_per_task = cpus_per_task
        self.runtime_env = runtime_env

    def _execute(self, pipeline: Pipeline, shards: Sequence[Shard], world_size: int,
                 out: Path) -> list[ShardStats]:
        import ray

        owned = not ray.is_initialized()
        if owned:
            ray.init(address=self.address, num_cpus=self.num_cpus, runtime_env=self.runtime_env,
                     include_dashboard=False, log_to_driver=False)
        try:
            task = ray.remote(num_cpus=self.cpus_per_task, max_retries=0)(run_shard)
            pipeline_ref = ray.put(pipeline)
            refs = [task.remote(pipeline_ref, s, world_size, str(out)) for s in shards]
            return list(ray.get(refs))
        finally:
            if owned:
                ray.shutdown()
