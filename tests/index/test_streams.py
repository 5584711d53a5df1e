"""Stored token streams: version 3 round trip on real code, its token kinds read without
decompressing, version 1 and 2 blobs of older indexes still read, and damaged blobs reported as
a corrupt index."""

from __future__ import annotations

import struct
import sysconfig
from pathlib import Path

import numpy as np
import pytest
import zstandard

from rightsguard.errors import IndexCorruptError
from rightsguard.fingerprint.code import CodeTokenizer
from rightsguard.index.streams import decode_stream, encode_stream, stream_kinds

STDLIB = Path(sysconfig.get_paths()["stdlib"])


def _v1_blob(starts: np.ndarray, ends: np.ndarray, norm_ids: np.ndarray) -> bytes:
    """A stream as indexes before version 2 stored it (written here from its documented
    layout, independently of encode_stream)."""
    vocab = sorted(set(norm_ids.tolist()))
    where = {v: i for i, v in enumerate(vocab)}
    kind = "B" if len(vocab) <= 256 else "H"
    n = len(norm_ids)
    prev, deltas = 0, []
    for s in starts.tolist():
        deltas.append(s - prev)
        prev = s
    body = (struct.pack("<II", n, len(vocab)) + struct.pack(f"<{len(vocab)}Q", *vocab)
            + struct.pack(f"<{n}{kind}", *(where[x] for x in norm_ids.tolist()))
            + struct.pack(f"<{n}I", *deltas)
            + struct.pack(f"<{n}I", *(ends - starts).tolist()))
    return zstandard.ZstdCompressor().compress(body)


def _v2_blob(starts: np.ndarray, ends: np.ndarray, norm_ids: np.ndarray) -> bytes:
    """A stream as version 2 stored it (its documented layout: one zstd frame of the header,
    vocabulary, kinds, deltas and lengths, here with 2-byte kinds and 4-byte offsets)."""
    vocab = sorted(set(norm_ids.tolist()))
    where = {v: i for i, v in enumerate(vocab)}
    n = len(norm_ids)
    deltas = np.diff(starts, prepend=0).tolist()
    body = (struct.pack("<IIBBB", n, len(vocab), 2, 4, 4)
            + struct.pack(f"<{len(vocab)}Q", *vocab)
            + struct.pack(f"<{n}H", *(where[x] for x in norm_ids.tolist()))
            + struct.pack(f"<{n}I", *deltas) + struct.pack(f"<{n}I", *(ends - starts).tolist()))
    return b"RGS2" + zstandard.ZstdCompressor().compress(body)


@pytest.fixture(scope="module")
def real_stream() -> tuple[str, np.ndarray, np.ndarray, np.ndarray]:
    text = (STDLIB / "argparse.py").read_text("utf-8")
    ct = CodeTokenizer().tokenize(text, "python")
    return text, ct.starts, ct.ends, ct.norm_ids


def test_round_trip_on_real_code(real_stream) -> None:  # type: ignore[no-untyped-def]
    text, starts, ends, norm = real_stream
    blob = encode_stream(starts, ends, norm, zstandard.ZstdCompressor())
    assert blob[:4] == b"RGS3"
    got = decode_stream(blob, zstandard.ZstdDecompressor())
    assert len(got) == len(norm) > 10_000
    assert got.starts.tolist() == starts.tolist() and got.ends.tolist() == ends.tolist()
    assert got.norm_ids.tolist() == norm.tolist() and got.norm_ids.dtype == np.uint64
    # the token texts come back: the first token of argparse.py is the docstring (a literal)
    assert text[got.starts[0]:got.ends[0]].startswith('"""')
    # narrow columns: 1-byte vocabulary indexes and lengths fit this file? lengths do not
    # (the module docstring is longer than 255 code points), deltas fit in 2 bytes
    n, v, kw, dw, lw = struct.unpack_from("<IIBBB", blob, 4)
    assert (n, kw, dw) == (len(norm), 1 if v <= 256 else 2, 2)
    assert lw == (1 if int((ends - starts).max()) < 256 else 2)
    # kinds and vocabulary lie uncompressed after the header: 4 + 11 + 8 v + n bytes
    vocab = sorted(set(norm.tolist()))
    assert v == len(vocab)
    head = 4 + struct.calcsize("<IIBBB")
    assert list(struct.unpack_from(f"<{v}Q", blob, head)) == vocab
    assert blob[head + 8 * v + n:][:4] == b"\x28\xb5\x2f\xfd"  # then a zstd frame (its magic)


