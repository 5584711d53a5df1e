"""rightsguard benchmarks, measured side by side with Dolos (the anchor) in the same run.

Never part of the test suite. Run everything with ``uv run python -m bench`` (see README.md).
"""
