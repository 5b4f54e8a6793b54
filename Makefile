# One entry point per job; CI calls these verbatim.
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
# root installs system packages directly; anyone else through sudo
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: install run demo test check fmt bench bench-store bench-server

$(STAMP): pyproject.toml tests/server/js/package-lock.json
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e ".[all]" --group dev
	# an editable install writes no bytecode; compile it once so imports stay fast
	# even where PYTHONDONTWRITEBYTECODE is set
	$(PY) -m compileall -q src >/dev/null
	# the Studio's browser tests drive Debian's chromium
	command -v chromium >/dev/null || ($(SUDO) apt-get update && $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y chromium)
	# pgvector for the PostgreSQL store's vector tests (built from source when no package exists)
	sh scripts/install_pgvector.sh
	# the JS SDK tests (tests/server/test_js_sdk.py) run @langchain/langgraph-sdk in node
	command -v npm >/dev/null || ($(SUDO) apt-get update && $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y nodejs npm)
	npm ci --prefix tests/server/js --no-audit --no-fund
	touch $(STAMP)

install: $(STAMP)

# The server with the example graph: prints the API and Studio URLs.
run: $(STAMP)
	$(VENV)/bin/stategraph dev --config examples/server/langgraph.json

# The approval demo as a plain script (human-in-the-loop, no server).
demo: $(STAMP)
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
	$(PY) -m compileall -q src >/dev/null
	$(PY) benchmarks/compare.py

bench-store: $(STAMP)
	$(PY) benchmarks/store.py

# Our server against `langgraph dev` (same graph, client and run); LangGraph's
# server goes in a scratch virtualenv of its own, never in $(VENV).
LGDEV ?= .bench/lgdev
$(LGDEV)/bin/langgraph:
	python3 -m venv $(LGDEV)
	$(LGDEV)/bin/python -m pip install -q "langgraph-cli[inmem]" "langgraph==1.2.24"

bench-server: $(STAMP) $(LGDEV)/bin/langgraph
	$(PY) benchmarks/server.py --langgraph-venv $(LGDEV)
