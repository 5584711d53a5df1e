"""Write records back **in their input's format**, per shard, then merge the shards.

A :class:`ShardSink` writes the items of one shard to a part file under ``OUT/parts/``; the bytes
are copied from the input the record came from (its ``origin``), never re-serialised:

=========  ==========================================================  ======================
format     what is copied                                              part / merged output
=========  ==========================================================  ======================
warc       the record's original bytes: its gzip member in a          ``part-NNNNN.warc[.gz]``
           ``.warc.gz``, the record and its two CRLFs in a ``.warc``   → ``data.warc[.gz]``
           (a record of the other compression is gzipped / inflated
           with stdlib ``gzip`` so a part is all one or the other)
jsonl      the original line (a newline added to a last line without)  ``part-NNNNN.jsonl``
                                                                       → ``data.jsonl``
parquet    the original rows (``Table.take`` on the row group), with   ``part-NNNNN.parquet``
           the input file's Arrow schema                               → ``data.parquet``
folder     the original files at their relative paths, under their     ``part-NNNNN.folder/``
           input folder's name when they come from several (below)    → ``data/``
=========  ==========================================================  ======================

Atomicity: a part is written to a ``.tmp`` name next to it and renamed by :meth:`ShardSink.close`
(``os.replace``, after ``fsync``), so a part file exists only complete; a killed run leaves only
``.tmp`` files, which the next run overwrites and :func:`merge_parts` ignores. A shard that wrote
nothing leaves no part. :func:`merge_parts` concatenates the parts in shard order into one output
per format (also via temp + rename); Parquet parts whose schemas differ go to ``data.1.parquet``,
``data.2.parquet``, … in order of first appearance. Memory: one Parquet row group of the input
being copied (pyarrow ``read_row_group``), otherwise constant.

Folders: a record's file is ``origin["root"] / origin["path"]``. A folder part keeps each root
apart (``<i>/<relative path>`` for the part's i-th root, listed in ``roots.json``), so the merge
loses no file: when the merged parts hold files of one root, ``data/`` mirrors that folder
(``data/<relative path>``); of several roots, each keeps its own subtree
``data/<root's name>/<relative path>``, identical names numbered in order of first appearance
(shard order): ``repo``, ``repo-2``, … Two inputs with a file at the same relative path thus
give two files. Which roots there are is read from the parts alone (or given as ``roots``), so
a merge of the same parts — after a restart too — writes the same files.
"""

from __future__ import annotations

import gzip
import json
import os
import re
import shutil
import zlib
from collections.abc import Iterator, Sequence
from os import PathLike
from pathlib import Path
from types import TracebackType
from typing import IO, Any, cast

from rightsguard.corpus.warc import record_end
from rightsguard.model import Record

__all__ = ["FORMATS", "PART_DIR", "ShardSink", "merge_parts"]

FORMATS = ("warc", "jsonl", "parquet", "folder")
"""Formats a sink writes (a record's ``origin["format"]``)."""

PART_DIR = "parts"
"""Folder of ``OUT`` holding the part files."""

_PART = re.compile(r"^part-(\d+)\.(warc\.gz|warc|jsonl|parquet|folder)$")
_ROOTS = "roots.json"
"""File of a folder part listing its roots; root ``i``'s files are under the part's ``<i>/``."""
_COPY_CHUNK = 1 << 20


def _fsync_replace(tmp: Path, final: Path) -> None:
    if tmp.is_file():
        with open(tmp, "rb+") as fh:
            os.fsync(fh.fileno())
    elif final.is_dir():
        shutil.rmtree(final)
    os.replace(tmp, final)


def _is_gzip_file(fh: IO[bytes]) -> bool:
    fh.seek(0)
    gz = fh.read(2) == b"\x1f\x8b"
    fh.seek(0)
    return gz


