"""The rightsguard text tokenizer: words for space-delimited scripts, one token per CJK character.

Tokens are found in the *original* text, so their offsets are half-open code-point spans of the
original; each token's identity is its NFKC-normalised, case-folded form (Unicode UAX #15 and
``str.casefold``), so ``GNU GENERAL PUBLIC LICENSE`` and ``gnu general public license`` are the same
tokens and fullwidth ``ＡＢＣ`` equals ``abc``.

Japanese, Chinese and Korean text has no spaces; whitespace tokenisers see a whole paragraph as one
word (DESIGN.md: ROUGE scores 0). Every Han, Hiragana, Katakana and Hangul character is therefore
one token, like the character-level units used for CJK in Lee et al. 2022 deduplication.
"""

from __future__ import annotations

import html
import re
import unicodedata
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import xxhash

from rightsguard.fingerprint.xxh3 import xxh3_spans

TOKENIZER_NAME = "rightsguard-text"
TOKENIZER_VERSION = 3
"""1: words and CJK characters. 2: HTML/XML tags and character references (:data:`MARKUP`)
are not words. 3: a tag is markup only with the syntax of one (name, then attributes: prose
between ``a<b`` and ``c>d`` is words again); ``_`` separates words (markdown ``_emphasis_``);
text is read through :func:`reading` (references to letters decoded, default-ignorable code
points dropped, NFC)."""

_CJK = (
    "\u1100-\u11ff\u2e80-\u2fdf\u3005-\u3007\u3021-\u3029\u3031-\u3035\u3040-\u30ff\u3130-\u318f"
    "\u31f0-\u31ff\u3400-\u4dbf\u4e00-\u9fff\ua960-\ua97f\uac00-\ud7af\uf900-\ufaff\uff66-\uff9f"
    "\U00020000-\U0003134f"
)
#: A token: one CJK character, or a run of word characters other than ``_`` (``_`` marks
#: emphasis in markdown, ``_italic_``, and joins words in identifiers quoted in prose).
_TOKEN_RE = re.compile(f"[{_CJK}]|[^\\W_{_CJK}]+")


# -- the ASCII path ---------------------------------------------------------------------------
# For ASCII text (code points = bytes) a token is a run of one byte class, read off _TOKEN_RE
# itself, so tokens are found and hashed on arrays instead of one regex match at a time.
ASCII_WORD = np.array([_TOKEN_RE.fullmatch(chr(c)) is not None for c in range(128)]
                      + [False] * 128)
ASCII_LOWER = np.array([ord(chr(c).lower()) if c < 128 else c for c in range(256)],
                       dtype=np.uint8)
#: Shortest ASCII text tokenized on arrays; below it the regex loop is faster. Measured on the
#: start of the standard library's argparse.py, per call: 256 characters 28 µs (regex) vs 46 µs
#: (arrays), 1,024: 96 vs 68 µs, 4,096: 331 vs 134 µs, 16,384: 1,149 vs 312 µs.
#: ``tests/fingerprint/test_text_tokenizer.py`` checks both paths give the same tokens.
ASCII_ARRAY_MIN_CHARS = 640


def ascii_runs(member: npt.NDArray[np.bool_], starts: npt.NDArray[np.int64],
               ends: npt.NDArray[np.int64]) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """Maximal runs of ``member`` bytes inside the sorted, disjoint spans (never across one
    span's end): what ``re.finditer`` of a one-class pattern gives span after span."""
    n = member.shape[0]
    keep = ends > starts  # without empty spans, starts and ends are each distinct
    starts, ends = starts[keep], ends[keep]
    delta = np.zeros(n + 1, dtype=np.int32)
    delta[starts] += 1
    delta[ends] -= 1
    m = member & (np.cumsum(delta[:-1]) > 0)
    edge = np.zeros(n + 1, dtype=bool)
    edge[starts] = True
    edge[ends] = True
    before = np.concatenate(([False], m[:-1]))
    after = np.concatenate((m[1:], [False]))
    run_starts = np.flatnonzero(m & (~before | edge[:-1]))
    run_ends = np.flatnonzero(m & (~after | edge[1:])) + 1
    return run_starts, run_ends


def sorted_disjoint(starts: npt.NDArray[np.int64], ends: npt.NDArray[np.int64]) -> bool:
    return bool(np.all(starts[1:] >= ends[:-1]))


