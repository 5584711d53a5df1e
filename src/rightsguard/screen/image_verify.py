"""Verify that a candidate image work really appears in a screened image, and where.

Cascade stage 3 of image screening (issue #4): candidates come from perceptual hashes; this stage
confirms each with local features and reports the copied region as a polygon in both images.

Method (Lowe 2004, "Distinctive image features from scale-invariant keypoints", IJCV 60(2)):
SIFT descriptors (:mod:`rightsguard.fingerprint.image_features`) compared as RootSIFT
(Arandjelović & Zisserman 2012: Hellinger kernel, i.e. L2 on square roots of L1-normalised
descriptors); for each screened-image keypoint the two nearest work keypoints, kept if the nearest
is closer than :data:`RATIO` × the second (Lowe's ratio test); one match per keypoint on each side;
a homography fitted by RANSAC (``cv2.findHomography``, reprojection threshold
:data:`REPROJECTION_PX` pixels of the detection images, i.e. after downscaling to ``max_side``);
acceptance by inlier count, inlier ratio, spread of the inliers and a sanity check on the
homography. Flips: the same is tried with the screened image's descriptors mirrored
(:meth:`LocalFeatures.mirrored_descriptors`), which finds orientation-reversing homographies
(horizontal and vertical flips) without a second feature extraction. Measured (a scratch run
on the same photographs and transforms): flipped copies got a median of 452 inliers this way and
500 by extracting features of the mirrored image again, which would cost a second extraction
(50–100 ms) per screened image; both verified the same copies.

Score: ``score = inlier_ratio × inliers / (inliers + min_inliers)``, in ``[0, 1)``: at the
acceptance limits (12 inliers, ratio 0.4) it is 0.2; a full copy (ratio ~1, 500 inliers) ~0.98;
the weakest accepted copy measured (33 inliers, ratio 0.825) 0.61. A ranking among accepted
matches, not a probability.

Measured with ``uv run --frozen --group dev python -c "from rightsguard.screen.image_verify
import measure_verification; measure_verification()"`` (18 scikit-image photographs: astronaut,
camera, chelsea, coffee, rocket, motorcycle left/right, hubble_deep_field, retina, moon, coins,
page, immunohistochemistry, brick, grass, gravel, cell, clock; features at 512 px, 500 keypoints;
about a minute on 2 shared cores). Accepted: copies verified out of 18. Polygon error: the
largest distance, in output pixels, between where the reported homography and the true
transform put the vertices of the reported work polygon. Every miss is ``cell`` (a flat
micrograph; rotations 5° and 10°, caption) or ``clock`` (all its keypoints on 2–4% of the image,
rejected by :data:`MIN_SPREAD` under every transform):

===================  ========  ==============  ==================  ===============
transform            accepted  median inliers  polygon error (px)  flipped found
===================  ========  ==============  ==================  ===============
identity             17/18     500             0.0
JPEG q=50            17/18     330             0.5
resize 50%           17/18     170             0.9
colour jitter        17/18     398             0.8
crop to 50% area     17/18     254             1.8
crop to 70% area     17/18     330             0.6
crop to 90% area     17/18     415             1.0
flip horizontal      17/18     452             1.4                 17/17
flip vertical        17/18     452             1.5                 17/17
rotate 90°           17/18     452             1.4
rotate 5°            16/18     190             0.8
rotate 10°           16/18     196             0.7
rotate 15°           17/18     230             0.7
caption (Pillow)     16/18     336             0.0
screenshot framing   17/18     188             1.7
===================  ========  ==============  ==================  ===============

Accepted copies: 33–500 inliers, inlier ratio 0.825–1.0, spread 0.20–0.83, anisotropy
≤ 1.005, scale 0.50–1.42. Not copies — every ordered pair of different photographs, the query
photograph under each of the 16 variants above: **0 false accepts of 4,590 verifications (0 of
304 ordered pairs)**; the most inliers any of them reached was 7. Different photographs under
the same caption banner: 0 of 304 accepted (288 would be without the spread check). The stereo
pair motorcycle_left/right (one scene from two viewpoints, left out of the pairs above) verifies
30 of 30 times: a near-duplicate photograph counts as a copy. Time: feature extraction 50–100 ms
per image (SIFT at 512 px); verification 2.5–7 ms per pair (2 shared cores under load; the
literature's figure is ~20 ms per pair); 500 keypoints are 68,024 bytes per work
(:meth:`LocalFeatures.to_bytes`). With 300 keypoints (40,824 bytes) the same run lost one
more copy (cell, rotate 15°) and the smallest copy spread fell to 0.16.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from rightsguard.errors import InputError
from rightsguard.fingerprint.image_features import (
    KIND_SIFT,
    MIRROR_PERMUTATION,
    LocalFeatures,
    extract_features,
)

RATIO = 0.8
"""Lowe's ratio test (Lowe 2004, §7.1: 0.8 removes 90% of false matches, loses < 5% correct)."""

