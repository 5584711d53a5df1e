"""Dense verification of image copies: soft and low-texture pictures (mate-backgrounds) and
their crops are confirmed with the copied region located; different pictures, flat images and
smooth gradients are not."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest
import skimage.data
from PIL import Image, ImageEnhance

from rightsguard.fingerprint.image import load_image
from rightsguard.screen.image_dense import DenseVerification, dense_verify

MATE = Path("/usr/share/backgrounds/mate")


def _mate(rel: str) -> np.ndarray:
    return np.asarray(load_image(MATE / rel).rgb)


def _jpeg(rgb: np.ndarray, quality: int = 50) -> np.ndarray:
    buf = io.BytesIO()
    Image.fromarray(rgb).save(buf, "JPEG", quality=quality)
    return np.asarray(Image.open(io.BytesIO(buf.getvalue())).convert("RGB"))


def _apply(h: np.ndarray, pts: np.ndarray) -> np.ndarray:
    hom = np.c_[pts, np.ones(len(pts))] @ h.T
    return hom[:, :2] / hom[:, 2:3]


def _corners(x0: float, y0: float, x1: float, y1: float) -> np.ndarray:
    return np.array([[x0, y0], [x1, y0], [x1, y1], [x0, y1]], np.float64)


def test_jpeg_crop_of_a_soft_picture_is_located() -> None:
    # Ubuntu-Mate-Cold: a blurred aurora (SIFT finds too few keypoints on such pictures);
    # keep 70% of the area at an offset that no stored crop variant lines up with exactly
    work = _mate("desktop/Ubuntu-Mate-Cold-no-logo.png")
    h, w = work.shape[:2]
    cw, ch = round(w * 0.7 ** 0.5), round(h * 0.7 ** 0.5)
    x0, y0 = 301, 97
    query = _jpeg(work[y0:y0 + ch, x0:x0 + cw])
    v = dense_verify(query, work, box=(160, 102, 1760, 1178))  # a 74%-area stored crop
    assert isinstance(v, DenseVerification)
    # the work's crop box appears as the whole query: its corners map to the query's corners
    err = np.linalg.norm(_apply(v.homography, _corners(x0, y0, x0 + cw, y0 + ch))
                         - _corners(0, 0, cw, ch), axis=1)
    assert err.max() < 4.0
    assert v.output_coverage > 0.99
    assert abs(v.work_coverage - cw * ch / (w * h)) < 0.01
    wp = np.array(v.work_polygon)
    assert np.abs(wp.min(axis=0) - (x0, y0)).max() < 4.0
    assert np.abs(wp.max(axis=0) - (x0 + cw, y0 + ch)).max() < 4.0
    assert 0.0 <= v.score <= 1.0 and v.correlation > 0.9


@pytest.mark.parametrize("edit", ["grey", "colour"])
def test_recoloured_stripes_are_confirmed(edit: str) -> None:
    work = _mate("desktop/Stripes.png")
    im = Image.fromarray(work)
    if edit == "grey":
        im = im.convert("L").convert("RGB")
    else:
        im = ImageEnhance.Brightness(im).enhance(1.25)
        im = ImageEnhance.Contrast(im).enhance(0.75)
        im = ImageEnhance.Color(im).enhance(0.5)
    query = _jpeg(np.asarray(im.resize((960, 600), Image.Resampling.LANCZOS)), 70)
    v = dense_verify(query, work)
    assert v is not None
    # half size: the work's right edge at x = 960 (the stripes are vertical: only x is pinned)
    corners = _apply(v.homography, _corners(0, 0, 1920, 1200))
    assert np.abs(corners[:, 0] - [0, 960, 960, 0]).max() < 4.0
    assert v.output_coverage > 0.95


def test_rotated_copy_with_the_dihedral_hint() -> None:
    work = np.ascontiguousarray(skimage.data.coffee())  # 600x400
    query = np.ascontiguousarray(np.rot90(work))  # Pillow's ROTATE_90: counter-clockwise
    v = dense_verify(query, work, dihedral="dihedral:rot90")
    assert v is not None
    # the work's top-right corner is the query's top-left corner
    got = _apply(v.homography, np.array([[600.0, 0.0], [0.0, 400.0]]))
    assert np.abs(got - [[0, 0], [400, 600]]).max() < 3.0
    assert v.correlation > 0.95


def test_small_rotation_of_stripes_is_confirmed_from_a_rotated_start() -> None:
    import cv2

    from rightsguard.fingerprint.image import max_inner_rect

    # Stripes: too few keypoints for SIFT; turned 7 degrees clockwise, the largest upright
    # rectangle kept (AugLy's rotate), half size
    work = _mate("desktop/Stripes.png")
    small = np.asarray(Image.fromarray(work).resize((work.shape[1] // 2, work.shape[0] // 2)))
    h, w = small.shape[:2]
    turned = cv2.warpAffine(small, cv2.getRotationMatrix2D((w / 2, h / 2), -7, 1.0), (w, h))
    iw, ih = (int(v) - 2 for v in max_inner_rect(w, h, 7))
    x0, y0 = (w - iw) // 2, (h - ih) // 2
    query = _jpeg(np.ascontiguousarray(turned[y0:y0 + ih, x0:x0 + iw]), 80)
    assert dense_verify(query, work, rotations=False) is None
    v = dense_verify(query, work)
    assert isinstance(v, DenseVerification) and v.correlation > 0.9
    # the work is turned 7 degrees clockwise on screen into the query: with image y growing
    # downwards its x axis maps to the direction atan2(a10, a00) = +7 degrees, at half scale
    a = v.homography[:2, :2]
    assert np.degrees(np.arctan2(a[1, 0], a[0, 0])) == pytest.approx(7.0, abs=0.5)
    assert np.hypot(a[0, 0], a[1, 0]) == pytest.approx(0.5, abs=0.01)
    # the query lies inside the work: the whole query is covered
    assert v.output_coverage > 0.97


def test_different_photographs_are_not_confirmed() -> None:
    astronaut = np.ascontiguousarray(skimage.data.astronaut())
    chelsea = np.ascontiguousarray(skimage.data.chelsea())
    coffee = np.ascontiguousarray(skimage.data.coffee())
    assert dense_verify(chelsea, coffee) is None
    assert dense_verify(astronaut[50:450, 40:460], coffee, box=(60, 40, 540, 360)) is None
    assert dense_verify(coffee, chelsea, dihedral="dihedral:flip") is None


def test_flat_and_gradient_images_are_never_confirmed() -> None:
    flat = np.full((400, 600, 3), 128, np.uint8)
    assert dense_verify(flat, flat) is None
    # a smooth gradient is too flat to decide, even against itself
    x = np.linspace(0, 255, 600)[None, :, None]
    y = np.linspace(0, 60, 400)[:, None, None]
    ramp = np.clip(x * 0.8 + y + np.zeros((1, 1, 3)), 0, 255).astype(np.uint8)
    assert dense_verify(ramp, ramp) is None
    assert dense_verify(_jpeg(ramp[50:350, 100:550]), ramp) is None


def test_bad_arguments_are_named() -> None:
    good = np.zeros((64, 64, 3), np.uint8)
    with pytest.raises(ValueError, match="query"):
        dense_verify(np.zeros((64, 64), np.uint8), good)
    with pytest.raises(ValueError, match="work"):
        dense_verify(good, np.zeros((64, 64, 3), np.float32))
    with pytest.raises(ValueError, match="work is 10x64"):
        dense_verify(good, np.zeros((64, 10, 3), np.uint8))
    with pytest.raises(ValueError, match="box"):
        dense_verify(good, good, box=(0, 0, 65, 10))
    with pytest.raises(ValueError, match="dihedral"):
        dense_verify(good, good, dihedral="rot90")
    with pytest.raises(ValueError, match=r"query.*dihedral"):  # every problem at once
        dense_verify(good[:, :, 0], good, dihedral="x")
