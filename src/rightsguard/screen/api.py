"""``check``: screen files, folders or a text for reproduced works — the library call behind
``rightsguard check``.

Each input gives one :class:`~rightsguard.model.ScreenResult` per part: a code file is one code
part; a prose output that contains fenced code blocks (CommonMark, parsed with markdown-it-py) is
split into its prose and each code block, each screened with its own fingerprinter, and all
offsets stay in the coordinates of the whole input. Inputs that cannot be read are recorded in
``ScreenReport.errors`` and the batch goes on; binary files found while walking a folder are
recorded in ``ScreenReport.skipped`` instead (a binary file named on its own is an error).

Images (:data:`~rightsguard.corpus.languages.IMAGE_SUFFIXES`) are screened by
:class:`~rightsguard.screen.images.ImageScreener`: one result each, modality ``image``. An image
named on its own is always screened; one found while walking a folder is screened when the index
holds image works or marks, and otherwise recorded in ``skipped`` like any binary file. Bytes
given directly (standard input, :meth:`Screener.screen_bytes`) are an image when Pillow opens them
as one (:func:`image_format`), else text or code.
"""

from __future__ import annotations

import codecs
import os
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path

from rightsguard.corpus.languages import (
    IMAGE_SUFFIXES,
    PROSE_LANGUAGES,
    TREE_SITTER_LANGUAGES,
    language_for_path,
    normalise_language,
)
from rightsguard.corpus.reading import (
    BINARY_SNIFF_BYTES,
    DEFAULT_MAX_BYTES,
    MAX_BYTES_SETTING,
    decode_text,
    nul_offset,
    read_source,
)
from rightsguard.errors import InputError
from rightsguard.index.store import Index
from rightsguard.model import (
    ImageMatch,
    Match,
    ScreenReport,
    ScreenResult,
    Skipped,
    Span,
    WorkSimilarity,
)
from rightsguard.screen.image_learned import LearnedModels
from rightsguard.screen.images import ImageScreener
from rightsguard.screen.matcher import Matcher, SimilarityFinder, Thresholds, verdict_of
from rightsguard.screen.policy import ScreenPolicy

#: Grammars tried, in this order, for code that comes without a language (one per family:
#: C-like, Java-like, scripting languages).
UNLABELLED_LANGUAGES = ("python", "javascript", "java", "c", "cpp", "go", "rust", "c_sharp",
                        "ruby", "php")
_CODE_PUNCTUATION = re.compile(r"[(){}\[\];=]")


def _looks_like_code(text: str) -> bool:
    """At least one of ``(){}[];=`` per 40 characters: prose rarely has that many."""
    return len(_CODE_PUNCTUATION.findall(text)) * 40 >= len(text) > 0


#: Why a look-up (``check --top``) passes over a file that is not an image.
NOT_AN_IMAGE = "not an image: --top ranks registered images only"


def image_format(data: bytes) -> str | None:
    """The Pillow format of ``data`` (``"PNG"``, ``"JPEG"``, ``"GIF"``, ``"WEBP"``,
    ``"TIFF"``, ``"BMP"``, … — one of :data:`~rightsguard.fingerprint.image.SUPPORTED_FORMATS`)
    when Pillow opens it as an image, else None. Only the header is read (``Image.open`` is
    lazy): a truncated or oversized image still has a format, and decoding it then says what
    is wrong."""
    import io
    import warnings

    from PIL import Image, UnidentifiedImageError

    from rightsguard.fingerprint.image import SUPPORTED_FORMATS

    Image.init()
    formats = [f for f in SUPPORTED_FORMATS if f in Image.OPEN]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # DecompressionBombWarning: decode_image decides
        try:
            with Image.open(io.BytesIO(data), formats=formats) as im:
                return str(im.format or "image")
        except Image.DecompressionBombError:
            return "image"  # an image, refused when decoded (with its size in the message)
        except UnidentifiedImageError:  # no plugin took it (Pillow tried them all)
            return None
        except Exception:  # a plugin took the header, then failed (a PNG text chunk over
            return "image"  # Pillow's limit raises ValueError): decoding says what is wrong


