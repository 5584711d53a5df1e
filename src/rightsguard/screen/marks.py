"""Registered marks (logos, watermarks) found in a generated image, with where.

A rights holder registers a mark (:meth:`MarkTemplate.from_image`, stored with
:meth:`MarkTemplate.to_bytes`); :func:`find_marks` reports each place a mark appears in an image
as a :class:`MarkHit`: the mark, a score, a half-open box and polygon in pixels of the given
image, and the mark's scale (mark width / image width). Images are numpy arrays (H×W×3 uint8
RGB); marks may carry alpha (H×W×4 uint8, straight alpha).

Method — multi-scale normalised cross-correlation (NCC), coarse to fine:

1. **Colour whitening.** The image's colour covariance (plus 25 levels² on the diagonal) is
   whitened by a 3×3 matrix applied to image and mark alike. In photographs colour variance is
   mostly luminance; a logo's is also chroma, so whitening is the matched-filter weighting of
   the three channels. Measured in a scratch run (144 overlays, one per photograph, opacity and
   scale; 42 negatives; full search at 256 px), recall at zero false positives: grey 0.65, RGB
   0.85, whitened RGB 0.97.
2. **Coarse search.** For scales from :data:`MIN_SCALE` to :data:`MAX_SCALE` in steps of ×1.10,
   the image is resized so the mark would be about 12×12 pixels and ``cv2.matchTemplate``
   (``TM_CCOEFF_NORMED``, 3 whitened channels, the mark's alpha as a mask when it has
   transparent parts) is run; windows of a flat grey level are skipped. The 3 best local maxima
   per scale above 0.40 are pooled and the 12 best after non-maximum suppression kept. Resizing
   the image rather than the mark keeps every scale's scores on one footing (same template size).
   A mark's transparent parts are composited over mid-grey and, when the image's median colour
   is more than 24 levels from it, also over that colour, each template's 12 best verified (a
   newcomer's red ring was found on grey canvases only; measured on another newcomer's 6 marks:
   89 → 99 of 144 overlays found, 0 of 70 false finds before and after).
3. **Fine verification.** Each candidate's neighbourhood is resized so the mark is about 48×48
   pixels, at 5 scales (±4%), and matched again (transparent parts composited over the median
   colour of the neighbourhood's edge); the score is the best NCC there, and position and scale
   are refined to sub-pixel precision by parabolas through the neighbouring scores.
4. **Both halves.** Each half of the mark (split across its long side) must correlate on its
   own with the image there (colour correlation ≥ :data:`PART_MIN_CORRELATION`). Whole-mark NCC
   is dominated by a mark's largest plain shape: a red disc beside the word "ACME" matched 54 of
   262 icons and photographs without it (scores up to 0.92, any round red blob); with the
   halves test, none (its recall on photographs at opacity 0.5–1, 5–20% wide: 0.93 → 0.70).
5. **Fitted opacity.** The window's colours regressed on the mark's must give a slope (the
   opacity the mark would have there) of at least :data:`MIN_OPACITY`. NCC ignores contrast, so
   without this a blurred sky whose faint shading has the mark's layout is "found".
6. **Detail.** The window and the mark must also correlate after a band-pass filter
   (:data:`MIN_DETAIL`): edges and strokes, not shading. A mark that is mostly a gradient would
   otherwise be "found" in every sky.

Local features were measured and dropped: SIFT (1,000 features, ratio test 0.75, RANSAC
homography with ≥ 8 inliers) found 0.23 of the logos of a 144-overlay scratch set (none at
opacity 0.3, 0.03 at 5% scale), because a small or faint overlay yields few keypoints.

Measured (``uv run --frozen --group dev python -c "from rightsguard.screen.marks import
measure_marks; measure_marks()"``): scikit-image's logo over its 9 bundled photographs, 3 random
positions per opacity and scale (432 positives, :func:`logo_overlays`), and 123 images without
the logo (:func:`logo_negatives`: the photographs, mirrors, crops, resizes, and 15 other
bundled images). Recall per opacity (rows) and scale (columns), threshold 0.62:

=======  =====  =====  =====  =====  =====
opacity     5%    10%    20%    30%    all
=======  =====  =====  =====  =====  =====
0.3       1.00   0.89   0.89   0.81   0.90
0.5       1.00   1.00   1.00   1.00   1.00
0.7       1.00   1.00   1.00   1.00   1.00
1.0       1.00   1.00   1.00   1.00   1.00
=======  =====  =====  =====  =====  =====

Recall 0.975 (421/432; 0.986 before the halves test, which costs five faint logos); false
positives 0/123 (no candidate on a negative passes the halves, opacity and detail tests;
lowest score of a found logo 0.633).
Time per image, one mark, wall clock on 2 cores shared with other jobs (load 3–5; OpenCV's
default threads; three runs): 512 px 54–75 ms, 768 px 57–81 ms, 1024 px
60–84 ms (mean over the set 43–73 ms; 2026-12-01, with the opacity and detail tests and another
job beside it: medians 85–92 ms, mean 57 ms); one thread, CPU time: 40–45 ms for the 9 photographs
(``cv2.setNumThreads(1)``, ``time.process_time``). Large images cost little more because the
search runs on copies at most 268 px wide plus crops around candidates. The 11 misses are faint
(opacity 0.3) logos at 10–30% over busy parts of astronaut, camera, coffee, hubble and the
motorcycle pair: the
background's own texture inside the window dilutes the correlation.

Limitations: marks are searched upright and unmirrored (no rotation, shear or perspective);
marks narrower than 20 pixels (too little structure: a user's logo matched icons and
photographs at 11–14 px) or narrower than 4.5% of the image width are not searched; the time
grows linearly with the number of marks (about 40–60 ms per mark for a 512 px image), so
hundreds of marks need a candidate stage first; the threshold was measured on one logo — a mark
with little structure (a plain shape, one-colour text) correlates with more of the world and
deserves its own measurement; partially transparent marks are matched as composited over mid-grey.
"""

from __future__ import annotations

import math
import struct
import time
import zlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

import cv2
import numpy as np
import numpy.typing as npt

from rightsguard.errors import IndexCorruptError, InputError

__all__ = [
    "FORMAT_VERSION",
    "MAX_SCALE",
    "MIN_IMAGE_SIDE",
    "MIN_SCALE",
    "OPACITIES",
    "OTHER_IMAGES",
    "PHOTOGRAPHS",
    "SCALES",
    "STORE_PX",
    "THRESHOLD",
    "MarkHit",
    "MarkMeasurement",
    "MarkTemplate",
    "Overlay",
    "bundled_image",
    "bundled_logo",
    "find_marks",
    "logo_negatives",
    "logo_overlays",
    "measure_marks",
    "negative_variants",
    "overlay_mark",
]

F32 = npt.NDArray[np.float32]
U8 = npt.NDArray[np.uint8]

FORMAT_VERSION = 1
"""Version of :meth:`MarkTemplate.to_bytes`'s layout; bump on any change."""

