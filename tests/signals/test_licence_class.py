"""Tests for rightsguard.signals.licence_class: DPI use classes, Creative Commons links in HTML,
SPDX tags in text, dataset licence columns."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest
import selectolax.lexbor

from rightsguard.errors import LicenceError
from rightsguard.model import RightsSignal
from rightsguard.signals import licence_class as lc
from rightsguard.signals.html import HtmlPage

WEB = Path(__file__).parent / "data" / "web"

# -- classes -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        # straight from DPI constants/license_classes.json (All / NC / Acad)
        ("MIT", "commercial"),
        ("Apache-2.0", "commercial"),
        ("CC-BY-SA-4.0", "commercial"),
        ("CC-BY-NC-4.0", "non-commercial"),
        ("CC-BY-NC-ND-4.0", "non-commercial"),
        ("LicenseRef-dpi-openai-terms", "non-commercial"),
        ("LicenseRef-dpi-request-form", "academic-only"),
        ("LicenseRef-dpi-various", "academic-only"),
        # fall-backs: a -NC element, the ScanCode category, unknown refs
        ("CC-BY-NC-SA-2.0-FR", "non-commercial"),
        ("Zlib", "commercial"),
        ("AGPL-3.0-only", "commercial"),
        ("CC-PDM-1.0", "commercial"),
        ("LicenseRef-acme-eula", "unspecified"),
        ("NOASSERTION", "unspecified"),
        ("NONE", "unspecified"),
        ("", "unspecified"),
        ("MIT AND (", "unspecified"),
        # combining: AND → most restrictive (DPI), OR → least (licensee's choice), WITH → licence
        ("MIT AND CC-BY-NC-4.0", "non-commercial"),
        ("MIT OR CC-BY-NC-4.0", "commercial"),
        ("CC-BY-NC-4.0 AND LicenseRef-dpi-various", "academic-only"),
        ("MIT AND NOASSERTION", "unspecified"),
        ("GPL-2.0-only WITH Classpath-exception-2.0", "commercial"),
        ("(CC-BY-NC-4.0 OR LicenseRef-dpi-request-form) AND MIT", "non-commercial"),
    ],
)
def test_licence_class(expression: str, expected: str) -> None:
    assert lc.licence_class(expression) == expected


def test_most_restrictive_order_is_dpi() -> None:
    assert lc.most_restrictive(["commercial", "unspecified"]) == "unspecified"
    assert lc.most_restrictive(["non-commercial", "unspecified", "commercial"]) == "non-commercial"
    assert lc.most_restrictive(["academic-only", "non-commercial"]) == "academic-only"
    assert lc.most_restrictive([]) == "unspecified"


def test_table_with_a_bad_class_is_refused_naming_every_problem() -> None:
    bad = '[spdx]\n"MIT" = "free"\n[refs]\n"LicenseRef-x" = "maybe"\n'
    with pytest.raises(LicenceError, match=r"\[spdx\] 'MIT' = 'free'; \[refs\] 'LicenseRef-x' = "
                                           r"'maybe'; allowed: academic-only, commercial"):
        lc.LicenceClassTable.load(bad)


# -- Creative Commons URLs ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://creativecommons.org/licenses/by-nc-sa/4.0/", "CC-BY-NC-SA-4.0"),
        ("http://creativecommons.org/licenses/by/4.0/deed.de", "CC-BY-4.0"),
        ("https://creativecommons.org/licenses/by/4.0/legalcode", "CC-BY-4.0"),
        ("https://creativecommons.org/licenses/by-sa/3.0/de/", "CC-BY-SA-3.0-DE"),
        ("https://creativecommons.org/licenses/by/2.0/es/", "CC-BY-2.0"),  # no SPDX Spanish port
        ("//creativecommons.org/licenses/by-nd/2.5", "CC-BY-ND-2.5"),
        ("https://creativecommons.org/licenses/by/4", "CC-BY-4.0"),
        ("https://creativecommons.org/publicdomain/zero/1.0/", "CC0-1.0"),
        ("https://creativecommons.org/publicdomain/mark/1.0/", "CC-PDM-1.0"),
        ("https://creativecommons.org/licenses/publicdomain/", "CC-PDDC"),
        ("https://creativecommons.org/licenses/sampling+/1.0/", "LicenseRef-cc-sampling-plus-1.0"),
        ("https://creativecommons.org/about/", None),
        ("https://example.org/licenses/by/4.0/", None),
        ("https://notcreativecommons.org/licenses/by/4.0/", None),
    ],
)
def test_cc_url_expression(url: str, expected: str | None) -> None:
    assert lc.cc_url_expression(url) == expected


# -- HTML --------------------------------------------------------------------------------------

PAGE = b"""<!doctype html><html><head>
<link rel="License" href="/about/terms">
<meta name="dc.rights" content="http://creativecommons.org/publicdomain/zero/1.0/">
</head><body><p>Text
<a rel="nofollow license" href="https://creativecommons.org/licenses/by-nc-sa/4.0/deed.en">
<img src="https://licensebuttons.net/l/by-nc-sa/4.0/88x31.png"></a>
<a href="https://creativecommons.org/licenses/by-nc-sa/4.0/">again</a>
</body></html>"""


def test_html_licence_links_and_cc_urls() -> None:
    signals = lc.html_licence_signals(PAGE, "https://blog.example.org/post/1")
    url = "https://blog.example.org/post/1"
    assert [(s.kind, s.value) for s in signals] == [
        ("licence", "NOASSERTION"),  # rel=license to a page that names no known licence
        ("licence", "CC-BY-NC-SA-4.0"),
        ("licence", "CC0-1.0"),
        ("licence-class", "non-commercial"),  # most restrictive of the three
    ]
    assert signals[0].evidence == f'{url}: <link rel="License" href="/about/terms">'
    assert signals[1].evidence == (
        f'{url}: <a rel="nofollow license" '
        'href="https://creativecommons.org/licenses/by-nc-sa/4.0/deed.en">')
    assert signals[2].evidence == (
        f'{url}: <meta content="http://creativecommons.org/publicdomain/zero/1.0/">')
    assert {(s.carrier, s.state, s.scope) for s in signals} == {("html-meta", "n/a", "*")}
    assert signals[3].evidence == (
        f"{url}: licences declared in the page: NOASSERTION → unspecified, CC-BY-NC-SA-4.0 → "
        "non-commercial, CC0-1.0 → commercial (DPI classes, most restrictive wins)")


def test_rel_license_relative_link_to_spdx_page_is_resolved() -> None:
    html = '<a rel=license href="//spdx.org/licenses/Apache-2.0.html">Apache</a>'
    signals = lc.html_licence_signals(html, "https://example.com/")
    assert [(s.kind, s.value) for s in signals] == [("licence", "Apache-2.0"),
                                                   ("licence-class", "commercial")]


@pytest.mark.parametrize("html", [b"", b"<html><body>no licence</body></html>",
                                  b"\xff\xfe<<<a rel='license' <<", b"<a rel=license>no href</a>"])
def test_pages_without_licences_or_broken_give_nothing(html: bytes) -> None:
    assert lc.html_licence_signals(html, "u") == []


def test_folds_to_ascii_holds_every_non_ascii_char_the_hint_could_match() -> None:
    """The substring pre-check equals the regex only if this list is complete: every character
    outside ASCII that matches a letter of the hint case-insensitively, or lower-cases to
    ASCII (brute force over all of Unicode)."""
    letters = re.compile("[" + "".join(sorted(set("licensecreativecommonsorg"))) + "]",
                         re.IGNORECASE)
    found = {chr(cp) for cp in range(128, sys.maxunicode + 1) if not 0xD800 <= cp <= 0xDFFF
             and (letters.fullmatch(chr(cp)) or any(c.isascii() for c in chr(cp).lower()))}
    assert found == set(lc._FOLDS_TO_ASCII) == {"\u0130", "\u0131", "\u017f", "\u212a"}


@pytest.mark.parametrize(("text", "hint"), [
    ("", False), ("<p>no licence here</p>", False), ("licence (British)", False),
    ("creativecommons.org without a slash", False), ("<a rel=LICENSE>", True),
    ("Licensed under", True), ("caf\u00e9 \u2014 //CreativeCommons.ORG/licenses", True),
    ("l\u0131cense", True), ("L\u0130CENSE", True), ("licen\u017fe", True),
    ("\u212a but no hint", False), ("\u00b6 headerlink, license below", True),
])
def test_licence_hint_precheck_equals_the_regex(text: str, hint: bool) -> None:
    assert (lc._LICENCE_HINT.search(text) is not None) == hint
    assert lc._has_licence_hint(text) == hint


CP1252_PAGE = ('<html><head><meta charset="windows-1252"><title>Caf\u00e9</title></head><body>'
               '<a rel="license" href="https://creativecommons.org/licenses/by/4.0/">CC BY'
               ' \u00e9t\u00e9</a></body></html>').encode("cp1252")


@pytest.mark.parametrize(("body", "new_parses"), [
    (PAGE, 0), ((WEB / "page-tdm-noai.html").read_bytes(), 0),
    # HtmlPage honours <meta charset>, this extractor reads UTF-8: other text, so it parses
    (CP1252_PAGE, 1),
])
def test_a_shared_page_gives_the_same_licences(body: bytes, new_parses: int,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    url = "https://blog.example.org/post/1"
    alone = lc.html_licence_signals(body, url)
    page = HtmlPage(body)
    made: list[object] = []
    real = selectolax.lexbor.LexborHTMLParser

    def counting(*args: object, **kwargs: object) -> object:
        made.append(args)
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(selectolax.lexbor, "LexborHTMLParser", counting)
    assert lc.html_licence_signals(body, url, page=page) == alone
    assert len(made) == new_parses


# -- text --------------------------------------------------------------------------------------


def test_text_spdx_tags_and_cc_urls_with_lines() -> None:
    text = ("#!/usr/bin/env python\n"
            "# SPDX-License-Identifier: mit OR apache-2.0\n"
            "# Images: https://creativecommons.org/licenses/by-nc/4.0/\n"
            "# SPDX-License-Identifier: MIT AND\n")
    signals = lc.text_licence_signals(text, "src/a.py")
    assert [(s.kind, s.value, s.carrier) for s in signals] == [
        ("licence", "MIT OR Apache-2.0", "file"),
        ("licence", "CC-BY-NC-4.0", "file"),
        ("licence", "NOASSERTION", "file"),
        ("licence-class", "non-commercial", "file"),
    ]
    assert signals[0].evidence == "src/a.py line 2: SPDX-License-Identifier: MIT OR Apache-2.0"
    assert signals[1].evidence == (
        "src/a.py line 3: https://creativecommons.org/licenses/by-nc/4.0/")
    assert signals[2].evidence.startswith("src/a.py line 4: invalid SPDX-License-Identifier tags")
    assert lc.text_licence_signals("no licence here", "b.txt") == []


# -- dataset columns ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "licences", "cls"),
    [
        ("cc-by-nc-4.0", ["CC-BY-NC-4.0"], "non-commercial"),
        ("apache-2.0", ["Apache-2.0"], "commercial"),
        ("other", ["LicenseRef-other"], "unspecified"),
        ("unknown", ["NOASSERTION"], "unspecified"),
        ("", ["NOASSERTION"], "unspecified"),
        ("CC BY-NC 4.0", ["CC-BY-NC-4.0"], "non-commercial"),
        ("odc-by", ["ODC-By-1.0"], "commercial"),
        ("OpenAI", ["LicenseRef-dpi-openai-terms"], "non-commercial"),
        ("Request Form", ["LicenseRef-dpi-request-form"], "academic-only"),
        ("mit, cc-by-nc-sa-4.0", ["MIT", "CC-BY-NC-SA-4.0"], "non-commercial"),
        ("['mit']", ["MIT"], "commercial"),
        ("https://creativecommons.org/licenses/by/4.0/", ["CC-BY-4.0"], "commercial"),
        ("Custom Research Licence v2", ["LicenseRef-Custom-Research-Licence-v2"], "unspecified"),
        ("mit | Some EULA", ["MIT", "LicenseRef-Some-EULA"], "unspecified"),
    ],
)
def test_column_values(value: str, licences: list[str], cls: str) -> None:
    signals = lc.column_licence_signals(value, "data.jsonl line 3")
    assert [s.value for s in signals if s.kind == "licence"] == licences
    assert [s.value for s in signals if s.kind == "licence-class"] == [cls]
    assert {s.carrier for s in signals} == {"catalogue"}
    assert signals[0] == RightsSignal(
        "licence", "catalogue", licences[0], "*", "n/a", f"data.jsonl line 3: licence {value!r}",
        "rightsguard.signals.licence_class")
