"""Audit pipeline steps: every rights signal of a record (:class:`SignalStep`), then the policy
(``rightsguard.policy.engine.PolicyStep``). Each step is cheap to construct, picklable, and has
the datatrove signature ``run(data, rank, world_size) -> Iterator[Record]``.

Which extractor reads what (formats: ../shared/reference/rights-signals.md):

======================  ==================================================================
HTTP status             a note (``http-status``) on a response that is not 2xx
                        (:func:`status_signal`)
host files              robots.txt (RFC 9309 via protego; Content-Signal; AIPREF
                        Content-Usage rules), ``/.well-known/tdmrep.json``, Spawning ``ai.txt``
                        — the capture in force at the page's capture time
                        (:meth:`rightsguard.corpus.hosts.HostFiles.robots_for`)
response / page         ``Content-Usage``, ``tdm-reservation``/``tdm-policy`` and
                        ``X-Robots-Tag`` headers; HTML ``<meta>`` (TDMRep, ``noai``)
embedded media          XMP (IPTC Data Mining, TDMRep in PDF), EPUB OPF, C2PA/CAWG
licences                HTML ``rel=license`` and Creative Commons links, ``SPDX-License-
                        Identifier`` lines, a catalogue's licence column
user lists              piracy, paywalled and dataset-for-sale domains
======================  ==================================================================

TDMRep carriers are all recorded; the ones a stronger carrier overrides (W3C TDMRep §"Processing
priority": site file < HTTP header < HTML < EPUB/PDF) keep their value and evidence but their
state becomes ``n/a``, so the policy reads only the answer in force.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rightsguard.corpus.hosts import HostFile, HostFiles
from rightsguard.model import Modality, Record, RightsSignal

if TYPE_CHECKING:
    from rightsguard.signals.html import HtmlPage

EXTRACTOR = "rightsguard.audit.steps"
#: Largest body scanned for ``SPDX-License-Identifier`` lines and licence URLs (bytes); the
#: SPDX tag belongs in a file's first lines (SPDX 2.3 annex E).
LICENCE_SCAN_BYTES = 64 * 1024


def unreadable_signal(record: Record) -> RightsSignal:
    """The signal an unreadable item carries (its rights cannot be read → review)."""
    return RightsSignal(kind="unreadable", carrier="warc" if record.origin.get("format") == "warc"
                        else "file", value=record.error or "unreadable", scope="*",
                        state="unknown", evidence=f"{record.id}: {record.error}",
                        extractor=EXTRACTOR)


#: RFC 9110 §15 status code classes other than 2xx (Successful, §15.3): what the payload is.
_STATUS_CLASSES = {1: ("an interim response", "§15.2"), 3: ("a redirect", "§15.4"),
                   4: ("a client-error page", "§15.5"), 5: ("a server-error page", "§15.6")}


def status_signal(record: Record) -> RightsSignal | None:
    """A note (kind ``http-status``, state ``n/a``) on an item captured with an HTTP status
    that is not 2xx (Successful, RFC 9110 §15.3) — a 404 or 410 page, a redirect stub, a server
    error: its payload is what the server sent *instead of* the resource, not the work at the
    URL. Decisions do not change (the page's own signals still decide it); the note puts the
    status in the manifest and report.json's signal counts. None for 2xx or no status (a
    ``resource`` record, a file, a catalogue row)."""
    status = record.fields.get("http_status")
    if not isinstance(status, int) or 200 <= status <= 299:
        return None
    what, section = _STATUS_CLASSES.get(status // 100, ("not a status code", "§15"))
    return RightsSignal(
        kind="http-status", carrier="warc", value=f"HTTP {status}", scope="*", state="n/a",
        evidence=(f"response of {record.source}: HTTP {status} is not 2xx (Successful, RFC 9110 "
                  f"§15.3) but {what} ({section}): the payload is what the server sent "
                  "instead of the resource, not the work at this URL"),
        extractor=EXTRACTOR)


#: Byte order marks, which decide a page's encoding before any declaration (HTML Standard).
_BOMS = (b"\xef\xbb\xbf", b"\xfe\xff", b"\xff\xfe")


@dataclasses.dataclass
class SignalStep:
    """Reads every rights signal of each record (see the module docstring).

    ``hosts``: host-file captures (robots.txt, tdmrep.json, ai.txt), or None when the corpus has
    no URLs. ``agents``: the user's own crawler tokens (``--agent``), evaluated besides ``*`` and
    the training tokens of the crawler table. ``lists``: the user's domain lists (paths), loaded
    lazily in each worker. ``count_tokens``: also fill ``size_tokens`` of text and code records
    that have none and no error (what the readers' ``count_tokens`` would have counted:
    :func:`rightsguard.fingerprint.text.count_tokens` of
    :func:`~rightsguard.corpus.records.text_for_tokens`, decoded as a WARC record's
    ``http_charset`` field says), reusing the HTML parse of the signal extractors.

    Each HTML body is parsed once (:class:`~rightsguard.signals.html.HtmlPage`) and that tree is
    shared by the ``<meta>`` extractors, the licence extractor and the token count; the last two
    use it only when it holds exactly the text they would parse themselves (the same bytes fed to
    lexbor), so every output equals that of separate parses.
    """

    hosts: HostFiles | None = None
    agents: tuple[str, ...] = ()
    piracy: Path | None = None
    paywall: Path | None = None
    dataset_for_sale: Path | None = None
    count_tokens: bool = False
    _cache: dict[tuple[str, str], Any] = dataclasses.field(default_factory=dict, repr=False)
    _lists: Any = dataclasses.field(default=None, repr=False)

    def __getstate__(self) -> dict[str, Any]:
        state = {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}
        state["_cache"], state["_lists"] = {}, None
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        for k, v in state.items():
            setattr(self, k, v)

    def run(self, data: Iterable[Record], rank: int = 0, world_size: int = 1
            ) -> Iterator[Record]:
        for record in data:
            page = self._parse(record)
            signals = tuple(self.signals(record, page=page))
            if self.count_tokens and record.size_tokens is None and record.error is None \
                    and record.modality in (Modality.TEXT, Modality.CODE):
                yield dataclasses.replace(record, signals=signals,
                                          size_tokens=self._tokens(record, page))
            else:
                yield dataclasses.replace(record, signals=signals)

    # -- one record ---------------------------------------------------------------------------
    @staticmethod
    def _parse(record: Record) -> HtmlPage | None:
        """The record's body parsed once, when the HTML extractors will read it, else None."""
        from rightsguard.signals.html import HtmlPage, is_html

        body = record.content
        if not body or record.error is not None or not is_html(record.media_type, body):
            return None
        # HTML Standard §13.2.3.2 (encoding sniffing): a BOM, then the transport layer's
        # charset, then <meta charset>; lexbor sniffs only the BOM and <meta> in bytes, so a
        # UTF-16 page without a BOM declared in Content-Type lost its noai <meta>
        charset = record.fields.get("http_charset")
        if isinstance(charset, str) and charset.replace("-", "").replace("_", "") not in (
                "utf8", "ascii", "usascii") and not body.startswith(_BOMS):
            return HtmlPage(body.decode(charset, "replace"))
        return HtmlPage(body)

    @staticmethod
    def _tokens(record: Record, page: HtmlPage | None) -> int:
        """Tokens of a text or code record as the readers count them (``corpus.records``);
        modifies ``page``'s tree (its last use)."""
        from rightsguard.corpus.records import text_for_tokens
        from rightsguard.fingerprint.text import count_tokens

        charset = record.fields.get("http_charset")
        # a page not parsed (HtmlPage.error: nested too deep) is counted as text, tags left out
        media_type = "text/plain" if page is not None and page.error else record.media_type
        return count_tokens(text_for_tokens(
            record.content or b"", media_type, charset if isinstance(charset, str) else None,
            tree=None if page is None else page.tree))

    def signals(self, record: Record, *, page: HtmlPage | None = None) -> list[RightsSignal]:
        """Every signal of one record, in a stable order (host, page, media, licences, lists).

        ``page``: ``HtmlPage(record.content)`` when the caller has parsed an HTML body already
        (shared by the extractors); None parses it where needed."""
        out: list[RightsSignal] = list(record.signals)
        if record.error:
            out.append(unreadable_signal(record))
        status = status_signal(record)
        if status is not None:
            out.append(status)
        url = record.source
        if record.host:
            out += self._host_signals(record, url)
        body = record.content
        if body is not None and record.error is None:
            out += self._page_signals(record, body, url, page)
        out += self._licence_signals(record, body, page)
        out += self._list_signals(record)
        return _settle_tdmrep(out)

    def _host_signals(self, record: Record, url: str) -> list[RightsSignal]:
        from rightsguard.signals.ai_txt import ai_txt_signals
        from rightsguard.signals.content_usage import robots_content_signals
        from rightsguard.signals.robots import RobotsRules, robots_signals
        from rightsguard.signals.tdmrep import tdmrep_file_signals

        assert record.host is not None
        hosts = self.hosts or HostFiles()
        out: list[RightsSignal] = []
        robots = hosts.robots_for(record.host, record.captured_at, url=url)
        rules = None
        if robots is not None:
            key = ("robots", robots.evidence)
            rules = self._cache.get(key)
            if rules is None:
                rules = self._cache[key] = RobotsRules(_as_read(robots))
        out += robots_signals(rules, url, self.agents)
        out += robots_content_signals(rules, url, self.agents)
        tdm = hosts.tdmrep_for(record.host, record.captured_at, url=url)
        out += tdmrep_file_signals(None if tdm is None else _as_read(tdm), url)
        ai = hosts.ai_txt_for(record.host, record.captured_at, url=url)
        if ai is not None:
            out += ai_txt_signals(ai.body, url, ai.status, agents=self.agents,
                                  captured_at=ai.captured_at, evidence=_as_read(ai).evidence)
        return out

    def _page_signals(self, record: Record, body: bytes, url: str, page: HtmlPage | None
                      ) -> list[RightsSignal]:
        from rightsguard.signals.embedded import media_signals
        from rightsguard.signals.html import page_signals

        out = page_signals(record.headers, body, record.media_type, url, record.modality,
                           self.agents, page=page)
        out += media_signals(body, record.media_type, url, record.modality)
        return out

    def _licence_signals(self, record: Record, body: bytes | None, page: HtmlPage | None
                         ) -> list[RightsSignal]:
        from rightsguard.signals.html import is_html
        from rightsguard.signals.licence_class import (
            column_licence_signals,
            html_licence_signals,
            text_licence_signals,
        )

        out: list[RightsSignal] = []
        value = record.fields.get("licence")  # the catalogue's licence column (ColumnMap)
        if isinstance(value, list):  # Hugging Face "licenses": ["cc-by-nc-4.0", …]: all apply
            value = ", ".join(str(v) for v in value if v is not None)
        if isinstance(value, str) and value.strip():
            out += column_licence_signals(value, f"{record.id} licence column")
        elif value is not None and not isinstance(value, str):  # a number, an object: unread
            out += column_licence_signals(f"{value!r}", f"{record.id} licence column")
        if body is None or record.error is not None:
            return out
        if is_html(record.media_type, body):
            out += html_licence_signals(body, record.source, page=page)
        elif record.modality in ("text", "code"):
            text = body[:LICENCE_SCAN_BYTES].decode("utf-8", "replace")
            out += text_licence_signals(text, record.id)
        return out

    def _list_signals(self, record: Record) -> list[RightsSignal]:
        if not (self.piracy or self.paywall or self.dataset_for_sale):
            return []
        from rightsguard.signals.lists import DomainLists, list_signals

        if self._lists is None:
            self._lists = DomainLists.load(piracy=self.piracy, paywall=self.paywall,
                                           dataset_for_sale=self.dataset_for_sale)
        return list_signals(record.host, record.domain, self._lists)


