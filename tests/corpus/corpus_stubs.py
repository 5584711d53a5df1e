"""A stub licence resolver (the real one lives in rightsguard.signals, a sibling layer)."""

from __future__ import annotations

import re

from license_expression import get_spdx_licensing

from rightsguard.errors import LicenceError

_SPDX_LINE = re.compile(r"SPDX-License-Identifier:\s*(.+?)\s*(?:\*/|-->)?\s*$", re.MULTILINE)
_COPYRIGHT = re.compile(
    r"^\W*Copyright\s+(?:\(c\)\s*|©\s*)?(?:[\d,\s-]+\s)?(?:by\s+)?(.+?)\.?\s*$",
    re.MULTILINE | re.IGNORECASE)
_LICENSING = get_spdx_licensing()


class StubResolver:
    """Recognises a few licence texts by a phrase; normalises with license-expression."""

    def __init__(self) -> None:
        self.licence_file_calls = 0

    def normalise(self, expression: str) -> str:
        info = _LICENSING.validate(expression)
        if info.errors or not info.normalized_expression:
            raise LicenceError(f"{expression!r}: {'; '.join(info.errors)}")
        return str(info.normalized_expression)

    def file_licence(self, text: str) -> str | None:
        found = _SPDX_LINE.findall(text)
        if not found:
            return None
        return self.normalise(" AND ".join(f"({e})" for e in found))

    def licence_file(self, text: str) -> str | None:
        self.licence_file_calls += 1
        if "Permission is hereby granted, free of charge" in text:
            return "MIT"
        if "Apache License" in text and "Version 2.0" in text:
            return "Apache-2.0"
        if "PYTHON SOFTWARE FOUNDATION LICENSE VERSION 2" in text:
            return "PSF-2.0"
        if "Redistribution and use in source and binary forms" in text:
            return "BSD-3-Clause" if "Neither the name" in text else "BSD-2-Clause"
        return None

    def image_rights(self, raw: bytes) -> tuple[list[str], str | None]:
        return [], None

    def holders(self, text: str) -> list[str]:
        out: list[str] = []
        for name in _COPYRIGHT.findall(text[:20000]):
            name = name.strip()
            if name and not name.lower().startswith(("notice", "holders", "and ")):
                out.append(name)
        return out
