# Two commands for a newcomer: `make run` (the app on SQLite with sample data) and `make test`.
VENV := .venv
BIN := $(VENV)/bin
DEMO_ADMIN := admin@demo.ocop.vn
DEMO_PASSWORD := ocop-demo-2026
PORT ?= 5000
# The sample marketplaces listen on this port and the next four (ocop/sample_markets.py;
# `ocop serve-demo` warns when the pairs below do not cover them all).
SAMPLE_PORT ?= 5101
SAMPLE_ENDPOINTS = $(foreach n,0 1 2 3 4,127.0.0.1:$(shell expr $(SAMPLE_PORT) + $(n)))
# The sample Shopee Open Platform, on the port after them, and the demo's partner app on it
# (ocop/sample_platforms/__init__.py; `ocop serve-demo` warns when these do not match). The
# open-platform client asks it directly, not through the checker's guard.
SAMPLE_PLATFORM = http://127.0.0.1:$(shell expr $(SAMPLE_PORT) + 5)
DEMO_SHOPEE = OCOP_PUBLIC_URL=http://127.0.0.1:$(PORT) \
	OCOP_SHOPEE_PARTNER_ID=1000001 OCOP_SHOPEE_PARTNER_KEY=ocop-demo-sample-partner-key \
	OCOP_SHOPEE_API_BASE=$(SAMPLE_PLATFORM) OCOP_SHOPEE_AUTH_BASE=$(SAMPLE_PLATFORM)
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

# The checker may reach the sample marketplaces' address:port pairs, and only in the processes
# started here: OCOP_SCRAPER_ALLOWED_ENDPOINTS is never a default of the app; nor are the
# Shopee settings that lead to the sample platform.
run: install
	$(BIN)/ocop init --admin $(DEMO_ADMIN) --password $(DEMO_PASSWORD)
	OCOP_SAMPLE_MARKETS_PORT=$(SAMPLE_PORT) $(BIN)/ocop demo
	@echo ""
	@echo "  OCOP tracker (sample data): http://127.0.0.1:$(PORT)"
	@echo "  Sign in as administrator: $(DEMO_ADMIN) / $(DEMO_PASSWORD)"
	@echo "  Or as officer canbo@demo.ocop.vn, producer htx.huongtam@demo.ocop.vn (same password)"
	@echo "  The producer can connect a sample Shopee shop at /shops: \"Shopee (sàn mẫu)\""
	@echo ""
	OCOP_SAMPLE_MARKETS_PORT=$(SAMPLE_PORT) OCOP_SCRAPER_ALLOWED_ENDPOINTS="$(SAMPLE_ENDPOINTS)" \
	$(DEMO_SHOPEE) $(BIN)/ocop serve-demo --port $(PORT)

test: install
	$(BIN)/pytest

lint: install
	$(BIN)/ruff check ocop scrapers tests bench

# For maintainers: refresh the English catalogue after changing user-facing text.
messages: install
	$(BIN)/pybabel extract -F babel.cfg -k _l -o ocop/translations/messages.pot --no-location --sort-output .
	$(BIN)/pybabel update -i ocop/translations/messages.pot -d ocop/translations -D messages --no-fuzzy-matching
