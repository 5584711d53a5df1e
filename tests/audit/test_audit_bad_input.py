"""Bad input through a whole audit (issue #3 part 9): a record cut short, a corrupt gzip member,
a huge header block, a gzip decompression bomb, and an XML bomb in an image's XMP inside a
folder are each in the manifest with their ``error`` (or an ``unreadable`` signal) and decided
``review`` in every jurisdiction (each profile's ``unreadable`` rule: their rights cannot be
checked). Broken HTML and a robots.txt with non-UTF-8 bytes in a comment are readable (HTML5
parsing never fails; the bytes are replaced and the evidence says so) and decided on what they
say. The audit goes on, the good items around them are decided, and nothing already written is
lost.
"""

from __future__ import annotations

import io
import random
import zlib
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from audit_corpus import DAY0, DAY1, TEXT, Resp, gzip_bomb, page, write_warc
from rightsguard.audit.run import audit
from rightsguard.pipeline.local import LocalExecutor
from rightsguard.report.manifest import read_manifest

JURISDICTIONS = ("JP", "EU", "UK", "US", "SG")
BILLION_LAUGHS = (
    '<?xpacket begin="" id="W5M0MpCehiHzreSzNTczkc9d"?>\n<!DOCTYPE lolz [\n'
    ' <!ENTITY lol "lol">\n'
    + "".join(f' <!ENTITY lol{i} "{f"&lol{i - 1};" * 10 if i > 1 else "&lol;" * 10}">\n'
              for i in range(1, 10))
    + ']>\n<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF '
    'xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description rdf:about="" '
    'xmlns:plus="http://ns.useplus.org/ldf/xmp/1.0/"><plus:OtherConstraints>&lol9;'
    '</plus:OtherConstraints></rdf:Description></rdf:RDF></x:xmpmeta>\n<?xpacket end="w"?>')
BROKEN_HTML = (b'<html><head><meta name="robots" content="noai"><title>cut</head><body><p>'
               b"unclosed <div><b>\xff\xfe not utf-8 <table><tr><td><p <<<")
#: 17 MiB of zeros: inflates past the reader's 16 MiB body limit
BOMB_BYTES = 17 * 1024 * 1024


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    root = tmp_path_factory.mktemp("bad")
    crawl = root / "bad.warc.gz"
    responses = [
        Resp("https://bad.example/robots.txt",
             b"# caf\xe9 \xff\nUser-agent: *\nDisallow: /private/\n", "2025-01-01T00:00:00Z",
             headers=TEXT),
        Resp("https://bad.example/ok.html", page("Good one")),
        Resp("https://bad.example/huge.html", page("Huge"),
             headers=(("Content-Type", "text/html"), ("X-Padding", "a" * 70_000))),
        Resp("https://bad.example/corrupt.html", page("Corrupt member") * 20),
        Resp("https://bad.example/broken.html", BROKEN_HTML),
        Resp("https://bad.example/bomb.txt", gzip_bomb(BOMB_BYTES),
             headers=(*TEXT, ("Content-Encoding", "gzip"))),
        Resp("https://bad.example/private/after.html", page("Good two")),
    ]
    offsets = write_warc(crawl, responses)
    data = bytearray(crawl.read_bytes())
    for k in range(offsets[3] + 60, offsets[3] + 120):  # inside member 4's deflate data
        data[k] ^= 0xFF
    crawl.write_bytes(bytes(data))
    cut = root / "cut.warc"
    cut_offsets = write_warc(cut, [Resp("https://cut.example/whole.html", page("Whole")),
                                   Resp("https://cut.example/cut.html", b"x" * 200)], gz=False)
    cut.write_bytes(cut.read_bytes()[:-4 - 50])  # its two CRLFs and 50 body bytes gone
    folder = root / "images"
    folder.mkdir()
    out = io.BytesIO()
    Image.new("RGB", (8, 8)).save(out, "JPEG", xmp=BILLION_LAUGHS.encode())
    (folder / "bomb.jpg").write_bytes(out.getvalue())
    (folder / "fine.txt").write_text("A readable text file.\n", encoding="utf-8")
    (root / "hosts" / "cut.example").mkdir(parents=True)
    (root / "hosts" / "cut.example" / "robots.txt").write_text("User-agent: *\nAllow: /\n")
    result = audit([crawl, cut, folder], out=root / "out", jurisdictions=JURISDICTIONS,
                   hosts=[root / "hosts"], executor=LocalExecutor(workers=2))
    records = {r.id: r for r in read_manifest(root / "out")}
    return {"root": root, "crawl": crawl, "offsets": offsets, "cut": cut,
            "cut_offsets": cut_offsets, "folder": folder, "records": records,
            "result": result, "out": root / "out"}


