"""robots.txt signals: RFC 9309 conformance cases, status rules, encoding and size limits."""

from __future__ import annotations

from pathlib import Path

import pytest

from rightsguard.signals.crawlers import Crawler, CrawlerPurpose, CrawlerTable
from rightsguard.signals.robots import (
    PARSE_LIMIT_BYTES,
    RobotsFile,
    RobotsRules,
    decode_robots,
    evaluated_tokens,
    robots_signals,
    select_groups,
    split_groups,
)

WEB = Path(__file__).parent / "data" / "web"
#: a one-token table keeps the evaluated set small and known
TABLE = CrawlerTable((Crawler("GPTBot", "OpenAI", CrawlerPurpose.TRAINING, "2026-11-30"),
                      Crawler("OAI-SearchBot", "OpenAI", CrawlerPurpose.SEARCH, "2026-11-30")))
EXT = "rightsguard.signals.robots"


def _robots(body: bytes | str, status: int | None = 200, host: str = "example.com") -> RobotsFile:
    raw = body.encode() if isinstance(body, str) else body
    return RobotsFile(host, status, raw, "2025-01-01T00:00:00Z", "robots.warc.gz#10")


def _allowed(body: bytes | str, path: str, agent: str) -> bool:
    """True when no reserved signal names ``agent`` for ``path``."""
    signals = robots_signals(_robots(body), f"https://example.com{path}", agents=(agent,),
                             table=TABLE)
    return not any(s.state == "reserved" and s.scope == agent for s in signals)


# -- RFC 9309 §5.1 (simple example) -----------------------------------------------------------

SIMPLE = (WEB / "rfc9309-simple.txt").read_bytes()


@pytest.mark.parametrize(
    ("agent", "path", "allowed"),
    [
        # the * group
        ("otherbot", "/publications/", True),
        ("otherbot", "/example/x", False),
        ("otherbot", "/image.gif", False),
        ("otherbot", "/image.gif?x", True),  # "$" anchors the end: a query follows
        ("otherbot", "/index.html", True),
        # foobot: Disallow / with two Allow exceptions
        ("foobot", "/example/page.html", True),
        ("foobot", "/example/allowed.gif", True),
        ("foobot", "/example/other.html", False),
        ("foobot", "/", False),
        # barbot and bazbot share one group; the * group does not apply to them
        ("barbot", "/example/page.html", False),
        ("bazbot", "/example/page.html", False),
        ("barbot", "/example/x", True),
        # quxbot: a group without rules allows everything
        ("quxbot", "/example/x", True),
        # product tokens match case-insensitively (RFC 9309 §2.2.1)
        ("FOOBOT", "/", False),
        ("FooBot", "/example/page.html", True),
    ],
)
def test_rfc9309_simple_example(agent: str, path: str, allowed: bool) -> None:
    if agent == "otherbot":
        signals = robots_signals(_robots(SIMPLE), f"https://example.com{path}", table=TABLE)
        assert any(s.state == "reserved" and s.scope == "*" for s in signals) is not allowed
    else:
        assert _allowed(SIMPLE, path, agent) is allowed


def test_rfc9309_longest_match() -> None:
    body = (WEB / "rfc9309-longest.txt").read_bytes()
    assert _allowed(body, "/example/page/", "foobot")
    assert _allowed(body, "/example/page/a.html", "foobot")
    assert not _allowed(body, "/example/page/disallowed.gif", "foobot")


def test_allow_wins_a_tie_of_equal_length() -> None:
    body = "User-agent: *\nDisallow: /page\nAllow: /page\n"
    signals = robots_signals(_robots(body), "https://example.com/page.html", table=TABLE)
    assert [s.state for s in signals] == ["not-reserved"]
    assert signals[0].value == "allowed for all 2 evaluated tokens"


def test_groups_naming_one_token_are_merged() -> None:
    body = ("user-agent: ExampleBot\ndisallow: /foo\ndisallow: /bar\n\n"
            "user-agent: *\ndisallow: /star\n\n"
            "user-agent: ExampleBot\ndisallow: /baz\n")
    assert not _allowed(body, "/foo", "examplebot")
    assert not _allowed(body, "/baz", "examplebot")
    assert _allowed(body, "/star", "examplebot")  # the * group does not apply
    rules = RobotsRules(_robots(body))
    assert [g.agents for g in rules.groups_for("ExampleBot")] == [("examplebot",),
                                                                 ("examplebot",)]


