"""The optional learned stages of image screening: a copy descriptor and a style descriptor.

Both run after the classical cascade of :class:`~rightsguard.screen.images.ImageScreener`
(PDQ candidates, SIFT verification, marks), which hands them the works it already matched
(``found``); they only add works it did not find. Both need a model file the user supplies
(:class:`~rightsguard.fingerprint.image_embed.OnnxDescriptor`; docs/learned-descriptors.md says
how to export SSCD and CSD to ONNX). Without models nothing here runs and screening is
unchanged.

**Copy descriptor** (issue #4 part 4), e.g. SSCD (Pizzi et al. 2022). The screened image's
descriptor is compared by cosine with every registered image work's
(:class:`~rightsguard.index.image_embeddings.EmbeddingStore`):

* cosine > :attr:`LearnedModels.copy_cosine` (default 0.75,
  :data:`~rightsguard.fingerprint.image_embed.HIGH_PRECISION_COSINE`: about 90% precision on
  DISC pairs, SSCD README) → a ``copy`` match, matcher ``descriptor``, the whole of both images
  as the region (a global descriptor does not say where), verdict from the screening policy on
  the work's licence, as for a copy confirmed by local features;
* cosine in (:attr:`LearnedModels.similar_cosine`, ``copy_cosine``] (default 0.5,
  :data:`~rightsguard.fingerprint.image_embed.REPLICATION_COSINE`: Somepalli et al. 2023 call
  pairs above 0.5 replication) → a ``similar`` match with no region and verdict ``review``: a
  person should compare the two. (When the policy would allow even a copy of the work — a
  ``clean`` verdict, e.g. public domain — a likeness needs no review and is ``clean``.)

**Style descriptor** (issue #4 part 8; experimental, off unless a style model is given), e.g. CSD
(Somepalli et al. 2024). A cosine above :attr:`LearnedModels.style_cosine` → a ``style`` match
with no region whose verdict is never above ``review``: a style is an idea, not protected
expression (Japan's Agency for Cultural Affairs, "General Understanding on AI and Copyright in
Japan", 2024), so a style likeness never blocks; it only informs a review. The CSD paper
publishes no decision threshold: the default
(:data:`~rightsguard.fingerprint.image_embed.STYLE_REVIEW_COSINE`, 0.5) is a placeholder the
user should calibrate on their own pairs.

Each stage reports at most :attr:`LearnedModels.top` works (best cosine first); works already
in ``found`` are not repeated, and the style stage skips works the copy stage reported.
Removed works are never reported (the registry's tombstones, read through :meth:`Index.rows`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING

from rightsguard.errors import ConfigError
from rightsguard.index.store import Index
from rightsguard.model import ImageMatch, Verdict, Work
from rightsguard.screen.policy import ScreenPolicy

if TYPE_CHECKING:
    from rightsguard.fingerprint.image import DecodedImage
    from rightsguard.fingerprint.image_embed import OnnxDescriptor
    from rightsguard.index.image_embeddings import EmbeddingStore
    from rightsguard.index.registry import WorkRow

__all__ = ["COPY_COSINE", "MAX_LEARNED_MATCHES", "SIMILAR_COSINE", "STYLE_COSINE",
           "LearnedModels", "LearnedStage"]

COPY_COSINE = 0.75
"""Copy descriptor cosine above which a work is reported as a ``copy``: about 90% precision
(Pizzi et al. 2022, SSCD README, ``sscd_disc_mixup`` on DISC pairs). Same value as
:data:`rightsguard.fingerprint.image_embed.HIGH_PRECISION_COSINE`."""
SIMILAR_COSINE = 0.5
"""Copy descriptor cosine above which a work is reported as ``similar`` (review): Somepalli et
al. 2023 ("Diffusion Art or Digital Forgery?", CVPR) treat SSCD cosines above 0.5 as replication.
Same value as :data:`rightsguard.fingerprint.image_embed.REPLICATION_COSINE`."""
STYLE_COSINE = 0.5
"""Style descriptor cosine above which a work is reported as ``style`` (review at most). A
placeholder, not from the literature: CSD (Somepalli et al. 2024) reports retrieval quality but
no decision threshold. Same value as
:data:`rightsguard.fingerprint.image_embed.STYLE_REVIEW_COSINE`."""
MAX_LEARNED_MATCHES = 5
"""Works reported per stage and screened image at most (best cosine first)."""

_STYLE_REASON = (
    "style likeness (experimental): a style is an idea, not protected expression (Agency for "
    "Cultural Affairs of Japan, 'General Understanding on AI and Copyright in Japan', 2024); "
    "this never blocks and only informs a human review")


def _region(width: int, height: int) -> tuple[tuple[float, float], ...]:
    return ((0.0, 0.0), (float(width), 0.0), (float(width), float(height)), (0.0, float(height)))


@dataclass(frozen=True, slots=True)
class LearnedModels:
    """Which learned descriptor models to run, and their thresholds (cosines in ``[-1, 1]``).

    ``descriptor``: a copy-detection model file (``.onnx``, e.g. SSCD), or None. ``style``: a
    style model file (e.g. CSD), or None; experimental, never blocks. ``copy_cosine`` /
    ``similar_cosine`` / ``style_cosine``: see :data:`COPY_COSINE`, :data:`SIMILAR_COSINE`,
    :data:`STYLE_COSINE` for their sources; ``similar_cosine <= copy_cosine``. ``top``: works
    reported per stage at most (≥ 1). ``descriptor_input_size`` / ``style_input_size``: the
    square side in pixels fed to a model whose ``H`` and ``W`` are dynamic (SSCD: 320 with the
    default ``stretch`` preprocessing; CSD: 224); None for a model exported with a fixed size
    (the recommended export, docs/learned-descriptors.md), whose size is read from the file.

    Raises ConfigError listing every value out of range.
    """

    descriptor: Path | None = None
    style: Path | None = None
    copy_cosine: float = COPY_COSINE
    similar_cosine: float = SIMILAR_COSINE
    style_cosine: float = STYLE_COSINE
    top: int = MAX_LEARNED_MATCHES
    descriptor_input_size: int | None = None
    style_input_size: int | None = None

    def __post_init__(self) -> None:
        problems = []
        for label in ("copy_cosine", "similar_cosine", "style_cosine"):
            value = getattr(self, label)
            if isinstance(value, bool) or not isinstance(value, (int, float)) or \
                    not math.isfinite(value) or not -1.0 <= value <= 1.0:
                problems.append(f"{label} {value!r}, allowed: a number in [-1, 1]")
        if not problems and self.similar_cosine > self.copy_cosine:
            problems.append(f"similar_cosine {self.similar_cosine} is above copy_cosine "
                            f"{self.copy_cosine}; allowed: similar_cosine <= copy_cosine")
        if isinstance(self.top, bool) or not isinstance(self.top, int) or self.top < 1:
            problems.append(f"top {self.top!r}, allowed: an integer >= 1")
        for label in ("descriptor_input_size", "style_input_size"):
            size = getattr(self, label)
            if size is not None and (isinstance(size, bool) or not isinstance(size, int)
                                     or size < 1):
                problems.append(f"{label} {size!r}, allowed: None or an integer >= 1 (pixels)")
        if problems:
            raise ConfigError("learned image models: " + "; ".join(problems))

    def any(self) -> bool:
        """True when at least one model is given."""
        return self.descriptor is not None or self.style is not None


@dataclass
class LearnedStage:
    """The learned stages over one index (see the module docstring): models and descriptor
    caches load on first use (or :meth:`load`) and stay warm. Set as
    :attr:`ImageScreener.learned <rightsguard.screen.images.ImageScreener.learned>`."""

    index: Index
    models: LearnedModels
    policy: ScreenPolicy = field(default_factory=ScreenPolicy)
    _copy: OnnxDescriptor | None = None
    _style: OnnxDescriptor | None = None
    _stores: dict[str, EmbeddingStore] = field(default_factory=dict)
    _loaded: bool = False

    def load(self) -> None:
        """Load the model files now (once). Raises ConfigError naming the file when one is
        missing, not a model ONNX Runtime can load, not a descriptor model, or onnxruntime is
        not installed (install ``rightsguard[onnx]``) — every problem of both files at once."""
        if self._loaded:
            return
        from rightsguard.fingerprint.image_embed import OnnxDescriptor

        problems: list[str] = []
        loaded: dict[str, OnnxDescriptor] = {}
        m = self.models
        for kind, path, size in (("copy", m.descriptor, m.descriptor_input_size),
                                 ("style", m.style, m.style_input_size)):
            if path is None:
                continue
            try:
                loaded[kind] = OnnxDescriptor.load(
                    path, kind="copy" if kind == "copy" else "style", input_size=size)
            except ConfigError as exc:
                problems.append(f"{kind} model: {exc}")
        if problems:
            raise ConfigError("; ".join(problems))
        self._copy, self._style = loaded.get("copy"), loaded.get("style")
        self._loaded = True

    def _store(self, model: OnnxDescriptor) -> EmbeddingStore:
        from rightsguard.index.image_embeddings import EmbeddingStore

        store = self._stores.get(model.kind)
        if store is None:
            store = self._stores[model.kind] = EmbeddingStore(self.index.path,
                                                              self.index.registry, model)
        store.refresh(self.index.generation())
        return store

    def matches(self, image: DecodedImage, *, name: str, found: set[str]) -> list[ImageMatch]:
        """Judged matches of the learned stages for one decoded image: ``copy`` and ``similar``
        (copy descriptor), ``style`` (style descriptor), works with ids in ``found`` left out.
        Raises ConfigError as :meth:`load` does, or naming the model if it fails on the image;
        InputError naming ``name`` if the model gives the image no usable descriptor."""
        self.load()
        if not self.index.images.present():
            return []
        out: list[ImageMatch] = []
        skip = set(found)
        if self._copy is not None:
            for row, cos in self._nearest(self._copy, image, name, self.models.similar_cosine,
                                          skip):
                out.append(self._copy_match(image, row, cos))
                skip.add(row.work.work_id)
        if self._style is not None:
            for row, cos in self._nearest(self._style, image, name, self.models.style_cosine,
                                          skip):
                out.append(self._style_match(row.work, cos))
        return out

    def _nearest(self, model: OnnxDescriptor, image: DecodedImage, name: str,
                 min_cosine: float, skip: set[str]) -> list[tuple[WorkRow, float]]:
        """Live works above ``min_cosine``, best first, at most ``top``, ``skip`` ids left out."""
        store = self._store(model)
        if not len(store):
            return []
        query = model.embed(image.rgb, name=name)[0]
        k = self.models.top
        want = k
        dropped: set[int] = set()
        while True:  # removed or skipped works may take places in the ranking: fetch more
            hits = store.search(query, k=want, min_cosine=min_cosine, exclude=dropped)
            rows = self.index.rows([d for d, _c in hits])
            live = []
            for doc, cos in hits:
                row = rows.get(doc)
                if row is None or row.removed or row.work.work_id in skip:
                    dropped.add(doc)  # purged, tombstoned, or already reported
                else:
                    live.append((row, cos))
            if len(live) >= k or len(hits) < want:
                return live[:k]
            want *= 4

    def _copy_match(self, image: DecodedImage, row: WorkRow, cos: float) -> ImageMatch:
        scores = (("descriptor_cosine", cos),)
        if cos > self.models.copy_cosine:
            stored = self.index.registry.image_prints([row.doc]).get(row.doc)
            width, height = (stored.width, stored.height) if stored else (0, 0)
            verdict, why = self.policy.verdict(row.work)
            return ImageMatch(
                work=row.work, kind="copy", output_polygon=_region(image.width, image.height),
                work_polygon=_region(width, height) if stored else (), output_coverage=1.0,
                work_coverage=1.0, scores=scores, matcher="descriptor", verdict=verdict,
                reason=f"{why}; learned copy descriptor cosine {cos:.3f} > "
                       f"{self.models.copy_cosine} (about 90% precision for SSCD, Pizzi et al. "
                       "2022); the region is the whole image (a global descriptor does not "
                       "locate the copy)")
        verdict, _why = self.policy.verdict(row.work)
        match = ImageMatch(
            work=row.work, kind="similar", output_polygon=(), work_polygon=(),
            output_coverage=0.0, work_coverage=0.0, scores=scores, matcher="descriptor")
        if verdict is Verdict.CLEAN:
            return replace(match, verdict=Verdict.CLEAN, reason=(
                f"learned copy descriptor cosine {cos:.3f}, not a confirmed copy; the policy "
                "allows even a copy of this work"))
        return replace(match, verdict=Verdict.REVIEW, reason=(
            f"learned copy descriptor cosine {cos:.3f} is above {self.models.similar_cosine} "
            "(Somepalli et al. 2023 treat SSCD cosines above 0.5 as replication) but not above "
            f"{self.models.copy_cosine} (about 90% precision, Pizzi et al. 2022): compare the "
            "two images"))

    def _style_match(self, work: Work, cos: float) -> ImageMatch:
        verdict, _why = self.policy.verdict(work)
        capped = Verdict.CLEAN if verdict is Verdict.CLEAN else Verdict.REVIEW
        return ImageMatch(
            work=work, kind="style", output_polygon=(), work_polygon=(), output_coverage=0.0,
            work_coverage=0.0, scores=(("style_cosine", cos),), matcher="style-descriptor",
            verdict=capped,
            reason=f"{_STYLE_REASON}; style descriptor cosine {cos:.3f} > "
                   f"{self.models.style_cosine} (a threshold to calibrate: CSD, Somepalli et al. "
                   "2024, publishes none)")
