from __future__ import annotations

import gzip
import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from warc_helpers import Resp, write_warc

from rightsguard.corpus.records import read_folder, read_jsonl, read_parquet
from rightsguard.corpus.sinks import ShardSink, merge_parts
from rightsguard.corpus.warc import read_warc
from rightsguard.model import Record


def _pages(prefix: str, n: int) -> list[Resp]:
    return [Resp(f"http://{prefix}.com/{i}", f"<p>{prefix} {i}</p>".encode()) for i in range(n)]


def _write(out: Path, shard: int, fmt: str, records: list[Record]) -> Path | None:
    with ShardSink.open(out, shard, fmt) as sink:
        for record in records:
            sink.write(record)
    return sink.close()  # a second close is harmless and returns None


def test_warc_gz_copies_original_members_in_shard_order(tmp_path: Path) -> None:
    a, b = tmp_path / "a.warc.gz", tmp_path / "b.warc.gz"
    offs_a = write_warc(a, _pages("a", 3), gzip=True)
    offs_b = write_warc(b, _pages("b", 2), gzip=True)
    out = tmp_path / "out"
    keep_a = [r for r in read_warc(a) if not r.source.endswith("/1")]
    keep_b = list(read_warc(b))
    _write(out, 1, "warc", keep_b)  # shard 1 finishes first
    _write(out, 0, "warc", keep_a)
    assert sorted(p.name for p in (out / "parts").iterdir()) == [
        "part-00000.warc.gz", "part-00001.warc.gz"]
    (merged,) = merge_parts(out)
    assert merged == out / "data.warc.gz"
    da, db = a.read_bytes(), b.read_bytes()
    assert merged.read_bytes() == (da[offs_a[0]:offs_a[1]] + da[offs_a[2]:]
                                   + db[offs_b[0]:])
    assert [r.source for r in read_warc(merged)] == [
        "http://a.com/0", "http://a.com/2", "http://b.com/0", "http://b.com/1"]


def test_warc_plain_and_mixed_compression(tmp_path: Path) -> None:
    plain, gz = tmp_path / "p.warc", tmp_path / "g.warc.gz"
    offs = write_warc(plain, _pages("p", 2), gzip=False)
    write_warc(gz, _pages("g", 1), gzip=True)
    out = tmp_path / "out"
    _write(out, 0, "warc", [*read_warc(plain), *read_warc(gz)])  # plain first: a plain part
    data = plain.read_bytes()
    part = out / "parts" / "part-00000.warc"
    assert part.read_bytes().startswith(data[offs[0]:])
    assert [r.source for r in read_warc(part)] == ["http://p.com/0", "http://p.com/1",
                                                   "http://g.com/0"]
    _write(out, 1, "warc", [*read_warc(gz), *read_warc(plain)])  # gz first: a gzip part
    assert [r.source for r in read_warc(out / "parts" / "part-00001.warc.gz")] == [
        "http://g.com/0", "http://p.com/0", "http://p.com/1"]
    assert sorted(p.name for p in merge_parts(out)) == ["data.warc", "data.warc.gz"]


def test_jsonl_original_lines(tmp_path: Path) -> None:
    src = tmp_path / "d.jsonl.gz"
    lines = ['{"text": "a",   "url": "http://x.org/1"}', '{"text":"b"}', '{"text": "c"}']
    with gzip.open(src, "wb") as fh:
        fh.write(("\n".join(lines)).encode())  # no newline after the last line
    records = list(read_jsonl(src))
    out = tmp_path / "out"
    _write(out, 0, "jsonl", [records[0], records[2]])
    _write(out, 3, "jsonl", [records[1]])
    (merged,) = merge_parts(out, name="allowed")
    assert merged == out / "allowed.jsonl"
    assert merged.read_text().splitlines() == [lines[0], lines[2], lines[1]]
    assert [json.loads(x)["text"] for x in merged.read_text().splitlines()] == ["a", "c", "b"]


def test_parquet_same_schema_original_rows(tmp_path: Path) -> None:
    src = tmp_path / "d.parquet"
    schema = pa.schema([("text", pa.string()), ("n", pa.int16()),
                        ("tags", pa.list_(pa.string()))], metadata={b"origin": b"test"})
    table = pa.table({"text": ["r0", "r1", "r2", "r3", "r4"], "n": [0, 1, 2, 3, 4],
                      "tags": [["a"], [], None, ["b", "c"], ["d"]]}, schema=schema)
    pq.write_table(table, src, row_group_size=2)
    records = list(read_parquet(src))
    out = tmp_path / "out"
    _write(out, 0, "parquet", [records[i] for i in (0, 2, 3)])
    _write(out, 1, "parquet", [records[4]])
    (merged,) = merge_parts(out)
    result = pq.read_table(merged)
    assert result.schema.equals(schema) and result.schema.metadata[b"origin"] == b"test"
    assert result.to_pylist() == [table.to_pylist()[i] for i in (0, 2, 3, 4)]


