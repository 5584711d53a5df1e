"""Licence signals: SPDX expressions, ScanCode categories, licence texts, copyright holders.

Sources of every rule in this module:

* Expression syntax and identifiers: the SPDX License List and SPDX specification annex D, as
  implemented by the ``license-expression`` package (``get_spdx_licensing()``).
* Categories, licence owners (stewards) and reference texts: the ScanCode LicenseDB, read from the
  ``licensedcode/data/licenses/*.LICENSE`` files shipped by ``licensedcode-data`` (YAML front
  matter with ``key``, ``category``, ``owner``, ``spdx_license_key``, ``other_spdx_license_keys``,
  ``is_exception``, ``is_deprecated``; the licence text follows the closing ``---``).
* Licence-text detection: ``licenseclassifier`` by default (measured against askalono and ScanCode
  in ``docs/licence-detection.md``); ScanCode is available as an optional detector.
* Copyright notices: a line-based pattern (there is no standard format; see
  :func:`copyright_holders`).

The ScanCode DB is loaded once per process by :func:`licence_db` (a cached factory around
:meth:`LicenceDB.load`); queries are dict look-ups.
"""

from __future__ import annotations

import abc
import functools
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rightsguard.errors import LicenceError
from rightsguard.model import ALL_RIGHTS_RESERVED, RESERVED_REFS, LicenceCategory

__all__ = [
    "ALL_RIGHTS_RESERVED",
    "RESERVED_REFS",
    "LicenceDB",
    "LicenceDetection",
    "LicenceDetector",
    "LicenceEntry",
    "LicenseClassifierDetector",
    "ScancodeDetector",
    "category_of",
    "common_licence_keys",
    "copyright_holders",
    "default_detector",
    "detect_licence_text",
    "licence_db",
    "licence_text",
    "normalise_expression",
    "notice_holders",
    "reserves_all_rights",
    "spdx_identifiers",
    "steward_of",
]

# --------------------------------------------------------------------------------------------
# SPDX expressions
# --------------------------------------------------------------------------------------------

#: Identifiers SPDX allows that are not on the licence list (SPDX spec 2.3, annex D and 7.13).
_SPECIAL_KEYS = frozenset({"NOASSERTION", "NONE"})
_REF_PREFIXES = ("LicenseRef-", "DocumentRef-")

# Defined in rightsguard.model (screening reads them without loading this module).
_RESERVED_REF = re.compile(r"\bLicenseRef-(?:All-Rights-Reserved|Proprietary)\b(?![.+-])",
                           re.IGNORECASE)


@functools.cache
def _licensing() -> Any:
    """The ``license-expression`` SPDX licensing object (built once; ~20 ms)."""
    from license_expression import get_spdx_licensing

    return get_spdx_licensing()


def _is_free_form(key: str) -> bool:
    return key.upper() in _SPECIAL_KEYS or key.startswith(_REF_PREFIXES)


def _parse(text: str, *, allow_unknown: bool) -> Any:
    """Parse ``text`` as an SPDX expression; raise :class:`LicenceError` naming the value."""
    from license_expression import ExpressionError

    if not text or not text.strip():
        raise LicenceError(f"licence expression {text!r} is empty; expected an SPDX expression")
    licensing = _licensing()
    try:
        parsed = licensing.parse(text, validate=False, strict=True)
    except ExpressionError as exc:
        raise LicenceError(
            f"licence expression {text!r} cannot be parsed as SPDX: {exc}"
        ) from None
    if parsed is None:
        raise LicenceError(f"licence expression {text!r} is empty; expected an SPDX expression")
    if not allow_unknown:
        unknown = [k for k in licensing.unknown_license_keys(parsed) if not _is_free_form(k)]
        if unknown:
            raise LicenceError(
                f"licence expression {text!r} has identifiers not on the SPDX licence list: "
                f"{', '.join(unknown)}; allowed are SPDX ids, NOASSERTION, NONE and "
                f"LicenseRef-…/DocumentRef-… references ({ALL_RIGHTS_RESERVED} for all rights "
                "reserved)"
            )
    return parsed


def normalise_expression(text: str) -> str:
    """Return the normalised SPDX rendering of a licence expression.

    Case is fixed to the SPDX list (``mit`` → ``MIT``), deprecated ids are replaced by their
    successors (``GPL-3.0`` → ``GPL-3.0-only``, ``GPL-2.0+`` → ``GPL-2.0-or-later``), operators are
    upper-cased and parentheses kept only where needed. ``NOASSERTION``, ``NONE`` and
    ``LicenseRef-…``/``DocumentRef-…`` references are accepted as they are, except that the
    all-rights-reserved ids of :data:`RESERVED_REFS` get their canonical spelling
    (``LicenseRef-proprietary`` → ``LicenseRef-Proprietary``).

    Raises:
        LicenceError: ``text`` is empty, is not valid expression syntax, uses a licence where an
            exception belongs (``MIT WITH GPL-3.0-only``), or names an identifier that is not on
            the SPDX licence list. The message names the value and what is allowed.
    """
    rendered: str = _parse(text, allow_unknown=False).render()
    return _RESERVED_REF.sub(lambda m: RESERVED_REFS[m.group(0).lower()], rendered)


