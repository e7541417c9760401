# Two commands for a fresh machine with Python 3.11:
#   make demo   set up, train the default model if missing, interpret an example
#   make test   set up and run the whole suite
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
DEV := $(VENV)/.dev-stamp
SERVE := $(VENV)/.serve-stamp
HYBRID := $(VENV)/.hybrid-stamp
# torch first, pinned to the CPU build: an unpinned resolve of the hybrid extra can pull a multi-GB CUDA build.
TORCH := torch==2.13.0

.PHONY: demo demo-hybrid train-hybrid test install train serve evaluate notebooks benchmark benchmark-hybrid benchmark-serve benchmark-clinc150 benchmark-clinc150-hybrid benchmark-batch reliability clean help

help:
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/'

# The package alone (enough for demo and train); the dev and serve extras on top, only where needed.
$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e .
	@touch $@

$(DEV): $(STAMP)
	$(BIN)/python -m pip install --quiet $(TORCH)
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	@touch $@

$(HYBRID): $(STAMP)
	$(BIN)/python -m pip install --quiet $(TORCH)
	$(BIN)/python -m pip install --quiet -e ".[hybrid]"
	@touch $@

$(SERVE): $(STAMP)
	$(BIN)/python -m pip install --quiet -e ".[serve]"
	@touch $@

install: $(DEV) ## create .venv and install the package with dev tools

models/meaning/CURRENT: data/meaning.csv data/meaning_everyday.csv data/meaning_cueless.csv | $(STAMP)
	$(BIN)/python -m ml train --task meaning

models/coach/CURRENT: data/coach.csv | $(STAMP)
	$(BIN)/python -m ml train --task coach

train: models/meaning/CURRENT models/coach/CURRENT ## train both default models if missing or stale

demo: models/meaning/CURRENT ## interpret an example message (trains first if needed)
	$(BIN)/python -m ml predict --task meaning "hey stranger, miss you" --context "he ghosted me in May"

# The hybrid models live in their own directories, so `make demo` and `make serve` keep the TF-IDF ones.
models/meaning-hybrid/CURRENT: data/meaning.csv data/meaning_everyday.csv data/meaning_cueless.csv | $(HYBRID)
	nice $(BIN)/python -m ml train --task meaning --features hybrid --out models/meaning-hybrid

models/coach-hybrid/CURRENT: data/coach.csv | $(HYBRID)
	nice $(BIN)/python -m ml train --task coach --features hybrid --out models/coach-hybrid

train-hybrid: models/meaning-hybrid/CURRENT models/coach-hybrid/CURRENT ## train both hybrid (TF-IDF + MiniLM) models if missing or stale

demo-hybrid: models/meaning-hybrid/CURRENT ## the demo with the hybrid model (installs the hybrid extra, trains first if needed)
	$(BIN)/python -m ml predict --model models/meaning-hybrid "hey stranger, miss you" --context "he ghosted me in May"

serve: train $(SERVE) ## the web page and HTTP API on http://127.0.0.1:8000 (trains models if missing)
	$(BIN)/python -m ml serve

test: $(DEV) ## lint and type-check, then run the whole test suite
	$(BIN)/ruff check ml tests benchmarks
	$(BIN)/mypy
	$(BIN)/python -m pytest

evaluate: models/meaning/CURRENT ## held-out report for the meaning model
	$(BIN)/python -m ml evaluate --task meaning --report-dir reports/meaning

notebooks: $(DEV) ## re-run the notebooks and save their outputs (they train what they need)
	$(BIN)/python -m ml.notebooks notebooks/*.ipynb

benchmark: models/meaning/CURRENT ## latency/throughput of the meaning model
	$(BIN)/python benchmarks/latency.py

reliability: $(STAMP) ## bad inputs and injected faults against a small model; prints how many were handled
	$(BIN)/python benchmarks/reliability.py

benchmark-serve: train $(DEV) ## load test of the HTTP API on 127.0.0.1 (bounded; about a minute)
	$(BIN)/python benchmarks/serve_load.py

benchmark-batch: models/meaning/CURRENT $(DEV) ## batch scoring at scale: ratios, peak memory, Dask vs local, train growth (long)
	$(BIN)/python benchmarks/batch_scale.py

benchmark-hybrid: train train-hybrid ## tfidf vs hybrid side by side: CV and held-out macro-F1, ECE, speed, memory
	nice $(BIN)/python benchmarks/hybrid.py

benchmark-clinc150: $(STAMP) ## CLINC150 vs the paper and fastText (about 15 minutes)
	$(BIN)/python -m pip install --quiet -e ".[benchmark]"
	$(BIN)/python -m benchmarks.clinc150

benchmark-clinc150-hybrid: $(HYBRID) ## CLINC150 with the hybrid feature set (about 15 minutes)
	$(BIN)/python -m pip install --quiet -e ".[benchmark]"
	$(BIN)/python -m benchmarks.clinc150 --features hybrid

clean: ## remove the virtualenv, models and reports
	rm -rf $(VENV) models/*/ reports
