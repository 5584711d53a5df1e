"""A ≥ 1 GB WARC.gz crawl of real pages, made offline, for the audit benchmark (issue #3 part 7).

**Pages.** Python's HTML documentation (Debian ``python3-doc``: ``/usr/share/doc/python3/html``,
about 1,060 files, 62 MB: HTML, reST sources as ``text/plain``, PNG, CSS, JS) and the Debian
Reference (``debian-reference-en``: ``/usr/share/debian-reference``, 3.8 MB), served by Python's
own ``http.server`` on 127.0.0.1 under ``/python/`` and ``/debian/``. The two packages are
installed with apt when missing (as ``scripts/test.sh`` installs its packages).

**Virtual hosts and variants.** The server picks a variant *profile* from the request's ``Host``
header and, by profile and a stable hash of the path (CRC-32), adds response headers, rewrites
HTML heads, or serves ``/robots.txt``, ``/ai.txt`` and ``/.well-known/tdmrep.json``
(:data:`PROFILES`; formats from ../shared/reference/rights-signals.md §2–§4):

=================  ==============================================================================
``plain``          robots.txt allows everyone; no other signal (the baseline)
``robots-ai``      robots.txt: ``GPTBot`` disallowed under ``/python/library/``, ``CCBot``
                   disallowed everywhere (RFC 9309 groups)
``robots-503``     robots.txt answers HTTP 503 (RFC 9309 §2.3.1.4: assume complete disallow)
``xrt-noai``       robots.txt 404 (RFC 9309 §2.3.1.3: allow all); ``X-Robots-Tag`` by path:
                   ``noai`` | ``noindex, noai, noimageai`` | ``NoAI`` | none
``xrt-scoped``     ``X-Robots-Tag`` by path: ``GPTBot: noai`` | ``otherbot: noai`` | ``noimageai``
``tdm-headers``    ``tdm-reservation: 1`` + ``tdm-policy`` | ``tdm-reservation: 0`` |
                   header ``1`` with HTML ``<meta name="tdm-reservation" content="0">`` (the meta
                   supersedes, TDMRep §"Processing priority"); site ``tdmrep.json`` reserving
                   ``/python/c-api/``
``meta``           HTML heads get ``<meta name="robots" content="noai, noimageai">`` |
                   ``<meta name="tdm-reservation" content="1">`` | ``<meta name="GPTBot"
                   content="noai">``
``content-usage``  header ``Content-Usage: train-ai=n`` (AIPREF attach-05 §3); robots.txt with
                   ``Content-Signal: search=yes, ai-train=no`` (Cloudflare)
``ai-txt``         Spawning ``/ai.txt`` disallowing ``*.txt`` and ``*.png`` for every agent
``no-robots``      no robots.txt capture at all (the carrier is ``unknown``, never "allowed")
=================  ==============================================================================

**Recording.** Each profile's pages are fetched once from the server with ``http.client`` and
recorded with warcio's ``WARCWriter`` into an uncompressed template WARC
(``fetched/<profile>.warc``: the bytes exactly as served, status line and headers in order).
The crawl is that page set repeated over virtual hosts ``docs-<profile>-<n>.example`` (profiles
round-robin), each host's records written as ``https://<host>/<path>`` with
``WARC-Date`` = its host's crawl start + 1 s per record (host files first), one gzip member per
record (warcio, ISO 28500 annex D). Hosts go :data:`HOSTS_PER_PART` to a part file
``part-NNNNN.warc.gz`` (~55 MB), so the default process pool has one shard per part; parts are
built until the total reaches the requested size and are reused from ``bench/.cache/audit-corpus``
(git-ignored) afterwards — a later, larger request only adds parts.
"""

from __future__ import annotations

import datetime as dt
import http.client
import io
import json
import os
import shutil
import subprocess
import sys
import threading
import zlib
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

CACHE = Path(__file__).resolve().parent / ".cache" / "audit-corpus"
TEMPLATES = CACHE / "fetched"
INDEX = CACHE / "parts.json"

#: URL prefix → (Debian package, folder it installs)
ROOTS = {
    "python": ("python3-doc", Path("/usr/share/doc/python3/html")),
    "debian": ("debian-reference-en", Path("/usr/share/debian-reference")),
}
PROFILES = ("plain", "robots-ai", "robots-503", "xrt-noai", "xrt-scoped", "tdm-headers",
            "meta", "content-usage", "ai-txt", "no-robots")
HOSTS_PER_PART = 4
CRAWL_START = dt.datetime(2025, 6, 2, tzinfo=dt.UTC)
SCHEMA = 1

