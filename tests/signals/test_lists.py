"""Tests for rightsguard.signals.lists: user domain lists and their signals."""

from __future__ import annotations

import pickle
from pathlib import Path

import pytest

from rightsguard.errors import InputError
from rightsguard.model import RightsSignal
from rightsguard.signals.lists import DomainList, DomainLists, list_signals

PIRACY = """# sites recognised as infringing (test list)
pirate.example          # whole site
*.Shadow-Library.example.
.mirror.test
"""


def test_parse_normalises_and_keeps_lines() -> None:
    the_list = DomainList.parse(PIRACY, "piracy", "piracy.txt")
    assert dict(the_list.entries) == {"pirate.example": 2, "shadow-library.example": 3,
                                      "mirror.test": 4}


@pytest.mark.parametrize(
    ("host", "expected"),
    [
        ("pirate.example", ("pirate.example", 2)),
        ("www.pirate.example", ("pirate.example", 2)),
        ("a.b.c.shadow-library.example", ("shadow-library.example", 3)),
        ("WWW.Pirate.Example.", ("pirate.example", 2)),
        ("notpirate.example", None),
        ("pirate.example.com", None),
        ("example", None),
    ],
)
def test_match_host_and_parent_domains(host: str, expected: tuple[str, int] | None) -> None:
    assert DomainList.parse(PIRACY, "piracy", "piracy.txt").match(host) == expected


def test_bad_lines_are_all_reported() -> None:
    text = "ok.example\nhttp://bad.example/path\n\nspace in.example\n-dash.example\n"
    with pytest.raises(InputError) as info:
        DomainList.parse(text, "paywall", "paywall.txt")
    assert str(info.value) == (
        "paywall list paywall.txt: not domain names: line 2: 'http://bad.example/path'; "
        "line 4: 'space in.example'; line 5: '-dash.example' (expected one domain per line, "
        "e.g. example.com; # comments)")


def test_load_files_and_signals(tmp_path: Path) -> None:
    (tmp_path / "piracy.txt").write_text(PIRACY, encoding="utf-8")
    (tmp_path / "paywall.txt").write_text("news.example\n", encoding="utf-8")
    (tmp_path / "sale.txt").write_text("# JP proviso\n\nphotos.example\n", encoding="utf-8")
    lists = DomainLists.load(piracy=tmp_path / "piracy.txt", paywall=tmp_path / "paywall.txt",
                             dataset_for_sale=tmp_path / "sale.txt")
    assert list_signals("img.photos.example", "photos.example", lists) == [RightsSignal(
        kind="list-dataset-for-sale", carrier="user-list", value="photos.example", scope="*",
        state="n/a",
        evidence=f"dataset_for_sale list {tmp_path / 'sale.txt'} line 3: photos.example covers "
                 "img.photos.example",
        extractor="rightsguard.signals.lists")]
    [hit] = list_signals("www.pirate.example", "pirate.example", lists)
    assert (hit.kind, hit.value) == ("list-piracy", "pirate.example")
    [hit] = list_signals(None, "news.example", lists)
    assert (hit.kind, hit.evidence) == (
        "list-paywall", f"paywall list {tmp_path / 'paywall.txt'} line 1: news.example covers "
                        "news.example")
    assert list_signals("other.example", "other.example", lists) == []
    assert list_signals(None, None, lists) == []
    assert pickle.loads(pickle.dumps(lists)) == lists


def test_one_host_on_several_lists() -> None:
    lists = DomainLists(piracy=DomainList.parse("x.example", "piracy", "p"),
                        paywall=DomainList.parse("x.example", "paywall", "w"))
    assert [s.kind for s in list_signals("x.example", "x.example", lists)] == [
        "list-piracy", "list-paywall"]


def test_empty_lists_match_nothing() -> None:
    assert list_signals("pirate.example", "pirate.example", DomainLists()) == []


def test_load_reports_every_bad_file(tmp_path: Path) -> None:
    (tmp_path / "bad.txt").write_text("not a domain\n", encoding="utf-8")
    with pytest.raises(InputError) as info:
        DomainLists.load(piracy=tmp_path / "missing.txt", paywall=tmp_path / "bad.txt")
    message = str(info.value)
    assert f"piracy list {tmp_path / 'missing.txt'}: cannot be read" in message
    assert f"paywall list {tmp_path / 'bad.txt'}: not domain names: line 1: 'not a domain'" in (
        message)
