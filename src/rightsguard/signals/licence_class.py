"""Licence signals (SPDX tags, Creative Commons links, dataset licence columns) and use classes.

Each extractor returns ``licence`` signals (value: a normalised SPDX expression, a ``LicenseRef-…``
id or ``NOASSERTION``) followed by one ``licence-class`` signal (value ``commercial`` |
``non-commercial`` | ``academic-only`` | ``unspecified``); both have state ``n/a`` — a licence is
not a reservation, the policy reads the value.

Sources of every rule:

* SPDX expressions and ``SPDX-License-Identifier`` tags: :mod:`rightsguard.signals.licences`
  (SPDX specification annexes D/E, ``license-expression``).
* Creative Commons: HTML ``rel="license"`` links (HTML Living Standard §4.6.7.9 "Link type
  license", also used by CC's own "ccREL" markup) and any ``creativecommons.org/licenses/…`` or
  ``/publicdomain/…`` URL; CC URL → SPDX id by the SPDX License List's names (``CC-BY-NC-SA-4.0``
  for ``/licenses/by-nc-sa/4.0/``, ported licences such as ``CC-BY-3.0-DE`` where SPDX lists the
  port, else the unported id; ``/publicdomain/zero/1.0/`` → ``CC0-1.0``, ``/publicdomain/mark/1.0/``
  → ``CC-PDM-1.0``, ``/licenses/publicdomain/`` → ``CC-PDDC``).
* Use classes: the Data Provenance Initiative (rights-signals.md §6b), data file
  ``signals/data/licence_classes.toml`` (DPI ``constants/license_classes.json`` mapped to SPDX ids,
  plus DPI and Hugging Face licence names). Ids missing from it: a ``-NC`` licence element
  (Creative Commons NonCommercial, e.g. ``CC-BY-NC-SA-2.0-FR``) → non-commercial; otherwise the
  ScanCode category (:func:`rightsguard.signals.licences.category_of`): permissive, public-domain,
  copyleft, copyleft-limited → commercial (DPI classes every such licence it lists as "All");
  anything else, ``NOASSERTION``, ``NONE`` and unknown ``LicenseRef-…`` → unspecified.
* Combining (DPI ``resolve_multiple_licenses``: the most restrictive wins):
  academic-only > non-commercial > unspecified > commercial. In an SPDX expression ``A AND B``
  (and several licences found for one item) take the most restrictive; ``A OR B`` the least
  restrictive (the licensee may choose, as :func:`~rightsguard.signals.licences.category_of` does).
"""

from __future__ import annotations

import enum
import functools
import re
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass
from importlib import resources
from typing import TYPE_CHECKING, Any
from urllib.parse import urljoin, urlsplit

from rightsguard.errors import LicenceError
from rightsguard.model import LicenceCategory, ReservationState, RightsSignal
from rightsguard.signals.licences import (
    _licensing,
    category_of,
    normalise_expression,
    spdx_identifiers,
)

if TYPE_CHECKING:
    from rightsguard.signals.html import HtmlPage

__all__ = [
    "LicenceClass",
    "LicenceClassTable",
    "cc_url_expression",
    "column_licence_signals",
    "html_licence_signals",
    "licence_class",
    "licence_class_table",
    "licence_signals",
    "most_restrictive",
    "text_licence_signals",
]

EXTRACTOR = "rightsguard.signals.licence_class"
_NA = ReservationState.NOT_APPLICABLE.value


class LicenceClass(enum.StrEnum):
    """Data Provenance Initiative use classes (rights-signals.md §6b)."""

    COMMERCIAL = "commercial"
    UNSPECIFIED = "unspecified"
    NON_COMMERCIAL = "non-commercial"
    ACADEMIC_ONLY = "academic-only"

    @property
    def restrictiveness(self) -> int:
        """0 (commercial) … 3 (academic-only); the DPI order of resolution."""
        return _ORDER.index(self)


_ORDER = (LicenceClass.COMMERCIAL, LicenceClass.UNSPECIFIED, LicenceClass.NON_COMMERCIAL,
          LicenceClass.ACADEMIC_ONLY)


