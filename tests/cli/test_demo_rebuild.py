"""``rightsguard demo`` after an upgrade: its own index is rebuilt, a user's never deleted."""

from __future__ import annotations

import importlib.metadata
import json
import textwrap
from pathlib import Path

import pytest

import rightsguard.index.sources as sources
from rightsguard.cli.demo import MARKER, build_demo_index
from rightsguard.corpus.pyenv import iter_python_env_works
from rightsguard.errors import IndexMismatchError
from rightsguard.index.sources import SignalsLicenceResolver
from rightsguard.index.store import Index

_works_from, _licence_text_works = sources.works_from, sources.licence_text_works


def _python_env_cut_down(_source: str) -> object:
    """``python-env`` cut down to one installed distribution, as the demo registers it."""
    return iter_python_env_works(resolver=SignalsLicenceResolver(), distributions=["typer"],
                                 include_stdlib=False)


@pytest.fixture
def small_demo(monkeypatch: pytest.MonkeyPatch) -> int:
    """The demo's sources cut down to one distribution and one licence text; the number of
    works that makes."""
    monkeypatch.setattr(sources, "works_from", _python_env_cut_down)
    monkeypatch.setattr(sources, "licence_text_works", lambda: _licence_text_works(["MIT"]))
    files = [f for f in importlib.metadata.distribution("typer").files or []
             if f.suffix == ".py"]
    return len(files)


def _as_built_by_an_older_version(home: Path) -> str:
    """Channel settings of another rightsguard: what ``Index.open`` refuses after an upgrade.
    Returns the manifest as it was."""
    path = home / "channels" / "text" / "manifest.json"
    before = path.read_text()
    manifest = json.loads(before)
    manifest["settings"]["code_prose_version"] = 1
    path.write_text(json.dumps(manifest))
    return before


def _works(home: Path) -> int:
    return Index.open(home).registry.counts()["works"]


def test_the_demos_own_index_is_rebuilt(small_demo: int, tmp_path: Path) -> None:
    home = tmp_path / "home"
    build_demo_index(home, quiet=True)
    works = _works(home)
    assert small_demo <= works <= small_demo + 2  # typer's modules (+ its LICENSE), MIT's text
    _as_built_by_an_older_version(home)
    with pytest.raises(IndexMismatchError):
        Index.open(home)
    build_demo_index(home, quiet=True)
    assert _works(home) == works
    generation = Index.open(home).registry.generation()
    assert (home / MARKER).read_text().splitlines()[-1] == f"generation {generation}"


def test_an_index_the_user_added_to_is_not_deleted(small_demo: int, tmp_path: Path) -> None:
    home = tmp_path / "home"
    build_demo_index(home, quiet=True)
    works = _works(home)
    Index.open(home).add(_works_from(Path(textwrap.__file__)), workers=1)
    assert _works(home) == works + 1
    before = _as_built_by_an_older_version(home)
    with pytest.raises(IndexMismatchError, match="Rebuild the index"):
        build_demo_index(home, quiet=True)
    (home / "channels" / "text" / "manifest.json").write_text(before)
    assert _works(home) == works + 1  # textwrap.py is still registered


def test_an_older_marker_goes_by_the_sources(small_demo: int, tmp_path: Path) -> None:
    """Markers of earlier versions record no generation: an index whose every source is one
    the demo registers (pypi:…, python-stdlib@…, spdx.org licence texts) is rebuilt; one with a
    file the user added is not."""
    old_marker = "stdlib, installed distributions and licence texts registered\n"
    home = tmp_path / "home"
    build_demo_index(home, quiet=True)
    works = _works(home)
    (home / MARKER).write_text(old_marker)
    _as_built_by_an_older_version(home)
    build_demo_index(home, quiet=True)
    assert _works(home) == works
    Index.open(home).add(_works_from(Path(textwrap.__file__)), workers=1)
    (home / MARKER).write_text(old_marker)
    _as_built_by_an_older_version(home)
    with pytest.raises(IndexMismatchError):
        build_demo_index(home, quiet=True)
    assert (home / "registry.sqlite").exists()
