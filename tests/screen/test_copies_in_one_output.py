"""Every copy of a work in an output is located, and a renamed copy ends where the copied code
does — two newcomer findings on the standard library's heapq.py.

* merge() pasted twice, or merge() then nsmallest(), gave one match: the second copy was never
  located (and in the pre-commit hook it was merged into an older, accepted copy);
* a renamed merge() followed by new code whose first line looks like nsmallest()'s signature
  matched on across heapq's 66-line comment block between the two (comments are not tokens):
  the work span ran to line 463 instead of 394.
"""

from __future__ import annotations

import sysconfig
from pathlib import Path

import pytest
from one_work import screener_of
from renaming import renamed

from rightsguard import Screener
from rightsguard.model import Match

HEAPQ = Path(sysconfig.get_paths()["stdlib"]) / "heapq.py"


def _lines(first: int, last: int) -> str:
    """Lines ``first``–``last`` (1-based, inclusive) of heapq.py."""
    return "".join(HEAPQ.read_text("utf-8").splitlines(keepends=True)[first - 1:last])


def _def_line(name: str) -> int:
    lines = HEAPQ.read_text("utf-8").splitlines()
    return next(i for i, ln in enumerate(lines, 1) if ln.startswith(f"def {name}("))


def _line_of(prefix: str) -> int:
    lines = HEAPQ.read_text("utf-8").splitlines()
    return next(i for i, ln in enumerate(lines, 1) if ln.startswith(prefix))


NOTES = _line_of("# Algorithm notes for nlargest() and nsmallest()")
MERGE = (_def_line("merge"), NOTES - 3)  # merge() ends two blank lines before the notes


@pytest.fixture(scope="module")
def screener(tmp_path_factory: pytest.TempPathFactory) -> Screener:
    return screener_of(tmp_path_factory.mktemp("heapq"), HEAPQ)


def _matches(screener: Screener, code: str) -> list[Match]:
    [result] = screener.screen_text(code, language="python")
    return sorted(result.matches, key=lambda m: m.output_span.start)


def test_heapq_layout_is_what_the_tests_assume() -> None:
    assert _lines(*MERGE).startswith("def merge(")
    assert _lines(MERGE[1], MERGE[1]).strip() == "yield from next.__self__"
    assert _def_line("nsmallest") - NOTES >= 60  # the comment block between the two


def test_a_work_copied_twice_is_two_matches(screener: Screener) -> None:
    merge = _lines(*MERGE)
    head = "import heapq\n\n\n"
    middle = "\n\ndef answer():\n    return 42\n\n\n"
    found = _matches(screener, head + merge + middle + merge)
    n_merge = merge.count("\n")
    first = 1 + head.count("\n")
    second = first + n_merge + middle.count("\n")
    assert [(m.output_span.start_line, m.output_span.end_line) for m in found] == [
        (first, first + n_merge - 1), (second, second + n_merge - 1)]
    assert all((m.work_span.start_line, m.work_span.end_line) == MERGE for m in found)
    assert all(m.kind == "verbatim" for m in found)


def test_two_functions_far_apart_in_the_work_are_two_matches(screener: Screener) -> None:
    nsmallest = _lines(_def_line("nsmallest"), _def_line("nlargest") - 3)
    found = _matches(screener, _lines(*MERGE) + "\n\n" + nsmallest)
    assert [m.work_span.start_line for m in found] == [MERGE[0], _def_line("nsmallest")]


def test_a_renamed_copy_ends_where_the_copied_function_does(screener: Screener) -> None:
    # merge() without its docstring, every name renamed; then new code shaped like the start
    # of nsmallest()'s signature
    merge = _lines(*MERGE).splitlines(keepends=True)
    end_doc = next(i for i, ln in enumerate(merge) if i > 1 and "\'\'\'" in ln)
    copy = renamed(merge[0] + "".join(merge[end_doc + 1:]), "my_")
    code = copy + "\ndef top_rows(rows, n, key=None):\n    return rows[:n]\n"
    [match] = _matches(screener, code)
    assert match.kind == "renamed"
    # from the first code line after merge()'s docstring (the copy has none) to merge()'s end
    body = next(i for i in range(end_doc + 1, len(merge)) if merge[i].strip())
    assert (match.work_span.start_line, match.work_span.end_line) == (MERGE[0] + body, MERGE[1])
    assert match.output_span.end_line == copy.count("\n")  # not into top_rows
