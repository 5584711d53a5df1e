"""Arguments an audit refuses before writing anything, so no output of the user's is lost."""

from __future__ import annotations

from pathlib import Path

import pytest

from rightsguard.audit.run import audit
from rightsguard.errors import InputError
from rightsguard.model import Purpose, Use

USE = Use(Purpose.TRAIN_GENERAL)


def _docs(tmp_path: Path) -> Path:
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "a.txt").write_text("A short text of our own about rivers.\n", encoding="utf-8")
    (docs / "b.txt").write_text("Another one, about mountains and lakes.\n", encoding="utf-8")
    return docs


def test_out_that_is_a_file(tmp_path: Path) -> None:
    docs = _docs(tmp_path)
    (tmp_path / "afile").write_text("x", encoding="utf-8")
    with pytest.raises(InputError, match="is a file"):
        audit([docs], out=tmp_path / "afile", jurisdictions=["EU"], use=USE)


def test_out_with_other_files_is_not_overwritten(tmp_path: Path) -> None:
    docs = _docs(tmp_path)
    mine = tmp_path / "userdir"
    mine.mkdir()
    (mine / "report.html").write_text("my own report", encoding="utf-8")
    with pytest.raises(InputError, match="not empty and holds no audit"):
        audit([docs], out=mine, jurisdictions=["EU"], use=USE)
    assert (mine / "report.html").read_text(encoding="utf-8") == "my own report"
    assert sorted(p.name for p in mine.iterdir()) == ["report.html"]


def test_out_inside_a_source_folder(tmp_path: Path) -> None:
    docs = _docs(tmp_path)
    with pytest.raises(InputError, match="inside the source folder"):
        audit([docs], out=docs / "audit", jurisdictions=["EU"], use=USE)
    assert not (docs / "audit").exists()


def test_bad_list_writes_nothing_and_the_corrected_run_goes_ahead(tmp_path: Path) -> None:
    docs = _docs(tmp_path)
    out = tmp_path / "out"
    with pytest.raises(InputError):
        audit([docs], out=out, jurisdictions=["EU"], use=USE, piracy=tmp_path / "nope.txt")
    assert not out.exists()
    result = audit([docs], out=out, jurisdictions=["EU"], use=USE)
    assert result.items == 2


def test_same_source_twice_is_read_once(tmp_path: Path) -> None:
    docs = _docs(tmp_path)
    result = audit([docs, docs / ".." / "docs"], out=tmp_path / "out", jurisdictions=["JP"],
                   use=USE)
    assert result.items == 2
    assert result.report["decisions"]["JP"]["allow"] == 2  # JP Art. 30-4: local files, no signal


def test_no_jurisdiction_and_bad_shard_size(tmp_path: Path) -> None:
    docs = _docs(tmp_path)
    with pytest.raises(InputError, match="no jurisdiction"):
        audit([docs], out=tmp_path / "o1", jurisdictions=[], use=USE)
    with pytest.raises(InputError, match="records-per-shard"):
        audit([docs], out=tmp_path / "o2", jurisdictions=["EU"], use=USE, records_per_shard=0)
