"""The fast tree-sitter tokenizer yields exactly the tokens of a straightforward reference walk.

``reference_tokens`` below is the plain preorder walk the code tokenizer used before it was made
fast (tokenizer version 2): every node is classified from its type, strings and comments are
taken whole, and every field of :class:`CodeTokens` is built token by token. The fast path must
give the same tokens, spans and ids on real code; if this test fails, the token stream changed
and ``TOKENIZER_VERSION`` (or, for the text tokens of comments and strings, ``PROSE_VERSION``)
would have to be bumped.
"""

from __future__ import annotations

import json
import os
import sysconfig
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import xxhash

from rightsguard.fingerprint import code as code_mod
from rightsguard.fingerprint import xxh3
from rightsguard.fingerprint.code import CodeTokenizer, CodeTokens
from rightsguard.fingerprint.text import tokenize_spans
from rightsguard.index.build import decode

STDLIB = Path(sysconfig.get_paths()["stdlib"])
SOCO = Path(os.environ.get("RIGHTSGUARD_BENCH_SOCO",
                           Path(__file__).resolve().parents[3] / "shared/benchmarks/soco"))

_ANON, _NAMED, _IDENT, _NUMBER, _ERROR, _STRING, _COMMENT = range(7)
_ID = xxhash.xxh3_64_intdigest(b"\x00ID")
_LIT = xxhash.xxh3_64_intdigest(b"\x00LIT")


def _reference_class(node: Any) -> int:
    ntype = node.type
    if "comment" in ntype:
        return _COMMENT
    if ntype in code_mod._STRING_TYPES:
        return _STRING
    if node.is_named and code_mod._IDENT_RE.search(ntype):
        return _IDENT
    if node.is_named and code_mod._NUMBER_RE.search(ntype):
        return _NUMBER
    if ntype == "ERROR":
        return _ERROR
    return _NAMED if node.is_named else _ANON


def blank_whitespace_escapes(text: str) -> str:
    """Prose version 2, one character at a time: a backslash and the character after it are
    read as a pair; pairs standing for whitespace (n r t f v) become two spaces."""
    out = list(text)
    i = 0
    while i < len(text) - 1:
        if text[i] == "\\":
            if text[i + 1] in "nrtfv":
                out[i] = out[i + 1] = " "
            i += 2
        else:
            i += 1
    return "".join(out)


def reference_tokens(tokenizer: CodeTokenizer, text: str, language: str) -> dict[str, Any]:
    """The reference: one node at a time, every decision in Python."""
    data = text.encode("utf-8", "surrogatepass")
    tree = tokenizer._parser(language).parse(data)
    h = xxhash.xxh3_64_intdigest
    spans: list[tuple[int, int]] = []
    norm: list[int] = []
    prose: list[tuple[int, int]] = []
    cursor = tree.walk()
    while True:
        node = cursor.node
        cls = _reference_class(node)
        if cls < _STRING and cursor.goto_first_child():
            continue
        sb, eb = node.start_byte, node.end_byte
        if eb > sb:
            if cls in (_ANON, _NAMED):
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
        while not cursor.goto_next_sibling():
            if not cursor.goto_parent():
                break
        else:
            continue
        break
    # byte offsets -> code points, one token at a time
    cp = [0] * (len(data) + 1)
    i = 0
    for ci, ch in enumerate(text):
        n = len(ch.encode("utf-8", "surrogatepass"))
        for b in range(n):
            cp[i + b] = ci
        i += n
    cp[len(data)] = len(text)
    starts = [cp[s] for s, _ in spans]
    ends = [cp[e] for _, e in spans]
    ex_ids: list[int] = []
    ex_starts: list[int] = []
    for (sb, eb), st, en, nid in zip(spans, starts, ends, norm, strict=True):
        if nid == _LIT and en - st > code_mod.LONG_STRING_CHARS:
            for m in code_mod._PIECE.finditer(text, st, en):
                ex_ids.append(h(m.group().encode("utf-8", "surrogatepass")))
                ex_starts.append(m.start())
        else:
            ex_ids.append(h(data[sb:eb]))
            ex_starts.append(st)
    text_tokens = tokenize_spans(blank_whitespace_escapes(text),
                                 [(cp[s], cp[e]) for s, e in prose])
    return {"starts": starts, "ends": ends, "norm_ids": norm, "exact_ids": ex_ids,
            "exact_starts": ex_starts, "text_starts": text_tokens.starts.tolist(),
            "text_ends": text_tokens.ends.tolist(), "text_ids": text_tokens.ids.tolist()}


