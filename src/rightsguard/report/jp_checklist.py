"""``jp-checklist.md``: the checks Japan's Copyright Act Art. 30-4 asks of a training corpus.

Art. 30-4 lets anyone exploit works for information analysis (item (ii)), commercial or not, as
long as enjoying the expression is not a purpose, unless the proviso applies ("would unreasonably
prejudice the interests of the copyright owner"). The Agency for Cultural Affairs' 2024 documents
(law.md §1.2) say when it flips; this checklist reports each flip condition the audit can see:

1. **Purpose** (Art. 30-4 main clause; Art. 47-5(1) for RAG): the purpose declared with
   ``--purpose`` (the run's :class:`~rightsguard.model.Use`) and what it implies:
   ``imitate-creator`` (additional training such as LoRA on one creator's works to output their
   expression: enjoyment co-exists, 30-4 unavailable) and ``rag-excerpts`` (collecting works for
   RAG that outputs them is not non-enjoyment; 47-5 covers only *minor* excerpts) are flagged;
   the other purposes are information analysis, for which 30-4 can apply. The declaration is
   the user's own legal statement, which no corpus can verify (an enjoyment purpose mixed in,
   such as intentional over-fitting, is not visible in one), so its box is always left open
   (``[ ]``) for a person to tick; status ``to-confirm`` or ``flag``, never ``ok``.
2. **Proviso signals** (Art. 30-4 proviso): items from domains on the user's dataset-for-sale list
   (``list-dataset-for-sale`` signals: the holder sells the data for analysis); items whose
   AI-blocking measures were present — a ``reserved`` signal of any carrier the policy reads as
   an AI-training reservation (:data:`rightsguard.policy.facts.RESERVATION_KINDS`) that applies
   to the audited use by the policy's own rule (``applies``,
   :class:`rightsguard.policy.facts.AppliesToTraining`: a ``googlebot: noai`` or a C2PA
   ``ai_inference`` prohibition blocks no AI training), i.e. what the JP profile's
   ``s3-reservation`` rule acts on (evidence of a planned database sale; ignoring or
   circumventing them may fall under the proviso), counted per protocol of
   :data:`~rightsguard.report.eu_summary.PROTOCOLS`; items on the paywalled-domains list
   (``list-paywall``: circumventing access controls).
3. **Pirated sources** (``list-piracy``): 30-4 has no lawful-access condition, but the ACA asks
   developers not to collect from sites known to host pirated copies; knowing use makes the
   developer more likely to be held liable for infringing outputs.
4. **Items to review** and **excluded** in the ``JP`` decisions, with the rules that fired.

Each check cites the article and the ACA guidance, with counts and the first ``max_examples`` item
ids in stream order (the full lists are in ``review.parquet`` / ``excluded.parquet`` and the
manifest). Memory: one counter per hit domain and per rule.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from rightsguard.model import AuditVerdict, Purpose, Record, ReservationState
from rightsguard.report.eu_summary import (
    PROTOCOLS,
    ReservationFilter,
    markdown_escape,
    protocol_of,
)
from rightsguard.report.manifest import AuditRun, write_text_atomic

__all__ = ["ACA_GUIDANCE", "JpChecklistFacts", "build_jp_checklist", "render_jp_checklist_md",
           "write_jp_checklist"]

ACT = "Copyright Act (Act No. 48 of 1970)"
ART_30_4 = f"{ACT} Art. 30-4"
PROVISO = f"{ACT} Art. 30-4 proviso"
ART_47_5 = f"{ACT} Art. 47-5(1)"
#: The Agency for Cultural Affairs' 2024 documents (law.md §1.2), cited by every check.
ACA_GUIDANCE = (
    "Agency for Cultural Affairs, \"General Understanding on AI and Copyright in Japan\" "
    "(May 2024), on the Legal System Subcommittee's \"Approach/Perspectives Regarding AI and "
    "Copyright\" (15 Mar 2024); \"Checklist & Guidance\" (31 Jul 2024)"
)

_LISTS = {"list-dataset-for-sale": "for_sale", "list-paywall": "paywall", "list-piracy": "piracy"}


class _Hits:
    """Items hit by one check: count, first examples, domains."""

    def __init__(self, max_examples: int) -> None:
        self.items = 0
        self.examples: list[str] = []
        self.domains: Counter[str] = Counter()
        self.max_examples = max_examples

    def add(self, record: Record) -> None:
        self.items += 1
        if len(self.examples) < self.max_examples:
            self.examples.append(record.id)
        if record.domain is not None:
            self.domains[record.domain] += 1

    def to_dict(self) -> dict[str, Any]:
        top = sorted(self.domains.items(), key=lambda kv: (-kv[1], kv[0]))[:10]
        return {"items": self.items, "examples": list(self.examples),
                "domains": [{"domain": d, "items": n} for d, n in top],
                "domains_total": len(self.domains)}


class JpChecklistFacts:
    """Streaming counters for the checklist (module docstring); ``applies``: which signals
    reserve the audited AI-training use (the policy's rule, see
    :data:`~rightsguard.report.eu_summary.ReservationFilter`); ``max_examples`` ≥ 0."""

    def __init__(self, jurisdiction: str = "JP", *, applies: ReservationFilter,
                 max_examples: int = 10) -> None:
        if max_examples < 0:
            raise ValueError(f"max_examples must be 0 or more, not {max_examples}")
        self.jurisdiction = jurisdiction
        self.applies = applies
        self.items = 0
        self.unreadable = 0
        self.hits = {name: _Hits(max_examples)
                     for name in ("for_sale", "blocking", "paywall", "piracy", "review",
                                  "exclude")}
        self.blocking_kinds: Counter[str] = Counter()
        self.rules: dict[str, Counter[str]] = {"review": Counter(), "exclude": Counter()}
        self.decided = 0

    def add(self, record: Record) -> None:
        """Count one record."""
        self.items += 1
        self.unreadable += record.error is not None
        kinds = {s.kind for s in record.signals if s.kind in _LISTS}
        for kind in sorted(kinds):
            self.hits[_LISTS[kind]].add(record)
        # a 5xx/unreachable robots.txt is a crawler's fallback (RFC 9309 §2.3.1.4), not a
        # measure the rights holder took
        blocking = sorted({protocol_of(s.kind) for s in record.signals
                           if s.state == ReservationState.RESERVED and not s.robots_unavailable
                           and self.applies(s, record.modality)})
        if blocking:
            self.hits["blocking"].add(record)
            self.blocking_kinds.update(blocking)
        for decision in record.decisions:
            if decision.jurisdiction != self.jurisdiction:
                continue
            self.decided += 1
            if decision.verdict in (AuditVerdict.REVIEW, AuditVerdict.EXCLUDE):
                self.hits[decision.verdict].add(record)
                self.rules[decision.verdict].update({r.rule for r in decision.reasons})

    def add_all(self, records: Iterable[Record]) -> JpChecklistFacts:
        for record in records:
            self.add(record)
        return self


def _purpose_check(run: AuditRun) -> dict[str, Any]:
    """The purpose check (module docstring, check 1): ``declared`` (the ``--purpose`` value),
    ``status`` (``flag`` when the declared purpose rules Art. 30-4 out, else ``to-confirm``),
    ``provision`` and ``finding`` (what the declaration implies). Never ``ok``: the declaration
    is the user's statement, for a person to confirm."""
    purpose = run.use.purpose
    if purpose == Purpose.IMITATE_CREATOR:
        return {"status": "flag", "declared": purpose.value, "provision": ART_30_4,
                "finding": "the purpose is to imitate a specific creator (additional training "
                           "such as LoRA on a small set of one creator's works so that their "
                           "creative expression is perceivable in outputs): an enjoyment "
                           "purpose co-exists and Art. 30-4 does not apply; style alone is an "
                           "idea, so a style-only aim needs review on the facts"}
    if purpose == Purpose.RAG_EXCERPTS:
        return {"status": "flag", "declared": purpose.value,
                "provision": f"{ART_30_4}; {ART_47_5}",
                "finding": "the purpose is retrieval-augmented generation that outputs "
                           "excerpts: collecting works as RAG input that is output is not "
                           "non-enjoyment, so Art. 30-4 does not apply; Art. 47-5(1) covers "
                           "only minor excerpts incidental to search or analysis results, "
                           "otherwise a licence is needed"}
    return {"status": "to-confirm", "declared": purpose.value, "provision": ART_30_4,
            "finding": f"the declared purpose ({purpose.value}) is information analysis "
                       "without enjoyment of the expression, so Art. 30-4 can apply, commercial "
                       "or not; tick only once a person has confirmed the declaration: no "
                       "enjoyment purpose is mixed in, such as training aimed at outputting "
                       "training works (intentional over-fitting)"}


