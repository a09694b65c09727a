# Outlet Hub — the two commands a fresh machine needs are `make demo` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
STAMP := $(VENV)/.installed
# Debian packages the tests drive for real: broker, promtool, browser, image tools.
APT_PACKAGES := mosquitto prometheus chromium nodejs iproute2

# The project's own wheel (pure Python), built once: every wheelhouse (amd64, arm64, HQ,
# provisioning's) and the hub binary's venv install this file. Each `pip wheel .` is an isolated
# setuptools build (tens of seconds); `make test` from a fresh clone used to run six of them.
# Rebuilt when anything that goes into it changes. (Defined before mk/*.mk, which use it.)
HUB_WHEEL_DIR := build/hub-wheel
HUB_WHEEL_STAMP := $(HUB_WHEEL_DIR)/.built
HUB_WHEEL_SOURCES := pyproject.toml README.md LICENSE $(shell find hub central outlet_protocol ui -type f \
	-not -path '*/__pycache__/*' -not -path 'ui/tests/*' 2>/dev/null)
# The wheel's path, for recipes (after $(HUB_WHEEL_STAMP) is made).
HUB_WHEEL = $$(ls $(CURDIR)/$(HUB_WHEEL_DIR)/outlet_hub-*.whl)

# Each area adds its own targets in mk/<area>.mk: `EXTRA_TESTS += test-x`, `APT_PACKAGES += pkg`;
# `TEST_BACKGROUND += x` for untimed work `make test` starts in the background before lint.
EXTRA_TESTS :=
TEST_BACKGROUND :=
.DEFAULT_GOAL := venv
-include mk/*.mk

.PHONY: venv deps demo test test-py test-ui lint clean

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip
	$(PIP) install --quiet -e '.[test,central]'
	touch $(STAMP)

venv: $(STAMP)

$(HUB_WHEEL_STAMP): $(STAMP) $(HUB_WHEEL_SOURCES)
	rm -rf $(HUB_WHEEL_DIR)
	$(PIP) wheel --quiet --no-deps --wheel-dir $(HUB_WHEEL_DIR) .
	touch $@

.PHONY: hub-wheel
hub-wheel: $(HUB_WHEEL_STAMP)

# Installs the system packages the suite uses, only when one is missing.
deps: venv
	@bash scripts/ensure-apt.sh $(APT_PACKAGES)

demo: venv
	$(PY) -m scripts.demo

lint: venv
	$(VENV)/bin/ruff check outlet_protocol hub central tests bench scripts
	$(VENV)/bin/mypy

# Most tests wait on real processes (hub, central, broker, Chromium), not on the CPU: several
# workers overlap the waiting. A file stays on one worker (module-scoped processes); files go
# out in collection order, the longest first (tests/conftest.py LONGEST_FILES); the 25 slowest
# tests are printed at the end, so each CI log says whether that list is still right.
PYTEST_WORKERS ?= 4
test-py: deps
	$(VENV)/bin/pytest -q -n $(PYTEST_WORKERS) --dist loadfile --no-loadscope-reorder --durations=25

test-ui:
	@if ls ui/tests/*.test.mjs >/dev/null 2>&1; then node --test ui/tests/; fi

test: deps $(TEST_BACKGROUND) lint test-ui test-py $(EXTRA_TESTS)
	@echo "make test: all tiers passed"

clean:
	rm -rf $(VENV) var build dist *.egg-info
