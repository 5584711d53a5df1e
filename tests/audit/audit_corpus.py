"""The audit test corpora, written by the tests themselves (warcio for WARCs, Pillow for
images, pyarrow for Parquet), and the expectations every test shares.

``CRAWL`` is the fixture crawl of the end-to-end audit: one robots.txt capture per host (GPTBot
disallowed on a path, a 503, a 404, a host with none), a tdmrep.json capture, an
``X-Robots-Tag: noai`` header, a robots ``noai`` meta tag, a ``tdm-reservation: 1`` header, an
AIPREF ``Content-Usage: train-ai=n`` header, a CC BY-NC ``rel=license`` link, a host on the
piracy list, and one page captured before and after its host's robots.txt changed.
"""

from __future__ import annotations

import gzip
import io
from dataclasses import dataclass, field
from pathlib import Path

from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

HTML = (("Content-Type", "text/html; charset=utf-8"),)
TEXT = (("Content-Type", "text/plain"),)
DAY0 = "2025-01-01T00:00:00Z"  # robots.txt / tdmrep.json captures
DAY1 = "2025-01-02T00:00:00Z"  # page captures


def page(title: str, head: str = "") -> bytes:
    """A small HTML page whose text is ``title`` plus five words."""
    return (f"<!doctype html><html><head><title>{title}</title>{head}</head>"
            f"<body><p>{title} body text for the audit.</p></body></html>").encode()


@dataclass(frozen=True)
class Resp:
    """One ``response`` record: URI, WARC-Date, HTTP status line, HTTP headers, body; or, with
    ``kind``, a record of another type (no HTTP headers; ``content_type`` its WARC
    Content-Type). ``warc_headers``: more WARC header fields (``WARC-Truncated``)."""

    uri: str
    body: bytes
    date: str = DAY1
    status: str = "200 OK"
    headers: tuple[tuple[str, str], ...] = field(default=HTML)
    kind: str = "response"
    content_type: str = ""
    warc_headers: tuple[tuple[str, str], ...] = ()


#: Host files first (robots.txt, tdmrep.json): the audit diverts them from the corpus items.
HOST_FILES = {
    "a-robots": Resp("https://a.example/robots.txt",
                     b"User-agent: GPTBot\nDisallow: /private/\n\nUser-agent: *\nAllow: /\n",
                     DAY0, headers=TEXT),
    "b-robots": Resp("https://b.example/robots.txt", b"busy", DAY0, "503 Service Unavailable",
                     TEXT),
    "c-robots": Resp("https://c.example/robots.txt", b"<h1>not found</h1>", DAY0,
                     "404 Not Found"),
    "f-robots-old": Resp("https://f.example/robots.txt", b"User-agent: *\nDisallow:\n", DAY0,
                         headers=TEXT),
    "f-robots-new": Resp("https://f.example/robots.txt", b"User-agent: *\nDisallow: /\n",
                         "2025-03-01T00:00:00Z", headers=TEXT),
    "h-robots": Resp("https://h.example/robots.txt", b"User-agent: *\nAllow: /\n", DAY0,
                     headers=TEXT),
    "t-robots": Resp("https://t.example/robots.txt", b"User-agent: *\nAllow: /\n", DAY0,
                     headers=TEXT),
    "t-tdmrep": Resp("https://t.example/.well-known/tdmrep.json",
                     b'[{"location": "/reserved/", "tdm-reservation": 1},'
                     b' {"location": "/", "tdm-reservation": 0}]', DAY0,
                     headers=(("Content-Type", "application/json"),)),
    "pirate-robots": Resp("https://pirate.example/robots.txt", b"User-agent: *\nAllow: /\n",
                          DAY0, headers=TEXT),
}

