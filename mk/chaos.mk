# Fault injection (issue 13). The chaos/fault/fuzz tests run in `make test` through pytest
# (tests/chaos/); `make soak` is the long run outside CI: SOAK_KILLS SIGKILLs (~1 h for
# 1,000) and a Jepsen-style table, also written to docs/soak-results/.
APT_PACKAGES += faketime
SOAK_KILLS ?= 1000
SOAK_ARGS ?=
.PHONY: soak

soak: deps
	$(PY) -m tests.chaos.soak --kills $(SOAK_KILLS) \
	  --out docs/soak-results/$$(date -u +%Y-%m-%d)-$(SOAK_KILLS)-kills.txt $(SOAK_ARGS)
