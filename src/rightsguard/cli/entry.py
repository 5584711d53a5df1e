"""The console entry point, and ``check`` without Typer on its hot path.

``rightsguard check`` runs once per generated file (editors, hooks, CI), so its start-up counts.
Typer builds a pydantic adapter for every parameter of the command it runs, and Rich is large:
together they cost more than the screening itself (``bench/startup.py`` measures it). So
:func:`main` parses a plain ``check`` invocation itself — only the options the Typer command
declares, each once, with a value — and runs :func:`run_check`, the same function the Typer
command calls. Anything else (``--help``, unknown or repeated options, a missing value or path,
every other command) goes to the Typer app in :mod:`rightsguard.cli.commands`, which stays the
one definition of the command line (``tests/cli/test_entry.py`` keeps the two in step). Rich is
imported only to print a human report or a message on stderr.
"""

from __future__ import annotations

import os
import signal
import sys
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

from rightsguard.config import Settings
from rightsguard.errors import InputError, RightsguardError

if TYPE_CHECKING:
    from collections.abc import Callable

    from rich.console import Console

    from rightsguard.model import ScreenReport

FORMATS = ("human", "json", "sarif")

#: ``check`` options (as the Typer command declares them) → :func:`run_check` keyword.
CHECK_OPTIONS = {"--index": "index", "--prompt": "prompt", "--language": "language",
                 "--format": "fmt", "--output-licence": "output_licence", "--top": "top",
                 "--descriptor-model": "descriptor_model", "--style-model": "style_model"}


def err_console() -> Console:
    """A Rich console on stderr that never wraps (messages name long paths)."""
    from rich.console import Console

    return Console(stderr=True, soft_wrap=True)


def run_check(paths: list[str], *, index: Path | None = None, prompt: Path | None = None,
              language: str | None = None, fmt: str = "human",
              output_licence: str | None = None, top: int | None = None,
              descriptor_model: Path | None = None, style_model: Path | None = None) -> int:
    """``rightsguard check``: screen ``paths`` (``-`` is stdin), print the report in ``fmt``,
    return the exit code (0 clean/attribute, 1 review/block, 2 bad input or format).

    ``descriptor_model`` / ``style_model``: optional ONNX descriptor models for images
    (:mod:`rightsguard.screen.image_learned`), loaded before anything is screened.

    Raises :class:`~rightsguard.errors.RightsguardError` (the CLI: message, exit 2) when the
    index, the prompt or a model file cannot be used; an index that cannot be opened is also
    reported in ``json``/``sarif`` as an ``errors`` entry naming the index folder (verdict
    ``review``), so a job parsing stdout gets a report."""
    if fmt not in FORMATS:
        err_console().print(f"--format must be human, json or sarif, not {fmt!r}", markup=False)
        return 2
    if output_licence is not None:
        output_licence = _output_licence(output_licence)
    from rightsguard.errors import IndexError_
    from rightsguard.index.store import Index
    from rightsguard.model import ScreenReport, ScreenResult, Skipped
    from rightsguard.screen.api import Screener
    from rightsguard.screen.policy import ScreenPolicy

    settings = Settings.load(home=index)
    prompt_text = None
    if prompt:
        from rightsguard.corpus.reading import decode_text, nul_offset
        from rightsguard.errors import BinaryInputError

        if str(prompt) == "-":  # the prompt on standard input, the outputs in files
            if "-" in paths:
                raise InputError("--prompt -: standard input is already the output to screen; "
                                 "give the prompt as a file")
            raw = read_stdin(settings.max_input_bytes)
        else:
            try:
                raw = prompt.read_bytes()
            except OSError as exc:
                raise InputError(f"--prompt {prompt}: cannot be read "
                                 f"({exc.strerror or exc})") from None
        # as an input is read: a binary prompt is an error, not text full of replacements
        nul = nul_offset(raw)
        if nul is not None:
            raise BinaryInputError(f"--prompt {prompt}: binary file (NUL byte at offset {nul}); "
                                   "a prompt is the text given to the model")
        prompt_text = decode_text(raw, f"--prompt {prompt}")[0]
    image_models = None
    if descriptor_model is not None or style_model is not None:
        from rightsguard.screen.image_learned import LearnedModels

        image_models = LearnedModels(descriptor=descriptor_model, style=style_model)
    try:
        index_ = Index.open(settings.home)
    except IndexError_ as exc:
        if fmt == "human":
            raise
        # a CI job parsing the report gets one, with the reason (emit also says it on stderr)
        emit(ScreenReport((), (Skipped(str(settings.home), str(exc)),)), fmt)
        return 2
    screener = Screener(index_, ScreenPolicy(output_licence=output_licence),
                        max_bytes=settings.max_input_bytes, image_models=image_models)
    if screener.images.learned is not None:
        screener.images.learned.load()  # a bad model file is an error before any screening
    stdin_results: list[ScreenResult] = []
    stdin_errors: list[Skipped] = []
    if "-" in paths:
        try:  # an image on stdin is screened (or looked up) as one, anything else as text
            raw = read_stdin(settings.max_input_bytes)
            if top is not None:
                stdin_results = [screener.look_up_bytes(raw, name="-", top=top)]
            else:
                stdin_results = screener.screen_bytes(raw, name="-", language=language,
                                                      prompt=prompt_text)
        except InputError as exc:
            stdin_errors.append(Skipped("-", str(exc)))
    files = [p for p in paths if p != "-"]

    def run(progress: Callable[[int, str], None] | None) -> ScreenReport:
        if top is not None:
            return screener.look_up(files, top=top, progress=progress)
        return screener.check(files, language=language, prompt=prompt_text, progress=progress)

    if fmt == "human" and _batch(files) and sys.stderr.isatty():
        # a folder may hold thousands of files, an image takes 0.1–1 s: show progress
        from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

        with Progress(SpinnerColumn(), TextColumn("[bold]Screening[/] file {task.fields[n]}"),
                      TextColumn("{task.fields[path]}", style="dim"), TimeElapsedColumn(),
                      console=err_console(), transient=True) as bar:
            task = bar.add_task("check", total=None, n=0, path="")
            report = run(lambda n, p: bar.update(task, n=n, path=p[-60:]))
    else:
        report = run(None)
    report = ScreenReport((*stdin_results, *report.results), (*stdin_errors, *report.errors),
                          report.skipped)
    emit(report, fmt)
    return 2 if report.errors else report.verdict.exit_code  # skipped binaries never count


