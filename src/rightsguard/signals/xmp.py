"""XMP packets in media files and EPUB package metadata, read safely.

What is read, and the source of each rule:

* **XMP packets** (ISO 16684-1, Adobe XMP Specification Part 1 §7 "XMP packet wrapper" and Part 3
  "Storage in files"): JPEG APP1 ``http://ns.adobe.com/xap/1.0/``, PNG iTXt ``XML:com.adobe.xmp``
  and WebP ``XMP `` chunks as Pillow exposes them (``Image.info["xmp"]``, header parsing only, no
  pixel decoding); every other container (TIFF, GIF, PDF metadata streams, …) by scanning the raw
  bytes for the packet wrapper ``<?xpacket begin= … <?xpacket end= … ?>`` or a bare
  ``<x:xmpmeta … </x:xmpmeta>`` (Part 3 §1.1: "packet scanning" is the documented fallback for
  formats a reader does not know). PDF metadata streams are found when they are not filtered
  (PDF/A-1, ISO 19005-1 §6.7.2, forbids filters on them); compressed ones are not decoded.
* **RDF/XML property forms** (XMP Part 1 §7.5–7.7): a property is read from an attribute of
  ``rdf:Description``, a simple element's text, an ``rdf:resource`` URI, or the ``rdf:li`` items
  of an ``rdf:Alt`` / ``rdf:Bag`` / ``rdf:Seq`` array. Structures are skipped.
* **EPUB package metadata** (EPUB 3.3 §3 "Package document", OCF §4 ``META-INF/container.xml``;
  EPUB 2 OPF 2.0.1 §2.2 ``<meta name content>``): the first ``rootfile``'s OPF ``<meta>`` elements
  and the package ``prefix`` attribute (EPUB 3.3 §D.2 "prefix attribute" syntax).

Safety limits: XML is parsed with ``defusedxml`` with DTDs forbidden (XMP and OPF never need one;
an entity-expansion bomb such as "billion laughs" is refused before any expansion); a packet over
:data:`MAX_PACKET_BYTES` is refused unparsed; a zip member over :data:`MAX_ZIP_MEMBER_BYTES`
(declared or actually inflated — headers can lie) is refused; at most :data:`MAX_PACKETS` packets
are read per file. Nothing here raises for bad input: :func:`read_xmp` returns the problems next
to the packets it could read, and :func:`read_epub_package` raises only :class:`MediaReadError`,
which callers turn into an ``unreadable`` signal.
"""

from __future__ import annotations

import io
import itertools
import re
import warnings
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any
from xml.etree.ElementTree import Element, ParseError

from rightsguard.errors import InputError
from rightsguard.model import ReservationState, RightsSignal

__all__ = [
    "MAX_PACKETS",
    "MAX_PACKET_BYTES",
    "MAX_ZIP_MEMBER_BYTES",
    "RDF_NS",
    "EpubMeta",
    "EpubPackage",
    "MediaReadError",
    "XmpDocument",
    "XmpPacket",
    "XmpReading",
    "find_xmp_packets",
    "parse_xml",
    "parse_xmp",
    "read_epub_package",
    "read_xmp",
    "unreadable_signal",
    "xmp_signals",
]

EXTRACTOR = "rightsguard.signals.xmp"

MAX_PACKET_BYTES = 1 << 20
"""Largest XMP packet parsed (1 MiB). Real packets are a few KiB; JPEG APP1 caps one at 64 KiB."""

MAX_ZIP_MEMBER_BYTES = 1 << 20
"""Largest EPUB member read (container.xml, the OPF package document): 1 MiB inflated."""

MAX_PACKETS = 16
"""Most XMP packets read from one file (a PDF may carry one per page object; the document's own
packet comes first in practice)."""

RDF_NS = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
_XML_NS = "http://www.w3.org/XML/1998/namespace"
_OPF_NS = "http://www.idpf.org/2007/opf"
_OCF_NS = "urn:oasis:names:tc:opendocument:xmlns:container"

_PACKET_END = re.compile(rb"<\?xpacket[ \t]+end=[^?]{0,16}\?>")
_XMPMETA_BEGIN = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?xmpmeta[\s>]")
_XMPMETA_END = re.compile(rb"</(?:[A-Za-z_][\w.-]*:)?xmpmeta\s*>")
_RDF_ARRAYS = frozenset({f"{{{RDF_NS}}}Alt", f"{{{RDF_NS}}}Bag", f"{{{RDF_NS}}}Seq"})


class MediaReadError(InputError):
    """A media container or its metadata cannot be read (malformed, over a limit, a bomb)."""


