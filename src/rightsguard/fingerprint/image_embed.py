"""Learned image descriptors from an ONNX model file the user supplies (issue #4 parts 4 and 8).

Two kinds of descriptor, one code path:

``"copy"``  a copy-detection descriptor such as SSCD (Pizzi et al. 2022, "A Self-Supervised
            Descriptor for Image Copy Detection", CVPR) exported to ONNX. A high cosine means the
            generated image reproduces a registered picture (whole, cropped, recoloured, ...).
``"style"`` a style descriptor such as CSD (Somepalli et al. 2024, "Measuring Style Similarity in
            Diffusion Models") exported to ONNX. **Experimental and off by default.** A high
            cosine means a similar manner (colour, texture, brushwork), not a copied picture.
            Style alone is an idea, not protected expression: Japan's Agency for Cultural
            Affairs, "General Understanding on AI and Copyright in Japan" (2024), treats a mere
            similarity of style (作風) as outside copyright, which protects the creative
            expression of a specific work. So a style score **never blocks** an output; it may
            only inform a human review, and reports must say so.

Nothing here downloads anything: the user points :meth:`OnnxDescriptor.load` at a ``.onnx`` file.
Everything else in rightsguard works without it; ``onnxruntime`` is the optional ``[onnx]``
extra and is imported only inside :meth:`OnnxDescriptor.load`.

Model contract (checked by :meth:`OnnxDescriptor.load`, every problem reported at once): exactly
one input, float32, shape ``(N|?, 3, H|?, W|?)`` with RGB channels in that order; exactly one
output, 2-D ``(N|?, D)``, float (float16/32/64, cast to float32). A batch axis fixed to 1 is run
one image at a time. When ``H`` and ``W`` are fixed they must be equal and give the input size;
otherwise ``input_size`` is required.

Preprocessing (:meth:`OnnxDescriptor.embed`), chosen per kind to match each model's published
recipe (the cosine thresholds below are only meaningful under that recipe):

``"stretch"`` (default for ``copy``)
    resize the whole image to ``input_size × input_size`` ignoring its aspect ratio. This is
    SSCD's square recipe (its README: "Copy detection using square tensors benefits from directly
    resizing to the target tensor size. This skews the image"; ``skew_320``). Nothing is cut away,
    so a copy that only differs near the borders (a caption band, a frame, a cropped edge) keeps
    all of its pixels, and fixed-size ONNX exports batch.
``"shorter_side"``
    resize so the shorter side is ``input_size`` pixels, keeping the aspect ratio and cropping
    nothing: SSCD's other recipe (``small_288``, ``transforms.Resize(288)``). Needs a model whose
    ``H`` and ``W`` are dynamic; images are run one at a time (their shapes differ).
``"shorter_side_crop"`` (default for ``style``)
    resize the shorter side to ``input_size``, then take the centred ``input_size ×
    input_size`` square: CSD's evaluation transform (``transforms_branch0`` in
    learn2phoenix/CSD: ``Resize(224, BICUBIC)``, ``CenterCrop(224)``), the usual CLIP recipe.
    Style is spread over the whole picture, so the centre is a fair sample of it.

Resizing uses Pillow (what torchvision's ``Resize`` does on a PIL image): bilinear for ``copy``
(torchvision's default, which SSCD's recipe uses), bicubic for ``style`` (CSD); the shorter side
becomes exactly ``input_size`` and the longer ``int(input_size * long / short)``; the crop offset
is ``round((size - input_size) / 2)``, as in torchvision. Then ``x = (rgb / 255 - mean) / std``
per channel, laid out ``(3, H, W)`` float32. Default mean/std: ImageNet's ``(0.485, 0.456,
0.406)`` / ``(0.229, 0.224, 0.225)`` for ``copy`` (SSCD README), OpenAI CLIP's ``(0.48145466,
0.4578275, 0.40821073)`` / ``(0.26862954, 0.26130258, 0.27577711)`` for ``style`` (CSD's
``transforms_branch0``). The model's output rows are L2-normalised here whether or not the model
already does it (SSCD's TorchScript models do).

Identity: :attr:`OnnxDescriptor.model_id` is the first 16 hex digits of the SHA-256 of the
``.onnx`` file's bytes; stored descriptors (:func:`pack_descriptors`) carry it, and
:meth:`OnnxDescriptor.from_bytes` refuses descriptors made by another model
(:class:`~rightsguard.errors.IndexMismatchError`). :meth:`OnnxDescriptor.settings` lists
everything an index manifest should record (model id, kind, preprocessing, dimension).
"""

