"""A verbatim copy embedded in new code is reported on whole lines: the run no longer reaches
into the ``)`` that closes the line before it and the ``def`` after it, which output and work
happen to share (a newcomer saw output lines 22–93 for a copy of lines 25–89). Real code:
py_scanstring() and the two constants after it from the standard library's json/decoder.py."""

from __future__ import annotations

import json.decoder
from pathlib import Path

import pytest
from one_work import screener_of

from rightsguard import Screener

DECODER = Path(json.decoder.__file__)
LINES = DECODER.read_text("utf-8").splitlines(keepends=True)
FIRST = next(i for i, ln in enumerate(LINES, 1) if ln.startswith("def py_scanstring("))
LAST = next(i for i, ln in enumerate(LINES, 1) if ln.startswith("WHITESPACE_STR = "))

BEFORE = ("import re\n\n\ndef parse_line(line):\n"
          "    parts = [p.strip() for p in line.split(',')]\n"
          "    return tuple(parts)\n\n\n")  # ends with ')' like the line before FIRST
AFTER = "\n\n\ndef main(argv):\n    return [parse_line(x) for x in argv]\n"  # starts with 'def'


@pytest.fixture(scope="module")
def screener(tmp_path_factory: pytest.TempPathFactory) -> Screener:
    return screener_of(tmp_path_factory.mktemp("trim"), DECODER)


def test_the_copy_is_reported_on_exactly_its_lines(screener: Screener) -> None:
    assert LINES[FIRST - 3].rstrip().endswith(")")  # the coincidences the run used to take
    assert LINES[LAST].strip() == "" and LINES[LAST + 2].startswith("def ")
    copied = "".join(LINES[FIRST - 1:LAST])
    output = BEFORE + copied + AFTER
    [result] = screener.screen_text(output, language="python")
    [m] = result.matches
    first_out = BEFORE.count("\n") + 1
    assert (m.output_span.start_line, m.output_span.end_line) == \
        (first_out, first_out + LAST - FIRST)
    assert (m.work_span.start_line, m.work_span.end_line) == (FIRST, LAST)
    assert output[m.output_span.start:m.output_span.end] == copied.rstrip("\n")
