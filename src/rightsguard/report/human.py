"""The human report: Rich tables for a terminal, plain text when the console is not one.

Everything prints through the ``console`` passed in, so colour, width and recording follow it
(Rich drops colour codes when the console is not a terminal). Work titles, holders and other
values from the index are printed as plain :class:`~rich.text.Text`, never parsed as markup,
and their control characters (C0 but tab and newline, C1, Unicode bidirectional overrides and
isolates) as escapes (``\x1b``, ``\u202e``): a catalogue row's title must not move the cursor,
recolour the terminal or reorder what is printed after it (Trojan Source, CVE-2021-42574).
"""

from __future__ import annotations

import dataclasses
import re
from typing import Any, TypeVar, cast

from rich import box
from rich.console import Console
from rich.table import Table
from rich.text import Text

from rightsguard.model import (
    ImageMatch,
    Match,
    ScreenReport,
    ScreenResult,
    Skipped,
    Verdict,
    Work,
)
from rightsguard.report._words import holders_phrase

__all__ = ["attribution_notice", "printable", "render_human", "render_side_by_side"]

T = TypeVar("T")

#: Code points printed as escapes (module docstring).
_UNPRINTABLE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def printable(value: T) -> T:
    """``value`` with every string in it (dataclass fields, tuples, lists, dicts, recursively)
    free of control characters, each shown as its escape (``"\\x1b"``, ``"\\u202e"``)."""
    out: Any = value
    if isinstance(value, str):
        if _UNPRINTABLE.search(value):
            out = _UNPRINTABLE.sub(lambda m: m.group().encode("unicode_escape").decode("ascii"),
                                   value)
    elif dataclasses.is_dataclass(value) and not isinstance(value, type):
        out = dataclasses.replace(value, **{f.name: printable(getattr(value, f.name))
                                            for f in dataclasses.fields(value)})
    elif isinstance(value, tuple | list):
        out = type(value)(printable(v) for v in value)
    elif isinstance(value, dict):
        out = {k: printable(v) for k, v in value.items()}
    return cast(T, out)


_STYLES: dict[Verdict, str] = {
    Verdict.BLOCK: "bold red",
    Verdict.REVIEW: "bold yellow",
    Verdict.ATTRIBUTE: "bold cyan",
    Verdict.CLEAN: "bold green",
}


def _verdict_text(verdict: Verdict) -> Text:
    return Text(verdict.label, style=_STYLES[verdict])


def _lines(first: int, last: int) -> str:
    return str(first) if first == last else f"{first}–{last}"


def attribution_notice(work: Work) -> str:
    """The notice a user pastes next to output that reproduces ``work``.

    ``This output reproduces <title> by <holders>, licensed <licence>. Source: <uri>`` (the
    source sentence is left out when the work has no recorded source).
    """
    holders = holders_phrase(work.holders)
    notice = f"This output reproduces {work.title} by {holders}, licensed {work.licence}."
    if work.sources:
        notice += f" Source: {work.sources[0].uri}"
    return notice


def _pct(fraction: float) -> str:
    """A coverage as a percentage, with enough digits that a small non-zero one is not 0.0%."""
    if 0 < fraction < 0.001:
        return f"{fraction:.2%}"
    return f"{fraction:.1%}"


def _top_match(result: ScreenResult) -> Match | None:
    """The most severe match, then the longest (non-whitespace characters), then the first."""
    if not result.matches:
        return None
    return max(result.matches, key=lambda m: (m.verdict, m.matched_chars_nows))


def _titled_table(result: ScreenResult) -> Table:
    """An empty table titled with the input and its verdict."""
    return Table(
        title=Text.assemble((result.input, "bold"), " — ", _verdict_text(result.verdict)),
        title_justify="left",
        show_lines=True,
    )


def _result_table(result: ScreenResult) -> Table:
    """A table titled with the input and its verdict, with the columns every match has."""
    table = _titled_table(result)
    # Values fold rather than end in "…": nothing the user needs is cut off at any width.
    for column in ("Verdict", "Work", "Holders", "Licence"):
        table.add_column(column, overflow="fold")
    return table


def _match_table(result: ScreenResult) -> Table:
    table = _result_table(result)
    table.add_column("Lines", justify="right", overflow="fold")  # of the output
    table.add_column("Length", justify="right", overflow="fold")
    table.add_column("Coverage", justify="right", overflow="fold")
    table.add_column("Kind / channel", overflow="fold")
    for match in result.matches:
        work = match.work
        table.add_row(
            _verdict_text(match.verdict),
            Text(work.title),
            Text(holders_phrase(work.holders)),
            Text(f"{work.licence}\n({work.licence_category.value})"),
            Text(_lines(match.output_span.start_line, match.output_span.end_line)),
            Text(
                f"{match.matched_chars_nows} chars\n{match.matched_tokens} tokens"
                f"\nlongest {match.longest_run_tokens}"
            ),
            Text(f"output {_pct(match.output_coverage)}\nwork {_pct(match.work_coverage)}"),
            Text(f"{match.kind}\n{match.channel}" + ("\napproximate" if match.approx else "")),
        )
    return table


