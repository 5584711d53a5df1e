"""Tests for rightsguard.signals.embedded: TDMRep in EPUB and PDF (files built here by hand) and
media_signals over every embedded-media extractor."""

from __future__ import annotations

import io

import pytest
from PIL import Image
from test_c2pa import CAWG_ENTRIES, signed_jpeg
from test_xmp import OPF3, epub, jpeg_with_xmp, xmp_packet

from rightsguard.audit.steps import SignalStep
from rightsguard.corpus.hosts import HostFiles, origin_of
from rightsguard.model import HostCapture, Record, RightsSignal
from rightsguard.policy.facts import reservation_state
from rightsguard.signals import embedded
from rightsguard.signals.xmp import read_epub_package

EXTRACTOR = "rightsguard.signals.embedded"


def opf(metadata: str, prefix: str | None = None) -> bytes:
    attr = f' prefix="{prefix}"' if prefix is not None else ""
    return (f'<?xml version="1.0"?><package xmlns="http://www.idpf.org/2007/opf" version="3.0"'
            f'{attr}><metadata xmlns:dc="http://purl.org/dc/elements/1.1/">{metadata}'
            "</metadata><manifest/><spine/></package>").encode()


def pdf_with_metadata(packet: bytes) -> bytes:
    """A one-page PDF 1.7 with an unfiltered XMP metadata stream (ISO 32000-1 §14.3.2), with a
    correct cross-reference table."""
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R /Metadata 4 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] >>",
        b"<< /Type /Metadata /Subtype /XML /Length %d >>\nstream\n" % len(packet) + packet
        + b"\nendstream",
    ]
    out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1, xref)
    return bytes(out)


# -- EPUB --------------------------------------------------------------------------------------


def test_epub3_reservation_with_policy() -> None:
    signals = embedded.media_signals(epub(OPF3), "application/epub+zip", "books/a.epub", "text")
    assert signals == [RightsSignal(
        kind="tdmrep", carrier="epub",
        value="tdm-reservation=1, tdm-policy=https://publisher.example/policies/tdm.json",
        scope="*",
        state="reserved",
        evidence='books/a.epub: EPUB package OEBPS/content.opf '
                 '<meta property="tdm:reservation">1</meta>',
        extractor=EXTRACTOR)]


def test_epub2_name_form_not_reserved_ignores_the_policy() -> None:
    content = epub(opf('<meta name="tdm:reservation" content="0"/>'
                       '<meta name="tdm:policy" content="https://p.example/policy"/>'))
    [signal] = embedded.media_signals(content, None, "b.epub", "text")  # sniffed: mimetype
    assert (signal.value, signal.state, signal.carrier) == ("tdm-reservation=0", "not-reserved",
                                                            "epub")
    assert signal.evidence == ('b.epub: EPUB package OEBPS/content.opf '
                               '<meta name="tdm:reservation" content="0"/>')


def test_epub_invalid_value_is_unknown_and_undeclared_prefix_is_noted() -> None:
    content = epub(opf('<meta property="tdm:reservation">yes</meta>'))
    [signal] = embedded.media_signals(content, None, "c.epub", "text")
    assert (signal.value, signal.state) == ("malformed: tdm-reservation 'yes' is not 0 or 1",
                                            "unknown")
    assert signal.evidence.endswith(
        '<meta property="tdm:reservation">yes</meta> (prefix tdm not declared on <package>) '
        "(protocol error: neither 0 nor 1, treated as unset)")
    # a malformed carrier, like a header's or a meta's: what it reserves is unknown (review)
    assert reservation_state([signal], "text").value == "unknown"


def test_epub_prefix_bound_elsewhere_is_not_tdmrep_and_refines_are_skipped() -> None:
    other = opf('<meta property="tdm:reservation">1</meta>', prefix="tdm: http://other.example/#")
    assert embedded.epub_tdmrep_signals(read_epub_package(epub(other)), "d.epub") == []
    refined = opf('<meta property="tdm:reservation" refines="#ch1">1</meta>',
                  prefix="tdm: http://www.w3.org/ns/tdmrep#")
    assert embedded.epub_tdmrep_signals(read_epub_package(epub(refined)), "e.epub") == []


