# The two set-up commands (README): `make demo` runs the main job, `make test` runs the whole test suite.
# Both create .venv and install the project on first use.
VENV ?= .venv
export HF_HUB_OFFLINE=1
export TRANSFORMERS_OFFLINE=1
export ANONYMIZED_TELEMETRY=False
export HF_HUB_DISABLE_PROGRESS_BARS=1

.PHONY: install demo test lint bench
install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	bash scripts/install.sh $(VENV)
	touch $@

# make demo ARGS="--port 3100 --ui-port 3101" when the default ports are taken.
demo: install
	$(VENV)/bin/rapport demo $(ARGS)

test: install
	bash scripts/test.sh $(VENV)

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy
	$(VENV)/bin/lint-imports
