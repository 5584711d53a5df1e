"""Writers that render model objects: JSON, SARIF 2.1.0 and a Rich report for people.

``to_json`` and ``to_sarif`` are machine formats (stable and documented: ``docs/json-format.md``
and the :mod:`rightsguard.report.sarif` docstring); ``render_human`` and
``render_side_by_side`` print to a Rich console and are not meant to be parsed. Each writer's
module is imported on first use, so the machine formats never load Rich.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from rightsguard.report.human import attribution_notice, render_human, render_side_by_side
    from rightsguard.report.json import to_json
    from rightsguard.report.sarif import to_sarif

__all__ = ["attribution_notice", "render_human", "render_side_by_side", "to_json", "to_sarif"]

_MODULES = {"attribution_notice": "human", "render_human": "human",
            "render_side_by_side": "human", "to_json": "json", "to_sarif": "sarif"}


def __getattr__(name: str) -> Any:
    module = _MODULES.get(name)
    if module is None:
        raise AttributeError(f"module 'rightsguard.report' has no attribute {name!r}")
    return getattr(importlib.import_module(f"rightsguard.report.{module}"), name)
