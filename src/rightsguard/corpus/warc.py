"""Read the HTTP responses and resources of a WARC or WARC.gz file (ISO 28500, WARC 1.0/1.1) as
Records.

Parsing is done by **fastwarc** (``ArchiveIterator``; gzip detected from the stream, so
``.warc``, ``.warc.gz`` with one member per record or one member for the whole file all work).
The records read are ``response`` and ``resource`` — the two types whose payload is the
captured content (WARC 1.1, "WARC Record Types"); ``request``, ``metadata``, ``revisit``
(a reference to an earlier capture), ``warcinfo``, ``conversion`` and ``continuation`` records
are not corpus items. Per record:

* ``id`` = ``warc:<path>#<byte offset of the record>`` (the offset of its gzip member in a
  ``.warc.gz``; ``origin`` = ``{"format": "warc", "path", "offset"}`` so a sink can copy the
  record's original bytes), ``source`` = ``WARC-Target-URI``, ``captured_at`` = ``WARC-Date``
  (ISO 8601 UTC, ``Z``), ``headers`` = the HTTP response headers in order, ``content`` = the HTTP
  payload with ``Transfer-Encoding: chunked`` and ``Content-Encoding`` (gzip, x-gzip, deflate:
  stdlib ``zlib``; br: fastwarc's ``BrotliReader``; zstd; several in a row) undone — any other
  coding, or one that does not decode, makes an error record (:func:`_decode_body`),
  ``content_hash`` = SHA-256 of that payload, ``fields`` = ``{"http_status", "warc_record_id",
  "content_encoding"?, "http_charset"?}`` (``http_charset``: the ``Content-Type`` charset,
  lower case, as fastwarc reads it, when it names a Python codec; the text decoding of a later
  token count, e.g. the audit's).
* A ``resource`` record has no HTTP response: its payload is its block ("for all 'resource'
  records, the payload is defined as the record block", WARC 1.1, record type 'resource'),
  read as it is (no content coding to undo), ``headers`` empty, ``media_type`` and
  ``http_charset`` from the WARC ``Content-Type`` (None when it says nothing: missing,
  ``application/octet-stream``, or ``application/warc-record``, which some writers put on every
  non-HTTP record), ``fields`` ``{"warc_type": "resource", "warc_record_id"}`` — no
  ``http_status``.
* A record with a ``WARC-Truncated`` field holds only part of its payload (the crawler's length
  or time limit, a disconnect; WARC 1.1, field WARC-Truncated, whose ``Content-Length`` reports
  the truncated size) → error record: rights signals in the part not kept cannot be read.

Limits (bad input never raises; it becomes a Record with ``error`` set and reading goes on):

* HTTP header block larger than ``max_header_bytes`` (default 64 KiB, fastwarc's
  ``max_header_len`` counts the whole block) → error record, next record read.
* Body (raw, then decoded) larger than ``max_body_bytes`` (default 16 MiB, the screening input
  limit) → error record; at most ``max_body_bytes + 1`` bytes are read or decompressed, so a
  decompression bomb costs constant memory (skipping the rest of a bomb's *WARC* gzip member
  still costs fastwarc the time to inflate it).
* A record whose block is shorter than its ``Content-Length`` (a truncated file) → error record.
* **One row per damaged record.** A record is yielded only once the reader knows where it ends:
  when fastwarc has moved on to the next record, or, for the last record it returned, when its
  gzip member inflates to its end (``zlib``) or, in a ``.warc``, its header block +
  ``Content-Length`` + CRLF CRLF lie inside the file. A last record that does not end there
  (the file is cut or corrupt inside it) is yielded once, as an error record under its own
  offset — its own reading error if it had one (``truncated (body has …)``), else "truncated
  (…)" — never followed by a second error row for the same bytes.
* A gzip member that fails to inflate, an invalid WARC header, or bytes after the last complete
  record (which fastwarc drops silently) → an error record at the offset where the last good
  record ends, then reading resumes at the next gzip member that inflates to ``WARC/``
  (``.warc.gz``) or the next ``WARC/1.`` line (``.warc``), after a damaged record at the first
  one past its start. When none follows, that error record is the last one.

Where fastwarc cannot do something: its ``GzipReader`` returns no bytes rather than an error for
a corrupt gzip *payload*, so ``Content-Encoding`` gzip/deflate is inflated with ``zlib`` (which
reports the error); it says nothing about a member cut at the end of the file, hence the check
above. warcio is used by the tests to write WARCs (it reads ~10× slower than fastwarc).
A ``.warc.gz`` must hold one gzip member per record (ISO 28500 Annex D; Common Crawl does) for
offsets to address records.
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


def _member_end(fh: IO[bytes], offset: int) -> int | None:
    """Offset just past the gzip member starting at ``offset`` (inflated in 1 MiB steps, output
    discarded), or None when it does not inflate to its end (corrupt or cut)."""
    inflater = zlib.decompressobj(wbits=31)
    fh.seek(offset)
    fed = 0
    try:
        while not inflater.eof:
            chunk = fh.read(1 << 16)
            if not chunk:
                return None
            fed += len(chunk)
            inflater.decompress(chunk, 1 << 20)
            while inflater.unconsumed_tail and not inflater.eof:
                inflater.decompress(inflater.unconsumed_tail, 1 << 20)
    except zlib.error:
        return None
    return offset + fed - len(inflater.unused_data)


def _plain_end(fh: IO[bytes], offset: int, content_length: int | None,
               max_header: int = DEFAULT_MAX_HEADER_BYTES) -> int | None:
    """Offset just past the uncompressed record at ``offset``: its header block, the
    ``Content-Length`` bytes of its block and the two CRLFs that end a record (ISO 28500 §4)."""
    if content_length is None:
        from fastwarc.warc import ArchiveIterator

        fh.seek(offset)
        try:
            rec = next(iter(ArchiveIterator(fh, parse_http=False)), None)
        except OSError:
            return None
        if rec is None or rec.stream_pos != offset:
            return None
        content_length = _content_length(rec)
        if content_length is None:
            return None
    fh.seek(offset)
    head = fh.read(max_header + 4)
    blank = head.find(b"\r\n\r\n")
    return None if blank < 0 else offset + blank + 4 + content_length + 4


def _content_length(rec: Any) -> int | None:
    value = rec.headers.get("Content-Length")
    return int(value) if value is not None and str(value).strip().isdigit() else None


def record_end(fh: IO[bytes], offset: int) -> int:
    """Byte offset just past the record that starts at ``offset`` — its gzip member in a
    ``.warc.gz`` (one member per record, as ISO 28500 Annex D recommends), the record and its
    two CRLFs in a ``.warc`` — capped at the file size. Used by the WARC sink to copy a
    record's original bytes."""
    gz = _is_gzip(fh)
    fh.seek(0, io.SEEK_END)
    size = fh.tell()
    end = _member_end(fh, offset) if gz else _plain_end(fh, offset, None)
    return size if end is None else min(end, size)


