"""``eu-summary.md`` / ``eu-summary.json``: the public summary of training content on the AI
Office template (AI Act Art. 53(1)(d); template published 24 July 2025, Communication
C(2025) 8311). Sections and headings follow the template (rights-signals.md §7a):
1 General information (1.1 provider, 1.2 model, 1.3 modalities and size), 2 List of data sources
(2.1 publicly available datasets, 2.2 private third-party datasets, 2.3 data crawled and scraped
from online sources, 2.4 user data, 2.5 synthetic data, 2.6 other sources), 3 Data processing
aspects (3.1 respect of TDM reservations, 3.2 removal of illegal content, 3.3 other).

What the audit knows is filled from the records; provider and model facts come from
``--provider`` (:mod:`rightsguard.report.provider`); everything else is printed as
**to complete** and listed under ``to_complete`` — never guessed.

Counting rules (this module's reading of the template, stated in the summary itself):

* **Training content** = the readable items allowed in the summary's jurisdiction (``EU``): the
  ``filtered/EU`` set. When the records carry no decision for it, every readable item counts and
  the summary says so.
* **Sizes (1.3)**: text = text + code items, in tokens of the tokenizer the run names; images in
  number of images; the template's bins: text *less than 1 billion* / *1 billion to 10 trillion* /
  *more than 10 trillion tokens*; images *less than 1 million* / *1 million to 1 billion* /
  *more than 1 billion images*; audio and video (*less than 10,000* / *10,000 to 1 million* /
  *more than 1 million hours*) never occur in an audit (no such modality is read) and are *not
  applicable*; a boundary value falls in the middle bin.
* **Crawled (2.3)** = items with a capture time (WARC-Date) and a domain. Collection period =
  earliest and latest capture time; domains are ranked by bytes of content (the one unit common
  to every modality), ties by name; the template's cut is the top 10 % of all domain names, for
  SMEs the top 5 % or 1,000 domains, whichever is lower — a fraction of a domain is rounded up,
  so a crawl of fewer than ten domains still names its largest (:func:`top_domain_count`).
* **Other inputs**: items are grouped by the input path in their id
  (``<reader>:<input path>#<position>``); an input a ``[[datasets]]`` entry names is listed in
  that entry's section, any other non-crawled input under 2.6 as *to complete* (classify it).
* **Opt-outs honoured (3.1)**: per protocol (robots.txt, TDMRep, noai, Content-Signal, AIPREF,
  ai.txt, IPTC, C2PA), the items carrying a ``reserved`` signal of that protocol *that reserves
  the audited AI-training use*, split by their decision: *withheld* (exclude), *held for review*,
  *kept* (allowed, e.g. an Art. 3 research use). The Code of Practice (Copyright chapter, measure
  1.3) names robots.txt per RFC 9309 and "other appropriate machine-readable protocols".
  Whether a reservation reserves the use is the policy's rule, the one the decisions read
  (``applies``: :class:`rightsguard.policy.facts.AppliesToTraining`, passed in by the audit).
* **Reservations for other uses (3.1)**: a reservation addressed to another crawler
  (``X-Robots-Tag: googlebot: noai``, a robots.txt group for ``OAI-SearchBot``), to another use
  (Content-Signal ``search``, C2PA/CAWG ``ai_inference``) or to other media (``noimageai`` on
  text) is not an opt-out from the text and data mining this training is (DSM Directive
  (EU) 2019/790 Art. 4(3); template 3.1 asks which opt-out protocols were honoured): the
  provider can neither honour nor ignore it. A regulator reads a "kept (allowed)" item in the
  protocol table as an opt-out the provider overrode (legitimate only for an Art. 3 research
  use), so such items are not in that table; so that nothing found is hidden, they are counted
  in a row of their own (``reservations_for_other_uses``: items, and items per protocol), without
  a decision split — their decision does not rest on them. An item counted in a protocol's row
  is not counted again for that protocol here.
* **robots.txt unavailable (3.1)**: a robots.txt answered with HTTP 5xx or not reached at all is
  read as "disallow all" for crawling (RFC 9309 §2.3.1.4: the crawler MUST assume complete
  disallow), and the signal extractor records it as a ``reserved`` robots signal valued
  ``disallow all (HTTP 5xx)`` / ``disallow all (unreachable)``
  (:mod:`rightsguard.signals.robots`). That is a crawl-time unavailability of the file, not a
  rights holder's machine-readable reservation (DSM Directive (EU) 2019/790 Art. 4(3)), so such
  items are not counted under robots.txt but in a row of their own
  (``robots_txt_unavailable``), split by decision the same way; the manifest keeps the signal as
  recorded.

Compatibility: ``schema_version`` 3 (2 counted every ``reserved`` signal in
``protocols_honoured``, whatever use or crawler it addressed, and had no
``reservations_for_other_uses``; 1 counted the 5xx/unreachable robots.txt items under robots.txt
and had no ``robots_txt_unavailable``).
"""

