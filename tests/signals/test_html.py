"""page_signals: every page-level extractor from one response."""

from __future__ import annotations

from pathlib import Path

from rightsguard.signals.html import HtmlPage, clip, header_values, is_html, page_signals

WEB = Path(__file__).parent / "data" / "web"
PAGE = (WEB / "page-tdm-noai.html").read_bytes()
URL = "https://provider.com/a.html"


def test_page_signals_runs_headers_then_html() -> None:
    headers = [("Content-Type", "text/html; charset=utf-8"), ("Content-Usage", "train-ai=n"),
               ("tdm-reservation", "0"), ("X-Robots-Tag", "noai")]
    signals = page_signals(headers, PAGE, "text/html; charset=utf-8", URL, "text",
                           agents=("GPTBot",))
    assert [(s.kind, s.carrier, s.value, s.scope, s.state) for s in signals] == [
        ("aipref", "http-header", "train-ai=n", "train-ai", "reserved"),
        ("tdmrep", "http-header", "tdm-reservation=0", "*", "not-reserved"),
        ("noai", "http-header", "noai", "*", "reserved"),
        ("tdmrep", "html-meta",
         "tdm-reservation=1, tdm-policy=https://provider.com/policies/policy.json", "*",
         "reserved"),
        ("noai", "html-meta", "noai", "*", "reserved"),
        ("noimageai", "html-meta", "noimageai", "*", "not-reserved"),
        ("noai", "html-meta", "noml", "GPTBot", "reserved"),
    ]
    assert signals[0].evidence == f"response of {URL}: header Content-Usage: train-ai=n"
    assert signals[3].evidence.startswith(f"HTML of {URL}: <meta name=\"tdm-reservation\"")


def test_non_html_bodies_are_not_parsed() -> None:
    signals = page_signals([("X-Robots-Tag", "noimageai")], PAGE, "image/jpeg",
                           "https://provider.com/a.jpg", "image")
    assert [(s.kind, s.state) for s in signals] == [("noimageai", "reserved")]


def test_missing_media_type_sniffs_html() -> None:
    assert is_html(None, b"  <!DOCTYPE html><html>")
    assert not is_html(None, b"%PDF-1.7")
    assert not is_html("application/pdf", PAGE)
    signals = page_signals([], PAGE, None, URL, "text")
    assert [s.carrier for s in signals] == ["html-meta"] * 4


def test_broken_and_binary_html_never_raise() -> None:
    for body in (b"<html><meta name=robots content=noai", b"\x00" * 10_000 + b"<html>",
                 "<html>caf\u00e9".encode("latin-1") + b"<meta name='robots' content='noai'>"):
        signals = page_signals([], body, "text/html", URL, "text")
        assert all(s.kind in {"noai", "tdmrep"} for s in signals)
    latin1 = page_signals([], "<html>caf\u00e9".encode("latin-1")
                          + b"<meta name='robots' content='noai'>", "text/html", URL, "text")
    assert [s.kind for s in latin1] == ["noai"]


def test_helpers() -> None:
    assert header_values([("A", "1"), ("a", "2"), ("B", "3")], "A") == ["1", "2"]
    assert clip("x" * 5, 3) == "xxx… (5 chars)"
    assert clip("xyz", 3) == "xyz"
    page = HtmlPage(PAGE)
    assert page.error is None
    assert [m.name for m in page.named("TDM-POLICY")] == ["tdm-policy"]
    assert HtmlPage.of(page) is page


def test_a_shared_page_gives_the_same_page_signals() -> None:
    headers = [("X-Robots-Tag", "noai")]
    latin1 = "<html>caf\u00e9".encode("latin-1") + b"<meta name='robots' content='noai'>"
    for body in (PAGE, latin1):
        alone = page_signals(headers, body, "text/html", URL, "text", agents=("GPTBot",))
        shared = page_signals(headers, body, "text/html", URL, "text", agents=("GPTBot",),
                              page=HtmlPage(body))
        assert shared == alone and len(alone) >= 2
    assert HtmlPage(PAGE).tree is not None


def test_html_nested_too_deep_is_not_parsed_and_is_unreadable() -> None:
    """lexbor's time grows with the square of the nesting depth (a crafted 1 MB page took
    minutes): past MAX_HTML_DEPTH elements the page is not parsed and says so (review)."""
    from rightsguard.signals.html import MAX_HTML_DEPTH, nesting_problem
    from rightsguard.signals.licence_class import html_licence_signals

    deep = MAX_HTML_DEPTH + 1
    body = (b"<html><head><meta name='robots' content='noai'></head><body>" + b"<div>" * deep
            + b"x" + b"</div>" * deep + b"</body></html>")
    page = HtmlPage(body)
    assert page.tree is None and page.error == (
        f"HTML nested more than {MAX_HTML_DEPTH} elements deep: not parsed (the parser's time"
        " grows with the square of the depth)")
    signals = page_signals([], body, "text/html", "http://a.test/", "text", page=page)
    assert [(s.kind, s.state) for s in signals] == [("unreadable", "unknown")]
    assert html_licence_signals(body, "http://a.test/", page=page) == []
    # as deep as allowed, and many unclosed <p>/<li> (closed by the parser): parsed
    ok = b"<div>" * MAX_HTML_DEPTH + b"x" + b"</div>" * MAX_HTML_DEPTH
    assert nesting_problem(ok) is None
    assert nesting_problem(b"<p>para" * 10_000 + b"<ul>" + b"<li>item" * 10_000) is None
    assert nesting_problem(b"<br>" * 10_000 + b"<img src=x>" * 10_000) is None
