"""Write small WARC files with warcio for the reader, host-file and sink tests."""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from pathlib import Path

from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter


@dataclass
class Resp:
    uri: str
    body: bytes
    date: str = "2025-01-01T00:00:00Z"
    status: str = "200 OK"
    headers: list[tuple[str, str]] = field(default_factory=lambda: [
        ("Content-Type", "text/html; charset=utf-8")])
    kind: str = "response"
    #: more WARC header fields (e.g. ``WARC-Truncated``)
    warc_headers: dict[str, str] = field(default_factory=dict)
    #: the WARC ``Content-Type`` of a record without HTTP headers (warcio's default otherwise)
    content_type: str = ""


class _SameBytesWriter(WARCWriter):  # type: ignore[misc]
    """warcio's writer with record ids counted and the warcinfo date fixed, so the same records
    give the same bytes every run (tests that cut a gzip member mid-stream depend on its bytes:
    with random ids the inflater sometimes read the spliced member as a data error)."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self._ids = 0

    def _make_warc_id(self) -> str:
        self._ids += 1
        return f"<urn:uuid:00000000-0000-4000-8000-{self._ids:012d}>"

    def curr_warc_date(self) -> str:
        return "2025-01-01T00:00:00Z"


def write_warc(path: Path, responses: list[Resp], gzip: bool) -> list[int]:
    """Write ``responses`` (plus a warcinfo record first) and return each one's byte offset.
    The same responses always give the same bytes."""
    buf = io.BytesIO()
    writer = _SameBytesWriter(buf, gzip=gzip)
    writer.write_record(writer.create_warcinfo_record("test.warc", {"software": "test"}))
    offsets = []
    for r in responses:
        offsets.append(buf.tell())
        http = StatusAndHeaders(r.status, r.headers, protocol="HTTP/1.1")
        rec = writer.create_warc_record(r.uri, r.kind, payload=io.BytesIO(r.body),
                                        http_headers=http if r.kind == "response" else None,
                                        warc_content_type=r.content_type,
                                        warc_headers_dict={"WARC-Date": r.date,
                                                           **r.warc_headers})
        writer.write_record(rec)
    path.write_bytes(buf.getvalue())
    return offsets