from __future__ import annotations

import datetime as dt
import json
import math
import os
import re
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rightsguard.model import AuditVerdict, Modality, Record, ReservationState, RightsSignal
from rightsguard.report.manifest import AuditRun, write_text_atomic
from rightsguard.report.provider import ProviderFacts

__all__ = [
    "OTHER_USES",
    "PROTOCOLS",
    "ROBOTS_UNAVAILABLE",
    "SUMMARY_VERSION",
    "TEMPLATE",
    "EuSummaryFacts",
    "ReservationFilter",
    "build_eu_summary",
    "hours_bin",
    "image_bin",
    "is_robots_unavailable",
    "markdown_escape",
    "protocol_of",
    "render_eu_summary_md",
    "text_bin",
    "top_domain_count",
    "top_domains",
    "write_eu_summary",
]

SUMMARY_VERSION = 3
TEMPLATE = ("Template for the Public Summary of Training Content for general-purpose AI models, "
            "AI Act Art. 53(1)(d) (AI Office, 24 July 2025)")
TO_COMPLETE = "to complete"

#: Opt-out protocols of section 3.1 and the signal kinds (model.RightsSignal.kind) that carry them.
PROTOCOLS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("robots.txt", ("robots",)),
    ("TDMRep", ("tdmrep",)),
    ("noai", ("noai", "noimageai")),
    ("Content-Signal", ("content-signal",)),
    ("AIPREF", ("aipref",)),
    ("ai.txt", ("ai-txt",)),
    ("IPTC", ("iptc-data-mining",)),
    ("C2PA", ("c2pa-training-mining",)),
)
_PROTOCOL_OF = {kind: name for name, kinds in PROTOCOLS for kind in kinds}
#: ``applies(signal, item modality)``: whether a signal reserves the audited AI-training use —
#: the policy's rule (:class:`rightsguard.policy.facts.AppliesToTraining`, which the audit
#: binds to the run's ``--agent`` tokens and crawler table and passes in; a report must not
#: import the policy). Kinds that carry no AI-training reservation never apply.
ReservationFilter = Callable[[RightsSignal, str], bool]
#: Section 3.1 row of the items whose robots.txt was unavailable (module docstring).
ROBOTS_UNAVAILABLE = ("robots.txt unavailable (5xx/unreachable) — treated as disallow-all per "
                      "RFC 9309 §2.3.1.4")
#: Section 3.1 row of the items whose reservations address other crawlers, uses or media.
OTHER_USES = ("reservations that do not reserve this AI training (addressed to other crawlers, "
              "to other uses such as search or AI inference, or to other media)")


def protocol_of(kind: str) -> str:
    """The :data:`PROTOCOLS` name of a signal kind (``noimageai`` → ``noai``); the kind itself
    for a kind no protocol lists."""
    return _PROTOCOL_OF.get(kind, kind)


def is_robots_unavailable(signal: RightsSignal) -> bool:
    """True for the signal of a 5xx or unreachable robots.txt (RFC 9309 §2.3.1.4; see
    :attr:`~rightsguard.model.RightsSignal.robots_unavailable`)."""
    return signal.robots_unavailable


_BILLION = 10**9


def _bin(value: int | float, low: int | float, high: int | float,
         labels: tuple[str, str, str]) -> str:
    return labels[0] if value < low else labels[1] if value <= high else labels[2]


