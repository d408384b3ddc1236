"""Charger control in the engine's terms: what a plan asks of each charger (:mod:`.profiles`) and the interface a
charger connection offers (:mod:`.connector`). Pure: no protocol, no I/O."""
