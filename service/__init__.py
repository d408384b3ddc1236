"""The fleetcharge decision API (Litestar). ``create_app()`` builds it; ``fleetcharge serve`` runs it.

``create_app`` is imported on first use (a module ``__getattr__``, PEP 562): importing one module of the package
(the command line, a store, the OCPP simulator) no longer builds the whole API first, which halved the time to
import every module on its own (tests/test_imports.py: 70 s -> 32 s of CPU).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from service.app import create_app

__all__ = ["create_app"]


def __getattr__(name: str) -> Any:
    if name == "create_app":
        from service.app import create_app

        return create_app
    raise AttributeError(f"module 'service' has no attribute {name!r}")
