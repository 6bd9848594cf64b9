# Clienteling — everyday commands. Needs Python >= 3.11 and make; nothing else for SQLite.

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PORT ?= 8000
POSTGRES_URL ?= postgresql://postgres@127.0.0.1:5432/test
PYTEST_ARGS ?=

.DEFAULT_GOAL := help
.PHONY: help install install-dev run worker migrate demo test test-postgres lint format bench bench-http loadtest clean messages screenshots

help:
	@echo "make run            serve the demo on http://127.0.0.1:$(PORT) (SQLite)"
	@echo "make worker         the background-job worker alone (make run starts one)"
	@echo "make test           the whole test suite on SQLite"
	@echo "make test-postgres  the same suite on PostgreSQL (DATABASE_URL, default $(POSTGRES_URL))"
	@echo "make screenshots    the README's pictures, taken by the browser tests against the demo"
	@echo "make lint           ruff, format check, mypy (src and tests), import contracts, Django checks, migrations"
	@echo "make bench          the scale benchmark (docs/performance.md)"
	@echo "make bench-http     the book and store pages over HTTP from gunicorn, beside /api/v1/me (BENCH_HTTP_ARGS)"
	@echo "make loadtest       50 associates for 2 minutes against gunicorn on PostgreSQL (LOADTEST_ARGS)"

# The virtual environment, from the pinned lock files; re-made when they change.
$(BIN)/.installed: requirements/base.txt pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements/base.txt
	$(BIN)/pip install --quiet --disable-pip-version-check --no-deps -e .
	touch $@

$(BIN)/.installed-dev: $(BIN)/.installed requirements/dev.txt
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements/dev.txt
	touch $@

install: $(BIN)/.installed
install-dev: $(BIN)/.installed-dev

migrate: install
	@mkdir -p var
	$(BIN)/python manage.py migrate --no-input

demo: migrate
	$(BIN)/python manage.py seed_demo

# The demo also starts the fake Microsoft services (Entra ID, Key Vault, Customer Insights)
# on 127.0.0.1, ports FAKES_PORT_BASE to FAKES_PORT_BASE+2 (default 8441-8443), and turns
# analytics on for ITJW; a port in use leaves analytics off and never delays the start.
# A background-job worker runs beside the server; the fakes and the worker stop with it.
FAKES_PORT_BASE ?= 8441
run: demo
	@FAKES_PORT_BASE=$(FAKES_PORT_BASE) $(BIN)/python manage.py run_demo --port $(PORT)

# The background-job worker alone, with the server's environment (DATABASE_URL, TASKS_BACKEND).
worker: migrate
	$(BIN)/python manage.py jobs_worker

test: install-dev
	$(BIN)/pytest $(PYTEST_ARGS)

test-postgres: install-dev
	DATABASE_URL=$${DATABASE_URL:-$(POSTGRES_URL)} $(BIN)/pytest $(PYTEST_ARGS)

screenshots: install-dev
	CLIENTELING_SCREENSHOTS=1 $(BIN)/pytest -q -m browser $(PYTEST_ARGS)

lint: install-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy src tests
	$(BIN)/lint-imports --no-cache --no-logo
	$(BIN)/python manage.py check
	$(BIN)/python manage.py makemigrations --check --dry-run

format: install-dev
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

messages: install-dev
	cd src/clienteling && ../../$(BIN)/django-admin makemessages --locale=it --locale=lt --no-obsolete && \
		../../$(BIN)/django-admin compilemessages

# The scale benchmark (docs/performance.md): generates the R-SCALE-1 data set once into its
# own database, then measures. SQLite always; PostgreSQL too when BENCH_POSTGRES_URL is set.
BENCH_SQLITE ?= sqlite:///var/bench.sqlite3
BENCH_ARGS ?=
bench: install-dev
	@mkdir -p var
	DATABASE_URL=$(BENCH_SQLITE) $(BIN)/python manage.py migrate --no-input -v0
	DATABASE_URL=$(BENCH_SQLITE) $(BIN)/python manage.py bench $(BENCH_ARGS)
	@if [ -n "$(BENCH_POSTGRES_URL)" ]; then \
		DATABASE_URL=$(BENCH_POSTGRES_URL) $(BIN)/python manage.py migrate --no-input -v0 && \
		DATABASE_URL=$(BENCH_POSTGRES_URL) $(BIN)/python manage.py bench $(BENCH_ARGS); \
	fi

# The pages over HTTP as users get them: gunicorn (2 workers, DEBUG off) on the PostgreSQL
# benchmark database, filled with the data set if absent; --write updates docs/performance.md.
BENCH_HTTP_DATABASE ?= postgresql://postgres@127.0.0.1:5432/bench
BENCH_HTTP_ARGS ?= --write
# As in production, the shared cache is Redis (unreachable, pages read the database).
BENCH_HTTP_REDIS ?= redis://127.0.0.1:6379/0
bench-http: install-dev
	DATABASE_URL=$(BENCH_HTTP_DATABASE) $(BIN)/python manage.py migrate --no-input -v0
	DATABASE_URL=$(BENCH_HTTP_DATABASE) DEBUG=0 DB_CONN_MAX_AGE=60 \
		REDIS_URL=$(BENCH_HTTP_REDIS) CACHE_KEY_PREFIX=bench-http \
		$(BIN)/python manage.py bench_http $(BENCH_HTTP_ARGS)

# The load test: gunicorn (development settings, DEBUG off, persistent connections, Redis as
# in production) on the PostgreSQL benchmark database, filled with the data set if absent.
LOADTEST_DATABASE ?= $(or $(BENCH_POSTGRES_URL),postgresql://postgres@127.0.0.1:5432/bench)
LOADTEST_ARGS ?=
loadtest: install-dev
	DATABASE_URL=$(LOADTEST_DATABASE) $(BIN)/python manage.py migrate --no-input -v0
	DATABASE_URL=$(LOADTEST_DATABASE) DEBUG=0 DB_CONN_MAX_AGE=60 \
		REDIS_URL=$(BENCH_HTTP_REDIS) CACHE_KEY_PREFIX=loadtest \
		$(BIN)/python manage.py loadtest $(LOADTEST_ARGS)

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
