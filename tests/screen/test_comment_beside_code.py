"""A work's comment copied apart from its copied code is reported too: a file header above the
copied code, separated by a new line, was dropped because the work already had a code match
(a newcomer's 90-word Go header vanished from the report)."""

from __future__ import annotations

import multiprocessing.resource_tracker
from pathlib import Path

from one_work import screener_of

MODULE = Path(multiprocessing.resource_tracker.__file__)
HEADER_LINES = 16  # the module opens with 16 comment lines (138 words) before its code


def test_header_comment_and_code_are_both_reported(tmp_path: Path) -> None:
    screener = screener_of(tmp_path, MODULE)
    lines = MODULE.read_text("utf-8").splitlines(keepends=True)
    assert all(line.startswith("#") for line in lines[:HEADER_LINES])
    assert not lines[HEADER_LINES].startswith("#")
    output = "".join(lines[:HEADER_LINES]) + "import zlib  # added\n" + \
        "".join(lines[HEADER_LINES:HEADER_LINES + 60])
    [result] = screener.screen_text(output, language="python")
    found = sorted((m.channel, m.output_span.start_line, m.output_span.end_line)
                   for m in result.matches)
    channels = [c for c, _a, _b in found]
    assert "text" in channels and "code-exact" in channels, found
    text = next(m for m in result.matches if m.channel == "text")
    # the header from its first words (line 2; line 1 is a row of #), in output and work
    assert (text.output_span.start_line, text.output_span.end_line) == (2, HEADER_LINES)
    assert (text.work_span.start_line, text.work_span.end_line) == (2, HEADER_LINES)
    code = next(m for m in result.matches if m.channel == "code-exact")
    assert code.output_span.start_line > HEADER_LINES  # the code match does not hold the header


def test_comments_inside_a_code_match_are_not_reported_twice(tmp_path: Path) -> None:
    screener = screener_of(tmp_path, MODULE)
    lines = MODULE.read_text("utf-8").splitlines(keepends=True)
    body = "".join(lines[HEADER_LINES:HEADER_LINES + 120])  # code with its own comments
    [result] = screener.screen_text(body, language="python")
    assert [m.channel for m in result.matches] == ["code-exact"]
