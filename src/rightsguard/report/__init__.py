"""Writers that render model objects: JSON, SARIF 2.1.0 and a Rich report for people.

``to_json`` and ``to_sarif`` are machine formats (stable and documented: ``docs/json-format.md``
and the :mod:`rightsguard.report.sarif` docstring); ``render_human`` and
``render_side_by_side`` print to a Rich console and are not meant to be parsed.
"""

from __future__ import annotations

from rightsguard.report.human import attribution_notice, render_human, render_side_by_side
from rightsguard.report.json import to_json
from rightsguard.report.sarif import to_sarif

__all__ = ["attribution_notice", "render_human", "render_side_by_side", "to_json", "to_sarif"]
