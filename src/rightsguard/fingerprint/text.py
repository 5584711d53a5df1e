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

import re
import unicodedata
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import xxhash

TOKENIZER_NAME = "rightsguard-text"
TOKENIZER_VERSION = 1

_CJK = (
    "\u1100-\u11ff\u2e80-\u2fdf\u3005-\u3007\u3021-\u3029\u3031-\u3035\u3040-\u30ff\u3130-\u318f"
    "\u31f0-\u31ff\u3400-\u4dbf\u4e00-\u9fff\ua960-\ua97f\uac00-\ud7af\uf900-\ufaff\uff66-\uff9f"
    "\U00020000-\U0003134f"
)
_TOKEN_RE = re.compile(f"[{_CJK}]|[^\\W{_CJK}]+")


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
    code, so that a paragraph split over several comments is one stream.
    """
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


def count_tokens(text: str) -> int:
    """Number of rightsguard text tokens in ``text`` (the unit of text thresholds)."""
    return len(_TOKEN_RE.findall(text))
