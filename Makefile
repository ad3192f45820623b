# Two entry points: `make demo` and `make test`. Both build .venv from the lock file first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: demo test lint clean docs-pages bench

$(BIN)/wattprint: requirements.lock pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.lock
	$(BIN)/python -m pip install --quiet --no-deps -e .
	touch $@

demo: $(BIN)/wattprint
	$(BIN)/wattprint demo --out demo-output

test: $(BIN)/wattprint
	$(BIN)/python -m pytest -q -n 2 --dist loadfile

# PNG renders of the demo report's pages for docs/ (needs poppler's pdftoppm: apt-get install poppler-utils)
docs-pages: demo
	rm -f docs/report-pages/page-*.png
	mkdir -p docs/report-pages
	pdftoppm -r 64 -png demo-output/reports/2026-10/report.pdf docs/report-pages/page

# the README's performance table (about 10 minutes on 2 cores; figures printed, not asserted)
bench: $(BIN)/wattprint
	$(BIN)/python -m benchmarks.scale --gpus 10000 --days 1 --cadence-s 15
	$(BIN)/python -m benchmarks.scale --gpus 256 --cadence-s 60 --history-days 30
	$(BIN)/python -m benchmarks.fanout --gpus 4096 --buckets 1,2,4,8,16 --workers 1,2 --weak
	$(BIN)/python -m benchmarks.catalog --gpus 10000 --days 30
	$(BIN)/python -m benchmarks.readers --gpus 256 --hours 6 --cadence-s 5 --repeat 3
	$(BIN)/python -m benchmarks.report --models 50 --repeat 3

lint: $(BIN)/wattprint
	$(BIN)/ruff check pipeline tests

clean:
	rm -rf $(VENV) demo-output .pytest_cache