def most_restrictive(classes: Iterable[str]) -> str:
    """The most restrictive of several classes (DPI: academic-only > non-commercial >
    unspecified > commercial); ``unspecified`` for none."""
    found = [LicenceClass(c) for c in classes]
    return max(found, key=_ORDER.index).value if found else LicenceClass.UNSPECIFIED.value


@dataclass(frozen=True, slots=True)
class LicenceClassTable:
    """The data file: SPDX id → class, free name (lower case) → expression, LicenseRef → class."""

    spdx: dict[str, str]
    names: dict[str, str]
    refs: dict[str, str]

    @classmethod
    def load(cls, text: str | None = None) -> LicenceClassTable:
        """Parse ``licence_classes.toml`` (the packaged file when ``text`` is None).

        Raises:
            LicenceError: a class that is not one of the four, naming the table and key.
        """
        if text is None:
            text = (resources.files("rightsguard.signals") / "data" / "licence_classes.toml"
                    ).read_text(encoding="utf-8")
        data = tomllib.loads(text)
        allowed = {c.value for c in LicenceClass}
        problems = [f"[{table}] {key!r} = {value!r}"
                    for table in ("spdx", "refs") for key, value in data.get(table, {}).items()
                    if value not in allowed]
        if problems:
            raise LicenceError("licence_classes.toml: unknown classes " + "; ".join(problems)
                               + f"; allowed: {', '.join(sorted(allowed))}")
        return cls(dict(data.get("spdx", {})), {k.lower(): v for k, v in
                                                 data.get("names", {}).items()},
                   dict(data.get("refs", {})))


@functools.cache
def licence_class_table() -> LicenceClassTable:
    """The packaged table, loaded once per process (a few KiB of TOML)."""
    return LicenceClassTable.load()


_NC = re.compile(r"(?:^|-)NC(?:-|$)", re.IGNORECASE)
_COMMERCIAL_CATEGORIES = frozenset({LicenceCategory.PERMISSIVE, LicenceCategory.PUBLIC_DOMAIN,
                                    LicenceCategory.COPYLEFT, LicenceCategory.COPYLEFT_LIMITED})


def _key_class(key: str, table: LicenceClassTable) -> LicenceClass:
    if key in table.refs:
        return LicenceClass(table.refs[key])
    if key in table.spdx:
        return LicenceClass(table.spdx[key])
    if _NC.search(key.removeprefix("LicenseRef-")):
        return LicenceClass.NON_COMMERCIAL
    if key.upper() in {"NOASSERTION", "NONE"} or key.startswith(("LicenseRef-", "DocumentRef-")):
        return LicenceClass.UNSPECIFIED
    try:
        category = category_of(key)
    except LicenceError:
        return LicenceClass.UNSPECIFIED
    return (LicenceClass.COMMERCIAL if category in _COMMERCIAL_CATEGORIES
            else LicenceClass.UNSPECIFIED)


def _node_class(node: Any, table: LicenceClassTable) -> LicenceClass:
    from license_expression import LicenseSymbol, LicenseWithExceptionSymbol

    if isinstance(node, LicenseWithExceptionSymbol):
        return _key_class(node.license_symbol.key, table)  # an exception only adds permissions
    if isinstance(node, LicenseSymbol):
        return _key_class(node.key, table)
    children = [_node_class(arg, table) for arg in node.args]
    pick = min if isinstance(node, _licensing().OR) else max
    return pick(children, key=_ORDER.index)


def licence_class(expression: str) -> str:
    """The DPI use class of an SPDX expression (rules in the module docstring).

    ``"MIT"`` → ``commercial``; ``"CC-BY-NC-4.0"`` → ``non-commercial``;
    ``"MIT AND CC-BY-NC-4.0"`` → ``non-commercial``; ``"MIT OR CC-BY-NC-4.0"`` → ``commercial``;
    ``"NOASSERTION"`` → ``unspecified``. An expression that cannot be parsed → ``unspecified``
    (never raises).
    """
    from license_expression import ExpressionError

    table = licence_class_table()
    if not expression or not expression.strip():
        return LicenceClass.UNSPECIFIED.value
    try:
        parsed = _licensing().parse(expression, validate=False, strict=True)
    except ExpressionError:
        return LicenceClass.UNSPECIFIED.value
    if parsed is None:
        return LicenceClass.UNSPECIFIED.value
    return _node_class(parsed, table).value


