"""Learned descriptors of registered image works, cached under the index folder (issue #4).

The works registry stores no learned descriptor: the model is a file the user supplies
(:class:`~rightsguard.fingerprint.image_embed.OnnxDescriptor`), chosen when screening, and may
change from one run to the next. Descriptors are therefore DERIVED data, like the PDQ and SIFT
indexes of :mod:`rightsguard.index.image_store`: computed from each work's stored file
(:meth:`Registry.content`, decoded with
:func:`~rightsguard.fingerprint.image.decode_image`) with the model, and cached per model under
``images/embed/<kind>-<model_id>/`` of the index folder:

* ``manifest.json``: format and version, the model's
  :meth:`~rightsguard.fingerprint.image_embed.OnnxDescriptor.settings` (model id, kind,
  dimension, preprocessing), ``last_doc`` (the highest registry document looked at, marks and
  removed works included), ``rows``, ``skipped`` (works the model gave no usable descriptor,
  with the problem) and the data file's name, size and SHA-256;
* ``embed.<token>.bin``: ``rows`` little-endian int64 document numbers, then ``rows × D``
  little-endian float32 descriptors, each row L2-normalised.

The data file is written under a fresh name (temp file, fsync, rename), then the manifest is
replaced the same way; files of earlier saves are deleted after that. A cache that is missing,
truncated, altered, of another format or made with other model settings is rebuilt from the
registry, never trusted. A reader that loses a race with a concurrent save (its data file
deleted) reads the new manifest once more before rebuilding.

Catching up: document numbers only grow, so works registered since ``last_doc``
(:meth:`Registry.image_hashes` ``after=last_doc``) are embedded and appended when the registry's
generation changes. Removed works are embedded too (a removed work registered again is live
again) and are filtered at query time by the caller from the registry's rows
(:meth:`Index.rows`: tombstoned works are ``removed``, purged ones absent). Registered marks
(kind ``mark``: logos, watermarks) get no descriptor: they are searched inside images by
template matching (:mod:`rightsguard.screen.marks`), not compared whole.

Cost: one decode and one model run per work, once per model (the first ``check`` with a new
model pays for the whole registry; see docs/learned-descriptors.md for measured figures). Search
is a brute-force inner product over the unit rows with numpy, ``4·D`` bytes per work in memory
(2 KB for SSCD's 512-d descriptor). Measured: 100,000 random 512-d rows took 8.5 ms per query
(median of 20, one core of a shared 2-core machine); it grows linearly, so 1 million works take
about 2 GB and 85 ms, where an approximate index (not built here) would pay off.

If the index folder is not writable the descriptors are kept in memory for the life of the
object and recomputed by the next process.
"""

from __future__ import annotations

import json
import os
import secrets
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from rightsguard.errors import IndexCorruptError, InputError
from rightsguard.index.blobs import MANIFEST, blob_entry, drop_unlisted, read_blob, read_manifest
from rightsguard.index.registry import Registry

if TYPE_CHECKING:
    from typing import Protocol

    class OnnxDescriptor(Protocol):
        """What the store needs of a descriptor: an
        :class:`~rightsguard.fingerprint.image_embed.OnnxDescriptor` or the built-in
        :class:`~rightsguard.fingerprint.image_layout.LayoutDescriptor`."""

        @property
        def kind(self) -> str: ...
        @property
        def model_id(self) -> str: ...
        @property
        def dim(self) -> int: ...
        def settings(self) -> dict[str, Any]: ...
        def embed(self, rgb: Any, *, name: str = ...) -> Any: ...

__all__ = ["EMBED_FORMAT", "EMBED_FORMAT_VERSION", "EmbeddingStore", "embed_folder"]

EMBED_FORMAT = "rightsguard.image-embeddings"
EMBED_FORMAT_VERSION = 1

F32 = npt.NDArray[np.float32]
I64 = npt.NDArray[np.int64]


def embed_folder(index_folder: Path, model: OnnxDescriptor) -> Path:
    """``<index folder>/images/embed/<kind>-<model_id>``: where ``model``'s cache lives."""
    return index_folder / "images" / "embed" / f"{model.kind}-{model.model_id}"


