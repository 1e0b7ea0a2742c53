# Đúng Hạn: `make run` runs the whole system, `make test` lints and passes every test; both set up
# what is missing first (Debian packages, Kafka jars from Maven Central, the Python environment).
SHELL := bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

STACK := deploy/local/stack.sh
PY := .venv/bin/python
UV_VERSION := 0.13.9
PYTEST_ARGS ?=
#: pytest-xdist workers of `make test` and the tier targets (0: one process). Each shared
#: system (security, e2e, faults) stays whole on one worker; see tests/conftest.py.
TEST_WORKERS ?= 2
XDIST := $(if $(filter 0,$(TEST_WORKERS)),,-n $(TEST_WORKERS) --dist loadgroup)
export STACK_DIR ?= $(CURDIR)/.stack
export KAFKA_PORT ?= 9092
export PG_PORT ?= 55432

# Load the development configuration for everything the Makefile starts.
include config/dev.env
export $(shell sed -n 's/^\([A-Z_][A-Z0-9_]*\)=.*/\1/p' config/dev.env)
export DUNGHAN_KAFKA_BOOTSTRAP_SERVERS ?= 127.0.0.1:$(KAFKA_PORT)

.PHONY: help install up down status topics migrate run test test-unit test-integration test-e2e test-faults \
        test-faults-long \
        lint fmt bench bench-smoke clean tools sample summary report openapi

help: ## List the targets
	@grep -hE '^[a-zA-Z0-9_-]+:.*## ' $(MAKEFILE_LIST) | sort | \
	  awk 'BEGIN {FS = ":.*## "}; {printf "  \033[36m%-17s\033[0m %s\n", $$1, $$2}'

.stack/.uv:
	@command -v uv >/dev/null || python3 -m pip install -q "uv==$(UV_VERSION)"
	@mkdir -p .stack && touch $@

.venv/.synced: .stack/.uv uv.lock pyproject.toml $(wildcard libs/*/pyproject.toml services/*/pyproject.toml)
	uv sync --frozen --all-packages --quiet
	@touch $@

# The portal format's parser and translator, compiled with mypyc beside their sources; rebuilt when
# either source changes (an edited source is imported from source until then: ingest/native.py).
NATIVE_DIR := services/ingest/src/ingest/domain
$(NATIVE_DIR)/native.json: .venv/.synced $(NATIVE_DIR)/dvcqg.py $(NATIVE_DIR)/dvcqg_translate.py services/ingest/build_native.py
	$(PY) services/ingest/build_native.py

install: .venv/.synced ## Install what is missing: Debian packages, Kafka jars, Python environment, compiled modules
	@$(STACK) install
	@$(MAKE) --no-print-directory $(NATIVE_DIR)/native.json

up: install ## Start Kafka (KRaft) and PostgreSQL, health-checked, and create the topics
	@$(STACK) up
	@$(PY) -m dunghan_common.admin ensure-topics

down: ## Stop Kafka and PostgreSQL
	@$(STACK) down

status: ## Show whether Kafka and PostgreSQL are serving
	@$(STACK) status

migrate: up ## Apply every service's database migrations
	@$(PY) deploy/local/run.py migrate

run: migrate ## Run the whole system, replay a sample month and print a summary; serve until Ctrl-C
	@$(PY) deploy/local/run.py run

sample: install ## Write a month of sample events: MONTH=YYYY-MM VOLUME=100000 SEED=8 (default: last month)
	$(PY) -m dunghan_province generate --volume $(or $(VOLUME),100000) --seed $(or $(SEED),8) $(if $(MONTH),--month $(MONTH))

summary: install ## Terminal summary of the running system (make run in another terminal); PERIOD=YYYY-MM
	$(PY) -m dunghan_province summary $(if $(PERIOD),--period $(PERIOD))

report: install ## Monthly report: terminal table, .stack/reports/bao-cao-<period>.xlsx and .pdf; PERIOD=YYYY-MM
	$(PY) -m dunghan_province report $(if $(PERIOD),--period $(PERIOD))

tools: ## Install the deployment tools: prometheus/promtool (Debian) and kustomize (.stack/bin)
	@deploy/local/tools.sh

test: export DUNGHAN_REQUIRE_TOOLS = 1
# The fault tier runs after the others, alone: it starts a private broker and database and two
# systems, and kills and restarts them; beside other tiers on two cores it would starve them.
test: lint up tools ## Lint first (seconds), then every test (unit, integration, e2e in TEST_WORKERS workers; then faults) and the benchmark smoke run
	$(PY) -m pytest tests/unit tests/integration tests/e2e $(XDIST) --durations=15 $(PYTEST_ARGS)
	$(PY) -m pytest tests/faults --durations=5 $(PYTEST_ARGS)
	@$(MAKE) --no-print-directory bench-smoke

test-unit: install tools ## Run the unit tests only (no stack needed)
	$(PY) -m pytest tests/unit $(XDIST) $(PYTEST_ARGS)

test-integration: up ## Run the integration tests against the real broker and database
	$(PY) -m pytest tests/integration $(XDIST) $(PYTEST_ARGS)

test-e2e: up tools ## Run the end-to-end tests (services as processes)
	$(PY) -m pytest tests/e2e $(XDIST) $(PYTEST_ARGS)

test-faults: up ## Run the fault-injection runs (private broker and database; figures in .stack/reports)
	$(PY) -m pytest tests/faults $(PYTEST_ARGS)

test-faults-long: up ## The consumer fault runs at full length (every SQLSTATE alone, 12 rebalances): RELIABILITY.md's figures
	DUNGHAN_FAULTS_LONG=1 $(PY) -m pytest tests/faults/test_database_errors.py \
	  tests/faults/test_rebalances.py tests/faults/test_oversized_and_replay.py \
	  tests/faults/test_consumer_kills.py $(PYTEST_ARGS)

lint: .venv/.synced ## ruff (lint, docstrings, logging; format check) and mypy --strict; the pre-commit hooks run the same
	.venv/bin/ruff check .
	.venv/bin/ruff format --check .
	.venv/bin/mypy $(wildcard libs/*/src) $(wildcard services/*/src)

openapi: install ## Regenerate docs/openapi/<service>.json from the services' apps
	$(PY) deploy/local/openapi.py write

fmt: install ## Format and autofix
	uv run --frozen ruff format .
	uv run --frozen ruff check --fix .

bench: up ## Full benchmark: reference runs and goals, written to BENCHMARKS.md
	$(PY) bench/run.py --write BENCHMARKS.md

bench-smoke: install ## Seconds-long benchmark run so the benchmark never rots
	$(PY) bench/run.py --smoke

clean: down ## Stop the stack and delete its data
	rm -rf .stack/kafka/data .stack/pg
