from __future__ import annotations

import platform
import sysconfig
from importlib import metadata
from pathlib import Path

import pytest
from corpus_stubs import StubResolver

from rightsguard.corpus.pyenv import iter_python_env_works
from rightsguard.model import Skipped, WorkInput

SITE = sysconfig.get_paths()["purelib"]
APACHE = "Copyright 2020 Fake File Authors\n\nApache License\nVersion 2.0, January 2004\n"


@pytest.fixture(scope="module")
def env_items() -> tuple[list[WorkInput | Skipped], dict[str, object]]:
    walk = iter_python_env_works(resolver=StubResolver(), distributions=["rich"])
    items = list(walk)
    return items, {"licences": walk.licences, "stats": walk.stats}


def test_rich_from_the_running_environment(
        env_items: tuple[list[WorkInput | Skipped], dict[str, object]]) -> None:
    items, _ = env_items
    dist = metadata.distribution("rich")
    prefix = f"pypi:rich@{dist.version}#"
    works = [i for i in items if isinstance(i, WorkInput) and i.source.uri.startswith(prefix)]
    skipped = [i for i in items if isinstance(i, Skipped) and i.input.startswith(prefix)]
    record_py = [f for f in dist.files or [] if f.suffix == ".py"]
    assert len(works) + len(skipped) == len(record_py)
    assert all(s.reason.endswith(("empty file", "only whitespace")) for s in skipped)
    console = next(w for w in works if w.source.path == "rich/console.py")
    assert console.title == f"rich {dist.version}: rich/console.py"
    assert console.source.uri == f"pypi:rich@{dist.version}#rich/console.py"
    assert console.licence == "MIT"
    assert console.holders == ("Will McGugan",)
    assert console.language == "python" and console.modality == "code"
    assert console.raw == Path(str(dist.locate_file("rich/console.py"))).read_bytes()


def test_stdlib_is_one_psf_source(
        env_items: tuple[list[WorkInput | Skipped], dict[str, object]]) -> None:
    items, info = env_items
    version = platform.python_version()
    label = f"python-stdlib@{version}"
    stdlib = [i for i in items if isinstance(i, WorkInput) and i.source.uri.startswith(label)]
    json_init = next(w for w in stdlib if w.source.path == "json/__init__.py")
    assert json_init.licence == "PSF-2.0"
    assert json_init.holders == ("Python Software Foundation",)
    assert json_init.title == f"Python {version} standard library: json/__init__.py"
    assert json_init.source.uri == f"{label}#json/__init__.py"
    paths = {w.source.path or "" for w in stdlib}
    assert not any(p.startswith(("test/", "site-packages/", "idlelib/idle_test/",
                                 "lib2to3/tests/")) or "__pycache__" in p for p in paths)
    assert "idlelib/editor.py" in paths
    root = Path(sysconfig.get_paths()["stdlib"])
    assert len([p for p in root.glob("*.py") if p.read_bytes().strip()]) == len(
        [p for p in paths if "/" not in p])
    evidence = info["licences"][label]  # type: ignore[index]
    assert evidence.method == "licence-file"
    assert evidence.files == (str(root / "LICENSE.txt"),)


def _dist(site: Path, name: str, version: str, metadata_lines: list[str],
          files: dict[str, str], record: bool = True) -> None:
    info = site / f"{name}-{version}.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text(
        "\n".join(["Metadata-Version: 2.4", f"Name: {name}", f"Version: {version}",
                   *metadata_lines]) + "\n")
    for rel, text in files.items():
        (site / rel).parent.mkdir(parents=True, exist_ok=True)
        (site / rel).write_text(text)
    if record:
        rows = [*files, f"{info.name}/METADATA", f"{info.name}/RECORD"]
        (info / "RECORD").write_text("".join(f"{r},,\n" for r in rows))


