"""TDMRep: the spec's examples, first match in file order, precedence, malformed files."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from rightsguard.model import RightsSignal
from rightsguard.signals.tdmrep import (
    TdmrepFile,
    resolve_tdmrep,
    tdmrep_file_signals,
    tdmrep_header_signals,
    tdmrep_html_signals,
)

WEB = Path(__file__).parent / "data" / "web"
EXT = "rightsguard.signals.tdmrep"
POLICY = "https://provider.com/policies/policy.json"


def _file(body: bytes | str | list | dict, status: int | None = 200) -> TdmrepFile:  # type: ignore[type-arg]
    if isinstance(body, list | dict):
        body = json.dumps(body)
    raw = body.encode() if isinstance(body, str) else body
    return TdmrepFile("provider.com", status, raw, "2026-02-03T00:00:00Z", "t.warc#5")


def _one(signals: list[RightsSignal]) -> tuple[str, str, str]:
    assert len(signals) == 1
    s = signals[0]
    assert (s.kind, s.scope, s.extractor) == ("tdmrep", "*", EXT)
    return s.carrier, s.value, s.state


# -- site file ------------------------------------------------------------------------------

SPEC = (WEB / "tdmrep-spec-example.json").read_bytes()


@pytest.mark.parametrize(
    ("path", "value", "state"),
    [
        ("/directory-a/doc.pdf", "tdm-reservation=1", "reserved"),
        ("/directory-b/html/page.html", f"tdm-reservation=1, tdm-policy={POLICY}", "reserved"),
        ("/directory-b/images/photo.jpg", "tdm-reservation=0", "not-reserved"),
        ("/directory-b/images/photo.png", "unset: no rule matches /directory-b/images/photo.png",
         "not-reserved"),
        ("/DIRECTORY-A/doc.pdf", "unset: no rule matches /DIRECTORY-A/doc.pdf",
         "not-reserved"),  # matching is case-sensitive
    ],
)
def test_spec_example_three_groups(path: str, value: str, state: str) -> None:
    signals = tdmrep_file_signals(_file(SPEC), f"https://provider.com{path}")
    assert _one(signals) == ("tdmrep.json", value, state)


def test_spec_example_site_wide_opt_out() -> None:
    signals = tdmrep_file_signals(_file([{"location": "/", "tdm-reservation": 1}]),
                                  "https://provider.com/any/thing")
    assert _one(signals) == ("tdmrep.json", "tdm-reservation=1", "reserved")
    assert signals[0].evidence == (
        "tdmrep.json of provider.com (HTTP 200, captured 2026-02-03T00:00:00Z) from t.warc#5: "
        "rule 1 location '/' matches /any/thing")


def test_first_match_in_file_order_wins_not_the_longest() -> None:
    rules = [{"location": "/", "tdm-reservation": 0},
             {"location": "/books/", "tdm-reservation": 1}]
    signals = tdmrep_file_signals(_file(rules), "https://provider.com/books/1")
    assert _one(signals) == ("tdmrep.json", "tdm-reservation=0", "not-reserved")
    assert "rule 1" in signals[0].evidence


def test_policy_is_ignored_when_not_reserved() -> None:
    rules = [{"location": "/", "tdm-reservation": 0, "tdm-policy": POLICY}]
    assert _one(tdmrep_file_signals(_file(rules), "https://provider.com/x"))[1] == \
        "tdm-reservation=0"


def test_location_wildcards_and_anchor() -> None:
    rules = [{"location": "/a/*.pdf$", "tdm-reservation": 1}]
    assert _one(tdmrep_file_signals(_file(rules), "https://provider.com/a/b/c.pdf"))[2] == \
        "reserved"
    assert _one(tdmrep_file_signals(_file(rules), "https://provider.com/a/c.pdf.html"))[2] == \
        "not-reserved"


@pytest.mark.parametrize(
    ("body", "value"),
    [
        ('{"location": "/", "tdm-reservation": 1}',
         "malformed: the file is an object, not an array of rules"),
        ('[{"location": "/", "tdm-reservation": 1},]',
         "malformed: invalid JSON ("),  # the rest is json's message, which varies by version
        (b"\xff\xfe[]", "malformed: not UTF-8 (byte offset 0)"),
        ("[" * 100_000 + "]" * 100_000, "malformed: invalid JSON ("),  # nesting bomb
        ('["/"]', "malformed: rule 1 is str, not an object"),
        ('[{"tdm-reservation": 1}]', "malformed: rule 1 location None is not a non-empty string"),
        ('[{"location": "/", "tdm-reservation": "1"}]',
         "malformed: rule 1 tdm-reservation '1' is not the number 0 or 1 (protocol error: unset)"),
        ('[{"location": "/", "tdm-reservation": 2}]',
         "malformed: rule 1 tdm-reservation 2 is not the number 0 or 1 (protocol error: unset)"),
        ('[{"location": "/", "tdm-reservation": true}]',
         "malformed: rule 1 tdm-reservation True is not the number 0 or 1 (protocol error: "
         "unset)"),
        ('[{"location": "/"}]', "malformed: rule 1 has no tdm-reservation (mandatory)"),
    ],
)
def test_malformed_files_are_unknown(body: str | bytes, value: str) -> None:
    signals = tdmrep_file_signals(_file(body), "https://provider.com/x")
    carrier, got, state = _one(signals)
    assert (carrier, state) == ("tdmrep.json", "unknown")
    assert got == value or (value.endswith("(") and got.startswith(value) and got.endswith(")"))


def test_malformed_rule_after_the_match_does_not_matter() -> None:
    rules = [{"location": "/x", "tdm-reservation": 1}, {"tdm-reservation": 1}]
    assert _one(tdmrep_file_signals(_file(rules), "https://provider.com/x"))[2] == "reserved"
    assert _one(tdmrep_file_signals(_file(rules), "https://provider.com/y"))[1] == \
        "malformed: rule 2 location None is not a non-empty string"


@pytest.mark.parametrize("status", [404, 500, None])
def test_no_successful_response_means_unset(status: int | None) -> None:
    signals = tdmrep_file_signals(_file(SPEC, status), "https://provider.com/directory-a/x")
    assert _one(signals) == ("tdmrep.json", "unset: no tdmrep.json served", "not-reserved")


def test_no_capture_gives_no_signal() -> None:
    assert tdmrep_file_signals(None, "https://provider.com/x") == []


# -- headers and HTML -----------------------------------------------------------------------


def test_header_spec_examples() -> None:
    assert _one(tdmrep_header_signals([("Content-type", "image/jpg"),
                                       ("tdm-reservation", "1")])) == (
        "http-header", "tdm-reservation=1", "reserved")
    signals = tdmrep_header_signals([("TDM-Reservation", " 1 "), ("tdm-policy", POLICY)],
                                    evidence_prefix="response of https://provider.com/a")
    assert _one(signals) == ("http-header", f"tdm-reservation=1, tdm-policy={POLICY}",
                             "reserved")
    assert signals[0].evidence == (f"response of https://provider.com/a: header "
                                   f"tdm-reservation:  1 , tdm-policy: {POLICY}")


@pytest.mark.parametrize(
    ("headers", "value", "state"),
    [
        ([("tdm-reservation", "0")], "tdm-reservation=0", "not-reserved"),
        ([("tdm-reservation", "yes")],
         "malformed: tdm-reservation 'yes' is not 0 or 1 (protocol error: unset)", "unknown"),
        ([("tdm-reservation", "1"), ("tdm-reservation", "0")],
         "malformed: conflicting tdm-reservation values ['0', '1']", "unknown"),
    ],
)
def test_header_values(headers: list[tuple[str, str]], value: str, state: str) -> None:
    assert _one(tdmrep_header_signals(headers)) == ("http-header", value, state)


def test_no_header_no_signal() -> None:
    assert tdmrep_header_signals([("tdm-policy", POLICY)]) == []


def test_html_spec_example() -> None:
    signals = tdmrep_html_signals((WEB / "page-tdm-noai.html").read_bytes())
    assert _one(signals) == ("html-meta", f"tdm-reservation=1, tdm-policy={POLICY}", "reserved")
    assert signals[0].evidence.startswith('<meta name="tdm-reservation" content="1">')


def test_broken_html_never_raises() -> None:
    # lexbor reads the unterminated attribute as the value "0<meta": a protocol error
    html = b"<html><head><meta name=tdm-reservation content=0<meta name=x></head"
    assert _one(tdmrep_html_signals(html)) == (
        "html-meta", "malformed: tdm-reservation '0<meta' is not 0 or 1 (protocol error: unset)",
        "unknown")
    assert _one(tdmrep_html_signals("<meta name='TDM-Reservation' content='0'>"))[2] == \
        "not-reserved"
    assert tdmrep_html_signals(b"\x00\xff\xfe garbage") == []


# -- precedence (spec "Processing priority") -------------------------------------------------


def _sig(carrier: str, value: str, state: str) -> RightsSignal:
    return RightsSignal("tdmrep", carrier, value, "*", state, f"{carrier} evidence", EXT)


FILE_1 = _sig("tdmrep.json", "tdm-reservation=1", "reserved")
FILE_UNSET = _sig("tdmrep.json", "unset: no rule matches /x", "not-reserved")
HEADER_0 = _sig("http-header", "tdm-reservation=0", "not-reserved")
HTML_1 = _sig("html-meta", "tdm-reservation=1", "reserved")
HTML_BAD = _sig("html-meta", "malformed: tdm-reservation 'x' is not 0 or 1", "unknown")
PDF_0 = _sig("pdf", "tdm-reservation=0", "not-reserved")


def test_header_supersedes_file_and_says_so() -> None:
    result = resolve_tdmrep([HEADER_0, FILE_1])
    assert result is not None
    assert (result.carrier, result.value, result.state) == ("http-header", "tdm-reservation=0",
                                                            "not-reserved")
    assert result.evidence == ("http-header evidence (supersedes tdmrep.json tdm-reservation=1: "
                               "TDMRep processing priority)")


def test_html_supersedes_header_and_embedded_supersedes_html() -> None:
    assert resolve_tdmrep([FILE_1, HEADER_0, HTML_1]).carrier == "html-meta"  # type: ignore[union-attr]
    assert resolve_tdmrep([HTML_1, PDF_0, HEADER_0]).value == "tdm-reservation=0"  # type: ignore[union-attr]


def test_absence_and_protocol_errors_never_reset() -> None:
    assert resolve_tdmrep([FILE_1, HTML_BAD]) == FILE_1
    assert resolve_tdmrep([FILE_UNSET, HEADER_0]) == HEADER_0
    assert resolve_tdmrep([FILE_1]) == FILE_1  # no header, no meta: the file stands


def test_without_a_definite_value() -> None:
    assert resolve_tdmrep([FILE_UNSET, HTML_BAD]) == HTML_BAD
    assert resolve_tdmrep([FILE_UNSET]) == FILE_UNSET
    assert resolve_tdmrep([]) is None
    other = RightsSignal("noai", "html-meta", "noai", "*", "reserved", "e", "x")
    assert resolve_tdmrep([other]) is None