THRESHOLD = 0.62
"""Lowest reported :attr:`MarkHit.score`. Measured (``measure_marks()``, module docstring): chosen
when the highest score on the 123 images without the logo was 0.576 (before the halves, opacity
and detail tests; with them no candidate there passes), a margin of 0.04; it cost 1 of the 432
positives against 0.58."""

MIN_SCALE = 0.045
"""Narrowest mark searched, as mark width / image width (issue #4 asks for 5–30%; 10% margin)."""

MAX_SCALE = 1.0
"""Widest mark searched, as mark width / image width: the whole width. Issue #4 asks for 5–30%;
up to 0.35 a newcomer's output that *was* the registered logo, or held it at 40–71% of its
width, passed as clean. Measured with 1.0 against 0.35 (scratch run, 2026-12-01): the logo over
a white canvas at 40/71/90/100% found (0.998/0.919/0.944/0.91), none before; 0 of the 123
negatives of :func:`measure_marks` and 0 of the 1,505 icons and desktop artwork of ``bench
images``' negative pool flagged, as before; the same 140 of 144 overlays; time per image the
same (large scales search a copy of the image about 12 mark-widths small)."""

STORE_PX = 256
"""Longest side (pixels) a registered mark is kept at; the templates searched are smaller."""

# Search parameters; all measured with measure_marks() (module docstring) unless noted.
_COARSE_AREA = 12 * 12  # pixels of the coarse template (same recall as 16×16, 0.6× the time)
_COARSE_MIN_SIDE = 8  # shortest side of the coarse template, for elongated marks
_FINE_AREA = 48 * 48  # pixels of the fine template (32×32 to 96×96 gave the same recall)
_FINE_MIN_SIDE = 16
_SCALE_STEP = 1.10  # ratio between coarse scales (1.06: same recall, 1.6× the time; 1.15: -2%)
_FINE_STEPS = (0.96, 0.98, 1.0, 1.02, 1.04)  # fine scales, relative to a coarse candidate's
_WHITEN_EPS = 25.0  # added to the colour covariance's diagonal (uint8 levels²): a grey image has
# no chroma variance; this caps the whitening gain there at 1/5 (measured: 25 and 100 same recall)
_FLAT_VAR = 4.0  # windows with a grey variance below this (uint8 levels², std 2) are skipped:
# NCC is 0/0 there and OpenCV returns rounding noise up to 1.0 (seen on hubble_deep_field's sky)
_CANDIDATE_SCORE = 0.40  # coarse score a window needs to be verified at the fine resolution
_CANDIDATES_PER_SCALE = 3  # local maxima kept per coarse scale
_CANDIDATES_PER_MARK = 12  # coarse candidates verified per mark, best first after NMS (6 gives
# the same figures on the logo; an elongated mark's parts match it at smaller scales and can
# push its true box below 6th: seen on a 10:1 dotted bar)
_NMS_IOU = 0.3  # boxes overlapping more than this are the same find
_NMS_INSIDE = 0.5  # a find with more than this share of its box inside a better find, or with
# a better find mostly inside it, is dropped (a newcomer's logo was reported twice: 0.977, and
# 0.685 for a part of it; another three times, nested, the best find the smallest)
_NMS_SCALES = 1.3  # coarse candidates suppress each other only within this scale ratio (two
# steps): a self-similar mark (a triangle) matched its own top corner at 0.7× scale better than
# the whole at opacity 0.3, and hid the whole from the fine stage
_MIN_MARK_PX = 20  # marks narrower than this in the given image are not searched: a newcomer's
# logo matched icons and photographs without it at 11-14 px wide (scores 0.62-0.77, 17 of 129
# images); the narrowest logo found in measure_marks() is 22.8 px (5% of a 512 px photograph)
_OPAQUE = 0.99  # a mark whose alpha is at least this everywhere is matched without a mask
_MASK_DILATE = 0.1  # the mask: the mark's visible pixels dilated by this share of its short side
MIN_IMAGE_SIDE = 16
"""Shortest image side (pixels) searched for marks: no mark of at least 20 px wide and 8 px high
(``_MIN_MARK_PX``, :class:`MarkTemplate`) fits a smaller one with room around it."""
#: Least colour correlation each half of the mark (split across its long side) needs at a fine
#: hit, on its own. A mark dominated by a plain shape (a red disc beside "ACME") matched 54 of
#: 262 icons and photographs without it at whole-mark scores up to 0.92 — any round red blob —
#: while its halves there correlated at most 0.168; halves of found logos: median 0.89
#: (scikit-image's logo, 1% below 0.21). Scratch measurement, 2026-11-30; see the docstring.
PART_MIN_CORRELATION = 0.2
#: Least opacity a fine hit's window must fit the mark at: the least-squares slope of the
#: window's colours on the mark's (a mark composited at opacity ``a`` over an unrelated background
#: gives ``a`` on average). NCC ignores contrast, so a smooth or blurred area whose faint shading
#: has a mark's layout scored up to 0.71 (a newcomer's run; blurred skies). Half the faintest
#: opacity issue #4 asks for (0.3). Scratch measurement, 2026-12-01, five marks (a triangle with
#: text, a disc with text, a boxed word, a word, scikit-image's logo) on the 28 mate-backgrounds
#: at blur radius 0, 4 and 10 and JPEG q60 (84 images): hits at 0.62 or more fitted opacity at most
#: 0.124 (15 hits, all the triangle's); 908 overlays there and in :func:`logo_overlays` that were
#: found fitted at least 0.189 (opacity 0.3), 0.346 (opacity 1).
MIN_OPACITY = 0.15
#: Least band-pass ("detail") correlation a fine hit's window needs with the mark
#: (:func:`_window_fit`). A newcomer registered a mark that is a sky gradient with a small word:
#: whole-mark NCC, halves and fitted opacity all passed on skies and gradients (247 finds in 63
#: of 123 images without it, scores up to 0.96), because a gradient is most of that mark. Its
#: detail is the word. Scratch measurement, 2026-12-01, over the finds that passed the other
#: tests (8 marks: the newcomer's 5, three drawn here; 572 false finds on 133 images without
#: the marks, 488 true finds among 120 newcomer overlays and :func:`logo_overlays`): false finds
#: at most 0.175, true finds at least 0.217.
MIN_DETAIL = 0.2
_DETAIL_SIGMAS = (0.7, 1.5)  # template pixels (the fine template is ~48×48)
_DETAIL_BORDER = 3  # template pixels left out at each edge (the filters' padding)

_MAGIC = b"RGMK"
_HEADER = struct.Struct("<4sHHHI")  # magic, version, width, height, crc32 of the payload


@dataclass(frozen=True, slots=True, eq=False)
class _Template:
    """One resolution of a mark: colours composited over mid-grey, and an optional mask."""

    rgb: F32  # h×w×3 float32, 0–255
    mask: F32 | None  # h×w float32 in {0, 1}, or None for opaque marks
    alpha: F32 | None = None  # h×w float32 in [0, 1] (the mark's opacity), None when opaque

    @property
    def width(self) -> int:
        return int(self.rgb.shape[1])

    @property
    def height(self) -> int:
        return int(self.rgb.shape[0])


