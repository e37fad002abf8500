# Roster: `make demo` runs discovery on the bundled sample company and serves the portal;
# `make test` runs the whole suite. Both install what they need and keep their servers in .run/.
SCENARIO ?= scenarios/sample-company.yaml
SERVE ?= 1
PORT ?= 8000
export PORT

.PHONY: demo test up stop setup bench bench-aws bench-github bench-catalog bench-search bench-console bench-freshness bench-load

demo:
	@scripts/demo.sh "$(SCENARIO)" "$(SERVE)"

test:
	@scripts/test.sh $(ARGS)

up:
	@scripts/roster.sh up

stop:
	@scripts/roster.sh stop

setup:
	@scripts/roster.sh setup

bench: bench-aws bench-github bench-catalog bench-search

bench-aws:
	@scripts/roster.sh services && .venv/bin/python bench/aws_discovery.py

bench-github:
	@scripts/roster.sh services && .venv/bin/python bench/github_discovery.py

bench-catalog:
	@scripts/roster.sh services && .venv/bin/python bench/catalog.py

bench-search:
	@scripts/roster.sh services && .venv/bin/python bench/search.py

bench-load:
	@scripts/roster.sh services && .venv/bin/python bench/load.py

bench-console:
	@scripts/roster.sh services && .venv/bin/python bench/console.py

bench-freshness:
	@scripts/roster.sh services && .venv/bin/python bench/freshness.py
