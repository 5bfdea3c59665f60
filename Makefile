# Jemput Bola: `make run` serves the app, `make test` runs lint and the whole test suite.
# Both create .venv with Python 3.10, install the pinned dependencies, migrate and train the NLU
# model only when its data or config changed (the model is cached by a hash of both).

VENV := .venv
PY := $(VENV)/bin/python
# Python 3.10 (Rasa 3.6 supports 3.8-3.10): python3.10 on PATH, else pyenv's 3.10.
PYTHON310 ?= $(shell for p in python3.10 $$(pyenv root 2>/dev/null)/versions/3.10*/bin/python3.10; do \
	if "$$p" -c 'import sys; assert sys.version_info[:2] == (3, 10)' >/dev/null 2>&1; then \
	echo "$$p"; break; fi; done)
export RASA_TELEMETRY_ENABLED := false
export TF_CPP_MIN_LOG_LEVEL := 2
export PYTHONWARNINGS := ignore::DeprecationWarning

.DEFAULT_GOAL := help
.PHONY: help install run serve test lint format migrate nlu-model nlu-evaluate scheduler chromium clean

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-14s %s\n", $$1, $$2}'

$(PY):
	@test -n "$(PYTHON310)" || { echo "Python 3.10 not found (install it, e.g. 'pyenv install 3.10')"; exit 1; }
	$(PYTHON310) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade "pip==24.0"

$(VENV)/.installed: requirements.txt requirements-dev.txt | $(PY)
	$(PY) -m pip install --quiet -r requirements.txt -r requirements-dev.txt
	@touch $@

install: $(VENV)/.installed ## Create .venv (Python 3.10) and install the pinned dependencies

migrate: install ## Create or upgrade the database schema, and load district.yml
	$(PY) -m flask --app app db upgrade
	$(PY) -m flask --app app district load

nlu-model: install ## Train the NLU model if its data or config changed (cached under models/)
	$(PY) -m nlu train

run: migrate nlu-model ## Serve the app on http://127.0.0.1:5000 (SQLite, in-process Rasa, simulator)
	NLU_PRELOAD=1 $(PY) -m flask --app app run --host 127.0.0.1 --port 5000

# Production on one machine: web (gunicorn) + one scheduler, plus a Rasa server with NLU=http.
SERVE_PROCESSES := web scheduler $(if $(filter http,$(NLU)),nlu)
serve: migrate nlu-model ## Production: gunicorn + scheduler (+ `rasa run` with NLU=http) via honcho
	rm -rf instance/prometheus && mkdir -p instance/prometheus
	PROMETHEUS_MULTIPROC_DIR=instance/prometheus \
	$(if $(filter http,$(NLU)),NLU_BACKEND=http NLU_SERVER_URL=http://127.0.0.1:$${NLU_PORT:-5005}) \
	$(VENV)/bin/honcho -f Procfile start $(SERVE_PROCESSES)

lint: install ## ruff lint and format check, and the layer contracts (.importlinter)
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	$(VENV)/bin/lint-imports --no-cache

format: install ## Format the code with ruff
	$(PY) -m ruff format .
	$(PY) -m ruff check --fix .

chromium: ## Install Debian's Chromium for the browser tests (skipped where it cannot be installed)
	@command -v chromium >/dev/null 2>&1 || (apt-get update -qq && apt-get install -y -qq chromium >/dev/null) \
	  || echo "Chromium could not be installed: the browser tests will be skipped"

test: lint nlu-model chromium ## Lint, then the whole test suite (SQLite, and PostgreSQL when TEST_DATABASE_URL is set)
	$(PY) -m pytest

nlu-evaluate: nlu-model ## NLU evaluation report (reports/nlu.md)
	$(PY) -m bench.nlu_evaluate

scheduler: migrate ## Run the APScheduler process (reminders, dispatch, retries)
	$(PY) -m flask --app app scheduler

clean: ## Remove the virtualenv, caches and trained models
	rm -rf $(VENV) models .pytest_cache .ruff_cache
