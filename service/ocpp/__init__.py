"""The OCPP central system: charge points connect over WebSockets (1.6J and 2.0.1), report sessions and meters,
and follow the approved plan's schedules. See README "Charger control"."""
