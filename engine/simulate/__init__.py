"""Depot days simulated with the engine in the loop (issue 20): scenarios, seeded faults, production triggers,
plans executed on simulated chargers through the connector interface, and the KPIs of what happened."""
