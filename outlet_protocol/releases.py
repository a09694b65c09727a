"""Hub releases on the wire (decision 1101): version strings and update states.

A version becomes a directory name under the hub's releases/ and a URL path part at
central, so it is a plain name: letters, digits and `.+_-`, at most 40, never `..`.
The update states are what a hub reports in its heartbeat and what both sides' gauges
label; hub/core/updates.py's `State` has exactly these (a test pins it).
"""

from __future__ import annotations

import re
from typing import Any

UPDATE_STATES = ("idle", "downloading", "downloaded", "waiting_window", "installing",
                 "verifying", "done", "rolled_back", "failed")
_VERSION = re.compile(r"^[0-9A-Za-z][0-9A-Za-z.+_-]{0,39}$")


def valid_version(value: Any) -> bool:
    """Whether `value` is a release version usable as a directory name."""
    return isinstance(value, str) and bool(_VERSION.match(value)) and ".." not in value