class ShardSink:
    """Writes one shard's records in format ``fmt`` to ``OUT/parts/part-<shard>.<ext>``.

    Use :meth:`open`; then :meth:`write` each record, :meth:`close` to publish the part, or
    :meth:`abort` to drop it. Usable as a context manager (close on success, abort on error).
    Records must carry the ``origin`` their reader set (``records``/``warc`` readers) with
    ``origin["format"] == fmt``; otherwise :meth:`write` raises ``ValueError``.
    """

    def __init__(self, out_dir: Path, shard_id: int, fmt: str) -> None:
        if fmt not in FORMATS:
            raise ValueError(f"unknown sink format {fmt!r}; allowed: {', '.join(FORMATS)}")
        if shard_id < 0:
            raise ValueError(f"shard_id must be >= 0, got {shard_id}")
        self.out_dir = Path(out_dir)
        self.shard_id = shard_id
        self.fmt = fmt
        self.records = 0
        self.bytes = 0
        self._parts = self.out_dir / PART_DIR
        self._final: Path | None = None
        self._tmp: Path | None = None
        self._out: IO[bytes] | None = None
        self._gzip_part = False
        self._source_path: str | None = None
        self._source: IO[bytes] | None = None
        self._source_gzip = False
        self._parquet_writer: Any = None
        self._group_key: tuple[str, int] | None = None
        self._group_table: Any = None
        self._group_rows: list[int] = []
        self._roots: dict[str, int] = {}

    @classmethod
    def open(cls, out_dir: str | PathLike[str], shard_id: int, fmt: str) -> ShardSink:
        """A sink for shard ``shard_id`` (>= 0) writing ``fmt`` (one of :data:`FORMATS`)."""
        sink = cls(Path(out_dir), shard_id, fmt)
        sink._parts.mkdir(parents=True, exist_ok=True)
        return sink

    def __enter__(self) -> ShardSink:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        if exc_type is None:
            self.close()
        else:
            self.abort()

    # -- writing ---------------------------------------------------------------------------------

    def _start(self, ext: str) -> None:
        self._final = self._parts / f"part-{self.shard_id:05d}.{ext}"
        self._tmp = self._parts / f".part-{self.shard_id:05d}.{ext}.tmp"
        if self.fmt == "folder":
            if self._tmp.exists():
                shutil.rmtree(self._tmp)
            self._tmp.mkdir()
        elif self.fmt != "parquet":
            self._out = open(self._tmp, "wb")  # noqa: SIM115 (closed in close/abort)

    def _source_file(self, path: str) -> IO[bytes]:
        if self._source_path != path or self._source is None:
            if self._source is not None:
                self._source.close()
            raw = open(path, "rb")  # noqa: SIM115 (closed when the source changes or in close)
            self._source_gzip = _is_gzip_file(raw)
            self._source = raw
            if self.fmt == "jsonl" and self._source_gzip:
                self._source = cast(IO[bytes], gzip.GzipFile(fileobj=raw, mode="rb"))
            self._source_path = path
        return self._source

    def write(self, record: Record) -> None:
        """Copy ``record``'s original bytes / row / file into the part."""
        origin = record.origin
        if origin.get("format") != self.fmt:
            raise ValueError(f"{record.id}: origin format {origin.get('format')!r} cannot go"
                             f" to a {self.fmt} sink")
        getattr(self, f"_write_{self.fmt}")(record, origin)
        self.records += 1

    def _write_warc(self, record: Record, origin: dict[str, Any]) -> None:
        src = self._source_file(str(origin["path"]))
        offset = int(origin["offset"])
        end = record_end(src, offset)
        src.seek(offset)
        data = src.read(end - offset)
        if self._out is None:
            self._gzip_part = self._source_gzip
            self._start("warc.gz" if self._gzip_part else "warc")
        if self._source_gzip and not self._gzip_part:
            data = zlib.decompressobj(wbits=31).decompress(data)
        elif self._gzip_part and not self._source_gzip:
            data = gzip.compress(data, mtime=0)
        assert self._out is not None
        self._out.write(data)
        self.bytes += len(data)

    def _write_jsonl(self, record: Record, origin: dict[str, Any]) -> None:
        src = self._source_file(str(origin["path"]))
        src.seek(int(origin["offset"]))
        line = src.read(int(origin["length"]))
        if not line.endswith(b"\n"):
            line += b"\n"
        if self._out is None:
            self._start("jsonl")
        assert self._out is not None
        self._out.write(line)
        self.bytes += len(line)

    def _write_folder(self, record: Record, origin: dict[str, Any]) -> None:
        if self._tmp is None:
            self._start("folder")
        assert self._tmp is not None
        rel = Path(str(origin["path"]))
        if rel.is_absolute() or ".." in rel.parts:
            raise ValueError(f"{record.id}: relative path {rel} leaves the output folder")
        root = str(origin["root"])
        index = self._roots.setdefault(root, len(self._roots))
        target = self._tmp / str(index) / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(Path(root) / rel, target)
        self.bytes += target.stat().st_size

    def _write_parquet(self, record: Record, origin: dict[str, Any]) -> None:
        key = (str(origin["path"]), int(origin["row_group"]))
        if key != self._group_key:
            self._flush_group()
            import pyarrow.parquet as pq

            parquet = pq.ParquetFile(key[0])
            if self._parquet_writer is None:
                self._start("parquet")
                assert self._tmp is not None
                self._parquet_writer = pq.ParquetWriter(self._tmp, parquet.schema_arrow)
            self._group_table = parquet.read_row_group(key[1])
            self._group_key = key
        self._group_rows.append(int(origin["row_in_group"]))

    def _flush_group(self) -> None:
        if self._group_rows and self._group_table is not None:
            rows = self._group_table.take(self._group_rows)
            self._parquet_writer.write_table(rows)
            self.bytes += int(rows.nbytes)
        self._group_rows = []

    # -- finishing -------------------------------------------------------------------------------

    def _close_handles(self) -> None:
        if self._out is not None:
            self._out.flush()
            self._out.close()
            self._out = None
        if self._source is not None:
            self._source.close()
            self._source = None
            self._source_path = None
        if self._parquet_writer is not None:
            self._parquet_writer.close()
            self._parquet_writer = None
        self._group_table = None

    def close(self) -> Path | None:
        """Publish the part (temp + rename); returns its path, None when nothing was written."""
        if self.fmt == "parquet":
            self._flush_group()
        self._close_handles()
        if self._tmp is None or self._final is None:
            return None
        if self.fmt == "folder":
            (self._tmp / _ROOTS).write_text(json.dumps(list(self._roots)), encoding="utf-8")
        _fsync_replace(self._tmp, self._final)
        final, self._tmp = self._final, None
        return final

    def abort(self) -> None:
        """Drop the unfinished part."""
        self._close_handles()
        if self._tmp is not None:
            if self._tmp.is_dir():
                shutil.rmtree(self._tmp, ignore_errors=True)
            else:
                self._tmp.unlink(missing_ok=True)
            self._tmp = None


