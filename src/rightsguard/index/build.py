"""Turn one work into per-channel fingerprints (runs in worker processes; pure function)."""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import zstandard

from rightsguard.corpus.reading import decode_text
from rightsguard.errors import InputError
from rightsguard.fingerprint.code import CodeTokenizer
from rightsguard.fingerprint.text import TextTokens, tokenize_text
from rightsguard.fingerprint.winnow import fingerprint
from rightsguard.index.channels import (
    CODE_EXACT,
    CODE_NORM,
    SHORT_WORK_KINDS,
    SHORT_WORK_TOKENS,
    TEXT,
    TEXT_DENSE,
    Channel,
)
from rightsguard.index.streams import encode_stream

U32 = npt.NDArray[np.uint32]


@functools.cache
def _compressor() -> zstandard.ZstdCompressor:
    """One zstd compressor per process (compressors are reusable, not thread-safe)."""
    return zstandard.ZstdCompressor(level=3)


def decode(raw: bytes) -> tuple[str, bool]:
    """Decode a work's raw bytes exactly as the importers and ``check`` read files
    (:func:`rightsguard.corpus.reading.decode_text`: BOMs, UTF-16/32, invalid UTF-8 replaced), so
    offsets in the index and in reports agree. Returns ``(text, had_notes)``."""
    try:
        text, notes = decode_text(raw)
    except InputError:  # registered anyway (e.g. a catalogue row): decode what can be decoded
        return raw.decode("utf-8", "replace"), True
    return text, bool(notes)


@dataclass(frozen=True, slots=True)
class WorkPrints:
    """Fingerprints of one work: for each channel name, ``(hash32, start)`` uint32 arrays.

    ``start`` is the code-point offset (in the decoded text) of the first token of the k-gram.
    ``tokens`` counts code tokens for code works and text tokens for text works.
    """

    channels: dict[str, tuple[U32, U32]]
    tokens: int
    text_tokens: int
    chars_nows: int
    modality: str
    tokenizer: str
    code_stream: bytes | None = None  # normalised tokens for verification (streams.py)


def _prints(ids: npt.NDArray[np.uint64], starts: npt.NDArray[np.int64] | None,
            channel: Channel) -> tuple[U32, U32]:
    """Winnowed fingerprints of one token stream: top 32 hash bits and positions, the code
    points ``starts`` of the k-grams' first tokens, or (``starts`` None: a channel whose
    positions are tokens) the token indexes."""
    hashes, pos = fingerprint(ids, channel.params)
    h32 = (hashes >> np.uint64(32)).astype(np.uint32)
    return h32, (pos if starts is None else starts[pos]).astype(np.uint32)


def _text_channels(tokens: TextTokens, short: bool) -> dict[str, tuple[U32, U32]]:
    out = {TEXT.name: _prints(tokens.ids, tokens.starts, TEXT)}
    if short:
        out[TEXT_DENSE.name] = _prints(tokens.ids, tokens.starts, TEXT_DENSE)
    return out


#: the ASCII characters for which ``str.isspace`` is true
_ASCII_SPACES = "\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f "


def _chars_nows(text: str) -> int:
    """Number of characters of ``text`` that are not whitespace (``str.isspace``)."""
    if text.isascii():
        return len(text) - sum(map(text.count, _ASCII_SPACES))
    return len("".join(text.split()))


def fingerprint_text(text: str, *, modality: str, language: str | None, kind: str,
                     tokenizer: CodeTokenizer) -> WorkPrints:
    """Fingerprint decoded ``text``. Code with an unknown language falls back to text."""
    chars_nows = _chars_nows(text)
    if modality == "code" and language and tokenizer.supported(language):
        try:
            ct = tokenizer.tokenize(text, language)
        except InputError:
            ct = None
        if ct is not None:
            chans = {
                CODE_EXACT.name: _prints(ct.exact_ids, ct.exact_starts, CODE_EXACT),
                CODE_NORM.name: _prints(ct.norm_ids, None, CODE_NORM),  # token positions
            }
            chans.update(_text_channels(ct.text, short=False))
            stream = encode_stream(ct.starts, ct.ends, ct.norm_ids, _compressor())
            return WorkPrints(chans, len(ct), len(ct.text), chars_nows, "code", ct.tokenizer,
                              stream)
    tokens = tokenize_text(text)
    short = len(tokens) < SHORT_WORK_TOKENS or kind in SHORT_WORK_KINDS
    return WorkPrints(_text_channels(tokens, short), len(tokens), len(tokens), chars_nows,
                      "text", "rightsguard-text")
