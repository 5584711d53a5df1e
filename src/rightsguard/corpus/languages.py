"""Which files are code (and in which language) and which are prose. The tables are data.

Language names are the ones :mod:`rightsguard.fingerprint.code` understands: the tree-sitter
grammars in :data:`TREE_SITTER_LANGUAGES`, and otherwise a Pygments lexer name (its fallback).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from os import PathLike
from pathlib import PurePath
from types import MappingProxyType

__all__ = [
    "CODE_EXTENSIONS",
    "CODE_FILENAMES",
    "IMAGE_SUFFIXES",
    "PROSE_LANGUAGES",
    "PYGMENTS_EXTENSIONS",
    "TEXT_EXTENSIONS",
    "TREE_SITTER_LANGUAGES",
    "is_code_path",
    "is_text_path",
    "language_for_path",
    "language_for_shebang",
    "normalise_language",
]

IMAGE_SUFFIXES = frozenset({".jpg", ".jpeg", ".png", ".gif", ".webp", ".tif", ".tiff", ".bmp",
                            ".avif"})
"""File name extensions of images (formats Pillow decodes): image works, screened as images."""

TREE_SITTER_LANGUAGES = frozenset({
    "python", "javascript", "typescript", "tsx", "java", "c", "cpp", "go", "rust", "c_sharp",
    "ruby", "php",
})

_TREE_SITTER_EXTENSIONS: dict[str, tuple[str, ...]] = {
    "python": (".py", ".pyi", ".pyw"),
    "javascript": (".js", ".mjs", ".cjs", ".jsx"),
    "typescript": (".ts", ".mts", ".cts"),
    "tsx": (".tsx",),
    "java": (".java",),
    "c": (".c", ".h"),
    "cpp": (".cc", ".cpp", ".cxx", ".c++", ".hh", ".hpp", ".hxx", ".h++", ".ipp", ".tcc"),
    "go": (".go",),
    "rust": (".rs",),
    "c_sharp": (".cs",),
    "ruby": (".rb", ".rake", ".gemspec"),
    "php": (".php", ".phtml"),
}

_PYGMENTS_EXTENSIONS: dict[str, tuple[str, ...]] = {
    # Pygments lexer name -> extensions: code without a tree-sitter grammar here.
    "kotlin": (".kt", ".kts"),
    "swift": (".swift",),
    "scala": (".scala", ".sc"),
    "bash": (".sh", ".bash"),
    "zsh": (".zsh",),
    "perl": (".pl", ".pm", ".perl"),
    "lua": (".lua",),
    "r": (".r",),
    "julia": (".jl",),
    "haskell": (".hs",),
    "ocaml": (".ml", ".mli"),
    "fsharp": (".fs", ".fsi", ".fsx"),
    "elixir": (".ex", ".exs"),
    "erlang": (".erl", ".hrl"),
    "clojure": (".clj", ".cljs", ".cljc"),
    "dart": (".dart",),
    "objective-c": (".m",),
    "objective-c++": (".mm",),
    "cython": (".pyx", ".pxd", ".pxi"),
    "cuda": (".cu", ".cuh"),
    "fortran": (".f90", ".f95", ".f03", ".f08"),
    "groovy": (".groovy", ".gradle"),
    "zig": (".zig",),
    "nim": (".nim",),
    "vbnet": (".vb",),
    "powershell": (".ps1", ".psm1"),
    "batch": (".bat", ".cmd"),
    "tcl": (".tcl",),
    "awk": (".awk",),
    "scheme": (".scm", ".ss"),
    "common-lisp": (".lisp", ".lsp"),
    "emacs-lisp": (".el",),
    "sql": (".sql",),
    "verilog": (".v", ".sv"),
    "vhdl": (".vhd", ".vhdl"),
    "solidity": (".sol",),
    "protobuf": (".proto",),
    "cmake": (".cmake",),
    "html": (".html", ".htm"),
    "css": (".css",),
    "scss": (".scss",),
    "vue": (".vue",),
}


def _invert(table: Mapping[str, tuple[str, ...]]) -> dict[str, str]:
    out: dict[str, str] = {}
    for language, extensions in table.items():
        for ext in extensions:
            if ext in out:
                raise ValueError(f"extension {ext} listed for {out[ext]} and {language}")
            out[ext] = language
    return out


PYGMENTS_EXTENSIONS: Mapping[str, str] = MappingProxyType(_invert(_PYGMENTS_EXTENSIONS))
"""Extension (lower case, with dot) -> Pygments lexer name, for code without a grammar."""

CODE_EXTENSIONS: Mapping[str, str] = MappingProxyType(
    {**_invert(_TREE_SITTER_EXTENSIONS), **PYGMENTS_EXTENSIONS})
"""Extension (lower case, with dot) -> language name (tree-sitter name or Pygments lexer)."""

CODE_FILENAMES: Mapping[str, str] = MappingProxyType({
    "Makefile": "make", "GNUmakefile": "make", "makefile": "make",
    "Dockerfile": "docker", "Containerfile": "docker",
    "CMakeLists.txt": "cmake", "Rakefile": "ruby", "Gemfile": "ruby", "SConstruct": "python",
    "SConscript": "python", "BUILD.bazel": "python", "WORKSPACE.bazel": "python",
    "meson.build": "meson", "Jenkinsfile": "groovy",
})
"""Whole file names (exact case) that are code whatever their extension."""

#: ``--language`` labels that mean prose or a model's markdown answer, not a programming
#: language: such input is screened as without a label (fenced code split out, unlabelled
#: code detected), never with Pygments' markdown or plain-text lexers, which found nothing.
PROSE_LANGUAGES = frozenset({
    "text", "txt", "plain", "plaintext", "prose", "markdown", "md", "mdown", "gfm", "commonmark",
    "rst", "rest", "restructuredtext", "asciidoc", "adoc",
})

TEXT_EXTENSIONS = frozenset({
    ".txt", ".text", ".md", ".markdown", ".mdown", ".rst", ".rest", ".adoc", ".asciidoc",
    ".org", ".tex", ".textile", ".pod", ".rdoc", ".wiki", ".creole",
})
"""Extensions of prose files. Files without an extension count as prose too (see is_text_path)."""

_SHEBANG_INTERPRETERS: Mapping[str, str] = MappingProxyType({
    "python": "python", "python2": "python", "python3": "python", "pypy": "python",
    "pypy3": "python", "node": "javascript", "nodejs": "javascript", "deno": "typescript",
    "ruby": "ruby", "php": "php", "sh": "bash", "bash": "bash", "dash": "bash", "ksh": "bash",
    "zsh": "zsh", "perl": "perl", "lua": "lua", "Rscript": "r", "tclsh": "tcl", "awk": "awk",
})

_LANGUAGE_ALIASES: Mapping[str, str] = MappingProxyType({
    "py": "python", "python3": "python", "js": "javascript", "node": "javascript",
    "jsx": "javascript", "ts": "typescript", "c++": "cpp", "cplusplus": "cpp", "cxx": "cpp",
    "c#": "c_sharp", "csharp": "c_sharp", "cs": "c_sharp", "c-sharp": "c_sharp", "golang": "go",
    "rs": "rust", "rb": "ruby", "sh": "bash", "shell": "bash", "kt": "kotlin",
    "objc": "objective-c", "objective c": "objective-c", "f#": "fsharp", "pl": "perl",
})


def language_for_path(path: str | PathLike[str]) -> str | None:
    """The code language of a file from its name, or None when the name says it is not code.

    Extensions match case-insensitively (``.R`` and ``.r`` are both R). Extension-less scripts
    are recognised from their content by :func:`language_for_shebang`.
    """
    p = PurePath(path)
    if p.name in CODE_FILENAMES:
        return CODE_FILENAMES[p.name]
    return CODE_EXTENSIONS.get(p.suffix.lower())


def is_code_path(path: str | PathLike[str]) -> bool:
    """True when :func:`language_for_path` knows the file's language."""
    return language_for_path(path) is not None


