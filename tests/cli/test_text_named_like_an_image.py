"""A text file named like an image (``*.png``) is screened as the text it holds, named or met in
a folder, as standard input is. A newcomer got an error (exit 2) for ``fake.png`` named on the
command line and ``clean`` (exit 0) for the same file in a folder. Works: ``heapq.py`` of the
standard library and a photograph of Debian's mate-backgrounds (Charles Barbin, GPL-2+), so the
index holds images and image-named files are screened as images first."""

from __future__ import annotations

import heapq
import json
import shutil
from pathlib import Path

from conftest import RunCli

MATE = Path("/usr/share/backgrounds/mate/nature")
NOTE = "named like an image (.png) but holds text: screened as text"


def test_text_in_a_png_is_screened_as_text_named_or_in_a_folder(cli: RunCli,
                                                                tmp_path: Path) -> None:
    works = tmp_path / "works"
    works.mkdir()
    shutil.copy(heapq.__file__, works / "heapq.py")
    shutil.copy(MATE / "Garden.jpg", works / "Garden.jpg")
    home = tmp_path / "home"
    added = cli("index", "add", str(works), "--licence", "PSF-2.0", "--holder", "PSF", home=home)
    assert added.returncode == 0, added.stderr
    source = (works / "heapq.py").read_text("utf-8")
    start = source.index("def merge(")
    copied = source[start:source.index("\ndef ", start + 1)]
    outputs = tmp_path / "outputs"
    outputs.mkdir()
    (outputs / "copied.png").write_text(copied, "utf-8")
    (outputs / "binary.png").write_bytes(b"\x89PNX\x00 not an image")
    for args in ([str(outputs / "copied.png")], [str(outputs)]):
        proc = cli("check", *args, "--format", "json", home=home)
        report = json.loads(proc.stdout)
        (result,) = [r for r in report["results"] if r["input"].endswith("copied.png")]
        assert result["notes"][0] == NOTE
        assert {m["work"]["title"] for m in result["matches"]} == {"works/heapq.py"}
        assert result["verdict"] == "attribute"
    # a binary file named like an image is still an error, in the folder too
    assert proc.returncode == 2
    assert [e["input"] for e in report["errors"]] == [str(outputs / "binary.png")]
    # an index without images: a folder's image-named files are read as text or skipped as
    # binary, not decoded as images; the text one says so all the same
    (works / "Garden.jpg").unlink()
    code_only = tmp_path / "code-only"
    assert cli("index", "add", str(works), "--licence", "PSF-2.0", home=code_only).returncode == 0
    report = json.loads(cli("check", str(outputs), "--format", "json", home=code_only).stdout)
    (result,) = report["results"]
    assert result["notes"][0] == NOTE and result["verdict"] == "attribute"
    assert [s["input"] for s in report["skipped"]] == [str(outputs / "binary.png")]
