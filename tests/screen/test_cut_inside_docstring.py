"""An output that starts inside a docstring is found: 2 KB cut from the standard library's
``textwrap.py`` in the middle of ``TextWrapper``'s docstring, and one made only of the middle of
``dedent``'s docstring (the bench's random 2 KB cuts started inside a docstring one time in five,
and each such copy went unreported: the parser read the prose as code and the code as strings).
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from one_work import screener_of

from rightsguard import Screener

MODULE = Path(textwrap.__file__)
TEXT = MODULE.read_text("utf-8")


@pytest.fixture(scope="module")
def screener(tmp_path_factory: pytest.TempPathFactory) -> Screener:
    return screener_of(tmp_path_factory.mktemp("textwrap"), MODULE)


def test_copy_starting_mid_docstring_is_verbatim_from_its_first_line(screener: Screener) -> None:
    doc = TEXT.index('"""', TEXT.index("class TextWrapper:"))
    close = TEXT.index('"""', doc + 3)
    cut = TEXT.index("\n", (doc + close) // 2) + 1  # a line start in the docstring's middle
    output = TEXT[cut:cut + 2048]
    [result] = screener.screen_text(output, language="python")
    assert result.verdict.name == "ATTRIBUTE"
    [m] = result.matches
    assert m.kind == "verbatim"
    assert m.work.title == MODULE.name
    # the whole output is the work's text from ``cut`` on (lines trimmed at the ends)
    assert m.output_span.start_line == 1
    assert m.work_span.start == cut + (m.output_span.start - 0)
    assert m.output_span.end >= len(output) - 200
    assert m.output_coverage > 0.9


def test_output_wholly_inside_a_docstring_is_found(screener: Screener) -> None:
    start = TEXT.index("class TextWrapper:")
    doc = TEXT.index('"""', start) + 3
    close = TEXT.index('"""', doc)
    output = TEXT[doc + 40:close - 40]  # prose only: no quotes, no code
    assert '"""' not in output and len(output) > 1000
    [result] = screener.screen_text(output, language="python")
    assert [m.work.title for m in result.matches] == [MODULE.name]
    [m] = result.matches
    assert m.work_span.start >= doc + 40 and m.work_span.end <= close - 40
    assert m.output_coverage > 0.8
    # counted as the channel matched it: the docstring's whitespace-separated pieces
    words = output[m.output_span.start:m.output_span.end].split()
    assert m.matched_tokens == m.longest_run_tokens == len(words) > 150


@pytest.mark.parametrize("first_line", ["x = '\"\"\"'\n", "# \"\"\"\n", "x = 1  # tricky\n"])
def test_new_code_before_a_copy_cut_inside_a_docstring(screener: Screener,
                                                        first_line: str) -> None:
    """A newcomer hid the copy above with one line of new code holding a triple quote in a
    one-line string or a comment: the whole output came back clean."""
    doc = TEXT.index('"""', TEXT.index("class TextWrapper:"))
    close = TEXT.index('"""', doc + 3)
    cut = TEXT.index("\n", (doc + close) // 2) + 1
    output = first_line + TEXT[cut:cut + 2048]
    [result] = screener.screen_text(output, language="python")
    assert result.verdict.name == "ATTRIBUTE"
    [m] = result.matches
    assert m.work.title == MODULE.name
    assert m.output_span.start_line <= 3
    assert m.output_span.end >= len(output) - 200
    assert m.output_coverage > 0.85
