"""Image works in an index folder: what is stored per work, and the PDQ candidate index.

Per image work the registry keeps (table ``image_prints``, one transaction with the work):

* the original file's size in pixels;
* ``hashes``: its stored PDQ variants (:func:`rightsguard.fingerprint.image.work_fingerprints`:
  the whole image and its 7 dihedral variants; works registered before 2026-12-01 also have 29
  crops after them, which the hash index leaves out), concatenated 32-byte codes in variant order;
* ``features``: its SIFT keypoints and descriptors for verification
  (:class:`rightsguard.fingerprint.image_features.LocalFeatures` bytes).

A registered mark (kind ``mark``: a logo or watermark) stores neither: screening builds its
template from the stored file, since marks are few and are searched in every screened image.

The SIFT descriptors are also in a :class:`~rightsguard.index.feature_index.FeatureIndex` under
``images/sift/`` (their visual words in an inverted file of work numbers, whose votes find
crops, rotations and screenshots that no PDQ variant lines up with), derived from the registry
in the same way: caught up when opened behind, rebuilt when missing or damaged, saved only by
writers. The works' layout descriptors (:mod:`rightsguard.fingerprint.image_layout`) are cached
under ``images/embed/layout-…/``
(:class:`~rightsguard.index.image_embeddings.EmbeddingStore`), brought up to date after each add.

The PDQ codes are also in a :class:`~rightsguard.index.images.HashIndex` under
``images/pdq/``, a derived copy for fast candidate search. The registry is the source of truth:
the hash index is written after the registry transaction commits, and a hash index that is behind
(a crash between the two) is caught up from the registry when it is next opened — rows of
document numbers above the largest it holds are appended (document numbers only grow). Removed
works are filtered at query time with the registry's tombstones, and dropped from the hash index
by :meth:`ImageStore.compact`.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from rightsguard.errors import IndexCorruptError, IndexMismatchError
from rightsguard.fingerprint.image import WORK_VARIANTS
from rightsguard.index.registry import ImagePrints, Registry
from rightsguard.model import WorkInput

if TYPE_CHECKING:  # FAISS loads only when an index holds images (keeps `check` start-up fast)
    from rightsguard.index.feature_index import FeatureCandidate, FeatureIndex
    from rightsguard.index.images import Candidate, HashIndex

#: Recorded in the registry's ``tokenizer`` column of image works; part of what an image work's
#: stored data means (hash variants and feature format).
IMAGE_FINGERPRINTER = "image-pdq-sift-v1"
PDQ_BYTES = 32
HASH_KIND = "pdq"
#: What the hash index's rows are: the first WORK_VARIANTS of each work's stored variants. An
#: index of other settings (before 2026-12-01: every stored variant, crops too) is rebuilt.
HASH_PARAMS = {"variants": WORK_VARIANTS}

U8 = npt.NDArray[np.uint8]


def _one_faiss_thread() -> None:
    """One OpenMP thread for FAISS: it parallelises over query rows only, and its spinning
    worker threads made single queries 40-100x slower on a busy 2-core machine (measured in
    :mod:`rightsguard.index.images`). Process-wide, set when images are first searched."""
    import faiss

    if faiss.omp_get_max_threads() != 1:
        faiss.omp_set_num_threads(1)


def work_name(item: WorkInput) -> str:
    """How messages name a work being registered: a local file by its whole path (a folder tree
    repeats file names), anything else by its URI."""
    from urllib.parse import unquote, urlsplit

    parts = urlsplit(item.source.uri)
    if parts.scheme == "file":
        return unquote(parts.path)
    return item.source.uri or item.source.path or "(unnamed work)"


def image_prints_of(item: WorkInput, *, max_pixels: int | None = None) -> ImagePrints:
    """Decode an image work and compute what the registry stores for it.

    Raises :class:`~rightsguard.errors.InputError` naming the work's source when the bytes are
    not a decodable image (unknown format, truncated, over the pixel limit, …).
    """
    from rightsguard.fingerprint.image import decode_image, work_fingerprints
    from rightsguard.fingerprint.image_features import extract_features

    name = work_name(item)
    kwargs = {} if max_pixels is None else {"max_pixels": max_pixels}
    image = decode_image(item.raw, name=name, **kwargs)
    if item.kind == "mark":
        return ImagePrints(image.width, image.height, b"", b"")
    variants = work_fingerprints(image)
    hashes = b"".join(bytes(v.pdq) for v in variants)
    features = extract_features(image.rgb, name=name).to_bytes()
    return ImagePrints(image.width, image.height, hashes, features)


def _unusable(exc: Exception) -> str:
    """Why a saved hash index cannot be used, for messages: ``"damaged"`` (IndexCorruptError)
    or ``"of an older layout"`` (IndexMismatchError: other :data:`HASH_PARAMS`)."""
    return "damaged" if isinstance(exc, IndexCorruptError) else "of an older layout"


def split_hashes(blob: bytes, doc: int) -> U8:
    """The stored variants of ``doc`` as uint8 ``(n, 32)``; IndexCorruptError if not whole."""
    if len(blob) % PDQ_BYTES:
        raise IndexCorruptError(f"image hashes of document {doc}: {len(blob)} bytes is not a "
                                f"multiple of {PDQ_BYTES}")
    return np.frombuffer(blob, np.uint8).reshape(-1, PDQ_BYTES)


class ImageStore:
    """The image part of an index folder (see the module docstring). Cheap to construct."""

    def __init__(self, folder: Path, registry: Registry) -> None:
        self.folder = folder / "images" / HASH_KIND
        self.registry = registry
        self._index: HashIndex | None = None
        self._last_doc = 0  # the highest registry document the open hash index has seen
        self._seen_generation: int | None = None  # registry generation last caught up with
        self.feature_folder = folder / "images" / "sift"
        self.index_folder = folder
        self._features: FeatureIndex | None = None
        self._features_generation: int | None = None
        self._scratch: Any = None  # a reader's rebuilt copy of a damaged hash index
        #: Set when this reader rebuilt the hash index for itself (damaged, or of an older
        #: layout): what to tell the user, who pays that rebuild on every run until a write.
        self.rebuilt: str | None = None

    def hash_index(self, generation: int | None = None, *, writable: bool = False
                   ) -> HashIndex:
        """The PDQ hash index, opened once (created when missing) and caught up with the
        registry.

        A damaged index (IndexCorruptError) or one of other settings (IndexMismatchError: made
        before :data:`HASH_PARAMS`) is rebuilt from the registry, since it is derived data:
        in place when ``writable`` (the writers: ``sync``, ``compact``), else in a temporary
        folder for this process only (readers never write; ``index verify`` names the damage
        until a write repairs it). ``generation``: the registry generation the caller reads
        at. When given and already caught up with, the registry is not asked again (the
        query path: one screened image must not cost a registry round trip); None always
        catches up (after writes)."""
        from rightsguard.index.images import HashIndex

        _one_faiss_thread()
        if self._index is None:
            opened = None
            if (self.folder / "manifest.json").exists():
                try:
                    opened = self._open_saved()
                except (IndexCorruptError, IndexMismatchError) as exc:
                    import shutil
                    import tempfile

                    if writable:
                        shutil.rmtree(self.folder, ignore_errors=True)
                    else:
                        self.rebuilt = (f"the index's PDQ hash index is {_unusable(exc)}: "
                                        "rebuilt from the registry for this run (`rightsguard "
                                        "index compact` saves it)")
                        self._scratch = tempfile.TemporaryDirectory(prefix="rightsguard-pdq-")
                        opened = HashIndex.create(Path(self._scratch.name) / HASH_KIND,
                                                  bits=PDQ_BYTES * 8, kind=HASH_KIND,
                                                  params=HASH_PARAMS)
            if opened is not None:
                self._index = opened
            else:
                self.folder.mkdir(parents=True, exist_ok=True)
                self._index = HashIndex.create(self.folder, bits=PDQ_BYTES * 8, kind=HASH_KIND,
                                               params=HASH_PARAMS)
            docs = self._index.docs
            self._last_doc = int(docs.max()) if docs.size else 0
            self._seen_generation = None
        if generation is None or generation != self._seen_generation:
            rows = list(self.registry.image_hashes(after=self._last_doc))
            if rows:
                self._append(self._index, rows)
                self._last_doc = rows[-1][0]  # marks too: they have no rows to find again
            self._seen_generation = generation
        return self._index

    @staticmethod
    def _append(index: HashIndex, rows: Iterable[tuple[int, bytes]]) -> None:
        codes: list[U8] = []
        docs: list[npt.NDArray[np.int64]] = []
        variants: list[npt.NDArray[np.int16]] = []
        for doc, blob in rows:
            c = split_hashes(blob, doc)[:WORK_VARIANTS]
            if not c.shape[0]:
                continue  # a mark: no hashes
            codes.append(c)
            docs.append(np.full(c.shape[0], doc, np.int64))
            variants.append(np.arange(c.shape[0], dtype=np.int16))
        if codes:
            index.add(np.concatenate(codes), np.concatenate(docs), np.concatenate(variants))

    def feature_index(self, generation: int | None = None) -> FeatureIndex:
        """The SIFT vote index, loaded once (rebuilt from the registry when missing, damaged or
        of other parameters) and caught up with the registry; ``generation`` as for
        :meth:`hash_index`. IndexCorruptError when the registry's stored features are."""
        from rightsguard.index.feature_index import FeatureIndex

        _one_faiss_thread()
        if self._features is None:
            try:
                self._features = FeatureIndex.load(self.feature_folder)
            except IndexCorruptError:  # derived data: rebuild, never trust
                self._features = FeatureIndex.build(self.registry.image_features)
            self._features_generation = None
        if generation is None or generation != self._features_generation:
            index = self._features
            new = list(FeatureIndex.rows_of(self.registry.image_features(after=index.last_doc)))
            extra = sum(int(x.shape[0]) for _d, x in new)
            if index.needs_retraining(extra):
                self._features = FeatureIndex.build(self.registry.image_features)
            elif new:
                index.append(new, last_doc=new[-1][0])
            self._features_generation = generation
        return self._features

    def feature_candidates(self, descriptors: U8, *, k: int, removed: npt.NDArray[np.uint32],
                           exclude: Iterable[int] = (), min_votes: int | None = None,
                           generation: int | None = None) -> list[FeatureCandidate]:
        """Works voted for by a query's SIFT descriptors (uint8 ``(n, 128)``), best score
        first, at most ``k``, each with at least ``min_votes`` votes (None: the index's
        default), removed and ``exclude`` works left out (:meth:`FeatureIndex.candidates`)."""
        from rightsguard.index.feature_index import MIN_VOTES

        return self.feature_index(generation).candidates(
            descriptors, k=k, removed=removed.tolist(), exclude=exclude,
            min_votes=MIN_VOTES if min_votes is None else min_votes)

    def present(self) -> bool:
        """True when the index holds (or held) image works."""
        return (self.folder / "manifest.json").exists() or self.registry.has_images()

    def _open_saved(self) -> HashIndex:
        """The hash index saved in :attr:`folder`, checked against its manifest's checksums and
        :data:`HASH_PARAMS`; IndexCorruptError / IndexMismatchError (:meth:`HashIndex.open`)."""
        from rightsguard.index.images import HashIndex

        return HashIndex.open(self.folder, bits=PDQ_BYTES * 8, kind=HASH_KIND, params=HASH_PARAMS)

    def _writable_hash_index(self) -> HashIndex:
        """The hash index reopened for a write (a damaged one rebuilt in place)."""
        self._index = None  # another process may have saved since: reopen
        self.rebuilt = None  # a rebuild now is saved in place
        return self.hash_index(writable=True)

    def damage(self) -> list[str]:
        """Problems of the derived image indexes on disk (``index verify``): the PDQ hash index
        (``images/pdq``) and the SIFT vote index (``images/sift``) as a reader opens them; each
        problem says that a write rebuilds it from the registry."""
        from rightsguard.index.feature_index import FeatureIndex

        if not self.present():
            return []
        out = []
        repair = ("derived from the registry: `rightsguard index compact` (or the next `index "
                  "add` of an image) rebuilds it")
        if (self.folder / "manifest.json").exists():
            try:  # every data file's SHA-256 against the manifest
                self._open_saved()
            except (IndexCorruptError, IndexMismatchError) as exc:
                what = str(exc) if isinstance(exc, IndexCorruptError) else \
                    f"{self.folder}: PDQ hash index {_unusable(exc)} (not {WORK_VARIANTS} " \
                    "rows per work)"
                out.append(f"{what} ({repair}; until then every `check` of an image "
                           "rebuilds it in a temporary folder)")
        if self.registry.image_docs():
            try:
                FeatureIndex.load(self.feature_folder)
            except IndexCorruptError as exc:
                out.append(f"{exc} ({repair}; until then every `check` of an image rebuilds "
                           "it in memory)")
        return out

    def sync(self) -> None:
        """After a registry write that added images: append their rows and save (crash-safe)."""
        index = self._writable_hash_index()
        index.partition_if_large()  # sub-linear search from 500 k works (HashIndex.partition)
        index.save()
        self._features = None
        self.feature_index().save(self.feature_folder)
        # the layout descriptors too, so the first screening does not decode every work
        from rightsguard.fingerprint.image_layout import LAYOUT
        from rightsguard.index.image_embeddings import EmbeddingStore

        EmbeddingStore(self.index_folder, self.registry, LAYOUT).refresh()

    def compact(self, purged: Iterable[int]) -> None:
        """Drop the rows of purged works from the hash index and save."""
        if not self.present():
            return
        index = self._writable_hash_index()
        index.remove(np.asarray(sorted(set(purged)), dtype=np.int64))
        index.compact()
        index.save()
        from rightsguard.index.feature_index import FeatureIndex

        self._features = FeatureIndex.build(self.registry.image_features)
        self._features_generation = None
        self._features.save(self.feature_folder)

    def candidates(self, codes: U8, *, k: int, max_distance: int | None,
                   removed: npt.NDArray[np.uint32], generation: int | None = None,
                   exact: bool = False) -> list[Candidate]:
        """Works whose stored variants are nearest any of the query's ``codes`` (uint8
        ``(m, 32)``), best distance first, removed works left out; at most ``k``.
        ``generation``: see :meth:`hash_index`. ``exact``: every row, even when the hash index
        is partitioned (:meth:`HashIndex.search`)."""
        index = self.hash_index(generation)
        dead = set(removed.tolist())
        want = k
        while True:  # removed works may take places in the ranking: fetch more until enough
            found = index.search_merged(codes, k=want, max_distance=max_distance, exact=exact)
            live = [c for c in found if c.doc not in dead]
            if len(live) >= k or len(found) < want:
                return live[:k]
            want *= 4