def _parts(out_dir: Path) -> Iterator[tuple[int, str, Path]]:
    folder = out_dir / PART_DIR
    if not folder.is_dir():
        return
    found = []
    for entry in folder.iterdir():
        match = _PART.match(entry.name)
        if match:
            found.append((int(match.group(1)), match.group(2), entry))
    yield from sorted(found)


def merge_parts(out_dir: str | PathLike[str], name: str = "data", *,
                roots: Sequence[str] | None = None) -> list[Path]:
    """Merge ``OUT/parts/part-*`` in shard order into ``OUT/<name>.<ext>`` per format (folder
    parts into ``OUT/<name>/``); returns the outputs written. Each output is written to a temp
    name and renamed, so an interrupted merge can simply be run again. Parts are kept.

    ``roots``: every folder root of the run in input order (``origin["root"]`` of its records),
    so that merges of several outputs of one run (some holding files of fewer roots) lay
    folders out alike; None = the roots found in the parts, in order of first appearance.
    Raises ``ValueError`` for a folder part of a root not in ``roots``, or written by an older
    rightsguard (no ``roots.json``)."""
    out = Path(out_dir)
    by_ext: dict[str, list[Path]] = {}
    for _shard, ext, path in _parts(out):
        by_ext.setdefault(ext, []).append(path)
    written: list[Path] = []
    for ext, paths in by_ext.items():
        if ext == "parquet":
            written += _merge_parquet(out, name, paths)
        elif ext == "folder":
            written.append(_merge_folders(out, name, paths, roots))
        else:
            final = out / f"{name}.{ext}"
            tmp = out / f".{name}.{ext}.tmp"
            with open(tmp, "wb") as dst:
                for path in paths:
                    with open(path, "rb") as src:
                        shutil.copyfileobj(src, dst, _COPY_CHUNK)
            _fsync_replace(tmp, final)
            written.append(final)
    return written


