"""The crawler table kept as data."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from rightsguard.errors import ConfigError
from rightsguard.signals.crawlers import (
    CrawlerPurpose,
    CrawlerTable,
    default_crawler_table,
)

# the tokens issue #3 and rights-signals.md §3a/§3b name, with the purpose §3b gives them
NAMED = {
    "GPTBot": ("OpenAI", "training"),
    "OAI-SearchBot": ("OpenAI", "search"),
    "ChatGPT-User": ("OpenAI", "user-triggered"),
    "ClaudeBot": ("Anthropic", "training"),
    "Claude-SearchBot": ("Anthropic", "search"),
    "Claude-User": ("Anthropic", "user-triggered"),
    "Google-Extended": ("Google", "control-token"),
    "Applebot-Extended": ("Apple", "control-token"),
    "Meta-ExternalAgent": ("Meta", "training"),
    "Meta-ExternalFetcher": ("Meta", "user-triggered"),
    "PerplexityBot": ("Perplexity", "search"),
    "Perplexity-User": ("Perplexity", "user-triggered"),
    "Bytespider": ("ByteDance", "training"),
    "cohere-training-data-crawler": ("Cohere", "training"),
    "cohere-ai": ("Cohere", "user-triggered"),
}
MORE = ["anthropic-ai", "Claude-Web", "CCBot", "GoogleOther", "Google-CloudVertexBot",
        "FacebookBot", "TikTokSpider", "Amazonbot", "AI2Bot", "Ai2Bot-Dolma", "Diffbot",
        "omgili", "Webzio-Extended", "ImagesiftBot", "img2dataset"]


def test_packaged_table_has_at_least_40_dated_entries() -> None:
    table = CrawlerTable.load()
    assert len(table.crawlers) >= 40
    assert all(re.fullmatch(r"\d{4}-\d{2}-\d{2}", c.checked) for c in table.crawlers)
    assert {c.checked for c in table.crawlers} == {"2026-11-30"}
    assert "ai.robots.txt" in table.source


@pytest.mark.parametrize(("token", "expected"), sorted(NAMED.items()))
def test_named_tokens_have_operator_and_purpose(token: str, expected: tuple[str, str]) -> None:
    entry = default_crawler_table().get(token.upper())  # look-ups are case-insensitive
    assert entry is not None
    assert (entry.token, entry.operator, entry.purpose.value) == (token, *expected)


def test_every_token_the_issue_lists_is_present() -> None:
    table = default_crawler_table()
    assert [t for t in MORE if table.get(t) is None] == []


def test_training_tokens_are_training_and_control_tokens() -> None:
    table = default_crawler_table()
    training = table.training_tokens()
    assert training[:3] == ("GPTBot", "ClaudeBot", "anthropic-ai")
    assert "Google-Extended" in training and "Applebot-Extended" in training
    assert "OAI-SearchBot" not in training and "ChatGPT-User" not in training
    assert all(table.is_training(t) for t in training)
    assert not table.is_training("Googlebot")
    assert table.tokens(CrawlerPurpose.CONTROL_TOKEN) == (
        "Google-Extended", "Applebot-Extended", "Webzio-Extended")


def test_user_table_problems_are_all_reported(tmp_path: Path) -> None:
    path = tmp_path / "crawlers.toml"
    path.write_text(
        '[[crawler]]\ntoken = "A"\noperator = "X"\npurpose = "training"\nchecked = "2026-11-30"\n'
        '[[crawler]]\ntoken = "a"\noperator = ""\npurpose = "scraping"\nchecked = "30.11.2026"\n',
        encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        CrawlerTable.load(path)
    message = str(info.value)
    assert "entry 2 (a): token repeats entry 1" in message
    assert "operator '' must be a non-empty string" in message
    assert "purpose 'scraping' is not one of training, search, user-triggered, control-token" \
        in message
    assert "checked '30.11.2026' must be a date YYYY-MM-DD" in message


def test_user_table_loads(tmp_path: Path) -> None:
    path = tmp_path / "crawlers.toml"
    path.write_text('source = "mine"\n[[crawler]]\ntoken = "MyBot"\noperator = "Me"\n'
                    'purpose = "training"\nchecked = "2026-12-01"\n', encoding="utf-8")
    table = CrawlerTable.load(path)
    assert table.training_tokens() == ("MyBot",)
    assert table.source == "mine"


def test_unreadable_table(tmp_path: Path) -> None:
    path = tmp_path / "bad.toml"
    path.write_text("[[crawler]\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"bad\.toml cannot be read"):
        CrawlerTable.load(path)
