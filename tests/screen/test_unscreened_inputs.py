"""What ``check`` cannot screen is never left out silently (that would read as clean) — a
newcomer's findings: a folder it could not list gave "clean — 0 inputs" and exit 0, a symbolic
link loop read as "no such file or folder", and a broken link in a folder was not mentioned."""

from __future__ import annotations

import os
import sysconfig
from pathlib import Path

import pytest
from one_work import screener_of

from rightsguard import Screener
from rightsguard.model import Verdict

HEAPQ = Path(sysconfig.get_paths()["stdlib"]) / "heapq.py"


@pytest.fixture(scope="module")
def screener(tmp_path_factory: pytest.TempPathFactory) -> Screener:
    return screener_of(tmp_path_factory.mktemp("heapq"), HEAPQ)


def test_a_folder_that_cannot_be_listed_is_an_error(screener: Screener, tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    locked = tmp_path / "src" / "locked"
    locked.mkdir(parents=True)
    (locked / "copy.py").write_text(HEAPQ.read_text("utf-8"))
    (tmp_path / "src" / "own.py").write_text("x = 1\n")
    real = os.scandir

    def scandir(path: object = ".") -> object:  # EACCES, as for a folder of mode 000
        if Path(os.fspath(path)) == locked:  # type: ignore[arg-type]
            raise PermissionError(13, "Permission denied", os.fspath(path))  # type: ignore[arg-type]
        return real(path)  # type: ignore[arg-type]

    monkeypatch.setattr(os, "scandir", scandir)
    report = screener.check([tmp_path / "src"])
    assert [r.input for r in report.results] == [str(tmp_path / "src" / "own.py")]
    assert [(e.input, e.reason) for e in report.errors] == [
        (str(locked), f"{locked}: folder cannot be listed: permission denied")]
    assert report.verdict is Verdict.REVIEW  # not clean: something went unscreened


def test_a_link_loop_is_named_and_a_broken_link_in_a_folder_is_skipped(
        screener: Screener, tmp_path: Path) -> None:
    (tmp_path / "a").symlink_to("b")
    (tmp_path / "b").symlink_to("a")
    folder = tmp_path / "src"
    folder.mkdir()
    (folder / "gone.py").symlink_to(tmp_path / "nowhere.py")
    (folder / "own.py").write_text("x = 1\n")
    report = screener.check([tmp_path / "a", folder, tmp_path / "missing.py"])
    assert [(e.input, e.reason) for e in report.errors] == [
        (str(tmp_path / "a"), f"{tmp_path / 'a'}: too many levels of symbolic links"),
        (str(tmp_path / "missing.py"), f"{tmp_path / 'missing.py'}: no such file or folder")]
    assert [(s.input, s.reason) for s in report.skipped] == [
        (str(folder / "gone.py"), "broken symbolic link")]
    assert [r.input for r in report.results] == [str(folder / "own.py")]


def test_a_file_named_twice_is_one_input(screener: Screener, tmp_path: Path) -> None:
    folder = tmp_path / "src"
    folder.mkdir()
    f = folder / "copy.py"
    f.write_text(HEAPQ.read_text("utf-8"))
    report = screener.check([f, folder, tmp_path / "src" / ".." / "src" / "copy.py"])
    assert [r.input for r in report.results] == [str(f)]
    assert len(report.results[0].matches) == 1


def test_one_path_given_as_a_string_is_that_path(screener: Screener, tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    # a library user's check("copy.py") screened ".", "c", "o", ... (and "/" the whole disk)
    from rightsguard import check

    f = tmp_path / "copy.py"
    f.write_text(HEAPQ.read_text("utf-8"))
    monkeypatch.chdir(tmp_path)
    report = check("copy.py", index=screener.index)
    assert [r.input for r in report.results] == ["copy.py"] and report.errors == ()
    assert len(report.results[0].matches) == 1
    [result] = screener.screen_text(HEAPQ.read_text("utf-8"), language="python",
                                    exclude_work_ids=report.results[0].matches[0].work.work_id)
    assert result.matches == ()  # one work id given as a string excludes that work