def test_epub_zip_bomb_is_unreadable() -> None:
    bomb = epub(b"<package>" + b" " * (16 << 20) + b"</package>")
    [signal] = embedded.media_signals(bomb, "application/epub+zip", "bomb.epub", "text")
    assert (signal.kind, signal.carrier, signal.state) == ("unreadable", "epub", "unknown")
    assert signal.value == (
        "unreadable EPUB: EPUB member OEBPS/content.opf declares 16777235 bytes, over the "
        "1048576 byte limit (zip bomb guard)")
    assert signal.evidence == "bomb.epub"


# -- PDF ---------------------------------------------------------------------------------------


def test_pdf_xmp_reservation_and_policy() -> None:
    packet = xmp_packet("   <tdm:reservation>1</tdm:reservation>\n"
                        "   <tdm:policy>https://pub.example/tdm-policy.json</tdm:policy>")
    content = pdf_with_metadata(packet)
    signals = embedded.media_signals(content, "application/pdf", "papers/p.pdf", "text")
    offset = content.index(b"<?xpacket")
    assert signals == [RightsSignal(
        kind="tdmrep", carrier="pdf",
        value="tdm-reservation=1, tdm-policy=https://pub.example/tdm-policy.json", scope="*",
        state="reserved",
        evidence=f"papers/p.pdf: XMP packet (scan) at byte {offset} tdm:reservation=1",
        extractor=EXTRACTOR)]


def test_pdf_with_a_compressed_metadata_stream_is_unreadable_not_unreserved() -> None:
    """A PDF whose XMP metadata stream is Flate-compressed (ISO 32000-1 §7.4) holds its
    tdm:reservation where packet scanning cannot see it: no signal made the item "allowed";
    it is now an unreadable carrier (review). Uncompressed metadata holding no XMP is not."""
    import zlib

    packet = xmp_packet("   <tdm:reservation>1</tdm:reservation>")
    plain = pdf_with_metadata(packet)
    squeezed = zlib.compress(packet)
    compressed = plain.replace(
        b"<< /Type /Metadata /Subtype /XML /Length %d >>\nstream\n" % len(packet) + packet,
        b"<< /Type /Metadata /Subtype /XML /Filter /FlateDecode /Length %d >>\nstream\n"
        % len(squeezed) + squeezed)
    assert compressed != plain and b"xpacket" not in compressed
    [signal] = embedded.media_signals(compressed, "application/pdf", "c.pdf", "text")
    assert (signal.kind, signal.carrier, signal.state) == ("unreadable", "pdf", "unknown")
    assert signal.value.startswith("unreadable PDF metadata: the document has an XMP metadata "
                                   "stream but it is compressed")
    in_object_stream = plain.replace(b"<< /Type /Metadata /Subtype /XML", b"<< /Subtype /XML")
    in_object_stream = in_object_stream.replace(packet, b" " * len(packet))
    [signal] = embedded.media_signals(in_object_stream, "application/pdf", "o.pdf", "text")
    assert signal.kind == "unreadable"
    not_xmp = pdf_with_metadata(b"<x/>")
    assert embedded.media_signals(not_xmp, "application/pdf", "d.pdf", "text") == []


def test_pdf_xmp_zero_and_epub_namespace_variant() -> None:
    packet = xmp_packet("", attrs='tdm:reservation="0"')
    [signal] = embedded.media_signals(pdf_with_metadata(packet), None, "q.pdf", "text")
    assert (signal.value, signal.state, signal.carrier) == ("tdm-reservation=0", "not-reserved",
                                                            "pdf")
    hash_ns = xmp_packet('   <t:reservation xmlns:t="http://www.w3.org/ns/tdmrep#">1'
                         "</t:reservation>")
    [signal] = embedded.media_signals(pdf_with_metadata(hash_ns), None, "r.pdf", "text")
    assert signal.state == "reserved"
    assert signal.evidence.endswith("(namespace http://www.w3.org/ns/tdmrep#, EPUB form)")


