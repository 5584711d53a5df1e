"""Code and text tokenizers: code-point spans of the original text, comments as text tokens,
CJK per character, NFKC + case folding."""

from __future__ import annotations

import numpy as np
import pytest
import xxhash

from rightsguard.fingerprint.code import CodeTokenizer
from rightsguard.fingerprint.text import (
    count_tokens,
    normalise_token,
    token_id,
    tokenize_spans,
    tokenize_text,
)

# (source, expected code tokens, expected text tokens of comments and strings)
SNIPPETS: dict[str, tuple[str, list[str], list[str]]] = {
    "python": (
        'def grüße(név):\n    # Ünïcode comment über alles\n    s = "héllo wörld 日本"\n'
        "    return név + s  # fin\n",
        ["def", "grüße", "(", "név", ")", ":", "s", "=", '"héllo wörld 日本"', "return", "név",
         "+", "s"],
        ["Ünïcode", "comment", "über", "alles", "héllo", "wörld", "日", "本", "fin"],
    ),
    "java": (
        'class Ä {\n  // commentaire élevé\n  String ñame = "Grüße 世界";\n'
        "  int größe() { return 42; }\n}\n",
        ["class", "Ä", "{", "String", "ñame", "=", '"Grüße 世界"', ";", "int", "größe", "(", ")",
         "{", "return", "42", ";", "}", "}"],
        ["commentaire", "élevé", "Grüße", "世", "界"],
    ),
    "c": (
        '/* commentaire élevé */\nint main(void) {\n  const char *s = "Grüße 世界";\n'
        "  return 0; // fin ñ\n}\n",
        ["int", "main", "(", "void", ")", "{", "const", "char", "*", "s", "=", '"Grüße 世界"',
         ";", "return", "0", ";", "}"],
        ["commentaire", "élevé", "Grüße", "世", "界", "fin", "ñ"],
    ),
    "javascript": (
        'const café = "naïve 世界";\n// commentaire élevé\n'
        "function größe(ß) { return café + ß; }\n",
        ["const", "café", "=", '"naïve 世界"', ";", "function", "größe", "(", "ß", ")", "{",
         "return", "café", "+", "ß", ";", "}"],
        ["naïve", "世", "界", "commentaire", "élevé"],
    ),
    "go": (
        "package main\n\n// commentaire élevé\nfunc größe(ñ int) string {\n"
        '\ts := "Grüße 世界"\n\treturn s\n}\n',
        ["package", "main", "func", "größe", "(", "ñ", "int", ")", "string", "{", "s", ":=",
         '"Grüße 世界"', "return", "s", "}"],
        ["commentaire", "élevé", "Grüße", "世", "界"],
    ),
    "rust": (
        "fn größe(ñ: i32) -> &'static str {\n    // commentaire élevé\n"
        '    let s = "Grüße 世界";\n    s\n}\n',
        ["fn", "größe", "(", "ñ", ":", "i32", ")", "->", "&", "'", "static", "str", "{", "let",
         "s", "=", '"Grüße 世界"', ";", "s", "}"],
        ["commentaire", "élevé", "Grüße", "世", "界"],
    ),
}


@pytest.fixture(scope="module")
def tokenizer() -> CodeTokenizer:
    return CodeTokenizer()


@pytest.mark.parametrize("language", sorted(SNIPPETS))
def test_code_spans_map_back_to_source(tokenizer: CodeTokenizer, language: str) -> None:
    text, code_tokens, text_tokens = SNIPPETS[language]
    assert not text.isascii()  # offsets must be code points, not bytes
    ct = tokenizer.tokenize(text, language)
    assert ct.tokenizer == f"tree-sitter:{language}"
    got = [text[s:e] for s, e in zip(ct.starts.tolist(), ct.ends.tolist(), strict=True)]
    assert got == code_tokens
    # each exact id is the hash of exactly that token's text
    assert ct.exact_ids.tolist() == [xxhash.xxh3_64_intdigest(t.encode()) for t in code_tokens]
    assert len(ct) == len(code_tokens) == ct.norm_ids.shape[0]
    # spans are increasing and inside the text
    assert np.all(np.diff(ct.starts) > 0)
    assert int(ct.ends.max()) <= len(text)
    # comments and strings give text tokens, again with code-point spans
    words = [text[s:e] for s, e in zip(ct.text.starts.tolist(), ct.text.ends.tolist(),
                                       strict=True)]
    assert words == text_tokens
    assert ct.text.ids.tolist() == [token_id(normalise_token(w)) for w in text_tokens]