@dataclass(frozen=True, slots=True)
class TextTokens:
    """Tokens of a text: ``starts``/``ends`` (int64, code points, half-open) and ``ids`` (uint64).

    All three arrays have shape ``(n_tokens,)``.
    """

    starts: npt.NDArray[np.int64]
    ends: npt.NDArray[np.int64]
    ids: npt.NDArray[np.uint64]

    def __len__(self) -> int:
        return int(self.ids.shape[0])

    @classmethod
    def empty(cls) -> TextTokens:
        return cls(np.empty(0, np.int64), np.empty(0, np.int64), np.empty(0, np.uint64))


#: One attribute of a tag: a name (letters, digits, ``-_:.@``), optionally ``=`` and a quoted or
#: unquoted value (HTML §13.1.2.3, names narrowed to what markup uses).
_ATTRIBUTE = (r"""[A-Za-z_:@][-A-Za-z0-9_:.@]*"""
              r"""(?:\s*=\s*(?:"[^"<>]*"|'[^'<>]*'|[^\s"'=<>`]+))?""")
#: An HTML or XML start or end tag (``<b>``, ``</code>``, ``<a href="…">``, ``<br/>``) or
#: character reference (``&nbsp;``, ``&amp;``, ``&#160;``, ``&#x2014;``; HTML §13.1.4): markup,
#: not words. A paragraph quoted with a few words in ``<code>`` or ``<b>`` (markdown answers,
#: HTML pages, Javadoc) was cut into runs too short to report by the tag names read as words.
#: A tag has a tag's syntax (HTML §13.1.2): its name, then attributes — prose between two
#: angle brackets (``if a<b holds … then c>d``) has commas, full stops or apostrophes in it and
#: is not one (version 2 read any ``<b …>`` as a tag and hid the paragraph inside).
MARKUP = re.compile(rf"</?[A-Za-z][A-Za-z0-9:-]*(?:\s+{_ATTRIBUTE})*\s*/?>"
                    r"|&(?:[A-Za-z][A-Za-z0-9]{1,31}|#[0-9]{1,7}|#[xX][0-9A-Fa-f]{1,6});")


def unmarked(text: str) -> str:
    """``text`` with every tag and every character reference that does not stand for a letter
    or digit (:data:`MARKUP`; ``&amp;``, ``&nbsp;``, ``&#160;``) replaced by as many spaces
    (code point offsets are unchanged). A reference that stands for a letter (``caf&eacute;``)
    is left for :func:`reading`, which decodes it inside its word. The tokenizer reads text
    through both, works and outputs alike."""
    if "<" not in text and "&" not in text:
        return text
    return MARKUP.sub(_blank_markup, text)


def _blank_markup(m: re.Match[str]) -> str:
    found = m.group()
    if found[0] == "&" and _is_word(html.unescape(found)):
        return found
    return " " * len(found)


def _is_word(decoded: str) -> bool:
    return bool(decoded) and all(_TOKEN_RE.fullmatch(c) for c in decoded)


#: Default-ignorable code points (Unicode DerivedCoreProperties ``Default_Ignorable_Code_Point``,
#: the ones met in text): soft hyphen, combining grapheme joiner, zero-width space and joiners,
#: directional marks and overrides, word joiner and invisible operators, variation selectors,
#: the byte order mark. They render as nothing, so a copy with them inside words is the same
#: text to a reader: the tokenizer reads words without them.
_IGNORABLE = re.compile("[\u00ad\u034f\u061c\u115f\u180b-\u180f\u200b-\u200f"
                        "\u202a-\u202e\u2060-\u206f\ufe00-\ufe0f\ufeff]")
#: A character reference standing for a letter or digit (:func:`unmarked` leaves only these).
_WORD_REFERENCE = re.compile(r"&(?:[A-Za-z][A-Za-z0-9]{1,31}|#[0-9]{1,7}|#[xX][0-9A-Fa-f]{1,6});")
#: What :func:`reading` edits before composing: references and ignorable code points.
_EDITS = re.compile(f"{_WORD_REFERENCE.pattern}|{_IGNORABLE.pattern}")


def _joins(ch: str) -> bool:
    """Whether ``ch`` composes with what precedes it under NFC: a combining mark, or a Hangul
    vowel or final consonant jamo (U+1160-U+11FF)."""
    return unicodedata.combining(ch) != 0 or "\u1160" <= ch <= "\u11ff" or \
        unicodedata.category(ch) in ("Mn", "Mc", "Me")


