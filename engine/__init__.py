"""fleetcharge engine: pure decision logic for electric vehicle fleets (no HTTP, no database, no globals)."""

__version__ = "0.2.0"
