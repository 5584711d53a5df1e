"""Facts the policy rules read: the AI-training reservation combination, list flags, licences."""

from __future__ import annotations

import dataclasses

import pytest

from rightsguard.model import Purpose, Record, RightsSignal, Use
from rightsguard.policy.facts import (
    AppliesToTraining,
    derive_facts,
    licence_category,
    licence_class,
    reservation_state,
    source_flags,
)
from rightsguard.signals.licences import category_of

#: training-purpose tokens as the crawler table (rights-signals.md §3b) classes them
TRAINING = ("GPTBot", "ClaudeBot", "CCBot", "Google-Extended", "Applebot-Extended")


def sig(kind: str, state: str, *, value: str = "", scope: str = "*", carrier: str = "robots.txt",
        evidence: str = "") -> RightsSignal:
    return RightsSignal(kind, carrier, value or f"{kind} value", scope, state,
                        evidence or f"{kind} evidence", f"tests.{kind}")


ROBOTS_OK = sig("robots", "not-reserved", value="no rule disallows /a",
                evidence="robots.txt of example.com (HTTP 200)")
ROBOTS_GPTBOT = sig("robots", "reserved", value="disallow /", scope="GPTBot",
                    evidence="robots.txt of example.com (HTTP 200) line 3")
ROBOTS_NONE = sig("robots", "unknown", value="no robots.txt record for example.com")


def state(*signals: RightsSignal, modality: str = "text", agents: tuple[str, ...] = (),
          required: tuple[str, ...] = ("robots",),
          tokens: tuple[str, ...] | None = TRAINING) -> str:
    fact = reservation_state(signals, modality, agents, required=required,
                             training_tokens=tokens)
    assert fact.name == "reservation"
    assert isinstance(fact.value, str)
    return fact.value


# -- the combination rule: disallow wins, unknown is never allowed ------------------------------


def test_disallow_wins_over_allow() -> None:
    tdm_ok = sig("tdmrep", "not-reserved", value="0", carrier="tdmrep.json")
    fact = reservation_state([ROBOTS_OK, tdm_ok, ROBOTS_GPTBOT], "text", (),
                             required=("robots",), training_tokens=TRAINING)
    assert fact.value == "reserved"
    assert fact.evidence == ("robots 'disallow /' for GPTBot (robots.txt): robots.txt of "
                             "example.com (HTTP 200) line 3",)


def test_every_carrier_reserves_on_its_own() -> None:
    carriers = [
        sig("content-signal", "reserved", value="ai-train=no", scope="ai-train"),
        sig("aipref", "reserved", value="train-ai=n", scope="train-ai", carrier="http-header"),
        sig("tdmrep", "reserved", value="1", carrier="tdmrep.json"),
        sig("noai", "reserved", value="noai", carrier="html-meta"),
        sig("ai-txt", "reserved", value="disallow *.txt", carrier="ai.txt"),
        sig("iptc-data-mining", "reserved", value="DMI-PROHIBITED-AIMLTRAINING",
            scope="ai-training", carrier="xmp"),
        sig("c2pa-training-mining", "reserved", value="c2pa.ai_training: notAllowed",
            scope="c2pa.ai_training", carrier="c2pa-manifest"),
    ]
    for carrier in carriers:
        assert state(ROBOTS_OK, carrier) == "reserved", carrier.kind


def test_nothing_reserved_is_not_reserved() -> None:
    fact = reservation_state([ROBOTS_OK], "text", required=("robots",), training_tokens=TRAINING)
    assert fact.value == "not-reserved"
    assert fact.evidence == ("robots 'no rule disallows /a' for * (robots.txt): robots.txt of "
                             "example.com (HTTP 200)",)


def test_no_robots_record_is_unknown_not_allowed() -> None:
    assert state(ROBOTS_NONE) == "unknown"
    # an explicit allow elsewhere does not answer for the missing robots.txt
    assert state(ROBOTS_NONE, sig("tdmrep", "not-reserved", value="0")) == "unknown"
    # but an explicit reservation elsewhere settles it
    assert state(ROBOTS_NONE, sig("tdmrep", "reserved", value="1")) == "reserved"


