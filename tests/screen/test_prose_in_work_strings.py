"""Prose a code work keeps in string literals joined by ``\\n`` escapes, pasted as plain text.

pydoc's topic texts (``pydoc_data/topics.py`` of the standard library) are such a work: each
line of a help page is a literal ending in ``\\n``. A newcomer pasted the rendered help page of
the ``with`` statement into an answer and got "clean": the work's text was read with a stray
word ``n`` at every line end when the match was confirmed, although it had been indexed with
the escapes blanked.
"""

from __future__ import annotations

import pydoc_data.topics
from pathlib import Path

from one_work import screener_of

from rightsguard.fingerprint.code import prose_text
from rightsguard.fingerprint.text import tokenize_text


def test_a_help_page_kept_in_escaped_string_literals_is_found(tmp_path: Path) -> None:
    screener = screener_of(tmp_path, Path(pydoc_data.topics.__file__))
    page = pydoc_data.topics.topics["with"]
    pasted = page[:page.rindex("\n", 0, 1800)]  # whole lines, about 1.8 KB
    answer = f"Here is what the docs say:\n\n{pasted}\n\nHope this helps!\n"
    (result,) = screener.screen_text(answer, language="text")
    assert len(result.matches) == 1, result.matches
    m = result.matches[0]
    assert m.channel == "text" and m.work.title.endswith("topics.py")
    start = answer.index(pasted)
    # every word of the page is matched, from its first to its last
    assert m.matched_tokens == len(tokenize_text(pasted))
    assert (m.output_span.start, m.output_span.end) == (start, start + len(pasted.rstrip()))
    # the work span holds the same words, as the source's literals spell them
    work = Path(pydoc_data.topics.__file__).read_text("utf-8")
    held = work[m.work_span.start:m.work_span.end]
    assert "\\n'" in held  # the literals, escapes and all
    assert tokenize_text(prose_text(held)).ids.tolist() == tokenize_text(pasted).ids.tolist()
