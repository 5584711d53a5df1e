"""Partitioned search in the binary-hash index (FAISS binary IVF): with every list probed it is
the flat search; with fewer, it is the flat search over the rows of the probed lists; the
partition survives saving, reopening, adding and compaction; old indexes open unpartitioned."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from rightsguard.errors import IndexCorruptError, InputError
from rightsguard.index.images import MANIFEST, PROBE_SHARE, HashIndex, default_lists


def hamming(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Bit distances between every row of ``a`` (n, B) and the one code ``b`` (B,)."""
    return np.unpackbits(a ^ b, axis=1).sum(axis=1)


def brute(index: HashIndex, codes: np.ndarray, query: np.ndarray, k: int, max_distance: int,
          rows: np.ndarray) -> list[tuple[int, int, int]]:
    """Best (doc, variant, distance) per doc among the live ``rows`` within ``max_distance``,
    ranked by (distance, doc), first ``k`` — the index's documented answer."""
    dist = hamming(codes, query)
    best: dict[int, tuple[int, int]] = {}
    for r in rows:
        if index.alive[r] and dist[r] <= max_distance:
            doc, key = int(index.docs[r]), (int(dist[r]), int(index.variants[r]))
            best[doc] = min(best.get(doc, key), key)
    ranked = sorted((d, doc, v) for doc, (d, v) in best.items())
    return [(doc, v, d) for d, doc, v in ranked[:k]]


def triples(index: HashIndex, query: np.ndarray, k: int, max_distance: int
            ) -> list[tuple[int, int, int]]:
    return [(c.doc, c.variant, c.distance)
            for c in index.search(query[None], k=k, max_distance=max_distance)[0]]


@pytest.fixture
def filled(tmp_path: Path) -> tuple[HashIndex, np.ndarray]:
    """4,000 rows of 64-bit codes (400 docs × 10 variants), 50 docs removed."""
    index = HashIndex.create(tmp_path / "ph", bits=64, kind="phash")
    rng = np.random.default_rng(3)
    codes = rng.integers(0, 256, (4000, 8), dtype=np.uint8)
    index.add(codes, np.arange(4000, dtype=np.int64) // 10,
              (np.arange(4000) % 10).astype(np.int16))
    index.remove(range(0, 400, 8))
    return index, codes


