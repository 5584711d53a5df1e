"""Indexing throughput on the real-code subset: Dolos (in node) and rightsguard (in process).

Both sides get the same files. Dolos's figure is bytes / time of ``Dolos.analyzePaths`` (read,
parse, fingerprint, index) measured inside node; it then also builds every pair of files
(``Report.allPairs``, quadratic in the file count), reported separately. rightsguard's figure is
bytes / time of ``Index.add`` with the bytes already in memory.
"""

from __future__ import annotations

import inspect
import os
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench import _rightsguard
from bench.corpus import Corpus, SourceFile, subset
from bench.dolos_driver import DolosRun, DolosTimeout, run_dolos


@dataclass(frozen=True, slots=True)
class Throughput:
    tool: str
    files: int
    bytes: int
    seconds: float  # indexing only
    extra_seconds: float = 0.0  # Dolos: all pairs after indexing
    note: str = ""

    @property
    def mb_per_s(self) -> float:
        return self.bytes / 1e6 / self.seconds if self.seconds else float("nan")


def dolos_throughput(corpus: Corpus, language: str, max_bytes: int, *,
                     timeout: float = 600.0, min_bytes: int = 1_000_000
                     ) -> tuple[Throughput, DolosRun, list[SourceFile]]:
    """Dolos on the ``max_bytes`` subset; on a timeout, halve the size until it finishes.

    Returns the measurement, the raw run and the files it used (the rightsguard side should use
    the same files). The note says when the size had to be reduced.
    """
    size, note = max_bytes, ""
    while True:
        files = subset(corpus, language, size)
        try:
            run = run_dolos(language, [f.path for f in files], pairs="none", timeout=timeout)
        except DolosTimeout:
            if size // 2 < min_bytes:
                raise
            note = f"{size / 1e6:.0f} MB did not finish in {timeout:.0f} s; "
            size //= 2
            continue
        tp = Throughput("dolos", run.files, run.total_bytes, run.analyze_ms / 1e3,
                        run.pairs_ms / 1e3, note + f"Dolos {run.version}, node {run.node_version}")
        return tp, run, files


# --- rightsguard side -----------------------------------------------------------------------
# Uses the public API that is being written (rightsguard.Index.create / add). The runner calls
# it only when bench._rightsguard.api_missing() is None.

def _index_add_seconds(items: Sequence[Any], workers: int | None) -> tuple[float, Any, str]:
    """Seconds of one ``Index.add`` of ``items`` into a fresh temporary index, its summary and
    the workers it used (as the note shows them)."""
    from rightsguard import Index

    with tempfile.TemporaryDirectory(prefix="rightsguard-bench-index-") as tmp:
        idx = Index.create(Path(tmp) / "index")
        kwargs: dict[str, Any] = {}
        if workers is not None and "workers" in inspect.signature(idx.add).parameters:
            kwargs["workers"] = workers
        t0 = time.perf_counter()
        summary = idx.add(items, **kwargs)
        seconds = time.perf_counter() - t0
        close = getattr(idx, "close", None)
        if close is not None:
            close()
    used = str(kwargs["workers"]) if "workers" in kwargs else \
        f"default ({min(2, os.cpu_count() or 1)})"
    return seconds, summary, used


def rightsguard_index_throughput(files: Sequence[SourceFile], language: str, *,
                                 workers: int | None = 1,
                                 also_default: bool = True) -> Throughput:
    """Index ``files`` into a fresh temporary index; time ``Index.add`` only.

    ``workers=1`` keeps it to one core like Dolos (node is single-threaded here); pass None for
    the library default. With ``also_default`` (and ``workers`` not None) the same files are
    indexed once more with the library's default workers, and the note gives that figure too:
    ``workers=1; default workers (2): 5.12 MB/s, 3.9 s``. Reading the files happens before the
    clock starts.
    """
    items = [_rightsguard.work_input(f.path.read_bytes(), f.rel, language) for f in files]
    total = sum(len(it.raw) for it in items)
    seconds, summary, used = _index_add_seconds(items, workers)
    skipped = len(getattr(summary, "skipped", ()) or ())
    note = f"workers={used}"
    if skipped:
        note += f", {skipped} skipped"
    if also_default and workers is not None:
        d_seconds, _, d_used = _index_add_seconds(items, None)
        note += (f"; workers={d_used}: {total / 1e6 / d_seconds:.2f} MB/s, "
                 f"{d_seconds:.1f} s")
    return Throughput("rightsguard", len(items), total, seconds, note=note)