_SKIP_DIRS = frozenset({".git", ".hg", ".svn", "__pycache__", "node_modules", ".venv", ".tox"})


@dataclass(frozen=True, slots=True)
class Part:
    """A part of an input: ``text[start:end]`` of the whole input, as code or prose;
    ``label``: a fenced block's language label as written, if any."""

    start: int
    end: int
    modality: str
    language: str | None
    label: str | None = None


def split_parts(text: str, language: str | None) -> list[Part]:
    """Split a model output into prose and fenced code blocks (CommonMark fences).

    Code (``language`` given) is one part. Offsets are code points of ``text``.
    """
    if language is not None:
        return [Part(0, len(text), "code", language)]
    if "```" not in text and "~~~" not in text:
        return [Part(0, len(text), "text", None)]
    from markdown_it import MarkdownIt

    line_starts = [0]
    for i, ch in enumerate(text):
        if ch == "\n":
            line_starts.append(i + 1)
    line_starts.append(len(text))
    parts: list[Part] = []
    cursor = 0
    for tok in MarkdownIt("commonmark").parse(text):
        if tok.type != "fence" or tok.map is None:
            continue
        first, last = tok.map  # 0-based lines, half-open, including the fence lines
        body_s = line_starts[min(first + 1, len(line_starts) - 1)]
        # the last line is the closing fence, unless the block runs to the end unclosed (a
        # truncated answer): then it is the block's last line of code
        close = text[line_starts[min(last - 1, len(line_starts) - 1)]:
                     line_starts[min(last, len(line_starts) - 1)]].strip()
        closed = last - 1 > first and close.startswith(tok.markup) and \
            not close.strip(tok.markup[0])
        body_e = line_starts[min(max(first + 1, last - 1 if closed else last),
                                 len(line_starts) - 1)]
        if body_s > cursor:
            parts.append(Part(cursor, line_starts[first], "text", None))
        info = tok.info.strip().split()[0] if tok.info.strip() else ""
        lang = normalise_language(info) if info else None
        if lang in PROSE_LANGUAGES:  # ```text, ```markdown: prose
            lang = None
        parts.append(Part(body_s, body_e, "code" if lang else "text", lang, info or None))
        cursor = line_starts[min(last, len(line_starts) - 1)]
    if cursor < len(text):
        parts.append(Part(cursor, len(text), "text", None))
    return [p for p in parts if text[p.start:p.end].strip()]


def _named_like_an_image(path: Path) -> str:
    return f"named like an image ({path.suffix}) but holds text: screened as text"


def _shift(m: Match, offset: int, line_offset: int) -> Match:
    s = m.output_span
    # parts start at a line start of the answer: columns are the same in both
    return replace(m, output_span=Span(s.start + offset, s.end + offset,
                                       s.start_line + line_offset, s.end_line + line_offset,
                                       s.start_column, s.end_column))


