"""The ``rightsguard`` command line: one Typer app; it parses, calls the library, prints."""

from __future__ import annotations

from rightsguard.cli.app import app, main

__all__ = ["app", "main"]
