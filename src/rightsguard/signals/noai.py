"""``noai`` / ``noimageai`` (and ``noml``) in robots meta tags and ``X-Robots-Tag`` headers.

Sources (rights-signals.md §4): DeviantArt's directives (Nov 2022) — ``noai`` = no AI training
on any content, ``noimageai`` = no AI training on images — written like the robots meta tag and
``X-Robots-Tag`` values Google documents (developers.google.com/search/docs/crawling-indexing/
robots-meta-tag): comma-separated, case-insensitive, optionally scoped to one crawler —
``<meta name="GPTBot" content="noai">`` or ``X-Robots-Tag: GPTBot: noai`` — in which case they
apply only to that crawler (``scope`` = its token). ``noml`` is a variant seen in the wild
(secondary sources) and is read as ``noai``. A community convention, not a standard: a weak but
valid reservation expression.

Decisions (documented here, tested in tests/signals/test_noai.py):

* ``noai`` and ``noml`` → ``kind`` ``noai``, state ``reserved`` for any modality.
* ``noimageai`` → ``kind`` ``noimageai``; state ``reserved`` when the item is an image, else
  ``not-reserved`` — the directive is recorded (it is evidence of the owner's intent and the
  manifest counts it) but it reserves only images; an HTML page's own text is not an image, so
  ``<meta name="robots" content="noimageai">`` on a page never reserves the page.
* Values are split on commas and whitespace; other robots directives (``noindex`` …) are not
  AI-training reservations and are ignored.
* A header part ``<name>: <directives>`` scopes the following directives of that header to
  ``<name>`` unless ``<name>`` is itself a directive that takes a value (``unavailable_after``,
  ``max-snippet``, ``max-image-preview``, ``max-video-preview``), as Google reads it.
* Per-bot meta tags are read for the crawler table's tokens and the user's ``agents``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from rightsguard.model import Modality, ReservationState, RightsSignal
from rightsguard.signals.crawlers import CrawlerTable, default_crawler_table
from rightsguard.signals.html import HtmlPage, clip, header_values

__all__ = ["NOAI_DIRECTIVES", "noai_header_signals", "noai_html_signals"]

#: directive → signal kind
NOAI_DIRECTIVES = {"noai": "noai", "noml": "noai", "noimageai": "noimageai"}
# robots directives whose own syntax has a colon (Google's robots meta tag documentation)
_VALUED = frozenset({"unavailable_after", "max-snippet", "max-image-preview",
                     "max-video-preview"})
_SPLIT = re.compile(r"[,\s]+")
_AGENT_PART = re.compile(r"^\s*([^:\s][^:]*?)\s*:\s*(.*)$", re.S)


def _signal(directive: str, scope: str, modality: str, carrier: str, evidence: str
            ) -> RightsSignal:
    kind = NOAI_DIRECTIVES[directive]
    if kind == "noimageai" and modality != Modality.IMAGE.value:
        state = ReservationState.NOT_RESERVED.value
        evidence += f" (noimageai reserves images only; this item is {modality})"
    else:
        state = ReservationState.RESERVED.value
    return RightsSignal(kind=kind, carrier=carrier, value=directive, scope=scope, state=state,
                        evidence=evidence, extractor=__name__)


def _directives(text: str) -> list[str]:
    seen: list[str] = []
    for word in _SPLIT.split(text.lower()):
        if word in NOAI_DIRECTIVES and word not in seen:
            seen.append(word)
    return seen


def _scoped_parts(value: str) -> list[tuple[str, str]]:
    """(agent or ``*``, directives text) parts of one X-Robots-Tag value."""
    out: list[tuple[str, str]] = []
    agent = "*"
    for part in value.split(","):
        match = _AGENT_PART.match(part)
        if match and match.group(1).strip().lower() not in _VALUED:
            agent = match.group(1).strip()
            part = match.group(2)
        out.append((agent, part))
    return out


def noai_header_signals(
    headers: Sequence[tuple[str, str]],
    modality: Modality | str,
    *,
    agents: Sequence[str] = (),
    evidence_prefix: str = "",
) -> list[RightsSignal]:
    """``X-Robots-Tag`` ``noai`` / ``noimageai`` / ``noml`` signals (``carrier``
    ``http-header``), one per directive and scope, in header order. ``scope`` is ``*`` or the
    crawler named before the directives (as written). ``agents`` is accepted for symmetry with
    :func:`noai_html_signals`; header-scoped directives are reported for any name. Never raises.
    """
    del agents  # every scoped name is reported; the policy decides which scopes count
    where = f"{evidence_prefix}: " if evidence_prefix else ""
    out: list[RightsSignal] = []
    seen: set[tuple[str, str]] = set()
    for value in header_values(headers, "x-robots-tag"):
        for agent, text in _scoped_parts(value):
            for directive in _directives(text):
                key = (agent.lower(), directive)
                if key in seen:
                    continue
                seen.add(key)
                out.append(_signal(directive, agent, str(modality), "http-header",
                                   f"{where}header X-Robots-Tag: {clip(value)}"))
    return out


def noai_html_signals(
    html: HtmlPage | bytes | str,
    *,
    modality: Modality | str = Modality.TEXT,
    agents: Sequence[str] = (),
    table: CrawlerTable | None = None,
    evidence_prefix: str = "",
) -> list[RightsSignal]:
    """``<meta name="robots" content="noai, noimageai">`` and per-bot ``<meta name="GPTBot"
    content="noai">`` signals (``carrier`` ``html-meta``; ``scope`` ``*`` for ``robots``, else
    the crawler token as the table spells it). ``modality`` is the item's (an HTML page is
    text). Broken HTML gives no signal here (see :func:`rightsguard.signals.html.page_signals`
    for the ``unreadable`` record). Never raises."""
    page = HtmlPage.of(html)
    table = table if table is not None else default_crawler_table()
    names: dict[str, str] = {"robots": "*"}
    for token in (*table.tokens(), *agents):
        names.setdefault(token.strip().lower(), token.strip())
    where = f"{evidence_prefix}: " if evidence_prefix else ""
    out: list[RightsSignal] = []
    seen: set[tuple[str, str]] = set()
    for meta in page.metas:
        scope = names.get(meta.name)
        if scope is None:
            continue
        for directive in _directives(meta.content):
            key = (scope.lower(), directive)
            if key in seen:
                continue
            seen.add(key)
            out.append(_signal(directive, scope, str(modality), "html-meta",
                               f"{where}{clip(meta.markup)}"))
    return out
