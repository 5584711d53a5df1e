"""Stored normalised token streams of code works, so renamed copies are verified without
re-parsing the work at query time.

Format, version 2: the 4 bytes ``RGS2`` then one zstd frame holding, little-endian::

    uint32 n_tokens, uint32 n_vocab, uint8 kind_width, uint8 delta_width, uint8 length_width
    uint64[n_vocab]          vocabulary: the distinct ``norm_ids`` of the work
    uint{8*kind_width}[n]    index into the vocabulary per token
    uint{8*delta_width}[n]   start of each token: delta from the previous start, code points
    uint{8*length_width}[n]  length of each token, code points

Each width (1, 2 or 4 bytes) is the smallest that holds the column's largest value. Typical
code needs 1 + 2 + 1 bytes per token before compression and about 2 after: a work's normalised
stream has few distinct ids (keywords, operators, ``ID``, ``LIT``), tokens start a few code
points apart and are short. Decoding time follows the decompressed size, so the narrow columns
halve it against version 1.

Version 1 (indexes built before version 2; still read): one zstd frame of ``uint32 n_tokens,
uint32 n_vocab``, the vocabulary, ``uint8`` (``uint16`` when ``n_vocab > 256``) indexes, and
``uint32`` deltas and lengths.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import zstandard

from rightsguard.errors import IndexCorruptError

STREAM_VERSION = 2
_MAGIC_V2 = b"RGS2"
_HEAD_V1 = struct.Struct("<II")
_HEAD_V2 = struct.Struct("<IIBBB")
_WIDTHS: dict[int, np.dtype[Any]] = {1: np.dtype("<u1"), 2: np.dtype("<u2"), 4: np.dtype("<u4")}


@dataclass(frozen=True, slots=True)
class TokenStream:
    """Normalised code tokens of a work: arrays of shape ``(n,)``; offsets in code points."""

    starts: npt.NDArray[np.int64]
    ends: npt.NDArray[np.int64]
    norm_ids: npt.NDArray[np.uint64]

    def __len__(self) -> int:
        return int(self.norm_ids.shape[0])


def _width(values: npt.NDArray[np.integer]) -> int:
    """Bytes per value (1, 2 or 4) that hold every element of ``values`` (non-negative)."""
    top = int(values.max()) if values.shape[0] else 0
    if top < 0 or top >= 1 << 32:
        raise ValueError(f"token stream value {top} does not fit in 32 bits")
    return 1 if top < 1 << 8 else 2 if top < 1 << 16 else 4


def encode_stream(starts: npt.NDArray[np.int64], ends: npt.NDArray[np.int64],
                  norm_ids: npt.NDArray[np.uint64], compressor: zstandard.ZstdCompressor
                  ) -> bytes:
    """Serialise one work's stream (version 2, see the module docstring). ``starts`` must be
    non-decreasing and ``ends >= starts`` (a tokenizer's spans)."""
    vocab, index = np.unique(norm_ids, return_inverse=True)
    deltas = np.diff(starts, prepend=0)
    lengths = ends - starts
    widths = (_width(index), _width(deltas), _width(lengths))
    body = b"".join((
        _HEAD_V2.pack(int(norm_ids.shape[0]), int(vocab.shape[0]), *widths),
        vocab.astype("<u8").tobytes(),
        *(col.astype(_WIDTHS[w]).tobytes()
          for col, w in zip((index, deltas, lengths), widths, strict=True)),
    ))
    return _MAGIC_V2 + compressor.compress(body)


def decode_stream(blob: bytes, decompressor: zstandard.ZstdDecompressor) -> TokenStream:
    """Inverse of :func:`encode_stream` (reads versions 1 and 2); raises IndexCorruptError on a
    malformed blob."""
    try:
        if blob[:4] == _MAGIC_V2:
            body = decompressor.decompress(blob[4:])
            n, v, kw, dw, lw = _HEAD_V2.unpack_from(body, 0)
            off = _HEAD_V2.size
            kind_t, delta_t, length_t = _WIDTHS[kw], _WIDTHS[dw], _WIDTHS[lw]
        else:
            body = decompressor.decompress(blob)
            n, v = _HEAD_V1.unpack_from(body, 0)
            off = _HEAD_V1.size
            kind_t = _WIDTHS[1] if v <= 256 else _WIDTHS[2]
            delta_t = length_t = _WIDTHS[4]
        vocab = np.frombuffer(body, "<u8", v, off)
        off += 8 * v
        kinds = np.frombuffer(body, kind_t, n, off)
        off += kinds.nbytes
        deltas = np.frombuffer(body, delta_t, n, off)
        off += deltas.nbytes
        lengths = np.frombuffer(body, length_t, n, off)
        if off + lengths.nbytes != len(body):
            raise ValueError(f"{len(body) - off - lengths.nbytes} bytes left over")
        norm_ids = np.take(vocab, kinds)  # raises IndexError on an index past the vocabulary
    except (zstandard.ZstdError, struct.error, ValueError, KeyError, IndexError) as exc:
        raise IndexCorruptError(f"stored token stream is malformed: {exc}") from exc
    starts = np.cumsum(deltas, dtype=np.int64)
    return TokenStream(starts, starts + lengths, norm_ids.astype(np.uint64, copy=False))
