"""One command for all benchmarks: ``uv run python -m bench`` (or ``uv run python bench/run.py``).

Prints one table: each measure for Dolos (the anchor) and rightsguard in the same run, and the
ratio rightsguard / Dolos. The rightsguard column reads "n/a" (with the reason) while the public
API it uses is not there yet.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import traceback
from dataclasses import dataclass
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # `python bench/run.py`
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from rich.console import Console
from rich.table import Table

from bench import _rightsguard
from bench.corpus import real_code_corpus
from bench.scoring import BestScore, score_at, score_pairs
from bench.soco import (
    dolos_soco_scores,
    load_soco,
    rightsguard_soco_scores,
    rightsguard_soco_similarity,
)
from bench.throughput import Throughput, dolos_throughput, rightsguard_index_throughput


@dataclass
class Row:
    benchmark: str
    measure: str
    dolos: str
    rightsguard: str
    ratio: str
    data: dict[str, Any]


def _fmt_score(s: BestScore) -> str:
    return f"F1 {s.f1:.3f}  P {s.precision:.3f}  R {s.recall:.3f}  @ >= {s.threshold:.3g}"


def _ratio(rg: float | None, dolos: float | None) -> str:
    if rg is None or dolos is None or not dolos:
        return "-"
    return f"{rg / dolos:.2f}x"


def _rg_or_reason(fn: Any, *args: Any, **kwargs: Any) -> tuple[Any, str | None]:
    reason = _rightsguard.api_missing()
    if reason is not None:
        return None, reason
    try:
        return fn(*args, **kwargs), None
    except Exception as exc:  # report and go on: one failing side must not hide the other
        traceback.print_exc(file=sys.stderr)
        return None, f"failed: {type(exc).__name__}: {exc}"


def soco_rows(console: Console) -> list[Row]:
    rows = []
    for lang, data in load_soco().items():
        console.log(f"SOCO {lang}: {len(data.files)} files, Dolos ...")
        dolos_scores, run = dolos_soco_scores(data)
        console.log(f"SOCO {lang}: rightsguard ...")
        rg_scores, why = _rg_or_reason(rightsguard_soco_similarity, data.files, lang)
        cov_scores, _why = _rg_or_reason(rightsguard_soco_scores, data.files, lang)
        for label, truth in (("qrels", data.qrels), ("closure", data.closure)):
            d = score_pairs(dolos_scores, truth, data.all_pairs_count)
            r = score_pairs(rg_scores, truth, data.all_pairs_count) if rg_scores is not None \
                else None
            rows.append(Row(
                f"SOCO {lang} ({len(data.files)} files)",
                f"pairs vs {label} ({len(truth)}): best F1",
                _fmt_score(d), _fmt_score(r) if r else f"n/a ({why})",
                _ratio(r.f1 if r else None, d.f1),
                {"dolos": d._asdict(), "rightsguard": r._asdict() if r else None,
                 "dolos_similarity": "Pair.similarity",
                 "rightsguard_similarity": "Screener.similar_works (shared fingerprints)",
                 "dolos_kgram": [run.kgram_length, run.kgrams_in_window]}))
            if cov_scores is not None:  # verified matches' work coverage, best threshold
                c = score_pairs(cov_scores, truth, data.all_pairs_count)
                rows.append(Row(
                    f"SOCO {lang} ({len(data.files)} files)",
                    f"pairs vs {label}: rightsguard verified-match work coverage", "-",
                    _fmt_score(c), _ratio(c.f1, d.f1), {"rightsguard_coverage": c._asdict()}))
                a = score_at(cov_scores, truth, 1e-12)
                rows.append(Row(
                    f"SOCO {lang} ({len(data.files)} files)",
                    f"pairs vs {label}: rightsguard as reported (no threshold)", "-",
                    _fmt_score(a).split("  @")[0], "-",
                    {"rightsguard_as_reported": a._asdict()}))
    return rows


def throughput_rows(console: Console, subset_mb: float, timeout: float) -> list[Row]:
    corpus = real_code_corpus()
    counts = corpus.by_language()
    sizes = corpus.bytes_by_language()
    console.log(f"real-code corpus: {corpus.total_bytes / 1e6:.1f} MB in {len(corpus.files)} "
                "files (" + ", ".join(f"{k} {sizes[k] / 1e6:.1f} MB/{counts[k]}"
                                      for k in sorted(counts, key=lambda k: -sizes[k])) + ")")
    console.log(f"Dolos on a {subset_mb:g} MB Python subset ...")
    d, _, files = dolos_throughput(corpus, "python", int(subset_mb * 1e6), timeout=timeout)
    console.log("rightsguard on the same files ...")
    r, why = _rg_or_reason(rightsguard_index_throughput, files, "python")
    bench = f"index real Python ({d.bytes / 1e6:.1f} MB, {d.files} files)"

    def fmt(t: Throughput) -> str:
        return f"{t.mb_per_s:.2f} MB/s ({t.seconds:.1f} s; {t.note})"

    return [
        Row(bench, "indexing throughput", fmt(d),
            fmt(r) if r else f"n/a ({why})", _ratio(r.mb_per_s if r else None, d.mb_per_s),
            {"dolos": _tp_dict(d),
             "rightsguard": _tp_dict(r) if r else None}),
        Row(bench, "Dolos: index + all pairs",
            f"{d.bytes / 1e6 / (d.seconds + d.extra_seconds):.2f} MB/s "
            f"({d.seconds + d.extra_seconds:.1f} s; pairs {d.extra_seconds:.1f} s)",
            "- (indexes without comparing all pairs)", "-", {}),
        Row("real-code corpus", "size", f"{corpus.total_bytes / 1e6:.1f} MB, "
            f"{len(corpus.files)} files", "-", "-",
            {"bytes": corpus.total_bytes, "files": len(corpus.files),
             "files_by_language": dict(counts), "bytes_by_language": dict(sizes)}),
    ]


def _tp_dict(t: Throughput) -> dict[str, Any]:
    return {"files": t.files, "bytes": t.bytes, "seconds": t.seconds,
            "extra_seconds": t.extra_seconds, "mb_per_s": t.mb_per_s, "note": t.note}


def main(argv: list[str] | None = None) -> int:
    args_in = sys.argv[1:] if argv is None else argv
    if args_in[:1] == ["audit"]:  # `python -m bench audit ...` (bench/audit.py)
        from bench.audit import main as audit_main

        return audit_main(args_in[1:])
    if args_in[:1] == ["images"]:  # `python -m bench images ...` (bench/images.py)
        from bench.images import main as images_main

        return images_main(args_in[1:])
    ap = argparse.ArgumentParser(prog="python -m bench", description=__doc__,
                                 epilog="python -m bench audit [--limit-mb MB] ...: the audit "
                                        "benchmark (bench/audit.py), run on its own")
    ap.add_argument("--only", choices=["soco", "throughput"], help="run one benchmark")
    ap.add_argument("--subset-mb", type=float, default=20.0,
                    help="size of the Python subset for throughput (default 20)")
    ap.add_argument("--dolos-timeout", type=float, default=600.0,
                    help="seconds before Dolos throughput retries at half the size (default 600)")
    ap.add_argument("--json", type=Path, help="also write the figures to this JSON file")
    args = ap.parse_args(args_in)

    console = Console(stderr=True)
    t0 = time.perf_counter()
    rows: list[Row] = []
    if args.only in (None, "soco"):
        rows += soco_rows(console)
    if args.only in (None, "throughput"):
        rows += throughput_rows(console, args.subset_mb, args.dolos_timeout)

    table = Table(title="rightsguard vs Dolos (anchor), same run", show_lines=True)
    for col in ("benchmark", "measure", "Dolos", "rightsguard", "rg / Dolos"):
        table.add_column(col, overflow="fold")
    for row in rows:
        table.add_row(row.benchmark, row.measure, row.dolos, row.rightsguard, row.ratio)
    Console(width=max(160, Console().width)).print(table)
    console.log(f"done in {time.perf_counter() - t0:.0f} s")
    if args.json:
        args.json.write_text(json.dumps([r.__dict__ for r in rows], indent=2, default=str))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