def text_bin(tokens: int) -> str:
    """Template 1.3 size bin of ``tokens`` text tokens (< 1e9, 1e9 … 1e13, > 1e13)."""
    return _bin(tokens, _BILLION, 10 * 1000 * _BILLION,
                ("Less than 1 billion tokens", "1 billion to 10 trillion tokens",
                 "More than 10 trillion tokens"))


def image_bin(images: int) -> str:
    """Template 1.3 size bin of ``images`` images (< 1e6, 1e6 … 1e9, > 1e9)."""
    return _bin(images, 10**6, _BILLION,
                ("Less than 1 million images", "1 million to 1 billion images",
                 "More than 1 billion images"))


def hours_bin(hours: float) -> str:
    """Template 1.3 size bin of audio or video ``hours`` (< 1e4, 1e4 … 1e6, > 1e6); the audio
    and video bins are not verified against the template text (rights-signals.md §8)."""
    return _bin(hours, 10_000, 10**6,
                ("Less than 10,000 hours", "10,000 to 1 million hours",
                 "More than 1 million hours"))


def top_domain_count(domains: int, *, sme: bool = False) -> int:
    """How many domains template 2.3 lists out of ``domains``: 10 % of them, for an SME the
    lower of 5 % and 1,000; rounded up (``ValueError`` for a negative count).

    >>> top_domain_count(25), top_domain_count(25, sme=True), top_domain_count(30_000, sme=True)
    (3, 2, 1000)
    """
    if domains < 0:
        raise ValueError(f"domain count must be 0 or more, not {domains}")
    if sme:
        return min(math.ceil(domains * 5 / 100), 1000)
    return math.ceil(domains * 10 / 100)


def top_domains(sizes: Mapping[str, int], *, sme: bool = False) -> list[tuple[str, int]]:
    """The domains template 2.3 lists: ``(domain, bytes)`` by bytes descending, then name, cut
    at :func:`top_domain_count`."""
    ranked = sorted(sizes.items(), key=lambda kv: (-kv[1], kv[0]))
    return ranked[: top_domain_count(len(ranked), sme=sme)]


def _input_of(record_id: str) -> str:
    """The input path of an item id ``<reader>:<input path>#<position>``."""
    _, _, rest = record_id.partition(":")
    path, sep, _ = rest.rpartition("#")
    return path if sep else rest


def _parse_time(text: str) -> dt.datetime | None:
    try:
        when = dt.datetime.fromisoformat(text)
    except ValueError:
        return None
    return when if when.tzinfo else when.replace(tzinfo=dt.UTC)


@dataclass
class _Input:
    items: int = 0
    bytes: int = 0
    tokens: int = 0
    images: int = 0


