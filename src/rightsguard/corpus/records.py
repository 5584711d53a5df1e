"""Audit readers: folders, JSON Lines and Parquet files → :class:`~rightsguard.model.Record`.

Each reader is a generator that never raises for bad content: a file, line, row group or image
that cannot be read becomes a ``Record`` with ``error`` set (the reason and the position) and
reading goes on. Record ids are stable across runs (``model.Record``):

=============  ======================================  =========================================
reader         id                                      ``origin`` (what a sink needs)
=============  ======================================  =========================================
``folder``     ``folder:<root>#<relative POSIX path>`` ``{"format": "folder", "root", "path"}``
``jsonl``      ``jsonl:<file>#<line number, 1-based>`` ``{"format": "jsonl", "path", "line",
                                                       "offset", "length"}`` (bytes of the line
                                                       in the decompressed stream)
``parquet``    ``parquet:<file>#<row index, 0-based>`` ``{"format": "parquet", "path", "row",
                                                       "row_group", "row_in_group"}``
=============  ======================================  =========================================

A whole input that cannot be opened gives one error record at position ``file``.

Sizes: ``size_bytes`` is the length of ``content``; ``size_tokens`` (text and code) is counted by
the ``count_tokens`` function the caller passes — the audit passes
:func:`rightsguard.fingerprint.text.count_tokens` (rightsguard's text tokenizer). ``corpus`` and
``fingerprint`` are sibling layers that must not import each other, so the counter is a
parameter; without one ``size_tokens`` stays None. HTML is counted on its text (``<script>``
and ``<style>`` dropped, selectolax). ``size_pixels`` of an image is width × height read from its
header by Pillow (``Image.open`` is lazy: no pixel data is decoded); an image above Pillow's
decompression-bomb limit (``2 × Image.MAX_IMAGE_PIXELS`` = 178,956,970 pixels by default) is an
error record.

Column adapter (:class:`ColumnMap`), Hugging Face style: the first present column of each role
is used — content ``text`` | ``content`` | ``code``; ``url``; licence ``licence`` | ``license``;
``title``; capture time ``captured_at`` | ``timestamp`` | ``date``. A user mapping
(``ColumnMap.from_mapping({"content": "body"})``) replaces the candidates of the roles it names.
Content from a ``code`` column is modality ``code``, otherwise ``text``, unless
``ColumnMap.modality`` fixes it. The row's other columns go to ``Record.fields`` (licence and
title under those names, JSON-serialisable).
"""

from __future__ import annotations

import datetime as _dt
import gzip
import hashlib
import io
import json
import mimetypes
import os
import stat
import warnings
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from decimal import Decimal
from os import PathLike
from pathlib import Path
from typing import IO, Any, cast

from rightsguard.corpus.domains import host_and_domain
from rightsguard.corpus.files import IGNORED_DIRS
from rightsguard.corpus.languages import is_text_path, language_for_path
from rightsguard.corpus.reading import DEFAULT_MAX_BYTES, decode_text
from rightsguard.errors import InputError
from rightsguard.model import Modality, Record

__all__ = [
    "ROLES",
    "ColumnMap",
    "TokenCounter",
    "image_pixels",
    "modality_for_media_type",
    "read_folder",
    "read_jsonl",
    "read_parquet",
    "text_for_tokens",
]

TokenCounter = Callable[[str], int]
"""A text → token count function (the audit passes ``fingerprint.text.count_tokens``)."""

ROLES = ("content", "url", "licence", "title", "captured_at")
"""Column roles a :class:`ColumnMap` resolves."""

PARQUET_BATCH_ROWS = 1024
"""Rows per Arrow batch when streaming a Parquet row group (memory ~ one batch)."""

