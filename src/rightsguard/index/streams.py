"""Stored normalised token streams of code works, so renamed copies are verified without
re-parsing the work at query time.

Format, version 3: the 4 bytes ``RGS3``, then, little-endian and uncompressed::

    uint32 n_tokens, uint32 n_vocab, uint8 kind_width, uint8 delta_width, uint8 length_width
    uint64[n_vocab]          vocabulary: the distinct ``norm_ids`` of the work, ascending
    uint{8*kind_width}[n]    index into the vocabulary per token

then one zstd frame holding::

    uint{8*delta_width}[n]   start of each token: delta from the previous start, code points
    uint{8*length_width}[n]  length of each token, code points

Each width (1, 2 or 4 bytes) is the smallest that holds the column's largest value. The token
kinds are left uncompressed so a candidate work's normalised tokens are read without
decompressing anything (:func:`stream_kinds`): most candidates of a renamed-copy search share
only short runs with the output and are dropped on those alone; only the rest need the token
offsets. On the latency benchmark's 31 million Python tokens a stream takes 1.9 bytes a token
(kinds 1, offsets 0.8, vocabularies 0.1), against 1.2 in version 2.

Versions 2 and 1 (indexes built before version 3; still read): ``RGS2`` and one zstd frame of
the version 3 header, vocabulary, kinds, deltas and lengths; version 1, no magic, one zstd frame
of ``uint32 n_tokens, uint32 n_vocab``, the vocabulary, ``uint8`` (``uint16`` when ``n_vocab >
256``) indexes, and ``uint32`` deltas and lengths.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import zstandard

from rightsguard.errors import IndexCorruptError

STREAM_VERSION = 3
_MAGIC_V3 = b"RGS3"
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
    """Serialise one work's stream (version 3, see the module docstring). ``starts`` must be
    non-decreasing and ``ends >= starts`` (a tokenizer's spans)."""
    vocab, index = np.unique(norm_ids, return_inverse=True)
    deltas = np.diff(starts, prepend=0)
    lengths = ends - starts
    kw, dw, lw = _width(index), _width(deltas), _width(lengths)
    return b"".join((
        _MAGIC_V3,
        _HEAD_V2.pack(int(norm_ids.shape[0]), int(vocab.shape[0]), kw, dw, lw),
        vocab.astype("<u8").tobytes(),
        index.astype(_WIDTHS[kw]).tobytes(),
        compressor.compress(deltas.astype(_WIDTHS[dw]).tobytes()
                            + lengths.astype(_WIDTHS[lw]).tobytes()),
    ))


def _v3_head(blob: bytes) -> tuple[int, int, int, int, int, int]:
    """``(n, n_vocab, kind_width, delta_width, length_width, offset of the zstd frame)`` of a
    version 3 blob; raises IndexCorruptError when the blob is shorter than its header says."""
    try:
        n, v, kw, dw, lw = _HEAD_V2.unpack_from(blob, 4)
    except struct.error as exc:
        raise IndexCorruptError(f"stored token stream is malformed: {exc}") from exc
    if not {kw, dw, lw} <= _WIDTHS.keys():
        raise IndexCorruptError(f"stored token stream is malformed: column widths {kw, dw, lw}"
                                " (1, 2 or 4 bytes)")
    frame = 4 + _HEAD_V2.size + 8 * v + kw * n
    if frame > len(blob):
        raise IndexCorruptError(f"stored token stream is malformed: {len(blob)} bytes, its "
                                f"header needs {frame} before the offsets")
    return n, v, kw, dw, lw, frame


#: ``(vocabulary, kinds)`` of a stored stream (:func:`stream_kinds`)
Kinds = tuple[npt.NDArray[np.uint64], npt.NDArray[np.unsignedinteger]]


def stream_kinds(blob: bytes, decompressor: zstandard.ZstdDecompressor) -> Kinds:
    """``(vocabulary, kinds)`` of a stored stream: the work's distinct normalised ids
    (ascending, shape ``(v,)``) and, per token, its index into them (shape ``(n,)``), so
    ``vocabulary[kinds]`` is the stream's ``norm_ids``. For a version 3 blob these are views of
    ``blob`` (nothing is decompressed); older blobs are decoded whole. Raises
    IndexCorruptError on a malformed blob."""
    if blob[:4] != _MAGIC_V3:
        ts = decode_stream(blob, decompressor)
        ids, inverse = np.unique(ts.norm_ids, return_inverse=True)
        return ids, inverse.astype(np.uint32)
    n, v, kw, _dw, _lw, _frame = _v3_head(blob)
    off = 4 + _HEAD_V2.size
    vocab = np.frombuffer(blob, "<u8", v, off)
    kinds = np.frombuffer(blob, _WIDTHS[kw], n, off + 8 * v)
    if n and int(kinds.max()) >= v:
        raise IndexCorruptError(f"stored token stream is malformed: a token kind {int(kinds.max())}"
                                f" is past the vocabulary of {v}")
    return vocab, kinds


def decode_stream(blob: bytes, decompressor: zstandard.ZstdDecompressor) -> TokenStream:
    """Inverse of :func:`encode_stream` (reads versions 1, 2 and 3); raises IndexCorruptError on
    a malformed blob."""
    if blob[:4] == _MAGIC_V3:
        n, v, kw, dw, lw, frame = _v3_head(blob)
        vocab, kinds = stream_kinds(blob, decompressor)
        try:
            body = decompressor.decompress(blob[frame:])
            deltas = np.frombuffer(body, _WIDTHS[dw], n, 0)
            lengths = np.frombuffer(body, _WIDTHS[lw], n, deltas.nbytes)
            if deltas.nbytes + lengths.nbytes != len(body):
                raise ValueError(f"{len(body) - deltas.nbytes - lengths.nbytes} bytes left over")
        except (zstandard.ZstdError, ValueError) as exc:
            raise IndexCorruptError(f"stored token stream is malformed: {exc}") from exc
        starts = np.cumsum(deltas, dtype=np.int64)
        return TokenStream(starts, starts + lengths, vocab.take(kinds).astype(np.uint64))
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
