"""robots.txt (RFC 9309) as an AI-training reservation, evaluated with protego.

Sources of every rule here:

* Matching (groups, case-insensitive product tokens, merging of groups naming the same token,
  longest match, allow wins ties, ``*`` and ``$``, ``/robots.txt`` implicitly allowed): RFC 9309
  §2.2 as implemented by **protego** (scrapy/protego), which this module calls for every verdict.
  protego finds a group by looking for its token at a token boundary inside the queried name, so
  a group ``User-agent: Google`` also applies to ``Google-Extended`` (a prefix); rightsguard keeps
  protego's choice and reports the group it used.
* Fetch outcomes (:func:`robots_signals`): 2xx → parse (§2.3.1.1); 4xx "unavailable" → the crawler
  may access anything (§2.3.1.3); 5xx or network error "unreachable" (``status`` None) → complete
  disallow (§2.3.1.4); other codes (1xx, 3xx not followed in the capture) → unknown (§2.3.1.2
  says redirects must be followed, so the capture does not show the file).
* Size: only the first 500 KiB are parsed (§2.5, "at least the first 500 kibibytes"), cut at the
  last line break inside the limit so no rule is read half.
* Encoding: UTF-8 (§2.2); a UTF-8 byte-order mark is dropped; invalid bytes are replaced and the
  evidence says so.

protego does not report which line decided; :class:`RobotsRules` keeps a line-level view of the
file (its own group splitter, :func:`split_groups`, mirroring protego's grouping) to quote the
deciding line as evidence, and for the Content-Signal / Content-Usage lines protego ignores
(:mod:`rightsguard.signals.content_usage`). The verdict itself always comes from protego.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

from protego import Protego

from rightsguard.model import (
    ROBOTS_UNAVAILABLE_VALUE,
    HostCapture,
    ReservationState,
    RightsSignal,
)
from rightsguard.signals.crawlers import CrawlerTable, default_crawler_table

__all__ = [
    "PARSE_LIMIT_BYTES",
    "PathPattern",
    "RobotsFile",
    "RobotsGroup",
    "RobotsLine",
    "RobotsRules",
    "decode_robots",
    "evaluated_tokens",
    "robots_signals",
    "select_groups",
    "split_groups",
]

#: RFC 9309 §2.5: crawlers must parse at least the first 500 KiB
PARSE_LIMIT_BYTES = 500 * 1024

_USER_AGENT = frozenset({"user-agent", "useragent", "user agent"})
# protego's spellings of allow/disallow (its _ALLOW_DIRECTIVE / _DISALLOW_DIRECTIVE)
_DISALLOW = frozenset({"disallow", "dissallow", "dissalow", "disalow", "diasllow", "disallaw"})
_ALLOW = frozenset({"allow"})
# directives that apply to the whole file and do not end a group (protego, RFC 9309 §2.2.4)
_SITE_WIDE = frozenset({"sitemap", "sitemaps", "site-map", "host"})


#: One capture of a host's robots.txt (see :class:`~rightsguard.model.HostCapture`).
RobotsFile = HostCapture


@dataclass(frozen=True, slots=True)
class RobotsLine:
    """One directive line: ``number`` is 1-based, ``field`` lower-case, ``value`` stripped and
    without its comment, ``text`` the line as written without its comment."""

    number: int
    field: str
    value: str
    text: str


@dataclass(frozen=True, slots=True)
class RobotsGroup:
    """A group: the lower-case tokens of its user-agent lines and its other lines in order."""

    agents: tuple[str, ...]
    lines: tuple[RobotsLine, ...]


def decode_robots(body: bytes) -> tuple[str, tuple[str, ...]]:
    """Decode a robots.txt body as RFC 9309 says (UTF-8, first 500 KiB; see the module doc).

    Returns the text and notes for evidence (``"invalid UTF-8 replaced"``, ``"body of N bytes
    parsed up to 512000 bytes (RFC 9309 §2.5)"``). Never raises."""
    notes: list[str] = []
    if len(body) > PARSE_LIMIT_BYTES:
        cut = body.rfind(b"\n", 0, PARSE_LIMIT_BYTES + 1)
        kept = body[: cut + 1] if cut >= 0 else body[:PARSE_LIMIT_BYTES]
        notes.append(f"body of {len(body)} bytes parsed up to {len(kept)} bytes "
                     f"(RFC 9309 §2.5 limit {PARSE_LIMIT_BYTES} bytes)")
        body = kept
    try:
        text = body.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        text = body.decode("utf-8-sig", errors="replace")
        notes.append(f"invalid UTF-8 at byte offset {exc.start} decoded with replacement")
    return text, tuple(notes)


def _unreadable_rule_line(text: str) -> int | None:
    """1-based number of the first line whose rule part (before ``#``) holds a replacement
    character from invalid UTF-8, or None."""
    for number, line in enumerate(text.splitlines(), 1):
        if "\ufffd" in line.split("#", 1)[0]:
            return number
    return None


def _directive(raw: str) -> tuple[str, str, str] | None:
    """(field, value, text) of one line, comment removed; None for blank or colon-less lines."""
    text = raw.split("#", 1)[0].strip()
    if ":" not in text:
        return None
    field, value = text.split(":", 1)
    return field.strip().lower(), value.strip(), text


def split_groups(text: str) -> tuple[RobotsGroup, ...]:
    """Split robots.txt text into groups the way protego does (RFC 9309 §2.1/§2.2): consecutive
    user-agent lines open a group, the first user-agent line after any other rule opens the next
    one, ``Sitemap``/``Host`` lines belong to no group, lines before the first user-agent line are
    ignored. A token written with ``*`` inside (``Foo*``) also counts without them, as in protego.
    """
    groups: list[RobotsGroup] = []
    agents: list[str] = []
    lines: list[RobotsLine] = []
    previous: str | None = None
    for number, raw in enumerate(text.splitlines(), 1):
        parsed = _directive(raw)
        if parsed is None:
            continue
        field, value, line_text = parsed
        if field in _USER_AGENT:
            if previous is not None and previous not in _USER_AGENT:
                if agents:
                    groups.append(RobotsGroup(tuple(agents), tuple(lines)))
                agents, lines = [], []
            previous = field
            token = value.lower()
            if token:
                agents.append(token)
                if token != "*" and "*" in token and token.replace("*", ""):
                    agents.append(token.replace("*", ""))
            continue
        if field in _SITE_WIDE:
            continue
        previous = field
        if agents:
            lines.append(RobotsLine(number, field, value, line_text))
    if agents:
        groups.append(RobotsGroup(tuple(agents), tuple(lines)))
    return tuple(groups)


def _agent_score(agent: str, token: str) -> int:
    """protego's ``_RuleSet.applies_to``: 1 for ``*``, the agent's length when it occurs in the
    queried token at a token boundary, else 0."""
    if agent == "*":
        return 1
    index = token.find(agent)
    while index != -1:
        if index == 0 or not (token[index - 1].isalnum() or token[index - 1] in "-_"):
            return len(agent)
        index = token.find(agent, index + 1)
    return 0


def select_groups(groups: Sequence[RobotsGroup], token: str) -> tuple[RobotsGroup, ...]:
    """The groups that apply to ``token``: every group naming the best-matching agent (groups
    naming one token are merged, RFC 9309 §2.2.1), the ``*`` groups when no agent matches, none
    when there is no ``*`` group either. Chooses as protego does (first best score)."""
    wanted = token.strip().lower()
    best, best_score = "", 0
    for group in groups:
        for agent in group.agents:
            score = _agent_score(agent, wanted)
            if score > best_score:
                best, best_score = agent, score
    if not best_score:
        return ()
    return tuple(g for g in groups if best in g.agents)


class PathPattern:
    """One Allow/Disallow-style path pattern, matched by protego (RFC 9309 §2.2.2: ``*`` any
    characters, ``$`` end of URL, percent-encoding normalised, case-sensitive).

    ``length`` is the pattern's length in bytes of its UTF-8 form, the "most octets" measure of
    RFC 9309 §2.2.2. An empty pattern matches nothing (as an empty Disallow). protego always
    allows the path ``/robots.txt``, so no pattern matches it.
    """

    __slots__ = ("_parser", "length", "pattern")

    def __init__(self, pattern: str) -> None:
        self.pattern = pattern
        self.length = len(pattern.encode("utf-8"))
        safe = pattern.replace("#", "%23").replace("\r", "").replace("\n", "")
        self._parser = Protego.parse(f"User-agent: *\nDisallow: {safe}\n")

    def matches(self, url: str) -> bool:
        """True when the pattern matches the path (and query) of ``url``."""
        return not self._parser.can_fetch(url, "*")


def evaluated_tokens(agents: Sequence[str] = (), table: CrawlerTable | None = None
                     ) -> tuple[str, ...]:
    """``*``, every training token of the crawler table, then ``agents`` — without repeats
    (case-insensitive), in that order (issue #3, "AI-training reservation")."""
    table = table if table is not None else default_crawler_table()
    out: list[str] = []
    seen: set[str] = set()
    for token in ("*", *table.training_tokens(), *agents):
        token = token.strip()
        if token and token.lower() not in seen:
            seen.add(token.lower())
            out.append(token)
    return tuple(out)


def _path(url: str) -> str:
    parts = urlsplit(url)
    path = parts.path or "/"
    return f"{path}?{parts.query}" if parts.query else path


class RobotsRules:
    """A :class:`RobotsFile` parsed once (protego for verdicts, :func:`split_groups` for
    evidence). Build one per capture and reuse it for every page of the host.

    ``outcome`` is ``parse`` (2xx), ``allow-all`` (4xx), ``disallow-all`` (5xx or unreachable)
    or ``unknown`` (other status, or a body protego could not parse).
    """

    __slots__ = ("_ordered", "_patterns", "_selected", "groups", "notes", "outcome", "parser",
                 "problem", "robots")

    def __init__(self, robots: RobotsFile) -> None:
        self.robots = robots
        self.parser: Protego | None = None
        self.groups: tuple[RobotsGroup, ...] = ()
        self.notes: tuple[str, ...] = ()
        self.problem = ""
        self._patterns: dict[str, PathPattern] = {}
        self._selected: dict[str, tuple[RobotsGroup, ...]] = {}
        self._ordered: dict[tuple[object, ...], list[RobotsLine]] = {}
        status = robots.status
        if robots.problem:
            # our copy of the capture is damaged: what the host served cannot be determined
            self.outcome = "unknown"
            self.problem = robots.problem
        elif status is None or 500 <= status <= 599:
            self.outcome = "disallow-all"
        elif 400 <= status <= 499:
            self.outcome = "allow-all"
        elif 200 <= status <= 299:
            self.outcome = "parse"
            text, self.notes = decode_robots(robots.body)
            bad = _unreadable_rule_line(text) if self.notes else None
            if bad is not None:
                # RFC 9309 §2.3: robots.txt is UTF-8. A rule whose bytes are not cannot be read,
                # so what the file reserves cannot be determined (issue #3: non-UTF-8 robots.txt
                # -> unreadable -> review); bad bytes inside comments change no rule
                self.outcome = "unknown"
                self.problem = (f"robots.txt line {bad} is not valid UTF-8 (RFC 9309 §2.3): its "
                                "rule cannot be read")
                return
            try:
                self.parser = Protego.parse(text)
                self.groups = split_groups(text)
            except Exception as exc:  # bad input never raises out of an extractor
                self.outcome = "unknown"
                self.problem = f"robots.txt cannot be parsed: {type(exc).__name__}: {exc}"
        else:
            self.outcome = "unknown"
            self.problem = (f"HTTP {status} is not a robots.txt response (redirects must be "
                            "followed, RFC 9309 §2.3.1.2)")

    def describe(self, file: str = "robots.txt") -> str:
        """Evidence header: host, status, capture time, where the capture was read, notes."""
        r = self.robots
        status = ("unreadable" if r.problem else "unreachable") if r.status is None \
            else f"HTTP {r.status}"
        text = f"{file} of {r.host} ({status}, captured {r.captured_at or 'at an unknown time'})"
        if r.evidence:
            text += f" from {r.evidence}"
        if self.notes:
            text += "; " + "; ".join(self.notes)
        return text

    def pattern(self, value: str) -> PathPattern:
        """The :class:`PathPattern` of ``value``, built once per file."""
        found = self._patterns.get(value)
        if found is None:
            found = self._patterns[value] = PathPattern(value)
        return found

    def groups_for(self, token: str) -> tuple[RobotsGroup, ...]:
        """The groups that apply to ``token`` (:func:`select_groups`), chosen once per token."""
        key = token.strip().lower()
        found = self._selected.get(key)
        if found is None:
            found = self._selected[key] = select_groups(self.groups, key)
        return found

    def group_key(self, token: str) -> tuple[int, ...]:
        """Identity of the groups that apply to ``token``: tokens with equal keys get the same
        verdicts and preferences for every URL (protego chooses the same rule set for them)."""
        return tuple(id(g) for g in self.groups_for(token))

    def can_fetch(self, url: str, token: str) -> bool:
        """protego's verdict for a parsed file; the status rule otherwise (unknown → False)."""
        if self.outcome == "parse" and self.parser is not None:
            return bool(self.parser.can_fetch(url, token))
        return self.outcome == "allow-all"

    def _rule_lines(self, token: str) -> list[RobotsLine]:
        """Allow/Disallow lines of ``token``'s groups, most specific first (longest pattern,
        allow before disallow on ties), built once per group selection."""
        key = ("rules", *self.group_key(token))
        found = self._ordered.get(key)
        if found is None:
            lines = [ln for g in self.groups_for(token) for ln in g.lines
                     if (ln.field in _ALLOW or ln.field in _DISALLOW) and ln.value]
            lines.sort(key=lambda ln: (self.pattern(ln.value).length, ln.field in _ALLOW),
                       reverse=True)
            found = self._ordered[key] = lines
        return found

    def deciding_line(self, url: str, token: str) -> RobotsLine | None:
        """The Allow/Disallow line that decides ``url`` for ``token`` (longest pattern, allow on
        ties), or None when no line matches or the line found disagrees with protego."""
        best = next((ln for ln in self._rule_lines(token) if self.pattern(ln.value).matches(url)),
                    None)
        if best is None or (best.field in _ALLOW) != self.can_fetch(url, token):
            return None
        return best

    def signals(self, url: str, tokens: Sequence[str], *, kind: str = "robots",
                carrier: str = "robots.txt", file: str = "robots.txt",
                extractor: str = __name__) -> list[RightsSignal]:
        """Signals for ``url`` and ``tokens`` (see :func:`robots_signals`)."""
        head = self.describe(file)
        path = _path(url)
        if self.outcome == "disallow-all":
            status = "unreachable" if self.robots.status is None else f"HTTP {self.robots.status}"
            return [RightsSignal(
                kind=kind, carrier=carrier, value=f"{ROBOTS_UNAVAILABLE_VALUE}{status})", scope="*",
                state=ReservationState.RESERVED.value,
                evidence=f"{head}: unreachable {file} means complete disallow "
                         "(RFC 9309 §2.3.1.4)", extractor=extractor)]
        if self.outcome == "allow-all":
            return [RightsSignal(
                kind=kind, carrier=carrier, value=f"allow all (HTTP {self.robots.status})",
                scope="*", state=ReservationState.NOT_RESERVED.value,
                evidence=f"{head}: 4xx means {file} is unavailable and the crawler may access "
                         "anything (RFC 9309 §2.3.1.3)", extractor=extractor)]
        if self.outcome == "unknown":
            return [RightsSignal(
                kind=kind, carrier=carrier, value=self.problem, scope="*",
                state=ReservationState.UNKNOWN.value, evidence=head, extractor=extractor)]
        out: list[RightsSignal] = []
        # tokens that fall back to the same groups share one verdict and one deciding line
        verdicts: dict[tuple[int, ...], tuple[bool, RobotsLine | None]] = {}
        for token in tokens:
            key = self.group_key(token)
            if key not in verdicts:
                allowed = self.can_fetch(url, token)
                verdicts[key] = (allowed, None if allowed else self.deciding_line(url, token))
            allowed, line = verdicts[key]
            if allowed:
                continue
            where = (f"line {line.number}: {line.text}" if line is not None
                     else "deciding line not identified")
            groups = self.groups_for(token)
            group = ("group User-agent: " + ", ".join(groups[0].agents)) if groups else "no group"
            value = (f"disallow {line.value}" if line is not None else f"disallow {path}")
            out.append(RightsSignal(
                kind=kind, carrier=carrier, value=value, scope=token,
                state=ReservationState.RESERVED.value,
                evidence=f"{head}: {path} disallowed for {token} by {where} ({group})",
                extractor=extractor))
        if not out:
            shown = ", ".join(tokens[:8]) + (f" and {len(tokens) - 8} more" if len(tokens) > 8
                                              else "")
            out.append(RightsSignal(
                kind=kind, carrier=carrier,
                value=f"allowed for all {len(tokens)} evaluated tokens", scope="*",
                state=ReservationState.NOT_RESERVED.value,
                evidence=f"{head}: no rule disallows {path} for {shown}", extractor=extractor))
        return out


def robots_signals(
    robots: RobotsFile | RobotsRules | None,
    url: str,
    agents: Sequence[str] = (),
    table: CrawlerTable | None = None,
) -> list[RightsSignal]:
    """robots.txt signals for one URL.

    Evaluates ``*``, every training token of ``table`` (default: the packaged crawler table) and
    every ``agents`` token (:func:`evaluated_tokens`). Returns (``kind`` ``robots``, ``carrier``
    ``robots.txt``):

    * per token that may not fetch ``url``: state ``reserved``, ``scope`` the token, ``value``
      ``"disallow <pattern>"``, evidence naming host, status, capture time, the deciding line and
      its group;
    * when no evaluated token is disallowed: one ``not-reserved`` summary (``scope`` ``*``);
    * 4xx: one ``not-reserved`` "allow all"; 5xx or unreachable: one ``reserved`` "disallow all"
      (scope ``*``); other status codes: one ``unknown``;
    * ``robots`` None (no capture of the host's robots.txt): one ``unknown`` signal — a missing
      record is not "allowed" (issue #3).

    Pass a :class:`RobotsRules` to reuse one parse across the pages of a host. Never raises on bad
    input.
    """
    if robots is None:
        host = urlsplit(url).hostname or url
        return [RightsSignal(
            kind="robots", carrier="robots.txt", value="no robots.txt record", scope="*",
            state=ReservationState.UNKNOWN.value,
            evidence=f"no robots.txt capture for host {host} (needed for {url})",
            extractor=__name__)]
    rules = robots if isinstance(robots, RobotsRules) else RobotsRules(robots)
    return rules.signals(url, evaluated_tokens(agents, table))
