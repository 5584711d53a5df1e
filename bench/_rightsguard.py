"""The rightsguard side of the benchmarks, behind one guard.

The public API these functions use (``rightsguard.Index`` with ``create``/``add``/``screen``) is
still being written. :func:`api_missing` says why it cannot be used yet (or returns None), so the
runner can print "n/a (reason)" instead of failing; once the API is there nothing here changes.
"""

from __future__ import annotations

import hashlib
import importlib
from typing import Any


def api_missing() -> str | None:
    """None when ``rightsguard.Index`` has ``create``, ``add`` and ``screen``; else the reason."""
    try:
        rg = importlib.import_module("rightsguard")
    except ImportError as exc:  # pragma: no cover - the package is the project itself
        return f"cannot import rightsguard: {exc}"
    index = getattr(rg, "Index", None)
    if index is None:
        return "rightsguard.Index is not exported yet"
    missing = [m for m in ("create", "add", "screen") if not hasattr(index, m)]
    if missing:
        return f"rightsguard.Index has no {', '.join(missing)} yet"
    return None


def work_input(raw: bytes, name: str, language: str | None, modality: str = "code") -> Any:
    """A ``rightsguard.model.WorkInput`` for one benchmark file (rights metadata is a stub)."""
    from rightsguard.model import Source, WorkInput

    return WorkInput(raw=raw, title=name, holders=("bench",), licence="NOASSERTION",
                     source=Source(uri=f"bench:{name}", path=name), modality=modality,
                     language=language, kind="code" if modality == "code" else "text")


def work_id(raw: bytes) -> str:
    """rightsguard's work id: lowercase hex SHA-256 of the raw bytes (see model.Work)."""
    return hashlib.sha256(raw).hexdigest()
