"""``rightsguard precommit``: only the lines a commit adds count; inline ignores and the baseline
file accept matches."""

from __future__ import annotations

import ast
import hashlib
import json
import shutil
import subprocess
import sysconfig
import textwrap
from pathlib import Path

import pytest
from conftest import RunCli

STDLIB = Path(sysconfig.get_paths()["stdlib"])
MODULE = STDLIB / "textwrap.py"


def _function(name: str) -> str:
    source = MODULE.read_text("utf-8")
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.FunctionDef) and node.name == name:
            seg = ast.get_source_segment(source, node)
            assert seg
            return textwrap.dedent("    " + seg)
    raise KeyError(name)


COPIED = _function("_wrap_chunks") + "\n"
OWN_CODE = "import sys\n\n\ndef main():\n    print(sys.argv[1:])\n"


def git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True,
                          text=True).stdout


@pytest.fixture(scope="module")
def home(cli: RunCli, tmp_path_factory: pytest.TempPathFactory) -> Path:
    base = tmp_path_factory.mktemp("precommit")
    corpus = base / "corpus"
    corpus.mkdir()
    shutil.copyfile(MODULE, corpus / "textwrap.py")
    proc = cli("index", "add", str(corpus), "--licence", "GPL-3.0-only", "--holder", "PSF",
               home=base / "home")
    assert proc.returncode == 0, proc.stderr
    return base / "home"


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    r = tmp_path / "repo"
    r.mkdir()
    git(r, "init", "-q")
    git(r, "config", "user.email", "dev@example.org")
    git(r, "config", "user.name", "Dev")
    git(r, "config", "commit.gpgsign", "false")
    (r / "README.md").write_text("# project\n")
    git(r, "add", "README.md")
    git(r, "commit", "-q", "-m", "initial")
    return r


def precommit(cli: RunCli, home: Path, repo: Path, *files: str) -> tuple[int, dict]:
    proc = cli("precommit", *files, "--format", "json", home=home, cwd=repo)
    assert proc.returncode in (0, 1), proc.stderr
    return proc.returncode, json.loads(proc.stdout)


def work_id() -> str:
    return hashlib.sha256(MODULE.read_bytes()).hexdigest()


def stage(repo: Path, name: str, text: str) -> None:
    (repo / name).write_text(text, "utf-8")
    git(repo, "add", name)


def test_added_copy_blocks(cli: RunCli, home: Path, repo: Path) -> None:
    stage(repo, "helpers.py", OWN_CODE + "\n\n" + COPIED)
    rc, report = precommit(cli, home, repo, "helpers.py")
    assert rc == 1
    assert report["verdict"] == "block"
    (result,) = report["results"]
    assert result["input"] == "helpers.py"
    assert {m["work"]["id"] for m in result["matches"]} == {work_id()}
    first = OWN_CODE.count("\n") + 3  # line of "def _wrap_chunks" in helpers.py
    assert min(m["output_span"]["start_line"] for m in result["matches"]) == first


def test_inline_ignore_accepts_the_lines(cli: RunCli, home: Path, repo: Path) -> None:
    marked = "\n".join(line + "  # rightsguard: ignore" if line.strip() else line
                       for line in COPIED.splitlines()) + "\n"
    ast.parse(marked)  # still Python
    stage(repo, "helpers.py", OWN_CODE + "\n\n" + marked)
    rc, report = precommit(cli, home, repo, "helpers.py")
    assert rc == 0
    assert report["verdict"] == "clean"
    assert report["results"][0]["matches"] == []


