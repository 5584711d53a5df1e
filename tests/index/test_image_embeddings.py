"""Learned descriptors of registered image works, cached under the index folder (issue #4 part 4).

The model is a tiny ONNX graph built here: a fixed 8×8 input, global average pooling, then the
3×3 matrix ``W``. Its descriptor of an image is ``normalise(mean of the normalised 8×8 image @
W)``; :func:`by_hand` computes it with Pillow and numpy only, from the photograph's file, so the
cached vectors and cosines are checked against values computed independently of rightsguard.
Works are photographs of Debian's mate-backgrounds (GPL-2+, authors from its copyright file).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from skimage import data as skdata

from onnx_models import tiny_model
from rightsguard.fingerprint.image_embed import IMAGENET_MEAN, IMAGENET_STD, OnnxDescriptor
from rightsguard.index.image_embeddings import EMBED_FORMAT, EmbeddingStore, embed_folder
from rightsguard.index.sources import works_from
from rightsguard.index.store import Index

MATE = Path("/usr/share/backgrounds/mate/nature")
W = np.array([[1.0, 0.2, 0.0], [0.0, 1.0, -0.3], [0.1, 0.0, 1.0]], np.float32)
AUTHORS = {"Garden.jpg": "Charles Barbin", "Storm.jpg": "Sergey Nazarov",
           "Aqua.jpg": "Charles Barbin"}


def by_hand(path: Path, w: np.ndarray = W) -> np.ndarray:
    """The tiny model's descriptor of an image file: stretched to 8×8 (Pillow, bilinear),
    ImageNet-normalised, averaged, times ``w``, L2-normalised; float64."""
    with Image.open(path) as im:
        small = np.asarray(im.convert("RGB").resize((8, 8), Image.Resampling.BILINEAR),
                           np.float64)
    x = (small / 255.0 - np.array(IMAGENET_MEAN)) / np.array(IMAGENET_STD)
    v = x.reshape(-1, 3).mean(axis=0) @ w.astype(np.float64)
    return v / np.linalg.norm(v)


def _register(idx: Index, folder: Path, names: list[str]) -> None:
    for name in names:
        shutil.copy(MATE / name, folder / name)
        summary = idx.add(works_from(folder / name, licence="GPL-2.0-or-later",
                                     holder=AUTHORS[name]))
        assert summary.images == 1


@pytest.fixture
def setup(tmp_path: Path) -> tuple[Index, Path, OnnxDescriptor]:
    works = tmp_path / "works"
    works.mkdir()
    idx = Index.open(tmp_path / "idx", create=True)
    _register(idx, works, ["Garden.jpg", "Storm.jpg"])
    logo = tmp_path / "marks" / "logo.png"
    logo.parent.mkdir()
    shutil.copy(Path(skdata.__file__).parent / "logo.png", logo)
    idx.add(works_from(logo.parent, holder="scikit-image", licence="BSD-3-Clause", mark=True))
    model = OnnxDescriptor.load(tiny_model(tmp_path / "tiny.onnx", W), kind="copy")
    return idx, works, model


def _doc(idx: Index, name: str, works: Path) -> int:
    import hashlib

    doc = idx.registry.doc_of(hashlib.sha256((works / name).read_bytes()).hexdigest())
    assert doc is not None
    return doc


def test_descriptors_of_works_are_computed_from_the_stored_files(setup: tuple) -> None:
    idx, works, model = setup
    store = EmbeddingStore(idx.path, idx.registry, model)
    assert store.refresh() == 2  # Garden and Storm; the mark gets no descriptor
    garden, storm = _doc(idx, "Garden.jpg", works), _doc(idx, "Storm.jpg", works)
    assert store.docs.tolist() == [garden, storm]
    assert store.last_doc == max(idx.registry.image_docs())  # the mark was looked at
    np.testing.assert_allclose(store.vectors[0], by_hand(MATE / "Garden.jpg"), atol=1e-5)
    np.testing.assert_allclose(store.vectors[1], by_hand(MATE / "Storm.jpg"), atol=1e-5)
    # cached under the index folder, per kind and model id
    folder = idx.path / "images" / "embed" / f"copy-{model.model_id}"
    assert embed_folder(idx.path, model) == folder == store.folder
    manifest = json.loads((folder / "manifest.json").read_text("utf-8"))
    assert manifest["format"] == EMBED_FORMAT and manifest["rows"] == 2
    assert manifest["model"] == model.settings() and manifest["skipped"] == []
    (data,) = manifest["files"]
    assert (folder / data).stat().st_size == 2 * (8 + 4 * 3)
    assert sorted(p.name for p in folder.iterdir()) == sorted([data, "manifest.json"])


def test_the_cache_is_reused_and_caught_up(setup: tuple, tmp_path: Path) -> None:
    idx, works, model = setup
    assert EmbeddingStore(idx.path, idx.registry, model).refresh() == 2
    again = EmbeddingStore(idx.path, idx.registry, model)
    assert again.refresh() == 0 and len(again) == 2  # read from disk, nothing embedded
    _register(idx, works, ["Aqua.jpg"])
    assert again.refresh(generation=None) == 1
    aqua = _doc(idx, "Aqua.jpg", works)
    assert again.docs.tolist()[-1] == aqua
    np.testing.assert_allclose(again.vectors[-1], by_hand(MATE / "Aqua.jpg"), atol=1e-5)
    # a generation already caught up with asks nothing of the registry
    gen = idx.registry.generation()
    assert again.refresh(gen) == 0 and again.refresh(gen) == 0
    third = EmbeddingStore(idx.path, idx.registry, model)
    assert third.refresh() == 0 and third.docs.tolist() == again.docs.tolist()


def test_a_damaged_or_foreign_cache_is_rebuilt(setup: tuple, tmp_path: Path) -> None:
    idx, _works, model = setup
    store = EmbeddingStore(idx.path, idx.registry, model)
    store.refresh()
    expected = store.vectors.copy()
    folder = store.folder
    manifest = json.loads((folder / "manifest.json").read_text("utf-8"))
    (data,) = manifest["files"]
    raw = bytearray((folder / data).read_bytes())
    raw[20] ^= 0x40  # one bit of the first descriptor
    (folder / data).write_bytes(bytes(raw))
    rebuilt = EmbeddingStore(idx.path, idx.registry, model)
    assert rebuilt.refresh() == 2  # not trusted: computed again
    np.testing.assert_array_equal(rebuilt.vectors, expected)
    # a manifest written for other preprocessing (same file) is not trusted either
    manifest = json.loads((folder / "manifest.json").read_text("utf-8"))
    manifest["model"]["resize"] = "shorter_side"
    (folder / "manifest.json").write_text(json.dumps(manifest), "utf-8")
    assert EmbeddingStore(idx.path, idx.registry, model).refresh() == 2
    # another model file has its own folder
    other = OnnxDescriptor.load(tiny_model(tmp_path / "other.onnx", W.T.copy()), kind="copy")
    assert embed_folder(idx.path, other) != folder
    theirs = EmbeddingStore(idx.path, idx.registry, other)
    assert theirs.refresh() == 2
    np.testing.assert_allclose(theirs.vectors[0], by_hand(MATE / "Garden.jpg", W.T), atol=1e-5)


def test_search_ranks_by_cosine_computed_by_hand(setup: tuple) -> None:
    idx, works, model = setup
    store = EmbeddingStore(idx.path, idx.registry, model)
    store.refresh()
    garden, storm = _doc(idx, "Garden.jpg", works), _doc(idx, "Storm.jpg", works)
    query = by_hand(MATE / "RainDrops.jpg")  # an unregistered photograph
    with_garden = float(query @ by_hand(MATE / "Garden.jpg"))
    with_storm = float(query @ by_hand(MATE / "Storm.jpg"))
    assert with_storm > with_garden  # RainDrops is nearer Storm (worked out by hand above)
    hits = store.search(query * 3.0, k=5, min_cosine=-1.0)  # any scale: normalised
    assert [d for d, _c in hits] == [storm, garden]
    np.testing.assert_allclose([c for _d, c in hits], [with_storm, with_garden], atol=1e-5)
    assert store.search(query, k=1, min_cosine=-1.0)[0][0] == storm
    assert store.search(query, k=5, min_cosine=with_storm + 1e-4) == []
    assert [d for d, _c in store.search(query, k=5, min_cosine=-1.0, exclude=[storm])] == \
        [garden]
    with pytest.raises(ValueError, match="shape"):
        store.search(np.ones(4), k=1, min_cosine=0.0)
    with pytest.raises(ValueError, match="zero"):
        store.search(np.zeros(3), k=1, min_cosine=0.0)


def test_removed_works_keep_their_descriptor(setup: tuple) -> None:
    # the cache is derived and append-only: a tombstoned work stays (it may be registered
    # again); screening filters it with the registry's rows
    idx, works, model = setup
    store = EmbeddingStore(idx.path, idx.registry, model)
    store.refresh()
    storm = _doc(idx, "Storm.jpg", works)
    assert idx.remove(str(works / "Storm.jpg")) == 1
    assert store.refresh(idx.registry.generation()) == 0
    assert storm in store.docs.tolist()
    assert idx.rows([storm])[storm].removed
