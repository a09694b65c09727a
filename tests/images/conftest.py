"""The boot tests need a built disk image; they are their own targets, not part of `pytest tests/`.

`make image-test` / `make image-test-pi` build the image and run these files by path with
OUTLET_IMAGE_TEST / OUTLET_PI_IMAGE set. Plain collection leaves them out rather than
reporting them as skipped.
"""

import os

collect_ignore = []
if not os.environ.get("OUTLET_IMAGE_TEST"):
    collect_ignore.append("test_image_boot.py")
if not os.environ.get("OUTLET_PI_IMAGE"):
    collect_ignore.append("test_pi_root.py")
