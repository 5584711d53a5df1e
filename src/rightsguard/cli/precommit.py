"""Pre-commit hook: screen only what a commit adds.

Each file is screened as staged (``git show :path``, what the commit records), not as the
working tree holds it, with a note when the two differ.
For each staged file that was committed before — under its path, or under the path a staged
rename moves it from (git's rename detection) — the committed version is screened too, and a
match counts only when the committed version has no match of the same work with the same text,
or copying the same part of it (90% of the match's work span), and the same inline-ignore state
(a copy already there is not new, wherever it moved or however it was edited). For a
new file, or outside a git checkout, ``git diff --cached -U0`` gives the added line ranges and
a match counts when its output span overlaps one. (Line ranges alone let a second, identical copy
of an ignored block through: git's diff called the first copy the added one.) Matches to the
file itself (its own indexed copy, by file URI or repository path, the old one too when it
moved, and the indexed copies of files the commit deletes, whose text was in the repository
already: a vendored copy elsewhere still counts) are skipped, a match whose first line or the
line above it (or most of its lines) carries a ``# rightsguard: ignore`` comment is accepted,
and a baseline file lists accepted matches, one per line: a work id, or ``path:work-id``
(``#`` starts a comment).
"""

from __future__ import annotations

import os
import re
import subprocess
from collections import Counter
from collections.abc import Iterable
from dataclasses import replace
from pathlib import Path

from rightsguard.corpus._git import repository_url
from rightsguard.model import Match, ScreenReport, ScreenResult, Span

_HUNK = re.compile(r"^@@ -\d+(?:,\d+)? \+(\d+)(?:,(\d+))? @@", re.M)
IGNORE_MARK = "rightsguard: ignore"


def added_lines(path: str) -> set[int] | None:
    """1-based line numbers the staged change adds to ``path`` (None: not in a git checkout)."""
    try:
        diff = subprocess.run(["git", "diff", "--cached", "-U0", "--no-color", "--", path],
                              capture_output=True, text=True, check=True).stdout
    except (OSError, subprocess.CalledProcessError):
        return None
    lines: set[int] = set()
    for m in _HUNK.finditer(diff):
        start, count = int(m.group(1)), int(m.group(2) or "1")
        lines.update(range(start, start + count))
    return lines


def staged_moves() -> tuple[dict[Path, Path], list[Path]]:
    """What the staged change moves: ``({new path: old path}, deleted paths)``, resolved, by
    git's rename detection (``git diff --cached -M``: at least 50% similar); empty outside a git
    checkout. A moved file is the same file: its old path's committed version and indexed copy
    are its own. A file moved with large edits is, to git, one deleted and one added: text the
    commit deletes from one file and adds to another was in the repository already, so the
    deleted files' indexed copies count as the file's own too."""
    try:
        top = Path(subprocess.run(["git", "rev-parse", "--show-toplevel"], capture_output=True,
                                  text=True, check=True).stdout.strip())
        out = subprocess.run(["git", "diff", "--cached", "-M", "--name-status", "-z",
                              "--diff-filter=RD"], capture_output=True, text=True,
                             check=True).stdout
    except (OSError, subprocess.CalledProcessError):
        return {}, []
    renames: dict[Path, Path] = {}
    deleted: list[Path] = []
    fields = iter(out.split("\0"))
    for status in fields:  # a status, then one path (deleted) or two (renamed: old, new)
        if status.startswith("R"):
            old, new = next(fields, ""), next(fields, "")
            renames[(top / new).resolve()] = (top / old).resolve()
        elif status == "D":
            deleted.append((top / next(fields, "")).resolve())
    return renames, deleted