@dataclass
class Screener:
    """A warm screening service over one index (reuse it: the index stays memory-mapped)."""

    index: Index
    policy: ScreenPolicy = field(default_factory=ScreenPolicy)
    thresholds: Thresholds = field(default_factory=Thresholds)
    max_bytes: int = DEFAULT_MAX_BYTES
    #: Optional learned image descriptor models (copy and, experimental, style): see
    #: :mod:`rightsguard.screen.image_learned`. None screens images with the classical cascade.
    image_models: LearnedModels | None = None
    _matcher: Matcher | None = None
    _similarity: SimilarityFinder | None = None
    _images: ImageScreener | None = None

    @property
    def images(self) -> ImageScreener:
        if self._images is None:
            screener = ImageScreener(self.index, self.policy)
            if self.image_models is not None and self.image_models.any():
                from rightsguard.screen.image_learned import LearnedStage

                screener.learned = LearnedStage(self.index, self.image_models, self.policy)
            self._images = screener
        return self._images

    def _image_bytes(self, path: Path) -> bytes:
        """The bytes of an image file, within the input limit (InputError naming it if not)."""
        try:
            size = path.stat().st_size
            if size > self.max_bytes:
                raise InputError(f"{path}: {size} bytes is over the input limit of "
                                 f"{self.max_bytes} bytes; raise the limit with "
                                 f"{MAX_BYTES_SETTING} to read it")
            return path.read_bytes()
        except OSError as exc:
            raise InputError(f"{path}: cannot be read ({exc.strerror or exc})") from exc

    def _screen_image_named(self, path: Path, language: str | None, prompt: str | None
                            ) -> list[ScreenResult]:
        """A file named like an image: screened as one, unless its bytes are no image Pillow
        opens (:func:`image_format`) but text (no NUL byte in the first
        :data:`~rightsguard.corpus.reading.BINARY_SNIFF_BYTES`): then as the text it holds,
        with a note — as standard input is, and as a folder walked for a code-only index
        already did (a text file named ``*.png`` was an error when named, ``clean`` in a
        folder). Empty and truncated images keep the image decoder's reason."""
        data = self._image_bytes(path)
        if data and image_format(data) is None and nul_offset(data[:BINARY_SNIFF_BYTES]) is None:
            text, notes = decode_text(data, str(path))
            return self.screen_text(text, name=str(path), language=language, prompt=prompt,
                                    notes=(_named_like_an_image(path), *notes))
        with self.index.pinned():
            return [self.images.screen_image(data, name=str(path))]

    def screen_image_path(self, path: Path) -> ScreenResult:
        """Screen one image file (raises InputError when it cannot be read or decoded)."""
        data = self._image_bytes(path)
        with self.index.pinned():
            return self.images.screen_image(data, name=str(path))

    def similar_images(self, path: str | os.PathLike[str], *, top: int = 10
                       ) -> list[ImageMatch]:
        """Registered images ranked by likeness to the image at ``path`` (a rights holder's
        look-up): see :meth:`ImageScreener.similar_images`."""
        data = self._image_bytes(Path(path))
        with self.index.pinned():
            return self.images.similar_images(data, name=str(path), top=top)

    def look_up(self, paths: Iterable[str | os.PathLike[str]], *, top: int,
                progress: Callable[[int, str], None] | None = None) -> ScreenReport:
        """``check --top K``: for each image in ``paths`` (files and folders), the ``top``
        registered images most like it, ranked (:meth:`look_up_bytes`), as one result each.

        Which files are images: in a folder, those with an image suffix
        (:data:`~rightsguard.corpus.languages.IMAGE_SUFFIXES`); the others are recorded in
        ``skipped`` (reason :data:`NOT_AN_IMAGE`). A file named in ``paths`` is an image when
        its suffix says so or Pillow opens its bytes as one (:func:`image_format`); a named
        file that is not an image is an ``errors`` entry naming it, and so is one that cannot
        be read or decoded. ``progress(done, path)`` is called before each file."""
        results: list[ScreenResult] = []
        errors: list[Skipped] = []
        skipped: list[Skipped] = []
        for done, (path, in_folder) in enumerate(_expand(paths, errors, skipped), start=1):
            if progress is not None:
                progress(done, str(path))
            if in_folder and path.suffix.lower() not in IMAGE_SUFFIXES:
                skipped.append(Skipped(str(path), NOT_AN_IMAGE))
                continue
            try:
                results.append(self.look_up_bytes(
                    self._image_bytes(path), name=str(path), top=top,
                    image_suffix=path.suffix.lower() in IMAGE_SUFFIXES))
            except InputError as exc:
                errors.append(Skipped(str(path), str(exc)))
        return ScreenReport(tuple(results), tuple(errors), tuple(skipped))

    def look_up_bytes(self, data: bytes, *, name: str = "-", top: int,
                      image_suffix: bool = False) -> ScreenResult:
        """The ``top`` registered images most like the image file bytes ``data``, ranked
        (:meth:`ImageScreener.similar_images`), as one ``image`` result named ``name``.

        Raises InputError naming ``name`` when ``data`` is not an image
        (:func:`image_format`: a look-up ranks images only) or cannot be decoded. With
        ``image_suffix`` (a file named ``*.png``, ``*.jpg``, …) the bytes are taken for an image
        whatever they hold, so an empty, truncated or mislabelled file gets the decoder's
        reason, as ``check`` without ``--top`` gives it."""
        if not image_suffix and image_format(data) is None:
            raise InputError(f"{name}: {NOT_AN_IMAGE}; run check without --top to screen "
                             "text and code")
        with self.index.pinned():
            found = self.images.similar_images(data, name=name, top=top)
        verdict = max((m.verdict for m in found), default=verdict_of([]))
        return ScreenResult(input=name, modality="image", language=None, verdict=verdict,
                            image_matches=tuple(found))

    def screen_bytes(self, data: bytes, *, name: str = "-", language: str | None = None,
                     prompt: str | None = None) -> list[ScreenResult]:
        """Screen one input given as bytes (standard input): an image when Pillow opens it
        as one (:func:`image_format`; one ``image`` result, whatever the index holds, as for
        an image file named on the command line), else text or code decoded as files are
        (:func:`~rightsguard.corpus.reading.decode_text`) and screened by
        :meth:`screen_text`.

        Raises InputError naming ``name``: an image that cannot be decoded (truncated, too
        many pixels), or bytes that are neither an image nor text (binary)."""
        if image_format(data) is not None:
            with self.index.pinned():
                return [self.images.screen_image(data, name=name)]
        text, notes = decode_text(data, name)
        return self.screen_text(text, name=name, language=language, prompt=prompt,
                                notes=tuple(notes))

    @property
    def matcher(self) -> Matcher:
        if self._matcher is None:
            self._matcher = Matcher(self.index, self.thresholds, self.policy)
        return self._matcher

    def _excluded_docs(self, work_ids: Iterable[str]) -> set[int]:
        """Document numbers of the registered works among ``work_ids`` (one id given as a
        string is that id, not its characters)."""
        ids = [work_ids] if isinstance(work_ids, str) else work_ids
        return {d for d in (self.index.registry.doc_of(w) for w in ids) if d is not None}

    def screen_text(self, text: str, *, name: str = "-", language: str | None = None,
                    prompt: str | None = None, exclude_work_ids: Iterable[str] = (),
                    notes: tuple[str, ...] = ()) -> list[ScreenResult]:
        """Screen one output. ``language``: code language, or None for prose/mixed output.

        Returns one result per part (see :func:`split_parts`).
        """
        with self.index.pinned():
            return self._screen_text(text, name=name, language=language, prompt=prompt,
                                     exclude_work_ids=exclude_work_ids, notes=notes)

    def _screen_text(self, text: str, *, name: str, language: str | None, prompt: str | None,
                     exclude_work_ids: Iterable[str], notes: tuple[str, ...]
                     ) -> list[ScreenResult]:
        exclude = self._excluded_docs(exclude_work_ids)
        lang = normalise_language(language) if language else None
        unknown = False  # a language was given that no fingerprinter knows
        prose = lang in PROSE_LANGUAGES  # a prose label (text, markdown) was given
        if prose:
            lang = None  # prose or a markdown answer: screened as without a label
        elif lang is not None and not self.matcher.tokenizer.supported(lang):
            unknown, lang = True, None
        results = []
        given = notes
        for part in split_parts(text, lang):
            notes = given  # each part's notes are its own
            body = text[part.start:part.end]
            line_offset = text.count("\n", 0, part.start)
            if part.modality == "code" and part.language and \
                    self.matcher.tokenizer.supported(part.language):
                matches, _tok = self.matcher.match_code(body, part.language, exclude=exclude,
                                                        prompt=prompt)
                modality, plang = "code", part.language
                if part.language not in TREE_SITTER_LANGUAGES:
                    # a markup, data or session language (html, yaml, latex, console, diff…):
                    # its lexer leaves the prose in it out of the words matched as text
                    seen = {m.work.work_id for m in matches}
                    matches += [m for m in self.matcher.match_text(body, exclude=exclude,
                                                                   prompt=prompt)
                                if m.work.work_id not in seen]
            else:
                matches = self.matcher.match_text(body, exclude=exclude, prompt=prompt)
                modality, plang = "text", None
                if _looks_like_code(body):
                    # unlabelled code (stdin, .txt, a fence without a tag) must not pass as
                    # prose: screen it as code in each common grammar and keep what matches
                    guessed, code_matches = self._unlabelled_code(body, exclude, prompt)
                    if guessed is not None:
                        seen = {m.work.work_id for m in code_matches}
                        matches = code_matches + [m for m in matches
                                                  if m.work.work_id not in seen]
                        modality, plang = "code", guessed
                        notes = (*notes, f"unknown language {language!r}: matched as {guessed} "
                                         "code" if unknown else
                                         f"labelled {language!r} but reads as code: matched as "
                                         f"{guessed} code" if prose else
                                         f"fence labelled {part.label!r} but reads as code: "
                                         f"matched as {guessed} code" if part.label else
                                         f"no language given: matched as {guessed} code "
                                         "(pass --language to set it)")
                screened_as_text = f"unknown language {language!r}: screened as text"
                if unknown and modality == "text" and screened_as_text not in notes:
                    notes = (*notes, screened_as_text)
            if part.start:
                matches = [_shift(m, part.start, line_offset) for m in matches]
            pnotes = notes
            if len(text) and (part.start, part.end) != (0, len(text)):
                last = line_offset + 1 + body.count("\n", 0, max(0, len(body) - 1))
                pnotes = (*notes, f"part {modality} at lines {line_offset + 1}-{last}")
            results.append(ScreenResult(input=name, modality=modality, language=plang,
                                        verdict=verdict_of(matches), matches=tuple(matches),
                                        notes=pnotes))
        if len(results) > 1:
            results += self._text_across_parts(text, name, results, exclude, prompt,
                                                      given)
        if not results:
            if unknown:
                notes = (*notes, f"unknown language {language!r}: screened as text")
            results.append(ScreenResult(input=name, modality="code" if lang else "text",
                                        language=lang, verdict=verdict_of([]), notes=notes))
        return results

    def _text_across_parts(self, text: str, name: str, parts: list[ScreenResult],
                                  exclude: set[int], prompt: str | None,
                                  notes: tuple[str, ...]) -> list[ScreenResult]:
        """Text copied across the parts of a mixed output: a song split into prose, a fence and
        prose had too little of it in each part (under the 50 tokens of a text match, under
        half of a short work) and passed as clean. The whole output is read as text once; a
        work it reproduces that no part reported is one more result, noted as found across
        parts (its spans are the output's)."""
        seen = {m.work.work_id for r in parts for m in r.matches}
        found = [m for m in self.matcher.match_text(text, exclude=exclude, prompt=prompt)
                 if m.work.work_id not in seen]
        if not found:
            return []
        return [ScreenResult(input=name, modality="text", language=None,
                             verdict=verdict_of(found), matches=tuple(found),
                             notes=(*notes, "copied across the output's parts (prose and "
                                            "code blocks read as one text)"))]

    def similar_works(self, text: str, *, language: str | None = None, top: int = 10,
                      exclude_work_ids: Iterable[str] = ()) -> list[WorkSimilarity]:
        """Works ranked by fingerprint similarity to ``text`` (no threshold), best first.

        For "is my work in it?" look-ups and similarity benchmarks (SOCO); see
        :class:`~rightsguard.screen.matcher.SimilarityFinder`. Returns at most ``top``
        :class:`~rightsguard.model.WorkSimilarity`.
        """
        from rightsguard.screen.matcher import SimilarityFinder

        if self._similarity is None:
            self._similarity = SimilarityFinder(self.index, self.matcher.tokenizer)
        exclude = self._excluded_docs(exclude_work_ids)
        lang = normalise_language(language) if language else None
        if lang is not None and not self.matcher.tokenizer.supported(lang):
            lang = None
        found = self._similarity.similar(text, lang, top=top, exclude=exclude)
        rows = self.index.rows([d for d, _s, _c in found])
        return [WorkSimilarity(rows[d].work, sim, per) for d, sim, per in found if d in rows]

    def _unlabelled_code(self, body: str, exclude: set[int], prompt: str | None
                         ) -> tuple[str | None, list[Match]]:
        """Screen unlabelled code as each of :data:`UNLABELLED_LANGUAGES` (code-exact matches
        are verified per character, so a grammar that tokenizes the copy differently finds
        nothing false); the language whose matches cover the most characters wins."""
        best: tuple[int, str | None, list[Match]] = (0, None, [])
        for lang in UNLABELLED_LANGUAGES:
            found, _tok = self.matcher.match_code(body, lang, exclude=exclude, prompt=prompt)
            found = [m for m in found if m.channel != "text"]  # prose matches come separately
            total = sum(m.matched_chars_nows for m in found)
            if total > best[0]:
                best = (total, lang, found)
        return best[1], best[2]

    def screen_path(self, path: Path, *, language: str | None = None,
                    prompt: str | None = None) -> list[ScreenResult]:
        """Screen one file (raises InputError when it cannot be read as text)."""
        _raw, text, notes = read_source(path, self.max_bytes)
        lang = language or language_for_path(path)
        return self.screen_text(text, name=str(path), language=lang, prompt=prompt,
                                notes=tuple(notes))

    def check(self, paths: Iterable[str | os.PathLike[str]] = (), *, text: str | None = None,
              name: str = "-", language: str | None = None,
              prompt: str | None = None,
              progress: Callable[[int, str], None] | None = None) -> ScreenReport:
        """Screen files and folders (recursively) and/or one ``text``; bad inputs are recorded
        in ``errors`` and the batch goes on.

        A binary file found while walking a folder (a NUL byte in its first
        :data:`~rightsguard.corpus.reading.BINARY_SNIFF_BYTES` bytes, git's rule) is recorded
        in ``skipped``, not ``errors``: images and archives sit in most source trees. A binary
        file named in ``paths`` stays an error, and so does a text file that cannot be read
        (permission denied, too large, an encoding that is refused).

        ``progress(done, path)`` is called after each file (for a progress bar)."""
        results: list[ScreenResult] = []
        errors: list[Skipped] = []
        skipped: list[Skipped] = []
        if text is not None:
            results.extend(self.screen_text(text, name=name, language=language, prompt=prompt))
        for done, (path, in_folder) in enumerate(_expand(paths, errors, skipped), start=1):
            if progress is not None:
                progress(done, str(path))
            if path.suffix.lower() in IMAGE_SUFFIXES and \
                    (not in_folder or self.images.has_images()):
                try:
                    results.extend(self._screen_image_named(path, language, prompt))
                except InputError as exc:
                    errors.append(Skipped(str(path), str(exc)))
                continue
            try:
                found = self.screen_path(path, language=language, prompt=prompt)
                if path.suffix.lower() in IMAGE_SUFFIXES:  # a code-only index's folder walk
                    found = [replace(r, notes=(_named_like_an_image(path), *r.notes))
                             for r in found]
                results.extend(found)
            except InputError as exc:
                nul = _nul_offset(path) if in_folder else None
                if nul is None:
                    errors.append(Skipped(str(path), str(exc)))
                else:
                    skipped.append(Skipped(str(path), f"binary file (NUL byte at offset {nul})"))
        return ScreenReport(tuple(results), tuple(errors), tuple(skipped))


