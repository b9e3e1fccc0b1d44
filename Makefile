# shopcare — the two commands a newcomer needs are `make demo` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PY     := $(BIN)/python
STAMP  := $(VENV)/.installed
DEMO_DB ?= instance/demo.sqlite
PORT ?= 5000
KEYWORDS := -k _ -k _l -k _sc -k ngettext:1,2 -k _scn:1,2

.PHONY: audit demo-translations demo lock upgrade-lock test-lowest test test-sqlite lint format typecheck translations extract update-catalogs compile-catalogs bench clean

UV_VERSION := 0.13.9
UV     := $(BIN)/uv
LOCK   := requirements.lock
EXTRAS := --extra postgres --extra test --extra dev



$(PY):
	$(PYTHON) -m venv $(VENV)

$(UV): $(PY)
	$(PY) -m pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)

# Everything installs from the lock: a fresh machine gets the versions the suite passed with.
$(STAMP): $(UV) $(LOCK) pyproject.toml
	$(UV) pip sync --quiet --python $(PY) $(LOCK)
	$(UV) pip install --quiet --python $(PY) --no-deps -e .
	touch $(STAMP)

## make lock: bring the lock in line with pyproject.toml, keeping every pin that still fits
lock: $(UV)
	$(UV) pip compile --quiet --python-version 3.11 $(EXTRAS) pyproject.toml -o $(LOCK)

## make upgrade-lock: re-resolve every dependency to the newest allowed version
upgrade-lock: $(UV)
	$(UV) pip compile --quiet --python-version 3.11 $(EXTRAS) --upgrade pyproject.toml -o $(LOCK)

## make test-lowest: the suite once with shopcare's runtime dependencies at the lowest versions
## pyproject.toml allows (the test tools and everything else from the lock), on SQLite and PostgreSQL
test-lowest: $(UV)
	rm -rf .venv-lowest
	$(UV) venv --quiet --python $(PY) .venv-lowest
	$(PY) scripts/lowest_constraints.py > .venv-lowest/constraints.txt
	$(UV) pip install --quiet --python .venv-lowest/bin/python --resolution lowest-direct \
	  --constraint .venv-lowest/constraints.txt -e '.[postgres,test,dev]'
	$(UV) pip freeze --python .venv-lowest/bin/python | grep -iE '^(flask|sqlalchemy|werkzeug|babel|alembic|psycopg)[=-]'
	.venv-lowest/bin/python scripts/run_tests.py -q -p no:cacheprovider $(PYTEST_ARGS)

## make audit: bandit over shopcare's code, pip-audit over the lock's pinned versions
audit: $(STAMP)
	$(BIN)/bandit -q -c pyproject.toml -r shopcare
	$(BIN)/pip-audit -r $(LOCK) --no-deps --disable-pip --progress-spinner off

## make demo: create .venv, install, seed the SQLite demo shop once, serve it on :5000 (make demo PORT=8000)
demo: $(STAMP)
	@test -f $(DEMO_DB) || $(PY) -m shopcare.demo seed --database $(DEMO_DB)
	$(PY) -m shopcare.demo serve --database $(DEMO_DB) --host 127.0.0.1 --port $(PORT)

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

## demo-translations: the same for the demo shop's own strings (shopcare/demo/translations)
DEMO_KEYWORDS := -k _ -k _l -k N_ -k ngettext:1,2
demo-translations: $(STAMP)
	$(BIN)/pybabel -q extract -F shopcare/demo/babel.cfg $(DEMO_KEYWORDS) --no-default-keywords \
	  --no-location --sort-output --project casa-verde -o shopcare/demo/translations/messages.pot .
	$(BIN)/pybabel update -i shopcare/demo/translations/messages.pot -d shopcare/demo/translations --no-fuzzy-matching
	$(BIN)/pybabel compile -d shopcare/demo/translations --statistics

bench: $(STAMP)
	$(PY) bench/run.py

clean:
	rm -rf $(VENV) build dist *.egg-info .pytest_cache .mypy_cache .ruff_cache
