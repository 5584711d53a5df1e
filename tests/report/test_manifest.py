"""manifest.parquet / excluded.parquet / review.parquet on the hand-built corpus in data/audit."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from audit_records import load_records

from rightsguard.errors import InputError
from rightsguard.model import Decision, Reason, Record, RightsSignal
from rightsguard.report.manifest import (
    MANIFEST_SCHEMA,
    ManifestWriter,
    merge_parts,
    part_done,
    read_manifest,
)

DATA = Path(__file__).parent / "data" / "audit"




def write(out: Path, records: list[Record], rows: int = 4) -> None:
    with ManifestWriter(out, row_group_rows=rows) as writer:
        writer.write_all(records)


def test_rows_read_back_as_the_records(tmp_path: Path) -> None:
    records = load_records()
    write(tmp_path, records)
    assert list(read_manifest(tmp_path)) == records
    assert list(read_manifest(tmp_path / "manifest.parquet")) == records
    first = records[0]
    assert first.signals[1] == RightsSignal(
        kind="tdmrep", carrier="http-header", value="1", scope="*", state="reserved",
        evidence="header tdm-reservation: 1", extractor="rightsguard.signals.tdmrep")
    assert first.decisions[0] == Decision("EU", "exclude", (Reason(
        "EU/s3-opt-out", "Directive (EU) 2019/790 Art. 4(3)",
        "https://eur-lex.europa.eu/eli/dir/2019/790/oj", "robots.txt disallow / for GPTBot"),))


def test_schema_is_versioned_with_the_issue_columns(tmp_path: Path) -> None:
    write(tmp_path, load_records())
    schema = pq.read_schema(tmp_path / "manifest.parquet")
    assert schema.metadata[b"rightsguard.manifest.version"] == b"1"
    assert schema.metadata[b"rightsguard.manifest.kind"] == b"manifest"
    assert schema.names == [
        "id", "source", "host", "domain", "content_hash", "modality", "size_tokens",
        "size_bytes", "size_pixels", "media_type", "captured_at", "error", "signals",
        "decisions"]
    signal = schema.field("signals").type.value_type
    assert [f.name for f in signal] == ["kind", "carrier", "value", "scope", "state",
                                        "evidence", "extractor"]
    decision = schema.field("decisions").type.value_type
    assert [f.name for f in decision] == ["jurisdiction", "verdict", "reasons"]
    assert [f.name for f in decision.field("reasons").type.value_type] == [
        "rule", "provision", "source", "evidence"]
    table = pq.read_table(tmp_path / "manifest.parquet")
    assert table.num_rows == 13
    assert table.column("size_pixels").to_pylist()[2] == 1920 * 1080
    assert table.column("error").to_pylist()[6] == "truncated gzip member at byte 300000"


def test_excluded_and_review_hold_one_row_per_item_and_jurisdiction(tmp_path: Path) -> None:
    write(tmp_path, load_records())
    excluded = pq.read_table(tmp_path / "excluded.parquet").to_pylist()
    assert [(r["id"], r["jurisdiction"], r["verdict"]) for r in excluded] == [
        ("warc:crawl.warc.gz#0", "EU", "exclude"),
        ("warc:crawl.warc.gz#230000", "EU", "exclude"),
        ("warc:crawl.warc.gz#280000", "EU", "exclude"),
        ("warc:crawl.warc.gz#280000", "JP", "exclude"),
    ]
    assert excluded[3]["reasons"] == [{
        "rule": "JP/dataset-for-sale", "provision": "Copyright Act Art. 30-4 proviso",
        "source": "https://www.bunka.go.jp/english/policy/copyright/pdf/94055801_01.pdf",
        "evidence": "dataset-for-sale list: seller.test"}]
    assert excluded[1]["domain"] == "shadow-lib.test"
    review = pq.read_table(tmp_path / "review.parquet")
    assert review.schema.metadata[b"rightsguard.manifest.kind"] == b"review"
    assert [(r["id"].split("#")[1], r["jurisdiction"]) for r in review.to_pylist()] == [
        ("0", "JP"), ("9000", "EU"), ("9000", "JP"), ("210000", "EU"), ("230000", "JP"),
        ("300000", "EU"), ("300000", "JP")]


def test_row_groups_have_the_fixed_size(tmp_path: Path) -> None:
    write(tmp_path, load_records(), rows=4)
    meta = pq.ParquetFile(tmp_path / "manifest.parquet").metadata
    assert [meta.row_group(i).num_rows for i in range(meta.num_row_groups)] == [4, 4, 4, 1]


def test_a_failed_write_leaves_nothing_under_the_final_names(tmp_path: Path) -> None:
    records = load_records()
    with pytest.raises(RuntimeError), ManifestWriter(tmp_path) as writer:
        writer.write_all(records[:3])
        raise RuntimeError("killed")
    assert sorted(p.name for p in tmp_path.iterdir()) == []


def test_parts_merged_in_shard_order_equal_a_direct_write_byte_for_byte(tmp_path: Path) -> None:
    records = load_records()
    direct, sharded = tmp_path / "direct", tmp_path / "sharded"
    write(direct, records)
    shards = [records[:5], records[5:8], records[8:]]
    # shard 1 is killed half-way, then re-run (a resumed audit)
    with pytest.raises(RuntimeError), ManifestWriter.for_part(sharded, 1,
                                                              row_group_rows=4) as writer:
        writer.write_all(shards[1][:2])
        raise RuntimeError("SIGKILL stand-in")
    for shard in (2, 0):
        with ManifestWriter.for_part(sharded, shard, row_group_rows=4) as writer:
            writer.write_all(shards[shard])
    assert [part_done(sharded, s) for s in range(3)] == [True, False, True]
    with pytest.raises(InputError, match="missing for shards 1 of 3"):
        merge_parts(sharded, 3, row_group_rows=4)
    with ManifestWriter.for_part(sharded, 1, row_group_rows=4) as writer:
        writer.write_all(shards[1])
    assert merge_parts(sharded, 3, row_group_rows=4) == 13
    for name in ("manifest.parquet", "excluded.parquet", "review.parquet"):
        assert (sharded / name).read_bytes() == (direct / name).read_bytes(), name
    assert not (sharded / "_parts").exists()
    assert list(read_manifest(sharded)) == records


def test_reader_refuses_other_versions_and_non_parquet(tmp_path: Path) -> None:
    old = MANIFEST_SCHEMA.with_metadata({b"rightsguard.manifest.version": b"2",
                                         b"rightsguard.manifest.kind": b"manifest"})
    pq.write_table(pa.Table.from_pylist([], schema=old), tmp_path / "v2.parquet")
    with pytest.raises(InputError, match=r"version is 2; this rightsguard reads version 1"):
        list(read_manifest(tmp_path / "v2.parquet"))
    (tmp_path / "junk.parquet").write_bytes(b"PAR1 not really")
    with pytest.raises(InputError, match="not a readable Parquet file"):
        list(read_manifest(tmp_path / "junk.parquet"))
    with pytest.raises(InputError, match="no such manifest"):
        list(read_manifest(tmp_path / "missing"))
    write(tmp_path / "out", load_records())
    with pytest.raises(InputError, match="holds a rightsguard review table, not a manifest"):
        list(read_manifest(tmp_path / "out" / "review.parquet"))


def test_empty_run_writes_empty_versioned_files(tmp_path: Path) -> None:
    write(tmp_path, [])
    assert list(read_manifest(tmp_path)) == []
    assert pq.read_table(tmp_path / "excluded.parquet").num_rows == 0
