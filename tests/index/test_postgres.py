"""The works registry on a real PostgreSQL server: an index whose registry is a
``postgresql+psycopg://`` URL builds, screens, merges, removes, compacts and reopens like a
SQLite-backed one, and ``check`` reports the same JSON for both.

The server comes from ``scripts/test.sh`` (a throwaway cluster, ``RIGHTSGUARD_TEST_PG_URL``);
without it these tests fail — they never skip. Each test session makes its own databases (unique
names) on that server and drops them at the end.
"""

from __future__ import annotations

import ast
import hashlib
import json
import os
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from stdlib_inputs import copy_files, sha, stdlib_files

from rightsguard import Screener
from rightsguard.errors import RegistryError
from rightsguard.index.channels import CHANNELS
from rightsguard.index.registry import Registry
from rightsguard.index.store import Index
from rightsguard.model import LicenceCategory, Source, Verdict, WorkInput
from rightsguard.report.json import to_json

pytestmark = pytest.mark.postgres

N_WORKS = 12  # more than 8 new works in a batch: fingerprints come from the process pool


# -- real inputs (as in test_store.py) ----------------------------------------------------------


def code_slice(text: str, n: int = 600) -> str:
    """``n`` code points of real code from the body of the longest function of ``text``."""
    tree = ast.parse(text)
    funcs = [f for f in ast.walk(tree) if isinstance(f, ast.FunctionDef | ast.AsyncFunctionDef)]
    best = max(funcs, key=lambda f: ((f.end_lineno or 0) - f.lineno, -f.lineno))
    body = best.body
    if len(body) > 1 and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
        body = body[1:]
    lines = text.splitlines(keepends=True)
    start = sum(len(line) for line in lines[:body[0].lineno - 1])
    return text[start:start + n]




# -- the server ---------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def pg_server() -> str:
    url = os.environ.get("RIGHTSGUARD_TEST_PG_URL")
    if not url:
        pytest.fail("RIGHTSGUARD_TEST_PG_URL is not set: these tests need the PostgreSQL server "
                    "that `bash scripts/test.sh` starts (run the suite through it)",
                    pytrace=False)
    return url


@pytest.fixture(scope="session")
def new_database(pg_server: str) -> Iterator[Callable[[], str]]:
    """Makes a fresh, empty database per call; all are dropped when the session ends."""
    import psycopg
    from sqlalchemy.engine import make_url

    server = make_url(pg_server)
    admin = server.set(drivername="postgresql").render_as_string(hide_password=False)
    session = uuid.uuid4().hex[:10]
    made: list[str] = []
    try:
        with psycopg.connect(admin, autocommit=True, connect_timeout=10):
            pass
    except psycopg.Error as exc:
        pytest.fail(f"PostgreSQL at {pg_server} is not reachable: {exc}", pytrace=False)

    def make() -> str:
        name = f"rg_{session}_{len(made)}"
        with psycopg.connect(admin, autocommit=True) as conn:
            # a language collation (as a team server has), not byte order: results must not
            # depend on it
            conn.execute(f'CREATE DATABASE "{name}" TEMPLATE template0 ENCODING \'UTF8\' '
                         "LOCALE_PROVIDER icu ICU_LOCALE 'en-US' LOCALE 'C'")
        made.append(name)
        return server.set(database=name).render_as_string(hide_password=False)

    yield make
    with psycopg.connect(admin, autocommit=True) as conn:
        for name in made:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _items(files: list[Path], root: Path) -> list[WorkInput]:
    """The files as WorkInputs, one per file (as ``works_from`` makes them)."""
    return [WorkInput(raw=p.read_bytes(), title=f"src/{p.name}", holders=("X",), licence="MIT",
                      source=Source(uri=p.as_uri(), path=str(p.relative_to(root))),
                      modality="code", language="python") for p in files]


Built = tuple[Path, Path, str, list[Path]]


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory,
          new_database: Callable[[], str]) -> Built:
    """The same real stdlib modules indexed twice: PostgreSQL registry and SQLite registry."""
    base = tmp_path_factory.mktemp("pg")
    files = copy_files(stdlib_files(N_WORKS), base / "src")
    url = new_database()
    pg = Index.create(base / "pg", registry_url=url)
    lite = Index.create(base / "lite")
    for idx in (pg, lite):
        summary = idx.add(_items(files, base), batch_bytes=60_000, workers=2)
        assert (summary.added, summary.merged, summary.skipped) == (N_WORKS, 0, [])
        idx.close()
    return base / "pg", base / "lite", url, files


def test_registry_is_the_server(built: Built) -> None:
    pg_path, _lite, url, _files = built
    manifest = json.loads((pg_path / "index.json").read_text("utf-8"))
    assert manifest["registry_url"] == url
    assert manifest["registry"] is None
    assert not (pg_path / "registry.sqlite").exists()
    import sqlalchemy

    engine = sqlalchemy.create_engine(url)
    try:
        with engine.connect() as conn:
            n = conn.execute(sqlalchemy.text("SELECT COUNT(*) FROM works")).scalar_one()
            kind = conn.execute(sqlalchemy.text(
                "SELECT data_type FROM information_schema.columns "
                "WHERE table_name = 'content' AND column_name = 'data'")).scalar_one()
    finally:
        engine.dispose()
    assert (n, kind) == (N_WORKS, "bytea")


