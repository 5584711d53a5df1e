from __future__ import annotations

import pytest
from pygments.lexers import get_lexer_by_name
from pygments.util import ClassNotFound

from rightsguard.corpus.languages import (
    CODE_EXTENSIONS,
    CODE_FILENAMES,
    TREE_SITTER_LANGUAGES,
    is_text_path,
    language_for_path,
    language_for_shebang,
    normalise_language,
)


@pytest.mark.parametrize(("path", "language"), [
    ("a/b.py", "python"), ("x.pyi", "python"), ("x.mjs", "javascript"), ("x.ts", "typescript"),
    ("x.tsx", "tsx"), ("X.java", "java"), ("x.c", "c"), ("x.h", "c"), ("x.hpp", "cpp"),
    ("x.CC", "cpp"), ("x.go", "go"), ("x.rs", "rust"), ("x.cs", "c_sharp"), ("x.rb", "ruby"),
    ("x.php", "php"), ("x.kt", "kotlin"), ("x.swift", "swift"), ("x.scala", "scala"),
    ("x.sh", "bash"), ("x.pl", "perl"), ("x.lua", "lua"), ("x.R", "r"), ("x.pyx", "cython"),
    ("Makefile", "make"), ("CMakeLists.txt", "cmake"),
    ("README", None), ("x.md", None), ("x.json", None), ("x.png", None),
])
def test_language_for_path(path: str, language: str | None) -> None:
    assert language_for_path(path) == language


def test_every_language_is_a_grammar_or_a_pygments_lexer() -> None:
    for language in {*CODE_EXTENSIONS.values(), *CODE_FILENAMES.values()}:
        if language in TREE_SITTER_LANGUAGES:
            continue
        try:
            get_lexer_by_name(language)
        except ClassNotFound:  # pragma: no cover - the assertion message is the point
            pytest.fail(f"{language!r} is neither a tree-sitter grammar nor a Pygments lexer")


@pytest.mark.parametrize(("path", "expected"), [
    ("notes.txt", True), ("README.md", True), ("doc.rst", True), ("README", True),
    ("AUTHORS", True), (".gitignore", False), ("x.py", False), ("x.json", False),
    ("Makefile", False), ("CMakeLists.txt", False),
])
def test_is_text_path(path: str, expected: bool) -> None:
    assert is_text_path(path) is expected


def test_shebang_and_labels() -> None:
    assert language_for_shebang("#!/usr/bin/env python3\nprint(1)\n") == "python"
    assert language_for_shebang("#!/bin/bash\n") == "bash"
    assert language_for_shebang("#!/usr/bin/python3.11 -u\n") == "python"
    assert language_for_shebang("no shebang") is None
    assert normalise_language("C++") == "cpp"
    assert normalise_language("C#") == "c_sharp"
    assert normalise_language("Python") == "python"
    assert normalise_language("Kotlin") == "kotlin"


@pytest.mark.parametrize(("name", "prose"), [
    # Debian's licence texts and READMEs (a newcomer's folder add passed over them, so `check`
    # of a copy came out clean): a version number or a README-like name is not an extension
    ("Apache-2.0", True), ("LGPL-2.1", True), ("CC0-1.0", True), ("GPL-3", True),
    ("README.Debian", True), ("NEWS.old", True),
    ("setup.cfg", False), ("data.csv", False), ("x.lock", False), (".gitignore", False),
])
def test_version_numbers_and_readme_names_are_not_extensions(name: str, prose: bool) -> None:
    assert is_text_path(name) is prose


def test_perl_files_named_dot_perl_are_perl() -> None:
    assert language_for_path("/usr/share/doc/x/example.perl") == "perl"
