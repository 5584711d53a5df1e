"""k-gram hashing and winnowing (Schleimer, Wilkerson, Aiken 2003) against hand-made and
brute-force references."""

from __future__ import annotations

import numpy as np
import pytest

from rightsguard.fingerprint.winnow import WinnowParams, fingerprint, kgram_hashes, winnow

M64 = (1 << 64) - 1
BASE = 0x9E3779B97F4A7C15 | 1


def _mix(h: int) -> int:
    """splitmix64 finaliser in plain Python integers (independent of the numpy code)."""
    h ^= h >> 30
    h = (h * 0xBF58476D1CE4E5B9) & M64
    h ^= h >> 27
    h = (h * 0x94D049BB133111EB) & M64
    h ^= h >> 31
    return h


def _reference_kgram_hashes(ids: list[int], k: int, seed: int) -> list[int]:
    """The documented hash: mix(sum_j mix(id[i + j] ^ seed) * B**j mod 2**64)."""
    mixed = [_mix(i ^ seed) for i in ids]
    out = []
    for i in range(len(ids) - k + 1):
        acc = 0
        for j in range(k):
            acc = (acc + mixed[i + j] * pow(BASE, j, 1 << 64)) & M64
        out.append(_mix(acc))
    return out


def _brute_winnow(h: np.ndarray, w: int) -> list[int]:
    """All positions whose hash is the minimum of at least one window of w k-grams."""
    n = len(h)
    if n == 0:
        return []
    if w <= 1:
        return list(range(n))
    if n <= w:
        m = min(h)
        return [i for i in range(n) if h[i] == m]
    sel: set[int] = set()
    for j in range(n - w + 1):
        win = h[j:j + w]
        m = win.min()
        sel.update(j + i for i in range(w) if win[i] == m)
    return sorted(sel)


def _ids(seq: list[int]) -> np.ndarray:
    return np.asarray(seq, dtype=np.uint64)


def test_kgram_hashes_equal_for_equal_kgrams() -> None:
    seq = _ids([1, 2, 3, 9, 1, 2, 3, 7, 2, 3, 9])
    h = kgram_hashes(seq, 3)
    assert h.shape == (9,)
    assert h.dtype == np.uint64
    # [1,2,3] at 0 and 4; [2,3,9] at 1 and 8
    assert h[0] == h[4]
    assert h[1] == h[8]
    # all other k-grams differ: [3,9,1] [9,1,2] [1,2,3] [2,3,7] [3,7,2] [7,2,3]
    distinct = {tuple(seq[i:i + 3].tolist()) for i in range(9)}
    assert len(set(h.tolist())) == len(distinct) == 7
    # order matters: [1,2,3] vs [3,2,1]
    assert kgram_hashes(_ids([3, 2, 1]), 3)[0] != h[0]


def test_kgram_hashes_stable_across_calls_and_match_reference() -> None:
    seq = [5, 17, 5, 17, 2**63 + 11, 0, 42, 2**64 - 1, 3]
    for k, seed in [(1, 0), (3, 0), (4, 0x5EED), (9, 7)]:
        a = kgram_hashes(_ids(seq), k, seed)
        b = kgram_hashes(_ids(list(seq)), k, seed)
        assert a.tolist() == b.tolist()
        assert a.tolist() == _reference_kgram_hashes(seq, k, seed)
    # the seed changes every hash
    assert set(kgram_hashes(_ids(seq), 3, 0).tolist()).isdisjoint(
        kgram_hashes(_ids(seq), 3, 1).tolist())


def test_kgram_hashes_positional_independence_of_offset() -> None:
    """A k-gram hashes the same wherever it occurs (the rolling-hash inverse is exact)."""
    rng = np.random.default_rng(1)
    run = rng.integers(0, 2**63, 40, dtype=np.uint64)
    a = np.concatenate([rng.integers(0, 2**63, 3, dtype=np.uint64), run])
    b = np.concatenate([rng.integers(0, 2**63, 501, dtype=np.uint64), run])
    ha, hb = kgram_hashes(a, 16), kgram_hashes(b, 16)
    assert ha[3:].tolist() == hb[501:].tolist()


def test_kgram_hashes_short_input() -> None:
    assert kgram_hashes(_ids([1, 2]), 3).shape == (0,)
    assert kgram_hashes(_ids([]), 1).shape == (0,)
    assert kgram_hashes(_ids([1, 2, 3]), 3).shape == (1,)


