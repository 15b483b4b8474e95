# Every target bootstraps its own virtual environment from the pinned requirements.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
REGION ?= us-east-1
export SAM_CLI_TELEMETRY := 0
export AWS_DEFAULT_REGION ?= $(REGION)
# sam build runs pip for python3.11; the venv's comes first on PATH.
export PATH := $(CURDIR)/$(BIN):$(PATH)

# functions/ appears with the first handler; wildcard keeps the tools from failing on a missing folder.
PY_SOURCES := $(wildcard localcloud layers/common/domain_steward domain_steward_cli functions lifecycle benchmarks demo tests)

.PHONY: help venv lint typecheck validate build test pytest bench demo lock clean

help:
	@echo "make demo     the whole story (onboarding, auto-stop, offboarding, teardown) on the local cloud, no AWS account"
	@echo "make test     lint, type-check, validate and build the template, run every test"
	@echo "make build    sam build (Python 3.11, no container)"
	@echo "make bench    benchmarks on the local cloud: teardown (-> benchmarks/results.json), auto-stop, onboarding (-> .bench/);"
	@echo "              BENCH_SCALE=smoke: each at its smallest size (-> .bench/smoke/)"
	@echo "make lock     re-resolve requirements/dev.in into requirements/dev.txt"
	@echo "make clean    remove build output and caches"

venv: $(STAMP)

# Then this project itself, editable and without re-resolving: the `domain-steward` command.
$(STAMP): requirements/dev.txt pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --upgrade "pip==26.3"
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements/dev.txt
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps -e .
	touch $@

lint: $(STAMP)
	$(BIN)/ruff check $(PY_SOURCES)
	$(BIN)/ruff format --check $(PY_SOURCES)

typecheck: $(STAMP)
	$(BIN)/mypy localcloud layers/common/domain_steward domain_steward_cli lifecycle benchmarks demo tests
	@for dir in functions/*/; do \
		[ -f "$$dir/app.py" ] || continue; \
		echo "mypy $$dir"; \
		MYPYPATH=layers/common $(BIN)/mypy "$$dir"*.py || exit 1; \
	done

validate: $(STAMP)
	$(BIN)/sam validate --lint --region $(REGION)

build: $(STAMP)
	$(BIN)/sam build

pytest: $(STAMP)
	$(BIN)/pytest -n 2 --dist loadfile

test: lint typecheck validate build pytest

# Virtual time on the local cloud: figures are ratios to the critical path, not wall-clock seconds.
# BENCH_SCALE=smoke (from the environment or the command line) runs each benchmark at its smallest size into
# .bench/smoke/, in well under a minute: the README test runs `make bench` that way.
BENCH_SCALE ?= full
ifeq ($(BENCH_SCALE),smoke)
BENCH_TEARDOWN_ARGS := --sizes 10 --output .bench/smoke/teardown.json
BENCH_AUTOSTOP_ARGS := --profiles 20 --output .bench/smoke/autostop.json
BENCH_ONBOARDING_ARGS := --members 20 --output .bench/smoke/onboarding.json
else ifneq ($(BENCH_SCALE),full)
$(error BENCH_SCALE must be full or smoke, not $(BENCH_SCALE))
endif

bench: $(STAMP)
	@mkdir -p .bench/smoke
	$(BIN)/python -m benchmarks.teardown $(BENCH_TEARDOWN_ARGS)
	$(BIN)/python -m benchmarks.autostop $(BENCH_AUTOSTOP_ARGS)
	$(BIN)/python -m benchmarks.onboarding $(BENCH_ONBOARDING_ARGS)

# The deployed template on the local cloud, every step checked; under a minute of real time.
demo: $(STAMP)
	$(BIN)/python -m demo

lock:
	$(PYTHON) -m venv .venv-lock
	.venv-lock/bin/python -m pip install --quiet -r requirements/dev.in
	.venv-lock/bin/python -m pip freeze --all --exclude pip --exclude setuptools --exclude wheel | sort -f > requirements/dev.txt
	rm -rf .venv-lock

clean:
	rm -rf .aws-sam .pytest_cache .mypy_cache .ruff_cache .bench benchmarks/results.json *.egg-info
