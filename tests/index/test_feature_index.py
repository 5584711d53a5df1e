"""The SIFT vote index (rightsguard.index.feature_index: visual words in an inverted file) on
scikit-image's bundled photographs: crops that keep half the picture, rotations and flips vote
for the right work; stop words; save, load, damage and retraining."""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np
import pytest
from skimage import data as skdata

from rightsguard.errors import IndexCorruptError
from rightsguard.fingerprint.image_features import extract_features
from rightsguard.index import feature_index
from rightsguard.index.feature_index import (
    MIN_VOTES,
    FeatureIndex,
    full_sample,
    measure_votes,
    nbits_for,
)

PHOTOS = ("astronaut", "coffee", "chelsea", "rocket", "camera", "immunohistochemistry")


def _rgb(name: str) -> np.ndarray:
    a = getattr(skdata, name)()
    return np.stack([a] * 3, -1) if a.ndim == 2 else np.ascontiguousarray(a[..., :3])


@pytest.fixture(scope="module")
def stored() -> list[tuple[int, bytes]]:
    # document numbers 10, 20, ... as the registry would give them
    return [(10 * (i + 1), extract_features(_rgb(n)).to_bytes()) for i, n in enumerate(PHOTOS)]


def _half_crop_rotated(rgb: np.ndarray) -> np.ndarray:
    h, w = rgb.shape[:2]
    crop = rgb[h // 8: h // 8 + int(h * 0.707), w // 5: w // 5 + int(w * 0.707)]
    ch, cw = crop.shape[:2]
    turn = cv2.getRotationMatrix2D((cw / 2, ch / 2), 10, 1.0)
    return np.asarray(cv2.warpAffine(crop, turn, (cw, ch)), np.uint8)


def test_vocabulary_size_follows_the_training_rows() -> None:
    # bits per half-descriptor: floor(log2(rows)) (k-means needs a row per centroid), 1..10
    assert nbits_for(3000) == 10 and nbits_for(1024) == 10 and nbits_for(1023) == 9
    assert nbits_for(600) == 9 and nbits_for(2) == 1 and nbits_for(0) == 1
    assert full_sample() == 64 * 1024


def test_half_crop_turned_ten_degrees_votes_for_its_photograph(stored) -> None:
    index = FeatureIndex.build(stored)
    rows = sum(len(x) for _d, x in FeatureIndex.rows_of(stored))
    assert index.words == 4 ** 10 and index.trained_rows == rows
    # one posting per distinct word of a work: at most one per descriptor
    assert 0 < len(index) <= rows
    assert sum(index.listed(d) for d, _b in stored) == len(index) and index.listed(11) == 0
    for i, name in enumerate(PHOTOS[:4]):
        query = extract_features(_half_crop_rotated(_rgb(name)))
        found = index.candidates(query.descriptors, k=3)
        assert found[0].doc == 10 * (i + 1), name
        assert found[0].votes >= MIN_VOTES and not found[0].flipped
        # ranked by votes / sqrt(the work's words)
        for c in found:
            assert c.score == pytest.approx(c.votes / index.listed(c.doc) ** 0.5)
        assert all(c.score < found[0].score for c in found[1:]), (name, found)


def test_a_mirrored_copy_votes_through_the_mirrored_descriptors(stored) -> None:
    index = FeatureIndex.build(stored)
    query = extract_features(np.ascontiguousarray(_rgb("coffee")[:, ::-1]))
    best = index.candidates(query.descriptors, k=1)[0]
    assert best.doc == 20 and best.flipped


def test_removed_and_excluded_works_are_left_out(stored) -> None:
    index = FeatureIndex.build(stored)
    query = extract_features(_rgb("rocket")).descriptors
    assert index.candidates(query, k=1)[0].doc == 40
    assert 40 not in [c.doc for c in index.candidates(query, k=6, removed=[40])]
    assert 40 not in [c.doc for c in index.candidates(query, k=6, exclude=[40])]
    with pytest.raises(ValueError, match="descriptors"):
        index.candidates(query.astype(np.float32), k=1)


def test_words_most_works_list_do_not_vote(stored, monkeypatch) -> None:
    # astronaut's features under five document numbers: each of its words lists 5 works
    astronaut = stored[0][1]
    items = [*stored, *((100 + i, astronaut) for i in range(4))]
    query = extract_features(_half_crop_rotated(_rgb("astronaut"))).descriptors
    coffee = extract_features(_half_crop_rotated(_rgb("coffee"))).descriptors
    index = FeatureIndex.build(items)
    assert {c.doc for c in index.candidates(query, k=5)} == {10, 100, 101, 102, 103}
    monkeypatch.setattr(feature_index, "STOP_MIN_WORKS", 4)  # > 4 works: a stop word
    index = FeatureIndex.build(items)
    assert not {10, 100, 101, 102, 103} & {c.doc for c in index.candidates(query, k=5)}
    assert index.candidates(coffee, k=1)[0].doc == 20


def test_saved_index_loads_and_damage_is_refused(stored, tmp_path: Path) -> None:
    index = FeatureIndex.build(stored[:3])
    index.append(FeatureIndex.rows_of(stored[3:]), last_doc=60)
    assert index.last_doc == 60 and index.works == 6
    assert index.appended_rows == sum(len(x) for _d, x in FeatureIndex.rows_of(stored[3:]))
    query = extract_features(_half_crop_rotated(_rgb("coffee"))).descriptors
    before = index.candidates(query, k=3)
    assert before[0].doc == 20
    index.save(tmp_path)
    again = FeatureIndex.load(tmp_path)
    assert again.candidates(query, k=3) == before and again.last_doc == 60
    assert (again.works, again.appended_rows, len(again)) == (6, index.appended_rows, len(index))
    # a second save replaces the first one's files: the manifest and three data files stay
    again.save(tmp_path)
    assert sorted(p.name.split(".")[0] for p in tmp_path.iterdir()) == [
        "docs", "manifest", "offsets", "vocabulary"]
    data = next(tmp_path.glob("docs.*.npy"))
    data.write_bytes(data.read_bytes()[:-8])
    with pytest.raises(IndexCorruptError, match=r"docs\..*checksum"):
        FeatureIndex.load(tmp_path)
    manifest = json.loads((tmp_path / "manifest.json").read_text())
    manifest["params"]["max_nbits"] = 9
    (tmp_path / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(IndexCorruptError, match="parameters"):
        FeatureIndex.load(tmp_path)


def test_appended_works_join_the_end_of_their_words_lists(stored) -> None:
    index = FeatureIndex.build(stored[:3])
    index.append(FeatureIndex.rows_of(stored[3:]), last_doc=60)
    # the same vocabulary listing all six at once: the same lists, each in document order
    whole = FeatureIndex(index._vocabulary, last_doc=0, trained_rows=index.trained_rows)
    whole.append(FeatureIndex.rows_of(stored), last_doc=60)
    assert np.array_equal(index._offsets, whole._offsets)
    assert np.array_equal(index._docs, whole._docs)
    lists = np.split(index._docs, index._offsets[1:-1])
    assert all(np.all(np.diff(x.astype(np.int64)) > 0) for x in lists if x.size > 1)
    assert sum(x.size for x in lists) == len(index) == sum(index.listed(d) for d, _ in stored)


def test_build_reads_its_items_twice_and_samples_a_large_collection(stored, monkeypatch) -> None:
    from_list = FeatureIndex.build(stored)
    from_iterator = FeatureIndex.build(iter(stored))  # read into a list first
    from_function = FeatureIndex.build(lambda: iter(stored))  # asked afresh for each pass
    for index in (from_iterator, from_function):
        assert np.array_equal(index._docs, from_list._docs) and index.works == 6
    # a training sample smaller than the collection: a reservoir of 1,024 of its ~2,900 rows
    monkeypatch.setattr(feature_index, "_TRAIN_PER_CENTROID", 1)
    rows = sum(len(x) for _d, x in FeatureIndex.rows_of(stored))
    assert full_sample() == 1024 < rows
    sampled = FeatureIndex.build(lambda: iter(stored))
    assert sampled.trained_rows == rows and sampled.words == 4 ** 10 and sampled.works == 6
    for i, name in enumerate(PHOTOS[:4]):
        query = extract_features(_half_crop_rotated(_rgb(name))).descriptors
        assert sampled.candidates(query, k=1)[0].doc == 10 * (i + 1), name


def test_retraining_is_due_until_the_vocabulary_had_its_full_sample(stored) -> None:
    index = FeatureIndex.build(stored[:1])
    assert not index.needs_retraining()
    assert index.needs_retraining(extra_rows=1)  # trained on 500 rows: refit on every addition
    index.trained_rows = full_sample()  # as if trained on the full sample: grow 4× first
    assert not index.needs_retraining(extra_rows=3 * full_sample())
    assert index.needs_retraining(extra_rows=3 * full_sample() + 1)
    empty = FeatureIndex.build([])
    assert empty.words == 0 and empty.candidates(np.zeros((3, 128), np.uint8), k=1) == []
    assert empty.needs_retraining(extra_rows=2) and not empty.needs_retraining(extra_rows=1)


def test_measured_vote_search_lists_the_synthetic_postings() -> None:
    timing = measure_votes(40, per_work=30, queries=2, train_works=40)
    assert (timing.works, timing.rows) == (40, 1200)
    assert timing.bytes == 8 * (4 ** 10 + 1) + 4 * 1200  # offsets + document numbers
