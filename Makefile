# Two commands: `make run` and `make test`. Both set everything up on a fresh machine with Python 3.11 and make.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
KCL_STAMP := $(VENV)/.kclpy-installed
CACHE := .cache

.PHONY: run test setup lint unit clean help soak claude-code

help:
	@echo "make run   - start the embedded emulator, deploy, stream telemetry, consume with the real KCL (Ctrl-C to stop)"
	@echo "make test  - set up, lint (ruff, mypy, cfn-lint, checkov) and run every test"

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

$(KCL_STAMP): $(STAMP) scripts/install_kclpy.py
	$(PY) scripts/install_kclpy.py --cache $(CACHE)/kcl
	touch $(KCL_STAMP)

# checkov pins old boto3/botocore, so it lives in its own tool venv and never constrains the product's deps.
TOOLS := $(VENV)/tools
TOOLS_STAMP := $(TOOLS)/.installed
$(TOOLS_STAMP): $(STAMP)
	$(PY) -m venv $(TOOLS)
	$(TOOLS)/bin/python -m pip install --quiet --upgrade pip
	$(TOOLS)/bin/python -m pip install --quiet 'checkov>=3.2,<4'
	touch $(TOOLS_STAMP)

# The real Claude Code CLI for tests/realcli (npm, pinned with integrity hashes in scripts/claude-code/package-lock.json).
CLAUDE_CODE_STAMP := $(CACHE)/claude-code/.installed
$(CLAUDE_CODE_STAMP): scripts/claude-code/package-lock.json scripts/install_claude_code.py
	$(PYTHON) scripts/install_claude_code.py --cache $(CACHE)/claude-code
	touch $(CLAUDE_CODE_STAMP)

claude-code: $(CLAUDE_CODE_STAMP)

setup: $(STAMP) $(KCL_STAMP) $(TOOLS_STAMP) $(CLAUDE_CODE_STAMP)

lint: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy
	$(VENV)/bin/cfn-lint infra/*.yaml
	$(TOOLS)/bin/checkov --quiet --compact --framework cloudformation -d infra

run: setup
	$(VENV)/bin/ccstream up

test: setup lint
	$(VENV)/bin/pytest

# 30 minutes of 10,000-user traffic on the embedded stack, memory and lag sampled every minute (not in CI).
soak: setup
	$(PY) -m benchmarks.soak --users 10000 --minutes 30

clean:
	rm -rf $(VENV) $(CACHE) .pytest_cache .ruff_cache