@dataclass(frozen=True, slots=True, eq=False)
class MarkTemplate:
    """A registered mark, ready to search for.

    ``rgba``: the mark as H×W×4 uint8 (straight, not premultiplied, alpha), longest side at most
    :data:`STORE_PX` pixels. ``coarse`` and ``fine`` (internal) are the mark resized to about
    12×12 and 48×48 pixels (same aspect; shortest side at least 8 and 16), composited over
    mid-grey (128), with a mask of its visible pixels (dilated by 10% of its short side) when it
    has transparent parts. :meth:`to_bytes` keeps only ``rgba``; the templates are rebuilt on
    load, so a change of search parameters needs no re-registration.
    """

    name: str
    rgba: U8
    coarse: _Template = field(repr=False)
    fine: _Template = field(repr=False)

    @property
    def aspect(self) -> float:
        """Width / height of the mark."""
        return float(self.rgba.shape[1]) / float(self.rgba.shape[0])

    @classmethod
    def from_image(cls, rgba_or_rgb: npt.NDArray[np.uint8], *, name: str) -> MarkTemplate:
        """Prepare a mark from an H×W×3 (RGB) or H×W×4 (RGBA, straight alpha) uint8 array.

        Raises :class:`~rightsguard.errors.InputError` naming ``name`` when the array is not
        uint8 H×W×3/4, is smaller than 8 pixels on a side, or is fully transparent.
        """
        arr = np.asarray(rgba_or_rgb)
        if arr.dtype != np.uint8 or arr.ndim != 3 or arr.shape[2] not in (3, 4):
            raise InputError(
                f"mark {name!r}: expected an H×W×3 or H×W×4 uint8 array, "
                f"got shape {arr.shape} dtype {arr.dtype}"
            )
        h, w = arr.shape[:2]
        if min(h, w) < _COARSE_MIN_SIDE:
            raise InputError(f"mark {name!r}: {w}×{h} pixels; at least 8 on each side needed")
        if arr.shape[2] == 3:
            arr = np.concatenate([arr, np.full((h, w, 1), 255, np.uint8)], axis=2)
        if int(arr[..., 3].max()) == 0:
            raise InputError(f"mark {name!r}: fully transparent (alpha 0 everywhere)")
        f = STORE_PX / max(h, w)
        if f < 1.0:
            size = (max(1, round(w * f)), max(1, round(h * f)))
            arr = np.asarray(cv2.resize(arr, size, interpolation=cv2.INTER_AREA), dtype=np.uint8)
        rgba = np.ascontiguousarray(arr, dtype=np.uint8)
        return cls(
            name=name,
            rgba=rgba,
            coarse=_make_template(rgba, _COARSE_AREA, _COARSE_MIN_SIDE),
            fine=_make_template(rgba, _FINE_AREA, _FINE_MIN_SIDE),
        )

    def to_bytes(self) -> bytes:
        """Serialise (layout :data:`FORMAT_VERSION`): header, then the zlib-compressed RGBA."""
        h, w = self.rgba.shape[:2]
        payload = zlib.compress(self.rgba.tobytes(), 6)
        return _HEADER.pack(_MAGIC, FORMAT_VERSION, w, h, zlib.crc32(payload)) + payload

    @classmethod
    def from_bytes(cls, data: bytes, *, name: str) -> MarkTemplate:
        """Inverse of :meth:`to_bytes`.

        Raises :class:`~rightsguard.errors.IndexCorruptError` naming ``name`` when the bytes are
        truncated, of another format or version, or fail their checksum.
        """
        if len(data) < _HEADER.size:
            raise IndexCorruptError(f"mark {name!r}: {len(data)} bytes, shorter than a header")
        magic, version, w, h, crc = _HEADER.unpack_from(data)
        if magic != _MAGIC:
            raise IndexCorruptError(f"mark {name!r}: not a mark template (magic {magic!r})")
        if version != FORMAT_VERSION:
            raise IndexCorruptError(
                f"mark {name!r}: format version {version}, this rightsguard reads {FORMAT_VERSION}"
            )
        payload = data[_HEADER.size :]
        if zlib.crc32(payload) != crc:
            raise IndexCorruptError(f"mark {name!r}: checksum mismatch (damaged bytes)")
        try:
            raw = zlib.decompress(payload)
        except zlib.error as exc:
            raise IndexCorruptError(f"mark {name!r}: cannot decompress ({exc})") from None
        if len(raw) != w * h * 4 or min(w, h) < _COARSE_MIN_SIDE:
            raise IndexCorruptError(f"mark {name!r}: {len(raw)} bytes for a {w}×{h} RGBA mark")
        rgba = np.frombuffer(raw, dtype=np.uint8).reshape(h, w, 4).copy()
        return cls(
            name=name,
            rgba=rgba,
            coarse=_make_template(rgba, _COARSE_AREA, _COARSE_MIN_SIDE),
            fine=_make_template(rgba, _FINE_AREA, _FINE_MIN_SIDE),
        )


@dataclass(frozen=True, slots=True)
class MarkHit:
    """A registered mark found in an image.

    ``mark``: index of the mark in the sequence given to :func:`find_marks`; ``name`` its name.
    ``score``: whitened-colour normalised cross-correlation of the mark and the image window at
    the fine resolution (mark resized to about 48×48 pixels), in ``[-1, 1]``; reported from
    :data:`THRESHOLD`. ``box``: half-open ``(x0, y0, x1, y1)`` in pixels of the given image.
    ``polygon``: the box's corners ``(x, y)`` clockwise from the top-left (marks are searched
    upright: no rotation). ``scale``: mark width / image width.
    """

    mark: int
    name: str
    score: float
    box: tuple[int, int, int, int]
    polygon: tuple[tuple[float, float], ...]
    scale: float


def find_marks(
    rgb: npt.NDArray[np.uint8],
    marks: Sequence[MarkTemplate],
    *,
    threshold: float = THRESHOLD,
    min_scale: float = MIN_SCALE,
    max_scale: float = MAX_SCALE,
) -> list[MarkHit]:
    """Find registered marks in an H×W×3 uint8 RGB image.

    Each mark is searched upright at widths from ``min_scale`` to ``max_scale`` of the image's
    width (module docstring: coarse NCC at about 12×12 pixels, verified at 48×48). Returns hits
    with ``score >= threshold`` (default :data:`THRESHOLD`, measured), best first; a mark can be
    found more than once (hits of one mark overlap by IoU < 0.3). A hit's box covers the whole
    mark, transparent margins included. Time: about 40–60 ms per mark for a 512 px image (module
    docstring), linear in the number of marks.
    Raises :class:`~rightsguard.errors.InputError` when ``rgb`` is not an H×W×3 uint8 array of at
    least 16×16 pixels, or the scale range is not ``0 < min_scale <= max_scale <= 1``.
    """
    img = np.asarray(rgb)
    if img.dtype != np.uint8 or img.ndim != 3 or img.shape[2] != 3:
        raise InputError(
            f"image: expected an H×W×3 uint8 RGB array, got shape {img.shape} dtype {img.dtype}"
        )
    if min(img.shape[:2]) < MIN_IMAGE_SIDE:
        raise InputError(f"image: {img.shape[1]}×{img.shape[0]} pixels; at least 16×16 needed")
    if not 0.0 < min_scale <= max_scale <= 1.0:
        raise InputError(
            f"scale range {min_scale}–{max_scale}: need 0 < min_scale <= max_scale <= 1"
        )
    if not marks:
        return []
    search = _Search(img, min_scale, max_scale)
    hits: list[MarkHit] = []
    for i, mark in enumerate(marks):
        hits.extend(search.find(i, mark, threshold))
    hits.sort(key=lambda h: -h.score)
    return hits


