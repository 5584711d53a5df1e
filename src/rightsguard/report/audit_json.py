"""``report.json``: counts of an audit, aggregated in one streaming pass over the records.

:class:`AuditAggregate` is fed one :class:`~rightsguard.model.Record` at a time (from the
pipeline or from :func:`~rightsguard.report.manifest.read_manifest`); its memory is constant
apart from one counter per domain, per (jurisdiction, rule) and per (signal kind, state), plus at
most ``max_examples`` unreadable-item examples. ``report.html``
(:mod:`rightsguard.report.audit_html`) renders the same :meth:`AuditAggregate.to_dict`.

Format version 1 (``schema_version``); keys in the order below, two-space indent, UTF-8:

* ``run``: :meth:`AuditRun.to_dict <rightsguard.report.manifest.AuditRun.to_dict>`.
* ``items``: ``total``, ``bytes``, ``readable``, ``by_modality`` — per modality ``items``,
  ``bytes``, ``tokens`` (rightsguard text tokens, text and code), ``pixels`` (images).
* ``decisions``: per jurisdiction (run order, then any other seen) ``{allow, review, exclude}``
  item counts; ``ALL`` counts each item by its most restrictive verdict over the jurisdictions
  (``allow`` = allowed in every one, the ``filtered/ALL`` set).
* ``reasons``: ``[{jurisdiction, rule, provision, items}]`` — items whose decision in that
  jurisdiction gave a reason with that rule id (once per item), most items first.
* ``domains``: ``total`` (distinct registrable domains) and ``top`` — at most ``max_domains``
  rows ``{domain, items, bytes, decisions: {jurisdiction: {verdict: items}}}``, most bytes first
  (ties by domain name); items without a domain are counted under ``no_domain``.
* ``signals``: ``[{kind, state, items}]`` — items carrying at least one signal of that kind in
  that state (:class:`~rightsguard.model.ReservationState` values), by kind then state.
* ``unreadable``: ``items`` (records with an ``error``), ``inputs`` (the run's unreadable
  inputs) and ``examples`` (the first ``max_examples`` ``{id, error}`` in stream order).
"""

from __future__ import annotations

import json
import os
from collections import Counter, defaultdict
from collections.abc import Iterable
from typing import Any

from rightsguard.model import AuditVerdict, Record
from rightsguard.report.manifest import AuditRun, write_text_atomic

__all__ = ["REPORT_VERSION", "AuditAggregate", "aggregate", "to_report_json", "write_report_json"]

REPORT_VERSION = 1
_VERDICTS = tuple(v.value for v in AuditVerdict)  # allow, review, exclude
_ALL = "ALL"


def _verdict_counts() -> dict[str, int]:
    return dict.fromkeys(_VERDICTS, 0)


