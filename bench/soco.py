"""SOCO (FIRE 2014 source-code reuse, training set): pair P/R/F1 for Dolos and rightsguard.

The data stays in ``../shared/benchmarks/soco`` (never copied into the repo); files are written
to a temporary folder per language only for the duration of a run.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from bench import _rightsguard
from bench.dolos_driver import DolosRun, run_dolos
from bench.scoring import Pair, read_qrels, transitive_closure

SOCO_DIR = Path(os.environ.get("RIGHTSGUARD_BENCH_SOCO",
                               Path(__file__).resolve().parents[2] / "shared/benchmarks/soco"))
LANGUAGES = ("java", "c")


@dataclass(frozen=True, slots=True)
class SocoLanguage:
    """The SOCO programs of one language with their qrels, as given and transitively closed."""

    language: str
    files: dict[str, str]  # name -> source text
    qrels: set[Pair]
    closure: set[Pair]

    @property
    def all_pairs_count(self) -> int:
        n = len(self.files)
        return n * (n - 1) // 2


def load_soco(soco_dir: Path = SOCO_DIR) -> dict[str, SocoLanguage]:
    """Read soco.jsonl and the qrels; every qrel name must be a program of that language."""
    if not (soco_dir / "soco.jsonl").exists():
        raise FileNotFoundError(f"SOCO data not found in {soco_dir} (set RIGHTSGUARD_BENCH_SOCO)")
    files: dict[str, dict[str, str]] = {lang: {} for lang in LANGUAGES}
    with open(soco_dir / "soco.jsonl", encoding="utf-8") as fh:
        for line in fh:
            rec = json.loads(line)
            files[rec["language"]][rec["name"]] = rec["text"]
    out = {}
    for lang in LANGUAGES:
        qrels = read_qrels(soco_dir / f"SOCO14-{lang}.qrel")
        unknown = sorted({n for p in qrels for n in p} - files[lang].keys())
        if unknown:
            raise ValueError(f"SOCO14-{lang}.qrel names files not in soco.jsonl: {unknown}")
        out[lang] = SocoLanguage(lang, files[lang], qrels, transitive_closure(qrels))
    return out


@contextmanager
def written_out(files: dict[str, str]) -> Iterator[Path]:
    """A temporary folder holding ``files`` (name -> text, UTF-8, line endings kept)."""
    with tempfile.TemporaryDirectory(prefix="rightsguard-soco-") as tmp:
        for name, text in files.items():
            with open(Path(tmp) / name, "w", encoding="utf-8", newline="") as fh:
                fh.write(text)
        yield Path(tmp)


def dolos_soco_scores(data: SocoLanguage, *, metric: str = "similarity"
                      ) -> tuple[dict[Pair, float], DolosRun]:
    """Dolos on every file of one language: pair -> ``similarity`` (or ``longest``/``overlap``)."""
    with written_out(data.files) as folder:
        run = run_dolos(data.language, [folder / n for n in sorted(data.files)])
    scores = {frozenset((Path(p.left).name, Path(p.right).name)): float(getattr(p, metric))
              for p in run.pairs}
    return scores, run


# --- rightsguard side -----------------------------------------------------------------------
# Uses the public API that is being written (rightsguard.Index.create / add / screen). The
# runner calls it only when bench._rightsguard.api_missing() is None.

def rightsguard_soco_scores(files_by_name: dict[str, str], language: str, *,
                            metric: str = "work_coverage") -> dict[Pair, float]:
    """Index every file, screen each against the rest; pair -> max similarity of both directions.

    ``metric`` is a :class:`rightsguard.model.Match` field: ``work_coverage`` (default; fraction
    of the other file reproduced, like Dolos's similarity), ``output_coverage``,
    ``matched_tokens`` or ``matched_chars_nows``. Several matches of one work in one screening
    are combined by taking the largest. Files with identical bytes are one work in rightsguard
    (same work id), so such pairs are scored 1.0 directly (none in SOCO 2014 training).
    """
    from rightsguard import Index

    raws = {name: text.encode("utf-8") for name, text in files_by_name.items()}
    ids = {name: _rightsguard.work_id(raw) for name, raw in raws.items()}
    by_id: dict[str, list[str]] = {}
    for name, wid in ids.items():
        by_id.setdefault(wid, []).append(name)
    scores: dict[Pair, float] = {}
    for names in by_id.values():
        for i, a in enumerate(names):
            for b in names[i + 1:]:
                scores[frozenset((a, b))] = 1.0
    with tempfile.TemporaryDirectory(prefix="rightsguard-soco-index-") as tmp:
        idx = Index.create(Path(tmp) / "index")
        idx.add(_rightsguard.work_input(raws[n], n, language) for n in sorted(raws))
        screen = _rightsguard.screener_for(idx)
        for name in sorted(raws):
            matches = screen(files_by_name[name], language=language, name=name,
                             exclude_work_ids={ids[name]})
            for match in matches:
                for other in by_id.get(match.work.work_id, [match.work.title]):
                    if other == name:
                        continue
                    pair = frozenset((name, other))
                    value = float(getattr(match, metric))
                    if value > scores.get(pair, 0.0):
                        scores[pair] = value
        close = getattr(idx, "close", None)
        if close is not None:
            close()
    return scores


def rightsguard_soco_similarity(files_by_name: dict[str, str], language: str
                                ) -> dict[Pair, float]:
    """Pair score from ``Screener.similar_works``: per fingerprint stream (syntax-tree shape and
    exact tokens), 2 × shared / (prints of both files), averaged — the same kind of score as
    Dolos's ``Pair.similarity``; both directions are computed and the larger kept."""
    from rightsguard import Index, Screener

    raws = {name: text.encode("utf-8") for name, text in files_by_name.items()}
    ids = {name: _rightsguard.work_id(raw) for name, raw in raws.items()}
    name_of = {wid: name for name, wid in ids.items()}
    scores: dict[Pair, float] = {}
    with tempfile.TemporaryDirectory(prefix="rightsguard-soco-sim-") as tmp:
        idx = Index.create(Path(tmp) / "index")
        idx.add(_rightsguard.work_input(raws[n], n, language) for n in sorted(raws))
        screener = Screener(idx)
        for name in sorted(raws):
            for s in screener.similar_works(files_by_name[name], language=language,
                                            top=len(raws), exclude_work_ids=[ids[name]]):
                other = name_of.get(s.work.work_id)
                if other is not None and other != name:
                    pair = frozenset((name, other))
                    scores[pair] = max(scores.get(pair, 0.0), s.similarity)
        idx.close()
    return scores
