"""User domain lists: piracy sites, paywalled sites, sites whose owner sells a training dataset.

Why each list matters (law.md):

* **piracy** (kind ``list-piracy``, source S1): EU GPAI Code of Practice, Copyright chapter
  (10 Jul 2025), measure 1.2 — signatories exclude "websites recognised by courts or public
  authorities in the EU/EEA as persistently and repeatedly infringing copyright on a commercial
  scale" (a dynamic EU list is to be published); also lawful-access conditions elsewhere (UK, SG)
  and Bartz v. Anthropic (US) — law.md §2.3, §7 row S1.
* **paywall** (kind ``list-paywall``, source S2): content behind a paywall or other technological
  measure; Code of Practice measure 1.2(a) (no circumvention of effective technological measures);
  Singapore Copyright Act s244 illustrations; JP Art. 30-4 proviso for circumvented AI-blocking
  measures (ACA 2024) — law.md §1.2, §2.3, §7 row S2.
* **dataset-for-sale** (kind ``list-dataset-for-sale``): the rights holder offers the content as
  an analysis / AI-training dataset, so Japan's Art. 30-4 proviso ("unreasonably prejudice the
  interests of the copyright owner") applies — Agency for Cultural Affairs, "General Understanding
  on AI and Copyright in Japan" (2024) — law.md §1.1, §1.2.

The lists are the user's: plain text, one domain per line, ``#`` starts a comment (whole line or
after the domain), blank lines ignored, case-insensitive, a leading ``*.`` or ``.`` and a trailing
``.`` are dropped. An entry matches that host and every sub-domain (``example.com`` matches
``www.example.com`` but not ``badexample.com``). Signals have carrier ``user-list``, state ``n/a``,
value the listed domain, and evidence naming the file and line.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from os import PathLike
from pathlib import Path

from rightsguard.errors import InputError
from rightsguard.model import ReservationState, RightsSignal

__all__ = ["LIST_KINDS", "DomainList", "DomainLists", "list_signals"]

EXTRACTOR = "rightsguard.signals.lists"

LIST_KINDS = {
    "piracy": "list-piracy",
    "paywall": "list-paywall",
    "dataset_for_sale": "list-dataset-for-sale",
}
"""List name → signal kind."""

_LABEL = re.compile(r"^(?!-)[a-z0-9_-]{1,63}(?<!-)$")


def _normalise(name: str) -> str:
    text = name.strip().lower().rstrip(".")
    text = text.removeprefix("*.").removeprefix(".")
    try:
        return text.encode("idna").decode("ascii") if not text.isascii() else text
    except UnicodeError:
        return text


@dataclass(frozen=True, slots=True)
class DomainList:
    """One list: domain → (1-based line) and where it came from (a path or ``"<name>"``)."""

    name: str
    origin: str
    entries: Mapping[str, int] = field(default_factory=dict)

    @classmethod
    def parse(cls, text: str, name: str, origin: str) -> DomainList:
        """Parse list text.

        Raises:
            InputError: one or more lines are not domain names; the message names ``origin``
                and every bad line with its number (all problems at once).
        """
        entries: dict[str, int] = {}
        problems: list[str] = []
        for number, line in enumerate(text.splitlines(), start=1):
            item = line.split("#", 1)[0].strip()
            if not item:
                continue
            domain = _normalise(item)
            labels = domain.split(".")
            if len(domain) > 253 or not all(_LABEL.match(lab) for lab in labels):
                problems.append(f"line {number}: {item!r}")
                continue
            entries.setdefault(domain, number)
        if problems:
            raise InputError(f"{name} list {origin}: not domain names: " + "; ".join(problems)
                             + " (expected one domain per line, e.g. example.com; # comments)")
        return cls(name, origin, entries)

    @classmethod
    def load(cls, path: str | PathLike[str], name: str) -> DomainList:
        """Read a list file (UTF-8).

        Raises:
            InputError: the file cannot be read or decoded, or has lines that are not domains.
        """
        p = Path(path).expanduser()
        try:
            text = p.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise InputError(f"{name} list {p}: cannot be read ({exc})") from None
        return cls.parse(text, name, str(p))

    def match(self, host: str) -> tuple[str, int] | None:
        """The listed entry covering ``host`` (itself or its nearest listed parent) and its line."""
        labels = _normalise(host).split(".")
        for i in range(len(labels)):
            candidate = ".".join(labels[i:])
            if candidate in self.entries:
                return candidate, self.entries[candidate]
        return None


@dataclass(frozen=True, slots=True)
class DomainLists:
    """The three user lists (any may be empty). Picklable; cheap to pass to workers."""

    piracy: DomainList = field(default_factory=lambda: DomainList("piracy", "<none>"))
    paywall: DomainList = field(default_factory=lambda: DomainList("paywall", "<none>"))
    dataset_for_sale: DomainList = field(
        default_factory=lambda: DomainList("dataset_for_sale", "<none>"))

    @classmethod
    def load(cls, *, piracy: str | PathLike[str] | None = None,
             paywall: str | PathLike[str] | None = None,
             dataset_for_sale: str | PathLike[str] | None = None) -> DomainLists:
        """Load the lists given (paths to text files).

        Raises:
            InputError: any file is unreadable or has bad lines; every problem of every file is
                reported in one message.
        """
        loaded: dict[str, DomainList] = {}
        problems: list[str] = []
        for name, path in (("piracy", piracy), ("paywall", paywall),
                           ("dataset_for_sale", dataset_for_sale)):
            if path is None:
                continue
            try:
                loaded[name] = DomainList.load(path, name)
            except InputError as exc:
                problems.append(str(exc))
        if problems:
            raise InputError("; ".join(problems))
        return cls(**loaded)


def list_signals(host: str | None, domain: str | None, lists: DomainLists) -> list[RightsSignal]:
    """One signal per list that covers the item's ``host`` (or any parent domain of it, or its
    registrable ``domain`` when no host is known); [] for local files (no host, no domain)."""
    target = host or domain
    if not target:
        return []
    signals: list[RightsSignal] = []
    for name, kind in LIST_KINDS.items():
        the_list: DomainList = getattr(lists, name)
        hit = the_list.match(target)
        if hit is None and domain and domain != target:
            hit = the_list.match(domain)
        if hit is None:
            continue
        entry, line = hit
        signals.append(RightsSignal(
            kind=kind, carrier="user-list", value=entry, scope="*",
            state=ReservationState.NOT_APPLICABLE.value,
            evidence=f"{the_list.name} list {the_list.origin} line {line}: {entry} covers {target}",
            extractor=EXTRACTOR))
    return signals
