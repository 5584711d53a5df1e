"""Local features of an image (SIFT keypoints and descriptors) for verifying image copies.

The index stores the features of each image work at registration time
(:meth:`LocalFeatures.to_bytes`); :func:`rightsguard.screen.image_verify.verify` matches the
features of a screened image against them and fits a homography.

Choice of detector — measured on scikit-image's bundled photographs under the transforms of
issue #4 (a scratch comparison with the transforms of ``measure_verification()`` in
:mod:`rightsguard.screen.image_verify`: 18 photographs, 15 transforms, 500 features, 512 px,
accepted at ≥ 15 RANSAC inliers with the homography checks; false accepts over 608 pairs of
different photographs, as JPEG and 50% crops):

============  =====================  ===========  ==============  ===========================
descriptor    accepted per family    false acc.   extract / img   bytes / work (500 features)
============  =====================  ===========  ==============  ===========================
ORB           0.83–0.94              0 / 608      ~4 ms           ~20 KB (+ mirrored extract)
RootSIFT      0.89–1.00              0 / 608      ~60 ms          ~68 KB
============  =====================  ===========  ==============  ===========================

Plain SIFT (L2 on the raw descriptors) accepted the same copies as RootSIFT in a run without the
homography checks, where pairs of different photographs reached up to 80 inliers against 61
with RootSIFT; RootSIFT is used.
Every RootSIFT miss is ``cell`` or ``clock``, which have almost no keypoints for any detector;
ORB also lost rocket under screenshot framing and retina under a caption, and needs a second
extraction of the mirrored image to find flips. SIFT (Lowe 2004) is kept; its
descriptors are stored as uint8 (OpenCV saturates SIFT descriptors to ``0..255`` integers, so the
cast is lossless) and turned into RootSIFT (Arandjelović & Zisserman 2012: L1-normalise, square
root) only when matching. Because SIFT's descriptor is a 4×4 grid of 8-bin orientation
histograms in the keypoint's own frame, a mirrored image's descriptor is a fixed permutation of
the original's (:data:`MIRROR_PERMUTATION`, checked against OpenCV: mean L2 distance 55 vs 460
unpermuted, for descriptors of norm 512), so flips need no second extraction.

Coordinates: ``points`` are ``(x, y)`` in pixels of the ORIGINAL array, origin at the top-left
corner of the top-left pixel (model.py's image convention: a pixel's centre is at ``i + 0.5``),
although detection runs on a copy downscaled to ``max_side`` for speed.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from rightsguard.errors import IndexCorruptError, InputError

FORMAT_VERSION = 1
"""Version of :meth:`LocalFeatures.to_bytes`'s layout; bump on any change."""

DEFAULT_MAX_SIDE = 512
"""Longest side (pixels) of the copy features are detected on. Measured (``measure_verification``):
at 512 px every copy of the 16 textured photographs verifies under every transform of the issue
(crops to 50% of the area, 50% resize included) at 50–100 ms per image on shared cores; the
copy-detection literature verifies at similar sizes (Douze et al. 2021, ISC 2021: 300–640 px)."""

DEFAULT_N_FEATURES = 500
"""Keypoints kept per image (strongest DoG responses). Measured (``measure_verification``): 500
gives accepted copies 33–500 inliers (median ~450 for full copies) and 0 false accepts, at
68,024 bytes per work; 300 (40,824 bytes) lost one more copy and narrowed the spread margin."""

KIND_SIFT = "sift"
DESCRIPTOR_BYTES = 128

_CONTRAST = 0.04  # OpenCV's default SIFT contrast threshold (Lowe 2004's 0.03, scaled)
_LOW_CONTRAST = 0.01  # retry for flat images (moon, retina, clock): measured, see module doc
MIN_SIDE = 8
"""Shortest image side (pixels) features are extracted from: SIFT finds nothing useful below."""

_MAGIC = b"RGLF"
_HEADER = struct.Struct("<4sBBHIIIf")  # magic, version, kind, descriptor bytes, n, w, h, scale
_KIND_CODES = {KIND_SIFT: 1}
_KIND_NAMES = {v: k for k, v in _KIND_CODES.items()}

# SIFT descriptor index = (row * 4 + col) * 8 + orientation bin, in the keypoint's frame. Mirroring
# the image mirrors that frame about its x axis (keypoint angle a -> 180 - a): rows reverse and
# orientation bin o becomes (8 - o) % 8.
MIRROR_PERMUTATION: npt.NDArray[np.intp] = (
    np.arange(DESCRIPTOR_BYTES).reshape(4, 4, 8)[::-1][:, :, (8 - np.arange(8)) % 8].reshape(-1)
)
"""Column permutation ``p`` with ``descriptors[:, p]`` ≈ descriptors of the mirrored image."""


