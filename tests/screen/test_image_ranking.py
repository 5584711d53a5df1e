"""The order of image matches: a rights holder's look-up (``check --top``, both candidate
channels in turn) and a screened image's learned ``similar`` matches (descending cosine).

Works are photographs of Debian's mate-backgrounds; the queries are scikit-image's bundled
photographs and mate photographs that are not registered. Learned cosines come from the tiny ONNX
model of tests/onnx_models.py and are worked out by hand as in test_image_learned.py.
"""

from __future__ import annotations

import hashlib
import shutil
from itertools import zip_longest
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from onnx_models import tiny_model
from rightsguard.fingerprint.image import decode_image, query_fingerprints
from rightsguard.fingerprint.image_features import extract_features
from rightsguard.index.sources import works_from
from rightsguard.index.store import Index
from rightsguard.model import ImageMatch, LicenceCategory, Verdict, Work
from rightsguard.screen.api import Screener
from rightsguard.screen.image_learned import LearnedModels
from rightsguard.screen.images import look_up_order

MATE = Path("/usr/share/backgrounds/mate/nature")
LOOK_UP_WORKS = ["Garden.jpg", "Dune.jpg", "Storm.jpg", "Wood.jpg", "LadyBird.jpg",
                 "FreshFlower.jpg", "Aqua.jpg", "Blinds.jpg"]


def _work(title: str) -> Work:
    return Work(work_id=hashlib.sha256(title.encode()).hexdigest(), title=title,
                holders=("Someone",), licence="MIT",
                licence_category=LicenceCategory.PERMISSIVE, modality="image", kind="image")


def _match(title: str, kind: str, **scores: float) -> ImageMatch:
    return ImageMatch(work=_work(title), kind=kind, output_polygon=(), work_polygon=(),
                      output_coverage=0.0, work_coverage=0.0, scores=tuple(scores.items()),
                      matcher="test", verdict=Verdict.CLEAN)


def test_look_up_order_puts_confirmed_first_then_both_channels_in_turn() -> None:
    matches = [
        _match("far hash", "similar", pdq_distance=110.0),
        _match("few votes", "similar", feature_votes=9.0, feature_score=0.9),
        _match("dense copy", "copy", pdq_distance=40.0, dense_correlation=0.9),
        _match("near hash", "similar", pdq_distance=60.0),
        _match("many votes", "similar", feature_votes=49.0, feature_score=2.19),
        _match("sift copy", "copy", pdq_distance=30.0, inliers=143.0),
        _match("middle hash", "similar", pdq_distance=70.0),
        _match("chance hash", "similar", pdq_distance=102.0),
    ]
    assert [m.work.title for m in look_up_order(matches)] == [
        "sift copy", "dense copy",            # confirmed: most inliers first
        "near hash", "many votes",            # rank 1 of each channel, the hash channel first
        "middle hash", "few votes",           # rank 2 of each
        "chance hash", "far hash",            # beyond the 78-bit candidate radius: last
    ]
    assert [m.work.title for m in look_up_order(matches, radius=105)][4:] == [
        "middle hash", "few votes", "chance hash", "far hash"]  # 102 is near with radius 105
    assert look_up_order([]) == []
    # vote candidates rank by score (votes / sqrt(the work's words)), not by raw votes
    soft = _match("soft picture", "similar", feature_votes=20.0, feature_score=2.0)
    busy = _match("busy picture", "similar", feature_votes=40.0, feature_score=1.79)
    assert [m.work.title for m in look_up_order([busy, soft])] == ["soft picture",
                                                                   "busy picture"]


@pytest.fixture(scope="module")
def look_up_index(tmp_path_factory: pytest.TempPathFactory) -> Index:
    root = tmp_path_factory.mktemp("look-up")
    (root / "works").mkdir()
    for name in LOOK_UP_WORKS:
        shutil.copy(MATE / name, root / "works" / name)
    idx = Index.open(root / "idx", create=True)
    summary = idx.add(works_from(root / "works", licence="GPL-2.0-or-later",
                                 holder="mate-backgrounds authors"))
    assert summary.images == len(LOOK_UP_WORKS)
    return idx


