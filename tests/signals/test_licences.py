"""Tests for rightsguard.signals.licences on real licence files (no network)."""

from __future__ import annotations

import os
import site
from pathlib import Path

import pytest

from rightsguard.errors import LicenceError
from rightsguard.model import LicenceCategory
from rightsguard.signals import licences as lic

STDLIB_LICENSE = Path(os.__file__).with_name("LICENSE.txt")
COMMON = Path("/usr/share/common-licenses")
SITE = Path(site.getsitepackages()[0])


def _dist_licence(dist: str) -> Path:
    hits = sorted(SITE.glob(f"{dist}-*.dist-info/licenses/LICENSE*")) + sorted(
        SITE.glob(f"{dist}-*.dist-info/LICENSE*")
    )
    assert hits, f"{dist} is not installed in {SITE}: it is a locked dependency (uv sync)"
    return hits[0]


# -- normalise_expression ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("mit", "MIT"),
        ("GPL-3.0", "GPL-3.0-only"),
        ("gpl-2.0+", "GPL-2.0-or-later"),
        ("mit or apache-2.0", "MIT OR Apache-2.0"),
        ("(MIT AND BSD-3-Clause) or Apache-2.0", "(MIT AND BSD-3-Clause) OR Apache-2.0"),
        ("GPL-2.0-only WITH Classpath-exception-2.0", "GPL-2.0-only WITH Classpath-exception-2.0"),
        ("NOASSERTION", "NOASSERTION"),
        ("LicenseRef-acme-eula", "LicenseRef-acme-eula"),
    ],
)
def test_normalise_expression(text: str, expected: str) -> None:
    assert lic.normalise_expression(text) == expected


@pytest.mark.parametrize(
    "text", ["", "   ", "MIT AND", "mit and (bsd-3-clause", "MIT WITH GPL-3.0-only", "Apache 2.0"]
)
def test_normalise_expression_rejects_and_names_the_value(text: str) -> None:
    with pytest.raises(LicenceError, match="licence expression"):
        lic.normalise_expression(text)


# -- category_of -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("expression", "category"),
    [
        ("MIT", "permissive"),
        ("Apache-2.0", "permissive"),
        ("GPL-3.0-only", "copyleft"),
        ("AGPL-3.0-or-later", "copyleft"),
        ("LGPL-2.1-only", "copyleft-limited"),
        ("MPL-2.0", "copyleft-limited"),
        ("CC0-1.0", "public-domain"),
        ("Unlicense", "public-domain"),
        ("BUSL-1.1", "proprietary"),  # ScanCode: Source-available
        ("Commons-Clause", "proprietary"),
        ("MIT OR GPL-3.0-only", "permissive"),
        ("MIT AND GPL-3.0-only", "copyleft"),
        ("Apache-2.0 OR (MIT AND LGPL-3.0-or-later)", "permissive"),
        ("GPL-2.0-only WITH Classpath-exception-2.0", "copyleft"),
        ("MIT AND NOASSERTION", "unknown"),
        ("MIT OR NOASSERTION", "permissive"),
        ("NOASSERTION", "unknown"),
        ("LicenseRef-acme-eula", "unknown"),
    ],
)
def test_category_of(expression: str, category: str) -> None:
    assert lic.category_of(expression) == LicenceCategory(category)


def test_category_of_bad_syntax() -> None:
    with pytest.raises(LicenceError):
        lic.category_of("MIT OR")


def test_every_scancode_category_is_folded() -> None:
    categories = {e.category for e in lic.licence_db().entries()}
    assert categories <= set(lic.SCANCODE_CATEGORIES)


# -- LicenceDB, steward_of, licence_text -------------------------------------------------------


def test_db_is_loaded_once_and_indexed_by_spdx_and_scancode_key() -> None:
    db = lic.licence_db()
    assert db is lic.licence_db()
    assert len(db) > 2000
    gpl = db.get("gpl-3.0-only")
    assert gpl is not None and gpl.key == "gpl-3.0" and gpl.category == "Copyleft"
    assert db.get("gpl-3.0") is gpl  # ScanCode key
    assert db.get("GPL-3.0") is gpl  # deprecated SPDX alias listed by ScanCode
    assert db.get("no-such-licence") is None


