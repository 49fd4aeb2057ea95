# Everything runs from a local virtual environment built from pinned dependencies.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
RUNTIME := $(VENV)/.installed-runtime
STAMP := $(VENV)/.installed-dev
HOST ?= 0.0.0.0
PORT ?= 5000

.PHONY: run test test-fast screenshots lint bench bench-quick bench-cluster bench-relay cluster clean messages translations

# One stamp per set: `make run` installs only what the server needs ($(RUNTIME)); `make test` adds the
# tools ($(STAMP)), and a `make run` after it finds both sets in place and installs nothing.
$(BIN)/python:
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "make: $(PYTHON) not found; install Python 3.11 or run 'make PYTHON=python3'"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(RUNTIME): requirements.txt | $(BIN)/python
	$(BIN)/python -m pip install --quiet -r requirements.txt
	$(BIN)/pybabel compile -d workshop/translations
	touch $(RUNTIME)

$(STAMP): requirements.txt requirements-dev.txt $(RUNTIME)
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt
	touch $(STAMP)

# HOST=0.0.0.0 serves the venue's network: phones open the LAN address the server prints.
run: $(RUNTIME)
	$(BIN)/python -m workshop --host $(HOST) --port $(PORT)

# Several workers behind HAProxy and Redis on this machine (docs/scaling.md, docs/deploy.md);
# installs redis-server and haproxy with apt-get when run as root, else says how. Ctrl-C stops it all.
WORKERS ?= 2
CLUSTER_PORT ?= 8000
REDIS_PORT ?= 6390
CLUSTER_DIR ?= instance/cluster
cluster: $(RUNTIME)
	$(BIN)/python -m deploy.cluster --workers $(WORKERS) --bind $(HOST) --port $(CLUSTER_PORT) \
		--redis-port $(REDIS_PORT) --dir $(CLUSTER_DIR)

# The whole pyramid, what CI runs: the long units, browsers, real servers, then the in-process app and
# the pure core, longest first in each tier (tests/conftest.py). pytest-xdist keeps each file on one
# worker, in order (its tests may share a server), except files marked `spread`, whose independent
# tests are shared out. On 2 cores the suite is bound by CPU: ~250 s of it (read from /proc/stat, which
# also sees Chromium's renderers that `time` misses: pytest ~75 s, Chromium ~100 s, servers ~45 s), so
# 4 workers take ~136 s and 5 or 6 take longer (148 s, 180 s), every CPU-bound step stretching.
test: $(STAMP)
	$(BIN)/python -m ruff check .
	$(BIN)/python -m pytest -n 4 --dist loadfile --no-loadscope-reorder

# The first two tiers only (the pure core and the app in process; no server, no browser).
test-fast: $(STAMP)
	$(BIN)/python -m pytest -n 2 -m "not server and not browser"

# The browser journeys again, photographing every screen they audit into artifacts/*.png (light and
# dark, phone and desktop) for a person to look at; `make test` takes no screenshots.
screenshots: $(STAMP)
	WORKSHOP_SCREENSHOTS=1 $(BIN)/python -m pytest -n 4 --dist loadfile --no-loadscope-reorder -m browser

lint: $(STAMP)
	$(BIN)/python -m ruff check .

bench: $(STAMP)
	$(BIN)/python bench/run.py

bench-quick: $(STAMP)
	$(BIN)/python bench/run.py --quick

# One process against a cluster of 2 workers, side by side; ends with one JSON line.
bench-cluster: $(STAMP)
	cd bench && npm ci --silent --no-audit --no-fund
	$(BIN)/python bench/cluster.py

# What the proxy costs: one process directly, through HAProxy (one thread, as the cluster runs it,
# and one per core), through nginx, side by side (needs Debian's haproxy and nginx-light); ends
# with one JSON line.
bench-relay: $(STAMP)
	cd bench && npm ci --silent --no-audit --no-fund
	$(BIN)/python bench/relay.py

# Words in every language (docs/i18n.md): extract what templates, Python and JavaScript mark, merge it
# into each catalog, then compile. The server also compiles a catalog whose .mo is missing or stale.
KEYWORDS := -k N_ -k Words -k Refusal -k TimerError -k t -k tn:1,2 -k tp:1c,2 -k counted:2,3
messages: $(RUNTIME)
	$(BIN)/pybabel extract -F babel.cfg $(KEYWORDS) --no-location --sort-output --project "Heart to Heart" \
		-o workshop/translations/messages.pot .
	$(BIN)/pybabel update -i workshop/translations/messages.pot -d workshop/translations --no-fuzzy-matching -w 100 \
		--ignore-obsolete
	$(BIN)/pybabel compile -d workshop/translations

translations: $(RUNTIME)
	$(BIN)/pybabel compile -d workshop/translations

clean:
	rm -rf $(VENV) .pytest_cache artifacts
