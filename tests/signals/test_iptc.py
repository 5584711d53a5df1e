"""Tests for rightsguard.signals.iptc: the nine PLUS Data Mining codes (IPTC Photo Metadata
2023.1), Other Constraints, and the creator/copyright fields."""

from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image
from test_xmp import jpeg_with_xmp, png_with_xmp, xmp_packet

from rightsguard.model import RightsSignal
from rightsguard.signals import iptc
from rightsguard.signals.xmp import read_xmp

DATA = Path(__file__).parent / "data" / "media"
VOCAB = "http://ns.useplus.org/ldf/vocab/"

# code, expected state, expected scope — from the IPTC labels (rights-signals.md §5a), by hand
NINE = [
    ("DMI-UNSPECIFIED", "unknown", "*"),
    ("DMI-ALLOWED", "not-reserved", "*"),
    ("DMI-PROHIBITED-AIMLTRAINING", "reserved", "train-ai"),
    ("DMI-PROHIBITED-GENAIMLTRAINING", "reserved", "train-genai"),
    ("DMI-PROHIBITED-EXCEPTSEARCHENGINEINDEXING", "reserved", "except-search-engine-indexing"),
    ("DMI-PROHIBITED", "reserved", "*"),
    ("DMI-PROHIBITED-SEECONSTRAINT", "reserved", "*"),
    ("DMI-PROHIBITED-SEEEMBEDDEDRIGHTSEXPR", "reserved", "*"),
    ("DMI-PROHIBITED-SEELINKEDRIGHTSEXPR", "reserved", "*"),
]


def test_there_are_nine_codes() -> None:
    assert sorted(iptc.DATA_MINING_CODES) == sorted(code for code, _, _ in NINE)


@pytest.mark.parametrize(("code", "state", "scope"), NINE)
@pytest.mark.parametrize("form", ["uri-resource", "uri-text", "bare-code", "bare-attribute"])
def test_nine_codes_with_and_without_the_vocabulary_prefix(
        code: str, state: str, scope: str, form: str) -> None:
    if form == "uri-resource":
        packet = xmp_packet(f'   <plus:DataMining rdf:resource="{VOCAB}{code}"/>')
    elif form == "uri-text":
        packet = xmp_packet(f"   <plus:DataMining>{VOCAB}{code}</plus:DataMining>")
    elif form == "bare-code":
        packet = xmp_packet(f"   <plus:DataMining>{code}</plus:DataMining>")
    else:
        packet = xmp_packet("", attrs=f'plus:DataMining="{code}"')
    signals = iptc.iptc_signals(jpeg_with_xmp(packet), "img/cat.jpg")
    raw = f"{VOCAB}{code}" if form.startswith("uri") else code
    assert signals == [RightsSignal(
        kind="iptc-data-mining", carrier="xmp", value=code, scope=scope, state=state,
        evidence=f"img/cat.jpg: XMP packet (jpeg-app1) plus:DataMining={raw} "
                 f"({iptc.DATA_MINING_CODES[code].label})",
        extractor="rightsguard.signals.iptc")]


@pytest.mark.parametrize("value", ["dmi-prohibited-aimltraining", " DMI-PROHIBITED-AIMLTRAINING ",
                                   "HTTP://NS.USEPLUS.ORG/LDF/VOCAB/DMI-PROHIBITED-AIMLTRAINING"])
def test_codes_are_case_insensitive(value: str) -> None:
    code = iptc.data_mining_code(value)
    assert code is not None and code.code == "DMI-PROHIBITED-AIMLTRAINING"


def test_unrecognised_value_is_unknown() -> None:
    packet = xmp_packet("   <plus:DataMining>DMI-MAYBE</plus:DataMining>")
    [signal] = iptc.iptc_signals(jpeg_with_xmp(packet), "a.jpg")
    assert (signal.value, signal.state) == ("unrecognised plus:DataMining value 'DMI-MAYBE'",
                                            "unknown")


def test_see_constraint_with_other_constraints_is_review_with_the_text() -> None:
    packet = (DATA / "iptc_see_constraint.xmp").read_bytes()
    [signal, *rest] = iptc.iptc_signals(png_with_xmp(packet, compressed=True), "b.png")
    assert rest == []  # the constraint text is in the code's signal, not repeated
    assert signal.state == "unknown"
    assert signal.value == (
        "DMI-PROHIBITED-SEECONSTRAINT; plus:OtherConstraints: Text and data mining allowed for "
        "research only; licence via rights@example.org")
    assert signal.scope == "*"


def test_see_embedded_rights_expression_with_the_expression_present() -> None:
    packet = xmp_packet(
        "   <plus:DataMining>DMI-PROHIBITED-SEEEMBEDDEDRIGHTSEXPR</plus:DataMining>\n"
        "   <iptcExt:EmbdEncRightsExpr>odrl-policy-here</iptcExt:EmbdEncRightsExpr>")
    [signal] = iptc.iptc_signals(jpeg_with_xmp(packet), "c.jpg")
    assert (signal.value, signal.state) == (
        "DMI-PROHIBITED-SEEEMBEDDEDRIGHTSEXPR; iptcExt:EmbdEncRightsExpr: odrl-policy-here",
        "unknown")


def test_other_constraints_alone_need_review() -> None:
    packet = xmp_packet(
        "   <plus:DataMining>DMI-ALLOWED</plus:DataMining>\n"
        '   <plus:OtherConstraints><rdf:Alt><rdf:li xml:lang="x-default">No AI training'
        "</rdf:li></rdf:Alt></plus:OtherConstraints>")
    allowed, constraints = iptc.iptc_signals(jpeg_with_xmp(packet), "d.jpg")
    assert (allowed.value, allowed.state) == ("DMI-ALLOWED", "not-reserved")
    assert (constraints.value, constraints.state, constraints.kind) == (
        "plus:OtherConstraints: No AI training", "unknown", "iptc-data-mining")
    assert constraints.evidence == "d.jpg: XMP packet (jpeg-app1) plus:OtherConstraints"


def test_no_xmp_no_signal_and_a_bomb_is_unreadable() -> None:
    assert iptc.iptc_signals(jpeg_with_xmp(xmp_packet("")), "e.jpg") == []
    bomb = jpeg_with_xmp((DATA / "billion_laughs.xmp").read_bytes())
    [signal] = iptc.iptc_signals(bomb, "f.jpg")
    assert (signal.kind, signal.state) == ("unreadable", "unknown")


def test_creator_and_copyright_fields_from_xmp_and_exif() -> None:
    exif = Image.Exif()
    exif[0x013B] = "Jane Doe (EXIF)"
    exif[0x8298] = "Copyright 2025 Jane Doe"
    content = jpeg_with_xmp((DATA / "iptc_see_constraint.xmp").read_bytes(), exif=exif)
    rights = iptc.iptc_rights(content)
    assert rights == iptc.IptcRights(
        creators=("Jane Doe", "John Roe"),
        copyright_notice="© 2025 Jane Doe. All rights reserved.",
        credit="Example Picture Agency",
        exif_artist="Jane Doe (EXIF)",
        exif_copyright="Copyright 2025 Jane Doe",
    )
    assert rights.to_dict()["creators"] == ["Jane Doe", "John Roe"]
    assert iptc.iptc_rights(content, read_xmp(content)) == rights


def test_creator_fields_of_a_broken_file_are_empty() -> None:
    assert iptc.iptc_rights(b"\xff\xd8\xff\xe0 broken") == iptc.IptcRights()
