"""The reservation fact and decisions on signals produced by the real extractors (no network)."""

from __future__ import annotations

from rightsguard.model import Purpose, Record, RightsSignal, Use
from rightsguard.policy import BUILTIN_PROFILES, PolicyEngine
from rightsguard.signals.c2pa import training_mining_signals
from rightsguard.signals.content_usage import robots_content_signals
from rightsguard.signals.crawlers import CrawlerTable
from rightsguard.signals.noai import noai_header_signals
from rightsguard.signals.robots import RobotsFile, robots_signals
from rightsguard.signals.tdmrep import TdmrepFile, tdmrep_file_signals

TABLE = CrawlerTable.load()
ENGINE = PolicyEngine(BUILTIN_PROFILES, training_tokens=TABLE.training_tokens())
URL = "https://example.com/docs/page.html"


def page(robots_txt: bytes | None, *extra: RightsSignal, status: int | None = 200,
         modality: str = "text") -> Record:
    robots = None if robots_txt is None else RobotsFile("example.com", status, robots_txt,
                                                        "2025-01-01T00:00:00Z", "hosts")
    signals = [*robots_signals(robots, URL, table=TABLE),
               *robots_content_signals(robots, URL, table=TABLE), *extra]
    return Record(id="warc:crawl.warc.gz#0", source=URL, modality=modality, host="example.com",
                  domain="example.com", signals=tuple(signals))


def reservation(record: Record) -> str:
    value = ENGINE.facts(record, Use())["reservation"].value
    assert isinstance(value, str)
    return value


def eu(record: Record, use: Use | None = None) -> str:
    return next(d.verdict for d in ENGINE.decide(record, use or Use()) if d.jurisdiction == "EU")


def test_robots_disallowing_a_training_crawler_reserves() -> None:
    record = page(b"User-agent: GPTBot\nDisallow: /docs/\n\nUser-agent: *\nAllow: /\n")
    assert reservation(record) == "reserved"
    assert eu(record) == "exclude"
    reason = next(d for d in ENGINE.decide(record, Use()) if d.jurisdiction == "EU").reasons[-1]
    assert reason.rule == "EU:s3-art4-reservation"
    assert "disallowed for GPTBot by line 2: Disallow: /docs/" in reason.evidence


def test_robots_disallowing_only_a_search_crawler_does_not() -> None:
    record = page(b"User-agent: OAI-SearchBot\nDisallow: /\n")
    assert reservation(record) == "not-reserved"
    assert eu(record) == "allow"


def test_no_robots_record_and_server_errors() -> None:
    assert reservation(page(None)) == "unknown"
    assert eu(page(None)) == "review"
    # RFC 9309 §2.3.1.4: 5xx = disallow all for the crawler, but no reservation was expressed
    assert reservation(page(b"", status=503)) == "unknown"
    assert eu(page(b"", status=503)) == "review"
    assert reservation(page(b"", status=404)) == "not-reserved"  # 4xx = allow all


def test_content_signal_line() -> None:
    ai_train = page(b"User-agent: *\nContent-Signal: search=yes, ai-train=no\nAllow: /\n")
    assert reservation(ai_train) == "reserved"
    search_only = page(b"User-agent: *\nContent-Signal: search=no, ai-train=yes\nAllow: /\n")
    assert reservation(search_only) == "not-reserved"


def test_noimageai_header_on_text_and_image() -> None:
    allow_all = b"User-agent: *\nAllow: /\n"
    text = page(allow_all, *noai_header_signals([("X-Robots-Tag", "noimageai")], "text"))
    image = page(allow_all, *noai_header_signals([("X-Robots-Tag", "noimageai")], "image"),
                 modality="image")
    assert reservation(text) == "not-reserved"
    assert reservation(image) == "reserved"


def test_malformed_tdmrep_file_is_unknown() -> None:
    bad = tdmrep_file_signals(TdmrepFile("example.com", 200, b"{not json"), URL)
    record = page(b"User-agent: *\nAllow: /\n", *bad)
    assert reservation(record) == "unknown"
    assert eu(record) == "review"
    # an Art. 3 research organisation does not need the answer
    art3 = Use(Purpose.RESEARCH, commercial=False, actor="research-organisation")
    assert eu(record, art3) == "allow"


def test_cawg_entries() -> None:
    manifest = {"assertions": [{"label": "cawg.training-mining", "data": {"entries": {
        "cawg.ai_inference": {"use": "notAllowed"},
        "cawg.ai_generative_training": {"use": "allowed"},
    }}}]}
    allow_all = b"User-agent: *\nAllow: /\n"
    record = page(allow_all, *training_mining_signals(manifest, "image.jpg"), modality="image")
    assert reservation(record) == "not-reserved"  # inference-only refusal is not training
    manifest["assertions"][0]["data"]["entries"]["cawg.ai_training"] = {"use": "constrained"}
    record = page(allow_all, *training_mining_signals(manifest, "image.jpg"), modality="image")
    assert reservation(record) == "reserved"  # bare constrained = notAllowed (CAWG v1.1)