def _expand(paths: Iterable[str | os.PathLike[str]], errors: list[Skipped],
            skipped: list[Skipped] | None = None) -> Iterator[tuple[Path, bool]]:
    """Each file to screen, with True when it was found by walking a folder (False: named).

    What cannot be screened is never silently left out (that would read as clean): a path that
    cannot be read (missing, a symbolic link loop, no permission) and a folder or subfolder that
    cannot be listed are ``errors``; a broken symbolic link or another non-regular file (a FIFO,
    a socket) found in a folder is ``skipped``."""

    def unlistable(exc: OSError) -> None:
        where = exc.filename if exc.filename is not None else "?"
        errors.append(Skipped(str(where), f"{where}: folder cannot be listed: "
                                          f"{(exc.strerror or str(exc)).lower()}"))

    # one path given as a string (not a list of them) is that path, not its characters: "/"
    # walked the whole file system
    paths = [paths] if isinstance(paths, (str, os.PathLike)) else list(paths)
    # a file named twice, or named and also inside a folder named, is one input: a named one
    named = {os.path.realpath(p) for p in paths if not Path(p).is_dir()}
    seen: set[str] = set()  # real paths (a link loop does not raise)
    for p in paths:
        path = Path(p)
        if path.is_dir():
            for root, dirs, files in os.walk(path, onerror=unlistable):
                dirs[:] = sorted(d for d in dirs if d not in _SKIP_DIRS)
                for f in sorted(files):
                    child = Path(root) / f
                    if child.is_file():  # regular files only: a FIFO in a folder never ends
                        real = os.path.realpath(child)
                        if real not in seen and real not in named:
                            seen.add(real)
                            yield child, True
                    elif skipped is not None:
                        skipped.append(Skipped(str(child), "broken symbolic link"
                                               if child.is_symlink() and not child.exists()
                                               else "not a regular file"))
        else:
            try:
                path.stat()
            except OSError as exc:  # missing, a symbolic link loop, a folder not searchable
                why = "no such file or folder" if isinstance(exc, FileNotFoundError) \
                    else (exc.strerror or str(exc)).lower()
                errors.append(Skipped(str(path), f"{path}: {why}"))
                continue
            real = os.path.realpath(path)
            if real not in seen:
                seen.add(real)
                yield path, False


def _nul_offset(path: Path) -> int | None:
    """:func:`~rightsguard.corpus.reading.nul_offset` of the file at ``path`` (None when it
    cannot be opened). Called only after reading failed, so it also catches a binary over the
    size limit."""
    try:
        with path.open("rb") as fh:
            return nul_offset(fh.read(len(codecs.BOM_UTF8) + BINARY_SNIFF_BYTES))
    except OSError:
        return None


def check(paths: Iterable[str | os.PathLike[str]] = (), *, index: Index | str | os.PathLike[str],
          text: str | None = None, name: str = "-", language: str | None = None,
          prompt: str | None = None, policy: ScreenPolicy | None = None,
          thresholds: Thresholds | None = None) -> ScreenReport:
    """Screen ``paths`` and/or ``text`` against ``index`` (an :class:`Index` or its folder;
    ``~`` is expanded).

    For repeated calls keep a :class:`Screener` instead: it keeps the index warm.
    """
    idx = index if isinstance(index, Index) else Index.open(Path(index).expanduser())
    screener = Screener(idx, policy or ScreenPolicy(), thresholds or Thresholds())
    return screener.check(paths, text=text, name=name, language=language, prompt=prompt)