def build_jp_checklist(facts: JpChecklistFacts, run: AuditRun) -> dict[str, Any]:
    """The checklist as a document: ``use``, ``purpose`` check (:func:`_purpose_check`: never
    ``ok``, the declaration is for a person to confirm), ``proviso`` checks
    (``dataset_for_sale``, ``ai_blocking_measures`` with ``by_measure`` counts,
    ``access_controls``), ``pirated_sources``, ``review`` and ``excluded`` (with ``rules``:
    items per rule id), each check with ``status`` (``flag`` when items were hit), ``provision``
    and the hits (``items``, ``examples``, ``domains``)."""

    def check(name: str, provision: str, **extra: Any) -> dict[str, Any]:
        hits = facts.hits[name].to_dict()
        return {"status": "flag" if hits["items"] else "ok", "provision": provision,
                **hits, **extra}

    def rules(verdict: str) -> list[dict[str, Any]]:
        return [{"rule": r, "items": n} for r, n in
                sorted(facts.rules[verdict].items(), key=lambda kv: (-kv[1], kv[0]))]

    use = run.use
    return {
        "jurisdiction": facts.jurisdiction,
        "guidance": ACA_GUIDANCE,
        "use": {"purpose": use.purpose.value, "commercial": use.commercial, "actor": use.actor},
        "items": facts.items,
        "unreadable": facts.unreadable,
        "decided": facts.decided,
        "purpose": _purpose_check(run),
        "proviso": {
            "dataset_for_sale": check("for_sale", PROVISO),
            "ai_blocking_measures": check(
                "blocking", PROVISO,
                by_measure={**{name: 0 for name, _ in PROTOCOLS}, **facts.blocking_kinds}),
            "access_controls": check("paywall", PROVISO),
        },
        "pirated_sources": check("piracy", ART_30_4),
        "review": check("review", ART_30_4, rules=rules("review")),
        "excluded": check("exclude", ART_30_4, rules=rules("exclude")),
    }