_IMAGE_MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"\x89PNG\r\n\x1a\n", "image/png"), (b"\xff\xd8\xff", "image/jpeg"),
    (b"GIF87a", "image/gif"), (b"GIF89a", "image/gif"), (b"II*\x00", "image/tiff"),
    (b"MM\x00*", "image/tiff"), (b"BM", "image/bmp"),
)
_CODE_MEDIA_TYPES = frozenset({
    "application/javascript", "text/javascript", "application/x-python", "text/x-python",
    "text/x-c", "text/x-java-source", "text/x-java", "application/x-sh", "text/x-sh",
    "text/css", "application/typescript", "text/x-rust", "text/x-go",
})
_TEXT_MEDIA_TYPES = frozenset({
    "application/xhtml+xml", "application/json", "application/xml", "application/ld+json",
})


# -- column adapter ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ColumnMap:
    """Which column plays which role; each role lists candidate names, the first present wins.

    ``modality`` fixes the modality of every row (``text``/``code``); None chooses by the content
    column (``code`` → code, otherwise text). ``mapped``: roles the user named a column for
    (:meth:`from_mapping`); a file or row without that column is an error, not a row without the
    role (a mistyped ``url`` column would otherwise drop every URL, and with it the host files
    and the lists that decide the row)."""

    content: tuple[str, ...] = ("text", "content", "code")
    url: tuple[str, ...] = ("url",)
    licence: tuple[str, ...] = ("licence", "license", "licenses", "license_name",
                                 "licence_name")
    title: tuple[str, ...] = ("title",)
    captured_at: tuple[str, ...] = ("captured_at", "timestamp", "date")
    modality: str | None = None
    mapped: tuple[str, ...] = ()

    @classmethod
    def from_mapping(cls, mapping: Mapping[str, str], modality: str | None = None) -> ColumnMap:
        """A map where each role named in ``mapping`` (role → column) uses exactly that column.

        Raises ``ValueError`` naming every unknown role and the allowed ones, and a modality
        other than ``text``/``code``."""
        problems = [f"unknown column role {role!r}" for role in mapping if role not in ROLES]
        if modality is not None and modality not in (Modality.TEXT, Modality.CODE):
            problems.append(f"modality must be 'text' or 'code', got {modality!r}")
        if problems:
            raise ValueError("; ".join(problems) + f" (roles: {', '.join(ROLES)})")
        return cls(**{role: (column,) for role, column in mapping.items()}, modality=modality,
                   mapped=tuple(mapping))

    def resolve(self, names: Sequence[str]) -> dict[str, str]:
        """Role → column for the columns ``names`` of one file (roles without a column left out).

        Raises :class:`~rightsguard.errors.InputError` when no content column is present, or a
        column named for a role in :attr:`mapped` is not."""
        present = set(names)
        chosen: dict[str, str] = {}
        for role in ROLES:
            for candidate in getattr(self, role):
                if candidate in present:
                    chosen[role] = candidate
                    break
        missing = [f"{getattr(self, role)[0]!r} (mapped to {role})" for role in self.mapped
                   if role not in chosen]
        if missing:
            raise InputError(f"no column {', '.join(missing)}; columns are"
                             f" {', '.join(sorted(present)) or 'none'}")
        if "content" not in chosen:
            raise InputError(f"no content column (one of {', '.join(self.content)}); columns are"
                             f" {', '.join(sorted(present)) or 'none'}")
        return chosen

    def modality_of(self, content_column: str) -> str:
        if self.modality is not None:
            return self.modality
        return Modality.CODE.value if content_column == "code" else Modality.TEXT.value


# -- shared helpers ------------------------------------------------------------------------------


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _jsonable(value: Any) -> Any:
    """``value`` as JSON-serialisable data (dates as ISO 8601, bytes as their length)."""
    if value is None or isinstance(value, str | int | float | bool):
        return value
    if isinstance(value, _dt.datetime | _dt.date | _dt.time):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, bytes | bytearray):
        return f"<{len(value)} bytes>"
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    return str(value)


