# Browser apps (issue 14 items 4-5). ui-check/ holds the pinned npm tools (package-lock.json,
# installed with npm ci, never served): the browser-target lint of ui/ against .browserslistrc,
# and axe-core, which tests/ui/test_accessibility.py injects into every page.
UI_CHECK_STAMP := ui-check/node_modules/.package-lock.json

.PHONY: ui-check-deps test-ui-compat

# Node >= 20.19 with npm (ESLint 10): the machine's nodejs package ships both.
$(UI_CHECK_STAMP): ui-check/package.json ui-check/package-lock.json
	@command -v npm >/dev/null || { echo "ui-check: npm not found (Node >= 20.19 with npm is needed)"; exit 1; }
	cd ui-check && npm ci --no-audit --no-fund --loglevel=error

ui-check-deps: $(UI_CHECK_STAMP)

# Fails on an API or syntax a target browser lacks, unless feature-tested (ui-check/rules/).
test-ui-compat: ui-check-deps
	cd ui-check && npm run -s lint && node --test tests/

EXTRA_TESTS += test-ui-compat
test-py: ui-check-deps
