"""The JSON report: ``ScreenReport.to_dict()`` serialised, documented in ``docs/json-format.md``.

Format version 1 (``schema_version``). Keys keep the order :meth:`ScreenReport.to_dict` builds
(not sorted), two-space indent, non-ASCII characters written as themselves (UTF-8) except the
undecodable bytes of a file name, which are ``\\udcXX`` escapes, no NaN or infinity (they are not
JSON). Adding a key is compatible; renaming or removing one, or changing a
unit, bumps ``schema_version``.
"""

from __future__ import annotations

import json

from rightsguard.model import ScreenReport

__all__ = ["to_json"]


def to_json(report: ScreenReport) -> str:
    """Render ``report`` as a JSON document (no trailing newline).

    Raises ``ValueError`` if a float in the report is NaN or infinite (a bug upstream: coverages
    are fractions in ``[0, 1]``).
    """
    out = json.dumps(report.to_dict(), indent=2, ensure_ascii=False, allow_nan=False)
    # a file name that is not UTF-8 reaches here with its bytes as lone surrogates (Python's
    # surrogateescape); written as \\udcXX escapes the document stays UTF-8 and the name
    # round-trips through json.loads and os.fsencode
    return out.encode("utf-8", "backslashreplace").decode("utf-8")
