"""The learned stages of image screening: copy descriptor and (experimental) style descriptor.

The models are tiny ONNX graphs built here (fixed 8×8 input, global average pooling, a 3×3
matrix): their descriptor is a known linear map of an image's mean normalised colour, so every
cosine is worked out by hand with Pillow and numpy (:func:`copy_by_hand`, :func:`style_by_hand`)
and compared with what screening reports. Such a model calls any two pictures of the same mean
colour a copy — e.g. scikit-image's cat and the Garden photograph — which lets the tests put
real photographs in each band of cosines on purpose; it tests the code path, not a model.
Works: photographs of Debian's mate-backgrounds (GPL-2+: a copy is blocked by default).
"""

from __future__ import annotations

import hashlib
import shutil
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from skimage import data as skdata

from onnx_models import tiny_model
from rightsguard.errors import ConfigError
from rightsguard.fingerprint.image_embed import (
    CLIP_MEAN,
    CLIP_STD,
    HIGH_PRECISION_COSINE,
    IMAGENET_MEAN,
    IMAGENET_STD,
    REPLICATION_COSINE,
    STYLE_REVIEW_COSINE,
)
from rightsguard.index.sources import works_from
from rightsguard.index.store import Index
from rightsguard.model import LicenceCategory, Verdict
from rightsguard.screen.api import Screener
from rightsguard.screen.image_learned import (
    COPY_COSINE,
    SIMILAR_COSINE,
    STYLE_COSINE,
    LearnedModels,
    LearnedStage,
)
from rightsguard.screen.policy import ScreenPolicy

MATE = Path("/usr/share/backgrounds/mate/nature")
WORKS = {"Garden.jpg": "Charles Barbin", "Storm.jpg": "Sergey Nazarov",
         "Aqua.jpg": "Charles Barbin"}  # debian/copyright of mate-backgrounds
W_COPY = np.eye(3, dtype=np.float32)
W_STYLE = np.array([[0.0, 1.0, 0.5], [1.0, 0.0, 0.0], [0.3, 0.0, 1.0]], np.float32)


def _descriptor(small: Image.Image, mean: tuple[float, ...], std: tuple[float, ...],
                w: np.ndarray) -> np.ndarray:
    x = (np.asarray(small, np.float64) / 255.0 - np.array(mean)) / np.array(std)
    v = x.reshape(-1, 3).mean(axis=0) @ w.astype(np.float64)
    return v / np.linalg.norm(v)


def copy_by_hand(path: Path) -> np.ndarray:
    """Copy preprocessing (SSCD's): stretched to 8×8, bilinear, ImageNet mean/std."""
    with Image.open(path) as im:
        small = im.convert("RGB").resize((8, 8), Image.Resampling.BILINEAR)
    return _descriptor(small, IMAGENET_MEAN, IMAGENET_STD, W_COPY)


def style_by_hand(path: Path) -> np.ndarray:
    """Style preprocessing (CSD's): shorter side to 8, bicubic, centre 8×8, CLIP mean/std."""
    with Image.open(path) as im:
        rgb = im.convert("RGB")
        w, h = rgb.size
        size = (8, int(8 * h / w)) if w <= h else (int(8 * w / h), 8)
        rgb = rgb.resize(size, Image.Resampling.BICUBIC)
        left, top = round((size[0] - 8) / 2.0), round((size[1] - 8) / 2.0)
        small = rgb.crop((left, top, left + 8, top + 8))
    return _descriptor(small, CLIP_MEAN, CLIP_STD, W_STYLE)


@pytest.fixture(scope="module")
def setup(tmp_path_factory: pytest.TempPathFactory) -> tuple[Index, Path, Path, Path]:
    root = tmp_path_factory.mktemp("learned")
    (root / "works").mkdir()
    for name in WORKS:
        shutil.copy(MATE / name, root / "works" / name)
    idx = Index.open(root / "idx", create=True)
    for name, holder in WORKS.items():
        idx.add(works_from(root / "works" / name, licence="GPL-2.0-or-later", holder=holder))
    copy = tiny_model(root / "copy.onnx", W_COPY)
    style = tiny_model(root / "style.onnx", W_STYLE)
    return idx, root, copy, style


def _png(tmp_path: Path, name: str, pixels: np.ndarray) -> Path:
    path = tmp_path / f"{name}.png"
    Image.fromarray(np.asarray(pixels)).save(path)
    return path


def test_thresholds_are_the_published_ones() -> None:
    assert (COPY_COSINE, SIMILAR_COSINE) == (HIGH_PRECISION_COSINE, REPLICATION_COSINE) == \
        (0.75, 0.5)  # Pizzi et al. 2022 (SSCD README); Somepalli et al. 2023
    assert STYLE_COSINE == STYLE_REVIEW_COSINE
    assert LearnedModels().any() is False
    assert LearnedModels(style=Path("s.onnx")).any() is True


