"""Import a catalogue of works: JSON Lines or Parquet, one work per row.

Columns (unknown columns are ignored):

=============  ==============================================================================
``text``       the work's text; or ``code`` plus ``language`` for code; or ``path`` (one of them
               required)
``path``       an image file (:data:`~rightsguard.corpus.languages.IMAGE_SUFFIXES`), relative to the
               catalogue's folder or absolute: an image work (kind ``image``, or ``mark`` for
               a registered logo or watermark). Columns given override what the image's
               embedded metadata states (IPTC/XMP, EXIF, C2PA: see
               :class:`~rightsguard.corpus.files.ImageRights`); its rights reservations are
               added to the identifiers; when that metadata cannot be read the licence stays
               ``NOASSERTION`` unless the row gives one
``title``      string (default: ``"{file name} row {n}"``)
``holder``     string or list of strings
``licence``    SPDX expression (``license`` accepted too); missing -> ``NOASSERTION``
``url``        where the work is published; the source URI (default: the file URI + ``#row=n``)
``kind``       ``lyrics`` | ``poem`` | ``text`` | ``code`` | ``image`` | ``mark`` (default:
               ``image`` with a ``path``, ``code`` with a ``code`` column, else ``text``)
``isbn``, ``iswc``, ``doi``   identifiers (strings)
``famous``     bool: reported even where its fingerprints are frequent
=============  ==============================================================================

Row numbers are 1-based: the line number in JSON Lines, the row number in Parquet. A bad row is
yielded as :class:`~rightsguard.model.Skipped` naming the file, the row and the problem, and
reading goes on. Parquet is read one record batch at a time.
"""

from __future__ import annotations

import gzip
import json
from collections import Counter
from collections.abc import Iterator
from os import PathLike
from pathlib import Path
from typing import IO, Any, cast

from rightsguard.corpus.base import (
    NOASSERTION,
    RESOLVER_ERRORS,
    LazyWorks,
    LicenceResolver,
    WorkItem,
    dedupe,
)
from rightsguard.corpus.files import image_rights_of
from rightsguard.corpus.languages import normalise_language
from rightsguard.corpus.reading import DEFAULT_MAX_BYTES, MAX_BYTES_SETTING
from rightsguard.errors import InputError
from rightsguard.model import Skipped, Source, WorkInput

__all__ = ["CATALOGUE_FORMATS", "KINDS", "CatalogueWorks", "iter_catalogue_works"]

KINDS = frozenset({"lyrics", "poem", "text", "code", "image", "mark"})
IMAGE_KINDS = frozenset({"image", "mark"})
IDENTIFIER_COLUMNS = (("isbn", "ISBN"), ("iswc", "ISWC"), ("doi", "DOI"))
COLUMNS = ("text", "code", "path", "language", "title", "holder", "licence", "license", "url",
           "kind", "isbn", "iswc", "doi", "famous")
CATALOGUE_FORMATS = {".jsonl": "jsonl", ".ndjson": "jsonl", ".jsonl.gz": "jsonl",
                     ".ndjson.gz": "jsonl", ".parquet": "parquet", ".pq": "parquet"}
"""File name endings -> format."""

PARQUET_BATCH_ROWS = 1024


def _format_of(path: Path) -> str:
    name = path.name.lower()
    for ending, fmt in CATALOGUE_FORMATS.items():
        if name.endswith(ending):
            return fmt
    allowed = ", ".join(CATALOGUE_FORMATS)
    raise InputError(f"{path}: unknown catalogue format; file names must end in {allowed}")


def _licence_value(row: dict[str, Any]) -> Any:
    """The row's ``licence``, else its ``license`` (a Parquet file with both columns has nulls
    in the one a row does not use)."""
    value = row.get("licence")
    return row.get("license") if value is None else value


