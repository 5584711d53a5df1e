"""The human report's summary table: one row per input after the per-input tables, for runs of
more than one input (the hand-built reports of conftest.py plus image results)."""

from __future__ import annotations

import io
import json
from dataclasses import replace

from conftest import DECODER, _build_report
from rich.console import Console

from rightsguard.model import ImageMatch, ScreenReport, ScreenResult, Skipped, Verdict
from rightsguard.report import render_human

PHOTO = replace(DECODER, title="nature/Storm.jpg", holders=("Sergey Nazarov",),
                licence="GPL-2.0-or-later", modality="image", kind="image", sources=())
SQUARE = ((0.0, 0.0), (10.0, 0.0), (10.0, 10.0), (0.0, 10.0))


def _image(kind: str, verdict: Verdict, *, coverage: float = 0.0, flipped: bool = False,
           **scores: float) -> ImageMatch:
    return ImageMatch(work=PHOTO, kind=kind, output_polygon=SQUARE if coverage else (),
                      work_polygon=SQUARE if coverage else (), output_coverage=coverage,
                      work_coverage=coverage, scores=tuple(scores.items()), matcher="test",
                      flipped=flipped, verdict=verdict, reason="why")


def _image_result(name: str, *matches: ImageMatch) -> ScreenResult:
    return ScreenResult(input=name, modality="image", language=None,
                        verdict=max((m.verdict for m in matches), default=Verdict.CLEAN),
                        image_matches=matches, size=(640, 480))


def _rows(report: ScreenReport, width: int = 80) -> list[str]:
    console = Console(file=io.StringIO(), record=True, width=width)
    render_human(report, console, show_notice=False)
    lines = [line.rstrip() for line in console.export_text().splitlines()]
    start = lines.index("Summary")
    assert lines[start + 1].split() == ["Input", "Modality", "Verdict", "Matches", "Top",
                                        "match"]
    end = next(i for i, line in enumerate(lines) if line.startswith("Run verdict: "))
    assert lines[end - 1] == ""
    assert all(len(line) <= width for line in lines[start:end])  # the table fits
    return lines[start + 3:end - 1]  # the rows, under the title, header and rule


def test_rows_for_code_text_images_and_errors_at_80_columns() -> None:
    base = _build_report()
    flipped = _image_result("outputs/generated-images/batch-2024-11-30/storm-crop-0001.jpg",
                            _image("copy", Verdict.BLOCK, coverage=0.7056, flipped=True,
                                   pdq_distance=12.0, inliers=140.0),
                            _image("mark", Verdict.ATTRIBUTE, coverage=0.02, mark_score=0.93))
    voted = _image_result("lookup.png", _image("similar", Verdict.CLEAN, feature_votes=49.0))
    error = Skipped("outputs/truncated.jpg",
                    "outputs/truncated.jpg: JPEG data cannot be decoded (truncated)")
    report = ScreenReport((*base.results, flipped, voted), (error,))
    rows = _rows(report)
    # code: the most severe match, then the longest; its title, holders, licence, kind
    assert rows[0].split() == ["src/…/jsonutil.py", "code", "attribute", "1",
                               "Lib/json/decoder.py"]
    assert [line.strip() for line in rows[1:4]] == [
        "Python Software Foundation", "PSF-2.0", "verbatim, 903 chars"]
    # text: two matches, the review one shown (tokens for the text channel)
    answer = rows.index(next(r for r in rows if r.startswith("answer.md")))
    assert rows[answer].split()[:5] == ["answer.md", "text", "review", "2", "Council"]
    assert rows[answer + 3].strip() == "near-verbatim, 62 tokens"
    assert ["src/…/__init__.py", "code", "clean", "0", "no", "reproduction", "found"] in \
        [r.split() for r in rows]
    # an image: the block copy over the attribute mark, its share of the work and flip; the
    # long name keeps its end (the file name)
    at = rows.index(next(r for r in rows if r.startswith("…")))
    assert rows[at].split() == ["…orm-crop-0001.jpg", "image", "block", "2",
                                "nature/Storm.jpg"]
    assert [line.strip() for line in rows[at + 1:at + 4]] == [
        "Sergey Nazarov", "GPL-2.0-or-later", "flipped copy, 70.6% of work"]
    look = rows.index(next(r for r in rows if r.startswith("lookup.png")))
    assert rows[look + 3].strip() == "similar, 49 SIFT votes"
    # an unreadable input: review, the reason without the repeated name
    bad = rows.index(next(r for r in rows if r.startswith("…/truncated.jpg")))
    assert rows[bad].split()[:6] == ["…/truncated.jpg", "—", "review", "—", "not", "screened:"]
    assert "JPEG data cannot be decoded (truncated)" in " ".join(
        " ".join(rows[bad:]).split())


