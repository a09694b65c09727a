# Benchmarks (issue 2 "Speed and memory"): NOT part of `make test`; the generator's own
# correctness is checked in `make test` by tests/bench/test_smoke.py (bench/run.py --smoke).
.PHONY: bench bench-smoke bench-peer-deps

bench-peer-deps:
	cd bench/seed_peer && npm ci --no-audit --no-fund --loglevel=error

# Full run (~10 min): hub and seed peer, same workload; writes bench/results/<date>.json.
bench: venv bench-peer-deps
	@bash scripts/ensure-apt.sh wrk
	@echo "load average before: $$(cut -d' ' -f1-3 /proc/loadavg)"
	$(PY) bench/run.py $(BENCH_ARGS)

# A few seconds of every section; checks that every delivery is accounted for.
bench-smoke: venv bench-peer-deps
	$(PY) bench/run.py --smoke --out -
