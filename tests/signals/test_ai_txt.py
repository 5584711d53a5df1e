"""Spawning ai.txt: detection and evaluation with protego."""

from __future__ import annotations

from pathlib import Path

import pytest

from rightsguard.signals.ai_txt import ai_txt_signals, is_spawning_ai_txt
from rightsguard.signals.crawlers import Crawler, CrawlerPurpose, CrawlerTable

WEB = Path(__file__).parent / "data" / "web"
TABLE = CrawlerTable((Crawler("GPTBot", "OpenAI", CrawlerPurpose.TRAINING, "2026-11-30"),))
SPAWNING = (WEB / "spawning-ai.txt").read_bytes()


@pytest.mark.parametrize(
    ("path", "reserved"),
    [("/img/cat.jpg", True), ("/papers/a.pdf", True), ("/src/app.py", True),
     ("/index.html", False), ("/img/cat.png", False)],
)
def test_spawning_file_types(path: str, reserved: bool) -> None:
    signals = ai_txt_signals(SPAWNING, f"https://art.example{path}", 200, table=TABLE,
                             captured_at="2026-03-01T00:00:00Z", evidence="a.warc#9")
    assert all((s.kind, s.carrier, s.extractor) == ("ai-txt", "ai.txt",
                                                     "rightsguard.signals.ai_txt")
               for s in signals)
    if reserved:
        assert [(s.scope, s.state) for s in signals] == [("*", "reserved"),
                                                         ("GPTBot", "reserved")]
        assert signals[0].value.startswith("disallow *.")
        assert signals[0].evidence.startswith(
            "ai.txt of art.example (HTTP 200, captured 2026-03-01T00:00:00Z) from a.warc#9: ")
    else:
        assert [(s.scope, s.state) for s in signals] == [("*", "not-reserved")]


def test_jpg_evidence_names_the_line() -> None:
    signals = ai_txt_signals(SPAWNING, "https://art.example/cat.jpg", 200, table=TABLE)
    assert signals[0].value == "disallow *.jpg"
    assert "line 7: Disallow: *.jpg" in signals[0].evidence


def test_blanket_disallow() -> None:
    body = b"# Spawning AI\n# Prevent datasets from using the following file types\n\n" \
           b"User-Agent: *\nDisallow: /\nDisallow: *\n"
    signals = ai_txt_signals(body, "https://x.example/a/b", 200, table=TABLE)
    assert [(s.scope, s.value) for s in signals] == [("*", "disallow /"), ("GPTBot", "disallow /")]


def test_robots_grammar_without_header_counts() -> None:
    assert is_spawning_ai_txt("User-Agent: GPTBot\nDisallow: /\n")
    assert not is_spawning_ai_txt("User-Agent: *\n")


@pytest.mark.parametrize(
    "body",
    [b"# ai.txt\n\nThis site welcomes language models. See /llms.txt.\n",
     b"{\"ai\": \"allowed\"}", b""],
)
def test_other_formats_are_ignored_as_unknown(body: bytes) -> None:
    signals = ai_txt_signals(body, "https://x.example/a", 200, table=TABLE)
    assert [(s.value, s.state) for s in signals] == [("not a Spawning ai.txt", "unknown")]


def test_status_and_absence() -> None:
    assert ai_txt_signals(None, "https://x.example/a", None) == []
    assert [(s.value, s.state) for s in ai_txt_signals(b"", "https://x.example/", 404)] == [
        ("no ai.txt (HTTP 404)", "not-reserved")]
    assert [(s.value, s.state) for s in ai_txt_signals(None, "https://x.example/", 503)] == [
        ("ai.txt unreadable (HTTP 503)", "unknown")]
    assert [(s.value, s.state) for s in ai_txt_signals(None, "https://x.example/", None)] == []
