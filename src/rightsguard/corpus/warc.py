"""Read the HTTP responses of a WARC or WARC.gz file (ISO 28500, WARC 1.0/1.1) as Records.

Parsing is done by **fastwarc** (``ArchiveIterator``, ``response`` records only; gzip detected
from the stream, so ``.warc``, ``.warc.gz`` with one member per record or one member for the
whole file all work). Per record:

* ``id`` = ``warc:<path>#<byte offset of the record>`` (the offset of its gzip member in a
  ``.warc.gz``; ``origin`` = ``{"format": "warc", "path", "offset"}`` so a sink can copy the
  record's original bytes), ``source`` = ``WARC-Target-URI``, ``captured_at`` = ``WARC-Date``
  (ISO 8601 UTC, ``Z``), ``headers`` = the HTTP response headers in order, ``content`` = the HTTP
  payload with ``Transfer-Encoding: chunked`` and ``Content-Encoding`` (gzip, x-gzip, deflate:
  stdlib ``zlib``; br: fastwarc's ``BrotliReader``) undone, ``content_hash`` = SHA-256 of that
  payload, ``fields`` = ``{"http_status", "warc_record_id", "content_encoding"?}``.

Limits (bad input never raises; it becomes a Record with ``error`` set and reading goes on):

* HTTP header block larger than ``max_header_bytes`` (default 64 KiB, fastwarc's
  ``max_header_len`` counts the whole block) → error record, next record read.
* Body (raw, then decoded) larger than ``max_body_bytes`` (default 16 MiB, the screening input
  limit) → error record; at most ``max_body_bytes + 1`` bytes are read or decompressed, so a
  decompression bomb costs constant memory (skipping the rest of a bomb's *WARC* gzip member
  still costs fastwarc the time to inflate it).
* A record whose block is shorter than its ``Content-Length`` (a truncated file) → error record.
* A gzip member that fails to inflate, or an invalid WARC header → an error record at the
  failing record's offset (the first member / ``WARC/1.`` line after the last good record),
  then reading resumes at the next gzip member that inflates to ``WARC/`` (``.warc.gz``) or the
  next ``WARC/1.`` line (``.warc``). When none follows, that error record is the last one.

Where fastwarc cannot do something: its ``GzipReader`` returns no bytes rather than an error for
a corrupt gzip *payload*, so ``Content-Encoding`` gzip/deflate is inflated with ``zlib`` (which
reports the error); warcio is used only by the sinks and tests (writing), it is ~10× slower for
reading.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import io
import zlib
from collections.abc import Callable, Iterator
from os import PathLike
from pathlib import Path
from typing import IO, Any

from rightsguard.corpus.domains import host_and_domain
from rightsguard.corpus.reading import DEFAULT_MAX_BYTES
from rightsguard.corpus.records import TokenCounter, _sized, modality_for_media_type
from rightsguard.model import Modality, Record

__all__ = [
    "DEFAULT_MAX_HEADER_BYTES",
    "iso_utc",
    "read_warc",
    "record_end",
]

DEFAULT_MAX_HEADER_BYTES = 64 * 1024
"""Largest HTTP (and WARC) header block read: 64 KiB (Apache's default limit is 8 KiB per line,
100 lines)."""

_SCAN_CHUNK = 1 << 20
_GZIP_MAGIC = b"\x1f\x8b\x08"


def iso_utc(value: str | None) -> str | None:
    """An ISO 8601 / W3C-DTF timestamp (``WARC-Date``) as UTC ``YYYY-MM-DDTHH:MM:SS[.ffffff]Z``;
    a value without a zone is taken as UTC; an unparsable value gives None."""
    if not value:
        return None
    try:
        parsed = _dt.datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=_dt.UTC)
    return parsed.astimezone(_dt.UTC).isoformat().replace("+00:00", "Z")


def _is_gzip(fh: IO[bytes]) -> bool:
    fh.seek(0)
    head = fh.read(3)
    fh.seek(0)
    return head == _GZIP_MAGIC


def _member_is_warc(fh: IO[bytes], offset: int) -> bool:
    """True when a gzip member starting at ``offset`` inflates to a ``WARC/`` header."""
    fh.seek(offset)
    try:
        head = zlib.decompressobj(wbits=31).decompress(fh.read(4096), 16)
    except zlib.error:
        return False
    return head.startswith(b"WARC/")


def _next_start(fh: IO[bytes], after: int, gz: bool) -> int | None:
    """Offset of the first record start at or after ``after``: a gzip member inflating to
    ``WARC/`` in a gzip file, a ``WARC/1.`` line in a plain one; None at end of file."""
    needle = _GZIP_MAGIC if gz else b"WARC/1."
    pos = after
    while True:
        fh.seek(pos)
        chunk = fh.read(_SCAN_CHUNK + len(needle))
        if len(chunk) < len(needle):
            return None
        i = chunk.find(needle)
        while i >= 0:
            at = pos + i
            if gz:
                if _member_is_warc(fh, at):
                    return at
            elif at == 0 or _byte_at(fh, at - 1) == b"\n":
                return at
            i = chunk.find(needle, i + 1)
        if len(chunk) < _SCAN_CHUNK + len(needle):
            return None
        pos += _SCAN_CHUNK


def _byte_at(fh: IO[bytes], offset: int) -> bytes:
    fh.seek(offset)
    return fh.read(1)


def record_end(fh: IO[bytes], offset: int) -> int:
    """Byte offset just past the record (gzip member, or record plus its two CRLFs) that starts
    at ``offset``: the start of the next record, or the end of the file. Used by the WARC sink
    to copy a record's original bytes."""
    gz = _is_gzip(fh)
    fh.seek(0, io.SEEK_END)
    size = fh.tell()
    if gz:
        nxt = _next_start(fh, offset + 1, True)
        return size if nxt is None else nxt
    fh.seek(offset)
    from fastwarc.warc import ArchiveIterator

    for rec in ArchiveIterator(fh, parse_http=False):
        pos = rec.stream_pos
        if pos > offset:
            return int(pos)
    return size


