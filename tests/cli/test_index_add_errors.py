"""``rightsguard index add``: bad inputs are errors (exit 2 once the batch is done, like
``check``), things that are simply not works are skipped (exit 0), and the summary's counts
agree with the progress line."""

from __future__ import annotations

import io
import json
import re
import sysconfig
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
from conftest import RunCli
from PIL import Image
from skimage import data as skdata

STDLIB = Path(sysconfig.get_paths()["stdlib"])


def _png(rgb: object, path: Path) -> int:
    """Write ``rgb`` as a PNG at ``path``; its size in bytes."""
    buf = io.BytesIO()
    Image.fromarray(rgb).save(buf, "PNG")  # type: ignore[arg-type]
    path.write_bytes(buf.getvalue())
    return len(buf.getvalue())


def _index_info(cli: RunCli, home: Path) -> dict[str, object]:
    proc = cli("index", "info", "--json", home=home)
    assert proc.returncode == 0, proc.stderr
    info: dict[str, object] = json.loads(proc.stdout)
    return info


def test_a_catalogue_row_with_an_invalid_licence_is_an_error(cli: RunCli,
                                                             tmp_path: Path) -> None:
    """The good rows are registered, the bad one is reported once (its file named once) and
    the exit status is 2."""
    photos = tmp_path / "photos"
    photos.mkdir()
    size = _png(skdata.coffee(), photos / "coffee.png") + _png(skdata.rocket(),
                                                                photos / "rocket.png")
    catalogue = tmp_path / "works.jsonl"
    rows = [{"path": "photos/coffee.png", "licence": "CC-BY-NC-4.0", "holder": "Ann"},
            {"path": "photos/rocket.png", "licence": "Not A Licence", "holder": "Bo"},
            {"path": "photos/rocket.png", "licence": "LicenseRef-All-Rights-Reserved"}]
    catalogue.write_text("".join(json.dumps(r) + "\n" for r in rows), "utf-8")
    home = tmp_path / "home"
    proc = cli("index", "add", str(catalogue), home=home)
    assert proc.returncode == 2, proc.stderr
    assert re.fullmatch(
        rf"added 2 works \({size / 1e6:.1f} MB\), 0 merged into works already registered, "
        rf"0 skipped, 1 error in \d+\.\d s → {re.escape(str(home))}\n", proc.stdout), proc.stdout
    errors = [line for line in proc.stderr.splitlines() if line.startswith("error: ")]
    assert errors == [
        f"error: {catalogue} row 2: licence 'Not A Licence' is not an SPDX expression (licence "
        "expression 'Not A Licence' has identifiers not on the SPDX licence list: Not A "
        "Licence; allowed are SPDX ids, NOASSERTION, NONE and LicenseRef-…/DocumentRef-… "
        "references (LicenseRef-All-Rights-Reserved for all rights reserved))"]
    # the progress line counts the same works as the summary
    assert re.search(r"^Indexing: 2 new works, [\d.]+ MB read in \d+ s$", proc.stderr, re.M)
    info = _index_info(cli, home)
    assert info["works"] == 2


def test_a_parquet_row_with_an_invalid_licence_is_an_error(cli: RunCli, tmp_path: Path) -> None:
    _png(skdata.astronaut(), tmp_path / "astronaut.png")
    table = pa.table({"path": ["astronaut.png", "astronaut.png"],
                      "licence": ["GPL-9.9", "MIT"]})
    catalogue = tmp_path / "works.parquet"
    pq.write_table(table, catalogue)
    proc = cli("index", "add", str(catalogue), home=tmp_path / "home")
    assert proc.returncode == 2, proc.stderr
    assert ", 1 error in " in proc.stdout and proc.stdout.startswith("added 1 work (")
    [error] = [line for line in proc.stderr.splitlines() if line.startswith("error: ")]
    assert error.startswith(f"error: {catalogue} row 1: licence 'GPL-9.9' is not an SPDX ")
    assert error.count(str(catalogue)) == 1


def test_empty_and_licence_files_are_skipped_not_errors(cli: RunCli, tmp_path: Path) -> None:
    package = tmp_path / "pkg"
    package.mkdir()
    (package / "__init__.py").write_text("", "utf-8")
    (package / "shlex.py").write_bytes((STDLIB / "shlex.py").read_bytes())
    licence = tmp_path / "LICENSE"
    licence.write_text("MIT License\n", "utf-8")
    home = tmp_path / "home"
    proc = cli("index", "add", str(package), str(licence), "--licence", "PSF-2.0", home=home)
    assert proc.returncode == 0, proc.stderr
    size = (STDLIB / "shlex.py").stat().st_size
    assert proc.stdout.startswith(
        f"added 1 work ({size / 1e6:.1f} MB), 0 merged into works already registered, "
        "2 skipped, 0 errors in "), proc.stdout
    skipped = sorted(line for line in proc.stderr.splitlines() if line.startswith("skipped: "))
    assert skipped == [
        f"skipped: {licence}: a licence file: it gives the licence of the files in its "
        "folder and is not registered as a work",
        f"skipped: {package / '__init__.py'}: empty file"]
    assert not [line for line in proc.stderr.splitlines() if line.startswith("error: ")]


