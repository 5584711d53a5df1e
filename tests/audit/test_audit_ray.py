"""``--executor ray`` (issue #3 part 6): the same steps on a single-node Ray instance
(``ray.init(num_cpus=2)``: Ray has no local mode any more) give the same manifest rows and the
same filtered data as the local process pool."""

from __future__ import annotations

import time
from pathlib import Path

from audit_corpus import write_crawl, write_lists
from rightsguard.audit.run import audit
from rightsguard.pipeline.local import LocalExecutor
from rightsguard.pipeline.ray import RayExecutor
from rightsguard.report.manifest import read_manifest, record_to_row


def test_ray_and_local_give_the_same_manifest_rows(tmp_path: Path) -> None:
    path, _ids = write_crawl(tmp_path / "in")
    lists = write_lists(tmp_path / "in")
    options = {"piracy": lists["piracy"], "provider": lists["provider"],
               "records_per_shard": 4}
    local = audit([path], out=tmp_path / "local", executor=LocalExecutor(workers=2), **options)
    began = time.monotonic()
    # RayExecutor owns the instance it starts: ray.init(num_cpus=2) … ray.shutdown()
    remote = audit([path], out=tmp_path / "ray", executor=RayExecutor(num_cpus=2), **options)
    assert time.monotonic() - began < 60
    rows = [record_to_row(r) for r in read_manifest(tmp_path / "ray")]
    assert rows == [record_to_row(r) for r in read_manifest(tmp_path / "local")]
    assert len(rows) == 15 and len(remote.shards) == 4  # 15 items, 4 per shard
    for name in ("manifest.parquet", "excluded.parquet", "review.parquet",
                 "filtered/EU/data.warc.gz", "filtered/JP/data.warc.gz", "eu-summary.md",
                 "eu-summary.json", "jp-checklist.md"):
        assert (tmp_path / "ray" / name).read_bytes() == (tmp_path / "local" / name).read_bytes()
    assert remote.report["decisions"] == local.report["decisions"]
    assert [(s.shard, s.records, s.errors, s.bytes) for s in remote.shards] == [
        (s.shard, s.records, s.errors, s.bytes) for s in local.shards]
