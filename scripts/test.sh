#!/usr/bin/env bash
# The whole test suite, as the README's second command runs it. Installs the Debian packages the
# tests read (manpages-ja: real Japanese text) and fails — never skips — when they are missing.
set -euo pipefail
cd "$(dirname "$0")/.."
need_apt=()
[ -d /usr/share/man/ja ] || need_apt+=(manpages-ja)
[ -d /usr/share/common-licenses ] || need_apt+=(base-files)
if [ ${#need_apt[@]} -gt 0 ]; then
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need_apt[@]}" >/dev/null
fi
command -v uv >/dev/null || python3 -m pip install -q uv
uv sync --frozen --group dev -q
exec uv run --frozen --group dev pytest -n 2 "$@"
