"""Document frequencies for the idiom stoplist, counted from sorted segments (by hand)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from rightsguard.index.segments import Segment, write_segment
from rightsguard.index.store import document_frequencies


def _segment(folder: Path, postings: list[tuple[int, int, int]]) -> Segment:
    h, d, p = (np.asarray(col, dtype=np.uint32) for col in zip(*postings, strict=True))
    write_segment(folder, h, d, p, {})  # sorts by (hash, document, position)
    return Segment.open(folder, {})


def test_frequencies_count_documents_not_postings_and_add_up_across_segments(
        tmp_path: Path) -> None:
    # segment 1: documents 1 and 2; hash 7 twice in document 1 (two positions), once in 2
    one = _segment(tmp_path / "g1", [(7, 1, 0), (9, 2, 5), (7, 1, 40), (7, 2, 3), (5, 1, 8)])
    # segment 2: documents 3 and 4; hash 7 in both, hash 11 three times in document 4
    two = _segment(tmp_path / "g2", [(11, 4, 1), (7, 3, 2), (11, 4, 9), (7, 4, 0), (11, 4, 30)])
    hashes, counts = document_frequencies([one, two], np.empty(0, np.uint32))
    # 5: {1}; 7: {1, 2} + {3, 4}; 9: {2}; 11: {4}
    assert hashes.tolist() == [5, 7, 9, 11]
    assert counts.tolist() == [1, 4, 1, 1]


def test_removed_documents_do_not_count(tmp_path: Path) -> None:
    one = _segment(tmp_path / "g1", [(7, 1, 0), (7, 2, 0), (9, 2, 1), (3, 2, 4)])
    two = _segment(tmp_path / "g2", [(7, 3, 0), (9, 3, 6)])
    hashes, counts = document_frequencies([one, two], np.asarray([2], dtype=np.uint32))
    # document 2 gone: hash 3 was only there; 7 keeps 1 and 3; 9 keeps 3
    assert hashes.tolist() == [7, 9]
    assert counts.tolist() == [2, 1]
    hashes, counts = document_frequencies([one, two], np.asarray([1, 2, 3], dtype=np.uint32))
    assert hashes.tolist() == [] and counts.tolist() == []


def test_frequencies_equal_distinct_pairs_on_a_random_collection(tmp_path: Path) -> None:
    rng = np.random.default_rng(7)
    segments, pairs = [], set()
    for g, docs in enumerate(((1, 40), (40, 90), (90, 100))):
        rows = [(int(rng.integers(0, 50)), int(rng.integers(*docs)), int(rng.integers(0, 9)))
                for _ in range(400)]
        segments.append(_segment(tmp_path / f"g{g}", rows))
        pairs |= {(h, d) for h, d, _p in rows if d % 7}
    removed = np.asarray([d for d in range(1, 100) if d % 7 == 0], dtype=np.uint32)
    hashes, counts = document_frequencies(segments, removed)
    expected: dict[int, int] = {}
    for h, _d in pairs:
        expected[h] = expected.get(h, 0) + 1
    assert dict(zip(hashes.tolist(), counts.tolist(), strict=True)) == expected
    assert hashes.tolist() == sorted(expected)
