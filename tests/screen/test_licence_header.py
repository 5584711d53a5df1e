"""A licence text pasted into generated code is reported once, as the licence text — not as a
copy of every registered work that carries the same text in a comment (a newcomer's MIT header
gave 16 matches, three of them ``block`` through those works' licences)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import rich

from rightsguard import Index, Screener
from rightsguard.index.sources import licence_text_works, works_from
from rightsguard.model import Verdict
from rightsguard.signals.licences import licence_text

SPINNERS = Path(rich.__file__).parent / "_spinners.py"  # MIT text of cli-spinners in a comment


@pytest.fixture(scope="module")
def screener(tmp_path_factory: pytest.TempPathFactory) -> Screener:
    base = tmp_path_factory.mktemp("licence-header")
    shutil.copy(SPINNERS, base / "_spinners.py")
    idx = Index.open(base / "idx", create=True)
    idx.add(licence_text_works(["MIT", "Apache-2.0"]))
    # registered as copyleft, so a match to it would block
    summary = idx.add(works_from(base / "_spinners.py", licence="GPL-3.0-only", holder="Someone"))
    assert summary.added == 1
    return Screener(idx)


def _header() -> str:
    mit = licence_text("MIT")
    return "".join(f"# {line}".rstrip() + "\n" for line in mit.splitlines())


def test_mit_header_is_the_licence_text_only(screener: Screener) -> None:
    code = _header() + "\n\ndef area(width, height):\n    return width * height\n"
    [result] = screener.screen_text(code, language="python")
    assert [m.work.title for m in result.matches] == ["MIT licence text"]
    assert result.verdict == Verdict.ATTRIBUTE
    assert ("the same text is in 1 registered work (_spinners.py); reported once, as the "
            "licence text") in result.matches[0].reason.replace(str(SPINNERS.parent), "")


def test_the_work_is_still_reported_when_more_than_its_licence_is_copied(
        screener: Screener) -> None:
    body = SPINNERS.read_text("utf-8")
    code = body[body.index("SPINNERS = {"):][:1200]  # 1,200 characters of the work's own code
    [result] = screener.screen_text(_header() + "\n" + code, language="python")
    titles = sorted(m.work.title for m in result.matches)
    assert titles[0] == "MIT licence text"
    assert len(titles) == 2 and titles[1].endswith("_spinners.py")
    assert result.verdict == Verdict.BLOCK