def test_info_counts_match_sqlite(built: Built) -> None:
    pg_path, lite_path, url, files = built
    pg, lite = Index.open(pg_path), Index.open(lite_path)
    a, b = pg.info(), lite.info()
    assert a["registry"] == url
    assert (a["works"], a["removed"]) == (N_WORKS, 0)
    assert a["bytes"] == b["bytes"] == sum(p.stat().st_size for p in files)
    assert a["tokens"] == b["tokens"] > 0
    assert a["generation"] == b["generation"]
    assert a["channels"] == b["channels"]
    assert a["channels"]["code-exact"]["segments"] >= 2
    assert pg.registry.segments() == lite.registry.segments()
    for p in files:
        d_pg, d_lite = pg.registry.doc_of(sha(p)), lite.registry.doc_of(sha(p))
        assert d_pg is not None and d_pg == d_lite
        raw = pg.registry.content(d_pg)
        assert type(raw) is bytes and raw == p.read_bytes()
        stream = pg.registry.code_stream(d_pg)
        assert type(stream) is bytes and stream == lite.registry.code_stream(d_lite)
        assert pg.registry.works([d_pg]) == lite.registry.works([d_lite])
    pg.close()
    lite.close()


def test_screening_finds_the_work(built: Built) -> None:
    pg_path, _lite, _url, files = built
    screener = Screener(Index.open(pg_path))
    for p in files:
        text = code_slice(p.read_text("utf-8"))
        assert len(text) == 600
        results = screener.screen_text(text, language="python")
        matches = [m for r in results for m in r.matches if m.work.work_id == sha(p)]
        assert matches, p.name
        work = matches[0].work
        assert (work.licence, work.holders, work.title) == ("MIT", ("X",), f"src/{p.name}")
        assert work.licence_category is LicenceCategory.PERMISSIVE
        assert matches[0].verdict is Verdict.ATTRIBUTE
    screener.index.close()


def test_check_json_equals_sqlite(built: Built, tmp_path: Path) -> None:
    pg_path, lite_path, _url, files = built
    inputs = []
    for p in files[:4]:
        out = tmp_path / f"generated_{p.name}"
        out.write_text(code_slice(p.read_text("utf-8")), "utf-8")
        inputs.append(out)
    (tmp_path / "original.py").write_text(
        "def add_all(xs):\n    total = 0\n    for x in xs:\n        total += x\n    return total\n",
        "utf-8")
    inputs.append(tmp_path / "original.py")

    def report(index_path: Path) -> dict[str, object]:
        idx = Index.open(index_path)
        try:
            text = to_json(Screener(idx).check(inputs))
        finally:
            idx.close()
        return json.loads(text.replace(str(index_path), "<index>"))  # type: ignore[no-any-return]

    a, b = report(pg_path), report(lite_path)
    assert a == b
    found = json.dumps(a)
    assert all(sha(p) in found for p in files[:4])


def test_same_bytes_two_sources_are_one_work(tmp_path: Path,
                                             new_database: Callable[[], str]) -> None:
    src = stdlib_files(1)[0]
    a = copy_files([src], tmp_path / "a")[0]
    b = copy_files([src], tmp_path / "B")[0]  # "B" < "a" by code point, not in en-US
    idx = Index.create(tmp_path / "idx", registry_url=new_database())
    s1 = idx.add([WorkInput(raw=a.read_bytes(), title="a", holders=("Alice",), licence="MIT",
                            source=Source(uri=a.as_uri()), modality="code", language="python")])
    s2 = idx.add([WorkInput(raw=b.read_bytes(), title="b", holders=("Bob",), licence="MIT",
                            source=Source(uri=b.as_uri()), modality="code", language="python")])
    assert (s1.added, s1.merged, s2.added, s2.merged) == (1, 0, 0, 1)
    info = idx.info()
    assert (info["works"], info["bytes"]) == (1, src.stat().st_size)
    doc = idx.registry.doc_of(sha(src))
    assert doc is not None
    work = idx.registry.works([doc])[doc].work
    assert [s.uri for s in work.sources] == sorted([a.as_uri(), b.as_uri()])
    assert work.holders == ("Alice", "Bob")
    assert work.title == "a"
    results = Screener(idx).screen_text(code_slice(a.read_text("utf-8")), language="python")
    assert {m.work.work_id for r in results for m in r.matches} == {sha(src)}
    idx.close()