def _polygon_text(polygon: tuple[tuple[float, float], ...]) -> str:
    """A region's bounding box in pixels, ``x0,y0–x1,y1`` (half-open)."""
    if not polygon:
        return "—"
    xs = [p[0] for p in polygon]
    ys = [p[1] for p in polygon]
    return f"{round(min(xs))},{round(min(ys))}–{round(max(xs))},{round(max(ys))}"  # ints: no -0


def _image_table(result: ScreenResult) -> Table:
    """One row per image match, in four columns so that an 80-column pipe breaks no value:
    the work with its holders and licence; the two regions' boxes; kind, coverage and scores."""
    table = _titled_table(result)
    table.add_column("Verdict", overflow="fold")
    table.add_column("Work, holders, licence", overflow="fold", ratio=3)
    table.add_column("Where (px)", overflow="fold", no_wrap=True)  # bounding boxes
    table.add_column("Kind, coverage, scores", overflow="fold", ratio=2)
    for match in result.image_matches:
        work = match.work
        scores = "\n".join(f"{k.replace('_', ' ')} {v:.3g}" for k, v in match.scores)
        table.add_row(
            _verdict_text(match.verdict),
            Text(f"{work.title}\n{holders_phrase(work.holders)}\n"
                 f"{work.licence}\n({work.licence_category.value})"),
            Text(f"output\n{_polygon_text(match.output_polygon)}\n"
                 f"work\n{_polygon_text(match.work_polygon)}"),
            Text(f"{match.kind}" + (" (flipped)" if match.flipped else "")
                 + f"\noutput {_pct(match.output_coverage)}, work {_pct(match.work_coverage)}"
                 + f"\n{scores}"),
        )
    return table


def _render_result(result: ScreenResult, console: Console, *, show_notice: bool,
                   whole: tuple[int, Verdict] | None = None) -> None:
    """One input, or one part of it; ``whole``: ``(parts, verdict of the input)`` when the
    input has several parts (a markdown answer), so a clean part is not read as a clean
    input."""
    if result.image_matches:
        console.print(_image_table(result))
        for im in result.image_matches:
            if im.reason:
                console.print(Text.assemble("  ", _verdict_text(im.verdict),
                                            f" {im.work.title}: ", im.reason))
    elif not result.matches:
        console.print(
            Text.assemble(
                (result.input, "bold"),
                " — ",
                _verdict_text(result.verdict),
                ": no reproductions found",
                *((" in this part (the input has ", str(whole[0]), " parts, verdict ",
                   _verdict_text(whole[1]), ")") if whole is not None else ()),
            )
        )
    else:
        console.print(_match_table(result))
        for match in result.matches:
            if match.reason:
                console.print(
                    Text.assemble(
                        "  ", _verdict_text(match.verdict), f" {match.work.title}: ", match.reason
                    )
                )
    for note in result.notes:
        console.print(Text(f"  note: {note}", style="dim"))
    if not show_notice:
        return
    seen: set[str] = set()
    matched: list[tuple[Verdict, Work]] = [(m.verdict, m.work) for m in result.matches]
    matched += [(m.verdict, m.work) for m in result.image_matches]
    for verdict, work in matched:
        if verdict != Verdict.ATTRIBUTE or work.work_id in seen:
            continue
        seen.add(work.work_id)
        console.print(Text("Attribution notice (keep it with the output):", style="bold cyan"))
        # soft_wrap: no line breaks inserted, so the notice pastes as one line.
        console.print(Text(attribution_notice(work)), soft_wrap=True)


def _render_error(error: Skipped, console: Console) -> None:
    console.print(
        Text.assemble(
            (error.input, "bold"),
            " — ",
            _verdict_text(Verdict.REVIEW),
            ": not screened, its rights cannot be determined",
        ),
        soft_wrap=True,  # one line each: the file name and message are not broken up
    )
    console.print(Text(f"  error: {error.reason}"), soft_wrap=True)


def _unconfirmed(match: ImageMatch) -> bool:
    """A registered image that ``--top`` lists as near but nothing confirmed as a copy."""
    return match.kind == "similar" and match.verdict == Verdict.CLEAN


