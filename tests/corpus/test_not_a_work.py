"""Importers tell inputs that are wrong (a plain ``Skipped``: an error for ``index add``) from
items that are simply not works (``NotAWork``: skipped)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from corpus_stubs import StubResolver

from rightsguard.corpus import NotAWork, iter_catalogue_works, iter_folder_works
from rightsguard.corpus.pyenv import iter_python_env_works
from rightsguard.model import Skipped, WorkInput


def test_folder_items(tmp_path: Path) -> None:
    (tmp_path / "empty.py").write_text("", "utf-8")
    (tmp_path / "blank.txt").write_text("  \n", "utf-8")
    (tmp_path / "bad.py").write_text("# SPDX-License-Identifier: Not-A-Licence\nx = 1\n",
                                     "utf-8")
    (tmp_path / "empty.png").write_bytes(b"")
    (tmp_path / "LICENSE").write_text("MIT License\n", "utf-8")
    items = {Path(i.input).name if isinstance(i, Skipped) else i.title: i
             for i in iter_folder_works([tmp_path, tmp_path / "LICENSE"],
                                        resolver=StubResolver())}
    # an empty file is not a work, image or text (the README says so); a bad SPDX tag is an
    # invalid licence
    assert {name for name, i in items.items() if isinstance(i, NotAWork)} == \
        {"empty.py", "blank.txt", "LICENSE", "empty.png"}
    assert {name for name, i in items.items()
            if isinstance(i, Skipped) and not isinstance(i, NotAWork)} == {"bad.py"}
    assert items["empty.py"].reason == "empty file"  # type: ignore[union-attr]
    assert items["empty.png"].reason == "empty file"  # type: ignore[union-attr]


def test_every_bad_catalogue_row_is_an_error(tmp_path: Path) -> None:
    catalogue = tmp_path / "rows.jsonl"
    catalogue.write_text("\n".join([json.dumps({"text": "a poem", "licence": "Bogus-9"}),
                                    "not json", json.dumps({"text": "   "}),
                                    json.dumps({"text": "fine", "licence": "MIT"})]) + "\n",
                         "utf-8")
    items = list(iter_catalogue_works(catalogue, resolver=StubResolver()))
    assert [type(i) for i in items] == [Skipped, Skipped, Skipped, WorkInput]


def test_empty_files_of_an_environment_are_not_works() -> None:
    items = list(iter_python_env_works(resolver=StubResolver(), distributions=["rich"]))
    skipped = [i for i in items if isinstance(i, Skipped)]
    assert skipped and all(isinstance(i, NotAWork) for i in skipped)


def test_a_binary_without_an_extension_met_in_a_folder_is_not_a_work(tmp_path: Path) -> None:
    # a compiled program (Debian's /bin/ls) next to code: taken for text only for lacking an
    # extension, so it is passed over as check passes it over; named on its own, or with a code
    # extension, a binary is still an error
    shutil.copy("/bin/ls", tmp_path / "ls")
    shutil.copy("/bin/ls", tmp_path / "tool.py")
    (tmp_path / "main.py").write_text("print('hello')\n", "utf-8")
    items = {Path(i.input).name if isinstance(i, Skipped) else i.title: i
             for i in iter_folder_works([tmp_path], resolver=StubResolver())}
    assert isinstance(items["ls"], NotAWork)
    assert items["ls"].reason == "binary file (a NUL byte): neither code nor text"
    assert type(items["tool.py"]) is Skipped and "binary file (NUL byte at offset" in \
        items["tool.py"].reason
    assert isinstance(items[f"{tmp_path.name}/main.py"], WorkInput)
    [alone] = list(iter_folder_works([tmp_path / "ls"], resolver=StubResolver()))
    assert type(alone) is Skipped
