"""rightsguard's identifiers for "all rights reserved" (docs/licences.md) and the notice phrase."""

from __future__ import annotations

import pytest

from rightsguard.errors import LicenceError
from rightsguard.model import LicenceCategory
from rightsguard.signals import licences as lic


@pytest.mark.parametrize(
    ("expression", "normalised", "category"),
    [
        ("LicenseRef-All-Rights-Reserved", "LicenseRef-All-Rights-Reserved", "proprietary"),
        ("LicenseRef-all-rights-reserved", "LicenseRef-All-Rights-Reserved", "proprietary"),
        ("LicenseRef-Proprietary", "LicenseRef-Proprietary", "proprietary"),
        ("LicenseRef-proprietary", "LicenseRef-Proprietary", "proprietary"),
        # AND: the most restrictive; OR: the licensee may pick MIT
        ("mit and LicenseRef-Proprietary", "MIT AND LicenseRef-Proprietary", "proprietary"),
        ("MIT OR LicenseRef-All-Rights-Reserved", "MIT OR LicenseRef-All-Rights-Reserved",
         "permissive"),
        # other ids that merely start the same are not the convention
        ("LicenseRef-Proprietary-2", "LicenseRef-Proprietary-2", "unknown"),
        ("LicenseRef-Proprietary.v2", "LicenseRef-Proprietary.v2", "unknown"),
        # ScanCode's own id for a proprietary licence was proprietary before
        ("LicenseRef-scancode-proprietary-license", "LicenseRef-scancode-proprietary-license",
         "proprietary"),
    ],
)
def test_all_rights_reserved_ids(expression: str, normalised: str, category: str) -> None:
    assert lic.normalise_expression(expression) == normalised
    assert lic.category_of(expression) is LicenceCategory(category)


def test_a_bad_expression_names_the_all_rights_reserved_id() -> None:
    with pytest.raises(LicenceError, match=r"'All rights reserved'.*"
                                           r"LicenseRef-All-Rights-Reserved for all rights"):
        lic.normalise_expression("All rights reserved")


@pytest.mark.parametrize(
    ("notice", "reserved"),
    [
        ("© 2024 Kenji Sato Studio. All rights reserved.", True),
        ("ALL RIGHTS RESERVED", True),
        ("Getty Images, all\nrights reserved", True),
        ("© Studio Durand, tous droits réservés", True),
        ("Alle Rechte vorbehalten", True),
        ("Todos los derechos reservados", True),
        ("Tutti i diritti riservati", True),
        ("Some rights reserved", False),  # Creative Commons' phrase
        ("© 2024 Kenji Sato Studio", False),
        ("", False),
    ],
)
def test_reserves_all_rights(notice: str, reserved: bool) -> None:
    assert lic.reserves_all_rights(notice) is reserved