class EuSummaryFacts:
    """Streaming counters for the summary (module docstring for the rules); ``applies``: which
    reservations reserve the audited AI-training use (:data:`ReservationFilter`, the policy's
    rule); memory: one counter per crawled domain, per input and per protocol."""

    def __init__(self, jurisdiction: str = "EU", *, applies: ReservationFilter) -> None:
        self.jurisdiction = jurisdiction
        self.applies = applies
        self.items = 0
        self.used = 0
        self.undecided = 0
        self.modality_items: Counter[str] = Counter()
        self.text_tokens = 0
        self.text_without_tokens = 0
        self.bytes_by_modality: Counter[str] = Counter()
        self.first_capture: tuple[dt.datetime, str] | None = None
        self.last_capture: tuple[dt.datetime, str] | None = None
        self.bad_capture_times = 0
        self.crawled_items = 0
        self.crawled_bytes = 0
        self.crawled_modalities: set[str] = set()
        self.domain_bytes: Counter[str] = Counter()
        self.inputs: dict[str, _Input] = defaultdict(_Input)
        self.input_modalities: dict[str, set[str]] = defaultdict(set)
        self.protocols: dict[str, Counter[str]] = {name: Counter() for name, _ in PROTOCOLS}
        self.protocols[ROBOTS_UNAVAILABLE] = Counter()
        self.other_uses: Counter[str] = Counter()  # items per protocol
        self.other_use_items = 0

    @staticmethod
    def _template_modality(record: Record) -> str:
        if record.modality in (Modality.TEXT, Modality.CODE):
            return "text"
        return "image" if record.modality == Modality.IMAGE else "other"

    def add(self, record: Record) -> None:
        """Count one record."""
        self.items += 1
        verdict = next((d.verdict for d in record.decisions
                        if d.jurisdiction == self.jurisdiction), None)
        reserved: set[str] = set()
        other: set[str] = set()
        for s in record.signals:
            if s.kind not in _PROTOCOL_OF or s.state != ReservationState.RESERVED:
                continue
            if not self.applies(s, record.modality):
                other.add(_PROTOCOL_OF[s.kind])
            else:
                reserved.add(ROBOTS_UNAVAILABLE if is_robots_unavailable(s)
                             else _PROTOCOL_OF[s.kind])
        for protocol in reserved:
            self.protocols[protocol]["reserved"] += 1
            self.protocols[protocol][verdict or "undecided"] += 1
        other -= reserved
        self.other_uses.update(other)
        self.other_use_items += bool(other)
        if verdict is None:
            self.undecided += 1
        if record.error is not None or verdict not in (None, AuditVerdict.ALLOW):
            return
        self.used += 1
        modality = self._template_modality(record)
        self.modality_items[modality] += 1
        self.bytes_by_modality[modality] += record.size_bytes
        if modality == "text":
            if record.size_tokens is None:
                self.text_without_tokens += 1
            else:
                self.text_tokens += record.size_tokens
        if record.captured_at is not None and record.domain is not None:
            self._add_crawled(record, modality)
        else:
            stats = self.inputs[_input_of(record.id)]
            stats.items += 1
            stats.bytes += record.size_bytes
            stats.tokens += record.size_tokens or 0
            stats.images += modality == "image"
            self.input_modalities[_input_of(record.id)].add(modality)

    def _add_crawled(self, record: Record, modality: str) -> None:
        assert record.captured_at is not None and record.domain is not None
        self.crawled_items += 1
        self.crawled_bytes += record.size_bytes
        self.crawled_modalities.add(modality)
        self.domain_bytes[record.domain] += record.size_bytes
        when = _parse_time(record.captured_at)
        if when is None:
            self.bad_capture_times += 1
            return
        if self.first_capture is None or when < self.first_capture[0]:
            self.first_capture = (when, record.captured_at)
        if self.last_capture is None or when > self.last_capture[0]:
            self.last_capture = (when, record.captured_at)

    def add_all(self, records: Iterable[Record]) -> EuSummaryFacts:
        for record in records:
            self.add(record)
        return self


def _modalities(found: Iterable[str]) -> list[str]:
    present = set(found)
    return [m for m in ("text", "image", "audio", "video", "other") if m in present]


