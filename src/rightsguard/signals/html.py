"""Page-level rights signals: one HTML parse shared by the HTML extractors, and
:func:`page_signals`, which runs every page-level extractor (HTTP headers and HTML meta).

HTML is parsed once with selectolax's lexbor backend (the HTML Standard's parsing algorithm, so
broken markup yields a tree as a browser would build it). Byte bodies are decoded as the HTML
Standard's encoding sniffing says (BOM, then ``<meta charset>`` in the first 1024 bytes,
``encoding=True``). Nothing here raises on bad input: a body that cannot be parsed gives an
``unreadable`` signal naming the reason.

Host-level extractors (robots.txt, ``tdmrep.json``, ai.txt) are not run here; the audit pipeline
calls them per host and combines TDMRep carriers with
:func:`rightsguard.signals.tdmrep.resolve_tdmrep`.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from rightsguard.model import Modality, ReservationState, RightsSignal

__all__ = ["MAX_HTML_DEPTH", "HtmlMeta", "HtmlPage", "clip", "header_values", "is_html",
           "nesting_problem", "page_signals"]

#: longest header or attribute value quoted in evidence, in characters
EVIDENCE_CHARS = 200
_HTML_TYPES = ("text/html", "application/xhtml+xml")


#: Deepest element nesting parsed. The HTML Standard's tree construction checks the stack of
#: open elements at each tag, so lexbor's time grows with the square of the depth (measured:
#: 20,000 nested ``<div>`` 0.7 s, 40,000 4.5 s; a crafted 1 MB page would take minutes). Blink
#: stops nesting at 512 (``kMaximumHTMLParserDOMTreeDepth``); real pages stay far below this.
MAX_HTML_DEPTH = 4096
#: Start tags counted towards the depth: not void elements and not elements whose end tag may
#: be left out (HTML Standard §13.1.2.4), which the parser closes itself.
_NOT_NESTING = frozenset(
    b"area base br col embed hr img input link meta source track wbr p li dt dd option optgroup"
    b" tr td th thead tbody tfoot colgroup caption rb rt rtc rp html head body".split())
_TAG = re.compile(rb"<(/?)([A-Za-z][A-Za-z0-9-]*)[^<>]*?(/?)>")


def nesting_problem(body: bytes | str) -> str | None:
    """Why ``body`` is not parsed, when its elements nest deeper than :data:`MAX_HTML_DEPTH`
    (an estimate from its tags, linear in its size), else None."""
    data = body.encode("utf-8", "replace") if isinstance(body, str) else body
    if data.count(b"<") <= MAX_HTML_DEPTH:
        return None
    depth = deepest = 0
    for closing, name, self_closing in _TAG.findall(data):
        if name.lower() in _NOT_NESTING or self_closing:
            continue
        if closing:
            depth = max(0, depth - 1)
        else:
            depth += 1
            deepest = max(deepest, depth)
            if deepest > MAX_HTML_DEPTH:
                return (f"HTML nested more than {MAX_HTML_DEPTH} elements deep: not parsed (the "
                        "parser's time grows with the square of the depth)")
    return None


def clip(text: str, limit: int = EVIDENCE_CHARS) -> str:
    """``text`` cut to ``limit`` characters for evidence (``…`` and the full length appended)."""
    return text if len(text) <= limit else f"{text[:limit]}… ({len(text)} chars)"


def header_values(headers: Sequence[tuple[str, str]], name: str) -> list[str]:
    """Values of every header called ``name`` (case-insensitive, RFC 9110 §5.1), in order."""
    wanted = name.lower()
    return [str(v) for k, v in headers if str(k).strip().lower() == wanted]


def is_html(media_type: str | None, body: bytes | None) -> bool:
    """True for ``text/html`` / ``application/xhtml+xml`` (parameters ignored), or, when the
    media type is missing, a body whose first 1024 bytes hold ``<!doctype html`` or ``<html``."""
    if media_type:
        return media_type.split(";", 1)[0].strip().lower() in _HTML_TYPES
    if not body:
        return False
    head = body[:1024].lower()
    return b"<!doctype html" in head or b"<html" in head


@dataclass(frozen=True, slots=True)
class HtmlMeta:
    """One ``<meta>`` element: ``name`` and ``property`` lower-cased, ``content`` as written,
    ``markup`` the element's HTML (for evidence)."""

    name: str
    property: str
    content: str
    markup: str


