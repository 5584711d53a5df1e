"""The matcher cascade: fingerprints → index postings → candidate works → verification → matches.

Per channel (see :mod:`rightsguard.index.channels` for k and t):

1. ``code-exact``: seeds from the index are verified character by character on the
   whitespace-free texts of output and work and extended to maximal runs (exact spans).
2. ``code-normalised``: seeds are extended token by token over the normalised token streams of
   output and work (identifiers and literals abstracted) and kept when the renaming is consistent
   and the run carries enough evidence (:func:`_renamed_units`); output stretches already
   reproduced verbatim are not searched again for other works (exact spans).
3. ``text``: seeds are verified token by token (NFKC + case folded) and extended (exact spans).
4. ``text-dense``: every 5-gram of short works; coverage of the work is measured exactly.

Then small named refine filters (``refine_*``) drop what should not count: runs shorter than a
fragment, text that the user put in the prompt, and works below the reporting thresholds.
Thresholds (:class:`Thresholds`) count non-whitespace output characters for code (150, as
Copilot) and text tokens for text (50, Carlini et al. 2023).
"""

from __future__ import annotations

import bisect
import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from itertools import compress

import numpy as np
import numpy.typing as npt

from rightsguard.fingerprint.code import (
    IDENT_ID,
    LITERAL_ID,
    CodeTokenizer,
    CodeTokens,
    prose_text,
)
from rightsguard.fingerprint.text import TextTokens, count_tokens, tokenize_text
from rightsguard.fingerprint.winnow import WinnowParams, fingerprint, kgram_hashes
from rightsguard.index.cache import LRU
from rightsguard.index.channels import (
    CODE_EXACT,
    CODE_NORM,
    HASH_SEED,
    TEXT,
    TEXT_DENSE,
    Channel,
)
from rightsguard.index.store import Index
from rightsguard.index.streams import TokenStream
from rightsguard.index.texts import WorkText
from rightsguard.model import Match, Span, Verdict
from rightsguard.screen.policy import ScreenPolicy

I64 = npt.NDArray[np.int64]
#: token ids or kinds (any integer type): what run extension compares
Ids = npt.NDArray[np.integer]
_WS = re.compile(r"\s+")


@dataclass(frozen=True, slots=True)
class Thresholds:
    """Reporting thresholds.

    ``code_chars``: a code match is reported when its fragments cover at least this many
    non-whitespace output characters (Copilot: about 150). ``code_fragment_chars``: shortest
    verified run that counts towards it. ``text_tokens``: a text match needs this many tokens (50,
    Carlini et al. 2023; Lee et al. 2022). ``text_fragment_tokens``: shortest run that counts.
    ``short_work_coverage``: share of a short work (lyrics, poems) that must be reproduced.
    ``max_candidates``: works verified per channel, most-seeded first;
    ``max_renamed_candidates``: works verified for renamed copies, best-supported first.
    """

    code_chars: int = 150
    code_fragment_chars: int = 40
    text_tokens: int = 50
    text_fragment_tokens: int = 12
    short_work_coverage: float = 0.5
    dense_fragment_tokens: int = 5
    max_candidates: int = 50
    max_renamed_candidates: int = 8


#: The ASCII characters ``str.isspace`` (and the ``\s`` of :data:`_WS`) counts as whitespace.
_ASCII_WS = b" \t\n\r\x0b\x0c\x1c\x1d\x1e\x1f"
_ASCII_WS_TABLE = np.zeros(256, dtype=bool)
_ASCII_WS_TABLE[list(_ASCII_WS)] = True
#: Every code point above ASCII that ``str.isspace`` counts as whitespace (all lie below U+3001;
#: ``tests/screen/test_nows_view.py`` checks the whole Unicode range).
NON_ASCII_WS = np.array([c for c in range(128, 0x3001) if chr(c).isspace()], dtype=np.uint32)
#: ``str.isspace`` of code points 0 to U+3000; index U+3001 (where larger ones are clipped) is
#: False.
_WS_TABLE = np.zeros(0x3002, dtype=bool)
_WS_TABLE[list(_ASCII_WS)] = True
_WS_TABLE[NON_ASCII_WS] = True


@dataclass(frozen=True, slots=True)
class NowsView:
    """A text without whitespace: ``chars``, for each of them its offset in the original
    (``offsets``, shape ``(len(chars),)``), and ``codes``, the chars as an array (``uint8`` when
    ASCII, else ``uint32`` code points) for :func:`_codes_prefix` and :func:`_codes_suffix`."""

    chars: str
    offsets: I64
    codes: npt.NDArray[np.uint8] | npt.NDArray[np.uint32]
    source: str = ""  # the text the view was made of, which starts at code point ``base``
    base: int = 0

    @classmethod
    def of(cls, text: str) -> NowsView:
        if text.isascii():  # bytes paths, 3x faster: every ASCII whitespace char is <= 32
            data = text.encode("ascii")
            chars = data.translate(None, _ASCII_WS)
            codes = np.frombuffer(data, dtype=np.uint8)
            keep = np.flatnonzero(codes > 32)
            if keep.shape[0] != len(chars):  # control chars that are not whitespace
                keep = np.flatnonzero(~_ASCII_WS_TABLE[codes])
            return cls(chars.decode("ascii"), keep.astype(np.int64, copy=False),
                       np.frombuffer(chars, dtype=np.uint8), text)
        arr = np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
        keep = np.flatnonzero(~_WS_TABLE[np.minimum(arr, 0x3001)])
        kept = arr[keep]
        return cls(kept.tobytes().decode("utf-32-le", "surrogatepass"), keep.astype(np.int64),
                   kept, text)

    def index_at(self, offset: int) -> int:
        """Index of the first non-whitespace char at or after ``offset``."""
        return int(np.searchsorted(self.offsets, offset))


def _codes_prefix(a: npt.NDArray[np.uint8] | npt.NDArray[np.uint32], i: int,
                  b: npt.NDArray[np.uint8] | npt.NDArray[np.uint32], j: int) -> int:
    """Length of the longest common prefix of ``a[i:]`` and ``b[j:]`` (:attr:`NowsView.codes`;
    one array comparison, 6x faster than comparing string slices on 2 KB outputs)."""
    limit = min(a.shape[0] - i, b.shape[0] - j)
    if limit <= 0:
        return 0
    differ = a[i:i + limit] != b[j:j + limit]
    first = int(differ.argmax())
    return first if differ[first] else limit


def _codes_suffix(a: npt.NDArray[np.uint8] | npt.NDArray[np.uint32], i: int,
                  b: npt.NDArray[np.uint8] | npt.NDArray[np.uint32], j: int) -> int:
    """Length of the longest common suffix of ``a[:i]`` and ``b[:j]``."""
    limit = min(i, j)
    if limit <= 0:
        return 0
    differ = a[i - limit:i][::-1] != b[j - limit:j][::-1]
    first = int(differ.argmax())
    return first if differ[first] else limit


#: Most non-whitespace characters :func:`_line_trim` takes off either end of a verbatim run.
LINE_TRIM_CHARS = 16


def _breaks_before(view: NowsView, i: int, whole: str | WorkText) -> bool:
    """Whether a line break separates ``view``'s non-whitespace char ``i`` from the one before
    it (at the first char of the whole text: true when only whitespace precedes it on its
    line). ``whole``: the text of which ``view.source`` is a part, read only at its edges."""
    at = int(view.offsets[i]) - view.base
    if i:
        return "\n" in view.source[int(view.offsets[i - 1]) - view.base + 1:at]
    text, at = (view.source, at) if view.base == 0 else (whole, at + view.base)
    before = text[max(0, at - 256):at]
    nl = before.rfind("\n")
    return True if nl < 0 and at > 256 else not before[nl + 1:].strip()


def _breaks_after(view: NowsView, i: int, whole: str | WorkText) -> bool:
    """Whether a line break separates ``view``'s non-whitespace char ``i`` from the next one
    (at the last char: whether only whitespace follows it on its line)."""
    at = int(view.offsets[i]) - view.base
    if i < view.offsets.shape[0] - 1:
        return "\n" in view.source[at + 1:int(view.offsets[i + 1]) - view.base]
    after = whole[at + view.base + 1:at + view.base + 257]
    nl = after.find("\n")
    return True if nl < 0 and len(after) == 256 else \
        not (after if nl < 0 else after[:nl]).strip()


def _line_numbers(view: NowsView, newlines: list[int]) -> list[int]:
    """For each non-whitespace char of a whole-text view, the newlines before it
    (``newlines``: :func:`_newlines` of the text)."""
    lines: list[int] = np.searchsorted(np.asarray(newlines, dtype=np.int64),
                                       view.offsets).tolist()
    return lines


def _line_trim(out_lines: list[int], s_o: int, e_o: int, work_text: str | WorkText, work: NowsView,
               s_w: int) -> tuple[int, int]:
    """Whitespace-free characters to take off the start and end of a verbatim run (nows indexes
    ``[s_o, e_o)`` of the output, whose :func:`_line_numbers` are ``out_lines``, from ``s_w``
    in ``work``) so that it starts and ends on whole lines in both texts, at most
    :data:`LINE_TRIM_CHARS` each side, else nothing.

    Runs are extended over whitespace-free text, so a copied function ran on into the ``)``
    closing the unrelated line before it and the ``def`` of the next one, which output and
    work happened to share: a newcomer saw lines 22–93 for a copy of lines 25–90. Copies whose
    line breaks differ (reformatted) find no common line start nearby and keep their run."""
    n, last = e_o - s_o, len(out_lines) - 1
    start = end = 0
    # output positions that start a line (the first char, or a newline since the one before),
    # first to last; the work must start a line at the same position of the run
    for pos in range(s_o, s_o + min(LINE_TRIM_CHARS, n - 1) + 1):
        if (pos == 0 or out_lines[pos] > out_lines[pos - 1]) and \
                _breaks_before(work, s_w + pos - s_o, work_text):
            start = pos - s_o
            break
    # ... and positions that end a line, last to first
    for pos in range(e_o - 1, e_o - 2 - min(LINE_TRIM_CHARS, n - 1 - start), -1):
        if (pos == last or out_lines[pos + 1] > out_lines[pos]) and \
                _breaks_after(work, s_w + pos - s_o, work_text):
            end = e_o - 1 - pos
            break
    return start, end


def _ids_prefix(a: Ids, i: int, b: Ids, j: int) -> int:
    limit = min(a.shape[0] - i, b.shape[0] - j)
    if limit <= 0:
        return 0
    diff = np.flatnonzero(a[i:i + limit] != b[j:j + limit])
    return int(diff[0]) if diff.size else limit


def _ids_suffix(a: Ids, i: int, b: Ids, j: int) -> int:
    limit = min(i, j)
    if limit <= 0:
        return 0
    diff = np.flatnonzero(a[i - limit:i][::-1] != b[j - limit:j][::-1])
    return int(diff[0]) if diff.size else limit


#: Seed sets up to this size are handled in plain loops: below it, setting up the array
#: operations costs more than they save (measured on the latency benchmark's outputs).
SMALL_SEED_SET = 12