def modality_for_media_type(media_type: str | None) -> str:
    """Modality of an HTTP ``Content-Type`` (without parameters): ``image/*`` → image, code
    types (JavaScript, Python, CSS, …) → code, ``text/*``, XHTML, JSON, XML → text, else other."""
    if not media_type:
        return Modality.OTHER.value
    media_type = media_type.split(";", 1)[0].strip().lower()
    if media_type.startswith("image/"):
        return Modality.IMAGE.value
    if media_type in _CODE_MEDIA_TYPES:
        return Modality.CODE.value
    if media_type.startswith("text/") or media_type in _TEXT_MEDIA_TYPES:
        return Modality.TEXT.value
    return Modality.OTHER.value


def text_for_tokens(raw: bytes, media_type: str | None, charset: str | None = None, *,
                    tree: Any = None) -> str:
    """The text whose tokens measure an item: HTML without markup, ``<script>`` and ``<style>``
    (selectolax's lexbor backend); other text decoded as ``charset`` (else UTF-8 with BOM
    sniffing, invalid bytes replaced). Never raises; binary content gives ``""``.

    ``tree``: a selectolax ``LexborHTMLParser`` of ``raw`` made elsewhere (the audit parses each
    page once for its signals and its size), or None. It is used instead of a new parse only
    when lexbor was fed exactly the text this function would parse (``tree.raw_html`` equals
    its UTF-8 bytes), so the result does not depend on it; a used tree loses its ``<script>``,
    ``<style>``, ``<noscript>`` and ``<template>`` elements (this must be its last use).
    """
    if charset:
        try:
            text = raw.decode(charset, errors="replace")
        except LookupError:
            charset = None
    if not charset:
        try:
            text, _notes = decode_text(raw)
        except InputError:
            return ""
    mt = (media_type or "").split(";", 1)[0].strip().lower()
    if mt in ("text/html", "application/xhtml+xml"):
        # selectolax feeds lexbor ``text.encode("utf-8", "ignore")``; equal input, equal tree
        if tree is None or tree.raw_html != text.encode("utf-8", "ignore"):
            from selectolax.lexbor import LexborHTMLParser

            tree = LexborHTMLParser(text)
        tree.strip_tags(["script", "style", "noscript", "template"])
        root = tree.body or tree.root
        return root.text(separator=" ") if root is not None else ""
    return text


def image_pixels(raw: bytes) -> tuple[int | None, str | None]:
    """``(width × height, None)`` from an image's header, or ``(None, reason)``.

    Pillow reads only the header (lazy ``Image.open``). Images above Pillow's decompression-bomb
    limit (``2 × Image.MAX_IMAGE_PIXELS``) are refused with the reason; between 1× and 2× Pillow
    warns and the size is still returned. Formats Pillow cannot identify (e.g. SVG) give
    ``(None, reason)``."""
    from PIL import Image, UnidentifiedImageError

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(raw)) as image:
                width, height = image.size
    except Image.DecompressionBombError as exc:
        return None, f"decompression bomb refused by Pillow ({exc})"
    except UnidentifiedImageError:
        return None, "not an image format Pillow can identify"
    except (OSError, ValueError, SyntaxError) as exc:  # Pillow raises these for corrupt headers
        return None, f"unreadable image header ({exc})"
    return width * height, None


def _sized(record: Record, count_tokens: TokenCounter | None, charset: str | None = None,
           ) -> Record:
    """``record`` with tokens (text, code) or pixels (image) filled in from its content."""
    raw = record.content or b""
    if record.modality in (Modality.TEXT, Modality.CODE) and count_tokens is not None:
        return replace(record, size_tokens=count_tokens(
            text_for_tokens(raw, record.media_type, charset)))
    if record.modality == Modality.IMAGE:
        pixels, problem = image_pixels(raw)
        if problem is not None and "bomb" in problem:
            return replace(record, error=f"{record.id}: {problem}")
        fields = record.fields if problem is None else {**record.fields, "image_note": problem}
        return replace(record, size_pixels=pixels, fields=fields)
    return record


# -- folders -------------------------------------------------------------------------------------


def _sniff_media_type(path: Path, head: bytes) -> str | None:
    guessed, _encoding = mimetypes.guess_type(path.name, strict=False)
    if guessed:
        return guessed
    for magic, media_type in _IMAGE_MAGIC:
        if head.startswith(magic):
            return media_type
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    return None