def test_wildcards_and_end_anchor() -> None:
    body = "User-agent: *\nDisallow: /path/file-with-a-*.html\nDisallow: /path/foo-$\n"
    assert not _allowed(body, "/path/file-with-a-foo.html", "x")
    assert not _allowed(body, "/path/file-with-a-.html", "x")
    assert _allowed(body, "/path/file-with-a-foo.htm", "x")
    assert not _allowed(body, "/path/foo-", "x")
    assert _allowed(body, "/path/foo-bar", "x")


def test_robots_txt_itself_is_always_allowed() -> None:
    assert _allowed("User-agent: *\nDisallow: /\n", "/robots.txt", "x")


def test_disallowed_token_signal_names_line_group_host_status_capture() -> None:
    body = "User-agent: *\nAllow: /\n\n# AI\nUser-agent: GPTBot\nDisallow: /\n"
    signals = robots_signals(_robots(body), "https://example.com/a/b?q=1", table=TABLE)
    assert len(signals) == 1
    s = signals[0]
    assert (s.kind, s.carrier, s.value, s.scope, s.state, s.extractor) == (
        "robots", "robots.txt", "disallow /", "GPTBot", "reserved", EXT)
    assert s.evidence == (
        "robots.txt of example.com (HTTP 200, captured 2025-01-01T00:00:00Z) from "
        "robots.warc.gz#10: /a/b?q=1 disallowed for GPTBot by line 6: Disallow: / "
        "(group User-agent: gptbot)")


def test_star_disallow_reserves_every_token_and_search_tokens_are_not_evaluated() -> None:
    signals = robots_signals(_robots("User-agent: *\nDisallow: /\n"), "https://example.com/x",
                             table=TABLE)
    assert [(s.scope, s.value) for s in signals] == [("*", "disallow /"),
                                                     ("GPTBot", "disallow /")]


def test_user_agents_are_evaluated_once_case_insensitively() -> None:
    assert evaluated_tokens(("mybot", "GPTBOT", "MyBot"), TABLE) == ("*", "GPTBot", "mybot")
    body = "User-agent: MyBot\nDisallow: /x\n"
    signals = robots_signals(_robots(body), "https://example.com/x/1", agents=("mybot",),
                             table=TABLE)
    assert [(s.scope, s.state) for s in signals] == [("mybot", "reserved")]


def test_default_table_reserves_for_training_tokens_only() -> None:
    body = "User-agent: OAI-SearchBot\nDisallow: /\n\nUser-agent: CCBot\nDisallow: /\n"
    signals = robots_signals(_robots(body), "https://example.com/")
    assert [s.scope for s in signals] == ["CCBot"]


# -- status codes (RFC 9309 §2.3.1) ---------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "value", "state", "section"),
    [
        (404, "allow all (HTTP 404)", "not-reserved", "§2.3.1.3"),
        (401, "allow all (HTTP 401)", "not-reserved", "§2.3.1.3"),
        (403, "allow all (HTTP 403)", "not-reserved", "§2.3.1.3"),
        (500, "disallow all (HTTP 500)", "reserved", "§2.3.1.4"),
        (503, "disallow all (HTTP 503)", "reserved", "§2.3.1.4"),
        (None, "disallow all (unreachable)", "reserved", "§2.3.1.4"),
    ],
)
def test_status_rules(status: int | None, value: str, state: str, section: str) -> None:
    # the body is ignored: a 4xx page that happens to say "Disallow: /" does not count
    signals = robots_signals(_robots("User-agent: *\nDisallow: /\n", status),
                             "https://example.com/x", table=TABLE)
    assert [(s.value, s.scope, s.state) for s in signals] == [(value, "*", state)]
    assert section in signals[0].evidence
    assert "example.com" in signals[0].evidence


def test_redirect_not_followed_is_unknown() -> None:
    signals = robots_signals(_robots("", 301), "https://example.com/x", table=TABLE)
    assert [(s.state, s.scope) for s in signals] == [("unknown", "*")]
    assert "HTTP 301" in signals[0].value


def test_no_record_is_unknown_not_allowed() -> None:
    signals = robots_signals(None, "https://www.example.org/a", table=TABLE)
    assert [(s.kind, s.value, s.state) for s in signals] == [
        ("robots", "no robots.txt record", "unknown")]
    assert "www.example.org" in signals[0].evidence


def test_empty_2xx_body_allows_everything() -> None:
    signals = robots_signals(_robots(b""), "https://example.com/x", table=TABLE)
    assert [(s.state, s.scope) for s in signals] == [("not-reserved", "*")]