# --------------------------------------------------------------------------------------------
# Creative Commons and other licence URLs
# --------------------------------------------------------------------------------------------

_CC_LICENCE = re.compile(
    r"^/licen[sc]es/(?P<elems>[a-z+-]+)/(?P<version>\d+(?:\.\d+)?)(?:/(?P<port>[a-z]{2,3}))?"
    r"(?:/|$)", re.IGNORECASE)
_CC_URL = re.compile(
    r"(?:https?:)?//(?:[a-z0-9-]+\.)*creativecommons\.org/(?:licen[sc]es|publicdomain)/"
    r"[A-Za-z0-9_.+/-]*", re.IGNORECASE)
_SPDX_URL = re.compile(r"^/licenses/(?P<id>[A-Za-z0-9.+-]+?)(?:\.html|\.json|\.txt)?/?$")


def _known(candidate: str) -> str | None:
    try:
        return normalise_expression(candidate)
    except LicenceError:
        return None


def cc_url_expression(url: str) -> str | None:
    """The SPDX id a Creative Commons licence or public-domain URL names, None for other URLs.

    ``https://creativecommons.org/licenses/by-nc-sa/4.0/deed.de`` → ``CC-BY-NC-SA-4.0``;
    ``…/licenses/by/3.0/de/`` → ``CC-BY-3.0-DE``; ``…/licenses/by/2.0/es/`` → ``CC-BY-2.0`` (SPDX
    lists no Spanish port); ``…/publicdomain/zero/1.0/`` → ``CC0-1.0``. A CC URL with no SPDX id
    (e.g. ``/licenses/sampling+/1.0/``) → ``LicenseRef-cc-sampling-plus-1.0``.
    """
    parts = urlsplit(url.strip())
    host = (parts.hostname or "").lower()
    if host != "creativecommons.org" and not host.endswith(".creativecommons.org"):
        return None
    path = parts.path
    lowered = path.lower()
    if lowered.startswith("/publicdomain/zero/"):
        return "CC0-1.0"
    if lowered.startswith("/publicdomain/mark/"):
        return "CC-PDM-1.0"
    if lowered.rstrip("/") in {"/licenses/publicdomain", "/licences/publicdomain"}:
        return "CC-PDDC"
    match = _CC_LICENCE.match(path)
    if match is None:
        return None
    elems, version = match.group("elems").lower(), match.group("version")
    if "." not in version:
        version += ".0"
    port = match.group("port")
    base = f"CC-{elems.upper()}-{version}"
    for candidate in ([f"{base}-{port.upper()}"] if port else []) + [base]:
        if "+" not in candidate and (known := _known(candidate)) is not None:
            return known
    slug = re.sub(r"[^A-Za-z0-9.-]", "-", elems.replace("+", "-plus"))
    return f"LicenseRef-cc-{slug}-{version}" + (f"-{port.lower()}" if port else "")


def _url_expression(url: str) -> str | None:
    """SPDX id of a licence URL: Creative Commons, ``spdx.org/licenses/<id>``,
    ``opensource.org/licenses/<id>``; None when the URL names no known licence."""
    cc = cc_url_expression(url)
    if cc is not None:
        return cc
    parts = urlsplit(url.strip())
    host = (parts.hostname or "").lower().removeprefix("www.")
    if host in {"spdx.org", "opensource.org"}:
        match = _SPDX_URL.match(parts.path)
        if match:
            return _known(match.group("id"))
    return None


# --------------------------------------------------------------------------------------------
# Signals
# --------------------------------------------------------------------------------------------


