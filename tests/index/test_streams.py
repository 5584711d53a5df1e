"""Stored token streams: version 2 round trip on real code, version 1 blobs of older indexes
still read, and damaged blobs reported as a corrupt index."""

from __future__ import annotations

import struct
import sysconfig
from pathlib import Path

import numpy as np
import pytest
import zstandard

from rightsguard.errors import IndexCorruptError
from rightsguard.fingerprint.code import CodeTokenizer
from rightsguard.index.streams import decode_stream, encode_stream

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


@pytest.fixture(scope="module")
def real_stream() -> tuple[str, np.ndarray, np.ndarray, np.ndarray]:
    text = (STDLIB / "argparse.py").read_text("utf-8")
    ct = CodeTokenizer().tokenize(text, "python")
    return text, ct.starts, ct.ends, ct.norm_ids


def test_round_trip_on_real_code(real_stream) -> None:  # type: ignore[no-untyped-def]
    text, starts, ends, norm = real_stream
    blob = encode_stream(starts, ends, norm, zstandard.ZstdCompressor())
    assert blob[:4] == b"RGS2"
    got = decode_stream(blob, zstandard.ZstdDecompressor())
    assert len(got) == len(norm) > 10_000
    assert got.starts.tolist() == starts.tolist() and got.ends.tolist() == ends.tolist()
    assert got.norm_ids.tolist() == norm.tolist() and got.norm_ids.dtype == np.uint64
    # the token texts come back: the first token of argparse.py is the docstring (a literal)
    assert text[got.starts[0]:got.ends[0]].startswith('"""')
    # narrow columns: 1-byte vocabulary indexes and lengths fit this file? lengths do not
    # (the module docstring is longer than 255 code points), deltas fit in 2 bytes
    body = zstandard.ZstdDecompressor().decompress(blob[4:])
    n, v, kw, dw, lw = struct.unpack_from("<IIBBB", body)
    assert (n, kw, dw) == (len(norm), 1 if v <= 256 else 2, 2)
    assert lw == (1 if int((ends - starts).max()) < 256 else 2)


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
    body = zstandard.ZstdDecompressor().decompress(blob[4:])
    assert struct.unpack_from("<IIBBB", body) == (3, 2, 1, 4, 2)
    got = decode_stream(blob, zstandard.ZstdDecompressor())
    assert got.starts.tolist() == [0, 70_000, 70_001]
    assert got.ends.tolist() == [300, 70_001, 70_003]
    assert got.norm_ids.tolist() == [0, 299, 299]


@pytest.mark.parametrize("damage", ["truncated", "garbage", "bad-width", "index-past-vocab"])
def test_damaged_blob_is_a_corrupt_index(  # type: ignore[no-untyped-def]
        real_stream, damage: str) -> None:
    _text, starts, ends, norm = real_stream
    zc, zd = zstandard.ZstdCompressor(), zstandard.ZstdDecompressor()
    blob = encode_stream(starts, ends, norm, zc)
    body = bytearray(zd.decompress(blob[4:]))
    if damage == "truncated":
        bad = blob[: len(blob) // 2]
    elif damage == "garbage":
        bad = b"RGS2" + b"\x00" * 64
    elif damage == "bad-width":
        body[8] = 3  # no 3-byte columns
        bad = b"RGS2" + zc.compress(bytes(body))
    else:
        v = struct.unpack_from("<I", body, 4)[0]
        assert v < 255 and body[8] == 1  # 1-byte indexes, so 255 is past the vocabulary
        body[struct.calcsize("<IIBBB") + 8 * v] = 255  # first token's vocabulary index
        bad = b"RGS2" + zc.compress(bytes(body))
    with pytest.raises(IndexCorruptError, match="token stream is malformed"):
        decode_stream(bad, zd)
