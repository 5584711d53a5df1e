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
import bisect
import importlib
import keyword
import re
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import numpy as np
import numpy.typing as npt
import xxhash

from rightsguard.errors import InputError
from rightsguard.fingerprint.text import (
    _TOKEN_RE,
    TextTokens,
    ascii_runs,
    ascii_tokens,
    needs_reading,
    normalise_token,
    sorted_disjoint,
    token_id,
    tokenize_spans,
    unmarked,
)
from rightsguard.fingerprint.xxh3 import U64, xxh3_spans

TOKENIZER_NAME = "rightsguard-code"
TOKENIZER_VERSION = 2
#: How the prose of code (comments and strings, :attr:`CodeTokens.text`) is cut into text
#: tokens. 2: escapes that stand for whitespace (:func:`prose_text`) separate words. The text
#: channels record it, since they hold the prose of code works.
PROSE_VERSION = 2

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




# -- words and pieces inside spans -----------------------------------------------------------
# For ASCII text both patterns are runs of one byte class (text.ascii_runs); other text goes
# through re.split.
_ASCII_PIECE = np.array([_PIECE.fullmatch(chr(c)) is not None for c in range(128)] + [True] * 128)


#: A backslash escape in a string literal: the backslash and the character after it.
_ESCAPE = re.compile(r"\\(.)", re.DOTALL)
#: Escaped characters that stand for whitespace (``\\n``, ``\\r``, ``\\t``, ``\\f``, ``\\v``) in
#: C, C++, C#, Go, Java, JavaScript, PHP, Python, Ruby and Rust strings.
_WHITESPACE_ESCAPES = frozenset("nrtfv")


def prose_text(text: str) -> str:
    """``text`` with every escape standing for whitespace replaced by two spaces (offsets are
    unchanged), for cutting the prose of code into words: a song or a licence pasted into one
    string literal with ``\\n`` between its lines was read as words such as ``nto`` (from
    ``...charge,\\nto any person``), so no k-gram across a line end matched its registered
    text. Escaped backslashes are kept (``\\\\n`` is a backslash and an ``n``)."""
    if "\\" not in text:
        return text
    return _ESCAPE.sub(lambda m: "  " if m.group(1) in _WHITESPACE_ESCAPES else m.group(0), text)


def _text_tokens(text: str, starts: npt.NDArray[np.int64], ends: npt.NDArray[np.int64],
                 ascii_data: bytes | None = None) -> TextTokens:
    """``text.tokenize_spans(text, spans)`` of the spans (comments and strings), in bulk.

    ``ascii_data`` is ``text`` as bytes when it is ASCII (enables the array path).
    """
    if not starts.shape[0]:
        return TextTokens.empty()
    if needs_reading(text):  # letters as references, invisible code points, not NFC
        return tokenize_spans(text, list(zip(starts.tolist(), ends.tolist(), strict=True)))
    if ascii_data is not None and sorted_disjoint(starts, ends):
        return ascii_tokens(ascii_data, starts, ends)
    words, wstart, wend = _split_spans(_TEXT_SPLIT, text, starts, ends, "\x00")
    if not words:
        return TextTokens.empty()
    ids = {w: token_id(normalise_token(w)) for w in set(words)}
    return TextTokens(wstart, wend, np.fromiter(map(ids.__getitem__, words), dtype=np.uint64,
                                                count=len(words)))


def _pieces(text: str, starts: npt.NDArray[np.int64], ends: npt.NDArray[np.int64],
            ascii_data: bytes | None = None) -> tuple[U64, npt.NDArray[np.int64]]:
    """Ids (xxh3 of the UTF-8) and starts of the whitespace-separated pieces of the spans."""
    if ascii_data is not None and sorted_disjoint(starts, ends):
        buf = np.frombuffer(ascii_data, dtype=np.uint8)
        pstart, pend = ascii_runs(_ASCII_PIECE[buf], starts, ends)
        return xxh3_spans(ascii_data, pstart, pend), pstart
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


