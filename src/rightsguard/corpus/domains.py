"""Host and registrable domain of a URL, for the audit manifest and the EU summary.

* **Host**: lower case, without port, user info or trailing dot; internationalised names are
  given as IDNA A-labels (``bücher.example`` → ``xn--bcher-kva.example``; Python's ``idna``
  codec, IDNA 2003 / RFC 3490, with the name as given kept when it cannot be encoded), so the
  same host written two ways is one key (robots.txt per host, domain counts).
* **Registrable domain**: the public suffix plus one label (``a.b.example.co.uk`` →
  ``example.co.uk``), by the Public Suffix List as shipped inside the ``publicsuffixlist``
  package (https://publicsuffix.org/list/; no network at run time, unlike ``tldextract``). The
  list's private section counts (``user.github.io`` is its own domain), as browsers do for cookies.
* IP addresses (IPv4, IPv6 without brackets) and names that are themselves a public suffix or
  unknown single labels (``localhost``) are their own domain.
"""

from __future__ import annotations

import functools
import ipaddress
from urllib.parse import urlsplit

from publicsuffixlist import PublicSuffixList

__all__ = ["host_and_domain", "normalise_host", "public_suffix_list"]


@functools.cache
def public_suffix_list() -> PublicSuffixList:
    """The Public Suffix List shipped with ``publicsuffixlist``, parsed once per process.

    An immutable table of data (like a constant), not a cache of results: parsing it costs ~50 ms
    and every reader of every shard needs the same list."""
    return PublicSuffixList()


def normalise_host(host: str) -> str:
    """``host`` lower-cased, trailing dot removed, IDNA A-labels (see the module docstring).

    IPv6 literals lose their brackets. An empty string stays empty."""
    host = host.strip().rstrip(".")
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    host = host.lower()
    if host.isascii():
        return host
    try:
        return host.encode("idna").decode("ascii")
    except UnicodeError:  # a label too long or not nameprep-able: keep it readable
        return host


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def host_and_domain(url: str, psl: PublicSuffixList | None = None,
                    ) -> tuple[str | None, str | None]:
    """``(host, registrable domain)`` of ``url``, or ``(None, None)`` when it names no host.

    ``url`` may be an absolute URL (``https://User@A.B.Example.co.uk:8443/x``), a
    scheme-relative one (``//host/x``) or a bare host name (``example.com``). Never raises: a
    URL that cannot be split gives ``(None, None)``. ``psl`` defaults to
    :func:`public_suffix_list`.
    """
    text = url.strip()
    if "://" not in text and not text.startswith("//"):
        if "/" in text or not text:
            return None, None  # a path, not a host
        text = "//" + text
    try:
        raw_host = urlsplit(text).hostname
    except ValueError:  # e.g. an invalid IPv6 literal
        return None, None
    if not raw_host:
        return None, None
    host = normalise_host(raw_host)
    if not host:
        return None, None
    if _is_ip(host):
        return host, host
    domain = (psl or public_suffix_list()).privatesuffix(host)
    return host, domain or host
