# The two README commands: `make demo` and `make test`. Both install first (`make test` also the
# Node gateway, which the Wechaty end-to-end tests start with their mock puppet; the demo does not need it).
# `make gateway` starts the gateway an office runs (gateway/README.md).
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
GATEWAY := gateway
GATEWAY_STAMP := $(GATEWAY)/node_modules/.installed
# where `make demo` also serves the web page (make demo WEB=0.0.0.0:8080 to show it on the LAN)
WEB ?= 127.0.0.1:8080
# the demo's database (examples/demo.yaml's data_dir); `make demo` starts it afresh unless KEEP=1
DEMO_DIR ?= data/demo
KEEP ?=

.PHONY: install install-gateway gateway demo reset-demo test test-dates lint bench clean

install: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev]'
	@# bytecode for the project's own modules, as a wheel install has: a service user that cannot write
	@# here (or PYTHONDONTWRITEBYTECODE) would otherwise compile ~170 modules at every start
	$(BIN)/python -m compileall -q bot handlers nlp storage web
	touch $(STAMP)

# the Wechaty gateway (npm ci in gateway/): what an office runs, and what the end-to-end tests start
install-gateway: $(GATEWAY_STAMP)

$(GATEWAY_STAMP): $(GATEWAY)/package.json $(wildcard $(GATEWAY)/package-lock.json)
	@if ! command -v node >/dev/null 2>&1; then \
		echo "node not found: the gateway cannot run, and the Wechaty end-to-end tests will be skipped locally (and fail in CI)"; \
	elif [ ! -f $(GATEWAY)/package-lock.json ]; then \
		echo "$(GATEWAY)/package-lock.json missing: the Wechaty end-to-end tests will be skipped locally"; \
	else \
		echo "installing the Wechaty gateway (npm ci in $(GATEWAY))"; \
		cd $(GATEWAY) && npm ci --no-audit --no-fund --loglevel=error && touch node_modules/.installed; \
	fi

# the gateway in the foreground: WECHATY_PUPPET (wechaty-puppet-wechat4u by default), WECHATY_TOKEN (insecure_…),
# GATEWAY_LISTEN (127.0.0.1:8788 by default) from the environment
gateway: install-gateway
	cd $(GATEWAY) && exec node gateway.js

# the old demo database (with its WAL and shared-memory files, renamed alike so SQLite pairs them)
# becomes gridbot.db.bak, replacing an older backup; the next start creates a fresh one
reset-demo:
	@if [ -f $(DEMO_DIR)/gridbot.db ]; then \
		rm -f $(DEMO_DIR)/gridbot.db.bak $(DEMO_DIR)/gridbot.db.bak-wal $(DEMO_DIR)/gridbot.db.bak-shm; \
		for ext in "" -wal -shm; do \
			if [ -f $(DEMO_DIR)/gridbot.db$$ext ]; then mv $(DEMO_DIR)/gridbot.db$$ext $(DEMO_DIR)/gridbot.db.bak$$ext; fi; \
		done; \
		echo "demo: a fresh database; the previous one is $(DEMO_DIR)/gridbot.db.bak (make demo KEEP=1 keeps it)" >&2; \
	fi

demo: install $(if $(KEEP),,reset-demo)
	@# KEEP=1: the demo's own database as it was; bring one left by an older checkout up to date
	@$(BIN)/gridbot db upgrade --config examples/demo.yaml >/dev/null
	$(BIN)/gridbot shell --config examples/demo.yaml --web $(WEB)

# three workers on two cores: much of the suite waits on a peer (a bot process, PostgreSQL, the gateway,
# Chromium); a file stays on one worker, so its module fixtures are made once (TEST_JOBS=0: one process)
TEST_JOBS ?= 3
PYTEST_JOBS = $(if $(filter 0,$(TEST_JOBS)),,-n $(TEST_JOBS) --dist loadfile)

test: install install-gateway
	$(BIN)/pytest $(PYTEST_JOBS)

# the tier that reads dates and times: ladder, calendar, digests, replay, the shell and the web CLI
DATE_TESTS := tests/test_ladder.py tests/test_worktime.py tests/test_digest.py tests/test_replay.py \
	tests/web/test_web_cli.py
test-dates: install
	$(BIN)/pytest $(PYTEST_JOBS) $(DATE_TESTS)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports

bench: install
	$(BIN)/python bench/run_all.py

clean:
	rm -rf $(VENV) data .pytest_cache .mypy_cache .ruff_cache
