"""Jurisdiction policy: facts from rights signals + use, profiles as data, one decision per
item and jurisdiction.

* :class:`PolicyEngine` — ``decide(record, use)``, ``explain(record, use, jurisdiction)``,
  ``step(use)`` (a pipeline step).
* :class:`Profile` — ``Profile.load("EU")`` or ``Profile.load("my-profile.toml")``; the
  built-ins JP, EU, UK, US and SG follow law.md §7 and cite provision and source in every rule.
* :mod:`rightsguard.policy.facts` — the facts rules read (``reservation``, ``purpose``,
  ``piracy_source`` …) and :func:`reservation_state`, the AI-training reservation.

Layer: policy imports only model, errors and config (its siblings — signals, corpus, report —
are independent of it; the crawler table and the licence categoriser are injected).
"""

from __future__ import annotations

from rightsguard.policy.engine import (
    BUILTIN_PROFILES,
    Explanation,
    PolicyEngine,
    PolicyStep,
    Profile,
    ProfileError,
    Rule,
)
from rightsguard.policy.facts import FACTS, Fact, derive_facts, reservation_state

__all__ = [
    "BUILTIN_PROFILES",
    "FACTS",
    "Explanation",
    "Fact",
    "PolicyEngine",
    "PolicyStep",
    "Profile",
    "ProfileError",
    "Rule",
    "derive_facts",
    "reservation_state",
]
