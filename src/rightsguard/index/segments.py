"""On-disk index segments: sorted fingerprint postings, memory-mapped.

A segment is a folder ``channels/<channel>/g<generation>/`` holding three ``.npy`` arrays of equal
length ``n`` (sorted by hash, then document):

* ``h.npy`` uint32 — top 32 bits of the 64-bit k-gram hash,
* ``d.npy`` uint32 — registry document number,
* ``p.npy`` uint32 — code-point offset of the k-gram's first token in the work,

plus ``segment.json`` (channel settings, count, generation, and the XXH3-128 checksum of each
``.npy`` file's bytes). 12 bytes per posting. Files are written into a temporary folder,
fsynced, then renamed into place; the registry row that makes a segment live is committed
afterwards, so a crash leaves at worst an orphan folder that the next write removes.

Checksums are not verified when a segment is opened (that would read every posting for each
``check``); :func:`verify_segment` (``rightsguard index verify``) does, as Lucene's CheckIndex
verifies file checksums on demand.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import xxhash

from rightsguard.errors import IndexCorruptError

U32 = npt.NDArray[np.uint32]
SEGMENT_SCHEMA = 1


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_atomic(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` atomically (temp file, fsync, rename, fsync folder)."""
    tmp = path.with_name(f".{path.name}.tmp")
    with open(tmp, "wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)
    _fsync_dir(path.parent)


def write_segment(folder: Path, h: U32, d: U32, p: U32, meta: dict[str, Any]) -> int:
    """Sort and write postings to ``folder`` atomically; returns the posting count."""
    order = np.lexsort((p, d, h))
    tmp = folder.with_name(f".tmp-{folder.name}")
    if tmp.exists():
        shutil.rmtree(tmp)
    tmp.mkdir(parents=True)
    checksums = {}
    for name, arr in (("h", h), ("d", d), ("p", p)):
        with open(tmp / f"{name}.npy", "wb") as fh:
            np.save(fh, np.ascontiguousarray(arr[order], dtype=np.uint32))
            fh.flush()
            os.fsync(fh.fileno())
        checksums[f"{name}.npy"] = file_checksum(tmp / f"{name}.npy")
    meta = {**meta, "schema_version": SEGMENT_SCHEMA, "postings": int(h.shape[0]),
            "checksum": CHECKSUM, "checksums": checksums}
    with open(tmp / "segment.json", "w", encoding="utf-8") as fh:
        json.dump(meta, fh, indent=2, sort_keys=True)
        fh.flush()
        os.fsync(fh.fileno())
    if folder.exists():
        shutil.rmtree(folder)
    os.replace(tmp, folder)
    _fsync_dir(folder.parent)
    return int(h.shape[0])


CHECKSUM = "xxh3-128"
"""How ``segment.json`` checksums its files (:func:`file_checksum`)."""


def file_checksum(path: Path) -> str:
    """XXH3-128 of a file's bytes, hex (:func:`hashlib.file_digest`)."""
    with open(path, "rb") as fh:
        return hashlib.file_digest(fh, xxhash.xxh3_128).hexdigest()


def checksum_problems(folder: Path, meta: dict[str, Any]) -> list[str]:
    """The files of the segment in ``folder`` whose bytes differ from the checksums its
    ``segment.json`` (``meta``) recorded, each as a problem naming it (none recorded: ``[]``)."""
    problems = []
    recorded = meta.get("checksums") if meta.get("checksum") == CHECKSUM else None
    for name in ("h.npy", "d.npy", "p.npy"):
        if not isinstance(recorded, dict) or name not in recorded:
            continue
        try:
            if file_checksum(folder / name) != recorded[name]:
                problems.append(f"{folder / name}: its bytes do not match the checksum "
                                "recorded when it was written (damaged)")
        except OSError as exc:
            problems.append(f"{folder / name}: unreadable: {exc}")
    return problems


def verify_segment(folder: Path, *, max_doc: int) -> list[str]:
    """Problems of the segment in ``folder`` (none: ``[]``), each naming the file: a file whose
    bytes do not match the checksum ``segment.json`` recorded, postings not sorted by (hash,
    document), document numbers outside ``1..max_doc``. A segment written before checksums
    were recorded gets the structural checks only. Reads every posting."""
    try:
        meta = json.loads((folder / "segment.json").read_text("utf-8"))
    except (OSError, ValueError) as exc:
        return [f"{folder / 'segment.json'}: unreadable: {exc}"]
    problems = checksum_problems(folder, meta)
    if problems:
        return problems
    try:
        seg = Segment.open(folder, {})
    except IndexCorruptError as exc:
        return [str(exc)]
    h, d = seg.h, seg.d
    if h.shape[0] > 1:
        step = h[1:].astype(np.int64) - h[:-1]
        if (step < 0).any() or ((step == 0) & (d[1:] < d[:-1])).any():
            problems.append(f"{folder / 'h.npy'}: postings are not sorted by hash and document")
    if h.shape[0] and (int(d.min()) < 1 or int(d.max()) > max_doc):
        problems.append(f"{folder / 'd.npy'}: document numbers {int(d.min())}..{int(d.max())} "
                        f"outside the registry's 1..{max_doc}")
    return problems


@dataclass(frozen=True, slots=True)
class Segment:
    """A loaded (memory-mapped) segment."""

    name: str
    h: U32
    d: U32
    p: U32
    meta: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    @classmethod
    def open(cls, folder: Path, expected: dict[str, Any]) -> Segment:
        try:
            meta = json.loads((folder / "segment.json").read_text("utf-8"))
            arrays = [np.load(folder / f"{n}.npy", mmap_mode="r") for n in ("h", "d", "p")]
        except (OSError, ValueError, EOFError) as exc:  # EOFError: an empty .npy file
            raise IndexCorruptError(f"index segment {folder} is unreadable: {exc}") from exc
        for key, value in expected.items():
            if meta.get(key) != value:
                raise IndexCorruptError(
                    f"index segment {folder}: {key} is {meta.get(key)!r}, expected {value!r}")
        n = meta.get("postings")
        if any(a.shape != (n,) or a.dtype != np.uint32 for a in arrays):
            raise IndexCorruptError(f"index segment {folder}: arrays do not match its count {n}")
        # plain ndarray views of the maps (the np.memmap subclass adds a cost to every
        # look-up's indexing; the views keep the maps open)
        h, d, p = (np.asarray(a) for a in arrays)
        return cls(folder.name, h, d, p, meta)

    def verified(self, folder: Path) -> Segment:
        """This segment after checking its files' checksums (IndexCorruptError naming the
        first damaged file): what merges read, so damage is not copied into a new segment."""
        problems = checksum_problems(folder, self.meta)
        if problems:
            raise IndexCorruptError(problems[0])
        return self

    def __len__(self) -> int:
        return int(self.h.shape[0])
