"""``rightsguard demo | index | check | precommit | audit | policy``: the one Typer app.

Exit codes: 0 clean or attribute, 1 review or block, 2 error (bad input, unusable index, bad
option value); ``check`` exits 141 (128 + SIGPIPE) when the reader of its output goes away
(``rightsguard check … | head``), without a traceback.
A plain ``check`` does not come here: :mod:`rightsguard.cli.entry` parses it without Typer and
calls the same :func:`~rightsguard.cli.entry.run_check`.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from rightsguard.cli.audit import audit_cmd, policy_app
from rightsguard.cli.entry import err_console, report_width, run_check
from rightsguard.config import Settings

app = typer.Typer(add_completion=False, no_args_is_help=True, rich_markup_mode="markdown",
                  help="Screen generated code, text and images for reproduced protected works.")
index_app = typer.Typer(no_args_is_help=True, help="Build and inspect the index of works.")
app.add_typer(index_app, name="index")
app.command("audit")(audit_cmd)
app.add_typer(policy_app, name="policy")

IndexOpt = Annotated[Path | None, typer.Option(
    "--index", help="Index folder (default: $RIGHTSGUARD_HOME, else the user data folder).")]
QuietOpt = Annotated[bool, typer.Option("--quiet", "-q", help="No progress bars.")]


def _settings(index: Path | None) -> Settings:
    return Settings.load(home=index)


def _progress_add(items: object, index_path: Path, quiet: bool, label: str,
                  registry_url: str | None = None) -> object:
    from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    from rightsguard.index.store import Index

    if registry_url is None:
        idx = Index.open(index_path, create=True)
    else:
        idx = Index.create(index_path, registry_url=registry_url)
        if idx.registry.url != registry_url:
            from rightsguard.errors import IndexError_

            raise IndexError_(f"index {index_path} already uses the registry {idx.registry.url}; "
                              f"--registry-url {registry_url} applies only to a new index")
    console = err_console()
    if quiet:
        return idx.add(items)  # type: ignore[arg-type]
    if not console.is_terminal:
        # no live bar on a pipe or in CI, but never a silent minute: say what runs, then totals
        import time

        console.print(f"{label} …", highlight=False)
        t0 = time.perf_counter()
        done = {"works": 0, "bytes": 0}
        result = idx.add(items,  # type: ignore[arg-type]
                         progress=lambda n, b: done.update(works=n, bytes=b))
        console.print(f"{label}: {_registered(result)}, {done['bytes'] / 1e6:.1f} MB read in "
                      f"{time.perf_counter() - t0:.0f} s", highlight=False)
        return result
    with Progress(SpinnerColumn(), TextColumn("[bold]{task.description}"), BarColumn(),
                  TextColumn("{task.fields[works]} works, {task.fields[mb]:.1f} MB"),
                  TimeElapsedColumn(), console=console, transient=False) as progress:
        task = progress.add_task(label, total=None, works=0, mb=0.0)
        result = idx.add(items,  # type: ignore[arg-type]
                         progress=lambda n, b: progress.update(task, works=n, mb=b / 1e6))
        progress.update(task, works=result.added)
    if result.merged:
        console.print(f"{label}: {_registered(result)}", highlight=False)
    return result


def _registered(result: object) -> str:
    """``N works`` new in the index (what ``index info`` counts), and the files whose bytes
    were already a registered work (merged into it: one work, several sources)."""
    added, merged = result.added, result.merged  # type: ignore[attr-defined]
    return (f"{added} new work{'' if added == 1 else 's'}"
            + (f" (+{merged} file{'' if merged == 1 else 's'} with the bytes of a registered "
               "work, merged into it)" if merged else ""))


@index_app.command("add")
def index_add(
    sources: Annotated[list[str], typer.Argument(
        help="Files, folders, .jsonl/.parquet catalogues, or 'python-env' (the running "
             "Python's standard library and installed distributions).")],
    index: IndexOpt = None,
    licence: Annotated[str | None, typer.Option(help="SPDX licence of these works.")] = None,
    holder: Annotated[str | None, typer.Option(help="Rights holder of these works.")] = None,
    title: Annotated[str | None, typer.Option(help="Title of these works.")] = None,
    licence_texts: Annotated[bool, typer.Option(
        "--licence-texts", help="Also register the reference texts of common licences.")] = False,
    mark: Annotated[bool, typer.Option(
        "--mark", help="Register the images as marks (logos, watermarks) that `check` looks "
                       "for inside every screened image.")] = False,
    registry_url: Annotated[str | None, typer.Option(
        "--registry-url", help="SQLAlchemy URL of the works registry of a new index, e.g. "
                               "postgresql+psycopg://user@host/db (default: registry.sqlite in "
                               "the index folder).")] = None,
    quiet: QuietOpt = False,
) -> None:
    """Register works and fingerprint them into the index (incremental, atomic per batch).

    An input that is wrong (a catalogue row with an invalid licence or a missing file, a file
    that cannot be read or decoded, a path that does not exist) is an error: the rest is still
    registered, each error is printed, and the exit status is 2. Empty files and licence files
    are skipped, not errors. Exit status 2 also when nothing could be registered.
    """
    import re
    from itertools import chain

    from rightsguard.corpus import NotAWork
    from rightsguard.index.sources import licence_text_works, works_from
    from rightsguard.model import Skipped

    settings = _settings(index)
    streams = [works_from(s, licence=licence, holder=holder, title=title, mark=mark,
                          max_bytes=settings.max_input_bytes) for s in sources]
    if licence_texts:
        streams.append(licence_text_works())
    home = settings.home.expanduser().absolute()
    # an index this command makes and registers nothing in is not left behind (a newcomer's
    # empty folder left an empty index that then answered every check with "clean"), nor the
    # folders made for it
    made = None  # a new index: its folder if that exists (empty), else the first one made
    if not (home / "index.json").exists() and registry_url is None:
        made = home
        while not made.exists() and not made.parent.exists():
            made = made.parent
    folder_existed = home.exists()
    summary = _progress_add(chain(*streams), settings.home, quiet, "Indexing", registry_url)
    added, merged = summary.added, summary.merged  # type: ignore[attr-defined]
    if made is not None and added + merged == 0:
        _discard_new_index(home, made, folder_existed=folder_existed)
    skipped = [sk for sk in summary.skipped if isinstance(sk, NotAWork)]  # type: ignore[attr-defined]
    errors = [sk for sk in summary.skipped if not isinstance(sk, NotAWork)]  # type: ignore[attr-defined]

    def count(n: int, word: str) -> str:
        return f"{n} {word}{'' if n == 1 else 's'}"

    def said(sk: Skipped) -> str:
        """The reason, after the input unless the reason names it already (a catalogue row
        ``file.jsonl:3`` is named as ``file.jsonl row 3``)."""
        row = re.fullmatch(r"(.+):\d+", sk.input)
        named = (row.group(1) if row else sk.input) in sk.reason
        return sk.reason if named else f"{sk.input}: {sk.reason}"

    Console().print(
        f"added {count(added, 'work')} ({summary.bytes / 1e6:.1f} MB), "  # type: ignore[attr-defined]
        f"{merged} merged into works already registered, "
        f"{sum(getattr(sk, 'files', 1) for sk in skipped)} skipped, "
        f"{count(len(errors), 'error')} in {summary.seconds:.1f} s → {settings.home}",  # type: ignore[attr-defined]
        markup=False, highlight=False, soft_wrap=True)
    for wid, uri, gone in summary.superseded:  # type: ignore[attr-defined]
        err_console().print(f"file changed: work {wid[:12]} was the earlier text of {uri}; "
                            + ("removed (no other source)" if gone
                               else "kept for its other sources"),
                            markup=False, highlight=False)
    for wid, before, after, conflict in summary.relicensed:  # type: ignore[attr-defined]
        err_console().print(f"licence changed: work {wid[:12]}: {before} → {after}"
                            + (" (its sources disagree: screened as review)" if conflict else ""),
                            markup=False, highlight=False)
    for label, items in (("error", errors), ("skipped", skipped)):
        for sk in items[:20]:
            err_console().print(f"{label}: {said(sk)}", markup=False, highlight=False)
        if len(items) > 20:
            err_console().print(f"… and {len(items) - 20} more "
                                + ("errors" if label == "error" else "skipped"),
                                markup=False, highlight=False)
    if added + merged == 0 and not errors and not skipped:
        err_console().print(f"error: nothing to register in {', '.join(sources) or 'no source'}"
                            ": no code, text or image files found", markup=False,
                            highlight=False)
        raise typer.Exit(2)
    if errors or (added + merged == 0 and skipped):
        # the batch is done; an input that could not be registered is an error, not a success
        raise typer.Exit(2)


def _discard_new_index(home: Path, made: Path, *, folder_existed: bool) -> None:
    """Remove an index this ``index add`` made in ``home`` and registered nothing in: what it
    wrote in ``home`` when that folder existed (empty: ``Index.create`` needs that), else
    ``made`` — ``home`` or the first of its ancestors the command created — with everything
    under it."""
    import shutil

    if folder_existed:
        empty_index_folder(home)
    else:
        shutil.rmtree(made, ignore_errors=True)


def empty_index_folder(home: Path) -> None:
    """Delete everything in the index folder ``home`` (the folder stays). Only for a folder
    that holds an index and nothing else: ``Index.create`` makes an index only in an empty
    folder, so all it holds is the index's."""
    import shutil

    for entry in home.iterdir():
        if entry.is_dir() and not entry.is_symlink():
            shutil.rmtree(entry)
        else:
            entry.unlink()


