# The two commands a newcomer needs: `make demo` and `make test`.
# Each creates .venv on first use and installs what it needs.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HASH := $(shell cat pyproject.toml | cksum | cut -d' ' -f1)
# What is installed, one stamp each: the core (all `make demo` needs), then the dev extra.
CORE := $(VENV)/.installed-core-$(HASH)
DEV := $(VENV)/.installed-dev-$(HASH)
# The fast engine's compiled cache, built once up front (numba keeps it in __pycache__).
WARM := $(VENV)/.warm-$(HASH)

.PHONY: demo test lint bench clean

$(CORE): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e .
	rm -f $(VENV)/.installed-core-*
	touch $@

$(DEV): $(CORE)
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	rm -f $(VENV)/.installed-dev-*
	touch $@

$(WARM): $(CORE) $(shell find src -name "*.py")
	@echo "Building the fast engine's compiled cache, once per machine (about 15 s when it must compile)"
	$(BIN)/alignsim warm
	rm -f $(VENV)/.warm-*
	touch $@

demo: $(WARM)
	$(BIN)/alignsim compare scenarios/default.toml

# The workshop page's browser test drives Debian's Chromium (browsers cannot be downloaded here).
CHROMIUM := /usr/bin/chromium

$(CHROMIUM):
	if [ "$$(id -u)" = 0 ]; then sudo=; else sudo=sudo; fi; \
	$$sudo apt-get update -qq && \
	$$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium

# $(WARM) first: the test workers then load the compiled engine instead of each compiling it.
test: $(DEV) $(WARM) $(CHROMIUM)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	# The layers of pyproject.toml's [tool.importlinter]: imports only point down.
	$(BIN)/lint-imports
	$(BIN)/python -m pytest -n 2 -q --nbmake tests notebooks

lint: $(DEV)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

bench: $(WARM)
	$(BIN)/python benchmarks/engines.py

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis .import_linter_cache .grimp_cache build src/*.egg-info
