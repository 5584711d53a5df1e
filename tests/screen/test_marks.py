"""Registered marks (issue #4, part 5): scikit-image's logo found in photographs, and not found
where it is not."""

from __future__ import annotations

import dataclasses
import struct

import numpy as np
import pytest

from rightsguard.errors import IndexCorruptError, InputError
from rightsguard.screen.marks import (
    OPACITIES,
    OTHER_IMAGES,
    PHOTOGRAPHS,
    SCALES,
    MarkTemplate,
    bundled_image,
    bundled_logo,
    find_marks,
    logo_negatives,
    logo_overlays,
    overlay_mark,
)


@pytest.fixture(scope="module")
def logo() -> np.ndarray:
    return bundled_logo()


@pytest.fixture(scope="module")
def logo_mark(logo: np.ndarray) -> MarkTemplate:
    return MarkTemplate.from_image(logo, name="skimage-logo")


def _inside(a: tuple[int, int, int, int], b: tuple[int, int, int, int]) -> float:
    """Share of box ``a``'s area inside box ``b``."""
    ix = max(0, min(a[2], b[2]) - max(a[0], b[0]))
    iy = max(0, min(a[3], b[3]) - max(a[1], b[1]))
    return ix * iy / ((a[2] - a[0]) * (a[3] - a[1]))


