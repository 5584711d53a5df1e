"""The index folder: counts, merging of identical bytes, removal and compaction, manifests that
refuse other settings, corrupt segments, and crash safety of ``Index.add``."""

from __future__ import annotations

import ast
import hashlib
import json
import shutil
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
from stdlib_inputs import copy_files, sha, stdlib_files

from rightsguard.errors import IndexCorruptError, IndexError_, IndexMismatchError, InputError
from rightsguard.index.channels import CHANNELS
from rightsguard.index.sources import works_from
from rightsguard.index.store import MAX_SEGMENTS, Index
from rightsguard.model import LicenceCategory, Source, Verdict, WorkInput
from rightsguard.screen.api import Screener


def code_slice(text: str, n: int = 600) -> str:
    """``n`` code points of real code from ``text``: from the first statement after the docstring
    of its longest function (a slice from the middle of a docstring is not code)."""
    tree = ast.parse(text)
    funcs = [f for f in ast.walk(tree) if isinstance(f, ast.FunctionDef | ast.AsyncFunctionDef)]
    best = max(funcs, key=lambda f: ((f.end_lineno or 0) - f.lineno, -f.lineno))
    body = best.body
    if len(body) > 1 and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
        body = body[1:]
    lines = text.splitlines(keepends=True)
    start = sum(len(line) for line in lines[:body[0].lineno - 1])
    return text[start:start + n]



def matched_ids(screener: Screener, path: Path) -> set[str]:
    results = screener.screen_text(code_slice(path.read_text("utf-8")), language="python")
    return {m.work.work_id for r in results for m in r.matches}



@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[Path]]:
    """An index of 40 real stdlib modules (MIT, holder X), several batches; closed after build."""
    base = tmp_path_factory.mktemp("store")
    files = copy_files(stdlib_files(40), base / "src")
    idx = Index.open(base / "idx", create=True)
    summary = idx.add(works_from(base / "src", licence="MIT", holder="X"), batch_bytes=60_000)
    assert summary.added == 40
    assert summary.merged == 0
    assert summary.skipped == []
    idx.close()
    return base / "idx", files


@pytest.fixture(scope="module")
def reader(built: tuple[Path, list[Path]]) -> Screener:
    return Screener(Index.open(built[0]))


def test_info_counts(built: tuple[Path, list[Path]], reader: Screener) -> None:
    path, files = built
    info = reader.index.info()
    assert info["works"] == 40
    assert info["removed"] == 0
    assert info["bytes"] == sum(p.stat().st_size for p in files)
    assert info["path"] == str(path)
    n_segments = len({n for n, c, _g, _p in reader.index.registry.segments()
                      if c == "code-exact"})
    n_batches = _expected_batches([p.stat().st_size for p in files], 60_000)
    # one segment per batch, then all but the largest merged once there are more than four
    assert n_batches > MAX_SEGMENTS
    assert n_segments == 2
    for ch in CHANNELS:
        desc = info["channels"][ch.name]
        assert (desc["k"], desc["t"]) == (ch.params.k, ch.params.t)
    assert info["channels"]["code-exact"]["segments"] == n_segments
    assert info["channels"]["code-exact"]["postings"] > 0
    assert info["channels"]["text-dense"]["postings"] == 0  # no short text works
    on_disk = sum(f.stat().st_size for f in path.rglob("*") if f.is_file())
    assert info["disk_bytes"] == pytest.approx(on_disk, rel=0.01)


def test_every_work_matchable(built: tuple[Path, list[Path]], reader: Screener) -> None:
    _path, files = built
    for p in files:
        results = reader.screen_text(code_slice(p.read_text("utf-8")), language="python")
        matches = [m for r in results for m in r.matches if m.work.work_id == sha(p)]
        assert matches, p.name
        work = matches[0].work
        assert work.licence == "MIT"
        assert work.licence_category is LicenceCategory.PERMISSIVE
        assert work.holders == ("X",)
        assert work.title == f"src/{p.name}"
        assert matches[0].verdict is Verdict.ATTRIBUTE


def test_same_bytes_two_sources_are_one_work(tmp_path: Path) -> None:
    src = stdlib_files(1)[0]
    a = copy_files([src], tmp_path / "a")[0]
    b = copy_files([src], tmp_path / "b")[0]
    idx = Index.open(tmp_path / "idx", create=True)
    s1 = idx.add(works_from(a, licence="MIT", holder="Alice"))
    s2 = idx.add(works_from(b, licence="MIT", holder="Bob"))
    assert (s1.added, s1.merged, s2.added, s2.merged) == (1, 0, 0, 1)
    info = idx.info()
    assert info["works"] == 1
    assert info["bytes"] == src.stat().st_size
    doc = idx.registry.doc_of(sha(src))
    assert doc is not None
    work = idx.registry.works([doc])[doc].work
    assert {s.uri for s in work.sources} == {a.as_uri(), b.as_uri()}
    assert work.holders == ("Alice", "Bob")
    ids = matched_ids(Screener(idx), a)
    assert ids == {sha(src)}


