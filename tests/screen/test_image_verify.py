"""Verification of image copies with local features: crops, resizes and flips of real
photographs are confirmed with the copied region located in both images; different photographs
and a shared overlay alone are not."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
import skimage.data
from PIL import Image, ImageDraw, ImageFont

from rightsguard.errors import InputError
from rightsguard.fingerprint.image_features import LocalFeatures, extract_features
from rightsguard.screen.image_verify import MIN_INLIERS, Verification, verify


def _apply(h: np.ndarray, pts: np.ndarray) -> np.ndarray:
    hom = np.c_[pts, np.ones(len(pts))] @ h.T
    return hom[:, :2] / hom[:, 2:3]


def _corners(w: float, h: float, x0: float = 0, y0: float = 0) -> np.ndarray:
    """Corners of the ``w`` x ``h`` rectangle whose top-left corner is ``(x0, y0)``."""
    return np.array([[x0, y0], [x0 + w, y0], [x0 + w, y0 + h], [x0, y0 + h]], np.float64)


def _nearest(poly: tuple[tuple[float, float], ...], expected: np.ndarray) -> np.ndarray:
    """Distance from each expected vertex to the polygon's nearest vertex (pixels)."""
    p = np.array(poly)
    return np.linalg.norm(expected[:, None, :] - p[None, :, :], axis=2).min(axis=1)


def _area(poly: tuple[tuple[float, float], ...]) -> float:
    p = np.array(poly)
    x, y = p[:, 0], p[:, 1]
    return float(abs(np.dot(x, np.roll(y, -1)) - np.dot(y, np.roll(x, -1))) / 2)


@pytest.fixture(scope="module")
def coffee() -> np.ndarray:
    return np.asarray(skimage.data.coffee())  # 400 x 600 RGB


@pytest.fixture(scope="module")
def coffee_work(coffee: np.ndarray) -> LocalFeatures:
    return extract_features(coffee)


def _check(query_image: np.ndarray, work: LocalFeatures) -> Verification:
    v = verify(extract_features(query_image), work)
    assert v is not None
    assert v.inliers >= MIN_INLIERS and v.matches >= v.inliers
    assert v.inlier_ratio == pytest.approx(v.inliers / v.matches)
    assert v.score == pytest.approx(v.inlier_ratio * v.inliers / (v.inliers + MIN_INLIERS))
    assert 0 < v.score < 1
    return v


def test_known_crop_is_located_in_the_work(coffee: np.ndarray, coffee_work: LocalFeatures
                                           ) -> None:
    v = _check(coffee[100:300, 200:500], coffee_work)
    assert not v.flipped
    # the work polygon is the crop's rectangle (200, 100)-(500, 300) of the work
    assert _nearest(v.work_polygon, _corners(300, 200, 200, 100)).max() < 2.0
    assert len(v.work_polygon) == 4
    # the output polygon is the whole 300 x 200 output
    assert _nearest(v.output_polygon, _corners(300, 200)).max() < 1e-6
    assert v.output_coverage == pytest.approx(1.0)
    assert v.work_coverage == pytest.approx(300 * 200 / (600 * 400), abs=0.01)
    # inside the crop the homography is the translation by (-200, -100)
    inside = _corners(300, 200, 200, 100)
    assert np.abs(_apply(v.homography, inside) - _corners(300, 200)).max() < 2.0
    assert v.inlier_ratio > 0.8 and v.inliers > 40


def test_twice_the_size_maps_corners_to_twice_the_coordinates(coffee: np.ndarray,
                                                             coffee_work: LocalFeatures) -> None:
    big = cv2.resize(coffee, (1200, 800), interpolation=cv2.INTER_CUBIC)
    v = _check(big, coffee_work)
    assert not v.flipped
    assert np.abs(_apply(v.homography, _corners(600, 400)) - 2 * _corners(600, 400)).max() < 2.0
    assert _nearest(v.output_polygon, _corners(1200, 800)).max() < 2.0
    assert _nearest(v.work_polygon, _corners(600, 400)).max() < 1.0
    assert v.work_coverage > 0.99 and v.output_coverage > 0.99


