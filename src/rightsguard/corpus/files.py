"""Import files and folders: every code or prose file becomes one work.

Licence of a file, first found wins: the ``licence`` override; the file's own
``SPDX-License-Identifier`` lines; the nearest LICENSE / LICENCE / COPYING (then NOTICE /
COPYRIGHT) file in its folder or an ancestor up to the root that was passed in; ``NOASSERTION``.
Holders: the override; copyright notices in the file; notices in that licence file.

Images (:data:`IMAGE_SUFFIXES`) are works too (modality ``image``, kind ``image``). Their
licence: the override; the licence their embedded metadata states (XMP ``cc:license`` /
``xmpRights:WebStatement``); the folder's licence file. Holders: the override; the holders
their metadata names (IPTC Copyright Notice, then Creator, then EXIF Copyright and Artist, then
C2PA CreativeWork); the folder's licence file. Identifiers: the rights reservations their
metadata states (IPTC ``plus:DataMining``, C2PA/CAWG training-mining) — see
:class:`ImageRights`. Embedded metadata that cannot be read (an XML bomb in XMP, a broken C2PA
manifest) does not stop the image from being registered — its pixels are still protected — but
the licence the file states about itself is then unknown: without a licence override the work
gets ``NOASSERTION`` (screening says ``review``, never a silent allow; the folder's licence file
is not used, as the file may state another), and the problem is recorded as an identifier.
Pixels are not decoded here: the index does that, and refuses what it cannot decode.

Sources: ``file://`` URI of the file. A file git tracks in a checkout also gets the remote URL
(credentials removed) and, unless it differs from HEAD, the HEAD commit, with its path relative
to the checkout; git is asked once per checkout, and not at all when it is not installed. Other
files get their path relative to the folder passed in.
"""

from __future__ import annotations

import os
import re
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from os import PathLike
from pathlib import Path
from typing import Protocol, runtime_checkable

from rightsguard.corpus._git import GitCheckout, describe, find_top
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
from rightsguard.corpus.languages import (
    IMAGE_SUFFIXES,
    is_text_path,
    language_for_path,
    language_for_shebang,
)
from rightsguard.corpus.reading import DEFAULT_MAX_BYTES, MAX_BYTES_SETTING, read_source
from rightsguard.errors import BinaryInputError, InputError
from rightsguard.model import Skipped, Source, WorkInput

__all__ = [
    "IGNORED_DIRS",
    "IMAGE_SUFFIXES",
    "FolderLicence",
    "FolderWorks",
    "ImageRights",
    "ImageRightsResolver",
    "image_rights_of",
    "is_licence_file",
    "iter_folder_works",
]

IGNORED_DIRS = frozenset({
    ".git", ".hg", ".svn", ".bzr", "__pycache__", "node_modules", ".venv", ".tox", ".nox",
    ".mypy_cache", ".pytest_cache", ".ruff_cache",
})
"""Folder names never walked: version control, caches, installed dependencies."""

LICENCE_DIRS = frozenset({"licenses", "licences"})
"""Folders of licence texts (REUSE ``LICENSES/``, ``.dist-info/licenses``): not works."""

_LICENCE_NAME = re.compile(
    r"^(?:(?P<primary>licen[cs]es?|copying(?:\.lesser|\.lib)?|unlicen[cs]e)|(?:notice|copyright)s?)"
    r"(?:[-._ ][^/]*)?$", re.IGNORECASE)


def is_licence_file(path: str | PathLike[str]) -> bool:
    """True for LICENSE, LICENCE.txt, COPYING, COPYING.LESSER, NOTICE, LICENSE-MIT, … files.

    A code file such as ``license.py`` is not a licence file.
    """
    p = Path(path)
    return bool(_LICENCE_NAME.match(p.name)) and language_for_path(p) is None


def _is_primary_licence(path: Path) -> bool:
    m = _LICENCE_NAME.match(path.name)
    return bool(m and m.group("primary"))


@dataclass(frozen=True, slots=True)
class FolderLicence:
    """The licence and holders a folder's licence files give the files under it."""

    expression: str
    holders: tuple[str, ...]
    evidence: LicenceEvidence


@dataclass(frozen=True, slots=True)
class ImageRights:
    """What an image file states about itself in embedded metadata (IPTC/XMP, EXIF, C2PA).

    ``holders``: rights holders, in the resolver's order of precedence; ``licence``: normalised
    SPDX expression or None; ``identifiers``: ``(scheme, value)`` pairs for the work (rights
    reservations, and one per kind of metadata that could not be read — schemes of at most 16
    characters, as the registry stores them); ``problems``: a sentence per metadata block that
    could not be read (XML bomb, malformed XMP, broken C2PA manifest), () when all were read.
    """

    holders: tuple[str, ...] = ()
    licence: str | None = None
    identifiers: tuple[tuple[str, str], ...] = ()
    problems: tuple[str, ...] = ()