def test_folder_same_relative_paths(tmp_path: Path) -> None:
    root = tmp_path / "in"
    (root / "sub").mkdir(parents=True)
    (root / "a.txt").write_text("alpha")
    (root / "sub" / "b.py").write_text("x = 1\n")
    (root / "sub" / "c.txt").write_text("gamma")
    records = {r.origin["path"]: r for r in read_folder(root)}
    out = tmp_path / "out"
    _write(out, 0, "folder", [records["a.txt"], records["sub/b.py"]])
    (merged,) = merge_parts(out)
    assert merged == out / "data"
    assert sorted(str(p.relative_to(merged)) for p in merged.rglob("*") if p.is_file()) == [
        "a.txt", "sub/b.py"]
    assert (merged / "sub" / "b.py").read_text() == "x = 1\n"


def test_atomic_parts_abort_and_wrong_format(tmp_path: Path) -> None:
    src = tmp_path / "d.jsonl"
    src.write_text('{"text": "a"}\n{"text": "b"}\n')
    records = list(read_jsonl(src))
    out = tmp_path / "out"
    sink = ShardSink.open(out, 0, "jsonl")
    sink.write(records[0])
    tmp_part = out / "parts" / ".part-00000.jsonl.tmp"
    assert tmp_part.is_file() and not (out / "parts" / "part-00000.jsonl").exists()
    assert merge_parts(out) == []  # unfinished parts are ignored
    sink.abort()
    assert not tmp_part.exists()
    with pytest.raises(RuntimeError), ShardSink.open(out, 1, "jsonl") as failing:
        failing.write(records[1])
        raise RuntimeError("step failed")
    assert list((out / "parts").iterdir()) == []
    assert ShardSink.open(out, 2, "jsonl").close() is None  # nothing written: no part
    with pytest.raises(ValueError, match="origin format 'jsonl' cannot go to a warc sink"):
        ShardSink.open(out, 3, "warc").write(records[0])
    with pytest.raises(ValueError, match="unknown sink format 'csv'"):
        ShardSink.open(out, 4, "csv")


def _folder(root: Path, files: dict[str, str]) -> dict[str, Record]:
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
    return {r.origin["path"]: r for r in read_folder(root)}


def _files(folder: Path) -> dict[str, str]:
    return {p.relative_to(folder).as_posix(): p.read_text()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def test_folders_of_several_roots_keep_their_own_subtrees(tmp_path: Path) -> None:
    # the same relative path in two inputs: both files are kept (the first used to win alone)
    one = _folder(tmp_path / "a" / "repo", {"README.md": "one", "src/x.py": "x = 1\n"})
    two = _folder(tmp_path / "b" / "repo", {"README.md": "two"})
    docs = _folder(tmp_path / "docs", {"README.md": "docs"})
    out = tmp_path / "out"
    _write(out, 2, "folder", [docs["README.md"]])
    _write(out, 0, "folder", [one["README.md"]])
    _write(out, 1, "folder", [two["README.md"], one["src/x.py"]])  # two roots in one part
    assert json.loads((out / "parts" / "part-00001.folder" / "roots.json").read_text()) == [
        str(tmp_path / "b" / "repo"), str(tmp_path / "a" / "repo")]
    (merged,) = merge_parts(out)
    # names in order of first appearance (shard order), the same name numbered
    want = {"docs/README.md": "docs", "repo/README.md": "one", "repo/src/x.py": "x = 1\n",
            "repo-2/README.md": "two"}
    assert _files(merged) == want
    (again,) = merge_parts(out)  # a merge run again (after a restart) writes the same files
    assert _files(again) == want


def test_folder_subtree_names_skip_taken_names(tmp_path: Path) -> None:
    taken = _folder(tmp_path / "x" / "repo-2", {"a.txt": "x"})
    first = _folder(tmp_path / "y" / "repo", {"a.txt": "y"})
    second = _folder(tmp_path / "z" / "repo", {"a.txt": "z"})
    out = tmp_path / "out"
    for shard, records in enumerate((taken, first, second)):
        _write(out, shard, "folder", [records["a.txt"]])
    (merged,) = merge_parts(out)
    assert _files(merged) == {"repo-2/a.txt": "x", "repo/a.txt": "y", "repo-3/a.txt": "z"}


def test_folder_roots_of_the_run_fix_the_layout(tmp_path: Path) -> None:
    one = _folder(tmp_path / "one", {"a.txt": "1"})
    _folder(tmp_path / "two", {"a.txt": "2"})
    roots = [str(tmp_path / "one"), str(tmp_path / "two")]
    out = tmp_path / "out"
    _write(out, 0, "folder", [one["a.txt"]])
    (merged,) = merge_parts(out)
    assert _files(merged) == {"a.txt": "1"}  # one root among the parts: the folder itself
    (merged,) = merge_parts(out, roots=roots)  # one of the run's two roots: its subtree
    assert _files(merged) == {"one/a.txt": "1"}
    with pytest.raises(ValueError, match="not one of the roots given"):
        merge_parts(out, roots=roots[1:])


def test_folder_part_of_an_older_layout_is_refused(tmp_path: Path) -> None:
    part = tmp_path / "out" / "parts" / "part-00000.folder"
    part.mkdir(parents=True)
    (part / "a.txt").write_text("files straight in the part, no roots.json")
    with pytest.raises(ValueError, match=r"part-00000\.folder: folder part without roots\.json"):
        merge_parts(tmp_path / "out")
