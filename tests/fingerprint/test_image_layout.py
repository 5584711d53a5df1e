"""The layout descriptor (16×16 luma, zero mean, unit norm): values by hand, invariances, flat
images refused."""

from __future__ import annotations

import numpy as np
import pytest

from rightsguard.errors import InputError
from rightsguard.fingerprint.image_layout import LAYOUT, SIDE


def _halves(width: int = 64, height: int = 48) -> np.ndarray:
    rgb = np.zeros((height, width, 3), np.uint8)
    rgb[:, width // 2:] = 255
    return rgb


def test_half_black_half_white_by_hand() -> None:
    v = LAYOUT.embed(_halves())
    assert v.shape == (1, 256) and v.dtype == np.float32
    # 16x16: left 8 columns 0, right 8 columns 255; minus the mean 127.5 gives -/+127.5 in 256
    # cells, norm 127.5 * 16, so every entry is -/+1/16
    grid = v.reshape(SIDE, SIDE)
    assert np.allclose(grid[:, :8], -1 / 16) and np.allclose(grid[:, 8:], 1 / 16)


def test_brightness_contrast_and_grey_do_not_move_it_and_inversion_negates_it() -> None:
    rng = np.random.default_rng(3)
    rgb = np.repeat(np.kron(rng.integers(40, 200, (8, 8)), np.ones((8, 8)))[..., None], 3,
                    axis=2).astype(np.uint8)
    base = LAYOUT.embed(rgb)
    brighter = LAYOUT.embed(np.clip(rgb.astype(np.float64) * 1.2 + 10, 0, 255).astype(np.uint8))
    assert float((base @ brighter.T)[0, 0]) == pytest.approx(1.0, abs=1e-3)
    assert float((base @ LAYOUT.embed(255 - rgb).T)[0, 0]) == pytest.approx(-1.0, abs=1e-3)
    # a squeezed copy (other aspect ratio) has the same layout: the whole image maps to 16x16
    assert float((base @ LAYOUT.embed(rgb.repeat(2, axis=1)).T)[0, 0]) == \
        pytest.approx(1.0, abs=1e-3)


def test_flat_images_and_bad_arrays_are_refused() -> None:
    with pytest.raises(InputError, match="flat"):
        LAYOUT.embed(np.full((40, 40, 3), 128, np.uint8))
    with pytest.raises(InputError, match="RGB uint8"):
        LAYOUT.embed(np.zeros((40, 40), np.uint8))
    assert LAYOUT.settings()["model_id"] == "luma16-v1" and LAYOUT.dim == 256
