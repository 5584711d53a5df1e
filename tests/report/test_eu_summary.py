"""eu-summary.md / .json on the AI Office template, on the hand-built corpus in data/audit.

Regenerate the golden files with ``RIGHTSGUARD_REGEN_GOLDEN=1 uv run pytest tests/report``.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import os
from pathlib import Path
from typing import Any

import pytest
from audit_records import APPLIES, load_records

from rightsguard.errors import ConfigError
from rightsguard.model import Decision, Record, RightsSignal
from rightsguard.report.eu_summary import (
    OTHER_USES,
    ROBOTS_UNAVAILABLE,
    EuSummaryFacts,
    build_eu_summary,
    hours_bin,
    image_bin,
    is_robots_unavailable,
    markdown_escape,
    render_eu_summary_md,
    text_bin,
    top_domain_count,
    top_domains,
    write_eu_summary,
)
from rightsguard.report.manifest import TOKENIZER_NAME, AuditRun
from rightsguard.report.provider import Dataset, load_provider, parse_provider
from rightsguard.signals.noai import noai_header_signals
from rightsguard.signals.robots import RobotsFile, robots_signals

DATA = Path(__file__).parent / "data" / "audit"
GOLDEN = Path(__file__).parent / "golden"
REGEN = os.environ.get("RIGHTSGUARD_REGEN_GOLDEN") == "1"
RUN = AuditRun(inputs=("crawl.warc.gz", "data/wiki.jsonl", "data/images.parquet", "repo"),
               jurisdictions=("EU", "JP"), crawlers=("ExampleBot",))




def summary(**options: Any) -> dict[str, Any]:
    facts = EuSummaryFacts(applies=APPLIES).add_all(load_records())
    provider = options.pop("provider", load_provider(DATA / "provider.toml"))
    return build_eu_summary(facts, RUN, provider, **options)


# -- template rules --


@pytest.mark.parametrize(("tokens", "label"), [
    (0, "Less than 1 billion tokens"),
    (999_999_999, "Less than 1 billion tokens"),
    (1_000_000_000, "1 billion to 10 trillion tokens"),
    (10_000_000_000_000, "1 billion to 10 trillion tokens"),
    (10_000_000_000_001, "More than 10 trillion tokens"),
])
def test_text_bins(tokens: int, label: str) -> None:
    assert text_bin(tokens) == label


@pytest.mark.parametrize(("images", "label"), [
    (999_999, "Less than 1 million images"),
    (1_000_000, "1 million to 1 billion images"),
    (1_000_000_001, "More than 1 billion images"),
])
def test_image_bins(images: int, label: str) -> None:
    assert image_bin(images) == label


def test_hours_bins() -> None:
    assert [hours_bin(h) for h in (9_999.5, 10_000, 1_000_001)] == [
        "Less than 10,000 hours", "10,000 to 1 million hours", "More than 1 million hours"]


def test_top_domain_count_ten_percent_versus_sme_rule() -> None:
    # 25 domains: 10 % = 2.5 -> 3; SME 5 % = 1.25 -> 2
    assert (top_domain_count(25), top_domain_count(25, sme=True)) == (3, 2)
    # 30,000 domains: 10 % = 3,000; SME: 5 % = 1,500 but at most 1,000
    assert (top_domain_count(30_000), top_domain_count(30_000, sme=True)) == (3000, 1000)
    # 10,000 domains: SME 5 % = 500 < 1,000
    assert top_domain_count(10_000, sme=True) == 500
    assert (top_domain_count(0), top_domain_count(1), top_domain_count(1, sme=True)) == (0, 1, 1)
    with pytest.raises(ValueError, match="-1"):
        top_domain_count(-1)


def test_top_domains_by_bytes_then_name() -> None:
    # d01 … d25 with 1,000 × n bytes, plus a tie: d24 and "a-tie" both 24,000 bytes
    sizes = {f"d{n:02d}": 1000 * n for n in range(1, 26)}
    assert top_domains(sizes) == [("d25", 25_000), ("d24", 24_000), ("d23", 23_000)]
    assert top_domains(sizes, sme=True) == [("d25", 25_000), ("d24", 24_000)]
    sizes["a-tie"] = 24_000  # 26 domains: 10 % = 2.6 -> 3
    assert top_domains(sizes) == [("d25", 25_000), ("a-tie", 24_000), ("d24", 24_000)]


# -- the corpus --


def test_sizes_count_only_items_allowed_in_the_eu() -> None:
    s = summary()["sections"]["1.3"]
    # allowed in EU: 5 text/code items (800 + 2100 + 1400 + 250 + 900 tokens), 2 images
    assert s["training_data"] == [
        {"modality": "text", "items": 5, "size": 5450, "unit": "tokens",
         "bin": "Less than 1 billion tokens"},
        {"modality": "image", "items": 2, "size": 2, "unit": "images",
         "bin": "Less than 1 million images"},
        {"modality": "audio", "items": 0, "size": 0, "unit": "hours", "bin": "Not applicable"},
        {"modality": "video", "items": 0, "size": 0, "unit": "hours", "bin": "Not applicable"},
        {"modality": "other", "items": 0, "size": 0, "unit": "bytes", "bin": "Not applicable"},
    ]
    assert s["latest_date_of_data_collection"] == "2025-04-01"
    assert s["tokenizer"] == TOKENIZER_NAME


def test_crawled_sources() -> None:
    c = summary()["sections"]["2.3"]
    assert c["crawlers_used"] is True
    assert c["crawler_names"] == ["ExampleBot"]
    assert c["period_of_data_collection"] == {"start": "2025-02-01T00:00:00Z",
                                              "end": "2025-04-01T09:00:00Z"}
    assert (c["items"], c["bytes"], c["domains_total"]) == (3, 87_000, 3)
    assert c["modalities"] == ["text", "image"]
    # 3 domains: 10 % = 0.3 -> 1
    assert c["top_domains_count"] == 1
    assert c["top_domains"] == [{"domain": "photos.test", "bytes": 80_000}]
    assert summary(sme=True)["sections"]["2.3"]["top_domains_rule"] == (
        "SME: top 5 % or 1,000 domains, whichever is lower")


def test_datasets_are_placed_by_the_provider_file_others_to_complete() -> None:
    s = summary()["sections"]
    assert s["2.1"]["used"] is True
    assert s["2.1"]["datasets"] == [{
        "name": "Wikipedia (English) 2025-06 dump", "url": "https://dumps.wikimedia.org/enwiki/",
        "description": None, "modalities": ["text"], "inputs": ["data/wiki.jsonl"],
        "items_audited": 2, "bytes_audited": 15_000}]
    assert s["2.2.1"]["used"] is None and s["2.2.2"]["used"] is None
    assert s["2.6"]["unclassified_inputs"] == [
        {"input": "data/images.parquet", "items": 1, "bytes": 50_000, "modalities": ["image"]},
        {"input": "repo", "items": 1, "bytes": 1000, "modalities": ["text"]}]


def test_opt_out_protocols_honoured_with_counts() -> None:
    rows = {r["protocol"]: (r["items_reserved"], r["withheld_excluded"], r["held_for_review"],
                            r["kept_allowed"])
            for r in summary()["sections"]["3.1"]["protocols_honoured"]}
    assert rows == {"robots.txt": (1, 1, 0, 0), "TDMRep": (1, 1, 0, 0), "noai": (1, 1, 0, 0),
                    "Content-Signal": (0, 0, 0, 0), "AIPREF": (0, 0, 0, 0),
                    "ai.txt": (0, 0, 0, 0), "IPTC": (1, 0, 1, 0), "C2PA": (0, 0, 0, 0)}


def _page(n: int, verdict: str, *signals: RightsSignal) -> Record:
    return Record(id=f"warc:c.warc.gz#{n}", source=f"https://h{n}.test/", modality="text",
                  size_bytes=100, size_tokens=10, captured_at="2025-01-01T00:00:00Z",
                  domain=f"h{n}.test", signals=signals,
                  decisions=(Decision(jurisdiction="EU", verdict=verdict),))


def _robots(status: int | None, body: bytes = b"") -> RightsSignal:
    """The first robots signal the extractor records for one capture (the only one for a
    4xx/5xx/unreachable file; the ``*`` token's for a parsed file)."""
    return robots_signals(RobotsFile("h.test", status, body), "https://h.test/a.html")[0]


def test_unavailable_robots_txt_is_not_counted_as_a_robots_opt_out() -> None:
    # RFC 9309 §2.3.1.4: 5xx / unreachable = disallow all for crawling, not a reservation
    http_503, unreachable = _robots(503), _robots(None)
    disallow = _robots(200, b"User-agent: *\nDisallow: /\n")
    assert (http_503.value, http_503.state) == ("disallow all (HTTP 503)", "reserved")
    assert (unreachable.value, unreachable.state) == ("disallow all (unreachable)", "reserved")
    assert (disallow.value, disallow.state) == ("disallow /", "reserved")
    assert [is_robots_unavailable(s) for s in (http_503, unreachable, disallow)] == [
        True, True, False]
    tdmrep = RightsSignal(kind="tdmrep", carrier="tdmrep.json", value="1", scope="*",
                          state="reserved", evidence="tdmrep.json of h4.test", extractor="t")
    facts = EuSummaryFacts(applies=APPLIES).add_all([
        _page(1, "exclude", http_503),
        _page(2, "review", unreachable),
        _page(3, "exclude", disallow),
        _page(4, "exclude", _robots(502), tdmrep),
        _page(5, "allow", _robots(404)),
    ])
    s31 = build_eu_summary(facts, RUN)["sections"]["3.1"]
    rows = {r["protocol"]: (r["items_reserved"], r["withheld_excluded"], r["held_for_review"],
                            r["kept_allowed"]) for r in s31["protocols_honoured"]}
    assert rows["robots.txt"] == (1, 1, 0, 0)  # only page 3's Disallow: /
    assert rows["TDMRep"] == (1, 1, 0, 0)  # page 4
    assert ROBOTS_UNAVAILABLE not in rows
    assert s31["robots_txt_unavailable"] == {
        "label": "robots.txt unavailable (5xx/unreachable) — treated as disallow-all per "
                 "RFC 9309 §2.3.1.4",
        "provision": "RFC 9309 §2.3.1.4", "items": 3, "withheld_excluded": 2,
        "held_for_review": 1, "kept_allowed": 0, "undecided": 0}
    md = render_eu_summary_md(build_eu_summary(facts, RUN))
    assert "| robots.txt | 1 | 1 | 0 | 0 |" in md
    assert ("- Not counted above, robots.txt unavailable (5xx/unreachable) — treated as "
            "disallow-all per RFC 9309 §2.3.1.4 (a crawl-time unavailability, not a rights "
            "holder's reservation): 3 items; withheld (excluded) 2, held for review 1, kept "
            "(allowed) 0.") in md


def _c2pa(scope: str) -> RightsSignal:
    """A CAWG training-mining entry ``notAllowed`` as the C2PA extractor records it."""
    return RightsSignal(kind="c2pa-training-mining", carrier="c2pa-manifest", value="notAllowed",
                        scope=scope, state="reserved", evidence=f"manifest entry {scope}",
                        extractor="t")


def test_reservations_for_other_crawlers_or_uses_are_not_opt_outs_kept() -> None:
    """Section 3.1 lists as honoured or kept only the reservations of this AI training (the
    policy's rule); one addressed to a search crawler or to AI inference is counted apart."""
    everyone = noai_header_signals([("X-Robots-Tag", "noai")], "text")
    googlebot = noai_header_signals([("X-Robots-Tag", "googlebot: noai")], "text")
    assert [(s.scope, s.state) for s in everyone + googlebot] == [
        ("*", "reserved"), ("googlebot", "reserved")]
    gptbot = next(s for s in robots_signals(
        RobotsFile("h.test", 200, b"User-agent: GPTBot\nDisallow: /\n"), "https://h.test/a.html")
        if s.scope == "GPTBot")
    assert gptbot.state == "reserved"
    image = {"modality": "image", "size_tokens": None}
    facts = EuSummaryFacts(applies=APPLIES).add_all([
        _page(1, "exclude", *everyone),
        _page(2, "allow", *googlebot),  # a search crawler's, not a training token
        dataclasses.replace(_page(3, "allow", _c2pa("ai-inference")), **image),  # not training
        dataclasses.replace(_page(4, "exclude", _c2pa("train-genai")), **image),
        _page(5, "exclude", *everyone, *googlebot),  # in the noai row only
        _page(6, "allow", gptbot),  # an Art. 3 research use keeps a real opt-out: "kept"
    ])
    doc = build_eu_summary(facts, RUN)
    s31 = doc["sections"]["3.1"]
    rows = {r["protocol"]: (r["items_reserved"], r["withheld_excluded"], r["held_for_review"],
                            r["kept_allowed"]) for r in s31["protocols_honoured"]}
    assert rows == {"robots.txt": (1, 0, 0, 1), "TDMRep": (0, 0, 0, 0), "noai": (2, 2, 0, 0),
                    "Content-Signal": (0, 0, 0, 0), "AIPREF": (0, 0, 0, 0),
                    "ai.txt": (0, 0, 0, 0), "IPTC": (0, 0, 0, 0), "C2PA": (1, 1, 0, 0)}
    assert s31["reservations_for_other_uses"] == {
        "label": OTHER_USES, "provision": "DSM Directive (EU) 2019/790 Art. 4(3)", "items": 2,
        "by_protocol": {"robots.txt": 0, "TDMRep": 0, "noai": 1, "Content-Signal": 0,
                        "AIPREF": 0, "ai.txt": 0, "IPTC": 0, "C2PA": 1}}
    md = render_eu_summary_md(doc)
    assert "| noai | 2 | 2 | 0 | 0 |" in md
    assert "| C2PA | 1 | 1 | 0 | 0 |" in md
    assert ("- Not counted above, reservations that do not reserve this AI training (addressed "
            "to other crawlers, to other uses such as search or AI inference, or to other "
            "media): 2 items (noai 1, C2PA 1).") in md


def test_full_provider_file_leaves_only_unknowable_facts_to_complete() -> None:
    doc = summary()
    assert doc["to_complete"] == [
        "2.2.1 commercially licensed datasets used", "2.2.2 private third-party datasets used",
        "2.6 classify the audited inputs not named in the provider file's datasets"]
    s = doc["sections"]
    assert s["1.1"]["provider_name"] == "Example AI GmbH"
    assert s["1.2"]["versioned_model_name"] == "Example-7B 1.0"
    assert s["1.2"]["date_of_placement_on_union_market"] == "2025-09-01"
    assert s["2.5"] == {"title": "Synthetic data", "used": True, "models": ["Example-70B 2.1"],
                        "description": "question-answer pairs generated from the "
                                       "encyclopaedia articles"}


def test_without_a_provider_file_every_provider_fact_is_to_complete() -> None:
    doc = summary(provider=None)
    assert doc["to_complete"] == [
        "1.1 provider name", "1.1 provider contact details", "1.2 versioned model name",
        "1.2 model dependencies", "1.2 date of placement on the Union market",
        "1.3 model modalities", "1.3 languages", "1.3 types of content",
        "2.1 publicly available datasets used", "2.2.1 commercially licensed datasets used",
        "2.2.2 private third-party datasets used", "2.4 user data from model interactions",
        "2.4 user data from other services", "2.5 synthetic data used",
        "2.6 classify the audited inputs not named in the provider file's datasets",
        "3.1 Code of Practice signatory", "3.2 measures to remove illegal content"]
    s = doc["sections"]
    assert s["1.1"]["provider_name"] is None
    assert s["2.4"]["from_model_interactions"] is None
    md = render_eu_summary_md(doc)
    assert "- Provider name: **to complete**" in md
    assert "- Date of placement on the Union market: **to complete**" in md
    assert "### 3.2. Removal of illegal content\n- Measures: **to complete**" in md


def test_model_name_without_version_asks_for_the_version() -> None:
    provider = parse_provider({"model": {"name": "Example-7B"}})
    doc = summary(provider=provider)
    assert doc["sections"]["1.2"]["versioned_model_name"] == "Example-7B"
    assert "1.2 model version" in doc["to_complete"]


def test_without_eu_decisions_every_readable_item_counts() -> None:
    facts = EuSummaryFacts("EU", applies=APPLIES).add_all(
        [Record(id="jsonl:a.jsonl#1", source="a", modality="text", size_bytes=10,
                size_tokens=3),
         Record(id="jsonl:a.jsonl#2", source="b", modality="text", size_bytes=10),
         Record(id="jsonl:a.jsonl#3", source="c", modality="text", error="bad UTF-8")])
    doc = build_eu_summary(facts, RUN)
    assert doc["scope"] == "every readable item: the audit made no EU decisions"
    text = doc["sections"]["1.3"]["training_data"][0]
    assert (text["items"], text["size"]) == (2, 3)
    assert text["note"] == ("text items without a token count: 1; the size and bin count "
                            "the others")
    assert doc["sections"]["2.3"]["crawlers_used"] is False


def test_markdown_escapes_corpus_values() -> None:
    assert markdown_escape("a|b *c* _d_ [e](f) <g>\n  h\\") == (
        r"a\|b \*c\* \_d\_ \[e\](f) \<g\> h\\")
    md = render_eu_summary_md(summary())
    assert "- Audited input repo: 1 item used for training, 1,000 bytes (text)" in md


def test_golden_files(tmp_path: Path) -> None:
    doc = summary()
    write_eu_summary(tmp_path, doc)
    for name in ("eu-summary.json", "eu-summary.md"):
        text = (tmp_path / name).read_text(encoding="utf-8")
        if REGEN:
            (GOLDEN / name).write_text(text, encoding="utf-8")
        assert (GOLDEN / name).read_text(encoding="utf-8") == text, name
    assert json.loads((tmp_path / "eu-summary.json").read_text(encoding="utf-8")) == doc
    assert sorted(p.name for p in tmp_path.iterdir()) == ["eu-summary.json", "eu-summary.md"]


# -- the provider file --


def test_provider_file_values() -> None:
    facts = load_provider(DATA / "provider.toml")
    assert facts.contact == "legal@example.ai, Beispielstraße 1, 10115 Berlin"
    assert facts.placed_on_market == dt.date(2025, 9, 1)
    assert facts.modalities == ("text", "image")
    assert facts.user_data_from_model is False
    assert facts.datasets == (Dataset(
        name="Wikipedia (English) 2025-06 dump", section="2.1",
        url="https://dumps.wikimedia.org/enwiki/", modalities=("text",),
        inputs=("data/wiki.jsonl",)),)
    assert facts.authorised_representative is None


def test_provider_file_problems_are_reported_together() -> None:
    bad = {"provider": {"name": 3, "phone": "x"}, "model": {"placed_on_market": "soon",
                                                            "modalities": ["text", "smell"]},
           "extra": {}, "datasets": [{"name": "D", "section": "2.2"}],
           "user_data": {"from_model_interactions": "no"}}
    with pytest.raises(ConfigError) as info:
        parse_provider(bad, "p.toml")
    assert str(info.value).splitlines()[1:] == [
        "  p.toml: provider.name = 3: expected a string",
        "  p.toml: unknown key 'phone' in [provider]; allowed: name, contact, "
        "authorised_representative",
        "  p.toml: model.placed_on_market = 'soon': expected a date, e.g. 2025-09-01",
        "  p.toml: model.modalities: unknown modality 'smell'; allowed: text, image, audio, "
        "video, other",
        "  p.toml: unknown table [extra]; allowed: provider, model, data, user_data, "
        "synthetic_data, processing, datasets",
        "  p.toml: datasets #1 section = '2.2': expected one of 2.1, 2.2.1, 2.2.2, 2.6",
        "  p.toml: user_data.from_model_interactions = 'no': expected true or false"]


def test_provider_file_unreadable(tmp_path: Path) -> None:
    (tmp_path / "p.toml").write_text("[provider\nname = 1", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"p\.toml: not valid TOML \(.*line 1"):
        load_provider(tmp_path / "p.toml")
    (tmp_path / "latin1.toml").write_bytes('name = "Müller"'.encode("latin-1"))
    with pytest.raises(ConfigError, match="not UTF-8"):
        load_provider(tmp_path / "latin1.toml")
    with pytest.raises(ConfigError, match="cannot read the provider file"):
        load_provider(tmp_path / "missing.toml")
