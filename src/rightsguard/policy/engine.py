"""The policy engine: jurisdiction profiles as data, one decision per item and profile.

A **profile** is a TOML file (built-ins ``JP``, ``EU``, ``UK``, ``US``, ``SG`` in
``rightsguard/policy/profiles/``, following law.md §7; users copy and edit one)::

    name = "EU"                      # the Decision's jurisdiction; default: the file's stem
    version = "2026-11-30"           # free text, shown in explanations
    description = "…"                # optional

    [[rules]]
    id = "s3-art4-reservation"       # unique in the file; reasons name it "<profile>:<id>"
    when = { reservation = "reserved" }
    unless = { purpose = ["analysis", "research"], actor = "research-organisation",
               commercial = false }
    verdict = "exclude"              # allow | review | exclude
    provision = "DSM Directive (EU) 2019/790 Art. 4(3); AI Act Art. 53(1)(c)"
    source = "https://eur-lex.europa.eu/…"
    note = "…"                       # optional, shown by explain
    stop = false                     # optional: when true and the rule fires, later rules are
                                     # not evaluated (the built-ins use it for unreadable items)

    [[rules]]
    id = "default"
    default = true                   # fires only when no other rule fired
    verdict = "review"
    provision = "…"
    source = "…"

**Condition language.** ``when`` and ``unless`` are tables mapping a fact name
(:data:`rightsguard.policy.facts.FACTS`) to a value, or to a list of values meaning "any of".
A rule fires when *every* ``when`` entry matches and not *every* ``unless`` entry matches (an
empty or missing ``unless`` never blocks; an empty ``when`` always matches). Booleans are TOML
``true``/``false``. Nothing else: no expressions to parse, so a user edit is either valid or
reported.

**Evaluation.** Every rule is evaluated, in file order; the decision's verdict is the most
restrictive of the rules that fired (``exclude`` > ``review`` > ``allow``, issue #3) and its
reasons are all of them. A rule with ``stop = true`` that fires ends the evaluation: the
built-in profiles put ``unreadable`` first with ``stop``, so an item that could not be read is
decided ``review`` everywhere (issue #3, "Bad input": "recorded as unreadable with the reason
(decision review)") rather than judged on facts that could not be read. Each profile must have
exactly one ``default = true`` rule (no conditions), which fires only when nothing else did: no
rule firing is never a silent allow.

**Validation.** Loading checks every key of every rule (unknown keys, unknown facts, values
outside a fact's allowed values or of the wrong type, unknown verdicts, missing or empty
``provision``/``source``, duplicate ids, the default rule) and raises one :class:`ProfileError`
listing every problem, each naming the file, the rule and the key.

Exceptions: :class:`ProfileError` (a subclass of :class:`rightsguard.errors.ConfigError`) for
an unusable profile file or name; nothing else is raised on purpose.
"""

from __future__ import annotations

import dataclasses
import importlib.resources
import tomllib
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rightsguard.errors import ConfigError
from rightsguard.model import AuditVerdict, Decision, Reason, Record, Use
from rightsguard.policy.facts import FACTS, Fact, derive_facts

__all__ = [
    "BUILTIN_PROFILES",
    "Check",
    "Explanation",
    "PolicyEngine",
    "PolicyStep",
    "Profile",
    "ProfileError",
    "Rule",
    "RuleOutcome",
]

#: Profiles shipped with rightsguard (law.md §7 columns).
BUILTIN_PROFILES = ("JP", "EU", "UK", "US", "SG")
_RULE_KEYS = frozenset({"id", "when", "unless", "verdict", "provision", "source", "note",
                        "default", "stop"})
_PROFILE_KEYS = frozenset({"name", "version", "description", "rules"})

Value = str | bool


class ProfileError(ConfigError):
    """A policy profile cannot be used; ``problems`` lists every problem found, each naming the
    file, the rule and the key."""

    def __init__(self, origin: str, problems: Iterable[str]) -> None:
        self.origin = origin
        self.problems = tuple(problems)
        lines = "\n".join(f"  - {p}" for p in self.problems)
        super().__init__(f"policy profile {origin}: {len(self.problems)} problem(s)\n{lines}")


@dataclass(frozen=True, slots=True)
class Rule:
    """One rule: fires when every ``when`` condition holds and not every ``unless`` condition
    holds (conditions are ``(fact, allowed values)``); ``default`` rules fire only when no other
    rule of the profile fired; a ``stop`` rule that fires ends the evaluation."""

    id: str
    verdict: AuditVerdict
    provision: str
    source: str
    when: tuple[tuple[str, tuple[Value, ...]], ...] = ()
    unless: tuple[tuple[str, tuple[Value, ...]], ...] = ()
    default: bool = False
    note: str = ""
    stop: bool = False