def _box(status: str) -> str:
    """``[x]`` only for a check the audit passed (``ok``: nothing found in the corpus); any other
    status, the purpose's ``to-confirm`` included, is left for a person: ``[ ]``."""
    return "[x]" if status == "ok" else "[ ]"


def _hit_lines(hits: Mapping[str, Any]) -> list[str]:
    out = [f"  - Items: {hits['items']:,}"]
    if hits["domains"]:
        shown = ", ".join(f"{markdown_escape(d['domain'])} ({d['items']:,})"
                          for d in hits["domains"])
        more = hits["domains_total"] - len(hits["domains"])
        out.append(f"  - Domains: {shown}" + (f" and {more:,} more" if more else ""))
    if hits["examples"]:
        out.append("  - Examples: " + ", ".join(f"{markdown_escape(i)}"
                                                for i in hits["examples"]))
    return out


def render_jp_checklist_md(doc: Mapping[str, Any]) -> str:
    """``jp-checklist.md`` from the :func:`build_jp_checklist` document (ends with a newline).
    ``[x]`` = nothing found, ``[ ]`` = act on it or confirm it; the purpose box is always
    ``[ ]`` (the declared purpose is the user's statement, for a person to tick)."""
    a: list[str] = []
    add = a.append
    use = doc["use"]
    add("# Japan: Copyright Act Art. 30-4 checklist")
    add("")
    add(f"Use audited: purpose {use['purpose']}, "
        f"{'commercial' if use['commercial'] else 'non-commercial'}, actor {use['actor']}. "
        f"{doc['items']:,} items ({doc['unreadable']:,} unreadable), "
        f"{doc['decided']:,} decided for {doc['jurisdiction']}.")
    add("")
    add(f"Guidance cited throughout: {markdown_escape(doc['guidance'])}.")
    add("")
    add("Boxes: [x] = the audit found nothing; [ ] = act on it, or confirm it.")
    add("")
    add("## 1. Purpose: is an enjoyment purpose mixed in?")
    add("")
    p = doc["purpose"]
    add(f"Declared purpose (--purpose): {markdown_escape(p['declared'])}. The declaration is "
        "your own statement, which the audit cannot verify: a person ticks this box.")
    add("")
    add(f"- [ ] {markdown_escape(p['finding'][0].upper() + p['finding'][1:])}."
        f" ({markdown_escape(p['provision'])})")
    add("")
    add("## 2. Proviso: would the use unreasonably prejudice the copyright owner?")
    add("")
    sale = doc["proviso"]["dataset_for_sale"]
    add(f"- {_box(sale['status'])} Items from domains whose owner sells the data as an "
        f"analysis or training dataset (dataset-for-sale list): reproducing them for analysis "
        f"falls under the proviso. ({markdown_escape(sale['provision'])})")
    a.extend(_hit_lines(sale))
    block = doc["proviso"]["ai_blocking_measures"]
    measures = ", ".join(f"{k} {v:,}" for k, v in block["by_measure"].items())
    add(f"- {_box(block['status'])} Items whose AI-blocking measures were present "
        f"(reservations by {measures}): evidence that the data may be sold as a database; "
        f"training that ignores or circumvents them may fall under the proviso. "
        f"({markdown_escape(block['provision'])})")
    a.extend(_hit_lines(block))
    paywall = doc["proviso"]["access_controls"]
    add(f"- {_box(paywall['status'])} Items from paywalled domains (ID/password or other "
        f"access controls): circumventing them falls under the proviso. "
        f"({markdown_escape(paywall['provision'])})")
    a.extend(_hit_lines(paywall))
    add("")
    add("## 3. Pirated sources")
    add("")
    piracy = doc["pirated_sources"]
    add(f"- {_box(piracy['status'])} Items from domains on the piracy list: Art. 30-4 has no "
        f"lawful-access condition, but the ACA asks developers not to collect from sites known "
        f"to host pirated copies, and knowing use makes infringing outputs more likely to be "
        f"attributed to the developer. ({markdown_escape(piracy['provision'])})")
    a.extend(_hit_lines(piracy))
    add("")
    add("## 4. Items to review and excluded items")
    add("")
    for key, label, where in (("review", "Items to review", "review.parquet"),
                              ("excluded", "Excluded items", "excluded.parquet")):
        hits = doc[key]
        add(f"- {_box(hits['status'])} {label} in {doc['jurisdiction']} "
            f"(all of them in {where}).")
        a.extend(_hit_lines(hits))
        if hits["rules"]:
            add("  - Rules: " + ", ".join(f"{markdown_escape(r['rule'])} ({r['items']:,})"
                                          for r in hits["rules"]))
    return "\n".join(a) + "\n"


def write_jp_checklist(out_dir: str | os.PathLike[str], doc: Mapping[str, Any]) -> None:
    """Write ``jp-checklist.md`` under ``out_dir`` (atomically)."""
    write_text_atomic(Path(out_dir) / "jp-checklist.md", render_jp_checklist_md(doc))