class _Search:
    """State shared by the marks searched in one image: the colour whitening and background
    (read off the image alone), and per base width the whitened copy, its pyramid and resized
    copies. A mark's finds depend only on the image and that mark: its base is as wide as its
    own coarse template needs, not the widest registered mark's (with a 10:1 bar registered
    beside it, the logo's scores moved on 115 of 144 overlays)."""

    def __init__(
        self, img: U8, min_scale: float, max_scale: float
    ) -> None:
        self.h, self.w = img.shape[:2]
        self.min_scale, self.max_scale = min_scale, max_scale
        self.img = img
        px = np.ascontiguousarray(img).reshape(-1, 3)
        sample = px[:: max(1, px.shape[0] // 20000)]
        self.whiten = _whitening(sample)
        #: what a mark's transparent parts are composited over for the coarse search: the
        #: image's median colour (mid-grey made transparent marks on flat black or white
        #: backgrounds anti-correlate with themselves: a newcomer's red ring, found on grey only)
        self.background = np.median(sample, axis=0).astype(np.float32)
        self._bases: dict[int, _Base] = {}

    def _base(self, mark: MarkTemplate) -> _Base:
        """The whitened copy a mark's coarse search reads: twice as wide as its coarse template
        at the smallest scale needs, so every coarse width is resized down from at least twice
        its size (the image itself if smaller). Measured on a newcomer's 10 marks and 60 of
        their overlays (all marks searched): exactly as wide as needed found 43, twice as wide
        45, as many as one copy as wide as the widest mark needed; on ``measure_marks()`` (one
        mark) the same 421/432 and 0/123 at 61 ms per image instead of 54."""
        need = min(self.w, 2 * math.ceil(mark.coarse.width / self.min_scale) + 1)
        base = self._bases.get(need)
        if base is None:
            base = self._bases[need] = _Base(self.img, need, self.whiten)
        return base

    def find(self, index: int, mark: MarkTemplate, threshold: float) -> list[MarkHit]:
        coarse = [_whitened(mark.coarse, self.whiten)]  # transparent parts over mid-grey
        if mark.coarse.alpha is not None and float(np.abs(self.background - 128.0).max()) > 24:
            # and over the image's median colour: mid-grey made a transparent mark on a flat
            # black or white background anti-correlate with itself (a newcomer's red ring,
            # found on grey canvases only); on a busy photograph mid-grey localises better
            coarse.append(_whitened(_over(mark.coarse, self.background), self.whiten))
        n = math.floor(math.log(self.max_scale / self.min_scale) / math.log(_SCALE_STEP))
        scales = [self.min_scale * _SCALE_STEP**k for k in range(n + 1)]
        verify: list[tuple[float, float, float, float]] = []  # score, scale, x0, y0 (image px)
        base = self._base(mark)
        for template in coarse:  # each template's best candidates are verified
            cands = [c for s in scales if s * self.w >= _MIN_MARK_PX
                     for c in self._coarse(base, template, s)]
            verify += _nms(cands, mark.aspect, self.w)[:_CANDIDATES_PER_MARK]
        hits: list[MarkHit] = []
        for _, s, x, y in verify:
            hit = self._fine(mark, index, s, x, y)
            if hit is not None and hit.score >= threshold:
                hits.append(hit)
        hits.sort(key=lambda h: -h.score)
        kept: list[MarkHit] = []
        for h in hits:  # one find per place: boxes one mostly inside the other are one find
            if all(_iou(h.box, k.box) < _NMS_IOU and _inside(h.box, k.box) < _NMS_INSIDE
                   and _inside(k.box, h.box) < _NMS_INSIDE for k in kept):
                kept.append(h)
        return kept

    def _coarse(self, base: _Base, t: _Template, s: float
                ) -> list[tuple[float, float, float, float]]:
        width = max(t.width, round(t.width / s))
        im = base.at_width(width)
        if im.shape[0] < t.height or im.shape[1] < t.width:
            return []
        r = _ncc(im, t)
        fx, fy = self.w / im.shape[1], self.h / im.shape[0]
        peaks = _peaks(r, _CANDIDATE_SCORE, _CANDIDATES_PER_SCALE)
        return [(v, t.width / im.shape[1], x * fx, y * fy) for v, x, y in peaks]

    def _fine(
        self, mark: MarkTemplate, index: int, s: float, x: float, y: float
    ) -> MarkHit | None:
        mw = s * self.w
        mh = mw / mark.aspect
        pad = 0.15 * mw + 2 * self.w / self._coarse_width(mark, s)
        x0, y0 = max(0, int(x - pad)), max(0, int(y - pad))
        x1 = min(self.w, math.ceil(x + mw * max(_FINE_STEPS) + pad))
        y1 = min(self.h, math.ceil(y + mh * max(_FINE_STEPS) + pad))
        crop = self.img[y0:y1, x0:x1].astype(np.float32)
        # the mark's transparent parts show what is around it: the median colour of the edge of
        # its neighbourhood (measured: a newcomer's transparent marks 90 -> 99 of 144 found)
        edge = np.concatenate([crop[0], crop[-1], crop[:, 0], crop[:, -1]])
        t = _whitened(_over(mark.fine, np.median(edge, axis=0)), self.whiten)
        peaks: list[tuple[float, float, float, float] | None] = []  # score, centre x, y; width
        for step in _FINE_STEPS:
            g = t.width / (s * step * self.w)  # crop pixels -> fine pixels
            size = (round((x1 - x0) * g), round((y1 - y0) * g))
            if size[0] < t.width or size[1] < t.height:
                peaks.append(None)
                continue
            r = _ncc(_with_grey(_resize(crop, size), self.whiten), t)
            _, v, _, (lx, ly) = cv2.minMaxLoc(r)
            gx, gy = size[0] / (x1 - x0), size[1] / (y1 - y0)
            cx = x0 + (lx + _vertex(r[ly, lx - 1 : lx + 2]) + t.width / 2) / gx
            cy = y0 + (ly + _vertex(r[ly - 1 : ly + 2, lx]) + t.height / 2) / gy
            peaks.append((float(v), cx, cy, t.width / gx))
        scores = [-2.0 if p is None else p[0] for p in peaks]  # NCC >= -1
        i = int(np.argmax(scores))
        best = peaks[i]
        if best is None:
            return None
        v, cx, cy, width = best
        if 0 < i < len(peaks) - 1 and min(scores[i - 1], scores[i + 1]) > -2.0:
            d = _vertex(np.array(scores[i - 1 : i + 2]))
            width *= 1.0 + d * (_FINE_STEPS[i + 1] - _FINE_STEPS[i]) / _FINE_STEPS[i]
        height = width / mark.aspect
        bx, by, bx1, by1 = cx - width / 2, cy - height / 2, cx + width / 2, cy + height / 2
        box = (
            max(0, round(bx)),
            max(0, round(by)),
            min(self.w, round(bx1)),
            min(self.h, round(by1)),
        )
        halves, opacity, detail = _window_fit(self.img, box, mark.fine)
        if halves < PART_MIN_CORRELATION or opacity < MIN_OPACITY or detail < MIN_DETAIL:
            return None
        return MarkHit(
            mark=index,
            name=mark.name,
            score=v,
            box=box,
            polygon=((bx, by), (bx1, by), (bx1, by1), (bx, by1)),
            scale=width / self.w,
        )

    def _coarse_width(self, mark: MarkTemplate, s: float) -> int:
        return max(mark.coarse.width, round(mark.coarse.width / s))


class _Base:
    """An image resized to ``width`` pixels (INTER_AREA from uint8: no full-size float copy of
    a large image), whitened with the image's ``whiten``, and halved repeatedly (the pyramid the
    coarse search resizes from)."""

    def __init__(self, img: U8, width: int, whiten: F32) -> None:
        h, w = img.shape[:2]
        if width < w:
            size = (width, max(1, round(h * width / w)))
            small = cv2.resize(np.ascontiguousarray(img), size, interpolation=cv2.INTER_AREA)
            base = np.asarray(small, dtype=np.float32)
        else:
            base = img.astype(np.float32)
        self.base = _with_grey(base, whiten)
        self._resized: dict[tuple[int, int], F32] = {}
        self._levels: list[F32] = [self.base]
        while self._levels[-1].shape[1] >= 64:
            prev = self._levels[-1]
            half = (prev.shape[1] // 2, max(1, prev.shape[0] // 2))
            self._levels.append(_resize(prev, half))

    def at_width(self, width: int) -> F32:
        """The whitened copy resized to ``width`` pixels, from the smallest pyramid level
        (base halved repeatedly) at least twice as wide, so each resize reads few pixels."""
        bh, bw = self.base.shape[:2]
        size = (width, max(1, round(bh * width / bw)))
        got = self._resized.get(size)
        if got is None:
            src = self.base
            for level in self._levels:
                if level.shape[1] >= 2 * width:
                    src = level
            got = _resize(src, size)
            self._resized[size] = got
        return got


def _window_fit(img: U8, box: tuple[int, int, int, int],
                t: _Template) -> tuple[float, float, float]:
    """How the image's ``box``, resized to template ``t``, fits the mark:
    ``(halves, opacity, detail)``.

    ``halves``: the smaller colour correlation (Pearson, RGB pooled, inside the mask) of the two
    halves of the mark, which split the bounding box of its visible pixels across its long side;
    -1 when the box or a half is too small to say, or a half of the mark is one flat colour.
    ``opacity``: the least-squares slope of the window's colours on the mark's (RGB pooled, inside
    the mask, both centred): a mark composited at opacity ``a`` over an unrelated background has
    an expected slope of ``a``; 0 when it cannot be computed. A mark with transparent parts is
    composited over the window's own background (its mean colour where the mark is transparent
    inside the mask), not over the mid-grey the NCC templates use: a newcomer's blue word mark on
    black has letters brighter than the background there and darker than mid-grey, and its
    halves correlated at -0.1 (missed at full opacity). ``detail``: the colour correlation of the
    two after a band-pass (difference of Gaussians, sigma 0.7 and 1.5 template pixels; inside
    the mask less a 3-pixel border, where the filters see the padding): edges and strokes only,
    so shading and gradients, which carry no detail, do not count; -1 when it cannot be said."""
    x0, y0, x1, y1 = box
    if x1 - x0 < 4 or y1 - y0 < 4:
        return -1.0, 0.0, -1.0
    crop = cv2.resize(np.ascontiguousarray(img[y0:y1, x0:x1]), (t.width, t.height),
                      interpolation=cv2.INTER_AREA).astype(np.float32)
    mask = np.ones((t.height, t.width), bool) if t.mask is None else t.mask > 0
    rows, cols = np.flatnonzero(mask.any(axis=1)), np.flatnonzero(mask.any(axis=0))
    if rows.size == 0:
        return -1.0, 0.0, -1.0
    rgb = t.rgb
    if t.alpha is not None:  # composite the mark over the window's background, not mid-grey
        ring = mask & (t.alpha < 0.05)
        if int(ring.sum()) >= 10:
            bg = crop[ring].mean(axis=0)
            rgb = t.rgb + (bg - 128.0) * (1.0 - t.alpha)[..., None]
    a = crop[mask] - crop[mask].mean(axis=0)
    b = rgb[mask] - rgb[mask].mean(axis=0)
    var = float((b * b).sum())
    opacity = float((a * b).sum()) / var if var > 0 else 0.0
    inner = mask.copy()
    inner[:_DETAIL_BORDER] = inner[-_DETAIL_BORDER:] = False
    inner[:, :_DETAIL_BORDER] = inner[:, -_DETAIL_BORDER:] = False
    detail = _correlation(_band_pass(crop)[inner], _band_pass(rgb)[inner])
    r0, r1, c0, c1 = int(rows[0]), int(rows[-1]) + 1, int(cols[0]), int(cols[-1]) + 1
    rm, cm = (r0 + r1) // 2, (c0 + c1) // 2
    halves = ((np.s_[r0:r1, c0:cm], np.s_[r0:r1, cm:c1]) if c1 - c0 >= r1 - r0
              else (np.s_[r0:rm, c0:c1], np.s_[rm:r1, c0:c1]))
    worst = 1.0
    for half in halves:
        inside = mask[half]
        if int(inside.sum()) < 10:
            return -1.0, opacity, detail
        worst = min(worst, _correlation(crop[half][inside], rgb[half][inside]))
    return worst, opacity, detail


def _correlation(a: F32, b: F32) -> float:
    """Pearson correlation of two ``(n, 3)`` colour samples, channels pooled after centring each;
    -1 when either is constant or empty."""
    if a.shape[0] < 2:
        return -1.0
    a = a - a.mean(axis=0)
    b = b - b.mean(axis=0)
    den = float(np.sqrt((a * a).sum() * (b * b).sum()))
    return float((a * b).sum()) / den if den > 0 else -1.0


def _band_pass(x: F32) -> F32:
    """Difference of Gaussians (sigma :data:`_DETAIL_SIGMAS`, pixels) of an H×W×3 image."""
    fine, coarse = _DETAIL_SIGMAS
    return np.asarray(cv2.GaussianBlur(x, (0, 0), fine) - cv2.GaussianBlur(x, (0, 0), coarse),
                      dtype=np.float32)


def _vertex(v: npt.NDArray[np.float32] | npt.NDArray[np.float64]) -> float:
    """Offset in ``[-0.5, 0.5]`` of the vertex of the parabola through three values around a
    maximum (0 when there are fewer than three, at an edge of the map)."""
    if v.shape[0] != 3:
        return 0.0
    den = float(v[0]) - 2.0 * float(v[1]) + float(v[2])
    if den >= 0.0:
        return 0.0
    return max(-0.5, min(0.5, 0.5 * (float(v[0]) - float(v[2])) / den))


def _resize(img: F32 | U8, size: tuple[int, int]) -> F32:
    """``img`` as float32 resized to ``size`` (width, height): INTER_AREA when shrinking (an
    average over each target pixel's footprint), bilinear when enlarging."""
    shrink = size[0] < img.shape[1]
    interp = cv2.INTER_AREA if shrink else cv2.INTER_LINEAR
    return np.asarray(
        cv2.resize(img.astype(np.float32, copy=False), size, interpolation=interp), dtype=np.float32
    )


def _premultiplied(rgba: U8) -> F32:
    """H×W×4 float32 with colours multiplied by alpha (so resizing does not bleed the colour of
    transparent pixels into the edges); alpha stays 0–255."""
    out = rgba.astype(np.float32)
    out[..., :3] *= out[..., 3:4] / 255.0
    return out


def _template_size(aspect: float, area: int, min_side: int) -> tuple[int, int]:
    w = math.sqrt(area * aspect)
    h = w / aspect
    if h < min_side:
        h, w = min_side, min_side * aspect
    if w < min_side:
        w, h = min_side, min_side / aspect
    return max(1, round(w)), max(1, round(h))


def _make_template(rgba: U8, area: int, min_side: int) -> _Template:
    h, w = rgba.shape[:2]
    size = _template_size(w / h, area, min_side)
    small = _resize(_premultiplied(rgba), size)
    alpha = small[..., 3:4] / 255.0
    rgb = np.ascontiguousarray(small[..., :3] + 128.0 * (1.0 - alpha), dtype=np.float32)
    if float(alpha.min()) >= _OPAQUE:
        return _Template(rgb=rgb, mask=None)
    visible = (alpha[..., 0] > 0.05).astype(np.uint8)
    r = max(1, round(_MASK_DILATE * min(size)))
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * r + 1, 2 * r + 1))
    mask = np.asarray(cv2.dilate(visible, kernel), dtype=np.float32)
    opacity = np.ascontiguousarray(alpha[..., 0], dtype=np.float32)
    if float(mask.mean()) >= 0.95:
        return _Template(rgb=rgb, mask=None, alpha=opacity)
    return _Template(rgb=rgb, mask=np.ascontiguousarray(mask), alpha=opacity)


def _whitening(px: U8) -> F32:
    """3×3 matrix that whitens the colour covariance (plus :data:`_WHITEN_EPS`) of pixels
    ``px`` (N×3: a sample of the image)."""
    cov = np.cov(px.T.astype(np.float64)) + _WHITEN_EPS * np.eye(3)
    vals, vecs = np.linalg.eigh(cov)
    m = vecs @ np.diag(vals**-0.5) @ vecs.T * 50.0  # ×50: keep values in a float32-friendly range
    return np.asarray(m, dtype=np.float32)


def _with_grey(img: F32, whiten: F32) -> F32:
    """H×W×4: whitened colours, then the unwhitened grey level (for the flat-window test)."""
    h, w = img.shape[:2]
    out = np.empty((h, w, 4), np.float32)
    out[..., :3] = (img.reshape(-1, 3) @ whiten).reshape(h, w, 3)
    out[..., 3] = img.mean(axis=2)
    return out


def _over(t: _Template, background: npt.NDArray[np.float32]) -> _Template:
    """``t`` with its transparent parts showing ``background`` (an RGB colour, 0–255) instead of
    the mid-grey it is stored over; ``t`` itself when it is opaque."""
    if t.alpha is None:
        return t
    rgb = t.rgb + (np.asarray(background, np.float32) - 128.0) * (1.0 - t.alpha)[..., None]
    return _Template(rgb=np.ascontiguousarray(rgb, dtype=np.float32), mask=t.mask, alpha=t.alpha)


def _whitened(t: _Template, whiten: F32) -> _Template:
    rgb = (t.rgb.reshape(-1, 3) @ whiten).reshape(t.rgb.shape).astype(np.float32)
    return _Template(rgb=np.ascontiguousarray(rgb), mask=t.mask, alpha=t.alpha)


def _ncc(im4: F32, t: _Template) -> F32:
    """TM_CCOEFF_NORMED of the whitened channels; flat windows (grey variance low) scored 0."""
    col = np.ascontiguousarray(im4[..., :3])
    if t.mask is None:
        r = np.asarray(cv2.matchTemplate(col, t.rgb, cv2.TM_CCOEFF_NORMED), dtype=np.float32)
    else:
        r = np.asarray(
            cv2.matchTemplate(col, t.rgb, cv2.TM_CCOEFF_NORMED, mask=t.mask), dtype=np.float32
        )
    sums = cv2.integral2(im4[..., 3].astype(np.float64))
    s1 = np.asarray(sums[0], dtype=np.float64)
    s2 = np.asarray(sums[1], dtype=np.float64)
    th, tw = t.height, t.width

    def win(s: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
        return s[th:, tw:] - s[:-th, tw:] - s[th:, :-tw] + s[:-th, :-tw]

    n = float(th * tw)
    var = win(s2) / n - (win(s1) / n) ** 2
    r = np.nan_to_num(r, nan=0.0, posinf=0.0, neginf=0.0)
    r[var < _FLAT_VAR] = 0.0
    return r


def _peaks(r: F32, floor: float, k: int) -> list[tuple[float, int, int]]:
    """Up to ``k`` local maxima of ``r`` at least ``floor``: (value, x, y), best first."""
    if float(r.max()) < floor:
        return []
    dil = cv2.dilate(r, np.ones((3, 3), np.uint8))
    ys, xs = np.nonzero((r >= dil) & (r >= floor))
    vals = r[ys, xs]
    order = np.argsort(-vals)[:k]
    return [(float(vals[i]), int(xs[i]), int(ys[i])) for i in order]


def _nms(
    cands: list[tuple[float, float, float, float]], aspect: float, width: int
) -> list[tuple[float, float, float, float]]:
    kept: list[tuple[float, float, float, float]] = []
    boxes: list[tuple[float, float, float, float]] = []
    for c in sorted(cands, key=lambda c: -c[0]):
        _, s, x, y = c
        mw = s * width
        b = (x, y, x + mw, y + mw / aspect)
        if all(_iou(b, o) < _NMS_IOU or not 1 / _NMS_SCALES < s / os < _NMS_SCALES
               for o, (_, os, _, _) in zip(boxes, kept, strict=True)):
            kept.append(c)
            boxes.append(b)
    return kept


def _inside(a: Sequence[float], b: Sequence[float]) -> float:
    """Share of box ``a``'s area inside box ``b`` (0 for an empty ``a``)."""
    ix = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    iy = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    area = (a[2] - a[0]) * (a[3] - a[1])
    return ix * iy / area if area > 0 else 0.0


def _iou(a: Sequence[float], b: Sequence[float]) -> float:
    ix = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    iy = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = ix * iy
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / union if union > 0 else 0.0


def overlay_mark(
    rgb: npt.NDArray[np.uint8],
    mark_rgba: npt.NDArray[np.uint8],
    *,
    scale: float,
    opacity: float,
    x: int,
    y: int,
) -> tuple[U8, tuple[int, int, int, int]]:
    """Alpha-composite a mark onto a copy of an RGB image (test and benchmark helper).

    The mark (H×W×4 uint8, straight alpha) is resized (INTER_AREA) to ``round(scale * W)`` pixels
    wide, its alpha multiplied by ``opacity``, and composited with its top-left corner at pixel
    ``(x, y)``. Returns the new H×W×3 uint8 image and the half-open box ``(x0, y0, x1, y1)``.
    Raises :class:`~rightsguard.errors.InputError` when the mark does not fit inside the image.
    """
    h, w = rgb.shape[:2]
    mw = max(1, round(scale * w))
    mh = max(1, round(mark_rgba.shape[0] * mw / mark_rgba.shape[1]))
    if x < 0 or y < 0 or x + mw > w or y + mh > h:
        raise InputError(f"mark of {mw}×{mh} px at ({x}, {y}) does not fit a {w}×{h} image")
    m = _resize(_premultiplied(mark_rgba), (mw, mh))
    a = m[..., 3:4] / 255.0 * opacity
    out = rgb.astype(np.float32)
    region = out[y : y + mh, x : x + mw]
    out[y : y + mh, x : x + mw] = region * (1.0 - a) + m[..., :3] * opacity
    return np.clip(np.rint(out), 0, 255).astype(np.uint8), (x, y, x + mw, y + mh)


OPACITIES = (0.3, 0.5, 0.7, 1.0)
"""Opacities of the acceptance test (issue #4: 0.3–1.0)."""

SCALES = (0.05, 0.10, 0.20, 0.30)
"""Mark widths of the acceptance test, as a share of the photograph's width (issue #4: 5–30%)."""

PHOTOGRAPHS = (
    "astronaut",
    "coffee",
    "chelsea",
    "camera",
    "rocket",
    "motorcycle_left",
    "motorcycle_right",
    "hubble_deep_field",
    "retina",
)
"""scikit-image's bundled colour and grey photographs the acceptance test overlays the logo on."""

OTHER_IMAGES = (
    "immunohistochemistry",
    "brick",
    "grass",
    "gravel",
    "moon",
    "coins",
    "cell",
    "page",
    "text",
    "clock",
    "colorwheel",
    "horse",
    "microaneurysms",
    "checkerboard",
    "shepp_logan_phantom",
)
"""Other bundled images (not the logo), used only as negatives."""


def bundled_image(name: str) -> U8:
    """A scikit-image bundled image as H×W×3 uint8 RGB (grey and binary images replicated,
    RGBA composited over white). ``motorcycle_left``/``_right`` are the stereo pair. Needs
    scikit-image (the ``dev`` dependency group); no network."""
    from skimage import data
    from skimage.util import img_as_ubyte

    if name.startswith("motorcycle_"):
        left, right, _ = data.stereo_motorcycle()  # type: ignore[no-untyped-call]
        a = left if name == "motorcycle_left" else right
    else:
        a = getattr(data, name)()
    a = np.asarray(img_as_ubyte(a), dtype=np.uint8)  # type: ignore[no-untyped-call]
    if a.ndim == 2:
        a = np.repeat(a[..., None], 3, axis=2)
    if a.shape[2] == 4:
        al = a[..., 3:4].astype(np.float32) / 255.0
        a = np.rint(a[..., :3] * al + 255.0 * (1.0 - al)).astype(np.uint8)
    return np.ascontiguousarray(a)


@dataclass(frozen=True, slots=True, eq=False)
class Overlay:
    """One positive of the acceptance test: ``image`` (H×W×3 uint8) holds the logo in ``box``
    (half-open, pixels), composited at ``opacity`` and ``scale`` (logo width / image width)."""

    label: str
    image: U8
    box: tuple[int, int, int, int]
    opacity: float
    scale: float


def logo_overlays(*, positions: int = 3, seed: int = 0) -> Iterator[Overlay]:
    """The positives of issue #4's acceptance test, built on the fly (deterministic).

    scikit-image's logo (``skimage/data/logo.png``, 500×500 RGBA) composited with
    :func:`overlay_mark` on each of :data:`PHOTOGRAPHS` at every opacity in :data:`OPACITIES` and
    scale in :data:`SCALES`, at ``positions`` positions each, drawn uniformly (the whole logo
    inside the photograph) by ``numpy.random.default_rng(seed)``. Needs scikit-image (``dev``).
    """
    logo = bundled_logo()
    rng = np.random.default_rng(seed)
    for name in PHOTOGRAPHS:
        photo = bundled_image(name)
        h, w = photo.shape[:2]
        for op in OPACITIES:
            for sc in SCALES:
                mw = round(sc * w)
                mh = round(logo.shape[0] * mw / logo.shape[1])
                for _ in range(positions):
                    x, y = int(rng.integers(0, w - mw + 1)), int(rng.integers(0, h - mh + 1))
                    img, box = overlay_mark(photo, logo, scale=sc, opacity=op, x=x, y=y)
                    yield Overlay(f"{name}@{op}x{sc}+{x}+{y}", img, box, op, sc)


def logo_negatives(*, variants_per_photo: int = 12, seed: int = 1) -> Iterator[tuple[str, U8]]:
    """The negatives of issue #4's acceptance test: ``(label, H×W×3 uint8 image)`` without the
    logo — :func:`negative_variants` of each of :data:`PHOTOGRAPHS` (random generator seeded with
    ``seed``), then :data:`OTHER_IMAGES`. Needs scikit-image (``dev``)."""
    rng = np.random.default_rng(seed)
    for name in PHOTOGRAPHS:
        yield from negative_variants(name, bundled_image(name), rng, variants_per_photo)
    for name in OTHER_IMAGES:
        yield name, bundled_image(name)


def bundled_logo() -> U8:
    """scikit-image's logo, ``skimage/data/logo.png``: 500×500×4 uint8 RGBA (opaque: its corners
    are white, not transparent). Needs scikit-image (``dev`` group)."""
    from skimage import data

    return np.ascontiguousarray(data.logo(), dtype=np.uint8)  # type: ignore[no-untyped-call]


def negative_variants(name: str, rgb: U8, rng: np.random.Generator, n: int) -> list[tuple[str, U8]]:
    """``n`` deterministic variants of a photograph without the mark: the photograph, its
    mirror, then random crops (30–90% of each side), every third one mirrored and every second
    one resized by 0.5–1.5×."""
    out: list[tuple[str, U8]] = [
        (name, rgb),
        (f"{name}/mirror", np.ascontiguousarray(rgb[:, ::-1])),
    ]
    h, w = rgb.shape[:2]
    while len(out) < n:
        k = len(out)
        fw, fh = rng.uniform(0.3, 0.9, size=2)
        cw, ch = max(32, round(w * fw)), max(32, round(h * fh))
        x, y = int(rng.integers(0, w - cw + 1)), int(rng.integers(0, h - ch + 1))
        v = rgb[y : y + ch, x : x + cw]
        label = f"{name}/crop{k}"
        if k % 3 == 1:
            v = v[:, ::-1]
            label += "+mirror"
        if k % 2 == 0:
            f = float(rng.uniform(0.5, 1.5))
            size = (max(16, round(cw * f)), max(16, round(ch * f)))
            v = np.clip(np.rint(_resize(v, size)), 0, 255).astype(np.uint8)
            label += f"+resize{f:.2f}"
        out.append((label, np.ascontiguousarray(v)))
    return out[:n]


@dataclass(frozen=True, slots=True)
class MarkMeasurement:
    """Result of :func:`measure_marks`.

    ``found``/``total``: per ``(opacity, scale)``, positives whose logo was found (a hit with
    IoU ≥ 0.5 with the true box and a score of at least :data:`THRESHOLD`) and positives.
    ``flagged``: labels of negatives with a hit; ``missed``: labels of positives not found
    (``photograph@opacity×scale+x+y``). ``seconds_per_image``: mean wall time of one
    :func:`find_marks` call. ``lowest_found``: lowest score of a found logo;
    ``highest_negative``: highest score of any candidate on a negative (reported or not).
    """

    found: dict[tuple[float, float], int]
    total: dict[tuple[float, float], int]
    negatives: int
    flagged: tuple[str, ...]
    missed: tuple[str, ...]
    seconds_per_image: float
    image_widths: tuple[int, int]
    lowest_found: float
    highest_negative: float
    seconds_at_width: dict[int, float]

    @property
    def positives(self) -> int:
        return sum(self.total.values())

    @property
    def recall(self) -> float:
        return sum(self.found.values()) / max(1, self.positives)

    @property
    def false_positive_rate(self) -> float:
        return len(self.flagged) / max(1, self.negatives)

    def table(self) -> str:
        """Recall per opacity (rows) and scale (columns), then totals, as plain text."""
        lines = ["opacity \\ scale" + "".join(f"{s:>8.0%}" for s in SCALES) + "     all"]
        for op in OPACITIES:
            cells = []
            for sc in SCALES:
                f, t = self.found.get((op, sc), 0), self.total.get((op, sc), 0)
                cells.append(f"{f / t:>8.2f}" if t else f"{'-':>8}")
            fo = sum(v for k, v in self.found.items() if k[0] == op)
            to = sum(v for k, v in self.total.items() if k[0] == op)
            lines.append(f"{op:>15.1f}" + "".join(cells) + f"{fo / max(1, to):>8.2f}")
        flagged = ": " + ", ".join(self.flagged) if self.flagged else ""
        lines += [
            f"recall {self.recall:.3f} ({sum(self.found.values())}/{self.positives}); "
            f"false positives {self.false_positive_rate:.3f} "
            f"({len(self.flagged)}/{self.negatives}{flagged})",
            "missed: " + (", ".join(self.missed) or "none"),
            f"lowest score of a found logo {self.lowest_found:.3f}; highest score on a negative "
            + (f"{self.highest_negative:.3f}" if self.highest_negative >= -1.0 + 1e-9 else
               "none (no candidate passed the halves, opacity and detail tests)")
            + f" (threshold {THRESHOLD})",
            f"{self.seconds_per_image * 1000:.0f} ms per image (wall, find_marks only; images "
            f"{self.image_widths[0]}–{self.image_widths[1]} px wide)",
            "median time per image, astronaut with the logo, one mark: "
            + "; ".join(f"{w} px {t * 1000:.0f} ms" for w, t in self.seconds_at_width.items()),
        ]
        return "\n".join(lines)


def measure_marks(
    *, positions: int = 3, variants_per_photo: int = 12, verbose: bool = True
) -> MarkMeasurement:
    """Measure :func:`find_marks` on issue #4's acceptance test and print the table.

    Positives: :func:`logo_overlays` (``positions`` per photograph, opacity and scale);
    negatives: :func:`logo_negatives` (``variants_per_photo`` per photograph, plus
    :data:`OTHER_IMAGES`). Each image is searched once with a low threshold (0.40, the coarse
    candidate score) so the margins can be reported; hits count from :data:`THRESHOLD`. Needs
    scikit-image (``dev`` group); about a minute on one core with the defaults.
    """
    marks = [MarkTemplate.from_image(bundled_logo(), name="skimage-logo")]
    found: dict[tuple[float, float], int] = {}
    total: dict[tuple[float, float], int] = {}
    flagged: list[str] = []
    missed: list[str] = []
    elapsed, calls = 0.0, 0
    widths: list[int] = []
    lowest, highest = 1.0, -1.0
    for ov in logo_overlays(positions=positions):
        t0 = time.perf_counter()
        hits = find_marks(ov.image, marks, threshold=_CANDIDATE_SCORE)
        elapsed += time.perf_counter() - t0
        calls += 1
        widths.append(ov.image.shape[1])
        good = [h.score for h in hits if _iou(h.box, ov.box) >= 0.5]
        ok = bool(good) and max(good) >= THRESHOLD
        if ok:
            lowest = min(lowest, max(good))
        if not ok:
            missed.append(ov.label)
        key = (ov.opacity, ov.scale)
        found[key] = found.get(key, 0) + int(ok)
        total[key] = total.get(key, 0) + 1
    negatives = 0
    for label, img in logo_negatives(variants_per_photo=variants_per_photo):
        t0 = time.perf_counter()
        hits = find_marks(img, marks, threshold=_CANDIDATE_SCORE)
        elapsed += time.perf_counter() - t0
        calls += 1
        negatives += 1
        if hits:
            highest = max(highest, hits[0].score)
            if hits[0].score >= THRESHOLD:
                flagged.append(f"{label}@{hits[0].score:.2f}")
    timing: dict[int, float] = {}
    photo, _ = overlay_mark(
        bundled_image("astronaut"), bundled_logo(), scale=0.1, opacity=0.5, x=100, y=300
    )
    for width in (512, 768, 1024):
        img = np.clip(np.rint(_resize(photo, (width, width))), 0, 255).astype(np.uint8)
        runs = []
        for _ in range(5):
            t0 = time.perf_counter()
            find_marks(img, marks)
            runs.append(time.perf_counter() - t0)
        timing[width] = float(np.median(runs))
    result = MarkMeasurement(
        found=found,
        total=total,
        negatives=negatives,
        flagged=tuple(flagged),
        missed=tuple(missed),
        seconds_per_image=elapsed / max(1, calls),
        image_widths=(min(widths), max(widths)),
        lowest_found=lowest,
        highest_negative=highest,
        seconds_at_width=timing,
    )
    if verbose:
        print(result.table())
    return result
