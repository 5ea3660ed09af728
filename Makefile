# The two commands that matter: `make run` opens the app, `make test` runs the whole suite.
.PHONY: setup run test lint screenshot bench clean

setup:
	@bash scripts/setup.sh

run: setup
	.venv/bin/xsc-desktop

test: setup
	.venv/bin/ruff check xsc_desktop ui parsers tests bench
	.venv/bin/mypy parsers
	QT_QPA_PLATFORM=offscreen .venv/bin/python -m pytest -q

lint: setup
	.venv/bin/ruff check xsc_desktop ui parsers tests bench
	.venv/bin/mypy parsers

screenshot: setup
	QT_QPA_PLATFORM=offscreen .venv/bin/python -m ui.screenshot --out screenshots --all-sets

bench: setup
	QT_QPA_PLATFORM=offscreen .venv/bin/python -m bench

clean:
	rm -rf .venv screenshots .pytest_cache
