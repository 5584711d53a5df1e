from __future__ import annotations

import pickle
from pathlib import Path

import pytest
from warc_helpers import Resp, write_warc

from rightsguard.corpus.hosts import MAX_HOST_FILE_BYTES, HostFile, HostFiles, host_file_kind
from rightsguard.corpus.warc import read_warc

HOSTS = Path(__file__).parent / "data" / "audit" / "hosts"
TEXT = [("Content-Type", "text/plain")]


def test_host_file_kind() -> None:
    assert host_file_kind("https://example.com/robots.txt") == "robots.txt"
    assert host_file_kind("https://example.com/.well-known/tdmrep.json") == "tdmrep.json"
    assert host_file_kind("http://example.com:8080/ai.txt") == "ai.txt"
    assert host_file_kind("https://example.com/robots.txt?x=1") is None
    assert host_file_kind("https://example.com/a/robots.txt") is None
    assert host_file_kind("/robots.txt") is None


def test_folder_with_status_files() -> None:
    files = HostFiles.from_folder(HOSTS)
    assert files.hosts("robots.txt") == ["bad-status.example", "example.com", "gone.example",
                                         "unreachable.example", "xn--bcher-kva.example"]
    robots = files.robots_for("Example.COM", "2025-01-01T00:00:00Z")
    where = HOSTS / "example.com" / "robots.txt"
    assert robots == HostFile("example.com", 200, b"User-agent: GPTBot\nDisallow: /\n", None,
                              f"robots.txt of example.com (HTTP 200) from {where}")
    unreachable = files.robots_for("unreachable.example")
    assert unreachable is not None and (unreachable.status, unreachable.body) == (503, b"")
    assert unreachable.evidence == (
        "robots.txt of unreachable.example (HTTP 503) from"
        f" {HOSTS / 'unreachable.example' / 'robots.txt'} with robots.status")
    gone = files.robots_for("gone.example")
    assert gone is not None and gone.status == 404
    bad = files.robots_for("bad-status.example")
    assert bad is not None and bad.status is None and bad.body == b"User-agent: *\nDisallow:\n"
    assert bad.evidence.endswith("; robots.status holds 'OK', not an HTTP status (100-599)")
    # a status file that holds no status leaves the capture unreadable, not "unreachable"
    assert bad.problem == "robots.status holds 'OK', not an HTTP status (100-599)"
    assert (robots.problem, unreachable.problem, gone.problem) == ("", "", "")
    idn = files.robots_for("www.bücher.example".removeprefix("www."))
    assert idn is not None and idn.body == b"User-agent: *\nDisallow: /privat/\n"
    tdm = files.tdmrep_for("example.com")
    assert tdm is not None and tdm.body == b'[{"location": "/", "tdm-reservation": 1}]\n'
    assert tdm.status == 200
    ai = files.ai_txt_for("example.com")
    assert ai is not None and ai.body.startswith(b"# Spawning AI")
    assert files.ai_txt_for("gone.example") is None and files.tdmrep_for("gone.example") is None
    assert files.robots_for("unknown.example") is None  # no record: the audit says unknown
    assert pickle.loads(pickle.dumps(files)).robots_for("gone.example") == gone


def _robots_warc(tmp_path: Path) -> tuple[Path, list[int]]:
    path = tmp_path / "robots.warc.gz"
    offsets = write_warc(path, [
        Resp("https://a.com/robots.txt", b"v1", date="2025-01-01T00:00:00Z", headers=TEXT),
        Resp("https://a.com/robots.txt", b"", date="2025-01-03T00:00:00Z",
             status="503 Service Unavailable", headers=TEXT),
        Resp("https://a.com/robots.txt", b"v3", date="2025-01-05T00:00:00Z", headers=TEXT),
        Resp("https://b.com/robots.txt", b"", date="2025-01-01T00:00:00Z",
             status="301 Moved Permanently",
             headers=[("Location", "https://www.b.com/robots.txt")]),
        Resp("https://www.b.com/robots.txt", b"vb", date="2025-01-01T00:00:05Z",
             headers=TEXT),
        Resp("https://c.com/robots.txt", b"", date="2025-01-01T00:00:00Z",
             status="302 Found", headers=[("Location", "/elsewhere/robots.txt")]),
        Resp("https://a.com/page", b"<p>page</p>", date="2025-01-02T00:00:00Z"),
    ], gzip=True)
    return path, offsets


