"""The fleetcharge decision API (Litestar). ``create_app()`` builds it; ``fleetcharge serve`` runs it."""

from service.app import create_app

__all__ = ["create_app"]
