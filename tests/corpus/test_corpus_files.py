from __future__ import annotations

import pickle
import subprocess
import sysconfig
from pathlib import Path

import pytest
from corpus_stubs import StubResolver

from rightsguard.corpus._git import repository_url
from rightsguard.corpus.files import FolderWorks, iter_folder_works
from rightsguard.errors import InputError
from rightsguard.model import Skipped, WorkInput

SITE = Path(sysconfig.get_paths()["purelib"])
MIT = ("Permission is hereby granted, free of charge, to any person obtaining a copy of this"
       " software...\n")


def _split(items: list[WorkInput | Skipped]) -> tuple[list[WorkInput], list[Skipped]]:
    return ([i for i in items if isinstance(i, WorkInput)],
            [i for i in items if isinstance(i, Skipped)])


def test_installed_package_folder(resolver: StubResolver) -> None:
    root = SITE / "sqlalchemy"
    works, skipped = _split(list(iter_folder_works(root, resolver=resolver)))
    py_files = [p for p in root.rglob("*.py") if "__pycache__" not in p.parts]
    non_empty = [p for p in py_files if p.read_bytes().strip()]
    assert {w.source.path for w in works if w.title.endswith(".py")
            } == {p.relative_to(root).as_posix() for p in non_empty}
    assert {w.language for w in works if w.title.endswith(".py")} == {"python"}
    assert {s.input for s in skipped} >= {str(p) for p in py_files if p not in non_empty}

    base = next(w for w in works if w.source.path == "engine/base.py")
    assert base.title == "sqlalchemy/engine/base.py"
    assert base.raw == (root / "engine" / "base.py").read_bytes()
    assert base.source.uri == (root / "engine" / "base.py").resolve().as_uri()
    assert base.modality == "code" and base.kind == "code"
    assert base.holders == ("the SQLAlchemy authors and contributors",)
    assert base.licence == "NOASSERTION"  # no SPDX line, no LICENSE file in the folder
    assert not any("__pycache__" in (w.source.path or "") for w in works)


def test_typer_folder_counts_and_stats(resolver: StubResolver) -> None:
    root = SITE / "typer"
    walk = iter_folder_works(root, resolver=resolver, licence="MIT", holder="Sebastián Ramírez",
                             title="typer")
    works, _ = _split(list(walk))
    expected = sorted(p.relative_to(root).as_posix() for p in root.rglob("*.py")
                      if "__pycache__" not in p.parts and p.read_bytes().strip())
    assert sorted(w.source.path or "" for w in works if w.language == "python") == expected
    assert {w.licence for w in works} == {"MIT"}
    assert {w.holders for w in works} == {("Sebastián Ramírez",)}
    assert any(w.title == "typer: main.py" for w in works)
    assert walk.stats["work"] == len(works)
    assert walk.stats["not-code-or-text"] >= 1  # py.typed
    assert resolver.licence_file_calls == 0  # overrides win: no licence file was needed


def _tree(tmp_path: Path) -> Path:
    root = tmp_path / "proj"
    (root / "pkg" / "vendored").mkdir(parents=True)
    (root / "node_modules" / "dep").mkdir(parents=True)
    (root / "LICENSE").write_text("Copyright (c) 2024 Ada Lovelace\n\n" + MIT)
    (root / "README.md").write_text("# Proj\n\nA project.\n")
    (root / "pkg" / "core.py").write_text("def f():\n    return 1\n")
    (root / "pkg" / "spdx.py").write_text(
        "# SPDX-License-Identifier: Apache-2.0\n# Copyright 2023 Grace Hopper\nx = 1\n")
    (root / "pkg" / "bad_spdx.py").write_text("# SPDX-License-Identifier: Nonsense-9\nx = 2\n")
    (root / "pkg" / "vendored" / "COPYING").write_text(
        "Copyright 2001 Vendor Ltd\n\nRedistribution and use in source and binary forms...\n")
    (root / "pkg" / "vendored" / "v.c").write_text("int v(void) { return 0; }\n")
    (root / "pkg" / "empty.py").write_text("")
    (root / "pkg" / "blob.py").write_bytes(b"\x00\x01binary")
    (root / "pkg" / "big.py").write_text("x = 1\n" * 100)
    (root / "pkg" / "data.json").write_text("{}")
    (root / "pkg" / "latin.txt").write_bytes("na\u00efve\n".encode("latin-1"))
    (root / "node_modules" / "dep" / "index.js").write_text("module.exports = 1;\n")
    (root / "run").write_text("#!/usr/bin/env python3\nprint('hi')\n")
    return root