@pytest.mark.parametrize(
    ("key", "steward"),
    [
        ("GPL-3.0-only", "Free Software Foundation"),
        ("LGPL-2.1-or-later", "Free Software Foundation"),
        ("AGPL-3.0-only", "Free Software Foundation"),
        ("GFDL-1.3-only", "Free Software Foundation"),
        ("Apache-2.0", "Apache Software Foundation"),
        ("MPL-2.0", "Mozilla Foundation"),
        ("MIT", "Massachusetts Institute of Technology"),
        ("EPL-2.0", "Eclipse Foundation"),
        ("PSF-2.0", "Python Software Foundation"),
        ("CC-BY-4.0", "Creative Commons"),
        ("CC-BY-SA-4.0", "Creative Commons"),
        ("no-such-licence", None),
    ],
)
def test_steward_of(key: str, steward: str | None) -> None:
    assert lic.steward_of(key) == steward


def test_licence_text() -> None:
    mit = lic.licence_text("MIT")
    assert mit.startswith("Permission is hereby granted, free of charge")
    assert "---" not in mit.splitlines()[0]
    assert "GNU GENERAL PUBLIC LICENSE" in lic.licence_text("GPL-3.0-only")
    assert "Apache License" in lic.licence_text("Apache-2.0")
    with pytest.raises(LicenceError, match="not in the ScanCode LicenseDB"):
        lic.licence_text("No-Such-1.0")


def test_common_licence_keys_are_valid_and_have_texts() -> None:
    keys = lic.common_licence_keys()
    assert 20 <= len(keys) <= 30 and len(set(keys)) == len(keys)
    for key in ("GPL-3.0-only", "Apache-2.0", "MIT", "BSD-3-Clause", "PSF-2.0", "CC-BY-SA-4.0"):
        assert key in keys
    for key in keys:
        assert lic.normalise_expression(key) == key
        assert lic.licence_text(key).strip()


# -- spdx_identifiers ------------------------------------------------------------------------


def test_spdx_identifiers() -> None:
    text = (
        "#!/usr/bin/env python\n"
        "# SPDX-License-Identifier: mit\n"
        "x = 1\n"
        "/* SPDX-License-Identifier: GPL-2.0+ WITH Linux-syscall-note */\n"
        "<!-- SPDX-License-Identifier: Apache-2.0 OR MIT -->\n"
    )
    assert lic.spdx_identifiers(text) == [
        ("MIT", 2),
        ("GPL-2.0-or-later WITH Linux-syscall-note", 4),
        ("Apache-2.0 OR MIT", 5),
    ]
    assert lic.spdx_identifiers("no tags here\n") == []


def test_spdx_identifiers_reports_every_bad_tag() -> None:
    text = "// SPDX-License-Identifier: MIT AND\n// SPDX-License-Identifier: Foo Bar\n"
    with pytest.raises(LicenceError) as err:
        lic.spdx_identifiers(text)
    assert "line 1" in str(err.value) and "line 2" in str(err.value)


def test_spdx_identifiers_in_a_real_source_file() -> None:
    import attr.setters  # attrs (MIT) tags every module on its first line

    source = Path(attr.setters.__file__).read_text(encoding="utf-8")
    assert lic.spdx_identifiers(source) == [("MIT", 1)]


# -- detect_licence_text ---------------------------------------------------------------------


def test_stdlib_licence_contains_psf() -> None:
    found = lic.detect_licence_text(STDLIB_LICENSE.read_text(encoding="utf-8"))
    assert found is not None
    assert "PSF-2.0" in found.expression.split(" AND ")
    assert found.detector.startswith("licenseclassifier")
    assert 0.0 < found.score <= 1.0


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("GPL-3", "GPL-3.0-only"),
        ("GPL-2", "GPL-2.0-only"),
        ("LGPL-2.1", "LGPL-2.1-only"),
        ("Apache-2.0", "Apache-2.0"),
        ("MPL-2.0", "MPL-2.0"),
        ("CC0-1.0", "CC0-1.0"),
    ],
)
def test_debian_common_licences(name: str, expected: str) -> None:
    path = COMMON / name
    assert path.exists(), f"{path} is missing: scripts/test.sh installs Debian's base-files"
    found = lic.detect_licence_text(path.read_text(encoding="utf-8"))
    assert found is not None and found.expression == expected


@pytest.mark.parametrize(
    ("dist", "expected"),
    [
        ("sqlalchemy", "MIT"),
        ("rich", "MIT"),
        ("click", "BSD-3-Clause"),
        ("pygments", "BSD-2-Clause"),
    ],
)
def test_installed_package_licences(dist: str, expected: str) -> None:
    found = lic.detect_licence_text(_dist_licence(dist).read_text(encoding="utf-8"))
    assert found is not None and found.expression == expected