def build_eu_summary(facts: EuSummaryFacts, run: AuditRun, provider: ProviderFacts | None = None,
                     *, sme: bool = False) -> dict[str, Any]:
    """The ``eu-summary.json`` document: ``schema_version``, ``template``, ``scope``,
    ``tokenizer``, ``to_complete`` (``"<section> <field>"`` for each missing fact) and
    ``sections`` keyed by template section number (``"1.1"`` … ``"3.3"``), each with its
    ``title``; a missing fact is ``null``. ``sme`` selects the SME domain cut (2.3). Section 3.1
    holds ``protocols_honoured`` (one row per protocol: the reservations of the audited
    AI-training use), ``robots_txt_unavailable`` (the items whose robots.txt answered 5xx or was
    unreachable, RFC 9309 §2.3.1.4; counted in no protocol row) and
    ``reservations_for_other_uses`` (``items`` and ``by_protocol``: the reservations addressed
    to other crawlers, uses or media; module docstring)."""
    p = provider or ProviderFacts()
    todo: list[str] = []

    def need(section: str, name: str, value: Any) -> Any:
        if value is None:
            todo.append(f"{section} {name}")
        return value

    j = facts.jurisdiction
    if facts.undecided == facts.items:
        scope = (f"every readable item: the audit made no {j} decisions"
                 if facts.items else "no items were audited")
    else:
        scope = f"the items allowed in {j} (filtered/{j})"
        if facts.undecided:
            scope += f", plus {facts.undecided:,} readable items without a {j} decision"

    sizes = []
    for modality in ("text", "image", "audio", "video", "other"):
        n = facts.modality_items[modality]
        row: dict[str, Any] = {"modality": modality, "items": n}
        if modality == "text":
            row |= {"size": facts.text_tokens, "unit": "tokens",
                    "bin": text_bin(facts.text_tokens) if n else "Not applicable"}
            if facts.text_without_tokens:
                row["note"] = (f"text items without a token count: {facts.text_without_tokens:,}; "
                               "the size and bin count the others")
        elif modality == "image":
            row |= {"size": n, "unit": "images",
                    "bin": image_bin(n) if n else "Not applicable"}
        elif modality == "other":
            row |= {"size": facts.bytes_by_modality["other"], "unit": "bytes",
                    "bin": need("1.3", "size bin of other content", None) if n
                    else "Not applicable"}
        else:
            row |= {"size": 0, "unit": "hours", "bin": "Not applicable"}
        sizes.append(row)

    crawled = facts.crawled_items > 0
    cut = top_domain_count(len(facts.domain_bytes), sme=sme)
    rule = ("SME: top 5 % or 1,000 domains, whichever is lower" if sme
            else "top 10 % of all domain names")
    datasets = {s: [d for d in p.datasets if d.section == s] for s in ("2.1", "2.2.1", "2.2.2",
                                                                         "2.6")}
    named_inputs = {i for d in p.datasets for i in d.inputs}

    def dataset_rows(section: str) -> list[dict[str, Any]]:
        rows = []
        for d in datasets[section]:
            stats = [facts.inputs[i] for i in d.inputs if i in facts.inputs]
            rows.append({"name": d.name, "url": d.url, "description": d.description,
                         "modalities": list(d.modalities), "inputs": list(d.inputs),
                         "items_audited": sum(s.items for s in stats),
                         "bytes_audited": sum(s.bytes for s in stats)})
        return rows

    def used(section: str, label: str) -> bool | None:
        return True if datasets[section] else need(section, label, None)

    unclassified = [{"input": path, "items": s.items, "bytes": s.bytes,
                     "modalities": _modalities(facts.input_modalities[path])}
                    for path, s in sorted(facts.inputs.items()) if path not in named_inputs]
    if unclassified:
        todo.append("2.6 classify the audited inputs not named in the provider file's datasets")
    other_used = True if datasets["2.6"] or unclassified else need("2.6", "other sources used",
                                                                   None)
    versioned = p.model_name
    if p.model_name and p.model_version:
        versioned = f"{p.model_name} {p.model_version}"
    elif p.model_name:
        todo.append("1.2 model version")
    last = facts.last_capture

    def by_decision(name: str) -> dict[str, int]:
        counts = facts.protocols[name]
        return {"withheld_excluded": counts[AuditVerdict.EXCLUDE.value],
                "held_for_review": counts[AuditVerdict.REVIEW.value],
                "kept_allowed": counts[AuditVerdict.ALLOW.value],
                "undecided": counts["undecided"]}

    protocols = [{"protocol": name, "signal_kinds": list(kinds),
                  "items_reserved": facts.protocols[name]["reserved"], **by_decision(name)}
                 for name, kinds in PROTOCOLS]
    unavailable = {"label": ROBOTS_UNAVAILABLE, "provision": "RFC 9309 §2.3.1.4",
                   "items": facts.protocols[ROBOTS_UNAVAILABLE]["reserved"],
                   **by_decision(ROBOTS_UNAVAILABLE)}
    other_uses = {"label": OTHER_USES, "provision": "DSM Directive (EU) 2019/790 Art. 4(3)",
                  "items": facts.other_use_items,
                  "by_protocol": {name: facts.other_uses[name] for name, _ in PROTOCOLS}}
    sections: dict[str, Any] = {
        "1.1": {"title": "Provider identification",
                "provider_name": need("1.1", "provider name", p.name),
                "contact": need("1.1", "provider contact details", p.contact),
                "authorised_representative": p.authorised_representative},
        "1.2": {"title": "Model identification",
                "versioned_model_name": need("1.2", "versioned model name", versioned),
                "model_dependencies": (list(p.model_dependencies)
                                       if p.model_dependencies is not None
                                       else need("1.2", "model dependencies", None)),
                "date_of_placement_on_union_market": need(
                    "1.2", "date of placement on the Union market",
                    p.placed_on_market.isoformat() if p.placed_on_market else None)},
        "1.3": {"title": "Modalities, overall training data size and other characteristics",
                "model_modalities": (list(p.modalities) if p.modalities is not None
                                     else need("1.3", "model modalities", None)),
                "training_data": sizes,
                "tokenizer": run.tokenizer,
                "latest_date_of_data_collection": (last[0].date().isoformat() if last
                                                   else need("1.3", "latest date of data "
                                                             "collection", None)),
                "languages": (list(p.languages) if p.languages is not None
                              else need("1.3", "languages", None)),
                "types_of_content": need("1.3", "types of content", p.content_types)},
        "2.1": {"title": "Publicly available datasets",
                "used": used("2.1", "publicly available datasets used"),
                "datasets": dataset_rows("2.1")},
        "2.2.1": {"title": "Datasets commercially licensed by rightsholders or their "
                           "representatives",
                  "used": used("2.2.1", "commercially licensed datasets used"),
                  "datasets": dataset_rows("2.2.1")},
        "2.2.2": {"title": "Private datasets obtained from other third parties",
                  "used": used("2.2.2", "private third-party datasets used"),
                  "datasets": dataset_rows("2.2.2")},
        "2.3": {"title": "Data crawled and scraped from online sources",
                "crawlers_used": crawled,
                "crawler_names": (list(run.crawlers) if run.crawlers or not crawled
                                  else need("2.3", "crawler names", None)),
                "period_of_data_collection": {
                    "start": facts.first_capture[1] if facts.first_capture else None,
                    "end": last[1] if last else None},
                "capture_times_unreadable": facts.bad_capture_times,
                "modalities": _modalities(facts.crawled_modalities),
                "items": facts.crawled_items,
                "bytes": facts.crawled_bytes,
                "domains_total": len(facts.domain_bytes),
                "top_domains_rule": rule,
                "top_domains_count": cut,
                "top_domains": [{"domain": d, "bytes": b}
                                for d, b in top_domains(facts.domain_bytes, sme=sme)]},
        "2.4": {"title": "User data",
                "from_model_interactions": need("2.4", "user data from model interactions",
                                                p.user_data_from_model),
                "from_other_services": need("2.4", "user data from other services",
                                            p.user_data_from_services),
                "description": p.user_data_description},
        "2.5": {"title": "Synthetic data",
                "used": need("2.5", "synthetic data used", p.synthetic_data_used),
                "models": list(p.synthetic_data_models or ()),
                "description": p.synthetic_data_description},
        "2.6": {"title": "Other sources of data",
                "used": other_used,
                "datasets": dataset_rows("2.6"),
                "unclassified_inputs": unclassified},
        "3.1": {"title": "Respect of reservation of rights from text and data mining exception "
                         "or limitation",
                "code_of_practice_signatory": need("3.1", "Code of Practice signatory",
                                                   p.code_of_practice_signatory),
                "protocols_honoured": protocols,
                "robots_txt_unavailable": unavailable,
                "reservations_for_other_uses": other_uses,
                "other_measures": p.opt_out_measures},
        "3.2": {"title": "Removal of illegal content",
                "measures": need("3.2", "measures to remove illegal content",
                                 p.illegal_content_removal)},
        "3.3": {"title": "Other information (optional)",
                "other_information": p.other_information},
    }
    order = {s: i for i, s in enumerate(sections)}
    todo.sort(key=lambda t: order[t.split(" ", 1)[0]])
    return {"schema_version": SUMMARY_VERSION, "template": TEMPLATE, "jurisdiction": j,
            "scope": scope, "tokenizer": run.tokenizer, "to_complete": todo,
            "sections": sections}


