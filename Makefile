# Partner Hub: `make run` starts the embedded demo, `make test` runs the whole suite,
# `make bench` every benchmark (docs/performance.md).
SHELL := /bin/bash
PORT ?= 8000
VENV := .venv
PY := $(VENV)/bin/python

# The first Python 3.12+ found: $PYTHON, then python3 (pyenv honours .python-version),
# then versioned names, then pyenv's install folder.
FIND_PYTHON := for p in $${PYTHON:-} python3 python3.14 python3.13 python3.12 $$HOME/.pyenv/versions/3.1[2-9]*/bin/python3; do \
	command -v "$$p" >/dev/null 2>&1 && "$$p" -c 'import sys; sys.exit(sys.version_info < (3, 12))' 2>/dev/null && { echo "$$p"; break; }; \
done

.PHONY: run test bench lint format venv install install-dev migrate demo clean

venv: $(VENV)/.python-ok

$(VENV)/.python-ok:
	@if [ -x $(PY) ] && ! $(PY) -c 'import sys; sys.exit(sys.version_info < (3, 12))' 2>/dev/null; then \
		echo "Removing $(VENV): it was made with a Python older than 3.12"; rm -rf $(VENV); fi
	@if [ ! -x $(PY) ]; then \
		python=$$($(FIND_PYTHON)); \
		if [ -z "$$python" ]; then \
			echo "Partner Hub needs Python 3.12 or newer and none was found." >&2; \
			echo "Install one (e.g. 'pyenv install 3.12') or point PYTHON at it: make PYTHON=/path/to/python3.12 run" >&2; \
			exit 1; fi; \
		echo "Creating $(VENV) with $$python ($$($$python --version))"; \
		$$python -m venv $(VENV); \
	fi
	@touch $@

$(VENV)/.installed: pyproject.toml $(VENV)/.python-ok
	$(PY) -m pip install --quiet --disable-pip-version-check -e .
	@touch $@

$(VENV)/.installed-dev: pyproject.toml $(VENV)/.python-ok
	$(PY) -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	@touch $@ $(VENV)/.installed

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

# The embedded default: SQLite, in-process tasks, the partner simulator, demo data.
run: export DEBUG ?= true
run: $(VENV)/.installed
	$(PY) manage.py migrate --noinput
	$(PY) manage.py seed_demo
	@# The admin login is printed last, under the server's banner (and kept in var/).
	$(PY) manage.py serve 127.0.0.1:$(PORT) --admin-login

test: $(VENV)/.installed-dev
	$(VENV)/bin/ruff check .
	$(VENV)/bin/pytest $(PYTEST_ARGS)

# Every benchmark, then a summary of its ratios: a missed target prints MISSED and does
# not fail the target; a benchmark that cannot run does. Needs PostgreSQL, Redis,
# redis-server and wrk (docs/performance.md). BENCH=name runs one.
bench: $(VENV)/.installed-dev
	$(PY) benchmarks/run.py $(BENCH)

lint: $(VENV)/.installed-dev
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: $(VENV)/.installed-dev
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
