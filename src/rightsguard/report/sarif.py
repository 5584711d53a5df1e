"""The SARIF 2.1.0 report, for GitHub code scanning and other SARIF viewers.

One run; ``tool.driver`` is ``rightsguard`` with one rule per verdict (``rightsguard/block``,
``rightsguard/review``, ``rightsguard/attribute`` and ``rightsguard/clean`` for reproductions the
policy allows without conditions); one result per :class:`~rightsguard.model.Match`:

* ``level``: ``error`` (block), ``warning`` (review), ``note`` (attribute), ``none`` (clean).
* ``locations[0]``: the screened input, region ``startLine``/``startColumn``/``endLine``/
  ``endColumn`` (1-based; ``endColumn`` just after the last code point) and
  ``charOffset``/``charLength`` in Unicode code points (``run.columnKind`` is
  ``unicodeCodePoints``), i.e. ``charOffset == output_span.start``.
* ``relatedLocations``: each recorded source of the work (its URI; repository, commit and path in
  the location's properties) with the work span as region.
* ``partialFingerprints["rightsguard/match/v1"]``: SHA-256 of (input, work id, output span), so a
  viewer can follow one reproduction across runs.
* ``properties``: the match as :meth:`Match.to_dict` builds it (the JSON report's units).

Image matches (:class:`~rightsguard.model.ImageMatch`) are results too, with the same rules and
levels: SARIF regions address text or bytes, not pixels, so the location is the image file with no
region; the message names where (the output polygon's bounding box in pixels, the share of each
image); ``properties`` is :meth:`ImageMatch.to_dict` (both polygons in pixels);
``relatedLocations`` are the work's sources without a region; the fingerprint hashes (input, work
id, kind, output polygon rounded to pixels).

``invocations[0].toolExecutionNotifications`` holds one ``error`` notification per input that
could not be read (missing, binary, over the size limit; the message names the file and the
problem, the location is the input) and one ``note`` per note on a screened input (for example
invalid UTF-8 decoded with replacement). ``executionSuccessful`` is false when any input could
not be read; the run's verdict (``run.properties.verdict``) is then at least ``review``, and
``run.properties.errors`` lists the errors as the JSON report does. Binary files skipped while
walking a folder are no errors: ``run.properties.skipped`` lists them, as the JSON report does,
only when there are some.

Relative input paths are resolved against ``base_uri`` (uriBaseId ``SRCROOT``) when one is given,
otherwise they are left relative (GitHub reads them as relative to the repository root).
"""

from __future__ import annotations

import hashlib
import os
from typing import Any
from urllib.parse import quote

from rightsguard.model import (
    ImageMatch,
    Match,
    ScreenReport,
    ScreenResult,
    Source,
    Span,
    Verdict,
)
from rightsguard.report._words import holders_phrase

__all__ = ["SARIF_SCHEMA_URI", "to_sarif"]

SARIF_SCHEMA_URI = (
    "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
)
_BASE_ID = "SRCROOT"
_FINGERPRINT_KEY = "rightsguard/match/v1"

_LEVELS: dict[Verdict, str] = {
    Verdict.BLOCK: "error",
    Verdict.REVIEW: "warning",
    Verdict.ATTRIBUTE: "note",
    Verdict.CLEAN: "none",
}

# (verdict, rule name, short description, help text); the order gives each rule's index.
_RULES: tuple[tuple[Verdict, str, str, str], ...] = (
    (
        Verdict.BLOCK,
        "ReproductionBlocked",
        "The output reproduces a protected work and policy blocks it.",
        "The output reproduces a protected work at a length or coverage the policy does not allow "
        "(for example copyleft or proprietary code over the length threshold, or most of a song's "
        "lyrics). Remove or rewrite the reported span, or obtain a licence from the holders, "
        "before the output is used.",
    ),
    (
        Verdict.REVIEW,
        "ReproductionNeedsReview",
        "The output reproduces a protected work; a person should decide.",
        "The output reproduces a protected work and the policy cannot decide on its own (for "
        "example an unknown licence, NOASSERTION, or an approximate match). Check the reported "
        "span against the source, then rewrite it, attribute it, or record why it may stay.",
    ),
    (
        Verdict.ATTRIBUTE,
        "ReproductionNeedsAttribution",
        "The output reproduces a work whose licence allows reuse with attribution.",
        "The output reproduces a work whose licence permits reuse on condition of attribution. "
        "Keep the span only together with the attribution notice: the work's title, holders, "
        "licence and source, as printed in the result message.",
    ),
    (
        Verdict.CLEAN,
        "ReproductionAllowed",
        "The output reproduces a work the policy allows without conditions.",
        "The output reproduces a work that the policy allows without conditions (for example a "
        "public-domain text). Reported for the record; no action is needed.",
    ),
)
_RULE_INDEX: dict[Verdict, int] = {verdict: i for i, (verdict, *_rest) in enumerate(_RULES)}