# -- outputs cut inside a triple-quoted string ----------------------------------------------------
# A Python fragment that starts inside a docstring has its first triple quote close a string, but
# a parser reading it from the start takes it as an opening: prose is parsed as code and code as
# strings, and no token run equals the work's. Which reading is right is decided on the text:
# prose in what a reading takes for code, and code in what it takes for strings, count against
# it.
_PY_TRIPLE = re.compile(r"\"\"\"|'''")
#: one-line strings and comments: their words are prose inside code, not evidence either way
_LINE_LITERALS = r"#[^\n]*|'[^'\n]*'|\"[^\"\n]*\""
#: a word of letters followed by one space and another (groups; the second word is not
#: consumed, so ``in any line`` holds the pair ``any line``)
_WORD_PAIR = r"\b([A-Za-z]{2,}) (?=([A-Za-z]{2,})\b)"
_PROSE_PAIR = re.compile(_LINE_LITERALS + "|" + _WORD_PAIR)
_PY_WORDS = frozenset(keyword.kwlist) | frozenset(keyword.softkwlist) | {"self", "cls"}
#: A line that reads as a Python statement: a definition, a flow keyword, an import, a decorator
#: or an assignment (comments and doctest lines, ``>>> …``, are common in docstrings: not
#: evidence)
_CODE_LINE = re.compile(
    r"^[ \t]*(?:(?:async[ \t]+)?def[ \t]+\w+[ \t]*\(|class[ \t]+\w+[ \t]*[(:]|return\b"
    r"|import[ \t]+\w|from[ \t]+[\w.]+[ \t]+import\b|(?:if|elif|while|for|with|except)\b.*:[ \t]*$"
    r"|(?:else|try|finally)[ \t]*:|raise[ \t]+\w|@\w|[\w.]+(?:\[[^\]\n]*\])?[ \t]*[-+*/|&]?="
    r"[ \t]*[\w\[({'\"-])", re.MULTILINE)
#: On its line, what makes a triple quote an opening one: a string prefix, or an operator,
#: bracket, comma or ``return`` before it
_OPENS = re.compile(r"(?:(?:^|[^\w])[rRbBuUfF]{1,2}|[=(\[{,]|\breturn|\byield)[ \t]*$")
#: ... and a closing one: an operator, a method call, a comma or a closing bracket after it
_CLOSES = re.compile(r"[ \t]*[%.,)\]}]")
#: Score of a triple quote a reading takes for an opening one while it reads as a closing one
#: (:data:`_CLOSES`), or the other way round (:data:`_OPENS`).
DELIMITER_PENALTY = 4
#: Code points at the start of a fragment whose text decides how it is read (the reading only
#: matters where the fragment starts; the rest follows from its delimiters).
FRAME_WINDOW = 768
#: A reading from inside a string wins when it scores ``PROSE_RATIO`` times lower than the
#: reading from code and at least ``MIN_GAIN`` lower (score: prose evidence in its code,
#: :func:`_prose_evidence`, plus statement lines in its strings, :data:`_CODE_LINE`, plus
#: :data:`DELIMITER_PENALTY` per misread quote); a string running past the window needs
#: ``PROSE_PAIRS_INSIDE_STRING`` prose pairs in it (the bench's 13 all-prose outputs had 15-49,
#: code that starts in a comment block a few). Checked against Python's tokenizer on seven
#: standard-library modules (``tests/fingerprint/test_fragment_frame.py``): of 500-code-point
#: cuts at every line start, code starts 0 wrong of 7,667, docstrings' closing lines 0 of 171,
#: other starts inside strings 48 of 1,039.
PROSE_RATIO, MIN_GAIN, PROSE_PAIRS_INSIDE_STRING = 4, 2, 8


def _is_prose_pair(a: str, b: str) -> bool:
    """Whether a :data:`_PROSE_PAIR` match (its two groups) is a pair of words that are not
    Python keywords: many in prose read as code, nearly none in code."""
    return bool(a) and a not in _PY_WORDS and b not in _PY_WORDS