# --------------------------------------------------------------------------------------------
# ScanCode LicenseDB
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class LicenceEntry:
    """One licence (or exception) of the ScanCode LicenseDB.

    ``category`` is ScanCode's raw category (e.g. ``"Copyleft Limited"``); ``text_offset`` is the
    character offset in ``path`` where the licence text starts (after the front matter).
    """

    key: str
    name: str
    category: str
    owner: str | None
    spdx_key: str | None
    other_spdx_keys: tuple[str, ...]
    is_exception: bool
    is_deprecated: bool
    path: Path
    text_offset: int


_FRONT_SCALAR = re.compile(r"^([a-z_]+):[ \t]*(.*?)[ \t]*$")
_FRONT_ITEM = re.compile(r"^[ \t]+-[ \t]+(.*?)[ \t]*$")


def _unquote(value: str) -> str:
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
        return value[1:-1]
    return value


def _parse_licence_file(path: Path) -> LicenceEntry | None:
    """Read the front matter of one ``.LICENSE`` file (top-level scalars and the one list we use).

    The front matter is a YAML mapping between two ``---`` lines; only plain one-line scalars and
    the ``other_spdx_license_keys`` list are read, which is all this module needs and avoids a
    YAML dependency (ScanCode writes these files with ``saneyaml``: one key per line).
    """
    raw = path.read_text(encoding="utf-8")
    if not raw.startswith("---"):
        return None
    end = raw.find("\n---", 3)
    if end < 0:
        return None
    fields: dict[str, str] = {}
    others: list[str] = []
    current: str | None = None
    for line in raw[3:end].splitlines():
        scalar = _FRONT_SCALAR.match(line)
        if scalar:
            current = scalar.group(1)
            fields[current] = _unquote(scalar.group(2))
            continue
        item = _FRONT_ITEM.match(line)
        if item and current == "other_spdx_license_keys":
            others.append(_unquote(item.group(1)))
    key = fields.get("key")
    if not key:
        return None
    text_start = raw.find("\n", end + 4)
    return LicenceEntry(
        key=key,
        name=fields.get("name") or fields.get("short_name") or key,
        category=fields.get("category", ""),
        owner=fields.get("owner") or None,
        spdx_key=fields.get("spdx_license_key") or None,
        other_spdx_keys=tuple(others),
        is_exception=fields.get("is_exception") == "yes",
        is_deprecated=fields.get("is_deprecated") == "yes",
        path=path,
        text_offset=len(raw) if text_start < 0 else text_start + 1,
    )


def _licences_dir() -> Path:
    """Locate ``licensedcode/data/licenses`` (``licensedcode`` is a namespace package)."""
    try:
        import licensedcode
    except ImportError:
        raise LicenceError(
            "the ScanCode licence DB is not installed; install it with "
            "`pip install licensedcode-data`"
        ) from None
    for root in licensedcode.__path__:
        candidate = Path(root) / "data" / "licenses"
        if candidate.is_dir():
            return candidate
    raise LicenceError(
        f"no data/licenses folder under licensedcode ({list(licensedcode.__path__)}); "
        "reinstall licensedcode-data"
    )


