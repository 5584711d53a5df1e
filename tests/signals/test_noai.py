"""noai / noimageai / noml in robots meta tags and X-Robots-Tag headers."""

from __future__ import annotations

from pathlib import Path

import pytest

from rightsguard.model import Modality, RightsSignal
from rightsguard.signals.crawlers import Crawler, CrawlerPurpose, CrawlerTable
from rightsguard.signals.html import HtmlPage
from rightsguard.signals.noai import noai_header_signals, noai_html_signals

WEB = Path(__file__).parent / "data" / "web"
TABLE = CrawlerTable((Crawler("GPTBot", "OpenAI", CrawlerPurpose.TRAINING, "2026-11-30"),))
EXT = "rightsguard.signals.noai"


def _short(signals: list[RightsSignal]) -> list[tuple[str, str, str, str, str]]:
    assert all(s.extractor == EXT for s in signals)
    return [(s.kind, s.carrier, s.value, s.scope, s.state) for s in signals]


# -- X-Robots-Tag ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "modality", "expected"),
    [
        ("noai", "text", [("noai", "noai", "*", "reserved")]),
        ("NoAI", "image", [("noai", "noai", "*", "reserved")]),
        ("noimageai", "image", [("noimageai", "noimageai", "*", "reserved")]),
        # noimageai reserves images only: recorded, not a reservation of a text item
        ("noimageai", "text", [("noimageai", "noimageai", "*", "not-reserved")]),
        ("noindex, noai, noimageai", "image", [("noai", "noai", "*", "reserved"),
                                               ("noimageai", "noimageai", "*", "reserved")]),
        ("noml", "code", [("noai", "noml", "*", "reserved")]),
        # agent-scoped: applies only to that agent
        ("GPTBot: noai", "text", [("noai", "noai", "GPTBot", "reserved")]),
        ("spawningbot: noai, noimageai", "image", [
            ("noai", "noai", "spawningbot", "reserved"),
            ("noimageai", "noimageai", "spawningbot", "reserved")]),
        ("googlebot: noindex, otherbot: noai", "text", [("noai", "noai", "otherbot",
                                                          "reserved")]),
        # a directive with its own colon is not an agent name
        ("unavailable_after: 25 Jun 2010 15:00:00 PST, noai", "text",
         [("noai", "noai", "*", "reserved")]),
        ("noindex, nofollow", "text", []),
        ("noairplane, xnoai", "text", []),
    ],
)
def test_x_robots_tag(value: str, modality: str,
                      expected: list[tuple[str, str, str, str]]) -> None:
    signals = noai_header_signals([("X-Robots-Tag", value)], modality)
    assert [(k, v, sc, st) for k, _, v, sc, st in _short(signals)] == expected
    assert all(s.carrier == "http-header" for s in signals)
    assert all(s.evidence.startswith(f"header X-Robots-Tag: {value}") for s in signals)


def test_noimageai_on_text_says_why() -> None:
    signals = noai_header_signals([("x-robots-tag", "noimageai")], Modality.TEXT,
                                  evidence_prefix="response of https://e.com/a.html")
    assert signals[0].evidence == ("response of https://e.com/a.html: header X-Robots-Tag: "
                                   "noimageai (noimageai reserves images only; this item is text)")


def test_header_names_case_insensitive_and_repeated_headers() -> None:
    signals = noai_header_signals([("x-robots-tag", "noindex"), ("X-ROBOTS-TAG", "GPTBot: noai"),
                                   ("X-Robots-Tag", "gptbot: noai")], "text")
    assert [(s.scope, s.value) for s in signals] == [("GPTBot", "noai")]


def test_no_header_no_signal() -> None:
    assert noai_header_signals([("Content-Type", "text/html")], "text") == []


# -- HTML meta ------------------------------------------------------------------------------


def test_meta_robots_and_per_bot_meta() -> None:
    signals = noai_html_signals((WEB / "page-tdm-noai.html").read_bytes(), table=TABLE,
                                evidence_prefix="HTML of https://e.com/")
    assert _short(signals) == [
        ("noai", "html-meta", "noai", "*", "reserved"),
        ("noimageai", "html-meta", "noimageai", "*", "not-reserved"),  # the page is text
        ("noai", "html-meta", "noml", "GPTBot", "reserved"),
    ]
    assert signals[0].evidence == (
        'HTML of https://e.com/: <meta name="robots" content="NoAI, noimageai">')


def test_meta_for_an_image_item_and_user_agents() -> None:
    page = HtmlPage('<meta name="ROBOTS" content="noimageai"><meta name="mybot" content="noai">'
                    '<meta name="otherbot" content="noai">')
    signals = noai_html_signals(page, modality="image", agents=("MyBot",), table=TABLE)
    assert [(s.kind, s.scope, s.state) for s in signals] == [
        ("noimageai", "*", "reserved"), ("noai", "MyBot", "reserved")]


def test_space_separated_values_and_broken_html() -> None:
    signals = noai_html_signals(b"<p><meta name=robots content='noindex noai'><p", table=TABLE)
    assert [(s.kind, s.scope) for s in signals] == [("noai", "*")]
    # a tag cut off by the end of the file is dropped, as the HTML Standard's parser does
    assert noai_html_signals(b"<meta name=robots content='noai'", table=TABLE) == []
    assert noai_html_signals(b"\xff\xfe\x00<<<>>>", table=TABLE) == []