def _image_kind(match: ImageMatch) -> str:
    """An image match's kind with the figure that says how much: the share of the work
    copied, a mark's score, a likeness's cosine, hash distance or SIFT votes."""
    scores = dict(match.scores)
    if match.kind == "mark":
        return f"mark, score {scores.get('mark_score', 0.0):.2f}"
    if match.kind == "copy":
        return f"{'flipped ' if match.flipped else ''}copy, {_pct(match.work_coverage)} of work"
    for key, label in (("descriptor_cosine", "cosine"), ("style_cosine", "cosine")):
        if key in scores:
            return f"{match.kind}, {label} {scores[key]:.2f}"
    if "pdq_distance" in scores:
        return f"{match.kind}, PDQ {scores['pdq_distance']:.0f} bits"
    if "feature_votes" in scores:
        return f"{match.kind}, {scores['feature_votes']:.0f} SIFT votes"
    return match.kind


def _part_top(result: ScreenResult) -> tuple[Verdict, Text] | None:
    """One part's top match as (verdict, the kind line of the summary): for images the first
    of the most severe (matches come ranked), for code and text :func:`_top_match`."""
    if result.image_matches:
        worst = max(m.verdict for m in result.image_matches)
        im = next(m for m in result.image_matches if m.verdict == worst)
        return worst, _top_cell(im.work, _image_kind(im))
    match = _top_match(result)
    if match is None:
        return None
    size = f"{match.matched_tokens} tokens" if match.channel == "text" else \
        f"{match.matched_chars_nows} chars"
    return match.verdict, _top_cell(match.work, f"{match.kind}, {size}")


def _top_cell(work: Work, kind: str) -> Text:
    """Title / holders / licence / kind, each one line cut with an ellipsis when too long."""
    return Text.assemble(
        (work.title, "bold"), "\n", holders_phrase(work.holders), "\n", work.licence, "\n",
        kind, no_wrap=True, overflow="ellipsis")


def _short_name(name: str, width: int) -> str:
    """``name`` in at most ``width`` characters: its first folder (when short) and its end
    (the file name, with whole folders before it when they fit) around an ellipsis."""
    if len(name) <= width:
        return name
    first = name.find("/", 1) + 1
    for head in (first, 0) if 0 < first <= (width - 1) // 3 else (0,):
        tail = name[len(name) - (width - 1 - head):]
        cut = tail.find("/")
        if 0 <= cut < len(tail) - 1:
            return name[:head] + "…" + tail[cut:]  # whole folders, not the end of one
    return "…" + name[len(name) - (width - 1):]  # a long file name: all the room for it