class LicenceDB:
    """The ScanCode LicenseDB indexed by SPDX id (case-insensitive) and by ScanCode key.

    Build it with :meth:`load` (reads ~2,300 small files, ~0.2 s) or get the process-wide instance
    from :func:`licence_db`. Look-ups are dict look-ups. Each SPDX id maps to the non-deprecated
    entry whose ``spdx_license_key`` or ``other_spdx_license_keys`` names it; ScanCode-only
    licences are also reachable as ``LicenseRef-scancode-<key>``.
    """

    __slots__ = ("_by_key", "_by_spdx", "data_dir")

    def __init__(self, entries: Iterable[LicenceEntry], data_dir: Path | None = None) -> None:
        self.data_dir = data_dir
        self._by_key: dict[str, LicenceEntry] = {}
        self._by_spdx: dict[str, LicenceEntry] = {}
        # Primary ids of live entries win over aliases, which win over deprecated entries.
        ranked: list[tuple[int, str, LicenceEntry]] = []
        for entry in entries:
            self._by_key[entry.key.lower()] = entry
            penalty = 10 if entry.is_deprecated else 0
            if entry.spdx_key:
                ranked.append((penalty, entry.spdx_key, entry))
            ranked.extend((penalty + 1, alias, entry) for alias in entry.other_spdx_keys)
            ranked.append((penalty + 2, f"LicenseRef-scancode-{entry.key}", entry))
        for _, spdx, entry in sorted(ranked, key=lambda r: r[0], reverse=True):
            self._by_spdx[spdx.upper()] = entry

    @classmethod
    def load(cls, data_dir: Path | None = None) -> LicenceDB:
        """Read every ``*.LICENSE`` file of ``data_dir`` (default: the installed licensedcode-data).

        Raises:
            LicenceError: the licensedcode-data package is missing or has no licences folder.
        """
        folder = data_dir if data_dir is not None else _licences_dir()
        entries = [e for p in sorted(folder.glob("*.LICENSE")) if (e := _parse_licence_file(p))]
        if not entries:
            raise LicenceError(f"no *.LICENSE files with front matter in {folder}")
        return cls(entries, folder)

    def __len__(self) -> int:
        return len(self._by_key)

    def get(self, licence_key: str) -> LicenceEntry | None:
        """The entry for an SPDX id (any case) or a ScanCode key, or ``None`` if unknown."""
        key = licence_key.strip()
        return self._by_spdx.get(key.upper()) or self._by_key.get(key.lower())

    def entries(self) -> Iterator[LicenceEntry]:
        """Every entry, in ScanCode key order."""
        return iter(sorted(self._by_key.values(), key=lambda e: e.key))

    def text(self, licence_key: str) -> str:
        """The reference text of a licence (front matter removed).

        Raises:
            LicenceError: the key is neither an SPDX id nor a ScanCode key in the DB.
        """
        entry = self.get(licence_key)
        if entry is None:
            raise LicenceError(
                f"licence {licence_key!r} is not in the ScanCode LicenseDB; use an SPDX id "
                "such as 'Apache-2.0' or a ScanCode key such as 'apache-2.0'"
            )
        return entry.path.read_text(encoding="utf-8")[entry.text_offset :].lstrip("\n")


@functools.cache
def licence_db() -> LicenceDB:
    """The process-wide :class:`LicenceDB`, loaded on first use and kept warm."""
    return LicenceDB.load()


# --------------------------------------------------------------------------------------------
# Categories
# --------------------------------------------------------------------------------------------

#: ScanCode category → rightsguard category. Source: ScanCode LicenseDB category definitions
#: (https://scancode-licensedb.aboutcode.org/help.html#license-categories). "Proprietary Free",
#: "Commercial", "Source-available", "Patent License" and "Free Restricted" all restrict use or
#: redistribution beyond open-source terms, so rightsguard treats them as proprietary; "CLA" (a
#: contributor agreement, not an outbound licence) and "Unstated License" say nothing usable.
SCANCODE_CATEGORIES: Mapping[str, LicenceCategory] = {
    "Permissive": LicenceCategory.PERMISSIVE,
    "Copyleft": LicenceCategory.COPYLEFT,
    "Copyleft Limited": LicenceCategory.COPYLEFT_LIMITED,
    "Proprietary Free": LicenceCategory.PROPRIETARY,
    "Commercial": LicenceCategory.PROPRIETARY,
    "Source-available": LicenceCategory.PROPRIETARY,
    "Patent License": LicenceCategory.PROPRIETARY,
    "Free Restricted": LicenceCategory.PROPRIETARY,
    "Public Domain": LicenceCategory.PUBLIC_DOMAIN,
    "Unstated License": LicenceCategory.UNKNOWN,
    "CLA": LicenceCategory.UNKNOWN,
}

#: Restrictiveness, least to most. ``unknown`` is the most restrictive: nothing can be cleared.
RESTRICTIVENESS: tuple[LicenceCategory, ...] = (
    LicenceCategory.PUBLIC_DOMAIN,
    LicenceCategory.PERMISSIVE,
    LicenceCategory.COPYLEFT_LIMITED,
    LicenceCategory.COPYLEFT,
    LicenceCategory.PROPRIETARY,
    LicenceCategory.UNKNOWN,
)
_RANK = {c: i for i, c in enumerate(RESTRICTIVENESS)}


def _symbol_category(key: str, db: LicenceDB) -> LicenceCategory:
    if key.lower() in RESERVED_REFS:
        return LicenceCategory.PROPRIETARY
    entry = db.get(key)
    if entry is None:
        return LicenceCategory.UNKNOWN
    return SCANCODE_CATEGORIES.get(entry.category, LicenceCategory.UNKNOWN)