@dataclass(frozen=True, slots=True)
class Check:
    """One condition of a rule against the item's facts: ``part`` is ``when`` or ``unless``."""

    part: str
    fact: str
    wanted: tuple[Value, ...]
    actual: Value
    holds: bool

    def describe(self) -> str:
        wanted = " or ".join(_show(v) for v in self.wanted)
        mark = "==" if self.holds else "!="
        return f"{self.fact}={_show(self.actual)} {mark} {wanted}"


@dataclass(frozen=True, slots=True)
class RuleOutcome:
    """Whether one rule fired for an item, with the checks that decided it and, when it fired,
    the reason it gives."""

    rule: Rule
    fired: bool
    checks: tuple[Check, ...]
    why: str
    reason: Reason | None = None


@dataclass(frozen=True, slots=True)
class Explanation:
    """The chain of rules of one profile for one item: the facts read, every rule in file order
    (fired or not, and why) and the resulting decision."""

    profile: str
    version: str
    record_id: str
    facts: tuple[Fact, ...]
    steps: tuple[RuleOutcome, ...]
    decision: Decision

    def lines(self) -> list[str]:
        """Plain-text lines, as ``rightsguard policy explain`` prints them."""
        out = [f"{self.record_id} — {self.profile} (profile version {self.version}): "
               f"{self.decision.verdict}", "facts:"]
        out += [f"  {fact.describe()}" for fact in self.facts]
        out.append("rules (in order; the most restrictive fired rule wins):")
        for i, step in enumerate(self.steps, 1):
            rule = step.rule
            state = f"FIRED → {rule.verdict.value}" if step.fired else "not fired"
            out.append(f"  {i}. {self.profile}:{rule.id} — {state}: {step.why}")
            if step.fired:
                out.append(f"     provision: {rule.provision}")
                out.append(f"     source: {rule.source}")
                if rule.note:
                    out.append(f"     note: {rule.note}")
        out.append(f"decision: {self.decision.verdict} "
                   f"({', '.join(r.rule for r in self.decision.reasons)})")
        return out

    def to_dict(self) -> dict[str, Any]:
        """A JSON-serialisable form (``policy explain --format json``)."""
        return {
            "record": self.record_id,
            "profile": self.profile,
            "version": self.version,
            "verdict": self.decision.verdict,
            "facts": [{"name": f.name, "value": f.value, "evidence": list(f.evidence)}
                      for f in self.facts],
            "rules": [{"rule": f"{self.profile}:{s.rule.id}", "fired": s.fired,
                       "verdict": s.rule.verdict.value, "why": s.why,
                       "provision": s.rule.provision, "source": s.rule.source}
                      for s in self.steps],
        }