from __future__ import annotations

import hashlib
import math
import os
import struct
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

from rightsguard.errors import ConfigError, IndexCorruptError, IndexMismatchError, InputError

__all__ = [
    "CLIP_MEAN",
    "CLIP_STD",
    "FORMAT_VERSION",
    "HIGH_PRECISION_COSINE",
    "IMAGENET_MEAN",
    "IMAGENET_STD",
    "REPLICATION_COSINE",
    "STYLE_REVIEW_COSINE",
    "OnnxDescriptor",
    "StoredDescriptors",
    "cosine",
    "cosine_matrix",
    "pack_descriptors",
    "unpack_descriptors",
]

Kind = Literal["copy", "style"]
Resize = Literal["stretch", "shorter_side", "shorter_side_crop"]
Resample = Literal["bilinear", "bicubic"]
F32 = npt.NDArray[np.float32]
U8 = npt.NDArray[np.uint8]

REPLICATION_COSINE = 0.5
"""Copy kind: cosine above which a generated image is reported as replicating a work.

Source: Somepalli et al. 2023, "Diffusion Art or Digital Forgery? Investigating Data Replication
in Diffusion Models" (CVPR), who compared Stable Diffusion 1.4 generations with LAION images by
SSCD descriptor cosine and treated pairs above 0.5 as replication (about 2% of generations). It
holds for SSCD (ResNet-50, DISC-trained) under SSCD's preprocessing; another copy model must be
calibrated on its own pairs."""

HIGH_PRECISION_COSINE = 0.75
"""Copy kind: cosine above which a pair is a copy with about 90% precision.

Source: Pizzi et al. 2022, SSCD (CVPR); the SSCD README (facebookresearch/sscd-copy-detection):
for the ``sscd_disc_mixup`` model, DISC image pairs with cosine > 0.75 are copies with 90%
precision (euclidean distance < 0.7). Like :data:`REPLICATION_COSINE` it is specific to that
model and its preprocessing."""

STYLE_REVIEW_COSINE = 0.5
"""Style kind: PLACEHOLDER cosine above which a style match is *shown for review* (never blocks).

The CSD paper (Somepalli et al. 2024, "Measuring Style Similarity in Diffusion Models") ranks
training images by style cosine and reports retrieval quality (mAP/recall@k on DomainNet and
WikiArt) and per-artist similarity scores; it publishes no decision threshold. 0.5 is therefore
not from the literature: the user must calibrate it on pairs of their own (same artist vs other
artists) before relying on it. The style stage is experimental and off by default."""

IMAGENET_MEAN = (0.485, 0.456, 0.406)
"""Per-channel RGB mean on the 0..1 scale (ImageNet; SSCD README's ``Normalize``)."""
IMAGENET_STD = (0.229, 0.224, 0.225)
"""Per-channel RGB standard deviation on the 0..1 scale (ImageNet; SSCD README's ``Normalize``)."""
CLIP_MEAN = (0.48145466, 0.4578275, 0.40821073)
"""Per-channel RGB mean on the 0..1 scale (OpenAI CLIP; CSD's ``transforms_branch0``)."""
CLIP_STD = (0.26862954, 0.26130258, 0.27577711)
"""Per-channel RGB standard deviation on the 0..1 scale (OpenAI CLIP; CSD's
``transforms_branch0``)."""

FORMAT_VERSION = 1
"""Version of :func:`pack_descriptors`' layout; bump on any change."""

_DEFAULTS: dict[str, tuple[Resize, Resample, tuple[float, ...], tuple[float, ...]]] = {
    "copy": ("stretch", "bilinear", IMAGENET_MEAN, IMAGENET_STD),
    "style": ("shorter_side_crop", "bicubic", CLIP_MEAN, CLIP_STD),
}
_RESIZES = ("stretch", "shorter_side", "shorter_side_crop")
_RESAMPLES = ("bilinear", "bicubic")
_FLOAT_OUTPUTS = ("tensor(float)", "tensor(float16)", "tensor(double)")
_MAGIC = b"RGED"
_HEADER = struct.Struct("<4sBBBxII8s")  # magic, version, kind, dtype, pad, dim, n, model id
_KIND_CODES = {"copy": 1, "style": 2}
_KIND_NAMES = {v: k for k, v in _KIND_CODES.items()}
_DTYPE_FLOAT16 = 1
_NORM_TOLERANCE = 0.01  # float16 rows of a unit vector have norms within ~1e-3 of 1
_MAX_INPUT_SIZE = 4096  # pixels; far above any descriptor model's input (SSCD 288-320, CSD 224)
_MAX_RESIZED_SIDE = 16384  # pixels; the aspect-keeping resizes refuse images stretched beyond it