def _folder_modality(rel: str, media_type: str | None, raw: bytes) -> str:
    if media_type and media_type.startswith("image/"):
        return Modality.IMAGE.value
    if media_type in ("text/html", "application/xhtml+xml"):
        return Modality.TEXT.value
    if language_for_path(rel) is not None:
        return Modality.CODE.value
    try:
        decode_text(raw[:65536])
    except InputError:
        return Modality.OTHER.value
    return Modality.TEXT.value if is_text_path(rel) or media_type is None or \
        media_type.startswith("text/") else Modality.OTHER.value


def _walk(root: Path) -> Iterator[Path]:
    """Regular files under ``root`` in a deterministic order (sorted names, depth first);
    version-control and cache folders (``files.IGNORED_DIRS``) are skipped."""
    for current, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if d not in IGNORED_DIRS)
        for name in sorted(files):
            yield Path(current, name)


def input_state(path: str | PathLike[str]) -> dict[str, int]:
    """What a resumed audit checks has not changed in one input: ``{"files", "bytes",
    "mtime_ns"}`` — the regular files :func:`read_folder` would read under ``path`` (or the file
    ``path``), their total size in bytes and the newest modification time (ns since the epoch).
    Files that vanish while walking are not counted. Raises OSError when ``path`` cannot be read.
    """
    root = Path(path)
    files = [root] if root.is_file() else _walk(root)
    n = size = newest = 0
    for f in files:
        try:
            st = f.stat()
        except FileNotFoundError:
            continue
        n, size, newest = n + 1, size + st.st_size, max(newest, st.st_mtime_ns)
    return {"files": n, "bytes": size, "mtime_ns": newest}


def read_folder(path: str | PathLike[str], *, count_tokens: TokenCounter | None = None,
                max_bytes: int = DEFAULT_MAX_BYTES) -> Iterator[Record]:
    """Every regular file under ``path`` (or the one file ``path``) as a Record.

    Modality by name and content: images by MIME type from the extension, else by magic bytes
    (PNG, JPEG, GIF, TIFF, BMP, WebP); HTML is text; code by ``languages.language_for_path``;
    other files are text when they decode as text (``reading.decode_text``), else ``other``.
    ``source`` is the file's path; files larger than ``max_bytes`` (default 16 MiB, the
    screening limit), symbolic links to files outside ``path`` and files that are not regular
    (FIFOs, devices) are error records (the item is reviewed; nothing outside the corpus is
    read or copied).
    """
    root = Path(path)
    if root.is_file():
        files: Iterator[Path] = iter([root])
        base = root.parent
    elif root.is_dir():
        files, base = _walk(root), root
    else:
        yield Record(id=f"folder:{root}#file", source=str(root), modality=Modality.OTHER.value,
                     error=f"{root}: no such file or folder")
        return
    inside = base.resolve()
    for file in files:
        rel = file.relative_to(base).as_posix()
        rid = f"folder:{root}#{rel}"
        origin = {"format": "folder", "root": str(base), "path": rel}
        try:
            target = file.resolve() if file.is_symlink() else None
            if target is not None and not target.is_relative_to(inside):
                # not part of the corpus: reading it would copy e.g. /etc/passwd into filtered/
                yield Record(id=rid, source=str(file), modality=Modality.OTHER.value,
                             origin=origin, error=f"{file}: a symbolic link to {target},"
                                                  " outside the corpus folder: not read")
                continue
            st = file.stat()
            if not stat.S_ISREG(st.st_mode):  # a FIFO or a device would block or never end
                yield Record(id=rid, source=str(file), modality=Modality.OTHER.value,
                             origin=origin, error=f"{file}: not a regular file: not read")
                continue
            size = st.st_size
            if size > max_bytes:
                yield Record(id=rid, source=str(file), modality=Modality.OTHER.value,
                             size_bytes=size, origin=origin,
                             error=f"{file}: {size} bytes is larger than the limit of"
                                   f" {max_bytes} bytes")
                continue
            raw = file.read_bytes()
        except OSError as exc:
            yield Record(id=rid, source=str(file), modality=Modality.OTHER.value, origin=origin,
                         error=f"{file}: cannot be read ({exc.strerror or exc})")
            continue
        media_type = _sniff_media_type(file, raw[:16])
        record = Record(id=rid, source=str(file), modality=_folder_modality(rel, media_type, raw),
                        content_hash=_sha256(raw), size_bytes=len(raw), media_type=media_type,
                        content=raw, origin=origin)
        yield _sized(record, count_tokens)


