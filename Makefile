# The two commands a newcomer needs: `make run` and `make test` (see README).
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PORT ?= 8000
# Tests run on PostgreSQL and Redis, the production services (local servers by default).
TEST_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/portal
TEST_REDIS_URL ?= redis://127.0.0.1:6379/0
# Two workers on these 2-core machines; set PYTEST_WORKERS=0 to run in one process.
PYTEST_WORKERS ?= 2
# Production-like settings for the suite: DEBUG off, a throw-away key, the real services.
TEST_ENV := SECRET_KEY=test-only-key-$(shell printf '%060d' 0) DEBUG=0 \
	ALLOWED_HOSTS=localhost,testserver,127.0.0.1 SECURE_SSL_REDIRECT=0 \
	DATABASE_URL=$(TEST_DATABASE_URL) REDIS_URL=$(TEST_REDIS_URL)

.PHONY: install run test lint lock bench clean

install: $(VENV)/.installed

$(VENV)/.installed: requirements.lock pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.lock
	touch $@

# Serve the demo: migrate, seed, then web + Celery worker + beat together; Ctrl-C stops all.
run: install
	@mkdir -p var
	DEBUG=$${DEBUG:-1} $(PY) manage.py migrate --noinput
	DEBUG=$${DEBUG:-1} $(PY) manage.py seed_demo
	DEBUG=$${DEBUG:-1} $(PY) manage.py collectstatic --noinput --verbosity 0
	DEBUG=$${DEBUG:-1} REQUIRE_MFA=$${REQUIRE_MFA:-0} PORT=$(PORT) $(PY) -m config.devserver

test: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	DEBUG=1 VAR_DIR=var/migrations-check $(PY) manage.py makemigrations --check --dry-run
	$(TEST_ENV) $(PY) manage.py collectstatic --noinput --verbosity 0
	$(TEST_ENV) $(PY) -m pytest $(if $(filter-out 0,$(PYTEST_WORKERS)),-n $(PYTEST_WORKERS)) $(PYTEST_ARGS)

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

# Regenerate the lock from pyproject.toml's ranges in a throw-away environment.
lock:
	rm -rf var/lock-venv && $(PYTHON) -m venv var/lock-venv
	var/lock-venv/bin/pip install --quiet --upgrade pip
	var/lock-venv/bin/pip install --quiet ".[dev]"
	var/lock-venv/bin/pip freeze --exclude prevention-portal > requirements.lock
	rm -rf var/lock-venv

# Load from wrk (Debian's package; installed here when missing and apt can, as root);
# without it the bench falls back to Python threads.
bench: install
	command -v wrk >/dev/null || { [ "$$(id -u)" = 0 ] && apt-get install -y wrk >/dev/null; } \
		|| echo "wrk not installed: loading from Python threads"
	$(PY) -m config.bench $(if $(BENCH_SCALE),--scale $(BENCH_SCALE))

clean:
	rm -rf var .pytest_cache .ruff_cache
