"""Every cell of law.md §7 (U1–U5 and S1–S3 × JP, EU, UK, US, SG), one value per cell.

Two-valued cells decide ``review`` unless a signal settles the flip condition; the settled
cases are tested after the table. Each cell also names the rule that must have fired.
"""

from __future__ import annotations

import dataclasses

import pytest

from rightsguard.model import Decision, Purpose, Record, RightsSignal, Use
from rightsguard.policy import BUILTIN_PROFILES, PolicyEngine
from rightsguard.policy.engine import _decision

ENGINE = PolicyEngine(BUILTIN_PROFILES, training_tokens=("GPTBot", "CCBot"))

ROBOTS_OK = RightsSignal("robots", "robots.txt", "no rule disallows /a", "*", "not-reserved",
                         "robots.txt of example.com (HTTP 200)", "tests")
RESERVED = RightsSignal("robots", "robots.txt", "disallow /", "GPTBot", "reserved",
                        "robots.txt of example.com (HTTP 200) line 3", "tests")
PIRACY = RightsSignal("list-piracy", "user-list", "example.com", "*", "n/a",
                      "piracy.txt line 1", "tests")
PAYWALL = RightsSignal("list-paywall", "user-list", "example.com", "*", "n/a",
                       "paywalled.txt line 1", "tests")
FOR_SALE = RightsSignal("list-dataset-for-sale", "user-list", "example.com", "*", "n/a",
                        "dataset-for-sale.txt line 1", "tests")


def licensed(cls: str) -> RightsSignal:
    return RightsSignal("licence-class", "n/a", cls, "*", "n/a", "catalogue column licence",
                        "tests")


USES = {
    "U1": Use(Purpose.ANALYSIS),
    "U2": Use(Purpose.TRAIN_GENERAL, commercial=True),
    "U3": Use(Purpose.RESEARCH, commercial=False, actor="research-organisation"),
    "U4": Use(Purpose.IMITATE_CREATOR),
    "U5": Use(Purpose.RAG_EXCERPTS),
}
#: the source rows are read for the law table's general case, U2
SOURCES = {"S1": PIRACY, "S2": PAYWALL, "S3": RESERVED}


def item(*signals: RightsSignal, error: str | None = None) -> Record:
    """A web page whose robots.txt reserves nothing, plus ``signals``."""
    return Record(id="warc:crawl.warc.gz#1024", source="https://example.com/a", modality="text",
                  host="example.com", domain="example.com", signals=(ROBOTS_OK, *signals),
                  error=error)


def decision(record: Record, use: Use, jurisdiction: str) -> Decision:
    decisions = {d.jurisdiction: d for d in ENGINE.decide(record, use)}
    assert list(decisions) == list(BUILTIN_PROFILES)
    return decisions[jurisdiction]


# (case, jurisdiction, verdict, rule that must have fired)
TABLE = [
    ("U1", "JP", "allow", "u1-analysis"),
    ("U1", "EU", "allow", "u1-analysis"),
    ("U1", "UK", "exclude", "u1-analysis-commercial"),
    ("U1", "US", "review", "u1-analysis-commercial"),  # ALLOW/REVIEW
    ("U1", "SG", "allow", "u1-analysis"),
    ("U2", "JP", "allow", "u2-train-general"),
    ("U2", "EU", "allow", "u2-train-general"),
    ("U2", "UK", "exclude", "u2-train-general"),
    ("U2", "US", "allow", "u2-train-general"),
    ("U2", "SG", "allow", "u2-train-general"),
    ("U3", "JP", "allow", "u3-research"),
    ("U3", "EU", "allow", "u3-research-art3"),
    ("U3", "UK", "allow", "u3-research"),
    ("U3", "US", "allow", "u3-research"),
    ("U3", "SG", "allow", "u3-research"),
    ("U4", "JP", "review", "u4-imitate-creator"),  # EXCLUDE (expression) / REVIEW (style)
    ("U4", "EU", "review", "u4-imitate-creator"),
    ("U4", "UK", "exclude", "u4-imitate-creator"),
    ("U4", "US", "review", "u4-imitate-creator"),  # REVIEW/EXCLUDE
    ("U4", "SG", "review", "u4-imitate-creator"),
    ("U5", "JP", "review", "u5-rag-excerpts"),
    ("U5", "EU", "review", "u5-rag-excerpts"),  # REVIEW/EXCLUDE
    ("U5", "UK", "review", "u5-rag-excerpts"),  # EXCLUDE/REVIEW
    ("U5", "US", "review", "u5-rag-excerpts"),
    ("U5", "SG", "review", "u5-rag-excerpts"),
    ("S1", "JP", "review", "s1-piracy"),  # REVIEW (policy EXCLUDE)
    ("S1", "EU", "exclude", "s1-piracy"),
    ("S1", "UK", "exclude", "s1-piracy"),
    ("S1", "US", "exclude", "s1-piracy"),
    ("S1", "SG", "exclude", "s1-piracy"),
    ("S2", "JP", "exclude", "s2-paywall"),
    ("S2", "EU", "exclude", "s2-paywall"),
    ("S2", "UK", "exclude", "s2-paywall"),
    ("S2", "US", "exclude", "s2-paywall"),
    ("S2", "SG", "exclude", "s2-paywall"),
    ("S3", "JP", "review", "s3-reservation"),
    ("S3", "EU", "exclude", "s3-art4-reservation"),
    ("S3", "UK", "exclude", "s3-reservation-commercial"),
    ("S3", "US", "review", "s3-reservation"),
    ("S3", "SG", "allow", "s3-reservation-no-opt-out"),
]


