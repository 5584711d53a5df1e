"""Trove ``License ::`` classifiers -> SPDX identifiers (data).

Only classifiers that name one licence and one version map to an identifier; ambiguous ones
(``BSD License``, ``Apache Software License`` without a version, ``GNU General Public License
(GPL)``) map to None, and the importer falls back to the distribution's licence files.
Source: https://pypi.org/classifiers/ and the SPDX licence list.
"""

from __future__ import annotations

from collections.abc import Iterable
from types import MappingProxyType

__all__ = [
    "CLASSIFIER_FAMILY",
    "CLASSIFIER_SPDX",
    "families_from_classifiers",
    "spdx_from_classifiers",
]

_OSI = "License :: OSI Approved :: "

CLASSIFIER_SPDX = MappingProxyType({
    _OSI + "Academic Free License (AFL)": None,
    _OSI + "Apache Software License": None,
    _OSI + "Apple Public Source License": None,
    _OSI + "Artistic License": None,
    _OSI + "Attribution Assurance License": "AAL",
    _OSI + "Blue Oak Model License (BlueOak-1.0.0)": "BlueOak-1.0.0",
    _OSI + "Boost Software License 1.0 (BSL-1.0)": "BSL-1.0",
    _OSI + "BSD License": None,
    _OSI + "CEA CNRS Inria Logiciel Libre License, version 2.1 (CeCILL-2.1)": "CECILL-2.1",
    _OSI + "Common Development and Distribution License 1.0 (CDDL-1.0)": "CDDL-1.0",
    _OSI + "Common Public License": "CPL-1.0",
    _OSI + "Eclipse Public License 1.0 (EPL-1.0)": "EPL-1.0",
    _OSI + "Eclipse Public License 2.0 (EPL-2.0)": "EPL-2.0",
    _OSI + "Educational Community License, Version 2.0 (ECL-2.0)": "ECL-2.0",
    _OSI + "Eiffel Forum License": None,
    _OSI + "European Union Public Licence 1.0 (EUPL 1.0)": "EUPL-1.0",
    _OSI + "European Union Public Licence 1.1 (EUPL 1.1)": "EUPL-1.1",
    _OSI + "European Union Public Licence 1.2 (EUPL 1.2)": "EUPL-1.2",
    _OSI + "GNU Affero General Public License v3": "AGPL-3.0-only",
    _OSI + "GNU Affero General Public License v3 or later (AGPLv3+)": "AGPL-3.0-or-later",
    _OSI + "GNU Free Documentation License (FDL)": None,
    _OSI + "GNU General Public License (GPL)": None,
    _OSI + "GNU General Public License v2 (GPLv2)": "GPL-2.0-only",
    _OSI + "GNU General Public License v2 or later (GPLv2+)": "GPL-2.0-or-later",
    _OSI + "GNU General Public License v3 (GPLv3)": "GPL-3.0-only",
    _OSI + "GNU General Public License v3 or later (GPLv3+)": "GPL-3.0-or-later",
    _OSI + "GNU Lesser General Public License v2 (LGPLv2)": "LGPL-2.0-only",
    _OSI + "GNU Lesser General Public License v2 or later (LGPLv2+)": "LGPL-2.0-or-later",
    _OSI + "GNU Lesser General Public License v3 (LGPLv3)": "LGPL-3.0-only",
    _OSI + "GNU Lesser General Public License v3 or later (LGPLv3+)": "LGPL-3.0-or-later",
    _OSI + "GNU Library or Lesser General Public License (LGPL)": None,
    _OSI + "Historical Permission Notice and Disclaimer (HPND)": "HPND",
    _OSI + "IBM Public License": "IPL-1.0",
    _OSI + "ISC License (ISCL)": "ISC",
    _OSI + "Intel Open Source License": "Intel",
    _OSI + "MirOS License (MirOS)": "MirOS",
    _OSI + "MIT License": "MIT",
    _OSI + "MIT No Attribution License (MIT-0)": "MIT-0",
    _OSI + "Motosoto License": "Motosoto",
    _OSI + "Mozilla Public License 1.0 (MPL)": "MPL-1.0",
    _OSI + "Mozilla Public License 1.1 (MPL 1.1)": "MPL-1.1",
    _OSI + "Mozilla Public License 2.0 (MPL 2.0)": "MPL-2.0",
    _OSI + "Mulan Permissive Software License v2 (MulanPSL-2.0)": "MulanPSL-2.0",
    _OSI + "Nethack General Public License": "NGPL",
    _OSI + "Nokia Open Source License": "Nokia",
    _OSI + "Open Group Test Suite License": "OGTSL",
    _OSI + "Open Software License 3.0 (OSL-3.0)": "OSL-3.0",
    _OSI + "PostgreSQL License": "PostgreSQL",
    _OSI + "Python License (CNRI Python License)": "CNRI-Python",
    _OSI + "Python Software Foundation License": "PSF-2.0",
    _OSI + "Qt Public License (QPL)": "QPL-1.0",
    _OSI + "Ricoh Source Code Public License": "RSCPL",
    _OSI + "SIL Open Font License 1.1 (OFL-1.1)": "OFL-1.1",
    _OSI + "Sleepycat License": "Sleepycat",
    _OSI + "Sun Industry Standards Source License (SISSL)": "SISSL",
    _OSI + "Sun Public License": "SPL-1.0",
    _OSI + "The Unlicense (Unlicense)": "Unlicense",
    _OSI + "Universal Permissive License (UPL)": "UPL-1.0",
    _OSI + "University of Illinois/NCSA Open Source License": "NCSA",
    _OSI + "Vovida Software License 1.0": "VSL-1.0",
    _OSI + "W3C License": "W3C",
    _OSI + "X.Net License": "Xnet",
    _OSI + "Zero-Clause BSD (0BSD)": "0BSD",
    _OSI + "Zope Public License": None,
    _OSI + "zlib/libpng License": "Zlib",
    "License :: Aladdin Free Public License (AFPL)": "Aladdin",
    "License :: CC0 1.0 Universal (CC0 1.0) Public Domain Dedication": "CC0-1.0",
    "License :: CeCILL-B Free Software License Agreement (CECILL-B)": "CECILL-B",
    "License :: CeCILL-C Free Software License Agreement (CECILL-C)": "CECILL-C",
    "License :: Eiffel Forum License (EFL)": None,
    "License :: Netscape Public License (NPL)": None,
    "License :: Nokia Open Source License (NOKOS)": "Nokia",
    "License :: Other/Proprietary License": None,
    "License :: Public Domain": None,
    "License :: Repoze Public License": None,
    "License :: Freely Distributable": None,
    "License :: Freeware": None,
    "License :: DFSG approved": None,
    "License :: GUST Font License 1.0": None,
    "License :: GUST Font License 2006-09-30": None,
    "License :: OSI Approved": None,
})
"""Classifier -> SPDX identifier, or None when the classifier does not determine one."""


