# Fleet updates (issue 17, decision 1101): a signed hub release bundle.
# `make hub-bundle RELEASE_KEY=/secure/release-key.pem` writes dist/outlet-hub-<version>.bundle;
# make a key once with `python -m scripts.hub_bundle keygen --out release-key.pem` (keep it
# offline; the public key it prints goes into the image's hub.toml as release_public_key).
RELEASE_KEY ?= release-key.pem
BUNDLE_OUT ?= dist
# e.g. BUNDLE_FLAGS=--not-backward-compatible (hubs back their database up before switching)
BUNDLE_FLAGS ?=

.PHONY: hub-bundle

hub-bundle: venv
	$(PY) -m scripts.hub_bundle build --key $(RELEASE_KEY) --out $(BUNDLE_OUT) $(BUNDLE_FLAGS)
