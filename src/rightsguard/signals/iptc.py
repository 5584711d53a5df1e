"""IPTC Photo Metadata "Data Mining" (``plus:DataMining``) and the creator/copyright fields.

Sources:

* IPTC Photo Metadata Standard 2023.1 (Oct 2023), properties "Data Mining" (XMP
  ``plus:DataMining``, PLUS LDF namespace ``http://ns.useplus.org/ldf/xmp/1.0/``) and "Other
  Constraints" (``plus:OtherConstraints``, language alternative); the nine values are URIs of the
  PLUS vocabulary ``http://ns.useplus.org/ldf/vocab/<CODE>`` (rights-signals.md §5a; IPTC's own
  generator, repo iptc/video-metadata-hub ``generator/vmhub_generator.js``). Values in the wild are
  often the bare code, so both forms are accepted (case-insensitively).
* Creator and copyright fields: IPTC Core "Creator" (``dc:creator``), "Copyright Notice"
  (``dc:rights``), "Credit Line" (``photoshop:Credit``); the same fields in the older IPTC IIM
  4.2 record 2 (datasets 2:80 By-line, 2:116 Copyright Notice; 1:90 ``ESC % G`` marks UTF-8),
  from a JPEG's Photoshop APP13 resource 0x0404 or TIFF tag 33723 as Pillow reads them; EXIF
  2.32 tags Artist (0x013B) and Copyright (0x8298).

State of each code (a reservation of AI training is what the EU Art. 4(3) and JP rules read):

========================================== ============== ===============================
code                                       state          scope
========================================== ============== ===============================
DMI-UNSPECIFIED                            unknown        ``*`` (no prohibition defined)
DMI-ALLOWED                                not-reserved   ``*``
DMI-PROHIBITED-AIMLTRAINING                reserved       ``train-ai``
DMI-PROHIBITED-GENAIMLTRAINING             reserved       ``train-genai``
DMI-PROHIBITED-EXCEPTSEARCHENGINEINDEXING  reserved       ``except-search-engine-indexing``
DMI-PROHIBITED                             reserved       ``*``
DMI-PROHIBITED-SEECONSTRAINT               see below      ``*``
DMI-PROHIBITED-SEEEMBEDDEDRIGHTSEXPR       see below      ``*``
DMI-PROHIBITED-SEELINKEDRIGHTSEXPR         see below      ``*``
========================================== ============== ===============================

The three ``SEE…`` codes mean "prohibited, except as the named property says": when that property
(``plus:OtherConstraints``, ``iptcExt:EmbdEncRightsExpr``, ``iptcExt:LinkedEncRightsExpr``) is
present its text may permit the use, which a machine cannot decide → state ``unknown`` (review) with
the text in the value; when it is absent nothing qualifies the prohibition → ``reserved``. An
unrecognised value → ``unknown`` ("unrecognised plus:DataMining value").
"""

from __future__ import annotations

import io
import warnings
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from rightsguard.model import ReservationState, RightsSignal
from rightsguard.signals.xmp import XmpDocument, XmpReading, read_xmp, xmp_signals

__all__ = [
    "DATA_MINING_CODES",
    "DC_NS",
    "IPTC_EXT_NS",
    "PHOTOSHOP_NS",
    "PLUS_NS",
    "PLUS_VOCAB",
    "DataMiningCode",
    "IptcRights",
    "data_mining_code",
    "data_mining_signals",
    "iptc_rights",
    "iptc_signals",
]

EXTRACTOR = "rightsguard.signals.iptc"
KIND = "iptc-data-mining"

PLUS_NS = "http://ns.useplus.org/ldf/xmp/1.0/"
PLUS_VOCAB = "http://ns.useplus.org/ldf/vocab/"
IPTC_EXT_NS = "http://iptc.org/std/Iptc4xmpExt/2008-02-29/"
DC_NS = "http://purl.org/dc/elements/1.1/"
PHOTOSHOP_NS = "http://ns.adobe.com/photoshop/1.0/"

_R, _N, _U = (ReservationState.RESERVED.value, ReservationState.NOT_RESERVED.value,
              ReservationState.UNKNOWN.value)


@dataclass(frozen=True, slots=True)
class DataMiningCode:
    """One PLUS Data Mining code: its label in the IPTC standard, state and scope (module table).

    ``see`` names the companion XMP property ``(namespace, name)`` that qualifies a ``SEE…``
    prohibition, or None."""

    code: str
    label: str
    state: str
    scope: str
    see: tuple[str, str] | None = None


