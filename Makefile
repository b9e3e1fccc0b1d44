# shopcare — the two commands a newcomer needs are `make demo` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PY     := $(BIN)/python
STAMP  := $(VENV)/.installed
DEMO_DB ?= instance/demo.sqlite
KEYWORDS := -k _ -k _l -k _sc -k ngettext:1,2 -k _scn:1,2

.PHONY: demo test test-sqlite lint format typecheck translations extract update-catalogs compile-catalogs bench clean

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

$(STAMP): $(PY) pyproject.toml
	$(PY) -m pip install --quiet -e '.[postgres,test,dev]'
	touch $(STAMP)

## make demo: create .venv, install, seed the SQLite demo shop once, serve it on :5000
demo: $(STAMP)
	@test -f $(DEMO_DB) || $(PY) -m shopcare.demo seed --database $(DEMO_DB)
	$(PY) -m shopcare.demo serve --database $(DEMO_DB) --host 127.0.0.1 --port 5000

## make test: the whole suite on SQLite, then on PostgreSQL when one is available
test: $(STAMP)
	$(PY) scripts/run_tests.py $(PYTEST_ARGS)

test-sqlite: $(STAMP)
	$(PY) -m pytest $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(STAMP)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

typecheck: $(STAMP)
	$(BIN)/mypy

## translations: extract the strings, merge them into the catalogs, compile them
translations: extract update-catalogs compile-catalogs

extract: $(STAMP)
	$(BIN)/pybabel -q extract -F babel.cfg $(KEYWORDS) --no-location --sort-output \
	  --project shopcare -o shopcare/translations/shopcare.pot .

update-catalogs: $(STAMP)
	$(BIN)/pybabel update -D shopcare -i shopcare/translations/shopcare.pot -d shopcare/translations --no-fuzzy-matching

compile-catalogs: $(STAMP)
	$(BIN)/pybabel compile -D shopcare -d shopcare/translations --statistics

bench: $(STAMP)
	$(PY) bench/run.py

clean:
	rm -rf $(VENV) build dist *.egg-info .pytest_cache .mypy_cache .ruff_cache