def _node_category(node: Any, db: LicenceDB) -> LicenceCategory:
    from license_expression import LicenseSymbol, LicenseWithExceptionSymbol

    licensing = _licensing()
    if isinstance(node, LicenseWithExceptionSymbol):
        parts = [
            _symbol_category(node.license_symbol.key, db),
            _symbol_category(node.exception_symbol.key, db),
        ]
        return max(parts, key=_RANK.__getitem__)
    if isinstance(node, LicenseSymbol):
        return _symbol_category(node.key, db)
    children = [_node_category(arg, db) for arg in node.args]
    if isinstance(node, licensing.OR):
        return min(children, key=_RANK.__getitem__)
    return max(children, key=_RANK.__getitem__)


def category_of(expression: str, db: LicenceDB | None = None) -> LicenceCategory:
    """Fold an SPDX expression to one :class:`~rightsguard.model.LicenceCategory`.

    Each licence id is looked up in the ScanCode LicenseDB and its category folded by
    :data:`SCANCODE_CATEGORIES`: Permissive → permissive; Copyleft → copyleft; Copyleft Limited →
    copyleft-limited; Proprietary Free, Commercial, Source-available, Patent License and Free
    Restricted → proprietary; Public Domain → public-domain; Unstated License, CLA, ids missing
    from the DB, ``LicenseRef-…`` unknown to ScanCode, ``NOASSERTION`` and ``NONE`` → unknown.
    rightsguard's all-rights-reserved ids (:data:`RESERVED_REFS`: ``LicenseRef-All-Rights-
    Reserved``, ``LicenseRef-Proprietary``, any case) → proprietary (``docs/licences.md``).

    Compound expressions use the order of :data:`RESTRICTIVENESS` (least to most restrictive):
    public-domain < permissive < copyleft-limited < copyleft < proprietary < unknown.
    ``A OR B`` takes the least restrictive operand (the licensee may pick); ``A AND B`` and
    ``L WITH E`` take the most restrictive (all terms apply; an exception never lowers the
    category here, which is the conservative reading: ``GPL-2.0-only WITH Classpath-exception-2.0``
    is copyleft).

    Unknown identifiers are not an error here (they fold to unknown).

    Raises:
        LicenceError: ``expression`` is empty or not valid SPDX expression syntax.
    """
    parsed = _parse(expression, allow_unknown=True)
    return _node_category(parsed, db if db is not None else licence_db())


# --------------------------------------------------------------------------------------------
# SPDX-License-Identifier lines
# --------------------------------------------------------------------------------------------

_SPDX_LINE = re.compile(r"SPDX-License-Identifier:[ \t]*(?P<expr>[^\r\n]*)")
#: Comment closers and string delimiters that may trail the expression on the same line.
_TRAILERS = re.compile(r"[ \t]*(\*/|-->|--%>|%>|#\}|\*\)|-\}|\"\"\"|'''|[\"';,])+[ \t]*$")


def spdx_identifiers(text: str) -> list[tuple[str, int]]:
    """Every ``SPDX-License-Identifier:`` tag in ``text`` as ``(normalised expression, line)``.

    Lines are 1-based. The expression runs to the end of the line, less trailing comment closers
    (``*/``, ``-->``, ``#}``, ``*)``, ``-}``) and string delimiters. Source: SPDX specification
    2.3, annex E ("Using SPDX short identifiers in source files").

    Raises:
        LicenceError: one or more tags hold an invalid expression; the message lists every bad
            tag with its line number (all problems at once).
    """
    found: list[tuple[str, int]] = []
    problems: list[str] = []
    for number, line in enumerate(text.splitlines(), start=1):
        match = _SPDX_LINE.search(line)
        if match is None:
            continue
        raw = _TRAILERS.sub("", match.group("expr")).strip()
        try:
            found.append((normalise_expression(raw), number))
        except LicenceError as exc:
            problems.append(f"line {number}: {exc}")
    if problems:
        raise LicenceError("invalid SPDX-License-Identifier tags: " + "; ".join(problems))
    return found


# --------------------------------------------------------------------------------------------
# Licence-text detection
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class LicenceDetection:
    """The licence found in a LICENSE/COPYING/NOTICE text.

    ``expression`` is a normalised SPDX expression (several licences found in one file are joined
    with ``AND``, in order of first appearance); ``score`` is in ``[0, 1]`` (the detector's
    coverage or match score); ``detector`` names the detector and its version.
    """

    expression: str
    score: float
    detector: str


class LicenceDetector(abc.ABC):
    """A licence-text detector. Construction fails with an install hint if its package is absent."""

    name: str

    @abc.abstractmethod
    def detect(self, text: str) -> LicenceDetection | None:
        """The licence(s) of ``text``, or ``None`` if no licence text is recognised."""


#: Python-2.0 / Python-2.0.1 are the whole CPython licence stack, whose first agreement is the
#: PSF License Agreement (SPDX ``PSF-2.0``); when that agreement's heading is in the text, the
#: detection names ``PSF-2.0`` as well. Source: SPDX licence list entries Python-2.0.1, PSF-2.0.
_PSF_HEADING = re.compile(r"PYTHON SOFTWARE FOUNDATION LICENSE VERSION 2", re.IGNORECASE)
_PYTHON_STACK = frozenset({"Python-2.0", "Python-2.0.1"})


