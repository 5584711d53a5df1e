"""A licence notice carried by more registered files than a fingerprint's postings are read for
(:data:`rightsguard.index.store.MAX_POSTINGS_PER_HASH`) is still reported as the licence text: a
newcomer's Apache-2.0 header was ``clean`` in the demo index, where about 300 installed files
carry it, though the index holds the Apache-2.0 text. Real files: flatbuffers (installed with
this project) carries the notice in each module; the cap is lowered to 4 so nine works exceed it.
"""

from __future__ import annotations

import shutil
from itertools import chain
from pathlib import Path

import flatbuffers
import pytest

from rightsguard import Index, Screener
from rightsguard.index import store
from rightsguard.index.sources import licence_text_works, works_from
from rightsguard.model import Verdict

NOTICE = """# Copyright 2024 Some Company LLC
#
# Licensed under the Apache License, Version 2.0 (the "License");
# you may not use this file except in compliance with the License.
# You may obtain a copy of the License at
#
#     http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS,
# WITHOUT WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
# See the License for the specific language governing permissions and
# limitations under the License.
import os


def home():
    return os.path.expanduser("~")
"""


@pytest.fixture(scope="module")
def screener(tmp_path_factory: pytest.TempPathFactory) -> Screener:
    base = tmp_path_factory.mktemp("notice")
    carriers = [p for p in sorted(Path(flatbuffers.__file__).parent.glob("*.py"))
                if "Licensed under the Apache License, Version 2.0" in p.read_text("utf-8")]
    assert len(carriers) >= 8
    for p in carriers[:8]:
        shutil.copy(p, base / p.name)
    idx = Index.open(base / "idx", create=True)
    # one add, so one segment holds the licence text and the files (the cap is per segment)
    summary = idx.add(chain(licence_text_works(["Apache-2.0", "MIT"]),
                            works_from(base, holder="Google")))
    assert summary.added == 10
    return Screener(idx)


def _titles(screener: Screener) -> tuple[list[str], Verdict]:
    [result] = screener.screen_text(NOTICE, language="python")
    return sorted(m.work.title for m in result.matches), result.verdict


def test_the_notice_is_the_licence_text_when_its_postings_are_read(screener: Screener) -> None:
    assert _titles(screener) == (["Apache-2.0 licence text"], Verdict.ATTRIBUTE)


def test_the_notice_is_the_licence_text_when_its_hashes_are_too_common_to_read(
        screener: Screener, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(store, "MAX_POSTINGS_PER_HASH", 4)  # 9 works hold each notice hash
    assert _titles(screener) == (["Apache-2.0 licence text"], Verdict.ATTRIBUTE)
