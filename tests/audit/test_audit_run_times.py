"""The run's ``started_at`` / ``finished_at`` (ISO 8601 UTC) in ``run.json``, ``report.json`` and
``report.html``: set when the audit starts and when it completes, kept by a restart of a
finished audit, set anew by a restart that completes an interrupted one. The clock is replaced
by a list of fixed times, so every value is known."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from rightsguard.audit import run as audit_run
from rightsguard.audit.run import audit
from rightsguard.model import Purpose, Use
from rightsguard.pipeline.local import LocalExecutor

USE = Use(Purpose.TRAIN_GENERAL)
T0, T1, T2, T3 = ("2025-05-01T00:00:00Z", "2025-05-01T00:10:00Z", "2025-06-01T08:00:00Z",
                  "2025-06-01T08:05:00Z")


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Each call of the audit's clock returns the next of T0, T1, T2, T3; ``calls`` lists the
    times handed out."""
    times: Iterator[str] = iter((T0, T1, T2, T3))
    calls: list[str] = []

    def now() -> str:
        calls.append(next(times))
        return calls[-1]

    monkeypatch.setattr(audit_run, "_utc_now", now)
    return calls


def _docs(tmp_path: Path) -> Path:
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "a.txt").write_text("A short text of our own about rivers.\n", encoding="utf-8")
    return docs


def _times(out: Path) -> dict[str, Any]:
    run = json.loads((out / "run.json").read_text("utf-8"))
    report = json.loads((out / "report.json").read_text("utf-8"))["run"]
    return {"run.json": (run["started_at"], run.get("finished_at")),
            "report.json": (report["started_at"], report["finished_at"])}


def _run(docs: Path, out: Path) -> None:
    audit([docs], out=out, jurisdictions=["EU"], use=USE, executor=LocalExecutor(workers=1))


def test_finished_at_is_set_when_the_audit_completes(tmp_path: Path, clock: list[str]) -> None:
    docs, out = _docs(tmp_path), tmp_path / "out"
    _run(docs, out)
    assert clock == [T0, T1]  # started, then finished once every shard was done
    assert _times(out) == {"run.json": (T0, T1), "report.json": (T0, T1)}
    html = (out / "report.html").read_text("utf-8")
    assert f"<tr><td>started</td><td>{T0}</td></tr>" in html
    assert f"<tr><td>finished</td><td>{T1}</td></tr>" in html
    # a restart of the finished audit changes neither time (nothing is run or written again)
    _run(docs, out)
    assert clock == [T0, T1, T2]  # T2: the restart's own start time, not recorded
    assert _times(out) == {"run.json": (T0, T1), "report.json": (T0, T1)}


def test_a_restart_that_completes_an_interrupted_audit_sets_finished_at(
        tmp_path: Path, clock: list[str], monkeypatch: pytest.MonkeyPatch) -> None:
    docs, out = _docs(tmp_path), tmp_path / "out"
    write_reports = audit_run.write_reports

    def interrupted(*args: Any, **kwargs: Any) -> None:
        raise KeyboardInterrupt  # killed while writing the reports

    monkeypatch.setattr(audit_run, "write_reports", interrupted)
    with pytest.raises(KeyboardInterrupt):
        _run(docs, out)
    assert not (out / "report.json").exists()
    monkeypatch.setattr(audit_run, "write_reports", write_reports)
    _run(docs, out)
    assert clock == [T0, T1, T2, T3]
    # started: the first attempt's; finished: when the restart completed the audit
    assert _times(out) == {"run.json": (T0, T3), "report.json": (T0, T3)}