# --------------------------------------------------------------------------------------------
# XMP
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class XmpPacket:
    """Raw bytes of one XMP packet.

    ``offset`` is the byte offset of the packet in the file (0-based), None when Pillow handed the
    packet over (its segment offset is not exposed); ``container`` names how it was found
    (``jpeg-app1``, ``png-itxt``, ``webp-xmp``, ``scan``).
    """

    offset: int | None
    container: str
    data: bytes

    @property
    def where(self) -> str:
        """Human-readable location, e.g. ``"XMP packet (jpeg-app1)"`` or ``"… at byte 120"``."""
        at = f" at byte {self.offset}" if self.offset is not None else ""
        return f"XMP packet ({self.container}){at}"


@dataclass(frozen=True, slots=True)
class XmpDocument:
    """A parsed XMP packet: the element tree of its ``x:xmpmeta`` (or ``rdf:RDF``) root."""

    packet: XmpPacket
    root: Element

    def values(self, namespace: str, name: str) -> list[str]:
        """Every value of property ``{namespace}name`` in document order, stripped, non-empty.

        Reads the attribute form, simple elements, ``rdf:resource`` and array items (XMP Part 1
        §7.5–7.7). A language alternative contributes each ``rdf:li`` (``x-default`` first as
        written). Structure-valued properties are skipped.
        """
        qname = f"{{{namespace}}}{name}"
        found: list[str] = []
        for desc in self.root.iter(f"{{{RDF_NS}}}Description"):
            attr = desc.get(qname)
            if attr is not None and attr.strip():
                found.append(attr.strip())
            for prop in desc.findall(qname):
                found.extend(_property_values(prop))
        return found


def _property_values(prop: Element) -> list[str]:
    resource = prop.get(f"{{{RDF_NS}}}resource")
    if resource is not None:
        return [resource.strip()] if resource.strip() else []
    children = list(prop)
    if not children:
        text = (prop.text or "").strip()
        return [text] if text else []
    values: list[str] = []
    for child in children:
        if child.tag in _RDF_ARRAYS:
            for li in child.findall(f"{{{RDF_NS}}}li"):
                res = li.get(f"{{{RDF_NS}}}resource")
                text = (res if res is not None else (li.text or "")).strip()
                if text and not list(li):
                    values.append(text)
    return values


@dataclass(frozen=True, slots=True)
class XmpReading:
    """What :func:`read_xmp` got from one file: the parsed documents and, for each packet that
    could not be read, a problem sentence (``"XMP packet (scan) at byte 10: DTD forbidden …"``)."""

    documents: tuple[XmpDocument, ...] = ()
    problems: tuple[str, ...] = ()

    def values(self, namespace: str, name: str) -> list[tuple[XmpDocument, str]]:
        """``(document, value)`` for every value of the property in every document."""
        return [(doc, v) for doc in self.documents for v in doc.values(namespace, name)]


def _pillow_packets(content: bytes) -> tuple[list[XmpPacket], str | None]:
    """XMP that Pillow exposes in ``info["xmp"]`` (JPEG APP1, PNG iTXt, WebP), and the problem
    when Pillow cannot read the image's header (the byte scan still looks for packets)."""
    if content.startswith(b"\xff\xd8\xff"):
        container = "jpeg-app1"
    elif content.startswith(b"\x89PNG\r\n\x1a\n"):
        container = "png-itxt"
    elif content[:4] == b"RIFF" and content[8:12] == b"WEBP":
        container = "webp-xmp"
    else:
        return [], None
    from PIL import Image

    try:
        with warnings.catch_warnings():
            # DecompressionBombWarning: only the header is read here; decode_image decides
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(content)) as image:
                raw: Any = image.info.get("xmp")
    except Exception as exc:  # Pillow raises many types for broken headers and bombs
        return [], f"image metadata ({container}): unreadable ({type(exc).__name__}: {exc})"
    if isinstance(raw, str):
        raw = raw.encode("utf-8")
    if not isinstance(raw, bytes) or not raw.strip(b"\x00 \t\r\n"):
        return [], None
    return [XmpPacket(None, container, raw.rstrip(b"\x00"))], None


def _scan_packets(content: bytes) -> Iterator[XmpPacket]:
    """Packets found by scanning for the wrapper or a bare ``x:xmpmeta`` element (XMP Part 3).

    A packet whose end is missing, or lies beyond :data:`MAX_PACKET_BYTES`, is yielded truncated
    at that limit + 1 byte so :func:`parse_xmp` reports it as too large or malformed.
    """
    pos = 0
    while True:
        begin = content.find(b"<?xpacket begin=", pos)
        meta = _next_xmpmeta(content, pos)
        if begin < 0 and meta < 0:
            return
        if meta < 0 or 0 <= begin <= meta:
            start, end_re = begin, _PACKET_END
        else:
            start, end_re = meta, _XMPMETA_END
        limit = start + MAX_PACKET_BYTES + 1
        end = end_re.search(content, start, min(len(content), limit + 64))
        stop = min(end.end(), limit) if end is not None else min(len(content), limit)
        yield XmpPacket(start, "scan", content[start:stop])
        pos = stop if stop > start else start + 1


