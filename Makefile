# buildah-py: `make demo` then `make test` on a fresh machine.
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
PIP    := $(VENV)/bin/pip
# Tests run in parallel: each test keeps its own store, so they never share state.
PYTEST_ARGS ?= -n 2 --dist loadfile

.PHONY: all demo test soak lint typecheck bench docs clean system-deps

all: demo

# The editable install is a plain path in a .pth file (pyproject.toml's package-dir says
# why), not an import hook that would cost every start of the command a few milliseconds.
$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PIP) install -q --upgrade pip
	$(PIP) install -q -e '.[test]'
	touch $@

venv: $(VENV)/.installed

# Debian packages the runtime and the tests use (needs root; CI runs it through .ci/run).
system-deps:
	./scripts/install-system-deps

demo: system-deps $(VENV)/.installed
	$(PY) examples/buildscripts/run_demo.py

test: system-deps $(VENV)/.installed
	$(PY) -m pytest $(PYTEST_ARGS) tests

# The soak tests at length: 50 builds and 50 API containers in a row leave nothing behind.
soak: system-deps $(VENV)/.installed
	BUILDAH_PY_SOAK_N=50 $(PY) -m pytest -q tests/soak

lint: $(VENV)/.installed
	$(VENV)/bin/ruff check buildah_py dockerfile_parser tests examples bench
	$(VENV)/bin/ruff format --check buildah_py dockerfile_parser tests examples bench
	$(VENV)/bin/mypy buildah_py dockerfile_parser
	$(VENV)/bin/mypy --strict examples/buildscripts

typecheck: lint

# The HTML reference of the Python API, from its docstrings, into build/docs/ (not checked in).
# Fails naming each pdoc warning, missing docstring or parameter entry, or broken reference.
docs: $(VENV)/.installed
	$(PY) scripts/api_reference.py build/docs

# buildah-py beside buildah and skopeo, written to docs/benchmarks.md (as root; takes a while).
# BENCH_ARGS=--quick: a small scale to check every case; --micro adds the focused scripts.
BENCH_ARGS ?=
bench: $(VENV)/.installed
	$(PY) bench/run_all.py $(BENCH_ARGS)

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