def licence_signals(found: Iterable[tuple[str, str]], carrier: str, class_evidence: str
                    ) -> list[RightsSignal]:
    """``licence`` signals for ``(expression, evidence)`` pairs (first evidence per expression)
    and one ``licence-class`` signal, the most restrictive class of them; [] when none."""
    first: dict[str, str] = {}
    for expression, evidence in found:
        first.setdefault(expression, evidence)
    if not first:
        return []
    signals = [RightsSignal("licence", carrier, expr, "*", _NA, ev, EXTRACTOR)
               for expr, ev in first.items()]
    classes = {expr: licence_class(expr) for expr in first}
    worst = most_restrictive(classes.values())
    detail = ", ".join(f"{expr} → {cls}" for expr, cls in classes.items())
    signals.append(RightsSignal("licence-class", carrier, worst, "*", _NA,
                                f"{class_evidence}: {detail} (DPI classes, most restrictive wins)",
                                EXTRACTOR))
    return signals


#: Text every page with a ``rel="license"`` link or a Creative Commons URL contains.
_LICENCE_HINT = re.compile(r"license|creativecommons\.org/", re.IGNORECASE)
#: The characters outside ASCII that Python's case-insensitive matching or ``str.lower`` relate
#: to an ASCII letter (İ ı ſ and the Kelvin sign; a test finds them by brute force). In text
#: without them, :data:`_LICENCE_HINT` matches exactly where the lower-cased text holds one of
#: its two words, which plain substring search finds far faster than the regex scans.
_FOLDS_TO_ASCII = "\u0130\u0131\u017f\u212a"


def _has_licence_hint(text: str) -> bool:
    """``_LICENCE_HINT.search(text) is not None``, computed by substring search of
    ``text.lower()`` unless ``text`` holds one of :data:`_FOLDS_TO_ASCII`."""
    if any(c in text for c in _FOLDS_TO_ASCII):
        return _LICENCE_HINT.search(text) is not None
    lowered = text.lower()
    return "license" in lowered or "creativecommons.org/" in lowered


def html_licence_signals(html: bytes | str, url: str, *, page: HtmlPage | None = None
                         ) -> list[RightsSignal]:
    """Licences an HTML page declares: ``rel="license"`` links (``a``, ``link``, ``area``; rel
    tokens case-insensitive; relative URLs resolved against ``url``) and every Creative Commons
    URL in an ``href``, ``src``, ``content`` or ``resource`` attribute. A ``rel="license"`` link
    to a URL that names no known licence gives ``NOASSERTION`` (a licence is claimed, its terms
    are not machine-readable). Carrier ``html-meta``. Broken HTML is parsed leniently (lexbor);
    never raises.

    Bytes are read as UTF-8 (invalid bytes replaced). ``page``: the same body already parsed
    (:class:`~rightsguard.signals.html.HtmlPage`, which honours ``<meta charset>``); its tree is
    used instead of a new parse when lexbor was fed exactly the UTF-8 text this function would
    feed it (always so for UTF-8 pages), so the result is the same with or without it.
    """
    from selectolax.lexbor import LexborHTMLParser

    from rightsguard.signals.html import nesting_problem

    text = html if isinstance(html, str) else html.decode("utf-8", "replace")
    if not _has_licence_hint(text):
        return []  # neither a rel="license" link nor a CC URL can be in it: skip the parse
    tree: Any = None
    # selectolax feeds lexbor ``text.encode("utf-8", "ignore")``; equal input, equal tree
    if page is not None and page.tree is not None \
            and page.tree.raw_html == text.encode("utf-8", "ignore"):
        tree = page.tree
    if tree is None and ((page is not None and page.error is not None)
                         or nesting_problem(text) is not None):
        return []  # not parsed: the page's ``unreadable`` signal says why (HtmlPage)
    if tree is None:
        try:
            tree = LexborHTMLParser(text)
        except Exception as exc:  # lexbor refuses only pathological input
            return [RightsSignal("unreadable", "html-meta", f"unreadable HTML: {exc}", "*",
                                 ReservationState.UNKNOWN.value, url, EXTRACTOR)]
    found: list[tuple[str, str]] = []
    for node in tree.css("a[rel], link[rel], area[rel]"):
        rel = (node.attributes.get("rel") or "").lower().split()
        href = node.attributes.get("href")
        if "license" not in rel or not href:
            continue
        target = urljoin(url, href.strip())
        expr = _url_expression(target) or "NOASSERTION"
        found.append((expr, f'{url}: <{node.tag} rel="{node.attributes.get("rel")}" '
                            f'href="{href.strip()}">'))
    for attr in ("href", "src", "content", "resource"):
        for node in tree.css(f'[{attr}*="creativecommons.org/"]'):
            value = node.attributes.get(attr) or ""
            for match in _CC_URL.finditer(value):
                cc = cc_url_expression(urljoin(url, match.group(0)))
                if cc is not None:
                    found.append((cc, f'{url}: <{node.tag} {attr}="{value.strip()}">'))
    return licence_signals(found, "html-meta", f"{url}: licences declared in the page")