def test_an_undecodable_image_and_a_missing_path_are_errors(cli: RunCli, tmp_path: Path
                                                            ) -> None:
    """Found while walking a folder or named, a file that claims to be an image and is not
    (as ``check`` says of it) and a path that does not exist are errors; the same bytes added
    twice are merged, and the progress line counts new works, as ``index info`` does, and the
    files merged into them apart."""
    photos = tmp_path / "photos"
    photos.mkdir()
    size = _png(skdata.chelsea(), photos / "cat.png")
    _png(skdata.chelsea(), photos / "cat-again.png")
    (photos / "broken.png").write_bytes(b"not a PNG at all")
    missing = tmp_path / "nowhere"
    home = tmp_path / "home"
    proc = cli("index", "add", str(photos), str(missing), home=home)
    assert proc.returncode == 2, proc.stderr
    assert proc.stdout.startswith(
        f"added 1 work ({size / 1e6:.1f} MB), 1 merged into works already registered, "
        "0 skipped, 2 errors in "), proc.stdout
    assert re.search(r"^Indexing: 1 new work \(\+1 file with the bytes of a registered work, "
                     r"merged into it\), ", proc.stderr, re.M), proc.stderr
    assert _index_info(cli, home)["works"] == 1
    errors = {line for line in proc.stderr.splitlines() if line.startswith("error: ")}
    # the index names an image it cannot decode by its whole path (folder trees repeat names)
    assert errors == {
        f"error: {photos / 'broken.png'}: not an image in a supported format (supported: PNG, "
        "JPEG, GIF, "
        "WEBP, BMP, TIFF, AVIF)",
        f"error: {missing}: no such file or folder"}


def test_a_merge_that_changes_a_licence_says_so(cli: RunCli, tmp_path: Path) -> None:
    """The same file registered again stating another licence replaces the licence it stated
    (a correction); a copy of it from another path stating a third makes the sources disagree
    (``A AND B`` in source URI order, screened as review). Each change is said on stderr,
    naming the work."""
    import hashlib

    photo = tmp_path / "coffee.png"
    _png(skdata.coffee(), photo)
    wid = hashlib.sha256(photo.read_bytes()).hexdigest()
    home = tmp_path / "home"
    first = cli("index", "add", str(photo), "--licence", "CC-BY-NC-4.0", "-q", home=home)
    assert first.returncode == 0 and "licence changed" not in first.stderr
    again = cli("index", "add", str(photo), "--licence", "CC-BY-4.0", "-q", home=home)
    assert again.returncode == 0, again.stderr
    assert again.stderr.splitlines() == [
        f"licence changed: work {wid[:12]}: CC-BY-NC-4.0 → CC-BY-4.0"]
    same = cli("index", "add", str(photo), "--licence", "CC-BY-4.0", "-q", home=home)
    assert same.stderr == ""
    copy = tmp_path / "copy.png"
    copy.write_bytes(photo.read_bytes())
    other = cli("index", "add", str(copy), "--licence", "MIT", home=home)
    # without -q, on a pipe: the progress line counts new works as `index info` does
    assert re.fullmatch(r"Indexing: 0 new works \(\+1 file with the bytes of a registered work, "
                        r"merged into it\), [\d.]+ MB read in \d+ s",
                        other.stderr.splitlines()[1]), other.stderr
    assert other.stderr.splitlines()[2:] == [
        f"licence changed: work {wid[:12]}: CC-BY-4.0 → CC-BY-4.0 AND MIT "
        "(its sources disagree: screened as review)"]


def test_files_of_other_kinds_in_a_folder_are_said_once(cli: RunCli, tmp_path: Path) -> None:
    """A folder's files that are neither code, text nor a supported image (a PCX picture, an
    SVG drawing) were passed over without a word; they are now counted by extension in one
    skipped line for the folder, and the exit status stays 0. The count is of files (it said
    "1 skipped" for the two, a newcomer found "3 skipped" above four skip messages' files)."""
    photos = tmp_path / "photos"
    photos.mkdir()
    _png(skdata.coffee(), photos / "coffee.png")
    Image.fromarray(skdata.rocket()).save(photos / "rocket.pcx")
    (photos / "logo.svg").write_text('<svg xmlns="http://www.w3.org/2000/svg"/>\n', "utf-8")
    proc = cli("index", "add", str(photos), "-q", home=tmp_path / "home")
    assert proc.returncode == 0, proc.stderr
    assert "added 1 work" in proc.stdout and ", 2 skipped, 0 errors" in proc.stdout
    assert proc.stderr.splitlines() == [
        f"skipped: {photos}: passed over 2 files that are not code, text or a supported image "
        "(.pcx 1, .svg 1)"]
