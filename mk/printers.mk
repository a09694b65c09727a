# Kitchen printers (issue 18): the held-ticket test moves the hub's clock with libfaketime
# (LD_PRELOAD on the real hub process); its tests run in `make test-py` with the rest.
APT_PACKAGES += libfaketime