# -- catalogue rows ------------------------------------------------------------------------------


def _row_record(reader: str, path: Path, position: int, row: Mapping[str, Any],
                roles: Mapping[str, str], columns: ColumnMap, origin: dict[str, Any],
                count_tokens: TokenCounter | None) -> Record:
    rid = f"{reader}:{path}#{position}"
    content_column = roles["content"]
    value = row.get(content_column)
    url = row.get(roles["url"]) if "url" in roles else None
    url = url if isinstance(url, str) and url.strip() else None
    host, domain = host_and_domain(url) if url else (None, None)
    fields: dict[str, Any] = {}
    for role in ("licence", "title"):
        if role in roles and row.get(roles[role]) is not None:
            fields[role] = _jsonable(row[roles[role]])
    used = set(roles.values())
    fields.update((k, _jsonable(v)) for k, v in row.items() if k not in used)
    captured = row.get(roles["captured_at"]) if "captured_at" in roles else None
    base = Record(id=rid, source=url or str(path), modality=columns.modality_of(content_column),
                  host=host, domain=domain, fields=fields, origin=origin,
                  captured_at=None if captured is None else str(_jsonable(captured)))
    if isinstance(value, str):
        raw = value.encode("utf-8", errors="surrogatepass")
    elif isinstance(value, bytes):
        raw = value
    else:
        got = "no value" if value is None else f"a {type(value).__name__}"
        return replace(base, error=f"{path} {reader} row {position}: {content_column!r} has"
                                   f" {got}, expected text")
    return _sized(replace(base, content=raw, content_hash=_sha256(raw), size_bytes=len(raw)),
                  count_tokens)


def _open_lines(path: Path) -> IO[bytes]:
    if path.name.lower().endswith(".gz"):
        return cast(IO[bytes], gzip.open(path, "rb"))
    return open(path, "rb")


