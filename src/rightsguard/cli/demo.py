"""``rightsguard demo``: a real index of this Python, three examples generated from it.

The examples are made at run time from the local standard library, so they are real code, never
stored answers:

1. ``renamed``: a standard-library function with its local names renamed and its layout changed
   (re-tokenised by :mod:`tokenize`) — expected: a match to that module (PSF-2.0, attribute).
2. ``licence``: the first paragraphs of the Apache-2.0 licence text as a comment inside new
   code — expected: a match to the Apache-2.0 licence text (attribute).
3. ``original``: a snippet written for the demo — expected: clean.
"""

from __future__ import annotations

import ast
import io
import keyword
import re
import sysconfig
import tokenize
from dataclasses import dataclass
from pathlib import Path

from rich.console import Console

from rightsguard.model import ScreenResult

#: (module file under the stdlib, function name) tried in order; the first found is used.
DEMO_FUNCTIONS = (("textwrap.py", "_wrap_chunks"), ("json/decoder.py", "py_scanstring"),
                  ("shlex.py", "split"))

ORIGINAL_SNIPPET = '''\
def tally_votes(ballots):
    """Count first preferences and report the leader, ties broken alphabetically."""
    counts = {}
    for ballot in ballots:
        if ballot:
            counts[ballot[0]] = counts.get(ballot[0], 0) + 1
    ranked = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    return ranked[0][0] if ranked else None
'''


@dataclass(frozen=True, slots=True)
class DemoExample:
    label: str
    language: str
    text: str
    expected: str  # expected verdict
    origin: str


def stdlib_function(module: str, name: str) -> tuple[str, Path]:
    """Source text of function ``name`` in stdlib ``module`` (KeyError when absent)."""
    path = Path(sysconfig.get_paths()["stdlib"]) / module
    source = path.read_text("utf-8")
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name == name:
            seg = ast.get_source_segment(source, node)
            if seg:
                return seg, path
    raise KeyError(f"{name} not in {path}")


def rename_and_reformat(code: str) -> str:
    """Rename the function's parameters and assigned local names (``v1``, ``v2`` …) and change
    its layout: two-space indentation and re-spaced operators, via :mod:`tokenize`."""
    import textwrap

    code = textwrap.dedent(code)
    tree = ast.parse(code)
    local: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.arg) and node.arg != "self":
            local.add(node.arg)
        elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            local.add(node.id)
    mapping = {n: f"v{i}" for i, n in enumerate(sorted(local), 1) if not keyword.iskeyword(n)}
    out: list[tokenize.TokenInfo] = []
    for tok in tokenize.generate_tokens(io.StringIO(code).readline):
        if tok.type == tokenize.NAME and tok.string in mapping:
            tok = tok._replace(string=mapping[tok.string])
        out.append(tok)
    renamed = tokenize.untokenize(out)
    lines = []
    for line in renamed.splitlines():
        stripped = line.lstrip(" ")
        depth = (len(line) - len(stripped)) // 4
        lines.append("  " * depth + stripped.replace(", ", " , ").replace("=", " = ")
                     .replace(" =  = ", " == ").replace("!  = ", "!= ").replace("<  = ", "<= ")
                     .replace(">  = ", ">= ").replace("+  = ", "+= ").replace("-  = ", "-= "))
    return "\n".join(lines) + "\n"


def licence_in_code(licence_text: str, paragraphs: int = 3) -> str:
    """The first ``paragraphs`` paragraphs of a licence text as a comment inside new code."""
    # paragraphs are separated by blank lines, which may hold spaces (ScanCode's texts do)
    paras = [p.strip() for p in re.split(r"\n[ \t]*\n", licence_text.strip())
             if p.strip()][:paragraphs]
    comment = "\n#\n".join("\n".join(f"# {ln.strip()}" for ln in p.splitlines()) for p in paras)
    return (f"{comment}\n\ndef greet(name):\n    return 'Hello, ' + name\n\n\n"
            "if __name__ == '__main__':\n    print(greet('world'))\n")


