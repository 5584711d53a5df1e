"""Profiles as data (loading, validation, user copies), explanations and the pipeline step."""

from __future__ import annotations

import dataclasses
import pickle
import re
from importlib import resources
from pathlib import Path

import pytest

from rightsguard.errors import ConfigError
from rightsguard.model import Purpose, Record, RightsSignal, Use
from rightsguard.policy import BUILTIN_PROFILES, PolicyEngine, Profile, ProfileError
from rightsguard.signals.licences import category_of

DATA = Path(__file__).parent / "data"

ROBOTS_OK = RightsSignal("robots", "robots.txt", "no rule disallows /a", "*", "not-reserved",
                         "robots.txt of example.com (HTTP 200)", "tests")


def code_item(spdx: str | None) -> Record:
    signals = [ROBOTS_OK]
    if spdx is not None:
        signals.append(RightsSignal("licence", "file", spdx, "*", "n/a",
                                    "file src/app.py line 1 (SPDX-License-Identifier)", "tests"))
    return Record(id="folder:repo#src/app.py", source="https://example.com/src/app.py",
                  modality="code", host="example.com", signals=tuple(signals))


# -- built-in profiles ---------------------------------------------------------------------------


@pytest.mark.parametrize("name", BUILTIN_PROFILES)
def test_builtin_profile_loads_and_cites_every_rule(name: str) -> None:
    profile = Profile.load(name.lower())  # names are case-insensitive
    assert profile.name == name
    assert profile.version == "2026-12-01"
    assert profile.origin == f"built-in profile {name} ({name}.toml)"
    assert [r.id for r in profile.rules if r.default] == ["default"]
    assert profile.rules[0].id == "unreadable" and profile.rules[0].stop
    for rule in profile.rules:
        assert rule.provision and rule.source, rule.id
    # every use case U1–U5 is covered by a rule naming its purpose
    covered = {v for r in profile.rules for f, vs in r.when if f == "purpose" for v in vs}
    assert covered == {p.value for p in Purpose}


def test_builtin_provisions_follow_law_md() -> None:
    rules = {(p, r.id): r for p in BUILTIN_PROFILES for r in Profile.load(p).rules}
    assert rules["JP", "u1-analysis"].provision == "Copyright Act (Japan) Art. 30-4(ii)"
    assert rules["EU", "u3-research-art3"].provision.startswith(
        "DSM Directive (EU) 2019/790 Art. 3")
    assert rules["UK", "u3-research"].provision.startswith("CDPA 1988 s29A")
    assert rules["US", "s1-piracy"].source.startswith("Bartz v. Anthropic, N.D. Cal., order "
                                                      "23 Jun 2025")
    sg = rules["SG", "u2-train-general"]
    assert "https://laws.sg/legislation/act-2021-ca/section-243" in sg.source


def test_unknown_profile_name() -> None:
    with pytest.raises(ProfileError, match=r"FR: not a built-in profile \(JP, EU, UK, US, SG\)"):
        Profile.load("FR")


# -- validation: every problem at once, naming file, rule and key -------------------------------


def test_validation_reports_every_problem_at_once() -> None:
    path = DATA / "broken.toml"
    with pytest.raises(ProfileError) as caught:
        Profile.load(path)
    err = caught.value
    assert isinstance(err, ConfigError)
    assert err.origin == str(path)
    f = str(path)
    assert err.problems == (
        f"{f}: unknown top-level key 'extends'; allowed: description, name, rules, version",
        f"{f}: rule 'typo-fact' (rules[0]): key when.licence_categroy: unknown fact "
        "'licence_categroy'; known facts: actor, commercial, dataset_for_sale, licence_category, "
        "licence_class, modality, paywalled_source, piracy_source, purpose, reservation, "
        "robots_unavailable, unreadable",
        f"{f}: rule 'bad-verdict' (rules[1]): key 'verdict': 'deny' is not a verdict; allowed: "
        "allow, review, exclude",
        f"{f}: rule 'bad-values' (rules[2]): unknown key 'provison'; allowed: default, id, note, "
        "provision, source, stop, unless, verdict, when",
        f"{f}: rule 'bad-values' (rules[2]): key 'provision' is missing (every rule cites its "
        "provision and source)",
        f"{f}: rule 'bad-values' (rules[2]): key when.purpose: value 'training' is not allowed; "
        "allowed: analysis, train-general, research, imitate-creator, rag-excerpts",
        f"{f}: rule 'bad-values' (rules[2]): key unless.commercial: value 'no' is not a boolean; "
        "allowed: true, false",
        f"{f}: rule 'bad-verdict' (rules[3]): key 'id': duplicate of rules[1]",
        f"{f}: exactly one rule must have 'default = true' (what to decide when no other rule "
        "fires); found 0",
    )
    # the message carries them all
    assert str(err).startswith(f"policy profile {f}: 9 problem(s)\n  - {f}: unknown top-level")