ROBOTS_ALLOW = b"User-agent: *\nDisallow: /private/\n"
ROBOTS = {
    "plain": (200, ROBOTS_ALLOW),
    "robots-ai": (200, b"# AI crawlers\nUser-agent: GPTBot\nDisallow: /python/library/\n\n"
                       b"User-agent: CCBot\nDisallow: /\n\nUser-agent: *\nAllow: /\n"),
    "robots-503": (503, b"<html><body>Service Unavailable</body></html>\n"),
    "xrt-noai": (404, b"<html><body>Not Found</body></html>\n"),
    "xrt-scoped": (200, ROBOTS_ALLOW),
    "tdm-headers": (200, ROBOTS_ALLOW),
    "meta": (200, ROBOTS_ALLOW),
    "content-usage": (200, b"User-agent: *\nContent-Signal: search=yes, ai-train=no\n"
                           b"Allow: /\n"),
    "ai-txt": (200, ROBOTS_ALLOW),
}
AI_TXT = (b"# Spawning AI\n# Prevent datasets from using the following file types\n\n"
          b"User-Agent: *\nDisallow: *.txt\nDisallow: *.png\n")
TDMREP_JSON = (b'[{"location": "/python/c-api/*", "tdm-reservation": 1, '
               b'"tdm-policy": "https://policy.example/tdm.json"},'
               b' {"location": "/", "tdm-reservation": 0}]\n')


def _bucket(path: str, n: int) -> int:
    return zlib.crc32(path.encode()) % n


def variant(profile: str, path: str) -> tuple[list[tuple[str, str]], bytes | None]:
    """The headers added to page ``path`` by ``profile`` and the ``<meta>`` markup inserted after
    ``<head>`` (HTML only), as the module docstring's table says."""
    headers: list[tuple[str, str]] = []
    meta: bytes | None = None
    if profile == "xrt-noai":
        value = ("noai", "noindex, noai, noimageai", "NoAI", None)[_bucket(path, 4)]
        if value:
            headers.append(("X-Robots-Tag", value))
    elif profile == "xrt-scoped":
        headers.append(("X-Robots-Tag",
                        ("GPTBot: noai", "otherbot: noai", "noimageai")[_bucket(path, 3)]))
    elif profile == "tdm-headers":
        b = _bucket(path, 3)
        headers.append(("tdm-reservation", "0" if b == 1 else "1"))
        if b == 0:
            headers.append(("tdm-policy", "https://policy.example/tdm.json"))
        if b == 2:
            meta = b'<meta name="tdm-reservation" content="0">'
    elif profile == "meta":
        meta = (b'<meta name="robots" content="noai, noimageai">',
                b'<meta name="tdm-reservation" content="1">',
                b'<meta name="GPTBot" content="noai">')[_bucket(path, 3)]
    elif profile == "content-usage":
        headers.append(("Content-Usage", "train-ai=n"))
    return headers, meta


class _Handler(SimpleHTTPRequestHandler):
    """``http.server``'s file handler over :data:`ROOTS`, with the variants of the profile the
    ``Host`` header names (``docs-<profile>-<n>.example``)."""

    server_version = "rightsguard-bench/1"
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # one request per page: no 40 ms delayed-ACK stalls

    def log_message(self, format: str, *args: Any) -> None:  # quiet
        pass

    def _profile(self) -> str:
        host = (self.headers.get("Host") or "").split(":")[0]
        name = host.removeprefix("docs-").rsplit("-", 1)[0]
        return name if name in PROFILES else "plain"

    def translate_path(self, path: str) -> str:
        parts = path.split("?")[0].lstrip("/").split("/", 1)
        root = ROOTS.get(parts[0])
        if root is None or len(parts) < 2:
            return "/nonexistent"
        return str(root[1] / parts[1])

    def _send_bytes(self, status: int, body: bytes, ctype: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:
        profile = self._profile()
        path = self.path.split("?")[0]
        if path == "/robots.txt":
            if profile == "no-robots":
                self._send_bytes(404, b"not found\n", "text/plain")
                return
            status, body = ROBOTS[profile]
            self._send_bytes(status, body, "text/plain" if status == 200 else "text/html")
            return
        if path == "/ai.txt" and profile == "ai-txt":
            self._send_bytes(200, AI_TXT, "text/plain")
            return
        if path == "/.well-known/tdmrep.json" and profile == "tdm-headers":
            self._send_bytes(200, TDMREP_JSON, "application/json")
            return
        file = Path(self.translate_path(path))
        try:
            body = file.read_bytes()
        except OSError:
            self._send_bytes(404, b"not found\n", "text/plain")
            return
        extra, meta = variant(profile, path)
        ctype = self.guess_type(str(file))
        if meta is not None and ctype == "text/html":
            at = body.lower().find(b"<head>")
            if at >= 0:
                body = body[:at + 6] + b"\n" + meta + body[at + 6:]
        self.send_response(200)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Last-Modified", self.date_time_string(int(file.stat().st_mtime)))
        for name, value in extra:
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)


