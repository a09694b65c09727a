# Fleet updates (issue 17, decision 1101): a signed hub release bundle.
# `make hub-bundle RELEASE_KEY=/secure/release-key.pem` writes dist/outlet-hub-<version>.bundle;
# make a key once with `python -m scripts.hub_bundle keygen --out release-key.pem` (keep it
# offline; the public key it prints goes into the image's hub.toml as release_public_key).
RELEASE_KEY ?= release-key.pem
BUNDLE_FLAGS ?=

.PHONY: hub-bundle

hub-bundle: venv
	$(PY) -m scripts.hub_bundle build --key $(RELEASE_KEY) --out dist $(BUNDLE_FLAGS)
