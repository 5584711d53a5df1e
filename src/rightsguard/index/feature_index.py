"""Candidate works by local-feature votes: visual words in an inverted file of work numbers.

Why this channel: the PDQ variants (:mod:`rightsguard.index.images`) find a copy only when the
query lines up with one of a work's stored variants (37 then: 29 of them crops; 8 since
2026-12-01, these votes finding the crops). Crops that keep half of the picture,
rotations of 5–15° and screenshots (the picture small inside a window) line up with none of them:
in ``python -m bench images`` (bench/README.md, 2026-11-30) the right work was not a PDQ
candidate for 85 of 96 such 50% crops, 80 of 96 rotations and 95 of 96 screenshots. Local
features survive all three, so they vote for candidates too.

Method (bag of visual words with an inverted file, Sivic & Zisserman 2003, "Video Google"; the
vocabulary is an inverted multi-index, Babenko & Lempitsky 2012, FAISS's
``MultiIndexQuantizer``):

* Vocabulary: every RootSIFT descriptor
  (:func:`~rightsguard.fingerprint.image_features.rootsift`) is split into two 64-d halves, each
  quantised to one of ``2**nbits`` k-means centroids; a visual word is the pair, so there are
  ``4**nbits`` words. ``nbits`` = :func:`nbits_for` the training rows, at most
  :data:`MAX_NBITS` (≈ 1 M words), even for a small collection: its centroids then sit on its
  own descriptors (FAISS's k-means wants 39 rows per centroid; one is enough to fit), and the
  fine words keep chance votes low. With FAISS's 39 rows per centroid, 6 photographs got
  4,096 words and rocket's half crop turned 10° was not among its three most voted works; with
  ≈ 1 M words each photograph's half crop votes for it first (scratch run, 2026-12-01; four of
  them in tests/index/test_feature_index.py).
* Postings: each work is stored once per distinct word of its descriptors (≤ 500 per work,
  :data:`~rightsguard.fingerprint.image_features.DEFAULT_N_FEATURES`), as its document number
  (4 bytes) in the word's list: ≤ 2 KB per work, against 68 KB when every descriptor was kept
  for a nearest-neighbour search (the channel's first form, which took 109 ms per query at
  2,000 works and did not fit memory at 1 M).
* Votes: each query descriptor — and, for flipped copies, its mirror permutation
  (:data:`~rightsguard.fingerprint.image_features.MIRROR_PERMUTATION`) — is assigned to its
  :data:`MULTI_ASSIGN` nearest words (multiple assignment, Jégou et al. 2010, "Improving
  bag-of-features for large scale image search"); every work listed under one of those words
  gets one vote per distinct word — not per descriptor, since flat or repetitive pictures put
  many descriptors in a few words (burstiness, Jégou, Douze & Schmid 2009, "On the burstiness of
  visual elements"): counted per descriptor, a 17-word work took 64 votes from a copy of
  another picture and ranked above it, and two icons got the 8 votes of a vote candidate from
  an unrelated icon (a newcomer's index, 2026-12-01); counted per word, bench rotate5-15 went
  from 0.963 to 0.972 and no other family moved. Words listed by more than :data:`STOP_SHARE`
  of the works (and more than :data:`STOP_MIN_WORKS`) are stop words and do not vote (Sivic &
  Zisserman §4).
  Works with at least :data:`MIN_VOTES` votes are candidates, ranked by votes ÷ √(the work's
  words) — the better of the unflipped and flipped scores. Without that normalisation, works
  with many keypoints collect more chance votes than the right work when it is a soft picture
  with few: ``python -m bench images`` (47 originals, 2026-12-01) lost 5 of 70 rotations
  (0.957 → 0.886) ranking by raw votes; normalised, every family equals the nearest-neighbour
  votes this channel replaced (tf-idf weights as well gave the same). Candidates are only a
  shortlist: feature verification (RANSAC) decides what is a copy.

Storage: the index is DERIVED from the works registry (which holds each work's features) and
cached under ``images/sift/``: ``manifest.json`` (format, parameters, the last document number
included, postings, the rows the vocabulary was trained on, and each data file's name and
SHA-256), ``vocabulary.<token>.faiss``, ``offsets.<token>.npy`` (int64, one per word and one
more) and ``docs.<token>.npy`` (uint32: word ``w`` lists ``docs[offsets[w]:offsets[w + 1]]``,
in document order). Data files are written under fresh names (temp file, fsync, rename)
before the manifest is replaced atomically; a cache that is missing, truncated, altered or from
other parameters is rebuilt from the registry, never trusted. Works added later are appended
without retraining until the rows reach :data:`RETRAIN_GROWTH` times the training rows (every
addition retrains a vocabulary fitted to fewer rows than :func:`full_sample`); then the
vocabulary is trained again. Removed works are filtered at query time (the registry's
tombstones) and dropped when the index is compacted (a rebuild).
"""

