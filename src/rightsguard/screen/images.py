"""Screen an image: candidates by PDQ hash, SIFT votes and layout; confirmation by local
features or dense alignment; registered marks.

Cascade for one screened image (DESIGN.md, "Images"; issue #4 parts 2, 3, 5):

1. **Decode** (:func:`rightsguard.fingerprint.image.decode_image`: pixel limit before decoding,
   CMYK, 16-bit, alpha and animated images handled, anything else an
   :class:`~rightsguard.errors.InputError` naming the file).
2. **Candidates**: the image's own PDQ variants
   (:func:`~rightsguard.fingerprint.image.query_fingerprints`) against every work's stored
   variants (whole image and its 7 dihedral variants) in the index's FAISS binary index; the
   :data:`MAX_CANDIDATES` nearest works within :data:`CANDIDATE_DISTANCE` bits of 256.
   Second channel: the image's SIFT descriptors vote for works through the visual words of
   every work's stored descriptors in an inverted file
   (:class:`~rightsguard.index.feature_index.FeatureIndex`); the
   :data:`MAX_FEATURE_CANDIDATES` best voted works not already candidates are verified too.
   This finds what no stored PDQ variant lines up with: crops, small rotations, screenshots.
   It costs one SIFT extraction per screened image (about 40 ms at 512 px).
   Third channel, only when nothing is confirmed after the first two: the
   :data:`MAX_LAYOUT_CANDIDATES` works nearest by 16×16 brightness layout
   (:mod:`rightsguard.fingerprint.image_layout`), for pictures without texture.
3. **Verification**: SIFT features of the image against each candidate's stored features, ratio
   test and RANSAC homography (:func:`rightsguard.screen.image_verify.verify`); a confirmed
   candidate is a ``copy`` match with the copied region as a polygon in both images. PDQ and
   SIFT-vote candidates SIFT cannot confirm (at most :data:`MAX_DENSE` PDQ candidates, nearest
   first, and while nothing is confirmed :data:`MAX_VOTE_DENSE` vote candidates, most voted
   first; the first of each with rotated starts of ±5/10/15°) and layout candidates (the
   nearest with rotated starts) get dense alignment
   (:func:`rightsguard.screen.image_dense.dense_verify`: soft and low-texture pictures; a PDQ
   candidate starts from its variant's box, the others from the whole work; a layout candidate
   needs correlation :data:`LAYOUT_MIN_DENSE`). Vote candidates and rotated layout starts were
   added because soft pictures turned 5–15° are proposed by votes or layout but have too few
   keypoints for RANSAC (``bench images``: rotate5-15 0.833 → 0.972, caption 0.898 → 0.907,
   emoji 0.861 → 0.907). A PDQ
   candidate nothing confirms is still reported when its PDQ distance is at most
   :data:`NEAR_DUPLICATE_DISTANCE` (a near-duplicate of the whole image: flat or tiny images
   have too few keypoints to verify), with matcher ``pdq`` and no region beyond the whole image.
   Then, when nothing is confirmed and the image has a plain border (:func:`plain_border`:
   padding, letterboxing, a picture on a blank page), the PDQ and layout channels run again on
   the part inside it (its SIFT features are the whole image's, moved: a plain border has none,
   so the votes would not change), and a copy found there is reported in the whole image's
   pixels. A soft picture with a 100 px white border passed as clean: it has too few keypoints
   for votes, and PDQ and layout describe the whole padded image.
4. **Marks**: every registered mark (kind ``mark``) is searched in the image
   (:func:`rightsguard.screen.marks.find_marks`); each one found is a ``mark`` match with its box.

Each match's verdict comes from the screening policy on the work's licence, as for code and text
(:class:`~rightsguard.screen.policy.ScreenPolicy`).
"""

from __future__ import annotations

from collections import OrderedDict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from itertools import zip_longest
from typing import TYPE_CHECKING, Any

import numpy as np

from rightsguard.errors import IndexCorruptError
from rightsguard.index.store import Index
from rightsguard.model import ImageMatch, ScreenResult, Verdict, Work
from rightsguard.screen.policy import ScreenPolicy

