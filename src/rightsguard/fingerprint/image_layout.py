"""A layout descriptor of an image: its brightness at 16×16, for pictures without texture.

Why: soft and low-texture pictures — gradients, blurred photographs, abstract wallpapers — have
too few keypoints for SIFT votes, and their PDQ hashes are unstable under overlays (PDQ
thresholds each DCT coefficient at the median; when nearly all coefficients are near zero a
caption flips many bits). In ``python -m bench images`` (2026-11-30) such originals made most of
the misses under captions, emoji and small rotations, with no candidate from PDQ or SIFT votes.
What such a picture does have is a large-scale layout of light and dark, which a caption band or
an emoji changes only locally. So each work also gets this descriptor, and the works nearest by
it are handed to dense verification (:func:`rightsguard.screen.image_dense.dense_verify`), which
decides; this descriptor only proposes.

Descriptor (:meth:`LayoutDescriptor.embed`): BT.601 luma of the RGB image, area-averaged to
16×16 (the whole image, squeezed like PDQ's 64×64, so the aspect ratio does not matter), minus
its mean, divided by its L2 norm: a unit vector of 256 float32. The cosine of two descriptors is
the correlation coefficient of the two thumbnails, so brightness and contrast changes do not
move it and a greyscale copy has the same descriptor. A thumbnail with a standard deviation under
:data:`MIN_STD` grey levels (a flat image) has no descriptor (InputError).

It has the interface of :class:`rightsguard.fingerprint.image_embed.OnnxDescriptor` that
:class:`rightsguard.index.image_embeddings.EmbeddingStore` uses (``kind``, ``model_id``,
``dim``, ``settings()``, ``embed()``), so works' layouts are derived and cached the same way,
under ``images/embed/layout-luma16-v1/``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

from rightsguard.errors import InputError

SIDE = 16
"""Thumbnail side (px): a 16×16 grid keeps the layout of light and dark and drops the texture
that captions and re-encoding disturb."""
MIN_STD = 1.0
"""Least standard deviation (grey levels, 0–255) of the thumbnail; below it the image is flat
and the descriptor would be noise."""

F32 = npt.NDArray[np.float32]


class LayoutDescriptor:
    """The built-in layout descriptor (module docstring). Stateless; :data:`LAYOUT` is one."""

    kind = "layout"
    model_id = "luma16-v1"
    dim = SIDE * SIDE

    def settings(self) -> dict[str, Any]:
        """What a cache of these descriptors records (a cache with other settings is rebuilt)."""
        return {"model_id": self.model_id, "kind": self.kind, "dim": self.dim,
                "preprocess": f"bt601 luma, area {SIDE}x{SIDE}, zero mean, unit norm"}

    def embed(self, rgb: npt.NDArray[np.uint8], *, name: str = "image") -> F32:
        """Descriptor of one RGB uint8 ``(H, W, 3)`` image as float32 ``(1, 256)``.

        Raises InputError naming ``name`` for another shape or dtype, or a flat image."""
        import cv2

        a = np.asarray(rgb)
        if a.dtype != np.uint8 or a.ndim != 3 or a.shape[2] != 3 or min(a.shape[:2]) < 1:
            raise InputError(f"{name}: expected an RGB uint8 (H, W, 3) image, got {a.dtype} "
                             f"{a.shape}")
        luma = np.asarray(cv2.cvtColor(np.ascontiguousarray(a), cv2.COLOR_RGB2GRAY), np.float32)
        small = np.asarray(cv2.resize(luma, (SIDE, SIDE), interpolation=cv2.INTER_AREA),
                           np.float64).reshape(-1)
        small -= small.mean()
        std = float(np.sqrt((small * small).mean()))
        if std < MIN_STD:
            raise InputError(f"{name}: flat at {SIDE}x{SIDE} (standard deviation {std:.2f} "
                             f"grey levels < {MIN_STD}): no layout descriptor")
        return (small / np.linalg.norm(small)).astype(np.float32).reshape(1, -1)


LAYOUT = LayoutDescriptor()
