"""The hand-built audit records (``data/audit/records.json``) the audit writer tests share."""

from __future__ import annotations

import json
from pathlib import Path

from rightsguard.model import Record
from rightsguard.policy.facts import AppliesToTraining
from rightsguard.report.manifest import record_from_row
from rightsguard.signals.crawlers import CrawlerTable

DATA = Path(__file__).parent / "data" / "audit"
#: The policy's rule for which reservations apply, as an audit without ``--agent`` binds it.
APPLIES = AppliesToTraining.of(training_tokens=CrawlerTable.load().training_tokens())


def load_records() -> list[Record]:
    rows = json.loads((DATA / "records.json").read_text(encoding="utf-8"))
    return [record_from_row(row) for row in rows]