def test_the_table_has_every_cell() -> None:
    cells = {(case, j) for case, j, _, _ in TABLE}
    assert cells == {(c, j) for c in [*USES, *SOURCES] for j in BUILTIN_PROFILES}
    assert len(TABLE) == 40


@pytest.mark.parametrize(("case", "jurisdiction", "verdict", "rule"), TABLE,
                         ids=[f"{c}-{j}" for c, j, _, _ in TABLE])
def test_law_table_cell(case: str, jurisdiction: str, verdict: str, rule: str) -> None:
    if case in USES:
        record, use = item(), USES[case]
    else:
        record, use = item(SOURCES[case]), USES["U2"]
    got = decision(record, use, jurisdiction)
    assert got.verdict == verdict
    assert f"{jurisdiction}:{rule}" in [r.rule for r in got.reasons]


# -- flip conditions settled by a signal (or the use) ------------------------------------------


@pytest.mark.parametrize(
    ("jurisdiction", "use", "signals", "verdict", "rule"),
    [
        # JP U1/U2 proviso: the rights holder sells the data as an analysis/training DB
        ("JP", USES["U1"], (FOR_SALE,), "exclude", "proviso-dataset-for-sale"),
        ("JP", USES["U2"], (FOR_SALE,), "exclude", "proviso-dataset-for-sale"),
        # JP U2: AI-blocking measure alone is evidence, not settled → review; with a sale → exclude
        ("JP", USES["U2"], (RESERVED,), "review", "s3-reservation"),
        ("JP", USES["U2"], (RESERVED, FOR_SALE), "exclude", "proviso-dataset-for-sale"),
        # EU U1/U2/U5: an Art. 4(3) reservation settles it → exclude
        ("EU", USES["U1"], (RESERVED,), "exclude", "s3-art4-reservation"),
        ("EU", USES["U2"], (RESERVED,), "exclude", "s3-art4-reservation"),
        ("EU", USES["U5"], (RESERVED,), "exclude", "s3-art4-reservation"),
        # EU U3: Art. 3 research ignores the opt-out …
        ("EU", USES["U3"], (RESERVED,), "allow", "u3-research-art3"),
        # … but research for a company, commercially, takes the Art. 4 path
        ("EU", Use(Purpose.RESEARCH, commercial=True), (RESERVED,), "exclude",
         "s3-art4-reservation"),
        ("EU", Use(Purpose.RESEARCH, commercial=True), (), "allow", "u3-research-art4"),
        # EU analysis by a research organisation, non-commercial: Art. 3
        ("EU", Use(Purpose.ANALYSIS, commercial=False, actor="research-organisation"),
         (RESERVED,), "allow", "u1-analysis"),
        # UK U1 non-commercial research: s29A
        ("UK", Use(Purpose.ANALYSIS, commercial=False), (), "allow", "u1-analysis-non-commercial"),
        # UK U2 "EXCLUDE unless licensed": a commercial-use licence → review its terms
        ("UK", USES["U2"], (licensed("commercial"),), "review", "licensed"),
        ("UK", USES["U2"], (licensed("non-commercial"),), "exclude", "u2-train-general"),
        # UK U5 EXCLUDE/REVIEW: a reservation on a commercial use settles it
        ("UK", USES["U5"], (RESERVED,), "exclude", "s3-reservation-commercial"),
        # UK S3 for non-commercial s29A research: contract cannot override → allow
        ("UK", USES["U3"], (RESERVED,), "allow", "u3-research"),
        # US U1 ALLOW/REVIEW: non-commercial analysis builds no competing product → allow
        ("US", Use(Purpose.ANALYSIS, commercial=False), (), "allow", "u1-analysis-non-commercial"),
        # US U3 is ALLOW for non-commercial research (factor 1); a company's non-commercial
        # research is non-commercial too
        ("US", Use(Purpose.RESEARCH, commercial=False), (), "allow", "u3-research"),
        # US: a non-commercial licence on a commercial use → review
        ("US", USES["U2"], (licensed("non-commercial"),), "review", "licence-non-commercial"),
        # SG S3 that is an access control is S2: exclude
        ("SG", USES["U2"], (RESERVED, PAYWALL), "exclude", "s2-paywall"),
    ],
)
def test_settled_flip(jurisdiction: str, use: Use, signals: tuple[RightsSignal, ...],
                      verdict: str, rule: str) -> None:
    got = decision(item(*signals), use, jurisdiction)
    assert got.verdict == verdict
    assert f"{jurisdiction}:{rule}" in [r.rule for r in got.reasons]