class CatalogueWorks(LazyWorks):
    """Iterator over the rows of a catalogue file; yields ``WorkInput`` or ``Skipped``.

    Picklable until iteration starts; ``stats`` counts ``work`` and ``skipped`` rows.
    """

    def __init__(self, path: str | PathLike[str], *, resolver: LicenceResolver,
                 max_bytes: int = DEFAULT_MAX_BYTES) -> None:
        self.path = Path(path)
        problems: list[str] = []
        if not self.path.is_file():
            problems.append(f"{self.path}: no such file")
        if max_bytes < 0:
            problems.append(f"max_bytes must be >= 0, got {max_bytes}")
        if problems:
            raise InputError("; ".join(problems))
        self.format = _format_of(self.path)
        self.resolver = resolver
        self.max_bytes = max_bytes
        self.stats: Counter[str] = Counter()
        self._licences: dict[str, str | Exception] = {}
        self._gen: Iterator[WorkItem] | None = None

    def _generate(self) -> Iterator[WorkItem]:
        rows = self._jsonl_rows() if self.format == "jsonl" else self._parquet_rows()
        for number, row in rows:
            item = row if isinstance(row, Skipped) else self._row(number, row)
            self.stats["work" if isinstance(item, WorkInput) else "skipped"] += 1
            yield item

    # -- readers -------------------------------------------------------------------------------

    def _open(self) -> IO[bytes]:
        if self.path.name.lower().endswith(".gz"):
            return cast(IO[bytes], gzip.open(self.path, "rb"))
        return open(self.path, "rb")

    def _jsonl_rows(self) -> Iterator[tuple[int, dict[str, Any] | Skipped]]:
        where = str(self.path)
        with self._open() as fh:
            for number, line in enumerate(fh, start=1):
                if not line.strip():
                    continue
                try:
                    row = json.loads(line)
                except (json.JSONDecodeError, UnicodeDecodeError) as exc:
                    yield number, Skipped(f"{where}:{number}",
                                          f"{where} line {number}: invalid JSON ({exc})")
                    continue
                if not isinstance(row, dict):
                    yield number, Skipped(f"{where}:{number}", f"{where} line {number}: expected"
                                          f" a JSON object, got {type(row).__name__}")
                    continue
                yield number, row

    def _parquet_rows(self) -> Iterator[tuple[int, dict[str, Any] | Skipped]]:
        try:
            import pyarrow.parquet as pq
        except ImportError as exc:  # a core dependency; only a broken install gets here
            raise InputError(f"{self.path}: reading Parquet needs pyarrow"
                             " (pip install pyarrow)") from exc
        try:
            parquet = pq.ParquetFile(self.path)
        except Exception as exc:  # pyarrow raises ArrowInvalid and OSError subclasses
            raise InputError(f"{self.path}: not a readable Parquet file ({exc})") from exc
        present = set(parquet.schema_arrow.names)
        if not present & {"text", "code", "path"}:
            raise InputError(f"{self.path}: no 'text', 'code' or 'path' column; columns are"
                             f" {sorted(present)}")
        columns = [c for c in COLUMNS if c in present]
        number = 0
        for batch in parquet.iter_batches(batch_size=PARQUET_BATCH_ROWS, columns=columns):
            for row in batch.to_pylist():
                number += 1
                yield number, row

    # -- one row -------------------------------------------------------------------------------

    def _row(self, number: int, row: dict[str, Any]) -> WorkItem:
        where = f"{self.path}:{number}"
        problems: list[str] = []
        text = row.get("text")
        code = row.get("code")
        image_path = row.get("path") if text is None and code is None else None
        body = code if text is None else text
        kind = row.get("kind")
        if kind is None:
            kind = "image" if image_path is not None else \
                "code" if text is None and code is not None else "text"
        elif not isinstance(kind, str) or kind not in KINDS:
            problems.append(f"kind {kind!r} is not one of {', '.join(sorted(KINDS))}")
            kind = "text"  # read on for the row's other problems; the row is an error
        image_raw = b""
        if kind in IMAGE_KINDS:
            image_raw = self._image(image_path, problems)
        elif body is None:
            problems.append("no 'text', 'code' or 'path' value")
        elif not isinstance(body, str):
            problems.append(f"'text' must be a string, got {type(body).__name__}")
        elif not body.strip():
            problems.append("empty text")
        language: str | None = None
        if kind == "code":
            label = row.get("language")
            if isinstance(label, str) and label.strip():
                language = normalise_language(label)
            else:
                problems.append("a code work needs a 'language'")
        title = f"{self.path.name} row {number}"
        given_title = row.get("title")
        if isinstance(given_title, str) and given_title.strip():
            title = given_title.strip()
        elif given_title is not None:
            problems.append("'title' must be a non-empty string")
        holder = row.get("holder")
        holders: tuple[str, ...] = ()
        if isinstance(holder, str):
            holders = dedupe([holder])
        elif isinstance(holder, list) and all(isinstance(h, str) for h in holder):
            holders = dedupe(holder)
        elif holder is not None:
            problems.append("'holder' must be a string or a list of strings")
        stated_licence = _licence_value(row)
        licence = self._licence(stated_licence, problems)
        embedded_ids: tuple[tuple[str, str], ...] = ()
        if kind in IMAGE_KINDS and image_raw:
            stated = image_rights_of(self.resolver, image_raw)
            if not holders:
                holders = dedupe(stated.holders)
            # unreadable metadata may state another licence: it stays NOASSERTION (review)
            if licence == NOASSERTION and stated_licence is None \
                    and stated.licence and not stated.problems:
                licence = stated.licence
            embedded_ids = stated.identifiers
        url = row.get("url")
        if url is not None and (not isinstance(url, str) or not url.strip()):
            problems.append("'url' must be a non-empty string")
        identifiers: list[tuple[str, str]] = []
        for column, scheme in IDENTIFIER_COLUMNS:
            value = row.get(column)
            if value is None:
                continue
            if isinstance(value, str) and value.strip():
                identifiers.append((scheme, value.strip()))
            else:
                problems.append(f"'{column}' must be a non-empty string")
        identifiers += [i for i in embedded_ids if i not in identifiers]
        famous = row.get("famous")
        if famous is not None and not isinstance(famous, bool):
            problems.append(f"'famous' must be true or false, got {famous!r}")
        raw = image_raw if kind in IMAGE_KINDS else \
            body.encode("utf-8") if isinstance(body, str) else b""
        if len(raw) > self.max_bytes:
            problems.append(f"text of {len(raw)} bytes is larger than the input limit of"
                            f" {self.max_bytes} bytes ({MAX_BYTES_SETTING})")
        if problems:
            return Skipped(where, f"{self.path} row {number}: " + "; ".join(problems))
        if kind in IMAGE_KINDS:
            file = self._resolve(str(image_path))  # a non-empty string: checked by _image
            uri = url.strip() if url else file.as_uri()
            return WorkInput(raw=raw, title=title if given_title else file.name, holders=holders,
                             licence=licence, source=Source(uri=uri, path=str(file)),
                             modality="image", kind=kind, identifiers=tuple(identifiers),
                             famous=bool(famous))
        uri = url.strip() if url else f"{self.path.resolve().as_uri()}#row={number}"
        return WorkInput(
            raw=raw, title=title, holders=holders, licence=licence, source=Source(uri=uri),
            modality="code" if kind == "code" else "text", language=language, kind=kind,
            identifiers=tuple(identifiers), famous=bool(famous))

    def _resolve(self, value: str) -> Path:
        path = Path(value).expanduser()
        return (path if path.is_absolute() else self.path.parent / path).resolve()

    def _image(self, value: Any, problems: list[str]) -> bytes:
        """The bytes of the image file a row's ``path`` names (b"" and a problem when it
        cannot be read)."""
        if not isinstance(value, str) or not value.strip():
            problems.append("an image row needs a 'path' to the image file")
            return b""
        file = self._resolve(value)
        try:
            size = file.stat().st_size
            if size > self.max_bytes:
                problems.append(f"image {file} of {size} bytes is larger than the input limit "
                                f"of {self.max_bytes} bytes ({MAX_BYTES_SETTING})")
                return b""
            data = file.read_bytes()
        except OSError as exc:
            problems.append(f"image {file} cannot be read ({exc.strerror or exc})")
            return b""
        if not data:
            problems.append(f"image {file} is empty")
        return data

    def _licence(self, value: Any, problems: list[str]) -> str:
        if value is None or (isinstance(value, str) and not value.strip()):
            return NOASSERTION
        if not isinstance(value, str):
            problems.append(f"'licence' must be a string, got {type(value).__name__}")
            return NOASSERTION
        cached = self._licences.get(value)
        if cached is None:
            try:
                cached = self.resolver.normalise(value)
            except RESOLVER_ERRORS as exc:
                cached = exc
            self._licences[value] = cached
        if isinstance(cached, Exception):
            problems.append(f"licence {value!r} is not an SPDX expression ({cached})")
            return NOASSERTION
        return cached


def iter_catalogue_works(path: str | PathLike[str], *, resolver: LicenceResolver,
                         max_bytes: int = DEFAULT_MAX_BYTES) -> CatalogueWorks:
    """Works in a JSON Lines or Parquet catalogue (see :class:`CatalogueWorks`).

    Raises :class:`~rightsguard.errors.InputError` when the file is missing, its name has no
    known ending (:data:`CATALOGUE_FORMATS`), or a Parquet file has neither a ``text`` nor a
    ``code`` column; row problems are yielded as ``Skipped``.
    """
    return CatalogueWorks(path, resolver=resolver, max_bytes=max_bytes)
