# Monitoring (issue 7): promtool/amtool checks, rule unit tests, dashboard regeneration
# and the live Prometheus test all run under plain pytest in tests/monitoring/.
APT_PACKAGES += prometheus prometheus-alertmanager prometheus-node-exporter

MONITORING_STAMP := $(VENV)/.monitoring-installed

$(MONITORING_STAMP): monitoring/requirements.txt $(STAMP)
	$(PIP) install --quiet -r monitoring/requirements.txt
	touch $@

.PHONY: monitoring-venv monitoring-dashboards monitoring-screenshots

monitoring-venv: $(MONITORING_STAMP)

# tests/monitoring imports jinja2 and matplotlib, and runs the SDK-built dashboard generator.
test-py: monitoring-venv

# Rewrite the committed dashboard JSON after editing monitoring/grafana/generate.py
# (built with grafana-foundation-sdk from monitoring/requirements.txt).
monitoring-dashboards: monitoring-venv
	$(PY) monitoring/grafana/generate.py

# Run the live test and keep its panel plots in docs/screenshots/grafana-*.png.
monitoring-screenshots: deps monitoring-venv
	MONITORING_SCREENSHOTS=docs/screenshots $(VENV)/bin/pytest -q tests/monitoring/test_live_fleet.py