#: :data:`_PROSE_PAIR`, or (group 1) the start of a line no Python statement starts like: a
#: table rule or cell (``|``, ``+---``, ``===``), a doctest prompt, or another character that
#: cannot begin one
_PROSE_EVIDENCE = re.compile(r"(?m)(^[ \t]*(?:[|=:%;!$?^&]|>>>|\+[-=+]{3}))|" + _LINE_LITERALS
                             + "|" + _WORD_PAIR)


def _prose_evidence(text: str) -> int:
    """Prose word pairs (:func:`_is_prose_pair`) plus lines that cannot be code: what speaks
    against reading ``text`` as code."""
    return sum(1 for n, a, b in _PROSE_EVIDENCE.findall(text) if n or _is_prose_pair(a, b))


def _code_lines(text: str) -> int:
    """Lines of ``text`` that read as Python statements (:data:`_CODE_LINE`)."""
    return len(_CODE_LINE.findall(text))


#: In code: a triple quote (opens a string), or a comment or one-line string, skipped whole (a
#: triple quote inside them opens nothing)
_PY_CODE_SCAN = re.compile(r"\"\"\"|'''|#[^\n]*|\"(?:[^\"\\\n]|\\.)*\"|'(?:[^'\\\n]|\\.)*'")


def _in_line_literal(text: str, frm: int, pos: int) -> bool:
    """Whether the triple quote at ``pos`` lies inside a comment or a one-line string, reading
    its line in code from ``frm`` (the line's start, or where a string closed on it)."""
    eol = text.find("\n", pos)
    for m in _PY_CODE_SCAN.finditer(text, frm, len(text) if eol < 0 else eol):
        if m.start() >= pos:
            return False  # reached in code
        if m.end() > pos:
            return True
    return False


def _py_code_spans(text: str, inside: str | None) -> tuple[list[tuple[int, int]], str | None]:
    """Code spans of ``text`` (half-open, code points) between triple-quoted strings, read from
    the start in code (``inside`` None) or inside a string opened by the delimiter ``inside``;
    and the delimiter of the string the text ends in (None when it ends in code). In code, a
    triple quote inside a comment or a one-line string opens nothing; inside a string, only
    its own delimiter closes it (as Python's tokenizer reads them)."""
    spans: list[tuple[int, int]] = []
    at = pos = 0
    for m in _PY_TRIPLE.finditer(text):
        if m.start() < pos:
            continue
        if inside is None:
            if _in_line_literal(text, max(text.rfind("\n", 0, m.start()) + 1, pos), m.start()):
                continue
            spans.append((at, m.start()))
            inside, pos = m.group(), m.end()
        elif m.group() == inside:
            inside, at = None, m.end()
            pos = at
    if inside is None:
        spans.append((at, len(text)))
    return spans, inside


class Frame(NamedTuple):
    """How a fragment is parsed: ``opener`` inserted before its code point ``at`` (none when
    empty) and ``closer`` after its end."""

    at: int
    opener: str
    closer: str


#: A fragment parsed as it is.
NO_FRAME = Frame(0, "", "")


def _first_prose_line(text: str, start: int, end: int) -> int | None:
    """Start of the first line after the first one in ``text[start:end]`` holding a prose word
    pair (:func:`_is_prose_pair`), if any."""
    second = text.find("\n", start, end) + 1
    if not second:
        return None
    for m in _PROSE_PAIR.finditer(text, second, end):
        if _is_prose_pair(m.group(1), m.group(2)):
            return text.rfind("\n", second - 1, m.start()) + 1
    return None


