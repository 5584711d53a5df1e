"""Content-Signal and AIPREF Content-Usage: examples of draft-ietf-aipref-attach-05 and
draft-ietf-aipref-vocab, and Cloudflare's managed robots.txt."""

from __future__ import annotations

from pathlib import Path

import pytest

from rightsguard.signals.content_usage import (
    content_usage_header_signals,
    parse_content_signal,
    parse_usage_preferences,
    robots_content_signals,
)
from rightsguard.signals.crawlers import Crawler, CrawlerPurpose, CrawlerTable
from rightsguard.signals.robots import RobotsFile, RobotsRules

WEB = Path(__file__).parent / "data" / "web"
TABLE = CrawlerTable((Crawler("GPTBot", "OpenAI", CrawlerPurpose.TRAINING, "2026-11-30"),))
EXT = "rightsguard.signals.content_usage"


def _robots(body: bytes | str, status: int | None = 200) -> RobotsFile:
    raw = body.encode() if isinstance(body, str) else body
    return RobotsFile("example.com", status, raw, "2026-01-02T03:04:05Z", "r.warc#7")


def _short(signals: list) -> list[tuple[str, str, str, str]]:  # type: ignore[type-arg]
    return [(s.kind, s.scope, s.value, s.state) for s in signals]


# -- AIPREF robots.txt rule: attach-05 §4 example (table "Sample of usage preferences") ------

ATTACH = (WEB / "aipref-attach.txt").read_bytes()


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("/test", [("aipref", "train-ai", "train-ai=n", "reserved")]),
        ("/never/test", []),  # not crawlable: no usage preference applies
        ("/ai-ok/test", [("aipref", "train-ai", "train-ai=y", "not-reserved")]),
    ],
)
def test_attach_example_table(path: str, expected: list[tuple[str, str, str, str]]) -> None:
    signals = robots_content_signals(_robots(ATTACH), f"https://example.com{path}", table=TABLE)
    assert _short(signals) == expected


def test_attach_example_examplebot_uses_its_own_group() -> None:
    signals = robots_content_signals(_robots(ATTACH), "https://example.com/never/test",
                                     agents=("ExampleBot",), table=TABLE)
    assert _short(signals) == [("aipref", "train-ai", "train-ai=y", "not-reserved")]
    assert signals[0].evidence == (
        "robots.txt of example.com (HTTP 200, captured 2026-01-02T03:04:05Z) from r.warc#7: "
        "line 9: Content-Usage: / train-ai=y applies to https://example.com/never/test for "
        "ExampleBot")


def test_tokens_sharing_a_result_share_one_signal() -> None:
    signals = robots_content_signals(_robots(ATTACH), "https://example.com/test",
                                     agents=("ExampleBot",), table=TABLE)
    assert _short(signals) == [("aipref", "train-ai", "train-ai=n", "reserved"),
                               ("aipref", "train-ai", "train-ai=y", "not-reserved")]
    assert signals[0].evidence.endswith("line 4: Content-Usage: / train-ai=n applies to "
                                        "https://example.com/test for *, GPTBot")
    assert signals[0].extractor == EXT


def test_identical_paths_combine_restrictively() -> None:
    body = ("User-agent: *\nContent-Usage: /a train-ai=y, search=y\n"
            "Content-Usage: /a train-ai=n\n")
    signals = robots_content_signals(_robots(body), "https://example.com/a/1", table=TABLE)
    assert _short(signals) == [("aipref", "train-ai", "train-ai=n", "reserved"),
                               ("aipref", "search", "search=y", "not-reserved")]
    assert "line 2" in signals[0].evidence and "line 3" in signals[0].evidence


def test_unparseable_rule_is_unknown_for_every_label() -> None:
    body = "User-agent: *\nContent-Usage: / Train-AI=n\n"
    signals = robots_content_signals(_robots(body), "https://example.com/x", table=TABLE)
    assert _short(signals) == [
        ("aipref", "train-ai", "train-ai unknown (unrecognised value)", "unknown"),
        ("aipref", "search", "search unknown (unrecognised value)", "unknown")]


def test_rule_without_path_applies_to_every_path() -> None:
    body = "User-agent: *\nContent-Usage: train-ai=n\n"
    signals = robots_content_signals(_robots(body), "https://example.com/deep/x", table=TABLE)
    assert _short(signals) == [("aipref", "train-ai", "train-ai=n", "reserved")]


# -- Cloudflare Content-Signal --------------------------------------------------------------


def test_cloudflare_managed_robots() -> None:
    body = (WEB / "cloudflare-managed.txt").read_bytes()
    signals = robots_content_signals(_robots(body), "https://example.com/post", table=TABLE)
    assert _short(signals) == [
        ("content-signal", "search", "search=yes", "not-reserved"),
        ("content-signal", "ai-input", "ai-input=yes", "not-reserved"),
        ("content-signal", "ai-train", "ai-train=no", "reserved"),
    ]
    assert "line 5: Content-Signal: ai-train=no, search=yes, ai-input=yes" \
        in signals[2].evidence


