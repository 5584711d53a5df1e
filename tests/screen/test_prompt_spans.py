"""A copy partly given in the prompt is reported for the part that is not: its span, lines and
coverage agree with the characters that count (a newcomer's copy with its first 35 lines in the
prompt still reported lines 1-65 and 100% coverage, with 654 of the characters). Real code:
shutil._copytree() of the standard library."""

from __future__ import annotations

import re
import shutil as shutil_module
from pathlib import Path

import pytest
from one_work import screener_of

from rightsguard import Screener

SHUTIL = Path(shutil_module.__file__)


def _function(name: str) -> list[str]:
    lines = SHUTIL.read_text("utf-8").splitlines(keepends=True)
    first = next(i for i, ln in enumerate(lines) if ln.startswith(f"def {name}("))
    last = next(i for i in range(first + 1, len(lines)) if lines[i][:1] not in ("", " ", "\n"))
    while not lines[last - 1].strip():
        last -= 1
    return lines[first:last]


@pytest.fixture(scope="module")
def screener(tmp_path_factory: pytest.TempPathFactory) -> Screener:
    return screener_of(tmp_path_factory.mktemp("prompt"), SHUTIL)


def test_the_match_covers_only_what_the_prompt_does_not_hold(screener: Screener) -> None:
    lines = _function("_copytree")
    assert len(lines) > 50
    half = len(lines) // 2
    output = "".join(lines)
    [result] = screener.screen_text(output, language="python", prompt="".join(lines[:half]))
    [m] = result.matches
    assert (m.output_span.start_line, m.output_span.end_line) == (half + 1, len(lines))
    # at most the characters after the prompt's part; fewer where a 24-character stretch of
    # them also occurs in the prompt (errors.append((src, dst, str(why))) does)
    rest = len(re.sub(r"\s+", "", "".join(lines[half:])))
    assert 0.75 * rest < m.matched_chars_nows <= rest
    assert m.output_coverage == pytest.approx(m.matched_chars_nows
                                              / len(re.sub(r"\s+", "", output)), abs=1e-4)


def test_a_copy_wholly_in_the_prompt_is_clean(screener: Screener) -> None:
    output = "".join(_function("_copytree"))
    [result] = screener.screen_text(output, language="python", prompt=output)
    assert result.matches == ()
