from __future__ import annotations

import gzip
import hashlib
import io
import random
import zlib
from pathlib import Path

import pytest
from PIL import Image
from warc_helpers import Resp, write_warc

from rightsguard.corpus.warc import iso_utc, read_warc, record_end
from rightsguard.fingerprint.text import count_tokens

PAGE = (b"<html><head><title>T</title><style>p{}</style></head><body><p>Hello wide world</p>"
        b"<script>var a = 1;</script></body></html>")


def _png(width: int, height: int) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), "white").save(out, "PNG")
    return out.getvalue()


def _pages() -> list[Resp]:
    return [
        Resp("http://WWW.Example.co.uk/a", PAGE, date="2025-03-01T10:00:00Z",
             headers=[("Content-Type", "text/html; charset=utf-8"), ("X-Robots-Tag", "noai"),
                      ("X-Robots-Tag", "GPTBot: noimageai")]),
        Resp("http://www.example.co.uk/a", b"GET", kind="request"),
        Resp("https://img.example.org/p.png", _png(3, 2), date="2025-03-01T10:00:01Z",
             headers=[("Content-Type", "image/png")]),
        Resp("https://example.org/missing", b"gone", status="404 Not Found",
             headers=[("Content-Type", "text/plain")]),
    ]


@pytest.mark.parametrize("gz", [False, True])
def test_responses_with_headers_bodies_offsets(tmp_path: Path, gz: bool) -> None:
    path = tmp_path / ("c.warc.gz" if gz else "c.warc")
    offsets = write_warc(path, _pages(), gzip=gz)
    records = list(read_warc(path, count_tokens=count_tokens))
    assert [r.id for r in records] == [f"warc:{path}#{offsets[i]}" for i in (0, 2, 3)]
    page, image, missing = records
    assert page.source == "http://WWW.Example.co.uk/a"
    assert (page.host, page.domain) == ("www.example.co.uk", "example.co.uk")
    assert page.captured_at == "2025-03-01T10:00:00Z"
    assert page.headers == (("Content-Type", "text/html; charset=utf-8"),
                            ("X-Robots-Tag", "noai"), ("X-Robots-Tag", "GPTBot: noimageai"))
    assert page.content == PAGE
    assert page.content_hash == hashlib.sha256(PAGE).hexdigest()
    assert (page.modality, page.media_type, page.size_bytes) == ("text", "text/html", len(PAGE))
    assert page.size_tokens == 3  # "Hello wide world": title, style and script are not counted
    assert page.fields["http_status"] == 200
    assert page.origin == {"format": "warc", "path": str(path), "offset": offsets[0]}
    assert page.error is None
    assert (image.modality, image.size_pixels, image.size_tokens) == ("image", 6, None)
    assert missing.fields["http_status"] == 404 and missing.content == b"gone"


def test_truncated_last_record(tmp_path: Path) -> None:
    path = tmp_path / "t.warc"
    body = b"x" * 200
    offsets = write_warc(path, [Resp("http://a.com/1", b"one"), Resp("http://a.com/2", body)],
                         gzip=False)
    data = path.read_bytes()
    path.write_bytes(data[:-4 - 50])  # drop the record's closing CRLFs and 50 body bytes
    first, second = read_warc(path)
    assert first.error is None and first.content == b"one"
    assert second.id == f"warc:{path}#{offsets[1]}"
    assert second.source == "http://a.com/2"
    assert second.error == f"{path} record at byte {offsets[1]}: truncated (body has 150 of" \
                           " 200 bytes)"
    assert second.content is None and second.modality == "other"


def test_corrupt_gzip_member_is_reported_and_reading_resumes(tmp_path: Path) -> None:
    path = tmp_path / "c.warc.gz"
    offsets = write_warc(path, [Resp(f"http://a.com/{i}", f"page {i}".encode() * 50)
                                for i in range(3)], gzip=True)
    data = bytearray(path.read_bytes())
    for k in range(offsets[1] + 40, offsets[1] + 80):  # inside the deflate data of member 2
        data[k] ^= 0xFF
    path.write_bytes(bytes(data))
    records = list(read_warc(path))
    assert [r.id.rsplit("#", 1)[1] for r in records] == [str(o) for o in offsets]
    good0, bad, good2 = records
    assert good0.content == b"page 0" * 50 and good2.content == b"page 2" * 50
    assert bad.error is not None
    assert bad.error.startswith(f"{path}: record at byte {offsets[1]} unreadable (gzip:")


def test_gzip_cut_mid_member_ends_with_a_final_error(tmp_path: Path) -> None:
    path = tmp_path / "c.warc.gz"
    offsets = write_warc(path, [Resp("http://a.com/0", b"zero"), Resp("http://a.com/1", b"one")],
                         gzip=True)
    path.write_bytes(path.read_bytes()[:offsets[1] + 30])
    records = list(read_warc(path))
    assert records[0].content == b"zero"
    assert records[-1].error is not None and f"byte {offsets[1]}" in records[-1].error
    assert len(records) == 2