#: Tokens compared per seed in one array step by :func:`_run_extents`; longer runs go on
#: one seed at a time.
EXTENT_STEP = 32


def _run_extents(a: Ids, qa: I64, b: Ids, jb: I64, step: int = EXTENT_STEP
                 ) -> tuple[I64, I64]:
    """Maximal runs through many seeds at once: for each seed ``(qa[i], jb[i])`` (token indexes
    into ``a`` and ``b``, shape ``(s,)``), ``fwd[i]`` = tokens equal from the seed on and
    ``back[i]`` = tokens equal before it, so the run is ``a[qa - back : qa + fwd]``.

    The first ``step`` tokens each way are compared for all seeds in one array operation;
    seeds whose run goes further are extended one at a time, once per run (seeds on one
    diagonal inside a run already extended share its ends).
    """
    steps = np.arange(step, dtype=np.int64)

    def first_mismatch(ia: I64, ib: I64) -> I64:
        inside = (ia >= 0) & (ia < a.shape[0]) & (ib >= 0) & (ib < b.shape[0])
        eq = inside & (a[np.clip(ia, 0, max(0, a.shape[0] - 1))]
                       == b[np.clip(ib, 0, max(0, b.shape[0] - 1))])
        return np.where(eq.all(axis=1), step, np.argmin(eq, axis=1)).astype(np.int64)

    if qa.shape[0] == 0 or a.shape[0] == 0 or b.shape[0] == 0:
        return np.zeros(qa.shape[0], np.int64), np.zeros(qa.shape[0], np.int64)
    if qa.shape[0] <= SMALL_SEED_SET:  # array set-up would cost more than the loop
        pairs = [(_ids_prefix(a, q, b, j), _ids_suffix(a, q, b, j))
                 for q, j in zip(qa.tolist(), jb.tolist(), strict=True)]
        return (np.array([f for f, _b in pairs], dtype=np.int64),
                np.array([bk for _f, bk in pairs], dtype=np.int64))
    fwd = first_mismatch(qa[:, None] + steps, jb[:, None] + steps)
    back = first_mismatch(qa[:, None] - 1 - steps, jb[:, None] - 1 - steps)
    long_run = np.flatnonzero((fwd == step) | (back == step))
    runs: dict[int, tuple[int, int]] = {}  # diagonal -> last long run (start, end) in a
    for i in long_run.tolist():
        q, j = int(qa[i]), int(jb[i])
        last = runs.get(q - j)
        if last is not None and last[0] <= q < last[1]:
            fwd[i], back[i] = last[1] - q, q - last[0]
            continue
        f = int(fwd[i]) if fwd[i] < step else _ids_prefix(a, q, b, j)
        bk = int(back[i]) if back[i] < step else _ids_suffix(a, q, b, j)
        fwd[i], back[i] = f, bk
        runs[q - j] = (q - bk, q + f)
    return fwd, back


@dataclass(frozen=True, slots=True)
class Fragment:
    """A verified (or chained) run. Output and work offsets are code points of the originals."""

    out_start: int
    out_end: int
    work_start: int
    work_end: int
    units: int  # nows chars (code channels) or tokens (text channels)
    approx: bool = False
    renamed: bool = False  # code-normalised: some identifier or literal differs


def _lines(newlines: list[int], start: int, end: int) -> tuple[int, int, int, int]:
    """1-based first and last line of ``[start, end)`` and its columns (:class:`Span`)."""
    first = bisect.bisect_right(newlines, start - 1) + 1 if start > 0 else 1
    last = bisect.bisect_right(newlines, max(start, end - 1) - 1) + 1
    first_start = newlines[first - 2] + 1 if first > 1 else 0
    last_start = newlines[last - 2] + 1 if last > 1 else 0
    return first, last, start - first_start + 1, end - last_start + 1


def _newlines(text: str) -> list[int]:
    return [m.start() for m in re.finditer("\n", text)]


def _merged(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """The union of half-open spans as disjoint spans, in order."""
    out: list[tuple[int, int]] = []
    for a, b in sorted(spans):
        if out and a <= out[-1][1]:
            if b > out[-1][1]:
                out[-1] = (out[-1][0], b)
        elif b > a:
            out.append((a, b))
    return out


def _union_nows(spans: list[tuple[int, int]], view: NowsView,
                excluded: npt.NDArray[np.int64] | None = None) -> int:
    """Non-whitespace characters of ``view``'s text covered by the union of code-point spans;
    ``excluded`` (cumulative counts of characters that do not count, per nows index, shape
    ``(len(view.chars) + 1,)``) are left out (text the prompt holds)."""
    total = 0
    for a, b in _merged(spans):
        i, j = int(np.searchsorted(view.offsets, a)), int(np.searchsorted(view.offsets, b))
        total += j - i - (0 if excluded is None else int(excluded[j] - excluded[i]))
    return total


def _nows_len(text: str) -> int:
    """Characters of ``text`` that are not whitespace (``str.isspace``; ``str.split`` splits at
    exactly those, in C)."""
    return sum(map(len, text.split()))


def _union_nows_text(spans: list[tuple[int, int]], text: str | WorkText) -> int:
    """:func:`_union_nows` counted on ``text`` itself (whitespace as ``str.isspace``, like
    :class:`NowsView`), for a work whose whole view is not at hand: only the spans are read."""
    return sum(_nows_len(text[a:b]) for a, b in _merged(spans))


def _kinds_in(ids: npt.NDArray[np.uint64], vocabulary: npt.NDArray[np.uint64]) -> I64:
    """``ids`` (shape ``(n,)``) as indexes into a work's sorted ``vocabulary`` of normalised
    ids (:func:`~rightsguard.index.streams.stream_kinds`), -1 for ids the work lacks, so runs
    compared on kinds are the runs compared on ids."""
    if not vocabulary.shape[0]:
        return np.full(ids.shape[0], -1, dtype=np.int64)
    at = np.searchsorted(vocabulary, ids).clip(0, vocabulary.shape[0] - 1)
    return np.where(vocabulary[at] == ids, at, -1)


#: Identifier and literal pairs of a renamed-copy candidate compared as string slices up to
#: this many; above, on arrays (:func:`_same_texts`), which cost a fixed ~20 µs.
SAME_TEXT_ARRAY_MIN = 96


def _text_codes(text: str) -> npt.NDArray[np.uint8] | npt.NDArray[np.uint32]:
    """The code points of ``text`` as an array (``uint8`` when ASCII)."""
    if text.isascii():
        return np.frombuffer(text.encode("ascii"), dtype=np.uint8)
    return np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)


def _same_texts(a: str, a_starts: I64, a_ends: I64, b: str, b_starts: I64, b_ends: I64
                ) -> npt.NDArray[np.bool_]:
    """Whether ``a[a_starts[i]:a_ends[i]] == b[b_starts[i]:b_ends[i]]`` for every ``i`` (code
    points; shape ``(m,)``). From :data:`SAME_TEXT_ARRAY_MIN` pairs on, unless the texts are
    much longer than the spans, the code points of all equal-length pairs are gathered and
    compared in one array operation; else the slices are compared one by one."""
    m = a_starts.shape[0]
    lengths = a_ends - a_starts
    span_chars = int(lengths.sum())
    if m < SAME_TEXT_ARRAY_MIN or len(a) + len(b) > 64 * span_chars:
        return np.fromiter((a[a0:a1] == b[b0:b1] for a0, a1, b0, b1 in zip(
            a_starts.tolist(), a_ends.tolist(), b_starts.tolist(), b_ends.tolist(),
            strict=True)), dtype=bool, count=m)
    same: npt.NDArray[np.bool_] = lengths == b_ends - b_starts
    pair = np.flatnonzero(same)
    n = lengths[pair]
    at = np.arange(int(n.sum())) - np.repeat(np.cumsum(n) - n, n)  # index inside each span
    differ = _text_codes(a)[np.repeat(a_starts[pair], n) + at] != \
        _text_codes(b)[np.repeat(b_starts[pair], n) + at]
    # a pair differs where any of its code points does
    same[pair[np.bincount(np.repeat(np.arange(pair.shape[0]), n)[differ],
                          minlength=pair.shape[0]) > 0]] = False
    return same


def _long_enough(qa: I64, fwd: I64, back: I64, nows_before: I64, shortest: int
                 ) -> npt.NDArray[np.bool_]:
    """Which runs (seed ``qa[i]``, ``back[i]`` tokens back, ``fwd[i]`` on) cover at least
    ``shortest`` output characters (``nows_before[i]``: characters of tokens ``[0, i)``)."""
    long: npt.NDArray[np.bool_] = (fwd > 0) & (
        nows_before[qa + fwd] - nows_before[qa - back] >= shortest)
    return long


def _union_tokens_nows(starts: I64, ends: I64, nows_before: I64) -> int:
    """Output characters covered by the union of token runs ``[starts[i], ends[i])`` (token
    indexes, shape ``(r,)``); ``nows_before[i]`` = characters of tokens ``[0, i)``."""
    runs = list(zip(starts.tolist(), ends.tolist(), strict=True))
    return sum(int(nows_before[b] - nows_before[a]) for a, b in _merged(runs))


def _reach_nows(seed_q: I64, unanswered: I64, nows_before: I64, params: WinnowParams) -> int:
    """Most output characters that runs of equal tokens through one work's seeds can cover,
    known before the work is read: an upper bound for :func:`_union_tokens_nows` of the runs.

    ``seed_q``: output k-gram starts (token indexes) with a posting of the work;
    ``unanswered``: those whose postings were not read (any work may hold them);
    ``nows_before[i]``: output characters of tokens ``[0, i)``.

    Why it holds (winnowing, Schleimer et al. 2003 §2): inside a run the output and the work
    hold the same tokens, so every window of ``w`` consecutive k-grams lying in the run selects
    the same k-gram on both sides, and that k-gram's start is a seed or unanswered. Two such
    starts in one run are therefore at most ``w`` apart, and a run reaches at most ``w - 1``
    k-grams past the first and last of them. The starts are grouped where they are at most
    ``w`` apart; a group holding a seed bounds its runs to tokens
    ``[first - w + 1, last + w - 1 + k)``. Verification only starts runs at seeds, so groups
    without one bound nothing."""
    return int(_reach_nows_many([seed_q], unanswered, nows_before, params)[0])


