"""`outlet-hub backup --upload`: the newest backup also goes to central, when it answers.

The hub's own copies die with its SD card; one at HQ lets IT restore an outlet on a new
box. The upload is best effort (the local backup is what the timer promises): a hub
whose internet is down says why and tries again at the next backup.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

from hub.central_tls import central_ssl_context
from hub.config import HubConfig


class UploadError(Exception):
    """Central did not take the backup; the message says why."""


def upload_backup(cfg: HubConfig, backup: Path, timeout: float = 120.0) -> dict[str, Any]:
    """PUT `backup` to central's /api/hubs/backup with the hub's token; central's answer."""
    token_path = Path(cfg.data_dir) / "hub_token"
    if not cfg.central_url.startswith(("http://", "https://")) or not token_path.exists():
        raise UploadError("not enrolled with central (no central_url or hub_token)")
    with backup.open("rb") as body:
        request = urllib.request.Request(  # noqa: S310 (scheme checked above)
            cfg.central_url.rstrip("/") + "/api/hubs/backup", data=body, method="PUT",
            headers={"Authorization": f"Bearer {token_path.read_text().strip()}",
                     "Content-Type": "application/octet-stream",
                     "Content-Length": str(backup.stat().st_size)})
        try:
            with urllib.request.urlopen(request, timeout=timeout,  # noqa: S310
                                        context=central_ssl_context(cfg)) as resp:
                answer: dict[str, Any] = json.loads(resp.read(65536))
        except urllib.error.HTTPError as exc:
            raise UploadError(f"central refused the backup: HTTP {exc.code} "
                              f"{exc.read(300).decode(errors='replace')}") from None
        except (OSError, ValueError) as exc:
            raise UploadError(f"central did not take the backup: {exc}") from None
    return answer