def examples() -> list[DemoExample]:
    from rightsguard.signals.licences import licence_text

    src, path = None, None
    for module, name in DEMO_FUNCTIONS:
        try:
            src, path = stdlib_function(module, name)
            break
        except (KeyError, OSError, SyntaxError):
            continue
    if src is None or path is None:
        raise RuntimeError("none of the demo functions exist in this standard library")
    return [
        DemoExample("renamed", "python", rename_and_reformat(src), "attribute",
                    f"{path.name}: {name}() renamed and reformatted"),
        DemoExample("licence", "python", licence_in_code(licence_text("Apache-2.0"), 6),
                    "attribute", "Apache-2.0 licence text, first paragraphs, in comments"),
        DemoExample("original", "python", ORIGINAL_SNIPPET, "clean", "written for this demo"),
    ]


MARKER = "demo-complete"
"""File in the index folder saying the demo's works are registered, and the registry's
generation right after (``generation N``): if the generation is still N, nothing else was
added to or removed from that index since."""


def build_demo_index(home: Path, *, quiet: bool) -> None:
    """Register the running Python's stdlib and distributions plus licence texts, once.

    An index the demo built that this rightsguard cannot read (built by a version with other
    fingerprint settings) is rebuilt when it holds only the demo's works
    (:func:`_holds_only_the_demo`); one the user also added works to stays as it is and the
    error is raised
    (:class:`~rightsguard.errors.IndexMismatchError`): it is not the demo's to delete."""
    from itertools import chain

    from rightsguard.cli.commands import _progress_add, empty_index_folder
    from rightsguard.errors import IndexMismatchError
    from rightsguard.index.sources import licence_text_works, works_from
    from rightsguard.index.store import Index

    marker = home / MARKER
    if marker.exists():
        try:
            Index.open(home)  # still checks the manifest and settings
            return
        except IndexMismatchError:
            if not _holds_only_the_demo(home, marker):
                raise
        from rightsguard.cli.entry import err_console

        if not quiet:
            err_console().print(f"The demo index in {home} was built by another version of "
                                "rightsguard and holds only the demo's works: rebuilding it.",
                                highlight=False)
        empty_index_folder(home)
    _progress_add(chain(works_from("python-env"), licence_text_works()), home, quiet,
                  "Indexing this Python (once)")
    generation = Index.open(home).registry.generation()
    marker.write_text("stdlib, installed distributions and licence texts registered\n"
                      f"generation {generation}\n")


#: Source URIs of what the demo registers: ``python-env`` (:mod:`rightsguard.corpus.pyenv`)
#: and the licence texts (:func:`~rightsguard.index.sources.licence_text_works`).
DEMO_SOURCES = ("pypi:", "python-stdlib@", "https://spdx.org/licenses/")


def _holds_only_the_demo(home: Path, marker: Path) -> bool:
    """True when the SQLite registry of the index in ``home`` is at the generation
    :data:`MARKER` recorded; for a marker of an older version, which records none, when every
    source it holds is one the demo registers (:data:`DEMO_SOURCES`)."""
    import json

    from rightsguard.errors import RightsguardError
    from rightsguard.index.registry import Registry

    recorded = re.search(r"^generation (\d+)$", marker.read_text("utf-8", "replace"), re.M)
    try:
        manifest = json.loads((home / "index.json").read_text("utf-8"))
        if manifest.get("registry_url") or not (home / "registry.sqlite").exists():
            return False
        registry = Registry(f"sqlite:///{(home / 'registry.sqlite').resolve()}")
        if recorded is not None:
            return registry.generation() == int(recorded.group(1))
        return all(uri.startswith(DEMO_SOURCES) for uri in registry.source_uris_all())
    except (OSError, ValueError, RightsguardError):
        return False


def run_demo(home: Path, *, quiet: bool = False, fmt: str = "human") -> list[ScreenResult]:
    from rightsguard.index.store import Index
    from rightsguard.report import render_side_by_side, to_json
    from rightsguard.screen.api import Screener

    build_demo_index(home, quiet=quiet)
    screener = Screener(Index.open(home))
    rows: list[tuple[str, ScreenResult]] = []
    for ex in examples():
        result = screener.screen_text(ex.text, name=f"demo:{ex.label}", language=ex.language)[0]
        rows.append((f"{ex.label}\n({ex.origin})", result))
    if fmt == "json":
        from rightsguard.model import ScreenReport

        print(to_json(ScreenReport(tuple(r for _l, r in rows))))
    else:
        render_side_by_side(rows, Console())
    return [r for _l, r in rows]