@runtime_checkable
class ImageRightsResolver(Protocol):
    """A :class:`~rightsguard.corpus.base.LicenceResolver` that also reads identifiers and
    problems from an image's metadata (the index layer's ``SignalsLicenceResolver`` does)."""

    def image_metadata(self, raw: bytes) -> ImageRights:
        """Everything an image file states about itself. Never raises for a broken file."""
        ...


def image_rights_of(resolver: LicenceResolver, raw: bytes) -> ImageRights:
    """``resolver.image_metadata(raw)`` when the resolver has it, else its ``image_rights``
    (holders and licence only)."""
    if isinstance(resolver, ImageRightsResolver):
        return resolver.image_metadata(raw)
    holders, licence = resolver.image_rights(raw)
    return ImageRights(tuple(holders), licence)


def _as_paths(paths: str | PathLike[str] | Iterable[str | PathLike[str]]) -> list[Path]:
    if isinstance(paths, str | PathLike):
        return [Path(paths)]
    return [Path(p) for p in paths]


class FolderWorks(LazyWorks):
    """Iterator over the works in files and folders; yields ``WorkInput`` or ``Skipped``.

    Cheap to construct and picklable until iteration starts. After (or during) iteration:
    ``licence_files`` lists the licence files met (not registered as works: the index registers
    them as licence texts), ``folder_licences`` the licence resolved per folder with its evidence,
    ``notes`` ``(path, note)`` pairs from decoding (e.g. invalid UTF-8), and ``stats`` counts
    outcomes (``work``, ``skipped``, ``licence-file``, ``not-code-or-text``).

    Files of other kinds met in a folder walk (``.json``, ``.so``, a PCX picture) are counted in
    ``stats`` and, after each folder given, said once in a ``NotAWork`` naming that folder with
    their count per extension; a path passed in explicitly is always yielded, as a work or as
    ``Skipped``.
    """

    def __init__(self, paths: str | PathLike[str] | Iterable[str | PathLike[str]], *,
                 resolver: LicenceResolver, licence: str | None = None,
                 holder: str | Iterable[str] | None = None, title: str | None = None,
                 max_bytes: int = DEFAULT_MAX_BYTES) -> None:
        problems: list[str] = []
        self.paths = _as_paths(paths)
        if not self.paths:
            problems.append("no paths given")
        problems += [f"{p}: no such file or folder" for p in self.paths if not p.exists()]
        if max_bytes < 0:
            problems.append(f"max_bytes must be >= 0, got {max_bytes}")
        self.licence: str | None = None
        if licence is not None:
            try:
                self.licence = resolver.normalise(licence)
            except RESOLVER_ERRORS as exc:
                problems.append(f"licence {licence!r} is not an SPDX expression: {exc}")
        if problems:
            raise InputError("; ".join(problems))
        self.resolver = resolver
        self.holders: tuple[str, ...] | None = None
        if holder is not None:
            self.holders = dedupe([holder] if isinstance(holder, str) else holder)
        self.title = title
        self.max_bytes = max_bytes
        self.licence_files: dict[Path, None] = {}
        self.folder_licences: dict[tuple[Path, Path], FolderLicence] = {}
        self.notes: list[tuple[str, str]] = []
        self.stats: Counter[str] = Counter()
        self._passed: Counter[str] = Counter()  # files of other kinds in this walk, by suffix
        self._tops: dict[Path, Path | None] = {}
        self._checkouts: dict[Path, GitCheckout] = {}
        self._gen: Iterator[WorkItem] | None = None

    # -- walking -------------------------------------------------------------------------------

    def _generate(self) -> Iterator[WorkItem]:
        for given in self.paths:
            root = given.resolve()
            if root.is_dir():
                self._passed.clear()
                yield from self._walk(root, root)
                if self._passed:  # said once per folder, not once per file: a repository
                    # holds many .json, .lock and build files
                    n = sum(self._passed.values())
                    kinds = ", ".join(f"{k} {v}" for k, v in sorted(
                        self._passed.items(), key=lambda kv: (-kv[1], kv[0])))
                    yield NotAWork(str(given), f"passed over {n} file{'' if n == 1 else 's'} "
                                               f"that {'is' if n == 1 else 'are'} not code, text "
                                               f"or a supported image ({kinds})", files=n)
            else:
                item = self._file(root, root.parent, explicit=True)
                if item is not None:
                    yield item

    def _walk(self, folder: Path, root: Path) -> Iterator[WorkItem]:
        try:
            with os.scandir(folder) as it:
                entries = sorted(it, key=lambda e: e.name)
        except OSError as exc:
            self.stats["skipped"] += 1
            yield Skipped(str(folder), f"folder cannot be listed ({exc.strerror or exc})")
            return
        in_licence_dir = folder.name.lower() in LICENCE_DIRS
        subfolders: list[Path] = []
        for entry in entries:
            path = Path(entry.path)
            try:
                if entry.is_dir(follow_symlinks=False):
                    if entry.name not in IGNORED_DIRS:
                        subfolders.append(path)
                    continue
                if not entry.is_file():  # broken link, socket, fifo, link to a folder
                    self.stats["not-a-file"] += 1
                    continue
            except OSError:
                self.stats["not-a-file"] += 1
                continue
            if in_licence_dir:
                self.licence_files[path] = None
                self.stats["licence-file"] += 1
                continue
            item = self._file(path, root, explicit=False)
            if item is not None:
                yield item
        for sub in subfolders:
            yield from self._walk(sub, root)

    def _file(self, path: Path, root: Path, *, explicit: bool) -> WorkItem | None:
        if is_licence_file(path):
            self.licence_files[path] = None
            self.stats["licence-file"] += 1
            if explicit:
                self.stats["skipped"] += 1
                return NotAWork(str(path), "a licence file: it gives the licence of the files "
                                           "in its folder and is not registered as a work")
            return None
        if path.suffix.lower() in IMAGE_SUFFIXES:
            image = self._image_work(path, root, explicit)
            self.stats["image" if isinstance(image, WorkInput) else "skipped"] += 1
            return image
        language = language_for_path(path)
        if language is None and not is_text_path(path):
            self.stats["not-code-or-text"] += 1
            if not explicit:
                self._passed[path.suffix.lower() or "no extension"] += 1
            if explicit:
                self.stats["skipped"] += 1
                return Skipped(str(path), f"not a code or text file (extension {path.suffix!r}"
                                          " is neither a known code language nor prose)")
            return None
        item = self._work(path, root, language, explicit)
        self.stats["work" if isinstance(item, WorkInput) else "skipped"] += 1
        return item

    def _work(self, path: Path, root: Path, language: str | None, explicit: bool) -> WorkItem:
        try:
            raw, text, notes = read_source(path, self.max_bytes)
        except BinaryInputError as exc:
            if not explicit and path.suffix == "":
                # met in a folder and taken for text only for lacking an extension (a compiled
                # program): not a work, as check skips it, rather than an error
                return NotAWork(str(path), "binary file (a NUL byte): neither code nor text")
            return Skipped(str(path), str(exc))
        except InputError as exc:
            return Skipped(str(path), str(exc))
        if not text.strip():
            return NotAWork(str(path), "empty file" if not text else "only whitespace")
        self.notes += [(str(path), note) for note in notes]
        if language is None and path.suffix == "":
            language = language_for_shebang(text)
        own: str | None = None
        if self.licence is None:
            try:
                own = self.resolver.file_licence(text)
            except RESOLVER_ERRORS as exc:
                return Skipped(str(path), f"bad SPDX-License-Identifier line: {exc}; pass a"
                                          " licence override to register it anyway")
        expression, holders = self._rights(path, root, own, lambda: self.resolver.holders(text))
        return WorkInput(
            raw=raw, title=self._title(path, root, explicit), holders=holders,
            licence=expression, source=self._source(path, root),
            modality="code" if language else "text", language=language,
            kind="code" if language else "text")

    def _rights(self, path: Path, root: Path, own: str | None,
                holders: Callable[[], Iterable[str]]) -> tuple[str, tuple[str, ...]]:
        """Licence and holders of a file: the overrides; else what the file states (``own``,
        ``holders()``, asked only when needed); else its folder's licence file."""
        folder: FolderLicence | None = None
        if self.licence is not None:
            expression = self.licence
        elif own:
            expression = own
        else:
            folder = self._folder_licence(path.parent, root)
            expression = folder.expression
        if self.holders is not None:
            return expression, self.holders
        found = dedupe(holders())
        if not found:
            folder = folder or self._folder_licence(path.parent, root)
            found = folder.holders
        return expression, found

    def _title(self, path: Path, root: Path, explicit: bool) -> str:
        rel = path.relative_to(root).as_posix()
        if self.title is None:
            return path.name if explicit else f"{root.name}/{rel}"
        return self.title if explicit else f"{self.title}: {rel}"

    def _image_work(self, path: Path, root: Path, explicit: bool) -> WorkItem:
        try:
            size = path.stat().st_size
            if size > self.max_bytes:
                return Skipped(str(path), f"{path}: {size} bytes is over the limit of "
                                          f"{self.max_bytes} bytes for one work "
                                          f"({MAX_BYTES_SETTING})")
            raw = path.read_bytes()
        except OSError as exc:
            return Skipped(str(path), f"{path}: cannot be read ({exc.strerror or exc})")
        if not raw:
            return NotAWork(str(path), "empty file")  # as for an empty text file
        stated = image_rights_of(self.resolver, raw)
        # metadata that cannot be read may state another licence: unknown, never the folder's
        own = NOASSERTION if stated.problems else stated.licence
        expression, holders = self._rights(path, root, own, lambda: stated.holders)
        return WorkInput(raw=raw, title=self._title(path, root, explicit), holders=holders,
                         licence=expression, source=self._source(path, root),
                         modality="image", kind="image", identifiers=stated.identifiers)

    # -- licence folders and git ---------------------------------------------------------------

    def _folder_licence(self, folder: Path, stop: Path) -> FolderLicence:
        key = (folder, stop)
        cached = self.folder_licences.get(key)
        if cached is not None:
            return cached
        found = self._licence_files_in(folder)
        expressions: list[str] = []
        holders: list[str] = []
        notes: list[str] = []
        for path in found:
            self.licence_files[path] = None
            try:
                _, text, _ = read_source(path, self.max_bytes)
            except InputError as exc:
                notes.append(str(exc))
                continue
            try:
                detected = self.resolver.licence_file(text)
            except RESOLVER_ERRORS as exc:
                notes.append(f"{path}: {exc}")
                detected = None
            if detected:
                expressions.append(detected)
            holders += self.resolver.holders(text)
        files = tuple(str(p) for p in found)
        expression = combine_expressions(expressions, self.resolver)
        result: FolderLicence
        if expression is not None:
            result = FolderLicence(expression, dedupe(holders),
                                   LicenceEvidence(expression, "licence-file", files,
                                                   "; ".join(notes)))
        elif any(_is_primary_licence(p) for p in found):
            notes.insert(0, "licence file not recognised")
            result = FolderLicence(NOASSERTION, dedupe(holders),
                                   LicenceEvidence(NOASSERTION, "licence-file", files,
                                                   "; ".join(notes)))
        elif folder != stop and stop in folder.parents:
            parent = self._folder_licence(folder.parent, stop)
            result = FolderLicence(parent.expression, dedupe(holders) or parent.holders,
                                   parent.evidence)
        else:
            result = FolderLicence(NOASSERTION, dedupe(holders),
                                   LicenceEvidence(NOASSERTION, "default", files,
                                                   "; ".join(notes)))
        self.folder_licences[key] = result
        return result

    @staticmethod
    def _licence_files_in(folder: Path) -> list[Path]:
        try:
            with os.scandir(folder) as it:
                names = sorted(e.name for e in it if e.is_file() and is_licence_file(e.name))
        except OSError:
            return []
        found = [folder / n for n in names]
        # LICENSE/LICENCE/COPYING first, NOTICE/COPYRIGHT after.
        return sorted(found, key=lambda p: not _is_primary_licence(p))

    def _source(self, path: Path, root: Path) -> Source:
        folder = path.parent
        if folder not in self._tops:
            self._tops[folder] = find_top(folder)
        top = self._tops[folder]
        checkout: GitCheckout | None = None
        if top is not None:
            checkout = self._checkouts.get(top)
            if checkout is None:
                checkout = self._checkouts[top] = describe(top)
        if checkout is not None:
            in_repo = path.relative_to(checkout.top).as_posix()
            if in_repo in checkout.tracked and (checkout.remote or checkout.commit):
                commit = None if in_repo in checkout.modified else checkout.commit
                return Source(uri=path.as_uri(), repository=checkout.remote, commit=commit,
                              path=in_repo)
        return Source(uri=path.as_uri(), path=path.relative_to(root).as_posix())


def iter_folder_works(paths: str | PathLike[str] | Iterable[str | PathLike[str]], *,
                      resolver: LicenceResolver, licence: str | None = None,
                      holder: str | Iterable[str] | None = None, title: str | None = None,
                      max_bytes: int = DEFAULT_MAX_BYTES) -> FolderWorks:
    """Works in the given files and folders (see :class:`FolderWorks`), in a stable order.

    Raises :class:`~rightsguard.errors.InputError` at once when a path does not exist or the
    ``licence`` override is not SPDX (all problems in one message). ``title`` names a single
    file; for a folder each work is titled ``"{title}: {relative path}"``. Without a title a
    work is titled by its path from the folder passed in, that folder's name first.
    """
    return FolderWorks(paths, resolver=resolver, licence=licence, holder=holder, title=title,
                       max_bytes=max_bytes)