def test_us_commercial_research_is_not_justified_as_non_profit_research() -> None:
    """law.md §7 U3 (US): ALLOW rests on fair-use factor 1 for *non-commercial* research; a
    commercial purpose weighs against it (17 U.S.C. §107(1)) and no cell of the table covers
    commercial research, so the rights cannot be determined: review, as for commercial
    analysis (U1, Ross) — never an allow citing non-profit research."""
    got = decision(item(), Use(Purpose.RESEARCH, commercial=True), "US")
    assert got.verdict == "review"
    assert [r.rule for r in got.reasons] == ["US:u3-research-commercial"]
    assert got.reasons[0].provision == ("17 U.S.C. §107 (factor 1: a commercial purpose weighs "
                                        "against fair use; no non-profit research)")
    assert got.reasons[0].evidence == ("purpose=research (use: --purpose research); "
                                       "commercial=true (use: --commercial)")
    assert not any("non-profit research)" in r.provision and r.rule == "US:u3-research"
                   for r in got.reasons)


def test_unknown_reservation_is_review_where_the_answer_is_needed() -> None:
    no_robots = Record(id="warc:crawl.warc.gz#2048", source="https://example.org/b",
                       modality="text", host="example.org")
    got = {d.jurisdiction: d for d in ENGINE.decide(no_robots, USES["U2"])}
    assert got["EU"].verdict == "review"
    assert [r.rule for r in got["EU"].reasons] == ["EU:u2-train-general",
                                                   "EU:reservation-unknown"]
    # the jurisdictions without an opt-out regime do not need the answer
    assert {j: got[j].verdict for j in ("JP", "US", "SG")} == {
        "JP": "allow", "US": "allow", "SG": "allow"}
    # Art. 3 research does not need it either
    eu3 = decision(no_robots, USES["U3"], "EU")
    assert eu3.verdict == "allow"


#: a robots.txt that answered 503, as rightsguard.signals.robots records it
ROBOTS_503 = RightsSignal("robots", "robots.txt", "disallow all (HTTP 503)", "*", "reserved",
                          "robots.txt of example.net (HTTP 503): unreachable robots.txt means "
                          "complete disallow (RFC 9309 §2.3.1.4)", "tests")