def test_horizontal_flip_is_found_and_the_polygon_mirrored(coffee: np.ndarray,
                                                          coffee_work: LocalFeatures) -> None:
    v = _check(np.ascontiguousarray(coffee[:, ::-1]), coffee_work)
    assert v.flipped
    assert np.linalg.det(v.homography[:2, :2]) < 0
    # work (x, y) appears at (600 - x, y)
    pts = np.array([[0, 0], [600, 0], [600, 400], [0, 400], [123, 45], [300, 200]], np.float64)
    expected = np.c_[600 - pts[:, 0], pts[:, 1]]
    assert np.abs(_apply(v.homography, pts) - expected).max() < 2.0
    # vertex i of one polygon is vertex i of the other: mirrored x, same y
    wp, op = np.array(v.work_polygon), np.array(v.output_polygon)
    assert np.abs(op[:, 0] - (600 - wp[:, 0])).max() < 2.0
    assert np.abs(op[:, 1] - wp[:, 1]).max() < 2.0
    assert v.work_coverage > 0.99


def test_flipped_crop_of_a_rotated_copy(coffee: np.ndarray, coffee_work: LocalFeatures) -> None:
    # vertical flip (= horizontal flip + 180 degrees) of the crop (200, 100)-(500, 300)
    v = _check(np.ascontiguousarray(coffee[100:300, 200:500][::-1]), coffee_work)
    assert v.flipped
    assert _nearest(v.work_polygon, _corners(300, 200, 200, 100)).max() < 2.0
    # work point (250, 120) is at (50, 20) in the crop, (50, 200 - 20) after the flip
    assert np.abs(_apply(v.homography, np.array([[250.0, 120.0]])) - (50, 180)).max() < 2.0


def test_flips_can_be_turned_off(coffee: np.ndarray, coffee_work: LocalFeatures) -> None:
    q = extract_features(np.ascontiguousarray(coffee[:, ::-1]))
    assert verify(q, coffee_work, flips=False) is None


def test_screenshot_framing_locates_the_pasted_work(coffee_work: LocalFeatures,
                                                     coffee: np.ndarray) -> None:
    canvas = Image.new("RGB", (900, 700), (240, 240, 240))
    ImageDraw.Draw(canvas).rectangle((0, 0, 900, 40), fill=(40, 60, 90))
    canvas.paste(Image.fromarray(coffee).resize((450, 300), Image.Resampling.BILINEAR),
                 (100, 150))
    v = _check(np.asarray(canvas), coffee_work)
    assert _nearest(v.output_polygon, _corners(450, 300, 100, 150)).max() < 3.0
    assert _nearest(v.work_polygon, _corners(600, 400)).max() < 1.0
    assert v.output_coverage == pytest.approx(450 * 300 / (900 * 700), abs=0.01)


@pytest.mark.parametrize("work_name, query_name", [
    ("coffee", "chelsea"), ("chelsea", "coffee"), ("astronaut", "coffee"),
    ("coffee", "astronaut"), ("rocket", "astronaut"), ("astronaut", "rocket"),
])
def test_different_photographs_do_not_verify(work_name: str, query_name: str) -> None:
    work = extract_features(np.asarray(getattr(skimage.data, work_name)()))
    query = extract_features(np.asarray(getattr(skimage.data, query_name)()))
    assert verify(query, work) is None


def test_a_shared_caption_alone_is_not_a_copy(coffee: np.ndarray) -> None:
    # two different photographs under the same caption banner: the only matches are on the text
    def captioned(img: np.ndarray) -> np.ndarray:
        im = Image.fromarray(img).resize((600, 400))
        draw = ImageDraw.Draw(im)
        draw.rectangle((0, 300, 600, 400), fill=(0, 0, 0))
        draw.text((10, 315), "WHEN YOU SEE IT", fill=(255, 255, 255),
                  font=ImageFont.load_default(size=48))
        return np.asarray(im)

    work = extract_features(captioned(np.asarray(skimage.data.astronaut())))
    assert verify(extract_features(captioned(coffee)), work) is None


def test_featureless_inputs_do_not_verify(coffee_work: LocalFeatures) -> None:
    flat = extract_features(np.full((200, 300, 3), 90, np.uint8))
    assert len(flat) == 0
    assert verify(flat, coffee_work) is None
    assert verify(coffee_work, flat) is None


def test_bad_parameters_raise_input_error(coffee_work: LocalFeatures) -> None:
    with pytest.raises(InputError, match=r"ratio 1\.5"):
        verify(coffee_work, coffee_work, ratio=1.5)
    with pytest.raises(InputError, match="kind 'orb'"):
        verify(coffee_work, LocalFeatures(coffee_work.points, coffee_work.descriptors, 600, 400,
                                          coffee_work.scale, "orb"))
