"""W3C TDM Reservation Protocol (TDMRep): site file, HTTP headers, HTML meta, and precedence.

Source: TDMRep final community group report (w3c/tdm-reservation-protocol ``spec/index.html``,
https://www.w3.org/2022/tdmrep/; rights-signals.md §2). Sections cited below are the spec's.

* ``tdm-reservation``: ``1`` = TDM rights reserved (the Art. 4(3) CDSM opt-out), ``0`` = not
  reserved; any other value is a protocol error and the agent MUST consider it unset
  (§"tdm-reservation"). ``tdm-policy`` is a URL, not processed when the reservation is ``0``
  (§"tdm-policy").
* Site file ``/.well-known/tdmrep.json`` (§"TDM File on the Origin Server"): a JSON array of
  rules with ``location`` (mandatory pattern), ``tdm-reservation`` (mandatory number) and
  ``tdm-policy`` (optional). Patterns follow robots.txt (``*``, ``$``, percent-decoding of
  unreserved characters, case-sensitive; the spec points to Google's robots.txt URL matching),
  matched here with protego through :class:`rightsguard.signals.robots.PathPattern`. "The most
  specific match is the first in sequence": the first matching rule in file order wins. No match
  → unset. A server that gives no successful response "does not implement this protocol" →
  unset.
* HTTP headers ``tdm-reservation`` / ``tdm-policy`` (§"TDM Header Field in HTTP Responses").
* HTML ``<meta name="tdm-reservation" content="1">`` and ``<meta name="tdm-policy" …>``.
* Precedence (§"Processing priority"): header values supersede the file; HTML meta supersedes
  previous values; EPUB/PDF metadata supersede previous ones (rights-signals.md §2); absence at a
  later step never resets an earlier value. :func:`resolve_tdmrep` applies it.

Signals: ``kind`` ``tdmrep``, ``scope`` ``*``. ``value`` is ``"tdm-reservation=0"`` or
``"tdm-reservation=1"`` (with ``", tdm-policy=<url>"`` when reserved with a policy:
:func:`tdmrep_value`, also used by the EPUB/PDF extractor), ``"unset: <why>"`` (state
``not-reserved``: this carrier reserves nothing) or ``"malformed: <why>"`` (state ``unknown``).
Malformed files and protocol errors never raise.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import replace
from typing import Any
from urllib.parse import urlsplit

from rightsguard.model import HostCapture, ReservationState, RightsSignal
from rightsguard.signals.html import HtmlPage, clip, header_values
from rightsguard.signals.robots import PathPattern

__all__ = [
    "CARRIER_RANK",
    "TdmrepFile",
    "resolve_tdmrep",
    "tdmrep_file_signals",
    "tdmrep_header_signals",
    "tdmrep_html_signals",
    "tdmrep_value",
]

#: precedence of TDMRep carriers, lowest first (§"Processing priority"); ``epub``, ``pdf`` and
#: ``xmp`` (embedded metadata) share the top rank
CARRIER_RANK = {"tdmrep.json": 0, "http-header": 1, "html-meta": 2, "epub": 3, "pdf": 3, "xmp": 3}
#: a tdmrep.json larger than this is not parsed (the spec's example files are a few hundred bytes)
MAX_FILE_BYTES = 1024 * 1024

_RESERVED = ReservationState.RESERVED.value
_NOT_RESERVED = ReservationState.NOT_RESERVED.value
_UNKNOWN = ReservationState.UNKNOWN.value


#: One capture of ``https://HOST/.well-known/tdmrep.json`` (see
#: :class:`~rightsguard.model.HostCapture`).
TdmrepFile = HostCapture


def _signal(carrier: str, value: str, state: str, evidence: str) -> RightsSignal:
    return RightsSignal(kind="tdmrep", carrier=carrier, value=value, scope="*", state=state,
                        evidence=evidence, extractor=__name__)


def tdmrep_value(reservation: int, policy: str | None) -> str:
    """The ``value`` of a definite TDMRep signal: ``"tdm-reservation=0"``, ``"tdm-reservation=1"``
    or ``"tdm-reservation=1, tdm-policy=<url>"`` (a policy with ``0`` SHOULD NOT be processed:
    §"tdm-policy"). Every TDMRep carrier (site file, header, HTML here; EPUB and PDF in
    :mod:`rightsguard.signals.embedded`) writes this form: :func:`resolve_tdmrep` reads only
    values of this form as definite, so a carrier writing another form could never override."""
    if reservation == 1 and policy:
        return f"tdm-reservation=1, tdm-policy={policy}"
    return f"tdm-reservation={reservation}"


def _describe(f: TdmrepFile) -> str:
    status = "unreachable" if f.status is None else f"HTTP {f.status}"
    text = f"tdmrep.json of {f.host} ({status}, captured {f.captured_at or 'at an unknown time'})"
    return text + (f" from {f.evidence}" if f.evidence else "")


def _rule_problem(i: int, rule: Any) -> str | None:
    if not isinstance(rule, dict):
        return f"rule {i} is {type(rule).__name__}, not an object"
    location = rule.get("location")
    if not isinstance(location, str) or not location:
        return f"rule {i} location {location!r} is not a non-empty string"
    return None


def _reservation_problem(i: int, rule: dict[str, Any]) -> str | None:
    if "tdm-reservation" not in rule:
        return f"rule {i} has no tdm-reservation (mandatory)"
    value = rule["tdm-reservation"]
    if isinstance(value, bool) or not isinstance(value, int) or value not in (0, 1):
        return (f"rule {i} tdm-reservation {value!r} is not the number 0 or 1 (protocol error: "
                "unset)")
    policy = rule.get("tdm-policy")
    if policy is not None and not isinstance(policy, str):
        return f"rule {i} tdm-policy {policy!r} is not a URL string"
    return None


def tdmrep_file_signals(f: TdmrepFile | None, url: str) -> list[RightsSignal]:
    """The site file's signal for ``url`` (``carrier`` ``tdmrep.json``), one at most.

    * None (no capture): no signal — TDMRep is optional and its absence is neither a reservation
      nor evidence against one (robots.txt carries the "unknown host" answer).
    * A capture that cannot be read (``problem``): ``unknown`` — the file may reserve.
    * Not 2xx or unreachable: ``unset`` (the origin does not implement the protocol).
    * Not UTF-8 / not JSON / not an array / too large: ``malformed``.
    * Rules are tried in file order; a malformed rule met before the first match makes the
      answer ``malformed`` (it might have matched); the first matching rule decides; a matching
      rule with a reservation other than the number 0 or 1 is ``malformed`` (a protocol error).
    * No rule matches: ``unset``.
    """
    if f is None:
        return []
    head = _describe(f)
    path = urlsplit(url).path or "/"
    if f.problem:
        return [_signal("tdmrep.json", f"unreadable: {f.problem}", _UNKNOWN, head)]
    if f.status is None or not 200 <= f.status <= 299:
        return [_signal("tdmrep.json", "unset: no tdmrep.json served", _NOT_RESERVED,
                        f"{head}: a server that gives no successful response does not implement "
                        "TDMRep")]
    if len(f.body) > MAX_FILE_BYTES:
        return [_signal("tdmrep.json", f"malformed: {len(f.body)} bytes, over the "
                        f"{MAX_FILE_BYTES}-byte limit", _UNKNOWN, head)]
    try:
        rules = json.loads(f.body.decode("utf-8-sig"))
    except UnicodeDecodeError as exc:
        return [_signal("tdmrep.json", f"malformed: not UTF-8 (byte offset {exc.start})", _UNKNOWN,
                        head)]
    except (ValueError, RecursionError) as exc:
        return [_signal("tdmrep.json", f"malformed: invalid JSON ({clip(str(exc), 120)})",
                        _UNKNOWN, head)]
    if not isinstance(rules, list):
        kind = "an object" if isinstance(rules, dict) else type(rules).__name__
        return [_signal("tdmrep.json", f"malformed: the file is {kind}, not an array of rules",
                        _UNKNOWN, head)]
    for i, rule in enumerate(rules, 1):
        problem = _rule_problem(i, rule)
        if problem is not None:
            return [_signal("tdmrep.json", f"malformed: {problem}", _UNKNOWN, head)]
        location = rule["location"]
        if not PathPattern(location).matches(url):
            continue
        where = f"{head}: rule {i} location {location!r} matches {path}"
        problem = _reservation_problem(i, rule)
        if problem is not None:
            return [_signal("tdmrep.json", f"malformed: {problem}", _UNKNOWN, where)]
        reservation = rule["tdm-reservation"]
        return [_signal("tdmrep.json", tdmrep_value(reservation, rule.get("tdm-policy")),
                        _RESERVED if reservation == 1 else _NOT_RESERVED, where)]
    return [_signal("tdmrep.json", f"unset: no rule matches {path}", _NOT_RESERVED,
                    f"{head}: {len(rules)} rules, none matches {path}")]


def _declared(carrier: str, reservations: Sequence[str], policies: Sequence[str],
              evidence: str) -> list[RightsSignal]:
    """One signal from the values a header set or a page declares."""
    if not reservations:
        return []
    distinct = sorted({r.strip() for r in reservations})
    if len(distinct) > 1:
        return [_signal(carrier, f"malformed: conflicting tdm-reservation values {distinct}",
                        _UNKNOWN, evidence)]
    value = distinct[0]
    if value not in ("0", "1"):
        return [_signal(carrier, f"malformed: tdm-reservation {clip(value, 40)!r} is not 0 or 1 "
                        "(protocol error: unset)", _UNKNOWN, evidence)]
    policy = policies[-1].strip() if policies else None
    reservation = int(value)
    return [_signal(carrier, tdmrep_value(reservation, policy),
                    _RESERVED if reservation == 1 else _NOT_RESERVED, evidence)]


def tdmrep_header_signals(headers: Sequence[tuple[str, str]],
                          evidence_prefix: str = "") -> list[RightsSignal]:
    """The ``tdm-reservation`` / ``tdm-policy`` headers' signal (``carrier`` ``http-header``):
    none without a ``tdm-reservation`` header; ``malformed`` for a value other than ``0``/``1``
    or for conflicting repeated headers. Header names are case-insensitive."""
    reservations = header_values(headers, "tdm-reservation")
    policies = header_values(headers, "tdm-policy")
    where = f"{evidence_prefix}: " if evidence_prefix else ""
    shown = ", ".join(f"tdm-reservation: {clip(v, 60)}" for v in reservations)
    if policies:
        shown += f", tdm-policy: {clip(policies[-1], 120)}"
    return _declared("http-header", reservations, policies, f"{where}header {shown}")


def tdmrep_html_signals(html: HtmlPage | bytes | str,
                        evidence_prefix: str = "") -> list[RightsSignal]:
    """``<meta name="tdm-reservation">`` / ``<meta name="tdm-policy">`` signal (``carrier``
    ``html-meta``), parsed with selectolax (:class:`~rightsguard.signals.html.HtmlPage`); none
    without a ``tdm-reservation`` meta; never raises on broken HTML."""
    page = HtmlPage.of(html)
    reservations = page.named("tdm-reservation")
    policies = page.named("tdm-policy")
    where = f"{evidence_prefix}: " if evidence_prefix else ""
    shown = " ".join(clip(m.markup, 120) for m in (*reservations, *policies))
    return _declared("html-meta", [m.content for m in reservations],
                     [m.content for m in policies], f"{where}{shown}")


def resolve_tdmrep(signals: Iterable[RightsSignal]) -> RightsSignal | None:
    """The TDMRep answer for one item from its per-carrier signals (§"Processing priority").

    Carriers rank ``tdmrep.json`` < ``http-header`` < ``html-meta`` < ``epub``/``pdf``/``xmp``
    (:data:`CARRIER_RANK`); a later carrier's definite value (``tdm-reservation=0|1``)
    overrides earlier ones; ``unset`` and ``malformed`` values (protocol errors are "unset")
    never reset an earlier definite value. Without any definite value: the first ``malformed``
    signal (state unknown) if any, else the first ``unset`` one, else None (no TDMRep signal).
    Signals of other kinds and unknown carriers are ignored. The result's evidence names the
    carriers it overrode.
    """
    found = sorted((s for s in signals if s.kind == "tdmrep" and s.carrier in CARRIER_RANK),
                   key=lambda s: CARRIER_RANK[s.carrier])
    definite = [s for s in found if s.value.startswith("tdm-reservation=")]
    if definite:
        winner = definite[-1]
        overridden = [s for s in definite[:-1] if s.value != winner.value]
        if not overridden:
            return winner
        note = "; ".join(f"{s.carrier} {s.value}" for s in overridden)
        return replace(winner, evidence=f"{winner.evidence} (supersedes {note}: TDMRep "
                                        "processing priority)")
    malformed = [s for s in found if s.state == _UNKNOWN]
    if malformed:
        return malformed[0]
    return found[0] if found else None
