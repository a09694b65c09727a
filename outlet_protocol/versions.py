"""Release version strings (decision 1101): what hub, central and bundles accept as a version.

A version becomes a directory name under the hub's releases/ and a URL path part at
central, so it is a plain name: letters, digits and `.+_-`, at most 40, never `..`.
"""

from __future__ import annotations

import re
from typing import Any

_VERSION = re.compile(r"^[0-9A-Za-z][0-9A-Za-z.+_-]{0,39}$")


def valid_version(value: Any) -> bool:
    """Whether `value` is a release version usable as a directory name."""
    return isinstance(value, str) and bool(_VERSION.match(value)) and ".." not in value
