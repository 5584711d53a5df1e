"""The curated public API of ``rightsguard`` (a guard: changing it must be deliberate)."""

from __future__ import annotations

import importlib
import subprocess
import sys

import pytest

import rightsguard

EXPECTED = [
    "ConfigError",
    "Index",
    "IndexCorruptError",
    "IndexMismatchError",
    "InputError",
    "LicenceCategory",
    "LicenceError",
    "Match",
    "RegistryError",
    "RightsguardError",
    "ScreenPolicy",
    "ScreenReport",
    "ScreenResult",
    "Screener",
    "Skipped",
    "Source",
    "Span",
    "Thresholds",
    "Verdict",
    "Work",
    "WorkInput",
    "WorkSimilarity",
    "check",
]


def test_all_is_the_expected_sorted_list() -> None:
    assert rightsguard.__all__ == EXPECTED
    assert rightsguard.__all__ == sorted(rightsguard.__all__)
    assert len(set(rightsguard.__all__)) == len(rightsguard.__all__)


@pytest.mark.parametrize("name", EXPECTED)
def test_every_name_resolves(name: str) -> None:
    obj = getattr(rightsguard, name)
    assert obj is not None
    assert getattr(obj, "__name__", name) == name
    assert obj.__module__.startswith("rightsguard.")


def test_lazy_names_come_from_their_modules() -> None:
    from rightsguard.index.store import Index
    from rightsguard.screen.api import Screener, check
    from rightsguard.screen.matcher import Thresholds
    from rightsguard.screen.policy import ScreenPolicy

    assert rightsguard.Index is Index
    assert rightsguard.Screener is Screener
    assert rightsguard.check is check
    assert rightsguard.Thresholds is Thresholds
    assert rightsguard.ScreenPolicy is ScreenPolicy
    assert issubclass(rightsguard.IndexCorruptError, rightsguard.RightsguardError)
    assert issubclass(rightsguard.IndexMismatchError, rightsguard.RightsguardError)


def test_unknown_name_is_an_attribute_error() -> None:
    with pytest.raises(AttributeError, match="no_such_name"):
        _ = rightsguard.no_such_name  # type: ignore[attr-defined]
    assert importlib.import_module("rightsguard") is rightsguard


def test_star_import_and_light_import() -> None:
    """``from rightsguard import *`` works, and importing the package stays light (heavy modules
    load lazily on first use)."""
    code = (
        "import sys\n"
        "import rightsguard\n"
        "heavy = [m for m in ('numpy', 'sqlalchemy', 'tree_sitter', 'rightsguard.index.store')"
        " if m in sys.modules]\n"
        "assert heavy == [], heavy\n"
        "from rightsguard import *\n"
        "assert Index.__name__ == 'Index' and callable(check)\n"
        "assert 'rightsguard.index.store' in sys.modules\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
