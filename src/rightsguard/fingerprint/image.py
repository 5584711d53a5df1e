"""Images: safe decoding, perceptual hashes (pHash, dHash, PDQ) and the PDQ variants that find
flips and 90° rotations of a registered work.

Decoding (:func:`decode_image`, :func:`load_image`) refuses decompression bombs from the header,
truncated and corrupt files and formats outside :data:`SUPPORTED_FORMATS` with an
:class:`~rightsguard.errors.InputError` naming the input, and turns CMYK, 16-bit, float, alpha,
palette, animated and EXIF-rotated files into one RGB array, saying what it did in ``notes``.

Hashes (:func:`image_hashes`): imagehash's 64-bit pHash and dHash of the full-resolution image
(identical to ``imagehash.phash(image)``), and PDQ (Meta's 256-bit hash, ``pdqhash.compute``)
of the image's **64×64 area average** rather than of its full-resolution pixels. PDQ's own
filter (Jarosz, window ``ceil(side / 128)``) under-smooths, so its hash depends on the input's
resolution: on 12 bundled photographs a 50% resize moved the direct hash by 4–58 bits (brick 58,
grass 30) and the area-averaged one by 0–8. Images above 512 px are area-reduced to 512 first,
as PDQ's reference hasher does (:data:`PDQ_SOURCE_SIDE`).

Candidate variants. Whole-image hashes miss crops, flips and rotations: after a flip or a 90°
rotation the PDQ distance is ~128 bits, i.e. unrelated, and PDQ is very sensitive to where a
region's edges fall — moving a region by 1% of its side changes a median 27 bits (p90 36), by
2% 48 (57), 3% 70 (80); scaling it by 2% 23 (35), by 4% 40 (60) (scratch measurement on the
bundled photographs; pHash, with its 8×8 of 32×32 DCT, moves 6 and 10 of 64 bits for 2% and 4%
shifts, but has only 64 bits). A crop is therefore found only if a stored region lines up with
it to within ~3% of its side. So:

* :func:`work_fingerprints` stores 8 PDQ hashes per work: ``"full"`` and the 7 dihedral
  transforms from one ``pdqhash.compute_dihedral`` call (flips, 90°/180°/270°, transposes).
* :func:`query_fingerprints` computes only ``"full"``. A flat search costs (stored hashes ×
  query hashes) and chance candidates grow the same way, so the multiplicity sits on the work
  side, paid once per work (8 × 32 bytes per work in the index); query-side dihedral hashes
  would multiply every search by 8 for the same recall.
* Crops are not PDQ's job. Until 2026-12-01 every work also stored the 29 crop windows of
  :data:`CROP_GRID` (2×2 positions keeping 84% of the area, 3×3 keeping 74%, 4×4 keeping 64%;
  each a 64×64 window of the image area-averaged onto a finer grid, :class:`CropSpec`), which
  made 37 rows per work: 37 M rows to scan for a million works, over the issue's 20 ms even
  partitioned. The SIFT visual-word votes (:mod:`rightsguard.index.feature_index`) find those
  crops too: ``python -m bench images`` without the crop rows gave crop10 and crop30 1.000 (as
  with them), crop50 0.935 (0.944 with them: one query of 108), every other family and the
  1,200 negatives unchanged (bench/README.md, "PDQ without crop variants").

The crop grid was chosen by measuring: greedy set cover over ~1,600 candidate windows and a dozen
structured grids of 27–32 crops (scratch runs, seeds 1–3), scoring recall on crops removing
10–50% of the area at random positions. Grids with more positions at one area buy recall there
and lose it at the neighbouring areas; 84/74/64% was the best balance for crops of up to 30%.
Crops removing 40–50% would need ~50+ more windows per work at this alignment tolerance, beyond
the budget of 40 variants; they, and small rotations, are left to local features
(:mod:`rightsguard.fingerprint.image_features`).

Measured (``measure_variants(work_crops=CROP_GRID)``, seed 0): 17 bundled photographs
(:data:`PHOTOGRAPHS`) as works, 884 queries made by :func:`query_transform`; recall = share of
queries with some (query, own-work variant) pair within T bits; FPR over all 523,328 (query variant,
variant of another photograph) pairs, and over the 14,144 (query, other work) pairs. pHash is
imagededup's baseline: whole image against whole image, at its own largest threshold with pair FPR ≤
0.1%.

==========  ===  ========  ========  =====  =====  =====  =====  =====  ======  ======  =====
family       n   PDQ full  PDQ best  T=31   T=64   T=72   T=78   T=84   T=103   pHash   pHash
                 median    variant                                             median  T=19
==========  ===  ========  ========  =====  =====  =====  =====  =====  ======  ======  =====
jpeg50       17         2         2   1.00   1.00   1.00   1.00   1.00    1.00       0   1.00
resize50     17         0         0   1.00   1.00   1.00   1.00   1.00    1.00       0   1.00
colour       51         2         2   1.00   1.00   1.00   1.00   1.00    1.00       0   1.00
crop10      136        68        44   0.12   0.94   0.99   0.99   1.00    1.00      10   0.96
crop20      136       110        43   0.16   0.95   0.99   0.99   0.99    1.00      16   0.74
crop30      136       120        54   0.02   0.70   0.87   0.96   0.99    1.00      22   0.32
crop40      136       127        70   0.02   0.38   0.60   0.65   0.73    0.90      26   0.11
crop50      136       124       105   0.00   0.01   0.01   0.04   0.07    0.41      28   0.06
flip         17       126         0   1.00   1.00   1.00   1.00   1.00    1.00      32   0.00
rot90        17       128         0   1.00   1.00   1.00   1.00   1.00    1.00      30   0.00
rotate5-15   51       124        98   0.00   0.08   0.10   0.16   0.22    0.59      22   0.20
caption      34        26        26   0.62   0.94   1.00   1.00   1.00    1.00       4   1.00
==========  ===  ========  ========  =====  =====  =====  =====  =====  ======  ======  =====

Without the 29 crops (8 variants) recall at T=78 is 0.69 / 0.03 / 0.00 for crop10/20/30.
False positives: no pair of different photographs came within 87 bits (min 88; mean 128.0, sd
8.0 — exactly Binomial(256, ½), as if the bits were independent); pair FPR 0 up to T=84 and
9.3e-4 at T=103, the largest T with pair FPR ≤ 0.1% (image FPR there 3.2%). pHash at T=19: pair
FPR 7.1e-4.

Threshold (:data:`DEFAULT_PDQ_THRESHOLD` = 78). PDQ's documentation suggests treating distance ≤ 31
as a match and discarding hashes of quality ≤ 49 (facebook/ThreatExchange, pdq/README.md); that is a
verdict threshold for billions of hashes with no second stage, and it misses 38% of captioned copies
and nearly all crops here. Here PDQ only proposes candidates that local features then confirm, so
the threshold is set by how many chance candidates a search may return: the pair FPR ≤ 0.1%
threshold (103) would give ~3.9e4 per query against a million works × 37 variants
(:func:`chance_candidates`, the binomial law the negatives follow; 8.5e3 at 8 variants); 78 gives
6.8e-3 (1.5e-3 at 8 variants), a ~150× margin for collections whose unrelated images are more alike
than these photographs (heavier tails: plain backgrounds, templates), while keeping recall ≥ 0.96
for re-encoding, resizing, colour, crops up to 30%, flips, 90° rotations and captions. Not covered
by PDQ candidates: crops of 40% (0.65) and 50% (0.04), small rotations (0.16).

Throughput (same run, 512×512 astronaut, best of 20, a shared 2-core machine): decoding 6.8 ms
(PNG) / 1.3 ms (JPEG q90); :func:`image_hashes` 2.4 ms (mostly imagehash's Lanczos resizes);
:func:`work_fingerprints` 5.6 ms with the 29 crops (30 ``pdqhash`` calls at ~0.1–0.2 ms, most
of it pdqhash's Python wrapper), 0.58 ms without them (``python -m bench images``, 2026-12-01);
:func:`query_fingerprints` 0.3 ms. Registering a decoded 512 px work thus took ~8 ms of hashing
(~120 images per second per core), screening one ~2.7 ms.

Reproduce (scikit-image is in the dev group)::

    uv run --group dev python -c \
        "from rightsguard.fingerprint.image import measure_variants; print(measure_variants())"
"""