def test_pdf_without_metadata_gives_nothing() -> None:
    content = pdf_with_metadata(b"")
    assert embedded.media_signals(content, "application/pdf", "s.pdf", "text") == []


# -- precedence against the other carriers (TDMRep "Processing priority", rights-signals.md §2) --

SITE_FILE_1 = HostCapture("m.example", 200, b'[{"location": "/", "tdm-reservation": 1}]',
                          "2025-05-31T00:00:00Z", "m.warc#336")


def _audited(url: str, content: bytes, media_type: str,
             headers: tuple[tuple[str, str], ...] = ()) -> dict[str, tuple[str, str]]:
    """{carrier: (value, state)} of the TDMRep signals the audit step settles for one item under
    a tdmrep.json that reserves everything."""
    hosts = HostFiles()
    hosts.add("tdmrep.json", SITE_FILE_1, origin=origin_of(url))
    record = Record(id=f"warc:m.warc#{len(url)}", source=url, modality="text",
                    host="m.example", media_type=media_type,
                    captured_at="2025-06-01T00:00:00Z", headers=headers, content=content)
    return {s.carrier: (s.value, s.state) for s in SignalStep(hosts=hosts).signals(record)
            if s.kind == "tdmrep"}


def test_pdf_metadata_0_supersedes_header_1_and_site_file_1() -> None:
    pdf = pdf_with_metadata(xmp_packet("", attrs='tdm:reservation="0"'))
    assert _audited("http://m.example/p.pdf", pdf, "application/pdf",
                    (("tdm-reservation", "1"),)) == {
        "tdmrep.json": ("tdm-reservation=1", "n/a"),
        "http-header": ("tdm-reservation=1", "n/a"),
        "pdf": ("tdm-reservation=0", "not-reserved"),
    }


def test_epub_metadata_0_supersedes_site_file_1() -> None:
    book = epub(opf('<meta property="tdm:reservation">0</meta>',
                    prefix="tdm: http://www.w3.org/ns/tdmrep#"))
    assert _audited("http://m.example/b.epub", book, "application/epub+zip") == {
        "tdmrep.json": ("tdm-reservation=1", "n/a"),
        "epub": ("tdm-reservation=0", "not-reserved"),
    }


def test_embedded_protocol_error_does_not_reset_the_site_file() -> None:
    book = epub(opf('<meta property="tdm:reservation">yes</meta>',
                    prefix="tdm: http://www.w3.org/ns/tdmrep#"))
    assert _audited("http://m.example/c.epub", book, "application/epub+zip") == {
        "tdmrep.json": ("tdm-reservation=1", "reserved"),
        "epub": ("malformed: tdm-reservation 'yes' is not 0 or 1", "n/a"),
    }


# -- images: everything at once -----------------------------------------------------------------


def test_image_iptc_tdm_and_cc_licence_from_xmp() -> None:
    packet = xmp_packet(
        "   <plus:DataMining>http://ns.useplus.org/ldf/vocab/DMI-PROHIBITED-AIMLTRAINING"
        "</plus:DataMining>\n"
        '   <cc:license rdf:resource="https://creativecommons.org/licenses/by-nc/4.0/"/>\n'
        "   <xmpRights:WebStatement>https://photographer.example/licensing</xmpRights:WebStatement>")
    signals = embedded.media_signals(jpeg_with_xmp(packet), "image/jpeg", "i.jpg", "image")
    assert [(s.kind, s.carrier, s.value, s.state) for s in signals] == [
        ("iptc-data-mining", "xmp", "DMI-PROHIBITED-AIMLTRAINING", "reserved"),
        ("licence", "xmp", "CC-BY-NC-4.0", "n/a"),
        ("licence-class", "xmp", "non-commercial", "n/a"),
    ]
    assert signals[1].evidence == (
        "i.jpg: XMP packet (jpeg-app1) "
        "cc:license=https://creativecommons.org/licenses/by-nc/4.0/")


