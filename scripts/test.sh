#!/usr/bin/env bash
# The whole test suite, as the README's second command runs it. Installs the Debian packages the
# tests read (manpages-ja: real Japanese text; mate-backgrounds: photographs with named authors;
# postgresql: a real registry server) and fails —
# never skips — when they are missing. Starts a throwaway PostgreSQL cluster for the run (trust
# auth, 127.0.0.1 on a free port, data in a temp folder; as root it runs as the `postgres` system
# user) and exports RIGHTSGUARD_TEST_PG_URL for the tests marked `postgres`; stops it on exit.
set -euo pipefail
cd "$(dirname "$0")/.."

pg_bindir() {  # the newest /usr/lib/postgresql/<v>/bin with initdb and pg_ctl, or nothing
  local d best=""
  for d in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V); do
    [ -x "$d/initdb" ] && [ -x "$d/pg_ctl" ] && best="$d"
  done
  printf '%s' "$best"
}

need_apt=()
[ -d /usr/share/man/ja ] || need_apt+=(manpages-ja)
[ -d /usr/share/common-licenses ] || need_apt+=(base-files)
[ -d /usr/share/backgrounds/mate/nature ] || need_apt+=(mate-backgrounds)
[ -n "$(pg_bindir)" ] || need_apt+=(postgresql)
if [ ${#need_apt[@]} -gt 0 ]; then
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need_apt[@]}" >/dev/null
fi
command -v uv >/dev/null || python3 -m pip install -q uv
uv sync --frozen --group dev -q

# -- throwaway PostgreSQL cluster ------------------------------------------------------------
PG_BIN="$(pg_bindir)"
[ -n "$PG_BIN" ] || { echo "scripts/test.sh: PostgreSQL (initdb, pg_ctl) not found" >&2; exit 2; }
AS_PG=()
if [ "$(id -u)" -eq 0 ]; then  # the server refuses to run as root
  getent passwd postgres >/dev/null || {
    echo "scripts/test.sh: running as root needs the 'postgres' user (Debian's postgresql)" >&2
    exit 2; }
  AS_PG=(runuser -u postgres --)
fi
# Folders left by killed runs (older than 10 min, their server gone): remove them. A concurrent
# run's folder is younger or has a live server.
for old in $(find /tmp -maxdepth 1 -type d -name 'rightsguard-pg.*' -mmin +10 2>/dev/null); do
  pid="$(head -n1 "$old/data/postmaster.pid" 2>/dev/null || true)"
  if [ -z "$pid" ] || [ ! -d "/proc/$pid" ]; then rm -rf "$old" 2>/dev/null || true; fi
done
PG_DIR="$(mktemp -d /tmp/rightsguard-pg.XXXXXX)"
chmod 755 "$PG_DIR"
[ ${#AS_PG[@]} -eq 0 ] || chown postgres: "$PG_DIR"
pg_stop() {
  if [ -f "$PG_DIR/data/postmaster.pid" ]; then
    (cd "$PG_DIR" && "${AS_PG[@]}" "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -m immediate -w stop \
      >/dev/null 2>&1) || true
  fi
  rm -rf "$PG_DIR"
}
trap pg_stop EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
(cd "$PG_DIR" && "${AS_PG[@]}" "$PG_BIN/initdb" -D "$PG_DIR/data" -U rightsguard --auth=trust \
  -E UTF8 --no-locale --no-sync >"$PG_DIR/initdb.log" 2>&1) || {
  cat "$PG_DIR/initdb.log" >&2; exit 2; }
pg_started=""
for _ in 1 2 3 4 5; do  # a free port can be taken between choosing and binding it: retry
  PG_PORT="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
  if (cd "$PG_DIR" && "${AS_PG[@]}" "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/server.log" \
      -w -t 30 -o "-c listen_addresses=127.0.0.1 -p $PG_PORT -k $PG_DIR -c fsync=off \
      -c synchronous_commit=off -c full_page_writes=off -c max_connections=100" start \
      >/dev/null 2>&1); then
    pg_started=1; break
  fi
done
[ -n "$pg_started" ] || { echo "scripts/test.sh: PostgreSQL did not start:" >&2
  cat "$PG_DIR/server.log" >&2 2>/dev/null || true; exit 2; }
export RIGHTSGUARD_TEST_PG_URL="postgresql+psycopg://rightsguard@127.0.0.1:$PG_PORT/postgres"

uv run --frozen --group dev pytest -n 2 "$@"
