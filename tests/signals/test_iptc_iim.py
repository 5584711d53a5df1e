"""IPTC IIM (the older binary form of the IPTC fields) By-line 2:80 and Copyright Notice 2:116,
written by Pillow into TIFF tag 33723 (IPTC-NAA) of real photographs."""

from __future__ import annotations

import io
import struct
import warnings

from PIL import Image
from skimage import data as skdata

from rightsguard.index.sources import SignalsLicenceResolver
from rightsguard.signals import iptc


def _dataset(record: int, number: int, value: bytes) -> bytes:
    """One IIM 4.2 dataset: tag marker 0x1C, record, dataset number, 2-byte length, value."""
    return b"\x1c" + bytes([record, number]) + struct.pack(">H", len(value)) + value


def _tiff(rgb: object, iim: bytes) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(rgb).save(buf, "TIFF", tiffinfo={33723: iim})  # type: ignore[arg-type]
    return buf.getvalue()


UTF8 = _dataset(1, 90, b"\x1b%G")  # 1:90 Coded Character Set: ESC % G is UTF-8
VERSION = _dataset(2, 0, b"\x00\x04")


def test_by_lines_and_copyright_notice_from_iim() -> None:
    raw = _tiff(skdata.coffee(), UTF8 + VERSION + _dataset(2, 80, "Kenji Satō".encode())
                + _dataset(2, 80, b"Ann Author") + _dataset(2, 116, b"Getty Images"))
    assert iptc.iptc_rights(raw) == iptc.IptcRights(
        creators=("Kenji Satō", "Ann Author"), copyright_notice="Getty Images")
    # the notice names the holder, before the creators
    assert SignalsLicenceResolver().image_rights(raw) == (["Getty Images"], None)


def test_latin_1_without_a_character_set_and_all_rights_reserved() -> None:
    notice = "© 2024 Studio Müller. All rights reserved.".encode("latin-1")
    raw = _tiff(skdata.rocket(), VERSION + _dataset(2, 116, notice))
    assert iptc.iptc_rights(raw).copyright_notice == "© 2024 Studio Müller. All rights reserved."
    assert SignalsLicenceResolver().image_rights(raw) == (
        ["Studio Müller"], "LicenseRef-All-Rights-Reserved")


def test_no_iim_and_a_broken_file_give_nothing() -> None:
    buf = io.BytesIO()
    Image.fromarray(skdata.astronaut()).save(buf, "TIFF")
    assert iptc.iptc_rights(buf.getvalue()) == iptc.IptcRights()
    with warnings.catch_warnings(record=True) as seen:  # nothing printed for a broken file
        warnings.simplefilter("always")
        assert iptc.iptc_rights(b"II*\x00 broken") == iptc.IptcRights()
    assert [str(w.message) for w in seen] == []
