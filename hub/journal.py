"""Logging for hub and central: plain lines on a terminal, `<N>`-prefixed lines under journald.

journald stamps every line itself and reads a leading `<N>` as the syslog priority
(SyslogLevelPrefix=, on by default), so under systemd we drop our timestamp and say the level.
"""

from __future__ import annotations

import logging
import os
import sys

TERMINAL_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
JOURNAL_FORMAT = "%(name)s: %(message)s"


def syslog_priority(levelno: int) -> int:
    """Python level → syslog priority (3 err, 4 warning, 6 info, 7 debug; 2 crit)."""
    if levelno >= logging.CRITICAL:
        return 2
    if levelno >= logging.ERROR:
        return 3
    if levelno >= logging.WARNING:
        return 4
    if levelno >= logging.INFO:
        return 6
    return 7


class JournalFormatter(logging.Formatter):
    """Every line (tracebacks too) prefixed with its priority, no timestamp."""

    def __init__(self) -> None:
        super().__init__(JOURNAL_FORMAT)

    def format(self, record: logging.LogRecord) -> str:
        prefix = f"<{syslog_priority(record.levelno)}>"
        return "\n".join(prefix + line for line in super().format(record).splitlines())


def stderr_is_journal(env: dict[str, str] | None = None) -> bool:
    """True when stderr is the journald stream systemd connected (JOURNAL_STREAM=dev:inode)."""
    stream = (os.environ if env is None else env).get("JOURNAL_STREAM", "")
    dev, _, ino = stream.partition(":")
    if not (dev.isdigit() and ino.isdigit()):
        return False
    try:
        st = os.fstat(sys.stderr.fileno())
    except (OSError, ValueError):
        return False
    return (st.st_dev, st.st_ino) == (int(dev), int(ino))


def configure_logging(level: str) -> None:
    """Root logger to stderr in the format its reader expects."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JournalFormatter() if stderr_is_journal()
                         else logging.Formatter(TERMINAL_FORMAT))
    logging.basicConfig(level=level.upper(), handlers=[handler], force=True)
    logging.getLogger("alembic").setLevel(logging.WARNING)