DATA_MINING_CODES: dict[str, DataMiningCode] = {c.code: c for c in (
    DataMiningCode("DMI-UNSPECIFIED", "Unspecified - no prohibition defined", _U, "*"),
    DataMiningCode("DMI-ALLOWED", "Allowed", _N, "*"),
    DataMiningCode("DMI-PROHIBITED-AIMLTRAINING", "Prohibited for AI/ML training", _R, "train-ai"),
    DataMiningCode("DMI-PROHIBITED-GENAIMLTRAINING", "Prohibited for Generative AI/ML training",
                   _R, "train-genai"),
    DataMiningCode("DMI-PROHIBITED-EXCEPTSEARCHENGINEINDEXING",
                   "Prohibited except for search engine indexing", _R,
                   "except-search-engine-indexing"),
    DataMiningCode("DMI-PROHIBITED", "Prohibited", _R, "*"),
    DataMiningCode("DMI-PROHIBITED-SEECONSTRAINT", "Prohibited, see plus:OtherConstraints", _R,
                   "*", (PLUS_NS, "OtherConstraints")),
    DataMiningCode("DMI-PROHIBITED-SEEEMBEDDEDRIGHTSEXPR",
                   "Prohibited, see iptcExt:EmbdEncRightsExpr", _R, "*",
                   (IPTC_EXT_NS, "EmbdEncRightsExpr")),
    DataMiningCode("DMI-PROHIBITED-SEELINKEDRIGHTSEXPR",
                   "Prohibited, see iptcExt:LinkedEncRightsExpr", _R, "*",
                   (IPTC_EXT_NS, "LinkedEncRightsExpr")),
)}
"""The nine PLUS Data Mining codes (IPTC Photo Metadata 2023.1), keyed by code."""

_PREFIXES = ("http://ns.useplus.org/ldf/vocab/", "https://ns.useplus.org/ldf/vocab/",
             "plus:", "PLUS:")


def data_mining_code(value: str) -> DataMiningCode | None:
    """The code a ``plus:DataMining`` value names, with or without the vocabulary URI prefix
    (``http://ns.useplus.org/ldf/vocab/DMI-ALLOWED`` or ``DMI-ALLOWED``, any case); None when it
    is not one of the nine."""
    text = value.strip()
    for prefix in _PREFIXES:
        if text.lower().startswith(prefix.lower()):
            text = text[len(prefix):]
            break
    return DATA_MINING_CODES.get(text.strip().upper())


def _see_texts(doc: XmpDocument, code: DataMiningCode) -> list[str]:
    if code.see is None:
        return []
    texts: list[str] = []
    for value in doc.values(*code.see):
        if value not in texts:
            texts.append(value)
    return texts


def data_mining_signals(documents: XmpReading | Sequence[XmpDocument],
                        evidence: str) -> list[RightsSignal]:
    """``iptc-data-mining`` signals (carrier ``xmp``) from parsed XMP, one per value.

    ``value`` is the code (e.g. ``"DMI-PROHIBITED-AIMLTRAINING"``); for a ``SEE…`` code with its
    companion text present, ``"<code>; <property>: <text>"`` (several texts joined with `` | ``).
    ``plus:OtherConstraints`` present without a ``SEE…`` code adds one more signal (state unknown,
    value ``"plus:OtherConstraints: <text>"``): the text may restrict data mining and needs a human.
    ``evidence`` names the item; the signal's evidence adds the packet's location and raw value.
    """
    docs = documents.documents if isinstance(documents, XmpReading) else tuple(documents)
    signals: list[RightsSignal] = []
    for doc in docs:
        where = f"{evidence}: {doc.packet.where}"
        codes = []
        for raw in doc.values(PLUS_NS, "DataMining"):
            code = data_mining_code(raw)
            if code is None:
                signals.append(RightsSignal(
                    kind=KIND, carrier="xmp", value=f"unrecognised plus:DataMining value {raw!r}",
                    scope="*", state=_U, evidence=f"{where} plus:DataMining={raw}",
                    extractor=EXTRACTOR))
                continue
            codes.append(code)
            value, state = code.code, code.state
            texts = _see_texts(doc, code)
            if texts and code.see is not None:
                prop = ("plus:" if code.see[0] == PLUS_NS else "iptcExt:") + code.see[1]
                value = f"{code.code}; {prop}: {' | '.join(texts)}"
                state = _U
            signals.append(RightsSignal(
                kind=KIND, carrier="xmp", value=value, scope=code.scope, state=state,
                evidence=f"{where} plus:DataMining={raw} ({code.label})", extractor=EXTRACTOR))
        if not any(c.code == "DMI-PROHIBITED-SEECONSTRAINT" for c in codes):
            constraints = doc.values(PLUS_NS, "OtherConstraints")
            if constraints:
                signals.append(RightsSignal(
                    kind=KIND, carrier="xmp",
                    value=f"plus:OtherConstraints: {' | '.join(dict.fromkeys(constraints))}",
                    scope="*", state=_U, evidence=f"{where} plus:OtherConstraints",
                    extractor=EXTRACTOR))
    return signals