def test_every_list_probed_is_the_flat_search(filled: tuple[HashIndex, np.ndarray]) -> None:
    index, _codes = filled
    queries = np.random.default_rng(4).integers(0, 256, (25, 8), dtype=np.uint8)
    flat = [index.search(q[None], k=12, max_distance=24) for q in queries]
    index.partition(40)
    assert (index.lists, index.nprobe) == (40, 40 // PROBE_SHARE)
    index.nprobe = 40
    assert [index.search(q[None], k=12, max_distance=24) for q in queries] == flat
    assert flat[0][0]  # the queries do find rows (24 of 64 bits is a wide radius)
    index.nprobe = 1  # one list: most answers change, unless the search is asked to be exact
    assert [index.search(q[None], k=12, max_distance=24) for q in queries] != flat
    assert [index.search(q[None], k=12, max_distance=24, exact=True) for q in queries] == flat
    assert [index.search_merged(q[None], k=12, max_distance=24, exact=True)
            for q in queries] == [f[0] for f in flat]


def test_fewer_lists_probed_is_the_flat_search_over_their_rows(
        filled: tuple[HashIndex, np.ndarray]) -> None:
    index, codes = filled
    index.partition(40)
    centroids, lists = index.centroids, index.row_lists
    # each row sits in (one of) its nearest centroid's lists
    for r in range(0, 4000, 97):
        assert hamming(centroids, codes[r])[lists[r]] == hamming(centroids, codes[r]).min()
    rng = np.random.default_rng(5)
    checked = 0
    for q in rng.integers(0, 256, (60, 8), dtype=np.uint8):
        to_centroids = hamming(centroids, q)
        order = np.argsort(to_centroids, kind="stable")
        p = index.nprobe  # 40 // PROBE_SHARE
        if to_centroids[order[p - 1]] == to_centroids[order[p]]:
            continue  # a tie at the cut: which list FAISS probes is its choice
        probed = np.flatnonzero(np.isin(lists, order[:p]))
        assert triples(index, q, 12, 26) == brute(index, codes, q, 12, 26, probed)
        checked += 1
    assert checked >= 10


def test_a_stored_code_always_finds_its_own_doc(filled: tuple[HashIndex, np.ndarray]) -> None:
    index, codes = filled
    index.partition(40)
    for r in (1, 999, 3333):  # docs 0 (row 1), 99, 333 — doc 0 was removed
        found = triples(index, codes[r], 1, 0)
        assert found == ([] if r // 10 % 8 == 0 else [(r // 10, r % 10, 0)])


def test_the_partition_is_saved_kept_by_add_and_compact(filled: tuple[HashIndex, np.ndarray]
                                                       ) -> None:
    index, codes = filled
    index.partition(32, seed=1)
    index.save()
    again = HashIndex.open(index.folder)
    assert again.lists == 32
    assert np.array_equal(again.centroids, index.centroids)
    assert np.array_equal(again.row_lists, index.row_lists)
    queries = np.random.default_rng(6).integers(0, 256, (10, 8), dtype=np.uint8)
    assert [triples(again, q, 5, 22) for q in queries] == [triples(index, q, 5, 22)
                                                            for q in queries]
    # added rows go to their nearest centroid; compaction keeps each live row's list
    new = np.random.default_rng(7).integers(0, 256, (30, 8), dtype=np.uint8)
    again.add(new, np.full(30, 900, np.int64), np.arange(30, dtype=np.int16))
    tail = again.row_lists[-30:]
    for code, lst in zip(new, tail, strict=True):
        assert hamming(again.centroids, code)[lst] == hamming(again.centroids, code).min()
    before = again.row_lists[again.alive].copy()
    assert again.compact() == 500
    assert np.array_equal(again.row_lists, before)
    again.nprobe = 32
    assert triples(again, new[4], 1, 0) == [(900, 4, 0)]
    assert triples(again, codes[0], 1, 0) == []  # doc 0 was removed and compacted away
    again.save()
    third = HashIndex.open(index.folder)
    assert (len(third), third.lists, third.tombstones) == (3530, 32, 0)


def test_unpartitioning_and_bad_lists(filled: tuple[HashIndex, np.ndarray]) -> None:
    index, _codes = filled
    with pytest.raises(InputError, match="nprobe is for a partitioned index"):
        index.nprobe = 3
    for bad in (-1, 3551, 2.5, True):
        with pytest.raises(InputError, match="lists is"):
            index.partition(bad)  # type: ignore[arg-type]
    index.partition(16)
    with pytest.raises(InputError, match=r"allowed: an integer in \[1, 16\]"):
        index.nprobe = 17
    index.partition(0)
    assert (index.lists, index.nprobe, set(index.row_lists.tolist())) == (0, 0, {-1})
    assert default_lists(100) == 64 and default_lists(40_000_000) == 1024
    assert default_lists(1_000_000) == 1000


def test_an_index_saved_before_partitioning_opens_unpartitioned(
        filled: tuple[HashIndex, np.ndarray]) -> None:
    index, codes = filled
    index.save()
    manifest_path = index.folder / MANIFEST
    manifest = json.loads(manifest_path.read_text())
    for name in ("lists", "centroids"):
        (index.folder / manifest["files"].pop(name)["name"]).unlink()
    manifest_path.write_text(json.dumps(manifest))
    old = HashIndex.open(index.folder)
    assert (old.lists, len(old), set(old.row_lists.tolist())) == (0, 4000, {-1})
    assert triples(old, codes[11], 1, 0) == [(1, 1, 0)]
    old.partition(20)
    old.save()
    assert HashIndex.open(index.folder).lists == 20


def test_a_damaged_list_file_is_corrupt(filled: tuple[HashIndex, np.ndarray]) -> None:
    index, _codes = filled
    index.partition(8)
    index.save()
    manifest = json.loads((index.folder / MANIFEST).read_text())
    path = index.folder / manifest["files"]["lists"]["name"]
    lists = np.load(path)
    lists[7] = 8  # only lists 0-7 exist
    np.save(path, lists)
    manifest["files"]["lists"]["bytes"] = path.stat().st_size
    (index.folder / MANIFEST).write_text(json.dumps(manifest))
    with pytest.raises(IndexCorruptError, match=r"list numbers outside \[0, 8\)"):
        HashIndex.open(index.folder, verify=False)
