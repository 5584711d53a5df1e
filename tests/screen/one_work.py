"""An index of one real standard-library module, as several screening tests need."""

from __future__ import annotations

from pathlib import Path

from rightsguard import Index, Screener
from rightsguard.index.sources import works_from


def screener_of(folder: Path, module: Path) -> Screener:
    """A screener over a new index in ``folder`` that holds a copy of ``module`` registered as
    PSF-2.0 by the PSF (the standard library's licence and holder)."""
    (folder / module.name).write_bytes(module.read_bytes())
    idx = Index.open(folder / "idx", create=True)
    assert idx.add(works_from(folder / module.name, licence="PSF-2.0", holder="PSF")).added == 1
    return Screener(idx)
