"""A notice for IT (e.g. first boot could not apply the outlet file) reaches every place IT looks."""

from __future__ import annotations

from collections.abc import Callable

from tests.support.processes import Hub, http_json


def test_configured_notice_is_shown_in_health_outlet_and_status(
        hub_factory: Callable[..., Hub]) -> None:
    text = "outlet.toml missing on HUBBOOT: running standalone"
    hub = hub_factory(env={"HUB_NOTICE": text})
    assert http_json(f"{hub.ops}/health")[1]["notice"] == text
    assert http_json(f"{hub.base}/api/outlet")[1]["notice"] == text
    assert http_json(f"{hub.base}/api/status")[1]["notice"] == text


def test_no_notice_by_default(hub_factory: Callable[..., Hub]) -> None:
    hub = hub_factory()
    assert http_json(f"{hub.ops}/health")[1]["notice"] is None
