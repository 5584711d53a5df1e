from __future__ import annotations

import gzip
import hashlib
import io
import json
import struct
import zlib
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from PIL import Image

from rightsguard.corpus.records import (
    ColumnMap,
    image_pixels,
    modality_for_media_type,
    read_folder,
    read_jsonl,
    read_parquet,
    text_for_tokens,
)
from rightsguard.errors import InputError
from rightsguard.fingerprint.text import count_tokens


def _png(width: int, height: int) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), "red").save(out, "PNG")
    return out.getvalue()


def _png_header_only(width: int, height: int) -> bytes:
    """A PNG whose IHDR claims width × height (no pixel data): what a bomb looks like."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    chunk = b"IHDR" + ihdr
    return (b"\x89PNG\r\n\x1a\n" + struct.pack(">I", 13) + chunk
            + struct.pack(">I", zlib.crc32(chunk)) + struct.pack(">I", 0) + b"IEND"
            + struct.pack(">I", zlib.crc32(b"IEND")))


# -- folders ---------------------------------------------------------------------------------


def test_read_folder_modalities_sizes_ids(tmp_path: Path) -> None:
    root = tmp_path / "corpus"
    (root / "src").mkdir(parents=True)
    (root / ".git").mkdir()
    (root / ".git" / "HEAD").write_text("ref: x")
    (root / "notes.txt").write_text("Twinkle twinkle, little star")
    (root / "src" / "m.py").write_text("def f(x):\n    return x + 1\n")
    (root / "page.html").write_text("<html><body><p>Two words</p><script>a b c</script></html>")
    (root / "pic.png").write_bytes(_png(4, 3))
    (root / "noext").write_bytes(_png(2, 2))  # sniffed by its magic bytes
    (root / "bomb.png").write_bytes(_png_header_only(20_000, 10_000))
    (root / "blob.bin").write_bytes(b"\x00\x01\x02binary")
    (root / "huge.txt").write_text("x" * 300)
    records = {r.id.split("#", 1)[1]: r for r in read_folder(root, count_tokens=count_tokens,
                                                            max_bytes=200)}
    assert sorted(records) == ["blob.bin", "bomb.png", "huge.txt", "noext", "notes.txt",
                               "page.html", "pic.png", "src/m.py"]
    notes = records["notes.txt"]
    raw = b"Twinkle twinkle, little star"
    assert notes.id == f"folder:{root}#notes.txt" and notes.source == str(root / "notes.txt")
    assert (notes.modality, notes.size_bytes, notes.size_tokens) == ("text", len(raw), 4)
    assert notes.content_hash == hashlib.sha256(raw).hexdigest() and notes.content == raw
    assert notes.origin == {"format": "folder", "root": str(root), "path": "notes.txt"}
    assert (notes.host, notes.domain) == (None, None)
    code = records["src/m.py"]
    assert (code.modality, code.size_tokens) == ("code", 6)  # def f x return x 1
    assert (records["page.html"].modality, records["page.html"].size_tokens) == ("text", 2)
    assert (records["pic.png"].modality, records["pic.png"].size_pixels) == ("image", 12)
    assert records["pic.png"].media_type == "image/png"
    assert (records["noext"].modality, records["noext"].size_pixels) == ("image", 4)
    bomb = records["bomb.png"]
    assert bomb.error is not None and "decompression bomb refused by Pillow" in bomb.error
    assert records["blob.bin"].modality == "other" and records["blob.bin"].size_tokens is None
    huge = records["huge.txt"]
    assert huge.error == f"{root / 'huge.txt'}: 300 bytes is larger than the limit of 200 bytes"
    assert all(r.error is None for k, r in records.items() if k not in ("bomb.png", "huge.txt"))


def test_read_folder_one_file_and_missing(tmp_path: Path) -> None:
    file = tmp_path / "a.md"
    file.write_text("# Title\n")
    (only,) = read_folder(file)
    assert only.id == f"folder:{file}#a.md" and only.size_tokens is None  # no counter given
    (missing,) = read_folder(tmp_path / "nope")
    assert missing.id == f"folder:{tmp_path / 'nope'}#file"
    assert missing.error == f"{tmp_path / 'nope'}: no such file or folder"


def test_image_pixels_and_media_types() -> None:
    assert image_pixels(_png(5, 7)) == (35, None)
    assert image_pixels(b"<svg/>") == (None, "not an image format Pillow can identify")
    assert modality_for_media_type("text/html; charset=utf-8") == "text"
    assert modality_for_media_type("application/javascript") == "code"
    assert modality_for_media_type("image/webp") == "image"
    assert modality_for_media_type("application/octet-stream") == "other"
    assert modality_for_media_type(None) == "other"
    assert text_for_tokens(b"caf\xe9", "text/plain", "latin-1") == "café"
    assert text_for_tokens(b"\x00\x01", "text/plain") == ""


def test_text_for_tokens_reuses_a_tree_only_when_it_parsed_the_same_text() -> None:
    from selectolax.lexbor import LexborHTMLParser

    utf8 = ("<html><head><script>var x = 1;</script></head><body><p>caf\u00e9 cr\u00e8me</p>"
            "<template><p>hidden</p></template></body></html>").encode()
    tree = LexborHTMLParser(utf8, encoding=True)
    assert text_for_tokens(utf8, "text/html", "utf-8", tree=tree) == \
        text_for_tokens(utf8, "text/html", "utf-8") == "caf\u00e9 cr\u00e8me"
    assert tree.css("script") == []  # reused (and stripped)
    # <meta charset> makes the tree Cyrillic; decoded as the header's latin-1 the text differs
    cp1251 = ('<meta charset="windows-1251"><script>1</script>'
              '<p>\u041f\u0440\u0438\u0432\u0435\u0442</p>').encode("windows-1251")
    tree = LexborHTMLParser(cp1251, encoding=True)
    assert text_for_tokens(cp1251, "text/html", "latin-1", tree=tree) == \
        text_for_tokens(cp1251, "text/html", "latin-1") == "\u00cf\u00f0\u00e8\u00e2\u00e5\u00f2"
    assert len(tree.css("script")) == 1  # not used


# -- JSON Lines ------------------------------------------------------------------------------


ROWS: list[dict[str, object]] = [
    {"text": "Hello there world", "url": "https://News.Example.co.uk/a", "license": "CC-BY-4.0",
     "title": "Greeting", "timestamp": "2024-05-01T00:00:00Z", "lang": "en"},
    {"text": None, "url": "https://example.org/b"},
    {"text": "no url here", "meta": {"k": [1, 2]}},
]


def test_read_jsonl_adapter_errors_and_offsets(tmp_path: Path) -> None:
    path = tmp_path / "d.jsonl"
    lines = [json.dumps(ROWS[0]), "", "{broken", json.dumps(ROWS[1]), "[1, 2]",
             json.dumps(ROWS[2])]
    data = ("\n".join(lines) + "\n").encode()
    path.write_bytes(data)
    records = list(read_jsonl(path, count_tokens=count_tokens))
    assert [r.id for r in records] == [f"jsonl:{path}#{n}" for n in (1, 3, 4, 5, 6)]
    first, broken, no_text, array, last = records
    assert first.source == "https://News.Example.co.uk/a"
    assert (first.host, first.domain) == ("news.example.co.uk", "example.co.uk")
    assert first.content == b"Hello there world" and first.size_tokens == 3
    assert first.fields == {"licence": "CC-BY-4.0", "title": "Greeting", "lang": "en"}
    assert first.captured_at == "2024-05-01T00:00:00Z" and first.modality == "text"
    assert first.origin == {"format": "jsonl", "path": str(path), "line": 1, "offset": 0,
                            "length": len(lines[0]) + 1}
    assert broken.error is not None and broken.error.startswith(f"{path} line 3: invalid JSON")
    assert no_text.error == f"{path} jsonl row 4: 'text' has no value, expected text"
    assert no_text.host == "example.org"
    assert array.error == f"{path} line 5: expected a JSON object, got list"
    assert last.source == str(path) and last.fields == {"meta": {"k": [1, 2]}}
    offset = last.origin["offset"]
    assert data[offset:offset + last.origin["length"]] == (json.dumps(ROWS[2]) + "\n").encode()


def test_read_jsonl_user_mapping_code_gzip_and_long_lines(tmp_path: Path) -> None:
    path = tmp_path / "c.jsonl.gz"
    rows = [{"body": "x = 1", "link": "http://a.com/x.py", "code": "ignored"},
            {"body": "y" * 50, "link": "http://a.com/y"},
            {"body": "z = 2", "link": "http://a.com/z.py"}]
    with gzip.open(path, "wt") as fh:
        fh.write("\n".join(json.dumps(r) for r in rows) + "\n")
    columns = ColumnMap.from_mapping({"content": "body", "url": "link"}, modality="code")
    first, long, last = read_jsonl(path, columns, max_line_bytes=70)  # lines of 66, 89, 45 bytes
    assert (first.content, first.modality, first.source) == (b"x = 1", "code", "http://a.com/x.py")
    assert first.fields == {"code": "ignored"}
    assert long.error is not None and "89 bytes is longer than the limit of 70 bytes" in long.error
    assert long.id == f"jsonl:{path}#2" and last.id == f"jsonl:{path}#3"
    assert last.content == b"z = 2"


def test_column_map_validation() -> None:
    with pytest.raises(ValueError, match=r"unknown column role 'body'.*modality must be"):
        ColumnMap.from_mapping({"body": "text"}, modality="audio")
    with pytest.raises(InputError, match=r"no content column .*columns are a, b"):
        ColumnMap().resolve(["b", "a"])
    assert ColumnMap().resolve(["code", "license", "url"]) == {
        "content": "code", "url": "url", "licence": "license"}
    assert ColumnMap().modality_of("code") == "code"
    assert ColumnMap().modality_of("content") == "text"


def test_a_mapped_column_that_is_absent_is_an_error_not_a_row_without_it(
        tmp_path: Path) -> None:
    """``--column url=link`` on rows whose URL column is ``url``: each row is an error (review),
    not a row without a URL (which no host file or list can reach)."""
    cols = ColumnMap.from_mapping({"url": "link"})
    with pytest.raises(InputError, match=r"^no column 'link' \(mapped to url\); columns are "
                                         r"text, url$"):
        cols.resolve(["url", "text"])
    assert cols.resolve(["text", "link"]) == {"content": "text", "url": "link"}
    path = tmp_path / "c.jsonl"
    path.write_text(json.dumps({"text": "a b", "url": "https://a.test/1"}) + "\n"
                    + json.dumps({"text": "c d", "link": "https://b.test/2"}) + "\n")
    first, second = read_jsonl(path, cols)
    assert first.error == (f"{path} line 1: no column 'link' (mapped to url); columns are "
                           "text, url")
    assert second.error is None and second.host == "b.test"
    table = tmp_path / "c.parquet"
    pq.write_table(pa.table({"text": ["a"], "meta.url": ["https://a.test/"]}), table)
    (only,) = read_parquet(table, ColumnMap.from_mapping({"url": "meta"}))
    assert only.error == (f"{table}: no column 'meta' (mapped to url); columns are meta.url, "
                          "text")


def test_read_jsonl_no_content_column_and_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "n.jsonl"
    path.write_text(json.dumps({"body": "x"}) + "\n")
    (only,) = read_jsonl(path)
    assert only.error is not None and "no content column (one of text, content, code)" in only.error
    (missing,) = read_jsonl(tmp_path / "none.jsonl")
    assert missing.id.endswith("#file") and missing.error is not None


# -- Parquet ---------------------------------------------------------------------------------


def test_read_parquet_row_groups_adapter(tmp_path: Path) -> None:
    path = tmp_path / "d.parquet"
    table = pa.table({"content": ["alpha beta", "gamma", None, "delta epsilon zeta"],
                      "url": ["https://a.example.com/1", None, "https://b.org/3", None],
                      "licence": ["MIT", None, None, "GPL-3.0-only"],
                      "stars": [5, 6, 7, 8]})
    pq.write_table(table, path, row_group_size=2)
    records = list(read_parquet(path, count_tokens=count_tokens, batch_rows=1))
    assert [r.id for r in records] == [f"parquet:{path}#{i}" for i in range(4)]
    assert [r.size_tokens for r in records] == [2, 1, None, 3]
    assert records[0].fields == {"licence": "MIT", "stars": 5}
    assert (records[0].host, records[0].domain) == ("a.example.com", "example.com")
    assert records[1].source == str(path)
    assert records[2].error == f"{path} parquet row 2: 'content' has no value, expected text"
    assert records[3].origin == {"format": "parquet", "path": str(path), "row": 3,
                                 "row_group": 1, "row_in_group": 1}


def test_read_parquet_bad_files(tmp_path: Path) -> None:
    bad = tmp_path / "bad.parquet"
    bad.write_bytes(b"PAR1 not really")
    (only,) = read_parquet(bad)
    assert only.id == f"parquet:{bad}#file"
    assert only.error is not None and only.error.startswith(f"{bad}: not a readable Parquet")
    nocontent = tmp_path / "n.parquet"
    pq.write_table(pa.table({"body": ["x"]}), nocontent)
    (only,) = read_parquet(nocontent)
    assert only.error is not None and "no content column" in only.error


def test_each_jsonl_row_has_its_own_columns(tmp_path: Path) -> None:
    """A first row without "url" made every later row's URL (and capture time, and a licence
    spelt "license") unread: those rows lost their host, so no robots.txt or list reached them."""
    path = tmp_path / "m.jsonl"
    rows = [{"text": "first row"},
            {"text": "second", "url": "https://www.pirate.example/a",
             "captured_at": "2025-01-02T00:00:00Z", "license": "MIT"},
            {"text": "third", "url": "https://b.example/c", "licence": "CC-BY-4.0"}]
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    first, second, third = read_jsonl(path)
    assert (first.host, first.source) == (None, str(path))
    assert (second.host, second.captured_at) == ("www.pirate.example", "2025-01-02T00:00:00Z")
    assert second.fields == {"licence": "MIT"}
    assert (third.host, third.fields) == ("b.example", {"licence": "CC-BY-4.0"})


def test_links_out_of_the_folder_and_fifos_are_not_read(tmp_path: Path) -> None:
    """A symbolic link in a corpus folder to /etc/passwd was read and copied into filtered/;
    a FIFO would block the audit forever."""
    import os

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "a.txt").write_text("own text", "utf-8")
    (corpus / "inner.txt").symlink_to(corpus / "a.txt")  # inside: read
    outside = tmp_path / "secret.txt"
    outside.write_text("not part of the corpus", "utf-8")
    (corpus / "leak.txt").symlink_to(outside)
    os.mkfifo(corpus / "pipe")
    records = {Path(r.source).name: r for r in read_folder(corpus)}
    assert records["a.txt"].content == b"own text"
    assert records["inner.txt"].content == b"own text"
    assert records["leak.txt"].content is None
    assert records["leak.txt"].error == (f"{corpus / 'leak.txt'}: a symbolic link to {outside},"
                                         " outside the corpus folder: not read")
    assert records["pipe"].error == f"{corpus / 'pipe'}: not a regular file: not read"
