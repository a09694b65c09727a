# HTTPS on the outlet LAN (issue 16): the browser test trusts the test CA through an NSS
# database (certutil), as provisioning does on a kiosk; its tests run in `make test-py`.
APT_PACKAGES += libnss3-tools
