"""The console entry point: a plain ``check`` runs without Typer (fast start-up) and behaves as
the Typer command does; everything else goes to the Typer app; usage errors exit 2."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest
from conftest import RunCli, error_lines

from rightsguard.cli.entry import CHECK_OPTIONS, parse_check

STDLIB = Path(sysconfig.get_paths()["stdlib"])


@pytest.mark.parametrize(("args", "expected"), [
    (["a.py"], (["a.py"], {})),
    (["a.py", "-", "b"], (["a.py", "-", "b"], {})),
    (["--index", "I", "a.py", "--format", "json"], (["a.py"], {"index": "I", "fmt": "json"})),
    (["--index=I", "a.py", "--format=sarif", "--language=c"],
     (["a.py"], {"index": "I", "fmt": "sarif", "language": "c"})),
    (["--prompt", "p.txt", "--output-licence", "MIT", "a.py"],
     (["a.py"], {"prompt": "p.txt", "output_licence": "MIT"})),
    (["--format", "json", "--", "--index", "-x"], (["--index", "-x"], {"fmt": "json"})),
])
def test_parse_check_accepts_what_click_parses(args: list[str], expected: object) -> None:
    assert parse_check(args) == expected


@pytest.mark.parametrize("args", [
    [], ["--format", "json"], ["--help", "a.py"], ["a.py", "-h"], ["a.py", "--bogus"],
    ["a.py", "--index"], ["a.py", "--index", "--format", "json"], ["a.py", "--index="],
    ["a.py", "--format", "json", "--format", "sarif"], ["a.py", "--language", "-"],
])
def test_parse_check_leaves_the_rest_to_typer(args: list[str]) -> None:
    assert parse_check(args) is None


def test_fast_parser_knows_exactly_the_typer_check_options() -> None:
    import typer.main

    from rightsguard.cli import app

    group = typer.main.get_command(app)
    command = group.commands["check"]  # type: ignore[attr-defined]
    declared = {opt: p.name for p in command.params for opt in p.opts if opt.startswith("--")}
    assert declared == CHECK_OPTIONS
    assert [p.name for p in command.params if not p.opts[0].startswith("-")] == ["paths"]


def test_lazy_exports_resolve() -> None:
    import typer

    import rightsguard.cli
    import rightsguard.corpus
    import rightsguard.report

    assert isinstance(rightsguard.cli.app, typer.Typer)
    for module in (rightsguard.corpus, rightsguard.report):
        for name in module.__all__:
            assert getattr(module, name) is not None, (module.__name__, name)
    with pytest.raises(AttributeError):
        _ = rightsguard.corpus.no_such_name  # type: ignore[attr-defined]


@pytest.mark.skipif(sys.platform != "linux", reason="the XDG shortcut is Linux only")
@pytest.mark.parametrize("env", [
    {}, {"XDG_CONFIG_HOME": "/x/cfg", "XDG_DATA_HOME": "/x/data/"}, {"HOME": "/"},
    {"HOME": "/home/u/"}, {"XDG_CONFIG_HOME": "", "XDG_DATA_HOME": ""},
    {"XDG_CONFIG_HOME": "relative", "XDG_DATA_HOME": " /x"}, {"HOME": "relative"},
])
@pytest.mark.parametrize("kind", ["config", "data"])
def test_user_dir_is_what_platformdirs_says(monkeypatch: pytest.MonkeyPatch,
                                            env: dict[str, str], kind: str) -> None:
    import platformdirs

    from rightsguard.config import user_dir

    for var in ("XDG_CONFIG_HOME", "XDG_DATA_HOME"):
        monkeypatch.delenv(var, raising=False)
    for var, value in env.items():
        monkeypatch.setenv(var, value)
    get = platformdirs.user_config_dir if kind == "config" else platformdirs.user_data_dir
    assert user_dir(kind) == Path(get("rightsguard"))


@pytest.fixture(scope="module")
def home(cli: RunCli, tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("entry")
    proc = cli("index", "add", str(STDLIB / "shlex.py"), str(STDLIB / "textwrap.py"),
               "--licence", "GPL-3.0-only", "--holder", "Y", home=folder / "index")
    assert proc.returncode == 0, proc.stderr
    return folder / "index"


def _run(code: str, args: list[str], home: Path, stdin: str | None = None,
         config_home: Path | None = None) -> subprocess.CompletedProcess[str]:
    """``python -c code args`` with RIGHTSGUARD_HOME=home and no config file (or the config
    files under ``config_home`` as XDG_CONFIG_HOME)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("RIGHTSGUARD_")}
    env.update(RIGHTSGUARD_CONFIG=os.devnull, RIGHTSGUARD_HOME=str(home), COLUMNS="100")
    if config_home is not None:
        del env["RIGHTSGUARD_CONFIG"]
        env["XDG_CONFIG_HOME"] = str(config_home)
    return subprocess.run([sys.executable, "-c", code, *args], input=stdin, text=True,
                          capture_output=True, env=env, timeout=300)