def test_numpy_licence_names_bsd_3_clause() -> None:
    found = lic.detect_licence_text(_dist_licence("numpy").read_text(encoding="utf-8"))
    assert found is not None
    assert found.expression.split(" AND ")[0] == "BSD-3-Clause"


def test_pointer_text_is_not_a_licence() -> None:
    assert lic.detect_licence_text("This project is released under the MIT license.") is None


def test_optional_detector_fails_at_construction_with_hint() -> None:
    try:
        import licensedcode.cache  # noqa: F401
    except ImportError:
        with pytest.raises(ImportError, match="pip install scancode-toolkit"):
            lic.ScancodeDetector()
    else:  # the extra is installed: the detector constructs and reads a licence text
        found = lic.ScancodeDetector().detect(_dist_licence("rich").read_text(encoding="utf-8"))
        assert found is not None and found.expression == "MIT"


# -- copyright_holders -----------------------------------------------------------------------


def test_copyright_holders_keep_names_ending_in_all_and_words_around_an_address() -> None:
    # notice lines as a newcomer met them (Debian's bash copyright file, a GitHub project);
    # "Marshall" lost its "all" to the "All rights reserved" rule and an address glued words
    assert lic.copyright_holders("# Copyright (c) 2021 Randall Marshall\n") == [
        "Randall Marshall"]
    assert lic.copyright_holders("Copyright: (C) 1992 Simon Marshall\n") == ["Simon Marshall"]
    assert lic.copyright_holders(
        "Copyright (c) 2013 Sebastian Kraemer, basti.kr@gmail.com and others\n") == [
        "Sebastian Kraemer, and others"]
    assert lic.copyright_holders("Copyright 2019 Foo Inc. All rights reserved.\n") == [
        "Foo Inc."]
    assert lic.copyright_holders("Copyright 2019 Jane Doe, all rights reserved\n") == [
        "Jane Doe"]


def test_copyright_holders_examples() -> None:
    text = (
        "Copyright (c) 2001-2024 Python Software Foundation\n"
        "© 2020 Jane Doe <jane@x.org>\n"
        "Copyright 2019 The Foo Authors. All rights reserved.\n"
        "Copyright (c) 2001-2024 Python Software Foundation\n"
        "   Copyright [yyyy] [name of copyright owner]\n"
        "  copyright notice, this list of conditions and the following disclaimer\n"
        "      (c) You must retain, in the Source form of any Derivative Works\n"
        "THIS SOFTWARE IS PROVIDED BY THE COPYRIGHT HOLDERS AND CONTRIBUTORS\n"
    )
    assert lic.copyright_holders(text) == [
        "Python Software Foundation",
        "Jane Doe",
        "The Foo Authors",
    ]


@pytest.mark.parametrize(
    ("dist", "holders"),
    [
        ("sqlalchemy", ["SQLAlchemy authors and contributors"]),
        ("rich", ["Will McGugan"]),
        ("click", ["Pallets"]),
    ],
)
def test_copyright_holders_of_installed_packages(dist: str, holders: list[str]) -> None:
    assert lic.copyright_holders(_dist_licence(dist).read_text(encoding="utf-8")) == holders


def test_copyright_holders_of_stdlib_licence() -> None:
    holders = lic.copyright_holders(STDLIB_LICENSE.read_text(encoding="utf-8"))
    assert "Stichting Mathematisch Centrum Amsterdam" in holders


@pytest.mark.parametrize("key", ["GPL-2.0-only", "GPL-3.0-only", "LGPL-2.1-only",
                                 "AGPL-3.0-only", "GFDL-1.3-only"])
def test_a_licence_documents_own_notice_is_no_holder(key: str) -> None:
    """"Copyright (C) 2007 Free Software Foundation, Inc." heads the GNU licence texts; a
    project's COPYING made the FSF the holder of every file beside it. GFDL's appendix template
    "Copyright (c) YEAR YOUR NAME." is no holder either."""
    text = lic.licence_text(key)
    assert "Free Software Foundation" in text.split("Everyone is permitted")[0]
    assert lic.copyright_holders(text) == []
    # the project's own notice above the licence text still counts
    assert lic.copyright_holders("Copyright (C) 2024 Jane Doe\n\n" + text) == ["Jane Doe"]
