"""Importers that turn sources into :class:`~rightsguard.model.WorkInput` records.

* :func:`iter_folder_works` — files and folders (code and prose files; git checkouts noted).
* :func:`iter_python_env_works` — installed distributions and the standard library.
* :func:`iter_catalogue_works` — JSON Lines / Parquet catalogues (lyrics, poems, texts, code).

Each yields ``WorkInput`` or ``Skipped`` (with the reason) and takes a :class:`LicenceResolver`
(licence detection lives in ``rightsguard.signals``, a sibling layer this package must not import).
Submodules are imported on first use: screening needs only ``languages`` and ``reading``.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from rightsguard.corpus.base import (
        NOASSERTION,
        LicenceEvidence,
        LicenceResolver,
        NotAWork,
        WorkItem,
    )
    from rightsguard.corpus.catalogue import CatalogueWorks, iter_catalogue_works
    from rightsguard.corpus.files import FolderWorks, is_licence_file, iter_folder_works
    from rightsguard.corpus.languages import (
        is_text_path,
        language_for_path,
        normalise_language,
    )
    from rightsguard.corpus.pyenv import PythonEnvWorks, iter_python_env_works
    from rightsguard.corpus.reading import DEFAULT_MAX_BYTES, decode_text, read_source

__all__ = [
    "DEFAULT_MAX_BYTES",
    "NOASSERTION",
    "CatalogueWorks",
    "FolderWorks",
    "LicenceEvidence",
    "LicenceResolver",
    "NotAWork",
    "PythonEnvWorks",
    "WorkItem",
    "decode_text",
    "is_licence_file",
    "is_text_path",
    "iter_catalogue_works",
    "iter_folder_works",
    "iter_python_env_works",
    "language_for_path",
    "normalise_language",
    "read_source",
]

_MODULES = {
    "DEFAULT_MAX_BYTES": "reading", "NOASSERTION": "base", "CatalogueWorks": "catalogue",
    "FolderWorks": "files", "LicenceEvidence": "base", "LicenceResolver": "base",
    "NotAWork": "base", "PythonEnvWorks": "pyenv", "WorkItem": "base", "decode_text": "reading",
    "is_licence_file": "files", "is_text_path": "languages",
    "iter_catalogue_works": "catalogue", "iter_folder_works": "files",
    "iter_python_env_works": "pyenv", "language_for_path": "languages",
    "normalise_language": "languages", "read_source": "reading",
}


def __getattr__(name: str) -> Any:
    module = _MODULES.get(name)
    if module is None:
        raise AttributeError(f"module 'rightsguard.corpus' has no attribute {name!r}")
    return getattr(importlib.import_module(f"rightsguard.corpus.{module}"), name)