if TYPE_CHECKING:
    from rightsguard.fingerprint.image import DecodedImage
    from rightsguard.fingerprint.image_features import LocalFeatures
    from rightsguard.index.image_embeddings import EmbeddingStore
    from rightsguard.index.registry import ImagePrints
    from rightsguard.screen.image_dense import DenseVerification
    from rightsguard.screen.marks import MarkTemplate

#: Candidates verified per screened image at most (each verification costs 5–10 ms).
MAX_CANDIDATES = 16
#: Candidate radius in PDQ bits (of 256): None is
#: :data:`rightsguard.fingerprint.image.DEFAULT_PDQ_THRESHOLD`, measured there for the query and
#: work variants (PDQ's authors give 31 for whole images; candidates are only a shortlist for
#: verification, so the radius is wider).
CANDIDATE_DISTANCE: int | None = None
#: Candidates from the SIFT vote channel verified per screened image at most
#: (:class:`~rightsguard.index.feature_index.FeatureIndex`; works already PDQ candidates excluded).
MAX_FEATURE_CANDIDATES = 8
#: SIFT-vote candidates SIFT cannot confirm that dense alignment is tried on (most voted first,
#: the first with rotated starts), only while no channel has confirmed a copy: most vote
#: candidates of an image that is a found copy are other works, and each alignment costs
#: 10-20 ms per start (7 starts with rotations).
MAX_VOTE_DENSE = 2
#: PDQ candidates per screened image that SIFT cannot confirm and dense alignment is tried on
#: (:func:`rightsguard.screen.image_dense.dense_verify`; nearest first). Each decodes the work's
#: stored file once (then kept in a small cache) and costs about 10–20 ms to align.
MAX_DENSE = 4
#: Works nearest by layout (:mod:`rightsguard.fingerprint.image_layout`) given to dense
#: alignment when no other channel confirmed a copy, and the least cosine (correlation of the
#: 16×16 luma thumbnails) they need. Measured in ``python -m bench images``: see bench/README.md.
MAX_LAYOUT_CANDIDATES = 2
LAYOUT_MIN_COSINE = 0.5
#: Dense correlation a layout candidate needs (PDQ candidates need
#: :data:`rightsguard.screen.image_dense.MIN_CORRELATION`, 0.5): a layout is weak evidence, and
#: two sparse pictures of one kind (mate's Gulp and Flow: bubbles on black) aligned at 0.73 in
#: ``bench images``; copies align at 0.985–0.999 (median per family, ``measure_dense``).
LAYOUT_MIN_DENSE = 0.85
#: Longest side (px) of a work's pixels as kept for dense verification (which aligns at 384 px).
DENSE_WORK_SIDE = 768
_PIXEL_CACHE = 32  # works' pixels kept warm (768 px RGB: at most 1.8 MB each)
#: A candidate this near is reported even when feature verification cannot confirm it.
NEAR_DUPLICATE_DISTANCE = 16


#: A border is plain when every pixel of it is within this many levels (of 255, per channel) of
#: the border's median colour: JPEG ringing and dithering stay within it, picture content not.
BORDER_TOLERANCE = 12
#: Least border worth a second look, as a share of the image's width or height (both sides
#: together): below it the part inside differs too little from the whole image to change what
#: the channels see.
BORDER_MIN_SHARE = 0.04
#: Least part inside a border, as a share of each side (and at least 32 px): a newcomer's
#: photograph in a page's corner at 12–20% of its width passed as clean with 0.25.
BORDER_MIN_INNER = 0.1


