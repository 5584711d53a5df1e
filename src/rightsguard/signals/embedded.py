"""Rights signals embedded in media files: TDMRep in EPUB and PDF, and every media extractor.

TDMRep (W3C TDM Reservation Protocol, CG final report, rights-signals.md §2):

* **EPUB 3**: ``<meta property="tdm:reservation">1</meta>`` and ``<meta property="tdm:policy">…``
  with the prefix ``tdm: http://www.w3.org/ns/tdmrep#`` declared on ``<package>``; **EPUB 2**:
  ``<meta name="tdm:reservation" content="1"/>``. An EPUB 3 ``tdm:`` property whose prefix is not
  declared is still read (as in the wild), and the evidence says so; a ``tdm`` prefix bound to
  another IRI is not TDMRep.
* **PDF**: XMP properties ``tdm:reservation`` / ``tdm:policy`` in namespace
  ``http://www.w3.org/ns/tdmrep/`` (trailing slash; the EPUB 3 ``#`` form is accepted too). The
  same properties in another file's XMP are read with carrier ``xmp``.
* ``tdm-reservation``: ``1`` → reserved, ``0`` → not-reserved, any other value is a protocol error
  ("treated as unset") → state unknown, value ``malformed: tdm-reservation '…' is not 0 or 1``.
  ``tdm-policy`` is reported with a reservation of 1 only (the spec: a policy with 0 SHOULD NOT
  be processed). Values are those of the other TDMRep carriers
  (:func:`rightsguard.signals.tdmrep.tdmrep_value`: ``tdm-reservation=0``,
  ``tdm-reservation=1, tdm-policy=<url>``), so that the precedence between carriers
  (:func:`rightsguard.signals.tdmrep.resolve_tdmrep`: EPUB/PDF metadata supersede the site file,
  the header and HTML) can read them. Signals have kind ``tdmrep``, scope ``*`` (TDM of the whole
  publication).

:func:`media_signals` runs every embedded-media extractor on one item: XMP (unreadable packets),
IPTC ``plus:DataMining``, TDMRep (EPUB, PDF/XMP), Creative Commons ``cc:license`` /
``xmpRights:WebStatement`` URLs in XMP (licence signals), and C2PA/CAWG training-and-data-mining.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from rightsguard.model import Modality, ReservationState, RightsSignal
from rightsguard.signals.c2pa import c2pa_signals
from rightsguard.signals.iptc import data_mining_signals
from rightsguard.signals.licence_class import cc_url_expression, licence_signals
from rightsguard.signals.tdmrep import tdmrep_value
from rightsguard.signals.xmp import (
    EpubPackage,
    MediaReadError,
    XmpReading,
    read_epub_package,
    read_xmp,
    unreadable_signal,
    xmp_signals,
)

__all__ = [
    "TDMREP_EPUB_IRI",
    "TDMREP_XMP_NS",
    "epub_tdmrep_signals",
    "media_kind",
    "media_signals",
    "xmp_tdmrep_signals",
]

EXTRACTOR = "rightsguard.signals.embedded"

TDMREP_XMP_NS = "http://www.w3.org/ns/tdmrep/"
"""TDMRep namespace for PDF XMP (TDMRep §3.5)."""
TDMREP_EPUB_IRI = "http://www.w3.org/ns/tdmrep#"
"""TDMRep prefix IRI for EPUB 3 (TDMRep §3.4)."""
CC_NS = "http://creativecommons.org/ns#"
XMP_RIGHTS_NS = "http://ns.adobe.com/xap/1.0/rights/"

_R, _N, _U = (ReservationState.RESERVED.value, ReservationState.NOT_RESERVED.value,
              ReservationState.UNKNOWN.value)


def _tdm_signal(reservation: str, policy: str | None, carrier: str, evidence: str
                ) -> RightsSignal:
    declared = reservation.strip()
    if declared in ("0", "1"):
        state = _R if declared == "1" else _N
        value = tdmrep_value(int(declared), policy.strip() if policy else None)
    else:
        state = _U
        value = f"malformed: tdm-reservation {declared!r} is not 0 or 1"
        evidence += " (protocol error: neither 0 nor 1, treated as unset)"
    return RightsSignal("tdmrep", carrier, value, "*", state, evidence, EXTRACTOR)


def epub_tdmrep_signals(package: EpubPackage, evidence: str) -> list[RightsSignal]:
    """``tdmrep`` signals (carrier ``epub``) from an EPUB's package metadata, one per
    ``tdm:reservation`` meta (normally one). ``evidence`` names the item."""
    reservations: list[tuple[str, str]] = []
    policies: list[str] = []
    for meta in package.metas:
        if meta.refines:
            continue  # refines another item, not the publication
        if meta.property is not None:
            prefix, _, local = meta.property.partition(":")
            iri = package.property_iri(meta.property)
            if iri is not None:
                if not iri.startswith(TDMREP_EPUB_IRI):
                    continue
                local = iri[len(TDMREP_EPUB_IRI):]
                note = ""
            elif prefix == "tdm":
                note = " (prefix tdm not declared on <package>)"
            else:
                continue
            where = f'<meta property="{meta.property}">{meta.value}</meta>{note}'
        elif meta.name is not None and meta.name.startswith("tdm:"):
            local = meta.name[4:]
            where = f'<meta name="{meta.name}" content="{meta.value}"/>'
        else:
            continue
        if local == "reservation":
            reservations.append((meta.value, where))
        elif local == "policy" and meta.value:
            policies.append(meta.value)
    policy = policies[0] if policies else None
    return [_tdm_signal(value, policy, "epub",
                        f"{evidence}: EPUB package {package.opf_path} {where}")
            for value, where in reservations]


def xmp_tdmrep_signals(reading: XmpReading, evidence: str, carrier: str = "pdf"
                       ) -> list[RightsSignal]:
    """``tdmrep`` signals from ``tdm:reservation`` / ``tdm:policy`` XMP properties, one per
    reservation value; ``carrier`` is ``pdf`` for a PDF's metadata, ``xmp`` for other files."""
    signals: list[RightsSignal] = []
    for doc in reading.documents:
        for ns in (TDMREP_XMP_NS, TDMREP_EPUB_IRI):
            policies = doc.values(ns, "policy")
            for value in doc.values(ns, "reservation"):
                note = "" if ns == TDMREP_XMP_NS else f" (namespace {ns}, EPUB form)"
                signals.append(_tdm_signal(
                    value, policies[0] if policies else None, carrier,
                    f"{evidence}: {doc.packet.where} tdm:reservation={value}{note}"))
    return signals


