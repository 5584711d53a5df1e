"""Stored work texts, read by pieces.

A work's raw bytes are stored zstd-compressed in the registry (``content.data``). Screening
needs only a few kilobytes around a match of a work that may be hundreds of kilobytes long, and
decompressing and decoding the whole work dominated the check of outputs copied from large,
much-duplicated files. So a large UTF-8 text is stored in pieces:

Format ``RGC1`` (texts of at least :data:`CHUNKED_MIN_BYTES` bytes that are strict UTF-8 without
a byte order mark, so that each piece decodes on its own exactly as the whole does), little-endian::

    b"RGC1", uint32 n_chunks, uint64 total code points
    n_chunks x (uint32 compressed length, uint64 first code point, uint32 newlines before)
    n_chunks zstd frames, each the raw bytes of one chunk

Chunks are about :data:`CHUNK_BYTES` raw bytes and end just after a newline (or at the end), so
no character is split. Every other text, and every image, is one zstd frame of the raw bytes, as
indexes built before this format store them all; both are read.
"""

from __future__ import annotations

import bisect
import struct
from collections.abc import Callable

import zstandard

from rightsguard.errors import IndexCorruptError

#: Raw bytes per stored chunk (about; a chunk ends after the next newline).
CHUNK_BYTES = 8192
#: Texts shorter than this are stored as one frame (one decompression is cheapest).
CHUNKED_MIN_BYTES = 32768

_MAGIC = b"RGC1"
_HEAD = struct.Struct("<IQ")
_ENTRY = struct.Struct("<IQI")


def _chunks(raw: bytes) -> list[bytes]:
    out = []
    start = 0
    while start < len(raw):
        cut = raw.find(b"\n", start + CHUNK_BYTES)
        end = len(raw) if cut < 0 else cut + 1
        out.append(raw[start:end])
        start = end
    return out


def encode_content(raw: bytes, text: str | None, compressor: zstandard.ZstdCompressor) -> bytes:
    """The stored form of a work's raw bytes. ``text``: the work's decoded text
    (:func:`rightsguard.index.build.decode`), or None for a work that is not text."""
    if text is None or len(raw) < CHUNKED_MIN_BYTES or raw.startswith(b"\xef\xbb\xbf"):
        return compressor.compress(raw)
    try:
        strict = raw.decode("utf-8")
    except UnicodeDecodeError:
        return compressor.compress(raw)
    if strict != text:  # decoded otherwise (another encoding, replacements): keep it whole
        return compressor.compress(raw)
    pieces = _chunks(raw)
    frames = [compressor.compress(p) for p in pieces]
    entries = []
    cp = lines = 0
    for piece, frame in zip(pieces, frames, strict=True):
        entries.append(_ENTRY.pack(len(frame), cp, lines))
        decoded = piece.decode("utf-8")
        cp += len(decoded)
        lines += decoded.count("\n")
    return b"".join((_MAGIC, _HEAD.pack(len(pieces), cp), *entries, *frames))


def _chunk_table(blob: bytes) -> tuple[int, list[tuple[int, int, int, int]]]:
    """Of an ``RGC1`` blob: total code points and, per chunk, ``(offset of its frame in the
    blob, frame size, first code point, newlines before)``; IndexCorruptError when malformed."""
    try:
        n, total = _HEAD.unpack_from(blob, 4)
        off = 4 + _HEAD.size + n * _ENTRY.size
        table = []
        for k in range(n):
            size, cp, lines = _ENTRY.unpack_from(blob, 4 + _HEAD.size + k * _ENTRY.size)
            table.append((off, int(size), int(cp), int(lines)))
            off += size
    except struct.error as exc:
        raise IndexCorruptError(f"stored work text is malformed: {exc}") from exc
    if off != len(blob) or n == 0:
        raise IndexCorruptError("stored work text is malformed: sizes do not add up")
    return int(total), table


def decode_content(blob: bytes, decompressor: zstandard.ZstdDecompressor) -> bytes:
    """The raw bytes of a stored work (either format); IndexCorruptError when malformed."""
    frames = [(off, size) for off, size, _cp, _lines in _chunk_table(blob)[1]] \
        if blob[:4] == _MAGIC else [(0, len(blob))]
    try:
        return b"".join(decompressor.decompress(blob[off:off + size]) for off, size in frames)
    except zstandard.ZstdError as exc:
        raise IndexCorruptError(f"stored work content is malformed: {exc}") from exc


