"""What every corpus importer shares: the licence-resolver protocol and the item type.

Importers (:mod:`.files`, :mod:`.pyenv`, :mod:`.catalogue`) turn sources into
:class:`~rightsguard.model.WorkInput` records. They never detect licences themselves: ``corpus``
and ``signals`` are sibling layers and stay independent, so each importer takes a
:class:`LicenceResolver`, and the index layer passes one backed by ``rightsguard.signals.licences``.

Importers yield :class:`~rightsguard.model.Skipped` for an item they could not turn into a work
(binary, too large, bad licence, bad row) and go on; a whole source that cannot be opened raises
:class:`~rightsguard.errors.InputError`. A plain ``Skipped`` is an input error (``rightsguard
index add`` reports it and exits 2 once the batch is done); an item that is simply not a work
(an empty file, a licence file) is a :class:`NotAWork`, which is a ``Skipped`` too.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

from rightsguard.errors import LicenceError, RightsguardError
from rightsguard.model import Skipped, WorkInput

__all__ = [
    "NOASSERTION",
    "LicenceEvidence",
    "LicenceResolver",
    "NotAWork",
    "WorkItem",
    "combine_expressions",
    "dedupe",
]

NOASSERTION = "NOASSERTION"
"""SPDX value for "no licence could be determined"."""

WorkItem = WorkInput | Skipped
"""What an importer yields."""


@dataclass(frozen=True, slots=True)
class NotAWork(Skipped):
    """An item passed over because there is nothing to register, not because the input is
    wrong: an empty or blank file, a licence file named as a work (licence texts are registered
    with ``--licence-texts``), a file that is not an image given as a mark, a distribution
    installed without a file list. Every other :class:`~rightsguard.model.Skipped` is an error
    — a bad catalogue row or licence, a file that cannot be read or decoded, a missing path —
    which ``rightsguard index add`` reports as ``error:`` and answers with exit status 2 after
    registering the rest of the batch (as ``check`` does for inputs it cannot read).

    ``files``: how many files the entry stands for (one line says "passed over 12 files that
    are not code, text or a supported image" for a whole folder).
    """

    files: int = 1

RESOLVER_ERRORS: tuple[type[Exception], ...] = (RightsguardError, ValueError)
"""Exceptions a resolver may raise for a bad expression (see :meth:`LicenceResolver.normalise`)."""


@runtime_checkable
class LicenceResolver(Protocol):
    """Licence and copyright detection, supplied by the caller (the index layer).

    Every method returns SPDX expressions already normalised (``LicenseRef-…`` allowed).
    """

    def file_licence(self, text: str) -> str | None:
        """The expression of a file's own ``SPDX-License-Identifier:`` lines, or None.

        May raise :class:`~rightsguard.errors.LicenceError` when an identifier line is not SPDX.
        """
        ...

    def licence_file(self, text: str) -> str | None:
        """The expression a LICENSE / COPYING / NOTICE text grants, or None if not recognised."""
        ...

    def holders(self, text: str) -> list[str]:
        """Copyright holders named in notices in ``text`` (may be empty)."""
        ...

    def normalise(self, expression: str) -> str:
        """The normalised SPDX form of ``expression``.

        Raises :class:`~rightsguard.errors.LicenceError` (or ``ValueError``) when it is not SPDX.
        """
        ...

    def image_rights(self, raw: bytes) -> tuple[list[str], str | None]:
        """Rights holders and licence an image file states about itself in embedded metadata
        (IPTC/XMP, EXIF): ``(holders, expression or None)``. Never raises for a broken file."""
        ...


@dataclass(frozen=True, slots=True)
class LicenceEvidence:
    """Why a group of works got its licence: the expression, how it was found and from where.

    ``method``: ``override`` | ``spdx-identifier`` | ``licence-file`` | ``metadata`` |
    ``classifier`` | ``default`` (NOASSERTION, nothing found). ``files`` are the files read
    (absolute paths or URIs). ``note`` says what was odd, e.g. a licence file not recognised.
    """

    expression: str
    method: str
    files: tuple[str, ...] = ()
    note: str = ""


def dedupe(items: Iterable[str]) -> tuple[str, ...]:
    """Stripped, non-empty items in first-seen order, without duplicates."""
    seen: dict[str, None] = {}
    for item in items:
        item = item.strip()
        if item and item not in seen:
            seen[item] = None
    return tuple(seen)


def combine_expressions(expressions: Iterable[str], resolver: LicenceResolver) -> str | None:
    """Join distinct expressions with ``AND`` (all may apply: the conservative reading).

    Several licence files or licence classifiers may also mean a choice (``OR``), which metadata
    cannot tell; ``AND`` never understates what a reproduction must comply with.
    Returns None for no expressions.
    """
    distinct = dedupe(expressions)
    if not distinct:
        return None
    if len(distinct) == 1:
        return distinct[0]
    joined = " AND ".join(f"({e})" if " " in e else e for e in distinct)
    try:
        return resolver.normalise(joined)
    except RESOLVER_ERRORS as exc:  # each part was valid, so this is a resolver defect
        raise LicenceError(f"cannot combine licence expressions {distinct}: {exc}") from exc


class LazyWorks:
    """Base of the importers: an iterator over ``WorkItem`` that starts its walk on the first
    ``next`` and can be pickled (to a worker process) until then. Subclasses define
    ``_generate``."""

    _gen: Iterator[WorkItem] | None = None

    def __iter__(self) -> LazyWorks:
        return self

    def __next__(self) -> WorkItem:
        if self._gen is None:
            self._gen = self._generate()
        return next(self._gen)

    def __getstate__(self) -> dict[str, Any]:
        if self._gen is not None:
            raise TypeError(f"{type(self).__name__} cannot be pickled once iteration has started")
        return self.__dict__.copy()

    def _generate(self) -> Iterator[WorkItem]:
        raise NotImplementedError