def test_remove_compact_and_reopen(tmp_path: Path, new_database: Callable[[], str]) -> None:
    files = copy_files(stdlib_files(6), tmp_path / "src")
    # a folder whose name has LIKE wildcards: removing it must not take its look-alike sibling
    odd = copy_files(stdlib_files(8)[6:7], tmp_path / "a_b%c")
    twin = copy_files(stdlib_files(8)[7:8], tmp_path / "aXbY25c")
    url = new_database()
    idx = Index.create(tmp_path / "idx", registry_url=url)
    idx.add(_items(files + odd + twin, tmp_path), batch_bytes=20_000)
    screener = Screener(idx)

    def ids(p: Path) -> set[str]:
        results = screener.screen_text(code_slice(p.read_text("utf-8")), language="python")
        return {m.work.work_id for r in results for m in r.matches}

    for p in files + odd + twin:
        assert sha(p) in ids(p), p.name
    assert idx.remove(sha(files[0])) == 1
    assert idx.remove(files[1].as_uri()) == 1
    assert idx.remove((tmp_path / "a_b%c").as_uri()) == 1  # a folder: URI prefix
    assert idx.remove("0" * 64) == 0
    assert idx.remove("file:///no/such/source.py") == 0
    info = idx.info()
    assert (info["works"], info["removed"]) == (5, 3)
    for p in [*files[:2], *odd]:
        assert sha(p) not in ids(p), p.name
    for p in [*files[2:], *twin]:
        assert sha(p) in ids(p), p.name

    gen = idx.registry.generation()
    idx.compact()
    assert idx.registry.generation() > gen
    info = idx.info()
    assert (info["works"], info["removed"]) == (5, 0)
    assert info["bytes"] == sum(p.stat().st_size for p in [*files[2:], *twin])
    for ch in CHANNELS:
        assert info["channels"][ch.name]["segments"] <= 1
    assert idx.registry.doc_of(sha(files[0])) is None  # purged for good
    idx.close()

    again = Index.open(tmp_path / "idx")  # the URL comes from index.json
    assert again.registry.url == url
    fresh = Screener(again)
    for p in [*files[:2], *odd]:
        results = fresh.screen_text(code_slice(p.read_text("utf-8")), language="python")
        assert sha(p) not in {m.work.work_id for r in results for m in r.matches}, p.name
    for p in [*files[2:], *twin]:
        results = fresh.screen_text(code_slice(p.read_text("utf-8")), language="python")
        assert sha(p) in {m.work.work_id for r in results for m in r.matches}, p.name
    # adding after a compaction continues with new document numbers
    raw = b"# new work\n" + files[0].read_bytes()
    s = again.add([WorkInput(raw=raw, title="new", holders=("Y",), licence="MIT",
                             source=Source(uri="https://example.org/new.py"), modality="code",
                             language="python")])
    assert s.added == 1
    assert again.info()["works"] == 6
    assert again.registry.doc_of(hashlib.sha256(raw).hexdigest()) is not None
    again.close()


def test_create_is_idempotent_on_the_same_database(tmp_path: Path,
                                                   new_database: Callable[[], str]) -> None:
    url = new_database()
    reg = Registry(url)
    reg.create()
    reg.create()  # CREATE TABLE IF NOT EXISTS + meta rows only when missing
    reg.check_schema()
    assert reg.generation() == 0
    reg.close()


def test_unreachable_server_is_a_registry_error(pg_server: str) -> None:
    from sqlalchemy.engine import make_url

    url = make_url(pg_server).set(database="rg_no_such_database_" + uuid.uuid4().hex[:8])
    reg = Registry(url.render_as_string(hide_password=False))
    with pytest.raises(RegistryError, match="read failed"):
        reg.check_schema()
    reg.close()


def test_cli_index_add_with_registry_url(tmp_path: Path,
                                         new_database: Callable[[], str]) -> None:
    import subprocess
    import sys

    url = new_database()
    files = copy_files(stdlib_files(2), tmp_path / "src")
    env = {k: v for k, v in os.environ.items() if not k.startswith("RIGHTSGUARD_")}
    env["RIGHTSGUARD_CONFIG"] = os.devnull

    def cli(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-c", "from rightsguard.cli import main; main()", *args],
            text=True, capture_output=True, env=env, timeout=300)

    idx = str(tmp_path / "idx")
    add = cli("index", "add", str(tmp_path / "src"), "--index", idx, "--licence", "MIT",
              "--holder", "X", "--registry-url", url, "--quiet")
    assert add.returncode == 0, add.stderr
    info = cli("index", "info", "--index", idx, "--json")
    assert info.returncode == 0, info.stderr
    got = json.loads(info.stdout)
    assert (got["registry"], got["works"]) == (url, 2)
    other = cli("index", "add", str(files[0]), "--index", idx, "--registry-url",
                url + "_other", "--quiet")
    assert other.returncode == 2
    assert "applies only to a new index" in other.stderr
    (tmp_path / "gen.py").write_text(code_slice(files[1].read_text("utf-8")), "utf-8")
    check = cli("check", str(tmp_path / "gen.py"), "--index", idx, "--format", "json")
    assert check.returncode == 0, check.stderr
    assert sha(files[1]) in check.stdout
