# The README's commands. Every target installs what it needs first, so a fresh clone needs nothing else.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
HOME_DIR ?= .sandbox
CHROMIUM ?= /usr/bin/chromium
export PYTHONUNBUFFERED := 1

.PHONY: install browser demo test lab bench sandbox-up sandbox-down clean

install: $(STAMP)

$(STAMP): requirements.txt pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	$(PY) -m pip install --quiet --no-deps -e .
	$(PY) -m ipykernel install --sys-prefix --name ccr-runbooks --display-name "ccr-runbooks (Python 3)" > /dev/null
	touch $(STAMP)

sandbox-up: install
	$(PY) -m es_sandbox --home $(HOME_DIR) up

sandbox-down:
	test ! -x $(PY) || $(PY) -m es_sandbox --home $(HOME_DIR) down

# Fresh practice clusters every time, so the demo starts from the guide's empty clusters.
demo: install
	test ! -f $(HOME_DIR)/clusters.json || $(PY) -m es_sandbox --home $(HOME_DIR) down --wipe
	$(PY) -m es_sandbox --home $(HOME_DIR) up
	$(PY) -m runbook_lib demo --home $(HOME_DIR)
	@echo "The practice clusters are still running, to explore: $(PY) -m es_sandbox --home $(HOME_DIR) status; 'make sandbox-down' stops them."

test: install browser
	$(PY) -m pytest -q

# Debian's chromium: the test that opens runs/<id>/report.html in a real, offline browser needs it.
# Installed once (sudo only when not root); without apt-get, that test is skipped instead.
browser:
	@test -x $(CHROMIUM) || ! command -v apt-get > /dev/null || { \
	  SUDO=$$(test "$$(id -u)" = 0 || echo sudo); \
	  $$SUDO apt-get update -qq && \
	  $$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium > /dev/null; }

lab: sandbox-up
	$(VENV)/bin/jupyter lab notebooks/

bench: install
	$(PY) -m bench

clean: sandbox-down
	rm -rf $(HOME_DIR) runs
