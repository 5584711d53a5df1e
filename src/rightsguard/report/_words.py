"""Wording shared by the writers."""

from __future__ import annotations


def holders_phrase(names: tuple[str, ...]) -> str:
    """``A``, ``A and B``, ``A, B and C``; ``unknown holders`` when there are none."""
    if not names:
        return "unknown holders"
    if len(names) == 1:
        return names[0]
    return ", ".join(names[:-1]) + " and " + names[-1]
