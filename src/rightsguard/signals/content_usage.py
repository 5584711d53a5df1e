"""Usage-preference lines: Cloudflare ``Content-Signal`` and IETF AIPREF ``Content-Usage``.

Sources of every rule here:

* **Content-Signal** (Cloudflare Content Signals Policy, contentsignals.org; rights-signals.md
  §3e): a line inside a robots.txt group, ``Content-Signal: search=yes, ai-train=no``, with keys
  ``search``, ``ai-input``, ``ai-train`` and values ``yes`` / ``no``; an omitted key expresses no
  preference. It is not a Structured Field, so it is read as the comma-separated ``key=value``
  list the policy shows (keys and values case-insensitive); other keys are ignored, other values
  give ``unknown`` for that key. A leading ``/path`` (as Content-Usage has) is accepted and
  matched the same way. Several lines for one token combine restrictively (any ``no`` wins).
* **AIPREF Content-Usage** (draft-ietf-aipref-attach-05, vocabulary draft-ietf-aipref-vocab-08):
  the HTTP header ``Content-Usage: train-ai=n`` (attach §3, applies to the representation) and
  the robots.txt rule ``Content-Usage: /path <prefs>`` (attach §4: path matched as Allow/Disallow
  are, longest match by octets; rules with identical paths combine as vocab §7.1 says — any
  ``n`` wins, else any ``y``; preferences apply only to paths the agent may crawl). A rule
  without a path is read as path ``/`` (earlier drafts made the path optional). Preferences are
  an RFC 9651 Dictionary parsed with **http-sfv**; labels ``train-ai`` and ``search`` (vocab -08;
  other labels ignored, vocab §6.5); a Token ``y`` allows, ``n`` disallows, anything else is
  unknown (vocab §6.6); a duplicate key keeps its last value (RFC 9651 §4.2.2); a Dictionary
  that does not parse makes every label unknown (vocab §6.6.1).

Group selection follows RFC 9309 as protego applies it
(:func:`rightsguard.signals.robots.select_groups`): protego does not expose these lines, so the
file is split into groups here.

Signals: ``kind`` ``content-signal`` or ``aipref``; ``carrier`` ``robots.txt`` or ``http-header``;
``scope`` the use key (``ai-train``, ``ai-input``, ``search``, ``train-ai``); ``value``
``"<key>=<value>"`` as written (``"<key> unknown (unrecognised value)"`` for any other value,
which the policy counts as a malformed carrier: review); state ``reserved`` for a ``no``/``n``,
``not-reserved`` for ``yes``/``y``, ``unknown`` otherwise. From robots.txt, tokens whose groups
give the same result share one signal, and the evidence names them.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from http_sfv.dictionary import Dictionary
from http_sfv.item import Item
from http_sfv.types import Token

from rightsguard.model import ReservationState, RightsSignal
from rightsguard.signals.crawlers import CrawlerTable
from rightsguard.signals.html import clip, header_values
from rightsguard.signals.robots import (
    RobotsFile,
    RobotsGroup,
    RobotsLine,
    RobotsRules,
    evaluated_tokens,
)

__all__ = [
    "AIPREF_LABELS",
    "CONTENT_SIGNAL_KEYS",
    "content_usage_header_signals",
    "parse_content_signal",
    "parse_usage_preferences",
    "robots_content_signals",
]

#: usage categories of draft-ietf-aipref-vocab-08 (§5 labels)
AIPREF_LABELS = ("train-ai", "search")
#: Cloudflare Content Signals Policy keys
CONTENT_SIGNAL_KEYS = ("search", "ai-input", "ai-train")

_RESERVED = ReservationState.RESERVED.value
_NOT_RESERVED = ReservationState.NOT_RESERVED.value
_UNKNOWN = ReservationState.UNKNOWN.value
#: A preference present with a value that is not one of its two (AIPREF: the Tokens ``y``/``n``;
#: Content-Signal: ``yes``/``no``), e.g. ``train-ai=no``: the holder expressed something that
#: cannot be read, so the policy reads it as a malformed carrier (unknown, never "not reserved").
UNRECOGNISED = "unknown (unrecognised value)"


def parse_usage_preferences(data: str | bytes) -> dict[str, str]:
    """AIPREF preferences of one serialised Dictionary: label → ``y`` | ``n`` | ``unknown``.

    Only :data:`AIPREF_LABELS` are returned; an absent label is left out; a value that is not the
    Token ``y`` or ``n`` is ``unknown``; a Dictionary that does not parse (RFC 9651, e.g. an
    upper-case key, a trailing comma, non-ASCII) gives ``unknown`` for every label.
    """
    raw = data.encode("utf-8", errors="replace") if isinstance(data, str) else data
    parsed = Dictionary()
    try:
        parsed.parse(raw)
    except Exception:  # http-sfv raises ValueError, and others on odd bytes
        return dict.fromkeys(AIPREF_LABELS, "unknown")
    out: dict[str, str] = {}
    for label in AIPREF_LABELS:
        if label not in parsed:
            continue
        member = parsed[label]
        value = getattr(member, "value", None)
        if isinstance(member, Item) and isinstance(value, Token) \
                and str(value) in ("y", "n"):
            out[label] = str(value)
        else:
            out[label] = "unknown"
    return out


def parse_content_signal(text: str) -> dict[str, str]:
    """Content-Signal preferences: key → ``yes`` | ``no`` | ``unknown`` for the keys of
    :data:`CONTENT_SIGNAL_KEYS` present in ``text`` (``search=yes, ai-train=no``). The last
    value of a repeated key wins."""
    out: dict[str, str] = {}
    for item in text.split(","):
        key, sep, value = item.partition("=")
        key = key.strip().lower()
        if key not in CONTENT_SIGNAL_KEYS:
            continue
        value = value.strip().lower()
        out[key] = value if sep and value in ("yes", "no") else "unknown"
    return out


def _state(value: str) -> str:
    if value in ("n", "no"):
        return _RESERVED
    if value in ("y", "yes"):
        return _NOT_RESERVED
    return _UNKNOWN


def _combine(values: Sequence[str], deny: str, allow: str) -> str:
    """vocab §7.1: any disallow wins, else any allow, else unknown."""
    if deny in values:
        return deny
    if allow in values:
        return allow
    return "unknown"


def content_usage_header_signals(headers: Sequence[tuple[str, str]],
                                 evidence_prefix: str = "") -> list[RightsSignal]:
    """AIPREF ``Content-Usage`` header signals (``kind`` ``aipref``, ``carrier`` ``http-header``).

    Several ``Content-Usage`` headers are one field, their values joined with ``", "``
    (RFC 9110 §5.3). One signal per label present (or every label when the field does not
    parse); none without the header. Never raises."""
    values = header_values(headers, "content-usage")
    if not values:
        return []
    field = ", ".join(v.strip() for v in values)
    prefs = parse_usage_preferences(field)
    where = f"{evidence_prefix}: " if evidence_prefix else ""
    out = []
    for label, value in prefs.items():
        shown = f"{label}={value}" if value != "unknown" else f"{label} {UNRECOGNISED}"
        if value == "unknown" and all(v == "unknown" for v in prefs.values()) \
                and len(prefs) == len(AIPREF_LABELS):
            shown = f"{label} unknown (Content-Usage does not parse as a Dictionary, RFC 9651)"
        out.append(RightsSignal(
            kind="aipref", carrier="http-header", value=shown, scope=label,
            state=_state(value),
            evidence=f"{where}header Content-Usage: {clip(field)}",
            extractor=__name__))
    return out


@dataclass(frozen=True, slots=True)
class _Result:
    kind: str
    key: str
    value: str
    lines: tuple[RobotsLine, ...]


def _path_and_prefs(value: str) -> tuple[str, str, bool]:
    """Split a rule value into (path, preferences, path given)."""
    if value.startswith("/"):
        path, _, prefs = value.replace("\t", " ").partition(" ")
        return path, prefs.strip(), True
    return "/", value.strip(), False


def _longest_path_results(rules: RobotsRules, lines: Sequence[RobotsLine], url: str,
                          parse: Callable[[str], dict[str, str]], kind: str,
                          labels: Sequence[str], deny: str, allow: str) -> list[_Result]:
    """Per label, the combined value of the lines whose path matches ``url`` longest (lines
    without a path apply to "/" and so to every URL; a longer path overrides them; identical
    paths combine restrictively: ``deny`` wins over ``allow``)."""
    matched: list[tuple[int, RobotsLine, dict[str, str]]] = []
    for line in lines:
        path, prefs, _ = _path_and_prefs(line.value)
        pattern = rules.pattern(path)
        if pattern.matches(url):
            matched.append((pattern.length, line, parse(prefs)))
    if not matched:
        return []
    longest = max(length for length, _, _ in matched)
    chosen = [(ln, p) for length, ln, p in matched if length == longest]
    out = []
    for label in labels:
        values = [p[label] for _, p in chosen if label in p]
        if values:
            out.append(_Result(kind, label, _combine(values, deny, allow),
                               tuple(ln for ln, p in chosen if label in p)))
    return out


def _content_signal_results(rules: RobotsRules, groups: Sequence[RobotsGroup],
                            url: str) -> list[_Result]:
    lines = [ln for g in groups for ln in g.lines if ln.field == "content-signal"]
    return _longest_path_results(rules, lines, url, parse_content_signal, "content-signal",
                                 CONTENT_SIGNAL_KEYS, "no", "yes")


def _content_usage_results(rules: RobotsRules, groups: Sequence[RobotsGroup], url: str,
                           token: str) -> list[_Result]:
    lines = [ln for g in groups for ln in g.lines if ln.field == "content-usage"]
    if not lines or not rules.can_fetch(url, token):
        # attach §4.1: disallowed paths have no usage preferences (the robots signal covers them)
        return []
    return _longest_path_results(rules, lines, url, parse_usage_preferences, "aipref",
                                 AIPREF_LABELS, "n", "y")


def robots_content_signals(
    robots: RobotsFile | RobotsRules | None,
    url: str,
    agents: Sequence[str] = (),
    table: CrawlerTable | None = None,
) -> list[RightsSignal]:
    """Content-Signal and Content-Usage signals of a robots.txt capture for one URL.

    Evaluates the same tokens as :func:`rightsguard.signals.robots.robots_signals` (``*``, the
    table's training tokens, ``agents``); for each, reads the lines of the groups that apply to
    it. Returns nothing when ``robots`` is None or its status is not 2xx (the robots signal
    reports those) and when the groups hold no such line (no preference expressed). Never
    raises on bad input.
    """
    if robots is None:
        return []
    rules = robots if isinstance(robots, RobotsRules) else RobotsRules(robots)
    if rules.outcome != "parse":
        return []
    head = rules.describe()
    path = url
    merged: dict[_Result, list[str]] = {}
    # tokens that select the same groups get the same preferences: read them once
    per_groups: dict[tuple[int, ...], list[_Result]] = {}
    for token in evaluated_tokens(agents, table):
        key = rules.group_key(token)
        if not key:
            continue
        if key not in per_groups:
            groups = rules.groups_for(token)
            per_groups[key] = (_content_signal_results(rules, groups, url)
                               + _content_usage_results(rules, groups, url, token))
        for result in per_groups[key]:
            merged.setdefault(result, []).append(token)
    out = []
    for result, tokens in merged.items():
        shown = ", ".join(tokens[:8]) + (f" and {len(tokens) - 8} more" if len(tokens) > 8
                                          else "")
        where = "; ".join(f"line {ln.number}: {clip(ln.text)}" for ln in result.lines)
        out.append(RightsSignal(
            kind=result.kind, carrier="robots.txt",
            value=f"{result.key}={result.value}" if result.value != "unknown"
            else f"{result.key} {UNRECOGNISED}",
            scope=result.key, state=_state(result.value),
            evidence=f"{head}: {where} applies to {path} for {shown}",
            extractor=__name__))
    return out
