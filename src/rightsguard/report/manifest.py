"""The audit manifest: ``manifest.parquet``, ``excluded.parquet`` and ``review.parquet``.

Files passed between stages have a schema and a version (STYLE.md habit 4). Each file's Arrow
schema carries the metadata ``rightsguard.manifest.version = 1`` and
``rightsguard.manifest.kind`` (``manifest`` | ``excluded`` | ``review``); a reader refuses a file
without them or with another version (:class:`~rightsguard.errors.InputError`).

``manifest.parquet`` — one row per item, in the order the items were written:

=============  =====================================================================
column         type and meaning (units as in :class:`rightsguard.model.Record`)
=============  =====================================================================
id             string, not null — ``<reader>:<input path>#<position>``
source         string, not null — URL or file path
host, domain   string — lower-case host, registrable domain (null for local files)
content_hash   string, not null — SHA-256 hex of the raw bytes
modality       string, not null — ``text`` | ``code`` | ``image`` | ``other``
size_tokens    int64 — rightsguard text tokens (text, code)
size_bytes     int64, not null — raw bytes
size_pixels    int64 — width × height (images)
media_type     string — e.g. ``text/html``
captured_at    string — ISO 8601 UTC capture time (WARC-Date)
error          string — why the item could not be read (null when it was read)
signals        list<struct{kind, carrier, value, scope, state, evidence, extractor}>
decisions      list<struct{jurisdiction, verdict, reasons list<struct{rule, provision, source,
               evidence}>}>
=============  =====================================================================

``excluded.parquet`` / ``review.parquet`` — one row per item **and jurisdiction** decided
``exclude`` / ``review``: ``id, source, host, domain, content_hash, modality, jurisdiction,
verdict, reasons`` (same types as above).

Writing is atomic and reproducible: rows go to ``<name>.tmp`` and the file is renamed into place
when the writer closes without error (a killed run never leaves a half-written file under the
final name). Rows are grouped into row groups of exactly ``row_group_rows`` rows (the last one
shorter) whatever the calls that fed them, so writing the items at once, or per shard into part
files (:meth:`ManifestWriter.for_part`) merged in shard order (:func:`merge_parts`), gives
byte-identical files — a resumed run re-writes only the missing parts and ends identical to an
uninterrupted one.

:class:`AuditRun` holds the facts of one audit run the report writers print next to the counts.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from rightsguard.errors import InputError
from rightsguard.model import AuditVerdict, Decision, Reason, Record, RightsSignal, Use

__all__ = [
    "DECIDED_SCHEMA",
    "MANIFEST_SCHEMA",
    "MANIFEST_VERSION",
    "TOKENIZER_NAME",
    "AuditRun",
    "ManifestWriter",
    "merge_parts",
    "part_done",
    "read_manifest",
    "record_from_row",
    "record_to_row",
    "write_text_atomic",
]

MANIFEST_VERSION = 1
#: The tokenizer the audit counts ``size_tokens`` with (rightsguard.fingerprint.text), named in
#: the EU summary as the AI Office template asks for the unit of its token counts.
TOKENIZER_NAME = ("rightsguard text tokenizer v1: NFKC+casefold, words, "
                  "one token per CJK character")

MANIFEST_FILE = "manifest.parquet"
EXCLUDED_FILE = "excluded.parquet"
REVIEW_FILE = "review.parquet"
PARTS_DIR = "_parts"
#: Rows per Parquet row group (the unit a reader streams; also the writer's memory bound).
ROW_GROUP_ROWS = 4096

_VERSION_KEY = b"rightsguard.manifest.version"
_KIND_KEY = b"rightsguard.manifest.kind"

SIGNAL_TYPE = pa.struct([
    pa.field(name, pa.string(), nullable=False)
    for name in ("kind", "carrier", "value", "scope", "state", "evidence", "extractor")
])
REASON_TYPE = pa.struct([
    pa.field(name, pa.string(), nullable=False)
    for name in ("rule", "provision", "source", "evidence")
])
DECISION_TYPE = pa.struct([
    pa.field("jurisdiction", pa.string(), nullable=False),
    pa.field("verdict", pa.string(), nullable=False),
    pa.field("reasons", pa.list_(REASON_TYPE), nullable=False),
])

_ITEM_FIELDS = [
    pa.field("id", pa.string(), nullable=False),
    pa.field("source", pa.string(), nullable=False),
    pa.field("host", pa.string()),
    pa.field("domain", pa.string()),
    pa.field("content_hash", pa.string(), nullable=False),
    pa.field("modality", pa.string(), nullable=False),
]


def _metadata(kind: str) -> dict[bytes, bytes]:
    return {_VERSION_KEY: str(MANIFEST_VERSION).encode(), _KIND_KEY: kind.encode()}


MANIFEST_SCHEMA = pa.schema([
    *_ITEM_FIELDS,
    pa.field("size_tokens", pa.int64()),
    pa.field("size_bytes", pa.int64(), nullable=False),
    pa.field("size_pixels", pa.int64()),
    pa.field("media_type", pa.string()),
    pa.field("captured_at", pa.string()),
    pa.field("error", pa.string()),
    pa.field("signals", pa.list_(SIGNAL_TYPE), nullable=False),
    pa.field("decisions", pa.list_(DECISION_TYPE), nullable=False),
], metadata=_metadata("manifest"))

DECIDED_SCHEMA = pa.schema([
    *_ITEM_FIELDS,
    pa.field("jurisdiction", pa.string(), nullable=False),
    pa.field("verdict", pa.string(), nullable=False),
    pa.field("reasons", pa.list_(REASON_TYPE), nullable=False),
], metadata=_metadata("excluded"))

_FILES: dict[str, tuple[str, pa.Schema]] = {
    "manifest": (MANIFEST_FILE, MANIFEST_SCHEMA),
    "excluded": (EXCLUDED_FILE, DECIDED_SCHEMA.with_metadata(_metadata("excluded"))),
    "review": (REVIEW_FILE, DECIDED_SCHEMA.with_metadata(_metadata("review"))),
}


@dataclass(frozen=True, slots=True)
class AuditRun:
    """Facts of one audit run, printed by the report writers next to the counts.

    * ``inputs``: the SOURCE arguments as given (paths or URLs), in order.
    * ``jurisdictions``: the profiles decided (``JP``, ``EU``, …), in the order requested.
    * ``use``: the :class:`~rightsguard.model.Use` the decisions were made for.
    * ``started_at`` / ``finished_at``: ISO 8601 UTC times of the run.
    * ``crawlers``: crawler names (user-agent tokens) that collected the crawled items — the
      ``--agent`` tokens; the EU summary lists them in section 2.3.
    * ``unreadable_inputs``: inputs the readers could not open at all (no item came from them);
      items that were opened but could not be read are counted from their ``error``.
    * ``tokenizer``: the tokenizer ``size_tokens`` was counted with.
    """

    inputs: tuple[str, ...]
    jurisdictions: tuple[str, ...]
    use: Use = field(default_factory=Use)
    started_at: str | None = None
    finished_at: str | None = None
    crawlers: tuple[str, ...] = ()
    unreadable_inputs: int = 0
    tokenizer: str = TOKENIZER_NAME

    def to_dict(self) -> dict[str, Any]:
        return {
            "inputs": list(self.inputs),
            "jurisdictions": list(self.jurisdictions),
            "use": {"purpose": self.use.purpose.value, "commercial": self.use.commercial,
                    "actor": self.use.actor, "agents": list(self.use.agents)},
            "started_at": self.started_at,
            "finished_at": self.finished_at,
            "crawlers": list(self.crawlers),
            "unreadable_inputs": self.unreadable_inputs,
            "tokenizer": self.tokenizer,
        }


# -- rows <-> records ----------------------------------------------------------------------------


def _reasons_rows(reasons: Iterable[Reason]) -> list[dict[str, str]]:
    return [{"rule": r.rule, "provision": r.provision, "source": r.source,
             "evidence": r.evidence} for r in reasons]


#: Manifest columns copied as they are between a Record and a row.
_SCALARS = ("id", "source", "host", "domain", "content_hash", "modality", "size_tokens",
            "size_bytes", "size_pixels", "media_type", "captured_at", "error")


def record_to_row(record: Record) -> dict[str, Any]:
    """The manifest row of ``record`` (a dict keyed by :data:`MANIFEST_SCHEMA`'s column names).

    ``headers``, ``content``, ``fields`` and ``origin`` are not part of the manifest."""
    row = {name: getattr(record, name) for name in _SCALARS}
    row["signals"] = [{"kind": s.kind, "carrier": s.carrier, "value": s.value, "scope": s.scope,
                       "state": s.state, "evidence": s.evidence, "extractor": s.extractor}
                      for s in record.signals]
    row["decisions"] = [{"jurisdiction": d.jurisdiction, "verdict": d.verdict,
                         "reasons": _reasons_rows(d.reasons)} for d in record.decisions]
    return row


def record_from_row(row: Mapping[str, Any]) -> Record:
    """The :class:`Record` a manifest row describes (inverse of :func:`record_to_row`).

    Raises ``KeyError`` when a column is missing and ``TypeError`` when a nested value is not a
    mapping (the reader turns both into :class:`InputError`)."""
    return Record(
        **{name: row[name] for name in _SCALARS},
        signals=tuple(RightsSignal(**s) for s in row["signals"] or ()),
        decisions=tuple(
            Decision(jurisdiction=d["jurisdiction"], verdict=d["verdict"],
                     reasons=tuple(Reason(**r) for r in d["reasons"] or ()))
            for d in row["decisions"] or ()),
    )


def _decided_rows(record: Record, verdict: AuditVerdict) -> list[dict[str, Any]]:
    return [{"id": record.id, "source": record.source, "host": record.host,
             "domain": record.domain, "content_hash": record.content_hash,
             "modality": record.modality, "jurisdiction": d.jurisdiction, "verdict": d.verdict,
             "reasons": _reasons_rows(d.reasons)}
            for d in record.decisions if d.verdict == verdict.value]


# -- writing --------------------------------------------------------------------------------------


class _AtomicParquet:
    """Rows buffered into row groups of exactly ``rows_per_group`` rows, written to
    ``<path>.tmp`` and renamed to ``path`` by :meth:`commit`."""

    def __init__(self, path: Path, schema: pa.Schema, rows_per_group: int) -> None:
        self.path = path
        self.tmp = path.with_name(path.name + ".tmp")
        self.schema = schema
        self.rows_per_group = rows_per_group
        self._rows: list[dict[str, Any]] = []
        self._tables: list[pa.Table] = []
        self._buffered = 0
        path.parent.mkdir(parents=True, exist_ok=True)
        self._writer = pq.ParquetWriter(self.tmp, schema)

    def add_rows(self, rows: list[dict[str, Any]]) -> None:
        self._rows.extend(rows)
        if len(self._rows) >= self.rows_per_group:
            self._stage(pa.Table.from_pylist(self._rows, schema=self.schema))
            self._rows = []

    def add_table(self, table: pa.Table) -> None:
        if self._rows:
            self._stage(pa.Table.from_pylist(self._rows, schema=self.schema))
            self._rows = []
        self._stage(table.replace_schema_metadata(self.schema.metadata))

    def _stage(self, table: pa.Table) -> None:
        self._tables.append(table)
        self._buffered += table.num_rows
        while self._buffered >= self.rows_per_group:
            self._flush(self.rows_per_group)

    def _flush(self, rows: int) -> None:
        staged = pa.concat_tables(self._tables)
        self._writer.write_table(staged.slice(0, rows), row_group_size=rows)
        rest = staged.slice(rows)
        self._tables = [rest] if rest.num_rows else []
        self._buffered = rest.num_rows

    def commit(self) -> None:
        if self._rows:
            self._stage(pa.Table.from_pylist(self._rows, schema=self.schema))
            self._rows = []
        if self._buffered:
            self._flush(self._buffered)
        self._writer.close()
        os.replace(self.tmp, self.path)

    def abort(self) -> None:
        self._writer.close()
        self.tmp.unlink(missing_ok=True)


class ManifestWriter:
    """Streams records into ``manifest.parquet``, ``excluded.parquet`` and ``review.parquet``
    under ``out_dir`` (or into one shard's part files, see :meth:`for_part`).

    Use as a context manager; the files appear (atomically) only when the block ends without an
    exception, otherwise the temporary files are removed. Memory: at most ``row_group_rows`` rows
    per file. ``record.content`` is not written.
    """

    def __init__(self, out_dir: str | os.PathLike[str], *, row_group_rows: int = ROW_GROUP_ROWS,
                 _names: Mapping[str, str] | None = None) -> None:
        if row_group_rows < 1:
            raise ValueError(f"row_group_rows must be at least 1, not {row_group_rows}")
        self.out_dir = Path(out_dir)
        names = _names or {kind: name for kind, (name, _) in _FILES.items()}
        self._files = {kind: _AtomicParquet(self.out_dir / names[kind], schema, row_group_rows)
                       for kind, (_, schema) in _FILES.items()}
        self.items = 0

    @classmethod
    def for_part(cls, out_dir: str | os.PathLike[str], shard: int, *,
                 row_group_rows: int = ROW_GROUP_ROWS) -> ManifestWriter:
        """A writer for shard ``shard`` (0-based): ``out_dir/_parts/<kind>-<shard:05d>.parquet``,
        merged by :func:`merge_parts`. Raises ``ValueError`` for a negative shard."""
        if shard < 0:
            raise ValueError(f"shard must be 0 or more, not {shard}")
        names = {kind: f"{PARTS_DIR}/{kind}-{shard:05d}.parquet" for kind in _FILES}
        return cls(out_dir, row_group_rows=row_group_rows, _names=names)

    def write(self, record: Record) -> None:
        """Add one item: its manifest row, and a row in ``excluded``/``review`` for each
        jurisdiction that decided it so."""
        self._files["manifest"].add_rows([record_to_row(record)])
        self._files["excluded"].add_rows(_decided_rows(record, AuditVerdict.EXCLUDE))
        self._files["review"].add_rows(_decided_rows(record, AuditVerdict.REVIEW))
        self.items += 1

    def write_all(self, records: Iterable[Record]) -> None:
        for record in records:
            self.write(record)

    def close(self) -> None:
        """Finish the files and move them into place."""
        for file in self._files.values():
            file.commit()

    def abort(self) -> None:
        """Drop the temporary files; nothing already in place is touched."""
        for file in self._files.values():
            file.abort()

    def __enter__(self) -> ManifestWriter:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        if exc_type is None:
            self.close()
        else:
            self.abort()


_PART = re.compile(r"^manifest-(\d{5,})\.parquet$")


def part_done(out_dir: str | os.PathLike[str], shard: int) -> bool:
    """True when shard ``shard``'s three part files are in place (a resumed run skips it)."""
    parts = Path(out_dir) / PARTS_DIR
    return all((parts / f"{kind}-{shard:05d}.parquet").is_file() for kind in _FILES)


def merge_parts(out_dir: str | os.PathLike[str], shards: int | None = None, *,
                row_group_rows: int = ROW_GROUP_ROWS, keep_parts: bool = False) -> int:
    """Concatenate the part files under ``out_dir/_parts`` in shard order into the three final
    files (atomically), then delete the parts unless ``keep_parts``. Returns the item count.

    ``shards``: the number of shards the run had; every shard ``0 … shards-1`` must be complete
    (otherwise :class:`InputError` names the missing ones). ``None`` merges the shards present.
    Parts of another manifest version are refused (:class:`InputError`).
    """
    out = Path(out_dir)
    parts = out / PARTS_DIR
    found = sorted(int(m.group(1)) for p in (parts.iterdir() if parts.is_dir() else ())
                   if (m := _PART.match(p.name)))
    wanted = list(range(shards)) if shards is not None else found
    missing = [s for s in wanted if not part_done(out, s)]
    if missing:
        raise InputError(f"{parts}: shard part files missing for shards "
                         f"{', '.join(map(str, missing))} of {len(wanted)}; re-run those shards")
    items = 0
    for kind, (name, schema) in _FILES.items():
        target = _AtomicParquet(out / name, schema, row_group_rows)
        try:
            for shard in wanted:
                path = parts / f"{kind}-{shard:05d}.parquet"
                source = _open(path, kind)
                for group in range(source.num_row_groups):
                    table = source.read_row_group(group)
                    target.add_table(table)
                    if kind == "manifest":
                        items += table.num_rows
        except BaseException:
            target.abort()
            raise
        target.commit()
    if not keep_parts:
        for kind in _FILES:
            for shard in wanted:
                (parts / f"{kind}-{shard:05d}.parquet").unlink()
        if parts.is_dir() and not any(parts.iterdir()):
            parts.rmdir()
    return items


def write_text_atomic(path: str | os.PathLike[str], text: str) -> None:
    """Write ``text`` (UTF-8) to ``<path>.tmp`` and rename it to ``path`` (parents created)."""
    target = Path(path)
    tmp = target.with_name(target.name + ".tmp")
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, target)


# -- reading --------------------------------------------------------------------------------------


def _open(path: Path, kind: str) -> pq.ParquetFile:
    try:
        source = pq.ParquetFile(path)
    except (OSError, pa.ArrowException) as exc:
        raise InputError(f"{path}: not a readable Parquet file ({exc})") from None
    meta = source.schema_arrow.metadata or {}
    version = meta.get(_VERSION_KEY)
    if version != str(MANIFEST_VERSION).encode():
        shown = version.decode("utf-8", "replace") if version else "none"
        raise InputError(f"{path}: rightsguard.manifest.version is {shown}; this rightsguard "
                         f"reads version {MANIFEST_VERSION}")
    found = meta.get(_KIND_KEY, b"").decode("utf-8", "replace")
    if found != kind:
        raise InputError(f"{path}: holds a rightsguard {found or 'unknown'} table, "
                         f"not a {kind} table")
    return source


def read_manifest(path: str | os.PathLike[str], *, batch_rows: int = 1024) -> Iterator[Record]:
    """Stream the records of a ``manifest.parquet`` (``path`` is the file or the ``--out``
    folder holding it), in file order, one row group batch at a time.

    The records carry everything the manifest holds (signals, decisions, sizes); ``headers``,
    ``content``, ``fields`` and ``origin`` are empty. Raises :class:`InputError` when the file is
    missing, not Parquet, of another manifest version or kind, or a row cannot be read back.
    """
    target = Path(path)
    if target.is_dir():
        target = target / MANIFEST_FILE
    if not target.is_file():
        raise InputError(f"{target}: no such manifest (expected an audit --out folder or a "
                         f"{MANIFEST_FILE} file)")
    source = _open(target, "manifest")
    try:
        for batch in source.iter_batches(batch_size=batch_rows):
            for row in batch.to_pylist():
                yield record_from_row(row)
    except (KeyError, TypeError, pa.ArrowException) as exc:
        raise InputError(f"{target}: a row cannot be read back as a record ({exc!r})") from None
