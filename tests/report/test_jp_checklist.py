"""jp-checklist.md (Copyright Act Art. 30-4) on the hand-built corpus in data/audit."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from audit_records import APPLIES, load_records

from rightsguard.model import Decision, Purpose, Record, RightsSignal, Use
from rightsguard.report.jp_checklist import (
    ACA_GUIDANCE,
    JpChecklistFacts,
    build_jp_checklist,
    render_jp_checklist_md,
    write_jp_checklist,
)
from rightsguard.report.manifest import AuditRun

DATA = Path(__file__).parent / "data" / "audit"




def checklist(purpose: Purpose = Purpose.TRAIN_GENERAL, **options: Any) -> dict[str, Any]:
    run = AuditRun(inputs=("crawl.warc.gz",), jurisdictions=("EU", "JP"),
                   use=Use(purpose=purpose))
    return build_jp_checklist(JpChecklistFacts(applies=APPLIES, **options)
                              .add_all(load_records()), run)


def test_purpose_checks_follow_the_use() -> None:
    declared = checklist()["purpose"]
    # the declared purpose is the user's statement: never "ok", always for a person to confirm
    assert (declared["status"], declared["declared"], declared["provision"]) == (
        "to-confirm", "train-general", "Copyright Act (Act No. 48 of 1970) Art. 30-4")
    assert declared["finding"] == (
        "the declared purpose (train-general) is information analysis without enjoyment of "
        "the expression, so Art. 30-4 can apply, commercial or not; tick only once a person "
        "has confirmed the declaration: no enjoyment purpose is mixed in, such as training "
        "aimed at outputting training works (intentional over-fitting)")
    imitate = checklist(Purpose.IMITATE_CREATOR)["purpose"]
    assert imitate["status"] == "flag"
    assert "enjoyment purpose co-exists and Art. 30-4 does not apply" in imitate["finding"]
    rag = checklist(Purpose.RAG_EXCERPTS)["purpose"]
    assert rag["status"] == "flag"
    assert rag["provision"] == ("Copyright Act (Act No. 48 of 1970) Art. 30-4; "
                                "Copyright Act (Act No. 48 of 1970) Art. 47-5(1)")
    assert checklist(Purpose.ANALYSIS)["purpose"]["status"] == "to-confirm"
    assert checklist(Purpose.RESEARCH)["purpose"]["status"] == "to-confirm"


@pytest.mark.parametrize("purpose", list(Purpose))
def test_the_purpose_box_is_never_ticked_by_the_audit(purpose: Purpose) -> None:
    lines = render_jp_checklist_md(checklist(purpose)).splitlines()
    start = lines.index("## 1. Purpose: is an enjoyment purpose mixed in?")
    end = lines.index("## 2. Proviso: would the use unreasonably prejudice the copyright owner?")
    section = lines[start + 1:end]
    assert section[1] == (f"Declared purpose (--purpose): {purpose.value}. The declaration is "
                          "your own statement, which the audit cannot verify: a person ticks "
                          "this box.")
    boxes = [line for line in section if line.startswith("- [")]
    assert len(boxes) == 1 and boxes[0].startswith("- [ ] ")
    assert "[x]" not in "\n".join(section)


def test_proviso_signals() -> None:
    proviso = checklist()["proviso"]
    sale = proviso["dataset_for_sale"]
    assert (sale["status"], sale["items"], sale["examples"]) == (
        "flag", 1, ["warc:crawl.warc.gz#280000"])
    assert sale["domains"] == [{"domain": "seller.test", "items": 1}]
    assert sale["provision"] == "Copyright Act (Act No. 48 of 1970) Art. 30-4 proviso"
    block = proviso["ai_blocking_measures"]
    # robots.txt (GPTBot) + TDMRep on #0, IPTC on #9000, noai on #280000: every reservation the
    # policy reads as reserved (#9000's is why JP/s3-proviso-evidence sends it to review)
    assert (block["items"], block["examples"]) == (
        3, ["warc:crawl.warc.gz#0", "warc:crawl.warc.gz#9000", "warc:crawl.warc.gz#280000"])
    assert block["by_measure"] == {"robots.txt": 1, "TDMRep": 1, "noai": 1, "Content-Signal": 0,
                                   "AIPREF": 0, "ai.txt": 0, "IPTC": 1, "C2PA": 0}
    assert [d["domain"] for d in block["domains"]] == ["example.com", "photos.test",
                                                       "seller.test"]
    paywall = proviso["access_controls"]
    assert (paywall["items"], paywall["domains"]) == (
        1, [{"domain": "example.net", "items": 1}])


def test_pirated_sources_review_and_excluded() -> None:
    doc = checklist()
    piracy = doc["pirated_sources"]
    assert (piracy["status"], piracy["items"], piracy["examples"]) == (
        "flag", 1, ["warc:crawl.warc.gz#230000"])
    review = doc["review"]
    assert review["examples"] == ["warc:crawl.warc.gz#0", "warc:crawl.warc.gz#9000",
                                  "warc:crawl.warc.gz#230000", "warc:crawl.warc.gz#300000"]
    assert review["rules"] == [{"rule": "JP/s3-proviso-evidence", "items": 2},
                               {"rule": "JP/s1-piracy", "items": 1},
                               {"rule": "JP/unreadable", "items": 1}]
    assert (doc["excluded"]["items"], doc["excluded"]["rules"]) == (
        1, [{"rule": "JP/dataset-for-sale", "items": 1}])
    assert (doc["items"], doc["unreadable"], doc["decided"]) == (13, 1, 13)


def test_examples_are_capped_counts_are_not() -> None:
    review = checklist(max_examples=1)["review"]
    assert (review["items"], review["examples"]) == (4, ["warc:crawl.warc.gz#0"])
    with pytest.raises(ValueError, match="-1"):
        JpChecklistFacts(applies=APPLIES, max_examples=-1)


def test_markdown_cites_article_and_guidance() -> None:
    md = render_jp_checklist_md(checklist(Purpose.RAG_EXCERPTS))
    lines = md.splitlines()
    assert lines[0] == "# Japan: Copyright Act Art. 30-4 checklist"
    assert lines[2] == ("Use audited: purpose rag-excerpts, commercial, actor company. 13 items "
                        "(1 unreadable), 13 decided for JP.")
    assert f"Guidance cited throughout: {ACA_GUIDANCE}." in lines
    assert any(line.startswith("- [ ] The purpose is retrieval-augmented generation")
               for line in lines)
    i = lines.index(next(line for line in lines if "dataset-for-sale list" in line))
    assert lines[i].startswith("- [ ] Items from domains whose owner sells the data")
    assert lines[i].endswith("(Copyright Act (Act No. 48 of 1970) Art. 30-4 proviso)")
    assert lines[i + 1:i + 4] == ["  - Items: 1", "  - Domains: seller.test (1)",
                                  "  - Examples: warc:crawl.warc.gz#280000"]
    assert ("(reservations by robots.txt 1, TDMRep 1, noai 1, Content-Signal 0, AIPREF 0, "
            "ai.txt 0, IPTC 1, C2PA 0)") in md
    assert "  - Rules: JP/s3-proviso-evidence (2), JP/s1-piracy (1), JP/unreadable (1)" in lines
    declared = render_jp_checklist_md(checklist())
    assert "- [ ] The declared purpose (train-general) is information analysis" in declared
    assert "Boxes: [x] = the audit found nothing; [ ] = act on it, or confirm it." in declared


def test_clean_corpus_ticks_every_box_but_the_purpose(tmp_path: Path) -> None:
    run = AuditRun(inputs=("a.jsonl",), jurisdictions=("JP",), use=Use(Purpose.ANALYSIS))
    facts = JpChecklistFacts(applies=APPLIES).add_all([Record(id="jsonl:a.jsonl#1", source="a",
                                               modality="text")])
    doc = build_jp_checklist(facts, run)
    write_jp_checklist(tmp_path, doc)
    md = (tmp_path / "jp-checklist.md").read_text(encoding="utf-8")
    assert md == render_jp_checklist_md(doc)
    # 6 checks the audit made on the corpus pass; the purpose box is for a person to tick
    assert md.count("- [x]") == 6 and md.count("- [ ]") == 1
    assert "- [ ] The declared purpose (analysis) is information analysis" in md


def test_an_unavailable_robots_txt_is_not_a_blocking_measure() -> None:
    """A robots.txt answered 5xx or not reached means "disallow all" to a crawler (RFC 9309
    §2.3.1.4); no rights holder put it there, so it is no AI-blocking measure for the proviso."""
    from rightsguard.signals.robots import RobotsFile, robots_signals

    def page(n: int, status: int | None, body: bytes = b"") -> Record:
        signal = robots_signals(RobotsFile("h.test", status, body), "https://h.test/a.html")[0]
        return Record(id=f"warc:c.warc.gz#{n}", source=f"https://h{n}.test/", modality="text",
                      size_bytes=100, size_tokens=10, domain=f"h{n}.test", signals=(signal,),
                      decisions=(Decision(jurisdiction="JP", verdict="allow"),))

    facts = JpChecklistFacts(applies=APPLIES).add_all([page(1, 503), page(2, None), page(3, 502),
                                        page(4, 200, b"User-agent: *\nDisallow: /\n")])
    run = AuditRun(inputs=("c.warc.gz",), jurisdictions=("JP",), use=Use())
    block = build_jp_checklist(facts, run)["proviso"]["ai_blocking_measures"]
    assert (block["items"], block["examples"]) == (1, ["warc:c.warc.gz#4"])
    assert block["by_measure"]["robots.txt"] == 1


def _sig(kind: str, carrier: str, scope: str, value: str) -> RightsSignal:
    return RightsSignal(kind, carrier, value, scope, "reserved", f"{kind} evidence", "test")


#: (item, modality, its reserved signals as the extractors write them, applies to AI training)
RESERVATIONS = [
    ("cs", "text", [_sig("content-signal", "robots.txt", "ai-train", "ai-train=no")], True),
    ("cu", "text", [_sig("aipref", "http-header", "train-ai", "train-ai=n")], True),
    ("ait", "text", [_sig("ai-txt", "ai.txt", "*", "disallow /"),
                     _sig("ai-txt", "ai.txt", "GPTBot", "disallow /")], True),
    ("c2pa", "image", [_sig("c2pa-training-mining", "c2pa-manifest", "train-genai",
                            "notAllowed")], True),
    # reservations about something other than AI training, or addressed to a search crawler
    ("infer", "image", [_sig("c2pa-training-mining", "c2pa-manifest", "ai-inference",
                             "notAllowed")], False),
    ("gbot", "text", [_sig("noai", "http-header", "googlebot", "noai")], False),
    ("search", "text", [_sig("content-signal", "robots.txt", "search", "search=no")], False),
]


def test_every_reservation_the_policy_reads_is_a_blocking_measure() -> None:
    """The proviso box counts what the JP decisions act on (s3-reservation: reservation
    reserved): every carrier of the policy's AI-training reservation, by the policy's rule for
    which ones apply to the use."""
    from rightsguard.policy.facts import reservation_state

    records = [Record(id=f"warc:j.warc.gz#{name}", source=f"http://{name}.test/",
                      modality=modality, domain=f"{name}.test", signals=tuple(signals),
                      decisions=(Decision("JP", "review" if applies else "allow"),))
               for name, modality, signals, applies in RESERVATIONS]
    for record, (_, _, _, applies) in zip(records, RESERVATIONS, strict=True):
        state = reservation_state(record.signals, record.modality,
                                  training_tokens=APPLIES.training_tokens).value
        assert state == ("reserved" if applies else "not-reserved"), record.id
    facts = JpChecklistFacts(applies=APPLIES).add_all(records)
    run = AuditRun(inputs=("j.warc.gz",), jurisdictions=("JP",), use=Use())
    doc = build_jp_checklist(facts, run)
    block = doc["proviso"]["ai_blocking_measures"]
    assert (block["status"], block["items"], block["examples"]) == (
        "flag", 4, ["warc:j.warc.gz#cs", "warc:j.warc.gz#cu", "warc:j.warc.gz#ait",
                    "warc:j.warc.gz#c2pa"])
    assert block["by_measure"] == {"robots.txt": 0, "TDMRep": 0, "noai": 0, "Content-Signal": 1,
                                   "AIPREF": 1, "ai.txt": 1, "IPTC": 0, "C2PA": 1}
    md = render_jp_checklist_md(doc)
    assert ("- [ ] Items whose AI-blocking measures were present (reservations by robots.txt 0, "
            "TDMRep 0, noai 0, Content-Signal 1, AIPREF 1, ai.txt 1, IPTC 0, C2PA 1)") in md


def test_the_protocol_rows_cover_every_reservation_kind() -> None:
    """The reports name each carrier the policy reads; a new reservation kind needs a row."""
    from rightsguard.policy.facts import RESERVATION_KINDS
    from rightsguard.report.eu_summary import PROTOCOLS

    assert {kind for _, kinds in PROTOCOLS for kind in kinds} == RESERVATION_KINDS