def needs_reading(text: str) -> bool:
    """Whether :func:`reading` changes ``text`` (a reference to a letter, an ignorable code
    point, or text not in NFC) — one pass, without building the reading."""
    if "&" in text and _WORD_REFERENCE.search(text) is not None:
        return True
    if text.isascii():
        return False
    return _IGNORABLE.search(text) is not None or not unicodedata.is_normalized("NFC", text)


def reading(text: str) -> tuple[str, npt.NDArray[np.int64] | None]:
    """``text`` as the tokenizer reads it, and where each of its code points came from.

    Three things a reader does not see as a difference are undone: a character reference
    standing for a letter is that letter (``caf&eacute;`` → ``café``), default-ignorable code
    points vanish (:data:`_IGNORABLE`: ``co\u00adpy`` → ``copy``), and text is composed to NFC
    (Unicode UAX #15: a decomposed ``é`` or decomposed Hangul syllables are the composed ones).
    Returns ``(read, origin)``: ``origin[i]`` is the offset in ``text`` of the code point that
    gave ``read[i]`` (shape ``(len(read) + 1,)``, the last entry ``len(text)``), or None when
    ``read`` is ``text`` itself (the usual case, found in one pass). Linear in the text's
    length; only the composition of a text that is not NFC goes code point by code point.
    Raises nothing."""
    if not needs_reading(text):
        return text, None
    # 1. references to letters decoded and ignorable code points dropped, a match at a time
    pieces: list[str] = []
    origins: list[npt.NDArray[np.int64]] = []
    at = 0
    for m in _EDITS.finditer(text):
        found = m.group()
        if found[0] == "&":
            decoded = html.unescape(found)
            if not _is_word(decoded):
                continue  # (unmarked blanks these; kept as written otherwise)
        else:
            decoded = ""
        pieces += [text[at:m.start()], decoded]
        origins += [np.arange(at, m.start(), dtype=np.int64),
                    np.full(len(decoded), m.start(), dtype=np.int64)]
        at = m.end()
    pieces.append(text[at:])
    origins += [np.arange(at, len(text) + 1, dtype=np.int64)]
    read, origin = "".join(pieces), np.concatenate(origins)
    if unicodedata.is_normalized("NFC", read):
        return read, origin
    # 2. composed to NFC a cluster at a time (a code point and those that compose with it)
    chars: list[str] = []
    keep: list[int] = []
    i, n = 0, len(read)
    while i < n:
        j = i + 1
        while j < n and _joins(read[j]):
            j += 1
        cluster = unicodedata.normalize("NFC", read[i:j])
        chars.append(cluster)
        keep += [i] * len(cluster)
        i = j
    keep.append(n)
    return "".join(chars), origin[np.asarray(keep, dtype=np.int64)]


def normalise_token(token: str) -> str:
    """NFKC + case folding of one token (identity fast path for ASCII)."""
    if token.isascii():
        return token.lower()
    return unicodedata.normalize("NFKC", token).casefold()


def token_id(normalised: str) -> int:
    """Stable 64-bit id of a normalised token (xxh3-64 of its UTF-8)."""
    return xxhash.xxh3_64_intdigest(normalised.encode("utf-8", "surrogatepass"))


def tokenize_text(text: str, offset: int = 0) -> TextTokens:
    """Tokenize ``text``; spans are shifted by ``offset`` code points (for embedded parts)."""
    return tokenize_spans(text, [(0, len(text))], offset=offset)


def tokenize_spans(text: str, spans: list[tuple[int, int]], offset: int = 0) -> TextTokens:
    """Tokenize the parts ``text[s:e]`` for each ``(s, e)`` in ``spans`` into one token stream.

    Offsets are code points of ``text`` (plus ``offset``). Used for the comments and strings of
    code, so that a paragraph split over several comments is one stream. Tags are not words
    (:func:`unmarked`).
    """
    text, origin = reading(unmarked(text))
    if origin is not None:  # spans to the reading's offsets, tokens back to the text's
        spans = [(int(np.searchsorted(origin, a, "left")), int(np.searchsorted(origin, b, "left")))
                 for a, b in spans]
        tokens = _tokenize_read(text, spans, 0)
        return TextTokens(origin[tokens.starts] + offset, origin[tokens.ends] + offset,
                          tokens.ids)
    return _tokenize_read(text, spans, offset)