def test_image_kinds_say_how_much() -> None:
    results = [
        _image_result("a.png", _image("mark", Verdict.ATTRIBUTE, coverage=0.02,
                                      mark_score=0.912, mark_scale=0.2)),
        _image_result("b.png", _image("similar", Verdict.REVIEW, descriptor_cosine=0.6312)),
        _image_result("c.png", _image("style", Verdict.REVIEW, style_cosine=0.58)),
        _image_result("d.png", _image("similar", Verdict.CLEAN, pdq_distance=96.0)),
        _image_result("e.png", _image("copy", Verdict.BLOCK, coverage=1.0, pdq_distance=4.0)),
    ]
    rows = _rows(ScreenReport(tuple(results)))
    kinds = [rows[rows.index(next(r for r in rows if r.startswith(n))) + 3].strip()
             for n in ("a.png", "b.png", "c.png", "d.png", "e.png")]
    assert kinds == ["mark, score 0.91", "similar, cosine 0.63", "style, cosine 0.58",
                     "similar, PDQ 96 bits", "copy, 100.0% of work"]


def test_parts_of_one_output_are_one_row_and_one_input_has_no_table() -> None:
    base = _build_report()
    code, prose = base.results[0], base.results[2]
    parts = (replace(prose, input="answer.md"), replace(code, input="answer.md"))
    console = Console(file=io.StringIO(), record=True, width=80)
    render_human(ScreenReport(parts), console)
    assert "Summary" not in console.export_text()  # one input in two parts
    rows = _rows(ScreenReport((*parts, base.results[3])))
    assert rows[0].split()[:5] == ["answer.md", "text+code", "review", "3", "Council"]
    # an error and one result are two inputs: the table shows
    rows = _rows(ScreenReport((base.results[3],), (Skipped("x.py", "x.py: no such file"),)))
    assert rows[-1].split() == ["x.py", "—", "review", "—", "not", "screened:", "no", "such",
                                "file"]


def test_the_run_verdict_line_names_other_skipped_files() -> None:
    report = ScreenReport(skipped=(Skipped("a/logo.png", "binary file (NUL byte at offset 8)"),
                                   Skipped("a/notes.txt", "not an image: --top ranks "
                                                          "registered images only"),
                                   Skipped("a/x.md", "not an image: --top ranks registered "
                                                     "images only")))
    console = Console(file=io.StringIO(), record=True, width=200)
    render_human(report, console)
    assert console.export_text().strip() == (
        "Run verdict: clean — no input screened, 1 binary file skipped, 2 other files "
        "skipped (not an image: --top ranks registered images only)")


def test_a_region_rounding_to_zero_from_below_is_zero_not_minus_zero() -> None:
    """A verified region's projected corner can sit a fraction of a pixel outside the image
    (-0.3 px): JSON and the human table say 0, not -0.0 / "-0"; a corner a pixel or more
    outside keeps its sign."""
    corners = ((-0.3, -0.04), (1810.2, -0.3), (1810.2, 1131.0), (-1.2, 1131.0))
    match = replace(_image("copy", Verdict.BLOCK, coverage=0.5), output_polygon=corners)
    assert json.dumps(match.to_dict()["output_region"]["polygon"]) == (  # -0.0 == 0.0 in Python
        "[[-0.3, 0.0], [1810.2, -0.3], [1810.2, 1131.0], [-1.2, 1131.0]]")
    text = io.StringIO()
    render_human(ScreenReport((_image_result("out.png", match),)),
                 Console(file=text, width=100, color_system=None))
    assert "-1,0–1810,1131" in text.getvalue() and "-0" not in text.getvalue()
