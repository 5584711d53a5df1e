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

import importlib
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt
import xxhash

from rightsguard.errors import InputError
from rightsguard.fingerprint.text import TextTokens, tokenize_spans

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


@dataclass
class CodeTokenizer:
    """Tokenizes code; holds one tree-sitter parser per language, created on first use."""

    _parsers: dict[str, Any] = field(default_factory=dict)

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

    def _classes(self, language: str) -> dict[int, int]:
        """Per-language table node kind id -> token class (computed once per kind)."""
        key = "classes:" + language
        table = self._parsers.get(key)
        if table is None:
            table = self._parsers[key] = {}
        return table

    @staticmethod
    def _classify(node: Any) -> int:
        ntype = node.type
        if "comment" in ntype:
            return _COMMENT
        if ntype in _STRING_TYPES:
            return _STRING
        if node.is_named and _IDENT_RE.search(ntype):
            return _IDENT
        if node.is_named and _NUMBER_RE.search(ntype):
            return _NUMBER
        if ntype == "ERROR":
            return _ERROR
        return _NAMED if node.is_named else _ANON

    def _tokenize_tree_sitter(self, text: str, language: str) -> CodeTokens:
        data = text.encode("utf-8", "surrogatepass")
        tree = self._parser(language).parse(data)
        classes = self._classes(language)
        classify = self._classify
        spans: list[tuple[int, int]] = []  # byte spans of code tokens
        norm: list[int] = []
        prose: list[tuple[int, int]] = []  # byte spans of comments and strings
        cursor = tree.walk()
        h = xxhash.xxh3_64_intdigest
        while True:
            node = cursor.node
            kid = node.kind_id
            cls = classes.get(kid)
            if cls is None:
                cls = classes[kid] = classify(node)
            if cls < _STRING and cursor.goto_first_child():
                continue
            sb, eb = node.start_byte, node.end_byte
            if eb > sb:
                if cls == _ANON:
                    spans.append((sb, eb))
                    norm.append(h(data[sb:eb]))
                elif cls == _IDENT:
                    spans.append((sb, eb))
                    norm.append(_ID)
                elif cls == _COMMENT:
                    prose.append((sb, eb))
                elif cls == _STRING:
                    spans.append((sb, eb))
                    norm.append(_LIT)
                    prose.append((sb, eb))
                elif cls == _NUMBER:
                    spans.append((sb, eb))
                    norm.append(_LIT)
                elif cls == _NAMED:
                    spans.append((sb, eb))
                    norm.append(h(data[sb:eb]))
                # a childless ERROR node carries no token of its own
            while not cursor.goto_next_sibling():
                if not cursor.goto_parent():
                    break
            else:
                continue
            break
        exact = [h(data[s:e]) for s, e in spans]
        return self._finish(text, data, spans, exact, norm, prose, f"tree-sitter:{language}")

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
        return self._finish(text, None, spans, exact, norm, prose, f"pygments:{lexer.aliases[0]}")

    @staticmethod
    def _finish(text: str, data: bytes | None, spans: list[tuple[int, int]], exact: list[int],
                norm: list[int], prose: list[tuple[int, int]], name: str) -> CodeTokens:
        arr = np.asarray(spans, dtype=np.int64).reshape(-1, 2)
        cmap = _char_map(data, len(text)) if data is not None else None
        if cmap is not None:
            arr = cmap[arr]
        if cmap is not None:
            prose = [(int(cmap[sb]), int(cmap[eb])) for sb, eb in prose]
        norm_arr = np.asarray(norm, dtype=np.uint64)
        starts = arr[:, 0].copy()
        ends = arr[:, 1].copy()
        ex_ids: list[int] = []
        ex_starts: list[int] = []
        h = xxhash.xxh3_64_intdigest
        is_lit = norm_arr == np.uint64(_LIT)
        long_lit = np.flatnonzero(is_lit & (ends - starts > LONG_STRING_CHARS))
        long_set = set(long_lit.tolist())
        for i, (tid, st) in enumerate(zip(exact, starts.tolist(), strict=True)):
            if i in long_set:
                for m in _PIECE.finditer(text, st, int(ends[i])):
                    ex_ids.append(h(m.group().encode("utf-8", "surrogatepass")))
                    ex_starts.append(m.start())
            else:
                ex_ids.append(tid)
                ex_starts.append(st)
        return CodeTokens(
            starts=starts, ends=ends, norm_ids=norm_arr,
            exact_ids=np.asarray(ex_ids, dtype=np.uint64),
            exact_starts=np.asarray(ex_starts, dtype=np.int64),
            text=tokenize_spans(text, prose), tokenizer=name)


TokenizeFn = Callable[[str, str], CodeTokens]