def _reach_nows_many(seeds: list[I64], unanswered: I64, nows_before: I64,
                     params: WinnowParams, gaps: tuple[I64, I64, int] | None = None) -> I64:
    """:func:`_reach_nows` of several works at once (``seeds``: each work's ``seed_q``), shape
    ``(len(seeds),)``: one array pass, each work's points shifted into a range of its own so
    that no group or run spans two works.

    ``gaps`` = ``(starts, ends, max_gap)``: the output tokens' code-point spans (shape
    ``(n,)``) and the largest gap :func:`_chain` allows between two fragments of one match
    (:data:`MAX_GAP_CHARS`). Then a work's figure bounds one chain, not all its runs together:
    the bounds are cut into clusters where the output code points between two of them exceed
    ``max_gap`` (fragments there cannot chain), and the largest cluster counts."""
    n_tokens = nows_before.shape[0] - 1
    w, k = params.window, params.k
    span = n_tokens + 2 * w + k + 1  # farther apart than any group or bound reaches
    sizes = [s.shape[0] for s in seeds]
    pts = np.concatenate([np.concatenate((s, unanswered)) + i * span
                          for i, s in enumerate(seeds)]) if seeds else np.empty(0, np.int64)
    if not sum(sizes):
        return np.zeros(len(seeds), dtype=np.int64)
    from_seed = np.concatenate([np.arange(n + unanswered.shape[0]) < n for n in sizes])
    order = np.argsort(pts, kind="stable")
    pts, from_seed = pts[order], from_seed[order]
    first = np.concatenate(([0], np.flatnonzero(np.diff(pts) > w) + 1))
    last = np.concatenate((first[1:], [pts.shape[0]])) - 1
    seeded = np.logical_or.reduceat(from_seed, first)
    first, last = first[seeded], last[seeded]
    work = pts[first] // span
    base = work * span
    lo = np.maximum(pts[first] - base - w + 1, 0) + base
    hi = np.minimum(pts[last] - base + w - 1 + k, n_tokens) + base
    # union of each work's bounds (sorted by start, works apart): a new run where a bound starts
    # past every end before it
    reach = np.maximum.accumulate(hi)
    starts = np.flatnonzero(np.concatenate(([True], lo[1:] > reach[:-1])))
    ends = reach[np.concatenate((starts[1:], [lo.shape[0]])) - 1]
    run_work = work[starts]
    run_lo, run_hi = lo[starts] - run_work * span, ends - run_work * span
    nows = nows_before[run_hi] - nows_before[run_lo]
    if gaps is None:
        return np.bincount(run_work, weights=nows, minlength=len(seeds)).astype(np.int64)
    tok_starts, tok_ends, max_gap = gaps
    # a cluster starts at each work's first bound and after each output gap over max_gap
    apart = tok_starts[run_lo[1:]] - tok_ends[run_hi[:-1] - 1] > max_gap
    first_of = np.flatnonzero(np.concatenate(([True], (run_work[1:] != run_work[:-1]) | apart)))
    best = np.zeros(len(seeds), dtype=np.int64)
    np.maximum.at(best, run_work[first_of], np.add.reduceat(nows, first_of))
    return best


def _reaches(seeds: dict[int, list[tuple[int, int]]], unanswered: I64, nows_before: I64,
             params: WinnowParams, gaps: tuple[I64, I64, int] | None = None) -> dict[int, int]:
    """:func:`_reach_nows_many` of the works of ``seeds`` (``{doc: [(output token, work
    offset)]}``): ``{doc: reach}``."""
    reach = _reach_nows_many([np.fromiter((q for q, _w in h), np.int64, len(h))
                              for h in seeds.values()], unanswered, nows_before, params, gaps)
    return dict(zip(seeds, reach.tolist(), strict=True))


#: Largest gap (code points, in the output and in the work) between two fragments of one match.
MAX_GAP_CHARS = 300


def _cut_at_gaps(qa: I64, ja: I64, fwd: I64, back: I64, out_starts: I64, out_ends: I64,
                 work_starts: I64, work_ends: I64, max_gap: int = MAX_GAP_CHARS
                 ) -> tuple[I64, I64]:
    """Runs of equal normalised tokens (:func:`_run_extents`: seed ``(qa[i], ja[i])`` runs
    ``back[i]`` tokens back and ``fwd[i]`` on) cut where the text between two consecutive
    tokens differs in length between output and work by more than ``max_gap`` code points,
    keeping the piece holding the seed. Comments are not tokens, so a run otherwise went on
    through a 66-line comment block of the work into the next function, which the output
    held right after the copied one (a newcomer's output span ran 2 lines into unrelated
    code, its work span over the comment block). Runs whose total lengths differ by less
    than ``max_gap`` are left alone (two gaps differing in opposite directions by more would
    be missed; not seen)."""
    ok = fwd > 0
    if not ok.any():
        return fwd, back
    s_o, e_o, s_w, e_w = qa - back, qa + fwd, ja - back, ja + fwd
    o_len = out_ends[np.where(ok, e_o - 1, s_o)] - out_starts[s_o]
    w_len = work_ends[np.where(ok, e_w - 1, s_w)] - work_starts[s_w]
    suspect = np.flatnonzero(ok & (np.abs(w_len - o_len) > max_gap))
    if not suspect.shape[0]:
        return fwd, back
    fwd, back = fwd.copy(), back.copy()
    for i in suspect.tolist():
        a_o, a_w, n, seed = int(s_o[i]), int(s_w[i]), int(fwd[i] + back[i]), int(back[i])
        gap_o = out_starts[a_o + 1:a_o + n] - out_ends[a_o:a_o + n - 1]
        gap_w = work_starts[a_w + 1:a_w + n] - work_ends[a_w:a_w + n - 1]
        cuts = np.flatnonzero(np.abs(gap_w - gap_o) > max_gap) + 1  # first token of a piece
        if not cuts.shape[0]:
            continue
        lo = int(cuts[cuts <= seed][-1]) if (cuts <= seed).any() else 0
        hi = int(cuts[cuts > seed][0]) if (cuts > seed).any() else n
        back[i], fwd[i] = seed - lo, hi - seed
    return fwd, back


def _places(los: list[int], positions: list[I64], offsets: list[int]
            ) -> tuple[list[int], list[int]]:
    """Where work code points ``offsets`` fall in pieces of a work (windows in work order, piece
    ``k`` starting at code point ``los[k]``, ``positions[k]`` the ascending code points of its
    units): per offset, its piece and ``np.searchsorted(positions[piece], offset)``."""
    offs = np.array(offsets, dtype=np.int64)
    if len(positions) == 1:  # the common case: one window
        return [0] * len(offsets), np.searchsorted(positions[0], offs).tolist()
    piece = (np.searchsorted(np.array(los, dtype=np.int64), offs, "right") - 1).clip(0)
    at = np.zeros(offs.shape[0], dtype=np.int64)
    for k, pos in enumerate(positions):
        mine = np.flatnonzero(piece == k)
        if mine.shape[0]:
            at[mine] = np.searchsorted(pos, offs[mine])
    return piece.tolist(), at.tolist()


#: Fragments from which :func:`_chain` tries only predecessors within reach.
CHAIN_WINDOW_MIN = 16


def _chain(frags: list[Fragment]) -> list[Fragment]:
    """Best chain of fragments increasing in both output and work, with no gap over
    :data:`MAX_GAP_CHARS` on either side (O(n²) dynamic programme; n is small)."""
    frags = sorted(frags, key=lambda f: (f.out_start, f.work_start))
    if len(frags) <= 1:
        return frags
    best = [f.units for f in frags]
    prev = [-1] * len(frags)
    # a predecessor ends at most MAX_GAP_CHARS before fi starts, so it starts at most that plus
    # the longest fragment before: only those are tried (a work pasted 300 times in one output
    # made this loop, run once per reported copy, cubic: 57 s for 0.9 MB)
    windowed = len(frags) > CHAIN_WINDOW_MIN  # else the set-up costs more than it saves
    starts = [f.out_start for f in frags] if windowed else []
    reach = MAX_GAP_CHARS + max(f.out_end - f.out_start for f in frags) if windowed else 0
    for i, fi in enumerate(frags):
        first = bisect.bisect_left(starts, fi.out_start - reach) if windowed else 0
        for j in range(first, i):
            fj = frags[j]
            if fj.out_end <= fi.out_start and fj.work_end <= fi.work_start \
                    and fi.out_start - fj.out_end <= MAX_GAP_CHARS \
                    and fi.work_start - fj.work_end <= MAX_GAP_CHARS \
                    and best[j] + fi.units > best[i]:
                best[i] = best[j] + fi.units
                prev[i] = j
    i = max(range(len(frags)), key=best.__getitem__)
    out = []
    while i >= 0:
        out.append(frags[i])
        i = prev[i]
    return out[::-1]


#: Length of the normalised n-grams by which :func:`_renamed_units` counts new structure once.
RENAMED_NGRAM = 4


def _beside(frags: list[Fragment], chain: list[Fragment]) -> list[Fragment]:
    """The fragments not mostly inside ``chain``'s output span: candidates for the next copy of
    the work in the output. Fragments mostly inside a match are its own; one overlapping it by
    a few characters is the next copy (a copy's run reached 5 characters into the identical
    copy right after it, which was then never reported)."""
    lo, hi = chain[0].out_start, chain[-1].out_end
    return [f for f in frags
            if 2 * max(0, min(f.out_end, hi) - max(f.out_start, lo)) < f.out_end - f.out_start]


def _text_cover(frags: list[Fragment], tokens: TextTokens, work: WorkText, out_total: int,
                work_tokens: int) -> tuple[float, float]:
    """(output coverage, work coverage) of text fragments of one work, in tokens: the output's
    tokens starting inside any fragment over ``out_total``, and the work's tokens inside the
    union of the fragments' work spans (tokenized here; fragments start and end on tokens) over
    ``work_tokens``. A passage copied twice counts once in the work."""
    covered = np.zeros(len(tokens), dtype=bool)
    for f in frags:
        covered[np.searchsorted(tokens.starts, f.out_start):
                np.searchsorted(tokens.starts, f.out_end)] = True
    in_work = sum(len(tokenize_text(work[a:b])) for a, b in
                  _merged(sorted((f.work_start, f.work_end) for f in frags)))
    return (int(covered.sum()) / max(1, out_total), in_work / max(1, work_tokens))


def _channel_tokens(ct: CodeTokens, channel: str, lo: int, hi: int) -> int:
    """Tokens of ``channel`` in output code points ``[lo, hi)``: code-exact's stream (a long
    literal as its pieces, counted by where they start), else code tokens wholly inside."""
    if channel == CODE_EXACT.name:
        st = ct.exact_starts
        return int(np.count_nonzero((st >= lo) & (st < hi)))
    return int(np.count_nonzero((ct.starts >= lo) & (ct.ends <= hi)))


def _previous_ngram(norm_ids: npt.NDArray[np.uint64], n: int = RENAMED_NGRAM) -> I64:
    """For each token ``i`` of a stream (shape ``(N,)``), the index of the previous token that
    starts the same normalised ``n``-gram, or -1; -1 too for the last ``n - 1`` tokens, which
    start no full ``n``-gram. Computed once per output, so each fragment's distinct n-grams are a
    comparison (:func:`_renamed_units`)."""
    prev = np.full(norm_ids.shape[0], -1, dtype=np.int64)
    grams = kgram_hashes(norm_ids, n)
    if grams.shape[0] > 1:
        order = np.argsort(grams, kind="stable")
        ordered = grams[order]
        repeat = np.flatnonzero(ordered[1:] == ordered[:-1]) + 1
        prev[order[repeat]] = order[repeat - 1]
    return prev