def test_registering_the_same_file_again_corrects_its_holders(tmp_path: Path) -> None:
    """A newcomer re-added a file with a corrected --holder; the attribution kept naming the
    wrong person. The only source registered again: its holders replace the recorded ones. A
    second source's holders still add to them."""
    src = stdlib_files(1)[0]
    a = copy_files([src], tmp_path / "a")[0]
    idx = Index.open(tmp_path / "idx", create=True)
    idx.add(works_from(a, licence="MIT", holder="Wrong Person"))
    idx.add(works_from(a, licence="PSF-2.0", holder="Python Software Foundation"))
    doc = idx.registry.doc_of(sha(src))
    assert doc is not None
    work = idx.registry.works([doc])[doc].work
    assert work.holders == ("Python Software Foundation",)
    assert work.licence == "PSF-2.0"
    b = copy_files([src], tmp_path / "b")[0]
    idx.add(works_from(b, licence="PSF-2.0", holder="Guido van Rossum"))
    work = idx.registry.works([doc])[doc].work
    assert work.holders == ("Python Software Foundation", "Guido van Rossum")


def test_a_removed_registrations_holder_does_not_come_back(tmp_path: Path) -> None:
    """A newcomer removed a file registered with --holder and added it again without one (then
    with another holder): the removed registration's holder was still named."""
    src = stdlib_files(1)[0]
    a = copy_files([src], tmp_path / "a")[0]
    idx = Index.open(tmp_path / "idx", create=True)
    idx.add(works_from(a, licence="MIT", holder="William Pearson"))
    doc = idx.registry.doc_of(sha(src))
    assert doc is not None
    assert idx.registry.works([doc])[doc].work.holders == ("William Pearson",)
    assert idx.remove(str(a)) == 1
    again = idx.add(works_from(a, licence="MIT"))
    assert (again.added, again.merged) == (1, 0)  # live again: a new work, not a merge
    assert idx.registry.works([doc])[doc].work.holders == ()
    assert idx.remove(str(a)) == 1
    idx.add(works_from(a, licence="MIT", holder="Someone Else"))
    assert idx.registry.works([doc])[doc].work.holders == ("Someone Else",)


def test_the_documented_files_hold_the_whole_index(tmp_path: Path) -> None:
    """A newcomer copied an index as the README lists it (registry.sqlite and channels/) and
    got "no such table: meta": a small index's writes were all in registry.sqlite-wal."""
    files = copy_files(stdlib_files(3), tmp_path / "src")
    idx = Index.open(tmp_path / "idx", create=True)
    assert idx.add(works_from(tmp_path / "src"), workers=1).added == 3
    assert idx.remove(str(files[0])) == 1
    copy = tmp_path / "copy"
    copy.mkdir()
    shutil.copy(tmp_path / "idx" / "index.json", copy)
    shutil.copy(tmp_path / "idx" / "registry.sqlite", copy)
    shutil.copytree(tmp_path / "idx" / "channels", copy / "channels")
    counts = Index.open(copy).registry.counts()
    assert (counts["works"], counts["removed"]) == (2, 1)
    assert matched_ids(Screener(Index.open(copy)), files[1]) == {sha(files[1])}


def test_same_bytes_in_one_batch_are_one_work(tmp_path: Path) -> None:
    raw = stdlib_files(2)[1].read_bytes()
    items = [WorkInput(raw=raw, title=f"copy {i}", holders=(f"H{i}",), licence="MIT",
                       source=Source(uri=f"https://example.org/{i}.py"), modality="code",
                       language="python") for i in range(3)]
    idx = Index.open(tmp_path / "idx", create=True)
    s = idx.add(items)
    assert (s.added, s.merged, s.bytes) == (1, 2, len(raw))
    assert idx.info()["works"] == 1
    doc = idx.registry.doc_of(hashlib.sha256(raw).hexdigest())
    assert doc is not None
    work = idx.registry.works([doc])[doc].work
    assert work.title == "copy 0"
    assert [s.uri for s in work.sources] == [f"https://example.org/{i}.py" for i in range(3)]
    assert work.holders == ("H0", "H1", "H2")


