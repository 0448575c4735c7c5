#!/usr/bin/env bash
# Starts a private PostgreSQL cluster, Redis server and Celery worker on
# unusual ports in a temporary folder, runs the given command with the
# environment pointing at them, then stops everything it started.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
PG_PORT=${PRIAM_TEST_PG_PORT:-55432}
REDIS_PORT=${PRIAM_TEST_REDIS_PORT:-56379}
WORK=$(mktemp -d /tmp/priam-test.XXXXXX)
chmod 755 "$WORK"
PG_BIN=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)

as_pg() {
  # PostgreSQL refuses to run as root; when we are root, run it as its own user.
  if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

cleanup() {
  local status=$?
  set +e
  if [ -f "$WORK/celery.pid" ]; then
    kill -TERM "$(cat "$WORK/celery.pid")" 2>/dev/null
    for _ in $(seq 1 50); do [ -f "$WORK/celery.pid" ] || break; sleep 0.2; done
  fi
  [ -f "$WORK/redis.pid" ] && kill "$(cat "$WORK/redis.pid")" 2>/dev/null
  [ -d "$WORK/pg" ] && as_pg "$PG_BIN/pg_ctl" -D "$WORK/pg" -m fast stop >/dev/null 2>&1
  if [ $status -ne 0 ] && [ -f "$WORK/celery.log" ]; then
    echo "--- last lines of the Celery worker log ---" >&2
    tail -n 40 "$WORK/celery.log" >&2
  fi
  rm -rf "$WORK"
  exit $status
}
trap cleanup EXIT INT TERM

echo "Starting PostgreSQL on port $PG_PORT, Redis on port $REDIS_PORT (in $WORK)"
mkdir -p "$WORK/pg"
[ "$(id -u)" -eq 0 ] && chown postgres "$WORK/pg"
as_pg "$PG_BIN/initdb" -D "$WORK/pg" -U priam --auth=trust -E UTF8 >/dev/null
as_pg "$PG_BIN/pg_ctl" -D "$WORK/pg" -l "$WORK/pg/server.log" -w \
  -o "-p $PG_PORT -k $WORK/pg -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off" \
  start >/dev/null
as_pg "$PG_BIN/createdb" -h 127.0.0.1 -p "$PG_PORT" -U priam priam

redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --save '' --appendonly no \
  --daemonize yes --dir "$WORK" --pidfile "$WORK/redis.pid" --logfile "$WORK/redis.log"
for _ in $(seq 1 50); do redis-cli -p "$REDIS_PORT" ping >/dev/null 2>&1 && break; sleep 0.1; done

export DATABASE_URL="postgres://priam@127.0.0.1:$PG_PORT/priam"
export CELERY_BROKER_URL="redis://127.0.0.1:$REDIS_PORT/0"
export PRIAM_TEST_SERVICES=1
export PRIAM_TEST_WORK="$WORK"
export PRIAM_DATA_DIR="$WORK/data"
# pytest, the worker and its pool write their metrics here, so /metrics in the tests adds up
# the worker's task counts, as on one machine under `make serve` (tests/ops/test_ops_services.py).
export PROMETHEUS_MULTIPROC_DIR="$WORK/metrics"
mkdir -p "$PROMETHEUS_MULTIPROC_DIR"
# Connections closed after each request and task, as before: pytest drops test_priam at the end,
# which an idle connection kept by the worker would block. The fault tests start their own
# processes with kept connections (tests/faults/test_postgres_restart.py).
export DATABASE_CONN_MAX_AGE="${DATABASE_CONN_MAX_AGE:-0}"

# The worker uses the database pytest-django creates (test_priam), so tasks
# see what the tests commit.
cd "$ROOT"
DATABASE_URL="postgres://priam@127.0.0.1:$PG_PORT/test_priam" \
  "$ROOT/.venv/bin/celery" -A priam worker --loglevel=INFO --concurrency=2 \
  --hostname="priam-test@%h" --pidfile="$WORK/celery.pid" --logfile="$WORK/celery.log" \
  --detach
for _ in $(seq 1 100); do grep -q "ready" "$WORK/celery.log" 2>/dev/null && break; sleep 0.2; done
grep -q "ready" "$WORK/celery.log" || { echo "Celery worker did not start" >&2; exit 1; }
echo "Celery worker ready (pid $(cat "$WORK/celery.pid"))"

"$@"