from __future__ import annotations

import io
import json
import secrets
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from rightsguard.errors import IndexCorruptError
from rightsguard.index.blobs import MANIFEST, blob_entry, drop_unlisted, read_blob, read_manifest
from rightsguard.index.segments import write_atomic

FORMAT = "rightsguard.sift-words"
FORMAT_VERSION = 1
DIM = 128
MAX_NBITS = 10
"""Centroids per half-descriptor ``2**10``: ``4**10`` ≈ 1 M visual words."""
MULTI_ASSIGN = 2
"""Words each query descriptor is assigned to (its nearest in the multi-index). Measured on
``python -m bench images --families rotate5-15 crop50 caption emoji screenshot`` (47
originals, 2026-12-01): 1 word lost one rotation of 70 (0.957 → 0.943); 2 and 3 words gave the
same recall in every family; 2 costs a third less at 1 M works."""
MIN_VOTES = 8
"""Votes (shared visual words) a work needs to be a candidate. Verification needs 12 RANSAC
inliers (:data:`rightsguard.screen.image_verify.MIN_INLIERS`), each of which is a descriptor
match, so fewer than 8 shared words rarely verifies."""
STOP_SHARE = 0.01
"""A word listed by more than this share of the works is a stop word (no votes)."""
STOP_MIN_WORKS = 64
"""… and by more than this many works (small collections have no stop words)."""
RETRAIN_GROWTH = 4
"""Rows may grow to this multiple of the training rows before the vocabulary is trained again."""
TRAIN_ITERATIONS = 10
"""k-means iterations of the vocabulary (FAISS's default 25): training on the full sample
takes 1.9 s instead of 4.9 s (one thread), and ``python -m bench images --families rotate5-15
crop50 caption emoji screenshot`` (68 originals, 2026-12-01) gave the same recall in every
family and no false positive."""
_TRAIN_PER_CENTROID = 64  # training sample: at most this many rows per half-centroid
_SEED = 1234

U32 = npt.NDArray[np.uint32]
I64 = npt.NDArray[np.int64]
F32 = npt.NDArray[np.float32]


def nbits_for(rows: int) -> int:
    """Bits per half-descriptor for a vocabulary trained on ``rows`` descriptors:
    ``floor(log2(rows))`` (k-means needs a row per centroid), between 1 and :data:`MAX_NBITS`."""
    return int(min(MAX_NBITS, max(1, np.floor(np.log2(max(rows, 2))))))


def full_sample() -> int:
    """Training rows a vocabulary of :data:`MAX_NBITS` wants (``64 · 2**MAX_NBITS``); until
    it was trained on as many, every addition retrains it (cheap at that size), because words
    fitted to few rows split the rows of works added later badly."""
    return _TRAIN_PER_CENTROID << MAX_NBITS


@dataclass(frozen=True, slots=True)
class FeatureCandidate:
    """A work listed under ``votes`` distinct visual words of the query's descriptors
    (``flipped``: of the mirrored descriptors); ``score`` = votes ÷ √(the work's words), the
    cosine normalisation of bag-of-words retrieval (Sivic & Zisserman 2003 §4), by which
    candidates are ranked."""

    doc: int
    votes: int
    flipped: bool = False
    score: float = 0.0