REPROJECTION_PX = 4.0
"""RANSAC inlier threshold, pixels of the screened image's detection copy (≤ 512 px side, so
about 4–8 px of a 1024 px file). OpenCV's examples use 3–5. Measured: 3, 4 and 6 px give the
same accept rates, false accepts (0) and polygon errors (table below); 4 is the middle."""

MIN_INLIERS = 12
"""Accept from this many RANSAC inliers. Measured: the most inliers any pair of different
photographs reached was 7 (a fit that also failed the horizon check), accepted copies ≥ 33;
12 leaves a margin on both sides (Lowe 2004 verifies objects from as few as 3 matches with a
Hough-cluster prior; a homography over a whole image has 8 degrees of freedom)."""

MIN_INLIER_RATIO = 0.4
"""Accept if at least this fraction of the ratio-test matches are RANSAC inliers. Measured:
accepted copies ≥ 0.825; no pair of different photographs reached MIN_INLIERS, so this
is a guard against fits that gather a dozen inliers out of hundreds of matches, not the main
separator; 0.4 is half the copies' minimum."""

MIN_SPREAD = 0.13
"""The inliers' convex hull on the screened-image side (the 10% of inliers farthest from their
median left out, so that a few stray inliers do not inflate it) must cover at least this
fraction of the output polygon's area: a match supported by one small patch — a shared caption,
watermark or logo — is not a copy of the work (registered marks have their own stage). Measured
(``measure_verification``): different photographs under the same caption banner reach at most
0.086 (0.24 untrimmed); copies of textured photographs at least 0.20 (rocket under a caption,
retina cropped to 50%). The price: ``clock``, whose few keypoints sit on 2–4% of it, is not
verified under any transform (0.013–0.037)."""

MAX_ANISOTROPY = 4.0
"""Largest ratio of the homography's two local scale factors (singular values of its Jacobian
at the inliers' centroid): squeezing a work more than 4:1 is not a copy, and degenerate RANSAC
fits between different photographs (inliers near a line) reached ratios up to ~1000 in a scratch
run. Measured: copies ≤ 1.005; an aspect change of a generated image (4:3 to 16:9) is 1.33."""

SCALE_RANGE = (1 / 8, 8.0)
"""Allowed local scale of the homography, detection pixels of the screened image per detection
pixel of the work: SIFT matches over about 3 octaves (2³ = 8). Measured: copies 0.50–1.42;
degenerate fits between different photographs reached 0.002–0.07."""

_SPREAD_TRIM = 0.1  # fraction of inliers left out of the spread's hull (see MIN_SPREAD)
_MIN_MATCHES = 8  # fewer ratio-test matches than this: no RANSAC (cannot reach MIN_INLIERS)
_RANSAC_ITERS = 2000
_RANSAC_CONFIDENCE = 0.995


@dataclass(frozen=True, slots=True, eq=False)  # eq=False: an ndarray field has no truth value
class Verification:
    """A confirmed copy of a work in a screened image.

    ``inliers``: RANSAC inliers (one-to-one keypoint matches). ``matches``: ratio-test matches
    considered. ``inlier_ratio = inliers / matches``. ``score`` in ``[0, 1)`` (module doc).
    ``homography``: float64 ``(3, 3)`` mapping work pixels to screened-image pixels
    (homogeneous, ``[x', y', w'] = H @ [x, y, 1]``), both in pixels of the original images.
    ``output_polygon``: where the work is in the screened image — the work's rectangle mapped
    by ``homography`` and clipped to the screened image. ``work_polygon``: the same region in
    the work's pixels (``H⁻¹`` of the output polygon, so vertex ``i`` of one is vertex ``i`` of
    the other): the part of the work visible in the output; the whole work for a full copy.
    ``(x, y)`` in pixels, origin at the top-left corner (model.py's convention). ``*_coverage``:
    polygon area over image area, in ``[0, 1]``. ``spread``: inliers' convex hull over the
    output polygon's area. ``flipped``: the work appears mirrored (``det`` of the homography's
    linear part is negative).
    """

    inliers: int
    matches: int
    inlier_ratio: float
    score: float
    homography: npt.NDArray[np.float64]
    work_polygon: tuple[tuple[float, float], ...]
    output_polygon: tuple[tuple[float, float], ...]
    work_coverage: float
    output_coverage: float
    spread: float
    flipped: bool


