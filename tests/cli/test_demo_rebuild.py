"""``rightsguard demo`` after an upgrade: its own index is rebuilt, a user's never deleted."""

from __future__ import annotations

import heapq
import json
import textwrap
from pathlib import Path

import pytest

import rightsguard.index.sources as sources
from rightsguard.cli.demo import MARKER, build_demo_index
from rightsguard.errors import IndexMismatchError
from rightsguard.index.store import Index

_works_from, _licence_text_works = sources.works_from, sources.licence_text_works


@pytest.fixture
def small_demo(monkeypatch: pytest.MonkeyPatch) -> None:
    """The demo's sources cut down to one real stdlib module and one licence text."""
    monkeypatch.setattr(sources, "works_from", lambda _s: _works_from(Path(heapq.__file__)))
    monkeypatch.setattr(sources, "licence_text_works", lambda: _licence_text_works(["MIT"]))


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


def test_the_demos_own_index_is_rebuilt(small_demo: None, tmp_path: Path) -> None:
    home = tmp_path / "home"
    build_demo_index(home, quiet=True)
    assert _works(home) == 2  # heapq.py and the MIT licence text
    _as_built_by_an_older_version(home)
    with pytest.raises(IndexMismatchError):
        Index.open(home)
    build_demo_index(home, quiet=True)
    assert _works(home) == 2
    generation = Index.open(home).registry.generation()
    assert (home / MARKER).read_text().splitlines()[-1] == f"generation {generation}"


def test_an_index_the_user_added_to_is_not_deleted(small_demo: None, tmp_path: Path) -> None:
    home = tmp_path / "home"
    build_demo_index(home, quiet=True)
    Index.open(home).add(_works_from(Path(textwrap.__file__)), workers=1)
    assert _works(home) == 3
    before = _as_built_by_an_older_version(home)
    with pytest.raises(IndexMismatchError, match="Rebuild the index"):
        build_demo_index(home, quiet=True)
    (home / "channels" / "text" / "manifest.json").write_text(before)
    assert _works(home) == 3  # textwrap.py is still registered


def test_a_marker_without_a_generation_is_not_proof(small_demo: None, tmp_path: Path) -> None:
    home = tmp_path / "home"
    build_demo_index(home, quiet=True)
    (home / MARKER).write_text("stdlib, installed distributions and licence texts registered\n")
    _as_built_by_an_older_version(home)
    with pytest.raises(IndexMismatchError):
        build_demo_index(home, quiet=True)
    assert (home / "registry.sqlite").exists()