def test_invalid_toml_names_the_file(tmp_path: Path) -> None:
    path = tmp_path / "bad.toml"
    path.write_text('name = "X"\n[[rules]\n', "utf-8")
    with pytest.raises(ProfileError, match=re.escape(f"{path}: invalid TOML: ")):
        Profile.load(path)


def test_default_rule_must_be_unconditional() -> None:
    text = ('[[rules]]\nid = "d"\ndefault = true\nwhen = { commercial = true }\n'
            'verdict = "review"\nprovision = "p"\nsource = "s"\n')
    with pytest.raises(ProfileError) as caught:
        Profile.loads(text, "x.toml", "x")
    assert caught.value.problems == (
        "x.toml: rule 'd' (rules[0]): key 'default': a default rule has no when/unless (it "
        "fires when no other rule fired)",)


def test_two_profiles_with_one_name() -> None:
    with pytest.raises(ProfileError, match="two profiles are named 'EU'"):
        PolicyEngine(["EU", Profile.load("EU")])


# -- a user copies a profile and edits it --------------------------------------------------------


def no_copyleft_profile(tmp_path: Path) -> Path:
    """The EU built-in, copied and edited: renamed and one rule added before the default."""
    text = (resources.files("rightsguard.policy") / "profiles" / "EU.toml").read_text("utf-8")
    text = text.replace('name = "EU"', 'name = "EU-no-copyleft"')
    rule = (
        '[[rules]]\nid = "no-copyleft-code"\n'
        'when = { licence_category = ["copyleft", "copyleft-limited"], modality = "code" }\n'
        'verdict = "exclude"\nprovision = "Company policy: no copyleft code in training data"\n'
        'source = "Engineering handbook §4.2"\n\n'
    )
    text = text.replace('[[rules]]\nid = "default"', rule + '[[rules]]\nid = "default"')
    path = tmp_path / "eu-no-copyleft.toml"
    path.write_text(text, "utf-8")
    return path


def test_user_profile_no_copyleft_code(tmp_path: Path) -> None:
    engine = PolicyEngine(["EU", no_copyleft_profile(tmp_path)], licence_category=category_of)
    use = Use(Purpose.TRAIN_GENERAL)
    eu, mine = engine.decide(code_item("GPL-3.0-only"), use)
    assert (eu.jurisdiction, eu.verdict) == ("EU", "allow")
    assert (mine.jurisdiction, mine.verdict) == ("EU-no-copyleft", "exclude")
    reason = mine.reasons[-1]
    assert reason.rule == "EU-no-copyleft:no-copyleft-code"
    assert reason.provision == "Company policy: no copyleft code in training data"
    assert reason.evidence == (
        "licence_category=copyleft (copyleft: licence 'GPL-3.0-only' for * (file): file "
        "src/app.py line 1 (SPDX-License-Identifier)); modality=code (record "
        "folder:repo#src/app.py)")
    assert [d.verdict for d in engine.decide(code_item("MIT"), use)] == ["allow", "allow"]
    assert [d.verdict for d in engine.decide(code_item("MPL-2.0"), use)] == ["allow", "exclude"]
    assert [d.verdict for d in engine.decide(code_item(None), use)] == ["allow", "allow"]


def test_user_profile_typo_is_reported(tmp_path: Path) -> None:
    path = no_copyleft_profile(tmp_path)
    path.write_text(path.read_text("utf-8").replace('"copyleft-limited"', '"weak-copyleft"'),
                    "utf-8")
    with pytest.raises(ProfileError) as caught:
        Profile.load(path)
    assert caught.value.problems == (
        f"{path}: rule 'no-copyleft-code' (rules[12]): key when.licence_category: value "
        "'weak-copyleft' is not allowed; allowed: permissive, copyleft, copyleft-limited, "
        "proprietary, public-domain, unknown, none",)


# -- rule semantics ------------------------------------------------------------------------------

MINI = """
name = "MINI"
[[rules]]
id = "stop-unreadable"
when = { unreadable = true }
verdict = "review"
provision = "p1"
source = "s1"
stop = true
[[rules]]
id = "images"
when = { modality = "image" }
verdict = "exclude"
provision = "p2"
source = "s2"
[[rules]]
id = "fallback"
default = true
verdict = "review"
provision = "p3"
source = "s3"
"""


