"""Folder, JSONL and Parquet inputs through one audit (issue #3 part 2): items, decisions, and
the filtered data in each input's format — the original JSONL lines, Parquet rows and files of
the allowed items, byte for byte.

Decisions by hand (law.md §7, use U2: train-general, commercial, company), EU then US:

* no opt-out, no licence limit → EU Art. 4 allow, US fair use allow;
* a machine-readable opt-out (robots.txt ``Disallow: /``, IPTC ``DMI-PROHIBITED-AIMLTRAINING``)
  → EU exclude (Art. 4(3)), US review (honoured by policy);
* CC BY-NC for a commercial use → EU allow (a licence is not a TDM opt-out), US review;
* a URL whose host has no robots.txt → EU review (reservation unknown), US allow;
* local files have no URL, so no carrier is required (Art. 4(3) speaks of content "made publicly
  available online"): no signal = not reserved.
"""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from PIL import Image

from rightsguard.audit.run import audit
from rightsguard.pipeline.local import LocalExecutor
from rightsguard.report.manifest import read_manifest

HOSTS = Path(__file__).parent / "data" / "hosts"

JSONL_ROWS: list[dict[str, Any]] = [
    {"url": "https://open.example/a", "text": "Open page one.", "license": "CC-BY-4.0"},
    {"url": "https://closed.example/b", "text": "Closed page."},
    {"text": "A row without a URL.", "title": "local"},
    {"url": "https://open.example/c", "text": "Open page two.", "license": "CC-BY-NC-4.0"},
    {"url": "https://nohost.example/d", "text": "A host without robots.txt."},
]
#: EU, US verdicts of the JSONL rows (module docstring)
JSONL_VERDICTS = [("allow", "allow"), ("exclude", "review"), ("allow", "allow"),
                  ("allow", "review"), ("review", "allow")]
PARQUET_ROWS: list[dict[str, Any]] = [
    {"url": "https://open.example/p1", "text": "Parquet row one.", "n": 1},
    {"url": "https://closed.example/p2", "text": "Parquet row two.", "n": 2},
    {"url": None, "text": "Parquet row three, no URL.", "n": 3},
]
PARQUET_VERDICTS = [("allow", "allow"), ("exclude", "review"), ("allow", "allow")]
IPTC_XMP = (
    '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF '
    'xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description rdf:about="" '
    'xmlns:plus="http://ns.useplus.org/ldf/xmp/1.0/" plus:DataMining='
    '"http://ns.useplus.org/ldf/vocab/DMI-PROHIBITED-AIMLTRAINING"/></rdf:RDF></x:xmpmeta>')
FOLDER_FILES: dict[str, bytes] = {
    "lib.py": b"# SPDX-License-Identifier: MIT\ndef add(a, b):\n    return a + b\n",
    "nc.txt": b"Licensed under https://creativecommons.org/licenses/by-nc/4.0/ only.\n",
    "notes/readme.txt": b"Plain notes without any rights statement.\n",
}
FOLDER_VERDICTS = {"lib.py": ("allow", "allow"), "nc.txt": ("allow", "review"),
                   "notes/readme.txt": ("allow", "allow"), "photo.png": ("exclude", "review")}


def png_with_xmp(xmp: str) -> bytes:
    """A 4×3 PNG with an iTXt XML:com.adobe.xmp chunk (Pillow)."""
    from PIL import PngImagePlugin

    info = PngImagePlugin.PngInfo()
    info.add_itxt("XML:com.adobe.xmp", xmp)
    out = io.BytesIO()
    Image.new("RGB", (4, 3)).save(out, "PNG", pnginfo=info)
    return out.getvalue()


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    root = tmp_path_factory.mktemp("formats")
    folder = root / "files"
    for rel, data in FOLDER_FILES.items():
        (folder / rel).parent.mkdir(parents=True, exist_ok=True)
        (folder / rel).write_bytes(data)
    (folder / "photo.png").write_bytes(png_with_xmp(IPTC_XMP))
    jsonl = root / "rows.jsonl"
    lines = [json.dumps(r) + "\n" for r in JSONL_ROWS]
    jsonl.write_text("".join(lines), encoding="utf-8")
    parquet = root / "rows.parquet"
    pq.write_table(pa.Table.from_pylist(PARQUET_ROWS), parquet)
    result = audit([folder, jsonl, parquet], out=root / "out", jurisdictions=("EU", "US"),
                   hosts=[HOSTS], executor=LocalExecutor(workers=2))
    records = {r.id: r for r in read_manifest(root / "out")}
    return {"root": root, "folder": folder, "jsonl": jsonl, "parquet": parquet, "lines": lines,
            "out": root / "out", "records": records, "result": result}


def verdicts(run: dict[str, Any], rid: str) -> tuple[str, ...]:
    return tuple(d.verdict for d in run["records"][rid].decisions)