def test_look_up_lists_works_voted_for_by_local_features_beside_the_nearest_hashes(
        look_up_index: Index, tmp_path: Path) -> None:
    idx = look_up_index
    # the middle fifth of Blinds, enlarged: too small a part of it for any stored PDQ variant
    with Image.open(MATE / "Blinds.jpg") as im:
        w, h = im.size
        crop = im.convert("RGB").crop((w // 3, h // 3, w // 3 + w // 5, h // 3 + h // 5))
    query = tmp_path / "blinds-detail.png"
    crop.resize((400, 300)).save(query)
    ranked = Screener(idx).similar_images(query, top=3)
    # what each channel proposes, asked of the index directly
    image = decode_image(query.read_bytes(), name="blinds-detail")
    codes = np.stack([np.frombuffer(bytes(v.pdq), np.uint8) for v in query_fingerprints(image)])
    with idx.pinned():
        nearest = idx.image_candidates(codes, k=3, max_distance=None)
        voted = idx.image_feature_candidates(
            extract_features(image.rgb, name="blinds-detail").descriptors, k=3,
            exclude=[c.doc for c in nearest])
        title = {d: r.work.title for d, r in idx.rows([c.doc for c in nearest + voted]).items()}
    assert voted, "no work outside the nearest hashes got votes: the test shows nothing"
    # confirmed copies first; then the unconfirmed of both channels in turn, hashes beyond the
    # 78-bit candidate radius (chance is 128) after the voted works
    confirmed = [m for m in ranked if m.kind != "similar"]
    done = {m.work.title for m in confirmed}
    near = [(title[c.doc], "similar", "pdq") for c in nearest
            if c.distance <= 78 and title[c.doc] not in done]
    far = [(title[c.doc], "similar", "pdq") for c in nearest
           if c.distance > 78 and title[c.doc] not in done]
    votes = [(title[c.doc], "similar", "sift-votes") for c in voted if title[c.doc] not in done]
    turns = [m for pair in zip_longest(near, votes) for m in pair if m is not None]
    assert far and votes, "the detail is near no stored variant: its nearest hashes are far"
    assert [(m.work.title, m.kind, m.matcher) for m in ranked] == \
        [(m.work.title, m.kind, m.matcher) for m in confirmed] + \
        (turns + far)[:3 - len(confirmed)]
    by_hash = next(m for m in ranked if m.matcher == "pdq")
    by_votes = next(m for m in ranked if m.matcher == "sift-votes")
    hash_doc = next(c for c in nearest if title[c.doc] == by_hash.work.title)
    vote_doc = next(c for c in voted if title[c.doc] == by_votes.work.title)
    assert vote_doc.votes >= 8  # shared visual words: the screening floor holds in look-ups
    assert dict(by_hash.scores) == {"pdq_distance": float(hash_doc.distance)}
    assert dict(by_votes.scores) == {"feature_votes": float(vote_doc.votes),
                                     "feature_score": round(vote_doc.score, 4)}
    assert by_votes.verdict is Verdict.CLEAN and by_votes.reason == (
        f"{vote_doc.votes} visual words of its SIFT descriptors shared with the image, not "
        "confirmed by local features or alignment")
    assert by_hash.reason.startswith(f"nearest by PDQ hash ({hash_doc.distance} bits of 256)")
    as_json = by_votes.to_dict()
    assert (as_json["kind"], as_json["matcher"], as_json["scores"]) == (
        "similar", "sift-votes", {"feature_votes": float(vote_doc.votes),
                                  "feature_score": round(vote_doc.score, 4)})


def _copy_by_hand(path: Path) -> np.ndarray:
    """The tiny copy model's descriptor (test_image_learned.copy_by_hand): stretched to 8×8
    (bilinear), ImageNet mean/std, mean colour, unit length."""
    with Image.open(path) as im:
        small = np.asarray(im.convert("RGB").resize((8, 8), Image.Resampling.BILINEAR), float)
    v = ((small / 255.0 - (0.485, 0.456, 0.406)) / (0.229, 0.224, 0.225)).reshape(-1, 3).mean(0)
    return v / np.linalg.norm(v)


def test_learned_similar_matches_are_listed_by_descending_cosine(tmp_path: Path) -> None:
    works = ["Blinds.jpg", "GreenMeadow.jpg", "Storm.jpg", "TwoWings.jpg"]
    (tmp_path / "works").mkdir()
    for name in works:
        shutil.copy(MATE / name, tmp_path / "works" / name)
    idx = Index.open(tmp_path / "idx", create=True)
    idx.add(works_from(tmp_path / "works", licence="GPL-2.0-or-later", holder="someone"))
    query = MATE / "RainDrops.jpg"  # not registered
    cosines = {f"works/{n}": float(_copy_by_hand(query) @ _copy_by_hand(MATE / n))
               for n in works}
    # every one between 0.5 and 0.75: a likeness for review (Blinds 0.73, TwoWings 0.56,
    # GreenMeadow 0.55, Storm 0.53), in an order unlike their work ids'
    assert all(0.5 < c <= 0.75 for c in cosines.values())
    by_cosine = sorted(cosines, key=lambda t: -cosines[t])
    assert by_cosine == ["works/Blinds.jpg", "works/TwoWings.jpg", "works/GreenMeadow.jpg",
                         "works/Storm.jpg"]
    model = tiny_model(tmp_path / "copy.onnx", np.eye(3, dtype=np.float32))
    result = Screener(idx, image_models=LearnedModels(descriptor=model)).screen_image_path(query)
    assert [(m.kind, m.verdict) for m in result.image_matches] == \
        [("similar", Verdict.REVIEW)] * 4
    assert [m.work.title for m in result.image_matches] == by_cosine
    assert [dict(m.scores)["descriptor_cosine"] for m in result.image_matches] == \
        pytest.approx([cosines[t] for t in by_cosine], abs=1e-5)
    ids = [m.work.work_id for m in result.image_matches]
    assert ids != sorted(ids)  # the old order (by work id) would differ
