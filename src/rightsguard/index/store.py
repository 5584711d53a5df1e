"""The index folder: registry + per-channel segments + manifests, embedded and memory-mapped.

Layout of an index folder::

    index.json                       index manifest (schema version, registry URL)
    registry.sqlite                  works registry (unless a PostgreSQL URL is configured)
    channels/<channel>/manifest.json channel manifest: fingerprinter, parameters, tokenizer, seed,
                                     counts and the generation it describes
    channels/<channel>/g<gen>/       an immutable segment (see segments.py)
    channels/<channel>/stop-g<gen>.npy  noise stoplist: uint32 hashes ignored at query time

Crash safety: every write takes ``.write-lock``, writes new immutable files first, then commits
one registry transaction that makes them live and bumps the generation; manifests are rewritten
atomically after the commit and are checked against the registry on open. Nothing is ever
modified in place.
"""

from __future__ import annotations

import fcntl
import functools
import hashlib
import json
import logging
import os
import shutil
import signal
import string
import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

import numpy as np
import numpy.typing as npt
import zstandard

from rightsguard.errors import (
    IndexCorruptError,
    IndexError_,
    IndexMismatchError,
    InputError,
    LicenceError,
)
from rightsguard.fingerprint.code import CodeTokenizer
from rightsguard.index.build import WorkPrints, decode, fingerprint_text
from rightsguard.index.cache import LRU
from rightsguard.index.channels import CHANNELS, Channel
from rightsguard.index.image_store import (
    IMAGE_FINGERPRINTER,
    ImageStore,
    image_prints_of,
    work_name,
)
from rightsguard.index.registry import ImagePrints, Registry, WorkRow, Writer
from rightsguard.index.segments import Segment, verify_segment, write_atomic, write_segment
from rightsguard.index.streams import Kinds, TokenStream, decode_stream, stream_kinds
from rightsguard.index.texts import WorkText, decode_content
from rightsguard.model import LicenceCategory, Skipped, Source, Work, WorkInput

if TYPE_CHECKING:
    from concurrent.futures import ProcessPoolExecutor

    from rightsguard.index.feature_index import FeatureCandidate
    from rightsguard.index.images import Candidate

INDEX_SCHEMA = 1
#: Noise control: a fingerprint found in at least max(STOP_MIN_DOCS, STOP_FRACTION × live works)
#: works is an idiom and ignored at query time, unless a licence text or famous work has it.
STOP_MIN_DOCS = 10
STOP_FRACTION = 0.002
#: Segments a channel may have before ``add`` merges the smaller ones (see
#: :meth:`Index._merge_small_segments`).
MAX_SEGMENTS = 4
#: Postings read per fingerprint at most (after the stoplist); beyond that a hash is noise,
#: except for the postings of protected works (licence texts, famous works), always read.
MAX_POSTINGS_PER_HASH = 256

U32 = npt.NDArray[np.uint32]
I64 = npt.NDArray[np.int64]
ProgressFn = Callable[[int, int], None]  # (items done, bytes done)


class Postings(NamedTuple):
    """Answer of :meth:`Index.lookup` for query fingerprints ``hashes`` of shape ``(m,)``.

    ``query_index`` (int64), ``doc`` (uint32) and ``work_offset`` (uint32, code points) have one
    element per posting; ``unanswered`` (int64, ascending) holds the query indexes whose
    postings were not read — stoplisted as idioms, or more than :data:`MAX_POSTINGS_PER_HASH` in
    a segment — so a caller must assume any work could hold them.
    """

    query_index: I64
    doc: U32
    work_offset: U32
    unanswered: I64


@dataclass
class AddSummary:
    """What an :meth:`Index.add` did. ``skipped`` lists every item it went past, with the reason."""

    added: int = 0  # new works, and removed works registered again (live again)
    merged: int = 0  # same bytes already registered: sources/holders added to that work
    #: Works whose licence a merge changed: ``(work id, licence before, licence after,
    #: sources disagree)`` — a source registered again stating another licence replaces what it
    #: stated; sources that disagree make it their conjunction (category unknown: ``review``).
    relicensed: list[tuple[str, str, str, bool]] = field(default_factory=list)
    images: int = 0  # of ``added``, image works and marks
    #: Earlier versions of files registered again with other bytes: ``(work id, file URI,
    #: removed)``. A file holds one text at a time, so its URI leaves the work it named before;
    #: that work is removed when no source is left (``removed``), else keeps its other sources.
    superseded: list[tuple[str, str, bool]] = field(default_factory=list)
    bytes: int = 0
    skipped: list[Skipped] = field(default_factory=list)
    seconds: float = 0.0


@dataclass
class RemoveSummary:
    """What an :meth:`Index.remove_detail` did. ``removed``: works tombstoned by this call (no
    source left, or removed by work id); ``kept``: works that lost a matching source but are still
    provided by another, so stay matchable; ``sources``: source rows dropped."""

    removed: int = 0
    kept: int = 0
    sources: int = 0

    @property
    def changed(self) -> int:
        return self.removed + self.kept


# -- worker side (process pool) --------------------------------------------------------------
_WORKER_TOKENIZER: CodeTokenizer | None = None  # one per worker process, set by the initializer


def _worker_init() -> None:
    global _WORKER_TOKENIZER
    _WORKER_TOKENIZER = CodeTokenizer()


def _ready() -> None:
    """A no-op task: submitting one per worker makes the pool start its processes now."""


def _spawn_ignoring_ctrl_c(pool: ProcessPoolExecutor, workers: int) -> None:
    """Start the pool's worker processes with SIGINT ignored, which they inherit.

    Ctrl-C reaches every process of the terminal's group; the parent stops the pool (its
    tasks are short), so a worker must not die of it — mid-task or still importing, it broke
    the pool and a newcomer's ``demo`` hung after Ctrl-C. Only the main thread can change
    signal handling; elsewhere the workers start as they are."""
    import threading

    main = threading.current_thread() is threading.main_thread()
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN) if main else None
    try:
        for _ in range(workers):
            pool.submit(_ready)  # spawns a process per task while none is idle
    finally:
        if main:
            signal.signal(signal.SIGINT, previous)


def _fingerprint_item(item: WorkInput, tokenizer: CodeTokenizer) -> WorkPrints:
    text, _ = decode(item.raw)
    return fingerprint_text(text, modality=item.modality, language=item.language,
                            kind=item.kind, tokenizer=tokenizer)


