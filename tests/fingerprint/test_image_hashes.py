"""Image decoding, perceptual hashes and PDQ variants (rightsguard.fingerprint.image), against
imagehash, pdqhash, hand-computed values and scikit-image's bundled photographs."""

from __future__ import annotations

import io
import struct
import warnings
import zlib

import imagehash
import numpy as np
import pdqhash
import pytest
from PIL import Image
from skimage import data as skdata

from rightsguard.errors import InputError
from rightsguard.fingerprint.image import (
    DEFAULT_PDQ_THRESHOLD,
    PHOTOGRAPHS,
    WORK_CROPS,
    WORK_VARIANTS,
    CropSpec,
    DecodedImage,
    crop_fingerprints,
    decode_image,
    hamming,
    hamming_matrix,
    image_hashes,
    load_image,
    query_fingerprints,
    work_fingerprints,
    work_variant,
)


def _photo(name: str) -> np.ndarray:
    rgb = skdata.stereo_motorcycle()[0] if name == "motorcycle_left" else getattr(skdata, name)()
    return np.ascontiguousarray(np.repeat(rgb[:, :, None], 3, axis=2) if rgb.ndim == 2 else rgb)


def _encode(im: Image.Image, fmt: str, **kwargs: object) -> bytes:
    buf = io.BytesIO()
    im.save(buf, fmt, **kwargs)
    return buf.getvalue()


def _pdq_bytes(rgb: np.ndarray) -> bytes:
    bits, _ = pdqhash.compute(np.ascontiguousarray(rgb))
    return np.packbits(np.asarray(bits, dtype=np.uint8)).tobytes()


def _png_claiming(width: int, height: int) -> bytes:
    """A real 1×1 PNG whose IHDR says ``width × height`` (CRC fixed, pixel data unchanged)."""
    png = bytearray(_encode(Image.new("RGB", (1, 1)), "PNG"))
    assert png[12:16] == b"IHDR"
    png[16:24] = struct.pack(">II", width, height)
    png[29:33] = struct.pack(">I", zlib.crc32(bytes(png[12:29])))
    return bytes(png)


# --- hashes -------------------------------------------------------------------------------------


def test_pdq_is_pdqhash_of_the_64x64_area_average() -> None:
    astronaut = skdata.astronaut()  # 512×512: the area average is the mean of 8×8 blocks
    blocks = astronaut.reshape(64, 8, 64, 8, 3).astype(np.float64).mean(axis=(1, 3))
    small = np.rint(blocks).astype(np.uint8)
    expected = _pdq_bytes(small)
    hashes = image_hashes(astronaut)
    assert hashes.pdq == expected
    assert len(hashes.pdq) == 32 and 0 <= hashes.pdq_quality <= 100
    assert work_fingerprints(astronaut)[0] == ("full", (0, 0, 512, 512), expected,
                                               hashes.pdq_quality)
    # an image already 64×64 is hashed by pdqhash directly, on the same RGB array
    assert image_hashes(small).pdq == _pdq_bytes(small)


def test_pdq_bytes_are_the_reference_hex_order() -> None:
    import cv2

    rgb = skdata.chelsea()
    bits, _ = pdqhash.compute(cv2.resize(rgb, (64, 64), interpolation=cv2.INTER_AREA))
    # pdqhash's vector is most significant bit first; PDQ's hex string prints w[15] first
    as_int = int("".join(str(int(b)) for b in bits), 2)
    assert image_hashes(rgb).pdq.hex() == f"{as_int:064x}"


@pytest.mark.parametrize("name", ["coffee", "camera", "rocket"])
def test_phash_and_dhash_match_imagehash(name: str) -> None:
    rgb = _photo(name)
    hashes = image_hashes(rgb)
    pil = Image.fromarray(rgb)
    assert hashes.phash.hex() == str(imagehash.phash(pil))
    assert hashes.dhash.hex() == str(imagehash.dhash(pil))
    assert len(hashes.phash) == len(hashes.dhash) == 8


def test_hamming_by_hand() -> None:
    assert hamming(b"\x00\xff", b"\x0f\xf0") == 8
    assert hamming(b"\x01", b"\x03") == 1
    assert hamming(b"\xaa" * 32, b"\x55" * 32) == 256
    assert hamming(b"", b"") == 0
    matrix = hamming_matrix([b"\x00\x00", b"\xff\xff"], [b"\x00\x01", b"\x80\x00", b"\xff\xff"])
    assert matrix.tolist() == [[1, 1, 16], [15, 15, 0]]
    arrays = hamming_matrix(np.array([[0b1011]], dtype=np.uint8), np.array([[0], [0b0100]],
                                                                          dtype=np.uint8))
    assert arrays.tolist() == [[3, 4]]
    with pytest.raises(ValueError, match="different lengths"):
        hamming(b"\x00", b"\x00\x00")
    with pytest.raises(ValueError, match="different lengths"):
        hamming_matrix([b"\x00"], [b"\x00\x00"])