def _xmp_licence_signals(reading: XmpReading, evidence: str) -> list[RightsSignal]:
    found: list[tuple[str, str]] = []
    for ns, name, prefix in ((CC_NS, "license", "cc"), (XMP_RIGHTS_NS, "WebStatement",
                                                         "xmpRights")):
        for doc, value in reading.values(ns, name):
            expr = cc_url_expression(value)
            if expr is not None:
                found.append((expr, f"{evidence}: {doc.packet.where} {prefix}:{name}={value}"))
    return licence_signals(found, "xmp", f"{evidence}: licences in XMP")


_IMAGE_MAGIC = (
    (b"\xff\xd8\xff", "image"), (b"\x89PNG\r\n\x1a\n", "image"), (b"GIF87a", "image"),
    (b"GIF89a", "image"), (b"II*\x00", "image"), (b"MM\x00*", "image"),
)


def media_kind(content: bytes, media_type: str | None, path_or_url: str = "") -> str:
    """``"pdf"``, ``"epub"``, ``"image"``, ``"media"`` (audio/video) or ``"other"``, from the
    magic bytes first (WHATWG MIME Sniffing §6 signatures; OCF 3.3 §4.3: an EPUB's first zip
    member is the stored ``mimetype`` file), then the declared type, then the name's extension."""
    head = content[:64]
    mt = (media_type or "").split(";", 1)[0].strip().lower()
    if b"%PDF-" in content[:1024]:
        return "pdf"
    if head.startswith(b"PK\x03\x04") and (
            content[30:58] == b"mimetypeapplication/epub+zip" or mt == "application/epub+zip"
            or path_or_url.lower().split("?", 1)[0].endswith(".epub")):
        return "epub"
    for magic, kind in _IMAGE_MAGIC:
        if head.startswith(magic):
            return kind
    if head[:4] == b"RIFF" and head[8:12] in {b"WEBP"}:
        return "image"
    if head[4:8] == b"ftyp":  # ISO BMFF: AVIF/HEIC images, MP4/MOV video
        brand = head[8:12]
        return "image" if brand in {b"avif", b"avis", b"heic", b"heix", b"mif1"} else "media"
    if mt == "application/pdf":
        return "pdf"
    if mt.startswith("image/"):
        return "image"
    if mt.startswith(("audio/", "video/")):
        return "media"
    return "other"


