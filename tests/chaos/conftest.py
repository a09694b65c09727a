"""The chaos tests use the integration tier's central fixtures (real central, enrolled hub)."""

from tests.integration.conftest import enrolled_hub, hq

__all__ = ["enrolled_hub", "hq"]
