"""Rights of image works from embedded metadata, registered through works_from + Index.add and
seen through screening: XML bombs in XMP (issue #4 part 9) and C2PA / IPTC Data Mining (part 1).
"""

from __future__ import annotations

import importlib.util
import io
from pathlib import Path
from types import ModuleType
from typing import Any

from PIL import Image, PngImagePlugin
from skimage import data as skdata

from rightsguard.index.sources import works_from
from rightsguard.index.store import Index
from rightsguard.model import Verdict, WorkInput
from rightsguard.screen.api import Screener
from rightsguard.signals import licences
from rightsguard.signals.xmp import read_xmp

_RDF = (b'<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" '
        b'xmlns:dc="http://purl.org/dc/elements/1.1/">'
        b'<rdf:Description rdf:about=""><dc:creator><rdf:Seq><rdf:li>&x;</rdf:li></rdf:Seq>'
        b'</dc:creator></rdf:Description></rdf:RDF>')


def _bomb(dtd: bytes) -> bytes:
    """An XMP packet whose dc:creator is entity ``x``, defined by ``dtd``."""
    return (b'<?xpacket begin="" id="W5M0MpCehiHzreSzNTczkc9d"?>\n<!DOCTYPE x:xmpmeta [' + dtd
            + b']>\n<x:xmpmeta xmlns:x="adobe:ns:meta/">' + _RDF
            + b'</x:xmpmeta>\n<?xpacket end="w"?>')


BILLION_LAUGHS = _bomb(b'<!ENTITY a "lol">' + b"".join(
    b'<!ENTITY %c "&%c;&%c;&%c;&%c;&%c;&%c;&%c;&%c;&%c;&%c;">' % ((ord("a") + i + 1,)
                                                                   + (ord("a") + i,) * 10)
    for i in range(9)) + b'<!ENTITY x "&j;">')  # 10^9 "lol"s
QUADRATIC = _bomb(b'<!ENTITY y "' + b"A" * 10_000 + b'"><!ENTITY x "' + b"&y;" * 5_000
                  + b'">')  # 50 MB from 25 kB (a JPEG APP1 segment holds at most 64 kB)
EXTERNAL = _bomb(b'<!ENTITY x SYSTEM "file:///etc/passwd">')

GOOD_XMP = (b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF '
            b'xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" '
            b'xmlns:dc="http://purl.org/dc/elements/1.1/" '
            b'xmlns:cc="http://creativecommons.org/ns#"><rdf:Description rdf:about="" '
            b'cc:license="https://creativecommons.org/licenses/by/4.0/">'
            b'<dc:rights><rdf:Alt><rdf:li xml:lang="x-default">Copyright 2024 Good Photo Agency'
            b'</rdf:li></rdf:Alt></dc:rights></rdf:Description></rdf:RDF></x:xmpmeta>')


def _jpeg(rgb: object, xmp: bytes) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(rgb).save(buf, "JPEG", quality=92, xmp=xmp)  # type: ignore[arg-type]
    return buf.getvalue()


def _png(rgb: object, xmp: bytes) -> bytes:
    info = PngImagePlugin.PngInfo()
    info.add_itxt("XML:com.adobe.xmp", xmp.decode("utf-8"))
    buf = io.BytesIO()
    Image.fromarray(rgb).save(buf, "PNG", pnginfo=info)  # type: ignore[arg-type]
    return buf.getvalue()


