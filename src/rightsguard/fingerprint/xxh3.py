"""xxh3-64 of many short byte strings at once, on numpy arrays.

Token ids are ``xxhash.xxh3_64_intdigest`` of the token's UTF-8 (seed 0, default secret). 97% of
code tokens and nearly all words are at most 16 bytes, where XXH3 is a fixed formula over at most
two 64-bit reads (``XXH3_len_{0,1to3,4to8,9to16}_64b`` in xxhash.h, v0.8); here it is computed
on arrays. ``tests/fingerprint/test_tokenizer_equivalence.py`` checks it against the xxhash
package.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt
import xxhash

_XXH3_SECRET = bytes.fromhex(  # the first 72 bytes of XXH3_kSecret
    "b8fe6c3923a44bbe7c01812cf721ad1cded46de9839097db7240a4a4b7b3671f"
    "cb79e64eccc0e578825ad07dccff7221b8084674f743248ee03590e6813a264c"
    "3c2852bb91c300cb")
_U = np.uint64


def _secret64(offset: int) -> int:
    return int.from_bytes(_XXH3_SECRET[offset:offset + 8], "little")


def _secret32(offset: int) -> int:
    return int.from_bytes(_XXH3_SECRET[offset:offset + 4], "little")


_XXH_FLIP_0 = _U(_secret64(56) ^ _secret64(64))
_XXH_FLIP_1TO3 = _U(_secret32(0) ^ _secret32(4))
_XXH_FLIP_4TO8 = _U(_secret64(8) ^ _secret64(16))
_XXH_FLIP_9TO16 = (_U(_secret64(24) ^ _secret64(32)), _U(_secret64(40) ^ _secret64(48)))
_XXH_P64_2, _XXH_P64_3 = _U(0xC2B2AE3D27D4EB4F), _U(0x165667B19E3779F9)
_XXH_MX1, _XXH_MX2 = _U(0x165667919E3779F9), _U(0x9FB21C651E98DF25)
_LO32 = _U(0xFFFFFFFF)
#: longest token (bytes) hashed by :func:`_xxh3_short`
XXH3_SHORT_MAX = 16
#: fewest spans hashed on arrays (break-even with one-by-one hashing, measured)
XXH3_ARRAY_MIN = 768

U64 = npt.NDArray[np.uint64]


def _xxh64_avalanche(h: U64) -> U64:
    h = h ^ (h >> _U(33))
    h = h * _XXH_P64_2
    h = h ^ (h >> _U(29))
    h = h * _XXH_P64_3
    return h ^ (h >> _U(32))


def _words_at(data: bytes, width: int) -> npt.NDArray[Any]:
    """Overlapping view: element ``i`` is the little-endian ``width``-byte word at byte ``i``."""
    return np.ndarray(shape=(len(data) - width + 1,), dtype=f"<u{width}", buffer=data,
                      strides=(1,))


def _mul128_fold64(a: U64, b: U64) -> U64:
    """Low 64 bits xor high 64 bits of the 128-bit products ``a * b``."""
    al, ah, bl, bh = a & _LO32, a >> _U(32), b & _LO32, b >> _U(32)
    ll, hl, lh, hh = al * bl, ah * bl, al * bh, ah * bh
    cross = (ll >> _U(32)) + (hl & _LO32) + lh
    low: U64 = (cross << _U(32)) | (ll & _LO32)
    high: U64 = (hl >> _U(32)) + (cross >> _U(32)) + hh
    return low ^ high


def _xxh3_short(data: bytes, starts: npt.NDArray[np.int64],
                lengths: npt.NDArray[np.int64]) -> U64:
    """``xxh3_64_intdigest(data[s:s + n])`` for every ``s, n`` (``n <= 16``)."""
    buf = np.frombuffer(data, dtype=np.uint8)
    w32, w64 = _words_at(data, 4), _words_at(data, 8)
    out = np.empty(starts.shape[0], dtype=np.uint64)
    with np.errstate(over="ignore"):  # uint64 arithmetic wraps, as in C
        sel = lengths == 0
        out[sel] = _xxh64_avalanche(np.full(int(sel.sum()), _XXH_FLIP_0, dtype=np.uint64))
        sel = (lengths >= 1) & (lengths <= 3)
        s, n = starts[sel], lengths[sel]
        combined = (buf[s].astype(np.uint64) << _U(16)) | \
            (buf[s + (n >> 1)].astype(np.uint64) << _U(24)) | \
            buf[s + n - 1].astype(np.uint64) | (n.astype(np.uint64) << _U(8))
        out[sel] = _xxh64_avalanche(combined ^ _XXH_FLIP_1TO3)
        sel = (lengths >= 4) & (lengths <= 8)
        s, n = starts[sel], lengths[sel]
        k = (w32[s + n - 4].astype(np.uint64) + (w32[s].astype(np.uint64) << _U(32))) ^ \
            _XXH_FLIP_4TO8
        k = k ^ (((k << _U(49)) | (k >> _U(15))) ^ ((k << _U(24)) | (k >> _U(40))))
        k = k * _XXH_MX2
        k = k ^ ((k >> _U(35)) + n.astype(np.uint64))
        k = k * _XXH_MX2
        out[sel] = k ^ (k >> _U(28))
        sel = (lengths >= 9) & (lengths <= 16)
        s, n = starts[sel], lengths[sel]
        lo = w64[s].astype(np.uint64) ^ _XXH_FLIP_9TO16[0]
        hi = w64[s + n - 8].astype(np.uint64) ^ _XXH_FLIP_9TO16[1]
        acc = n.astype(np.uint64) + lo.byteswap() + hi + _mul128_fold64(lo, hi)
        acc = acc ^ (acc >> _U(37))
        acc = acc * _XXH_MX1
        out[sel] = acc ^ (acc >> _U(32))
    return out


def xxh3_spans(data: bytes, starts: npt.NDArray[np.int64], ends: npt.NDArray[np.int64]) -> U64:
    """``xxh3_64_intdigest(data[s:e])`` for every span: short ones on arrays, others one by one.

    The array path costs about 0.1 ms per call whatever the size, so below
    :data:`XXH3_ARRAY_MIN` spans (a small file) hashing one by one is faster.
    """
    h = xxhash.xxh3_64_intdigest
    if starts.shape[0] < XXH3_ARRAY_MIN:
        return np.fromiter((h(data[s:e]) for s, e in zip(starts.tolist(), ends.tolist(),
                                                           strict=True)),
                           dtype=np.uint64, count=starts.shape[0])
    lengths = ends - starts
    short = lengths <= XXH3_SHORT_MAX
    out = np.empty(starts.shape[0], dtype=np.uint64)
    if short.any():
        out[short] = _xxh3_short(data + bytes(8), starts[short], lengths[short])
    rest = np.flatnonzero(~short)
    if rest.shape[0]:
        out[rest] = [h(data[s:e]) for s, e in zip(starts[rest].tolist(), ends[rest].tolist(),
                                                   strict=True)]
    return out