@pytest.mark.parametrize("window", [1, 2, 3, 4, 5, 13, 17, 21])
@pytest.mark.parametrize("n", [0, 1, 2, 5, 17, 21, 22, 100, 1000])
def test_winnow_equals_brute_force(window: int, n: int) -> None:
    rng = np.random.default_rng(window * 1000 + n)
    for values in (2**64, 6):  # full-range hashes, and few values (many ties)
        h = rng.integers(0, values, n, dtype=np.uint64)
        got = winnow(h, window)
        assert got.dtype == np.int64
        assert got.tolist() == _brute_winnow(h, window), (window, n, values)


def test_winnow_hand_made() -> None:
    # Schleimer et al. style example, window 4
    h = np.asarray([77, 74, 42, 17, 98, 50, 17, 98, 8, 88, 67, 39, 77, 74, 42, 17, 98],
                   dtype=np.uint64)
    # windows of 4: minima 17 (pos 3, also 6 in windows 3..6), 8 (pos 8), 39 (pos 11), 17 (15)
    assert winnow(h, 4).tolist() == [3, 6, 8, 11, 15]


@pytest.mark.parametrize(("k", "t"), [(16, 32), (12, 24), (10, 30), (5, 5), (3, 10)])
def test_guarantee_shared_run_shares_a_fingerprint(k: int, t: int) -> None:
    params = WinnowParams(k, t, seed=0x5EED)
    for seed in range(60):
        rng = np.random.default_rng(seed)
        run = rng.integers(0, 2**63, t, dtype=np.uint64)
        a = np.concatenate([rng.integers(0, 2**63, int(rng.integers(0, 300)), dtype=np.uint64),
                            run,
                            rng.integers(0, 2**63, int(rng.integers(0, 300)), dtype=np.uint64)])
        b = np.concatenate([rng.integers(0, 2**63, int(rng.integers(0, 300)), dtype=np.uint64),
                            run,
                            rng.integers(0, 2**63, int(rng.integers(0, 300)), dtype=np.uint64)])
        ha, _pa = fingerprint(a, params)
        hb, _pb = fingerprint(b, params)
        assert set(ha.tolist()) & set(hb.tolist()), (k, t, seed)


def test_guarantee_fails_below_noise_threshold() -> None:
    """Runs shorter than k share no k-gram at all: the check above can fail."""
    params = WinnowParams(8, 16)
    rng = np.random.default_rng(3)
    run = rng.integers(0, 2**63, 7, dtype=np.uint64)
    a = np.concatenate([rng.integers(0, 2**63, 50, dtype=np.uint64), run])
    b = np.concatenate([run, rng.integers(0, 2**63, 50, dtype=np.uint64)])
    assert not set(fingerprint(a, params)[0].tolist()) & set(fingerprint(b, params)[0].tolist())


@pytest.mark.parametrize("window", [5, 13, 17, 21])
def test_density_close_to_two_over_w_plus_one(window: int) -> None:
    rng = np.random.default_rng(window)
    ids = rng.integers(0, 2**63, 200_000, dtype=np.uint64)
    params = WinnowParams(k=10, t=10 + window - 1)
    assert params.window == window
    assert params.density == pytest.approx(2 / (window + 1))
    _h, pos = fingerprint(ids, params)
    density = len(pos) / (len(ids) - params.k + 1)
    assert density == pytest.approx(2 / (window + 1), rel=0.10)


def test_fingerprint_positions_index_kgrams() -> None:
    rng = np.random.default_rng(9)
    ids = rng.integers(0, 2**63, 500, dtype=np.uint64)
    params = WinnowParams(6, 12, seed=3)
    hashes, pos = fingerprint(ids, params)
    allh = kgram_hashes(ids, 6, 3)
    assert hashes.tolist() == allh[pos].tolist()
    assert np.all(np.diff(pos) > 0)


def test_params_validation() -> None:
    assert WinnowParams(5, 5).window == 1
    assert WinnowParams(5, 5).density == 1.0
    assert WinnowParams(16, 32).window == 17
    with pytest.raises(ValueError, match="k=4, t=3"):
        WinnowParams(4, 3)
    with pytest.raises(ValueError):
        WinnowParams(0, 3)
