"""``Screener.similar_works`` and the syntax-tree stream behind it, on real SOCO programs."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from rightsguard import Index, Screener, Source, WorkInput
from rightsguard.fingerprint.code import CodeTokenizer

SOCO = Path(__file__).resolve().parents[3] / "shared" / "benchmarks" / "soco" / "soco.jsonl"


def soco(language: str) -> dict[str, str]:
    assert SOCO.is_file(), f"needs ../shared/benchmarks ({SOCO})"
    rows = [json.loads(line) for line in SOCO.read_text("utf-8").splitlines()]
    return {r["name"]: r["text"] for r in rows if r["language"] == language}


def test_structure_stream_ignores_names_and_layout_but_not_shape() -> None:
    tok = CodeTokenizer()
    a = tok.structure_ids("int f(int x) { return x + 1; }", "c")
    b = tok.structure_ids("int   g(int yy)\n{\n  return yy+1;\n}", "c")
    c = tok.structure_ids("int f(int x) { return x * 1; }", "c")
    d = tok.structure_ids("int f(int x) { if (x) return 1; return 0; }", "c")
    assert a is not None and b is not None and c is not None and d is not None
    assert a.tolist() == b.tolist()  # renamed and reformatted: same shape
    assert a.tolist() != c.tolist()  # another operator is another anonymous node kind
    assert len(d) > len(a)
    # pre-order with a closing marker (0) after each node's children; the root closes last
    tree = tok._parser("c").parse(b"int f(int x) { return x + 1; }")

    def count(node: object) -> int:
        return 1 + sum(count(ch) for ch in node.children)  # type: ignore[attr-defined]

    nodes = count(tree.root_node)
    assert len(a) == 2 * nodes  # every node opens and, after its children, closes
    assert tok.structure_ids("fun main() {}", "kotlin") is None  # Pygments only: no tree


@pytest.fixture(scope="module")
def java_index(tmp_path_factory: pytest.TempPathFactory) -> tuple[Screener, dict[str, str]]:
    files = dict(sorted(soco("java").items())[:40])
    idx = Index.create(tmp_path_factory.mktemp("sim") / "index")
    idx.add([WorkInput(raw=t.encode(), title=n, holders=(), licence="NOASSERTION",
                       source=Source(uri=n), modality="code", language="java")
             for n, t in files.items()])
    return Screener(idx), files


def test_renamed_copy_ranks_its_source_first(java_index: tuple[Screener, dict[str, str]]
                                             ) -> None:
    screener, files = java_index
    name = "003.java"
    renamed = re.sub(r"\b([a-z][A-Za-z0-9]*)\b", lambda m: m.group(1) + "_x"
                     if m.group(1) not in {"public", "private", "static", "void", "int", "new",
                                           "return", "class", "import", "if", "else", "for",
                                           "while", "try", "catch", "throws", "throw",
                                           "extends", "implements", "boolean", "char", "byte",
                                           "long", "double", "float", "final", "null", "true",
                                           "false", "this", "super", "package", "protected",
                                           "short", "break", "continue", "do", "switch",
                                           "case", "default", "instanceof", "finally",
                                           "synchronized", "interface", "abstract"}
                     else m.group(1), files[name])
    ranked = screener.similar_works(renamed, language="java", top=5)
    assert ranked[0].work.title == name
    channels = dict((c[0], c[1:]) for c in ranked[0].channels)
    shared, out_n, work_n = channels["structure"]
    # same shape, but for the few char literals the regex renaming broke ('c' -> 'c_x')
    assert out_n == work_n and shared >= 0.95 * out_n
    assert set(channels) == {"structure", "code-exact", "code-normalised"}
    # renaming keeps the normalised token stream (identifiers are one id) but not the exact one
    n_shared, n_out, n_work = channels["code-normalised"]
    e_shared, e_out, _e_work = channels["code-exact"]
    assert n_out == n_work and n_shared >= 0.95 * n_out
    assert e_shared < 0.5 * e_out
    assert ranked[0].similarity > ranked[1].similarity
    # the qrels pair 003/004 is more alike than 003 and an unrelated program
    sims = {s.work.title: s.similarity for s in
            screener.similar_works(files[name], language="java", top=40,
                                   exclude_work_ids=[ranked[0].work.work_id])}
    assert sims["004.java"] > sims.get("010.java", 0.0)


def test_unlabelled_code_is_screened_as_code(java_index: tuple[Screener, dict[str, str]]
                                             ) -> None:
    """Code given without a language (stdin, .txt, an untagged fence) must not pass as prose."""
    screener, files = java_index
    copy = files["003.java"]
    labelled = screener.screen_text(copy, language="java")
    unlabelled = screener.screen_text(copy)
    assert [r.modality for r in unlabelled] == ["code"]
    assert any("no language given" in n for n in unlabelled[0].notes)
    assert {m.work.title for m in unlabelled[0].matches} >= {"003.java"}
    assert labelled[0].matches and unlabelled[0].verdict == labelled[0].verdict
    answer = "Here is the program:\n\n```\n" + copy + "\n```\n"
    parts = screener.screen_text(answer)
    assert any(r.modality == "code" and any(m.work.title == "003.java" for m in r.matches)
               for r in parts)
    prose = "A short note, written for this test, about nothing in the index at all."
    assert [r.modality for r in screener.screen_text(prose)] == ["text"]
