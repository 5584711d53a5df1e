"""Licences of real installed distributions, read as `rightsguard demo` reads them (the
installed environment, the ScanCode-backed detector): a newcomer found every scipy file
registered under scipy's bundled GCC runtime's GPL, and OpenCV's under 19 licences."""

from __future__ import annotations

from importlib import metadata

from rightsguard.corpus.pyenv import iter_python_env_works
from rightsguard.index.sources import SignalsLicenceResolver


def _licences(*names: str) -> dict[str, str]:
    walk = iter_python_env_works(resolver=SignalsLicenceResolver(), distributions=list(names),
                                 include_stdlib=False)
    want = {f"{n}@{metadata.version(n)}" for n in names}
    for _item in walk:  # a distribution's licence is settled before its first file
        if want <= set(walk.licences):
            break
    return {k.split("@")[0]: walk.licences[k].expression for k in want}


def test_scipy_files_carry_scipys_bsd_licence_not_its_bundled_gpl() -> None:
    got = _licences("scipy")
    # LICENSE.txt names BSD-3-Clause, BSD-3-Clause-Open-MPI (bundled LAPACK), the GPL of the
    # GCC runtime and more; the classifier "BSD License" says which family is scipy's own
    assert got == {"scipy": "BSD-3-Clause AND BSD-3-Clause-Open-MPI"}


def test_opencv_is_apache_as_its_metadata_says() -> None:
    assert _licences("opencv-python-headless") == {"opencv-python-headless": "Apache-2.0"}