def test_default_fires_only_when_nothing_else_did() -> None:
    engine = PolicyEngine([Profile.loads(MINI, "mini.toml", "mini")])
    text = Record(id="t", source="t.txt", modality="text")
    (got,) = engine.decide(text, Use())
    assert got.verdict == "review"
    assert [(r.rule, r.provision, r.source) for r in got.reasons] == [
        ("MINI:fallback", "p3", "s3")]
    assert got.reasons[0].evidence == (
        "no other rule of MINI applies (purpose=train-general (use: --purpose train-general), "
        "commercial=true (use: --commercial), actor=company (use: --actor company))")
    (img,) = engine.decide(dataclasses.replace(text, modality="image"), Use())
    assert [r.rule for r in img.reasons] == ["MINI:images"]


def test_stop_rule_ends_the_evaluation() -> None:
    engine = PolicyEngine([Profile.loads(MINI, "mini.toml", "mini")])
    broken = Record(id="b", source="b.png", modality="image", error="decompression bomb")
    (got,) = engine.decide(broken, Use())
    assert (got.verdict, [r.rule for r in got.reasons]) == ("review", ["MINI:stop-unreadable"])
    steps = engine.explain(broken, Use(), "mini").steps
    assert [(s.rule.id, s.fired, s.why) for s in steps] == [
        ("stop-unreadable", True, "unreadable=true == true"),
        ("images", False, "not evaluated: MINI:stop-unreadable stopped the evaluation"),
        ("fallback", False, "another rule fired"),
    ]


# -- explain -------------------------------------------------------------------------------------


def test_explain_lists_every_rule_in_order() -> None:
    engine = PolicyEngine(BUILTIN_PROFILES)
    record = Record(id="warc:crawl.warc.gz#1024", source="https://example.com/a",
                    modality="text", host="example.com")
    explanation = engine.explain(record, Use(Purpose.TRAIN_GENERAL), "eu")
    assert explanation.decision.verdict == "review"
    assert [s.rule.id for s in explanation.steps] == [r.id for r in Profile.load("EU").rules]
    lines = explanation.lines()
    assert lines[0] == "warc:crawl.warc.gz#1024 — EU (profile version 2026-12-01): review"
    assert ("  reservation=unknown (no robots signal for this item: the carrier was not "
            "checked)") in lines
    assert "  1. EU:unreadable — not fired: unreadable=false != true" in lines
    assert "  3. EU:u2-train-general — FIRED → allow: purpose=train-general == train-general" in (
        lines)
    assert "  11. EU:robots-unavailable — not fired: robots_unavailable=false != true" in lines
    assert ("  12. EU:reservation-unknown — FIRED → review: reservation=unknown == unknown; "
            "unless purpose=train-general != analysis or research, actor=company != "
            "research-organisation, commercial=true != false") in lines
    assert "  13. EU:default — not fired: another rule fired" in lines
    assert lines[-1] == "decision: review (EU:u2-train-general, EU:reservation-unknown)"
    as_dict = explanation.to_dict()
    assert as_dict["verdict"] == "review"
    assert [r["rule"] for r in as_dict["rules"] if r["fired"]] == [
        "EU:u2-train-general", "EU:reservation-unknown"]


def test_explain_blocked_by_unless() -> None:
    engine = PolicyEngine(["EU"])
    reserved = RightsSignal("tdmrep", "http-header", "1", "*", "reserved",
                            "header tdm-reservation: 1", "tests")
    record = Record(id="r", source="https://example.com/a", modality="text",
                    host="example.com", signals=(ROBOTS_OK, reserved))
    use = Use(Purpose.RESEARCH, commercial=False, actor="research-organisation")
    step = next(s for s in engine.explain(record, use, "EU").steps
                if s.rule.id == "s3-art4-reservation")
    assert not step.fired
    assert step.why == ("blocked by unless purpose=research == analysis or research, "
                        "actor=research-organisation == research-organisation, "
                        "commercial=false == false")


def test_explain_unknown_jurisdiction() -> None:
    with pytest.raises(ProfileError, match="no profile named 'FR'; loaded: JP, EU"):
        PolicyEngine(["JP", "EU"]).explain(Record(id="r", source="s", modality="text"), Use(),
                                           "FR")


# -- pipeline step -------------------------------------------------------------------------------


def test_step_is_picklable_and_decides_each_record() -> None:
    engine = PolicyEngine(BUILTIN_PROFILES, licence_category=category_of)
    step = pickle.loads(pickle.dumps(engine.step(Use(Purpose.ANALYSIS, commercial=False))))
    records = [code_item("MIT"), code_item(None)]
    out = list(step.run(iter(records), rank=1, world_size=2))
    assert [r.id for r in out] == [r.id for r in records]
    assert [[d.verdict for d in r.decisions] for r in out] == [["allow"] * 5] * 2
    assert out[0].signals == records[0].signals  # everything else is kept
    assert records[0].decisions == ()  # records are immutable: new ones come out