def _rule_id(verdict: Verdict) -> str:
    return f"rightsguard/{verdict.label}"


def _rules() -> list[dict[str, Any]]:
    return [
        {
            "id": _rule_id(verdict),
            "name": name,
            "shortDescription": {"text": short},
            "fullDescription": {"text": help_text},
            "help": {"text": help_text, "markdown": help_text},
            "defaultConfiguration": {"level": _LEVELS[verdict]},
            "properties": {"tags": ["copyright", "reproduction"]},
        }
        for verdict, name, short, help_text in _RULES
    ]


def _is_uri(value: str) -> bool:
    scheme, sep, _rest = value.partition("://")
    return bool(sep) and scheme.isascii() and scheme.replace("+", "").replace("-", "").isalnum()


def _artifact_location(input_name: str, base_uri: str | None) -> dict[str, Any]:
    """A SARIF artifactLocation for a screened input (a path, a URI, or a name like ``<stdin>``)."""
    if _is_uri(input_name):
        return {"uri": input_name}
    if input_name.startswith("/"):
        return {"uri": "file://" + quote(os.fsencode(input_name))}
    # percent-encoded bytes: a file name that is not UTF-8 keeps its bytes (RFC 3986 §2.1)
    location: dict[str, Any] = {"uri": quote(os.fsencode(input_name.removeprefix("./")))}
    if base_uri is not None:
        location["uriBaseId"] = _BASE_ID
    return location


def _message(match: Match) -> str:
    work = match.work
    text = (
        f"Reproduces “{work.title}” by {holders_phrase(work.holders)}, licensed {work.licence} "
        f"({work.licence_category.value}): {match.matched_chars_nows} non-whitespace characters, "
        f"{match.matched_tokens} tokens (longest run {match.longest_run_tokens}), "
        f"{match.output_coverage:.1%} of the output and {match.work_coverage:.1%} of the work; "
        f"{match.kind} match on the {match.channel} channel"
    )
    if match.approx:
        text += " (span ends approximate)"
    text += f". Verdict {match.verdict.label}"
    if match.reason:
        text += f": {match.reason}"
    return text + "."


def _source_text(work_title: str, source: Source) -> str:
    if source.repository and source.path:
        at = f"@{source.commit}" if source.commit else ""
        return f"Source of “{work_title}”: {source.repository}{at}:{source.path}"
    return f"Source of “{work_title}”: {source.uri}"


def _region(span: Span) -> dict[str, int]:
    """A SARIF region of ``span`` by both its text properties (lines and columns, 1-based code
    points; ``endColumn`` exclusive) and its offset properties, which SARIF 2.1.0 §3.30.1
    requires to agree: lines alone stand for whole lines."""
    return {"startLine": span.start_line, "startColumn": span.start_column,
            "endLine": span.end_line, "endColumn": span.end_column,
            "charOffset": span.start, "charLength": span.end - span.start}


def _related_locations(match: Match) -> list[dict[str, Any]]:
    span = match.work_span
    related = []
    for i, source in enumerate(match.work.sources, start=1):
        location: dict[str, Any] = {
            "id": i,
            "physicalLocation": {
                "artifactLocation": {"uri": source.uri},
                "region": _region(span),
            },
            "message": {"text": _source_text(match.work.title, source)},
        }
        extra = {k: v for k, v in source.to_dict().items() if k != "uri"}
        if extra:
            location["properties"] = extra
        related.append(location)
    return related


def _fingerprint(input_name: str, match: Match) -> str:
    key = "\0".join(
        (input_name, match.work.work_id, str(match.output_span.start), str(match.output_span.end))
    )
    return hashlib.sha256(key.encode("utf-8", "surrogateescape")).hexdigest()


def _result(result: ScreenResult, match: Match, base_uri: str | None) -> dict[str, Any]:
    span = match.output_span
    sarif_result: dict[str, Any] = {
        "ruleId": _rule_id(match.verdict),
        "ruleIndex": _RULE_INDEX[match.verdict],
        "level": _LEVELS[match.verdict],
        "message": {"text": _message(match)},
        "locations": [
            {
                "physicalLocation": {
                    "artifactLocation": _artifact_location(result.input, base_uri),
                    "region": _region(span),
                }
            }
        ],
        "partialFingerprints": {_FINGERPRINT_KEY: _fingerprint(result.input, match)},
        "properties": match.to_dict(),
    }
    related = _related_locations(match)
    if related:
        sarif_result["relatedLocations"] = related
    return sarif_result