@dataclass(frozen=True, slots=True, eq=False)
class _Attempt:
    """One fit (direct or mirrored), accepted or not; ``problem`` says why not."""

    inliers: int
    matches: int
    flipped: bool
    problem: str
    homography: npt.NDArray[np.float64] | None = None
    anisotropy: float = 0.0
    scale: float = 0.0
    spread: float = 0.0
    output_polygon: tuple[tuple[float, float], ...] = ()


def _rootsift(descriptors: npt.NDArray[np.uint8]) -> npt.NDArray[np.float32]:
    from rightsguard.fingerprint.image_features import rootsift

    return rootsift(descriptors)


def _ratio_matches(query: npt.NDArray[np.float32], work: npt.NDArray[np.float32],
                   ratio: float) -> tuple[npt.NDArray[np.intp], npt.NDArray[np.intp]]:
    """Indices ``(q, w)`` of ratio-test matches, one-to-one (closest kept on each side)."""
    import cv2

    if query.shape[0] < 1 or work.shape[0] < 2:
        return np.empty(0, np.intp), np.empty(0, np.intp)
    # RootSIFT vectors have unit L2 norm: squared distance = 2 - 2 cos. cv2.gemm, not numpy's
    # matmul: OpenBLAS threads made the product 0.4-7 ms on shared cores, cv2 a steady 0.7 ms
    gemm: Any = cv2.gemm  # the stubs refuse None for the unused third matrix
    cos = np.asarray(gemm(query, work, 1.0, None, 0.0, flags=cv2.GEMM_2_T), np.float32)
    rows = np.arange(query.shape[0])
    first = cos.argmax(axis=1)
    c1 = cos[rows, first]
    cos[rows, first] = -np.inf
    c2 = cos.max(axis=1)
    d1, d2nd = np.maximum(2.0 - 2.0 * c1, 0.0), np.maximum(2.0 - 2.0 * c2, 0.0)
    keep = d1 < (ratio * ratio) * d2nd  # on squared distances
    q, w, dist = rows[keep], first[keep], d1[keep]
    order = np.argsort(dist, kind="stable")
    q, w = q[order], w[order]
    _, first_w = np.unique(w, return_index=True)  # closest query keypoint per work keypoint
    sel = np.sort(first_w)
    return q[sel], w[sel]


def clip_polygon(poly: npt.NDArray[np.float64], width: float, height: float
                 ) -> npt.NDArray[np.float64]:
    """Sutherland–Hodgman clipping of a polygon ``(k, 2)`` to ``[0, width] × [0, height]``."""
    pts = [tuple(p) for p in poly]
    for axis, bound, keep_le in ((0, 0.0, False), (0, width, True),
                                 (1, 0.0, False), (1, height, True)):
        if not pts:
            break
        out: list[tuple[float, float]] = []

        def inside(p: tuple[float, float], axis: int = axis, bound: float = bound,
                   keep_le: bool = keep_le) -> bool:
            return p[axis] <= bound if keep_le else p[axis] >= bound

        for i, cur in enumerate(pts):
            prev = pts[i - 1]
            if inside(cur) != inside(prev):
                t = (bound - prev[axis]) / (cur[axis] - prev[axis])
                out.append((prev[0] + t * (cur[0] - prev[0]), prev[1] + t * (cur[1] - prev[1])))
            if inside(cur):
                out.append(cur)
        pts = out
    arr = np.array(pts, dtype=np.float64).reshape(-1, 2)
    if len(arr) > 1:  # drop repeated vertices left by clipping through a corner
        keep = np.r_[True, np.any(np.abs(np.diff(arr, axis=0)) > 1e-6, axis=1)]
        arr = arr[keep]
        if len(arr) > 1 and np.all(np.abs(arr[0] - arr[-1]) <= 1e-6):
            arr = arr[:-1]
    return arr


def polygon_area(poly: npt.NDArray[np.float64]) -> float:
    """Area (px²) of a simple polygon ``(k, 2)`` by the shoelace formula; 0 below 3 vertices."""
    if len(poly) < 3:
        return 0.0
    x, y = poly[:, 0], poly[:, 1]
    return float(abs(np.dot(x, np.roll(y, -1)) - np.dot(y, np.roll(x, -1))) / 2)