def _image_prints_in_worker(item: WorkInput) -> ImagePrints | str:
    """:func:`image_prints_of`, or the problem when the image cannot be decoded."""
    try:
        return image_prints_of(item)
    except InputError as exc:
        return str(exc)


def _fingerprint_in_worker(item: WorkInput) -> WorkPrints:
    return _fingerprint_item(item, _WORKER_TOKENIZER or CodeTokenizer())


def _category(expression: str) -> LicenceCategory:
    from rightsguard.signals.licences import category_of

    try:
        return category_of(expression)
    except Exception:  # an unparseable expression is "unknown" → review, never allow
        return LicenceCategory.UNKNOWN


@lru_cache(maxsize=4096)
def _normalised(expression: str) -> str:
    """``expression`` in normalised SPDX form, so equal licences compare equal; an expression that
    does not parse is compared as written (it is categorised ``unknown`` anyway)."""
    from rightsguard.signals.licences import normalise_expression

    try:
        return normalise_expression(expression)
    except Exception:
        return expression.strip()


def _conjunction(licences: Iterable[str]) -> str:
    """One SPDX expression requiring every one of ``licences`` (each parenthesised if compound)."""
    return " AND ".join(x if " " not in x.strip() else f"({x.strip()})" for x in licences)


def _is_work_id(ref: str) -> bool:
    return len(ref) == 64 and all(c in string.hexdigits for c in ref)


def _is_id_prefix(ref: str) -> bool:
    """12 to 63 hex digits: the start of a work id (messages show the first 12)."""
    return 12 <= len(ref) < 64 and all(c in string.hexdigits for c in ref)


def _one_place(ref: str, matches: list[tuple[int, str]]) -> None:
    """Refuse ``ref``, a path matched as written (a repository path), when its sources lie in
    more than one place: the URIs differ before ``ref`` (two projects' ``src/util.py``).
    Raises InputError naming up to three of them."""
    tail = ref.strip("/")
    places = sorted({uri[:len(uri) - len(tail)] for _doc, uri in matches
                     if uri.endswith(tail) and uri != ref})
    if len(places) > 1:
        shown = ", ".join(places[:3]) + (", ..." if len(places) > 3 else "")
        raise InputError(f"{ref} names sources in {len(places)} places ({shown}): give the "
                         "file's full path, its URI or the repository URL")


def _name_of(item: object) -> str:
    """How a problem names an item handed to :meth:`Index.add`."""
    if isinstance(item, WorkInput) and isinstance(getattr(item, "source", None), Source) \
            and isinstance(item.source.uri, str):
        return work_name(item)
    return repr(item)[:80]


@functools.lru_cache(maxsize=256)
def _known_language(language: str | None) -> bool:
    """:meth:`CodeTokenizer.supported`, memoised (a Pygments look-up per work added adds up)."""
    return CodeTokenizer.supported(language)


def _problem_of(item: object, licences: dict[str, str | None]) -> str | None:
    """What is wrong with an item handed to :meth:`Index.add` (None: nothing). The importers
    build valid items; this guards the library call, where a text for ``raw``, a name for
    ``holders`` or an invalid licence had aborted a whole batch with an error naming nothing,
    or been stored as given (``holders="Jane"`` as ``('J', 'a', 'n', 'e')``)."""
    if not isinstance(item, WorkInput):
        return f"not a WorkInput: {type(item).__name__}"
    if not isinstance(item.raw, bytes | bytearray):
        return f"raw must be bytes, got {type(item.raw).__name__}"
    if not item.raw or item.raw.isspace():
        return "empty work (no bytes, or only whitespace)"
    if not isinstance(item.title, str) or not item.title.strip():
        return "title must be a non-empty string"
    if isinstance(item.holders, str) or not all(isinstance(h, str) for h in item.holders):
        return "holders must be a tuple of names (strings), not a string"
    if not isinstance(item.source, Source) or not isinstance(item.source.uri, str):
        return "source must be a Source with a URI"
    if item.modality not in ("code", "text", "image"):
        return f"modality {item.modality!r} is not code, text or image"
    if item.modality == "code" and not _known_language(item.language):
        return f"code language {item.language!r} is unknown (no tree-sitter grammar or " \
               "Pygments lexer): register it as text, or name a known language"
    if not isinstance(item.licence, str):
        return f"licence must be an SPDX expression string, got {type(item.licence).__name__}"
    if item.licence not in licences:
        from rightsguard.signals.licences import normalise_expression

        try:
            licences[item.licence] = None if normalise_expression(item.licence) else \
                "empty licence"
        except LicenceError as exc:
            licences[item.licence] = f"licence {item.licence!r} is not an SPDX expression " \
                                     f"({exc})"
    return licences[item.licence]


@dataclass
class VerifyReport:
    """:meth:`Index.verify`'s findings: what was read, and each problem (naming the file)."""

    segments: int = 0
    postings: int = 0
    works: int = 0
    problems: list[str] = field(default_factory=list)


def document_frequencies(segments: Sequence[Segment], removed: U32) -> tuple[U32, I64]:
    """Every hash of ``segments`` with its document frequency — the number of live documents
    (not in ``removed``) holding it: ``(hashes, counts)``, hashes ascending and unique.

    Linear passes, no hashing or sorting of postings: a segment's postings are sorted by hash,
    then document (:func:`~rightsguard.index.segments.write_segment`), so a (hash, document)
    pair's first posting is the one whose hash or document differs from the posting before,
    and a hash's frequency is the run length of its hash among those; a document's postings
    are all in one segment (works are fingerprinted once), so frequencies add up across
    segments. On the 233 MB benchmark index, 0.02–0.24 s per channel where ``np.unique``
    over (hash, document) pairs took 0.4–4.6 s."""
    per_h: list[U32] = []
    per_n: list[I64] = []
    for seg in segments:
        h, d = seg.h, seg.d
        if removed.size:
            live = ~np.isin(d, removed)
            h, d = h[live], d[live]
        if not h.shape[0]:
            continue
        first = np.empty(h.shape[0], dtype=bool)
        first[0] = True
        np.not_equal(h[1:], h[:-1], out=first[1:])
        first[1:] |= d[1:] != d[:-1]
        hp = h[first]  # one per (hash, document), still ascending
        run = np.flatnonzero(np.concatenate(([True], hp[1:] != hp[:-1])))
        per_h.append(hp[run])
        per_n.append(np.diff(np.append(run, hp.shape[0])).astype(np.int64))
    if not per_h:
        return np.empty(0, np.uint32), np.empty(0, np.int64)
    if len(per_h) == 1:
        return per_h[0], per_n[0]
    hs, ns = np.concatenate(per_h), np.concatenate(per_n)
    order = np.argsort(hs, kind="stable")
    hs, ns = hs[order], ns[order]
    run = np.flatnonzero(np.concatenate(([True], hs[1:] != hs[:-1])))
    return hs[run], np.add.reduceat(ns, run)