def ensure_docs() -> None:
    """Install the documentation packages that are missing (apt-get; root or sudo)."""
    missing = [pkg for pkg, folder in ROOTS.values() if not folder.is_dir()]
    if not missing:
        return
    sudo = [] if os.geteuid() == 0 else ["sudo"]
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    subprocess.run([*sudo, "apt-get", "update", "-qq"], check=True, env=env)
    subprocess.run([*sudo, "apt-get", "install", "-y", "-qq", *missing], check=True, env=env,
                   stdout=subprocess.DEVNULL)


def page_paths() -> list[str]:
    """URL paths of every regular file under :data:`ROOTS` (symlinks followed), sorted."""
    out = []
    for prefix, (_pkg, folder) in ROOTS.items():
        for dirpath, _dirs, files in os.walk(folder, followlinks=True):
            for name in files:
                full = Path(dirpath) / name
                if full.is_file():
                    out.append(f"/{prefix}/{full.relative_to(folder).as_posix()}")
    return sorted(out)


@contextmanager
def serve() -> Iterator[int]:
    """A threading ``http.server`` on 127.0.0.1 (free port) for the block; yields the port."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()


def _record_profile(port: int, profile: str, paths: list[str]) -> int:
    """Fetch ``profile``'s host files and pages and write them to its template WARC; returns
    the number of responses recorded."""
    from warcio.statusandheaders import StatusAndHeaders
    from warcio.warcwriter import WARCWriter

    host = f"docs-{profile}-0.example"
    tmp = TEMPLATES / f".{profile}.warc.tmp"
    n = 0
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    with open(tmp, "wb") as fh:
        writer = WARCWriter(fh, gzip=False)
        for path in ["/robots.txt", "/ai.txt", "/.well-known/tdmrep.json", *paths]:
            conn.request("GET", path, headers={"Host": host, "User-Agent": "rightsguard-bench"})
            resp = conn.getresponse()
            body = resp.read()
            if path not in ("/robots.txt",) and resp.status != 200:
                continue  # a host file the profile does not have, or an unreadable file
            if path == "/robots.txt" and profile == "no-robots":
                continue  # no capture at all
            status = f"{resp.status} {resp.reason}"
            http_headers = StatusAndHeaders(status, resp.getheaders(), protocol="HTTP/1.1")
            rec = writer.create_warc_record(f"https://{host}{path}", "response",
                                            payload=io.BytesIO(body),
                                            http_headers=http_headers)
            writer.write_record(rec)
            n += 1
    conn.close()
    os.replace(tmp, TEMPLATES / f"{profile}.warc")
    return n


def record_templates() -> None:
    """Record every profile's template WARC that is not cached yet (server up meanwhile)."""
    todo = [p for p in PROFILES if not (TEMPLATES / f"{p}.warc").is_file()]
    if not todo:
        return
    ensure_docs()
    TEMPLATES.mkdir(parents=True, exist_ok=True)
    paths = page_paths()
    with serve() as port:
        for profile in todo:
            n = _record_profile(port, profile, paths)
            print(f"recorded {profile}: {n} responses", file=sys.stderr)


@dataclass(frozen=True, slots=True)
class _Template:
    path: str
    status: str
    headers: list[tuple[str, str]]
    body: bytes


def _load_template(profile: str) -> list[_Template]:
    from warcio.archiveiterator import ArchiveIterator

    out = []
    with open(TEMPLATES / f"{profile}.warc", "rb") as fh:
        for rec in ArchiveIterator(fh):
            if rec.rec_type != "response":
                continue
            uri = rec.rec_headers.get_header("WARC-Target-URI")
            path = "/" + uri.split("/", 3)[3]
            out.append(_Template(path, rec.http_headers.statusline,
                                 list(rec.http_headers.headers), rec.content_stream().read()))
    return out


def host_name(index: int) -> tuple[str, str]:
    """(profile, host name) of virtual host ``index`` (profiles round-robin)."""
    profile = PROFILES[index % len(PROFILES)]
    return profile, f"docs-{profile}-{index // len(PROFILES):02d}.example"