class HtmlPage:
    """An HTML document parsed once; the HTML extractors read :attr:`metas` from it.

    ``error`` is None, or why the body could not be parsed (then ``metas`` is empty and
    ``tree`` None). ``tree`` is the selectolax ``LexborHTMLParser`` itself, for extractors that
    query more than ``<meta>`` (:func:`~rightsguard.signals.licence_class.html_licence_signals`)
    and for the audit's token count, which reuse it only when it parsed the very text they would
    parse (``tree.raw_html``, the UTF-8 bytes lexbor was fed, equals theirs). Treat it as
    read-only: whoever modifies it (the token count strips ``<script>``) must be its last user.
    """

    __slots__ = ("error", "metas", "tree")

    def __init__(self, body: bytes | str) -> None:
        self.error: str | None = None
        self.metas: tuple[HtmlMeta, ...] = ()
        self.tree: Any = None
        problem = nesting_problem(body)
        if problem is not None:
            self.error = problem
            return
        try:
            from selectolax.lexbor import LexborHTMLParser

            tree = LexborHTMLParser(body, encoding=isinstance(body, bytes))
            metas = []
            for node in tree.css("meta"):
                attrs = node.attributes
                metas.append(HtmlMeta(
                    name=(attrs.get("name") or "").strip().lower(),
                    property=(attrs.get("property") or "").strip().lower(),
                    content=attrs.get("content") or "",
                    markup=node.html or "",
                ))
            self.metas = tuple(metas)
            self.tree = tree
        except Exception as exc:  # broken HTML must never raise out of an extractor
            self.error = f"HTML cannot be parsed: {type(exc).__name__}: {exc}"

    @classmethod
    def of(cls, html: HtmlPage | bytes | str) -> HtmlPage:
        """``html`` itself when already parsed, else a new parse."""
        return html if isinstance(html, HtmlPage) else cls(html)

    def named(self, *names: str) -> list[HtmlMeta]:
        """``<meta>`` elements whose ``name`` is one of ``names`` (case-insensitive), in order."""
        wanted = {n.lower() for n in names}
        return [m for m in self.metas if m.name in wanted]


def page_signals(
    headers: Sequence[tuple[str, str]],
    body: bytes | None,
    media_type: str | None,
    url: str,
    modality: Modality | str,
    agents: Sequence[str] = (),
    *,
    page: HtmlPage | None = None,
) -> list[RightsSignal]:
    """Every page-level rights signal of one HTTP response, in a stable order:

    1. ``Content-Usage`` header (AIPREF,
       :func:`~rightsguard.signals.content_usage.content_usage_header_signals`);
    2. ``tdm-reservation`` / ``tdm-policy`` headers (TDMRep);
    3. ``X-Robots-Tag`` ``noai`` / ``noimageai`` / ``noml``;
    4. for HTML bodies (:func:`is_html`), from one parse: TDMRep ``<meta>`` and robots / per-bot
       ``<meta>`` ``noai`` values.

    ``agents`` are the user's own crawler tokens (``--agent``), matched with the crawler table's
    tokens in per-bot meta tags. An HTML body that cannot be parsed adds one ``unreadable``
    signal (state unknown) instead of raising. ``page``: ``HtmlPage(body)`` when the caller has
    already parsed the body (the audit shares one parse between extractors), else None.
    """
    # imported here: these modules import HtmlPage from this one
    from rightsguard.signals.content_usage import content_usage_header_signals
    from rightsguard.signals.noai import noai_header_signals, noai_html_signals
    from rightsguard.signals.tdmrep import tdmrep_header_signals, tdmrep_html_signals

    prefix = f"response of {url}"
    out = content_usage_header_signals(headers, evidence_prefix=prefix)
    out += tdmrep_header_signals(headers, evidence_prefix=prefix)
    out += noai_header_signals(headers, modality, agents=agents, evidence_prefix=prefix)
    if body and is_html(media_type, body):
        if page is None:
            page = HtmlPage(body)
        if page.error is not None:
            out.append(RightsSignal(
                kind="unreadable", carrier="html-meta", value=page.error, scope="*",
                state=ReservationState.UNKNOWN.value, evidence=f"HTML body of {url}",
                extractor=__name__))
        else:
            out += tdmrep_html_signals(page, evidence_prefix=f"HTML of {url}")
            out += noai_html_signals(page, modality=modality, agents=agents,
                                     evidence_prefix=f"HTML of {url}")
    return out
