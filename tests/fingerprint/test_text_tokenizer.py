"""The text tokenizer's array path for ASCII text gives exactly the tokens of its regex path.

The regex path (one ``_TOKEN_RE`` match at a time, ids from :func:`token_id` of
:func:`normalise_token`) is the definition; texts at least ``ASCII_ARRAY_MIN_CHARS`` long that are
ASCII take the array path. If this test fails, text token ids changed and every index's text
channels would disagree with its queries.
"""

from __future__ import annotations

import gzip
import random
import sysconfig
from pathlib import Path

import pytest

from rightsguard.fingerprint import text as text_mod
from rightsguard.fingerprint.text import (
    TextTokens,
    count_tokens,
    token_id,
    tokenize_spans,
    tokenize_text,
    unmarked,
)

STDLIB = Path(sysconfig.get_paths()["stdlib"])


def _regex_path(text: str, spans: list[tuple[int, int]], offset: int = 0) -> TextTokens:
    old = text_mod.ASCII_ARRAY_MIN_CHARS
    text_mod.ASCII_ARRAY_MIN_CHARS = 1 << 62
    try:
        return tokenize_spans(text, spans, offset)
    finally:
        text_mod.ASCII_ARRAY_MIN_CHARS = old


def _lists(t: TextTokens) -> tuple[list[int], list[int], list[int]]:
    return t.starts.tolist(), t.ends.tolist(), t.ids.tolist()


def _ascii_stdlib_texts() -> list[tuple[str, str]]:
    out = []
    for path in sorted(STDLIB.glob("*.py"))[:120]:
        text = path.read_text("utf-8")
        if text.isascii() and len(text) >= text_mod.ASCII_ARRAY_MIN_CHARS:
            out.append((path.name, text))
    return out


def test_array_path_equals_regex_path_on_real_files() -> None:
    texts = _ascii_stdlib_texts()
    assert len(texts) >= 80
    rng = random.Random(3)
    for name, text in texts:
        a = rng.randrange(0, len(text) - 1)
        b = rng.randrange(a + 1, len(text) + 1)
        starts = sorted(rng.sample(range(len(text)), 6))
        disjoint = [(s, min(e, len(text))) for s, e in
                    zip(starts, [*starts[1:], len(text)], strict=True)]
        for spans, offset in (([(0, len(text))], 0), ([(a, b)], 11), (disjoint, 5)):
            fast = tokenize_spans(text, spans, offset)
            assert _lists(fast) == _lists(_regex_path(text, spans, offset)), (name, spans)
        assert count_tokens(text) == len(text_mod._TOKEN_RE.findall(unmarked(text))), name


def test_array_path_tokens_by_hand() -> None:
    text = "GNU General Public License, version 3 (GPL_v3).  " * 20  # 980 characters
    assert len(text) >= text_mod.ASCII_ARRAY_MIN_CHARS
    tokens = tokenize_spans(text, [(0, len(text))], offset=100)
    assert len(tokens) == 8 * 20
    assert tokens.starts[:8].tolist() == [100, 104, 112, 119, 128, 136, 139, 143]
    assert tokens.ends[:8].tolist() == [103, 111, 118, 126, 135, 137, 142, 145]
    # case folded: "GNU" and "gnu" are one id; "GPL_v3" is two words ("_" separates words,
    # tokenizer version 3: markdown's _emphasis_)
    assert tokens.ids[0] == token_id("gnu")
    assert tokens.ids[6:8].tolist() == [token_id("gpl"), token_id("v3")]
    assert count_tokens(text) == 160


JA_PAGES = ("gzip", "ls", "cp", "grep", "tar")


def test_token_counts_equal_the_regex_on_japanese_and_mixed_text() -> None:
    """count_tokens has its own array path for non-ASCII text (word runs + one per CJK
    character); real Japanese manpages (Debian manpages-ja) and a mixed-script sample."""
    folder = Path("/usr/share/man/ja/man1")
    missing = [n for n in JA_PAGES if not (folder / f"{n}.1.gz").is_file()]
    if missing:
        pytest.fail(f"manpages-ja is missing ({missing} not in {folder}): "
                    "apt-get install -y manpages-ja")
    texts = [gzip.decompress((folder / f"{n}.1.gz").read_bytes()).decode("utf-8")
             for n in JA_PAGES]
    texts.append("日本語のテキスト、ｶﾀｶﾅ 한국어 word_1 ２３ Ünïcödé ß ﬁ © “q” " * 30)
    for text in texts:
        assert not text.isascii() and len(text) >= text_mod.ASCII_ARRAY_MIN_CHARS
        assert count_tokens(text) == len(text_mod._TOKEN_RE.findall(unmarked(text)))
    # by hand: 日 本 語 の テ キ ス ト (8 CJK) + ｶﾀｶﾅ (4 halfwidth katakana) + 한 국 어 (3) +
    # word, 1, ２３, Ünïcödé, ß, ﬁ, q (7 words: "_" separates) = 22 tokens per repeat
    assert count_tokens(texts[-1]) == 22 * 30


