# Images (issue 6): flashable NUC (amd64, UEFI GRUB) and Raspberry Pi 4 (arm64) disk images,
# built without loop devices or mounts (images/build-image.sh), the single-file hub binary,
# and the boot test of the NUC image in qemu (TCG). Output in build/images/, cache in
# var/cache/images/ (both git-ignored).
APT_PACKAGES += mmdebstrap arch-test mtools dosfstools fdisk e2fsprogs xz-utils zstd grub-efi-amd64-bin \
	qemu-system-x86 qemu-system-arm qemu-utils ovmf qemu-user-static binfmt-support socat prometheus
# make test builds both images and boots them in qemu (TCG): the NUC through OVMF + GRUB, the
# whole IT journey; the Pi under -M virt on its own kernel. Measured: images/README.md.
EXTRA_TESTS += image-test-pi image-test

# The two mmdebstrap bases (arm64 through qemu-user: ~6 min of one core; amd64 ~1 min) wait
# for nothing and are not timed, so `make test` builds them in the background at nice 19 while
# lint and pytest run, in the CPU those leave idle. image-test-pi and image-test then find them
# cached, or wait for them (build-base.sh holds a lock per architecture); a failed background
# build is simply built again there, with its errors. Log: var/log/image-bases.log.
# (Boots are never put beside other work: TCG slows badly beside a busy neighbour.)
TEST_BACKGROUND += image-bases-background

image-bases-background: deps
	@mkdir -p var/log; \
	( nice -n 19 images/build-base.sh arm64 $(CURDIR)/var/cache/images && \
	  nice -n 19 images/build-base.sh amd64 $(CURDIR)/var/cache/images ) \
	  > var/log/image-bases.log 2>&1 < /dev/null & \
	echo "image-bases-background: building the arm64 and amd64 bases at nice 19 (log: var/log/image-bases.log)"

IMAGE_COMPRESS ?= xz
PYI_VENV := build/pyinstaller-venv
HUB_BINARY := build/hub-binary/outlet-hub

.PHONY: image-bases-background image-nuc image-pi image-nuc-raw wheelhouse-amd64 wheelhouse-arm64 hub-binary image-test image-test-pi

# The hub and its dependencies as amd64 wheels (this machine) — the provisioning wheelhouse.
# (Its own directory: build/wheelhouse belongs to provisioning's tests, which rebuild it.)
wheelhouse-amd64: $(HUB_WHEEL_STAMP)
	rm -rf build/wheelhouse-amd64
	$(PIP) wheel --quiet --wheel-dir build/wheelhouse-amd64 "$(HUB_WHEEL)"

# The same for the Pi: the hub's own wheel is pure Python, its dependencies come from PyPI as
# manylinux aarch64 wheels for CPython 3.11 (bookworm's), so nothing compiles under emulation.
wheelhouse-arm64: $(HUB_WHEEL_STAMP)
	rm -rf build/wheelhouse-arm64 && mkdir -p build/wheelhouse-arm64
	cp "$(HUB_WHEEL)" build/wheelhouse-arm64/
	$(PIP) download --quiet --only-binary=:all: --python-version 3.11 --implementation cp \
	  --abi cp311 --abi abi3 --abi none --platform manylinux2014_aarch64 \
	  --platform manylinux_2_17_aarch64 --platform manylinux_2_26_aarch64 \
	  --platform manylinux_2_28_aarch64 --platform any -d build/wheelhouse-arm64 \
	  build/wheelhouse-arm64/outlet_hub-*.whl

# RELEASE_PUBLIC_KEY=<base64> bakes the key hub releases are signed with into the image.
image-nuc: deps provisioning-venv wheelhouse-amd64
	COMPRESS=$(IMAGE_COMPRESS) WHEELHOUSE=$(CURDIR)/build/wheelhouse-amd64 images/build-image.sh nuc

image-pi: deps provisioning-venv wheelhouse-arm64
	COMPRESS=$(IMAGE_COMPRESS) WHEELHOUSE=$(CURDIR)/build/wheelhouse-arm64 images/build-image.sh pi

# Single-file Linux executable of the hub (PyInstaller from PyPI in its own venv).
# pyproject.toml: a new runtime dependency must reach the frozen hub too (--no-deps below).
$(PYI_VENV)/bin/pyinstaller: images/pyinstaller-requirements.txt pyproject.toml | $(HUB_WHEEL_STAMP)
	$(PYTHON) -m venv $(PYI_VENV)
	$(PYI_VENV)/bin/pip install --quiet -r images/pyinstaller-requirements.txt
	$(PYI_VENV)/bin/pip install --quiet "$(HUB_WHEEL)"
	touch $@

$(HUB_BINARY): $(PYI_VENV)/bin/pyinstaller $(HUB_WHEEL_STAMP) images/outlet-hub.spec $(shell find hub outlet_protocol ui -type f -not -path '*/__pycache__/*' -not -path 'ui/tests/*' 2>/dev/null)
	$(PYI_VENV)/bin/pip install --quiet --no-deps --force-reinstall "$(HUB_WHEEL)"
	$(PYI_VENV)/bin/pyinstaller --noconfirm --clean --log-level WARN \
	  --distpath build/hub-binary --workpath build/pyinstaller-work images/outlet-hub.spec
	@ls -l $@

hub-binary: $(HUB_BINARY)

# tests/images/test_hub_binary.py runs under test-py against the built binary.
test-py: hub-binary provisioning-venv

# Build the NUC image (raw only: compression is not what the test checks) and boot it. The
# update test restamps the image's own wheelhouse as the releases N+1 and N+2 (decision 1101).
image-test: deps provisioning-venv wheelhouse-amd64
	@start=$$(date +%s); \
	COMPRESS=none WHEELHOUSE=$(CURDIR)/build/wheelhouse-amd64 OUT=$(CURDIR)/build/image-test \
	  images/build-image.sh nuc || exit 1; \
	OUTLET_IMAGE_TEST=$(CURDIR)/build/image-test/outlet-hub-nuc.img \
	OUTLET_IMAGE_WHEELHOUSE=$(CURDIR)/build/wheelhouse-amd64 $(VENV)/bin/pytest -q -p no:cacheprovider \
	  tests/images/test_image_boot.py || exit 1; \
	echo "image-test: built and boot-tested in $$(( $$(date +%s) - start )) s"

# The Pi image (raw only, like image-test): its root through qemu-user in a chroot inside a
# private network namespace, then the image booted under qemu-system-aarch64 -M virt.
image-test-pi: deps provisioning-venv wheelhouse-arm64
	@start=$$(date +%s); \
	COMPRESS=none WHEELHOUSE=$(CURDIR)/build/wheelhouse-arm64 OUT=$(CURDIR)/build/image-test \
	  images/build-image.sh pi || exit 1; \
	OUTLET_PI_IMAGE=$(CURDIR)/build/image-test/outlet-hub-pi.img $(VENV)/bin/pytest -q -p no:cacheprovider \
	  tests/images/test_pi_root.py tests/images/test_pi_boot.py || exit 1; \
	echo "image-test-pi: built and checked in $$(( $$(date +%s) - start )) s"
