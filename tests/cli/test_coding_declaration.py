"""Python sources in a legacy encoding named by a PEP 263 coding declaration (Shift_JIS or
EUC-JP comments, as Japanese code written before UTF-8 has them) are read in that encoding, by
the importers and by ``check`` alike: registered, screened and reported with the text their
author wrote, not refused as binary nor replaced. The Japanese text is Debian's manpages-ja
(find(1)); the file around it is written here."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest
from conftest import RunCli

from rightsguard.corpus.reading import INVALID_UTF8_NOTE, declared_encoding, decode_text

FIND_JA = Path("/usr/share/man/ja/man1/find.1.gz")


def japanese_lines(n: int = 12) -> list[str]:
    """The first ``n`` lines of find(1) in Japanese that hold Japanese characters and that
    Shift_JIS and EUC-JP can both encode (troff requests and macros dropped)."""
    if not FIND_JA.is_file():
        pytest.fail(f"manpages-ja is missing ({FIND_JA}): apt-get install -y manpages-ja")
    out = []
    for line in gzip.decompress(FIND_JA.read_bytes()).decode("utf-8").splitlines():
        if line.startswith(".") or line.isascii() or "\\" in line:
            continue
        try:
            line.encode("shift_jis"), line.encode("euc-jp")
        except UnicodeEncodeError:
            continue
        out.append(line)
        if len(out) == n:
            return out
    raise AssertionError("find(1) has too few Japanese lines")


def source(encoding: str | None) -> str:
    """A Python module whose comments are find(1)'s Japanese lines; with a coding declaration
    naming ``encoding`` unless it is None."""
    head = [f"# -*- coding: {encoding} -*-"] if encoding else []
    comments = [f"# {line}" for line in japanese_lines()]
    body = ["def find_newer(paths, stamp):",
            "    newer = []",
            "    for path in paths:",
            "        if path.stat().st_mtime > stamp.stat().st_mtime:",
            "            newer.append(path)",
            "    return sorted(newer, key=lambda p: (p.parent, p.name))", ""]
    return "\n".join(head + comments + body)


@pytest.mark.parametrize("encoding", ["shift_jis", "euc-jp"])
def test_declared_legacy_encoding_is_decoded_as_written(encoding: str) -> None:
    text = source(encoding)
    raw = text.encode(encoding)
    assert declared_encoding(raw) == encoding
    assert decode_text(raw, "m.py") == (text, [f"decoded as {encoding} (its coding "
                                               "declaration, PEP 263)"])
    # the same bytes without the declaration are mostly invalid UTF-8 (they were refused as a
    # binary file): charset-normalizer names an encoding they decode in — Shift_JIS's and
    # EUC-JP's supersets cp932 and EUC-JIS-2004, which agree on this text
    bare = source(None).encode(encoding)
    decoded, notes = decode_text(bare, "m.py")
    assert decoded == source(None)
    (note,) = notes
    detected = note.removeprefix("decoded as ").split(" ")[0]
    assert detected in {"shift_jis": ("shift_jis", "cp932"),
                        "euc-jp": ("euc_jp", "euc_jis_2004")}[encoding]
    assert note == f"decoded as {detected} (detected by charset-normalizer: not UTF-8, no " \
        "coding declaration)"


def test_declarations_that_do_not_hold_are_not_used() -> None:
    # a declaration on line 3 is no declaration (PEP 263: line 1 or 2)
    late = b"x = 1\ny = 2\n# -*- coding: latin-1 -*-\n" + "caf\u00e9\n".encode("latin-1")
    assert declared_encoding(late) is None
    assert decode_text(late)[1] == [INVALID_UTF8_NOTE]
    # an encoding Python does not know, and a declaration of UTF-8 (already tried)
    assert declared_encoding(b"# coding: no-such-codec\nx = 1\n") is None
    assert declared_encoding(b"# vim: set fileencoding=utf-8 :\nx = 1\n") is None
    # declarations written in ASCII cannot name an encoding that does not write ASCII so
    for other in ("utf-16", "utf-32", "cp037"):
        assert declared_encoding(f"# coding: {other}\n# caf\u00e9\n".encode("latin-1")) is None
    # declared Latin-1 but written in UTF-8: valid UTF-8 is read as UTF-8 (offsets unchanged)
    utf8 = "# coding: latin-1\ns = 'caf\u00e9'\n"
    assert decode_text(utf8.encode("utf-8")) == (utf8, [])
    # declared EUC-JP but bytes EUC-JP cannot decode: read as the undeclared text it is
    wrong = b"# coding: euc-jp\n# \xff\xfe\xff\n"
    assert decode_text(wrong)[1] == [INVALID_UTF8_NOTE]


def test_legacy_encoded_work_is_registered_and_found(cli: RunCli, tmp_path: Path) -> None:
    text = source("euc-jp")
    folder = tmp_path / "legacy"
    folder.mkdir()
    (folder / "find_newer.py").write_bytes(text.encode("euc-jp"))
    home = tmp_path / "home"
    proc = cli("index", "add", str(folder), "--licence", "GPL-3.0-or-later", "--holder",
               "Example Holder", home=home)
    assert proc.returncode == 0, proc.stderr
    # an output that reproduces the comments and the function, in UTF-8 as models write
    start = text.index("\n") + 1  # after the declaration
    copied = text[start:]
    out = tmp_path / "answer.py"
    out.write_text("import os\n\n" + copied, encoding="utf-8")
    proc = cli("check", str(out), "--format", "json", home=home)
    assert proc.returncode == 1, proc.stderr  # GPL: block
    report = json.loads(proc.stdout)
    matches = [m for r in report["results"] for m in r["matches"]
               if m["work"]["title"].endswith("find_newer.py")]
    assert matches and matches[0]["kind"] == "verbatim"
    span = matches[0]["work_span"]
    # the work span is in code points of the decoded EUC-JP text: the copied part, line 2 on
    assert span["start_line"] == 2 and span["end"] == len(text.rstrip("\n"))
    assert text[span["start"]:span["end"]].startswith(("# ", "def "))