def _join(ids: Iterable[str], text: str) -> str:
    ordered: list[str] = []
    for key in ids:
        if key not in ordered:
            ordered.append(key)
        if key in _PYTHON_STACK and _PSF_HEADING.search(text) and "PSF-2.0" not in ordered:
            ordered.append("PSF-2.0")
    joined = " AND ".join(f"({k})" if " " in k else k for k in ordered)
    try:
        return normalise_expression(joined)
    except LicenceError:
        return _parse(joined, allow_unknown=True).render()  # type: ignore[no-any-return]


class LicenseClassifierDetector(LicenceDetector):
    """``licenseclassifier`` (pure Python, no dependencies; the default).

    Reports every licence region covering the text (default coverage threshold 75 %); ``score`` is
    the fraction of non-blank characters inside matched regions.
    """

    def __init__(self, coverage_threshold: float | None = None) -> None:
        try:
            import licenseclassifier
        except ImportError:
            raise ImportError(
                "licence detection needs licenseclassifier: `pip install licenseclassifier`"
            ) from None
        self._identify = licenseclassifier.identify_license
        self._threshold = coverage_threshold
        version = getattr(licenseclassifier, "__version__", None)
        self.name = f"licenseclassifier {version}" if version else "licenseclassifier"

    def detect(self, text: str) -> LicenceDetection | None:
        if self._threshold is None:
            matches = self._identify(text)
        else:
            matches = self._identify(text, coverage_threshold=self._threshold)
        if not matches:
            return None
        covered = sum(len(text[m.start : m.end].split()) for m in matches)
        total = max(len(text.split()), 1)
        return LicenceDetection(
            expression=_join((m.id for m in matches), text),
            score=round(min(covered / total, 1.0), 4),
            detector=self.name,
        )


class ScancodeDetector(LicenceDetector):
    """ScanCode toolkit's licence detection (optional: heavy install, ~5 s index load).

    ``score`` is the highest ScanCode match score of the file divided by 100.
    """

    def __init__(self) -> None:
        try:
            from licensedcode import cache as _cache
            from licensedcode.detection import detect_licenses as _detect  # noqa: F401
        except ImportError:
            raise ImportError(
                "the ScanCode detector needs scancode-toolkit: "
                "`pip install scancode-toolkit-mini typecode-libmagic-system-provided`"
            ) from None
        self._index = _cache.get_index()
        self.name = "scancode"

    def detect(self, text: str) -> LicenceDetection | None:
        from licensedcode.detection import detect_licenses

        detections = list(detect_licenses(index=self._index, query_string=text))
        ids: list[str] = []
        best = 0.0
        for detection in detections:
            for match in detection.matches:
                spdx = match.rule.spdx_license_expression()
                ids.append(spdx)
                best = max(best, float(match.score()))
        if not ids:
            return None
        return LicenceDetection(_join(ids, text), round(best / 100.0, 4), self.name)


@functools.cache
def default_detector() -> LicenceDetector:
    """The process-wide default detector (:class:`LicenseClassifierDetector`), built once."""
    return LicenseClassifierDetector()


def detect_licence_text(
    text: str, detector: LicenceDetector | None = None
) -> LicenceDetection | None:
    """Identify the licence of a LICENSE/COPYING/NOTICE text.

    Uses ``detector`` or :func:`default_detector`. Returns ``None`` when no licence text is
    recognised (a pointer such as "see LICENSE.APACHE" is not a licence text).

    Raises:
        ImportError: the detector's package is not installed (with an install hint).
    """
    return (detector if detector is not None else default_detector()).detect(text)


# --------------------------------------------------------------------------------------------
# Copyright holders
# --------------------------------------------------------------------------------------------

