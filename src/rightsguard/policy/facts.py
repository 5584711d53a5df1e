"""Facts the policy rules read, derived from a record's rights signals and the intended use.

Every fact has a name, a value and the evidence it rests on (the signals, the use flag, or the
record's read error), so a decision can always say *why*. The facts profiles may name:

* ``purpose`` — ``analysis`` | ``train-general`` | ``research`` | ``imitate-creator`` |
  ``rag-excerpts`` (the ``--purpose`` flag; law.md §7 use cases U1–U5);
* ``commercial`` — true | false (``--commercial`` / ``--non-commercial``);
* ``actor`` — ``company`` | ``research-organisation`` (``--actor``);
* ``modality`` — ``text`` | ``code`` | ``image`` | ``other`` (the reader);
* ``reservation`` — ``reserved`` | ``not-reserved`` | ``unknown`` (:func:`reservation_state`);
* ``robots_unavailable`` — true | false: the robots.txt in force answered 5xx or was not
  reached, so a crawler must assume complete disallow (RFC 9309 §2.3.1.4) — a crawling rule,
  not a rights holder's reservation (:func:`robots_unavailable`);
* ``piracy_source`` — true | false (a ``list-piracy`` hit; law.md §7 S1);
* ``paywalled_source`` — true | false (a ``list-paywall`` hit; law.md §7 S2);
* ``dataset_for_sale`` — true | false (a ``list-dataset-for-sale`` hit; JP Art. 30-4 proviso);
* ``licence_class`` — ``commercial`` | ``non-commercial`` | ``academic-only`` |
  ``unspecified`` (``licence-class`` signals, :func:`licence_class`);
* ``licence_category`` — ``permissive`` | ``copyleft`` | ``copyleft-limited`` |
  ``proprietary`` | ``public-domain`` | ``unknown`` | ``none`` (``licence`` signals and a
  categoriser, :func:`licence_category`);
* ``unreadable`` — true | false (``record.error`` or an ``unreadable`` signal).

**The AI-training reservation** (issue #3, "Definitions"; rights-signals.md §0 item 2, the
combining rule of IETF AIPREF vocab "Combining Preferences"): each carrier is read separately,
then

1. ``reserved`` if any carrier that applies says *reserved* — any explicit disallow wins;
2. else ``unknown`` if a *required* carrier is unknown or missing (for an item with a host, the
   robots.txt: "a host with no robots.txt record is unknown for that carrier, not allowed") or any
   carrier is malformed or unreadable (its ``value`` or ``evidence`` says ``malformed`` /
   ``unreadable``, as the extractors write it) — unknown is never read as "not reserved";
3. else ``not-reserved``.

**A robots.txt answered 5xx or not reached** is not a reservation. RFC 9309 §2.3.1.4 tells the
*crawler* to assume complete disallow (the extractor records that as a ``reserved`` robots
signal valued ``disallow all (HTTP 5xx)``,
:attr:`~rightsguard.model.RightsSignal.robots_unavailable`), but nobody expressed anything:
what the file would have reserved cannot be read. For the reservation it counts as an unknown
robots.txt carrier (step 2; any other carrier's explicit disallow still wins), so DSM Directive
(EU) 2019/790 Art. 4(3) — a use "expressly reserved by their rightholders" — is never cited for
it; the crawling rule itself is the separate fact ``robots_unavailable``, which profiles cite
with the RFC.

A carrier *applies* when it speaks about training (not only about search or AI input,
:data:`NON_TRAINING_USES`: Content-Signal ``search``/``ai-input`` keys, AIPREF ``search``,
CAWG/C2PA ``ai_inference``) and to us: its scope is ``*``, one of the user's ``--agent`` tokens,
or a crawler token whose purpose is training (the crawler table's ``training`` and
``control-token`` entries, passed in as ``training_tokens``; without a table every token counts
— a reservation that cannot be classified is kept, never dropped). ``noimageai`` applies only
to images (rights-signals.md §4). A reservation of generative training only
(:data:`GENERATIVE_ONLY_USES`: IPTC ``DMI-PROHIBITED-GENAIMLTRAINING``, CAWG
``ai_generative_training``; rights-signals.md §5a, §5b) does not apply to ``--purpose
analysis``, which trains no generative model (law.md §7 U1).

The states are the extractors': CAWG/C2PA ``notAllowed`` and a bare ``constrained`` ("in the
absence of additional information, constrained shall be treated as equivalent to notAllowed",
CAWG training-and-data-mining assertion v1.1, rights-signals.md §5b) and the IPTC prohibited
codes (§5a) arrive as reserved. A prohibition qualified by free text (``constrained`` with
constraint info, IPTC ``DMI-PROHIBITED-SEE…`` with the named text) arrives as unknown and makes
the reservation unknown (a human must read the text), as do unrecognised values. Other unknown
states that express no preference (IPTC ``DMI-UNSPECIFIED``, an ``ai.txt`` that is not
Spawning's format, ``plus:OtherConstraints`` text alone) are recorded but do not make the
reservation unknown.

Kept simple on purpose: ``noai``/``noimageai`` count as reservations although they are a weak,
unstandardised convention (rights-signals.md §4 "treat as a valid (weak) reservation
expression"); natural-language reservations (terms of service) are not machine-readable carriers
(OLG Hamburg, 10 Dec 2025, 5 U 104/24; law.md §2.4) and no extractor produces them.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass

from rightsguard.model import (
    LicenceCategory,
    Modality,
    Purpose,
    Record,
    ReservationState,
    RightsSignal,
    Use,
)

__all__ = [
    "FACTS",
    "LICENCE_CLASSES",
    "NON_TRAINING_USES",
    "RESERVATION_KINDS",
    "AppliesToTraining",
    "Fact",
    "FactSpec",
    "derive_facts",
    "licence_category",
    "licence_class",
    "reservation_state",
    "robots_unavailable",
    "signal_evidence",
    "source_flags",
]

#: Signal kinds that carry an AI-training reservation (issue #3, "AI-training reservation").
RESERVATION_KINDS = frozenset({
    "robots", "content-signal", "aipref", "tdmrep", "noai", "noimageai", "ai-txt",
    "iptc-data-mining", "c2pa-training-mining",
})
#: Kinds whose scope is ``*`` or a crawler token; the other kinds are scoped by a use label.
_TOKEN_SCOPED = frozenset({"robots", "noai", "noimageai", "ai-txt"})
#: Use labels that do not concern training: Content-Signal ``search``/``ai-input``
#: (rights-signals.md §3e), AIPREF ``search`` (§3f), CAWG/C2PA ``ai_inference`` (§5b).
NON_TRAINING_USES = frozenset({
    "search", "ai-input", "ai-inference", "ai_inference", "c2pa.ai_inference",
    "cawg.ai_inference", "search-engine-indexing",
})
#: Data Provenance Initiative use classes, least to most restrictive (rights-signals.md §6b,
#: ``resolve_multiple_licenses``: any academic-only → academic-only, else any non-commercial …).
LICENCE_CLASSES = ("commercial", "unspecified", "non-commercial", "academic-only")
#: Licence categories, least to most restrictive when an item states several licences.
_CATEGORY_ORDER = ("none", "public-domain", "permissive", "unknown", "copyleft-limited",
                   "copyleft", "proprietary")
_MALFORMED = re.compile(r"malformed|unreadable|unrecognised|unrecognized|does not parse",
                        re.IGNORECASE)
#: Kinds whose unknown state may be a prohibition qualified by free text (rights-signals.md §5).
_QUALIFIED = frozenset({"c2pa-training-mining", "iptc-data-mining"})
_PROHIBITION = re.compile(r"constrained|DMI-PROHIBITED", re.IGNORECASE)
_KEYS = re.compile(r"([A-Za-z][\w.-]*)\s*=")
#: Kinds whose value is a list of ``key=value`` preferences (Content-Signal, AIPREF).
_KEYED = frozenset({"content-signal", "aipref"})
#: Use labels of reservations that concern generative training only (IPTC
#: ``DMI-PROHIBITED-GENAIMLTRAINING``, CAWG ``ai_generative_training``, AIPREF's older
#: ``train-genai``): they do not reserve a purpose that trains no generative model.
GENERATIVE_ONLY_USES = frozenset({"train-genai"})
#: Purposes that train no generative model: U1 information analysis (non-generative TDM,
#: law.md §7 U1).
NON_GENERATIVE_PURPOSES = frozenset({"analysis"})
#: Training use labels of Content-Signal (``ai-train``, rights-signals.md §3e) and AIPREF
#: (``train-ai``, and the older ``train-genai``, ``ai-use``, ``all``, ``bots`` of §3f).
_TRAINING_USES = frozenset({"ai-train", "train-ai", "train-genai", "ai-use", "all", "bots"})
#: Why a 5xx/unreachable robots.txt leaves the reservation unknown (module docstring).
_UNAVAILABLE_NOTE = ("a crawler must assume complete disallow (RFC 9309 §2.3.1.4), but no "
                     "reservation was expressed: what the file reserves cannot be read")


@dataclass(frozen=True, slots=True)
class Fact:
    """One fact a rule can read: ``value`` (a string from the fact's allowed values, or a bool)
    and the ``evidence`` it rests on, one string per signal or flag."""

    name: str
    value: str | bool
    evidence: tuple[str, ...] = ()

    @property
    def shown(self) -> str:
        """The value as profiles write it (``true``/``false`` for booleans)."""
        return _show(self.value)

    def describe(self) -> str:
        """``name=value (evidence; evidence)`` — the form reasons and explanations print."""
        if not self.evidence:
            return f"{self.name}={self.shown}"
        return f"{self.name}={self.shown} ({'; '.join(self.evidence)})"


@dataclass(frozen=True, slots=True)
class FactSpec:
    """What a fact may hold: ``bool``, or one of ``values``; ``doc`` says where it comes from."""

    type: type
    values: tuple[str, ...]
    doc: str


#: Every fact a profile condition may name (validated when a profile is loaded).
FACTS: Mapping[str, FactSpec] = {
    "purpose": FactSpec(str, tuple(p.value for p in Purpose),
                        "the --purpose flag (law.md §7 use cases U1-U5)"),
    "commercial": FactSpec(bool, (), "the --commercial/--non-commercial flag"),
    "actor": FactSpec(str, ("company", "research-organisation"), "the --actor flag"),
    "modality": FactSpec(str, tuple(m.value for m in Modality), "the item's modality"),
    "reservation": FactSpec(str, ("reserved", "not-reserved", "unknown"),
                            "the AI-training reservation (rightsguard.policy.facts)"),
    "robots_unavailable": FactSpec(bool, (), "the robots.txt in force answered 5xx or was not "
                                             "reached: a crawler must assume complete "
                                             "disallow (RFC 9309 §2.3.1.4)"),
    "piracy_source": FactSpec(bool, (), "the item's domain is on the piracy list (S1)"),
    "paywalled_source": FactSpec(bool, (), "the item's domain is on the paywall list (S2)"),
    "dataset_for_sale": FactSpec(bool, (), "the domain's owner sells a training/analysis "
                                           "dataset (JP Art. 30-4 proviso)"),
    "licence_class": FactSpec(str, LICENCE_CLASSES,
                              "Data Provenance Initiative use class of the item's licences"),
    "licence_category": FactSpec(str, (*(c.value for c in LicenceCategory), "none"),
                                 "ScanCode category of the item's licences (none = no licence)"),
    "unreadable": FactSpec(bool, (), "the item could not be read"),
}


def _show(value: str | bool) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return value


def signal_evidence(signal: RightsSignal) -> str:
    """One line naming a signal and where it was read, e.g. ``robots "disallow /" for GPTBot
    (robots.txt): robots.txt of example.com (HTTP 200) line 7``."""
    return (f"{signal.kind} {signal.value!r} for {signal.scope} ({signal.carrier}): "
            f"{signal.evidence}")


def _token_applies(token: str, agents: frozenset[str],
                   training_tokens: frozenset[str] | None) -> bool:
    if token in ("*", "") or token in agents:
        return True
    return training_tokens is None or token in training_tokens


def _applies(signal: RightsSignal, modality: str, agents: frozenset[str],
             training_tokens: frozenset[str] | None, generative: bool = True) -> bool:
    """Whether ``signal`` speaks about AI training of this item (see the module docstring).

    * robots, noai, noimageai, ai.txt: the scope is ``*`` or a crawler token;
    * Content-Signal and AIPREF: the use is the key of the ``key=value`` pairs in the value
      (``ai-train=no``; a signal whose keys are all search/input keys does not apply) or the
      scope when it is a use label; a scope that is neither ``*`` nor a use label is the
      robots.txt group's crawler token;
    * TDMRep, IPTC, C2PA/CAWG: the scope is ``*`` or a use label (entry name).
    """
    if signal.kind not in RESERVATION_KINDS:
        return False
    if signal.kind == "noimageai" and modality != Modality.IMAGE.value:
        return False
    scope = signal.scope.strip().lower()
    if scope in NON_TRAINING_USES:
        return False
    if not generative and scope in GENERATIVE_ONLY_USES:
        return False  # "prohibited for generative AI/ML training" and the use is not generative
    if signal.kind in _TOKEN_SCOPED:
        return _token_applies(scope, agents, training_tokens)
    if signal.kind in _KEYED:
        keys = {k.lower() for k in _KEYS.findall(signal.value)}
        if keys and keys <= NON_TRAINING_USES:
            return False
        if scope in keys or scope in _TRAINING_USES:
            return True
        return _token_applies(scope, agents, training_tokens)
    return True


@dataclass(frozen=True, slots=True)
class AppliesToTraining:
    """Whether a signal is an AI-training reservation carrier that speaks about training of an
    item of a given modality, for one use: the rule :func:`reservation_state` reads (module
    docstring, "A carrier *applies*"), bound once to ``agents`` (the user's ``--agent`` tokens)
    and ``training_tokens`` (the crawler table's training tokens, None: every token counts),
    both lower-cased. Call it as ``applies(signal, modality)``; kinds outside
    :data:`RESERVATION_KINDS` never apply. Picklable; the audit hands it to the report writers,
    which must not import the policy, so that reports count the reservations the decisions
    read."""

    agents: frozenset[str] = frozenset()
    training_tokens: frozenset[str] | None = None
    generative: bool = True

    @classmethod
    def of(cls, agents: Collection[str] = (),
           training_tokens: Collection[str] | None = None,
           purpose: str | None = None) -> AppliesToTraining:
        """The rule for ``agents``, ``training_tokens`` and ``purpose`` as
        :func:`reservation_state` takes them (any case, ``agents`` stripped)."""
        return cls(frozenset(a.strip().lower() for a in agents),
                   None if training_tokens is None
                   else frozenset(t.lower() for t in training_tokens),
                   purpose not in NON_GENERATIVE_PURPOSES)

    def __call__(self, signal: RightsSignal, modality: str) -> bool:
        return _applies(signal, modality, self.agents, self.training_tokens, self.generative)


def _counts_as_unknown(signal: RightsSignal, required: Collection[str]) -> bool:
    """Whether an ``unknown`` signal makes the reservation unknown: a required carrier, a
    malformed or unreadable carrier, or a qualified prohibition a machine cannot settle (CAWG
    ``constrained`` with constraint info, IPTC ``DMI-PROHIBITED-SEE…`` with the named text)."""
    if signal.kind in required:
        return True
    if _MALFORMED.search(signal.value) or _MALFORMED.search(signal.evidence):
        return True
    return bool(signal.kind in _QUALIFIED and _PROHIBITION.search(signal.value))


def reservation_state(
    signals: Iterable[RightsSignal],
    modality: str,
    agents: Collection[str] = (),
    *,
    required: Collection[str] = (),
    training_tokens: Collection[str] | None = None,
    purpose: str | None = None,
) -> Fact:
    """The AI-training reservation of one item, as a :class:`Fact` named ``reservation`` whose
    value is a :class:`~rightsguard.model.ReservationState` value (``reserved`` |
    ``not-reserved`` | ``unknown``) and whose evidence names the signals that decided it.

    ``modality``: the item's :class:`~rightsguard.model.Modality` value (``noimageai`` applies to
    ``image`` only). ``agents``: the user's own crawler tokens (``--agent``), which always apply.
    ``required``: carrier kinds whose absence makes the answer unknown (``("robots",)`` for an
    item with a host). ``training_tokens``: the crawler table's training-purpose tokens
    (``rightsguard.signals.crawlers``, injected by the caller: policy must not import signals);
    None counts every token. ``purpose``: the ``--purpose`` value (``analysis`` drops the
    generative-only reservations). Token comparison is case-insensitive (RFC 9309 §2.2.1).
    Combining rule and sources: the module docstring. Never raises on odd signals.
    """
    applies = AppliesToTraining.of(agents, training_tokens, purpose)
    reserved: list[str] = []
    unknown: list[str] = []
    allowed: list[str] = []
    seen: set[str] = set()
    for signal in signals:
        if signal.kind not in RESERVATION_KINDS:
            continue
        seen.add(signal.kind)
        if not applies(signal, modality):
            continue
        state = signal.state
        line = signal_evidence(signal)
        if signal.robots_unavailable:
            # a crawler's fallback, not an expressed reservation (module docstring)
            unknown.append(f"{line}; {_UNAVAILABLE_NOTE}")
        elif state == ReservationState.RESERVED.value:
            reserved.append(line)
        elif state == ReservationState.NOT_RESERVED.value:
            allowed.append(line)
        elif state == ReservationState.UNKNOWN.value and _counts_as_unknown(signal, required):
            unknown.append(line)
    missing = [f"no {kind} signal for this item: the carrier was not checked"
               for kind in sorted(set(required) - seen)]
    if reserved:
        return Fact("reservation", ReservationState.RESERVED.value, tuple(reserved))
    if unknown or missing:
        return Fact("reservation", ReservationState.UNKNOWN.value, tuple(missing + unknown))
    if not allowed:
        return Fact("reservation", ReservationState.NOT_RESERVED.value,
                    ("no carrier reserves AI training",))
    return Fact("reservation", ReservationState.NOT_RESERVED.value, tuple(allowed))


def robots_unavailable(signals: Iterable[RightsSignal]) -> Fact:
    """The fact ``robots_unavailable``: true when a robots signal records a robots.txt answered
    5xx or not reached (RFC 9309 §2.3.1.4: the crawler must assume complete disallow), with
    those signals as evidence; else false."""
    lines = [signal_evidence(s) for s in signals if s.robots_unavailable]
    return Fact("robots_unavailable", bool(lines), tuple(lines))


def source_flags(signals: Iterable[RightsSignal]) -> dict[str, Fact]:
    """The user-list facts ``piracy_source`` (S1, kind ``list-piracy``), ``paywalled_source``
    (S2, ``list-paywall``) and ``dataset_for_sale`` (JP Art. 30-4 proviso,
    ``list-dataset-for-sale``): true with the list hits as evidence, else false."""
    kinds = {"list-piracy": "piracy_source", "list-paywall": "paywalled_source",
             "list-dataset-for-sale": "dataset_for_sale"}
    hits: dict[str, list[str]] = {name: [] for name in kinds.values()}
    for signal in signals:
        name = kinds.get(signal.kind)
        if name is not None:
            hits[name].append(signal_evidence(signal))
    return {name: Fact(name, bool(lines), tuple(lines)) for name, lines in hits.items()}


def licence_class(signals: Iterable[RightsSignal]) -> Fact:
    """The item's Data Provenance Initiative use class: the most restrictive ``licence-class``
    value (academic-only > non-commercial > unspecified > commercial, rights-signals.md §6b);
    ``unspecified`` when no licence class was read. Unrecognised values count as
    ``academic-only``, as DPI resolves ``?`` (unclear)."""
    rank = {name: i for i, name in enumerate(LICENCE_CLASSES)}
    best = -1
    evidence: list[str] = []
    for signal in signals:
        if signal.kind != "licence-class":
            continue
        level = rank.get(signal.value.strip().lower(), len(LICENCE_CLASSES) - 1)
        if level > best:
            best, evidence = level, [signal_evidence(signal)]
        elif level == best:
            evidence.append(signal_evidence(signal))
    if best < 0:
        return Fact("licence_class", "unspecified", ("no licence class was read",))
    return Fact("licence_class", LICENCE_CLASSES[best], tuple(evidence))


def licence_category(
    signals: Iterable[RightsSignal], categorise: Callable[[str], str] | None
) -> Fact:
    """The ScanCode category of the item's licences: the most restrictive over its ``licence``
    signals (proprietary > copyleft > copyleft-limited > unknown > permissive > public-domain),
    ``none`` when no licence was read, ``unknown`` when no ``categorise`` function was given or it
    raises. ``categorise`` maps an SPDX expression to a
    :class:`~rightsguard.model.LicenceCategory` value — pass
    ``rightsguard.signals.licences.category_of`` (policy must not import signals)."""
    rank = {name: i for i, name in enumerate(_CATEGORY_ORDER)}
    best = "none"
    evidence: list[str] = []
    for signal in signals:
        if signal.kind != "licence":
            continue
        category = LicenceCategory.UNKNOWN.value
        if categorise is not None:
            try:
                category = str(categorise(signal.value))
            except Exception:  # an unparseable expression: the category is unknown
                category = LicenceCategory.UNKNOWN.value
        if category not in rank:
            category = LicenceCategory.UNKNOWN.value
        line = f"{category}: {signal_evidence(signal)}"
        if rank[category] > rank[best]:
            best, evidence = category, [line]
        elif category == best:
            evidence.append(line)
    if best == "none":
        return Fact("licence_category", "none", ("no licence was read",))
    return Fact("licence_category", best, tuple(evidence))


def derive_facts(
    record: Record,
    use: Use,
    *,
    training_tokens: Collection[str] | None = None,
    categorise: Callable[[str], str] | None = None,
) -> dict[str, Fact]:
    """Every fact of :data:`FACTS` for ``record`` under ``use``, keyed by fact name.

    The reservation requires the robots.txt carrier when the record has a host (issue #3: "a host
    with no robots.txt record is unknown for that carrier"); local files without a URL were not
    made available online, so no carrier is required for them (DSM Directive Art. 4(3) asks for
    machine-readable means "in the case of content made publicly available online").
    ``training_tokens`` and ``categorise``: see :func:`reservation_state` and
    :func:`licence_category`.
    """
    signals = record.signals
    flag = "--commercial" if use.commercial else "--non-commercial"
    facts = {
        "purpose": Fact("purpose", use.purpose.value, (f"use: --purpose {use.purpose.value}",)),
        "commercial": Fact("commercial", use.commercial, (f"use: {flag}",)),
        "actor": Fact("actor", use.actor, (f"use: --actor {use.actor}",)),
        "modality": Fact("modality", record.modality, (f"record {record.id}",)),
        "reservation": reservation_state(
            signals, record.modality, use.agents,
            required=("robots",) if record.host else (), training_tokens=training_tokens,
            purpose=use.purpose.value),
        "robots_unavailable": robots_unavailable(signals),
        **source_flags(signals),
        "licence_class": licence_class(signals),
        "licence_category": licence_category(signals, categorise),
    }
    problems = [f"read error: {record.error}"] if record.error else []
    problems += [signal_evidence(s) for s in signals if s.kind == "unreadable"]
    facts["unreadable"] = Fact("unreadable", bool(problems), tuple(problems))
    return facts
