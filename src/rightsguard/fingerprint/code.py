"""Code tokenizer: tree-sitter lexing with the per-language grammar wheels, Pygments as fallback.

One pass yields, for every code token outside comments, its half-open code-point span and two ids:

* ``exact_ids`` – the token's text (so k-grams of them are whitespace-insensitive copies);
* ``norm_ids`` – identifiers become ``ID`` and literals ``LIT`` (the Dolos/JPlag abstraction that
  survives renaming), keywords and operators keep their text.

Comments and string contents are also split into rightsguard text tokens (``text``) so a licence
paragraph pasted into code is matched against text works. Strings are single code tokens (a
string literal is one token in both code channels).
"""

from __future__ import annotations

import array
import importlib
import re
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt
import xxhash

from rightsguard.errors import InputError
from rightsguard.fingerprint.text import _TOKEN_RE, TextTokens, normalise_token, token_id

TOKENIZER_NAME = "rightsguard-code"
TOKENIZER_VERSION = 2

#: language name -> (grammar module, function returning the language pointer)
TREE_SITTER_GRAMMARS: dict[str, tuple[str, str]] = {
    "python": ("tree_sitter_python", "language"),
    "javascript": ("tree_sitter_javascript", "language"),
    "typescript": ("tree_sitter_typescript", "language_typescript"),
    "tsx": ("tree_sitter_typescript", "language_tsx"),
    "java": ("tree_sitter_java", "language"),
    "c": ("tree_sitter_c", "language"),
    "cpp": ("tree_sitter_cpp", "language"),
    "go": ("tree_sitter_go", "language"),
    "rust": ("tree_sitter_rust", "language"),
    "c_sharp": ("tree_sitter_c_sharp", "language"),
    "ruby": ("tree_sitter_ruby", "language"),
    "php": ("tree_sitter_php", "language_php"),
}

# Node types taken whole as one literal token (not descended into).
_STRING_TYPES = frozenset({
    "string", "string_literal", "raw_string_literal", "template_string", "char_literal",
    "character_literal", "interpreted_string_literal", "encapsed_string", "verbatim_string_literal",
    "interpolated_string_expression", "rune_literal", "text_block", "heredoc_body", "heredoc",
    "system_lib_string", "concatenated_string_part",
})
_NUMBER_RE = re.compile(r"integer|float|number|decimal|hex|octal|binary|imaginary|_literal$")
_IDENT_RE = re.compile(r"identifier|^name$|^constant$|^variable|^field$|^property$|^label$")
# token classes; classes below _STRING are descended into when they have children
_ANON, _NAMED, _IDENT, _NUMBER, _ERROR, _STRING, _COMMENT = range(7)
_ID = xxhash.xxh3_64_intdigest(b"\x00ID")
_LIT = xxhash.xxh3_64_intdigest(b"\x00LIT")
#: ``norm_ids`` value of every literal token (strings, numbers).
LITERAL_ID = _LIT
#: ``norm_ids`` value of every identifier token.
IDENT_ID = _ID


@dataclass(frozen=True, slots=True)
class CodeTokens:
    """Tokens of a code text. Arrays have shape ``(n_tokens,)``; spans are code points."""

    starts: npt.NDArray[np.int64]
    ends: npt.NDArray[np.int64]
    norm_ids: npt.NDArray[np.uint64]
    exact_ids: npt.NDArray[np.uint64]  # shape (n_exact,): long strings split into their words
    exact_starts: npt.NDArray[np.int64]  # shape (n_exact,)
    text: TextTokens  # words of comments and strings
    tokenizer: str  # "tree-sitter:python", "pygments:kotlin", ...

    def __len__(self) -> int:
        return int(self.norm_ids.shape[0])


