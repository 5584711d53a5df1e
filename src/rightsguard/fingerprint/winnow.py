"""k-gram hashing and winnowing, vectorised with numpy.

Source: Schleimer, Wilkerson, Aiken, "Winnowing: Local Algorithms for Document Fingerprinting",
SIGMOD 2003. With noise threshold ``k`` (k-grams shorter than k tokens are never matched) and
guarantee threshold ``t`` (every shared run of at least t tokens shares at least one selected
fingerprint), the window is ``w = t - k + 1`` and the expected density is ``2 / (w + 1)``.

All hashes are unsigned 64-bit, computed with a polynomial rolling hash modulo 2**64 over 64-bit
token ids (so numpy's wrapping arithmetic is the modulus), then mixed with the splitmix64
finaliser. Hashes depend only on the token ids and ``seed``; they are stable across processes,
platforms and numpy versions.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

U64 = npt.NDArray[np.uint64]
I64 = npt.NDArray[np.int64]

_BASE = np.uint64(0x9E3779B97F4A7C15 | 1)  # odd, so it is invertible modulo 2**64
_BASE_INV = np.uint64(pow(int(_BASE), -1, 2**64))


@dataclass(frozen=True, slots=True)
class WinnowParams:
    """Parameters of one fingerprint channel.

    ``k``: noise threshold in tokens (k-gram length), ``t``: guarantee threshold in tokens.
    ``window`` is derived: ``t - k + 1`` (1 means every k-gram is kept).
    """

    k: int
    t: int
    seed: int = 0

    def __post_init__(self) -> None:
        if self.k < 1 or self.t < self.k:
            raise ValueError(f"winnowing needs 1 <= k <= t, got k={self.k}, t={self.t}")

    @property
    def window(self) -> int:
        return self.t - self.k + 1

    @property
    def density(self) -> float:
        """Expected fraction of k-grams kept (Schleimer et al. §3): 2 / (w + 1), 1 when w = 1."""
        return 1.0 if self.window == 1 else 2.0 / (self.window + 1)


def _mix(h: U64) -> U64:
    """splitmix64 finaliser (Steele, Lea, Flood 2014), applied element-wise."""
    with np.errstate(over="ignore"):
        h = h ^ (h >> np.uint64(30))
        h = h * np.uint64(0xBF58476D1CE4E5B9)
        h = h ^ (h >> np.uint64(27))
        h = h * np.uint64(0x94D049BB133111EB)
        h = h ^ (h >> np.uint64(31))
    return h


def kgram_hashes(token_ids: U64, k: int, seed: int = 0) -> U64:
    """Hash every k-gram of ``token_ids`` (shape ``(n,)``) → shape ``(max(n - k + 1, 0),)``.

    Element ``i`` hashes tokens ``[i, i + k)``. Uses prefix sums of ``id_j * B**j`` and the modular
    inverse of ``B`` so the whole array is hashed in O(n) vector operations.
    """
    n = int(token_ids.shape[0])
    if n < k:
        return np.empty(0, dtype=np.uint64)
    powers, inv = _powers(n)
    with np.errstate(over="ignore"):
        ids = _mix(token_ids.astype(np.uint64) ^ np.uint64(seed))
        prefix = np.zeros(n + 1, dtype=np.uint64)
        np.cumsum(ids * powers[:n], out=prefix[1:])
        raw = (prefix[k:] - prefix[: n - k + 1]) * inv[: n - k + 1]
    return _mix(raw)


_POWERS: list[U64] = []  # [B**i, B**-i for i < len], grown to the longest input seen


def _powers(n: int) -> tuple[U64, U64]:
    """``B**i`` and ``B**-i`` (mod 2**64) for ``i`` in ``[0, m)``, ``m >= n``; computed once
    for all inputs up to the longest seen (a screening tokenizes a few thousand tokens)."""
    if not _POWERS or _POWERS[0].shape[0] < n:
        m = max(n, 4096)
        with np.errstate(over="ignore"):
            powers = np.full(m, _BASE, dtype=np.uint64)
            powers[0] = 1
            inv = np.full(m, _BASE_INV, dtype=np.uint64)
            inv[0] = 1
            _POWERS[:] = [np.cumprod(powers), np.cumprod(inv)]
    return _POWERS[0], _POWERS[1]


def _sliding(values: U64, w: int, *, take_max: bool) -> U64:
    """Sliding-window min (or max) of width ``w``: van Herk / Gil-Werman, O(n) vector ops.

    Returns shape ``(n - w + 1,)``; element ``j`` covers ``values[j : j + w]``.
    """
    n = int(values.shape[0])
    pad_value = np.iinfo(np.uint64).min if take_max else np.iinfo(np.uint64).max
    blocks = -(-n // w)
    padded = np.full(blocks * w, pad_value, dtype=np.uint64)
    padded[:n] = values
    grid = padded.reshape(blocks, w)
    acc = np.maximum.accumulate if take_max else np.minimum.accumulate
    prefix = acc(grid, axis=1).ravel()
    suffix = acc(grid[:, ::-1], axis=1)[:, ::-1].ravel()
    combine = np.maximum if take_max else np.minimum
    out: U64 = combine(suffix[: n - w + 1], prefix[w - 1 : n])
    return out


def winnow(hashes: U64, window: int) -> I64:
    """Positions selected by winnowing ``hashes`` with the given window, ascending.

    A position is selected when its hash is the minimum of at least one window of ``window``
    consecutive k-grams that contains it (ties select every equal position, which keeps the
    guarantee and only adds fingerprints for repeated k-grams). Documents shorter than one window
    keep their single minimum. ``window == 1`` keeps every position.
    """
    n = int(hashes.shape[0])
    if n == 0:
        return np.empty(0, dtype=np.int64)
    if window <= 1:
        return np.arange(n, dtype=np.int64)
    if n <= window:
        return np.flatnonzero(hashes == hashes.min()).astype(np.int64)
    window_min = _sliding(hashes, window, take_max=False)  # shape (n - w + 1,)
    # position i lies in windows j in [i - w + 1, i] ∩ [0, n - w]; it is selected when the
    # largest of those minima equals its own hash.
    padded = np.concatenate([
        np.zeros(window - 1, dtype=np.uint64), window_min, np.zeros(window - 1, dtype=np.uint64),
    ])
    best = _sliding(padded, window, take_max=True)  # element i covers windows i-w+1 .. i
    return np.flatnonzero(best[:n] == hashes).astype(np.int64)


def fingerprint(token_ids: U64, params: WinnowParams) -> tuple[U64, I64]:
    """Winnowed fingerprints of a token-id sequence: ``(hashes, token_positions)``.

    ``token_positions[i]`` is the index of the first token of the k-gram whose hash is
    ``hashes[i]``; the k-gram covers tokens ``[p, p + k)``.
    """
    h = kgram_hashes(token_ids, params.k, params.seed)
    pos = winnow(h, params.window)
    return h[pos], pos