def _batch(paths: list[str]) -> bool:
    """True when ``paths`` are worth a progress bar: a folder, or more than one image."""
    from rightsguard.corpus.languages import IMAGE_SUFFIXES

    images = sum(os.path.splitext(p)[1].lower() in IMAGE_SUFFIXES for p in paths)
    return images > 1 or any(os.path.isdir(p) for p in paths)


def _output_licence(value: str) -> str:
    """``--output-licence`` as a normalised SPDX expression (``gpl-3.0`` → ``GPL-3.0-only``).

    Raises :class:`~rightsguard.errors.LicenceError` (exit 2) naming the option and the value."""
    from rightsguard.errors import LicenceError
    from rightsguard.signals.licences import normalise_expression

    try:
        return normalise_expression(value)
    except LicenceError as exc:
        raise LicenceError(f"--output-licence {value!r}: {exc}") from None


def _mib(n: int) -> str:
    return f"{n / (1024 * 1024):.1f} MiB ({n} bytes)"


def read_stdin(max_bytes: int) -> bytes:
    """Standard input's bytes, at most ``max_bytes`` (``max_bytes + 1`` are read to tell);
    :meth:`~rightsguard.screen.api.Screener.screen_bytes` decides whether they are an image
    or text.

    Raises :class:`~rightsguard.errors.InputError` (named ``-``) when there is no standard
    input, or when it holds more than ``max_bytes`` (``RIGHTSGUARD_MAX_INPUT_BYTES``) — it is
    not read further."""
    from rightsguard.corpus.reading import MAX_BYTES_SETTING

    stream = getattr(sys.stdin, "buffer", None)
    if stream is None:
        raise InputError("-: no standard input to read")
    raw = stream.read(max_bytes + 1)  # never more: a huge or endless stdin is not held whole
    if len(raw) > max_bytes:
        raise InputError(f"-: standard input is larger than the input limit of {_mib(max_bytes)}"
                         f" (not read past byte {max_bytes + 1}); raise the limit with "
                         f"{MAX_BYTES_SETTING} to read it")
    return bytes(raw)


def emit(report: ScreenReport, fmt: str) -> None:
    """Print ``report`` as ``fmt`` (json, sarif or human) on stdout, its errors on stderr
    (unless the human report went to the same terminal).

    When the reader closes stdout (``… | head``) it stops quietly: exit
    :data:`EXIT_BROKEN_PIPE`, on the Typer path too (Click would exit 1, a verdict's code)."""
    try:
        if fmt == "json":
            from rightsguard.report.json import to_json

            print(to_json(report))
        elif fmt == "sarif":
            import json
            from importlib.metadata import version

            from rightsguard.report.sarif import to_sarif

            print(json.dumps(to_sarif(report, tool_version=version("rightsguard")), indent=2))
        else:
            from rich.console import Console

            from rightsguard.report.human import render_human

            console = Console(width=report_width())
            console.on_broken_pipe = stdout_closed  # type: ignore[method-assign]  # Rich: exit 1
            render_human(report, console)
        sys.stdout.flush()
    except BrokenPipeError:
        stdout_closed()
    if fmt == "human" and _same_terminal():
        return  # the human report just printed each error there already
    for e in report.errors:
        err_console().print(f"error: {e.reason}", markup=False, highlight=False)


#: Width of the human report when stdout is not a terminal and ``COLUMNS`` is unset (a pre-commit
#: or CI log, a file). Rich's 80 columns broke words in the per-input table ("Coverag e",
#: "NOASSER TION"; a newcomer's pre-commit output); logs take long lines.
LOG_WIDTH = 120


