"""`/kiosk`, `/kitchen`, … without the slash redirect to the app (they answered 500 before:
the handler read a path parameter the fixed route does not have; found by the API fuzzer)."""

from __future__ import annotations

import urllib.error
import urllib.request
from collections.abc import Callable

from hub.ui_static import APPS
from tests.support.processes import Hub


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *_args: object, **_kw: object) -> None:
        return None


def test_bare_app_paths_redirect_to_the_app(hub_factory: Callable[..., Hub]) -> None:
    hub = hub_factory()
    opener = urllib.request.build_opener(_NoRedirect)
    for name in APPS:
        try:
            opener.open(f"{hub.base}/{name}", timeout=5)
            raise AssertionError(f"/{name} did not redirect")
        except urllib.error.HTTPError as exc:
            assert exc.code == 302, (name, exc.code)
            assert exc.headers["Location"] == f"/{name}/"
