"""The whitespace-free view of a text drops exactly what ``str.isspace`` calls whitespace, on
arrays: checked against the whole Unicode range and on real Japanese text (manpages-ja's
``find(1)``, which has ideographic spaces U+3000 among its kana and kanji)."""

from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np
import pytest

from rightsguard.screen.matcher import NON_ASCII_WS, NowsView

FIND_JA = Path("/usr/share/man/ja/man1/find.1.gz")


def test_non_ascii_whitespace_table_is_complete() -> None:
    every = [c for c in range(128, 0x110000) if chr(c).isspace()]
    assert NON_ASCII_WS.tolist() == every
    assert 0x3000 in every and 0xA0 in every and 0x85 in every


def test_view_of_japanese_text_matches_isspace() -> None:
    if not FIND_JA.is_file():
        pytest.fail(f"manpages-ja is missing ({FIND_JA}): apt-get install -y manpages-ja")
    text = gzip.decompress(FIND_JA.read_bytes()).decode("utf-8")
    assert not text.isascii() and text.count("\u3000") == 10
    view = NowsView.of(text)
    expected = [i for i, ch in enumerate(text) if not ch.isspace()]
    assert view.offsets.tolist() == expected
    assert view.chars == "".join(text[i] for i in expected)
    assert np.array_equal(view.codes, np.array([ord(text[i]) for i in expected], np.uint32))