def _train_vocabulary(sample: F32, nbits: int) -> Any:
    """A ``MultiIndexQuantizer`` of ``2 × nbits`` bits trained on RootSIFT rows ``sample``
    (seeded, :data:`TRAIN_ITERATIONS` k-means iterations: the same rows give the same words)."""
    import faiss

    vocabulary = faiss.MultiIndexQuantizer(DIM, 2, nbits)
    vocabulary.pq.cp.seed = _SEED
    vocabulary.pq.cp.min_points_per_centroid = 1  # small collections: no warning
    vocabulary.pq.cp.niter = TRAIN_ITERATIONS
    vocabulary.train(np.ascontiguousarray(sample))
    return vocabulary


def _npy(array: npt.NDArray[Any]) -> bytes:
    buffer = io.BytesIO()
    np.save(buffer, array, allow_pickle=False)
    return buffer.getvalue()


class FeatureIndex:
    """Visual words of image works' SIFT descriptors in an inverted file of document numbers.

    Build with :meth:`build`, extend with :meth:`append`, query with :meth:`candidates`,
    persist with :meth:`save` / :meth:`load`. Not thread-safe for writes."""

    def __init__(self, vocabulary: Any, offsets: I64 | None = None, docs: U32 | None = None,
                 *, last_doc: int, trained_rows: int, appended_rows: int = 0, works: int = 0
                 ) -> None:
        self._vocabulary = vocabulary  # faiss.MultiIndexQuantizer, or None (nothing trained)
        # the inverted file: word w lists the documents docs[offsets[w]:offsets[w + 1]]
        self._offsets = np.zeros(self.words + 1, np.int64) if offsets is None else offsets
        self._docs = np.zeros(0, np.uint32) if docs is None else docs
        self._stop: npt.NDArray[np.bool_] | None = None
        self._lengths: npt.NDArray[np.int64] | None = None
        self.last_doc = last_doc
        self.trained_rows = trained_rows
        self.appended_rows = appended_rows  # rows listed since the vocabulary was trained
        self.works = works  # works listed (the stop-word share is of these)

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
    def build(cls, items: Iterable[tuple[int, bytes]] | Callable[[], Iterable[tuple[int, bytes]]],
              *, last_doc: int = 0, chunk: int = 10_000) -> FeatureIndex:
        """Train the vocabulary on the rows of ``items`` (``(doc, stored features)`` in document
        order) and list them all. ``last_doc``: the highest document the caller has read (rows
        of marks included), kept so a later catch-up starts after it.

        Streams in two passes, so memory stays at the training sample (≤ 32 MB) and the
        postings (4 bytes each), whatever the collection's size: the first draws the training
        sample (a seeded reservoir of :func:`full_sample` rows), the second lists the works,
        ``chunk`` works at a time. ``items``: a function returning the items afresh (the
        registry's query), or a collection iterated twice; a one-shot iterator is read into a
        list first."""

        if callable(items):
            source = items
        else:
            again = items if iter(items) is not items else list(items)
            source = lambda: again  # noqa: E731 (a collection: iterate it again)
        rng = np.random.default_rng(_SEED)
        reservoir = np.zeros((full_sample(), DIM), np.float32)
        n = 0
        for doc, x in cls.rows_of(source()):
            last_doc = max(last_doc, doc)
            m = int(x.shape[0])
            fill = max(0, min(m, full_sample() - n))
            reservoir[n:n + fill] = x[:fill]
            if fill < m:  # Algorithm R: row i replaces a random slot with chance cap / (i + 1)
                slot = rng.integers(0, np.arange(n + fill, n + m) + 1)
                keep = slot < full_sample()
                reservoir[slot[keep]] = x[fill:][keep]
            n += m
        if n < 2:
            return cls(None, last_doc=last_doc, trained_rows=0)
        nbits = nbits_for(n)
        sample = reservoir[:min(n, full_sample())]
        cap = _TRAIN_PER_CENTROID << nbits
        if sample.shape[0] > cap:
            sample = sample[np.sort(rng.choice(sample.shape[0], cap, replace=False))]
        vocabulary = _train_vocabulary(sample, nbits)
        del reservoir, sample
        index = cls(vocabulary, last_doc=last_doc, trained_rows=n)
        batch: list[tuple[int, F32]] = []
        for item in cls.rows_of(source()):
            batch.append(item)
            if len(batch) >= chunk:
                index.append(batch, last_doc=last_doc)
                batch = []
        index.append(batch, last_doc=last_doc)
        index.appended_rows = 0
        return index

    def needs_retraining(self, extra_rows: int = 0) -> bool:
        """True when the vocabulary was trained on too few rows for the rows it would hold."""
        rows = self.trained_rows + self.appended_rows + extra_rows
        if self._vocabulary is None:
            return rows >= 2
        if rows > self.trained_rows and self.trained_rows < full_sample():
            return True  # a vocabulary fitted to fewer rows than it wants: refit on them all
        return rows > RETRAIN_GROWTH * self.trained_rows

    def append(self, items: Iterable[tuple[int, F32]], *, last_doc: int) -> int:
        """List ``(doc, rootsift rows)`` under their words without retraining; returns the rows
        read. Documents must come after those already listed (the registry's order). An
        untrained index (built from fewer than 2 rows) lists nothing."""
        words: list[U32] = []
        docs: list[U32] = []
        added = 0
        for doc, x in items:
            if not x.shape[0]:
                continue
            added += int(x.shape[0])
            self.works += 1
            if self._vocabulary is None:
                continue
            w = np.unique(self._assign(x, 1)[:, 0])
            words.append(w)
            docs.append(np.full(w.shape[0], doc, np.uint32))
        if words:
            # new postings go at the end of their words' lists (one pass over the postings,
            # not a sort of them all); documents come in order, so lists stay in document order
            w, d = np.concatenate(words), np.concatenate(docs)
            order = np.lexsort((d, w))
            w, d = w[order], d[order]
            self._docs = np.insert(self._docs, self._offsets[w.astype(np.int64) + 1], d)
            grown = np.cumsum(np.bincount(w, minlength=self.words))
            self._offsets = self._offsets + np.concatenate([[0], grown])
            self._stop = self._lengths = None
        self.appended_rows += added
        self.last_doc = max(self.last_doc, last_doc)
        return added

    def with_synthetic_works(self, works: int, per_word: I64,
                             rng: np.random.Generator) -> FeatureIndex:
        """A copy listing ``works`` synthetic works beside this index's (documents
        ``last_doc + 1`` …): word ``w`` gets ``per_word[w]`` more postings, each a random one of
        them, after its own. Same vocabulary; for timing and recall at scale
        (:func:`synthetic_index`, ``python -m bench images``). Memory: 4 bytes per posting."""
        first = self.last_doc + 1
        own = np.diff(self._offsets)
        offsets = np.concatenate([[0], np.cumsum(own + per_word)]).astype(np.int64)
        docs = rng.integers(first, first + works, int(offsets[-1]), dtype=np.uint32)
        word_of = np.repeat(np.arange(self.words), own)  # each own posting where its list moved
        docs[offsets[word_of] + np.arange(own.sum()) - self._offsets[word_of]] = self._docs
        return FeatureIndex(self._vocabulary, offsets, docs, last_doc=first + works - 1,
                            trained_rows=self.trained_rows, works=self.works + works)

    def _assign(self, x: F32, m: int) -> npt.NDArray[np.uint32]:
        """The ``m`` nearest words of each row of ``x`` (``(n, m)``)."""
        labels: npt.NDArray[np.int64] = self._vocabulary.search(
            np.ascontiguousarray(x, dtype=np.float32), m)[1]
        return labels.astype(np.uint32)

    def __len__(self) -> int:
        """Postings: (word, work) pairs."""
        return int(self._docs.shape[0])

    @property
    def words(self) -> int:
        """Visual words of the vocabulary (0 when untrained)."""
        return 0 if self._vocabulary is None else 1 << (2 * int(self._vocabulary.pq.nbits))

    def listed(self, doc: int) -> int:
        """Words that list document ``doc`` (its distinct visual words; 0 when not listed)."""
        lengths = self._words_of()
        return int(lengths[doc]) if 0 <= doc < lengths.shape[0] else 0

    def _words_of(self) -> npt.NDArray[np.int64]:
        """Words listed per document (index = document number)."""
        if self._lengths is None:
            self._lengths = np.bincount(self._docs, minlength=self.last_doc + 1)
        return self._lengths

    def _stop_words(self) -> npt.NDArray[np.bool_]:
        if self._stop is None:
            limit = max(STOP_MIN_WORKS, STOP_SHARE * self.works)
            self._stop = np.diff(self._offsets) > limit
        return self._stop

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
        offsets, stop, words_of = self._offsets, self._stop_words(), self._words_of()
        skip = {int(x) for x in removed} | {int(x) for x in exclude}
        both = rootsift(np.concatenate([d, d[:, MIRROR_PERMUTATION]]))
        words = self._assign(both, MULTI_ASSIGN)
        n = d.shape[0]
        best: dict[int, FeatureCandidate] = {}
        for flipped, w in ((False, words[:n].ravel()), (True, words[n:].ravel())):
            w = np.unique(w[~stop[w]])  # each shared word votes once (burstiness)
            if not w.size:
                continue
            # every posting of every word in one array: joining the ~1,000 slices took 1.9 ms
            # at 1 M works where index arithmetic (repeat + arange + gather) took 4.4 ms
            hits = np.concatenate([self._docs[a:b] for a, b in
                                   zip(offsets[w].tolist(), offsets[w + 1].tolist(), strict=True)])
            if not hits.size:
                continue
            counts = np.bincount(hits)
            voted = np.flatnonzero(counts >= min_votes)
            scores = counts[voted] / np.sqrt(np.maximum(words_of[voted], 1))
            for doc, votes, score in zip(voted.tolist(), counts[voted].tolist(),
                                         scores.tolist(), strict=True):
                if doc not in skip and (doc not in best or score > best[doc].score):
                    best[doc] = FeatureCandidate(doc, votes, flipped, score)
        return sorted(best.values(), key=lambda c: (-c.score, c.doc))[:k]

    # -- persistence ---------------------------------------------------------------------------
    @staticmethod
    def params() -> dict[str, Any]:
        """What the stored postings and votes mean; a cache with other parameters is rebuilt."""
        return {"descriptor": "rootsift(sift)", "dim": DIM, "vocabulary": "imi2",
                "max_nbits": MAX_NBITS, "train_per_centroid": _TRAIN_PER_CENTROID,
                "train_iterations": TRAIN_ITERATIONS, "seed": _SEED}

    def save(self, folder: Path) -> None:
        """Write the index to ``folder`` crash-safely (see the module docstring)."""
        import faiss

        folder.mkdir(parents=True, exist_ok=True)
        token = secrets.token_hex(6)
        blobs = {f"{name}.{token}.npy": _npy(array)
                 for name, array in (("offsets", self._offsets), ("docs", self._docs))}
        if self._vocabulary is not None:
            blobs[f"vocabulary.{token}.faiss"] = bytes(faiss.serialize_index(self._vocabulary))
        for name, data in blobs.items():
            write_atomic(folder / name, data)
        manifest = {"format": FORMAT, "version": FORMAT_VERSION, "params": self.params(),
                    "last_doc": self.last_doc, "postings": len(self),
                    "trained_rows": self.trained_rows, "appended_rows": self.appended_rows,
                    "works": self.works,
                    "files": {name: blob_entry(data) for name, data in blobs.items()}}
        write_atomic(folder / MANIFEST,
                     json.dumps(manifest, indent=2, sort_keys=True).encode("utf-8"))
        drop_unlisted(folder, blobs, keep_temporary=False)  # only writers save it

    @classmethod
    def load(cls, folder: Path) -> FeatureIndex:
        """Read a saved index. IndexCorruptError (naming the file and the problem) when the
        manifest or a data file is missing, altered or of other parameters — callers rebuild."""
        import faiss

        manifest = read_manifest(
            folder, lambda m: m.get("format") == FORMAT and m.get("version") == FORMAT_VERSION
            and m.get("params") == cls.params(),
            f"a {FORMAT} v{FORMAT_VERSION} manifest with this rightsguard's parameters")
        blobs: dict[str, bytes] = {}
        try:
            for name, meta in manifest["files"].items():
                blobs[name.split(".", 1)[0]] = read_blob(folder, name, meta)
            offsets = np.load(io.BytesIO(blobs["offsets"]), allow_pickle=False)
            docs = np.load(io.BytesIO(blobs["docs"]), allow_pickle=False)
            vocabulary = None
            if "vocabulary" in blobs:
                vocabulary = faiss.deserialize_index(np.frombuffer(blobs["vocabulary"],
                                                                   np.uint8))
            last_doc, trained = int(manifest["last_doc"]), int(manifest["trained_rows"])
            appended, works = int(manifest["appended_rows"]), int(manifest["works"])
        except IndexCorruptError:
            raise
        except (OSError, KeyError, TypeError, ValueError, RuntimeError) as exc:
            raise IndexCorruptError(f"{folder}: unreadable feature index: {exc}") from exc
        if vocabulary is not None and (not isinstance(vocabulary, faiss.MultiIndexQuantizer)
                                       or vocabulary.d != DIM):
            raise IndexCorruptError(f"{folder}: not a {DIM}-d multi-index vocabulary")
        words = 0 if vocabulary is None else 1 << (2 * int(vocabulary.pq.nbits))
        if docs.dtype != np.uint32 or docs.shape != (manifest["postings"],) or \
                offsets.dtype != np.int64 or offsets.shape != (words + 1,) or \
                offsets[0] != 0 or offsets[-1] != docs.shape[0] or np.any(np.diff(offsets) < 0):
            raise IndexCorruptError(f"{folder}: inverted file of {offsets.shape[0]} offsets and "
                                    f"{docs.shape[0]} postings does not fit a vocabulary of "
                                    f"{words} words and the manifest's {manifest['postings']}")
        return cls(vocabulary, offsets, docs, last_doc=last_doc, trained_rows=trained,
                   appended_rows=appended, works=works)


