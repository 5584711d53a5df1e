"""Verdict reasons name what a licence reserves (non-commercial, no-derivatives, all rights
reserved), and a registered mark without a licence is all rights reserved (block)."""

from __future__ import annotations

import pytest

from rightsguard.model import LicenceCategory, Source, Verdict, Work
from rightsguard.screen.policy import ScreenPolicy, licence_label
from rightsguard.signals.licences import category_of


def _work(licence: str, *, kind: str = "image", sources: tuple[Source, ...] = ()) -> Work:
    return Work(work_id="0" * 64, title="photo.jpg", holders=("Kenji Sato Studio",),
                licence=licence, licence_category=category_of(licence), modality="image",
                kind=kind, sources=sources)


@pytest.mark.parametrize(
    ("licence", "reason"),
    [
        ("CC-BY-NC-4.0", "non-commercial licence (CC-BY-NC-4.0): reproduction not allowed in "
                         "this output"),
        ("CC-BY-NC-SA-4.0", "non-commercial licence (CC-BY-NC-SA-4.0): reproduction not "
                            "allowed in this output"),
        ("CC-BY-ND-4.0", "no-derivatives licence (CC-BY-ND-4.0): reproduction not allowed in "
                         "this output"),
        ("CC-BY-NC-ND-3.0-IGO", "non-commercial, no-derivatives licence (CC-BY-NC-ND-3.0-IGO):"
                                " reproduction not allowed in this output"),
        ("LicenseRef-All-Rights-Reserved", "all rights reserved "
                                           "(LicenseRef-All-Rights-Reserved): reproduction not "
                                           "allowed in this output"),
        ("LicenseRef-Proprietary", "all rights reserved (LicenseRef-Proprietary): reproduction"
                                   " not allowed in this output"),
        # a proprietary licence that is neither keeps the category's name
        ("LicenseRef-scancode-commercial-license",
         "proprietary licence LicenseRef-scancode-commercial-license: reproduction not allowed "
         "in this output"),
    ],
)
def test_proprietary_reasons_say_what_the_licence_reserves(licence: str, reason: str) -> None:
    assert category_of(licence) is LicenceCategory.PROPRIETARY
    assert ScreenPolicy().verdict(_work(licence)) == (Verdict.BLOCK, reason)


def test_other_categories_keep_their_wording() -> None:
    assert ScreenPolicy().verdict(_work("CC-BY-4.0")) == (
        Verdict.ATTRIBUTE, "permissive licence CC-BY-4.0: reuse allowed with attribution")
    assert ScreenPolicy().verdict(_work("NOASSERTION")) == (
        Verdict.REVIEW, "unknown licence NOASSERTION: rights cannot be determined automatically")
    # CC-BY-SA has no NC/ND element: its category (ScanCode: Copyleft Limited) names it
    assert licence_label("CC-BY-SA-4.0", category_of("CC-BY-SA-4.0")) == \
        "copyleft-limited licence CC-BY-SA-4.0"


def test_an_override_reuses_the_words() -> None:
    policy = ScreenPolicy(overrides=((LicenceCategory.PROPRIETARY, Verdict.REVIEW),))
    assert policy.verdict(_work("CC-BY-NC-4.0")) == (
        Verdict.REVIEW, "non-commercial licence (CC-BY-NC-4.0): rights cannot be determined "
                        "automatically")


def test_cc_licences_spdx_does_not_list_are_named_too() -> None:
    """``cc_url_expression`` names a CC licence SPDX lacks ``LicenseRef-cc-…``; its category is
    unknown (ScanCode does not know the id), so it stays ``unknown`` — review, not block."""
    assert licence_label("LicenseRef-cc-by-nc-2.0-es", LicenceCategory.PROPRIETARY) == \
        "non-commercial licence (LicenseRef-cc-by-nc-2.0-es)"
    assert ScreenPolicy().verdict(_work("LicenseRef-cc-by-nc-2.0-es"))[0] is Verdict.REVIEW