def spdx_from_classifiers(classifiers: Iterable[str]) -> list[str]:
    """SPDX identifiers of the unambiguous licence classifiers, in order, without duplicates."""
    out: list[str] = []
    for classifier in classifiers:
        spdx = CLASSIFIER_SPDX.get(classifier.strip())
        if spdx and spdx not in out:
            out.append(spdx)
    return out


CLASSIFIER_FAMILY = MappingProxyType({
    _OSI + "Academic Free License (AFL)": ("AFL-",),
    _OSI + "Apache Software License": ("Apache-",),
    _OSI + "Artistic License": ("Artistic-",),
    _OSI + "BSD License": ("BSD-", "0BSD"),
    _OSI + "Eiffel Forum License": ("EFL-",),
    _OSI + "GNU Free Documentation License (FDL)": ("GFDL-",),
    _OSI + "GNU General Public License (GPL)": ("GPL-",),
    _OSI + "GNU Library or Lesser General Public License (LGPL)": ("LGPL-",),
    _OSI + "Zope Public License": ("ZPL-",),
    "License :: Eiffel Forum License (EFL)": ("EFL-",),
})
"""Ambiguous classifier -> the SPDX identifier prefixes of the licence family it names (``BSD
License``: some BSD variant). It cannot pick the variant, but it says which of the licences a
distribution's licence files name are the distribution's own: scipy's LICENSE.txt also carries
the GPL of the GCC runtime bundled in ``scipy.libs`` (see the importer)."""


def families_from_classifiers(classifiers: Iterable[str]) -> tuple[str, ...]:
    """SPDX identifier prefixes of the licence families the ambiguous classifiers name."""
    out: list[str] = []
    for classifier in classifiers:
        for prefix in CLASSIFIER_FAMILY.get(classifier.strip(), ()):
            if prefix not in out:
                out.append(prefix)
    return tuple(out)