_NOTICE = re.compile(
    r"^[ \t#*/;!\"'%>-]*(?P<mark>copyright\b|\(c\)|©)(?P<rest>.*)$",
    re.IGNORECASE | re.MULTILINE,
)
_MARKS = re.compile(r"^(?:\s*(?:copyright\b|\(c\)|©|:))+", re.IGNORECASE)
_YEAR = r"(?:19|20)\d\d(?:\s*(?:[-–]|to)\s*(?:(?:19|20)?\d[\dx]|present))?"
_YEARS = re.compile(rf"^[\s,]*(?:{_YEAR}[\s,]*)+")
_HAS_YEAR = re.compile(rf"^[\s,:]*(?:\(c\)|©)?[\s,]*{_YEAR}", re.IGNORECASE)
_EMAIL = re.compile(r"\s*[<(]?\s*[\w.+-]+@[\w-]+(?:\.[\w-]+)+\s*[>)]?")
_URL = re.compile(r"\s*[<(]?https?://[^\s>)]+[>)]?")
_TAIL = re.compile(r"[\s.,;*]*\b(?:all rights reserved.*|all)[\s.*]*$", re.IGNORECASE)
_ASIDE = re.compile(r"\s*[<(\[](?:see|rather)\b[^>)\]]*[>)\]]", re.IGNORECASE)
_PLACEHOLDER = re.compile(
    r"[\[<{]\s*(?:yyyy|year|name of|owner|author|fullname|copyright holder)|\$"
    r"|\byour\s+name\b", re.IGNORECASE  # GFDL's "Copyright (c) YEAR YOUR NAME."
)
_NOT_HOLDER = re.compile(
    r"^(?:notices?|holders?|owners?|laws?|act|statement|protection|licen[cs]e[sd]?)\b"
    r"|^(?:the|of|by|and|is|are)$",
    re.IGNORECASE,
)


#: Words whose final dot belongs to the name ("Acme Ltd.", "Kenji Sato K.K.", "Smith, J."):
#: company-form and name abbreviations, initialisms such as "S.A.", "S.p.A.", "e.V.", and a lone
#: capital (an initial). The dot of any other last word ends the sentence and is dropped.
_ABBREVIATION_END = re.compile(
    r"(?:\b(?:Ltd|Ltda|Inc|Co|Corp|Bros|Pty|Cie|Jr|Sr|Mfg|Intl|Assn|Assoc|Soc)"
    r"|(?:\b[A-Za-z][a-z]?\.)+[A-Za-z][a-z]?|\b[A-Z])$")
#: Characters stripped from both ends of a holder.
_EDGE = " \t.,;:*#/\"'"
#: A sentence break inside a value: a full stop, then more words ("Representations. You …").
_SENTENCE_BREAK = re.compile(r"[.!?]\s+\S")
#: A notice field holding a licence statement or a usage rule, not a name.
_NOT_A_NAME = re.compile(
    r"licen[cs]|creative\s*commons|\bcc[- ]?(?:by|0)|public\s+domain|rights\s+reserved|"
    r"permission|\bsee\b|\bmay\b|\bmust\b|\bnot\b", re.IGNORECASE)
#: A line starting "(a)", "(b)" or "(d)": the text numbers clauses, and its "(c)" is one.
_CLAUSES = re.compile(r"^[ \t]*\((?:a|b|d)\)\s", re.IGNORECASE | re.MULTILINE)
_CREDIT_PREFIX = re.compile(r"^\s*(?:photo(?:graph)?|image|picture)s?\s*(?:by\b|:)\s*",
                            re.IGNORECASE)


def _tidy(value: str) -> str:
    """Whitespace collapsed and edge punctuation stripped — except the dot of a final
    abbreviation (:data:`_ABBREVIATION_END`), which is part of the name."""
    spaced = re.sub(r"\s+", " ", value).strip(_EDGE)
    core = spaced
    if _ABBREVIATION_END.search(core) and re.sub(r"\s+", " ", value).lstrip(_EDGE).startswith(
            core + "."):
        core += "."
    return core


def _looks_like_a_name(value: str) -> bool:
    """True for a run of two to six capitalised words with no sentence break: "Kenji Sato
    Studio", "Acme Ltd." — not "You must retain …", "Representations" or "For All Other
    Entities. If …" (numbered clauses of licence texts, which "(c)" also starts; one word is
    too often a clause heading to count)."""
    words = value.split()
    if not 2 <= len(words) <= 6 or _SENTENCE_BREAK.search(value.rstrip(".")):
        return False
    if value.endswith(".") and not _ABBREVIATION_END.search(value[:-1]):
        return False  # "(c) Representations." is a clause heading
    return all(w[0].isupper() or w[0].isdigit() or w in ("&", "and") for w in words)