def read_jsonl(path: str | PathLike[str], columns: ColumnMap | None = None, *,
               count_tokens: TokenCounter | None = None,
               max_line_bytes: int = DEFAULT_MAX_BYTES) -> Iterator[Record]:
    """One Record per non-empty line of a JSON Lines file (``.gz`` decompressed on the fly).

    Columns are resolved on each object (see :class:`ColumnMap`; rows need not share keys).
    Error records: a line
    that is not a JSON object, invalid UTF-8, longer than ``max_line_bytes`` (default 16 MiB;
    read no further than the limit), a row without content, a file that is missing or whose
    gzip stream breaks (the last record says where; nothing after it can be read)."""
    columns = columns or ColumnMap()
    file = Path(path)
    where = str(file)
    resolved: dict[tuple[str, ...], dict[str, str]] = {}  # keys of a row → its roles
    number = offset = 0
    try:
        fh = _open_lines(file)
    except OSError as exc:
        yield Record(id=f"jsonl:{where}#file", source=where, modality=Modality.OTHER.value,
                     error=f"{where}: cannot be read ({exc.strerror or exc})")
        return
    with fh:
        while True:
            try:
                line = fh.readline(max_line_bytes + 1)
            except (OSError, EOFError, gzip.BadGzipFile) as exc:
                yield Record(id=f"jsonl:{where}#{number + 1}", source=where,
                             modality=Modality.OTHER.value,
                             error=f"{where}: unreadable after line {number} (byte {offset} of"
                                   f" the decompressed stream): {exc}")
                return
            if not line:
                return
            number += 1
            start, length = offset, len(line)
            too_long = len(line) > max_line_bytes
            while too_long and not line.endswith(b"\n"):  # skip the rest of the long line
                line = fh.readline(1 << 20)
                length += len(line)
                if not line:
                    break
            offset += length
            rid = f"jsonl:{where}#{number}"
            origin = {"format": "jsonl", "path": where, "line": number, "offset": start,
                      "length": length}
            if too_long:
                yield Record(id=rid, source=where, modality=Modality.OTHER.value, origin=origin,
                             size_bytes=length, error=f"{where} line {number}: {length} bytes is"
                                                      f" longer than the limit of"
                                                      f" {max_line_bytes} bytes")
                continue
            if not line.strip():
                continue
            try:
                row = json.loads(line.decode("utf-8"))
            except (UnicodeDecodeError, json.JSONDecodeError) as exc:
                yield Record(id=rid, source=where, modality=Modality.OTHER.value, origin=origin,
                             error=f"{where} line {number}: invalid JSON ({exc})")
                continue
            if not isinstance(row, dict):
                yield Record(id=rid, source=where, modality=Modality.OTHER.value, origin=origin,
                             error=f"{where} line {number}: expected a JSON object, got"
                                   f" {type(row).__name__}")
                continue
            # each row its own columns: JSON Lines rows need not share keys (a first row without
            # "url" made every later row's URL, capture time and licence unread)
            keys = tuple(row)
            roles = resolved.get(keys)
            if roles is None:
                try:
                    roles = columns.resolve(list(keys))
                except InputError as exc:
                    yield Record(id=rid, source=where, modality=Modality.OTHER.value,
                                 origin=origin, error=f"{where} line {number}: {exc}")
                    continue
                if len(resolved) < 256:
                    resolved[keys] = roles
            yield _row_record("jsonl", file, number, row, roles, columns, origin, count_tokens)


def read_parquet(path: str | PathLike[str], columns: ColumnMap | None = None, *,
                 count_tokens: TokenCounter | None = None,
                 batch_rows: int = PARQUET_BATCH_ROWS) -> Iterator[Record]:
    """One Record per row of a Parquet file, streamed row group by row group in batches of
    ``batch_rows`` (pyarrow ``ParquetFile.iter_batches``): memory ~ one batch.

    Error records: a file that cannot be opened or has no content column (position ``file``);
    a row group that cannot be decoded (one record at its first row, naming the group and its
    rows; the next group is read); a row without content."""
    columns = columns or ColumnMap()
    file = Path(path)
    where = str(file)
    import pyarrow.parquet as pq

    try:
        parquet = pq.ParquetFile(file)
        roles = columns.resolve(parquet.schema_arrow.names)
    except (OSError, ValueError, InputError) as exc:  # ArrowInvalid is a ValueError
        problem = str(exc) if isinstance(exc, InputError) else \
            f"not a readable Parquet file ({exc})"
        yield Record(id=f"parquet:{where}#file", source=where, modality=Modality.OTHER.value,
                     error=f"{where}: {problem}")
        return
    metadata = parquet.metadata
    first_row = 0
    for group in range(metadata.num_row_groups):
        group_rows = metadata.row_group(group).num_rows
        row = first_row
        try:
            for batch in parquet.iter_batches(batch_size=batch_rows, row_groups=[group]):
                for values in batch.to_pylist():
                    origin = {"format": "parquet", "path": where, "row": row,
                              "row_group": group, "row_in_group": row - first_row}
                    yield _row_record("parquet", file, row, values, roles, columns, origin,
                                      count_tokens)
                    row += 1
        except (OSError, ValueError) as exc:
            yield Record(id=f"parquet:{where}#{row}", source=where,
                         modality=Modality.OTHER.value,
                         origin={"format": "parquet", "path": where, "row": row,
                                 "row_group": group, "row_in_group": row - first_row},
                         error=f"{where}: row group {group} (rows {first_row}–"
                               f"{first_row + group_rows - 1}) unreadable from row {row}: {exc}")
        first_row += group_rows

