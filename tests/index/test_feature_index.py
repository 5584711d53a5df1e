"""The SIFT vote index (rightsguard.index.feature_index) on scikit-image's bundled photographs:
crops that keep half the picture, rotations and flips vote for the right work; save, load,
damage and catch-up."""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np
import pytest
from skimage import data as skdata

from rightsguard.errors import IndexCorruptError
from rightsguard.fingerprint.image_features import extract_features
from rightsguard.index.feature_index import MIN_VOTES, FeatureIndex, nlist_for

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


def test_nlist_follows_the_rows() -> None:
    # 2·sqrt(rows), at most rows/39 (FAISS's k-means wants 39 points per centroid), at least 1
    assert nlist_for(26_500) == 325
    assert nlist_for(500) == 12
    assert nlist_for(10) == 1


def test_half_crop_turned_ten_degrees_votes_for_its_photograph(stored) -> None:
    index = FeatureIndex.build(stored)
    assert len(index) == sum(len(b) - 24 for _d, b in stored) // 136
    for i, name in enumerate(PHOTOS[:4]):
        query = extract_features(_half_crop_rotated(_rgb(name)))
        found = index.candidates(query.descriptors, k=3)
        assert found[0].doc == 10 * (i + 1), name
        assert found[0].votes >= MIN_VOTES and not found[0].flipped
        # another photograph gets fewer chance votes (verification then decides)
        assert all(c.votes < found[0].votes for c in found[1:]), (name, found)


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


def test_saved_index_loads_and_damage_is_refused(stored, tmp_path: Path) -> None:
    index = FeatureIndex.build(stored[:3])
    index.append(FeatureIndex.rows_of(stored[3:]), last_doc=60)
    assert index.last_doc == 60 and index.trained_rows < len(index)
    query = extract_features(_half_crop_rotated(_rgb("rocket"))).descriptors
    before = index.candidates(query, k=3)
    assert before[0].doc == 40  # appended after training, still found
    index.save(tmp_path)
    again = FeatureIndex.load(tmp_path)
    assert again.candidates(query, k=3) == before and again.last_doc == 60
    # a second save replaces the first one's files: only the manifest and one data file stay
    again.save(tmp_path)
    assert len(list(tmp_path.iterdir())) == 2
    data = next(tmp_path.glob("ivf.*.faiss"))
    data.write_bytes(data.read_bytes()[:-8])
    with pytest.raises(IndexCorruptError, match=r"ivf\..*checksum"):
        FeatureIndex.load(tmp_path)
    manifest = json.loads((tmp_path / "manifest.json").read_text())
    manifest["params"]["nprobe"] = 1
    (tmp_path / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(IndexCorruptError, match="parameters"):
        FeatureIndex.load(tmp_path)


def test_retraining_is_due_when_rows_outgrow_the_training(stored) -> None:
    index = FeatureIndex.build(stored[:1])
    assert not index.needs_retraining()
    assert index.needs_retraining(extra_rows=4 * len(index))
    assert FeatureIndex.build([]).candidates(np.zeros((3, 128), np.uint8), k=1) == []