class _Scorer:
    """Scores readings of a window: the window is cut at every triple quote and candidate
    opening point, and each piece's prose pairs and statement lines are counted once."""

    def __init__(self, window: str) -> None:
        cuts = {0, len(window)}
        for m in _PY_TRIPLE.finditer(window):
            cuts.update((m.start(), m.end()))
        self.window = window
        self.cuts = sorted(cuts)
        pieces = [window[a:b] for a, b in zip(self.cuts, self.cuts[1:], strict=False)]
        self.pairs = [_prose_evidence(p) for p in pieces]
        self.lines = [_code_lines(p) for p in pieces]

    def cut(self, at: int) -> None:
        """Cut the piece holding ``at`` there (a candidate opening point)."""
        i = bisect.bisect_right(self.cuts, at) - 1
        if self.cuts[i] == at:
            return
        a, b = self.cuts[i], self.cuts[i + 1]
        self.cuts.insert(i + 1, at)
        left, right = self.window[a:at], self.window[at:b]
        self.pairs[i:i + 1] = [_prose_evidence(left), _prose_evidence(right)]
        self.lines[i:i + 1] = [_code_lines(left), _code_lines(right)]

    def score(self, code: list[tuple[int, int]]) -> int:
        """Prose pairs of the pieces inside ``code`` spans plus statement lines of the rest."""
        total, k = 0, 0
        for i, a in enumerate(self.cuts[:-1]):
            while k < len(code) and code[k][1] <= a:
                k += 1
            inside = k < len(code) and code[k][0] <= a
            total += self.pairs[i] if inside else self.lines[i]
        return total


def _misread(window: str, openers: list[int], closers: list[int]) -> int:
    """Triple quotes (at ``openers`` and ``closers``, code points) that a reading takes for the
    opposite of what the text around them says they are."""
    wrong = sum(1 for c in closers
                if _OPENS.search(window, window.rfind("\n", 0, c) + 1, c))
    return wrong + sum(1 for o in openers if _CLOSES.match(window, o + 3))


def _delimiters(spans: list[tuple[int, int]], length: int, first_closer: int | None = None
                ) -> tuple[list[int], list[int]]:
    """Where a reading with code ``spans`` (of a text ``length`` code points long) has opening
    and closing triple quotes; ``first_closer``: a closing one before its first span."""
    openers = [b for _a, b in spans if b < length]
    closers = [a - 3 for a, _b in spans[1:]]
    if first_closer is not None:
        closers.insert(0, first_closer)
    return openers, closers


