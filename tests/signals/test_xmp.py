"""Tests for rightsguard.signals.xmp: XMP packets in JPEG/PNG/PDF bytes, EPUB package metadata,
and the safety limits (XML bombs, oversized packets, zip bombs). No network."""

from __future__ import annotations

import io
import time
import zipfile
from pathlib import Path

import pytest
from PIL import Image, PngImagePlugin

from rightsguard.signals import xmp

DATA = Path(__file__).parent / "data" / "media"
PLUS = "http://ns.useplus.org/ldf/xmp/1.0/"


def xmp_packet(description: str, attrs: str = "") -> bytes:
    """A complete XMP packet around one ``rdf:Description`` body (used by the other tests)."""
    return (
        '<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>\n'
        '<x:xmpmeta xmlns:x="adobe:ns:meta/">\n'
        ' <rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">\n'
        '  <rdf:Description rdf:about=""\n'
        '    xmlns:plus="http://ns.useplus.org/ldf/xmp/1.0/"\n'
        '    xmlns:iptcExt="http://iptc.org/std/Iptc4xmpExt/2008-02-29/"\n'
        '    xmlns:dc="http://purl.org/dc/elements/1.1/"\n'
        '    xmlns:photoshop="http://ns.adobe.com/photoshop/1.0/"\n'
        '    xmlns:cc="http://creativecommons.org/ns#"\n'
        '    xmlns:xmpRights="http://ns.adobe.com/xap/1.0/rights/"\n'
        f'    xmlns:tdm="http://www.w3.org/ns/tdmrep/" {attrs}>\n'
        f"{description}\n"
        "  </rdf:Description>\n"
        " </rdf:RDF>\n"
        "</x:xmpmeta>\n"
        '<?xpacket end="w"?>'
    ).encode()


def jpeg_with_xmp(packet: bytes, exif: Image.Exif | None = None) -> bytes:
    """An 8×8 JPEG whose APP1 segment carries ``packet`` (written by Pillow)."""
    out = io.BytesIO()
    kwargs: dict[str, object] = {"xmp": packet}
    if exif is not None:
        kwargs["exif"] = exif
    Image.new("RGB", (8, 8), (10, 120, 200)).save(out, "JPEG", **kwargs)
    return out.getvalue()


def png_with_xmp(packet: bytes, compressed: bool) -> bytes:
    """An 8×8 PNG with an iTXt ``XML:com.adobe.xmp`` chunk (zlib-compressed when asked)."""
    info = PngImagePlugin.PngInfo()
    info.add_itxt("XML:com.adobe.xmp", packet.decode("utf-8"), zip=compressed)
    out = io.BytesIO()
    Image.new("RGB", (8, 8)).save(out, "PNG", pnginfo=info)
    return out.getvalue()


# -- finding packets ---------------------------------------------------------------------------


def test_jpeg_app1_packet_is_found_and_read() -> None:
    packet = xmp_packet("   <plus:DataMining>DMI-ALLOWED</plus:DataMining>")
    content = jpeg_with_xmp(packet)
    packets = xmp.find_xmp_packets(content)
    assert [p.container for p in packets] == ["jpeg-app1"]  # the byte scan's copy is a duplicate
    assert packets[0].data.startswith(b"<?xpacket begin=")
    reading = xmp.read_xmp(content)
    assert reading.problems == ()
    assert [v for _, v in reading.values(PLUS, "DataMining")] == ["DMI-ALLOWED"]


@pytest.mark.parametrize("compressed", [False, True])
def test_png_itxt_packet_is_found_compressed_or_not(compressed: bool) -> None:
    packet = xmp_packet("   <plus:DataMining>DMI-PROHIBITED</plus:DataMining>")
    content = png_with_xmp(packet, compressed)
    assert (packet in content) is not compressed  # compressed: only Pillow can see it
    packets = xmp.find_xmp_packets(content)
    assert [p.container for p in packets] == ["png-itxt"]
    assert [v for _, v in xmp.read_xmp(content).values(PLUS, "DataMining")] == ["DMI-PROHIBITED"]


