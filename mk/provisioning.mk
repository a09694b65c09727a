# Provisioning (issue 5): yamllint, ansible-lint (production profile) and every molecule
# scenario (converge, idempotence, verify) against Debian roots unpacked from one
# mmdebstrap tarball, reached with the community.general.chroot connection. No Docker.
APT_PACKAGES += mmdebstrap nftables systemd mosquitto util-linux iproute2
EXTRA_TESTS += test-provisioning

PROVISIONING_STAMP := $(VENV)/.provisioning-installed
# Longest first, so two lanes finish together.
PROVISIONING_SCENARIOS ?= site hq outlet_hub base firewall mosquitto
# molecule calls ansible-* from PATH, so the venv's bin/ goes first.
PROVISIONING_ENV = PATH="$(CURDIR)/$(VENV)/bin:$$PATH" ANSIBLE_FORCE_COLOR=0 NO_COLOR=1 PY_COLORS=0

.PHONY: provisioning-venv wheelhouse wheelhouse-hq lint-provisioning test-provisioning

$(PROVISIONING_STAMP): provisioning/requirements.txt $(STAMP)
	$(PIP) install --quiet -r provisioning/requirements.txt
	touch $@

provisioning-venv: $(PROVISIONING_STAMP)

# The project and every dependency as wheels: the outlet_hub role installs the hub from
# here with pip --no-index, so a hub never needs PyPI. Build it on the hub's architecture.
# The same wheels as the NUC image's (mk/images.mk), resolved once per make run and copied.
wheelhouse: wheelhouse-amd64
	rm -rf build/wheelhouse
	cp -a build/wheelhouse-amd64 build/wheelhouse

# HQ's wheelhouse: the project with its `central` extra (psycopg, argon2-cffi) and every
# dependency; the outlet_central role installs `outlet-hub[central]` from it (hq.yml).
wheelhouse-hq: $(HUB_WHEEL_STAMP)
	rm -rf build/wheelhouse-hq
	$(PIP) wheel --quiet --wheel-dir build/wheelhouse-hq "$(HUB_WHEEL)[central]"

lint-provisioning: provisioning-venv
	cd provisioning && $(PROVISIONING_ENV) yamllint --strict . && $(PROVISIONING_ENV) ansible-lint

# The root tarball is built once per run (cached in var/cache/provisioning/ by its recipe),
# while the linters run (one core each; its log: var/log/provisioning-root.log); each scenario
# unpacks its own copy under var/molecule/<scenario>/ and removes it after.
# Two scenarios run at a time (2 cores); each one's log is in var/log/molecule-<scenario>.log.
PROVISIONING_JOBS ?= 2

test-provisioning: deps provisioning-venv wheelhouse wheelhouse-hq
	@start=$$(date +%s); mkdir -p var/log; \
	provisioning/molecule/shared/build-root.sh var/cache/provisioning \
	  > var/log/provisioning-root.path 2> var/log/provisioning-root.log & root=$$!; \
	linted=1; $(MAKE) --no-print-directory lint-provisioning || linted=0; \
	wait $$root || { tail -n 40 var/log/provisioning-root.log; echo "test-provisioning: root build failed"; exit 1; }; \
	[ $$linted = 1 ] || exit 1; \
	tarball="$(CURDIR)/$$(cat var/log/provisioning-root.path)"; \
	echo "test-provisioning: linted, root $$tarball ready after $$(( $$(date +%s) - start )) s"; \
	printf '%s\n' $(PROVISIONING_SCENARIOS) | \
	  OUTLET_TEST_ROOT_TAR="$$tarball" OUTLET_TEST_ROOTS="$(CURDIR)/var/molecule" $(PROVISIONING_ENV) \
	  xargs -P $(PROVISIONING_JOBS) -I{} sh -c 'log=$(CURDIR)/var/log/molecule-{}.log; \
	    if (cd provisioning && molecule test -s {}) > "$$log" 2>&1; \
	    then echo "molecule {}: passed"; \
	    else tail -n 80 "$$log"; echo "molecule {}: FAILED (full log: $$log)"; exit 255; fi' || exit 1; \
	echo "test-provisioning: $(PROVISIONING_SCENARIOS) passed in $$(( $$(date +%s) - start )) s"