def test_every_item_is_in_the_manifest(run: dict[str, Any]) -> None:
    crawl, cut, folder, o = run["crawl"], run["cut"], run["folder"], run["offsets"]
    assert list(run["records"]) == [
        *(f"warc:{crawl}#{o[k]}" for k in range(1, 7)),
        *(f"warc:{cut}#{off}" for off in run["cut_offsets"]),
        f"folder:{folder}#bomb.jpg", f"folder:{folder}#fine.txt"]
    assert (run["result"].items, run["result"].unreadable) == (10, 4)
    report = run["result"].report
    assert report["unreadable"]["items"] == 4
    assert report["decisions"]["EU"] == {"allow": 3, "review": 5, "exclude": 2}


@pytest.mark.parametrize(("key", "error"), [
    ("huge", "{crawl} record at byte {at}: HTTP headers unreadable (Maximum header length "
             "exceeded.; limit 65536 bytes)"),
    ("corrupt", "{crawl}: record at byte {at} unreadable (gzip: Gzip decompression error: data "
                "error)"),
    ("bomb", "{crawl} record at byte {at}: decoded body is larger than the limit of 16777216 "
             "bytes (decompression bomb?)"),
    ("cut", "{cut} record at byte {at}: truncated (body has 150 of 200 bytes)"),
])
def test_unreadable_records_are_reviewed_everywhere(run: dict[str, Any], key: str,
                                                    error: str) -> None:
    at = {"huge": run["offsets"][2], "corrupt": run["offsets"][3], "bomb": run["offsets"][5],
          "cut": run["cut_offsets"][1]}[key]
    path = run["cut"] if key == "cut" else run["crawl"]
    record = run["records"][f"warc:{path}#{at}"]
    assert record.error == error.format(crawl=run["crawl"], cut=run["cut"], at=at)
    first = record.signals[0]
    assert (first.kind, first.carrier, first.value, first.state) == (
        "unreadable", "warc", record.error, "unknown")
    assert [(d.jurisdiction, d.verdict, [r.rule for r in d.reasons])
            for d in record.decisions] == [(j, "review", [f"{j}:unreadable"])
                                           for j in JURISDICTIONS]
    assert record.decisions[1].reasons[0].evidence == (
        f"unreadable=true (read error: {record.error}; unreadable {record.error!r} for * "
        f"(warc): {first.evidence})")


def test_a_warc_gz_cut_inside_a_record_gives_one_review_row_and_the_audit_goes_on(
        tmp_path: Path) -> None:
    crawl = tmp_path / "cut.warc.gz"
    body = random.Random(9309).randbytes(3072)  # incompressible: the cut falls in the body
    offsets = write_warc(crawl, [
        Resp("https://cut.example/robots.txt", b"User-agent: *\nAllow: /\n", headers=TEXT),
        Resp("https://cut.example/ok.html", page("Whole page")),
        Resp("https://cut.example/blob.bin", body,
             headers=(("Content-Type", "application/octet-stream"),))])
    data = crawl.read_bytes()
    at = offsets[2]
    cut = (at + len(data)) // 2
    crawl.write_bytes(data[:cut])  # the file ends in the middle of the last gzip member
    # what a streaming inflater gets of that member before the data ends (zlib, byte by byte)
    inflater, inflated = zlib.decompressobj(wbits=31), b""
    for k in range(at, cut):
        inflated += inflater.decompress(data[k:k + 1])
    got = len(inflated.split(b"\r\n\r\n", 2)[2])
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "after.txt").write_text("Read after the cut file.\n", encoding="utf-8")
    result = audit([crawl, folder], out=tmp_path / "out", jurisdictions=JURISDICTIONS,
                   executor=LocalExecutor(workers=1))
    records = {r.id: r for r in read_manifest(tmp_path / "out")}
    bad_id = f"warc:{crawl}#{at}"
    assert list(records) == [f"warc:{crawl}#{offsets[1]}", bad_id, f"folder:{folder}#after.txt"]
    assert (result.items, result.unreadable) == (3, 1)
    bad = records[bad_id]
    assert bad.source == "https://cut.example/blob.bin"
    assert bad.error == f"{crawl} record at byte {at}: truncated (body has {got} of 3072 bytes)"
    assert [(d.jurisdiction, d.verdict, [r.rule for r in d.reasons]) for d in bad.decisions] == [
        (j, "review", [f"{j}:unreadable"]) for j in JURISDICTIONS]
    assert records[f"warc:{crawl}#{offsets[1]}"].error is None
    assert records[f"folder:{folder}#after.txt"].error is None
    assert result.report["unreadable"]["items"] == 1