@index_app.command("info")
def index_info(index: IndexOpt = None,
               as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """Print counts, sizes and channel settings of the index."""
    from rich.table import Table

    from rightsguard.index.store import Index

    info = Index.open(_settings(index).home).info()
    if as_json:
        print(json.dumps(info, indent=2))
        return
    out = Console(width=report_width())  # piped: log width, so the first line does not wrap
    out.print(f"[bold]{info['path']}[/]  generation {info['generation']}  "
              f"works {info['works']} (removed {info['removed']})  "
              f"{info['bytes'] / 1e6:.1f} MB source, {info['disk_bytes'] / 1e6:.1f} MB on disk")
    table = Table("channel", "k", "t", "window", "segments", "postings", "stoplist")
    for name, ch in info["channels"].items():
        table.add_row(name, str(ch["k"]), str(ch["t"]), str(ch["window"]), str(ch["segments"]),
                      str(ch["postings"]), str(ch["stoplist"]))
    out.print(table)
    img = info["images"]
    if img["works"] or img["marks"]:
        out.print(f"images: {img['works']} works, {img['marks']} marks, "
                  f"{img['hash_rows']} PDQ variants in the hash index")


@index_app.command("remove")
def index_remove(ref: Annotated[str, typer.Argument(
        help="Work id (SHA-256), a file or folder, or a source URI / repository URL.")],
                 index: IndexOpt = None) -> None:
    """Remove works by id, or drop sources by file, folder or URI: a work is tombstoned when
    no source is left (`index compact` reclaims the space)."""
    from rightsguard.index.store import Index

    done = Index.open(_settings(index).home).remove_detail(ref)
    if done.changed == 0:
        err_console().print(f"no work matches {ref!r}", markup=False)
        raise typer.Exit(2)
    Console().print(f"removed {_count(done.removed, 'work')}; {_count(done.kept, 'work')} "
                    f"{'keeps' if done.kept == 1 else 'keep'} another source "
                    f"({_count(done.sources, 'source')} dropped)")


def _count(n: int, noun: str) -> str:
    """``"1 work"``, ``"2 works"``."""
    return f"{n} {noun}" + ("" if n == 1 else "s")


@index_app.command("verify")
def index_verify(index: IndexOpt = None, quiet: QuietOpt = False) -> None:
    """Read the whole index and report damage: the registry's integrity, every segment's
    checksums and order, every stored source (its SHA-256 must be its work id). Exit 0 when
    sound, 2 naming each damaged file. `check` does not read everything on each run, so a file
    damaged in place (disk errors, a bad copy) is found here."""
    from rightsguard.index.store import Index

    idx = Index.open(_settings(index).home)
    console = err_console()
    report = idx.verify(None if quiet else
                        lambda step: console.print(f"verifying {step} …", highlight=False))
    for problem in report.problems:
        console.print(f"error: {problem}", markup=False, highlight=False, soft_wrap=True)
    summary = (f"{report.works} works, {report.segments} segments ({report.postings} "
               f"postings) read: ")
    if report.problems:
        Console().print(summary + _count(len(report.problems), "problem"), highlight=False)
        raise typer.Exit(2)
    Console().print(summary + "no damage found", highlight=False)


@index_app.command("compact")
def index_compact(index: IndexOpt = None) -> None:
    """Merge segments and drop removed works for good."""
    from rightsguard.index.store import Index

    Index.open(_settings(index).home).compact()
    Console().print("compacted")


def _a_value(value: str | Path | None) -> str | Path | None:
    """An option's value that is not the next option: Click takes the word after an option
    that needs a value whatever it is, so ``--language --index DIR`` made ``--index`` the
    language and ``DIR`` a file to screen."""
    if value is not None and str(value).startswith("--"):
        raise typer.BadParameter(f"needs a value, got the option {value}")
    return value


@app.command("check")
def check_cmd(
    paths: Annotated[list[str], typer.Argument(
        help="Files or folders to screen; - for stdin (text, code or an image).")],
    index: IndexOpt = None,
    prompt: Annotated[Path | None, typer.Option(
        callback=_a_value,
        help="The prompt (a file, or - for standard input): text that also appears here "
        "does not count.")] = None,
    language: Annotated[str | None, typer.Option(
        callback=_a_value,
        help="Code language (for stdin, or to override the file extension).")] = None,
    fmt: Annotated[str, typer.Option("--format", help="human | json | sarif")] = "human",
    output_licence: Annotated[str | None, typer.Option(
        callback=_a_value,
        help="SPDX licence the output is distributed under (copyleft matches compatible with "
             "it are allowed with attribution).")] = None,
    top: Annotated[int | None, typer.Option(
        min=1, help="Images: list the K registered images most like each one, confirmed or "
                    "not (a rights holder's look-up), instead of screening it: confirmed "
                    "copies first, then the nearest by hash and the most voted by local "
                    "features in turn. Images only: a named file (or -) that is not an image "
                    "is an error (exit 2), other files in folders are skipped.")] = None,
    descriptor_model: Annotated[Path | None, typer.Option(
        help="Images: a copy-detection descriptor model file (.onnx, e.g. SSCD; needs "
             "the onnx extra: pip install 'rightsguard\\[onnx]'): cosine above 0.75 is a "
             "copy, above 0.5 a likeness to review. See docs/learned-descriptors.md.")] = None,
    style_model: Annotated[Path | None, typer.Option(
        help="Images, experimental: a style descriptor model file (.onnx, e.g. CSD). A style "
             "likeness never blocks; it only asks for a review.")] = None,
) -> None:
    """Screen outputs for reproduced works. Exit 0 clean/attribute, 1 review/block, 2 error
    (an input that cannot be read is reported as review and the batch goes on). Inputs over
    16 MiB are refused with an error (screen a large file in parts)."""
    raise typer.Exit(run_check(paths, index=index, prompt=prompt, language=language, fmt=fmt,
                               output_licence=output_licence, top=top,
                               descriptor_model=descriptor_model, style_model=style_model))


@app.command("demo")
def demo_cmd(index: IndexOpt = None, quiet: QuietOpt = False,
             fmt: Annotated[str, typer.Option("--format", help="human | json")] = "human",
             ) -> None:
    """Index this Python's standard library and packages (once), then screen three examples
    generated from them: a renamed copy, a licence text inside code, an original snippet."""
    from rightsguard.cli.demo import run_demo

    run_demo(_settings(index).home, quiet=quiet, fmt=fmt)


@app.command("precommit")
def precommit_cmd(
    files: Annotated[list[str], typer.Argument(help="Staged files (pre-commit passes them).")],
    index: IndexOpt = None,
    baseline: Annotated[Path, typer.Option(
        help="Allowlist/baseline file: work ids or 'path:work-id' lines.")] = Path(
        ".rightsguard-baseline"),
    fmt: Annotated[str, typer.Option("--format")] = "human",
    output_licence: Annotated[str | None, typer.Option(
        help="SPDX licence of this repository (default: detected from its LICENSE/COPYING "
             "file).")] = None,
) -> None:
    """Screen only the lines a commit adds (pre-commit hook)."""
    from rightsguard.cli.precommit import run_precommit

    raise typer.Exit(run_precommit(files, _settings(index).home, baseline, fmt,
                                   output_licence=output_licence))


def run_app() -> int:
    """Run the Typer app on ``sys.argv``; returns the exit code (usage errors: message, 2).

    :class:`~rightsguard.errors.RightsguardError` propagates to the caller.
    """
    try:
        rc = app(standalone_mode=False)
    except typer.Exit as exc:
        return exc.exit_code
    except typer.TyperException as exc:  # usage errors of Typer's (vendored) Click
        show = getattr(exc, "show", None)
        if show is None:
            raise
        show()
        return 2
    except typer.Abort:
        return 2
    return rc if isinstance(rc, int) else 0
