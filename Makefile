# Two commands: `make run` and `make test`. Both create .venv and install pinned packages.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: install run test lint typecheck test-suite schema clean bench lock charge-due send-reminders

# Every package is installed from the lock with its hash checked: a tampered file fails.
$(STAMP): pyproject.toml requirements.lock requirements-dev.lock
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check --require-hashes \
		-r requirements-dev.lock
	$(BIN)/pip install --quiet --disable-pip-version-check --no-deps \
		--config-settings editable_mode=compat -e .
	touch $(STAMP)

install: $(STAMP)

# Without STRIPE_SECRET_KEY, serve also runs the local Stripe simulator on this port.
STRIPE_SIMULATOR_PORT ?= 12111
run: install
	$(BIN)/billing migrate
	$(BIN)/billing seed-demo
	$(BIN)/billing serve --host $(HOST) --port $(PORT) \
		--with-stripe-simulator --stripe-simulator-port $(STRIPE_SIMULATOR_PORT)

# The cron commands against what `make run` serves (same HOST, PORT, database and, unless
# STRIPE_SECRET_KEY is set, its Stripe simulator), without setting anything else.
DEMO_SETTINGS = PUBLIC_BASE_URL="$${PUBLIC_BASE_URL:-http://$(HOST):$(PORT)}" \
	$(if $(STRIPE_SECRET_KEY),,STRIPE_API_BASE="$${STRIPE_API_BASE:-http://127.0.0.1:$(STRIPE_SIMULATOR_PORT)}")

charge-due: install
	$(DEMO_SETTINGS) $(BIN)/billing charge-due-installments

send-reminders: install
	$(DEMO_SETTINGS) $(BIN)/billing send-reminders

test: lint typecheck test-suite

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

typecheck: install
	$(BIN)/mypy .

# The conformance audit's Node packages, installed with the virtualenv's own Node.js.
CONFORMANCE_STAMP := conformance/node_modules/.installed-stamp
$(CONFORMANCE_STAMP): $(STAMP) conformance/package.json conformance/package-lock.json
	$(BIN)/npm ci --prefix conformance --no-audit --no-fund
	touch $(CONFORMANCE_STAMP)

# The staff console's end-to-end tests drive headless Chromium: Debian's chromium and
# chromium-driver, installed here when missing (no browser is downloaded).
.PHONY: browser
browser:
	@(command -v chromium && command -v chromedriver) >/dev/null || \
		apt-get install -y chromium chromium-driver || \
		(apt-get update && apt-get install -y chromium chromium-driver) || \
		{ echo "make: chromium is missing; install Debian's chromium and chromium-driver"; exit 2; }

# The pytest suite alone; TEST_DATABASE_URL picks PostgreSQL instead of SQLite.
test-suite: install $(CONFORMANCE_STAMP) browser
	$(BIN)/pytest

schema: install
	$(BIN)/billing export-schema

# The benchmark (bench/RESULTS.md): about 10 minutes; needs wrk (installed here from Debian's
# package when missing) and a local PostgreSQL. BENCH_ARGS passes options: see
# `.venv/bin/python -m bench --help`.
BENCH_ARGS ?=
bench: install
	@command -v wrk >/dev/null || apt-get install -y wrk || \
		(apt-get update && apt-get install -y wrk) || \
		{ echo "make bench: wrk is missing; install Debian's package wrk"; exit 2; }
	$(BIN)/python -m bench $(BENCH_ARGS)

# The GraphQL-over-HTTP conformance audit (graphql-http, see conformance/README.md) against
# the service started as its own process; prints every MUST, SHOULD and MAY result.
.PHONY: conformance
conformance: install $(CONFORMANCE_STAMP)
	$(BIN)/pytest -s tests/api/test_conformance_graphql_http.py

# Re-resolve the locks from pyproject.toml's pins, with hashes (pip-tools, in a venv of its own).
# requirements.lock is what the image installs; requirements-dev.lock adds the test tools.
LOCK_VENV := .venv-lock
PIP_COMPILE := $(LOCK_VENV)/bin/pip-compile --quiet --generate-hashes --allow-unsafe \
	--strip-extras --no-emit-index-url --no-emit-find-links --resolver=backtracking
lock:
	$(PYTHON) -m venv $(LOCK_VENV)
	$(LOCK_VENV)/bin/pip install --quiet pip-tools==7.6.2
	$(PIP_COMPILE) --output-file requirements.lock pyproject.toml
	$(PIP_COMPILE) --extra dev --constraint requirements.lock \
		--output-file requirements-dev.lock pyproject.toml

clean:
	rm -rf $(VENV) $(LOCK_VENV) var .mypy_cache .ruff_cache .pytest_cache .hypothesis conformance/node_modules