def _renamed_units(out_nows: I64, norm_ids: npt.NDArray[np.uint64], work_lens: I64,
                   same: npt.NDArray[np.bool_], prev_gram: I64, seg: I64,
                   n: int = RENAMED_NGRAM) -> I64:
    """Evidence of renamed copies, in non-whitespace output characters, one figure per fragment.

    Arrays are the tokens of several fragments laid end to end (shape ``(m,)``); fragment ``i``
    is ``[seg[i], seg[i + 1])`` (``seg``: shape ``(r + 1,)``, increasing, ``seg[-1] == m``).
    ``prev_gram`` is :func:`_previous_ngram` of the whole output for those tokens, shifted so
    that 0 is each fragment's first token. Returns shape ``(r,)``.

    An identifier or literal identical in output and work (``same``) counts all its characters
    wherever it stands, and so does every token of a verbatim stretch (three or more identical
    tokens, one of them an identifier or literal). Any other token
    counts the smaller of its output and work lengths (renaming ``x`` to
    ``include_external_packages`` copies one character, not 25; other literals count 1), and only
    when it starts a normalised ``n``-gram not seen before in the fragment, so repetitive
    structure (``a=a, b=b, c=c, …``) is counted once; the last ``n - 1`` tokens start n-grams
    cut short by the fragment's end, each seen once.
    """
    lens = np.minimum(out_nows, np.maximum(work_lens, 1))
    lens[norm_ids == np.uint64(LITERAL_ID)] = 1
    lens[same] = out_nows[same]
    # an identical identifier or literal is evidence wherever it stands; keywords and
    # punctuation are the same in any code, so they count only in new structure
    named = (norm_ids == np.uint64(IDENT_ID)) | (norm_ids == np.uint64(LITERAL_ID))
    keep = same & named
    # ... and so is every token of a verbatim stretch (3+ identical tokens, one of them named);
    # a stretch ends at its fragment's end
    before = np.concatenate(([False], same[:-1]))
    before[seg[:-1]] = False
    after = np.concatenate((same[1:], [False]))
    after[seg[1:] - 1] = False
    first = np.flatnonzero(same & ~before)
    end = np.flatnonzero(same & ~after) + 1  # stretches [first, end), disjoint, in order
    if first.shape[0]:
        named_before = np.concatenate(([0], np.cumsum(named)))
        ok = (end - first >= 3) & (named_before[end] > named_before[first])
        # +1 where a stretch starts, -1 where one ends (one may end where the next fragment's
        # starts)
        marks = (np.bincount(first[ok], minlength=same.shape[0] + 1)
                 - np.bincount(end[ok], minlength=same.shape[0] + 1))
        keep |= np.cumsum(marks[:-1]) > 0
    # the first token of each distinct normalised n-gram of the fragment, and its last n - 1
    keep |= prev_gram < 0
    sizes = np.diff(seg)
    at = np.arange(same.shape[0]) - np.repeat(seg[:-1], sizes)
    keep |= at >= np.repeat(np.maximum(sizes - n + 1, 0), sizes)
    return np.add.reduceat(np.where(keep, lens, 0), seg[:-1]).astype(np.int64)


#: Postings grouped in a plain loop up to this many; above, on arrays (measured on random
#: postings: the loop costs 0.15 µs a posting, the arrays 20-60 µs plus list building for the
#: top documents, about equal at 1,000 postings; 4,096 postings: 0.6-1.0 ms against 0.3 ms).
SMALL_POSTINGS = 1024


def _by_doc(qpos: I64, docs: npt.NDArray[np.uint32], wpos: npt.NDArray[np.uint32], top: int
            ) -> dict[int, list[tuple[int, int]]]:
    """Postings ``(output token, document, work offset)`` grouped by document: the ``top``
    documents with the most, most first (ties: the one whose first posting comes first), each
    with its ``(output token, work offset)`` pairs in posting order."""
    n = docs.shape[0]
    if n <= SMALL_POSTINGS:
        by_doc: dict[int, list[tuple[int, int]]] = defaultdict(list)
        for q, d, w in zip(qpos.tolist(), docs.tolist(), wpos.tolist(), strict=True):
            by_doc[d].append((q, w))
        return {d: by_doc[d] for d in sorted(by_doc, key=lambda d: -len(by_doc[d]))[:top]}
    order = np.argsort(docs, kind="stable")  # within a document: posting order
    ds = docs[order]
    first = np.flatnonzero(np.concatenate(([True], ds[1:] != ds[:-1])))
    counts = np.diff(np.append(first, n))
    ranked = np.lexsort((order[first], -counts))[:top]  # most postings, then first seen
    out: dict[int, list[tuple[int, int]]] = {}
    for r in ranked.tolist():
        idx = order[first[r]:first[r] + counts[r]]
        out[int(ds[first[r]])] = list(zip(qpos[idx].tolist(), wpos[idx].tolist(), strict=True))
    return out


#: Slack, in tokens, of :func:`_ordered_support`'s test that the work advances like the output
#: (about 40 non-whitespace characters of code).
ORDER_SLACK_TOKENS = 12


