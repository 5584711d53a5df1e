"""report.json: counts of the hand-built corpus in data/audit, computed by hand below."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from audit_records import load_records

from rightsguard.model import Purpose, Use
from rightsguard.report.audit_json import aggregate, to_report_json, write_report_json
from rightsguard.report.manifest import TOKENIZER_NAME, AuditRun

DATA = Path(__file__).parent / "data" / "audit"
RUN = AuditRun(inputs=("crawl.warc.gz", "data/wiki.jsonl", "data/images.parquet", "repo"),
               jurisdictions=("EU", "JP"), use=Use(purpose=Purpose.TRAIN_GENERAL),
               started_at="2025-05-01T00:00:00Z", finished_at="2025-05-01T00:10:00Z",
               crawlers=("ExampleBot",), unreadable_inputs=0)




@pytest.fixture
def doc() -> dict[str, object]:
    return json.loads(to_report_json(aggregate(load_records()), RUN))


def test_top_level_keys_and_run(doc: dict[str, object]) -> None:
    assert list(doc) == ["schema_version", "run", "items", "decisions", "reasons", "domains",
                         "signals", "unreadable"]
    assert doc["schema_version"] == 1
    assert doc["run"] == {
        "inputs": ["crawl.warc.gz", "data/wiki.jsonl", "data/images.parquet", "repo"],
        "jurisdictions": ["EU", "JP"],
        "use": {"purpose": "train-general", "commercial": True, "actor": "company",
                "agents": []},
        "started_at": "2025-05-01T00:00:00Z", "finished_at": "2025-05-01T00:10:00Z",
        "crawlers": ["ExampleBot"], "unreadable_inputs": 0, "tokenizer": TOKENIZER_NAME}


def test_items_by_modality(doc: dict[str, object]) -> None:
    # text: 5000+3000+12000+40000+7000+9000+6000+4000 bytes; 1200+800+3000+10000+1500+2100
    # +1400+900 tokens; images: 1920×1080 + 512×512 + 800×600 pixels
    assert doc["items"] == {
        "total": 13, "bytes": 417_000, "readable": 12,
        "by_modality": {
            "code": {"items": 1, "bytes": 1000, "tokens": 250, "pixels": 0},
            "image": {"items": 3, "bytes": 330_000, "tokens": 0, "pixels": 2_815_744},
            "other": {"items": 1, "bytes": 0, "tokens": 0, "pixels": 0},
            "text": {"items": 8, "bytes": 86_000, "tokens": 20_900, "pixels": 0},
        }}


def test_decisions_per_jurisdiction_and_all(doc: dict[str, object]) -> None:
    assert doc["decisions"] == {
        "EU": {"allow": 7, "review": 3, "exclude": 3},
        "JP": {"allow": 8, "review": 4, "exclude": 1},
        # most restrictive per item: #210000 is EU review / JP allow -> review
        "ALL": {"allow": 7, "review": 3, "exclude": 3},
    }


def test_reasons_by_rule_most_items_first(doc: dict[str, object]) -> None:
    rows = [(r["jurisdiction"], r["rule"], r["items"]) for r in doc["reasons"]]
    assert rows == [
        ("JP", "JP/u2-art30-4", 8), ("EU", "EU/u2-art4", 7), ("EU", "EU/s3-opt-out", 2),
        ("JP", "JP/s3-proviso-evidence", 2), ("EU", "EU/reservation-constrained", 1),
        ("EU", "EU/reservation-unknown", 1), ("EU", "EU/s1-piracy", 1),
        ("EU", "EU/unreadable", 1), ("JP", "JP/dataset-for-sale", 1),
        ("JP", "JP/s1-piracy", 1), ("JP", "JP/unreadable", 1)]
    assert doc["reasons"][2]["provision"] == "Directive (EU) 2019/790 Art. 4(3)"


def test_domains_by_bytes(doc: dict[str, object]) -> None:
    domains = doc["domains"]
    assert (domains["total"], domains["no_domain"]) == (8, 1)
    assert [(d["domain"], d["items"], d["bytes"]) for d in domains["top"]] == [
        ("photos.test", 2, 280_000), ("example.edu", 1, 50_000),
        ("shadow-lib.test", 1, 40_000), ("wikipedia.org", 2, 15_000),
        ("example.net", 1, 12_000), ("example.com", 3, 9_000), ("seller.test", 1, 7_000),
        ("example.org", 1, 3_000)]
    assert domains["top"][5]["decisions"] == {
        "EU": {"allow": 1, "review": 1, "exclude": 1},
        "JP": {"allow": 1, "review": 2, "exclude": 0}}


def test_domain_rows_are_capped_but_all_counted() -> None:
    doc = aggregate(load_records(), max_domains=2).to_dict(RUN)
    assert doc["domains"]["total"] == 8
    assert [d["domain"] for d in doc["domains"]["top"]] == ["photos.test", "example.edu"]


def test_signals_count_items_per_kind_and_state(doc: dict[str, object]) -> None:
    assert [(s["kind"], s["state"], s["items"]) for s in doc["signals"]] == [
        ("c2pa-training-mining", "not-reserved", 1), ("iptc-data-mining", "reserved", 1),
        ("licence", "n/a", 3), ("list-dataset-for-sale", "n/a", 1), ("list-paywall", "n/a", 1),
        ("list-piracy", "n/a", 1), ("noai", "reserved", 1), ("robots", "not-reserved", 3),
        ("robots", "reserved", 1), ("robots", "unknown", 1), ("tdmrep", "reserved", 1)]


def test_unreadable_items_and_inputs(doc: dict[str, object]) -> None:
    assert doc["unreadable"] == {
        "items": 1, "inputs": 0,
        "examples": [{"id": "warc:crawl.warc.gz#300000",
                      "error": "truncated gzip member at byte 300000"}]}


def test_write_report_json_is_atomic_utf8_with_newline(tmp_path: Path) -> None:
    agg = aggregate(load_records())
    write_report_json(tmp_path / "report.json", agg, RUN)
    assert [p.name for p in tmp_path.iterdir()] == ["report.json"]
    text = (tmp_path / "report.json").read_text(encoding="utf-8")
    assert text == to_report_json(agg, RUN) + "\n"
    assert '\n  "schema_version": 1,' in text


def test_empty_corpus() -> None:
    doc = aggregate([]).to_dict(RUN)
    assert doc["items"] == {"total": 0, "bytes": 0, "readable": 0, "by_modality": {}}
    assert doc["decisions"] == {}
    assert doc["domains"] == {"total": 0, "no_domain": 0, "top": []}