def test_robots_txt_5xx_is_unknown_not_reserved() -> None:
    # RFC 9309 §2.3.1.4: the crawler assumes complete disallow; no reservation was expressed
    http_503 = sig("robots", "reserved", value="disallow all (HTTP 503)",
                   evidence="robots.txt of example.com (HTTP 503)")
    unreachable = sig("robots", "reserved", value="disallow all (unreachable)")
    fact = reservation_state([http_503], "text", required=("robots",), training_tokens=TRAINING)
    assert (fact.value, fact.evidence) == ("unknown", (
        "robots 'disallow all (HTTP 503)' for * (robots.txt): robots.txt of example.com "
        "(HTTP 503); a crawler must assume complete disallow (RFC 9309 §2.3.1.4), but no "
        "reservation was expressed: what the file reserves cannot be read",))
    assert state(unreachable) == "unknown"
    assert state(http_503, sig("tdmrep", "not-reserved", value="0")) == "unknown"
    assert state(http_503, sig("tdmrep", "reserved", value="1")) == "reserved"
    record = Record(id="warc:a.warc.gz#0", source="https://example.com/a", modality="text",
                    host="example.com", signals=(http_503,))
    facts = derive_facts(record, Use())
    assert (facts["robots_unavailable"].value, facts["robots_unavailable"].evidence) == (
        True, ("robots 'disallow all (HTTP 503)' for * (robots.txt): robots.txt of "
               "example.com (HTTP 503)",))
    assert derive_facts(dataclasses.replace(record, signals=(ROBOTS_GPTBOT,)),
                        Use())["robots_unavailable"].value is False


def test_required_carrier_missing_is_unknown() -> None:
    fact = reservation_state([], "text", required=("robots",))
    assert (fact.value, fact.evidence) == (
        "unknown", ("no robots signal for this item: the carrier was not checked",))
    # a local file (no host, nothing required) with no carrier is not reserved
    assert state(required=()) == "not-reserved"


def test_malformed_carrier_is_unknown() -> None:
    malformed = sig("tdmrep", "unknown", value="malformed: expected a JSON array",
                    carrier="tdmrep.json")
    assert state(ROBOTS_OK, malformed) == "unknown"
    broken_c2pa = sig("c2pa-training-mining", "unknown", carrier="c2pa-manifest",
                      value="unreadable C2PA manifest: bad JUMBF box")
    assert state(ROBOTS_OK, broken_c2pa) == "unknown"


def test_no_preference_unknowns_do_not_make_it_unknown() -> None:
    unspecified = sig("iptc-data-mining", "unknown", value="DMI-UNSPECIFIED", carrier="xmp")
    not_spawning = sig("ai-txt", "unknown", value="not a Spawning ai.txt", carrier="ai.txt")
    assert state(ROBOTS_OK, unspecified, not_spawning) == "not-reserved"


def test_qualified_prohibitions_are_unknown_bare_ones_reserved() -> None:
    # CAWG v1.1: constrained without additional information = notAllowed (the extractor says
    # reserved); with constraint info a human must read it (unknown → unknown reservation)
    bare = sig("c2pa-training-mining", "reserved", scope="train-ai",
               value="constrained (no constraint_info: treated as notAllowed)")
    with_info = sig("c2pa-training-mining", "unknown", scope="train-ai",
                    value="constrained: https://example.com/ai-terms")
    see_constraint = sig("iptc-data-mining", "unknown", carrier="xmp",
                         value="DMI-PROHIBITED-SEECONSTRAINT; plus:OtherConstraints: ask first")
    unrecognised = sig("iptc-data-mining", "unknown", carrier="xmp",
                       value="unrecognised plus:DataMining value 'DMI-MAYBE'")
    assert state(ROBOTS_OK, bare) == "reserved"
    assert state(ROBOTS_OK, with_info) == "unknown"
    assert state(ROBOTS_OK, see_constraint) == "unknown"
    assert state(ROBOTS_OK, unrecognised) == "unknown"
    # free-text constraints without a data-mining code express no machine-readable preference
    other = sig("iptc-data-mining", "unknown", carrier="xmp",
                value="plus:OtherConstraints: no AI please")
    assert state(ROBOTS_OK, other) == "not-reserved"


def test_noimageai_only_reserves_images() -> None:
    noimageai = sig("noimageai", "reserved", value="noimageai", carrier="html-meta")
    assert state(ROBOTS_OK, noimageai, modality="text") == "not-reserved"
    assert state(ROBOTS_OK, noimageai, modality="image") == "reserved"
    noai = sig("noai", "reserved", value="noai", carrier="http-header")
    assert state(ROBOTS_OK, noai, modality="text") == "reserved"