def _decode_body(raw: bytes, headers: list[tuple[str, str]], limit: int,
                 ) -> tuple[bytes | None, str | None, str | None]:
    """``(payload, content encoding, problem)``: chunked framing and content codings undone,
    at most ``limit + 1`` bytes produced."""
    lower = {k.lower(): v for k, v in headers}
    data = raw
    if "chunked" in lower.get("transfer-encoding", "").lower():
        from fastwarc.stream_io import ChunkedReader

        data = ChunkedReader(io.BytesIO(raw)).read(limit + 1)
    coding = lower.get("content-encoding", "").strip().lower() or None
    if coding in ("gzip", "x-gzip", "deflate"):
        try:
            inflater = zlib.decompressobj(wbits=47 if coding != "deflate" else 15)
            data = inflater.decompress(data, limit + 1)
        except zlib.error as exc:
            if coding != "deflate":
                return None, coding, f"Content-Encoding {coding} cannot be inflated ({exc})"
            try:  # servers often send raw deflate (RFC 1951) for "deflate"
                data = zlib.decompressobj(wbits=-15).decompress(data, limit + 1)
            except zlib.error as exc2:
                return None, coding, f"Content-Encoding deflate cannot be inflated ({exc2})"
    elif coding == "br":
        from fastwarc.stream_io import BrotliReader

        data = BrotliReader(io.BytesIO(data)).read(limit + 1)
    elif coding not in (None, "identity"):
        return data, coding, None  # unknown coding: keep the bytes as sent
    if len(data) > limit:
        return None, coding, (f"decoded body is larger than the limit of {limit} bytes"
                              " (decompression bomb?)")
    return data, coding, None


def _error(rid: str, source: str, origin: dict[str, Any], message: str,
           captured_at: str | None = None) -> Record:
    host, domain = host_and_domain(source) if "://" in source else (None, None)
    return Record(id=rid, source=source, modality=Modality.OTHER.value, host=host,
                  domain=domain, captured_at=captured_at, origin=origin, error=message)


