# Two commands: `make run` and `make test`. Both create .venv and install pinned packages.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: install run test lint typecheck test-suite schema clean

$(STAMP): pyproject.toml requirements.lock requirements-dev.lock
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check \
		-r requirements.lock -r requirements-dev.lock
	$(BIN)/pip install --quiet --disable-pip-version-check --no-deps \
		--config-settings editable_mode=compat -e .
	touch $(STAMP)

install: $(STAMP)

run: install
	$(BIN)/billing migrate
	$(BIN)/billing seed-demo
	$(BIN)/billing serve --host $(HOST) --port $(PORT)

test: lint typecheck test-suite

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: install
	$(BIN)/mypy .

# The pytest suite alone; TEST_DATABASE_URL picks PostgreSQL instead of SQLite.
test-suite: install
	$(BIN)/pytest

schema: install
	$(BIN)/billing export-schema

clean:
	rm -rf $(VENV) var .mypy_cache .ruff_cache .pytest_cache .hypothesis
