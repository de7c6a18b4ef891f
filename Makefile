# The two set-up commands of the README: `make demo` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
WORKSPACE ?= workspace/demo

.PHONY: demo test test-quick lab bench bench-reports bench-memory lint samples clean install

install: $(STAMP)

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "adviser-analytics needs Python 3.11 or newer")'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/adviser-analytics demo --workspace $(WORKSPACE)

test: $(STAMP)
	$(BIN)/python -m pytest

# The quick loop while working: everything but the tests marked slow.
test-quick: $(STAMP)
	$(BIN)/python -m pytest -m "not slow"

lab: $(STAMP)
	$(BIN)/adviser-analytics lab --workspace $(WORKSPACE)

bench: $(STAMP)
	$(BIN)/python -m adviser_analytics.devtools.bench
	$(BIN)/python -m adviser_analytics.devtools.bench_lab

bench-reports: $(STAMP)
	$(BIN)/python -m adviser_analytics.devtools.bench_reports

bench-memory: $(STAMP)
	$(BIN)/python -m adviser_analytics.devtools.bench_memory

lint: $(STAMP)
	$(BIN)/ruff check adviser_analytics tests

samples: $(STAMP)
	$(BIN)/python -m adviser_analytics.samples --out data_samples

clean:
	rm -rf $(VENV) workspace/demo reports/demo
