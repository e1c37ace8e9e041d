# Two commands do all the set-up on a fresh machine: `make run` and `make test`.
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed-stamp
PYTEST_ARGS ?=

.PHONY: install run test test-fast lint bench clean vendor api-examples

$(STAMP): pyproject.toml
	python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev,desktop]'
	touch $(STAMP)

# axe-core (accessibility checks in the browser tests) is a test asset, fetched from the npm
# registry at its pinned version and checked; it is not shipped in the package.
AXE    := tests/browser/vendor/axe-core/axe.min.js
$(AXE): scripts/vendor_assets.toml | $(STAMP)
	$(PY) scripts/vendor_assets.py --use test
	touch $(AXE)

install: $(STAMP) $(AXE)

## Re-fetch every pinned front-end asset from the npm registry (after editing
## scripts/vendor_assets.toml) and check each against its sha256
vendor: install
	$(PY) scripts/vendor_assets.py

## Every service in one process on SQLite and the in-process bus, at http://127.0.0.1:8000
run: install
	$(VENV)/bin/overpush run

## The whole test suite; PostgreSQL/RabbitMQ tests skip with a reason when those are down
## (and fail instead under CI=true).
test: install
	$(PY) -m pytest $(PYTEST_ARGS)

## The quick subset, for every change: the unit and contract layers on both backends, without
## the tests marked slow or browser (see "Tests" in README.md).
test-fast: install
	$(PY) -m pytest -m "not slow and not browser" tests/unit tests/contract $(PYTEST_ARGS)

## Record the API reference's examples again from real calls (after changing an answer):
## services/api/reference/examples.json, checked by tests/services/test_openapi_calls.py.
api-examples: install
	OVERPUSH_RECORD_EXAMPLES=1 $(PY) -m pytest -q -p no:cacheprovider \
		"tests/services/test_openapi_calls.py::test_every_operation_is_called_and_answers_as_documented[single]"

lint: install
	$(VENV)/bin/ruff check shared services clients testkit tests bench scripts
	$(VENV)/bin/mypy

## Throughput, latency and memory figures (see bench/README.md)
bench: install
	$(PY) -m bench

clean:
	rm -rf $(VENV) var .pytest_cache