def _summary_table(report: ScreenReport, width: int) -> Table | None:
    """One row per input (the parts of a mixed prose/code output together; an input that
    could not be read as ``review`` with its reason); None for a single input."""
    grouped: dict[str, list[ScreenResult]] = {}
    for result in report.results:
        grouped.setdefault(result.input, []).append(result)
    if len(grouped) + len(report.errors) < 2:
        return None
    # no vertical rules, 2 spaces between columns: at 80 columns the fixed columns and the
    # gaps take 33, names get 18
    name_width = max(12, (width - 33) * 2 // 5)
    table = Table(title=Text("Summary", style="bold"), title_justify="left", box=box.SIMPLE,
                  show_edge=False, show_lines=True, padding=(0, 1, 0, 0), pad_edge=False)
    table.add_column("Input", max_width=name_width, no_wrap=True, overflow="ellipsis")
    table.add_column("Modality", no_wrap=True)
    table.add_column("Verdict", no_wrap=True)
    table.add_column("Matches", justify="right", no_wrap=True)
    table.add_column("Top match")
    for name, parts in grouped.items():
        modalities = list(dict.fromkeys(r.modality for r in parts))
        tops = [t for t in map(_part_top, parts) if t is not None]
        best = max(tops, key=lambda t: t[0], default=None)  # the first of the most severe
        table.add_row(
            Text(_short_name(name, name_width)),
            Text("+".join(modalities)),
            _verdict_text(max(r.verdict for r in parts)),
            Text(str(sum(len(r.matches) + sum(not _unconfirmed(m) for m in r.image_matches)
                         for r in parts))),
            best[1] if best else Text("no reproduction found", style="dim"),
        )
    for error in report.errors:
        reason = error.reason.removeprefix(f"{error.input}: ")
        table.add_row(Text(_short_name(error.input, name_width)), Text("—"),
                      _verdict_text(Verdict.REVIEW), Text("—"),
                      Text(f"not screened: {reason}", style="dim"))
    return table


def render_human(report: ScreenReport, console: Console, *, show_notice: bool = True) -> None:
    """Print one table per input, each input that could not be read (as ``review``: its rights
    cannot be determined) with its error, attribution notices, a summary table when there is
    more than one input, and a closing run-verdict line (which counts the files skipped in
    folders; the JSON report lists them).

    The summary has one row per input: its name (shortened in the middle to fit), modality
    (``code``, ``text``, ``image``; ``text+code`` for a mixed output), verdict, number of
    matches and its top match (the most severe: work title, holders, licence, and its kind,
    e.g. ``copy, 71.0% of work``, ``mark, score 0.93``, ``similar, 12 SIFT votes``); an
    input that could not be read is a ``review`` row with the reason. It fits 80 columns: long
    names and titles end in "…" rather than wrapping.

    ``show_notice`` prints, under each input, a paste-ready attribution notice for every work
    matched there with verdict ``attribute`` (once per work).
    """
    report = printable(report)
    parts: dict[str, list[Verdict]] = {}
    for result in report.results:
        parts.setdefault(result.input, []).append(result.verdict)
    for result in report.results:
        mine = parts[result.input]
        _render_result(result, console, show_notice=show_notice,
                       whole=(len(mine), max(mine)) if len(mine) > 1 else None)
        console.print()
    for error in report.errors:
        _render_error(error, console)
        console.print()
    summary_table = _summary_table(report, console.width)
    if summary_table is not None:
        console.print(summary_table)
        console.print()
    counts = {v: 0 for v in Verdict}
    lookalikes = 0  # --top's nearest images that nothing confirmed: not matches
    for result in report.results:
        lookalikes += sum(_unconfirmed(m) for m in result.image_matches)
        for verdict in [m.verdict for m in result.matches] + \
                [m.verdict for m in result.image_matches if not _unconfirmed(m)]:
            counts[verdict] += 1
    total = sum(counts.values())
    breakdown = ", ".join(
        f"{counts[v]} {v.label}" for v in sorted(Verdict, reverse=True) if counts[v]
    )
    inputs = len({r.input for r in report.results})  # a markdown answer's parts are one
    counted = (  # "0 inputs, 0 matches, 1 input not screened" read as a contradiction
        f"{inputs} input{'s' if inputs != 1 else ''}, {total} match{'es' if total != 1 else ''}"
        if inputs else "no input screened"
    )
    errors = len(report.errors)
    binary = sum(s.reason.startswith("binary file") for s in report.skipped)
    others = [s.reason for s in report.skipped if not s.reason.startswith("binary file")]
    why = f" ({others[0]})" if len(set(others)) == 1 else ""
    summary = Text.assemble(
        "Run verdict: ",
        _verdict_text(report.verdict),
        f" — {counted}",
        f" ({breakdown})" if breakdown else "",
        f", {lookalikes} unconfirmed look-alike{'s' if lookalikes != 1 else ''}"
        if lookalikes else "",
        f", {errors} input{'s' if errors != 1 else ''} not screened (error)" if errors else "",
        f", {binary} binary file{'s' if binary != 1 else ''} skipped" if binary else "",
        f", {len(others)} other file{'s' if len(others) != 1 else ''} skipped{why}"
        if others else "",
    )
    console.print(summary)


def _top_match_text(result: ScreenResult) -> Text:
    match = _top_match(result)
    if match is None:
        return Text("no reproduction found", style="dim")
    work = match.work
    more = len(result.matches) - 1
    return Text.assemble(
        (work.title, "bold"),
        f"\n{holders_phrase(work.holders)}",
        f"\n{work.licence} ({work.licence_category.value})",
        f"\n{match.matched_chars_nows} chars, {match.matched_tokens} tokens",
        f"\n{match.kind}, {match.channel}",
        f"\n+{more} more match{'es' if more != 1 else ''}" if more else "",
    )


def render_side_by_side(rows: list[tuple[str, ScreenResult]], console: Console) -> None:
    """Print one table with a column per ``(label, result)``: its verdict and its top match.

    The top match is the most severe one, then the longest. Used by ``rightsguard demo`` to show
    outcomes (for example block, attribute, clean) next to each other.
    """
    rows = printable(rows)
    table = Table(show_lines=True)
    table.add_column("")
    for label, _result in rows:
        table.add_column(Text(label), overflow="fold")
    table.add_row(Text("verdict", style="bold"), *(_verdict_text(r.verdict) for _, r in rows))
    table.add_row(Text("top match", style="bold"), *(_top_match_text(r) for _, r in rows))
    console.print(table)
    if any(len(r.matches) > 1 for _, r in rows):
        console.print(Text("--format json lists every match", style="dim"))
