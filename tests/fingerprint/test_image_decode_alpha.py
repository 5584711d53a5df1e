"""Alpha-only images (the picture is in the alpha channel, the pixels white) decode on black, not
blank on white; other alpha images keep white (rightsguard.fingerprint.image.decode_image), on
Debian's mate-backgrounds."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from rightsguard.fingerprint.image import (
    BLANK_GREY_STD,
    DEFAULT_PDQ_THRESHOLD,
    PDQ_QUALITY_MIN,
    decode_image,
    hamming,
    image_hashes,
    load_image,
    query_fingerprints,
    work_fingerprints,
)

MATE = Path("/usr/share/backgrounds/mate")
ALPHA_ONLY = ("abstract/Arc-Colors-Transparent-Wallpaper.png", "abstract/Flow.png",
              "abstract/Gulp.png", "abstract/Silk.png", "abstract/Spring.png",
              "abstract/Waves.png", "desktop/MATE-Stripes-Light.png")
LUMA = np.array([0.299, 0.587, 0.114])


def _rgba(rel: str) -> np.ndarray:
    with Image.open(MATE / rel) as im:
        return np.asarray(im.convert("RGBA"))


def _on(rgba: np.ndarray, background: int) -> np.ndarray:
    """Straight-alpha compositing by hand, rounded as decode_image documents it."""
    alpha = rgba[..., 3:4].astype(np.int64)
    return ((rgba[..., :3] * alpha + background * (255 - alpha) + 127) // 255).astype(np.uint8)


def _grey_std(rgb: np.ndarray) -> float:
    return float((rgb.reshape(-1, 3).astype(np.float64) @ LUMA).std())


@pytest.mark.parametrize("rel", ALPHA_ONLY)
def test_alpha_only_mate_overlay_decodes_on_black(rel: str) -> None:
    rgba = _rgba(rel)
    assert _grey_std(_on(rgba, 255)) < BLANK_GREY_STD  # what white used to give: blank
    decoded = load_image(MATE / rel)
    assert _grey_std(decoded.rgb) > 20.0  # measured 21.6 (Flow) to 56.4 (Spring)
    assert np.array_equal(decoded.rgb, _on(rgba, 0))
    assert len(decoded.notes) == 1
    assert decoded.notes[0].startswith("alpha composited on black (blank on white: grey-level std ")
    assert decoded.notes[0].endswith("; the shape is in the alpha channel)")


def test_silk_measured_values() -> None:
    decoded = load_image(MATE / "abstract/Silk.png")
    assert (decoded.width, decoded.height) == (1600, 1200)
    assert decoded.notes == ("alpha composited on black (blank on white: grey-level std 0.00; "
                             "the shape is in the alpha channel)",)
    assert round(_grey_std(decoded.rgb), 1) == 32.4
    assert image_hashes(decoded).pdq_quality >= PDQ_QUALITY_MIN  # blank on white: quality 0
    assert image_hashes(_on(_rgba("abstract/Silk.png"), 255)).pdq_quality < PDQ_QUALITY_MIN


def test_alpha_only_work_matched_by_a_flattened_copy() -> None:
    """A copy shown on a dark desktop, screenshotted as JPEG, is near its work's hash and far from
    another alpha-only overlay's."""
    silk = work_fingerprints(load_image(MATE / "abstract/Silk.png"))[0]
    waves = work_fingerprints(load_image(MATE / "abstract/Waves.png"))[0]
    flat = Image.fromarray(_on(_rgba("abstract/Silk.png"), 0)).resize((800, 600), Image.LANCZOS)
    buf = io.BytesIO()
    flat.save(buf, "JPEG", quality=75)
    query = query_fingerprints(decode_image(buf.getvalue(), name="silk-copy.jpg"))[0]
    assert query.name == silk.name == "full"
    assert hamming(query.pdq, silk.pdq) <= DEFAULT_PDQ_THRESHOLD
    assert hamming(query.pdq, waves.pdq) > DEFAULT_PDQ_THRESHOLD


@pytest.mark.parametrize("rel", ["desktop/Stripes.png", "desktop/MATE-Stripes-Dark.png"])
def test_alpha_image_with_colour_variation_still_on_white(rel: str) -> None:
    rgba = _rgba(rel)
    decoded = load_image(MATE / rel)
    assert decoded.notes == ("alpha composited on white",)
    assert np.array_equal(decoded.rgb, _on(rgba, 255))
    assert _grey_std(decoded.rgb) > 17.0  # measured 17.8 (Stripes) and 53.9 (Stripes-Dark)


def test_fully_transparent_and_uniform_alpha_stay_white() -> None:
    """Blank on black too: nothing to show, so the white rule stands."""
    clear = np.zeros((8, 8, 4), np.uint8)
    clear[..., :3] = 255
    buf = io.BytesIO()
    Image.fromarray(clear, "RGBA").save(buf, "PNG")
    decoded = decode_image(buf.getvalue(), name="clear.png")
    assert decoded.notes == ("alpha composited on white",)
    assert decoded.rgb.min() == 255
