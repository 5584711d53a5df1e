"""A real source-code corpus available offline, for throughput: >= 200 MB, plus a Python subset.

The corpus is the source files of pinned PyPI packages installed (as wheels, by uv) into a
dedicated venv under ``bench/.cache/corpus-venv`` (on the interpreter running the bench, so only
wheels are downloaded), plus that interpreter's standard library. It is built on first use
(about a minute; registry access needed once) and reused. Files are used in place; nothing is
copied into the repository.
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import sys
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

CACHE = Path(__file__).resolve().parent / ".cache"
VENV = CACHE / "corpus-venv"
# Large, mostly hand-written Python (with some C, Cython, JS); pinned so the corpus is stable.
PACKAGES = (
    "django==5.1.4", "sympy==1.13.3", "scipy==1.14.1", "numpy==2.1.3", "pandas==2.2.3",
    "transformers==4.46.3", "matplotlib==3.9.2", "scikit-learn==1.5.2", "networkx==3.4.2",
    "statsmodels==0.14.4", "astropy==6.1.6", "sqlalchemy==2.0.36",
)
# Source extensions counted as code, by language (Dolos and rightsguard both parse these).
EXTENSIONS = {
    ".py": "python", ".pyi": "python", ".pyx": "cython", ".pxd": "cython",
    ".c": "c", ".h": "c", ".cc": "cpp", ".cpp": "cpp", ".cxx": "cpp", ".hpp": "cpp",
    ".js": "javascript", ".mjs": "javascript", ".ts": "typescript",
    ".f": "fortran", ".f90": "fortran", ".java": "java", ".go": "go", ".rs": "rust",
}
SKIP_DIRS = {"__pycache__", "site-packages", "dist-packages"}


@dataclass(frozen=True, slots=True)
class SourceFile:
    path: Path
    rel: str  # "<root>/<path inside root>", stable across machines
    language: str
    size: int  # bytes on disk


@dataclass(frozen=True, slots=True)
class Corpus:
    files: tuple[SourceFile, ...]
    roots: dict[str, Path] = field(default_factory=dict)

    @property
    def total_bytes(self) -> int:
        return sum(f.size for f in self.files)

    def by_language(self) -> Counter[str]:
        return Counter(f.language for f in self.files)

    def bytes_by_language(self) -> Counter[str]:
        c: Counter[str] = Counter()
        for f in self.files:
            c[f.language] += f.size
        return c


def _venv_python() -> Path:
    return VENV / "bin" / "python"


def ensure_venv() -> Path:
    """Create the corpus venv with :data:`PACKAGES` unless it is already complete."""
    marker = VENV / ".rightsguard-bench-packages"
    wanted = "\n".join(PACKAGES)
    if marker.exists() and marker.read_text() == wanted:
        return VENV
    uv = shutil.which("uv")
    if uv is None:
        raise RuntimeError("building the bench corpus needs `uv` on PATH (run via `uv run`)")
    CACHE.mkdir(parents=True, exist_ok=True)
    if not _venv_python().exists():
        subprocess.run([uv, "venv", "-q", "-p", sys.executable, str(VENV)], check=True)
    subprocess.run([uv, "pip", "install", "-q", "--python", str(_venv_python()), *PACKAGES],
                   check=True)
    marker.write_text(wanted)
    return VENV


def _stdlib_dir() -> Path:
    out = subprocess.run([str(_venv_python()), "-c",
                          "import sysconfig; print(sysconfig.get_paths()['stdlib'])"],
                         check=True, capture_output=True, text=True).stdout.strip()
    return Path(out)


def _walk(root: Path, label: str) -> list[SourceFile]:
    files = []
    for path in root.rglob("*"):
        if not path.is_file() or path.is_symlink():
            continue
        if SKIP_DIRS.intersection(path.relative_to(root).parts[:-1]):
            continue
        lang = EXTENSIONS.get(path.suffix.lower())
        if lang is None:
            continue
        files.append(SourceFile(path, f"{label}/{path.relative_to(root).as_posix()}", lang,
                                path.stat().st_size))
    return files


def real_code_corpus() -> Corpus:
    """All source files of the corpus venv's site-packages and of its standard library."""
    ensure_venv()
    site = next((VENV / "lib").glob("python*/site-packages"))
    roots = {"site-packages": site, "stdlib": _stdlib_dir()}
    files: list[SourceFile] = []
    for label, root in roots.items():
        files += _walk(root, label)
    files.sort(key=lambda f: f.rel)
    return Corpus(tuple(files), roots)


def subset(corpus: Corpus, language: str, max_bytes: int, *,
           max_file_bytes: int = 1 << 20) -> list[SourceFile]:
    """A deterministic mix of ``language`` files (order: SHA-1 of the relative path), at most
    ``max_bytes`` in total. Empty files and files over ``max_file_bytes`` are left out; smaller
    subsets are prefixes of larger ones."""
    pool = [f for f in corpus.files
            if f.language == language and 0 < f.size <= max_file_bytes]
    pool.sort(key=lambda f: hashlib.sha1(f.rel.encode()).digest())
    chosen, total = [], 0
    for f in pool:
        if total + f.size > max_bytes:
            continue
        chosen.append(f)
        total += f.size
    return chosen
