"""report.html: one static page rendered from report.json's aggregate, everything escaped."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

from audit_records import load_records

from rightsguard.model import Decision, Reason, Record
from rightsguard.report.audit_html import render_report_html, write_report_html
from rightsguard.report.audit_json import aggregate
from rightsguard.report.manifest import AuditRun

DATA = Path(__file__).parent / "data" / "audit"
RUN = AuditRun(inputs=("crawl.warc.gz", "data/wiki.jsonl"), jurisdictions=("EU", "JP"))
HOSTILE = Record(
    id="warc:<b>bold</b>.warc#1", source="https://evil.test/?q=<script>alert(1)</script>",
    modality="text", host="evil.test", domain='evil"&<i>.test', size_bytes=10,
    error='bad header <img src=x onerror="alert(1)">',
    decisions=(Decision("EU", "review", (Reason("EU/<u>rule</u>", "Art. 4 & 'more'", "s",
                                                "e"),)),))




class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: set[str] = set()
        self.rows: list[list[str]] = []
        self._cell: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.add(tag)
        if tag == "tr":
            self.rows.append([])
        elif tag in ("td", "th"):
            self._cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self._cell is not None:
            self.rows[-1].append("".join(self._cell))
            self._cell = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)


def parse(html: str) -> _Tags:
    parser = _Tags()
    parser.feed(html)
    return parser


def test_tables_carry_the_json_counts() -> None:
    page = parse(render_report_html(aggregate(load_records()), RUN))
    assert ["EU", "7", "3", "3"] in page.rows
    assert ["JP", "8", "4", "1"] in page.rows
    assert ["ALL", "7", "3", "3"] in page.rows
    assert ["text", "8", "86,000", "20,900", "0"] in page.rows
    assert ["photos.test", "2", "280,000", "EU: allow 1, review 1; JP: allow 1, review 1"] \
        in page.rows
    assert ["robots", "reserved", "1"] in page.rows
    assert ["EU", "EU/s3-opt-out", "Directive (EU) 2019/790 Art. 4(3)", "2"] in page.rows
    assert ["warc:crawl.warc.gz#300000", "truncated gzip member at byte 300000"] in page.rows


def test_static_self_contained_no_script() -> None:
    html = render_report_html(aggregate(load_records()), RUN)
    page = parse(html)
    assert page.tags == {"html", "head", "meta", "title", "style", "body", "h1", "h2", "table",
                         "tr", "th", "td", "p"}
    assert not re.search(r"(?i)<script|<link|<img|src=|href=|url\(", html)
    assert html.startswith("<!DOCTYPE html>\n") and html.endswith("</html>\n")


def test_everything_from_the_corpus_is_escaped() -> None:
    html = render_report_html(aggregate([HOSTILE]), AuditRun(inputs=("<x>&y",),
                                                            jurisdictions=("EU",)))
    page = parse(html)
    assert page.tags == {"html", "head", "meta", "title", "style", "body", "h1", "h2", "table",
                         "tr", "th", "td", "p"}
    assert "warc:&lt;b&gt;bold&lt;/b&gt;.warc#1" in html
    assert "bad header &lt;img src=x onerror=&quot;alert(1)&quot;&gt;" in html
    assert "evil&quot;&amp;&lt;i&gt;.test" in html
    assert "EU/&lt;u&gt;rule&lt;/u&gt;" in html and "Art. 4 &amp; &#x27;more&#x27;" in html
    assert "&lt;x&gt;&amp;y" in html
    assert ['warc:<b>bold</b>.warc#1', 'bad header <img src=x onerror="alert(1)">'] \
        in page.rows


def test_write_report_html(tmp_path: Path) -> None:
    agg = aggregate(load_records())
    write_report_html(tmp_path / "report.html", agg, RUN)
    assert (tmp_path / "report.html").read_text(encoding="utf-8") == render_report_html(agg, RUN)
    assert [p.name for p in tmp_path.iterdir()] == ["report.html"]