def test_content_signal_only_in_a_bot_group_applies_to_that_bot() -> None:
    body = ("User-agent: *\nAllow: /\n\nUser-agent: GPTBot\nContent-Signal: ai-train=no\n\n"
            "User-agent: Googlebot\nContent-Signal: search=no\n")
    signals = robots_content_signals(_robots(body), "https://example.com/", table=TABLE)
    assert _short(signals) == [("content-signal", "ai-train", "ai-train=no", "reserved")]
    assert signals[0].evidence.endswith("for GPTBot")


def test_content_signal_values() -> None:
    assert parse_content_signal("Search=Yes, ai-train=maybe, other=no, ai-input") == {
        "search": "yes", "ai-train": "unknown", "ai-input": "unknown"}
    assert parse_content_signal("ai-train=no,ai-train=yes") == {"ai-train": "yes"}


def test_robots_without_record_or_2xx_gives_nothing() -> None:
    body = (WEB / "cloudflare-managed.txt").read_bytes()
    assert robots_content_signals(None, "https://example.com/", table=TABLE) == []
    assert robots_content_signals(_robots(body, 404), "https://example.com/", table=TABLE) == []
    rules = RobotsRules(_robots(body, None))
    assert robots_content_signals(rules, "https://example.com/", table=TABLE) == []


# -- AIPREF header (attach §3, vocab §6) ----------------------------------------------------


@pytest.mark.parametrize(
    ("field", "expected"),
    [
        ("train-ai=n", {"train-ai": "n"}),
        ("train-ai=y, search=n", {"train-ai": "y", "search": "n"}),
        # vocab §6.6.1: duplicates keep the last value; booleans and strings are not tokens
        ("train-ai=y, train-ai, search=n, search=\"n\"", {"train-ai": "unknown",
                                                          "search": "unknown"}),
        # vocab §6.6.2: parameters are ignored; the last member wins
        ("train-ai;allow=n, train-ai=y", {"train-ai": "y"}),
        # upper case keys do not parse: every label unknown
        ("Train-AI=n", {"train-ai": "unknown", "search": "unknown"}),
        ("train-ai=n,", {"train-ai": "unknown", "search": "unknown"}),
        # unknown labels are ignored, tokens other than y/n are unknown
        ("ai-use=n, bots=n", {}),
        ("train-ai=no", {"train-ai": "unknown"}),
    ],
)
def test_parse_usage_preferences(field: str, expected: dict[str, str]) -> None:
    assert parse_usage_preferences(field) == expected


def test_header_signal() -> None:
    signals = content_usage_header_signals([("Content-Type", "text/plain"),
                                            ("Content-Usage", "train-ai=n")],
                                           evidence_prefix="response of https://e.com/a")
    assert _short(signals) == [("aipref", "train-ai", "train-ai=n", "reserved")]
    assert signals[0].carrier == "http-header"
    assert signals[0].evidence == "response of https://e.com/a: header Content-Usage: train-ai=n"


def test_repeated_headers_are_one_field() -> None:
    signals = content_usage_header_signals([("content-usage", "train-ai=y"),
                                            ("CONTENT-USAGE", "search=n")])
    assert _short(signals) == [("aipref", "train-ai", "train-ai=y", "not-reserved"),
                               ("aipref", "search", "search=n", "reserved")]


def test_unparseable_header_is_unknown_and_no_header_is_nothing() -> None:
    signals = content_usage_header_signals([("Content-Usage", "train-ai=n search=n")])
    assert [s.state for s in signals] == ["unknown", "unknown"]
    assert "does not parse" in signals[0].value
    assert content_usage_header_signals([("X-Other", "1")]) == []


def test_an_unrecognised_value_is_a_malformed_carrier_for_the_policy() -> None:
    """``train-ai=no`` (AIPREF takes the Tokens y/n) and ``ai-train=maybe`` express a preference
    that cannot be read: unknown, and the reservation is unknown (review), not "not reserved"."""
    from rightsguard.policy.facts import reservation_state

    header = content_usage_header_signals([("Content-Usage", "train-ai=no, search=y")])
    assert _short(header) == [
        ("aipref", "train-ai", "train-ai unknown (unrecognised value)", "unknown"),
        ("aipref", "search", "search=y", "not-reserved")]
    assert reservation_state(header, "text").value == "unknown"
    body = "User-agent: *\nContent-Signal: ai-train=maybe\n"
    rule = robots_content_signals(_robots(body), "https://example.com/x", table=TABLE)
    assert _short(rule) == [("content-signal", "ai-train", "ai-train unknown (unrecognised "
                             "value)", "unknown")]
    assert reservation_state(rule, "text").value == "unknown"
