"""Fingerprint channels: what is tokenized, with which winnowing parameters.

=================  ==========================  =====  =====  ======  ============================
channel            tokens                      k      t      window  used for
=================  ==========================  =====  =====  ======  ============================
code-exact         code token texts            16     32     17      verbatim code (whitespace
                                                                     ignored), verified per char
code-normalised    ids/literals abstracted     12     24     13      renamed / reformatted code
text               rightsguard text tokens     10     30     21      prose, comments, strings
text-dense         rightsguard text tokens     5      5      1       short works (< 200 tokens,
                                                                     lyrics, poems): every 5-gram
=================  ==========================  =====  =====  ======  ============================

Why these numbers. Copilot's code referencing reports matches of about 150 characters with
whitespace ignored; in real Python a token carries about 3–4 non-whitespace characters, so a
150-character run holds about 40 tokens and ``t = 32`` guarantees every such run shares a
fingerprint. The normalised channel must also find the pieces of a copy broken by an inserted
statement every three statements, which are 20–30 tokens, hence ``t = 24``. Text: Carlini et al.
(2023) and Lee et al. (2022) use 50 tokens as the verbatim unit; ``t = 30`` guarantees every shared
run of 30 tokens, so every 50-token copy is found with margin; ``k = 10`` keeps chance collisions of
common phrases out. Dolos uses k = 23, window 17 over AST tokens (Maertens et al. 2022).
Expected fingerprint density is 2 / (window + 1) (Schleimer et al. 2003).

Changing any value here changes :data:`FINGERPRINTER_VERSION` semantics: an index built with other
parameters refuses to open (:class:`~rightsguard.errors.IndexMismatchError`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from rightsguard.fingerprint import code as code_fp
from rightsguard.fingerprint import text as text_fp
from rightsguard.fingerprint.winnow import WinnowParams

FINGERPRINTER_NAME = "rightsguard-winnow"
FINGERPRINTER_VERSION = 1
HASH_SEED = 0x5EED


@dataclass(frozen=True, slots=True)
class Channel:
    """One fingerprint channel: name, token stream, winnowing parameters, tokenizer identity."""

    name: str
    stream: str  # "exact" | "norm" | "text"
    params: WinnowParams
    tokenizer: str
    tokenizer_version: int
    #: what a posting's position counts: the code point where its k-gram starts, or (the
    #: normalised channel) the index of the k-gram's first token in the work's token stream,
    #: so a renamed-copy candidate is verified on its token kinds alone (no offsets decoded)
    positions: str = "code points"
    #: text channels: :data:`rightsguard.fingerprint.code.PROSE_VERSION`, how the comments and
    #: strings of the code works they hold were cut into words (None for code channels)
    code_prose_version: int | None = None

    def describe(self) -> dict[str, Any]:
        """The settings an index channel must have been built with (stored in its manifest)."""
        return {
            "channel": self.name,
            "fingerprinter": FINGERPRINTER_NAME,
            "fingerprinter_version": FINGERPRINTER_VERSION,
            "k": self.params.k,
            "t": self.params.t,
            "window": self.params.window,
            "hash": "polynomial-mod-2^64+splitmix64, top 32 bits stored",
            "seed": self.params.seed,
            "tokenizer": self.tokenizer,
            "tokenizer_version": self.tokenizer_version,
            "stream": self.stream,
            "positions": self.positions,
        } | ({} if self.code_prose_version is None
             else {"code_prose_version": self.code_prose_version})


CODE_EXACT = Channel("code-exact", "exact", WinnowParams(16, 32, HASH_SEED),
                     code_fp.TOKENIZER_NAME, code_fp.TOKENIZER_VERSION)
CODE_NORM = Channel("code-normalised", "norm", WinnowParams(12, 24, HASH_SEED),
                    code_fp.TOKENIZER_NAME, code_fp.TOKENIZER_VERSION, positions="tokens")
TEXT = Channel("text", "text", WinnowParams(10, 30, HASH_SEED),
               text_fp.TOKENIZER_NAME, text_fp.TOKENIZER_VERSION,
               code_prose_version=code_fp.PROSE_VERSION)
TEXT_DENSE = Channel("text-dense", "text", WinnowParams(5, 5, HASH_SEED),
                     text_fp.TOKENIZER_NAME, text_fp.TOKENIZER_VERSION,
                     code_prose_version=code_fp.PROSE_VERSION)

CHANNELS: tuple[Channel, ...] = (CODE_EXACT, CODE_NORM, TEXT, TEXT_DENSE)

#: A text work shorter than this many tokens is a short work (indexed in ``text-dense``).
SHORT_WORK_TOKENS = 200
SHORT_WORK_KINDS = frozenset({"lyrics", "poem"})