@pytest.mark.parametrize(("at", "body", "status", "note"), [
    # latest capture at or before the page
    ("2025-01-02T12:00:00Z", b"v1", 200, " older than it (RFC 9309 §2.4"),
    ("2025-01-01T06:00:00Z", b"v1", 200, None),
    ("2025-01-03T00:00:00Z", b"", 503, None),  # at the very time: that capture
    ("2025-01-04T23:00:00Z", b"", 503, "; latest capture before the page, 1 d 23 h older"),
    ("2025-01-05T01:00:00Z", b"v3", 200, None),
    ("2025-02-01T00:00:00Z", b"v3", 200, "; latest capture before the page, 27 d 0 h older"),
    # none before: the earliest after, said so, when it is at most 24 h later
    ("2024-12-31T23:00:00Z", b"v1", 200, "; captured after the page (no earlier capture)"),
    # no page time: the latest
    (None, b"v3", 200, None),
])
def test_capture_in_force(tmp_path: Path, at: str | None, body: bytes, status: int,
                          note: str | None) -> None:
    path, _offsets = _robots_warc(tmp_path)
    files = HostFiles.from_warc(path)
    chosen = files.robots_for("a.com", at)
    assert chosen is not None and (chosen.body, chosen.status) == (body, status)
    if note is None:
        assert chosen.evidence.count(";") == 0
    else:
        assert note in chosen.evidence


def test_capture_long_after_the_page_is_no_capture(tmp_path: Path) -> None:
    """RFC 9309 §2.4: a robots.txt fetched two days after the page says nothing of what was in
    force when the page was fetched — no capture (the robots signal is then unknown)."""
    path, _offsets = _robots_warc(tmp_path)
    files = HostFiles.from_warc(path)
    assert files.robots_for("a.com", "2024-12-30T00:00:00Z") is None
    assert files.robots_for("a.com", "2024-12-31T00:00:01Z") is not None  # 23 h 59 m 59 s


def test_warc_evidence_and_redirects(tmp_path: Path) -> None:
    path, offsets = _robots_warc(tmp_path)
    files = HostFiles.from_warc(path)
    assert len(files) == 6  # the page is not a host file
    first = files.robots_for("a.com", "2025-01-01T00:00:00Z")
    assert first is not None and first.evidence == (
        "robots.txt of a.com (HTTP 200, captured 2025-01-01T00:00:00Z) from"
        f" warc:{path}#{offsets[0]}")
    followed = files.robots_for("b.com", "2025-01-02T00:00:00Z")
    assert followed is not None and (followed.host, followed.status, followed.body) == (
        "b.com", 200, b"vb")
    assert "redirected (https://www.b.com/robots.txt) to robots.txt of www.b.com" in \
        followed.evidence
    dangling = files.robots_for("c.com", "2025-01-02T00:00:00Z")
    assert dangling is not None and dangling.status == 302
    assert dangling.evidence.endswith(
        "; redirect to https://c.com/elsewhere/robots.txt not captured")


def test_a_capture_applies_to_its_own_origin_only(tmp_path: Path) -> None:
    """RFC 9309 §2.3: robots.txt is scoped to scheme, host and port. An http page reads the
    http file even when the https one is newer; a page on :80 has no capture when only :8080's
    was taken; folder files (no scheme) apply to every origin of their host."""
    path = tmp_path / "o.warc.gz"
    write_warc(path, [
        Resp("http://s1.com/robots.txt", b"User-agent: GPTBot\nDisallow: /",
             date="2025-05-01T00:00:00Z"),
        Resp("https://s1.com/robots.txt", b"User-agent: *\nAllow: /",
             date="2025-05-02T00:00:00Z"),
        Resp("http://s2.com:8080/robots.txt", b"open", date="2025-05-01T00:00:00Z"),
        Resp("HTTPS://S3.com:443/robots.txt", b"s3", date="2025-05-01T00:00:00Z"),
    ], gzip=True)
    files = HostFiles.from_warc(path)
    at = "2025-05-03T00:00:00Z"
    http = files.robots_for("s1.com", at, url="http://s1.com/doc.html")
    https = files.robots_for("s1.com", at, url="https://s1.com/doc.html")
    assert http is not None and http.body == b"User-agent: GPTBot\nDisallow: /"
    assert https is not None and https.body == b"User-agent: *\nAllow: /"
    assert files.robots_for("s2.com", at, url="http://s2.com/doc.html") is None
    on_port = files.robots_for("s2.com", at, url="http://s2.com:8080/x")
    assert on_port is not None and on_port.body == b"open"
    same = files.robots_for("s3.com", at, url="https://s3.com/x")  # default port, any case
    assert same is not None and same.body == b"s3"
    assert files.robots_for("s1.com", at) is https  # no URL: any origin, latest capture
    folder = tmp_path / "hosts" / "s2.com"
    folder.mkdir(parents=True)
    (folder / "robots.txt").write_bytes(b"from the folder")
    files.merge(HostFiles.from_folder(folder.parent))
    declared = files.robots_for("s2.com", at, url="https://s2.com/doc.html")
    assert declared is not None and declared.body == b"from the folder"


def test_origin_of() -> None:
    from rightsguard.corpus.hosts import origin_of

    assert origin_of("HTTP://Example.COM:80/a?b") == "http://example.com"
    assert origin_of("https://example.com:8443/") == "https://example.com:8443"
    assert origin_of("http://bücher.de/") == "http://xn--bcher-kva.de"
    assert origin_of("http://[::1]:8080/") == "http://[::1]:8080"
    assert origin_of("/relative/path") is None
    assert origin_of("http://a.com:99999/") is None