def test_items_and_decisions(run: dict[str, Any]) -> None:
    folder, jsonl, parquet = run["folder"], run["jsonl"], run["parquet"]
    # a folder is walked depth first, files before sub-folders, names sorted
    walk = ["lib.py", "nc.txt", "photo.png", "notes/readme.txt"]
    ids = ([f"folder:{folder}#{rel}" for rel in walk]
           + [f"jsonl:{jsonl}#{n}" for n in range(1, 6)]
           + [f"parquet:{parquet}#{n}" for n in range(3)])
    assert list(run["records"]) == ids  # inputs in order, items in reader order
    for rel, want in FOLDER_VERDICTS.items():
        assert verdicts(run, f"folder:{folder}#{rel}") == want, rel
    for n, want in enumerate(JSONL_VERDICTS, start=1):
        assert verdicts(run, f"jsonl:{jsonl}#{n}") == want, n
    for n, want in enumerate(PARQUET_VERDICTS):
        assert verdicts(run, f"parquet:{parquet}#{n}") == want, n
    photo = run["records"][f"folder:{folder}#photo.png"]
    assert (photo.modality, photo.size_pixels, photo.host) == ("image", 12, None)
    assert [(s.kind, s.carrier, s.value, s.state) for s in photo.signals] == [
        ("iptc-data-mining", "xmp", "DMI-PROHIBITED-AIMLTRAINING", "reserved")]
    code = run["records"][f"folder:{folder}#lib.py"]
    assert code.modality == "code"
    assert [(s.kind, s.value) for s in code.signals] == [
        ("licence", "MIT"), ("licence-class", "commercial")]
    closed = run["records"][f"jsonl:{jsonl}#2"]
    assert (closed.source, closed.host) == ("https://closed.example/b", "closed.example")
    first = closed.signals[0]
    assert (first.kind, first.value, first.scope, first.state) == (
        "robots", "disallow /", "*", "reserved")
    assert closed.signals[0].evidence.startswith(
        f"robots.txt of closed.example (HTTP 200, captured at an unknown time) from "
        f"{HOSTS / 'closed.example' / 'robots.txt'}: ")
    nc = run["records"][f"jsonl:{jsonl}#4"]
    assert [(s.kind, s.carrier, s.value) for s in nc.signals[1:]] == [
        ("licence", "catalogue", "CC-BY-NC-4.0"),
        ("licence-class", "catalogue", "non-commercial")]
    unknown = run["records"][f"jsonl:{jsonl}#5"]
    assert [(s.kind, s.value, s.state) for s in unknown.signals] == [
        ("robots", "no robots.txt record", "unknown")]


def allowed(rows: list[tuple[str, str]], j: str) -> list[int]:
    i = ("EU", "US", "ALL").index(j)
    return [n for n, v in enumerate(rows)
            if (v[i] == "allow" if i < 2 else v == ("allow", "allow"))]


@pytest.mark.parametrize("j", ["EU", "US", "ALL"])
def test_filtered_sets_in_the_input_format(run: dict[str, Any], j: str) -> None:
    out = run["out"] / "filtered" / j
    assert sorted(p.name for p in out.iterdir()) == ["data", "data.jsonl", "data.parquet"]
    # the original JSONL lines, byte for byte
    assert (out / "data.jsonl").read_text("utf-8") == "".join(
        run["lines"][n] for n in allowed(JSONL_VERDICTS, j))
    # the original Parquet rows, with the input's schema
    table = pq.read_table(out / "data.parquet")
    assert table.schema.remove_metadata() == pq.read_schema(run["parquet"]).remove_metadata()
    assert table.to_pylist() == [PARQUET_ROWS[n] for n in allowed(PARQUET_VERDICTS, j)]
    # the original files at their relative paths
    names = sorted(FOLDER_VERDICTS)
    keep = [names[n] for n in allowed([FOLDER_VERDICTS[r] for r in names], j)]
    found = sorted(p.relative_to(out / "data").as_posix()
                   for p in (out / "data").rglob("*") if p.is_file())
    assert found == keep
    for rel in keep:
        assert (out / "data" / rel).read_bytes() == (run["folder"] / rel).read_bytes()


def test_counts_and_eu_summary_inputs(run: dict[str, Any]) -> None:
    report = run["result"].report
    every = [*FOLDER_VERDICTS.values(), *JSONL_VERDICTS, *PARQUET_VERDICTS]
    for i, j in enumerate(("EU", "US")):
        assert report["decisions"][j] == {v: sum(1 for x in every if x[i] == v)
                                          for v in ("allow", "review", "exclude")}
    assert report["decisions"]["EU"] == {"allow": 8, "review": 1, "exclude": 3}
    doc = json.loads((run["out"] / "eu-summary.json").read_text("utf-8"))
    # no item has a capture time: nothing counts as crawled; every input is listed under 2.6
    # (to classify), with the items allowed in the EU
    assert doc["sections"]["2.3"]["crawlers_used"] is False
    assert [(u["input"], u["items"]) for u in doc["sections"]["2.6"]["unclassified_inputs"]] == [
        (str(run["folder"]), 3), (str(run["jsonl"]), 3), (str(run["parquet"]), 2)]


def test_a_list_of_licences_is_read(tmp_path: Path) -> None:
    """Hugging Face's "licenses": ["cc-by-nc-4.0"] was dropped (only strings were read), so the
    US rule for non-commercial licences never saw it."""
    cat = tmp_path / "l.jsonl"
    cat.write_text(json.dumps({"text": "a row of text " * 5, "licenses": ["cc-by-nc-4.0"]})
                   + "\n", "utf-8")
    audit([cat], out=tmp_path / "out", jurisdictions=["US"])
    (row,) = pq.read_table(tmp_path / "out" / "manifest.parquet").to_pylist()
    licences = [(s["kind"], s["value"]) for s in row["signals"] if s["kind"].startswith("licence")]
    assert ("licence", "CC-BY-NC-4.0") in licences
    assert ("licence-class", "non-commercial") in licences
