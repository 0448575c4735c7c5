#!/usr/bin/env bash
# 50 users on `make serve` (bench/README.md, "50 users on `make serve`"), from a checkout:
#
#   bash bench/serve_load.sh [bench/load.py options]     # default: 50 users, 180 s, decisions
#
# Starts a private PostgreSQL and Redis (scripts/with-test-services.sh; PRIAM_TEST_PG_PORT and
# PRIAM_TEST_REDIS_PORT choose their ports), serves PRIAM with `make serve` (DEBUG off, gunicorn,
# a Celery worker and beat under honcho) on that fresh database, loads the demo data, runs
# bench/load.py, then checks what the run left (records and PDFs in the database, the audit
# chain with `manage.py verify_audit`) and stops everything it started. Exits non-zero when the
# load script or a check fails. SERVE_PORT (default 8765), WEB_CONCURRENCY (3),
# CELERY_CONCURRENCY (2) may be set; the server's log is kept in var/bench-serve-load.log (or KEEP_LOG).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
if [ -z "${PRIAM_SERVE_LOAD_INNER:-}" ]; then
  # Again inside the harness, which exports DATABASE_URL and CELERY_BROKER_URL and stops its
  # PostgreSQL and Redis when this returns.
  PRIAM_SERVE_LOAD_INNER=1 exec bash "$ROOT/scripts/with-test-services.sh" bash "$0" "$@"
fi

cd "$ROOT"
PORT=${SERVE_PORT:-8765}
T=$(mktemp -d /tmp/priam-serve-load.XXXXXX)
REDIS=${CELERY_BROKER_URL%/*}
LOG="$T/serve.log"
KEEP_LOG=${KEEP_LOG:-$ROOT/var/bench-serve-load.log}
SERVE_PID=

stop_serve() {
  # make serve's whole process group (make, honcho, gunicorn, the worker, beat), as tests/test_serve.py does.
  if [ -n "$SERVE_PID" ] && kill -0 "$SERVE_PID" 2>/dev/null; then
    kill -TERM -- "-$SERVE_PID" 2>/dev/null || true
    for _ in $(seq 1 120); do kill -0 -- "-$SERVE_PID" 2>/dev/null || break; sleep 0.5; done
    kill -KILL -- "-$SERVE_PID" 2>/dev/null || true
  fi
  SERVE_PID=
}

finish() {
  local status=$?
  stop_serve
  mkdir -p "$(dirname "$KEEP_LOG")" && cp "$LOG" "$KEEP_LOG" 2>/dev/null || true
  if [ $status -ne 0 ] && [ -f "$LOG" ]; then
    echo "--- last lines of make serve's log ---" >&2
    tail -n 40 "$LOG" >&2
  fi
  rm -rf "$T"
  exit $status
}
trap finish EXIT INT TERM

# Signing files from the local test CA, as tests/test_serve.py uses.
DJANGO_SETTINGS_MODULE=priam.settings PRIAM_DATA_DIR="$T/ca-data" .venv/bin/python -c "
import django; django.setup()
from assessments.pdf import testca; testca.ensure_test_ca('$T/signing')" >/dev/null

# The production variables (`manage.py check_production` names them), without the harness's
# test settings; Redis databases 7 and 8, so the harness's own worker (database 0) takes none
# of these tasks.
serve_env=(
  env -u DJANGO_SETTINGS_MODULE -u PRIAM_TEST_SERVICES -u PRIAM_TEST_WORK -u DATABASE_CONN_MAX_AGE
  -u MAKEFLAGS -u MAKELEVEL
  DEBUG=0
  SECRET_KEY=bench-serve-load-not-a-real-secret-0123456789abcdefghijklmnopqrstuvwxyz
  ALLOWED_HOSTS=127.0.0.1,localhost
  DATABASE_URL="$DATABASE_URL"
  CELERY_BROKER_URL="$REDIS/7"
  CACHE_URL="$REDIS/8"
  PRIAM_DATA_DIR="$T/data"
  PRIAM_PUBLIC_URL="http://127.0.0.1:$PORT"
  PRIAM_SIGNING_KEY_FILE="$T/signing/signing-key.pem"
  PRIAM_SIGNING_CERT_FILE="$T/signing/signing-cert.pem"
  PRIAM_SIGNING_CHAIN_FILE="$T/signing/ca.pem"
  PROMETHEUS_MULTIPROC_DIR="$T/metrics"
  PRIAM_BIND="127.0.0.1:$PORT"
  SECURE_SSL_REDIRECT=0
  WEB_CONCURRENCY="${WEB_CONCURRENCY:-3}"
  CELERY_CONCURRENCY="${CELERY_CONCURRENCY:-2}"
)
mkdir -p "$T/metrics"

echo "make serve on 127.0.0.1:$PORT (log $LOG)"
"${serve_env[@]}" setsid make --no-print-directory serve >"$LOG" 2>&1 &
SERVE_PID=$!
ready=
for _ in $(seq 1 360); do
  kill -0 "$SERVE_PID" 2>/dev/null || { echo "make serve stopped before it was ready" >&2; exit 1; }
  if [ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PORT/readyz")" = 200 ]; then ready=1; break; fi
  sleep 0.5
done
[ -n "$ready" ] || { echo "make serve was not ready within 180 s" >&2; exit 1; }
echo "Ready: $(curl -s "http://127.0.0.1:$PORT/readyz")"

# DEBUG is off, so load_demo needs --force (demo users have a published password).
"${serve_env[@]}" .venv/bin/python manage.py load_demo --force | sed -n 1p

status=0
.venv/bin/python bench/load.py --url "http://127.0.0.1:$PORT" --users 50 --duration 180 \
  --decision-projects 40 --decide-share 0.1 --risk-share 0.1 "$@" || status=$?

echo "--- after the run, in the database ---"
"${serve_env[@]}" .venv/bin/python manage.py shell -c "
from django.db.models import Count
from assessments.models import DecisionRecord, RecordPdf, RecordPdfJob
bench = DecisionRecord.objects.filter(project__title__startswith='Load test decision')
twice = bench.values('project').annotate(n=Count('pk')).filter(n__gt=1).count()
jobs = dict(RecordPdfJob.objects.filter(record__in=bench).values_list('status').annotate(n=Count('pk')))
print(f'records of the decision projects {bench.count()}; projects with more than one record {twice}; '
      f'signed PDFs {RecordPdf.objects.filter(record__in=bench).count()}; '
      f'records without a PDF {bench.filter(pdf__isnull=True).count()}; PDF jobs {jobs}')
import sys; sys.exit(1 if twice or bench.filter(pdf__isnull=True).exists() else 0)
" || status=1
if "${serve_env[@]}" .venv/bin/python manage.py verify_audit; then
  echo "audit chain intact: yes"
else
  echo "audit chain intact: NO"
  status=1
fi
echo "HTTP 500 responses in gunicorn's access log: $(grep -c '" 500 ' "$LOG" || true)"
grep -o 'Internal Server Error: [^"]*' "$LOG" | sed 's/[0-9][0-9]*/N/g' | sort | uniq -c || true
grep -o '[a-z.]*errors\.[A-Za-z]*: [a-z ]*' "$LOG" | sort | uniq -c || true
exit $status
