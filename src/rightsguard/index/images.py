"""Candidate works for a query image: an on-disk FAISS binary flat index of perceptual hashes.

A :class:`HashIndex` is a folder holding rows ``(code, doc, variant)``:

* ``code`` — a binary hash of ``bits`` bits (a multiple of 8: 64 for pHash/dHash, 256 for PDQ),
  stored as ``bits / 8`` uint8 bytes in the byte and bit order of the hasher that made it;
* ``doc`` — int64, the works registry's document number of the work;
* ``variant`` — int16 >= 0, the index of the code in the work's list of stored hash variants
  (full image, dihedral variants, crops; the hasher that computes them defines the list).

Layout of the folder::

    manifest.json        format, version, kind, bits, params, generation, rows, tombstones,
                         and for each data file its name, size in bytes and SHA-256
    codes.g<gen>.npy     uint8 (rows, bits / 8)   the hashes, in row order
    docs.g<gen>.npy      int64 (rows,)            document number of each row
    variants.g<gen>.npy  int16 (rows,)            variant index of each row
    alive.g<gen>.npy     bool  (rows,)            False for tombstoned rows

``<gen>`` is the generation of the save that last changed the file; unchanged files are not
rewritten. The index describes itself (STYLE.md habit 3): opening it with another ``kind``,
``bits`` or ``params`` raises :class:`~rightsguard.errors.IndexMismatchError`; a missing,
truncated or altered data file raises :class:`~rightsguard.errors.IndexCorruptError` naming it.

Crash safety: :meth:`HashIndex.save` writes the new data files under new names (temporary file,
fsync, rename), then replaces ``manifest.json`` atomically and only then deletes the files the new
manifest no longer lists. A crash (even SIGKILL) at any point leaves the previous manifest and
every file it lists intact; files of an unfinished save are orphans that the next save deletes.
One writer at a time: ``save`` refuses (:class:`~rightsguard.errors.IndexError_`) when another
handle has saved the folder since this one was opened or saved.

Removal: FAISS's HNSW and multi-hash binary indexes cannot remove rows and the flat index removes
in O(rows), so :meth:`HashIndex.remove` tombstones rows (the ``alive`` mask); searches skip them
and over-fetch from FAISS so that tombstones never crowd out live rows;
:meth:`HashIndex.compact` drops them.

Partitioned search (:meth:`HashIndex.partition`): from :data:`PARTITION_MIN_ROWS` live rows the
image store partitions the rows into :func:`default_lists` inverted lists (FAISS binary IVF:
k-means centroids, each row in its nearest centroid's list) and a query scans only the
``lists // PROBE_SHARE`` lists nearest it (about an eighth of the rows). Two more data files
hold the partition::

    lists.g<gen>.npy      int32 (rows,)            list of each row (-1: not partitioned)
    centroids.g<gen>.npy  uint8 (lists, bits / 8)  the centroids (no rows: not partitioned)

Storing each row's list means opening never re-assigns (40 M rows × 1,024 centroids is about a
minute). An index saved before these files existed opens unpartitioned. The in-memory lists
hold a second copy of the codes (plus 8 bytes of row id per row): about 1.6 GB more for 40 M
rows. Searches with ``exact=True`` (a rights holder's look-up) still scan every row.

Measured with :func:`measure_search` (``python -m bench images`` prints it; flat and
partitioned searches alternate query by query, one FAISS thread, 100 random queries, k=16,
2 cores shared with other jobs): over 40 M random 256-bit rows (1 M works × 40), 1,024 lists::

    probed  partitioned ms (p95)  flat ms (p95)  ratio  machine
      256        13.8 (15.0)       48.4 (52.9)    0.29  quiet
      256        24.4 (33.3)       57.0 (67.9)    0.43  a test suite running beside it
      128        13.2 (33.2)       54.5 (63.1)    0.24  a test suite running beside it

Partitioning 40 M rows took 52–78 s on 2 threads. At 4 M rows a probed row costs ~1.5× a
flat-scanned one (IVF with every list probed: 16.2 ms against 10.5 ms flat). Those rows were
1 M works × 40 (a work stored 37 PDQ variants). Since 2026-12-01 a work stores 8
(:data:`~rightsguard.fingerprint.image.WORK_VARIANTS`), so 1 M works are 8 M rows: 5.0 ms per
query partitioned (p95 5.1; 1,024 lists, 128 probed; partitioning 12 s), 33.1 ms flat
(``python -m bench images``, 2026-12-01, the run in bench/README.md).

Recall is the price: a copy is a candidate only when its work's nearest variant sits in a probed
list. On real codes — the bench's 57 registered works plus the 1,505 artwork-pool pictures' 37
variants each as distractor works (57,794 rows) — the share of the 918 (copy, work) pairs within
78 bits that flat search finds and partitioned search still returns (:meth:`partition`'s
k-means; scratch run over the bench's queries, and ``bench images`` prints the quarter case)::

    lists   probed a quarter   a sixth   an eighth
     1024         0.993         0.986      0.983
      256         0.973           -          -
       64         0.945           -          -

With 8 variants per work (12,488 rows: 12 per list at 1,024 lists) and an eighth probed:
0.877 at 64 lists, 0.952 at 256, 0.976 at 1,024 (``bench images``, 2026-12-01).

It rises with the number of lists at a fixed share scanned, which is why larger indexes get
more lists. An eighth (:data:`PROBE_SHARE`) keeps the search under 20 ms on a loaded machine;
the whole bench screened with its small index partitioned into 64 lists, a quarter probed
(pair recall 0.945 there) lost one query of 1,242 (crop30 0.991 → 0.981; every other family
unchanged), since SIFT votes and layout find most of what the partition misses. Random codes
have no clusters, so they time the search but cannot measure its recall.

Search cost (FAISS exhaustive Hamming scan), measured on this machine (2 cores shared with other
jobs, load about 2.5), k=10, one random query code per call, mean over 200 queries, 10 rows per
work: ``OMP_WAIT_POLICY=passive uv run --frozen --group dev python -m rightsguard.index.images
--rows 1000000 10000000 --bits 256 64 --threads 1 0``::

    rows         bits  FAISS threads  k-NN ms/query (p95)  range ms/query (max_distance = bits/8)
     1,000,000    256              1          1.5 (1.9)        1.1
     1,000,000    256    2 (default)          1.5 (1.8)        1.2
     1,000,000     64              1          1.2 (1.3)        0.5
     1,000,000     64    2 (default)          1.4 (1.4)        0.5
    10,000,000    256              1         12.5 (16.2)      15.2
    10,000,000    256    2 (default)         14.0 (17.4)      11.7
    10,000,000     64              1         11.7 (11.9)       5.2
    10,000,000     64    2 (default)         15.0 (21.3)       5.4

So 1 M works x 10 stored variants (10 M rows) meets the issue's 20 ms per query code. FAISS
parallelises over query rows, so one code gains nothing from threads; and with OpenMP's default
*active* wait on a machine whose cores are busy, 2 threads made single queries 40-100x slower
(94 ms for 1 M 256-bit rows, same command without ``OMP_WAIT_POLICY``). Serve single queries
with ``faiss.omp_set_num_threads(1)`` or ``OMP_WAIT_POLICY=passive``. A query image with several
codes of its own (:meth:`HashIndex.search_merged`) costs one scan per code: 8 codes over 10 M
256-bit rows took 84 ms (2 threads, passive). Other figures at 10 M 256-bit rows: ``save`` 0.54 s
(0.02 s when only tombstones changed), ``open`` 1.4 s with checksums (0.9 s without),
``compact`` 0.06 s.
"""

