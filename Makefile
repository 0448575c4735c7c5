# PRIAM – the two set-up commands are `make run` and `make test` (see README).
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
MANAGE := $(BIN)/python manage.py
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run dev serve test setup migrate demo test-fast bench clean backup restore

$(BIN)/.installed: pyproject.toml constraints.txt
	@$(PYTHON) -c 'import sys; assert sys.version_info[:2] == (3, 11), "PRIAM needs Python 3.11, found " + sys.version.split()[0]'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -c constraints.txt -e '.[test]'
	touch $@

setup: $(BIN)/.installed

migrate: setup
	$(MANAGE) migrate --noinput

# load_demo refuses with DEBUG off, as the embedded mode is; its demo is wanted there (README).
demo: migrate
	$(MANAGE) load_framework fixtures/frameworks/five-safes/v1
	$(MANAGE) load_framework fixtures/frameworks/five-safes/v2
	$(MANAGE) init_signing
	$(MANAGE) load_demo --force

# The embedded mode, DEBUG off: safe for real use on this machine (README). Several
# processes use both cores; SQLite in WAL mode serves them all (bench/README.md).
run: demo
	@echo "PRIAM is serving on http://$(HOST):$(PORT)/ – sign in with a demo login above."
	@echo "E-mails (notifications, password resets) are written as files to $${PRIAM_DATA_DIR:-var}/mail/ unless EMAIL_HOST is set."
	$(BIN)/gunicorn priam.wsgi --bind $(HOST):$(PORT) --workers 3 --threads 4 --timeout 60

# Development: DEBUG on (Django's error pages, the development secret key) and autoreload.
dev: demo
	@echo "PRIAM (DEBUG on) is serving on http://$(HOST):$(PORT)/ – sign in with a demo login above."
	@echo "E-mails (notifications, password resets) are written as files to $${PRIAM_DATA_DIR:-var}/mail/ unless EMAIL_HOST is set."
	DEBUG=1 $(MANAGE) runserver $(HOST):$(PORT)

# Production on this machine, from the environment (README, "Production"): refuses to start,
# naming the variable, while one is missing; then migrates, collects static files, loads the
# shipped framework versions (unchanged ones are skipped) and runs the Procfile's web, worker
# and beat processes under honcho until stopped (Ctrl-C or SIGTERM stops all three).
serve: export DEBUG = 0
# The three processes count into one folder, which /metrics adds up (README, "Health and metrics").
serve: export PROMETHEUS_MULTIPROC_DIR ?= $(or $(PRIAM_DATA_DIR),var)/metrics
serve: setup
	$(MANAGE) check_production
	mkdir -p "$$PROMETHEUS_MULTIPROC_DIR" && find "$$PROMETHEUS_MULTIPROC_DIR" -name '*.db' -delete
	$(MANAGE) migrate --noinput
	$(MANAGE) collectstatic --noinput --verbosity 0
	$(MANAGE) load_framework fixtures/frameworks/five-safes/v1
	$(MANAGE) load_framework fixtures/frameworks/five-safes/v2
	exec $(BIN)/honcho --no-colour start --procfile Procfile

# Type checks, then the whole suite on PostgreSQL with Redis and a real Celery worker, then
# again on the embedded SQLite without the services' tests and the browser tests: Chromium
# drives the same pages in the first run, and twice would double the longest part.
test: setup
	bash scripts/install-system-packages.sh
	$(BIN)/ruff check  # lint rules in [tool.ruff] of pyproject.toml
	$(BIN)/ruff format --check  # the code stays as `ruff format` writes it
	$(BIN)/mypy  # strict on the engine package ([tool.mypy] in pyproject.toml)
	bash scripts/with-test-services.sh $(BIN)/pytest -p no:cacheprovider
	env -u DATABASE_URL -u CELERY_BROKER_URL PRIAM_DATA_DIR=$$(mktemp -d) PRIAM_SCHEMATHESIS_EXAMPLES=5 \
		$(BIN)/pytest -p no:cacheprovider -m "not services and not once" --ignore=tests/browser

test-fast: setup
	$(BIN)/pytest -m "not services" -x -q

# One archive: database, uploaded files, record PDFs, public certificates, manifest of SHA-256s;
# never the private signing key (README). OUT= a folder or file name; default DATA_DIR/backups/.
backup: setup
	$(MANAGE) backup $(if $(OUT),--out "$(OUT)")

# Brings an EMPTY instance (database and data folder as configured) back from ARCHIVE=...
restore: setup
	@test -n "$(ARCHIVE)" || { echo "Usage: make restore ARCHIVE=path/to/priam-backup-....tar.gz" >&2; exit 2; }
	$(MANAGE) restore "$(ARCHIVE)"

clean:
	rm -rf $(VENV) var