def _ordered_support(hits: list[tuple[int, int]], cap: int = 64) -> int:
    """Most seeds of one work that can come from one copy: the longest chain of (output token,
    work token) seeds in which both advance and the work advances like the output (within half
    the distance plus :data:`ORDER_SLACK_TOKENS`, allowing for inserted statements; renamed
    identifiers change no token distance).

    ``hits`` are (output token index, work token index); the first ``cap`` in output order are
    chained. Pairwise compatibility is one array expression; the chain is a dynamic programme
    over its rows."""
    pts = sorted(hits)[:cap]
    n = len(pts)
    if n <= 1:
        return n
    ok: list[list[bool]]  # ok[i][j]: seed j can precede seed i in one copy
    slack = ORDER_SLACK_TOKENS
    if n <= SMALL_SEED_SET:  # array set-up would cost more than the loop
        ok = [[qj < qi and wi - wj > 0 and abs((wi - wj) - (qi - qj)) <= (qi - qj) // 2 + slack
               for qj, wj in pts]
              for qi, wi in pts]
    else:
        arr = np.asarray(pts, dtype=np.int64)
        q, w = arr[:, 0], arr[:, 1]
        out_dist = q[:, None] - q[None, :]  # [i, j]: output distance from seed j to seed i
        work_dist = w[:, None] - w[None, :]
        ok = ((out_dist > 0) & (work_dist > 0)
              & (np.abs(work_dist - out_dist) <= out_dist // 2 + slack)).tolist()
    best: list[int] = []  # best[i]: longest chain ending at seed i
    for row in ok:
        best.append(1 + max(compress(best, row), default=0))  # ``best`` is row's first i
    return max(best)


def _top_supported(seeds: dict[int, list[tuple[int, int]]], top: int) -> list[int]:
    """The ``top`` documents with the most seeds in copy order (:func:`_ordered_support`), ties
    broken by more seeds, then by document number. A document's support is at most its seed
    count, so documents are scored in decreasing seed count and scoring stops once no remaining
    document can enter the current top: one with as many seeds as the ``top``-th's support
    at best ties it on support and loses on seeds or, with as many seeds, on document number
    (it comes later in that order)."""
    by_count = sorted((d for d, hits in seeds.items() if hits), key=lambda d: (-len(seeds[d]), d))
    scored: list[tuple[int, int, int]] = []  # (-support, -seeds, doc)
    for d in by_count:
        if len(scored) >= top and len(seeds[d]) <= -scored[top - 1][0]:
            break
        scored.append((-_ordered_support(seeds[d]), -len(seeds[d]), d))
        scored.sort()
    return [d for _s, _n, d in scored[:top]]


#: Share of repeated identifier occurrences that must follow the first-seen renaming.
RENAMING_CONSISTENCY = 0.8


def _consistent_renaming(text: str, ct: CodeTokens, s_o: int, e_o: int, wtext: str,
                         wt: TokenStream, s_w: int, w_base: int = 0) -> bool:
    """True when identifiers of ``ct[s_o:e_o]`` map to those of ``wt[s_w:…]`` consistently
    (``wtext`` is the work's text from code point ``w_base`` on).

    A renamed copy maps each identifier of the work to one identifier of the output (and back),
    like JPlag's and Dolos's identifier abstraction assumes; a structural coincidence pairs them
    at random. Every repeated occurrence (in either direction) is checked against the pairing
    first seen; at least :data:`RENAMING_CONSISTENCY` of them must agree.
    """
    fwd: dict[str, str] = {}
    rev: dict[str, str] = {}
    agree = disagree = 0
    ident = np.flatnonzero(ct.norm_ids[s_o:e_o] == np.uint64(IDENT_ID))
    for i in ident.tolist():
        o = text[int(ct.starts[s_o + i]):int(ct.ends[s_o + i])]
        wi = s_w + i
        w = wtext[int(wt.starts[wi]) - w_base:int(wt.ends[wi]) - w_base]
        for table, key, val in ((fwd, o, w), (rev, w, o)):
            seen = table.get(key)
            if seen is None:
                table[key] = val
            elif seen == val:
                agree += 1
            else:
                disagree += 1
    return agree + disagree == 0 or agree >= RENAMING_CONSISTENCY * (agree + disagree)


def _outside(covered: npt.NDArray[np.bool_], start: int, end: int, shortest: int
             ) -> list[tuple[int, int]]:
    """The pieces of ``[start, end)`` not ``covered`` (by the prompt) that are at least
    ``shortest`` long, as half-open index ranges: a run partly in the prompt is reported for
    the part that is not, so its span, lines and coverage agree with what counts."""
    inside = covered[start:end]
    if not inside.any():
        return [(start, end)] if end - start >= shortest else []
    edges = np.diff(np.concatenate(([1], inside.astype(np.int8), [1])))
    firsts, ends = np.flatnonzero(edges == -1), np.flatnonzero(edges == 1)
    return [(start + a, start + b) for a, b in zip(firsts.tolist(), ends.tolist(), strict=True)
            if b - a >= shortest]


@dataclass
class PromptFilter:
    """refine: output text that also appears in the prompt does not count.

    Code: every 24-character window of the whitespace-free prompt; text: every 8-token window of
    the prompt's text tokens. Output characters/tokens inside such windows are discounted.
    """

    nows_windows: set[str] = field(default_factory=set)
    token_windows: set[bytes] = field(default_factory=set)
    char_k: int = 24
    tok_k: int = 8

    @classmethod
    def of(cls, prompt: str | None) -> PromptFilter:
        f = cls()
        if prompt:
            nows = _WS.sub("", prompt)
            f.nows_windows = {nows[i:i + f.char_k] for i in range(max(0, len(nows) - f.char_k + 1))}
            ids = tokenize_text(prompt).ids
            f.token_windows = {ids[i:i + f.tok_k].tobytes()
                               for i in range(max(0, ids.shape[0] - f.tok_k + 1))}
        return f

    def covered_chars(self, nows: str) -> npt.NDArray[np.bool_]:
        cov = np.zeros(len(nows), dtype=bool)
        if self.nows_windows:
            k = self.char_k
            for i in range(len(nows) - k + 1):
                if nows[i:i + k] in self.nows_windows:
                    cov[i:i + k] = True
        return cov

    def covered_tokens(self, ids: npt.NDArray[np.uint64]) -> npt.NDArray[np.bool_]:
        cov = np.zeros(ids.shape[0], dtype=bool)
        if self.token_windows:
            k = self.tok_k
            for i in range(ids.shape[0] - k + 1):
                if ids[i:i + k].tobytes() in self.token_windows:
                    cov[i:i + k] = True
        return cov


@dataclass
class Matcher:
    """Finds matches of one output against an :class:`Index` (warm; reuse across calls)."""

    index: Index
    thresholds: Thresholds = field(default_factory=Thresholds)
    policy: ScreenPolicy = field(default_factory=ScreenPolicy)
    tokenizer: CodeTokenizer = field(default_factory=CodeTokenizer)
    _nows_cache: LRU[int, NowsView] = field(default_factory=lambda: LRU(64), repr=False)

    def _nows_near(self, doc: int, windows: list[tuple[int, int]]
                   ) -> list[tuple[NowsView, bool, bool]]:
        """Whitespace-free views of a work over ``windows`` (code-point spans in any order;
        overlapping ones merged), or of the whole work when they cover half of it or it is
        cached: ``[(view, cut before, cut after)]`` in work order, the flags saying whether the
        work goes on before and after the view. Only the windows are decoded."""
        if doc in self._nows_cache:
            return [(self._nows(doc), False, False)]
        wtext = self.index.work_text(doc)
        n = len(wtext)
        merged = [(max(0, lo), min(n, hi)) for lo, hi in _merged(windows) if hi > 0 and lo < n]
        if sum(hi - lo for lo, hi in merged) >= len(wtext) // 2 or not merged:
            return [(self._nows(doc), False, False)]
        views = []
        for lo, hi in merged:
            view = NowsView.of(wtext[lo:hi])
            views.append((NowsView(view.chars, view.offsets + lo, view.codes, view.source, lo),
                          lo > 0, hi < len(wtext)))
        return views

    def _nows(self, doc: int) -> NowsView:
        """Whitespace-free view of a work (an LRU of 64 stays warm on this matcher)."""
        return self._nows_cache.get(doc, lambda: NowsView.of(self.index.text(doc)))

    # -- seeds ----------------------------------------------------------------------------------
    def _seeds(self, channel: Channel, ids: npt.NDArray[np.uint64], starts: I64,
               exclude: set[int], hidden: npt.NDArray[np.bool_] | None = None,
               exempt: set[int] | None = None, settled: npt.NDArray[np.bool_] | None = None
               ) -> tuple[dict[int, list[tuple[int, int]]], I64]:
        """Postings grouped by document: ``({doc: [(output token index, work offset)]},
        unanswered)``, the second the output token indexes (k-gram starts, ascending) of
        fingerprints the index did not answer (idioms; any work may hold them).

        ``hidden`` (bool, shape ``(len(ids),)``): postings of k-grams starting at a hidden token
        are left out, except for works in ``exempt``. ``settled`` (bool, same shape): k-grams
        starting there would yield no posting the caller keeps, so they are not looked up (nor
        reported unanswered). The :attr:`Thresholds.max_candidates` works with the most
        postings left are returned."""
        if ids.shape[0] < channel.params.k or not self.index.has_postings(channel.name):
            return {}, np.empty(0, np.int64)
        hashes, pos = fingerprint(ids, channel.params)
        if settled is not None:
            ask = ~settled[pos]
            hashes, pos = hashes[ask], pos[ask]
            if not pos.shape[0]:
                return {}, np.empty(0, np.int64)
        h32 = (hashes >> np.uint64(32)).astype(np.uint32)
        qi, docs, wpos, unanswered = self.index.lookup(channel.name, h32)
        qpos = pos[qi]
        drop = None
        if exclude:  # a few works (np.isin costs more for small sets)
            drop = np.zeros(docs.shape[0], dtype=bool)
            for d in exclude:
                drop |= docs == d
        if hidden is not None:
            hide = hidden[qpos]
            for d in exempt or ():
                hide &= docs != d
            drop = hide if drop is None else drop | hide
        if drop is not None and drop.any():
            keep = ~drop
            qpos, docs, wpos = qpos[keep], docs[keep], wpos[keep]
        return _by_doc(qpos, docs, wpos, self.thresholds.max_candidates), pos[unanswered]

    # -- channel: code-exact ----------------------------------------------------------------------
    def _code_exact(self, text: str, ct: CodeTokens, out: NowsView, exclude: set[int],
                    in_prompt: npt.NDArray[np.bool_], newlines: list[int]
                    ) -> dict[int, list[Fragment]]:
        """Verbatim copies; ``in_prompt``: per char of ``out``, whether the prompt holds it;
        ``newlines``: :func:`_newlines` of ``text``."""
        seeds, _ = self._seeds(CODE_EXACT, ct.exact_ids, ct.exact_starts, exclude)
        if not seeds:
            return {}
        out_lines: list[int] | None = None  # computed once a run is long enough to trim
        result: dict[int, list[Fragment]] = {}
        # a run through a seed at output code point o and work code point w holds at most the
        # output's characters before o and after it: the work is read over [w - o, w + len -
        # o) widened by 256 code points of whitespace; a run reaching a window's cut edge is
        # redone on the whole work, so the windows only set the cost
        out_at = np.searchsorted(out.offsets, ct.exact_starts).tolist()
        out_cp = ct.exact_starts.tolist()
        for doc, hits in seeds.items():
            hits = sorted(hits)
            pieces = self._nows_near(doc, [(w - out_cp[q] - 256, w + len(text) - out_cp[q] + 256)
                                           for q, w in hits])
            ws = [w for _q, w in hits]
            piece_of, work_at = _places([v.base for v, _a, _b in pieces],
                                        [v.offsets for v, _a, _b in pieces], ws)
            frags: list[Fragment] = []
            # the last run tried per (piece, diagonal), (start, end) in output nows: seeds come
            # in output order and maximal runs on one diagonal are disjoint, so only the last
            # can hold one
            seen: dict[tuple[int, int], tuple[int, int]] = {}
            whole = False  # the pieces gave way to the whole work
            for h, (q, _w) in enumerate(hits):
                i = out_at[q]
                piece = 0 if whole else piece_of[h]
                work, cut_lo, cut_hi = pieces[piece]
                j = work_at[h]
                if i >= len(out.chars) or j >= len(work.chars):
                    continue
                diag = (piece, i - j)
                last = seen.get(diag)
                if last is not None and last[0] <= i < last[1]:
                    continue
                fwd = _codes_prefix(out.codes, i, work.codes, j)
                if fwd == 0:
                    continue  # a 32-bit hash collision
                back = _codes_suffix(out.codes, i, work.codes, j)
                if (cut_lo and j - back == 0) or (cut_hi and j + fwd == len(work.chars)):
                    # the run reaches a cut edge of its window: extend over the whole work
                    work, whole = self._nows(doc), True
                    pieces = [(work, False, False)]
                    seen.clear()
                    work_at = np.searchsorted(work.offsets, ws).tolist()
                    j = work_at[h]
                    diag = (0, i - j)
                    fwd = _codes_prefix(out.codes, i, work.codes, j)
                    back = _codes_suffix(out.codes, i, work.codes, j)
                s_o, e_o, s_w = i - back, i + fwd, j - back
                seen[diag] = (s_o, e_o)
                if e_o - s_o < self.thresholds.code_fragment_chars:
                    continue  # too short to count, trimmed or not
                if out_lines is None:
                    out_lines = _line_numbers(out, newlines)
                cut_s, cut_e = _line_trim(out_lines, s_o, e_o, self.index.work_text(doc), work,
                                          s_w)
                s_o, s_w, e_o = s_o + cut_s, s_w + cut_s, e_o - cut_e
                for a, b in _outside(in_prompt, s_o, e_o, self.thresholds.code_fragment_chars):
                    frags.append(Fragment(int(out.offsets[a]), int(out.offsets[b - 1]) + 1,
                                          int(work.offsets[s_w + a - s_o]),
                                          int(work.offsets[s_w + b - s_o - 1]) + 1, b - a))
            if frags:
                result[doc] = frags
        return result

    # -- channel: code-normalised -------------------------------------------------------------
    def _code_norm(self, text: str, ct: CodeTokens, out_view: NowsView, exclude: set[int],
                   in_prompt: npt.NDArray[np.bool_],
                   verified: dict[int, list[Fragment]] | None = None
                   ) -> dict[int, list[Fragment]]:
        """Renamed copies: seeds extended token by token over the normalised streams of output
        and work (the work re-tokenized around the seeds), kept when the identifier renaming is
        consistent (:func:`_consistent_renaming`). Seeds whose k-gram lies inside a fragment
        ``verified`` verbatim for the same work add nothing and are skipped.

        Output stretches reproduced verbatim (the fragments of a reported verbatim chain of any
        work, :attr:`Thresholds.code_chars` or more) are attributed to the works holding them
        verbatim: other works' seeds inside them are not verified as renamed copies. Code
        duplicated across many works (a library's model files copied with renamed classes)
        otherwise had every such work verified and the renamed slots
        (:attr:`Thresholds.max_renamed_candidates`) spent on text already attributed."""
        verified = verified or {}
        gram_end = ct.ends[np.minimum(np.arange(len(ct)) + CODE_NORM.params.k - 1,
                                      len(ct) - 1)] if len(ct) else ct.ends

        def inside(frags: Iterable[Fragment]) -> npt.NDArray[np.bool_]:
            """Per output token: whether its k-gram lies inside one of ``frags``' output spans."""
            spans = np.array(sorted((f.out_start, f.out_end) for f in frags),
                             dtype=np.int64).reshape(-1, 2)
            # some span starts at or before the k-gram and ends at or after it: among the spans
            # starting at or before it, the farthest end reaches it (tokens × spans at once was
            # seconds for an output holding a work 300 times)
            farthest = np.maximum.accumulate(spans[:, 1])
            last = np.searchsorted(spans[:, 0], ct.starts, "right") - 1
            hit: npt.NDArray[np.bool_] = (last >= 0) & (
                farthest[np.maximum(last, 0)] >= gram_end)
            return hit

        explained = [f for frags in verified.values() for chain in [_chain(frags)]
                     if sum(f.units for f in chain) >= self.thresholds.code_chars for f in chain]
        hidden = inside(explained) if explained else None  # k-grams already explained
        own: dict[int, npt.NDArray[np.bool_]] = {}  # a verified work's verbatim k-grams

        def own_of(doc: int) -> npt.NDArray[np.bool_]:
            if doc not in own:
                own[doc] = inside(verified[doc])
            return own[doc]

        settled = None  # hidden k-grams inside every verified work's own verbatim fragments:
        if hidden is not None:  # every posting of theirs is dropped below, so none is read
            settled = hidden.copy()
            for doc in verified:
                settled &= own_of(doc)
        seeds, unanswered = self._seeds(CODE_NORM, ct.norm_ids, ct.starts, exclude, hidden,
                                        set(verified), settled)
        if not seeds:
            return {}
        # hidden seeds bound runs like unanswered k-grams (:func:`_reach_nows`)
        bounds = unanswered if hidden is None else np.concatenate((unanswered,
                                                                   np.flatnonzero(hidden)))
        for doc in verified:
            if seeds.get(doc):
                mine = own_of(doc)
                seeds[doc] = [h for h in seeds[doc] if not mine[h[0]]]
        # verify the works with the most seeds in copy order (output and work offsets advancing
        # together) first
        ranked = _top_supported(seeds, self.thresholds.max_renamed_candidates)
        seeds = {d: seeds[d] for d in ranked}
        if not seeds:
            return {}
        tok_nows = (np.searchsorted(out_view.offsets, ct.ends)
                    - np.searchsorted(out_view.offsets, ct.starts)).astype(np.int64)
        # a literal matches here only as "some literal": its characters are not evidence of
        # copying, so it counts as one character (a docstring must not carry a match)
        tok_nows[ct.norm_ids == np.uint64(LITERAL_ID)] = 1
        named_tok = (ct.norm_ids == np.uint64(IDENT_ID)) | (ct.norm_ids == np.uint64(LITERAL_ID))
        prompt_before = np.concatenate(([0], np.cumsum(in_prompt)))  # prompt chars in [0, i)
        tok_in_prompt: npt.NDArray[np.bool_] | None = None  # tokens wholly in the prompt
        if in_prompt.any():
            a_at = np.searchsorted(out_view.offsets, ct.starts)
            b_at = np.searchsorted(out_view.offsets, ct.ends)
            tok_in_prompt = (prompt_before[b_at] - prompt_before[a_at]) == (b_at - a_at)
        prev_gram: I64 | None = None  # computed once a run gets that far
        nows_before = np.concatenate(([0], np.cumsum(tok_nows)))  # nows of tokens [0, i)
        result: dict[int, list[Fragment]] = {}
        # a renamed match is one chain (:meth:`_best_chain`): the bound is per chainable cluster
        reach = _reaches({d: h for d, h in seeds.items() if d not in verified}, bounds,
                         nows_before, CODE_NORM.params, (ct.starts, ct.ends, MAX_GAP_CHARS))
        for doc, hits in seeds.items():
            if reach.get(doc, self.thresholds.code_chars) < self.thresholds.code_chars:
                continue  # cannot reach code_chars whatever the work holds: not decoded
            # every seed's maximal run, computed for all seeds at once; only runs long enough
            # to count are tried, each once, in seed order, skipping seeds inside a kept run
            hits = sorted(hits)
            qa = np.fromiter((q for q, _w in hits), np.int64, len(hits))
            ja = np.fromiter((j for _q, j in hits), np.int64, len(hits))  # work token indexes
            kinds = self.index.code_kinds(doc)
            if kinds is not None:
                # the runs on the work's token kinds alone (nothing decompressed): most works
                # share only short runs with the output and are dropped here
                vocab, work_kinds = kinds
                in_work = ja < work_kinds.shape[0]  # else a damaged posting
                qa, ja = qa[in_work], ja[in_work]
                fwd_a, back_a = _run_extents(_kinds_in(ct.norm_ids, vocab), qa, work_kinds, ja)
                long = _long_enough(qa, fwd_a, back_a, nows_before,
                                    self.thresholds.code_fragment_chars)
                if (doc in verified and not long.any()) or (
                        doc not in verified and _union_tokens_nows(
                            (qa - back_a)[long], (qa + fwd_a)[long], nows_before)
                        < self.thresholds.code_chars):
                    continue  # (the runs before the cuts at gaps below: a bound)
            wt = self._work_code(doc)
            if wt is None:
                continue
            if kinds is None:  # a work registered without its stream: tokenized here
                in_work = ja < len(wt)
                qa, ja = qa[in_work], ja[in_work]
                fwd_a, back_a = _run_extents(ct.norm_ids, qa, wt.norm_ids, ja)
            frags: list[Fragment] = []
            fwd_a, back_a = _cut_at_gaps(qa, ja, fwd_a, back_a, ct.starts, ct.ends, wt.starts,
                                         wt.ends)
            long_enough = _long_enough(qa, fwd_a, back_a, nows_before,
                                       self.thresholds.code_fragment_chars)
            if doc not in verified and _union_tokens_nows(
                    (qa - back_a)[long_enough], (qa + fwd_a)[long_enough],
                    nows_before) < self.thresholds.code_chars:
                # a fragment's units never exceed its output run's characters and a chain's
                # fragments are disjoint in the output, so this work cannot reach code_chars
                # (works with verbatim fragments go on: their renamed ones count to coverage)
                continue
            # every distinct run (output start, diagonal) scored at once, in seed order
            q_l, j_l = qa[long_enough], ja[long_enough]
            f_l, b_l = fwd_a[long_enough], back_a[long_enough]
            if not q_l.shape[0]:
                continue
            run_of: dict[tuple[int, int], int] = {}
            firsts: list[int] = []  # per run, the index of its first seed
            for i, key in enumerate(zip((q_l - b_l).tolist(), (q_l - j_l).tolist(),
                                        strict=True)):
                if key not in run_of:
                    run_of[key] = len(firsts)
                    firsts.append(i)
            first_seed = np.array(firsts, dtype=np.int64)
            r_so = (q_l - b_l)[first_seed]
            r_eo = (q_l + f_l)[first_seed]
            r_diag = (q_l - j_l)[first_seed]
            dead: set[int] = set()
            if tok_in_prompt is not None:
                # a run is reported for its part after and before what the prompt holds, so its
                # span, lines and coverage agree with what counts
                for r, (a, b) in enumerate(zip(r_so.tolist(), r_eo.tolist(), strict=True)):
                    free = np.flatnonzero(~tok_in_prompt[a:b])
                    if not free.shape[0]:
                        dead.add(r)
                    else:
                        r_so[r], r_eo[r] = a + int(free[0]), a + int(free[-1]) + 1
            sizes = r_eo - r_so
            seg = np.concatenate(([0], np.cumsum(sizes)))
            o_tok = np.arange(int(seg[-1])) + np.repeat(r_so - seg[:-1], sizes)
            w_tok = o_tok - np.repeat(r_diag, sizes)
            # the work's text under the runs, read only once a run is long enough to count
            w_base = int(wt.starts[int(w_tok.min())])
            wtext = self.index.work_text(doc)[w_base:int(wt.ends[int(w_tok.max())])]
            # keywords and punctuation with equal normalised ids have equal text; only
            # identifiers and literals need their texts compared
            same = np.ones(o_tok.shape[0], dtype=bool)
            named_at = np.flatnonzero(named_tok[o_tok])
            if named_at.shape[0]:
                o_at, w_at = o_tok[named_at], w_tok[named_at]
                same[named_at] = _same_texts(text, ct.starts[o_at], ct.ends[o_at], wtext,
                                             wt.starts[w_at] - w_base, wt.ends[w_at] - w_base)
            if prev_gram is None:
                prev_gram = _previous_ngram(ct.norm_ids)
            units_a = _renamed_units(tok_nows[o_tok], ct.norm_ids[o_tok],
                                     wt.ends[w_tok] - wt.starts[w_tok], same,
                                     prev_gram[o_tok] - np.repeat(r_so, sizes), seg)
            r_os, r_oe = ct.starts[r_so], ct.ends[r_eo - 1]
            units_a -= (prompt_before[np.searchsorted(out_view.offsets, r_oe)]
                        - prompt_before[np.searchsorted(out_view.offsets, r_os)])
            renamed_a = ~np.logical_and.reduceat(same, seg[:-1])
            units_a[list(dead)] = 0
            units_l, os_l, oe_l = units_a.tolist(), r_os.tolist(), r_oe.tolist()
            so_l, eo_l = r_so.tolist(), r_eo.tolist()
            tried: set[int] = set()
            kept: list[tuple[int, int]] = []
            for q, j, back in zip(q_l.tolist(), j_l.tolist(), b_l.tolist(), strict=True):
                run = run_of[(q - back, q - j)]
                s_o, e_o = so_l[run], eo_l[run]  # the run without what the prompt holds
                s_w = s_o - (q - j)
                if run in tried or any(a <= q < b for a, b in kept):
                    continue  # a run already tried, or inside one already found
                tried.add(run)
                # the renaming is checked last: the units reject most runs (repetitive code)
                if units_l[run] < self.thresholds.code_fragment_chars or \
                        not _consistent_renaming(text, ct, s_o, e_o, wtext, wt, s_w, w_base):
                    continue
                kept.append((s_o, e_o))
                frags.append(Fragment(os_l[run], oe_l[run], int(wt.starts[s_w]),
                                      int(wt.ends[s_w + (e_o - s_o) - 1]), units_l[run],
                                      renamed=bool(renamed_a[run])))
            if frags:
                result[doc] = frags
        return result

    def _work_code(self, doc: int) -> TokenStream | None:
        """Normalised code tokens of a work: stored in the index at build time; parsed here
        only for code works registered without them; None for text works."""
        stored = self.index.code_tokens(doc)
        if stored is not None:
            return stored
        row = self.index.rows([doc]).get(doc)
        language = row.work.language if row is not None else None
        if language is None or not self.tokenizer.supported(language):
            return None
        ct = self.tokenizer.tokenize(self.index.text(doc), language)
        return TokenStream(ct.starts, ct.ends, ct.norm_ids)

    # -- channels: text and text-dense ----------------------------------------------------------
    def _text(self, channel: Channel, tokens: TextTokens, exclude: set[int],
              prompt: PromptFilter, min_units: int, need: int = 0,
              covered: dict[int, list[tuple[int, int]]] | None = None
              ) -> dict[int, list[Fragment]]:
        """Verified runs per work (``{doc: fragments}``, units = text tokens). ``need``: works
        whose runs cannot cover that many output tokens together (:func:`_reach_nows`, each
        token counting one) are not read: the caller has no use for them. ``covered``: per work,
        output spans (code points, half-open) whose tokens seed no run of that work."""
        if len(tokens) < need:  # (so no work can: nothing is looked up)
            return {}
        seeds, unanswered = self._seeds(channel, tokens.ids, tokens.starts, exclude)
        for doc, spans in (covered or {}).items():
            hits = seeds.get(doc)
            if hits:
                kept = [(q, w) for q, w in hits
                        if not any(a <= int(tokens.starts[q]) < b for a, b in spans)]
                if kept:
                    seeds[doc] = kept
                else:
                    del seeds[doc]
        if not seeds:
            return {}
        in_prompt = prompt.covered_tokens(tokens.ids)
        result: dict[int, list[Fragment]] = {}
        reach = _reaches(seeds, unanswered, np.arange(len(tokens) + 1, dtype=np.int64),
                         channel.params) if need else {}  # (a token counts one)
        # a run through a seed at output token q (code point o) and work code point w holds at
        # most the output's characters before o and after it, so the work is tokenized over
        # [w - o, w + len - o) widened by 256 code points; a run reaching a piece's cut edge is
        # redone on the whole work, so the pieces only set the cost (a work's seeds were spread
        # over it: one window around all of them tokenized 118 KB for a 2 KB output)
        out_len = int(tokens.ends[-1])
        out_at = tokens.starts.tolist()
        rows = self.index.rows([d for d in seeds if reach.get(d, need) >= need])
        for doc, hits in seeds.items():
            if reach.get(doc, need) < need:
                continue
            wtext = self.index.work_text(doc)
            # a code work's comments and strings were cut into words with the escapes that
            # stand for whitespace blanked (prose_text): its text is read the same way here
            row = rows.get(doc)
            prose = row is not None and row.work.modality == "code"
            hits = sorted(hits)
            ws = [w for _q, w in hits]
            pieces = self._work_token_pieces(
                wtext, [(w - out_at[q] - 256, w + out_len - out_at[q] + 256) for q, w in hits],
                prose)
            piece_of, js = _places([lo for _t, lo, _a, _b in pieces],
                                   [t.starts for t, _lo, _a, _b in pieces], ws)
            frags: list[Fragment] = []
            # the last run tried per (piece, diagonal), (start, end) in output tokens
            seen: dict[tuple[int, int], tuple[int, int]] = {}
            for h, (q, _w) in enumerate(hits):
                wt, _lo, cut_lo, cut_hi = pieces[piece_of[h]]
                j = js[h]
                if j >= len(wt):
                    continue
                diag = (piece_of[h], q - j)
                last = seen.get(diag)
                if last is not None and last[0] <= q < last[1]:
                    continue
                fwd = _ids_prefix(tokens.ids, q, wt.ids, j)
                if fwd == 0:
                    continue
                back = _ids_suffix(tokens.ids, q, wt.ids, j)
                if (cut_lo and j - back == 0) or (cut_hi and j + fwd == len(wt)):
                    # the run reaches a cut edge of its piece: use the whole work
                    pieces = self._work_token_pieces(wtext, None, prose)
                    wt = pieces[0][0]
                    piece_of = [0] * len(hits)
                    js = np.searchsorted(wt.starts, ws).tolist()
                    j = js[h]
                    diag = (0, q - j)  # diagonals of the whole work's tokens from here on
                    seen.clear()
                    fwd = _ids_prefix(tokens.ids, q, wt.ids, j)
                    back = _ids_suffix(tokens.ids, q, wt.ids, j)
                s_o, e_o, s_w = q - back, q + fwd, j - back
                seen[diag] = (s_o, e_o)
                for a, b in _outside(in_prompt, s_o, e_o, min_units):
                    frags.append(Fragment(int(tokens.starts[a]), int(tokens.ends[b - 1]),
                                          int(wt.starts[s_w + a - s_o]),
                                          int(wt.ends[s_w + b - s_o - 1]), b - a))
            if frags:
                result[doc] = frags
        return result

    @staticmethod
    def _work_token_pieces(wtext: WorkText, windows: list[tuple[int, int]] | None,
                           prose: bool = False) -> list[tuple[TextTokens, int, bool, bool]]:
        """Text tokens of a work over ``windows`` (code-point spans in any order; each widened
        to whitespace so no word is cut, overlapping ones merged), or of the whole work when
        ``windows`` is None or they cover half of it: ``[(tokens, start, cut before, cut
        after)]`` in work order, ``start`` the piece's first code point, the flags whether the
        work goes on before and after the piece. ``prose``: read the text through
        :func:`~rightsguard.fingerprint.code.prose_text` (a code work; offsets unchanged, and
        no escape is cut, since pieces start and end at whitespace)."""
        read = prose_text if prose else str
        n = len(wtext)
        widened = []
        for lo, hi in _merged([(max(0, lo), min(n, hi)) for lo, hi in windows or ()]):
            while lo > 0 and not wtext[lo - 1].isspace():
                lo -= 1
            while hi < n and not wtext[hi].isspace():
                hi += 1
            widened.append((lo, hi))
        widened = _merged(widened)
        if not widened or sum(hi - lo for lo, hi in widened) >= n // 2:
            return [(tokenize_text(read(wtext.full())), 0, False, False)]
        return [(tokenize_text(read(wtext[lo:hi]), offset=lo), lo, lo > 0, hi < n)
                for lo, hi in widened]

    # -- assembling -------------------------------------------------------------------------------
    def match_code(self, text: str, language: str, *, exclude: set[int] | None = None,
                   prompt: str | None = None) -> tuple[list[Match], str]:
        """Matches of code ``text``. Returns (matches, tokenizer name)."""
        ct = self.tokenizer.tokenize(text, language, fragment=True)
        excl = exclude or set()
        pf = PromptFilter.of(prompt)
        out_view = NowsView.of(text)
        in_prompt = pf.covered_chars(out_view.chars)  # once: both code channels and coverage
        newlines = _newlines(text)
        exact = self._code_exact(text, ct, out_view, excl, in_prompt, newlines)
        norm = self._code_norm(text, ct, out_view, excl, in_prompt, exact)
        matches: list[Match] = []
        covered: dict[int, list[tuple[int, int]]] = {}  # output spans of each work's code matches
        out_nows = max(1, len(out_view.chars))
        prompt_before = None  # output characters in the prompt before each nows index
        if in_prompt.any():
            prompt_before = np.concatenate(([0], np.cumsum(in_prompt)))
        self.index.rows(set(exact) | set(norm))  # one batch of registry reads, cached
        for doc in sorted(set(exact) | set(norm)):
            # coverage counts every verified fragment of both channels, in any order (a copy
            # with reordered functions still reproduces all of them)
            pieces = exact.get(doc, []) + norm.get(doc, [])
            cover: tuple[float, float] | None = None
            left = {CODE_EXACT.name: exact.get(doc, []), CODE_NORM.name: norm.get(doc, [])}
            # one match per disjoint copy: the best chain, then the best of the fragments
            # outside it, ... (a work copied twice into an output, or two of its functions far
            # apart, is two matches: a newcomer's second copy was never located)
            while True:
                best = self._best_chain(left)
                if best is None:
                    break
                chain, kind, chan = best
                lo, hi = chain[0].out_start, chain[-1].out_end
                left = {c: _beside(fs, chain) for c, fs in left.items()}
                covered.setdefault(doc, []).append((lo, hi))
                tokens = _channel_tokens(ct, chan, lo, hi)
                longest = max(_channel_tokens(ct, chan, f.out_start, f.out_end) for f in chain)
                if cover is None:
                    cover = (_union_nows([(f.out_start, f.out_end) for f in pieces], out_view,
                                         prompt_before) / out_nows,
                             _union_nows_text([(f.work_start, f.work_end) for f in pieces],
                                              self.index.work_text(doc))
                             / max(1, self.index.rows([doc])[doc].chars_nows))
                matches.append(self._match(doc, chain, text, newlines, kind=kind,
                                           channel=chan, matched_tokens=tokens,
                                           longest=longest, out_total=out_nows,
                                           work_unit="nows", cover=cover))
        # comments and strings as text (a licence pasted into code; a work's comment copied
        # apart from its copied code, e.g. a file header above a code match)
        matches.extend(self._text_matches(text, ct.text, excl, pf, newlines, covered))
        return explained_by_licence_texts(refine_licence_variants(matches), text,
                                          self.thresholds), ct.tokenizer

    def _best_chain(self, frags: dict[str, list[Fragment]]
                    ) -> tuple[list[Fragment], str, str] | None:
        """The chain (:func:`_chain`) of one channel's fragments covering the most units, if it
        reaches :attr:`Thresholds.code_chars`: ``(chain, kind, channel)``; verbatim fragments
        win ties."""
        best: tuple[list[Fragment], str, str] | None = None
        for chan, kind1 in ((CODE_EXACT.name, "verbatim"), (CODE_NORM.name, "renamed")):
            chain = _chain(frags.get(chan, []))
            total = sum(f.units for f in chain)
            if total >= self.thresholds.code_chars and (
                    best is None or total > sum(f.units for f in best[0])):
                if kind1 == "renamed" and not any(f.renamed for f in chain):
                    kind1 = "verbatim"  # found structurally, but every token is the same
                kind = kind1 if len(chain) == 1 else (
                    "near-verbatim" if kind1 == "verbatim" else "renamed")
                best = (chain, kind, chan)
        return best

    def match_text(self, text: str, *, exclude: set[int] | None = None,
                   prompt: str | None = None) -> list[Match]:
        """Matches of prose ``text`` (NFKC + case folded tokens)."""
        tokens = tokenize_text(text)
        return explained_by_licence_texts(refine_licence_variants(self._text_matches(
            text, tokens, exclude or set(), PromptFilter.of(prompt), _newlines(text))),
            text, self.thresholds)

    def _text_matches(self, text: str, tokens: TextTokens, exclude: set[int],
                      pf: PromptFilter, newlines: list[int],
                      covered: dict[int, list[tuple[int, int]]] | None = None) -> list[Match]:
        """Text matches of ``tokens``. ``covered``: per work, output spans (code points) its
        code matches already report; runs of that work are sought only from output tokens
        outside them (the words of a copied function's comments are part of its code match)."""
        th = self.thresholds
        # a work's long runs count only when they reach text_tokens (else: dense, short works)
        long_runs = self._text(TEXT, tokens, exclude, pf, th.text_fragment_tokens,
                               need=th.text_tokens, covered=covered)
        dense = self._text(TEXT_DENSE, tokens, exclude, pf, th.dense_fragment_tokens,
                           covered=covered)
        rows = self.index.rows(set(long_runs) | set(dense))
        matches: list[Match] = []
        out_total = max(1, len(tokens))
        for doc in sorted(set(long_runs) | set(dense)):
            row = rows.get(doc)
            if row is None:
                continue
            # one match per disjoint copy, as for code: the best chain, then the best of the
            # fragments outside it, ... (three passages from far apart in a long work, or a
            # paragraph pasted twice, had only the longest reported)
            chains: list[list[Fragment]] = []
            left = long_runs.get(doc, [])
            while (chain := _chain(left)) and sum(f.units for f in chain) >= th.text_tokens:
                chains.append(chain)
                left = _beside(left, chain)
            channel = TEXT.name
            if not chains:
                chain = _chain(dense.get(doc, []))
                if not chain or sum(f.units for f in chain) / max(1, row.tokens) < \
                        th.short_work_coverage:
                    continue
                chains, channel = [chain], TEXT_DENSE.name
            wtext = self.index.work_text(doc)
            cover = None
            if len(chains) > 1:  # coverages count every copy
                cover = _text_cover([f for c in chains for f in c], tokens, wtext, out_total,
                                    row.tokens)
            for chain in sorted(chains, key=lambda c: c[0].out_start):
                total = sum(f.units for f in chain)
                # verbatim: one run of the same characters, whitespace aside; the same words
                # in other case or punctuation are near-verbatim (json-format.md)
                f = chain[0]
                kind = "verbatim" if len(chain) == 1 and "".join(
                    text[f.out_start:f.out_end].split()) == "".join(
                    wtext[f.work_start:f.work_end].split()) else "near-verbatim"
                matches.append(self._match(doc, chain, text, newlines, kind=kind,
                                           channel=channel, matched_tokens=total,
                                           longest=max(f.units for f in chain),
                                           out_total=out_total, work_unit="tokens",
                                           cover=cover))
        return matches

    def _match(self, doc: int, chain: list[Fragment], text: str, newlines: list[int], *,
               kind: str, channel: str, matched_tokens: int, longest: int, out_total: int,
               work_unit: str, cover: tuple[float, float] | None = None) -> Match:
        """A Match for ``chain``; ``cover`` = (output coverage, work coverage), fractions,
        overrides the chain-based coverages."""
        row = self.index.rows([doc])[doc]
        wtext = self.index.work_text(doc)
        o_s, o_e = chain[0].out_start, chain[-1].out_end
        w_s, w_e = chain[0].work_start, min(len(wtext), chain[-1].work_end)
        ol = _lines(newlines, o_s, o_e)
        w_last = max(w_s, w_e - 1)
        wl = (wtext.newlines_before(w_s) + 1, wtext.newlines_before(w_last) + 1,
              w_s - wtext.line_start(w_s) + 1, w_e - wtext.line_start(w_last) + 1)
        nows = sum(_nows_len(text[f.out_start:f.out_end]) for f in chain) \
            if work_unit == "tokens" else sum(f.units for f in chain)
        if work_unit == "nows":
            out_cov = nows / out_total
            work_cov = nows / max(1, row.chars_nows)
        else:
            out_cov = matched_tokens / out_total
            work_cov = matched_tokens / max(1, row.tokens)
        if cover is not None:
            out_cov, work_cov = cover
        verdict, reason = self.policy.verdict(row.work)
        return Match(
            work=row.work, output_span=Span(o_s, o_e, *ol), work_span=Span(w_s, w_e, *wl),
            matched_chars_nows=nows, matched_tokens=matched_tokens, longest_run_tokens=longest,
            output_coverage=min(1.0, out_cov), work_coverage=min(1.0, work_cov), kind=kind,
            channel=channel, matcher=f"winnow/{channel}",
            approx=any(f.approx for f in chain), fragments=len(chain), verdict=verdict,
            reason=reason)


#: Winnowing of the syntax-tree stream used by :class:`SimilarityFinder`: Dolos's defaults,
#: k = 23 and a window of 17 k-grams, so t = 39 (Maertens et al. 2022).
STRUCTURE_PARAMS = WinnowParams(23, 39, HASH_SEED)
#: Indexes with at most this many works are compared whole by :class:`SimilarityFinder`.
EXHAUSTIVE_WORKS = 1000
U32A = npt.NDArray[np.uint32]


def _print_set(ids: npt.NDArray[np.uint64], params: WinnowParams) -> U32A:
    """Distinct 32-bit winnowed fingerprints of a token stream."""
    if ids.shape[0] < params.k:
        return np.empty(0, np.uint32)
    hashes, _pos = fingerprint(ids, params)
    return np.unique((hashes >> np.uint64(32)).astype(np.uint32))


@dataclass
class SimilarityFinder:
    """Ranks works by Dolos-style fingerprint similarity to an output (look-ups, SOCO).

    Candidates are the works sharing any exact or normalised fingerprint with the output (the
    noise stoplist does not apply: similarity counts idioms too, as Dolos does); each candidate
    is fingerprinted again from its stored source (an LRU of 256 works stays warm), so this is
    a look-up tool, not the serving path.
    """

    index: Index
    tokenizer: CodeTokenizer = field(default_factory=CodeTokenizer)
    candidates: int = 64
    _cache: LRU[int, dict[str, U32A]] = field(default_factory=lambda: LRU(256), repr=False)

    def prints(self, text: str, language: str | None) -> dict[str, U32A]:
        """Fingerprint sets per stream: ``structure`` (syntax-tree shape), ``code-exact`` and
        ``code-normalised`` for code (the normalised leaf stream stands in for ``structure``
        where no tree-sitter grammar exists), ``text`` for prose. The similarity is the mean of
        the streams' Dice coefficients: on SOCO it beat each stream alone and the two-stream
        mean (F1 java 0.875/0.864, C 0.681/0.593 as given/closed, ``python -m bench --only
        soco``)."""
        if language is not None and self.tokenizer.supported(language):
            ct = self.tokenizer.tokenize(text, language)
            tree = self.tokenizer.structure_ids(text, language)
            return {"structure": _print_set(tree if tree is not None else ct.norm_ids,
                                            STRUCTURE_PARAMS),
                    CODE_EXACT.name: _print_set(ct.exact_ids, CODE_EXACT.params),
                    CODE_NORM.name: _print_set(ct.norm_ids, CODE_NORM.params)}
        return {TEXT.name: _print_set(tokenize_text(text).ids, TEXT.params)}

    def _work_prints(self, doc: int, language: str | None) -> dict[str, U32A]:
        return self._cache.get(doc, lambda: self.prints(self.index.text(doc), language))

    def similar(self, text: str, language: str | None, *, top: int, exclude: set[int]
                ) -> list[tuple[int, float, tuple[tuple[str, int, int, int], ...]]]:
        """``[(doc, similarity, per-stream (name, shared, output, work))]``, best first."""
        out = self.prints(text, language)
        code = CODE_EXACT.name in out
        hits: dict[int, int] = defaultdict(int)
        if code:
            ct = self.tokenizer.tokenize(text, language or "")
            lookups = [(CODE_EXACT, ct.exact_ids), (CODE_NORM, ct.norm_ids)]
        else:
            lookups = [(TEXT, tokenize_text(text).ids)]
        for channel, ids in lookups:
            h32 = _print_set(ids, channel.params)
            docs = self.index.lookup(channel.name, h32, stoplist=False).doc
            for d in docs.tolist():
                if d not in exclude:
                    hits[d] += 1
        limit = max(self.candidates, 3 * top)
        if self.index.registry.counts()["works"] <= EXHAUSTIVE_WORKS:
            # a small index is compared whole: the syntax-tree stream is not indexed, so works
            # alike only in shape would otherwise never become candidates
            for d in self.index.registry.live_docs():
                if d not in exclude:
                    hits.setdefault(d, 0)
            limit = len(hits)
        best = sorted(hits, key=lambda d: (-hits[d], d))[:limit]
        rows = self.index.rows(best)
        scored = []
        for doc in best:
            row = rows.get(doc)
            if row is None:
                continue
            work = self._work_prints(doc, row.work.language if code else None)
            per = []
            for name, mine in out.items():
                theirs = work.get(name, np.empty(0, np.uint32))
                shared = int(np.intersect1d(mine, theirs, assume_unique=True).shape[0])
                per.append((name, shared, int(mine.shape[0]), int(theirs.shape[0])))
            sims = [2 * sh / (a + b) for _n, sh, a, b in per if a + b]
            if sims:
                scored.append((doc, sum(sims) / len(sims), tuple(per)))
        scored.sort(key=lambda x: (-x[1], x[0]))
        return scored[:top]


def refine_licence_variants(matches: list[Match], overlap: float = 0.8) -> list[Match]:
    """refine: one licence text pasted into an output matches every variant of it (GPL-3.0-only,
    GPL-3.0-or-later, AGPL-3.0 …). Keep the licence-text match with the most matched tokens and
    name the other variants in its reason, when their output spans overlap by ``overlap`` of the
    shorter one. Matches of other works are untouched."""
    texts = sorted((m for m in matches if m.work.kind == "licence-text"),
                   key=lambda m: (-m.matched_tokens, m.work.title))
    kept: list[Match] = []
    also: dict[int, list[str]] = {}
    for m in texts:
        for i, k in enumerate(kept):
            a = max(m.output_span.start, k.output_span.start)
            b = min(m.output_span.end, k.output_span.end)
            shorter = min(m.output_span.end - m.output_span.start,
                          k.output_span.end - k.output_span.start)
            if shorter > 0 and b - a >= overlap * shorter:
                also.setdefault(i, []).append(m.work.licence)
                break
        else:
            kept.append(m)
    for i, names in also.items():
        kept[i] = replace(kept[i], reason=f"{kept[i].reason}; the same text is also in the "
                                          f"licence text of {', '.join(sorted(names))}")
    others = [m for m in matches if m.work.kind != "licence-text"]
    return sorted(others + kept, key=lambda m: (m.output_span.start, m.work.title))


def explained_by_licence_texts(matches: list[Match], text: str,
                               thresholds: Thresholds) -> list[Match]:
    """refine: a licence text pasted into an output (an MIT header) also matches every
    registered work that carries the same text in a comment — a newcomer's MIT header gave 16
    matches, three of them ``block`` through their works' licences. The output reproduces the
    licence, whose terms permit verbatim copies, not those works: a match of another work is
    dropped when the part of its output span outside every licence-text match's span falls
    below the reporting threshold (:attr:`Thresholds.code_chars` non-whitespace characters,
    or :attr:`Thresholds.text_tokens` tokens for text matches), and the licence-text match
    names how many works hold the same text. Short works (``text-dense``) are kept."""
    licences = [m for m in matches if m.work.kind == "licence-text"]
    if not licences:
        return matches
    covered = _merged([(m.output_span.start, m.output_span.end) for m in licences])
    kept: list[Match] = []
    held: dict[int, list[str]] = {}  # licence match index -> titles of works explained by it
    for m in matches:
        if m.work.kind == "licence-text" or m.channel == TEXT_DENSE.name:
            kept.append(m)
            continue
        start, end = m.output_span.start, m.output_span.end
        rest, at = [], start
        for a, b in covered:
            if b <= at or a >= end:
                continue
            if a > at:
                rest.append(text[at:a])
            at = max(at, b)
        if at < end:
            rest.append(text[at:end])
        outside = " ".join(rest)
        if m.channel == TEXT.name:
            enough = count_tokens(outside) >= thresholds.text_tokens
        else:
            enough = len("".join(outside.split())) >= thresholds.code_chars
        if enough:
            kept.append(m)
            continue
        best = max(range(len(licences)), key=lambda i: min(end, licences[i].output_span.end)
                   - max(start, licences[i].output_span.start))
        held.setdefault(best, []).append(m.work.title)
    for i, titles in held.items():
        lic = licences[i]
        shown = ", ".join(sorted(titles)[:3]) + (f" and {len(titles) - 3} more"
                                                 if len(titles) > 3 else "")
        note = (f"the same text is in {len(titles)} registered work"
                f"{'s' if len(titles) > 1 else ''} ({shown}); reported once, as the licence text")
        at = kept.index(lic)
        kept[at] = replace(lic, reason=f"{lic.reason}; {note}" if lic.reason else note)
    return kept


def verdict_of(matches: list[Match]) -> Verdict:
    """The most severe verdict of the matches (clean when there are none)."""
    return max((m.verdict for m in matches), default=Verdict.CLEAN)