@dataclass(frozen=True, slots=True, eq=False)  # eq=False: ndarray fields have no truth value
class LocalFeatures:
    """Keypoints and descriptors of one image.

    ``points``: float32 ``(n, 2)``, ``(x, y)`` in pixels of the original image (see module doc).
    ``descriptors``: uint8 ``(n, 128)`` SIFT descriptors (row ``i`` describes ``points[i]``).
    ``width``, ``height``: size of the original image in pixels. ``scale``: detection-image pixels
    per original pixel (``≤ 1``; RANSAC thresholds are in detection pixels, so they do not grow
    with the file's resolution). ``kind``: ``"sift"``.
    """

    points: npt.NDArray[np.float32]
    descriptors: npt.NDArray[np.uint8]
    width: int
    height: int
    scale: float
    kind: str = KIND_SIFT

    def __len__(self) -> int:
        return int(self.points.shape[0])

    @classmethod
    def empty(cls, width: int, height: int) -> LocalFeatures:
        """No keypoints, for a ``width × height`` image (a picture without texture, or one too
        small to extract from: under :data:`MIN_SIDE`)."""
        return cls(np.zeros((0, 2), np.float32), np.zeros((0, DESCRIPTOR_BYTES), np.uint8),
                   int(width), int(height), 1.0)

    def mirrored_descriptors(self) -> npt.NDArray[np.uint8]:
        """Descriptors as the horizontally mirrored image would have them, uint8 ``(n, 128)``.

        Together with the unchanged ``points`` they match a work that appears flipped (a
        vertical flip is a horizontal flip plus a 180° rotation, which SIFT is invariant to).
        """
        return np.ascontiguousarray(self.descriptors[:, MIRROR_PERMUTATION])

    def to_bytes(self) -> bytes:
        """Serialise: a 24-byte little-endian header (magic ``RGLF``, format version, kind,
        descriptor length, n, width, height, scale as float32), then ``points`` (float32,
        ``8 n`` bytes) and ``descriptors`` (uint8, ``128 n`` bytes): 136 bytes per keypoint,
        about 68 KB for 500 keypoints."""
        n, d = self.descriptors.shape
        head = _HEADER.pack(_MAGIC, FORMAT_VERSION, _KIND_CODES[self.kind], d, n, self.width,
                            self.height, self.scale)
        pts = np.ascontiguousarray(self.points, dtype="<f4")
        return head + pts.tobytes() + np.ascontiguousarray(self.descriptors).tobytes()

    @classmethod
    def from_bytes(cls, data: bytes, *, name: str) -> LocalFeatures:
        """Read :meth:`to_bytes` output. ``name`` (e.g. the work id) is used in errors.

        Raises IndexCorruptError naming ``name`` if the blob is truncated, too long, of another
        format version or kind, or holds non-finite / out-of-image points.
        """
        def bad(problem: str) -> IndexCorruptError:
            return IndexCorruptError(f"local features of {name}: {problem}")

        if len(data) < _HEADER.size:
            raise bad(f"{len(data)} bytes, shorter than the {_HEADER.size}-byte header")
        magic, version, kind, d, n, width, height, scale = _HEADER.unpack_from(data)
        if magic != _MAGIC:
            raise bad(f"magic {magic!r}, expected {_MAGIC!r}")
        if version != FORMAT_VERSION:
            raise bad(f"format version {version}, this rightsguard reads {FORMAT_VERSION}")
        if kind not in _KIND_NAMES or d != DESCRIPTOR_BYTES:
            raise bad(f"kind code {kind} with {d}-byte descriptors; allowed: sift (1) with 128")
        expected = _HEADER.size + n * (8 + d)
        if len(data) != expected:
            raise bad(f"{len(data)} bytes, expected {expected} for {n} keypoints")
        if width < 1 or height < 1 or not (0.0 < scale <= 1.0):
            raise bad(f"size {width}x{height} px, scale {scale}")
        pts = np.frombuffer(data, "<f4", n * 2, _HEADER.size).astype(np.float32).reshape(n, 2)
        if not np.all(np.isfinite(pts)) or np.any(pts < 0) or np.any(pts > (width, height)):
            raise bad(f"keypoints outside the {width}x{height} px image")
        des = np.frombuffer(data, np.uint8, n * d, _HEADER.size + n * 8).reshape(n, d).copy()
        return cls(pts, des, int(width), int(height), float(scale), _KIND_NAMES[kind])