def _decode_body(raw: bytes, headers: list[tuple[str, str]], limit: int,
                 ) -> tuple[bytes | None, str | None, str | None]:
    """``(payload, content encoding, problem)``: chunked framing and content codings undone,
    at most ``limit + 1`` bytes produced.

    ``Content-Encoding`` lists the codings in the order they were applied (RFC 9110 §8.4), so
    they are undone last first: gzip, x-gzip, deflate (zlib; raw deflate too), br (fastwarc's
    ``BrotliReader``), zstd (``zstandard``), identity. Any other coding (``compress``, a private
    one) or a stream that does not decode is a problem: the payload is not read as if it were
    plain, since rights signals inside it could not be seen (the item is then reviewed). A
    payload with no coding declared that starts with the gzip magic (RFC 1952 §2.3.1) and
    inflates whole is read inflated (``content encoding`` ``gzip (undeclared)``)."""
    lower = {k.lower(): v for k, v in headers}
    data = raw
    if "chunked" in lower.get("transfer-encoding", "").lower():
        from fastwarc.stream_io import ChunkedReader

        data = ChunkedReader(io.BytesIO(raw)).read(limit + 1)
    declared = lower.get("content-encoding", "").strip().lower() or None
    codings = [c.strip() for c in (declared or "").split(",")]
    codings = [c for c in codings if c and c != "identity"]
    if not codings and data[:3] == b"\x1f\x8b\x08":
        inflated, _problem = _inflate(data, 31, limit)
        if inflated is not None:
            return _within(inflated, "gzip (undeclared)", limit)
    for coding in reversed(codings):
        decoded, problem = _undo(coding, data, limit)
        if decoded is None:
            listed = f" (of {declared!r})" if len(codings) > 1 else ""
            return None, declared, f"Content-Encoding {coding}{listed} {problem}"
        data = decoded
    return _within(data, declared, limit)