# --- variants -----------------------------------------------------------------------------------


def test_work_and_query_variants_shape() -> None:
    rgb = skdata.coffee()
    variants = work_fingerprints(rgb)
    assert WORK_CROPS == () and len(variants) == WORK_VARIANTS == 8  # full + 7 dihedral
    assert len({v.name for v in variants}) == len(variants)
    h, w = rgb.shape[:2]
    for v in variants:
        x0, y0, x1, y1 = v.box
        assert 0 <= x0 < x1 <= w and 0 <= y0 < y1 <= h
        assert len(v.pdq) == 32
    query = query_fingerprints(rgb)
    assert [v.name for v in query] == ["full"]
    assert query[0].pdq == variants[0].pdq


def test_work_variant_names_each_stored_variant_without_hashing() -> None:
    rgb = skdata.rocket()  # 427 x 640, not square: boxes scale each axis on its own
    h, w = rgb.shape[:2]
    variants = work_fingerprints(rgb)
    assert [work_variant(i, w, h) for i in range(len(variants))] == \
        [(v.name, v.box) for v in variants]
    with pytest.raises(IndexError, match="variant 8"):
        work_variant(len(variants), w, h)


@pytest.mark.parametrize(("transpose", "name"), [
    (Image.Transpose.FLIP_LEFT_RIGHT, "dihedral:flip"),
    (Image.Transpose.FLIP_TOP_BOTTOM, "dihedral:flipv"),
    (Image.Transpose.ROTATE_90, "dihedral:rot90"),
    (Image.Transpose.ROTATE_180, "dihedral:rot180"),
    (Image.Transpose.ROTATE_270, "dihedral:rot270"),
    (Image.Transpose.TRANSPOSE, "dihedral:transpose"),
    (Image.Transpose.TRANSVERSE, "dihedral:transverse"),
])
def test_dihedral_variant_names(transpose: Image.Transpose, name: str) -> None:
    rgb = skdata.astronaut()
    stored = {v.name: v.pdq for v in work_fingerprints(rgb)}
    query = query_fingerprints(np.asarray(Image.fromarray(rgb).transpose(transpose)))[0].pdq
    distances = {n: hamming(query, h) for n, h in stored.items()}
    assert min(distances, key=distances.__getitem__) == name
    assert distances[name] <= 4 < DEFAULT_PDQ_THRESHOLD
    assert distances["full"] > DEFAULT_PDQ_THRESHOLD  # why the dihedral variants are stored


def test_flipped_photo_matches_the_flip_variant_only() -> None:
    rgb = skdata.chelsea()
    query = query_fingerprints(np.ascontiguousarray(rgb[:, ::-1]))[0].pdq
    stored = {v.name: v.pdq for v in work_fingerprints(rgb)}
    assert hamming(query, stored["dihedral:flip"]) <= DEFAULT_PDQ_THRESHOLD
    assert hamming(query, stored["full"]) > DEFAULT_PDQ_THRESHOLD


def test_crop_variant_is_the_area_average_of_its_box() -> None:
    import cv2

    rgb = cv2.resize(skdata.astronaut(), (640, 640), interpolation=cv2.INTER_AREA)
    spec = CropSpec(0.64, 0.375, 0.875, "test")  # 80 cells of 8 px: the box is exact
    assert spec.cells == 80 and spec.window() == (6, 14)
    assert spec.box(640, 640) == (48, 112, 560, 624)
    [stored] = crop_fingerprints(rgb, [spec])
    assert stored.name == "crop:0.64:test"
    assert stored.box == (48, 112, 560, 624)
    x0, y0, x1, y1 = stored.box
    region = rgb[y0:y1, x0:x1].reshape(64, 8, 64, 8, 3).astype(np.float64).mean(axis=(1, 3))
    assert stored.pdq == _pdq_bytes(np.rint(region).astype(np.uint8))


