"""``rightsguard check`` on images from the real command line: a batch's summary table, the
progress bar on a terminal, an image on standard input, and ``--top`` on files that are not
images. Works: two photographs of Debian's mate-backgrounds (Charles Barbin, GPL-2+ in the
package's copyright file)."""

from __future__ import annotations

import io
import json
import os
import pty
import re
import shutil
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from conftest import ENTRY, RunCli, error_lines
from PIL import Image
from skimage import data as skdata

MATE = Path("/usr/share/backgrounds/mate/nature")


@pytest.fixture(scope="module")
def home(cli: RunCli, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("check-images")
    (root / "works").mkdir()
    for name in ("Garden.jpg", "Aqua.jpg"):
        shutil.copy(MATE / name, root / "works" / name)
    proc = cli("index", "add", str(root / "works"), "--licence", "GPL-2.0-or-later",
               "--holder", "Charles Barbin", home=root / "home")
    assert proc.returncode == 0, proc.stderr
    out = root / "outputs"
    out.mkdir()
    with Image.open(MATE / "Aqua.jpg") as im:
        im.convert("RGB").resize((500, 312)).save(out / "aqua-small.png")
    Image.fromarray(skdata.coffee()).save(out / "coffee.png")  # not registered: clean
    raw = (MATE / "Garden.jpg").read_bytes()
    (out / "truncated.jpg").write_bytes(raw[: len(raw) // 3])
    (out / "notes.txt").write_text("An original sentence about a meadow at dawn.\n", "utf-8")
    return root / "home", out


def _env(home: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("RIGHTSGUARD_") and k != "COLUMNS"}
    env.update(RIGHTSGUARD_CONFIG=os.devnull, RIGHTSGUARD_HOME=str(home), **extra)
    return env


def _png_bytes(path: Path, size: tuple[int, int]) -> bytes:
    buf = io.BytesIO()
    with Image.open(path) as im:
        im.convert("RGB").resize(size).save(buf, "PNG")
    return buf.getvalue()


def _check_bytes(home: Path, stdin: bytes, *args: str) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run([sys.executable, "-c", ENTRY, "check", "-", *args], input=stdin,
                          capture_output=True, env=_env(home), timeout=300, check=False)


def test_a_batch_ends_with_a_summary_table_that_fits_80_columns(cli: RunCli,
                                                                home: tuple) -> None:
    index, out = home
    names = ["aqua-small.png", "coffee.png", "notes.txt", "truncated.jpg"]
    proc = cli("check", *(str(out / n) for n in names), home=index, env={"COLUMNS": "80"})
    assert proc.returncode == 2, proc.stderr  # an unreadable input
    lines = [line.rstrip() for line in proc.stdout.splitlines()]
    table = lines[lines.index("Summary"):-2]  # up to the blank line and the run verdict
    assert max(len(line) for line in table) <= 80
    assert table[1].split() == ["Input", "Modality", "Verdict", "Matches", "Top", "match"]

    def row(name: str) -> list[str]:
        at = next(i for i, line in enumerate(table) if "/" + name in line)
        return [line.strip() for line in table[at:at + 4]]

    first, holders, licence, kind = row("aqua-small.png")
    assert first.split()[1:5] == ["image", "block", "1", "works/Aqua.jpg"]  # GPL: blocked
    assert (holders, licence) == ("Charles Barbin", "GPL-2.0-or-later")
    assert kind.startswith("copy, ") and kind.endswith("% of work")
    assert float(kind.removeprefix("copy, ").removesuffix("% of work")) > 95  # whole picture
    assert row("coffee.png")[0].split()[1:] == ["image", "clean", "0", "no", "reproduction",
                                                "found"]
    assert row("notes.txt")[0].split()[1:4] == ["text", "clean", "0"]
    truncated = " ".join(row("truncated.jpg"))
    assert truncated.split()[1:5] == ["—", "review", "—", "not"]
    assert "not screened: JPEG data cannot be decoded" in " ".join(truncated.split())
    # the table comes after the per-input tables, the run verdict line last
    # (the per-input image tables' "Where (px)" column; their titles hold the whole path and
    # wrap anywhere when it is long, as under pytest's temporary folders)
    assert lines.index("Summary") > max(i for i, line in enumerate(lines) if "Where" in line)
    assert lines[-1] == ("Run verdict: block — 3 inputs, 1 match (1 block), 1 input not "
                         "screened (error)")


def test_one_input_has_no_summary_table(cli: RunCli, home: tuple) -> None:
    index, out = home
    proc = cli("check", str(out / "aqua-small.png"), home=index, env={"COLUMNS": "80"})
    assert proc.returncode == 1, proc.stderr
    assert "Summary" not in proc.stdout and "works/Aqua.jpg" in proc.stdout
    # in 80 columns (a pipe is 120 unless COLUMNS says otherwise) no value of the match table
    # is broken across lines: the licence and both regions' boxes each stay on one line
    cells = [[c.strip() for c in line.split("│")[1:-1]] for line in proc.stdout.splitlines()
             if line.startswith("│")]
    assert all(len(c) == 4 for c in cells) and max(map(len, proc.stdout.splitlines())) <= 80
    column = {i: [c[i] for c in cells if c[i]] for i in range(4)}
    assert column[1][:4] == ["works/Aqua.jpg", "Charles Barbin", "GPL-2.0-or-later", "(copyleft)"]
    boxes = column[2]
    assert boxes[0] == "output" and boxes[2] == "work"
    assert all(re.fullmatch(r"\d+,\d+–\d+,\d+", b) for b in (boxes[1], boxes[3])), boxes


def _on_a_terminal(args: list[str], home: Path, *,
                   both: bool = False) -> tuple[int, str]:
    """Run ``rightsguard ARGS`` with stderr on a pseudo-terminal (stdout a pipe, or the same
    terminal when ``both``); its exit code and what it wrote on the terminal."""
    master, slave = pty.openpty()
    proc = subprocess.Popen([sys.executable, "-c", ENTRY, *args],
                            stdout=slave if both else subprocess.PIPE,
                            stderr=slave, env=_env(home, TERM="xterm", COLUMNS="100"))
    os.close(slave)
    seen: list[bytes] = []

    def drain() -> None:  # keep reading, or the bar blocks on a full terminal buffer
        while True:
            try:
                chunk = os.read(master, 4096)
            except OSError:  # the child closed the terminal
                return
            if not chunk:
                return
            seen.append(chunk)

    reader = threading.Thread(target=drain)
    reader.start()
    proc.communicate(timeout=300)
    reader.join(timeout=10)
    os.close(master)
    return proc.returncode, b"".join(seen).decode("utf-8", "replace")


def test_an_image_batch_shows_progress_on_a_terminal_only(cli: RunCli, home: tuple) -> None:
    index, out = home
    args = ["check", str(out / "aqua-small.png"), str(out / "coffee.png")]
    rc, terminal = _on_a_terminal(args, index)
    assert rc == 1
    assert re.search(r"Screening\S* file 2\b", terminal) and "coffee.png" in terminal
    piped = cli(*args, home=index)
    assert piped.returncode == 1 and "Screening" not in piped.stderr
    # a look-up of several images shows it too
    rc, terminal = _on_a_terminal([*args, "--top", "1"], index)
    assert rc == 1 and "Screening" in terminal


def test_an_image_on_stdin_is_screened_as_an_image(home: tuple) -> None:
    index, _out = home
    proc = _check_bytes(index, _png_bytes(MATE / "Aqua.jpg", (400, 250)), "--format", "json")
    assert proc.returncode == 1, proc.stderr
    report = json.loads(proc.stdout)
    (result,) = report["results"]
    assert (result["input"], result["modality"], result["size"]) == (
        "-", "image", {"width": 400, "height": 250})
    assert [(m["work"]["title"], m["kind"], m["verdict"]) for m in result["matches"]] == [
        ("works/Aqua.jpg", "copy", "block")]
    # other formats Pillow sniffs: a JPEG, a GIF (palette) and a TIFF of the same picture
    with Image.open(MATE / "Aqua.jpg") as im:
        small = im.convert("RGB").resize((400, 250))
    for fmt in ("JPEG", "GIF", "TIFF"):
        buf = io.BytesIO()
        small.save(buf, fmt)
        proc = _check_bytes(index, buf.getvalue(), "--format", "json")
        result = json.loads(proc.stdout)["results"][0]
        assert result["modality"] == "image", fmt
        assert [m["work"]["title"] for m in result["matches"]] == ["works/Aqua.jpg"], fmt


def test_stdin_that_is_neither_image_nor_text_is_an_error(home: tuple) -> None:
    index, _out = home
    proc = _check_bytes(index, b"\x00\x01\x02 not an image, not text")
    assert proc.returncode == 2
    assert error_lines(proc.stderr.decode()) == [
        "error: -: binary file (NUL byte at offset 0); only text and code files can be read"]
    # a truncated PNG is an image that cannot be decoded: the error says so
    png = _png_bytes(MATE / "Garden.jpg", (300, 200))
    proc = _check_bytes(index, png[: len(png) // 2], "--format", "json")
    assert proc.returncode == 2
    (error,) = json.loads(proc.stdout)["errors"]
    assert error["input"] == "-" and error["reason"].startswith("-: PNG")
    # a PNG whose XMP chunk inflates past Pillow's guard was "binary file (NUL byte at offset
    # 8)" on stdin (Pillow refuses it while reading the header): the decoder's reason now
    from PIL import PngImagePlugin

    info = PngImagePlugin.PngInfo()
    info.add_itxt("XML:com.adobe.xmp", " " * 1_200_000, zip=True)
    buf = io.BytesIO()
    Image.fromarray(skdata.coffee()).save(buf, "PNG", pnginfo=info)
    proc = _check_bytes(index, buf.getvalue(), "--format", "json")
    assert proc.returncode == 2
    (error,) = json.loads(proc.stdout)["errors"]
    assert error["reason"].startswith("-: a compressed PNG text chunk (zTXt/iTXt: XMP, comments) "
                                      "inflates past Pillow's limit")


def test_top_on_a_named_text_file_is_an_error_naming_it(cli: RunCli, home: tuple) -> None:
    index, out = home
    notes = str(out / "notes.txt")
    proc = cli("check", notes, str(out / "aqua-small.png"), "--top", "2", "--format", "json",
               home=index)
    assert proc.returncode == 2, proc.stderr
    report = json.loads(proc.stdout)
    assert report["errors"] == [{
        "input": notes,
        "reason": f"{notes}: not an image: --top ranks registered images only; run check "
                  "without --top to screen text and code"}]
    assert "skipped" not in report
    (result,) = report["results"]
    assert result["matches"][0]["work"]["title"] == "works/Aqua.jpg"
    assert error_lines(proc.stderr) == [f"error: {report['errors'][0]['reason']}"]
    # text on stdin likewise
    text = cli("check", "-", "--top", "2", stdin="def f():\n    return 1\n", home=index)
    assert text.returncode == 2
    assert error_lines(text.stderr) == ["error: -: not an image: --top ranks registered images "
                                        "only; run check without --top to screen text and code"]


def test_top_over_a_folder_skips_what_is_not_an_image_and_says_why(cli: RunCli,
                                                                  home: tuple) -> None:
    index, out = home
    proc = cli("check", str(out), "--top", "1", home=index, env={"COLUMNS": "200"})
    assert proc.returncode == 2, proc.stderr  # the truncated JPEG
    assert proc.stdout.rstrip().splitlines()[-1] == (  # the look-alike: coffee's nearest
        "Run verdict: block — 2 inputs, 1 match (1 block), 1 unconfirmed look-alike, 1 input "
        "not screened (error), 1 other file skipped (not an image: --top ranks registered "
        "images only)")
    report = json.loads(cli("check", str(out), "--top", "1", "--format", "json",
                            home=index).stdout)
    assert report["skipped"] == [{"input": str(out / "notes.txt"),
                                  "reason": "not an image: --top ranks registered images only"}]
    # an image on stdin is looked up
    proc = _check_bytes(index, _png_bytes(MATE / "Garden.jpg", (400, 250)), "--top", "1",
                        "--format", "json")
    assert proc.returncode == 1, proc.stderr
    (result,) = json.loads(proc.stdout)["results"]
    assert [(m["work"]["title"], m["kind"]) for m in result["matches"]] == [
        ("works/Garden.jpg", "copy")]


def test_top_help_says_it_ranks_images_only(cli: RunCli) -> None:
    proc = cli("check", "--help", env={"COLUMNS": "400"})
    assert proc.returncode == 0
    assert "Images only: a named file (or -) that is not an image is an error (exit 2)" in \
        " ".join(proc.stdout.split())


def test_an_error_is_said_once_on_a_terminal(cli: RunCli, home: tuple, tmp_path: Path) -> None:
    """The human report names each input that could not be screened; with stdout and stderr on
    one terminal the stderr error line would repeat it, so it is left out there. Piped, stderr
    still carries it for scripts."""
    index, _ = home
    bad = tmp_path / "bad.jpg"
    bad.write_bytes(b"\x00garbage")  # binary (text named .jpg is screened as text)
    reason = "not an image in a supported format"
    rc, terminal = _on_a_terminal(["check", str(bad)], index, both=True)
    assert rc == 2
    assert terminal.count(reason) == 1, terminal
    piped = cli("check", str(bad), home=index)
    assert piped.returncode == 2
    assert (piped.stdout.count(reason), piped.stderr.count(reason)) == (1, 1)


def test_top_counts_only_confirmed_copies_as_matches(cli: RunCli, home: tuple) -> None:
    """``--top 2`` on a copy of Aqua lists Aqua (a confirmed copy, GPL: block) and Garden, the
    other registered photograph, as the next nearest by hash; Garden is an unconfirmed
    look-alike, not a match, in the run line."""
    index, out = home
    proc = cli("check", str(out / "aqua-small.png"), "--top", "2", "--format", "json",
               home=index)
    kinds = [(m["work"]["title"], m["kind"], m["verdict"])
             for m in json.loads(proc.stdout)["results"][0]["matches"]]
    assert kinds == [("works/Aqua.jpg", "copy", "block"), ("works/Garden.jpg", "similar", "clean")]
    human = cli("check", str(out / "aqua-small.png"), "--top", "2", home=index)
    assert human.returncode == 1
    assert human.stdout.splitlines()[-1] == (
        "Run verdict: block — 1 input, 1 match (1 block), 1 unconfirmed look-alike")


def test_top_gives_the_decoders_reason_for_a_broken_image_file(cli: RunCli, home: tuple,
                                                                tmp_path: Path) -> None:
    """A ``.jpg`` holding no image, met in a folder or named, is an error with the reason
    ``check`` gives without ``--top`` (not the hint for text files, which made no sense
    for it); a ``.txt`` in the folder is still skipped as not an image."""
    index, _ = home
    folder = tmp_path / "mixed"
    folder.mkdir()
    (folder / "fake.jpg").write_text("not a JPEG at all\n", "utf-8")
    (folder / "notes.txt").write_text("An original sentence.\n", "utf-8")
    reports = [json.loads(cli("check", arg, "--top", "2", "--format", "json", home=index).stdout)
               for arg in (str(folder), str(folder / "fake.jpg"))]
    for report in reports:
        assert report["errors"] == [{
            "input": str(folder / "fake.jpg"),
            "reason": f"{folder / 'fake.jpg'}: not an image in a supported format (supported: "
                      "PNG, JPEG, GIF, WEBP, BMP, TIFF, AVIF)"}]
    assert [s["input"] for s in reports[0]["skipped"]] == [str(folder / "notes.txt")]


def test_index_add_takes_the_input_limit_from_the_setting(cli: RunCli, tmp_path: Path) -> None:
    # a newcomer's 30 MB photograph could not be registered ("over the limit of 16777216 bytes
    # for one work"), and nothing said which setting raises it
    (tmp_path / "works").mkdir()
    shutil.copy(MATE / "Garden.jpg", tmp_path / "works" / "Garden.jpg")
    size = (MATE / "Garden.jpg").stat().st_size
    low = {"RIGHTSGUARD_MAX_INPUT_BYTES": str(size - 1)}
    proc = cli("index", "add", str(tmp_path / "works"), "--licence", "GPL-2.0-or-later",
               home=tmp_path / "home", env=low)
    assert proc.returncode == 2
    assert error_lines(proc.stderr) == [
        f"error: {tmp_path / 'works' / 'Garden.jpg'}: {size} bytes is over the limit of "
        f"{size - 1} bytes for one work (max_input_bytes (env RIGHTSGUARD_MAX_INPUT_BYTES))"]
    proc = cli("index", "add", str(tmp_path / "works"), "--licence", "GPL-2.0-or-later",
               home=tmp_path / "home", env={"RIGHTSGUARD_MAX_INPUT_BYTES": str(size)})
    assert proc.returncode == 0, proc.stderr


def test_an_image_over_the_input_limit_names_the_setting(cli: RunCli, home: tuple) -> None:
    index_home, out = home
    image = out / "coffee.png"
    size = image.stat().st_size
    proc = cli("check", str(image), home=index_home,
               env={"RIGHTSGUARD_MAX_INPUT_BYTES": str(size - 1)})
    assert proc.returncode == 2
    assert error_lines(proc.stderr) == [
        f"error: {image}: {size} bytes is over the input limit of {size - 1} bytes; raise the "
        "limit with max_input_bytes (env RIGHTSGUARD_MAX_INPUT_BYTES) to read it"]