#: The corpus items, in WARC order; the keys name them in the tests.
PAGES = {
    "a-private": Resp("https://a.example/private/page.html", page("A private")),
    "a-public": Resp("https://a.example/public.html", page("A public")),
    "b-503": Resp("https://b.example/index.html", page("B index")),
    "c-404": Resp("https://c.example/index.html", page("C index")),
    "d-none": Resp("https://d.example/index.html", page("D index")),
    "x-robots-tag": Resp("https://h.example/xrobots.html", page("H xrobots"),
                         headers=(*HTML, ("X-Robots-Tag", "noai"))),
    "meta-noai": Resp("https://h.example/meta.html",
                      page("H meta", '<meta name="robots" content="noai">')),
    "tdm-header": Resp("https://h.example/tdmheader.html", page("H tdm header"),
                       headers=(*HTML, ("tdm-reservation", "1"))),
    "content-usage": Resp("https://h.example/usage.html", page("H content usage"),
                          headers=(*HTML, ("Content-Usage", "train-ai=n"))),
    "cc-by-nc": Resp("https://h.example/bync.html", page(
        "H NC licence", '<link rel="license" href="https://creativecommons.org/licenses/by-nc/4.0/">')),
    "tdmrep-reserved": Resp("https://t.example/reserved/doc.html", page("T reserved")),
    "tdmrep-open": Resp("https://t.example/open.html", page("T open")),
    "pirate": Resp("https://pirate.example/book.html", page("Pirate book")),
    "f-before": Resp("https://f.example/news.html", page("F news"), "2025-01-01T06:00:00Z"),
    "f-after": Resp("https://f.example/news.html", page("F news"), "2025-03-01T06:00:00Z"),
}

PIRACY_LIST = "# EU Code of Practice measure 1.2 list (test)\npirate.example\n"

#: A fixed provider file, so the EU summary golden files hold no "to complete" for these facts.
PROVIDER_TOML = """\
[provider]
name = "Example AI GmbH"
contact = "legal@example.ai"

[model]
name = "Example-1B"
version = "1.0"
dependencies = []
placed_on_market = 2025-09-01
modalities = ["text"]

[data]
languages = ["en"]
content_types = "web pages"

[user_data]
from_model_interactions = false
from_other_services = false

[synthetic_data]
used = false

[processing]
code_of_practice_signatory = true
illegal_content_removal = "URL blocklists"
"""


def write_warc(path: Path, responses: list[Resp] | tuple[Resp, ...], *,
               gz: bool = True) -> list[int]:
    """Write a warcinfo record then ``responses``; return each record's byte offset (its
    gzip member's offset in a ``.warc.gz``: the number in the item id ``warc:<path>#<offset>``)."""
    buf = io.BytesIO()
    writer = WARCWriter(buf, gzip=gz)
    writer.write_record(writer.create_warcinfo_record(path.name, {"software": "tests"}))
    offsets = []
    for r in responses:
        offsets.append(buf.tell())
        http = StatusAndHeaders(r.status, list(r.headers), protocol="HTTP/1.1")
        writer.write_record(writer.create_warc_record(
            r.uri, r.kind, payload=io.BytesIO(r.body),
            http_headers=http if r.kind == "response" else None,
            warc_content_type=r.content_type,
            warc_headers_dict={"WARC-Date": r.date, **dict(r.warc_headers)}))
    path.write_bytes(buf.getvalue())
    return offsets


def write_crawl(folder: Path, copies: int = 1) -> tuple[Path, dict[str, str]]:
    """``folder/crawl.warc.gz`` (host files, then ``copies`` × the pages) and the record id
    ``warc:<path>#<offset>`` of each host file and of each page of the first copy, by key."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "crawl.warc.gz"
    keys = [*HOST_FILES, *PAGES]
    offsets = write_warc(path, [*HOST_FILES.values(), *list(PAGES.values()) * copies])
    return path, {key: f"warc:{path}#{off}" for key, off in zip(keys, offsets, strict=False)}


def write_lists(folder: Path) -> dict[str, Path]:
    """The piracy list and the provider file under ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "piracy.txt").write_text(PIRACY_LIST, encoding="utf-8")
    (folder / "provider.toml").write_text(PROVIDER_TOML, encoding="utf-8")
    return {"piracy": folder / "piracy.txt", "provider": folder / "provider.toml"}


def gzip_bomb(size: int) -> bytes:
    """``size`` zero bytes, gzip-compressed (about 1,000:1)."""
    return gzip.compress(b"\0" * size, compresslevel=9)