def plain_border(rgb: Any) -> tuple[int, int, int, int] | None:
    """The half-open box ``(x0, y0, x1, y1)`` in pixels of ``rgb`` (H×W×3 uint8) inside a plain
    border — rows and columns from each edge whose every pixel is within
    :data:`BORDER_TOLERANCE` of the median colour of that side's outermost line — or None when
    that border is under :data:`BORDER_MIN_SHARE` of the width and of the height, or leaves
    less than :data:`BORDER_MIN_INNER` of either side (or under 32 px) inside."""
    a = np.asarray(rgb)
    h, w = a.shape[:2]
    if h < 8 or w < 8:
        return None

    def run(lines: Any) -> int:
        """Leading lines of ``lines`` (n, length, 3) within tolerance of the first's median,
        read 64 at a time (most images stop in the first block)."""
        colour = np.median(lines[0], axis=0)
        for start in range(0, lines.shape[0], 64):
            block = lines[start:start + 64].astype(np.int16)
            off = np.flatnonzero(~(np.abs(block - colour) <= BORDER_TOLERANCE).all(axis=(1, 2)))
            if off.size:
                return start + int(off[0])
        return int(lines.shape[0])

    # each side its own colour: padding on one side only, or letterboxing in black under a
    # white title bar, is still a border
    y0, x0 = run(a), run(a.transpose(1, 0, 2))
    if y0 >= h or x0 >= w:
        return None  # all plain: nothing inside
    y1, x1 = h - run(a[::-1]), w - run(a[:, ::-1].transpose(1, 0, 2))
    if (x0 + w - x1) < BORDER_MIN_SHARE * w and (y0 + h - y1) < BORDER_MIN_SHARE * h:
        return None
    if (x1 - x0) < max(32, BORDER_MIN_INNER * w) or (y1 - y0) < max(32, BORDER_MIN_INNER * h):
        return None
    return x0, y0, x1, y1


def _mirrors(variant: int, stored: ImagePrints) -> bool:
    """True when a work's stored PDQ ``variant`` is one of its mirrored dihedral transforms
    (left-right or top-bottom flip, transpose, transverse: an odd number of reflections)."""
    from rightsguard.fingerprint.image import work_variant

    name, _box = work_variant(variant, stored.width, stored.height)
    return name in ("dihedral:flip", "dihedral:flipv", "dihedral:transpose",
                    "dihedral:transverse")


def _screening_order(match: ImageMatch) -> tuple[int, str, float, float, str]:
    """Sort key of a screened image's matches: most severe verdict first, then by kind
    (``copy``, ``mark``, ``similar``, ``style``), the larger share of the image, the stronger
    score (:func:`_strength`: a learned cosine, a mark's score), then work id."""
    return (-int(match.verdict), match.kind, -match.output_coverage, -_strength(match),
            match.work.work_id)


def _strength(match: ImageMatch) -> float:
    """The score that ranks matches of one kind without regions: a learned cosine
    (``descriptor_cosine``, ``style_cosine``) or a mark's ``mark_score``; 0 without one."""
    scores = dict(match.scores)
    for key in ("descriptor_cosine", "style_cosine", "mark_score"):
        if key in scores:
            return scores[key]
    return 0.0


def look_up_order(matches: list[ImageMatch], *, radius: int | None = None) -> list[ImageMatch]:
    """A look-up's ranking (``check --top``): confirmed matches first, most SIFT inliers
    first (dense and hash-only confirmations after, nearest hash first); then the unconfirmed
    ``similar`` candidates of the two channels in turn — nearest by PDQ distance, best SIFT
    vote score (``feature_score``), second nearest, second best voted, … (round-robin, the hash
    channel first at each rank) — so works that share local features appear even when their hash
    is far from every nearer work's; last, the works nearest by hash but beyond ``radius`` bits
    (default :data:`~rightsguard.fingerprint.image.DEFAULT_PDQ_THRESHOLD`, the screening
    candidate radius), nearest first: past it a PDQ distance says little (128 is chance), and a
    newcomer's rotated copy ranked an unrelated work at 102 bits above its own, voted for by 42
    of the copy's SIFT descriptors."""
    if radius is None:
        from rightsguard.fingerprint.image import DEFAULT_PDQ_THRESHOLD

        radius = DEFAULT_PDQ_THRESHOLD
    confirmed = sorted((m for m in matches if m.kind != "similar"),
                       key=lambda m: (-dict(m.scores).get("inliers", 0.0),
                                      dict(m.scores).get("pdq_distance", 256.0)))
    by_hash = sorted((m for m in matches if m.kind == "similar" and
                      "pdq_distance" in dict(m.scores)),
                     key=lambda m: dict(m.scores)["pdq_distance"])
    near = [m for m in by_hash if dict(m.scores)["pdq_distance"] <= radius]
    far = by_hash[len(near):]
    by_votes = sorted((m for m in matches if m.kind == "similar" and
                       "pdq_distance" not in dict(m.scores)),
                      key=lambda m: -dict(m.scores).get("feature_score", 0.0))
    turns = [m for pair in zip_longest(near, by_votes) for m in pair if m is not None]
    return confirmed + turns + far