def _query(path: Path, out: Path) -> Path:
    with Image.open(path) as im:
        im.convert("RGB").resize((im.width * 3 // 4, im.height * 3 // 4)).save(out, "JPEG",
                                                                               quality=80)
    return out


def test_xml_bombs_in_xmp_register_the_pixels_as_unknown_rights(tmp_path: Path) -> None:
    """Rule 6 (bad input loses nothing; rights that cannot be determined mean review): an image
    whose XMP is an XML bomb is registered — its pixels stay protected — with the licence the
    file states about itself unknown (NOASSERTION, not the folder's MIT) and the problem
    recorded on the work; the good image beside it gets its own metadata."""
    folder = tmp_path / "works"
    folder.mkdir()
    mit = licences.licence_text("MIT")
    (folder / "LICENSE").write_text("MIT License\n\nCopyright (c) 2024 Folder Owner\n\n" + mit,
                                    "utf-8")
    bad = {"laughs.jpg": _jpeg(skdata.astronaut(), BILLION_LAUGHS),
           "quadratic.jpg": _jpeg(skdata.chelsea(), QUADRATIC),
           "external.png": _png(skdata.rocket(), EXTERNAL)}
    for name, raw in bad.items():
        (folder / name).write_bytes(raw)
        reading = read_xmp(raw)  # refused before expansion: nothing parsed
        assert reading.documents == ()
        assert len(reading.problems) == 1 and "DTDForbidden" in reading.problems[0]
    (folder / "good.jpg").write_bytes(_jpeg(skdata.coffee(), GOOD_XMP))

    items = list(works_from(folder))
    assert all(isinstance(i, WorkInput) for i in items)
    idx = Index.open(tmp_path / "idx", create=True)
    summary = idx.add(items)
    assert (summary.added, summary.images, summary.skipped) == (4, 4, [])

    screener = Screener(idx)
    for name, container in (("laughs.jpg", "jpeg-app1"), ("quadratic.jpg", "jpeg-app1"),
                            ("external.png", "png-itxt")):
        result = screener.screen_image_path(_query(folder / name, tmp_path / f"q-{name}.jpg"))
        [match] = result.image_matches
        work = match.to_dict()["work"]
        assert work["title"] == f"works/{name}"
        assert work["licence"] == "NOASSERTION"  # without the problem it would be the folder's MIT
        assert work["holders"] == ["Folder Owner"]
        assert work["identifiers"]["xmp:unreadable"].startswith(
            f"XMP packet ({container}): refused unsafe XML (DTDForbidden")
        assert match.verdict is Verdict.REVIEW

    good_query = _query(folder / "good.jpg", tmp_path / "q-good.jpg")
    [good] = screener.screen_image_path(good_query).image_matches
    assert (good.work.title, good.work.licence, good.work.holders, good.work.identifiers) == \
        ("works/good.jpg", "CC-BY-4.0", ("Good Photo Agency",), ())
    assert good.verdict is Verdict.ATTRIBUTE

    # the index is intact: opened again, it screens the same
    idx.close()
    again = Index.open(tmp_path / "idx")
    assert again.info()["images"]["works"] == 4
    [good_again] = Screener(again).screen_image_path(good_query).image_matches
    assert good_again.work.work_id == good.work.work_id
    again.close()


def test_licence_override_still_applies_to_an_image_with_an_xml_bomb(tmp_path: Path) -> None:
    """A licence given by the person registering is stated, not read: it stands."""
    path = tmp_path / "laughs.jpg"
    path.write_bytes(_jpeg(skdata.astronaut(), BILLION_LAUGHS))
    [item] = list(works_from(path, licence="GPL-2.0-or-later"))
    assert isinstance(item, WorkInput)
    assert item.licence == "GPL-2.0-or-later"
    assert dict(item.identifiers)["xmp:unreadable"].startswith(
        "XMP packet (jpeg-app1): refused unsafe XML (DTDForbidden")


def _signing() -> ModuleType:
    """tests/signals/test_c2pa.py, for its test certificate chain (make_chain)."""
    path = Path(__file__).parents[1] / "signals" / "test_c2pa.py"
    spec = importlib.util.spec_from_file_location("rightsguard_tests_c2pa_signing", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _signed_jpeg(rgb: object, xmp: bytes, assertions: list[dict[str, Any]]) -> bytes:
    """A JPEG (with ``xmp`` in APP1) signed offline with a C2PA manifest of ``assertions`` (after
    the ``c2pa.created`` action C2PA 2.x requires), by the test chain of tests/signals."""
    import c2pa

    from rightsguard.signals.c2pa import READER_SETTINGS

    chain, private = _signing().make_chain()
    manifest = {"claim_generator_info": [{"name": "rightsguard-tests", "version": "1"}],
                "title": "work.jpg",
                "assertions": [{"label": "c2pa.actions", "data": {"actions": [{
                    "action": "c2pa.created", "digitalSourceType":
                    "http://cv.iptc.org/newscodes/digitalsourcetype/digitalCapture"}]}},
                    *assertions]}
    context = c2pa.Context.from_dict({"builder": {"thumbnail": {"enabled": False}},
                                      **READER_SETTINGS})
    signer = c2pa.Signer.from_info(
        c2pa.C2paSignerInfo(c2pa.C2paSigningAlg.ES256, chain, private, None))
    out = io.BytesIO()
    with c2pa.Builder(manifest, context=context) as builder:
        builder.sign(signer, "image/jpeg", io.BytesIO(_jpeg(rgb, xmp)), out)
    return out.getvalue()


def _xmp(description: bytes) -> bytes:
    return (b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF '
            b'xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" '
            b'xmlns:dc="http://purl.org/dc/elements/1.1/" '
            b'xmlns:plus="http://ns.useplus.org/ldf/xmp/1.0/">' + description
            + b'</rdf:RDF></x:xmpmeta>')


def _creative_work(**fields: object) -> dict[str, Any]:
    return {"label": "stds.schema-org.CreativeWork", "kind": "Json",
            "data": {"@context": "https://schema.org", "@type": "CreativeWork", **fields}}


def test_c2pa_and_data_mining_are_rights_of_image_works(tmp_path: Path) -> None:
    folder = tmp_path / "works"
    folder.mkdir()
    # 1. no IPTC/EXIF holder: C2PA CreativeWork copyrightHolder, then author; CAWG 1.1 entries;
    #    plus:DataMining as a bare code (expanded to its PLUS vocabulary URI)
    (folder / "coffee.jpg").write_bytes(_signed_jpeg(
        skdata.coffee(),
        _xmp(b'<rdf:Description rdf:about="" plus:DataMining="DMI-PROHIBITED-AIMLTRAINING"/>'),
        [_creative_work(author=[{"@type": "Person", "name": "Ann Author"}],
                        copyrightHolder={"@type": "Organization", "name": "Example Agency"}),
         {"label": "cawg.training-mining", "data": {"entries": {
             "cawg.ai_training": {"use": "notAllowed"},
             "cawg.ai_generative_training": {"use": "constrained",
                                             "constraint_info": "https://example.com/licensing"},
             "cawg.data_mining": {"use": "allowed"}}}}]))
    # 2. C2PA author only, C2PA 1.x label, PLUS URI value
    (folder / "rocket.jpg").write_bytes(_signed_jpeg(
        skdata.rocket(),
        _xmp(b'<rdf:Description rdf:about=""><plus:DataMining>'
             b'http://ns.useplus.org/ldf/vocab/DMI-PROHIBITED-GENAIMLTRAINING</plus:DataMining>'
             b'</rdf:Description>'),
        [_creative_work(author=[{"@type": "Person", "name": "Rob Rocket"},
                                {"@type": "Person", "name": "Sue Stage"}]),
         {"label": "c2pa.training-mining", "data": {"entries": {
             "c2pa.ai_generative_training": {"use": "notAllowed"}}}}]))
    # 3. an IPTC Creator wins over the C2PA author (a signed manifest can be signed by anyone)
    (folder / "chelsea.jpg").write_bytes(_signed_jpeg(
        skdata.chelsea(),
        _xmp(b'<rdf:Description rdf:about=""><dc:creator><rdf:Seq><rdf:li>Iris Iptc</rdf:li>'
             b'</rdf:Seq></dc:creator></rdf:Description>'),
        [_creative_work(author={"@type": "Person", "name": "Carl Claim"})]))

    idx = Index.open(tmp_path / "idx", create=True)
    summary = idx.add(works_from(folder, licence="LicenseRef-Proprietary"))
    assert (summary.added, summary.skipped) == (3, [])
    screener = Screener(idx)
    expected = {
        "coffee.jpg": (["Example Agency"], {
            "plus:DataMining": "http://ns.useplus.org/ldf/vocab/DMI-PROHIBITED-AIMLTRAINING",
            "c2pa:training": "cawg.ai_generative_training=constrained; "
                             "cawg.ai_training=notAllowed; cawg.data_mining=allowed"}),
        "rocket.jpg": (["Rob Rocket", "Sue Stage"], {
            "plus:DataMining":
                "http://ns.useplus.org/ldf/vocab/DMI-PROHIBITED-GENAIMLTRAINING",
            "c2pa:training": "c2pa.ai_generative_training=notAllowed"}),
        "chelsea.jpg": (["Iris Iptc"], {}),
    }
    for name, (holders, identifiers) in expected.items():
        [match] = screener.screen_image_path(
            _query(folder / name, tmp_path / f"q-{name}")).image_matches
        work = match.to_dict()["work"]  # as check's JSON shows it
        assert (work["title"], work["holders"], work["identifiers"]) == \
            (f"works/{name}", holders, identifiers)
    # look-ups show them too
    [top] = screener.similar_images(_query(folder / "rocket.jpg", tmp_path / "q.png"), top=1)
    assert dict(top.work.identifiers)["c2pa:training"] == "c2pa.ai_generative_training=notAllowed"
    idx.close()
