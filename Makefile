# Two commands do all the set-up on a fresh machine (Python 3.11+, pip only):
#   make report   -> .venv, install, the monthly report for the latest complete month of data/sample
#   make test     -> .venv, install, the whole test suite (pytest, doctests, nbval, end-to-end report)
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: venv report test browser services clean

venv: $(STAMP)

# The stamp makes a second `make` instant; editing pyproject.toml reinstalls.
$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || \
	  { echo "csm-kit needs Python 3.11 or newer; try: make PYTHON=python3.11 $(MAKECMDGOALS)"; exit 1; }
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet -e ".[test,spark]"
	touch $(STAMP)

report: venv
	$(BIN)/csm-kit report --data data/sample --out reports

# The browser check (tests/test_report_browser.py) and report.pdf use Debian's headless Chromium; the PDF
# test reads report.pdf back with poppler's pdfinfo/pdftoppm. CI runs as root on Debian, so apt-get
# installs them when missing. Under `make test` these checks must run, and so do the full reports
# (every segment of the sample, a second simulated company: tests/test_report_full.py).
CHROMIUM := /usr/bin/chromium
APT_LOG  := /tmp/csm-kit-apt-chromium.log

browser:
	@{ test -x $(CHROMIUM) && test -x /usr/bin/pdfinfo; } || { \
	  echo "Installing Debian's chromium and poppler-utils for the browser and PDF checks (log: $(APT_LOG))"; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  { $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium poppler-utils; } \
	    > $(APT_LOG) 2>&1 || { tail -20 $(APT_LOG); echo "Could not install chromium and poppler-utils"; exit 1; }; }

# The engine's Spark test needs Java (Debian 12: default-jre-headless is Java 17) and the PostgreSQL
# round trip needs Debian's postgresql server binaries (the test starts its own throwaway cluster).
SERVICES_LOG := /tmp/csm-kit-apt-services.log
PG_INITDB    := $(firstword $(wildcard /usr/lib/postgresql/*/bin/initdb))

services:
	@{ command -v java >/dev/null && test -n "$(PG_INITDB)"; } || { \
	  echo "Installing Debian's default-jre-headless and postgresql for the Spark and PostgreSQL tests (log: $(SERVICES_LOG))"; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  { $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq default-jre-headless postgresql; } \
	    > $(SERVICES_LOG) 2>&1 || { tail -20 $(SERVICES_LOG); echo "Could not install Java and PostgreSQL"; exit 1; }; }

test: venv browser services
	CSM_KIT_REQUIRE_BROWSER=1 CSM_KIT_REQUIRE_SPARK=1 CSM_KIT_REQUIRE_POSTGRES=1 CSM_KIT_FULL_REPORTS=1 \
	  $(BIN)/python -m pytest --durations=30 tests csm_kit  # the 30 slowest tests are listed at the end
	$(BIN)/python -m pytest --nbval-lax --nbval-current-env notebooks  # each kernel starts in notebooks/

clean:
	rm -rf $(VENV) reports/[0-9]* reports/.failed reports/.*.building-* reports/.*.previous-* .pytest_cache