def test_packet_in_unknown_bytes_is_found_by_scanning_with_its_offset() -> None:
    packet = xmp_packet("   <plus:DataMining>DMI-ALLOWED</plus:DataMining>")
    content = b"%PDF-1.4\n1 0 obj\n<< /Type /Metadata /Subtype /XML >>\nstream\n" + packet + (
        b"\nendstream\nendobj\n")
    packets = xmp.find_xmp_packets(content)
    assert len(packets) == 1
    assert packets[0].container == "scan"
    assert packets[0].offset == content.index(b"<?xpacket")
    assert packets[0].data == packet
    assert packets[0].where == f"XMP packet (scan) at byte {content.index(b'<?xpacket')}"


def test_tiff_tag_700_packet_is_found_by_scanning() -> None:
    packet = xmp_packet("   <plus:DataMining>DMI-PROHIBITED</plus:DataMining>")
    out = io.BytesIO()
    Image.new("RGB", (4, 4)).save(out, "TIFF", tiffinfo={700: packet})  # TIFF tag XMP (700)
    [doc] = xmp.read_xmp(out.getvalue()).documents
    assert doc.packet.container == "scan"
    assert doc.values(PLUS, "DataMining") == ["DMI-PROHIBITED"]


def test_bare_xmpmeta_without_wrapper_is_found() -> None:
    body = xmp_packet("   <plus:DataMining>DMI-ALLOWED</plus:DataMining>")
    bare = body[body.index(b"<x:xmpmeta"):body.index(b"</x:xmpmeta>") + len(b"</x:xmpmeta>")]
    content = b"GIF89a....." + bare + b"\x00;"
    [packet] = xmp.find_xmp_packets(content)
    assert packet.data == bare
    assert xmp.read_xmp(content).values(PLUS, "DataMining")[0][1] == "DMI-ALLOWED"


def test_no_packet_gives_empty_reading() -> None:
    out = io.BytesIO()
    Image.new("RGB", (4, 4)).save(out, "JPEG")
    reading = xmp.read_xmp(out.getvalue())
    assert reading == xmp.XmpReading((), ())
    assert xmp.xmp_signals(out.getvalue(), "a.jpg") == []


# -- RDF property forms (XMP Part 1 §7.5–7.7) --------------------------------------------------


def test_property_forms_attribute_element_resource_and_arrays() -> None:
    packet = xmp_packet(
        '   <plus:OtherConstraints><rdf:Alt><rdf:li xml:lang="x-default">one</rdf:li>'
        '<rdf:li xml:lang="fr">un</rdf:li></rdf:Alt></plus:OtherConstraints>\n'
        '   <dc:creator><rdf:Seq><rdf:li>A</rdf:li><rdf:li>B</rdf:li></rdf:Seq></dc:creator>\n'
        '   <cc:license rdf:resource="https://creativecommons.org/licenses/by/4.0/"/>\n'
        "   <dc:subject><rdf:Bag><rdf:li>x</rdf:li></rdf:Bag></dc:subject>",
        attrs='plus:DataMining=" DMI-ALLOWED "')
    doc = xmp.parse_xmp(xmp.XmpPacket(0, "scan", packet))
    assert doc.values(PLUS, "DataMining") == ["DMI-ALLOWED"]
    assert doc.values(PLUS, "OtherConstraints") == ["one", "un"]
    assert doc.values("http://purl.org/dc/elements/1.1/", "creator") == ["A", "B"]
    assert doc.values("http://purl.org/dc/elements/1.1/", "subject") == ["x"]
    assert doc.values("http://creativecommons.org/ns#", "license") == [
        "https://creativecommons.org/licenses/by/4.0/"]
    assert doc.values(PLUS, "Missing") == []


# -- bad input: never raises, says unreadable --------------------------------------------------