# -- Markdown ----------------------------------------------------------------------------------

_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>|])")


def markdown_escape(text: str) -> str:
    """``text`` as literal Markdown inline text: whitespace runs (newlines too) become one space
    and ``\\ ` * _ [ ] < > |`` are backslash-escaped (CommonMark §2.4), so corpus values cannot
    open emphasis, links, HTML or table cells."""
    return _MD_SPECIAL.sub(r"\\\1", " ".join(text.split()))


def _v(value: Any) -> str:
    if value is None:
        return f"**{TO_COMPLETE}**"
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, list):
        return ", ".join(markdown_escape(str(v)) for v in value) if value else "none"
    return markdown_escape(str(value))


def _items(n: int) -> str:
    return f"{n:,} item" if n == 1 else f"{n:,} items"


def _dataset_lines(rows: list[dict[str, Any]]) -> list[str]:
    out = []
    for d in rows:
        line = f"- {markdown_escape(d['name'])}"
        if d["url"]:
            line += f" — {markdown_escape(d['url'])}"
        if d["description"]:
            line += f": {markdown_escape(d['description'])}"
        if d["modalities"]:
            line += f" ({_v(d['modalities'])})"
        if d["inputs"]:
            line += (f"; audited inputs {_v(d['inputs'])}: {_items(d['items_audited'])} used "
                     f"for training, {d['bytes_audited']:,} bytes")
        out.append(line)
    return out