def _image_result(result: ScreenResult, match: ImageMatch, base_uri: str | None
                  ) -> dict[str, Any]:
    work = match.work
    xs = [x for x, _y in match.output_polygon] or [0.0]
    ys = [y for _x, y in match.output_polygon] or [0.0]
    where = (f"pixels x {min(xs):.0f}–{max(xs):.0f}, y {min(ys):.0f}–{max(ys):.0f}, "
             f"{match.output_coverage:.1%} of the image and {match.work_coverage:.1%} of the work"
             if match.output_polygon else "no region (unconfirmed)")
    text = (f"{'Contains the registered mark of' if match.kind == 'mark' else 'Reproduces'} "
            f"“{work.title}” by {holders_phrase(work.holders)}, licensed {work.licence} "
            f"({work.licence_category.value}): {match.kind} match ({match.matcher}"
            f"{', mirrored' if match.flipped else ''}) at {where}. "
            f"Verdict {match.verdict.label}" + (f": {match.reason}" if match.reason else "") + ".")
    key = "\0".join((result.input, work.work_id, match.kind,
                     *(f"{round(x)},{round(y)}" for x, y in match.output_polygon)))
    sarif_result: dict[str, Any] = {
        "ruleId": _rule_id(match.verdict),
        "ruleIndex": _RULE_INDEX[match.verdict],
        "level": _LEVELS[match.verdict],
        "message": {"text": text},
        "locations": [{"physicalLocation": {
            "artifactLocation": _artifact_location(result.input, base_uri)}}],
        "partialFingerprints": {
            _FINGERPRINT_KEY: hashlib.sha256(key.encode("utf-8", "surrogateescape")).hexdigest()},
        "properties": match.to_dict(),
    }
    related = [{"id": i, "physicalLocation": {"artifactLocation": {"uri": source.uri}},
                "message": {"text": _source_text(work.title, source)}}
               for i, source in enumerate(work.sources, start=1)]
    if related:
        sarif_result["relatedLocations"] = related
    return sarif_result


def _notifications(report: ScreenReport, base_uri: str | None) -> list[dict[str, Any]]:
    errors = [
        {
            "level": "error",
            "message": {"text": f"Not screened (rights cannot be determined): {e.reason}"},
            "locations": [
                {"physicalLocation": {"artifactLocation": _artifact_location(e.input, base_uri)}}
            ],
        }
        for e in report.errors
    ]
    notes = [
        {
            "level": "note",
            "message": {"text": note},
            "locations": [
                {"physicalLocation": {"artifactLocation": _artifact_location(r.input, base_uri)}}
            ],
        }
        for r in report.results
        for note in r.notes
    ]
    return errors + notes


def to_sarif(
    report: ScreenReport, *, tool_version: str, base_uri: str | None = None
) -> dict[str, Any]:
    """Render ``report`` as a SARIF 2.1.0 log (a JSON-ready dict; ``json.dumps`` it to write).

    ``tool_version`` is rightsguard's version string. ``base_uri`` is the absolute URI relative
    input paths are resolved against (for example ``file:///home/ci/checkout/``); a missing
    trailing slash is added, as SARIF requires, and a local path is taken as its ``file://`` URI
    (SARIF 2.1.0: the URIs of ``originalUriBaseIds`` must be absolute).
    """
    if base_uri is not None and "://" not in base_uri:
        from pathlib import Path

        base_uri = Path(base_uri).expanduser().resolve().as_uri()
    run: dict[str, Any] = {
        "tool": {
            "driver": {
                "name": "rightsguard",
                "version": tool_version,
                "rules": _rules(),
            }
        },
        "columnKind": "unicodeCodePoints",
        "results": [
            *(_result(result, match, base_uri)
              for result in report.results
              for match in result.matches),
            *(_image_result(result, match, base_uri)
              for result in report.results
              for match in result.image_matches),
        ],
        "properties": {
            "schema_version": 1,
            "verdict": report.verdict.label,
            "inputs": [
                {
                    "input": r.input,
                    "modality": r.modality,
                    "language": r.language,
                    "verdict": r.verdict.label,
                    "matches": len(r.matches) + len(r.image_matches),
                }
                for r in report.results
            ],
            "errors": [{"input": e.input, "reason": e.reason} for e in report.errors],
        },
    }
    if report.skipped:
        run["properties"]["skipped"] = [{"input": s.input, "reason": s.reason}
                                        for s in report.skipped]
    if base_uri is not None:
        run["originalUriBaseIds"] = {
            _BASE_ID: {"uri": base_uri if base_uri.endswith("/") else base_uri + "/"}
        }
    notifications = _notifications(report, base_uri)
    if notifications:
        run["invocations"] = [
            {
                "executionSuccessful": not report.errors,
                "toolExecutionNotifications": notifications,
            }
        ]
    return {"$schema": SARIF_SCHEMA_URI, "version": "2.1.0", "runs": [run]}
