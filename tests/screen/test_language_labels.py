"""``language`` labels that mean prose (``markdown``, ``md``, ``text``…) screen the input as
without a label, and an unknown label gets one consistent note — newcomer findings: with
``--language markdown`` a model answer was one Pygments "code" part and the MIT text in its
prose was missed; ``--language text`` let a verbatim copy of real code pass as ``clean``;
``--language klingon`` printed both "screened as text" and "no language given". Real code:
heapq.merge() of the standard library.

Fences too (a later newcomer): a licence pasted in a fence labelled ``text``, ``markdown``,
``html``, ``latex``… passed as ``clean``; an unclosed fence (a truncated answer) lost its last
line; the "no language given" note of one fence was repeated on every later part; and the parts'
line ranges ran one line too far."""

from __future__ import annotations

import sysconfig
from itertools import chain
from pathlib import Path

import pytest

from rightsguard import Index, Screener
from rightsguard.index.sources import licence_text_works, works_from
from rightsguard.signals.licences import licence_text

HEAPQ = Path(sysconfig.get_paths()["stdlib"]) / "heapq.py"


def _merge() -> str:
    text = HEAPQ.read_text("utf-8")
    start = text.index("\ndef merge(") + 1
    return text[start:text.index("\n# Algorithm notes", start)]


ANSWER = ("Here is a merge function:\n\n```python\n" + _merge() + "\n```\n\nIts licence:\n\n"
          + licence_text("MIT") + "\n")


@pytest.fixture(scope="module")
def screener(tmp_path_factory: pytest.TempPathFactory) -> Screener:
    base = tmp_path_factory.mktemp("labels")
    (base / "heapq.py").write_bytes(HEAPQ.read_bytes())
    idx = Index.open(base / "idx", create=True)
    idx.add(chain(licence_text_works(["MIT"]), works_from(base / "heapq.py", licence="PSF-2.0",
                                                        holder="PSF")))
    return Screener(idx)


def _found(screener: Screener, text: str, language: str | None
           ) -> list[tuple[str, str | None, list[str], tuple[str, ...]]]:
    return [(r.modality, r.language, sorted(m.work.title.rsplit("/", 1)[-1] for m in r.matches),
             r.notes) for r in screener.screen_text(text, language=language)]


@pytest.mark.parametrize("label", ["markdown", "md", "Markdown", "text", "txt"])
def test_a_prose_label_screens_a_markdown_answer_as_without_a_label(screener: Screener,
                                                                   label: str) -> None:
    unlabelled = _found(screener, ANSWER, None)
    assert [(mod, lang, works) for mod, lang, works, _n in unlabelled] == [
        ("text", None, []), ("code", "python", ["heapq.py"]),
        ("text", None, ["MIT licence text"])]
    assert _found(screener, ANSWER, label) == unlabelled


@pytest.mark.parametrize("label", ["text", "markdown"])
def test_code_labelled_as_prose_is_still_found(screener: Screener, label: str) -> None:
    [(modality, language, works, notes)] = _found(screener, _merge(), label)
    assert (modality, language, works) == ("code", "python", ["heapq.py"])
    # the note says what was given (a newcomer read "no language given" after --language text)
    assert notes == (f"labelled {label!r} but reads as code: matched as python code",)


def test_an_unknown_language_gets_one_note_that_says_what_was_done(screener: Screener) -> None:
    [(modality, language, works, notes)] = _found(screener, _merge(), "klingon")
    assert (modality, language, works) == ("code", "python", ["heapq.py"])
    assert notes == ("unknown language 'klingon': matched as python code",)
    [(modality, _l, works, notes)] = _found(screener, "Nothing to see in this sentence.",
                                            "klingon")
    assert (modality, works, notes) == ("text", [], (
        "unknown language 'klingon': screened as text",))


@pytest.mark.parametrize("label", ["text", "markdown", "rst", "html", "latex", "yaml", "console"])
def test_prose_in_a_fence_of_any_label_is_screened_as_text(screener: Screener,
                                                          label: str) -> None:
    answer = f"The licence:\n\n```{label}\n{licence_text('MIT')}\n```\n\nThat is all.\n"
    found = _found(screener, answer, None)
    assert [works for _m, _l, works, _n in found] == [[], ["MIT licence text"], []]
    [fence] = [r for r in screener.screen_text(answer) if r.matches]
    [match] = fence.matches
    first = answer[:answer.index(licence_text("MIT"))].count("\n") + 1
    assert (match.output_span.start_line, match.output_span.end_line) == (
        first, first + licence_text("MIT").rstrip("\n").count("\n"))


def test_an_unclosed_fence_keeps_its_last_line(screener: Screener) -> None:
    merge = _merge().rstrip("\n")
    answer = "Here is merge():\n\n```python\n" + merge  # cut off before the closing fence
    [_prose, code] = screener.screen_text(answer)
    last = answer.count("\n") + 1
    assert code.notes == (f"part code at lines 4-{last}",)
    [match] = code.matches
    assert match.output_span.end_line == last and match.output_span.end == len(answer)


def test_each_part_has_its_own_notes_and_lines(screener: Screener) -> None:
    merge = _merge().rstrip("\n") + "\n"
    answer = ("One:\n\n```\n" + merge + "```\n\nTwo:\n\n```python\n" + merge + "```\n")
    results = screener.screen_text(answer)
    assert [r.modality for r in results] == ["text", "code", "text", "code"]
    n = merge.count("\n")
    first = 4  # the line after the first opening fence
    second = first + n + 1 + 3 + 1  # after its closing fence, "", "Two:", "" and the fence
    assert results[1].notes == (
        "no language given: matched as python code (pass --language to set it)",
        f"part code at lines {first}-{first + n - 1}")
    assert results[3].notes == (f"part code at lines {second}-{second + n - 1}",)
    assert results[2].notes == (f"part text at lines {first + n + 1}-{second - 2}",)


def test_code_in_a_fence_labelled_as_prose_says_so(screener: Screener) -> None:
    answer = "Here:\n\n```text\n" + _merge().rstrip("\n") + "\n```\n"
    [_prose, code] = screener.screen_text(answer)
    assert (code.modality, code.language) == ("code", "python")
    assert [m.work.title.rsplit("/", 1)[-1] for m in code.matches] == ["heapq.py"]
    assert code.notes[0] == "fence labelled 'text' but reads as code: matched as python code"