def test_billion_laughs_is_refused_quickly_as_unreadable() -> None:
    bomb = (DATA / "billion_laughs.xmp").read_bytes()
    content = jpeg_with_xmp(bomb)
    started = time.perf_counter()
    reading = xmp.read_xmp(content)
    signals = xmp.xmp_signals(reading, "photos/bomb.jpg")
    assert time.perf_counter() - started < 2.0  # expanded it would be 10^9 "lol"s (3 GB)
    assert reading.documents == ()
    assert len(reading.problems) == 1
    assert "refused unsafe XML (DTDForbidden" in reading.problems[0]
    [signal] = signals
    assert (signal.kind, signal.carrier, signal.state, signal.scope) == (
        "unreadable", "xmp", "unknown", "*")
    assert signal.value.startswith("unreadable XMP: XMP packet (jpeg-app1): refused unsafe XML")
    assert signal.evidence == "photos/bomb.jpg: XMP packet (jpeg-app1)"
    assert signal.extractor == "rightsguard.signals.xmp"


def test_compressed_png_chunk_bomb_is_unreadable() -> None:
    filler = "   <dc:description>" + " " * (8 << 20) + "</dc:description>"
    content = png_with_xmp(xmp_packet(filler), compressed=True)  # 8 MiB in ~8 KiB
    assert len(content) < 20_000
    reading = xmp.read_xmp(content)
    assert reading.documents == ()
    assert reading.problems == (
        "image metadata (png-itxt): unreadable (ValueError: Decompressed data too large for "
        "PngImagePlugin.MAX_TEXT_CHUNK)",)
    [signal] = xmp.xmp_signals(reading, "big.png")
    assert signal.evidence == "big.png: image metadata (png-itxt)"
    assert signal.value == f"unreadable XMP: {reading.problems[0]}"


def test_oversized_packet_is_not_parsed() -> None:
    filler = "   <dc:description>" + "a" * (xmp.MAX_PACKET_BYTES + 10) + "</dc:description>"
    content = b"II*\x00" + xmp_packet(filler)
    reading = xmp.read_xmp(content)
    assert reading.documents == ()
    assert reading.problems == (
        f"XMP packet (scan) at byte 4: larger than the {xmp.MAX_PACKET_BYTES} byte limit, "
        "not parsed",)


def test_truncated_and_malformed_packets_are_problems() -> None:
    truncated = xmp_packet("   <plus:DataMining>DMI-ALLOWED</plus:DataMining>")[:200]
    reading = xmp.read_xmp(b"MM\x00*" + truncated)
    assert reading.problems == ("XMP packet (scan) at byte 4: packet wrapper has no end "
                                "(truncated packet)",)
    broken = xmp_packet("   <plus:DataMining>DMI-ALLOWED</plus:Data>")
    reading = xmp.read_xmp(b"MM\x00*" + broken)
    assert len(reading.problems) == 1
    assert reading.problems[0].startswith("XMP packet (scan) at byte 4: malformed XML (mismatched")


# -- EPUB --------------------------------------------------------------------------------------

CONTAINER = (b'<?xml version="1.0"?><container version="1.0" '
             b'xmlns="urn:oasis:names:tc:opendocument:xmlns:container"><rootfiles>'
             b'<rootfile full-path="OEBPS/content.opf" media-type="application/oebps-package+xml"/>'
             b"</rootfiles></container>")


def epub(opf: bytes, container: bytes = CONTAINER) -> bytes:
    """A minimal EPUB zip: stored ``mimetype`` first (OCF §4.3), container.xml, the OPF."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        z.writestr(zipfile.ZipInfo("mimetype"), "application/epub+zip")
        z.writestr("META-INF/container.xml", container, zipfile.ZIP_DEFLATED)
        z.writestr("OEBPS/content.opf", opf, zipfile.ZIP_DEFLATED)
    return out.getvalue()


OPF3 = b"""<?xml version="1.0" encoding="UTF-8"?>
<package xmlns="http://www.idpf.org/2007/opf" version="3.0" unique-identifier="id"
         prefix="tdm: http://www.w3.org/ns/tdmrep#  rendition: http://www.idpf.org/vocab/rendition/#">
 <metadata xmlns:dc="http://purl.org/dc/elements/1.1/">
  <dc:identifier id="id">urn:isbn:9780000000000</dc:identifier>
  <dc:title>A Book</dc:title>
  <meta property="tdm:reservation">1</meta>
  <meta property="tdm:policy">https://publisher.example/policies/tdm.json</meta>
  <meta name="cover" content="cover-image"/>
 </metadata>
 <manifest/><spine/>