from __future__ import annotations

import argparse
import dataclasses
import fcntl
import hashlib
import json
import math
import os
import re
import tempfile
import time
import warnings
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO, cast

import faiss
import numpy as np
import numpy.typing as npt

from rightsguard.errors import IndexCorruptError, IndexError_, IndexMismatchError, InputError
from rightsguard.index.segments import _fsync_dir, write_atomic

U8 = npt.NDArray[np.uint8]
I64 = npt.NDArray[np.int64]
I16 = npt.NDArray[np.int16]
BOOL = npt.NDArray[np.bool_]

FORMAT = "rightsguard.hash-index"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
_LOCK = ".write-lock"
_DTYPES: dict[str, np.dtype[Any]] = {
    "codes": np.dtype(np.uint8),
    "docs": np.dtype(np.int64),
    "variants": np.dtype(np.int16),
    "alive": np.dtype(np.bool_),
    "lists": np.dtype(np.int32),
    "centroids": np.dtype(np.uint8),
}
#: One entry per row; the others (``centroids``) describe the partition.
_ROW_FILES = ("codes", "docs", "variants", "alive", "lists")
#: Written by saves since partitioned search; an index saved before has none (no partition).
_OPTIONAL_FILES = ("lists", "centroids")
_DATA_FILE = re.compile(r"^(codes|docs|variants|alive|lists|centroids)\.g\d+\.npy$")
_TMP_FILE = re.compile(
    r"^\.((codes|docs|variants|alive|lists|centroids)\.g\d+\.npy|manifest\.json)\.tmp$")
_KIND = re.compile(r"^[a-z0-9][a-z0-9._-]*$")
#: First FAISS fetch per query row is ``ceil((4 k + 16) × rows / live rows)`` rows, then ×4 until
#: complete: 4 rows per wanted doc leaves room for a doc's several variants near the query, +16
#: for ties at the cut, and the ratio for tombstones. Heuristic; any value gives the same answers
#: (only the number of rounds changes).
_FETCH_PER_K = 4
_FETCH_EXTRA = 16
_FETCH_GROWTH = 4
#: Partitioned search (see the module docstring): an index of at least this many live rows is
#: partitioned when :meth:`HashIndex.partition_if_large` is called (the image store does after
#: each add). A flat scan grows with the rows (measured, one FAISS thread: 1.5 ms per query
#: code at 1 M 256-bit rows, 33 ms per query at 8 M, so about 16 ms at this threshold); below
#: it partitioning would cost recall (partition recall 0.95 at 256 lists) for little time.
PARTITION_MIN_ROWS = 4_000_000
#: Lists probed per query = lists // PROBE_SHARE: an eighth of the rows are scanned.
PROBE_SHARE = 8
#: k-means sample per list and iterations when partitioning (FAISS warns below 39 points per
#: centroid; 10 iterations: k-means on PDQ codes changes little after that).
TRAIN_PER_LIST = 40
TRAIN_ITERATIONS = 10


def default_lists(rows: int) -> int:
    """Number of lists for ``rows`` rows: ``√rows`` rounded, clipped to [64, 1024] (FAISS's
    guideline is 4–16 √rows; fewer lists keep training and open fast, and recall at a fixed
    share of rows scanned was still rising at 1,024 lists, module docstring)."""
    return int(min(1024, max(64, round(math.sqrt(max(rows, 1))))))


@dataclass(frozen=True, slots=True)
class Candidate:
    """A work whose stored hash is near a query hash.

    ``distance`` is the Hamming distance in bits between the query code and the work's nearest
    stored variant (``0 <= distance <= bits``); ``variant`` is that variant's index (the smallest
    one among equally near variants); ``query`` is the row of the query codes it was measured
    from (for :meth:`HashIndex.search_merged`, the smallest row among equally near rows)."""

    doc: int
    variant: int
    distance: int
    query: int = 0


@dataclass(frozen=True, slots=True)
class SearchTiming:
    """Result of :func:`measure_search`: per-query latency of :meth:`HashIndex.search`.

    Times in milliseconds per query code (one code per call); ``knn_ms`` (mean) and
    ``knn_p95_ms`` without ``max_distance`` (k-NN path), ``range_ms`` (mean) with
    ``max_distance = bits // 8`` (range path); ``build_s``: seconds to add the rows.
    Partitioned (:meth:`HashIndex.partition`, when asked for): ``lists``, ``nprobe``,
    ``partition_s`` (k-means and assigning every row) and ``partitioned_ms`` /
    ``partitioned_p95_ms``, the k-NN path again over the probed lists."""

    rows: int
    bits: int
    queries: int
    threads: int
    build_s: float
    knn_ms: float
    knn_p95_ms: float
    range_ms: float
    lists: int = 0
    nprobe: int = 0
    partition_s: float = 0.0
    partitioned_ms: float = 0.0
    partitioned_p95_ms: float = 0.0