def _within(data: bytes, coding: str | None, limit: int
            ) -> tuple[bytes | None, str | None, str | None]:
    if len(data) > limit:
        return None, coding, (f"decoded body is larger than the limit of {limit} bytes"
                              " (decompression bomb?)")
    return data, coding, None


def _undo(coding: str, data: bytes, limit: int) -> tuple[bytes | None, str]:
    """One content coding undone: ``(decoded, "")`` (at most ``limit + 1`` bytes) or
    ``(None, problem)``."""
    if coding in ("gzip", "x-gzip", "deflate"):
        inflated, problem = _inflate(data, 47 if coding != "deflate" else 15, limit)
        if problem and coding == "deflate":  # servers often send raw deflate (RFC 1951)
            inflated, problem = _inflate(data, -15, limit)
        return (inflated, "") if inflated is not None else \
            (None, f"cannot be inflated ({problem})")
    if coding == "br":
        from fastwarc.stream_io import BrotliReader

        try:
            return BrotliReader(io.BytesIO(data)).read(limit + 1), ""
        except OSError as exc:  # fastwarc: "Invalid Data"
            return None, f"cannot be decoded ({exc})"
    if coding == "zstd":
        import zstandard

        try:
            with zstandard.ZstdDecompressor().stream_reader(io.BytesIO(data)) as reader:
                return reader.read(limit + 1), ""
        except zstandard.ZstdError as exc:
            return None, f"cannot be decoded ({exc})"
    return None, "is not supported, so the body (and any rights signal in it) cannot be read"


def _inflate(data: bytes, wbits: int, limit: int) -> tuple[bytes | None, str]:
    """``(inflated, "")`` with at most ``limit + 1`` bytes, or ``(None, problem)`` for a stream
    that is corrupt or ends early."""
    inflater = zlib.decompressobj(wbits=wbits)
    try:
        out = inflater.decompress(data, limit + 1)
    except zlib.error as exc:
        return None, str(exc)
    if not inflater.eof and len(out) <= limit:
        return None, "the compressed stream ends early"
    return out, ""


def _error(rid: str, source: str, origin: dict[str, Any], message: str,
           captured_at: str | None = None) -> Record:
    host, domain = host_and_domain(source) if "://" in source else (None, None)
    return Record(id=rid, source=source, modality=Modality.OTHER.value, host=host,
                  domain=domain, captured_at=captured_at, origin=origin, error=message)


