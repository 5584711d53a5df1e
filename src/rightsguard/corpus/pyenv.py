"""Import an installed Python environment: each distribution's source files, and the stdlib.

Licence of a distribution, first found wins: ``License-Expression`` (PEP 639); ``License`` when
it is an SPDX expression; unambiguous ``License ::`` classifiers (:mod:`.classifiers`); its
licence files (``License-File`` metadata, ``.dist-info/licenses/``) through the resolver;
``NOASSERTION``. Holders: ``Author`` / ``Author-email`` / ``Maintainer`` / ``Maintainer-email``
names (never e-mail addresses); else copyright notices in the file; else in the licence files.

The standard library is one source, ``python-stdlib@{version}``: ``PSF-2.0``, held by the Python
Software Foundation, confirmed against its ``LICENSE.txt`` through the resolver when present.
"""

from __future__ import annotations

import os
import platform
import re
import sys
import sysconfig
from collections import Counter
from collections.abc import Collection, Iterable, Iterator
from email.utils import getaddresses
from importlib import metadata
from os import PathLike
from pathlib import Path, PurePosixPath
from typing import Any

from rightsguard.corpus.base import (
    NOASSERTION,
    RESOLVER_ERRORS,
    LazyWorks,
    LicenceEvidence,
    LicenceResolver,
    NotAWork,
    WorkItem,
    combine_expressions,
    dedupe,
)
from rightsguard.corpus.classifiers import families_from_classifiers, spdx_from_classifiers
from rightsguard.corpus.files import is_licence_file
from rightsguard.corpus.languages import language_for_path
from rightsguard.corpus.reading import DEFAULT_MAX_BYTES, read_source
from rightsguard.errors import InputError
from rightsguard.model import Skipped, Source, WorkInput

__all__ = [
    "STDLIB_EXCLUDED",
    "STDLIB_HOLDER",
    "STDLIB_LICENCE",
    "PythonEnvWorks",
    "canonical_name",
    "iter_python_env_works",
]

STDLIB_LICENCE = "PSF-2.0"
STDLIB_HOLDER = "Python Software Foundation"
STDLIB_EXCLUDED = frozenset({
    "site-packages", "dist-packages", "test", "idlelib/idle_test", "lib2to3/tests",
    "ensurepip/_bundled", "lib-dynload",
})
"""Stdlib folders (relative, POSIX) not imported: installed packages, test suites and test data."""

_PSF_IDS = ("PSF-2.0", "Python-2.0")
_METADATA_DIR = re.compile(r"\.(dist|egg)-info$")


def canonical_name(name: str) -> str:
    """PEP 503 normalised distribution name (``Foo_Bar`` -> ``foo-bar``)."""
    return re.sub(r"[-_.]+", "-", name).lower()


def _field(md: Any, name: str, *, unknown_is_missing: bool = True) -> str | None:
    """First non-empty value of a metadata field; setuptools writes ``UNKNOWN`` for "not set"."""
    for value in md.get_all(name) or []:
        if not isinstance(value, str) or not value.strip():
            continue
        if unknown_is_missing and value.strip().upper() == "UNKNOWN":
            continue
        return value.strip()
    return None


def _people(md: Any) -> tuple[str, ...]:
    names: list[str] = []
    for field in ("Author", "Maintainer"):
        value = _field(md, field)
        if value and "@" not in value:
            names.append(value)
        elif value:
            names += [n for n, _ in getaddresses([value])]
        email_value = _field(md, f"{field}-email")
        if email_value:
            names += [n for n, _ in getaddresses([email_value])]
    return dedupe(n.strip().strip('"') for n in names)