class Index:
    """An index folder. Open with :meth:`open` (or :meth:`create`); cheap until first query.

    Query-side state (memory-mapped segments, stoplists, tombstones, a small LRU of decoded work
    texts) loads lazily once and stays warm for the life of the object.
    """

    def __init__(self, path: Path, registry: Registry) -> None:
        self.path = path
        self.registry = registry
        self._loaded_generation: int | None = None
        self._pinned = 0  # depth of pinned() blocks: reads skip the generation check
        self._segments: dict[str, list[Segment]] = {}
        self._stop: dict[str, U32] = {}
        self._removed: npt.NDArray[np.uint32] = np.empty(0, np.uint32)
        self._protected: npt.NDArray[np.uint32] = np.empty(0, np.uint32)  # sorted
        self._texts: LRU[int, WorkText] = LRU(64)
        self._streams: LRU[int, TokenStream | None] = LRU(256)
        self._kinds: LRU[int, Kinds | None] = LRU(256)
        self._blobs: LRU[int, bytes | None] = LRU(256)
        self._zd = zstandard.ZstdDecompressor()
        self._rows: dict[int, WorkRow] = {}
        self.images = ImageStore(path, registry)

    # -- opening ------------------------------------------------------------------------------
    @classmethod
    def create(cls, path: str | os.PathLike[str], *, registry_url: str | None = None) -> Index:
        """Create an index folder (or open it if it already is one with the same settings);
        ``~`` in ``path`` is expanded."""
        folder = Path(path).expanduser()
        if (folder / "index.json").exists():
            return cls.open(folder)
        if folder.exists() and any(folder.iterdir()):
            raise IndexError_(f"cannot create an index in {folder}: the folder is not empty and "
                              "is not a rightsguard index")
        folder.mkdir(parents=True, exist_ok=True)
        url = registry_url or f"sqlite:///{(folder / 'registry.sqlite').resolve()}"
        reg = Registry(url)
        reg.create()
        for ch in CHANNELS:
            (folder / "channels" / ch.name).mkdir(parents=True, exist_ok=True)
            cls._write_channel_manifest(folder, ch, generation=0, postings=0, stop=0)
        manifest = {"schema_version": INDEX_SCHEMA, "format": "rightsguard-index",
                    "registry": None if registry_url else "registry.sqlite",
                    "registry_url": registry_url, "channels": [c.name for c in CHANNELS]}
        write_atomic(folder / "index.json", json.dumps(manifest, indent=2).encode())
        return cls(folder, reg)

    @classmethod
    def open(cls, path: str | os.PathLike[str], *, create: bool = False) -> Index:
        """Open an index folder (``~`` in ``path`` is expanded); with ``create`` make it when
        missing.

        Raises :class:`IndexCorruptError` when the manifest or registry is unreadable and
        :class:`IndexMismatchError` when a channel was built with other settings.
        """
        folder = Path(path).expanduser()
        mpath = folder / "index.json"
        if not mpath.exists():
            if create:
                return cls.create(folder)
            raise IndexError_(f"{folder} is not a rightsguard index (no index.json); create one "
                              "with `rightsguard index add SOURCE --index DIR`")
        try:
            manifest = json.loads(mpath.read_text("utf-8"))
        except (OSError, ValueError) as exc:
            raise IndexCorruptError(f"index manifest {mpath} is unreadable: {exc}") from exc
        if manifest.get("format") != "rightsguard-index" or \
                manifest.get("schema_version") != INDEX_SCHEMA:
            raise IndexMismatchError(
                f"index {folder} has format {manifest.get('format')!r} schema "
                f"{manifest.get('schema_version')!r}; this rightsguard reads rightsguard-index "
                f"schema {INDEX_SCHEMA}")
        url = manifest.get("registry_url") or \
            f"sqlite:///{(folder / manifest.get('registry', 'registry.sqlite')).resolve()}"
        if url.startswith("sqlite") and not (folder / "registry.sqlite").exists():
            raise IndexCorruptError(f"index {folder} has no registry.sqlite")
        reg = Registry(url)
        reg.check_schema()
        for ch in CHANNELS:
            cpath = folder / "channels" / ch.name / "manifest.json"
            try:
                cman = json.loads(cpath.read_text("utf-8"))
            except (OSError, ValueError) as exc:
                raise IndexCorruptError(f"channel manifest {cpath} is unreadable: {exc}") from exc
            want = ch.describe()
            diff = [k for k, v in want.items() if cman.get("settings", {}).get(k) != v]
            if diff:
                got = {k: cman.get("settings", {}).get(k) for k in diff}
                raise IndexMismatchError(
                    f"index channel {ch.name} in {folder} was built with {got}; this rightsguard "
                    f"uses { {k: want[k] for k in diff} }. Rebuild the index: remove {folder} "
                    "and add its sources again (`rightsguard demo` rebuilds its own index when "
                    "nothing else was added to it)")
        return cls(folder, reg)

    @staticmethod
    def _write_channel_manifest(folder: Path, ch: Channel, *, generation: int, postings: int,
                                stop: int) -> None:
        data = {"schema_version": INDEX_SCHEMA, "settings": ch.describe(),
                "generation": generation, "postings": postings, "stoplist_size": stop}
        write_atomic(folder / "channels" / ch.name / "manifest.json",
                     json.dumps(data, indent=2, sort_keys=True).encode())

    # -- writing ------------------------------------------------------------------------------
    @contextmanager
    def _write_lock(self) -> Iterator[None]:
        with open(self.path / ".write-lock", "a+") as fh:
            try:
                fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                logging.getLogger("rightsguard").warning(
                    "index %s is being written by another process; waiting for its lock "
                    "(%s)", self.path, self.path / ".write-lock")
                fcntl.flock(fh, fcntl.LOCK_EX)
            try:
                self._collect_orphans()
                yield
            finally:
                self._collect_orphans()  # segments a compaction or stoplist rebuild replaced
                self._after_write()
                self.registry.checkpoint()
                fcntl.flock(fh, fcntl.LOCK_UN)

    def _collect_orphans(self) -> None:
        segs = self.registry.segments()
        stops = self.registry.stoplists()
        for ch in CHANNELS:
            live = {n for n, c, _g, _p in segs if c == ch.name} | {stops.get(ch.name, "")}
            cdir = self.path / "channels" / ch.name
            for entry in cdir.iterdir():
                if entry.name == "manifest.json" or entry.name in live:
                    continue
                if entry.is_dir():
                    shutil.rmtree(entry, ignore_errors=True)
                else:
                    entry.unlink(missing_ok=True)

    def _after_write(self) -> None:
        gen = self.registry.generation()
        segs = self.registry.segments()
        stops = self.registry.stoplists()
        for ch in CHANNELS:
            postings = sum(p for _n, c, _g, p in segs if c == ch.name)
            stop_n = 0
            if ch.name in stops:
                f = self.path / "channels" / ch.name / stops[ch.name]
                stop_n = int(np.load(f, mmap_mode="r").shape[0]) if f.exists() else 0
            self._write_channel_manifest(self.path, ch, generation=gen, postings=postings,
                                         stop=stop_n)
        self._loaded_generation = None
        self._clear_caches()

    def add(self, items: Iterable[WorkInput | Skipped], *, progress: ProgressFn | None = None,
            workers: int | None = None, batch_bytes: int = 16 << 20) -> AddSummary:
        """Register and fingerprint works; one atomic commit (and segment) per batch.

        Items that are :class:`Skipped` (from importers) are recorded and passed over. The same
        bytes registered again add their sources and holders to the existing work. The noise
        stoplist is recomputed once at the end. Returns an :class:`AddSummary`.

        ``workers`` (default: up to 2) fingerprint in spawned processes, which import the
        calling script again: call this under ``if __name__ == "__main__":`` (as with any
        ``multiprocessing`` code) or pass ``workers=1``.
        """
        summary = AddSummary()
        t0 = time.perf_counter()
        n_workers = workers if workers is not None else min(2, os.cpu_count() or 1)
        import multiprocessing  # not on the check path: import here
        from concurrent.futures import ProcessPoolExecutor

        # "spawn": workers inherit no open files, so a killed parent never leaves its write
        # lock held by orphaned workers (they exit when the parent's pipe closes)
        pool = ProcessPoolExecutor(n_workers, mp_context=multiprocessing.get_context("spawn"),
                                   initializer=_worker_init) if n_workers > 1 else None
        if pool is not None:
            _spawn_ignoring_ctrl_c(pool, n_workers)
        tokenizer = CodeTokenizer()  # in this process: parsers are made once per add, not per work
        done = 0
        try:
            with self._write_lock():
                batch: list[WorkInput] = []
                size = 0
                licences: dict[str, str | None] = {}  # expression -> problem (memoised)
                try:
                    for item in items:
                        if isinstance(item, Skipped):
                            summary.skipped.append(item)
                            continue
                        problem = _problem_of(item, licences)
                        if problem is not None:  # named, recorded, and the batch goes on
                            summary.skipped.append(Skipped(_name_of(item), problem))
                            continue
                        batch.append(item)
                        size += len(item.raw)
                        if size >= batch_bytes:
                            done = self._add_batch(batch, summary, pool, tokenizer, progress,
                                                   done)
                            batch, size = [], 0
                    if batch:
                        done = self._add_batch(batch, summary, pool, tokenizer, progress, done)
                except BaseException:
                    # Ctrl-C or an error: the batches committed stay (each is atomic), and the
                    # idiom stoplists are brought up to date for them; stale lists (2 entries
                    # where 2,265 belonged) had made every idiom a match until a compaction
                    if summary.added or summary.merged:
                        self._rebuild_stoplists()
                    raise
                self._merge_small_segments()
                self._rebuild_stoplists()
                if summary.images:  # the hash index is derived: only new images change it
                    self.images.sync()
        finally:
            if pool is not None:
                pool.shutdown(cancel_futures=True)
        summary.seconds = time.perf_counter() - t0
        return summary

    def _merge_small_segments(self) -> None:
        """Keep lookups to a few binary searches per channel: when a channel has more than
        :data:`MAX_SEGMENTS` segments (an ``add`` writes one per batch), merge all but the
        largest into one. Measured on the 233 MB benchmark index: 14 segments → 1 took the
        p50 of a 2 KB check from 5.1 to 3.6 ms (``python -m bench.latency``)."""
        segs = self.registry.segments()
        counts: dict[str, int] = defaultdict(int)
        for _n, c, _g, _p in segs:
            counts[c] += 1
        if max(counts.values(), default=0) <= MAX_SEGMENTS:
            return
        removed = np.asarray(sorted(self.registry.removed_docs()), dtype=np.uint32)
        with self.registry.transaction() as w:
            self._merge_segments(w, removed, keep_largest=True)
            w.bump_generation()

    def _add_batch(self, batch: list[WorkInput], summary: AddSummary,
                   pool: ProcessPoolExecutor | None, tokenizer: CodeTokenizer,
                   progress: ProgressFn | None, done: int) -> int:
        ids = [hashlib.sha256(it.raw).hexdigest() for it in batch]
        new: dict[str, WorkInput] = {}
        merge: list[tuple[str, WorkInput]] = []
        for wid, it in zip(ids, batch, strict=True):
            doc = self.registry.doc_of(wid)
            if doc is not None or wid in new:
                merge.append((wid, it))
            else:
                new[wid] = it
        todo = [(w, it) for w, it in new.items() if it.modality != "image"]
        images = [(w, it) for w, it in new.items() if it.modality == "image"]
        # Fingerprints arrive in order while this process registers the works already done.
        prints: Iterator[WorkPrints]
        if pool is not None and len(todo) > 8:
            prints = pool.map(_fingerprint_in_worker, [it for _w, it in todo], chunksize=16)
        else:
            prints = (_fingerprint_item(it, tokenizer) for _w, it in todo)
        image_prints: Iterator[ImagePrints | str]
        if pool is not None and len(images) > 1:
            image_prints = pool.map(_image_prints_in_worker, [it for _w, it in images])
        else:
            image_prints = (_image_prints_in_worker(it) for _w, it in images)
        categories: dict[str, LicenceCategory] = {}
        with self.registry.transaction() as w:
            gen = w.generation() + 1
            per_channel: dict[str, tuple[list[Any], list[Any], list[Any]]] = {
                c.name: ([], [], []) for c in CHANNELS}
            for (wid, it), wp in zip(todo, prints, strict=True):
                work = self._work_of(wid, it, wp, categories)
                doc = w.insert_work(work, raw=it.raw, tokens=wp.tokens,
                                    chars_nows=wp.chars_nows, tokenizer=wp.tokenizer,
                                    code_stream=wp.code_stream,
                                    generation=gen)
                for cname, (h, p) in wp.channels.items():
                    hs, ds, ps = per_channel[cname]
                    hs.append(h)
                    ds.append(np.full(h.shape[0], doc, dtype=np.uint32))
                    ps.append(p)
                summary.added += 1
                summary.bytes += len(it.raw)
            for (wid, it), ip in zip(images, image_prints, strict=True):
                if isinstance(ip, str):  # named by its whole path: a folder tree repeats names
                    summary.skipped.append(Skipped(work_name(it), ip))
                    continue
                work = self._work_of(wid, it, None, categories)
                w.insert_work(work, raw=it.raw, tokens=0, chars_nows=0,
                              tokenizer=IMAGE_FINGERPRINTER, generation=gen, image=ip)
                summary.added += 1
                summary.images += 1
                summary.bytes += len(it.raw)
            for wid, it in merge:
                found = w.find(wid)
                if found is None:  # duplicated inside this batch: registered above
                    continue
                doc, removed = found
                if removed:  # registered again after its removal: live again, as a new work
                    w.set_removed([doc], False)
                before, _ = w.licence_of(doc)
                work = self._work_of(wid, it, None, categories)
                w.add_metadata(doc, work)
                conflict = self._settle_licence(w, doc, categories)
                after, _ = w.licence_of(doc)
                if after != before:
                    summary.relicensed.append((wid, before, after, conflict))
                if removed:
                    summary.added += 1
                    summary.bytes += len(it.raw)
                    summary.images += it.modality == "image"
                else:
                    summary.merged += 1
            self._supersede(w, [(wid, it) for wid, it in (*todo, *images, *merge)],
                            summary, categories)
            for ch in CHANNELS:
                hs, ds, ps = per_channel[ch.name]
                if not hs:
                    continue
                name = f"g{gen:08d}"
                n = write_segment(self.path / "channels" / ch.name / name,
                                  np.concatenate(hs), np.concatenate(ds), np.concatenate(ps),
                                  {**ch.describe(), "generation": gen})
                w.add_segment(name, ch.name, gen, n)
            w.bump_generation()
        done += len(batch)
        if progress is not None:
            progress(done, summary.bytes)
        return done

    def _supersede(self, w: Any, items: list[tuple[str, WorkInput]], summary: AddSummary,
                   categories: dict[str, LicenceCategory]) -> None:
        """A file registered again with other bytes: its ``file://`` URI leaves the works that
        held it (an edited file's old text no longer sits there, and was cited against it). A
        work left with no source is removed; one with others keeps them (its licence recomputed
        from theirs). Only file URIs: a catalogue ``url`` may name several rows' works."""
        for wid, it in items:
            uri = it.source.uri
            if not uri.startswith("file://"):
                continue
            found = w.find(wid)
            mine = found[0] if found is not None else None
            for doc, old in w.live_works_with_source(uri):  # removed ones' sources do not count
                if doc == mine:
                    continue
                w.drop_sources(doc, [uri])
                gone = not w.source_uris(doc)
                if gone:
                    w.set_removed([doc], True)
                else:
                    self._settle_licence(w, doc, categories)
                summary.superseded.append((old, uri, gone))

    @staticmethod
    def _work_of(wid: str, it: WorkInput, wp: WorkPrints | None,
                 categories: dict[str, LicenceCategory]) -> Work:
        """The :class:`Work` of an item; ``categories`` memoises licence expression -> category."""
        modality = wp.modality if wp is not None else it.modality
        category = categories.get(it.licence)
        if category is None:
            category = categories[it.licence] = _category(it.licence)
        return Work(work_id=wid, title=it.title, holders=it.holders, licence=it.licence,
                    licence_category=category, modality=modality,
                    language=it.language if modality == "code" else None, kind=it.kind,
                    sources=(replace(it.source, licence=_normalised(it.licence)),),
                    identifiers=it.identifiers, famous=it.famous)

    @staticmethod
    def _settle_licence(w: Writer, doc: int, categories: dict[str, LicenceCategory]) -> bool:
        """Make the work's licence agree with its sources' (after sources were added or dropped);
        True when the sources disagree.

        One licence among the sources: that licence (the work's own, as first registered, is kept
        when it normalises to it). Several: the sources disagree, so the rights cannot be
        determined — the licence becomes their conjunction (``A AND B``, sources in URI order) and
        the category ``unknown``, which the screening policy answers with ``review``, naming the
        licences and their sources. No licence recorded (no source left): left as it is.
        """
        distinct = list(dict.fromkeys(lic for _u, lic in w.source_licences(doc)
                                      if lic is not None))
        if not distinct:
            return False
        current, current_cat = w.licence_of(doc)
        if len(distinct) > 1:
            combined = _conjunction(distinct)
            if (current, current_cat) != (combined, LicenceCategory.UNKNOWN):
                w.set_licence(doc, combined, LicenceCategory.UNKNOWN)
            return True
        licence = distinct[0]
        if _normalised(current) == licence:
            category = categories.get(current)
            if category is None:
                category = categories[current] = _category(current)
            if category is not current_cat:  # e.g. a conflict that removal resolved
                w.set_licence(doc, current, category)
            return False
        category = categories.get(licence)
        if category is None:
            category = categories[licence] = _category(licence)
        w.set_licence(doc, licence, category)
        return False

    def remove(self, ref: str) -> int:
        """Remove by work id or by source; returns how many works changed (0: nothing matched or
        all were removed already). See :meth:`remove_detail`."""
        return self.remove_detail(ref).changed

    def remove_detail(self, ref: str) -> RemoveSummary:
        """Remove by work id (64 hex digits, or a unique prefix of 12 or more: the work is
        tombstoned outright, whatever its sources; InputError for an ambiguous prefix) or by
        source: a file or folder path (``~`` expanded, relative to the current folder; its
        resolved ``file://`` URI, everything under a folder; also once the file is deleted), a
        URI or URI folder prefix, a repository URL, a repository path, or a catalogue row's
        ``url``. A path that names no local source and matches sources as written in more than
        one place (``src/util.py`` of two registered projects) is refused with InputError
        rather than removing them all. A source match drops those sources; a work
        is tombstoned only when no source is left, otherwise it stays matchable with its other
        sources (its licence recomputed from theirs). Works already removed are not counted.
        """
        ref = ref.strip()
        summary = RemoveSummary()
        if not ref:
            return summary
        if _is_id_prefix(ref) and not Path(ref).expanduser().exists():
            # the 12-digit ids messages show (git-style: any unique prefix of 12 or more)
            ids = self.registry.work_ids_starting(ref)
            if len(ids) > 1:
                raise InputError(f"work id {ref} is ambiguous: it starts {ids[0]}, {ids[1]}, "
                                 "...; give more digits")
            if ids:
                ref = ids[0]
        if _is_work_id(ref):
            doc = self.registry.doc_of(ref.lower())
            if doc is None:
                return summary
            with self._write_lock():
                with self.registry.transaction() as w:
                    found = w.find(ref.lower())
                    if found is None or found[1]:
                        return summary  # purged or already removed: nothing changes
                    w.set_removed([doc], True)
                    w.bump_generation()
                    summary.removed = 1
                self._rebuild_stoplists()
            return summary
        keys = [ref]
        if "://" not in ref:  # a local path, existing or deleted since, from here
            keys.insert(0, Path(ref).expanduser().resolve().as_uri())
        with self._write_lock():
            matches: list[tuple[int, str]] = []
            for key in keys:  # the local file's URI first; the text as written if it matches none
                matches = self.registry.sources_matching(key)
                if matches:
                    break
            if not matches:
                return summary
            if key == ref and "://" not in ref:
                _one_place(ref, matches)
            by_doc: dict[int, set[str]] = {}
            for doc, uri in matches:
                by_doc.setdefault(doc, set()).add(uri)
            rows = self.registry.works(by_doc)
            categories: dict[str, LicenceCategory] = {}
            with self.registry.transaction() as w:
                for doc, uris in sorted(by_doc.items()):
                    w.drop_sources(doc, uris)
                    summary.sources += len(uris)
                    row = rows.get(doc)
                    if row is None or row.removed:
                        continue  # already tombstoned: its sources go, nothing else changes
                    if {s.uri for s in row.work.sources} <= uris:
                        w.set_removed([doc], True)
                        summary.removed += 1
                    else:
                        self._settle_licence(w, doc, categories)
                        summary.kept += 1
                w.bump_generation()
            if summary.removed:
                self._rebuild_stoplists()
        return summary

    def compact(self) -> None:
        """Merge each channel's segments into one, dropping tombstoned works for good."""
        with self._write_lock():
            removed = np.asarray(sorted(self.registry.removed_docs()), dtype=np.uint32)
            with self.registry.transaction() as w:
                self._merge_segments(w, removed, keep_largest=False)
                w.purge(removed.tolist())
                w.bump_generation()
            self._rebuild_stoplists()
            self.images.compact(removed.tolist())

    def _merge_segments(self, w: Writer, removed: U32, *, keep_largest: bool) -> None:
        """Merge each channel's segments into one new segment (tombstoned works dropped).

        With ``keep_largest`` the largest segment of a channel is left as it is and only the
        others are merged — what ``add`` does when a channel has more than
        :data:`MAX_SEGMENTS`, so a large index is not rewritten for every small addition."""
        segs = self.registry.segments()
        gen = w.generation() + 1
        for ch in CHANNELS:
            mine = sorted((p, n) for n, c, _g, p in segs if c == ch.name)
            if keep_largest:
                mine = mine[:-1]
            names = [n for _p, n in mine]
            if len(names) < (2 if keep_largest else 1):
                continue
            folder = self.path / "channels" / ch.name
            loaded = [Segment.open(folder / n, {}).verified(folder / n) for n in names]
            for n in names:
                w.drop_segment(ch.name, n)
            h = np.concatenate([s.h for s in loaded])
            d = np.concatenate([s.d for s in loaded])
            p = np.concatenate([s.p for s in loaded])
            keep = ~np.isin(d, removed)
            name = f"g{gen:08d}"
            count = write_segment(self.path / "channels" / ch.name / name, h[keep], d[keep],
                                  p[keep], {**ch.describe(), "generation": gen})
            w.add_segment(name, ch.name, gen, count)

    def _rebuild_stoplists(self) -> None:
        """Recompute the per-channel noise stoplist from live document frequencies."""
        self.registry.refresh()
        n_live = self.registry.counts()["works"]
        threshold = max(STOP_MIN_DOCS, int(np.ceil(STOP_FRACTION * n_live)))
        removed = np.asarray(self.registry.removed_docs(), dtype=np.uint32)
        protected = np.asarray(self.registry.protected_docs(), dtype=np.uint32)
        segs = self.registry.segments()
        results: dict[str, U32] = {}
        for ch in CHANNELS:
            names = [n for n, c, _g, _p in segs if c == ch.name]
            if not names:
                results[ch.name] = np.empty(0, np.uint32)
                continue
            loaded = [Segment.open(self.path / "channels" / ch.name / n, {}) for n in names]
            hs, counts = document_frequencies(loaded, removed)
            stop = hs[counts >= threshold]
            if protected.size and stop.size:
                keep_h = np.unique(np.concatenate([s.h[np.isin(s.d, protected)]
                                                   for s in loaded]))
                stop = stop[~np.isin(stop, keep_h)]
            results[ch.name] = stop
        with self.registry.transaction() as w:
            gen = w.generation() + 1
            for cname, stop in results.items():
                name = f"stop-g{gen:08d}.npy"
                with open(self.path / "channels" / cname / f".{name}.tmp", "wb") as fh:
                    np.save(fh, stop)
                    fh.flush()
                    os.fsync(fh.fileno())
                os.replace(self.path / "channels" / cname / f".{name}.tmp",
                           self.path / "channels" / cname / name)
                w.set_stoplist(cname, name, gen, int(stop.shape[0]))
            w.bump_generation()

    # -- reading ------------------------------------------------------------------------------
    @contextmanager
    def pinned(self) -> Iterator[Index]:
        """Reads inside the block see one generation of the index: the registry's generation is
        checked once on entry instead of on every read (one SQL round trip per look-up adds up on
        the serving path). Writes through this object inside the block still reload."""
        self._ensure_loaded()
        self._pinned += 1
        try:
            yield self
        finally:
            self._pinned -= 1

    def _ensure_loaded(self) -> None:
        if self._pinned and self._loaded_generation is not None:
            return
        gen = self.registry.generation()
        if self._loaded_generation == gen:
            return
        segs = self.registry.segments()
        stops = self.registry.stoplists()
        self._segments = {}
        for ch in CHANNELS:
            expected = {"channel": ch.name, "k": ch.params.k, "t": ch.params.t,
                        "seed": ch.params.seed, "fingerprinter_version": ch.describe()[
                            "fingerprinter_version"]}
            self._segments[ch.name] = [
                Segment.open(self.path / "channels" / ch.name / n, expected)
                for n, c, _g, _p in segs if c == ch.name]
            if ch.name in stops:
                f = self.path / "channels" / ch.name / stops[ch.name]
                try:
                    self._stop[ch.name] = np.load(f, mmap_mode="r")
                except (OSError, ValueError, EOFError) as exc:  # EOFError: an empty file
                    raise IndexCorruptError(f"stoplist {f} is unreadable: {exc}") from exc
            else:
                self._stop[ch.name] = np.empty(0, np.uint32)
        self._removed = np.asarray(sorted(self.registry.removed_docs()), dtype=np.uint32)
        self._protected = np.asarray(sorted(self.registry.protected_docs()), dtype=np.uint32)
        self._clear_caches()
        self._loaded_generation = gen

    def lookup(self, channel: str, hashes: U32, *, stoplist: bool = True) -> Postings:
        """Postings of query fingerprints (:class:`Postings`, arrays of equal length).

        ``hashes`` are the query's 32-bit fingerprint hashes (shape ``(m,)``); ``query_index``
        indexes into it. Stoplisted hashes (unless ``stoplist`` is false), tombstoned works, and
        hashes with more than :data:`MAX_POSTINGS_PER_HASH` postings in a segment are left out;
        the query indexes of the first and last are ``unanswered`` (any work may hold them).
        The postings of protected works (licence texts, famous works) of such a common hash are
        still returned: a licence notice found in hundreds of registered files (Apache-2.0's) is
        reported as the licence text however large the index grows.
        """
        self._ensure_loaded()
        q = np.asarray(hashes, dtype=np.uint32)
        stop = self._stop.get(channel) if stoplist else None
        qi_all = np.arange(q.shape[0], dtype=np.int64)
        unanswered: list[I64] = []
        if stop is not None and stop.size and q.size:
            pos = np.searchsorted(stop, q)
            pos[pos >= stop.shape[0]] = 0
            keep = stop[pos] != q
            unanswered.append(qi_all[~keep])
            q, qi_all = q[keep], qi_all[keep]
        out_q: list[I64] = []
        out_d: list[U32] = []
        out_p: list[U32] = []
        for seg in self._segments.get(channel, []):
            n = seg.h.shape[0]
            if not n:
                continue
            lo = np.searchsorted(seg.h, q, "left")
            found = np.flatnonzero(seg.h[np.minimum(lo, n - 1)] == q)
            if not found.shape[0]:
                continue
            lo = lo[found]  # the right end only for hashes found (most miss in fresh outputs)
            counts = np.searchsorted(seg.h, q[found], "right") - lo
            over = counts > MAX_POSTINGS_PER_HASH
            if over.any():
                unanswered.append(qi_all[found[over]])
                if self._protected.shape[0]:
                    prot_q, prot_i = self._protected_postings(seg, found[over], lo[over],
                                                              counts[over], qi_all)
                    out_q.append(prot_q)
                    out_d.append(seg.d[prot_i])
                    out_p.append(seg.p[prot_i])
                keep = ~over
                found, lo, counts = found[keep], lo[keep], counts[keep]
            if int(counts.max(initial=0)) <= 1:  # one posting each: no expansion
                idx, qi = lo, qi_all[found]
            else:
                idx = np.repeat(lo - np.cumsum(counts) + counts, counts) + np.arange(
                    int(counts.sum()))
                qi = np.repeat(qi_all[found], counts)
            out_q.append(qi)
            out_d.append(seg.d[idx])
            out_p.append(seg.p[idx])
        skipped = (np.sort(np.concatenate(unanswered)) if unanswered
                   else np.empty(0, np.int64))
        if not out_q:
            return Postings(np.empty(0, np.int64), np.empty(0, np.uint32),
                            np.empty(0, np.uint32), skipped)
        qq, dd, pp = np.concatenate(out_q), np.concatenate(out_d), np.concatenate(out_p)
        if self._removed.size:
            live = ~np.isin(dd, self._removed)
            qq, dd, pp = qq[live], dd[live], pp[live]
        return Postings(qq, dd, pp, skipped)

    def _protected_postings(self, seg: Segment, found: I64, lo: I64, counts: I64, qi_all: I64
                            ) -> tuple[I64, I64]:
        """``(query indexes, posting indexes)`` of the protected works' postings among the
        ranges ``[lo[i], lo[i] + counts[i])`` of ``seg`` (one hash each; a range is sorted by
        document, so each protected document is two binary searches)."""
        qs: list[I64] = []
        idx: list[I64] = []
        for f, a, c in zip(found.tolist(), lo.tolist(), counts.tolist(), strict=True):
            docs = seg.d[a:a + c]
            first = np.searchsorted(docs, self._protected, "left")
            last = np.searchsorted(docs, self._protected, "right")
            n = last - first
            if n.any():
                pos = np.repeat(first - np.cumsum(n) + n, n) + np.arange(int(n.sum())) + a
                idx.append(pos)
                qs.append(np.full(pos.shape[0], qi_all[f], dtype=np.int64))
        if not idx:
            return np.empty(0, np.int64), np.empty(0, np.int64)
        return np.concatenate(qs), np.concatenate(idx)

    def has_postings(self, channel: str) -> bool:
        """Whether any segment of ``channel`` holds postings (an index without short works has
        none in ``text-dense``: screening then skips fingerprinting for it)."""
        self._ensure_loaded()
        return any(len(seg) for seg in self._segments.get(channel, []))

    def generation(self) -> int:
        """The registry generation this object's cached state reflects: the current one (one
        registry read), or inside :meth:`pinned` the pinned one (no read). Derived caches of
        screening stages key on it, as the image candidate indexes do."""
        self._ensure_loaded()
        assert self._loaded_generation is not None
        return self._loaded_generation

    def image_candidates(self, codes: npt.NDArray[np.uint8], *, k: int,
                         max_distance: int | None, exact: bool = False) -> list[Candidate]:
        """Image works whose stored PDQ variants are nearest any of ``codes`` (uint8 ``(m, 32)``,
        a query image's own variants): at most ``k``, best Hamming distance first, within
        ``max_distance`` bits when given; removed works left out. ``exact``: scan every row
        even when the hash index is partitioned (a rights holder's look-up)."""
        self._ensure_loaded()
        return self.images.candidates(codes, k=k, max_distance=max_distance,
                                      removed=self._removed,
                                      generation=self._loaded_generation, exact=exact)

    def image_feature_candidates(self, descriptors: npt.NDArray[np.uint8], *, k: int,
                                 exclude: Iterable[int] = (), min_votes: int | None = None
                                 ) -> list[FeatureCandidate]:
        """Image works voted for by a query image's SIFT descriptors (uint8 ``(n, 128)``): at
        most ``k``, best score first, each with at least ``min_votes`` votes (None:
        :data:`~rightsguard.index.feature_index.MIN_VOTES`), removed works and ``exclude`` left
        out (:class:`~rightsguard.index.feature_index.FeatureIndex`)."""
        self._ensure_loaded()
        return self.images.feature_candidates(descriptors, k=k, removed=self._removed,
                                              exclude=exclude, min_votes=min_votes,
                                              generation=self._loaded_generation)

    def rows(self, docs: Iterable[int]) -> dict[int, WorkRow]:
        """Registry rows for documents (cached on this object until the next write)."""
        self._ensure_loaded()
        missing = [int(d) for d in docs if int(d) not in self._rows]
        if missing:
            self._rows.update(self.registry.works(missing))
        return {int(d): self._rows[int(d)] for d in docs if int(d) in self._rows}

    def text(self, doc: int) -> str:
        """Decoded text of a work (whole; see :meth:`work_text`)."""
        return self.work_text(doc).full()

    def work_text(self, doc: int) -> WorkText:
        """A work's decoded text, decoded by pieces as they are read (large texts are stored in
        pieces, :mod:`rightsguard.index.texts`); an LRU of 64 stays warm on this object."""
        return self._texts.get(doc, lambda: WorkText(self.registry.content_blob(doc),
                                                     self._zd, lambda raw: decode(raw)[0]))

    def _clear_caches(self) -> None:
        """Forget the registry rows, texts and token streams read so far (after a write)."""
        for cache in (self._rows, self._texts, self._streams, self._kinds, self._blobs):
            cache.clear()

    def code_tokens(self, doc: int) -> TokenStream | None:
        """Stored normalised code tokens of a work (an LRU of 256 stays warm on this object);
        None for text works. Document numbers are never reused, so entries never go stale."""

        def load() -> TokenStream | None:
            blob = self._stream_blob(doc)
            return None if blob is None else decode_stream(blob, self._zd)

        return self._streams.get(doc, load)

    def _stream_blob(self, doc: int) -> bytes | None:
        """A work's stored token stream as read from the registry, once for both
        :meth:`code_kinds` and :meth:`code_tokens` (an LRU of 256)."""
        return self._blobs.get(doc, lambda: self.registry.code_stream(doc))

    def code_kinds(self, doc: int) -> Kinds | None:
        """A work's normalised code tokens as ``(vocabulary, kinds)`` (:func:`stream_kinds`:
        ``vocabulary[kinds]`` is :meth:`code_tokens`' ``norm_ids``), read without decompressing
        the token offsets; an LRU of 256 stays warm on this object. None for text works.
        Raises IndexCorruptError on a malformed stored stream."""

        def load() -> Kinds | None:
            blob = self._stream_blob(doc)
            return None if blob is None else stream_kinds(blob, self._zd)

        return self._kinds.get(doc, load)

    def verify(self, progress: Callable[[str], None] | None = None) -> VerifyReport:
        """Read the whole index and report damage (``rightsguard index verify``): the
        registry's SQLite integrity check; every live segment's file checksums and order
        (:func:`~rightsguard.index.segments.verify_segment`); every stoplist (sorted, unique);
        every work's stored source decoded (zstd frame checksums) and hashed (its SHA-256 is
        its work id) and its token stream decoded; the image indexes derived from the registry
        (:meth:`~rightsguard.index.image_store.ImageStore.damage`). ``check`` does not read all
        of this on each run, so a file damaged in place is found here. ``progress(step)``
        names each step as it starts."""
        say = progress or (lambda _step: None)
        report = VerifyReport()
        say("registry")
        report.problems.extend(self.registry.integrity_problems())
        max_doc = self.registry.max_doc()
        say("segments")
        for name, channel, _g, postings in self.registry.segments():
            report.problems.extend(verify_segment(self.path / "channels" / channel / name,
                                                  max_doc=max_doc))
            report.segments += 1
            report.postings += postings
        for channel, name in self.registry.stoplists().items():
            f = self.path / "channels" / channel / name
            try:
                stop = np.load(f, mmap_mode="r")
            except (OSError, ValueError, EOFError) as exc:
                report.problems.append(f"{f}: unreadable: {exc}")
                continue
            if stop.shape[0] > 1 and bool((stop[1:] <= stop[:-1]).any()):
                report.problems.append(f"{f}: not sorted and unique")
        say("stored works")
        zd = zstandard.ZstdDecompressor()
        for doc, work_id, content, stream in self.registry.stored():
            try:
                if hashlib.sha256(decode_content(content, zd)).hexdigest() != work_id:
                    raise IndexCorruptError("stored source's SHA-256 is not its work id")
                if stream is not None:
                    decode_stream(stream, zd)
            except IndexCorruptError as exc:
                report.problems.append(f"registry {self.registry.url}: document {doc} "
                                       f"(work {work_id[:12]}): {exc}")
            report.works += 1
        say("image indexes")
        report.problems.extend(self.images.damage())
        return report

    def info(self) -> dict[str, Any]:
        """Counts, sizes and settings, as ``rightsguard index info`` prints them."""
        self._ensure_loaded()
        counts = self.registry.counts()
        disk = sum(f.stat().st_size for f in self.path.rglob("*") if f.is_file())
        channels = {}
        for ch in CHANNELS:
            segs = self._segments.get(ch.name, [])
            channels[ch.name] = {**ch.describe(), "segments": len(segs),
                                 "postings": sum(len(s) for s in segs),
                                 "stoplist": int(self._stop.get(ch.name, np.empty(0)).shape[0])}
        images: dict[str, Any] = {"works": 0, "marks": 0, "hash_rows": 0}
        if self.images.present():
            marks = len(self.registry.image_docs(kind="mark"))
            images = {"works": len(self.registry.image_docs()) - marks, "marks": marks,
                      "hash_rows": self.images.hash_index().live_rows}
        return {"path": str(self.path), "registry": self.registry.url,
                "generation": self.registry.generation(), **counts, "disk_bytes": disk,
                "channels": channels, "images": images}

    def close(self) -> None:
        self.registry.close()