def test_remove_by_id_and_source_then_compact(tmp_path: Path) -> None:
    files = copy_files(stdlib_files(6), tmp_path / "src")
    idx = Index.open(tmp_path / "idx", create=True)
    idx.add(works_from(tmp_path / "src", licence="MIT", holder="X"), batch_bytes=20_000)
    screener = Screener(idx)
    for p in files:
        assert sha(p) in matched_ids(screener, p), p.name

    assert idx.remove(sha(files[0])) == 1
    assert idx.remove(files[1].as_uri()) == 1
    assert idx.remove("0" * 64) == 0
    assert idx.remove("file:///no/such/source.py") == 0
    info = idx.info()
    assert (info["works"], info["removed"]) == (4, 2)
    for p in files[:2]:
        assert sha(p) not in matched_ids(screener, p), p.name
    for p in files[2:]:
        assert sha(p) in matched_ids(screener, p), p.name

    gen = idx.registry.generation()
    idx.compact()
    assert idx.registry.generation() > gen
    info = idx.info()
    assert (info["works"], info["removed"]) == (4, 0)
    assert info["bytes"] == sum(p.stat().st_size for p in files[2:])
    for ch in CHANNELS:
        assert info["channels"][ch.name]["segments"] <= 1
    assert idx.registry.doc_of(sha(files[0])) is None  # purged for good
    fresh = Screener(Index.open(tmp_path / "idx"))
    for p in files[:2]:
        assert sha(p) not in matched_ids(fresh, p), p.name
    for p in files[2:]:
        assert sha(p) in matched_ids(fresh, p), p.name

    # removing a folder prefix removes everything under it; re-adding brings works back
    assert idx.remove((tmp_path / "src").as_uri()) == 4
    assert idx.info()["works"] == 0
    s = idx.add(works_from(tmp_path / "src", licence="MIT", holder="X"))
    # 2 purged by the compaction are new again; the 4 tombstoned are live again: added too
    assert s.added == 6 and s.merged == 0
    assert idx.info()["works"] == 6
    for p in files:
        assert sha(p) in matched_ids(Screener(idx), p), p.name


def _expected_batches(sizes: list[int], batch_bytes: int) -> int:
    """Batches Index.add makes: a batch is committed once it holds >= batch_bytes."""
    n, acc = 0, 0
    for size in sizes:
        acc += size
        if acc >= batch_bytes:
            n, acc = n + 1, 0
    return n + (acc > 0)


def test_compact_reclaims_disk_space(tmp_path: Path) -> None:
    files = stdlib_files(4)
    copy_files(files, tmp_path / "src")
    idx = Index.open(tmp_path / "idx", create=True)
    idx.add(works_from(tmp_path / "src", licence="MIT"), batch_bytes=10_000)
    batches = _expected_batches([p.stat().st_size for p in files], 10_000)
    assert batches >= 2
    assert len([n for n, c, _g, _p in idx.registry.segments() if c == "code-exact"]) == batches
    idx.compact()
    live = {n for n, c, _g, _p in idx.registry.segments() if c == "code-exact"}
    on_disk = {e.name for e in (tmp_path / "idx/channels/code-exact").iterdir() if e.is_dir()}
    assert len(live) == 1
    assert on_disk == live


def _copy_index(built: tuple[Path, list[Path]], dest: Path) -> Path:
    shutil.copytree(built[0], dest)
    return dest


@pytest.mark.parametrize(("channel", "key", "value"), [
    ("code-exact", "k", 17), ("text", "t", 31), ("code-normalised", "seed", 1),
    ("text-dense", "tokenizer_version", 99)])
def test_channel_manifest_with_other_settings_is_refused(
        built: tuple[Path, list[Path]], tmp_path: Path, channel: str, key: str,
        value: object) -> None:
    path = _copy_index(built, tmp_path / "idx")
    Index.open(path)  # the copy opens
    mpath = path / "channels" / channel / "manifest.json"
    manifest = json.loads(mpath.read_text())
    assert key in manifest["settings"]
    manifest["settings"][key] = value
    mpath.write_text(json.dumps(manifest))
    with pytest.raises(IndexMismatchError, match=channel) as info:
        Index.open(path)
    assert key in str(info.value)


def test_an_index_with_code_point_positions_in_code_normalised_is_refused(
        built: tuple[Path, list[Path]], tmp_path: Path) -> None:
    """Indexes built before code-normalised postings held token indexes have no ``positions``
    in their manifests; their postings would be read as token indexes: refused, rebuild."""
    path = _copy_index(built, tmp_path / "idx")
    mpath = path / "channels" / "code-normalised" / "manifest.json"
    manifest = json.loads(mpath.read_text())
    assert manifest["settings"]["positions"] == "tokens"
    del manifest["settings"]["positions"]
    mpath.write_text(json.dumps(manifest))
    with pytest.raises(IndexMismatchError, match=r"code-normalised .*'positions': None.*"
                       r"'positions': 'tokens'.*Rebuild the index"):
        Index.open(path)


def test_unreadable_manifests(built: tuple[Path, list[Path]], tmp_path: Path) -> None:
    path = _copy_index(built, tmp_path / "idx")
    (path / "channels" / "text" / "manifest.json").write_text("{not json")
    with pytest.raises(IndexCorruptError, match="manifest"):
        Index.open(path)
    (path / "index.json").write_text("garbage")
    with pytest.raises(IndexCorruptError, match=r"index\.json"):
        Index.open(path)
    with pytest.raises(IndexError_, match="not a rightsguard index"):
        Index.open(tmp_path)
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "notes.txt").write_text("hello")
    with pytest.raises(IndexError_, match="not empty"):
        Index.create(tmp_path / "other")


