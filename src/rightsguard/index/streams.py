"""Stored normalised token streams of code works, so renamed copies are verified without
re-parsing the work at query time.

Format (version 1), zstd-compressed, little-endian::

    uint32 n_tokens, uint32 n_vocab
    uint64[n_vocab]  vocabulary: the distinct ``norm_ids`` of the work
    uint8|uint16[n]  index into the vocabulary per token (uint16 when n_vocab > 255)
    uint32[n]        start of each token: delta from the previous start, code points
    uint32[n]        length of each token, code points

A work's normalised stream has few distinct ids (keywords, operators, ``ID``, ``LIT``), so it
stores in about 2 bytes per token after compression.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import zstandard

from rightsguard.errors import IndexCorruptError

STREAM_VERSION = 1
_HEAD = struct.Struct("<II")


@dataclass(frozen=True, slots=True)
class TokenStream:
    """Normalised code tokens of a work: arrays of shape ``(n,)``; offsets in code points."""

    starts: npt.NDArray[np.int64]
    ends: npt.NDArray[np.int64]
    norm_ids: npt.NDArray[np.uint64]

    def __len__(self) -> int:
        return int(self.norm_ids.shape[0])


def encode_stream(starts: npt.NDArray[np.int64], ends: npt.NDArray[np.int64],
                  norm_ids: npt.NDArray[np.uint64], compressor: zstandard.ZstdCompressor
                  ) -> bytes:
    """Serialise one work's stream (see the module docstring)."""
    vocab, index = np.unique(norm_ids, return_inverse=True)
    kind_dtype = np.uint8 if vocab.shape[0] <= 256 else np.uint16
    deltas = np.diff(starts, prepend=0).astype(np.uint32)
    lengths = (ends - starts).astype(np.uint32)
    body = b"".join((
        _HEAD.pack(int(norm_ids.shape[0]), int(vocab.shape[0])),
        vocab.astype("<u8").tobytes(),
        index.astype(kind_dtype).tobytes(),
        deltas.astype("<u4").tobytes(),
        lengths.astype("<u4").tobytes(),
    ))
    return compressor.compress(body)


def decode_stream(blob: bytes, decompressor: zstandard.ZstdDecompressor) -> TokenStream:
    """Inverse of :func:`encode_stream`; raises IndexCorruptError on a malformed blob."""
    try:
        body = decompressor.decompress(blob)
        n, v = _HEAD.unpack_from(body, 0)
        off = _HEAD.size
        vocab = np.frombuffer(body, "<u8", v, off)
        off += 8 * v
        kind_dtype = np.uint8 if v <= 256 else np.dtype("<u2")
        kinds = np.frombuffer(body, kind_dtype, n, off)
        off += kinds.nbytes
        deltas = np.frombuffer(body, "<u4", n, off)
        off += 4 * n
        lengths = np.frombuffer(body, "<u4", n, off)
    except (zstandard.ZstdError, struct.error, ValueError) as exc:
        raise IndexCorruptError(f"stored token stream is malformed: {exc}") from exc
    starts = np.cumsum(deltas, dtype=np.int64)
    return TokenStream(starts, starts + lengths.astype(np.int64),
                       vocab[kinds].astype(np.uint64, copy=False))