</package>"""


def test_epub_package_metadata() -> None:
    package = xmp.read_epub_package(epub(OPF3))
    assert package.opf_path == "OEBPS/content.opf"
    assert package.prefixes == {"tdm": "http://www.w3.org/ns/tdmrep#",
                                "rendition": "http://www.idpf.org/vocab/rendition/#"}
    assert package.metas == (
        xmp.EpubMeta(None, "tdm:reservation", "1"),
        xmp.EpubMeta(None, "tdm:policy", "https://publisher.example/policies/tdm.json"),
        xmp.EpubMeta("cover", None, "cover-image"),
    )
    assert package.property_iri("tdm:reservation") == "http://www.w3.org/ns/tdmrep#reservation"
    assert package.property_iri("dcterms:modified") is None


def test_epub_zip_bomb_member_is_refused() -> None:
    bomb = b"<package>" + b" " * (64 << 20) + b"</package>"  # 64 MiB of spaces, ~64 KiB deflated
    content = epub(bomb)
    assert len(content) < 200_000
    with pytest.raises(xmp.MediaReadError,
                       match=r"EPUB member OEBPS/content.opf declares 67108883 bytes, over the "
                             r"1048576 byte limit \(zip bomb guard\)"):
        xmp.read_epub_package(content)


def test_epub_member_with_a_lying_size_header_is_refused() -> None:
    bomb = b"<package>" + b" " * (8 << 20) + b"</package>"
    content = bytearray(epub(bomb))
    # rewrite the OPF's declared uncompressed size (local header and central directory) to 100
    true_size = (len(bomb)).to_bytes(4, "little")
    count = 0
    start = 0
    while (i := content.find(true_size, start)) != -1:
        content[i:i + 4] = (100).to_bytes(4, "little")
        start, count = i + 4, count + 1
    assert count == 2
    with pytest.raises(xmp.MediaReadError,
                       match=r"EPUB member OEBPS/content\.opf cannot be inflated"):
        xmp.read_epub_package(bytes(content))


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"PK\x03\x04 not really a zip", "EPUB is not a readable zip"),
        (epub(OPF3, container=b"<container/>"), "names no rootfile full-path"),
        (epub(b"<package><metadata>"), "EPUB package OEBPS/content.opf: malformed XML"),
        (epub((DATA / "billion_laughs.xmp").read_bytes()),
         "EPUB package OEBPS/content.opf: refused unsafe XML"),
    ],
)
def test_unreadable_epubs_raise_media_read_error(content: bytes, message: str) -> None:
    with pytest.raises(xmp.MediaReadError, match=message):
        xmp.read_epub_package(content)


def test_a_header_above_pillows_pixel_limit_is_read_without_its_warning() -> None:
    # a PNG whose IHDR claims 10,000 × 9,000 = 90 M pixels (above Pillow's 89,478,485, below
    # twice it: Pillow warns instead of refusing); only the header and the XMP chunk are read
    import struct
    import warnings
    import zlib

    content = bytearray(png_with_xmp(xmp_packet(
        "   <plus:DataMining>DMI-PROHIBITED</plus:DataMining>"), compressed=False))
    assert content[12:16] == b"IHDR"
    ihdr = b"IHDR" + struct.pack(">II", 10_000, 9_000) + bytes(content[24:29])
    content[12:33] = ihdr + struct.pack(">I", zlib.crc32(ihdr))
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the newcomer saw Pillow's raw warning on stderr
        reading = xmp.read_xmp(bytes(content))
    assert reading.problems == ()  # the warning neither escapes nor makes the header unreadable
    assert [v for _, v in reading.values(PLUS, "DataMining")] == ["DMI-PROHIBITED"]