def test_collect_splits_host_files_from_pages(tmp_path: Path) -> None:
    path = tmp_path / "mixed.warc"
    big = b"#" * (MAX_HOST_FILE_BYTES + 10)
    write_warc(path, [
        Resp("http://x.org/", b"<p>home</p>"),
        Resp("http://x.org/robots.txt", big, headers=TEXT),
        Resp("http://x.org/.well-known/tdmrep.json", b"[]", headers=TEXT),
        Resp("http://x.org/ai.txt", b"User-Agent: *", headers=TEXT),
        Resp("http://x.org/about", b"<p>about</p>"),
    ], gzip=False)
    files = HostFiles()
    pages = list(files.collect(read_warc(path)))
    assert [p.source for p in pages] == ["http://x.org/", "http://x.org/about"]
    robots = files.robots_for("x.org")
    assert robots is not None and len(robots.body) == MAX_HOST_FILE_BYTES
    assert robots.evidence.endswith(f"; cut at {MAX_HOST_FILE_BYTES} bytes (RFC 9309 §2.5)")
    tdm = files.tdmrep_for("x.org")
    assert tdm is not None and tdm.body == b"[]"
    assert files.ai_txt_for("x.org") is not None


def test_unreadable_capture_has_no_status(tmp_path: Path) -> None:
    path = tmp_path / "t.warc"
    write_warc(path, [Resp("http://y.org/robots.txt", b"User-agent: *\nDisallow: /x",
                           headers=TEXT)], gzip=False)
    path.write_bytes(path.read_bytes()[:-10])  # truncated body
    files = HostFiles.from_warc(path)
    robots = files.robots_for("y.org")
    assert robots is not None and (robots.status, robots.body) == (None, b"")
    assert "unreadable" in robots.evidence and "truncated" in robots.evidence
    assert robots.problem == (f"the capture cannot be read: {path} record at byte 294: "
                              "truncated (body has 20 of 26 bytes)")


def test_a_damaged_capture_is_unknown_not_disallow_all(tmp_path: Path) -> None:
    """RFC 9309 §2.3.1.4's "disallow all" is for a host the crawler could not reach; a capture
    that was fetched but whose copy is damaged says nothing about the host: robots.txt and
    tdmrep.json read as unknown (review), never as a reservation or as an allow."""
    from rightsguard.signals.robots import RobotsFile, RobotsRules
    from rightsguard.signals.tdmrep import TdmrepFile, tdmrep_file_signals

    path = tmp_path / "t.warc"
    write_warc(path, [Resp("http://y.org/.well-known/tdmrep.json",
                           b'[{"location": "/", "tdm-reservation": 1}]', headers=TEXT),
                      Resp("http://y.org/robots.txt", b"User-agent: *\nDisallow: /x",
                           headers=TEXT)], gzip=False)
    path.write_bytes(path.read_bytes()[:-10])  # the robots.txt body is cut
    files = HostFiles.from_warc(path)
    robots = files.robots_for("y.org")
    assert robots is not None
    [signal] = RobotsRules(RobotsFile(robots.host, robots.status, robots.body, None,
                                      robots.evidence, robots.problem)
                           ).signals("http://y.org/a", ["*"])
    assert (signal.state, signal.value) == ("unknown", robots.problem)
    assert signal.evidence.startswith("robots.txt of y.org (unreadable, captured")
    reachable_503 = RobotsRules(RobotsFile("y.org", None)).signals("http://y.org/a", ["*"])
    assert reachable_503[0].state == "reserved"  # a host not reached is still disallow all
    [tdm] = tdmrep_file_signals(TdmrepFile("y.org", None, b"", None, "t.warc#0",
                                           "the capture cannot be read: truncated"),
                                "http://y.org/a")
    assert (tdm.state, tdm.value) == (
        "unknown", "unreadable: the capture cannot be read: truncated")


def test_a_resource_record_is_the_file_not_an_unreachable_host(tmp_path: Path) -> None:
    """A robots.txt stored as a WARC ``resource`` record has no HTTP status: its block is the
    file (WARC 1.1, record type 'resource'), read as a 200 capture like a folder file — not as
    an unreachable host's "disallow all" (RFC 9309 §2.3.1.4)."""
    path = tmp_path / "r.warc.gz"
    offsets = write_warc(path, [Resp("https://r.com/robots.txt", b"User-agent: *\nDisallow: /\n",
                                     kind="resource", content_type="text/plain")], gzip=True)
    robots = HostFiles.from_warc(path).robots_for("r.com", "2025-01-01T00:00:00Z")
    assert robots == HostFile(
        "r.com", 200, b"User-agent: *\nDisallow: /\n", "2025-01-01T00:00:00Z",
        f"robots.txt of r.com (HTTP 200, captured 2025-01-01T00:00:00Z) from "
        f"warc:{path}#{offsets[0]} (a WARC resource record: no HTTP response, its block read "
        "as the file)")


def test_add_rejects_unknown_kind() -> None:
    with pytest.raises(ValueError, match="unknown host file kind 'sitemap'"):
        HostFiles().add("sitemap", HostFile("a.com", 200, b"", None, "x"))
