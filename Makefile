# The two README commands: `make demo` and `make test`. Both install first.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
HARNESS := tests/e2e/harness
# where `make demo` also serves the web page (make demo WEB=0.0.0.0:8080 to show it on the LAN)
WEB ?= 127.0.0.1:8080

.PHONY: install demo test test-dates lint bench clean

install: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev]'
	@if ! command -v node >/dev/null 2>&1; then \
		echo "node not found: the Wechaty end-to-end tests will be skipped locally (and fail in CI)"; \
	elif [ ! -f $(HARNESS)/package-lock.json ]; then \
		echo "$(HARNESS)/package-lock.json missing: the Wechaty end-to-end tests will be skipped locally"; \
	else \
		echo "installing the puppet-server test harness (npm ci)"; \
		cd $(HARNESS) && npm ci --no-audit --no-fund --loglevel=error; \
	fi
	touch $(STAMP)

demo: install
	@# the demo's own database: bring one left by an older checkout up to date
	@$(BIN)/gridbot db upgrade --config examples/demo.yaml >/dev/null
	$(BIN)/gridbot shell --config examples/demo.yaml --web $(WEB)

test: install
	$(BIN)/pytest

# the tier that reads dates and times: ladder, calendar, digests, replay, the shell and the web CLI
DATE_TESTS := tests/test_ladder.py tests/test_worktime.py tests/test_digest.py tests/test_replay.py \
	tests/web/test_web_cli.py
test-dates: install
	$(BIN)/pytest $(DATE_TESTS)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports

bench: install
	$(BIN)/python bench/run_all.py

clean:
	rm -rf $(VENV) data .pytest_cache .mypy_cache .ruff_cache
