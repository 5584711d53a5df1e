from __future__ import annotations

import gzip
import json
import pickle
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from corpus_stubs import StubResolver

from rightsguard.corpus.catalogue import iter_catalogue_works
from rightsguard.errors import InputError
from rightsguard.model import Skipped, WorkInput

ROWS: list[dict[str, object]] = [
    {"text": "Twinkle, twinkle, little star", "title": "The Star", "holder": "Jane Taylor",
     "licence": "CC0-1.0", "url": "https://example.org/star", "kind": "poem",
     "isbn": "978-0-00-000000-2", "famous": True},
    {"title": "No text here", "holder": "Nobody", "licence": "MIT"},
    {"code": "def f():\n    return 1\n", "language": "Python", "title": "f",
     "holder": ["Ann", "Bob", "Ann"], "licence": "gpl-2.0+"},
    {"text": "Some lyrics\nla la la", "title": "Song", "holder": "Writer", "licence": "Bogus-9",
     "kind": "lyrics", "iswc": "T-034.524.680-1"},
    {"text": "Plain text", "doi": "10.1000/182"},
]


def _check(items: list[WorkInput | Skipped], path: Path, bad_rows: tuple[int, int]) -> None:
    works = [i for i in items if isinstance(i, WorkInput)]
    skipped = [i for i in items if isinstance(i, Skipped)]
    assert len(works) == 3 and len(skipped) == 2
    star, f, plain = works
    assert star.raw == b"Twinkle, twinkle, little star"
    assert (star.title, star.holders, star.licence) == ("The Star", ("Jane Taylor",), "CC0-1.0")
    assert (star.kind, star.modality, star.language, star.famous) == ("poem", "text", None, True)
    assert star.identifiers == (("ISBN", "978-0-00-000000-2"),)
    assert star.source.uri == "https://example.org/star"
    assert (f.kind, f.modality, f.language) == ("code", "code", "python")
    assert (f.holders, f.licence) == (("Ann", "Bob"), "GPL-2.0-or-later")
    assert plain.licence == "NOASSERTION" and plain.famous is False
    assert plain.identifiers == (("DOI", "10.1000/182"),)
    assert plain.title == f"{path.name} row {bad_rows[1] + 1}"
    assert plain.source.uri == f"{path.resolve().as_uri()}#row={bad_rows[1] + 1}"
    missing, bad_licence = skipped
    assert missing.input == f"{path}:{bad_rows[0]}"
    assert missing.reason == f"{path} row {bad_rows[0]}: no 'text', 'code' or 'path' value"
    assert bad_licence.input == f"{path}:{bad_rows[1]}"
    assert "licence 'Bogus-9' is not an SPDX expression" in bad_licence.reason


def test_jsonl_with_bad_rows_and_an_invalid_line(tmp_path: Path) -> None:
    path = tmp_path / "works.jsonl"
    lines = [json.dumps(r) for r in ROWS]
    lines.insert(2, "{not json")
    lines.insert(3, "")
    path.write_text("\n".join(lines) + "\n")
    items = list(iter_catalogue_works(path, resolver=StubResolver()))
    invalid = [i for i in items if isinstance(i, Skipped) and "invalid JSON" in i.reason]
    assert [i.input for i in invalid] == [f"{path}:3"]
    assert invalid[0].reason.startswith(f"{path} line 3: invalid JSON")
    _check([i for i in items if i not in invalid], path, bad_rows=(2, 6))


def test_gzipped_jsonl(tmp_path: Path) -> None:
    path = tmp_path / "works.jsonl.gz"
    with gzip.open(path, "wt") as fh:
        fh.write("".join(json.dumps(r) + "\n" for r in ROWS))
    _check(list(iter_catalogue_works(path, resolver=StubResolver())), path, bad_rows=(2, 4))


def test_parquet_streamed_by_batches(tmp_path: Path) -> None:
    path = tmp_path / "works.parquet"
    schema = pa.schema([("text", pa.string()), ("code", pa.string()),
                        ("language", pa.string()), ("title", pa.string()),
                        ("holder", pa.list_(pa.string())), ("licence", pa.string()),
                        ("url", pa.string()), ("kind", pa.string()), ("isbn", pa.string()),
                        ("iswc", pa.string()), ("doi", pa.string()), ("famous", pa.bool_()),
                        ("extra", pa.int64())])
    rows = []
    for r in ROWS:
        row = {name: r.get(name) for name in schema.names}
        if isinstance(row["holder"], str):
            row["holder"] = [row["holder"]]
        rows.append(row)
    pq.write_table(pa.Table.from_pylist(rows, schema=schema), path, row_group_size=2)
    walk = iter_catalogue_works(path, resolver=StubResolver())
    _check(list(walk), path, bad_rows=(2, 4))
    assert walk.stats == {"work": 3, "skipped": 2}


def test_parquet_without_text_column(tmp_path: Path) -> None:
    path = tmp_path / "bad.parquet"
    pq.write_table(pa.table({"title": ["x"]}), path)
    with pytest.raises(InputError,
                       match=r"no 'text', 'code' or 'path' column; columns are \['title'\]"):
        list(iter_catalogue_works(path, resolver=StubResolver()))


