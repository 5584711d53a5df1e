from __future__ import annotations

import dataclasses
import io

from rich.console import Console

from rightsguard.model import (
    LicenceCategory,
    ScreenReport,
    Work,
)
from rightsguard.report import attribution_notice, render_human, render_side_by_side

NOTICE = (
    "This output reproduces Lib/json/decoder.py by Python Software Foundation, licensed PSF-2.0. "
    "Source: https://github.com/python/cpython/blob/0fb18b02c8ad56299d6a2910be0bab8ad601ef24/"
    "Lib/json/decoder.py"
)


def _console() -> tuple[Console, io.StringIO]:
    out = io.StringIO()
    return Console(file=out, record=True, width=120), out


def test_tables_name_work_licence_and_verdicts(report: ScreenReport) -> None:
    console, out = _console()
    render_human(report, console)
    text = console.export_text()
    for expected in (
        "src/app/jsonutil.py",
        "Lib/json/decoder.py",
        "Python Software Foundation",
        "PSF-2.0",
        "(permissive)",
        "GPL-3.0-or-later",
        "吾輩は猫である",
        "903 chars",
        "241 tokens",
        "output 61.2%",
        "verbatim",
        "code-exact",
        "no reproductions found",
        "invalid UTF-8 decoded with replacement",
        "copyleft code over 150 non-whitespace characters",
    ):
        assert expected in text, expected
    assert "\x1b[" not in out.getvalue()  # not a terminal: no colour codes


def test_attribution_notice_is_one_pasteable_line(report: ScreenReport) -> None:
    console, _ = _console()
    render_human(report, console)
    lines = console.export_text().splitlines()
    assert NOTICE in lines
    # only the attribute match gets a notice
    assert sum(line.startswith("This output reproduces") for line in lines) == 1


def test_notice_can_be_turned_off(report: ScreenReport) -> None:
    console, _ = _console()
    render_human(report, console, show_notice=False)
    assert "This output reproduces" not in console.export_text()


def test_summary_line(report: ScreenReport) -> None:
    console, _ = _console()
    render_human(report, console)
    last = console.export_text().rstrip().splitlines()[-1]
    expected = "Run verdict: block — 4 inputs, 4 matches (1 block, 1 review, 1 attribute, 1 clean)"
    assert last == expected


def test_parts_of_one_input_count_as_one_input(report: ScreenReport) -> None:
    # a markdown answer is screened in parts, one result each; the run had one input
    first = report.results[0]
    parts = dataclasses.replace(report, results=(first, dataclasses.replace(first, matches=())))
    console, _ = _console()
    render_human(parts, console)
    last = console.export_text().rstrip().splitlines()[-1]
    assert last.startswith(f"Run verdict: {first.verdict.label} — 1 input, "
                           f"{len(first.matches)} match")


def test_empty_report_summary() -> None:
    console, _ = _console()
    render_human(ScreenReport(), console)
    assert console.export_text().strip() == "Run verdict: clean — no input screened"


def test_values_are_not_rich_markup() -> None:
    work = Work(
        work_id="0" * 64,
        title="[red]x[/red] [bold]",
        holders=("A [b]",),
        licence="MIT",
        licence_category=LicenceCategory.PERMISSIVE,
        modality="code",
    )
    assert attribution_notice(work) == (
        "This output reproduces [red]x[/red] [bold] by A [b], licensed MIT."
    )
    console, _ = _console()
    console.print(attribution_notice(work), markup=False)
    assert "[red]x[/red] [bold]" in console.export_text()


def test_side_by_side(report: ScreenReport) -> None:
    rows = [
        ("copied GPL", report.results[1]),
        ("stdlib json", report.results[0]),
        ("fresh code", report.results[3]),
    ]
    console, _ = _console()
    render_side_by_side(rows, console)
    text = console.export_text()
    for expected in (
        "copied GPL",
        "stdlib json",
        "fresh code",
        "block",
        "attribute",
        "clean",
        "history.c",
        "Lib/json/decoder.py",
        "no reproduction found",
    ):
        assert expected in text, expected
    header = next(line for line in text.splitlines() if "copied GPL" in line)
    assert header.index("copied GPL") < header.index("stdlib json") < header.index("fresh code")