def test_crop_of_coffee_is_near_a_crop_window_only() -> None:
    """A 30% crop is near no stored variant (the SIFT votes find it: tests/screen), but near one
    of CROP_GRID's windows, which no other photograph comes near: what crop hashes would add."""
    coffee = skdata.coffee()  # 400×600
    h, w = coffee.shape[:2]
    side = 0.7 ** 0.5  # a crop removing 30% of the area
    ch, cw = round(h * side), round(w * side)
    y0, x0 = round((h - ch) * 0.3), round((w - cw) * 0.6)
    query = query_fingerprints(np.ascontiguousarray(coffee[y0:y0 + ch, x0:x0 + cw]))[0].pdq
    stored = [hamming(query, v.pdq) for v in work_fingerprints(coffee)]
    assert min(stored) > DEFAULT_PDQ_THRESHOLD
    assert min(hamming(query, v.pdq) for v in crop_fingerprints(coffee)) <= DEFAULT_PDQ_THRESHOLD
    for name in PHOTOGRAPHS:
        if name == "coffee":
            continue
        photo = _photo(name)
        others = hamming_matrix([query], [v.pdq for v in work_fingerprints(photo)
                                          + crop_fingerprints(photo)])
        assert int(others.min()) > DEFAULT_PDQ_THRESHOLD, name


# --- decoding -----------------------------------------------------------------------------------


def test_decode_plain_png_and_jpeg() -> None:
    rgb = skdata.astronaut()
    png = decode_image(_encode(Image.fromarray(rgb), "PNG"), name="a.png")
    assert isinstance(png, DecodedImage)
    assert (png.width, png.height, png.format, png.notes, png.orientation) == (
        512, 512, "PNG", (), 1)
    assert np.array_equal(png.rgb, rgb)
    assert not png.rgb.flags.writeable
    jpeg = decode_image(_encode(Image.fromarray(rgb), "JPEG", quality=95), name="a.jpg")
    assert jpeg.format == "JPEG" and jpeg.rgb.shape == (512, 512, 3)
    assert np.abs(jpeg.rgb.astype(int) - rgb).mean() < 3


def test_greyscale_is_replicated_without_note() -> None:
    camera = skdata.camera()
    decoded = decode_image(_encode(Image.fromarray(camera), "PNG"), name="camera.png")
    assert decoded.notes == ()
    assert np.array_equal(decoded.rgb, np.repeat(camera[:, :, None], 3, axis=2))


@pytest.mark.parametrize(("width", "height"), [(100_000, 100_000), (20_000, 20_000),
                                               (10_000, 10_000)])
def test_decompression_bomb_refused_before_decoding(width: int, height: int) -> None:
    """Above 2× Pillow's limit Pillow raises, between 1× and 2× it only warns, below it nothing:
    each is an InputError from the header alone (the file holds one pixel of data, so decoding
    would fail as truncated instead), no warning escapes, Pillow's global is untouched."""
    limit = Image.MAX_IMAGE_PIXELS
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with pytest.raises(InputError, match=r"bomb\.png.*decompression bomb") as info:
            decode_image(_png_claiming(width, height), name="bomb.png")
    assert "truncated" not in str(info.value)
    # one wording and one limit whether Pillow or rightsguard refused it
    assert f"{width * height:,} pixels, above the limit of 89,478,485" in \
        str(info.value)
    assert not [w for w in caught if issubclass(w.category, Image.DecompressionBombWarning)]
    assert limit == Image.MAX_IMAGE_PIXELS


def test_max_pixels_is_checked_against_the_header() -> None:
    data = _png_claiming(2000, 1000)
    with pytest.raises(InputError, match=r"2000×1000 = 2,000,000 pixels, above the limit of "
                                         r"1,000,000"):
        decode_image(data, name="big.png", max_pixels=1_000_000)
    with pytest.raises(ValueError, match="max_pixels"):
        decode_image(data, name="big.png", max_pixels=0)


