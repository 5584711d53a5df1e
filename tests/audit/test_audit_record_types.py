"""What an audit makes of the WARC records a crawl holds besides plain 200 responses: every
record that carries content is a row of the manifest, and what it is shows there.

* ``resource`` records (a file kept without its HTTP response; WARC 1.1, record type
  'resource') are items, decided on their own signals, and a robots.txt kept as one is the
  host's file; ``request``/``metadata`` records are not content and make no row;
* a ``WARC-Truncated`` response holds only part of its payload (WARC 1.1, field
  WARC-Truncated): unreadable, so ``review`` everywhere, counted as unreadable;
* a 404/410 (any non-2xx) response is the server's error page, not the work at the URL: it
  keeps the decision its own signals give and carries an ``http-status`` note.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from audit_corpus import TEXT, Resp, page, write_warc
from rightsguard.audit.run import audit
from rightsguard.pipeline.local import LocalExecutor
from rightsguard.report.manifest import read_manifest

JURISDICTIONS = ("JP", "EU", "UK", "US", "SG")
ALLOW_ALL = b"User-agent: *\nAllow: /\n"


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    root = tmp_path_factory.mktemp("types")
    crawl = root / "types.warc.gz"
    records = {
        "x-robots": Resp("https://x.example/robots.txt", ALLOW_ALL, "2025-01-01T00:00:00Z",
                         headers=TEXT),
        # a robots.txt kept as a resource record: the host's file, disallowing everything
        "r-robots": Resp("https://r.example/robots.txt", b"User-agent: *\nDisallow: /\n",
                         "2025-01-01T00:00:00Z", kind="resource", content_type="text/plain"),
        "resource-noai": Resp("https://x.example/kept.html",
                              page("Kept", '<meta name="robots" content="noai">'),
                              kind="resource", content_type="text/html; charset=utf-8"),
        "resource-plain": Resp("https://x.example/plain.html", page("Plain"), kind="resource",
                               content_type="text/html"),
        "truncated": Resp("https://x.example/cut.html", page("Cut")[:30],
                          warc_headers=(("WARC-Truncated", "length"),)),
        "not-found": Resp("https://x.example/missing.html", page("Not found"),
                          status="404 Not Found"),
        "gone": Resp("https://x.example/gone.html", page("Gone"), status="410 Gone"),
        "r-page": Resp("https://r.example/page.html", page("R page")),
        "request": Resp("https://x.example/plain.html", b"GET /plain.html HTTP/1.1\r\n\r\n",
                        kind="request"),
        "metadata": Resp("https://x.example/plain.html", b"via: test\r\n", kind="metadata",
                         content_type="application/warc-fields"),
    }
    offsets = write_warc(crawl, list(records.values()))
    ids = {k: f"warc:{crawl}#{o}" for k, o in zip(records, offsets, strict=True)}
    result = audit([crawl], out=root / "out", jurisdictions=JURISDICTIONS,
                   executor=LocalExecutor(workers=1))
    return {"ids": ids, "out": root / "out", "result": result,
            "records": {r.id: r for r in read_manifest(root / "out")}}


def verdicts(run: dict[str, Any], key: str) -> tuple[str, ...]:
    return tuple(d.verdict for d in run["records"][run["ids"][key]].decisions)


def test_every_content_record_is_a_row(run: dict[str, Any]) -> None:
    ids = run["ids"]
    assert list(run["records"]) == [ids[k] for k in (
        "resource-noai", "resource-plain", "truncated", "not-found", "gone", "r-page")]
    assert (run["result"].items, run["result"].unreadable) == (6, 1)


def test_resource_records_are_decided_on_their_signals(run: dict[str, Any]) -> None:
    kept = run["records"][run["ids"]["resource-noai"]]
    assert (kept.media_type, kept.modality, kept.error) == ("text/html", "text", None)
    assert [(s.kind, s.carrier, s.value) for s in kept.signals] == [
        ("robots", "robots.txt", "allowed for all 42 evaluated tokens"),
        ("noai", "html-meta", "noai")]
    # noai (S3): JP review, EU exclude (Art. 4(3)), UK exclude, US review, SG allow
    assert verdicts(run, "resource-noai") == ("review", "exclude", "exclude", "review", "allow")
    # nothing reserved (U2): UK excludes commercial training, the others allow
    assert verdicts(run, "resource-plain") == ("allow", "allow", "exclude", "allow", "allow")
    # the resource robots.txt of r.example disallows everything for every token
    r_page = run["records"][run["ids"]["r-page"]]
    assert {(s.kind, s.value, s.state) for s in r_page.signals} == {
        ("robots", "disallow /", "reserved")}
    assert r_page.signals[0].evidence.startswith(
        f"robots.txt of r.example (HTTP 200, captured 2025-01-01T00:00:00Z) from "
        f"{run['ids']['r-robots']} (a WARC resource record: no HTTP response, its block read "
        "as the file): /page.html disallowed for *")
    assert verdicts(run, "r-page") == ("review", "exclude", "exclude", "review", "allow")


def test_a_truncated_payload_is_unreadable_and_reviewed(run: dict[str, Any]) -> None:
    cut = run["records"][run["ids"]["truncated"]]
    assert cut.error is not None and cut.error.endswith(
        ": WARC-Truncated: length — the crawler kept only part of the payload (WARC 1.1, field "
        "WARC-Truncated), so rights signals in the rest cannot be read")
    assert verdicts(run, "truncated") == ("review",) * 5
    assert [r.rule for r in cut.decisions[1].reasons] == ["EU:unreadable"]
    report = json.loads((run["out"] / "report.json").read_text("utf-8"))
    assert report["unreadable"]["items"] == 1
    assert report["unreadable"]["examples"] == [{"id": cut.id, "error": cut.error}]


@pytest.mark.parametrize(("key", "status"), [("not-found", 404), ("gone", 410)])
def test_an_error_page_carries_a_note(run: dict[str, Any], key: str, status: int) -> None:
    record = run["records"][run["ids"][key]]
    notes = [s for s in record.signals if s.kind == "http-status"]
    assert [(s.carrier, s.value, s.scope, s.state) for s in notes] == [
        ("warc", f"HTTP {status}", "*", "n/a")]
    assert notes[0].evidence == (
        f"response of {record.source}: HTTP {status} is not 2xx (Successful, RFC 9110 §15.3) "
        "but a client-error page (§15.5): the payload is what the server sent instead of the "
        "resource, not the work at this URL")
    # the page's own signals decide it (x.example allows everything)
    assert verdicts(run, key) == ("allow", "allow", "exclude", "allow", "allow")
    report = json.loads((run["out"] / "report.json").read_text("utf-8"))
    assert {"kind": "http-status", "state": "n/a", "items": 2} in report["signals"]