@pytest.mark.parametrize("damage", ["truncate", "garbage", "missing", "empty"])
@pytest.mark.parametrize("array", ["h", "d", "p"])
def test_corrupt_segment_raises_on_first_query(built: tuple[Path, list[Path]], tmp_path: Path,
                                               damage: str, array: str) -> None:
    path = _copy_index(built, tmp_path / "idx")
    seg = sorted(e for e in (path / "channels" / "code-exact").iterdir() if e.is_dir())[0]
    f = seg / f"{array}.npy"
    data = f.read_bytes()
    if damage == "truncate":
        f.write_bytes(data[: len(data) // 2])
    elif damage == "garbage":
        f.write_bytes(np.random.default_rng(0).integers(0, 256, len(data), np.uint8).tobytes())
    elif damage == "empty":  # numpy raises EOFError, not ValueError (a newcomer's traceback)
        f.write_bytes(b"")
    else:
        f.unlink()
    idx = Index.open(path)  # opening stays cheap: segments load on first query
    screener = Screener(idx)
    with pytest.raises(IndexCorruptError, match=seg.name):
        screener.screen_text(code_slice(built[1][0].read_text()), language="python")


def test_segment_with_other_count_is_corrupt(built: tuple[Path, list[Path]],
                                             tmp_path: Path) -> None:
    path = _copy_index(built, tmp_path / "idx")
    seg = sorted(e for e in (path / "channels" / "text").iterdir() if e.is_dir())[0]
    h = np.load(seg / "h.npy")
    np.save(seg / "h.npy", h[:-1])  # a valid .npy of the wrong length
    with pytest.raises(IndexCorruptError, match="count"):
        Index.open(path).lookup("text", np.asarray([1, 2, 3], dtype=np.uint32))


# -- crash safety ----------------------------------------------------------------------------

CRASH_SCRIPT = textwrap.dedent('''
    import os, signal, sys
    import rightsguard.index.store as store
    from rightsguard.index.sources import works_from

    src, idx, out, mode = sys.argv[1:5]
    state = {}

    def progress(done, nbytes):
        with open(out, "w") as fh:
            fh.write(str(done))
        if mode == "progress":
            os.kill(os.getpid(), signal.SIGKILL)
        state["committed"] = True

    if mode == "mid-batch":  # die after the next batch wrote a segment, before its commit
        original = store.write_segment

        def write_segment(folder, *args, **kwargs):
            n = original(folder, *args, **kwargs)
            if state.get("committed"):
                os.kill(os.getpid(), signal.SIGKILL)
            return n

        store.write_segment = write_segment

    index = store.Index.open(idx, create=True)
    index.add(works_from(src, licence="MIT", holder="X"), progress=progress,
              batch_bytes=120_000, workers=1)
    sys.exit(3)
''')


@pytest.fixture(scope="module")
def crash_files(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[Path]]:
    src = tmp_path_factory.mktemp("crash-src") / "src"
    return src, copy_files(stdlib_files(60), src)


def _registered(idx_path: Path) -> set[str]:
    con = sqlite3.connect(idx_path / "registry.sqlite")
    try:
        return {r[0] for r in con.execute("SELECT work_id FROM works")}
    finally:
        con.close()


def _orphans(idx_path: Path, index: Index) -> set[str]:
    live = {(c, n) for n, c, _g, _p in index.registry.segments()}
    live |= {(c, n) for c, n in index.registry.stoplists().items()}
    return {f"{e.parent.name}/{e.name}" for ch in CHANNELS
            for e in (idx_path / "channels" / ch.name).iterdir()
            if e.name != "manifest.json" and (ch.name, e.name) not in live}


@pytest.mark.parametrize("mode", ["progress", "mid-batch"])
def test_crash_after_first_batch(crash_files: tuple[Path, list[Path]], tmp_path: Path,
                                 mode: str) -> None:
    src, files = crash_files
    idx_path = tmp_path / "idx"
    out = tmp_path / "done"
    proc = subprocess.run([sys.executable, "-c", CRASH_SCRIPT, str(src), str(idx_path), str(out),
                           mode], capture_output=True, text=True, timeout=300)
    assert proc.returncode == -9, proc.stderr
    done = int(out.read_text())
    assert 0 < done < len(files)

    index = Index.open(idx_path)  # opens after the crash
    # exactly the first batch is registered: the importer walks the folder in name order
    committed = files[:done]
    assert _registered(idx_path) == {sha(p) for p in committed}
    assert index.info()["works"] == done
    screener = Screener(index)
    for p in committed:
        assert sha(p) in matched_ids(screener, p), p.name
    for p in files[done:done + 5]:
        assert not matched_ids(screener, p), p.name
    orphans = _orphans(idx_path, index)
    if mode == "mid-batch":
        assert any(o.startswith("code-exact/g") for o in orphans), orphans

    summary = index.add(works_from(src, licence="MIT", holder="X"), batch_bytes=120_000)
    assert (summary.added, summary.merged) == (len(files) - done, done)
    assert _orphans(idx_path, index) == set()
    fresh = Screener(Index.open(idx_path))
    assert fresh.index.info()["works"] == len(files)
    for p in files:
        assert sha(p) in matched_ids(fresh, p), p.name


def _match_of(screener: Screener, path: Path) -> tuple[Verdict, str, object]:
    """Verdict, reason and work of the match of ``path``'s own work in a slice of its code."""
    results = screener.screen_text(code_slice(path.read_text("utf-8")), language="python")
    matches = [m for r in results for m in r.matches if m.work.work_id == sha(path)]
    assert matches, path.name
    return matches[0].verdict, matches[0].reason, matches[0].work


def test_same_bytes_other_licence_is_a_conflict_for_review(tmp_path: Path) -> None:
    src = stdlib_files(3)[2]
    a = copy_files([src], tmp_path / "a")[0]
    b = copy_files([src], tmp_path / "b")[0]
    idx = Index.open(tmp_path / "idx", create=True)
    idx.add(works_from(a, licence="MIT", holder="Alice"))
    s = idx.add(works_from(b, licence="GPL-3.0-only", holder="Jane Doe"))
    assert (s.added, s.merged) == (0, 1)
    verdict, reason, work = _match_of(Screener(idx), a)
    assert verdict is Verdict.REVIEW
    assert reason.startswith("sources disagree on the licence: ")
    assert f"MIT ({a.as_uri()})" in reason
    assert f"GPL-3.0-only ({b.as_uri()})" in reason
    assert work.licence_category is LicenceCategory.UNKNOWN
    assert work.licence == "MIT AND GPL-3.0-only"  # sources in URI order: a/ before b/
    assert {(x.uri, x.licence) for x in work.sources} == {(a.as_uri(), "MIT"),
                                                          (b.as_uri(), "GPL-3.0-only")}
    assert work.to_dict()["sources"][0] == {"uri": a.as_uri(), "path": a.name, "licence": "MIT"}
    # a fresh reader sees the same conflict; dropping the GPL source settles it back to MIT
    assert _match_of(Screener(Index.open(tmp_path / "idx")), a)[0] is Verdict.REVIEW
    assert idx.remove(str(tmp_path / "b")) == 1
    verdict, reason, work = _match_of(Screener(idx), a)
    assert (verdict, work.licence, work.licence_category) == (
        Verdict.ATTRIBUTE, "MIT", LicenceCategory.PERMISSIVE)
    assert "disagree" not in reason


def test_same_bytes_same_licence_is_a_plain_merge(tmp_path: Path) -> None:
    src = stdlib_files(3)[2]
    a = copy_files([src], tmp_path / "a")[0]
    b = copy_files([src], tmp_path / "b")[0]
    idx = Index.open(tmp_path / "idx", create=True)
    idx.add(works_from(a, licence="MIT", holder="Alice"))
    idx.add(works_from(b, licence="mit", holder="Bob"))  # the same licence once normalised
    verdict, reason, work = _match_of(Screener(idx), a)
    assert verdict is Verdict.ATTRIBUTE
    assert (work.licence, work.licence_category) == ("MIT", LicenceCategory.PERMISSIVE)
    assert reason == "permissive licence MIT: reuse allowed with attribution"
    assert [x.licence for x in work.sources] == ["MIT", "MIT"]
    assert work.holders == ("Alice", "Bob")


def test_conflict_inside_one_batch_and_relicensed_source(tmp_path: Path) -> None:
    raw = stdlib_files(2)[1].read_bytes()
    items = [WorkInput(raw=raw, title=f"copy {i}", holders=("H",), licence=lic,
                       source=Source(uri=f"https://example.org/{i}.py"), modality="code",
                       language="python") for i, lic in enumerate(["MIT", "Apache-2.0"])]
    idx = Index.open(tmp_path / "idx", create=True)
    idx.add(items)
    doc = idx.registry.doc_of(hashlib.sha256(raw).hexdigest())
    assert doc is not None
    work = idx.registry.works([doc])[doc].work
    assert (work.licence, work.licence_category) == ("MIT AND Apache-2.0",
                                                     LicenceCategory.UNKNOWN)
    # the same source registered again with the other licence corrects that source: they agree
    idx.add([replace_licence(items[1], "MIT")])
    work = idx.registry.works([doc])[doc].work
    assert (work.licence, work.licence_category) == ("MIT", LicenceCategory.PERMISSIVE)


def replace_licence(item: WorkInput, licence: str) -> WorkInput:
    import dataclasses

    return dataclasses.replace(item, licence=licence)


def test_remove_by_the_short_ids_messages_show(tmp_path: Path) -> None:
    # messages name works by the first 12 digits of their id; any unique prefix of 12 or more
    # removes the work (a newcomer's "index remove 2079a36d9d2d" matched nothing)
    files = copy_files(stdlib_files(3), tmp_path / "src")
    idx = Index.open(tmp_path / "idx", create=True)
    idx.add(works_from(tmp_path / "src", licence="MIT", holder="X"), workers=1)
    ids = sorted(sha(p) for p in files)
    assert idx.registry.work_ids_starting(ids[0][:1], limit=5) == \
        [i for i in ids if i[0] == ids[0][0]]
    assert idx.remove(ids[0][:12]) == 1
    assert idx.remove(ids[1][:20].upper()) == 1
    assert idx.remove(ids[0][:12]) == 0  # already removed
    assert idx.remove("f" * 11) == 0  # too short to be an id: a source, and none matches
    assert (idx.info()["works"], idx.info()["removed"]) == (1, 2)


def test_remove_by_folder_path_relative_absolute_and_home(tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    files = stdlib_files(3)
    proj = tmp_path / "w" / "proj"
    copy_files(files[:1], proj)
    copy_files(files[1:2], tmp_path / "w" / "other")
    copy_files(files[2:3], tmp_path / "w" / "third")
    idx = Index.open(tmp_path / "idx", create=True)
    idx.add(works_from(tmp_path / "w", licence="MIT"))
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("HOME", str(tmp_path))
    assert idx.remove("w/proj") == 1
    assert idx.remove("w/proj") == 0  # its source is gone already
    assert idx.remove(str(tmp_path / "w" / "other") + "/") == 1
    assert idx.remove("~/w/third/" + files[2].name) == 1
    assert idx.info()["works"] == 0


def test_remove_one_source_keeps_the_work_another_provides(tmp_path: Path) -> None:
    src = stdlib_files(3)[2]
    a = copy_files([src], tmp_path / "a")[0]
    b = copy_files([src], tmp_path / "b")[0]
    idx = Index.open(tmp_path / "idx", create=True)
    idx.add(works_from(tmp_path / "a", licence="MIT"))
    idx.add(works_from(tmp_path / "b", licence="MIT"))
    summary = idx.remove_detail(str(tmp_path / "a"))
    assert (summary.removed, summary.kept, summary.sources) == (0, 1, 1)
    assert idx.info()["works"] == 1
    verdict, _reason, work = _match_of(Screener(idx), b)
    assert verdict is Verdict.ATTRIBUTE
    assert [x.uri for x in work.sources] == [b.as_uri()]
    assert idx.remove((tmp_path / "b").as_uri()) == 1
    assert sha(src) not in matched_ids(Screener(idx), a)
    assert idx.info()["works"] == 0
    # re-adding a folder revives the work with that source only (a work added again)
    again = idx.add(works_from(tmp_path / "a", licence="MIT"))
    assert (again.added, again.merged) == (1, 0)
    verdict, _reason, work = _match_of(Screener(idx), a)
    assert [x.uri for x in work.sources] == [a.as_uri()]


def _alice_and_bob(tmp_path: Path, alice_licence: str) -> tuple[Index, int, Path, Path]:
    """One standard-library file registered from two paths: ``a`` as Alice's under
    ``alice_licence``, then ``b`` as Bob's under MIT. Returns the index, the work's document
    and the two paths."""
    src = stdlib_files(3)[2]
    a = copy_files([src], tmp_path / "a")[0]
    b = copy_files([src], tmp_path / "b")[0]
    idx = Index.open(tmp_path / "idx", create=True)
    idx.add(works_from(a, licence=alice_licence, holder="Alice"))
    idx.add(works_from(b, licence="MIT", holder="Bob"))
    doc = idx.registry.doc_of(sha(src))
    assert doc is not None
    return idx, doc, a, b


def test_removing_a_source_takes_its_holders_away(tmp_path: Path) -> None:
    """A newcomer registered the same file as Alice's (GPL-3.0-only) and, from another path,
    Bob's (MIT); after removing Alice's source the licence was MIT but the attribution still
    read "by Alice and Bob"."""
    idx, doc, a, b = _alice_and_bob(tmp_path, "GPL-3.0-only")
    assert idx.registry.works([doc])[doc].work.holders == ("Alice", "Bob")
    assert idx.remove_detail(a.as_uri()).kept == 1
    work = idx.registry.works([doc])[doc].work
    assert (work.holders, work.licence, [x.uri for x in work.sources]) == (("Bob",), "MIT",
                                                                           [b.as_uri()])
    verdict, _reason, matched = _match_of(Screener(idx), b)
    assert verdict is Verdict.ATTRIBUTE and matched.holders == ("Bob",)


def test_schema_4_registry_gets_source_holders(tmp_path: Path) -> None:
    """Sources recorded before they kept their holders: upgraded in place, and removing one
    leaves the work's holders as they were (which source named whom is not known)."""
    idx, doc, a, _b = _alice_and_bob(tmp_path, "MIT")
    idx.close()
    with sqlite3.connect(tmp_path / "idx" / "registry.sqlite") as conn:
        conn.execute("ALTER TABLE sources DROP COLUMN holders")
        conn.execute("UPDATE meta SET value = '4' WHERE key = 'schema_version'")
    idx = Index.open(tmp_path / "idx")
    with sqlite3.connect(tmp_path / "idx" / "registry.sqlite") as conn:
        assert conn.execute("SELECT value FROM meta WHERE key = 'schema_version'"
                            ).fetchone() == ("5",)
        assert conn.execute("SELECT holders FROM sources").fetchall() == [(None,), (None,)]
    assert idx.remove_detail(a.as_uri()).kept == 1
    assert idx.registry.works([doc])[doc].work.holders == ("Alice", "Bob")


def test_remove_counts_only_works_it_changes(tmp_path: Path) -> None:
    raw = stdlib_files(2)[1].read_bytes()
    wid = hashlib.sha256(raw).hexdigest()
    idx = Index.open(tmp_path / "idx", create=True)
    idx.add([WorkInput(raw=raw, title="row", holders=("H",), licence="MIT",
                       source=Source(uri="https://example.org/catalogue/row.py"),
                       modality="code", language="python")])
    gen = idx.registry.generation()
    assert idx.remove(wid) == 1
    assert idx.remove(wid.upper()) == 0  # already removed: nothing changes
    assert idx.remove("https://example.org/catalogue/row.py") == 0  # its work is removed already
    assert idx.info()["removed"] == 1
    idx.add([WorkInput(raw=raw, title="row", holders=("H",), licence="MIT",
                       source=Source(uri="https://example.org/catalogue/row.py"),
                       modality="code", language="python")])
    assert idx.info()["works"] == 1
    assert idx.remove("https://example.org/catalogue/row.py") == 1  # a catalogue row's url
    assert idx.remove("https://example.org/catalogue/row.py") == 0
    assert idx.registry.generation() > gen


def _one_file_index(tmp_path: Path) -> Path:
    """An index of one standard-library file (MIT), closed; returns the stdlib file."""
    src = stdlib_files(1)[0]
    copy_files([src], tmp_path / "a")
    idx = Index.open(tmp_path / "idx", create=True)
    idx.add(works_from(tmp_path / "a", licence="MIT"))
    idx.close()
    return src


def test_schema_2_registry_is_upgraded_in_place(tmp_path: Path) -> None:
    src = _one_file_index(tmp_path)
    with sqlite3.connect(tmp_path / "idx" / "registry.sqlite") as conn:
        conn.execute("ALTER TABLE sources DROP COLUMN licence")
        conn.execute("UPDATE meta SET value = '2' WHERE key = 'schema_version'")
    idx = Index.open(tmp_path / "idx")
    doc = idx.registry.doc_of(sha(src))
    assert doc is not None
    assert [x.licence for x in idx.registry.works([doc])[doc].work.sources] == ["MIT"]
    idx.registry.check_schema()


def test_utf16_work_is_decoded_like_check_reads_it(tmp_path: Path) -> None:
    """A UTF-16 file (with BOM) is indexed as its text, so a copy of it matches with the same
    code-point spans a reader of the decoded file would see."""
    import codecs

    src = stdlib_files(1)[0].read_text("utf-8")
    raw = codecs.BOM_UTF16_LE + src.encode("utf-16-le")
    idx = Index.open(tmp_path / "idx", create=True)
    idx.add([WorkInput(raw=raw, title="utf16", holders=(), licence="MIT",
                       source=Source(uri="file:///utf16.py"), modality="code",
                       language="python")])
    start = src.index("def ")
    piece = src[start:start + 800]
    matches = [m for r in Screener(idx).screen_text(piece, language="python") for m in r.matches]
    assert matches and matches[0].work.title == "utf16"
    span = matches[0].work_span
    assert span.start == start  # code points of the decoded text, not UTF-16 bytes
    assert src[span.start:span.end] == piece[:span.end - span.start]


def test_schema_3_registry_gets_the_image_table(tmp_path: Path) -> None:
    _one_file_index(tmp_path)
    with sqlite3.connect(tmp_path / "idx" / "registry.sqlite") as conn:
        conn.execute("DROP TABLE image_prints")
        conn.execute("UPDATE meta SET value = '3' WHERE key = 'schema_version'")
    idx = Index.open(tmp_path / "idx")
    assert not idx.registry.has_images() and idx.registry.image_docs() == []
    with sqlite3.connect(tmp_path / "idx" / "registry.sqlite") as conn:
        assert conn.execute("SELECT value FROM meta WHERE key = 'schema_version'"
                            ).fetchone() == ("5",)


def test_remove_by_a_path_names_one_place(tmp_path: Path, monkeypatch: pytest.MonkeyPatch
                                          ) -> None:
    # a newcomer's `index remove src/util.py`, run from elsewhere, removed both registered
    # projects' src/util.py; and a file deleted since could not be removed by its path
    first, second = stdlib_files(2)
    a = copy_files([first], tmp_path / "projA" / "src")[0]
    b = copy_files([second], tmp_path / "projB" / "src")[0]
    (tmp_path / "projA" / "src" / "util.py").write_bytes(a.read_bytes())
    (tmp_path / "projB" / "src" / "util.py").write_bytes(b.read_bytes())
    a.unlink()
    b.unlink()
    idx = Index.open(tmp_path / "idx", create=True)
    for proj in ("projA", "projB"):
        idx.add(works_from(tmp_path / proj, licence="MIT"))
    assert idx.info()["works"] == 2
    monkeypatch.chdir(tmp_path)
    with pytest.raises(InputError, match=r"src/util\.py names sources in 2 places \(file://"):
        idx.remove("src/util.py")
    assert idx.info()["works"] == 2  # nothing removed
    gone = tmp_path / "projA" / "src" / "util.py"
    gone.unlink()  # deleted since it was registered: still removable by its path
    assert idx.remove(str(gone)) == 1
    monkeypatch.chdir(tmp_path / "projB")
    assert idx.remove("src/util.py") == 1  # relative to here: this project's file
    assert idx.info()["works"] == 0


def test_an_interrupted_add_leaves_its_idiom_stoplists_up_to_date(tmp_path: Path) -> None:
    # a newcomer's Ctrl-C during `index add` kept the committed batches (as it should) but left
    # the code-normalised idiom list with 2 entries where 2,265 belonged, so idioms matched
    files = copy_files(stdlib_files(60), tmp_path / "src")
    idx = Index.open(tmp_path / "idx", create=True)
    works = list(works_from(tmp_path / "src", licence="MIT", holder="X"))

    def interrupted():  # type: ignore[no-untyped-def]
        yield from works[:40]
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        idx.add(interrupted(), batch_bytes=1)  # one work per batch: 40 committed
    reopened = Index.open(tmp_path / "idx")
    assert reopened.info()["works"] == 40 < len(files)

    def stoplists(index: Index) -> dict[str, list[int]]:
        folder = tmp_path / "idx" / "channels"
        return {ch: np.load(folder / ch / name).tolist()
                for ch, name in index.registry.stoplists().items()}

    left = stoplists(reopened)
    reopened._rebuild_stoplists()  # what an uninterrupted add would have written
    assert stoplists(Index.open(tmp_path / "idx")) == left
    assert left["code-normalised"]  # an idiom of these stdlib modules (in >= 10 of them)


def test_a_file_registered_again_after_an_edit_replaces_its_earlier_text(tmp_path: Path
                                                                          ) -> None:
    # a newcomer's edited file, added again, left its old text registered under the same URI:
    # it still matched and was cited against a file that no longer held it
    src = stdlib_files(1)[0]
    f = copy_files([src], tmp_path / "a")[0]
    twin = copy_files([src], tmp_path / "b")[0]  # the same bytes at another path
    idx = Index.open(tmp_path / "idx", create=True)
    idx.add(works_from(tmp_path / "a", licence="MIT"))
    idx.add(works_from(tmp_path / "b", licence="MIT"))
    original = sha(f)
    assert idx.info()["works"] == 1  # one work, two sources
    f.write_text(src.read_text("utf-8") + "\n# edited\n", "utf-8")
    summary = idx.add(works_from(f, licence="MIT"))
    assert summary.added == 1
    # the original text keeps its other source
    assert summary.superseded == [(original, f.resolve().as_uri(), False)]
    first_edit = sha(f)
    f.write_text(src.read_text("utf-8") + "\n# edited again\n", "utf-8")
    summary = idx.add(works_from(f, licence="MIT"))
    assert summary.superseded == [(first_edit, f.resolve().as_uri(), True)]
    assert (idx.info()["works"], idx.info()["removed"]) == (2, 1)
    rows = idx.rows(idx.registry.live_docs())
    assert sorted((r.work.work_id, s.uri) for r in rows.values() for s in r.work.sources) == \
        sorted([(original, twin.resolve().as_uri()), (sha(f), f.resolve().as_uri())])


def test_add_records_bad_items_by_name_and_goes_on(tmp_path: Path) -> None:
    # a library user's items: one with a text for raw aborted the whole batch (0 works added,
    # an error naming nothing); holders="Jane Doe" was stored as ('J', 'a', 'n', ...)
    from dataclasses import replace

    files = copy_files(stdlib_files(2), tmp_path / "src")
    good = [w for w in works_from(tmp_path / "src", licence="MIT") if isinstance(w, WorkInput)]
    base = good[0]
    uri = (tmp_path / "src" / "bad.py").as_uri()
    bad = [replace(base, raw="x = 1\n", source=Source(uri=uri)),  # type: ignore[arg-type]
           replace(base, raw=b"y = 2\n", holders="Jane Doe", source=Source(uri=uri)),  # type: ignore[arg-type]
           replace(base, raw=b"z = 3\n", licence="MIT ANDD GPL", source=Source(uri=uri)),
           replace(base, raw=b"w = 4\n", language="klingon", source=Source(uri=uri)),
           replace(base, raw=b"  \n", source=Source(uri=uri))]
    idx = Index.open(tmp_path / "idx", create=True)
    summary = idx.add([good[0], *bad, good[1]], workers=1)
    assert summary.added == 2 and idx.info()["works"] == len(files)
    reasons = [s.reason for s in summary.skipped]
    assert [s.input for s in summary.skipped] == [str(tmp_path / "src" / "bad.py")] * 5
    assert reasons[0] == "raw must be bytes, got str"
    assert reasons[1] == "holders must be a tuple of names (strings), not a string"
    assert reasons[2].startswith("licence 'MIT ANDD GPL' is not an SPDX expression")
    assert reasons[3].startswith("code language 'klingon' is unknown")
    assert reasons[4] == "empty work (no bytes, or only whitespace)"