def test_descriptor_reports_a_copy_the_cascade_cannot_confirm(setup: tuple,
                                                              tmp_path: Path) -> None:
    idx, _root, copy, _style = setup
    cat = _png(tmp_path, "chelsea", skdata.chelsea())  # 451 x 300
    assert Screener(idx).screen_image_path(cat).image_matches == ()  # classical: nothing
    expected = {n: float(copy_by_hand(cat) @ copy_by_hand(MATE / n)) for n in WORKS}
    assert expected["Garden.jpg"] > 0.75 > 0.5 > max(expected["Storm.jpg"], expected["Aqua.jpg"])
    result = Screener(idx, image_models=LearnedModels(descriptor=copy)).screen_image_path(cat)
    (match,) = result.image_matches
    assert match.work.title == "Garden.jpg" and match.work.holders == ("Charles Barbin",)
    assert (match.kind, match.matcher) == ("copy", "descriptor")
    assert dict(match.scores)["descriptor_cosine"] == pytest.approx(expected["Garden.jpg"],
                                                                    abs=1e-5)
    assert match.verdict is Verdict.BLOCK and result.verdict is Verdict.BLOCK  # GPL: by policy
    assert "copyleft licence GPL-2.0-or-later" in match.reason
    assert "> 0.75" in match.reason and "Pizzi et al. 2022" in match.reason
    with Image.open(MATE / "Garden.jpg") as im:
        gw, gh = im.size
    assert match.output_polygon == ((0.0, 0.0), (451.0, 0.0), (451.0, 300.0), (0.0, 300.0))
    assert match.work_polygon == ((0.0, 0.0), (gw, 0.0), (gw, gh), (0.0, gh))
    assert (match.output_coverage, match.work_coverage) == (1.0, 1.0)
    as_json = match.to_dict()
    assert as_json["scores"] == {"descriptor_cosine": round(expected["Garden.jpg"], 4)}


def test_a_copy_the_cascade_found_is_not_repeated(setup: tuple, tmp_path: Path) -> None:
    idx, _root, copy, _style = setup
    with Image.open(MATE / "Storm.jpg") as im:
        query = _png(tmp_path, "storm", np.asarray(im.convert("RGB").resize((640, 400))))
    assert float(copy_by_hand(query) @ copy_by_hand(MATE / "Storm.jpg")) > 0.99
    result = Screener(idx, image_models=LearnedModels(descriptor=copy)).screen_image_path(query)
    assert [(m.work.title, m.kind) for m in result.image_matches] == [("Storm.jpg",
                                                                       "copy")]
    assert result.image_matches[0].matcher != "descriptor"  # the classical cascade's match
    assert "descriptor_cosine" not in dict(result.image_matches[0].scores)


def test_between_replication_and_high_precision_is_similar_for_review(setup: tuple,
                                                                      tmp_path: Path) -> None:
    idx, _root, copy, _style = setup
    query = MATE / "RainDrops.jpg"  # an unregistered photograph of the same package
    expected = {n: float(copy_by_hand(query) @ copy_by_hand(MATE / n)) for n in WORKS}
    assert 0.5 < expected["Storm.jpg"] <= 0.75  # 0.533 by hand
    assert max(expected["Garden.jpg"], expected["Aqua.jpg"]) < 0.5
    result = Screener(idx, image_models=LearnedModels(descriptor=copy)).screen_image_path(query)
    (match,) = result.image_matches
    assert (match.work.title, match.kind, match.matcher) == ("Storm.jpg", "similar",
                                                             "descriptor")
    assert dict(match.scores)["descriptor_cosine"] == pytest.approx(expected["Storm.jpg"],
                                                                    abs=1e-5)
    assert match.verdict is Verdict.REVIEW and result.verdict is Verdict.REVIEW
    assert "Somepalli et al. 2023" in match.reason and "0.5" in match.reason
    assert match.output_polygon == match.work_polygon == ()
    # a policy that allows even copies of copyleft works needs no review of a likeness
    allow = ScreenPolicy(overrides=((LicenceCategory.COPYLEFT, Verdict.CLEAN),))
    (lenient,) = Screener(idx, allow, image_models=LearnedModels(descriptor=copy)
                          ).screen_image_path(query).image_matches
    assert (lenient.kind, lenient.verdict) == ("similar", Verdict.CLEAN)
    # thresholds are the caller's to set: at 0.55 the same pair is not reported
    assert Screener(idx, image_models=LearnedModels(descriptor=copy, similar_cosine=0.55)
                    ).screen_image_path(query).image_matches == ()


def test_an_unrelated_photograph_is_clean(setup: tuple) -> None:
    idx, _root, copy, _style = setup
    query = MATE / "GreenMeadow.jpg"
    assert max(float(copy_by_hand(query) @ copy_by_hand(MATE / n)) for n in WORKS) < 0.5
    result = Screener(idx, image_models=LearnedModels(descriptor=copy)).screen_image_path(query)
    assert result.image_matches == () and result.verdict is Verdict.CLEAN