def test_search_only_scopes_are_ignored() -> None:
    search_no = sig("content-signal", "reserved", value="search=no", scope="search")
    aipref_search = sig("aipref", "reserved", value="search=n", scope="search")
    input_no = sig("content-signal", "reserved", value="ai-input=no", scope="*")
    searchbot = sig("robots", "reserved", value="disallow /", scope="OAI-SearchBot")
    assert state(ROBOTS_OK, search_no, aipref_search, input_no, searchbot) == "not-reserved"
    # the same Content-Signal line for training does count, with the key read from the value
    assert state(ROBOTS_OK, sig("content-signal", "reserved", value="ai-train=no")) == "reserved"


def test_content_signal_lines_in_crawler_groups() -> None:
    # Content-Signal / Content-Usage lines sit in robots.txt groups: the scope is the group's token
    in_gptbot = sig("content-signal", "reserved", value="ai-train=no", scope="GPTBot")
    in_searchbot = sig("content-signal", "reserved", value="ai-train=no", scope="OAI-SearchBot")
    search_only = sig("content-signal", "reserved", value="search=no", scope="GPTBot")
    both = sig("content-signal", "reserved", value="search=yes, ai-train=no", scope="*")
    assert state(ROBOTS_OK, in_gptbot) == "reserved"
    assert state(ROBOTS_OK, in_searchbot) == "not-reserved"
    assert state(ROBOTS_OK, search_only) == "not-reserved"
    assert state(ROBOTS_OK, both) == "reserved"
    aipref = sig("aipref", "reserved", value="train-ai=n", scope="train-ai", carrier="http-header")
    assert state(ROBOTS_OK, aipref) == "reserved"


def test_crawler_tokens_count_by_purpose_and_user_agents_always() -> None:
    mybot = sig("robots", "reserved", value="disallow /", scope="MyLabBot")
    assert state(ROBOTS_OK, mybot) == "not-reserved"  # not a training token of the table
    assert state(ROBOTS_OK, mybot, agents=("mylabbot",)) == "reserved"  # case-insensitive
    extended = sig("robots", "reserved", value="disallow /", scope="google-extended")
    assert state(ROBOTS_OK, extended) == "reserved"  # control token for training
    # without a crawler table every token's reservation is kept (never dropped unclassified)
    assert state(ROBOTS_OK, mybot, tokens=None) == "reserved"


def test_agent_scoped_noai_applies_only_to_that_agent() -> None:
    scoped = sig("noai", "reserved", value="noai", scope="OtherBot", carrier="http-header")
    assert state(ROBOTS_OK, scoped) == "not-reserved"
    assert state(ROBOTS_OK, scoped, agents=("OtherBot",)) == "reserved"


def test_signals_of_other_kinds_are_not_reservations() -> None:
    lic = sig("licence", "n/a", value="CC-BY-NC-4.0", carrier="html-meta")
    assert state(ROBOTS_OK, lic) == "not-reserved"


def test_applies_to_training_is_the_rule_reservation_state_reads() -> None:
    """The bound rule the reports get: the same answers as reservation_state's (above)."""
    applies = AppliesToTraining.of([" MyLabBot "], TRAINING)
    assert applies(sig("robots", "reserved", scope="mylabbot"), "text")  # --agent, any case
    assert applies(sig("robots", "reserved", scope="gptbot"), "text")  # training token
    assert not applies(sig("noai", "reserved", scope="googlebot", carrier="http-header"), "text")
    assert not applies(sig("noimageai", "reserved", carrier="http-header"), "text")
    assert applies(sig("noimageai", "reserved", carrier="http-header"), "image")
    assert not applies(sig("c2pa-training-mining", "reserved", scope="ai-inference"), "image")
    assert not applies(sig("licence", "n/a", value="CC-BY-NC-4.0"), "text")
    assert AppliesToTraining.of()(sig("noai", "reserved", scope="googlebot"), "text")


# -- lists, licences, unreadable ----------------------------------------------------------------


