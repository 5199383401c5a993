# The two commands a new user needs (see README):
#   make demo   - set everything up, start the local Neo4j, run the whole pipeline on a generated scenario
#   make test   - set everything up and run the test suite against a real Neo4j
# Requires: Python >= 3.11, Java 17, Maven (for Neo4j's jars from Maven Central).

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.graphlink-installed

.PHONY: setup chromium demo test lint neo4j-start neo4j-stop bench clean

$(STAMP): pyproject.toml
	@command -v java >/dev/null || { echo "Java 17 is required (apt-get install openjdk-17-jre-headless)"; exit 1; }
	@command -v mvn >/dev/null || { echo "Maven is required (apt-get install maven)"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev,spark]'
	touch $(STAMP)

setup: $(STAMP) chromium
	$(BIN)/graphlink neo4j install

# Headless Chromium renders the HTML reports in the tests (Debian's package).
chromium:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	  else echo "note: install Debian's chromium (sudo apt-get install chromium) for the report tests"; fi; }

demo: setup
	$(BIN)/graphlink neo4j start
	$(BIN)/graphlink demo

test: setup
	$(BIN)/python -m pytest

# ruff (pycodestyle incl. line length, pyflakes, import order), then mypy on the
# package as it installs: graphlink/ with ingest/ and api/ mapped in, laid out by
# symlinks (mypy does not follow setuptools' package-dir mapping).
TYPECHECK := build/typecheck
lint: $(STAMP)
	$(BIN)/ruff check .
	rm -rf $(TYPECHECK) && mkdir -p $(TYPECHECK)/graphlink
	for f in graphlink/*; do ln -s "$$PWD/$$f" $(TYPECHECK)/graphlink/; done
	ln -s "$$PWD/ingest" $(TYPECHECK)/graphlink/ingest
	ln -s "$$PWD/api" $(TYPECHECK)/graphlink/api
	cd $(TYPECHECK) && MYPYPATH=. "$$OLDPWD/$(BIN)/mypy" --config-file "$$OLDPWD/pyproject.toml" \
	  --cache-dir "$$OLDPWD/.mypy_cache" -p graphlink

neo4j-start: setup
	$(BIN)/graphlink neo4j start

neo4j-stop:
	$(BIN)/graphlink neo4j stop

clean:
	-$(BIN)/graphlink neo4j stop
	rm -rf .graphlink $(VENV)