class AuditAggregate:
    """Streaming counters over audit records (see the module docstring for what is counted).

    ``max_domains``: domain rows kept in :meth:`to_dict` (all domains are counted);
    ``max_examples``: unreadable items quoted. Both must be at least 0 (``ValueError``).
    """

    def __init__(self, *, max_domains: int = 1000, max_examples: int = 20) -> None:
        if max_domains < 0 or max_examples < 0:
            raise ValueError(f"max_domains and max_examples must be 0 or more, not "
                             f"{max_domains} and {max_examples}")
        self.max_domains = max_domains
        self.max_examples = max_examples
        self.total = 0
        self.bytes = 0
        self.unreadable = 0
        self.examples: list[tuple[str, str]] = []
        self.modalities: dict[str, Counter[str]] = defaultdict(Counter)
        self.decisions: dict[str, dict[str, int]] = defaultdict(_verdict_counts)
        self.reasons: Counter[tuple[str, str]] = Counter()
        self.provisions: dict[tuple[str, str], str] = {}
        self.domain_items: Counter[str] = Counter()
        self.domain_bytes: Counter[str] = Counter()
        self.domain_decisions: dict[str, dict[str, dict[str, int]]] = defaultdict(
            lambda: defaultdict(_verdict_counts))
        self.no_domain = 0
        self.signals: Counter[tuple[str, str]] = Counter()

    def add(self, record: Record) -> None:
        """Count one record."""
        self.total += 1
        self.bytes += record.size_bytes
        modality = self.modalities[record.modality]
        modality["items"] += 1
        modality["bytes"] += record.size_bytes
        modality["tokens"] += record.size_tokens or 0
        modality["pixels"] += record.size_pixels or 0
        if record.error is not None:
            self.unreadable += 1
            if len(self.examples) < self.max_examples:
                self.examples.append((record.id, record.error))
        worst: AuditVerdict | None = None
        for decision in record.decisions:
            verdict = AuditVerdict(decision.verdict)
            self.decisions[decision.jurisdiction][verdict.value] += 1
            if worst is None or verdict.severity > worst.severity:
                worst = verdict
            for rule in dict.fromkeys(r.rule for r in decision.reasons):
                self.reasons[(decision.jurisdiction, rule)] += 1
            for reason in decision.reasons:
                self.provisions.setdefault((decision.jurisdiction, reason.rule), reason.provision)
        if worst is not None:
            self.decisions[_ALL][worst.value] += 1
        if record.domain is None:
            self.no_domain += 1
        else:
            self.domain_items[record.domain] += 1
            self.domain_bytes[record.domain] += record.size_bytes
            per_domain = self.domain_decisions[record.domain]
            for decision in record.decisions:
                per_domain[decision.jurisdiction][decision.verdict] += 1
        for key in {(s.kind, s.state) for s in record.signals}:
            self.signals[key] += 1

    def add_all(self, records: Iterable[Record]) -> AuditAggregate:
        for record in records:
            self.add(record)
        return self

    def _jurisdictions(self, run: AuditRun) -> list[str]:
        seen = [j for j in run.jurisdictions if j in self.decisions]
        seen += sorted(j for j in self.decisions if j not in seen and j != _ALL)
        return [*seen, _ALL] if _ALL in self.decisions else seen

    def to_dict(self, run: AuditRun) -> dict[str, Any]:
        """The ``report.json`` document (module docstring) for ``run``."""
        order = self._jurisdictions(run)
        ranked = sorted(self.domain_bytes, key=lambda d: (-self.domain_bytes[d], d))
        return {
            "schema_version": REPORT_VERSION,
            "run": run.to_dict(),
            "items": {
                "total": self.total,
                "bytes": self.bytes,
                "readable": self.total - self.unreadable,
                "by_modality": {m: {k: self.modalities[m][k]
                                    for k in ("items", "bytes", "tokens", "pixels")}
                                for m in sorted(self.modalities)},
            },
            "decisions": {j: dict(self.decisions[j]) for j in order},
            "reasons": [
                {"jurisdiction": j, "rule": rule, "provision": self.provisions[(j, rule)],
                 "items": n}
                for (j, rule), n in sorted(self.reasons.items(),
                                           key=lambda kv: (-kv[1], order.index(kv[0][0]),
                                                           kv[0][1]))
            ],
            "domains": {
                "total": len(self.domain_bytes),
                "no_domain": self.no_domain,
                "top": [
                    {"domain": d, "items": self.domain_items[d], "bytes": self.domain_bytes[d],
                     "decisions": {j: dict(v) for j, v in sorted(
                         self.domain_decisions[d].items(), key=lambda kv: order.index(kv[0]))}}
                    for d in ranked[: self.max_domains]
                ],
            },
            "signals": [{"kind": k, "state": s, "items": n}
                        for (k, s), n in sorted(self.signals.items())],
            "unreadable": {
                "items": self.unreadable,
                "inputs": run.unreadable_inputs,
                "examples": [{"id": i, "error": e} for i, e in self.examples],
            },
        }


def aggregate(records: Iterable[Record], **options: int) -> AuditAggregate:
    """Count ``records`` in one pass (options: ``max_domains``, ``max_examples``)."""
    return AuditAggregate(**options).add_all(records)


def to_report_json(agg: AuditAggregate, run: AuditRun) -> str:
    """``report.json``'s text (no trailing newline)."""
    return json.dumps(agg.to_dict(run), indent=2, ensure_ascii=False, allow_nan=False)


def write_report_json(path: str | os.PathLike[str], agg: AuditAggregate, run: AuditRun) -> None:
    """Write ``report.json`` atomically (``<path>.tmp`` renamed into place)."""
    write_text_atomic(path, to_report_json(agg, run) + "\n")