def _holder_of(mark: str, rest: str, *, notice: bool = False, clauses: bool = False
               ) -> str | None:
    """The holder a notice line names after its ``mark``; ``notice``: the text is known to be a
    copyright notice (a metadata field), so a bare name with no mark or year counts;
    ``clauses``: the text numbers its clauses (a), (b), … so "(c)" without a year is one."""
    has_mark = mark.lower() in ("(c)", "©") or bool(re.match(r"\s*(?:\(c\)|©)", rest, re.I))
    has_year = bool(_HAS_YEAR.match(rest))
    value = _YEARS.sub("", _MARKS.sub("", rest))
    value = _YEARS.sub("", _MARKS.sub("", value))
    value = re.sub(r"^\s*by\s+", "", value, flags=re.IGNORECASE)
    if notice:
        value = _CREDIT_PREFIX.sub("", value)
    if _PLACEHOLDER.search(value):
        return None  # "Copyright [yyyy] [name of copyright owner]" is a template
    # an address between two words leaves a space ("Kraemer, kr@x.org and others")
    value = _ASIDE.sub("", _URL.sub(" ", _EMAIL.sub(" ", value)))
    untailed = _TAIL.sub("", value)
    if re.match(r"\s*\.", value[len(untailed):]):
        untailed += "."  # "Acme Ltd. All rights reserved": the tail took the name's dot
    value = _tidy(untailed)
    if not value or not re.match(r"[^\W\d_]", value):
        return None
    if _NOT_HOLDER.match(value) or len(value) > 120:
        return None
    if notice:
        lower = sum(1 for w in value.split() if w[0].islower())
        if _NOT_A_NAME.search(value) or _SENTENCE_BREAK.search(value.rstrip(".")) or lower >= 3:
            return None  # "Licensed under CC BY 4.0", "Do not use without permission"
        return value
    if mark.lower() == "(c)" and not has_year and (clauses or not _looks_like_a_name(
            re.sub(r"\s+", " ", untailed).strip(" \t,;:*#/\"'"))):
        return None  # "(c) You must retain …" is list numbering, not a notice
    if not (has_mark or has_year) and not (mark[0].isupper() and value[0].isupper()):
        return None  # "copyright license to reproduce …" is prose, not a notice
    return value


#: The sentence after the licence document's own copyright notice in the GNU licences.
_LICENCE_DOCUMENT = re.compile(
    r"Everyone\s+is\s+permitted\s+to\s+copy\s+and\s+distribute\s+verbatim\s+copies",
    re.IGNORECASE)


def copyright_holders(text: str) -> list[str]:
    """Holders named in copyright notices, de-duplicated in order of first appearance.

    A notice is a line whose first word (after comment markers) is ``Copyright``, ``(c)`` or
    ``©``. From each, leading ``Copyright``/``(c)``/``©`` marks, years and year ranges
    (``2001-2024``, ``2019-present``), a leading "by", e-mail addresses, URLs and trailing "All
    rights reserved." are removed. Lines that only mention copyright ("Copyright notice",
    "copyright holders", "copyright law") are skipped. A line starting ``(c)`` with no year is a
    notice only when a name follows — two to six capitalised words, no sentence break, no
    final full stop other than an abbreviation's ("(c) Kenji Sato Studio", not "(c) You must
    retain …" or "(c) Representations.", the clause numbering of licence texts), and only in a
    text with no line starting "(a)", "(b)" or "(d)" (then "(c)" numbers a clause). The dot of a
    final abbreviation stays ("Acme Ltd.", "Foo S.A."). There is no standard notice format; this
    is a line-based pattern in the spirit of ScanCode's copyright grammar, not a replacement for
    it. For a field that is by definition a notice (image metadata) use :func:`notice_holders`.

    A licence document's own notice is not a holder of the text that carries it: the last
    notice before, and within 300 characters of, "Everyone is permitted to copy and distribute
    verbatim copies" (the GNU licences — GPL, LGPL, AGPL, FDL — after "Copyright (C) 2007 Free
    Software Foundation, Inc.") is skipped, so a project's COPYING does not make the FSF its
    holder.
    """
    holders: list[str] = []
    clauses = _CLAUSES.search(text) is not None
    notices = list(_NOTICE.finditer(text))
    own = set()  # the licence documents' notices: the last one before each sentence
    for document in _LICENCE_DOCUMENT.finditer(text):
        before = [i for i, m in enumerate(notices) if 0 <= document.start() - m.end() <= 300]
        own.update(before[-1:])
    for i, match in enumerate(notices):
        if i in own:
            continue
        holder = _holder_of(match.group("mark"), match.group("rest"), clauses=clauses)
        if holder and holder not in holders:
            holders.append(holder)
    return holders


def notice_holders(notice: str) -> list[str]:
    """Holders named by a metadata field that is by definition a copyright notice: EXIF
    Copyright (tag 0x8298), IPTC IIM 2:116 Copyright Notice, XMP ``dc:rights`` (IPTC Core
    "Copyright Notice"). De-duplicated, in order.

    Unlike :func:`copyright_holders`, a bare name is the holder: "Getty Images" →
    ``["Getty Images"]``. Each line (and each NUL-separated part: the Exif standard's Copyright
    tag holds the photographer's and then the editor's copyright, separated by NUL) is read as a
    notice line; without a ``©``/``(c)``/``Copyright`` mark the same clean-up applies (years,
    "All rights reserved", e-mail addresses, URLs, a leading "by" or "Photo by"). A part that
    states a licence or a rule of use rather than a name ("CC BY 4.0", "Some rights reserved",
    "Do not use without permission"), is a sentence, or has three or more lower-case words is
    not a holder. Never raises.
    """
    holders: list[str] = []
    for part in re.split(r"[\r\n\x00]+", notice):
        match = _NOTICE.match(part)
        holder = _holder_of(match.group("mark"), match.group("rest"), notice=True) \
            if match else _holder_of("", part, notice=True)
        if holder and holder not in holders:
            holders.append(holder)
    return holders


