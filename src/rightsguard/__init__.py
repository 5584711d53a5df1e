"""rightsguard: screen generated code and text for reproduced protected works.

The public API is small and curated (guarded by a test); heavy modules import lazily.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rightsguard.errors import (
    ConfigError,
    IndexCorruptError,
    IndexMismatchError,
    InputError,
    LicenceError,
    RegistryError,
    RightsguardError,
)
from rightsguard.model import (
    LicenceCategory,
    Match,
    ScreenReport,
    ScreenResult,
    Skipped,
    Source,
    Span,
    Verdict,
    Work,
    WorkInput,
    WorkSimilarity,
)

if TYPE_CHECKING:
    from rightsguard.index.store import Index
    from rightsguard.screen.api import Screener, check
    from rightsguard.screen.matcher import Thresholds
    from rightsguard.screen.policy import ScreenPolicy

__all__ = [
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

_LAZY = {
    "Index": "rightsguard.index.store",
    "Screener": "rightsguard.screen.api",
    "check": "rightsguard.screen.api",
    "Thresholds": "rightsguard.screen.matcher",
    "ScreenPolicy": "rightsguard.screen.policy",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'rightsguard' has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(module), name)
