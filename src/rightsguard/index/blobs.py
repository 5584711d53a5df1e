"""Folders of derived data files listed in a ``manifest.json`` with their size and SHA-256.

The image caches (:mod:`rightsguard.index.feature_index`,
:mod:`rightsguard.index.image_embeddings`) write each data file under a fresh name, then the
manifest naming them, then delete what the manifest no longer lists; a reader trusts a file only
when its size and SHA-256 match the manifest's entry. The callers own the atomic writes and
their manifests' other fields; these helpers are the parts they share.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Collection, Mapping
from pathlib import Path
from typing import Any

from rightsguard.errors import IndexCorruptError

MANIFEST = "manifest.json"


def blob_entry(data: bytes) -> dict[str, Any]:
    """The manifest entry of one data file: ``{"bytes": len, "sha256": hex digest}``."""
    return {"bytes": len(data), "sha256": hashlib.sha256(data).hexdigest()}


def read_manifest(folder: Path, accepts: Callable[[dict[str, Any]], bool],
                  wanted: str) -> dict[str, Any]:
    """``folder/manifest.json`` as a dict. IndexCorruptError naming the file when it cannot be
    read, is not JSON, or ``accepts`` rejects it (``wanted`` says what was expected)."""
    path = folder / MANIFEST
    try:
        manifest = json.loads(path.read_bytes())
    except (OSError, ValueError) as exc:
        raise IndexCorruptError(f"{path}: {exc}") from exc
    if not isinstance(manifest, dict) or not accepts(manifest):
        raise IndexCorruptError(f"{path}: not {wanted}")
    return manifest


def read_blob(folder: Path, name: str, entry: Mapping[str, Any]) -> bytes:
    """The bytes of data file ``name``; IndexCorruptError naming it when its size or SHA-256
    differ from ``entry`` (:func:`blob_entry`). OSError, KeyError and TypeError (a missing
    file, an entry without the fields) are the caller's to turn into its own message."""
    data = (folder / name).read_bytes()
    if len(data) != entry["bytes"] or hashlib.sha256(data).hexdigest() != entry["sha256"]:
        raise IndexCorruptError(f"{folder / name}: {len(data)} bytes, content does not match "
                                "the manifest's checksum")
    return data


def drop_unlisted(folder: Path, listed: Collection[str], *, keep_temporary: bool) -> None:
    """Delete the files of ``folder`` other than the manifest and ``listed`` (earlier saves'
    files and orphans of a crash). ``keep_temporary``: leave ``*.tmp`` files, which another
    process may be writing (caches that readers save)."""
    for path in folder.iterdir():
        if path.name in listed or path.name == MANIFEST:
            continue
        if keep_temporary and path.name.endswith(".tmp"):
            continue
        path.unlink(missing_ok=True)