@pytest.mark.parametrize("text", ["", "_", "a b", "  x  ", "ÄBC def " * 100])
def test_short_and_non_ascii_texts_agree_with_the_regex_path(text: str) -> None:
    spans = [(0, len(text))]
    assert _lists(tokenize_spans(text, spans)) == _lists(_regex_path(text, spans))
    assert count_tokens(text) == len(text_mod._TOKEN_RE.findall(text))


def test_tags_are_not_words() -> None:
    """A paragraph with words in ``<code>`` or ``<b>`` reads as the same words (a newcomer's
    65-token gzip(1) paragraph with four ``<code>zcat</code>`` was clean); offsets stay those
    of the text as given."""
    plain = "The zcat command is identical to gunzip -c."
    tagged = ("The <code>zcat</code> command is <b>identical</b> to "
              '<a href="g.html">gunzip</a> -c.')
    a, b = tokenize_text(plain), tokenize_text(tagged)
    assert b.ids.tolist() == a.ids.tolist()
    assert tagged[b.starts[1]:b.ends[1]] == "zcat" and b.starts[1] == 10
    assert unmarked(tagged) == tagged.replace("<code>", " " * 6).replace("</code>", " " * 7) \
        .replace("<b>", "   ").replace("</b>", "    ").replace('<a href="g.html">', " " * 17) \
        .replace("</a>", "    ")
    assert count_tokens(tagged) == count_tokens(plain) == 8
    # "<" followed by a space, or a comparison, is not a tag; an XML element name is
    assert unmarked("if a < b and c > d") == "if a < b and c > d"
    assert unmarked("<xs:element name='x'/>ok") == " " * 22 + "ok"
    # character references are not words either ("AT&T" and "& co" are no references)
    assert unmarked("Tom&nbsp;&amp;&#160;Jerry&#x2014;AT&T & co") == \
        "Tom" + " " * 17 + "Jerry" + " " * 8 + "AT&T & co"
    assert tokenize_text("Tom&nbsp;&amp; Jerry").ids.tolist() == \
        tokenize_text("Tom & Jerry").ids.tolist()
    # the array path (ASCII text of 640 characters or more) reads tags the same way
    long = tagged * 20
    assert _lists(tokenize_spans(long, [(0, len(long))])) == \
        _lists(_regex_path(long, [(0, len(long))]))


def test_prose_between_angle_brackets_is_words_and_tags_are_not() -> None:
    """Version 3: a tag has a tag's syntax. "a<b holds … c>d" around a quoted paragraph hid
    the paragraph (version 2 read ``<b holds … c>`` as one tag); real tags, multi-line ones and
    quoted attributes holding ``>``-free text are still markup."""
    prose = "If a<b holds, the licence is free software. Then c>d."
    assert unmarked(prose) == prose
    assert [prose[s:e] for s, e in zip(tokenize_text(prose).starts.tolist(),
                                       tokenize_text(prose).ends.tolist(), strict=True)][:4] \
        == ["If", "a", "b", "holds"]
    assert unmarked("<q This is a paragraph, quoted.>") == "<q This is a paragraph, quoted.>"
    tagged = '<a href="x.html" class=big>link</a> <div\n  data-x=1 hidden>it\'s</div><br/>'
    assert unmarked(tagged).split() == ["link", "it's"]
    assert len(unmarked(tagged)) == len(tagged)
    assert count_tokens("snake_case _italic_ word") == 4


def test_invisible_code_points_letter_references_and_decomposed_text_read_as_shown() -> None:
    """Version 3 reads text as a reader sees it: a copy with zero-width spaces or soft hyphens
    inside words, letters written as HTML references, or in NFD (macOS, some Korean sources)
    has the tokens of the plain text; spans stay in the original's code points."""
    import unicodedata

    plain = "the café copy 한국어 text"
    variants = ["the caf&eacute; co\u00adpy 한국어 te\u200bxt",
                unicodedata.normalize("NFD", plain),
                "the cafe\u0301 copy \ufeff한국어 t\u2060ext"]
    want = tokenize_text(plain)
    for text in variants:
        got = tokenize_text(text, offset=7)
        assert got.ids.tolist() == want.ids.tolist(), text
        words = [text[a - 7:b - 7] for a, b in zip(got.starts.tolist(), got.ends.tolist(),
                                                    strict=True)]
        assert words[0] == "the" and words[-1].replace("\u200b", "").replace("\u2060", "") \
            == "text", words
        assert count_tokens(text) == len(want) == 7
    nfd = unicodedata.normalize("NFD", plain)
    spans = tokenize_text(nfd)
    assert nfd[spans.starts[1]:spans.ends[1]] == "cafe\u0301"  # the whole decomposed word
    assert [nfd[a:b] for a, b in zip(spans.starts[3:6].tolist(), spans.ends[3:6].tolist(),
                                     strict=True)] == [unicodedata.normalize("NFD", c)
                                                       for c in "한국어"]
    # references to non-letters are still blanks, as before
    assert tokenize_text("a &amp; b").ids.tolist() == tokenize_text("a b").ids.tolist()
