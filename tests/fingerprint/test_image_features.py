"""SIFT local features of images: coordinates in original pixels, mirrored descriptors, and the
versioned byte format the index stores."""

from __future__ import annotations

import struct

import cv2
import numpy as np
import pytest
import skimage.data

from rightsguard.errors import IndexCorruptError, InputError
from rightsguard.fingerprint.image_features import (
    DESCRIPTOR_BYTES,
    FORMAT_VERSION,
    MIRROR_PERMUTATION,
    LocalFeatures,
    extract_features,
)


@pytest.fixture(scope="module")
def coffee() -> np.ndarray:
    return np.asarray(skimage.data.coffee())  # 400 x 600 RGB


@pytest.fixture(scope="module")
def coffee_features(coffee: np.ndarray) -> LocalFeatures:
    return extract_features(coffee)


def test_features_of_a_photograph(coffee_features: LocalFeatures) -> None:
    f = coffee_features
    assert (f.width, f.height, f.kind) == (600, 400, "sift")
    assert f.scale == pytest.approx(512 / 600, abs=1e-3)  # longest side brought to 512 px
    assert 400 <= len(f) <= 500
    assert f.points.dtype == np.float32 and f.points.shape == (len(f), 2)
    assert f.descriptors.dtype == np.uint8 and f.descriptors.shape == (len(f), DESCRIPTOR_BYTES)
    assert f.points[:, 0].min() >= 0 and f.points[:, 0].max() <= 600
    assert f.points[:, 1].min() >= 0 and f.points[:, 1].max() <= 400


def test_points_are_in_pixels_of_the_original(coffee: np.ndarray,
                                              coffee_features: LocalFeatures) -> None:
    # the same photograph at twice the size is detected at 512 px too: its keypoints must come
    # back at twice the coordinates of the 600 px original's (nearest one within 2 px)
    big = cv2.resize(coffee, (1200, 800), interpolation=cv2.INTER_CUBIC)
    fb = extract_features(big)
    assert (fb.width, fb.height) == (1200, 800)
    assert fb.scale == pytest.approx(512 / 1200, abs=1e-3)
    half = fb.points / 2
    d = np.linalg.norm(half[:, None, :] - coffee_features.points[None, :, :], axis=2).min(axis=1)
    assert np.median(d) < 1.0
    assert np.mean(d < 2.0) > 0.5


def test_grey_input_and_no_downscale() -> None:
    camera = np.asarray(skimage.data.camera())  # 512 x 512 grey
    f = extract_features(camera, max_side=1024, n_features=100)
    assert (f.width, f.height, f.scale) == (512, 512, 1.0)
    assert len(f) == 100


def test_flat_image_uses_the_low_contrast_retry() -> None:
    flat = np.full((64, 64), 128, np.uint8)
    assert len(extract_features(flat)) == 0
    moon = np.asarray(skimage.data.moon())  # low contrast: 95 keypoints at 0.04 (measured)
    assert len(extract_features(moon)) > 125  # more than n_features / 4 after the retry


def test_mirrored_descriptors_match_the_mirrored_image(coffee: np.ndarray) -> None:
    grey = cv2.cvtColor(coffee, cv2.COLOR_RGB2GRAY)
    sift = cv2.SIFT_create(nfeatures=200)
    kps, des = sift.detectAndCompute(grey, None)
    w = grey.shape[1]
    mirrored_kps = [cv2.KeyPoint(w - 1 - k.pt[0], k.pt[1], k.size, (180 - k.angle) % 360,
                                 k.response, k.octave) for k in kps]
    _, mdes = sift.compute(np.ascontiguousarray(grey[:, ::-1]), mirrored_kps)
    permuted = np.linalg.norm(des[:, MIRROR_PERMUTATION] - mdes, axis=1)
    unpermuted = np.linalg.norm(des - mdes, axis=1)
    assert np.median(permuted) < 0.25 * np.median(unpermuted)
    f = LocalFeatures(np.zeros((len(des), 2), np.float32), des.astype(np.uint8), w, 400, 1.0)
    assert np.array_equal(f.mirrored_descriptors(), des.astype(np.uint8)[:, MIRROR_PERMUTATION])
    assert sorted(MIRROR_PERMUTATION.tolist()) == list(range(128))


def test_bytes_round_trip_exactly(coffee_features: LocalFeatures) -> None:
    blob = coffee_features.to_bytes()
    assert len(blob) == 24 + len(coffee_features) * (8 + 128)
    back = LocalFeatures.from_bytes(blob, name="work abc")
    assert np.array_equal(back.points, coffee_features.points)
    assert np.array_equal(back.descriptors, coffee_features.descriptors)
    assert (back.width, back.height, back.kind) == (600, 400, "sift")
    assert back.scale == np.float32(coffee_features.scale)
    assert back.to_bytes() == blob
    empty = LocalFeatures(np.zeros((0, 2), np.float32), np.zeros((0, 128), np.uint8), 9, 9, 1.0)
    assert len(LocalFeatures.from_bytes(empty.to_bytes(), name="e")) == 0


@pytest.mark.parametrize("damage, message", [
    (lambda b: b[:-1], "expected"),
    (lambda b: b[:10], "shorter than the 24-byte header"),
    (lambda b: b + b"\0", "expected"),
    (lambda b: b"XXXX" + b[4:], "magic"),
    (lambda b: b[:4] + bytes([FORMAT_VERSION + 1]) + b[5:], "format version"),
    (lambda b: b[:5] + b"\x07" + b[6:], "kind code 7"),
    (lambda b: b[:24] + struct.pack("<f", float("nan")) + b[28:], "outside"),
])
def test_corrupt_blobs_raise_naming_the_work(coffee_features: LocalFeatures, damage, message
                                             ) -> None:
    blob = damage(coffee_features.to_bytes())
    with pytest.raises(IndexCorruptError, match=f"local features of work-42: .*{message}"):
        LocalFeatures.from_bytes(blob, name="work-42")


@pytest.mark.parametrize("image, message", [
    (np.zeros((32, 32, 3), np.float32), "dtype float32, expected uint8"),
    (np.zeros((32, 32, 4), np.uint8), r"shape \(32, 32, 4\)"),
    (np.zeros((4, 100), np.uint8), "100x4 px, both sides must be at least 8 px"),
    ([[1, 2], [3, 4]], "expected a numpy array, got list"),
])
def test_bad_images_raise_input_error(image, message: str) -> None:
    with pytest.raises(InputError, match=f"^generated.png: {message}"):
        extract_features(image, name="generated.png")


def test_bad_parameters_raise_input_error() -> None:
    img = np.zeros((32, 32), np.uint8)
    with pytest.raises(InputError, match="max_side 8 px"):
        extract_features(img, max_side=8)
    with pytest.raises(InputError, match="n_features 0"):
        extract_features(img, n_features=0)