class WorkText:
    """A work's decoded text that decodes only the pieces it is asked for.

    Supports ``len()``, ``text[i]`` and ``text[a:b]`` (code points; no step), both returning
    ``str``, :meth:`newlines_before` and :meth:`full`. A work stored as one frame is decoded
    whole on first use (``decode``: the registry's decoding, BOMs and replacements included).
    """

    __slots__ = (
        "_blob",
        "_decode",
        "_decoded",
        "_decompressor",
        "_frames",
        "_full",
        "_length",
        "_lines",
        "_starts",
    )

    def __init__(self, blob: bytes, decompressor: zstandard.ZstdDecompressor,
                 decode: Callable[[bytes], str]) -> None:
        self._blob = blob
        self._decompressor = decompressor
        self._decode = decode
        self._full: str | None = None
        self._decoded: dict[int, str] = {}
        self._frames: list[tuple[int, int]] = []  # (offset, size) in the blob per chunk
        self._starts: list[int] = []  # first code point per chunk, then the total
        self._lines: list[int] = []
        if blob[:4] == _MAGIC:
            total, table = _chunk_table(blob)
            self._frames = [(off, size) for off, size, _cp, _lines in table]
            self._starts = [cp for _off, _size, cp, _lines in table] + [total]
            self._lines = [lines for _off, _size, _cp, lines in table]
            self._length = total
        else:
            self._length = len(self.full())

    def full(self) -> str:
        """The whole text (decoded once, then kept)."""
        if self._full is None:
            if self._frames:
                self._full = "".join(self._chunk(k) for k in range(len(self._frames)))
            else:
                raw = decode_content(self._blob, self._decompressor)
                self._full = self._decode(raw)
        assert self._full is not None
        return self._full

    def _chunk(self, k: int) -> str:
        text = self._decoded.get(k)
        if text is None:
            off, size = self._frames[k]
            try:
                raw = self._decompressor.decompress(self._blob[off:off + size])
                text = raw.decode("utf-8")
            except (zstandard.ZstdError, UnicodeDecodeError) as exc:
                raise IndexCorruptError(f"stored work text is malformed: {exc}") from exc
            if len(text) != self._starts[k + 1] - self._starts[k]:
                raise IndexCorruptError("stored work text is malformed: a chunk's length differs")
            self._decoded[k] = text
        return text

    def __len__(self) -> int:
        return self._length

    def __getitem__(self, key: int | slice) -> str:
        if self._full is not None:
            return self._full[key]
        if isinstance(key, int):
            i = key + self._length if key < 0 else key
            if not 0 <= i < self._length:
                raise IndexError("work text index out of range")
            k = bisect.bisect_right(self._starts, i) - 1
            return self._chunk(k)[i - self._starts[k]]
        start, stop, step = key.indices(self._length)
        if step != 1:
            raise ValueError("work text slices take no step")
        if stop <= start:
            return ""
        first = bisect.bisect_right(self._starts, start) - 1
        last = bisect.bisect_right(self._starts, stop - 1) - 1
        base = self._starts[first]
        joined = "".join(self._chunk(k) for k in range(first, last + 1))
        return joined[start - base:stop - base]

    def line_start(self, i: int) -> int:
        """The code point where the line holding code point ``i`` starts (just after the last
        ``\n`` before ``i``; 0 on the first line)."""
        i = max(0, min(i, self._length))
        if self._full is not None:
            return self._full.rfind("\n", 0, i) + 1
        k = min(bisect.bisect_right(self._starts, i) - 1, len(self._frames) - 1)
        end = i - self._starts[k]
        while k >= 0:
            j = self._chunk(k).rfind("\n", 0, end)
            if j >= 0:
                return self._starts[k] + j + 1
            k -= 1
            end = len(self._chunk(k)) if k >= 0 else 0
        return 0

    def newlines_before(self, i: int) -> int:
        """Newlines in ``text[:i]`` (so the 1-based line of code point ``i`` is this plus 1)."""
        i = max(0, min(i, self._length))
        if self._full is not None:
            return self._full.count("\n", 0, i)
        k = min(bisect.bisect_right(self._starts, i) - 1, len(self._frames) - 1)
        return self._lines[k] + self._chunk(k).count("\n", 0, i - self._starts[k])
