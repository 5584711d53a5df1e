"""An output stretch reproduced verbatim is attributed to the works holding it verbatim, not also
to works holding a renamed variant of it (:meth:`Matcher._code_norm`); where the output is not a
verbatim copy, the renamed variants are found. Real code: heapq.merge() of the standard library,
registered as is and as a fork without its docstring and comments, every name prefixed
(``renamed``), so the fork holds no verbatim stretch of heapq.py."""

from __future__ import annotations

import ast
import sysconfig
from pathlib import Path

import pytest
from renaming import renamed

from rightsguard import Index, Screener
from rightsguard.index.sources import works_from
from rightsguard.screen.matcher import NowsView

HEAPQ = Path(sysconfig.get_paths()["stdlib"]) / "heapq.py"


def _merge() -> str:
    text = HEAPQ.read_text("utf-8")
    start = text.index("\ndef merge(") + 1
    return text[start:text.index("\n# Algorithm notes", start)]


def _stripped() -> str:
    """merge() without its docstring and comments (``ast.unparse`` drops comments)."""
    tree = ast.parse(_merge())
    del tree.body[0].body[0]  # type: ignore[attr-defined]
    return ast.unparse(tree)


def _fork() -> str:
    return renamed(_stripped(), "fork_")


@pytest.fixture(scope="module")
def screener(tmp_path_factory: pytest.TempPathFactory) -> Screener:
    base = tmp_path_factory.mktemp("explained")
    (base / "heapq.py").write_bytes(HEAPQ.read_bytes())
    (base / "fork.py").write_text(_fork(), "utf-8")
    idx = Index.open(base / "idx", create=True)
    assert idx.add(works_from(base, licence="PSF-2.0", holder="PSF")).added == 2
    return Screener(idx)


def _found(screener: Screener, code: str) -> dict[str, set[str]]:
    [result] = screener.screen_text(code, language="python")
    out: dict[str, set[str]] = {}
    for m in result.matches:
        out.setdefault(Path(m.work.title).name, set()).add(m.kind)
    return out


def test_a_verbatim_copy_is_not_also_reported_as_the_forks_renamed_copy(screener: Screener
                                                                        ) -> None:
    assert _found(screener, _merge()) == {"heapq.py": {"verbatim"}}


def test_a_renamed_copy_is_reported_for_both_works(screener: Screener) -> None:
    assert _found(screener, renamed(_stripped(), "my_")) == {"heapq.py": {"renamed"},
                                                          "fork.py": {"renamed"}}


def test_the_fork_itself_is_reported_verbatim_and_heapq_not_as_renamed(screener: Screener
                                                                       ) -> None:
    assert _found(screener, _fork()) == {"fork.py": {"verbatim"}}


@pytest.mark.parametrize(("text", "chars", "offsets"), [
    ("a = 1\n", "a=1", [0, 2, 4]),
    # ASCII control characters that are not whitespace stay; \x1c-\x1f are whitespace
    ("a\x01 b\x1cc\x1f", "a\x01bc", [0, 1, 3, 5]),
    ("", "", []),
    ("é\u3000x\u2028y", "éxy", [0, 2, 4]),  # non-ASCII: ideographic space, line separator
])
def test_nows_view_drops_exactly_what_str_isspace_calls_whitespace(text: str, chars: str,
                                                                   offsets: list[int]) -> None:
    view = NowsView.of(text)
    assert view.chars == chars == "".join(c for c in text if not c.isspace())
    assert view.offsets.tolist() == offsets
