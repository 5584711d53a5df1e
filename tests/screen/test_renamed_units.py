""":func:`rightsguard.screen.matcher._renamed_units` scores several fragments at once; each
figure is computed by hand from the rules in its docstring (n = 4)."""

from __future__ import annotations

import numpy as np

from rightsguard.fingerprint.code import IDENT_ID, LITERAL_ID
from rightsguard.screen.matcher import _renamed_units

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
