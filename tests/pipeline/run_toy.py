"""Run the toy pipeline (the kill test's subprocess): run_toy.py INPUT_DIR OUT_DIR [KILL_ID]."""

from __future__ import annotations

import sys
from pathlib import Path

from toy_steps import toy_pipeline

from rightsguard.pipeline.local import LocalExecutor
from rightsguard.pipeline.shards import plan_shards

if __name__ == "__main__":
    inputs = sorted(str(p) for p in Path(sys.argv[1]).glob("*.jsonl"))
    kill_at = sys.argv[3] if len(sys.argv) > 3 else None
    LocalExecutor(workers=2).run(toy_pipeline(kill_at), plan_shards(inputs), sys.argv[2])
