"""Importers that turn sources into :class:`~rightsguard.model.WorkInput` records.

* :func:`iter_folder_works` — files and folders (code and prose files; git checkouts noted).
* :func:`iter_python_env_works` — installed distributions and the standard library.
* :func:`iter_catalogue_works` — JSON Lines / Parquet catalogues (lyrics, poems, texts, code).

Each yields ``WorkInput`` or ``Skipped`` (with the reason) and takes a :class:`LicenceResolver`
(licence detection lives in ``rightsguard.signals``, a sibling layer this package must not import).
"""

from __future__ import annotations

from rightsguard.corpus.base import NOASSERTION, LicenceEvidence, LicenceResolver, WorkItem
from rightsguard.corpus.catalogue import CatalogueWorks, iter_catalogue_works
from rightsguard.corpus.files import FolderWorks, is_licence_file, iter_folder_works
from rightsguard.corpus.languages import is_text_path, language_for_path, normalise_language
from rightsguard.corpus.pyenv import PythonEnvWorks, iter_python_env_works
from rightsguard.corpus.reading import DEFAULT_MAX_BYTES, decode_text, read_source

__all__ = [
    "DEFAULT_MAX_BYTES",
    "NOASSERTION",
    "CatalogueWorks",
    "FolderWorks",
    "LicenceEvidence",
    "LicenceResolver",
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