FAST = "from rightsguard.cli import main; main()"
TYPER = "import sys; from rightsguard.cli.commands import run_app; sys.exit(run_app())"


@pytest.mark.parametrize("case", ["json", "sarif", "human", "stdin", "prompt", "licence",
                                  "missing", "bad-format"])
def test_fast_check_is_the_typer_check(home: Path, tmp_path: Path, case: str) -> None:
    source = (STDLIB / "shlex.py").read_text("utf-8")
    gen = tmp_path / "gen.py"
    gen.write_text("import os\n\n" + source[5952:8000], "utf-8")
    stdin = None
    args = ["check", str(gen), "--format", case]
    if case == "stdin":
        args, stdin = ["check", "-", "--language", "python", "--format=json"], gen.read_text()
    elif case == "prompt":
        (tmp_path / "prompt.txt").write_text(source[5952:8000], "utf-8")
        args = ["check", "--prompt", str(tmp_path / "prompt.txt"), str(gen), "--format", "json"]
    elif case == "licence":
        # the works are GPL-3.0-only: an AGPL-3.0-only output may hold them (GPL-3.0 section 13)
        args = ["check", str(gen), "--output-licence", "AGPL-3.0-only", "--format", "json"]
    elif case == "missing":
        args = ["check", str(gen), str(tmp_path / "missing.py"), "--format", "json"]
    elif case == "bad-format":
        args = ["check", str(gen), "--format", "yaml"]
    fast, slow = _run(FAST, args, home, stdin), _run(TYPER, args, home, stdin)
    assert (fast.returncode, fast.stdout, fast.stderr) == (
        slow.returncode, slow.stdout, slow.stderr)
    expected = {"missing": 2, "bad-format": 2, "licence": 0, "prompt": 0}.get(case, 1)
    assert fast.returncode == expected, fast.stderr
    if case == "json":
        assert json.loads(fast.stdout)["verdict"] == "block"


def test_check_imports_no_cli_framework(home: Path, tmp_path: Path) -> None:
    gen = tmp_path / "gen.py"
    gen.write_text((STDLIB / "shlex.py").read_text("utf-8")[5952:8000], "utf-8")
    code = ("import json, sys\nfrom rightsguard.cli import main\ntry:\n    main()\n"
            "except SystemExit:\n    pass\nprint(json.dumps(sorted(sys.modules)), file=sys.stderr)")
    proc = _run(code, ["check", str(gen), "--format", "json"], home, config_home=tmp_path)
    loaded = {m.split(".")[0] for m in json.loads(proc.stderr.splitlines()[-1])}
    assert json.loads(proc.stdout)["verdict"] == "block"
    heavy = {"typer", "click", "rich", "pydantic", "sqlalchemy", "pyarrow", "license_expression",
             "licensedcode", "markdown_it", "pygments", "platformdirs"}
    assert not loaded & heavy
    modules = set(json.loads(proc.stderr.splitlines()[-1]))
    assert not {"rightsguard.corpus.catalogue", "rightsguard.corpus.pyenv",
                "rightsguard.corpus.files", "rightsguard.signals",
                "rightsguard.cli.commands"} & modules


def test_unreadable_prompt_exits_2_naming_it(cli: RunCli, home: Path, tmp_path: Path) -> None:
    gen = tmp_path / "gen.py"
    gen.write_text("x = 1\n", "utf-8")
    proc = cli("check", str(gen), "--prompt", str(tmp_path / "missing.txt"), home=home)
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr
    assert error_lines(proc.stderr) == [
        f"error: --prompt {tmp_path / 'missing.txt'}: cannot be read (No such file or directory)"]