class PythonEnvWorks(LazyWorks):
    """Iterator over the source files of installed distributions (and the stdlib).

    Yields ``WorkInput`` for each source file, ``Skipped`` for files that cannot be read (and
    for a distribution without a RECORD file list). Picklable until iteration starts.
    Afterwards ``licences`` maps ``name@version`` (and ``python-stdlib@version``) to the
    :class:`~rightsguard.corpus.base.LicenceEvidence` used, ``licence_files`` lists the licence
    files read, ``notes`` has ``(uri, note)`` decoding notes and ``stats`` counts outcomes.
    """

    def __init__(self, *, resolver: LicenceResolver,
                 sys_path: Iterable[str | PathLike[str]] | None = None,
                 include_stdlib: bool = True, distributions: Collection[str] | None = None,
                 max_bytes: int = DEFAULT_MAX_BYTES,
                 stdlib_path: str | PathLike[str] | None = None) -> None:
        if max_bytes < 0:
            raise InputError(f"max_bytes must be >= 0, got {max_bytes}")
        self.resolver = resolver
        self.sys_path = [os.fspath(p) for p in (sys.path if sys_path is None else sys_path)]
        self.include_stdlib = include_stdlib
        self.only = (None if distributions is None
                     else frozenset(canonical_name(d) for d in distributions))
        self.max_bytes = max_bytes
        self.stdlib_path = Path(stdlib_path or sysconfig.get_paths()["stdlib"])
        self.stdlib_version = platform.python_version()
        self.licences: dict[str, LicenceEvidence] = {}
        self.licence_files: dict[str, None] = {}
        self.notes: list[tuple[str, str]] = []
        self.stats: Counter[str] = Counter()
        self._gen: Iterator[WorkItem] | None = None

    def _read(self, uri: str, path: Path, prefix: str
              ) -> tuple[bytes, str, list[str]] | Skipped:
        """Read one source file, or the Skipped record (unreadable, empty or blank), counted."""
        try:
            raw, text, notes = read_source(path, self.max_bytes)
        except InputError as exc:
            self.stats["skipped"] += 1
            return Skipped(uri, str(exc))
        if not text.strip():
            self.stats["skipped"] += 1
            return NotAWork(uri, prefix + ("empty file" if not text else "only whitespace"))
        return raw, text, notes

    def _generate(self) -> Iterator[WorkItem]:
        seen: set[str] = set()
        for dist in metadata.distributions(path=self.sys_path):
            name = _field(dist.metadata, "Name", unknown_is_missing=False)
            if name is None:
                continue
            key = canonical_name(name)
            if key in seen:  # shadowed by an earlier entry of the path, as for imports
                continue
            seen.add(key)
            if self.only is not None and key not in self.only:
                continue
            yield from self._distribution(dist, name)
        if self.include_stdlib:
            yield from self._stdlib()

    # -- distributions -------------------------------------------------------------------------

    def _distribution(self, dist: metadata.Distribution, name: str) -> Iterator[WorkItem]:
        version = dist.version
        files = dist.files
        if files is None:
            self.stats["skipped"] += 1
            yield NotAWork(f"pypi:{name}@{version}", "installed without a RECORD file list; "
                                                     "its files cannot be told apart")
            return
        sources = [f for f in files if language_for_path(f.name) is not None
                   and not any(_METADATA_DIR.search(p) or p == "__pycache__"
                               for p in f.parts[:-1])]
        self.stats["distribution"] += 1
        if not sources:
            return
        expression, evidence, file_holders = self._dist_licence(dist, name, version, files)
        self.licences[f"{name}@{version}"] = evidence
        people = _people(dist.metadata)
        vendored = self._vendored_licences(dist, files)
        for f in sources:
            rel = PurePosixPath(*f.parts).as_posix()
            uri = f"pypi:{name}@{version}#{rel}"
            path = Path(str(dist.locate_file(f)))
            got = self._read(uri, path, f"{path}: ")
            if isinstance(got, Skipped):
                yield got
                continue
            raw, text, notes = got
            self.notes += [(uri, n) for n in notes]
            own = next((vendored[f.parts[:i]] for i in range(len(f.parts) - 1, 0, -1)
                        if f.parts[:i] in vendored), None)
            if own is not None:  # under a folder with its own licence file: vendored code
                licence, holders = own[0], own[1] or dedupe(self.resolver.holders(text))
            else:
                licence = expression
                holders = people or dedupe(self.resolver.holders(text)) or file_holders
            self.stats["work"] += 1
            language = language_for_path(f.name)
            yield WorkInput(raw=raw, title=f"{name} {version}: {rel}", holders=holders,
                            licence=licence, source=Source(uri=uri, path=rel),
                            modality="code", language=language, kind="code")

    def _vendored_licences(self, dist: metadata.Distribution, files: list[metadata.PackagePath]
                           ) -> dict[tuple[str, ...], tuple[str, tuple[str, ...]]]:
        """Folders inside a distribution's packages that ship a licence file of their own (a
        vendored copy of another project, as typer ships click under ``typer/_click`` with
        Pallets' BSD-3-Clause ``LICENSE.txt``): ``{folder parts: (expression, holders)}``, for
        licence files the detector recognises. Files under such a folder take its licence and
        holders, not the distribution's (a newcomer saw typer's MIT on click's code)."""
        found: dict[tuple[str, ...], tuple[list[str], list[str]]] = {}
        for f in files:
            folder = f.parts[:-1]
            if len(folder) < 2 or not is_licence_file(f.name) or any(
                    _METADATA_DIR.search(p) for p in folder):
                continue  # a package's own top folder takes the distribution's licence
            path = Path(str(dist.locate_file(f)))
            try:
                _, text, _ = read_source(path, self.max_bytes)
            except InputError:
                continue
            try:
                expression = self.resolver.licence_file(text)
            except RESOLVER_ERRORS:
                continue
            if expression:
                self.licence_files[str(path)] = None
                exprs, holders = found.setdefault(folder, ([], []))
                exprs.append(expression)
                holders += self.resolver.holders(text)
        out: dict[tuple[str, ...], tuple[str, tuple[str, ...]]] = {}
        for folder, (exprs, holders) in found.items():
            combined = combine_expressions(exprs, self.resolver)
            if combined:
                out[folder] = (combined, dedupe(holders))
        return out

    def _normalise(self, value: str) -> str | None:
        try:
            return self.resolver.normalise(value)
        except RESOLVER_ERRORS:
            return None

    def _dist_licence(self, dist: metadata.Distribution, name: str, version: str,
                      files: list[metadata.PackagePath],
                      ) -> tuple[str, LicenceEvidence, tuple[str, ...]]:
        md = dist.metadata
        notes: list[str] = []
        meta_uri = f"pypi:{name}@{version}#METADATA"
        declared = _field(md, "License-Expression")
        if declared:
            expression = self._normalise(declared)
            if expression:
                return expression, LicenceEvidence(expression, "metadata", (meta_uri,),
                                                   "License-Expression"), ()
            notes.append(f"License-Expression {declared!r} is not SPDX")
        licence_field = _field(md, "License")
        if licence_field and "\n" not in licence_field and len(licence_field) <= 200:
            expression = self._normalise(licence_field)
            if expression:
                return expression, LicenceEvidence(expression, "metadata", (meta_uri,),
                                                   "License"), ()
        from_classifiers = spdx_from_classifiers(md.get_all("Classifier") or [])
        if from_classifiers:
            expression = combine_expressions(from_classifiers, self.resolver)
            if expression:
                return expression, LicenceEvidence(expression, "classifier", (meta_uri,)), ()
        # Licence files: License-File entries and anything under .dist-info/licenses/.
        texts: list[tuple[str, str]] = []
        wanted = {f"licenses/{p}" for p in md.get_all("License-File") or []}
        wanted |= set(md.get_all("License-File") or [])
        for f in files:
            parts = f.parts
            meta_index = next((i for i, p in enumerate(parts) if _METADATA_DIR.search(p)), None)
            if meta_index is None:
                continue
            inner = "/".join(parts[meta_index + 1:])
            if inner in wanted or inner.startswith("licenses/") or (
                    "/" not in inner and is_licence_file(inner)):
                path = Path(str(dist.locate_file(f)))
                try:
                    _, text, _ = read_source(path, self.max_bytes)
                except InputError as exc:
                    notes.append(str(exc))
                    continue
                self.licence_files[str(path)] = None
                texts.append((str(path), text))
        if licence_field and "\n" in licence_field:  # a whole licence text in the field
            texts.append((meta_uri, licence_field))
        detected: list[str] = []
        for _origin, text in texts:
            try:
                found = self.resolver.licence_file(text)
            except RESOLVER_ERRORS as exc:
                notes.append(str(exc))
                found = None
            if found:
                detected.append(found)
        holders = dedupe(h for _, text in texts for h in self.resolver.holders(text))
        origins = tuple(o for o, _ in texts)
        families = families_from_classifiers(md.get_all("Classifier") or [])
        if families and detected:
            own, other = _in_families(detected, families)
            if own and other:
                notes.append(f"licence files also name {' AND '.join(other)}, outside the "
                             f"licence family the classifiers name ({', '.join(families)}…): "
                             "taken as bundled components' licences")
                detected = own
        expression = combine_expressions(detected, self.resolver)
        if expression:
            return expression, LicenceEvidence(expression, "licence-file", origins,
                                               "; ".join(notes)), holders
        if texts:
            notes.insert(0, "licence files not recognised")
        return NOASSERTION, LicenceEvidence(NOASSERTION, "default", origins,
                                            "; ".join(notes)), holders

    # -- standard library ----------------------------------------------------------------------

    def _stdlib(self) -> Iterator[WorkItem]:
        root = self.stdlib_path
        version = self.stdlib_version
        label = f"python-stdlib@{version}"
        if not root.is_dir():
            self.stats["skipped"] += 1
            yield Skipped(label, f"{root}: standard library folder not found")
            return
        self.licences[label] = self._stdlib_evidence(root)
        holders = (STDLIB_HOLDER,)
        for folder, dirnames, filenames in os.walk(root):
            rel_folder = Path(folder).relative_to(root).as_posix()
            dirnames[:] = sorted(
                d for d in dirnames
                if d != "__pycache__" and not d.startswith("config-")
                and (d if rel_folder == "." else f"{rel_folder}/{d}") not in STDLIB_EXCLUDED)
            for filename in sorted(filenames):
                language = language_for_path(filename)
                if language is None:
                    continue
                rel = filename if rel_folder == "." else f"{rel_folder}/{filename}"
                uri = f"{label}#{rel}"
                got = self._read(uri, Path(folder, filename), "")
                if isinstance(got, Skipped):
                    yield got
                    continue
                raw, _text, notes = got
                self.notes += [(uri, n) for n in notes]
                self.stats["work"] += 1
                yield WorkInput(raw=raw, title=f"Python {version} standard library: {rel}",
                                holders=holders, licence=STDLIB_LICENCE,
                                source=Source(uri=uri, path=rel), modality="code",
                                language=language, kind="code")

    def _stdlib_evidence(self, root: Path) -> LicenceEvidence:
        licence_txt = root / "LICENSE.txt"
        if not licence_txt.is_file():
            return LicenceEvidence(STDLIB_LICENCE, "default", (),
                                   "LICENSE.txt not present; PSF-2.0 assumed for CPython")
        self.licence_files[str(licence_txt)] = None
        try:
            _, text, _ = read_source(licence_txt, self.max_bytes)
            detected = self.resolver.licence_file(text)
        except RESOLVER_ERRORS as exc:  # InputError is a RightsguardError
            return LicenceEvidence(STDLIB_LICENCE, "default", (str(licence_txt),),
                                   f"LICENSE.txt could not be checked: {exc}")
        if detected and any(i in detected for i in _PSF_IDS):
            return LicenceEvidence(STDLIB_LICENCE, "licence-file", (str(licence_txt),),
                                   f"LICENSE.txt detected as {detected}")
        return LicenceEvidence(STDLIB_LICENCE, "default", (str(licence_txt),),
                               f"LICENSE.txt detected as {detected or 'nothing recognised'};"
                               " PSF-2.0 kept for CPython")