def fragment_frame(text: str, language: str) -> Frame:
    """How to parse a fragment of ``language`` code (an output, not a whole file) so the parser
    reads its strings as in the file it was cut from: with an opening triple quote where a
    Python fragment's text lies inside a triple-quoted string whose opening it lacks (at its
    start, or after lines of code written before a copy that starts inside a docstring), and a
    closing one after a fragment that ends inside a string; :data:`NO_FRAME` otherwise.

    Readings of the first :data:`FRAME_WINDOW` code points (to the end of their line) are
    scored: prose word pairs (:func:`_prose_evidence`) in what a reading takes for code, plus code
    lines (:data:`_CODE_LINE`) in what it takes for strings, plus :data:`DELIMITER_PENALTY` for
    each triple quote it takes for an opening one while the text reads it as a closing one, or
    the other way round. Against the reading from code stand readings with a string opened at
    the start or at the first line of prose, by either delimiter, closed by the first such
    delimiter after it. The lowest-scoring one wins when it scores :data:`PROSE_RATIO` times
    lower than reading from code and at least :data:`MIN_GAIN` lower, and, when its string runs
    past the window, that string holds :data:`PROSE_PAIRS_INSIDE_STRING` prose pairs; else the
    fragment is read from code, as a parser does."""
    if language != "python":
        return NO_FRAME
    window = text[:FRAME_WINDOW]
    window += text[len(window):text.find("\n", len(window)) % (len(text) + 1)]  # whole lines
    plain, end_in_code = _py_code_spans(window, None)
    if len(window) < len(text):
        end_in_code = _py_code_spans(text, None)[1]
    scorer = _Scorer(window)
    in_code = scorer.score(plain) + DELIMITER_PENALTY * _misread(
        window, *_delimiters(plain, len(window)))
    if in_code < MIN_GAIN:
        return Frame(0, "", end_in_code or "")
    later = _first_prose_line(window, 0, plain[0][1])
    ats = [0] if later is None else [0, later]
    if later is not None:
        scorer.cut(later)
    best: tuple[int, int, str] | None = None  # (score, at, opener)
    kinds = {m.group() for m in _PY_TRIPLE.finditer(window)} | {'"""'}
    # the delimiters a string opened at ``at`` may have: those in the window after it, and that
    # of the first triple quote after it in the whole text (its closing one)
    kinds_after = {}
    for at in ats:
        first = _PY_TRIPLE.search(text, at)
        kinds_after[at] = {m.group() for m in _PY_TRIPLE.finditer(window, at)} | \
            {first.group() if first is not None else '"""'}
    for opener in sorted(kinds):
        for at in ats:
            if opener not in kinds_after[at]:
                continue
            close = window.find(opener, at)
            if close < 0:  # the string runs past the window: it must read as prose
                if in_code - scorer.score([(0, at)]) < PROSE_PAIRS_INSIDE_STRING:
                    continue
                code = [(0, at)]
                delims: tuple[list[int], list[int]] = ([], [])
            else:
                rest, _ = _py_code_spans(window[close + 3:], None)
                code = [(0, at)] + [(close + 3 + a, close + 3 + b) for a, b in rest]
                delims = _delimiters(code[1:], len(window), close)
            score = scorer.score([(a, b) for a, b in code if b > a]) + \
                DELIMITER_PENALTY * _misread(window, *delims)
            if best is None or score < best[0]:
                best = (score, at, opener)
    if best is None or PROSE_RATIO * best[0] >= in_code or in_code - best[0] < MIN_GAIN:
        return Frame(0, "", end_in_code or "")
    _score, at, opener = best
    close_at = text.find(opener, at)
    end_in = opener if close_at < 0 else _py_code_spans(text[close_at + 3:], None)[1]
    return Frame(at, opener, end_in or "")


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

    def tokenize(self, text: str, language: str, *, fragment: bool = False) -> CodeTokens:
        """Tokenize ``text`` as ``language``. Raises InputError for an unknown language.

        ``fragment``: ``text`` is a piece cut from code (a model's output), which may start or
        end inside a string; it is parsed inside :func:`fragment_frame`. Whole works are not
        (a file starts in code)."""
        if language in TREE_SITTER_GRAMMARS:
            frame = fragment_frame(text, language) if fragment else NO_FRAME
            return self._tokenize_tree_sitter(text, language, frame)
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

    def _tokenize_tree_sitter(self, text: str, language: str,
                              frame: Frame = NO_FRAME) -> CodeTokens:
        data = text.encode("utf-8", "surrogatepass")
        grammar = self._grammar(language)
        framed = frame != NO_FRAME
        # the parser sees the opener inserted at byte ``cut`` and the closer after the end
        cut = len(text[:frame.at].encode("utf-8", "surrogatepass")) if frame.at else 0
        opener = frame.opener.encode("utf-8")
        tree = grammar.parser.parse(data[:cut] + opener + data[cut:] + frame.closer.encode("utf-8")
                                    if framed else data)
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
        if framed:  # back to ``data``'s bytes; the frame's own bytes belong to no token
            sb = np.clip(np.where(sb >= cut, np.maximum(sb - len(opener), cut), sb), 0, len(data))
            eb = np.clip(np.where(eb >= cut, np.maximum(eb - len(opener), cut), eb), 0, len(data))
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
        exact[hashed] = xxh3_spans(data, tsb[hashed], teb[hashed])
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
        prose = unmarked(prose_text(text))  # the text tokenizer's reading (tags not words)
        if ascii_data is not None and prose is not text:
            ascii_data = prose.encode("ascii")
        return CodeTokens(
            starts=starts, ends=ends, norm_ids=norm, exact_ids=ex_ids, exact_starts=ex_starts,
            text=_text_tokens(prose, np.asarray(prose_starts, dtype=np.int64),
                              np.asarray(prose_ends, dtype=np.int64), ascii_data),
            tokenizer=name)

