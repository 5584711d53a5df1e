"""Candidate works by local-feature votes: an inverted file over the stored SIFT descriptors.

Why a second candidate channel: the PDQ variants (:mod:`rightsguard.index.images`) find a copy
only when the query lines up with one of a work's 37 stored variants. Crops that keep half of the
picture, rotations of 5–15° and screenshots (the picture small inside a window) line up with none
of them: in ``python -m bench images`` (bench/README.md, 2026-11-30) the right work was not a PDQ
candidate for 85 of 96 such 50% crops, 80 of 96 rotations and 95 of 96 screenshots, while SIFT
verification would have confirmed 69–73 of ~90 misses per family had it been asked. Local
features survive all three, so they vote for candidates too.

Method (bag of visual words with an inverted file, Sivic & Zisserman 2003, "Video Google"; the
vocabulary is FAISS's coarse k-means quantiser):

* Rows: every stored SIFT descriptor of every image work (≤ 500 per work,
  :data:`rightsguard.fingerprint.image_features.DEFAULT_N_FEATURES`) as RootSIFT (unit L2 norm,
  :func:`~rightsguard.fingerprint.image_features.rootsift`) in a FAISS
  ``IndexIVFScalarQuantizer`` (8 bits per component: RootSIFT components lie in ``[0, 1]``, so
  the quantisation error is below 0.004 per component) with
  ``nlist = max(1, min(2·√rows, rows / 39, 65536))`` lists (FAISS's k-means wants ≥ 39 training
  points per centroid) and ``nprobe`` = :data:`NPROBE`. Each row's FAISS id is its work's
  document number. Memory: 136 bytes per row (128 codes + an 8-byte id), about 68 KB per work.
* Votes: each query descriptor — and, for flipped copies, its mirror permutation
  (:data:`~rightsguard.fingerprint.image_features.MIRROR_PERMUTATION`) — finds its nearest
  stored row; if the squared L2 distance is below :data:`VOTE_DISTANCE` the row's work gets one
  vote. Works are ranked by votes (the better of the unflipped and flipped counts); those with
  at least :data:`MIN_VOTES` are candidates. Candidates are only a shortlist: feature
  verification (RANSAC) decides what is a copy.

Measured on 16 of scikit-image's photographs (a scratch run: 50% crops, rotations of 5–15°,
screenshot framing; IVF as above): the right work was ranked first for every photograph with
keypoints (55–471 votes) except retina (ranked second), against at most 55 votes for another work;
the horse silhouette has no keypoints. Query cost: 500 descriptors against 26,500 rows (53 works)
took 6 ms (one thread), against 265,000 rows 18 ms; a flat scan of 26,500 rows took 215 ms.

Storage: the index is DERIVED from the works registry (which holds each work's features) and
cached under ``images/sift/``: ``manifest.json`` (format, parameters, the last document number
included, rows, the rows the quantiser was trained on, and each data file's name and SHA-256),
``ivf.<token>.faiss``. Data files are written under fresh names (temp
file, fsync, rename) before the manifest is replaced atomically; a cache that is missing,
truncated, altered or from other parameters is rebuilt from the registry, never trusted. Works
added later are appended without retraining until the rows reach :data:`RETRAIN_GROWTH` times the
training rows; then the quantiser is trained again. Removed works are filtered at query time
(the registry's tombstones) and dropped when the index is compacted (a rebuild).
"""

from __future__ import annotations

import hashlib
import json
import secrets
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from rightsguard.errors import IndexCorruptError
from rightsguard.index.segments import write_atomic

FORMAT = "rightsguard.sift-votes"
FORMAT_VERSION = 1
DIM = 128
NPROBE = 8
"""Inverted lists searched per query descriptor (of ``nlist``). 8 of ~325 lists at 53 works."""
VOTE_DISTANCE = 0.25
"""Squared L2 distance between RootSIFT rows (= 2 − 2·cosine, so cosine ≥ 0.875) below which a
nearest stored descriptor votes. Measured in the scratch run above: 0.25 and 0.35 ranked the same
works first; 0.25 gave other works fewer chance votes (at most 46 vs 55)."""
MIN_VOTES = 8
"""Votes a work needs to be a candidate. Verification needs 12 RANSAC inliers
(:data:`rightsguard.screen.image_verify.MIN_INLIERS`), each of which is a descriptor match, so
fewer than 8 votes rarely verifies; 8 leaves room for matches the IVF probe misses."""
RETRAIN_GROWTH = 4
"""Rows may grow to this multiple of the training rows before the quantiser is trained again."""
_TRAIN_PER_LIST = 64  # training sample: at most this many rows per list (FAISS's k-means caps 256)
_SEED = 1234