def test_binary_prompt_exits_2_naming_it(cli: RunCli, home: Path, tmp_path: Path) -> None:
    """A prompt is read as an input is: a NUL byte (here a real PNG, scikit-image's bundled
    camera photograph) is an error naming the file, not a prompt of replacement characters."""
    import skimage

    gen = tmp_path / "gen.py"
    gen.write_text("x = 1\n", "utf-8")
    png = Path(skimage.__file__).parent / "data" / "camera.png"
    proc = cli("check", str(gen), "--prompt", str(png), home=home)
    assert proc.returncode == 2, proc.stderr
    [line] = error_lines(proc.stderr)
    assert line == (f"error: --prompt {png}: binary file (NUL byte at offset 8); a prompt is "
                    "the text given to the model")


@pytest.mark.parametrize("args", [["check", "--bogus", "x.py"], ["check"],
                                  ["index", "nope"]])
def test_usage_errors_exit_2_without_a_traceback(cli: RunCli, tmp_path: Path,
                                                 args: list[str]) -> None:
    proc = cli(*args, home=tmp_path)
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr
    assert "Error:" in proc.stderr


def _proc(code: str, args: list[str], home: Path, *, stdin: bytes | None = None,
          env: dict[str, str] | None = None, stdout: int = subprocess.PIPE,
          cwd: Path | None = None) -> subprocess.CompletedProcess[bytes]:
    """``python -c code args`` on bytes, RIGHTSGUARD_HOME=home, no config file, extra ``env``."""
    full = {k: v for k, v in os.environ.items() if not k.startswith("RIGHTSGUARD_")}
    full.update(RIGHTSGUARD_CONFIG=os.devnull, RIGHTSGUARD_HOME=str(home), COLUMNS="100")
    full.update(env or {})
    return subprocess.run([sys.executable, "-c", code, *args], input=stdin, stdout=stdout,
                          stderr=subprocess.PIPE, env=full, cwd=cwd, timeout=300)


@pytest.mark.parametrize("code", [FAST, TYPER], ids=["fast", "typer"])
def test_stdin_over_the_limit_is_refused(home: Path, code: str) -> None:
    """RIGHTSGUARD_MAX_INPUT_BYTES holds for stdin as for files; stdin is not read past it."""
    source = (STDLIB / "shlex.py").read_bytes()
    assert len(source) > 1000
    proc = _proc(code, ["check", "-", "--language", "python", "--format", "json"], home,
                 stdin=source, env={"RIGHTSGUARD_MAX_INPUT_BYTES": "1000"})
    assert proc.returncode == 2, proc.stderr
    report = json.loads(proc.stdout)
    assert report["verdict"] == "review" and report["results"] == []
    (error,) = report["errors"]
    assert error["input"] == "-"
    assert error["reason"] == (
        "-: standard input is larger than the input limit of 0.0 MiB (1000 bytes) (not read "
        "past byte 1001); raise the limit with max_input_bytes (env RIGHTSGUARD_MAX_INPUT_BYTES)"
        " to read it")
    assert error_lines(proc.stderr.decode()) == [f"error: {error['reason']}"]
    # at the limit exactly: screened
    proc = _proc(code, ["check", "-", "--language", "python", "--format", "json"], home,
                 stdin=source[:1000], env={"RIGHTSGUARD_MAX_INPUT_BYTES": "1000"})
    assert json.loads(proc.stdout)["errors"] == [], proc.stderr


def test_stdin_larger_than_the_default_limit_is_not_read_whole(home: Path) -> None:
    big = b"a" * (16 * 1024 * 1024 + 10)
    proc = _proc(FAST, ["check", "-", "--format", "json"], home, stdin=big)
    assert proc.returncode == 2
    (error,) = json.loads(proc.stdout)["errors"]
    assert "larger than the input limit of 16.0 MiB (16777216 bytes)" in error["reason"]