def _build_part(part: int) -> tuple[int, int, int]:
    """Write ``part-<part>.warc.gz`` (hosts ``part*HOSTS_PER_PART …``); returns (part, bytes,
    records)."""
    from warcio.statusandheaders import StatusAndHeaders
    from warcio.warcwriter import WARCWriter

    final = CACHE / f"part-{part:05d}.warc.gz"
    tmp = CACHE / f".part-{part:05d}.tmp"
    templates: dict[str, list[_Template]] = {}
    records = 0
    with open(tmp, "wb") as fh:
        writer = WARCWriter(fh, gzip=True)
        writer.write_record(writer.create_warcinfo_record(
            final.name, {"software": "rightsguard bench/audit_corpus.py",
                         "description": "Python and Debian HTML documentation over virtual hosts"
                                        " with rights-signal variants"}))
        for index in range(part * HOSTS_PER_PART, (part + 1) * HOSTS_PER_PART):
            profile, host = host_name(index)
            if profile not in templates:
                templates[profile] = _load_template(profile)
            start = CRAWL_START + dt.timedelta(hours=index)
            for k, t in enumerate(templates[profile]):
                when = (start + dt.timedelta(seconds=k)).strftime("%Y-%m-%dT%H:%M:%SZ")
                rec = writer.create_warc_record(
                    f"https://{host}{t.path}", "response", payload=io.BytesIO(t.body),
                    http_headers=StatusAndHeaders(t.status, t.headers, protocol="HTTP/1.1"),
                    warc_headers_dict={"WARC-Date": when})
                writer.write_record(rec)
                records += 1
    size = tmp.stat().st_size
    os.replace(tmp, final)
    return part, size, records


def _load_index() -> dict[str, Any]:
    if INDEX.is_file():
        data: dict[str, Any] = json.loads(INDEX.read_text("utf-8"))
        if data.get("schema") == SCHEMA and all(
                (CACHE / p["file"]).is_file() for p in data["parts"]):
            return data
    return {"schema": SCHEMA, "parts": []}


def _save_index(data: dict[str, Any]) -> None:
    tmp = INDEX.with_suffix(".tmp")
    tmp.write_text(json.dumps(data, indent=1), "utf-8")
    os.replace(tmp, INDEX)


@dataclass(frozen=True, slots=True)
class Crawl:
    """The part files of the crawl (paths), their total size on disk (bytes) and the number of
    WARC response records they hold (host files included)."""

    parts: tuple[Path, ...]
    bytes: int
    records: int
    hosts: int


def crawl(min_mb: float, workers: int = 2, log: Any = None) -> Crawl:
    """The first parts of the cached crawl whose total size is at least ``min_mb`` MB (10^6
    bytes), building the missing ones (``workers`` processes). Raises ``RuntimeError`` if the
    documentation cannot be installed."""
    record_templates()
    data = _load_index()
    parts = data["parts"]
    total = sum(p["bytes"] for p in parts)
    need = min_mb * 1e6
    if total < need:
        sizes = [p["bytes"] for p in parts]
        per_part = (sum(sizes) / len(sizes)) if sizes else 50e6
        todo = list(range(len(parts), len(parts) + max(1, int((need - total) / per_part) + 1)))
        if log:
            log(f"building {len(todo)} WARC part(s) into {CACHE} (≈ {per_part / 1e6:.0f} MB each)")
        with ProcessPoolExecutor(max_workers=workers) as pool:
            for part, size, records in pool.map(_build_part, todo):
                parts.append({"file": f"part-{part:05d}.warc.gz", "bytes": size,
                              "records": records})
                _save_index(data)
                if log:
                    log(f"part {part}: {size / 1e6:.1f} MB, {records} records")
        return crawl(min_mb, workers, log)  # grows until the size is reached
    chosen, acc = [], 0
    for p in parts:
        chosen.append(p)
        acc += p["bytes"]
        if acc >= need:
            break
    return Crawl(tuple(CACHE / p["file"] for p in chosen), acc,
                 sum(p["records"] for p in chosen), len(chosen) * HOSTS_PER_PART)


def clear() -> None:
    """Remove the cached crawl (templates and parts)."""
    shutil.rmtree(CACHE, ignore_errors=True)


if __name__ == "__main__":
    c = crawl(float(sys.argv[1]) if len(sys.argv) > 1 else 1024, log=print)
    print(f"{len(c.parts)} parts, {c.bytes / 1e6:.1f} MB, {c.records} records")