#: 3,072 pseudo-random bytes (fixed seed): deflate cannot shrink them, so the middle of their
#: gzip member lies inside the body
BINARY = random.Random(9309).randbytes(3072)


def _cut_crawl(tmp_path: Path) -> tuple[Path, list[int], bytes]:
    """A .warc.gz (warcio) of a small page then a 3,072-byte body: (path, offsets, bytes)."""
    path = tmp_path / "cut.warc.gz"
    offsets = write_warc(path, [Resp("http://a.com/0", b"zero"),
                                Resp("http://a.com/1", BINARY,
                                     headers=[("Content-Type", "application/octet-stream")])],
                         gzip=True)
    return path, offsets, path.read_bytes()


def _body_bytes_before(data: bytes) -> int:
    """How many payload bytes a streaming inflater gets from the gzip member at the start of
    ``data`` before it ends or turns out corrupt: inflated with zlib one byte at a time up to
    the first error, minus the WARC and HTTP header blocks."""
    inflater, inflated = zlib.decompressobj(wbits=31), b""
    for k in range(len(data)):
        try:
            inflated += inflater.decompress(data[k:k + 1])
        except zlib.error:
            break
    _warc_head, _http_head, body = inflated.split(b"\r\n\r\n", 2)
    return len(body)


@pytest.mark.parametrize("where", ["warc-headers", "body", "gzip-trailer"])
def test_gzip_cut_inside_the_last_record_gives_one_error_row(tmp_path: Path, where: str) -> None:
    path, offsets, data = _cut_crawl(tmp_path)
    at = offsets[1]
    cut = {"warc-headers": at + 30, "body": (at + len(data)) // 2,
           "gzip-trailer": len(data) - 8}[where]  # the trailer: CRC-32 and ISIZE (RFC 1952)
    path.write_bytes(data[:cut])
    records = list(read_warc(path))
    assert [r.id for r in records] == [f"warc:{path}#{offsets[0]}", f"warc:{path}#{at}"]
    good, bad = records
    assert (good.content, good.error) == (b"zero", None)
    if where == "warc-headers":
        assert bad.error == (f"{path}: record at byte {at} unreadable (bytes after the last "
                             "complete record cannot be read (cut or corrupt))")
    elif where == "body":
        assert bad.error == (f"{path} record at byte {at}: truncated (body has "
                             f"{_body_bytes_before(data[at:cut])} of 3072 bytes)")
    else:
        assert bad.error == (f"{path} record at byte {at}: truncated or corrupt (its gzip "
                             "member does not inflate to its end)")
    assert (bad.modality, bad.content, bad.content_hash) == ("other", None, "")
    if where != "warc-headers":  # fastwarc read its WARC headers: the row names the page
        assert bad.source == "http://a.com/1"


@pytest.mark.parametrize("where", ["warc-headers", "body", "gzip-trailer"])
def test_a_lost_stretch_inside_a_gzip_record_gives_one_error_row_and_reading_goes_on(
        tmp_path: Path, where: str) -> None:
    path = tmp_path / "gap.warc.gz"
    offsets = write_warc(path, [Resp("http://a.com/0", b"zero"),
                                Resp("http://a.com/1", BINARY), Resp("http://a.com/2", b"two")],
                         gzip=True)
    data = path.read_bytes()
    at = offsets[1]
    gap = {"warc-headers": at + 40, "body": (at + offsets[2]) // 2,
           "gzip-trailer": offsets[2] - 5}[where]
    path.write_bytes(data[:gap] + data[offsets[2]:])  # the rest of member 2 is lost
    records = list(read_warc(path))
    # member 3 now starts where the gap began
    assert [r.id for r in records] == [f"warc:{path}#{offsets[0]}", f"warc:{path}#{at}",
                                       f"warc:{path}#{gap}"]
    if where == "body":
        assert records[1].error == (f"{path} record at byte {at}: truncated (body has "
                                    f"{_body_bytes_before(path.read_bytes()[at:])} of 3072 bytes)")
    else:
        assert records[1].error == (f"{path}: record at byte {at} unreadable (gzip: Gzip "
                                    "decompression error: data error)")
    assert (records[0].content, records[2].content) == (b"zero", b"two")


def test_invalid_warc_header_in_a_plain_warc_resyncs(tmp_path: Path) -> None:
    path = tmp_path / "p.warc"
    offsets = write_warc(path, [Resp(f"http://a.com/{i}", b"body") for i in range(3)],
                         gzip=False)
    data = bytearray(path.read_bytes())
    data[offsets[1]:offsets[1] + 8] = b"GARBAGE!"
    path.write_bytes(bytes(data))
    records = list(read_warc(path))
    assert [r.source for r in records if r.error is None] == ["http://a.com/0", "http://a.com/2"]
    errors = [r for r in records if r.error]
    assert len(errors) == 1 and "(WARC: Invalid WARC header)" in (errors[0].error or "")


