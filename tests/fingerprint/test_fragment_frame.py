"""Outputs cut inside a triple-quoted string are read as the file they were cut from reads them.

Ground truth comes from parsing the whole real file (the standard library's ``textwrap``,
``argparse`` and ``json/decoder.py``): where its docstrings lie, and which tokens its code has.
"""

from __future__ import annotations

import argparse
import json.decoder
import textwrap
from pathlib import Path

import numpy as np
import pytest

from rightsguard.fingerprint.code import CodeTokenizer, fragment_frame

MODULES = [Path(textwrap.__file__), Path(argparse.__file__), Path(json.decoder.__file__)]


def _docstrings(text: str, tok: CodeTokenizer, shortest: int = 40) -> list[tuple[int, int]]:
    """Code-point spans of the triple-quoted strings of a whole file of at least ``shortest``
    code points."""
    ct = tok.tokenize(text, "python")
    quotes = ('"""', "'''", 'r"""', "r'''")
    return [(s, e) for s, e in zip(ct.starts.tolist(), ct.ends.tolist(), strict=True)
            if text.startswith(quotes, s) and e - s >= shortest]


def _cuts(text: str, docs: list[tuple[int, int]]) -> list[int]:
    """Offsets a third of the way into each docstring whose prose runs at least 60 code points
    past the cut (so the fragment starts in words, not in the closing quotes)."""
    return [s + (e - s) // 3 for s, e in docs if (e - s) * 2 // 3 > 60]


@pytest.mark.parametrize("module", MODULES, ids=lambda p: p.name)
def test_fragments_starting_inside_a_docstring_get_an_opening_quote(module: Path) -> None:
    text = module.read_text("utf-8")
    assert text.isascii()
    tok = CodeTokenizer()
    docs = _docstrings(text, tok)
    cuts = _cuts(text, docs)
    assert len(cuts) >= 5, "the module should have several long docstrings"
    hits = sum(fragment_frame(text[c:c + 2048], "python")[0] in ('"""', "'''") for c in cuts)
    # the words of a docstring decide it; a docstring made mostly of examples may not
    assert hits >= 0.9 * len(cuts), (hits, len(cuts))


@pytest.mark.parametrize("module", MODULES, ids=lambda p: p.name)
def test_fragments_starting_in_code_are_read_from_code(module: Path) -> None:
    text = module.read_text("utf-8")
    tok = CodeTokenizer()
    docs = _docstrings(text, tok, shortest=0)
    # every line start outside a triple-quoted string, every 7th one
    starts = [i + 1 for i, ch in enumerate(text) if ch == "\n"]
    code = [s for s in starts if not any(a <= s < b for a, b in docs)][::7]
    assert len(code) > 20
    wrong = [s for s in code if fragment_frame(text[s:s + 2048], "python")[0]]
    assert wrong == []


def test_tokens_after_the_cut_are_the_files_own() -> None:
    """A fragment starting inside ``textwrap.TextWrapper``'s docstring: read as a fragment, its
    code tokens after the docstring are exactly the whole file's at the same places (read
    plainly they are not: the docstring's words become code and the code becomes strings)."""
    text = Path(textwrap.__file__).read_text("utf-8")
    tok = CodeTokenizer()
    whole = tok.tokenize(text, "python")
    head = text.index("class TextWrapper:")
    doc_s, doc_e = next((s, e) for s, e in _docstrings(text, tok) if s > head)
    cut = doc_s + (doc_e - doc_s) // 2
    frag = text[cut:cut + 4096]
    assert fragment_frame(frag, "python")[0] == '"""'
    framed = tok.tokenize(frag, "python", fragment=True)
    plain = tok.tokenize(frag, "python")
    # the first token is the rest of the docstring: [0, its closing quotes)
    assert (int(framed.starts[0]), int(framed.ends[0])) == (0, doc_e - cut)

    def after_doc(ct):  # type: ignore[no-untyped-def]
        keep = (ct.starts >= doc_e - cut) & (ct.ends <= len(frag) - 200)
        return list(zip((ct.starts[keep] + cut).tolist(), ct.norm_ids[keep].tolist(),
                        strict=True))

    in_file = (whole.starts >= doc_e) & (whole.ends <= cut + len(frag) - 200)
    expected = list(zip(whole.starts[in_file].tolist(), whole.norm_ids[in_file].tolist(),
                        strict=True))
    assert len(expected) > 100
    assert after_doc(framed) == expected
    assert after_doc(plain) != expected
    # the whole file read as a fragment is read as it is
    assert fragment_frame(text, "python") == ("", "")
    assert np.array_equal(tok.tokenize(text, "python", fragment=True).norm_ids, whole.norm_ids)


def test_fragment_ending_inside_a_docstring_is_closed() -> None:
    text = Path(textwrap.__file__).read_text("utf-8")
    start = text.index("def dedent(text):")
    doc = text.index('"""', start)
    frag = text[start:doc + 80]  # ends inside dedent's docstring
    assert fragment_frame(frag, "python") == ("", '"""')
    ct = CodeTokenizer().tokenize(frag, "python", fragment=True)
    # the docstring is one string token reaching the end of the fragment
    assert (int(ct.starts[-1]), int(ct.ends[-1])) == (doc - start, len(frag))


def test_other_languages_are_not_framed() -> None:
    prose = "the quick brown fox jumps over the lazy dog and then it runs away " * 10
    assert fragment_frame(prose, "javascript") == ("", "")
    assert fragment_frame(prose, "python") == ('"""', '"""')