def is_text_path(path: str | PathLike[str]) -> bool:
    """True for prose files: a prose extension, or no extension at all (README, AUTHORS, scripts).

    A name whose last dot starts a version number has no extension (``Apache-2.0``,
    ``LGPL-2.1``: Debian's licence texts), and a README, NEWS or the like with a suffix
    (``README.Debian``) is prose. Extension-less files may turn out to be binary (the reader
    refuses them) or scripts (see :func:`language_for_shebang`). Dot-files (``.gitignore``) are
    configuration, not prose.
    """
    p = PurePath(path)
    if p.name in CODE_FILENAMES or p.name.startswith("."):
        return False
    suffix = p.suffix.lower()
    return suffix in TEXT_EXTENSIONS or suffix == "" or suffix[1:].isdigit() or \
        p.name.split(".", 1)[0].upper() in _PROSE_STEMS


#: Names of prose files that often carry a suffix (``README.Debian``, ``NEWS.old``).
_PROSE_STEMS = frozenset({"README", "NEWS", "CHANGES", "CHANGELOG", "HISTORY", "AUTHORS",
                          "CONTRIBUTORS", "THANKS", "TODO", "INSTALL", "FAQ"})

_SHEBANG = re.compile(r"#![ \t]*(\S+)(?:[ \t]+(\S+))?")
_VERSION_SUFFIX = re.compile(r"[\d.]+$")


def language_for_shebang(text: str) -> str | None:
    """The language of a script from its ``#!`` line (``#!/usr/bin/env python3`` -> python)."""
    m = _SHEBANG.match(text)
    if not m:
        return None
    program = PurePath(m.group(1)).name
    if program == "env" and m.group(2):
        program = m.group(2) if not m.group(2).startswith("-") else ""
    if program in _SHEBANG_INTERPRETERS:
        return _SHEBANG_INTERPRETERS[program]
    return _SHEBANG_INTERPRETERS.get(_VERSION_SUFFIX.sub("", program))


def normalise_language(name: str) -> str:
    """A catalogue's language label as a rightsguard language name (``C++`` -> ``cpp``).

    Unknown labels are returned lower-cased; the code fingerprinter decides whether Pygments
    knows them.
    """
    key = name.strip().lower()
    if key in TREE_SITTER_LANGUAGES or key in _PYGMENTS_EXTENSIONS:
        return key
    return _LANGUAGE_ALIASES.get(key, key.replace(" ", "-"))