def _in_families(expressions: list[str], prefixes: tuple[str, ...]
                 ) -> tuple[list[str], list[str]]:
    """The top-level ``AND`` parts of ``expressions`` whose licences all start with one of
    ``prefixes`` (a family an ambiguous classifier names), and the other parts."""
    from license_expression import AND, Licensing

    licensing = Licensing()
    own: list[str] = []
    other: list[str] = []
    for expression in expressions:
        try:
            parsed = licensing.parse(expression)
        except Exception:  # an expression the resolver produced but this parser refuses
            other.append(expression)
            continue
        parts = parsed.args if isinstance(parsed, AND) else (parsed,)
        for part in parts:
            keys = [str(k) for k in licensing.license_keys(part)]
            inside = any(k.startswith(prefixes) for k in keys) and all(
                k.startswith(prefixes) or "exception" in k.lower() for k in keys)
            (own if inside else other).append(str(part))
    return list(dedupe(own)), list(dedupe(other))


def iter_python_env_works(*, resolver: LicenceResolver,
                          sys_path: Iterable[str | PathLike[str]] | None = None,
                          include_stdlib: bool = True,
                          distributions: Collection[str] | None = None,
                          max_bytes: int = DEFAULT_MAX_BYTES,
                          stdlib_path: str | PathLike[str] | None = None) -> PythonEnvWorks:
    """Works of an installed Python environment (see :class:`PythonEnvWorks`).

    ``sys_path`` is where distributions are looked for (default: the running interpreter's
    ``sys.path``); ``distributions`` limits them to these names; the stdlib is the running
    interpreter's unless ``stdlib_path`` is given (its version is always the running one's).
    Source URIs: ``pypi:{name}@{version}#{path}`` and ``python-stdlib@{version}#{path}``.
    """
    return PythonEnvWorks(resolver=resolver, sys_path=sys_path, include_stdlib=include_stdlib,
                          distributions=distributions, max_bytes=max_bytes,
                          stdlib_path=stdlib_path)
