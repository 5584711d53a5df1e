"""Binary files found while walking a folder are skipped (listed under ``skipped``, counted in
the summary) and change neither verdict nor exit code; a binary file named on the command line,
and a text file that cannot be read, stay errors (exit 2), except an image, which is screened as
one. The fast ``check`` path and the Typer command agree on all of it."""

from __future__ import annotations

import json
import os
import random
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest
from conftest import RunCli, error_lines
from PIL import Image

STDLIB = Path(sysconfig.get_paths()["stdlib"])
FAST = "from rightsguard.cli import main; main()"
TYPER = "import sys; from rightsguard.cli.commands import run_app; sys.exit(run_app())"


@pytest.fixture(scope="module")
def home(cli: RunCli, tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("binaries") / "index"
    proc = cli("index", "add", str(STDLIB / "textwrap.py"), "--licence", "GPL-3.0-only",
               "--holder", "Y", home=folder)
    assert proc.returncode == 0, proc.stderr
    return folder


def write_png(path: Path, size: int = 16) -> None:
    """A real PNG written by Pillow (its IHDR length puts a NUL byte at offset 8)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    noise = random.Random(size).randbytes(size * size * 3)
    Image.frombytes("RGB", (size, size), noise).save(path, format="PNG")


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A source tree: a real Python file (not in the index), a PNG beside it and one deeper."""
    root = tmp_path / "repo"
    root.mkdir()
    shutil.copyfile(STDLIB / "fnmatch.py", root / "fnmatch.py")
    write_png(root / "logo.png")
    write_png(root / "assets" / "icon.png")
    return root


def skipped_entry(path: Path) -> dict[str, str]:
    return {"input": str(path), "reason": "binary file (NUL byte at offset 8)"}


def run(code: str, args: list[str], home: Path, env: dict[str, str] | None = None
        ) -> subprocess.CompletedProcess[str]:
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("RIGHTSGUARD_")}
    full_env.update(RIGHTSGUARD_CONFIG=os.devnull, RIGHTSGUARD_HOME=str(home), COLUMNS="200")
    full_env.update(env or {})
    return subprocess.run([sys.executable, "-c", code, *args], text=True, capture_output=True,
                          env=full_env, timeout=300)


def test_binaries_in_a_folder_are_skipped_not_errors(home: Path, repo: Path) -> None:
    proc = run(FAST, ["check", str(repo), "--format", "json"], home)
    assert (proc.returncode, proc.stderr) == (0, "")
    assert json.loads(proc.stdout) == {
        "schema_version": 1,
        "verdict": "clean",
        "results": [{"input": str(repo / "fnmatch.py"), "modality": "code",
                     "language": "python", "verdict": "clean", "notes": [], "matches": []}],
        "errors": [],
        "skipped": [skipped_entry(repo / "logo.png"),
                    skipped_entry(repo / "assets" / "icon.png")],
    }


def test_summary_counts_skipped_binaries(home: Path, repo: Path) -> None:
    proc = run(FAST, ["check", str(repo)], home)
    assert (proc.returncode, proc.stderr) == (0, "")
    assert proc.stdout.rstrip().splitlines()[-1] == (
        "Run verdict: clean — 1 input, 0 matches, 2 binary files skipped")


def test_sarif_lists_skipped_binaries_without_failing(home: Path, repo: Path) -> None:
    proc = run(FAST, ["check", str(repo), "--format", "sarif"], home)
    assert (proc.returncode, proc.stderr) == (0, "")
    (sarif_run,) = json.loads(proc.stdout)["runs"]
    assert sarif_run["properties"]["errors"] == []
    assert sarif_run["properties"]["skipped"] == [skipped_entry(repo / "logo.png"),
                                                  skipped_entry(repo / "assets" / "icon.png")]
    assert "invocations" not in sarif_run  # no error, no note: nothing went wrong


def test_skipped_binaries_leave_a_block_a_block(home: Path, repo: Path) -> None:
    shutil.copyfile(STDLIB / "textwrap.py", repo / "wrap.py")
    proc = run(FAST, ["check", str(repo), "--format", "json"], home)
    assert (proc.returncode, proc.stderr) == (1, "")
    report = json.loads(proc.stdout)
    assert report["verdict"] == "block"
    assert [(r["input"], r["verdict"]) for r in report["results"]] == [
        (str(repo / "fnmatch.py"), "clean"), (str(repo / "wrap.py"), "block")]
    assert report["errors"] == []
    assert report["skipped"] == [skipped_entry(repo / "logo.png"),
                                 skipped_entry(repo / "assets" / "icon.png")]


def write_blob(path: Path) -> None:
    """A binary that is not an image: a NUL byte at offset 3."""
    path.write_bytes(b"\x7fEL\x00" + bytes(range(256)))