def test_huge_header_is_capped_and_the_next_record_read(tmp_path: Path) -> None:
    path = tmp_path / "h.warc"
    big = [("Content-Type", "text/html"), ("X-Big", "a" * 100_000)]
    offsets = write_warc(path, [Resp("http://a.com/big", b"hi", headers=big),
                                Resp("http://a.com/ok", b"ok")], gzip=False)
    big_rec, ok = read_warc(path, max_header_bytes=65536)
    assert big_rec.id == f"warc:{path}#{offsets[0]}" and big_rec.source == "http://a.com/big"
    assert big_rec.error == (f"{path} record at byte {offsets[0]}: HTTP headers unreadable"
                             " (Maximum header length exceeded.; limit 65536 bytes)")
    assert ok.content == b"ok" and ok.error is None


def test_content_encoding_chunked_and_bombs(tmp_path: Path) -> None:
    path = tmp_path / "e.warc.gz"
    bomb = gzip.compress(b"\0" * 5_000_000)
    write_warc(path, [
        Resp("http://a.com/z", gzip.compress(b"zipped text"),
             headers=[("Content-Type", "text/plain"), ("Content-Encoding", "gzip")]),
        Resp("http://a.com/c", b"5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n",
             headers=[("Content-Type", "text/plain"), ("Transfer-Encoding", "chunked")]),
        Resp("http://a.com/bomb", bomb,
             headers=[("Content-Type", "text/plain"), ("Content-Encoding", "gzip")]),
        Resp("http://a.com/bad", b"\x1f\x8b\x08\x00notgzip",
             headers=[("Content-Type", "text/plain"), ("Content-Encoding", "gzip")]),
        Resp("http://a.com/big", b"y" * 2000, headers=[("Content-Type", "text/plain")]),
    ], gzip=True)
    zipped, chunked, bombed, bad, big = read_warc(path, max_body_bytes=1_000_000)
    assert zipped.content == b"zipped text" and zipped.fields["content_encoding"] == "gzip"
    assert zipped.content_hash == hashlib.sha256(b"zipped text").hexdigest()
    assert chunked.content == b"hello world"
    assert bombed.error is not None and bombed.error.endswith(
        "decoded body is larger than the limit of 1000000 bytes (decompression bomb?)")
    assert bad.error is not None and "Content-Encoding gzip cannot be inflated" in bad.error
    assert big.error is None
    (small,) = [r for r in read_warc(path, max_body_bytes=1500) if r.source.endswith("/big")]
    assert small.error is not None and small.error.endswith(
        "body is larger than the limit of 1500 bytes")


def test_resource_records_are_items_and_truncated_payloads_are_unreadable(
        tmp_path: Path) -> None:
    """A ``resource`` record's payload is its block (WARC 1.1, record type 'resource'): it is a
    corpus item like a response, not skipped; a ``WARC-Truncated`` record holds only part of
    its payload (WARC 1.1, field WARC-Truncated), so it is an error record."""
    path = tmp_path / "r.warc.gz"
    offsets = write_warc(path, [
        Resp("http://a.example/doc.html", PAGE, kind="resource",
             content_type="text/html; charset=UTF-8"),
        Resp("ftp://b.example/notes.txt", b"plain notes here", kind="resource",
             content_type="text/plain"),
        Resp("http://c.example/blob", PAGE, kind="resource"),  # warcio: application/warc-record
        Resp("http://d.example/cut.html", PAGE[:40], warc_headers={"WARC-Truncated": "length"}),
        Resp("http://e.example/doc.html", b"via: x", kind="metadata"),
        Resp("http://e.example/doc.html", b"GET / HTTP/1.1", kind="request"),
    ], gzip=True)
    records = list(read_warc(path, count_tokens=count_tokens))
    assert [r.id for r in records] == [f"warc:{path}#{o}" for o in offsets[:4]]
    doc, notes, blob, cut = records
    assert (doc.source, doc.host, doc.media_type, doc.modality, doc.headers, doc.error) == (
        "http://a.example/doc.html", "a.example", "text/html", "text", (), None)
    assert doc.content == PAGE and doc.content_hash == hashlib.sha256(PAGE).hexdigest()
    assert doc.size_tokens == 3
    assert {k: v for k, v in doc.fields.items() if k != "warc_record_id"} == {
        "warc_type": "resource", "http_charset": "utf-8"}
    assert (notes.host, notes.media_type, notes.content, notes.size_tokens) == (
        "b.example", "text/plain", b"plain notes here", 3)
    # a Content-Type that says nothing gives no media type (the HTML extractors sniff the body)
    assert (blob.media_type, blob.modality, blob.content) == (None, "other", PAGE)
    assert (cut.source, cut.content, cut.size_bytes, cut.fields["http_status"]) == (
        "http://d.example/cut.html", None, 40, 200)
    assert cut.error == (f"{path} record at byte {offsets[3]}: WARC-Truncated: length — the "
                         "crawler kept only part of the payload (WARC 1.1, field "
                         "WARC-Truncated), so rights signals in the rest cannot be read")


