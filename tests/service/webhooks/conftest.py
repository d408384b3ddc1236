"""The live service of the OCPP tests (a job store for durable deliveries)."""

from tests.service.ocpp.conftest import live  # noqa: F401
