# The two commands a newcomer needs: `make demo` and `make test`.
# Each creates .venv on first use and installs what it needs.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml | cksum | cut -d' ' -f1)

.PHONY: demo test lint bench clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	rm -f $(VENV)/.installed-*
	touch $@

demo: $(STAMP)
	$(BIN)/alignsim compare scenarios/default.toml

# The workshop page's browser test drives Debian's Chromium (browsers cannot be downloaded here).
CHROMIUM := /usr/bin/chromium

$(CHROMIUM):
	if [ "$$(id -u)" = 0 ]; then sudo=; else sudo=sudo; fi; \
	$$sudo apt-get update -qq && \
	$$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium

test: $(STAMP) $(CHROMIUM)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	# The layers of pyproject.toml's [tool.importlinter]: imports only point down.
	$(BIN)/lint-imports
	# Compile the fast engine once, before the test workers would each compile it.
	$(BIN)/python -c "import alignsim; alignsim.simulate(alignsim.load('scenarios/validation/erlang-a.toml'), horizon=1.0)"
	$(BIN)/python -m pytest -n 2 -q --nbmake tests notebooks

lint: $(STAMP)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

bench: $(STAMP)
	$(BIN)/python benchmarks/engines.py

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis .import_linter_cache .grimp_cache build src/*.egg-info
