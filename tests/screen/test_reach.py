"""The bound that lets a renamed-copy candidate be dropped before its tokens are read
(:func:`rightsguard.screen.matcher._reach_nows`): hand-computed cases, and on real standard
library code that it is never below what verification finds (so dropping changes no result)."""

from __future__ import annotations

import sysconfig
from pathlib import Path

import numpy as np
import pytest
from renaming import renamed

from rightsguard.fingerprint.code import CodeTokenizer
from rightsguard.fingerprint.winnow import WinnowParams, fingerprint
from rightsguard.index.channels import CODE_NORM
from rightsguard.screen.matcher import (
    MAX_GAP_CHARS,
    Fragment,
    _chain,
    _reach_nows,
    _reach_nows_many,
    _run_extents,
    _union_tokens_nows,
)

STDLIB = Path(sysconfig.get_paths()["stdlib"])
P = WinnowParams(12, 24)  # window 13, as the code-normalised channel
ONE_CHAR_PER_TOKEN = np.arange(101, dtype=np.int64)  # 100 tokens of one character each


def test_one_seed_reaches_window_minus_one_k_grams_either_side() -> None:
    # k-gram start 40: tokens [40 - 12, 40 + 12 + 12) = [28, 64)
    assert _reach_nows(np.array([40]), np.empty(0, np.int64), ONE_CHAR_PER_TOKEN, P) == 36


def test_unanswered_fingerprints_bridge_seeds_at_most_a_window_apart() -> None:
    # 10 and 20 (gap 10 <= 13) join; 40 (gap 20) is unanswered and alone, so it bounds nothing
    assert _reach_nows(np.array([10]), np.array([20, 40]), ONE_CHAR_PER_TOKEN, P) == 44
    # with 30 unanswered too, 10-20-30-40 is one group: [0, 40 + 24) = 64 tokens
    assert _reach_nows(np.array([10]), np.array([20, 30, 40]), ONE_CHAR_PER_TOKEN, P) == 64
    # two seeds far apart: two groups of 36 tokens, clipped at the output's end (100)
    assert _reach_nows(np.array([5, 90]), np.empty(0, np.int64), ONE_CHAR_PER_TOKEN, P) == \
        (5 + 24) + (100 - 78)
    assert _reach_nows(np.empty(0, np.int64), np.array([3]), ONE_CHAR_PER_TOKEN, P) == 0


def test_several_works_at_once_equal_one_at_a_time() -> None:
    """The batched bound of several works (one array pass) is each work's own: the hand cases
    above together, and works whose points lie where another's bounds would reach."""
    none = np.empty(0, np.int64)
    seeds = [np.array([10]), np.array([5, 90]), none, np.array([40]), np.array([0, 99])]
    unanswered = np.array([20, 30, 40])
    got = _reach_nows_many(seeds, unanswered, ONE_CHAR_PER_TOKEN, P).tolist()
    # by hand (window 13, k 12): 10-20-30-40 is one group, [0, 64); 5 is 15 from 20, alone:
    # [0, 29), and 90 alone: [78, 100), 29 + 22; no seeds, nothing; 40 groups with 20-30:
    # [8, 64); 0 alone: [0, 24), 99 alone: [87, 100), 24 + 13
    assert got == [64, 51, 0, 56, 37]
    assert got == [_reach_nows(x, unanswered, ONE_CHAR_PER_TOKEN, P) for x in seeds]
    assert _reach_nows_many([], unanswered, ONE_CHAR_PER_TOKEN, P).tolist() == []


