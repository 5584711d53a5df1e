"""Every copy of a work in an output is located, and a renamed copy ends where the copied code
does — two newcomer findings on the standard library's heapq.py.

* merge() pasted twice, or merge() then nsmallest(), gave one match: the second copy was never
  located (and in the pre-commit hook it was merged into an older, accepted copy);
* a renamed merge() followed by new code whose first line looks like nsmallest()'s signature
  matched on across heapq's 66-line comment block between the two (comments are not tokens):
  the work span ran to line 463 instead of 394.

Text too (a later newcomer, on a long text work): three passages from far apart in it, or one
paragraph pasted twice, gave one match, the longest.
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


GPL3 = Path("/usr/share/common-licenses/GPL-3")  # Debian's base-files


@pytest.fixture(scope="module")
def gpl_screener(tmp_path_factory: pytest.TempPathFactory) -> Screener:
    assert GPL3.is_file(), "needs Debian's base-files (/usr/share/common-licenses/GPL-3)"
    return screener_of(tmp_path_factory.mktemp("gpl3"), GPL3)


def _paragraphs() -> list[str]:
    return [p for p in GPL3.read_text("utf-8").split("\n\n") if len(p.split()) > 60]


def _work_lines(para: str) -> tuple[int, int]:
    text = GPL3.read_text("utf-8")
    first = text[:text.index(para)].count("\n") + 1
    return first, first + para.count("\n")


def test_text_passages_from_far_apart_are_one_match_each(gpl_screener: Screener) -> None:
    from rightsguard.fingerprint.text import tokenize_text

    paras = _paragraphs()
    picked = [paras[1], paras[len(paras) // 2], paras[-3]]
    own = ["Some thoughts of mine about software freedom.",
           "And here is my own commentary, which nobody else wrote, about sharing programs.",
           "More of my own words follow here, to keep the parts apart in this essay."]
    text = "".join(o + "\n\n" + p + "\n\n" for o, p in zip(own, picked, strict=True))
    [result] = gpl_screener.screen_text(text)
    found = sorted(result.matches, key=lambda m: m.output_span.start)
    assert [(m.work_span.start_line, m.work_span.end_line) for m in found] == [
        _work_lines(p) for p in picked]
    starts = [text[:text.index(p)].count("\n") + 1 for p in picked]
    assert [(m.output_span.start_line, m.output_span.end_line) for m in found] == [
        (s, s + p.count("\n")) for s, p in zip(starts, picked, strict=True)]
    assert [m.matched_tokens for m in found] == [len(tokenize_text(p)) for p in picked]
    # coverages count all three copies, the same on each match
    copied = sum(len(tokenize_text(p)) for p in picked)
    for m in found:
        assert m.output_coverage == pytest.approx(copied / len(tokenize_text(text)))
        assert m.work_coverage == pytest.approx(
            copied / len(tokenize_text(GPL3.read_text("utf-8"))))


def test_a_paragraph_pasted_twice_is_two_matches(gpl_screener: Screener) -> None:
    from rightsguard.fingerprint.text import tokenize_text

    para = _paragraphs()[1]
    text = "My note.\n\n" + para + "\n\nOnce more, because I like it.\n\n" + para + "\n"
    [result] = gpl_screener.screen_text(text)
    found = sorted(result.matches, key=lambda m: m.output_span.start)
    assert len(found) == 2
    assert all((m.work_span.start_line, m.work_span.end_line) == _work_lines(para) for m in found)
    # the work's paragraph counts once in the work coverage, twice in the output coverage
    n = len(tokenize_text(para))
    assert found[0].work_coverage == pytest.approx(
        n / len(tokenize_text(GPL3.read_text("utf-8"))))
    assert found[0].output_coverage == pytest.approx(2 * n / len(tokenize_text(text)))


def test_the_same_words_in_other_case_or_punctuation_are_near_verbatim(
        gpl_screener: Screener) -> None:
    # json-format.md: verbatim is the same characters, whitespace aside (a newcomer saw an
    # ALL-CAPS copy labelled verbatim)
    para = _paragraphs()[1]
    assert "," in para
    for copy, kind in ((para, "verbatim"), (para.replace("\n", "\n\n  "), "verbatim"),
                       (para.upper(), "near-verbatim"), (para.replace(",", ""), "near-verbatim")):
        [result] = gpl_screener.screen_text("A note.\n\n" + copy + "\n")
        assert [m.kind for m in result.matches] == [kind], kind