def test_source_flags() -> None:
    piracy = sig("list-piracy", "n/a", value="libgen.example", carrier="user-list",
                 evidence="piracy.txt line 2")
    flags = source_flags([ROBOTS_OK, piracy])
    assert flags["piracy_source"].value is True
    assert flags["piracy_source"].evidence == (
        "list-piracy 'libgen.example' for * (user-list): piracy.txt line 2",)
    assert flags["paywalled_source"].value is False
    assert flags["dataset_for_sale"].value is False


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        ((), "unspecified"),
        (("commercial",), "commercial"),
        (("commercial", "non-commercial"), "non-commercial"),
        (("non-commercial", "academic-only", "commercial"), "academic-only"),
        (("commercial", "unspecified"), "unspecified"),
        (("?",), "academic-only"),  # DPI resolves unclear as academic-only
    ],
)
def test_licence_class_most_restrictive_wins(values: tuple[str, ...], expected: str) -> None:
    signals = [sig("licence-class", "n/a", value=v, carrier="catalogue") for v in values]
    assert licence_class(signals).value == expected


def test_licence_category_uses_the_injected_categoriser() -> None:
    mit = sig("licence", "n/a", value="MIT", carrier="file")
    gpl = sig("licence", "n/a", value="GPL-3.0-only", carrier="file")
    assert licence_category([mit], category_of).value == "permissive"
    assert licence_category([mit, gpl], category_of).value == "copyleft"
    assert licence_category([mit], None).value == "unknown"
    assert licence_category([], category_of).value == "none"

    def broken(expression: str) -> str:
        raise ValueError(expression)

    assert licence_category([mit], broken).value == "unknown"


def test_derive_facts_from_record_and_use() -> None:
    record = Record(id="warc:a.warc.gz#0", source="https://example.com/a", modality="text",
                    host="example.com", signals=(ROBOTS_OK,), error="truncated gzip member")
    use = Use(Purpose.RESEARCH, commercial=False, actor="research-organisation",
              agents=("MyLabBot",))
    facts = derive_facts(record, use)
    assert {k: f.value for k, f in facts.items()} == {
        "purpose": "research", "commercial": False, "actor": "research-organisation",
        "modality": "text", "reservation": "not-reserved", "robots_unavailable": False,
        "piracy_source": False,
        "paywalled_source": False, "dataset_for_sale": False, "licence_class": "unspecified",
        "licence_category": "none", "unreadable": True,
    }
    assert facts["unreadable"].evidence == ("read error: truncated gzip member",)
    assert facts["commercial"].evidence == ("use: --non-commercial",)
    # an "unreadable" signal marks the item unreadable too
    bomb = sig("unreadable", "n/a", value="XML bomb: entity expansion", carrier="xmp")
    assert derive_facts(Record(id="x", source="x", modality="image", signals=(bomb,)),
                        use)["unreadable"].value is True


def test_a_generative_only_prohibition_does_not_reserve_analysis() -> None:
    """IPTC DMI-PROHIBITED-GENAIMLTRAINING and CAWG ai_generative_training notAllowed forbid
    generative training only (rights-signals.md §5a, §5b): --purpose analysis (U1, no
    generative model) is not reserved by them; every generative purpose is. A prohibition of
    all AI training reserves analysis too."""
    iptc = sig("iptc-data-mining", "reserved", scope="train-genai", carrier="xmp",
               value="DMI-PROHIBITED-GENAIMLTRAINING")
    cawg = sig("c2pa-training-mining", "reserved", scope="train-genai", carrier="c2pa-manifest",
               value="cawg.ai_generative_training: notAllowed")
    everything = sig("iptc-data-mining", "reserved", scope="train-ai", carrier="xmp",
                     value="DMI-PROHIBITED-AIMLTRAINING")
    for generative_only in (iptc, cawg):
        for purpose, want in (("analysis", "not-reserved"), ("train-general", "reserved"),
                              ("imitate-creator", "reserved"), ("research", "reserved"),
                              ("rag-excerpts", "reserved"), (None, "reserved")):
            fact = reservation_state([generative_only], "image", purpose=purpose,
                                     training_tokens=TRAINING)
            assert fact.value == want, (generative_only.kind, purpose)
        assert not AppliesToTraining.of((), TRAINING, "analysis")(generative_only, "image")
    assert reservation_state([everything], "image", purpose="analysis").value == "reserved"
    record = Record(id="x", source="/a.jpg", modality="image", signals=(iptc,))
    facts = derive_facts(record, Use(purpose=Purpose.ANALYSIS))
    assert facts["reservation"].value == "not-reserved"