def test_side_by_side_top_match_is_most_severe(report: ScreenReport) -> None:
    result = report.results[2]  # a clean match first, then a review match
    console, _ = _console()
    render_side_by_side([("mixed", result)], console)
    text = console.export_text()
    assert "Council votes to close the harbour bridge" in text
    assert "+1 more match" in text
    assert "吾輩は猫である" not in text
    assert text.rstrip().endswith("--format json lists every match")  # where the rest are


def test_side_by_side_without_more_matches_has_no_pointer(report: ScreenReport) -> None:
    one = next(r for r in report.results if len(r.matches) == 1)
    console, _ = _console()
    render_side_by_side([("one", one)], console)
    assert "--format json" not in console.export_text()


def test_errors_are_printed_with_a_review_run_verdict(report: ScreenReport) -> None:
    from rightsguard.model import Skipped

    long_name = "/tmp/" + "a-very-long-folder-name/" * 6 + "nothere.py"
    missing = ScreenReport(errors=(Skipped(long_name, f"{long_name}: no such file"),))
    console, _ = _console()
    render_human(missing, console)
    lines = console.export_text().rstrip().splitlines()
    assert lines[0] == f"{long_name} — review: not screened, its rights cannot be determined"
    assert f"  error: {long_name}: no such file" in lines  # one line, not wrapped
    assert lines[-1] == (
        "Run verdict: review — no input screened, 1 input not screened (error)"
    )
    # with results: the errors come after them and the summary counts both
    both = ScreenReport(report.results, missing.errors)
    console, _ = _console()
    render_human(both, console)
    text = console.export_text()
    assert text.index("src/app/__init__.py") < text.index(f"  error: {long_name}")
    assert text.rstrip().splitlines()[-1] == (
        "Run verdict: block — 4 inputs, 4 matches (1 block, 1 review, 1 attribute, 1 clean), "
        "1 input not screened (error)"
    )


def test_a_clean_part_of_a_markdown_answer_is_not_read_as_a_clean_input(
        report: ScreenReport) -> None:
    """A newcomer's markdown answer printed "q1.md — clean: no reproductions found" for its
    prose part first, and the attributed code part after it: the file looked clean."""
    prose = dataclasses.replace(report.results[3], input="answer.md", modality="text",
                                language=None, notes=("part text at lines 1-2",))
    parts = ScreenReport(results=(prose, report.results[2]))  # answer.md: clean, then review
    console, _ = _console()
    render_human(parts, console)
    text = console.export_text()
    assert ("answer.md — clean: no reproductions found in this part (the input has 2 parts, "
            "verdict review)") in text
    # a one-part input keeps the short line
    console, _ = _console()
    render_human(ScreenReport(results=(report.results[3],)), console)
    assert "src/app/__init__.py — clean: no reproductions found\n" in console.export_text()


def test_control_characters_in_values_are_printed_as_escapes(report: ScreenReport) -> None:
    """A catalogue row's title with an ANSI escape and a right-to-left override was printed
    raw: it recoloured the terminal and reordered the line (Trojan Source, CVE-2021-42574)."""
    result = report.results[0]
    match = result.matches[0]
    work = dataclasses.replace(match.work, title="Evil\x1b[2J\x1b[31m title\u202e",
                               holders=("Holder\x07",))
    hostile = dataclasses.replace(report, results=(dataclasses.replace(
        result, matches=(dataclasses.replace(match, work=work), *result.matches[1:])),
        *report.results[1:]))
    console, _ = _console()
    render_human(hostile, console)
    text = console.export_text()
    assert "\x1b" not in text and "\u202e" not in text and "\x07" not in text
    assert "Evil\\x1b[2J\\x1b[31m title\\u202e" in text
    assert "Holder\\x07" in text