I64 = npt.NDArray[np.int64]
F32 = npt.NDArray[np.float32]


def nlist_for(rows: int) -> int:
    """Inverted lists for ``rows`` stored descriptors (see the module docstring)."""
    return max(1, min(int(2 * np.sqrt(rows)), rows // 39, 65536))


@dataclass(frozen=True, slots=True)
class FeatureCandidate:
    """A work with ``votes`` query descriptors whose nearest stored descriptor is one of its own
    (``flipped``: the votes came from the mirrored query descriptors)."""

    doc: int
    votes: int
    flipped: bool = False


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


class FeatureIndex:
    """RootSIFT rows of image works in a FAISS IVF index, with their document numbers.

    Build with :meth:`build`, extend with :meth:`append`, query with :meth:`candidates`,
    persist with :meth:`save` / :meth:`load`. Not thread-safe for writes."""

    def __init__(self, index: Any, *, last_doc: int, trained_rows: int) -> None:
        self._index = index
        self.last_doc = last_doc
        self.trained_rows = trained_rows

    # -- building ------------------------------------------------------------------------------
    @staticmethod
    def rows_of(items: Iterable[tuple[int, bytes]]) -> Iterator[tuple[int, F32]]:
        """``(doc, rootsift rows)`` of ``(doc, stored features)``; marks (empty) are passed over.
        IndexCorruptError (naming the document) for features that do not parse."""
        from rightsguard.fingerprint.image_features import LocalFeatures, rootsift

        for doc, blob in items:
            if not blob:
                continue
            feats = LocalFeatures.from_bytes(blob, name=f"document {doc}")
            if len(feats):
                yield doc, rootsift(feats.descriptors)

    @classmethod
    def build(cls, items: Iterable[tuple[int, bytes]], *, last_doc: int = 0) -> FeatureIndex:
        """Train the quantiser on the rows of ``items`` (``(doc, stored features)`` in document
        order) and add them all. ``last_doc``: the highest document the caller has read (rows of
        marks included), kept so a later catch-up starts after it."""
        import faiss

        rows: list[F32] = []
        docs: list[I64] = []
        for doc, x in cls.rows_of(items):
            rows.append(x)
            docs.append(np.full(x.shape[0], doc, np.int64))
            last_doc = max(last_doc, doc)
        data = np.concatenate(rows) if rows else np.zeros((0, DIM), np.float32)
        n = int(data.shape[0])
        nlist = nlist_for(max(n, 1))
        quantiser = faiss.IndexFlatL2(DIM)
        index = faiss.IndexIVFScalarQuantizer(quantiser, DIM, nlist,
                                              faiss.ScalarQuantizer.QT_8bit, faiss.METRIC_L2)
        index.nprobe = min(NPROBE, nlist)
        if n:
            sample = data
            if n > _TRAIN_PER_LIST * nlist:
                pick = np.random.default_rng(_SEED).choice(n, _TRAIN_PER_LIST * nlist,
                                                           replace=False)
                sample = data[np.sort(pick)]
            index.cp.seed = _SEED
            index.cp.min_points_per_centroid = 1  # small collections: no warning, same result
            index.train(np.ascontiguousarray(sample))
            index.add_with_ids(np.ascontiguousarray(data), np.concatenate(docs))
        return cls(index, last_doc=last_doc, trained_rows=n)

    def needs_retraining(self, extra_rows: int = 0) -> bool:
        """True when the quantiser was trained on too few rows for the rows it would hold."""
        rows = len(self) + extra_rows
        return rows > 0 and (not self._index.is_trained
                             or rows > RETRAIN_GROWTH * max(self.trained_rows, 1))

    def append(self, items: Iterable[tuple[int, F32]], *, last_doc: int) -> int:
        """Add ``(doc, rootsift rows)`` without retraining; returns the rows added."""
        added = 0
        for doc, x in items:
            if not x.shape[0]:
                continue
            self._index.add_with_ids(np.ascontiguousarray(x, dtype=np.float32),
                                     np.full(x.shape[0], doc, np.int64))
            added += int(x.shape[0])
        self.last_doc = max(self.last_doc, last_doc)
        return added

    def __len__(self) -> int:
        return int(self._index.ntotal)

    # -- query ---------------------------------------------------------------------------------
    def candidates(self, descriptors: npt.NDArray[np.uint8], *, k: int,
                   removed: Iterable[int] = (), min_votes: int = MIN_VOTES,
                   exclude: Iterable[int] = ()) -> list[FeatureCandidate]:
        """Works voted for by a query's SIFT ``descriptors`` (uint8 ``(n, 128)``, as
        :func:`~rightsguard.fingerprint.image_features.extract_features` gives them): at most
        ``k``, most votes first (ties: lower document number), each with at least ``min_votes``;
        ``removed`` and ``exclude`` documents left out. ValueError for another shape."""
        from rightsguard.fingerprint.image_features import MIRROR_PERMUTATION, rootsift

        d = np.asarray(descriptors)
        if d.ndim != 2 or d.shape[1] != DIM or d.dtype != np.uint8:
            raise ValueError(f"descriptors: expected uint8 (n, {DIM}), got {d.dtype} {d.shape}")
        if not len(self) or not d.shape[0]:
            return []
        skip = {int(x) for x in removed} | {int(x) for x in exclude}
        best: dict[int, FeatureCandidate] = {}
        for flipped, q in ((False, d), (True, d[:, MIRROR_PERMUTATION])):
            dist, rows = self._index.search(np.ascontiguousarray(rootsift(q)), 1)
            ok = (rows[:, 0] >= 0) & (dist[:, 0] < VOTE_DISTANCE)
            voted, counts = np.unique(rows[ok, 0], return_counts=True)
            for doc, votes in zip(voted.tolist(), counts.tolist(), strict=True):
                if votes >= min_votes and doc not in skip and (
                        doc not in best or votes > best[doc].votes):
                    best[doc] = FeatureCandidate(doc, votes, flipped)
        return sorted(best.values(), key=lambda c: (-c.votes, c.doc))[:k]

    # -- persistence ---------------------------------------------------------------------------
    @staticmethod
    def params() -> dict[str, Any]:
        """What the stored rows and votes mean; a cache with other parameters is rebuilt."""
        return {"descriptor": "rootsift(sift)", "dim": DIM, "codes": "sq8", "nprobe": NPROBE,
                "train_per_list": _TRAIN_PER_LIST, "seed": _SEED}

    def save(self, folder: Path) -> None:
        """Write the index to ``folder`` crash-safely (see the module docstring)."""
        import faiss

        folder.mkdir(parents=True, exist_ok=True)
        token = secrets.token_hex(6)
        blobs = {f"ivf.{token}.faiss": bytes(faiss.serialize_index(self._index))}
        for name, data in blobs.items():
            write_atomic(folder / name, data)
        manifest = {"format": FORMAT, "version": FORMAT_VERSION, "params": self.params(),
                    "last_doc": self.last_doc, "rows": len(self),
                    "trained_rows": self.trained_rows,
                    "files": {name: {"bytes": len(data), "sha256": _sha256(data)}
                              for name, data in blobs.items()}}
        write_atomic(folder / "manifest.json",
               json.dumps(manifest, indent=2, sort_keys=True).encode("utf-8"))
        for path in folder.iterdir():  # the previous save's files, and orphans of a crash
            if path.name not in blobs and path.name != "manifest.json":
                path.unlink(missing_ok=True)

    @classmethod
    def load(cls, folder: Path) -> FeatureIndex:
        """Read a saved index. IndexCorruptError (naming the file and the problem) when the
        manifest or a data file is missing, altered or of other parameters — callers rebuild."""
        import faiss

        path = folder / "manifest.json"
        try:
            manifest = json.loads(path.read_bytes())
        except (OSError, ValueError) as exc:
            raise IndexCorruptError(f"{path}: {exc}") from exc
        if not isinstance(manifest, dict) or manifest.get("format") != FORMAT or \
                manifest.get("version") != FORMAT_VERSION or \
                manifest.get("params") != cls.params():
            raise IndexCorruptError(f"{path}: not a {FORMAT} v{FORMAT_VERSION} manifest with "
                                    f"this rightsguard's parameters")
        blobs: dict[str, bytes] = {}
        try:
            for name, meta in manifest["files"].items():
                data = (folder / name).read_bytes()
                if len(data) != meta["bytes"] or _sha256(data) != meta["sha256"]:
                    raise IndexCorruptError(f"{folder / name}: {len(data)} bytes, content does "
                                            "not match the manifest's checksum")
                blobs[name.split(".", 1)[0]] = data
            index = faiss.deserialize_index(np.frombuffer(blobs["ivf"], np.uint8))
            last_doc, trained = int(manifest["last_doc"]), int(manifest["trained_rows"])
        except IndexCorruptError:
            raise
        except (OSError, KeyError, TypeError, ValueError, RuntimeError) as exc:
            raise IndexCorruptError(f"{folder}: unreadable feature index: {exc}") from exc
        if index.ntotal != manifest["rows"]:
            raise IndexCorruptError(f"{folder}: {index.ntotal} rows in the index, the manifest "
                                    f"says {manifest['rows']}")
        ivf: Any = index  # FAISS's reader returns the concrete class, owning its quantiser
        if not isinstance(ivf, faiss.IndexIVFScalarQuantizer) or ivf.d != DIM:
            raise IndexCorruptError(f"{folder}: not a {DIM}-d IVF scalar-quantiser index")
        ivf.nprobe = min(NPROBE, ivf.nlist)
        return cls(ivf, last_doc=last_doc, trained_rows=trained)


@dataclass(frozen=True, slots=True)
class VoteTiming:
    """:func:`measure_votes`' figures: rows indexed, build seconds (training included),
    milliseconds per query image (median and p95), serialized bytes."""

    works: int
    rows: int
    build_s: float
    ms: float
    p95_ms: float
    bytes: int


def measure_votes(works: int, *, per_work: int = 500, queries: int = 20,
                  seed: int = 0) -> VoteTiming:
    """Time :meth:`FeatureIndex.candidates` over ``works`` synthetic works of ``per_work`` random
    SIFT-like descriptors each (uint8, so RootSIFT rows as the index stores them); each query is
    ``per_work`` random descriptors (searched twice: as given and mirrored). Random rows fill the
    inverted lists evenly, so the time is that of real collections of the same size, not their
    votes. One FAISS thread. Used by ``python -m bench images``."""
    import time

    import faiss

    faiss.omp_set_num_threads(1)
    rng = np.random.default_rng(seed)
    from rightsguard.fingerprint.image_features import rootsift

    def batch() -> Iterator[tuple[int, F32]]:
        for doc in range(1, works + 1):
            yield doc, rootsift(rng.integers(0, 256, (per_work, DIM), dtype=np.uint8))

    t0 = time.perf_counter()
    rows = [x for _d, x in batch()]
    data = np.concatenate(rows)
    ids = np.repeat(np.arange(1, works + 1, dtype=np.int64), per_work)
    del rows
    nlist = nlist_for(data.shape[0])
    index = faiss.IndexIVFScalarQuantizer(faiss.IndexFlatL2(DIM), DIM, nlist,
                                          faiss.ScalarQuantizer.QT_8bit, faiss.METRIC_L2)
    index.cp.seed = _SEED
    pick = rng.choice(data.shape[0], min(data.shape[0], _TRAIN_PER_LIST * nlist), replace=False)
    index.train(data[np.sort(pick)])
    index.add_with_ids(data, ids)
    index.nprobe = min(NPROBE, nlist)
    built = FeatureIndex(index, last_doc=works, trained_rows=data.shape[0])
    build_s = time.perf_counter() - t0
    del data
    times = []
    for _ in range(queries):
        q = rng.integers(0, 256, (per_work, DIM), dtype=np.uint8)
        t = time.perf_counter()
        built.candidates(q, k=8)
        times.append((time.perf_counter() - t) * 1000)
    size = int(faiss.serialize_index(index).size)
    return VoteTiming(works, len(built), build_s, float(np.median(times)),
                      float(np.percentile(times, 95)), size)