@pytest.mark.parametrize("code", [FAST, TYPER], ids=["fast", "typer"])
def test_stdin_is_decoded_as_files_are(home: Path, code: str) -> None:
    source = (STDLIB / "shlex.py").read_text("utf-8")[5952:8000]
    raw = b"# caf\xe9 \xff by a model\r\n" + source.encode()
    proc = _proc(code, ["check", "-", "--language", "python", "--format", "json"], home,
                 stdin=raw)
    assert proc.returncode == 1, proc.stderr
    (result,) = json.loads(proc.stdout)["results"]
    assert result["notes"] == ["invalid UTF-8 decoded with replacement"]
    assert result["verdict"] == "block"
    # a bad stdin is an input error named "-", and the files given with it are screened; a
    # PNG signature cut inside its header is a truncated image (Pillow's PNG plugin takes it)
    gen = home.parent / "stdin-gen.py"
    gen.write_text(source, "utf-8")
    proc = _proc(code, ["check", "-", str(gen), "--format", "json"], home,
                 stdin=b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
    assert proc.returncode == 2
    report = json.loads(proc.stdout)
    assert report["errors"] == [{"input": "-", "reason": "-: image data cannot be decoded "
                                 "(OSError: Truncated File Read); truncated or corrupt files are "
                                 "refused"}]
    assert [r["input"] for r in report["results"]] == [str(gen)]
    assert report["verdict"] == "block"


@pytest.mark.parametrize("fmt", ["json", "sarif", "human"])
@pytest.mark.parametrize("code", [FAST, TYPER], ids=["fast", "typer"])
def test_closed_stdout_exits_quietly(home: Path, tmp_path: Path, code: str, fmt: str) -> None:
    """``rightsguard check … | head -c 600``: the reader is gone; no traceback, exit 141."""
    gen = tmp_path / "gen.py"
    gen.write_text((STDLIB / "shlex.py").read_text("utf-8")[5952:8000], "utf-8")
    read_end, write_end = os.pipe()
    os.close(read_end)  # nobody will read: every write gets EPIPE
    try:
        proc = _proc(code, ["check", str(gen), "--format", fmt], home, stdout=write_end)
    finally:
        os.close(write_end)
    assert proc.returncode == 141, proc.stderr
    assert proc.stderr == b""


def test_head_on_a_real_pipe(home: Path, tmp_path: Path) -> None:
    gen = tmp_path / "gen.py"
    gen.write_text((STDLIB / "shlex.py").read_text("utf-8")[5952:8000], "utf-8")
    script = (f"{sys.executable} -c '{FAST}' check {gen} --format sarif | head -c 600 >/dev/null;"
              " echo ${PIPESTATUS[0]}")
    env = {k: v for k, v in os.environ.items() if not k.startswith("RIGHTSGUARD_")}
    env.update(RIGHTSGUARD_CONFIG=os.devnull, RIGHTSGUARD_HOME=str(home))
    proc = subprocess.run(["bash", "-c", script], capture_output=True, text=True, env=env,
                          timeout=300)
    assert "Traceback" not in proc.stderr and "BrokenPipe" not in proc.stderr, proc.stderr
    assert proc.stdout.strip() in {"141", "1"}  # 1: the whole report fit in the pipe (block)


@pytest.mark.parametrize("path", ["fast", "typer"])
def test_output_licence_is_validated(home: Path, tmp_path: Path, path: str) -> None:
    gen = tmp_path / "gen.py"
    gen.write_text((STDLIB / "shlex.py").read_text("utf-8")[5952:8000], "utf-8")
    # a repeated option is left to the Typer app (it takes the last value)
    typer_only = ["--format", "human"] if path == "typer" else []
    proc = _proc(FAST, ["check", str(gen), "--output-licence", "NOTALICENCE", *typer_only,
                        "--format", "json"], home)
    assert proc.returncode == 2
    assert proc.stdout == b""
    assert "Traceback" not in proc.stderr.decode()
    (err,) = error_lines(proc.stderr.decode())
    assert err.startswith("error: --output-licence 'NOTALICENCE': ")
    assert "not on the SPDX licence list" in err
    # a valid expression is normalised: gpl-3.0 is GPL-3.0-only, compatible with the GPL work
    proc = _proc(FAST, ["check", str(gen), "--output-licence", "gpl-3.0", *typer_only,
                        "--format", "json"], home)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["verdict"] == "attribute"


TILDE = """\
import json, sys
from rightsguard import Index, check
gen = sys.argv[1]
report = check([gen], index="~/index")
opened = Index.open("~/index")
created = Index.create("~/made/new-index")
print(json.dumps([report.verdict.label, str(opened.path), str(created.path)]))
"""


def test_tilde_is_expanded_in_index_paths(home: Path, tmp_path: Path) -> None:
    """``check(index="~/…")``, ``Index.open("~/…")``, ``Index.create("~/…")`` and
    ``--index ~/…`` (quoted, so the shell leaves it) use $HOME."""
    user_home = home.parent  # the index is user_home / "index"
    gen = tmp_path / "gen.py"
    gen.write_text((STDLIB / "shlex.py").read_text("utf-8")[5952:8000], "utf-8")
    cwd = tmp_path / "cwd"
    cwd.mkdir()
    proc = _proc(TILDE, [str(gen)], tmp_path / "unused", env={"HOME": str(user_home)}, cwd=cwd)
    assert proc.returncode == 0, proc.stderr.decode()
    verdict, opened, created = json.loads(proc.stdout)
    assert verdict == "block"
    assert Path(opened) == home
    assert Path(created) == user_home / "made" / "new-index"
    assert (user_home / "made" / "new-index" / "index.json").exists()
    assert not (cwd / "~").exists()
    for args in (["--index", "~/index"], ["--index=~/index"]):
        proc = _proc(FAST, ["check", str(gen), *args, "--format", "json"], tmp_path / "unused",
                     env={"HOME": str(user_home)}, cwd=cwd)
        assert proc.returncode == 1, proc.stderr.decode()
        assert json.loads(proc.stdout)["verdict"] == "block"
    assert not (cwd / "~").exists()


def test_index_add_on_a_pipe_says_what_it_does_and_what_it_read(cli: RunCli,
                                                              tmp_path: Path) -> None:
    """Without a terminal there is no live bar, but the first command a user runs (``demo``,
    ``index add``) must not sit silent: one line when it starts, one with the totals."""
    files = [STDLIB / "shlex.py", STDLIB / "textwrap.py"]
    proc = cli("index", "add", *map(str, files), "--licence", "PSF-2.0",
               home=tmp_path / "index")
    assert proc.returncode == 0, proc.stderr
    lines = [line for line in proc.stderr.splitlines() if line.startswith("Indexing")]
    mb = sum(f.stat().st_size for f in files) / 1e6
    assert lines[0] == "Indexing …"
    assert re.fullmatch(rf"Indexing: 2 new works, {mb:.1f} MB read in \d+ s", lines[1]), lines


def test_help_paragraphs_are_reflowed_not_broken_at_the_docstring_lines(cli: RunCli) -> None:
    """Typer's default (rich) markup kept each docstring line break, so at any terminal width
    the help of `index add` broke mid-sentence ("... a missing file, a file" / "that cannot
    ..."); markdown markup joins a paragraph's lines and wraps at the terminal's width."""
    proc = cli("index", "add", "--help", env={"COLUMNS": "400"})
    assert proc.returncode == 0
    assert ("a catalogue row with an invalid licence or a missing file, a file that cannot be "
            "read or decoded, a path that does not exist) is an error") in proc.stdout


def test_prompt_on_standard_input(cli: RunCli, home: Path, tmp_path: Path) -> None:
    """``--prompt -`` reads the prompt from standard input while the outputs are files; with
    ``-`` as an output too it is an error saying why (a newcomer got "No such file")."""
    source = (STDLIB / "shlex.py").read_text("utf-8")
    gen = tmp_path / "gen.py"
    gen.write_text("import os\n\n" + source[5952:8000], "utf-8")
    plain = _proc(FAST, ["check", str(gen), "--format", "json"], home)
    assert json.loads(plain.stdout)["verdict"] == "block"  # the GPL-3.0-only copy
    given = _proc(FAST, ["check", str(gen), "--prompt", "-", "--format", "json"], home,
                  stdin=source[5952:8000].encode())
    assert given.returncode == 0, given.stderr
    assert json.loads(given.stdout)["verdict"] == "clean"  # the prompt held all of it
    both = _proc(FAST, ["check", "-", "--prompt", "-", "--language", "python"], home,
                 stdin=b"x = 1\n")
    assert both.returncode == 2
    assert error_lines(both.stderr.decode()) == [
        "error: --prompt -: standard input is already the output to screen; give the prompt "
        "as a file"]
