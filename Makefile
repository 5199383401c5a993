# The two commands a new user needs (see README):
#   make demo   - set everything up, start the local Neo4j, run the whole pipeline on a generated scenario
#   make test   - set everything up and run the test suite against a real Neo4j
# Requires: Python >= 3.11, Java 17, Maven (for Neo4j's jars from Maven Central).

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.graphlink-installed

.PHONY: setup demo test neo4j-start neo4j-stop bench clean

$(STAMP): pyproject.toml
	@command -v java >/dev/null || { echo "Java 17 is required (apt-get install openjdk-17-jre-headless)"; exit 1; }
	@command -v mvn >/dev/null || { echo "Maven is required (apt-get install maven)"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev]'
	touch $(STAMP)

setup: $(STAMP)
	$(BIN)/graphlink neo4j install

demo: setup
	$(BIN)/graphlink neo4j start
	$(BIN)/graphlink demo

test: setup
	$(BIN)/python -m pytest

neo4j-start: setup
	$(BIN)/graphlink neo4j start

neo4j-stop:
	$(BIN)/graphlink neo4j stop

clean:
	-$(BIN)/graphlink neo4j stop
	rm -rf .graphlink $(VENV)