def test_signed_image_gives_c2pa_signals() -> None:
    signals = embedded.media_signals(signed_jpeg("cawg.training-mining", CAWG_ENTRIES),
                                     "image/jpeg", "signed.jpg", "image")
    assert sorted((s.scope, s.state) for s in signals if s.kind == "c2pa-training-mining") == [
        ("ai-inference", "reserved"), ("tdm", "not-reserved"), ("train-ai", "reserved"),
        ("train-genai", "unknown")]


def test_xml_bomb_in_an_image_is_unreadable_not_raised() -> None:
    bomb = (b'<?xpacket begin="" id="W5M0MpCehiHzreSzNTczkc9d"?><!DOCTYPE x [<!ENTITY a "aaaa">'
            b'<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">]><x:xmpmeta xmlns:x="adobe:ns:meta/">&b;'
            b'</x:xmpmeta><?xpacket end="w"?>')
    [signal] = embedded.media_signals(jpeg_with_xmp(bomb), "image/jpeg", "j.jpg", "image")
    assert (signal.kind, signal.carrier, signal.state) == ("unreadable", "xmp", "unknown")


def test_html_and_plain_text_are_not_media() -> None:
    page = b"<html><body><x:xmpmeta>not really</x:xmpmeta> c2pa</body></html>"
    assert embedded.media_signals(page, "text/html", "https://a.example/", "text") == []
    assert embedded.media_signals(b"hello", None, "a.txt", "text") == []


@pytest.mark.parametrize(
    ("content", "media_type", "name", "kind"),
    [
        (b"%PDF-1.4\n", None, "x", "pdf"),
        (b"\xff\xd8\xff\xe0", None, "x", "image"),
        (b"\x89PNG\r\n\x1a\n", None, "x", "image"),
        (b"RIFF\x00\x00\x00\x00WEBPVP8 ", None, "x", "image"),
        (b"\x00\x00\x00\x1cftypavif", None, "x", "image"),
        (b"\x00\x00\x00\x1cftypisom", None, "x", "media"),
        (b"PK\x03\x04" + b"\x00" * 26 + b"mimetypeapplication/epub+zip", None, "x", "epub"),
        (b"PK\x03\x04", None, "book.EPUB", "epub"),
        (b"PK\x03\x04", None, "archive.zip", "other"),
        (b"whatever", "image/svg+xml", "x", "image"),
        (b"<html>", "text/html", "x", "other"),
    ],
)
def test_media_kind(content: bytes, media_type: str | None, name: str, kind: str) -> None:
    assert embedded.media_kind(content, media_type, name) == kind


def test_image_modality_forces_a_look_at_unknown_bytes() -> None:
    out = io.BytesIO()
    Image.new("RGB", (4, 4)).save(out, "BMP")  # BMP: no magic in the list, no media type
    content = out.getvalue() + xmp_packet("   <plus:DataMining>DMI-ALLOWED</plus:DataMining>")
    assert embedded.media_signals(content, None, "k.bmp", "text") == []
    [signal] = embedded.media_signals(content, None, "k.bmp", "image")
    assert (signal.value, signal.state) == ("DMI-ALLOWED", "not-reserved")


def test_package_re_exports_lazily() -> None:
    import rightsguard.signals as package
    from rightsguard.signals import iptc, licence_class, lists

    assert package.media_signals is embedded.media_signals
    assert package.iptc_signals is iptc.iptc_signals
    assert package.html_licence_signals is licence_class.html_licence_signals
    assert package.DomainLists is lists.DomainLists
    with pytest.raises(AttributeError, match="has no attribute 'nope'"):
        _ = package.nope