@pytest.mark.parametrize("licence", ["NOASSERTION", "NONE"])
def test_a_mark_without_a_licence_is_all_rights_reserved(licence: str) -> None:
    assert ScreenPolicy().verdict(_work(licence, kind="mark")) == (
        Verdict.BLOCK, "registered mark (logo or watermark) with no licence: all rights "
                       "reserved, reproduction not allowed in this output")
    # the same image registered as a plain image work stays unknown: review
    assert ScreenPolicy().verdict(_work(licence))[0] is Verdict.REVIEW


def test_a_mark_follows_the_proprietary_rule_and_a_stated_licence() -> None:
    lenient = ScreenPolicy(overrides=((LicenceCategory.PROPRIETARY, Verdict.REVIEW),))
    assert lenient.verdict(_work("NOASSERTION", kind="mark")) == (
        Verdict.REVIEW, "registered mark (logo or watermark) with no licence: all rights "
                        "reserved: check the use with its holder")
    assert ScreenPolicy().verdict(_work("CC0-1.0", kind="mark")) == (
        Verdict.ATTRIBUTE, "public-domain licence CC0-1.0: reuse allowed with attribution")


def test_a_mark_whose_sources_disagree_is_still_undetermined() -> None:
    sources = (Source(uri="file:///a/logo.png", licence="NOASSERTION"),
               Source(uri="file:///b/logo.png", licence="CC-BY-4.0"))
    verdict, reason = ScreenPolicy().verdict(_work("NOASSERTION", kind="mark", sources=sources))
    assert verdict is Verdict.REVIEW
    assert reason.startswith("sources disagree on the licence: NOASSERTION (file:///a/logo.png)")


@pytest.mark.parametrize(("licence", "output", "verdict"), [
    # every part of an AND must allow it: a permissive part always does (a newcomer's
    # BSD-3-Clause AND GPL-3.0-or-later work was blocked in a GPL-3.0-only output)
    ("BSD-3-Clause AND GPL-3.0-or-later", "GPL-3.0-only", Verdict.ATTRIBUTE),
    ("GPL-3.0-or-later", "GPL-3.0-only", Verdict.ATTRIBUTE),
    ("BSD-3-Clause AND GPL-3.0-or-later", "MIT", Verdict.BLOCK),
    ("GPL-2.0-only AND GPL-3.0-only", "GPL-3.0-only", Verdict.BLOCK),  # GPL-2.0-only is not
    # a choice: one allowed part is enough
    ("GPL-2.0-only OR GPL-3.0-or-later", "GPL-3.0-only", Verdict.ATTRIBUTE),
    # an exception only grants more: judged as the licence
    ("GPL-3.0-or-later WITH GCC-exception-3.1", "GPL-3.0-or-later", Verdict.ATTRIBUTE),
    # "-only" code cannot go into an "-or-later" output (its recipient could take it under a
    # later version); "-or-later" code can go into either
    ("GPL-2.0-only", "GPL-2.0-or-later", Verdict.BLOCK),
    ("GPL-2.0-only", "GPL-2.0-only", Verdict.ATTRIBUTE),
    ("GPL-3.0-only", "GPL-3.0-or-later", Verdict.BLOCK),
    ("GPL-3.0-only", "AGPL-3.0-only", Verdict.ATTRIBUTE),  # GPL-3.0 section 13
    ("GPL-2.0-or-later", "GPL-3.0-or-later", Verdict.ATTRIBUTE),
    ("AGPL-3.0-only", "AGPL-3.0-or-later", Verdict.BLOCK),
])
def test_copyleft_expressions_against_the_output_licence(licence: str, output: str,
                                                         verdict: Verdict) -> None:
    work = _work(licence, kind="code")
    assert work.licence_category is LicenceCategory.COPYLEFT
    got, reason = ScreenPolicy(output_licence=output).verdict(work)
    assert got is verdict, reason