from __future__ import annotations

import io
import math
import os
import re
import struct
import time
import warnings
import zlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

import numpy as np
import numpy.typing as npt

from rightsguard.errors import InputError

U8 = npt.NDArray[np.uint8]

# ---------------------------------------------------------------------------------------------
# Decoding

DEFAULT_MAX_PIXELS = 89_478_485
"""Largest ``width × height`` decoded (Pillow's own ``Image.MAX_IMAGE_PIXELS`` default, 2**30 / 12:
about 256 MiB of 24-bit RGB). Checked against the header before any pixel is decoded."""

SUPPORTED_FORMATS = ("PNG", "JPEG", "MPO", "GIF", "WEBP", "BMP", "TIFF", "AVIF")
"""Pillow formats :func:`decode_image` tries (those this Pillow build has). Everything else —
PSD, EPS (Pillow runs Ghostscript for it), ICO, PCX, FITS and Pillow's other rarely used plugins
— is refused as unsupported: less parser surface for files we did not choose."""

_EXIF_ORIENTATION = 0x0112
# EXIF orientation value -> (PIL transpose method name, description); as ImageOps.exif_transpose
_ORIENTATIONS = {
    2: ("FLIP_LEFT_RIGHT", "mirrored"),
    3: ("ROTATE_180", "rotated 180°"),
    4: ("FLIP_TOP_BOTTOM", "flipped upside down"),
    5: ("TRANSPOSE", "transposed"),
    6: ("ROTATE_270", "rotated 90° clockwise"),
    7: ("TRANSVERSE", "transversed"),
    8: ("ROTATE_90", "rotated 90° counter-clockwise"),
}


@dataclass(frozen=True, slots=True)
class DecodedImage:
    """One decoded image, ready to hash.

    ``rgb``: ``(height, width, 3)`` uint8, RGB, read-only; the first frame of animated files, in
    display orientation (EXIF orientation applied, see ``orientation``). ``width``/``height``:
    its size in pixels of the original file — the full resolution, never a downscaled copy; when
    ``orientation`` is 5–8 the file stores the pixels transposed (``width`` here is the file's
    height). Boxes and regions computed from this image are in this pixel grid.
    ``format``: Pillow's format name (``"JPEG"``, ``"PNG"``…). ``orientation``: the EXIF
    orientation value applied, 1 (none) to 8. ``notes``: every lossy or non-obvious step of the
    decoding, in words, e.g. ``"CMYK converted to RGB (naive, ICC profile ignored)"``,
    ``"16-bit samples scaled to 8 bits"``, ``"alpha composited on white"`` (or ``"alpha
    composited on black (blank on white: …)"``, see :data:`BLANK_GREY_STD`), ``"first frame of
    12 used"``, ``"EXIF orientation 6 applied (rotated 90° clockwise)"``, ``"Pillow warned: …"``.
    """

    rgb: U8
    width: int
    height: int
    format: str
    notes: tuple[str, ...] = ()
    orientation: int = 1


def _open_formats() -> tuple[str, ...]:
    from PIL import Image

    Image.init()  # registers every plugin once (idempotent); Image.open does the same on a miss
    return tuple(f for f in SUPPORTED_FORMATS if f in Image.OPEN)


def _rawmode(im: Any) -> str:
    """The decoder's raw mode of the first tile (e.g. ``"RGB;16B"``), before ``load``."""
    for tile in getattr(im, "tile", None) or ():
        args = tile.args if hasattr(tile, "args") else tile[3]
        if isinstance(args, str):
            return args
        if isinstance(args, tuple) and args and isinstance(args[0], str):
            return args[0]
    return ""