class _Column:
    """A growable 1-D or 2-D array: amortised appends, in-place writes, memory-mapped at first."""

    __slots__ = ("buf", "n")

    def __init__(self, arr: npt.NDArray[Any]) -> None:
        self.buf = arr
        self.n = int(arr.shape[0])

    @property
    def view(self) -> npt.NDArray[Any]:
        return self.buf[: self.n]

    def append(self, arr: npt.NDArray[Any]) -> None:
        need = self.n + int(arr.shape[0])
        if need > self.buf.shape[0] or not self.buf.flags.writeable:
            cap = max(need, 2 * int(self.buf.shape[0]), 1024)
            grown = np.empty((cap, *self.buf.shape[1:]), dtype=self.buf.dtype)
            grown[: self.n] = self.buf[: self.n]
            self.buf = grown
        self.buf[self.n : need] = arr
        self.n = need

    def writable(self) -> npt.NDArray[Any]:
        if not self.buf.flags.writeable:
            self.buf = np.array(self.buf[: self.n])
        return self.buf[: self.n]

    def replace(self, arr: npt.NDArray[Any]) -> None:
        self.buf = arr
        self.n = int(arr.shape[0])


class _HashingWriter:
    """File-like sink for ``np.save`` that also hashes what it writes."""

    def __init__(self, fh: BinaryIO) -> None:
        self.fh = fh
        self.sha = hashlib.sha256()
        self.size = 0

    def write(self, data: bytes | memoryview) -> int:
        self.sha.update(data)
        self.size += memoryview(data).nbytes
        return self.fh.write(data)


def _sha256_file(path: Path) -> str:
    with open(path, "rb") as fh:
        return hashlib.file_digest(fh, "sha256").hexdigest()


def _describe(value: object) -> str:
    if isinstance(value, np.ndarray):
        return f"array of dtype {value.dtype} and shape {value.shape}"
    return f"{type(value).__name__}"


