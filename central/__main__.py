"""`python -m central …` runs the same CLI as `outlet-central`."""

from central.cli import main

raise SystemExit(main())
