"""Spawning ``ai.txt``: robots.txt grammar applied to file types, served at ``/ai.txt``.

Source: rights-signals.md §4 — Spawning's generator writes a header comment (``# Spawning AI`` /
``# Prevent datasets from using the following file types``) then ``User-Agent: *`` and
``Disallow: *.jpg`` … or a blanket ``Disallow: /`` / ``Disallow: *``. The name collides with
unrelated "ai.txt" formats (e.g. Markdown descriptions for language models), so a body counts as
Spawning's only when it carries that header (a comment mentioning Spawning) or consists solely
of robots.txt ``User-Agent`` / ``Allow`` / ``Disallow`` lines with at least one of each kind.
Anything else is recorded as ``unknown`` with the value ``"not a Spawning ai.txt"``.

A Spawning ai.txt is evaluated with protego exactly like robots.txt
(:class:`rightsguard.signals.robots.RobotsRules`: longest match, allow wins ties, ``*``/``$``,
500 KiB, UTF-8 with replacement) against the URL's path, so ``Disallow: *.jpg`` reserves
``/a/b.jpg``. Tokens evaluated: ``*``, the crawler table's training tokens and ``agents``.

Status: 2xx → evaluate; 4xx → ``not-reserved`` (no ai.txt); other status or unreachable →
``unknown``. ai.txt has no RFC: unlike robots.txt, a 5xx is not read as "disallow all".
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from urllib.parse import urlsplit

from rightsguard.model import ReservationState, RightsSignal
from rightsguard.signals.crawlers import CrawlerTable
from rightsguard.signals.html import clip
from rightsguard.signals.robots import RobotsFile, RobotsRules, decode_robots, evaluated_tokens

__all__ = ["ai_txt_signals", "is_spawning_ai_txt"]

_MARKER = re.compile(r"^\s*#.*spawning", re.I | re.M)
_DIRECTIVE = re.compile(r"^\s*(user-agent|allow|disallow)\s*:", re.I)


def is_spawning_ai_txt(text: str) -> bool:
    """True when ``text`` is Spawning's ai.txt (see the module docstring for the test)."""
    if _MARKER.search(text):
        return True
    kinds: set[str] = set()
    for raw in text.splitlines():
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        match = _DIRECTIVE.match(line)
        if match is None:
            return False
        kinds.add("agent" if match.group(1).lower() == "user-agent" else "rule")
    return kinds == {"agent", "rule"}


def _signal(value: str, state: str, evidence: str) -> RightsSignal:
    return RightsSignal(kind="ai-txt", carrier="ai.txt", value=value, scope="*", state=state,
                        evidence=evidence, extractor=__name__)


def ai_txt_signals(
    body: bytes | None,
    url: str,
    status: int | None,
    *,
    agents: Sequence[str] = (),
    table: CrawlerTable | None = None,
    captured_at: str | None = None,
    evidence: str = "",
) -> list[RightsSignal]:
    """ai.txt signals for one URL (``kind`` ``ai-txt``, ``carrier`` ``ai.txt``).

    ``body`` and ``status`` None together mean no capture of the host's ai.txt: no signal
    (ai.txt is optional; the robots.txt signal answers for an unknown host). Otherwise, as for
    robots.txt: one ``reserved`` signal per evaluated token the file disallows for ``url``,
    or one ``not-reserved`` summary; ``unknown`` when the body is not Spawning's format or the
    status is not 2xx/4xx. Never raises on bad input.
    """
    host = (urlsplit(url).hostname or "").lower()
    if body is None and status is None:
        return []
    where = f"ai.txt of {host} ({'unreachable' if status is None else f'HTTP {status}'}, " \
            f"captured {captured_at or 'at an unknown time'})" + (f" from {evidence}"
                                                                  if evidence else "")
    if status is not None and 400 <= status <= 499:
        return [_signal(f"no ai.txt (HTTP {status})", ReservationState.NOT_RESERVED.value,
                        where)]
    if status is None or not 200 <= status <= 299:
        return [_signal("ai.txt unreadable" + (f" (HTTP {status})" if status else
                                               " (unreachable)"),
                        ReservationState.UNKNOWN.value, where)]
    text, _ = decode_robots(body or b"")
    if not is_spawning_ai_txt(text):
        first = next((ln.strip() for ln in text.splitlines() if ln.strip()), "(empty)")
        return [_signal("not a Spawning ai.txt", ReservationState.UNKNOWN.value,
                        f"{where}: first line {clip(first, 80)!r}")]
    rules = RobotsRules(RobotsFile(host, status, body or b"", captured_at, evidence))
    return rules.signals(url, evaluated_tokens(agents, table), kind="ai-txt", carrier="ai.txt",
                         file="ai.txt", extractor=__name__)