def read_baseline(path: Path) -> set[str]:
    if not path.is_file():
        return set()
    out = set()
    for line in path.read_text("utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            out.add(line)
    return out


_IGNORE = re.compile(r"(#|//|/\*|--|;)\s*" + re.escape(IGNORE_MARK))


def _ignored(lines: list[str], span: Span) -> bool:
    """A match is accepted inline when its first line or the line above it carries the marker
    (a comment above a copied block), or when most of its non-blank lines do (every copied line
    marked). A match that starts after other text on its first line (a renamed match often
    takes the ``;`` or ``}`` ending the new code before the copy) has its next line as first
    line too, as a reader sees it."""
    first, last = span.start_line, span.end_line
    heads = [first - 1, first]
    if 0 < first <= len(lines) and lines[first - 1][:span.start_column - 1].strip():
        heads.append(first + 1)
    if any(_IGNORE.search(lines[n - 1]) for n in heads if 0 < n <= len(lines)):
        return True
    body = [ln for ln in lines[max(0, first - 1):last] if ln.strip()]
    return bool(body) and sum(1 for ln in body if _IGNORE.search(ln)) * 2 >= len(body)


def self_sources(path: Path, also: Iterable[Path] = ()) -> set[object]:
    """How the index would name ``path`` itself: its ``file://`` URI, and (repository URL,
    path in the repository) when it is in a git checkout with a remote; the same for the paths
    ``also`` (resolved: where the staged change moves it from, and the files it deletes). A
    match to one of these is the file matching its own indexed copy; a vendored copy elsewhere
    is not."""
    resolved = path.resolve()
    paths = [resolved, *also]
    names: set[object] = {p.as_uri() for p in paths}
    try:
        top = subprocess.run(["git", "rev-parse", "--show-toplevel"], cwd=resolved.parent,
                             capture_output=True, text=True, check=True).stdout.strip()
        remote = subprocess.run(["git", "config", "--get", "remote.origin.url"], cwd=top,
                                capture_output=True, text=True, check=False).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return names
    if remote:
        for p in paths:
            if p.is_relative_to(Path(top).resolve()):
                names.add((repository_url(remote),
                           p.relative_to(Path(top).resolve()).as_posix()))
    return names


def committed_text(path: str) -> str | None:
    """``path`` as last committed (``git show HEAD:./path``, UTF-8 with invalid bytes replaced);
    None for a new file or outside a git checkout."""
    rel = os.path.relpath(path)
    try:
        raw = subprocess.run(["git", "show", f"HEAD:./{Path(rel).as_posix()}"],
                             capture_output=True, check=True).stdout
    except (OSError, subprocess.CalledProcessError):
        return None
    return raw.decode("utf-8", "replace")


def staged_bytes(path: str) -> bytes | None:
    """``path`` as staged for the commit (``git show :./path``, the index's stage 0); None
    outside a git checkout or when it is not in the index."""
    rel = os.path.relpath(path)
    try:
        return subprocess.run(["git", "show", f":./{Path(rel).as_posix()}"],
                              capture_output=True, check=True).stdout
    except (OSError, subprocess.CalledProcessError):
        return None


#: A copy in one version of a file: (work id, its output text without whitespace, work span
#: start, work span end (code points), whether it is ignored inline).
MatchKey = tuple[str, str, int, int, bool]

#: Share of a match's work span that must lie inside a committed copy's for it to be that copy
#: edited: editing a comment inside an already committed copy changes its text, not what it
#: copies (a newcomer's one-line edit in a committed 73-line copy was reported as new).
SAME_COPY_SHARE = 0.9


def match_keys(result: ScreenResult, text: str) -> Counter[MatchKey]:
    """What identifies a match across versions of one file: its work, its output text without
    whitespace, the part of the work it copies and whether it is ignored inline — counted (a
    file may hold a copy twice)."""
    lines = text.splitlines()
    return Counter(_key(m, text, lines) for m in result.matches)


def _key(m: Match, text: str, lines: list[str]) -> MatchKey:
    copied = "".join(text[m.output_span.start:m.output_span.end].split())
    return (m.work.work_id, copied, m.work_span.start, m.work_span.end,
            _ignored(lines, m.output_span))


def _committed_copy(key: MatchKey, old: Counter[MatchKey]) -> MatchKey | None:
    """The committed copy that match ``key`` is: one with the same work, ignore state and text,
    else one whose work span holds :data:`SAME_COPY_SHARE` of the match's; None when it is
    new."""
    if old[key] > 0:
        return key
    work, _text, start, end, ignored = key
    for k, n in old.items():
        if n > 0 and k[0] == work and k[4] == ignored and \
                min(end, k[3]) - max(start, k[2]) >= SAME_COPY_SHARE * (end - start):
            return k
    return None


def filter_result(result: ScreenResult, text: str, added: set[int] | None,
                  baseline: set[str], committed: Counter[MatchKey] | None = None,
                  also_self: Iterable[Path] = ()) -> ScreenResult:
    """Keep matches that are new — not a copy in ``committed`` (the committed version's
    :func:`match_keys`, :func:`_committed_copy`) when given, else touching ``added`` lines —
    and are not ignored inline, not to the file itself (under its path or those ``also_self``,
    :func:`self_sources`) and not in the baseline."""
    from rightsguard.screen.matcher import verdict_of

    lines = text.splitlines()
    me = self_sources(Path(result.input), also_self)
    old = Counter(committed) if committed is not None else None
    keep = []
    for m in result.matches:
        if old is not None:
            same = _committed_copy(_key(m, text, lines), old)
            if same is not None:
                old[same] -= 1
                continue
        elif added is not None and not any(
                n in added for n in range(m.output_span.start_line, m.output_span.end_line + 1)):
            continue
        if _ignored(lines, m.output_span):
            continue
        if any(s.uri in me or (s.repository and (repository_url(s.repository), s.path) in me)
               for s in m.work.sources):  # (indexes before remotes had one spelling too)
            continue
        if m.work.work_id in baseline or f"{result.input}:{m.work.work_id}" in baseline:
            continue
        keep.append(m)
    return replace(result, matches=tuple(keep), verdict=verdict_of(keep))


#: Files at the top of a repository that state its licence, in the order they are tried.
LICENCE_FILES = ("LICENSE", "LICENSE.txt", "LICENSE.md", "LICENCE", "LICENCE.txt", "COPYING",
                 "COPYING.txt", "COPYING.md")


def repository_licence(start: Path) -> tuple[str, Path] | None:
    """The licence of the git repository containing ``start`` (else of ``start`` itself), from
    its top-level LICENSE/COPYING file through the licence detector: ``(expression, file)``."""
    from rightsguard.signals.licences import detect_licence_text

    try:
        top = Path(subprocess.run(["git", "rev-parse", "--show-toplevel"], cwd=start,
                                  capture_output=True, text=True, check=True).stdout.strip())
    except (OSError, subprocess.CalledProcessError):
        top = start
    for name in LICENCE_FILES:
        f = top / name
        if f.is_file():
            found = detect_licence_text(f.read_text("utf-8", "replace"))
            if found is not None:
                return found.expression, f
    return None


def run_precommit(files: list[str], home: Path, baseline_path: Path, fmt: str, *,
                  output_licence: str | None = None) -> int:
    """Screen the staged ``files``; the policy's output licence is ``output_licence`` or the
    repository's own (so copyleft code compatible with it is allowed with attribution)."""
    from rightsguard.cli.entry import emit
    from rightsguard.corpus.languages import language_for_path
    from rightsguard.corpus.reading import decode_text, read_source
    from rightsguard.errors import InputError
    from rightsguard.index.store import Index
    from rightsguard.model import Skipped
    from rightsguard.screen.api import Screener
    from rightsguard.screen.policy import ScreenPolicy

    if output_licence is None:
        found = repository_licence(Path.cwd())
        output_licence = found[0] if found else None
    screener = Screener(Index.open(home), ScreenPolicy(output_licence=output_licence))
    baseline = read_baseline(baseline_path)
    renames, deleted = staged_moves()
    results: list[ScreenResult] = []
    errors: list[Skipped] = []
    for f in files:
        try:
            raw, text, notes = read_source(f)
            # what the commit records is the staged version: a raw git hook runs on a working
            # tree that may differ from it (pre-commit the framework stashes the difference)
            staged = staged_bytes(f)
            if staged is not None and staged != raw:
                text, notes = decode_text(staged, name=f"{f} (staged)")
                notes = [*notes, "screened as staged: the working tree's copy differs"]
        except InputError as exc:
            if "binary" in str(exc):
                continue  # binaries are not screened by the hook
            errors.append(Skipped(f, str(exc)))
            continue
        added = added_lines(f)
        moved_from = renames.get(Path(f).resolve())
        before = committed_text(f if moved_from is None else str(moved_from))
        committed: Counter[MatchKey] | None = None
        if before is not None:
            committed = Counter()
            for r in screener.screen_text(before, name=f, language=language_for_path(Path(f))):
                committed += match_keys(r, before)
        for r in screener.screen_text(text, name=f, language=language_for_path(Path(f)),
                                      notes=tuple(notes)):
            results.append(filter_result(r, text, added, baseline, committed,
                                         [*([moved_from] if moved_from else []), *deleted]))
    report = ScreenReport(tuple(results), tuple(errors))
    emit(report, fmt)
    return 2 if errors else report.verdict.exit_code
