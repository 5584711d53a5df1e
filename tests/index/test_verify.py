"""``Index.verify``: damage that ``check`` would not notice is found and named.

A newcomer wrote random bytes into a segment's ``h.npy`` (same size) and ``check`` kept
answering "clean": checksums are recorded when a segment is written and verified on demand."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import numpy as np
import pytest
from stdlib_inputs import copy_files, stdlib_files

from rightsguard.errors import IndexCorruptError
from rightsguard.index.segments import CHECKSUM
from rightsguard.index.sources import works_from
from rightsguard.index.store import Index


@pytest.fixture
def index(tmp_path: Path) -> Index:
    copy_files(stdlib_files(3), tmp_path / "src")
    idx = Index.open(tmp_path / "idx", create=True)
    assert idx.add(works_from(tmp_path / "src"), workers=1).added == 3
    return idx


def _segment(idx: Index, channel: str) -> Path:
    (name,) = [n for n, c, _g, _p in idx.registry.segments() if c == channel]
    return idx.path / "channels" / channel / name


def test_a_sound_index_has_no_problems(index: Index) -> None:
    report = index.verify()
    assert report.problems == []
    assert report.works == 3
    segments = index.registry.segments()
    assert report.segments == len(segments) >= 3
    assert report.postings == sum(p for _n, _c, _g, p in segments)
    meta = json.loads((_segment(index, "code-exact") / "segment.json").read_text())
    assert meta["checksum"] == CHECKSUM and sorted(meta["checksums"]) == ["d.npy", "h.npy",
                                                                           "p.npy"]


def test_bytes_changed_in_place_are_found(index: Index) -> None:
    path = _segment(index, "code-exact") / "h.npy"
    data = bytearray(path.read_bytes())
    data[200:210] = bytes(range(10))  # past the .npy header: postings
    path.write_bytes(bytes(data))
    assert index.verify().problems == [
        f"{path}: its bytes do not match the checksum recorded when it was written (damaged)"]


def test_an_unsorted_segment_without_checksums_is_found(index: Index) -> None:
    folder = _segment(index, "code-normalised")
    meta = json.loads((folder / "segment.json").read_text())
    del meta["checksum"], meta["checksums"]  # as written before checksums were recorded
    (folder / "segment.json").write_text(json.dumps(meta))
    h = np.load(folder / "h.npy")
    h[[0, -1]] = h[[-1, 0]]  # the largest hash first
    np.save(folder / "h.npy", h)
    assert index.verify().problems == [
        f"{folder / 'h.npy'}: postings are not sorted by hash and document"]


def test_a_damaged_stored_source_is_found(index: Index) -> None:
    db = index.path / "registry.sqlite"
    with sqlite3.connect(db) as conn:
        doc, work_id, blob = conn.execute(
            "SELECT c.doc, w.work_id, c.data FROM content c JOIN works w ON w.doc = c.doc "
            "ORDER BY c.doc LIMIT 1").fetchone()
        damaged = bytearray(blob)
        damaged[-5] ^= 0xFF  # inside the zstd frame's checksummed data
        conn.execute("UPDATE content SET data = ? WHERE doc = ?", (bytes(damaged), doc))
    index.registry.refresh()
    (problem,) = index.verify().problems
    assert problem.startswith(f"registry {index.registry.url}: document {doc} "
                              f"(work {work_id[:12]}): ")


def test_a_merge_does_not_copy_damage_into_a_new_segment(index: Index) -> None:
    path = _segment(index, "code-exact") / "h.npy"
    data = bytearray(path.read_bytes())
    data[-4:] = b"\xff\xff\xff\xff"
    path.write_bytes(bytes(data))
    before = index.registry.segments()
    with pytest.raises(IndexCorruptError, match="its bytes do not match the checksum"):
        index.compact()
    assert index.registry.segments() == before  # nothing committed
    assert path.exists()
