"""A FIFO in a screened folder is passed over, and named directly it is an error (exit 2):
reading it would block forever."""

from __future__ import annotations

import json
import os
from pathlib import Path

from conftest import RunCli


def test_fifo_is_not_read(cli: RunCli, tmp_path: Path) -> None:
    home = tmp_path / "home"
    works = tmp_path / "works"
    works.mkdir()
    (works / "a.py").write_text("def f(x):\n    return x + 1\n", "utf-8")
    assert cli("index", "add", str(works), "--licence", "MIT", home=home).returncode == 0
    folder = tmp_path / "out"
    folder.mkdir()
    (folder / "ok.py").write_text("print('hello')\n", "utf-8")
    os.mkfifo(folder / "pipe.py")
    proc = cli("check", str(folder), "--format", "json", home=home, timeout=60)
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout)
    assert [r["input"] for r in report["results"]] == [str(folder / "ok.py")]
    proc = cli("check", str(folder / "pipe.py"), "--format", "json", home=home, timeout=60)
    assert proc.returncode == 2
    assert "pipe.py: not a regular file" in proc.stderr
