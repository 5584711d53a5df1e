"""``uv run python -m bench``: run the benchmarks and print one table."""

from bench.run import main

if __name__ == "__main__":
    raise SystemExit(main())