def test_robots_txt_5xx_is_a_crawling_rule_not_a_reservation() -> None:
    """RFC 9309 §2.3.1.4 makes the crawler assume complete disallow, but no rights holder
    reserved anything: no rule citing a reservation (EU Art. 4(3), JP's AI-blocking measures)
    fires; where the answer is needed the rights cannot be determined (review), and every
    decision names the RFC."""
    record = Record(id="warc:crawl.warc.gz#4096", source="https://example.net/c",
                    modality="text", host="example.net", signals=(ROBOTS_503,))
    got = {d.jurisdiction: d for d in ENGINE.decide(record, USES["U2"])}
    assert {j: (d.verdict, [r.rule for r in d.reasons]) for j, d in got.items()} == {
        # no opt-out in Japan; what the file might have blocked cannot be read
        "JP": ("review", ["JP:u2-train-general", "JP:robots-unavailable"]),
        # Art. 4 needs the answer, which cannot be read (law.md §2.5): review, not exclude
        "EU": ("review", ["EU:u2-train-general", "EU:robots-unavailable",
                          "EU:reservation-unknown"]),
        # no commercial exception (U2 EXCLUDE); the reservation-as-licence-terms is unknown
        "UK": ("exclude", ["UK:u2-train-general", "UK:robots-unavailable"]),
        # robots.txt honoured by policy (law.md §4)
        "US": ("review", ["US:u2-train-general", "US:robots-unavailable"]),
        # s244: no opt-out; recorded
        "SG": ("allow", ["SG:u2-train-general", "SG:robots-unavailable"]),
    }
    for d in got.values():
        cited = next(r for r in d.reasons if r.rule.endswith(":robots-unavailable"))
        assert cited.provision.startswith("RFC 9309 §2.3.1.4 (robots.txt answered 5xx or "
                                          "unreachable: the crawler must assume complete "
                                          "disallow)")
        assert "Art. 4(3)" not in cited.provision
        assert cited.evidence.startswith(
            "robots_unavailable=true (robots 'disallow all (HTTP 503)' for * (robots.txt): "
            "robots.txt of example.net (HTTP 503): unreachable robots.txt means complete "
            "disallow (RFC 9309 §2.3.1.4))")
    unknown = next(r for r in got["EU"].reasons if r.rule == "EU:reservation-unknown")
    assert unknown.evidence.startswith("reservation=unknown (robots 'disallow all (HTTP 503)'")
    assert unknown.evidence.endswith("; a crawler must assume complete disallow (RFC 9309 "
                                     "§2.3.1.4), but no reservation was expressed: what the "
                                     "file reserves cannot be read)")
    # an explicit reservation on another carrier still settles it
    noai = RightsSignal("noai", "html-meta", "noai", "*", "reserved", "meta robots", "tests")
    both = dataclasses.replace(record, signals=(ROBOTS_503, noai))
    assert decision(both, USES["U2"], "EU").verdict == "exclude"
    # Art. 3 research needs no answer (law.md §7 U3), UK s29A research neither
    assert decision(record, USES["U3"], "EU").verdict == "allow"
    assert decision(record, USES["U3"], "UK").verdict == "allow"


@pytest.mark.parametrize("case", [*USES])
def test_unreadable_item_is_review_everywhere(case: str) -> None:
    record = item(PIRACY, RESERVED, error="truncated gzip member at byte 1234")
    for d in ENGINE.decide(record, USES[case]):
        assert d.verdict == "review", (case, d)
        assert [r.rule for r in d.reasons] == [f"{d.jurisdiction}:unreadable"]
        assert d.reasons[0].evidence == ("unreadable=true (read error: truncated gzip member "
                                         "at byte 1234)")


def test_reasons_carry_provision_source_and_evidence() -> None:
    got = decision(item(RESERVED), USES["U2"], "EU")
    reason = next(r for r in got.reasons if r.rule == "EU:s3-art4-reservation")
    assert reason.provision == "DSM Directive (EU) 2019/790 Art. 4(3); AI Act Art. 53(1)(c)"
    assert "https://eur-lex.europa.eu/legal-content/EN/TXT/HTML/?uri=CELEX:32019L0790" in (
        reason.source)
    assert reason.evidence == ("reservation=reserved (robots 'disallow /' for GPTBot "
                               "(robots.txt): robots.txt of example.com (HTTP 200) line 3)")
    # most restrictive wins, and every fired rule is a reason
    assert got.verdict == "exclude"
    assert [r.rule for r in got.reasons] == ["EU:u2-train-general", "EU:s3-art4-reservation"]


def test_remembered_rules_decide_as_evaluating_every_rule() -> None:
    """PolicyEngine.decide remembers which rules fired per combination of fact values; every
    use × source combination must decide exactly as evaluating every rule, and each item's
    reasons must quote that item's evidence, not the item that filled the cache."""
    engine = PolicyEngine(BUILTIN_PROFILES, training_tokens=("GPTBot", "CCBot"))
    combos = [(), *[(s,) for s in SOURCES.values()], (PIRACY, RESERVED), (licensed("academic"),),
              (licensed("non-commercial"), RESERVED)]
    for round_ in range(2):  # the second round is answered from the cache
        for use in USES.values():
            for signals in combos:
                line = f"line {round_ + 7}"
                record = item(*(dataclasses.replace(s, evidence=f"{s.evidence}, {line}")
                                for s in signals))
                facts = engine.facts(record, use)
                want = tuple(_decision(p.name, [o for o in p.evaluate(facts) if o.fired])
                             for p in engine.profiles)
                got = engine.decide(record, use)
                assert got == want, (use, signals)
                if RESERVED in signals and use == USES["U2"]:  # EU quotes the robots line
                    assert any(line in r.evidence for d in got for r in d.reasons)
    assert 0 < len(engine._fired) <= len(USES) * len(combos) * len(BUILTIN_PROFILES)