def rootsift(descriptors: npt.NDArray[np.uint8]) -> npt.NDArray[np.float32]:
    """RootSIFT of SIFT descriptors (Arandjelović & Zisserman 2012, "Three things everyone
    should know to improve object retrieval"): L1-normalise each row, then take the square root,
    so that Euclidean distance between rows compares like the Hellinger kernel on the originals.
    ``descriptors`` uint8 ``(n, 128)`` → float32 ``(n, 128)`` rows of unit L2 norm (all-zero
    rows stay zero)."""
    x = descriptors.astype(np.float32)
    x /= x.sum(axis=1, keepdims=True) + 1e-7
    return np.sqrt(x)


def _as_grey(image: npt.NDArray[np.uint8], name: str) -> npt.NDArray[np.uint8]:
    import cv2

    if not isinstance(image, np.ndarray):
        raise InputError(f"{name}: expected a numpy array, got {type(image).__name__}")
    if image.dtype != np.uint8:
        raise InputError(f"{name}: dtype {image.dtype}, expected uint8")
    if image.ndim == 3 and image.shape[2] == 3:
        grey: npt.NDArray[np.uint8] = np.asarray(
            cv2.cvtColor(np.ascontiguousarray(image), cv2.COLOR_RGB2GRAY), dtype=np.uint8)
    elif image.ndim == 2:
        grey = np.ascontiguousarray(image)
    else:
        raise InputError(f"{name}: shape {image.shape}, expected H×W×3 RGB or H×W grey")
    h, w = grey.shape
    if min(h, w) < MIN_SIDE:
        raise InputError(f"{name}: {w}x{h} px, both sides must be at least {MIN_SIDE} px")
    return grey


def extract_features(image: npt.NDArray[np.uint8], *, max_side: int = DEFAULT_MAX_SIDE,
                     n_features: int = DEFAULT_N_FEATURES,
                     name: str = "image") -> LocalFeatures:
    """SIFT keypoints and descriptors of ``image`` (uint8 ``H×W×3`` RGB or ``H×W`` grey).

    The image is converted to grey, downscaled with area averaging so that its longest side is at
    most ``max_side`` pixels, and at most the ``n_features`` strongest SIFT keypoints are kept
    (ties at the cut-off dropped in detection order; OpenCV's
    contrast threshold 0.04; if that finds fewer than ``n_features / 4``, once more at 0.01 —
    measured: flat photographs such as moon, retina and clock otherwise keep 2–130 keypoints).
    Returned points are in pixels of the original ``image``. Deterministic.

    Raises InputError (naming ``name``) for a non-uint8 array, another shape, a side under 8 px,
    or ``max_side`` / ``n_features`` below 16 / 1.
    """
    import cv2

    if max_side < 16:
        raise InputError(f"{name}: max_side {max_side} px, must be at least 16")
    if n_features < 1:
        raise InputError(f"{name}: n_features {n_features}, must be at least 1")
    grey = _as_grey(image, name)
    h, w = grey.shape
    scale = min(1.0, max_side / max(h, w))
    axis_scale = np.ones(2)
    if scale < 1.0:
        size = (max(1, round(w * scale)), max(1, round(h * scale)))
        grey = np.asarray(cv2.resize(grey, size, interpolation=cv2.INTER_AREA), np.uint8)
        axis_scale = np.array([size[0] / w, size[1] / h])  # differ by rounding only
        scale = float(axis_scale.mean())
    sift_create: Any = cv2.SIFT_create  # type: ignore[attr-defined]  # not in cv2 5.0's stubs
    keypoints, descriptors = sift_create(nfeatures=n_features,
                                         contrastThreshold=_CONTRAST).detectAndCompute(grey, None)
    if len(keypoints) < n_features / 4:
        keypoints, descriptors = sift_create(
            nfeatures=n_features, contrastThreshold=_LOW_CONTRAST).detectAndCompute(grey, None)
    if len(keypoints) > n_features:  # OpenCV keeps ties at the cut-off response
        keep = np.argsort([-k.response for k in keypoints], kind="stable")[:n_features]
        keypoints = [keypoints[i] for i in keep]
        descriptors = np.asarray(descriptors)[keep]
    n = len(keypoints)
    pts = np.array([k.pt for k in keypoints], dtype=np.float64).reshape(n, 2)
    # detection pixel centres sit at j + 0.5 in corner coordinates; map back to the original
    points = np.clip((pts + 0.5) / axis_scale, 0.0, (w, h)).astype(np.float32)
    if descriptors is None:
        des = np.zeros((0, DESCRIPTOR_BYTES), np.uint8)
    else:
        des = np.asarray(descriptors).astype(np.uint8)  # already integers in 0..255
    return LocalFeatures(points, des, int(w), int(h), float(scale), KIND_SIFT)