#: "All rights reserved" and its usual translations (French, German, Spanish, Italian): the
#: reservation formula of the Buenos Aires Convention (1910) Art. 3, still written by cameras,
#: photo tools and agencies.
_ALL_RIGHTS_RESERVED = re.compile(
    r"\ball\s+rights\s+reserved\b|\btous\s+droits\s+r[ée]serv[ée]s\b|"
    r"\balle\s+rechte\s+vorbehalten\b|\btodos\s+los\s+derechos\s+reservados\b|"
    r"\btutti\s+i\s+diritti\s+riservati\b", re.IGNORECASE)


def reserves_all_rights(notice: str) -> bool:
    """True when a copyright notice says "All rights reserved" (any case; or "Tous droits
    réservés", "Alle Rechte vorbehalten", "Todos los derechos reservados", "Tutti i diritti
    riservati"). "Some rights reserved" (Creative Commons' phrase) is not."""
    return _ALL_RIGHTS_RESERVED.search(notice) is not None


# --------------------------------------------------------------------------------------------
# Stewards and reference texts
# --------------------------------------------------------------------------------------------

#: Owners in the ScanCode DB that name the steward by a short name; rewritten to the body that
#: publishes the licence (source: the licence texts themselves, e.g. MPL-2.0 §10.1 "Mozilla
#: Foundation is the license steward"); ScanCode's owner "MIT" is the Massachusetts Institute
#: of Technology, where the licence was first used ("MIT licence text by MIT" read as a typo).
_STEWARD_NAMES: Mapping[str, str] = {"Mozilla": "Mozilla Foundation",
                                     "MIT": "Massachusetts Institute of Technology"}
_NO_OWNER = frozenset({"unspecified", "unknown", "none", ""})


def _clean_owner(owner: str) -> str | None:
    value = re.sub(r"\s*\([A-Z][A-Za-z]*\)$", "", owner.strip())  # "… (FSF)"
    abbreviated = re.match(r"^[A-Z0-9]{2,6} - (.+)$", value)  # "OSI - Open Source Initiative"
    if abbreviated:
        value = abbreviated.group(1)
    if value.lower() in _NO_OWNER:
        return None
    return _STEWARD_NAMES.get(value, value)


def steward_of(licence_key: str, db: LicenceDB | None = None) -> str | None:
    """The licence steward (publisher) of a licence text, from the ScanCode DB's ``owner`` field.

    ``licence_key`` is an SPDX id (any case) or a ScanCode key. Owners are tidied: trailing
    acronyms in parentheses are dropped ("Free Software Foundation (FSF)" → "Free Software
    Foundation"), "ABBR - Name" becomes "Name", "Mozilla" becomes "Mozilla Foundation", and
    "Unspecified" gives ``None``. Unknown keys also give ``None``.
    """
    entry = (db if db is not None else licence_db()).get(licence_key)
    if entry is None or entry.owner is None:
        return None
    return _clean_owner(entry.owner)


def licence_text(spdx_key: str, db: LicenceDB | None = None) -> str:
    """The full reference text of a licence from the ScanCode LicenseDB (licensedcode-data).

    Raises:
        LicenceError: the key is neither an SPDX id nor a ScanCode key in the DB.
    """
    return (db if db is not None else licence_db()).text(spdx_key)


#: The most common open-source licences (SPDX ids), curated from the licences GitHub's licence
#: picker, the OSI "popular and widely used" list and PyPI/Debian package metadata most often
#: name. Used to register licence texts as works in the index.
_COMMON_LICENCES: tuple[str, ...] = (
    "MIT",
    "Apache-2.0",
    "BSD-2-Clause",
    "BSD-3-Clause",
    "0BSD",
    "ISC",
    "Zlib",
    "BSL-1.0",
    "PSF-2.0",
    "Unlicense",
    "CC0-1.0",
    "CC-BY-4.0",
    "CC-BY-SA-4.0",
    "GPL-2.0-only",
    "GPL-2.0-or-later",
    "GPL-3.0-only",
    "GPL-3.0-or-later",
    "LGPL-2.1-only",
    "LGPL-2.1-or-later",
    "LGPL-3.0-only",
    "LGPL-3.0-or-later",
    "AGPL-3.0-only",
    "MPL-2.0",
    "EPL-2.0",
    "EUPL-1.2",
    "Artistic-2.0",
    "GFDL-1.3-only",
)


def common_licence_keys() -> list[str]:
    """The curated SPDX ids of the most common open-source licences (a new list each call)."""
    return list(_COMMON_LICENCES)
