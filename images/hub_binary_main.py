"""Entry point of the single-file hub: the same CLI as `outlet-hub` / `python -m hub`."""

import sys

from hub.cli import main

if __name__ == "__main__":
    sys.exit(main())
