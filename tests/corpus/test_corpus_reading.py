from __future__ import annotations

import codecs
from pathlib import Path

import pytest

from rightsguard.corpus.reading import DEFAULT_MAX_BYTES, INVALID_UTF8_NOTE, read_source
from rightsguard.errors import InputError


def test_utf8_file_is_read_unchanged(tmp_path: Path) -> None:
    path = tmp_path / "a.py"
    path.write_bytes("print('héllo')\r\n".encode())
    raw, text, notes = read_source(path)
    assert raw == path.read_bytes()
    assert text == "print('héllo')\r\n"  # newlines kept: spans count original code points
    assert notes == []


def test_bom_is_stripped_from_text_but_kept_in_raw(tmp_path: Path) -> None:
    path = tmp_path / "bom.txt"
    path.write_bytes(codecs.BOM_UTF8 + b"hello")
    raw, text, notes = read_source(path)
    assert raw.startswith(codecs.BOM_UTF8)
    assert text == "hello"
    assert notes == []


def test_utf16_with_bom_is_decoded_with_a_note(tmp_path: Path) -> None:
    path = tmp_path / "wide.txt"
    path.write_bytes(codecs.BOM_UTF16_LE + "wide text".encode("utf-16-le"))
    _, text, notes = read_source(path)
    assert text == "wide text"
    assert notes == ["decoded as UTF-16LE (byte order mark)"]


def test_invalid_utf8_is_replaced_and_noted(tmp_path: Path) -> None:
    path = tmp_path / "latin1.txt"
    path.write_bytes("caf\u00e9 au lait, na\u00efve r\u00e9sum\u00e9\n".encode("latin-1"))
    raw, text, notes = read_source(path)
    assert text == "caf\ufffd au lait, na\ufffdve r\ufffdsum\ufffd\n"
    assert notes == [INVALID_UTF8_NOTE]
    assert len(raw) == path.stat().st_size


def test_nul_byte_means_binary(tmp_path: Path) -> None:
    path = tmp_path / "blob.py"
    path.write_bytes(b"abc\x00def")
    with pytest.raises(InputError, match=r"blob\.py: binary file \(NUL byte at offset 3\)"):
        read_source(path)


def test_undecodable_bytes_mean_binary(tmp_path: Path) -> None:
    path = tmp_path / "noise.txt"
    path.write_bytes(bytes(range(0x80, 0x100)) * 8 + bytes(range(1, 9)) * 20)
    with pytest.raises(InputError, match="not decodable as text"):
        read_source(path)


def test_real_binary_file_is_refused() -> None:
    import numpy

    shared = next(Path(numpy.__file__).parent.rglob("*.so"))
    with pytest.raises(InputError, match="binary file"):
        read_source(shared, max_bytes=1 << 30)


def test_empty_file_gives_empty_text(tmp_path: Path) -> None:
    path = tmp_path / "empty.txt"
    path.write_bytes(b"")
    assert read_source(path) == (b"", "", [])


def test_oversize_file_names_path_size_limit_and_setting(tmp_path: Path) -> None:
    path = tmp_path / "big.txt"
    path.write_bytes(b"x" * 100)
    with pytest.raises(InputError) as info:
        read_source(path, max_bytes=10)
    message = str(info.value)
    assert str(path) in message
    assert "(100 bytes)" in message and "(10 bytes)" in message
    assert "max_input_bytes" in message
    assert read_source(path, max_bytes=100)[1] == "x" * 100
    assert DEFAULT_MAX_BYTES == 16 * 1024 * 1024


def test_missing_file_and_folder(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no such file"):
        read_source(tmp_path / "nope.txt")
    with pytest.raises(InputError, match="is a directory"):
        read_source(tmp_path)