def _as_read(f: HostFile) -> HostFile:
    """The capture as the extractors read it: :attr:`evidence` without its leading ``"<kind>
    of <host> (<status>, captured …) from "``, which the extractors write themselves (passing it
    whole printed that description twice)."""
    _head, sep, rest = f.evidence.partition(" from ")
    return dataclasses.replace(f, evidence=rest) if sep else f


def _settle_tdmrep(signals: Sequence[RightsSignal]) -> list[RightsSignal]:
    """Keep every TDMRep signal; those a stronger carrier overrides get state ``n/a``."""
    from rightsguard.signals.tdmrep import resolve_tdmrep

    tdm = [s for s in signals if s.kind == "tdmrep"]
    if len(tdm) < 2:
        return list(signals)
    winner = resolve_tdmrep(tdm)
    out = []
    for s in signals:
        if s.kind == "tdmrep" and winner is not None:
            if (s.carrier, s.value) == (winner.carrier, winner.value) \
                    and winner.evidence.startswith(s.evidence):
                s = winner  # the answer in force (its evidence names what it superseded)
            elif s.state != "n/a":
                s = dataclasses.replace(s, state="n/a", evidence=f"{s.evidence} (overridden by "
                                        f"{winner.carrier} under TDMRep's processing priority)")
        out.append(s)
    return out
