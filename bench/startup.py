"""Wall time of one ``rightsguard check FILE --index DIR --format json`` from the shell.

``uv run python -m bench.startup [--index DIR] [--runs N]`` builds (once) or reuses an index of
the running Python's standard library, installed distributions and licence texts
(``rightsguard index add python-env --licence-texts``; default folder
``bench/.cache/startup-index``), writes a 2 KB cut of an indexed standard-library file, and
times ``--runs`` (10) runs of the installed ``rightsguard`` console script after two warm-ups,
next to ``python -c pass`` (the interpreter's own start-up, the floor). It prints the median wall
time, the mean CPU (user + system) time of each and the ratio to the floor.

Two rows each: with this environment's settings (when ``PYTHONDONTWRITEBYTECODE`` is set and
the packages were installed without ``.pyc`` files, every run compiles every module it imports),
and with a bytecode cache (``PYTHONPYCACHEPREFIX`` in a temporary folder, filled by the
warm-ups), as after ``pip install`` or ``uv sync --compile-bytecode``.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import sysconfig
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ENTRY = "from rightsguard.cli import main; main()"
DEFAULT_INDEX = Path(__file__).parent / ".cache" / "startup-index"
#: The query: a 2 KB cut of an indexed standard-library file (so the run finds a match).
QUERY_SOURCE, QUERY_START, QUERY_BYTES = "shlex.py", 5952, 2048


@dataclass(frozen=True, slots=True)
class Timing:
    label: str
    median_s: float
    cpu_s: float  # mean user + system time of the child


def rightsguard_command() -> list[str]:
    """The console script next to this interpreter, else the same entry point through ``-c``."""
    script = Path(sys.executable).with_name("rightsguard")
    return [str(script)] if script.exists() else [sys.executable, "-c", ENTRY]


def ensure_index(folder: Path) -> Path:
    """Reuse ``folder`` when a previous run completed it, else build it (about a minute)."""
    marker = folder / "startup-bench-complete"
    if marker.exists():
        return folder
    print(f"building the index in {folder} (once) …", file=sys.stderr)
    env = {k: v for k, v in os.environ.items() if not k.startswith("RIGHTSGUARD_")}
    env["RIGHTSGUARD_CONFIG"] = os.devnull
    subprocess.run([*rightsguard_command(), "index", "add", "python-env", "--licence-texts",
                    "-q", "--index", str(folder)], check=True, env=env,
                   stdout=subprocess.DEVNULL)
    marker.write_text("python-env and licence texts registered\n")
    return folder


def time_command(label: str, cmd: list[str], env: dict[str, str], runs: int,
                 warmups: int = 2) -> Timing:
    """Median wall time of ``runs`` runs of ``cmd`` after ``warmups``; output discarded."""
    for _ in range(warmups):
        subprocess.run(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                       check=False)
    walls = []
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    for _ in range(runs):
        t0 = time.perf_counter()
        subprocess.run(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                       check=False)
        walls.append(time.perf_counter() - t0)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime) / runs
    return Timing(label, statistics.median(walls), cpu)


def run(index: Path = DEFAULT_INDEX, runs: int = 10) -> list[tuple[Timing, Timing]]:
    """(check, floor) timings as this environment runs them, then with a bytecode cache."""
    folder = ensure_index(index)
    with tempfile.TemporaryDirectory(prefix="rightsguard-startup-") as tmp:
        query = Path(tmp) / "generated.py"
        source = (Path(sysconfig.get_paths()["stdlib"]) / QUERY_SOURCE).read_bytes()
        query.write_bytes(source[QUERY_START:QUERY_START + QUERY_BYTES])
        check = [*rightsguard_command(), "check", str(query), "--index", str(folder),
                 "--format", "json"]
        env = {k: v for k, v in os.environ.items() if not k.startswith("RIGHTSGUARD_")}
        env["RIGHTSGUARD_CONFIG"] = os.devnull
        proc = subprocess.run(check, env=env, capture_output=True, text=True, check=False)
        if proc.returncode not in (0, 1):
            raise RuntimeError(f"{' '.join(check)} exited {proc.returncode}: {proc.stderr}")
        verdict = json.loads(proc.stdout)["verdict"]
        print(f"query {QUERY_SOURCE}[{QUERY_START}:+{QUERY_BYTES}] → {verdict}", file=sys.stderr)
        cached = {k: v for k, v in env.items() if k != "PYTHONDONTWRITEBYTECODE"}
        cached["PYTHONPYCACHEPREFIX"] = str(Path(tmp) / "pycache")
        floor = [sys.executable, "-c", "pass"]
        dont_write = "PYTHONDONTWRITEBYTECODE" in env
        as_is = "as is" + (" (PYTHONDONTWRITEBYTECODE set)" if dont_write else "")
        return [(time_command(f"check, {as_is}", check, env, runs),
                 time_command(f"python -c pass, {as_is}", floor, env, runs)),
                (time_command("check, bytecode cache", check, cached, runs),
                 time_command("python -c pass, bytecode cache", floor, cached, runs))]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.startup", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--index", type=Path, default=DEFAULT_INDEX,
                        help=f"index folder, built when missing (default {DEFAULT_INDEX})")
    parser.add_argument("--runs", type=int, default=10, help="timed runs per command (10)")
    args = parser.parse_args(argv)
    rows = run(args.index, args.runs)
    print(f"{'command':52s} {'median wall s':>13s} {'mean cpu s':>10s} {'× floor':>8s}")
    for check, floor in rows:
        for t in (check, floor):
            ratio = t.median_s / floor.median_s
            print(f"{t.label:52s} {t.median_s:13.3f} {t.cpu_s:10.3f} {ratio:8.1f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