def read_warc(path: str | PathLike[str], *, count_tokens: TokenCounter | None = None,
              max_body_bytes: int = DEFAULT_MAX_BYTES,
              max_header_bytes: int = DEFAULT_MAX_HEADER_BYTES,
              target_filter: Callable[[str], bool] | None = None) -> Iterator[Record]:
    """The ``response`` and ``resource`` records of the WARC file ``path`` as Records (see the
    module docstring).

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

    with fh:
        gz = _is_gzip(fh)
        size = fh.seek(0, io.SEEK_END)
        start = 0
        while True:
            fh.seek(start)
            iterator = ArchiveIterator(fh, parse_http=False, max_header_len=max_header_bytes)
            last: tuple[int, int | None] | None = None  # offset and Content-Length
            # the last record read, held back until it is known to end inside the file
            pending: Record | None = None
            failure: str | None = None
            try:
                for rec in iterator:
                    if pending is not None:  # fastwarc found the next record: it ended
                        yield pending
                        pending = None
                    pos = int(rec.stream_pos)
                    last = (pos, _content_length(rec))
                    if rec.record_type not in (WarcRecordType.response,
                                               WarcRecordType.resource):
                        continue
                    uri = rec.headers.get("WARC-Target-URI") or ""
                    if target_filter is not None and not target_filter(uri.strip()):
                        continue
                    pending = _read_one(rec, where, pos, count_tokens, max_body_bytes,
                                        max_header_bytes,
                                        resource=rec.record_type == WarcRecordType.resource)
            except OSError as exc:
                failure = f"{'gzip' if gz else 'WARC'}: {exc}"
            # where the last good record ends: a failure or unread bytes start there
            if last is None:
                end: int | None = start
            else:
                end = _member_end(fh, last[0]) if gz else _plain_end(fh, *last)
            # a block ending past the file (its closing CRLF CRLF aside, which a cut right
            # after the block loses without damaging it) or a member that does not inflate
            block_end = end if gz or end is None else end - len(b"\r\n\r\n")
            if last is not None and (block_end is None or block_end > size):
                # the file is cut or corrupt inside the last record: one row for it
                yield _damaged(pending, where, last[0], gz, failure)
                resume = _next_start(fh, last[0] + 1, gz)
                if resume is None:
                    return
                start = resume
                continue
            if pending is not None:
                yield pending
                pending = None
            assert end is not None
            if failure is None:
                fh.seek(end)
                if end >= size or not fh.read(4096).strip():
                    return
                failure = "bytes after the last complete record cannot be read (cut or corrupt)"
            yield _error(f"warc:{where}#{end}", where,
                         {"format": "warc", "path": where, "offset": end},
                         f"{where}: record at byte {end} unreadable ({failure})")
            resume = _next_start(fh, end + 1, gz)
            if resume is None:
                return
            start = resume


def _damaged(pending: Record | None, where: str, pos: int, gz: bool,
             failure: str | None) -> Record:
    """The one error row of the record at ``pos`` that does not end inside the file.

    ``pending``: that record as read (None when it was not yielded: not a response, or left out
    by the target filter — the row then stands for the damaged bytes at ``pos``). Its own
    reading error is kept when it names the truncation; otherwise the row says where the file
    is cut or corrupt. Content and sizes derived from it are dropped (they may be partial)."""
    cause = failure or ("its gzip member does not inflate to its end" if gz
                        else "the file ends inside the record")
    if pending is None:
        return _error(f"warc:{where}#{pos}", where, {"format": "warc", "path": where,
                                                     "offset": pos},
                      f"{where}: record at byte {pos} unreadable (cut or corrupt: {cause})")
    if pending.error is not None and "truncated" in pending.error:
        return pending
    message = (f"{pending.error}; " if pending.error is not None
               else f"{where} record at byte {pos}: ") + f"truncated or corrupt ({cause})"
    from dataclasses import replace

    return replace(pending, modality=Modality.OTHER.value, content=None, content_hash="",
                   size_tokens=None, size_pixels=None, error=message)


#: WARC ``Content-Type`` values that say nothing about a resource's media type: the WARC 1.1
#: default for an unknown type, and warcio's placeholder for records without HTTP headers.
_NO_MEDIA_TYPE = frozenset({"application/octet-stream", "application/warc-record"})


def _resource_type(content_type: str | None) -> tuple[str | None, str | None]:
    """``(media type, charset)`` of a ``resource`` record's WARC ``Content-Type``: the type
    lower case without parameters (None when it says nothing, :data:`_NO_MEDIA_TYPE`), the
    ``charset`` parameter lower case when it names a Python codec."""
    import codecs

    kind, *params = (content_type or "").split(";")
    media_type = kind.strip().lower() or None
    charset = None
    for param in params:
        name, _, value = param.partition("=")
        if name.strip().lower() == "charset":
            value = value.strip().strip('"').lower()
            try:
                codecs.lookup(value)
            except LookupError:
                continue
            charset = value
    return (None if media_type in _NO_MEDIA_TYPE else media_type), charset


def _read_one(rec: Any, where: str, pos: int, count_tokens: TokenCounter | None,
              max_body: int, max_header: int, *, resource: bool = False) -> Record:
    uri = (rec.headers.get("WARC-Target-URI") or "").strip() or where
    captured = iso_utc(rec.headers.get("WARC-Date"))
    rid = f"warc:{where}#{pos}"
    origin = {"format": "warc", "path": where, "offset": pos}
    fields: dict[str, Any] = {"warc_record_id": rec.headers.get("WARC-Record-ID")}
    headers: list[tuple[str, str]] = []
    if resource:  # the block is the payload (module docstring)
        fields["warc_type"] = "resource"
        media_type, charset = _resource_type(rec.headers.get("Content-Type"))
    else:
        try:
            rec.parse_http(auto_decode="none", max_header_len=max_header)
        except OSError as exc:
            return _error(rid, uri, origin, f"{where} record at byte {pos}: HTTP headers "
                          f"unreadable ({exc}; limit {max_header} bytes)", captured)
        if rec.http_headers is None:
            return _error(rid, uri, origin, f"{where} record at byte {pos}: no HTTP response"
                          " headers", captured)
        headers = [(str(k), str(v)) for k, v in rec.http_headers.items()]
        fields["http_status"] = rec.http_headers.status_code
        media_type, charset = rec.http_content_type, rec.http_charset
    expected = int(rec.content_length)
    try:
        raw = rec.reader.read(max_body + 1)
    except OSError as exc:
        return _error(rid, uri, origin, f"{where} record at byte {pos}: body unreadable ({exc})",
                      captured)
    host, domain = host_and_domain(uri)
    base = Record(id=rid, source=uri, modality=modality_for_media_type(media_type), host=host,
                  domain=domain, media_type=media_type, captured_at=captured,
                  headers=tuple(headers), fields=fields, origin=origin)
    if len(raw) > max_body:
        return _with_error(base, f"{where} record at byte {pos}: body is larger than the limit"
                                 f" of {max_body} bytes", size=expected)
    if len(raw) < expected:
        return _with_error(base, f"{where} record at byte {pos}: truncated (body has"
                                 f" {len(raw)} of {expected} bytes)", size=len(raw))
    cut = (rec.headers.get("WARC-Truncated") or "").strip()
    if cut:
        return _with_error(base, f"{where} record at byte {pos}: WARC-Truncated: {cut} — the "
                                 "crawler kept only part of the payload (WARC 1.1, field "
                                 "WARC-Truncated), so rights signals in the rest cannot be "
                                 "read", size=len(raw))
    if resource:
        body, coding, problem = raw, None, None
    else:
        body, coding, problem = _decode_body(raw, headers, max_body)
    if coding:
        fields["content_encoding"] = coding
    if charset:
        fields["http_charset"] = charset
    if body is None:
        return _with_error(base, f"{where} record at byte {pos}: {problem}", size=len(raw))
    record = Record(id=rid, source=uri, modality=base.modality, host=host, domain=domain,
                    content_hash=hashlib.sha256(body).hexdigest(), size_bytes=len(body),
                    media_type=media_type, captured_at=captured, headers=tuple(headers),
                    content=body, fields=fields, origin=origin)
    return _sized(record, count_tokens, charset)


def _with_error(record: Record, message: str, size: int) -> Record:
    from dataclasses import replace

    return replace(record, modality=Modality.OTHER.value, size_bytes=size, error=message)
