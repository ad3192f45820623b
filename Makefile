# Two entry points: `make demo` and `make test`. Both build .venv from the lock file first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: demo test lint clean

$(BIN)/wattprint: requirements.lock pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.lock
	$(BIN)/python -m pip install --quiet --no-deps -e .
	touch $@

demo: $(BIN)/wattprint
	$(BIN)/wattprint demo --out demo-output

test: $(BIN)/wattprint
	$(BIN)/python -m pytest -q

lint: $(BIN)/wattprint
	$(BIN)/ruff check pipeline tests

clean:
	rm -rf $(VENV) demo-output .pytest_cache