def test_baseline_accepts_the_work(cli: RunCli, home: Path, repo: Path) -> None:
    stage(repo, "helpers.py", OWN_CODE + "\n\n" + COPIED)
    (repo / ".rightsguard-baseline").write_text(f"# accepted: vendored\n{work_id()}\n")
    rc, report = precommit(cli, home, repo, "helpers.py")
    assert rc == 0
    assert report["verdict"] == "clean"
    # the path:work-id form too, and only for that path
    (repo / ".rightsguard-baseline").write_text(f"helpers.py:{work_id()}  # this file only\n")
    assert precommit(cli, home, repo, "helpers.py")[0] == 0
    (repo / ".rightsguard-baseline").write_text(f"other.py:{work_id()}\n")
    assert precommit(cli, home, repo, "helpers.py")[0] == 1
    # an explicit --baseline file
    (repo / "accepted.txt").write_text(work_id() + "\n")
    proc = cli("precommit", "helpers.py", "--baseline", "accepted.txt", home=home, cwd=repo)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_copy_committed_earlier_and_unrelated_line_added(cli: RunCli, home: Path,
                                                         repo: Path) -> None:
    stage(repo, "helpers.py", OWN_CODE + "\n\n" + COPIED)
    git(repo, "commit", "-q", "-m", "vendored helper")
    (repo / "helpers.py").write_text(OWN_CODE + "\n\n" + COPIED + "\n\nVERSION = '1.2'\n")
    git(repo, "add", "helpers.py")
    rc, report = precommit(cli, home, repo, "helpers.py")
    assert rc == 0
    assert report["results"][0]["matches"] == []
    # a comment edited inside the committed copy: the same copy (its text changed, not the part
    # of the work it copies)
    changed = COPIED.replace("    lines = []", "    lines = []  # collected lines", 1)
    assert changed != COPIED
    (repo / "helpers.py").write_text(OWN_CODE + "\n\n" + changed)
    git(repo, "add", "helpers.py")
    rc, report = precommit(cli, home, repo, "helpers.py")
    assert rc == 0 and report["results"][0]["matches"] == []
    # another part of the work added next to it is new
    (repo / "helpers.py").write_text(OWN_CODE + "\n\n" + changed + "\n\n" + _function("dedent"))
    git(repo, "add", "helpers.py")
    rc, report = precommit(cli, home, repo, "helpers.py")
    spans = [m["output_span"]["start_line"] for m in report["results"][0]["matches"]]
    assert rc == 1 and spans == [(OWN_CODE + "\n\n" + changed + "\n\n").count("\n") + 1]


def test_binary_staged_file_is_passed_over(cli: RunCli, home: Path, repo: Path) -> None:
    (repo / "logo.png").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(64))
    git(repo, "add", "logo.png")
    rc, report = precommit(cli, home, repo, "logo.png")
    assert rc == 0
    assert report["results"] == [] and report["errors"] == []


def test_similar_file_name_is_not_the_file_itself(cli: RunCli, home: Path, repo: Path) -> None:
    stage(repo, "mytextwrap.py", OWN_CODE + "\n\n" + COPIED)
    rc, _report = precommit(cli, home, repo, "mytextwrap.py")
    assert rc == 1


def test_the_indexed_file_itself_is_skipped(cli: RunCli, repo: Path, tmp_path: Path) -> None:
    # the repository's own file is in the index (its folder was registered); editing it must
    # not match its own indexed copy, while a vendored copy of it elsewhere still does
    own = tmp_path / "own-home"
    stage(repo, "textwrap.py", MODULE.read_text("utf-8"))
    git(repo, "commit", "-q", "-m", "add textwrap")
    proc = cli("index", "add", str(repo), "--licence", "GPL-3.0-only", home=own)
    assert proc.returncode == 0, proc.stderr
    stage(repo, "textwrap.py", MODULE.read_text("utf-8") + "\n\n" + COPIED)
    rc, report = precommit(cli, own, repo, "textwrap.py")
    assert rc == 0 and report["results"][0]["matches"] == []
    (repo / "vendor").mkdir()
    stage(repo, "vendor/textwrap.py", MODULE.read_text("utf-8"))
    rc, report = precommit(cli, own, repo, "vendor/textwrap.py")
    assert rc == 1 and report["verdict"] == "block"


def test_the_file_itself_in_another_clone_with_the_remote_spelled_otherwise(
        cli: RunCli, repo: Path, tmp_path: Path) -> None:
    """A newcomer's index held a vendored repository as ``https://…/vend.git``; in a checkout
    whose origin read ``git@host:…/vend`` (or ``…/vend`` without .git), the hook reported the
    file's own indexed copy as a block, and ``index remove`` did not know the URL."""
    own = tmp_path / "own-home"
    stage(repo, "textwrap.py", MODULE.read_text("utf-8"))
    git(repo, "commit", "-q", "-m", "add textwrap")
    git(repo, "remote", "add", "origin", "https://example.org/team/vend.git")
    proc = cli("index", "add", str(repo), "--licence", "GPL-3.0-only", home=own)
    assert proc.returncode == 0, proc.stderr
    clone = tmp_path / "clone"
    git(tmp_path, "clone", "-q", str(repo), str(clone))
    git(clone, "remote", "set-url", "origin", "git@example.org:team/vend")
    git(clone, "config", "user.email", "dev@example.org")
    git(clone, "config", "user.name", "Dev")
    stage(clone, "textwrap.py", MODULE.read_text("utf-8") + "\n\n" + COPIED)
    rc, report = precommit(cli, own, clone, "textwrap.py")
    assert rc == 0 and report["results"][0]["matches"] == []
    removed = cli("index", "remove", "https://example.org/team/vend", home=own)
    assert removed.returncode == 0, removed.stderr
    assert removed.stdout.startswith("removed 2 works")  # README.md and textwrap.py


