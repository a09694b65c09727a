# Central (issue 3): its tests run under plain pytest in tests/central/ (SQLite always,
# PostgreSQL on 127.0.0.1:5432 — required under CI=true). The benchmark is not in `make test`.
# pg_dump/pg_restore for `outlet-central backup/restore` (tests/central/test_backup.py).
APT_PACKAGES += postgresql-client
# nginx + openssl: the booted HQ test (tests/integration/test_booted_hq.py) and the
# 4-process bench run the reverse_proxy role's site file in front of central.
APT_PACKAGES += nginx openssl

.PHONY: bench-central

# ~3-4 min on 2 cores: ingestion, 50k backlog drain, 10k menu sync, 2,000-hub fleet.
bench-central: venv
	$(PY) bench/central_bench.py $(BENCH_ARGS)
