"""Core records shared by every layer. No third-party imports.

Units, everywhere in rightsguard:

* Spans are half-open ``[start, end)`` in **Unicode code points of the original decoded text**
  (not of the normalised text, not bytes).
* Lines and columns are **1-based**; ``end_line`` is the line of the last code point in the span.
* ``matched_chars_nows`` counts code points of the output that are not whitespace (the unit of
  GitHub Copilot's ~150 character code-referencing threshold).
* ``matched_tokens`` / ``longest_run_tokens`` count tokens of the channel that found the match
  (code tokens for the ``code-*`` channels, rightsguard text tokens for ``text``).
* Coverages are fractions in ``[0, 1]``.
* Image regions are polygons of ``(x, y)`` points in **pixels of the original file** (x right,
  y down, origin at the top-left corner of the top-left pixel); boxes are half-open
  ``(x0, y0, x1, y1)``.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Any

ALL_RIGHTS_RESERVED = "LicenseRef-All-Rights-Reserved"
"""rightsguard's identifier for "no licence is granted: all rights reserved" (SPDX has none;
``docs/licences.md``). Its category is proprietary: a copy is ``block`` by default."""

RESERVED_REFS: dict[str, str] = {
    "licenseref-all-rights-reserved": ALL_RIGHTS_RESERVED,
    "licenseref-proprietary": "LicenseRef-Proprietary",
}
"""The ``LicenseRef-`` ids rightsguard reads as all rights reserved (category proprietary),
lower case → canonical spelling; the idstring after ``LicenseRef-`` matches in any case."""


class Verdict(enum.IntEnum):
    """Outcome of a screening, ordered by severity (the run's verdict is the maximum).

    Exit codes of ``rightsguard check``: clean 0, attribute 0, review 1, block 1 (errors exit 2).
    """

    CLEAN = 0
    ATTRIBUTE = 1
    REVIEW = 2
    BLOCK = 3

    @property
    def label(self) -> str:
        return self.name.lower()

    def __str__(self) -> str:
        return self.label

    @property
    def exit_code(self) -> int:
        return 1 if self >= Verdict.REVIEW else 0

    @classmethod
    def parse(cls, value: str) -> Verdict:
        try:
            return cls[value.strip().upper()]
        except KeyError:
            allowed = ", ".join(v.label for v in cls)
            raise ValueError(f"unknown verdict {value!r}; allowed: {allowed}") from None


class LicenceCategory(enum.StrEnum):
    """ScanCode licence categories, folded to the six rightsguard acts on.

    Source: ScanCode LicenseDB ``category`` field (licensedcode-data); folding in
    :func:`rightsguard.signals.licences.category_of`.
    """

    PERMISSIVE = "permissive"
    COPYLEFT = "copyleft"
    COPYLEFT_LIMITED = "copyleft-limited"
    PROPRIETARY = "proprietary"
    PUBLIC_DOMAIN = "public-domain"
    UNKNOWN = "unknown"


@dataclass(frozen=True, slots=True)
class Source:
    """Where a work was found: a URI, and for repositories the URL, commit and path.

    ``licence`` is the SPDX expression this source states for the work (as registered from it);
    None where unknown (e.g. a source an importer has not registered yet)."""

    uri: str
    repository: str | None = None
    commit: str | None = None
    path: str | None = None
    licence: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {k: v for k, v in (("uri", self.uri), ("repository", self.repository),
                                  ("commit", self.commit), ("path", self.path),
                                  ("licence", self.licence)) if v is not None}


@dataclass(frozen=True, slots=True)
class Work:
    """A protected work: one file (code or text) or one catalogue row.

    ``work_id`` is the lowercase hex SHA-256 of the raw bytes (the audit manifest's content hash).
    ``licence`` is an SPDX expression (``LicenseRef-…`` and ``NOASSERTION`` allowed).
    ``kind`` is ``code``, ``text``, ``lyrics``, ``poem`` or ``licence-text``; ``famous`` works are
    reported even where their fingerprints are frequent (DESIGN.md: widely copied text matters).
    """

    work_id: str
    title: str
    holders: tuple[str, ...]
    licence: str
    licence_category: LicenceCategory
    modality: str  # "code" | "text" | "image"
    language: str | None = None
    kind: str = "code"
    sources: tuple[Source, ...] = ()
    identifiers: tuple[tuple[str, str], ...] = ()  # (scheme, value), e.g. ("ISBN", "978-…")
    famous: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.work_id,
            "title": self.title,
            "holders": list(self.holders),
            "licence": self.licence,
            "licence_category": self.licence_category.value,
            "kind": self.kind,
            "source": self.sources[0].to_dict() if self.sources else None,
            "sources": [s.to_dict() for s in self.sources],
            "identifiers": {k: v for k, v in self.identifiers},
        }


@dataclass(frozen=True, slots=True)
class Span:
    """A half-open span of code points with its 1-based first and last line, and its columns
    (1-based, in code points): ``start_column`` of its first code point on ``start_line``,
    ``end_column`` just after its last on ``end_line`` (exclusive, as SARIF 2.1.0's
    ``endColumn``, §3.30.8)."""

    start: int
    end: int
    start_line: int
    end_line: int
    start_column: int
    end_column: int

    def to_dict(self) -> dict[str, int]:
        return {"start": self.start, "end": self.end,
                "start_line": self.start_line, "end_line": self.end_line,
                "start_column": self.start_column, "end_column": self.end_column}


@dataclass(frozen=True, slots=True)
class Match:
    """One reproduction of (part of) a work in a screened output.

    ``kind``: ``verbatim`` (same characters, whitespace aside), ``renamed`` (same token structure,
    identifiers/literals changed), ``near-verbatim`` (same text tokens after NFKC + case folding,
    or several verbatim fragments of one work interleaved with new material).
    ``channel``: ``code-exact`` | ``code-normalised`` | ``text``. ``matcher`` names the step that
    produced it. ``approx`` is true when the span ends were inferred from fingerprints rather than
    verified character by character.
    """

    work: Work
    output_span: Span
    work_span: Span
    matched_chars_nows: int
    matched_tokens: int
    longest_run_tokens: int
    output_coverage: float
    work_coverage: float
    kind: str
    channel: str
    matcher: str
    approx: bool
    fragments: int = 1
    verdict: Verdict = Verdict.REVIEW
    reason: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "work": self.work.to_dict(),
            "output_span": self.output_span.to_dict(),
            "work_span": self.work_span.to_dict(),
            "matched_chars_nows": self.matched_chars_nows,
            "matched_tokens": self.matched_tokens,
            "longest_run_tokens": self.longest_run_tokens,
            "output_coverage": round(self.output_coverage, 4),
            "work_coverage": round(self.work_coverage, 4),
            "kind": self.kind,
            "channel": self.channel,
            "matcher": self.matcher,
            "approx": self.approx,
            "fragments": self.fragments,
            "verdict": self.verdict.label,
            "reason": self.reason,
        }


@dataclass(frozen=True, slots=True)
class ImageMatch:
    """One protected image (or registered mark) found in a screened image.

    ``kind``: ``copy`` (the work, whole or in part, after resizing, re-encoding, colour changes,
    crops, flips, rotations or overlays), ``mark`` (a registered logo or watermark of the work
    inside the output), ``style`` (an experimental style-descriptor likeness: never more than
    ``review``, since a style is an idea, not protected expression) or ``similar`` (near by hash or
    learned descriptor, not confirmed: no region). ``work_polygon`` is the copied region in pixels
    of the work's original file; ``output_polygon`` where it is in the screened image, in its pixels
    (see the module docstring for the convention). ``scores`` are the stages that found and
    confirmed the match, in the order they ran, e.g. ``(("pdq_distance", 12.0), ("inliers", 143.0),
    ("inlier_ratio", 0.71))``: PDQ distance in bits of 256, feature inliers as a count, ratios and
    cosines in ``[0, 1]``. ``work_coverage`` / ``output_coverage`` are the polygons' areas over each
    image's area.
    """

    work: Work
    kind: str
    output_polygon: tuple[tuple[float, float], ...]
    work_polygon: tuple[tuple[float, float], ...]
    output_coverage: float
    work_coverage: float
    scores: tuple[tuple[str, float], ...]
    matcher: str
    flipped: bool = False
    verdict: Verdict = Verdict.REVIEW
    reason: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "work": self.work.to_dict(),
            "kind": self.kind,
            # + 0.0: a coordinate rounding to zero from below is 0.0, not -0.0
            "output_region": {"polygon": [[round(x, 1) + 0.0, round(y, 1) + 0.0]
                                          for x, y in self.output_polygon]},
            "work_region": {"polygon": [[round(x, 1) + 0.0, round(y, 1) + 0.0]
                                        for x, y in self.work_polygon]},
            "output_coverage": round(self.output_coverage, 4),
            "work_coverage": round(self.work_coverage, 4),
            "scores": {k: round(v, 4) for k, v in self.scores},
            "matcher": self.matcher,
            "flipped": self.flipped,
            "verdict": self.verdict.label,
            "reason": self.reason,
        }


@dataclass(frozen=True, slots=True)
class ScreenResult:
    """Screening of one input (a file, stdin, or one part of a mixed prose/code output)."""

    input: str
    modality: str
    language: str | None
    verdict: Verdict
    matches: tuple[Match, ...] = ()
    notes: tuple[str, ...] = ()  # e.g. "invalid UTF-8 decoded with replacement"
    image_matches: tuple[ImageMatch, ...] = ()  # modality "image": matches are these
    size: tuple[int, int] | None = None  # modality "image": (width, height) in pixels

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "input": self.input,
            "modality": self.modality,
            "language": self.language,
            "verdict": self.verdict.label,
            "notes": list(self.notes),
            "matches": [m.to_dict() for m in self.matches]
                       + [m.to_dict() for m in self.image_matches],
        }
        if self.size is not None:
            out["size"] = {"width": self.size[0], "height": self.size[1]}
        return out


@dataclass(frozen=True, slots=True)
class ScreenReport:
    """Screening of a run: the most severe verdict of its results, at least ``review`` when an
    input could not be read (its rights cannot be determined, so the run is never clean).

    ``skipped``: binary files found while walking a folder, passed over as not text or code
    (as ScanCode and licensee do); they change neither the verdict nor the exit code. A binary
    file named on its own is an ``errors`` entry.
    """

    results: tuple[ScreenResult, ...] = field(default_factory=tuple)
    errors: tuple[Skipped, ...] = ()  # inputs that could not be read (CLI exit 2)
    skipped: tuple[Skipped, ...] = ()  # binary files inside a screened folder (not errors)

    @property
    def verdict(self) -> Verdict:
        worst = max((r.verdict for r in self.results), default=Verdict.CLEAN)
        return max(worst, Verdict.REVIEW) if self.errors else worst

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "schema_version": 1, "verdict": self.verdict.label,
            "results": [r.to_dict() for r in self.results],
            "errors": [{"input": e.input, "reason": e.reason} for e in self.errors]}
        if self.skipped:  # an optional key (schema_version 1): absent when nothing was skipped
            out["skipped"] = [{"input": s.input, "reason": s.reason} for s in self.skipped]
        return out


@dataclass(frozen=True, slots=True)
class WorkInput:
    """A work as an importer hands it to the index: raw bytes plus rights metadata.

    ``work_id`` of the resulting :class:`Work` is SHA-256 of ``raw``. ``language`` is the code
    language name used by :mod:`rightsguard.fingerprint.code` (``python``, ``java``, …) or None.
    """

    raw: bytes
    title: str
    holders: tuple[str, ...]
    licence: str
    source: Source
    modality: str  # "code" | "text" | "image"
    language: str | None = None
    kind: str = "code"
    identifiers: tuple[tuple[str, str], ...] = ()
    famous: bool = False


@dataclass(frozen=True, slots=True)
class Skipped:
    """An item a batch went past, with the reason (never silently dropped)."""

    input: str
    reason: str


@dataclass(frozen=True, slots=True)
class WorkSimilarity:
    """How alike an output and a work are, as shared winnowed fingerprints (no threshold).

    ``channels``: per fingerprint stream ``(name, shared, output_prints, work_prints)`` —
    ``structure`` (the syntax tree in pre-order, identifier-agnostic, as Dolos tokenizes) and
    ``code-exact`` for code, ``text`` for prose. ``similarity`` is the mean over the streams of
    ``2 × shared / (output_prints + work_prints)``, in ``[0, 1]`` — Dolos's pair similarity
    (Maertens et al. 2022) per stream. A ranking signal for look-ups, not a verdict.
    """

    work: Work
    similarity: float
    channels: tuple[tuple[str, int, int, int], ...]


# -- audit: records, rights signals, decisions -------------------------------------------------
# One Record flows through the audit pipeline (readers -> signal extractors -> policy -> writers),
# datatrove style. Records are immutable; a step returns ``dataclasses.replace(record, ...)``.


class Modality(enum.StrEnum):
    """What an item's content is. Size units: text and code in tokens of rightsguard's text
    tokenizer (and bytes), images in pixels (and bytes)."""

    TEXT = "text"
    CODE = "code"
    IMAGE = "image"
    OTHER = "other"


class ReservationState(enum.StrEnum):
    """State of a rights reservation (opt-out) read from one carrier.

    ``unknown`` = the carrier was absent where its answer is needed (e.g. a host with no robots.txt
    record), malformed or unreadable. Profiles that need the answer turn ``unknown`` into review;
    it is never read as "not reserved"."""

    RESERVED = "reserved"
    NOT_RESERVED = "not-reserved"
    UNKNOWN = "unknown"
    #: for signals that are not a reservation (a licence, a user list hit): the value says it all
    NOT_APPLICABLE = "n/a"


class AuditVerdict(enum.StrEnum):
    """Decision for one item in one jurisdiction.

    Several rules: the most restrictive wins (exclude > review > allow)."""

    ALLOW = "allow"
    REVIEW = "review"
    EXCLUDE = "exclude"

    @property
    def severity(self) -> int:
        return {"allow": 0, "review": 1, "exclude": 2}[self.value]


@dataclass(frozen=True, slots=True)
class HostCapture:
    """One capture of a per-host rights file (``/robots.txt``, ``/.well-known/tdmrep.json``,
    ``/ai.txt``), as the host-file readers keep it and the extractors read it.

    * ``host``: lower-case host name.
    * ``status``: HTTP status of the fetch (200 for a folder file without ``robots.status``);
      None = unreachable (network error, no response) or nothing to read.
    * ``body``: raw response body (may be empty).
    * ``captured_at``: ISO 8601 UTC capture time (WARC-Date) or None.
    * ``evidence``: where the capture was read, e.g. ``"crawl.warc.gz#1234"`` or
      ``"hosts/example.com/robots.txt"``.
    * ``problem``: why a capture that exists cannot be read (a damaged WARC record, an unreadable
      file, a ``robots.status`` that holds no HTTP status); then what the file says is unknown,
      whatever ``status`` is — not an unreachable host's "disallow all" (RFC 9309 §2.3.1.4 is
      about the crawler's fetch, not our copy of it).
    """

    host: str
    status: int | None
    body: bytes = b""
    captured_at: str | None = None
    evidence: str = ""
    problem: str = ""


@dataclass(frozen=True, slots=True)
class RightsSignal:
    """One machine-readable rights signal read from one carrier, with its evidence.

    * ``kind``: what the signal is — ``robots``, ``content-signal``, ``aipref``, ``tdmrep``,
      ``noai``, ``noimageai``, ``ai-txt``, ``iptc-data-mining``, ``c2pa-training-mining``,
      ``licence``, ``licence-class``, ``list-piracy``, ``list-paywall``, ``list-dataset-for-sale``,
      ``unreadable``, ``http-status`` (a note: the response was not 2xx).
    * ``carrier``: where it was read — ``robots.txt``, ``http-header``, ``html-meta``,
      ``tdmrep.json``, ``xmp``, ``c2pa-manifest``, ``epub``, ``pdf``, ``ai.txt``, ``catalogue``,
      ``user-list``, ``file``, ``warc``.
    * ``value``: the value as read (e.g. ``"disallow /"``, ``"ai-train=no"``, ``"1"``, an SPDX
      expression, ``"non-commercial"``).
    * ``scope``: whom/what it applies to — ``*`` for everyone, a crawler token (``GPTBot``), or a
      use (``train-ai``, ``search``).
    * ``state``: :class:`ReservationState` (value string).
    * ``evidence``: where exactly — ``"robots.txt of example.com (HTTP 200, captured
      2025-01-01T00:00:00Z) line 7"``, ``"header X-Robots-Tag: noai"``, ``"file a/b.txt"``.
    * ``extractor``: dotted name of the extractor that produced it.
    """

    kind: str
    carrier: str
    value: str
    scope: str
    state: str
    evidence: str
    extractor: str

    @property
    def robots_unavailable(self) -> bool:
        """True for the ``reserved`` robots signal of a robots.txt answered with HTTP 5xx or
        not reached: "disallow all" for a crawler (RFC 9309 §2.3.1.4), not a rights holder's
        reservation, so reports count it apart from ``Disallow`` rules and blocking measures."""
        return (self.kind == "robots" and self.state == ReservationState.RESERVED
                and self.value.startswith(ROBOTS_UNAVAILABLE_VALUE))


#: Value prefix of the robots signal of a 5xx or unreachable robots.txt (then ``HTTP 503)`` or
#: ``unreachable)``); see :attr:`RightsSignal.robots_unavailable`.
ROBOTS_UNAVAILABLE_VALUE = "disallow all ("


@dataclass(frozen=True, slots=True)
class Reason:
    """Why a rule fired: the rule id (profile file + rule name), the provision it applies
    (e.g. ``"Copyright Act Art. 30-4(ii)"``), the source of that reading (statute URL, guidance,
    case) and the evidence (the signal or fact that triggered it)."""

    rule: str
    provision: str
    source: str
    evidence: str


@dataclass(frozen=True, slots=True)
class Decision:
    """The policy decision for one item in one jurisdiction (``JP``, ``EU``, ``UK``, ``US``,
    ``SG`` or a user profile's name). ``verdict`` is an :class:`AuditVerdict` value."""

    jurisdiction: str
    verdict: str
    reasons: tuple[Reason, ...] = ()


@dataclass(frozen=True, slots=True)
class Record:
    """One item read from a corpus, flowing through the audit pipeline.

    * ``id``: stable across runs — ``"<reader>:<input path>#<position>"`` (a WARC record's byte
      offset, a JSONL line number (1-based), a Parquet row index, a relative file path).
    * ``source``: the item's URL (WARC target URI, catalogue ``url`` column) or file path.
    * ``host`` / ``domain``: lower-case host and registrable domain (publicsuffixlist), None for
      local files without a URL.
    * ``content_hash``: SHA-256 hex of the raw content bytes (the screening registry's work id).
    * ``size_bytes``; ``size_tokens`` (text/code, rightsguard text tokenizer), ``size_pixels``
      (images, width × height).
    * ``media_type``: e.g. ``text/html``; ``captured_at``: ISO 8601 UTC capture time (WARC-Date)
      or None.
    * ``headers``: HTTP response headers as (name, value) pairs in order (names as sent).
    * ``content``: the raw body bytes (None once a writer no longer needs them).
    * ``fields``: reader-specific metadata (catalogue columns other than the content, e.g.
      ``licence``, ``title``), JSON-serialisable values.
    * ``origin``: how to write the item back in its input's format — the reader name and whatever
      it needs (``{"format": "warc", "path": ..., "offset": ...}``).
    * ``signals`` / ``decisions``: filled by the extractors and the policy step.
    * ``error``: set when the item could not be read (``"truncated gzip member at byte 1234"``);
      such an item still flows on and is decided ``review``.
    """

    id: str
    source: str
    modality: str
    content_hash: str = ""
    host: str | None = None
    domain: str | None = None
    size_bytes: int = 0
    size_tokens: int | None = None
    size_pixels: int | None = None
    media_type: str | None = None
    captured_at: str | None = None
    headers: tuple[tuple[str, str], ...] = ()
    content: bytes | None = None
    fields: dict[str, Any] = field(default_factory=dict)
    origin: dict[str, Any] = field(default_factory=dict)
    signals: tuple[RightsSignal, ...] = ()
    decisions: tuple[Decision, ...] = ()
    error: str | None = None


class Purpose(enum.StrEnum):
    """Intended use of the corpus (the ``--purpose`` flag); law.md §7 use cases U1–U5."""

    ANALYSIS = "analysis"  # U1 information analysis / non-generative TDM
    TRAIN_GENERAL = "train-general"  # U2 training a general generative model
    RESEARCH = "research"  # U3 training by a research organisation
    IMITATE_CREATOR = "imitate-creator"  # U4 fine-tune/LoRA imitating a specific creator
    RAG_EXCERPTS = "rag-excerpts"  # U5 retrieval-augmented generation that outputs excerpts


@dataclass(frozen=True, slots=True)
class Use:
    """The intended use an audit decides for: purpose, commercial or not, actor
    (``company`` | ``research-organisation``) and the user's own crawler tokens (``--agent``)."""

    purpose: Purpose = Purpose.TRAIN_GENERAL
    commercial: bool = True
    actor: str = "company"
    agents: tuple[str, ...] = ()
