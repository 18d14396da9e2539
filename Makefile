# Two commands for a newcomer: `make run` (the app on SQLite with sample data) and `make test`.
VENV := .venv
BIN := $(VENV)/bin
DEMO_ADMIN := admin@demo.ocop.vn
DEMO_PASSWORD := ocop-demo-2026
export FLASK_APP := wsgi

.PHONY: install run test lint translations

$(BIN)/ocop: pyproject.toml
	python3 -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

install: $(BIN)/ocop translations

translations: $(BIN)/ocop
	$(BIN)/pybabel compile --use-fuzzy -d ocop/translations -D messages

run: install
	$(BIN)/ocop init --admin $(DEMO_ADMIN) --password $(DEMO_PASSWORD)
	$(BIN)/ocop demo
	@echo ""
	@echo "  OCOP tracker (sample data): http://127.0.0.1:5000"
	@echo "  Sign in as administrator: $(DEMO_ADMIN) / $(DEMO_PASSWORD)"
	@echo "  Or as officer canbo@demo.ocop.vn, producer htx.huongtam@demo.ocop.vn (same password)"
	@echo ""
	$(BIN)/flask run --host 127.0.0.1 --port 5000

test: install
	$(BIN)/pytest

lint: install
	$(BIN)/ruff check ocop scrapers tests bench

# For maintainers: refresh the English catalogue after changing user-facing text.
messages: install
	$(BIN)/pybabel extract -F babel.cfg -k _l -o ocop/translations/messages.pot --no-location --sort-output .
	$(BIN)/pybabel update -i ocop/translations/messages.pot -d ocop/translations -D messages --no-fuzzy-matching
