# Two commands for a newcomer: `make run` and `make test`. Only Python 3.11 and make are needed.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 5000

.PHONY: run test test-postgres test-browser lint lock format translations bench clean schema-migration

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# Everything installed from the lock file, each package checked against its recorded hashes.
$(VENV)/.installed: requirements.lock | $(BIN)/python
	$(BIN)/python -m pip install --quiet --require-hashes -r requirements.lock
	touch $@

## After changing requirements*.txt: pin every dependency, transitive ones too, with hashes.
lock: $(VENV)/.installed
	$(BIN)/pip-compile --quiet --generate-hashes --allow-unsafe --strip-extras \
		--no-emit-index-url --no-emit-find-links --output-file requirements.lock requirements-dev.txt

MAIL_PORT ?= 8025

## Set up on first use (virtual environment, instance folder, keys, schema, demo data), then run
## the web app, the worker and a local mail sink together; Ctrl-C stops all three.
run: $(VENV)/.installed
	SCREENING_ENVIRONMENT=development $(BIN)/flask --app wsgi init
	@if [ ! -f instance/.demo-loaded ]; then \
		SCREENING_ENVIRONMENT=development $(BIN)/flask --app wsgi demo && touch instance/.demo-loaded; \
	fi
	$(BIN)/python -m screening.devserver --host $(HOST) --port $(PORT) --mail-port $(MAIL_PORT)

## The whole test suite on SQLite (browser tests run when Chromium is installed).
test: $(VENV)/.installed
	$(BIN)/python -m pytest

## The suite against PostgreSQL: make test-postgres DATABASE=postgresql://postgres@127.0.0.1:5432/screening_test
test-postgres: $(VENV)/.installed
	SCREENING_TEST_DATABASE_URL=$(DATABASE) $(BIN)/python -m pytest -m "not browser"

test-browser: $(VENV)/.installed
	SCREENING_REQUIRE_BROWSER=1 $(BIN)/python -m pytest -m browser

## Lint, format check and type check (mypy: the [tool.mypy] section of pyproject.toml).
lint: $(VENV)/.installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

format: $(VENV)/.installed
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

## Re-extract messages and compile the catalogues after editing translations.
translations: $(VENV)/.installed
	$(BIN)/pybabel extract -F babel.cfg -k _l -o screening/translations/messages.pot .
	$(BIN)/pybabel update -i screening/translations/messages.pot -d screening/translations --no-fuzzy-matching
	$(BIN)/pybabel compile -d screening/translations

## Benchmarks under gunicorn (log-in, submit, reference app, memory, start-up), the statistics
## views on a million de-identified records and the counselor queue with 10,000 open cases;
## figures printed and kept in bench/results/.
bench: $(VENV)/.installed
	$(BIN)/python -m bench
	$(BIN)/python -m bench.stats_bench --db sqlite --db postgresql --records 1000000
	$(BIN)/python -m bench.queue_bench --db sqlite --db postgresql --cases 10000

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache

## Before the first release: rebuild the one initial migration from the models.
schema-migration: $(VENV)/.installed
	PYTHONPATH=. $(BIN)/python tools/schema_migration.py
	$(BIN)/ruff format screening/migrations/versions
