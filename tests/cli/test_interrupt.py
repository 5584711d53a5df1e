"""Ctrl-C during ``index add`` stops at once, says so and exits 130; the index stays usable.

A newcomer's Ctrl-C during the first ``demo`` left it hanging: the terminal sends SIGINT to the
whole process group and ``uv run`` forwards a second one, which broke the worker pool's
clean-up. Here both reach a real ``index add`` of the standard library (two worker processes).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import sysconfig
import time
from pathlib import Path

STDLIB = Path(sysconfig.get_paths()["stdlib"])
ENTRY = "from rightsguard.cli.entry import main; main()"


def _run(args: list[str], *, new_session: bool = False) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-c", ENTRY, *args], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, start_new_session=new_session)


def test_ctrl_c_twice_during_index_add_exits_130_and_the_index_stays_usable(
        tmp_path: Path) -> None:
    idx = tmp_path / "idx"
    proc = _run(["index", "add", str(STDLIB / "email"), str(STDLIB / "json"),
                 str(STDLIB / "asyncio"), "--index", str(idx), "--licence", "PSF-2.0"],
                new_session=True)
    deadline = time.monotonic() + 60
    while not (idx / "registry.sqlite").exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(0.5)  # workers are fingerprinting the first batch
    assert proc.poll() is None, proc.communicate()
    os.killpg(proc.pid, signal.SIGINT)  # the terminal's Ctrl-C: every process of the group
    time.sleep(0.05)
    os.kill(proc.pid, signal.SIGINT)  # uv run forwards it once more
    try:
        out, err = proc.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)  # a hung run must not outlive the test
        proc.communicate()
        raise
    assert proc.returncode == 130, err
    assert err.strip().splitlines()[-1] == "interrupted"
    assert "Traceback" not in err
    # the next run finishes the job on the same index
    again = _run(["index", "add", str(STDLIB / "json"), "--index", str(idx),
                  "--licence", "PSF-2.0"])
    out, err = again.communicate(timeout=120)
    assert again.returncode == 0, err
    info = _run(["index", "info", "--index", str(idx), "--json"])
    out, err = info.communicate(timeout=60)
    assert info.returncode == 0, err
    assert json.loads(out)["works"] >= len(list((STDLIB / "json").glob("*.py")))
