"""Per-host rights files — ``/robots.txt``, ``/.well-known/tdmrep.json``, ``/ai.txt`` — and
which capture of each was in force when a page was captured.

Sources:

* a WARC of those responses, as Common Crawl publishes its robots.txt captures
  (:meth:`HostFiles.from_warc`): each capture keeps its HTTP status and ``WARC-Date``;
* a folder (:meth:`HostFiles.from_folder`) of ``HOST/robots.txt``,
  ``HOST/.well-known/tdmrep.json``, ``HOST/ai.txt``, with an optional ``HOST/robots.status``
  holding robots.txt's HTTP status as a decimal number (absent = 200; a status file without a
  ``robots.txt`` is a capture with an empty body, e.g. ``404`` or ``503``). Folder files have no
  capture time;
* the pages of a corpus WARC that are themselves such responses (:meth:`HostFiles.collect`
  diverts them from the corpus items: they are host files, not training items).

Hosts are keyed by :func:`~rightsguard.corpus.domains.normalise_host` (lower case, IDNA
A-labels). RFC 9309 §2.3 scopes a robots.txt to its origin (scheme, host and port): a capture
from a WARC applies only to pages of the same origin (:func:`origin_of`; default ports
omitted), so an ``http://`` page never reads the ``https://`` file nor ``:8080``'s, and a page
whose origin has no capture has none (``unknown``) even if another origin of its host has one.
Folder files name a host only and apply to every origin of it.

**Which capture is in force** for a page captured at time *t* (RFC 9309 §2.4: a crawler
uses its cached robots.txt, for up to 24 hours, and otherwise fetches it again before crawling):

1. the latest capture at or before *t* — what a crawler that honoured the file had read;
   when it is more than 24 hours older than the page, the evidence says so (the RFC's cache
   period had lapsed, so the site may have changed it in between);
2. if there is none, the earliest capture after *t*, with the evidence saying it was captured
   after the page (Common Crawl fetches robots.txt per crawl, so a page can precede the first
   capture by minutes; the closest later capture is the best evidence there is — never read as
   absence);
3. a page without a capture time uses the latest capture; captures without a time (folders)
   are used when no dated capture exists for that host.

An unreachable robots.txt (5xx) stays in force until the next capture (RFC 9309 §2.3.1.4:
assume complete disallow; only after 30 days MAY a crawler fall back to a cached copy — not done
here). Redirects (3xx with ``Location``, RFC 9309 §2.3.1.2) are followed through up to five
captured targets in force at the same time; only captures of the three well-known paths are
kept, so a redirect elsewhere (or to an uncaptured URL) is returned as the 3xx capture, the
evidence saying the target was not captured. Bodies are kept up to
:data:`MAX_HOST_FILE_BYTES` (RFC 9309 §2.5: parse at least 500 KiB), the evidence noting a cut.
"""

from __future__ import annotations

import datetime as _dt
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from os import PathLike
from pathlib import Path
from urllib.parse import urljoin, urlsplit

from rightsguard.corpus.domains import host_and_domain, normalise_host
from rightsguard.corpus.warc import iso_utc, read_warc
from rightsguard.model import HostCapture, Record

__all__ = [
    "HOST_FILE_PATHS",
    "MAX_HOST_FILE_BYTES",
    "HostFile",
    "HostFiles",
    "host_file_kind",
]

HOST_FILE_PATHS = {"/robots.txt": "robots.txt", "/.well-known/tdmrep.json": "tdmrep.json",
                   "/ai.txt": "ai.txt"}
"""URL path → kind of host file (RFC 9309 §2.3; TDMRep §3.1; Spawning ai.txt)."""

MAX_HOST_FILE_BYTES = 500 * 1024
"""Bytes of a host file kept: 500 KiB, RFC 9309 §2.5's minimum parsing limit."""

STALE_AFTER = _dt.timedelta(hours=24)
"""RFC 9309 §2.4: crawlers SHOULD NOT use a cached robots.txt for more than 24 hours."""

MAX_REDIRECTS = 5
"""RFC 9309 §2.3.1.2: crawlers SHOULD follow at least five consecutive redirects."""

