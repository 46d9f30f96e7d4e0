# 帮扶通 — the two commands: `make run` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app webapp
HOST ?= 127.0.0.1
PORT ?= 5000
PYTEST_ARGS ?=

.PHONY: run test test-fast test-browser lint venv os-deps migrate seed worker clean

$(BIN)/activate: pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev]'
	touch $(BIN)/activate

venv: $(BIN)/activate

os-deps:
	@bash scripts/os-deps.sh

migrate: venv
	$(FLASK) db upgrade

seed: migrate
	$(FLASK) seed-demo --if-empty

# the Huey consumer (batch PDFs) runs in the background and is stopped when the server stops
run: venv os-deps seed
	@echo "帮扶通 serving on http://$(HOST):$(PORT)"
	$(BIN)/huey_consumer webapp.tasks.huey --workers 1 & consumer=$$!; \
	trap 'kill $$consumer 2>/dev/null; wait $$consumer 2>/dev/null' EXIT; \
	$(BIN)/gunicorn --workers 2 --threads 4 --bind $(HOST):$(PORT) --access-logfile - 'webapp:create_app()'

# the consumer alone (when the server is run some other way)
worker: venv
	$(BIN)/huey_consumer webapp.tasks.huey --workers 1

test: venv
	@WITH_BROWSER=1 bash scripts/os-deps.sh
	$(BIN)/pytest $(PYTEST_ARGS)

# everything but the tests marked slow (pyproject.toml): a quick run while changing code
test-fast: venv
	@WITH_BROWSER=1 bash scripts/os-deps.sh
	$(BIN)/pytest -m "not slow" $(PYTEST_ARGS)

test-browser: venv
	@WITH_BROWSER=1 bash scripts/os-deps.sh
	$(BIN)/pytest -m browser $(PYTEST_ARGS)

# lint and import order (pyproject.toml [tool.ruff]); `$(BIN)/ruff check --fix .` sorts the imports
lint: venv
	$(BIN)/ruff check .

clean:
	rm -rf $(VENV) *.egg-info