def test_row_problems_are_reported_together(tmp_path: Path) -> None:
    path = tmp_path / "rows.jsonl"
    path.write_text(json.dumps({"code": "x", "kind": "song", "famous": "yes", "holder": 3}) + "\n")
    [item] = list(iter_catalogue_works(path, resolver=StubResolver()))
    assert isinstance(item, Skipped)
    for problem in ("kind 'song'", "'famous' must be true or false", "'holder' must be"):
        assert problem in item.reason


def test_unknown_format_and_missing_file(tmp_path: Path) -> None:
    (tmp_path / "x.csv").write_text("text\n")
    with pytest.raises(InputError, match="unknown catalogue format"):
        iter_catalogue_works(tmp_path / "x.csv", resolver=StubResolver())
    with pytest.raises(InputError, match="no such file"):
        iter_catalogue_works(tmp_path / "y.jsonl", resolver=StubResolver())


def test_picklable_before_iteration(tmp_path: Path) -> None:
    path = tmp_path / "works.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in ROWS))
    walk = pickle.loads(pickle.dumps(iter_catalogue_works(path, resolver=StubResolver())))
    assert len(list(walk)) == len(ROWS)


def test_image_rows_read_their_file_relative_to_the_catalogue(tmp_path: Path) -> None:
    """A ``path`` row is an image work (``mark`` when its kind says so); the file is read from
    beside the catalogue; a missing file is a bad row naming it, and reading goes on."""
    import shutil

    from skimage import data as skdata

    logo = Path(skdata.__file__).parent / "logo.png"
    (tmp_path / "img").mkdir()
    shutil.copy(logo, tmp_path / "img" / "logo.png")
    rows = [{"path": "img/logo.png", "holder": "scikit-image", "licence": "BSD-3-Clause",
             "kind": "mark"},
            {"path": "img/missing.png"},
            {"path": str(tmp_path / "img" / "logo.png"), "title": "again"}]
    path = tmp_path / "c.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), "utf-8")
    items = list(iter_catalogue_works(path, resolver=StubResolver()))
    mark, missing, again = items
    assert isinstance(mark, WorkInput) and isinstance(again, WorkInput)
    assert (mark.modality, mark.kind, mark.title, mark.holders, mark.licence) == (
        "image", "mark", "logo.png", ("scikit-image",), "BSD-3-Clause")
    assert mark.raw == logo.read_bytes() == again.raw
    assert mark.source.uri == (tmp_path / "img" / "logo.png").resolve().as_uri()
    assert (again.kind, again.title, again.licence) == ("image", "again", "NOASSERTION")
    assert isinstance(missing, Skipped)
    assert missing.reason.startswith(f"{path} row 2: image {tmp_path / 'img' / 'missing.png'} "
                                     "cannot be read")


def test_a_kind_that_is_not_a_string_is_a_row_error(tmp_path: Path) -> None:
    # a newcomer's row {"kind": ["poem"]} crashed the whole add (unhashable type)
    path = tmp_path / "rows.jsonl"
    rows = [{"text": "a verse", "kind": ["poem"]}, {"text": "b verse", "kind": {"k": 1}},
            {"text": "Plain text"}]
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    items = list(iter_catalogue_works(path, resolver=StubResolver()))
    assert [type(i).__name__ for i in items] == ["Skipped", "Skipped", "WorkInput"]
    assert "kind ['poem'] is not one of" in items[0].reason  # type: ignore[union-attr]
    assert "kind {'k': 1} is not one of" in items[1].reason  # type: ignore[union-attr]


def test_license_is_read_when_licence_is_null(tmp_path: Path) -> None:
    # a Parquet file with both columns has nulls in the one a row does not use
    path = tmp_path / "works.parquet"
    pq.write_table(pa.Table.from_pylist([
        {"text": "one", "licence": None, "license": "MIT"},
        {"text": "two", "licence": "CC0-1.0", "license": None},
        {"text": "three", "licence": None, "license": None}]), path)
    works = list(iter_catalogue_works(path, resolver=StubResolver()))
    assert [w.licence for w in works] == ["MIT", "CC0-1.0", "NOASSERTION"]  # type: ignore[union-attr]


@pytest.mark.parametrize("name", ["works.jsonl.gz", "works.ndjson.gz", "works.pq"])
def test_index_add_reads_every_catalogue_ending(tmp_path: Path, name: str) -> None:
    from rightsguard.index.sources import works_from

    path = tmp_path / name
    if name.endswith(".pq"):
        pq.write_table(pa.Table.from_pylist([{"text": "A short verse", "licence": "MIT"}]), path)
    else:
        with gzip.open(path, "wt") as fh:
            fh.write(json.dumps({"text": "A short verse", "licence": "MIT"}) + "\n")
    [work] = list(works_from(path))
    assert isinstance(work, WorkInput) and (work.raw, work.licence) == (b"A short verse", "MIT")