_FOLDER_FILES = (("robots.txt", "robots.txt"), (".well-known/tdmrep.json", "tdmrep.json"),
                 ("ai.txt", "ai.txt"))


def host_file_kind(url: str) -> str | None:
    """``robots.txt`` | ``tdmrep.json`` | ``ai.txt`` when ``url`` is that file of its host
    (path exact, no query), else None."""
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return None
    if parts.query or not parts.netloc:
        return None
    return HOST_FILE_PATHS.get(parts.path)


#: One capture of a host file; ``evidence`` names the capture whole, e.g. ``"robots.txt of
#: example.com (HTTP 200, captured 2025-01-01T00:00:00Z) from warc:/data/robots.warc.gz#1234"``,
#: and ``body`` holds at most :data:`MAX_HOST_FILE_BYTES` (see
#: :class:`~rightsguard.model.HostCapture`).
HostFile = HostCapture


@dataclass(frozen=True, slots=True)
class _Capture:
    file: HostFile
    when: _dt.datetime | None
    order: int
    location: str | None = None  # absolute URL of a 3xx redirect target
    origin: str | None = None  # scheme://host[:port] of a WARC capture; None: any (folders)


_DEFAULT_PORTS = {"http": 80, "https": 443}


def origin_of(url: str) -> str | None:
    """``scheme://host[:port]`` of ``url`` (RFC 6454 §4 origin; scheme and host lower case,
    host IDNA-encoded, a scheme's default port omitted), or None when ``url`` has no scheme and
    host or an invalid port."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        return None
    scheme, host = parts.scheme.lower(), parts.hostname
    if not scheme or not host:
        return None
    host = normalise_host(host)
    if ":" in host:  # an IPv6 literal keeps its brackets in an origin
        host = f"[{host}]"
    if port is None or port == _DEFAULT_PORTS.get(scheme):
        return f"{scheme}://{host}"
    return f"{scheme}://{host}:{port}"


def _parse_time(value: str | None) -> _dt.datetime | None:
    normal = iso_utc(value)
    return None if normal is None else _dt.datetime.fromisoformat(normal.replace("Z", "+00:00"))


def _describe(kind: str, host: str, status: int | None, captured_at: str | None,
              where: str) -> str:
    what = f"HTTP {status}" if status is not None else "unreadable"
    when = f", captured {captured_at}" if captured_at else ""
    return f"{kind} of {host} ({what}{when}) from {where}"


class HostFiles:
    """All captures of robots.txt, tdmrep.json and ai.txt by host; picklable (plain data)."""

    def __init__(self) -> None:
        self._captures: dict[tuple[str, str], list[_Capture]] = {}
        self._count = 0

    def __len__(self) -> int:
        return self._count

    def hosts(self, kind: str = "robots.txt") -> list[str]:
        """Hosts with at least one capture of ``kind``, sorted."""
        return sorted(h for k, h in self._captures if k == kind)

    def add(self, kind: str, file: HostFile, location: str | None = None,
            origin: str | None = None) -> None:
        """Add one capture of ``kind`` (a value of :data:`HOST_FILE_PATHS`); the host is
        normalised. ``location`` is the absolute redirect target of a 3xx capture; ``origin``
        (:func:`origin_of` of the captured URL) the pages it applies to (None: every origin of
        the host)."""
        if kind not in HOST_FILE_PATHS.values():
            raise ValueError(f"unknown host file kind {kind!r}; allowed:"
                             f" {', '.join(HOST_FILE_PATHS.values())}")
        file = replace(file, host=normalise_host(file.host))
        self._captures.setdefault((kind, file.host), []).append(
            _Capture(file, _parse_time(file.captured_at), self._count, location, origin))
        self._count += 1

    def merge(self, other: HostFiles) -> None:
        """Add every capture of ``other`` (e.g. a folder's and a WARC's host files)."""
        for (kind, _host), captures in sorted(other._captures.items()):
            for c in sorted(captures, key=lambda c: c.order):
                self.add(kind, c.file, c.location, c.origin)

    # -- sources ---------------------------------------------------------------------------------

    def add_record(self, record: Record) -> bool:
        """Add ``record`` (a WARC response or resource) if it is a host file; returns whether
        it was. A ``resource`` record holds the file without an HTTP response (WARC 1.1,
        record type 'resource': "a resource, without full protocol response information"), so
        its block is read as the file served, HTTP 200 — as a folder file without
        ``robots.status`` — the evidence saying so; a missing status would read as an
        unreachable host (RFC 9309 §2.3.1.4)."""
        kind = host_file_kind(record.source)
        if kind is None or record.host is None:
            return False
        resource = record.fields.get("warc_type") == "resource"
        status = 200 if resource else record.fields.get("http_status")
        status = status if isinstance(status, int) else None
        body = record.content or b""
        evidence = _describe(kind, record.host, None if record.error else status,
                             record.captured_at, record.id)
        if resource and not record.error:
            evidence += " (a WARC resource record: no HTTP response, its block read as the file)"
        problem = ""
        if record.error:
            evidence += f": {record.error}"
            status, body, problem = None, b"", f"the capture cannot be read: {record.error}"
        elif len(body) > MAX_HOST_FILE_BYTES:
            body = body[:MAX_HOST_FILE_BYTES]
            evidence += f"; cut at {MAX_HOST_FILE_BYTES} bytes (RFC 9309 §2.5)"
        location = None
        if status is not None and 300 <= status < 400:
            target = next((v for k, v in record.headers if k.lower() == "location"), None)
            location = urljoin(record.source, target.strip()) if target else None
        self.add(kind, HostFile(record.host, status, body, record.captured_at, evidence,
                                problem), location, origin_of(record.source))
        return True

    def collect(self, records: Iterable[Record]) -> Iterator[Record]:
        """Add the host files among ``records`` and yield the others (the corpus items)."""
        for record in records:
            if not self.add_record(record):
                yield record

    @classmethod
    def from_warc(cls, *paths: str | PathLike[str]) -> HostFiles:
        """Host files among the responses of WARC files (other records are skipped unread)."""
        files = cls()
        for path in paths:
            # a broken record whose URI is unknown cannot be attributed to a host: not added
            for record in read_warc(path, target_filter=_is_host_file_url):
                files.add_record(record)
        return files

    @classmethod
    def from_folder(cls, path: str | PathLike[str]) -> HostFiles:
        """Host files from ``path/HOST/…`` (see the module docstring); hidden folders and
        files that are not folders are ignored. ``robots.status`` that is not a number from 100
        to 599 makes the capture's status None, the evidence quoting it."""
        files = cls()
        root = Path(path)
        for entry in sorted(os.scandir(root), key=lambda e: e.name):
            if not entry.is_dir() or entry.name.startswith("."):
                continue
            host, _domain = host_and_domain(entry.name)
            if host is None:
                continue
            folder = Path(entry.path)
            status_file = folder / "robots.status"
            for rel, kind in _FOLDER_FILES:
                file = folder / rel
                status: int | None = 200
                where, notes = str(file), []
                unreadable = ""
                if kind == "robots.txt" and status_file.is_file():
                    status, problem = _read_status(status_file)
                    where += f" with {status_file.name}"
                    notes += [problem] if problem else []
                    unreadable = problem if status is None else ""
                elif not file.is_file():
                    continue
                body, problem = _read_capped(file)
                if problem:
                    notes.append(problem)
                    if problem.startswith("cannot"):
                        status, unreadable = None, problem
                evidence = _describe(kind, host, status, None, where)
                files.add(kind, HostFile(host, status, body, None,
                                         "; ".join([evidence, *notes]), unreadable))
        return files

    # -- selection -------------------------------------------------------------------------------

    def robots_for(self, host: str, captured_at: str | None = None, *,
                   url: str | None = None) -> HostFile | None:
        """The robots.txt of ``host`` in force at ``captured_at`` (see the module docstring), or
        None when the host has no capture (the audit then records ``unknown``). ``url``: the
        page's URL, whose origin a WARC capture must share (RFC 9309 §2.3); None: any origin."""
        return self._for("robots.txt", host, captured_at, url)

    def tdmrep_for(self, host: str, captured_at: str | None = None, *,
                   url: str | None = None) -> HostFile | None:
        """The ``/.well-known/tdmrep.json`` of ``host`` in force at ``captured_at``, or None
        (``url`` as for :meth:`robots_for`; TDMRep §3.1 reads it from the page's origin)."""
        return self._for("tdmrep.json", host, captured_at, url)

    def ai_txt_for(self, host: str, captured_at: str | None = None, *,
                   url: str | None = None) -> HostFile | None:
        """The ``/ai.txt`` of ``host`` in force at ``captured_at``, or None (``url`` as for
        :meth:`robots_for`)."""
        return self._for("ai.txt", host, captured_at, url)

    def _for(self, kind: str, host: str, captured_at: str | None,
             url: str | None) -> HostFile | None:
        when = _parse_time(captured_at)
        origin = None if url is None else origin_of(url)
        chosen = self._select(kind, normalise_host(host), when, origin)
        if chosen is None:
            return None
        capture, note = chosen
        file = capture.file
        hops: list[str] = []
        while (capture.location is not None and len(hops) < MAX_REDIRECTS):
            target_host = urlsplit(capture.location).hostname
            nxt = None
            if host_file_kind(capture.location) == kind and target_host:
                nxt = self._select(kind, normalise_host(target_host), when,
                                   origin_of(capture.location))
            if nxt is None:  # only captures of the three well-known paths are kept
                note += f"; redirect to {capture.location} not captured"
                break
            hops.append(capture.location)
            capture = nxt[0]
        if hops:
            final = capture.file
            file = HostFile(file.host, final.status, final.body, final.captured_at,
                            f"{file.evidence}; redirected ({' -> '.join(hops)}) to"
                            f" {final.evidence}", final.problem)
        return replace(file, evidence=file.evidence + note) if note else file

    def _select(self, kind: str, host: str, when: _dt.datetime | None,
                origin: str | None = None) -> tuple[_Capture, str] | None:
        captures = self._captures.get((kind, host))
        if captures and origin is not None:  # RFC 9309 §2.3: the page's own origin's file
            captures = [c for c in captures if c.origin is None or c.origin == origin]
        if not captures:
            return None
        dated = sorted(((c.when, c.order, c) for c in captures if c.when is not None),
                       key=lambda t: (t[0], t[1]))
        if not dated:
            return captures[-1], ""
        if when is None:
            return dated[-1][2], ""
        before = [(t, c) for t, _order, c in dated if t <= when]
        if before:
            taken, chosen = before[-1]
            age = when - taken
            if age > STALE_AFTER:
                return chosen, (f"; latest capture before the page, {age.days} d"
                                f" {age.seconds // 3600} h older than it (RFC 9309 §2.4: a"
                                " cached copy is used for at most 24 h)")
            return chosen, ""
        first = dated[0][0]
        if first - when <= STALE_AFTER:
            # fetched just after the page (a crawler reading robots.txt on its first visit)
            return dated[0][2], "; captured after the page (no earlier capture), within 24 h"
        # a capture taken long after the page says nothing of what was in force when it was
        # fetched (RFC 9309 §2.4): no capture, so the answer is unknown, never "allowed"
        return None


def _is_host_file_url(url: str) -> bool:
    return host_file_kind(url) is not None


def _read_status(path: Path) -> tuple[int | None, str]:
    """``(status, problem)`` from a ``robots.status`` file."""
    try:
        text = path.read_bytes()[:64].decode("ascii").strip()
    except (OSError, UnicodeDecodeError) as exc:
        return None, f"{path.name} unreadable ({exc})"
    if text.isdigit() and 100 <= int(text) <= 599:
        return int(text), ""
    return None, f"{path.name} holds {text[:20]!r}, not an HTTP status (100-599)"


def _read_capped(path: Path) -> tuple[bytes, str]:
    """``(body, problem)``: at most :data:`MAX_HOST_FILE_BYTES` bytes of ``path``."""
    if not path.is_file():
        return b"", ""
    try:
        with open(path, "rb") as fh:
            body = fh.read(MAX_HOST_FILE_BYTES + 1)
    except OSError as exc:
        return b"", f"cannot be read ({exc.strerror or exc})"
    if len(body) > MAX_HOST_FILE_BYTES:
        return body[:MAX_HOST_FILE_BYTES], (f"cut at {MAX_HOST_FILE_BYTES} bytes"
                                            " (RFC 9309 §2.5)")
    return body, ""