def media_signals(content: bytes, media_type: str | None, path_or_url: str,
                  modality: str | Modality) -> list[RightsSignal]:
    """Every embedded-media signal of one item (bytes of the file), with evidence naming
    ``path_or_url``: XMP ``unreadable`` signals, IPTC Data Mining, TDMRep (EPUB, PDF), Creative
    Commons licences from XMP and C2PA/CAWG training-and-data-mining. Items that are not
    images, PDFs, EPUBs or audio/video (by :func:`media_kind`; ``modality`` ``image`` counts as
    an image) give []. Never raises for bad input: unreadable carriers give ``unreadable``
    (or, for C2PA, ``c2pa-training-mining`` unknown) signals.
    """
    kind = media_kind(content, media_type, path_or_url)
    if kind == "other" and str(modality) == Modality.IMAGE.value:
        kind = "image"
    if kind == "other":
        return []
    signals: list[RightsSignal] = []
    if kind == "epub":
        try:
            package = read_epub_package(content)
        except MediaReadError as exc:
            signals.append(unreadable_signal("epub", f"EPUB: {exc}", path_or_url, EXTRACTOR))
        else:
            signals.extend(epub_tdmrep_signals(package, path_or_url))
    else:
        reading = read_xmp(content)
        signals.extend(_from_xmp(reading, path_or_url, "pdf" if kind == "pdf" else "xmp"))
        if kind == "pdf" and not reading.documents and not reading.problems and \
                _unscanned_metadata(content):
            # the document has metadata, but no packet is in its bytes: a compressed stream
            signals.append(unreadable_signal(
                "pdf", "PDF metadata: the document has an XMP metadata stream but it is "
                "compressed (or inside a compressed object stream), so its TDMRep reservation "
                "cannot be read", path_or_url, EXTRACTOR))
    signals.extend(c2pa_signals(content, media_type, path_or_url))
    return signals


#: A PDF's document-level metadata (ISO 32000-1 §14.3.2): the catalog's ``/Metadata`` entry, an
#: indirect reference to a stream whose dictionary has ``/Type /Metadata``.
_METADATA_REF = re.compile(rb"/Metadata\s+\d+\s+\d+\s+R")
_METADATA_DICT = re.compile(rb"<<(?:(?!>>).){0,512}?/Type\s*/Metadata\b(?:(?!>>).){0,512}?>>",
                            re.DOTALL)


def _unscanned_metadata(content: bytes) -> bool:
    """Whether a PDF in which XMP packet scanning (XMP Part 3, the fallback
    :func:`~rightsguard.signals.xmp.read_xmp` uses) found no packet has metadata it could not
    see: a metadata stream with a ``/Filter`` (compressed, ISO 32000-1 §7.4), or a catalog
    ``/Metadata`` reference to an object no dictionary in the bytes shows (inside a compressed
    object stream, §7.5.7). An uncompressed stream that holds no XMP is not this."""
    dicts = _METADATA_DICT.findall(content)
    if dicts:
        return any(b"/Filter" in d for d in dicts)
    return _METADATA_REF.search(content) is not None


def _from_xmp(reading: XmpReading, evidence: str, tdm_carrier: str) -> Iterable[RightsSignal]:
    yield from xmp_signals(reading, evidence)
    yield from data_mining_signals(reading, evidence)
    yield from xmp_tdmrep_signals(reading, evidence, tdm_carrier)
    yield from _xmp_licence_signals(reading, evidence)