def test_kinds_are_read_without_decompressing(real_stream) -> None:  # type: ignore[no-untyped-def]
    _text, starts, ends, norm = real_stream
    blob = encode_stream(starts, ends, norm, zstandard.ZstdCompressor())
    vocab, kinds = stream_kinds(blob, zstandard.ZstdDecompressor())
    assert vocab.tolist() == sorted(set(norm.tolist()))
    assert vocab[kinds].tolist() == norm.tolist()
    assert kinds.base is not None and kinds.dtype.itemsize == 1  # a view of the blob's bytes
    # a blob whose compressed offsets are damaged still gives its kinds
    assert stream_kinds(blob[:-8], zstandard.ZstdDecompressor())[1].tolist() == kinds.tolist()


def test_version_2_blobs_still_read(real_stream) -> None:  # type: ignore[no-untyped-def]
    _text, starts, ends, norm = real_stream
    zd = zstandard.ZstdDecompressor()
    got = decode_stream(_v2_blob(starts, ends, norm), zd)
    assert got.starts.tolist() == starts.tolist() and got.ends.tolist() == ends.tolist()
    assert got.norm_ids.tolist() == norm.tolist()
    vocab, kinds = stream_kinds(_v2_blob(starts, ends, norm), zd)
    assert vocab[kinds].tolist() == norm.tolist()


def test_version_1_blobs_still_read(real_stream) -> None:  # type: ignore[no-untyped-def]
    _text, starts, ends, norm = real_stream
    got = decode_stream(_v1_blob(starts, ends, norm), zstandard.ZstdDecompressor())
    assert got.starts.tolist() == starts.tolist() and got.ends.tolist() == ends.tolist()
    assert got.norm_ids.tolist() == norm.tolist()


def test_wide_values_take_wider_columns() -> None:
    starts = np.array([0, 70_000, 70_001], dtype=np.int64)
    ends = np.array([300, 70_001, 70_003], dtype=np.int64)
    norm = np.arange(300, dtype=np.uint64)[[0, 299, 299]]
    blob = encode_stream(starts, ends, norm, zstandard.ZstdCompressor())
    assert struct.unpack_from("<IIBBB", blob, 4) == (3, 2, 1, 4, 2)
    got = decode_stream(blob, zstandard.ZstdDecompressor())
    assert got.starts.tolist() == [0, 70_000, 70_001]
    assert got.ends.tolist() == [300, 70_001, 70_003]
    assert got.norm_ids.tolist() == [0, 299, 299]


@pytest.mark.parametrize("damage", ["truncated", "garbage", "bad-width", "index-past-vocab",
                                    "offsets-cut"])
def test_damaged_blob_is_a_corrupt_index(  # type: ignore[no-untyped-def]
        real_stream, damage: str) -> None:
    _text, starts, ends, norm = real_stream
    zc, zd = zstandard.ZstdCompressor(), zstandard.ZstdDecompressor()
    blob = bytearray(encode_stream(starts, ends, norm, zc))
    n, v = struct.unpack_from("<II", blob, 4)
    head = 4 + struct.calcsize("<IIBBB")
    if damage == "truncated":
        bad = bytes(blob[: head + 8 * v + n // 2])
    elif damage == "garbage":
        bad = b"RGS3" + b"\x00" * 64
    elif damage == "bad-width":
        blob[4 + 8] = 3  # no 3-byte columns
        bad = bytes(blob)
    elif damage == "index-past-vocab":
        assert v < 255 and blob[4 + 8] == 1  # 1-byte kinds, so 255 is past the vocabulary
        blob[head + 8 * v] = 255  # first token's vocabulary index
        bad = bytes(blob)
    else:
        bad = bytes(blob[:-8])  # the compressed offsets end early
    with pytest.raises(IndexCorruptError, match="token stream is malformed"):
        decode_stream(bad, zd)
    if damage != "offsets-cut":
        with pytest.raises(IndexCorruptError, match="token stream is malformed"):
            stream_kinds(bad, zd)