def test_a_moved_file_is_still_the_file_itself(cli: RunCli, repo: Path, tmp_path: Path) -> None:
    # the repository's own file, indexed under its old path, then moved (git mv, with an edit):
    # git's rename detection names its old path, whose committed version and indexed copy are
    # the file's own; before, every line of the moved file counted as added and it matched its
    # own indexed copy
    own = tmp_path / "own-home"
    stage(repo, "textwrap.py", MODULE.read_text("utf-8"))
    git(repo, "commit", "-q", "-m", "add textwrap")
    other = tmp_path / "corpus"
    other.mkdir()
    shutil.copyfile(STDLIB / "shlex.py", other / "shlex.py")
    for folder in (repo, other):
        proc = cli("index", "add", str(folder), "--licence", "GPL-3.0-only", home=own)
        assert proc.returncode == 0, proc.stderr
    (repo / "lib").mkdir()
    git(repo, "mv", "textwrap.py", "lib/textwrap.py")
    stage(repo, "lib/textwrap.py", MODULE.read_text("utf-8") + "\n\n" + OWN_CODE)
    assert "R" in git(repo, "diff", "--cached", "-M", "--name-status")
    rc, report = precommit(cli, own, repo, "lib/textwrap.py")
    assert rc == 0 and report["results"][0]["matches"] == [], report
    # a copy of another registered work added in the same commit still counts
    source = (STDLIB / "shlex.py").read_text("utf-8")
    split = ast.get_source_segment(source, next(
        n for n in ast.walk(ast.parse(source))
        if isinstance(n, ast.ClassDef) and n.name == "shlex"))
    assert split
    stage(repo, "lib/textwrap.py", MODULE.read_text("utf-8") + "\n\n" + split + "\n")
    rc, report = precommit(cli, own, repo, "lib/textwrap.py")
    titles = [m["work"]["title"] for m in report["results"][0]["matches"]]
    assert rc == 1 and titles == ["corpus/shlex.py"], report


