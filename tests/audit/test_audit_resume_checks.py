"""A restarted audit resumes only what it audited before: same arguments (jurisdiction order
aside) and unchanged inputs; anything else is refused, naming what differs."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from rightsguard.audit.run import audit
from rightsguard.errors import InputError

STDLIB = Path(os.__file__).parent


def _catalogue(path: Path, rows: int) -> Path:
    lines = [json.dumps({"text": f"row {i}: " + (STDLIB / "this.py").read_text("utf-8")[:200],
                         "url": f"https://a.test/{i}", "licence": "CC-BY-4.0"})
             for i in range(rows)]
    path.write_text("\n".join(lines) + "\n", "utf-8")
    return path


def test_jurisdiction_order_does_not_matter_on_resume(tmp_path: Path) -> None:
    cat = _catalogue(tmp_path / "c.jsonl", 3)
    first = audit([cat], out=tmp_path / "out", jurisdictions=["EU", "JP"])
    again = audit([cat], out=tmp_path / "out", jurisdictions=["JP", "EU"])
    assert first.report == again.report
    rows = pq.read_table(tmp_path / "out" / "manifest.parquet").to_pylist()
    assert [[d["jurisdiction"] for d in r["decisions"]] for r in rows] == [["EU", "JP"]] * 3
    assert json.loads((tmp_path / "out" / "run.json").read_text("utf-8"))["jurisdictions"] == [
        "EU", "JP"]


def test_a_changed_input_is_refused_by_name(tmp_path: Path) -> None:
    cat = _catalogue(tmp_path / "c.jsonl", 3)
    audit([cat], out=tmp_path / "out", jurisdictions=["JP"])
    before = cat.stat()
    _catalogue(cat, 4)  # a row added after the first run
    after = cat.stat()
    with pytest.raises(InputError) as err:
        audit([cat], out=tmp_path / "out", jurisdictions=["JP"])
    message = str(err.value)
    assert message.startswith(f"{tmp_path / 'out'}: the audit there read inputs that have "
                              f"changed since: {cat} (was 1 files, {before.st_size} bytes, ")
    assert f"now 1 files, {after.st_size} bytes, " in message
    assert message.endswith("; use a new output folder or delete it to start over")
    # nothing was lost: the first run's manifest is still there, three rows
    assert pq.read_table(tmp_path / "out" / "manifest.parquet").num_rows == 3


def test_other_arguments_are_named(tmp_path: Path) -> None:
    cat = _catalogue(tmp_path / "c.jsonl", 2)
    audit([cat], out=tmp_path / "out", jurisdictions=["JP"])
    with pytest.raises(InputError, match=r"holds an audit with other arguments \(jurisdictions, "
                                         r"profiles differ from .*run\.json\)"):
        audit([cat], out=tmp_path / "out", jurisdictions=["UK"])


def test_an_audit_begun_before_inputs_were_recorded_resumes(tmp_path: Path) -> None:
    cat = _catalogue(tmp_path / "c.jsonl", 2)
    first = audit([cat], out=tmp_path / "out", jurisdictions=["JP"])
    run_file = tmp_path / "out" / "run.json"
    run = json.loads(run_file.read_text("utf-8"))
    del run["input_state"]  # as the previous version wrote it
    run_file.write_text(json.dumps(run), "utf-8")
    again = audit([cat], out=tmp_path / "out", jurisdictions=["JP"])
    assert again.report == first.report
    assert "input_state" in json.loads(run_file.read_text("utf-8"))


def test_changed_settings_files_are_refused_by_name(tmp_path: Path) -> None:
    """Decisions read the piracy list and the hosts folder too: a resume after either changed
    would keep decisions made under the old files, so it is refused like a changed input."""
    cat = _catalogue(tmp_path / "c.jsonl", 2)
    piracy = tmp_path / "piracy.txt"
    piracy.write_text("elsewhere.test\n", "utf-8")
    hosts = tmp_path / "hosts"
    (hosts / "a.test" / ".well-known").mkdir(parents=True)
    tdm = hosts / "a.test" / ".well-known" / "tdmrep.json"
    tdm.write_text('[{"location": "/", "tdm-reservation": 0}]', "utf-8")
    first = audit([cat], out=tmp_path / "out", jurisdictions=["EU"], piracy=piracy, hosts=[hosts])
    again = audit([cat], out=tmp_path / "out", jurisdictions=["EU"], piracy=piracy,
                  hosts=[hosts])  # unchanged: resumes
    assert first.report == again.report
    piracy.write_text("elsewhere.test\na.test\n", "utf-8")
    with pytest.raises(InputError, match=r"changed since: " + str(piracy.resolve()) +
                       r" \(was 1 files, 15 bytes, .*now 1 files, 22 bytes, "):
        audit([cat], out=tmp_path / "out", jurisdictions=["EU"], piracy=piracy, hosts=[hosts])
    out2 = tmp_path / "out2"
    audit([cat], out=out2, jurisdictions=["EU"], piracy=piracy, hosts=[hosts])
    tdm.write_text('[{"location": "/", "tdm-reservation": 1}]', "utf-8")
    with pytest.raises(InputError, match=r"changed since: " + str(hosts.resolve()) +
                       r" \(was 1 files, 41 bytes, .*now 1 files, 41 bytes, "):
        audit([cat], out=out2, jurisdictions=["EU"], piracy=piracy, hosts=[hosts])



def test_explain_warns_when_the_profile_changed_since_the_audit(tmp_path: Path) -> None:
    """`policy explain` reads the profile file again: after an edit it explained a decision the
    manifest does not hold, without a word."""
    from importlib import resources

    from rightsguard.audit.run import explain

    cat = tmp_path / "c.jsonl"  # a row without a URL: no host file to read, EU allow
    cat.write_text(json.dumps({"text": (STDLIB / "this.py").read_text("utf-8")[:200]}) + "\n",
                   "utf-8")
    profile = tmp_path / "eux.toml"
    builtin = resources.files("rightsguard.policy.profiles").joinpath("EU.toml").read_text(
        "utf-8")
    profile.write_text(builtin.replace('name = "EU"', 'name = "EUX"', 1), "utf-8")
    audit([cat], out=tmp_path / "out", jurisdictions=[], profiles=[profile])
    (row,) = pq.read_table(tmp_path / "out" / "manifest.parquet").to_pylist()
    item = row["id"]
    assert [d["verdict"] for d in row["decisions"]] == ["allow"]
    before = explain(tmp_path / "out", item)
    assert not [line for line in before if line.startswith("warning:")]
    edited = builtin.replace('name = "EU"', 'name = "EUX"', 1).replace(
        'id = "u2-train-general"\nwhen = { purpose = "train-general" }\nverdict = "allow"',
        'id = "u2-train-general"\nwhen = { purpose = "train-general" }\nverdict = "review"')
    assert edited != builtin.replace('name = "EU"', 'name = "EUX"', 1)
    profile.write_text(edited, "utf-8")
    after = explain(tmp_path / "out", item)
    assert "warning: the audit decided allow for EUX; these rules (read now: the profile " \
           "changed since the audit) give review" in after
    assert after[-1] == (f"warning: {profile.resolve()} changed since the audit: the rules "
                         "above are its current ones")
