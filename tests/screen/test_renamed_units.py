""":func:`rightsguard.screen.matcher._renamed_units` scores several fragments at once; each
figure is computed by hand from the rules in its docstring (n = 4)."""

from __future__ import annotations

import sysconfig
from pathlib import Path

import numpy as np
from renaming import renamed

from rightsguard.fingerprint.code import IDENT_ID, LITERAL_ID, CodeTokenizer
from rightsguard.screen.matcher import SAME_TEXT_ARRAY_MIN, _renamed_units, _same_texts

STDLIB = Path(sysconfig.get_paths()["stdlib"])

ID, LIT, PUNCT = IDENT_ID, LITERAL_ID, 7


def _units(frags: list[tuple[list[int], list[int], list[int], list[bool], list[int]]]
           ) -> list[int]:
    """``frags``: per fragment (normalised ids, output chars, work chars, same, prev n-gram)."""
    types = (np.uint64, np.int64, np.int64, bool, np.int64)  # ids are 64-bit: never floats
    cols = [np.concatenate([np.asarray(f[i], dtype=types[i]) for f in frags])
            for i in range(5)]
    seg = np.concatenate(([0], np.cumsum([len(f[0]) for f in frags])))
    return _renamed_units(cols[1], cols[0], cols[2], cols[3], cols[4], seg).tolist()


# every token identical, one identifier among them: a verbatim stretch, all 9 characters count
VERBATIM = ([ID, PUNCT, ID, PUNCT, LIT], [3, 1, 3, 1, 1], [3, 1, 3, 1, 1], [True] * 5,
            [-1, -1, 0, 0, 0])
# an identifier then five punctuation tokens, all identical, none starting a new 4-gram: one
# stretch of 6 tokens with an identifier, so 2 + 5 = 7
STRETCH = ([ID] + [PUNCT] * 5, [2, 1, 1, 1, 1, 1], [2, 1, 1, 1, 1, 1], [True] * 6, [0] * 6)
# renamed identifiers (x -> long_name: 1 char each), punctuation seen before: only the last
# n - 1 = 3 tokens count, min(output, work) = 1 + 1 + 1
RENAMED = ([ID, PUNCT, ID, PUNCT, ID], [1, 1, 1, 1, 1], [9, 1, 9, 1, 9], [False, True, False,
                                                                         True, False],
           [0, 0, 0, 0, 0])


def test_each_fragment_is_scored_on_its_own() -> None:
    assert _units([VERBATIM]) == [9]
    assert _units([STRETCH]) == [7]
    assert _units([RENAMED]) == [3]


def test_fragments_laid_end_to_end_score_as_they_do_alone() -> None:
    # VERBATIM's stretch ends exactly where STRETCH's begins: both must be counted
    assert _units([VERBATIM, STRETCH, RENAMED]) == [9, 7, 3]
    assert _units([STRETCH, VERBATIM]) == [7, 9]
    assert _units([RENAMED, RENAMED]) == [3, 3]


def test_a_stretch_does_not_run_across_two_fragments() -> None:
    # two identical punctuation tokens, then a fragment of one identical identifier: together
    # they would be a 3-token stretch with an identifier; apart, the first counts only its
    # last n - 1 tokens (both) and new 4-grams (none)
    two = ([PUNCT, PUNCT], [1, 1], [1, 1], [True, True], [0, 0])
    one = ([ID], [5], [5], [True], [0])
    assert _units([two, one]) == [2, 5]


def test_identifier_texts_compare_alike_by_slices_and_by_hashes() -> None:
    """:func:`_same_texts` on a real renamed copy: its array path (from
    :data:`SAME_TEXT_ARRAY_MIN` pairs) agrees with comparing the slices, on ASCII and non-ASCII
    texts, and where renamed names have the same length as the originals."""
    work = (STDLIB / "textwrap.py").read_text("utf-8")
    out = "# copié\n" + renamed(work, "renamed_")  # non-ASCII: 32-bit code points
    tok = CodeTokenizer()
    wt, ot = tok.tokenize(work, "python"), tok.tokenize(out, "python")
    assert ot.norm_ids.tolist() == wt.norm_ids.tolist()  # renaming keeps the token structure
    named = np.flatnonzero((wt.norm_ids == np.uint64(IDENT_ID))
                           | (wt.norm_ids == np.uint64(LITERAL_ID)))
    assert named.shape[0] > 4 * SAME_TEXT_ARRAY_MIN
    want = [out[a:b] == work[c:d] for a, b, c, d in zip(
        ot.starts[named].tolist(), ot.ends[named].tolist(), wt.starts[named].tolist(),
        wt.ends[named].tolist(), strict=True)]
    assert 0 < sum(want) < len(want)  # some names renamed, others (and literals) kept
    span_chars = int((ot.ends[named] - ot.starts[named]).sum())
    assert len(out) + len(work) <= 64 * span_chars  # so the array path is the one taken
    got = _same_texts(out, ot.starts[named], ot.ends[named], work, wt.starts[named],
                      wt.ends[named])
    assert got.tolist() == want
    few = named[:SAME_TEXT_ARRAY_MIN - 1]  # the slice path
    assert _same_texts(out, ot.starts[few], ot.ends[few], work, wt.starts[few],
                       wt.ends[few]).tolist() == want[:few.shape[0]]
    # ASCII on both sides: the work against itself, and against a copy whose names differ
    # only in their last letter (same lengths: the code points decide)
    assert _same_texts(work, wt.starts[named], wt.ends[named], work, wt.starts[named],
                       wt.ends[named]).all()
    shifted = list(work)
    for a, b in zip(wt.starts[named].tolist(), wt.ends[named].tolist(), strict=True):
        if work[a:b].isidentifier() and work[b - 1] != "_":
            shifted[b - 1] = "_"
    shifted_text = "".join(shifted)
    want = [work[a:b] == shifted_text[a:b] for a, b in zip(
        wt.starts[named].tolist(), wt.ends[named].tolist(), strict=True)]
    assert 0 < sum(want) < len(want)
    assert _same_texts(work, wt.starts[named], wt.ends[named], shifted_text, wt.starts[named],
                       wt.ends[named]).tolist() == want
