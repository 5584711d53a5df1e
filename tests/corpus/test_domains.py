from __future__ import annotations

import pytest

from rightsguard.corpus.domains import host_and_domain, normalise_host


@pytest.mark.parametrize(("url", "expected"), [
    # Public Suffix List: co.uk is a suffix, so the registrable domain is example.co.uk
    ("https://a.b.example.co.uk/path?q=1", ("a.b.example.co.uk", "example.co.uk")),
    ("HTTP://User:pw@WWW.Example.COM:8080/x", ("www.example.com", "example.com")),
    ("example.com.", ("example.com", "example.com")),
    ("//cdn.example.org/img.png", ("cdn.example.org", "example.org")),
    # the list's private section: each github.io user is a registrable domain
    ("https://alice.github.io/", ("alice.github.io", "alice.github.io")),
    # IPs are their own domain
    ("http://192.168.0.1:8000/robots.txt", ("192.168.0.1", "192.168.0.1")),
    ("http://[2001:DB8::1]/", ("2001:db8::1", "2001:db8::1")),
    # IDN: A-labels (RFC 3490), whichever way the URL writes the host
    ("https://www.Bücher.example/", ("www.xn--bcher-kva.example", "xn--bcher-kva.example")),
    ("https://www.xn--bcher-kva.example/", ("www.xn--bcher-kva.example",
                                            "xn--bcher-kva.example")),
    ("http://例え.テスト/", ("xn--r8jz45g.xn--zckzah", "xn--r8jz45g.xn--zckzah")),
    # a public suffix or an unknown single label is its own domain
    ("http://co.uk/", ("co.uk", "co.uk")),
    ("http://localhost:8000/", ("localhost", "localhost")),
    # no host
    ("/local/file.txt", (None, None)),
    ("file:///tmp/x", (None, None)),
    ("", (None, None)),
    ("http://[::1/", (None, None)),
])
def test_host_and_domain(url: str, expected: tuple[str | None, str | None]) -> None:
    assert host_and_domain(url) == expected


def test_normalise_host() -> None:
    assert normalise_host(" Example.COM. ") == "example.com"
    assert normalise_host("[::1]") == "::1"
    assert normalise_host("MÜNCHEN.de") == "xn--mnchen-3ya.de"
