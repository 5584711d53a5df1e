"""Screening policy: the verdict for one match from its work's licence category.

Defaults (issue #2; Copilot's code referencing offers Block or Allow-with-reference, we add
review for what cannot be decided):

==================  ============================================================================
licence category    verdict
==================  ============================================================================
licence text        ``attribute`` — the GPL, Apache-2.0 … permit verbatim copies of their text
                    (GPL-3.0 preamble: "Everyone is permitted to copy and distribute verbatim
                    copies of this license document")
permissive          ``attribute`` — MIT/BSD/Apache require the notice to be kept
public-domain       ``attribute``
copyleft            ``block`` unless the output is itself under a compatible licence
copyleft-limited    ``review`` (LGPL/MPL: depends on how the code is combined)
proprietary         ``block``
unknown             ``review`` — rights could not be determined: never a silent pass
==================  ============================================================================

When the work's sources state different licences (the same bytes registered as MIT from one
source and GPL-3.0-only from another), the rights cannot be determined: the work is treated as
``unknown`` (``review`` by default), and the reason names each licence with its sources.

A registered mark (a logo or watermark, ``index add --mark``: kind ``mark``) with no licence
(``NOASSERTION`` or ``NONE``) follows the ``proprietary`` rule (``block`` by default): registering
a mark is its holder's claim to it, and a work for which no licence is granted has all rights
reserved (Berne Convention Art. 5(2): protection needs no formality). Generated watermarks are
what the trade-mark claims of Getty Images v Stability AI [2025] EWHC 2863 (Ch) were about.
A mark registered with a licence follows that licence's category like any work.

Reasons name a proprietary licence by what it reserves (``docs/licences.md``): Creative
Commons NonCommercial / NoDerivatives licences as ``non-commercial licence (CC-BY-NC-4.0)``,
``no-derivatives licence (CC-BY-ND-4.0)``, ``non-commercial, no-derivatives licence
(CC-BY-NC-ND-4.0)`` (the licence elements NC and ND, CC licence deeds); rightsguard's
all-rights-reserved ids as ``all rights reserved (LicenseRef-All-Rights-Reserved)``; any other
as ``proprietary licence <id>``. Other categories read ``<category> licence <id>``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from rightsguard.model import RESERVED_REFS, LicenceCategory, Verdict, Work

#: Sources named per licence in a conflict reason; the rest are counted.
_SHOWN_SOURCES = 3

_DEFAULTS: dict[LicenceCategory, Verdict] = {
    LicenceCategory.PERMISSIVE: Verdict.ATTRIBUTE,
    LicenceCategory.PUBLIC_DOMAIN: Verdict.ATTRIBUTE,
    LicenceCategory.COPYLEFT: Verdict.BLOCK,
    LicenceCategory.COPYLEFT_LIMITED: Verdict.REVIEW,
    LicenceCategory.PROPRIETARY: Verdict.BLOCK,
    LicenceCategory.UNKNOWN: Verdict.REVIEW,
}

# licence key -> keys of output licences under which a copy may be distributed (GPL-2.0 §9,
# GPL-3.0 §13/§14, AGPL-3.0 §13). Only same-family upgrades; anything else stays blocked. A
# "-only" work never goes into an "-or-later" output: the recipient of a GPL-2.0-or-later output
# may take it under GPL-3.0 (GPL-2.0 section 9, "any later version"), which the GPL-2.0-only
# part does not allow: such a combination is GPL-2.0-only (FSF, "Frequently Asked Questions
# about the GNU Licenses", compatibility matrix).
_COMPATIBLE: dict[str, frozenset[str]] = {
    "GPL-2.0-or-later": frozenset({"GPL-2.0-only", "GPL-2.0-or-later", "GPL-3.0-only",
                                   "GPL-3.0-or-later", "AGPL-3.0-only", "AGPL-3.0-or-later"}),
    "GPL-2.0-only": frozenset({"GPL-2.0-only"}),
    "GPL-3.0-or-later": frozenset({"GPL-3.0-only", "GPL-3.0-or-later", "AGPL-3.0-only",
                                   "AGPL-3.0-or-later"}),
    "GPL-3.0-only": frozenset({"GPL-3.0-only", "AGPL-3.0-only"}),
    "AGPL-3.0-only": frozenset({"AGPL-3.0-only"}),
    "AGPL-3.0-or-later": frozenset({"AGPL-3.0-only", "AGPL-3.0-or-later"}),
}


#: Creative Commons licence elements in an SPDX id (``CC-BY-NC-SA-4.0``) or in the
#: ``LicenseRef-cc-…`` id :func:`~rightsguard.signals.licence_class.cc_url_expression` gives a
#: CC licence SPDX does not list: the elements between ``BY`` and the version.
_CC_ELEMENTS = re.compile(r"\b(?:LicenseRef-)?CC-BY((?:-(?:NC|ND|SA))+)-\d", re.IGNORECASE)
#: A ``LicenseRef-`` id (SPDX idstring: letters, digits, ``.`` and ``-``).
_LICENSE_REF = re.compile(r"\bLicenseRef-[A-Za-z0-9.-]+")
#: Licences a mark registered without one states (SPDX: nothing asserted / explicitly none).
_NO_LICENCE = frozenset({"NOASSERTION", "NONE"})


def licence_label(licence: str, category: LicenceCategory) -> str:
    """How a verdict reason names a licence: ``non-commercial licence (CC-BY-NC-4.0)``,
    ``no-derivatives licence (CC-BY-ND-4.0)``, ``all rights reserved
    (LicenseRef-All-Rights-Reserved)``, else ``<category> licence <licence>`` (rules in the
    module docstring)."""
    if category is LicenceCategory.PROPRIETARY:
        if any(ref.lower() in RESERVED_REFS for ref in _LICENSE_REF.findall(licence)):
            return f"all rights reserved ({licence})"
        elements = {e.upper() for m in _CC_ELEMENTS.finditer(licence)
                    for e in m.group(1).split("-") if e}
        words = [w for e, w in (("NC", "non-commercial"), ("ND", "no-derivatives"))
                 if e in elements]
        if words:
            return f"{', '.join(words)} licence ({licence})"
    return f"{category.value} licence {licence}"


def compatible_with(expression: str, output_licence: str) -> bool:
    """Whether code under ``expression`` may be reproduced in an output distributed under
    ``output_licence``: a copyleft licence when :data:`_COMPATIBLE` lists the output licence
    (the same licence always), a permissive or public-domain one always; ``A AND B`` when both
    parts are, ``A OR B`` when either is (SPDX annex D: AND — all apply, OR — a choice). A
    newcomer's ``BSD-3-Clause AND GPL-3.0-or-later`` work was blocked in a GPL-3.0-only output
    while plain GPL-3.0-or-later passed. Anything else (copyleft-limited, proprietary, unknown,
    an expression that does not parse) is not. ``X WITH exception`` is judged as ``X``: an
    exception only grants more."""
    from license_expression import AND, OR, Licensing

    from rightsguard.signals.licences import category_of

    try:
        parsed = Licensing().parse(expression)
    except Exception:  # license-expression raises its own errors and ValueError subclasses
        return False

    def ok(node: object) -> bool:
        if isinstance(node, AND):
            return all(ok(a) for a in node.args)
        if isinstance(node, OR):
            return any(ok(a) for a in node.args)
        # a WITH exception only adds permissions: the licence itself decides
        key = str(getattr(node, "license_symbol", node))
        category = category_of(key)
        if category in (LicenceCategory.PERMISSIVE, LicenceCategory.PUBLIC_DOMAIN):
            return True
        if category is LicenceCategory.COPYLEFT:
            return output_licence in _COMPATIBLE.get(key, frozenset({key}))
        return False

    return ok(parsed)


def licence_conflict(work: Work) -> str | None:
    """Why the sources of ``work`` disagree on its licence, or None when they agree (or state
    none), e.g. ``sources disagree on the licence: MIT (https://pypi.org/…), GPL-3.0-only
    (file:///…)``."""
    by_licence: dict[str, list[str]] = {}
    for source in work.sources:
        if source.licence is not None:
            by_licence.setdefault(source.licence, []).append(source.uri)
    if len(by_licence) < 2:
        return None
    parts = []
    for licence, uris in by_licence.items():
        shown = ", ".join(uris[:_SHOWN_SOURCES])
        if len(uris) > _SHOWN_SOURCES:
            shown += f" and {len(uris) - _SHOWN_SOURCES} more"
        parts.append(f"{licence} ({shown})")
    return "sources disagree on the licence: " + ", ".join(parts)


@dataclass(frozen=True, slots=True)
class ScreenPolicy:
    """Verdict rules. ``output_licence``: SPDX id the screened output is distributed under (in
    pre-commit mode, the checked repository's own licence); ``overrides`` map a category to a
    verdict (e.g. block everything copyleft-limited)."""

    output_licence: str | None = None
    overrides: tuple[tuple[LicenceCategory, Verdict], ...] = ()

    def verdict(self, work: Work) -> tuple[Verdict, str]:
        """The verdict for a match of ``work`` and the reason, naming the rule."""
        if work.kind == "licence-text":
            return Verdict.ATTRIBUTE, ("licence text: the licence permits verbatim copies of "
                                       "itself; keep the notice")
        table = {**_DEFAULTS, **dict(self.overrides)}
        conflict = licence_conflict(work)
        if conflict is not None:  # rights cannot be determined: the unknown rule, never a pass
            verdict = table[LicenceCategory.UNKNOWN]
            return verdict, {
                Verdict.REVIEW: f"{conflict}: rights cannot be determined automatically",
                Verdict.BLOCK: f"{conflict}: treated as unknown, reproduction not allowed",
                Verdict.ATTRIBUTE: f"{conflict}: treated as unknown, allowed with attribution "
                                   "by policy",
                Verdict.CLEAN: f"{conflict}: treated as unknown, allowed by policy",
            }[verdict]
        if work.kind == "mark" and work.licence.upper() in _NO_LICENCE:
            verdict = table[LicenceCategory.PROPRIETARY]
            mark = ("registered mark (logo or watermark) with no licence: all rights "
                    "reserved")
            return verdict, {
                Verdict.BLOCK: f"{mark}, reproduction not allowed in this output",
                Verdict.REVIEW: f"{mark}: check the use with its holder",
                Verdict.ATTRIBUTE: f"{mark}: allowed with attribution by policy",
                Verdict.CLEAN: f"{mark}: allowed by policy",
            }[verdict]
        cat = work.licence_category
        verdict = table[cat]
        if cat is LicenceCategory.COPYLEFT and self.output_licence and \
                compatible_with(work.licence, self.output_licence):
            return Verdict.ATTRIBUTE, (f"copyleft {work.licence} is compatible with the "
                                       f"output licence {self.output_licence}; keep notices")
        label = licence_label(work.licence, cat)
        reasons = {
            Verdict.ATTRIBUTE: f"{label}: reuse allowed with attribution",
            Verdict.BLOCK: f"{label}: reproduction not allowed in this output"
                           + ("" if self.output_licence is None
                              else f" (output licence {self.output_licence})"),
            Verdict.REVIEW: f"{label}: rights cannot be determined automatically",
            Verdict.CLEAN: f"policy allows {label}",
        }
        return verdict, reasons[verdict]