def _region(width: int, height: int) -> tuple[tuple[float, float], ...]:
    return ((0.0, 0.0), (float(width), 0.0), (float(width), float(height)), (0.0, float(height)))


@dataclass
class ImageScreener:
    """Screens images against one index; keeps its marks and the hash index warm."""

    index: Index
    policy: ScreenPolicy = field(default_factory=ScreenPolicy)
    max_candidates: int = MAX_CANDIDATES
    candidate_distance: int | None = CANDIDATE_DISTANCE
    max_feature_candidates: int = MAX_FEATURE_CANDIDATES
    max_dense: int = MAX_DENSE
    max_layout_candidates: int = MAX_LAYOUT_CANDIDATES
    #: Optional learned-descriptor / style stage (:mod:`rightsguard.screen.image_learned`):
    #: anything with ``matches(image, *, name, found) -> list[ImageMatch]`` returning judged
    #: matches; None (the default) runs the classical cascade only.
    learned: Any = None
    _marks: tuple[int, list[tuple[Work, MarkTemplate, int, int]]] | None = None
    _pixels: OrderedDict[int, tuple[Any, float]] = field(default_factory=OrderedDict)
    _layouts: EmbeddingStore | None = None

    def has_images(self) -> bool:
        """True when the index holds image works or marks (otherwise screening images is moot)."""
        return self.index.images.present()

    def screen_image(self, data: bytes, *, name: str) -> ScreenResult:
        """Screen one image file's bytes. Raises InputError (naming ``name``) when the bytes are
        not a decodable image."""
        from rightsguard.fingerprint.image import decode_image
        from rightsguard.fingerprint.image_features import MIN_SIDE, LocalFeatures
        from rightsguard.screen.marks import MIN_IMAGE_SIDE

        image = decode_image(data, name=name)
        notes = list(image.notes)
        if min(image.width, image.height) < MIN_SIDE and self.has_images():
            # SIFT needs MIN_SIDE px a side: hash and layout only (a newcomer's 7×300 px output
            # was an error, exit 2)
            notes.append(f"{image.width}×{image.height} px: too small for local features "
                         f"(at least {MIN_SIDE} px a side); compared by hash and layout only")
            matches, features = self._copies(image, name, top=None,
                                             features=LocalFeatures.empty(image.width,
                                                                          image.height))
        else:
            matches, features = self._copies(image, name, top=None)
        if features is not None and not any(m.kind == "copy" for m in matches):
            matches, note = self._inside_border(image, name, matches, features)
            notes += note
        if self.index.images.rebuilt:
            notes.append(self.index.images.rebuilt)
        if not self.has_images():
            notes.append("the index holds no image works or marks: nothing to compare with")
        elif min(image.width, image.height) < MIN_IMAGE_SIDE:
            notes.append(f"{image.width}×{image.height} px: marks are searched in images of at "
                         f"least {MIN_IMAGE_SIDE} px on each side")
        else:
            matches += self._find_marks(image)
        if self.learned is not None:
            found = {m.work.work_id for m in matches}
            matches += self.learned.matches(image, name=name, found=found)
        matches.sort(key=_screening_order)
        verdict = max((m.verdict for m in matches), default=Verdict.CLEAN)
        return ScreenResult(input=name, modality="image", language=None, verdict=verdict,
                            notes=tuple(notes), image_matches=tuple(matches),
                            size=(image.width, image.height))

    def _inside_border(self, image: DecodedImage, name: str, matches: list[ImageMatch],
                       features: LocalFeatures) -> tuple[list[ImageMatch], list[str]]:
        """Copies inside a plain border of ``image`` (:func:`plain_border`), in ``image``'s
        pixels, replacing ``matches``; else ``matches`` unchanged. Returns (matches, notes).
        ``features``: ``image``'s SIFT features (a plain border has none: the part's are these,
        moved), so this second look costs the PDQ and layout channels only."""
        import dataclasses

        from rightsguard.fingerprint.image import DecodedImage

        box = plain_border(image.rgb)
        if box is None:
            return matches, []
        x0, y0, x1, y1 = box
        inner = DecodedImage(np.ascontiguousarray(image.rgb[y0:y1, x0:x1]), x1 - x0, y1 - y0,
                             image.format)
        shift = np.array([x0, y0], np.float32)
        moved = dataclasses.replace(features, points=features.points - shift, width=x1 - x0,
                                    height=y1 - y0)
        found = [m for m in self._copies(inner, name, top=None, features=moved)[0]
                 if m.kind == "copy"]
        if not found:
            return matches, []
        share = (x1 - x0) * (y1 - y0) / float(image.width * image.height)
        shifted = [dataclasses.replace(
            m, output_polygon=tuple((x + x0, y + y0) for x, y in m.output_polygon),
            output_coverage=m.output_coverage * share) for m in found]
        return shifted, [f"a plain border was left out: the copy was found in the part "
                         f"[{x0}, {x1}) × [{y0}, {y1}) px inside it"]

    def similar_images(self, data: bytes, *, name: str, top: int = 10) -> list[ImageMatch]:
        """Works ranked for a rights holder's look-up ("is my picture in it?"), at most
        ``top``: the ``top`` nearest works by PDQ distance (no radius) and the ``top`` works
        best voted for by the image's SIFT descriptors (at least
        :data:`~rightsguard.index.feature_index.MIN_VOTES` shared visual words: without that
        floor, works sharing 1–4 words by chance filled a look-up before the nearest hashes
        past the radius, among them the right work), each verified; ranked by
        :func:`look_up_order` (confirmed copies first, then the unconfirmed ``similar`` ones of
        both channels in turn). Raises InputError naming ``name`` when ``data`` is not a
        decodable image."""
        from rightsguard.fingerprint.image import decode_image

        image = decode_image(data, name=name)
        return self._copies(image, name, top=top)[0]

    # -- copies --------------------------------------------------------------------------------
    def _copies(self, image: DecodedImage, name: str, *, top: int | None,
                features: LocalFeatures | None = None
                ) -> tuple[list[ImageMatch], LocalFeatures | None]:
        """Copies of works in ``image`` (or, with ``top``, the look-up's ranking) and the SIFT
        features they were found with (None when the index holds no images). ``features``
        given: a second look at a part of an image whose features these are (in the part's
        pixels): they are not extracted again and the vote channel, which would see the same
        descriptors, and rotated layout starts are skipped."""
        from rightsguard.fingerprint.image import DEFAULT_PDQ_THRESHOLD, query_fingerprints
        from rightsguard.fingerprint.image_features import extract_features

        if not self.index.images.present():
            return [], None
        codes = np.stack([np.frombuffer(bytes(v.pdq), np.uint8)
                          for v in query_fingerprints(image)])

        def pdq_candidates() -> list[Any]:
            return self.index.image_candidates(
                codes, k=top or self.max_candidates,
                max_distance=None if top else self.candidate_distance or DEFAULT_PDQ_THRESHOLD,
                exact=bool(top))  # a rights holder's look-up scans every row, partitioned or not

        if features is not None:
            query, found = features, pdq_candidates()
        else:
            # The PDQ search runs while another thread extracts the SIFT features the vote
            # channel and verification need (OpenCV releases the GIL): at 1 M works the search
            # takes about as long as the vote search (bench/README.md), and extraction longer.
            with ThreadPoolExecutor(max_workers=1, thread_name_prefix="rightsguard-sift") as pool:
                extracting = pool.submit(extract_features, image.rgb, name=name)
                found = pdq_candidates()
                query = extracting.result()
        out = self._verified(image, query, [(c.doc, c.distance, None, c.variant) for c in found],
                             top=top, dense=self.max_dense)
        # Second channel: works the query's SIFT descriptors vote for (50% crops, rotations,
        # screenshots line up with no stored PDQ variant); those already verified are skipped.
        if len(query) and features is None:
            voted = self.index.image_feature_candidates(
                query.descriptors, k=top or self.max_feature_candidates,
                exclude=[c.doc for c in found])
            # dense alignment of vote candidates only while nothing is confirmed (it costs
            # 10-20 ms per start, and most vote candidates of a found copy are other works)
            confirmed = any(m.kind == "copy" for m in out)
            out += self._verified(image, query, [(c.doc, None, c.votes, None) for c in voted],
                                  top=top, dense=0 if top or confirmed else MAX_VOTE_DENSE,
                                  vote_scores={c.doc: c.score for c in voted})
        else:
            voted = []
        # Third channel, when nothing is confirmed yet: works nearest by layout (pictures without
        # texture: no SIFT votes, unstable PDQ), each checked by dense alignment only.
        if not top and not any(m.kind == "copy" for m in out):
            tried = {c.doc for c in found} | {c.doc for c in voted}
            # rotated starts here only when no vote candidate had them (each set is 6 more
            # alignments, and most images are no copy at all)
            out += self._layout_copies(image, name, tried,
                                       rotations=not voted and features is None)
        if top:
            out = look_up_order(out)[:top]
        return out, query

    def _verified(self, image: DecodedImage, query: LocalFeatures,
                  found: list[tuple[int, int | None, int | None, int | None]], *,
                  top: int | None, dense: int, vote_scores: dict[int, float] | None = None
                  ) -> list[ImageMatch]:
        """Verify candidates ``(doc, PDQ distance or None, feature votes or None, PDQ variant
        or None)`` (``vote_scores``: the vote candidates' normalised scores by document,
        :attr:`~rightsguard.index.feature_index.FeatureCandidate.score`): SIFT first, then (PDQ
        candidates only, at most :data:`MAX_DENSE` per image) dense alignment, which confirms
        soft and low-texture pictures SIFT cannot."""
        from rightsguard.fingerprint.image_features import LocalFeatures
        from rightsguard.screen.image_verify import verify

        if not found:
            return []
        docs = [doc for doc, _d, _v, _var in found]
        rows = self.index.rows(docs)
        prints = self.index.registry.image_prints(docs)
        out: list[ImageMatch] = []
        dense_left = dense
        for doc, distance, votes, variant in found:
            row, stored = rows.get(doc), prints.get(doc)
            if row is None or stored is None or not stored.features:
                continue  # purged meanwhile, or a mark (marks are searched separately)
            work_features = LocalFeatures.from_bytes(stored.features, name=row.work.work_id)
            checked = verify(query, work_features) if len(query) else None
            scores: list[tuple[str, float]] = []
            if distance is not None:
                scores.append(("pdq_distance", float(distance)))
            if votes is not None:
                scores.append(("feature_votes", float(votes)))
                scores.append(("feature_score", round((vote_scores or {}).get(doc, 0.0), 4)))
            channel = "pdq" if distance is not None else "sift-votes"
            aligned: DenseVerification | None = None
            pdq_dense = distance is not None and variant is not None and \
                distance > NEAR_DUPLICATE_DISTANCE
            if checked is None and (pdq_dense or votes is not None) and dense_left > 0:
                # From the PDQ variant's box, or the whole work for a vote candidate (a soft
                # picture rotated by a few degrees: SIFT proposes it but cannot confirm it);
                # rotated starts (6 more alignments) for the nearest / most voted one only.
                aligned = self._dense(image, doc, stored, variant if pdq_dense else None,
                                      rotations=dense_left == dense)
                dense_left -= 1
            if checked is not None:
                scores += [("inliers", float(checked.inliers)),
                           ("inlier_ratio", checked.inlier_ratio),
                           ("verification", checked.score)]
                match = ImageMatch(
                    work=row.work, kind="copy", output_polygon=checked.output_polygon,
                    work_polygon=checked.work_polygon, output_coverage=checked.output_coverage,
                    work_coverage=checked.work_coverage, scores=tuple(scores),
                    matcher=f"{channel}+sift-ransac", flipped=checked.flipped)
            elif aligned is not None:
                scores += [("dense_correlation", aligned.correlation),
                           ("verification", aligned.score)]
                match = ImageMatch(
                    work=row.work, kind="copy", output_polygon=aligned.output_polygon,
                    work_polygon=aligned.work_polygon, output_coverage=aligned.output_coverage,
                    work_coverage=aligned.work_coverage, scores=tuple(scores),
                    # aligned after undoing the PDQ variant's transform, or from the whole work
                    matcher=f"{channel}+dense-ecc",
                    flipped=pdq_dense and variant is not None and _mirrors(variant, stored))
            elif distance is not None and distance <= NEAR_DUPLICATE_DISTANCE:
                match = ImageMatch(  # a whole-image near-duplicate
                    work=row.work, kind="copy",
                    output_polygon=_region(image.width, image.height),
                    work_polygon=_region(stored.width, stored.height), output_coverage=1.0,
                    work_coverage=1.0, scores=tuple(scores), matcher="pdq",
                    flipped=variant is not None and _mirrors(variant, stored))
            elif top:  # a look-up lists the unconfirmed nearest works too, as unconfirmed
                match = ImageMatch(
                    work=row.work, kind="similar", output_polygon=(), work_polygon=(),
                    output_coverage=0.0, work_coverage=0.0, scores=tuple(scores),
                    matcher=channel)
            else:
                continue
            out.append(self._judged(match))
        return out

    def _layout_copies(self, image: DecodedImage, name: str, tried: set[int], *,
                       rotations: bool) -> list[ImageMatch]:
        """Works whose layout descriptor is nearest the image's (at most
        :data:`MAX_LAYOUT_CANDIDATES`, cosine above :data:`LAYOUT_MIN_COSINE`), not in
        ``tried``, confirmed by dense alignment (``rotations``: with rotated starts for the
        nearest)."""
        from rightsguard.errors import InputError
        from rightsguard.fingerprint.image_layout import LAYOUT

        try:
            query = LAYOUT.embed(image.rgb, name=name)
        except InputError:  # a flat image: nothing to compare
            return []
        store = self._layout_store()
        hits = store.search(query, k=self.max_layout_candidates + len(tried),
                            min_cosine=LAYOUT_MIN_COSINE, exclude=tried)
        docs = [doc for doc, _c in hits]
        rows = self.index.rows(docs)
        prints = self.index.registry.image_prints(docs)
        out: list[ImageMatch] = []
        left = self.max_layout_candidates
        for doc, cosine in hits:
            row, stored = rows.get(doc), prints.get(doc)
            if row is None or row.removed or stored is None or not stored.features:
                continue
            if left <= 0:
                break
            left -= 1
            # rotated starts for the nearest layout only (rotated soft pictures)
            dense = self._dense(image, doc, stored, None,
                                rotations=rotations and left == self.max_layout_candidates - 1)
            if dense is None or dense.correlation < LAYOUT_MIN_DENSE:
                continue
            out.append(self._judged(ImageMatch(
                work=row.work, kind="copy", output_polygon=dense.output_polygon,
                work_polygon=dense.work_polygon, output_coverage=dense.output_coverage,
                work_coverage=dense.work_coverage,
                scores=(("layout_cosine", cosine), ("dense_correlation", dense.correlation),
                        ("verification", dense.score)),
                matcher="layout+dense-ecc")))
        return out

    def _layout_store(self) -> EmbeddingStore:
        """The works' layout descriptors, derived from their stored files and cached under the
        index folder (:class:`~rightsguard.index.image_embeddings.EmbeddingStore`); caught up
        once per registry generation."""
        from rightsguard.fingerprint.image_layout import LAYOUT
        from rightsguard.index.image_embeddings import EmbeddingStore

        if self._layouts is None:
            self._layouts = EmbeddingStore(self.index.path, self.index.registry, LAYOUT)
        self._layouts.refresh(self.index.generation())
        return self._layouts

    def _dense(self, image: DecodedImage, doc: int, stored: ImagePrints, variant: int | None,
               *, rotations: bool) -> DenseVerification | None:
        """Dense verification of candidate ``doc`` (its nearest stored PDQ ``variant`` is the
        starting guess; None: the whole work), on the work's pixels decoded from the registry
        and kept small."""
        from rightsguard.fingerprint.image import work_variant
        from rightsguard.screen.image_dense import dense_verify

        work, scale = self._work_pixels(doc)
        name, box = ("full", (0, 0, stored.width, stored.height)) if variant is None else \
            work_variant(variant, stored.width, stored.height)
        small_box = (int(box[0] * scale), int(box[1] * scale),
                     max(int(box[0] * scale) + 1, min(work.shape[1], round(box[2] * scale))),
                     max(int(box[1] * scale) + 1, min(work.shape[0], round(box[3] * scale))))
        dihedral = name if not name.startswith("crop:") else "full"
        try:
            found = dense_verify(image.rgb, work, box=small_box, dihedral=dihedral,
                                 rotations=rotations)
        except ValueError:  # too small to align: not confirmed
            return None
        if found is None or scale == 1.0:
            return found
        from dataclasses import replace

        return replace(found, work_polygon=tuple((x / scale, y / scale)
                                                 for x, y in found.work_polygon))

    def _work_pixels(self, doc: int) -> tuple[Any, float]:
        """RGB of work ``doc`` at most :data:`DENSE_WORK_SIDE` px long (and its scale, small
        px per original px), decoded from the stored file; a small LRU stays warm."""
        cached = self._pixels.get(doc)
        if cached is not None:
            self._pixels.move_to_end(doc)
            return cached
        import cv2

        from rightsguard.fingerprint.image import decode_image

        rgb = decode_image(self.index.registry.content(doc), name=f"work {doc}").rgb
        h, w = rgb.shape[:2]
        scale = min(1.0, DENSE_WORK_SIDE / max(h, w))
        if scale < 1.0:
            rgb = np.asarray(cv2.resize(rgb, (max(1, round(w * scale)), max(1, round(h * scale))),
                                        interpolation=cv2.INTER_AREA), np.uint8)
            scale = rgb.shape[1] / w
        self._pixels[doc] = (rgb, scale)
        if len(self._pixels) > _PIXEL_CACHE:
            self._pixels.popitem(last=False)
        return rgb, scale

    # -- marks ---------------------------------------------------------------------------------
    def _mark_templates(self) -> list[tuple[Work, MarkTemplate, int, int]]:
        gen = self.index.generation()
        if self._marks is not None and self._marks[0] == gen:
            return self._marks[1]
        from rightsguard.screen.marks import MarkTemplate

        docs = self.index.registry.image_docs(kind="mark")
        rows = self.index.rows(docs)
        loaded: list[tuple[Work, MarkTemplate, int, int]] = []
        for doc in docs:
            if doc not in rows:
                continue
            rgba = _mark_pixels(self.index.registry.content(doc), rows[doc].work.work_id)
            template = MarkTemplate.from_image(rgba, name=rows[doc].work.title)
            loaded.append((rows[doc].work, template, rgba.shape[1], rgba.shape[0]))
        self._marks = (gen, loaded)
        return loaded

    def _find_marks(self, image: DecodedImage) -> list[ImageMatch]:
        if not self.index.images.present():
            return []
        marks = self._mark_templates()
        if not marks:
            return []
        from rightsguard.screen.marks import find_marks

        out = []
        area = float(image.width * image.height)
        for hit in find_marks(image.rgb, [t for _w, t, _mw, _mh in marks]):
            work, _t, mw, mh = marks[hit.mark]
            x0, y0, x1, y1 = hit.box
            out.append(self._judged(ImageMatch(
                work=work, kind="mark", output_polygon=tuple(hit.polygon),
                work_polygon=_region(mw, mh),
                output_coverage=min(1.0, (x1 - x0) * (y1 - y0) / area), work_coverage=1.0,
                scores=(("mark_score", float(hit.score)), ("mark_scale", float(hit.scale))),
                matcher="mark-template")))
        return out

    def _judged(self, match: ImageMatch) -> ImageMatch:
        from dataclasses import replace

        if match.kind == "similar":
            scores = dict(match.scores)
            found = (f"nearest by PDQ hash ({scores['pdq_distance']:.0f} bits of 256)"
                     if "pdq_distance" in scores else
                     f"{scores.get('feature_votes', 0):.0f} visual words of its SIFT "
                     "descriptors shared with the image")
            return replace(match, verdict=Verdict.CLEAN,
                           reason=f"{found}, not confirmed by local features or alignment")
        verdict, reason = self.policy.verdict(match.work)
        return replace(match, verdict=verdict, reason=reason)


def _mark_pixels(raw: bytes, work_id: str) -> Any:
    """RGBA uint8 (H, W, 4) of a registered mark (its alpha kept: it is the mark's shape)."""
    import io

    from PIL import Image

    try:
        with Image.open(io.BytesIO(raw)) as im:
            im.seek(0)
            return np.asarray(im.convert("RGBA"), dtype=np.uint8)
    except Exception as exc:  # stored at registration after decoding: corrupt if it fails now
        raise IndexCorruptError(f"registered mark {work_id} cannot be decoded: {exc}") from exc
