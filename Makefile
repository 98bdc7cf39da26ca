# The two promises of the README: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
UV := $(VENV)/bin/uv
BIN := $(VENV)/bin

.PHONY: install install-dev run test lint format bench bench-quick lock clean

$(UV):
	@$(PYTHON) -c 'import sys; sys.exit(not (3, 11) <= sys.version_info[:2] < (3, 14))' || \
		{ echo "Signflow needs Python 3.11 to 3.13 as $(PYTHON) (make PYTHON=python3.12 ...)"; exit 1; }
	@$(PYTHON) -m venv $(VENV) || \
		{ echo "$(PYTHON) lacks venv: apt-get install python3-venv"; rm -rf $(VENV); exit 1; }
	$(BIN)/pip install --quiet --disable-pip-version-check "uv>=0.5,<1"

install: $(UV)
	$(UV) sync --frozen --inexact --no-dev --quiet

install-dev: $(UV)
	$(UV) sync --frozen --inexact --quiet

run: install
	$(BIN)/signflow serve

# scripts/test-prerequisites installs the system tools the tests need (as root with
# apt-get; axe-core with npm) or stops here, naming each missing one and its command.
test: install-dev
	scripts/test-prerequisites
	$(BIN)/pytest $(PYTEST_ARGS)

lint: install-dev
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/mypy

format: install-dev
	$(BIN)/ruff format src tests bench
	$(BIN)/ruff check --fix src tests bench

bench: install-dev
	$(BIN)/python -m bench

bench-quick: install-dev
	$(BIN)/python -m bench --quick

lock: $(UV)
	$(UV) lock

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache

# The gettext catalogs (docs/web.md, "Languages"): extract the texts, merge them into
# every language's .po, then list what is not translated yet (fails if anything is).
.PHONY: i18n
i18n: install-dev
	$(BIN)/python scripts/i18n extract
	$(BIN)/python scripts/i18n update
	$(BIN)/python scripts/i18n compile
