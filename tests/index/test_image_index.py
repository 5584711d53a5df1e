"""The binary-hash index of image works: exact Hamming distances and order, per-doc dedupe,
tombstones that never come back, compaction, reopening, settings and corruption checks, and a
save that survives SIGKILL."""

from __future__ import annotations

import json
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from rightsguard.errors import IndexCorruptError, IndexError_, IndexMismatchError, InputError
from rightsguard.index.images import MANIFEST, Candidate, HashIndex


def flip(code: np.ndarray, n: int, rng: np.random.Generator) -> np.ndarray:
    """``code`` (uint8 bytes) with exactly ``n`` distinct bits flipped: Hamming distance ``n``."""
    bits = np.unpackbits(code)
    bits[rng.choice(bits.size, n, replace=False)] ^= 1
    return np.packbits(bits)


def rows(codes: list[np.ndarray], docs: list[int], variants: list[int]
         ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    return (np.stack(codes).astype(np.uint8), np.array(docs, np.int64),
            np.array(variants, np.int16))


def triples(found: list[Candidate]) -> list[tuple[int, int, int]]:
    return [(c.doc, c.variant, c.distance) for c in found]


def noise(index: HashIndex, rng: np.random.Generator, n: int = 1000, first_doc: int = 10_000
          ) -> None:
    """``n`` random works: for 256-bit codes about 128 bits from any query (the nearest of 1,000
    is about 100 bits away), far beyond the distances the tests plant."""
    index.add(rng.integers(0, 256, (n, index.bits // 8), dtype=np.uint8),
              np.arange(first_doc, first_doc + n, dtype=np.int64), np.zeros(n, np.int16))


@pytest.fixture
def pdq(tmp_path: Path) -> HashIndex:
    return HashIndex.create(tmp_path / "pdq", bits=256, kind="pdq", params={"variants": 8})


def test_planted_distances_come_back_exactly_and_in_order(pdq: HashIndex) -> None:
    rng = np.random.default_rng(1)
    q = rng.integers(0, 256, 32, dtype=np.uint8)
    flips = {10: 64, 11: 0, 12: 20, 13: 3, 14: 7}
    pdq.add(*rows([flip(q, n, rng) for n in flips.values()], list(flips), [0] * 5))
    noise(pdq, rng)
    found = pdq.search(q[None], k=5)
    assert triples(found[0]) == [(11, 0, 0), (13, 0, 3), (14, 0, 7), (12, 0, 20), (10, 0, 64)]
    # max_distance is inclusive: 7 keeps doc 14, 6 drops it (range path below bits / 4) ...
    assert [c.doc for c in pdq.search(q[None], k=5, max_distance=7)[0]] == [11, 13, 14]
    assert [c.doc for c in pdq.search(q[None], k=5, max_distance=6)[0]] == [11, 13]
    # ... and on the k-NN path (max_distance >= bits / 4)
    assert [c.doc for c in pdq.search(q[None], k=9, max_distance=64)[0]] == [11, 13, 14, 12, 10]
    assert [c.doc for c in pdq.search(q[None], k=9, max_distance=63)[0]] == [11, 13, 14, 12]


def test_phash_64_bits(tmp_path: Path) -> None:
    index = HashIndex.create(tmp_path / "ph", bits=64, kind="phash")
    rng = np.random.default_rng(2)
    q = rng.integers(0, 256, 8, dtype=np.uint8)
    index.add(*rows([flip(q, 5, rng), flip(q, 2, rng), flip(q, 9, rng)], [3, 1, 2], [0, 0, 0]))
    noise(index, rng, first_doc=100)
    assert triples(index.search(q[None], k=3)[0]) == [(1, 0, 2), (3, 0, 5), (2, 0, 9)]


def test_ties_sort_by_doc_also_at_the_cut(pdq: HashIndex) -> None:
    rng = np.random.default_rng(3)
    q = rng.integers(0, 256, 32, dtype=np.uint8)
    pdq.add(*rows([flip(q, 6, rng) for _ in range(3)], [50, 20, 35], [0, 0, 0]))
    noise(pdq, rng)
    assert triples(pdq.search(q[None], k=3)[0]) == [(20, 0, 6), (35, 0, 6), (50, 0, 6)]
    assert triples(pdq.search(q[None], k=2)[0]) == [(20, 0, 6), (35, 0, 6)]


def test_each_doc_once_with_its_nearest_variant(pdq: HashIndex) -> None:
    rng = np.random.default_rng(4)
    q = rng.integers(0, 256, 32, dtype=np.uint8)
    # doc 3: variants 0, 1, 2 at 9, 4, 4 bits -> variant 1 (smallest of the two nearest);
    # doc 5: 200 variants, all nearer than doc 6, must not crowd doc 6 out of k=2.
    codes = [flip(q, 9, rng), flip(q, 4, rng), flip(q, 4, rng)]
    pdq.add(*rows(codes, [3, 3, 3], [2, 1, 2]))
    pdq.add(*rows([flip(q, 5 + i % 10, rng) for i in range(200)], [5] * 200, list(range(200))))
    pdq.add(*rows([flip(q, 30, rng)], [6], [7]))
    noise(pdq, rng)
    assert triples(pdq.search(q[None], k=3)[0]) == [(3, 1, 4), (5, 0, 5), (6, 7, 30)]


def test_several_query_rows_answer_separately(pdq: HashIndex) -> None:
    rng = np.random.default_rng(5)
    q = rng.integers(0, 256, (2, 32), dtype=np.uint8)
    pdq.add(*rows([flip(q[0], 1, rng), flip(q[1], 2, rng)], [1, 2], [0, 4]))
    noise(pdq, rng)
    found = pdq.search(q, k=1)
    assert found == [[Candidate(1, 0, 1, 0)], [Candidate(2, 4, 2, 1)]]


def test_search_merged_ranks_docs_by_their_best_query_row(pdq: HashIndex) -> None:
    rng = np.random.default_rng(6)
    q = rng.integers(0, 256, (3, 32), dtype=np.uint8)  # e.g. a query image and two flips
    pdq.add(*rows([flip(q[1], 2, rng), flip(q[0], 11, rng), flip(q[2], 4, rng),
                   flip(q[0], 3, rng)], [7, 7, 8, 9], [0, 1, 3, 0]))
    noise(pdq, rng)
    merged = pdq.search_merged(q, k=3)
    assert merged == [Candidate(7, 0, 2, 1), Candidate(9, 0, 3, 0), Candidate(8, 3, 4, 2)]
    assert pdq.search_merged(q, k=2, max_distance=2) == [Candidate(7, 0, 2, 1)]


def test_matches_brute_force_with_heavy_ties(tmp_path: Path) -> None:
    """8-bit codes: nine possible distances, so most results tie; every answer must equal a
    brute-force ranking by (distance, doc, variant) over the live rows."""
    index = HashIndex.create(tmp_path / "b8", bits=8, kind="test")
    rng = np.random.default_rng(7)
    n = 3000
    codes = rng.integers(0, 256, (n, 1), dtype=np.uint8)
    docs = rng.integers(0, 700, n).astype(np.int64)
    variants = rng.integers(0, 20, n).astype(np.int16)
    index.add(codes, docs, variants)
    index.remove(rng.integers(0, 700, 300))
    queries = rng.integers(0, 256, (20, 1), dtype=np.uint8)

    def brute(qc: np.ndarray, k: int, max_distance: int | None) -> list[tuple[int, int, int]]:
        dist = np.unpackbits(codes ^ qc, axis=1).sum(axis=1)
        ok = index.alive & (dist <= (8 if max_distance is None else max_distance))
        best: dict[int, tuple[int, int]] = {}
        for r in np.flatnonzero(ok):
            key = (int(dist[r]), int(variants[r]))
            best[int(docs[r])] = min(best.get(int(docs[r]), key), key)
        ranked = sorted((d, doc, v) for doc, (d, v) in best.items())
        return [(doc, v, d) for d, doc, v in ranked[:k]]

    for k in (1, 7, 60, 500):
        for max_distance in (None, 1, 5):
            found = index.search(queries, k=k, max_distance=max_distance)
            assert [triples(f) for f in found] == [brute(qc, k, max_distance) for qc in queries]


def test_tombstoned_docs_never_return_even_when_nearest(pdq: HashIndex) -> None:
    rng = np.random.default_rng(8)
    q = rng.integers(0, 256, 32, dtype=np.uint8)
    pdq.add(*rows([q], [1], [0]))  # distance 0
    # 300 docs at 1..3 bits: all nearer than the live ones, all removed below
    pdq.add(*rows([flip(q, 1 + i % 3, rng) for i in range(300)], list(range(100, 400)),
                  [0] * 300))
    pdq.add(*rows([flip(q, 10, rng), flip(q, 12, rng)], [7, 8], [0, 0]))
    noise(pdq, rng)
    assert pdq.remove([1, *range(100, 400), 424242]) == 301
    assert (len(pdq), pdq.tombstones, pdq.live_rows) == (1303, 301, 1002)
    assert triples(pdq.search(q[None], k=2)[0]) == [(7, 0, 10), (8, 0, 12)]
    assert triples(pdq.search(q[None], k=2, max_distance=20)[0]) == [(7, 0, 10), (8, 0, 12)]
    assert triples(pdq.search(q[None], k=2, max_distance=100)[0]) == [(7, 0, 10), (8, 0, 12)]
    assert pdq.search(q[None], k=5, max_distance=5) == [[]]
    assert pdq.remove([1]) == 0  # already removed


def test_remove_then_add_the_same_doc(pdq: HashIndex) -> None:
    rng = np.random.default_rng(9)
    q = rng.integers(0, 256, 32, dtype=np.uint8)
    pdq.add(*rows([flip(q, 50, rng)], [9], [0]))
    with pytest.raises(InputError, match="docs 9 already have live rows"):
        pdq.add(*rows([q], [9], [0]))
    pdq.remove([9])
    pdq.add(*rows([flip(q, 40, rng), flip(q, 2, rng)], [9, 9], [0, 1]))
    assert triples(pdq.search(q[None], k=3)[0]) == [(9, 1, 2)]
    pdq.compact()
    assert triples(pdq.search(q[None], k=3)[0]) == [(9, 1, 2)]
    assert pdq.docs.tolist() == [9, 9] and pdq.live_docs().tolist() == [9]


def test_compact_keeps_live_rows_and_distances(pdq: HashIndex) -> None:
    rng = np.random.default_rng(10)
    codes = rng.integers(0, 256, (500, 32), dtype=np.uint8)
    docs = np.repeat(np.arange(100, dtype=np.int64), 5)
    variants = np.tile(np.arange(5, dtype=np.int16), 100)
    pdq.add(codes, docs, variants)
    removed = np.arange(0, 100, 3)
    pdq.remove(removed)
    queries = np.stack([flip(codes[i], 4, rng) for i in (1, 7, 13, 494)])
    before = pdq.search(queries, k=4)
    assert pdq.compact() == 5 * removed.size
    keep = ~np.isin(docs, removed)
    assert (len(pdq), pdq.tombstones) == (int(keep.sum()), 0)
    assert np.array_equal(pdq.codes(), codes[keep])
    assert np.array_equal(pdq.docs, docs[keep]) and np.array_equal(pdq.variants, variants[keep])
    assert pdq.search(queries, k=4) == before
    # row 1 is doc 0 (removed); rows 7, 13, 494 are docs 1, 2, 98, variants 2, 3, 4, at 4 bits
    assert [f[0] for f in before[1:]] == [Candidate(1, 2, 4, 1), Candidate(2, 3, 4, 2),
                                          Candidate(98, 4, 4, 3)]
    assert all(c.doc % 3 for c in before[0])
    assert pdq.compact() == 0


def test_reopen_equals_before_and_unsaved_changes_stay_in_memory(pdq: HashIndex) -> None:
    rng = np.random.default_rng(11)
    pdq.add(rng.integers(0, 256, (300, 32), dtype=np.uint8),
            np.arange(300, dtype=np.int64) // 3, np.arange(300, dtype=np.int16) % 3)
    pdq.remove([4, 50])
    pdq.save()
    queries = rng.integers(0, 256, (5, 32), dtype=np.uint8)
    again = HashIndex.open(pdq.folder, bits=256, kind="pdq", params={"variants": 8})
    assert again.info() == pdq.info()
    assert (again.generation, len(again), again.tombstones) == (1, 300, 6)
    for name in ("docs", "variants", "alive"):
        assert np.array_equal(getattr(again, name), getattr(pdq, name))
    assert np.array_equal(again.codes(), pdq.codes())
    assert again.search(queries, k=10) == pdq.search(queries, k=10)
    # the reopened index keeps working: tombstones written after a memory-mapped load
    again.remove([5])
    again.add(rng.integers(0, 256, (2, 32), dtype=np.uint8), np.array([5, 5]),
              np.array([0, 1], np.int16))
    assert HashIndex.open(pdq.folder).tombstones == 6  # not saved yet
    again.save()
    third = HashIndex.open(pdq.folder)
    assert (len(third), third.tombstones, third.docs[-2:].tolist()) == (302, 9, [5, 5])
    names = sorted(p.name for p in pdq.folder.iterdir())
    assert names == [".write-lock", "alive.g2.npy", "centroids.g0.npy", "codes.g2.npy",
                     "docs.g2.npy", "lists.g2.npy", MANIFEST, "variants.g2.npy"]


def test_save_rewrites_only_changed_files(pdq: HashIndex) -> None:
    pdq.add(np.zeros((3, 32), np.uint8), np.arange(3, dtype=np.int64), np.zeros(3, np.int16))
    pdq.save()
    pdq.remove([1])
    pdq.save()
    files = json.loads((pdq.folder / MANIFEST).read_text())["files"]
    assert {k: v["name"] for k, v in files.items()} == {
        "alive": "alive.g2.npy", "codes": "codes.g1.npy", "docs": "docs.g1.npy",
        "variants": "variants.g1.npy", "lists": "lists.g1.npy", "centroids": "centroids.g0.npy"}
    pdq.save()  # nothing changed
    assert HashIndex.open(pdq.folder).generation == 2
    # what a killed save leaves behind goes with the next save
    for stray in (".manifest.json.tmp", ".codes.g3.npy.tmp", "docs.g3.npy"):
        (pdq.folder / stray).write_bytes(b"half")
    pdq.remove([2])
    pdq.save()
    assert sorted(p.name for p in pdq.folder.iterdir()) == [
        ".write-lock", "alive.g3.npy", "centroids.g0.npy", "codes.g1.npy", "docs.g1.npy",
        "lists.g1.npy", MANIFEST, "variants.g1.npy"]


def test_opening_with_other_settings_is_an_error(pdq: HashIndex) -> None:
    with pytest.raises(IndexMismatchError, match=r"kind 'pdq' \(requested 'phash'\)"):
        HashIndex.open(pdq.folder, kind="phash")
    with pytest.raises(IndexMismatchError, match=r"bits 256 \(requested 64\)"):
        HashIndex.open(pdq.folder, bits=64, kind="pdq")
    with pytest.raises(IndexMismatchError, match="params"):
        HashIndex.open(pdq.folder, params={"variants": 16})
    manifest = json.loads((pdq.folder / MANIFEST).read_text())
    (pdq.folder / MANIFEST).write_text(json.dumps({**manifest, "version": 99}))
    with pytest.raises(IndexMismatchError, match="format version 99"):
        HashIndex.open(pdq.folder)


def saved(pdq: HashIndex) -> dict[str, Path]:
    pdq.add(np.ones((40, 32), np.uint8), np.arange(40, dtype=np.int64), np.zeros(40, np.int16))
    pdq.save()
    files = json.loads((pdq.folder / MANIFEST).read_text())["files"]
    return {name: pdq.folder / f["name"] for name, f in files.items()}


def test_truncated_file_is_corrupt_and_named(pdq: HashIndex) -> None:
    path = saved(pdq)["codes"]
    path.write_bytes(path.read_bytes()[:-32])
    with pytest.raises(IndexCorruptError, match=r"codes\.g1\.npy: 1376 bytes, manifest.json "
                                                r"says 1408"):
        HashIndex.open(pdq.folder)


def test_altered_file_fails_its_checksum(pdq: HashIndex) -> None:
    path = saved(pdq)["docs"]
    data = bytearray(path.read_bytes())
    data[-8] ^= 1
    path.write_bytes(bytes(data))
    with pytest.raises(IndexCorruptError, match=r"docs\.g1\.npy: SHA-256 differs"):
        HashIndex.open(pdq.folder)
    assert HashIndex.open(pdq.folder, verify=False).docs[-1] == 38  # 39 with bit 0 flipped


def test_missing_files_and_bad_manifest_are_corrupt(pdq: HashIndex) -> None:
    saved(pdq)["variants"].unlink()
    with pytest.raises(IndexCorruptError, match=r"variants\.g1\.npy: missing"):
        HashIndex.open(pdq.folder)
    (pdq.folder / MANIFEST).write_text("{not json")
    with pytest.raises(IndexCorruptError, match=r"manifest\.json: unreadable"):
        HashIndex.open(pdq.folder)
    (pdq.folder / MANIFEST).write_text(json.dumps({"format": "rightsguard.hash-index",
                                                   "version": 1, "kind": "pdq"}))
    with pytest.raises(IndexCorruptError, match="malformed keys: bits, params, generation"):
        HashIndex.open(pdq.folder)
    (pdq.folder / MANIFEST).unlink()
    with pytest.raises(IndexCorruptError, match=r"manifest\.json: missing"):
        HashIndex.open(pdq.folder)
    with pytest.raises(IndexError_, match="no such folder"):
        HashIndex.open(pdq.folder / "nope")


def test_bad_input_names_every_problem(pdq: HashIndex) -> None:
    with pytest.raises(InputError) as err:
        pdq.add(np.zeros((2, 8), np.uint8), np.zeros(2, np.int32), np.zeros(3, np.int16))
    message = str(err.value)
    assert "codes is array of dtype uint8 and shape (2, 8); allowed: a uint8 array of shape " \
           "(n, 32)" in message
    assert "docs is array of dtype int32 and shape (2,); allowed: a 1-D int64 array" in message
    assert "variants has 3 rows, codes has 2; allowed: equal" in message
    with pytest.raises(InputError, match=r"variants holds -1; allowed: values >= 0"):
        pdq.add(np.zeros((1, 32), np.uint8), np.zeros(1, np.int64), np.full(1, -1, np.int16))
    with pytest.raises(InputError) as err:
        pdq.search(np.zeros((1, 32), np.uint8), k=0, max_distance=300)
    assert "k is 0" in str(err.value) and "max_distance is 300" in str(err.value)
    with pytest.raises(InputError, match="codes is list"):
        pdq.search([[0] * 32], k=1)  # type: ignore[arg-type]
    with pytest.raises(InputError, match="bits is 12; allowed: a positive multiple of 8"):
        HashIndex.create(pdq.folder.parent / "x", bits=12, kind="pdq")
    with pytest.raises(IndexError_, match="already holds a hash index"):
        HashIndex.create(pdq.folder, bits=256, kind="pdq")
    assert len(pdq) == 0


def test_empty_index_and_empty_queries(pdq: HashIndex) -> None:
    assert pdq.search(np.zeros((1, 32), np.uint8), k=3) == [[]]
    assert pdq.search(np.zeros((0, 32), np.uint8), k=3) == []
    assert pdq.search_merged(np.zeros((2, 32), np.uint8), k=3) == []


def test_a_second_writer_is_refused(pdq: HashIndex) -> None:
    other = HashIndex.open(pdq.folder)
    pdq.add(np.zeros((1, 32), np.uint8), np.zeros(1, np.int64), np.zeros(1, np.int16))
    pdq.save()
    other.add(np.zeros((1, 32), np.uint8), np.ones(1, np.int64), np.zeros(1, np.int16))
    with pytest.raises(IndexError_, match="saved by another writer"):
        other.save()
    assert HashIndex.open(pdq.folder).docs.tolist() == [0]


#: Step ``s`` of the crash test: add doc ``s`` (400 variants), remove doc ``s - 2``, and compact
#: every fourth step. The live docs after step ``s`` are ``s - 1`` and ``s``, so the largest doc
#: number of a saved state tells which step it is.
STEP = '''
import numpy as np

def step(index, s):
    rng = np.random.default_rng(s)
    index.add(rng.integers(0, 256, (400, 32), dtype=np.uint8), np.full(400, s, np.int64),
              np.arange(400, dtype=np.int16))
    index.remove([s - 2])
    if s % 4 == 3:
        index.compact()
'''
CHILD = STEP + '''
import sys
from rightsguard.index.images import HashIndex

index = HashIndex.open(sys.argv[1], kind="pdq", bits=256)
s = int(index.docs.max()) + 1 if len(index) else 0
while True:
    step(index, s)
    index.save()
    print(s, flush=True)
    s += 1
'''


def test_sigkill_during_saves_leaves_a_saved_state(tmp_path: Path) -> None:
    folder = tmp_path / "idx"
    HashIndex.create(folder, bits=256, kind="pdq")
    namespace: dict[str, object] = {}
    exec(STEP, namespace)
    step = namespace["step"]
    pause = random.Random(12)
    for attempt in range(5):
        child = subprocess.Popen([sys.executable, "-c", CHILD, str(folder)],
                                 stdout=subprocess.PIPE, text=True)
        assert child.stdout is not None
        first = child.stdout.readline()  # one save done: the folder has changed
        assert first.strip().isdigit(), "the child failed before its first save"
        time.sleep(pause.uniform(0, 0.05))
        child.send_signal(signal.SIGKILL)
        child.wait()
        confirmed = int(([first, *child.stdout.read().split()])[-1])
        child.stdout.close()

        index = HashIndex.open(folder, kind="pdq", bits=256)  # verifies every checksum
        last = int(index.docs.max())
        assert confirmed <= last <= confirmed + 1  # the last confirmed save, or one in flight
        expected = HashIndex.create(tmp_path / f"expected{attempt}", bits=256, kind="pdq")
        for s in range(last + 1):
            step(expected, s)  # type: ignore[operator]
        assert np.array_equal(index.codes(), expected.codes())
        for name in ("docs", "variants", "alive"):
            assert np.array_equal(getattr(index, name), getattr(expected, name))
        assert index.live_docs().tolist() == ([last - 1, last] if last else [0])
    index.remove([last])
    index.save()  # removes whatever the last kill left half-written
    listed = json.loads((folder / MANIFEST).read_text())["files"]
    assert {p.name for p in folder.iterdir()} == {
        ".write-lock", MANIFEST, *(f["name"] for f in listed.values())}