def iptc_signals(content: bytes, evidence: str) -> list[RightsSignal]:
    """Read the XMP of a file and return its ``iptc-data-mining`` signals plus an ``unreadable``
    signal per XMP packet that could not be read (malformed, too large, XML bomb)."""
    reading = read_xmp(content)
    return [*xmp_signals(reading, evidence), *data_mining_signals(reading, evidence)]


@dataclass(frozen=True, slots=True)
class IptcRights:
    """Creator and copyright fields of an image, for attribution (not rights signals).

    ``creators``: IPTC Creator (``dc:creator``, in order; else the IIM By-lines 2:80);
    ``copyright_notice``: IPTC Copyright Notice (``dc:rights``, first language alternative; else
    IIM 2:116); ``credit``: ``photoshop:Credit``; ``exif_artist`` / ``exif_copyright``: EXIF
    tags 0x013B / 0x8298. None or () when absent."""

    creators: tuple[str, ...] = ()
    copyright_notice: str | None = None
    credit: str | None = None
    exif_artist: str | None = None
    exif_copyright: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"creators": list(self.creators), "copyright_notice": self.copyright_notice,
                "credit": self.credit, "exif_artist": self.exif_artist,
                "exif_copyright": self.exif_copyright}


@contextmanager
def _opened(content: bytes) -> Iterator[Any]:
    """The image in ``content`` opened by Pillow, its warnings silenced: a corrupt EXIF block
    is warned of on stderr, and a broken file is read here as one without fields."""
    from PIL import Image

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with Image.open(io.BytesIO(content)) as image:
            yield image


def _exif(content: bytes) -> tuple[str | None, str | None]:
    if not content.startswith((b"\xff\xd8\xff", b"II*\x00", b"MM\x00*", b"RIFF", b"\x89PNG")):
        return None, None
    try:
        with _opened(content) as image:
            exif = image.getexif()
            artist, notice = exif.get(0x013B), exif.get(0x8298)
    except Exception:  # a broken image has no readable EXIF; the XMP fields may still exist
        return None, None

    def text(v: Any) -> str | None:
        if isinstance(v, bytes):
            v = v.decode("utf-8", "replace")
        return v.strip("\x00 ") or None if isinstance(v, str) else None

    return text(artist), text(notice)


def _iim_text(value: bytes, utf8: bool) -> str:
    if not utf8:
        try:
            return value.decode("utf-8")  # many writers use UTF-8 without saying so in 1:90
        except UnicodeDecodeError:
            return value.decode("latin-1")
    return value.decode("utf-8", "replace")


def _iim(content: bytes) -> tuple[tuple[str, ...], str | None]:
    """IIM By-lines (2:80) and first Copyright Notice (2:116) of a JPEG or TIFF; ((), None)
    when there are none or the file cannot be read."""
    if not content.startswith((b"\xff\xd8\xff", b"II*\x00", b"MM\x00*")):
        return (), None
    from PIL import IptcImagePlugin

    try:
        with _opened(content) as image:
            info = IptcImagePlugin.getiptcinfo(image) or {}
    except Exception:  # a broken image or IIM block has no readable fields; XMP may still
        return (), None
    utf8 = info.get((1, 90)) == b"\x1b%G"

    def texts(key: tuple[int, int]) -> list[str]:
        value = info.get(key)
        values = value if isinstance(value, list) else [value]
        found = (_iim_text(v, utf8).strip("\x00 ") for v in values if isinstance(v, bytes))
        return [t for t in found if t]

    notices = texts((2, 116))
    return tuple(dict.fromkeys(texts((2, 80)))), notices[0] if notices else None


def iptc_rights(content: bytes, reading: XmpReading | None = None) -> IptcRights:
    """The creator and copyright fields of an image (XMP first, then IPTC IIM; EXIF; both as
    read by Pillow).

    ``reading`` reuses XMP already read from ``content``. Never raises for bad input: unreadable
    parts leave their fields empty.
    """
    reading = reading if reading is not None else read_xmp(content)
    creators = tuple(dict.fromkeys(v for _, v in reading.values(DC_NS, "creator")))
    rights = [v for _, v in reading.values(DC_NS, "rights")]
    credit = [v for _, v in reading.values(PHOTOSHOP_NS, "Credit")]
    artist, notice = _exif(content)
    if not creators or not rights:
        iim_creators, iim_notice = _iim(content)
        creators = creators or iim_creators
        rights = rights or ([iim_notice] if iim_notice else [])
    return IptcRights(creators, rights[0] if rights else None, credit[0] if credit else None,
                      artist, notice)
