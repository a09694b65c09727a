"""`python -m hub run` is the same as `outlet-hub run`."""

import sys

from hub.cli import main

sys.exit(main())