def _merge_parquet(out: Path, name: str, paths: list[Path]) -> list[Path]:
    import pyarrow.parquet as pq

    groups: list[tuple[Any, list[Path]]] = []
    for path in paths:
        schema = pq.read_schema(path)
        for known, members in groups:
            if known.equals(schema):
                members.append(path)
                break
        else:
            groups.append((schema, [path]))
    written = []
    for i, (schema, members) in enumerate(groups):
        stem = name if i == 0 else f"{name}.{i}"
        final, tmp = out / f"{stem}.parquet", out / f".{stem}.parquet.tmp"
        with pq.ParquetWriter(tmp, schema) as writer:
            for path in members:
                part = pq.ParquetFile(path)
                for group in range(part.metadata.num_row_groups):
                    writer.write_table(part.read_row_group(group))
        _fsync_replace(tmp, final)
        written.append(final)
    return written


def _part_roots(part: Path) -> list[str]:
    listing = part / _ROOTS
    if not listing.is_file():
        raise ValueError(f"{part}: folder part without {_ROOTS} (written by an older"
                         f" rightsguard); delete it and its shard's done marker to redo it")
    return [str(r) for r in json.loads(listing.read_text("utf-8"))]


def _subtree_names(roots: Sequence[str]) -> dict[str, str]:
    """Root → its subtree under a merged folder: ``""`` for a single root (the folder itself),
    else the root's folder name, identical names numbered in order: ``repo``, ``repo-2``, …
    (a name already taken, such as an input folder really named ``repo-2``, is skipped)."""
    unique = list(dict.fromkeys(roots))
    if len(unique) <= 1:
        return {root: "" for root in unique}
    names: dict[str, str] = {}
    taken: set[str] = set()
    for root in unique:
        base = Path(root).name or Path(os.path.abspath(root)).name or "root"
        candidate, n = base, 1
        while candidate in taken:
            n += 1
            candidate = f"{base}-{n}"
        taken.add(candidate)
        names[root] = candidate
    return names


def _merge_folders(out: Path, name: str, paths: list[Path],
                   roots: Sequence[str] | None) -> Path:
    listed = [(part, _part_roots(part)) for part in paths]
    found = [root for _part, part_roots in listed for root in part_roots]
    if roots is not None:
        unknown = sorted(set(found) - set(roots))
        if unknown:
            raise ValueError(f"{out}: folder parts hold files of {', '.join(unknown)}, not one"
                             f" of the roots given ({', '.join(roots) or 'none'})")
    subtrees = _subtree_names(found if roots is None else roots)
    final, tmp = out / name, out / f".{name}.tmp"
    if tmp.exists():
        shutil.rmtree(tmp)
    tmp.mkdir()
    for part, part_roots in listed:
        for index, root in enumerate(part_roots):
            top = part / str(index)
            dest = tmp / subtrees[root]
            for current, dirs, files in os.walk(top):
                dirs.sort()
                for file in sorted(files):
                    src = Path(current, file)
                    dst = dest / src.relative_to(top)
                    if dst.exists():  # one file of one root twice (the same bytes)
                        continue
                    dst.parent.mkdir(parents=True, exist_ok=True)
                    shutil.copyfile(src, dst)
    _fsync_replace(tmp, final)
    return final