def _scale_to_u8(values: npt.NDArray[Any], mode: str, notes: list[str]) -> U8:
    """Greyscale samples of mode ``I;16*``, ``I`` or ``F`` → uint8, with a note saying how."""
    if values.dtype.kind == "u" and values.dtype.itemsize == 2:
        notes.append("16-bit samples scaled to 8 bits")
        v = values.astype(np.uint32)
        return ((v * 255 + 32767) // 65535).astype(np.uint8)
    v64 = np.nan_to_num(values.astype(np.float64), nan=0.0, posinf=0.0, neginf=0.0)
    lo, hi = (float(v64.min()), float(v64.max())) if v64.size else (0.0, 0.0)
    kind = {"I": "32-bit integer", "F": "32-bit float"}.get(mode, f"{mode} integer")
    if mode == "F" and lo >= 0.0 and hi <= 1.0:
        notes.append(f"{kind} samples in [0, 1] scaled to 8 bits")
        v64 = v64 * 255.0
    elif lo >= 0.0 and hi <= 255.0:
        notes.append(f"{kind} samples in [0, 255] kept")
    elif mode != "F" and lo >= 0.0 and hi <= 65535.0:
        notes.append(f"{kind} samples in [0, 65535] scaled to 8 bits")
        v64 = v64 * (255.0 / 65535.0)
    else:
        notes.append(f"{kind} samples stretched from [{lo:g}, {hi:g}] to 8 bits")
        v64 = (v64 - lo) * (255.0 / (hi - lo)) if hi > lo else np.zeros_like(v64)
    return np.clip(np.floor(v64 + 0.5), 0, 255).astype(np.uint8)


BLANK_GREY_STD = 1.0
"""Grey-level standard deviation (ITU-R BT.601 luma, 0–255) below which an alpha image composited
on white counts as blank: :func:`decode_image` then composites it on black if that shows the shape
(see :func:`_composite_alpha`). The seven alpha-only overlays of Debian's mate-backgrounds measure
0.00–0.61 on white and 21.6–56.4 on black; its three other alpha PNGs, with visible colour,
17.8–53.9 on white (and keep white)."""

_LUMA = np.array([0.299, 0.587, 0.114])  # ITU-R BT.601, the weights PDQ's own luma uses
_STATS_PIXELS = 1 << 20  # grey-level statistics on a strided sample of at most ~1 Mpixel


def _grey_std(rgb: U8) -> float:
    """Standard deviation of BT.601 luma (0–255) over an evenly strided sample of ``rgb``."""
    h, w = rgb.shape[:2]
    step = max(1, math.ceil(math.sqrt(h * w / _STATS_PIXELS)))
    sample = rgb[::step, ::step].reshape(-1, 3).astype(np.float64)
    return float((sample @ _LUMA).std()) if sample.size else 0.0


def _composite(rgb: U8, alpha: npt.NDArray[np.uint16], background: int) -> U8:
    out = (rgb.astype(np.uint16) * alpha + background * (255 - alpha) + 127) // 255
    return out.astype(np.uint8)


def _composite_alpha(rgba: U8, notes: list[str]) -> U8:
    """Straight-alpha RGBA ``(h, w, 4)`` uint8 → RGB, composited on white, or on black if blank.

    White is the background most viewers show, so it is the rule. But some images are white (or
    nearly transparent) pixels whose picture is only in the alpha channel — overlays meant for a
    dark desktop, such as seven of mate-backgrounds' abstract/desktop PNGs. On white they decode
    blank (grey-level std below :data:`BLANK_GREY_STD`), and a blank image can be neither hashed
    usefully nor matched; such an image is composited on black instead when that leaves a grey-
    level std of at least :data:`BLANK_GREY_STD` (i.e. the alpha varies where the pixels are
    light). The choice depends only on the file's pixels, so registration and screening decode
    the same file the same way. Notes: ``"alpha composited on white"``, or ``"alpha composited on
    black (blank on white: grey-level std 0.00; the shape is in the alpha channel)"``.
    """
    alpha = rgba[:, :, 3:4].astype(np.uint16)
    rgb = rgba[:, :, :3]
    if alpha.size and int(alpha.min()) == 255:
        return np.ascontiguousarray(rgb)
    on_white = _composite(rgb, alpha, 255)
    white_std = _grey_std(on_white)
    if white_std < BLANK_GREY_STD:
        on_black = _composite(rgb, alpha, 0)
        if _grey_std(on_black) >= BLANK_GREY_STD:
            notes.append(f"alpha composited on black (blank on white: grey-level std "
                         f"{white_std:.2f}; the shape is in the alpha channel)")
            return on_black
    notes.append("alpha composited on white")
    return on_white


def _to_rgb(im: Any, notes: list[str]) -> U8:
    """Decode the current frame of ``im`` and convert it to RGB uint8 ``(h, w, 3)``."""
    rawmode = _rawmode(im)
    im.load()
    mode = im.mode
    if ";16" in rawmode and not mode.startswith("I;16"):
        notes.append("16-bit samples scaled to 8 bits")
    if mode in ("I", "F") or mode.startswith("I;16"):
        grey = _scale_to_u8(np.asarray(im), mode, notes)
        return np.repeat(grey[:, :, None], 3, axis=2)
    has_alpha = mode in ("RGBA", "RGBa", "LA", "La", "PA") or (
        mode in ("P", "L", "RGB", "1") and "transparency" in im.info)
    if has_alpha:
        return _composite_alpha(np.asarray(im.convert("RGBA")), notes)
    if mode == "CMYK":
        notes.append("CMYK converted to RGB (naive, ICC profile ignored)")
    elif mode not in ("RGB", "L", "1", "P"):
        notes.append(f"{mode} converted to RGB")
    if mode == "RGB":
        return np.asarray(im)
    return np.asarray(im.convert("RGB"))


def _orientation(im: Any, notes: list[str]) -> int:
    try:
        value = im.getexif().get(_EXIF_ORIENTATION, 1)
    except Exception as exc:  # Pillow raises assorted errors on corrupt EXIF blocks
        notes.append(f"EXIF unreadable, orientation not applied ({type(exc).__name__})")
        return 1
    if not isinstance(value, int) or value == 1:
        return 1
    if value not in _ORIENTATIONS:
        notes.append(f"EXIF orientation {value!r} is not 1–8, not applied")
        return 1
    return value


def _frame_note(im: Any) -> str | None:
    try:
        frames = int(getattr(im, "n_frames", 1))
    except Exception as exc:  # counting seeks through the file; a broken later frame is fine
        return f"first frame used (later frames unreadable: {type(exc).__name__})"
    return f"first frame of {frames} used" if frames > 1 else None


def decode_image(data: bytes, *, name: str, max_pixels: int = DEFAULT_MAX_PIXELS) -> DecodedImage:
    """Decode an image file's bytes to RGB, refusing what is unsafe or unreadable.

    ``name`` labels the input in error messages (a path, a URL, a catalogue row). Raises
    :class:`~rightsguard.errors.InputError` naming it for: formats outside
    :data:`SUPPORTED_FORMATS` or not images at all; a header whose ``width × height`` exceeds
    ``max_pixels`` (checked before decoding — decompression bombs); zero-size images; truncated
    or corrupt data (``ImageFile.LOAD_TRUNCATED_IMAGES`` is never set: a truncated file is an
    error, not a grey-filled picture — unless the embedding application set it globally).

    Conversions, each recorded in :attr:`DecodedImage.notes`: palette, greyscale and bilevel to
    RGB; CMYK (naive: Adobe-inverted JPEGs handled by Pillow, ICC profiles ignored), YCbCr, LAB,
    HSV to RGB; 16-bit samples scaled by 255/65535 (Pillow itself reduces 16-bit RGB PNG/TIFF
    to 8 bits; noted from the raw mode); 32-bit integer and float greyscale mapped to 8 bits
    (kept if in [0, 255], float in [0, 1] ×255, else stretched from min–max); alpha (RGBA, LA,
    PA, palette or tRNS transparency) composited on white, the background most viewers show —
    or on black when the image would be blank on white but its alpha channel holds the shape
    (grey-level std below :data:`BLANK_GREY_STD` on white and not on black); the first frame of
    animated GIF/PNG/WebP and multi-page TIFF/MPO; EXIF orientation applied so the pixels are
    the picture people see (and copy).

    Pillow's decompression-bomb guard stays as it is: no global is changed. Its
    ``DecompressionBombError`` (above ``2 × Image.MAX_IMAGE_PIXELS``) becomes an ``InputError``,
    so ``max_pixels`` above that is capped by Pillow; its ``DecompressionBombWarning`` and other
    warnings are caught with ``warnings.catch_warnings(record=True)`` (other warnings become
    notes). ``catch_warnings`` swaps the process-wide warning filters while a file is decoded,
    so threads decoding at the same time may see each other's filters (Python ≤ 3.13 documents
    it as not thread-safe): decode from several processes (as rightsguard's pipeline does), not
    several threads, if other warnings in the process matter.
    """
    if max_pixels < 1:
        raise ValueError(f"max_pixels must be at least 1, got {max_pixels}")
    from PIL import Image, PngImagePlugin, UnidentifiedImageError

    formats = _open_formats()
    fmt = "image"
    notes: list[str] = []
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            with Image.open(io.BytesIO(data), formats=formats) as im:
                fmt = im.format or "image"
                width, height = im.size
                if width <= 0 or height <= 0:
                    raise InputError(f"{name}: {fmt} image has zero size ({width}×{height} "
                                     "pixels); an image needs at least 1×1")
                if width * height > max_pixels:
                    raise InputError(
                        f"{name}: {fmt} header says {width}×{height} = {width * height:,} "
                        f"pixels, above the limit of {max_pixels:,} (possible decompression "
                        "bomb); refused before decoding")
                rgb = _to_rgb(im, notes)
                if rgb.shape[0] * rgb.shape[1] > max_pixels:  # a GIF frame may grow the canvas
                    raise InputError(f"{name}: {fmt} frame of {rgb.shape[1]}×{rgb.shape[0]} "
                                     f"pixels is above the limit of {max_pixels:,}")
                orientation = _orientation(im, notes)
                frame_note = _frame_note(im)
        except InputError:
            raise
        except Image.DecompressionBombError as exc:
            # Pillow refuses above 2 × its limit before the size check above can run; say it
            # as that check does (a newcomer saw PNGs refused at 178,956,970, JPEGs at 89 M)
            size = re.search(r"\((\d+) pixels\)", str(exc))
            if size is None:
                raise InputError(f"{name}: refused before decoding, possible decompression "
                                 f"bomb (Pillow: {exc})") from None
            hard = 2 * int(Image.MAX_IMAGE_PIXELS or 0)
            limit = (f"the limit of {max_pixels:,}" if max_pixels <= hard
                     else f"Pillow's hard limit of {hard:,}")
            raise InputError(f"{name}: {fmt} header says {int(size.group(1)):,} pixels, above "
                             f"{limit} (possible decompression bomb); refused before "
                             "decoding") from None
        except UnidentifiedImageError:
            raise InputError(f"{name}: not an image in a supported format (supported: "
                             f"{', '.join(formats)})") from None
        except (OSError, ValueError, SyntaxError, EOFError, IndexError, TypeError, KeyError,
                struct.error, zlib.error, MemoryError) as exc:
            if "Decompressed data too large" in str(exc):  # PngImagePlugin's text-chunk guard
                raise InputError(
                    f"{name}: a compressed PNG text chunk (zTXt/iTXt: XMP, comments) inflates "
                    f"past Pillow's limit of {PngImagePlugin.MAX_TEXT_CHUNK:,} bytes (possible "
                    "decompression bomb); refused") from None
            raise InputError(f"{name}: {fmt} data cannot be decoded ({type(exc).__name__}: "
                             f"{exc}); truncated or corrupt files are refused") from None
    if frame_note:
        notes.append(frame_note)
    if orientation != 1:
        method, description = _ORIENTATIONS[orientation]
        rgb = np.asarray(Image.fromarray(rgb).transpose(getattr(Image.Transpose, method)))
        notes.append(f"EXIF orientation {orientation} applied ({description})")
    for w in caught:
        if issubclass(w.category, (Image.DecompressionBombWarning, DeprecationWarning)):
            continue
        note = f"Pillow warned: {w.message}"
        if note not in notes:
            notes.append(note)
    rgb = np.ascontiguousarray(rgb, dtype=np.uint8)
    rgb.flags.writeable = False
    return DecodedImage(rgb=rgb, width=int(rgb.shape[1]), height=int(rgb.shape[0]), format=fmt,
                        notes=tuple(notes), orientation=orientation)


def load_image(path: str | os.PathLike[str], *, max_pixels: int = DEFAULT_MAX_PIXELS,
               ) -> DecodedImage:
    """:func:`decode_image` of a file's bytes; a missing or unreadable file is an ``InputError``."""
    try:
        size = os.path.getsize(path)
        if size > 8 * max_pixels + (64 << 20):  # more than 16-bit RGBA, uncompressed
            raise InputError(f"{os.fspath(path)}: {size:,} bytes is too large for an image of at "
                             f"most {max_pixels:,} pixels")
        with open(path, "rb") as f:
            data = f.read()
    except InputError:
        raise
    except OSError as exc:
        raise InputError(f"{os.fspath(path)}: cannot be read ({exc.strerror or exc})") from None
    return decode_image(data, name=os.fspath(path), max_pixels=max_pixels)


# ---------------------------------------------------------------------------------------------
# Hashes and Hamming distances

PDQ_SIDE = 64
"""PDQ hashes are computed by ``pdqhash.compute`` on the 64×64 area average (OpenCV
``INTER_AREA``) of the image or region, not on the full-resolution pixels: see the module
docstring for why (a 50% resize moves the direct hash by 4–58 bits, the canonical one by 0–8)."""

PDQ_SOURCE_SIDE = 512
"""Images whose longer side exceeds this are first area-reduced to it before the PDQ area
averages (PDQ's reference hasher also downsamples to 512 first, for speed). Measured on the
larger bundled photographs (retina 1411², hubble 1000×872, motorcycle 741×500, rocket 640×427):
0–2 bits on ``"full"``, at most 4 on any crop variant."""

PDQ_QUALITY_MIN = 50
"""PDQ's own advice: discard hashes of quality ≤ 49 (flat, featureless images; facebook/
ThreatExchange pdq/README.md). Variants keep their quality so the index can apply it."""

_POPCOUNT: U8 = np.unpackbits(np.arange(256, dtype=np.uint8)[:, None], axis=1).sum(
    axis=1).astype(np.uint8)


@dataclass(frozen=True, slots=True)
class ImageHashes:
    """Whole-image perceptual hashes.

    ``phash``/``dhash``: imagehash's 64-bit pHash and dHash of the image (its defaults,
    hash_size 8) as 8 bytes, big-endian, so ``phash.hex() == str(imagehash.phash(image))``.
    ``pdq``: 256-bit PDQ as 32 bytes, ``pdq.hex()`` equals PDQ's reference hex string (the hash's
    most significant 16-bit word first). ``pdq_quality``: PDQ's quality, 0–100.
    """

    phash: bytes
    dhash: bytes
    pdq: bytes
    pdq_quality: int


def _pack_bits(bits: Any) -> bytes:
    return np.packbits(np.asarray(bits).astype(bool).ravel()).tobytes()


def _as_rgb(image: DecodedImage | U8) -> U8:
    rgb = image.rgb if isinstance(image, DecodedImage) else np.asarray(image)
    if rgb.ndim == 2:
        rgb = np.repeat(rgb[:, :, None], 3, axis=2)
    if rgb.ndim != 3 or rgb.shape[2] != 3 or rgb.dtype != np.uint8:
        raise ValueError(f"expected an (h, w, 3) uint8 RGB array, got shape {rgb.shape} "
                         f"dtype {rgb.dtype}")
    if rgb.shape[0] < 1 or rgb.shape[1] < 1:
        raise ValueError(f"cannot hash an empty image of shape {rgb.shape}")
    return np.ascontiguousarray(rgb)


def _area64(rgb: U8) -> U8:
    import cv2

    out = cv2.resize(rgb, (PDQ_SIDE, PDQ_SIDE), interpolation=cv2.INTER_AREA)
    return np.ascontiguousarray(out, dtype=np.uint8)


def _pdq_source(rgb: U8) -> U8:
    """``rgb``, area-reduced to a longer side of :data:`PDQ_SOURCE_SIDE` if it is larger."""
    import cv2

    h, w = rgb.shape[:2]
    if max(h, w) <= PDQ_SOURCE_SIDE:
        return rgb
    scale = PDQ_SOURCE_SIDE / max(h, w)
    size = (max(1, round(w * scale)), max(1, round(h * scale)))
    return np.ascontiguousarray(cv2.resize(rgb, size, interpolation=cv2.INTER_AREA))


def _pdq(small: U8) -> tuple[bytes, int]:
    import pdqhash

    bits, quality = pdqhash.compute(small)
    return _pack_bits(bits), int(quality)


def image_hashes(image: DecodedImage | U8) -> ImageHashes:
    """pHash, dHash (imagehash, on the full-resolution image) and PDQ (see :data:`PDQ_SIDE`)."""
    import imagehash
    from PIL import Image

    rgb = _as_rgb(image)
    pil = Image.fromarray(rgb)
    pdq, quality = _pdq(_area64(_pdq_source(rgb)))
    return ImageHashes(phash=_pack_bits(imagehash.phash(pil).hash),
                       dhash=_pack_bits(imagehash.dhash(pil).hash), pdq=pdq, pdq_quality=quality)


def hash_array(hashes: Iterable[bytes] | bytes | npt.ArrayLike) -> U8:
    """Hashes as a ``(n, n_bytes)`` uint8 array (one ``bytes`` gives ``n = 1``)."""
    if isinstance(hashes, (bytes, bytearray, memoryview)):
        return np.frombuffer(bytes(hashes), dtype=np.uint8)[None, :]
    if isinstance(hashes, np.ndarray):
        arr = hashes
    else:
        items: list[Any] = list(hashes)  # type: ignore[arg-type]
        if items and isinstance(items[0], (bytes, bytearray, memoryview)):
            lengths = {len(h) for h in items}
            if len(lengths) != 1:
                raise ValueError(f"hashes of different lengths: {sorted(lengths)} bytes")
            arr = np.frombuffer(b"".join(bytes(h) for h in items), dtype=np.uint8).reshape(
                len(items), -1)
        else:
            arr = np.asarray(items)
    if arr.dtype != np.uint8:
        raise ValueError(f"hashes must be bytes or uint8 arrays, got dtype {arr.dtype}")
    return arr.reshape(1, -1) if arr.ndim == 1 else arr


def hamming(a: bytes, b: bytes) -> int:
    """Number of differing bits between two hashes of the same length."""
    if len(a) != len(b):
        raise ValueError(f"hashes of different lengths: {len(a)} and {len(b)} bytes")
    x = np.frombuffer(a, dtype=np.uint8) ^ np.frombuffer(b, dtype=np.uint8)
    return int(_POPCOUNT[x].sum(dtype=np.int64))


def hamming_matrix(a: Iterable[bytes] | npt.ArrayLike, b: Iterable[bytes] | npt.ArrayLike,
                   ) -> npt.NDArray[np.int32]:
    """``(len(a), len(b))`` matrix of Hamming distances (bits) between two lists of hashes."""
    x, y = hash_array(a), hash_array(b)
    if x.shape[1] != y.shape[1]:
        raise ValueError(f"hashes of different lengths: {x.shape[1]} and {y.shape[1]} bytes")
    out = np.empty((x.shape[0], y.shape[0]), dtype=np.int32)
    step = max(1, (1 << 22) // max(1, y.shape[0] * y.shape[1]))  # bound the XOR temporary
    for i in range(0, x.shape[0], step):
        xor = x[i:i + step, None, :] ^ y[None, :, :]
        out[i:i + step] = _POPCOUNT[xor].sum(axis=2, dtype=np.int32)
    return out


# ---------------------------------------------------------------------------------------------
# Variants for candidate generation

class HashVariant(NamedTuple):
    """One PDQ hash of a work or query image for candidate search.

    ``name``: ``"full"``, ``"dihedral:<t>"`` (the hash of the whole image under transform
    ``<t>``: ``rot90``/``rot180``/``rot270`` counter-clockwise, ``flip`` left–right mirror,
    ``flipv`` top–bottom, ``transpose``, ``transverse`` — Pillow's ``Image.Transpose`` meanings)
    or ``"crop:<area>:<position>"`` (a region keeping ``<area>`` of the image's area). ``box``:
    the hashed region, half-open ``(x0, y0, x1, y1)`` in pixels of the decoded image (see
    :class:`DecodedImage`); for dihedral variants the whole image. ``pdq``: 32 bytes.
    ``quality``: PDQ quality 0–100 of this region.
    """

    name: str
    box: tuple[int, int, int, int]
    pdq: bytes
    quality: int


_DIHEDRAL_NAMES = ("full", "dihedral:rot90", "dihedral:rot180", "dihedral:rot270",
                   "dihedral:flipv", "dihedral:flip", "dihedral:transpose", "dihedral:transverse")
"""Names of pdqhash.compute_dihedral's outputs, in its order (original, Rotate90, Rotate180,
Rotate270, FlipX, FlipY, FlipPlus1, FlipMinus1), checked against hashing Pillow's transposes."""


@dataclass(frozen=True, slots=True)
class CropSpec:
    """A crop variant keeping about ``area`` (0–1] of the image, same aspect ratio.

    The image is area-averaged onto a grid of ``cells × cells`` (``cells = round(64 /
    sqrt(area))``, each axis scaled on its own, as PDQ itself squeezes every image to 64×64) and
    the variant is PDQ of the 64×64 window whose top-left cell is ``(round(ax × (cells − 64)),
    round(ay × (cells − 64)))``: ``ax``/``ay`` place the window in the free room, 0 left/top, 1
    right/bottom. The window is thus exactly the area average of its region of the image, as a
    query's ``"full"`` hash is of the whole query. ``label`` names the position in ``name``.
    """

    area: float
    ax: float
    ay: float
    label: str

    def __post_init__(self) -> None:
        if not (0.0 < self.area <= 1.0 and 0.0 <= self.ax <= 1.0 and 0.0 <= self.ay <= 1.0):
            raise ValueError(f"crop needs 0 < area <= 1 and anchors in [0, 1], got {self}")

    @property
    def name(self) -> str:
        return f"crop:{self.area:g}:{self.label}"

    @property
    def cells(self) -> int:
        return max(PDQ_SIDE, round(PDQ_SIDE / math.sqrt(self.area)))

    def window(self) -> tuple[int, int]:
        """Top-left cell ``(column, row)`` of the 64×64 window on the ``cells`` grid."""
        room = self.cells - PDQ_SIDE
        return round(self.ax * room), round(self.ay * room)

    def box(self, width: int, height: int) -> tuple[int, int, int, int]:
        """The region hashed, half-open, in pixels of a ``width × height`` image (rounded)."""
        col, row = self.window()
        n = self.cells
        return (round(col * width / n), round(row * height / n),
                round((col + PDQ_SIDE) * width / n), round((row + PDQ_SIDE) * height / n))


def _grid(area: float, anchors: Sequence[float]) -> tuple[CropSpec, ...]:
    """``len(anchors)``² crops of one area, row by row (anchors are fractions of the free room)."""
    return tuple(CropSpec(area, ax, ay, "center" if ax == ay == 0.5 else f"{ax:g},{ay:g}")
                 for ay in anchors for ax in anchors)


CROP_GRID: tuple[CropSpec, ...] = (
    _grid(0.84, (0.25, 0.75)) + _grid(0.74, (0.17, 0.5, 0.83))
    + _grid(0.64, (0.125, 0.375, 0.625, 0.875)))
"""29 crop windows: 2×2 positions keeping 84% of the area, 3×3 keeping 74%, 4×4 keeping 64%
(the best of the grids measured, module docstring). Stored for every work until the vote
channel made them redundant; kept to measure what crop hashes add
(``measure_variants(work_crops=CROP_GRID)``)."""

WORK_CROPS: tuple[CropSpec, ...] = ()
"""The crop variants stored for every work: none (the SIFT votes find crops; module
docstring)."""


def _variants(rgb: U8, crops: Sequence[CropSpec], dihedral: bool) -> list[HashVariant]:
    import cv2
    import pdqhash

    h, w = rgb.shape[:2]
    whole = (0, 0, w, h)
    source = _pdq_source(rgb)
    small = _area64(source)
    out: list[HashVariant] = []
    if dihedral:
        hashes, quality = pdqhash.compute_dihedral(small)
        out.extend(HashVariant(n, whole, _pack_bits(b), int(quality))
                   for n, b in zip(_DIHEDRAL_NAMES, hashes, strict=True))
    else:
        pdq, quality = _pdq(small)
        out.append(HashVariant("full", whole, pdq, quality))
    grids: dict[int, U8] = {}
    for spec in crops:
        n = spec.cells
        if n not in grids:
            grids[n] = np.asarray(cv2.resize(source, (n, n), interpolation=cv2.INTER_AREA),
                                  dtype=np.uint8)
        col, row = spec.window()
        window = np.ascontiguousarray(grids[n][row:row + PDQ_SIDE, col:col + PDQ_SIDE])
        pdq, quality = _pdq(window)
        out.append(HashVariant(spec.name, spec.box(w, h), pdq, quality))
    return out


def crop_fingerprints(image: DecodedImage | U8, crops: Sequence[CropSpec] = CROP_GRID
                      ) -> list[HashVariant]:
    """PDQ of each crop window of ``crops`` (default :data:`CROP_GRID`), in order. Not stored
    for works (:data:`WORK_CROPS` is empty); for measuring what crop hashes would add."""
    return _variants(_as_rgb(image), crops, dihedral=True)[len(_DIHEDRAL_NAMES):]


WORK_VARIANTS = len(_DIHEDRAL_NAMES) + len(WORK_CROPS)
"""PDQ variants stored per work (8); works registered while crops were stored have 37, of which
the first 8 are these (the hash index keeps only those)."""


def work_fingerprints(image: DecodedImage | U8) -> list[HashVariant]:
    """The PDQ variants stored for a registered work: ``"full"``, its 7 dihedral transforms and
    the crops of :data:`WORK_CROPS` (none: ``len(WORK_CROPS) + 8`` = 8 variants)."""
    return _variants(_as_rgb(image), WORK_CROPS, dihedral=True)


def work_variant(index: int, width: int, height: int) -> tuple[str, tuple[int, int, int, int]]:
    """Name and box of stored variant ``index`` of a ``width × height`` work (the order of
    :func:`work_fingerprints`), without hashing anything. IndexError for an index outside
    ``0 ≤ index < len(WORK_CROPS) + 8``."""
    if index < 0 or index >= len(_DIHEDRAL_NAMES) + len(WORK_CROPS):
        raise IndexError(f"variant {index}: a work has {len(_DIHEDRAL_NAMES) + len(WORK_CROPS)}")
    if index < len(_DIHEDRAL_NAMES):
        return _DIHEDRAL_NAMES[index], (0, 0, width, height)
    spec = WORK_CROPS[index - len(_DIHEDRAL_NAMES)]
    return spec.name, spec.box(width, height)


def query_fingerprints(image: DecodedImage | U8) -> list[HashVariant]:
    """The PDQ variants computed for a screened image: only ``"full"``.

    Search cost and chance false candidates grow with (work variants × query variants), so the
    multiplicity is kept on the work side, where it is paid once at registration; query-side
    dihedral or crop hashes would multiply every search (see the module docstring)."""
    return _variants(_as_rgb(image), (), dihedral=False)


DEFAULT_PDQ_THRESHOLD = 78
"""Largest PDQ Hamming distance (bits of 256) at which a query variant is a candidate for a work
variant. See the module docstring for the measurement this was chosen from."""


# ---------------------------------------------------------------------------------------------
# Measurement (scikit-image's bundled photographs; needs the dev dependency group)

PHOTOGRAPHS = ("astronaut", "camera", "chelsea", "coffee", "rocket", "motorcycle_left",
               "hubble_deep_field", "retina", "immunohistochemistry", "moon", "coins", "text",
               "page", "clock", "brick", "grass", "gravel")
"""scikit-image's bundled images that are photographs (``cell`` is a phase image reconstructed
from a hologram, ``microaneurysms`` a crop of a retina photograph, the rest are drawings)."""

FAMILIES = ("jpeg50", "resize50", "colour", "crop10", "crop20", "crop30", "crop40", "crop50",
            "flip", "rot90", "rotate5-15", "caption")
_SAMPLES = {"colour": 3, "crop10": 8, "crop20": 8, "crop30": 8, "crop40": 8, "crop50": 8,
            "rotate5-15": 3, "caption": 2}


def _photograph(name: str) -> U8:
    from skimage import data

    loaders: Any = data  # scikit-image is untyped
    rgb = loaders.stereo_motorcycle()[0] if name == "motorcycle_left" else getattr(data, name)()
    return np.ascontiguousarray(np.repeat(rgb[:, :, None], 3, axis=2) if rgb.ndim == 2 else rgb)


def max_inner_rect(w: float, h: float, degrees: float) -> tuple[float, float]:
    """Largest axis-aligned rectangle inside a w×h rectangle rotated by ``degrees`` (what AugLy's
    rotate keeps after rotating with expand)."""
    a = math.radians(degrees)
    sin_a, cos_a = abs(math.sin(a)), abs(math.cos(a))
    long_side, short_side = max(w, h), min(w, h)
    if short_side <= 2 * sin_a * cos_a * long_side or abs(sin_a - cos_a) < 1e-10:
        x = 0.5 * short_side
        return (x / sin_a, x / cos_a) if w >= h else (x / cos_a, x / sin_a)
    cos_2a = cos_a * cos_a - sin_a * sin_a
    return (w * cos_a - h * sin_a) / cos_2a, (h * cos_a - w * sin_a) / cos_2a


def rotate_inner(im: Any, degrees: float) -> Any:
    """A Pillow image turned ``degrees`` counter-clockwise (bicubic) and cut to its largest
    upright inner rectangle (:func:`max_inner_rect`, rounded half a pixel inwards): AugLy's
    ``rotate``, as the benchmarks' small-rotation queries are made."""
    from PIL import Image

    w, h = im.size
    turned = im.rotate(degrees, Image.Resampling.BICUBIC, expand=True)
    iw, ih = max_inner_rect(w, h, degrees)
    cx, cy = turned.width / 2, turned.height / 2
    return turned.crop((round(cx - iw / 2 + 0.5), round(cy - ih / 2 + 0.5),
                        round(cx + iw / 2 - 0.5), round(cy + ih / 2 - 0.5)))


def query_transform(rgb: U8, family: str, rng: np.random.Generator) -> U8:
    """One query of a transform ``family`` (:data:`FAMILIES`) made from a work, for measuring.

    ``jpeg50`` re-encodes at quality 50; ``resize50`` halves both sides (Lanczos); ``colour``
    scales brightness and contrast by 0.7–1.3 and saturation by 0.5–1.5; ``cropN`` keeps
    (100 − N)% of the area, same aspect ratio, at a uniformly random position; ``flip`` mirrors
    left–right; ``rot90`` rotates 90° counter-clockwise; ``rotate5-15`` rotates by ±5–15° and
    keeps the largest upright rectangle without borders (as AugLy's ``rotate``); ``caption``
    draws a line of white text with a black outline (Pillow's default font, a tenth of the
    height) over the top or bottom of the picture.
    """
    from PIL import Image, ImageDraw, ImageEnhance, ImageFont

    im = Image.fromarray(rgb)
    w, h = im.size
    if family == "jpeg50":
        buf = io.BytesIO()
        im.save(buf, "JPEG", quality=50)
        buf.seek(0)
        out = Image.open(buf).convert("RGB")
    elif family == "resize50":
        out = im.resize((max(1, w // 2), max(1, h // 2)), Image.Resampling.LANCZOS)
    elif family == "colour":
        out = ImageEnhance.Brightness(im).enhance(rng.uniform(0.7, 1.3))
        out = ImageEnhance.Contrast(out).enhance(rng.uniform(0.7, 1.3))
        out = ImageEnhance.Color(out).enhance(rng.uniform(0.5, 1.5))
    elif family.startswith("crop"):
        side = (1 - int(family[4:]) / 100) ** 0.5
        cw, ch = round(w * side), round(h * side)
        x0, y0 = int(rng.integers(0, w - cw + 1)), int(rng.integers(0, h - ch + 1))
        out = im.crop((x0, y0, x0 + cw, y0 + ch))
    elif family == "flip":
        out = im.transpose(Image.Transpose.FLIP_LEFT_RIGHT)
    elif family == "rot90":
        out = im.transpose(Image.Transpose.ROTATE_90)
    elif family == "rotate5-15":
        out = rotate_inner(im, rng.uniform(5, 15) * rng.choice((-1.0, 1.0)))
    elif family == "caption":
        out = im.copy()
        size = max(10, h // 10)
        font = ImageFont.load_default(size=size)
        text = ("generated with a diffusion model", "when the model remembers")[
            int(rng.integers(0, 2))]
        y = size // 3 if rng.random() < 0.5 else h - size - size // 2
        ImageDraw.Draw(out).text((w // 2, y), text, fill="white", font=font, anchor="ma",
                                 stroke_width=max(1, size // 12), stroke_fill="black")
    else:
        raise ValueError(f"unknown transform family {family!r}; one of {', '.join(FAMILIES)}")
    return np.ascontiguousarray(np.asarray(out.convert("RGB")))


def chance_candidates(threshold: int, n_hashes: float) -> float:
    """Expected chance candidates per query hash among ``n_hashes`` unrelated PDQ hashes at
    ``threshold``, if their distances follow Binomial(256, ½) — as the measured negatives do
    (mean 128.0, sd 8.0); real collections have heavier tails, so leave a margin."""
    return n_hashes * sum(math.comb(256, k) for k in range(max(0, threshold) + 1)) / 2.0 ** 256


def _best_ms(fn: Any, repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best * 1e3


def measure_variants(*, seed: int = 0, thresholds: Sequence[int] = (31, 64, 72, 78, 84),
                     work_crops: Sequence[CropSpec] | None = None) -> str:
    """Recall per transform family and false-positive rates of the PDQ variants, as a table.

    Works are :data:`PHOTOGRAPHS`; each gets :func:`work_fingerprints` (or ``"full"``, the 7
    dihedral variants and ``work_crops`` when given). Queries are :func:`query_transform` outputs
    (1–5 per photograph and family, see ``_SAMPLES``), hashed with :func:`query_fingerprints`.
    A query is recalled at threshold T if some (query variant, variant of its own work) pair is
    within T bits. Negatives are all (query variant, variant of another photograph) pairs:
    "pair FPR" counts those pairs, "image FPR" counts (query, other work) pairs with any variant
    pair within T. ``T(0.1%)`` is the largest T with pair FPR ≤ 0.1%. pHash (imagehash, 64 bits,
    whole image against whole image: imagededup's brute-force baseline) is reported alongside,
    at its own largest threshold with pair FPR ≤ 0.1%. Needs scikit-image (dev group)::

        uv run --group dev python -c \\
            "from rightsguard.fingerprint.image import measure_variants; print(measure_variants())"
    """
    import imagehash
    from PIL import Image

    rng = np.random.default_rng(seed)
    crops = WORK_CROPS if work_crops is None else tuple(work_crops)
    works = [_photograph(n) for n in PHOTOGRAPHS]
    work_hashes: list[bytes] = []
    work_owner: list[int] = []
    work_phash: list[bytes] = []
    for i, rgb in enumerate(works):
        variants = _variants(rgb, crops, dihedral=True)
        work_hashes.extend(v.pdq for v in variants)
        work_owner.extend([i] * len(variants))
        work_phash.append(_pack_bits(imagehash.phash(Image.fromarray(rgb)).hash))
    n_variants = len(work_hashes) // len(works)
    w_arr, owner = hash_array(work_hashes), np.asarray(work_owner)
    q_family, q_owner, q_pdq_min, q_pdq_full, q_phash = [], [], [], [], []
    neg_pairs: list[npt.NDArray[np.int32]] = []
    neg_image: list[npt.NDArray[np.int32]] = []
    for i, rgb in enumerate(works):
        for family in FAMILIES:
            for _ in range(_SAMPLES.get(family, 1)):
                query = query_transform(rgb, family, rng)
                qv = query_fingerprints(query)
                d = hamming_matrix([v.pdq for v in qv], w_arr)  # (n query variants, all works)
                own = owner == i
                q_family.append(family)
                q_owner.append(i)
                q_pdq_min.append(int(d[:, own].min()))
                q_pdq_full.append(int(d[0, np.flatnonzero(own)[0]]))
                q_phash.append(_pack_bits(imagehash.phash(Image.fromarray(query)).hash))
                neg_pairs.append(d[:, ~own].ravel())
                per_work = np.minimum.reduceat(d.min(axis=0), np.flatnonzero(
                    np.r_[True, owner[1:] != owner[:-1]]))
                neg_image.append(np.delete(per_work, i))
    pairs = np.concatenate(neg_pairs)
    images = np.concatenate(neg_image)
    fam, pmin, pfull = np.asarray(q_family), np.asarray(q_pdq_min), np.asarray(q_pdq_full)
    qown = np.asarray(q_owner)
    ph = hamming_matrix(q_phash, work_phash)
    ph_own = ph[np.arange(len(q_phash)), qown]
    ph_neg = ph[np.arange(ph.shape[1])[None, :] != qown[:, None]]

    def t_at(neg: npt.NDArray[Any], limit: float = 1e-3) -> int:
        ok = [t for t in range(0, 257) if (neg <= t).mean() <= limit]
        return max(ok) if ok else -1

    t01, ph01 = t_at(pairs), t_at(ph_neg)
    ts = sorted({*thresholds, t01})
    lines = [f"{len(works)} photographs, {n_variants} PDQ variants per work "
             f"({len(crops)} crops), {len(q_family)} queries, seed {seed}",
             f"negatives: {pairs.size:,} variant pairs (PDQ distance mean {pairs.mean():.1f}, "
             f"sd {pairs.std():.1f}, min {pairs.min()}), {images.size:,} (query, other work) "
             f"pairs; pHash {ph_neg.size:,} pairs",
             "",
             "| family | n | PDQ full→full median | PDQ best variant median | "
             + " | ".join(f"recall T={t}" for t in ts)
             + f" | pHash median | pHash recall T={ph01} |",
             "|---|---:|---:|---:|" + "---:|" * len(ts) + "---:|---:|"]
    for family in FAMILIES:
        m = fam == family
        row = [family, str(int(m.sum())), f"{np.median(pfull[m]):.0f}",
               f"{np.median(pmin[m]):.0f}"]
        row += [f"{(pmin[m] <= t).mean():.2f}" for t in ts]
        row += [f"{np.median(ph_own[m]):.0f}", f"{(ph_own[m] <= ph01).mean():.2f}"]
        lines.append("| " + " | ".join(row) + " |")
    lines += ["", "| threshold | pair FPR | image FPR | chance candidates per query, 1M works |",
              "|---:|---:|---:|---:|"]
    lines += [f"| {t} | {(pairs <= t).mean():.2e} | {(images <= t).mean():.2e} | "
              f"{chance_candidates(t, 1e6 * n_variants):.1e} |" for t in ts]
    lines.append(f"pHash T={ph01}: pair FPR {(ph_neg <= ph01).mean():.2e}")

    astronaut = works[PHOTOGRAPHS.index("astronaut")]
    png = io.BytesIO()
    Image.fromarray(astronaut).save(png, "PNG")
    jpeg = io.BytesIO()
    Image.fromarray(astronaut).save(jpeg, "JPEG", quality=90)
    timings = {
        "decode PNG": _best_ms(lambda: decode_image(png.getvalue(), name="png"), 20),
        "decode JPEG": _best_ms(lambda: decode_image(jpeg.getvalue(), name="jpeg"), 20),
        "image_hashes": _best_ms(lambda: image_hashes(astronaut), 20),
        "work_fingerprints": _best_ms(lambda: work_fingerprints(astronaut), 20),
        "query_fingerprints": _best_ms(lambda: query_fingerprints(astronaut), 20),
    }
    lines.append("")
    lines.append("512×512 astronaut, best of 20, ms: " + ", ".join(
        f"{k} {v:.2f}" for k, v in timings.items()))
    return "\n".join(lines)
