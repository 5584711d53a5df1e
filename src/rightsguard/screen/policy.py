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
"""

from __future__ import annotations

from dataclasses import dataclass

from rightsguard.model import LicenceCategory, Verdict, Work

_DEFAULTS: dict[LicenceCategory, Verdict] = {
    LicenceCategory.PERMISSIVE: Verdict.ATTRIBUTE,
    LicenceCategory.PUBLIC_DOMAIN: Verdict.ATTRIBUTE,
    LicenceCategory.COPYLEFT: Verdict.BLOCK,
    LicenceCategory.COPYLEFT_LIMITED: Verdict.REVIEW,
    LicenceCategory.PROPRIETARY: Verdict.BLOCK,
    LicenceCategory.UNKNOWN: Verdict.REVIEW,
}

# licence key -> keys of output licences under which a copy may be distributed (GPL §13/§14,
# LGPL-2.1 §3, AGPL-3.0 §13). Only same-family upgrades; anything else stays blocked.
_COMPATIBLE: dict[str, frozenset[str]] = {
    "GPL-2.0-or-later": frozenset({"GPL-2.0-only", "GPL-2.0-or-later", "GPL-3.0-only",
                                   "GPL-3.0-or-later", "AGPL-3.0-only", "AGPL-3.0-or-later"}),
    "GPL-2.0-only": frozenset({"GPL-2.0-only", "GPL-2.0-or-later"}),
    "GPL-3.0-or-later": frozenset({"GPL-3.0-only", "GPL-3.0-or-later", "AGPL-3.0-only",
                                   "AGPL-3.0-or-later"}),
    "GPL-3.0-only": frozenset({"GPL-3.0-only", "GPL-3.0-or-later", "AGPL-3.0-only",
                               "AGPL-3.0-or-later"}),
    "AGPL-3.0-only": frozenset({"AGPL-3.0-only", "AGPL-3.0-or-later"}),
    "AGPL-3.0-or-later": frozenset({"AGPL-3.0-only", "AGPL-3.0-or-later"}),
}


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
        cat = work.licence_category
        table = {**_DEFAULTS, **dict(self.overrides)}
        verdict = table[cat]
        if cat is LicenceCategory.COPYLEFT and self.output_licence:
            allowed = _COMPATIBLE.get(work.licence, frozenset({work.licence}))
            if self.output_licence in allowed:
                return Verdict.ATTRIBUTE, (f"copyleft {work.licence} is compatible with the "
                                           f"output licence {self.output_licence}; keep notices")
        reasons = {
            Verdict.ATTRIBUTE: f"{cat.value} licence {work.licence}: reuse allowed with "
                               "attribution",
            Verdict.BLOCK: f"{cat.value} licence {work.licence}: reproduction not allowed in "
                           "this output" + ("" if self.output_licence is None
                                            else f" (output licence {self.output_licence})"),
            Verdict.REVIEW: f"{cat.value} licence {work.licence}: rights cannot be determined "
                            "automatically",
            Verdict.CLEAN: f"policy allows {cat.value} licence {work.licence}",
        }
        return verdict, reasons[verdict]