def test_target_filter_and_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "f.warc"
    write_warc(path, [Resp("http://a.com/robots.txt", b"User-agent: *"),
                      Resp("http://a.com/page", b"p")], gzip=False)
    kept = list(read_warc(path, target_filter=lambda uri: uri.endswith("/robots.txt")))
    assert [r.source for r in kept] == ["http://a.com/robots.txt"]
    (missing,) = read_warc(tmp_path / "nope.warc")
    assert missing.id == f"warc:{tmp_path / 'nope.warc'}#file"
    assert missing.error is not None and "cannot be read" in missing.error


@pytest.mark.parametrize("gz", [False, True])
def test_record_end_delimits_the_original_bytes(tmp_path: Path, gz: bool) -> None:
    path = tmp_path / ("e.warc.gz" if gz else "e.warc")
    offsets = write_warc(path, [Resp(f"http://a.com/{i}", b"b" * i) for i in range(1, 4)],
                         gzip=gz)
    size = path.stat().st_size
    with open(path, "rb") as fh:
        assert [record_end(fh, o) for o in offsets] == [offsets[1], offsets[2], size]


def test_iso_utc() -> None:
    assert iso_utc("2025-01-01T00:00:00Z") == "2025-01-01T00:00:00Z"
    assert iso_utc("2025-01-01T02:00:00.5+02:00") == "2025-01-01T00:00:00.500000Z"
    assert iso_utc("2025-01-01T00:00:00") == "2025-01-01T00:00:00Z"
    assert iso_utc("yesterday") is None and iso_utc(None) is None


def test_content_codings_stacked_zstd_unknown_and_undeclared(tmp_path: Path) -> None:
    """RFC 9110 §8.4: codings are listed in the order applied and undone last first; a coding
    that cannot be undone is an error (its signals cannot be read), never the raw bytes."""
    import zstandard

    path = tmp_path / "k.warc.gz"
    text = b"<html><head><meta name='robots' content='noai'></head><body>x</body></html>"
    html = [("Content-Type", "text/html")]
    write_warc(path, [
        Resp("http://a.com/2", gzip.compress(gzip.compress(text)),
             headers=[*html, ("Content-Encoding", "gzip, gzip")]),
        Resp("http://a.com/d", gzip.compress(zlib.compress(text)),
             headers=[*html, ("Content-Encoding", "deflate, identity, gzip")]),
        Resp("http://a.com/z", zstandard.ZstdCompressor().compress(text),
             headers=[*html, ("Content-Encoding", "zstd")]),
        Resp("http://a.com/x", text, headers=[*html, ("Content-Encoding", "x-custom")]),
        Resp("http://a.com/c", b"\x1f\x9d\x90abc", headers=[*html, ("Content-Encoding",
                                                                    "compress")]),
        Resp("http://a.com/b", b"not brotli" * 5, headers=[*html, ("Content-Encoding", "br")]),
        Resp("http://a.com/u", gzip.compress(text), headers=html),
        Resp("http://a.com/s", gzip.compress(text), headers=[*html, ("Content-Encoding",
                                                                     "gzip, br")]),
    ], gzip=True)
    two, deflate, zstd, custom, compress, br, undeclared, stacked = read_warc(path)
    for ok in (two, deflate, zstd, undeclared):
        assert ok.error is None and ok.content == text, ok.source
    assert two.fields["content_encoding"] == "gzip, gzip"
    assert undeclared.fields["content_encoding"] == "gzip (undeclared)"
    assert custom.error is not None and custom.error.endswith(
        "Content-Encoding x-custom is not supported, so the body (and any rights signal in it)"
        " cannot be read")
    assert compress.error is not None and "Content-Encoding compress is not supported" in \
        compress.error
    assert br.error is not None and "Content-Encoding br cannot be decoded (" in br.error
    assert stacked.error is not None and "Content-Encoding br (of 'gzip, br') cannot be " \
        "decoded" in stacked.error
    # each error row keeps its own place, address and headers (header signals still read)
    assert [r.source for r in (custom, compress, br)] == \
        ["http://a.com/x", "http://a.com/c", "http://a.com/b"]
    assert custom.headers[-1] == ("Content-Encoding", "x-custom")
