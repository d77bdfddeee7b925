# Quiver: two commands on a fresh machine —
#   make demo   set everything up and run the quickstart against a local server
#   make test   set everything up and run every Go and Python test
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
GO ?= go
BIN := bin/quiver
PROTOC_GEN_GO_VERSION := v1.36.12
GO_SOURCES := $(shell find . -name '*.go' -not -path './.venv/*' 2>/dev/null) go.mod go.sum

.PHONY: all setup build demo test test-go test-python proto bench compat compat-status clean

all: build

# The virtualenv is rebuilt only when the requirement list or the package metadata changes.
$(VENV)/.stamp: python/requirements-dev.txt python/pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r python/requirements-dev.txt
	$(PY) -m pip install --quiet --no-deps -e python
	@touch $@

setup: $(VENV)/.stamp
	@$(GO) mod download

$(BIN): $(GO_SOURCES)
	@mkdir -p bin
	$(GO) build -o $(BIN) ./cmd/quiver

build: $(BIN)

demo: setup build
	$(PY) examples/quickstart.py

test: setup build test-go test-python

test-go:
	$(GO) vet ./...
	$(GO) test -count=1 ./...

test-python: $(VENV)/.stamp $(BIN)
	$(PY) -m pytest python/tests -q

# Regenerates Go and Python code from proto/ with pinned generators (protoc from grpcio-tools).
proto: $(VENV)/.stamp
	GOBIN=$(CURDIR)/.bin $(GO) install google.golang.org/protobuf/cmd/protoc-gen-go@$(PROTOC_GEN_GO_VERSION)
	PATH=$(CURDIR)/.bin:$$PATH $(PY) -m grpc_tools.protoc -Iproto \
		--go_out=. --go_opt=module=github.com/quiverdata/quiver \
		--python_out=python --pyi_out=python proto/quiver/v1/*.proto

bench: setup build
	$(PY) bench/transfer.py
	$(PY) bench/tpch_df.py
	$(PY) bench/tpch_sql.py
	$(PY) bench/udf.py
	$(PY) bench/window.py

# The differential suite (python/tests/compat): records real PySpark's answers (local mode, Java 17,
# its own venv) under python/tests/compat/expected/ and compares Quiver with them. Slow (a JVM), so
# not part of `make test`, which runs only the Quiver half against the stored answers.
# `make compat-status` rewrites status.json (which programs pass on Quiver) after a feature lands.
COMPAT_VENV := .venv-compat
$(COMPAT_VENV)/.stamp: python/tests/compat/requirements.txt
	@test -x $(COMPAT_VENV)/bin/python || $(PYTHON) -m venv $(COMPAT_VENV)
	$(COMPAT_VENV)/bin/python -m pip install --quiet -r python/tests/compat/requirements.txt
	@touch $@

compat: setup build $(COMPAT_VENV)/.stamp
	$(COMPAT_VENV)/bin/python python/tests/compat/run_compat.py --engine pyspark --write-expected
	$(PY) python/tests/compat/run_compat.py --engine quiver

compat-status: setup build
	$(PY) python/tests/compat/run_compat.py --engine quiver --update-status

clean:
	rm -rf bin .bin
