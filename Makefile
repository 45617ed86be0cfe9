# Two commands do all the set-up on a fresh machine (Python 3.11+, pip only):
#   make report   -> .venv, install, the sample monthly report under reports/
#   make test     -> .venv, install, the whole test suite (pytest, doctests, nbval, end-to-end report)
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: venv report test clean

venv: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[test]"
	touch $(STAMP)

report: venv
	$(BIN)/csm-kit report --data data/sample --out reports

test: venv
	$(BIN)/python -m pytest tests csm_kit
	$(BIN)/python -m pytest --nbval-lax --nbval-current-env notebooks

clean:
	rm -rf $(VENV) reports/[0-9]* reports/.failed .pytest_cache
