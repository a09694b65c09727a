"""The OpenAPI 3.1 descriptions against the code, and a property-based fuzzer against it.

1. Every route the hub (both listeners) and central serve is in docs/openapi/*.yaml, and
   every path/method there is served — the spec cannot drift from the code unnoticed.
2. schemathesis generates requests for every operation of each spec, a bounded number of
   cases that fit the spec and as many that break it (wrong types, out-of-range, missing fields),
   and sends them to a real hub and a real central subprocess: no 5xx, no hang (each
   request must answer within REQUEST_TIMEOUT). Every order the hub acked during the
   fuzz must afterwards be readable, and present exactly once in the order feed.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
import yaml
from aiohttp import web
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis.generation.modes import GenerationMode

from central.config import load as load_central_config
from central.web.app import build_app as build_central
from hub.app import build_apps, build_context
from hub.config import load as load_hub_config
from tests.central.conftest import CentralUnderTest
from tests.support.processes import ROOT, Hub, http_json

SPECS = ROOT / "docs" / "openapi"
METHODS = {"get", "put", "post", "patch", "delete"}
HUB_EXAMPLES = 15      # per operation and mode: 33 operations → ~990 requests
CENTRAL_EXAMPLES = 8   # 74 operations → ~1,180 requests (central is slower per request)
REQUEST_TIMEOUT = 10.0
OPS_PATHS = {"/health", "/clients", "/metrics"}
ORDER_POSTS = {"/api/orders", "/emit"}


def _served(*apps: web.Application) -> set[tuple[str, str]]:
    out = set()
    for app in apps:
        for route in app.router.routes():
            if route.method == "HEAD":
                continue
            info = route.resource.get_info() if route.resource else {}
            path = str(info.get("path") or info.get("formatter"))
            out.add((route.method.lower(), re.sub(r"\{(\w+):[^}]*\}", r"{\1}", path)))
    return out


def _described(name: str) -> set[tuple[str, str]]:
    spec = yaml.safe_load((SPECS / f"{name}.yaml").read_text())
    assert spec["openapi"].startswith("3.1")
    return {(m, p) for p, item in spec["paths"].items() for m in item if m in METHODS}


def test_spec_and_routes_agree(tmp_path: Path) -> None:
    hub_cfg = load_hub_config(environ={"HUB_DATA_DIR": str(tmp_path / "hub"), "HUB_OUTLET_ID": "1",
                                       "HUB_MQTT_URL": "none", "HUB_ZEROCONF": "off"})
    main, ops = build_apps(build_context(hub_cfg))
    central = build_central(load_central_config(
        {"CENTRAL_DATABASE_URL": f"sqlite:///{tmp_path / 'c.db'}"}))
    for name, served in (("hub", _served(main, ops)), ("central", _served(central))):
        described = _described(name)
        assert served - described == set(), f"{name}: served but not in the spec"
        assert described - served == set(), f"{name}: in the spec but not served"


def _fuzz(spec: str, examples: int, call: Callable[[Any], Any]) -> None:
    """Run `call(case)` for `examples` generated cases of every operation of `spec`."""
    schema = schemathesis.openapi.from_path(str(SPECS / f"{spec}.yaml"))
    for result in schema.get_all_operations():
        operation = result.ok()  # type: ignore[union-attr]  # an invalid spec raises here
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):

            @settings(max_examples=examples, deadline=None, database=None, derandomize=True,
                      phases=[Phase.explicit, Phase.generate],
                      suppress_health_check=list(HealthCheck))
            @given(case=operation.as_strategy(generation_mode=mode))
            def run(case: Any) -> None:
                call(case)

            try:
                run()
            except Unsatisfiable:
                assert mode is GenerationMode.NEGATIVE, operation.label   # nothing to violate


def _no_server_error(case: Any, response: Any) -> None:
    assert response.status_code < 500, (
        f"{case.method} {case.formatted_path} → {response.status_code}: {response.text[:300]}\n"
        f"reproduce: {case.as_curl_command()}")


@pytest.fixture
def fuzz_hub(hub_factory: Callable[..., Hub]) -> Iterator[Hub]:
    yield hub_factory()


@pytest.mark.timeout(600)
def test_fuzz_hub_no_5xx_no_hang_nothing_acked_lost(fuzz_hub: Hub) -> None:
    hub = fuzz_hub
    acked: list[str] = []

    def call(case: Any) -> None:
        base = hub.ops if case.path in OPS_PATHS else hub.base
        response = case.call(base_url=base, timeout=REQUEST_TIMEOUT)
        _no_server_error(case, response)
        if case.method.upper() == "POST" and case.path in ORDER_POSTS \
                and response.status_code in (200, 201):
            acked.append(response.json()["uuid"])

    _fuzz("hub", HUB_EXAMPLES, call)
    assert hub.alive, "the hub died under the fuzzer"
    assert acked, "the fuzzer never produced an order the hub took; the spec is too loose"
    rows: list[dict[str, Any]] = []
    while True:
        status, page = http_json(f"{hub.base}/api/orders?since_id="
                                 f"{rows[-1]['id'] if rows else 0}&limit=1000")
        assert status == 200, page
        rows += page
        if len(page) < 1000:
            break
    stored = Counter(r["uuid"] for r in rows)
    for uuid in set(acked):
        assert stored[uuid] == 1, f"acked order {uuid} stored {stored[uuid]} times"
        status, body = http_json(f"{hub.base}/api/orders/{uuid}")
        assert status == 200 and body["uuid"] == uuid, (status, body)


@pytest.mark.timeout(600)
def test_fuzz_central_no_5xx_no_hang(hq: CentralUnderTest) -> None:
    outlet_id, hub_token, _display = hq.enrolled_hub("fuzz-hub")
    hub_paths = {"/api/hubs/heartbeat", "/api/hubs/orders", "/api/hubs/order-events",
                 "/api/hubs/dead-letters", "/api/hubs/pairing", "/api/hubs/seen"}

    def call(case: Any) -> None:
        token = hub_token if case.path in hub_paths else hq.admin
        if case.path == "/api/auth/logout":
            token = "not-the-admin-token"          # keep the fuzzer's own session alive
        response = case.call(base_url=hq.base, timeout=REQUEST_TIMEOUT,
                             headers={"Authorization": f"Bearer {token}"})
        _no_server_error(case, response)

    _fuzz("central", CENTRAL_EXAMPLES, call)
    assert hq.proc.alive, "central died under the fuzzer"
    status, _ = hq.call("GET", f"/api/tenants/outlets/{outlet_id}/", token=hq.admin)
    assert status == 200, "central stopped answering after the fuzz"