class HashIndex:
    """An on-disk FAISS binary flat index of ``bits``-bit codes with ``(doc, variant)`` rows.

    Build with :meth:`create`, load with :meth:`open`; changes live in memory until :meth:`save`.
    Not thread-safe for concurrent writes; searches may run concurrently with each other.
    """

    def __init__(self, folder: Path, *, kind: str, bits: int, params: dict[str, Any],
                 generation: int, files: dict[str, dict[str, Any]], codes: U8, docs: I64,
                 variants: I16, alive: BOOL, lists: npt.NDArray[np.int32] | None = None,
                 centroids: U8 | None = None) -> None:
        """Private: use :meth:`create` or :meth:`open`."""
        self._folder = folder
        self._kind = kind
        self._bits = bits
        self._params = params
        self._generation = generation
        self._files = files
        self._index = faiss.IndexBinaryFlat(bits)
        if codes.shape[0]:
            self._index.add(np.ascontiguousarray(codes))
        self._docs = _Column(docs)
        self._variants = _Column(variants)
        self._alive = _Column(alive)
        n = int(codes.shape[0])
        self._lists = _Column(lists if lists is not None else np.full(n, -1, np.int32))
        self._centroids: U8 = (centroids if centroids is not None
                               else np.empty((0, bits // 8), np.uint8))
        self._quantiser: Any = None
        self._ivf: Any = None
        self._nprobe = 0
        self._live_rows = int(np.count_nonzero(alive))
        self._dirty: set[str] = set()
        if self._centroids.shape[0]:
            self._build_partition()

    # ------------------------------------------------------------------ creation and opening

    @staticmethod
    def _check_settings(bits: object, kind: object, params: object) -> None:
        problems = []
        if isinstance(bits, bool) or not isinstance(bits, int) or bits <= 0 or bits % 8:
            problems.append(f"bits is {bits!r}; allowed: a positive multiple of 8 (64 for pHash, "
                            "256 for PDQ)")
        if not isinstance(kind, str) or not _KIND.match(kind):
            problems.append(f"kind is {kind!r}; allowed: a lower-case name such as 'pdq' or "
                            "'phash' (letters, digits, '.', '_', '-')")
        if params is not None:
            try:
                json.dumps(params, sort_keys=True)
                if not isinstance(params, Mapping):
                    raise TypeError
            except (TypeError, ValueError):
                problems.append(f"params is {params!r}; allowed: a JSON-serialisable mapping")
        if problems:
            raise InputError("hash index settings: " + "; ".join(problems))

    @classmethod
    def create(cls, folder: str | os.PathLike[str], *, bits: int, kind: str,
               params: Mapping[str, Any] | None = None) -> HashIndex:
        """Create an empty index in ``folder`` (created if missing) and save it.

        ``bits``: code length in bits, a positive multiple of 8. ``kind``: the hash family, e.g.
        ``"pdq"`` or ``"phash"``. ``params``: JSON-serialisable settings of the hasher that made
        the codes (variants, crop boxes, library version); :meth:`open` compares them.

        Raises InputError for bad settings, IndexError_ if ``folder`` already holds an index.
        """
        cls._check_settings(bits, kind, params)
        path = Path(folder)
        if (path / MANIFEST).exists():
            raise IndexError_(f"{path}: already holds a hash index ({MANIFEST}); open it instead")
        path.mkdir(parents=True, exist_ok=True)
        nb = bits // 8
        stored = json.loads(json.dumps(dict(params or {})))  # as open() will read it back
        index = cls(path, kind=kind, bits=bits, params=stored, generation=-1,
                    files={}, codes=np.empty((0, nb), np.uint8), docs=np.empty(0, np.int64),
                    variants=np.empty(0, np.int16), alive=np.empty(0, np.bool_))
        index._dirty = set(_DTYPES)
        index.save()
        return index

    @classmethod
    def open(cls, folder: str | os.PathLike[str], *, bits: int | None = None,
             kind: str | None = None, params: Mapping[str, Any] | None = None,
             verify: bool = True) -> HashIndex:
        """Load the index saved in ``folder``.

        ``bits``, ``kind``, ``params``: when given, must equal what the index was created with,
        else IndexMismatchError (also for a manifest of a newer format version). ``verify``:
        check every data file's SHA-256 against the manifest (reads each file once: 1.4 s
        instead of 0.9 s for 10 M 256-bit rows, measured); sizes, dtypes and shapes are always
        checked.

        Raises IndexError_ if ``folder`` does not exist, IndexCorruptError naming the file if the
        manifest or a data file is missing, truncated, unreadable or fails its checksum.
        """
        path = Path(folder)
        if not path.is_dir():
            raise IndexError_(f"{path}: no such folder; create the index with HashIndex.create")
        for attempt in range(3):
            manifest = cls._read_manifest(path)
            cls._check_against(path, manifest, bits=bits, kind=kind, params=params)
            try:
                return cls._load(path, manifest, verify=verify)
            except FileNotFoundError:
                # A concurrent save replaced the manifest and deleted the files we had read it
                # for: read the new manifest, unless nothing changed (then a file is missing).
                if attempt == 2 or cls._read_manifest(path) == manifest:
                    raise IndexCorruptError(cls._missing_file(path, manifest)) from None
        raise AssertionError("unreachable")

    @staticmethod
    def _missing_file(path: Path, manifest: dict[str, Any]) -> str:
        names = [f["name"] for f in manifest["files"].values()
                 if not (path / f["name"]).exists()]
        return f"{path / names[0] if names else path}: missing (listed in {MANIFEST})"

    @staticmethod
    def _read_manifest(path: Path) -> dict[str, Any]:
        mpath = path / MANIFEST
        try:
            manifest = json.loads(mpath.read_text("utf-8"))
        except FileNotFoundError:
            raise IndexCorruptError(f"{mpath}: missing; the folder holds no hash index") from None
        except (OSError, ValueError) as exc:
            raise IndexCorruptError(f"{mpath}: unreadable: {exc}") from exc
        if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
            raise IndexCorruptError(f"{mpath}: not a {FORMAT} manifest")
        version = manifest.get("version")
        if not isinstance(version, int) or version > FORMAT_VERSION:
            raise IndexMismatchError(
                f"{mpath}: format version {version!r}; this rightsguard reads up to "
                f"{FORMAT_VERSION}")
        keys = {"kind": str, "bits": int, "params": dict, "generation": int, "rows": int,
                "tombstones": int, "files": dict}
        bad = [k for k, t in keys.items() if not isinstance(manifest.get(k), t)]
        if "bits" not in bad and (manifest["bits"] <= 0 or manifest["bits"] % 8):
            bad.append("bits")
        if "rows" not in bad and manifest["rows"] < 0:
            bad.append("rows")
        files = manifest.get("files")
        if isinstance(files, dict):
            bad += [f"files.{name}" for name in _DTYPES
                    if not (name in _OPTIONAL_FILES and name not in files)
                    and (not isinstance(files.get(name), dict)
                         or not isinstance(files[name].get("name"), str)
                         or not _DATA_FILE.match(files[name]["name"])
                         or not isinstance(files[name].get("bytes"), int)
                         or not isinstance(files[name].get("sha256"), str))]
            if ("lists" in files) != ("centroids" in files):
                bad.append("files.lists and files.centroids (one without the other)")
        if bad:
            raise IndexCorruptError(f"{mpath}: missing or malformed keys: {', '.join(bad)}")
        return manifest

    @staticmethod
    def _check_against(path: Path, manifest: dict[str, Any], *, bits: int | None,
                       kind: str | None, params: Mapping[str, Any] | None) -> None:
        wanted = {"kind": kind, "bits": bits,
                  "params": None if params is None else json.loads(json.dumps(dict(params)))}
        diffs = [f"{key} {manifest[key]!r} (requested {value!r})"
                 for key, value in wanted.items() if value is not None and manifest[key] != value]
        if diffs:
            raise IndexMismatchError(
                f"{path}: hash index built with " + ", ".join(diffs)
                + "; open it with its own settings or build a new index")

    @classmethod
    def _load(cls, path: Path, manifest: dict[str, Any], *, verify: bool) -> HashIndex:
        rows, bits = manifest["rows"], manifest["bits"]
        shapes: dict[str, tuple[int | None, ...]] = {
            "codes": (rows, bits // 8), "docs": (rows,), "variants": (rows,), "alive": (rows,),
            "lists": (rows,), "centroids": (None, bits // 8)}
        arrays: dict[str, npt.NDArray[Any]] = {}
        for name, dtype in _DTYPES.items():
            if name not in manifest["files"]:
                continue  # optional, saved before partitioned search
            entry = manifest["files"][name]
            fpath = path / entry["name"]
            size = fpath.stat().st_size  # FileNotFoundError: handled by open()
            if size != entry["bytes"]:
                raise IndexCorruptError(
                    f"{fpath}: {size} bytes, {MANIFEST} says {entry['bytes']} (truncated or "
                    "overwritten)")
            if verify and _sha256_file(fpath) != entry["sha256"]:
                raise IndexCorruptError(f"{fpath}: SHA-256 differs from {MANIFEST}")
            try:
                arr = np.load(fpath, mmap_mode="r" if name != "codes" else None,
                              allow_pickle=False)
            except FileNotFoundError:
                raise
            except (OSError, ValueError, EOFError) as exc:  # EOFError: an empty file
                raise IndexCorruptError(f"{fpath}: unreadable as .npy: {exc}") from exc
            if arr.dtype != dtype or len(arr.shape) != len(shapes[name]) or any(
                    want is not None and got != want
                    for got, want in zip(arr.shape, shapes[name], strict=True)):
                raise IndexCorruptError(
                    f"{fpath}: {_describe(arr)}, expected dtype {dtype} and shape "
                    f"{shapes[name]}")
            arrays[name] = arr
        dead = rows - int(np.count_nonzero(arrays["alive"]))
        if "lists" in arrays:
            nlist = int(arrays["centroids"].shape[0])
            lists = arrays["lists"]
            lo, hi = (int(lists.min()), int(lists.max())) if lists.size else (0, 0)
            if lists.size and not ((lo == hi == -1) if nlist == 0 else (lo >= 0 and hi < nlist)):
                raise IndexCorruptError(
                    f"{path / manifest['files']['lists']['name']}: list numbers outside "
                    f"[0, {nlist}) ({nlist} centroids)")
        if dead != manifest["tombstones"]:
            raise IndexCorruptError(
                f"{path / manifest['files']['alive']['name']}: {dead} tombstoned rows, "
                f"{MANIFEST} says {manifest['tombstones']}")
        return cls(path, kind=manifest["kind"], bits=bits, params=manifest["params"],
                   generation=manifest["generation"], files=manifest["files"],
                   codes=arrays["codes"], docs=arrays["docs"], variants=arrays["variants"],
                   alive=arrays["alive"], lists=arrays.get("lists"),
                   centroids=arrays.get("centroids"))

    # ------------------------------------------------------------------ description

    @property
    def folder(self) -> Path:
        return self._folder

    @property
    def kind(self) -> str:
        return self._kind

    @property
    def bits(self) -> int:
        """Code length in bits; each code is ``bits // 8`` bytes."""
        return self._bits

    @property
    def params(self) -> dict[str, Any]:
        return dict(self._params)

    @property
    def generation(self) -> int:
        """Number of the last save (0 for a new index)."""
        return self._generation

    def __len__(self) -> int:
        """Rows, tombstoned ones included."""
        return int(self._index.ntotal)

    @property
    def tombstones(self) -> int:
        """Rows removed but not yet compacted away."""
        return len(self) - self._live_rows

    @property
    def live_rows(self) -> int:
        return self._live_rows

    def _codes_view(self) -> U8:
        """A view of FAISS's code storage: valid only until the next add or compact."""
        n, nb = len(self), self._bits // 8
        if n == 0:
            return np.empty((0, nb), np.uint8)
        xb = self._index.xb  # type: ignore[attr-defined]  # the stubs omit the SWIG vector
        view: U8 = faiss.rev_swig_ptr(xb.data(), n * nb)
        return view.reshape(n, nb)

    def codes(self) -> U8:
        """A copy of all codes, uint8 (rows, bits // 8), in row order (tombstoned included)."""
        return self._codes_view().copy()

    @property
    def docs(self) -> I64:
        """Read-only view: int64 (rows,) document number of each row."""
        v = self._docs.view.view()
        v.flags.writeable = False
        return v

    @property
    def variants(self) -> I16:
        """Read-only view: int16 (rows,) variant index of each row."""
        v = self._variants.view.view()
        v.flags.writeable = False
        return v

    @property
    def alive(self) -> BOOL:
        """Read-only view: bool (rows,), False for tombstoned rows."""
        v = self._alive.view.view()
        v.flags.writeable = False
        return v

    def live_docs(self) -> I64:
        """Sorted unique document numbers with at least one live row, int64."""
        return np.unique(self._docs.view[self._alive.view])

    def info(self) -> dict[str, Any]:
        """The manifest's description of the index as it is in memory (JSON-serialisable)."""
        return {"format": FORMAT, "version": FORMAT_VERSION, "kind": self._kind,
                "bits": self._bits, "params": self.params, "generation": self._generation,
                "rows": len(self), "tombstones": self.tombstones, "lists": self.lists,
                "nprobe": self._nprobe, "unsaved": bool(self._dirty)}

    # ------------------------------------------------------------------ changes

    def _check_codes(self, codes: object, name: str, problems: list[str]) -> int:
        nb = self._bits // 8
        allowed = f"allowed: a uint8 array of shape (n, {nb}) ({self._bits}-bit {self._kind} codes)"
        if not isinstance(codes, np.ndarray):
            problems.append(f"{name} is {_describe(codes)}; {allowed}")
            return -1
        if codes.dtype != np.uint8 or codes.ndim != 2 or codes.shape[1] != nb:
            problems.append(f"{name} is {_describe(codes)}; {allowed}")
        return int(codes.shape[0]) if codes.ndim >= 1 else -1

    def add(self, codes: U8, docs: I64, variants: I16) -> None:
        """Append rows. ``codes``: uint8 (n, bits // 8); ``docs``: int64 (n,) >= 0;
        ``variants``: int16 (n,) >= 0. A doc may have any number of rows.

        Raises InputError listing every problem: wrong types, dtypes or shapes, negative values,
        or docs that already have live rows (remove them first; re-adding a removed doc is fine).
        """
        problems: list[str] = []
        n = self._check_codes(codes, "codes", problems)
        for arr, name, dtype in ((docs, "docs", np.int64), (variants, "variants", np.int16)):
            if not isinstance(arr, np.ndarray) or arr.dtype != dtype or arr.ndim != 1:
                problems.append(f"{name} is {_describe(arr)}; allowed: a 1-D {np.dtype(dtype)} "
                                "array")
            elif n >= 0 and arr.shape[0] != n:
                problems.append(f"{name} has {arr.shape[0]} rows, codes has {n}; allowed: equal")
            elif arr.size and int(arr.min()) < 0:
                problems.append(f"{name} holds {int(arr.min())}; allowed: values >= 0")
        if not problems and docs.size and self._live_rows:
            # isin over the big column against the small batch: 17 ms at 10 M rows (the other
            # way round sorts the column: 190 ms)
            clash = np.isin(self._docs.view, docs) & self._alive.view
            if clash.any():
                dup = np.unique(self._docs.view[clash])
                shown = ", ".join(str(d) for d in dup[:10]) + (", ..." if dup.size > 10 else "")
                problems.append(f"docs {shown} already have live rows; allowed: docs not in the "
                                "index or removed (remove them first to replace their rows)")
        if problems:
            raise InputError("HashIndex.add: " + "; ".join(problems))
        if n == 0:
            return
        first = len(self)
        codes = np.ascontiguousarray(codes)
        self._index.add(codes)
        self._docs.append(docs)
        self._variants.append(variants)
        self._alive.append(np.ones(n, np.bool_))
        self._lists.append(self._assign(codes, first))
        self._live_rows += n
        self._dirty.update(_ROW_FILES)

    def remove(self, docs: Iterable[int] | I64) -> int:
        """Tombstone every live row of ``docs`` (document numbers); returns the rows tombstoned.

        Unknown or already removed docs are ignored. Searches never return tombstoned rows;
        :meth:`compact` drops them from memory and, after :meth:`save`, from disk.
        """
        wanted = np.asarray(list(docs) if not isinstance(docs, np.ndarray) else docs)
        if wanted.size == 0:
            return 0
        if wanted.dtype.kind not in "iu":
            raise InputError(f"HashIndex.remove: docs is {_describe(wanted)}; allowed: integers")
        hit = np.isin(self._docs.view, wanted.astype(np.int64)) & self._alive.view
        count = int(np.count_nonzero(hit))
        if count:
            self._alive.writable()[hit] = False
            self._live_rows -= count
            self._dirty.add("alive")
        return count

    def compact(self) -> int:
        """Drop tombstoned rows (row order of the live rows kept); returns the rows dropped."""
        dead = ~self._alive.view
        count = int(np.count_nonzero(dead))
        if not count:
            return 0
        bitmap = np.packbits(dead, bitorder="little")
        removed = self._index.remove_ids(faiss.IDSelectorBitmap(dead.size, faiss.swig_ptr(bitmap)))
        if removed != count:
            raise IndexCorruptError(f"{self._folder}: FAISS removed {removed} rows of {count}")
        keep = ~dead
        self._docs.replace(np.ascontiguousarray(self._docs.view[keep]))
        self._variants.replace(np.ascontiguousarray(self._variants.view[keep]))
        self._alive.replace(np.ones(self._live_rows, np.bool_))
        self._lists.replace(np.ascontiguousarray(self._lists.view[keep]))
        if self._ivf is not None:
            self._build_partition()  # row numbers changed: refill the lists
        self._dirty.update(_ROW_FILES)
        return count

    # ------------------------------------------------------------------ partitioned search

    @property
    def lists(self) -> int:
        """Lists of the partition (0: not partitioned, every search scans every row)."""
        return int(self._centroids.shape[0])

    @property
    def centroids(self) -> U8:
        """A copy of the partition's centroids, uint8 (lists, bits // 8); no rows when not
        partitioned."""
        return self._centroids.copy()

    @property
    def row_lists(self) -> npt.NDArray[np.int32]:
        """Read-only view: int32 (rows,), the list of each row (-1 when not partitioned)."""
        v = self._lists.view.view()
        v.flags.writeable = False
        return v

    @property
    def nprobe(self) -> int:
        """Lists scanned per query code (0 when not partitioned). Default ``lists //
        PROBE_SHARE``; setting it to :attr:`lists` makes searches exact again. Not saved."""
        return self._nprobe

    @nprobe.setter
    def nprobe(self, value: int) -> None:
        if self._ivf is None:
            raise InputError(f"{self._folder}: nprobe is for a partitioned index; this one is "
                             "not (see HashIndex.partition)")
        if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= self.lists:
            raise InputError(f"nprobe is {value!r}; allowed: an integer in [1, {self.lists}]")
        self._nprobe = value
        self._ivf.nprobe = value

    def _assign(self, codes: U8, first: int) -> npt.NDArray[np.int32]:
        """List numbers of new rows ``first, first + 1, …`` (-1 when not partitioned), adding
        them to the in-memory inverted lists."""
        n = int(codes.shape[0])
        if self._ivf is None:
            return np.full(n, -1, np.int32)
        _, nearest = self._quantiser.search(codes, 1)
        assign = np.ascontiguousarray(nearest[:, 0], dtype=np.int64)
        ids = np.arange(first, first + n, dtype=np.int64)
        self._ivf.add_core(n, faiss.swig_ptr(codes), faiss.swig_ptr(ids), faiss.swig_ptr(assign))
        return assign.astype(np.int32)

    def _build_partition(self) -> None:
        """FAISS inverted lists from the centroids and the stored list of each row (no
        re-assignment: that would cost rows × lists Hamming distances at every open)."""
        quantiser = faiss.IndexBinaryFlat(self._bits)
        quantiser.add(np.ascontiguousarray(self._centroids))
        ivf = faiss.IndexBinaryIVF(quantiser, self._bits, self.lists)
        n = len(self)
        if n:
            assign = np.ascontiguousarray(self._lists.view, dtype=np.int64)
            ids = np.arange(n, dtype=np.int64)
            codes = self._codes_view()
            ivf.add_core(n, faiss.swig_ptr(codes), faiss.swig_ptr(ids),  # type: ignore[attr-defined]
                         faiss.swig_ptr(assign))
        self._quantiser, self._ivf = quantiser, ivf
        self.nprobe = max(1, self.lists // PROBE_SHARE)

    def partition(self, lists: int | None = None, *, seed: int = 0) -> None:
        """Partition the rows into ``lists`` inverted lists (FAISS binary IVF: k-means on a
        sample of ``TRAIN_PER_LIST × lists`` live codes, :data:`TRAIN_ITERATIONS` iterations);
        searches then scan :attr:`nprobe` lists instead of every row. ``lists`` None:
        :func:`default_lists` of the live rows; 0 removes the partition. Rows added later go to
        their nearest centroid; :meth:`save` writes the centroids and each row's list.

        Approximate: a query finds a row only when the row's list is among the ``nprobe``
        lists nearest the query (recall measured in the module docstring).

        Raises InputError for a ``lists`` that is not an integer in [0, live rows].
        """
        if lists is None:
            lists = default_lists(self._live_rows)
        if isinstance(lists, bool) or not isinstance(lists, int) or not \
                0 <= lists <= max(self._live_rows, 0) or (lists and not self._live_rows):
            raise InputError(f"{self._folder}: lists is {lists!r}; allowed: 0, or an integer in "
                             f"[1, {self._live_rows}] (the live rows)")
        if lists == 0:
            self._centroids = np.empty((0, self._bits // 8), np.uint8)
            self._quantiser = self._ivf = None
            self._nprobe = 0
            self._lists.replace(np.full(len(self), -1, np.int32))
            self._dirty.update({"lists", "centroids"})
            return
        live = np.flatnonzero(self._alive.view)
        rng = np.random.default_rng(seed)
        take = min(live.size, TRAIN_PER_LIST * lists)
        sample = np.ascontiguousarray(self._codes_view()[np.sort(rng.choice(live, take,
                                                                            replace=False))])
        coarse = faiss.IndexBinaryFlat(self._bits)
        trainer = faiss.IndexBinaryIVF(coarse, self._bits, lists)
        trainer.cp.niter = TRAIN_ITERATIONS
        trainer.cp.seed = seed
        trainer.cp.max_points_per_centroid = TRAIN_PER_LIST
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            trainer.train(sample)
        centroids = faiss.rev_swig_ptr(coarse.xb.data(),  # type: ignore[attr-defined]
                                       lists * (self._bits // 8))
        self._centroids = np.array(centroids, dtype=np.uint8).reshape(lists, self._bits // 8)
        self._quantiser = faiss.IndexBinaryFlat(self._bits)
        self._quantiser.add(self._centroids)
        n = len(self)
        assign = np.empty(n, np.int32)
        step = 1 << 20
        for lo in range(0, n, step):  # nearest centroid of every row, a million at a time
            _, nearest = self._quantiser.search(self._codes_view()[lo:lo + step], 1)
            assign[lo:lo + step] = nearest[:, 0]
        self._lists.replace(assign)
        self._build_partition()
        self._dirty.update({"lists", "centroids"})

    def partition_if_large(self) -> bool:
        """Partition (:meth:`partition` with default lists) when not partitioned and holding at
        least :data:`PARTITION_MIN_ROWS` live rows; True when it did."""
        if self._ivf is not None or self._live_rows < PARTITION_MIN_ROWS:
            return False
        self.partition()
        return True

    # ------------------------------------------------------------------ saving

    @contextmanager
    def _write_lock(self) -> Iterator[None]:
        with open(self._folder / _LOCK, "a+b") as fh:
            fcntl.flock(fh.fileno(), fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(fh.fileno(), fcntl.LOCK_UN)

    def _write_array(self, name: str, arr: npt.NDArray[Any], generation: int) -> dict[str, Any]:
        fname = f"{name}.g{generation}.npy"
        tmp = self._folder / f".{fname}.tmp"
        with open(tmp, "wb") as fh:
            writer = _HashingWriter(fh)
            np.lib.format.write_array(writer, np.ascontiguousarray(arr), allow_pickle=False)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, self._folder / fname)
        return {"name": fname, "bytes": writer.size, "sha256": writer.sha.hexdigest()}

    def save(self) -> None:
        """Write the changes since the last save; a no-op without changes.

        Crash-safe (see the module docstring): a crash leaves the previous save readable.
        Raises IndexError_ if another handle saved this folder since this one was opened/saved.
        """
        if not self._dirty:
            return
        with self._write_lock():
            if self._generation >= 0:
                on_disk = self._read_manifest(self._folder)["generation"]
                if on_disk != self._generation:
                    raise IndexError_(
                        f"{self._folder}: saved by another writer (generation {on_disk}, this "
                        f"handle has {self._generation}); reopen the index and redo the change")
            generation = self._generation + 1
            files = dict(self._files)
            columns = {"docs": self._docs, "variants": self._variants, "alive": self._alive,
                       "lists": self._lists}
            for name in _DTYPES:
                if name in self._dirty or name not in files:
                    arr = (self._codes_view() if name == "codes" else self._centroids
                           if name == "centroids" else columns[name].view)
                    files[name] = self._write_array(name, arr, generation)
            _fsync_dir(self._folder)
            manifest = {"format": FORMAT, "version": FORMAT_VERSION, "kind": self._kind,
                        "bits": self._bits, "params": self._params, "generation": generation,
                        "rows": len(self), "tombstones": self.tombstones, "files": files}
            write_atomic(self._folder / MANIFEST,
                         json.dumps(manifest, indent=2, sort_keys=True).encode("utf-8"))
            self._generation, self._files = generation, files
            self._dirty.clear()
            listed = {f["name"] for f in files.values()}
            for entry in os.scandir(self._folder):
                if (_DATA_FILE.match(entry.name) and entry.name not in listed) \
                        or _TMP_FILE.match(entry.name):
                    os.unlink(entry.path)

    # ------------------------------------------------------------------ search

    def _check_query(self, codes: object, k: object, max_distance: object) -> U8:
        problems: list[str] = []
        self._check_codes(codes, "codes", problems)
        if isinstance(k, bool) or not isinstance(k, int) or k < 1:
            problems.append(f"k is {k!r}; allowed: an integer >= 1")
        if max_distance is not None and (isinstance(max_distance, bool)
                                         or not isinstance(max_distance, int)
                                         or not 0 <= max_distance <= self._bits):
            problems.append(f"max_distance is {max_distance!r}; allowed: None or an integer in "
                            f"[0, {self._bits}] (Hamming distance in bits)")
        if problems:
            raise InputError("HashIndex.search: " + "; ".join(problems))
        return np.ascontiguousarray(cast(U8, codes))

    def _rank(self, dist: npt.NDArray[Any], rows: npt.NDArray[Any], k: int,
              query: int) -> list[Candidate]:
        """Best row per doc among ``rows`` (live), ordered by (distance, doc); first ``k``."""
        if rows.size == 0:
            return []
        docs = self._docs.view[rows]
        variants = self._variants.view[rows]
        order = np.lexsort((variants, docs, dist))
        _, first = np.unique(docs[order], return_index=True)
        best = order[np.sort(first)[:k]]
        return [Candidate(int(d), int(v), int(s), query)
                for d, v, s in zip(docs[best], variants[best], dist[best], strict=True)]

    def _search_rows(self, q: U8, k: int, max_distance: int | None, exact: bool = False
                     ) -> list[list[Candidate]]:
        m, n = q.shape[0], len(self)
        if m == 0 or self._live_rows == 0:
            return [[] for _ in range(m)]
        alive = self._alive.view
        index = self._index if self._ivf is None or exact else self._ivf
        out: list[list[Candidate]] = [[] for _ in range(m)]
        if max_distance is not None and max_distance < self._bits // 4:
            # Range search: every row within max_distance in one pass (FAISS keeps d < radius).
            # Used for near-duplicate radii only, where few rows qualify (a radius near bits / 2
            # would return most rows).
            lims, dist, labels = index.range_search(q, max_distance + 1)
            for i in range(m):
                d, r = dist[lims[i]:lims[i + 1]], labels[lims[i]:lims[i + 1]]
                live = alive[r]
                out[i] = self._rank(d[live], r[live], k, i)
            return out
        fetch = min(n, math.ceil((_FETCH_PER_K * k + _FETCH_EXTRA) * n / self._live_rows))
        pending = np.arange(m)
        while pending.size:
            dist, labels = index.search(q[pending], fetch)
            again = []
            for j, i in enumerate(pending.tolist()):
                d, r = dist[j], labels[j]
                found = r >= 0  # the probed lists may hold fewer than ``fetch`` rows (-1)
                exhausted = not bool(found.all())
                d, r = d[found], r[found]
                if r.size == 0:
                    continue  # nothing in the probed lists: out[i] stays empty
                last = int(d[-1])  # FAISS returns ascending distances
                live = alive[r]
                d, r = d[live], r[live]
                if max_distance is not None:
                    within = d <= max_distance
                    d, r = d[within], r[within]
                if fetch >= n or exhausted or (max_distance is not None and last > max_distance):
                    out[i] = self._rank(d, r, k, i)  # every qualifying row was fetched
                    continue
                # Rows nearer than the last fetched distance are all here; rows at it may not be.
                sure = d < last
                ranked = self._rank(d[sure], r[sure], k, i)
                if len(ranked) == k:
                    out[i] = ranked
                else:
                    again.append(i)
            pending = np.asarray(again, dtype=np.int64)
            fetch = min(n, fetch * _FETCH_GROWTH)
        return out

    def search(self, codes: U8, *, k: int, max_distance: int | None = None,
               exact: bool = False) -> list[list[Candidate]]:
        """The ``k`` nearest live docs for each query code.

        ``codes``: uint8 (m, bits // 8). ``k`` >= 1. ``max_distance``: inclusive bound on the
        Hamming distance in bits (None: no bound; the caller's threshold, e.g. 31 of 256 for PDQ:
        ``PDQ_CONFIDENT_MATCH_THRESHOLD`` of Meta's python-threatexchange ``pdq_utils``).

        Returns one list per query row, each doc at most once with its nearest variant, sorted
        by distance then doc; fewer than ``k`` when fewer live docs are within ``max_distance``.
        Exact over the rows searched: ties at the k-th distance resolve by doc number. Rows
        searched: every row when the index is not partitioned or ``exact`` is true; otherwise
        the rows of the :attr:`nprobe` lists nearest each query code (:meth:`partition`).

        Method: with ``max_distance < bits // 4``, one FAISS range search (as fast as k-NN at 256
        bits, twice as fast at 64 bits: measured, see the module docstring); otherwise FAISS k-NN
        from ``ceil((4 k + 16) × rows / live rows)`` rows per query, fetching 4× more until the
        ``k`` docs are settled (a radius near ``bits / 2`` would make a range search return most
        rows).

        Raises InputError for a bad ``codes`` array, ``k`` or ``max_distance``.
        """
        q = self._check_query(codes, k, max_distance)
        return self._search_rows(q, k, max_distance, exact)

    def search_merged(self, codes: U8, *, k: int, max_distance: int | None = None,
                      exact: bool = False) -> list[Candidate]:
        """The ``k`` nearest live docs to any of ``codes`` — several codes of one query image
        (its own variants) — in one ranking by each doc's best distance over all rows.

        Same arguments and errors as :meth:`search`; ``Candidate.query`` tells which row of
        ``codes`` was nearest. Exact: a doc in the merged top ``k`` is in the top ``k`` of the
        query row that gives its best distance.
        """
        q = self._check_query(codes, k, max_distance)
        pooled = [c for row in self._search_rows(q, k, max_distance, exact) for c in row]
        pooled.sort(key=lambda c: (c.distance, c.doc, c.query, c.variant))
        seen: set[int] = set()
        merged: list[Candidate] = []
        for c in pooled:
            if c.doc not in seen:
                seen.add(c.doc)
                merged.append(c)
                if len(merged) == k:
                    break
        return merged


# ---------------------------------------------------------------------- measurement


def random_index(folder: Path, rows: int, bits: int, *, variants: int = 1,
                 rng: np.random.Generator) -> HashIndex:
    """A new index in ``folder`` (never saved) of ``rows`` random ``bits``-bit codes, for
    timing: rows belong to ``rows // variants`` works (documents 0, 1, …) of ``variants`` rows
    each, added 1 M rows at a time."""
    index = HashIndex.create(folder, bits=bits, kind="random")
    step = 1_000_000
    for lo in range(0, rows, step):
        hi = min(rows, lo + step)
        r = np.arange(lo, hi, dtype=np.int64)
        index.add(rng.integers(0, 256, (hi - lo, bits // 8), dtype=np.uint8),
                  r // variants, (r % variants).astype(np.int16))
    return index


def measure_search(rows: int, bits: int, queries: int, *, variants: int = 1, k: int = 10,
                   threads: int | None = None, seed: int = 0, lists: int | None = 0
                   ) -> SearchTiming:
    """Time :meth:`HashIndex.search` over ``rows`` random ``bits``-bit codes.

    Rows belong to ``rows // variants`` works of ``variants`` rows each. Each of ``queries``
    random query codes is searched alone (one scan per call), once without ``max_distance``
    (k-NN path) and once with ``max_distance = bits // 8`` (range path). ``threads``: FAISS's
    OpenMP threads (None: its default), restored afterwards. ``lists``: then partition the
    same rows (None: :func:`default_lists`; 0: do not) and time the k-NN path again. Builds in
    a temporary folder that is never saved; needs about ``rows × (bits / 8 + 15)`` bytes of
    memory, twice the codes when partitioned. Random codes have no structure, so the
    partitioned timing is right but its answers are not a measure of recall (real codes:
    module docstring).
    """
    rng = np.random.default_rng(seed)
    before = faiss.omp_get_max_threads()
    if threads is not None:
        faiss.omp_set_num_threads(threads)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            start = time.perf_counter()
            index = random_index(Path(tmp) / "idx", rows, bits, variants=variants, rng=rng)
            build = time.perf_counter() - start
            q = rng.integers(0, 256, (queries, bits // 8), dtype=np.uint8)
            partition_s = 0.0
            if lists != 0:
                faiss.omp_set_num_threads(before)  # a batch job: FAISS's threads
                t0 = time.perf_counter()
                index.partition(lists, seed=seed)
                partition_s = time.perf_counter() - t0
                if threads is not None:
                    faiss.omp_set_num_threads(threads)
            # Flat and partitioned searches alternate query by query, so that the load of a
            # shared machine falls on both alike.
            index.search(q[:1], k=k, exact=True)  # warm up
            index.search(q[:1], k=k)
            knn, part = [], []
            for i in range(queries):
                t0 = time.perf_counter()
                index.search(q[i:i + 1], k=k, exact=True)
                knn.append(time.perf_counter() - t0)
                if lists != 0:
                    t0 = time.perf_counter()
                    index.search(q[i:i + 1], k=k)
                    part.append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            for i in range(queries):
                index.search(q[i:i + 1], k=k, max_distance=bits // 8, exact=True)
            ranged = (time.perf_counter() - t0) / queries
            timing = SearchTiming(rows=rows, bits=bits, queries=queries,
                                  threads=faiss.omp_get_max_threads(), build_s=build,
                                  knn_ms=1e3 * float(np.mean(knn)),
                                  knn_p95_ms=1e3 * float(np.percentile(knn, 95)),
                                  range_ms=1e3 * ranged)
            if lists == 0:
                return timing
            return dataclasses.replace(
                timing, lists=index.lists, nprobe=index.nprobe, partition_s=partition_s,
                partitioned_ms=1e3 * float(np.mean(part)),
                partitioned_p95_ms=1e3 * float(np.percentile(part, 95)))
    finally:
        faiss.omp_set_num_threads(before)


def _main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Time HashIndex.search over random codes.")
    parser.add_argument("--rows", type=int, nargs="+", default=[1_000_000])
    parser.add_argument("--bits", type=int, nargs="+", default=[256, 64])
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--variants", type=int, default=10, help="rows per work")
    parser.add_argument("--threads", type=int, nargs="+", default=[1, 0],
                        help="FAISS threads; 0 = FAISS default")
    args = parser.parse_args(argv)
    print(f"{'rows':>12} {'bits':>5} {'threads':>7} {'build s':>8} {'knn ms':>7} "
          f"{'knn p95':>8} {'range ms':>9}")
    for rows in args.rows:
        for bits in args.bits:
            for threads in args.threads:
                t = measure_search(rows, bits, args.queries, variants=args.variants,
                                   threads=threads or None)
                print(f"{t.rows:>12,} {t.bits:>5} {t.threads:>7} {t.build_s:>8.2f} "
                      f"{t.knn_ms:>7.2f} {t.knn_p95_ms:>8.2f} {t.range_ms:>9.2f}", flush=True)


if __name__ == "__main__":
    _main()
