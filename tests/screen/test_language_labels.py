"""``language`` labels that mean prose (``markdown``, ``md``, ``text``…) screen the input as
without a label, and an unknown label gets one consistent note — newcomer findings: with
``--language markdown`` a model answer was one Pygments "code" part and the MIT text in its
prose was missed; ``--language text`` let a verbatim copy of real code pass as ``clean``;
``--language klingon`` printed both "screened as text" and "no language given". Real code:
heapq.merge() of the standard library."""

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
