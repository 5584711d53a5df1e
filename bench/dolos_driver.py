"""Drive Dolos (``bench/dolos/run-dolos.mjs``) from Python: install it from the lock, run it, parse.

Dolos is the anchor every rightsguard figure is compared with. It runs in Node (>= 18; the lock
was made with node v20 and npm 11), installed with ``npm ci`` into ``bench/dolos/node_modules``
on first use. Its tree-sitter parsers build natively (node-gyp: needs a C/C++ compiler, make and
Python), which takes about two minutes once.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

DOLOS_DIR = Path(__file__).resolve().parent / "dolos"
SCRIPT = DOLOS_DIR / "run-dolos.mjs"


class DolosError(RuntimeError):
    """Dolos could not be installed or failed on its input."""


class DolosTimeout(DolosError):
    """Dolos did not finish within the allowed time."""


@dataclass(frozen=True, slots=True)
class DolosPair:
    """One pair as Dolos reports it (``left``/``right`` are the paths as given to Dolos)."""

    left: str
    right: str
    similarity: float  # Dolos's similarity, in [0, 1]
    overlap: int  # k-grams covered by shared fingerprints, both sides added
    longest: int  # longest common run of fingerprints (k-grams)


@dataclass(frozen=True, slots=True)
class DolosRun:
    """One Dolos analysis. Times are measured inside node (start-up excluded), in milliseconds."""

    version: str
    node_version: str
    language: str
    kgram_length: int
    kgrams_in_window: int
    files: int
    total_bytes: int
    analyze_ms: float  # read + parse + fingerprint + index (Dolos.analyzePaths)
    pairs_ms: float  # Report.allPairs: every pair of files
    pair_count: int
    pairs: tuple[DolosPair, ...]

    @property
    def total_ms(self) -> float:
        return self.analyze_ms + self.pairs_ms


def ensure_installed() -> None:
    """Run ``npm ci`` in bench/dolos unless dolos-lib is already installed there."""
    if (DOLOS_DIR / "node_modules" / "@dodona" / "dolos-lib" / "package.json").exists():
        return
    npm = shutil.which("npm")
    if npm is None or shutil.which("node") is None:
        raise DolosError("Dolos needs Node.js >= 18 and npm on PATH (e.g. apt-get install nodejs "
                         "npm); then run `npm ci` in bench/dolos")
    proc = subprocess.run([npm, "ci", "--no-audit", "--no-fund"], cwd=DOLOS_DIR,
                          capture_output=True, text=True)
    if proc.returncode != 0:
        raise DolosError(f"`npm ci` in {DOLOS_DIR} failed (exit {proc.returncode}):\n"
                         f"{proc.stderr[-4000:]}")


def run_dolos(language: str, paths: Sequence[str | Path], *, pairs: str = "nonzero",
              kgram_length: int | None = None, kgrams_in_window: int | None = None,
              timeout: float | None = None) -> DolosRun:
    """Analyse ``paths`` (files or folders) with Dolos for ``language``.

    ``pairs`` is ``all``, ``nonzero`` (pairs sharing at least one fingerprint) or ``none``
    (timing only: the pairs are still all built, just not printed). Raises :class:`DolosTimeout`
    after ``timeout`` seconds.
    """
    ensure_installed()
    with tempfile.NamedTemporaryFile("w", suffix=".lst", delete=False) as lst:
        lst.write("\n".join(str(p) for p in paths))
    cmd = ["node", "--max-old-space-size=12288", str(SCRIPT), "--language", language,
           "--pairs", pairs, "--list", lst.name]
    if kgram_length is not None:
        cmd += ["--kgram-length", str(kgram_length)]
    if kgrams_in_window is not None:
        cmd += ["--kgrams-in-window", str(kgrams_in_window)]
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        raise DolosTimeout(f"Dolos ({language}, {len(paths)} paths) did not finish in "
                           f"{timeout:.0f} s") from None
    finally:
        Path(lst.name).unlink(missing_ok=True)
    if proc.returncode != 0:
        raise DolosError(f"Dolos failed (exit {proc.returncode}) on {len(paths)} {language} "
                         f"paths:\n{proc.stderr[-4000:]}")
    out = json.loads(proc.stdout)
    return DolosRun(
        version=out["dolos_version"], node_version=out["node_version"], language=language,
        kgram_length=out["options"]["kgramLength"],
        kgrams_in_window=out["options"]["kgramsInWindow"],
        files=out["files"], total_bytes=out["total_bytes"],
        analyze_ms=out["timing_ms"]["analyze"], pairs_ms=out["timing_ms"]["pairs"],
        pair_count=out["pair_count"],
        pairs=tuple(DolosPair(p["left"], p["right"], p["similarity"], p["overlap"], p["longest"])
                    for p in out["pairs"]),
    )
