from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from rightsguard.model import ScreenReport
from rightsguard.report import to_json

GOLDEN = Path(__file__).parent / "golden" / "report.json"
REGEN = os.environ.get("RIGHTSGUARD_REGEN_GOLDEN") == "1"


def test_round_trips_to_the_dict(report: ScreenReport) -> None:
    assert json.loads(to_json(report)) == report.to_dict()


def test_matches_golden_file(report: ScreenReport) -> None:
    """Regenerate with ``RIGHTSGUARD_REGEN_GOLDEN=1 uv run pytest tests/report``."""
    text = to_json(report) + "\n"
    if REGEN:
        GOLDEN.write_text(text, encoding="utf-8")
    assert GOLDEN.read_text(encoding="utf-8") == text


def test_keeps_documented_key_order_and_unicode(report: ScreenReport) -> None:
    doc = json.loads(to_json(report))
    assert list(doc) == ["schema_version", "verdict", "results", "errors"]
    assert doc["schema_version"] == 1
    assert doc["verdict"] == "block"
    assert list(doc["results"][0]) == [
        "input",
        "modality",
        "language",
        "verdict",
        "notes",
        "matches",
    ]
    text = to_json(report)
    assert "吾輩は猫である" in text
    assert '\n  "verdict": "block"' in text


def test_empty_report_is_clean() -> None:
    assert json.loads(to_json(ScreenReport())) == {
        "schema_version": 1,
        "verdict": "clean",
        "results": [],
        "errors": [],
    }


def test_documented_fields_exist(report: ScreenReport) -> None:
    """Every key the report writes is documented in docs/json-format.md."""
    doc = (Path(__file__).parents[2] / "docs" / "json-format.md").read_text(encoding="utf-8")

    def keys(value: object) -> set[str]:
        if isinstance(value, dict):
            found = set(value)
            for k, v in value.items():
                if k != "identifiers":  # scheme names are data, not format keys
                    found |= keys(v)
            return found
        if isinstance(value, list):
            return set().union(*(keys(v) for v in value)) if value else set()
        return set()

    missing = sorted(k for k in keys(report.to_dict()) if f"`{k}`" not in doc)
    if missing:
        pytest.fail(f"undocumented keys in docs/json-format.md: {missing}")


def test_errors_make_the_run_at_least_review(report: ScreenReport) -> None:
    """An input that could not be read has rights that cannot be determined: never clean."""
    from rightsguard.model import Skipped, Verdict

    missing = (Skipped("nothere.py", "nothere.py: no such file"),)
    alone = ScreenReport(errors=missing)
    assert alone.verdict is Verdict.REVIEW
    assert json.loads(to_json(alone)) == {
        "schema_version": 1,
        "verdict": "review",
        "results": [],
        "errors": [{"input": "nothere.py", "reason": "nothere.py: no such file"}],
    }
    clean_and_missing = ScreenReport(report.results[3:], missing)  # a clean result
    assert clean_and_missing.verdict is Verdict.REVIEW
    # a block stays a block
    assert ScreenReport(report.results, missing).verdict is Verdict.BLOCK


def test_error_verdict_rule_is_documented() -> None:
    doc = (Path(__file__).parents[2] / "docs" / "json-format.md").read_text(encoding="utf-8")
    assert "at least `review` when `errors` is not empty" in doc


def test_a_file_name_that_is_not_utf8_is_an_escape(report: ScreenReport) -> None:
    # the bytes of a name that is not UTF-8 come as lone surrogates (surrogateescape); written
    # raw they made the document invalid UTF-8 (a newcomer's finding)
    from dataclasses import replace

    name = os.fsdecode(b"bad\xffname.txt")
    odd = ScreenReport(results=(replace(report.results[0], input=name),))
    out = to_json(odd)
    assert "\\udcff" in out
    back = json.loads(out.encode("utf-8").decode("utf-8"))
    assert os.fsencode(back["results"][0]["input"]) == b"bad\xffname.txt"