def read_warc(path: str | PathLike[str], *, count_tokens: TokenCounter | None = None,
              max_body_bytes: int = DEFAULT_MAX_BYTES,
              max_header_bytes: int = DEFAULT_MAX_HEADER_BYTES,
              target_filter: Callable[[str], bool] | None = None) -> Iterator[Record]:
    """The ``response`` records of the WARC file ``path`` as Records (see the module docstring).

    ``target_filter`` (``WARC-Target-URI`` → keep?) skips other records before their bodies
    are read. A file that cannot be opened gives one error record at position ``file``.
    """
    from fastwarc.warc import ArchiveIterator, WarcRecordType

    file = Path(path)
    where = str(file)
    try:
        fh: IO[bytes] = open(file, "rb")  # noqa: SIM115 (closed by the with below)
    except OSError as exc:
        yield _error(f"warc:{where}#file", where, {}, f"{where}: cannot be read"
                                                      f" ({exc.strerror or exc})")
        return

    def keep(rec: Any) -> bool:
        return target_filter(rec.headers.get("WARC-Target-URI", "") or "") \
            if target_filter is not None else True

    with fh:
        gz = _is_gzip(fh)
        start = 0
        while True:
            fh.seek(start)
            iterator = ArchiveIterator(fh, record_types=WarcRecordType.response,
                                       parse_http=False, max_header_len=max_header_bytes,
                                       func_filter=keep if target_filter else None)
            last = start - 1
            try:
                for rec in iterator:
                    pos = int(rec.stream_pos)
                    last = pos
                    yield _read_one(rec, where, pos, count_tokens, max_body_bytes,
                                    max_header_bytes)
                return
            except OSError as exc:
                failed = _next_start(fh, last + 1, gz)
                failed = last + 1 if failed is None else failed
                yield _error(f"warc:{where}#{failed}", where,
                             {"format": "warc", "path": where, "offset": failed},
                             f"{where}: record at byte {failed} unreadable"
                             f" ({'gzip' if gz else 'WARC'}: {exc})")
                resume = _next_start(fh, failed + 1, gz)
                if resume is None:
                    return
                start = resume


def _read_one(rec: Any, where: str, pos: int, count_tokens: TokenCounter | None,
              max_body: int, max_header: int) -> Record:
    uri = (rec.headers.get("WARC-Target-URI") or "").strip() or where
    captured = iso_utc(rec.headers.get("WARC-Date"))
    rid = f"warc:{where}#{pos}"
    origin = {"format": "warc", "path": where, "offset": pos}
    fields: dict[str, Any] = {"warc_record_id": rec.headers.get("WARC-Record-ID")}
    try:
        rec.parse_http(auto_decode="none", max_header_len=max_header)
    except OSError as exc:
        return _error(rid, uri, origin, f"{where} record at byte {pos}: HTTP headers unreadable"
                      f" ({exc}; limit {max_header} bytes)", captured)
    if rec.http_headers is None:
        return _error(rid, uri, origin, f"{where} record at byte {pos}: no HTTP response"
                      " headers", captured)
    headers = [(str(k), str(v)) for k, v in rec.http_headers.items()]
    fields["http_status"] = rec.http_headers.status_code
    expected = int(rec.content_length)
    try:
        raw = rec.reader.read(max_body + 1)
    except OSError as exc:
        return _error(rid, uri, origin, f"{where} record at byte {pos}: body unreadable ({exc})",
                      captured)
    host, domain = host_and_domain(uri)
    media_type = rec.http_content_type
    base = Record(id=rid, source=uri, modality=modality_for_media_type(media_type), host=host,
                  domain=domain, media_type=media_type, captured_at=captured,
                  headers=tuple(headers), fields=fields, origin=origin)
    if len(raw) > max_body:
        return _with_error(base, f"{where} record at byte {pos}: body is larger than the limit"
                                 f" of {max_body} bytes", size=expected)
    if len(raw) < expected:
        return _with_error(base, f"{where} record at byte {pos}: truncated (body has"
                                 f" {len(raw)} of {expected} bytes)", size=len(raw))
    body, coding, problem = _decode_body(raw, headers, max_body)
    if coding:
        fields["content_encoding"] = coding
    if body is None:
        return _with_error(base, f"{where} record at byte {pos}: {problem}", size=len(raw))
    record = Record(id=rid, source=uri, modality=base.modality, host=host, domain=domain,
                    content_hash=hashlib.sha256(body).hexdigest(), size_bytes=len(body),
                    media_type=media_type, captured_at=captured, headers=tuple(headers),
                    content=body, fields=fields, origin=origin)
    return _sized(record, count_tokens, rec.http_charset)


def _with_error(record: Record, message: str, size: int) -> Record:
    from dataclasses import replace

    return replace(record, modality=Modality.OTHER.value, size_bytes=size, error=message)
