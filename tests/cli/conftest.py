"""Run the real ``rightsguard`` command line in a subprocess with its own RIGHTSGUARD_HOME."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

ENTRY = "from rightsguard.cli import main; main()"

RunCli = Callable[..., subprocess.CompletedProcess[str]]


def run_cli(*args: str, home: Path | None = None, stdin: str | None = None,
            env: dict[str, str] | None = None, cwd: Path | None = None,
            timeout: float = 300) -> subprocess.CompletedProcess[str]:
    """``rightsguard ARGS…`` as a subprocess; RIGHTSGUARD_HOME=home, no config file."""
    full_env = {k: v for k, v in os.environ.items()
                if not k.startswith("RIGHTSGUARD_") and k != "COLUMNS"}
    full_env["RIGHTSGUARD_CONFIG"] = os.devnull  # never read the user's config file
    if home is not None:
        full_env["RIGHTSGUARD_HOME"] = str(home)
    full_env.update(env or {})
    return subprocess.run([sys.executable, "-c", ENTRY, *args], input=stdin, text=True,
                          capture_output=True, env=full_env, cwd=cwd, timeout=timeout)


def error_lines(stderr: str) -> list[str]:
    """The ``error: …`` lines of stderr (each message must be one unwrapped line)."""
    return [line for line in stderr.splitlines() if line.startswith("error: ")]


@pytest.fixture(scope="session")
def cli() -> RunCli:
    return run_cli