def assert_same(got: CodeTokens, want: dict[str, Any], name: str) -> None:
    fields = {"starts": got.starts, "ends": got.ends, "norm_ids": got.norm_ids,
              "exact_ids": got.exact_ids, "exact_starts": got.exact_starts,
              "text_starts": got.text.starts, "text_ends": got.text.ends,
              "text_ids": got.text.ids}
    dtypes = {"norm_ids": np.uint64, "exact_ids": np.uint64, "text_ids": np.uint64}
    for key, arr in fields.items():
        assert arr.dtype == dtypes.get(key, np.int64), (name, key, arr.dtype)
        assert arr.ndim == 1, (name, key)
        assert arr.tolist() == want[key], f"{name}: {key} differs from the reference walk"


def stdlib_python_files(n: int = 60) -> list[Path]:
    """``n`` real standard-library modules spread over the tree (sorted, every k-th), plus
    non-ASCII ones, each under 200 kB."""
    files = sorted(p for p in STDLIB.rglob("*.py")
                   if p.stat().st_size < 200_000 and "site-packages" not in p.parts)
    step = max(1, len(files) // n)
    picked = files[::step][:n]
    non_ascii = [p for p in files if not p.read_bytes().isascii()][:15]
    return picked + [p for p in non_ascii if p not in picked]


@pytest.fixture(scope="module")
def tokenizer() -> CodeTokenizer:
    return CodeTokenizer()


def test_python_stdlib_files_match_the_reference(tokenizer: CodeTokenizer) -> None:
    files = stdlib_python_files()
    assert len(files) >= 50
    n_tokens = 0
    for path in files:
        text, _ = decode(path.read_bytes())
        got = tokenizer.tokenize(text, "python")
        assert_same(got, reference_tokens(tokenizer, text, "python"), str(path))
        n_tokens += len(got)
    assert n_tokens > 50_000


# Real-world constructs: comments of every kind, escapes, templates and regexes, preprocessor
# lines, generics and annotations, non-ASCII identifiers and strings, and broken code (ERROR
# nodes, missing tokens) so error recovery is covered too.
SNIPPETS: dict[str, list[str]] = {
    "c": [
        '#include <stdio.h>\n#define MAX(a, b) ((a) > (b) ? (a) : (b))\n/* Copyright (C) 2024 '
        'Üser.\n * Licensed under the MIT licence. */\nstatic const char *names[] = {"alpha", '
        '"beta \\"quoted\\" 世界", L"wide"};\nint main(int argc, char **argv) {\n  unsigned long '
        "x = 0x1Fu + 017 + 1e-3f; // mixed literals\n  char c = '\\n';\n  for (int i = 0; i < "
        'argc; ++i) printf("%s: %d\\n", argv[i], MAX(i, 3));\n  return x > 2 ? 0 : 1;\n}\n',
        "int broken( { return 1 +; }\nstruct { int a; } s = { .a = 3 };\n#if 0\nnot c at all\n"
        "#endif\n",
    ],
    "javascript": [
        "// @ts-check\n'use strict';\nconst re = /a+[b-z]*\\/x/gi;\nexport async function "
        "fetchAll(urls, { retries = 3 } = {}) {\n  /** JSDoc: fetch every url, größe ok */\n  "
        "const out = await Promise.all(urls.map(u => fetch(`${u}?q=${encodeURIComponent('a b')}"
        " trailing text that is long`)));\n  return out.filter(Boolean).length ?? 0n;\n}\n"
        "class Café extends Base { #secret = 42; static get x() { return this.#secret; } }\n",
        "function ( { let = ; }\nvar a = <div className=\"x\">{y}</div>;\n",
    ],
    "java": [
        "package org.example;\n\nimport java.util.*;\n\n/**\n * Javadoc with <b>HTML</b> and "
        "@param tags – ünïcode.\n */\n@SuppressWarnings(\"unchecked\")\npublic final class "
        "Größe<T extends Comparable<T>> implements Iterable<T> {\n  private static final long "
        "SERIAL = 0xCAFEL;\n  private final List<T> items = new ArrayList<>();\n  @Override "
        "public Iterator<T> iterator() { return items.iterator(); }\n  String block() {\n    "
        'return """\n        a text block with several words in it\n        """;\n  }\n'
        "  char c() { return '\\u00e9'; } // line comment\n  double d = 1.5e10d;\n}\n",
        "class Broken { void m( { int x = ; } }\n",
    ],
    "cpp": ["template <typename T> T add(T a, T b) { return a + b; }\n"
            'auto s = R"raw(some raw string here that is long)raw"; // c++\n'],
    "go": ['package main\n\nimport "fmt"\n\n// Größe says hi.\nfunc main() {\n\tr := \'x\'\n\t'
           "s := `raw string with several words inside it`\n\tfmt.Println(r, s, 0x10, 1.5i)\n}\n"],
    "rust": ["/// Doc comment\nfn main() { let s = r#\"raw string with words in it, long\"#; "
             "let c = 'c'; println!(\"{} {}\", s, c); let x: u64 = 1_000; }\n"],
    "typescript": ["interface A { x: number }\nconst f = (a: A): string => `v=${a.x} and "
                   "some more template words`; // ts\n"],
    "tsx": ["const C = () => <div title=\"hi there\">{/* c */}text</div>;\n"],
    "c_sharp": ['class A { string s = $"x {y} interpolated long enough to split"; '
                '/* c */ char c = \'c\'; string v = @"verbatim \\ string"; }\n'],
    "ruby": ["# comment\ndef hello(name) = \"hi #{name} with a long interpolated string\"\n"
             "x = <<~EOS\n  heredoc body with several words\nEOS\n"],
    "php": ["<?php\n// comment\n$x = \"interp {$y} long enough string\"; echo 'single'; "
            "/* block */ ?>\n<p>html</p>\n"],
}


@pytest.mark.parametrize(("language", "index"),
                         [(lang, i) for lang, snips in SNIPPETS.items()
                          for i in range(len(snips))])
def test_snippets_match_the_reference(tokenizer: CodeTokenizer, language: str,
                                      index: int) -> None:
    text = SNIPPETS[language][index]
    got = tokenizer.tokenize(text, language)
    assert len(got) > 0
    assert_same(got, reference_tokens(tokenizer, text, language), f"{language}[{index}]")


def _real_files(language: str) -> list[tuple[str, str]]:
    """Real C, Java and JavaScript found on this machine (SOCO, system headers, docs JS)."""
    out: list[tuple[str, str]] = []
    soco = SOCO / "soco.jsonl"
    if soco.exists():
        with soco.open(encoding="utf-8") as fh:
            rows = [json.loads(line) for line in fh]
        out += [(r["name"], r["text"]) for r in rows if r["language"] == language][:25]
    globs = {"c": [("/usr/include", "*.h")],
             "javascript": [("/usr/share/doc", "python3*/_static/*.js"),
                            ("/usr/share/javascript", "**/*.js")]}
    for root, pattern in globs.get(language, []):
        for p in sorted(Path(root).glob(pattern))[:25]:
            if p.is_file() and p.stat().st_size < 300_000:
                out.append((str(p), decode(p.read_bytes())[0]))
    return out


@pytest.mark.parametrize("language", ["c", "java", "javascript"])
def test_real_files_on_this_machine_match_the_reference(tokenizer: CodeTokenizer,
                                                        language: str) -> None:
    files = _real_files(language)
    assert files, f"no real {language} files on this machine (SOCO, system headers, docs)"
    for name, text in files:
        got = tokenizer.tokenize(text, language)
        assert_same(got, reference_tokens(tokenizer, text, language), name)


def test_bulk_xxh3_equals_the_xxhash_package() -> None:
    rng = np.random.default_rng(7)
    data = bytes(rng.integers(0, 256, 4000, dtype=np.uint8)) + "ü日本 def ".encode() * 50
    starts = rng.integers(0, len(data) - 40, 30_000)
    assert starts.shape[0] >= xxh3.XXH3_ARRAY_MIN
    lengths = np.concatenate([np.arange(41), rng.integers(0, 41, 30_000 - 41)])
    got = xxh3.xxh3_spans(data, starts, starts + lengths)
    want = [xxhash.xxh3_64_intdigest(data[s:s + n]) for s, n in zip(starts, lengths, strict=True)]
    assert got.dtype == np.uint64
    assert got.tolist() == want
    # reads up to the last byte (repeated: the array path is taken from XXH3_ARRAY_MIN spans)
    edge = np.tile([0, len(data) - 16, len(data) - 9, len(data) - 4, len(data) - 1, len(data)],
                   xxh3.XXH3_ARRAY_MIN)
    ends = np.minimum(edge + 16, len(data))
    want = [xxhash.xxh3_64_intdigest(data[s:e])
            for s, e in zip(edge.tolist(), ends.tolist(), strict=True)]
    assert xxh3.xxh3_spans(data, edge, ends).tolist() == want


@pytest.mark.parametrize("ascii_only", [False, True])
def test_bulk_text_tokens_and_pieces_equal_the_regexes(ascii_only: bool) -> None:
    """Comments and strings are tokenized in bulk (one ``re.split``, or byte classes on arrays
    for ASCII); same tokens as tokenize_spans and the same pieces as ``\\S+``, including
    touching and empty spans, CJK, fullwidth, surrogates, control characters and a NUL."""
    text = ("GNU GENERAL Public License ＡＢＣ 日本語テキスト mixed_words2 x\x00y\x1c\x0bz "
            "naïve café \udcff end\t\r\n") * 3
    if ascii_only:
        text = text.encode("ascii", "ignore").decode()
    n = len(text)
    rng = np.random.default_rng(3)
    for _ in range(300):
        cuts = np.sort(rng.integers(0, n + 1, rng.integers(1, 12) * 2)).reshape(-1, 2)
        st, en = cuts[:, 0].astype(np.int64), cuts[:, 1].astype(np.int64)
        data = text.encode() if ascii_only else None
        got = code_mod._text_tokens(text, st, en, data)
        want = tokenize_spans(text, [(int(a), int(b)) for a, b in cuts])
        assert got.starts.tolist() == want.starts.tolist()
        assert got.ends.tolist() == want.ends.tolist()
        assert got.ids.tolist() == want.ids.tolist()
        ids, starts = code_mod._pieces(text, st, en, data)
        pieces = [m for a, b in cuts for m in code_mod._PIECE.finditer(text, int(a), int(b))]
        assert starts.tolist() == [m.start() for m in pieces]
        assert ids.tolist() == [xxhash.xxh3_64_intdigest(m.group().encode("utf-8", "surrogatepass"))
                                for m in pieces]


def test_non_whitespace_count_of_a_work() -> None:
    """``chars_nows`` (the unit of code thresholds) counts characters that are not
    ``str.isspace``; ASCII text takes a counting shortcut that must agree."""
    from rightsguard.index.build import _chars_nows

    samples = ["", " a b\t", "x\x1cy\x1f z\x0b\x0c", "naïve\u3000café\u00a0\u2028end",
               *(p.read_text("utf-8", "replace") for p in stdlib_python_files(10))]
    for text in samples:
        assert _chars_nows(text) == sum(1 for c in text if not c.isspace())