def test_a_chain_bound_takes_the_largest_cluster_of_bounds_close_in_the_output() -> None:
    """With the output's code points (token i at [10 i, 10 i + 1): 9 code points between
    tokens), bounds farther apart than the gap a chain allows count apart, the largest wins."""
    starts = np.arange(100, dtype=np.int64) * 10
    ends = starts + 1
    # seeds 5 and 90: bounds [0, 29) and [78, 100), 780 - 281 = 499 code points apart
    five_ninety = np.array([5, 90])
    none = np.empty(0, np.int64)
    assert _reach_nows_many([five_ninety], none, ONE_CHAR_PER_TOKEN, P,
                            (starts, ends, 300)).tolist() == [29]
    assert _reach_nows_many([five_ninety], none, ONE_CHAR_PER_TOKEN, P,
                            (starts, ends, 499)).tolist() == [29 + 22]
    # the largest cluster, not the first: 5 alone (29) against 75 and 90 (bounds [63, 99) and
    # [78, 100) overlap: one bound [63, 100), 37 tokens, 630 - 281 = 349 code points on); with
    # 60 for 75 the bound [48, 100) starts 480 - 281 = 199 after the first: one cluster
    assert _reach_nows_many([np.array([5, 75, 90]), np.array([5, 60, 90]), five_ninety], none,
                            ONE_CHAR_PER_TOKEN, P, (starts, ends, 300)).tolist() == \
        [37, 29 + 52, 29]


def _files() -> list[Path]:
    names = ("json/decoder.py", "textwrap.py", "shlex.py", "fnmatch.py", "heapq.py",
             "bisect.py", "colorsys.py", "graphlib.py")
    return [STDLIB / n for n in names]


@pytest.mark.parametrize("drop", [0.0, 0.3])
def test_bound_is_never_below_the_runs_verification_finds(drop: float) -> None:
    """Output: a renamed 2,000-character cut of one file, from a function on; work: each file
    whole (the copied one and unrelated ones). Seeds are output fingerprints the work also
    selected; a share ``drop`` of them is treated as unanswered (a stoplisted idiom), as the
    index does."""
    tok = CodeTokenizer()
    rng = np.random.default_rng(7)
    checked = copied = 0
    for out_file in _files():
        src = renamed(out_file.read_text(), "renamed_")
        at = src.index("def ", len(src) // 3)  # a cut starting at a function
        cut = src[at:at + 2000]
        ct = tok.tokenize(cut, "python")
        nows_before = np.concatenate(([0], np.cumsum(ct.ends - ct.starts)))
        q_hashes, q_pos = fingerprint(ct.norm_ids, CODE_NORM.params)
        for work_file in _files():
            wt = tok.tokenize(work_file.read_text(), "python")
            w_hashes, w_pos = fingerprint(wt.norm_ids, CODE_NORM.params)
            shared = np.isin(q_hashes, w_hashes)
            dropped = shared & (rng.random(shared.shape[0]) < drop)
            seeds = shared & ~dropped
            if not seeds.any():
                continue
            # every (output, work) pair of one hash, as postings give them
            qa, ja = [], []
            for qi in np.flatnonzero(seeds).tolist():
                for wj in w_pos[w_hashes == q_hashes[qi]].tolist():
                    qa.append(int(q_pos[qi]))
                    ja.append(int(wj))
            q_arr, j_arr = np.array(qa), np.array(ja)
            fwd, back = _run_extents(ct.norm_ids, q_arr, wt.norm_ids, j_arr)
            found = _union_tokens_nows((q_arr - back)[fwd > 0], (q_arr + fwd)[fwd > 0],
                                       nows_before)
            bound = _reach_nows(q_arr, q_pos[dropped], nows_before, CODE_NORM.params)
            assert found <= bound, (out_file.name, work_file.name)
            # per chain: the best chain of the runs (fragments) is within the clustered bound
            ok = fwd > 0
            frags = {(int(a), int(b), int(j - bk)) for a, b, j, bk in zip(
                (q_arr - back)[ok], (q_arr + fwd)[ok], j_arr[ok], back[ok], strict=True)}
            chain = _chain([Fragment(int(ct.starts[a]), int(ct.ends[b - 1]),
                                     int(wt.starts[ws]), int(wt.ends[ws + b - a - 1]),
                                     int(nows_before[b] - nows_before[a]))
                            for a, b, ws in frags])
            chained = sum(f.units for f in chain)
            per_chain = int(_reach_nows_many([q_arr], q_pos[dropped], nows_before,
                                             CODE_NORM.params,
                                             (ct.starts, ct.ends, MAX_GAP_CHARS))[0])
            assert chained <= per_chain <= bound, (out_file.name, work_file.name)
            checked += 1
            copied += out_file == work_file
            if out_file == work_file:
                assert found >= 500  # the renamed copy: long runs
    assert copied == len(_files())
    assert checked > copied  # unrelated files share some fingerprints too
