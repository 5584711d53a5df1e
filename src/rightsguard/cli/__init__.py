"""The ``rightsguard`` command line: one Typer app; it parses, calls the library, prints.

``main`` is the console entry point (:mod:`rightsguard.cli.entry`); ``app``, the Typer app
(:mod:`rightsguard.cli.commands`), is imported on first use so ``check`` starts fast.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rightsguard.cli.entry import main

if TYPE_CHECKING:
    from rightsguard.cli.commands import app

__all__ = ["app", "main"]


def __getattr__(name: str) -> Any:
    if name == "app":
        from rightsguard.cli.commands import app

        return app
    raise AttributeError(f"module 'rightsguard.cli' has no attribute {name!r}")