def test_comments_are_not_code_tokens(tokenizer: CodeTokenizer) -> None:
    text = "x = 1  # a comment with words\n"
    ct = tokenizer.tokenize(text, "python")
    assert [text[s:e] for s, e in zip(ct.starts, ct.ends, strict=True)] == ["x", "=", "1"]
    assert [text[s:e] for s, e in zip(ct.text.starts, ct.text.ends, strict=True)] == [
        "a", "comment", "with", "words"]


def test_normalised_ids_abstract_identifiers_and_literals(tokenizer: CodeTokenizer) -> None:
    a = tokenizer.tokenize("def grüße(név):\n    return név + 'x' + 1\n", "python")
    b = tokenizer.tokenize("def f(n):\n    return n + \"yy\" + 99\n", "python")
    assert a.norm_ids.tolist() == b.norm_ids.tolist()
    assert a.exact_ids.tolist() != b.exact_ids.tolist()
    c = tokenizer.tokenize("def f(n):\n    return n - 'x' + 1\n", "python")
    assert c.norm_ids.tolist() != a.norm_ids.tolist()  # operators keep their text


def test_pygments_fallback_offsets_are_code_points(tokenizer: CodeTokenizer) -> None:
    text = 'fun größe(ñ: Int): String = "Grüße 世界" // élevé\n'
    ct = tokenizer.tokenize(text, "kotlin")
    assert ct.tokenizer.startswith("pygments:")
    toks = [text[s:e] for s, e in zip(ct.starts, ct.ends, strict=True)]
    assert "größe" in toks and "ñ" in toks
    for tok, h in zip(toks, ct.exact_ids.tolist(), strict=True):
        assert h == xxhash.xxh3_64_intdigest(tok.encode())
    words = [text[s:e] for s, e in zip(ct.text.starts, ct.text.ends, strict=True)]
    assert "élevé" in words and "世" in words


def test_unknown_language_is_an_input_error(tokenizer: CodeTokenizer) -> None:
    from rightsguard.errors import InputError

    assert not CodeTokenizer.supported("no-such-language-xyz")
    with pytest.raises(InputError, match="no-such-language-xyz"):
        tokenizer.tokenize("x", "no-such-language-xyz")


def test_text_tokens_cjk_one_per_character() -> None:
    text = "Hello 世界, 日本語のテキスト and 한국어!"
    tt = tokenize_text(text)
    words = [text[s:e] for s, e in zip(tt.starts, tt.ends, strict=True)]
    assert words == ["Hello", "世", "界", "日", "本", "語", "の", "テ", "キ", "ス", "ト",
                     "and", "한", "국", "어"]
    assert count_tokens(text) == 15 == len(tt)


def test_text_tokens_nfkc_casefold() -> None:
    a = tokenize_text("ＡＢＣ")
    b = tokenize_text("abc")
    c = tokenize_text("ABC")
    assert len(a) == len(b) == 1
    assert a.ids.tolist() == b.ids.tolist() == c.ids.tolist()
    assert (a.starts.tolist(), a.ends.tolist()) == ([0], [3])
    # ß case-folds to ss; the ligature ﬁ is NFKC fi
    assert tokenize_text("STRASSE").ids.tolist() == tokenize_text("straße").ids.tolist()
    assert tokenize_text("ﬁle").ids.tolist() == tokenize_text("file").ids.tolist()
    assert tokenize_text("GNU GENERAL PUBLIC LICENSE").ids.tolist() == \
        tokenize_text("gnu general public license").ids.tolist()
    assert tokenize_text("abd").ids.tolist() != b.ids.tolist()


def test_text_offsets_and_spans() -> None:
    text = "ﬁrst élan — zweite Zeile"
    tt = tokenize_text(text, offset=100)
    words = [text[s - 100:e - 100] for s, e in zip(tt.starts, tt.ends, strict=True)]
    assert words == ["ﬁrst", "élan", "zweite", "Zeile"]
    spans = tokenize_spans("aa bb cc dd", [(0, 5), (9, 11)])
    assert spans.starts.tolist() == [0, 3, 9]
    assert spans.ends.tolist() == [2, 5, 11]
    assert len(tokenize_text("  ,;  ")) == 0