def _iou(a: tuple[int, int, int, int], b: tuple[int, int, int, int]) -> float:
    ix = max(0, min(a[2], b[2]) - max(a[0], b[0]))
    iy = max(0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = ix * iy
    return inter / ((a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter)


def test_logo_pasted_at_a_known_position_is_reported_there(
    logo: np.ndarray, logo_mark: MarkTemplate
) -> None:
    photo = bundled_image("astronaut")
    assert photo.shape == (512, 512, 3)
    # 20% of 512 px = 102.4 -> a 102×102 logo with its top-left corner at (300, 50).
    img, box = overlay_mark(photo, logo, scale=0.2, opacity=1.0, x=300, y=50)
    assert box == (300, 50, 402, 152)
    hits = find_marks(img, [logo_mark])
    assert len(hits) == 1
    hit = hits[0]
    assert (hit.mark, hit.name) == (0, "skimage-logo")
    assert all(abs(got - want) <= 2 for got, want in zip(hit.box, box, strict=True))
    assert abs(hit.scale - 102 / 512) <= 0.01
    assert hit.score >= 0.9
    (x0, y0), (x1, _), (_, y1), _ = hit.polygon
    assert (round(x0), round(y0), round(x1), round(y1)) == hit.box


def test_on_a_flat_background_the_score_is_one(logo: np.ndarray, logo_mark: MarkTemplate) -> None:
    # On a uniform background the composite is a*logo + (1-a)*grey: an affine function of the
    # logo, so its normalised cross-correlation with the logo is 1 up to resampling (the mark
    # and the image are resized along different paths: 0.97–0.98 measured at 6–30% scale).
    flat = np.full((400, 600, 3), 90, np.uint8)
    for opacity in (0.3, 1.0):
        img, box = overlay_mark(flat, logo, scale=0.25, opacity=opacity, x=200, y=120)
        (hit,) = find_marks(img, [logo_mark])
        assert hit.score >= 0.95
        assert all(abs(got - want) <= 1 for got, want in zip(hit.box, box, strict=True))
    assert find_marks(flat, [logo_mark]) == []


@pytest.mark.parametrize("scale", [0.4, 0.7, 0.9])
def test_a_mark_filling_most_of_the_image_is_found(logo: np.ndarray, logo_mark: MarkTemplate,
                                                    scale: float) -> None:
    # a newcomer's output that held the registered logo at 40-71% of its width passed as clean:
    # marks were searched up to 35% of the width only
    canvas = np.full((560, 600, 3), 255, np.uint8)
    side = round(600 * scale)
    at = ((600 - side) // 2, (560 - side) // 2)
    img, box = overlay_mark(canvas, logo, scale=scale, opacity=1.0, x=at[0], y=at[1])
    (hit,) = find_marks(img, [logo_mark])
    assert hit.score >= 0.9 and abs(hit.scale - side / 600) <= 0.02
    assert all(abs(got - want) <= 0.02 * side for got, want in zip(hit.box, box, strict=True))


def test_the_registered_logo_itself_is_found_as_a_whole(logo: np.ndarray,
                                                         logo_mark: MarkTemplate) -> None:
    flat = overlay_mark(np.full((*logo.shape[:2], 3), 255, np.uint8), logo, scale=1.0,
                        opacity=1.0, x=0, y=0)[0]
    (hit,) = find_marks(flat, [logo_mark])
    assert hit.score >= 0.9 and hit.scale >= 0.95
    assert _iou(hit.box, (0, 0, logo.shape[1], logo.shape[0])) >= 0.9


def test_transparent_parts_are_masked_and_marks_keep_their_aspect(logo: np.ndarray) -> None:
    # A 2:1 mark: the logo on the left, nothing (alpha 0) on the right.
    wide = np.zeros((500, 1000, 4), np.uint8)
    wide[:, :500] = logo
    mark = MarkTemplate.from_image(wide, name="wide")
    assert mark.fine.mask is not None
    assert mark.rgba.shape == (128, 256, 4)
    photo = bundled_image("coffee")  # 600×400
    # 30% of 600 px = 180 px wide, 90 px tall, at (100, 200).
    img, box = overlay_mark(photo, wide, scale=0.3, opacity=0.7, x=100, y=200)
    assert box == (100, 200, 280, 290)
    assert np.array_equal(img[200:290, 190:280], photo[200:290, 190:280])  # transparent half
    hits = find_marks(img, [mark])
    assert len(hits) == 1
    assert all(abs(got - want) <= 3 for got, want in zip(hits[0].box, box, strict=True))


def test_several_marks_and_several_copies(logo: np.ndarray, logo_mark: MarkTemplate) -> None:
    cat = bundled_image("chelsea")[60:200, 120:280]  # the cat's face, 160×140, as a second mark
    face = MarkTemplate.from_image(cat, name="cat-face")
    photo = bundled_image("rocket")  # 640×427
    img, logo_box = overlay_mark(photo, logo, scale=0.15, opacity=0.8, x=20, y=30)
    img, logo_box2 = overlay_mark(img, logo, scale=0.1, opacity=0.5, x=450, y=300)
    rgba_cat = np.concatenate([cat, np.full((*cat.shape[:2], 1), 255, np.uint8)], axis=2)
    img, cat_box = overlay_mark(img, rgba_cat, scale=0.2, opacity=1.0, x=300, y=60)
    hits = find_marks(img, [logo_mark, face])
    found = {(h.mark, h.name): [] for h in hits}
    for h in hits:
        found[(h.mark, h.name)].append(h.box)
    assert set(found) == {(0, "skimage-logo"), (1, "cat-face")}
    assert len(found[(0, "skimage-logo")]) == 2
    assert any(_iou(b, logo_box) >= 0.8 for b in found[(0, "skimage-logo")])
    assert any(_iou(b, logo_box2) >= 0.8 for b in found[(0, "skimage-logo")])
    assert [_iou(b, cat_box) >= 0.8 for b in found[(1, "cat-face")]] == [True]
    assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)


def test_bytes_round_trip(logo_mark: MarkTemplate) -> None:
    data = logo_mark.to_bytes()
    back = MarkTemplate.from_bytes(data, name="again")
    assert back.name == "again"
    assert np.array_equal(back.rgba, logo_mark.rgba)
    assert np.array_equal(back.fine.rgb, logo_mark.fine.rgb)
    img, _ = overlay_mark(
        bundled_image("coffee"), bundled_logo(), scale=0.1, opacity=0.5, x=40, y=40
    )
    assert find_marks(img, [back]) == [
        dataclasses.replace(h, name="again") for h in find_marks(img, [logo_mark])
    ]


@pytest.mark.parametrize(
    "damage",
    [
        lambda d: d[:10],  # shorter than the header
        lambda d: d[:-5],  # payload cut
        lambda d: b"XXXX" + d[4:],  # other format
        lambda d: d[:4] + struct.pack("<H", 99) + d[6:],  # other version
        lambda d: d[:40] + bytes([d[40] ^ 0xFF]) + d[41:],  # flipped byte
    ],
)
def test_damaged_bytes_raise_naming_the_mark(logo_mark: MarkTemplate, damage: object) -> None:
    data = logo_mark.to_bytes()
    with pytest.raises(IndexCorruptError, match="acme-watermark"):
        MarkTemplate.from_bytes(damage(data), name="acme-watermark")  # type: ignore[operator]


def test_bad_input_raises(logo_mark: MarkTemplate) -> None:
    rgb = np.zeros((64, 64, 3), np.uint8)
    with pytest.raises(InputError, match="uint8"):
        find_marks(rgb.astype(np.float32), [logo_mark])
    with pytest.raises(InputError, match="H×W×3"):
        find_marks(rgb[..., 0], [logo_mark])
    with pytest.raises(InputError, match="16×16"):
        find_marks(rgb[:8], [logo_mark])
    with pytest.raises(InputError, match="scale"):
        find_marks(rgb, [logo_mark], min_scale=0.5, max_scale=0.2)
    with pytest.raises(InputError, match=r"'m'.*uint8"):
        MarkTemplate.from_image(rgb.astype(np.float64), name="m")
    with pytest.raises(InputError, match=r"'m'.*at least 8"):
        MarkTemplate.from_image(rgb[:4], name="m")
    with pytest.raises(InputError, match=r"'m'.*transparent"):
        MarkTemplate.from_image(np.zeros((32, 32, 4), np.uint8), name="m")
    assert find_marks(rgb, []) == []


def test_acceptance_logo_on_photographs() -> None:
    """Issue #4: the logo overlaid at opacity 0.3–1.0 and scale 5–30% is found (recall ≥ 0.9);
    photographs without it are not (≤ 1%).

    Sampled for time: one random position per (photograph, opacity, scale) — 9 × 4 × 4 = 144
    positives, on other positions (seed 7) than measure_marks() tuned on (seed 0) — and 10
    variants of each photograph (seed 8) plus the 15 other bundled images = 105 negatives.
    """
    mark = MarkTemplate.from_image(bundled_logo(), name="skimage-logo")
    found: dict[tuple[float, float], list[bool]] = {}
    for ov in logo_overlays(positions=1, seed=7):
        hits = find_marks(ov.image, [mark])
        ok = any(_iou(h.box, ov.box) >= 0.5 for h in hits)
        found.setdefault((ov.opacity, ov.scale), []).append(ok)
    assert set(found) == {(op, sc) for op in OPACITIES for sc in SCALES}
    outcomes = [ok for oks in found.values() for ok in oks]
    assert len(outcomes) == len(PHOTOGRAPHS) * 16 >= 100
    recall = sum(outcomes) / len(outcomes)
    assert recall >= 0.9, {k: sum(v) for k, v in found.items()}
    # every scale is found at full opacity, every opacity at 10% scale
    assert all(found[(1.0, sc)].count(True) >= len(PHOTOGRAPHS) - 1 for sc in SCALES)

    flagged = []
    n = 0
    for label, img in logo_negatives(variants_per_photo=10, seed=8):
        n += 1
        hits = find_marks(img, [mark])
        if hits:
            flagged.append((label, hits[0].score))
    assert n == len(PHOTOGRAPHS) * 10 + len(OTHER_IMAGES) >= 100
    assert len(flagged) / n <= 0.01, flagged


def test_a_mark_dominated_by_a_plain_disc_needs_both_halves_to_match() -> None:
    """A red disc beside the word "ACME": whole-mark correlation alone found it in 16 of mate's
    ~30 backgrounds without it (any round red or dark blob, scores 0.62-0.77, e.g. LadyBird's
    ladybird); each half must now match on its own. Overlaid, it is still found where it is."""
    from pathlib import Path

    from PIL import Image, ImageDraw

    from rightsguard.fingerprint.image import load_image

    drawn = Image.new("RGBA", (240, 120), (0, 0, 0, 0))
    pen = ImageDraw.Draw(drawn)
    pen.ellipse((0, 0, 120, 120), fill=(200, 30, 30, 255))
    pen.text((130, 35), "ACME", fill=(20, 20, 20, 255), font_size=40)
    acme = np.asarray(drawn)
    mark = MarkTemplate.from_image(acme, name="acme")
    mate = Path("/usr/share/backgrounds/mate")
    assert mate.is_dir(), "Debian's mate-backgrounds is missing: scripts/test.sh installs it"
    photos = {}
    for rel in ("nature/LadyBird.jpg", "nature/RainDrops.jpg", "nature/TwoWings.jpg",
                "nature/Aqua.jpg", "abstract/Elephants.jpg", "desktop/Float-into-MATE.png"):
        im = Image.fromarray(load_image(mate / rel).rgb)
        im.thumbnail((768, 768))
        photos[rel] = np.asarray(im)
    assert {rel: find_marks(rgb, [mark]) for rel, rgb in photos.items()} == {
        rel: [] for rel in photos}
    img, box = overlay_mark(photos["nature/LadyBird.jpg"], acme, scale=0.15, opacity=1.0,
                            x=300, y=200)
    hits = find_marks(img, [mark])
    assert len(hits) == 1 and _iou(hits[0].box, box) >= 0.8


def _blurred_jpeg(rel: str, radius: float) -> np.ndarray:
    """A mate background at 768 px, Gaussian-blurred and saved as JPEG quality 60."""
    import io
    from pathlib import Path

    from PIL import Image, ImageFilter

    from rightsguard.fingerprint.image import load_image

    mate = Path("/usr/share/backgrounds/mate")
    assert mate.is_dir(), "Debian's mate-backgrounds is missing: scripts/test.sh installs it"
    im = Image.fromarray(load_image(mate / rel).rgb)
    im.thumbnail((768, 768))
    buf = io.BytesIO()
    im.filter(ImageFilter.GaussianBlur(radius)).save(buf, "JPEG", quality=60)
    return np.asarray(Image.open(io.BytesIO(buf.getvalue())).convert("RGB"))


def _triangle_mark() -> np.ndarray:
    from PIL import Image, ImageDraw

    drawn = Image.new("RGB", (160, 160), (240, 240, 240))
    pen = ImageDraw.Draw(drawn)
    pen.polygon([(80, 10), (150, 150), (10, 150)], fill=(30, 140, 60))
    pen.text((55, 100), "TRI", fill=(255, 255, 255), font_size=28)
    return np.asarray(drawn)


def test_smooth_shading_with_a_marks_layout_is_not_a_find() -> None:
    """A green triangle with a word, searched in blurred mate backgrounds without it: before the
    fitted-opacity test its NCC reached 0.62-0.71 on faint shading (window contrast 4-20% of the
    mark's), so images with neither photo nor mark were blocked. The same mark pasted on one of
    them is still found, once: at opacity 0.5 in its box; at 0.3 the triangle's upper part (a
    smaller triangle) matches about as well as the whole, so the box found lies inside."""
    tri = _triangle_mark()
    mark = MarkTemplate.from_image(tri, name="tri")
    blurred = {(rel, r): _blurred_jpeg(rel, r) for rel, r in (
        ("abstract/Elephants.jpg", 4), ("nature/FreshFlower.jpg", 10),
        ("nature/LadyBird.jpg", 10), ("desktop/Ubuntu-Mate-Cold-no-logo.png", 10),
        ("nature/Garden.jpg", 4))}
    assert {k: find_marks(rgb, [mark]) for k, rgb in blurred.items()} == {
        k: [] for k in blurred}
    found = {}
    for opacity in (0.3, 0.5):
        img, box = overlay_mark(blurred[("abstract/Elephants.jpg", 4)],
                                np.dstack([tri, np.full(tri.shape[:2], 255, np.uint8)]),
                                scale=0.1, opacity=opacity, x=100, y=300)
        hits = find_marks(img, [mark])
        assert len(hits) == 1, hits
        found[opacity] = (_iou(hits[0].box, box), _inside(hits[0].box, box))
    assert found[0.5][0] >= 0.8
    assert found[0.3][1] >= 0.95 and found[0.3][0] >= 0.4


@pytest.mark.parametrize("opacity", [0.3, 0.6, 1.0])
def test_fitted_opacity_of_a_mark_on_a_flat_background(opacity: float) -> None:
    """Over one flat colour, a mark composited at opacity ``a`` is ``a*mark + (1-a)*background``
    per pixel, so the window's colours regressed on the mark's have slope ``a`` exactly (up to
    rounding to uint8 and resampling)."""
    from rightsguard.screen.marks import _window_fit

    tri = _triangle_mark()
    mark = MarkTemplate.from_image(tri, name="tri")
    flat = np.full((400, 600, 3), (90, 120, 200), np.uint8)
    img, box = overlay_mark(flat, np.dstack([tri, np.full(tri.shape[:2], 255, np.uint8)]),
                            scale=0.2, opacity=opacity, x=50, y=60)
    halves, fitted, detail = _window_fit(img, box, mark.fine)
    assert fitted == pytest.approx(opacity, abs=0.02)
    assert halves > 0.95 and detail > 0.95


def _gradient_mark() -> np.ndarray:
    """A newcomer's mark: a 400×200 sky-blue vertical gradient with the small word "sky"."""
    from PIL import Image, ImageDraw

    top, bottom = np.array([85, 140, 225]), np.array([140, 185, 230])
    rows = (top + (bottom - top) * np.linspace(0, 1, 200)[:, None]).astype(np.uint8)
    drawn = Image.fromarray(np.repeat(rows[:, None, :], 400, axis=1))
    ImageDraw.Draw(drawn).text((150, 160), "sky", fill=(255, 255, 255), font_size=22)
    return np.asarray(drawn)


def test_a_mark_that_is_mostly_a_gradient_needs_its_detail_to_match() -> None:
    """Whole-mark NCC, both halves and the fitted opacity all passed on skies for a mark that is
    a gradient with a small word (a newcomer: 247 finds in 63 of 123 images without it, as
    block); the band-pass (detail) test asks for the word. Pasted, it is still found."""
    from pathlib import Path

    from PIL import Image, ImageFilter

    from rightsguard.fingerprint.image import load_image

    sky = _gradient_mark()
    mark = MarkTemplate.from_image(sky, name="sky")
    mate = Path("/usr/share/backgrounds/mate/nature")
    storm = Image.fromarray(load_image(mate / "Storm.jpg").rgb)
    storm.thumbnail((1600, 1600))
    coffee = Image.fromarray(bundled_image("coffee")).filter(ImageFilter.GaussianBlur(8))
    images = {"Storm": np.asarray(storm), "coffee blurred": np.asarray(coffee),
              "Storm blurred": _blurred_jpeg("nature/Storm.jpg", 4)}
    assert {k: find_marks(rgb, [mark]) for k, rgb in images.items()} == {k: [] for k in images}
    img, box = overlay_mark(np.asarray(storm), np.dstack([sky, np.full(sky.shape[:2], 255,
                                                                       np.uint8)]),
                            scale=0.15, opacity=1.0, x=200, y=100)
    hits = find_marks(img, [mark])
    assert len(hits) == 1 and _iou(hits[0].box, box) >= 0.8


@pytest.mark.parametrize("background", [(0, 0, 0), (20, 30, 90), (128, 128, 128)])
def test_a_transparent_mark_is_found_on_a_flat_dark_background(
        background: tuple[int, int, int]) -> None:
    """A disc and a blue word on a transparent background, pasted whole on black: the halves
    test composited the mark over mid-grey, where the word is darker than the background, while
    on black it is brighter, so its half correlated at -0.1 and a newcomer's logo was missed at
    full opacity; it now composites over the window's own background."""
    from PIL import Image, ImageDraw

    drawn = Image.new("RGBA", (600, 200), (0, 0, 0, 0))
    pen = ImageDraw.Draw(drawn)
    pen.ellipse((0, 0, 190, 190), fill=(220, 40, 40, 255))
    pen.polygon([(95, 40), (140, 150), (50, 150)], fill=(255, 255, 255, 255))
    pen.text((215, 50), "LUMO", fill=(30, 60, 160, 255), font_size=90)
    _found_once_on_a_flat_canvas(np.asarray(drawn), background)


@pytest.mark.parametrize("background", [(255, 255, 255), (0, 0, 0), (120, 200, 40)])
def test_a_thin_transparent_ring_is_found_on_flat_canvases(
        background: tuple[int, int, int]) -> None:
    """A thin red double ring with initials on a transparent background, pasted whole at 25%:
    composited over mid-grey only, the coarse search proposed nothing on white, black or green
    canvases (a newcomer found it on grey ones only); the templates over the image's median
    colour and the fine stage over the neighbourhood's own colour find it there."""
    from PIL import Image, ImageDraw

    drawn = Image.new("RGBA", (300, 300), (0, 0, 0, 0))
    pen = ImageDraw.Draw(drawn)
    pen.ellipse((10, 10, 290, 290), outline=(200, 20, 30, 255), width=8)
    pen.ellipse((35, 35, 265, 265), outline=(200, 20, 30, 255), width=4)
    pen.text((95, 105), "QK", fill=(200, 20, 30, 255), font_size=90)
    _found_once_on_a_flat_canvas(np.asarray(drawn), background)


def _found_once_on_a_flat_canvas(logo: np.ndarray, background: tuple[int, int, int]) -> None:
    """``logo`` (RGBA) pasted whole at 25% width, full opacity, on a 1600×1000 canvas of one
    colour is found once, in its box."""
    mark = MarkTemplate.from_image(logo, name="drawn")
    flat = np.full((1000, 1600, 3), background, np.uint8)
    img, box = overlay_mark(flat, logo, scale=0.25, opacity=1.0, x=600, y=400)
    hits = find_marks(img, [mark])
    assert len(hits) == 1 and _iou(hits[0].box, box) >= 0.9


def test_a_marks_finds_do_not_depend_on_the_other_marks_registered(
    logo: np.ndarray, logo_mark: MarkTemplate
) -> None:
    """Registering a wide mark (a 10:1 bar) beside the logo must not move the logo's finds: the
    image's whitening came from a copy as wide as the widest mark needed, and the logo's score
    on this overlay went from 0.799 to 0.780 once the bar was registered."""
    bar = np.zeros((20, 200, 4), np.uint8)
    bar[..., 3] = 255
    bar[:, ::20, :3] = 255
    bar[:, 10::20, 0] = 200
    bar_mark = MarkTemplate.from_image(bar, name="bar")
    assert bar_mark.coarse.width > 5 * logo_mark.coarse.width
    photo = bundled_image("astronaut")
    for scale, opacity, x, y in ((0.2, 0.3, 126, 16), (0.1, 0.5, 300, 421),
                                 (0.3, 0.5, 348, 261)):
        img, _ = overlay_mark(photo, logo, scale=scale, opacity=opacity, x=x, y=y)
        alone = find_marks(img, [logo_mark], threshold=0.4)
        both = [dataclasses.replace(h, mark=0) for h in find_marks(img, [bar_mark, logo_mark],
                                                                  threshold=0.4) if h.mark == 1]
        assert alone, (scale, opacity)
        assert both == alone, (scale, opacity)
