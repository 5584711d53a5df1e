"""Several folder inputs with a file at the same relative path: an audit loses no allowed item.

``rightsguard audit repo1 repo2 -j JP`` with a README.md in both used to write both as allowed in
the manifest but only repo1's file to ``filtered/JP/data/`` and ``filtered/ALL/data/``. Each
folder input now keeps its own subtree ``data/<folder name>/`` (identical names numbered in input
order: ``repo``, ``repo-2``), so the filtered files match the manifest's allowed rows, also
after a killed audit is restarted.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pytest

from rightsguard.audit.run import audit
from rightsguard.pipeline.base import Pipeline, ShardStats, run_shard
from rightsguard.pipeline.local import LocalExecutor
from rightsguard.pipeline.shards import Shard
from rightsguard.report.manifest import read_manifest

README_ONE = b"# repo1\n\nThe first project's readme.\n"
README_TWO = b"# repo2\n\nA different readme at the same relative path.\n"


def _files(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def _allowed(out: Path, jurisdiction: str | None) -> int:
    """Manifest rows allowed in ``jurisdiction`` (None: in every jurisdiction, ``ALL``)."""
    return sum(1 for r in read_manifest(out)
               if r.decisions and all(d.verdict == "allow" for d in r.decisions
                                      if jurisdiction in (None, d.jurisdiction)))


def _check(out: Path, want: dict[str, bytes]) -> None:
    for j in ("JP", "ALL"):
        data = out / "filtered" / j / "data"
        assert _files(data) == want, j
        assert len(want) == _allowed(out, None if j == "ALL" else j), j


def test_same_relative_path_in_two_folders_keeps_both(tmp_path: Path) -> None:
    one, two = tmp_path / "repo1", tmp_path / "repo2"
    for folder, readme in ((one, README_ONE), (two, README_TWO)):
        (folder / "docs").mkdir(parents=True)
        (folder / "README.md").write_bytes(readme)
    (one / "docs" / "guide.txt").write_bytes(b"Only in repo1.\n")
    out = tmp_path / "out"
    audit([one, two], out=out, jurisdictions=("JP",), executor=LocalExecutor(workers=1))
    rows = {r.id: [d.verdict for d in r.decisions] for r in read_manifest(out)}
    assert rows == {f"folder:{one}#README.md": ["allow"], f"folder:{one}#docs/guide.txt": ["allow"],
                    f"folder:{two}#README.md": ["allow"]}
    _check(out, {"repo1/README.md": README_ONE, "repo1/docs/guide.txt": b"Only in repo1.\n",
                 "repo2/README.md": README_TWO})


class _KilledAfterOneShard(LocalExecutor):
    """Finishes one pending shard, then stops as a killed run would (no finalize)."""

    def _execute(self, pipeline: Pipeline, shards: Sequence[Shard], world_size: int,
                 out: Path) -> list[ShardStats]:
        run_shard(pipeline, shards[0], world_size, str(out))
        raise KeyboardInterrupt


def test_same_folder_names_are_numbered_and_a_restart_writes_the_same_files(
        tmp_path: Path) -> None:
    one, two = tmp_path / "a" / "repo", tmp_path / "b" / "repo"
    for folder, readme in ((one, README_ONE), (two, README_TWO)):
        folder.mkdir(parents=True)
        (folder / "README.md").write_bytes(readme)
        (folder / "LICENSE.txt").write_bytes(b"Plain text, no rights statement.\n" + readme)
    want = {"repo/README.md": README_ONE, "repo-2/README.md": README_TWO,
            "repo/LICENSE.txt": (one / "LICENSE.txt").read_bytes(),
            "repo-2/LICENSE.txt": (two / "LICENSE.txt").read_bytes()}
    whole = tmp_path / "whole"
    audit([one, two], out=whole, jurisdictions=("JP",), records_per_shard=1,
          executor=LocalExecutor(workers=2))
    _check(whole, want)
    killed = tmp_path / "killed"
    with pytest.raises(KeyboardInterrupt):
        audit([one, two], out=killed, jurisdictions=("JP",), records_per_shard=1,
              executor=_KilledAfterOneShard(workers=1))
    assert not (killed / "filtered" / "JP" / "data").exists()
    result = audit([one, two], out=killed, jurisdictions=("JP",), records_per_shard=1,
                   executor=LocalExecutor(workers=2))
    assert result.resumed == 1
    _check(killed, want)