def _tokenize_read(text: str, spans: list[tuple[int, int]], offset: int) -> TextTokens:
    """:func:`tokenize_spans` of text already read (:func:`unmarked`, :func:`reading`)."""
    if len(text) >= ASCII_ARRAY_MIN_CHARS and text.isascii():
        bounds = np.clip(np.asarray(spans, dtype=np.int64).reshape(-1, 2), 0, len(text))
        if sorted_disjoint(bounds[:, 0], bounds[:, 1]):
            return ascii_tokens(text.encode("ascii"), bounds[:, 0], bounds[:, 1], offset)
    starts: list[int] = []
    ends: list[int] = []
    ids: list[int] = []
    seen: dict[str, int] = {}
    finditer = _TOKEN_RE.finditer
    for s, e in spans:
        for m in finditer(text, s, e):
            word = m.group()
            tid = seen.get(word)
            if tid is None:
                tid = seen[word] = token_id(normalise_token(word))
            starts.append(m.start())
            ends.append(m.end())
            ids.append(tid)
    if not ids:
        return TextTokens.empty()
    st = np.asarray(starts, dtype=np.int64)
    en = np.asarray(ends, dtype=np.int64)
    if offset:
        st += offset
        en += offset
    return TextTokens(st, en, np.asarray(ids, dtype=np.uint64))


def ascii_tokens(data: bytes, starts: npt.NDArray[np.int64], ends: npt.NDArray[np.int64],
                 offset: int = 0) -> TextTokens:
    """:func:`tokenize_spans` of ASCII text ``data`` (bytes = code points) within sorted,
    disjoint spans ``[starts[i], ends[i])``, on arrays: the same tokens and ids (the normalised
    form of an ASCII word is its lower case, and its id the xxh3 of those bytes)."""
    buf = np.frombuffer(data, dtype=np.uint8)
    wstart, wend = ascii_runs(ASCII_WORD[buf], starts, ends)
    if not wstart.shape[0]:
        return TextTokens.empty()
    ids = xxh3_spans(ASCII_LOWER[buf].tobytes(), wstart, wend)
    return TextTokens(wstart + offset, wend + offset, ids)


_CJK_RE = re.compile(f"[{_CJK}]")
_WORD, _CJK_CHAR = 1, 2
#: token class (0, _WORD or _CJK_CHAR) of non-ASCII code points met so far, read off the regexes
_CLASS_OF: dict[int, int] = {}


def _char_class(cp: int) -> int:
    cls = _CLASS_OF.get(cp)
    if cls is None:
        ch = chr(cp)
        cls = _CLASS_OF[cp] = (_CJK_CHAR if _CJK_RE.fullmatch(ch) else
                               _WORD if _TOKEN_RE.fullmatch(ch) else 0)
    return cls


def count_tokens(text: str) -> int:
    """Number of rightsguard text tokens in ``text`` (the unit of text thresholds): the number of
    ``_TOKEN_RE`` matches, counted on arrays for texts of ``ASCII_ARRAY_MIN_CHARS`` or more —
    runs of word characters plus one per CJK character, each code point's class read off the
    regexes once per process; tags are not words (:func:`unmarked`), and text is read as
    :func:`reading` reads it."""
    text = reading(unmarked(text))[0]
    if len(text) < ASCII_ARRAY_MIN_CHARS:
        return len(_TOKEN_RE.findall(text))
    if text.isascii():
        word = ASCII_WORD[np.frombuffer(text.encode("ascii"), dtype=np.uint8)]
        return int(np.count_nonzero(word[1:] & ~word[:-1])) + int(word[:1].sum())
    cps = np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
    cls = np.zeros(cps.shape[0], dtype=np.uint8)
    small = cps < 128
    cls[small] = ASCII_WORD[cps[small]]
    big = np.flatnonzero(~small)
    distinct, where = np.unique(cps[big], return_inverse=True)
    cls[big] = np.fromiter((_char_class(int(c)) for c in distinct.tolist()), np.uint8,
                           distinct.shape[0])[where]
    word = cls == _WORD
    return (int(np.count_nonzero(word[1:] & ~word[:-1])) + int(word[:1].sum())
            + int(np.count_nonzero(cls == _CJK_CHAR)))
