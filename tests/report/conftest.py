"""Hand-built screening reports shared by the report writer tests."""

from __future__ import annotations

import hashlib

import pytest

from rightsguard.model import (
    LicenceCategory,
    Match,
    ScreenReport,
    ScreenResult,
    Source,
    Span,
    Verdict,
    Work,
)

CPYTHON_COMMIT = "0fb18b02c8ad56299d6a2910be0bab8ad601ef24"
READLINE_COMMIT = "9b3e5a5e2b0d1c8f7a6e4d3c2b1a09f8e7d6c5b4"


def _work_id(name: str) -> str:
    return hashlib.sha256(name.encode()).hexdigest()


DECODER = Work(
    work_id=_work_id("cpython/Lib/json/decoder.py"),
    title="Lib/json/decoder.py",
    holders=("Python Software Foundation",),
    licence="PSF-2.0",
    licence_category=LicenceCategory.PERMISSIVE,
    modality="code",
    language="python",
    kind="code",
    sources=(
        Source(
            uri=f"https://github.com/python/cpython/blob/{CPYTHON_COMMIT}/Lib/json/decoder.py",
            repository="https://github.com/python/cpython",
            commit=CPYTHON_COMMIT,
            path="Lib/json/decoder.py",
        ),
    ),
)

HISTORY = Work(
    work_id=_work_id("readline/history.c"),
    title="history.c",
    holders=("Free Software Foundation, Inc.",),
    licence="GPL-3.0-or-later",
    licence_category=LicenceCategory.COPYLEFT,
    modality="code",
    language="c",
    kind="code",
    sources=(
        Source(
            uri=f"https://git.savannah.gnu.org/cgit/readline.git/tree/history.c?id={READLINE_COMMIT}",
            repository="https://git.savannah.gnu.org/git/readline.git",
            commit=READLINE_COMMIT,
            path="history.c",
        ),
    ),
    famous=True,
)

NEKO = Work(
    work_id=_work_id("aozora/789_14547"),
    title="吾輩は猫である",
    holders=("夏目漱石",),
    licence="LicenseRef-public-domain",
    licence_category=LicenceCategory.PUBLIC_DOMAIN,
    modality="text",
    language="ja",
    kind="text",
    sources=(Source(uri="https://www.aozora.gr.jp/cards/000148/files/789_14547.html"),),
    identifiers=(("aozora", "000148/789"),),
)

ARTICLE = Work(
    work_id=_work_id("news/council-vote"),
    title="Council votes to close the harbour bridge",
    holders=("Example Daily News", "Jane Roe"),
    licence="NOASSERTION",
    licence_category=LicenceCategory.UNKNOWN,
    modality="text",
    language="en",
    kind="text",
)


def _build_report() -> ScreenReport:
    decoder_match = Match(
        work=DECODER,
        output_span=Span(start=412, end=1630, start_line=14, end_line=49,
                         start_column=1, end_column=1),
        work_span=Span(start=10234, end=11452, start_line=332, end_line=367,
                       start_column=1, end_column=1),
        matched_chars_nows=903,
        matched_tokens=241,
        longest_run_tokens=241,
        output_coverage=0.6123,
        work_coverage=0.0917,
        kind="verbatim",
        channel="code-exact",
        matcher="exact-verify",
        approx=False,
        verdict=Verdict.ATTRIBUTE,
        reason="permissive licence: allowed with attribution",
    )
    history_match = Match(
        work=HISTORY,
        output_span=Span(start=0, end=2210, start_line=1, end_line=71,
                         start_column=1, end_column=1),
        work_span=Span(start=15870, end=18211, start_line=498, end_line=569,
                       start_column=1, end_column=1),
        matched_chars_nows=1675,
        matched_tokens=512,
        longest_run_tokens=388,
        output_coverage=0.98,
        work_coverage=0.1432,
        kind="renamed",
        channel="code-normalised",
        matcher="winnow-candidates+align",
        approx=False,
        fragments=2,
        verdict=Verdict.BLOCK,
        reason="copyleft code over 150 non-whitespace characters",
    )
    neko_match = Match(
        work=NEKO,
        output_span=Span(start=57, end=139, start_line=3, end_line=4,
                         start_column=1, end_column=1),
        work_span=Span(start=0, end=82, start_line=1, end_line=2,
                       start_column=1, end_column=1),
        matched_chars_nows=80,
        matched_tokens=80,
        longest_run_tokens=80,
        output_coverage=0.21,
        work_coverage=0.0002,
        kind="verbatim",
        channel="text",
        matcher="text-exact",
        approx=False,
        verdict=Verdict.CLEAN,
        reason="public domain",
    )
    article_match = Match(
        work=ARTICLE,
        output_span=Span(start=260, end=611, start_line=9, end_line=12,
                         start_column=1, end_column=1),
        work_span=Span(start=1002, end=1350, start_line=7, end_line=10,
                       start_column=1, end_column=1),
        matched_chars_nows=289,
        matched_tokens=62,
        longest_run_tokens=51,
        output_coverage=0.5,
        work_coverage=0.2667,
        kind="near-verbatim",
        channel="text",
        matcher="text-winnow",
        approx=True,
        verdict=Verdict.REVIEW,
        reason="licence NOASSERTION: cannot decide",
    )
    return ScreenReport(
        results=(
            ScreenResult(
                input="src/app/jsonutil.py",
                modality="code",
                language="python",
                verdict=Verdict.ATTRIBUTE,
                matches=(decoder_match,),
            ),
            ScreenResult(
                input="src/app/history.c",
                modality="code",
                language="c",
                verdict=Verdict.BLOCK,
                matches=(history_match,),
            ),
            ScreenResult(
                input="answer.md",
                modality="text",
                language="ja",
                verdict=Verdict.REVIEW,
                matches=(neko_match, article_match),
                notes=("invalid UTF-8 decoded with replacement",),
            ),
            ScreenResult(
                input="src/app/__init__.py",
                modality="code",
                language="python",
                verdict=Verdict.CLEAN,
            ),
        )
    )


@pytest.fixture
def report() -> ScreenReport:
    return _build_report()
