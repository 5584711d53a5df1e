"""``rightsguard demo``: a real index of this Python, three outcomes, and reuse of the index."""

from __future__ import annotations

import fcntl
import json
import os
import time
from pathlib import Path

import pytest
from conftest import RunCli

from rightsguard.cli.demo import DEMO_FUNCTIONS, stdlib_function


def _demo_module() -> str:
    for module, name in DEMO_FUNCTIONS:
        try:
            stdlib_function(module, name)
        except (KeyError, OSError, SyntaxError):
            continue
        return module
    raise AssertionError("no demo function in this standard library")


def _run_demo_twice(cli: RunCli, home: Path) -> dict:
    t0 = time.perf_counter()
    first = cli("demo", "--format", "json", home=home, timeout=900)
    t_first = time.perf_counter() - t0
    assert first.returncode == 0, first.stderr[-2000:]
    manifest = json.loads((home / "index.json").read_text())
    info1 = json.loads(cli("index", "info", "--json", home=home).stdout)
    t0 = time.perf_counter()
    second = cli("demo", "--format", "json", home=home, timeout=900)
    t_second = time.perf_counter() - t0
    assert second.returncode == 0, second.stderr[-2000:]
    info2 = json.loads(cli("index", "info", "--json", home=home).stdout)
    assert json.loads((home / "index.json").read_text()) == manifest
    return {"first": json.loads(first.stdout), "t_first": t_first, "info1": info1,
            "second": json.loads(second.stdout), "t_second": t_second, "info2": info2,
            "home": str(home)}


@pytest.fixture(scope="session")
def demo_runs(cli: RunCli, tmp_path_factory: pytest.TempPathFactory) -> dict:
    """Run the demo twice, once per test session: with pytest-xdist the first worker runs it
    under a file lock and the others read its results."""
    base = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        base = base.parent  # shared by the workers of this session only
    results = base / "demo-runs.json"
    with open(base / "demo-runs.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not results.exists():
            try:
                data = _run_demo_twice(cli, base / "demo-home")
            except AssertionError as exc:  # the other workers report it, not retry it
                data = {"error": str(exc)}
            results.write_text(json.dumps(data))
    data = json.loads(results.read_text())
    assert "error" not in data, data.get("error")
    return data


def _result(report: dict, label: str) -> dict:
    (result,) = [r for r in report["results"] if r["input"] == f"demo:{label}"]
    return result


def test_demo_renamed_function_attributed_to_the_stdlib_module(demo_runs: dict) -> None:
    result = _result(demo_runs["first"], "renamed")
    assert result["verdict"] == "attribute"
    module = _demo_module()
    matches = [m for m in result["matches"] if module in m["work"]["title"]]
    assert matches, [m["work"]["title"] for m in result["matches"]]
    m = matches[0]
    assert m["verdict"] == "attribute"
    assert m["work"]["licence_category"] == "permissive"
    assert m["kind"] in ("renamed", "near-verbatim", "verbatim")


def test_demo_licence_text_attributed(demo_runs: dict) -> None:
    result = _result(demo_runs["first"], "licence")
    assert result["verdict"] == "attribute"
    matches = [m for m in result["matches"] if m["work"]["title"] == "Apache-2.0 licence text"]
    assert matches, [m["work"]["title"] for m in result["matches"]]
    m = matches[0]
    assert m["verdict"] == "attribute"
    assert m["work"]["kind"] == "licence-text"
    assert m["work"]["licence"] == "Apache-2.0"
    assert m["channel"] == "text"


def test_demo_original_is_clean(demo_runs: dict) -> None:
    result = _result(demo_runs["first"], "original")
    assert result["verdict"] == "clean"
    assert result["matches"] == []


def test_demo_overall(demo_runs: dict) -> None:
    report, info = demo_runs["first"], demo_runs["info1"]
    assert report["verdict"] == "attribute"
    assert [r["input"] for r in report["results"]] == [
        "demo:renamed", "demo:licence", "demo:original"]
    assert info["works"] > 500  # the standard library alone has hundreds of modules


def test_second_run_reuses_the_index(demo_runs: dict) -> None:
    first, second = demo_runs["first"], demo_runs["second"]
    t_first, t_second = demo_runs["t_first"], demo_runs["t_second"]
    assert demo_runs["info2"]["generation"] == demo_runs["info1"]["generation"]
    assert demo_runs["info2"]["works"] == demo_runs["info1"]["works"]
    assert (Path(demo_runs["home"]) / "demo-complete").exists()
    assert second == first
    assert t_second < 20 and t_second < t_first / 2, (t_first, t_second)
