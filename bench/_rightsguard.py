"""The rightsguard side of the benchmarks, behind one guard.

The public API these functions use (``rightsguard.Index`` with ``create``/``add``, and
``Index.screen`` or ``rightsguard.Screener(index).screen_text``) is still being written.
:func:`api_missing` says why it cannot be used yet (or returns None), so the runner can print
"n/a (reason)" instead of failing.
"""

from __future__ import annotations

import hashlib
import importlib
from collections.abc import Callable
from typing import Any


def api_missing() -> str | None:
    """None when the rightsguard API the benchmarks use is there; else the reason it is not."""
    try:
        rg = importlib.import_module("rightsguard")
    except ImportError as exc:  # pragma: no cover - the package is the project itself
        return f"cannot import rightsguard: {exc}"
    index = getattr(rg, "Index", None)
    if index is None:
        return "rightsguard.Index is not exported yet"
    missing = [m for m in ("create", "add") if not hasattr(index, m)]
    if missing:
        return f"rightsguard.Index has no {', '.join(missing)} yet"
    if not hasattr(index, "screen") and getattr(rg, "Screener", None) is None:
        return "neither rightsguard.Index.screen nor rightsguard.Screener exists yet"
    return None


def screener_for(idx: Any) -> Callable[..., list[Any]]:
    """A function ``(text, *, language, name, exclude_work_ids) -> [Match, ...]`` over ``idx``,
    one warm ``rightsguard.Screener`` and the matches of all parts of its results."""
    from rightsguard import Screener

    screen = Screener(idx).screen_text

    def matches(text: str, *, language: str, name: str, exclude_work_ids: set[str]) -> list[Any]:
        results = screen(text, language=language, name=name, exclude_work_ids=exclude_work_ids)
        return [m for r in results for m in r.matches]

    return matches


def work_input(raw: bytes, name: str, language: str | None, modality: str = "code") -> Any:
    """A ``rightsguard.model.WorkInput`` for one benchmark file (rights metadata is a stub)."""
    from rightsguard.model import Source, WorkInput

    return WorkInput(raw=raw, title=name, holders=("bench",), licence="NOASSERTION",
                     source=Source(uri=f"bench:{name}", path=name), modality=modality,
                     language=language, kind="code" if modality == "code" else "text")


def work_id(raw: bytes) -> str:
    """rightsguard's work id: lowercase hex SHA-256 of the raw bytes (see model.Work)."""
    return hashlib.sha256(raw).hexdigest()
