"""Image works whose copyright notice fields (EXIF Copyright, XMP dc:rights) hold a bare name or
"All rights reserved", and marks registered without a licence: what they register as and the
verdict a copy gets."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
from PIL import Image
from skimage import data as skdata

from rightsguard.index.sources import SignalsLicenceResolver, works_from
from rightsguard.index.store import Index
from rightsguard.model import Verdict, WorkInput
from rightsguard.screen.api import Screener

MATE = Path("/usr/share/backgrounds/mate/nature")
LOGO = Path(skdata.__file__).parent / "logo.png"


def _xmp(rights: str, licence_url: str | None = None) -> bytes:
    """An XMP packet with dc:rights (IPTC Core "Copyright Notice") and optionally cc:license."""
    cc = f' cc:license="{licence_url}"' if licence_url else ""
    return ('<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF '
            'xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" '
            'xmlns:dc="http://purl.org/dc/elements/1.1/" '
            f'xmlns:cc="http://creativecommons.org/ns#"><rdf:Description rdf:about=""{cc}>'
            f'<dc:rights><rdf:Alt><rdf:li xml:lang="x-default">{rights}</rdf:li></rdf:Alt>'
            '</dc:rights></rdf:Description></rdf:RDF></x:xmpmeta>').encode()


def _mate(name: str, width: int = 640) -> Image.Image:
    """A Debian mate-backgrounds photograph, scaled to ``width`` pixels to keep the test fast."""
    with Image.open(MATE / name) as im:
        return im.convert("RGB").resize((width, im.height * width // im.width))


def _jpeg(image: Image.Image, **kw: object) -> bytes:
    buf = io.BytesIO()
    image.save(buf, "JPEG", quality=92, **kw)  # type: ignore[arg-type]
    return buf.getvalue()


def _query(raw: bytes, out: Path) -> Path:
    """A re-encoded copy at 3/4 size, without the metadata."""
    with Image.open(io.BytesIO(raw)) as im:
        im.convert("RGB").resize((im.width * 3 // 4, im.height * 3 // 4)).save(out, "JPEG",
                                                                               quality=80)
    return out


def test_a_bare_name_in_exif_copyright_is_the_holder() -> None:
    exif = Image.Exif()
    exif[0x8298] = "Getty Images"
    raw = _jpeg(Image.fromarray(skdata.astronaut()), exif=exif)
    assert SignalsLicenceResolver().image_rights(raw) == (["Getty Images"], None)


def test_a_bare_name_in_the_xmp_copyright_notice_is_the_holder() -> None:
    raw = _jpeg(Image.fromarray(skdata.coffee()), xmp=_xmp("(c) Kenji Sato Studio"))
    assert SignalsLicenceResolver().image_rights(raw) == (["Kenji Sato Studio"], None)
    raw = _jpeg(Image.fromarray(skdata.coffee()), xmp=_xmp("Acme Ltd."))
    assert SignalsLicenceResolver().image_rights(raw) == (["Acme Ltd."], None)


def test_all_rights_reserved_without_a_licence_blocks_a_copy(tmp_path: Path) -> None:
    folder = tmp_path / "photos"
    folder.mkdir()
    reserved = _jpeg(_mate("Aqua.jpg"),
                     xmp=_xmp("© 2024 Kenji Sato Studio. All rights reserved."))
    exif = Image.Exif()
    exif[0x8298] = "Acme Ltd., all rights reserved"
    by_exif = _jpeg(_mate("Dune.jpg"), exif=exif)
    # a Creative Commons licence in the same metadata is the specific grant: it wins
    licensed = _jpeg(_mate("Garden.jpg"),
                     xmp=_xmp("Getty Images. All rights reserved.",
                              "https://creativecommons.org/licenses/by-nc/4.0/"))
    for name, raw in (("aqua.jpg", reserved), ("dune.jpg", by_exif), ("garden.jpg", licensed)):
        (folder / name).write_bytes(raw)
    items = list(works_from(folder))
    assert all(isinstance(i, WorkInput) for i in items)
    assert [(i.title, i.holders, i.licence) for i in items if isinstance(i, WorkInput)] == [
        ("photos/aqua.jpg", ("Kenji Sato Studio",), "LicenseRef-All-Rights-Reserved"),
        ("photos/dune.jpg", ("Acme Ltd.",), "LicenseRef-All-Rights-Reserved"),
        ("photos/garden.jpg", ("Getty Images",), "CC-BY-NC-4.0"),
    ]
    idx = Index.open(tmp_path / "idx", create=True)
    assert idx.add(items).added == 3
    screener = Screener(idx)
    expected = {
        "aqua.jpg": "all rights reserved (LicenseRef-All-Rights-Reserved): reproduction not "
                    "allowed in this output",
        "dune.jpg": "all rights reserved (LicenseRef-All-Rights-Reserved): reproduction not "
                    "allowed in this output",
        "garden.jpg": "non-commercial licence (CC-BY-NC-4.0): reproduction not allowed in this "
                      "output",
    }
    for name, reason in expected.items():
        query = _query((folder / name).read_bytes(), tmp_path / f"q-{name}")
        [match] = screener.screen_image_path(query).image_matches
        assert match.work.title == f"photos/{name}"
        assert (match.verdict, match.reason) == (Verdict.BLOCK, reason)
    idx.close()


def test_a_mark_registered_without_a_licence_blocks(tmp_path: Path) -> None:
    """``index add logo.png --mark --holder …`` with no licence: the holder's claim, all
    rights reserved (block), where the same logo registered with BSD-3-Clause is attribute."""
    marks = tmp_path / "marks"
    marks.mkdir()
    (marks / "logo.png").write_bytes(LOGO.read_bytes())
    [item] = list(works_from(marks, holder="scikit-image", mark=True))
    assert isinstance(item, WorkInput)
    assert (item.kind, item.licence) == ("mark", "NOASSERTION")
    idx = Index.open(tmp_path / "idx", create=True)
    assert idx.add([item]).added == 1

    base = Image.fromarray(skdata.astronaut()).convert("RGBA")
    logo = Image.open(LOGO).convert("RGBA")
    width = base.width // 5
    logo = logo.resize((width, logo.height * width // logo.width))
    alpha = np.asarray(logo)[:, :, 3].astype(np.float32) * 0.7
    logo.putalpha(Image.fromarray(alpha.astype(np.uint8)))
    base.alpha_composite(logo, (300, 40))
    out = tmp_path / "with-logo.png"
    base.convert("RGB").save(out)
    marks_found = [m for m in Screener(idx).screen_image_path(out).image_matches
                   if m.kind == "mark"]
    assert [(m.work.holders, m.verdict, m.reason) for m in marks_found] == [
        (("scikit-image",), Verdict.BLOCK,
         "registered mark (logo or watermark) with no licence: all rights reserved, "
         "reproduction not allowed in this output")]
    idx.close()