def _show(value: Value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return value


# -- loading and validation -------------------------------------------------------------------


def _conditions(raw: Any, where: str, key: str,
                problems: list[str]) -> tuple[tuple[str, tuple[Value, ...]], ...]:
    """Validate one ``when``/``unless`` table; append problems, return the valid conditions."""
    if raw is None:
        return ()
    if not isinstance(raw, dict):
        problems.append(f"{where}: key {key!r} must be a table of fact = value, "
                        f"got {type(raw).__name__}")
        return ()
    out: list[tuple[str, tuple[Value, ...]]] = []
    for fact, value in raw.items():
        spec = FACTS.get(fact)
        if spec is None:
            problems.append(f"{where}: key {key}.{fact}: unknown fact {fact!r}; known facts: "
                            f"{', '.join(sorted(FACTS))}")
            continue
        values = value if isinstance(value, list) else [value]
        if not values:
            problems.append(f"{where}: key {key}.{fact}: empty list of values")
            continue
        ok: list[Value] = []
        for v in values:
            if spec.type is bool:
                if isinstance(v, bool):
                    ok.append(v)
                else:
                    problems.append(f"{where}: key {key}.{fact}: value {v!r} is not a boolean; "
                                    "allowed: true, false")
            elif isinstance(v, str) and v in spec.values:
                ok.append(v)
            else:
                problems.append(f"{where}: key {key}.{fact}: value {v!r} is not allowed; "
                                f"allowed: {', '.join(spec.values)}")
        if len(ok) == len(values):
            out.append((fact, tuple(ok)))
    return tuple(out)


def _text(raw: Mapping[str, Any], key: str, where: str, problems: list[str],
          *, required: bool) -> str:
    value = raw.get(key)
    if value is None:
        if required:
            problems.append(f"{where}: key {key!r} is missing (every rule cites its "
                            "provision and source)" if key in ("provision", "source")
                            else f"{where}: key {key!r} is missing")
        return ""
    if not isinstance(value, str) or (required and not value.strip()):
        problems.append(f"{where}: key {key!r} must be a non-empty string, got {value!r}")
        return ""
    return value.strip()


def _rule(raw: Any, index: int, origin: str, problems: list[str]) -> Rule | None:
    label = raw.get("id") if isinstance(raw, dict) else None
    where = (f"{origin}: rule {label!r} (rules[{index}])" if isinstance(label, str)
             else f"{origin}: rules[{index}]")
    if not isinstance(raw, dict):
        problems.append(f"{where}: must be a table, got {type(raw).__name__}")
        return None
    before = len(problems)
    for key in sorted(set(raw) - _RULE_KEYS):
        problems.append(f"{where}: unknown key {key!r}; allowed: {', '.join(sorted(_RULE_KEYS))}")
    rule_id = _text(raw, "id", where, problems, required=True)
    verdict_raw = raw.get("verdict")
    verdict: AuditVerdict | None = None
    try:
        verdict = AuditVerdict(str(verdict_raw))
    except ValueError:
        allowed = ", ".join(v.value for v in AuditVerdict)
        problems.append(f"{where}: key 'verdict': {verdict_raw!r} is not a verdict; "
                        f"allowed: {allowed}")
    provision = _text(raw, "provision", where, problems, required=True)
    source = _text(raw, "source", where, problems, required=True)
    note = _text(raw, "note", where, problems, required=False)
    when = _conditions(raw.get("when"), where, "when", problems)
    unless = _conditions(raw.get("unless"), where, "unless", problems)
    default = raw.get("default", False)
    if not isinstance(default, bool):
        problems.append(f"{where}: key 'default' must be true or false, got {default!r}")
        default = False
    stop = raw.get("stop", False)
    if not isinstance(stop, bool):
        problems.append(f"{where}: key 'stop' must be true or false, got {stop!r}")
        stop = False
    if default and ("when" in raw or "unless" in raw):
        problems.append(f"{where}: key 'default': a default rule has no when/unless (it fires "
                        "when no other rule fired)")
    if len(problems) > before or verdict is None:
        return None
    return Rule(rule_id, verdict, provision, source, when, unless, default, note, stop)


def _profile(data: Mapping[str, Any], origin: str, stem: str) -> Profile:
    problems: list[str] = []
    for key in sorted(set(data) - _PROFILE_KEYS):
        problems.append(f"{origin}: unknown top-level key {key!r}; allowed: "
                        f"{', '.join(sorted(_PROFILE_KEYS))}")
    name = data.get("name", stem)
    if not isinstance(name, str) or not name.strip():
        problems.append(f"{origin}: key 'name' must be a non-empty string, got {name!r}")
        name = stem
    version = data.get("version", "")
    if not isinstance(version, str):
        problems.append(f"{origin}: key 'version' must be a string, got {version!r}")
        version = ""
    description = data.get("description", "")
    if not isinstance(description, str):
        problems.append(f"{origin}: key 'description' must be a string")
        description = ""
    raw_rules = data.get("rules")
    rules: list[Rule] = []
    if not isinstance(raw_rules, list) or not raw_rules:
        problems.append(f"{origin}: key 'rules' must be a non-empty array of tables "
                        "([[rules]])")
        raw_rules = []
    seen: dict[str, int] = {}
    defaults: list[str] = []
    for i, raw in enumerate(raw_rules):
        rule = _rule(raw, i, origin, problems)
        if isinstance(raw, dict) and isinstance(raw.get("id"), str):
            if raw["id"] in seen:
                problems.append(f"{origin}: rule {raw['id']!r} (rules[{i}]): key 'id': "
                                f"duplicate of rules[{seen[raw['id']]}]")
            seen.setdefault(raw["id"], i)
            if raw.get("default") is True:
                defaults.append(raw["id"])
        if rule is not None:
            rules.append(rule)
    if raw_rules and len(defaults) != 1:
        problems.append(f"{origin}: exactly one rule must have 'default = true' (what to decide "
                        f"when no other rule fires); found {len(defaults)}"
                        + (f": {', '.join(defaults)}" if defaults else ""))
    if problems:
        raise ProfileError(origin, problems)
    return Profile(name.strip(), version, tuple(rules), description.strip(), origin)


@dataclass(frozen=True, slots=True)
class Profile:
    """A jurisdiction profile: ``name`` (the decisions' jurisdiction), ``version``, ``rules`` in
    file order, and ``origin`` (the file it came from)."""

    name: str
    version: str
    rules: tuple[Rule, ...]
    description: str = ""
    origin: str = ""

    @classmethod
    def load(cls, name_or_path: str | Path) -> Profile:
        """A built-in profile by name (``JP``, ``EU``, ``UK``, ``US``, ``SG``; case-insensitive,
        read with :mod:`importlib.resources`) or a TOML file by path (read with
        :mod:`tomllib`). Raises :class:`ProfileError` for an unknown name, an unreadable file,
        invalid TOML or invalid rules (all problems at once)."""
        text_name = str(name_or_path)
        if isinstance(name_or_path, str) and text_name.upper() in BUILTIN_PROFILES:
            stem = text_name.upper()
            resource = importlib.resources.files("rightsguard.policy") / "profiles"
            origin = f"built-in profile {stem} ({stem}.toml)"
            return cls.loads((resource / f"{stem}.toml").read_text("utf-8"), origin, stem)
        path = Path(name_or_path)
        if not path.is_file():
            raise ProfileError(text_name, [
                f"{text_name}: not a built-in profile ({', '.join(BUILTIN_PROFILES)}) and not "
                "a readable TOML file"])
        try:
            text = path.read_text("utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise ProfileError(str(path), [f"{path}: cannot be read: {exc}"]) from None
        return cls.loads(text, str(path), path.stem)

    @classmethod
    def loads(cls, text: str, origin: str = "<string>", stem: str = "profile") -> Profile:
        """A profile from TOML text; ``origin`` names it in errors, ``stem`` is the default
        name. Raises :class:`ProfileError`."""
        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            raise ProfileError(origin, [f"{origin}: invalid TOML: {exc}"]) from None
        return _profile(data, origin, stem)

    def evaluate(self, facts: Mapping[str, Fact], *, explain: bool = True
                 ) -> tuple[RuleOutcome, ...]:
        """Every rule against ``facts`` (as :func:`~rightsguard.policy.facts.derive_facts` gives
        them), in file order; the default rule fires only if no other rule did. With ``explain``
        false the rules that did not fire carry no ``why`` text (what :meth:`decide` needs is
        only the fired rules' reasons; describing every miss was a sixth of an audit's time)."""
        outcomes: list[RuleOutcome] = []
        stopped_by: Rule | None = None
        for rule in self.rules:
            if rule.default:
                outcomes.append(RuleOutcome(rule, False, (), ""))  # settled below
                continue
            if stopped_by is not None:
                outcomes.append(RuleOutcome(
                    rule, False, (), f"not evaluated: {self.name}:{stopped_by.id} stopped "
                                     "the evaluation"))
                continue
            checks = tuple(_check(part, fact, wanted, facts)
                           for part, conds in (("when", rule.when), ("unless", rule.unless))
                           for fact, wanted in conds)
            when = [c for c in checks if c.part == "when"]
            unless = [c for c in checks if c.part == "unless"]
            blocked = bool(unless) and all(c.holds for c in unless)
            fired = all(c.holds for c in when) and not blocked
            if fired:
                why, reason = self._fired_reason(rule, when, unless, facts)
                outcomes.append(RuleOutcome(rule, True, checks, why, reason))
                if rule.stop:
                    stopped_by = rule
            elif not explain:
                outcomes.append(RuleOutcome(rule, False, checks, ""))
            else:
                failed = [c for c in when if not c.holds]
                why = (", ".join(c.describe() for c in failed) if failed
                       else "blocked by unless " + ", ".join(c.describe() for c in unless))
                outcomes.append(RuleOutcome(rule, False, checks, why))
        any_fired = any(o.fired for o in outcomes)
        settled: list[RuleOutcome] = []
        for outcome in outcomes:
            rule = outcome.rule
            if not rule.default:
                settled.append(outcome)
            elif any_fired:
                settled.append(RuleOutcome(rule, False, (), "another rule fired"))
            else:
                why, reason = self._default_reason(rule, facts)
                settled.append(RuleOutcome(rule, True, (), why, reason))
        return tuple(settled)

    def _fired_reason(self, rule: Rule, when: list[Check], unless: list[Check],
                      facts: Mapping[str, Fact]) -> tuple[str, Reason]:
        why = "always applies" if not when else ", ".join(c.describe() for c in when)
        if unless:
            why += "; unless " + ", ".join(c.describe() for c in unless)
        evidence = "; ".join(facts[c.fact].describe() for c in when) or why
        return why, Reason(f"{self.name}:{rule.id}", rule.provision, rule.source, evidence)

    def _default_reason(self, rule: Rule, facts: Mapping[str, Fact]) -> tuple[str, Reason]:
        shown = ", ".join(facts[n].describe() for n in ("purpose", "commercial", "actor")
                          if n in facts)
        why = f"no other rule of {self.name} applies"
        evidence = f"{why} ({shown})" if shown else why
        return why, Reason(f"{self.name}:{rule.id}", rule.provision, rule.source, evidence)

    def fact_names(self) -> tuple[str, ...]:
        """The facts the rules' conditions read, sorted: an item's decision depends on their
        values only (its reasons also quote the facts' evidence)."""
        return tuple(sorted({f for r in self.rules for f, _w in (*r.when, *r.unless)}))

    def fired_rules(self, facts: Mapping[str, Fact]) -> tuple[int, ...]:
        """Indexes (into ``rules``) of the rules that fire for ``facts``, as :meth:`evaluate`
        decides, without describing anything: a function of the values of :meth:`fact_names`.
        KeyError for a fact a condition reads that ``facts`` lacks."""
        fired: list[int] = []
        default: list[int] = []
        for i, rule in enumerate(self.rules):
            if rule.default:
                default.append(i)
                continue
            holds = [_holds(facts[f].value, wanted) for f, wanted in rule.when]
            blocked = bool(rule.unless) and all(_holds(facts[f].value, wanted)
                                                for f, wanted in rule.unless)
            if all(holds) and not blocked:
                fired.append(i)
                if rule.stop:
                    break
        return tuple(fired) if fired else tuple(default)

    def decision(self, fired: tuple[int, ...], facts: Mapping[str, Fact]) -> Decision:
        """The :class:`~rightsguard.model.Decision` given the rules that fired
        (:meth:`fired_rules`), each reason quoting ``facts`` as :meth:`evaluate` does."""
        outcomes = []
        for i in fired:
            rule = self.rules[i]
            if rule.default:
                why, reason = self._default_reason(rule, facts)
                outcomes.append(RuleOutcome(rule, True, (), why, reason))
                continue
            when = [_check("when", f, w, facts) for f, w in rule.when]
            unless = [_check("unless", f, w, facts) for f, w in rule.unless]
            why, reason = self._fired_reason(rule, when, unless, facts)
            outcomes.append(RuleOutcome(rule, True, (*when, *unless), why, reason))
        return _decision(self.name, outcomes)

    def decide(self, facts: Mapping[str, Fact]) -> Decision:
        """The decision for one item: the most restrictive verdict of the rules that fired
        (exclude > review > allow), with a reason per fired rule."""
        return self.decision(self.fired_rules(facts), facts)


def _decision(name: str, fired: list[RuleOutcome]) -> Decision:
    verdict = max((o.rule.verdict for o in fired), key=lambda v: v.severity,
                  default=AuditVerdict.REVIEW)
    return Decision(name, verdict.value, tuple(o.reason for o in fired if o.reason is not None))


def _holds(actual: Value, wanted: tuple[Value, ...]) -> bool:
    # bool is an int subclass: compare types too, so "true" never equals True
    return any(type(actual) is type(w) and actual == w for w in wanted)


def _check(part: str, fact: str, wanted: tuple[Value, ...],
           facts: Mapping[str, Fact]) -> Check:
    actual = facts[fact].value
    return Check(part, fact, wanted, actual, _holds(actual, wanted))


# -- engine and pipeline step ------------------------------------------------------------------


#: Combinations of fact values whose fired rules a :class:`PolicyEngine` remembers (cleared
#: when full).
_FIRED_CACHE_MAX = 65536


@dataclass(frozen=True)
class PolicyEngine:
    """Decides items under several profiles at once; cheap to build and picklable.

    ``profiles``: :class:`Profile` objects, built-in names or TOML paths.
    ``training_tokens``: the crawler table's training-purpose tokens
    (``rightsguard.signals.crawlers``), injected because policy must not import signals; None
    counts every crawler token's reservation. ``licence_category``: SPDX expression →
    :class:`~rightsguard.model.LicenceCategory` value (pass
    ``rightsguard.signals.licences.category_of``, a module-level function, so the engine stays
    picklable); None leaves ``licence_category`` ``unknown`` (``none`` without licences).
    Raises :class:`ProfileError` for a profile that cannot be loaded, or two profiles with the
    same name.
    """

    profiles: tuple[Profile, ...]
    training_tokens: frozenset[str] | None = None
    licence_category: Callable[[str], str] | None = field(default=None, compare=False)
    _fired: dict[tuple[int, tuple[Value, ...]], tuple[int, ...]] = field(
        default_factory=dict, compare=False, repr=False)
    _names: tuple[tuple[str, ...], ...] = field(default=(), compare=False, repr=False)

    def __init__(self, profiles: Iterable[Profile | str | Path], *,
                 training_tokens: Collection[str] | None = None,
                 licence_category: Callable[[str], str] | None = None) -> None:
        loaded = tuple(p if isinstance(p, Profile) else Profile.load(p) for p in profiles)
        names = [p.name for p in loaded]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise ProfileError(", ".join(p.origin for p in loaded), [
                f"two profiles are named {n!r}: give each a distinct 'name'" for n in dupes])
        object.__setattr__(self, "profiles", loaded)
        object.__setattr__(self, "training_tokens",
                           None if training_tokens is None else frozenset(training_tokens))
        object.__setattr__(self, "licence_category", licence_category)
        object.__setattr__(self, "_fired", {})
        object.__setattr__(self, "_names", tuple(p.fact_names() for p in loaded))

    def profile(self, jurisdiction: str) -> Profile:
        """The profile named ``jurisdiction`` (case-insensitive); :class:`ProfileError` if none."""
        for p in self.profiles:
            if p.name.lower() == jurisdiction.lower():
                return p
        raise ProfileError(jurisdiction, [
            f"no profile named {jurisdiction!r}; loaded: "
            f"{', '.join(p.name for p in self.profiles)}"])

    def facts(self, record: Record, use: Use) -> dict[str, Fact]:
        """The facts rules read for ``record`` under ``use``
        (:func:`~rightsguard.policy.facts.derive_facts`)."""
        return derive_facts(record, use, training_tokens=self.training_tokens,
                            categorise=self.licence_category)

    def decide(self, record: Record, use: Use) -> tuple[Decision, ...]:
        """One :class:`~rightsguard.model.Decision` per profile, in profile order. Which rules
        fire is remembered per profile and combination of fact values (items of a corpus share
        a few hundred combinations; evaluating every rule was a fifth of an audit's time), so
        each item costs only its reasons' text."""
        facts = self.facts(record, use)
        cache = self._fired
        out = []
        for i, (p, names) in enumerate(zip(self.profiles, self._names, strict=True)):
            key = (i, tuple(facts[n].value for n in names))
            fired = cache.get(key)
            if fired is None:
                if len(cache) >= _FIRED_CACHE_MAX:
                    cache.clear()
                fired = cache[key] = p.fired_rules(facts)
            out.append(p.decision(fired, facts))
        return tuple(out)

    def explain(self, record: Record, use: Use, jurisdiction: str) -> Explanation:
        """The full chain of rules of one profile for ``record`` (every rule, fired or not)."""
        profile = self.profile(jurisdiction)
        facts = self.facts(record, use)
        steps = profile.evaluate(facts)
        decision = _decision(profile.name, [s for s in steps if s.fired])
        return Explanation(profile.name, profile.version, record.id, tuple(facts.values()),
                           steps, decision)

    def step(self, use: Use) -> PolicyStep:
        """A pipeline step deciding every record under ``use``."""
        return PolicyStep(self, use)


@dataclass(frozen=True)
class PolicyStep:
    """Pipeline step (``run(data, rank, world_size)``, datatrove style): each record comes out
    as ``dataclasses.replace(record, decisions=engine.decide(record, use))``. Picklable when the
    engine's ``licence_category`` is a module-level function."""

    engine: PolicyEngine
    use: Use

    def run(self, data: Iterable[Record], rank: int = 0,
            world_size: int = 1) -> Iterator[Record]:
        """Decide each record of ``data`` (one shard; ``rank``/``world_size`` are unused: the
        decision of an item depends on that item only)."""
        for record in data:
            yield dataclasses.replace(record, decisions=self.engine.decide(record, self.use))

    __call__ = run