def _apply(h: npt.NDArray[np.float64], pts: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    hom = np.c_[pts, np.ones(len(pts))] @ h.T
    return np.asarray(hom[:, :2] / hom[:, 2:3], dtype=np.float64)


def _fit(query: LocalFeatures, work: LocalFeatures, query_desc: npt.NDArray[np.float32],
         work_desc: npt.NDArray[np.float32], flipped: bool, ratio: float,
         reprojection_px: float) -> _Attempt:
    import cv2

    qi, wi = _ratio_matches(query_desc, work_desc, ratio)
    n = len(qi)
    if n < _MIN_MATCHES:
        return _Attempt(0, n, flipped, f"{n} ratio-test matches")
    # fit in detection pixels, so the threshold does not depend on the files' resolutions
    src = work.points[wi].astype(np.float64) * work.scale
    dst = query.points[qi].astype(np.float64) * query.scale
    h_found, mask = cv2.findHomography(src, dst, cv2.RANSAC, reprojection_px,
                                     maxIters=_RANSAC_ITERS, confidence=_RANSAC_CONFIDENCE)
    if h_found is None or mask is None or not np.all(np.isfinite(h_found)):
        return _Attempt(0, n, flipped, "no homography")
    inl = mask.ravel().astype(bool)
    inliers = int(inl.sum())
    h_det = np.asarray(h_found, np.float64)
    h = np.asarray(np.diag([1 / query.scale, 1 / query.scale, 1.0]) @ h_det
                   @ np.diag([work.scale, work.scale, 1.0]), np.float64)
    if abs(h[2, 2]) > 1e-12:
        h = np.asarray(h / h[2, 2], np.float64)

    def fail(problem: str, **kw: Any) -> _Attempt:
        return _Attempt(inliers, n, flipped, problem, h, **kw)

    corners = np.array([[0, 0], [work.width, 0], [work.width, work.height],
                        [0, work.height]], np.float64)
    w_hom = np.c_[corners, np.ones(4)] @ h.T
    if not np.all(w_hom[:, 2] > 1e-9):
        return fail("work corners cross the horizon")
    quad = w_hom[:, :2] / w_hom[:, 2:3]
    edges = np.roll(quad, -1, axis=0) - quad
    cross = edges[:, 0] * np.roll(edges, -1, axis=0)[:, 1] - edges[:, 1] * np.roll(
        edges, -1, axis=0)[:, 0]
    if not np.all(cross * (-1.0 if flipped else 1.0) > 0):
        return fail("mapped work is not convex with the expected orientation")
    # Jacobian of the detection-pixel homography at the inliers' centroid
    cx, cy = src[inl].mean(axis=0)
    v = h_det @ np.array([cx, cy, 1.0])
    jac = (h_det[:2, :2] * v[2] - np.outer(v[:2], h_det[2, :2])) / v[2] ** 2
    if not np.all(np.isfinite(jac)):
        return fail("degenerate homography")
    sv = np.linalg.svd(jac, compute_uv=False)
    anisotropy = float(sv[0] / max(float(sv[1]), 1e-12))
    scale = float(np.sqrt(sv[0] * sv[1]))
    out_poly = clip_polygon(quad, query.width, query.height)
    out_area = polygon_area(out_poly)
    if out_area <= 0:
        return fail("mapped work lies outside the screened image")
    # inliers' convex hull, leaving out the 10% farthest from their median (stray inliers)
    qpts = query.points[qi][inl].astype(np.float64)
    dist = np.linalg.norm(qpts - np.median(qpts, axis=0), axis=1)
    core = qpts[dist <= np.quantile(dist, 1.0 - _SPREAD_TRIM)].astype(np.float32)
    spread = float(cv2.contourArea(cv2.convexHull(core))) / out_area
    polygon = tuple((float(x), float(y)) for x, y in out_poly)
    return _Attempt(inliers, n, flipped, "", h, anisotropy, scale, spread, polygon)


@dataclass(frozen=True, slots=True)
class _Params:
    ratio: float = RATIO
    reprojection_px: float = REPROJECTION_PX
    min_inliers: int = MIN_INLIERS
    min_inlier_ratio: float = MIN_INLIER_RATIO
    min_spread: float = MIN_SPREAD
    flips: bool = True


def _problem(a: _Attempt, p: _Params) -> str:
    """Why attempt ``a`` is not accepted; empty if it is."""
    if a.problem:
        return a.problem
    if a.inliers < p.min_inliers:
        return f"{a.inliers} inliers < {p.min_inliers}"
    if a.inliers / a.matches < p.min_inlier_ratio:
        return f"inlier ratio {a.inliers / a.matches:.2f} < {p.min_inlier_ratio}"
    if a.anisotropy > MAX_ANISOTROPY:
        return f"anisotropy {a.anisotropy:.1f} > {MAX_ANISOTROPY}"
    if not SCALE_RANGE[0] <= a.scale <= SCALE_RANGE[1]:
        return f"scale {a.scale:.3f} outside {SCALE_RANGE}"
    if a.spread < p.min_spread:
        return f"spread {a.spread:.3f} < {p.min_spread}"
    return ""


def _verify(query: LocalFeatures, work: LocalFeatures, p: _Params
            ) -> tuple[Verification | None, list[_Attempt]]:
    """:func:`verify`, also returning every attempt made (accepted or not) for measurements."""
    for name, f in (("query", query), ("work", work)):
        if f.kind != KIND_SIFT:
            raise InputError(f"{name} features: kind {f.kind!r}, verify reads {KIND_SIFT!r}")
    work_desc = _rootsift(work.descriptors)
    query_desc = _rootsift(query.descriptors)
    tried = [_fit(query, work, query_desc, work_desc, False, p.ratio, p.reprojection_px)]
    # a mirrored fit is only looked for when the direct one fails: a copy that is not flipped
    # matches its mirror only on symmetric details
    if p.flips and _problem(tried[0], p):
        mirrored = np.ascontiguousarray(query_desc[:, MIRROR_PERMUTATION])
        tried.append(_fit(query, work, mirrored, work_desc, True, p.ratio, p.reprojection_px))
    good = [a for a in tried if not _problem(a, p)]
    if not good:
        return None, tried
    best = max(good, key=lambda a: a.inliers)
    assert best.homography is not None  # an accepted attempt has one
    h = best.homography
    out_poly = np.array(best.output_polygon, np.float64)
    work_poly = _apply(np.asarray(np.linalg.inv(h), np.float64), out_poly)
    work_poly = np.clip(work_poly, 0.0, (work.width, work.height))
    ratio_in = best.inliers / best.matches
    h_ro = h.copy()
    h_ro.flags.writeable = False
    return Verification(
        inliers=best.inliers, matches=best.matches, inlier_ratio=ratio_in,
        score=ratio_in * best.inliers / (best.inliers + p.min_inliers), homography=h_ro,
        work_polygon=tuple((float(x), float(y)) for x, y in work_poly),
        output_polygon=best.output_polygon,
        work_coverage=min(1.0, polygon_area(work_poly) / (work.width * work.height)),
        output_coverage=min(1.0, polygon_area(out_poly) / (query.width * query.height)),
        spread=best.spread, flipped=best.flipped), tried


def verify(query: LocalFeatures, work: LocalFeatures, *, ratio: float = RATIO,
           reprojection_px: float = REPROJECTION_PX, min_inliers: int = MIN_INLIERS,
           min_inlier_ratio: float = MIN_INLIER_RATIO, min_spread: float = MIN_SPREAD,
           flips: bool = True) -> Verification | None:
    """Whether ``work`` appears in the screened image ``query``; None if not confirmed.

    Both are :func:`~rightsguard.fingerprint.image_features.extract_features` results (the
    work's usually read back from the index). ``flips`` also looks for a mirrored copy (only
    when the direct fit is not accepted). Thresholds and their sources: module constants
    (:data:`RATIO`, :data:`REPROJECTION_PX` in detection pixels, :data:`MIN_INLIERS`,
    :data:`MIN_INLIER_RATIO`, :data:`MIN_SPREAD`, :data:`MAX_ANISOTROPY`, :data:`SCALE_RANGE`).
    Deterministic (OpenCV's RANSAC seeds its generator with a constant). Time per pair: module
    doc.

    Raises InputError for features of another kind or out-of-range parameters.
    """
    if not (0 < ratio <= 1 and reprojection_px > 0 and min_inliers >= 4
            and 0 <= min_inlier_ratio <= 1 and 0 <= min_spread <= 1):
        raise InputError(f"verify: ratio {ratio} must be in (0, 1], reprojection_px "
                         f"{reprojection_px} > 0, min_inliers {min_inliers} ≥ 4, "
                         f"min_inlier_ratio {min_inlier_ratio} and min_spread {min_spread} "
                         "in [0, 1]")
    params = _Params(ratio, reprojection_px, min_inliers, min_inlier_ratio, min_spread, flips)
    return _verify(query, work, params)[0]


# -- measurement ---------------------------------------------------------------------------------

_PHOTOS = ("astronaut", "camera", "chelsea", "coffee", "rocket", "motorcycle_left",
           "motorcycle_right", "hubble_deep_field", "retina", "moon", "coins", "page",
           "immunohistochemistry", "brick", "grass", "gravel", "cell", "clock")
_SAME_SCENE = frozenset({"motorcycle_left", "motorcycle_right"})


def _photo(name: str) -> npt.NDArray[np.uint8]:
    import skimage.data

    if name.startswith("motorcycle"):
        pair: Any = skimage.data.stereo_motorcycle()  # type: ignore[no-untyped-call]
        img = pair[0 if name.endswith("left") else 1]
    else:
        img = getattr(skimage.data, name)()
    if img.ndim == 2:
        img = np.stack([img] * 3, axis=-1)
    return np.ascontiguousarray(img[..., :3]).astype(np.uint8)


def _variants(img: npt.NDArray[np.uint8], rng: np.random.Generator) -> list[
        tuple[str, npt.NDArray[np.uint8], npt.NDArray[np.float64]]]:
    """The issue's transforms: ``(family, image, true work->output homography)``."""
    import io

    from PIL import Image, ImageDraw, ImageEnhance, ImageFont

    h, w = img.shape[:2]
    im = Image.fromarray(img)
    eye = np.eye(3)
    out: list[tuple[str, npt.NDArray[np.uint8], npt.NDArray[np.float64]]] = [
        ("identity", img, eye)]
    buf = io.BytesIO()
    im.save(buf, "JPEG", quality=50)
    out.append(("jpeg q50", np.asarray(Image.open(buf).convert("RGB")), eye))
    rw, rh = w // 2, h // 2
    out.append(("resize 50%", np.asarray(im.resize((rw, rh), Image.Resampling.BILINEAR)),
                np.diag([rw / w, rh / h, 1.0])))
    jit = ImageEnhance.Color(ImageEnhance.Contrast(ImageEnhance.Brightness(im).enhance(1.3))
                             .enhance(0.7)).enhance(1.6)
    out.append(("colour jitter", np.asarray(jit), eye))
    for keep in (0.5, 0.7, 0.9):
        cw, ch = int(w * keep ** 0.5), int(h * keep ** 0.5)
        x0, y0 = int(rng.integers(0, w - cw + 1)), int(rng.integers(0, h - ch + 1))
        t = np.array([[1, 0, -x0], [0, 1, -y0], [0, 0, 1]], np.float64)
        out.append((f"crop {int(keep * 100)}% area", img[y0:y0 + ch, x0:x0 + cw], t))
    out.append(("flip horizontal", img[:, ::-1], np.array([[-1, 0, w], [0, 1, 0], [0, 0, 1.0]])))
    out.append(("flip vertical", img[::-1], np.array([[1, 0, 0], [0, -1, h], [0, 0, 1.0]])))
    out.append(("rotate 90", np.rot90(img), np.array([[0, 1, 0], [-1, 0, w], [0, 0, 1.0]])))
    for deg in (5, 10, 15):
        rot = im.rotate(deg, resample=Image.Resampling.BILINEAR, expand=True)
        a = np.deg2rad(deg)
        r = np.array([[np.cos(a), np.sin(a)], [-np.sin(a), np.cos(a)]])
        t = np.eye(3)
        t[:2, :2] = r
        t[:2, 2] = np.array([rot.size[0] / 2, rot.size[1] / 2]) - r @ np.array([w / 2, h / 2])
        out.append((f"rotate {deg}", np.asarray(rot), t))
    cap = im.copy()
    draw = ImageDraw.Draw(cap)
    draw.rectangle((0, int(h * 0.8), w, h), fill=(0, 0, 0))
    draw.text((10, int(h * 0.82)), "WHEN YOU SEE IT", fill=(255, 255, 255),
              font=ImageFont.load_default(size=max(12, h // 10)))
    out.append(("caption", np.asarray(cap), eye))
    canvas = Image.new("RGB", (int(w * 1.5), int(h * 1.4)), (240, 240, 240))
    draw = ImageDraw.Draw(canvas)
    draw.rectangle((0, 0, canvas.size[0], int(h * 0.1)), fill=(40, 60, 90))
    draw.text((10, 5), "Screenshot - Image Viewer", fill=(255, 255, 255),
              font=ImageFont.load_default(size=16))
    sw, sh = int(w * 0.9), int(h * 0.9)
    px, py = int(w * 0.2), int(h * 0.2)
    canvas.paste(im.resize((sw, sh), Image.Resampling.BILINEAR), (px, py))
    out.append(("screenshot", np.asarray(canvas),
                np.array([[sw / w, 0, px], [0, sh / h, py], [0, 0, 1.0]])))
    return [(f, np.ascontiguousarray(a).astype(np.uint8), t) for f, a, t in out]


def _captioned(img: npt.NDArray[np.uint8]) -> npt.NDArray[np.uint8]:
    """``img`` under a fixed 100 px caption banner (40 px text), as memes share one."""
    from PIL import Image, ImageDraw, ImageFont

    im = Image.fromarray(img)
    draw = ImageDraw.Draw(im)
    draw.rectangle((0, im.size[1] - 100, im.size[0], im.size[1]), fill=(0, 0, 0))
    draw.text((10, im.size[1] - 80), "WHEN YOU SEE IT", fill=(255, 255, 255),
              font=ImageFont.load_default(size=40))
    return np.asarray(im).astype(np.uint8)


def measure_verification(*, max_side: int = 512, n_features: int = 500,
                         reprojection_px: float = REPROJECTION_PX,
                         photos: tuple[str, ...] = _PHOTOS, seed: int = 0,
                         verbose: bool = True) -> dict[str, Any]:
    """Measure :func:`verify` on scikit-image's bundled photographs (needs the dev group).

    Copies: each photograph under each transform of the issue (:func:`_variants`) is verified
    against its own features. Not copies: each photograph's variants against every other
    photograph's features, and different photographs under the same caption banner. Prints a
    table (accept rate, median inliers, largest polygon vertex error in output pixels, flips
    found, per family), the ranges of inlier ratio, spread, anisotropy and scale over accepted
    copies, the false accepts, the most inliers any non-copy reached (even where a check
    rejected it), per-pair and per-extraction times and bytes per work; returns the same
    figures as a dict. About a minute on 2 cores.
    """
    params = _Params(reprojection_px=reprojection_px)
    rng = np.random.default_rng(seed)
    images = {name: _photo(name) for name in photos}
    t0 = time.perf_counter()
    works = {name: extract_features(img, max_side=max_side, n_features=n_features)
             for name, img in images.items()}
    extract_ms = (time.perf_counter() - t0) * 1000 / len(works)
    variants = {name: [(fam, extract_features(a, max_side=max_side, n_features=n_features), t)
                       for fam, a, t in _variants(img, rng)] for name, img in images.items()}
    families: dict[str, list[tuple[int, float, bool]]] = {}
    accepted: list[tuple[Verification, _Attempt, str]] = []
    misses: list[str] = []
    t0 = time.perf_counter()
    n_pos = 0
    for name, vs in variants.items():
        for fam, feats, truth in vs:
            v, tried = _verify(feats, works[name], params)
            n_pos += 1
            if v is None:
                families.setdefault(fam, []).append((0, float("nan"), False))
                misses.append(f"{name} {fam}")
                continue
            wp = np.array(v.work_polygon)
            err = float(np.max(np.linalg.norm(_apply(v.homography, wp) - _apply(truth, wp),
                                              axis=1)))
            families.setdefault(fam, []).append((v.inliers, err, v.flipped))
            best = max((a for a in tried if not _problem(a, params)), key=lambda a: a.inliers)
            accepted.append((v, best, f"{name} {fam}"))
    pos_ms = (time.perf_counter() - t0) * 1000 / n_pos
    false_accepts: list[tuple[str, str, str, int]] = []
    same_scene: list[tuple[str, str, str, int]] = []
    max_neg = (0, "")
    n_neg = 0
    t0 = time.perf_counter()
    for wname, wf in works.items():
        for qname, vs in variants.items():
            if qname == wname:
                continue
            for fam, feats, _ in vs:
                v, tried = _verify(feats, wf, params)
                n_neg += 1
                hit = (wname, qname, fam, v.inliers if v else 0)
                if {wname, qname} == _SAME_SCENE:
                    if v:
                        same_scene.append(hit)
                    continue
                if v:
                    false_accepts.append(hit)
                top = max(tried, key=lambda a: a.inliers)
                if top.inliers > max_neg[0]:
                    max_neg = (top.inliers, f"{wname} <- {qname} {fam}: "
                                            f"{_problem(top, params) or 'accepted'}")
    neg_ms = (time.perf_counter() - t0) * 1000 / n_neg
    captioned = {name: extract_features(_captioned(img), max_side=max_side,
                                        n_features=n_features) for name, img in images.items()}
    caption_accepts: list[tuple[str, str, int, float]] = []
    caption_spreads: list[float] = []
    no_spread = _Params(reprojection_px=reprojection_px, min_spread=0.0)
    for wname, wf in captioned.items():
        for qname, qf in captioned.items():
            if qname == wname or {wname, qname} == _SAME_SCENE:
                continue
            v, _ = _verify(qf, wf, no_spread)
            if v is not None:
                caption_spreads.append(v.spread)
                if v.spread >= params.min_spread:
                    caption_accepts.append((wname, qname, v.inliers, v.spread))
    pairs = len(photos) * (len(photos) - 1) - (2 if set(photos) >= _SAME_SCENE else 0)
    bad_pairs = len({(w, q) for w, q, _, _ in false_accepts})
    nbytes = [len(f.to_bytes()) for f in works.values()]
    rows = []
    for fam, rs in families.items():
        acc = [r for r in rs if r[0] > 0]
        errs = [r[1] for r in acc]
        rows.append((fam, len(acc) / len(rs), float(np.median([r[0] for r in rs])),
                     max(errs) if errs else float("nan"), sum(r[2] for r in acc)))

    def lo_hi(values: list[tuple[float, str]]) -> tuple[tuple[float, str], tuple[float, str]]:
        return min(values), max(values)

    ranges = {
        "inliers": lo_hi([(float(v.inliers), w) for v, _, w in accepted]),
        "inlier_ratio": lo_hi([(v.inlier_ratio, w) for v, _, w in accepted]),
        "spread": lo_hi([(v.spread, w) for v, _, w in accepted]),
        "anisotropy": lo_hi([(a.anisotropy, w) for _, a, w in accepted]),
        "scale": lo_hi([(a.scale, w) for _, a, w in accepted])}
    result: dict[str, Any] = {
        "families": {r[0]: {"accept": r[1], "median_inliers": r[2], "max_polygon_error_px": r[3],
                            "flipped": r[4]} for r in rows},
        "copy_ranges": ranges, "missed_copies": misses,
        "false_accepts": false_accepts, "ordered_pairs": pairs, "false_accept_pairs": bad_pairs,
        "verifications_not_copies": n_neg, "max_inliers_not_copy": max_neg,
        "shared_caption_accepts": caption_accepts,
        "shared_caption_max_spread": max(caption_spreads, default=0.0),
        "same_scene_accepts": same_scene, "extract_ms": extract_ms, "pair_ms_copies": pos_ms,
        "pair_ms_not_copies": neg_ms,
        "bytes_per_work": (min(nbytes), float(np.median(nbytes)), max(nbytes))}
    if verbose:
        print(f"{'family':<18} {'accepted':>8} {'med inl':>8} {'poly err px':>11} {'flipped':>7}")
        for fam, acc_rate, med, err, nflip in rows:
            print(f"{fam:<18} {acc_rate:>8.2f} {med:>8.0f} {err:>11.1f} {nflip:>7d}")
        print(f"copies missed: {', '.join(misses) or 'none'}")
        for key, (lo, hi) in ranges.items():
            print(f"copies' {key}: {lo[0]:.3f} ({lo[1]}) .. {hi[0]:.3f} ({hi[1]})")
        print(f"not copies: {len(false_accepts)} false accepts of {n_neg} verifications, "
              f"{bad_pairs} of {pairs} ordered pairs; most inliers {max_neg[0]} ({max_neg[1]})")
        print(f"shared caption on different photographs: {len(caption_accepts)} accepted of "
              f"{pairs}; {len(caption_spreads)} pass all checks but the spread, largest spread "
              f"{max(caption_spreads, default=0.0):.3f}")
        n_same = sum(len(vs) for n, vs in variants.items() if n in _SAME_SCENE)
        print(f"same scene (stereo pair motorcycle left/right): {len(same_scene)} of {n_same} "
              "accepted")
        print(f"extract {extract_ms:.0f} ms/image; verify {pos_ms:.1f} ms/pair (copies), "
              f"{neg_ms:.1f} ms/pair (not copies); bytes/work min {min(nbytes)} median "
              f"{np.median(nbytes):.0f} max {max(nbytes)}")
    return result