def text_licence_signals(text: str, evidence: str) -> list[RightsSignal]:
    """Licences a text file declares: each ``SPDX-License-Identifier:`` tag (SPDX annex E; an
    invalid expression gives ``NOASSERTION`` naming the bad text) and each Creative Commons URL.
    ``evidence`` names the file; each signal adds the 1-based line. Carrier ``file``."""
    found: list[tuple[str, str]] = []
    for number, line in enumerate(text.splitlines(), start=1):
        if "SPDX-License-Identifier" in line:
            try:
                tags = spdx_identifiers(line)
            except LicenceError as exc:
                found.append(("NOASSERTION", f"{evidence} line {number}: {exc}"))
            else:
                found.extend((expr, f"{evidence} line {number}: SPDX-License-Identifier: {expr}")
                             for expr, _ in tags)
        if "creativecommons.org" in line:
            for match in _CC_URL.finditer(line):
                expr = cc_url_expression(match.group(0))
                if expr is not None:
                    found.append((expr, f"{evidence} line {number}: {match.group(0)}"))
    return licence_signals(found, "file", evidence)


_SPLIT = re.compile(r"\s*[,;|]\s*")


def _column_expression(value: str, table: LicenceClassTable) -> str | None:
    text = value.strip().strip("\"'[]").strip()
    if not text:
        return None
    if text.lower() in table.names:
        return table.names[text.lower()]
    known = _known(text)
    if known is not None:
        return known
    return _url_expression(text) if "://" in text else None


def column_licence_signals(value: str, evidence: str) -> list[RightsSignal]:
    """Licences of a dataset licence column value: an SPDX expression (any case:
    ``cc-by-nc-4.0``), a DPI or Hugging Face licence name (``"CC BY-NC 4.0"``, ``"odc-by"``,
    ``"other"`` → ``LicenseRef-other``, ``"unknown"`` → ``NOASSERTION``), a licence URL, or a list
    of these separated by ``,``/``;``/``|`` (all apply: the class is the most restrictive). A name
    that is none of these → ``LicenseRef-<name as an SPDX idstring>`` (class unspecified); an
    empty value → ``NOASSERTION``. Carrier ``catalogue``; never raises.
    """
    table = licence_class_table()
    raw = value.strip()
    shown = f"{evidence}: licence {value!r}"
    if not raw:
        return licence_signals([("NOASSERTION", shown)], "catalogue", shown)
    whole = _column_expression(raw, table)
    if whole is not None:
        return licence_signals([(whole, shown)], "catalogue", shown)
    found: list[tuple[str, str]] = []
    for part in (p for p in _SPLIT.split(raw) if p.strip()):
        expr = _column_expression(part, table)
        if expr is None:
            slug = re.sub(r"[^A-Za-z0-9.]+", "-", part.strip()).strip("-") or "unnamed"
            expr = f"LicenseRef-{slug}"
        found.append((expr, shown))
    return licence_signals(found, "catalogue", shown)