def report_width() -> int | None:
    """The human report's width: the terminal's, ``COLUMNS``, else :data:`LOG_WIDTH`."""
    if "COLUMNS" in os.environ:
        return None  # Rich reads it
    try:
        if sys.stdout.isatty():
            return None
    except (AttributeError, ValueError):  # a closed or replaced stdout
        pass
    return LOG_WIDTH


def _same_terminal() -> bool:
    """Whether stdout and stderr are one terminal (so an error line on stderr would repeat
    what the human report on stdout says)."""
    try:
        return (sys.stdout.isatty() and sys.stderr.isatty()
                and os.ttyname(sys.stdout.fileno()) == os.ttyname(sys.stderr.fileno()))
    except (OSError, ValueError, AttributeError):
        return False


#: Exit status when the reader of stdout goes away (``rightsguard check … | head``): 128 +
#: SIGPIPE, what a shell reports for a program the signal ends, so ``set -o pipefail`` scripts
#: see what they see from ``cat`` or ``grep``, and it is never taken for a verdict's 0 or 1.
EXIT_BROKEN_PIPE = 141
#: Exit status after Ctrl-C: 128 + SIGINT, as shells report a process SIGINT ended.
EXIT_INTERRUPTED = 130


def stdout_closed() -> NoReturn:
    """Stop quietly after stdout's reader went away: point stdout at devnull so the flush at
    exit does not fail again (Python's "Note on SIGPIPE"), exit :data:`EXIT_BROKEN_PIPE`."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    os.close(devnull)
    raise SystemExit(EXIT_BROKEN_PIPE)


def parse_check(args: list[str]) -> tuple[list[str], dict[str, str]] | None:
    """``check`` arguments as (paths, {run_check keyword: string value}), or None when
    the Typer app must handle them: help, an unknown or repeated option, an option without a
    value (or with one that starts with ``-``), or no path. Parses like Click: ``--opt value``
    and ``--opt=value`` anywhere, ``-`` is a path, everything after ``--`` is a path."""
    paths: list[str] = []
    opts: dict[str, str] = {}
    i = 0
    while i < len(args):
        tok = args[i]
        i += 1
        if tok == "--":
            paths.extend(args[i:])
            break
        if tok == "-" or not tok.startswith("-"):
            paths.append(tok)
            continue
        name, eq, value = tok.partition("=")
        key = CHECK_OPTIONS.get(name)
        if key is None or key in opts:
            return None
        if not eq:
            if i >= len(args):
                return None
            value = args[i]
            i += 1
        if not value or value.startswith("-"):
            return None
        opts[key] = value
    return (paths, opts) if paths else None


def _fast_check(argv: list[str]) -> int | None:
    if not argv or argv[0] != "check" or any(
            k.startswith("_") and k.endswith("_COMPLETE") for k in os.environ):
        return None  # not check, or a shell asking Click for completions
    parsed = parse_check(argv[1:])
    if parsed is None:
        return None
    paths, kw = parsed
    top: int | None = None
    if "top" in kw:
        if not kw["top"].isdigit() or int(kw["top"]) < 1:
            return None  # Typer reports the bad value
        top = int(kw["top"])
    return run_check(paths, index=Path(kw["index"]) if "index" in kw else None,
                     prompt=Path(kw["prompt"]) if "prompt" in kw else None,
                     language=kw.get("language"), fmt=kw.get("fmt", "human"),
                     output_licence=kw.get("output_licence"), top=top,
                     descriptor_model=Path(kw["descriptor_model"]) if "descriptor_model" in kw
                     else None,
                     style_model=Path(kw["style_model"]) if "style_model" in kw else None)


def _interrupted(signum: int, frame: object) -> NoReturn:
    """Ctrl-C: stop, once. ``uv run`` forwards the terminal's SIGINT to the process that
    already got it, and a second KeyboardInterrupt during the clean-up (stopping ``index
    add``'s worker pool) left a newcomer's ``demo`` hanging; later ones are ignored."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    raise KeyboardInterrupt


def main() -> None:
    """Console entry point: RightsguardError → message on stderr, exit 2; stdout closed by its
    reader (a pipe into ``head``) → no traceback, exit :data:`EXIT_BROKEN_PIPE`."""
    signal.signal(signal.SIGINT, _interrupted)
    try:
        try:
            rc = _fast_check(sys.argv[1:])
            if rc is None:
                from rightsguard.cli.commands import run_app

                rc = run_app()
        except RightsguardError as exc:
            err_console().print(f"error: {exc}", markup=False, highlight=False)
            rc = 2
        except KeyboardInterrupt:  # outside Typer, which turns Ctrl-C into exit status 130
            rc = EXIT_INTERRUPTED
        if rc == EXIT_INTERRUPTED:
            err_console().print("interrupted", markup=False, highlight=False)
        sys.stdout.flush()  # a closed pipe shows up here, not at interpreter exit
    except BrokenPipeError:
        stdout_closed()
    sys.exit(rc)
