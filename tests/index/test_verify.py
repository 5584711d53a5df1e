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


MATE = Path("/usr/share/backgrounds/mate/nature")


def test_damaged_image_indexes_are_found_and_a_write_rebuilds_them(tmp_path: Path) -> None:
    # a newcomer truncated images/pdq/codes.*.npy: verify said "no damage", check failed with
    # exit 2 and compact too; a damaged images/sift was rebuilt silently by every check
    import shutil

    from rightsguard.screen.api import Screener

    assert MATE.is_dir(), "Debian's mate-backgrounds is missing: scripts/test.sh installs it"
    (tmp_path / "works").mkdir()
    for name in ("Garden.jpg", "Aqua.jpg"):
        shutil.copy(MATE / name, tmp_path / "works" / name)
    idx = Index.open(tmp_path / "idx", create=True)
    idx.add(works_from(tmp_path / "works", licence="GPL-2.0-or-later"))
    assert idx.verify().problems == []
    (codes,) = (idx.path / "images" / "pdq").glob("codes.*.npy")
    codes.write_bytes(codes.read_bytes()[:-64])
    (docs,) = (idx.path / "images" / "sift").glob("docs.*.npy")
    docs.write_bytes(docs.read_bytes()[:-8])
    idx.close()
    idx = Index.open(tmp_path / "idx")
    problems = idx.verify().problems
    assert len(problems) == 2
    assert str(codes) in problems[0] and "rebuilds it in a temporary folder" in problems[0]
    assert str(docs) in problems[1] and "rebuilds it in memory" in problems[1]
    assert all("`rightsguard index compact`" in p for p in problems)
    # a reader rebuilds both for itself (check failed with exit 2 before) and writes nothing
    before = {f: f.stat().st_mtime_ns for f in (idx.path / "images").rglob("*")}
    result = Screener(idx).screen_image_path(MATE / "Aqua.jpg")
    assert [m.work.title for m in result.image_matches] == ["works/Aqua.jpg"]
    assert result.notes == ("the index's PDQ hash index is damaged: rebuilt from the registry "
                            "for this run (`rightsguard index compact` saves it)",)
    assert {f: f.stat().st_mtime_ns for f in (idx.path / "images").rglob("*")} == before
    idx.close()
    idx = Index.open(tmp_path / "idx")
    idx.compact()  # a write: both rebuilt from the registry, in place
    assert idx.verify().problems == []
    result = Screener(idx).screen_image_path(MATE / "Aqua.jpg")
    assert [m.work.title for m in result.image_matches] == ["works/Aqua.jpg"]
    assert result.notes == ()
