# Two commands do all set-up on a fresh machine: `make run` and `make test`.
# Each step installs only what is missing or changed (stamps carry a hash of the pinned files).

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
REQ_HASH := $(shell cat requirements.txt | sha1sum | cut -c1-12)
DEV_HASH := $(shell cat requirements.txt requirements-dev.txt | sha1sum | cut -c1-12)
NODE_HASH := $(shell cat package.json package-lock.json | sha1sum | cut -c1-12)
INFRA_HASH := $(shell cat requirements-infra.txt | sha1sum | cut -c1-12)
# checkov (infra/*.bicep) and hadolint (Dockerfile) pin packages of their own: they get a venv apart.
INFRA_VENV := .venv-infra
RUN_STAMP  := $(VENV)/.stamp-run-$(REQ_HASH)
DEV_STAMP  := $(VENV)/.stamp-dev-$(DEV_HASH)
NODE_STAMP := node_modules/.stamp-$(NODE_HASH)
INFRA_STAMP := $(INFRA_VENV)/.stamp-$(INFRA_HASH)

.PHONY: run approver test package bench cards catalog lint infra chromium libreoffice clean

run: $(RUN_STAMP) $(NODE_STAMP)
	$(BIN)/python tools/run.py

# A second Agents Playground, as Megan Bowen (the approver in .m365agentsplayground.yml), against the bot
# `make run` started (BOT_ENDPOINT for another address).
approver: $(RUN_STAMP) $(NODE_STAMP)
	$(BIN)/python tools/playground.py --current-user "Megan Bowen" --port 56151 \
	  --log build/m365agentsplayground-approver.log

test: $(DEV_STAMP) $(NODE_STAMP) $(INFRA_STAMP) chromium libreoffice
	$(BIN)/python -m pytest

# Only the offline checks of the deployment: Bicep parse, checkov, hadolint, settings against the template.
infra: $(DEV_STAMP) $(INFRA_STAMP)
	$(BIN)/python -m pytest tests/infra -q

package: $(RUN_STAMP)
	$(BIN)/python tools/build_package.py

bench: $(DEV_STAMP) $(NODE_STAMP)
	$(BIN)/python -m tests.bench

cards: $(DEV_STAMP) $(NODE_STAMP) chromium
	$(BIN)/python tools/cards_gallery.py

# Move-support data (migration/data/move-support.json) from Microsoft's move pages kept in
# migration/data/microsoft-docs/; SOURCE=dir reads another copy (e.g. a newer one).
catalog: $(RUN_STAMP)
	$(BIN)/python -m tools.catalog $(if $(SOURCE),--source $(SOURCE))

lint: $(DEV_STAMP)
	$(BIN)/ruff check .
	$(BIN)/mypy

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(RUN_STAMP): requirements.txt | $(VENV)/bin/python
	$(BIN)/python -m pip install --quiet -r requirements.txt
	rm -f $(VENV)/.stamp-run-* && touch $@

$(DEV_STAMP): requirements.txt requirements-dev.txt | $(VENV)/bin/python
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt
	rm -f $(VENV)/.stamp-dev-* $(VENV)/.stamp-run-* && touch $@ $(RUN_STAMP)

$(INFRA_STAMP): requirements-infra.txt
	test -x $(INFRA_VENV)/bin/python || $(PYTHON) -m venv $(INFRA_VENV)
	$(INFRA_VENV)/bin/python -m pip install --quiet -r requirements-infra.txt
	rm -f $(INFRA_VENV)/.stamp-* && touch $@

$(NODE_STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

# Debian's Chromium for the end-to-end and card-rendering tests. Installed when missing and we are root;
# otherwise the tests fail and say what to install (nothing is skipped).
chromium:
	@if ! command -v chromium >/dev/null 2>&1; then \
	  if [ "$$(id -u)" = "0" ]; then \
	    echo "Installing Debian's chromium..."; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	  else \
	    echo "chromium is missing: run 'sudo apt-get install chromium' (needed by the browser tests)"; exit 1; \
	  fi; \
	fi

# Debian's LibreOffice Calc (no GUI) opens the CSV exports in the tests, to check that no cell is a formula.
libreoffice:
	@if ! command -v soffice >/dev/null 2>&1; then \
	  if [ "$$(id -u)" = "0" ]; then \
	    echo "Installing Debian's libreoffice-calc-nogui..."; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
	      libreoffice-calc-nogui >/dev/null; \
	  else \
	    echo "soffice is missing: run 'sudo apt-get install libreoffice-calc-nogui' (needed by the CSV tests)"; exit 1; \
	  fi; \
	fi

clean:
	rm -rf $(VENV) $(INFRA_VENV) node_modules build .pytest_cache