def _next_xmpmeta(content: bytes, pos: int) -> int:
    """Offset of the next ``<x:xmpmeta`` start tag (any prefix) at or after ``pos``, or -1.

    ``bytes.find`` does the scanning (fast on megabytes of image data); the regex only checks
    the few places where the name occurs."""
    while (at := content.find(b"xmpmeta", pos)) >= 0:
        lt = content.rfind(b"<", max(0, at - 40), at)
        if lt >= 0 and _XMPMETA_BEGIN.match(content, lt):
            return lt
        pos = at + 7
    return -1


def find_xmp_packets(content: bytes) -> list[XmpPacket]:
    """Every XMP packet in ``content`` (bytes of an image, PDF or other file), at most
    :data:`MAX_PACKETS`, de-duplicated by content; packets Pillow exposes come first."""
    return _find_packets(content)[0]


def _find_packets(content: bytes) -> tuple[list[XmpPacket], str | None]:
    from_pillow, problem = _pillow_packets(content)
    packets: list[XmpPacket] = []
    seen: list[bytes] = []
    # lazily: a file stuffed with packet headers is scanned for at most 2 × MAX_PACKETS of them
    candidates = itertools.chain(from_pillow,
                                 itertools.islice(_scan_packets(content), 2 * MAX_PACKETS))
    for packet in candidates:
        key = packet.data.strip(b"\x00 \t\r\n")
        if not key or any(key in s or s in key for s in seen):
            continue  # the same packet found by Pillow and by the scan
        seen.append(key)
        packets.append(packet)
        if len(packets) >= MAX_PACKETS:
            break
    return packets, problem


def parse_xml(data: bytes, what: str) -> Element:
    """Parse ``data`` with defusedxml, DTDs, entities and external references forbidden.

    Raises:
        MediaReadError: the XML is malformed or declares a DTD/entities (an entity-expansion
            bomb is refused before any expansion); the message names ``what`` and the reason.
    """
    import defusedxml
    import defusedxml.ElementTree as DET

    try:
        root: Element = DET.fromstring(data, forbid_dtd=True, forbid_entities=True,
                                       forbid_external=True)
    except defusedxml.DefusedXmlException as exc:
        raise MediaReadError(f"{what}: refused unsafe XML ({type(exc).__name__}: {exc})") from None
    except (ParseError, ValueError, UnicodeError) as exc:
        raise MediaReadError(f"{what}: malformed XML ({exc})") from None
    return root


def parse_xmp(packet: XmpPacket) -> XmpDocument:
    """Parse one packet.

    Raises:
        MediaReadError: the packet is over :data:`MAX_PACKET_BYTES`, is malformed XML, or declares
            a DTD (XML bombs); the message names the packet's location.
    """
    if len(packet.data) > MAX_PACKET_BYTES:
        raise MediaReadError(
            f"{packet.where}: larger than the {MAX_PACKET_BYTES} byte limit, not parsed")
    data = packet.data
    if data.startswith(b"<?xpacket") and not data.rstrip().endswith(b"?>"):
        raise MediaReadError(f"{packet.where}: packet wrapper has no end (truncated packet)")
    return XmpDocument(packet, parse_xml(data, packet.where))


def read_xmp(content: bytes) -> XmpReading:
    """Find and parse every XMP packet of a file; never raises for bad input. A JPEG, PNG or
    WebP whose header Pillow cannot read (broken file, compressed-chunk bomb) is a problem too."""
    docs: list[XmpDocument] = []
    packets, problem = _find_packets(content)
    problems: list[str] = [problem] if problem else []
    for packet in packets:
        try:
            docs.append(parse_xmp(packet))
        except MediaReadError as exc:
            problems.append(str(exc))
    return XmpReading(tuple(docs), tuple(problems))


def unreadable_signal(carrier: str, problem: str, evidence: str, extractor: str) -> RightsSignal:
    """An ``unreadable`` signal (state unknown) for a carrier that could not be read."""
    return RightsSignal(kind="unreadable", carrier=carrier, value=f"unreadable {problem}",
                        scope="*", state=ReservationState.UNKNOWN.value,
                        evidence=evidence, extractor=extractor)