def test_licences_holders_and_skips(tmp_path: Path, resolver: StubResolver) -> None:
    root = _tree(tmp_path)
    walk = iter_folder_works(root, resolver=resolver, max_bytes=500)
    items = list(walk)
    works, skipped = _split(items)
    by_path = {w.source.path: w for w in works}
    assert sorted(by_path) == ["README.md", "pkg/core.py", "pkg/latin.txt", "pkg/spdx.py",
                               "pkg/vendored/v.c", "run"]
    assert by_path["pkg/core.py"].licence == "MIT"  # from ../LICENSE
    assert by_path["pkg/core.py"].holders == ("Ada Lovelace",)
    assert by_path["pkg/spdx.py"].licence == "Apache-2.0"  # own SPDX line wins
    assert by_path["pkg/spdx.py"].holders == ("Grace Hopper",)
    assert by_path["pkg/vendored/v.c"].licence == "BSD-2-Clause"  # nearest licence file
    assert by_path["pkg/vendored/v.c"].holders == ("Vendor Ltd",)
    assert by_path["pkg/vendored/v.c"].language == "c"
    assert by_path["README.md"].modality == "text" and by_path["README.md"].language is None
    assert by_path["run"].language == "python"  # from its shebang
    assert by_path["pkg/core.py"].title == "proj/pkg/core.py"
    assert walk.notes == [(str(root / "pkg" / "latin.txt"), "invalid UTF-8 decoded with"
                                                            " replacement")]
    reasons = {Path(s.input).name: s.reason for s in skipped}
    assert set(reasons) == {"bad_spdx.py", "empty.py", "blob.py", "big.py", "proj"}
    # files of other kinds are said once, for the folder given, counted by extension
    assert reasons["proj"] == ("passed over 1 file that is not code, text or a supported "
                               "image (.json 1)")
    assert "Nonsense-9" in reasons["bad_spdx.py"]
    assert reasons["empty.py"] == "empty file"
    assert "binary file" in reasons["blob.py"]
    assert "larger than the input limit" in reasons["big.py"]
    assert set(walk.licence_files) == {root / "LICENSE", root / "pkg" / "vendored" / "COPYING"}
    assert not any("node_modules" in (w.source.path or "") for w in works)
    # Each folder's licence is resolved once: two licence files read, whatever the file count.
    assert resolver.licence_file_calls == 2
    assert walk.folder_licences[(root / "pkg", root)].evidence.files == (str(root / "LICENSE"),)


def test_explicit_files(tmp_path: Path, resolver: StubResolver) -> None:
    root = _tree(tmp_path)
    items = list(iter_folder_works([root / "pkg" / "core.py", root / "pkg" / "data.json",
                                    root / "LICENSE"], resolver=resolver, title="Core"))
    work, data, licence = items
    assert isinstance(work, WorkInput) and work.title == "Core"
    assert work.source.path == "core.py"
    assert work.licence == "NOASSERTION"  # the root is the file's folder: ../LICENSE not seen
    assert isinstance(data, Skipped) and "not a code or text file" in data.reason
    assert isinstance(licence, Skipped) and "licence file" in licence.reason


def test_bad_arguments_are_reported_together(tmp_path: Path, resolver: StubResolver) -> None:
    with pytest.raises(InputError) as info:
        iter_folder_works(tmp_path / "missing", resolver=resolver, licence="Not A Licence")
    assert "no such file or folder" in str(info.value)
    assert "not an SPDX expression" in str(info.value)


