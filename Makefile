# One entry point per job; CI calls these verbatim.
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: install run test check fmt bench bench-store

$(STAMP): pyproject.toml
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e ".[all]" --group dev
	sh scripts/install_pgvector.sh
	touch $(STAMP)

install: $(STAMP)

run: $(STAMP)
	$(PY) examples/approval.py

test: $(STAMP)
	$(PY) -m pytest

check: $(STAMP)
	$(VENV)/bin/ruff format --check src tests
	$(VENV)/bin/ruff check src tests
	$(VENV)/bin/mypy
	$(PY) scripts/unasync.py --check

fmt: $(STAMP)
	$(VENV)/bin/ruff format src tests
	$(VENV)/bin/ruff check --fix src tests

bench: $(STAMP)
	$(PY) benchmarks/compare.py

bench-store: $(STAMP)
	$(PY) benchmarks/store.py
