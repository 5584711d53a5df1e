"""The AI crawler table: product tokens, operators and purposes, kept as data.

The table lives in ``signals/data/ai_crawlers.toml`` (one ``[[crawler]]`` entry per token with
``token``, ``operator``, ``purpose``, ``checked`` and an optional ``note``). Its source is the
``robots.json`` of ai-robots-txt/ai.robots.txt (MIT) plus the vendor notes summarised in
rights-signals.md §3a/§3b; robots.json has no purpose enum, so the purpose class is rightsguard's
own mapping (see :class:`CrawlerPurpose`).

The audit's AI-training reservation (issue #3, "Definitions") reads robots.txt for ``*`` and for
every token :meth:`CrawlerTable.training_tokens` returns. Product tokens compare
case-insensitively (RFC 9309 §2.2.1).
"""

from __future__ import annotations

import enum
import functools
import re
import tomllib
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from rightsguard.errors import ConfigError

__all__ = ["Crawler", "CrawlerPurpose", "CrawlerTable", "default_crawler_table"]

_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


class CrawlerPurpose(enum.StrEnum):
    """Why an agent fetches content (rightsguard's classes; rights-signals.md §3b)."""

    #: collects content for model training, or resells it as training datasets
    TRAINING = "training"
    #: builds a search index that links back to the source
    SEARCH = "search"
    #: fetches a page because a user asked for it
    USER_TRIGGERED = "user-triggered"
    #: a robots.txt product token that controls training and has no crawler of its own
    #: (``Google-Extended``, ``Applebot-Extended``)
    CONTROL_TOKEN = "control-token"


@dataclass(frozen=True, slots=True)
class Crawler:
    """One entry of the table. ``checked`` is the ISO date (``YYYY-MM-DD``) the entry was last
    compared with its source."""

    token: str
    operator: str
    purpose: CrawlerPurpose
    checked: str
    note: str = ""


@dataclass(frozen=True, slots=True)
class CrawlerTable:
    """The crawler table: entries in file order plus the table's ``source`` line."""

    crawlers: tuple[Crawler, ...]
    source: str = ""

    @classmethod
    def load(cls, path: str | Path | None = None) -> CrawlerTable:
        """Read a table from ``path``, by default the packaged ``data/ai_crawlers.toml``
        (read with :mod:`importlib.resources`).

        Raises:
            ConfigError: the file cannot be read or is not TOML, or entries are invalid; every
                problem is listed at once, naming the entry, the field, the value and what is
                allowed (purposes: training, search, user-triggered, control-token; dates
                YYYY-MM-DD; tokens unique case-insensitively).
        """
        name = str(path) if path is not None else "rightsguard/signals/data/ai_crawlers.toml"
        try:
            if path is None:
                raw = resources.files("rightsguard.signals").joinpath(
                    "data/ai_crawlers.toml").read_bytes()
            else:
                raw = Path(path).read_bytes()
            data = tomllib.loads(raw.decode("utf-8"))
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
            raise ConfigError(f"crawler table {name} cannot be read: {exc}") from None
        return cls._from_data(data, name)

    @classmethod
    def _from_data(cls, data: dict[str, Any], name: str) -> CrawlerTable:
        problems: list[str] = []
        entries = data.get("crawler", [])
        if not isinstance(entries, list) or not entries:
            raise ConfigError(f"crawler table {name} has no [[crawler]] entries")
        allowed = ", ".join(p.value for p in CrawlerPurpose)
        crawlers: list[Crawler] = []
        seen: dict[str, int] = {}
        for i, entry in enumerate(entries, 1):
            where = f"crawler table {name} entry {i}"
            if not isinstance(entry, dict):
                problems.append(f"{where} is not a table")
                continue
            token = entry.get("token")
            operator = entry.get("operator")
            purpose = entry.get("purpose")
            checked = entry.get("checked")
            note = entry.get("note", "")
            if not isinstance(token, str) or not token.strip():
                problems.append(f"{where}: token {token!r} must be a non-empty string")
                continue
            where = f"{where} ({token})"
            if token.lower() in seen:
                problems.append(f"{where}: token repeats entry {seen[token.lower()]} "
                                "(tokens compare case-insensitively, RFC 9309 §2.2.1)")
            seen.setdefault(token.lower(), i)
            if not isinstance(operator, str) or not operator.strip():
                problems.append(f"{where}: operator {operator!r} must be a non-empty string")
            if purpose not in {p.value for p in CrawlerPurpose}:
                problems.append(f"{where}: purpose {purpose!r} is not one of {allowed}")
            if not isinstance(checked, str) or not _DATE.match(checked):
                problems.append(f"{where}: checked {checked!r} must be a date YYYY-MM-DD")
            if not isinstance(note, str):
                problems.append(f"{where}: note {note!r} must be a string")
            if not problems:
                crawlers.append(Crawler(token.strip(), str(operator), CrawlerPurpose(str(purpose)),
                                        str(checked), str(note)))
        if problems:
            raise ConfigError("; ".join(problems))
        source = data.get("source", "")
        return cls(tuple(crawlers), source if isinstance(source, str) else "")

    def get(self, token: str) -> Crawler | None:
        """The entry for ``token`` (case-insensitive), or None."""
        wanted = token.strip().lower()
        return next((c for c in self.crawlers if c.token.lower() == wanted), None)

    def tokens(self, *purposes: CrawlerPurpose | str) -> tuple[str, ...]:
        """Tokens in file order, only those of the given purposes when any are given."""
        keep = {CrawlerPurpose(p) for p in purposes}
        return tuple(c.token for c in self.crawlers if not keep or c.purpose in keep)

    def training_tokens(self) -> tuple[str, ...]:
        """Tokens whose robots.txt rules express an AI-training reservation: purpose
        ``training`` and ``control-token`` (issue #3: "any training-purpose AI token")."""
        return self.tokens(CrawlerPurpose.TRAINING, CrawlerPurpose.CONTROL_TOKEN)

    def is_training(self, token: str) -> bool:
        """True when ``token`` (case-insensitive) is one of :meth:`training_tokens`."""
        entry = self.get(token)
        return entry is not None and entry.purpose in (CrawlerPurpose.TRAINING,
                                                       CrawlerPurpose.CONTROL_TOKEN)


@functools.cache
def default_crawler_table() -> CrawlerTable:
    """The packaged table, loaded once per process (a cached factory around
    :meth:`CrawlerTable.load`; extractors use it when no table is passed)."""
    return CrawlerTable.load()