def render_eu_summary_md(doc: Mapping[str, Any]) -> str:
    """``eu-summary.md`` from the :func:`build_eu_summary` document (ends with a newline)."""
    s = doc["sections"]
    a: list[str] = []
    add = a.append

    def head(number: str, level: int = 3) -> None:
        add("")
        add(f"{'#' * level} {number}. {s[number]['title']}")

    add("# Public Summary of Training Content")
    add("")
    add(f"On the {markdown_escape(doc['template'])}. Generated by the rightsguard audit; facts "
        f"marked **{TO_COMPLETE}** are not in the corpus nor in the provider file and must be "
        "filled in by the provider.")
    add("")
    add(f"- Training content counted: {markdown_escape(doc['scope'])}.")
    add(f"- Tokens counted with: {markdown_escape(doc['tokenizer'])}.")
    if doc["to_complete"]:
        add(f"- To complete ({len(doc['to_complete'])}): "
            + "; ".join(markdown_escape(t) for t in doc["to_complete"]) + ".")
    add("")
    add("## 1. General information")
    head("1.1")
    add(f"- Provider name: {_v(s['1.1']['provider_name'])}")
    add(f"- Contact details: {_v(s['1.1']['contact'])}")
    rep = s["1.1"]["authorised_representative"]
    add(f"- Authorised representative: {_v(rep) if rep else 'none given'}")
    head("1.2")
    add(f"- Versioned model name: {_v(s['1.2']['versioned_model_name'])}")
    add(f"- Model dependencies: {_v(s['1.2']['model_dependencies'])}")
    add(f"- Date of placement on the Union market: "
        f"{_v(s['1.2']['date_of_placement_on_union_market'])}")
    head("1.3")
    add(f"- Modalities of the model: {_v(s['1.3']['model_modalities'])}")
    add("")
    add("| Modality | Items | Size | Training data size (bin) |")
    add("|---|---:|---:|---|")
    for row in s["1.3"]["training_data"]:
        size = f"{row['size']:,} {row['unit']}" if row["items"] else "—"
        note = f" ({markdown_escape(row['note'])})" if "note" in row else ""
        add(f"| {row['modality']} | {row['items']:,} | {size} | {_v(row['bin'])}{note} |")
    add("")
    add(f"- Latest date of data collection: {_v(s['1.3']['latest_date_of_data_collection'])}")
    add(f"- Languages: {_v(s['1.3']['languages'])}")
    add(f"- Types of content: {_v(s['1.3']['types_of_content'])}")
    add("")
    add("## 2. List of data sources")
    for number in ("2.1", "2.2.1", "2.2.2"):
        if number == "2.2.1":
            add("")
            add("### 2.2. Private non-publicly available datasets obtained from third parties")
        head(number, 3 if number == "2.1" else 4)
        add(f"- Used: {_v(s[number]['used'])}")
        a.extend(_dataset_lines(s[number]["datasets"]))
    c = s["2.3"]
    head("2.3")
    add(f"- Crawlers used: {_v(c['crawlers_used'])}")
    if c["crawlers_used"]:
        period = c["period_of_data_collection"]
        add(f"- Crawler names/identifiers: {_v(c['crawler_names'])}")
        add(f"- Period of data collection: {_v(period['start'])} to {_v(period['end'])}")
        if c["capture_times_unreadable"]:
            add(f"- Items with an unreadable capture time: {c['capture_times_unreadable']:,}")
        add(f"- Modalities: {_v(c['modalities'])}")
        add(f"- Content crawled: {_items(c['items'])}, {c['bytes']:,} bytes, "
            f"{c['domains_total']:,} domains")
        add(f"- Most relevant domain names ({c['top_domains_rule']}, by bytes of content): "
            f"{c['top_domains_count']:,} of {c['domains_total']:,}")
        add("")
        add("| Domain | Bytes |")
        add("|---|---:|")
        for d in c["top_domains"]:
            add(f"| {markdown_escape(d['domain'])} | {d['bytes']:,} |")
    head("2.4")
    add(f"- From user interactions with the model: {_v(s['2.4']['from_model_interactions'])}")
    add(f"- From the provider's other services: {_v(s['2.4']['from_other_services'])}")
    if s["2.4"]["description"]:
        add(f"- Description: {_v(s['2.4']['description'])}")
    head("2.5")
    add(f"- Used: {_v(s['2.5']['used'])}")
    if s["2.5"]["models"]:
        add(f"- Generating models: {_v(s['2.5']['models'])}")
    if s["2.5"]["description"]:
        add(f"- Description: {_v(s['2.5']['description'])}")
    head("2.6")
    add(f"- Used: {_v(s['2.6']['used'])}")
    a.extend(_dataset_lines(s["2.6"]["datasets"]))
    for u in s["2.6"]["unclassified_inputs"]:
        add(f"- Audited input {markdown_escape(u['input'])}: {_items(u['items'])} used for "
            f"training, {u['bytes']:,} bytes ({_v(u['modalities'])}) — **{TO_COMPLETE}**: "
            "classify as 2.1, 2.2.1, 2.2.2 or 2.6")
    add("")
    add("## 3. Data processing aspects")
    head("3.1")
    add(f"- Signatory of the Code of Practice: {_v(s['3.1']['code_of_practice_signatory'])}")
    add("- Opt-out protocols honoured (items carrying a reservation of this AI training, by "
        "their decision):")
    add("")
    add("| Protocol | Items reserved | Withheld (excluded) | Held for review | Kept (allowed) |")
    add("|---|---:|---:|---:|---:|")
    for row in s["3.1"]["protocols_honoured"]:
        add(f"| {row['protocol']} | {row['items_reserved']:,} | {row['withheld_excluded']:,} | "
            f"{row['held_for_review']:,} | {row['kept_allowed']:,} |")
    u = s["3.1"]["robots_txt_unavailable"]
    add("")
    add(f"- Not counted above, {markdown_escape(u['label'])} (a crawl-time unavailability, not a "
        f"rights holder's reservation): {_items(u['items'])}; withheld (excluded) "
        f"{u['withheld_excluded']:,}, held for review {u['held_for_review']:,}, kept (allowed) "
        f"{u['kept_allowed']:,}.")
    o = s["3.1"]["reservations_for_other_uses"]
    found = ", ".join(f"{name} {n:,}" for name, n in o["by_protocol"].items() if n)
    add(f"- Not counted above, {markdown_escape(o['label'])}: {_items(o['items'])}"
        + (f" ({found})." if found else "."))
    if s["3.1"]["other_measures"]:
        add("")
        add(f"- Other measures: {_v(s['3.1']['other_measures'])}")
    head("3.2")
    add(f"- Measures: {_v(s['3.2']['measures'])}")
    head("3.3")
    other = s["3.3"]["other_information"]
    add(f"- {_v(other) if other else 'None given.'}")
    return "\n".join(a) + "\n"


def write_eu_summary(out_dir: str | os.PathLike[str], doc: Mapping[str, Any]) -> None:
    """Write ``eu-summary.json`` and ``eu-summary.md`` under ``out_dir`` (each atomically)."""
    out = Path(out_dir)
    write_text_atomic(out / "eu-summary.json",
                      json.dumps(doc, indent=2, ensure_ascii=False, allow_nan=False) + "\n")
    write_text_atomic(out / "eu-summary.md", render_eu_summary_md(doc))