# -- bad input ------------------------------------------------------------------------------


def test_non_utf8_rule_makes_the_file_unknown() -> None:
    """A Latin-1 path in a Disallow line cannot be read as the UTF-8 RFC 9309 §2.3 requires:
    what the file reserves is unknown (issue #3 part 9: non-UTF-8 robots.txt -> review)."""
    body = (WEB / "latin1-robots.txt").read_bytes()
    text, notes = decode_robots(body)
    assert "/caf\ufffd/" in text
    assert notes == ("invalid UTF-8 at byte offset 28 decoded with replacement",)
    signals = robots_signals(_robots(body), "https://example.com/private/a", table=TABLE)
    assert [(s.scope, s.state) for s in signals] == [("*", "unknown")]
    assert "line 2 is not valid UTF-8" in signals[0].value + signals[0].evidence


def test_non_utf8_comment_changes_no_rule() -> None:
    body = b"# caf\xe9 menu\nUser-agent: *\nDisallow: /private/\n"
    signals = robots_signals(_robots(body), "https://example.com/private/a", table=TABLE)
    assert [(s.scope, s.state) for s in signals] == [("*", "reserved"), ("GPTBot", "reserved")]
    assert "invalid UTF-8 at byte offset 5 decoded with replacement" in signals[0].evidence


def test_bom_is_dropped() -> None:
    body = b"\xef\xbb\xbfUser-agent: *\nDisallow: /\n"
    signals = robots_signals(_robots(body), "https://example.com/x", table=TABLE)
    assert signals[0].state == "reserved"
    assert "UTF-8" not in signals[0].evidence


def test_huge_robots_is_parsed_up_to_500_kib() -> None:
    # 600 KiB: a rule in the first 500 KiB counts, one after it does not (RFC 9309 §2.5)
    filler = b"# " + b"x" * 1021 + b"\n"  # 1024-byte comment lines
    head = b"User-agent: *\nDisallow: /early/\n"
    body = head + filler * 600 + b"Disallow: /late/\n"
    assert len(body) > PARSE_LIMIT_BYTES
    text, notes = decode_robots(body)
    assert "/late/" not in text
    kept = len(head) + 1024 * ((PARSE_LIMIT_BYTES - len(head)) // 1024)
    assert notes == (f"body of {len(body)} bytes parsed up to {kept} bytes "
                     f"(RFC 9309 §2.5 limit {PARSE_LIMIT_BYTES} bytes)",)
    early = robots_signals(_robots(body), "https://example.com/early/1", table=TABLE)
    late = robots_signals(_robots(body), "https://example.com/late/1", table=TABLE)
    assert early[0].state == "reserved"
    assert [s.state for s in late] == ["not-reserved"]
    assert "parsed up to" in late[0].evidence


def test_limit_cut_keeps_whole_lines() -> None:
    # the 500 KiB boundary falls inside "Disallow: /abcdef": the partial line is dropped, so
    # it is not read as a shorter, broader "Disallow: /a"
    head = b"User-agent: *\n"
    pad = b"#" * (PARSE_LIMIT_BYTES - len(head) - 12) + b"\n"
    body = head + pad + b"Disallow: /abcdef\n"
    text, _ = decode_robots(body)
    assert text.endswith("#\n")
    assert _allowed(body, "/a", "x")


def test_garbage_never_raises() -> None:
    body = bytes(range(256)) * 50 + b"\x00User-agent: *\x00\nDisallow: /\n"
    signals = robots_signals(_robots(body), "https://example.com/x", table=TABLE)
    assert signals and all(s.kind == "robots" for s in signals)


# -- group splitter (evidence and Content-Signal lines) --------------------------------------


def test_split_groups_mirrors_protego_grouping() -> None:
    text = ("Sitemap: https://example.com/s.xml\nDisallow: /orphan\n"
            "User-agent: a\nUser-agent: B*\n\nDisallow: /x # note\n"
            "Sitemap: https://example.com/t.xml\nUser-agent: c\nAllow: /\n")
    groups = split_groups(text)
    assert [g.agents for g in groups] == [("a", "b*", "b"), ("c",)]
    assert [(ln.number, ln.field, ln.value, ln.text) for ln in groups[0].lines] == [
        (6, "disallow", "/x", "Disallow: /x")]
    assert [g.agents for g in select_groups(groups, "C")] == [("c",)]
    assert select_groups(groups, "zbot") == ()