#: Strings longer than this many code points are split into whitespace-separated pieces in the
#: exact stream, so a copy made mostly of one long string or docstring still has k-grams.
LONG_STRING_CHARS = 24
_PIECE = re.compile(r"\S+")
# The same patterns with one group, for ``re.split``: it returns gaps and matches alternately,
# all in C, so spans come from a cumulative sum of lengths instead of one match object each.
_PIECE_SPLIT = re.compile(f"({_PIECE.pattern})")
_TEXT_SPLIT = re.compile(f"({_TOKEN_RE.pattern})")


def _split_spans(pattern: re.Pattern[str], text: str, starts: npt.NDArray[np.int64],
                 ends: npt.NDArray[np.int64], sep: str
                 ) -> tuple[list[str], npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """Every match of ``pattern`` (one group) inside ``text[s:e]`` for each span, in order.

    The same matches as ``pattern.finditer(text, s, e)`` span after span, provided ``sep``
    never matches nor extends a match (the patterns have no look-around). Returns the matched
    strings and their code-point spans in ``text``.
    """
    starts_l, ends_l = starts.tolist(), ends.tolist()
    joined = sep.join([text[s:e] for s, e in zip(starts_l, ends_l, strict=True)])
    parts = pattern.split(joined)
    lens = np.fromiter(map(len, parts), dtype=np.int64, count=len(parts))
    pos = np.cumsum(lens) - lens  # offset of each part in ``joined``
    words = parts[1::2]
    wpos, wlen = pos[1::2], lens[1::2]
    seg = ends - starts + len(sep)
    seg_at = np.cumsum(seg) - seg  # offset of each span in ``joined``
    k = np.searchsorted(seg_at, wpos, side="right") - 1
    wstart = wpos - seg_at[k] + starts[k]
    return words, wstart, wstart + wlen


# -- xxh3-64 of many short byte strings at once ----------------------------------------------
# Token ids are ``xxhash.xxh3_64_intdigest`` of the token's UTF-8 (seed 0, default secret).
# 97% of code tokens are at most 16 bytes, where XXH3 is a fixed formula over at most two
# 64-bit reads (XXH3_len_{0,1to3,4to8,9to16}_64b in xxhash.h, v0.8); here it is on arrays.
# tests/fingerprint/test_tokenizer_equivalence.py checks it against the xxhash package.
_XXH3_SECRET = bytes.fromhex(  # the first 72 bytes of XXH3_kSecret
    "b8fe6c3923a44bbe7c01812cf721ad1cded46de9839097db7240a4a4b7b3671f"
    "cb79e64eccc0e578825ad07dccff7221b8084674f743248ee03590e6813a264c"
    "3c2852bb91c300cb")
_U = np.uint64


def _secret64(offset: int) -> int:
    return int.from_bytes(_XXH3_SECRET[offset:offset + 8], "little")


def _secret32(offset: int) -> int:
    return int.from_bytes(_XXH3_SECRET[offset:offset + 4], "little")


_XXH_FLIP_0 = _U(_secret64(56) ^ _secret64(64))
_XXH_FLIP_1TO3 = _U(_secret32(0) ^ _secret32(4))
_XXH_FLIP_4TO8 = _U(_secret64(8) ^ _secret64(16))
_XXH_FLIP_9TO16 = (_U(_secret64(24) ^ _secret64(32)), _U(_secret64(40) ^ _secret64(48)))
_XXH_P64_2, _XXH_P64_3 = _U(0xC2B2AE3D27D4EB4F), _U(0x165667B19E3779F9)
_XXH_MX1, _XXH_MX2 = _U(0x165667919E3779F9), _U(0x9FB21C651E98DF25)
_LO32 = _U(0xFFFFFFFF)
#: longest token (bytes) hashed by :func:`_xxh3_short`
XXH3_SHORT_MAX = 16
#: fewest spans hashed on arrays (break-even with one-by-one hashing, measured)
XXH3_ARRAY_MIN = 768

U64 = npt.NDArray[np.uint64]


def _xxh64_avalanche(h: U64) -> U64:
    h = h ^ (h >> _U(33))
    h = h * _XXH_P64_2
    h = h ^ (h >> _U(29))
    h = h * _XXH_P64_3
    return h ^ (h >> _U(32))


def _words_at(data: bytes, width: int) -> npt.NDArray[Any]:
    """Overlapping view: element ``i`` is the little-endian ``width``-byte word at byte ``i``."""
    return np.ndarray(shape=(len(data) - width + 1,), dtype=f"<u{width}", buffer=data,
                      strides=(1,))


def _mul128_fold64(a: U64, b: U64) -> U64:
    """Low 64 bits xor high 64 bits of the 128-bit products ``a * b``."""
    al, ah, bl, bh = a & _LO32, a >> _U(32), b & _LO32, b >> _U(32)
    ll, hl, lh, hh = al * bl, ah * bl, al * bh, ah * bh
    cross = (ll >> _U(32)) + (hl & _LO32) + lh
    low: U64 = (cross << _U(32)) | (ll & _LO32)
    high: U64 = (hl >> _U(32)) + (cross >> _U(32)) + hh
    return low ^ high


def _xxh3_short(data: bytes, starts: npt.NDArray[np.int64],
                lengths: npt.NDArray[np.int64]) -> U64:
    """``xxh3_64_intdigest(data[s:s + n])`` for every ``s, n`` (``n <= 16``)."""
    buf = np.frombuffer(data, dtype=np.uint8)
    w32, w64 = _words_at(data, 4), _words_at(data, 8)
    out = np.empty(starts.shape[0], dtype=np.uint64)
    with np.errstate(over="ignore"):  # uint64 arithmetic wraps, as in C
        sel = lengths == 0
        out[sel] = _xxh64_avalanche(np.full(int(sel.sum()), _XXH_FLIP_0, dtype=np.uint64))
        sel = (lengths >= 1) & (lengths <= 3)
        s, n = starts[sel], lengths[sel]
        combined = (buf[s].astype(np.uint64) << _U(16)) | \
            (buf[s + (n >> 1)].astype(np.uint64) << _U(24)) | \
            buf[s + n - 1].astype(np.uint64) | (n.astype(np.uint64) << _U(8))
        out[sel] = _xxh64_avalanche(combined ^ _XXH_FLIP_1TO3)
        sel = (lengths >= 4) & (lengths <= 8)
        s, n = starts[sel], lengths[sel]
        k = (w32[s + n - 4].astype(np.uint64) + (w32[s].astype(np.uint64) << _U(32))) ^ \
            _XXH_FLIP_4TO8
        k = k ^ (((k << _U(49)) | (k >> _U(15))) ^ ((k << _U(24)) | (k >> _U(40))))
        k = k * _XXH_MX2
        k = k ^ ((k >> _U(35)) + n.astype(np.uint64))
        k = k * _XXH_MX2
        out[sel] = k ^ (k >> _U(28))
        sel = (lengths >= 9) & (lengths <= 16)
        s, n = starts[sel], lengths[sel]
        lo = w64[s].astype(np.uint64) ^ _XXH_FLIP_9TO16[0]
        hi = w64[s + n - 8].astype(np.uint64) ^ _XXH_FLIP_9TO16[1]
        acc = n.astype(np.uint64) + lo.byteswap() + hi + _mul128_fold64(lo, hi)
        acc = acc ^ (acc >> _U(37))
        acc = acc * _XXH_MX1
        out[sel] = acc ^ (acc >> _U(32))
    return out


def _xxh3_spans(data: bytes, starts: npt.NDArray[np.int64], ends: npt.NDArray[np.int64]) -> U64:
    """``xxh3_64_intdigest(data[s:e])`` for every span: short ones on arrays, others one by one.

    The array path costs about 0.1 ms per call whatever the size, so below
    :data:`XXH3_ARRAY_MIN` spans (a small file) hashing one by one is faster.
    """
    h = xxhash.xxh3_64_intdigest
    if starts.shape[0] < XXH3_ARRAY_MIN:
        return np.fromiter((h(data[s:e]) for s, e in zip(starts.tolist(), ends.tolist(),
                                                           strict=True)),
                           dtype=np.uint64, count=starts.shape[0])
    lengths = ends - starts
    short = lengths <= XXH3_SHORT_MAX
    out = np.empty(starts.shape[0], dtype=np.uint64)
    if short.any():
        out[short] = _xxh3_short(data + bytes(8), starts[short], lengths[short])
    rest = np.flatnonzero(~short)
    if rest.shape[0]:
        out[rest] = [h(data[s:e]) for s, e in zip(starts[rest].tolist(), ends[rest].tolist(),
                                                   strict=True)]
    return out



# -- words and pieces inside spans -----------------------------------------------------------
# For ASCII text (code points = bytes) both patterns are runs of one byte class, found on
# arrays; the classes are read off the patterns themselves. Other text goes through re.split.
_ASCII_WORD = np.array([_TOKEN_RE.fullmatch(chr(c)) is not None for c in range(128)]
                       + [False] * 128)
_ASCII_PIECE = np.array([_PIECE.fullmatch(chr(c)) is not None for c in range(128)] + [True] * 128)
_ASCII_LOWER = np.array([ord(chr(c).lower()) if c < 128 else c for c in range(256)],
                        dtype=np.uint8)


def _ascii_runs(member: npt.NDArray[np.bool_], starts: npt.NDArray[np.int64],
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


def _sorted_disjoint(starts: npt.NDArray[np.int64], ends: npt.NDArray[np.int64]) -> bool:
    return bool(np.all(starts[1:] >= ends[:-1]))


def _text_tokens(text: str, starts: npt.NDArray[np.int64], ends: npt.NDArray[np.int64],
                 ascii_data: bytes | None = None) -> TextTokens:
    """``text.tokenize_spans(text, spans)`` of the spans (comments and strings), in bulk.

    ``ascii_data`` is ``text`` as bytes when it is ASCII (enables the array path).
    """
    if not starts.shape[0]:
        return TextTokens.empty()
    if ascii_data is not None and _sorted_disjoint(starts, ends):
        buf = np.frombuffer(ascii_data, dtype=np.uint8)
        wstart, wend = _ascii_runs(_ASCII_WORD[buf], starts, ends)
        if not wstart.shape[0]:
            return TextTokens.empty()
        lowered = _ASCII_LOWER[buf].tobytes()  # normalise_token of ASCII is str.lower
        return TextTokens(wstart, wend, _xxh3_spans(lowered, wstart, wend))
    words, wstart, wend = _split_spans(_TEXT_SPLIT, text, starts, ends, "\x00")
    if not words:
        return TextTokens.empty()
    ids = {w: token_id(normalise_token(w)) for w in set(words)}
    return TextTokens(wstart, wend, np.fromiter(map(ids.__getitem__, words), dtype=np.uint64,
                                                count=len(words)))


def _pieces(text: str, starts: npt.NDArray[np.int64], ends: npt.NDArray[np.int64],
            ascii_data: bytes | None = None) -> tuple[U64, npt.NDArray[np.int64]]:
    """Ids (xxh3 of the UTF-8) and starts of the whitespace-separated pieces of the spans."""
    if ascii_data is not None and _sorted_disjoint(starts, ends):
        buf = np.frombuffer(ascii_data, dtype=np.uint8)
        pstart, pend = _ascii_runs(_ASCII_PIECE[buf], starts, ends)
        return _xxh3_spans(ascii_data, pstart, pend), pstart
    pieces, pstart, _ = _split_spans(_PIECE_SPLIT, text, starts, ends, " ")
    h = xxhash.xxh3_64_intdigest
    table = {p: h(p.encode("utf-8", "surrogatepass")) for p in set(pieces)}
    return np.fromiter(map(table.__getitem__, pieces), dtype=np.uint64, count=len(pieces)), pstart


def _char_map(data: bytes, text_len: int) -> npt.NDArray[np.int64] | None:
    """Byte offset -> code-point offset for UTF-8 ``data`` (None when it is ASCII)."""
    if len(data) == text_len:
        return None
    arr = np.frombuffer(data, dtype=np.uint8)
    starts = (arr & 0xC0) != 0x80
    out = np.empty(len(data) + 1, dtype=np.int64)
    out[:-1] = np.cumsum(starts) - 1
    out[-1] = text_len
    # a byte inside a multi-byte char maps to that char; ends map to the next char
    return out


def _classify(kind: str, named: bool) -> int:
    """Token class of a node kind (its type name and whether it is a named node)."""
    if "comment" in kind:
        return _COMMENT
    if kind in _STRING_TYPES:
        return _STRING
    if named and _IDENT_RE.search(kind):
        return _IDENT
    if named and _NUMBER_RE.search(kind):
        return _NUMBER
    if kind == "ERROR":
        return _ERROR
    return _NAMED if named else _ANON


#: tree-sitter's kind id of ERROR nodes (``ts_builtin_sym_error``); node kind ids are uint16.
_ERROR_KIND_ID = 0xFFFF


class _Grammar:
    """One tree-sitter language: its parser and, per node kind id, the token class and whether
    the walk descends into such a node (classes below ``_STRING``, when it has children)."""

    __slots__ = ("classes", "descend", "parser")

    def __init__(self, parser: Any) -> None:
        lang = parser.language
        self.parser = parser
        self.classes = np.full(_ERROR_KIND_ID + 1, _NAMED, dtype=np.uint8)
        for kid in [*range(lang.node_kind_count), _ERROR_KIND_ID]:
            kind = lang.node_kind_for_id(kid)
            if kind is not None:
                self.classes[kid] = _classify(kind, lang.node_kind_is_named(kid))
        self.descend = bytes((self.classes < _STRING).astype(np.uint8))

    def classes_of(self, kinds: npt.NDArray[np.int64]) -> npt.NDArray[np.uint8]:
        return self.classes[kinds]


@dataclass
class CodeTokenizer:
    """Tokenizes code; holds one tree-sitter parser per language, created on first use."""

    _parsers: dict[str, Any] = field(default_factory=dict)
    _grammars: dict[str, _Grammar] = field(default_factory=dict)

    @staticmethod
    def supported(language: str | None) -> bool:
        """True when ``language`` has a tree-sitter grammar or a Pygments lexer."""
        if language is None:
            return False
        if language in TREE_SITTER_GRAMMARS:
            return True
        try:
            from pygments.lexers import get_lexer_by_name
            from pygments.util import ClassNotFound
        except ImportError:  # pragma: no cover - pygments is a dependency
            return False
        try:
            get_lexer_by_name(language)
        except ClassNotFound:
            return False
        return True

    def _parser(self, language: str) -> Any:
        parser = self._parsers.get(language)
        if parser is None:
            import tree_sitter

            module_name, func = TREE_SITTER_GRAMMARS[language]
            try:
                module = importlib.import_module(module_name)
            except ImportError as exc:
                raise InputError(
                    f"language {language!r} needs the {module_name.replace('_', '-')} package; "
                    "install it with: pip install " + module_name.replace("_", "-")) from exc
            lang = tree_sitter.Language(getattr(module, func)())
            parser = tree_sitter.Parser(lang)
            self._parsers[language] = parser
        return parser

    def tokenize(self, text: str, language: str) -> CodeTokens:
        """Tokenize ``text`` as ``language``. Raises InputError for an unknown language."""
        if language in TREE_SITTER_GRAMMARS:
            return self._tokenize_tree_sitter(text, language)
        return self._tokenize_pygments(text, language)

    def structure_ids(self, text: str, language: str) -> npt.NDArray[np.uint64] | None:
        """The syntax tree as a token stream, the way Dolos tokenizes (Maertens et al. 2022):
        in pre-order, each node's kind id and, after its children, a closing marker. Names and
        literal values are absent, so the stream is the shape of the code. Shape ``(2 × nodes,)``;
        None for languages without a tree-sitter grammar. Comment nodes are kept, as in Dolos."""
        if language not in TREE_SITTER_GRAMMARS:
            return None
        grammar = self._grammar(language)
        tree = grammar.parser.parse(text.encode("utf-8", "surrogatepass"))
        out = array.array("q")
        put = out.append
        cursor = tree.walk()
        close = -1
        while True:
            put(cursor.node.kind_id)
            if cursor.goto_first_child():
                continue
            put(close)
            while not cursor.goto_next_sibling():
                if not cursor.goto_parent():
                    break
                put(close)
            else:
                continue
            break
        # kind ids shifted by one; the closing marker (-1) becomes 0
        return (np.frombuffer(out, dtype=np.int64) + 1).astype(np.uint64)

    def _grammar(self, language: str) -> _Grammar:
        grammar = self._grammars.get(language)
        if grammar is None:
            grammar = self._grammars[language] = _Grammar(self._parser(language))
        return grammar

    def _tokenize_tree_sitter(self, text: str, language: str) -> CodeTokens:
        data = text.encode("utf-8", "surrogatepass")
        grammar = self._grammar(language)
        tree = grammar.parser.parse(data)
        # The walk is the hot loop: per visited node one ``cursor.node`` and one ``kind_id``; per
        # token three appends. Everything else (classes, empty spans, ids) is done on arrays.
        descend = grammar.descend
        flat = array.array("q")  # kind id, start byte, end byte of every leaf / string / comment
        put = flat.append
        cursor = tree.walk()
        first_child = cursor.goto_first_child
        next_sibling = cursor.goto_next_sibling
        parent = cursor.goto_parent
        while True:
            node = cursor.node
            kid = node.kind_id
            if descend[kid] and first_child():
                continue
            put(kid)
            put(node.start_byte)
            put(node.end_byte)
            while not next_sibling():
                if not parent():
                    break
            else:
                continue
            break
        rows = np.frombuffer(flat, dtype=np.int64).reshape(-1, 3)
        cls = grammar.classes_of(rows[:, 0])
        sb, eb = rows[:, 1], rows[:, 2]
        nonempty = eb > sb
        is_token = nonempty & (cls != _COMMENT) & (cls != _ERROR)  # a childless ERROR: nothing
        tok_cls = cls[is_token]
        tsb, teb = sb[is_token], eb[is_token]
        is_prose = nonempty & (cls >= _STRING)
        psb, peb = sb[is_prose], eb[is_prose]
        tcs, tce, pcs, pce = tsb, teb, psb, peb  # code points
        cmap = _char_map(data, len(text))
        if cmap is not None:
            tcs, tce, pcs, pce = cmap[tsb], cmap[teb], cmap[psb], cmap[peb]
        # ids: the text of every token except long literals (_finish splits those into pieces)
        is_lit = (tok_cls == _STRING) | (tok_cls == _NUMBER)
        hashed = ~(is_lit & (tce - tcs > LONG_STRING_CHARS))
        exact = np.zeros(tsb.shape[0], dtype=np.uint64)
        exact[hashed] = _xxh3_spans(data, tsb[hashed], teb[hashed])
        norm = np.where(is_lit, np.uint64(_LIT), np.where(tok_cls == _IDENT, np.uint64(_ID), exact))
        return self._finish(text, tcs, tce, exact, norm, pcs, pce, f"tree-sitter:{language}",
                            data if cmap is None else None)

    def _tokenize_pygments(self, text: str, language: str) -> CodeTokens:
        from pygments.lexers import get_lexer_by_name
        from pygments.token import Comment, Literal, Name, Text, Whitespace
        from pygments.util import ClassNotFound

        try:
            lexer = get_lexer_by_name(language, stripnl=False, ensurenl=False)
        except ClassNotFound:
            raise InputError(f"unknown code language {language!r}: no tree-sitter grammar and no "
                             "Pygments lexer; screen it as text instead") from None
        spans: list[tuple[int, int]] = []
        exact: list[int] = []
        norm: list[int] = []
        prose: list[tuple[int, int]] = []
        h = xxhash.xxh3_64_intdigest
        for start, ttype, value in lexer.get_tokens_unprocessed(text):
            if not value.strip() or ttype in Whitespace or ttype in Text:
                continue
            end = start + len(value)
            if ttype in Comment:
                prose.append((start, end))
                continue
            spans.append((start, end))
            exact.append(h(value.encode("utf-8", "surrogatepass")))
            if ttype in Literal.String:
                norm.append(_LIT)
                prose.append((start, end))
            elif ttype in Literal:
                norm.append(_LIT)
            elif ttype in Name:
                norm.append(_ID)
            else:
                norm.append(h(value.encode("utf-8", "surrogatepass")))
        # Pygments offsets are already code points
        arr = np.asarray(spans, dtype=np.int64).reshape(-1, 2)
        parr = np.asarray(prose, dtype=np.int64).reshape(-1, 2)
        return self._finish(text, arr[:, 0], arr[:, 1], np.asarray(exact, dtype=np.uint64),
                            np.asarray(norm, dtype=np.uint64), parr[:, 0], parr[:, 1],
                            f"pygments:{lexer.aliases[0]}")

    @staticmethod
    def _finish(text: str, starts: npt.NDArray[np.int64], ends: npt.NDArray[np.int64],
                exact: npt.NDArray[np.uint64], norm: npt.NDArray[np.uint64],
                prose_starts: npt.NDArray[np.int64], prose_ends: npt.NDArray[np.int64],
                name: str, ascii_data: bytes | None = None) -> CodeTokens:
        """Assemble :class:`CodeTokens` from code-point spans and ids of the code tokens and the
        code-point spans of comments and strings (``prose``).

        The exact stream is ``exact`` with every literal longer than :data:`LONG_STRING_CHARS`
        replaced by its whitespace-separated pieces (ids of their UTF-8, starts of each piece).
        ``ascii_data`` is ``text`` as bytes when it is ASCII (array paths for words and pieces).
        """
        starts = np.ascontiguousarray(starts, dtype=np.int64)
        ends = np.ascontiguousarray(ends, dtype=np.int64)
        norm = np.ascontiguousarray(norm, dtype=np.uint64)
        long_lit = np.flatnonzero((norm == np.uint64(_LIT)) & (ends - starts > LONG_STRING_CHARS))
        if long_lit.shape[0]:
            pids, pstart = _pieces(text, starts[long_lit], ends[long_lit], ascii_data)
            # token of each piece: the long literal whose span holds its start
            owner = long_lit[np.searchsorted(starts[long_lit], pstart, side="right") - 1]
            counts = np.ones(starts.shape[0], dtype=np.int64)
            counts[long_lit] = 0
            counts += np.bincount(owner, minlength=starts.shape[0])
            offsets = np.cumsum(counts) - counts
            ex_ids = np.empty(int(offsets[-1] + counts[-1]), dtype=np.uint64)
            ex_starts = np.empty(ex_ids.shape[0], dtype=np.int64)
            short = np.ones(starts.shape[0], dtype=bool)
            short[long_lit] = False
            ex_ids[offsets[short]] = exact[short]
            ex_starts[offsets[short]] = starts[short]
            # pieces of one literal are consecutive: rank within the literal = index - first
            first = np.cumsum(np.bincount(owner, minlength=starts.shape[0])) - \
                np.bincount(owner, minlength=starts.shape[0])
            slot = offsets[owner] + np.arange(owner.shape[0]) - first[owner]
            ex_ids[slot] = pids
            ex_starts[slot] = pstart
        else:
            ex_ids = np.ascontiguousarray(exact, dtype=np.uint64)
            ex_starts = starts
        return CodeTokens(
            starts=starts, ends=ends, norm_ids=norm, exact_ids=ex_ids, exact_starts=ex_starts,
            text=_text_tokens(text, np.asarray(prose_starts, dtype=np.int64),
                              np.asarray(prose_ends, dtype=np.int64), ascii_data),
            tokenizer=name)

