from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from toy_steps import DropMultiplesOf, toy_pipeline, write_inputs

from rightsguard.corpus.records import read_jsonl
from rightsguard.errors import ConfigError, InputError
from rightsguard.pipeline.base import Pipeline, ShardStats
from rightsguard.pipeline.local import LocalExecutor
from rightsguard.pipeline.ray import RayExecutor
from rightsguard.pipeline.shards import Shard, plan_shards

HERE = Path(__file__).parent


def _expected_lines(files: int, rows: int) -> list[str]:
    return [json.dumps({"text": f"file {f} row {n}", "n": n})
            for f in range(files) for n in range(rows) if n % 3]


def test_plan_shards_per_file_and_per_n(tmp_path: Path) -> None:
    inputs = write_inputs(tmp_path / "in", files=2, rows=5)
    assert plan_shards(inputs) == [Shard(0, inputs[0]), Shard(1, inputs[1])]
    assert plan_shards(inputs, records_per_shard=2, reader_factory=read_jsonl) == [
        Shard(0, inputs[0], 0, 2), Shard(1, inputs[0], 2, 4), Shard(2, inputs[0], 4, 6),
        Shard(3, inputs[1], 0, 2), Shard(4, inputs[1], 2, 4), Shard(5, inputs[1], 4, 6)]
    with pytest.raises(ValueError, match="records_per_shard must be >= 1, got 0"):
        plan_shards(inputs, records_per_shard=0, reader_factory=read_jsonl)


def test_steps_get_rank_and_world_size(tmp_path: Path) -> None:
    inputs = write_inputs(tmp_path / "in", files=1, rows=7)
    pipeline = Pipeline(read_jsonl, [DropMultiplesOf(3)])
    shards = plan_shards(inputs, records_per_shard=4, reader_factory=read_jsonl)
    out = list(pipeline.records(shards[1], world_size=2))
    assert [(r.fields["n"], r.fields["rank"]) for r in out] == [(4, "1/2"), (5, "1/2")]


def test_local_pool_per_n_shards(tmp_path: Path) -> None:
    inputs = write_inputs(tmp_path / "in", files=2, rows=10)
    shards = plan_shards(inputs, records_per_shard=4, reader_factory=read_jsonl)
    out = tmp_path / "out"
    stats = LocalExecutor(workers=2).run(toy_pipeline(), shards, out)
    assert (out / "data.jsonl").read_text().splitlines() == _expected_lines(2, 10)
    assert [(s.shard, s.records, s.errors, s.resumed) for s in stats] == [
        (0, 2, 0, False), (1, 3, 0, False), (2, 1, 0, False),   # rows 1,2 | 4,5,7 | 8
        (3, 2, 0, False), (4, 3, 0, False), (5, 1, 0, False)]
    first = stats[0]
    assert first.bytes == len(b"file 0 row 1") + len(b"file 0 row 2") and first.seconds > 0
    marker = json.loads((out / "done" / "00000.json").read_text())
    assert marker["shard"] == {"index": 0, "input": inputs[0], "start": 0, "stop": 4}
    assert ShardStats.from_dict(marker["stats"]).records == 2
    again = LocalExecutor(workers=2).run(toy_pipeline(), shards, out)  # everything done
    assert all(s.resumed for s in again)
    assert [s.records for s in again] == [s.records for s in stats]
    with pytest.raises(InputError, match="holds a run of another shard plan"):
        LocalExecutor(workers=2).run(toy_pipeline(), plan_shards(inputs), out)


def test_unpicklable_pipeline_and_bad_settings(tmp_path: Path) -> None:
    inputs = write_inputs(tmp_path / "in", files=1, rows=2)
    pipeline = Pipeline(lambda path: read_jsonl(path))
    with pytest.raises(ConfigError, match=r"reader_factory: .*lambda"):
        LocalExecutor(workers=2).run(pipeline, plan_shards(inputs), tmp_path / "out")
    with pytest.raises(ConfigError, match="workers must be >= 1, got 0"):
        LocalExecutor(workers=0)


def test_ray_missing_gives_install_hint(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "ray", None)  # import ray -> ImportError
    with pytest.raises(ConfigError, match=r"pip install 'rightsguard\[ray\]'"):
        RayExecutor()


def test_ray_and_local_give_identical_outputs(tmp_path: Path) -> None:
    import ray

    inputs = write_inputs(tmp_path / "in", files=4, rows=12)
    shards = plan_shards(inputs)
    local = LocalExecutor(workers=2).run(toy_pipeline(), shards, tmp_path / "local")
    began = time.monotonic()
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False,
             runtime_env={"env_vars": {"PYTHONPATH": str(HERE)}})
    try:
        remote = RayExecutor().run(toy_pipeline(), shards, tmp_path / "ray")
    finally:
        ray.shutdown()
    assert time.monotonic() - began < 60
    assert (tmp_path / "ray" / "data.jsonl").read_bytes() == \
        (tmp_path / "local" / "data.jsonl").read_bytes()
    assert (tmp_path / "local" / "data.jsonl").read_text().splitlines() == \
        _expected_lines(4, 12)
    assert [(s.shard, s.records, s.errors, s.bytes) for s in remote] == \
        [(s.shard, s.records, s.errors, s.bytes) for s in local]


def test_sigkill_mid_run_then_restart_equals_uninterrupted(tmp_path: Path) -> None:
    inputs = write_inputs(tmp_path / "in", files=6, rows=30)
    LocalExecutor(workers=2).run(toy_pipeline(), plan_shards(inputs), tmp_path / "whole")
    rng = random.Random(20250101)
    shard, row = rng.randrange(2, 5), rng.choice([n for n in range(30) if n % 3])
    kill_id = f"jsonl:{inputs[shard]}#{row + 1}"
    out = tmp_path / "killed"
    script = [sys.executable, str(HERE / "run_toy.py"), str(tmp_path / "in"), str(out)]
    crashed = subprocess.run([*script, kill_id], start_new_session=True, timeout=120,
                             capture_output=True)
    assert crashed.returncode == -signal.SIGKILL, crashed.stderr.decode()
    done = {p.name: p.stat().st_mtime_ns for p in (out / "done").glob("*.json")}
    # shards run two at a time, so one before the killed shard had finished, and not all did
    assert 0 < len(done) < 6 and not (out / "data.jsonl").exists()
    rerun = subprocess.run(script, timeout=120, capture_output=True)
    assert rerun.returncode == 0, rerun.stderr.decode()
    assert (out / "data.jsonl").read_bytes() == (tmp_path / "whole" / "data.jsonl").read_bytes()
    assert sorted(os.listdir(out / "parts")) == [f"part-{i:05d}.jsonl" for i in range(6)]
    # finished shards were skipped, not redone
    assert {name: (out / "done" / name).stat().st_mtime_ns for name in done} == done