def test_style_likeness_never_blocks(setup: tuple, tmp_path: Path) -> None:
    idx, _root, _copy, style = setup
    query = _png(tmp_path, "coffee", skdata.coffee())  # 600 x 400
    expected = {n: float(style_by_hand(query) @ style_by_hand(MATE / n)) for n in WORKS}
    threshold = 0.6
    above = sorted((n for n in WORKS if expected[n] > threshold), key=lambda n: -expected[n])
    assert above == ["Garden.jpg"] and expected["Aqua.jpg"] < threshold  # worked out by hand
    models = LearnedModels(style=style, style_cosine=threshold)
    result = Screener(idx, image_models=models).screen_image_path(query)
    assert [m.work.title for m in result.image_matches] == [n for n in above]
    match = result.image_matches[0]
    assert (match.kind, match.matcher) == ("style", "style-descriptor")
    assert dict(match.scores)["style_cosine"] == pytest.approx(expected["Garden.jpg"], abs=1e-5)
    # the licence would block a copy; a style likeness only asks for a review
    assert match.verdict is Verdict.REVIEW and result.verdict is Verdict.REVIEW
    assert "Agency for Cultural Affairs" in match.reason and "never blocks" in match.reason
    assert match.output_polygon == ()
    # above a threshold of -1 every work qualifies: top=2 keeps the two best by cosine (the
    # result lists matches by verdict, kind and work id, so compare as sets)
    everything = Screener(idx, image_models=LearnedModels(style=style, style_cosine=-1.0, top=2)
                          ).screen_image_path(query).image_matches
    ranked = sorted(WORKS, key=lambda n: -expected[n])[:2]
    assert {m.work.title: dict(m.scores)["style_cosine"] for m in everything} == \
        pytest.approx({n: expected[n] for n in ranked}, abs=1e-5)
    assert all(m.verdict is Verdict.REVIEW for m in everything)


def test_style_skips_works_the_copy_stage_reported(setup: tuple, tmp_path: Path) -> None:
    idx, _root, copy, style = setup
    cat = _png(tmp_path, "chelsea", skdata.chelsea())
    assert float(style_by_hand(cat) @ style_by_hand(MATE / "Garden.jpg")) > -1.0
    matches = Screener(idx, image_models=LearnedModels(
        descriptor=copy, style=style, style_cosine=-1.0)).screen_image_path(cat).image_matches
    kinds = {(m.work.title, m.kind) for m in matches}
    assert ("Garden.jpg", "copy") in kinds and ("Garden.jpg", "style") not in kinds
    assert {t for t, k in kinds if k == "style"} == {"Storm.jpg", "Aqua.jpg"}


def test_removed_works_are_not_reported(tmp_path: Path) -> None:
    (tmp_path / "works").mkdir()
    shutil.copy(MATE / "Garden.jpg", tmp_path / "works" / "Garden.jpg")
    idx = Index.open(tmp_path / "idx", create=True)
    idx.add(works_from(tmp_path / "works", licence="GPL-2.0-or-later", holder="Charles Barbin"))
    models = LearnedModels(descriptor=tiny_model(tmp_path / "copy.onnx", W_COPY))
    cat = _png(tmp_path, "chelsea", skdata.chelsea())
    screener = Screener(idx, image_models=models)
    assert [m.kind for m in screener.screen_image_path(cat).image_matches] == ["copy"]
    assert idx.remove(str(tmp_path / "works" / "Garden.jpg")) == 1
    assert screener.screen_image_path(cat).image_matches == ()  # the same warm screener
    work_id = hashlib.sha256((MATE / "Garden.jpg").read_bytes()).hexdigest()
    assert idx.registry.doc_of(work_id) is not None  # tombstoned, not purged


def test_bad_model_files_are_named_together(setup: tuple, tmp_path: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    idx, _root, _copy, _style = setup
    junk = tmp_path / "junk.onnx"
    junk.write_bytes(b"not a model")
    stage = LearnedStage(idx, LearnedModels(descriptor=tmp_path / "missing.onnx", style=junk))
    with pytest.raises(ConfigError) as err:
        stage.load()
    message = str(err.value)
    assert f"copy model: descriptor model {tmp_path / 'missing.onnx'}: file not found" in message
    assert f"style model: descriptor model {junk}: not an ONNX model" in message
    monkeypatch.setitem(sys.modules, "onnxruntime", None)  # as if the extra were not installed
    with pytest.raises(ConfigError, match=r"rightsguard\[onnx\]"):
        LearnedStage(idx, LearnedModels(descriptor=junk)).load()


def test_models_out_of_range_are_refused_with_every_problem() -> None:
    with pytest.raises(ConfigError) as err:
        LearnedModels(copy_cosine=1.5, style_cosine=float("nan"), top=0,
                      descriptor_input_size=-3)
    message = str(err.value)
    for part in ("copy_cosine 1.5", "style_cosine nan", "top 0", "descriptor_input_size -3"):
        assert part in message
    with pytest.raises(ConfigError, match=r"similar_cosine 0\.8 is above copy_cosine 0\.75"):
        LearnedModels(similar_cosine=0.8)