def _file_id(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()[:16]


def _dim(value: Any) -> int | None:
    """A fixed ONNX dimension as an int, ``None`` for a symbolic or unknown one."""
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else None


def _triple(name: str, values: Sequence[float], positive: bool,
            problems: list[str]) -> tuple[float, ...]:
    """Three finite floats (positive if asked), or a problem noted and a harmless stand-in."""
    allowed = "three positive finite numbers" if positive else "three finite numbers"
    try:
        out = tuple(float(v) for v in values)
    except (TypeError, ValueError):
        out = ()
    if len(out) != 3 or not all(math.isfinite(v) and (v > 0 or not positive) for v in out):
        problems.append(f"{name} {values!r}, allowed: {allowed} (R, G, B on the 0..1 scale)")
        return (1.0, 1.0, 1.0)
    return out


class OnnxDescriptor:
    """A learned image descriptor: an ONNX model file plus its preprocessing.

    Build with :meth:`load`. Picklable: pickling keeps the path and settings, and unpickling
    loads the file again and checks that its :attr:`model_id` has not changed (so a step can be
    shipped to worker processes; each loads the model once and keeps it warm).

    Attributes: ``path`` (the ``.onnx`` file), ``kind`` (``"copy"`` or ``"style"``),
    ``model_id`` (16 hex digits of the file's SHA-256), ``dim`` (descriptor length ``D``),
    ``input_size`` (pixels, square side fed to the model), ``resize``, ``resample``, ``mean``,
    ``std`` (see the module doc), ``batch_size`` (images per model run).
    """

    __slots__ = ("_batch_axis", "_input_name", "_output_name", "_session", "batch_size", "dim",
                 "input_size", "kind", "mean", "model_id", "path", "resample", "resize", "std")

    def __init__(self, *, path: Path, kind: Kind, model_id: str, dim: int, input_size: int,
                 resize: Resize, resample: Resample, mean: tuple[float, ...],
                 std: tuple[float, ...], batch_size: int, session: Any, input_name: str,
                 output_name: str, batch_axis: int | None) -> None:
        """Use :meth:`load`; this only stores already validated values."""
        self.path = path
        self.kind: Kind = kind
        self.model_id = model_id
        self.dim = dim
        self.input_size = input_size
        self.resize: Resize = resize
        self.resample: Resample = resample
        self.mean = mean
        self.std = std
        self.batch_size = batch_size
        self._session = session
        self._input_name = input_name
        self._output_name = output_name
        self._batch_axis = batch_axis  # fixed batch size of the model (1) or None if dynamic

    @classmethod
    def load(cls, path: str | os.PathLike[str], *, kind: Kind, input_size: int | None = None,
             mean: Sequence[float] | None = None, std: Sequence[float] | None = None,
             resize: Resize | None = None, resample: Resample | None = None,
             batch_size: int = 8) -> OnnxDescriptor:
        """Load and check a user-supplied ``.onnx`` descriptor model (never downloads anything).

        ``kind``: ``"copy"`` (e.g. SSCD) or ``"style"`` (e.g. CSD; experimental, never blocks).
        ``input_size``: side in pixels of the square fed to the model; read from the model when
        its ``H`` and ``W`` are fixed (then ``input_size`` may be omitted or must agree), required
        when they are dynamic (SSCD: 288 with ``resize="shorter_side"`` or 320 with
        ``"stretch"``; CSD: 224). ``mean``/``std``: three per-channel values on the 0..1 scale
        (defaults by kind, see the module doc). ``resize``/``resample``: see the module doc
        (defaults: copy ``"stretch"``/``"bilinear"``, style
        ``"shorter_side_crop"``/``"bicubic"``). ``batch_size``: images per model run (≥ 1).

        Runs on ONNX Runtime's CPU provider with one intra-op and one inter-op thread, so that
        parallelism comes from worker processes, not from threads fighting over cores.
        If the output dimension ``D`` is symbolic it is read from one run on a blank image.

        Raises ConfigError naming the file: onnxruntime not installed (install
        ``rightsguard[onnx]``), the file missing or not a file, not a model ONNX Runtime can
        load, or not matching the model contract of the module doc; and for settings out of
        range (kind, input_size 1..4096, mean/std, resize/resample, batch_size). All problems of
        the model and the settings are listed in one message.
        """
        p = Path(path)
        problems: list[str] = []
        if kind not in _DEFAULTS:
            problems.append(f"kind {kind!r}, allowed: 'copy', 'style'")
            kind = "copy"
        d_resize, d_resample, d_mean, d_std = _DEFAULTS[kind]
        resize_ = d_resize if resize is None else resize
        resample_ = d_resample if resample is None else resample
        if resize_ not in _RESIZES:
            problems.append(f"resize {resize_!r}, allowed: {', '.join(map(repr, _RESIZES))}")
        if resample_ not in _RESAMPLES:
            problems.append(f"resample {resample_!r}, allowed: {', '.join(map(repr, _RESAMPLES))}")
        mean_ = _triple("mean", d_mean if mean is None else mean, False, problems)
        std_ = _triple("std", d_std if std is None else std, True, problems)
        if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
            problems.append(f"batch_size {batch_size!r}, allowed: an integer >= 1")
        if input_size is not None and (isinstance(input_size, bool) or not isinstance(
                input_size, int) or not 1 <= input_size <= _MAX_INPUT_SIZE):
            problems.append(f"input_size {input_size!r}, allowed: an integer 1..{_MAX_INPUT_SIZE}")
            input_size = None

        def fail(more: Sequence[str] = ()) -> ConfigError:
            return ConfigError(f"descriptor model {p}: " + "; ".join([*problems, *more]))

        try:
            import onnxruntime as ort
        except ImportError as exc:
            raise ConfigError(
                f"descriptor model {p}: onnxruntime is not installed ({exc}); "
                "install the optional extra: pip install 'rightsguard[onnx]'") from exc
        if not p.exists():
            raise fail(["file not found"])
        if not p.is_file():
            raise fail(["not a regular file"])
        model_id = _file_id(p)
        options = ort.SessionOptions()
        options.intra_op_num_threads = 1
        options.inter_op_num_threads = 1
        options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        options.log_severity_level = 3  # errors only; warnings would go to stderr uncaught
        try:
            session = ort.InferenceSession(str(p), sess_options=options,
                                           providers=["CPUExecutionProvider"])
        except Exception as exc:  # onnxruntime raises its own pybind types (InvalidProtobuf, Fail)
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise fail([f"not an ONNX model ONNX Runtime can load: {first[:300]}"]) from exc

        inputs, outputs = session.get_inputs(), session.get_outputs()
        fixed_side: int | None = None
        batch_axis: int | None = None
        spatial_dynamic = False
        if len(inputs) != 1:
            problems.append(f"{len(inputs)} inputs ({', '.join(i.name for i in inputs)}), "
                            "expected exactly one image input (N, 3, H, W)")
        else:
            shape, itype = list(inputs[0].shape), inputs[0].type
            if itype != "tensor(float)":
                problems.append(f"input {inputs[0].name!r} has type {itype}, expected float32")
            if len(shape) != 4:
                problems.append(f"input {inputs[0].name!r} has shape {shape}, expected 4-D "
                                "(N, 3, H, W)")
            else:
                n, c, h, w = (_dim(v) for v in shape)
                if c != 3:
                    problems.append(f"input {inputs[0].name!r} has {shape[1]} channels (axis 1), "
                                    "expected 3 (RGB, channels first)")
                if n is not None and n != 1:
                    problems.append(f"input {inputs[0].name!r} has a fixed batch of {n}, "
                                    "expected a dynamic batch axis or 1")
                batch_axis = n
                if h is not None and w is not None:
                    if h != w:
                        problems.append(f"input {inputs[0].name!r} is {h}x{w} px (H x W), "
                                        "expected a square input")
                    fixed_side = h
                else:
                    spatial_dynamic = h is None and w is None
                    if not spatial_dynamic:
                        problems.append(f"input {inputs[0].name!r} has shape {shape}: H and W "
                                        "must both be fixed or both dynamic")
        dim: int | None = None
        if len(outputs) != 1:
            problems.append(f"{len(outputs)} outputs ({', '.join(o.name for o in outputs)}), "
                            "expected exactly one descriptor output (N, D)")
        else:
            oshape, otype = list(outputs[0].shape), outputs[0].type
            if otype not in _FLOAT_OUTPUTS:
                problems.append(f"output {outputs[0].name!r} has type {otype}, expected float")
            if len(oshape) != 2:
                problems.append(f"output {outputs[0].name!r} has shape {oshape}, expected 2-D "
                                "(N, D)")
            else:
                dim = _dim(oshape[1])
        if fixed_side is not None:
            if input_size is not None and input_size != fixed_side:
                problems.append(f"input_size {input_size} px, but the model's input is fixed at "
                                f"{fixed_side} px")
            input_size = fixed_side
        elif spatial_dynamic and input_size is None:
            problems.append("the model's H and W are dynamic: pass input_size (pixels)")
        if resize_ == "shorter_side" and fixed_side is not None:
            problems.append(f"resize 'shorter_side' keeps the aspect ratio and needs dynamic H "
                            f"and W, but the model's input is fixed at {fixed_side} px: use "
                            "'stretch' or 'shorter_side_crop'")
        if problems or input_size is None:  # input_size is set whenever nothing was found
            raise fail()
        made = cls(path=p, kind=kind, model_id=model_id, dim=dim or 0, input_size=input_size,
                   resize=resize_, resample=resample_, mean=mean_, std=std_,
                   batch_size=batch_size, session=session, input_name=inputs[0].name,
                   output_name=outputs[0].name, batch_axis=batch_axis)
        if dim is None:  # symbolic D: one run on a blank (mid-grey) image tells it
            blank = np.full((input_size, input_size, 3), 128, np.uint8)
            made.dim = int(made._run(made._prepare(blank)[None], 1).shape[1])
        return made

    def __reduce__(self) -> tuple[Any, tuple[Any, ...]]:
        return (_reload, (str(self.path), self.kind, self.input_size, self.mean, self.std,
                          self.resize, self.resample, self.batch_size, self.model_id))

    def __repr__(self) -> str:
        return (f"OnnxDescriptor({str(self.path)!r}, kind={self.kind!r}, "
                f"model_id={self.model_id!r}, dim={self.dim}, input_size={self.input_size}, "
                f"resize={self.resize!r})")

    def settings(self) -> dict[str, Any]:
        """Everything an index manifest must record to refuse descriptors made differently:
        ``format_version``, ``model_id``, ``kind``, ``dim``, ``input_size`` (px), ``resize``,
        ``resample``, ``mean``, ``std`` (lists of three floats). JSON-serialisable."""
        return {"format_version": FORMAT_VERSION, "model_id": self.model_id, "kind": self.kind,
                "dim": self.dim, "input_size": self.input_size, "resize": self.resize,
                "resample": self.resample, "mean": list(self.mean), "std": list(self.std)}

    # -- preprocessing and inference -------------------------------------------------------

    def _prepare(self, rgb: U8) -> F32:
        """One image -> float32 ``(3, h, w)`` as the module doc describes."""
        from PIL import Image

        size = self.input_size
        method = Image.Resampling.BILINEAR if self.resample == "bilinear" else (
            Image.Resampling.BICUBIC)
        im = Image.fromarray(np.ascontiguousarray(rgb), "RGB")
        w, h = im.size
        if self.resize == "stretch":
            im = im.resize((size, size), method)
        else:
            if w <= h:
                new_w, new_h = size, max(1, int(size * h / w))
            else:
                new_w, new_h = max(1, int(size * w / h)), size
            im = im.resize((new_w, new_h), method)  # Pillow returns a copy when the size is equal
            if self.resize == "shorter_side_crop":
                top = round((new_h - size) / 2.0)  # torchvision's CenterCrop offsets
                left = round((new_w - size) / 2.0)
                im = im.crop((left, top, left + size, top + size))
        pixels: F32 = np.asarray(im, dtype=np.float32)
        x = np.divide(pixels, np.float32(255.0), dtype=np.float32)  # torchvision's ToTensor
        x = (x - np.asarray(self.mean, np.float32)) / np.asarray(self.std, np.float32)
        return np.ascontiguousarray(x.transpose(2, 0, 1), dtype=np.float32)

    def _run(self, batch: F32, first: int) -> F32:
        try:
            (out,) = self._session.run([self._output_name], {self._input_name: batch})
        except Exception as exc:  # onnxruntime's pybind errors (shape mismatch in the graph, ...)
            raise ConfigError(f"descriptor model {self.path}: failed on a {batch.shape} input "
                              f"(images from #{first}): {str(exc).strip()[:300]}") from exc
        arr = np.asarray(out)
        if arr.ndim != 2 or arr.shape[0] != batch.shape[0] or (self.dim and arr.shape[1] !=
                                                                self.dim):
            raise ConfigError(f"descriptor model {self.path}: output of shape {arr.shape} for "
                              f"{batch.shape[0]} images, expected ({batch.shape[0]}, "
                              f"{self.dim or 'D'})")
        return arr.astype(np.float32, copy=False)

    def embed(self, images: U8 | Sequence[U8], *, name: str = "image") -> F32:
        """Descriptors of one image or a list of images, float32 ``(n, D)``, rows L2-normalised.

        ``images``: an RGB array uint8 ``(H, W, 3)`` (H, W ≥ 1 px), or a sequence of them
        (possibly empty: returns ``(0, D)``). Preprocessed as the module doc says, then run
        ``batch_size`` at a time (one at a time for ``resize="shorter_side"``, whose shapes
        differ, and for models with a batch axis fixed to 1). Deterministic on one machine.
        ``name`` (e.g. the file) is used in errors; list items are named ``name[i]``.

        Raises InputError naming the image for a non-array, another dtype or shape, an aspect
        ratio so extreme that an aspect-keeping resize would make a side over 16,384 px, or an
        image whose descriptor is zero or not finite (no direction to compare); ConfigError naming
        the model file if ONNX Runtime fails or the output has another shape.
        """
        single = isinstance(images, np.ndarray)
        items: list[U8] = [images] if single else list(images)  # type: ignore[list-item]
        labels = [name] if single else [f"{name}[{i}]" for i in range(len(items))]
        for label, rgb in zip(labels, items, strict=True):
            if not isinstance(rgb, np.ndarray):
                raise InputError(f"{label}: expected a numpy array, got {type(rgb).__name__}")
            if rgb.dtype != np.uint8:
                raise InputError(f"{label}: dtype {rgb.dtype}, expected uint8")
            if rgb.ndim != 3 or rgb.shape[2] != 3 or rgb.shape[0] < 1 or rgb.shape[1] < 1:
                raise InputError(f"{label}: shape {rgb.shape}, expected (H, W, 3) RGB")
            long_side = self.input_size * max(rgb.shape[:2]) / min(rgb.shape[:2])
            if self.resize != "stretch" and long_side > _MAX_RESIZED_SIDE:
                raise InputError(f"{label}: {rgb.shape[1]}x{rgb.shape[0]} px would be resized "
                                 f"to a {int(long_side)} px long side (resize {self.resize!r}); "
                                 f"allowed up to {_MAX_RESIZED_SIDE} px")
        step = 1 if (self.resize == "shorter_side" or self._batch_axis == 1) else self.batch_size
        rows: list[F32] = []
        for start in range(0, len(items), step):
            batch = np.stack([self._prepare(rgb) for rgb in items[start:start + step]])
            rows.append(self._run(batch, start))
        if not rows:
            return np.zeros((0, self.dim), np.float32)
        out = np.concatenate(rows).astype(np.float64)
        norms = np.linalg.norm(out, axis=1)
        bad = np.flatnonzero(~np.isfinite(norms) | (norms <= 1e-12))
        if bad.size:
            what = "zero" if np.isfinite(norms[bad[0]]) else "non-finite"
            raise InputError(f"{labels[int(bad[0])]}: the descriptor model {self.path.name} gave "
                             f"a {what} descriptor; it cannot be compared by cosine")
        unit: F32 = (out / norms[:, None]).astype(np.float32)
        return unit

    # -- storage ---------------------------------------------------------------------------

    def descriptor_bytes(self, vectors: npt.ArrayLike) -> bytes:
        """Store descriptors made by this model: :func:`pack_descriptors` with this model's
        ``model_id`` and ``kind``. ``vectors``: ``(D,)`` or ``(n, D)`` with ``D ==``
        :attr:`dim`. Raises ValueError for another shape, zero or non-finite rows."""
        arr = np.asarray(vectors)
        if arr.shape[-1:] != (self.dim,):
            raise ValueError(f"descriptor of shape {arr.shape}, this model's are ({self.dim},)")
        return pack_descriptors(arr, model_id=self.model_id, kind=self.kind)

    def from_bytes(self, data: bytes, *, name: str) -> F32:
        """Read :meth:`descriptor_bytes` output of the work ``name``: float32 ``(n, D)``, unit rows.

        Raises IndexCorruptError naming ``name`` for a damaged blob (:func:`unpack_descriptors`),
        IndexMismatchError naming ``name`` if it was made by another model, kind or dimension.
        """
        stored = unpack_descriptors(data, name=name)
        if (stored.model_id, stored.kind, stored.vectors.shape[1]) != (self.model_id, self.kind,
                                                                       self.dim):
            raise IndexMismatchError(
                f"descriptor of {name}: made by {stored.kind} model {stored.model_id} "
                f"(D={stored.vectors.shape[1]}), but the loaded model is {self.kind} model "
                f"{self.model_id} (D={self.dim}, {self.path.name}); re-index with one model")
        return stored.vectors


def _reload(path: str, kind: Kind, input_size: int, mean: tuple[float, ...],
            std: tuple[float, ...], resize: Resize, resample: Resample, batch_size: int,
            model_id: str) -> OnnxDescriptor:
    """Unpickle an :class:`OnnxDescriptor`: the same file (same SHA-256 prefix), loaded again."""
    p = Path(path)
    if p.is_file() and (now := _file_id(p)) != model_id:
        raise ConfigError(f"descriptor model {path}: file changed since it was pickled "
                          f"(model id {now}, expected {model_id})")
    return OnnxDescriptor.load(p, kind=kind, input_size=input_size, mean=mean, std=std,
                               resize=resize, resample=resample, batch_size=batch_size)


# -- cosine -----------------------------------------------------------------------------------

def _rows(x: npt.ArrayLike, label: str) -> npt.NDArray[np.float64]:
    arr = np.asarray(x, dtype=np.float64)
    if arr.ndim == 1:
        arr = arr[None, :]
    if arr.ndim != 2 or arr.shape[1] == 0:
        raise ValueError(f"{label}: shape {np.shape(x)}, expected (D,) or (n, D) with D >= 1")
    norms = np.linalg.norm(arr, axis=1)
    if not np.all(np.isfinite(norms)) or np.any(norms <= 0):
        raise ValueError(f"{label}: a zero or non-finite vector has no cosine")
    unit: npt.NDArray[np.float64] = arr / norms[:, None]
    return unit


def cosine_matrix(a: npt.ArrayLike, b: npt.ArrayLike) -> F32:
    """Cosine similarities of every row of ``a`` with every row of ``b``, float32 ``(n, m)``.

    ``a``: ``(n, D)`` or ``(D,)``; ``b``: ``(m, D)`` or ``(D,)``; any float dtype. Rows are
    normalised here (in float64), so float16-stored descriptors compare correctly. Values lie in
    ``[-1, 1]``; compare with :data:`REPLICATION_COSINE`, :data:`HIGH_PRECISION_COSINE` (copy)
    or :data:`STYLE_REVIEW_COSINE` (style, review only). Raises ValueError for other shapes,
    different ``D``, or zero / non-finite vectors.
    """
    ra, rb = _rows(a, "a"), _rows(b, "b")
    if ra.shape[1] != rb.shape[1]:
        raise ValueError(f"descriptor lengths differ: {ra.shape[1]} and {rb.shape[1]}")
    return np.clip(ra @ rb.T, -1.0, 1.0).astype(np.float32)


def cosine(a: npt.ArrayLike, b: npt.ArrayLike) -> float:
    """Cosine similarity of two descriptors ``(D,)`` (or ``(1, D)``), a float in ``[-1, 1]``.

    Raises ValueError as :func:`cosine_matrix` does, or if either holds more than one row.
    """
    m = cosine_matrix(a, b)
    if m.shape != (1, 1):
        raise ValueError(f"cosine of one descriptor each, got {m.shape[0]} and {m.shape[1]} rows;"
                         " use cosine_matrix")
    return float(m[0, 0])


# -- storage ----------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True, eq=False)  # eq=False: ndarray field has no truth value
class StoredDescriptors:
    """Descriptors read back from :func:`pack_descriptors` output.

    ``model_id``: 16 hex digits of the SHA-256 of the model file that made them. ``kind``:
    ``"copy"`` or ``"style"``. ``vectors``: float32 ``(n, D)``, rows L2-normalised again after
    the float16 round trip (cosines move by at most about 1e-3 from the float32 originals).
    """

    model_id: str
    kind: str
    vectors: F32


def pack_descriptors(vectors: npt.ArrayLike, *, model_id: str, kind: str) -> bytes:
    """Serialise one work's descriptors: ``(D,)`` or ``(n, D)`` float, n ≥ 1, D ≥ 1.

    Layout (little-endian, version :data:`FORMAT_VERSION`): a 24-byte header — magic ``RGED``,
    format version (u8), kind (u8: 1 copy, 2 style), dtype (u8: 1 float16), a pad byte, D (u32),
    n (u32), model id (8 raw bytes = 16 hex digits) — then ``n × D`` float16 values of the
    L2-normalised rows: ``24 + 2 n D`` bytes, 1,048 bytes for one 512-d SSCD descriptor.

    Raises ValueError for another shape, zero / non-finite rows, a kind other than copy/style or
    a model id that is not 16 hex digits.
    """
    arr = _rows(vectors, "descriptor")
    if kind not in _KIND_CODES:
        raise ValueError(f"kind {kind!r}, allowed: 'copy', 'style'")
    try:
        raw_id = bytes.fromhex(model_id)
    except (TypeError, ValueError):
        raw_id = b""
    if len(raw_id) != 8 or model_id != model_id.lower():
        raise ValueError(f"model_id {model_id!r}, expected 16 lowercase hex digits")
    n, d = arr.shape
    head = _HEADER.pack(_MAGIC, FORMAT_VERSION, _KIND_CODES[kind], _DTYPE_FLOAT16, d, n, raw_id)
    return head + np.ascontiguousarray(arr, dtype="<f2").tobytes()


def unpack_descriptors(data: bytes, *, name: str) -> StoredDescriptors:
    """Read :func:`pack_descriptors` output. ``name`` (e.g. the work id) is used in errors.

    Raises IndexCorruptError naming ``name`` if the blob is truncated or too long, has another
    magic, format version, kind or dtype code, zero dimensions, or rows that are not finite unit
    vectors (norm outside ``1 ± 0.01``).
    """
    def bad(problem: str) -> IndexCorruptError:
        return IndexCorruptError(f"image descriptor of {name}: {problem}")

    if len(data) < _HEADER.size:
        raise bad(f"{len(data)} bytes, shorter than the {_HEADER.size}-byte header")
    magic, version, kind, dtype, d, n, raw_id = _HEADER.unpack_from(data)
    if magic != _MAGIC:
        raise bad(f"magic {magic!r}, expected {_MAGIC!r}")
    if version != FORMAT_VERSION:
        raise bad(f"format version {version}, this rightsguard reads {FORMAT_VERSION}")
    if kind not in _KIND_NAMES:
        raise bad(f"kind code {kind}, allowed: 1 (copy), 2 (style)")
    if dtype != _DTYPE_FLOAT16:
        raise bad(f"dtype code {dtype}, allowed: {_DTYPE_FLOAT16} (float16)")
    if d < 1 or n < 1:
        raise bad(f"{n} descriptors of length {d}; both must be at least 1")
    expected = _HEADER.size + 2 * n * d
    if len(data) != expected:
        raise bad(f"{len(data)} bytes, expected {expected} for {n} descriptors of length {d}")
    vec = np.frombuffer(data, "<f2", n * d, _HEADER.size).astype(np.float64).reshape(n, d)
    norms = np.linalg.norm(vec, axis=1)
    if not np.all(np.isfinite(norms)) or np.any(np.abs(norms - 1.0) > _NORM_TOLERANCE):
        raise bad(f"rows are not finite unit vectors (norms {np.round(norms, 4).tolist()[:4]})")
    return StoredDescriptors(raw_id.hex(), _KIND_NAMES[kind],
                             (vec / norms[:, None]).astype(np.float32))