def test_truncated_jpeg_is_an_input_error() -> None:
    jpeg = _encode(Image.fromarray(skdata.astronaut()), "JPEG", quality=90)
    for cut in (len(jpeg) // 3, len(jpeg) - 40):
        with pytest.raises(InputError, match=r"^cut\.jpg: JPEG data cannot be decoded.*trunc"):
            decode_image(jpeg[:cut], name="cut.jpg")


def test_truncated_png_is_an_input_error() -> None:
    png = _encode(Image.fromarray(skdata.coffee()), "PNG")
    with pytest.raises(InputError, match=r"^cut\.png: PNG data cannot be decoded"):
        decode_image(png[: len(png) // 2], name="cut.png")


def test_png_text_chunk_inflating_past_pillows_limit_is_named() -> None:
    # a newcomer's valid PNG with a 1.2 MB compressed XMP chunk read "truncated or corrupt"
    from PIL import PngImagePlugin

    info = PngImagePlugin.PngInfo()
    info.add_itxt("XML:com.adobe.xmp", "<x:xmpmeta>" + " " * 1_200_000 + "</x:xmpmeta>",
                  zip=True)
    png = _encode(Image.fromarray(skdata.coffee()), "PNG", pnginfo=info)
    assert len(png) < 1_000_000  # spaces compress: the file itself is small
    with pytest.raises(InputError, match=r"^xmp\.png: a compressed PNG text chunk \(zTXt/iTXt: "
                                         r"XMP, comments\) inflates past Pillow's limit of "
                                         r"1,048,576 bytes \(possible decompression bomb\)"):
        decode_image(png, name="xmp.png")


@pytest.mark.parametrize(("data", "label"), [
    (b"", "empty"),
    (b"not an image at all, just text", "text"),
    (b'<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"/>', "svg"),
    (_encode(Image.new("RGB", (16, 16)), "ICO"), "ico (a Pillow format we do not accept)"),
    (_png_claiming(0, 5), "zero width"),
])
def test_unsupported_or_invalid_is_an_input_error(data: bytes, label: str) -> None:
    with pytest.raises(InputError, match=r"^upload\.bin: .*supported"):
        decode_image(data, name="upload.bin")


def test_cmyk_jpeg() -> None:
    rgb = skdata.coffee()
    cmyk = Image.fromarray(rgb).convert("CMYK")
    decoded = decode_image(_encode(cmyk, "JPEG", quality=95), name="cmyk.jpg")
    assert decoded.format == "JPEG"
    assert "CMYK converted to RGB (naive, ICC profile ignored)" in decoded.notes
    assert np.abs(decoded.rgb.astype(int) - rgb).mean() < 4


def test_16_bit_grey_png() -> None:
    values = (np.arange(48 * 32, dtype=np.uint32).reshape(32, 48) * 42).astype(np.uint16)
    decoded = decode_image(_encode(Image.fromarray(values), "PNG"), name="grey16.png")
    assert decoded.notes == ("16-bit samples scaled to 8 bits",)
    expected = (values.astype(np.uint32) * 255 + 32767) // 65535
    assert np.array_equal(decoded.rgb[:, :, 0], expected)
    assert np.array_equal(decoded.rgb[:, :, 0], decoded.rgb[:, :, 2])
    assert int(decoded.rgb.max()) == (1535 * 42 * 255 + 32767) // 65535


def test_16_bit_rgb_png() -> None:
    import cv2

    rgb16 = (np.random.default_rng(0).random((20, 30, 3)) * 65535).astype(np.uint16)
    ok, png = cv2.imencode(".png", rgb16)
    assert ok
    decoded = decode_image(png.tobytes(), name="rgb16.png")
    assert "16-bit samples scaled to 8 bits" in decoded.notes
    assert decoded.rgb.shape == (20, 30, 3)


def test_float_tiff_is_stretched() -> None:
    values = np.linspace(-1.0, 3.0, 40 * 10, dtype=np.float32).reshape(10, 40)
    decoded = decode_image(_encode(Image.fromarray(values, mode="F"), "TIFF"), name="f.tif")
    assert decoded.notes == ("32-bit float samples stretched from [-1, 3] to 8 bits",)
    assert decoded.rgb[0, 0, 0] == 0 and decoded.rgb[-1, -1, 0] == 255


@pytest.mark.parametrize(("top", "note", "brightest"), [
    (200, "32-bit integer samples in [0, 255] kept", 200),
    (60_000, "32-bit integer samples in [0, 65535] scaled to 8 bits", 233),  # 60000·255/65535
    (1_000_000, "32-bit integer samples stretched from [0, 1e+06] to 8 bits", 255),
])
def test_32_bit_integer_tiff(top: int, note: str, brightest: int) -> None:
    values = np.linspace(0, top, 30 * 4).astype(np.int32).reshape(4, 30)
    decoded = decode_image(_encode(Image.fromarray(values, mode="I"), "TIFF"), name="i.tif")
    assert decoded.notes == (note,)
    assert (decoded.rgb[0, 0, 0], decoded.rgb[-1, -1, 0]) == (0, brightest)


def test_rgba_png_composited_on_white() -> None:
    rgba = np.zeros((2, 2, 4), dtype=np.uint8)
    rgba[0, 0] = (200, 100, 0, 128)
    rgba[0, 1] = (10, 20, 30, 255)
    rgba[1, 0] = (50, 60, 70, 0)
    rgba[1, 1] = (0, 0, 0, 1)
    decoded = decode_image(_encode(Image.fromarray(rgba, "RGBA"), "PNG"), name="a.png")
    assert decoded.notes == ("alpha composited on white",)
    # (c·a + 255·(255 − a) + 127) // 255, by hand
    assert decoded.rgb[0, 0].tolist() == [227, 177, 127]
    assert decoded.rgb[0, 1].tolist() == [10, 20, 30]
    assert decoded.rgb[1, 0].tolist() == [255, 255, 255]
    assert decoded.rgb[1, 1].tolist() == [254, 254, 254]


def test_opaque_alpha_and_palette_transparency() -> None:
    opaque = np.dstack([skdata.chelsea(), np.full((300, 451), 255, np.uint8)])
    decoded = decode_image(_encode(Image.fromarray(opaque, "RGBA"), "PNG"), name="o.png")
    assert decoded.notes == ()  # nothing to composite
    palette = Image.new("P", (4, 1))
    palette.putpalette([255, 0, 0, 0, 0, 255] + [0] * 762)
    palette.putdata([0, 1, 0, 1])
    decoded = decode_image(_encode(palette, "PNG", transparency=1), name="p.png")
    assert decoded.notes == ("alpha composited on white",)
    assert decoded.rgb[0].tolist() == [[255, 0, 0], [255, 255, 255]] * 2
    la = Image.fromarray(np.dstack([np.full((2, 2), 0, np.uint8), np.full((2, 2), 0, np.uint8)]),
                         "LA")
    assert decode_image(_encode(la, "PNG"), name="la.png").rgb.min() == 255


def test_animated_gif_first_frame() -> None:
    frames = [Image.new("RGB", (8, 6), colour) for colour in ((255, 0, 0), (0, 255, 0),
                                                               (0, 0, 255))]
    buf = io.BytesIO()
    frames[0].save(buf, "GIF", save_all=True, append_images=frames[1:], duration=100, loop=0)
    decoded = decode_image(buf.getvalue(), name="anim.gif")
    assert decoded.format == "GIF"
    assert decoded.notes == ("first frame of 3 used",)
    assert decoded.rgb[0, 0].tolist() == [255, 0, 0]


def test_bundled_animated_gif() -> None:
    from pathlib import Path

    path = Path(skdata.__file__).parent / "no_time_for_that_tiny.gif"
    with Image.open(path) as im:
        n_frames = im.n_frames
    assert n_frames > 1
    decoded = load_image(path)
    assert f"first frame of {n_frames} used" in decoded.notes


@pytest.mark.parametrize("fmt", ["PNG", "WEBP"])
def test_animated_png_and_webp_first_frame(fmt: str) -> None:
    frames = [Image.new("RGB", (16, 16), colour) for colour in ((0, 0, 255), (255, 255, 0))]
    buf = io.BytesIO()
    kwargs = {"lossless": True} if fmt == "WEBP" else {}
    frames[0].save(buf, fmt, save_all=True, append_images=frames[1:], duration=100, **kwargs)
    decoded = decode_image(buf.getvalue(), name=f"anim.{fmt.lower()}")
    assert decoded.notes == ("first frame of 2 used",)
    assert decoded.rgb[8, 8].tolist() == [0, 0, 255]


def test_exif_orientation_applied() -> None:
    rgb = np.zeros((20, 40, 3), dtype=np.uint8)
    rgb[:, :20] = 255  # left half white
    im = Image.fromarray(rgb)
    exif = im.getexif()
    exif[0x0112] = 6  # stored pixels must be rotated 90° clockwise for display
    decoded = decode_image(_encode(im, "PNG", exif=exif), name="rot.png")
    assert decoded.orientation == 6
    assert "EXIF orientation 6 applied (rotated 90° clockwise)" in decoded.notes
    assert (decoded.width, decoded.height) == (20, 40)
    assert decoded.rgb[0, 10].tolist() == [255, 255, 255]  # white half on top
    assert decoded.rgb[-1, 10].tolist() == [0, 0, 0]


def test_load_image(tmp_path: object) -> None:
    from pathlib import Path

    folder = Path(str(tmp_path))
    path = folder / "coffee.png"
    path.write_bytes(_encode(Image.fromarray(skdata.coffee()), "PNG"))
    assert load_image(path).rgb.shape == (400, 600, 3)
    with pytest.raises(InputError, match=r"missing\.png: cannot be read"):
        load_image(folder / "missing.png")
    (folder / "broken.jpg").write_bytes(b"\xff\xd8\xff\xe0 broken")
    with pytest.raises(InputError, match=r"broken\.jpg"):
        load_image(folder / "broken.jpg")
