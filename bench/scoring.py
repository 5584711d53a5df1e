"""Pair-level precision / recall / F1 with a threshold sweep, and qrel helpers.

Everything here is pure Python and tool-agnostic: a tool's output is a mapping from an unordered
file pair (``frozenset`` of two names) to a similarity score (higher = more alike); the truth is a
set of such pairs.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import NamedTuple

Pair = frozenset[str]


class BestScore(NamedTuple):
    """The best F1 point of a sweep: pairs with ``score >= threshold`` are predicted as reuse.

    ``precision``, ``recall`` and ``f1`` are fractions in ``[0, 1]``; ``tp``/``fp``/``fn`` count
    pairs. ``threshold`` is ``inf`` (nothing predicted) when no positive threshold helps.
    """

    threshold: float
    precision: float
    recall: float
    f1: float
    tp: int
    fp: int
    fn: int


def _f1(p: float, r: float) -> float:
    return 2 * p * r / (p + r) if p + r else 0.0


def score_at(scored_pairs: Mapping[Pair, float], truth: set[Pair], threshold: float) -> BestScore:
    """Precision / recall / F1 when every pair with ``score >= threshold`` is predicted."""
    predicted = {p for p, s in scored_pairs.items() if s >= threshold}
    tp = len(predicted & truth)
    fp = len(predicted) - tp
    fn = len(truth) - tp
    p = tp / len(predicted) if predicted else 0.0
    r = tp / len(truth) if truth else 0.0
    return BestScore(threshold, p, r, _f1(p, r), tp, fp, fn)


def score_pairs(scored_pairs: Mapping[Pair, float], truth: set[Pair],
                all_pairs_count: int) -> BestScore:
    """Sweep every distinct score as a threshold and return the point with the best F1.

    ``scored_pairs`` may omit pairs (an omitted pair has score 0 and is never predicted, except
    at the "everything is reuse" point, which is scored from ``all_pairs_count``: the number of
    unordered pairs of the evaluated files, ``n * (n - 1) / 2``). Ties in F1 go to the higher
    threshold (the stricter, cheaper-to-review setting).
    """
    for pair in truth:
        if len(pair) != 2:
            raise ValueError(f"truth pair {sorted(pair)} does not name two distinct files")
    if all_pairs_count < len(truth):
        raise ValueError(f"all_pairs_count={all_pairs_count} is smaller than the "
                         f"{len(truth)} truth pairs")
    n_true = len(truth)
    best = BestScore(float("inf"), 0.0, 0.0, 0.0, 0, 0, n_true)
    ranked = sorted(((s, p in truth) for p, s in scored_pairs.items() if s > 0), reverse=True)
    tp = fp = 0
    i = 0
    while i < len(ranked):
        threshold = ranked[i][0]
        while i < len(ranked) and ranked[i][0] == threshold:
            tp += ranked[i][1]
            fp += not ranked[i][1]
            i += 1
        p = tp / (tp + fp)
        r = tp / n_true if n_true else 0.0
        f = _f1(p, r)
        if f > best.f1:
            best = BestScore(threshold, p, r, f, tp, fp, n_true - tp)
    # Predict every pair (threshold 0): recall 1, precision = base rate.
    if n_true and all_pairs_count:
        p = n_true / all_pairs_count
        if _f1(p, 1.0) > best.f1:
            best = BestScore(0.0, p, 1.0, _f1(p, 1.0), n_true, all_pairs_count - n_true, 0)
    return best


def read_qrels(path: str | Path) -> set[Pair]:
    """Read a qrel file of ``a b`` lines into unordered pairs (blank lines ignored)."""
    pairs: set[Pair] = set()
    for lineno, line in enumerate(Path(path).read_text().splitlines(), 1):
        fields = line.split()
        if not fields:
            continue
        if len(fields) != 2 or fields[0] == fields[1]:
            raise ValueError(f"{path}:{lineno}: expected two distinct file names, got {line!r}")
        pairs.add(frozenset(fields))
    return pairs


def transitive_closure(pairs: Iterable[Pair]) -> set[Pair]:
    """All pairs within each connected group of ``pairs`` (union-find)."""
    parent: dict[str, str] = {}

    def find(x: str) -> str:
        parent.setdefault(x, x)
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for pair in pairs:
        a, b = sorted(pair)
        ra, rb = find(a), find(b)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)
    groups: dict[str, list[str]] = {}
    for x in list(parent):
        groups.setdefault(find(x), []).append(x)
    return {frozenset((m[i], m[j])) for m in groups.values()
            for i in range(len(m)) for j in range(i + 1, len(m))}