def test_git_checkout_records_remote_without_credentials_and_commit(
        tmp_path: Path, resolver: StubResolver) -> None:
    root = _tree(tmp_path)

    def git(*args: str) -> str:
        return subprocess.run(["git", "-C", str(root), "-c", "user.name=t", "-c",
                               "user.email=t@example.org", *args], check=True,
                              capture_output=True, text=True).stdout.strip()

    git("init", "-q")
    git("add", "-A")
    git("commit", "-q", "-m", "init")
    git("remote", "add", "origin", "https://user:secret@example.org/proj.git")
    head = git("rev-parse", "HEAD")
    (root / "pkg" / "spdx.py").write_text("# SPDX-License-Identifier: MIT\nx = 3\n")
    (root / "pkg" / "new.py").write_text("y = 1\n")
    works, _ = _split(list(iter_folder_works(root / "pkg", resolver=resolver)))
    by_title = {w.title: w for w in works}
    core = by_title["pkg/core.py"]
    assert core.source.repository == "https://example.org/proj"
    assert core.source.commit == head
    assert core.source.path == "pkg/core.py"  # relative to the checkout, to pair with the commit
    assert core.licence == "NOASSERTION"  # the walk's root is pkg/: ../LICENSE is outside it
    modified = by_title["pkg/spdx.py"].source
    assert (modified.repository, modified.commit) == ("https://example.org/proj", None)
    untracked = by_title["pkg/new.py"].source
    assert (untracked.repository, untracked.commit, untracked.path) == (None, None, "new.py")


def test_one_spelling_per_git_remote() -> None:
    """git accepts these spellings of one remote; the index keeps the web form."""
    same = ["https://github.com/example/vend", "https://github.com/example/vend.git",
            "https://github.com/example/vend/", "http://GitHub.com/example/vend",
            "git@github.com:example/vend.git", "github.com:example/vend",
            "ssh://git@github.com:22/example/vend.git", "git://github.com/example/vend.git",
            "https://user:token@github.com/example/vend.git"]
    assert {repository_url(u) for u in same} == {"https://github.com/example/vend"}
    # local remotes keep their form (their trailing slash dropped)
    assert repository_url("/srv/git/vend.git/") == "/srv/git/vend.git"
    assert repository_url("file:///srv/git/vend") == "file:///srv/git/vend"
    assert repository_url("C:/src/vend") == "C:/src/vend"


def test_picklable_before_iteration(tmp_path: Path, resolver: StubResolver) -> None:
    walk = iter_folder_works(_tree(tmp_path), resolver=resolver)
    copy = pickle.loads(pickle.dumps(walk))
    assert len(list(copy)) == len(list(walk))


def test_images_in_a_folder_are_image_works(tmp_path: Path, resolver: StubResolver) -> None:
    """Images are registered as image works (their bytes as they are), with the folder's licence
    file when their metadata states none; an empty image file is skipped with the reason."""
    import shutil

    from skimage import data as skdata

    bundled = Path(skdata.__file__).parent
    folder = tmp_path / "art"
    folder.mkdir()
    shutil.copy(bundled / "coffee.png", folder / "coffee.png")
    shutil.copy(bundled / "rocket.jpg", folder / "rocket.JPG")
    (folder / "empty.gif").write_bytes(b"")
    (folder / "LICENSE").write_text("Permission is hereby granted, free of charge, to any "
                                    "person\nCopyright (c) 2020 Art Owner\n", "utf-8")
    works = FolderWorks(folder, resolver=resolver)
    items = list(works)
    images = [i for i in items if isinstance(i, WorkInput)]
    assert [(i.title, i.modality, i.kind, i.licence) for i in images] == [
        ("art/coffee.png", "image", "image", "MIT"), ("art/rocket.JPG", "image", "image", "MIT")]
    assert images[0].raw == (bundled / "coffee.png").read_bytes()
    assert [(Path(s.input).name, s.reason) for s in items if isinstance(s, Skipped)] == [
        ("empty.gif", "empty file")]
    assert works.stats["image"] == 2


def test_debian_licence_texts_named_with_a_version_are_text_works() -> None:
    from rightsguard.index.sources import works_from

    folder = Path("/usr/share/common-licenses")
    assert (folder / "Apache-2.0").is_file(), "needs Debian's base-files"
    [work] = list(works_from(folder / "Apache-2.0"))
    assert isinstance(work, WorkInput) and work.modality == "text"
    assert work.raw == (folder / "Apache-2.0").read_bytes()
