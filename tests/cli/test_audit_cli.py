"""``rightsguard audit`` and ``rightsguard policy explain`` end to end, in subprocesses
(issue #3 parts 4-6): the fixture crawl of tests/audit, resumption after SIGKILL, a rerun with
other arguments, ``--column``, a copied and edited profile, and the explanation of a decision."""

from __future__ import annotations

import importlib.util
import json
import os
import random
import re
import signal
import subprocess
import sys
import time
from pathlib import Path
from types import ModuleType
from typing import Any

import pyarrow.parquet as pq
import pytest
from conftest import ENTRY, RunCli, error_lines

from rightsguard.report.manifest import read_manifest, record_to_row

AUDIT_TESTS = Path(__file__).parents[1] / "audit"
EU_PROFILE = Path(__file__).parents[2] / "src" / "rightsguard" / "policy" / "profiles" / "EU.toml"


def _load_corpus() -> ModuleType:
    """tests/audit/audit_corpus.py (the fixture crawl), loaded by path: test folders are not
    packages."""
    spec = importlib.util.spec_from_file_location("audit_corpus", AUDIT_TESTS / "audit_corpus.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("audit_corpus", module)
    spec.loader.exec_module(module)
    return module


corpus = _load_corpus()


def audit_args(crawl: Path, lists: dict[str, Path], out: Path, *more: str) -> list[str]:
    return ["audit", str(crawl), "--out", str(out), "-j", "JP,EU,UK,US,SG",
            "--piracy-list", str(lists["piracy"]), "--provider", str(lists["provider"]), *more]


@pytest.fixture(scope="module")
def crawl(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    root = tmp_path_factory.mktemp("cli-audit")
    path, ids = corpus.write_crawl(root / "in")
    return {"root": root, "path": path, "ids": ids, "lists": corpus.write_lists(root / "in")}


def test_audit_prints_counts_and_writes_the_golden_summary(cli: RunCli,
                                                           crawl: dict[str, Any]) -> None:
    out = crawl["root"] / "out"
    done = cli(*audit_args(crawl["path"], crawl["lists"], out, "--workers", "1"))
    assert done.returncode == 0, done.stderr
    lines = [" ".join(line.replace("│", " ").split()) for line in done.stdout.splitlines()]
    # decisions derived in tests/audit/test_audit_warc.py (law.md §7, U2)
    for row in ("JP 6 9 0", "EU 5 2 8", "UK 0 0 15", "US 5 9 1", "SG 14 0 1", "ALL 0 0 15"):
        assert row in lines, done.stdout
    assert "audit of 15 items (0 unreadable)" in done.stdout
    # stderr is no terminal here: no progress display, only the summary line at the end
    mb = sum(len(r.body) for r in corpus.PAGES.values()) / 1e6  # content bytes of the pages
    [summary] = done.stderr.splitlines()
    assert re.fullmatch(rf"audited 15 items \(0 unreadable\) in [0-9.,]+ s: {mb:,.1f} MB "
                        r"read, [0-9.,]+ items/s", summary), summary
    # same crawl, same provider file: the same summary as the library run's golden files
    for name in ("eu-summary.md", "eu-summary.json"):
        assert (out / name).read_text("utf-8") == \
            (AUDIT_TESTS / "golden" / name).read_text("utf-8"), name
    other = ["audit", str(crawl["path"]), "--out", str(out), "-j", "EU", "--piracy-list",
             str(crawl["lists"]["piracy"]), "--provider", str(crawl["lists"]["provider"])]
    again = cli(*other)
    assert again.returncode == 2
    assert error_lines(again.stderr) == [
        f"error: {out}: holds an audit with other arguments (jurisdictions, profiles differ "
        f"from {out / 'run.json'}); use a new output folder or delete it to start over"]


def test_policy_explain_prints_the_fired_rules(cli: RunCli, crawl: dict[str, Any]) -> None:
    out = crawl["root"] / "explain"
    assert cli(*audit_args(crawl["path"], crawl["lists"], out, "--workers", "1")).returncode == 0
    item = crawl["ids"]["a-private"]
    done = cli("policy", "explain", item, "--manifest", str(out), "-j", "EU")
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0] == f"{item} — EU (profile version 2026-12-01): exclude"
    fired = lines.index("  10. EU:s3-art4-reservation — FIRED → exclude: reservation=reserved =="
                        " reserved; unless purpose=train-general != analysis or research, "
                        "actor=company != research-organisation, commercial=true != false")
    assert lines[fired + 1] == ("     provision: DSM Directive (EU) 2019/790 Art. 4(3); AI Act "
                                "Art. 53(1)(c)")
    assert lines[fired + 2].startswith("     source: https://eur-lex.europa.eu/legal-content/EN/"
                                       "TXT/HTML/?uri=CELEX:32019L0790")
    assert lines[-1] == "decision: exclude (EU:u2-train-general, EU:s3-art4-reservation)"
    assert any(line.startswith("  reservation=reserved (robots 'disallow /private/' for GPTBot")
               for line in lines)
    every = cli("policy", "explain", item, "--manifest", str(out))
    decisions = [line for line in every.stdout.splitlines() if line.startswith("decision: ")]
    assert decisions == [
        "decision: review (JP:u2-train-general, JP:s3-reservation)",
        "decision: exclude (EU:u2-train-general, EU:s3-art4-reservation)",
        "decision: exclude (UK:u2-train-general, UK:s3-reservation-commercial)",
        "decision: review (US:u2-train-general, US:s3-reservation)",
        "decision: allow (SG:u2-train-general, SG:s3-reservation-no-opt-out)"]
    unknown = cli("policy", "explain", "warc:nope#1", "--manifest", str(out))
    assert unknown.returncode == 2
    assert error_lines(unknown.stderr) == [
        f"error: {out}: no item 'warc:nope#1' in manifest.parquet"]


def test_an_edited_profile_is_its_own_jurisdiction(cli: RunCli, crawl: dict[str, Any],
                                                   tmp_path: Path) -> None:
    # a copy of EU.toml that also excludes non-commercial and academic-only licences
    profile = tmp_path / "eu-no-nc.toml"
    profile.write_text(
        EU_PROFILE.read_text("utf-8").replace('name = "EU"', 'name = "EU-NO-NC"', 1)
        + '\n[[rules]]\nid = "no-nc-licences"\n'
          'when = { licence_class = ["non-commercial", "academic-only"] }\n'
          'verdict = "exclude"\nprovision = "House policy: licences that forbid commercial use"\n'
          'source = "licence classes: Data Provenance Initiative (rights-signals.md §6b)"\n',
        encoding="utf-8")
    out = tmp_path / "out"
    done = cli("audit", str(crawl["path"]), "--out", str(out), "-j", "EU", "--profile",
               str(profile), "--piracy-list", str(crawl["lists"]["piracy"]), "--workers", "1")
    assert done.returncode == 0, done.stderr
    records = {r.id: r for r in read_manifest(out)}
    nc = records[crawl["ids"]["cc-by-nc"]]
    assert [(d.jurisdiction, d.verdict, [r.rule for r in d.reasons]) for d in nc.decisions] == [
        ("EU", "allow", ["EU:u2-train-general"]),
        ("EU-NO-NC", "exclude", ["EU-NO-NC:u2-train-general", "EU-NO-NC:no-nc-licences"])]
    # every other item is decided as the built-in EU profile decides it
    for record in records.values():
        if record.id != nc.id:
            assert record.decisions[0].verdict == record.decisions[1].verdict, record.id
    assert sorted(os.listdir(out / "filtered")) == ["ALL", "EU", "EU-NO-NC"]
    report = json.loads((out / "report.json").read_text("utf-8"))
    assert report["decisions"]["EU-NO-NC"] == {"allow": 4, "review": 2, "exclude": 9}
    explained = cli("policy", "explain", nc.id, "--manifest", str(out), "-j", "EU-NO-NC")
    assert explained.returncode == 0, explained.stderr
    assert "  14. EU-NO-NC:no-nc-licences — FIRED → exclude: licence_class=non-commercial ==" \
           " non-commercial or academic-only" in explained.stdout.splitlines()
    assert "     provision: House policy: licences that forbid commercial use" in \
        explained.stdout.splitlines()


def test_column_adapter(cli: RunCli, tmp_path: Path) -> None:
    rows = [{"body": "Row one.", "link": "https://open.example/1", "lic": "CC-BY-NC-4.0"},
            {"body": "Row two.", "link": "https://closed.example/2", "lic": "MIT"}]
    data = tmp_path / "rows.jsonl"
    data.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    out = tmp_path / "out"
    done = cli("audit", str(data), "--out", str(out), "-j", "EU,US", "--hosts",
               str(AUDIT_TESTS / "data" / "hosts"), "--column", "content=body", "--column",
               "url=link", "--column", "licence=lic", "--workers", "1")
    assert done.returncode == 0, done.stderr
    one, two = read_manifest(out)
    assert (one.source, one.host, one.size_tokens) == ("https://open.example/1", "open.example", 2)
    assert [(s.kind, s.value) for s in one.signals if s.kind.startswith("licence")] == [
        ("licence", "CC-BY-NC-4.0"), ("licence-class", "non-commercial")]
    # open.example allows crawling; CC BY-NC for a commercial use: EU allow, US review;
    # closed.example disallows everything (S3): EU exclude, US review
    assert [d.verdict for d in one.decisions] == ["allow", "review"]
    assert [d.verdict for d in two.decisions] == ["exclude", "review"]
    assert (out / "filtered" / "EU" / "data.jsonl").read_text("utf-8") == \
        json.dumps(rows[0]) + "\n"
    bad = cli("audit", str(data), "--out", str(tmp_path / "bad"), "--column", "body")
    assert bad.returncode == 2
    assert error_lines(bad.stderr) == ["error: --column 'body': expected ROLE=NAME"]


def test_ray_flag_passes_workers_as_num_cpus(monkeypatch: pytest.MonkeyPatch,
                                             tmp_path: Path) -> None:
    # the Ray run itself is tests/audit/test_audit_ray.py; here only the CLI's wiring
    import rightsguard.audit.run as run_module
    from rightsguard.cli.audit import audit_cmd
    from rightsguard.errors import InputError
    from rightsguard.pipeline.ray import RayExecutor

    seen: dict[str, Any] = {}

    def fake_audit(sources: list[str], **kwargs: Any) -> Any:
        seen.update(kwargs)
        return run_module.AuditResult(tmp_path, [], {})

    monkeypatch.setattr(run_module, "audit", fake_audit)
    audit_cmd([tmp_path], out=tmp_path / "out", executor="ray", workers=2)
    ex = seen["executor"]
    assert isinstance(ex, RayExecutor) and ex.num_cpus == 2
    with pytest.raises(InputError, match="--workers must be >= 1, got 0"):
        audit_cmd([tmp_path], out=tmp_path / "out", executor="ray", workers=0)


# -- progress and summary --------------------------------------------------------------------


def _in_a_terminal(*args: str) -> tuple[int, str, str]:
    """``rightsguard ARGS…`` with stderr on a pseudo-terminal: (exit code, stdout, what the
    terminal received)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("RIGHTSGUARD_")}
    env.update(RIGHTSGUARD_CONFIG=os.devnull, TERM="xterm", COLUMNS="160")
    master, slave = os.openpty()
    proc = subprocess.Popen([sys.executable, "-c", ENTRY, *args], stdout=subprocess.PIPE,
                            stderr=slave, env=env)
    os.close(slave)
    received = b""
    while True:
        try:
            chunk = os.read(master, 65536)
        except OSError:  # EIO: the child closed the terminal
            break
        if not chunk:
            break
        received += chunk
    os.close(master)
    assert proc.stdout is not None
    stdout = proc.stdout.read().decode()
    proc.stdout.close()
    return proc.wait(timeout=120), stdout, received.decode("utf-8", "replace")


@pytest.mark.skipif(sys.platform == "win32", reason="pseudo-terminals are POSIX")
def test_progress_is_shown_on_a_terminal_and_quiet_hides_it(crawl: dict[str, Any]) -> None:
    args = ["audit", str(crawl["path"]), "--out"]
    code, stdout, terminal = _in_a_terminal(*args, str(crawl["root"] / "tty"), "-j", "EU")
    assert code == 0 and "audit of 15 items (0 unreadable)" in stdout
    # the display's last frame before it is cleared: phase, shards 1/1, the 15 items
    plain = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", terminal)
    assert re.search(r"Done .*1/1 shards 15 items, 0\.0 MB, [0-9.,]+ items/s", plain), plain
    assert "audited 15 items (0 unreadable) in " in plain
    code, _, terminal = _in_a_terminal(*args, str(crawl["root"] / "tty-q"), "-j", "EU", "-q")
    plain = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", terminal)
    assert code == 0 and "shards" not in plain and "Auditing" not in plain
    assert re.fullmatch(r"audited 15 items \(0 unreadable\) in [0-9.,]+ s: 0\.0 MB read, "
                        r"[0-9.,]+ items/s\s*", plain), plain


def test_summary_line_counts_resumed_items_apart() -> None:
    from rightsguard.audit.run import AuditResult
    from rightsguard.cli.audit import summary_line
    from rightsguard.pipeline.base import ShardStats

    shards = [ShardStats(0, "a.warc.gz", 4, 1, 1_000_000, 9.0, resumed=True),
              ShardStats(1, "a.warc.gz", 6, 1, 1_500_000, 1.5)]
    # 6 items run now in 2 s: 3 items/s; the 4 of the earlier run are not in the rate
    assert summary_line(AuditResult(Path("out"), shards, {}), 2.0) == (
        "audited 10 items (2 unreadable) in 2.0 s: 2.5 MB read, 3.0 items/s; 4 items were "
        "done by an earlier run")
    assert summary_line(AuditResult(Path("out"), [], {}), 0.0) == (
        "audited 0 items (0 unreadable) in 0.0 s: 0.0 MB read, 0.0 items/s")


# -- resumption --------------------------------------------------------------------------------


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("RIGHTSGUARD_")}
    env["RIGHTSGUARD_CONFIG"] = os.devnull
    return env


def _outputs(out: Path) -> dict[str, bytes]:
    names = ["manifest.parquet", "excluded.parquet", "review.parquet", "eu-summary.md",
             "eu-summary.json", "jp-checklist.md"]
    names += sorted(str(p.relative_to(out)) for p in (out / "filtered").rglob("*") if p.is_file())
    return {name: (out / name).read_bytes() for name in names}


def test_sigkill_mid_audit_then_restart_equals_an_uninterrupted_run(
        cli: RunCli, tmp_path: Path) -> None:
    path, _ids = corpus.write_crawl(tmp_path / "in", copies=4)  # 60 items: 60 shards of 1
    lists = corpus.write_lists(tmp_path / "in")
    shards = ("--records-per-shard", "1", "--workers", "1")
    whole = tmp_path / "whole"
    assert cli(*audit_args(path, lists, whole, *shards)).returncode == 0
    out = tmp_path / "killed"
    rng = random.Random(20251130)
    kill_after = rng.randrange(1, 30)  # finished shards (= records) before the kill
    proc = subprocess.Popen([sys.executable, "-c", ENTRY, *audit_args(path, lists, out, *shards)],
                            env=_env(), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            start_new_session=True)
    killed = False
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and proc.poll() is None:
            if len(list(out.glob("done/[0-9]*.json"))) >= kill_after:
                os.killpg(proc.pid, signal.SIGKILL)  # the audit's own process group
                killed = True
                break
            time.sleep(0.001)
    finally:
        if not killed and proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=60)
        assert proc.stderr is not None
        proc.stderr.close()
    assert proc.returncode == -signal.SIGKILL
    # markers are written to a hidden temp file and renamed: only whole ones count
    done = {p.name: p.stat().st_mtime_ns for p in out.glob("done/*.json")}
    assert kill_after <= len(done) < 60 and "finalized.json" not in done
    assert not (out / "manifest.parquet").exists()
    restarted = cli(*audit_args(path, lists, out, *shards))
    assert restarted.returncode == 0, restarted.stderr
    assert "audit of 60 items (0 unreadable)" in restarted.stdout
    # finished shards were not run again
    assert {name: (out / "done" / name).stat().st_mtime_ns for name in done} == done
    expected = _outputs(whole)
    assert sorted(_outputs(out)) == sorted(expected)
    for name, data in _outputs(out).items():
        assert data == expected[name], name
    assert [record_to_row(r) for r in read_manifest(out)] == \
        [record_to_row(r) for r in read_manifest(whole)]
    assert pq.read_table(out / "manifest.parquet").num_rows == 60
    report, want = (json.loads((o / "report.json").read_text("utf-8")) for o in (out, whole))
    for r in (report, want):  # the run times are the only values that differ
        started, finished = r["run"].pop("started_at"), r["run"].pop("finished_at")
        assert started <= finished  # both set, ISO 8601 UTC in one format: ordered as text
    assert report == want
    # the scaffolding of resumption is gone once the run is final
    assert not (out / "_parts").exists()
    assert not any((out / "filtered" / j / "parts").exists() for j in ("EU", "JP", "SG"))