def xmp_signals(content: bytes | XmpReading, evidence: str) -> list[RightsSignal]:
    """One ``unreadable`` signal (carrier ``xmp``, state unknown) per XMP packet that could not be
    read — malformed, over the size limit, or an XML bomb; [] when every packet parsed.

    ``evidence`` names the item (path or URL); the signal's evidence adds the packet's location.
    """
    reading = content if isinstance(content, XmpReading) else read_xmp(content)
    return [unreadable_signal("xmp", f"XMP: {p}", f"{evidence}: {p.split(':', 1)[0]}",
                              EXTRACTOR) for p in reading.problems]


# --------------------------------------------------------------------------------------------
# EPUB
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class EpubMeta:
    """One ``<meta>`` of the OPF ``<metadata>``: EPUB 3 ``property`` with the value as text, or
    EPUB 2 ``name`` with the value in ``content``; ``refines`` is EPUB 3's ``refines`` or None."""

    name: str | None
    property: str | None
    value: str
    refines: str | None = None


@dataclass(frozen=True, slots=True)
class EpubPackage:
    """The package document of an EPUB: its path in the zip, the ``prefix`` mappings declared on
    ``<package>`` (prefix → IRI) and its ``<meta>`` elements in document order."""

    opf_path: str
    prefixes: dict[str, str] = field(default_factory=dict)
    metas: tuple[EpubMeta, ...] = ()

    def property_iri(self, prop: str) -> str | None:
        """Expand ``prefix:reference`` with the declared prefixes (EPUB 3.3 §D.2), else None."""
        prefix, sep, ref = prop.partition(":")
        if not sep or prefix not in self.prefixes:
            return None
        return self.prefixes[prefix] + ref


def _read_member(archive: zipfile.ZipFile, name: str) -> bytes:
    try:
        info = archive.getinfo(name)
    except KeyError:
        raise MediaReadError(f"EPUB has no {name}") from None
    if info.file_size > MAX_ZIP_MEMBER_BYTES:
        raise MediaReadError(
            f"EPUB member {name} declares {info.file_size} bytes, over the "
            f"{MAX_ZIP_MEMBER_BYTES} byte limit (zip bomb guard)")
    try:
        with archive.open(info) as member:
            data = member.read(MAX_ZIP_MEMBER_BYTES + 1)
    except (zipfile.BadZipFile, OSError, EOFError, NotImplementedError, ValueError) as exc:
        raise MediaReadError(f"EPUB member {name} cannot be inflated: {exc}") from None
    if len(data) > MAX_ZIP_MEMBER_BYTES:
        raise MediaReadError(
            f"EPUB member {name} inflates past the {MAX_ZIP_MEMBER_BYTES} byte limit "
            "(zip bomb guard)")
    return data


_PREFIX_PAIR = re.compile(r"([A-Za-z_][\w.-]*):\s+(\S+)")


def read_epub_package(content: bytes) -> EpubPackage:
    """Read the OPF package metadata of an EPUB (bytes of the zip).

    Raises:
        MediaReadError: not a zip, no ``META-INF/container.xml`` or rootfile, a member over
            :data:`MAX_ZIP_MEMBER_BYTES` (zip bombs), malformed or unsafe XML.
    """
    try:
        archive = zipfile.ZipFile(io.BytesIO(content))
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise MediaReadError(f"EPUB is not a readable zip: {exc}") from None
    with archive:
        container = parse_xml(_read_member(archive, "META-INF/container.xml"),
                              "EPUB META-INF/container.xml")
        rootfile = container.find(f".//{{{_OCF_NS}}}rootfile")
        opf_path = rootfile.get("full-path") if rootfile is not None else None
        if not opf_path:
            raise MediaReadError("EPUB META-INF/container.xml names no rootfile full-path")
        package = parse_xml(_read_member(archive, opf_path), f"EPUB package {opf_path}")
    prefixes = dict(_PREFIX_PAIR.findall(package.get("prefix", "")))
    metas: list[EpubMeta] = []
    metadata = package.find(f"{{{_OPF_NS}}}metadata")
    for meta in (metadata if metadata is not None else package).iter():
        if not isinstance(meta.tag, str) or meta.tag.rpartition("}")[2] != "meta":
            continue
        prop = meta.get("property")
        name = meta.get("name")
        if prop is not None:
            metas.append(EpubMeta(None, prop.strip(), (meta.text or "").strip(),
                                  meta.get("refines")))
        elif name is not None:
            metas.append(EpubMeta(name.strip(), None, (meta.get("content") or "").strip()))
    return EpubPackage(opf_path, prefixes, tuple(metas))