def test_licence_fallbacks(tmp_path: Path) -> None:
    _dist(tmp_path, "byclass", "1.0",
          ["Author: Ann Author", "Classifier: License :: OSI Approved :: ISC License (ISCL)"],
          {"byclass/__init__.py": "x = 1\n", "byclass/data.json": "{}",
           "byclass/_speed.c": "int f(void) { return 1; }\n"})
    _dist(tmp_path, "byfile", "2.0",
          ["Author-email: nobody@example.org", "License-File: LICENSE",
           "Classifier: License :: OSI Approved :: Apache Software License"],
          {"byfile/mod.py": "y = 2\n", "byfile-2.0.dist-info/licenses/LICENSE": APACHE})
    _dist(tmp_path, "unknown", "3.0",
          ["License-Expression: Not-A-Licence", "Maintainer-email: Mo Maint <mo@example.org>",
           "Classifier: License :: OSI Approved :: BSD License"],
          {"unknown/u.py": "z = 3\n"})
    _dist(tmp_path, "spdxfield", "4.0", ["License: Apache-2.0 OR MIT"],
          {"spdxfield.py": "# Copyright 2019 Field Person\nw = 4\n"})
    _dist(tmp_path, "norecord", "5.0", [], {"norecord.py": "v = 5\n"}, record=False)
    walk = iter_python_env_works(resolver=StubResolver(), sys_path=[tmp_path],
                                 include_stdlib=False)
    items = list(walk)
    works = {i.source.uri: i for i in items if isinstance(i, WorkInput)}
    assert sorted(works) == ["pypi:byclass@1.0#byclass/__init__.py",
                             "pypi:byclass@1.0#byclass/_speed.c",
                             "pypi:byfile@2.0#byfile/mod.py", "pypi:spdxfield@4.0#spdxfield.py",
                             "pypi:unknown@3.0#unknown/u.py"]
    speed = works["pypi:byclass@1.0#byclass/_speed.c"]
    assert (speed.licence, speed.holders, speed.language) == ("ISC", ("Ann Author",), "c")
    mod = works["pypi:byfile@2.0#byfile/mod.py"]
    assert (mod.licence, mod.holders) == ("Apache-2.0", ("Fake File Authors",))
    assert walk.licences["byfile@2.0"].files == (
        str(tmp_path / "byfile-2.0.dist-info" / "licenses" / "LICENSE"),)
    u = works["pypi:unknown@3.0#unknown/u.py"]
    assert (u.licence, u.holders) == ("NOASSERTION", ("Mo Maint",))
    assert "not SPDX" in walk.licences["unknown@3.0"].note
    field = works["pypi:spdxfield@4.0#spdxfield.py"]
    assert (field.licence, field.holders) == ("Apache-2.0 OR MIT", ("Field Person",))
    [skipped] = [i for i in items if isinstance(i, Skipped)]
    assert skipped.input == "pypi:norecord@5.0" and "RECORD" in skipped.reason


def test_ambiguous_classifier_keeps_the_licence_files_licences_of_its_family(
        tmp_path: Path) -> None:
    """scipy's LICENSE.txt carries its own BSD licence and the licences of components bundled
    in scipy.libs (the GCC runtime's GPL); its classifier says only "BSD License". The licences
    of that family are the distribution's; the others are noted, not imposed on its files."""
    bsd = ("Copyright (c) 2001 Example Developers.\n\nRedistribution and use in source and "
           "binary forms ... Neither the name of the copyright holder ...\n")
    mit = ("Bundled component: libexample\n\nPermission is hereby granted, free of charge, to "
           "any person obtaining a copy of this software ...\n")
    _dist(tmp_path, "bundles", "1.0",
          ["License-File: LICENSE.txt", "License-File: LICENSES_bundled.txt",
           "Classifier: License :: OSI Approved :: BSD License"],
          {"bundles/__init__.py": "x = 1\n", "bundles-1.0.dist-info/licenses/LICENSE.txt": bsd,
           "bundles-1.0.dist-info/licenses/LICENSES_bundled.txt": mit})
    _dist(tmp_path, "nofamily", "1.0",
          ["License-File: LICENSE.txt", "License-File: LICENSES_bundled.txt"],
          {"nofamily/__init__.py": "x = 1\n", "nofamily-1.0.dist-info/licenses/LICENSE.txt": bsd,
           "nofamily-1.0.dist-info/licenses/LICENSES_bundled.txt": mit})
    walk = iter_python_env_works(resolver=StubResolver(), sys_path=[tmp_path],
                                 include_stdlib=False)
    works = {i.source.uri: i for i in walk if isinstance(i, WorkInput)}
    assert works["pypi:bundles@1.0#bundles/__init__.py"].licence == "BSD-3-Clause"
    assert "also name MIT" in walk.licences["bundles@1.0"].note
    # without a classifier both licences stand (AND: the conservative reading)
    assert works["pypi:nofamily@1.0#nofamily/__init__.py"].licence == "BSD-3-Clause AND MIT"


def test_a_vendored_folder_with_its_own_licence_file_keeps_it() -> None:
    # typer ships click under typer/_click with Pallets' BSD-3-Clause LICENSE.txt; a newcomer
    # saw typer's MIT and author on click's code
    dist = metadata.distribution("typer")
    licence_txt = Path(str(dist.locate_file("typer/_click/LICENSE.txt")))
    assert licence_txt.is_file(), "this typer version vendors click"
    works = {w.source.path: w for w in iter_python_env_works(
        resolver=StubResolver(), distributions=["typer"]) if isinstance(w, WorkInput)}
    core = works["typer/_click/core.py"]
    assert core.licence == "BSD-3-Clause"
    assert core.holders == ("Pallets",)
    main = works["typer/main.py"]
    assert main.licence == "MIT" and "Pallets" not in main.holders