@dataclass(frozen=True, slots=True)
class VoteTiming:
    """:func:`measure_votes`' figures: works and postings listed, build seconds (training
    included), milliseconds per query image (median and p95), saved bytes."""

    works: int
    rows: int
    build_s: float
    ms: float
    p95_ms: float
    bytes: int


def synthetic_index(works: int, *, per_work: int = 500, seed: int = 0,
                    train_works: int = 2000) -> FeatureIndex:
    """A vote index of ``works`` synthetic works of ``per_work`` visual words each, for timing.

    The vocabulary is trained on ``train_works`` × 500 random SIFT-like descriptors; the
    postings are ``works`` × ``per_work`` words drawn with the frequencies at which those random
    rows fall in the words, each listing a random document, so the lists fill as the
    vocabulary splits such rows (real collections differ in their votes, not in the work per
    query). Memory: about 4 bytes per posting."""

    from rightsguard.fingerprint.image_features import rootsift

    rng = np.random.default_rng(seed)
    n = train_works * 500
    sample = rootsift(rng.integers(0, 256, (n, DIM), dtype=np.uint8))
    empty = FeatureIndex(_train_vocabulary(sample, nbits_for(n)), last_doc=0, trained_rows=n)
    share = np.bincount(empty._assign(sample, 1)[:, 0], minlength=empty.words) / n
    del sample
    index = empty.with_synthetic_works(works, rng.multinomial(works * per_work, share), rng)
    index._stop_words()
    index._words_of()
    return index


def measure_votes(works: int, *, per_work: int = 500, queries: int = 20,
                  seed: int = 0, train_works: int = 2000, query_descriptors: int = 500
                  ) -> VoteTiming:
    """Time :meth:`FeatureIndex.candidates` over :func:`synthetic_index` (``works``,
    ``per_work``, ``train_works``). Each query is ``query_descriptors`` random descriptors
    (searched as given and mirrored). One FAISS thread. Used by ``python -m bench images``."""
    import time

    import faiss

    faiss.omp_set_num_threads(1)
    rng = np.random.default_rng(seed + 1)
    t0 = time.perf_counter()
    index = synthetic_index(works, per_work=per_work, seed=seed, train_works=train_works)
    build_s = time.perf_counter() - t0
    times = []
    for _ in range(queries):
        q = rng.integers(0, 256, (query_descriptors, DIM), dtype=np.uint8)
        t = time.perf_counter()
        index.candidates(q, k=8)
        times.append((time.perf_counter() - t) * 1000)
    size = int(index._offsets.nbytes + index._docs.nbytes)
    return VoteTiming(works, len(index), build_s, float(np.median(times)),
                      float(np.percentile(times, 95)), size)