def test_xml_bomb_in_image_xmp_is_an_unreadable_signal(run: dict[str, Any]) -> None:
    record = run["records"][f"folder:{run['folder']}#bomb.jpg"]
    assert record.error is None and (record.modality, record.size_pixels) == ("image", 64)
    [signal] = record.signals
    assert (signal.kind, signal.carrier, signal.state) == ("unreadable", "xmp", "unknown")
    assert signal.value.startswith(
        "unreadable XMP: XMP packet (jpeg-app1): refused unsafe XML (DTDForbidden")
    assert [d.verdict for d in record.decisions] == ["review"] * 5
    assert all(d.reasons[0].rule.endswith(":unreadable") for d in record.decisions)


def test_non_utf8_robots_txt_is_read_with_a_note(run: dict[str, Any]) -> None:
    # the invalid bytes sit in a comment: the rules are intact, so they are applied (RFC 9309
    # §2.2: UTF-8; robots.decode_robots replaces the bytes) and the evidence records the decoding
    o = run["offsets"]
    ok = run["records"][f"warc:{run['crawl']}#{o[1]}"]
    after = run["records"][f"warc:{run['crawl']}#{o[6]}"]
    note = (f"robots.txt of bad.example (HTTP 200, captured 2025-01-01T00:00:00Z) from "
            f"warc:{run['crawl']}#{o[0]}; invalid UTF-8 at byte offset 5 decoded with "
            "replacement: ")
    assert [(s.value, s.state) for s in ok.signals] == [
        ("allowed for all 42 evaluated tokens", "not-reserved")]
    assert ok.signals[0].evidence.startswith(note)
    assert (after.signals[0].value, after.signals[0].state) == ("disallow /private/", "reserved")
    assert after.signals[0].evidence.startswith(note)
    assert [d.verdict for d in after.decisions] == [
        "review", "exclude", "exclude", "review", "allow"]  # law.md §7 S3 for U2


def test_broken_html_is_parsed_leniently(run: dict[str, Any]) -> None:
    # HTML5 parsing never fails (WHATWG parsing algorithm); invalid UTF-8 is replaced; the
    # robots meta tag before the breakage is still read, so the page is decided on it (S3)
    record = run["records"][f"warc:{run['crawl']}#{run['offsets'][4]}"]
    assert record.error is None
    assert [(s.kind, s.carrier, s.value, s.state) for s in record.signals][1:] == [
        ("noai", "html-meta", "noai", "reserved")]
    assert [d.verdict for d in record.decisions] == [
        "review", "exclude", "exclude", "review", "allow"]


def test_nothing_written_is_lost(run: dict[str, Any]) -> None:
    from warcio.archiveiterator import ArchiveIterator

    eu = run["out"] / "filtered" / "EU"
    uris = {}
    for name in ("data.warc.gz", "data.warc"):  # each input's compression is kept
        with open(eu / name, "rb") as fh:
            uris[name] = [r.rec_headers.get_header("WARC-Target-URI") for r in ArchiveIterator(fh)]
    # the good records around the bad ones (the rest is excluded for its noai and robots.txt)
    assert uris == {"data.warc.gz": ["https://bad.example/ok.html"],
                    "data.warc": ["https://cut.example/whole.html"]}
    assert (eu / "data" / "fine.txt").read_text("utf-8") == "A readable text file.\n"
    assert not (eu / "data" / "bomb.jpg").exists()


def test_the_http_charset_decides_a_pages_encoding(tmp_path: Path) -> None:
    """HTML Standard §13.2.3.2: after a BOM, the transport layer's charset decides. A UTF-16
    page without a BOM declared ``charset=utf-16le`` lost its noai <meta> (lexbor sniffed the
    bytes as another encoding) and was allowed."""
    robots = Resp("http://u.test/robots.txt", b"User-agent: *\nAllow: /\n", date=DAY0,
                  headers=TEXT)
    html = page("Sixteen", '<meta name="robots" content="noai">').decode()
    pages = [Resp(f"http://u.test/{name}.html", html.encode(codec), date=DAY1,
                  headers=(("Content-Type", f"text/html; charset={charset}"),))
             for name, codec, charset in (("le", "utf-16-le", "utf-16le"),
                                          ("be", "utf-16-be", "UTF-16BE"),
                                          ("ebcdic", "cp500", "cp500"))]
    path = tmp_path / "charset.warc.gz"
    write_warc(path, [robots, *pages])
    result = audit([path], out=tmp_path / "out", jurisdictions=["EU"])
    rows = {r.source.rsplit("/", 1)[1]: r for r in read_manifest(tmp_path / "out" /
                                                                  "manifest.parquet")}
    for name in ("le.html", "be.html", "ebcdic.html"):
        assert [(s.kind, s.state) for s in rows[name].signals if s.kind == "noai"] == \
            [("noai", "reserved")], name
        assert rows[name].decisions[0].verdict == "exclude", name
    assert result.report["decisions"]["EU"]["exclude"] == 3
