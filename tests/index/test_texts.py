"""Stored work texts (:mod:`rightsguard.index.texts`): large UTF-8 texts are stored in pieces
and read back by pieces exactly as the whole text reads; everything else is one frame, as older
indexes store every work; damaged blobs are a corrupt index. Real files: the standard library's
argparse.py (ASCII), Debian manpages-ja's bash(1) (Japanese, UTF-8)."""

from __future__ import annotations

import gzip
import random
import sysconfig
from pathlib import Path

import pytest
import zstandard

from rightsguard.errors import IndexCorruptError
from rightsguard.index.build import decode
from rightsguard.index.texts import (
    CHUNK_BYTES,
    CHUNKED_MIN_BYTES,
    WorkText,
    decode_content,
    encode_content,
)

ARGPARSE = Path(sysconfig.get_paths()["stdlib"]) / "argparse.py"
BASH_JA = Path("/usr/share/man/ja/man1/bash.1.gz")  # scripts/test.sh installs manpages-ja
# as the registry compresses: with a checksum per frame, so damage is detected
ZC, ZD = zstandard.ZstdCompressor(level=6, write_checksum=True), zstandard.ZstdDecompressor()


def _text(blob: bytes) -> WorkText:
    return WorkText(blob, ZD, lambda raw: decode(raw)[0])


@pytest.fixture(scope="module", params=["argparse", "bash-ja"])
def raw(request: pytest.FixtureRequest) -> bytes:
    data = ARGPARSE.read_bytes() if request.param == "argparse" else \
        gzip.decompress(BASH_JA.read_bytes())
    assert len(data) > 2 * CHUNKED_MIN_BYTES
    return data


def test_a_large_utf8_text_is_stored_in_pieces_and_reads_back_whole(raw: bytes) -> None:
    text = raw.decode("utf-8")
    blob = encode_content(raw, text, ZC)
    assert blob[:4] == b"RGC1"
    assert decode_content(blob, ZD) == raw
    wt = _text(blob)
    assert len(wt) == len(text)
    assert wt.full() == text
    # more than one piece, each ending at a newline
    assert len(raw) // CHUNK_BYTES >= 4


def test_slices_lines_and_characters_read_by_pieces_equal_the_whole_texts(raw: bytes) -> None:
    text = raw.decode("utf-8")
    blob = encode_content(raw, text, ZC)
    rng = random.Random(7)
    for _ in range(300):
        a = rng.randrange(0, len(text) + 1)
        b = min(len(text), a + rng.choice([0, 1, 40, 3000, 20000]))
        wt = _text(blob)  # a fresh reader each time: nothing decoded yet
        assert wt[a:b] == text[a:b]
        assert wt.newlines_before(a) == text.count("\n", 0, a)
        assert wt.line_start(a) == text.rfind("\n", 0, a) + 1
        if a < len(text):
            assert wt[a] == text[a]
    wt = _text(blob)
    assert wt[-5:] == text[-5:]
    assert wt[len(text) - 1] == text[-1]
    assert wt.newlines_before(len(text)) == text.count("\n")
    # every line start, the pieces' first code points among them (pieces end at a newline:
    # the search for the line's start goes back into the piece before), with fresh readers
    starts = [i for i in range(1, len(text)) if text[i - 1] == "\n"]
    assert [_text(blob).line_start(i) for i in starts] == starts
    assert [_text(blob).line_start(i - 1) for i in starts] == [
        text.rfind("\n", 0, i - 1) + 1 for i in starts]
    with pytest.raises(IndexError):
        wt[len(text)]


def test_small_texts_boms_replacements_and_binary_stay_one_frame() -> None:
    big = ARGPARSE.read_bytes()
    small = big[:CHUNKED_MIN_BYTES - 1]
    bom = b"\xef\xbb\xbf" + big
    invalid = big[:40000] + b"\xff\xfe" + big[40000:]
    for raw, text in ((small, small.decode()), (bom, decode(bom)[0]),
                      (invalid, decode(invalid)[0]), (big, None)):
        blob = encode_content(raw, text, ZC)
        assert blob[:4] != b"RGC1"
        assert blob == ZC.compress(raw)  # one frame, the format older indexes hold
        assert decode_content(blob, ZD) == raw
    # read through the registry's decoding: BOM stripped, invalid bytes replaced
    wt = _text(encode_content(invalid, decode(invalid)[0], ZC))
    assert wt.full() == decode(invalid)[0]
    assert "\ufffd" in wt[39990:40010]
    assert _text(ZC.compress(bom)).full() == decode(bom)[0]


def test_a_damaged_blob_is_a_corrupt_index() -> None:
    raw = ARGPARSE.read_bytes()
    blob = encode_content(raw, raw.decode("utf-8"), ZC)
    with pytest.raises(IndexCorruptError, match="malformed"):
        _text(blob[:-10])  # sizes no longer add up
    damaged = bytearray(blob)
    damaged[-200:-190] = b"\x00" * 10  # inside the last frame
    with pytest.raises(IndexCorruptError, match="malformed"):
        _text(bytes(damaged)).full()
    with pytest.raises(IndexCorruptError, match="malformed"):
        decode_content(bytes(damaged), ZD)
