# Quick start: `make run` (the main job) and `make test` (the import-layer contract, then the tests). Both create .venv and install what they need.
PY ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test bench clean

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PY) -m venv $(VENV) || python3 -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[test]"
	@touch $(STAMP)

# the tests also run the hybrid coder's optional fine-tuned encoder (torch, CPU build; tests/test_events_encoder.py)
ENC_STAMP := $(VENV)/.installed-encoder
$(ENC_STAMP): $(STAMP)
	$(BIN)/python -m pip install --quiet -e ".[test,encoder]"
	@touch $(ENC_STAMP)

run: $(STAMP)
	$(BIN)/pactwatch main

test: $(ENC_STAMP)
	$(BIN)/lint-imports
	$(BIN)/python -m pytest -q

bench: $(STAMP)
	$(BIN)/python bench/run.py

clean:
	rm -rf $(VENV) .pytest_cache