def _write(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` atomically: a uniquely named temp file, fsync, rename."""
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    try:
        with open(tmp, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


class EmbeddingStore:
    """One model's descriptors of the registered image works (see the module docstring).

    Cheap to construct; :meth:`refresh` loads, builds or catches up the cache (call it with the
    registry generation the caller reads at) and :meth:`search` ranks works by cosine.
    Not thread-safe.
    """

    def __init__(self, index_folder: Path, registry: Registry, model: OnnxDescriptor) -> None:
        self.folder = embed_folder(index_folder, model)
        self.registry = registry
        self.model = model
        self.docs: I64 = np.zeros(0, np.int64)
        self.vectors: F32 = np.zeros((0, model.dim), np.float32)
        self.last_doc = 0
        self.skipped: list[dict[str, Any]] = []
        self._loaded = False
        self._generation: int | None = None

    def __len__(self) -> int:
        return int(self.docs.shape[0])

    # -- cache ---------------------------------------------------------------------------------
    def refresh(self, generation: int | None = None) -> int:
        """Load the cache once (rebuilt when missing or untrustworthy), then embed the works
        registered since; save when anything changed. Returns the number of works embedded by
        this call (0 when the cache was current).

        ``generation``: the registry generation the caller reads at; when it equals the one of
        the last call nothing is asked of the registry (the per-image path). None always
        catches up. Raises IndexCorruptError naming the work when a stored file no longer
        decodes; ConfigError from the model if ONNX Runtime fails."""
        if self._loaded and generation is not None and generation == self._generation:
            return 0
        if not self._loaded:
            self._load_or_reset()
            self._loaded = True
        added = self._catch_up()
        self._generation = generation
        return added

    def _load_or_reset(self) -> None:
        for _attempt in range(2):  # a concurrent save may delete the file we were about to read
            try:
                self._load()
                return
            except IndexCorruptError:
                continue
        self.docs = np.zeros(0, np.int64)
        self.vectors = np.zeros((0, self.model.dim), np.float32)
        self.last_doc = 0
        self.skipped = []

    def _load(self) -> None:
        """Read the saved cache; IndexCorruptError (naming the file) if it cannot be trusted."""
        settings = self.model.settings()
        manifest = read_manifest(
            self.folder, lambda m: m.get("format") == EMBED_FORMAT
            and m.get("version") == EMBED_FORMAT_VERSION and m.get("model") == settings,
            f"a {EMBED_FORMAT} v{EMBED_FORMAT_VERSION} manifest of this model and preprocessing")
        try:
            (name, meta), = manifest["files"].items()
            data = read_blob(self.folder, name, meta)
            rows, dim = int(manifest["rows"]), int(self.model.dim)
            if len(data) != rows * (8 + 4 * dim):
                raise IndexCorruptError(f"{self.folder / name}: {len(data)} bytes, not "
                                        f"{rows} rows of {dim} dimensions")
            docs = np.frombuffer(data, "<i8", rows).astype(np.int64)
            vectors = np.frombuffer(data, "<f4", rows * dim, 8 * rows).astype(np.float32)
            last_doc = int(manifest["last_doc"])
            skipped = list(manifest["skipped"])
        except IndexCorruptError:
            raise
        except (OSError, KeyError, TypeError, ValueError, AttributeError) as exc:
            raise IndexCorruptError(f"{self.folder}: unreadable descriptor cache: {exc}") from exc
        vectors = vectors.reshape(rows, dim)
        norms = np.linalg.norm(vectors, axis=1)
        if rows and (not np.all(np.abs(norms - 1.0) < 1e-3) or np.any(np.diff(docs) <= 0)
                     or int(docs[-1]) > last_doc):
            raise IndexCorruptError(f"{self.folder}: rows are not unit vectors of increasing "
                                    "documents")
        self.docs, self.vectors, self.last_doc, self.skipped = docs, vectors, last_doc, skipped

    def _catch_up(self) -> int:
        from rightsguard.fingerprint.image import DEFAULT_MAX_PIXELS, decode_image

        new = [doc for doc, _h in self.registry.image_hashes(after=self.last_doc)]
        if not new:
            return 0
        docs: list[int] = []
        rows: list[F32] = []
        for start in range(0, len(new), 200):
            chunk = new[start:start + 200]
            works = self.registry.works(chunk)
            prints = self.registry.image_prints(chunk)
            for doc in chunk:
                row, stored = works.get(doc), prints.get(doc)
                if row is None or stored is None or row.work.kind == "mark":
                    continue  # purged meanwhile, or a mark (no descriptor: see the module doc)
                name = f"work {row.work.work_id} ({row.work.title})"
                try:
                    image = decode_image(self.registry.content(doc), name=name, max_pixels=max(
                        DEFAULT_MAX_PIXELS, stored.width * stored.height))
                except InputError as exc:  # it decoded when it was registered
                    raise IndexCorruptError(f"stored image of {name} cannot be decoded: "
                                            f"{exc}") from exc
                try:
                    rows.append(self.model.embed(image.rgb, name=name))
                except InputError as exc:  # e.g. a zero descriptor: this work cannot be compared
                    self.skipped.append({"doc": doc, "work_id": row.work.work_id,
                                         "problem": str(exc)})
                    continue
                docs.append(doc)
        self.last_doc = new[-1]
        if docs:
            self.docs = np.concatenate([self.docs, np.asarray(docs, np.int64)])
            self.vectors = np.concatenate([self.vectors, *rows]).astype(np.float32)
        self._save()
        return len(docs)

    def _save(self) -> None:
        """Write the cache crash-safely; an unwritable index folder keeps it in memory only."""
        token = secrets.token_hex(6)
        name = f"embed.{token}.bin"
        data = (np.ascontiguousarray(self.docs, "<i8").tobytes()
                + np.ascontiguousarray(self.vectors, "<f4").tobytes())
        manifest = {"format": EMBED_FORMAT, "version": EMBED_FORMAT_VERSION,
                    "model": self.model.settings(), "last_doc": self.last_doc,
                    "rows": len(self), "skipped": self.skipped,
                    "files": {name: blob_entry(data)}}
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            _write(self.folder / name, data)
            _write(self.folder / MANIFEST,
                   json.dumps(manifest, indent=2, sort_keys=True).encode("utf-8"))
            drop_unlisted(self.folder, (name,), keep_temporary=True)  # readers save it too
        except OSError:
            return  # a read-only index: this process keeps the descriptors in memory

    # -- query ---------------------------------------------------------------------------------
    def search(self, query: npt.ArrayLike, *, k: int, min_cosine: float,
               exclude: Iterable[int] = ()) -> list[tuple[int, float]]:
        """Works whose descriptor has a cosine above ``min_cosine`` (strictly) with ``query``
        (``(D,)`` or ``(1, D)``, any float, normalised here), best first (ties: lower document),
        at most ``k``, ``exclude`` documents left out: ``[(doc, cosine)]`` with cosines in
        ``[-1, 1]``. Call :meth:`refresh` first. ValueError for another shape or a zero query."""
        q = np.asarray(query, np.float64).reshape(-1)
        if q.shape != (self.model.dim,):
            raise ValueError(f"query of shape {np.shape(query)}, this model's descriptors are "
                             f"({self.model.dim},)")
        norm = float(np.linalg.norm(q))
        if not np.isfinite(norm) or norm <= 0:
            raise ValueError("a zero or non-finite query has no cosine")
        if not len(self) or k < 1:
            return []
        sims = np.clip(self.vectors @ (q / norm).astype(np.float32), -1.0, 1.0)
        keep = sims > min_cosine
        skip = np.fromiter((int(d) for d in exclude), np.int64)
        if skip.size:
            keep &= ~np.isin(self.docs, skip)
        idx = np.flatnonzero(keep)
        order = idx[np.lexsort((self.docs[idx], -sims[idx]))][:k]
        return [(int(self.docs[i]), float(sims[i])) for i in order]