def test_a_binary_named_on_the_command_line_is_an_error(home: Path, repo: Path) -> None:
    blob = repo / "lib.so"
    write_blob(blob)
    proc = run(FAST, ["check", str(blob), "--format", "json"], home)
    assert proc.returncode == 2
    reason = f"{blob}: binary file (NUL byte at offset 3); only text and code files can be read"
    assert json.loads(proc.stdout) == {"schema_version": 1, "verdict": "review", "results": [],
                                       "errors": [{"input": str(blob), "reason": reason}]}
    assert error_lines(proc.stderr) == [f"error: {reason}"]
    # named next to its folder: the named copy is the error, the walked one is skipped
    proc = run(FAST, ["check", str(repo / "assets"), str(blob), "--format", "json"], home)
    assert proc.returncode == 2
    report = json.loads(proc.stdout)
    assert report["errors"] == [{"input": str(blob), "reason": reason}]
    assert report["skipped"] == [skipped_entry(repo / "assets" / "icon.png")]


def test_an_image_named_on_the_command_line_is_screened(home: Path, repo: Path) -> None:
    """Named, an image is screened as an image even when the index holds none (clean, and a note
    says so); walked in a folder of such an index it is skipped like any binary."""
    logo = repo / "logo.png"
    proc = run(FAST, ["check", str(repo / "assets"), str(logo), "--format", "json"], home)
    assert (proc.returncode, proc.stderr) == (0, "")
    report = json.loads(proc.stdout)
    assert report["results"] == [{"input": str(logo), "modality": "image", "language": None,
                                  "verdict": "clean", "notes": [
                                      "the index holds no image works or marks: nothing to "
                                      "compare with"],
                                  "matches": [], "size": {"width": 16, "height": 16}}]
    assert report["skipped"] == [skipped_entry(repo / "assets" / "icon.png")]


def test_unreadable_text_in_a_folder_stays_an_error(home: Path, repo: Path) -> None:
    """Refused encodings and text over the size limit are errors; a big binary is skipped;
    a UTF-16 file (NUL bytes after its byte order mark) is text and is screened."""
    legacy = repo / "legacy.py"
    legacy.write_bytes(bytes([0x01, 0x02, 0x03, 0x80]) * 64)  # no NUL, not decodable
    big = repo / "big.py"
    big.write_text("x = 1\n" * 5000, "utf-8")  # 30000 bytes
    write_png(repo / "photo.png", size=120)  # about 43 KB of noise
    (repo / "wide.txt").write_text("hello from a UTF-16 file\n", "utf-16")
    proc = run(FAST, ["check", str(repo), "--format", "json"], home,
               env={"RIGHTSGUARD_MAX_INPUT_BYTES": "20000"})
    assert proc.returncode == 2
    report = json.loads(proc.stdout)
    assert report["verdict"] == "review"
    assert [r["input"] for r in report["results"]] == [str(repo / "fnmatch.py"),
                                                       str(repo / "wide.txt")]
    assert [e["input"] for e in report["errors"]] == [str(big), str(legacy)]
    assert "larger than the input limit" in report["errors"][0]["reason"]
    assert "not decodable as text" in report["errors"][1]["reason"]
    assert report["skipped"] == [skipped_entry(repo / "logo.png"),
                                 skipped_entry(repo / "photo.png"),
                                 skipped_entry(repo / "assets" / "icon.png")]
    assert error_lines(proc.stderr) == [f"error: {e['reason']}" for e in report["errors"]]


@pytest.mark.parametrize("fmt", ["json", "human", "sarif"])
def test_fast_check_is_the_typer_check_on_folders(home: Path, repo: Path, fmt: str) -> None:
    write_blob(repo / "lib.so")
    args = ["check", str(repo), str(repo / "lib.so"), "--format", fmt]
    fast, slow = run(FAST, args, home), run(TYPER, args, home)
    assert (fast.returncode, fast.stdout, fast.stderr) == (
        slow.returncode, slow.stdout, slow.stderr)
    assert fast.returncode == 2
    args = ["check", str(repo), "--format", fmt]
    fast, slow = run(FAST, args, home), run(TYPER, args, home)
    assert (fast.returncode, fast.stdout, fast.stderr) == (
        slow.returncode, slow.stdout, slow.stderr)
    assert fast.returncode == 0


def test_an_image_in_a_format_not_screened_says_so(home: Path, repo: Path) -> None:
    """A PCX picture named on the command line: binary, so an error as before, and the reason
    now says what it is (Pillow reads its header) and which image formats are screened."""
    from skimage import data as skdata

    pcx = repo / "rocket.pcx"
    Image.fromarray(skdata.rocket()).save(pcx)
    proc = run(FAST, ["check", str(pcx), "--format", "json"], home)
    assert proc.returncode == 2
    [error] = json.loads(proc.stdout)["errors"]
    assert error["reason"] == (  # PCX header: bytes 4-5 are Xmin, 0 here
        f"{pcx}: binary file (NUL byte at offset 4); only text and code files can be read; it "
        "is a PCX image (images are screened in the formats of the extensions .avif .bmp .gif "
        ".jpeg .jpg .png .tif .tiff .webp)")
