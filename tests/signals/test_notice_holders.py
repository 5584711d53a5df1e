"""Holders of copyright notices: ``(c) Name`` lines in free text, abbreviation dots, and bare
names in the image metadata fields that are notices by definition (EXIF Copyright, IPTC
Copyright Notice / XMP ``dc:rights``)."""

from __future__ import annotations

import pytest

from rightsguard.signals import licences as lic


@pytest.mark.parametrize(
    ("text", "holders"),
    [
        ("(c) Kenji Sato Studio", ["Kenji Sato Studio"]),
        ("# (C) Kenji Sato Studio\n", ["Kenji Sato Studio"]),
        ("(c) Acme Ltd.", ["Acme Ltd."]),
        ("Copyright 2024 Acme Ltd.", ["Acme Ltd."]),
        ("© 2024 Acme Ltd. All rights reserved.", ["Acme Ltd."]),
        ("Copyright (c) 2020 Foo S.A.", ["Foo S.A."]),
        ("(c) 2021 Bar S.p.A.", ["Bar S.p.A."]),
        ("Copyright 2019 Example Co.", ["Example Co."]),
        ("Copyright 2019 Example Corp.\n", ["Example Corp."]),
        # a sentence's full stop is not part of the name
        ("Copyright 2019 The Foo Authors. All rights reserved.", ["The Foo Authors"]),
        ("© 2020 Jane Doe.", ["Jane Doe"]),
    ],
)
def test_copyright_holders_names_and_abbreviations(text: str, holders: list[str]) -> None:
    assert lic.copyright_holders(text) == holders


@pytest.mark.parametrize(
    "text",
    [
        "(c) You must retain, in the Source form of any Derivative Works",
        "(c) Representations.",  # a clause heading
        "(c) Representations",  # one word is too often a heading
        "(c) End User Location Privacy Requirements. Customer must comply",
        "(c) Review of Customer Applications.",
        "(c) No Re-Creating Google Products or Features",
        "Getty Images",  # free text without a mark is prose, not a notice
        "copyright license to reproduce the Work",
    ],
)
def test_copyright_holders_stays_conservative_for_prose(text: str) -> None:
    assert lic.copyright_holders(text) == []


def test_a_numbered_clause_list_makes_c_a_clause() -> None:
    """A text that numbers clauses (a), (b), … uses "(c)" as a number, even before a title
    that looks like a name (ScanCode's nvidia-ngx-eula-2019 has "(c) Marketing and
    Promotion"); a year still makes it a notice."""
    text = ("(a) Grant of Licence. …\n(b) Restrictions. …\n(c) Marketing and Promotion\n"
            "(c) 2024 Real Holder Inc.\n")
    assert lic.copyright_holders(text) == ["Real Holder Inc."]
    assert lic.copyright_holders("(c) Marketing and Promotion\n") == ["Marketing and Promotion"]


@pytest.mark.parametrize(
    ("notice", "holders"),
    [
        ("Getty Images", ["Getty Images"]),
        ("Kenji Sato Studio", ["Kenji Sato Studio"]),
        ("Acme Ltd.", ["Acme Ltd."]),
        ("© Getty Images", ["Getty Images"]),
        ("©Getty Images", ["Getty Images"]),
        ("(c) Kenji Sato Studio", ["Kenji Sato Studio"]),
        ("Copyright 2025 Jane Doe", ["Jane Doe"]),
        ("© 2025 Jane Doe. All rights reserved.", ["Jane Doe"]),
        ("Getty Images, all rights reserved", ["Getty Images"]),
        ("2024 Getty Images", ["Getty Images"]),
        ("Photo by Jane Doe", ["Jane Doe"]),
        ("Jane Doe <jane@example.org>", ["Jane Doe"]),
        ("Jane Doe https://example.org/jane", ["Jane Doe"]),
        # Exif Copyright tag: the photographer's, then the editor's copyright, NUL between
        ("Jane Doe\x00Kenji Sato Studio", ["Jane Doe", "Kenji Sato Studio"]),
        ("Getty Images\nAll rights reserved", ["Getty Images"]),
        ("Getty Images\nGetty Images", ["Getty Images"]),
    ],
)
def test_notice_holders_takes_a_bare_name(notice: str, holders: list[str]) -> None:
    assert lic.notice_holders(notice) == holders


@pytest.mark.parametrize(
    "notice",
    [
        "All rights reserved",
        "All rights reserved.",
        "Copyright 2024",
        "©",
        "Some rights reserved",
        "Licensed under CC BY 4.0",
        "CC BY-NC 4.0",
        "Creative Commons Attribution",
        "Public domain",
        "Do not use without permission",
        "See https://example.org/terms",
        "https://example.org/rights",
        "This photograph is the property of its owner and the heirs of the owner",
        "Copyright notice",
        "Copyright [yyyy] [name of copyright owner]",
        "",
    ],
)
def test_notice_holders_refuses_what_is_no_name(notice: str) -> None:
    assert lic.notice_holders(notice) == []