def test_text_moved_out_of_a_deleted_file_is_not_new(cli: RunCli, repo: Path,
                                                     tmp_path: Path) -> None:
    # moved with large edits (a third of the file kept): git sees a deleted file and an added
    # one, not a rename; the kept text was in the repository already
    own = tmp_path / "own-home"
    stage(repo, "textwrap.py", MODULE.read_text("utf-8"))
    git(repo, "commit", "-q", "-m", "add textwrap")
    proc = cli("index", "add", str(repo), "--licence", "GPL-3.0-only", home=own)
    assert proc.returncode == 0, proc.stderr
    lines = MODULE.read_text("utf-8").splitlines(keepends=True)
    git(repo, "rm", "-q", "textwrap.py")
    stage(repo, "wrapping.py", "".join(lines[:len(lines) // 3]) + "\n\n" + OWN_CODE)
    status = git(repo, "diff", "--cached", "-M", "--name-status")
    assert "D\ttextwrap.py" in status and "A\twrapping.py" in status
    rc, report = precommit(cli, own, repo, "wrapping.py")
    assert rc == 0 and report["results"][0]["matches"] == [], report


def test_inline_ignore_applies_to_the_match_start_only(cli: RunCli, home: Path,
                                                        repo: Path) -> None:
    lines = COPIED.splitlines()
    middle = len(lines) // 2
    lines[middle] += "  # rightsguard: ignore"  # inside the copy, not where it starts
    stage(repo, "helpers.py", OWN_CODE + "\n\n" + "\n".join(lines) + "\n")
    rc, _report = precommit(cli, home, repo, "helpers.py")
    assert rc == 1
    stage(repo, "helpers.py", OWN_CODE + "\n\n# rightsguard: ignore (vendored, see NOTICE)\n"
          + COPIED)
    rc, report = precommit(cli, home, repo, "helpers.py")
    assert rc == 0 and report["results"][0]["matches"] == []


def test_repository_licence_makes_compatible_copyleft_an_attribution(
        cli: RunCli, home: Path, repo: Path) -> None:
    # the index holds textwrap.py as GPL-3.0-only; a GPL-3.0 project may reuse it
    gpl = Path("/usr/share/common-licenses/GPL-3")
    assert gpl.is_file(), "needs Debian's base-files (/usr/share/common-licenses/GPL-3)"
    stage(repo, "copied.py", COPIED)
    code, report = precommit(cli, home, repo, "copied.py")
    assert code == 1 and report["verdict"] == "block"
    shutil.copyfile(gpl, repo / "COPYING")
    code, report = precommit(cli, home, repo, "copied.py")
    assert code == 0 and report["verdict"] == "attribute"
    reasons = [m["reason"] for r in report["results"] for m in r["matches"]]
    assert reasons and all("compatible with the output licence GPL-3.0" in x for x in reasons)


def test_a_second_copy_of_an_ignored_block_is_screened(cli: RunCli, home: Path,
                                                        repo: Path) -> None:
    """A newcomer committed an ignored copy, then staged the same copy again below it without
    a marker: the hook said clean. git's diff calls the first, ignored copy the added lines
    when the two are identical; the committed version's matches say which copy is new."""
    ignored = "# rightsguard: ignore\n" + COPIED
    stage(repo, "helpers.py", ignored)
    git(repo, "commit", "-q", "-m", "accepted copy")
    assert precommit(cli, home, repo, "helpers.py")[0] == 0  # nothing staged: nothing new
    stage(repo, "helpers.py", ignored + "\n" + COPIED)
    rc, report = precommit(cli, home, repo, "helpers.py")
    assert rc == 1
    (match,) = report["results"][0]["matches"]
    second = ignored.count("\n") + 2  # the line of the second "def _wrap_chunks"
    assert match["output_span"]["start_line"] == second
    assert match["work"]["id"] == work_id()


def test_a_match_starting_after_new_text_has_its_next_line_as_first_line() -> None:
    """A renamed match began at the ``;`` ending the new statement before the copy (line 4,
    column 19): the marker on the copy's first full line (5) was neither its first line nor the
    line above, and the hook blocked the marked copy."""
    from rightsguard.cli.precommit import _ignored
    from rightsguard.model import Span

    lines = ["#include <stdlib.h>", "/* helper */", "int build(int m) {",
             "    int unused = 3;",
             "    double *d = (double *) c; // rightsguard: ignore",
             "    int i;", "    return 0;", "}"]
    mid = Span(start=80, end=150, start_line=4, end_line=8, start_column=19, end_column=2)
    assert _ignored(lines, mid)
    whole = Span(start=62, end=150, start_line=4, end_line=8, start_column=1, end_column=2)
    assert not _ignored(lines, whole)  # the copy starts at line 4 itself: 5 is inside it
    assert not _ignored([*lines[:4], "    double *d = (double *) c;", *lines[5:]], mid)


def test_the_staged_version_is_screened_not_the_working_tree(cli: RunCli, home: Path,
                                                             repo: Path) -> None:
    """A raw git hook runs on the working tree: a staged copy, then overwritten in the working
    tree without staging, passed although the commit records the copy."""
    stage(repo, "helpers.py", OWN_CODE + "\n\n" + COPIED)
    (repo / "helpers.py").write_text(OWN_CODE, "utf-8")  # unstaged edit removing the copy
    rc, report = precommit(cli, home, repo, "helpers.py")
    assert (rc, report["verdict"]) == (1, "block")
    (result,) = report["results"]
    assert {m["work"]["id"] for m in result["matches"]} == {work_id()}
    assert "screened as staged: the working tree's copy differs" in result["notes"]
    # and the other way round: a copy only in the working tree is not what is committed
    stage(repo, "other.py", OWN_CODE)
    (repo / "other.py").write_text(OWN_CODE + "\n\n" + COPIED, "utf-8")
    rc, report = precommit(cli, home, repo, "other.py")
    assert (rc, report["verdict"]) == (0, "clean")
