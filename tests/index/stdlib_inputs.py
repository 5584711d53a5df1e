"""Real inputs shared by the index tests (``test_store.py`` on SQLite, ``test_postgres.py`` on
PostgreSQL): standard-library modules of the running Python, copied into a test folder."""

from __future__ import annotations

import ast
import hashlib
import shutil
import sysconfig
from pathlib import Path

STDLIB = Path(sysconfig.get_paths()["stdlib"])


def _has_long_function(path: Path) -> bool:
    try:
        tree = ast.parse(path.read_text("utf-8"))
    except (SyntaxError, UnicodeDecodeError):
        return False
    return any(isinstance(f, ast.FunctionDef) and f.end_lineno is not None
               and f.end_lineno - f.lineno >= 12 for f in ast.walk(tree))


def stdlib_files(n: int) -> list[Path]:
    """``n`` real standard-library modules of 3-25 kB that contain a function of 12+ lines."""
    files = [p for p in sorted(STDLIB.glob("*.py"))
             if 3000 <= p.stat().st_size <= 25000 and _has_long_function(p)]
    assert len(files) >= n, f"only {len(files)} usable modules in {STDLIB}"
    return files[:n]


def sha(path: Path) -> str:
    """SHA-256 of a file's bytes (a work id), hex."""
    return hashlib.sha256(path.read_bytes()).hexdigest()


def copy_files(files: list[Path], dest: Path) -> list[Path]:
    """Copy ``files`` into folder ``dest`` (created), keeping their names; the copies' paths."""
    dest.mkdir(parents=True, exist_ok=True)
    out = []
    for p in files:
        shutil.copyfile(p, dest / p.name)
        out.append(dest / p.name)
    return out
